//! Rewrites a parsed SPARQL query before oxigraph plans it, for join algorithms.
//!
//! (The default graph needs no rewrite: the SPARQL store keeps the record graphs' triples
//! in its own default graph and Moisson's graphs as named graphs, see
//! `moisson_catalog::SparqlStore`.)
//!
//! **Join algorithms from statistics.** oxigraph's planner has no statistics: it joins
//!    every triple pattern by a loop of index lookups, one per row of what is already
//!    joined. Over 100,000 datasets, "datasets per publisher" is then 100,000 lookups
//!    (0.55 s) where scanning both patterns and hash-joining them takes 0.15 s. With the
//!    SPARQL store's [`PatternStats`], a basic graph pattern whose rows are all consumed
//!    (no `LIMIT` above it without an `ORDER BY` or `GROUP BY` between, not `ASK`, not in
//!    `EXISTS` or `LATERAL`, which run once per row) has each pattern that would be looked
//!    up more than [`MIN_ROWS`] times, and whose own size is at most [`HASH_RATIO`] times
//!    that, put in a subquery: oxigraph hash-joins a subquery instead of looping.
//!
//! Invariants:
//! - A rewritten query has the same solutions as the original.
//! - A pattern with a blank node is never moved into a subquery (its blank node would no
//!   longer join the rest of the pattern).

use moisson_catalog::PatternStats;
use oxigraph::model::{NamedNode, Term};
use spargebra::algebra::{AggregateExpression, Expression, GraphPattern, OrderExpression};
use spargebra::term::{NamedNodePattern, TermPattern, TriplePattern, Variable};
use spargebra::Query;
use std::collections::HashMap;

/// Below this many rows joined so far, looking up the next pattern row by row is cheap
/// (a few milliseconds): no hash join.
pub const MIN_ROWS: u64 = 2_000;

/// A pattern is hash-joined when its size is at most this many times the rows it would
/// otherwise be looked up for (measured: a lookup costs ~8 µs, scanning and probing a row
/// ~1 µs).
pub const HASH_RATIO: u64 = 8;

/// Counts at most this many quads of a pattern the statistics cannot size (a constant
/// object with a predicate other than `rdf:type`).
pub const COUNT_CAP: u64 = 20_000;

/// At most this many patterns are counted for one query (each at most [`COUNT_CAP`]
/// quads): planning stays a few milliseconds whatever the query text; patterns past it
/// are not sized (left to oxigraph's plan).
pub const MAX_COUNTS: usize = 8;

/// What the planner knows of the store.
pub struct PlanInputs<'a> {
    /// The store's statistics; `None`: no join hints.
    pub stats: Option<&'a PatternStats>,
    /// Counts the quads of (predicate, object) in every graph, at most `cap`.
    pub count: &'a dyn Fn(&NamedNode, &Term, u64) -> u64,
}

/// A rewritten query.
pub struct Planned {
    /// The query to evaluate.
    pub query: Query,
    /// How many triple patterns were moved into a subquery to be hash-joined.
    pub hash_joins: usize,
    /// How many triple patterns and property paths the query's patterns hold (a `CONSTRUCT`
    /// template not counted): what oxigraph's join ordering grows with.
    pub triple_patterns: usize,
}

/// Rewrites `query` (see the module documentation).
pub fn plan(query: Query, inputs: &PlanInputs<'_>) -> Planned {
    let mut planner = Planner {
        inputs,
        hash_joins: 0,
        triple_patterns: 0,
        counts: HashMap::new(),
    };
    let query = planner.query(query);
    Planned {
        query,
        hash_joins: planner.hash_joins,
        triple_patterns: planner.triple_patterns,
    }
}

