//! `/api/openapi.json`, `/api/docs` and `/metrics`.

use axum::body::Body;
use axum::http::Request;
use moisson_tests::{Route, Sandbox};
use std::collections::BTreeSet;
use std::path::Path;

use super::{get, send};
use crate::support::turtle_catalogue;

/// The (method, path) of every `.route("/api/…", get(…).post(…))` the web crate declares.
fn declared_api_routes() -> BTreeSet<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/src");
    let mut out = BTreeSet::new();
    let mut stack = vec![src];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("web/src").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("source file");
            for (i, _) in text.match_indices(".route(\"/api/") {
                let rest = &text[i + ".route(\"".len()..];
                let route = &rest[..rest.find('"').expect("closing quote")];
                let call = &rest[..rest.find("))").map_or(rest.len(), |e| e + 2)];
                for method in ["get", "post", "put", "delete", "patch"] {
                    if call.contains(&format!("{method}(")) {
                        out.insert((method.to_owned(), route.to_owned()));
                    }
                }
            }
        }
    }
    out
}

async fn small_sandbox() -> Sandbox {
    let sandbox = Sandbox::start().await;
    sandbox.server.set(
        "/ddt.ttl",
        Route::Bytes(
            turtle_catalogue(&[1, 2, 3, 4, 5], None, None).into_bytes(),
            "text/turtle".into(),
        ),
    );
    let source = sandbox.source("ddt-29", &sandbox.server.url("/ddt.ttl"));
    sandbox.harvest(&source).await;
    sandbox
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_describes_exactly_the_api_routes_of_the_router() {
    let sandbox = small_sandbox().await;
    let app = sandbox.app();
    let reply = get(&app, "/api/openapi.json", &[]).await;
    assert_eq!(reply.status, 200);
    let doc = reply.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            assert!(op["responses"].is_object(), "{method} {path}");
            documented.insert((method.clone(), path.clone()));
        }
    }
    let declared = declared_api_routes();
    assert!(declared.len() >= 10, "{declared:?}");
    assert_eq!(documented, declared, "documented vs declared /api routes");

    // The router answers every documented route (not its fallback, which says "no
    // route"), and only them.
    let is_api_answer = |reply: &super::Reply| {
        let fallback = reply.status == 404
            && reply.json()["error"]["message"]
                .as_str()
                .is_none_or(|m| m.starts_with("no route"));
        !fallback
    };
    for (method, path) in &documented {
        let uri = path.replace("{id}", "nope");
        let request = Request::builder()
            .method(method.to_uppercase().as_str())
            .uri(&uri)
            .body(Body::empty())
            .expect("request");
        let reply = send(&app, request).await;
        assert!(is_api_answer(&reply), "{method} {uri}: {}", reply.status);
    }
    let unknown = get(&app, "/api/not-an-endpoint", &[]).await;
    assert!(!is_api_answer(&unknown), "the check can fail");

    let docs = get(&app, "/api/docs", &[]).await;
    assert_eq!(docs.status, 200);
    let html = docs.text();
    for (_, path) in &documented {
        assert!(html.contains(path.as_str()), "/api/docs lacks {path}");
    }
    assert!(html.contains("lang=\"fr\"") && !html.contains("<script"));
}

/// Returns the value of the sample `series` (exact name and labels) in `text`.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_expose_harvests_requests_and_sizes() {
    let sandbox = small_sandbox().await;
    let app = sandbox.app();
    assert_eq!(get(&app, "/api/sources", &[]).await.status, 200);
    assert_eq!(get(&app, "/api/datasets/nope", &[]).await.status, 404);
    let reply = get(&app, "/metrics", &[]).await;
    assert_eq!(reply.status, 200);
    assert!(reply
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/plain; version=0.0.4")));
    let text = reply.text();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').expect("name value");
        assert!(value.parse::<f64>().is_ok(), "{line}");
        assert!(series.starts_with("moisson_"), "{line}");
    }
    let expect = |series: &str, value: f64| {
        assert_eq!(sample(&text, series), Some(value), "{series} in\n{text}");
    };
    expect(
        r#"moisson_harvest_jobs_total{source="ddt-29",status="ok"}"#,
        1.0,
    );
    expect(
        r#"moisson_harvest_records_total{source="ddt-29",outcome="added"}"#,
        5.0,
    );
    expect(
        r#"moisson_harvest_records_total{source="ddt-29",outcome="rejected"}"#,
        0.0,
    );
    expect(
        r#"moisson_harvest_duration_seconds_count{source="ddt-29"}"#,
        1.0,
    );
    expect(r#"moisson_harvest_running{source="ddt-29"}"#, 0.0);
    expect(r#"moisson_records{source="ddt-29",kind="dataset"}"#, 5.0);
    expect(
        r#"moisson_http_requests_total{method="GET",route="/api/sources",status="200"}"#,
        1.0,
    );
    expect(
        r#"moisson_http_requests_total{method="GET",route="/api/datasets/{id}",status="404"}"#,
        1.0,
    );
    expect(
        r#"moisson_http_request_duration_seconds_count{method="GET",route="/api/sources"}"#,
        1.0,
    );
    expect("moisson_index_documents", 5.0);
    // Nothing searches while /metrics answers.
    expect(r#"moisson_searches{state="computing"}"#, 0.0);
    expect(r#"moisson_searches{state="waiting"}"#, 0.0);
    assert!(sample(&text, "moisson_store_size_bytes").is_some_and(|b| b > 0.0));
    assert!(sample(&text, "moisson_index_size_bytes").is_some_and(|b| b > 0.0));
    // Memory: the process's resident size and, on Linux (jemalloc), the allocator's.
    let resident = sample(&text, "moisson_resident_memory_bytes").expect("resident");
    assert!(resident > 1e6, "{resident}");
    if cfg!(target_os = "linux") {
        let figure = |f: &str| {
            sample(
                &text,
                &format!(r#"moisson_allocator_bytes{{figure="{f}"}}"#),
            )
            .unwrap_or_else(|| panic!("allocator figure {f} in\n{text}"))
        };
        let (allocated, active) = (figure("allocated"), figure("active"));
        assert!(
            allocated > 0.0 && active >= allocated,
            "{allocated} {active}"
        );
        assert!(figure("mapped") >= active);
        assert!(figure("resident") > 0.0);
    }
    for family in [
        "moisson_harvest_jobs_total counter",
        "moisson_http_request_duration_seconds histogram",
        "moisson_store_size_bytes gauge",
    ] {
        assert!(text.contains(&format!("# TYPE {family}")), "{family}");
    }
}
