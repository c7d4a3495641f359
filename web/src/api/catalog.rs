//! `GET /catalog`: the federated catalogue as DCAT-AP 3, for national portals to harvest
//! back.
//!
//! The graph is written by [`moisson_catalog::FederatedWriter`], the same writer as
//! `moisson export`: the union of every page is the export, plus each page's Hydra paging
//! (a `hydra:Collection` for the selection and this page's `hydra:PartialCollectionView`).
//!
//! Invariants:
//! - Only active records are exported (withdrawn ones are hidden, as everywhere).
//! - Pages slice the active records sorted by source then record IRI, so paging is stable
//!   while the registry does not change; the ETag changes whenever a page's bytes would.
//! - A page is written record by record while the client reads it: memory does not grow
//!   with the page or the catalogue.
//! - Every IRI Moisson mints starts with the configured [`PublicUrl`] (`[server]
//!   public_url`), never with what a request's `Host` or `X-Forwarded-*` headers say.
//! - A page is always well-formed: a harvested triple the format cannot write is skipped
//!   and counted, and a comment ends the page saying how many (see
//!   [`moisson_catalog::ExportWriter`]).

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use chrono::{DateTime, Utc};
use moisson_catalog::vocab::{hydra, rdf};
use moisson_catalog::{
    ActiveRecord, ActiveSnapshot, Assigned, CatalogStore, ExportFormat, ExportWriter,
    FederatedWriter, StoreError,
};
use oxigraph::model::{Literal, NamedNode, NamedNodeRef, TripleRef};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::sync::{Arc, Mutex, Weak};

use super::conneg::{negotiate, not_acceptable, BodyWriter};
use crate::app::AppState;
use crate::error::ApiError;
use crate::PublicUrl;

pub fn routes() -> Router<AppState> {
    Router::new().route("/catalog", get(catalog))
}

/// Formats by name and media type, the default first.
const FORMATS: [(&str, ExportFormat); 4] = [
    ("turtle", ExportFormat::Turtle),
    ("rdfxml", ExportFormat::RdfXml),
    ("jsonld", ExportFormat::JsonLd),
    ("ntriples", ExportFormat::NTriples),
];
/// Records per page unless asked otherwise.
pub const DEFAULT_PAGE_SIZE: usize = 100;
/// Largest page.
pub const MAX_PAGE_SIZE: usize = 1000;
/// Filters answered by the search index (the `source` and `modified_since` filters read
/// the registry).
const INDEX_FILTERS: [&str; 4] = ["theme", "use_case", "territory", "hvd"];
/// Changes whenever the layout of a page changes, so that old ETags stop matching.
const LAYOUT_VERSION: &str = "moisson-catalog-1";

/// A parsed `GET /catalog` query.
#[derive(Debug, Clone, Default)]
struct CatalogRequest {
    format: Option<&'static str>,
    page: usize,
    page_size: usize,
    index_filters: BTreeMap<String, Vec<String>>,
    sources: BTreeSet<String>,
    /// `modified_since` as given, and as Unix seconds.
    modified_since: Option<(String, i64)>,
}

impl CatalogRequest {
    /// The filters and format as a canonical query string (sorted), for links and ETags.
    fn canonical_query(&self) -> String {
        let mut pairs = self.filter_pairs();
        if let Some(f) = self.format {
            pairs.append_pair("format", f);
        }
        pairs.finish()
    }

    /// The filters alone as a canonical query string: what a selection is made of.
    fn canonical_filters(&self) -> String {
        self.filter_pairs().finish()
    }

    fn filter_pairs(&self) -> url::form_urlencoded::Serializer<'static, String> {
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        for (name, values) in &self.index_filters {
            for v in values {
                pairs.append_pair(name, v);
            }
        }
        for s in &self.sources {
            pairs.append_pair("source", s);
        }
        if let Some((text, _)) = &self.modified_since {
            pairs.append_pair("modified_since", text);
        }
        pairs
    }
}

