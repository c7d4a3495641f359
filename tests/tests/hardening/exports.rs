//! Issue 13, classes 6 and 7: a record holding triples a format cannot write (an invalid
//! IRI forging triples, predicates RDF/XML cannot name) never breaks or forges an export:
//! `/catalog` in every format, `moisson export` and SPARQL results re-parse strictly, with
//! exactly the triples that can be written.

use moisson_tests::{Route, Sandbox};
use oxigraph::io::{JsonLdProfileSet, RdfFormat, RdfParser};
use oxigraph::model::{GraphNameRef, Literal, NamedNode, NamedNodeRef, QuadRef, Triple};

use crate::interfaces::get;
use crate::support::turtle_catalogue;

const FORGED_IRI: &str = "http://x.org/a> <http://x.org/p> \"forged\" .\n<http://x.org/b";
const RDF_ABOUT: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#about";
const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";

/// Parses `body` strictly; panics on any syntax error.
fn parse_strictly(body: &[u8], format: RdfFormat, what: &str) -> Vec<Triple> {
    RdfParser::from_format(format)
        .for_reader(body)
        .map(|q| match q {
            Ok(q) => Triple::from(q),
            Err(e) => panic!(
                "{what} does not parse: {e}\n{}",
                String::from_utf8_lossy(body)
            ),
        })
        .collect()
}

/// Adds to the record graph of `record_iri` (and drops its compact copy, so readers see
/// the quads) two triples with an invalid IRI and four valid ones RDF/XML cannot write.
/// Returns the number of valid triples added.
fn tamper_with(sandbox: &Sandbox, record_iri: &str) -> usize {
    let store = sandbox.store.oxigraph();
    let snapshot = sandbox.store.active_snapshot().expect("snapshot");
    let record = snapshot
        .records()
        .find(|r| r.record_iri == record_iri)
        .expect("the record is active");
    let graph = NamedNode::new(record.graph.as_str()).expect("graph name");
    let blobs = NamedNodeRef::new_unchecked("urn:moisson:blobs");
    let copies: Vec<_> = store
        .quads_for_pattern(
            Some(graph.as_ref().into()),
            None,
            None,
            Some(GraphNameRef::NamedNode(blobs)),
        )
        .collect::<Result<_, _>>()
        .expect("copies");
    assert_eq!(copies.len(), 1, "one compact copy");
    // The graph as quads without a copy (as earlier versions could leave it), so that
    // triples can be added to it.
    let original = sandbox
        .store
        .graph_quads(record.graph.as_str())
        .expect("the record's quads");
    for quad in &copies {
        store.remove(quad).expect("remove the copy");
    }
    for quad in &original {
        store.insert(quad).expect("insert");
    }
    let subject = NamedNode::new(record_iri).expect("record IRI");
    let forged = NamedNode::new_unchecked(FORGED_IRI);
    let p = NamedNode::new_unchecked("http://example.org/ns#p");
    let o = NamedNode::new_unchecked("http://example.org/o");
    let in_graph = GraphNameRef::NamedNode(graph.as_ref());
    let invalid = [
        QuadRef::new(&subject, &p, &forged, in_graph),
        QuadRef::new(&subject, &forged, &o, in_graph),
    ];
    let control = Literal::new_simple_literal("bell \u{7} in a title");
    let about = NamedNode::new_unchecked(RDF_ABOUT);
    let digits = NamedNode::new_unchecked("http://example.org/prop/123");
    let rdf_type = NamedNode::new_unchecked(RDF_TYPE);
    let numbered_class = NamedNode::new_unchecked("http://example.org/class/7");
    let valid = [
        QuadRef::new(&subject, &about, &o, in_graph),
        QuadRef::new(&subject, &digits, &o, in_graph),
        QuadRef::new(&subject, &rdf_type, &numbered_class, in_graph),
        QuadRef::new(&subject, &p, &control, in_graph),
    ];
    for quad in invalid.iter().chain(&valid) {
        store.insert(*quad).expect("insert");
    }
    valid.len()
}

fn rdf_format(name: &str) -> RdfFormat {
    match name {
        "turtle" => RdfFormat::Turtle,
        "rdfxml" => RdfFormat::RdfXml,
        "ntriples" => RdfFormat::NTriples,
        _ => RdfFormat::JsonLd {
            profile: JsonLdProfileSet::empty(),
        },
    }
}

