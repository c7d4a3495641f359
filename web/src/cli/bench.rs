//! `moisson bench`: end-to-end harvest benchmark. Writes a generated catalogue (or takes
//! `--file`), serves it over loopback (with an `ETag`, answering `304` to a matching
//! `If-None-Match`), harvests it into a fresh on-disk store, then re-harvests it unchanged
//! (conditional GET, then without validators: byte-identical body, then forced re-parse),
//! and reports wall time, datasets/s, peak RSS, HTTP requests, bytes served and records
//! written of each phase, and where the first harvest's time went, step by step. Two
//! references are timed in the same run: oxigraph's Turtle parser alone on the same file
//! (quads counted, nothing stored), and oxigraph's own bulk load of the file into one named
//! graph of a fresh store (parse plus the six quad indexes: the floor of any harvest that
//! stores the quads). With `--rdflib PYTHON`, rdflib's parse of the same file is timed in a
//! child process, for ratios measured in one run.

use anyhow::{bail, Context};
use axum::body::Body;
use axum::http::header;
use axum::response::IntoResponse;
use clap::Args;
use moisson_catalog::{CatalogStore, JobReport, SourceId};
use moisson_demo::DemoFormat;
use moisson_harvester::{
    harvest_source, FetchOptions, Fetcher, HarvestOptions, HarvestTimings, LogProgress, Progress,
    Protocol, Source,
};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
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
    /// Skip oxigraph's own bulk load of the file (the write floor reference).
    #[arg(long)]
    no_bulk_reference: bool,
    /// Run the first harvest only (no re-harvests): for a profiler.
    #[arg(long)]
    first_harvest_only: bool,
    /// Serve the generated catalogue in Hydra pages of this many datasets, generated on
    /// request by the demo server (no validators: a re-harvest fetches every page and skips
    /// those byte-identical to the last harvest), instead of one document (a document is
    /// capped at 1 GiB, about 340,000 datasets). The parse references are then skipped.
    #[arg(long)]
    page_size: Option<usize>,
}

/// Logs like [`LogProgress`] and keeps the timings of the last job.
#[derive(Default)]
struct TimedProgress {
    timings: Mutex<Option<HarvestTimings>>,
}

impl Progress for TimedProgress {
    fn page_done(&self, source: &str, page: u32, records: u64, total: Option<u64>) {
        LogProgress.page_done(source, page, records, total);
    }

    fn finished(&self, report: &JobReport) {
        LogProgress.finished(report);
    }

    fn timed(&self, source: &str, timings: &HarvestTimings) {
        LogProgress.timed(source, timings);
        if let Ok(mut kept) = self.timings.lock() {
            *kept = Some(*timings);
        }
    }
}

/// Parses `file` with oxigraph's Turtle parser, storing nothing: returns the quads read.
fn oxigraph_parse(file: &Path) -> anyhow::Result<u64> {
    let reader = std::io::BufReader::with_capacity(
        1 << 20,
        std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?,
    );
    let mut quads = 0u64;
    for quad in
        oxigraph::io::RdfParser::from_format(oxigraph::io::RdfFormat::Turtle).for_reader(reader)
    {
        quad.context("oxigraph parse")?;
        quads += 1;
    }
    Ok(quads)
}

