//! `GET /api/publishers` (every producer across sources: score, records, sources) and
//! `GET /api/publishers/{slug}/quality` (one producer: score, dimensions, fixes grouped
//! by problem, records to fix, the merge rule). Producer identity is
//! `moisson_catalog::publishers`; this file only reads and answers.

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use moisson_catalog::publishers::{Producer, ProducerQuality, Producers};
use moisson_catalog::quality::{RecordOrigin, RecordQuality};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/publishers", get(list))
        .route("/api/publishers/{slug}/quality", get(quality))
}

/// Reads the producers of every configured source (blocking).
pub fn producers(state: &AppState) -> Result<Producers, moisson_catalog::StoreError> {
    let configured = state.sources.current();
    let ids: Vec<&str> = configured.iter().map(|s| s.id.as_str()).collect();
    Producers::read(&state.store, &ids)
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
    Ok(Json(producers.groups.into_iter().map(|(p, _)| p).collect()))
}

#[derive(Deserialize)]
struct QualityQuery {
    /// Records to fix to list (default 100, at most 1,000).
    limit: Option<usize>,
}

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
    /// Every record of the producer, by dataset id.
    records: Vec<ProducerRecord>,
}

async fn quality(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<QualityQuery>,
) -> Result<Json<QualityAnswer>, ApiError> {
    if slug.len() > 200 {
        return Err(ApiError::invalid_input("producer slug too long"));
    }
    let limit = q.limit.unwrap_or(100).min(1000);
    let answer = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        let producers = producers(&state)?;
        let origin = origin_of(&state);
        let Some(quality) = producers.quality(&slug, &origin) else {
            return Err(ApiError::not_found(format!("no producer {slug:?}")));
        };
        let (_, records) = producers.find(&slug).expect("found just above");
        let to_fix = moisson_catalog::quality::records_to_fix(records.iter().copied(), None);
        Ok(QualityAnswer {
            records_to_fix_total: to_fix.len(),
            records_to_fix: to_fix
                .iter()
                .take(limit)
                .map(|r| ProducerRecord::from_summary(r))
                .collect(),
            records: records
                .iter()
                .map(|r| ProducerRecord::from_summary(r))
                .collect(),
            quality,
        })
    })
    .await??;
    Ok(Json(answer))
}
