//! `GET /healthz`: 200 when the store answers.

use axum::extract::State;
use axum::routing::get;
use axum::Router;

use crate::app::AppState;
use crate::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz))
}

async fn healthz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || store.last_job("healthz")).await??;
    Ok("ok\n")
}
