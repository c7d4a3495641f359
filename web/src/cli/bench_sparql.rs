//! `moisson bench-sparql`: ten realistic SPARQL queries over the store and index that
//! `moisson bench-search` leaves, timed through the path `/sparql` takes: each query in a
//! `moisson sparql-worker` process of a pool (store opened read-only, active graphs read
//! from the registry, the classification sent on stdin once), with `--fresh-workers` in
//! a new worker process per query (the server's behaviour before the pool), or with
//! `--in-process` evaluated on a thread of this process (the evaluation alone). p50/p99
//! with one client, then with `--clients` clients at once.

use anyhow::{bail, Context};
use axum::http::{header, HeaderMap, HeaderValue};
use clap::Args;
use moisson_catalog::{CatalogStore, SparqlStore};
use moisson_search::SearchIndex;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::api::sparql::{evaluate, ProtocolRequest, SparqlLimits, SparqlWorker};
use crate::api::sparql_dataset::sync_sparql;
use crate::api::sparql_worker::evaluate_in_worker;

#[derive(Args)]
pub(super) struct BenchSparqlArgs {
    /// The folder `moisson bench-search` filled (`store/` and `index/`).
    #[arg(long, default_value = "target/bench-search")]
    work_dir: PathBuf,
    /// Runs of each query with one client.
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// Clients at once for the concurrent round.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Runs of each query per client in the concurrent round.
    #[arg(long, default_value_t = 3)]
    client_runs: usize,
    /// Evaluates in this process instead of in worker processes.
    #[arg(long)]
    in_process: bool,
    /// Starts a new worker process for every query instead of reusing pooled ones.
    #[arg(long)]
    fresh_workers: bool,
    /// Time limit of one query, in seconds (`[server] sparql_timeout_secs`).
    #[arg(long, default_value_t = 10)]
    timeout_secs: u64,
    /// The binary started as worker (default: this one); it must speak this build's
    /// worker protocol.
    #[arg(long)]
    worker_program: Option<PathBuf>,
    /// Only the queries whose name contains this text.
    #[arg(long)]
    only: Option<String>,
    /// Writes each query's text and first answer to this folder (`NN.rq`, `NN.answer`),
    /// to compare the answers of two builds.
    #[arg(long)]
    answers: Option<PathBuf>,
}

const PREFIXES: &str = "PREFIX dcat: <http://www.w3.org/ns/dcat#>\n\
PREFIX dct: <http://purl.org/dc/terms/>\n\
PREFIX foaf: <http://xmlns.com/foaf/0.1/>\n\
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n\
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n";

/// The queries: name, text (`{publisher}`, `{dataset}` and `{theme}` are replaced by
/// values found in the store), media type asked.
const QUERIES: [(&str, &str, &str); 10] = [
    (
        "datasets per theme (classification)",
        "SELECT ?theme (COUNT(DISTINCT ?d) AS ?n) WHERE { GRAPH <urn:moisson:classification> { ?d dcat:theme ?theme } } GROUP BY ?theme ORDER BY DESC(?n)",
        "text/csv",
    ),
    (
        "datasets per stated theme",
        "SELECT ?theme (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d a dcat:Dataset ; dcat:theme ?theme } GROUP BY ?theme ORDER BY DESC(?n) LIMIT 50",
        "text/csv",
    ),
    (
        "datasets per publisher",
        "SELECT ?publisher (COUNT(?d) AS ?n) WHERE { ?d a dcat:Dataset ; dct:publisher ?publisher } GROUP BY ?publisher ORDER BY DESC(?n) LIMIT 20",
        "text/csv",
    ),
    (
        "a publisher's datasets with distributions",
        "SELECT ?d ?title ?dist ?url WHERE { ?d dct:publisher <{publisher}> ; dct:title ?title ; dcat:distribution ?dist . ?dist dcat:accessURL ?url } LIMIT 200",
        "application/sparql-results+json",
    ),
    (
        "4-pattern join: theme, title, format",
        "SELECT ?d ?title ?format WHERE { ?d dcat:theme <{theme}> ; dct:title ?title ; dcat:distribution ?dist . ?dist dct:format ?format } LIMIT 100",
        "application/sparql-results+json",
    ),
    (
        "FILTER on modification dates",
        "SELECT ?d ?modified WHERE { ?d a dcat:Dataset ; dct:modified ?modified FILTER(?modified >= \"2023-01-01\"^^xsd:date && ?modified < \"2023-07-01\"^^xsd:date) } ORDER BY DESC(?modified) LIMIT 100",
        "application/sparql-results+json",
    ),
    (
        "keyword search with a text filter",
        "SELECT DISTINCT ?d ?title WHERE { ?d a dcat:Dataset ; dct:title ?title ; dcat:keyword ?k FILTER(CONTAINS(LCASE(STR(?k)), \"eau\")) } LIMIT 50",
        "application/sparql-results+json",
    ),
    (
        "DESCRIBE one dataset",
        "DESCRIBE <{dataset}>",
        "text/turtle",
    ),
    (
        "CONSTRUCT one dataset with its distributions",
        "CONSTRUCT { <{dataset}> ?p ?o . ?dist ?dp ?do } WHERE { { <{dataset}> ?p ?o } UNION { <{dataset}> dcat:distribution ?dist . ?dist ?dp ?do } }",
        "text/turtle",
    ),
    (
        "ASK: datasets without a licence",
        "ASK { ?d a dcat:Dataset FILTER NOT EXISTS { ?d dcat:distribution ?dist . ?dist dct:license ?l } }",
        "application/sparql-results+json",
    ),
];

