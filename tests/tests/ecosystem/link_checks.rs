//! Link checks never hold a harvest: under `moisson serve` they run in the background
//! after the job; `moisson harvest` runs them after its summary, and a run whose host
//! names do not resolve ends at once, leaving the links due.

use moisson_catalog::{JobStatus, SourceId};
use moisson_harvester::{FetchOptions, Fetcher, HarvestOptions, LogProgress, Protocol, Source};
use moisson_tests::{CatalogueServer, Route};
use moisson_web::app::{Harvests, Limits};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A catalogue of one dataset whose distributions point at `links`.
fn catalogue(links: &[&str]) -> String {
    let mut out = String::from(
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n\
<https://ddt.example.org/catalogue> a dcat:Catalog ; dcat:dataset <https://ddt.example.org/jdd/liens> .\n\
<https://ddt.example.org/jdd/liens> a dcat:Dataset ; dct:title \"Jeu aux liens lents\"@fr ;\n\
  dct:description \"Des liens qui ne répondent pas.\"@fr",
    );
    for link in links {
        out.push_str(&format!(
            " ;\n  dcat:distribution [ a dcat:Distribution ; dcat:downloadURL <{link}> ]"
        ));
    }
    out.push_str(" .\n");
    out
}

/// A loopback server that accepts connections and never answers.
async fn silent_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    format!("http://{address}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_harvest_report_does_not_wait_for_link_checks() {
    let server = CatalogueServer::start().await;
    let silent = silent_server().await;
    // An IP literal: no name to resolve, so the check really waits on the silent server.
    let links = [format!("{silent}/lent.zip")];
    server.set(
        "/cat.ttl",
        Route::Bytes(
            catalogue(&[links[0].as_str()]).into_bytes(),
            "text/turtle".into(),
        ),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let store = moisson_catalog::CatalogStore::open(&dir.path().join("store")).expect("store");
    let harvests = Arc::new(Harvests {
        fetcher: Fetcher::new(FetchOptions {
            retries: 0,
            timeout_secs: 30,
            // The silent server is on loopback: without this, the link is refused at once
            // as not public (and stored), and the test raced that refusal.
            allow_private_addresses: true,
            ..FetchOptions::default()
        })
        .expect("fetcher"),
        options: HarvestOptions::default(),
        running: Mutex::new(HashSet::new()),
        indexing: None,
        // As under `moisson serve`: checked in the background after the job.
        check_links: true,
        limits: Limits::new(2, 2),
        live: Default::default(),
    });
    let source = Source::new(
        SourceId::new("liens").expect("valid id"),
        "Liens lents",
        server.url("/cat.ttl"),
        Protocol::Dcat,
    );
    let started = Instant::now();
    let reports = moisson_web::runner::run_all(
        &store,
        &harvests,
        std::slice::from_ref(&source),
        2,
        Arc::new(LogProgress),
    )
    .await;
    let elapsed = started.elapsed();
    assert_eq!(reports[0].status, JobStatus::Ok, "{:?}", reports[0]);
    // A check of the silent link alone takes its 15 s request timeout (twice: HEAD, GET).
    assert!(
        elapsed < Duration::from_secs(10),
        "report after {elapsed:?}"
    );
    assert!(!harvests.is_running("liens"), "the job is over");
    assert!(
        harvests.live.link_check_running("liens"),
        "the links are still being checked, in the background"
    );
    // A shutdown stops the background run; what it had not stored stays due.
    harvests.options.shutdown.cancel();
    let deadline = Instant::now() + Duration::from_secs(5);
    while harvests.live.link_check_running("liens") && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        !harvests.live.link_check_running("liens"),
        "stopped by the shutdown"
    );
    let stored = store
        .link_checks(links.iter().map(String::as_str))
        .expect("read");
    assert!(stored.is_empty(), "links stay due: {stored:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moisson_harvest_prints_its_summary_then_skips_unresolvable_links_at_once() {
    let Some(binary) = super::moisson_binary() else {
        return;
    };
    let server = CatalogueServer::start().await;
    let silent = silent_server().await;
    let dns = "http://moisson-test.invalid/introuvable.zip";
    let slow = format!("{silent}/lent.zip");
    server.set(
        "/cat.ttl",
        Route::Bytes(
            catalogue(&[dns, slow.as_str()]).into_bytes(),
            "text/turtle".into(),
        ),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("moisson.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = \"{}\"\n[harvest]\nretries = 0\n[scheduler]\nenabled = false\n\
             [[source]]\nid = \"liens\"\nname = \"Liens lents\"\nurl = \"{}\"\n",
            dir.path().join("data").display(),
            server.url("/cat.ttl")
        ),
    )
    .expect("write config");
    let started = Instant::now();
    let out = tokio::process::Command::new(&binary)
        .arg("harvest")
        .arg("--config")
        .arg(&config)
        .env_remove("MOISSON_DATA_DIR")
        .output();
    let out = tokio::time::timeout(Duration::from_secs(120), out)
        .await
        .expect("moisson harvest ends")
        .expect("run moisson");
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let table = stdout.find("liens").expect("summary table");
    let links = stdout.find("links liens").expect("link line");
    assert!(table < links, "the summary comes first:\n{stdout}");
    assert!(
        stdout.contains("skipped: host names do not resolve; 2 links left due"),
        "{stdout}"
    );
    // The silent loopback link alone would take 30 s: the probe ended the run first.
    assert!(elapsed < Duration::from_secs(25), "took {elapsed:?}");
    println!("moisson harvest with unresolvable links: {elapsed:?}");
    // `--no-link-check` skips the step.
    let out = std::process::Command::new(&binary)
        .args(["harvest", "--no-link-check", "--config"])
        .arg(&config)
        .output()
        .expect("run moisson");
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("links liens"));
}
