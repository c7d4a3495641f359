//! Streaming export of the active records as DCAT-AP.
//!
//! [`ExportWriter`] is the one serializer of exports (prefixes, formats, record graphs
//! streamed quad by quad); [`ActiveSnapshot`] is the ordered list of active records that
//! paged exports slice, cached until the registry changes.
//!
//! Invariant: an export is always well-formed and holds no forged triple. A triple the
//! format cannot write as it is (an invalid IRI, a predicate RDF/XML cannot name…, see
//! [`super::writable`]) is skipped and counted ([`ExportWriter::skipped`]); the writer
//! then ends the document with a comment saying how many were (Turtle, N-Triples,
//! RDF/XML; JSON-LD has no comments).

use chrono::{DateTime, Utc};
use oxigraph::io::{JsonLdProfileSet, RdfFormat, RdfSerializer, WriterQuadSerializer};
use oxigraph::model::{NamedNode, Term, TripleRef};
use std::io::Write;
use std::sync::Arc;

use super::federated::Assigned;
use super::{CatalogStore, RecordEntry, RecordState, StoreError};
use crate::vocab::foaf;

/// Serializations of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Turtle.
    Turtle,
    /// RDF/XML.
    RdfXml,
    /// JSON-LD (expanded, streamed).
    JsonLd,
    /// N-Triples.
    NTriples,
}

impl ExportFormat {
    /// Returns the format named `name` (`turtle`, `rdfxml`, `jsonld`, `ntriples`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "turtle" | "ttl" => Some(Self::Turtle),
            "rdfxml" | "rdf" | "xml" => Some(Self::RdfXml),
            "jsonld" | "json-ld" => Some(Self::JsonLd),
            "ntriples" | "nt" | "n-triples" => Some(Self::NTriples),
            _ => None,
        }
    }

    /// Returns the IANA media type.
    pub fn media_type(self) -> &'static str {
        self.rdf_format().media_type()
    }

    fn rdf_format(self) -> RdfFormat {
        match self {
            Self::Turtle => RdfFormat::Turtle,
            Self::RdfXml => RdfFormat::RdfXml,
            Self::JsonLd => RdfFormat::JsonLd {
                profile: JsonLdProfileSet::empty(),
            },
            Self::NTriples => RdfFormat::NTriples,
        }
    }
}

