//! `GET /catalog`: round trip through a second Moisson, shapes, conneg, paging, ETag,
//! filters.

use moisson_catalog::shacl::{parse_graph, ValidationResult};
use moisson_catalog::{CatalogStore, RecordKind};
use moisson_harvester::{FetchOptions, Fetcher};
use moisson_tests::{Route, Sandbox};
use oxigraph::io::{JsonLdProfileSet, RdfFormat, RdfParser};
use oxigraph::model::{Graph, Term, Triple};
use std::collections::{BTreeMap, BTreeSet};

use super::{get, harvested_sandbox, Reply};
use crate::support::turtle_catalogue;

const HYDRA: &str = "http://www.w3.org/ns/hydra/core#";

fn parse(reply: &Reply, format: RdfFormat) -> Vec<Triple> {
    RdfParser::from_format(format)
        .for_reader(reply.body.as_slice())
        .map(|q| Triple::from(q.expect("the export parses")))
        .collect()
}

fn objects(triples: &[Triple], predicate: &str) -> Vec<String> {
    triples
        .iter()
        .filter(|t| t.predicate.as_str() == predicate)
        .map(|t| match &t.object {
            Term::NamedNode(n) => n.as_str().to_owned(),
            Term::Literal(l) => l.value().to_owned(),
            other => other.to_string(),
        })
        .collect()
}

fn hydra(triples: &[Triple], local: &str) -> Option<String> {
    objects(triples, &format!("{HYDRA}{local}"))
        .into_iter()
        .next()
}

/// What a store holds, per dataset id: the titles and the distributions of its records
/// (one per source holding it: the export merges them under the dataset IRI), and the
/// themes Moisson assigned it.
type Holdings = BTreeMap<String, (BTreeSet<Option<String>>, BTreeSet<String>, Vec<String>)>;

