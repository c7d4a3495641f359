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

use indexmap::IndexSet;
use oxigraph::model::{
    GraphName, GraphNameRef, NamedNode, NamedNodeRef, NamedOrBlankNodeRef, Quad, Term, TermRef,
};
use oxigraph::store::{StorageError, Store};
use rustc_hash::FxBuildHasher;
use spareval::{InternalQuad, QueryableDataset};
use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;
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

/// A graph computed by the caller rather than stored: its triples match by pattern, and
/// its terms are numbered (`0..term_count()`), so a query interns each term once.
pub trait VirtualGraph: Send + Sync + 'static {
    /// The graph's name (reachable by `GRAPH <name>` and part of the default graph).
    fn name(&self) -> &NamedNode;

    /// The term numbered `index` (below [`VirtualGraph::term_count`]).
    fn term(&self, index: u32) -> Term;

    /// How many terms the graph numbers.
    fn term_count(&self) -> usize;

    /// The triples matching a pattern (`None` matches anything), as term numbers.
    fn matching(
        &self,
        subject: Option<&Term>,
        predicate: Option<&Term>,
        object: Option<&Term>,
    ) -> Vec<[u32; 3]>;
}

/// A term as one query's evaluation sees it: its number in the query's [`Interner`].
/// Joins, `DISTINCT` and `GROUP BY` compare and hash these numbers, not strings; each
/// distinct term is decoded from the store once per quad read and stored once per query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct QueryTerm(u32);

/// The terms one query has met, numbered in order of appearance.
#[derive(Default)]
struct Interner {
    terms: IndexSet<Term, FxBuildHasher>,
    /// Whether the graph named by a term is reachable, by term number (filled lazily).
    reachable: Vec<Reach>,
    /// The query term of each virtual-graph term number (filled lazily).
    virtual_terms: Vec<Option<QueryTerm>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Reach {
    Unknown,
    Yes,
    No,
}

impl Interner {
    fn intern(&mut self, term: Term) -> Result<QueryTerm, StorageError> {
        let (index, _) = self.terms.insert_full(term);
        u32::try_from(index)
            .map(QueryTerm)
            .map_err(|_| StorageError::Io(std::io::Error::other("too many distinct terms")))
    }

    fn term(&self, term: QueryTerm) -> &Term {
        // Only this interner makes query terms, and it never forgets one.
        &self.terms[term.0 as usize]
    }

    /// The query term of a virtual graph's term `index`.
    fn virtual_term<V: VirtualGraph>(
        &mut self,
        extra: &V,
        index: u32,
    ) -> Result<QueryTerm, StorageError> {
        let slot = index as usize;
        if self.virtual_terms.len() <= slot {
            self.virtual_terms
                .resize(extra.term_count().max(slot + 1), None);
        }
        if let Some(term) = self.virtual_terms[slot] {
            return Ok(term);
        }
        let term = self.intern(extra.term(index))?;
        self.virtual_terms[slot] = Some(term);
        Ok(term)
    }
}

/// What SPARQL evaluates over: the store seen through [`ActiveGraphs`], plus one virtual
/// graph. Made for one query: its terms are numbered for that query only.
pub struct SparqlDataset<V: VirtualGraph> {
    store: Store,
    graphs: Arc<ActiveGraphs>,
    extra: Arc<V>,
    interner: Rc<RefCell<Interner>>,
}

impl<V: VirtualGraph> SparqlDataset<V> {
    /// The dataset of `graphs` in `store`, with `extra` beside them.
    pub fn new(store: &CatalogStore, graphs: Arc<ActiveGraphs>, extra: Arc<V>) -> Self {
        Self {
            store: store.oxigraph().clone(),
            graphs,
            extra,
            interner: Rc::default(),
        }
    }

    /// The reachable graphs.
    pub fn graphs(&self) -> &Arc<ActiveGraphs> {
        &self.graphs
    }

    /// True when the graph named by `term` is reachable (the answer is kept per term).
    fn reachable(&self, term: QueryTerm) -> bool {
        reachable(
            &mut self.interner.borrow_mut(),
            &self.graphs,
            self.extra.name(),
            term,
        )
    }

