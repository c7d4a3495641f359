//! `GET /metrics`: Prometheus text exposition (format 0.0.4), written by hand.
//!
//! HTTP requests are counted by a middleware, per method, route template (axum's
//! `MatchedPath`, never the raw path, so label values stay bounded) and status, with a
//! latency histogram (time to the response head; streamed bodies continue after it).
//! Harvest figures are read from the stored job reports at scrape time, so they survive
//! restarts and agree with `/api/sources/{id}/jobs`; store and index sizes are read from
//! disk.

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::app::AppState;
use crate::error::ApiError;

/// Upper bounds of the HTTP latency buckets, in seconds.
const HTTP_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Upper bounds of the harvest duration buckets, in seconds.
const JOB_BUCKETS: [f64; 8] = [1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 14400.0];
/// Most distinct (method, route, status) series kept; routes are templates, so this is
/// only reached by a bug.
const MAX_SERIES: usize = 2000;

/// A histogram: cumulative counts per bucket, sum and count.
#[derive(Debug, Clone, Default)]
struct Histogram {
    buckets: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, bounds: &[f64], value: f64) {
        if self.buckets.is_empty() {
            self.buckets = vec![0; bounds.len()];
        }
        for (bucket, bound) in self.buckets.iter_mut().zip(bounds) {
            if value <= *bound {
                *bucket += 1;
            }
        }
        self.sum += value;
        self.count += 1;
    }

    fn write(&self, out: &mut String, name: &str, labels: &str, bounds: &[f64]) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (bucket, bound) in self.buckets.iter().zip(bounds) {
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {bucket}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", self.sum);
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.count);
    }
}

/// Counters of the HTTP requests this server answered.
#[derive(Debug, Default)]
pub struct HttpMetrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<(String, String), Histogram>>,
}

impl HttpMetrics {
    fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        if let Ok(mut requests) = self.requests.lock() {
            let key = (method.to_owned(), route.to_owned(), status);
            if requests.len() < MAX_SERIES || requests.contains_key(&key) {
                *requests.entry(key).or_default() += 1;
            }
        }
        if let Ok(mut latency) = self.latency.lock() {
            let key = (method.to_owned(), route.to_owned());
            if latency.len() < MAX_SERIES || latency.contains_key(&key) {
                latency
                    .entry(key)
                    .or_default()
                    .observe(&HTTP_BUCKETS, seconds);
            }
        }
    }

    fn write(&self, out: &mut String) {
        header_lines(
            out,
            "moisson_http_requests_total",
            "counter",
            "HTTP requests answered, by method, route template and status.",
        );
        if let Ok(requests) = self.requests.lock() {
            for ((method, route, status), n) in requests.iter() {
                let _ = writeln!(
                    out,
                    "moisson_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                    escape(method),
                    escape(route)
                );
            }
        }
        header_lines(
            out,
            "moisson_http_request_duration_seconds",
            "histogram",
            "Time to the response head, by method and route template.",
        );
        if let Ok(latency) = self.latency.lock() {
            for ((method, route), h) in latency.iter() {
                let labels = format!("method=\"{}\",route=\"{}\"", escape(method), escape(route));
                h.write(
                    out,
                    "moisson_http_request_duration_seconds",
                    &labels,
                    &HTTP_BUCKETS,
                );
            }
        }
    }
}

/// The middleware counting every request.
pub async fn track(
    State(metrics): State<Arc<HttpMetrics>>,
    request: Request,
    next: Next,
) -> Response {
    let method = method_label(request.method()).to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.record(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// The `method` label of a request: the standard methods by name, any other `other`, so
/// that a client inventing method names cannot grow the number of series.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    const KNOWN: [(Method, &str); 9] = [
        (Method::GET, "GET"),
        (Method::HEAD, "HEAD"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::DELETE, "DELETE"),
        (Method::PATCH, "PATCH"),
        (Method::OPTIONS, "OPTIONS"),
        (Method::CONNECT, "CONNECT"),
        (Method::TRACE, "TRACE"),
    ];
    KNOWN
        .iter()
        .find(|(known, _)| known == method)
        .map_or("other", |(_, label)| *label)
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

async fn metrics(
    State(state): State<AppState>,
    http: Option<Extension<Arc<HttpMetrics>>>,
    sparql: Option<Extension<crate::api::sparql::SparqlLimits>>,
) -> Result<Response, ApiError> {
    let mut out = tokio::task::spawn_blocking(move || harvest_and_storage(&state)).await??;
    if let Some(Extension(http)) = http {
        http.write(&mut out);
    }
    if let Some(worker) = sparql.as_ref().and_then(|s| s.worker.as_ref()) {
        let name = "moisson_sparql_workers_started_total";
        header_lines(
            &mut out,
            name,
            "counter",
            "SPARQL worker processes started.",
        );
        let _ = writeln!(out, "{name} {}", worker.workers_started());
        let name = "moisson_sparql_workers_idle";
        header_lines(
            &mut out,
            name,
            "gauge",
            "SPARQL worker processes idle in the pool.",
        );
        let _ = writeln!(out, "{name} {}", worker.workers_idle());
        let name = "moisson_sparql_workers_replaced_total";
        header_lines(
            &mut out,
            name,
            "counter",
            "SPARQL worker processes started in the background to replace one that left.",
        );
        let _ = writeln!(out, "{name} {}", worker.workers_replaced());
    }
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response())
}

