//! `moisson bench-search`: the search and quality side at scale, in one run.
//!
//! Serves a generated catalogue of N datasets in Hydra pages over loopback, harvests it into
//! `WORK/store`, computes its quality (SHACL + indicators, links excluded), builds the search
//! index in `WORK/index`, then serves a revision of the catalogue where 1 % of the datasets
//! changed, re-harvests it and times what follows a harvest: the incremental index update
//! (records read, documents written) and the quality rerun. It leaves `WORK/moisson.toml`
//! (scheduler and link checks off), so `moisson serve --config WORK/moisson.toml` serves
//! the result for a load test (`wrk … -s search/bench/mixed-queries.lua`).

use anyhow::{bail, Context};
use clap::Args;
use moisson_catalog::{CatalogStore, JobStatus, SourceId};
use moisson_demo::{self as demo, DemoFormat};
use moisson_harvester::{harvest_source, HarvestOptions, LogProgress, Protocol, Source};
use moisson_search::{changed_datasets, SearchIndex};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use super::bench::{fresh_store_and_fetcher, peak_rss_mb, reset_peak_rss};
use crate::runner::source_contexts;

#[derive(Args)]
pub(super) struct BenchSearchArgs {
    /// Datasets in the generated catalogue.
    #[arg(long, default_value_t = 100_000)]
    datasets: usize,
    /// Datasets per Hydra page.
    #[arg(long, default_value_t = 1_000)]
    page_size: usize,
    /// Folder for the store, the index and the configuration; kept after the run.
    #[arg(long, default_value = "target/bench-search")]
    work_dir: PathBuf,
    /// Reuse the store of an earlier run in the work folder (skip the first harvest).
    #[arg(long)]
    reuse_store: bool,
    /// Skip the quality runs.
    #[arg(long)]
    no_quality: bool,
}

/// One measured step.
struct Step {
    name: String,
    seconds: f64,
    items: u64,
    unit: &'static str,
    peak_rss_mb: f64,
    detail: String,
}

fn print_steps(steps: &[Step]) {
    println!(
        "\n{:<38} {:>9} {:>10} {:>12} {:>13}  detail",
        "step", "seconds", "items", "items/s", "peak RSS MiB"
    );
    for s in steps {
        println!(
            "{:<38} {:>9.1} {:>10} {:>12.0} {:>13.0}  {} {}",
            s.name,
            s.seconds,
            s.items,
            s.items as f64 / s.seconds.max(1e-9),
            s.peak_rss_mb,
            s.unit,
            s.detail
        );
    }
}

/// Times `f` on a blocking thread, with its own peak RSS.
async fn timed<T: Send + 'static>(
    f: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<(T, f64, f64)> {
    reset_peak_rss();
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(f).await.context("task")??;
    Ok((out, started.elapsed().as_secs_f64(), peak_rss_mb()))
}

/// Brings the SPARQL store to what readers of `store` see, timed.
async fn sparql_step(
    name: &str,
    store: &CatalogStore,
    index: &Arc<SearchIndex>,
    sparql: &moisson_catalog::SparqlStore,
) -> anyhow::Result<Step> {
    let (s, i, q) = (store.clone(), index.clone(), sparql.clone());
    let (report, seconds, rss) =
        timed(move || Ok(crate::api::sparql_dataset::sync_sparql(&s, &i, &q)?)).await?;
    Ok(Step {
        name: name.to_owned(),
        seconds,
        items: report.graphs_added as u64,
        unit: "graphs added",
        peak_rss_mb: rss,
        detail: format!(
            "{} removed, {} quads added, {} removed",
            report.graphs_removed, report.quads_added, report.quads_removed
        ),
    })
}

/// Computes and stores the quality of `source` once, timed.
async fn quality_step(
    name: &str,
    store: &CatalogStore,
    source: &Source,
) -> anyhow::Result<(Step, moisson_catalog::quality::SourceQualityReport)> {
    let (s, src) = (store.clone(), source.clone());
    let ((report, counts), seconds, rss) = timed(move || {
        Ok(crate::runner::assess_quality_counted(
            &s,
            &src,
            moisson_catalog::quality::Reuse::Unchanged,
        )?)
    })
    .await?;
    let step = Step {
        name: name.to_owned(),
        seconds,
        items: report.record_count as u64,
        unit: "records",
        peak_rss_mb: rss,
        detail: format!(
            "{} read and assessed, {} unchanged counted from the last run",
            counts.assessed, counts.reused
        ),
    };
    Ok((step, report))
}

