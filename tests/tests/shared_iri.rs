//! One IRI, two sources: a source republishing another's dataset IRI never replaces the
//! owner's title and links; the other copy is listed, and both quality reports say so.

use moisson_catalog::{dataset_id, JobStatus};
use moisson_tests::{Route, Sandbox};

const IRI: &str = "http://data.ddt-29.example.fr/dataset/ppri-quimper";

fn catalogue(title: &str, download: &str) -> Vec<u8> {
    format!(
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n\
<{IRI}> a dcat:Dataset ; dct:title \"{title}\"@fr ;\n\
  dct:description \"Plan de prévention du risque inondation de Quimper.\"@fr ;\n\
  dcat:distribution [ a dcat:Distribution ; dcat:downloadURL <{download}> ] .\n"
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_source_keeps_its_copy_and_the_owner_is_shown() {
    let sandbox = Sandbox::start().await;
    let owner_url = "http://data.ddt-29.example.fr/catalog.ttl";
    let other_url = "http://aggregator.example.org/catalog.ttl";
    sandbox.server.set(
        owner_url,
        Route::Bytes(
            catalogue("PPRI de Quimper", "http://data.ddt-29.example.fr/ppri.zip"),
            "text/turtle".into(),
        ),
    );
    sandbox.server.set(
        other_url,
        Route::Bytes(
            catalogue(
                "Titre détourné",
                "http://aggregator.example.org/malware.zip",
            ),
            "text/turtle".into(),
        ),
    );
    let owner = sandbox.source("ddt-29", owner_url);
    let other = sandbox.source("agregateur", other_url);
    // The owner first, then the other source (its copy is the most recently changed: the
    // old rule showed it).
    assert_eq!(sandbox.harvest(&owner).await.status, JobStatus::Ok);
    assert_eq!(sandbox.harvest(&other).await.status, JobStatus::Ok);
    let id = dataset_id(IRI);
    let (status, body) = sandbox.get_json(&format!("/api/datasets/{id}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["title"], "PPRI de Quimper", "{body}");
    let text = body.to_string();
    assert!(text.contains("ppri.zip"), "{text}");
    assert!(!text.contains("malware.zip"), "{text}");
    let sources: Vec<&str> = body["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .filter_map(|s| s["source"].as_str())
        .collect();
    assert_eq!(sources, ["agregateur", "ddt-29"], "{body}");
    // The other source changing its copy again changes nothing shown.
    sandbox.server.set(
        other_url,
        Route::Bytes(
            catalogue("Titre détourné v2", "http://aggregator.example.org/x.zip"),
            "text/turtle".into(),
        ),
    );
    sandbox.harvest(&other).await;
    let (_, body) = sandbox.get_json(&format!("/api/datasets/{id}")).await;
    assert_eq!(body["title"], "PPRI de Quimper", "{body}");
    // Search shows the owner's copy too.
    let (_, found) = sandbox.get_json("/api/datasets?q=quimper").await;
    assert_eq!(found["results"][0]["title"], "PPRI de Quimper", "{found}");
    // Both quality reports list the shared record, with the copy shown.
    for (source, other_id) in [(&owner, "agregateur"), (&other, "ddt-29")] {
        moisson_web::runner::assess_quality(&sandbox.store, source).expect("quality run");
        let (status, report) = sandbox
            .get_json(&format!("/api/sources/{}/quality", source.id))
            .await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["shared_records_total"], 1, "{report}");
        let shared = &report["shared_records"][0];
        assert_eq!(shared["iri"], IRI);
        assert_eq!(shared["other_sources"][0], other_id);
        assert_eq!(shared["shown_from"], "ddt-29");
        assert_eq!(shared["same_content"], false);
    }
}
