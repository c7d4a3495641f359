//! `GET /api/sources/{id}/quality` (a catalogue's autodiagnostic) and
//! `GET /api/quality/indicators` (the documented indicator table).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use moisson_catalog::quality::{Dimension, SourceQualityReport, INDICATORS};
use serde::Deserialize;

use crate::app::AppState;
use crate::error::{ApiError, ApiPath, ApiQuery};
use crate::runner;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/sources/{id}/quality", get(source_quality))
        .route("/api/quality/indicators", get(indicators))
}

#[derive(Deserialize)]
struct QualityQuery {
    /// How many records to fix to list (default 100, at most 500).
    limit: Option<usize>,
}

async fn source_quality(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<QualityQuery>,
) -> Result<Json<SourceQualityReport>, ApiError> {
    let Some(source) = state
        .sources
        .current()
        .iter()
        .find(|s| s.id.as_str() == id)
        .cloned()
    else {
        return Err(ApiError::not_found(format!("no source {id:?}")));
    };
    let store = state.store.clone();
    let mut report = tokio::task::spawn_blocking(move || source_report(&store, &source)).await??;
    report
        .records_to_fix
        .truncate(q.limit.unwrap_or(100).min(500));
    Ok(Json(report))
}

/// Returns the last quality report of `source`; a source harvested before quality existed
/// is assessed once now, which stores the first point of its trend.
pub fn source_report(
    store: &moisson_catalog::CatalogStore,
    source: &moisson_harvester::Source,
) -> Result<SourceQualityReport, moisson_catalog::StoreError> {
    match store.quality_report(source.id.as_str())? {
        Some(report) => Ok(report),
        None => runner::assess_quality(store, source),
    }
}

/// One CSV cell for French Excel. Text a spreadsheet would read as a formula (starting
/// with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, which keeps
/// it text; a cell holding the separator, a quote or a line break is quoted.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    };
    if s.contains([';', ',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.into_owned()
    }
}

/// A number as French Excel reads it: one decimal, comma separator.
fn csv_number(x: f64) -> String {
    format!("{:.1}", (x * 10.0).round() / 10.0).replace('.', ",")
}

/// The header of every records-to-fix CSV.
pub const CSV_HEADER: &str = "Catalogue;Score du catalogue (/100);Identifiant;Titre;Score de la fiche (/100);Points MQA de la fiche (/405);Niveau;Indicateur;Points à gagner;Compté dans le score;Correction";

/// One line of a records-to-fix CSV.
struct CsvLine<'a> {
    source: &'a str,
    source_score: f64,
    id: &'a str,
    title: &'a str,
    points: f64,
    indicator: moisson_catalog::quality::IndicatorId,
    gain: f64,
    counted: bool,
    text: String,
}

/// Writes `lines` as a CSV French Excel opens as it is: UTF-8 with a byte-order mark,
/// semicolons, French headers, decimal commas, CRLF line ends.
fn write_csv<'a>(lines: impl IntoIterator<Item = CsvLine<'a>>) -> String {
    let mut out = csv_head();
    for l in lines {
        push_csv_line(&mut out, &l);
    }
    out
}

/// The start of every records-to-fix CSV: the byte-order mark and the header line.
pub fn csv_head() -> String {
    format!("\u{feff}{CSV_HEADER}\r\n")
}

fn push_csv_line(out: &mut String, l: &CsvLine<'_>) {
    use std::fmt::Write as _;
    let score = moisson_catalog::quality::Score::from_points(l.points);
    let _ = write!(
        out,
        "{};{};{};{};{};{};{};{};{};{};{}\r\n",
        csv_field(l.source),
        csv_number(l.source_score),
        csv_field(l.id),
        csv_field(l.title),
        csv_number(score.score),
        csv_number(score.points),
        score.band_label,
        csv_field(l.indicator.indicator().label),
        csv_number(l.gain),
        if l.counted { "oui" } else { "non" },
        csv_field(&l.text)
    );
}

/// The records to fix of `reports` (at most the report's list) as a French Excel CSV:
/// one line per (record, fix); used by `moisson quality --format csv`.
pub fn records_to_fix_csv(reports: &[SourceQualityReport]) -> String {
    write_csv(reports.iter().flat_map(|r| {
        r.records_to_fix.iter().flat_map(move |f| {
            f.details.iter().map(move |m| CsvLine {
                source: &r.source,
                source_score: r.score,
                id: &f.id,
                title: &f.title,
                points: moisson_catalog::quality::Score::from_score(f.score).points,
                indicator: m.indicator,
                gain: if m.counts_in_score() { m.points } else { 0.0 },
                counted: m.counts_in_score(),
                text: moisson_catalog::quality::message_line(m),
            })
        })
    }))
}

/// The CSV lines of record `r` (one per fix; `indicator` keeps that indicator's only),
/// whose source's score is `source_score` and whose records reached us as `origin`.
pub fn record_csv_lines(
    r: &moisson_catalog::quality::RecordQuality,
    indicator: Option<moisson_catalog::quality::IndicatorId>,
    source_score: f64,
    origin: moisson_catalog::quality::RecordOrigin,
) -> String {
    let mut out = String::new();
    for f in r
        .fixes
        .iter()
        .filter(|f| indicator.is_none_or(|i| i == f.indicator))
    {
        push_csv_line(
            &mut out,
            &CsvLine {
                source: &r.source,
                source_score,
                id: &r.id,
                title: r.display_title(),
                points: r.points,
                indicator: f.indicator,
                gain: if f.counted { f.points } else { 0.0 },
                counted: f.counted,
                text: f.text(origin),
            },
        );
    }
    out
}

