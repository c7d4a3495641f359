//! `moisson search`, `export` and `quality` next to a process holding the store (as
//! `moisson serve` or `demo` do): they open it read-only and never write; without a
//! moisson.toml they find the demo's data; sources without data get no report.

use moisson_catalog::{CatalogStore, SourceId};
use moisson_harvester::{FetchOptions, Fetcher, HarvestOptions, LogProgress, Protocol, Source};
use moisson_tests::{CatalogueServer, Route};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use crate::support::turtle_catalogue;

/// Runs the binary in `dir` (where there is no moisson.toml) over the data in `data`.
fn moisson(binary: &Path, dir: &Path, data: &Path, args: &[&str]) -> Output {
    Command::new(binary)
        .args(args)
        .current_dir(dir)
        .env("MOISSON_DATA_DIR", data)
        .output()
        .expect("run moisson")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_export_and_quality_read_a_store_another_process_holds() {
    let Some(binary) = super::moisson_binary() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("moisson-data");
    std::fs::create_dir_all(data.join("store")).expect("mkdir");
    // This test holds the store and the index for writing, as a server does.
    let store = CatalogStore::open(&data.join("store")).expect("open for writing");
    let (index, _) =
        moisson_search::SearchIndex::open_or_create(&data.join("index")).expect("index");
    let server = CatalogueServer::start().await;
    server.set(
        "/cat.ttl",
        Route::Bytes(
            turtle_catalogue(&[1, 2, 3, 4, 5, 6], None, None).into_bytes(),
            "text/turtle".into(),
        ),
    );
    let source = Source::new(
        SourceId::new("ddt-29").expect("valid id"),
        "DDT du Finistère",
        server.url("/cat.ttl"),
        Protocol::Dcat,
    );
    let fetcher = Fetcher::new(FetchOptions {
        retries: 0,
        ..FetchOptions::default()
    })
    .expect("fetcher");
    let report = moisson_harvester::harvest_source(
        &store,
        &fetcher,
        &source,
        &HarvestOptions::default(),
        Arc::new(LogProgress),
    )
    .await;
    assert_eq!(report.counts.added, 6, "{report:?}");
    store.load_vocabularies().expect("vocabularies");
    index
        .rebuild(&store, &moisson_web::runner::source_contexts(&[source]))
        .expect("index");
    store.flush().expect("flush");
    let quads = store.quad_count().expect("count");

    let out = moisson(
        &binary,
        dir.path(),
        &data,
        &["search", "zones", "humides", "--json"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let found: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(found["total"], 6, "{found}");
    assert!(stderr.contains("read-only"), "{stderr}");

    let out = moisson(
        &binary,
        dir.path(),
        &data,
        &["export", "--format", "ntriples"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exported = String::from_utf8_lossy(&out.stdout);
    for id in 1..=6 {
        assert!(exported.contains(&format!("<https://ddt.example.org/jdd/{id}>")));
    }

    // Computed, shown, and not written: the store is exactly as the writer left it.
    let out = moisson(&binary, dir.path(), &data, &["quality", "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reports: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(reports[0]["source"], "ddt-29");
    assert_eq!(reports[0]["record_count"], 6);
    assert_eq!(store.quad_count().expect("count"), quads);
    assert!(store.quality_report("ddt-29").expect("read").is_none());
}

#[test]
fn sources_without_data_get_no_report_and_errors_say_error() {
    let Some(binary) = super::moisson_binary() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("store")).expect("mkdir");
    // A store with no record at all.
    drop(CatalogStore::open(&data.join("store")).expect("store"));
    let config = dir.path().join("sources.toml");
    std::fs::write(
        &config,
        "[[source]]\nid = \"vide\"\nname = \"Catalogue vide\"\nurl = \"http://127.0.0.1:9/cat.ttl\"\n",
    )
    .expect("write");
    let config = config.display().to_string();
    for args in [
        vec!["quality", "--config", config.as_str()],
        vec!["quality", "vide", "--config", config.as_str()],
    ] {
        let out = moisson(&binary, dir.path(), &data, &args);
        assert!(!out.status.success(), "{args:?}");
        assert!(out.stdout.is_empty(), "no report is printed: {args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr.lines().last().unwrap_or_default();
        assert!(last.starts_with("error: "), "{stderr}");
        assert!(last.contains("harvested records"), "{stderr}");
    }
    // Nothing was written for the empty source.
    let store = CatalogStore::open(&data.join("store")).expect("store");
    assert!(store.quality_report("vide").expect("read").is_none());
    drop(store);
    // A data folder without a store: one error line.
    let empty = dir.path().join("nothing");
    let out = moisson(&binary, dir.path(), &empty, &["search", "eau"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr
            .lines()
            .last()
            .unwrap_or_default()
            .starts_with("error: no store in"),
        "{stderr}"
    );
}
