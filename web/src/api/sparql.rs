//! `GET/POST /sparql`: the SPARQL 1.1 Protocol, read-only, over the active records (see
//! [`super::sparql_dataset`]).
//!
//! Queries come as `?query=`, as an urlencoded `query=` body or as an
//! `application/sparql-query` body; updates (`update=`, `application/sparql-update`) are
//! refused. Results are JSON, XML, CSV or TSV (SELECT, ASK) and Turtle, N-Triples, RDF/XML
//! or JSON-LD (CONSTRUCT, DESCRIBE), chosen by `?format=` or `Accept`.
//!
//! Limits: a query runs on a blocking thread and is cancelled at its deadline (oxigraph
//! checks the cancellation token at every quad it reads), and at most
//! [`SparqlLimits::max_results`] results are produced, else the query fails: results are
//! complete or absent, never silently cut.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use maud::{html, Markup, DOCTYPE};
use moisson_catalog::ExportFormat;
use oxigraph::model::{GraphName, NamedNode};
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use oxigraph::sparql::{CancellationToken, QueryEvaluationError, QueryResults, SparqlEvaluator};
use std::time::{Duration, Instant};

use super::conneg::{negotiate, not_acceptable};
use super::sparql_dataset::{classification_of, ActiveDataset};
use crate::app::AppState;
use crate::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new().route("/sparql", get(get_query).post(post_query))
}

/// Limits of one query; the server takes them from an `Extension<SparqlLimits>` layer
/// when there is one, else the defaults.
#[derive(Debug, Clone, Copy)]
pub struct SparqlLimits {
    /// Time a query may run.
    pub timeout: Duration,
    /// Most solutions or triples a query may return.
    pub max_results: usize,
}

impl Default for SparqlLimits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            max_results: 10_000,
        }
    }
}

/// Longest query text.
const MAX_QUERY_BYTES: usize = 64 * 1024;

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

/// A protocol request once decoded.
#[derive(Debug, Default)]
struct ProtocolRequest {
    query: Option<String>,
    format: Option<String>,
    default_graphs: Vec<String>,
    named_graphs: Vec<String>,
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
    let mut request = ProtocolRequest::default();
    read_params(raw.as_deref().unwrap_or_default(), &mut request)?;
    if request.query.is_none() && wants_html(&headers) {
        return Ok(Html(form_page().into_string()).into_response());
    }
    answer(
        state,
        limits.map(|l| l.0).unwrap_or_default(),
        headers,
        request,
    )
    .await
}

async fn post_query(
    State(state): State<AppState>,
    limits: Option<Extension<SparqlLimits>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let mut request = ProtocolRequest::default();
    read_params(raw.as_deref().unwrap_or_default(), &mut request)?;
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
    answer(
        state,
        limits.map(|l| l.0).unwrap_or_default(),
        headers,
        request,
    )
    .await
}

fn wants_html(headers: &HeaderMap) -> bool {
    negotiate(headers, &["application/sparql-results+json", "text/html"]) == Some("text/html")
        && headers.contains_key(header::ACCEPT)
}

/// What a query produced, serialized.
struct Answer {
    media_type: &'static str,
    body: Vec<u8>,
}

async fn answer(
    state: AppState,
    limits: SparqlLimits,
    headers: HeaderMap,
    request: ProtocolRequest,
) -> Result<Response, ApiError> {
    let query = request
        .query
        .clone()
        .filter(|q| !q.trim().is_empty())
        .ok_or_else(|| ApiError::invalid_input("missing query parameter"))?;
    if query.len() > MAX_QUERY_BYTES {
        return Err(ApiError::invalid_input("query too long"));
    }
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
        move || evaluate(&state, &query, &request, &headers, &limits, token, deadline)
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
    let answer = result??;
    Ok(([(header::CONTENT_TYPE, answer.media_type)], answer.body).into_response())
}

fn timeout_error(limits: &SparqlLimits) -> ApiError {
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

/// Parses, evaluates and serializes the query on the calling (blocking) thread.
fn evaluate(
    state: &AppState,
    query: &str,
    request: &ProtocolRequest,
    headers: &HeaderMap,
    limits: &SparqlLimits,
    token: CancellationToken,
    deadline: Instant,
) -> Result<Answer, ApiError> {
    let mut prepared = SparqlEvaluator::new()
        .with_cancellation_token(token)
        .parse_query(query)
        .map_err(|e| {
            let text = e.to_string();
            if query_looks_like_update(query) {
                refuse_update()
            } else {
                ApiError::invalid_input(format!("invalid SPARQL query: {text}"))
            }
        })?;
    set_dataset(prepared.dataset_mut(), request)?;
    let snapshot = state.store.active_snapshot()?;
    let classification = classification_of(&state.index)?;
    let dataset = ActiveDataset::new(&state.store, &snapshot, classification);
    let results = prepared
        .on_queryable_dataset(dataset)
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
            for solution in solutions {
                check_time()?;
                rows.push(solution.map_err(|e| evaluation_error(e, limits))?);
                if rows.len() > limits.max_results {
                    return Err(too_many(limits));
                }
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

fn internal(err: std::io::Error) -> ApiError {
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

const EXAMPLE_QUERY: &str = "PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
# Jeux de données par thème attribué par Moisson
SELECT ?theme ?label (COUNT(DISTINCT ?jeu) AS ?nombre) WHERE {
  GRAPH <urn:moisson:classification> { ?jeu dcat:theme ?theme }
  ?theme skos:prefLabel ?label .
}
GROUP BY ?theme ?label
ORDER BY DESC(?nombre)";

/// The query form (no script; the browser submits it as a GET).
fn form_page() -> Markup {
    html! {
        (DOCTYPE)
        html lang="fr" {
            head {
                meta charset="utf-8";
                title { "Moisson — point d'accès SPARQL" }
            }
            body {
                h1 { "Point d'accès SPARQL" }
                p {
                    "Interrogez les métadonnées moissonnées (fiches actives seulement) en "
                    a href="https://www.w3.org/TR/sparql11-query/" { "SPARQL 1.1" }
                    ". Lecture seule ; durée et nombre de résultats limités. Le graphe "
                    code { "urn:moisson:classification" }
                    " contient les thèmes, cas d'usage et territoires attribués par Moisson."
                }
                form method="get" action="/sparql" {
                    p {
                        label for="query" { "Requête" }
                        br;
                        textarea id="query" name="query" rows="14" cols="90" { (EXAMPLE_QUERY) }
                    }
                    p {
                        label for="format" { "Format des résultats " }
                        select id="format" name="format" {
                            option value="json" { "JSON" }
                            option value="xml" { "XML" }
                            option value="csv" { "CSV" }
                            option value="tsv" { "TSV" }
                            option value="turtle" { "Turtle (CONSTRUCT, DESCRIBE)" }
                            option value="ntriples" { "N-Triples (CONSTRUCT, DESCRIBE)" }
                        }
                    }
                    p { button type="submit" { "Exécuter" } }
                }
            }
        }
    }
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
}
