//! `moisson compact-store`: rewrites the store into a fresh one holding the same quads,
//! dropping the strings replaced records, copies and registry chunks left behind
//! (`moisson_catalog::compact_store`). Run with the server stopped.

use anyhow::Context;
use clap::Args;
use std::process::ExitCode;

use crate::config::Config;

#[derive(Args)]
pub(super) struct CompactStoreArgs {}

pub(super) async fn run(_args: CompactStoreArgs, config: Config) -> anyhow::Result<ExitCode> {
    let dir = crate::DataDir::new(&config.data_dir).store();
    let report = tokio::task::spawn_blocking(move || {
        moisson_catalog::compact_store(&dir, |quads| {
            tracing::info!(quads, "quads copied");
        })
        .with_context(|| {
            format!(
                "compacting the store in {} (stop `moisson serve` first; it needs as much \
                 free disk as the store takes)",
                dir.display()
            )
        })
    })
    .await
    .context("compaction task")??;
    let mb = |b: u64| b as f64 / 1e6;
    if report.record_quads_dropped > 0 {
        println!(
            "{} quads of record graphs left out: their compact copies hold them",
            report.record_quads_dropped
        );
    }
    println!(
        "store compacted: {} quads in {:.1} s, {:.1} MB → {:.1} MB ({:+.1} %)",
        report.quads,
        report.duration.as_secs_f64(),
        mb(report.bytes_before),
        mb(report.bytes_after),
        (report.bytes_after as f64 / report.bytes_before.max(1) as f64 - 1.0) * 100.0
    );
    Ok(ExitCode::SUCCESS)
}
