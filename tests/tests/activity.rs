//! Activity feeds (issue 17): a failed harvest and a score drop produced here show in
//! the source's and the producer's Atom feeds, which Python's feedparser reads (when
//! installed; else the parser step says why it is skipped).

use axum::body::Body;
use axum::http::Request;
use moisson_tests::{Route, Sandbox};
use tower::ServiceExt;

/// `n` records; `complete` ones carry keywords, themes, licence, spatial and temporal
/// coverage, contact and access rights, the others a title alone.
fn catalogue(n: u32, complete: bool) -> String {
    let mut out = String::from(
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .\n\
<https://ddt.example.org/org/ddt-29> a foaf:Agent ; foaf:name \"DDT du Finistère\"@fr .\n",
    );
    for i in 1..=n {
        out.push_str(&format!(
            "<https://ddt.example.org/jdd/{i}> a dcat:Dataset ; dct:title \"Zones humides du Finistère n°{i}\"@fr ; dct:publisher <https://ddt.example.org/org/ddt-29> "
        ));
        if complete {
            out.push_str(&format!(
                "; dct:description \"Inventaire des zones humides du Finistère, lot {i}, avec la méthode de relevé et ses limites d'usage détaillées pour les réutilisateurs.\"@fr ;\n\
  dcat:keyword \"zones humides\" ; dcat:theme <http://publications.europa.eu/resource/authority/data-theme/ENVI> ;\n\
  dct:spatial <http://id.insee.fr/geo/departement/29> ; dct:temporal [ a dct:PeriodOfTime ; dcat:startDate \"2020-01-01\" ] ;\n\
  dct:accessRights <http://publications.europa.eu/resource/authority/access-right/PUBLIC> ;\n\
  dct:license <https://www.etalab.gouv.fr/licence-ouverte-open-licence/> ;\n\
  dcat:contactPoint [ a vcard:Kind ; vcard:fn \"Service eau\" ; vcard:hasEmail <mailto:eau@ddt-29.fr> ] "
            ));
        }
        out.push_str(".\n");
    }
    out
}

async fn get(sandbox: &Sandbox, path: &str) -> (u16, String) {
    let request = Request::get(path).body(Body::empty()).expect("request");
    let response = sandbox.app().oneshot(request).await.expect("infallible");
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 16 << 20)
        .await
        .expect("body");
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_harvest_and_a_score_drop_show_in_the_activity_feeds() {
    let sandbox = Sandbox::start().await;
    let serve = |text: String| {
        sandbox.server.set(
            "/cat.ttl",
            Route::Bytes(text.into_bytes(), "text/turtle".into()),
        );
    };
    let source = sandbox.source("ddt-29", &sandbox.server.url("/cat.ttl"));
    serve(catalogue(4, true));
    sandbox.harvest(&source).await;
    let first = moisson_web::runner::assess_quality(&sandbox.store, &source).expect("quality");
    // The producer strips its records: the score drops.
    serve(catalogue(6, false));
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    sandbox.harvest(&source).await;
    let second = moisson_web::runner::assess_quality(&sandbox.store, &source).expect("quality");
    println!("score {:.1} → {:.1} / 100", first.score, second.score);
    assert!(
        first.score - second.score > 5.0,
        "{} → {}",
        first.score,
        second.score
    );
    // Then the server fails.
    sandbox.server.set("/cat.ttl", Route::Status(500));
    let failed = sandbox.harvest(&source).await;
    assert_eq!(failed.status, moisson_catalog::JobStatus::Failed);

    let (status, feed) = get(&sandbox, "/catalogues/ddt-29/activite.atom").await;
    assert_eq!(status, 200, "{feed}");
    assert!(feed.starts_with(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\""
    ));
    assert!(
        feed.contains("<category term=\"harvest_failed\"/>"),
        "{feed}"
    );
    assert!(
        feed.contains("<category term=\"score_dropped\"/>"),
        "{feed}"
    );
    assert!(
        feed.contains("<category term=\"new_records_to_fix\"/>"),
        "{feed}"
    );
    let (status, producer_feed) =
        get(&sandbox, "/producteurs/ddt-du-finistere/activite.atom").await;
    assert_eq!(status, 200, "{producer_feed}");
    assert!(producer_feed.contains("<category term=\"harvest_failed\"/>"));
    let (status, _) = get(&sandbox, "/catalogues/nope/activite.atom").await;
    assert_eq!(status, 404);

    // A real feed parser.
    let probe = std::process::Command::new("python3")
        .args(["-c", "import feedparser"])
        .output();
    match probe {
        Err(e) => {
            println!("feedparser step skipped: python3 is not available ({e})");
            return;
        }
        Ok(o) if !o.status.success() => {
            println!("feedparser step skipped: python3 has no feedparser module (pip install feedparser)");
            return;
        }
        Ok(_) => {}
    }
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in [("source.atom", &feed), ("producteur.atom", &producer_feed)] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        let script = "import json, sys, feedparser\n\
d = feedparser.parse(sys.argv[1])\n\
print(json.dumps({'bozo': d.bozo, 'version': d.version, 'title': d.feed.get('title'),\n\
  'terms': [t.get('term') for e in d.entries for t in e.get('tags', [])],\n\
  'titles': [e.get('title') for e in d.entries],\n\
  'ids': [e.get('id') for e in d.entries], 'updated': [e.get('updated') for e in d.entries]}))\n";
        let out = std::process::Command::new("python3")
            .args(["-c", script])
            .arg(&path)
            .output()
            .expect("run python3");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let parsed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        println!("{name}: {parsed}");
        assert!(parsed["bozo"] == false || parsed["bozo"] == 0, "{parsed}");
        assert_eq!(parsed["version"], "atom10");
        let terms = parsed["terms"].as_array().expect("terms");
        assert!(terms.contains(&serde_json::json!("harvest_failed")));
        assert!(terms.contains(&serde_json::json!("score_dropped")));
        assert!(parsed["ids"].as_array().expect("ids").iter().all(|i| i
            .as_str()
            .is_some_and(|i| i.starts_with("urn:moisson:activity:"))));
    }
}
