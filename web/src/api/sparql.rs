//! `GET/POST /sparql`: the SPARQL 1.1 Protocol, read-only, over the active records (see
//! [`super::sparql_dataset`]).
//!
//! Queries come as `?query=`, as an urlencoded `query=` body or as an
//! `application/sparql-query` body; updates (`update=`, `application/sparql-update`) are
//! refused. Results are JSON, XML, CSV or TSV (SELECT, ASK) and Turtle, N-Triples, RDF/XML
//! or JSON-LD (CONSTRUCT, DESCRIBE), chosen by `?format=` or `Accept`.
//!
//! Limits:
//! - At most [`SparqlLimits::slots`] queries are evaluated at once; any other is answered
//!   `503` with `Retry-After` at once, never queued.
//! - `moisson serve` evaluates each query in a worker process (see
//!   [`super::sparql_worker`]): the server never parses or evaluates query text itself, so
//!   no query can crash it, grow it, or keep a core busy past its deadline (the worker is
//!   killed then, and its CPU time and data segment are capped by rlimits).
//! - Without a worker (handler tests, embedding), the query runs on a blocking thread of
//!   this process, cancelled at its deadline (the evaluator checks the token at every quad
//!   it reads), holding its slot until it actually stops.
//! - At most [`SparqlLimits::max_results`] results are produced, else the query fails:
//!   results are complete or absent, never silently cut.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use moisson_catalog::ExportFormat;
use oxigraph::model::{GraphName, NamedNode};
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use oxigraph::sparql::{CancellationToken, QueryEvaluationError, QueryResults, SparqlEvaluator};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

use super::conneg::{identity_body, negotiate, not_acceptable};
use super::{sparql_dataset, sparql_plan};
use crate::app::AppState;
use crate::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new().route("/sparql", get(get_query).post(post_query))
}

/// Limits of one query; the server takes them from an `Extension<SparqlLimits>` layer
/// when there is one, else the defaults (with slots of their own for each request).
#[derive(Debug, Clone)]
pub struct SparqlLimits {
    /// Time a query may run.
    pub timeout: Duration,
    /// Most solutions or triples a query may return.
    pub max_results: usize,
    /// Queries evaluated at the same time, shared by every clone of these limits.
    pub slots: Arc<Semaphore>,
    /// Memory budget of one query, in MiB: the worker's data segment (heap) limit, and the
    /// largest answer the server reads back from it.
    pub memory_mb: u64,
    /// The worker process evaluating queries; `None` evaluates them in this process.
    pub worker: Option<SparqlWorker>,
    /// False when the server was configured without SPARQL (`[server] sparql = false`):
    /// `/sparql` answers 404 and no SPARQL store is kept.
    pub enabled: bool,
}

pub use super::sparql_worker::SparqlWorker;

/// Default of `[server] sparql_concurrency`.
pub const DEFAULT_CONCURRENCY: usize = 2;
/// Default of `[server] sparql_memory_mb`.
pub const DEFAULT_MEMORY_MB: u64 = 1024;

impl SparqlLimits {
    /// Limits with `concurrency` slots, the other settings by default.
    pub fn with_concurrency(concurrency: usize) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(concurrency.max(1))),
            ..Self::default()
        }
    }

    /// Largest answer read back from a worker, in bytes.
    pub(crate) fn max_answer_bytes(&self) -> u64 {
        self.memory_mb.saturating_mul(1024 * 1024)
    }
}

impl Default for SparqlLimits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            max_results: 10_000,
            slots: Arc::new(Semaphore::new(DEFAULT_CONCURRENCY)),
            memory_mb: DEFAULT_MEMORY_MB,
            worker: None,
            enabled: true,
        }
    }
}

/// Longest query text.
const MAX_QUERY_BYTES: usize = 64 * 1024;

/// Deepest nesting of brackets (`(`, `[`, `{`) a query may have. The SPARQL parser and
/// evaluator recurse once or more per level: 5,000 parentheses in a `FILTER` overflowed a
/// worker's stack (the worker died, and the client was told the query needed too much
/// memory). Real queries nest a handful of levels.
const MAX_QUERY_NESTING: usize = 64;

