//! `moisson bench`: end-to-end harvest benchmark. Writes a generated catalogue (or takes
//! `--file`), serves it over loopback (with an `ETag`, answering `304` to a matching
//! `If-None-Match`), harvests it into a fresh on-disk store, then re-harvests it unchanged
//! (conditional GET, then without validators: byte-identical body, then forced re-parse),
//! and reports wall time, datasets/s, peak RSS, HTTP requests, bytes served and records
//! written of each phase. With `--rdflib PYTHON`, times rdflib's parse of the same file in
//! a child process, for a ratio measured in one run.

use anyhow::{bail, Context};
use axum::body::Body;
use axum::http::header;
use axum::response::IntoResponse;
use clap::Args;
use moisson_catalog::{CatalogStore, JobReport, SourceId};
use moisson_demo::DemoFormat;
use moisson_harvester::{
    harvest_source, FetchOptions, Fetcher, HarvestOptions, LogProgress, Protocol, Source,
};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

#[derive(Args)]
pub(super) struct BenchArgs {
    /// Datasets in the generated catalogue.
    #[arg(long, default_value_t = 100_000)]
    datasets: usize,
    /// Harvest this Turtle file instead of a generated one.
    #[arg(long)]
    file: Option<PathBuf>,
    /// Folder for the catalogue file and the store (a temporary one by default).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Python interpreter with rdflib; when given, rdflib's parse of the same file is timed.
    #[arg(long)]
    rdflib: Option<PathBuf>,
}

struct Phase {
    name: &'static str,
    seconds: f64,
    peak_rss_mb: f64,
    report: JobReport,
    requests: u64,
    bytes_served: u64,
    quads_after: usize,
}

/// What the loopback server counts, and whether it gives validators.
#[derive(Default)]
struct Served {
    requests: AtomicU64,
    bytes: AtomicU64,
    no_validators: AtomicBool,
}

/// Opens an empty store in `work/name` (removing an earlier one) and a fetcher spooling
/// to `work`.
pub(super) fn fresh_store_and_fetcher(
    work: &Path,
    name: &str,
) -> anyhow::Result<(CatalogStore, Fetcher)> {
    let store_dir = work.join(name);
    if store_dir.is_dir() {
        std::fs::remove_dir_all(&store_dir)
            .with_context(|| format!("removing {}", store_dir.display()))?;
    }
    let store = CatalogStore::open(&store_dir)?;
    let fetcher = Fetcher::new(FetchOptions {
        spool_dir: Some(work.to_owned()),
        ..FetchOptions::default()
    })?;
    Ok((store, fetcher))
}

/// Returns the peak resident set size of this process, in MiB.
pub(super) fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Resets the peak RSS counter (Linux), so each phase reports its own peak.
pub(super) fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

