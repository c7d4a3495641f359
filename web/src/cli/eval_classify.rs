//! `moisson eval-classify [DEV_SET] [--corpus DIR] [--json]`: scores the classifier
//! against hand-labelled records (default `search/eval/dev-set.jsonl`, whose files are
//! read from `../shared/corpus`): precision and recall of top themes, sub-themes and use
//! cases, territory accuracy, a table per theme and per use case, and the confusions.
//! Each labelled file is read and classified as `moisson classify` does.

use anyhow::Context;
use clap::Args;
use moisson_catalog::vocab::vocabularies;
use moisson_search::eval::{self, Candidate, Counts, Label, Mistake, Report};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::classify::classify_bytes;

#[derive(Args)]
pub(super) struct EvalClassifyArgs {
    /// The labelled set (one JSON object per line, see search/eval/README.md).
    #[arg(default_value = "search/eval/dev-set.jsonl")]
    dev_set: PathBuf,
    /// Folder the labels' `file` paths are relative to.
    #[arg(long, default_value = "../shared/corpus")]
    corpus: PathBuf,
    /// Prints the whole report as JSON.
    #[arg(long)]
    json: bool,
    /// Confusions listed in the table (all of them in JSON).
    #[arg(long, default_value_t = 400)]
    confusions: usize,
}

pub(super) async fn run(args: EvalClassifyArgs) -> anyhow::Result<ExitCode> {
    let dev_set = args.dev_set.clone();
    let corpus = args.corpus.clone();
    let report = tokio::task::spawn_blocking(move || evaluate(&dev_set, &corpus)).await??;
    let text = if args.json {
        serde_json::to_string_pretty(&report).context("serializing")? + "\n"
    } else {
        table(&args.dev_set, &report, args.confusions)
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .context("writing to stdout")?;
    Ok(ExitCode::SUCCESS)
}

/// Reads the labels of `dev_set`, classifies the records of each file they name (paths
/// relative to `corpus`) and scores them.
pub fn evaluate(dev_set: &Path, corpus: &Path) -> anyhow::Result<Report> {
    let text = std::fs::read_to_string(dev_set)
        .with_context(|| format!("reading {}", dev_set.display()))?;
    let vocab = vocabularies();
    let labels =
        eval::read_labels(&text, vocab).with_context(|| format!("in {}", dev_set.display()))?;
    let mut by_file: BTreeMap<&str, Vec<&Label>> = BTreeMap::new();
    for label in &labels {
        by_file.entry(label.file.as_str()).or_default().push(label);
    }
    let mut found: BTreeMap<&str, Option<moisson_search::Classification>> = BTreeMap::new();
    for (file, file_labels) in by_file {
        let candidates = candidates_of(&corpus.join(file))?;
        for label in file_labels {
            let classification = eval::find(label, &candidates).map(|c| c.classification.clone());
            found.insert(label.id.as_str(), classification);
        }
    }
    let outcomes: Vec<(Label, Option<moisson_search::Classification>)> = labels
        .iter()
        .map(|l| (l.clone(), found.remove(l.id.as_str()).flatten()))
        .collect();
    Ok(eval::score(&outcomes, vocab))
}

/// The classified records of one corpus file; a file that cannot be read as RDF or CSW
/// has none (its labels then count as missing).
fn candidates_of(path: &Path) -> anyhow::Result<Vec<Candidate>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let absolute =
        std::fs::canonicalize(path).with_context(|| format!("resolving {}", path.display()))?;
    let base = format!("file://{}", absolute.display());
    let target = path.display().to_string();
    let document = match classify_bytes(&target, bytes, None, &base) {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(file = %target, error = %format!("{e:#}"), "labelled file not readable");
            return Ok(Vec::new());
        }
    };
    Ok(document
        .records
        .into_iter()
        .map(|r| Candidate {
            iri: r.iri,
            identifiers: r.identifiers,
            title: r.title,
            classification: r.classification,
        })
        .collect())
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:.2}"))
}

fn counts_line(name: &str, c: &Counts) -> String {
    format!(
        "{name:<12} {:>9} {:>7} {:>6} {:>5} {:>5} {:>5}",
        percent(c.precision()),
        percent(c.recall()),
        percent(c.f1()),
        c.true_positives,
        c.false_positives,
        c.false_negatives
    )
}

fn table(dev_set: &Path, r: &Report, max_confusions: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} records ({} found, {} missing)\n",
        dev_set.display(),
        r.records,
        r.records - r.missing.len(),
        r.missing.len()
    );
    let _ = writeln!(
        out,
        "{:<12} {:>9} {:>7} {:>6} {:>5} {:>5} {:>5}",
        "", "precision", "recall", "F1", "tp", "fp", "fn"
    );
    let _ = writeln!(out, "{}", counts_line("top themes", &r.top_themes));
    let _ = writeln!(out, "{}", counts_line("sub-themes", &r.sub_themes));
    let _ = writeln!(out, "{}", counts_line("use cases", &r.use_cases));
    let t = &r.territory;
    let share = |n: usize| n as f64 * 100.0 / t.records.max(1) as f64;
    let _ = writeln!(
        out,
        "territory    all levels {}/{} ({:.0} %); départements and régions: exact {}/{} ({:.0} %), compatible {}/{} ({:.0} %)",
        t.all_levels,
        t.records,
        share(t.all_levels),
        t.exact,
        t.records,
        share(t.exact),
        t.compatible,
        t.records,
        share(t.compatible)
    );
    if !r.missing.is_empty() {
        let _ = writeln!(out, "missing records: {}", r.missing.join(", "));
    }
    for (heading, rows) in [
        ("Per theme", &r.per_theme),
        ("Per use case", &r.per_use_case),
    ] {
        let _ = writeln!(
            out,
            "\n{heading}\n{:<58} {:>9} {:>7} {:>4} {:>4} {:>4}",
            "", "precision", "recall", "tp", "fp", "fn"
        );
        for row in rows {
            let name = if row.level == "sub-theme" {
                format!("  {}", row.value)
            } else {
                row.value.clone()
            };
            let _ = writeln!(
                out,
                "{name:<58} {:>9} {:>7} {:>4} {:>4} {:>4}",
                percent(row.counts.precision()),
                percent(row.counts.recall()),
                row.counts.true_positives,
                row.counts.false_positives,
                row.counts.false_negatives
            );
        }
    }
    let _ = writeln!(
        out,
        "\nConfusions ({} in all; + given not expected, - expected not given, ≠ territory expected → given)",
        r.confusions.len()
    );
    for c in r.confusions.iter().take(max_confusions) {
        let sign = match c.mistake {
            Mistake::FalsePositive => "+",
            Mistake::FalseNegative => "-",
            Mistake::WrongTerritory => "≠",
        };
        let reasons = if c.reasons.is_empty() {
            String::new()
        } else {
            format!("  ← {}", c.reasons.join(" ; "))
        };
        let _ = writeln!(
            out,
            "  {:<28} {:<9} {sign}{}{reasons}",
            c.record, c.axis, c.value
        );
    }
    out
}
