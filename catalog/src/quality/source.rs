//! Quality of a whole source: every active record assessed, the duplicate index built over
//! the federated catalogue, SHACL results reused for unchanged records, the report
//! stored as DQV.

use chrono::{DateTime, Utc};
use oxigraph::model::Term;
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, HashSet};

use super::dqv::{RunScores, RunSummaries};
use super::fixes::FixTally;
use super::graph::RecordGraph;
use super::record::{
    assess_record, AssessContext, ConformityIssue, LinkHealth, LinkLookup, RecordAssessment,
    RecordOrigin,
};
use super::report::{ReportTally, SharedRecord, SourceQualityReport, SHARED_RECORDS_LIMIT};
use super::summary::{health_code, RecordQuality, RunPart};
use crate::store::{CatalogStore, RecordEntry, RecordState, StoreError};
use crate::vocab::dct;

/// Records of a quality run whose cached SHACL results are read, and new ones saved,
/// together.
const CONFORMITY_CHUNK: usize = 2_000;

/// Validates a record graph for the DCAT-AP compliance indicator.
pub trait Conformance: Sync {
    /// Identifies the shapes: cached results of other versions are recomputed.
    fn version(&self) -> &str;
    /// Returns the SHACL results of one record graph.
    fn check(&self, record: &RecordGraph) -> Vec<ConformityIssue>;
}

/// How to assess a source.
pub struct SourceAssessment<'a> {
    /// When the assessment runs (freshness is measured against its date).
    pub now: DateTime<Utc>,
    /// How the source's records reached us.
    pub origin: RecordOrigin,
    /// The validator, or `None` to leave DCAT-AP compliance not evaluated.
    pub conformance: Option<&'a dyn Conformance>,
    /// Link-check results.
    pub links: &'a dyn LinkLookup,
}

/// Identifiers too generic to mean "same dataset" (copy-pasted templates).
fn is_meaningful_identifier(id: &str) -> bool {
    let t = id.trim();
    let lower = t.to_lowercase();
    t.chars().count() >= 8
        && ![
            "a remplir",
            "a-remplir",
            "à remplir",
            "todo",
            "identifiant",
            "identifier",
        ]
        .iter()
        .any(|p| lower.contains(p))
}

/// The 64-bit print of a duplicate key (`crate::identifiers`): SipHash with fixed keys, so
/// the prints kept from one quality run to the next stay comparable. Two keys with one
/// print could only mark a record « en doublon » wrongly (about one chance in 10^7 for a
/// run over 2,000,000 keys); no record is merged or dropped on it.
fn key_print(key: &str) -> u64 {
    use std::hash::Hasher;
    #[allow(deprecated)] // SipHasher's fixed keys are the point: stable prints.
    let mut hasher = std::hash::SipHasher::new();
    hasher.write(key.as_bytes());
    hasher.finish()
}

/// The duplicate keys of a record, as prints: its IRI's key (`record_key`) and its
/// meaningful identifiers' (`global_key`, else the identifier as given), sorted, each once.
fn key_prints(record_iri: &str, identifiers: &[String]) -> Box<[u64]> {
    let mut prints = Vec::with_capacity(1 + identifiers.len());
    prints.push(key_print(&crate::identifiers::record_key(record_iri)));
    for i in identifiers {
        let key = crate::identifiers::global_key(i).unwrap_or_else(|| format!("id:{i}"));
        prints.push(key_print(&key));
    }
    // An identifier holding the record's own IRI is the same key, counted once.
    prints.sort_unstable();
    prints.dedup();
    prints.into_boxed_slice()
}

