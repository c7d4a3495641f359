//! `GET /api/sources/{id}/quality` (a catalogue's autodiagnostic) and
//! `GET /api/quality/indicators` (the documented indicator table).

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use moisson_catalog::quality::{Dimension, SourceQualityReport, INDICATORS};
use serde::Deserialize;

use crate::app::AppState;
use crate::error::ApiError;
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
    Path(id): Path<String>,
    Query(q): Query<QualityQuery>,
) -> Result<Json<SourceQualityReport>, ApiError> {
    let Some(source) = state.sources.iter().find(|s| s.id.as_str() == id).cloned() else {
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

/// Quotes a CSV field when it needs it.
/// One CSV cell. Text a spreadsheet would read as a formula (starting with `=`, `+`, `-`,
/// `@`, a tab or a carriage return) gets a leading `'`, which keeps it text.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.into_owned()
    }
}

/// The records to fix of `reports` as CSV: one line per (record to fix, message); used by
/// `moisson quality --format csv` and the dashboard's download.
pub fn records_to_fix_csv(reports: &[SourceQualityReport]) -> String {
    use std::fmt::Write as _;
    let mut out = String::from(
        "source,source_score,dataset_id,title,record_score,indicator,points,blame,message\n",
    );
    for r in reports {
        for f in &r.records_to_fix {
            for m in &f.details {
                let line = moisson_catalog::quality::message_line(m);
                let _ = writeln!(
                    out,
                    "{},{},{},{},{},{},{:.1},{},{}",
                    csv_field(&r.source),
                    r.score,
                    csv_field(&f.id),
                    csv_field(&f.title),
                    f.score,
                    m.indicator.as_str(),
                    m.points,
                    if m.blame == moisson_catalog::quality::Blame::Mapping {
                        "mapping"
                    } else {
                        "source"
                    },
                    csv_field(&line)
                );
            }
        }
    }
    out
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
    let others: Vec<String> = entries[1..].iter().map(|e| e.source.clone()).collect();
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
    }
}
