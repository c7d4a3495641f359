//! The classification graph SPARQL queries see beside the active records (reachability of
//! the store's graphs is `moisson_catalog::SparqlDataset`'s, see its invariants).
//!
//! Invariants:
//! - The classification graph (`urn:moisson:classification`) holds, for each search
//!   document (a dataset, its duplicates merged), `dcat:theme` for its themes and use
//!   cases and `dct:spatial` for its territories, exactly as `/api/themes` counts them.

use moisson_catalog::vocab::{dcat, dct, vocabularies};
use moisson_catalog::{CatalogStore, SparqlDataset, VirtualGraph};
use moisson_search::SearchIndex;
use oxigraph::model::{NamedNode, Term};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};

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
    /// [`Classification::to_wire`], computed once.
    wire: OnceLock<Arc<Vec<u8>>>,
}

/// A classification as the SPARQL worker process receives it (JSON).
#[derive(serde::Serialize, serde::Deserialize)]
struct ClassificationWire<S> {
    subjects: Vec<S>,
    objects: Vec<S>,
    triples: Vec<(u32, u8, u16)>,
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
            wire: OnceLock::new(),
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

    /// Returns the classification encoded for a SPARQL worker process (computed once).
    pub fn to_wire(&self) -> Arc<Vec<u8>> {
        self.wire
            .get_or_init(|| {
                let wire = ClassificationWire {
                    subjects: self.subjects.iter().map(NamedNode::as_str).collect(),
                    objects: self.objects.iter().map(NamedNode::as_str).collect(),
                    triples: self.triples.clone(),
                };
                Arc::new(serde_json::to_vec(&wire).expect("strings and numbers serialize"))
            })
            .clone()
    }

    /// Decodes [`Classification::to_wire`], checking every IRI and index.
    pub fn from_wire(bytes: &[u8]) -> Result<Self, String> {
        let wire: ClassificationWire<String> =
            serde_json::from_slice(bytes).map_err(|e| format!("classification: {e}"))?;
        let iris = |names: Vec<String>| {
            names
                .into_iter()
                .map(|n| NamedNode::new(n).map_err(|e| format!("classification IRI: {e}")))
                .collect::<Result<Vec<_>, _>>()
        };
        let subjects = iris(wire.subjects)?;
        let objects = iris(wire.objects)?;
        let mut subject_index = HashMap::with_capacity(subjects.len());
        for (i, n) in subjects.iter().enumerate() {
            let i = u32::try_from(i).map_err(|_| "classification: too many subjects")?;
            subject_index.insert(n.as_str().to_owned(), i);
        }
        let mut object_index = HashMap::with_capacity(objects.len());
        for (i, n) in objects.iter().enumerate() {
            let i = u16::try_from(i).map_err(|_| "classification: too many objects")?;
            object_index.insert(n.as_str().to_owned(), i);
        }
        let valid = |&(s, p, o): &(u32, u8, u16)| {
            (s as usize) < subjects.len()
                && usize::from(p) < CLASSIFICATION_PREDICATES.len()
                && usize::from(o) < objects.len()
        };
        if !wire.triples.iter().all(valid) || !wire.triples.is_sorted_by_key(|t| t.0) {
            return Err("classification: triples out of range or unsorted".into());
        }
        Ok(Self {
            subjects,
            objects,
            triples: wire.triples,
            subject_index,
            object_index,
            wire: OnceLock::new(),
        })
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

    /// Returns the triples matching a pattern (`None` matches anything), as term numbers:
    /// subjects first, then the predicates, then the objects.
    fn matching(
        &self,
        subject: Option<&Term>,
        predicate: Option<&Term>,
        object: Option<&Term>,
    ) -> Vec<[u32; 3]> {
        fn iri_of(t: &Term) -> Option<&str> {
            match t {
                Term::NamedNode(n) => Some(n.as_str()),
                _ => None,
            }
        }
        let s = match subject {
            Some(t) => match iri_of(t).and_then(|i| self.subject_index.get(i).copied()) {
                Some(s) => Some(s),
                None => return Vec::new(),
            },
            None => None,
        };
        let p = match predicate {
            Some(t) => match iri_of(t)
                .and_then(|i| CLASSIFICATION_PREDICATES.iter().position(|p| *p == i))
            {
                Some(p) => Some(p as u8),
                None => return Vec::new(),
            },
            None => None,
        };
        let o = match object {
            Some(t) => match iri_of(t).and_then(|i| self.object_index.get(i).copied()) {
                Some(o) => Some(o),
                None => return Vec::new(),
            },
            None => None,
        };
        let candidates: &[(u32, u8, u16)] = match s {
            Some(s) => {
                let start = self.triples.partition_point(|t| t.0 < s);
                let end = self.triples.partition_point(|t| t.0 <= s);
                &self.triples[start..end]
            }
            None => &self.triples,
        };
        // Fewer than 2^32 terms: subjects are numbered by u32 and objects by u16.
        let predicates = self.subjects.len() as u32;
        let objects = predicates + CLASSIFICATION_PREDICATES.len() as u32;
        candidates
            .iter()
            .filter(|t| p.is_none_or(|p| t.1 == p) && o.is_none_or(|o| t.2 == o))
            .map(|&(s, p, o)| [s, predicates + u32::from(p), objects + u32::from(o)])
            .collect()
    }

    /// The term numbered `index` by [`Classification::matching`].
    fn term(&self, index: u32) -> Term {
        let index = index as usize;
        let subjects = self.subjects.len();
        let objects = subjects + CLASSIFICATION_PREDICATES.len();
        if index < subjects {
            self.subjects[index].clone().into()
        } else if index < objects {
            NamedNode::new_unchecked(CLASSIFICATION_PREDICATES[index - subjects]).into()
        } else {
            self.objects[index - objects].clone().into()
        }
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

/// The queryable dataset: the active records' graphs (`moisson_catalog::SparqlDataset`,
/// which owns reachability) beside the classification graph.
pub type ActiveDataset = SparqlDataset<Classification>;

/// Returns the dataset of the graphs active in `store` now, with `classification`.
pub fn active_dataset(
    store: &CatalogStore,
    classification: Arc<Classification>,
) -> Result<ActiveDataset, moisson_catalog::StoreError> {
    Ok(SparqlDataset::new(
        store,
        store.active_graphs()?,
        classification,
    ))
}

impl VirtualGraph for Classification {
    fn name(&self) -> &NamedNode {
        static NAME: OnceLock<NamedNode> = OnceLock::new();
        NAME.get_or_init(|| NamedNode::new_unchecked(CLASSIFICATION_GRAPH))
    }

    fn term(&self, index: u32) -> Term {
        Classification::term(self, index)
    }

    fn term_count(&self) -> usize {
        self.subjects.len() + CLASSIFICATION_PREDICATES.len() + self.objects.len()
    }

    fn matching(
        &self,
        subject: Option<&Term>,
        predicate: Option<&Term>,
        object: Option<&Term>,
    ) -> Vec<[u32; 3]> {
        Classification::matching(self, subject, predicate, object)
    }
}
