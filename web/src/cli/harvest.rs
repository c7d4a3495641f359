//! `moisson harvest [SOURCE_ID…]`: harvests now, prints a summary, exit 1 if any failed;
//! then checks the distribution links of the harvested sources, as a step of its own
//! with its own summary lines (`--no-link-check` skips it).

use anyhow::bail;
use clap::Args;
use moisson_catalog::JobStatus;
use moisson_harvester::Fetcher;
use std::collections::HashSet;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use crate::app::Harvests;
use crate::config::Config;
use crate::runner;

#[derive(Args)]
pub(super) struct HarvestArgs {
    /// Sources to harvest (all when none is named).
    sources: Vec<String>,
    /// Re-read pages even when they are byte-identical to the last harvest.
    #[arg(long)]
    force: bool,
    /// Skips the link checks that follow the harvest.
    #[arg(long)]
    no_link_check: bool,
}

pub(super) async fn run(args: HarvestArgs, config: Config) -> anyhow::Result<ExitCode> {
    let mut sources = Vec::new();
    for name in &args.sources {
        match config.sources.iter().find(|s| s.id.as_str() == name) {
            Some(s) => sources.push(s.clone()),
            None => bail!("no source {name:?} in the configuration"),
        }
    }
    if args.sources.is_empty() {
        sources.clone_from(&config.sources);
    }
    if sources.is_empty() {
        bail!("the configuration lists no [[source]]");
    }
    let store = super::open_store(&config.data_dir)?;
    let mut options = config.harvest.clone();
    options.force = args.force;
    let indexing = super::reindex::open_index(
        &config.data_dir,
        &store,
        runner::source_contexts(&config.sources),
    )
    .await?;
    let harvests = Arc::new(Harvests {
        fetcher: Fetcher::new(config.fetch.clone())?,
        options,
        running: Mutex::new(HashSet::new()),
        indexing: Some(indexing),
        // Checked below, once the summary is printed.
        check_links: false,
        limits: crate::app::Limits::new(config.concurrency, config.per_host_concurrency),
        live: Default::default(),
    });
    let reports = runner::run_all(
        &store,
        &harvests,
        &sources,
        config.concurrency,
        super::progress::for_terminal(),
    )
    .await;
    // Copies of dropped record graphs wait for the SPARQL store's sync; with no SPARQL
    // store beside the record store, nobody will read them.
    let sparql_dir =
        moisson_catalog::SparqlStore::dir_of(&crate::DataDir::new(&config.data_dir).store());
    if !sparql_dir.try_exists().unwrap_or(true) {
        if let Err(e) = runner::purge_retired(&store) {
            tracing::error!(error = %e, "purging the copies of dropped record graphs");
        }
    }
    println!("{}", super::progress::summary_table(&reports));
    for r in &reports {
        for e in r.errors.iter().take(5) {
            eprintln!("error: {}: {}: {}", r.source, e.location, e.message);
        }
    }
    if config.check_links && !args.no_link_check {
        check_links(&store, &config, &sources, &reports).await;
    }
    let failed = reports.iter().any(|r| r.status == JobStatus::Failed);
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Checks the links of every source harvested without failure, one line per source.
async fn check_links(
    store: &moisson_catalog::CatalogStore,
    config: &Config,
    sources: &[moisson_harvester::Source],
    reports: &[moisson_catalog::JobReport],
) {
    let harvested: Vec<&moisson_harvester::Source> = sources
        .iter()
        .filter(|s| {
            reports
                .iter()
                .any(|r| r.source == s.id.as_str() && r.status != JobStatus::Failed)
        })
        .collect();
    if harvested.is_empty() {
        return;
    }
    println!("checking links ({} sources)", harvested.len());
    for source in harvested {
        let started = std::time::Instant::now();
        let line = match runner::check_links(store, &config.fetch, source).await {
            None => "failed (see the log)".to_owned(),
            Some(s) if s.resolution_failed => format!(
                "skipped: host names do not resolve; {} links left due for the next run",
                s.deferred
            ),
            Some(s) => format!(
                "{} links: {} checked, {} broken, {} cached, {} deferred ({:.1} s)",
                s.links,
                s.checked,
                s.broken,
                s.cached,
                s.deferred,
                started.elapsed().as_secs_f64()
            ),
        };
        println!("links {:<24} {line}", source.id.as_str());
    }
}
