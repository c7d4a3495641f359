//! The `csw` protocol end to end: a CSW server on loopback pages over the ISO 19139 and
//! DCAT files of ../shared/corpus/csw-* (and over generated records), answers GET KVP
//! and POST XML, and can misbehave the way real servers do.

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use moisson_catalog::quality::{Conformance, RecordGraph};
use moisson_catalog::{CatalogStore, DatasetView, JobReport, JobStatus, SourceId};
use moisson_demo::csw::{paging_of, CswCatalogue};
use moisson_harvester::{
    CswOutputSchema, FetchOptions, Fetcher, HarvestOptions, LogProgress, Protocol, Source,
};
use moisson_tests::shared_dir;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// How the test server misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Quirk {
    #[default]
    None,
    /// `nextRecord` is never given.
    NoNextRecord,
    /// The last page says `nextRecord` = matched + 1 instead of 0.
    NextBeyondMatched,
    /// Pages hold 7 records whatever `maxRecords` asks.
    IgnoresMaxRecords,
    /// `startPosition` is ignored: every page is the first one.
    IgnoresStartPosition,
    /// `numberOfRecordsReturned` is always 999.
    WrongReturned,
    /// Line ends are CRLF and the body is declared ISO-8859-1.
    Latin1Crlf,
    /// Sorting is refused with an exception report.
    RefusesSort,
}

/// What the server serves.
enum Content {
    /// Files by start position (other positions: an empty result).
    Pages(BTreeMap<u64, PathBuf>),
    /// Generated catalogues, chosen by a needle of the request's constraint
    /// (`""` matches any request).
    Generated(Vec<(String, CswCatalogue)>),
    /// The same bytes for every request.
    Fixed(Vec<u8>),
    /// The same Turtle for every request.
    Turtle(Vec<u8>),
}

struct ServerState {
    content: Content,
    quirk: Quirk,
    base: String,
    /// (method, query, body) of every request.
    requests: Mutex<Vec<(String, String, String)>>,
}

/// A CSW server on loopback.
struct CswServer {
    url: String,
    state: Arc<ServerState>,
}

const EMPTY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<csw:GetRecordsResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2"><csw:SearchResults numberOfRecordsMatched="0" numberOfRecordsReturned="0" nextRecord="0"/></csw:GetRecordsResponse>"#;

const SORT_REFUSED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ows:ExceptionReport xmlns:ows="http://www.opengis.net/ows" version="1.0.0"><ows:Exception exceptionCode="InvalidParameterValue" locator="sortBy"><ows:ExceptionText>sort not supported</ows:ExceptionText></ows:Exception></ows:ExceptionReport>"#;

impl CswServer {
    async fn start(content: Content, quirk: Quirk) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let base = format!("http://{}/", listener.local_addr().expect("local addr"));
        let state = Arc::new(ServerState {
            content,
            quirk,
            base: base.clone(),
            requests: Mutex::new(Vec::new()),
        });
        let router = axum::Router::new()
            .fallback(answer)
            .with_state(state.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Self {
            url: format!("{base}geonetwork/srv/fre/csw"),
            state,
        }
    }

    fn requests(&self) -> Vec<(String, String, String)> {
        self.state.requests.lock().expect("requests lock").clone()
    }
}

