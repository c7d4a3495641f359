//! The validator (issue 17): `POST /api/validate` and `/valider` read a CSW endpoint, a
//! Hydra catalogue or a document as a harvest would, within `[validator]` limits, rate
//! limited per client, and never write to the store.

use axum::body::Body;
use axum::http::Request;
use axum::Extension;
use moisson_demo::csw::CswCatalogue;
use moisson_harvester::{FetchOptions, Fetcher};
use moisson_tests::{Route, Sandbox};
use moisson_web::api::validate::{ClientAddr, ValidatorSettings};
use tower::ServiceExt;

use crate::support::turtle_catalogue;

/// Serves `records` generated ISO 19139 records as a CSW endpoint on loopback; returns
/// its URL.
async fn csw_endpoint(records: u64) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let base = format!("http://{}/", listener.local_addr().expect("addr"));
    let catalogue = CswCatalogue {
        records,
        ..moisson_demo::csw::default_catalogues(records)[0].clone()
    };
    let url = format!("{base}{}", catalogue.path().trim_start_matches('/'));
    let router = axum::Router::new().fallback(move |request: axum::extract::Request| {
        let (catalogue, base) = (catalogue.clone(), base.clone());
        async move { moisson_demo::csw_server::answer(catalogue, base, request).await }
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    url
}

/// Every quad of the store, sorted, as text: what « nothing was written » compares.
fn store_dump(sandbox: &Sandbox) -> Vec<String> {
    let mut quads: Vec<String> = sandbox
        .store
        .oxigraph()
        .iter()
        .map(|q| q.expect("quad").to_string())
        .collect();
    quads.sort();
    quads
}

async fn send(router: axum::Router, request: Request<Body>) -> (u16, serde_json::Value, String) {
    let response = router.oneshot(request).await.expect("infallible");
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 64 << 20)
        .await
        .expect("body");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        text,
    )
}

fn json_post(body: serde_json::Value) -> Request<Body> {
    Request::post("/api/validate")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request")
}

