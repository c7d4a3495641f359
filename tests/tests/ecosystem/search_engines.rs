//! Search engines: schema.org `Dataset` JSON-LD in each dataset page, checked against the
//! schema.org terms we mean to use; sitemaps listing every dataset page; robots.txt.

use moisson_catalog::dataset_id;
use serde_json::Value;
use std::collections::BTreeSet;

use super::{get, harvested, parse_xml, site, INJECTION, PUBLIC_URL, SERVICES_IRI};

/// schema.org types we write, with the properties schema.org gives each of them
/// (https://schema.org/Dataset, DataDownload, Place, GeoShape, Organization, DataCatalog).
const ALLOWED: &[(&str, &[&str])] = &[
    (
        "Dataset",
        &[
            "name",
            "description",
            "identifier",
            "keywords",
            "license",
            "spatialCoverage",
            "temporalCoverage",
            "distribution",
            "publisher",
            "dateModified",
            "datePublished",
            "isAccessibleForFree",
            "url",
            "sameAs",
            "inLanguage",
            "includedInDataCatalog",
        ],
    ),
    (
        "DataDownload",
        &["contentUrl", "encodingFormat", "name", "dateModified"],
    ),
    ("Place", &["name", "geo"]),
    ("GeoShape", &["box"]),
    ("Organization", &["name", "url"]),
    ("DataCatalog", &["name", "url"]),
];

/// Checks that every node of `value` has an allowed `@type` and only its properties.
fn check_terms(value: &Value, at: &str) {
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check_terms(item, &format!("{at}[{i}]"));
            }
        }
        Value::Object(map) => {
            let kind = map
                .get("@type")
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("{at}: a node without @type: {value}"));
            let (_, properties) = ALLOWED
                .iter()
                .find(|(t, _)| *t == kind)
                .unwrap_or_else(|| panic!("{at}: type {kind} is not one we allow"));
            for (key, child) in map {
                if key.starts_with('@') {
                    assert!(
                        ["@context", "@type", "@id"].contains(&key.as_str()),
                        "{at}: keyword {key}"
                    );
                    continue;
                }
                assert!(
                    properties.contains(&key.as_str()),
                    "{at}: {kind} has no property {key} in schema.org"
                );
                check_terms(child, &format!("{at}.{key}"));
            }
        }
        _ => {}
    }
}