const PREFIXES: [(&str, &str); 10] = [
    ("dcat", "http://www.w3.org/ns/dcat#"),
    ("dct", "http://purl.org/dc/terms/"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("vcard", "http://www.w3.org/2006/vcard/ns#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ("locn", "http://www.w3.org/ns/locn#"),
    ("adms", "http://www.w3.org/ns/adms#"),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("hydra", "http://www.w3.org/ns/hydra/core#"),
];

/// A serializer of DCAT-AP exports: the usual prefixes, then triples as they come,
/// skipping (and counting) those the format cannot write.
pub struct ExportWriter<W: Write> {
    inner: WriterQuadSerializer<W>,
    format: ExportFormat,
    skipped: u64,
}

impl ExportFormat {
    /// Returns a writer of this format over `out`.
    pub fn writer<W: Write>(self, out: W) -> Result<ExportWriter<W>, StoreError> {
        let mut serializer = RdfSerializer::from_format(self.rdf_format());
        for (prefix, iri) in PREFIXES {
            serializer = serializer
                .with_prefix(prefix, iri)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        }
        Ok(ExportWriter {
            inner: serializer.for_writer(out),
            format: self,
            skipped: 0,
        })
    }
}

impl<W: Write> ExportWriter<W> {
    /// Writes one triple, or skips it (and counts it) when the format cannot write it.
    pub fn triple<'a>(&mut self, triple: impl Into<TripleRef<'a>>) -> Result<(), StoreError> {
        let triple: TripleRef<'a> = triple.into();
        if !super::writable::writable(self.format, triple) {
            self.skipped += 1;
            return Ok(());
        }
        Ok(self.inner.serialize_triple(triple)?)
    }

    /// Returns how many triples were skipped because the format cannot write them.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Writes the triples of record graph `graph` of `store`, and returns the subjects
    /// that name `record_iri` as their `foaf:primaryTopic` (the source's own catalogue
    /// records of it).
    pub fn record_graph(
        &mut self,
        store: &CatalogStore,
        graph: &str,
        record_iri: &str,
    ) -> Result<Vec<NamedNode>, StoreError> {
        let mut original_records = Vec::new();
        for quad in store.graph_quads(graph)? {
            if quad.predicate.as_str() == foaf::PRIMARY_TOPIC {
                if let (oxigraph::model::NamedOrBlankNode::NamedNode(s), Term::NamedNode(o)) =
                    (&quad.subject, &quad.object)
                {
                    if o.as_str() == record_iri {
                        original_records.push(s.clone());
                    }
                }
            }
            self.triple(TripleRef::new(&quad.subject, &quad.predicate, &quad.object))?;
        }
        Ok(original_records)
    }

    /// Ends the document and returns the output. When triples were skipped, a comment
    /// after the document says how many (formats with comments).
    pub fn finish(self) -> Result<W, StoreError> {
        let mut out = self.inner.finish()?;
        if self.skipped > 0 {
            let note = format!(
                "{} triples skipped: not writable in this format (invalid IRI or term, or a \
                 predicate RDF/XML cannot name)",
                self.skipped
            );
            match self.format {
                ExportFormat::Turtle | ExportFormat::NTriples => writeln!(out, "# {note}")?,
                ExportFormat::RdfXml => writeln!(out, "<!-- {note} -->")?,
                ExportFormat::JsonLd => {}
            }
        }
        Ok(out)
    }
}

/// One active record, as paged exports list it: its registry entry (the snapshot of
/// active records points into the cached registries instead of copying them).
pub type ActiveRecord = RecordEntry;

/// Every active record at one registry generation, sorted by source then record IRI.
#[derive(Debug)]
pub struct ActiveSnapshot {
    /// The registry generation it was read at ([`CatalogStore::registry_generation`]).
    pub generation: u64,
    /// A hash of the graphs of every active record in order: equal hashes, equal exports.
    pub content_hash: String,
    /// The latest change of the registry: a record added, changed or withdrawn.
    pub last_modified: Option<DateTime<Utc>>,
    /// The registries the records are read from (shared with the store's cache).
    registries: Vec<super::Registry>,
    /// Each active record as (registry, entry) numbers, sorted by source then record IRI
    /// (a stable order for paging): 8 bytes a record, where a copy of each entry took
    /// about 500 (1,025,000 records: a snapshot built by the first sitemap, export page or
    /// metrics scrape peaked 800 MB above the server and kept about 500 MB).
    order: Vec<(u32, u32)>,
    /// The sources with an active record, in order, each with the range of its records
    /// and a hash of their graphs (as `content_hash`, over that source's records).
    sources: Vec<(String, std::ops::Range<usize>, String)>,
    /// When a harvest last changed each record (Unix seconds, `i64::MIN` when
    /// unreadable), in the records' order: `modified_since` filters read it instead of
    /// parsing every record's date per request.
    changed: Vec<i64>,
    /// The records by dataset id, built at the first call of [`Self::by_dataset`].
    by_dataset: std::sync::OnceLock<DatasetOrder>,
}

/// The active records of a snapshot by dataset id: record numbers sorted by id, and where
/// each distinct id starts (8 bytes a record: one sitemap page built a map of every id,
/// 2.5 s and 800 MB at 1,025,000 records).
#[derive(Debug)]
pub struct DatasetOrder {
    by_id: Vec<u32>,
    starts: Vec<u32>,
}

impl DatasetOrder {
    fn of(snapshot: &ActiveSnapshot) -> Self {
        let id = |i: &u32| {
            snapshot
                .record(*i as usize)
                .map_or("", |r| r.dataset_id.as_str())
        };
        let count = u32::try_from(snapshot.len()).unwrap_or(u32::MAX);
        let mut by_id: Vec<u32> = (0..count).collect();
        by_id.sort_by(|a, b| id(a).cmp(id(b)));
        let mut starts = Vec::new();
        for (at, i) in by_id.iter().enumerate() {
            if at == 0 || id(i) != id(&by_id[at - 1]) {
                starts.push(u32::try_from(at).unwrap_or(u32::MAX));
            }
        }
        Self { by_id, starts }
    }

    /// The number of distinct dataset ids.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether there is no dataset.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The positions in the snapshot of the records of the `k`-th dataset id, in id
    /// order (empty past the last).
    pub fn records_of(&self, k: usize) -> impl Iterator<Item = usize> + '_ {
        let start = self.starts.get(k).map_or(self.by_id.len(), |&s| s as usize);
        let end = self
            .starts
            .get(k + 1)
            .map_or(self.by_id.len(), |&e| e as usize);
        self.by_id[start..end].iter().map(|&i| i as usize)
    }
}