/// Most triple patterns (and property paths) a query may hold. oxigraph orders the joins
/// of a query in time that grows with about the third power of their number: on a store
/// of 5,500 records, 64 patterns joined on one subject took 0.2-0.35 s to start answering,
/// 128 took 2.4 s, 200 ran past the 10 s limit. Real queries hold a few dozen at most; a
/// larger one is refused at once with this number rather than at the time limit.
pub const MAX_TRIPLE_PATTERNS: usize = 64;

/// Refuses a query whose brackets nest deeper than [`MAX_QUERY_NESTING`], naming where,
/// before anything parses it. Brackets inside strings, IRIs and comments do not count.
fn check_nesting(query: &str) -> Result<(), ApiError> {
    match too_deep(query, MAX_QUERY_NESTING) {
        None => Ok(()),
        Some((line, column)) => Err(ApiError::invalid_input(format!(
            "the query nests brackets more than {MAX_QUERY_NESTING} levels deep \
             (line {line}, column {column}): simplify it"
        ))),
    }
}

/// The line and column (from 1, in characters) of the first bracket opened deeper than
/// `max`, if any. A lexer of SPARQL's tokens that can hold a bracket: strings (short and
/// long, with escapes), IRIs (`<` then IRI characters then `>`; otherwise `<` is an
/// operator) and comments (`#` to the end of the line).
fn too_deep(query: &str, max: usize) -> Option<(usize, usize)> {
    let chars: Vec<char> = query.chars().collect();
    let (mut line, mut column) = (1usize, 0usize);
    let mut depth = 0usize;
    let mut i = 0;
    // Moves past `n` characters, keeping the line and column of the last one.
    let step = |i: &mut usize, n: usize, line: &mut usize, column: &mut usize| {
        for _ in 0..n {
            if let Some(&c) = chars.get(*i) {
                if c == '\n' {
                    *line += 1;
                    *column = 0;
                } else {
                    *column += 1;
                }
            }
            *i += 1;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    step(&mut i, 1, &mut line, &mut column);
                }
            }
            '"' | '\'' => {
                let long = chars.get(i + 1) == Some(&c) && chars.get(i + 2) == Some(&c);
                let opening = if long { 3 } else { 1 };
                step(&mut i, opening, &mut line, &mut column);
                while i < chars.len() {
                    if chars[i] == '\\' {
                        step(&mut i, 2, &mut line, &mut column);
                    } else if chars[i] == c
                        && (!long || (chars.get(i + 1) == Some(&c) && chars.get(i + 2) == Some(&c)))
                    {
                        step(&mut i, opening, &mut line, &mut column);
                        break;
                    } else if !long && chars[i] == '\n' {
                        break;
                    } else {
                        step(&mut i, 1, &mut line, &mut column);
                    }
                }
            }
            '<' => {
                let iri = chars[i + 1..]
                    .iter()
                    .position(|&d| d <= ' ' || "<>\"{}|^`\\".contains(d))
                    .filter(|&n| chars[i + 1 + n] == '>');
                let n = iri.map_or(1, |n| n + 2);
                step(&mut i, n, &mut line, &mut column);
            }
            '(' | '[' | '{' => {
                step(&mut i, 1, &mut line, &mut column);
                depth += 1;
                if depth > max {
                    return Some((line, column));
                }
            }
            ')' | ']' | '}' => {
                step(&mut i, 1, &mut line, &mut column);
                depth = depth.saturating_sub(1);
            }
            _ => step(&mut i, 1, &mut line, &mut column),
        }
    }
    None
}

/// Result formats: `?format=` name, media type.
const SOLUTION_FORMATS: [(&str, &str); 5] = [
    ("json", "application/sparql-results+json"),
    ("xml", "application/sparql-results+xml"),
    ("csv", "text/csv"),
    ("tsv", "text/tab-separated-values"),
    ("json", "application/json"),
];
const GRAPH_FORMATS: [(&str, &str); 4] = [
    ("turtle", "text/turtle"),
    ("ntriples", "application/n-triples"),
    ("rdfxml", "application/rdf+xml"),
    ("jsonld", "application/ld+json"),
];

