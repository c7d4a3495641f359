//! EU high-value datasets: recognised from `dcatap:applicableLegislation` and
//! `dcatap:hvdCategory`, a badge on pages, a facet and filter in search, `/catalog?hvd=true`,
//! the official DCAT-AP HVD shapes in quality for the records that claim HVD only; and
//! `/catalog?modified_since=`, alone and with paging and `hvd`.

use moisson_catalog::quality::{assess_source, NoLinks, RecordOrigin, SourceAssessment};
use moisson_catalog::shacl::Validator;
use moisson_tests::{Route, Sandbox};

use super::{get, site};
use crate::support::turtle_catalogue;

const REGULATION: &str = "http://data.europa.eu/eli/reg_impl/2023/138/oj";
const COMPLETE: &str = "https://ddt.example.org/jdd/hvd-complet";
const INCOMPLETE: &str = "https://ddt.example.org/jdd/hvd-incomplet";
const INSPIRE: &str = "https://ddt.example.org/jdd/inspire";

fn hvd_datasets() -> String {
    format!(
        "@prefix dcatap: <http://data.europa.eu/r5r/> .\n\
<https://ddt.example.org/catalogue> dcat:dataset <{COMPLETE}>, <{INCOMPLETE}>, <{INSPIRE}> .\n\
<{COMPLETE}> a dcat:Dataset ; dct:title \"Limites administratives (HVD)\"@fr ;\n\
  dct:description \"Découpage administratif, jeu de données de forte valeur.\"@fr ;\n\
  dcatap:applicableLegislation <{REGULATION}> ;\n\
  dcatap:hvdCategory <http://data.europa.eu/bna/c_ac64a52d> ;\n\
  dcat:distribution <{COMPLETE}#gpkg> .\n\
<{COMPLETE}#gpkg> a dcat:Distribution ; dcat:accessURL <https://ddt.example.org/files/limites.gpkg> ;\n\
  dcatap:applicableLegislation <{REGULATION}> .\n\
<{INCOMPLETE}> a dcat:Dataset ; dct:title \"Comptages routiers\"@fr ;\n\
  dct:description \"Comptages du trafic routier.\"@fr ;\n\
  dcatap:hvdCategory <http://data.europa.eu/bna/c_b79e35eb> ;\n\
  dcat:distribution [ a dcat:Distribution ; dcat:accessURL <https://ddt.example.org/files/comptages.csv> ] .\n\
<{INSPIRE}> a dcat:Dataset ; dct:title \"Occupation du sol\"@fr ;\n\
  dct:description \"Couche INSPIRE, pas de forte valeur.\"@fr ;\n\
  dcatap:applicableLegislation <http://data.europa.eu/eli/dir/2007/2/oj> .\n"
    )
}

async fn harvested() -> (Sandbox, moisson_catalog::SourceId) {
    let sandbox = Sandbox::start().await;
    let ids: Vec<u32> = (1..=5).collect();
    let mut turtle = turtle_catalogue(&ids, None, None);
    turtle.push_str(&hvd_datasets());
    sandbox.server.set(
        "/cat.ttl",
        Route::Bytes(turtle.into_bytes(), "text/turtle".into()),
    );
    let source = sandbox.source("ddt-29", &sandbox.server.url("/cat.ttl"));
    let report = sandbox.harvest(&source).await;
    assert_eq!(report.counts.added, 8, "{report:?}");
    (sandbox, source.id)
}

