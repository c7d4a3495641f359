//! The axum application: state, routes of every area, layers added once.

use axum::Router;
use moisson_catalog::CatalogStore;
use moisson_harvester::{Fetcher, HarvestOptions};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::api;

/// Shared handles of the server.
#[derive(Clone)]
pub struct AppState {
    /// The catalogue store.
    pub store: CatalogStore,
    /// The sources: the configuration's, with what the admin API changed
    /// ([`crate::live_sources`]); read them with `sources.current()`.
    pub sources: crate::live_sources::Sources,
    /// Harvest machinery.
    pub harvests: Arc<Harvests>,
    /// Admin token; admin endpoints are closed when `None`.
    pub admin_token: Option<String>,
    /// The search index.
    pub index: Arc<moisson_search::SearchIndex>,
}

impl AppState {
    /// The state over `store` and `sources`: `harvests` update `indexing`'s index, the one
    /// the pages and the API read, so both always share it. `serve`, `demo` and the tests'
    /// sandbox build their state here.
    pub fn new(
        store: CatalogStore,
        sources: crate::live_sources::Sources,
        mut harvests: Harvests,
        indexing: Arc<crate::runner::Indexing>,
        admin_token: Option<String>,
    ) -> Self {
        let index = indexing.index.clone();
        harvests.indexing = Some(indexing);
        Self {
            store,
            sources,
            harvests: Arc::new(harvests),
            admin_token,
            index,
        }
    }
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
    /// How many harvests may run at once, in all and per host.
    pub limits: Limits,
    /// Progress of the running jobs, for `/api/sources`.
    pub live: Arc<LiveJobs>,
}

/// The global and per-host limits on harvests running at the same time.
pub struct Limits {
    global: Arc<tokio::sync::Semaphore>,
    /// The global slots in all.
    global_slots: u32,
    per_host: usize,
    /// Per-host semaphores; `None` once closed.
    hosts: Mutex<Option<HashMap<String, Arc<tokio::sync::Semaphore>>>>,
}

/// The slots a running harvest holds; dropping them frees them.
pub struct Slots {
    host: Option<tokio::sync::OwnedSemaphorePermit>,
    _global: tokio::sync::OwnedSemaphorePermit,
}

impl Slots {
    /// Frees the host slot once the job no longer talks to the source's host (indexing and
    /// quality still hold the global one).
    pub fn release_host(&mut self) {
        self.host = None;
    }
}

impl Limits {
    /// At most `global` harvests at once, and `per_host` on one host.
    pub fn new(global: usize, per_host: usize) -> Self {
        let global_slots = u32::try_from(global.clamp(1, 65_536)).unwrap_or(65_536);
        Self {
            global: Arc::new(tokio::sync::Semaphore::new(global_slots as usize)),
            global_slots,
            per_host: per_host.max(1),
            hosts: Mutex::new(Some(HashMap::new())),
        }
    }

    /// Waits for a slot on the host of `url` (first), then a global one; `None` once the
    /// limits are closed (the server is stopping: no new harvest starts).
    pub async fn acquire(&self, url: &str) -> Option<Slots> {
        let host = url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
            .unwrap_or_default();
        let host = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
            hosts
                .as_mut()?
                .entry(host)
                .or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(self.per_host)))
                .clone()
        };
        let host = host.acquire_owned().await.ok()?;
        let global = self.global.clone().acquire_owned().await.ok()?;
        Some(Slots {
            host: Some(host),
            _global: global,
        })
    }

    /// Takes every global slot once the running jobs have freed theirs: no harvest starts
    /// until the returned permit is dropped (jobs wait for a slot meanwhile); `None` once
    /// the limits are closed.
    pub async fn pause(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.global
            .clone()
            .acquire_many_owned(self.global_slots)
            .await
            .ok()
    }

    /// Refuses every slot from now on, to jobs waiting for one too; running jobs keep theirs.
    pub fn close(&self) {
        self.global.close();
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        for semaphore in hosts.take().into_iter().flat_map(HashMap::into_values) {
            semaphore.close();
        }
    }
}

