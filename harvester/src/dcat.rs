//! The `dcat` protocol: one page of any RDF serialization, its records and its Hydra
//! link to the next page.

use moisson_catalog::{record_graph_name, HarvestWriter, RecordKind, Registry, StoreError};
use std::collections::HashMap;
use std::io::{Read, Seek};

use crate::fetch::FetchedPage;
use crate::format;
use crate::limits::ParseLimits;
use crate::parse::{parse_page_rereadable, ParseIssue};
use crate::records::{extract_records_within, PageGraph, PageLinks};

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

/// The result of reading one page.
pub struct PageResult {
    /// Records taken (graphs of new versions already written).
    pub records: Vec<TakenRecord>,
    /// Rejected records: (record IRI, message).
    pub rejected: Vec<(String, String)>,
    /// Recoverable parse errors.
    pub issues: Vec<ParseIssue>,
    /// Ill-typed literals of taken records: (record IRI, description).
    pub ill_typed: Vec<(String, String)>,
    /// What was left out of taken records (over-long literals, invalid IRIs): (record IRI,
    /// message for the producer).
    pub warnings: Vec<(String, String)>,
    /// Paging links found.
    pub links: PageLinks,
    /// Quads written.
    pub quads_written: u64,
}

/// Why a page could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// The format is unknown or the body is HTML.
    #[error(transparent)]
    Format(#[from] format::FormatError),
    /// The parser stopped.
    #[error("{}{}", .0.message, .0.position.as_ref().map(|p| format!(" at {p}")).unwrap_or_default())]
    Syntax(ParseIssue),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reading the spooled body failed.
    #[error("reading spooled page: {0}")]
    Io(#[from] std::io::Error),
}

/// Reads a fetched page: parses it, groups its records, compares them with `registry`
/// (the source's registry keyed by record IRI) and hands the graphs of new versions to
/// the harvest's `writer`, everything within `limits`.
/// A record repeated on another page is written once per page at most (graphs are
/// content-addressed, so a repeat is idempotent); the job keeps its first occurrence.
pub fn read_page(
    writer: &HarvestWriter,
    source: &str,
    page: &mut FetchedPage,
    registry: &Registry,
    limits: &ParseLimits,
) -> Result<PageResult, PageError> {
    let mut file = page.body.reopen()?;
    let mut head = Vec::with_capacity(4096);
    file.by_ref().take(4096).read_to_end(&mut head)?;
    let rdf_format = format::detect(page.content_type.as_deref(), &head, &page.url)?;
    file.rewind()?;
    let reopen = || page.body.reopen().ok();
    let mut parsed = parse_page_rereadable(file, reopen, page.bytes, rdf_format, &page.url, limits);
    if let Some(fatal) = parsed.fatal.take() {
        return Err(PageError::Syntax(fatal));
    }
    let mut result = store_records(
        writer,
        source,
        &mut parsed.graph,
        &parsed.poisoned,
        registry,
        limits,
    )?;
    result.issues = parsed.issues;
    Ok(result)
}

/// Groups `graph` into records (leaving out those whose subject a parse error poisoned),
/// compares each with `registry` (the source's registry keyed by record IRI) and hands the
/// graphs of new versions to `writer`. A record repeated on the page is taken once. The
/// step every protocol shares once it has a page's triples.
pub(crate) fn store_records(
    writer: &HarvestWriter,
    source: &str,
    graph: &mut PageGraph,
    poisoned: &HashMap<u32, String>,
    registry: &Registry,
    limits: &ParseLimits,
) -> Result<PageResult, StoreError> {
    let extracted = extract_records_within(graph, poisoned, limits);
    let mut quads_written = 0;
    let mut records = Vec::with_capacity(extracted.records.len());
    let mut taken = std::collections::HashSet::new();
    let mut ill_typed = Vec::new();
    for record in &extracted.records {
        if !taken.insert(record.iri.as_str()) {
            continue;
        }
        for literal in record.ill_typed_literals(graph) {
            ill_typed.push((record.iri.clone(), literal));
        }
        let (outcome, graph_name) = match registry.get(&record.iri) {
            Some(entry) if entry.hash == record.hash => {
                (RecordOutcome::Unchanged, entry.graph.clone())
            }
            previous => {
                let name = record_graph_name(source, &record.iri, &record.hash);
                quads_written += writer.write_graph(&name, record.materialize(graph))?;
                let outcome = if previous.is_some() {
                    RecordOutcome::Updated
                } else {
                    RecordOutcome::Added
                };
                (outcome, name.into_string())
            }
        };
        records.push(TakenRecord {
            iri: record.iri.clone(),
            kind: record.kind,
            hash: record.hash.clone(),
            graph: graph_name,
            outcome,
        });
    }
    Ok(PageResult {
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
        quads_written,
    })
}
