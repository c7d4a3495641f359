//! Preview of a source before it is added (the validator): a DCAT document, a
//! Hydra-paged catalogue or a CSW endpoint read exactly as a harvest reads it (the same
//! [`Fetcher`] and its address policy, the same CSW requests and paging decisions, the
//! same parsers, ISO 19139 mapping and record grouping), or an uploaded file (RDF or
//! ISO 19139 / CSW XML), and its records handed back as quads.
//!
//! Invariants:
//! - A preview never touches the store: records are returned, never written.
//! - It is bounded: at most `max_records` records and `max_pages` pages, within
//!   `timeout`; what was cut is said in `truncated`.
//! - Next pages stay on the first page's host, as in a harvest.
//! - The URL comes from anyone, not from the operator: callers pass a fetcher built with
//!   [`Fetcher::for_untrusted_urls`] (public addresses only), and every page URL is
//!   checked with [`crate::netguard::check_literal`] first.

use oxigraph::model::{GraphName, Quad};
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::time::Duration;

use crate::csw;
use crate::fetch::{Conditional, FetchedPage, Fetcher, Validators};
use crate::format::{self, FormatError};
use crate::job::pager::{self, Pager, WalkSoFar};
use crate::limits::ParseLimits;
use crate::parse;
use crate::pipeline::{take_records, PageOutcome};
use crate::records::{PageGraph, PageLinks};
use crate::source::{Protocol, Source};
use moisson_catalog::{RecordKind, Registry, SourceId};

/// What a preview reads.
#[derive(Debug, Clone)]
pub enum PreviewInput {
    /// A URL read with `protocol`; `constraint` is a CSW OGC filter (CQL text).
    Url {
        /// The document, catalogue or CSW endpoint.
        url: String,
        /// How to read it.
        protocol: Protocol,
        /// CSW constraint (CQL), for CSW endpoints only.
        constraint: Option<String>,
    },
    /// A document given as bytes (an upload, a file).
    Document {
        /// Its content.
        bytes: Vec<u8>,
        /// Its declared media type, if any.
        content_type: Option<String>,
        /// Its name or location (base IRI for relative IRIs).
        name: String,
    },
}

/// How far a preview may go.
#[derive(Debug, Clone, Copy)]
pub struct PreviewLimits {
    /// Records kept at most.
    pub max_records: usize,
    /// Pages read at most.
    pub max_pages: u32,
    /// Time allowed for the whole preview.
    pub timeout: Duration,
    /// What one page may make the parser do.
    pub parse: ParseLimits,
}

/// One record read, with its triples (blank nodes skolemized as a harvest does).
#[derive(Debug, Clone)]
pub struct PreviewRecord {
    /// Record IRI.
    pub iri: String,
    /// What it describes.
    pub kind: RecordKind,
    /// Its triples, in the default graph.
    pub quads: Vec<Quad>,
}

/// What a preview read.
#[derive(Debug, Clone, Default)]
pub struct Preview {
    /// Records, in reading order (at most `max_records`).
    pub records: Vec<PreviewRecord>,
    /// Pages read.
    pub pages: u32,
    /// True when the records are ISO 19139 records mapped by Moisson.
    pub iso19139: bool,
    /// Located errors (page, position): syntax errors, pages that could not be read.
    pub errors: Vec<String>,
    /// Records that could not be taken: (record, why).
    pub rejected: Vec<(String, String)>,
    /// What was left out of records taken: (record, why).
    pub warnings: Vec<(String, String)>,
    /// Why reading stopped before the end, when it did.
    pub truncated: Option<String>,
    /// Records the source says it holds (`hydra:totalItems`, CSW `numberOfRecordsMatched`).
    pub total_hint: Option<u64>,
}

/// Why nothing could be read.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    /// The first page could not be fetched or read.
    #[error("{location}: {message}")]
    Unreadable {
        /// Where.
        location: String,
        /// Why.
        message: String,
    },
    /// The time allowed ran out before the first page was read.
    #[error("no answer within {0} s")]
    Timeout(u64),
}

