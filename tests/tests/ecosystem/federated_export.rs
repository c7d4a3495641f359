//! Issue 14: one DCAT-AP writer. On the demo, `moisson export --format ntriples` (run next
//! to the server, read-only) and every page of `/catalog?format=ntriples` give the same
//! set of triples, the pages' Hydra paging aside.

use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{Term, Triple};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const HYDRA: &str = "http://www.w3.org/ns/hydra/core#";

/// GETs `path` from 127.0.0.1:`port` over HTTP/1.0 (no chunking): (status, body).
fn http_get(port: u16, path: &str) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n"
    )
    .expect("send");
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).expect("read");
    let split = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("headers end");
    let head = String::from_utf8_lossy(&reply[..split]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, reply[split + 4..].to_vec())
}

fn ntriples(body: &[u8], what: &str) -> Vec<Triple> {
    RdfParser::from_format(RdfFormat::NTriples)
        .for_slice(body)
        .map(|q| Triple::from(q.unwrap_or_else(|e| panic!("{what} parses: {e}"))))
        .collect()
}

fn is_paging(t: &Triple) -> bool {
    t.predicate.as_str().starts_with(HYDRA)
        || matches!(&t.object, Term::NamedNode(n) if n.as_str().starts_with(HYDRA))
}

struct Demo(std::process::Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn export_and_every_catalog_page_give_the_same_triples_on_the_demo() {
    let Some(binary) = super::moisson_binary() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut child = Command::new(&binary)
        .args(["demo", "--port", &port.to_string(), "--datasets", "300"])
        .current_dir(dir.path())
        .env("MOISSON_DATA_DIR", &data)
        .env("MOISSON_HARVEST_CHECK_LINKS", "false")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the demo");
    let stdout = child.stdout.take().expect("stdout");
    let demo = Demo(child);
    let started = Instant::now();
    let mut lines = BufReader::new(stdout).lines();
    loop {
        let line = lines
            .next()
            .expect("the demo ends its harvest")
            .expect("stdout line");
        if line.contains("harvest done") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "demo too slow"
        );
    }

    // Every page of /catalog, following hydra:next.
    let mut served = BTreeSet::new();
    let mut next = Some("/catalog?format=ntriples&page_size=40".to_owned());
    let mut pages = 0;
    while let Some(path) = next.take() {
        let (status, body) = http_get(port, &path);
        assert_eq!(status, 200, "{path}");
        pages += 1;
        for t in ntriples(&body, &path) {
            if t.predicate.as_str() == format!("{HYDRA}next") {
                if let Term::NamedNode(n) = &t.object {
                    let url = url::Url::parse(n.as_str()).expect("next is absolute");
                    next = Some(format!(
                        "{}?{}",
                        url.path(),
                        url.query().unwrap_or_default()
                    ));
                }
            }
            if !is_paging(&t) {
                served.insert(t.to_string());
            }
        }
        assert!(pages < 1000, "paging does not end");
    }
    assert!(pages > 2, "several pages: {pages}");

    let out = Command::new(&binary)
        .args(["export", "--format", "ntriples", "--catalog-iri"])
        .arg(format!("http://127.0.0.1:{port}/catalog"))
        .current_dir(dir.path())
        .env("MOISSON_DATA_DIR", &data)
        .output()
        .expect("run export");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exported: BTreeSet<String> = ntriples(&out.stdout, "export")
        .iter()
        .map(ToString::to_string)
        .collect();
    drop(demo);

    let only_served: Vec<_> = served.difference(&exported).take(5).collect();
    let only_exported: Vec<_> = exported.difference(&served).take(5).collect();
    assert!(
        only_served.is_empty() && only_exported.is_empty(),
        "only in /catalog: {only_served:#?}\nonly in the export: {only_exported:#?}"
    );
    // Not vacuous: records, what Moisson assigned them, and per-source catalogues.
    let has = |p: &str| exported.iter().filter(|t| t.contains(p)).count();
    assert!(
        has("<http://www.w3.org/ns/dcat#CatalogRecord>") >= 300,
        "records"
    );
    assert!(
        has("<http://www.w3.org/ns/dcat#theme>") > 100,
        "assigned themes"
    );
    assert!(
        has("<http://www.w3.org/ns/dcat#catalog>") > 2,
        "source catalogues"
    );
}
