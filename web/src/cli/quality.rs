//! `moisson quality [SOURCE] [--format table|json|csv]`: the quality report of a source,
//! or of every source, from the store (computed now when it never was, or on request).

use anyhow::{bail, Context};
use clap::Args;
use moisson_catalog::quality::SourceQualityReport;
use moisson_catalog::{CatalogStore, SourceId};
use moisson_harvester::{Protocol, Source};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use crate::runner;

#[derive(Args)]
pub(super) struct QualityArgs {
    /// Source id; every source when absent.
    source: Option<String>,
    /// table, json or csv (csv: one line per record to fix).
    #[arg(long, default_value = "table")]
    format: String,
    /// Recompute now, reading every record (adds a point to the trend), instead of reading
    /// the last report. (The runs after harvests read only the records whose inputs changed.)
    #[arg(long)]
    recompute: bool,
    /// Records to fix shown per source in the table.
    #[arg(long, default_value_t = 10)]
    limit: usize,
}

fn stored_sources(store: &CatalogStore) -> anyhow::Result<Vec<Source>> {
    // Sources with an active record: each registry read up to its first one.
    let ids: BTreeSet<String> = store
        .registries()
        .context("reading the registry")?
        .iter()
        .filter_map(|r| {
            r.entries()
                .find(|e| e.state == moisson_catalog::RecordState::Active)
                .map(|e| e.source.clone())
        })
        .collect();
    ids.into_iter()
        .map(|id| {
            Ok(Source::new(
                SourceId::new(id.clone())?,
                id,
                String::new(),
                Protocol::Dcat,
            ))
        })
        .collect()
}

pub(super) async fn run(
    args: QualityArgs,
    config_path: &Path,
    env: &BTreeMap<String, String>,
) -> anyhow::Result<ExitCode> {
    if !matches!(args.format.as_str(), "table" | "json" | "csv") {
        bail!(
            "unknown format {:?} (expected table, json or csv)",
            args.format
        );
    }
    // Without a configuration file (e.g. after `moisson demo`), the sources found in the
    // store are reported.
    let (config, configured) = super::config_or_demo(config_path, env)?;
    let store = super::open_store_for_reading(&config.data_dir)?;
    let mut sources = if configured {
        config.sources.clone()
    } else {
        stored_sources(&store)?
    };
    if let Some(id) = &args.source {
        sources.retain(|s| s.id.as_str() == id);
        if sources.is_empty() {
            bail!("no source {id:?} (in the configuration or the store)");
        }
    }
    let recompute = args.recompute;
    let named = args.source.clone();
    let data_dir = config.data_dir.clone();
    let reports =
        tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<SourceQualityReport>> {
            let mut out = Vec::with_capacity(sources.len());
            let mut empty = Vec::new();
            for s in &sources {
                // A source with nothing harvested has no score: no 0/100 report is made.
                let counts = store.source_counts(s.id.as_str())?;
                if counts.datasets + counts.services + counts.series == 0 {
                    empty.push(s.id.to_string());
                    continue;
                }
                let stored = if recompute {
                    None
                } else {
                    store.quality_report(s.id.as_str())?
                };
                let report = match stored {
                    Some(r) => r,
                    // Asked for again: every record read, nothing taken from the last run.
                    None if recompute => runner::assess_quality_with(
                        &store,
                        s,
                        moisson_catalog::quality::Reuse::Nothing,
                    )
                    .with_context(|| format!("assessing {}", s.id))?,
                    None => runner::assess_quality(&store, s)
                        .with_context(|| format!("assessing {}", s.id))?,
                };
                out.push(report);
            }
            if let Some(id) = named.filter(|_| out.is_empty()) {
                bail!("source {id:?} has no harvested records yet (run `moisson harvest {id}`)");
            }
            if out.is_empty() {
                bail!(
                    "no source has harvested records in {} (run `moisson harvest`)",
                    data_dir.display()
                );
            }
            if !empty.is_empty() {
                tracing::warn!(sources = %empty.join(", "), "no harvested records: no quality report");
            }
            Ok(out)
        })
        .await??;
    let text = match args.format.as_str() {
        "json" => serde_json::to_string_pretty(&reports).context("serializing")? + "\n",
        "csv" => crate::api::quality::records_to_fix_csv(&reports),
        _ => table(&reports, args.limit),
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .context("writing to stdout")?;
    Ok(ExitCode::SUCCESS)
}

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:5.1}", x * 100.0))
        .unwrap_or_else(|| "    —".into())
}

/// The human report: summary per source, dimensions, indicators, worst records.
pub(crate) fn table(reports: &[SourceQualityReport], limit: usize) -> String {
    let mut out = String::new();
    for r in reports {
        let _ = writeln!(
            out,
            "{} — note {:.1}/100 ({}) · MQA {:.0}/405 ({}) · data.gouv.fr {:.0} % · {} fiches · calculé le {}",
            r.source, r.score, r.rating, r.mqa_points, r.mqa_rating, r.udata_score * 100.0, r.record_count, r.computed_at
        );
        if r.mapping_artefacts > 0 {
            let _ = writeln!(
                out,
                "  {} écart(s) dus à notre conversion ISO 19139 → DCAT-AP, non comptés",
                r.mapping_artefacts
            );
        }
        let _ = writeln!(out, "  dimensions:");
        for d in &r.dimensions {
            let score = d
                .score
                .map(|s| format!("{s:5.1}"))
                .unwrap_or_else(|| "non mesuré".into());
            let _ = writeln!(out, "    {:<28} {score}  ({} pts)", d.label, d.max_points);
        }
        let _ = writeln!(out, "  indicators (pass rate %):");
        for i in &r.indicators {
            let _ = writeln!(
                out,
                "    {:<13} {:<38} {:>3} pts {}",
                i.dimension,
                i.label,
                i.points,
                pct(i.pass_rate)
            );
        }
        let histogram: Vec<String> = r
            .score_distribution
            .iter()
            .map(|b| format!("{}–{}:{}", b.from, b.to, b.count))
            .collect();
        let _ = writeln!(out, "  distribution: {}", histogram.join(" "));
        let trend: Vec<String> = r
            .trend
            .iter()
            .map(|t| format!("{} {:.1}", t.harvested_at, t.score))
            .collect();
        let _ = writeln!(out, "  trend: {}", trend.join(" → "));
        let _ = writeln!(out, "  records to fix (worst first):");
        for f in r.records_to_fix.iter().take(limit) {
            let _ = writeln!(out, "    {:5.1}  {}  {}", f.score, f.id, f.title);
            for m in &f.messages {
                let _ = writeln!(out, "           - {m}");
            }
        }
        out.push('\n');
    }
    out
}
