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

/// A source added at run time (admin API) is classified with its own territory from its
/// first harvest: the index follows the live sources, not the list read at start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_added_at_run_time_lends_its_territory_to_its_records() {
    use tower::ServiceExt;
    let sandbox = Sandbox::start().await;
    sandbox.server.set(
        "/haies.ttl",
        moisson_tests::Route::Bytes(
            b"@prefix dcat: <http://www.w3.org/ns/dcat#> .\n\
              @prefix dct: <http://purl.org/dc/terms/> .\n\
              <https://bocage.example.org/jdd/haies> a dcat:Dataset ;\n\
                dct:title \"Inventaire des haies bocag\xc3\xa8res\"@fr ;\n\
                dct:description \"Lin\xc3\xa9aire de haies relev\xc3\xa9 sur le terrain.\"@fr .\n"
                .to_vec(),
            "text/turtle".into(),
        ),
    );
    let app = sandbox.app();
    let body = serde_json::json!({
        "name": "Syndicat du bocage",
        "url": sandbox.server.url("/haies.ttl"),
        "territory": "56",
        "publisher_kind": "Syndicat",
    });
    let put = axum::http::Request::put("/api/sources/bocage")
        .header("authorization", "Bearer test-token")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body.to_string()))
        .expect("request");
    let status = app.clone().oneshot(put).await.expect("ok").status();
    assert_eq!(status, 201);
    let post = axum::http::Request::post("/api/sources/bocage/harvest")
        .header("authorization", "Bearer test-token")
        .body(axum::body::Body::empty())
        .expect("request");
    assert_eq!(app.clone().oneshot(post).await.expect("ok").status(), 202);
    // What the index computed: the territory facet and filter count the dataset.
    let id = dataset_id("https://bocage.example.org/jdd/haies");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (_, source) = sandbox.get_json("/api/sources/bocage").await;
        let (_, found) = sandbox.get_json("/api/datasets?q=haies&territory=56").await;
        let ids: Vec<&str> = found["results"]
            .as_array()
            .map(|r| r.iter().filter_map(|d| d["id"].as_str()).collect())
            .unwrap_or_default();
        if ids.contains(&id.as_str()) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not found under the source's territory after the harvest: {} / {}",
            source["last_job"]["status"],
            found
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
