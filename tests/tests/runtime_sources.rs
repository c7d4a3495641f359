//! Sources at run time, with the real `moisson serve` (`target/debug/moisson`): a source
//! added through `PUT /api/sources/{id}` is scheduled and harvested without a restart,
//! kept across a restart, a disabled one stays disabled, `SIGHUP` reloads the file's
//! sources; bad sources, missing tokens and private addresses are refused.

use moisson_tests::moisson_binary;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::faults::{turtle, FaultServer};

const TOKEN: &str = "runtime-sources-token";

/// One HTTP/1.1 exchange: (status, JSON body or null).
async fn http(addr: &str, method: &str, path: &str, token: bool, body: &str) -> (u16, Value) {
    let auth = if token {
        format!("Authorization: Bearer {TOKEN}\r\n")
    } else {
        String::new()
    };
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    moisson_tests::raw_http_json(addr, &request).await
}

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
                ("MOISSON_RT_TOKEN", TOKEN),
                ("RUST_LOG", "moisson_web=info"),
            ],
            moisson_tests::append_to(log),
            Duration::from_secs(20),
        )
        .await;
        Self { child, addr }
    }

    async fn call(&self, method: &str, path: &str, token: bool, body: &str) -> (u16, Value) {
        http(&self.addr, method, path, token, body).await
    }

    fn signal(&self, name: &str) {
        let pid = self.child.id().expect("running").to_string();
        let status = std::process::Command::new("kill")
            .args([format!("-{name}"), pid])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Waits until `check` holds for `GET path`, or fails after 20 s.
    async fn wait_for(&self, path: &str, what: &str, check: impl Fn(u16, &Value) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (status, body) = self.call("GET", path, false, "").await;
            if check(status, &body) {
                return;
            }
            assert!(Instant::now() < deadline, "{what}: {status} {body}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn stop(mut self) {
        self.signal("TERM");
        let _ = tokio::time::timeout(Duration::from_secs(15), self.child.wait()).await;
    }
}

fn write_config(dir: &Path, catalogues: &FaultServer, allow_private: bool, extra: &str) -> PathBuf {
    let config = dir.join("moisson.toml");
    std::fs::write(
        &config,
        format!(
            r#"data_dir = "{data}"
[server]
bind = "127.0.0.1:0"
admin_token_env = "MOISSON_RT_TOKEN"
[harvest]
check_links = false
retries = 0
allow_private_addresses = {allow_private}
[scheduler]
jitter_secs = 0
shutdown_grace_secs = 1
[[source]]
id = "fichier"
name = "Source du fichier"
url = "{url}"
{extra}"#,
            data = dir.join("data").display(),
            url = catalogues.url("/fichier.ttl"),
        ),
    )
    .expect("write config");
    config
}

fn print_log(log: &Path) {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    for line in text
        .lines()
        .rev()
        .take(30)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
    {
        println!("moisson: {line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sources_added_at_run_time_are_harvested_kept_and_reloaded() {
    let Some(binary) = moisson_binary() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("moisson.log");
    let catalogues = FaultServer::start().await;
    catalogues.set("/fichier.ttl", vec![turtle(&[1, 2], None, None)]);
    catalogues.set("/api.ttl", vec![turtle(&[11, 12, 13], None, None)]);
    catalogues.set("/hup.ttl", vec![turtle(&[21], None, None)]);
    let config = write_config(dir.path(), &catalogues, true, "");
    let server = Server::start(&binary, &config, &log).await;

    let body = format!(
        r#"{{"name": "Source ajoutée", "url": "{}", "schedule": "* * * * * *", "publisher_kind": "DDT", "territory": "29"}}"#,
        catalogues.url("/api.ttl")
    );
    // No token: refused, nothing added.
    let (status, _) = server
        .call("PUT", "/api/sources/ajoutee", false, &body)
        .await;
    assert_eq!(status, 401);
    // Invalid sources: refused with what and where.
    for (bad, expected) in [
        (
            r#"{"name": "X", "url": "ftp://example.org/"}"#.to_owned(),
            "source ajoutee: url must be http or https",
        ),
        (
            body.replace("\"territory\"", "\"territoire\""),
            "source ajoutee: unknown field `territoire`",
        ),
        (
            body.replace("* * * * * *", "tous les jours"),
            "source ajoutee: schedule \"tous les jours\" must have 6 fields",
        ),
        (
            r#"{"id": "autre", "name": "X", "url": "https://example.org/"}"#.to_owned(),
            "differs from the path",
        ),
        ("{\"name\": ".to_owned(), "body is not JSON"),
    ] {
        let (status, answer) = server.call("PUT", "/api/sources/ajoutee", true, &bad).await;
        assert_eq!(status, 400, "{bad}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(expected), "{bad}: {message}");
    }
    let (status, answer) = server
        .call("PUT", "/api/sources/Mauvais_Id", true, &body)
        .await;
    assert_eq!(status, 400, "{answer}");
    let (_, listed) = server.call("GET", "/api/sources", false, "").await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");

    // Added: listed at once, then harvested by the scheduler (every second), no restart.
    let (status, answer) = server
        .call("PUT", "/api/sources/ajoutee", true, &body)
        .await;
    assert_eq!(status, 201, "{answer}");
    server
        .wait_for(
            "/api/sources/ajoutee",
            "the scheduler harvests the new source",
            |s, b| s == 200 && b["dataset_count"] == 3,
        )
        .await;
    // Replaced (200): no schedule any more.
    let replaced = body.replace(r#""schedule": "* * * * * *", "#, "");
    let (status, answer) = server
        .call("PUT", "/api/sources/ajoutee", true, &replaced)
        .await;
    assert_eq!(status, 200, "{answer}");
    let (_, one) = server.call("GET", "/api/sources/ajoutee", false, "").await;
    assert_eq!(one["schedule"], Value::Null, "{one}");
    // The file's source disabled.
    let (status, _) = server
        .call("DELETE", "/api/sources/fichier", false, "")
        .await;
    assert_eq!(status, 401);
    let (status, answer) = server
        .call("DELETE", "/api/sources/fichier", true, "")
        .await;
    assert_eq!(status, 200, "{answer}");
    let (status, _) = server.call("GET", "/api/sources/fichier", false, "").await;
    assert_eq!(status, 404);
    let (status, _) = server
        .call("DELETE", "/api/sources/absente", true, "")
        .await;
    assert_eq!(status, 404);

    // A restart keeps both changes.
    server.stop().await;
    let server = Server::start(&binary, &config, &log).await;
    let (status, kept) = server.call("GET", "/api/sources/ajoutee", false, "").await;
    assert_eq!(status, 200, "{kept}");
    assert_eq!(kept["name"], "Source ajoutée");
    assert_eq!(kept["dataset_count"], 3);
    let (status, _) = server.call("GET", "/api/sources/fichier", false, "").await;
    assert_eq!(status, 404, "still disabled after a restart");

    // SIGHUP reads the file again: a new file source appears; an invalid file changes nothing.
    write_config(
        dir.path(),
        &catalogues,
        true,
        &format!(
            "[[source]]\nid = \"hup\"\nname = \"Source rechargée\"\nurl = \"{}\"\n",
            catalogues.url("/hup.ttl")
        ),
    );
    server.signal("HUP");
    server
        .wait_for(
            "/api/sources/hup",
            "SIGHUP adds the file's new source",
            |s, _| s == 200,
        )
        .await;
    std::fs::write(&config, "[[source]]\nid = \"x\"\n").expect("write");
    server.signal("HUP");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, _) = server.call("GET", "/api/sources/hup", false, "").await;
    assert_eq!(
        status, 200,
        "an invalid file leaves the sources as they were"
    );
    let (status, _) = server.call("GET", "/api/sources/ajoutee", false, "").await;
    assert_eq!(status, 200);
    server.stop().await;
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    if !text.contains("configuration not reloaded") {
        print_log(&log);
        panic!("the invalid file is logged");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_added_at_run_time_cannot_reach_private_addresses() {
    let Some(binary) = moisson_binary() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("moisson.log");
    let catalogues = FaultServer::start().await;
    let config = write_config(dir.path(), &catalogues, false, "");
    let server = Server::start(&binary, &config, &log).await;
    for url in [
        catalogues.url("/api.ttl"),
        "http://localhost:8080/dcat".to_owned(),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://[::ffff:10.0.0.1]/dcat".to_owned(),
    ] {
        let body = format!(r#"{{"name": "Interne", "url": "{url}"}}"#);
        let (status, answer) = server
            .call("PUT", "/api/sources/interne", true, &body)
            .await;
        assert_eq!(status, 400, "{url}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("is not a public address"),
            "{url}: {message}"
        );
    }
    let (status, _) = server.call("GET", "/api/sources/interne", false, "").await;
    assert_eq!(status, 404);
    server.stop().await;

    // A source the API accepted (its name then resolved to a public address) that now
    // points at a private one, as the overlay file would hold it: its harvest connects to
    // nothing; the configuration file's own loopback source is still harvested.
    catalogues.set("/fichier.ttl", vec![turtle(&[1, 2], None, None)]);
    catalogues.set("/api.ttl", vec![turtle(&[11], None, None)]);
    std::fs::create_dir_all(dir.path().join("data")).expect("data dir");
    std::fs::write(
        dir.path().join("data/sources-overlay.toml"),
        format!(
            "[[source]]\nid = \"ecrite\"\nname = \"Source de l'API\"\nurl = \"{}\"\n",
            catalogues.url("/api.ttl")
        ),
    )
    .expect("overlay");
    let server = Server::start(&binary, &config, &log).await;
    for source in ["fichier", "ecrite"] {
        let (status, answer) = server
            .call("POST", &format!("/api/sources/{source}/harvest"), true, "")
            .await;
        assert_eq!(status, 202, "{source}: {answer}");
    }
    for (source, expected) in [("fichier", "ok"), ("ecrite", "failed")] {
        server
            .wait_for(&format!("/api/sources/{source}"), source, |s, b| {
                s == 200 && b["last_job"]["status"] == expected && b["running"] == false
            })
            .await;
    }
    let (_, refused) = server.call("GET", "/api/sources/ecrite", false, "").await;
    assert!(
        refused["last_job"]["errors"]
            .to_string()
            .contains("is not a public address"),
        "{refused}"
    );
    assert_eq!(catalogues.hits("/api.ttl"), 0, "nothing was requested");
    assert!(catalogues.hits("/fichier.ttl") > 0);
    server.stop().await;
}
