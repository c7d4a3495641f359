//! Issue 14: snapshots of what a reviewer most wants to see a diff of: one export of each
//! syntax, the main API answers and one page of each type, on a small harvested catalogue.
//! Times, durations, job ids and loopback ports are redacted; everything else is compared
//! byte for byte (`cargo insta review` after an intended change).

use axum::body::Body;
use moisson_catalog::{dataset_id, ExportFormat};
use moisson_tests::{Route, Sandbox};
use regex::Regex;
use tower::ServiceExt;

use crate::support::turtle_catalogue;

async fn harvested() -> Sandbox {
    let sandbox = Sandbox::start().await;
    sandbox.server.set(
        "/cat.ttl",
        Route::Bytes(
            (turtle_catalogue(&[1, 2, 3], None, None)
                + "<https://ddt.example.org/jdd/2> <http://www.w3.org/ns/dcat#keyword> \"zorglub\"@fr .\n")
                .into_bytes(),
            "text/turtle".into(),
        ),
    );
    let source = sandbox.source("ddt-29", &sandbox.server.url("/cat.ttl"));
    let report = sandbox.harvest(&source).await;
    assert_eq!(report.counts.added, 3, "{report:?}");
    sandbox
}

/// Replaces what changes from one run to the next.
fn redact(text: &str) -> String {
    let rules = [
        (
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?",
            "[time]",
        ),
        (r"\d{8}T\d{6}(\.\d+)?Z", "[time]"),
        (
            r"\d{1,2}(er)? (janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre) \d{4}( à \d{1,2}[:h]\d{2})?",
            "[date]",
        ),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[port]"),
        (
            r#""(duration_ms|elapsed_ms|took_ms)":\s*\d+"#,
            r#""$1":"[ms]""#,
        ),
        (
            r"à \d{1,2}[\s\u{a0}\u{202f}]h[\s\u{a0}\u{202f}]\d{2}",
            "à [heure]",
        ),
        (r"\d+([,.]\d+)?[\s\u{a0}\u{202f}]m?s\b", "[durée]"),
    ];
    let mut out = text.to_owned();
    for (pattern, replacement) in rules {
        out = Regex::new(pattern)
            .expect("pattern")
            .replace_all(&out, replacement)
            .into_owned();
    }
    out
}

async fn get(sandbox: &Sandbox, path: &str) -> String {
    let request = axum::http::Request::get(path)
        .header("host", "moisson.test")
        .body(Body::empty())
        .expect("request");
    let response = sandbox.app().oneshot(request).await.expect("infallible");
    assert_eq!(response.status(), 200, "{path}");
    let bytes = axum::body::to_bytes(response.into_body(), 16 << 20)
        .await
        .expect("body");
    redact(&String::from_utf8_lossy(&bytes))
}

fn pretty_json(text: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(text).expect("json");
    serde_json::to_string_pretty(&value).expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_of_each_syntax() {
    let sandbox = harvested().await;
    for (name, format) in [
        ("turtle", ExportFormat::Turtle),
        ("rdfxml", ExportFormat::RdfXml),
        ("jsonld", ExportFormat::JsonLd),
        ("ntriples", ExportFormat::NTriples),
    ] {
        let mut out = Vec::new();
        sandbox
            .store
            .export(format, "http://moisson.test/catalog", &mut out)
            .expect("export");
        let mut text = redact(&String::from_utf8(out).expect("utf-8"));
        if format == ExportFormat::NTriples {
            // Triple order is the store's; the set is what matters.
            let mut lines: Vec<&str> = text.lines().collect();
            lines.sort_unstable();
            text = lines.join("\n");
        }
        insta::assert_snapshot!(format!("export_{name}"), text);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn main_api_answers() {
    let sandbox = harvested().await;
    let id = dataset_id("https://ddt.example.org/jdd/2");
    for (name, path) in [
        ("api_sources", "/api/sources".to_owned()),
        ("api_dataset", format!("/api/datasets/{id}")),
        ("api_search", "/api/datasets?q=zorglub".to_owned()),
        // Three records with equal scores: they come in the same order on every run.
        (
            "api_search_ties",
            "/api/datasets?q=zones%20humides".to_owned(),
        ),
        ("api_quality", "/api/sources/ddt-29/quality".to_owned()),
        (
            "api_quality_indicators",
            "/api/quality/indicators".to_owned(),
        ),
    ] {
        let body = get(&sandbox, &path).await;
        insta::assert_snapshot!(name, pretty_json(&body));
    }
}

/// SPARQL answers in each result syntax, over the default graph: the active records as
/// their producers published them (Moisson's classification is a named graph of its own).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sparql_answers() {
    let sandbox = harvested().await;
    let select =
        "PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dct: <http://purl.org/dc/terms/> \
                  SELECT ?d ?title ?theme WHERE { ?d a dcat:Dataset ; dct:title ?title \
                  OPTIONAL { ?d dcat:theme ?theme } } ORDER BY ?d ?title ?theme";
    let construct = "PREFIX dcat: <http://www.w3.org/ns/dcat#> \
                     CONSTRUCT { ?d ?p ?o } WHERE { ?d a dcat:Dataset ; ?p ?o \
                     FILTER(?d = <https://ddt.example.org/jdd/2>) }";
    let encode = |q: &str| url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>();
    for (name, query, format) in [
        ("sparql_select_json", select, "json"),
        ("sparql_select_csv", select, "csv"),
        ("sparql_select_xml", select, "xml"),
        ("sparql_construct_ntriples", construct, "ntriples"),
    ] {
        let body = get(
            &sandbox,
            &format!("/sparql?query={}&format={format}", encode(query)),
        )
        .await;
        let body = match format {
            "json" => pretty_json(&body),
            // Triple order is the evaluator's; the set is what matters.
            "ntriples" => {
                let mut lines: Vec<&str> = body.lines().collect();
                lines.sort_unstable();
                lines.join("\n")
            }
            _ => body,
        };
        insta::assert_snapshot!(name, body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_page_of_each_type() {
    let sandbox = harvested().await;
    let id = dataset_id("https://ddt.example.org/jdd/2");
    for (name, path) in [
        ("page_home", "/".to_owned()),
        ("page_search", "/recherche?q=zorglub".to_owned()),
        ("page_dataset", format!("/jeux-de-donnees/{id}")),
        ("page_catalogues", "/catalogues".to_owned()),
        ("page_dashboard", "/catalogues/ddt-29".to_owned()),
        ("page_producers", "/producteurs".to_owned()),
    ] {
        let body = get(&sandbox, &path).await;
        insta::assert_snapshot!(name, body);
    }
}