impl Planner<'_, '_> {
    fn query(&mut self, query: Query) -> Query {
        let all = Context::default();
        match query {
            Query::Select {
                dataset,
                pattern,
                base_iri,
            } => Query::Select {
                dataset,
                pattern: self.pattern(pattern, all),
                base_iri,
            },
            Query::Construct {
                template,
                dataset,
                pattern,
                base_iri,
            } => Query::Construct {
                template,
                dataset,
                pattern: self.pattern(pattern, all),
                base_iri,
            },
            Query::Describe {
                dataset,
                pattern,
                base_iri,
            } => Query::Describe {
                dataset,
                pattern: self.pattern(pattern, all),
                base_iri,
            },
            Query::Ask {
                dataset,
                pattern,
                base_iri,
            } => Query::Ask {
                dataset,
                // The first solution ends it: rows are streamed.
                pattern: self.pattern(
                    pattern,
                    Context {
                        streamed: true,
                        ..all
                    },
                ),
                base_iri,
            },
        }
    }
}

/// Where a pattern sits.
#[derive(Clone, Copy, Default)]
struct Context<'p> {
    /// Inside `GRAPH`: its graph name (a variable joins the subqueries' rows too).
    graph: Option<&'p NamedNodePattern>,
    /// Only the first rows are read (a `LIMIT` with no sort or grouping under it, `ASK`).
    streamed: bool,
    /// Evaluated once per row of something else (`EXISTS`, the right of `LATERAL`).
    per_row: bool,
}

struct Planner<'a, 'b> {
    inputs: &'a PlanInputs<'b>,
    hash_joins: usize,
    triple_patterns: usize,
    /// Capped counts already made for this query, by (predicate, object).
    counts: HashMap<(NamedNode, Term), u64>,
}

impl Planner<'_, '_> {
    fn pattern(&mut self, pattern: GraphPattern, cx: Context<'_>) -> GraphPattern {
        match pattern {
            GraphPattern::Bgp { patterns } => {
                self.triple_patterns += patterns.len();
                self.bgp(patterns, cx)
            }
            GraphPattern::Path { .. } => {
                self.triple_patterns += 1;
                pattern
            }
            GraphPattern::Values { .. } => pattern,
            GraphPattern::Join { left, right } => GraphPattern::Join {
                left: Box::new(self.pattern(*left, cx)),
                right: Box::new(self.pattern(*right, cx)),
            },
            GraphPattern::LeftJoin {
                left,
                right,
                expression,
            } => GraphPattern::LeftJoin {
                left: Box::new(self.pattern(*left, cx)),
                right: Box::new(self.pattern(*right, cx)),
                expression: expression.map(|e| self.expression(e, cx)),
            },
            GraphPattern::Lateral { left, right } => GraphPattern::Lateral {
                left: Box::new(self.pattern(*left, cx)),
                right: Box::new(self.pattern(
                    *right,
                    Context {
                        per_row: true,
                        ..cx
                    },
                )),
            },
            GraphPattern::Filter { expr, inner } => GraphPattern::Filter {
                expr: self.expression(expr, cx),
                inner: Box::new(self.pattern(*inner, cx)),
            },
            GraphPattern::Union { left, right } => GraphPattern::Union {
                left: Box::new(self.pattern(*left, cx)),
                right: Box::new(self.pattern(*right, cx)),
            },
            GraphPattern::Graph { name, inner } => {
                let inner = self.pattern(
                    *inner,
                    Context {
                        graph: Some(&name),
                        ..cx
                    },
                );
                GraphPattern::Graph {
                    name,
                    inner: Box::new(inner),
                }
            }
            GraphPattern::Extend {
                inner,
                variable,
                expression,
            } => GraphPattern::Extend {
                inner: Box::new(self.pattern(*inner, cx)),
                variable,
                expression: self.expression(expression, cx),
            },
            GraphPattern::Minus { left, right } => GraphPattern::Minus {
                left: Box::new(self.pattern(*left, cx)),
                right: Box::new(self.pattern(*right, cx)),
            },
            GraphPattern::OrderBy { inner, expression } => GraphPattern::OrderBy {
                // Sorting reads every row.
                inner: Box::new(self.pattern(
                    *inner,
                    Context {
                        streamed: false,
                        ..cx
                    },
                )),
                expression: expression
                    .into_iter()
                    .map(|e| match e {
                        OrderExpression::Asc(e) => OrderExpression::Asc(self.expression(e, cx)),
                        OrderExpression::Desc(e) => OrderExpression::Desc(self.expression(e, cx)),
                    })
                    .collect(),
            },
            GraphPattern::Project { inner, variables } => GraphPattern::Project {
                inner: Box::new(self.pattern(*inner, cx)),
                variables,
            },
            GraphPattern::Distinct { inner } => GraphPattern::Distinct {
                inner: Box::new(self.pattern(*inner, cx)),
            },
            GraphPattern::Reduced { inner } => GraphPattern::Reduced {
                inner: Box::new(self.pattern(*inner, cx)),
            },
            GraphPattern::Slice {
                inner,
                start,
                length,
            } => GraphPattern::Slice {
                inner: Box::new(self.pattern(
                    *inner,
                    Context {
                        streamed: cx.streamed || length.is_some(),
                        ..cx
                    },
                )),
                start,
                length,
            },
            GraphPattern::Group {
                inner,
                variables,
                aggregates,
            } => GraphPattern::Group {
                // Grouping reads every row.
                inner: Box::new(self.pattern(
                    *inner,
                    Context {
                        streamed: false,
                        ..cx
                    },
                )),
                variables,
                aggregates: aggregates
                    .into_iter()
                    .map(|(v, a)| {
                        let a = match a {
                            AggregateExpression::FunctionCall {
                                name,
                                expr,
                                distinct,
                            } => AggregateExpression::FunctionCall {
                                name,
                                expr: self.expression(expr, cx),
                                distinct,
                            },
                            other => other,
                        };
                        (v, a)
                    })
                    .collect(),
            },
            // Refused before evaluation anyway.
            GraphPattern::Service { .. } => pattern,
        }
    }

