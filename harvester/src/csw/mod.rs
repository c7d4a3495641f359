//! The `csw` protocol: OGC CSW 2.0.2 `GetRecords`, paged with `startPosition` /
//! `nextRecord`, ISO 19139 records mapped to DCAT-AP (GeoDCAT-AP rules), or DCAT records
//! (`rdf:RDF` per record) taken as they are.
//!
//! The job ([`crate::job`]) drives the pages; this module builds the requests
//! ([`request`]), reads a spooled response as a stream ([`response`]), maps each record
//! ([`iso19139`]) into the page's triple table, and hands that table to the record
//! pipeline every protocol shares ([`crate::pipeline`]): content hashing, skolemization
//! and unchanged-record detection come from there. The job ([`crate::job`]) writes.
//!
//! Every response goes through [`crate::xml_guard`] before it is read (element depth,
//! entity expansion), and every `rdf:RDF` record again before oxigraph parses it.

pub mod iso19139;
pub mod request;
pub mod response;
mod vocab;

use moisson_catalog::Registry;
use oxigraph::io::{RdfFormat, RdfParser};
use std::collections::HashMap;

use crate::fetch::{FetchError, FetchedPage, Fetcher};
use crate::limits::ParseLimits;
use crate::parse::ParseIssue;
use crate::pipeline::{take_records, ReadPage};
use crate::records::PageGraph;
use crate::source::Source;
use request::{Method, PageRequest};
use response::{RawRecord, ResponseError, SearchResults};

/// Most RDF/XML errors reported for one record.
const MAX_RDF_ERRORS_PER_RECORD: usize = 20;

/// `Accept` header of CSW requests.
pub const ACCEPT_XML: &str = "application/xml, text/xml;q=0.9, */*;q=0.1";

/// What a CSW page said about paging, besides its records.
#[derive(Debug, Clone, Default)]
pub struct CswPageInfo {
    /// The `SearchResults` counters.
    pub results: SearchResults,
    /// Records actually present in the page (whatever `numberOfRecordsReturned` says).
    pub present: u64,
}