/// How to run one query: in a worker process, or here.
#[derive(Clone)]
struct Runner {
    store: CatalogStore,
    sparql: SparqlStore,
    limits: SparqlLimits,
    worker: Option<SparqlWorker>,
}

impl Runner {
    /// Runs `query` once; returns its duration and answer, or the error.
    async fn run(&self, query: &str, accept: &str) -> anyhow::Result<(Duration, Vec<u8>)> {
        let request = ProtocolRequest {
            query: Some(query.to_owned()),
            ..ProtocolRequest::default()
        };
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(accept)?);
        let started = Instant::now();
        let answer = match &self.worker {
            Some(worker) => {
                evaluate_in_worker(worker, || Ok(()), &self.limits, &headers, request).await
            }
            None => {
                let (sparql, limits) = (self.sparql.clone(), self.limits.clone());
                tokio::task::spawn_blocking(move || {
                    let deadline = Instant::now() + limits.timeout;
                    let token = oxigraph::sparql::CancellationToken::new();
                    // As `/sparql` in process: the evaluation is cancelled at the deadline.
                    let watchdog = token.clone();
                    std::thread::spawn(move || {
                        std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
                        watchdog.cancel();
                    });
                    evaluate(&sparql, &request, &headers, &limits, token, deadline)
                })
                .await?
            }
        };
        let elapsed = started.elapsed();
        match answer {
            Ok(answer) => Ok((elapsed, answer.body)),
            Err(err) => {
                let (status, code, message) = err.parts();
                bail!("{status} {code}: {message}")
            }
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1000.0
}

/// Finds a value for a placeholder with a one-row query.
async fn probe(runner: &Runner, query: &str, what: &str) -> anyhow::Result<String> {
    let request = ProtocolRequest {
        query: Some(format!("{PREFIXES}{query}")),
        ..ProtocolRequest::default()
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::ACCEPT, HeaderValue::from_static("text/csv"));
    let (sparql, limits) = (runner.sparql.clone(), runner.limits.clone());
    let answer = tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + limits.timeout;
        let token = oxigraph::sparql::CancellationToken::new();
        evaluate(&sparql, &request, &headers, &limits, token, deadline)
    })
    .await?
    .map_err(|e| anyhow::anyhow!("probing {what}: {}", e.parts().2))?;
    let text = String::from_utf8_lossy(&answer.body).into_owned();
    text.lines()
        .nth(1)
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .with_context(|| format!("no {what} in the store"))
}

