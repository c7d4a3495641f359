//! `moisson export`: the federated catalogue as DCAT-AP on stdout.

use anyhow::{anyhow, Context};
use clap::Args;
use moisson_catalog::ExportFormat;
use std::io::Write as _;
use std::process::ExitCode;

use crate::config::Config;

#[derive(Args)]
pub(super) struct ExportArgs {
    /// turtle, rdfxml, jsonld or ntriples.
    #[arg(long, default_value = "turtle")]
    format: String,
    /// IRI of the root catalogue in the export.
    #[arg(long, default_value = "urn:moisson:catalog")]
    catalog_iri: String,
}

pub(super) async fn run(args: ExportArgs, config: Config) -> anyhow::Result<ExitCode> {
    let format = ExportFormat::from_name(&args.format).ok_or_else(|| {
        anyhow!(
            "unknown export format {:?} (expected turtle, rdfxml, jsonld or ntriples)",
            args.format
        )
    })?;
    let store = super::open_store_for_reading(&config.data_dir)?;
    let count = tokio::task::spawn_blocking(move || -> anyhow::Result<usize> {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
        let n = store
            .export(format, &args.catalog_iri, &mut out)
            .context("exporting")?;
        out.flush().context("writing to stdout")?;
        Ok(n)
    })
    .await??;
    tracing::info!(records = count, "export written");
    Ok(ExitCode::SUCCESS)
}
