//! The quality autodiagnostic end to end: scores stored as DQV after harvests, the trend,
//! the API, the link checker over loopback, and the W3C SHACL suite.

mod bench;
mod corpus_scores;
mod incremental;
mod shacl_suite;

use moisson_catalog::quality::{LinkHealth, QUALITY_GRAPH};
use moisson_harvester::links::{LinkCheckOptions, LinkChecker};
use moisson_tests::{Route, Sandbox};

use crate::support::turtle_catalogue;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quality_is_stored_as_dqv_with_one_trend_point_per_harvest() {
    let sandbox = Sandbox::start().await;
    let serve = |ids: &[u32], changed: Option<u32>| {
        sandbox.server.set(
            "/cat.ttl",
            Route::Bytes(
                turtle_catalogue(ids, changed, None).into_bytes(),
                "text/turtle".into(),
            ),
        );
    };
    serve(&[1, 2, 3], None);
    let source = sandbox.source("ddt-29", &sandbox.server.url("/cat.ttl"));
    sandbox.harvest(&source).await;
    let first = moisson_web::runner::assess_quality(&sandbox.store, &source).expect("quality");
    assert_eq!(first.record_count, 3);
    assert!(first.score > 0.0 && first.score < 100.0, "{}", first.score);
    assert_eq!(first.trend.len(), 1);

    // Second harvest: one record changed; the SHACL cache serves the two others.
    serve(&[1, 2, 3], Some(2));
    sandbox.harvest(&source).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let second = moisson_web::runner::assess_quality(&sandbox.store, &source).expect("quality");
    assert_eq!(second.trend.len(), 2, "{:?}", second.trend);
    assert!(second.trend[0].harvested_at < second.trend[1].harvested_at);

    // The measurements are DQV in the quality graph, queryable with SPARQL.
    let query = format!(
        "PREFIX dqv: <http://www.w3.org/ns/dqv#> SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{QUALITY_GRAPH}> {{ ?m a dqv:QualityMeasurement ; dqv:computedOn <urn:moisson:source:ddt-29> ; dqv:isMeasurementOf <urn:moisson:metric:score> }} }}"
    );
    let count = {
        let oxigraph::sparql::QueryResults::Solutions(mut rows) =
            oxigraph::sparql::SparqlEvaluator::new()
                .parse_query(&query)
                .expect("query")
                .on_store(sandbox.store.oxigraph())
                .execute()
                .expect("sparql")
        else {
            panic!("expected solutions")
        };
        let row = rows.next().expect("one row").expect("row");
        row.get("n").map(|t| t.to_string())
    };
    assert_eq!(
        count,
        Some("\"2\"^^<http://www.w3.org/2001/XMLSchema#integer>".into())
    );

    let (status, body) = sandbox.get_json("/api/sources/ddt-29/quality").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["source"], "ddt-29");
    assert!(body["score"].as_f64().is_some());
    assert!(body["rating"].is_string());
    assert_eq!(body["dimensions"].as_array().map(Vec::len), Some(7));
    let keywords = body["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .find(|i| i["id"] == "keywords")
        .expect("keywords");
    assert_eq!(keywords["points"], 30);
    assert_eq!(keywords["pass_rate"], 0.0);
    let fix = &body["records_to_fix"][0];
    assert!(fix["id"].is_string() && fix["title"].is_string());
    let messages = fix["messages"].as_array().expect("messages");
    assert!(
        messages.iter().any(|m| m
            .as_str()
            .is_some_and(|m| m.starts_with("Ajoutez une licence (dct:license)"))),
        "{messages:?}"
    );
    assert_eq!(body["trend"].as_array().map(Vec::len), Some(2));

    let (_, sources) = sandbox.get_json("/api/sources").await;
    assert_eq!(sources[0]["quality_score"], second.score);
    let (status, _) = sandbox.get_json("/api/sources/nope/quality").await;
    assert_eq!(status, 404);
    let (status, table) = sandbox.get_json("/api/quality/indicators").await;
    assert_eq!(status, 200);
    assert_eq!(table["mqa_total_points"], 405);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_checker_finds_broken_links_and_caches_results() {
    let sandbox = Sandbox::start().await;
    let ok = sandbox.server.url("/files/ok.zip");
    let missing = sandbox.server.url("/broken/missing.zip");
    sandbox.server.set(
        "/files/ok.zip",
        Route::Bytes(vec![0u8; 1 << 20], "application/zip".into()),
    );
    let checker =
        LinkChecker::new(sandbox.fetcher.options(), LinkCheckOptions::default()).expect("checker");
    let urls = vec![ok.clone(), missing.clone(), "ftp://example.org/x".into()];
    let summary = checker
        .check_and_store(&sandbox.store, urls.clone())
        .await
        .expect("check");
    assert_eq!((summary.links, summary.checked, summary.broken), (2, 2, 1));
    let stored = sandbox
        .store
        .link_checks([ok.as_str(), missing.as_str()])
        .expect("stored");
    assert_eq!(stored[&ok].health, LinkHealth::Ok);
    assert_eq!(stored[&missing].health, LinkHealth::Broken);
    assert_eq!(stored[&missing].status, Some(404));
    // Checked again within the maximum age: nothing is requested.
    let hits = sandbox.server.hits().len();
    let again = checker
        .check_and_store(&sandbox.store, urls)
        .await
        .expect("check");
    assert_eq!((again.checked, again.cached), (0, 2));
    assert_eq!(sandbox.server.hits().len(), hits);
}

/// The demo catalogues carry deliberate defects; each must show in its indicator.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_defects_are_caught_by_their_indicators() {
    use moisson_harvester::{FetchOptions, Fetcher, HarvestOptions, LogProgress, Protocol, Source};
    let dir = tempfile::tempdir().expect("temp dir");
    let store = moisson_catalog::CatalogStore::open(&dir.path().join("store")).expect("store");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let server = moisson_demo::server::spawn(listener, moisson_demo::default_sources(600))
        .expect("demo server");
    let fetch = FetchOptions {
        retries: 0,
        timeout_secs: 30,
        allow_private_addresses: true,
        ..FetchOptions::default()
    };
    let fetcher = Fetcher::new(fetch.clone()).expect("fetcher");
    let checker = LinkChecker::new(&fetch, LinkCheckOptions::default()).expect("checker");
    let mut reports = Vec::new();
    for demo in &server.sources {
        let source = Source::new(
            moisson_catalog::SourceId::new(demo.id.clone()).expect("demo id"),
            demo.name.clone(),
            server.first_page_url(demo),
            Protocol::Dcat,
        );
        let job = moisson_harvester::harvest_source(
            &store,
            &fetcher,
            &source,
            &HarvestOptions::default(),
            std::sync::Arc::new(LogProgress),
        )
        .await;
        assert_ne!(job.status, moisson_catalog::JobStatus::Failed, "{job:?}");
        moisson_harvester::links::check_source_links(&store, &checker, source.id.as_str())
            .await
            .expect("links");
        reports.push(moisson_web::runner::assess_quality(&store, &source).expect("quality"));
    }
    let rate = |id: &str| -> f64 {
        let (mut sum, mut n) = (0.0, 0usize);
        for r in &reports {
            for i in r.indicators.iter().filter(|i| i.id == id) {
                if let Some(p) = i.pass_rate {
                    sum += p * i.evaluated as f64;
                    n += i.evaluated;
                }
            }
        }
        sum / n.max(1) as f64
    };
    for r in &reports {
        println!(
            "{:<24} {:>5} records  score {:5.1}  MQA {:5.1}/405  data.gouv.fr {:4.2}",
            r.source, r.record_count, r.score, r.mqa_points, r.udata_score
        );
    }
    for row in moisson_catalog::quality::INDICATORS {
        println!("  {:<26} {:5.1} %", row.key, rate(row.key) * 100.0);
    }
    // Each deliberate defect of the generator lowers its indicator.
    for id in [
        "license",
        "access_url_status",
        "format_vocabulary",
        "media_type",
        "contact_point",
        "contact_email",
        "description_length",
        "title_quality",
        "update_on_schedule",
        "valid_dates",
        "unique_across_sources",
    ] {
        let r = rate(id);
        assert!(r > 0.3 && r < 1.0, "{id}: pass rate {r}");
    }
    assert!(
        rate("dcat_ap_compliance") < 1.0,
        "free-text formats violate DCAT-AP"
    );
}

