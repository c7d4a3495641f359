//! Producers (issue 17): one score per record shown the same everywhere, publishers
//! merged across sources, fixes grouped by problem, the French Excel CSV.

use axum::body::Body;
use axum::http::Request;
use moisson_catalog::dataset_id;
use moisson_catalog::quality::Score;
use moisson_tests::{Route, Sandbox};
use tower::ServiceExt;

use crate::support::turtle_catalogue;

/// A second catalogue: the same DDT named without IRI (merged by its name), a copy of
/// the record `jdd/1` (same IRI, more complete: a second copy of one dataset) and another
/// producer.
const GEO_IDE: &str = r#"@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
<https://geo.example.org/cat> a dcat:Catalog ;
  dcat:dataset <https://ddt.example.org/jdd/1>, <https://geo.example.org/jdd/b>, <https://geo.example.org/jdd/c> .
<https://ddt.example.org/jdd/1> a dcat:Dataset ; dct:identifier "jdd-1" ;
  dct:title "Zones humides du Finistère, copie Géo-IDE"@fr ;
  dct:description "Inventaire des zones humides du Finistère, copie complète publiée par la DDT dans le catalogue Géo-IDE, avec ses mots-clés et sa licence."@fr ;
  dcat:keyword "zones humides" ; dct:spatial <http://id.insee.fr/geo/departement/29> ;
  dct:publisher [ a foaf:Agent ; foaf:name "DDT DU FINISTERE" ] ;
  dct:license <https://www.etalab.gouv.fr/licence-ouverte-open-licence/> .
<https://geo.example.org/jdd/b> a dcat:Dataset ; dct:title "Plan de prévention des risques littoraux"@fr ;
  dct:publisher [ a foaf:Agent ; foaf:name "DDT du Finistère" ] .
<https://geo.example.org/jdd/c> a dcat:Dataset ; dct:title "Réseau hydrographique"@fr ;
  dct:publisher [ a foaf:Agent ; foaf:name "Agence de l'eau Loire-Bretagne" ] .
"#;

async fn get(sandbox: &Sandbox, path: &str) -> (u16, String) {
    let request = Request::get(path).body(Body::empty()).expect("request");
    let response = sandbox.app().oneshot(request).await.expect("infallible");
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 64 << 20)
        .await
        .expect("body");
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// The score out of 100 as pages write it (one decimal, comma, no « ,0 »).
fn shown(score: f64) -> String {
    let tenths = (score * 10.0).round() as i64;
    if tenths % 10 == 0 {
        format!("{}", tenths / 10)
    } else {
        format!("{},{}", tenths / 10, tenths % 10)
    }
}

