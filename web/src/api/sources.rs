//! `GET /api/sources`, `GET /api/sources/{id}/jobs`, `POST /api/sources/{id}/harvest`, and
//! sources at run time: `PUT /api/sources/{id}` (add or replace) and
//! `DELETE /api/sources/{id}` (disable), behind the admin token
//! ([`crate::live_sources`] keeps and persists them).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use moisson_catalog::JobReport;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::config::{source_from_section, SourceSection};
use crate::error::{ApiError, ApiPath, ApiQuery};
use crate::live_sources::PutOutcome;
use crate::runner;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/sources", get(list))
        .route("/api/sources/{id}", get(one).put(put).delete(delete))
        .route("/api/sources/{id}/jobs", get(jobs))
        .route("/api/sources/{id}/harvest", post(harvest))
}

/// A source as `GET /api/sources` shows it.
#[derive(Serialize)]
pub struct SourceSummary {
    pub id: String,
    pub name: String,
    pub protocol: &'static str,
    pub url: String,
    pub schedule: Option<String>,
    pub publisher_kind: Option<String>,
    pub territory: Option<String>,
    pub dataset_count: u64,
    pub service_count: u64,
    pub series_count: u64,
    pub withdrawn_count: u64,
    /// Catalogue quality score (0–100) after the last harvest, `None` before any.
    pub quality_score: Option<f64>,
    pub running: bool,
    /// Progress of the running job (absent when none runs): `started` is false while it
    /// waits for a free slot, then pages and records read so far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<crate::app::LiveJob>,
    pub last_job: Option<JobReport>,
}

/// Summarizes every configured source (blocking); shared by the API and the catalogues page.
pub fn summarize(state: &AppState) -> Result<Vec<SourceSummary>, ApiError> {
    let mut out = Vec::with_capacity(state.sources.current().len());
    for s in state.sources.current().iter() {
        let counts = state.store.source_counts(s.id.as_str())?;
        out.push(SourceSummary {
            id: s.id.to_string(),
            name: s.name.clone(),
            protocol: s.protocol.as_str(),
            url: s.url.clone(),
            schedule: s.schedule.clone(),
            publisher_kind: s.publisher_kind.clone(),
            territory: s.territory.clone(),
            dataset_count: counts.datasets,
            service_count: counts.services,
            series_count: counts.series,
            withdrawn_count: counts.withdrawn,
            quality_score: state
                .store
                .quality_trend(s.id.as_str())?
                .last()
                .map(|p| p.score),
            running: state.harvests.is_running(s.id.as_str()),
            progress: state.harvests.live.get(s.id.as_str()),
            last_job: state.store.last_job(s.id.as_str())?,
        });
    }
    Ok(out)
}

async fn list(State(state): State<AppState>) -> Result<Json<Vec<SourceSummary>>, ApiError> {
    Ok(Json(
        tokio::task::spawn_blocking(move || summarize(&state)).await??,
    ))
}

async fn one(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<SourceSummary>, ApiError> {
    let all = tokio::task::spawn_blocking(move || summarize(&state)).await??;
    all.into_iter()
        .find(|s| s.id == id)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no source {id:?}")))
}

#[derive(Deserialize)]
struct JobsQuery {
    limit: Option<usize>,
}

async fn jobs(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<JobsQuery>,
) -> Result<Json<Vec<JobReport>>, ApiError> {
    if !state.sources.current().iter().any(|s| s.id.as_str() == id) {
        return Err(ApiError::not_found(format!("no source {id:?}")));
    }
    let limit = q.limit.unwrap_or(50).min(1000);
    let store = state.store.clone();
    Ok(Json(
        tokio::task::spawn_blocking(move || store.jobs(&id, limit)).await??,
    ))
}

async fn harvest(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    require_admin(&state, &headers)?;
    let Some(source) = state
        .sources
        .current()
        .iter()
        .find(|s| s.id.as_str() == id)
        .cloned()
    else {
        return Err(ApiError::not_found(format!("no source {id:?}")));
    };
    if !state.harvests.try_start(source.id.as_str()) {
        return Err(ApiError::conflict(format!(
            "a harvest of {id} is already running"
        )));
    }
    let (store, harvests) = (state.store.clone(), state.harvests.clone());
    let defined_at_run_time = state.sources.defined_at_run_time(source.id.as_str());
    tokio::spawn(async move {
        runner::run_started_reaching(
            &store,
            &harvests,
            &source,
            std::sync::Arc::new(moisson_harvester::LogProgress),
            defined_at_run_time,
        )
        .await;
    });
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "source": id, "status": "running" })),
    ))
}

