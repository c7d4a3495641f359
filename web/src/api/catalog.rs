//! `GET /catalog`: the federated catalogue as DCAT-AP 3, for national portals to harvest
//! back.
//!
//! Moisson's root `dcat:Catalog` lists one `dcat:Catalog` per source (`dcat:catalog`);
//! each lists its datasets and services and one `dcat:CatalogRecord` per harvested record
//! (harvest dates as `dct:issued`/`dct:modified`, the source's own catalogue record as
//! `dct:source`). Datasets also carry what Moisson assigned them: themes and use cases as
//! `dcat:theme`, territories as `dct:spatial`, with the vocabularies' IRIs.
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
use moisson_catalog::vocab::{dcat, dct, foaf, hydra, rdf, skos, vocabularies, xsd};
use moisson_catalog::{
    ActiveRecord, CatalogStore, ExportFormat, ExportWriter, RecordKind, StoreError,
};
use oxigraph::model::{Literal, NamedNode, NamedNodeRef, TripleRef};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::io::Write;

use super::conneg::{negotiate, not_acceptable, BodyWriter};
use crate::app::AppState;
use crate::error::ApiError;

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
/// Filters answered by the search index (the `source` filter reads the registry).
const INDEX_FILTERS: [&str; 3] = ["theme", "use_case", "territory"];
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
}

impl CatalogRequest {
    /// The filters and format as a canonical query string (sorted), for links and ETags.
    fn canonical_query(&self) -> String {
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        for (name, values) in &self.index_filters {
            for v in values {
                pairs.append_pair(name, v);
            }
        }
        for s in &self.sources {
            pairs.append_pair("source", s);
        }
        if let Some(f) = self.format {
            pairs.append_pair("format", f);
        }
        pairs.finish()
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
                     use_case, territory, source)"
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

/// The public address of the server (`[server] public_url`), which every IRI minted by
/// `/catalog` starts with; the server takes it from an `Extension<PublicUrl>` layer when
/// there is one, else [`PublicUrl::default`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    /// Checks `url`: an absolute `http` or `https` URL without query or fragment; a
    /// trailing `/` is dropped.
    pub fn new(url: &str) -> Result<Self, String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("invalid url {url:?}: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(format!("{url:?} must be an http or https URL with a host"));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() || !parsed.username().is_empty()
        {
            return Err(format!(
                "{url:?} must not have a query, a fragment or credentials"
            ));
        }
        Ok(Self(parsed.as_str().trim_end_matches('/').to_owned()))
    }

    /// The URL a server listening on `bind` is reached at from this machine:
    /// `http://{bind}`, with an unspecified address (`0.0.0.0`, `[::]`) read as
    /// `localhost`. A public deployment sets `[server] public_url` instead.
    pub fn from_bind(bind: &str) -> Self {
        let port = bind.rsplit_once(':').map_or("", |(_, p)| p);
        let host = bind.rsplit_once(':').map_or(bind, |(h, _)| h);
        let host = match host {
            "" | "0.0.0.0" | "[::]" | "::" => "localhost",
            other => other,
        };
        let text = if port.is_empty() {
            format!("http://{host}")
        } else {
            format!("http://{host}:{port}")
        };
        Self::new(&text).unwrap_or_else(|_| Self::default())
    }

    /// Returns the URL, without a trailing `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for PublicUrl {
    /// The address of the default `[server] bind`, `http://127.0.0.1:8080`.
    fn default() -> Self {
        Self("http://127.0.0.1:8080".into())
    }
}

/// Returns `http(s)://host` of the request, from `Host` (checked to be a plain host and
/// port, so that no header can inject into the IRIs we mint). `/catalog` no longer uses
/// it (see [`PublicUrl`]); it stays for links that only need to reach this server.
pub fn public_base(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    format!("{}://{host}", if https { "https" } else { "http" })
}

/// What Moisson assigned a record, as IRIs with French labels.
#[derive(Debug, Clone, Default, Hash)]
struct Assigned {
    /// Themes, sub-themes and use cases (`dcat:theme`).
    themes: Vec<(String, String)>,
    /// Territories (`dct:spatial`).
    territories: Vec<(String, String)>,
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

    fn source_catalog(&self, source: &str) -> String {
        format!("{}/catalog/{source}", self.base)
    }

