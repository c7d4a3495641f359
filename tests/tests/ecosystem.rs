//! Into the tools people already use: schema.org JSON-LD, sitemaps and robots.txt for
//! search engines, QGIS layer files, Atom feeds of any search, link checks that never
//! hold a harvest, and the command line next to a running server.

mod cli_next_to_server;
mod federated_export;
mod feeds;
mod hvd;
mod link_checks;
mod qgis;
mod search_engines;

use axum::body::Body;
use axum::http::Request;
use moisson_tests::{Route, Sandbox};
use tower::ServiceExt;

use crate::support::turtle_catalogue;

/// The configured public address of the sandbox's site.
pub(crate) const PUBLIC_URL: &str = "https://moisson.example.fr";

/// Harvested text that tries to close the JSON-LD script and open markup.
pub(crate) const INJECTION: &str = "</script><script>alert(1)</script><!-- & \u{2028} -->fin";

/// The record with OGC services: a WMS named by its `gmd:name`-like title, a WFS without
/// a name, a CSV download.
pub(crate) const SERVICES_IRI: &str = "https://ddt.example.org/jdd/zones-humides-services";

fn services_dataset() -> String {
    format!(
        "<https://ddt.example.org/catalogue> dcat:dataset <{SERVICES_IRI}> .\n\
<{SERVICES_IRI}> a dcat:Dataset ;\n\
  dct:identifier \"zh-services-29\" ;\n\
  dct:title \"Zones humides du Finistère (services)\"@fr ;\n\
  dct:description \"Inventaire des zones humides. {INJECTION}\"@fr ;\n\
  dcat:keyword \"zones humides\", \"eau\" ;\n\
  dct:license <https://www.etalab.gouv.fr/licence-ouverte-open-licence> ;\n\
  dct:accessRights <http://publications.europa.eu/resource/authority/access-right/PUBLIC> ;\n\
  dct:issued \"2019-05-02\"^^<http://www.w3.org/2001/XMLSchema#date> ;\n\
  dct:modified \"2024-03-01\"^^<http://www.w3.org/2001/XMLSchema#date> ;\n\
  dct:spatial [ a dct:Location ; dcat:bbox \"POLYGON((-5.2 47.7,-3.4 47.7,-3.4 48.8,-5.2 48.8,-5.2 47.7))\"^^<http://www.opengis.net/ont/geosparql#wktLiteral> ] ;\n\
  dct:temporal [ a dct:PeriodOfTime ; dcat:startDate \"2010-01-01\"^^<http://www.w3.org/2001/XMLSchema#date> ; dcat:endDate \"2020-12-31\"^^<http://www.w3.org/2001/XMLSchema#date> ] ;\n\
  dct:publisher <https://ddt.example.org/org/ddt-29> ;\n\
  dcat:distribution [ a dcat:Distribution ; dct:title \"ddtm29:zones_humides\" ; dct:format \"OGC:WMS\" ;\n\
    dcat:accessURL <https://geo.example.fr/geoserver/ows?SERVICE=WMS&REQUEST=GetCapabilities> ] ,\n\
  [ a dcat:Distribution ; dct:format <http://publications.europa.eu/resource/authority/file-type/WFS_SRVC> ;\n\
    dcat:accessURL <https://geo.example.fr/geoserver/wfs> ] ,\n\
  [ a dcat:Distribution ; dct:title \"Table des zones\" ; dct:format \"CSV\" ; dcat:mediaType <http://www.iana.org/assignments/media-types/text/csv> ;\n\
    dcat:downloadURL <https://ddt.example.org/files/zones.csv> ] .\n"
    )
}

/// A sandbox holding 30 plain datasets of `ddt-29` and the services dataset.
pub(crate) async fn harvested() -> Sandbox {
    let sandbox = Sandbox::start().await;
    let ids: Vec<u32> = (1..=30).collect();
    let mut turtle = turtle_catalogue(&ids, None, None);
    turtle.push_str(&services_dataset());
    sandbox.server.set(
        "/cat.ttl",
        Route::Bytes(turtle.into_bytes(), "text/turtle".into()),
    );
    let source = sandbox.source("ddt-29", &sandbox.server.url("/cat.ttl"));
    let report = sandbox.harvest(&source).await;
    assert_eq!(report.counts.added, 31, "{report:?}");
    sandbox
}

/// The sandbox's site with its public address configured.
pub(crate) fn site(sandbox: &Sandbox) -> axum::Router {
    sandbox.app_at(PUBLIC_URL)
}

/// GETs `path` and returns (status, content type, body as text).
pub(crate) async fn get(app: &axum::Router, path: &str) -> (u16, String, String) {
    let request = Request::get(path)
        .header("host", "interne.test")
        .body(Body::empty())
        .expect("request");
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = axum::body::to_bytes(response.into_body(), 256 << 20)
        .await
        .expect("body");
    (
        status,
        content_type,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// One XML element as the tests look at it: its name, attributes and text.
#[derive(Debug, Clone, Default)]
pub(crate) struct Element {
    pub(crate) path: Vec<String>,
    pub(crate) attributes: Vec<(String, String)>,
    pub(crate) text: String,
}

impl Element {
    pub(crate) fn name(&self) -> &str {
        self.path.last().map_or("", String::as_str)
    }

    pub(crate) fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses `xml` with quick-xml, failing the test on any well-formedness error; returns
/// every element in document order with its path from the root (local names).
pub(crate) fn parse_xml(xml: &str) -> Vec<Element> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<usize> = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut out: Vec<Element> = Vec::new();
    let mut roots = 0;
    loop {
        let event = reader.read_event().unwrap_or_else(|e| {
            panic!(
                "not well-formed at {}: {e}\n{xml}",
                reader.buffer_position()
            )
        });
        let empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if path.is_empty() {
                    roots += 1;
                }
                path.push(name);
                let mut attributes = Vec::new();
                for a in e.attributes() {
                    let a = a.unwrap_or_else(|err| panic!("bad attribute: {err}\n{xml}"));
                    let value = a
                        .unescape_value()
                        .unwrap_or_else(|err| panic!("bad attribute value: {err}"))
                        .into_owned();
                    attributes.push((
                        String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned(),
                        value,
                    ));
                }
                out.push(Element {
                    path: path.clone(),
                    attributes,
                    text: String::new(),
                });
                if empty {
                    path.pop();
                } else {
                    stack.push(out.len() - 1);
                }
            }
            Event::Text(t) => {
                let text = t.unescape().unwrap_or_else(|err| panic!("bad text: {err}"));
                if let Some(&i) = stack.last() {
                    out[i].text.push_str(&text);
                } else {
                    assert!(text.trim().is_empty(), "text outside the root: {text:?}");
                }
            }
            Event::CData(t) => {
                if let Some(&i) = stack.last() {
                    out[i].text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::End(_) => {
                stack.pop();
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(stack.is_empty(), "unclosed elements");
    assert_eq!(roots, 1, "one root element");
    out
}

pub(crate) use moisson_tests::moisson_binary;