impl ActiveSnapshot {
    /// The sources with an active record, in the records' order (by id).
    pub fn sources(&self) -> impl Iterator<Item = &str> + '_ {
        self.sources.iter().map(|(id, _, _)| id.as_str())
    }

    /// The positions of the active records of `source` (contiguous: records are sorted
    /// by source first; empty for a source without any).
    pub fn source_range(&self, source: &str) -> std::ops::Range<usize> {
        self.source_slice(source)
            .map_or(0..0, |(_, range, _)| range.clone())
    }

    /// A hash of the graphs of the active records of `source`, in order (equal hashes,
    /// equal records), or `None` for a source without any.
    pub fn source_hash(&self, source: &str) -> Option<&str> {
        self.source_slice(source).map(|(_, _, hash)| hash.as_str())
    }

    fn source_slice(&self, source: &str) -> Option<&(String, std::ops::Range<usize>, String)> {
        self.sources
            .binary_search_by(|(id, _, _)| id.as_str().cmp(source))
            .ok()
            .map(|at| &self.sources[at])
    }

    /// The active records, sorted by source then record IRI.
    pub fn records(&self) -> impl ExactSizeIterator<Item = &ActiveRecord> + Clone + '_ {
        self.order.iter().map(|&(r, e)| self.entry(r, e))
    }

    /// Whether the `i`-th record was last changed by a harvest at or after `since` (Unix
    /// seconds): the modification of its `dcat:CatalogRecord`, as ckanext-dcat's
    /// `modified_since` reads CKAN's `metadata_modified` (each date read once per
    /// snapshot).
    pub fn changed_since(&self, i: usize, since: i64) -> bool {
        self.changed.get(i).is_some_and(|&t| t >= since)
    }

    /// The `i`-th active record (< [`Self::len`]).
    pub fn record(&self, i: usize) -> Option<&ActiveRecord> {
        self.order.get(i).map(|&(r, e)| self.entry(r, e))
    }

    fn entry(&self, registry: u32, entry: u32) -> &ActiveRecord {
        self.registries[registry as usize]
            .entry(entry as usize)
            .expect("numbers taken from these registries")
    }

    /// The active records by dataset id (one id may have records in several sources),
    /// built once per snapshot.
    pub fn by_dataset(&self) -> &DatasetOrder {
        self.by_dataset.get_or_init(|| DatasetOrder::of(self))
    }

    /// The number of active records.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether there is no active record.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