/// Reads `input` as a harvest would, within `limits`, without writing anything.
pub async fn preview(
    fetcher: &Fetcher,
    input: PreviewInput,
    limits: PreviewLimits,
) -> Result<Preview, PreviewError> {
    let deadline = tokio::time::Instant::now() + limits.timeout;
    match input {
        PreviewInput::Document {
            bytes,
            content_type,
            name,
        } => {
            let mut out = Preview {
                pages: 1,
                ..Preview::default()
            };
            let parse_limits = limits.parse;
            let read = tokio::task::spawn_blocking(move || {
                read_document(&bytes, content_type.as_deref(), &name, &name, &parse_limits)
            })
            .await
            .map_err(|e| PreviewError::Unreadable {
                location: "document".into(),
                message: format!("reader crashed: {e}"),
            })?
            .map_err(|message| PreviewError::Unreadable {
                location: "document".into(),
                message,
            })?;
            take(&mut out, read, "document", &limits);
            Ok(out)
        }
        PreviewInput::Url {
            url,
            protocol,
            constraint,
        } => {
            let walk = walk(fetcher, &url, protocol, constraint, &limits);
            match tokio::time::timeout_at(deadline, walk).await {
                Ok(result) => result,
                Err(_) => Err(PreviewError::Timeout(limits.timeout.as_secs())),
            }
        }
    }
}

/// One page read into records.
struct PageRead {
    records: Vec<PreviewRecord>,
    rejected: Vec<(String, String)>,
    warnings: Vec<(String, String)>,
    errors: Vec<String>,
    next: Vec<(Option<String>, String)>,
    total: Option<u64>,
    csw: Option<csw::CswPageInfo>,
    iso: bool,
}

