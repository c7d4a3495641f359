//! Moisson's search index (tantivy): French analysis, facets, and the classification of
//! records into themes, use cases and territories.
//!
//! `search` reads the store (`catalog`) and never fetches anything; `web` wires "harvest,
//! then update the index". Its key design choice: one document per dataset, however many
//! sources it was harvested from, found again through deduplication keys stored in the
//! index itself, so that an incremental update recomputes exactly the groups a harvest
//! touched. Each document carries the API summary, so a search never reads the store.
//!
//! Modules:
//! - [`analyzer`] — French analysis.
//! - `cache` — Answers and facet counts of recent searches, valid for one searcher generation.
//! - [`classify`] — Classification of a record into themes, use cases and territories, each assignment with the French …
//! - [`document`] — From harvested records to search documents.
//! - `entries` — The registry entries of every active record, held compactly for a full rebuild.
//! - [`eval`] — Scoring the classifier against hand-labelled records (`search/eval/dev-set.jsonl`).
//! - `facet_table` — Facet counting from an in-memory table of each segment's counted facet values.
//! - [`index`] — The tantivy index under `data_dir/index`.
//! - [`normalize`] — Normalized facet values.
//! - [`query`] — Searching.
//! - [`schema`] — The index schema.
//! - [`select`] — Selections for exports and SPARQL.
//! - `term_union` — A filter matching any of several queries, evaluated once per segment into bit sets.
//! - [`territory`] — Territory detection.
//! - `value_lists` — The facet value numbers of each document of a segment, held in about a byte per value.
//! - `words` — The words of a search, evaluated per segment into bit sets (and scores by document).

pub mod analyzer;
mod cache;
pub mod classify;
mod derived;
pub mod document;
mod entries;
pub mod eval;
mod facet_table;
mod filtered;
mod gate;
pub mod index;
pub mod normalize;
pub mod query;
mod ranked;
pub mod schema;
pub mod select;
mod term_union;
pub mod territory;
mod value_lists;
mod words;

pub use cache::CacheStats;
pub use classify::{classify, Assignment, Classification, SourceContext, SourceContexts};
pub use document::Summary;
pub use index::{changed_datasets, IndexStats, RecordSource, SearchError, SearchIndex};
pub use query::{FacetValue, Interpretation, SearchRequest, SearchResponse, Sort};

/// A deterministic pseudo-random sequence for tests (xorshift): each call gives a number
/// in `0..n`.
#[cfg(test)]
pub(crate) fn test_random(seed: u64) -> impl FnMut(u64) -> u64 {
    let mut state = seed;
    move |n| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    }
}
