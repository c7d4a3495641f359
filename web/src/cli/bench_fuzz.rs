//! `moisson bench-fuzz --minutes N [--seed S] [--corpus DIR]`: feeds mutated catalogues to
//! the validate path and to harvests over loopback for N minutes, then prints the inputs
//! tried, the panics seen and the peak RSS. Exit 1 when anything panicked.
//!
//! The inputs are the hostile samples of `moisson_demo::hostile` and the files
//! of the corpus folder (`../shared/corpus` when present), each first as it is, then
//! mutated (truncated, bytes flipped, nested, parts duplicated) by a mutator seeded with
//! `--seed`: one seed always tries the same inputs in the same order. A stack overflow or
//! an abort cannot be caught: it ends the process, and the last input printed is the one.

use anyhow::Context;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use clap::Args;
use moisson_catalog::{CatalogStore, JobReport, JobStatus, SourceId};
use moisson_demo::hostile::{hostile_samples, Mutator, Sample};
use moisson_harvester::{
    harvest_source, CswOutputSchema, FetchOptions, Fetcher, HarvestOptions, LogProgress, Protocol,
    Source,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

#[derive(Args)]
pub(super) struct BenchFuzzArgs {
    /// How long to run, in minutes.
    #[arg(long, default_value_t = 5)]
    minutes: u64,
    /// Seed of the mutator.
    #[arg(long, default_value_t = 13)]
    seed: u64,
    /// Folder of catalogue files to mutate besides the hostile samples (default:
    /// `../shared/corpus` when it exists).
    #[arg(long)]
    corpus: Option<PathBuf>,
}

/// Inputs harvested into one store before it is replaced by a fresh one.
const INPUTS_PER_STORE: u64 = 500;

/// What the loopback server answers to every request.
type Served = Arc<RwLock<(Vec<u8>, String)>>;

/// What the run saw.
#[derive(Default)]
struct Tally {
    inputs: u64,
    panics: u64,
    validate_refused: u64,
    statuses: BTreeMap<&'static str, u64>,
    /// The inputs that panicked, described.
    panicked: Vec<String>,
}

pub(super) async fn run(args: BenchFuzzArgs) -> anyhow::Result<ExitCode> {
    let bases = bases(args.corpus.as_deref())?;
    println!(
        "bench-fuzz: {} base documents, seed {}, {} min",
        bases.len(),
        args.seed,
        args.minutes
    );
    let served: Served = Arc::new(RwLock::new((Vec::new(), "text/plain".into())));
    let url = spawn_server(served.clone()).await?;
    let work = tempfile::tempdir().context("creating a temporary folder")?;
    let mut store = open_store(work.path(), 0)?;
    let fetcher = Fetcher::new(FetchOptions {
        spool_dir: Some(work.path().to_owned()),
        retries: 0,
        timeout_secs: 60,
        ..FetchOptions::default()
    })?;
    let options = HarvestOptions {
        force: true,
        ..HarvestOptions::default()
    };
    let mut mutator = Mutator::new(args.seed);
    let mut tally = Tally::default();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.minutes.saturating_mul(60));
    let mut round = 0usize;
    while Instant::now() < deadline {
        for base in &bases {
            if Instant::now() >= deadline {
                break;
            }
            let (what, bytes) = if round == 0 {
                ("as it is".to_owned(), base.bytes.clone())
            } else {
                mutator.mutate(&base.bytes)
            };
            let label = format!("{} ({what})", base.name);
            if tally.inputs > 0 && tally.inputs % INPUTS_PER_STORE == 0 {
                store = open_store(work.path(), tally.inputs / INPUTS_PER_STORE)?;
            }
            try_input(
                &mut tally, &label, base, bytes, &served, &url, &store, &fetcher, &options,
            )
            .await;
            if tally.inputs % 200 == 0 {
                println!(
                    "{} inputs, {:.0} s, {} panics, peak RSS {:.0} MiB",
                    tally.inputs,
                    started.elapsed().as_secs_f64(),
                    tally.panics,
                    super::bench::peak_rss_mb()
                );
            }
        }
        round += 1;
    }
    print_summary(&tally, started.elapsed());
    Ok(if tally.panics == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Runs one input through the validate path and a harvest over loopback.
#[allow(clippy::too_many_arguments)]
async fn try_input(
    tally: &mut Tally,
    label: &str,
    base: &Sample,
    bytes: Vec<u8>,
    served: &Served,
    url: &str,
    store: &CatalogStore,
    fetcher: &Fetcher,
    options: &HarvestOptions,
) {
    tally.inputs += 1;
    let content_type = base.content_type.to_owned();
    let validated = {
        let (bytes, content_type) = (bytes.clone(), content_type.clone());
        tokio::task::spawn_blocking(move || {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                super::validate::validate_bytes(
                    bytes,
                    Some(content_type),
                    "https://fuzz.example/catalog".into(),
                )
            }))
        })
        .await
    };
    match validated {
        Ok(Ok(Ok(report))) => {
            if report["conforms"] == false {
                tally.validate_refused += 1;
            }
        }
        Ok(Ok(Err(e))) => tally
            .panicked
            .push(format!("{label}: validate failed: {e:#}")),
        Ok(Err(_)) | Err(_) => {
            tally.panics += 1;
            tally.panicked.push(format!("{label}: validate panicked"));
        }
    }
    if let Ok(mut served) = served.write() {
        *served = (bytes, content_type);
    }
    let source = fuzz_source(base.csw, url);
    let report = harvest_source(store, fetcher, &source, options, Arc::new(LogProgress)).await;
    tally
        .statuses
        .entry(report.status.as_str())
        .and_modify(|n| *n += 1)
        .or_insert(1);
    if crashed(&report) {
        tally.panics += 1;
        tally.panicked.push(format!(
            "{label}: harvest crashed: {}",
            report.reason.as_deref().unwrap_or("")
        ));
    }
}