    /// Rewrites the patterns inside `EXISTS` (evaluated once per row).
    fn expression(&mut self, expression: Expression, cx: Context<'_>) -> Expression {
        let cx = Context {
            per_row: true,
            ..cx
        };
        let mut one = |e: Box<Expression>| Box::new(self.expression(*e, cx));
        match expression {
            Expression::Exists(pattern) => Expression::Exists(Box::new(self.pattern(*pattern, cx))),
            Expression::Or(a, b) => Expression::Or(one(a), one(b)),
            Expression::And(a, b) => Expression::And(one(a), one(b)),
            Expression::Equal(a, b) => Expression::Equal(one(a), one(b)),
            Expression::SameTerm(a, b) => Expression::SameTerm(one(a), one(b)),
            Expression::Greater(a, b) => Expression::Greater(one(a), one(b)),
            Expression::GreaterOrEqual(a, b) => Expression::GreaterOrEqual(one(a), one(b)),
            Expression::Less(a, b) => Expression::Less(one(a), one(b)),
            Expression::LessOrEqual(a, b) => Expression::LessOrEqual(one(a), one(b)),
            Expression::Add(a, b) => Expression::Add(one(a), one(b)),
            Expression::Subtract(a, b) => Expression::Subtract(one(a), one(b)),
            Expression::Multiply(a, b) => Expression::Multiply(one(a), one(b)),
            Expression::Divide(a, b) => Expression::Divide(one(a), one(b)),
            Expression::UnaryPlus(a) => Expression::UnaryPlus(one(a)),
            Expression::UnaryMinus(a) => Expression::UnaryMinus(one(a)),
            Expression::Not(a) => Expression::Not(one(a)),
            Expression::If(a, b, c) => Expression::If(one(a), one(b), one(c)),
            Expression::In(a, list) => {
                let a = one(a);
                Expression::In(a, self.expressions(list, cx))
            }
            Expression::Coalesce(list) => Expression::Coalesce(self.expressions(list, cx)),
            Expression::FunctionCall(f, list) => {
                Expression::FunctionCall(f, self.expressions(list, cx))
            }
            leaf @ (Expression::NamedNode(_)
            | Expression::Literal(_)
            | Expression::Variable(_)
            | Expression::Bound(_)) => leaf,
        }
    }

