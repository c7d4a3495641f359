//! Moisson's web server, JSON API and command line.
//!
//! `web` wires the crates: it reads the configuration, opens the store, runs harvests
//! (then reindexes, once search exists) and serves the API. It holds no domain logic: that
//! lives in `catalog`, `harvester` and `search`.

pub mod api;
pub mod app;
pub mod cli;
pub mod config;
pub mod demo_csw;
pub mod demo_server;
pub mod error;
pub mod http_server;
pub mod metrics;
pub mod public_url;
pub mod runner;
pub mod scheduler;
pub mod ui;

pub use app::{app, AppState, Harvests};
pub use config::Config;
pub use public_url::PublicUrl;