/// Every media type a query may be answered with.
pub(crate) const MEDIA_TYPES: [&str; 9] = [
    SOLUTION_FORMATS[0].1,
    SOLUTION_FORMATS[1].1,
    SOLUTION_FORMATS[2].1,
    SOLUTION_FORMATS[3].1,
    SOLUTION_FORMATS[4].1,
    GRAPH_FORMATS[0].1,
    GRAPH_FORMATS[1].1,
    GRAPH_FORMATS[2].1,
    GRAPH_FORMATS[3].1,
];

/// A protocol request once decoded (also what a worker process receives).
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct ProtocolRequest {
    pub(crate) query: Option<String>,
    pub(crate) format: Option<String>,
    pub(crate) default_graphs: Vec<String>,
    pub(crate) named_graphs: Vec<String>,
}

fn refuse_update() -> ApiError {
    ApiError::with_status(
        StatusCode::FORBIDDEN,
        "forbidden",
        "this SPARQL endpoint is read-only: updates are refused",
    )
}

/// Reads protocol parameters from an urlencoded string (query string or form body).
fn read_params(text: &str, request: &mut ProtocolRequest) -> Result<(), ApiError> {
    for (key, value) in url::form_urlencoded::parse(text.as_bytes()) {
        match key.as_ref() {
            "query" => request.query = Some(value.into_owned()),
            "update" => return Err(refuse_update()),
            "format" => request.format = Some(value.trim().to_ascii_lowercase()),
            "default-graph-uri" => request.default_graphs.push(value.into_owned()),
            "named-graph-uri" => request.named_graphs.push(value.into_owned()),
            _ => {}
        }
    }
    Ok(())
}

async fn get_query(
    State(state): State<AppState>,
    limits: Option<Extension<SparqlLimits>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let limits = enabled(limits)?;
    let mut request = ProtocolRequest::default();
    read_params(raw.as_deref().unwrap_or_default(), &mut request)?;
    if request.format.is_none() && wants_html(&headers) {
        return Ok(html_page(state, limits, request).await);
    }
    answer(state, limits, headers, request).await
}

/// The limits of the server, or 404 when it was configured without SPARQL.
fn enabled(limits: Option<Extension<SparqlLimits>>) -> Result<SparqlLimits, ApiError> {
    let limits = limits.map(|l| l.0).unwrap_or_default();
    if !limits.enabled {
        return Err(ApiError::not_found(
            "SPARQL is turned off on this server ([server] sparql = false); the catalogue \
             is available as DCAT-AP at /catalog",
        ));
    }
    Ok(limits)
}

async fn post_query(
    State(state): State<AppState>,
    limits: Option<Extension<SparqlLimits>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let limits = enabled(limits)?;
    let mut request = ProtocolRequest::default();
    read_params(raw.as_deref().unwrap_or_default(), &mut request)?;
    identity_body(&headers)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::invalid_input("the request body is not UTF-8"))?;
    match content_type.as_str() {
        "application/x-www-form-urlencoded" => read_params(text, &mut request)?,
        "application/sparql-query" => request.query = Some(text.to_owned()),
        "application/sparql-update" => return Err(refuse_update()),
        other => {
            return Err(ApiError::with_status(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!(
                    "content type {other:?} not supported (expected \
                     application/x-www-form-urlencoded or application/sparql-query)"
                ),
            ));
        }
    }
    answer(state, limits, headers, request).await
}

fn wants_html(headers: &HeaderMap) -> bool {
    negotiate(headers, &["application/sparql-results+json", "text/html"]) == Some("text/html")
        && headers.contains_key(header::ACCEPT)
}

/// What a query produced, serialized.
pub(crate) struct Answer {
    pub(crate) media_type: &'static str,
    pub(crate) body: Vec<u8>,
}

async fn answer(
    state: AppState,
    limits: SparqlLimits,
    headers: HeaderMap,
    request: ProtocolRequest,
) -> Result<Response, ApiError> {
    let query_len = request
        .query
        .as_deref()
        .filter(|q| !q.trim().is_empty())
        .ok_or_else(|| ApiError::invalid_input("missing query parameter"))?
        .len();
    if query_len > MAX_QUERY_BYTES {
        return Err(ApiError::invalid_input("query too long"));
    }
    check_nesting(request.query.as_deref().unwrap_or_default())?;
    let Ok(slot) = limits.slots.clone().try_acquire_owned() else {
        return Ok(busy());
    };
    let answer = match limits.worker.clone() {
        Some(worker) => {
            let sync = {
                let state = state.clone();
                move || synced_sparql(&state).map(drop)
            };
            super::sparql_worker::evaluate_in_worker(&worker, sync, &limits, &headers, request)
                .await?
        }
        None => evaluate_here(state, limits, headers, request, slot).await?,
    };
    Ok(([(header::CONTENT_TYPE, answer.media_type)], answer.body).into_response())
}

