//! `moisson harvest [SOURCE_ID…]`: harvests now, prints a summary, exit 1 if any failed.

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
        check_links: config.check_links,
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
    println!("{}", super::progress::summary_table(&reports));
    for r in &reports {
        for e in r.errors.iter().take(5) {
            eprintln!("{}: {}: {}", r.source, e.location, e.message);
        }
    }
    let failed = reports.iter().any(|r| r.status == JobStatus::Failed);
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