impl CatalogStore {
    /// Returns the active records, read again only when the registry changed since the
    /// last call (a 100,000-record registry takes a fraction of a second to read).
    pub fn active_snapshot(&self) -> Result<Arc<ActiveSnapshot>, StoreError> {
        let generation = self.registry_generation();
        if let Ok(cache) = self.active_cache.lock() {
            if let Some(snapshot) = cache.as_ref().filter(|s| s.generation == generation) {
                return Ok(snapshot.clone());
            }
        }
        let snapshot = Arc::new(self.read_active_snapshot(generation)?);
        if let Ok(mut cache) = self.active_cache.lock() {
            *cache = Some(snapshot.clone());
        }
        Ok(snapshot)
    }

    fn read_active_snapshot(&self, generation: u64) -> Result<ActiveSnapshot, StoreError> {
        let registries = self.registries()?;
        // Each active record's numbers with its last change, each date read once.
        let mut active: Vec<((u32, u32), i64)> = Vec::new();
        let mut last_modified: Option<DateTime<Utc>> = None;
        for (r, registry) in registries.iter().enumerate() {
            for (e, entry) in registry.entries().enumerate() {
                let changed = parse_time(&entry.last_changed);
                let withdrawn = entry.withdrawn_at.as_deref().and_then(parse_time);
                last_modified = last_modified.max(changed).max(withdrawn);
                if entry.state != RecordState::Active {
                    continue;
                }
                let numbers = (u32::try_from(r), u32::try_from(e));
                let (Ok(r), Ok(e)) = numbers else {
                    return Err(StoreError::Corrupt(
                        "more than 2^32 registry entries".into(),
                    ));
                };
                // Moisson writes RFC 3339; other forms (older stores) are read as dates.
                let stamp = changed
                    .map(|t| t.timestamp())
                    .or_else(|| crate::dates::parse_timestamp(&entry.last_changed));
                active.push(((r, e), stamp.unwrap_or(i64::MIN)));
            }
        }
        let key = |&((r, e), _): &((u32, u32), i64)| {
            let entry = registries[r as usize]
                .entry(e as usize)
                .expect("numbers taken from these registries");
            (entry.source.as_str(), entry.record_iri.as_str())
        };
        active.sort_by(|a, b| key(a).cmp(&key(b)));
        let (order, changed) = active.into_iter().unzip();
        let mut snapshot = ActiveSnapshot {
            generation,
            content_hash: String::new(),
            last_modified,
            registries,
            order,
            sources: Vec::new(),
            changed,
            by_dataset: std::sync::OnceLock::new(),
        };
        let mut hasher = blake3::Hasher::new();
        let mut sources: Vec<(String, std::ops::Range<usize>, String)> = Vec::new();
        let mut source_hasher = blake3::Hasher::new();
        for (at, r) in snapshot.records().enumerate() {
            hasher.update(r.graph.as_bytes());
            hasher.update(b"\n");
            if sources.last().map(|(id, _, _)| id) != Some(&r.source) {
                if let Some(last) = sources.last_mut() {
                    last.2 = source_hasher.finalize().to_hex()[..32].to_owned();
                    source_hasher = blake3::Hasher::new();
                }
                sources.push((r.source.clone(), at..at, String::new()));
            }
            if let Some(last) = sources.last_mut() {
                last.1.end = at + 1;
            }
            source_hasher.update(r.graph.as_bytes());
            source_hasher.update(b"\n");
        }
        if let Some(last) = sources.last_mut() {
            last.2 = source_hasher.finalize().to_hex()[..32].to_owned();
        }
        snapshot.sources = sources;
        snapshot.content_hash = hasher.finalize().to_hex()[..32].to_owned();
        Ok(snapshot)
    }
}

impl CatalogStore {
    /// Writes the federated catalogue under root catalogue `root` to `out` with what the
    /// store alone knows: no assigned themes or territories (they live in the search
    /// index), sources named by their ids. See [`Self::export_federated`].
    pub fn export<W: Write>(
        &self,
        format: ExportFormat,
        root: &str,
        out: W,
    ) -> Result<usize, StoreError> {
        self.export_federated(
            format,
            root,
            &|_| Assigned::default(),
            &|id| id.to_owned(),
            out,
        )
    }
}