    fn expressions(&mut self, list: Vec<Expression>, cx: Context<'_>) -> Vec<Expression> {
        list.into_iter().map(|e| self.expression(e, cx)).collect()
    }

    fn bgp(&mut self, patterns: Vec<TriplePattern>, cx: Context<'_>) -> GraphPattern {
        let hashed = if cx.streamed || cx.per_row {
            vec![false; patterns.len()]
        } else {
            self.hash_joined(&patterns)
        };
        if !hashed.contains(&true) {
            return GraphPattern::Bgp { patterns };
        }
        let mut kept = Vec::new();
        let mut parts = Vec::new();
        for (pattern, hashed) in patterns.into_iter().zip(hashed) {
            let mut variables = pattern_variables(&pattern);
            if !hashed {
                kept.push(pattern);
                continue;
            }
            self.hash_joins += 1;
            if let Some(NamedNodePattern::Variable(g)) = cx.graph {
                if !variables.contains(g) {
                    variables.push(g.clone());
                }
            }
            parts.push(GraphPattern::Project {
                inner: Box::new(GraphPattern::Bgp {
                    patterns: vec![pattern],
                }),
                variables,
            });
        }
        if !kept.is_empty() {
            parts.insert(0, GraphPattern::Bgp { patterns: kept });
        }
        balanced_join(parts)
    }

    /// Which of `patterns` to hash-join (see the module documentation): the smallest
    /// pattern the statistics size starts the join; each other pattern sharing a variable
    /// with the rest, without a blank node, with a constant predicate and a variable
    /// subject, and no larger than [`HASH_RATIO`] times that start, is hash-joined when the
    /// start has at least [`MIN_ROWS`] rows.
    fn hash_joined(&mut self, patterns: &[TriplePattern]) -> Vec<bool> {
        let mut out = vec![false; patterns.len()];
        if patterns.len() < 2 || self.inputs.stats.is_none() {
            return out;
        }
        let sizes: Vec<Option<u64>> = patterns.iter().map(|p| self.size(p)).collect();
        let Some((start, rows)) = sizes
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.map(|s| (i, s)))
            .min_by_key(|(_, s)| *s)
        else {
            return out;
        };
        if rows < MIN_ROWS {
            return out;
        }
        // How many patterns use each variable (linear: a 64 KB query holds thousands).
        let mut uses: HashMap<Variable, usize> = HashMap::new();
        for pattern in patterns {
            for v in pattern_variables(pattern) {
                *uses.entry(v).or_default() += 1;
            }
        }
        for (i, pattern) in patterns.iter().enumerate() {
            let Some(size) = sizes[i] else { continue };
            let shares = pattern_variables(pattern)
                .iter()
                .any(|v| uses.get(v).is_some_and(|n| *n > 1));
            out[i] = i != start
                && shares
                && size <= rows.saturating_mul(HASH_RATIO)
                && matches!(pattern.subject, TermPattern::Variable(_))
                && matches!(pattern.predicate, NamedNodePattern::NamedNode(_))
                && !has_blank_node(pattern);
        }
        out
    }

    /// The quads `pattern` matches in every graph, as far as known cheaply: a constant
    /// subject is small; a variable predicate is unknown.
    fn size(&mut self, pattern: &TriplePattern) -> Option<u64> {
        let stats = self.inputs.stats?;
        if !matches!(
            pattern.subject,
            TermPattern::Variable(_) | TermPattern::BlankNode(_)
        ) {
            return Some(1);
        }
        let NamedNodePattern::NamedNode(predicate) = &pattern.predicate else {
            return None;
        };
        let object = match &pattern.object {
            TermPattern::NamedNode(n) => Term::NamedNode(n.clone()),
            TermPattern::Literal(l) => Term::Literal(l.clone()),
            TermPattern::Variable(_) | TermPattern::BlankNode(_) => {
                return Some(stats.predicate(predicate.as_str()));
            }
            #[allow(unreachable_patterns)]
            _ => return None,
        };
        if predicate.as_str() == moisson_catalog::vocab::rdf::TYPE {
            if let Term::NamedNode(class) = &object {
                return Some(stats.class(class.as_str()));
            }
        }
        let key = (predicate.clone(), object);
        if let Some(n) = self.counts.get(&key) {
            return Some(*n);
        }
        if self.counts.len() >= MAX_COUNTS {
            return None;
        }
        let n = (self.inputs.count)(&key.0, &key.1, COUNT_CAP);
        self.counts.insert(key, n);
        Some(n)
    }
}

