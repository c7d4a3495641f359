//! The broken corpus: each file gives a job with a clear, located error (or warning), no
//! panic, and the data of an earlier good harvest of the same source stays intact.

use moisson_catalog::JobStatus;
use moisson_tests::{shared_dir, Route, Sandbox};

use crate::support::turtle_catalogue;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_corpus_files_fail_cleanly_and_keep_earlier_data() {
    let Some(shared) = shared_dir() else { return };
    let dir = shared.join("corpus/broken");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("broken dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    assert!(files.len() >= 8);
    let sandbox = Sandbox::start().await;
    let good = turtle_catalogue(&[1, 2, 3], None, None);
    for (i, file) in files.iter().enumerate() {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let path = format!("/broken/{i}");
        sandbox.server.set(
            &path,
            Route::Bytes(good.clone().into_bytes(), "text/turtle".into()),
        );
        let source = sandbox.source(&format!("b{i}"), &sandbox.server.url(&path));
        let first = sandbox.harvest(&source).await;
        assert_eq!(first.status, JobStatus::Ok, "{name}: {first:#?}");
        assert_eq!(first.dataset_count, 3);
        sandbox.server.serve_file(&path, file);
        let report = sandbox.harvest(&source).await;
        let located: Vec<_> = report.errors.iter().chain(&report.warnings).collect();
        // A file that is broken for other harvesters (a remote JSON-LD context we ship,
        // a foreign profile) may harvest cleanly here; then it must have given datasets.
        assert!(
            !located.is_empty() || (report.status == JobStatus::Ok && report.dataset_count > 0),
            "{name}: no error nor warning: {report:#?}"
        );
        if located.is_empty() {
            println!("{name}: ok — {} datasets", report.dataset_count);
            continue;
        }
        for e in &located {
            assert!(
                e.location.starts_with("page 1 ("),
                "{name}: location {:?}",
                e.location
            );
            assert!(!e.message.is_empty(), "{name}");
        }
        println!(
            "{name}: {} — {} — {}",
            report.status.as_str(),
            located[0].location,
            located[0].message
        );
        let counts = sandbox
            .store
            .source_counts(source.id.as_str())
            .expect("counts");
        match report.status {
            JobStatus::Failed => {
                assert_eq!(
                    counts.datasets, 3,
                    "{name}: a failed harvest must keep the earlier data"
                );
                assert!(report.reason.is_some());
            }
            JobStatus::Partial | JobStatus::Ok => {
                assert!(counts.datasets >= 1, "{name}");
            }
            JobStatus::Running => panic!("{name}: job still running"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syntax_errors_are_located_by_line_and_column() {
    let Some(shared) = shared_dir() else { return };
    let sandbox = Sandbox::start().await;
    // The first use of the undeclared prefix is where the error must point.
    let ttl = std::fs::read_to_string(shared.join("corpus/broken/ckanext-dcat-unbound-prefix.ttl"))
        .expect("corpus file");
    let first_use = ttl
        .lines()
        .position(|l| l.trim_start().starts_with("healthdcatap:"))
        .expect("the file uses healthdcatap:")
        + 1;
    let cases = [(
        "ckanext-dcat-unbound-prefix.ttl",
        format!("line {first_use} "),
    )];
    for (i, (file, expected)) in cases.iter().enumerate() {
        let url = sandbox
            .server
            .serve_file(&format!("/s/{i}"), &shared.join("corpus/broken").join(file));
        let report = sandbox
            .harvest(&sandbox.source(&format!("s{i}"), &url))
            .await;
        assert!(
            report
                .errors
                .iter()
                .any(|e| e.location.contains(expected.as_str())),
            "{file}: {report:#?}"
        );
    }
}

/// GeoNetwork's DCAT output writes a dataset IRI as two URLs joined by a space and theme
/// labels inside `rdf:resource` elements: both are repaired with a located warning, so
/// the record is kept (with its IRI's space encoded) instead of lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iris_with_spaces_and_labelled_resources_keep_their_record() {
    let Some(shared) = shared_dir() else { return };
    let sandbox = Sandbox::start().await;
    let url = sandbox.server.serve_file(
        "/oreme",
        &shared.join("corpus/broken/geonetwork-oreme-iri-with-spaces.rdf"),
    );
    let source = sandbox.source("oreme", &url);
    let report = sandbox.harvest(&source).await;
    assert_eq!(report.dataset_count, 1, "{report:#?}");
    let warnings: Vec<String> = report
        .warnings
        .iter()
        .chain(&report.errors)
        .map(|w| format!("{} {}", w.location, w.message))
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("line 13 column") && w.contains("espaces encodés en %20")),
        "{warnings:#?}"
    );
    assert!(
        warnings.iter().any(|w| w.contains("texte ignoré")),
        "{warnings:#?}"
    );
    let registry = sandbox.store.registry("oreme").expect("registry");
    let iris: Vec<&str> = registry.iter().map(|(iri, _)| iri).collect();
    assert_eq!(
        iris,
        ["https://sig.oreme.org/geonetwork/srv/resources/datasets/0c456d2d-9548-4a2a-94ef-231d9d890ce2%20https://sig.oreme.org/geonetwork/srv/resources0c456d2d-9548-4a2a-94ef-231d9d890ce2"]
    );
    let view = sandbox
        .store
        .view_of(registry.values().next().expect("entry"))
        .expect("view");
    // The GeoSPARQL draft's asWKT is read: the polygon lies in the Gard.
    assert!(
        view.bboxes
            .iter()
            .any(|b| b.contains("3.98197778 44.05310833")),
        "{:?}",
        view.bboxes
    );
}