/// Returns the indicator whose key is `key` (`license`…).
pub fn indicator_by_key(key: &str) -> Option<moisson_catalog::quality::IndicatorId> {
    INDICATORS.iter().find(|r| r.key == key).map(|r| r.id)
}

async fn indicators() -> Json<serde_json::Value> {
    let dimensions: Vec<serde_json::Value> = Dimension::ALL
        .iter()
        .map(|d| {
            serde_json::json!({
                "id": d.id(),
                "label": d.label(),
                "max_points": d.max_points(),
                "mqa": d.is_mqa(),
            })
        })
        .collect();
    Json(serde_json::json!({
        "dimensions": dimensions,
        "indicators": INDICATORS,
        "total_points": moisson_catalog::quality::total_points(),
        "mqa_total_points": moisson_catalog::quality::mqa_total_points(),
    }))
}

/// Returns the validator of the embedded shapes, compiled once; `None` (logged) if the
/// shapes do not compile, in which case DCAT-AP compliance is not evaluated.
pub fn validator() -> Option<&'static moisson_catalog::shacl::Validator> {
    static VALIDATOR: std::sync::OnceLock<Option<moisson_catalog::shacl::Validator>> =
        std::sync::OnceLock::new();
    VALIDATOR
        .get_or_init(|| match moisson_catalog::shacl::Validator::embedded() {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::error!(error = %e, "the embedded SHACL shapes do not compile");
                None
            }
        })
        .as_ref()
}

/// Returns the quality of the dataset `id` as the producer of the copy shown on its page
/// sees it ([`moisson_catalog::order_copies`]) (cached SHACL results, stored link checks, other sources holding it).
pub fn dataset_quality(
    store: &moisson_catalog::CatalogStore,
    sources: &[moisson_harvester::Source],
    id: &str,
    merged: &[String],
) -> Result<Option<moisson_catalog::quality::RecordAssessment>, moisson_catalog::StoreError> {
    use moisson_catalog::quality::{assess_record, AssessContext, Conformance, RecordGraph};
    let mut entries = store.entries_for_dataset(id)?;
    entries.sort_by(moisson_catalog::order_copies);
    let Some(entry) = entries.first() else {
        return Ok(None);
    };
    let graph = RecordGraph::from_quads(&store.graph_quads(&entry.graph)?);
    let conformity = match validator() {
        Some(v) => match store
            .cached_conformity(&[entry.graph.as_str()], v.version())?
            .remove(&entry.graph)
        {
            Some(issues) => Some(issues),
            None => Some(v.check(&graph)),
        },
        None => None,
    };
    let urls: Vec<String> = graph
        .graph()
        .iter()
        .filter(|t| {
            let p = t.predicate.as_str();
            p == moisson_catalog::vocab::dcat::ACCESS_URL
                || p == moisson_catalog::vocab::dcat::DOWNLOAD_URL
        })
        .filter_map(|t| match t.object {
            oxigraph::model::TermRef::NamedNode(n) => Some(n.as_str().to_owned()),
            _ => None,
        })
        .collect();
    let links: std::collections::HashMap<String, moisson_catalog::quality::LinkHealth> = store
        .link_checks(urls.iter().map(String::as_str))?
        .into_iter()
        .map(|(u, c)| (u, c.health))
        .collect();
    // « Pas de doublon » names the sources of every other record of this dataset: copies
    // under the same IRI and the records the search index merged with it (`merged`, the
    // keys the quality run compares too), never none while the page lists copies.
    let mut others: std::collections::BTreeSet<String> =
        entries[1..].iter().map(|e| e.source.clone()).collect();
    for other in merged.iter().take(50) {
        for e in store.entries_for_dataset(other)? {
            others.insert(e.source);
        }
    }
    let others: Vec<String> = others.into_iter().collect();
    let origin = sources
        .iter()
        .find(|s| s.id.as_str() == entry.source)
        .map(runner::record_origin)
        .unwrap_or_default();
    let context = AssessContext {
        today: chrono::Utc::now().date_naive(),
        origin,
        conformity: conformity.as_deref(),
        links: &links,
        duplicate_sources: &others,
    };
    let mut assessment = assess_record(&entry.record_iri, entry.kind, &graph, &context);
    // One score: the one the last quality run of the source stored, as every other view
    // shows it; the details above are read again for the page.
    if let Some(stored) = store.record_score(&entry.source, &entry.record_iri)? {
        let score = moisson_catalog::quality::Score::from_score(stored);
        assessment.score = score.score;
        assessment.mqa_points = score.points;
    }
    Ok(Some(assessment))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_never_start_a_formula() {
        assert_eq!(csv_field("Zones humides"), "Zones humides");
        assert_eq!(
            csv_field("=HYPERLINK(\"http://x\")"),
            "\"'=HYPERLINK(\"\"http://x\"\")\""
        );
        assert_eq!(csv_field("+33 1 23"), "'+33 1 23");
        assert_eq!(csv_field("-2+3"), "'-2+3");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("\tx"), "'\tx");
        assert_eq!(csv_field("\r=1"), "\"'\r=1\"");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("a;b"), "\"a;b\"");
        assert_eq!(csv_number(12.34), "12,3");
    }
}