/// The join of `parts`, as a tree of logarithmic depth (a query may hold thousands of
/// patterns; the evaluator flattens joins to order them anyway).
fn balanced_join(mut parts: Vec<GraphPattern>) -> GraphPattern {
    if parts.len() <= 1 {
        return parts.pop().unwrap_or(GraphPattern::Bgp {
            patterns: Vec::new(),
        });
    }
    let right = parts.split_off(parts.len() / 2);
    GraphPattern::Join {
        left: Box::new(balanced_join(parts)),
        right: Box::new(balanced_join(right)),
    }
}

/// The variables of `pattern`, in order, once each.
fn pattern_variables(pattern: &TriplePattern) -> Vec<Variable> {
    let mut out: Vec<Variable> = Vec::new();
    let mut push = |v: &Variable| {
        if !out.contains(v) {
            out.push(v.clone());
        }
    };
    if let TermPattern::Variable(v) = &pattern.subject {
        push(v);
    }
    if let NamedNodePattern::Variable(v) = &pattern.predicate {
        push(v);
    }
    if let TermPattern::Variable(v) = &pattern.object {
        push(v);
    }
    out
}

fn has_blank_node(pattern: &TriplePattern) -> bool {
    !matches!(
        pattern.subject,
        TermPattern::Variable(_) | TermPattern::NamedNode(_)
    ) || !matches!(
        pattern.object,
        TermPattern::Variable(_) | TermPattern::NamedNode(_) | TermPattern::Literal(_)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::{GraphName, Literal, Quad};
    use oxigraph::sparql::{QueryResults, SparqlEvaluator};
    use oxigraph::store::Store;

    const DCAT: &str = "http://www.w3.org/ns/dcat#";
    const DCT: &str = "http://purl.org/dc/terms/";
    const PREFIXES: &str = "PREFIX dcat: <http://www.w3.org/ns/dcat#> \
                            PREFIX dct: <http://purl.org/dc/terms/> ";
    const CLASSIFICATION: &str = "urn:moisson:classification";

    fn node(iri: &str) -> NamedNode {
        NamedNode::new_unchecked(iri)
    }

    /// `n` datasets, in the default graph with a title, a publisher (one of 7) and
    /// a stated theme; the classification graph assigns each one more theme.
    fn store(n: usize) -> Store {
        let store = Store::new().unwrap();
        let mut quads = Vec::new();
        let classification = GraphName::NamedNode(node(CLASSIFICATION));
        for i in 0..n {
            let d = node(&format!("https://example.org/d/{i}"));
            let g = GraphName::DefaultGraph;
            let rdf_type = node(moisson_catalog::vocab::rdf::TYPE);
            quads.push(Quad::new(
                d.clone(),
                rdf_type,
                node(&format!("{DCAT}Dataset")),
                g.clone(),
            ));
            quads.push(Quad::new(
                d.clone(),
                node(&format!("{DCT}title")),
                Literal::new_simple_literal(format!("Jeu {i}")),
                g.clone(),
            ));
            quads.push(Quad::new(
                d.clone(),
                node(&format!("{DCT}publisher")),
                node(&format!("https://example.org/p/{}", i % 7)),
                g.clone(),
            ));
            quads.push(Quad::new(
                d.clone(),
                node(&format!("{DCAT}theme")),
                node(&format!("https://example.org/t/{}", i % 3)),
                g,
            ));
            quads.push(Quad::new(
                d,
                node(&format!("{DCAT}theme")),
                node("urn:moisson:use-case:abc"),
                classification.clone(),
            ));
        }
        store.extend(quads).unwrap();
        store
    }

    fn stats(store: &Store) -> PatternStats {
        let mut stats = PatternStats::default();
        for quad in store.iter() {
            let quad = quad.unwrap();
            *stats
                .predicates
                .entry(quad.predicate.as_str().to_owned())
                .or_default() += 1;
            if quad.predicate.as_str() == moisson_catalog::vocab::rdf::TYPE {
                if let Term::NamedNode(c) = &quad.object {
                    *stats.classes.entry(c.as_str().to_owned()).or_default() += 1;
                }
            }
        }
        stats
    }

    fn planned(store: &Store, query: &str, hints: bool) -> Query {
        planned_with(store, query, hints).query
    }

    fn planned_with(store: &Store, query: &str, hints: bool) -> Planned {
        let stats = stats(store);
        let count = |p: &NamedNode, o: &Term, cap: u64| {
            store
                .quads_for_pattern(None, Some(p.as_ref()), Some(o.as_ref()), None)
                .take(cap as usize)
                .count() as u64
        };
        let query = spargebra::SparqlParser::new()
            .parse_query(&format!("{PREFIXES}{query}"))
            .unwrap();
        plan(
            query,
            &PlanInputs {
                stats: hints.then_some(&stats),
                count: &count,
            },
        )
    }

    /// The solutions of `query` over `store`, sorted, as text.
    fn rows(store: &Store, query: Query) -> Vec<String> {
        let prepared = SparqlEvaluator::new().for_query(query);
        let QueryResults::Solutions(solutions) = prepared.on_store(store).execute().unwrap() else {
            panic!("not a SELECT")
        };
        let mut out: Vec<String> = solutions
            .map(|s| {
                let s = s.unwrap();
                s.iter()
                    .map(|(v, t)| format!("{v}={t}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn whole_predicate_joins_are_hash_joined_only_where_every_row_is_read() {
        let store = store(3_000);
        let text = |q: &str| planned(&store, q, true).to_string();
        let sub = |q: &str| planned_with(&store, q, true).hash_joins;
        let grouped = "SELECT ?p (COUNT(?d) AS ?n) WHERE { ?d a dcat:Dataset ; dct:publisher ?p } GROUP BY ?p";
        assert_eq!(sub(grouped), 1, "{}", text(grouped));
        // Under a LIMIT with no sort, ASK, EXISTS: looked up row by row, as oxigraph plans.
        for streamed in [
            "SELECT ?d ?p WHERE { ?d a dcat:Dataset ; dct:publisher ?p } LIMIT 10",
            "ASK { ?d a dcat:Dataset ; dct:publisher ?p }",
        ] {
            assert_eq!(sub(streamed), 0, "{}", text(streamed));
        }
        let exists = "SELECT ?x WHERE { VALUES ?x { 1 } FILTER EXISTS { ?d a dcat:Dataset ; dct:publisher ?p } }";
        assert_eq!(sub(exists), 0, "{}", text(exists));
        // Sorted under the LIMIT: every row is read.
        let sorted =
            "SELECT ?d ?p WHERE { ?d a dcat:Dataset ; dct:publisher ?p } ORDER BY ?p LIMIT 10";
        assert_eq!(sub(sorted), 1, "{}", text(sorted));
        // A small start (one publisher: ~430 datasets) is looked up row by row.
        let small =
            "SELECT ?d ?t WHERE { ?d dct:publisher <https://example.org/p/1> ; dct:title ?t }";
        assert_eq!(sub(small), 0, "{}", text(small));
        // A blank node is never moved into a subquery.
        let blank = "SELECT ?d WHERE { ?d a dcat:Dataset ; dct:publisher _:p . _:p ?x ?y }";
        assert_eq!(sub(blank), 0, "{}", text(blank));
    }

    #[test]
    fn planning_counts_a_bounded_number_of_patterns() {
        let stats = PatternStats::default();
        let calls = std::cell::Cell::new(0);
        let count = |_: &NamedNode, _: &Term, _: u64| {
            calls.set(calls.get() + 1);
            5_000
        };
        let patterns: String = (0..50)
            .map(|i| format!("?d <https://example.org/p{i}> <https://example.org/o{i}> . "))
            .collect();
        let query = spargebra::SparqlParser::new()
            .parse_query(&format!("SELECT (COUNT(*) AS ?n) WHERE {{ {patterns} }}"))
            .unwrap();
        plan(
            query,
            &PlanInputs {
                stats: Some(&stats),
                count: &count,
            },
        );
        assert_eq!(calls.get(), MAX_COUNTS);
    }

    #[test]
    fn a_query_of_thousands_of_patterns_is_planned_quickly_and_answered() {
        let store = store(10);
        let query = |n: usize| {
            let patterns: String = (0..n).map(|i| format!("?d dcat:theme ?t{i} . ")).collect();
            format!("SELECT (COUNT(*) AS ?n) WHERE {{ ?d a dcat:Dataset . {patterns} }}")
        };
        // Planning is linear: 3,000 patterns (what 64 KB of text holds) in well under 2 s,
        // and counted, for `/sparql` to refuse the query before oxigraph orders its joins
        // (which would take minutes).
        let started = std::time::Instant::now();
        let big = planned_with(&store, &query(3_000), true);
        assert!(started.elapsed().as_secs() < 2, "{:?}", started.elapsed());
        assert_eq!(big.triple_patterns, 3_001);
        drop(big);
        // Evaluated on a thread with a worker's main-thread stack.
        let small = planned(&store, &query(50), true);
        let rows = std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn(move || rows(&store, small))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(
            rows,
            ["?n=\"10\"^^<http://www.w3.org/2001/XMLSchema#integer>"]
        );
    }

    #[test]
    fn hash_joins_give_the_same_solutions() {
        let store = store(3_000);
        for query in [
            "SELECT ?p (COUNT(?d) AS ?n) WHERE { ?d a dcat:Dataset ; dct:publisher ?p } GROUP BY ?p",
            "SELECT ?t (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d a dcat:Dataset ; dcat:theme ?t } GROUP BY ?t",
            "SELECT ?d ?title WHERE { ?d a dcat:Dataset ; dct:title ?title ; dct:publisher ?p \
             FILTER(?p = <https://example.org/p/3>) } ORDER BY ?d",
            "SELECT ?d (COUNT(*) AS ?n) WHERE { ?d a dcat:Dataset GRAPH ?g { ?d dcat:theme ?t } } GROUP BY ?d",
            "SELECT ?d WHERE { ?d a dcat:Dataset OPTIONAL { ?d dct:publisher ?p ; dct:title ?t } \
             FILTER(?p != <https://example.org/p/3>) }",
        ] {
            let hinted = planned_with(&store, query, true);
            // The two whole-catalogue reports are hash-joined: the comparison is not idle.
            if query.contains("GROUP BY ?p") || query.contains("GROUP BY ?t") {
                assert!(hinted.hash_joins > 0, "{query}");
            }
            let with = rows(&store, hinted.query);
            let without = rows(&store, planned(&store, query, false));
            assert!(!with.is_empty(), "{query}");
            assert_eq!(with, without, "{query}");
        }
    }
}
