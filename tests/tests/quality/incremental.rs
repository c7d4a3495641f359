//! Quality runs count a record whose inputs did not change (its content-addressed graph,
//! the day, the shapes, the link checks, the other sources holding it, the program) from
//! the previous run's summary, without reading it: the report, summaries and fixes are
//! the ones a full run gives.

use chrono::{DateTime, Duration, Utc};
use moisson_catalog::quality::{
    assess_source_counted, Conformance, LinkCheck, LinkHealth, RecordOrigin, RecordQuality, Reuse,
    RunCounts, SourceAssessment, SourceQualityReport,
};
use moisson_catalog::shacl::Validator;
use moisson_catalog::CatalogStore;
use moisson_tests::{Route, Sandbox};

use crate::support::turtle_catalogue;

/// Records with many defects: long SHACL specifics (which summaries shorten), no
/// publisher, no licence, a free-text format, an identifier another source shares.
fn defective_records() -> String {
    let mut out = String::new();
    for n in 0..6 {
        out.push_str(&format!(
            "<https://ddt.example.org/catalogue> dcat:dataset <https://ddt.example.org/jdd/mauvais-{n}> .\n\
<https://ddt.example.org/jdd/mauvais-{n}> a dcat:Dataset ;\n  dct:identifier \"partage-{n}\" ;\n\
  dct:issued \"pas une date\" ; dct:modified \"2019-13-45\" ;\n\
  dct:accrualPeriodicity \"tous les jours\" ;\n\
  dcat:distribution [ a dcat:Distribution ; dct:format \"fichier de tableur maison\" ; dct:license \"libre\" ] ,\n\
    [ a dcat:Distribution ; dcat:downloadURL <https://ddt.example.org/files/m{n}.bin> ; dct:format \"bin\" ] .\n"
        ));
    }
    out
}

fn comparable(r: &SourceQualityReport) -> serde_json::Value {
    let mut v = serde_json::to_value(r).expect("json");
    let o = v.as_object_mut().expect("object");
    o.remove("trend");
    o.remove("computed_at");
    v
}

/// Where two JSON values differ (paths and values, the first few).
fn differences(a: &serde_json::Value, b: &serde_json::Value, at: &str, out: &mut Vec<String>) {
    use serde_json::Value;
    if out.len() >= 8 {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) => differences(v, w, &format!("{at}.{k}"), out),
                    None => out.push(format!("{at}.{k}: only left")),
                }
            }
            for k in y.keys().filter(|k| !x.contains_key(*k)) {
                out.push(format!("{at}.{k}: only right"));
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                differences(v, w, &format!("{at}[{i}]"), out);
            }
        }
        _ if a != b => out.push(format!("{at}: {a} ≠ {b}")),
        _ => {}
    }
}

fn assert_same(a: &SourceQualityReport, b: &SourceQualityReport) {
    let mut out = Vec::new();
    differences(&comparable(a), &comparable(b), "", &mut out);
    assert!(out.is_empty(), "reports differ: {out:#?}");
}

fn summaries(store: &CatalogStore, source: &str) -> Vec<RecordQuality> {
    let mut out = Vec::new();
    store
        .for_each_record_quality(source, |r| {
            out.push(r);
            Ok::<_, moisson_catalog::StoreError>(())
        })
        .expect("summaries");
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

struct Runs<'a> {
    store: &'a CatalogStore,
    source: &'a str,
    validator: &'a Validator,
}

