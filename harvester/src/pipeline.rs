//! The record pipeline every protocol shares once it has a page's triples: group them into
//! records, leave out the records a parse error poisoned, compare each with the source's
//! registry and name the graph of each new version. Nothing here writes: the job
//! ([`crate::job`]) materializes the new versions one by one into the harvest's writer,
//! so a page's records are never all copied out of the interned page graph at once.

use moisson_catalog::{record_graph_name, RecordKind, Registry};
use oxigraph::model::{NamedNode, Triple, TripleRef};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use crate::limits::ParseLimits;
use crate::parse::ParseIssue;
use crate::records::{extract_records_within, ExtractedRecord, PageGraph, PageLinks, PageRecords};

/// What became of one record of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordOutcome {
    /// New to the store.
    Added,
    /// Content changed.
    Updated,
    /// Same content as stored.
    Unchanged,
}

/// One record taken from a page.
#[derive(Debug, Clone)]
pub struct TakenRecord {
    /// Record IRI.
    pub iri: String,
    /// Kind.
    pub kind: RecordKind,
    /// Content hash.
    pub hash: String,
    /// The graph holding this version.
    pub graph: String,
    /// What happened.
    pub outcome: RecordOutcome,
}

/// What reading a page found, besides the triples of its records.
#[derive(Debug, Default)]
pub struct PageOutcome {
    /// Records taken, once each, in page order.
    pub records: Vec<TakenRecord>,
    /// Rejected records: (record IRI or description, message).
    pub rejected: Vec<(String, String)>,
    /// Recoverable parse errors.
    pub issues: Vec<ParseIssue>,
    /// Ill-typed literals of taken records: (record IRI, description).
    pub ill_typed: Vec<(String, String)>,
    /// What was left out of taken records (over-long literals, invalid IRIs): (record IRI,
    /// message for the producer).
    pub warnings: Vec<(String, String)>,
    /// Paging links found (Hydra).
    pub links: PageLinks,
}

/// Time spent reading one page, by step.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadTimes {
    /// Parsing the body into triples (CSW: mapping the XML records to triples).
    pub parse: Duration,
    /// Grouping the triples into records, hashing them and comparing them with the
    /// registry.
    pub group: Duration,
}

/// A page read into records, nothing written yet: the page's triples are kept so that the
/// new versions can be materialized one at a time ([`ReadPage::with_new_version`]).
pub struct ReadPage {
    graph: PageGraph,
    extracted: Vec<ExtractedRecord>,
    /// Index in `extracted` and graph name of each record whose version is new.
    new: Vec<(usize, NamedNode)>,
    /// What the page brought.
    pub outcome: PageOutcome,
    /// Where the time went.
    pub times: ReadTimes,
}