/// Triple counts of every `/catalog` page (page size 2) in `format`, parsed strictly.
async fn catalog_counts(app: &axum::Router, format: &str) -> (usize, Vec<String>) {
    let mut total = 0;
    let mut bodies = Vec::new();
    for page in 1..=3 {
        let reply = get(
            app,
            &format!("/catalog?format={format}&page={page}&page_size=2"),
            &[],
        )
        .await;
        assert_eq!(reply.status, 200, "{format} page {page}: {}", reply.text());
        let triples = parse_strictly(
            &reply.body,
            rdf_format(format),
            &format!("{format} page {page}"),
        );
        assert!(
            triples.iter().all(|t| !t.to_string().contains("forged")),
            "{format}: a forged triple"
        );
        total += triples.len();
        bodies.push(reply.text());
    }
    (total, bodies)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_unwritable_triples_are_skipped_counted_and_never_forged() {
    let sandbox = Sandbox::start().await;
    sandbox.server.set(
        "/ddt.ttl",
        Route::Bytes(
            turtle_catalogue(&[1, 2, 3, 4, 5], None, None).into_bytes(),
            "text/turtle".into(),
        ),
    );
    let source = sandbox.source("ddt-29", &sandbox.server.url("/ddt.ttl"));
    sandbox.harvest(&source).await;
    let app = sandbox.app();

    let mut before = std::collections::BTreeMap::new();
    for format in ["turtle", "ntriples", "rdfxml", "jsonld"] {
        before.insert(format, catalog_counts(&app, format).await.0);
    }
    let export_before = export_count(&sandbox, "ntriples");

    let added = tamper_with(&sandbox, "https://ddt.example.org/jdd/3");
    for format in ["turtle", "ntriples", "jsonld"] {
        let (after, bodies) = catalog_counts(&app, format).await;
        assert_eq!(after, before[format] + added, "{format}");
        if format != "jsonld" {
            assert!(
                bodies.iter().any(|b| b.contains("# 2 triples skipped")),
                "{format}: the skipped triples are counted"
            );
        }
    }
    // RDF/XML writes none of the six: every page stays well-formed.
    let (after, bodies) = catalog_counts(&app, "rdfxml").await;
    assert_eq!(after, before["rdfxml"], "rdfxml");
    assert!(bodies.iter().any(|b| b.contains("<!-- 6 triples skipped")));

    // `moisson export` (the same writer over the whole catalogue).
    assert_eq!(export_count(&sandbox, "ntriples"), export_before + added);
    assert_eq!(export_count(&sandbox, "turtle"), export_before + added);
    assert_eq!(export_count(&sandbox, "rdfxml"), export_before);

    // SPARQL: no forged row or triple either.
    let q = url::form_urlencoded::byte_serialize(
        b"SELECT ?o WHERE { <https://ddt.example.org/jdd/3> <http://example.org/ns#p> ?o }",
    )
    .collect::<String>();
    let reply = get(&app, &format!("/sparql?query={q}&format=tsv"), &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(!reply.text().contains("forged"), "{}", reply.text());
    assert_eq!(reply.text().lines().count(), 2, "header and the valid row");
    let q = url::form_urlencoded::byte_serialize(
        b"CONSTRUCT { <https://ddt.example.org/jdd/3> ?p ?o } WHERE { <https://ddt.example.org/jdd/3> ?p ?o }",
    )
    .collect::<String>();
    let reply = get(&app, &format!("/sparql?query={q}&format=ntriples"), &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let triples = parse_strictly(&reply.body, RdfFormat::NTriples, "CONSTRUCT");
    assert!(triples.iter().all(|t| !t.to_string().contains("forged")));
}

/// Triples of `moisson export --format {format}`, parsed strictly.
fn export_count(sandbox: &Sandbox, format: &str) -> usize {
    let export_format = moisson_catalog::ExportFormat::from_name(format).expect("format");
    let mut out = Vec::new();
    sandbox
        .store
        .export(export_format, "urn:moisson:catalog", &mut out)
        .expect("export");
    parse_strictly(&out, rdf_format(format), &format!("export {format}")).len()
}
