//! `moisson bench-territories`: the territory lookups' cost. Times the first load of the
//! embedded geography, `search_places` in process, then `GET /api/territories?q=` over
//! HTTP/1.1 keep-alive against a running `moisson serve`, from N concurrent clients
//! (latency percentiles and throughput). A measure, not a test: run it on a quiet machine
//! and compare ratios.

use anyhow::{bail, Context};
use clap::Args;
use moisson_catalog::vocab::geography::geography;
use moisson_catalog::vocab::places::search_places;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

#[derive(Args)]
pub(super) struct BenchTerritoriesArgs {
    /// `host:port` of a running `moisson serve`; without it only the in-process lookups
    /// are timed.
    #[arg(long)]
    addr: Option<String>,
    /// Concurrent clients, each on one keep-alive connection.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Requests per client.
    #[arg(long, default_value_t = 500)]
    requests: usize,
}

/// Queries typed into the picker: names, prefixes, codes, postal codes, SIREN.
const QUERIES: &[&str] = &[
    "quimper",
    "quimp",
    "29232",
    "29000",
    "brest",
    "saint",
    "lyon",
    "paris",
    "200054781",
    "evian",
    "cc du pays",
    "finistere",
    "bretagne",
    "marseille",
    "sainte-marie",
    "ile",
];

pub(super) async fn run(args: BenchTerritoriesArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let g = geography();
    println!(
        "geography: {} communes, {} EPCI loaded in {:.1} ms",
        g.communes.len(),
        g.epcis.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    let mut local = Vec::new();
    for _ in 0..20 {
        for q in QUERIES {
            let t = Instant::now();
            let found = search_places(q, 10);
            local.push(t.elapsed());
            std::hint::black_box(found);
        }
    }
    print_latencies("search_places (in process, 1 thread)", &mut local, None);
    let Some(addr) = args.addr else {
        return Ok(ExitCode::SUCCESS);
    };
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..args.clients {
        let addr = addr.clone();
        let requests = args.requests;
        tasks.push(tokio::spawn(async move {
            client_loop(&addr, client, requests).await
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.context("client task")??);
    }
    let elapsed = started.elapsed();
    print_latencies(
        &format!("GET /api/territories?q= ({} clients)", args.clients),
        &mut all,
        Some(elapsed),
    );
    Ok(ExitCode::SUCCESS)
}

async fn client_loop(addr: &str, client: usize, requests: usize) -> anyhow::Result<Vec<Duration>> {
    let stream = TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mut out = Vec::with_capacity(requests);
    for i in 0..requests {
        let q = QUERIES[(client + i) % QUERIES.len()].replace(' ', "+");
        let request = format!(
            "GET /api/territories?q={q} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\n\r\n"
        );
        let t = Instant::now();
        write.write_all(request.as_bytes()).await?;
        let mut status = String::new();
        read.read_line(&mut status).await?;
        if !status.contains(" 200 ") {
            bail!("unexpected answer {status:?} to q={q}");
        }
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            if read.read_line(&mut line).await? == 0 {
                bail!("connection closed");
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().context("content-length")?;
                }
            }
        }
        if length > 1 << 20 {
            bail!("answer of {length} bytes");
        }
        let mut body = vec![0; length];
        read.read_exact(&mut body).await?;
        out.push(t.elapsed());
    }
    Ok(out)
}

fn print_latencies(what: &str, samples: &mut [Duration], elapsed: Option<Duration>) {
    samples.sort();
    let at = |p: f64| {
        let i = ((samples.len() as f64 * p).ceil() as usize).clamp(1, samples.len()) - 1;
        samples[i].as_secs_f64() * 1000.0
    };
    let rate = elapsed
        .map(|e| format!(", {:.0} requests/s", samples.len() as f64 / e.as_secs_f64()))
        .unwrap_or_default();
    println!(
        "{what}: {} requests, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms{rate}",
        samples.len(),
        at(0.50),
        at(0.99),
        at(1.0)
    );
}
