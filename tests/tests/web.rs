//! The HTML front over a harvested sandbox: every page type, escaping of harvested text,
//! security headers, facet links, paging, the CSV of records to fix, French errors.

use axum::body::Body;
use axum::http::{HeaderMap, Request};
use moisson_catalog::dataset_id;
use moisson_tests::{Route, Sandbox};
use tower::ServiceExt;

use crate::support::turtle_catalogue;

/// A harvested title and keyword that try to inject markup.
const XSS_TITLE: &str = "<script>alert(1)</script>";
const XSS_KEYWORD: &str = "\\\"><img src=x onerror=alert(2)>";

/// A sandbox with 25 datasets of `ddt-29` and one whose title is a script.
async fn harvested() -> Sandbox {
    let sandbox = Sandbox::start().await;
    let ids: Vec<u32> = (1..=25).collect();
    let mut turtle = turtle_catalogue(&ids, None, None);
    turtle.push_str(&format!(
        "<https://ddt.example.org/catalogue> dcat:dataset <https://ddt.example.org/jdd/xss> .\n\
<https://ddt.example.org/jdd/xss> a dcat:Dataset ;\n  dct:title \"{XSS_TITLE}\"@fr ;\n\
  dct:description \"Zones humides, avec un <b>balisage</b> & des esperluettes.\"@fr ;\n\
  dcat:keyword \"{XSS_KEYWORD}\" ;\n  dct:publisher <https://ddt.example.org/org/ddt-29> .\n"
    ));
    sandbox.server.set(
        "/cat.ttl",
        Route::Bytes(turtle.into_bytes(), "text/turtle".into()),
    );
    let source = sandbox.source("ddt-29", &sandbox.server.url("/cat.ttl"));
    let report = sandbox.harvest(&source).await;
    assert_eq!(report.counts.added, 26, "{report:?}");
    sandbox
}

