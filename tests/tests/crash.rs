//! The real `moisson serve` binary (`target/debug/moisson`, built by `cargo test
//! --workspace`) killed in the middle of a harvest: with SIGKILL, the next start finds the
//! earlier harvests intact and the interrupted job marked failed; with SIGTERM, the
//! running harvest is aborted within the configured grace delay and records why.

use moisson_tests::moisson_binary;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::faults::{turtle, Fault, FaultServer};

const TOKEN: &str = "crash-test-token";
/// `scheduler.shutdown_grace_secs` of the test configuration.
const GRACE_SECS: u64 = 1;

/// One HTTP/1.1 exchange over loopback: (status, JSON body or null).
async fn http(addr: &str, method: &str, path: &str) -> (u16, Value) {
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    moisson_tests::raw_http_json(addr, &request).await
}

/// A running `moisson serve`.
struct Server {
    child: tokio::process::Child,
    addr: String,
}

impl Server {
    async fn start(binary: &Path, config: &Path, log: &Path) -> Self {
        let (child, addr) = moisson_tests::start_serve(
            binary,
            config,
            &[
                ("MOISSON_CRASH_TOKEN", TOKEN),
                ("RUST_LOG", "moisson_web=info,moisson_harvester=info"),
            ],
            moisson_tests::append_to(log),
            Duration::from_secs(20),
        )
        .await;
        Self { child, addr }
    }

