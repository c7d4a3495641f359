//! The registry entries of every active record, held compactly for a full rebuild.
//!
//! A rebuild needs the entry of every record from start to commit: pass 1 reads each
//! record's keys, pass 2 its document, group by group. As [`RecordEntry`] values that is
//! eleven strings a record, each its own allocation: the heap grew by about 640 bytes a
//! record while a rebuild loaded 205,000 benchmark entries that way. Here a record takes
//! its own strings (IRI, dataset id, content hash) side by side in large shared buffers,
//! one fixed-size row, the strings many records share (source, page URL, dates) once
//! each, and its graph name not at all when it is the one [`record_graph_name`] derives
//! from the others, as every harvest writes it: about 180 bytes a record.
//! [`EntryTable::entry`] gives the whole entry back, field for field.

use moisson_catalog::{record_graph_name, RecordEntry, RecordKind, RecordState};
use std::collections::HashMap;
use std::sync::Arc;

use crate::index::SearchError;

/// Bytes of one text buffer: buffers are never grown (a growing buffer briefly holds its
/// old and new copies), a row whose strings do not fit starts a new one. Past 32 MiB,
/// glibc's malloc gives every allocation a mapping of its own and unmaps it when freed, so
/// the buffers go back to the system when the rebuild drops them, before its final merge
/// (smaller ones come from the heap, which keeps them); pages never written are never
/// resident, so a small catalogue costs no more.
const CHUNK_BYTES: usize = 64 << 20;
/// `graph_len` of a row whose graph name is derived, not stored.
const DERIVED: u32 = u32::MAX;
/// A shared-string number meaning « none » (`withdrawn_at`).
const NONE: u32 = u32::MAX;

/// One entry: where its own strings are, and the numbers of its shared strings.
struct Row {
    /// Buffer holding this row's strings, and where they start in it: record IRI,
    /// dataset id, content hash, then the graph name unless derived.
    chunk: u32,
    at: u32,
    iri_len: u32,
    id_len: u32,
    hash_len: u32,
    graph_len: u32,
    source: u32,
    page_url: u32,
    first_seen: u32,
    last_changed: u32,
    withdrawn_at: u32,
    kind: RecordKind,
    state: RecordState,
}

/// The entries of a rebuild, sorted by source then record IRI once [`Self::finish`]ed.
pub(crate) struct EntryTable {
    /// Bytes of a new text buffer ([`CHUNK_BYTES`]; smaller in tests).
    chunk_bytes: usize,
    chunks: Vec<String>,
    rows: Vec<Row>,
    /// Shared strings by number, and (while loading) numbers by string.
    shared: Vec<Arc<str>>,
    numbers: HashMap<Arc<str>, u32>,
}

impl Default for EntryTable {
    fn default() -> Self {
        Self {
            chunk_bytes: CHUNK_BYTES,
            chunks: Vec::new(),
            rows: Vec::new(),
            shared: Vec::new(),
            numbers: HashMap::new(),
        }
    }
}

fn too_large(what: &str) -> SearchError {
    SearchError::Unavailable(format!("a registry entry's {what} is too large to index"))
}

impl EntryTable {
    /// Adds `entry`.
    pub(crate) fn push(&mut self, entry: &RecordEntry) -> Result<(), SearchError> {
        let derived = record_graph_name(&entry.source, &entry.record_iri, &entry.hash);
        let graph = (derived.as_str() != entry.graph).then_some(entry.graph.as_str());
        let own = [
            entry.record_iri.as_str(),
            entry.dataset_id.as_str(),
            entry.hash.as_str(),
            graph.unwrap_or_default(),
        ];
        let len = |s: &str| u32::try_from(s.len()).map_err(|_| too_large("text"));
        let needed: usize = own.iter().map(|s| s.len()).sum();
        if needed >= u32::MAX as usize {
            return Err(too_large("text"));
        }
        let fits = self
            .chunks
            .last()
            .is_some_and(|c| c.capacity() - c.len() >= needed);
        if !fits {
            self.chunks
                .push(String::with_capacity(needed.max(self.chunk_bytes)));
        }
        let chunk = u32::try_from(self.chunks.len() - 1).map_err(|_| too_large("table"))?;
        let buffer = self.chunks.last_mut().expect("a chunk was just ensured");
        let at = len(buffer)?;
        for s in own {
            buffer.push_str(s);
        }
        let row = Row {
            chunk,
            at,
            iri_len: len(&entry.record_iri)?,
            id_len: len(&entry.dataset_id)?,
            hash_len: len(&entry.hash)?,
            // Below DERIVED: the row's strings together are shorter than u32::MAX.
            graph_len: match graph {
                Some(g) => len(g)?,
                None => DERIVED,
            },
            source: self.number(&entry.source)?,
            page_url: self.number(&entry.page_url)?,
            first_seen: self.number(&entry.first_seen)?,
            last_changed: self.number(&entry.last_changed)?,
            withdrawn_at: match &entry.withdrawn_at {
                Some(w) => self.number(w)?,
                None => NONE,
            },
            kind: entry.kind,
            state: entry.state,
        };
        self.rows.push(row);
        Ok(())
    }

