//! The dataset SPARQL queries see: the active record graphs, the vocabulary graphs, and
//! virtual graphs the caller adds (the web front adds what search assigned each dataset).
//!
//! Invariants:
//! - Nothing else is reachable, by any graph pattern or `FROM`: not the metadata graph
//!   (registry, jobs), not the compact copies, not withdrawn or superseded record graphs,
//!   not graphs written by a harvest that has not committed.
//! - The default graph is the union of the reachable graphs.
//! - The set of reachable graphs is built once per registry generation and shared: a
//!   triple pattern tests each quad's graph against it (one hash lookup) and never copies
//!   it, so a join evaluating a pattern per binding costs no more per binding than the
//!   quads it reads.

use oxigraph::model::{
    GraphName, GraphNameRef, NamedNode, NamedNodeRef, NamedOrBlankNodeRef, Quad, Term, TermRef,
};
use oxigraph::store::{StorageError, Store};
use spareval::{InternalQuad, QueryableDataset};
use std::collections::HashSet;
use std::sync::Arc;

use super::export::ActiveSnapshot;
use super::CatalogStore;
use crate::vocab::{moisson, mv};

/// The vocabulary graphs (`urn:moisson:vocab:{name}`), always reachable.
const VOCABULARY_GRAPHS: [&str; 3] = ["themes", "use-cases", "territories"];

/// The graphs readers may query at one registry generation: the graph of every active
/// record, and the vocabulary graphs.
pub struct ActiveGraphs {
    generation: u64,
    names: HashSet<Box<str>>,
}

impl std::fmt::Debug for ActiveGraphs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActiveGraphs")
            .field("generation", &self.generation)
            .field("graphs", &self.names.len())
            .finish()
    }
}

impl ActiveGraphs {
    /// Builds the set of `snapshot` (done once per snapshot: see [`ActiveSnapshot::graphs`]).
    pub(crate) fn of(snapshot: &ActiveSnapshot) -> Self {
        let mut names: HashSet<Box<str>> = HashSet::with_capacity(snapshot.records.len() + 3);
        names.extend(snapshot.records.iter().map(|r| r.graph.as_str().into()));
        for name in VOCABULARY_GRAPHS {
            names.insert(format!("{}{name}", mv::GRAPH_PREFIX).into());
        }
        Self {
            generation: snapshot.generation,
            names,
        }
    }

    /// The registry generation the set was built at.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Number of reachable graphs.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when no graph is reachable (never: the vocabulary graphs always are).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// True when readers may see graph `name`.
    pub fn contains(&self, name: &str) -> bool {
        // Most quads a pattern reads over every graph are in record graphs; the others
        // (metadata, compact copies) are rejected without hashing.
        (name.starts_with(moisson::RECORD_GRAPH_PREFIX) || name.starts_with(mv::GRAPH_PREFIX))
            && self.names.contains(name)
    }

    /// The reachable graph names, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(|n| &**n)
    }
}

impl CatalogStore {
    /// Returns the graphs readers may query now, shared until the registry changes.
    pub fn active_graphs(&self) -> Result<Arc<ActiveGraphs>, super::StoreError> {
        Ok(self.active_snapshot()?.graphs())
    }
}

/// A graph computed by the caller rather than stored: its triples match by pattern.
pub trait VirtualGraph: Send + Sync + 'static {
    /// The graph's name (reachable by `GRAPH <name>` and part of the default graph).
    fn name(&self) -> &NamedNode;

    /// The triples matching a pattern (`None` matches anything).
    fn matching(
        &self,
        subject: Option<&Term>,
        predicate: Option<&Term>,
        object: Option<&Term>,
    ) -> Vec<(Term, Term, Term)>;
}

/// What SPARQL evaluates over: the store seen through [`ActiveGraphs`], plus one virtual
/// graph.
pub struct SparqlDataset<V: VirtualGraph> {
    store: Store,
    graphs: Arc<ActiveGraphs>,
    extra: Arc<V>,
}

impl<V: VirtualGraph> SparqlDataset<V> {
    /// The dataset of `graphs` in `store`, with `extra` beside them.
    pub fn new(store: &CatalogStore, graphs: Arc<ActiveGraphs>, extra: Arc<V>) -> Self {
        Self {
            store: store.oxigraph().clone(),
            graphs,
            extra,
        }
    }

    /// The reachable graphs.
    pub fn graphs(&self) -> &Arc<ActiveGraphs> {
        &self.graphs
    }

