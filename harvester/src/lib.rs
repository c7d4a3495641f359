//! Moisson's harvester: fetches catalogues, recognizes their format, parses them page by
//! page, groups triples into records and hands them to `catalog`'s store.
//!
//! It owns the HTTP loop (`fetch`), format detection, parsing and record extraction, the
//! `dcat` protocol with Hydra paging, and the harvest job that decides what is added,
//! updated, withdrawn or purged. It knows nothing of search or the web server.
//! Key design choice: a page is spooled to disk and parsed once into an interned triple
//! table; records are content-hashed so an unchanged record costs no write.

pub mod csw;
pub mod dcat;
pub mod demo;
pub mod events;
pub mod fetch;
pub mod format;
pub mod job;
pub mod limits;
pub mod links;
pub mod nesting;
pub mod netguard;
pub mod parse;
pub mod pipeline;
pub mod preview;
pub mod records;
pub mod source;
pub mod validation;
pub mod xml_guard;

pub use events::{LogProgress, Progress};
pub use fetch::{FetchError, FetchOptions, Fetcher};
pub use job::{harvest_source, HarvestOptions};
pub use limits::ParseLimits;
pub use source::{CswOutputSchema, Protocol, Source};