/// Returns, for each active record graph of `source`, the sources holding another record
/// with the same IRI or the same (meaningful) `dct:identifier`, compared as the search
/// index compares them to merge records (its own source when the copy is in the same one).
/// `active` is every active entry of every source.
///
/// Cost, for a federated catalogue of N records: the keys of each record graph are kept
/// from one run to the next (graphs are content-addressed: only the records that changed
/// since are read), updated in place; a run sorts the (key print, source) pairs of every
/// active record (16 bytes a key) and looks up those of `source`'s records. No entry and
/// no key is copied as a string: a run at 25,000 records over 50 sources copied every
/// entry (about 640 bytes each) and made every key a string, a run at 1,000,000 would have
/// held about 1 GB for a source of 500 records.
pub fn duplicate_index(
    store: &CatalogStore,
    active: &[&RecordEntry],
    source: &str,
) -> Result<HashMap<String, Vec<String>>, StoreError> {
    // Held until the run is done with them (runs of several sources take turns).
    let mut held = store.kept_keys();
    let kept = &mut *held;
    kept.epoch = kept.epoch.wrapping_add(1);
    let epoch = kept.epoch;
    // Sources by number, in order of first appearance (entries come source by source).
    let mut source_names: Vec<&str> = Vec::new();
    let mut last: Option<(&str, u32)> = None;
    let mut pairs: Vec<(u64, u32)> = Vec::with_capacity(active.len() + active.len() / 2);
    let mut failure = None;
    for e in active {
        let number = match last {
            Some((name, number)) if name == e.source => number,
            _ => {
                let number = match source_names.iter().position(|n| *n == e.source) {
                    Some(at) => at,
                    None => {
                        source_names.push(e.source.as_str());
                        source_names.len() - 1
                    }
                };
                let number = u32::try_from(number).unwrap_or(u32::MAX);
                last = Some((e.source.as_str(), number));
                number
            }
        };
        // One lookup a record: its keys as kept, stamped with this run, or read now.
        let slot = match kept.by_graph.entry(key_print(&e.graph)) {
            hashbrown::hash_map::Entry::Occupied(kept) => kept.into_mut(),
            hashbrown::hash_map::Entry::Vacant(slot) => match record_identifiers(store, e) {
                Ok(identifiers) => {
                    kept.unsaved += 1;
                    slot.insert((epoch, key_prints(&e.record_iri, &identifiers)))
                }
                Err(error) => {
                    // What was kept stays for the next run.
                    failure = Some(error);
                    break;
                }
            },
        };
        slot.0 = epoch;
        let prints = &*slot.1;
        pairs.extend(prints.iter().map(|&print| (print, number)));
    }
    if let Some(error) = failure {
        store.save_kept_keys(kept);
        return Err(error);
    }
    // The keys of graphs no longer active go.
    let before = kept.by_graph.len();
    kept.by_graph.retain(|_, (seen, _)| *seen == epoch);
    kept.unsaved += before - kept.by_graph.len();
    pairs.sort_unstable();
    let mut out = HashMap::new();
    let mine = source_names
        .iter()
        .position(|n| *n == source)
        .and_then(|m| u32::try_from(m).ok());
    for e in active
        .iter()
        .filter(|e| mine.is_some() && e.source == source)
    {
        let mut others = BTreeSet::new();
        let prints = kept.by_graph.get(&key_print(&e.graph)).map(|(_, p)| &**p);
        for &print in prints.into_iter().flatten() {
            let start = pairs.partition_point(|&(p, _)| p < print);
            let holders = pairs[start..].iter().take_while(|&&(p, _)| p == print);
            // This record itself holds the key once: another holder in its own source
            // is another record of it (the index merges both).
            let own = holders.clone().filter(|&&(_, s)| Some(s) == mine).count();
            for &(_, s) in holders {
                if Some(s) != mine || own > 1 {
                    others.insert(source_names[s as usize]);
                }
            }
        }
        if !others.is_empty() {
            out.insert(
                e.graph.clone(),
                others.into_iter().map(str::to_owned).collect(),
            );
        }
    }
    store.save_kept_keys(kept);
    Ok(out)
}

/// The meaningful `dct:identifier` values of the record of `e`, as given (trimmed).
fn record_identifiers(store: &CatalogStore, e: &RecordEntry) -> Result<Vec<String>, StoreError> {
    let mut identifiers = Vec::new();
    store.for_each_value(&e.graph, &[dct::IDENTIFIER], |subject, _, object| {
        let about_record = matches!(subject, Term::NamedNode(s) if s.as_str() == e.record_iri);
        if let (true, Term::Literal(l)) = (about_record, object) {
            if is_meaningful_identifier(l.value()) {
                identifiers.push(l.value().trim().to_owned());
            }
        }
    })?;
    Ok(identifiers)
}

/// The duplicate keys of the active record graphs as last read by a quality run (kept by
/// the store between runs: `CatalogStore::kept_keys`), each stamped with the last
/// run that saw its graph active.
#[derive(Debug, Default)]
pub(crate) struct KeptKeys {
    /// The number of the last run.
    epoch: u32,
    /// The print of a graph name ([`key_print`]) → (last run that saw the graph active,
    /// its key prints): about 60 bytes a record, where the name as a string took about
    /// 200 (graph names are content-addressed: two graphs with one print would share
    /// their keys, a wrong « en doublon » at worst: about one chance in 30 million at
    /// 1,000,000 records).
    by_graph: hashbrown::HashMap<u64, (u32, Box<[u64]>)>,
    /// Records whose keys were read, or dropped, since the keys were last written to or
    /// read from the store's file of kept keys (`CatalogStore::save_kept_keys`).
    unsaved: usize,
}

/// The first bytes of the file of kept keys ([`KeptKeys::write_to`]); the format number
/// changes with the layout.
const KEYS_FILE_MAGIC: &[u8] = b"moisson duplicate keys 1\n";

/// Keys of one record past which a file of kept keys is taken as damaged (a record has
/// its IRI's key and one per identifier).
const KEYS_FILE_MAX_PER_RECORD: u32 = 65_536;

/// A print of the key rules (`crate::identifiers`, [`key_print`]) over sample IRIs and
/// identifiers of every kind they recognise: a file written under other rules is not read
/// (its keys would no longer match those computed now).
fn key_rules_print() -> u64 {
    const SAMPLES: &[(&str, &[&str])] = &[
        ("https://a.example.org/jdd/1", &[]),
        (
            "HTTP://A.Example.org/jdd/1/",
            &["https://a.example.org/jdd/1"],
        ),
        (
            "https://b.example.org/x?id=7#f",
            &["urn:uuid:0F8FAD5B-D9CB-469F-A165-70867728950E"],
        ),
        (
            "https://c.example.org/d",
            &["{0f8fad5b-d9cb-469f-a165-70867728950e}"],
        ),
        (
            "https://doi.org/10.1234/ABC",
            &["doi:10.1234/abc", "10.1234/abc"],
        ),
        (
            "https://d.example.org/e",
            &["FR-120066022-JDD-1234", "  spaced identifier  "],
        ),
        (
            "urn:x-local:f",
            &["https://e.example.org/ark:/12345/x1", "ark:/12345/x1"],
        ),
        (
            "https://g.example.org/h",
            &["fr-200046977-ZH-2019", "http://g.example.org/h"],
        ),
    ];
    use std::hash::Hasher;
    #[allow(deprecated)] // Fixed keys: a stable print.
    let mut hasher = std::hash::SipHasher::new();
    for (iri, identifiers) in SAMPLES {
        let identifiers: Vec<String> = identifiers.iter().map(|i| (*i).to_owned()).collect();
        for print in key_prints(iri, &identifiers).iter() {
            hasher.write_u64(*print);
        }
        hasher.write_u8(0);
    }
    hasher.finish()
}