    fn reachable(&self, graph: &Term) -> bool {
        match graph {
            Term::NamedNode(n) => n == self.extra.name() || self.graphs.contains(n.as_str()),
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
        // Shared, not copied: one reference count per pattern evaluation.
        let graphs = Arc::clone(&self.graphs);
        Box::new(iter.filter(move |q| match q {
            Ok(q) => match &q.graph_name {
                GraphName::NamedNode(g) => graphs.contains(g.as_str()),
                _ => false,
            },
            Err(_) => true,
        }))
    }

    fn virtual_quads(
        &self,
        subject: Option<&Term>,
        predicate: Option<&Term>,
        object: Option<&Term>,
        graph: Option<Term>,
    ) -> impl Iterator<Item = Result<InternalQuad<Term>, StorageError>> {
        self.extra
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
        GraphName::NamedNode(n) => Some(n.into()),
        GraphName::BlankNode(b) => Some(b.into()),
        GraphName::DefaultGraph => None,
    };
    InternalQuad {
        subject: quad.subject.into(),
        predicate: quad.predicate.into(),
        object: quad.object,
        graph_name,
    }
}

impl<V: VirtualGraph> QueryableDataset<'static> for SparqlDataset<V> {
    type InternalTerm = Term;
    type Error = StorageError;

    fn internal_quads_for_pattern(
        &self,
        subject: Option<&Term>,
        predicate: Option<&Term>,
        object: Option<&Term>,
        graph_name: Option<Option<&Term>>,
    ) -> impl Iterator<Item = Result<InternalQuad<Term>, StorageError>> + use<V> {
        let quads: Box<dyn Iterator<Item = Result<InternalQuad<Term>, StorageError>>> =
            match graph_name {
                // The default graph: the union of every reachable graph.
                Some(None) => Box::new(
                    self.store_quads(subject, predicate, object, None)
                        .map(|q| q.map(|q| internal(q, true)))
                        .chain(self.virtual_quads(subject, predicate, object, None)),
                ),
                Some(Some(graph)) if !self.reachable(graph) => Box::new(std::iter::empty()),
                Some(Some(Term::NamedNode(g))) if g == self.extra.name() => {
                    Box::new(self.virtual_quads(subject, predicate, object, Some(g.clone().into())))
                }
                Some(Some(Term::NamedNode(g))) => Box::new(
                    self.store_quads(subject, predicate, object, Some(g))
                        .map(|q| q.map(|q| internal(q, false))),
                ),
                Some(Some(_)) => Box::new(std::iter::empty()),
                // Any named graph.
                None => Box::new(
                    self.store_quads(subject, predicate, object, None)
                        .map(|q| q.map(|q| internal(q, false)))
                        .chain(self.virtual_quads(
                            subject,
                            predicate,
                            object,
                            Some(self.extra.name().clone().into()),
                        )),
                ),
            };
        quads
    }

    fn internal_named_graphs(&self) -> impl Iterator<Item = Result<Term, StorageError>> + use<V> {
        let mut names: Vec<Term> = self
            .graphs
            .iter()
            .map(|g| NamedNode::new_unchecked(g).into())
            .collect();
        names.push(self.extra.name().clone().into());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::record_graph_name;
    use oxigraph::model::{GraphNameRef, NamedNodeRef, QuadRef};

    #[test]
    fn only_active_and_vocabulary_graphs_are_reachable() {
        let store = CatalogStore::in_memory().expect("store");
        let active = record_graph_name("s", "https://example.org/1", "a");
        let graphs = ActiveGraphs {
            generation: 7,
            names: [active.as_str().into()].into_iter().collect(),
        };
        assert!(graphs.contains(active.as_str()));
        assert!(!graphs.contains(record_graph_name("s", "https://example.org/1", "b").as_str()));
        assert!(!graphs.contains(moisson::META_GRAPH));
        let s = NamedNodeRef::new_unchecked("https://example.org/1");
        let p = NamedNodeRef::new_unchecked("http://purl.org/dc/terms/title");
        for graph in [
            active.as_str(),
            moisson::META_GRAPH,
            "urn:moisson:record:s:x:b",
        ] {
            store
                .oxigraph()
                .insert(QuadRef::new(
                    s,
                    p,
                    TermRef::from(NamedNodeRef::new_unchecked(graph)),
                    GraphNameRef::NamedNode(NamedNodeRef::new_unchecked(graph)),
                ))
                .expect("insert");
        }
        let dataset = SparqlDataset::new(&store, Arc::new(graphs), Arc::new(Nothing::new()));
        let seen: Vec<_> = dataset
            .internal_quads_for_pattern(None, None, None, None)
            .map(|q| q.expect("quad").graph_name)
            .collect();
        assert_eq!(seen, vec![Some(Term::from(active.clone()))]);
        let meta: Term = NamedNode::new_unchecked(moisson::META_GRAPH).into();
        assert!(!dataset.contains_internal_graph_name(&meta).expect("ok"));
        assert_eq!(
            dataset
                .internal_quads_for_pattern(None, None, None, Some(Some(&meta)))
                .count(),
            0
        );
    }

    struct Nothing(NamedNode);

    impl Nothing {
        fn new() -> Self {
            Self(NamedNode::new_unchecked("urn:test:nothing"))
        }
    }

    impl VirtualGraph for Nothing {
        fn name(&self) -> &NamedNode {
            &self.0
        }
        fn matching(
            &self,
            _: Option<&Term>,
            _: Option<&Term>,
            _: Option<&Term>,
        ) -> Vec<(Term, Term, Term)> {
            Vec::new()
        }
    }
}
