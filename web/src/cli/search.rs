//! `moisson search QUERY [--theme T] [--use-case U] [--territory CODE] [--json]`: searches
//! the index from the shell.

use anyhow::Context;
use clap::Args;
use moisson_search::{SearchRequest, SearchResponse, Sort};
use std::collections::BTreeMap;
use std::process::ExitCode;

use crate::config::Config;
use crate::runner::source_contexts;

#[derive(Args)]
pub(super) struct SearchArgs {
    /// Words to search, in French ("zones humides", "PPRI", "inond*").
    query: Vec<String>,
    /// Theme or sub-theme slug (e.g. `eau`, `masses-d-eau`).
    #[arg(long)]
    theme: Vec<String>,
    /// Use-case slug (e.g. `ppri`, `pcaet`).
    #[arg(long)]
    use_case: Vec<String>,
    /// Territory: INSEE code of a département (`29`), `region-53`, or a name.
    #[arg(long)]
    territory: Vec<String>,
    /// Source id.
    #[arg(long)]
    source: Vec<String>,
    /// Publisher name.
    #[arg(long)]
    publisher: Vec<String>,
    /// Format (e.g. `shapefile`, `csv`).
    #[arg(long)]
    format: Vec<String>,
    /// Order: relevance, modified or quality.
    #[arg(long, default_value = "relevance")]
    sort: String,
    /// Page, from 1.
    #[arg(long, default_value_t = 1)]
    page: usize,
    /// Results per page.
    #[arg(long, default_value_t = 10)]
    page_size: usize,
    /// Prints the API's JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Answers the search this many times more with the answer cache off, then prints the
    /// time of one answer (wall p50/p99, CPU) on stderr: a measure of a query's cost that a
    /// loaded machine disturbs less than a load test (CPU time of this process, whose only
    /// work is the search, on however many threads the index searches with).
    #[arg(long, default_value_t = 0)]
    repeat: usize,
}

pub(super) async fn run(args: SearchArgs, config: Config) -> anyhow::Result<ExitCode> {
    let sort = Sort::from_name(&args.sort).with_context(|| {
        format!(
            "--sort must be relevance, modified or quality, not {:?}",
            args.sort
        )
    })?;
    let mut filters: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, values) in [
        ("theme", &args.theme),
        ("use_case", &args.use_case),
        ("territory", &args.territory),
        ("source", &args.source),
        ("publisher", &args.publisher),
        ("format", &args.format),
    ] {
        if !values.is_empty() {
            filters.insert(name.to_owned(), values.clone());
        }
    }
    let request = SearchRequest {
        q: Some(args.query.join(" ")).filter(|q| !q.trim().is_empty()),
        filters,
        sort,
        page: args.page,
        page_size: args.page_size,
    };
    let store = super::open_store_for_reading(&config.data_dir)?;
    let indexing = super::reindex::open_index_for_reading(
        &config.data_dir,
        &store,
        source_contexts(&config.sources),
    )
    .await?;
    let repeat = args.repeat;
    let (response, timing) = tokio::task::spawn_blocking(move || {
        let response = indexing.index.search(&request)?;
        let timing = (repeat > 0)
            .then(|| time_answers(&indexing.index, &request, repeat))
            .transpose()?;
        Ok::<_, moisson_search::index::SearchError>((response, timing))
    })
    .await
    .context("search task")??;
    if let Some(timing) = timing {
        eprintln!("{timing}");
    }
    let text = if args.json {
        format!("{}\n", serde_json::to_string_pretty(&response)?)
    } else {
        table(&response)
    };
    write_out(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes `text` on standard output; a reader that went away (`| head`) is not an error.
fn write_out(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("writing the results"),
    }
}

/// Answers `request` `runs` times with the answer cache off; returns wall p50/p99 and the
/// mean CPU time of the process per answer.
fn time_answers(
    index: &moisson_search::index::SearchIndex,
    request: &SearchRequest,
    runs: usize,
) -> Result<String, moisson_search::index::SearchError> {
    index.set_cache_capacity(0);
    let cpu_before = moisson_catalog::resident::cpu_seconds();
    let mut walls = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = std::time::Instant::now();
        index.search(request)?;
        walls.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let cpu = match (cpu_before, moisson_catalog::resident::cpu_seconds()) {
        (Some(before), Some(after)) => {
            format!("{:.3} ms", (after - before) * 1000.0 / runs as f64)
        }
        _ => "unknown".to_owned(),
    };
    walls.sort_by(f64::total_cmp);
    let at = |q: f64| walls[((walls.len() - 1) as f64 * q).round() as usize];
    Ok(format!(
        "{runs} answers, cache off: wall p50 {:.3} ms, p99 {:.3} ms; CPU {cpu} per answer",
        at(0.5),
        at(0.99)
    ))
}

fn table(response: &SearchResponse) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let shown = response.results.len();
    let _ = writeln!(
        out,
        "{} jeux de données ({} affichés)",
        response.total, shown
    );
    if !response.interpreted.territories.is_empty() {
        let _ = writeln!(
            out,
            "territoire compris : {} ; mots cherchés : « {} »{}",
            response.interpreted.territories.join(", "),
            response.interpreted.text,
            if response.interpreted.relaxed {
                " (au moins un des mots)"
            } else {
                ""
            }
        );
    }
    for (i, r) in response.results.iter().enumerate() {
        let _ = writeln!(
            out,
            "{:>3}. {}\n     {} · {} · sources {} · {}",
            i + 1,
            r.title.as_deref().unwrap_or("(sans titre)"),
            r.publisher.as_deref().unwrap_or("producteur inconnu"),
            r.modified.as_deref().unwrap_or("date inconnue"),
            r.sources.join(", "),
            r.id
        );
        let _ = writeln!(
            out,
            "     thèmes : {} | cas d'usage : {} | territoires : {}",
            r.themes.join(", "),
            r.use_cases.join(", "),
            r.territories.join(", ")
        );
    }
    for (dim, values) in &response.facets {
        if values.is_empty() {
            continue;
        }
        let top: Vec<String> = values
            .iter()
            .take(6)
            .map(|v| format!("{} ({})", v.label, v.count))
            .collect();
        let _ = writeln!(out, "{dim}: {}", top.join(", "));
    }
    out
}