/// Whether a job ended because a thread of the harvest panicked.
fn crashed(report: &JobReport) -> bool {
    report.status == JobStatus::Running
        || report.errors.iter().any(|e| e.message.contains("crashed"))
        || report
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("crashed"))
}

fn fuzz_source(csw: bool, url: &str) -> Source {
    let (id, protocol) = if csw {
        ("fuzz-csw", Protocol::Csw)
    } else {
        ("fuzz-dcat", Protocol::Dcat)
    };
    Source {
        csw_output_schema: CswOutputSchema::Iso19139,
        ..Source::new(
            SourceId::new(id).expect("a constant valid source id"),
            id,
            url,
            protocol,
        )
    }
}

fn open_store(work: &Path, generation: u64) -> anyhow::Result<CatalogStore> {
    if generation > 0 {
        let previous = work.join(format!("store-{}", generation - 1));
        let _ = std::fs::remove_dir_all(previous);
    }
    let dir = work.join(format!("store-{generation}"));
    CatalogStore::open(&dir).with_context(|| format!("opening a store in {}", dir.display()))
}

/// The hostile samples and the corpus files.
fn bases(corpus: Option<&Path>) -> anyhow::Result<Vec<Sample>> {
    let mut out = hostile_samples();
    let default = Path::new("../shared/corpus");
    let corpus = match corpus {
        Some(dir) => Some(dir.to_owned()),
        None => default.is_dir().then(|| default.to_owned()),
    };
    let Some(dir) = corpus else {
        println!("no corpus folder (../shared/corpus absent, no --corpus): hostile samples only");
        return Ok(out);
    };
    let mut files = Vec::new();
    collect_files(&dir, &mut files)
        .with_context(|| format!("reading the corpus {}", dir.display()))?;
    files.sort();
    for path in files {
        let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let content_type = match extension {
            "ttl" => "text/turtle",
            "rdf" => "application/rdf+xml",
            "jsonld" | "json" => "application/ld+json",
            "nt" => "application/n-triples",
            "xml" => "application/xml",
            _ => continue,
        };
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        out.push(Sample {
            name: path.display().to_string(),
            bytes,
            content_type,
            csw: extension == "xml",
        });
    }
    Ok(out)
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

async fn spawn_server(served: Served) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("binding a loopback port")?;
    let url = format!("http://{}/catalog", listener.local_addr()?);
    let router = axum::Router::new().fallback(answer).with_state(served);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(url)
}

async fn answer(State(served): State<Served>) -> axum::response::Response {
    let (bytes, content_type) = served
        .read()
        .map(|s| s.clone())
        .unwrap_or_else(|_| (Vec::new(), "text/plain".into()));
    ([(header::CONTENT_TYPE, content_type)], bytes).into_response()
}

fn print_summary(tally: &Tally, elapsed: Duration) {
    println!(
        "\nbench-fuzz finished\n  inputs tried       {}\n  duration           {:.1} s\n  panics             {}\n  validate: not conforming or unreadable {}\n  harvests by status {:?}\n  peak RSS           {:.0} MiB",
        tally.inputs,
        elapsed.as_secs_f64(),
        tally.panics,
        tally.validate_refused,
        tally.statuses,
        super::bench::peak_rss_mb()
    );
    for line in tally.panicked.iter().take(20) {
        println!("  {line}");
    }
}