/// Loads `file` into one named graph of a fresh store at `dir` with oxigraph's bulk loader
/// (the harvest writer's settings: 2 threads, 256 MB): parse plus the six quad indexes.
/// Returns the quads stored.
fn oxigraph_bulk_load(file: &Path, dir: &Path) -> anyhow::Result<usize> {
    if dir.is_dir() {
        std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    let store = oxigraph::store::Store::open(dir).context("opening the reference store")?;
    let reader = std::io::BufReader::with_capacity(
        1 << 20,
        std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?,
    );
    let graph = oxigraph::model::NamedNode::new_unchecked("urn:moisson:bench:reference");
    let parser = oxigraph::io::RdfParser::from_format(oxigraph::io::RdfFormat::Turtle)
        .with_default_graph(graph);
    let mut loader = store
        .bulk_loader()
        .with_num_threads(2)
        .with_max_memory_size_in_megabytes(256);
    loader
        .load_from_reader(parser, reader)
        .context("oxigraph bulk load")?;
    loader.commit().context("oxigraph bulk load commit")?;
    let count = store.len().context("counting the reference store")?;
    drop(store);
    std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    Ok(count)
}

struct Phase {
    name: &'static str,
    seconds: f64,
    /// CPU time of the process (every thread) during the phase.
    cpu_seconds: f64,
    /// CPU time the store's background work (compaction) took after the phase ended.
    settle_cpu_seconds: f64,
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

/// Returns the CPU time (user + system, every thread) of this process so far, in seconds:
/// on a shared machine, what a phase cost whatever the other processes took.
pub(super) fn cpu_seconds() -> f64 {
    moisson_catalog::resident::cpu_seconds().unwrap_or(0.0)
}

/// Waits until the process is nearly idle (the store's background compaction done: under
/// a tenth of a core for three seconds, a minute at most) and returns the CPU seconds used
/// meanwhile.
async fn settle_cpu() -> f64 {
    let start = cpu_seconds();
    let mut last = start;
    let mut quiet = 0;
    for _ in 0..60 {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        let now = cpu_seconds();
        quiet = if now - last < 0.1 { quiet + 1 } else { 0 };
        last = now;
        if quiet >= 3 {
            break;
        }
    }
    last - start
}

/// The peak resident size of this process in MiB, and its reset (each phase reports its
/// own peak).
pub(super) use moisson_catalog::resident::{peak_mib as peak_rss_mb, reset_peak as reset_peak_rss};

pub(super) async fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let temp = tempfile::tempdir().context("creating a temporary folder")?;
    let work = args
        .work_dir
        .clone()
        .unwrap_or_else(|| temp.path().to_owned());
    std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    if let Some(page_size) = args.page_size {
        if args.file.is_some() {
            bail!("--page-size pages a generated catalogue: it cannot be given with --file");
        }
        return run_paged(&args, &work, page_size.max(1)).await;
    }
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
    // References first, in the same run: oxigraph's parser alone, then its bulk load.
    let parse_file = file.clone();
    let started = Instant::now();
    let parsed_quads = tokio::task::spawn_blocking(move || oxigraph_parse(&parse_file)).await??;
    let oxigraph_seconds = started.elapsed().as_secs_f64();
    println!("oxigraph parse alone: {oxigraph_seconds:.2} s, {parsed_quads} quads");
    let bulk_seconds = if args.no_bulk_reference {
        None
    } else {
        let (bulk_file, bulk_dir) = (file.clone(), work.join("bench-reference-store"));
        let started = Instant::now();
        let stored = tokio::task::spawn_blocking(move || oxigraph_bulk_load(&bulk_file, &bulk_dir))
            .await??;
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "oxigraph bulk load (parse + 6 quad indexes, one named graph): {seconds:.2} s, {stored} quads"
        );
        Some(seconds)
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/catalog.ttl", listener.local_addr()?);
    let served = Arc::new(Served::default());
    spawn_server(listener, file.clone(), served.clone())?;
    let (store, fetcher) = fresh_store_and_fetcher(&work, "bench-store")?;
    let source = Source::new(SourceId::new("bench")?, "bench", url, Protocol::Dcat);
    let mut phases = Vec::new();
    let mut first_timings = None;
    let runs = [
        ("first harvest", false, true),
        ("re-harvest, 304 not modified", false, true),
        ("re-harvest, byte-identical", false, false),
        ("re-harvest, forced re-parse", true, false),
    ];
    let runs = if args.first_harvest_only {
        &runs[..1]
    } else {
        &runs[..]
    };
    for &(name, force, validators) in runs {
        served.no_validators.store(!validators, Ordering::SeqCst);
        let (requests, bytes) = (
            served.requests.load(Ordering::SeqCst),
            served.bytes.load(Ordering::SeqCst),
        );
        let timed = timed_harvest(&store, &fetcher, &source, name, force).await?;
        let settle_cpu_seconds = settle_cpu().await;
        if phases.is_empty() {
            first_timings = timed.timings;
        }
        phases.push(Phase {
            name,
            seconds: timed.seconds,
            cpu_seconds: timed.cpu_seconds,
            settle_cpu_seconds,
            peak_rss_mb: timed.peak_rss_mb,
            report: timed.report,
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
        "{:<30} {:>9} {:>8} {:>10} {:>12} {:>13} {:>9} {:>10} {:>16} {:>10} {:>12}",
        "phase",
        "seconds",
        "CPU s",
        "+settle s",
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
            "{:<30} {:>9.2} {:>8.1} {:>10.1} {:>12.0} {:>13.0} {:>9} {:>10.1} {:>16} {:>10} {:>12}",
            p.name,
            p.seconds,
            p.cpu_seconds,
            p.settle_cpu_seconds,
            datasets as f64 / p.seconds,
            p.peak_rss_mb,
            p.requests,
            p.bytes_served as f64 / 1e6,
            c.added + c.updated + c.removed,
            c.unchanged,
            p.quads_after
        );
    }
    if let [first, not_modified, identical, reparse] = &phases[..] {
        println!(
            "first harvest / 304 re-harvest: {:.0}x; / byte-identical re-harvest: {:.1}x; / forced re-parse: {:.1}x",
            first.seconds / not_modified.seconds,
            first.seconds / identical.seconds,
            first.seconds / reparse.seconds
        );
    }
    if let Some(t) = &first_timings {
        print_steps(t);
    }
    let first = phases[0].seconds;
    println!(
        "\nfirst harvest {first:.2} s; oxigraph parse alone {oxigraph_seconds:.2} s: the harvest takes {:.1}x the parse",
        first / oxigraph_seconds
    );
    if let Some(bulk) = bulk_seconds {
        println!(
            "oxigraph bulk load {bulk:.2} s: the harvest takes {:.2}x oxigraph's own parse + store",
            first / bulk
        );
    }
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
            "rdflib parse alone: {:.1} s; Moisson's whole first harvest is {:.1}x faster; oxigraph's parse alone {:.1}x",
            rdflib_seconds,
            rdflib_seconds / first,
            rdflib_seconds / oxigraph_seconds
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints where the first harvest's time went, step by step.
/// One harvest phase of a benchmark: its report, wall and CPU seconds, peak RSS and step
/// timings.
struct TimedHarvest {
    report: JobReport,
    seconds: f64,
    cpu_seconds: f64,
    peak_rss_mb: f64,
    timings: Option<HarvestTimings>,
}

/// Harvests `source` once (`force`: re-parse unchanged pages), timed; a failed job is an
/// error naming the phase.
async fn timed_harvest(
    store: &CatalogStore,
    fetcher: &Fetcher,
    source: &Source,
    name: &str,
    force: bool,
) -> anyhow::Result<TimedHarvest> {
    reset_peak_rss();
    let options = HarvestOptions {
        force,
        ..HarvestOptions::default()
    };
    let progress = Arc::new(TimedProgress::default());
    let cpu = cpu_seconds();
    let started = Instant::now();
    let report = harvest_source(store, fetcher, source, &options, progress.clone()).await;
    let seconds = started.elapsed().as_secs_f64();
    let cpu_seconds = cpu_seconds() - cpu;
    let peak_rss_mb = peak_rss_mb();
    if report.status == moisson_catalog::JobStatus::Failed {
        bail!("{name} failed: {}", report.reason.unwrap_or_default());
    }
    let timings = progress.timings.lock().ok().and_then(|t| *t);
    Ok(TimedHarvest {
        report,
        seconds,
        cpu_seconds,
        peak_rss_mb,
        timings,
    })
}

fn print_steps(t: &HarvestTimings) {
    println!(
        "\nfirst harvest, step by step (reading and writing overlap: the writer has its own thread; {} quads written):",
        t.writer.quads
    );
    for (step, seconds) in t.steps() {
        println!("  {step:<28} {seconds:>8.2} s");
    }
    println!("  {:<28} {:>8.2} s", "whole job", t.total.as_secs_f64());
}

/// `--page-size`: the generated catalogue in Hydra pages of `page_size` datasets, served
/// by the demo server; the first harvest, then (unless `--first-harvest-only`) a
/// re-harvest of the unchanged catalogue (byte-identical pages skipped) and a forced
/// re-parse.
async fn run_paged(args: &BenchArgs, work: &Path, page_size: usize) -> anyhow::Result<ExitCode> {
    let mut catalogue = moisson_demo::benchmark_source(args.datasets, DemoFormat::Turtle);
    catalogue.page_size = Some(page_size);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let server = moisson_demo::server::spawn(listener, vec![catalogue.clone()])?;
    let url = server.first_page_url(&catalogue);
    println!(
        "serving {} datasets in {} pages of {page_size} at {url} (generated on request; no parse reference)",
        args.datasets,
        catalogue.page_count()
    );
    let (store, fetcher) = fresh_store_and_fetcher(work, "bench-store")?;
    let source = Source::new(SourceId::new("bench")?, "bench", url, Protocol::Dcat);
    let runs = [
        ("first harvest", false),
        ("re-harvest, unchanged", false),
        ("re-harvest, forced re-parse", true),
    ];
    let runs = if args.first_harvest_only {
        &runs[..1]
    } else {
        &runs[..]
    };
    println!(
        "{:<30} {:>9} {:>8} {:>12} {:>13} {:>7} {:>16} {:>10} {:>12}",
        "phase",
        "seconds",
        "CPU s",
        "datasets/s",
        "peak RSS MiB",
        "pages",
        "records written",
        "unchanged",
        "quads after"
    );
    let mut first_timings = None;
    for &(name, force) in runs {
        let timed = timed_harvest(&store, &fetcher, &source, name, force).await?;
        if first_timings.is_none() {
            first_timings = timed.timings;
        }
        let c = &timed.report.counts;
        println!(
            "{:<30} {:>9.2} {:>8.1} {:>12.0} {:>13.0} {:>7} {:>16} {:>10} {:>12}",
            name,
            timed.seconds,
            timed.cpu_seconds,
            timed.report.dataset_count as f64 / timed.seconds,
            timed.peak_rss_mb,
            c.pages,
            c.added + c.updated + c.removed,
            c.unchanged,
            store.quad_count()?
        );
        settle_cpu().await;
    }
    if let Some(t) = &first_timings {
        print_steps(t);
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
