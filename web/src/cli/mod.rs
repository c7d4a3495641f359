//! The command line: one file per subcommand. Errors print as one line, `error: …`.

mod bench;
mod bench_csw;
mod bench_search;
pub mod classify;
mod demo;
pub mod eval_classify;
mod export;
mod harvest;
mod progress;
mod quality;
mod reindex;
mod search;
mod serve;
mod validate;

use anyhow::Context;
use clap::{Parser, Subcommand};
use moisson_catalog::CatalogStore;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::config::{Config, ENV_VARS};

/// Moisson: harvests France's environmental metadata catalogues (DCAT-AP), keeps them in
/// an RDF store and serves them.
#[derive(Parser)]
#[command(name = "moisson", version, about)]
struct Cli {
    /// Configuration file.
    #[arg(long, global = true, default_value = "moisson.toml")]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generates demo catalogues, serves them on loopback, harvests them and serves the site.
    Demo(demo::DemoArgs),
    /// Runs the web server.
    Serve(serve::ServeArgs),
    /// Harvests now (all sources, or those named) and prints a summary; exit 1 if any failed.
    Harvest(harvest::HarvestArgs),
    /// Writes the federated catalogue as DCAT-AP to stdout.
    Export(export::ExportArgs),
    /// Benchmarks a whole harvest of a generated catalogue served over loopback.
    Bench(bench::BenchArgs),
    /// Benchmarks a paged CSW harvest of generated ISO 19139 records next to the dcat protocol.
    BenchCsw(bench_csw::BenchCswArgs),
    /// Benchmarks quality, index build and the incremental update after a 1 % revision, at scale.
    BenchSearch(bench_search::BenchSearchArgs),
    /// Searches the index (French full text, themes, use cases, territories).
    Search(search::SearchArgs),
    /// Rebuilds the search index from the store.
    Reindex(reindex::ReindexArgs),
    /// Prints the quality report of a source (or all): score, dimensions, indicators, records to fix.
    Quality(quality::QualityArgs),
    /// Validates one DCAT-AP document (file or URL) against shapes/ and the quality indicators; exit 1 on violations.
    Validate(validate::ValidateArgs),
    /// Prints the themes, use cases and territories of each record of one document (file or URL), with the reasons.
    Classify(classify::ClassifyArgs),
    /// Scores the classifier against hand-labelled records (default search/eval/dev-set.jsonl).
    EvalClassify(eval_classify::EvalClassifyArgs),
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: starting the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Demo(args) => demo::run(args, &env).await,
            Command::Serve(args) => serve::run(args, load_config(&cli.config, &env)?).await,
            Command::Harvest(args) => harvest::run(args, load_config(&cli.config, &env)?).await,
            Command::Export(args) => export::run(args, load_config(&cli.config, &env)?).await,
            Command::Bench(args) => bench::run(args).await,
            Command::BenchCsw(args) => bench_csw::run(args).await,
            Command::BenchSearch(args) => bench_search::run(args).await,
            Command::Search(args) => search::run(args, load_config(&cli.config, &env)?).await,
            Command::Reindex(args) => reindex::run(args, load_config(&cli.config, &env)?).await,
            Command::Quality(args) => quality::run(args, &cli.config, &env).await,
            Command::Validate(args) => validate::run(args).await,
            Command::Classify(args) => classify::run(args).await,
            Command::EvalClassify(args) => eval_classify::run(args).await,
        }
    });
    // Blocking tasks still running once the command is done (a page an aborted harvest was
    // parsing) do not hold the exit: the store's commit model makes any exit point safe.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(
            "moisson=info,moisson_web=info,moisson_harvester=warn,tower_http=warn",
        )
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// Reads and validates the configuration file; only `MOISSON_*` variables and the admin
/// token variable are taken from `env`.
pub fn load_config(path: &Path, env: &BTreeMap<String, String>) -> anyhow::Result<Config> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "reading {} (use --config PATH, or `moisson demo` to try without one)",
            path.display()
        )
    })?;
    let _ = ENV_VARS;
    Config::load(&text, env).with_context(|| format!("in {}", path.display()))
}

/// Opens the store under `data_dir/store`, marks jobs a crash interrupted as failed and
/// removes graphs an interrupted harvest left behind.
pub fn open_store(data_dir: &Path) -> anyhow::Result<CatalogStore> {
    let dir = data_dir.join("store");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let store = CatalogStore::open(&dir)
        .with_context(|| format!("opening the store in {}", dir.display()))?;
    let interrupted = store
        .mark_interrupted_jobs()
        .context("marking interrupted jobs")?;
    if interrupted > 0 {
        tracing::warn!(
            jobs = interrupted,
            "jobs interrupted by an earlier stop marked failed"
        );
    }
    let orphans = store
        .collect_garbage()
        .context("removing orphan record graphs")?;
    if orphans > 0 {
        tracing::info!(graphs = orphans, "orphan record graphs removed");
    }
    Ok(store)
}