/// Progress of a running job, as `/api/sources` shows it.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct LiveJob {
    /// False while the job waits for a free slot (global or per-host limit).
    pub started: bool,
    /// Pages read so far.
    pub pages: u32,
    /// Records read so far.
    pub records: u64,
    /// Records the source announced, if it did.
    pub total: Option<u64>,
}

/// Progress of the running jobs, by source, and the sources whose links are being
/// checked in the background.
#[derive(Default)]
pub struct LiveJobs {
    jobs: Mutex<HashMap<String, LiveJob>>,
    link_checks: Mutex<HashSet<String>>,
}

impl LiveJobs {
    /// Returns the progress of the job of `source`, if one runs.
    pub fn get(&self, source: &str) -> Option<LiveJob> {
        self.lock().get(source).copied()
    }

    /// Sets the progress of the job of `source`.
    pub fn set(&self, source: &str, job: LiveJob) {
        self.lock().insert(source.to_owned(), job);
    }

    /// Forgets the job of `source`.
    pub fn remove(&self, source: &str) {
        self.lock().remove(source);
    }

    /// Marks the links of `source` being checked; false when they already were.
    pub fn start_link_check(&self, source: &str) -> bool {
        self.link_checks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(source.to_owned())
    }

    /// Marks the link check of `source` finished.
    pub fn link_check_done(&self, source: &str) {
        self.link_checks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(source);
    }

    /// Returns true while the links of `source` are being checked.
    pub fn link_check_running(&self, source: &str) -> bool {
        self.link_checks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(source)
    }

    /// Returns how many sources have their links being checked.
    pub fn link_check_count(&self) -> usize {
        self.link_checks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, LiveJob>> {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl moisson_harvester::Progress for LiveJobs {
    fn page_done(&self, source: &str, page: u32, records: u64, total: Option<u64>) {
        self.set(
            source,
            LiveJob {
                started: true,
                pages: page,
                records,
                total,
            },
        );
    }

    fn finished(&self, _report: &moisson_catalog::JobReport) {}
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
        self.live.remove(source);
        if let Ok(mut r) = self.running.lock() {
            r.remove(source);
        }
    }

    /// Returns how many jobs run (or wait for a slot) now.
    pub fn running_count(&self) -> usize {
        self.running.lock().map(|r| r.len()).unwrap_or(0)
    }

    /// Waits until no job runs, at most `timeout`; returns true when none runs.
    pub async fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.running_count() == 0 {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
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
    let http_metrics = Arc::new(crate::metrics::HttpMetrics::default());
    Router::new()
        .merge(api::health::routes())
        .merge(api::sources::routes())
        .merge(api::quality::routes())
        .merge(api::publishers::routes())
        .merge(api::validate::routes())
        .merge(api::datasets::routes())
        .merge(api::vocab::routes())
        .merge(crate::ui::routes())
        .merge(api::catalog::routes())
        .merge(api::sparql::routes())
        .merge(api::openapi::routes())
        .merge(crate::metrics::routes())
        .method_not_allowed_fallback(crate::ui::method_not_allowed)
        .fallback(crate::ui::not_found)
        .layer(axum::middleware::from_fn_with_state(
            http_metrics.clone(),
            crate::metrics::track,
        ))
        .layer(axum::Extension(http_metrics))
        // Inside the metrics and trace layers: they see the uncompressed response.
        .layer(CompressionLayer::new().gzip(true).br(true))
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A pause waits for the running jobs' slots, and no job gets one while it holds.
    #[tokio::test]
    async fn a_pause_holds_every_harvest_back() {
        let limits = Arc::new(Limits::new(2, 2));
        let running = limits
            .acquire("https://a.example.org/")
            .await
            .expect("slot");
        let pausing = {
            let limits = limits.clone();
            tokio::spawn(async move { limits.pause().await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!pausing.is_finished(), "a running job holds a slot");
        drop(running);
        let paused = pausing.await.expect("task").expect("paused");
        let waiting = {
            let limits = limits.clone();
            tokio::spawn(async move { limits.acquire("https://b.example.org/").await.is_some() })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "no slot while paused");
        drop(paused);
        assert!(waiting.await.expect("task"), "a slot once the pause ends");
        limits.close();
        assert!(limits.pause().await.is_none(), "closed");
    }
}
