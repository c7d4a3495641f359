//! Selections for exports and SPARQL: every dataset matching filters (no paging cap), and
//! a walk over every document's summary.

use std::collections::{BTreeMap, HashSet};
use tantivy::collector::DocSetCollector;
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query};

use crate::document::Summary;
use crate::index::{SearchError, SearchIndex};

impl SearchIndex {
    /// Returns the dataset ids (document ids and their merged duplicates) of every
    /// document matching `filters` (same dimensions and values as [`Self::search`]).
    pub fn members_matching(
        &self,
        filters: &BTreeMap<String, Vec<String>>,
    ) -> Result<HashSet<String>, SearchError> {
        let clauses = self.filter_clauses(filters)?;
        let query: Box<dyn Query> = if clauses.is_empty() {
            Box::new(AllQuery)
        } else {
            Box::new(BooleanQuery::new(
                clauses.into_iter().map(|c| (Occur::Must, c)).collect(),
            ))
        };
        let mut out = HashSet::new();
        self.for_each_summary_of(query.as_ref(), |summary| {
            out.insert(summary.id.clone());
            out.extend(summary.duplicates.iter().cloned());
        })?;
        Ok(out)
    }

    /// Calls `visit` with the summary of every document.
    pub fn for_each_summary(&self, visit: impl FnMut(&Summary)) -> Result<(), SearchError> {
        self.for_each_summary_of(&AllQuery, visit)
    }

    fn for_each_summary_of(
        &self,
        query: &dyn Query,
        mut visit: impl FnMut(&Summary),
    ) -> Result<(), SearchError> {
        let searcher = self.reader.searcher();
        let found = searcher.search(query, &DocSetCollector)?;
        let mut addresses: Vec<_> = found.into_iter().collect();
        addresses.sort();
        for address in addresses {
            if let Some(summary) = self.summary_at(&searcher, address)? {
                visit(&summary);
            }
        }
        Ok(())
    }

    /// Returns the generation of the searchable index: it changes at every commit made
    /// visible (rebuild or update), so caches derived from the index know they are stale.
    pub fn generation(&self) -> u64 {
        self.reader.searcher().generation().generation_id()
    }
}