fn parse_request(raw: Option<&str>) -> Result<CatalogRequest, ApiError> {
    let raw = raw.unwrap_or_default();
    if raw.len() > 8192 {
        return Err(ApiError::invalid_input("query string too long"));
    }
    let mut request = CatalogRequest {
        page: 1,
        page_size: DEFAULT_PAGE_SIZE,
        ..CatalogRequest::default()
    };
    for (key, value) in url::form_urlencoded::parse(raw.as_bytes()) {
        let value = value.trim().to_owned();
        match key.as_ref() {
            "format" => {
                let name = FORMATS
                    .iter()
                    .find(|(_, f)| ExportFormat::from_name(&value) == Some(*f))
                    .map(|(n, _)| *n)
                    .ok_or_else(|| {
                        ApiError::invalid_input("format must be turtle, rdfxml, jsonld or ntriples")
                    })?;
                request.format = Some(name);
            }
            "page" => request.page = positive(&key, &value)?,
            "page_size" => request.page_size = positive(&key, &value)?.min(MAX_PAGE_SIZE),
            "source" if !value.is_empty() => {
                request.sources.insert(value);
            }
            "modified_since" if value.is_empty() => {}
            "modified_since" => {
                let since = moisson_catalog::dates::parse_timestamp(&value)
                    .filter(|_| value.len() <= 40)
                    .ok_or_else(|| {
                        ApiError::invalid_input(format!(
                            "modified_since must be a date (2024-01-31) or a date and time \
                             (2024-01-31T08:00:00Z, UTC without a zone): {:?}",
                            value.chars().take(40).collect::<String>()
                        ))
                    })?;
                request.modified_since = Some((value, since));
            }
            name if INDEX_FILTERS.contains(&name) => {
                if !value.is_empty() {
                    let values = request.index_filters.entry(name.to_owned()).or_default();
                    if values.len() >= 50 {
                        return Err(ApiError::invalid_input(format!("too many {name} values")));
                    }
                    values.push(value);
                }
            }
            "source" => {}
            other => {
                return Err(ApiError::invalid_input(format!(
                    "unknown parameter {other:?} (expected format, page, page_size, theme, \
                     use_case, territory, hvd, source, modified_since)"
                )));
            }
        }
    }
    Ok(request)
}

fn positive(key: &str, value: &str) -> Result<usize, ApiError> {
    value
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=1_000_000_000).contains(n))
        .ok_or_else(|| ApiError::invalid_input(format!("{key} must be a positive integer")))
}

fn format_named(name: &str) -> ExportFormat {
    FORMATS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(ExportFormat::Turtle, |(_, f)| *f)
}

/// Picks the format: `?format=` first, else the `Accept` header.
fn choose_format(request: &CatalogRequest, headers: &HeaderMap) -> Result<ExportFormat, ApiError> {
    if let Some(name) = request.format {
        return Ok(format_named(name));
    }
    let offered: Vec<&str> = FORMATS.iter().map(|(_, f)| f.media_type()).collect();
    let chosen = negotiate(headers, &offered).ok_or_else(|| not_acceptable(&offered))?;
    Ok(FORMATS
        .iter()
        .find(|(_, f)| f.media_type() == chosen)
        .map_or(ExportFormat::Turtle, |(_, f)| *f))
}

/// One page, decided before any byte is written.
struct PagePlan {
    records: Vec<ActiveRecord>,
    assigned: Vec<Assigned>,
    total: usize,
    last_page: usize,
    /// Sources of the selection, with their names.
    sources: Vec<(String, String)>,
    etag: String,
    last_modified: Option<DateTime<Utc>>,
}

/// The IRIs of one response.
struct Links {
    base: String,
    query: String,
    page: usize,
    page_size: usize,
}

impl Links {
    fn root(&self) -> String {
        format!("{}/catalog", self.base)
    }

    fn collection(&self) -> String {
        let filters = self.query_without_format();
        if filters.is_empty() {
            self.root()
        } else {
            format!("{}/catalog?{filters}", self.base)
        }
    }

    fn query_without_format(&self) -> String {
        url::form_urlencoded::parse(self.query.as_bytes())
            .filter(|(k, _)| k != "format")
            .fold(
                url::form_urlencoded::Serializer::new(String::new()),
                |mut s, (k, v)| {
                    s.append_pair(&k, &v);
                    s
                },
            )
            .finish()
    }

    fn page_url(&self, page: usize) -> String {
        let sep = if self.query.is_empty() { "" } else { "&" };
        format!(
            "{}/catalog?{}{sep}page={page}&page_size={}",
            self.base, self.query, self.page_size
        )
    }
}

