//! The W3C SHACL Core test suite (../shared/reference/shacl-tests), run from its manifests
//! through one `check_suite(manifest, known_failures)`.
//!
//! Full compliance is checked: same `sh:conforms` and the same multiset of results
//! (focus node, path, severity, component, source shape, value).

use moisson_catalog::shacl::{parse_graph, path_from_graph, Path, Shapes};
use oxigraph::io::RdfFormat;
use oxigraph::model::{Graph, NamedNodeRef, NamedOrBlankNodeRef, Term, TermRef};
use std::collections::HashMap;
use std::path::{Path as FsPath, PathBuf};

const MF: &str = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#";
const SHT: &str = "http://www.w3.org/ns/shacl-test#";
const SH: &str = "http://www.w3.org/ns/shacl#";
const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";

fn iri(ns: &str, local: &str) -> String {
    format!("{ns}{local}")
}

fn objects(g: &Graph, s: &Term, p: &str) -> Vec<Term> {
    let subject: NamedOrBlankNodeRef<'_> = match s {
        Term::NamedNode(n) => n.as_ref().into(),
        Term::BlankNode(b) => b.as_ref().into(),
        Term::Literal(_) => return Vec::new(),
    };
    g.objects_for_subject_predicate(subject, NamedNodeRef::new_unchecked(p))
        .map(TermRef::into_owned)
        .collect()
}

fn list(g: &Graph, head: &Term) -> Vec<Term> {
    let mut out = Vec::new();
    let mut node = head.clone();
    while let Some(first) = objects(g, &node, &iri(RDF, "first")).into_iter().next() {
        out.push(first);
        match objects(g, &node, &iri(RDF, "rest")).into_iter().next() {
            Some(rest) => node = rest,
            None => break,
        }
    }
    out
}

/// Parsed files, each parsed once so blank nodes agree between data, shapes and results.
#[derive(Default)]
struct Files(HashMap<String, Graph>);

impl Files {
    fn get(&mut self, url: &str) -> &Graph {
        self.0.entry(url.to_owned()).or_insert_with(|| {
            let path = url.strip_prefix("file://").expect("file IRI");
            let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
            parse_graph(&bytes, RdfFormat::Turtle, url).unwrap_or_else(|e| panic!("{path}: {e}"))
        })
    }
}

type Row = (Term, Option<Path>, String, String, Term, Option<Term>);

fn expected_rows(g: &Graph, report: &Term) -> (bool, Vec<Row>) {
    let conforms = objects(g, report, &iri(SH, "conforms"))
        .iter()
        .any(|t| matches!(t, Term::Literal(l) if l.value() == "true"));
    let mut rows = Vec::new();
    for r in objects(g, report, &iri(SH, "result")) {
        let one = |p: &str| objects(g, &r, &iri(SH, p)).into_iter().next();
        let path = one("resultPath").map(|p| path_from_graph(g, &p).expect("expected path"));
        rows.push((
            one("focusNode").expect("focus"),
            path,
            one("resultSeverity")
                .map(|t| t.to_string())
                .unwrap_or_default(),
            one("sourceConstraintComponent")
                .map(|t| t.to_string())
                .unwrap_or_default(),
            one("sourceShape").expect("shape"),
            one("value"),
        ));
    }
    (conforms, rows)
}

/// Runs every `sht:Validate` entry reachable from `manifest`; returns (passed, failed names).
fn run_manifest(
    manifest: &FsPath,
    files: &mut Files,
    passed: &mut Vec<String>,
    failed: &mut Vec<(String, String)>,
) {
    let url = format!("file://{}", manifest.display());
    let g = files.get(&url).clone();
    let me = Term::NamedNode(oxigraph::model::NamedNode::new_unchecked(url.clone()));
    for include in objects(&g, &me, &iri(MF, "include")) {
        if let Term::NamedNode(n) = include {
            let path = PathBuf::from(n.as_str().strip_prefix("file://").expect("file IRI"));
            run_manifest(&path, files, passed, failed);
        }
    }
    for head in objects(&g, &me, &iri(MF, "entries")) {
        for entry in list(&g, &head) {
            let types = objects(&g, &entry, &iri(RDF, "type"));
            if !types
                .iter()
                .any(|t| t.to_string() == format!("<{SHT}Validate>"))
            {
                continue;
            }
            let name = entry.to_string();
            let action = objects(&g, &entry, &iri(MF, "action"))
                .into_iter()
                .next()
                .expect("action");
            let data_url = objects(&g, &action, &iri(SHT, "dataGraph"))
                .into_iter()
                .next()
                .expect("data");
            let shapes_url = objects(&g, &action, &iri(SHT, "shapesGraph"))
                .into_iter()
                .next()
                .expect("shapes");
            let (Term::NamedNode(data_url), Term::NamedNode(shapes_url)) = (data_url, shapes_url)
            else {
                failed.push((name, "graphs are not IRIs".into()));
                continue;
            };
            let data = files.get(data_url.as_str()).clone();
            let shapes_graph = files.get(shapes_url.as_str()).clone();
            let result = objects(&g, &entry, &iri(MF, "result"))
                .into_iter()
                .next()
                .expect("result");
            let (expected_conforms, mut expected) = expected_rows(&g, &result);
            let shapes = match Shapes::from_graph(&shapes_graph) {
                Ok(s) => s,
                Err(e) => {
                    failed.push((name, format!("shapes: {e}")));
                    continue;
                }
            };
            let report = shapes.validate(&data);
            let mut actual: Vec<Row> = report
                .results
                .iter()
                .map(|r| {
                    (
                        r.focus.clone(),
                        r.path.clone(),
                        format!("<{}>", r.severity.as_str()),
                        format!("<{}>", r.component.as_str()),
                        r.shape.clone(),
                        r.value.clone(),
                    )
                })
                .collect();
            let key = |r: &Row| format!("{r:?}");
            expected.sort_by_key(key);
            actual.sort_by_key(key);
            if report.conforms() == expected_conforms && expected == actual {
                passed.push(name);
            } else {
                failed.push((
                    name,
                    format!("conforms {} vs expected {expected_conforms}; got {actual:?}; expected {expected:?}", report.conforms()),
                ));
            }
        }
    }
}

/// Runs the suite under `manifest` and checks that exactly `known_failures` fail.
fn check_suite(manifest: &FsPath, known_failures: &[&str]) -> usize {
    let mut files = Files::default();
    let (mut passed, mut failed) = (Vec::new(), Vec::new());
    run_manifest(manifest, &mut files, &mut passed, &mut failed);
    let unexpected: Vec<&(String, String)> = failed
        .iter()
        .filter(|(name, _)| !known_failures.iter().any(|k| name.contains(k)))
        .collect();
    println!(
        "SHACL suite {}: {} passed, {} failed",
        manifest.display(),
        passed.len(),
        failed.len()
    );
    assert!(
        unexpected.is_empty(),
        "unexpected failures: {unexpected:#?}"
    );
    passed.len()
}

#[test]
fn w3c_shacl_core_suite() {
    let Some(shared) = moisson_tests::shared_dir() else {
        println!("skipped: ../shared is absent (W3C SHACL test suite)");
        return;
    };
    let manifest = shared.join("reference/shacl-tests/tests/core/manifest.ttl");
    let manifest = std::fs::canonicalize(&manifest).expect("core manifest");
    let passed = check_suite(&manifest, &[]);
    assert!(passed >= 90, "only {passed} core tests passed");
}
