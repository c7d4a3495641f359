//! Issue 13, the smaller request classes: what a request's headers or a harvested value
//! can no longer do to the pages, the API, `/catalog` and `/metrics`.

use axum::body::Body;
use axum::http::Request;
use moisson_catalog::dataset_id;
use moisson_tests::{Route, Sandbox};

use crate::interfaces::{get, send};
use crate::support::turtle_catalogue;

/// A catalogue whose dataset 2 has link fields a browser would run.
fn catalogue_with_script_links() -> String {
    let mut text = turtle_catalogue(&[1, 2], None, None);
    text.push_str(
        "<https://ddt.example.org/jdd/2> dcat:landingPage <javascript:alert(1)> ;\n\
         dcat:distribution [ a dcat:Distribution ; dcat:downloadURL <data:text/html,hello> ;\n\
         dcat:accessURL <https://ddt.example.org/files/ok.zip> ] .\n",
    );
    text
}

async fn sandbox() -> Sandbox {
    let sandbox = Sandbox::start().await;
    sandbox.server.set(
        "/ddt.ttl",
        Route::Bytes(
            catalogue_with_script_links().into_bytes(),
            "text/turtle".into(),
        ),
    );
    let source = sandbox.source("ddt-29", &sandbox.server.url("/ddt.ttl"));
    sandbox.harvest(&source).await;
    sandbox
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_requests_cannot_inject_through_headers_links_or_methods() {
    let sandbox = sandbox().await;
    let app = sandbox.app();

    // The SPARQL form and the API docs carry the policy of every page.
    for (path, headers) in [
        ("/sparql", vec![("accept", "text/html")]),
        ("/api/docs", vec![]),
    ] {
        let reply = get(&app, path, &headers).await;
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(
            reply.header("content-security-policy").as_deref(),
            Some(moisson_web::ui::CONTENT_SECURITY_POLICY),
            "{path}"
        );
    }

    // `/catalog` mints its IRIs under the configured public URL, whatever the headers say.
    let reply = get(
        &app,
        "/catalog?format=ntriples",
        &[
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "evil.example"),
        ],
    )
    .await;
    let text = reply.text();
    assert!(text.contains("<http://moisson.test/catalog>"), "{text}");
    assert!(!text.contains("https://moisson.test") && !text.contains("evil.example"));
    let request = Request::get("/catalog?format=ntriples")
        .header("host", "evil.example")
        .body(Body::empty())
        .expect("request");
    let text = send(&app, request).await.text();
    assert!(text.contains("<http://moisson.test/catalog>") && !text.contains("evil.example"));

    // Script and data URLs leave the API's link fields, flagged, and are never links.
    let id = dataset_id("https://ddt.example.org/jdd/2");
    let reply = get(&app, &format!("/api/datasets/{id}"), &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let json = reply.json();
    assert!(json["landing_page"].is_null(), "{json}");
    let links = json.to_string();
    let unsafe_links = json["unsafe_links"].as_array().expect("unsafe_links");
    assert_eq!(unsafe_links.len(), 2, "{json}");
    assert!(unsafe_links.iter().all(|l| l["unsafe"] == true));
    for distribution in json["distributions"].as_array().expect("distributions") {
        for field in ["access_urls", "download_urls"] {
            for url in distribution[field].as_array().expect("urls") {
                let url = url.as_str().expect("url");
                assert!(url.starts_with("https://"), "{field}: {url} in {links}");
            }
        }
    }
    let page = get(&app, &format!("/jeux-de-donnees/{id}"), &[])
        .await
        .text();
    assert!(!page.contains("href=\"javascript:") && !page.contains("href=\"data:"));

    // Invented methods share one `other` label in the metrics.
    for method in ["FOOBAR1", "FOOBAR2", "FOOBAR3"] {
        let request = Request::builder()
            .method(method)
            .uri("/healthz")
            .body(Body::empty())
            .expect("request");
        send(&app, request).await;
    }
    let metrics = get(&app, "/metrics", &[]).await.text();
    assert!(!metrics.contains("FOOBAR"), "{metrics}");
    assert!(metrics.contains("method=\"other\""), "{metrics}");
}