async fn catalog(
    State(state): State<AppState>,
    public_url: Option<Extension<PublicUrl>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let request = parse_request(raw.as_deref())?;
    let format = choose_format(&request, &headers)?;
    let links = Links {
        base: PublicUrl::or_default(public_url).as_str().to_owned(),
        query: request.canonical_query(),
        page: request.page,
        page_size: request.page_size,
    };
    let planning = state.clone();
    let etag_seed = format!("{}|{}|{}", links.base, links.query, format.media_type());
    let plan =
        tokio::task::spawn_blocking(move || plan_page(&planning, &request, &etag_seed)).await??;
    let mut response_headers = HeaderMap::new();
    response_headers.insert(header::VARY, HeaderValue::from_static("accept"));
    if let Ok(v) = HeaderValue::from_str(&plan.etag) {
        response_headers.insert(header::ETAG, v);
    }
    if let Some(v) = plan
        .last_modified
        .and_then(|t| HeaderValue::from_str(&http_date(t)).ok())
    {
        response_headers.insert(header::LAST_MODIFIED, v);
    }
    if not_modified(&headers, &plan) {
        return Ok((StatusCode::NOT_MODIFIED, response_headers).into_response());
    }
    response_headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(format)),
    );
    let body = stream_page(state.store.clone(), format, plan, links);
    Ok((response_headers, body).into_response())
}

fn content_type(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Turtle => "text/turtle; charset=utf-8",
        ExportFormat::RdfXml => "application/rdf+xml",
        ExportFormat::JsonLd => "application/ld+json",
        ExportFormat::NTriples => "application/n-triples",
    }
}

/// Formats an HTTP date (IMF-fixdate).
pub fn http_date(time: DateTime<Utc>) -> String {
    time.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// True when the client's copy is current: `If-None-Match` names our ETag (weak
/// comparison), or, without `If-None-Match`, nothing changed since `If-Modified-Since`.
fn not_modified(headers: &HeaderMap, plan: &PagePlan) -> bool {
    if let Some(tags) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        let ours = plan.etag.trim_start_matches("W/");
        return tags
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == "*" || t == ours);
    }
    let since = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| DateTime::parse_from_rfc2822(v).ok());
    match (since, plan.last_modified) {
        (Some(since), Some(modified)) => modified.timestamp() <= since.timestamp(),
        _ => false,
    }
}

/// Selects the records, slices the page, reads what Moisson assigned them and computes
/// the ETag.
fn plan_page(
    state: &AppState,
    request: &CatalogRequest,
    etag_seed: &str,
) -> Result<PagePlan, ApiError> {
    let snapshot = state.store.active_snapshot()?;
    // Without filters but on sources, the records are ranges of the snapshot (every
    // record, or each source's): a page is read straight from them, whatever their
    // number (a selection of 1,025,000 references per page took 0.2 s more).
    let by_source = request.index_filters.is_empty() && request.modified_since.is_none();
    let ranges: Vec<std::ops::Range<usize>> = if !by_source {
        Vec::new()
    } else if request.sources.is_empty() {
        std::iter::once(0..snapshot.len()).collect()
    } else {
        snapshot
            .sources()
            .filter(|s| request.sources.contains(*s))
            .map(|s| snapshot.source_range(s))
            .collect()
    };
    let selection = if by_source {
        None
    } else {
        Some(selection(state, &snapshot, request)?)
    };
    let total = match &selection {
        None => ranges.iter().map(ExactSizeIterator::len).sum(),
        Some(selection) => selection.positions.len(),
    };
    let last_page = total.div_ceil(request.page_size).max(1);
    if request.page > last_page {
        return Err(ApiError::not_found(format!(
            "no page {} (the last page is {last_page})",
            request.page
        )));
    }
    let start = (request.page - 1) * request.page_size;
    let page = start..(start + request.page_size).min(total);
    let records: Vec<ActiveRecord> = match &selection {
        None => ranges
            .iter()
            .cloned()
            .flatten()
            .skip(page.start)
            .take(page.len())
            .filter_map(|i| snapshot.record(i).cloned())
            .collect(),
        Some(selection) => selection.positions[page]
            .iter()
            .filter_map(|&i| snapshot.record(i as usize).cloned())
            .collect(),
    };
    let mut assigned = Vec::with_capacity(records.len());
    for r in &records {
        assigned.push(state.index.assigned(&r.dataset_id)?);
    }
    let configured = state.sources.current();
    let names: HashMap<&str, &str> = configured
        .iter()
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect();
    let source_ids: Vec<&str> = match &selection {
        None => snapshot
            .sources()
            .filter(|s| request.sources.is_empty() || request.sources.contains(*s))
            .collect(),
        Some(selection) => selection.sources.iter().map(String::as_str).collect(),
    };
    let sources: Vec<(String, String)> = source_ids
        .iter()
        .map(|id| {
            let name = names.get(id).copied().unwrap_or(id);
            ((*id).to_owned(), name.to_owned())
        })
        .collect();
    // Graph names are content-addressed: equal inputs, equal page bytes.
    let mut hasher = std::hash::DefaultHasher::new();
    (LAYOUT_VERSION, etag_seed, request.page, request.page_size).hash(&mut hasher);
    match &selection {
        None if request.sources.is_empty() => snapshot.content_hash.hash(&mut hasher),
        None => {
            for id in &source_ids {
                snapshot.source_hash(id).hash(&mut hasher);
            }
        }
        Some(selection) => selection.graphs_hash.hash(&mut hasher),
    }
    (&sources, &assigned).hash(&mut hasher);
    Ok(PagePlan {
        etag: format!("\"{:016x}{:08x}\"", hasher.finish(), total),
        last_modified: snapshot.last_modified,
        records,
        assigned,
        total,
        last_page,
        sources,
    })
}