/// Why a CSW page could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CswPageError {
    /// The response could not be read (exception report, malformed XML, not CSW).
    #[error(transparent)]
    Response(#[from] ResponseError),
    /// Reading the spooled body failed.
    #[error("reading spooled page: {0}")]
    Io(#[from] std::io::Error),
}

/// Fetches one page. When `sort` is on and the server answers an exception report, the
/// request is sent again without sorting and `sort` is turned off for the next pages.
pub async fn fetch_page(
    fetcher: &Fetcher,
    source: &Source,
    start: u64,
    sort: &mut bool,
) -> Result<(PageRequest, FetchedPage), (PageRequest, FetchError)> {
    let request = request::page_request(source, start, *sort);
    let page = send(fetcher, &request)
        .await
        .map_err(|e| (request.clone(), e))?;
    if *sort && is_exception_report(&page) {
        tracing::debug!(source = %source.id, "csw server refused sorting, paging unsorted");
        *sort = false;
        let unsorted = request::page_request(source, start, false);
        let page = send(fetcher, &unsorted)
            .await
            .map_err(|e| (unsorted.clone(), e))?;
        return Ok((unsorted, page));
    }
    Ok((request, page))
}

async fn send(fetcher: &Fetcher, request: &PageRequest) -> Result<FetchedPage, FetchError> {
    match &request.method {
        Method::Get(url) => fetcher.get(url, ACCEPT_XML).await,
        Method::Post(url, body) => {
            fetcher
                .post(
                    url,
                    "application/xml; charset=UTF-8",
                    body.clone(),
                    ACCEPT_XML,
                )
                .await
        }
    }
}

fn is_exception_report(page: &FetchedPage) -> bool {
    use std::io::Read;
    let Ok(file) = page.body.reopen() else {
        return false;
    };
    let mut head = Vec::with_capacity(2048);
    if file.take(2048).read_to_end(&mut head).is_err() {
        return false;
    }
    String::from_utf8_lossy(&head).contains("ExceptionReport")
}

/// A CSW response read into a page graph: every record mapped to triples, before the
/// record pipeline groups them.
pub struct MappedResponse {
    /// The triples of every record of the response.
    pub graph: PageGraph,
    /// Records that could not be taken, with why (record IRI or position, message).
    pub rejected: Vec<(String, String)>,
    /// Record warnings of the mapping (record IRI, message), e.g. an invalid IRI dropped.
    pub warnings: Vec<(String, String)>,
    /// RDF/XML errors met inside `rdf:RDF` records.
    pub issues: Vec<ParseIssue>,
    /// The `SearchResults` counters and the records actually present.
    pub info: CswPageInfo,
}

/// Reads a CSW response (`GetRecords`, `GetRecordById`, or a bare `gmd:MD_Metadata`)
/// within `limits`: ISO 19139 records are mapped to DCAT-AP with IRIs built on
/// `endpoint`, `rdf:RDF` records are guarded then parsed against `base`. The harvest and
/// `moisson classify` both read CSW documents through it. The caller guards the whole
/// response with [`crate::xml_guard::check_xml`] first.
pub fn map_response(
    reader: impl std::io::Read + 'static,
    endpoint: &str,
    base: &str,
    limits: &ParseLimits,
) -> Result<MappedResponse, ResponseError> {
    let mut graph = PageGraph::new();
    let mut rejected: Vec<(String, String)> = Vec::new();
    let mut warnings: Vec<(String, String)> = Vec::new();
    let mut issues: Vec<ParseIssue> = Vec::new();
    let mut present = 0u64;
    let results = response::read_response(reader, limits, |record| {
        present += 1;
        match record {
            RawRecord::Iso(md) => match iso19139::map_record(&md, endpoint) {
                Ok(mapped) => {
                    for t in mapped.triples {
                        graph.push_within(t, limits.max_literal_bytes);
                    }
                    for message in mapped.warnings {
                        warnings.push((mapped.iri.clone(), message));
                    }
                }
                Err(e) => {
                    let iri = e
                        .iri
                        .unwrap_or_else(|| format!("record {present} of the page"));
                    let message = match e.file_identifier {
                        Some(id) => format!("fileIdentifier {id}: {}", e.message),
                        None => e.message,
                    };
                    rejected.push((iri, message));
                }
            },
            RawRecord::Rdf(bytes) => {
                if let Err(refusal) = crate::xml_guard::check_xml_slice(&bytes, limits) {
                    rejected.push((
                        format!("rdf record {present} of the page"),
                        format!(
                            "{} (byte {} of the record)",
                            refusal.message, refusal.offset
                        ),
                    ));
                    return;
                }
                read_rdf_record(
                    &bytes,
                    base,
                    present,
                    limits,
                    &mut graph,
                    &mut issues,
                    &mut rejected,
                );
            }
            RawRecord::Other { name, identifier } => rejected.push((
                identifier
                    .map(|id| request::record_by_id_url(endpoint, &id))
                    .unwrap_or_else(|| format!("record {present} of the page")),
                format!("record in an unsupported schema ({name}): ask outputSchema gmd or dcat"),
            )),
            RawRecord::Oversized(message) => {
                rejected.push((format!("record {present} of the page"), message));
            }
        }
    })?;
    Ok(MappedResponse {
        graph,
        rejected,
        warnings,
        issues,
        info: CswPageInfo { results, present },
    })
}

/// Parses one `rdf:RDF` record (the `present`-th of its page) into `graph`.
fn read_rdf_record(
    bytes: &[u8],
    base: &str,
    present: u64,
    limits: &ParseLimits,
    graph: &mut PageGraph,
    issues: &mut Vec<ParseIssue>,
    rejected: &mut Vec<(String, String)>,
) {
    let parser = RdfParser::from_format(RdfFormat::RdfXml);
    let parser = match parser.clone().with_base_iri(base) {
        Ok(p) => p,
        Err(_) => parser,
    };
    // GeoNetwork's DCAT output is not always valid RDF/XML (e.g. a property with both
    // rdf:resource and text): the parser reports the bad triple and goes on, so the
    // record keeps its other triples and the job the error.
    let mut triples = 0usize;
    let mut errors = 0usize;
    for quad in parser.for_slice(bytes) {
        match quad {
            Ok(q) => {
                triples += 1;
                graph.push_within(
                    oxigraph::model::Triple::new(q.subject, q.predicate, q.object),
                    limits.max_literal_bytes,
                );
            }
            Err(e) => {
                errors += 1;
                if errors <= MAX_RDF_ERRORS_PER_RECORD {
                    issues.push(ParseIssue {
                        position: None,
                        message: format!("rdf record {present} of the page: {e}"),
                        subject: None,
                    });
                }
            }
        }
    }
    if triples == 0 && errors > 0 {
        rejected.push((
            format!("rdf record {present} of the page"),
            "rdf/xml record without any readable triple".into(),
        ));
    }
}

/// Reads a fetched CSW page: maps its records to triples, groups them with the record
/// pipeline and compares them with `registry`, all within `limits`. `endpoint` is the
/// source's URL (record IRIs are built on it). Nothing is written: the job writes.
pub fn read_page(
    source: &str,
    endpoint: &str,
    page: &FetchedPage,
    registry: &Registry,
    limits: &ParseLimits,
) -> Result<(ReadPage, CswPageInfo), CswPageError> {
    let started = std::time::Instant::now();
    if let Err(refusal) = crate::xml_guard::check_xml(page.body.reopen()?, limits) {
        return Err(ResponseError::Refused {
            position: refusal.offset,
            message: refusal.message,
        }
        .into());
    }
    let file = page.body.reopen()?;
    let base = page.url.clone();
    let MappedResponse {
        graph,
        mut rejected,
        mut warnings,
        issues,
        info,
    } = map_response(file, endpoint, &base, limits)?;
    let parse = started.elapsed();
    let mut read = take_records(source, graph, &HashMap::new(), registry, limits);
    read.times.parse = parse;
    let outcome = &mut read.outcome;
    rejected.append(&mut outcome.rejected);
    outcome.rejected = rejected;
    warnings.append(&mut outcome.warnings);
    outcome.warnings = warnings;
    outcome.issues = issues;
    Ok((read, info))
}

/// What to do after a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Ask for the page starting at this position.
    Next(u64),
    /// The walk is complete.
    Done,
    /// Stop here; the walk is not known to be complete (why).
    Stop(String),
}

