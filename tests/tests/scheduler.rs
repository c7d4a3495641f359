//! The scheduler of `moisson serve`, in process: runs on cron times, never overlaps runs of
//! one source, respects the per-host limit, and catches up a missed run once.

use chrono::{DateTime, Utc};
use moisson_catalog::{CatalogStore, JobReport, JobStatus, SourceId};
use moisson_harvester::{FetchOptions, Fetcher, HarvestOptions, Protocol, Source};
use moisson_web::app::{Harvests, Limits};
use moisson_web::config::SchedulerOptions;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

use crate::faults::{turtle, Fault, FaultServer};

struct Scheduled {
    store: CatalogStore,
    harvests: Arc<Harvests>,
    server: FaultServer,
    _dir: tempfile::TempDir,
}

impl Scheduled {
    async fn start(per_host: usize) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = CatalogStore::open(&dir.path().join("store")).expect("store");
        let fetcher = Fetcher::new(FetchOptions {
            timeout_secs: 5,
            retries: 0,
            ..FetchOptions::default()
        })
        .expect("fetcher");
        let harvests = Arc::new(Harvests {
            fetcher,
            options: HarvestOptions::default(),
            running: Mutex::new(HashSet::new()),
            indexing: None,
            check_links: false,
            limits: Limits::new(8, per_host),
            live: Default::default(),
        });
        Self {
            store,
            harvests,
            server: FaultServer::start().await,
            _dir: dir,
        }
    }

    /// A source at `path` of the server, on `schedule`, serving 3 datasets after `delay`.
    fn source(&self, id: &str, schedule: &str, delay: Duration) -> Source {
        let path = format!("/{id}.ttl");
        self.server.set(
            &path,
            vec![Fault::Delayed(
                delay,
                Box::new(turtle(&[1, 2, 3], None, None)),
            )],
        );
        Source {
            schedule: Some(schedule.to_owned()),
            ..Source::new(
                SourceId::new(id).expect("id"),
                id,
                self.server.url(&path),
                Protocol::Dcat,
            )
        }
    }

    /// Runs the scheduler over `sources` for `run`, then stops it and waits for the jobs.
    async fn run(&self, sources: &[Source], run: Duration) {
        let stop = CancellationToken::new();
        let options = SchedulerOptions {
            jitter_secs: 0,
            ..SchedulerOptions::default()
        };
        let tasks = moisson_web::scheduler::spawn(
            self.store.clone(),
            self.harvests.clone(),
            sources,
            &options,
            stop.clone(),
        )
        .expect("valid schedules");
        tokio::time::sleep(run).await;
        stop.cancel();
        tasks.join_all().await;
        assert!(self.harvests.wait_idle(Duration::from_secs(10)).await);
    }

    fn jobs(&self, source: &str) -> Vec<JobReport> {
        self.store.jobs(source, 100).expect("jobs")
    }
}

fn interval(job: &JobReport) -> (DateTime<Utc>, DateTime<Utc>) {
    let parse = |t: &str| {
        DateTime::parse_from_rfc3339(t)
            .expect("rfc 3339")
            .with_timezone(&Utc)
    };
    (
        parse(&job.started),
        parse(job.finished.as_deref().expect("finished")),
    )
}

fn overlap(a: &JobReport, b: &JobReport) -> bool {
    let ((a0, a1), (b0, b1)) = (interval(a), interval(b));
    a0 < b1 && b0 < a1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_on_schedule_without_overlapping_a_slow_source() {
    let bench = Scheduled::start(4).await;
    // Every second, but each harvest takes 1.5 s: runs due meanwhile collapse into one.
    let slow = bench.source("slow", "* * * * * *", Duration::from_millis(1500));
    let fast = bench.source("fast", "* * * * * *", Duration::ZERO);
    bench.run(&[slow, fast], Duration::from_millis(3500)).await;
    let fast_jobs = bench.jobs("fast");
    assert!(fast_jobs.len() >= 3, "{}", fast_jobs.len());
    // Unchanged re-harvests do not recompute (nor store) the quality again the same day.
    let trend = bench.store.quality_trend("fast").expect("trend");
    assert_eq!(trend.len(), 1, "{trend:?}");
    let slow_jobs = bench.jobs("slow");
    assert!(
        (1..=3).contains(&slow_jobs.len()),
        "{} slow jobs",
        slow_jobs.len()
    );
    for jobs in [&fast_jobs, &slow_jobs] {
        assert!(jobs.iter().all(|j| j.status == JobStatus::Ok), "{jobs:#?}");
        for (i, a) in jobs.iter().enumerate() {
            for b in &jobs[i + 1..] {
                assert!(!overlap(a, b), "overlapping runs: {a:#?} {b:#?}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_harvest_at_a_time_per_host() {
    let bench = Scheduled::start(1).await;
    let sources: Vec<Source> = (0..3)
        .map(|i| {
            bench.source(
                &format!("h{i}"),
                "0/2 * * * * *",
                Duration::from_millis(300),
            )
        })
        .collect();
    bench.run(&sources, Duration::from_millis(2500)).await;
    let jobs: Vec<JobReport> = sources
        .iter()
        .flat_map(|s| bench.jobs(s.id.as_str()))
        .collect();
    assert!(jobs.len() >= 3, "{jobs:#?}");
    for (i, a) in jobs.iter().enumerate() {
        for b in &jobs[i + 1..] {
            assert!(!overlap(a, b), "same host, overlapping: {a:#?} {b:#?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_missed_while_down_runs_once_at_start() {
    let bench = Scheduled::start(4).await;
    // Hourly at minute 0; the last job started two days ago: dozens of runs were missed.
    let source = bench.source("missed", "0 0 * * * *", Duration::ZERO);
    let mut old = JobReport::start(&source.id);
    old.started = (Utc::now() - chrono::Duration::days(2))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    old.finish(JobStatus::Ok, None);
    bench.store.save_job(&old).expect("save");
    bench.run(&[source], Duration::from_millis(1500)).await;
    let jobs = bench.jobs("missed");
    assert_eq!(
        jobs.len(),
        2,
        "one catch-up run, not one per missed hour: {jobs:#?}"
    );
    assert_eq!(jobs[0].status, JobStatus::Ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_server_starts_no_queued_job_and_lets_the_running_one_finish() {
    let bench = Scheduled::start(1).await;
    let running = bench.source("running", "0 0 0 1 1 *", Duration::from_millis(800));
    let queued = bench.source("queued", "0 0 0 1 1 *", Duration::ZERO);
    let start = |source: Source| {
        let (store, harvests) = (bench.store.clone(), bench.harvests.clone());
        assert!(harvests.try_start(source.id.as_str()));
        tokio::spawn(async move {
            moisson_web::runner::run_started(
                &store,
                &harvests,
                &source,
                Arc::new(moisson_harvester::LogProgress),
            )
            .await
        })
    };
    let first = start(running);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let second = start(queued);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let live = bench
        .harvests
        .live
        .get("queued")
        .expect("queued job listed");
    assert!(!live.started, "waits for the host slot");
    bench.harvests.limits.close();
    let queued = second.await.expect("task");
    assert_eq!(queued.status, JobStatus::Failed);
    assert!(queued
        .reason
        .as_deref()
        .unwrap_or("")
        .contains("not started"));
    assert!(bench.jobs("queued").is_empty(), "nothing stored for it");
    let running = first.await.expect("task");
    assert_eq!(running.status, JobStatus::Ok, "{running:#?}");
    assert_eq!(bench.harvests.running_count(), 0);
}