/// The records a request with filters other than sources selects: their positions in
/// the active snapshot, in its order, the sources they come from, and a hash of their
/// graph names (content-addressed: it changes whenever the selection's records do).
struct Selection {
    positions: Vec<u32>,
    sources: Vec<String>,
    graphs_hash: u64,
}

/// What a selection was made from: the snapshot, the search index and its generation
/// (theme, use case, territory and HVD filters read it), and the filters.
struct SelectionKey {
    snapshot: Weak<ActiveSnapshot>,
    index: Weak<moisson_search::SearchIndex>,
    index_generation: u64,
    filters: String,
}

/// Selections kept, the last used first.
const SELECTIONS_KEPT: usize = 8;
/// Positions kept in all (4 bytes each: 32 MB): a harvester paging through a selection
/// of a million records reads it once, not once per page.
const SELECTION_POSITIONS_KEPT: usize = 8 << 20;

/// The last selections made: every page of a filtered selection selected all of its
/// records again (0.45 s a page at 1,025,000 records when all matched).
static SELECTIONS: Mutex<Vec<(SelectionKey, Arc<Selection>)>> = Mutex::new(Vec::new());

/// The selection of `request` (filters other than sources alone) over `snapshot`, kept
/// for the next pages.
fn selection(
    state: &AppState,
    snapshot: &Arc<ActiveSnapshot>,
    request: &CatalogRequest,
) -> Result<Arc<Selection>, ApiError> {
    let index_generation = state.index.generation();
    let filters = request.canonical_filters();
    let matches = |key: &SelectionKey| {
        std::ptr::eq(key.snapshot.as_ptr(), Arc::as_ptr(snapshot))
            && std::ptr::eq(key.index.as_ptr(), Arc::as_ptr(&state.index))
            && key.index_generation == index_generation
            && key.filters == filters
    };
    {
        let mut kept = SELECTIONS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(at) = kept.iter().position(|(key, _)| matches(key)) {
            let found = kept.remove(at);
            let selection = found.1.clone();
            kept.insert(0, found);
            return Ok(selection);
        }
    }
    let members = if request.index_filters.is_empty() {
        None
    } else {
        Some(state.index.members_matching(&request.index_filters)?)
    };
    // Positions in the snapshot: every record, or the ranges of the sources asked for.
    let candidates: Box<dyn Iterator<Item = usize>> = if request.sources.is_empty() {
        Box::new(0..snapshot.len())
    } else {
        Box::new(
            snapshot
                .sources()
                .filter(|s| request.sources.contains(*s))
                .flat_map(|s| snapshot.source_range(s)),
        )
    };
    let mut positions = Vec::new();
    let mut sources: Vec<String> = Vec::new();
    let mut hasher = std::hash::DefaultHasher::new();
    for i in candidates {
        if !request
            .modified_since
            .as_ref()
            .is_none_or(|(_, since)| snapshot.changed_since(i, *since))
        {
            continue;
        }
        let Some(record) = snapshot.record(i) else {
            continue;
        };
        if !members
            .as_ref()
            .is_none_or(|m| m.contains(&record.dataset_id))
        {
            continue;
        }
        // The snapshot numbers its records in 32 bits.
        let Ok(position) = u32::try_from(i) else {
            break;
        };
        positions.push(position);
        record.graph.hash(&mut hasher);
        // Records come source by source.
        if sources.last() != Some(&record.source) {
            sources.push(record.source.clone());
        }
    }
    let selection = Arc::new(Selection {
        positions,
        sources,
        graphs_hash: hasher.finish(),
    });
    let mut kept = SELECTIONS.lock().unwrap_or_else(|e| e.into_inner());
    // Selections of an older snapshot or index are never asked for again.
    kept.retain(|(key, _)| key.snapshot.strong_count() > 0 && key.index.strong_count() > 0);
    kept.insert(
        0,
        (
            SelectionKey {
                snapshot: Arc::downgrade(snapshot),
                index: Arc::downgrade(&state.index),
                index_generation,
                filters,
            },
            selection.clone(),
        ),
    );
    let mut positions_kept = 0;
    let mut count = 0;
    kept.retain(|(_, s)| {
        positions_kept += s.positions.len();
        count += 1;
        count <= SELECTIONS_KEPT && (count == 1 || positions_kept <= SELECTION_POSITIONS_KEPT)
    });
    Ok(selection)
}