async fn answer(State(state): State<Arc<ServerState>>, request: Request) -> Response {
    let method = request.method().clone();
    let query = request.uri().query().unwrap_or("").to_owned();
    let body = axum::body::to_bytes(request.into_body(), 1 << 20)
        .await
        .unwrap_or_else(|_| Bytes::new());
    let body = String::from_utf8_lossy(&body).into_owned();
    state.requests.lock().expect("requests lock").push((
        method.to_string(),
        query.clone(),
        body.clone(),
    ));
    let decoded_query = query.replace("%3A", ":").replace("%3a", ":");
    if state.quirk == Quirk::RefusesSort
        && (body.contains("SortBy") || decoded_query.contains("sortBy"))
    {
        return xml(SORT_REFUSED.as_bytes().to_vec());
    }
    if method != Method::GET && method != Method::POST {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let (mut start, mut max) = paging_of(Some(&query), &body);
    if state.quirk == Quirk::IgnoresStartPosition {
        start = 1;
    }
    if state.quirk == Quirk::IgnoresMaxRecords {
        max = 7;
    }
    let bytes = match &state.content {
        Content::Turtle(bytes) => {
            return ([(header::CONTENT_TYPE, "text/turtle")], bytes.clone()).into_response();
        }
        Content::Fixed(bytes) => bytes.clone(),
        Content::Pages(pages) => match pages.get(&start) {
            Some(path) => tokio::fs::read(path).await.unwrap_or_default(),
            None => EMPTY.as_bytes().to_vec(),
        },
        Content::Generated(catalogues) => {
            let text = format!("{query} {body}");
            let Some((_, catalogue)) = catalogues
                .iter()
                .find(|(needle, _)| needle.is_empty() || text.contains(needle.as_str()))
            else {
                return xml(EMPTY.as_bytes().to_vec());
            };
            let page = catalogue.answer(start, max, &state.base);
            quirked(page, state.quirk, catalogue.records).into_bytes()
        }
    };
    xml(bytes)
}

fn quirked(page: String, quirk: Quirk, matched: u64) -> String {
    match quirk {
        Quirk::NoNextRecord => strip_attr(&page, "nextRecord"),
        Quirk::NextBeyondMatched => page.replace(
            "nextRecord=\"0\"",
            &format!("nextRecord=\"{}\"", matched + 1),
        ),
        Quirk::WrongReturned => {
            let stripped = strip_attr(&page, "numberOfRecordsReturned");
            stripped.replace(
                "<csw:SearchResults ",
                "<csw:SearchResults numberOfRecordsReturned=\"999\" ",
            )
        }
        Quirk::Latin1Crlf => page
            .replace("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"")
            .replace('\n', "\r\n"),
        _ => page,
    }
}

fn strip_attr(page: &str, name: &str) -> String {
    let Some(at) = page.find(&format!(" {name}=\"")) else {
        return page.to_owned();
    };
    let rest = &page[at + name.len() + 3..];
    let end = rest.find('"').map_or(0, |i| i + 1);
    format!("{}{}", &page[..at], &rest[end..])
}

fn xml(bytes: Vec<u8>) -> Response {
    // A Latin-1 declared body is sent as Latin-1 bytes.
    let bytes = if bytes.starts_with(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"") {
        String::from_utf8_lossy(&bytes)
            .chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
            .collect()
    } else {
        bytes
    };
    ([(header::CONTENT_TYPE, "application/xml")], bytes).into_response()
}

/// A store and a fetcher without proxy (the CSW server is reached directly).
struct Harness {
    store: CatalogStore,
    fetcher: Fetcher,
    _dir: tempfile::TempDir,
}

impl Harness {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = CatalogStore::open(&dir.path().join("store")).expect("open store");
        let fetcher = Fetcher::new(FetchOptions {
            retries: 0,
            timeout_secs: 60,
            ..FetchOptions::default()
        })
        .expect("fetcher");
        Self {
            store,
            fetcher,
            _dir: dir,
        }
    }

    async fn harvest(&self, source: &Source) -> JobReport {
        self.harvest_with(source, &HarvestOptions::default()).await
    }

    async fn harvest_with(&self, source: &Source, options: &HarvestOptions) -> JobReport {
        moisson_harvester::harvest_source(
            &self.store,
            &self.fetcher,
            source,
            options,
            Arc::new(LogProgress),
        )
        .await
    }

    fn views(&self, source: &str) -> Vec<DatasetView> {
        let mut views: Vec<DatasetView> = self
            .store
            .registry(source)
            .expect("registry")
            .values()
            .map(|e| self.store.view_of(e).expect("view"))
            .collect();
        views.sort_by(|a, b| a.iri.cmp(&b.iri));
        views
    }
}

fn csw_source(id: &str, url: &str) -> Source {
    Source {
        publisher_kind: Some("DDT".into()),
        csw_output_schema: CswOutputSchema::Iso19139,
        ..Source::new(
            SourceId::new(id).expect("valid test source id"),
            format!("Source CSW {id}"),
            url,
            Protocol::Csw,
        )
    }
}

fn catalogue(records: u64) -> CswCatalogue {
    CswCatalogue {
        records,
        ..moisson_demo::csw::default_catalogues(records)[0].clone()
    }
}

/// What an ISO record of a corpus file promises, read with plain text search.
#[derive(Debug, Default)]
struct Promise {
    title: bool,
    has_abstract: bool,
    has_bbox: bool,
    has_dates: bool,
    has_online: bool,
    service: bool,
}

fn promises(text: &str) -> HashMap<String, Promise> {
    let mut out = HashMap::new();
    for block in text.split("<gmd:MD_Metadata").skip(1) {
        let block = block.split("</gmd:MD_Metadata>").next().unwrap_or(block);
        let Some(id) = block
            .split("<gmd:fileIdentifier>")
            .nth(1)
            .and_then(|s| s.split("</gco:CharacterString>").next())
            .and_then(|s| s.split('>').nth(1))
        else {
            continue;
        };
        let identification = block
            .split("identificationInfo>")
            .nth(1)
            .unwrap_or_default();
        out.insert(
            id.trim().to_owned(),
            Promise {
                title: true,
                has_abstract: identification.contains("abstract>"),
                has_bbox: block.contains("EX_GeographicBoundingBox"),
                // Only the resource's own citation: keyword thesauri carry dates too.
                has_dates: {
                    let citation = identification
                        .split("</gmd:citation>")
                        .next()
                        .unwrap_or_default();
                    citation.contains("codeListValue=\"publication\"")
                        || citation.contains("codeListValue=\"revision\"")
                },
                has_online: block.contains("CI_OnlineResource>") && block.contains("<gmd:URL>"),
                service: block.contains("codeListValue=\"service\""),
            },
        );
    }
    out
}

fn file_id_of(view: &DatasetView) -> String {
    view.iri
        .split("&id=")
        .nth(1)
        .map(|id| {
            url::form_urlencoded::parse(format!("id={id}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        })
        .unwrap_or_default()
}

fn pages_of(dir: &Path) -> BTreeMap<u64, PathBuf> {
    let mut pages = BTreeMap::new();
    for entry in std::fs::read_dir(dir)
        .expect("read corpus folder")
        .flatten()
    {
        let path = entry.path();
        let start = path
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.strip_prefix("page-"))
            .and_then(|s| s.parse().ok());
        if let Some(start) = start {
            pages.insert(start, path);
        }
    }
    pages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_iso_corpus_record_is_harvested_through_a_paged_csw_server() {
    let Some(shared) = shared_dir() else { return };
    let corpus = shared.join("corpus/csw-iso19139");
    let harness = Harness::new();
    let mut sets: Vec<(String, BTreeMap<u64, PathBuf>)> = vec![(
        "geo2france-geoide-paged".into(),
        pages_of(&corpus.join("geo2france-geoide-paged")),
    )];
    for entry in std::fs::read_dir(&corpus).expect("corpus").flatten() {
        let path = entry.path();
        if path.is_file() {
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_owned();
            sets.push((name, BTreeMap::from([(1, path)])));
        }
    }
    sets.sort();
    let mut total = 0;
    let mut conformant = 0;
    // The official DCAT-AP 3 shapes alone (not Moisson's stricter profile).
    let validator =
        moisson_catalog::shacl::Validator::from_turtle(&[moisson_catalog::shacl::EMBEDDED_SHAPES
            [0]
        .1])
        .expect("shapes compile");
    for (i, (name, pages)) in sets.iter().enumerate() {
        let mut expected = HashMap::new();
        for path in pages.values() {
            let text = std::fs::read_to_string(path).expect("corpus file is utf-8");
            expected.extend(promises(&text));
        }
        let server = CswServer::start(Content::Pages(pages.clone()), Quirk::None).await;
        let id = format!("iso-{i}");
        let report = harness.harvest(&csw_source(&id, &server.url)).await;
        assert_eq!(report.status, JobStatus::Ok, "{name}: {report:#?}");
        let views = harness.views(&id);
        assert_eq!(views.len(), expected.len(), "{name}: {report:#?}");
        for view in &views {
            let file_id = file_id_of(view);
            let promise = expected
                .get(&file_id)
                .unwrap_or_else(|| panic!("{name}: unexpected record {file_id}"));
            let context = format!("{name} / {file_id}");
            assert!(promise.title && view.title.is_some(), "{context}: title");
            if promise.has_abstract {
                assert!(view.description.is_some(), "{context}: abstract");
            }
            if promise.has_bbox {
                assert!(!view.bboxes.is_empty(), "{context}: bbox {view:#?}");
            }
            if promise.has_dates {
                assert!(
                    view.issued.is_some() || view.modified.is_some(),
                    "{context}: dates"
                );
            }
            if promise.has_online {
                if promise.service {
                    assert!(!view.endpoint_urls.is_empty(), "{context}: endpoint");
                } else {
                    assert!(!view.distributions.is_empty(), "{context}: distributions");
                }
            }
        }
        // DCAT-AP's mandatory constraints (sh:minCount in the official shapes) on each
        // mapped record, checked by our SHACL engine.
        for (iri, entry) in harness.store.registry(&id).expect("registry").iter() {
            let graph = oxigraph::model::NamedNode::new_unchecked(entry.graph.clone());
            let quads: Vec<oxigraph::model::Quad> = harness
                .store
                .oxigraph()
                .quads_for_pattern(None, None, None, Some(graph.as_ref().into()))
                .collect::<Result<_, _>>()
                .expect("record quads");
            let issues = validator.check(&RecordGraph::from_quads(&quads));
            let missing: Vec<String> = issues
                .iter()
                .filter(|i| i.severity == "violation" && i.constraint.contains("MinCount"))
                .map(|i| format!("{} on {}", i.path.clone().unwrap_or_default(), i.focus))
                .collect();
            if missing.is_empty() {
                conformant += 1;
            } else {
                println!("{name} / {iri}: missing {}", missing.join("; "));
            }
        }
        // POST XML was used, with the paging the server answered.
        let requests = server.requests();
        assert!(requests.iter().all(|(m, _, _)| m == "POST"), "{requests:?}");
        total += views.len();
    }
    // 6 + 4 + 1 + 1 + 1 gmd:MD_Metadata records (MANIFEST.md).
    assert_eq!(total, 13);
    println!(
        "dcat-ap mandatory constraints (official DCAT-AP 3 shapes, sh:minCount): {conformant} of {total} mapped records conform"
    );
    assert_eq!(
        conformant, total,
        "every mapped corpus record meets DCAT-AP's mandatory constraints"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dcat_output_schema_takes_rdf_records_from_the_csw_envelope() {
    let Some(shared) = shared_dir() else { return };
    let harness = Harness::new();
    for (i, set) in ["geo2france-dcat-paged", "geo2france-geodcatap-paged"]
        .iter()
        .enumerate()
    {
        let pages = pages_of(&shared.join("corpus/csw-dcat").join(set));
        let server = CswServer::start(Content::Pages(pages), Quirk::None).await;
        let mut source = csw_source(&format!("dcat-{i}"), &server.url);
        source.csw_output_schema = CswOutputSchema::Dcat;
        let report = harness.harvest(&source).await;
        assert_eq!(report.dataset_count, 6, "{set}: {report:#?}");
        assert_eq!(report.counts.pages, 3, "{set}: {report:#?}");
        let requests = server.requests();
        assert!(
            requests[0]
                .2
                .contains("outputSchema=\"http://www.w3.org/ns/dcat#\""),
            "{requests:?}"
        );
        if *set == "geo2france-geodcatap-paged" {
            // numberOfRecordsReturned (6) ≠ records present (2): a warning, not an error.
            assert!(
                report
                    .warnings
                    .iter()
                    .any(|w| w.message.contains("numberOfRecordsReturned")),
                "{report:#?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_servers_are_paged_to_the_end() {
    let harness = Harness::new();
    for (i, quirk) in [
        Quirk::None,
        Quirk::NoNextRecord,
        Quirk::NextBeyondMatched,
        Quirk::IgnoresMaxRecords,
        Quirk::WrongReturned,
        Quirk::Latin1Crlf,
        Quirk::RefusesSort,
    ]
    .into_iter()
    .enumerate()
    {
        let server = CswServer::start(
            Content::Generated(vec![(String::new(), catalogue(123))]),
            quirk,
        )
        .await;
        let id = format!("quirk-{i}");
        let report = harness.harvest(&csw_source(&id, &server.url)).await;
        assert_eq!(report.status, JobStatus::Ok, "{quirk:?}: {report:#?}");
        assert_eq!(report.dataset_count, 123, "{quirk:?}: {report:#?}");
        assert_eq!(report.counts.added, 123, "{quirk:?}");
        if quirk == Quirk::Latin1Crlf {
            let views = harness.views(&id);
            assert!(
                views
                    .iter()
                    .any(|v| v.title.as_deref().is_some_and(|t| t.contains("Périmètres"))),
                "latin-1 text decoded"
            );
        }
        if quirk == Quirk::RefusesSort {
            let requests = server.requests();
            assert!(requests[0].2.contains("SortBy"));
            assert!(requests
                .iter()
                .skip(1)
                .all(|(_, _, b)| !b.contains("SortBy")));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_ignoring_start_position_stops_paging_without_withdrawing() {
    let harness = Harness::new();
    let server = CswServer::start(
        Content::Generated(vec![(String::new(), catalogue(120))]),
        Quirk::IgnoresStartPosition,
    )
    .await;
    let report = harness.harvest(&csw_source("repeat", &server.url)).await;
    assert_eq!(report.status, JobStatus::Partial, "{report:#?}");
    assert_eq!(report.counts.pages, 2, "{report:#?}");
    assert_eq!(report.dataset_count, 50);
    assert!(
        report
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("50 of 120")),
        "{report:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kvp_sources_page_with_get() {
    let harness = Harness::new();
    let server = CswServer::start(
        Content::Generated(vec![(String::new(), catalogue(60))]),
        Quirk::None,
    )
    .await;
    let url = format!("{}?service=CSW&request=GetRecords", server.url);
    let report = harness.harvest(&csw_source("kvp", &url)).await;
    assert_eq!(report.dataset_count, 60, "{report:#?}");
    let requests = server.requests();
    assert!(requests.iter().all(|(m, _, _)| m == "GET"), "{requests:?}");
    assert!(requests[1].1.contains("startPosition=51"), "{requests:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_endpoint_serves_many_sources_through_constraints() {
    let harness = Harness::new();
    let mut other = catalogue(9);
    other.id = "geoide-ddtm-80".into();
    let server = CswServer::start(
        Content::Generated(vec![
            ("DDT de la Dordogne".into(), catalogue(14)),
            ("DDTM de la Somme".into(), other),
        ]),
        Quirk::None,
    )
    .await;
    let mut cql = csw_source("ddt-24", &server.url);
    cql.csw_constraint = Some("OrganisationName = 'DDT de la Dordogne'".into());
    let mut filter = csw_source("ddtm-80", &server.url);
    filter.csw_constraint = Some("<ogc:Filter xmlns:ogc=\"http://www.opengis.net/ogc\"><ogc:PropertyIsEqualTo><ogc:PropertyName>OrganisationName</ogc:PropertyName><ogc:Literal>DDTM de la Somme</ogc:Literal></ogc:PropertyIsEqualTo></ogc:Filter>".into());
    let a = harness.harvest(&cql).await;
    let b = harness.harvest(&filter).await;
    assert_eq!((a.dataset_count, b.dataset_count), (14, 9), "{a:#?} {b:#?}");
    let requests = server.requests();
    assert!(requests[0]
        .2
        .contains("<csw:CqlText>OrganisationName = 'DDT de la Dordogne'</csw:CqlText>"));
    assert!(requests
        .iter()
        .any(|(_, _, body)| body.contains("<csw:Constraint version=\"1.1.0\"><ogc:Filter")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exception_reports_fail_the_job_with_the_request() {
    let Some(shared) = shared_dir() else { return };
    let harness = Harness::new();
    let bytes =
        std::fs::read(shared.join("corpus/broken/csw-exception-report.xml")).expect("corpus file");
    let server = CswServer::start(Content::Fixed(bytes), Quirk::None).await;
    let mut source = csw_source("exception", &server.url);
    source.csw_constraint = Some("uu".into());
    let report = harness.harvest(&source).await;
    assert_eq!(report.status, JobStatus::Failed, "{report:#?}");
    let reason = report.reason.clone().unwrap_or_default();
    assert!(reason.contains("InvalidParameterValue"), "{reason}");
    assert!(reason.contains("constraintLanguage"), "{reason}");
    assert!(reason.contains("request: POST"), "{reason}");
    assert!(reason.contains("<csw:CqlText>uu</csw:CqlText>"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_csw_files_are_survived() {
    let Some(shared) = shared_dir() else { return };
    let broken = shared.join("corpus/broken");
    let harness = Harness::new();
    // Undeclared gco: prefix and counters that lie (matched=965, next=11): the records are
    // read anyway and paging stops when the next page is empty.
    let server = CswServer::start(
        Content::Pages(BTreeMap::from([(
            1,
            broken.join("getrecords-undeclared-gco-prefix.xml"),
        )])),
        Quirk::None,
    )
    .await;
    let report = harness
        .harvest(&csw_source("undeclared", &server.url))
        .await;
    // The trimmed capture's records hold no identificationInfo: each is rejected alone.
    assert_eq!(report.status, JobStatus::Partial, "{report:#?}");
    assert_eq!(report.dataset_count, 0, "{report:#?}");
    assert_eq!(report.counts.rejected, 3, "{report:#?}");
    assert!(report.errors.iter().any(|e| e
        .message
        .contains("fileIdentifier 22c47096-64da-44e8-a04e-58f9779c6995")));
    // An empty GetRecordById answer: no record, no failure.
    let server = CswServer::start(
        Content::Pages(BTreeMap::from([(
            1,
            broken.join("csw-getrecordbyid-empty.xml"),
        )])),
        Quirk::None,
    )
    .await;
    let report = harness.harvest(&csw_source("empty", &server.url)).await;
    assert_eq!(report.status, JobStatus::Ok, "{report:#?}");
    assert_eq!(report.dataset_count, 0);
    // Every other broken file (RDF, HTML, truncated…) fails the job cleanly or is survived.
    for entry in std::fs::read_dir(&broken).expect("broken corpus").flatten() {
        let bytes = std::fs::read(entry.path()).expect("read");
        let server = CswServer::start(Content::Fixed(bytes), Quirk::None).await;
        let report = harness
            .harvest(&csw_source("any-broken", &server.url))
            .await;
        assert_ne!(report.status, JobStatus::Running, "{:?}", entry.path());
        if report.status == JobStatus::Failed {
            assert!(report.reason.is_some(), "{:?}", entry.path());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmappable_records_are_rejected_alone() {
    let harness = Harness::new();
    let mut page = catalogue(3).answer(1, 10, "http://h/");
    // Record 2 loses its title, record 3 its fileIdentifier.
    let second = catalogue(3).file_identifier(1);
    let at = page.find(&second).expect("record 2");
    let title_at = at + page[at..].find("<gmd:title>").expect("title");
    let title_end = title_at + page[title_at..].find("</gmd:title>").expect("end") + 12;
    page.replace_range(title_at..title_end, "");
    let third = catalogue(3).file_identifier(2);
    page = page.replace(
        &format!("<gmd:fileIdentifier><gco:CharacterString>{third}</gco:CharacterString></gmd:fileIdentifier>"),
        "",
    );
    let server = CswServer::start(Content::Fixed(page.into_bytes()), Quirk::None).await;
    let report = harness
        .harvest(&csw_source("unmappable", &server.url))
        .await;
    assert_eq!(report.status, JobStatus::Partial, "{report:#?}");
    assert_eq!(report.dataset_count, 1);
    assert_eq!(report.counts.rejected, 2);
    assert!(
        report.errors.iter().any(|e| e.message.contains(&format!(
            "fileIdentifier {second}: record without a resource title"
        ))),
        "{report:#?}"
    );
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.message.contains("without gmd:fileIdentifier")),
        "{report:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_harvest_finds_every_record_unchanged() {
    let harness = Harness::new();
    let server = CswServer::start(
        Content::Generated(vec![(String::new(), catalogue(75))]),
        Quirk::None,
    )
    .await;
    let source = csw_source("again", &server.url);
    let first = harness.harvest(&source).await;
    assert_eq!(first.counts.added, 75);
    let second = harness.harvest(&source).await;
    assert_eq!(second.counts.unchanged, 75, "{second:#?}");
    assert_eq!(second.counts.added + second.counts.updated, 0);
    // Re-parsed and re-mapped, every record hashes the same (blank nodes included).
    let forced = HarvestOptions {
        force: true,
        ..HarvestOptions::default()
    };
    let third = harness.harvest_with(&source, &forced).await;
    assert_eq!(third.counts.unchanged, 75, "{third:#?}");
    assert_eq!(third.counts.added + third.counts.updated, 0);
}

/// `cargo test --workspace csw_throughput -- --ignored --nocapture` (the release figures come
/// from `moisson bench-csw`)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run on demand"]
async fn csw_throughput_50k() {
    let records = std::env::var("MOISSON_CSW_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let harness = Harness::new();
    let server = CswServer::start(
        Content::Generated(vec![(String::new(), catalogue(records))]),
        Quirk::None,
    )
    .await;
    let started = std::time::Instant::now();
    let report = harness.harvest(&csw_source("bench", &server.url)).await;
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(report.dataset_count, records, "{report:#?}");
    println!(
        "csw harvest: {records} records, {} pages, {seconds:.1} s, {:.0} records/s, peak rss {:.0} MiB",
        report.counts.pages,
        records as f64 / seconds,
        moisson_tests::peak_rss_mib()
    );
    // The dcat protocol on the same machine and build, for comparison: the demo generator's
    // Turtle catalogue of the same size, unpaged, served over loopback.
    let demo = moisson_demo::benchmark_source(records as usize, moisson_demo::DemoFormat::Turtle);
    let mut body = Vec::new();
    demo.write_whole("http://127.0.0.1:9/", &mut body)
        .expect("writing to a Vec cannot fail");
    let server = CswServer::start(Content::Turtle(body), Quirk::None).await;
    let mut dcat = csw_source("bench-dcat", &server.url);
    dcat.protocol = Protocol::Dcat;
    let started = std::time::Instant::now();
    let report = harness.harvest(&dcat).await;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "dcat harvest: {} datasets, {seconds:.1} s, {:.0} datasets/s, peak rss {:.0} MiB",
        report.dataset_count,
        report.dataset_count as f64 / seconds,
        moisson_tests::peak_rss_mib()
    );
}

/// Harvests one corpus file as a one-page CSW source and returns the harness and views.
async fn harvest_file(harness: &Harness, id: &str, file: &Path) -> Vec<DatasetView> {
    let server = CswServer::start(
        Content::Pages(BTreeMap::from([(1, file.to_owned())])),
        Quirk::None,
    )
    .await;
    let report = harness.harvest(&csw_source(id, &server.url)).await;
    assert_eq!(report.status, JobStatus::Ok, "{report:#?}");
    harness.views(id)
}

/// N-Triples of the record graph of `view`.
fn record_triples(harness: &Harness, source: &str, view: &DatasetView) -> String {
    let registry = harness.store.registry(source).expect("registry");
    let entry = registry.get(&view.iri).expect("registered record");
    harness
        .store
        .graph_quads(&entry.graph)
        .expect("graph")
        .iter()
        .map(|q| format!("{} {} {} .\n", q.subject, q.predicate, q.object))
        .collect()
}

const EU: &str = "http://publications.europa.eu/resource/authority/";

/// Field-by-field expectations, checked by hand against the ISO XML of three real records.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_real_records_map_field_by_field() {
    let Some(shared) = shared_dir() else { return };
    let corpus = shared.join("corpus/csw-iso19139");
    let harness = Harness::new();

    // 1. geo-IDE, DDT de la Dordogne: strategic noise zones (owner roles only, licence in
    //    a useLimitation, west/east swapped in the bbox, GeoNetwork page as "download").
    let views = harvest_file(
        &harness,
        "ddt24",
        &corpus.join("geoide-ddt24-getrecords.xml"),
    )
    .await;
    assert_eq!(views.len(), 4);
    let noise = views
        .iter()
        .find(|v| file_id_of(v) == "fr-120066022-jdd-912496f5-2ee6-4cf2-b2f9-ab030d646168")
        .expect("noise zones record");
    assert_eq!(
        noise.title.as_deref(),
        Some("Table décrivant les Zones de Bruit stratégiques du département de la Dordogne")
    );
    assert!(noise.description.as_deref().is_some_and(|d| !d.is_empty()));
    assert_eq!(noise.issued.as_deref(), Some("2018-08-20"));
    assert_eq!(noise.modified.as_deref(), Some("2018-08-10"));
    assert!(
        noise.bboxes.iter().any(|b| b.contains(
            "POLYGON((-0.04152687 44.57173157,-0.04152687 45.71457291,1.44825983 45.71457291"
        )),
        "{:?}",
        noise.bboxes
    );
    assert_eq!(
        noise.access_rights.as_deref(),
        Some(&*format!("{EU}access-right/PUBLIC"))
    );
    assert_eq!(
        noise.license.as_deref(),
        Some("https://www.etalab.gouv.fr/licence-ouverte-open-licence/")
    );
    assert!(
        noise.keywords.contains(&"Nuisance/Bruit".to_owned()),
        "{:?}",
        noise.keywords
    );
    assert_eq!(
        noise.landing_page.as_deref(),
        Some("http://catalogue.geo-ide.e2.rie.gouv.fr/catalogue/srv/fre/catalog.search#/metadata/fr-120066022-jdd-912496f5-2ee6-4cf2-b2f9-ab030d646168")
    );
    // Two ATOM downloads, WMS and WFS (internet and intranet); the GetRecordById link is
    // a page and the GeoNetwork page the landing page, not files.
    assert_eq!(noise.distributions.len(), 6, "{:#?}", noise.distributions);
    let formats: Vec<&str> = noise
        .distributions
        .iter()
        .filter_map(|d| d.format.as_deref())
        .collect();
    assert!(
        formats.contains(&&*format!("{EU}file-type/WMS_SRVC")),
        "{formats:?}"
    );
    assert!(
        formats.contains(&&*format!("{EU}file-type/WFS_SRVC")),
        "{formats:?}"
    );
    assert_eq!(
        noise
            .distributions
            .iter()
            .filter(|d| !d.download_urls.is_empty())
            .count(),
        2
    );
    let triples = record_triples(&harness, "ddt24", noise);
    assert!(
        triples.contains("<http://purl.org/dc/terms/rightsHolder>"),
        "owner → rightsHolder"
    );
    assert!(triples.contains(
        "\"Table décrivant les Zones de Bruit stratégiques du département de la Dordogne\"@fr"
    ));
    assert!(triples.contains("<http://www.w3.org/ns/dcat#CatalogRecord>"));

    // 2. geo-IDE GetRecordById: PPR of Montardon (INSPIRE themes by label, series parent,
    //    pointOfContact → contact point, free-text use conditions → rights statements).
    let views = harvest_file(
        &harness,
        "montardon",
        &corpus.join("geoide-getrecordbyid-ppr-montardon.xml"),
    )
    .await;
    let ppr = &views[0];
    assert_eq!(
        file_id_of(ppr),
        "fr-120066022-ldd-a2086c57-1888-4270-a5b7-84c67b83585e"
    );
    assert!(ppr
        .title
        .as_deref()
        .is_some_and(|t| t.starts_with("PPR MONTARDON (64DDTM20050014)")));
    assert_eq!(ppr.issued.as_deref(), Some("2015-12-16"));
    for theme in ["nz", "lu", "am"] {
        let iri = format!("http://inspire.ec.europa.eu/theme/{theme}");
        assert!(ppr.themes.contains(&iri), "{iri} in {:?}", ppr.themes);
    }
    assert!(
        ppr.keywords.contains(&"Risque/Inondation".to_owned()),
        "{:?}",
        ppr.keywords
    );
    assert!(
        ppr.contact_name
            .as_deref()
            .is_some_and(|c| c.starts_with("DDTM 64")),
        "{:?}",
        ppr.contact_name
    );
    assert!(
        ppr.bboxes
            .iter()
            .any(|b| b.contains("-0.37994623 43.3468132")),
        "{:?}",
        ppr.bboxes
    );
    assert_eq!(ppr.distributions.len(), 4, "{:#?}", ppr.distributions);
    let triples = record_triples(&harness, "montardon", ppr);
    assert!(
        triples.contains("<http://www.w3.org/ns/dcat#inSeries>"),
        "parentIdentifier"
    );
    assert!(triples.contains("fr-120066022-sjdd-830abfe6-ae1a-4daf-b97d-51d63b8b8798"));
    assert!(triples.contains("<http://purl.org/dc/terms/RightsStatement>"));
    assert!(
        triples.contains("<http://www.opengis.net/def/crs/EPSG/0/2154>")
            || !triples.contains("referenceSystem")
    );

    // 3. Ifremer Sextant, bare MD_Metadata: multilingual title (PT_FreeText), INSPIRE
    //    theme, asNeeded frequency, one WMS repeated five times.
    let views = harvest_file(
        &harness,
        "ifremer",
        &corpus.join("ifremer-md-multilingual.xml"),
    )
    .await;
    let shell = &views[0];
    assert_eq!(file_id_of(shell), "4a7d3d79-edb8-45f5-b8ce-3b9bcd271b4f");
    assert_eq!(
        shell.title.as_deref(),
        Some("EUROSHELL - Sites de production conchylicole")
    );
    assert!(
        shell
            .themes
            .contains(&"http://inspire.ec.europa.eu/theme/af".to_owned()),
        "{:?}",
        shell.themes
    );
    assert_eq!(
        shell.accrual_periodicity.as_deref(),
        Some(&*format!("{EU}frequency/IRREG"))
    );
    assert_eq!(shell.languages, vec![format!("{EU}language/FRA")]);
    assert!(
        shell.bboxes.iter().any(|b| b.contains("-4.89633 41.58419")),
        "{:?}",
        shell.bboxes
    );
    assert_eq!(shell.distributions.len(), 1, "{:#?}", shell.distributions);
    let triples = record_triples(&harness, "ifremer", shell);
    assert!(
        triples.contains("\"EUROSHELL - Shellfish production areas\"@en"),
        "{triples}"
    );
    assert!(
        triples.contains("\"2013-01-18T00:00:00\"^^<http://www.w3.org/2001/XMLSchema#dateTime>")
    );
    assert!(
        triples.contains("<http://inspire.ec.europa.eu/metadata-codelist/TopicCategory/oceans>")
    );

    // And the IGN RPG: a series with six bboxes, anchored keywords and licence.
    let views = harvest_file(&harness, "rpg", &corpus.join("geoplateforme-ign-rpg.xml")).await;
    assert_eq!(views[0].kind, "series");
    assert_eq!(views[0].bboxes.len(), 6, "{:?}", views[0].bboxes);
    assert_eq!(views[0].temporal_start.as_deref(), Some("2007-01-01"));
    assert_eq!(
        views[0].accrual_periodicity.as_deref(),
        Some(&*format!("{EU}frequency/ANNUAL"))
    );
}

/// Records present but rejected count as present for the « fewer than half » guard: a
/// source whose records suddenly all fail to map, without an identifier to tell which
/// records they are, withdraws nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_rejected_without_identifier_withdraw_nothing() {
    let harness = Harness::new();
    let cat = catalogue(4);
    let page = cat.answer(1, 10, "http://h/");
    let server = CswServer::start(Content::Fixed(page.clone().into_bytes()), Quirk::None).await;
    let source = csw_source("unmapped-later", &server.url);
    let first = harness.harvest(&source).await;
    assert_eq!((first.status, first.dataset_count), (JobStatus::Ok, 4));
    // The same records, every one now without its fileIdentifier: all rejected.
    let mut broken = page;
    for i in 0..4 {
        let id = cat.file_identifier(i);
        broken = broken.replace(
            &format!("<gmd:fileIdentifier><gco:CharacterString>{id}</gco:CharacterString></gmd:fileIdentifier>"),
            "",
        );
    }
    let changed = CswServer::start(Content::Fixed(broken.into_bytes()), Quirk::None).await;
    let source = Source {
        url: changed.url.clone(),
        ..source
    };
    let second = harness.harvest(&source).await;
    assert_eq!(second.counts.rejected, 4, "{second:#?}");
    assert_eq!(second.counts.removed, 0, "{second:#?}");
    assert_eq!(second.status, JobStatus::Partial);
    assert!(
        second
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("without an identifier"),
        "{second:#?}"
    );
    assert_eq!(second.dataset_count, 4, "{second:#?}");
}