/// `503` with `Retry-After`: every slot is taken.
fn busy() -> Response {
    let mut response = ApiError::with_status(
        StatusCode::SERVICE_UNAVAILABLE,
        "busy",
        "too many SPARQL queries are running: retry in a moment",
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    response
}

/// Evaluates on a blocking thread of this process, which keeps `slot` until it stops.
async fn evaluate_here(
    state: AppState,
    limits: SparqlLimits,
    headers: HeaderMap,
    request: ProtocolRequest,
    slot: tokio::sync::OwnedSemaphorePermit,
) -> Result<Answer, ApiError> {
    let token = CancellationToken::new();
    let deadline = Instant::now() + limits.timeout;
    let timer = {
        let token = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep_until(deadline.into()).await;
            token.cancel();
        })
    };
    let task = tokio::task::spawn_blocking({
        let token = token.clone();
        let limits = limits.clone();
        move || {
            let _slot = slot;
            let sparql = synced_sparql(&state)?;
            evaluate(&sparql, &request, &headers, &limits, token, deadline)
        }
    });
    // The evaluator sees the cancellation only between quads it reads: a large join under
    // load may take seconds to notice. The client gets its answer at the deadline anyway
    // (plus a short grace for results being serialized); the thread stops on its own.
    let grace = Duration::from_millis(250);
    let Ok(result) = tokio::time::timeout_at((deadline + grace).into(), task).await else {
        token.cancel();
        timer.abort();
        return Err(timeout_error(&limits));
    };
    timer.abort();
    result?
}

pub(crate) fn timeout_error(limits: &SparqlLimits) -> ApiError {
    ApiError::with_status(
        StatusCode::SERVICE_UNAVAILABLE,
        "timeout",
        format!(
            "the query ran past the time limit of {} ms",
            limits.timeout.as_millis()
        ),
    )
}

fn too_many(limits: &SparqlLimits) -> ApiError {
    ApiError::invalid_input(format!(
        "the query returns more than {} results: add a LIMIT or narrow it",
        limits.max_results
    ))
}

fn evaluation_error(err: QueryEvaluationError, limits: &SparqlLimits) -> ApiError {
    match err {
        QueryEvaluationError::Cancelled => timeout_error(limits),
        QueryEvaluationError::Service(_) => {
            ApiError::invalid_input("SERVICE calls to other endpoints are not allowed")
        }
        other => ApiError::invalid_input(format!("query evaluation failed: {other}")),
    }
}

/// The SPARQL store of `state`, synced with its store and index (blocking: the first sync
/// of a large store copies every record graph).
fn synced_sparql(state: &AppState) -> Result<moisson_catalog::SparqlStore, ApiError> {
    let indexing = state.harvests.indexing.as_ref().ok_or_else(|| {
        ApiError::from(moisson_catalog::StoreError::Crashed(
            "no SPARQL store".into(),
        ))
    })?;
    indexing.sync_sparql(&state.store)?;
    Ok(indexing.sparql()?.clone())
}