impl Runs<'_> {
    fn run(
        &self,
        now: DateTime<Utc>,
        origin: RecordOrigin,
        reuse: Reuse,
    ) -> (SourceQualityReport, RunCounts) {
        let links = self.store.stored_links();
        let how = SourceAssessment {
            now,
            origin,
            conformance: Some(self.validator as &dyn Conformance),
            links: &links,
        };
        assess_source_counted(self.store, self.source, &how, reuse).expect("quality run")
    }

    /// A run counting unchanged records, then a full run at the same instant: the same
    /// report and summaries, and the same left for the next run.
    fn run_as_full(
        &self,
        now: DateTime<Utc>,
        origin: RecordOrigin,
    ) -> (SourceQualityReport, RunCounts) {
        let (report, counts) = self.run(now, origin, Reuse::Unchanged);
        let kept = summaries(self.store, self.source);
        let (full, full_counts) = self.run(now, origin, Reuse::Nothing);
        assert_eq!(
            (full_counts.assessed, full_counts.reused),
            (report.record_count, 0)
        );
        assert_same(&report, &full);
        assert_eq!(kept, summaries(self.store, self.source));
        (report, counts)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unchanged_records_are_counted_from_the_last_run_as_a_full_run_would() {
    let sandbox = Sandbox::start().await;
    let ids: Vec<u32> = (1..=40).collect();
    let serve = |path: &str, changed: Option<u32>| {
        let mut turtle = turtle_catalogue(&ids, changed, None);
        turtle.push_str(&defective_records());
        sandbox.server.set(
            path,
            Route::Bytes(turtle.into_bytes(), "text/turtle".into()),
        );
    };
    serve("/a.ttl", None);
    let source = sandbox.source("ddt-29", &sandbox.server.url("/a.ttl"));
    sandbox.harvest(&source).await;
    // Another source shares the defective records' identifiers (duplicates are inputs).
    let serve_copy = |identifier: &str| {
        let turtle = format!(
            "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n\
<https://autre.example.org/cat> a dcat:Catalog ; dcat:dataset <https://autre.example.org/jdd/1> .\n\
<https://autre.example.org/jdd/1> a dcat:Dataset ; dct:title \"Copie\"@fr ; dct:identifier \"{identifier}\" .\n"
        );
        sandbox.server.set(
            "/b.ttl",
            Route::Bytes(turtle.into_bytes(), "text/turtle".into()),
        );
    };
    serve_copy("partage-2");
    let copy = sandbox.source("ddt-56", &sandbox.server.url("/b.ttl"));
    sandbox.harvest(&copy).await;

    let validator = Validator::embedded().expect("embedded shapes");
    let runs = Runs {
        store: &sandbox.store,
        source: source.id.as_str(),
        validator: &validator,
    };
    let now = Utc::now();
    let records = ids.len() + 6;

    // First run: every record read.
    let (first, counts) = runs.run_as_full(now, RecordOrigin::Dcat);
    assert_eq!(first.record_count, records);
    assert_eq!((counts.assessed, counts.reused), (records, 0));
    let shortened = summaries(&sandbox.store, runs.source)
        .iter()
        .flat_map(|r| &r.fixes)
        .filter(|f| f.detail.as_deref().is_some_and(|d| d.ends_with('…')))
        .count();
    assert!(
        shortened > 0,
        "some specifics are longer than summaries keep"
    );
    assert!(
        first.records_to_fix.iter().any(|r| r
            .details
            .iter()
            .any(|m| m.detail.as_deref().is_some_and(|d| d.chars().count() > 241))),
        "the report keeps whole specifics"
    );
    assert!(!first.publishers.is_empty() && first.mapping_artefacts == 0);

    // Nothing changed: nothing read, the same report, summaries and fixes.
    let (second, counts) = runs.run_as_full(now, RecordOrigin::Dcat);
    assert_eq!((counts.assessed, counts.reused), (0, records));
    assert_same(&first, &second);

    // One record changes: it alone is read.
    serve("/a.ttl", Some(7));
    let harvested = sandbox.harvest(&source).await;
    assert_eq!(harvested.counts.updated, 1, "{harvested:?}");
    let (_, counts) = runs.run_as_full(now, RecordOrigin::Dcat);
    assert_eq!((counts.assessed, counts.reused), (1, records - 1));

    // A link's health changes: the record holding it alone is read again; a link no
    // record holds changes: every record's links are looked up, none is read; a link
    // checked again with the same health: nothing is looked up or read.
    let check = |url: &str, health: LinkHealth, at: DateTime<Utc>| LinkCheck {
        url: url.into(),
        status: Some(if health == LinkHealth::Ok { 200 } else { 404 }),
        health,
        error: None,
        checked_at: at.to_rfc3339(),
    };
    let epoch = sandbox.store.links_epoch().expect("epoch");
    sandbox
        .store
        .save_link_checks(&[check(
            "https://ddt.example.org/files/3.zip",
            LinkHealth::Broken,
            now,
        )])
        .expect("links");
    assert_eq!(sandbox.store.links_epoch().expect("epoch"), epoch + 1);
    let (broken, counts) = runs.run_as_full(now, RecordOrigin::Dcat);
    assert_eq!((counts.assessed, counts.reused), (1, records - 1));
    assert_ne!(
        comparable(&broken)["indicators"],
        comparable(&second)["indicators"],
        "the broken link counts"
    );
    sandbox
        .store
        .save_link_checks(&[check("https://ailleurs.example.org/x", LinkHealth::Ok, now)])
        .expect("links");
    assert_eq!(sandbox.store.links_epoch().expect("epoch"), epoch + 2);
    let (_, counts) = runs.run_as_full(now, RecordOrigin::Dcat);
    assert_eq!((counts.assessed, counts.reused), (0, records));
    sandbox
        .store
        .save_link_checks(&[check(
            "https://ddt.example.org/files/3.zip",
            LinkHealth::Broken,
            now + Duration::hours(1),
        )])
        .expect("links");
    assert_eq!(
        sandbox.store.links_epoch().expect("epoch"),
        epoch + 2,
        "same health"
    );
    let (_, counts) = runs.run_as_full(now, RecordOrigin::Dcat);
    assert_eq!((counts.assessed, counts.reused), (0, records));

    // The other source drops the shared identifier: the record it shared is read.
    serve_copy("autre-chose");
    sandbox.harvest(&copy).await;
    let (_, counts) = runs.run_as_full(now, RecordOrigin::Dcat);
    assert_eq!((counts.assessed, counts.reused), (1, records - 1));

    // Freshness is measured against the day: the next day, every record is read.
    let (_, counts) = runs.run_as_full(now + Duration::days(1), RecordOrigin::Dcat);
    assert_eq!((counts.assessed, counts.reused), (records, 0));

    // Records reaching us through the ISO 19139 mapping are assessed with other blame and
    // advice: read once, then counted from their summaries with the same messages.
    let later = now + Duration::days(1);
    let (iso, counts) = runs.run_as_full(later, RecordOrigin::Iso19139Mapping);
    assert_eq!((counts.assessed, counts.reused), (records, 0));
    assert!(iso.mapping_artefacts > 0, "some blame goes to the mapping");
    let (_, counts) = runs.run_as_full(later, RecordOrigin::Iso19139Mapping);
    assert_eq!((counts.assessed, counts.reused), (0, records));
}