/// Decides the next page from what the page at `start` said, `new_records` being the
/// records of this page not seen on an earlier page, and `taken` the records seen so far
/// (taken and rejected).
///
/// Robust to servers that ignore `maxRecords`, answer `nextRecord="0"` at the end or never
/// give it, point `nextRecord` back or beyond the matched count, repeat records across
/// pages, or misstate `numberOfRecordsReturned`.
pub fn next_step(start: u64, info: &CswPageInfo, new_records: u64, taken: u64) -> Step {
    let matched = info.results.matched;
    let short = |reason: &str| match matched {
        Some(m) if taken < m => Step::Stop(format!(
            "{reason}: {taken} of {m} matched records read, paging stopped"
        )),
        _ => Step::Done,
    };
    if info.present == 0 {
        return short("a page brought no record");
    }
    if new_records == 0 {
        return short("a page brought only records already read");
    }
    let computed = start.saturating_add(info.present);
    match info.results.next_record {
        // nextRecord = 0 is the CSW way of saying "no more records".
        Some(0) => Step::Done,
        Some(next) if matched.is_some_and(|m| next > m) => Step::Done,
        Some(next) if next > start => Step::Next(next),
        // Missing or backwards nextRecord: continue after the records present.
        _ => match matched {
            Some(m) if computed > m => Step::Done,
            _ => Step::Next(computed),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(matched: Option<u64>, next: Option<u64>, present: u64) -> CswPageInfo {
        CswPageInfo {
            results: SearchResults {
                matched,
                returned: Some(present),
                next_record: next,
                found: true,
            },
            present,
        }
    }

    #[test]
    fn paging_follows_next_record_and_survives_quirks() {
        assert_eq!(
            next_step(1, &info(Some(6), Some(3), 2), 2, 2),
            Step::Next(3)
        );
        assert_eq!(next_step(5, &info(Some(6), Some(0), 2), 2, 6), Step::Done);
        // nextRecord beyond matched: the end.
        assert_eq!(next_step(5, &info(Some(6), Some(7), 2), 2, 6), Step::Done);
        // No nextRecord: computed from the records present.
        assert_eq!(next_step(1, &info(Some(6), None, 2), 2, 2), Step::Next(3));
        assert_eq!(next_step(5, &info(Some(6), None, 2), 2, 6), Step::Done);
        // nextRecord pointing back.
        assert_eq!(
            next_step(3, &info(Some(6), Some(1), 2), 2, 4),
            Step::Next(5)
        );
        // Server ignoring maxRecords and returning everything at once.
        assert_eq!(next_step(1, &info(Some(6), Some(0), 6), 6, 6), Step::Done);
        // Repeated page: stop, incomplete when fewer than matched.
        assert!(matches!(
            next_step(3, &info(Some(6), Some(5), 2), 0, 2),
            Step::Stop(_)
        ));
        assert_eq!(next_step(3, &info(None, Some(5), 2), 0, 2), Step::Done);
        // An empty page.
        assert!(matches!(
            next_step(7, &info(Some(965), Some(17), 0), 0, 3),
            Step::Stop(_)
        ));
    }
}