impl KeptKeys {
    /// Writes the kept keys to `path` (through a temporary file renamed over it, so a
    /// reader never sees half a file): a process that starts reads them back
    /// ([`KeptKeys::read_from`]) instead of every record's identifiers (30 s at 1,025,000
    /// records).
    pub(crate) fn write_to(&self, path: &std::path::Path) -> std::io::Result<()> {
        use std::io::Write as _;
        // A temporary file of its own: quality runs of several sources end at the same
        // moment, and with one shared name a writer truncated another's file (written
        // by both at once, renamed by one, the other's rename then failing).
        static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let mut temporary = path.as_os_str().to_owned();
        temporary.push(format!(
            ".{}-{}.tmp",
            std::process::id(),
            WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let temporary = std::path::PathBuf::from(temporary);
        let written = (|| {
            let mut out =
                std::io::BufWriter::with_capacity(1 << 16, std::fs::File::create(&temporary)?);
            out.write_all(KEYS_FILE_MAGIC)?;
            out.write_all(&key_rules_print().to_le_bytes())?;
            out.write_all(&(self.by_graph.len() as u64).to_le_bytes())?;
            for (graph, (_, prints)) in &self.by_graph {
                out.write_all(&graph.to_le_bytes())?;
                let count = u32::try_from(prints.len()).unwrap_or(u32::MAX);
                out.write_all(&count.to_le_bytes())?;
                for print in prints.iter().take(count as usize) {
                    out.write_all(&print.to_le_bytes())?;
                }
            }
            out.into_inner().map_err(|e| e.into_error())?.sync_all()
        })();
        match written {
            Ok(()) => std::fs::rename(&temporary, path),
            Err(error) => {
                let _ = std::fs::remove_file(&temporary);
                Err(error)
            }
        }
    }

    /// Reads keys written by [`KeptKeys::write_to`]: `Ok(None)` when there is no file, an
    /// error (with what is wrong) when it is not one, was written under other key rules
    /// or is cut short. Sizes are checked against the file's length before anything is
    /// allocated.
    pub(crate) fn read_from(path: &std::path::Path) -> std::io::Result<Option<Self>> {
        use std::io::Read as _;
        let invalid =
            |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
        let file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let length = file.metadata()?.len();
        let mut input = std::io::BufReader::with_capacity(1 << 16, file);
        let mut magic = vec![0; KEYS_FILE_MAGIC.len()];
        input
            .read_exact(&mut magic)
            .map_err(|_| invalid("not a file of duplicate keys (too short)"))?;
        if magic != KEYS_FILE_MAGIC {
            return Err(invalid("not a file of duplicate keys of this version"));
        }
        let mut word = [0u8; 8];
        let mut next_u64 = |input: &mut std::io::BufReader<std::fs::File>| {
            input
                .read_exact(&mut word)
                .map(|()| u64::from_le_bytes(word))
                .map_err(|_| invalid("cut short"))
        };
        if next_u64(&mut input)? != key_rules_print() {
            return Err(invalid("written under other key rules"));
        }
        let count = next_u64(&mut input)?;
        // Each record takes at least 12 bytes (its graph's print and its number of keys).
        if count > length / 12 {
            return Err(invalid("more records than the file can hold"));
        }
        let mut by_graph = hashbrown::HashMap::with_capacity(count as usize);
        for _ in 0..count {
            let graph = next_u64(&mut input)?;
            let mut half = [0u8; 4];
            input
                .read_exact(&mut half)
                .map_err(|_| invalid("cut short"))?;
            let keys = u32::from_le_bytes(half);
            if keys > KEYS_FILE_MAX_PER_RECORD {
                return Err(invalid("a record with too many keys"));
            }
            let prints = (0..keys)
                .map(|_| next_u64(&mut input))
                .collect::<Result<Box<[u64]>, _>>()?;
            by_graph.insert(graph, (0, prints));
        }
        if input.read(&mut [0u8; 1])? != 0 {
            return Err(invalid("bytes past the last record"));
        }
        Ok(Some(Self {
            epoch: 0,
            by_graph,
            unsaved: 0,
        }))
    }

    /// Records read or dropped since the keys were last written (or read back).
    pub(crate) fn unsaved(&self) -> usize {
        self.unsaved
    }

    /// Records whose keys are kept.
    pub(crate) fn records(&self) -> usize {
        self.by_graph.len()
    }

    /// Notes that the kept keys are those of the file.
    pub(crate) fn mark_saved(&mut self) {
        self.unsaved = 0;
    }

    /// Graphs whose keys are kept.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.by_graph.len()
    }

    /// Whether the keys of `graph` are kept.
    #[cfg(test)]
    pub(crate) fn contains(&self, graph: &str) -> bool {
        self.by_graph.contains_key(&key_print(graph))
    }
}

/// The records of `source` whose IRI another source publishes too, with the copy shown
/// (at most [`SHARED_RECORDS_LIMIT`]), and their number.
pub fn shared_records(active: &[&RecordEntry], source: &str) -> (Vec<SharedRecord>, usize) {
    let mine: HashSet<&str> = active
        .iter()
        .filter(|e| e.source == source)
        .map(|e| e.record_iri.as_str())
        .collect();
    let mut copies: HashMap<&str, Vec<&RecordEntry>> = HashMap::new();
    for &e in active
        .iter()
        .filter(|e| mine.contains(e.record_iri.as_str()))
    {
        copies.entry(e.record_iri.as_str()).or_default().push(e);
    }
    let mut shared: Vec<SharedRecord> = copies
        .into_iter()
        .filter(|(_, c)| c.iter().any(|e| e.source != source))
        .map(|(iri, mut c)| {
            c.sort_by(|a, b| crate::store::order_copies(a, b));
            SharedRecord {
                id: c[0].dataset_id.clone(),
                iri: iri.to_owned(),
                other_sources: c
                    .iter()
                    .filter(|e| e.source != source)
                    .map(|e| e.source.clone())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect(),
                shown_from: c[0].source.clone(),
                same_content: c.iter().all(|e| e.hash == c[0].hash),
            }
        })
        .collect();
    let total = shared.len();
    // Conflicts first (different content), then by IRI.
    shared.sort_by(|a, b| a.same_content.cmp(&b.same_content).then(a.iri.cmp(&b.iri)));
    shared.truncate(SHARED_RECORDS_LIMIT);
    (shared, total)
}

/// The print of everything a record's assessment is made from, but the record and its
/// links: the program (its code, vocabularies and shapes), the source, the day, how
/// records reached us, the SHACL shapes. With the record's graph (content-addressed)
/// and the other sources holding the same dataset, it gives the record's input print;
/// its links are checked apart ([`RunPart::links_unchanged`]).
struct InputPrint(blake3::Hasher);

impl InputPrint {
    fn new(source: &str, how: &SourceAssessment<'_>) -> Self {
        let mut h = blake3::Hasher::new();
        for part in [
            env!("MOISSON_ASSESSMENT_PRINT"),
            source,
            &how.now.date_naive().to_string(),
            &format!("{:?}", how.origin),
            how.conformance.map_or("no shapes", |c| c.version()),
        ] {
            h.update(part.as_bytes());
            h.update(&[0]);
        }
        Self(h)
    }

