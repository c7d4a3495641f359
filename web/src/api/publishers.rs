//! `GET /api/publishers` (every producer across sources: score, records, sources) and
//! `GET /api/publishers/{slug}/quality` (one producer: score, dimensions, fixes grouped
//! by problem, records to fix, the merge rule). Producer identity is
//! `moisson_catalog::publishers`; this file only reads and answers.

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use moisson_catalog::publishers::{Producer, ProducerQuality, Producers};
use moisson_catalog::quality::{FixList, Lowest, RecordOrigin, RecordQuality};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use crate::app::AppState;
use crate::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/publishers", get(list))
        .route("/api/publishers/{slug}/quality", get(quality))
}

/// The producers of every configured source, grouped once per quality run (blocking:
/// the first call after a run reads every record summary).
pub fn producers(state: &AppState) -> Result<Arc<Producers>, moisson_catalog::StoreError> {
    let configured = state.sources.current();
    let sources: Vec<(&str, RecordOrigin)> = configured
        .iter()
        .map(|s| (s.id.as_str(), crate::runner::record_origin(s)))
        .collect();
    state.store.producers(&sources)
}

/// How the records of source `id` reached us.
pub fn origin_of(state: &AppState) -> impl Fn(&str) -> RecordOrigin + '_ {
    move |id: &str| {
        state
            .sources
            .current()
            .iter()
            .find(|s| s.id.as_str() == id)
            .map(crate::runner::record_origin)
            .unwrap_or_default()
    }
}

async fn list(State(state): State<AppState>) -> Result<Json<Vec<Producer>>, ApiError> {
    let producers = tokio::task::spawn_blocking(move || producers(&state)).await??;
    Ok(Json(
        producers
            .groups
            .iter()
            .map(|q| q.producer.clone())
            .collect(),
    ))
}

#[derive(Deserialize)]
struct QualityQuery {
    /// Records to fix to list (default 100, at most 1,000).
    limit: Option<usize>,
    /// Records to list, by dataset id (default and at most 1,000).
    records_limit: Option<usize>,
    /// List the records after this one (the previous answer's `records_next`: a
    /// dataset id and a source id, `{id}:{source}`).
    records_after: Option<String>,
}

/// Records listed per answer, at most.
const RECORDS_PAGE: usize = 1_000;

/// A record of a producer, with the one score every view shows.
#[derive(Serialize)]
pub struct ProducerRecord {
    /// Dataset id.
    pub id: String,
    /// Source id.
    pub source: String,
    /// Title.
    pub title: String,
    /// MQA points, score out of 100 and band.
    pub score: moisson_catalog::quality::Score,
    /// Fixes that raise the score, most points first (indicator keys).
    pub fixes: Vec<&'static str>,
}

impl ProducerRecord {
    fn from_summary(r: &RecordQuality) -> Self {
        Self {
            id: r.id.clone(),
            source: r.source.clone(),
            title: r.title.clone(),
            score: r.score(),
            fixes: r
                .fixes
                .iter()
                .filter(|f| f.counted)
                .map(|f| f.indicator.as_str())
                .collect(),
        }
    }
}

#[derive(Serialize)]
struct QualityAnswer {
    #[serde(flatten)]
    quality: ProducerQuality,
    /// Records with at least one fix that counts (the real total).
    records_to_fix_total: usize,
    /// The worst of them first (at most `limit`).
    records_to_fix: Vec<ProducerRecord>,
    /// The producer's records by dataset id then source (a record two sources publish is
    /// listed once for each), a page of them (`records_limit`, after `records_after`).
    records: Vec<ProducerRecord>,
    /// Every record of the producer (`record_count`).
    records_total: usize,
    /// The `records_after` of the next page, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    records_next: Option<String>,
}

async fn quality(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<QualityQuery>,
) -> Result<Json<QualityAnswer>, ApiError> {
    if slug.len() > 200 || q.records_after.as_ref().is_some_and(|a| a.len() > 1_000) {
        return Err(ApiError::invalid_input(
            "producer slug or records_after too long",
        ));
    }
    let limit = q.limit.unwrap_or(100).min(1000);
    let page = q
        .records_limit
        .unwrap_or(RECORDS_PAGE)
        .clamp(1, RECORDS_PAGE);
    let answer = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        let producers = producers(&state)?;
        let Some(quality) = producers.find(&slug).cloned() else {
            return Err(ApiError::not_found(format!("no producer {slug:?}")));
        };
        // One read of the producer's records, holding only what the answer lists.
        let mut to_fix = FixList::new(None, limit);
        // By dataset id then source: a record published by two sources is there twice.
        let mut by_id: Lowest<(String, String), ProducerRecord> =
            Lowest::new(page.saturating_add(1));
        let after = q
            .records_after
            .as_deref()
            .map(|a| match a.rsplit_once(':') {
                Some((id, source)) => (id, source),
                None => (a, ""),
            });
        producers.for_each_record(&state.store, &slug, |r| {
            if after.is_none_or(|a| (r.id.as_str(), r.source.as_str()) > a) {
                by_id.offer((r.id.clone(), r.source.clone()), || {
                    ProducerRecord::from_summary(&r)
                });
            }
            to_fix.add(r);
            Ok::<_, ApiError>(())
        })?;
        let mut records: Vec<ProducerRecord> =
            by_id.into_sorted().into_iter().map(|(_, r)| r).collect();
        let records_next = (records.len() > page).then(|| {
            records.truncate(page);
            records
                .last()
                .map(|r| format!("{}:{}", r.id, r.source))
                .unwrap_or_default()
        });
        Ok(QualityAnswer {
            records_to_fix_total: to_fix.total(),
            records_to_fix: to_fix
                .into_records()
                .iter()
                .map(ProducerRecord::from_summary)
                .collect(),
            records,
            records_total: quality.producer.record_count,
            records_next,
            quality,
        })
    })
    .await??;
    Ok(Json(answer))
}
