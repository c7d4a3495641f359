//! The command line: one file per subcommand. Errors print as one line, `error: …`.

mod bench;
mod bench_csw;
mod bench_fuzz;
mod bench_index;
mod bench_search;
mod bench_sparql;
mod bench_territories;
pub mod classify;
mod compact_store;
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
pub use validate::validate_bytes;

/// The configuration file read when `--config` is not given.
const DEFAULT_CONFIG: &str = "moisson.toml";

/// Moisson: harvests France's environmental metadata catalogues (DCAT-AP), keeps them in
/// an RDF store and serves them.
#[derive(Parser)]
#[command(name = "moisson", version, about)]
struct Cli {
    /// Configuration file.
    #[arg(long, global = true, default_value = DEFAULT_CONFIG)]
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
    /// Benchmarks a full index rebuild of N generated datasets without a store (records/s, peak RSS).
    BenchIndex(bench_index::BenchIndexArgs),
    /// Times ten realistic SPARQL queries on the store `bench-search` leaves (p50/p99).
    BenchSparql(bench_sparql::BenchSparqlArgs),
    /// Times territory lookups: geography load, autocomplete in process and over HTTP.
    BenchTerritories(bench_territories::BenchTerritoriesArgs),
    /// Fuzzes validation and harvesting with mutated corpus and hostile files for N minutes.
    BenchFuzz(bench_fuzz::BenchFuzzArgs),
    /// Searches the index (French full text, themes, use cases, territories).
    Search(search::SearchArgs),
    /// Rebuilds the search index from the store.
    Reindex(reindex::ReindexArgs),
    /// Rewrites the store without the strings replaced data left behind (server stopped).
    CompactStore(compact_store::CompactStoreArgs),
    /// Prints the quality report of a source (or all): score, dimensions, indicators, records to fix.
    Quality(quality::QualityArgs),
    /// Validates one DCAT-AP document (file or URL) against shapes/ and the quality indicators; exit 1 on violations.
    Validate(validate::ValidateArgs),
    /// Evaluates one SPARQL query for `moisson serve` (stdin to stdout, capped); internal.
    #[command(name = "sparql-worker", hide = true)]
    SparqlWorker(crate::api::sparql_worker::WorkerArgs),
    /// Prints the themes, use cases and territories of each record of one document (file or URL), with the reasons.
    Classify(classify::ClassifyArgs),
    /// Scores the classifier against hand-labelled records (default search/eval/dev-set.jsonl).
    EvalClassify(eval_classify::EvalClassifyArgs),
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    // A worker runs without the async runtime: fewer threads and allocations under its caps.
    if let Command::SparqlWorker(args) = &cli.command {
        return crate::api::sparql_worker::run_worker(args);
    }
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
            Command::Serve(args) => {
                let reload = serve::Reload {
                    path: cli.config.clone(),
                    env: env.clone(),
                };
                serve::run(args, load_config(&cli.config, &env)?, reload).await
            }
            Command::Harvest(args) => {
                harvest::run(args, with_runtime_sources(load_config(&cli.config, &env)?)?).await
            }
            Command::Export(args) => export::run(args, config_or_demo(&cli.config, &env)?.0).await,
            Command::Bench(args) => bench::run(args).await,
            Command::BenchCsw(args) => bench_csw::run(args).await,
            Command::BenchSearch(args) => bench_search::run(args).await,
            Command::BenchIndex(args) => bench_index::run(args).await,
            Command::BenchSparql(args) => bench_sparql::run(args).await,
            Command::BenchTerritories(args) => bench_territories::run(args).await,
            Command::BenchFuzz(args) => bench_fuzz::run(args).await,
            Command::Search(args) => search::run(args, config_or_demo(&cli.config, &env)?.0).await,
            Command::Reindex(args) => {
                reindex::run(args, with_runtime_sources(load_config(&cli.config, &env)?)?).await
            }
            Command::CompactStore(args) => {
                compact_store::run(args, config_or_demo(&cli.config, &env)?.0).await
            }
            Command::Quality(args) => quality::run(args, &cli.config, &env).await,
            Command::Validate(args) => validate::run(args).await,
            Command::SparqlWorker(args) => Ok(crate::api::sparql_worker::run_worker(&args)),
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

/// `config` with the sources the admin API added, replaced or disabled
/// (`data_dir/sources-overlay.toml`), as `moisson serve` sees them.
fn with_runtime_sources(mut config: Config) -> anyhow::Result<Config> {
    let path = config.data_dir.join(crate::live_sources::OVERLAY_FILE);
    config.sources = crate::live_sources::Overlay::read(&path)?
        .apply(&config.sources)
        .with_context(|| format!("{}", path.display()))?;
    Ok(config)
}

/// The configuration at `path`; or, when `path` is the default `moisson.toml` and there is
/// none, the demo's (data in `./moisson-data`, or `MOISSON_DATA_DIR`), so that commands
/// run next to `moisson demo` find its data. The flag says whether a file was read.
pub fn config_or_demo(
    path: &Path,
    env: &BTreeMap<String, String>,
) -> anyhow::Result<(Config, bool)> {
    if path != Path::new(DEFAULT_CONFIG) || std::fs::metadata(path).is_ok() {
        return Ok((load_config(path, env)?, true));
    }
    let mut config = Config::from_file(crate::config::ConfigFile::default(), env)?;
    if !env.contains_key("MOISSON_DATA_DIR") {
        config.data_dir = PathBuf::from("moisson-data");
    }
    tracing::info!(data_dir = %config.data_dir.display(), "no moisson.toml: reading the demo's data");
    Ok((config, false))
}

/// Opens the store under `data_dir/store` as [`open_store`] does, or, when another
/// process (`moisson serve` or `moisson demo`) holds it, read-only: commands that only
/// read (`search`, `export`, `quality`) run next to a server.
pub fn open_store_for_reading(data_dir: &Path) -> anyhow::Result<CatalogStore> {
    let dir = crate::DataDir::new(data_dir).store();
    if !dir.join("CURRENT").is_file() {
        anyhow::bail!(
            "no store in {} (harvest first: `moisson harvest`, or try `moisson demo`)",
            dir.display()
        );
    }
    match open_store(data_dir) {
        Ok(store) => Ok(store),
        Err(writable) => match CatalogStore::open_read_only(&dir) {
            Ok(store) => {
                tracing::info!(dir = %dir.display(), "store in use by another process: opened read-only");
                Ok(store)
            }
            Err(read_only) => Err(writable.context(format!("reading it read-only: {read_only}"))),
        },
    }
}

/// Opens the store under `data_dir/store`, marks jobs a crash interrupted as failed and
/// removes graphs an interrupted harvest left behind.
pub fn open_store(data_dir: &Path) -> anyhow::Result<CatalogStore> {
    let store = open_store_collecting_later(data_dir)?;
    collect_orphans(&store)?;
    Ok(store)
}

/// Removes the record graphs an interrupted or failed harvest left behind (no registry
/// names them: no reader sees them). Harvests must not run meanwhile: a graph being
/// written by one is named by no registry yet.
pub(crate) fn collect_orphans(store: &CatalogStore) -> anyhow::Result<()> {
    let orphans = store
        .collect_garbage()
        .context("removing orphan record graphs")?;
    if orphans > 0 {
        tracing::info!(graphs = orphans, "orphan record graphs removed");
    }
    Ok(())
}

/// [`open_store`] without the removal of orphan graphs, which the caller runs before any
/// harvest ([`collect_orphans`]; `serve` does it while it already answers requests).
pub(crate) fn open_store_collecting_later(data_dir: &Path) -> anyhow::Result<CatalogStore> {
    let dir = crate::DataDir::new(data_dir).store();
    // A `moisson compact-store` interrupted between its renames left no `store`: never
    // open (and so create) an empty one in its place.
    if let Some(done) = moisson_catalog::recover_interrupted_compaction(&dir)
        .with_context(|| format!("checking {} for an interrupted compaction", dir.display()))?
    {
        tracing::warn!(dir = %dir.display(), "interrupted store compaction: {done}");
    }
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
    Ok(store)
}