/// Harvests `source` once, timed; fails unless the job ends `ok`.
async fn harvest_step(
    name: &str,
    store: &CatalogStore,
    fetcher: &moisson_harvester::Fetcher,
    source: &Source,
) -> anyhow::Result<(moisson_catalog::JobReport, Step)> {
    reset_peak_rss();
    let started = Instant::now();
    let report = harvest_source(
        store,
        fetcher,
        source,
        &HarvestOptions::default(),
        Arc::new(LogProgress),
    )
    .await;
    if report.status != JobStatus::Ok {
        bail!("{name} ended {:?}: {:?}", report.status, report.reason);
    }
    let step = Step {
        name: name.to_owned(),
        seconds: started.elapsed().as_secs_f64(),
        items: 0,
        unit: "records",
        peak_rss_mb: peak_rss_mb(),
        detail: String::new(),
    };
    Ok((report, step))
}

/// Writes `WORK/moisson.toml` serving `work` with `source` and nothing scheduled, under
/// the comment `header`.
pub(super) fn write_config(work: &Path, source: &Source, header: &str) -> anyhow::Result<PathBuf> {
    let path = work.join("moisson.toml");
    let text = format!(
        "{header}data_dir = {data:?}\n\n[server]\nbind = \"127.0.0.1:18080\"\n\n\
         [harvest]\ncheck_links = false\n\n[scheduler]\nenabled = false\n\n\
         [[source]]\nid = {id:?}\nname = {name:?}\nurl = {url:?}\nprotocol = \"dcat\"\n\
         publisher_kind = {kind:?}\nterritory = {territory:?}\n",
        data = work.canonicalize()?.display().to_string(),
        id = source.id.as_str(),
        name = source.name,
        url = source.url,
        kind = source.publisher_kind.clone().unwrap_or_default(),
        territory = source.territory.clone().unwrap_or_default(),
    );
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

pub(super) async fn run(args: BenchSearchArgs) -> anyhow::Result<ExitCode> {
    let work = args.work_dir.clone();
    std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    let mut catalogue = demo::benchmark_source(args.datasets, DemoFormat::Turtle);
    catalogue.page_size = Some(args.page_size.max(1));
    // Distribution URLs are under the server's address, and the revision is what the store
    // holds: both are kept in the work folder so a reused store sees the same catalogue.
    let state_file = work.join("bench-search.state");
    let reuse = args.reuse_store && crate::DataDir::new(&work).store().is_dir();
    let (port, revision) = match std::fs::read_to_string(&state_file) {
        Ok(text) if reuse => {
            let mut parts = text.split_whitespace().map(str::parse::<u64>);
            match (parts.next(), parts.next()) {
                (Some(Ok(p)), Some(Ok(r))) => (u16::try_from(p).unwrap_or(0), r),
                _ => (0, 0),
            }
        }
        _ => (0, 0),
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("binding 127.0.0.1:{port} (the port of the reused store)"))?;
    let port = listener.local_addr()?.port();
    let server = moisson_demo::server::spawn(listener, vec![catalogue.clone()])?;
    server.set_revision(revision);
    let (store, fetcher) = if reuse {
        let store = CatalogStore::open(&crate::DataDir::new(&work).store())?;
        let fetcher = moisson_harvester::Fetcher::new(moisson_harvester::FetchOptions {
            spool_dir: Some(work.clone()),
            ..moisson_harvester::FetchOptions::default()
        })?;
        (store, fetcher)
    } else {
        fresh_store_and_fetcher(&work, "store")?
    };
    let mut source = Source::new(
        SourceId::new("bench-search")?,
        "DREAL Bretagne (banc d'essai)",
        server.first_page_url(&catalogue),
        Protocol::Dcat,
    );
    source.publisher_kind = Some(catalogue.publisher_kind.to_lowercase());
    source.territory = catalogue.territory.clone();
    let contexts = source_contexts(std::slice::from_ref(&source));
    let mut steps = Vec::new();
    // The first harvest overwrites the source URL's port of an earlier run: every record's
    // distribution URLs change with it, so a reused store is harvested again only if asked.
    if !(args.reuse_store && store.source_counts(source.id.as_str())?.datasets > 0) {
        let (report, step) = harvest_step("first harvest", &store, &fetcher, &source).await?;
        steps.push(Step {
            items: report.counts.added,
            detail: format!("{} pages", report.counts.pages),
            ..step
        });
    }
    if !args.no_quality {
        let (step, report) = quality_step(
            "quality, every record (SHACL + indicators)",
            &store,
            &source,
        )
        .await?;
        steps.push(Step {
            detail: format!("score {:.1}; {}", report.score, step.detail),
            ..step
        });
    }
    let index_dir = crate::DataDir::new(&work).index();
    let _ = std::fs::remove_dir_all(&index_dir);
    let (index, _) = SearchIndex::open_or_create(&index_dir)?;
    let index = Arc::new(index);
    store.load_vocabularies()?;
    let (i, s, c) = (index.clone(), store.clone(), contexts.clone());
    let (stats, seconds, rss) = timed(move || Ok(i.rebuild(&s, &c)?)).await?;
    steps.push(Step {
        name: "index build".into(),
        seconds,
        items: stats.records,
        unit: "records",
        peak_rss_mb: rss,
        detail: format!(
            "{} documents, {:.1} MB",
            stats.documents,
            moisson_catalog::dir_bytes(&index_dir) as f64 / 1e6
        ),
    });
    // The SPARQL store (derived like the index): its first sync, from scratch.
    let store_dir = crate::DataDir::new(&work).store();
    let sparql_dir = moisson_catalog::SparqlStore::dir_of(&store_dir);
    let _ = moisson_catalog::SparqlStore::remove(&sparql_dir);
    let sparql = moisson_catalog::SparqlStore::open(&sparql_dir)?;
    steps.push(sparql_step("SPARQL store sync", &store, &index, &sparql).await?);
    // A revision of the catalogue: 1 % of the datasets changed.
    server.set_revision(1 + server.revision());
    std::fs::write(&state_file, format!("{port} {}\n", server.revision()))?;
    let before = store.registry(source.id.as_str())?;
    let (report, step) = harvest_step(
        "re-harvest, 1 % of datasets revised",
        &store,
        &fetcher,
        &source,
    )
    .await?;
    steps.push(Step {
        items: report.counts.updated,
        unit: "records updated",
        detail: format!("{} unchanged", report.counts.unchanged),
        ..step
    });
    let (i, s, c, id) = (
        index.clone(),
        store.clone(),
        contexts.clone(),
        source.id.as_str().to_owned(),
    );
    let ((changed, stats), seconds, rss) = timed(move || {
        let after = s.registry(&id)?;
        let changed = changed_datasets(&before, &after);
        let stats = i.update(&s, &c, &changed)?;
        Ok((changed.len(), stats))
    })
    .await?;
    steps.push(Step {
        name: "index update after it".into(),
        seconds,
        items: changed as u64,
        unit: "datasets changed",
        peak_rss_mb: rss,
        detail: format!(
            "{} records read, {} documents written, {} deleted",
            stats.records, stats.documents, stats.deleted
        ),
    });
    steps.push(sparql_step("SPARQL store sync after it", &store, &index, &sparql).await?);
    if !args.no_quality {
        let (step, _) = quality_step("quality rerun after it", &store, &source).await?;
        steps.push(step);
    }
    print_steps(&steps);
    let records = store.source_counts(source.id.as_str())?.datasets.max(1);
    let (store_bytes, sparql_bytes) = (
        moisson_catalog::dir_bytes(&store_dir),
        moisson_catalog::SparqlStore::disk_bytes(&sparql_dir),
    );
    println!(
        "\nrecord store: {:.0} MB, {} quads; SPARQL store: {:.0} MB, {} quads; together {:.0} MB, {:.0} bytes a dataset ({records} datasets)",
        store_bytes as f64 / 1e6,
        store.quad_count()?,
        sparql_bytes as f64 / 1e6,
        sparql.oxigraph().len()?,
        (store_bytes + sparql_bytes) as f64 / 1e6,
        (store_bytes + sparql_bytes) as f64 / records as f64
    );
    drop(sparql);
    let config = write_config(
        &work,
        &source,
        "# Written by `moisson bench-search`: serves the benchmark store without harvesting.\n",
    )?;
    println!(
        "serve it:  target/release/moisson serve --config {}\nload it:   wrk -t2 -c16 -d30s --latency -s search/bench/mixed-queries.lua http://127.0.0.1:18080",
        config.display()
    );
    Ok(ExitCode::SUCCESS)
}