/// Walks the pages of `url`, shared by the time limit in [`preview`].
async fn walk(
    fetcher: &Fetcher,
    url: &str,
    protocol: Protocol,
    constraint: Option<String>,
    limits: &PreviewLimits,
) -> Result<Preview, PreviewError> {
    let mut source = Source::new(
        SourceId::new("validateur").expect("a valid source id"),
        "Validateur".to_owned(),
        url,
        protocol,
    );
    source.csw_constraint = constraint.filter(|c| !c.trim().is_empty());
    let mut out = Preview::default();
    // The harvest's own pager: the same requests, the same paging decisions.
    let mut pager = Pager::new(&source);
    let mut next_url = pager.first_key(&source);
    let host = host_of(url);
    let mut visited: HashSet<String> = HashSet::new();
    let mut seen: HashSet<String> = HashSet::new();
    loop {
        let page_no = out.pages + 1;
        visited.insert(next_url.clone());
        let location = format!("page {page_no} ({next_url})");
        // IP-literal URLs never reach the public-only resolver: checked here.
        let allow_private = fetcher.options().allow_private_addresses;
        if let Err(refusal) = url::Url::parse(&next_url)
            .map_err(|e| e.to_string())
            .and_then(|u| {
                crate::netguard::check_literal(&u, allow_private).map_err(|r| r.to_string())
            })
        {
            if page_no == 1 {
                return Err(PreviewError::Unreadable {
                    location,
                    message: refusal,
                });
            }
            out.errors.push(format!("{location}: {refusal}"));
            out.truncated = Some(format!("page {page_no} refused"));
            break;
        }
        let fetched = match pager
            .fetch(fetcher, &source, &next_url, &Validators::default())
            .await
        {
            Ok((sent, Conditional::Changed(page))) => {
                next_url = sent;
                Ok(page)
            }
            Ok((_, Conditional::NotModified)) => {
                Err("the server answered 304 Not Modified to an unconditional request".into())
            }
            Err(message) => Err(message),
        };
        let page = match fetched {
            Ok(p) => p,
            Err(message) if page_no == 1 => {
                return Err(PreviewError::Unreadable { location, message })
            }
            Err(message) => {
                out.errors.push(format!("{location}: {message}"));
                out.truncated = Some(format!("page {page_no} could not be read"));
                break;
            }
        };
        out.pages = page_no;
        let page_url = page.url.clone();
        let (parse_limits, endpoint) = (limits.parse, url.to_owned());
        let read = tokio::task::spawn_blocking(move || {
            read_fetched(page, protocol, &endpoint, &parse_limits)
        })
        .await
        .map_err(|e| format!("reader crashed: {e}"))
        .and_then(|r| r);
        let read = match read {
            Ok(r) => r,
            Err(message) if page_no == 1 => {
                return Err(PreviewError::Unreadable { location, message })
            }
            Err(message) => {
                out.errors.push(format!("{location}: {message}"));
                out.truncated = Some(format!("page {page_no} could not be read"));
                break;
            }
        };
        let so_far = WalkSoFar {
            records_before: (seen.len() + out.rejected.len()) as u64,
            new_taken: read
                .records
                .iter()
                .filter(|r| !seen.contains(&r.iri))
                .count() as u64,
            new_rejects: read.rejected.len() as u64,
        };
        seen.extend(read.records.iter().map(|r| r.iri.clone()));
        let said = pager::PageRead {
            outcome: PageOutcome {
                links: PageLinks {
                    next: read.next.clone(),
                    total_items: read.total,
                },
                ..PageOutcome::default()
            },
            csw: read.csw.clone(),
            page_url,
            times: crate::pipeline::ReadTimes::default(),
            materialize: std::time::Duration::ZERO,
        };
        let decision = pager.next(&source, &next_url, &said, so_far);
        if decision.total_hint.is_some() {
            out.total_hint = decision.total_hint;
        }
        if let Some(reason) = decision.stop {
            out.truncated = Some(reason);
        }
        let next = decision.key;
        take(&mut out, read, &location, limits);
        if out.records.len() >= limits.max_records {
            if next.is_some() || out.truncated.is_some() {
                out.truncated = Some(format!(
                    "record cap of {} reached: the rest of the source was not read",
                    limits.max_records
                ));
            }
            break;
        }
        let Some(next) = next else { break };
        if visited.contains(&next) {
            out.truncated = Some(format!("paging loops back to {next}: stopped"));
            break;
        }
        if host_of(&next) != host {
            out.truncated = Some(format!(
                "next page {next} is outside the source's host: not followed"
            ));
            break;
        }
        if page_no >= limits.max_pages {
            out.truncated = Some(format!(
                "page cap of {} reached: the rest of the source was not read",
                limits.max_pages
            ));
            break;
        }
        next_url = next;
    }
    Ok(out)
}

/// Adds a page's records (up to the cap) and messages to `out`.
fn take(out: &mut Preview, read: PageRead, location: &str, limits: &PreviewLimits) {
    out.iso19139 |= read.iso;
    out.errors
        .extend(read.errors.into_iter().map(|e| format!("{location}, {e}")));
    out.rejected.extend(read.rejected);
    out.warnings.extend(read.warnings);
    let room = limits.max_records.saturating_sub(out.records.len());
    let seen: HashSet<String> = out.records.iter().map(|r| r.iri.clone()).collect();
    let fresh: Vec<PreviewRecord> = read
        .records
        .into_iter()
        .filter(|r| !seen.contains(&r.iri))
        .collect();
    if fresh.len() > room && out.truncated.is_none() {
        out.truncated = Some(format!(
            "record cap of {} reached: the rest of the source was not read",
            limits.max_records
        ));
    }
    out.records.extend(fresh.into_iter().take(room));
}

fn host_of(url: &str) -> Option<(String, Option<u16>)> {
    let u = url::Url::parse(url).ok()?;
    Some((
        u.host_str()?.to_ascii_lowercase(),
        u.port_or_known_default(),
    ))
}