    /// The input print of record `e`, held by `duplicate_sources` too.
    fn of(&self, e: &RecordEntry, duplicate_sources: &[String]) -> u64 {
        let mut h = self.0.clone();
        for part in [
            e.graph.as_str(),
            e.record_iri.as_str(),
            e.dataset_id.as_str(),
            &format!("{:?}", e.kind),
        ] {
            h.update(part.as_bytes());
            h.update(&[0]);
        }
        for s in duplicate_sources {
            h.update(s.as_bytes());
            h.update(&[1]);
        }
        let bytes = h.finalize();
        let mut first = [0_u8; 8];
        first.copy_from_slice(&bytes.as_bytes()[..8]);
        u64::from_le_bytes(first)
    }
}

/// What a quality run gathers record by record.
#[derive(Default)]
struct RunTally {
    tally: ReportTally,
    fixes: FixTally,
    scores: RunScores,
    summaries: RunSummaries,
}

/// Counts of a quality run: records assessed (their graph read) and counted from the
/// previous run's summaries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunCounts {
    /// Records whose graph was read and assessed.
    pub assessed: usize,
    /// Records counted from the previous run's summary (inputs unchanged).
    pub reused: usize,
}

/// What a quality run may take from the previous one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reuse {
    /// Records whose inputs did not change are counted from their summaries.
    Unchanged,
    /// Every record is read and assessed (`moisson quality --recompute`).
    Nothing,
}

/// Assesses every active record of `source`, stores the run (DQV, trend point, report)
/// and returns the report with its trend.
pub fn assess_source(
    store: &CatalogStore,
    source: &str,
    how: &SourceAssessment<'_>,
) -> Result<SourceQualityReport, StoreError> {
    assess_source_counted(store, source, how, Reuse::Unchanged).map(|(report, _)| report)
}