fn id_of(iri: &str) -> String {
    moisson_catalog::dataset_id(iri)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hvd_claims_give_a_facet_a_filter_a_badge_and_a_catalog_selection() {
    let (sandbox, _) = harvested().await;
    let (status, all) = sandbox.get_json("/api/datasets?page_size=1").await;
    assert_eq!(status, 200);
    let facet = &all["facets"]["hvd"];
    let count = |value: &str| {
        facet
            .as_array()
            .expect("hvd facet")
            .iter()
            .find(|f| f["value"] == value)
            .map(|f| f["count"].as_u64().expect("count"))
    };
    assert_eq!(count("true"), Some(2), "{facet}");
    assert_eq!(count("geospatiales"), Some(1), "{facet}");
    assert_eq!(count("mobilite"), Some(1), "{facet}");
    assert_eq!(facet[0]["label"], "Données de forte valeur (HVD)");

    let (status, hvd) = sandbox.get_json("/api/datasets?hvd=true").await;
    assert_eq!(status, 200);
    assert_eq!(hvd["total"], 2, "another legislation (INSPIRE) is not HVD");
    let complete = hvd["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["iri"] == COMPLETE)
        .expect("the complete HVD dataset");
    assert_eq!(complete["hvd"]["legislation"], true);
    assert_eq!(
        complete["hvd"]["categories"],
        serde_json::json!(["geospatiales"])
    );
    let (_, mobility) = sandbox.get_json("/api/datasets?hvd=mobilite").await;
    assert_eq!(mobility["total"], 1);
    assert_eq!(mobility["results"][0]["iri"], INCOMPLETE);
    let (status, refused) = sandbox.get_json("/api/datasets?hvd=%3Cb%3E").await;
    assert_eq!(status, 400, "{refused}");

    let (_, plain) = sandbox
        .get_json(&format!("/api/datasets/{}", id_of(INSPIRE)))
        .await;
    assert!(plain.get("hvd").is_none(), "{plain}");

    let app = site(&sandbox);
    let (status, _, page) = get(&app, "/recherche?hvd=true").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Données de forte valeur (HVD)"),
        "facet title"
    );
    assert_eq!(
        page.matches("badge badge-hvd").count(),
        2,
        "one badge per result"
    );
    assert!(
        page.contains("Forte valeur (HVD) : Données de forte valeur (HVD)"),
        "active filter chip"
    );
    let (_, _, dataset) = get(&app, &format!("/jeux-de-donnees/{}", id_of(COMPLETE))).await;
    assert!(dataset.contains("badge badge-hvd"));
    assert!(dataset.contains("règlement d'exécution (UE) 2023/138 — Données géospatiales"));
    let (_, _, other) = get(&app, &format!("/jeux-de-donnees/{}", id_of(INSPIRE))).await;
    assert!(!other.contains("badge-hvd"));

    let (status, _, turtle) = get(&app, "/catalog?hvd=true&format=ntriples").await;
    assert_eq!(status, 200);
    let datasets = turtle
        .lines()
        .filter(|l| l.ends_with("<http://www.w3.org/ns/dcat#Dataset> ."))
        .count();
    assert_eq!(datasets, 2, "{turtle}");
    assert!(
        turtle.contains(&format!("<{COMPLETE}>")) && turtle.contains(&format!("<{INCOMPLETE}>"))
    );
    assert!(
        turtle.contains("\"2\"^^<http://www.w3.org/2001/XMLSchema#integer>"),
        "hydra:totalItems 2"
    );
    let (status, _, _) = get(&app, "/catalog?hvd=maybe").await;
    assert_eq!(status, 400);
}

/// The quality messages of a dataset, as the API gives them (JSON text).
async fn quality_messages(sandbox: &Sandbox, iri: &str) -> String {
    let (status, detail) = sandbox
        .get_json(&format!("/api/datasets/{}", id_of(iri)))
        .await;
    assert_eq!(status, 200);
    detail["quality"]["messages"].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hvd_shapes_apply_only_to_records_that_claim_hvd() {
    let (sandbox, source) = harvested().await;
    let validator = Validator::embedded().expect("embedded shapes");
    let how = SourceAssessment {
        now: chrono::Utc::now(),
        origin: RecordOrigin::Dcat,
        conformance: Some(&validator),
        links: &NoLinks,
    };
    assess_source(&sandbox.store, source.as_str(), &how).expect("quality run");
    let incomplete = quality_messages(&sandbox, INCOMPLETE).await;
    assert!(
        incomplete.contains("Données de forte valeur (HVD) : le jeu de données doit citer le règlement d'exécution (UE) 2023/138"),
        "{incomplete}"
    );
    assert!(
        incomplete.contains("chaque distribution doit citer"),
        "{incomplete}"
    );
    let complete = quality_messages(&sandbox, COMPLETE).await;
    assert!(!complete.contains("forte valeur"), "{complete}");
    // Another legislation does not make the HVD profile apply.
    let inspire = quality_messages(&sandbox, INSPIRE).await;
    assert!(!inspire.contains("forte valeur"), "{inspire}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_modified_since_selects_records_changed_at_or_after_it() {
    let sandbox = Sandbox::start().await;
    let ids: Vec<u32> = (1..=6).collect();
    let serve = |changed: Option<u32>| {
        let mut turtle = turtle_catalogue(&ids, changed, None);
        turtle.push_str(&hvd_datasets());
        sandbox.server.set(
            "/cat.ttl",
            Route::Bytes(turtle.into_bytes(), "text/turtle".into()),
        );
    };
    serve(None);
    let source = sandbox.source("ddt-29", &sandbox.server.url("/cat.ttl"));
    sandbox.harvest(&source).await;
    // The second harvest changes one record, at least a second later.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    serve(Some(3));
    let report = sandbox.harvest(&source).await;
    assert_eq!(report.counts.updated, 1, "{report:?}");
    let snapshot = sandbox.store.active_snapshot().expect("snapshot");
    let changed = snapshot
        .records()
        .find(|r| r.record_iri == "https://ddt.example.org/jdd/3")
        .expect("record 3");
    let since = changed.last_changed.clone();
    let app = site(&sandbox);
    let total = |body: &str| -> u64 {
        let line = body
            .lines()
            .find(|l| l.contains("<http://www.w3.org/ns/hydra/core#totalItems>"))
            .unwrap_or_else(|| panic!("totalItems in {body}"));
        line.split('"')
            .nth(1)
            .expect("value")
            .parse()
            .expect("integer")
    };
    let query = |q: String| {
        let app = app.clone();
        async move {
            let (status, _, body) = get(&app, &format!("/catalog?format=ntriples&{q}")).await;
            (status, body)
        }
    };
    let encoded = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let (status, body) = query(format!("modified_since={}", encoded(&since))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(total(&body), 1, "at or after: the changed record only");
    assert!(body.contains("<https://ddt.example.org/jdd/3>"));
    let (_, body) = query("modified_since=2000-01-01".into()).await;
    assert_eq!(
        total(&body),
        9,
        "a date (midnight UTC) before every harvest"
    );
    let (_, body) = query("modified_since=2999-01-01T00:00:00".into()).await;
    assert_eq!(total(&body), 0);
    // With paging and hvd: the 2 HVD records, one per page.
    let (_, body) = query("modified_since=2000-01-01&hvd=true&page_size=1&page=2".into()).await;
    assert_eq!(total(&body), 2);
    assert_eq!(
        body.lines()
            .filter(|l| l.ends_with("<http://www.w3.org/ns/dcat#Dataset> ."))
            .count(),
        1
    );
    assert!(
        body.contains("modified_since=2000-01-01"),
        "paging links keep the filter"
    );
    for bad in [
        "hier",
        "2024-13-01",
        "2024-02-30T10:00:00Z",
        "2024-01-01T25:00:00",
    ] {
        let (status, body) = query(format!("modified_since={}", encoded(bad))).await;
        assert_eq!(status, 400, "{bad}: {body}");
        let error: serde_json::Value = serde_json::from_str(&body).expect("JSON error");
        assert_eq!(error["error"]["code"], "invalid_input", "{body}");
        assert!(
            error["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("modified_since must be a date")),
            "{body}"
        );
    }
}