    /// Returns the number of the shared string `s`, adding it if new.
    fn number(&mut self, s: &str) -> Result<u32, SearchError> {
        if let Some(&n) = self.numbers.get(s) {
            return Ok(n);
        }
        let n = u32::try_from(self.shared.len())
            .ok()
            .filter(|&n| n != NONE)
            .ok_or_else(|| too_large("table"))?;
        let value: Arc<str> = Arc::from(s);
        self.shared.push(value.clone());
        self.numbers.insert(value, n);
        Ok(n)
    }

    /// Ends loading: drops the lookup of shared strings and sorts the entries by source,
    /// then record IRI (the order records are numbered in, whatever order they came in).
    pub(crate) fn finish(&mut self) {
        self.numbers = HashMap::new();
        let mut rows = std::mem::take(&mut self.rows);
        rows.sort_by(|a, b| {
            (&*self.shared[a.source as usize], self.iri_of(a))
                .cmp(&(&*self.shared[b.source as usize], self.iri_of(b)))
        });
        rows.shrink_to_fit();
        self.rows = rows;
    }

    /// Returns the number of entries.
    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    fn text(&self, row: &Row, skip: u32, len: u32) -> &str {
        let start = (row.at + skip) as usize;
        &self.chunks[row.chunk as usize][start..start + len as usize]
    }

    fn iri_of(&self, row: &Row) -> &str {
        self.text(row, 0, row.iri_len)
    }

    /// Returns the dataset id of entry `i`.
    pub(crate) fn dataset_id(&self, i: usize) -> &str {
        let row = &self.rows[i];
        self.text(row, row.iri_len, row.id_len)
    }

    /// Returns entry `i`, as it was pushed.
    pub(crate) fn entry(&self, i: usize) -> RecordEntry {
        let row = &self.rows[i];
        let record_iri = self.iri_of(row);
        let dataset_id = self.text(row, row.iri_len, row.id_len);
        let hash = self.text(row, row.iri_len + row.id_len, row.hash_len);
        let source = &*self.shared[row.source as usize];
        let graph = if row.graph_len == DERIVED {
            record_graph_name(source, record_iri, hash).into_string()
        } else {
            self.text(row, row.iri_len + row.id_len + row.hash_len, row.graph_len)
                .to_owned()
        };
        let shared = |n: u32| self.shared[n as usize].to_string();
        RecordEntry {
            graph,
            source: source.to_owned(),
            record_iri: record_iri.to_owned(),
            dataset_id: dataset_id.to_owned(),
            kind: row.kind,
            hash: hash.to_owned(),
            page_url: shared(row.page_url),
            first_seen: shared(row.first_seen),
            last_changed: shared(row.last_changed),
            state: row.state,
            withdrawn_at: (row.withdrawn_at != NONE).then(|| shared(row.withdrawn_at)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(source: &str, iri: &str, derived_graph: bool) -> RecordEntry {
        let hash = format!("{:064x}", iri.len() * 7919);
        let graph = if derived_graph {
            record_graph_name(source, iri, &hash).into_string()
        } else {
            format!("urn:legacy:{iri}")
        };
        RecordEntry {
            graph,
            source: source.into(),
            record_iri: iri.into(),
            dataset_id: moisson_catalog::dataset_id(iri),
            kind: if iri.ends_with('s') {
                RecordKind::Service
            } else {
                RecordKind::Dataset
            },
            hash,
            page_url: format!("https://{source}/page/{}", iri.len() % 3),
            first_seen: "2026-01-01T00:00:00Z".into(),
            last_changed: "2026-02-01T00:00:00Z".into(),
            state: RecordState::Active,
            withdrawn_at: iri.contains('w').then(|| "2026-03-01T00:00:00Z".into()),
        }
    }

    /// Every field comes back as pushed, derived graph names or not, and the entries are
    /// sorted by source then record IRI.
    #[test]
    fn entries_come_back_whole_and_sorted() {
        let mut pushed = vec![
            entry("b", "https://x/2", true),
            entry("a", "https://x/9s", false),
            entry("b", "https://x/1w", true),
            entry("a", "https://x/10", true),
            entry("a", "", true),
        ];
        let mut table = EntryTable::default();
        for e in &pushed {
            table.push(e).unwrap();
        }
        table.finish();
        pushed.sort_by(|a, b| (&a.source, &a.record_iri).cmp(&(&b.source, &b.record_iri)));
        assert_eq!(table.len(), pushed.len());
        for (i, e) in pushed.iter().enumerate() {
            assert_eq!(&table.entry(i), e);
            assert_eq!(table.dataset_id(i), e.dataset_id);
        }
    }

    /// Rows whose strings do not fit in the current buffer start a new one, larger than
    /// usual when one row needs it.
    #[test]
    fn rows_span_many_buffers() {
        let chunk_bytes = 4096;
        let long = format!("https://x/{}", "a".repeat(chunk_bytes + 10));
        let mut pushed: Vec<RecordEntry> = (0..300)
            .map(|i| entry("s", &format!("https://x/{i:05}/{}", "p".repeat(50)), true))
            .collect();
        pushed.push(entry("s", &long, false));
        let mut table = EntryTable {
            chunk_bytes,
            ..EntryTable::default()
        };
        for e in &pushed {
            table.push(e).unwrap();
        }
        table.finish();
        assert!(table.chunks.len() > 10);
        assert!(table.chunks.iter().any(|c| c.len() > chunk_bytes));
        pushed.sort_by(|a, b| a.record_iri.cmp(&b.record_iri));
        for (i, e) in pushed.iter().enumerate() {
            assert_eq!(&table.entry(i), e);
        }
    }
}