fn datasets_of(sandbox: &Sandbox) -> Holdings {
    let store: &CatalogStore = &sandbox.store;
    let mut out = Holdings::new();
    for record in store.active_snapshot().expect("snapshot").records() {
        if record.kind == RecordKind::Service {
            continue;
        }
        let themes = sandbox
            .index
            .summary_of(&record.dataset_id)
            .expect("index")
            .map(|s| s.themes)
            .unwrap_or_default();
        let entry = out
            .entry(record.dataset_id.clone())
            .or_insert_with(|| (BTreeSet::new(), BTreeSet::new(), themes));
        for e in store
            .entries_for_dataset(&record.dataset_id)
            .expect("store")
        {
            let view = store.view_of(&e).expect("view");
            entry.0.insert(view.title.clone());
            for d in &view.distributions {
                let mut urls: Vec<&String> = d.access_urls.iter().chain(&d.download_urls).collect();
                urls.sort();
                entry.1.insert(format!("{} {urls:?}", d.iri));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_moisson_harvesting_catalog_gets_the_same_datasets() {
    let first = harvested_sandbox().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let app = first.app_at(&format!("http://{address}"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let mut second = Sandbox::start().await;
    second.fetcher = Fetcher::new(FetchOptions {
        retries: 0,
        timeout_secs: 30,
        ..FetchOptions::default()
    })
    .expect("fetcher");
    let source = second.source("moisson", &format!("http://{address}/catalog?page_size=7"));
    let report = second.harvest(&source).await;
    assert_eq!(report.status.as_str(), "ok", "{report:?}");

    let expected = datasets_of(&first);
    let got = datasets_of(&second);
    let total = first.store.active_snapshot().expect("snapshot").len();
    assert!(
        report.counts.pages as usize >= total.div_ceil(7),
        "paged: {} pages for {total} records",
        report.counts.pages
    );
    assert!(expected.len() >= 5, "{expected:?}");
    assert_eq!(
        expected.keys().collect::<Vec<_>>(),
        got.keys().collect::<Vec<_>>(),
        "same set of datasets"
    );
    for (id, (titles, distributions, themes)) in &expected {
        let (t, d, th) = &got[id];
        assert!(
            t.is_subset(titles),
            "title of {id}: {t:?} not in {titles:?}"
        );
        assert_eq!(distributions, d, "distributions of {id}");
        assert_eq!(themes, th, "themes of {id}");
    }
}

/// A violation, keyed so that input and export can be compared.
fn key(r: &ValidationResult) -> String {
    format!(
        "{} {:?} {} {} {:?}",
        r.focus,
        r.path.as_ref().map(|p| format!("{p:?}")),
        r.component,
        r.shape,
        r.value
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_adds_no_violation_of_the_dcat_ap_shapes() {
    let sandbox = harvested_sandbox().await;
    let validator = moisson_web::api::quality::validator().expect("shapes compile");
    let mut input = Graph::new();
    for record in sandbox.store.active_snapshot().expect("snapshot").records() {
        for q in sandbox.store.graph_quads(&record.graph).expect("graph") {
            input.insert(&Triple::new(q.subject, q.predicate, q.object));
        }
    }
    let app = sandbox.app();
    let mut export = Graph::new();
    let mut page = 1;
    loop {
        let reply = get(&app, &format!("/catalog?page_size=25&page={page}"), &[]).await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        let graph = parse_graph(&reply.body, RdfFormat::Turtle, "http://moisson.test/")
            .expect("the export parses");
        let next = graph
            .iter()
            .any(|t| t.predicate.as_str() == format!("{HYDRA}next"));
        for t in &graph {
            export.insert(t);
        }
        if !next {
            break;
        }
        page += 1;
    }
    let before: BTreeSet<String> = validator.validate(&input).results.iter().map(key).collect();
    let after: Vec<String> = validator
        .validate(&export)
        .results
        .iter()
        .map(key)
        .filter(|k| !before.contains(k))
        .collect();
    assert!(
        after.is_empty(),
        "violations added by the export: {after:#?}"
    );
}

/// Serves the test catalogue of `ids` at `/ddt.ttl` (`changed`: the one with a revised title).
fn serve_ddt(sandbox: &Sandbox, ids: &[u32], changed: Option<u32>) {
    sandbox.server.set(
        "/ddt.ttl",
        Route::Bytes(
            turtle_catalogue(ids, changed, None).into_bytes(),
            "text/turtle".into(),
        ),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_negotiates_pages_filters_and_answers_conditionally() {
    let sandbox = Sandbox::start().await;
    let serve = |ids: &[u32], changed: Option<u32>| serve_ddt(&sandbox, ids, changed);
    serve(&[1, 2, 3, 4, 5], None);
    let source = sandbox.source("ddt-29", &sandbox.server.url("/ddt.ttl"));
    sandbox.harvest(&source).await;
    let app = sandbox.app();

    // Content negotiation.
    let turtle = get(&app, "/catalog", &[]).await;
    assert_eq!(turtle.status, 200, "{}", turtle.text());
    assert!(turtle
        .header("content-type")
        .unwrap_or_default()
        .starts_with("text/turtle"));
    let triples = parse(&turtle, RdfFormat::Turtle);
    assert_eq!(hydra(&triples, "totalItems").as_deref(), Some("5"));
    assert_eq!(
        objects(&triples, "http://www.w3.org/ns/dcat#catalog"),
        vec!["http://moisson.test/catalog/ddt-29"]
    );
    assert_eq!(
        objects(&triples, "http://xmlns.com/foaf/0.1/primaryTopic").len(),
        5,
        "one catalogue record per record"
    );
    for (accept, media, format) in [
        (
            "application/ld+json",
            "application/ld+json",
            RdfFormat::JsonLd {
                profile: JsonLdProfileSet::empty(),
            },
        ),
        (
            "application/rdf+xml",
            "application/rdf+xml",
            RdfFormat::RdfXml,
        ),
        (
            "application/n-triples;q=0.9, text/turtle;q=0.1",
            "application/n-triples",
            RdfFormat::NTriples,
        ),
    ] {
        let reply = get(&app, "/catalog", &[("accept", accept)]).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-type").as_deref(), Some(media));
        let parsed = parse(&reply, format);
        assert_eq!(parsed.len(), triples.len(), "{accept}: same triples");
    }
    let reply = get(
        &app,
        "/catalog?format=ntriples",
        &[("accept", "text/turtle")],
    )
    .await;
    assert_eq!(
        reply.header("content-type").as_deref(),
        Some("application/n-triples")
    );
    assert_eq!(
        get(&app, "/catalog", &[("accept", "image/png")])
            .await
            .status,
        406
    );
    assert_eq!(get(&app, "/catalog?q=eau", &[]).await.status, 400);

    // Hydra paging.
    let page = |n: u32| format!("/catalog?page_size=2&page={n}");
    let first = parse(&get(&app, &page(1), &[]).await, RdfFormat::Turtle);
    let expected = |n: u32| format!("http://moisson.test/catalog?page={n}&page_size=2");
    assert_eq!(hydra(&first, "next"), Some(expected(2)));
    assert_eq!(hydra(&first, "last"), Some(expected(3)));
    assert_eq!(hydra(&first, "first"), Some(expected(1)));
    assert_eq!(hydra(&first, "previous"), None);
    let last = parse(&get(&app, &page(3), &[]).await, RdfFormat::Turtle);
    assert_eq!(hydra(&last, "next"), None);
    assert_eq!(hydra(&last, "previous"), Some(expected(2)));
    assert_eq!(
        objects(&last, "http://xmlns.com/foaf/0.1/primaryTopic").len(),
        1
    );
    assert_eq!(get(&app, &page(4), &[]).await.status, 404);

    // Conditional requests.
    let etag = turtle.header("etag").expect("etag");
    let modified = turtle.header("last-modified").expect("last-modified");
    assert_eq!(
        get(&app, "/catalog", &[("if-none-match", &etag)])
            .await
            .status,
        304
    );
    assert_eq!(
        get(&app, "/catalog", &[("if-none-match", "\"other\"")])
            .await
            .status,
        200
    );
    assert_eq!(
        get(&app, "/catalog", &[("if-modified-since", &modified)])
            .await
            .status,
        304
    );
    assert_eq!(
        get(
            &app,
            "/catalog",
            &[("if-modified-since", "Mon, 01 Jan 2001 00:00:00 GMT")]
        )
        .await
        .status,
        200
    );

    // Filters: the same datasets as the search API.
    let themes = sandbox.get_json("/api/themes").await.1;
    let theme = themes
        .as_array()
        .expect("themes")
        .iter()
        .find(|t| t["count"].as_u64().unwrap_or(0) > 0)
        .expect("a theme with datasets");
    let slug = theme["id"].as_str().expect("slug");
    let filtered = parse(
        &get(&app, &format!("/catalog?theme={slug}&page_size=1000"), &[]).await,
        RdfFormat::Turtle,
    );
    assert_eq!(
        hydra(&filtered, "totalItems"),
        Some(theme["count"].to_string())
    );
    let themed = objects(&filtered, "http://www.w3.org/ns/dcat#theme");
    assert!(themed.contains(&theme["iri"].as_str().expect("iri").to_owned()));
    let none = parse(
        &get(&app, "/catalog?source=nope", &[]).await,
        RdfFormat::Turtle,
    );
    assert_eq!(hydra(&none, "totalItems").as_deref(), Some("0"));
    assert_eq!(
        get(&app, "/catalog?theme=not-a-theme", &[]).await.status,
        400
    );

    // A change of the catalogue changes the ETag; withdrawn records are not exported.
    serve(&[1, 2, 3, 4], Some(2));
    sandbox.harvest(&source).await;
    let app = sandbox.app();
    let after = get(&app, "/catalog", &[("if-none-match", &etag)]).await;
    assert_eq!(after.status, 200);
    assert_ne!(after.header("etag"), Some(etag));
    let triples = parse(&after, RdfFormat::Turtle);
    assert_eq!(hydra(&triples, "totalItems").as_deref(), Some("4"));
    assert!(!objects(&triples, "http://www.w3.org/ns/dcat#dataset")
        .contains(&"https://ddt.example.org/jdd/5".to_owned()));

    // Source filters: each source's records, alone or together, on either side of
    // another source in the order of the snapshot.
    let copy = sandbox.source("aa-copie", &sandbox.server.url("/ddt.ttl"));
    sandbox.harvest(&copy).await;
    let last = sandbox.source("zz-copie", &sandbox.server.url("/ddt.ttl"));
    sandbox.harvest(&last).await;
    let app = sandbox.app();
    for (query, total) in [
        ("", "12"),
        ("?source=ddt-29", "4"),
        ("?source=aa-copie", "4"),
        ("?source=zz-copie&source=aa-copie", "8"),
        ("?source=ddt-29&source=nope", "4"),
        ("?source=ddt-29&page_size=3&page=2", "4"),
    ] {
        let reply = get(&app, &format!("/catalog{query}"), &[]).await;
        assert_eq!(reply.status, 200, "{query}");
        let triples = parse(&reply, RdfFormat::Turtle);
        assert_eq!(
            hydra(&triples, "totalItems").as_deref(),
            Some(total),
            "{query}"
        );
    }
    let second_page = parse(
        &get(&app, "/catalog?source=ddt-29&page_size=3&page=2", &[]).await,
        RdfFormat::Turtle,
    );
    assert_eq!(
        objects(&second_page, "http://www.w3.org/ns/dcat#dataset").len(),
        1,
        "the fourth of ddt-29's records"
    );
    // A source's pages change their ETag when its records change, not another's.
    let etag_of = |reply: &Reply| reply.header("etag").expect("etag").to_owned();
    let ddt_before = etag_of(&get(&app, "/catalog?source=ddt-29", &[]).await);
    let copy_before = etag_of(&get(&app, "/catalog?source=aa-copie", &[]).await);
    serve(&[1, 2, 3], None);
    sandbox.harvest(&source).await;
    let app = sandbox.app();
    let ddt_after = get(&app, "/catalog?source=ddt-29", &[]).await;
    assert_ne!(etag_of(&ddt_after), ddt_before);
    let triples = parse(&ddt_after, RdfFormat::Turtle);
    assert_eq!(hydra(&triples, "totalItems").as_deref(), Some("3"));
    assert_eq!(
        etag_of(&get(&app, "/catalog?source=aa-copie", &[]).await),
        copy_before
    );
    // The same number of records, one of them changed.
    serve(&[1, 2, 3], Some(1));
    sandbox.harvest(&source).await;
    let app = sandbox.app();
    let changed = get(&app, "/catalog?source=ddt-29", &[]).await;
    let triples = parse(&changed, RdfFormat::Turtle);
    assert_eq!(hydra(&triples, "totalItems").as_deref(), Some("3"));
    assert_ne!(etag_of(&changed), etag_of(&ddt_after));
}

/// Issue 19: the pages of a filtered selection (theme, `modified_since`) are sliced from
/// one selection kept between requests; they still tile it exactly, and a harvest that
/// changes its records (a new snapshot, a new index generation) is seen at once by every
/// page, its total and its ETag.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filtered_pages_follow_the_catalogue_through_kept_selections() {
    let sandbox = Sandbox::start().await;
    let serve = |ids: &[u32], changed: Option<u32>| serve_ddt(&sandbox, ids, changed);
    serve(&[1, 2, 3, 4, 5, 6, 7], None);
    let source = sandbox.source("ddt-29", &sandbox.server.url("/ddt.ttl"));
    sandbox.harvest(&source).await;
    let app = sandbox.app();
    let themes = sandbox.get_json("/api/themes").await.1;
    let slug = themes
        .as_array()
        .expect("themes")
        .iter()
        .find(|t| t["count"].as_u64() == Some(7))
        .and_then(|t| t["id"].as_str())
        .expect("a theme of every dataset")
        .to_owned();
    let datasets = |triples: &[Triple]| {
        let mut found = objects(triples, "http://www.w3.org/ns/dcat#dataset");
        found.sort();
        found
    };
    for filter in [
        format!("theme={slug}"),
        "modified_since=2001-01-01".to_owned(),
        format!("theme={slug}&source=ddt-29&modified_since=2001-01-01"),
    ] {
        let whole = parse(
            &get(&app, &format!("/catalog?{filter}&page_size=1000"), &[]).await,
            RdfFormat::Turtle,
        );
        assert_eq!(
            hydra(&whole, "totalItems").as_deref(),
            Some("7"),
            "{filter}"
        );
        // Twice over: the second pass reads the kept selection.
        for pass in 0..2 {
            let mut paged = Vec::new();
            for page in 1..=3 {
                let reply = get(
                    &app,
                    &format!("/catalog?{filter}&page_size=3&page={page}"),
                    &[],
                )
                .await;
                assert_eq!(reply.status, 200, "{filter} page {page}");
                let triples = parse(&reply, RdfFormat::Turtle);
                assert_eq!(hydra(&triples, "totalItems").as_deref(), Some("7"));
                paged.extend(datasets(&triples));
            }
            paged.sort();
            assert_eq!(
                paged,
                datasets(&whole),
                "{filter}, pass {pass}: pages tile the selection"
            );
        }
    }
    let themed = format!("/catalog?theme={slug}&page_size=3&page=1");
    let before = get(&app, &themed, &[]).await;
    let etag = before.header("etag").expect("etag");
    assert_eq!(
        get(&app, &themed, &[("if-none-match", &etag)]).await.status,
        304
    );
    // One record withdrawn, one changed: the kept selection is not used any more.
    serve(&[2, 3, 4, 5, 6, 7], Some(2));
    sandbox.harvest(&source).await;
    let app = sandbox.app();
    let after = get(&app, &themed, &[("if-none-match", &etag)]).await;
    assert_eq!(after.status, 200, "the page changed");
    let triples = parse(&after, RdfFormat::Turtle);
    assert_eq!(hydra(&triples, "totalItems").as_deref(), Some("6"));
    assert!(!datasets(&triples).contains(&"https://ddt.example.org/jdd/1".to_owned()));
    let since = parse(
        &get(
            &app,
            "/catalog?modified_since=2001-01-01&page_size=3&page=2",
            &[],
        )
        .await,
        RdfFormat::Turtle,
    );
    assert_eq!(hydra(&since, "totalItems").as_deref(), Some("6"));
    assert_eq!(datasets(&since).len(), 3);
    assert_eq!(
        get(
            &app,
            "/catalog?modified_since=2001-01-01&page_size=3&page=3",
            &[]
        )
        .await
        .status,
        404,
        "six records: two pages"
    );
}

/// Issue 16: `/catalog` and the SPARQL classification graph name communes and EPCIs too,
/// with INSEE IRIs (the EPCI by its SIREN), labelled; the output parses again and every
/// `dct:spatial` IRI is one Moisson's own territory reader understands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_and_sparql_name_communes_and_epcis_with_insee_iris() {
    let sandbox = Sandbox::start().await;
    let body = "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n\
        @prefix dct: <http://purl.org/dc/terms/> .\n\
        <https://cat.example.org/> a dcat:Catalog ; dcat:dataset <https://ddt29.example.org/jdd/air> .\n\
        <https://ddt29.example.org/jdd/air> a dcat:Dataset ;\n\
          dct:title \"Qualité de l'air\"@fr ; dct:description \"Mesures.\"@fr ;\n\
          dct:spatial <http://id.insee.fr/geo/commune/29019> .\n";
    sandbox.server.set(
        "/air.ttl",
        Route::Bytes(body.as_bytes().to_vec(), "text/turtle".into()),
    );
    let source = sandbox.source("ddt-29", &sandbox.server.url("/air.ttl"));
    sandbox.harvest(&source).await;
    let app = sandbox.app();

    let reply = get(&app, "/catalog", &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let triples = parse(&reply, RdfFormat::Turtle);
    let spatial: BTreeSet<String> = objects(&triples, "http://purl.org/dc/terms/spatial")
        .into_iter()
        .collect();
    for expected in [
        "http://id.insee.fr/geo/commune/29019",
        "http://id.insee.fr/geo/intercommunalite/242900314",
        "http://id.insee.fr/geo/departement/29",
        "http://id.insee.fr/geo/region/53",
    ] {
        assert!(spatial.contains(expected), "{expected} not in {spatial:?}");
    }
    let labels: BTreeMap<String, String> = triples
        .iter()
        .filter(|t| t.predicate.as_str() == "http://www.w3.org/2004/02/skos/core#prefLabel")
        .filter_map(|t| match &t.object {
            Term::Literal(l) => Some((t.subject.to_string(), l.value().to_owned())),
            _ => None,
        })
        .collect();
    assert_eq!(
        labels
            .get("<http://id.insee.fr/geo/commune/29019>")
            .map(String::as_str),
        Some("Brest")
    );
    // Read back as a record's coverage, each IRI names the place it was written for.
    let record = moisson_catalog::DatasetView {
        spatial: vec!["http://id.insee.fr/geo/intercommunalite/242900314".into()],
        ..Default::default()
    };
    let classified = moisson_search::classify(
        &record,
        moisson_catalog::vocab::vocabularies(),
        &Default::default(),
    );
    assert!(
        classified
            .territories
            .iter()
            .any(|t| t.value == "epci-242900314"),
        "{classified:?}"
    );

    let query: String = url::form_urlencoded::byte_serialize(
        "SELECT ?d WHERE { GRAPH <urn:moisson:classification> { \
         ?d <http://purl.org/dc/terms/spatial> <http://id.insee.fr/geo/commune/29019> } }"
            .as_bytes(),
    )
    .collect();
    let reply = get(&app, &format!("/sparql?query={query}"), &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let bindings = reply.json()["results"]["bindings"].clone();
    assert_eq!(
        bindings[0]["d"]["value"], "https://ddt29.example.org/jdd/air",
        "{bindings}"
    );
}