    /// The interned quads of `quads`; `graph` says what to do with their graph names.
    fn intern_quads(
        &self,
        quads: impl Iterator<Item = Result<Quad, StorageError>> + 'static,
        graph: GraphOutput,
    ) -> impl Iterator<Item = Result<InternalQuad<QueryTerm>, StorageError>> + 'static {
        let interner = Rc::clone(&self.interner);
        let graphs = Arc::clone(&self.graphs);
        let extra_name = self.extra.name().clone();
        quads.filter_map(move |quad| {
            let quad = match quad {
                Ok(quad) => quad,
                Err(e) => return Some(Err(e)),
            };
            let mut interner = interner.borrow_mut();
            let graph_name = match graph {
                GraphOutput::Named(g) => Some(g),
                GraphOutput::Default => None,
                GraphOutput::Checked { default } => {
                    let GraphName::NamedNode(g) = quad.graph_name else {
                        return None;
                    };
                    let g = match interner.intern(g.into()) {
                        Ok(g) => g,
                        Err(e) => return Some(Err(e)),
                    };
                    if !reachable(&mut interner, &graphs, &extra_name, g) {
                        return None;
                    }
                    (!default).then_some(g)
                }
            };
            let mut term = |t: Term| interner.intern(t);
            let out = (|| {
                Ok(InternalQuad {
                    subject: term(quad.subject.into())?,
                    predicate: term(quad.predicate.into())?,
                    object: term(quad.object)?,
                    graph_name,
                })
            })();
            Some(out)
        })
    }

    /// Store quads matching the pattern in reachable graphs: `graph` `None` is every
    /// reachable graph, else that graph (reachable) and its number; the quads are in the
    /// default graph when `default`.
    fn store_quads(
        &self,
        pattern: [Option<Term>; 3],
        graph: Option<(QueryTerm, &NamedNode)>,
        default: bool,
    ) -> Box<dyn Iterator<Item = Result<InternalQuad<QueryTerm>, StorageError>>> {
        let [subject, predicate, object] = pattern;
        let subject: Option<NamedOrBlankNodeRef<'_>> = match &subject {
            None => None,
            Some(Term::NamedNode(n)) => Some(n.as_ref().into()),
            Some(Term::BlankNode(b)) => Some(b.as_ref().into()),
            Some(_) => return Box::new(std::iter::empty()),
        };
        let predicate: Option<NamedNodeRef<'_>> = match &predicate {
            None => None,
            Some(Term::NamedNode(n)) => Some(n.as_ref()),
            Some(_) => return Box::new(std::iter::empty()),
        };
        let object: Option<TermRef<'_>> = object.as_ref().map(Term::as_ref);
        let graph_ref = graph.map(|(_, g)| GraphNameRef::NamedNode(g.as_ref()));
        let iter = self
            .store
            .quads_for_pattern(subject, predicate, object, graph_ref);
        let output = match (graph, default) {
            (Some(_), true) => GraphOutput::Default,
            (Some((id, _)), false) => GraphOutput::Named(id),
            (None, default) => GraphOutput::Checked { default },
        };
        Box::new(self.intern_quads(iter, output))
    }

    fn virtual_quads(
        &self,
        pattern: [Option<&Term>; 3],
        in_default_graph: bool,
    ) -> Box<dyn Iterator<Item = Result<InternalQuad<QueryTerm>, StorageError>>> {
        let [subject, predicate, object] = pattern;
        let triples = self.extra.matching(subject, predicate, object);
        let graph_name = if in_default_graph {
            None
        } else {
            match self
                .interner
                .borrow_mut()
                .intern(self.extra.name().clone().into())
            {
                Ok(g) => Some(g),
                Err(e) => return Box::new(std::iter::once(Err(e))),
            }
        };
        let interner = Rc::clone(&self.interner);
        let extra = Arc::clone(&self.extra);
        Box::new(triples.into_iter().map(move |[s, p, o]| {
            let mut interner = interner.borrow_mut();
            Ok(InternalQuad {
                subject: interner.virtual_term(&*extra, s)?,
                predicate: interner.virtual_term(&*extra, p)?,
                object: interner.virtual_term(&*extra, o)?,
                graph_name,
            })
        }))
    }
}

/// Where store quads come from and which graph they leave in.
#[derive(Clone, Copy)]
enum GraphOutput {
    /// Every graph: quads of unreachable ones are dropped; named by their graph, or in
    /// the default graph.
    Checked { default: bool },
    /// One reachable graph, named by this term.
    Named(QueryTerm),
    /// One reachable graph, in the default graph.
    Default,
}

