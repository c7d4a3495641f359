//! `/sparql`: protocol variants, formats, read-only, limits, and agreement with the API.

use axum::body::Body;
use axum::http::Request;
use axum::Extension;
use moisson_tests::{Route, Sandbox};
use moisson_web::api::sparql::SparqlLimits;
use std::time::{Duration, Instant};

use super::{get, send};
use crate::support::turtle_catalogue;

async fn sandbox_with(ids: &[u32]) -> Sandbox {
    let sandbox = Sandbox::start().await;
    sandbox.server.set(
        "/ddt.ttl",
        Route::Bytes(
            turtle_catalogue(ids, None, None).into_bytes(),
            "text/turtle".into(),
        ),
    );
    let source = sandbox.source("ddt-29", &sandbox.server.url("/ddt.ttl"));
    sandbox.harvest(&source).await;
    sandbox
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

const COUNT_DATASETS: &str =
    "SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }";

fn first_binding(reply: &super::Reply, variable: &str) -> String {
    let json = reply.json();
    json["results"]["bindings"][0][variable]["value"]
        .as_str()
        .unwrap_or_else(|| panic!("no {variable} in {json}"))
        .to_owned()
}

fn post(uri: &str, content_type: &str, body: String) -> Request<Body> {
    Request::post(uri)
        .header("content-type", content_type)
        .body(Body::from(body))
        .expect("request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sparql_protocol_variants_and_result_formats() {
    let sandbox = sandbox_with(&[1, 2, 3, 4, 5]).await;
    let app = sandbox.app();
    let q = encode(COUNT_DATASETS);

    let reply = get(&app, &format!("/sparql?query={q}"), &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.header("content-type").as_deref(),
        Some("application/sparql-results+json")
    );
    assert_eq!(first_binding(&reply, "n"), "5");

    let reply = send(
        &app,
        post(
            "/sparql",
            "application/x-www-form-urlencoded",
            format!("query={q}"),
        ),
    )
    .await;
    assert_eq!(first_binding(&reply, "n"), "5");
    let reply = send(
        &app,
        post("/sparql", "application/sparql-query", COUNT_DATASETS.into()),
    )
    .await;
    assert_eq!(first_binding(&reply, "n"), "5");

    for (accept, media, needle) in [
        (
            "application/sparql-results+xml",
            "application/sparql-results+xml",
            "<sparql",
        ),
        ("text/csv", "text/csv", "n\r\n5"),
        (
            "text/tab-separated-values",
            "text/tab-separated-values",
            "?n\n5",
        ),
    ] {
        let reply = get(&app, &format!("/sparql?query={q}"), &[("accept", accept)]).await;
        assert_eq!(reply.header("content-type").as_deref(), Some(media));
        assert!(reply.text().contains(needle), "{accept}: {}", reply.text());
    }
    let reply = get(&app, &format!("/sparql?query={q}&format=csv"), &[]).await;
    assert_eq!(reply.header("content-type").as_deref(), Some("text/csv"));

    let construct = encode(
        "CONSTRUCT { ?d <http://purl.org/dc/terms/title> ?t } WHERE { ?d <http://purl.org/dc/terms/title> ?t }",
    );
    let reply = get(&app, &format!("/sparql?query={construct}"), &[]).await;
    assert_eq!(reply.header("content-type").as_deref(), Some("text/turtle"));
    assert!(reply.text().contains("Zones humides du Finistère n°3"));
    let reply = get(
        &app,
        &format!("/sparql?query={construct}"),
        &[("accept", "application/n-triples")],
    )
    .await;
    assert_eq!(reply.text().lines().count(), 5, "{}", reply.text());

    let ask = encode("ASK { ?s ?p ?o }");
    let reply = get(&app, &format!("/sparql?query={ask}"), &[]).await;
    assert_eq!(reply.json()["boolean"], true);

    assert_eq!(get(&app, "/sparql?query=SELEKT", &[]).await.status, 400);
    assert_eq!(get(&app, "/sparql", &[]).await.status, 400);
    let form = get(&app, "/sparql", &[("accept", "text/html")]).await;
    assert_eq!(form.status, 200);
    assert!(form.text().contains("<form") && !form.text().contains("<script"));
    // Issue 18: a browser's query is answered in the site's layout, results as a table,
    // with links to the same query as CSV and JSON; a bad query is a French page (400).
    let select =
        encode("SELECT ?t WHERE { ?d <http://purl.org/dc/terms/title> ?t } ORDER BY ?t LIMIT 2");
    let page = get(
        &app,
        &format!("/sparql?query={select}"),
        &[("accept", "text/html")],
    )
    .await;
    assert_eq!(page.status, 200);
    let html = page.text();
    for expected in [
        "<main",
        "<table",
        "<th scope=\"col\">?t</th>",
        "Zones humides du Finistère n°1",
        "format=csv",
        "format=json",
        "PREFIX dcat:",
    ] {
        assert!(html.contains(expected), "{expected}: {html}");
    }
    let bad = get(&app, "/sparql?query=SELEKT", &[("accept", "text/html")]).await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.text().contains("n'a pas pu être exécutée"),
        "{}",
        bad.text()
    );
    // Programs that ask for a format still get it.
    let csv = get(
        &app,
        &format!("/sparql?query={select}&format=csv"),
        &[("accept", "text/html")],
    )
    .await;
    assert_eq!(csv.header("content-type").as_deref(), Some("text/csv"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sparql_is_read_only_and_sees_only_active_records() {
    let sandbox = sandbox_with(&[1, 2, 3, 4, 5]).await;
    let app = sandbox.app();
    let update = "INSERT DATA { <http://x.org/s> <http://x.org/p> <http://x.org/o> }";
    let refused = [
        post(
            "/sparql",
            "application/x-www-form-urlencoded",
            format!("update={}", encode(update)),
        ),
        post("/sparql", "application/sparql-update", update.into()),
        post("/sparql", "application/sparql-query", update.into()),
    ];
    for request in refused {
        let reply = send(&app, request).await;
        assert_eq!(reply.status, 403, "{}", reply.text());
    }
    // The record store's graphs, and the SPARQL store's own counts of triples several
    // records state, are out of reach, by `GRAPH ?g`, by name and by `FROM`.
    for hidden in [
        "urn:moisson:meta",
        "urn:moisson:registry",
        "urn:moisson:sparql",
    ] {
        let q = encode(&format!(
            "SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), \"{hidden}\")) }}"
        ));
        let reply = get(&app, &format!("/sparql?query={q}"), &[]).await;
        assert_eq!(first_binding(&reply, "n"), "0", "{hidden} leaks");
    }
    for graph in ["urn:moisson:meta", "urn:moisson:sparql:shared:2"] {
        let q = encode(&format!("ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"));
        assert_eq!(
            get(&app, &format!("/sparql?query={q}"), &[]).await.json()["boolean"],
            false,
            "{graph}"
        );
        let q = encode(&format!("ASK FROM <{graph}> {{ ?s ?p ?o }}"));
        assert_eq!(
            get(&app, &format!("/sparql?query={q}"), &[]).await.json()["boolean"],
            false,
            "{graph}"
        );
    }
    let q = encode("SELECT * WHERE { ?s <urn:moisson:ns#hash> ?o } LIMIT 1");
    let reply = get(&app, &format!("/sparql?query={q}"), &[]).await;
    assert_eq!(reply.json()["results"]["bindings"], serde_json::json!([]));

    // A withdrawn record disappears from SPARQL.
    sandbox.server.set(
        "/ddt.ttl",
        Route::Bytes(
            turtle_catalogue(&[1, 2, 3, 4], None, None).into_bytes(),
            "text/turtle".into(),
        ),
    );
    let source = sandbox.source("ddt-29", &sandbox.server.url("/ddt.ttl"));
    sandbox.harvest(&source).await;
    let reply = get(
        &sandbox.app(),
        &format!("/sparql?query={}", encode(COUNT_DATASETS)),
        &[],
    )
    .await;
    assert_eq!(first_binding(&reply, "n"), "4");
}

/// Every example of the `/sparql` page answers rows over a harvested catalogue (the
/// default graph holds only the records: labels and Moisson's themes are named graphs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_queries_of_the_sparql_page_answer_rows() {
    let sandbox = Sandbox::start().await;
    // As `serve` does at start (the labels the first example reads).
    sandbox.store.load_vocabularies().expect("vocabularies");
    sandbox.server.set(
        "/ddt.ttl",
        Route::Bytes(
            format!(
                "{}<https://ddt.example.org/jdd/2> dct:modified \"2026-11-30\"^^<http://www.w3.org/2001/XMLSchema#date> .\n",
                turtle_catalogue(&[1, 2, 3], None, None)
            )
            .into_bytes(),
            "text/turtle".into(),
        ),
    );
    let source = sandbox.source("ddt-29", &sandbox.server.url("/ddt.ttl"));
    sandbox.harvest(&source).await;
    let app = sandbox.app();
    for (title, query) in moisson_web::SPARQL_EXAMPLES {
        let reply = get(&app, &format!("/sparql?query={}", encode(query)), &[]).await;
        assert_eq!(reply.status, 200, "{title}: {}", reply.text());
        let rows = reply.json()["results"]["bindings"]
            .as_array()
            .map_or(0, Vec::len);
        assert!(rows > 0, "{title}: no rows");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sparql_counts_per_theme_agree_with_the_themes_api() {
    let sandbox = super::harvested_sandbox().await;
    let app = sandbox.app();
    let q = encode(
        "SELECT ?theme (COUNT(DISTINCT ?d) AS ?n) WHERE { \
         GRAPH <urn:moisson:classification> { ?d <http://www.w3.org/ns/dcat#theme> ?theme } } \
         GROUP BY ?theme",
    );
    let reply = get(&app, &format!("/sparql?query={q}"), &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let mut counted = std::collections::BTreeMap::new();
    for b in reply.json()["results"]["bindings"]
        .as_array()
        .expect("bindings")
    {
        counted.insert(
            b["theme"]["value"].as_str().expect("theme").to_owned(),
            b["n"]["value"]
                .as_str()
                .expect("n")
                .parse::<u64>()
                .expect("count"),
        );
    }
    let (_, themes) = sandbox.get_json("/api/themes").await;
    let mut compared = 0;
    for top in themes.as_array().expect("themes") {
        let subs = top["sub_themes"].as_array().cloned().unwrap_or_default();
        for t in std::iter::once(top).chain(subs.iter()) {
            let iri = t["iri"].as_str().expect("iri");
            let api = t["count"].as_u64().expect("count");
            assert_eq!(counted.get(iri).copied().unwrap_or(0), api, "theme {iri}");
            compared += u64::from(api > 0);
        }
    }
    assert!(compared >= 2, "too few themes with datasets: {counted:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_past_the_time_limit_fails_while_the_server_answers_others() {
    let sandbox = sandbox_with(&(1..=40).collect::<Vec<_>>()).await;
    let app = sandbox.app().layer(Extension(SparqlLimits {
        timeout: Duration::from_millis(800),
        max_results: 3,
        ..SparqlLimits::default()
    }));
    let slow = encode("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }");
    let started = Instant::now();
    let long = {
        let app = app.clone();
        tokio::spawn(async move { get(&app, &format!("/sparql?query={slow}"), &[]).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let health = get(&app, "/healthz", &[]).await;
    assert_eq!(health.status, 200);
    let quick = get(
        &app,
        &format!("/sparql?query={}", encode("ASK { ?s ?p ?o }")),
        &[],
    )
    .await;
    assert_eq!(quick.status, 200, "{}", quick.text());
    assert!(
        !long.is_finished(),
        "other requests were answered while the slow query ran"
    );
    let reply = long.await.expect("task");
    assert_eq!(reply.status, 503, "{}", reply.text());
    assert_eq!(reply.json()["error"]["code"], "timeout");
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(5),
        "cancelled late: {elapsed:?}"
    );

    let all = encode("SELECT ?d WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }");
    let reply = get(&app, &format!("/sparql?query={all}"), &[]).await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(reply.text().contains("more than 3 results"));
}

/// `[server] sparql = false`: every way of asking says SPARQL is off (404, not an empty
/// answer), and nothing is evaluated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_sparql_says_so_on_every_request() {
    let sandbox = sandbox_with(&[1, 2]).await;
    let app = sandbox.app().layer(Extension(SparqlLimits {
        enabled: false,
        ..SparqlLimits::default()
    }));
    let q = encode(COUNT_DATASETS);
    let replies = [
        get(&app, &format!("/sparql?query={q}"), &[]).await,
        get(&app, "/sparql", &[("accept", "text/html")]).await,
        send(
            &app,
            post(
                "/sparql",
                "application/sparql-query",
                COUNT_DATASETS.to_owned(),
            ),
        )
        .await,
        send(
            &app,
            post(
                "/sparql",
                "application/sparql-update",
                "CLEAR ALL".to_owned(),
            ),
        )
        .await,
    ];
    for reply in replies {
        assert_eq!(reply.status, 404, "{}", reply.text());
        assert!(
            reply.text().contains("SPARQL is turned off"),
            "{}",
            reply.text()
        );
    }
    // The same sandbox with SPARQL on answers.
    let reply = get(&sandbox.app(), &format!("/sparql?query={q}"), &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
}