/// Two sources harvested, assessed, and indexed with their scores (as `serve` does).
async fn two_sources() -> Sandbox {
    let sandbox = Sandbox::start().await;
    sandbox.server.set(
        "/cat.ttl",
        Route::Bytes(
            turtle_catalogue(&[1, 2, 3], None, None).into_bytes(),
            "text/turtle".into(),
        ),
    );
    sandbox.server.set(
        "/geo.ttl",
        Route::Bytes(GEO_IDE.as_bytes().to_vec(), "text/turtle".into()),
    );
    let ddt = sandbox.source("ddt-29", &sandbox.server.url("/cat.ttl"));
    let geo = sandbox.source("geo-ide", &sandbox.server.url("/geo.ttl"));
    for s in [&ddt, &geo] {
        sandbox.harvest(s).await;
        moisson_web::runner::assess_quality(&sandbox.store, s).expect("quality");
    }
    // Re-index every dataset, now that records carry their scores.
    let mut ids = Vec::new();
    for s in ["ddt-29", "geo-ide"] {
        let registry = sandbox.store.registry(s).expect("registry");
        ids.extend(moisson_search::changed_datasets(
            &Default::default(),
            &registry,
        ));
    }
    sandbox
        .index
        .update(&sandbox.store, &sandbox.source_contexts(), &ids)
        .expect("reindex");
    sandbox
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_has_one_score_on_its_badge_page_dashboard_producer_page_and_api() {
    let sandbox = two_sources().await;
    let iri = "https://ddt.example.org/jdd/2";
    let id = dataset_id(iri);
    let stored = sandbox
        .store
        .record_score("ddt-29", iri)
        .expect("score")
        .expect("scored");
    let score = Score::from_score(stored);
    let badge = format!(
        "Qualité {}\u{a0}/\u{a0}100 · {}",
        shown(score.score),
        score.band_label
    );
    println!("record {iri}: {} points / 405, {badge}", score.points);

    // Badge in search results.
    let (_, search) = get(&sandbox, "/recherche?q=zones+humides+lot+2").await;
    let item = search
        .split("<li class=\"result\">")
        .find(|li| li.contains(&format!("/jeux-de-donnees/{id}\"")))
        .expect("the record in the results");
    assert!(item.contains(&badge), "search badge: {item}");
    // Its page: badge and quality section.
    let (_, page) = get(&sandbox, &format!("/jeux-de-donnees/{id}")).await;
    assert!(page.contains(&badge), "page badge");
    let big = format!("{}\u{a0}/\u{a0}100</span>", shown(score.score));
    assert!(page.contains(&big), "page quality section");
    assert!(page.contains(&format!("niveau <strong>{}</strong>", score.band_label)));
    // Its source's dashboard (the records of one problem).
    let (status, fixes) = get(&sandbox, "/catalogues/ddt-29/a-corriger").await;
    assert_eq!(status, 200);
    let item = fixes
        .split("<li>")
        .find(|li| li.contains(&format!("/jeux-de-donnees/{id}\"")))
        .expect("the record on the dashboard's list");
    assert!(item.contains(&badge), "dashboard: {item}");
    // Its producer's page.
    let (status, producer) = get(&sandbox, "/producteurs/ddt-du-finistere").await;
    assert_eq!(status, 200, "{producer}");
    let item = producer
        .split("<li>")
        .find(|li| li.contains(&format!("/jeux-de-donnees/{id}\"")))
        .expect("the record on its producer's page");
    assert!(item.contains(&badge), "producer page: {item}");
    // The API.
    let (_, api) = sandbox.get_json(&format!("/api/datasets/{id}")).await;
    assert_eq!(api["quality_score"].as_f64(), Some(stored));
    assert_eq!(api["quality"]["score"].as_f64(), Some(stored));
    assert_eq!(api["quality"]["mqa_points"].as_f64(), Some(score.points));
    let (_, q) = sandbox
        .get_json("/api/publishers/ddt-du-finistere/quality")
        .await;
    let rec = q["records"]
        .as_array()
        .expect("records")
        .iter()
        .find(|r| r["id"] == id.as_str())
        .expect("the record in the producer's API");
    assert_eq!(rec["score"]["score"].as_f64(), Some(stored));
    assert_eq!(rec["score"]["band_label"], score.band_label);

    // A merged search result shows the score of the copy its page shows.
    let (_, all) = get(&sandbox, "/recherche").await;
    for li in all.split("<li class=\"result\">").skip(1) {
        let Some(start) = li.find("/jeux-de-donnees/") else {
            continue;
        };
        let rest = &li[start + "/jeux-de-donnees/".len()..];
        let shown_id = &rest[..rest.find('"').expect("end of href")];
        let (_, d) = sandbox.get_json(&format!("/api/datasets/{shown_id}")).await;
        let s = Score::from_score(d["quality"]["score"].as_f64().expect("scored"));
        assert!(
            li.contains(&format!("Qualité {}\u{a0}/", shown(s.score))),
            "{shown_id}: {li}"
        );
    }

    // The source's score: the same on the list, the dashboard and the API.
    let (_, report) = sandbox.get_json("/api/sources/ddt-29/quality").await;
    let source = Score::from_score(report["score"].as_f64().expect("score"));
    assert_eq!(report["rating"], source.band_label);
    assert_eq!(report["mqa_rating"], source.band_label);
    let (_, list) = get(&sandbox, "/catalogues").await;
    let (_, dashboard) = get(&sandbox, "/catalogues/ddt-29").await;
    assert!(list.contains(&format!(
        "Qualité {}\u{a0}/\u{a0}100 · {}",
        shown(source.score),
        source.band_label
    )));
    assert!(dashboard.contains(&format!("{}\u{a0}/\u{a0}100</span>", shown(source.score))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producers_are_merged_across_sources_with_grouped_fixes_and_a_french_csv() {
    let sandbox = two_sources().await;
    let (status, list) = sandbox.get_json("/api/publishers").await;
    assert_eq!(status, 200, "{list}");
    let producers = list.as_array().expect("list");
    let ddt = producers
        .iter()
        .find(|p| p["slug"] == "ddt-du-finistere")
        .expect("the DDT");
    // Three records of ddt-29 (publisher IRI) and two of geo-ide (same name).
    assert_eq!(ddt["record_count"], 5, "{ddt}");
    assert_eq!(ddt["sources"]["ddt-29"], 3);
    assert_eq!(ddt["sources"]["geo-ide"], 2);
    assert!(producers
        .iter()
        .any(|p| p["name"] == "Agence de l'eau Loire-Bretagne" && p["record_count"] == 1));

    let (_, q) = sandbox
        .get_json("/api/publishers/ddt-du-finistere/quality")
        .await;
    let groups = q["fix_groups"]["counted"].as_array().expect("groups");
    assert!(!groups.is_empty());
    // Ranked by points to gain, each with its real count.
    let totals: Vec<f64> = groups
        .iter()
        .map(|g| g["points_total"].as_f64().expect("total"))
        .collect();
    assert!(totals.windows(2).all(|w| w[0] >= w[1]), "{totals:?}");
    let keywords = groups
        .iter()
        .find(|g| g["indicator"] == "keywords")
        .expect("keywords group");
    assert_eq!(keywords["records"], 4, "one of the five has keywords");
    assert_eq!(keywords["points_each"], 30.0);
    assert!(q["merge_rule"]
        .as_str()
        .is_some_and(|r| r.contains("SIREN")));
    let (_, missing) = sandbox.get_json("/api/publishers/nobody/quality").await;
    assert_eq!(missing["error"]["code"], "not_found");
    // Every record, by dataset id, in pages that follow each other.
    let ids = |page: &serde_json::Value| -> Vec<String> {
        page["records"]
            .as_array()
            .expect("records")
            .iter()
            .map(|r| r["id"].as_str().expect("id").to_owned())
            .collect()
    };
    let all = ids(&q);
    assert_eq!(all.len(), 5);
    assert_eq!(q["records_total"], 5);
    assert!(all.windows(2).all(|w| w[0] <= w[1]), "{all:?}");
    assert!(
        all.windows(2).any(|w| w[0] == w[1]),
        "one IRI in two sources: {all:?}"
    );
    assert!(q.get("records_next").is_none(), "one page holds them");
    let mut paged = Vec::new();
    let mut url = "/api/publishers/ddt-du-finistere/quality?records_limit=2".to_owned();
    loop {
        let (status, page) = sandbox.get_json(&url).await;
        assert_eq!(status, 200, "{page}");
        paged.extend(ids(&page));
        let Some(next) = page["records_next"].as_str() else {
            break;
        };
        url = format!(
            "/api/publishers/ddt-du-finistere/quality?records_limit=2&records_after={next}"
        );
        assert!(paged.len() <= 5, "{paged:?}");
    }
    assert_eq!(paged, all);

    let (status, page) = get(&sandbox, "/producteurs/ddt-du-finistere").await;
    assert_eq!(status, 200);
    assert!(page.contains("À corriger en priorité"));
    assert!(
        page.contains("4 fiches — Mots-clés</strong> — +30\u{a0}points chacune"),
        "{page}"
    );
    assert!(page.contains("href=\"/producteurs/ddt-du-finistere/a-corriger?indicateur=keywords\""));
    assert!(page.contains("Conseils non comptés dans le score"));
    assert!(page.contains("même numéro SIREN"));
    let (status, index) = get(&sandbox, "/producteurs").await;
    assert_eq!(status, 200);
    assert!(index.contains("href=\"/producteurs/ddt-du-finistere\""));
    let (status, dashboard) = get(&sandbox, "/catalogues/ddt-29").await;
    assert_eq!(status, 200);
    assert!(
        dashboard.contains("3 fiches — Mots-clés</strong>"),
        "{dashboard}"
    );
    let (status, _) = get(&sandbox, "/catalogues/ddt-29/a-corriger?indicateur=nope").await;
    assert_eq!(status, 400);

    // French Excel: BOM, semicolons, French headers, decimal commas.
    let (status, csv) = get(&sandbox, "/producteurs/ddt-du-finistere/a-corriger.csv").await;
    assert_eq!(status, 200);
    assert!(
        csv.starts_with("\u{feff}Catalogue;Score du catalogue (/100);Identifiant;Titre;"),
        "{csv}"
    );
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert!(rows.iter().all(|r| r.ends_with('\r') || !r.is_empty()));
    assert!(
        rows.iter()
            .any(|r| r.starts_with("geo-ide;") && r.contains(";Mots-clés;30,0;oui;")),
        "{csv}"
    );
    let (_, only) = get(
        &sandbox,
        "/catalogues/ddt-29/a-corriger.csv?indicateur=keywords",
    )
    .await;
    assert_eq!(only.lines().count(), 1 + 3, "{only}");
}

/// Before/after figures of the one-score change on corpus records: the former
/// aggregation (every indicator, Moisson's own included, over the points at stake;
/// MQA points with unevaluated indicators at 0) against the score now (MQA points on
/// what was measured, brought to 405, the /100 view derived), on the same indicator
/// results. Prints the figures; skips without ../shared/corpus.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corpus_records_before_and_after_the_one_score() {
    use moisson_harvester::preview::{preview, PreviewInput, PreviewLimits};
    let Some(shared) = moisson_tests::shared_dir() else {
        println!("skipped: ../shared/corpus is absent");
        return;
    };
    let fetcher = moisson_harvester::Fetcher::new(Default::default()).expect("fetcher");
    for file in [
        "corpus/csw-iso19139/geoide-getrecordbyid-ppr-montardon.xml",
        "corpus/dcat-turtle/datos-gob-es-dataset.ttl",
    ] {
        let path = shared.join(file);
        let Ok(bytes) = std::fs::read(&path) else {
            println!("skipped {file}: not in the corpus");
            continue;
        };
        let read = preview(
            &fetcher,
            PreviewInput::Document {
                bytes,
                content_type: None,
                name: format!("file://{}", path.display()),
            },
            PreviewLimits {
                max_records: 1,
                max_pages: 1,
                timeout: std::time::Duration::from_secs(30),
                parse: Default::default(),
            },
        )
        .await
        .expect("readable corpus file");
        let origin = if read.iso19139 {
            moisson_catalog::quality::RecordOrigin::Iso19139Mapping
        } else {
            moisson_catalog::quality::RecordOrigin::Dcat
        };
        let validator = moisson_web::api::quality::validator().expect("shapes");
        let how = moisson_catalog::quality::SourceAssessment {
            now: chrono::Utc::now(),
            origin,
            conformance: Some(validator),
            links: &moisson_catalog::quality::NoLinks,
        };
        let input: Vec<_> = read
            .records
            .into_iter()
            .map(|r| (r.iri, r.kind, r.quads))
            .collect();
        let (_, a) = &moisson_catalog::quality::assess_records(&input, &how)[0];
        let (earned, max): (f64, f64) = a
            .indicators
            .iter()
            .fold((0.0, 0.0), |(e, m), r| (e + r.earned, m + r.max));
        let before_score = (1000.0 * earned / max).round() / 10.0;
        let before_mqa: f64 = a
            .indicators
            .iter()
            .filter(|r| r.id.indicator().dimension.is_mqa())
            .map(|r| r.value.unwrap_or(0.0) * f64::from(r.id.indicator().points))
            .sum();
        let now = a.quality_score();
        println!(
            "{file} <{}>: before {before_score}/100 ({}) and {before_mqa:.1} MQA points ({}); after {:.1} MQA points, {:.1}/100, {} (one band)",
            a.record_iri,
            moisson_catalog::quality::mqa_rating(before_score * 4.05),
            moisson_catalog::quality::mqa_rating(before_mqa),
            now.points,
            now.score,
            now.band_label
        );
        assert_eq!(moisson_catalog::quality::rating(now.score), now.band_label);
    }
}