/// [`assess_source`], with how many records were read and how many were counted from
/// the previous run.
///
/// A record whose input print (its graph, which is content-addressed, and everything
/// else it is assessed with: [`InputPrint`]) equals the one stored with its summary by
/// the previous run is counted from that summary and what the run kept beside it
/// ([`RunPart`]: values, publisher, whole specifics) without being read: the report,
/// fixes, scores and summaries are the ones a full run would make.
pub fn assess_source_counted(
    store: &CatalogStore,
    source: &str,
    how: &SourceAssessment<'_>,
    reuse: Reuse,
) -> Result<(SourceQualityReport, RunCounts), StoreError> {
    // One run of a source at a time (`CatalogStore::quality_turn`).
    let turn = store.quality_turn(source);
    let _turn = turn.lock().unwrap_or_else(|e| e.into_inner());
    // Every source's registry, shared with the store's cache, not copied.
    let registries = store.registries()?;
    let all: Vec<&RecordEntry> = registries
        .iter()
        .flat_map(|r| r.entries())
        .filter(|e| e.state == RecordState::Active)
        .collect();
    let duplicates = duplicate_index(store, &all, source)?;
    let mut entries: Vec<&RecordEntry> =
        all.iter().copied().filter(|e| e.source == source).collect();
    // Reports list records by IRI.
    entries.sort_by(|a, b| a.record_iri.cmp(&b.record_iri));
    // A read-only store (next to a running server) keeps neither the SHACL cache nor the run.
    let writable = !store.is_read_only();
    let none: Vec<String> = Vec::new();
    let print = InputPrint::new(source, how);
    let print_of = |e: &RecordEntry| print.of(e, duplicates.get(&e.graph).unwrap_or(&none));
    // Read once: a link check saved during the run moves it on, and the records
    // assessed after it are checked against their links at the next run.
    let epoch = how.links.epoch();
    let mut run = RunTally::default();
    let mut counts = RunCounts::default();
    // Records whose inputs are unchanged since the previous run: counted from its
    // summaries, read in their stored order.
    let mut done = vec![false; entries.len()];
    // Each record's input print, computed once: the records assessed below need theirs
    // for their summary (a run reusing nothing computes them there).
    let prints: Vec<u64> = if reuse == Reuse::Unchanged {
        entries.iter().map(|e| print_of(e)).collect()
    } else {
        Vec::new()
    };
    if reuse == Reuse::Unchanged {
        let mut by_print: HashMap<u64, usize> = prints
            .iter()
            .enumerate()
            .map(|(at, fp)| (*fp, at))
            .collect();
        let read = store.for_each_record_quality_with_part(source, |line, summary, part| {
            let Some(mut part) = part else {
                return Ok::<_, StoreError>(());
            };
            let Some(&at) = by_print.get(&part.fp) else {
                return Ok(());
            };
            let e = entries[at];
            if summary.iri != e.record_iri || summary.id != e.dataset_id || summary.source != source
            {
                return Ok(());
            }
            if !part.links_unchanged(how.links, epoch)
                || !run.tally.add_summary(&summary, &part, how.origin)
            {
                return Ok(());
            }
            by_print.remove(&part.fp);
            run.fixes.add(&summary, how.origin);
            if writable && part.e == epoch {
                run.summaries.add_line(line);
            } else if writable {
                // Its links were looked up and found as they were: the next run need not
                // look them up again while the epoch stays.
                part.e = epoch;
                run.summaries.add_with_part(&summary, Some(&part))?;
            }
            if writable {
                run.scores
                    .add(&summary.iri, super::score::out_of_100(summary.points));
            }
            done[at] = true;
            counts.reused += 1;
            Ok(())
        });
        if let Err(e) = read {
            // Damaged summaries: every record is assessed, as before any run.
            tracing::warn!(source, error = %e, "previous quality run unreadable: every record is assessed");
            run = RunTally::default();
            counts = RunCounts::default();
            done.iter_mut().for_each(|d| *d = false);
        }
    }
    let assess = Assessor {
        store,
        how,
        duplicates: &duplicates,
        writable,
    };
    // The others, one at a time: an assessment is counted, summarised and dropped (a run
    // holding them all took 6.5 GB at 1,025,000 records); records go by chunks of 2,000,
    // whose cached SHACL results are read, and new ones saved, together.
    let to_assess: Vec<(&RecordEntry, Option<u64>)> = entries
        .iter()
        .enumerate()
        .filter(|(at, _)| !done[*at])
        .map(|(at, e)| (*e, prints.get(at).copied()))
        .collect();
    drop(done);
    drop(prints);
    for chunk in to_assess.chunks(CONFORMITY_CHUNK) {
        let records: Vec<&RecordEntry> = chunk.iter().map(|(e, _)| *e).collect();
        // `each` gives the chunk's records in order; a print not known here is computed.
        let mut known = chunk.iter();
        assess.each(&records, |e, assessment, links| {
            let fp = known
                .next()
                .filter(|(k, _)| std::ptr::eq(*k, e))
                .and_then(|(_, fp)| *fp)
                .unwrap_or_else(|| print_of(e));
            run.tally.add(&e.dataset_id, &assessment);
            // The summary is grouped into the fixes and serialised, then dropped.
            let summary = RecordQuality::from_assessment(&e.dataset_id, source, &assessment);
            run.fixes.add(&summary, how.origin);
            if writable {
                let part = RunPart::of(&assessment, fp, links, epoch);
                run.summaries.add_with_part(&summary, Some(&part))?;
                run.scores.add(&assessment.record_iri, assessment.score);
            }
            counts.assessed += 1;
            Ok(())
        })?;
    }
    let RunTally {
        tally,
        fixes,
        scores,
        summaries,
    } = run;
    let computed_at = how.now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut report = tally.finish(source, &computed_at);
    (report.shared_records, report.shared_records_total) = shared_records(&all, source);
    report.fix_groups = fixes.finish();
    if !writable {
        return Ok((report, counts));
    }
    store.save_quality_run(&report, scores)?;
    store.save_record_qualities(source, summaries)?;
    Ok((store.quality_report(source)?.unwrap_or(report), counts))
}