/// Parses, evaluates and serializes the query of `request` over the SPARQL store `sparql`
/// (the union of its graphs is the default graph unless the request names one) on the
/// calling (blocking) thread.
pub(crate) fn evaluate(
    sparql: &moisson_catalog::SparqlStore,
    request: &ProtocolRequest,
    headers: &HeaderMap,
    limits: &SparqlLimits,
    token: CancellationToken,
    deadline: Instant,
) -> Result<Answer, ApiError> {
    let query = request.query.as_deref().unwrap_or_default();
    let parsed = spargebra::SparqlParser::new()
        .parse_query(query)
        .map_err(|e| {
            let text = e.to_string();
            if query_looks_like_update(query) {
                refuse_update()
            } else {
                ApiError::invalid_input(format!("invalid SPARQL query: {text}"))
            }
        })?;
    let stats = sparql.stats();
    let count = |predicate: &NamedNode, object: &oxigraph::model::Term, cap: u64| {
        sparql
            .oxigraph()
            .quads_for_pattern(None, Some(predicate.as_ref()), Some(object.as_ref()), None)
            .take(cap as usize)
            .count() as u64
    };
    let planned = sparql_plan::plan(
        parsed,
        &sparql_plan::PlanInputs {
            stats: stats.as_deref(),
            count: &count,
        },
    );
    if planned.triple_patterns > MAX_TRIPLE_PATTERNS {
        return Err(ApiError::invalid_input(format!(
            "the query holds {} triple patterns; at most {MAX_TRIPLE_PATTERNS} are evaluated: \
             split it into smaller queries",
            planned.triple_patterns
        )));
    }
    // No SERVICE handler (oxigraph's HTTP client is not compiled in): a query never makes
    // this server reach another address.
    let mut prepared = SparqlEvaluator::new()
        .with_cancellation_token(token)
        .for_query(planned.query);
    set_dataset(prepared.dataset_mut(), request)?;
    restrict_dataset(prepared.dataset_mut());
    let results = prepared
        .on_store(sparql.oxigraph())
        .execute()
        .map_err(|e| evaluation_error(e, limits))?;
    let check_time = || {
        if Instant::now() >= deadline {
            Err(timeout_error(limits))
        } else {
            Ok(())
        }
    };
    match results {
        QueryResults::Solutions(solutions) => {
            let (name, media_type) = pick(&SOLUTION_FORMATS, request, headers)?;
            let variables = solutions.variables().to_vec();
            let mut rows = Vec::new();
            let mut skipped = 0u64;
            for solution in solutions {
                check_time()?;
                let solution = solution.map_err(|e| evaluation_error(e, limits))?;
                // A term no syntax can write as it is (an invalid IRI stored by a bug)
                // would forge rows in CSV, TSV or XML: its row is left out, and counted.
                if !solution
                    .iter()
                    .all(|(_, term)| moisson_catalog::writable_term(term.as_ref()))
                {
                    skipped += 1;
                    continue;
                }
                rows.push(solution);
                if rows.len() > limits.max_results {
                    return Err(too_many(limits));
                }
            }
            if skipped > 0 {
                tracing::warn!(rows = skipped, "sparql: rows with unwritable terms skipped");
            }
            let mut out = QueryResultsSerializer::from_format(results_format(name))
                .serialize_solutions_to_writer(Vec::new(), variables)
                .map_err(internal)?;
            for row in &rows {
                out.serialize(row).map_err(internal)?;
            }
            let body = out.finish().map_err(internal)?;
            Ok(Answer { media_type, body })
        }
        QueryResults::Boolean(value) => {
            let (name, media_type) = pick(&SOLUTION_FORMATS, request, headers)?;
            let body = QueryResultsSerializer::from_format(results_format(name))
                .serialize_boolean_to_writer(Vec::new(), value)
                .map_err(internal)?;
            Ok(Answer { media_type, body })
        }
        QueryResults::Graph(triples) => {
            let (name, media_type) = pick(&GRAPH_FORMATS, request, headers)?;
            let mut collected = Vec::new();
            for triple in triples {
                check_time()?;
                collected.push(triple.map_err(|e| evaluation_error(e, limits))?);
                if collected.len() > limits.max_results {
                    return Err(too_many(limits));
                }
            }
            let format = ExportFormat::from_name(name).unwrap_or(ExportFormat::Turtle);
            let mut out = format.writer(Vec::new())?;
            for t in &collected {
                out.triple(t)?;
            }
            Ok(Answer {
                media_type,
                body: out.finish()?,
            })
        }
    }
}

pub(crate) fn internal(err: std::io::Error) -> ApiError {
    ApiError::from(moisson_catalog::StoreError::Io(err))
}

fn query_looks_like_update(query: &str) -> bool {
    let upper = query.to_ascii_uppercase();
    [
        "INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "COPY", "MOVE", "ADD",
    ]
    .iter()
    .any(|k| upper.split_whitespace().any(|w| w == *k))
        && !upper.contains("SELECT")
        && !upper.contains("CONSTRUCT")
        && !upper.contains("ASK")
        && !upper.contains("DESCRIBE")
}

