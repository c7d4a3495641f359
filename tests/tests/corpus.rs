//! Every DCAT corpus file, served over loopback: `dataset_count` equals the number of
//! distinct `dcat:Dataset` subjects of the file (or of the page set).

use moisson_tests::{shared_dir, Sandbox};
use std::collections::HashSet;
use std::path::PathBuf;

use crate::support::dataset_subjects;

/// Counts stated in ../shared/corpus/MANIFEST.md, to check the independent counter too.
const MANIFEST_COUNTS: &[(&str, usize)] = &[
    ("dcat-rdfxml/datara-geonetwork-dcat-f40c3860.rdf", 1),
    ("dcat-rdfxml/dido-sdes-dcatap-dataset.rdf", 1),
    ("dcat-rdfxml/datagouv-gestionnaires-rrn.rdf", 1),
    ("dcat-rdfxml/udata-export-vanves-ods.rdf", 2),
    ("dcat-rdfxml/udata-bnodes-catalog.rdf", 3),
    ("dcat-rdfxml/opendataswiss-dataset-multilingual.rdf", 1),
    ("dcat-rdfxml/ods-capatlantique-export.rdf", 1),
    ("dcat-turtle/eurostat-bilan-nutritif-fr-en-de.ttl", 1),
    ("dcat-turtle/datos-gob-es-dataset.ttl", 1),
    ("dcat-turtle/ckan-dataset-multilingual-ca-en-es.ttl", 1),
    ("dcat-jsonld/apur-arcgis-dcat-us-71.jsonld", 71),
    ("dcat-jsonld/udata-flat-catalog.jsonld", 3),
    ("dcat-jsonld/udata-nested-catalog.jsonld", 1),
    ("hydra-paged/udata-paged-collection", 4),
    ("hydra-paged/udata-partial-collection", 4),
    ("hydra-paged/demo-ckan-org", 100),
    ("hydra-paged/stadt-zuerich", 100),
];

fn files_in(dir: &PathBuf) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dcat_corpus_file_gives_its_dataset_count() {
    let Some(shared) = shared_dir() else { return };
    let corpus = shared.join("corpus");
    let sandbox = Sandbox::start().await;
    let mut checked = 0;
    for folder in ["dcat-rdfxml", "dcat-turtle", "dcat-jsonld"] {
        for file in files_in(&corpus.join(folder)) {
            let name = format!(
                "{folder}/{}",
                file.file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default()
            );
            let path = format!("/{name}");
            let url = sandbox.server.serve_file(&path, &file);
            let expected = dataset_subjects(&file, &url).len();
            if let Some((_, stated)) = MANIFEST_COUNTS.iter().find(|(n, _)| *n == name) {
                assert_eq!(
                    expected, *stated,
                    "{name}: independent count disagrees with the manifest"
                );
            }
            let id = format!("c{checked}");
            let source = sandbox.source(&id, &url);
            let report = sandbox.harvest(&source).await;
            assert_ne!(
                report.status,
                moisson_catalog::JobStatus::Failed,
                "{name}: {report:#?}"
            );
            assert_eq!(
                report.dataset_count as usize, expected,
                "{name}: {report:#?}"
            );
            let (_, sources) = sandbox.get_json("/api/sources").await;
            let listed = sources
                .as_array()
                .and_then(|a| a.iter().find(|s| s["id"] == id.as_str()))
                .map(|s| s["dataset_count"].as_u64().unwrap_or(u64::MAX));
            assert_eq!(listed, Some(expected as u64), "{name}: /api/sources");
            println!(
                "{name}: {expected} datasets, status {}",
                report.status.as_str()
            );
            checked += 1;
        }
    }
    assert!(checked >= 13, "only {checked} corpus files found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hydra_paged_sets_are_followed_page_by_page() {
    let Some(shared) = shared_dir() else { return };
    let corpus = shared.join("corpus/hydra-paged");
    let sandbox = Sandbox::start().await;
    // The udata sets link their pages under their real host: served through the proxy.
    for (i, set) in ["udata-paged-collection", "udata-partial-collection"]
        .iter()
        .enumerate()
    {
        let mut expected = HashSet::new();
        for page in [1, 2] {
            let file = corpus.join(set).join(format!("page-{page}.jsonld"));
            let url = format!("http://data.test.org/catalog.jsonld?page={page}");
            sandbox.server.serve_file(&url, &file);
            expected.extend(dataset_subjects(&file, &url));
        }
        let source = sandbox.source(
            &format!("h{i}"),
            "http://data.test.org/catalog.jsonld?page=1",
        );
        let report = sandbox.harvest(&source).await;
        assert_eq!(
            report.status,
            moisson_catalog::JobStatus::Ok,
            "{set}: {report:#?}"
        );
        assert_eq!(report.counts.pages, 2, "{set}");
        assert_eq!(report.dataset_count as usize, expected.len(), "{set}");
        assert_eq!(expected.len(), 4, "{set}: manifest says 4 across the set");
    }
    // Single captured pages of longer sets: the next page is elsewhere, so the job is
    // partial (nothing withdrawn) and keeps the page's records.
    for (i, (set, file)) in [
        ("demo-ckan-org", "page-1-of-26.ttl"),
        ("stadt-zuerich", "page-1-of-4.ttl"),
    ]
    .iter()
    .enumerate()
    {
        let file = corpus.join(set).join(file);
        let url = sandbox
            .server
            .serve_file(&format!("/{set}/catalog.ttl"), &file);
        let expected = dataset_subjects(&file, &url).len();
        assert_eq!(expected, 100);
        let source = sandbox.source(&format!("p{i}"), &url);
        let report = sandbox.harvest(&source).await;
        assert_eq!(
            report.status,
            moisson_catalog::JobStatus::Partial,
            "{set}: {report:#?}"
        );
        assert_eq!(report.dataset_count as usize, expected, "{set}");
        assert!(
            report
                .reason
                .as_deref()
                .unwrap_or("")
                .contains("outside the source's host"),
            "{set}: {report:#?}"
        );
    }
}