pub(super) async fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let temp = tempfile::tempdir().context("creating a temporary folder")?;
    let work = args
        .work_dir
        .clone()
        .unwrap_or_else(|| temp.path().to_owned());
    std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    let file = match &args.file {
        Some(f) => f.clone(),
        None => {
            let path = work.join(format!("bench-{}.ttl", args.datasets));
            let started = Instant::now();
            write_catalogue(&path, args.datasets)?;
            println!(
                "generated {} ({:.0} MB) in {:.1} s",
                path.display(),
                file_mb(&path),
                started.elapsed().as_secs_f64()
            );
            path
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/catalog.ttl", listener.local_addr()?);
    let served = Arc::new(Served::default());
    spawn_server(listener, file.clone(), served.clone())?;
    let (store, fetcher) = fresh_store_and_fetcher(&work, "bench-store")?;
    let source = Source::new(SourceId::new("bench")?, "bench", url, Protocol::Dcat);
    let mut phases = Vec::new();
    for (name, force, validators) in [
        ("first harvest", false, true),
        ("re-harvest, 304 not modified", false, true),
        ("re-harvest, byte-identical", false, false),
        ("re-harvest, forced re-parse", true, false),
    ] {
        served.no_validators.store(!validators, Ordering::SeqCst);
        let (requests, bytes) = (
            served.requests.load(Ordering::SeqCst),
            served.bytes.load(Ordering::SeqCst),
        );
        reset_peak_rss();
        let options = HarvestOptions {
            force,
            ..HarvestOptions::default()
        };
        let started = Instant::now();
        let report =
            harvest_source(&store, &fetcher, &source, &options, Arc::new(LogProgress)).await;
        let seconds = started.elapsed().as_secs_f64();
        if report.status == moisson_catalog::JobStatus::Failed {
            bail!("{name} failed: {}", report.reason.unwrap_or_default());
        }
        phases.push(Phase {
            name,
            seconds,
            peak_rss_mb: peak_rss_mb(),
            report,
            requests: served.requests.load(Ordering::SeqCst) - requests,
            bytes_served: served.bytes.load(Ordering::SeqCst) - bytes,
            quads_after: store.quad_count()?,
        });
    }
    let datasets = phases[0].report.dataset_count;
    println!(
        "\nfile: {} ({:.0} MB), {} datasets, {} quads stored",
        file.display(),
        file_mb(&file),
        datasets,
        store.quad_count()?
    );
    println!(
        "{:<30} {:>9} {:>12} {:>13} {:>9} {:>10} {:>16} {:>10} {:>12}",
        "phase",
        "seconds",
        "datasets/s",
        "peak RSS MiB",
        "requests",
        "MB served",
        "records written",
        "unchanged",
        "quads after"
    );
    for p in &phases {
        let c = &p.report.counts;
        println!(
            "{:<30} {:>9.2} {:>12.0} {:>13.0} {:>9} {:>10.1} {:>16} {:>10} {:>12}",
            p.name,
            p.seconds,
            datasets as f64 / p.seconds,
            p.peak_rss_mb,
            p.requests,
            p.bytes_served as f64 / 1e6,
            c.added + c.updated + c.removed,
            c.unchanged,
            p.quads_after
        );
    }
    println!(
        "first harvest / 304 re-harvest: {:.0}x; / byte-identical re-harvest: {:.1}x; / forced re-parse: {:.1}x",
        phases[0].seconds / phases[1].seconds,
        phases[0].seconds / phases[2].seconds,
        phases[0].seconds / phases[3].seconds
    );
    if let Some(python) = &args.rdflib {
        let started = Instant::now();
        let status = std::process::Command::new(python)
            .args(["-c", "import sys, rdflib; g = rdflib.Graph(); g.parse(sys.argv[1], format='turtle'); print(len(g), 'triples')"])
            .arg(&file)
            .status()
            .with_context(|| format!("running {}", python.display()))?;
        let rdflib_seconds = started.elapsed().as_secs_f64();
        if !status.success() {
            bail!("rdflib parse failed ({status})");
        }
        println!(
            "rdflib parse alone: {:.1} s; Moisson's whole first harvest is {:.1}x faster",
            rdflib_seconds,
            rdflib_seconds / phases[0].seconds
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Serves `file` at `/catalog.ttl` with an `ETag` (from its size and modification time,
/// unless `served.no_validators`), answering `304` to a matching `If-None-Match`.
fn spawn_server(
    listener: tokio::net::TcpListener,
    file: PathBuf,
    served: Arc<Served>,
) -> anyhow::Result<()> {
    let meta = std::fs::metadata(&file).with_context(|| format!("reading {}", file.display()))?;
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let etag = format!("\"{:x}-{modified:x}\"", meta.len());
    let len = meta.len();
    let handler = move |headers: axum::http::HeaderMap| {
        let (file, served, etag) = (file.clone(), served.clone(), etag.clone());
        async move {
            served.requests.fetch_add(1, Ordering::SeqCst);
            let validators = !served.no_validators.load(Ordering::SeqCst);
            let matches = headers
                .get(header::IF_NONE_MATCH)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v == etag);
            if validators && matches {
                return axum::http::StatusCode::NOT_MODIFIED.into_response();
            }
            match tokio::fs::File::open(&file).await {
                Ok(f) => {
                    served.bytes.fetch_add(len, Ordering::SeqCst);
                    let stream = tokio_util::io::ReaderStream::with_capacity(f, 1 << 16);
                    let mut response = (
                        [(header::CONTENT_TYPE, "text/turtle")],
                        Body::from_stream(stream),
                    )
                        .into_response();
                    if validators {
                        if let Ok(value) = etag.parse() {
                            response.headers_mut().insert(header::ETAG, value);
                        }
                    }
                    response
                }
                Err(_) => axum::http::StatusCode::NOT_FOUND.into_response(),
            }
        }
    };
    tokio::spawn(async move {
        let router = axum::Router::new().route("/catalog.ttl", axum::routing::get(handler));
        let _ = axum::serve(listener, router).await;
    });
    Ok(())
}

fn file_mb(path: &Path) -> f64 {
    std::fs::metadata(path).map_or(0.0, |m| m.len() as f64 / 1e6)
}

fn write_catalogue(path: &Path, datasets: usize) -> anyhow::Result<()> {
    let source = moisson_demo::benchmark_source(datasets, DemoFormat::Turtle);
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    source
        .write_whole("http://127.0.0.1:9/", &mut out)
        .context("writing the catalogue")?;
    out.flush().context("writing the catalogue")?;
    Ok(())
}