/// Applies `default-graph-uri` / `named-graph-uri` (graphs outside the reachable ones
/// stay empty: the dataset answers nothing for them).
fn set_dataset(
    dataset: &mut oxigraph::sparql::QueryDataset,
    request: &ProtocolRequest,
) -> Result<(), ApiError> {
    let parse = |iri: &String| {
        NamedNode::new(iri.as_str())
            .map_err(|_| ApiError::invalid_input(format!("invalid graph IRI {iri:?}")))
    };
    if request.default_graphs.len() + request.named_graphs.len() > 100 {
        return Err(ApiError::invalid_input("too many graph IRIs"));
    }
    if !request.default_graphs.is_empty() {
        let graphs = request
            .default_graphs
            .iter()
            .map(|g| parse(g).map(GraphName::from))
            .collect::<Result<Vec<_>, _>>()?;
        dataset.set_default_graph(graphs);
    }
    if !request.named_graphs.is_empty() {
        let graphs = request
            .named_graphs
            .iter()
            .map(|g| parse(g).map(Into::into))
            .collect::<Result<Vec<_>, _>>()?;
        dataset.set_available_named_graphs(graphs);
    }
    Ok(())
}

/// Keeps a query's dataset to what queries may see. Its default graph is the SPARQL
/// store's (the record graphs' triples, what producers published) unless the query or the
/// request names graphs; named graphs are the vocabularies and the classification, and
/// only those: a name outside them (the store's bookkeeping graphs) reads as an empty graph.
fn restrict_dataset(dataset: &mut oxigraph::sparql::QueryDataset) {
    let public = sparql_dataset::public_named_graphs();
    let nothing = || NamedNode::new_unchecked("urn:moisson:no-such-graph");
    if let Some(graphs) = dataset.default_graph_graphs() {
        let kept = graphs
            .iter()
            .map(|g| match g {
                GraphName::NamedNode(n) if !public.contains(n) => nothing().into(),
                GraphName::BlankNode(_) => nothing().into(),
                other => other.clone(),
            })
            .collect();
        dataset.set_default_graph(kept);
    }
    let named: Vec<oxigraph::model::NamedOrBlankNode> = match dataset.available_named_graphs() {
        Some(graphs) => graphs
            .iter()
            .filter(|g| {
                matches!(g, oxigraph::model::NamedOrBlankNode::NamedNode(n) if public.contains(n))
            })
            .cloned()
            .collect(),
        None => public.iter().cloned().map(Into::into).collect(),
    };
    dataset.set_available_named_graphs(if named.is_empty() {
        vec![nothing().into()]
    } else {
        named
    });
}

/// Picks a format among `offered` by `?format=` or `Accept`.
fn pick(
    offered: &[(&'static str, &'static str)],
    request: &ProtocolRequest,
    headers: &HeaderMap,
) -> Result<(&'static str, &'static str), ApiError> {
    if let Some(name) = &request.format {
        return offered
            .iter()
            .find(|(n, _)| n == name)
            .copied()
            .ok_or_else(|| {
                let names: Vec<&str> = offered.iter().map(|(n, _)| *n).collect();
                ApiError::invalid_input(format!(
                    "format {name:?} does not fit this query (expected {})",
                    names.join(", ")
                ))
            });
    }
    let media: Vec<&str> = offered.iter().map(|(_, m)| *m).collect();
    let chosen = negotiate(headers, &media).ok_or_else(|| not_acceptable(&media))?;
    Ok(*offered
        .iter()
        .find(|(_, m)| *m == chosen)
        .expect("negotiate returns an offered type"))
}

fn results_format(name: &str) -> QueryResultsFormat {
    match name {
        "xml" => QueryResultsFormat::Xml,
        "csv" => QueryResultsFormat::Csv,
        "tsv" => QueryResultsFormat::Tsv,
        _ => QueryResultsFormat::Json,
    }
}