/// True when the graph named by `term` is reachable: an active or vocabulary graph, or
/// the virtual graph (the answer is kept per term).
fn reachable(
    interner: &mut Interner,
    graphs: &ActiveGraphs,
    extra: &NamedNode,
    term: QueryTerm,
) -> bool {
    let slot = term.0 as usize;
    if interner.reachable.len() <= slot {
        interner
            .reachable
            .resize(interner.terms.len().max(slot + 1), Reach::Unknown);
    }
    match interner.reachable[slot] {
        Reach::Yes => true,
        Reach::No => false,
        Reach::Unknown => {
            let yes = match interner.term(term) {
                Term::NamedNode(n) => n == extra || graphs.contains(n.as_str()),
                _ => false,
            };
            interner.reachable[slot] = if yes { Reach::Yes } else { Reach::No };
            yes
        }
    }
}

impl<V: VirtualGraph> QueryableDataset<'static> for SparqlDataset<V> {
    type InternalTerm = QueryTerm;
    type Error = StorageError;

    fn internal_quads_for_pattern(
        &self,
        subject: Option<&QueryTerm>,
        predicate: Option<&QueryTerm>,
        object: Option<&QueryTerm>,
        graph_name: Option<Option<&QueryTerm>>,
    ) -> impl Iterator<Item = Result<InternalQuad<QueryTerm>, StorageError>> + use<V> {
        let (pattern, graph) = {
            let interner = self.interner.borrow();
            let term = |t: Option<&QueryTerm>| t.map(|t| interner.term(*t).clone());
            (
                [term(subject), term(predicate), term(object)],
                graph_name.map(|g| g.map(|g| (*g, interner.term(*g).clone()))),
            )
        };
        let refs = [
            pattern[0].as_ref(),
            pattern[1].as_ref(),
            pattern[2].as_ref(),
        ];
        let quads: Box<dyn Iterator<Item = Result<InternalQuad<QueryTerm>, StorageError>>> =
            match graph {
                // The default graph: the union of every reachable graph.
                Some(None) => {
                    let virtual_quads = self.virtual_quads(refs, true);
                    Box::new(self.store_quads(pattern, None, true).chain(virtual_quads))
                }
                Some(Some((id, _))) if !self.reachable(id) => Box::new(std::iter::empty()),
                Some(Some((_, Term::NamedNode(g)))) if &g == self.extra.name() => {
                    self.virtual_quads(refs, false)
                }
                Some(Some((id, Term::NamedNode(g)))) => {
                    self.store_quads(pattern, Some((id, &g)), false)
                }
                Some(Some(_)) => Box::new(std::iter::empty()),
                // Any named graph.
                None => {
                    let virtual_quads = self.virtual_quads(refs, false);
                    Box::new(self.store_quads(pattern, None, false).chain(virtual_quads))
                }
            };
        quads
    }

    fn internal_named_graphs(
        &self,
    ) -> impl Iterator<Item = Result<QueryTerm, StorageError>> + use<V> {
        let mut interner = self.interner.borrow_mut();
        let names: Vec<Result<QueryTerm, StorageError>> = self
            .graphs
            .iter()
            .map(|g| NamedNode::new_unchecked(g).into())
            .chain(std::iter::once(self.extra.name().clone().into()))
            .map(|g: Term| interner.intern(g))
            .collect();
        names.into_iter()
    }

    fn contains_internal_graph_name(&self, graph_name: &QueryTerm) -> Result<bool, StorageError> {
        Ok(self.reachable(*graph_name))
    }

    fn internalize_term(&self, term: Term) -> Result<QueryTerm, StorageError> {
        self.interner.borrow_mut().intern(term)
    }

    fn externalize_term(&self, term: QueryTerm) -> Result<Term, StorageError> {
        Ok(self.interner.borrow().term(term).clone())
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
            .map(|q| {
                let graph = q.expect("quad").graph_name.expect("a named graph");
                dataset.externalize_term(graph).expect("a term")
            })
            .collect();
        assert_eq!(seen, vec![Term::from(active.clone())]);
        let meta = dataset
            .internalize_term(NamedNode::new_unchecked(moisson::META_GRAPH).into())
            .expect("a term");
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
        fn term(&self, _: u32) -> Term {
            unreachable!("no triple, so no term")
        }
        fn term_count(&self) -> usize {
            0
        }
        fn matching(&self, _: Option<&Term>, _: Option<&Term>, _: Option<&Term>) -> Vec<[u32; 3]> {
            Vec::new()
        }
    }
}
