//! Issue 13, classes 3 and 5, against the real `moisson serve` binary on loopback: the
//! worst SPARQL queries we could write and a crowd of idle or half-written connections
//! neither take the server down nor keep it from answering `/healthz`.

use moisson_tests::moisson_binary;
use moisson_tests::CatalogueServer;
use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

use crate::support::turtle_catalogue;

const TOKEN: &str = "hardening-test-token";
const SPARQL_TIMEOUT_SECS: u64 = 2;
const SPARQL_MEMORY_MB: u64 = 256;
const SPARQL_CONCURRENCY: usize = 2;
const HEADER_TIMEOUT_SECS: u64 = 1;
const MAX_CONNECTIONS: usize = 32;

/// One HTTP/1.1 exchange: (status, headers, body).
struct Reply {
    status: u16,
    headers: HashMap<String, String>,
    body: String,
}

async fn http(addr: &str, method: &str, path: &str, body: Option<(&str, &str)>) -> Reply {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connect to moisson");
    let (content_type, content) = body.unwrap_or(("text/plain", ""));
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{content}",
        content.len()
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Reply {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// A running `moisson serve` with the limits of this module.
struct Server {
    child: tokio::process::Child,
    addr: String,
    pid: u32,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start(binary: &Path, catalogue: &CatalogueServer) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("moisson.toml");
        std::fs::write(
            &config,
            format!(
                r#"data_dir = "{data}"
[server]
bind = "127.0.0.1:0"
admin_token_env = "MOISSON_HARDENING_TOKEN"
sparql_timeout_secs = {SPARQL_TIMEOUT_SECS}
sparql_memory_mb = {SPARQL_MEMORY_MB}
sparql_concurrency = {SPARQL_CONCURRENCY}
header_timeout_secs = {HEADER_TIMEOUT_SECS}
max_connections = {MAX_CONNECTIONS}
[harvest]
check_links = false
retries = 0
[scheduler]
enabled = false
[[source]]
id = "ddt-29"
name = "DDT du Finistère"
url = "{url}"
"#,
                data = dir.path().join("data").display(),
                url = catalogue.url("/ddt.ttl"),
            ),
        )
        .expect("write config");
        let (child, addr) = moisson_tests::start_serve(
            binary,
            &config,
            &[("MOISSON_HARDENING_TOKEN", TOKEN), ("RUST_LOG", "warn")],
            Stdio::null(),
            Duration::from_secs(30),
        )
        .await;
        let pid = child.id().expect("pid");
        Self {
            child,
            addr,
            pid,
            _dir: dir,
        }
    }

    async fn harvest(&self) {
        let before = http(&self.addr, "GET", "/api/sources/ddt-29", None).await;
        let before: serde_json::Value = serde_json::from_str(&before.body).unwrap_or_default();
        let previous = before["last_job"]["id"].clone();
        let reply = http(&self.addr, "POST", "/api/sources/ddt-29/harvest", None).await;
        assert_eq!(reply.status, 202, "{}", reply.body);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let reply = http(&self.addr, "GET", "/api/sources/ddt-29", None).await;
            let json: serde_json::Value = serde_json::from_str(&reply.body).unwrap_or_default();
            if json["running"] == false
                && json["last_job"]["status"] == "ok"
                && json["last_job"]["id"] != previous
            {
                return;
            }
            assert!(Instant::now() < deadline, "harvest: {json}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

/// A `/proc` field of `pid` in kB, as MiB.
fn proc_mib(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The child processes of `pid` (its SPARQL workers).
fn children(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for task in tasks.flatten() {
        let text = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        out.extend(
            text.split_whitespace()
                .filter_map(|p| p.parse::<u32>().ok()),
        );
    }
    out
}

/// What the watcher saw while queries ran.
#[derive(Debug, Default)]
struct Watch {
    /// Slowest `/healthz` answer.
    max_health: Duration,
    /// `/healthz` answers other than 200.
    health_failures: usize,
    /// Largest resident size of the server, MiB.
    max_server_rss: f64,
    /// Largest resident size of one worker, MiB.
    max_worker_rss: f64,
    /// Most workers alive at once.
    max_workers: usize,
}

/// The workers of `pid` that used CPU during 300 ms (pooled workers live on between
/// queries; an idle one uses none).
async fn computing_workers(pid: u32) -> Vec<u32> {
    let workers = children(pid);
    let before: Vec<Option<u64>> = workers.iter().map(|p| cpu_ticks(*p)).collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    workers
        .into_iter()
        .zip(before)
        .filter(|(p, before)| before.is_some() && cpu_ticks(*p) > *before)
        .map(|(p, _)| p)
        .collect()
}

/// CPU time of `pid` (user + system), in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

/// Polls `/healthz` every 100 ms and samples the server's processes every 20 ms.
fn watch(addr: String, pid: u32, stop: CancellationToken) -> Arc<Mutex<Watch>> {
    let seen = Arc::new(Mutex::new(Watch::default()));
    let health = {
        let (seen, stop, addr) = (seen.clone(), stop.clone(), addr.clone());
        async move {
            while !stop.is_cancelled() {
                let started = Instant::now();
                let reply = tokio::time::timeout(
                    Duration::from_secs(5),
                    http(&addr, "GET", "/healthz", None),
                )
                .await;
                let took = started.elapsed();
                {
                    let mut w = seen.lock().expect("watch lock");
                    w.max_health = w.max_health.max(took);
                    if !matches!(&reply, Ok(r) if r.status == 200) {
                        w.health_failures += 1;
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    tokio::spawn(health);
    let sampler = {
        let seen = seen.clone();
        async move {
            while !stop.is_cancelled() {
                let workers = children(pid);
                {
                    let mut w = seen.lock().expect("watch lock");
                    w.max_server_rss = w.max_server_rss.max(proc_mib(pid, "VmRSS:"));
                    w.max_workers = w.max_workers.max(workers.len());
                    for worker in &workers {
                        w.max_worker_rss = w.max_worker_rss.max(proc_mib(*worker, "VmRSS:"));
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    tokio::spawn(sampler);
    seen
}

/// The worst queries we could write, by name.
fn worst_queries() -> Vec<(&'static str, String)> {
    let mut doubling =
        String::from("SELECT (STRLEN(?x40) AS ?n) WHERE {\n BIND(\"abcdefgh\" AS ?x0)\n");
    for i in 1..=40 {
        doubling.push_str(&format!(
            " BIND(CONCAT(?x{p}, ?x{p}) AS ?x{i})\n",
            p = i - 1
        ));
    }
    doubling.push('}');
    let hundred: String = (1..=100).map(|n| format!("{n} ")).collect();
    let values = format!(
        "SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?a {{ {hundred} }} VALUES ?b {{ {hundred} }} \
         VALUES ?c {{ {hundred} }} VALUES ?d {{ {hundred} }} VALUES ?e {{ {hundred} }} }}"
    );
    let nesting = format!(
        "SELECT * WHERE {{ {}?s ?p ?o{} }}",
        "{ ".repeat(15_000),
        " }".repeat(15_000)
    );
    let star: String = (0..300)
        .map(|i| format!("?s <http://purl.org/dc/terms/p{i}> ?o{i} . "))
        .collect();
    let optionals: String = (0..200)
        .map(|i| format!("OPTIONAL {{ ?s <http://purl.org/dc/terms/p{i}> ?o{i} }} "))
        .collect();
    vec![
        ("string doubling (2^40 x 8 bytes)", doubling),
        (
            "300 triple patterns joined on one subject",
            format!("SELECT * WHERE {{ {star} }} LIMIT 1"),
        ),
        (
            "200 OPTIONAL blocks",
            format!("SELECT * WHERE {{ ?s a ?t . {optionals} }} LIMIT 1"),
        ),
        ("cartesian product of VALUES (10^10 rows, no quad read)", values),
        (
            "cartesian product of quads (4 ways)",
            "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }".into(),
        ),
        (
            "nested OPTIONAL with regex",
            "SELECT * WHERE { ?s ?p ?o OPTIONAL { ?s2 ?p2 ?o2 FILTER(REGEX(STR(?o2), \"^(a|aa|[a-z]*)*z$\")) \
             OPTIONAL { ?s3 ?p3 ?o3 FILTER(REGEX(CONCAT(STR(?o2), STR(?o3)), \"(.*)*x\")) } } }"
                .into(),
        ),
        (
            "huge GROUP_CONCAT",
            "SELECT (STRLEN(GROUP_CONCAT(CONCAT(STR(?o), STR(?c), STR(?f)))) AS ?n) \
             WHERE { ?a ?b ?c . ?d ?e ?f . ?s ?p ?o }"
                .into(),
        ),
        (
            "property path (<p>|!<p>)*",
            "SELECT (COUNT(*) AS ?n) WHERE { ?s (<http://x.org/p>|!<http://x.org/p>)* ?o . \
             ?o (<http://x.org/p>|!<http://x.org/p>)* ?z }"
                .into(),
        ),
        ("15,000 nested groups", nesting),
        (
            "5,000 nested parentheses in a FILTER",
            format!(
                "SELECT * WHERE {{ ?s ?p ?o FILTER({}1{}) }}",
                "(".repeat(5_000),
                ")".repeat(5_000)
            ),
        ),
    ]
}

/// The value of metric `name` on `/metrics`.
async fn metric(addr: &str, name: &str) -> u64 {
    let metrics = http(addr, "GET", "/metrics", None).await.body;
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no metric {name}"))
}

/// Waits until metric `name` is at least `n`, up to 30 s.
async fn wait_for_metric(addr: &str, name: &str, n: u64) {
    let started = Instant::now();
    while metric(addr, name).await < n {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{name} below {n} after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until at least `n` workers are idle in the pool (ready for a query), up to 30 s.
async fn wait_for_idle_workers(addr: &str, n: u64) {
    wait_for_metric(addr, "moisson_sparql_workers_idle", n).await;
}

async fn sparql(addr: &str, query: &str) -> (Reply, Duration) {
    let started = Instant::now();
    let reply = http(
        addr,
        "POST",
        "/sparql",
        Some(("application/sparql-query", query)),
    )
    .await;
    (reply, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_worst_sparql_queries_leave_the_server_alive_and_answering() {
    let Some(binary) = moisson_binary() else {
        return;
    };
    let catalogue = CatalogueServer::start().await;
    let ids: Vec<u32> = (1..=60).collect();
    catalogue.set(
        "/ddt.ttl",
        moisson_tests::Route::Bytes(
            turtle_catalogue(&ids, None, None).into_bytes(),
            "text/turtle".into(),
        ),
    );
    let mut server = Server::start(&binary, &catalogue).await;
    server.harvest().await;
    let (ok, _) = sparql(
        &server.addr,
        "SELECT (COUNT(*) AS ?n) WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }",
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(ok.body.contains("\"60\""), "{}", ok.body);
    let rss_before = proc_mib(server.pid, "VmRSS:");

    let stop = CancellationToken::new();
    let seen = watch(server.addr.clone(), server.pid, stop.clone());
    let limit = Duration::from_secs(SPARQL_TIMEOUT_SECS) + Duration::from_millis(1500);
    for (name, query) in worst_queries() {
        let (reply, took) = sparql(&server.addr, &query).await;
        let code = serde_json::from_str::<serde_json::Value>(&reply.body)
            .map(|j| {
                let e = &j["error"];
                format!(
                    "{} {}",
                    e["code"].as_str().unwrap_or(""),
                    e["message"].as_str().unwrap_or("")
                )
            })
            .unwrap_or_default();
        {
            let w = seen.lock().expect("watch lock");
            println!(
                "{name}: {} {code} in {} ms; worker peak RSS {:.0} MiB, server RSS {:.0} MiB, /healthz max {} ms",
                reply.status,
                took.as_millis(),
                w.max_worker_rss,
                w.max_server_rss,
                w.max_health.as_millis()
            );
        }
        assert!(
            matches!(reply.status, 200 | 400 | 503),
            "{name}: {} {}",
            reply.status,
            reply.body
        );
        assert!(took < limit, "{name}: answered after {took:?}");
        if name.ends_with("nested groups") || name.contains("nested parentheses") {
            // Refused before any parser recurses, saying where.
            assert_eq!(reply.status, 400, "{name}: {}", reply.body);
            assert!(code.contains("nests brackets"), "{name}: {code}");
        }
        if name.starts_with("300 triple") || name.starts_with("200 OPTIONAL") {
            // oxigraph's join ordering would take minutes: refused at once, with the count.
            assert_eq!(reply.status, 400, "{name}: {}", reply.body);
            assert!(code.contains("triple patterns"), "{name}: {code}");
            assert!(
                took < Duration::from_secs(2),
                "{name}: refused after {took:?}"
            );
        }
        assert!(server.alive(), "the server died on {name}");
        // Its worker stopped computing when the answer came: killed (and replaced by one
        // that is idle once it has opened the store), or idle in the pool.
        wait_for_idle_workers(&server.addr, 1).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let computing = computing_workers(server.pid).await;
        assert!(
            computing.is_empty(),
            "{name}: workers {computing:?} still compute"
        );
    }

    // More queries than slots: the others are refused at once, with Retry-After.
    let slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }";
    let mut running = Vec::new();
    for _ in 0..SPARQL_CONCURRENCY + 3 {
        let addr = server.addr.clone();
        running.push(tokio::spawn(async move { sparql(&addr, slow).await }));
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let mut busy = 0;
    for task in running {
        let (reply, took) = task.await.expect("task");
        assert_eq!(reply.status, 503, "{}", reply.body);
        if reply.body.contains("\"busy\"") {
            assert_eq!(
                reply.headers.get("retry-after").map(String::as_str),
                Some("1")
            );
            assert!(took < Duration::from_millis(500), "refused late: {took:?}");
            busy += 1;
        }
    }
    assert!(busy >= 3, "{busy} queries refused as busy");

    // Shortly after the deadline, every worker left is idle in the pool: none uses CPU.
    // The two killed at their deadline were replaced by two ready ones.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    wait_for_idle_workers(&server.addr, SPARQL_CONCURRENCY as u64).await;
    let workers = children(server.pid);
    assert!(
        workers.len() <= SPARQL_CONCURRENCY,
        "{} workers left",
        workers.len()
    );
    let computing = computing_workers(server.pid).await;
    assert!(
        computing.is_empty(),
        "workers {computing:?} compute past their deadline"
    );
    stop.cancel();
    let w = seen.lock().expect("watch lock");
    println!("watch: {w:?}; server RSS before {rss_before:.0} MiB");
    assert_eq!(w.health_failures, 0, "/healthz failed");
    assert!(
        w.max_health < Duration::from_secs(1),
        "/healthz took {:?}",
        w.max_health
    );
    // Busy ones (one per query slot), and idle or starting ones (at most as many).
    assert!(
        w.max_workers <= 2 * SPARQL_CONCURRENCY,
        "{} workers at once",
        w.max_workers
    );
    assert!(
        w.max_worker_rss < (SPARQL_MEMORY_MB + 64) as f64,
        "a worker grew to {:.0} MiB",
        w.max_worker_rss
    );
    // The server only ever holds answers: its growth stays far below the budget.
    let budget = (SPARQL_CONCURRENCY as u64 * SPARQL_MEMORY_MB) as f64;
    assert!(
        w.max_server_rss - rss_before < budget,
        "the server grew by {:.0} MiB",
        w.max_server_rss - rss_before
    );
    drop(w);
    assert!(server.alive());
}

/// Worker processes are pooled: query after query reuses them (no new process, so no
/// store opening per query), and a harvest that changes the records retires them, so the
/// first query after it already sees the new records.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sparql_workers_are_reused_and_see_every_new_harvest() {
    let Some(binary) = moisson_binary() else {
        return;
    };
    let catalogue = CatalogueServer::start().await;
    let publish = |n: u32| {
        let ids: Vec<u32> = (1..=n).collect();
        catalogue.set(
            "/ddt.ttl",
            moisson_tests::Route::Bytes(
                turtle_catalogue(&ids, None, None).into_bytes(),
                "text/turtle".into(),
            ),
        );
    };
    publish(60);
    let server = Server::start(&binary, &catalogue).await;
    server.harvest().await;
    let count = "SELECT (COUNT(*) AS ?n) WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }";
    let mut pids = std::collections::BTreeSet::new();
    let mut times = Vec::new();
    for round in 0..12 {
        let (reply, took) = sparql(&server.addr, count).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert!(
            reply.body.contains("\"60\""),
            "round {round}: {}",
            reply.body
        );
        pids.extend(children(server.pid));
        times.push(took);
    }
    println!("12 queries: {times:?}; worker processes seen: {pids:?}");
    assert!(
        !pids.is_empty() && pids.len() <= SPARQL_CONCURRENCY,
        "12 sequential queries used {} worker processes",
        pids.len()
    );
    let started = metric(&server.addr, "moisson_sparql_workers_started_total").await;
    assert!(
        started <= SPARQL_CONCURRENCY as u64,
        "{started} workers started"
    );

    // The source grows: the next query, right after the harvest, counts the new records.
    publish(75);
    server.harvest().await;
    let (reply, took) = sparql(&server.addr, count).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply.body.contains("\"75\""),
        "a stale worker answered: {}",
        reply.body
    );
    println!("first query after the harvest: {took:?}");
    // And it shrinks (records withdrawn): never an answer from before.
    publish(70);
    server.harvest().await;
    for _ in 0..3 {
        let (reply, _) = sparql(&server.addr, count).await;
        assert!(
            reply.body.contains("\"70\""),
            "a stale worker answered: {}",
            reply.body
        );
    }

    // A query killed at its deadline takes its worker with it; a replacement starts in
    // the background, so the next query finds a ready worker and starts none.
    wait_for_idle_workers(&server.addr, 1).await;
    let replaced = metric(&server.addr, "moisson_sparql_workers_replaced_total").await;
    let slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }";
    let (reply, _) = sparql(&server.addr, slow).await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert!(reply.body.contains("\"timeout\""), "{}", reply.body);
    wait_for_metric(
        &server.addr,
        "moisson_sparql_workers_replaced_total",
        replaced + 1,
    )
    .await;
    wait_for_idle_workers(&server.addr, 1).await;
    let started = metric(&server.addr, "moisson_sparql_workers_started_total").await;
    let (reply, took) = sparql(&server.addr, count).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.contains("\"70\""), "{}", reply.body);
    assert_eq!(
        metric(&server.addr, "moisson_sparql_workers_started_total").await,
        started,
        "the query after a timeout started a worker instead of using the replacement"
    );
    println!("first query after a timed-out one: {took:?}");
}

/// Open file descriptors of `pid`.
fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_idle_and_half_written_connections_cannot_starve_the_server() {
    let Some(binary) = moisson_binary() else {
        return;
    };
    let catalogue = CatalogueServer::start().await;
    catalogue.set(
        "/ddt.ttl",
        moisson_tests::Route::Bytes(
            turtle_catalogue(&[1, 2], None, None).into_bytes(),
            "text/turtle".into(),
        ),
    );
    let mut server = Server::start(&binary, &catalogue).await;
    // The server's start work (the SPARQL store's first sync, in the background) opens
    // files of its own: counted once they stop changing.
    let mut files_before = open_files(server.pid);
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = open_files(server.pid);
        if now == files_before {
            break;
        }
        files_before = now;
    }
    // Four times the connection cap: half send nothing, half stop in the middle of a head.
    let crowd = MAX_CONNECTIONS * 4;
    let mut held = Vec::with_capacity(crowd);
    for i in 0..crowd {
        let mut stream = tokio::net::TcpStream::connect(&server.addr)
            .await
            .expect("connect");
        if i % 2 == 1 {
            stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow:")
                .await
                .expect("send");
        }
        held.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let files_during = open_files(server.pid);
    println!("open files: {files_before} before, {files_during} with {crowd} slow connections");
    assert!(
        files_during <= files_before + MAX_CONNECTIONS + 4,
        "{files_during} open files"
    );
    // The crowd is let in a cap at a time and closed after the header timeout: a request
    // behind it is answered after about (crowd / cap) header timeouts.
    let started = Instant::now();
    let reply = tokio::time::timeout(
        Duration::from_secs(HEADER_TIMEOUT_SECS * (crowd / MAX_CONNECTIONS) as u64 + 5),
        http(&server.addr, "GET", "/healthz", None),
    )
    .await
    .expect("/healthz answers behind the crowd");
    println!(
        "/healthz behind {crowd} slow connections: {} ms",
        started.elapsed().as_millis()
    );
    assert_eq!(reply.status, 200);
    // Every slow connection was closed by the server.
    for mut stream in held {
        let mut buf = [0u8; 256];
        let closed = tokio::time::timeout(Duration::from_secs(HEADER_TIMEOUT_SECS + 2), async {
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        })
        .await;
        assert!(closed.is_ok(), "a slow connection stayed open");
    }
    // With the crowd gone, answers are immediate again.
    let started = Instant::now();
    assert_eq!(
        http(&server.addr, "GET", "/healthz", None).await.status,
        200
    );
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(server.alive());
    assert!(open_files(server.pid) <= files_before + 4);
}