/// A browser's visit: the query page, with the results of its query as a table (the
/// query runs as JSON results, through the same limits as any other).
async fn html_page(
    state: AppState,
    limits: SparqlLimits,
    mut request: ProtocolRequest,
) -> Response {
    use crate::ui::sparql::{render, Outcome};
    let Some(query) = request.query.clone().filter(|q| !q.trim().is_empty()) else {
        return render(None, None);
    };
    request.format = Some("json".into());
    let mut accept = HeaderMap::new();
    accept.insert(
        header::ACCEPT,
        header::HeaderValue::from_static("application/sparql-results+json"),
    );
    let outcome = match answer(state, limits.clone(), accept, request).await {
        Ok(response) if response.status().is_success() => {
            let body = axum::body::to_bytes(
                response.into_body(),
                usize::try_from(limits.max_answer_bytes()).unwrap_or(usize::MAX),
            )
            .await;
            match body.ok().and_then(|b| serde_json::from_slice(&b).ok()) {
                Some(json) => Outcome::Results(json),
                None => Outcome::Failed(
                    StatusCode::BAD_REQUEST,
                    "cette requête ne donne pas de tableau (CONSTRUCT ou DESCRIBE : demandez-la en Turtle avec format=turtle)".into(),
                ),
            }
        }
        Ok(response) => Outcome::Failed(
            response.status(),
            "trop de requêtes en cours, réessayez dans un instant".into(),
        ),
        Err(err) => {
            let (status, _, message) = err.parts();
            Outcome::Failed(status, message.to_owned())
        }
    };
    render(Some(&query), Some(outcome))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_parameters_are_refused() {
        let mut request = ProtocolRequest::default();
        assert!(read_params("update=DROP%20ALL", &mut request).is_err());
        assert!(read_params("query=ASK%7B%7D&format=csv", &mut request).is_ok());
        assert_eq!(request.query.as_deref(), Some("ASK{}"));
        assert!(query_looks_like_update("DROP ALL"));
        assert!(!query_looks_like_update("SELECT * WHERE { ?s ?p ?o }"));
    }

    #[test]
    fn deeply_nested_queries_are_refused_where_they_nest() {
        let parens = |n: usize| {
            format!(
                "SELECT * WHERE {{ ?s ?p ?o FILTER({}1{}) }}",
                "(".repeat(n),
                ")".repeat(n)
            )
        };
        let groups = |n: usize| format!("SELECT * WHERE {}{}", "{".repeat(n), "}".repeat(n));
        // The limit counts every kind of bracket: `{` and `FILTER(` are two levels.
        assert_eq!(too_deep(&parens(62), MAX_QUERY_NESTING), None);
        assert_eq!(too_deep(&parens(63), MAX_QUERY_NESTING), Some((1, 96)));
        assert_eq!(too_deep(&groups(64), MAX_QUERY_NESTING), None);
        let deep = format!("SELECT *\nWHERE {}", "{".repeat(65));
        assert_eq!(too_deep(&deep, MAX_QUERY_NESTING), Some((2, 71)));
        let err = check_nesting(&parens(5_000)).expect_err("refused");
        assert!(
            err.parts().2.contains("line 1, column 96"),
            "{}",
            err.parts().2
        );
        // Brackets in strings, IRIs and comments are not nesting; `<` may be an operator.
        let quiet = format!(
            "SELECT * WHERE {{ ?s <http://example.org/a(b)[c]> \"{0}\" ; ?p '''{0}\\''' . \
             FILTER(?o < 3 && ?o > 1) # {0}\n }}",
            "(".repeat(100)
        );
        assert_eq!(too_deep(&quiet, MAX_QUERY_NESTING), None);
        let operator = format!(
            "ASK {{ FILTER(1 < {}2{}) }}",
            "(".repeat(70),
            ")".repeat(70)
        );
        assert!(too_deep(&operator, MAX_QUERY_NESTING).is_some());
        // What the limit lets through parses and runs on a 2 MiB stack (a blocking thread's).
        let accepted = [parens(62), groups(64)];
        std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || {
                for query in accepted {
                    let store = oxigraph::store::Store::new().expect("store");
                    let prepared = SparqlEvaluator::new().parse_query(&query).expect("parses");
                    let results = prepared.on_store(&store).execute().expect("runs");
                    if let QueryResults::Solutions(solutions) = results {
                        // The empty groups' one empty solution, or no match of the filter.
                        let solutions: Vec<_> = solutions.collect();
                        assert!(solutions.len() <= 1 && solutions.iter().all(Result::is_ok));
                    }
                }
            })
            .expect("thread")
            .join()
            .expect("no overflow");
    }
}
