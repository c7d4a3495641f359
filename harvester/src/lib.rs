//! Moisson's harvester: fetches catalogues, recognizes their format, parses them page by
//! page, groups triples into records and hands them to `catalog`'s store.
//!
//! It owns the HTTP loop (`fetch`), format detection, parsing and record extraction, the
//! `dcat` protocol with Hydra paging, and the harvest job that decides what is added,
//! updated, withdrawn or purged. It knows nothing of search or the web server.
//! Key design choice: a page is spooled to disk and parsed once into an interned triple
//! table; records are content-hashed so an unchanged record costs no write.
//!
//! Modules:
//! - [`csw`] — The `csw` protocol.
//! - [`dcat`] — The `dcat` protocol.
//! - [`events`] — Notable harvest events.
//! - [`fetch`] — The one HTTP loop every protocol goes through.
//! - [`format`] — Which RDF serialization a page is in.
//! - [`job`] — One harvest job of one source, from the first page to the registry commit.
//! - [`limits`] — What one page of a source may make Moisson do or hold, whatever its bytes say.
//! - [`links`] — The link checker.
//! - [`nesting`] — A streaming check of how deeply a JSON(-LD) or Turtle-family document nests, run on the bytes as they …
//! - [`netguard`] — Which network addresses Moisson may reach on a harvested document's say-so.
//! - `parallel` — Work split over the machine's cores.
//! - [`parse`] — Parsing one spooled page into a `PageGraph`, with located errors.
//! - [`pipeline`] — The record pipeline every protocol shares once it has a page's triples.
//! - [`preview`] — Preview of a source before it is added (the validator).
//! - [`records`] — From the triples of one page to records.
//! - [`source`] — A harvested source, as the configuration describes it.
//! - [`split`] — Where a large Turtle or N-Triples page can be cut to be parsed on several threads.
//! - `terms` — The distinct terms of one page, each held once in one text buffer.
//! - [`validation`] — The validator's report.
//! - [`xml_guard`] — One guard for every XML document read from outside (RDF/XML pages, CSW responses and the `rdf:RDF` …

pub mod csw;
pub mod dcat;
pub mod events;
pub mod fetch;
pub mod format;
pub mod iri_spaces;
pub mod job;
pub mod limits;
pub mod links;
pub mod nesting;
pub mod netguard;
mod parallel;
pub mod parse;
pub mod pipeline;
pub mod preview;
pub mod records;
pub mod source;
pub mod split;
mod terms;
pub mod validation;
pub mod xml_guard;

pub use events::{HarvestTimings, LogProgress, Progress};
pub use fetch::{FetchError, FetchOptions, Fetcher};
pub use job::{harvest_source, HarvestOptions};
pub use limits::ParseLimits;
pub use source::{CswOutputSchema, Protocol, Source};