pub(super) async fn run(args: BenchSparqlArgs) -> anyhow::Result<ExitCode> {
    let store_dir = crate::DataDir::new(&args.work_dir).store();
    let index_dir = crate::DataDir::new(&args.work_dir).index();
    if !store_dir.is_dir() || !index_dir.is_dir() {
        bail!(
            "{} has no store/ and index/: run `moisson bench-search --work-dir {}` first",
            args.work_dir.display(),
            args.work_dir.display()
        );
    }
    let store = CatalogStore::open_read_only(&store_dir)?;
    let index = Arc::new(SearchIndex::open_read_only(&index_dir)?);
    // The SPARQL store is synced here when no server holds it (else read as it is).
    let sparql_dir = SparqlStore::dir_of(&store_dir);
    let started = Instant::now();
    let sparql = match SparqlStore::open(&sparql_dir) {
        Ok(sparql) => {
            let report = tokio::task::block_in_place(|| sync_sparql(&store, &index, &sparql))?;
            println!(
                "SPARQL store synced in {:.1} s: {} graphs added, {} removed, {} quads added",
                started.elapsed().as_secs_f64(),
                report.graphs_added,
                report.graphs_removed,
                report.quads_added
            );
            sparql
        }
        Err(e) => {
            println!("SPARQL store not synced (held by a server?): {e}");
            SparqlStore::open_read_only(&sparql_dir)?
        }
    };
    let limits = SparqlLimits {
        timeout: Duration::from_secs(args.timeout_secs.max(1)),
        ..SparqlLimits::default()
    };
    let worker = (!args.in_process).then(|| {
        SparqlWorker::new(
            args.worker_program.clone().unwrap_or_else(|| {
                std::env::current_exe().unwrap_or_else(|_| PathBuf::from("moisson"))
            }),
            store_dir.clone(),
            sparql.clone(),
            if args.fresh_workers {
                0
            } else {
                args.clients.max(1)
            },
        )
    });
    let runner = Runner {
        store,
        sparql,
        limits,
        worker,
    };
    let started = Instant::now();
    let records = runner.store.active_snapshot()?.len();
    println!(
        "store: {records} active records (active set read in {:.0} ms); mode: {}",
        started.elapsed().as_secs_f64() * 1000.0,
        if args.in_process {
            "in process"
        } else if args.fresh_workers {
            "a new worker process per query (before the pool)"
        } else {
            "pooled worker processes, as /sparql"
        }
    );
    let publisher = probe(
        &runner,
        "SELECT ?p WHERE { ?d dct:publisher ?p FILTER(isIRI(?p)) } LIMIT 1",
        "publisher",
    )
    .await?;
    let dataset = probe(
        &runner,
        "SELECT ?d WHERE { ?d a dcat:Dataset ; dcat:distribution ?x FILTER(isIRI(?d)) } LIMIT 1",
        "dataset",
    )
    .await?;
    let theme = probe(
        &runner,
        "SELECT ?t WHERE { ?d dcat:theme ?t FILTER(isIRI(?t)) } LIMIT 1",
        "theme",
    )
    .await?;
    println!("publisher <{publisher}>, dataset <{dataset}>, theme <{theme}>");
    let queries: Vec<(&str, String, &str)> = QUERIES
        .iter()
        .filter(|(name, _, _)| args.only.as_deref().is_none_or(|o| name.contains(o)))
        .map(|(name, text, accept)| {
            let text = text
                .replace("{publisher}", &publisher)
                .replace("{dataset}", &dataset)
                .replace("{theme}", &theme);
            (*name, format!("{PREFIXES}{text}"), *accept)
        })
        .collect();
    println!(
        "\n{:<46} {:>9} {:>9} {:>10} {:>9} {:>9}  errors",
        "query",
        "1c p50",
        "1c p99",
        "bytes",
        format!("{}c p50", args.clients),
        format!("{}c p99", args.clients)
    );
    if let Some(dir) = &args.answers {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut worst_single = 0f64;
    for (number, (name, text, accept)) in queries.iter().enumerate() {
        let mut single = Vec::new();
        let mut errors = Vec::new();
        let mut bytes = 0;
        for _ in 0..args.runs.max(1) {
            match runner.run(text, accept).await {
                Ok((d, body)) => {
                    if let (Some(dir), true) = (&args.answers, single.is_empty()) {
                        std::fs::write(dir.join(format!("{number:02}.rq")), text)?;
                        std::fs::write(dir.join(format!("{number:02}.answer")), &body)?;
                    }
                    single.push(d);
                    bytes = body.len();
                }
                Err(e) => errors.push(e.to_string()),
            }
        }
        let mut tasks = Vec::new();
        for _ in 0..args.clients.max(1) {
            let (runner, text, accept) = (runner.clone(), text.clone(), accept.to_string());
            let n = args.client_runs.max(1);
            tasks.push(tokio::spawn(async move {
                let mut out = Vec::new();
                for _ in 0..n {
                    out.push(runner.run(&text, &accept).await.map_err(|e| e.to_string()));
                }
                out
            }));
        }
        let mut concurrent = Vec::new();
        for task in tasks {
            for r in task.await? {
                match r {
                    Ok((d, _)) => concurrent.push(d),
                    Err(e) => errors.push(e),
                }
            }
        }
        single.sort();
        concurrent.sort();
        worst_single = worst_single.max(percentile(&single, 0.99));
        errors.dedup();
        println!(
            "{:<46} {:>9.1} {:>9.1} {:>10} {:>9.1} {:>9.1}  {}",
            name,
            percentile(&single, 0.5),
            percentile(&single, 0.99),
            bytes,
            percentile(&concurrent, 0.5),
            percentile(&concurrent, 0.99),
            errors.first().map(String::as_str).unwrap_or("")
        );
    }
    println!(
        "\ntimes in ms; {} runs per query with 1 client, {} × {} with {} clients; worst 1-client p99 {:.0} ms",
        args.runs, args.clients, args.client_runs, args.clients, worst_single
    );
    if let Some(worker) = &runner.worker {
        println!(
            "worker processes started: {} ({} of them replacements started in the background)",
            worker.workers_started(),
            worker.workers_replaced()
        );
    }
    Ok(ExitCode::SUCCESS)
}
