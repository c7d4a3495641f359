//! The JSON API over a harvested sandbox.

use moisson_catalog::dataset_id;
use moisson_tests::{Route, Sandbox};

use crate::support::turtle_catalogue;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sources_jobs_and_datasets_are_served() {
    let sandbox = Sandbox::start().await;
    sandbox.server.set(
        "/cat.ttl",
        Route::Bytes(
            turtle_catalogue(&[1, 2, 3], None, None).into_bytes(),
            "text/turtle".into(),
        ),
    );
    let source = sandbox.source("ddt-29", &sandbox.server.url("/cat.ttl"));
    sandbox.harvest(&source).await;

    let (status, body) = sandbox.get_json("/healthz").await;
    assert_eq!(status, 200, "{body}");

    let (status, sources) = sandbox.get_json("/api/sources").await;
    assert_eq!(status, 200);
    let s = &sources[0];
    assert_eq!(s["id"], "ddt-29");
    assert_eq!(s["protocol"], "dcat");
    assert_eq!(s["dataset_count"], 3);
    assert_eq!(s["service_count"], 0);
    let job = &s["last_job"];
    assert_eq!(job["status"], "ok");
    assert_eq!(job["added"], 3);
    assert_eq!(job["pages"], 1);
    for key in [
        "started",
        "finished",
        "updated",
        "unchanged",
        "removed",
        "rejected",
        "errors",
    ] {
        assert!(!job[key].is_null(), "last_job.{key} missing: {job}");
    }

    let (status, jobs) = sandbox.get_json("/api/sources/ddt-29/jobs").await;
    assert_eq!(status, 200);
    assert_eq!(jobs.as_array().map(Vec::len), Some(1));
    let (status, err) = sandbox.get_json("/api/sources/nope/jobs").await;
    assert_eq!(status, 404);
    assert_eq!(err["error"]["code"], "not_found");

    let id = dataset_id("https://ddt.example.org/jdd/2");
    let (status, ds) = sandbox.get_json(&format!("/api/datasets/{id}")).await;
    assert_eq!(status, 200, "{ds}");
    assert_eq!(ds["title"], "Zones humides du Finistère n°2");
    assert_eq!(ds["publisher"], "DDT du Finistère");
    assert_eq!(ds["contact_email"], "eau@ddt.example.org");
    assert_eq!(ds["distributions"].as_array().map(Vec::len), Some(1));
    assert_eq!(ds["formats"][0], "SHP");
    assert_eq!(ds["sources"][0]["source"], "ddt-29");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_dataset_from_two_sources_is_one_dataset_with_two_sources() {
    let sandbox = Sandbox::start().await;
    let body = turtle_catalogue(&[7], None, None).into_bytes();
    sandbox
        .server
        .set("/a.ttl", Route::Bytes(body.clone(), "text/turtle".into()));
    sandbox
        .server
        .set("/b.ttl", Route::Bytes(body, "text/turtle".into()));
    sandbox
        .harvest(&sandbox.source("ddt-a", &sandbox.server.url("/a.ttl")))
        .await;
    sandbox
        .harvest(&sandbox.source("dreal-b", &sandbox.server.url("/b.ttl")))
        .await;
    let (_, ds) = sandbox
        .get_json(&format!(
            "/api/datasets/{}",
            dataset_id("https://ddt.example.org/jdd/7")
        ))
        .await;
    let sources: Vec<&str> = ds["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .filter_map(|s| s["source"].as_str())
        .collect();
    assert_eq!(sources, ["ddt-a", "dreal-b"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harvest_trigger_needs_the_admin_token() {
    use tower::ServiceExt;
    let sandbox = Sandbox::start().await;
    sandbox.source("ddt-29", &sandbox.server.url("/cat.ttl"));
    let request = |auth: Option<&str>| {
        let mut r = axum::http::Request::post("/api/sources/ddt-29/harvest");
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        r.body(axum::body::Body::empty()).expect("request")
    };
    let app = sandbox.app();
    assert_eq!(
        app.clone()
            .oneshot(request(None))
            .await
            .expect("ok")
            .status(),
        401
    );
    assert_eq!(
        app.clone()
            .oneshot(request(Some("Bearer wrong")))
            .await
            .expect("ok")
            .status(),
        401
    );
    assert_eq!(
        app.oneshot(request(Some("Bearer test-token")))
            .await
            .expect("ok")
            .status(),
        202
    );
}