/// The content of the page's only `application/ld+json` script.
fn json_ld_of(page: &str) -> String {
    let open = "<script type=\"application/ld+json\">";
    assert_eq!(page.matches(open).count(), 1, "one JSON-LD script");
    let start = page.find(open).expect("script") + open.len();
    let end = start + page[start..].find("</script>").expect("script end");
    page[start..end].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dataset_pages_describe_the_dataset_in_schema_org_terms() {
    let sandbox = harvested().await;
    let app = site(&sandbox);
    let id = dataset_id(SERVICES_IRI);
    let (status, _, page) = get(&app, &format!("/jeux-de-donnees/{id}")).await;
    assert_eq!(status, 200);
    // The harvested text closes nothing: the page has exactly one end of script besides
    // that of our own script file (`<script src=…></script>`).
    let own = page.matches("<script src=\"/static/").count();
    assert_eq!(page.matches("</script>").count() - own, 1, "{page}");
    assert!(!page.contains("<script>alert"), "{page}");
    let text = json_ld_of(&page);
    assert!(!text.contains(['<', '>', '&']), "{text}");
    let ld: Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(ld["@context"], "https://schema.org");
    assert_eq!(ld["@type"], "Dataset");
    check_terms(&ld, "$");
    let page_url = format!("{PUBLIC_URL}/jeux-de-donnees/{id}");
    assert_eq!(ld["url"], page_url.as_str());
    assert_eq!(ld["name"], "Zones humides du Finistère (services)");
    assert!(
        ld["description"]
            .as_str()
            .is_some_and(|d| d.ends_with(INJECTION)),
        "the description reads back unchanged: {}",
        ld["description"]
    );
    let identifiers: Vec<&str> = ld["identifier"]
        .as_array()
        .expect("identifiers")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(identifiers.contains(&SERVICES_IRI) && identifiers.contains(&"zh-services-29"));
    let keywords: BTreeSet<&str> = ld["keywords"]
        .as_array()
        .expect("keywords")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(keywords, BTreeSet::from(["eau", "zones humides"]));
    assert_eq!(
        ld["license"],
        "https://www.etalab.gouv.fr/licence-ouverte-open-licence"
    );
    assert_eq!(ld["isAccessibleForFree"], true);
    assert_eq!(ld["temporalCoverage"], "2010-01-01/2020-12-31");
    assert_eq!(ld["dateModified"], "2024-03-01");
    assert_eq!(ld["datePublished"], "2019-05-02");
    assert_eq!(ld["publisher"]["@type"], "Organization");
    assert_eq!(ld["publisher"]["name"], "DDT du Finistère");
    assert_eq!(ld["spatialCoverage"]["@type"], "Place");
    assert_eq!(ld["spatialCoverage"]["geo"]["box"], "47.7 -5.2 48.8 -3.4");
    let distributions = ld["distribution"].as_array().expect("distributions");
    assert_eq!(distributions.len(), 3, "{distributions:?}");
    let csv = distributions
        .iter()
        .find(|d| d["contentUrl"] == "https://ddt.example.org/files/zones.csv")
        .expect("the CSV download");
    assert_eq!(csv["encodingFormat"], "text/csv");
    assert!(distributions.iter().all(|d| d["contentUrl"]
        .as_str()
        .is_some_and(|u| u.starts_with("https://"))));
    assert_eq!(
        ld["includedInDataCatalog"][0]["url"],
        format!("{PUBLIC_URL}/catalogues/ddt-29").as_str()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sitemaps_list_every_dataset_page_with_absolute_urls() {
    let sandbox = harvested().await;
    let app = site(&sandbox);
    let (status, content_type, index) = get(&app, "/sitemap.xml").await;
    assert_eq!(status, 200);
    assert!(
        content_type.starts_with("application/xml"),
        "{content_type}"
    );
    let index = parse_xml(&index);
    assert_eq!(index[0].name(), "sitemapindex");
    let pages: Vec<String> = index
        .iter()
        .filter(|e| e.path == ["sitemapindex", "sitemap", "loc"])
        .map(|e| e.text.clone())
        .collect();
    assert_eq!(pages, vec![format!("{PUBLIC_URL}/sitemaps/1.xml")]);
    let path = pages[0].strip_prefix(PUBLIC_URL).expect("absolute");
    let (status, _, page) = get(&app, path).await;
    assert_eq!(status, 200);
    let page = parse_xml(&page);
    assert_eq!(page[0].name(), "urlset");
    let locs: Vec<&str> = page
        .iter()
        .filter(|e| e.path == ["urlset", "url", "loc"])
        .map(|e| e.text.as_str())
        .collect();
    assert!(locs.len() <= 50_000);
    assert_eq!(
        locs.iter().collect::<BTreeSet<_>>().len(),
        locs.len(),
        "each URL once"
    );
    assert!(locs.iter().all(|l| l.starts_with(PUBLIC_URL)), "{locs:?}");
    let listed: BTreeSet<&str> = locs
        .iter()
        .filter_map(|l| l.strip_prefix(&format!("{PUBLIC_URL}/jeux-de-donnees/")))
        .collect();
    let active: BTreeSet<String> = sandbox
        .store
        .active_entries()
        .expect("registry")
        .into_iter()
        .map(|e| e.dataset_id)
        .collect();
    assert_eq!(active.len(), 31);
    assert_eq!(
        listed,
        active.iter().map(String::as_str).collect::<BTreeSet<_>>()
    );
    for page in [
        "/",
        "/themes",
        "/cas-d-usage",
        "/catalogues",
        "/catalogues/ddt-29",
    ] {
        assert!(
            locs.contains(&format!("{PUBLIC_URL}{page}").as_str()),
            "{page} missing"
        );
    }
    assert!(locs.iter().any(|l| l.contains("/themes/")));
    assert!(locs.iter().any(|l| l.contains("/cas-d-usage/")));
    // Every dataset URL carries its last change; each listed page answers.
    let with_lastmod = page
        .iter()
        .filter(|e| e.path == ["urlset", "url", "lastmod"])
        .count();
    assert!(with_lastmod >= 31);
    let first = listed.iter().next().expect("a dataset");
    let (status, _, _) = get(&app, &format!("/jeux-de-donnees/{first}")).await;
    assert_eq!(status, 200);
    let (status, _, _) = get(&app, "/sitemaps/2.xml").await;
    assert_eq!(status, 404);
    let (status, _, _) = get(&app, "/sitemaps/0.xml").await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_txt_points_at_the_sitemap() {
    let sandbox = harvested().await;
    let (status, content_type, robots) = get(&site(&sandbox), "/robots.txt").await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/plain"));
    assert!(robots.contains(&format!("Sitemap: {PUBLIC_URL}/sitemap.xml")));
    assert!(robots.contains("Disallow: /api/") && robots.contains("Disallow: /sparql"));
    // Without a configured address, the request's host is used.
    let (_, _, robots) = get(&sandbox.app_without_public_url(), "/robots.txt").await;
    assert!(
        robots.contains("Sitemap: http://interne.test/sitemap.xml"),
        "{robots}"
    );
}