fn header_lines(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Escapes a label value.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Harvest figures per source, from the stored job reports, then record, store and
/// index sizes.
fn harvest_and_storage(state: &AppState) -> Result<String, ApiError> {
    let mut jobs: BTreeMap<(String, &'static str), u64> = BTreeMap::new();
    let mut records: BTreeMap<(String, &'static str), u64> = BTreeMap::new();
    let mut durations: BTreeMap<String, Histogram> = BTreeMap::new();
    let mut running: BTreeMap<String, u64> = BTreeMap::new();
    for source in state.sources.current().iter() {
        let id = source.id.as_str().to_owned();
        for job in state.store.jobs(&id, usize::MAX)? {
            *jobs.entry((id.clone(), job.status.as_str())).or_default() += 1;
            let c = &job.counts;
            for (outcome, n) in [
                ("added", c.added),
                ("updated", c.updated),
                ("unchanged", c.unchanged),
                ("removed", c.removed),
                ("rejected", c.rejected),
            ] {
                *records.entry((id.clone(), outcome)).or_default() += n;
            }
            if let Some(ms) = job.duration_ms {
                durations
                    .entry(id.clone())
                    .or_default()
                    .observe(&JOB_BUCKETS, ms as f64 / 1000.0);
            }
        }
        running.insert(id.clone(), u64::from(state.harvests.is_running(&id)));
    }
    let mut out = String::new();
    header_lines(
        &mut out,
        "moisson_harvest_jobs_total",
        "counter",
        "Harvest jobs, by source and status.",
    );
    for ((source, status), n) in &jobs {
        let _ = writeln!(
            out,
            "moisson_harvest_jobs_total{{source=\"{}\",status=\"{status}\"}} {n}",
            escape(source)
        );
    }
    header_lines(
        &mut out,
        "moisson_harvest_records_total",
        "counter",
        "Records seen by harvests, by source and outcome.",
    );
    for ((source, outcome), n) in &records {
        let _ = writeln!(
            out,
            "moisson_harvest_records_total{{source=\"{}\",outcome=\"{outcome}\"}} {n}",
            escape(source)
        );
    }
    header_lines(
        &mut out,
        "moisson_harvest_duration_seconds",
        "histogram",
        "Duration of finished harvest jobs, by source.",
    );
    for (source, h) in &durations {
        h.write(
            &mut out,
            "moisson_harvest_duration_seconds",
            &format!("source=\"{}\"", escape(source)),
            &JOB_BUCKETS,
        );
    }
    header_lines(
        &mut out,
        "moisson_harvest_running",
        "gauge",
        "1 while a harvest of the source runs.",
    );
    for (source, n) in &running {
        let _ = writeln!(
            out,
            "moisson_harvest_running{{source=\"{}\"}} {n}",
            escape(source)
        );
    }
    let snapshot = state.store.active_snapshot()?;
    let mut active: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for r in snapshot.records() {
        *active
            .entry((r.source.as_str(), r.kind.as_str()))
            .or_default() += 1;
    }
    header_lines(
        &mut out,
        "moisson_records",
        "gauge",
        "Active records, by source and kind.",
    );
    for ((source, kind), n) in &active {
        let _ = writeln!(
            out,
            "moisson_records{{source=\"{}\",kind=\"{kind}\"}} {n}",
            escape(source)
        );
    }
    let index_dir = state.index.dir();
    let store_bytes = index_dir
        .and_then(crate::DataDir::of_index)
        .map_or(0, |data| moisson_catalog::dir_bytes(&data.store()));
    header_lines(
        &mut out,
        "moisson_store_size_bytes",
        "gauge",
        "On-disk size of the RDF store (data_dir/store).",
    );
    let _ = writeln!(out, "moisson_store_size_bytes {store_bytes}");
    let sparql_bytes = index_dir
        .and_then(crate::DataDir::of_index)
        .map_or(0, |data| {
            moisson_catalog::SparqlStore::disk_bytes(&moisson_catalog::SparqlStore::dir_of(
                &data.store(),
            ))
        });
    header_lines(
        &mut out,
        "moisson_sparql_store_size_bytes",
        "gauge",
        "On-disk size of the SPARQL store (data_dir/store-sparql and its list of held graphs, derived from the store).",
    );
    let _ = writeln!(out, "moisson_sparql_store_size_bytes {sparql_bytes}");
    header_lines(
        &mut out,
        "moisson_index_size_bytes",
        "gauge",
        "On-disk size of the search index.",
    );
    let _ = writeln!(out, "moisson_index_size_bytes {}", state.index.size_bytes());
    header_lines(
        &mut out,
        "moisson_index_documents",
        "gauge",
        "Documents in the search index (datasets, duplicates merged).",
    );
    let _ = writeln!(
        out,
        "moisson_index_documents {}",
        state.index.document_count()
    );
    let cache = state.index.cache_stats();
    header_lines(
        &mut out,
        "moisson_search_cache_total",
        "counter",
        "Searches by cache outcome: answer (whole answer reused), facets (facet counts reused), computed.",
    );
    let _ = writeln!(
        out,
        "moisson_search_cache_total{{outcome=\"answer\"}} {}",
        cache.answer_hits
    );
    let _ = writeln!(
        out,
        "moisson_search_cache_total{{outcome=\"facets\"}} {}",
        cache.facet_hits
    );
    let _ = writeln!(
        out,
        "moisson_search_cache_total{{outcome=\"computed\"}} {}",
        cache.answer_misses.saturating_sub(cache.facet_hits)
    );
    let (computing, waiting) = state.index.search_load();
    header_lines(
        &mut out,
        "moisson_searches",
        "gauge",
        "Searches not answered from the cache: computing (at most one more than the cores) and waiting their turn.",
    );
    let _ = writeln!(out, "moisson_searches{{state=\"computing\"}} {computing}");
    let _ = writeln!(out, "moisson_searches{{state=\"waiting\"}} {waiting}");
    memory_lines(&mut out);
    Ok(out)
}

/// The process's resident size and its allocator's figures (web/src/memory.rs).
fn memory_lines(out: &mut String) {
    let resident = moisson_catalog::resident::Resident::now();
    header_lines(
        out,
        "moisson_resident_memory_bytes",
        "gauge",
        "Resident memory of the server process (without its SPARQL workers).",
    );
    let _ = writeln!(
        out,
        "moisson_resident_memory_bytes {}",
        (resident.rss_mib * 1024.0 * 1024.0) as u64
    );
    let Some(figures) = crate::memory::allocator_figures() else {
        return;
    };
    header_lines(
        out,
        "moisson_allocator_bytes",
        "gauge",
        "The allocator's figures: allocated (in use by the program), active (pages holding allocations), resident (its pages in memory), mapped.",
    );
    for (figure, bytes) in [
        ("allocated", figures.allocated),
        ("active", figures.active),
        ("resident", figures.resident),
        ("mapped", figures.mapped),
    ] {
        let _ = writeln!(
            out,
            "moisson_allocator_bytes{{figure=\"{figure}\"}} {bytes}"
        );
    }
}

/// Returns the total size of the files under `dir` (RocksDB keeps one level of folders).
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_labels_escaped() {
        let mut h = Histogram::default();
        h.observe(&HTTP_BUCKETS, 0.02);
        h.observe(&HTTP_BUCKETS, 3.0);
        let mut out = String::new();
        h.write(&mut out, "x", "route=\"/a\"", &HTTP_BUCKETS);
        assert!(out.contains("x_bucket{route=\"/a\",le=\"0.025\"} 1\n"));
        assert!(out.contains("x_bucket{route=\"/a\",le=\"5\"} 2\n"));
        assert!(out.contains("x_bucket{route=\"/a\",le=\"+Inf\"} 2\n"));
        assert!(out.contains("x_count{route=\"/a\"} 2\n"));
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn unknown_methods_share_one_label() {
        use axum::http::Method;
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::DELETE), "DELETE");
        for name in ["FOO", "GETX", "X-ATTACK-1", "PROPFIND"] {
            let method = Method::from_bytes(name.as_bytes()).expect("a valid token");
            assert_eq!(method_label(&method), "other", "{name}");
        }
    }
}
