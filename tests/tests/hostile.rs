//! Issue 13: hostile catalogues served on loopback neither crash the process nor poison
//! the store. Each class is refused or cut with a located message, and what an earlier
//! harvest stored stays.

use moisson_catalog::{JobReport, JobStatus, SourceId};
use moisson_demo::hostile;
use moisson_harvester::{CswOutputSchema, Protocol, Source};
use moisson_tests::{Route, Sandbox};

use crate::support::{export_ntriples, turtle_catalogue};

/// Harvests a good catalogue at `path`, then `bytes` there; returns the second report
/// after checking the earlier data is intact when the second harvest failed.
async fn after_good_harvest(
    sandbox: &Sandbox,
    id: &str,
    bytes: Vec<u8>,
    content_type: &str,
) -> JobReport {
    let path = format!("/hostile/{id}");
    let good = turtle_catalogue(&[1, 2, 3], None, None);
    sandbox
        .server
        .set(&path, Route::Bytes(good.into_bytes(), "text/turtle".into()));
    let source = sandbox.source(id, &sandbox.server.url(&path));
    let first = sandbox.harvest(&source).await;
    assert_eq!(first.status, JobStatus::Ok, "{id}: {first:#?}");
    sandbox
        .server
        .set(&path, Route::Bytes(bytes, content_type.into()));
    let report = sandbox.harvest(&source).await;
    if report.status == JobStatus::Failed {
        let counts = sandbox.store.source_counts(id).expect("counts");
        assert_eq!(counts.datasets, 3, "{id}: earlier data lost: {report:#?}");
    }
    report
}

fn csw_source(sandbox: &Sandbox, id: &str, path: &str) -> Source {
    let source = Source {
        csw_output_schema: CswOutputSchema::Iso19139,
        ..Source::new(
            SourceId::new(id).expect("valid id"),
            id,
            sandbox.server.url(path),
            Protocol::Csw,
        )
    };
    sandbox.source(id, &sandbox.server.url(path));
    source
}

/// Class 1: a JSON-LD page nested 5,000 levels overflowed the stack of `moisson serve`;
/// Turtle blank nodes and collections and RDF/XML elements nest the same way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_deep_nesting_is_refused_with_its_location() {
    let sandbox = Sandbox::start().await;
    for (id, text, content_type) in [
        (
            "deep-jsonld",
            hostile::deep_jsonld(5000),
            "application/ld+json",
        ),
        (
            "deep-ttl-blank",
            hostile::deep_turtle_blank_nodes(5000),
            "text/turtle",
        ),
        (
            "deep-ttl-list",
            hostile::deep_turtle_collections(5000),
            "text/turtle",
        ),
        (
            "deep-rdfxml",
            hostile::deep_rdf_xml(5000),
            "application/rdf+xml",
        ),
        (
            "very-deep-jsonld",
            hostile::deep_jsonld(200_000),
            "application/ld+json",
        ),
    ] {
        let report = after_good_harvest(&sandbox, id, text.into_bytes(), content_type).await;
        assert_eq!(report.status, JobStatus::Failed, "{id}: {report:#?}");
        let error = &report.errors[0];
        assert!(
            error.message.contains("nested deeper than 64"),
            "{id}: {error:?}"
        );
        assert!(
            error.location.starts_with("page 1 (")
                && error.location.contains(", line ")
                && error.location.contains(" column "),
            "{id}: {error:?}"
        );
    }
}

/// Class 2: the string-scanning entity guard missed a `]` in a DOCTYPE comment, a DOCTYPE
/// after the root, a lowercase doctype; CSW DCAT records were not guarded at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_entity_bombs_are_refused_in_every_xml_path() {
    let sandbox = Sandbox::start().await;
    for (id, text) in [
        ("bomb", hostile::entity_bomb("!DOCTYPE", "", false)),
        (
            "bomb-comment",
            hostile::entity_bomb("!DOCTYPE", "<!-- ] -->\n", false),
        ),
        (
            "bomb-lowercase",
            hostile::entity_bomb("!doctype", "", false),
        ),
        ("bomb-late", hostile::entity_bomb("!DOCTYPE", "", true)),
    ] {
        let report =
            after_good_harvest(&sandbox, id, text.into_bytes(), "application/rdf+xml").await;
        assert_eq!(report.status, JobStatus::Failed, "{id}: {report:#?}");
        let error = &report.errors[0];
        assert!(
            error.message.contains("entity expansion bomb"),
            "{id}: {error:?}"
        );
        assert!(error.location.contains("line "), "{id}: {error:?}");
    }
    sandbox.server.set(
        "/csw/bomb",
        Route::Bytes(
            hostile::csw_dcat_record_bomb().into_bytes(),
            "application/xml".into(),
        ),
    );
    let source = csw_source(&sandbox, "csw-bomb", "/csw/bomb");
    let report = sandbox.harvest(&source).await;
    assert_eq!(report.status, JobStatus::Failed, "{report:#?}");
    assert!(
        report.errors[0].message.contains("entity expansion bomb")
            && report.errors[0].message.contains("at byte"),
        "{report:#?}"
    );
    assert!(
        sandbox.store.quad_count().expect("count") < 10_000,
        "nothing of the bomb is stored"
    );
}

