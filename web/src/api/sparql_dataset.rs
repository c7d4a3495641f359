//! The classification graph SPARQL queries see beside the active records, and the sync of
//! the SPARQL store (`moisson_catalog::SparqlStore`, which owns reachability) with the
//! record store and the search index.
//!
//! Invariants:
//! - The classification graph (`urn:moisson:classification`) holds, for each search
//!   document (a dataset, its duplicates merged), `dcat:theme` for its themes and use
//!   cases and `dct:spatial` for its territories, exactly as `/api/themes` counts them.

use moisson_catalog::vocab::{dcat, dct, vocabularies};
use moisson_catalog::{CatalogStore, ExtraGraph, SparqlStore, StoreError, SyncReport};
use moisson_search::SearchIndex;
use oxigraph::model::{NamedNode, Triple};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

/// The IRI of the classification graph.
pub const CLASSIFICATION_GRAPH: &str = "urn:moisson:classification";

/// Predicates of the classification graph.
const CLASSIFICATION_PREDICATES: [&str; 2] = [dcat::THEME, dct::SPATIAL];

/// What Moisson assigned every search document, interned: subjects are document IRIs,
/// objects vocabulary IRIs.
pub struct Classification {
    subjects: Vec<NamedNode>,
    objects: Vec<NamedNode>,
    /// (subject, predicate, object) indexes, sorted by subject.
    triples: Vec<(u32, u8, u16)>,
    subject_index: HashMap<String, u32>,
    object_index: HashMap<String, u16>,
}

impl Classification {
    /// Reads every document's assignments from the index.
    fn read(index: &SearchIndex) -> Result<Self, moisson_search::SearchError> {
        let vocab = vocabularies();
        let mut out = Self {
            subjects: Vec::new(),
            objects: Vec::new(),
            triples: Vec::new(),
            subject_index: HashMap::new(),
            object_index: HashMap::new(),
        };
        index.for_each_summary(|summary| {
            let Ok(subject) = NamedNode::new(summary.iri.as_str()) else {
                return;
            };
            if out.subject_index.contains_key(subject.as_str()) {
                return;
            }
            let s = out.subjects.len() as u32;
            out.subject_index.insert(subject.as_str().to_owned(), s);
            out.subjects.push(subject);
            let themes = summary
                .themes
                .iter()
                .filter_map(|t| vocab.themes.get(t))
                .chain(
                    summary
                        .use_cases
                        .iter()
                        .filter_map(|u| vocab.use_cases.get(u)),
                )
                .map(|c| (0u8, c.iri.as_str()));
            // Territories at every level (communes, EPCIs: ~36,000 places in all, within
            // the u16 object index) with the IRIs `/catalog` writes.
            let territories: Vec<String> = summary
                .territories
                .iter()
                .filter_map(|k| moisson_catalog::vocab::places::place(k))
                .map(|p| p.iri())
                .collect();
            let objects = themes.chain(territories.iter().map(|t| (1u8, t.as_str())));
            for (p, object) in objects {
                let o = out.intern_object(object);
                out.triples.push((s, p, o));
            }
        })?;
        Ok(out)
    }

    fn intern_object(&mut self, iri: &str) -> u16 {
        if let Some(&o) = self.object_index.get(iri) {
            return o;
        }
        let o = self.objects.len() as u16;
        self.objects.push(NamedNode::new_unchecked(iri));
        self.object_index.insert(iri.to_owned(), o);
        o
    }

    /// The classification's triples, as the SPARQL store holds them.
    pub fn triples(&self) -> Vec<Triple> {
        let predicates = CLASSIFICATION_PREDICATES.map(NamedNode::new_unchecked);
        self.triples
            .iter()
            .map(|&(s, p, o)| {
                Triple::new(
                    self.subjects[s as usize].clone(),
                    predicates[usize::from(p)].clone(),
                    self.objects[usize::from(o)].clone(),
                )
            })
            .collect()
    }
}

/// The last classification read, with the index (and its generation) it was read from.
type ClassificationCache = Option<(Weak<SearchIndex>, u64, Arc<Classification>)>;
static CLASSIFICATION_CACHE: Mutex<ClassificationCache> = Mutex::new(None);

/// Returns the classification of `index`, read again only after the index changed.
pub fn classification_of(
    index: &Arc<SearchIndex>,
) -> Result<Arc<Classification>, moisson_search::SearchError> {
    let generation = index.generation();
    if let Ok(cache) = CLASSIFICATION_CACHE.lock() {
        if let Some((weak, g, c)) = cache.as_ref() {
            // A live Weak keeps the allocation, so an equal pointer is the same index.
            if *g == generation && std::ptr::eq(weak.as_ptr(), Arc::as_ptr(index)) {
                return Ok(c.clone());
            }
        }
    }
    let classification = Arc::new(Classification::read(index)?);
    if let Ok(mut cache) = CLASSIFICATION_CACHE.lock() {
        *cache = Some((Arc::downgrade(index), generation, classification.clone()));
    }
    Ok(classification)
}

/// Brings `sparql` to what readers of `store` may see now, with the classification of
/// `index` (read again only when the index changed): the first sync of a large store
/// copies every record graph, later ones only what changed.
pub fn sync_sparql(
    store: &CatalogStore,
    index: &Arc<SearchIndex>,
    sparql: &SparqlStore,
) -> Result<SyncReport, StoreError> {
    sparql.sync(store, index.generation(), || {
        let classification = classification_of(index)
            .map_err(|e| StoreError::Crashed(format!("reading the classification: {e}")))?;
        Ok(vec![ExtraGraph {
            name: NamedNode::new_unchecked(CLASSIFICATION_GRAPH),
            triples: classification.triples(),
        }])
    })
}
