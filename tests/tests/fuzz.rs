//! Issue 13, mutation fuzz: every corpus file and the hostile samples, as they are and
//! mutated (truncated, bytes flipped, nested, parts duplicated) by a seeded mutator, go
//! through the validate path and through a harvest on loopback. No input may panic, abort
//! or make the process hold unbounded memory. The run stops after a time budget so the
//! suite stays short; `moisson bench-fuzz --minutes N` runs the same inputs longer.

use moisson_catalog::{JobStatus, SourceId};
use moisson_demo::hostile::{hostile_samples, Mutator, Sample};
use moisson_harvester::{CswOutputSchema, Protocol, Source};
use moisson_tests::{content_type_for, peak_rss_mib, shared_dir, Route, Sandbox};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Seed of the in-suite run (`MOISSON_FUZZ_SEED` overrides it).
const SEED: u64 = 13;
/// Time the mutations of the in-suite run may take, once every base was tried (a debug
/// build).
const BUDGET: Duration = Duration::from_secs(35);
/// Mutations tried per base document, while the budget lasts.
const MUTATIONS_PER_BASE: usize = 2;
/// Peak RSS the test process may reach, in MiB (the whole test binary shares it).
const MAX_PEAK_RSS_MIB: f64 = 3072.0;

fn corpus_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read corpus").flatten() {
        let path = entry.path();
        if path.is_dir() {
            corpus_files(&path, out);
        } else if path.extension().is_some_and(|e| e != "md") {
            out.push(path);
        }
    }
}

fn bases() -> Vec<Sample> {
    let mut out = hostile_samples();
    let Some(shared) = shared_dir() else {
        println!("fuzzing the hostile samples only");
        return out;
    };
    let mut files = Vec::new();
    corpus_files(&shared.join("corpus"), &mut files);
    files.sort();
    for path in files {
        let csw = path.extension().is_some_and(|e| e == "xml");
        let content_type = content_type_for(&path);
        let content_type: &'static str = match content_type.as_str() {
            "text/turtle" => "text/turtle",
            "application/rdf+xml" => "application/rdf+xml",
            "application/ld+json" | "application/json" => "application/ld+json",
            "application/xml" => "application/xml",
            _ => "application/octet-stream",
        };
        out.push(Sample {
            name: path.display().to_string(),
            bytes: std::fs::read(&path).expect("read corpus file"),
            content_type,
            csw,
        });
    }
    out
}

fn source_for(sandbox: &Sandbox, sample: &Sample, path: &str) -> Source {
    let id = if sample.csw { "fuzz-csw" } else { "fuzz-dcat" };
    let url = sandbox.server.url(path);
    sandbox.source(id, &url);
    Source {
        csw_output_schema: CswOutputSchema::Iso19139,
        ..Source::new(
            SourceId::new(id).expect("valid id"),
            id,
            url,
            if sample.csw {
                Protocol::Csw
            } else {
                Protocol::Dcat
            },
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_mutated_inputs_never_panic_nor_exhaust_memory() {
    let seed = std::env::var("MOISSON_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEED);
    let bases = bases();
    let sandbox = Sandbox::start().await;
    let mut mutator = Mutator::new(seed);
    let started = Instant::now();
    let mut tried = 0usize;
    // Every base as it is, then mutations while the time budget lasts.
    let mut inputs: Vec<(usize, String, Vec<u8>)> = (0..bases.len())
        .map(|i| (i, "as it is".to_owned(), Vec::new()))
        .collect();
    for _ in 0..MUTATIONS_PER_BASE {
        for i in 0..bases.len() {
            inputs.push((i, String::new(), Vec::new()));
        }
    }
    for (i, what, _) in inputs {
        let base = &bases[i];
        let (what, bytes) = if what.is_empty() {
            if started.elapsed() > BUDGET {
                println!("time budget spent");
                break;
            }
            mutator.mutate(&base.bytes)
        } else {
            (what, base.bytes.clone())
        };
        tried += 1;
        let label = format!("{} ({what})", base.name);
        // The validate path, as `moisson validate` runs it.
        let (copy, content_type) = (bytes.clone(), base.content_type.to_owned());
        let report = tokio::task::spawn_blocking(move || {
            moisson_web::cli::validate_bytes(
                copy,
                Some(content_type),
                "https://fuzz.example/catalog".into(),
            )
        })
        .await
        .unwrap_or_else(|e| panic!("{label}: validate panicked: {e}"))
        .unwrap_or_else(|e| panic!("{label}: validate could not run: {e:#}"));
        assert!(report["conforms"].is_boolean(), "{label}: {report}");
        // A harvest over loopback.
        let path = format!("/fuzz/{tried}");
        sandbox
            .server
            .set(&path, Route::Bytes(bytes, base.content_type.into()));
        let source = source_for(&sandbox, base, &path);
        let job = sandbox.harvest(&source).await;
        assert_ne!(job.status, JobStatus::Running, "{label}: {job:#?}");
        assert!(
            !job.errors.iter().any(|e| e.message.contains("crashed")),
            "{label}: {job:#?}"
        );
        let rss = peak_rss_mib();
        assert!(rss < MAX_PEAK_RSS_MIB, "{label}: peak RSS {rss:.0} MiB");
    }
    println!(
        "fuzz: seed {seed}, {tried} inputs of {} bases in {:.1} s, peak RSS {:.0} MiB",
        bases.len(),
        started.elapsed().as_secs_f64(),
        peak_rss_mib()
    );
    assert!(tried >= bases.len(), "too few inputs tried: {tried}");
}