/// Class 2 (literal cap): a literal over `max_literal_bytes` is left out with a record
/// warning and never stored; the rest of the record is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_over_long_literals_are_not_stored() {
    let sandbox = Sandbox::start().await;
    sandbox.server.set(
        "/hostile/huge-literal",
        Route::Bytes(
            hostile::huge_literal(2 << 20).into_bytes(),
            "text/turtle".into(),
        ),
    );
    let source = sandbox.source("huge-literal", &sandbox.server.url("/hostile/huge-literal"));
    let report = sandbox.harvest(&source).await;
    assert_eq!(report.status, JobStatus::Ok, "{report:#?}");
    let warning = report
        .warnings
        .iter()
        .find(|w| w.message.contains("max_literal_bytes"))
        .expect("a warning for the literal");
    assert!(
        warning
            .location
            .contains("record <https://hostile.example/jdd/1>")
            && warning.message.contains("2097152 octets"),
        "{warning:?}"
    );
    let registry = sandbox.store.registry("huge-literal").expect("registry");
    let entry = registry
        .get("https://hostile.example/jdd/1")
        .expect("the record is taken");
    let quads = sandbox.store.graph_quads(&entry.graph).expect("graph");
    assert!(quads.iter().any(|q| q.object.to_string() == "\"Long\""));
    assert!(quads.iter().all(|q| q.object.to_string().len() < 1 << 20));
}

/// Class 4: a node shared by many records was copied into each (a 505 KB page became a
/// 276 MB store). The page's records now hold at most `max_expansion_ratio` times its
/// triples; the records past the budget are rejected, each with the reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_shared_node_amplification_is_bounded() {
    let sandbox = Sandbox::start().await;
    let page = hostile::shared_node_amplification(2000, 500);
    let page_triples = 2000 * 2 + 501;
    let before = sandbox.store.quad_count().expect("count");
    let report = after_good_harvest(&sandbox, "amplified", page.into_bytes(), "text/turtle").await;
    // Rejected records make the job partial (what was taken is kept).
    assert_eq!(report.status, JobStatus::Partial, "{report:#?}");
    assert!(report.counts.rejected > 1000, "{:?}", report.counts);
    assert!(report.counts.added > 10, "{:?}", report.counts);
    let error = &report.errors[0];
    assert!(
        error.message.contains("budget d'expansion")
            && error
                .location
                .contains("record <https://hostile.example/jdd/"),
        "{error:?}"
    );
    // Without the budget: 2,000 copies of a 501-triple node, a million quads.
    let stored = sandbox.store.quad_count().expect("count") - before;
    let budget = 10 * page_triples + 10_000;
    // Each record graph is stored with its compact copy and registry entries.
    assert!(stored < 2 * budget, "{stored} quads stored");
}

/// Class 6: ISO 19139 anchors whose `xlink:href` holds `> .` and line breaks were stored
/// as unchecked IRIs, and the N-Triples export carried forged triples.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_iso_anchor_iris_cannot_forge_triples() {
    let sandbox = Sandbox::start().await;
    sandbox.server.set(
        "/csw/injection",
        Route::Bytes(
            hostile::iso_anchor_injection().into_bytes(),
            "application/xml".into(),
        ),
    );
    let source = csw_source(&sandbox, "injection", "/csw/injection");
    let report = sandbox.harvest(&source).await;
    assert_eq!(report.status, JobStatus::Ok, "{report:#?}");
    assert_eq!(report.dataset_count, 1);
    let warnings: Vec<&str> = report.warnings.iter().map(|w| w.message.as_str()).collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("IRI de licence invalide")),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().any(
            |w| w.contains("IRI invalide ignorée pour <http://purl.org/dc/terms/accessRights>")
        ),
        "{warnings:?}"
    );
    let export = export_ntriples(&sandbox);
    assert!(export.contains("Injection"), "the record is exported");
    assert!(!export.contains("evil.example"), "{export}");
    for line in export.lines() {
        assert!(
            oxigraph::io::RdfParser::from_format(oxigraph::io::RdfFormat::NTriples)
                .for_slice(line.as_bytes())
                .all(|t| t.is_ok()),
            "{line}"
        );
    }
}
