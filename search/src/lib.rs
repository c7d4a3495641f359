//! Moisson's search index (tantivy): French analysis, facets, and the classification of
//! records into themes, use cases and territories.
//!
//! Not built yet. This crate deliberately exposes nothing until the index exists, so that
//! no caller can pretend to search; `web` wires "harvest, then reindex" once it does.
