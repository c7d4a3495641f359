//! `GET /api/datasets/{id}`: one dataset with every DCAT-AP field and its sources.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use moisson_catalog::DatasetView;

use crate::app::AppState;
use crate::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/datasets/{id}", get(one))
}

async fn one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<DatasetView>, ApiError> {
    if id.len() > 200 {
        return Err(ApiError::invalid_input("dataset id too long"));
    }
    let store = state.store.clone();
    let lookup = id.clone();
    tokio::task::spawn_blocking(move || store.dataset(&lookup))
        .await??
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no dataset {id:?}")))
}
