//! Scores of the ../shared/corpus DCAT files, read as a harvest reads them, and the
//! agreement of our shapes with the official DCAT-AP 3.0.1 shapes on their records.

use moisson_catalog::quality::{
    assess_records, build_report, Conformance, NoLinks, RecordGraph, RecordOrigin, SourceAssessment,
};
use moisson_catalog::shacl::Validator;
use moisson_harvester::{format, parse, records};
use oxigraph::model::{GraphName, Quad};
use std::path::{Path, PathBuf};

type Records = Vec<(String, moisson_catalog::RecordKind, Vec<Quad>)>;

/// Reads a corpus file into records, exactly as the harvester groups them.
pub(crate) fn read_records(file: &Path) -> Records {
    let bytes = std::fs::read(file).expect("corpus file");
    let base = format!(
        "https://corpus.example.org/{}",
        file.file_name().and_then(|n| n.to_str()).unwrap_or("x")
    );
    let head = &bytes[..bytes.len().min(4096)];
    let Ok(rdf_format) = format::detect(None, head, &file.display().to_string()) else {
        return Vec::new();
    };
    let mut page = parse::parse_page(&bytes[..], bytes.len() as u64, rdf_format, &base);
    let extracted = records::extract_records(&mut page.graph, &page.poisoned);
    extracted
        .records
        .iter()
        .map(|r| {
            let quads = r
                .materialize(&page.graph)
                .into_iter()
                .map(|t| t.in_graph(GraphName::DefaultGraph))
                .collect();
            (r.iri.clone(), r.kind, quads)
        })
        .collect()
}

fn corpus_files(corpus: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [
        "dcat-rdfxml",
        "dcat-turtle",
        "dcat-jsonld",
        "hydra-paged",
        "csw-dcat",
        "broken",
    ] {
        let mut stack = vec![corpus.join(dir)];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if matches!(
                    p.extension().and_then(|x| x.to_str()),
                    Some("ttl" | "rdf" | "jsonld" | "json")
                ) {
                    files.push(p);
                }
            }
        }
    }
    files.sort();
    files
}

#[test]
fn corpus_sources_are_scored_and_shapes_agree_with_official_ones() {
    let Some(shared) = moisson_tests::shared_dir() else {
        println!("skipped: ../shared is absent (corpus)");
        return;
    };
    let corpus = shared.join("corpus");
    let ours = Validator::embedded().expect("our shapes compile");
    let official_text =
        std::fs::read_to_string(shared.join("reference/shapes/dcat-ap-3.0.1/dcat-ap-SHACL.ttl"))
            .expect("official shapes");
    let official = Validator::from_turtle(&[&official_text]).expect("official shapes compile");
    let how = SourceAssessment {
        now: chrono::DateTime::parse_from_rfc3339("2026-10-01T00:00:00Z")
            .expect("date")
            .into(),
        origin: RecordOrigin::Dcat,
        conformance: Some(&ours as &dyn Conformance),
        links: &NoLinks,
    };
    let (mut agree, mut total) = (0usize, 0usize);
    let mut disagreements = Vec::new();
    println!(
        "{:<70} {:>7} {:>6} {:>8} {:>7}",
        "corpus file", "records", "score", "MQA/405", "udata"
    );
    for file in corpus_files(&corpus) {
        let records = read_records(&file);
        if records.is_empty() {
            continue;
        }
        let assessed = assess_records(&records, &how);
        let name = file
            .strip_prefix(&corpus)
            .unwrap_or(&file)
            .display()
            .to_string();
        let report = build_report(&name, "2026-10-01T00:00:00Z", &assessed);
        assert!((0.0..=100.0).contains(&report.score));
        println!(
            "{:<70} {:>7} {:>6.1} {:>8.1} {:>6.0}%",
            name,
            report.record_count,
            report.score,
            report.mqa_points,
            report.udata_score * 100.0
        );
        for (iri, _, quads) in &records {
            let graph = RecordGraph::from_quads(quads);
            let a = ours.validate(graph.graph()).violations() == 0;
            let b = official.validate(graph.graph()).violations() == 0;
            total += 1;
            if a == b {
                agree += 1;
            } else {
                disagreements.push(format!(
                    "{name} <{iri}>: ours conforms={a}, official conforms={b}"
                ));
            }
        }
    }
    println!(
        "agreement with official DCAT-AP 3.0.1 shapes (conforms or not, per record): {agree}/{total} = {:.1} %",
        100.0 * agree as f64 / total.max(1) as f64
    );
    for d in disagreements.iter().take(40) {
        println!("  {d}");
    }
    assert!(total > 100, "only {total} corpus records read");
}