/// A record's link lookups, noted (each URL once) for the next run to check them.
struct LinksSeen<'a> {
    links: &'a dyn LinkLookup,
    seen: RefCell<Vec<(String, u8)>>,
}

impl LinkLookup for LinksSeen<'_> {
    fn health(&self, url: &str) -> Option<LinkHealth> {
        let health = self.links.health(url);
        let mut seen = self.seen.borrow_mut();
        if !seen.iter().any(|(u, _)| u == url) {
            seen.push((url.to_owned(), health_code(health)));
        }
        health
    }

    fn epoch(&self) -> Option<u64> {
        self.links.epoch()
    }
}

/// Reads and assesses records of a run, with their cached SHACL results (new ones are
/// computed from the same read and saved).
struct Assessor<'a> {
    store: &'a CatalogStore,
    how: &'a SourceAssessment<'a>,
    duplicates: &'a HashMap<String, Vec<String>>,
    writable: bool,
}

impl Assessor<'_> {
    /// Calls `each` with every record of `chunk` (in order), its assessment and the links
    /// it looked up (with their [`health_code`]).
    fn each(
        &self,
        chunk: &[&RecordEntry],
        mut each: impl FnMut(
            &RecordEntry,
            RecordAssessment,
            Vec<(String, u8)>,
        ) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let none: Vec<String> = Vec::new();
        // SHACL results of unchanged record graphs are reused; the others are computed
        // below, from the same read of the record as its indicators, and cached.
        let known = match self.how.conformance {
            Some(validator) => {
                let graphs: Vec<&str> = chunk.iter().map(|e| e.graph.as_str()).collect();
                self.store.cached_conformity(&graphs, validator.version())?
            }
            None => HashMap::new(),
        };
        let mut fresh: Vec<(String, Vec<ConformityIssue>)> = Vec::new();
        let today = self.how.now.date_naive();
        for e in chunk {
            let graph = RecordGraph::from_quads(&self.store.graph_quads(&e.graph)?);
            let computed = match (self.how.conformance, known.contains_key(&e.graph)) {
                (Some(validator), false) => Some(validator.check(&graph)),
                _ => None,
            };
            let links = LinksSeen {
                links: self.how.links,
                seen: RefCell::new(Vec::new()),
            };
            let context = AssessContext {
                today,
                origin: self.how.origin,
                conformity: computed
                    .as_deref()
                    .or_else(|| known.get(&e.graph).map(Vec::as_slice)),
                links: &links,
                duplicate_sources: self.duplicates.get(&e.graph).unwrap_or(&none),
            };
            let assessment = assess_record(&e.record_iri, e.kind, &graph, &context);
            each(e, assessment, links.seen.into_inner())?;
            if let Some(issues) = computed {
                fresh.push((e.graph.clone(), issues));
            }
        }
        match self.how.conformance {
            Some(validator) if self.writable && !fresh.is_empty() => {
                self.store.save_conformity(&fresh, validator.version())
            }
            _ => Ok(()),
        }
    }
}