/// A sandbox holding one harvested source, whose fetcher reaches loopback directly.
async fn sandbox() -> Sandbox {
    let mut sandbox = Sandbox::start().await;
    sandbox.server.set(
        "/cat.ttl",
        Route::Bytes(
            turtle_catalogue(&[1, 2, 3], None, None).into_bytes(),
            "text/turtle".into(),
        ),
    );
    let source = sandbox.source("ddt-29", &sandbox.server.url("/cat.ttl"));
    sandbox.harvest(&source).await;
    moisson_web::runner::assess_quality(&sandbox.store, &source).expect("quality");
    // The CSW servers of these tests are on loopback: reached directly.
    sandbox.set_fetcher(
        Fetcher::new(FetchOptions {
            retries: 0,
            timeout_secs: 30,
            allow_private_addresses: true,
            ..FetchOptions::default()
        })
        .expect("fetcher"),
    );
    sandbox
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validating_a_50_record_csw_endpoint_writes_nothing() {
    let sandbox = sandbox().await;
    let url = csw_endpoint(50).await;
    let before = store_dump(&sandbox);
    assert!(!before.is_empty());

    let started = std::time::Instant::now();
    let (status, report, text) = send(
        sandbox.app(),
        json_post(serde_json::json!({"url": url, "protocol": "csw"})),
    )
    .await;
    let wall = started.elapsed();
    assert_eq!(status, 200, "{text}");
    assert_eq!(report["record_count"], 50, "{report:#}");
    assert_eq!(report["total_hint"], 50);
    assert_eq!(report["iso19139"], true);
    assert!(report["pages"].as_u64().is_some_and(|p| p >= 1));
    assert!(report["truncated"].is_null(), "{}", report["truncated"]);
    assert!(report["score"]["points"].as_f64().is_some());
    assert!(report["fix_groups"]["counted"].is_array());
    // ISO producers read ISO elements in the advice.
    assert!(text.contains("gmd:"), "ISO advice");
    let after = store_dump(&sandbox);
    assert_eq!(before.len(), after.len(), "quads added or removed");
    assert!(before == after, "the store changed");
    println!(
        "POST /api/validate, 50-record CSW on loopback: {} pages, {:.0} ms wall, peak RSS {:.0} MiB (test process, machine shared with other builds), store unchanged ({} quads before and after)",
        report["pages"],
        wall.as_secs_f64() * 1000.0,
        moisson_tests::peak_rss_mib(),
        after.len()
    );

    // The caps: 20 records, then 1 page.
    let capped = sandbox.app().layer(Extension(ValidatorSettings {
        max_records: 20,
        ..ValidatorSettings::default()
    }));
    let (_, r, _) = send(capped, json_post(serde_json::json!({"url": url}))).await;
    assert_eq!(r["record_count"], 20, "{r:#}");
    assert!(r["truncated"]
        .as_str()
        .is_some_and(|t| t.contains("record cap")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_are_validated_from_the_body_and_the_french_form() {
    let sandbox = sandbox().await;
    let before = store_dump(&sandbox);
    let catalogue = CswCatalogue {
        records: 3,
        ..moisson_demo::csw::default_catalogues(3)[0].clone()
    };
    let iso = catalogue.answer(1, 3, "http://csw.example.org/");
    let request = Request::post("/api/validate")
        .header("content-type", "application/xml")
        .body(Body::from(iso.clone()))
        .expect("request");
    let (status, report, text) = send(sandbox.app(), request).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(report["record_count"], 3);
    assert_eq!(report["iso19139"], true);

    let turtle = turtle_catalogue(&[7], None, None);
    let request = Request::post("/api/validate")
        .header("content-type", "text/turtle")
        .body(Body::from(turtle))
        .expect("request");
    let (status, report, _) = send(sandbox.app(), request).await;
    assert_eq!(status, 200);
    assert_eq!(report["record_count"], 1);
    assert_eq!(report["iso19139"], false);

    // The French form, with a file (multipart/form-data).
    let boundary = "----moissonTest";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"url\"\r\n\r\n\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"fichier\"; filename=\"fiches.xml\"\r\nContent-Type: application/xml\r\n\r\n{iso}\r\n--{boundary}--\r\n"
    );
    let request = Request::post("/valider")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .expect("request");
    let (status, _, page) = send(sandbox.app(), request).await;
    assert_eq!(status, 200);
    assert!(page.contains("Rapport de validation"), "{page}");
    assert!(
        page.contains("3</span> fiches lues") || page.contains("3 fiches lues"),
        "{page}"
    );
    let (status, _, form) = send(
        sandbox.app(),
        Request::get("/valider")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(form.contains("enctype=\"multipart/form-data\""));
    assert!(store_dump(&sandbox) == before, "the store changed");

    // Bad requests say why.
    let (status, r, _) = send(
        sandbox.app(),
        json_post(serde_json::json!({"url": "file:///etc/passwd"})),
    )
    .await;
    assert_eq!(status, 400, "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_validator_is_rate_limited_and_keeps_the_harvest_address_policy() {
    let sandbox = sandbox().await;
    let url = csw_endpoint(2).await;
    let limited = || {
        sandbox
            .app()
            .layer(Extension(ValidatorSettings {
                requests_per_minute: 1,
                ..ValidatorSettings::default()
            }))
            .layer(Extension(ClientAddr("198.51.100.77".parse().expect("ip"))))
    };
    let (first, _, _) = send(limited(), json_post(serde_json::json!({"url": url}))).await;
    assert_eq!(first, 200);
    let (second, r, _) = send(limited(), json_post(serde_json::json!({"url": url}))).await;
    assert_eq!(second, 429, "{r}");
    assert_eq!(r["error"]["code"], "rate_limited");

    // A public-only fetcher (the default policy) never reaches loopback for a validation.
    let mut public = sandbox;
    public.set_fetcher(
        Fetcher::new(FetchOptions {
            retries: 0,
            ..FetchOptions::default()
        })
        .expect("fetcher"),
    );
    let (status, r, _) = send(public.app(), json_post(serde_json::json!({"url": url}))).await;
    assert_eq!(status, 422, "{r}");
    assert_eq!(r["error"]["code"], "unreadable");
    println!("loopback refused: {}", r["error"]["message"]);
}