/// Reads a fetched page as the harvest's page readers do.
fn read_fetched(
    page: FetchedPage,
    protocol: Protocol,
    endpoint: &str,
    limits: &ParseLimits,
) -> Result<PageRead, String> {
    let mut bytes = Vec::with_capacity(page.bytes as usize);
    page.body
        .reopen()
        .and_then(|f| f.take(page.bytes + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("reading the spooled page: {e}"))?;
    let csw = protocol == Protocol::Csw;
    if csw {
        return read_csw(bytes, endpoint, &page.url, limits);
    }
    read_document(
        &bytes,
        page.content_type.as_deref(),
        &page.url,
        endpoint,
        limits,
    )
}

pub use crate::format::is_csw_document;

/// Reads a document: a CSW response or ISO 19139 record by its root element, else RDF
/// in the format its media type, name or content say.
fn read_document(
    bytes: &[u8],
    content_type: Option<&str>,
    base: &str,
    endpoint: &str,
    limits: &ParseLimits,
) -> Result<PageRead, String> {
    let head = &bytes[..bytes.len().min(4096)];
    if is_csw_document(head) {
        return read_csw(bytes.to_vec(), endpoint, base, limits);
    }
    let rdf_format = match format::detect(content_type, head, base) {
        Ok(f) => f,
        Err(FormatError::NotRdfXml(_)) => return read_csw(bytes.to_vec(), endpoint, base, limits),
        Err(e) => return Err(e.to_string()),
    };
    if rdf_format == oxigraph::io::RdfFormat::RdfXml {
        if let Err(refusal) = crate::xml_guard::check_xml_slice(bytes, limits) {
            return Err(format!("byte {}: {}", refusal.offset, refusal.message));
        }
    }
    let mut parsed = parse::parse_page_rereadable(
        bytes,
        || Some(bytes),
        bytes.len() as u64,
        rdf_format,
        base,
        limits,
    );
    let mut errors: Vec<String> = parsed.issues.iter().map(|i| i.located()).collect();
    if let Some(fatal) = &parsed.fatal {
        if parsed.graph.is_empty() {
            return Err(fatal.located());
        }
        errors.push(fatal.located());
    }
    let mut read = group(&mut parsed.graph, &parsed.poisoned, limits, false);
    read.errors = errors;
    Ok(read)
}

fn read_csw(
    bytes: Vec<u8>,
    endpoint: &str,
    base: &str,
    limits: &ParseLimits,
) -> Result<PageRead, String> {
    if let Err(refusal) = crate::xml_guard::check_xml_slice(&bytes, limits) {
        return Err(format!("byte {}: {}", refusal.offset, refusal.message));
    }
    // ISO 19139 records (mapped by us), not `rdf:RDF` records in a CSW answer.
    let iso = bytes
        .windows(b"MD_Metadata".len())
        .any(|w| w == b"MD_Metadata" || w == b"MI_Metadata");
    let mapped = csw::map_response(std::io::Cursor::new(bytes), endpoint, base, limits)
        .map_err(|e| e.to_string())?;
    let csw::MappedResponse {
        mut graph,
        rejected,
        warnings,
        issues,
        info,
    } = mapped;
    let mut read = group(&mut graph, &HashMap::new(), limits, iso);
    read.rejected.splice(0..0, rejected);
    read.warnings.splice(0..0, warnings);
    read.errors = issues.iter().map(|i| i.message.clone()).collect();
    read.csw = Some(info);
    Ok(read)
}

/// Groups a page's triples into records with the harvest's own record pipeline
/// ([`take_records`], against an empty registry: every record is new, nothing is written).
fn group(
    graph: &mut PageGraph,
    poisoned: &HashMap<u32, String>,
    limits: &ParseLimits,
    iso: bool,
) -> PageRead {
    let read = take_records(
        "validateur",
        std::mem::take(graph),
        poisoned,
        &Registry::default(),
        limits,
    );
    let records = read
        .new_records()
        .map(|(r, triples)| PreviewRecord {
            iri: r.iri.clone(),
            kind: r.kind,
            quads: triples
                .into_iter()
                .map(|t| t.in_graph(GraphName::DefaultGraph))
                .collect(),
        })
        .collect();
    let outcome = read.into_outcome();
    PageRead {
        records,
        rejected: outcome.rejected,
        warnings: outcome.warnings,
        errors: Vec::new(),
        next: outcome.links.next,
        total: outcome.links.total_items,
        csw: None,
        iso,
    }
}
