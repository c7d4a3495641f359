//! Throughput of the quality computation (SHACL + indicators, links excluded), and of our
//! SHACL engine with the official DCAT-AP 3.0.1 shapes, on a generated catalogue.
//!
//! Ignored by default (it wants a release build and a big file):
//! `python3 ../shared/tools/gen_catalogue.py --datasets 100000 --out /tmp/cat-100k.ttl`, then
//! `MOISSON_BENCH_FILE=/tmp/cat-100k.ttl cargo test --release -p moisson-tests quality::bench -- --ignored --nocapture`.

use moisson_catalog::quality::{
    assess_records, build_report, Conformance, NoLinks, RecordGraph, RecordOrigin, SourceAssessment,
};
use moisson_catalog::shacl::Validator;
use std::time::Instant;

use super::corpus_scores::read_records;

#[test]
#[ignore = "benchmark: needs MOISSON_BENCH_FILE and a release build"]
fn quality_throughput() {
    let Some(file) = std::env::var_os("MOISSON_BENCH_FILE") else {
        println!("skipped: MOISSON_BENCH_FILE is not set");
        return;
    };
    let file = std::path::PathBuf::from(file);
    let t = Instant::now();
    let records = read_records(&file);
    let read_s = t.elapsed().as_secs_f64();
    let ours = Validator::embedded().expect("our shapes");
    let how = SourceAssessment {
        now: chrono::Utc::now(),
        origin: RecordOrigin::Dcat,
        conformance: Some(&ours as &dyn Conformance),
        links: &NoLinks,
    };
    let t = Instant::now();
    let assessed = assess_records(&records, &how);
    let report = build_report("bench", "now", &assessed);
    let quality_s = t.elapsed().as_secs_f64();
    println!(
        "{}: {} records read in {read_s:.2} s; quality (our shapes + {} indicators) in {quality_s:.2} s = {:.0} records/s; score {:.1}",
        file.display(),
        records.len(),
        moisson_catalog::quality::INDICATORS.len(),
        records.len() as f64 / quality_s,
        report.score
    );
    if let Some(shared) = moisson_tests::shared_dir() {
        let text = std::fs::read_to_string(
            shared.join("reference/shapes/dcat-ap-3.0.1/dcat-ap-SHACL.ttl"),
        )
        .expect("official shapes");
        let official = Validator::from_turtle(&[&text]).expect("official shapes compile");
        let t = Instant::now();
        let mut results = 0;
        for (_, _, quads) in &records {
            results += official
                .validate(RecordGraph::from_quads(quads).graph())
                .results
                .len();
        }
        let per_record_s = t.elapsed().as_secs_f64();
        let mut whole = oxigraph::model::Graph::new();
        for (_, _, quads) in &records {
            for q in quads {
                whole.insert(oxigraph::model::TripleRef::new(
                    &q.subject,
                    &q.predicate,
                    &q.object,
                ));
            }
        }
        let t = Instant::now();
        let report = official.validate(&whole);
        let whole_s = t.elapsed().as_secs_f64();
        println!(
            "official DCAT-AP 3.0.1 shapes: per record {per_record_s:.2} s ({results} results); whole graph ({} triples) {whole_s:.2} s ({} results)",
            whole.len(),
            report.results.len()
        );
    }
}
