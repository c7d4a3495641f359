//! The dataset SPARQL queries see: the active record graphs, the vocabulary graphs, and a
//! classification graph with what Moisson assigned each dataset.
//!
//! Invariants:
//! - Nothing else is reachable, by any graph pattern or `FROM`: not the metadata graph
//!   (registry, jobs), not withdrawn or superseded record graphs.
//! - The default graph is the union of the reachable graphs.
//! - The classification graph (`urn:moisson:classification`) holds, for each search
//!   document (a dataset, its duplicates merged), `dcat:theme` for its themes and use
//!   cases and `dct:spatial` for its territories, exactly as `/api/themes` counts them.

use moisson_catalog::vocab::{dcat, dct, mv, vocabularies};
use moisson_catalog::{ActiveSnapshot, CatalogStore};
use moisson_search::SearchIndex;
use oxigraph::model::{
    GraphNameRef, NamedNode, NamedNodeRef, NamedOrBlankNodeRef, Quad, Term, TermRef,
};
use oxigraph::store::{StorageError, Store};
use spareval::{InternalQuad, QueryableDataset};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock, Weak};

/// The IRI of the classification graph.
pub const CLASSIFICATION_GRAPH: &str = "urn:moisson:classification";

/// The vocabulary graphs (`urn:moisson:vocab:{name}`).
const VOCABULARY_GRAPHS: [&str; 3] = ["themes", "use-cases", "territories"];

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
            let territories = summary
                .territories
                .iter()
                .filter_map(|k| moisson_search::classify::territory_by_key(vocab, k))
                .map(|t| (1u8, t.iri.as_str()));
            for (p, object) in themes.chain(territories) {
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

    /// Returns the triples matching a pattern (`None` matches anything).
    fn matching(
        &self,
        subject: Option<&Term>,
        predicate: Option<&Term>,
        object: Option<&Term>,
    ) -> Vec<(Term, Term, Term)> {
        let iri_of = |t: &Term| match t {
            Term::NamedNode(n) => Some(n.as_str().to_owned()),
            _ => None,
        };
        let s = match subject {
            Some(t) => match iri_of(t).and_then(|i| self.subject_index.get(&i).copied()) {
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
            Some(t) => match iri_of(t).and_then(|i| self.object_index.get(&i).copied()) {
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
        candidates
            .iter()
            .filter(|t| p.is_none_or(|p| t.1 == p) && o.is_none_or(|o| t.2 == o))
            .map(|&(s, p, o)| {
                (
                    self.subjects[s as usize].clone().into(),
                    NamedNode::new_unchecked(CLASSIFICATION_PREDICATES[p as usize]).into(),
                    self.objects[o as usize].clone().into(),
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

/// The queryable dataset: the store seen through the set of reachable graphs.
pub struct ActiveDataset {
    store: Store,
    graphs: HashSet<String>,
    classification: Arc<Classification>,
}

impl ActiveDataset {
    /// Returns the dataset of the active records of `snapshot` in `store`.
    pub fn new(
        store: &CatalogStore,
        snapshot: &ActiveSnapshot,
        classification: Arc<Classification>,
    ) -> Self {
        let mut graphs: HashSet<String> =
            snapshot.records.iter().map(|r| r.graph.clone()).collect();
        for name in VOCABULARY_GRAPHS {
            graphs.insert(format!("{}{name}", mv::GRAPH_PREFIX));
        }
        Self {
            store: store.oxigraph().clone(),
            graphs,
            classification,
        }
    }

    fn reachable(&self, graph: &Term) -> bool {
        match graph {
            Term::NamedNode(n) => {
                n.as_str() == CLASSIFICATION_GRAPH || self.graphs.contains(n.as_str())
            }
            _ => false,
        }
    }

    /// Store quads matching the pattern in reachable graphs; `graph` `None` is every
    /// reachable graph.
    fn store_quads(
        &self,
        subject: Option<&Term>,
        predicate: Option<&Term>,
        object: Option<&Term>,
        graph: Option<&NamedNode>,
    ) -> Box<dyn Iterator<Item = Result<Quad, StorageError>>> {
        let subject: Option<NamedOrBlankNodeRef<'_>> = match subject {
            None => None,
            Some(Term::NamedNode(n)) => Some(n.as_ref().into()),
            Some(Term::BlankNode(b)) => Some(b.as_ref().into()),
            Some(_) => return Box::new(std::iter::empty()),
        };
        let predicate: Option<NamedNodeRef<'_>> = match predicate {
            None => None,
            Some(Term::NamedNode(n)) => Some(n.as_ref()),
            Some(_) => return Box::new(std::iter::empty()),
        };
        let object: Option<TermRef<'_>> = object.map(Term::as_ref);
        let graph_ref = graph.map(|g| GraphNameRef::NamedNode(g.as_ref()));
        let iter = self
            .store
            .quads_for_pattern(subject, predicate, object, graph_ref);
        if graph.is_some() {
            return Box::new(iter);
        }
        let graphs = self.graphs.clone();
        Box::new(iter.filter(move |q| match q {
            Ok(q) => match &q.graph_name {
                oxigraph::model::GraphName::NamedNode(g) => graphs.contains(g.as_str()),
                _ => false,
            },
            Err(_) => true,
        }))
    }

    fn classification_quads(
        &self,
        subject: Option<&Term>,
        predicate: Option<&Term>,
        object: Option<&Term>,
        graph: Option<Term>,
    ) -> impl Iterator<Item = Result<InternalQuad<Term>, StorageError>> {
        self.classification
            .matching(subject, predicate, object)
            .into_iter()
            .map(move |(s, p, o)| {
                Ok(InternalQuad {
                    subject: s,
                    predicate: p,
                    object: o,
                    graph_name: graph.clone(),
                })
            })
    }
}

fn internal(quad: Quad, in_default_graph: bool) -> InternalQuad<Term> {
    let graph_name = match quad.graph_name {
        _ if in_default_graph => None,
        oxigraph::model::GraphName::NamedNode(n) => Some(n.into()),
        oxigraph::model::GraphName::BlankNode(b) => Some(b.into()),
        oxigraph::model::GraphName::DefaultGraph => None,
    };
    InternalQuad {
        subject: quad.subject.into(),
        predicate: quad.predicate.into(),
        object: quad.object,
        graph_name,
    }
}

impl QueryableDataset<'static> for ActiveDataset {
    type InternalTerm = Term;
    type Error = StorageError;

    fn internal_quads_for_pattern(
        &self,
        subject: Option<&Term>,
        predicate: Option<&Term>,
        object: Option<&Term>,
        graph_name: Option<Option<&Term>>,
    ) -> impl Iterator<Item = Result<InternalQuad<Term>, StorageError>> + use<> {
        let quads: Box<dyn Iterator<Item = Result<InternalQuad<Term>, StorageError>>> =
            match graph_name {
                // The default graph: the union of every reachable graph.
                Some(None) => Box::new(
                    self.store_quads(subject, predicate, object, None)
                        .map(|q| q.map(|q| internal(q, true)))
                        .chain(self.classification_quads(subject, predicate, object, None)),
                ),
                Some(Some(graph)) if !self.reachable(graph) => Box::new(std::iter::empty()),
                Some(Some(Term::NamedNode(g))) if g.as_str() == CLASSIFICATION_GRAPH => Box::new(
                    self.classification_quads(subject, predicate, object, Some(g.clone().into())),
                ),
                Some(Some(Term::NamedNode(g))) => Box::new(
                    self.store_quads(subject, predicate, object, Some(g))
                        .map(|q| q.map(|q| internal(q, false))),
                ),
                Some(Some(_)) => Box::new(std::iter::empty()),
                // Any named graph.
                None => Box::new(
                    self.store_quads(subject, predicate, object, None)
                        .map(|q| q.map(|q| internal(q, false)))
                        .chain(self.classification_quads(
                            subject,
                            predicate,
                            object,
                            Some(NamedNode::new_unchecked(CLASSIFICATION_GRAPH).into()),
                        )),
                ),
            };
        quads
    }

    fn internal_named_graphs(&self) -> impl Iterator<Item = Result<Term, StorageError>> + use<> {
        let mut names: Vec<Term> = self
            .graphs
            .iter()
            .map(|g| NamedNode::new_unchecked(g.as_str()).into())
            .collect();
        names.push(NamedNode::new_unchecked(CLASSIFICATION_GRAPH).into());
        names.into_iter().map(Ok)
    }

    fn contains_internal_graph_name(&self, graph_name: &Term) -> Result<bool, StorageError> {
        Ok(self.reachable(graph_name))
    }

    fn internalize_term(&self, term: Term) -> Result<Term, StorageError> {
        Ok(term)
    }

    fn externalize_term(&self, term: Term) -> Result<Term, StorageError> {
        Ok(term)
    }
}
