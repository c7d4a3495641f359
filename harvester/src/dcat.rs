//! The `dcat` protocol: one page of any RDF serialization, its records and its Hydra
//! link to the next page.

use std::io::{Read, Seek};

use moisson_catalog::Registry;

use crate::fetch::FetchedPage;
use crate::format;
use crate::limits::ParseLimits;
use crate::parse::{parse_page_rereadable, ParseIssue};
use crate::pipeline::{take_records, ReadPage};

/// Why a page could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// The format is unknown or the body is HTML.
    #[error(transparent)]
    Format(#[from] format::FormatError),
    /// The parser stopped.
    #[error("{}{}", .0.message, .0.position.as_ref().map(|p| format!(" at {p}")).unwrap_or_default())]
    Syntax(ParseIssue),
    /// Reading the spooled body failed.
    #[error("reading spooled page: {0}")]
    Io(#[from] std::io::Error),
}

/// Reads a fetched page: recognizes its format, parses it within `limits`, groups its
/// records and compares them with `registry` (the source's registry keyed by record IRI).
/// Nothing is written: the job writes the new versions.
pub fn read_page(
    source: &str,
    page: &FetchedPage,
    registry: &Registry,
    limits: &ParseLimits,
) -> Result<ReadPage, PageError> {
    let mut file = page.body.reopen()?;
    let mut head = Vec::with_capacity(4096);
    file.by_ref().take(4096).read_to_end(&mut head)?;
    let rdf_format = format::detect(page.content_type.as_deref(), &head, &page.url)?;
    file.rewind()?;
    let started = std::time::Instant::now();
    let reopen = || page.body.reopen().ok();
    let mut parsed = parse_page_rereadable(file, reopen, page.bytes, rdf_format, &page.url, limits);
    if let Some(fatal) = parsed.fatal.take() {
        return Err(PageError::Syntax(fatal));
    }
    let parse = started.elapsed();
    let mut read = take_records(source, parsed.graph, &parsed.poisoned, registry, limits);
    read.outcome.issues = parsed.issues;
    read.times.parse = parse;
    Ok(read)
}