/// Writes the page on a blocking thread into the returned body.
fn stream_page(store: CatalogStore, format: ExportFormat, plan: PagePlan, links: Links) -> Body {
    let (writer, body) = BodyWriter::channel();
    let abort = writer.abort_handle();
    tokio::task::spawn_blocking(move || {
        let written =
            FederatedWriter::new(&store, format, writer, &links.root()).and_then(|mut out| {
                for (record, assigned) in plan.records.iter().zip(&plan.assigned) {
                    out.record(record, assigned)?;
                }
                out.catalogs(&plan.sources)?;
                write_paging(&plan, &links, out.serializer())?;
                let mut inner = out.finish()?;
                inner.flush()?;
                Ok(())
            });
        match written {
            Ok(()) => drop(abort),
            Err(StoreError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                tracing::debug!("catalog client went away");
            }
            Err(e) => {
                tracing::error!(error = %e, "catalog page failed while streaming");
                abort.fail("export failed".into());
            }
        }
    });
    body
}

fn iri(text: &str) -> NamedNode {
    NamedNode::new_unchecked(text)
}

fn n(text: &'static str) -> NamedNodeRef<'static> {
    NamedNodeRef::new_unchecked(text)
}

/// The Hydra collection (the selection) and this page's view of it.
fn write_paging<W: Write>(
    plan: &PagePlan,
    links: &Links,
    out: &mut ExportWriter<W>,
) -> Result<(), StoreError> {
    let collection = iri(&links.collection());
    let view = iri(&links.page_url(links.page));
    out.triple(TripleRef::new(
        &collection,
        n(rdf::TYPE),
        n(hydra::COLLECTION),
    ))?;
    out.triple(TripleRef::new(
        &collection,
        n(hydra::TOTAL_ITEMS),
        &Literal::from(plan.total as u64),
    ))?;
    out.triple(TripleRef::new(&collection, n(hydra::VIEW), &view))?;
    out.triple(TripleRef::new(
        &view,
        n(rdf::TYPE),
        n(hydra::PARTIAL_COLLECTION_VIEW),
    ))?;
    let mut link = |predicate: &'static str, page: usize| {
        out.triple(TripleRef::new(
            &view,
            n(predicate),
            &iri(&links.page_url(page)),
        ))
    };
    link(hydra::FIRST, 1)?;
    link(hydra::LAST, plan.last_page)?;
    if links.page < plan.last_page {
        link(hydra::NEXT, links.page + 1)?;
    }
    if links.page > 1 {
        link(hydra::PREVIOUS, links.page - 1)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_filters_paging_and_refuses_unknown_parameters() {
        let r = parse_request(Some(
            "theme=eau&theme=risques&source=ddt-29&page=2&page_size=5000",
        ))
        .expect("valid");
        assert_eq!(r.index_filters["theme"], vec!["eau", "risques"]);
        assert!(r.sources.contains("ddt-29"));
        assert_eq!((r.page, r.page_size), (2, MAX_PAGE_SIZE));
        assert_eq!(r.canonical_query(), "theme=eau&theme=risques&source=ddt-29");
        assert!(parse_request(Some("q=eau")).is_err());
        assert!(parse_request(Some("page=0")).is_err());
        assert!(parse_request(Some("format=csv")).is_err());
        assert_eq!(
            parse_request(Some("format=ttl")).expect("valid").format,
            Some("turtle")
        );
    }
}