impl ReadPage {
    /// Each new record version's record (IRI, kind) and triples, materialized one at a
    /// time: what the validator's preview shows (against an empty registry every record
    /// is new).
    pub fn new_records(&self) -> impl Iterator<Item = (&ExtractedRecord, Vec<Triple>)> + '_ {
        self.new.iter().map(|(i, _)| {
            let record = &self.extracted[*i];
            (record, record.materialize(&self.graph))
        })
    }

    /// The graph name and triples of the `k`-th new record version (in the order of
    /// [`Self::with_new_version`]), materialized alone: what a reader of one record of a kept
    /// page needs.
    pub fn new_version(&self, k: usize) -> Option<(&NamedNode, Vec<Triple>)> {
        let (i, name) = self.new.get(k)?;
        Some((name, self.extracted[*i].materialize(&self.graph)))
    }

    /// Calls `f` with the graph name and borrowed triples of the `k`-th new record version
    /// (see [`Self::new_version`]), without an owned copy of each term; `None` past the
    /// last.
    pub fn with_new_version<T>(
        &self,
        k: usize,
        f: impl FnOnce(&NamedNode, &[TripleRef<'_>]) -> T,
    ) -> Option<T> {
        let (i, name) = self.new.get(k)?;
        Some(self.extracted[*i].with_triples(&self.graph, |triples| f(name, triples)))
    }

    /// How many record versions are new.
    pub fn new_version_count(&self) -> usize {
        self.new.len()
    }

    /// Drops the page's triples and keeps what the job needs.
    pub fn into_outcome(self) -> PageOutcome {
        self.outcome
    }
}

/// Groups `graph` into records (leaving out those whose subject a parse error poisoned),
/// compares each with `registry` (the source's registry keyed by record IRI) and names the
/// graph of each new version. A record repeated on the page is taken once.
pub fn take_records(
    source: &str,
    mut graph: PageGraph,
    poisoned: &HashMap<u32, String>,
    registry: &Registry,
    limits: &ParseLimits,
) -> ReadPage {
    let started = Instant::now();
    let extracted = extract_records_within(&mut graph, poisoned, limits);
    // What each record is against the registry, on every core for a large page: its
    // ill-typed literals and its version (the stored graph, or a new one named).
    let compare = |record: &ExtractedRecord| -> Compared {
        let version = match registry.get(&record.iri) {
            Some(entry) if entry.hash == record.hash => Version::Stored(entry.graph.clone()),
            previous => Version::New {
                name: record_graph_name(source, &record.iri, &record.hash),
                updated: previous.is_some(),
            },
        };
        Compared {
            ill_typed: record.ill_typed_literals(&graph),
            version,
        }
    };
    let count = extracted.records.len();
    let parts = crate::parallel::threads_for(count, PARALLEL_COMPARE_MIN_RECORDS);
    let compared: Vec<Compared> = crate::parallel::run_parts(parts, |k| {
        extracted.records[crate::parallel::share(count, parts, k)]
            .iter()
            .map(compare)
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flat_map(|part| part.unwrap_or_default())
    .collect();
    let compared = if compared.len() == count {
        compared
    } else {
        // A part panicked: compare on this thread, where a panic is the caller's.
        extracted.records.iter().map(compare).collect()
    };
    take_compared(graph, extracted, compared, started)
}

/// What [`take_records`] finds of one record against the registry.
struct Compared {
    ill_typed: Vec<String>,
    version: Version,
}

/// A record's version against the registry.
enum Version {
    /// Unchanged: the graph that holds it.
    Stored(String),
    /// New content, for a graph of this name; `updated` when the registry held another.
    New { name: NamedNode, updated: bool },
}

/// Records below which a page's records are compared with the registry by one thread.
const PARALLEL_COMPARE_MIN_RECORDS: usize = 2048;

/// The end of [`take_records`]: each record taken once, in page order.
fn take_compared(
    graph: PageGraph,
    extracted: PageRecords,
    compared: Vec<Compared>,
    started: Instant,
) -> ReadPage {
    let mut records = Vec::with_capacity(extracted.records.len());
    let mut new = Vec::new();
    let mut taken = HashSet::new();
    let mut ill_typed = Vec::new();
    for (i, (record, compared)) in extracted.records.iter().zip(compared).enumerate() {
        if !taken.insert(record.iri.as_str()) {
            continue;
        }
        ill_typed.extend(
            compared
                .ill_typed
                .into_iter()
                .map(|literal| (record.iri.clone(), literal)),
        );
        let (outcome, graph) = match compared.version {
            Version::Stored(graph) => (RecordOutcome::Unchanged, graph),
            Version::New { name, updated } => {
                let graph = name.as_str().to_owned();
                new.push((i, name));
                let outcome = if updated {
                    RecordOutcome::Updated
                } else {
                    RecordOutcome::Added
                };
                (outcome, graph)
            }
        };
        records.push(TakenRecord {
            iri: record.iri.clone(),
            kind: record.kind,
            hash: record.hash.clone(),
            graph,
            outcome,
        });
    }
    let outcome = PageOutcome {
        records,
        rejected: extracted
            .rejected
            .into_iter()
            .map(|r| (r.iri, r.message))
            .collect(),
        issues: Vec::new(),
        ill_typed,
        warnings: extracted
            .warnings
            .into_iter()
            .map(|w| (w.iri, w.message))
            .collect(),
        links: extracted.links,
    };
    let memory = moisson_catalog::resident::Resident::now();
    tracing::debug!(
        terms = graph.term_count(),
        triples = graph.len(),
        records = extracted.records.len(),
        rss_mib = memory.rss_mib as u64,
        peak_mib = memory.peak_mib as u64,
        "page grouped"
    );
    ReadPage {
        graph,
        extracted: extracted.records,
        new,
        outcome,
        times: ReadTimes {
            parse: Duration::ZERO,
            group: started.elapsed(),
        },
    }
}
