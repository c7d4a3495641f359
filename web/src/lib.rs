//! Moisson's web server, JSON API and command line.
//!
//! `web` wires the crates: it reads the configuration, opens the store, runs harvests
//! (then reindexes, once search exists) and serves the API. It holds no domain logic: that
//! lives in `catalog`, `harvester` and `search`.
//!
//! Modules:
//! - [`api`] — JSON API areas; each exposes `routes()`.
//! - [`app`] — The axum application.
//! - [`cli`] — The command line.
//! - [`config`] — `moisson.toml`.
//! - [`data_dir`] — The data directory's layout (`[storage] data_dir`, `MOISSON_DATA_DIR`).
//! - [`error`] — `ApiError`.
//! - [`http_server`] — The HTTP/1.1 server loop of `moisson serve` and `moisson demo`.
//! - [`memory`] — The allocator (jemalloc) and its figures.
//! - [`metrics`] — `GET /metrics`.
//! - [`public_url`] — The server's public address (`[server] public_url`).
//! - [`runner`] — Runs harvests.
//! - [`scheduler`] — Scheduled harvesting for `moisson serve`.
//! - [`ui`] — The French portal.

pub mod api;
/// The example queries of the `/sparql` page: (title, query).
pub use ui::sparql::EXAMPLES as SPARQL_EXAMPLES;
pub mod app;
pub mod cli;
pub mod config;
pub mod data_dir;
pub mod error;
pub mod http_server;
pub mod live_sources;
pub mod memory;
pub mod metrics;
pub mod public_url;
pub mod runner;
pub mod scheduler;
pub mod ui;

/// jemalloc is the allocator of every program built on this crate (`moisson`, its tests),
/// for Rust's allocations and, as the process's `malloc`, RocksDB's: see [`memory`].
#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

pub use app::{app, AppState, Harvests};
pub use config::Config;
pub use data_dir::DataDir;
pub use public_url::PublicUrl;
