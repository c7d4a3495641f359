//! `moisson export`: the federated catalogue as DCAT-AP on stdout, the same graph as the
//! union of `/catalog`'s pages (one writer, [`moisson_catalog::FederatedWriter`]).

use anyhow::{anyhow, Context};
use clap::Args;
use moisson_catalog::{ActiveRecord, Assigned, ExportFormat};
use moisson_search::SearchIndex;
use std::io::Write as _;
use std::process::ExitCode;

use crate::config::Config;

#[derive(Args)]
pub(super) struct ExportArgs {
    /// turtle, rdfxml, jsonld or ntriples.
    #[arg(long, default_value = "turtle")]
    format: String,
    /// IRI of the root catalogue (default: `{[server] public_url}/catalog`, as `/catalog`
    /// names it). Source catalogues and catalogue records are named under it.
    #[arg(long)]
    catalog_iri: Option<String>,
}

pub(super) async fn run(args: ExportArgs, config: Config) -> anyhow::Result<ExitCode> {
    let format = ExportFormat::from_name(&args.format).ok_or_else(|| {
        anyhow!(
            "unknown export format {:?} (expected turtle, rdfxml, jsonld or ntriples)",
            args.format
        )
    })?;
    let root = args
        .catalog_iri
        .unwrap_or_else(|| config.public_url.catalog_root());
    let store = super::open_store_for_reading(&config.data_dir)?;
    let index_dir = crate::DataDir::new(&config.data_dir).index();
    let count = tokio::task::spawn_blocking(move || -> anyhow::Result<usize> {
        // What Moisson assigned each dataset lives in the index; without one (never
        // indexed), the export says so and carries the harvested metadata alone.
        let index = match SearchIndex::open_read_only(&index_dir) {
            Ok(index) => Some(index),
            Err(e) => {
                tracing::warn!(error = %e, dir = %index_dir.display(), "no search index: themes, use cases and territories left out of the export");
                None
            }
        };
        let assigned = |r: &ActiveRecord| {
            index
                .as_ref()
                .and_then(|i| i.assigned(&r.dataset_id).ok())
                .unwrap_or_else(Assigned::default)
        };
        // The configured name, else the one the latest harvest recorded (the demo's
        // sources are not in any moisson.toml).
        let names = |id: &str| {
            config
                .sources
                .iter()
                .find(|s| s.id.as_str() == id)
                .map(|s| s.name.clone())
                .or_else(|| store.source_name(id).ok().flatten())
                .unwrap_or_else(|| id.to_owned())
        };
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
        let n = store
            .export_federated(format, &root, &assigned, &names, &mut out)
            .context("exporting")?;
        out.flush().context("writing to stdout")?;
        Ok(n)
    })
    .await??;
    tracing::info!(records = count, "export written");
    Ok(ExitCode::SUCCESS)
}
