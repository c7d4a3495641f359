//! The axum application: state, routes of every area, layers added once.

use axum::Router;
use moisson_catalog::CatalogStore;
use moisson_harvester::{Fetcher, HarvestOptions, Source};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::api;

/// Shared handles of the server.
#[derive(Clone)]
pub struct AppState {
    /// The catalogue store.
    pub store: CatalogStore,
    /// Configured sources.
    pub sources: Arc<Vec<Source>>,
    /// Harvest machinery.
    pub harvests: Arc<Harvests>,
    /// Admin token; admin endpoints are closed when `None`.
    pub admin_token: Option<String>,
    /// The search index.
    pub index: Arc<moisson_search::SearchIndex>,
}

/// What starting a harvest needs, and which sources are running.
pub struct Harvests {
    /// HTTP client.
    pub fetcher: Fetcher,
    /// Job settings.
    pub options: HarvestOptions,
    /// Sources with a job running now.
    pub running: Mutex<HashSet<String>>,
    /// The search index to update after each harvest (`None`: no index, e.g. benchmarks).
    pub indexing: Option<Arc<crate::runner::Indexing>>,
    /// Checks distribution links after each harvest.
    pub check_links: bool,
}

impl Harvests {
    /// Marks `source` running; false when it already was.
    pub fn try_start(&self, source: &str) -> bool {
        self.running
            .lock()
            .map(|mut r| r.insert(source.to_owned()))
            .unwrap_or(false)
    }

    /// Marks `source` no longer running.
    pub fn done(&self, source: &str) {
        if let Ok(mut r) = self.running.lock() {
            r.remove(source);
        }
    }

    /// Returns true while `source` runs.
    pub fn is_running(&self, source: &str) -> bool {
        self.running
            .lock()
            .map(|r| r.contains(source))
            .unwrap_or(false)
    }
}

/// Builds the router with every area and the shared layers.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(api::health::routes())
        .merge(api::sources::routes())
        .merge(api::quality::routes())
        .merge(api::datasets::routes())
        .merge(api::vocab::routes())
        .merge(crate::ui::routes())
        .fallback(crate::ui::not_found)
        .layer(TraceLayer::new_for_http())
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            axum::http::header::X_CONTENT_TYPE_OPTIONS,
            axum::http::HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            axum::http::header::REFERRER_POLICY,
            axum::http::HeaderValue::from_static("same-origin"),
        ))
        .with_state(state)
}
