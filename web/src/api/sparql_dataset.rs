//! The classification graph SPARQL queries see beside the active records, and the sync of
//! the SPARQL store (`moisson_catalog::SparqlStore`, which owns reachability) with the
//! record store and the search index.
//!
//! Invariants:
//! - The classification graph (`urn:moisson:classification`) holds, for each search
//!   document (a dataset, its duplicates merged), `dcat:theme` for its themes and use
//!   cases and `dct:spatial` for its territories, exactly as `/api/themes` counts them.

use moisson_catalog::vocab::{dcat, dct};
use moisson_catalog::{
    CatalogStore, DescribeSubject, ExtraGraph, SparqlStore, StoreError, SyncReport,
};
use moisson_search::SearchIndex;
use oxigraph::model::{NamedNode, NamedNodeRef};
use std::sync::{Arc, OnceLock};

/// The IRI of the classification graph.
pub const CLASSIFICATION_GRAPH: &str = "urn:moisson:classification";

/// The named graphs queries may read: the vocabularies and the classification (the
/// record graphs' triples are the SPARQL store's default graph).
pub fn public_named_graphs() -> &'static [NamedNode] {
    static GRAPHS: OnceLock<Vec<NamedNode>> = OnceLock::new();
    GRAPHS.get_or_init(|| {
        let mut graphs = SparqlStore::vocabulary_graphs();
        graphs.push(NamedNode::new_unchecked(CLASSIFICATION_GRAPH));
        graphs
    })
}

/// Gives `each` the classification of every document of `index` (the first of an IRI
/// only, as the SPARQL store keeps it): `dcat:theme` for its themes and use cases and
/// `dct:spatial` for its territories at every level, with the IRIs `/catalog` writes. One
/// document at a time: at 1,000,000 datasets the whole graph is 5.7 million triples.
fn describe_classification(
    index: &SearchIndex,
    each: &mut DescribeSubject<'_>,
) -> Result<(), moisson_search::SearchError> {
    let (theme, spatial) = (
        NamedNodeRef::new_unchecked(dcat::THEME),
        NamedNodeRef::new_unchecked(dct::SPATIAL),
    );
    let mut places = Vec::new();
    index.for_each_summary(|summary| {
        let Ok(subject) = NamedNodeRef::new(summary.iri.as_str()) else {
            return;
        };
        let (concepts, assigned_places) = summary.assigned();
        places.clear();
        places.extend(assigned_places.map(|p| p.iri()));
        let pairs: Vec<_> = concepts
            .map(|c| (theme, NamedNodeRef::new_unchecked(c.iri.as_str())))
            .chain(
                places
                    .iter()
                    .map(|p| (spatial, NamedNodeRef::new_unchecked(p))),
            )
            .collect();
        each(subject, &pairs);
    })
}

/// Brings `sparql` to what readers of `store` may see now, with the classification of
/// `index` (read again only when the index changed): the first sync of a large store
/// copies every record graph, later ones only what changed.
pub fn sync_sparql(
    store: &CatalogStore,
    index: &Arc<SearchIndex>,
    sparql: &SparqlStore,
) -> Result<SyncReport, StoreError> {
    // Read only when the index moved since the last sync (the store keeps what it holds).
    sparql.sync(store, index.generation(), || {
        Ok(vec![ExtraGraph {
            name: NamedNode::new_unchecked(CLASSIFICATION_GRAPH),
            describe: Box::new(|each| {
                describe_classification(index, each)
                    .map_err(|e| StoreError::Crashed(format!("reading the classification: {e}")))
            }),
        }])
    })
}