/// Issue 18: « Pas de doublon » reads the keys the search index merges records on, so a
/// dataset page that lists other records of the same dataset never says « Pas de doublon :
/// réussi », and the other way round: a UUID in another case, an identifier holding another
/// record's IRI (same source or not), and a record alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_duplicate_passes_exactly_when_the_index_merged_nothing() {
    let sandbox = Sandbox::start().await;
    let head = "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n";
    let a = format!(
        "{head}<https://a.example.org/jdd/1> a dcat:Dataset ; dct:title \"Haies bocagères\"@fr ;\n\
           dct:identifier \"0F8FAD5B-D9CB-469F-A165-70867728950E\" .\n\
         <https://a.example.org/jdd/2> a dcat:Dataset ; dct:title \"Haies bocagères (copie)\"@fr ;\n\
           dct:identifier \"https://a.example.org/jdd/3/\" .\n\
         <https://a.example.org/jdd/3> a dcat:Dataset ; dct:title \"Haies bocagères (autre copie)\"@fr ;\n\
           dct:identifier \"https://a.example.org/jdd/3\" .\n\
         <https://a.example.org/jdd/4> a dcat:Dataset ; dct:title \"Mares\"@fr ;\n\
           dct:identifier \"https://a.example.org/jdd/4\" .\n"
    );
    let b = format!(
        "{head}<https://b.example.org/jdd/9> a dcat:Dataset ; dct:title \"Haies\"@fr ;\n\
           dct:identifier \"{{0f8fad5b-d9cb-469f-a165-70867728950e}}\" .\n"
    );
    sandbox
        .server
        .set("/a.ttl", Route::Bytes(a.into_bytes(), "text/turtle".into()));
    sandbox
        .server
        .set("/b.ttl", Route::Bytes(b.into_bytes(), "text/turtle".into()));
    let sources = [
        sandbox.source("a", &sandbox.server.url("/a.ttl")),
        sandbox.source("b", &sandbox.server.url("/b.ttl")),
    ];
    for source in &sources {
        sandbox.harvest(source).await;
    }
    for source in &sources {
        moisson_web::runner::assess_quality(&sandbox.store, source).expect("quality");
    }
    let mut merged = 0;
    for record in sandbox.store.active_snapshot().expect("snapshot").records() {
        let id = &record.dataset_id;
        let (status, detail) = sandbox.get_json(&format!("/api/datasets/{id}")).await;
        assert_eq!(status, 200, "{id}");
        let has_copies = detail["duplicates"]
            .as_array()
            .is_some_and(|d| !d.is_empty());
        let unique = detail["quality"]["indicators"]
            .as_array()
            .expect("indicators")
            .iter()
            .find(|i| i["id"] == "unique_across_sources")
            .expect("the indicator")["value"]
            .as_f64();
        assert_eq!(
            unique,
            Some(if has_copies { 0.0 } else { 1.0 }),
            "{id}: {detail}"
        );
        merged += usize::from(has_copies);
    }
    assert_eq!(merged, 4, "two pairs of copies, the pond alone");
}