/// Assesses records given as quads (offline validation of one document).
pub fn assess_records(
    records: &[(String, crate::model::RecordKind, Vec<oxigraph::model::Quad>)],
    how: &SourceAssessment<'_>,
) -> Vec<(String, RecordAssessment)> {
    let none: Vec<String> = Vec::new();
    let mut out = Vec::with_capacity(records.len());
    for (iri, kind, quads) in records {
        let graph = RecordGraph::from_quads(quads);
        let issues = how.conformance.map(|c| c.check(&graph));
        let context = AssessContext {
            today: how.now.date_naive(),
            origin: how.origin,
            conformity: issues.as_deref(),
            links: how.links,
            duplicate_sources: &none,
        };
        out.push((
            crate::model::dataset_id(iri),
            assess_record(iri, *kind, &graph, &context),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RecordKind;
    use oxigraph::model::{Literal, NamedNode, Quad};
    use std::collections::BTreeMap;

    fn entry(source: &str, graph: &str, iri: &str) -> RecordEntry {
        RecordEntry {
            graph: format!("urn:moisson:record:{graph}"),
            source: source.into(),
            record_iri: iri.into(),
            dataset_id: graph.into(),
            kind: RecordKind::Dataset,
            hash: graph.into(),
            page_url: "https://example.org/catalogue".into(),
            first_seen: "2026-01-01T00:00:00Z".into(),
            last_changed: "2026-01-01T00:00:00Z".into(),
            state: RecordState::Active,
            withdrawn_at: None,
        }
    }

    /// Stores `identifier` as the `dct:identifier` of record `e` (its graph's quads).
    fn identify(store: &CatalogStore, e: &RecordEntry, identifier: &str) {
        let quad = Quad::new(
            NamedNode::new_unchecked(&e.record_iri),
            NamedNode::new_unchecked(dct::IDENTIFIER),
            Literal::new_simple_literal(identifier),
            NamedNode::new_unchecked(&e.graph),
        );
        store.oxigraph().insert(&quad).expect("insert");
    }

    fn duplicates_of(
        store: &CatalogStore,
        active: &[RecordEntry],
        source: &str,
    ) -> BTreeMap<String, Vec<String>> {
        let refs: Vec<&RecordEntry> = active.iter().collect();
        duplicate_index(store, &refs, source)
            .expect("index")
            .into_iter()
            .map(|(graph, sources)| {
                (
                    graph.trim_start_matches("urn:moisson:record:").to_owned(),
                    sources,
                )
            })
            .collect()
    }

    /// The same IRI in another source, an identifier holding another record's IRI (in
    /// another source, or in the same one), a UUID in another case: each found, from the
    /// side of each source; a record that changes is read again, and the keys of graphs
    /// gone are not kept.
    #[test]
    fn records_sharing_a_key_are_found_and_the_kept_keys_follow_changes() {
        let store = CatalogStore::in_memory().expect("store");
        let mut active = vec![
            entry("a", "a1", "https://a.example.org/1"),
            entry("a", "a2", "https://a.example.org/2"),
            entry("a", "a3", "https://a.example.org/3"),
            entry("a", "a4", "https://a.example.org/4"),
            entry("b", "b9", "https://b.example.org/9"),
            entry("c", "c1", "https://a.example.org/1/"),
            entry("c", "c7", "https://c.example.org/7"),
        ];
        identify(&store, &active[1], "https://b.example.org/9");
        identify(&store, &active[2], "https://a.example.org/4");
        identify(&store, &active[3], "0F8FAD5B-D9CB-469F-A165-70867728950E");
        identify(&store, &active[6], "{0f8fad5b-d9cb-469f-a165-70867728950e}");
        // Too generic to mean « same dataset »: ignored.
        identify(&store, &active[4], "a remplir");
        let strings = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            duplicates_of(&store, &active, "a"),
            BTreeMap::from([
                ("a1".to_owned(), strings(&["c"])),
                ("a2".to_owned(), strings(&["b"])),
                ("a3".to_owned(), strings(&["a"])),
                ("a4".to_owned(), strings(&["a", "c"])),
            ])
        );
        assert_eq!(
            duplicates_of(&store, &active, "b"),
            BTreeMap::from([("b9".to_owned(), strings(&["a"]))])
        );
        assert_eq!(store.kept_keys().len(), 7, "every active graph's keys kept");
        // Taken away: the next run reads every record again, with the same answer.
        assert_eq!(duplicates_of(&store, &active, "b").len(), 1);
        // a2 changes (a new graph, without the identifier); c7 is withdrawn.
        active[1] = entry("a", "a2-v2", "https://a.example.org/2");
        active.remove(6);
        let a = duplicates_of(&store, &active, "a");
        assert!(!a.contains_key("a2-v2"), "{a:?}");
        assert_eq!(a["a4"], strings(&["a"]));
        assert!(duplicates_of(&store, &active, "b").is_empty());
        let kept = std::mem::take(&mut *store.kept_keys());
        assert_eq!(kept.len(), 6);
        assert!(!kept.contains("urn:moisson:record:a2"));
        assert!(!kept.contains("urn:moisson:record:c7"));
        assert_eq!(
            duplicates_of(&store, &active, "x"),
            BTreeMap::new(),
            "no such source"
        );
    }

    /// The store's own records: a record's keys come from its graph's `dct:identifier`.
    fn sharing_records() -> Vec<RecordEntry> {
        vec![
            entry("a", "a1", "https://a.example.org/1"),
            entry("a", "a2", "https://a.example.org/2"),
            entry("b", "b1", "https://b.example.org/1"),
        ]
    }

    /// A process that starts reads the keys the last one wrote instead of every record's
    /// identifiers: after a restart, a record whose identifier quads were taken out of its
    /// (content-addressed) graph is still found sharing its key, which only the file can
    /// tell; without the file (or with a damaged one) the identifiers are read again.
    #[test]
    fn kept_keys_outlive_the_process() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("store");
        let active = sharing_records();
        let quad = |e: &RecordEntry, id: &str| {
            Quad::new(
                NamedNode::new_unchecked(&e.record_iri),
                NamedNode::new_unchecked(dct::IDENTIFIER),
                Literal::new_simple_literal(id),
                NamedNode::new_unchecked(&e.graph),
            )
        };
        {
            let store = CatalogStore::open(&path).expect("store");
            identify(&store, &active[1], "https://b.example.org/1");
            let found = duplicates_of(&store, &active, "a");
            assert_eq!(found["a2"], vec!["b".to_owned()]);
            store
                .oxigraph()
                .remove(&quad(&active[1], "https://b.example.org/1"))
                .expect("remove");
        }
        let file = CatalogStore::key_prints_path(&path);
        let read = KeptKeys::read_from(&file).expect("read").expect("written");
        assert_eq!(read.records(), 3);
        assert_eq!(read.unsaved(), 0);
        // A write another process left halfway (no process has the number 0).
        let stale = dir.path().join("store.keys.0-7.tmp");
        std::fs::write(&stale, b"moisson").expect("stale");
        {
            let store = CatalogStore::open(&path).expect("reopened");
            let found = duplicates_of(&store, &active, "a");
            assert_eq!(
                found.get("a2"),
                Some(&vec!["b".to_owned()]),
                "keys read from the file"
            );
        }
        assert!(!stale.is_file(), "the stale temporary file is removed");
        // A damaged file is not read: the identifiers are (and the quad is gone).
        let bytes = std::fs::read(&file).expect("bytes");
        std::fs::write(&file, &bytes[..bytes.len() - 3]).expect("cut");
        {
            let store = CatalogStore::open(&path).expect("reopened");
            assert!(duplicates_of(&store, &active, "a").is_empty());
        }
        // The run that read every record wrote the file again.
        let again = KeptKeys::read_from(&file).expect("read").expect("written");
        assert_eq!(again.records(), 3);
        std::fs::remove_file(&file).expect("remove");
        {
            let store = CatalogStore::open(&path).expect("reopened");
            assert!(duplicates_of(&store, &active, "a").is_empty());
        }
    }

    /// Quality runs of several sources at once each use the kept keys (one after the
    /// other): none starts from an empty set and reads every record's identifiers again,
    /// which a record whose identifier quads were taken out of its graph tells (only the
    /// kept keys still know it shares its key).
    #[test]
    fn concurrent_runs_share_the_kept_keys() {
        let store = CatalogStore::in_memory().expect("store");
        let mut active = sharing_records();
        active.extend((0..3_000).map(|n| {
            let iri = format!("https://c.example.org/{n}");
            entry("c", &format!("c{n}"), &iri)
        }));
        identify(&store, &active[1], "https://b.example.org/1");
        assert_eq!(
            duplicates_of(&store, &active, "a")["a2"],
            vec!["b".to_owned()]
        );
        store
            .oxigraph()
            .remove(&Quad::new(
                NamedNode::new_unchecked(&active[1].record_iri),
                NamedNode::new_unchecked(dct::IDENTIFIER),
                Literal::new_simple_literal("https://b.example.org/1"),
                NamedNode::new_unchecked(&active[1].graph),
            ))
            .expect("remove");
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..10 {
                        let found = duplicates_of(&store, &active, "a");
                        assert_eq!(found.get("a2"), Some(&vec!["b".to_owned()]));
                    }
                });
            }
        });
    }

    /// Quality runs of several sources write the kept keys at the same moment: each
    /// write succeeds and the file is always one of them whole, never a mix.
    #[test]
    fn concurrent_writes_of_kept_keys_leave_one_whole_file() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("store.keys");
        let keys = |writer: u64| {
            let mut kept = KeptKeys::default();
            for graph in 0..20_000_u64 {
                let prints = vec![writer; 1 + (graph % 3) as usize].into_boxed_slice();
                kept.by_graph.insert(graph, (0, prints));
            }
            kept
        };
        std::thread::scope(|scope| {
            for writer in 0..4 {
                let (file, kept) = (&file, keys(writer));
                scope.spawn(move || {
                    for _ in 0..10 {
                        kept.write_to(file).expect("every write succeeds");
                    }
                });
            }
        });
        let read = KeptKeys::read_from(&file)
            .expect("readable")
            .expect("written");
        assert_eq!(read.by_graph.len(), 20_000);
        let writer = read.by_graph[&0].1[0];
        assert!(
            read.by_graph
                .values()
                .all(|(_, p)| p.iter().all(|k| *k == writer)),
            "one writer's keys only"
        );
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
    }

    /// What `read_from` refuses, each with its reason: no file is `None`; a file of
    /// another kind, cut short, with bytes past the end, with counts its length cannot
    /// hold (refused before anything is allocated), or written under other key rules.
    #[test]
    fn damaged_files_of_kept_keys_are_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("store.keys");
        assert!(KeptKeys::read_from(&file).expect("no file").is_none());
        let store = CatalogStore::in_memory().expect("store");
        let active = sharing_records();
        identify(&store, &active[0], "FR-120066022-JDD-1234");
        duplicates_of(&store, &active, "a");
        let kept = std::mem::take(&mut *store.kept_keys());
        kept.write_to(&file).expect("write");
        let good = std::fs::read(&file).expect("bytes");
        let back = KeptKeys::read_from(&file).expect("read").expect("some");
        assert_eq!(back.by_graph.len(), kept.by_graph.len());
        for (graph, (_, prints)) in &kept.by_graph {
            assert_eq!(back.by_graph[graph].1, *prints);
        }
        assert_eq!(
            std::fs::read_dir(dir.path()).expect("dir").count(),
            1,
            "the temporary file is renamed"
        );
        let refused = |bytes: &[u8], why: &str| {
            std::fs::write(&file, bytes).expect("write");
            let error = KeptKeys::read_from(&file).expect_err(why);
            assert_eq!(error.kind(), std::io::ErrorKind::InvalidData, "{why}");
            assert!(error.to_string().contains(why), "{error} / {why}");
        };
        let header = KEYS_FILE_MAGIC.len();
        refused(b"moisson", "too short");
        refused(
            &[b"other file\n".as_slice(), &good[11..]].concat(),
            "not a file",
        );
        refused(&good[..good.len() - 1], "cut short");
        refused(&[good.as_slice(), &[0]].concat(), "past the last record");
        let mut rules = good.clone();
        rules[header] ^= 1;
        refused(&rules, "other key rules");
        let mut count = good.clone();
        count[header + 8..header + 16].copy_from_slice(&u64::MAX.to_le_bytes());
        refused(&count, "more records than the file can hold");
        let mut keys = good.clone();
        keys[header + 24..header + 28].copy_from_slice(&u32::MAX.to_le_bytes());
        refused(&keys, "too many keys");
    }
}