/// GETs `path` and returns (status, headers, body as text).
async fn get(sandbox: &Sandbox, path: &str) -> (u16, HeaderMap, String) {
    let request = Request::get(path).body(Body::empty()).expect("request");
    let response = sandbox.app().oneshot(request).await.expect("infallible");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 64 << 20)
        .await
        .expect("body");
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// GETs an HTML page that must answer 200, and returns its body.
async fn page(sandbox: &Sandbox, path: &str) -> String {
    let (status, headers, body) = get(sandbox, path).await;
    assert_eq!(status, 200, "{path}: {body}");
    assert_eq!(
        headers["content-type"], "text/html; charset=utf-8",
        "{path}"
    );
    assert!(
        body.starts_with("<!DOCTYPE html><html lang=\"fr\">"),
        "{path}"
    );
    assert_eq!(body.matches("<h1").count(), 1, "{path} has one h1");
    for landmark in ["<header", "<nav", "<main", "<footer", "href=\"#contenu\""] {
        assert!(body.contains(landmark), "{path} lacks {landmark}");
    }
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_type_answers_in_french() {
    let sandbox = harvested().await;
    let id = dataset_id("https://ddt.example.org/jdd/2");

    let home = page(&sandbox, "/").await;
    assert!(home.contains("Moisson en chiffres"), "{home}");
    assert!(home.contains("Par thème") && home.contains("Par cas d'usage"));
    // The territory picker is a text field (no 445 px select on a phone).
    assert!(home.contains("name=\"territoire\"") && !home.contains("<select"));
    assert!(home.contains("26</span> jeux de données"), "headline count");

    let search = page(&sandbox, "/recherche?q=zones+humides").await;
    assert!(search.contains("Zones humides du Finistère n°"), "{search}");
    assert!(search.contains("Résultats pour « zones humides »"));
    assert!(search.contains("DDT du Finistère"));
    // Issue 18: the kind, freshness and quality facets; the territory picker; the territory
    // recognised in the words is a removable filter.
    for facet in ["facette-kind", "facette-freshness", "territoire-recherche"] {
        assert!(search.contains(facet), "{facet}");
    }
    let recognised = page(&sandbox, "/recherche?q=zones+humides+Finist%C3%A8re").await;
    assert!(
        recognised.contains("Territoire reconnu dans les mots : Finistère")
            && recognised.contains("href=\"/recherche?q=zones+humides\""),
        "{recognised}"
    );
    let none = page(&sandbox, "/recherche?q=xylophone").await;
    assert!(
        none.contains("Essayez moins de mots.") && !none.contains("retirez un filtre"),
        "{none}"
    );
    let none = page(&sandbox, "/recherche?q=xylophone&format=csv").await;
    assert!(none.contains("ou retirez un filtre"), "{none}");
    let (status, headers, _) = get(&sandbox, "/recherche?q=zones&territoire=Quimper").await;
    assert_eq!(status, 303);
    assert_eq!(
        headers["location"],
        "/recherche?q=zones&territory=commune-29232"
    );

    let dataset = page(&sandbox, &format!("/jeux-de-donnees/{id}")).await;
    for expected in [
        "Zones humides du Finistère n°2",
        "Inventaire des zones humides, lot 2.",
        "DDT du Finistère",
        "mailto:eau@ddt.example.org",
        "https://ddt.example.org/files/2.zip",
        "Pourquoi ce jeu de données est classé ici",
        "Pourquoi ce thème : chaque raison a un poids.",
        "titre : « zone humide » — indice fort (3)",
        "Qualité des métadonnées",
        "Source de test ddt-29",
        "notice.ttl",
        "notice.jsonld",
    ] {
        assert!(dataset.contains(expected), "dataset page lacks {expected}");
    }

    let (status, headers, turtle) =
        get(&sandbox, &format!("/jeux-de-donnees/{id}/notice.ttl")).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/turtle");
    assert!(turtle.contains("https://ddt.example.org/jdd/2"), "{turtle}");

    let themes = page(&sandbox, "/themes").await;
    let theme = moisson_catalog::vocab::vocabularies()
        .themes
        .top_concepts()
        .next()
        .expect("a theme");
    // Issue 18: a theme without datasets (the first one, here) is named, not linked.
    assert!(themes.contains(&theme.label));
    assert!(
        !themes.contains(&format!("href=\"/themes/{}\"", theme.slug)),
        "empty theme linked"
    );
    let theme_page = page(&sandbox, &format!("/themes/{}", theme.slug)).await;
    assert!(theme_page.contains("Sous-thèmes"));

    page(&sandbox, "/cas-d-usage").await;
    let gap = page(&sandbox, "/cas-d-usage/abc?territory=29").await;
    assert!(
        gap.contains("Pour votre Atlas de la biodiversité communale")
            || gap.contains("Pour votre "),
        "{gap}"
    );
    assert!(gap.contains("dans le département Finistère (29)"), "{gap}");
    // The sandbox has wetlands in the Finistère and nothing else the ABC needs.
    assert!(
        gap.contains("✓ Disponible") && gap.contains("✗ Manquant"),
        "{gap}"
    );
    // The count links to the search that lists those datasets.
    assert!(
        gap.contains("href=\"/recherche?q=%22zones+humides%22&amp;territory=29\""),
        "{gap}"
    );

    let catalogues = page(&sandbox, "/catalogues").await;
    assert!(catalogues.contains("href=\"/catalogues/ddt-29\""));
    assert!(catalogues.contains("réussie"));

    let dashboard = page(&sandbox, "/catalogues/ddt-29").await;
    for expected in [
        "Score de qualité des métadonnées",
        "Score par dimension",
        "Évolution du score",
        "Répartition des fiches par score",
        "Taux de réussite par indicateur",
        "À corriger en priorité",
        "/catalogues/ddt-29/a-corriger.csv",
        "Historique des moissons",
        "<svg",
        "role=\"img\"",
    ] {
        assert!(dashboard.contains(expected), "dashboard lacks {expected}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harvested_markup_shows_as_text() {
    let sandbox = harvested().await;
    let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;";
    let id = dataset_id("https://ddt.example.org/jdd/xss");
    for path in [
        format!("/jeux-de-donnees/{id}"),
        "/recherche?q=script".to_owned(),
        "/recherche?q=balisage&sort=modified".to_owned(),
        "/catalogues/ddt-29".to_owned(),
    ] {
        let body = page(&sandbox, &path).await;
        assert!(!body.contains(XSS_TITLE), "{path} injects the title");
        assert!(!body.contains("<img src=x"), "{path} injects the keyword");
        assert!(
            !body.contains("<b>balisage"),
            "{path} injects the description"
        );
        if !path.starts_with("/catalogues") {
            assert!(
                body.contains(escaped),
                "{path} does not show the title as text"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_pages_carry_security_headers_and_the_stylesheet_is_cached() {
    let sandbox = harvested().await;
    for path in ["/", "/recherche", "/catalogues", "/page-inconnue"] {
        let (_, headers, _) = get(&sandbox, path).await;
        let csp = headers["content-security-policy"].to_str().expect("ascii");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("style-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["referrer-policy"], "same-origin");
    }
    let home = page(&sandbox, "/").await;
    // The only script is our own file (the territory picker's suggestions); none inline.
    let scripts = home.matches("<script").count();
    let own = home.matches("<script src=\"/static/").count();
    assert!(
        scripts == own && !home.contains("style="),
        "no inline script or style"
    );
    let css = home
        .split("rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a stylesheet link");
    let (status, headers, body) = get(&sandbox, css).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/css; charset=utf-8");
    assert!(headers["cache-control"]
        .to_str()
        .unwrap_or_default()
        .contains("immutable"));
    assert!(body.contains("#000091"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn facets_filters_and_paging_are_links() {
    let sandbox = harvested().await;
    let first = page(&sandbox, "/recherche").await;
    assert!(first.contains("26 jeux de données"), "{first}");
    // A facet link adds its filter; following it keeps the 26 datasets of the source.
    assert!(
        first.contains("href=\"/recherche?source=ddt-29\""),
        "{first}"
    );
    let filtered = page(&sandbox, "/recherche?source=ddt-29").await;
    assert!(filtered.contains("26 jeux de données"));
    assert!(
        filtered.contains("Catalogue : Source de test ddt-29"),
        "active filter shown"
    );
    assert!(
        filtered.contains("href=\"/recherche\""),
        "the filter can be removed"
    );
    // 20 results per page: page 2 holds the other 6.
    assert_eq!(first.matches("<li class=\"result\">").count(), 20);
    assert!(first.contains("href=\"/recherche?page=2\""), "{first}");
    let second = page(&sandbox, "/recherche?page=2").await;
    assert_eq!(second.matches("<li class=\"result\">").count(), 6);
    assert!(second.contains("aria-current=\"page\" aria-label=\"Page 2\""));
    // Sorting keeps the filters in hidden fields.
    assert!(filtered.contains("<input type=\"hidden\" name=\"source\" value=\"ddt-29\">"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_to_fix_download_as_csv() {
    let sandbox = harvested().await;
    let (status, headers, csv) = get(&sandbox, "/catalogues/ddt-29/a-corriger.csv").await;
    assert_eq!(status, 200, "{csv}");
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap_or_default()
        .starts_with("attachment; filename="));
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(format!("\u{feff}{}", moisson_web::api::quality::CSV_HEADER).as_str())
    );
    let rows: Vec<&str> = lines.collect();
    assert!(!rows.is_empty());
    // No dataset of the sandbox has a licence: every one is told to add it.
    let id = dataset_id("https://ddt.example.org/jdd/7");
    assert!(
        rows.iter()
            .any(|r| r.starts_with("ddt-29;") && r.contains(&id) && r.contains(";Licence;")),
        "{csv}"
    );
    let (status, _, _) = get(&sandbox, "/catalogues/nope/a-corriger.csv").await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_french_pages() {
    let sandbox = harvested().await;
    for path in [
        "/page-inconnue",
        "/jeux-de-donnees/inconnu",
        "/catalogues/nope",
        "/themes/nope",
    ] {
        let (status, headers, body) = get(&sandbox, path).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(headers["content-type"], "text/html; charset=utf-8");
        assert!(
            body.contains("Page introuvable") && body.contains("lang=\"fr\""),
            "{path}"
        );
    }
    let (status, _, body) = get(&sandbox, "/recherche?theme=pas-un-theme").await;
    assert_eq!(status, 400);
    assert!(body.contains("Requête invalide"));
    let (status, _, body) = get(&sandbox, "/recherche?page=0").await;
    assert_eq!(status, 400, "{body}");
    // The API keeps its JSON errors.
    let (status, json) = sandbox.get_json("/api/nope").await;
    assert_eq!(status, 404);
    assert_eq!(json["error"]["code"], "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_follows_each_harvest() {
    let sandbox = harvested().await;
    let app = sandbox.app();
    let dashboard = |app: axum::Router| async move {
        let request = Request::get("/catalogues/ddt-29")
            .body(Body::empty())
            .expect("request");
        let response = app.oneshot(request).await.expect("infallible");
        let bytes = axum::body::to_bytes(response.into_body(), 64 << 20)
            .await
            .expect("body");
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let first = dashboard(app.clone()).await;
    assert_eq!(first.matches("<circle").count(), 0, "no curve of one point");
    assert!(
        first.contains("Une seule mesure pour l'instant"),
        "one harvest said"
    );
    // A second harvest that changes a record, then its quality: the same server shows it.
    let ids: Vec<u32> = (1..=25).collect();
    sandbox.server.set(
        "/cat.ttl",
        Route::Bytes(
            turtle_catalogue(&ids, Some(3), None).into_bytes(),
            "text/turtle".into(),
        ),
    );
    let source = sandbox.source("ddt-29", &sandbox.server.url("/cat.ttl"));
    sandbox.harvest(&source).await;
    moisson_web::runner::assess_quality(&sandbox.store, &source).expect("quality");
    let second = dashboard(app).await;
    assert_eq!(second.matches("<circle").count(), 2, "two points of trend");
}

/// Issue 14: a bad query parameter answers the API's JSON error shape, not plain text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_query_parameters_answer_the_json_error_shape() {
    let sandbox = harvested().await;
    for path in [
        "/api/sources/ddt-29/jobs?limit=beaucoup",
        "/api/sources/ddt-29/quality?limit=-1",
    ] {
        let (status, body) = sandbox.get_json(path).await;
        assert_eq!(status, 400, "{path}");
        assert_eq!(body["error"]["code"], "invalid_input", "{path}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("limit"), "{path}: {message}");
    }
}

/// GETs `path` with `Accept-Encoding: {encodings}` and returns (status, headers, body
/// decoded from the `Content-Encoding` the server chose).
async fn get_compressed(
    sandbox: &Sandbox,
    path: &str,
    encodings: &str,
) -> (u16, HeaderMap, String) {
    use std::io::Read;
    let request = Request::get(path)
        .header("accept-encoding", encodings)
        .body(Body::empty())
        .expect("request");
    let response = sandbox.app().oneshot(request).await.expect("infallible");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 64 << 20)
        .await
        .expect("body");
    let mut text = String::new();
    match headers
        .get("content-encoding")
        .map(|v| v.to_str().unwrap_or_default())
    {
        Some("gzip") => {
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_string(&mut text)
                .expect("a gzip body");
        }
        Some("br") => {
            brotli_decompressor::Decompressor::new(&bytes[..], 4096)
                .read_to_string(&mut text)
                .expect("a brotli body");
        }
        other => panic!("{path}: not compressed ({other:?})"),
    }
    (status, headers, text)
}

/// Issue 18: pages, the API and `/catalog` answer compressed when the client accepts it,
/// and the body decodes to what an uncompressed request gets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_are_compressed_for_clients_that_accept_it() {
    let sandbox = harvested().await;
    for path in [
        "/recherche?q=zones",
        "/api/datasets?q=zones",
        "/catalog?format=turtle",
    ] {
        let (_, _, plain) = get(&sandbox, path).await;
        for encodings in ["gzip, br", "gzip", "br"] {
            let (status, headers, body) = get_compressed(&sandbox, path, encodings).await;
            assert_eq!(status, 200, "{path}");
            let chosen = headers["content-encoding"].to_str().expect("ascii");
            assert!(
                encodings.contains(chosen),
                "{path}: {chosen} for {encodings}"
            );
            let vary: Vec<&str> = headers
                .get_all("vary")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            assert!(
                vary.iter().any(|v| v.contains("accept-encoding")),
                "{path}: {vary:?}"
            );
            if path.starts_with("/catalog") {
                // Same triples; blank node labels may differ between two writes.
                assert_eq!(body.lines().count(), plain.lines().count(), "{path}");
            } else {
                assert_eq!(body, plain, "{path} with {encodings}");
            }
        }
    }
}

/// Issue 18: a method a route does not answer gets 405 with its `Allow` header, and a body:
/// the JSON error under `/api/`, a French page elsewhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_methods_answer_405_with_a_body() {
    let sandbox = harvested().await;
    let send = |path: &'static str| {
        let app = sandbox.app();
        async move {
            let request = Request::delete(path).body(Body::empty()).expect("request");
            let response = app.oneshot(request).await.expect("infallible");
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .expect("body");
            (
                status,
                headers,
                String::from_utf8_lossy(&bytes).into_owned(),
            )
        }
    };
    let (status, headers, body) = send("/api/datasets").await;
    assert_eq!(status, 405);
    assert!(
        headers["allow"].to_str().is_ok_and(|a| a.contains("GET")),
        "{headers:?}"
    );
    let json: serde_json::Value = serde_json::from_str(&body).expect("a JSON body");
    assert_eq!(json["error"]["code"], "method_not_allowed", "{json}");
    let (status, headers, body) = send("/recherche").await;
    assert_eq!(status, 405);
    assert!(
        headers["allow"].to_str().is_ok_and(|a| a.contains("GET")),
        "{headers:?}"
    );
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert!(
        body.contains("lang=\"fr\"") && body.contains("Méthode non autorisée"),
        "{body}"
    );
}
