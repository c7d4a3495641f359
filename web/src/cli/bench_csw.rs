//! `moisson bench-csw`: a paged CSW 2.0.2 harvest of generated ISO 19139 records served over
//! loopback (the demo CSW server: 100 records a page), next to the dcat protocol harvesting
//! a generated Turtle catalogue of the same size in Hydra pages of 100, in one run.

use anyhow::{bail, Context};
use clap::Args;
use moisson_catalog::SourceId;
use moisson_demo::csw::CswCatalogue;
use moisson_demo::{self as demo, DemoFormat};
use moisson_harvester::{harvest_source, HarvestOptions, LogProgress, Protocol, Source};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use super::bench::{fresh_store_and_fetcher, peak_rss_mb, reset_peak_rss};

#[derive(Args)]
pub(super) struct BenchCswArgs {
    /// Records in the generated CSW catalogue (and datasets in the dcat comparison).
    #[arg(long, default_value_t = 50_000)]
    records: u64,
    /// Folder for the spooled pages and the store (a temporary one by default).
    #[arg(long)]
    work_dir: Option<PathBuf>,
}

fn source(id: &str, url: String, protocol: Protocol) -> anyhow::Result<Source> {
    Ok(Source::new(SourceId::new(id)?, id, url, protocol))
}

pub(super) async fn run(args: BenchCswArgs) -> anyhow::Result<ExitCode> {
    let temp = tempfile::tempdir().context("creating a temporary folder")?;
    let work = args.work_dir.unwrap_or_else(|| temp.path().to_owned());
    std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    let catalogue = CswCatalogue {
        id: "bench-csw".into(),
        name: "DDT de la Dordogne".into(),
        territory: "24".into(),
        bbox: [-0.05, 1.45, 44.57, 45.72],
        records: args.records,
    };
    let mut turtle = demo::benchmark_source(args.records as usize, DemoFormat::Turtle);
    turtle.page_size = Some(100);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let server = moisson_demo::server::spawn_with_csw(
        listener,
        vec![turtle.clone()],
        vec![catalogue.clone()],
    )?;
    let (store, fetcher) = fresh_store_and_fetcher(&work, "bench-csw-store")?;
    let sources = [
        source("bench-csw", server.csw_url(&catalogue), Protocol::Csw)?,
        source("bench-dcat", server.first_page_url(&turtle), Protocol::Dcat)?,
    ];
    println!(
        "{:<10} {:>9} {:>7} {:>9} {:>10} {:>13}",
        "protocol", "records", "pages", "seconds", "records/s", "peak RSS MiB"
    );
    for source in &sources {
        reset_peak_rss();
        let started = Instant::now();
        let report = harvest_source(
            &store,
            &fetcher,
            source,
            &HarvestOptions::default(),
            Arc::new(LogProgress),
        )
        .await;
        let seconds = started.elapsed().as_secs_f64();
        if report.status != moisson_catalog::JobStatus::Ok {
            bail!(
                "{} harvest ended {:?}: {}",
                source.protocol.as_str(),
                report.status,
                report.reason.unwrap_or_default()
            );
        }
        let records = report.counts.added + report.counts.updated + report.counts.unchanged;
        println!(
            "{:<10} {:>9} {:>7} {:>9.1} {:>10.0} {:>13.0}",
            source.protocol.as_str(),
            records,
            report.counts.pages,
            seconds,
            records as f64 / seconds,
            peak_rss_mb()
        );
    }
    Ok(ExitCode::SUCCESS)
}