    async fn get(&self, path: &str) -> Value {
        let (status, body) = http(&self.addr, "GET", path).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    async fn start_harvest(&self, source: &str) {
        let (status, body) = http(
            &self.addr,
            "POST",
            &format!("/api/sources/{source}/harvest"),
        )
        .await;
        assert_eq!(status, 202, "POST harvest {source}: {body}");
    }

    /// Waits until the last job of `source` is finished, and returns it.
    async fn finished_job(&self, source: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let summary = self.get(&format!("/api/sources/{source}")).await;
            let status = summary["last_job"]["status"].as_str().unwrap_or("");
            if !summary["running"].as_bool().unwrap_or(true) && !status.is_empty() {
                return summary["last_job"].clone();
            }
            assert!(
                Instant::now() < deadline,
                "{source} still running: {summary}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Waits until `path` of `server` was requested.
async fn requested(server: &FaultServer, path: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.hits(path) == 0 {
        assert!(Instant::now() < deadline, "{path} never requested");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The slow, large version of the `big` source: page 1 changes every record of the
/// first version and adds more, then 200 pages of 10 datasets, each served after 100 ms.
fn serve_large_version(server: &FaultServer) {
    let pages = 200u32;
    let page = |n: u32| format!("/big.ttl?page={n}");
    let first: Vec<u32> = (101..=110).collect();
    let next = server.url(&page(2));
    server.set("/big.ttl", vec![turtle_changed_all(&first, Some(&next))]);
    for n in 2..=pages {
        let ids: Vec<u32> = (n * 1000..n * 1000 + 10).collect();
        let next = (n < pages).then(|| server.url(&page(n + 1)));
        server.set(
            &page(n),
            vec![Fault::Delayed(
                Duration::from_millis(100),
                Box::new(turtle(&ids, None, next.as_deref())),
            )],
        );
    }
}

/// Every dataset of `ids` with a revised title.
fn turtle_changed_all(ids: &[u32], next: Option<&str>) -> Fault {
    let mut text = crate::support::turtle_catalogue(ids, None, next);
    text = text.replace(
        "\"@fr ;\n  dct:description",
        " (révisé)\"@fr ;\n  dct:description",
    );
    crate::faults::ok(text, "text/turtle")
}

fn write_config(dir: &Path, server: &FaultServer) -> PathBuf {
    let config = dir.join("moisson.toml");
    std::fs::write(
        &config,
        format!(
            r#"data_dir = "{data}"
[server]
bind = "127.0.0.1:0"
admin_token_env = "MOISSON_CRASH_TOKEN"
[harvest]
check_links = false
timeout_secs = 10
retries = 0
[scheduler]
jitter_secs = 0
shutdown_grace_secs = {GRACE_SECS}
[[source]]
id = "small"
name = "Petite source"
url = "{small}"
[[source]]
id = "big"
name = "Grande source"
url = "{big}"
"#,
            data = dir.join("data").display(),
            small = server.url("/small.ttl"),
            big = server.url("/big.ttl"),
        ),
    )
    .expect("write config");
    config
}

fn print_log(log: &Path) {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let tail: Vec<&str> = text.lines().rev().take(40).collect();
    for line in tail.into_iter().rev() {
        println!("moisson: {line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_harvest_keeps_earlier_data_and_sigterm_aborts_within_the_grace_delay() {
    let Some(binary) = moisson_binary() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("moisson.log");
    let catalogues = FaultServer::start().await;
    catalogues.set("/small.ttl", vec![turtle(&[1, 2, 3], None, None)]);
    let first_big: Vec<u32> = (101..=105).collect();
    catalogues.set("/big.ttl", vec![turtle(&first_big, None, None)]);
    let config = write_config(dir.path(), &catalogues);

    // 1. Both sources harvested once.
    let server = Server::start(&binary, &config, &log).await;
    server.start_harvest("small").await;
    server.start_harvest("big").await;
    for source in ["small", "big"] {
        let job = server.finished_job(source).await;
        assert_eq!(job["status"], "ok", "{source}: {job}");
    }
    // 2. SIGKILL in the middle of the large harvest.
    serve_large_version(&catalogues);
    server.start_harvest("big").await;
    requested(&catalogues, "/big.ttl?page=5").await;
    let live = server.get("/api/sources/big").await;
    assert_eq!(live["running"], true, "{live}");
    assert!(
        live["progress"]["pages"].as_u64().unwrap_or(0) >= 3,
        "live progress: {live}"
    );
    let mut child = server.child;
    child.kill().await.expect("SIGKILL");
    drop(child);

    // 3. The next start: earlier data intact, the interrupted job marked failed, the
    // graphs it may have left removed while the server already answers.
    let server = Server::start(&binary, &config, &log).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("orphan record graphs collected: harvests may start")
    {
        if Instant::now() > deadline {
            print_log(&log);
            panic!("orphan graphs not collected after the start");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let small = server.get("/api/sources/small").await;
    assert_eq!(small["dataset_count"], 3, "{small}");
    assert_eq!(small["last_job"]["status"], "ok", "{small}");
    let big = server.get("/api/sources/big").await;
    assert_eq!(big["dataset_count"], 5, "earlier version intact: {big}");
    let jobs = server.get("/api/sources/big/jobs").await;
    assert_eq!(jobs[0]["status"], "failed", "{jobs}");
    assert!(
        jobs[0]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("interrupted"),
        "{jobs}"
    );
    assert_eq!(jobs[1]["status"], "ok", "{jobs}");
    // No revised title of the killed harvest is visible.
    let found = server
        .get("/api/datasets?q=r%C3%A9vis%C3%A9&source=big")
        .await;
    assert_eq!(found["total"], 0, "{found}");
    let all = server.get("/api/datasets?source=big").await;
    assert_eq!(all["total"], 5, "{all}");

    // 4. SIGTERM in the middle of the large harvest: aborted within the grace delay.
    serve_large_version(&catalogues);
    server.start_harvest("big").await;
    requested(&catalogues, "/big.ttl?page=5").await;
    let pid = server.child.id().expect("pid");
    let signalled = Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    let mut child = server.child;
    let exit = tokio::time::timeout(Duration::from_secs(GRACE_SECS + 15), child.wait())
        .await
        .expect("moisson serve exits after SIGTERM")
        .expect("exit status");
    let stopped = signalled.elapsed();
    println!(
        "SIGTERM during a harvest: exited in {} ms ({exit}), grace delay {GRACE_SECS} s",
        stopped.as_millis()
    );
    if !exit.success() {
        print_log(&log);
    }
    assert!(exit.success(), "{exit}");
    assert!(stopped < Duration::from_secs(GRACE_SECS + 5), "{stopped:?}");

    // 5. The aborted job recorded why; data still intact.
    let server = Server::start(&binary, &config, &log).await;
    let jobs = server.get("/api/sources/big/jobs").await;
    assert_eq!(jobs[0]["status"], "failed", "{jobs}");
    let reason = jobs[0]["reason"].as_str().unwrap_or("");
    assert!(reason.contains("server stopped"), "{jobs}");
    let big = server.get("/api/sources/big").await;
    assert_eq!(big["dataset_count"], 5, "{big}");
    let small = server.get("/api/sources/small").await;
    assert_eq!(small["dataset_count"], 3, "{small}");
}