/// Refuses the request (401) unless it carries the admin token; closed while none is set.
fn require_admin(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(token) = state.admin_token.as_deref() else {
        return Err(ApiError::unauthorized());
    };
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if !given.is_some_and(|g| constant_time_eq(g.as_bytes(), token.as_bytes())) {
        return Err(ApiError::unauthorized());
    }
    Ok(())
}

/// Time a source's host name gets to resolve when it is checked.
const RESOLVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Reads the body of `PUT /api/sources/{id}`: a JSON object with the keys of a
/// `[[source]]`, whose `id` may be left out (it is the path's).
fn source_body(id: &str, body: &[u8]) -> Result<SourceSection, ApiError> {
    let mut value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid_input(format!("source {id}: body is not JSON: {e}")))?;
    let Some(object) = value.as_object_mut() else {
        return Err(ApiError::invalid_input(format!(
            "source {id}: body must be a JSON object with the keys of a [[source]]"
        )));
    };
    match object.get("id") {
        None => {
            object.insert("id".into(), serde_json::Value::String(id.to_owned()));
        }
        Some(given) if given.as_str() == Some(id) => {}
        Some(given) => {
            return Err(ApiError::invalid_input(format!(
                "source {id}: id in the body ({given}) differs from the path"
            )));
        }
    }
    serde_json::from_value(value).map_err(|e| ApiError::invalid_input(format!("source {id}: {e}")))
}

/// `PUT /api/sources/{id}`: adds (201) or replaces (200) a source, validated as the
/// configuration file's are, its URL checked against the private-address rules; kept
/// across restarts and picked up by the scheduler at once.
async fn put(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    require_admin(&state, &headers)?;
    let section = source_body(&id, &body)?;
    let source = source_from_section(section.clone())
        .map_err(|e| ApiError::invalid_input(format!("{e:#}")))?;
    let url = url::Url::parse(&source.url)
        .map_err(|e| ApiError::invalid_input(format!("source {id}: url: {e}")))?;
    let allow_private = state.harvests.fetcher.options().allow_private_addresses;
    moisson_harvester::netguard::check_source_url(&url, allow_private, RESOLVE_TIMEOUT)
        .await
        .map_err(|e| ApiError::invalid_input(format!("source {id}: url: {e}")))?;
    let sources = state.sources.clone();
    let outcome = tokio::task::spawn_blocking(move || sources.put(section))
        .await?
        .map_err(|e| ApiError::conflict(format!("source {id}: not saved: {e:#}")))?;
    let (status, word) = match outcome {
        PutOutcome::Created => (StatusCode::CREATED, "created"),
        PutOutcome::Replaced => (StatusCode::OK, "replaced"),
    };
    tracing::info!(source = %id, outcome = word, "source changed through the admin API");
    Ok((
        status,
        Json(serde_json::json!({ "source": id, "status": word })),
    ))
}

/// `DELETE /api/sources/{id}`: disables a source (no listing, schedule or harvest; its
/// records stay as its last harvest left them); `PUT` enables it again.
async fn delete(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    require_admin(&state, &headers)?;
    let (sources, wanted) = (state.sources.clone(), id.clone());
    let disabled = tokio::task::spawn_blocking(move || sources.disable(&wanted))
        .await?
        .map_err(|e| ApiError::conflict(format!("source {id}: not saved: {e:#}")))?;
    if !disabled {
        return Err(ApiError::not_found(format!("no source {id:?}")));
    }
    tracing::info!(source = %id, "source disabled through the admin API");
    Ok(Json(
        serde_json::json!({ "source": id, "status": "disabled" }),
    ))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