    fn catalog_record(&self, source: &str, dataset_id: &str) -> String {
        format!("{}/catalog/{source}/records/{dataset_id}", self.base)
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
        base: public_url.map(|u| u.0).unwrap_or_default().0,
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
    let members = if request.index_filters.is_empty() {
        None
    } else {
        Some(state.index.members_matching(&request.index_filters)?)
    };
    let selected: Vec<&ActiveRecord> = snapshot
        .records
        .iter()
        .filter(|r| request.sources.is_empty() || request.sources.contains(&r.source))
        .filter(|r| members.as_ref().is_none_or(|m| m.contains(&r.dataset_id)))
        .collect();
    let total = selected.len();
    let last_page = total.div_ceil(request.page_size).max(1);
    if request.page > last_page {
        return Err(ApiError::not_found(format!(
            "no page {} (the last page is {last_page})",
            request.page
        )));
    }
    let start = (request.page - 1) * request.page_size;
    let records: Vec<ActiveRecord> = selected
        .iter()
        .skip(start)
        .take(request.page_size)
        .map(|r| (*r).clone())
        .collect();
    let mut assigned = Vec::with_capacity(records.len());
    for r in &records {
        assigned.push(assigned_to(state, r)?);
    }
    let names: HashMap<&str, &str> = state
        .sources
        .iter()
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect();
    let mut source_ids: Vec<&str> = selected.iter().map(|r| r.source.as_str()).collect();
    source_ids.dedup();
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
    for r in &selected {
        r.graph.hash(&mut hasher);
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

/// Reads from the search index what Moisson assigned the dataset of `record`.
fn assigned_to(state: &AppState, record: &ActiveRecord) -> Result<Assigned, ApiError> {
    if record.kind == RecordKind::Service {
        return Ok(Assigned::default());
    }
    let Some(summary) = state.index.summary_of(&record.dataset_id)? else {
        return Ok(Assigned::default());
    };
    let vocab = vocabularies();
    let mut out = Assigned::default();
    for slug in &summary.themes {
        if let Some(c) = vocab.themes.get(slug) {
            out.themes.push((c.iri.clone(), c.label.clone()));
        }
    }
    for slug in &summary.use_cases {
        if let Some(c) = vocab.use_cases.get(slug) {
            out.themes.push((c.iri.clone(), c.label.clone()));
        }
    }
    for key in &summary.territories {
        if let Some(t) = moisson_search::classify::territory_by_key(vocab, key) {
            out.territories.push((t.iri.clone(), t.name.clone()));
        }
    }
    Ok(out)
}

/// Writes the page on a blocking thread into the returned body.
fn stream_page(store: CatalogStore, format: ExportFormat, plan: PagePlan, links: Links) -> Body {
    let (writer, body) = BodyWriter::channel();
    let abort = writer.abort_handle();
    tokio::task::spawn_blocking(move || {
        let written = format.writer(writer).and_then(|mut out| {
            write_page(&store, &plan, &links, &mut out)?;
            if out.skipped() > 0 {
                tracing::warn!(
                    triples = out.skipped(),
                    page = links.page,
                    "catalog: triples not writable in this format were skipped"
                );
            }
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

fn french(text: &str) -> Literal {
    Literal::new_language_tagged_literal_unchecked(text, "fr")
}

fn date_time(text: &str) -> Literal {
    Literal::new_typed_literal(text, n(xsd::DATE_TIME))
}

/// Writes the records of the page, the catalogues and the Hydra paging nodes.
fn write_page<W: Write>(
    store: &CatalogStore,
    plan: &PagePlan,
    links: &Links,
    out: &mut ExportWriter<W>,
) -> Result<(), StoreError> {
    // Each concept and territory is described once per page, after the records.
    let mut concepts: BTreeMap<&str, &str> = BTreeMap::new();
    let mut territories: BTreeMap<&str, &str> = BTreeMap::new();
    for (record, assigned) in plan.records.iter().zip(&plan.assigned) {
        write_record(store, record, assigned, links, out)?;
        concepts.extend(
            assigned
                .themes
                .iter()
                .map(|(i, l)| (i.as_str(), l.as_str())),
        );
        territories.extend(
            assigned
                .territories
                .iter()
                .map(|(i, l)| (i.as_str(), l.as_str())),
        );
    }
    for (concept, label) in concepts {
        let c = iri(concept);
        out.triple(TripleRef::new(&c, n(rdf::TYPE), n(skos::CONCEPT)))?;
        out.triple(TripleRef::new(&c, n(skos::PREF_LABEL), &french(label)))?;
    }
    for (territory, name) in territories {
        out.triple(TripleRef::new(
            &iri(territory),
            n(skos::PREF_LABEL),
            &french(name),
        ))?;
    }
    write_catalogs(plan, links, out)?;
    write_paging(plan, links, out)
}

/// One record: its harvested triples, what Moisson assigned it, its catalogue record.
fn write_record<W: Write>(
    store: &CatalogStore,
    record: &ActiveRecord,
    assigned: &Assigned,
    links: &Links,
    out: &mut ExportWriter<W>,
) -> Result<(), StoreError> {
    let originals = out.record_graph(store, &record.graph, &record.record_iri)?;
    let Ok(subject) = NamedNode::new(record.record_iri.as_str()) else {
        return Ok(());
    };
    for (theme, _) in &assigned.themes {
        out.triple(TripleRef::new(&subject, n(dcat::THEME), &iri(theme)))?;
    }
    for (territory, _) in &assigned.territories {
        out.triple(TripleRef::new(&subject, n(dct::SPATIAL), &iri(territory)))?;
    }
    let catalog_record = iri(&links.catalog_record(&record.source, &record.dataset_id));
    out.triple(TripleRef::new(
        &catalog_record,
        n(rdf::TYPE),
        n(dcat::CATALOG_RECORD),
    ))?;
    out.triple(TripleRef::new(
        &catalog_record,
        n(foaf::PRIMARY_TOPIC),
        &subject,
    ))?;
    out.triple(TripleRef::new(
        &catalog_record,
        n(dct::ISSUED),
        &date_time(&record.first_seen),
    ))?;
    out.triple(TripleRef::new(
        &catalog_record,
        n(dct::MODIFIED),
        &date_time(&record.last_changed),
    ))?;
    for original in &originals {
        out.triple(TripleRef::new(&catalog_record, n(dct::SOURCE), original))?;
    }
    let source_catalog = iri(&links.source_catalog(&record.source));
    let link = match record.kind {
        RecordKind::Service => dcat::SERVICE_PROP,
        RecordKind::Dataset | RecordKind::Series => dcat::DATASET_PROP,
    };
    out.triple(TripleRef::new(&source_catalog, n(link), &subject))?;
    out.triple(TripleRef::new(
        &source_catalog,
        n(dcat::RECORD_PROP),
        &catalog_record,
    ))
}

/// The root catalogue, its publisher, and one catalogue per source of the selection.
fn write_catalogs<W: Write>(
    plan: &PagePlan,
    links: &Links,
    out: &mut ExportWriter<W>,
) -> Result<(), StoreError> {
    let root = iri(&links.root());
    let publisher = iri(&format!("{}#moisson", links.root()));
    out.triple(TripleRef::new(&root, n(rdf::TYPE), n(dcat::CATALOG)))?;
    out.triple(TripleRef::new(
        &root,
        n(dct::TITLE),
        &french("Moisson : catalogue fédéré des données environnementales"),
    ))?;
    out.triple(TripleRef::new(
        &root,
        n(dct::DESCRIPTION),
        &french(
            "Les métadonnées moissonnées par Moisson auprès des catalogues des services de \
             l'État, des collectivités et des opérateurs, avec les thèmes, cas d'usage et \
             territoires que Moisson leur attribue.",
        ),
    ))?;
    out.triple(TripleRef::new(&root, n(dct::PUBLISHER), &publisher))?;
    out.triple(TripleRef::new(
        &root,
        n(foaf::HOMEPAGE),
        &iri(&format!("{}/", links.base)),
    ))?;
    out.triple(TripleRef::new(&publisher, n(rdf::TYPE), n(foaf::AGENT)))?;
    out.triple(TripleRef::new(
        &publisher,
        n(foaf::NAME),
        &french("Moisson"),
    ))?;
    for (id, name) in &plan.sources {
        let catalog = iri(&links.source_catalog(id));
        out.triple(TripleRef::new(&root, n(dcat::CATALOG_PROP), &catalog))?;
        out.triple(TripleRef::new(&catalog, n(rdf::TYPE), n(dcat::CATALOG)))?;
        out.triple(TripleRef::new(&catalog, n(dct::TITLE), &french(name)))?;
        out.triple(TripleRef::new(
            &catalog,
            n(dct::DESCRIPTION),
            &french(&format!("Catalogue « {name} » moissonné par Moisson.")),
        ))?;
        out.triple(TripleRef::new(&catalog, n(dct::PUBLISHER), &publisher))?;
        out.triple(TripleRef::new(
            &catalog,
            n(dct::IDENTIFIER),
            &Literal::new_simple_literal(id),
        ))?;
    }
    Ok(())
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

    #[test]
    fn public_urls_are_checked_and_derived_from_bind() {
        assert_eq!(
            PublicUrl::new("https://moisson.example.fr/").map(|u| u.0),
            Ok("https://moisson.example.fr".to_owned())
        );
        assert!(PublicUrl::new("ftp://x.org").is_err());
        assert!(PublicUrl::new("http://x.org/?a=b").is_err());
        assert!(PublicUrl::new("x.org").is_err());
        assert_eq!(
            PublicUrl::from_bind("0.0.0.0:9000").as_str(),
            "http://localhost:9000"
        );
        assert_eq!(PublicUrl::from_bind("127.0.0.1:8080"), PublicUrl::default());
        assert_eq!(PublicUrl::from_bind("[::]:80").as_str(), "http://localhost");
    }

    #[test]
    fn host_header_cannot_inject_into_iris() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("ex.org:8080"));
        assert_eq!(public_base(&headers), "http://ex.org:8080");
        headers.insert(header::HOST, HeaderValue::from_static("ex.org/x> <y"));
        assert_eq!(public_base(&headers), "http://localhost");
    }
}
