//! A source over several harvests: unchanged records cost no write, removed records are
//! withdrawn then restored or purged, a source that shrinks too much or fails keeps its
//! data.

use moisson_catalog::{dataset_id, JobStatus};
use moisson_harvester::HarvestOptions;
use moisson_tests::{Route, Sandbox};

use crate::support::{export_ntriples, turtle_catalogue};

fn serve(sandbox: &Sandbox, path: &str, ids: &[u32], changed: Option<u32>) {
    sandbox.server.set(
        path,
        Route::Bytes(
            turtle_catalogue(ids, changed, None).into_bytes(),
            "text/turtle".into(),
        ),
    );
}

fn record_graphs(sandbox: &Sandbox) -> Vec<String> {
    sandbox
        .store
        .stored_record_graphs()
        .expect("graphs")
        .into_iter()
        .map(|g| g.to_string())
        .collect()
}

fn ids(n: u32) -> Vec<u32> {
    (1..=n).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unchanged_reharvest_writes_nothing() {
    let sandbox = Sandbox::start().await;
    serve(&sandbox, "/cat.ttl", &ids(50), None);
    let source = sandbox.source("same", &sandbox.server.url("/cat.ttl"));
    let first = sandbox.harvest(&source).await;
    assert_eq!(
        (first.status, first.counts.added, first.dataset_count),
        (JobStatus::Ok, 50, 50),
        "{first:#?}"
    );
    let graphs = record_graphs(&sandbox);
    assert_eq!(graphs.len(), 50);
    let quads = sandbox.store.quad_count().expect("count");
    // Byte-identical page: recognized by its fingerprint.
    let second = sandbox.harvest(&source).await;
    assert_eq!(
        (
            second.counts.unchanged,
            second.counts.added,
            second.counts.updated,
            second.counts.removed
        ),
        (50, 0, 0, 0),
        "{second:#?}"
    );
    // Forced re-read: parsed and hashed again, still no record write.
    let forced = sandbox
        .harvest_with(
            &source,
            &HarvestOptions {
                force: true,
                ..HarvestOptions::default()
            },
        )
        .await;
    assert_eq!(
        (
            forced.counts.unchanged,
            forced.counts.added,
            forced.counts.updated
        ),
        (50, 0, 0),
        "{forced:#?}"
    );
    assert_eq!(record_graphs(&sandbox), graphs);
    // Only the two job reports were added (4 quads each).
    assert_eq!(sandbox.store.quad_count().expect("count"), quads + 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_record_is_replaced_without_leftovers() {
    let sandbox = Sandbox::start().await;
    serve(&sandbox, "/cat.ttl", &ids(10), None);
    let source = sandbox.source("chg", &sandbox.server.url("/cat.ttl"));
    sandbox.harvest(&source).await;
    serve(&sandbox, "/cat.ttl", &ids(10), Some(4));
    let report = sandbox.harvest(&source).await;
    assert_eq!(
        (
            report.counts.updated,
            report.counts.unchanged,
            report.counts.added
        ),
        (1, 9, 0),
        "{report:#?}"
    );
    assert_eq!(
        record_graphs(&sandbox).len(),
        10,
        "the previous version's graph is dropped"
    );
    let view = sandbox
        .store
        .dataset(&dataset_id("https://ddt.example.org/jdd/4"))
        .expect("store")
        .expect("present");
    assert_eq!(
        view.title.as_deref(),
        Some("Zones humides du Finistère n°4 (révisé)")
    );
    assert_eq!(sandbox.store.collect_garbage().expect("gc"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removed_record_is_withdrawn_then_restored_untouched() {
    let sandbox = Sandbox::start().await;
    serve(&sandbox, "/cat.ttl", &ids(10), None);
    let source = sandbox.source("rm", &sandbox.server.url("/cat.ttl"));
    sandbox.harvest(&source).await;
    let gone = dataset_id("https://ddt.example.org/jdd/3");
    let (status, body) = sandbox.get_json(&format!("/api/datasets/{gone}")).await;
    assert_eq!(status, 200, "{body}");
    let graphs_before = record_graphs(&sandbox);

    let without: Vec<u32> = ids(10).into_iter().filter(|i| *i != 3).collect();
    serve(&sandbox, "/cat.ttl", &without, None);
    let report = sandbox.harvest(&source).await;
    assert_eq!(
        (report.status, report.counts.removed, report.dataset_count),
        (JobStatus::Ok, 1, 9),
        "{report:#?}"
    );
    let (status, _) = sandbox.get_json(&format!("/api/datasets/{gone}")).await;
    assert_eq!(status, 404, "a withdrawn record is hidden at once");
    let export = export_ntriples(&sandbox);
    assert!(
        !export.contains("https://ddt.example.org/jdd/3>"),
        "withdrawn record exported"
    );
    assert!(export.contains("https://ddt.example.org/jdd/4>"));
    assert_eq!(
        record_graphs(&sandbox),
        graphs_before,
        "kept during the grace period"
    );

    serve(&sandbox, "/cat.ttl", &ids(10), None);
    let back = sandbox.harvest(&source).await;
    assert_eq!(
        (
            back.counts.added,
            back.counts.updated,
            back.counts.unchanged,
            back.dataset_count
        ),
        (0, 0, 10, 10),
        "{back:#?}"
    );
    let (status, _) = sandbox.get_json(&format!("/api/datasets/{gone}")).await;
    assert_eq!(status, 200);
    assert_eq!(record_graphs(&sandbox), graphs_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdrawn_records_are_purged_after_the_grace_period() {
    let mut sandbox = Sandbox::start().await;
    sandbox.options.grace_period_days = 0;
    serve(&sandbox, "/cat.ttl", &ids(4), None);
    let source = sandbox.source("purge", &sandbox.server.url("/cat.ttl"));
    sandbox.harvest(&source).await;
    serve(&sandbox, "/cat.ttl", &ids(3), None);
    let withdrawn = sandbox.harvest(&source).await;
    assert_eq!(withdrawn.counts.removed, 1);
    assert_eq!(record_graphs(&sandbox).len(), 4);
    let purged = sandbox.harvest(&source).await;
    assert_eq!(purged.status, JobStatus::Ok);
    assert_eq!(
        record_graphs(&sandbox).len(),
        3,
        "purged after a zero-day grace period"
    );
    assert_eq!(
        sandbox
            .store
            .source_counts("purge")
            .expect("counts")
            .withdrawn,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_returning_less_than_half_withdraws_nothing() {
    let sandbox = Sandbox::start().await;
    serve(&sandbox, "/cat.ttl", &ids(10), None);
    let source = sandbox.source("half", &sandbox.server.url("/cat.ttl"));
    sandbox.harvest(&source).await;
    serve(&sandbox, "/cat.ttl", &ids(4), None);
    let report = sandbox.harvest(&source).await;
    assert_eq!(
        (report.status, report.counts.removed, report.dataset_count),
        (JobStatus::Partial, 0, 10),
        "{report:#?}"
    );
    assert!(
        report
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("fewer than half"),
        "{report:#?}"
    );
    // The same short page again (byte-identical): the state stays visible, not `ok`.
    for _ in 0..2 {
        let again = sandbox.harvest(&source).await;
        assert_eq!(
            (again.status, again.counts.removed, again.dataset_count),
            (JobStatus::Partial, 0, 10),
            "{again:#?}"
        );
        assert!(
            again
                .reason
                .as_deref()
                .unwrap_or("")
                .contains("fewer than half"),
            "{again:#?}"
        );
    }
    // Once the source serves its records again, its page is recognised as unchanged.
    serve(&sandbox, "/cat.ttl", &ids(10), None);
    let restored = sandbox.harvest(&source).await;
    assert_eq!(
        (
            restored.status,
            restored.dataset_count,
            restored.counts.unchanged
        ),
        (JobStatus::Ok, 10, 10),
        "{restored:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_second_harvest_leaves_the_first_intact() {
    let sandbox = Sandbox::start().await;
    serve(&sandbox, "/cat.ttl", &ids(10), None);
    let source = sandbox.source("fail", &sandbox.server.url("/cat.ttl"));
    sandbox.harvest(&source).await;
    let graphs = record_graphs(&sandbox);
    for route in [
        Route::Status(500),
        Route::Bytes(
            b"<html><body>maintenance</body></html>".to_vec(),
            "text/html".into(),
        ),
        Route::Bytes(
            turtle_catalogue(&ids(10), Some(2), None).as_bytes()[..900].to_vec(),
            "text/turtle".into(),
        ),
    ] {
        sandbox.server.set("/cat.ttl", route);
        let report = sandbox.harvest(&source).await;
        assert_eq!(report.status, JobStatus::Failed, "{report:#?}");
        assert!(
            report.errors[0].location.starts_with("page 1 ("),
            "{report:#?}"
        );
        assert_eq!(report.dataset_count, 10);
        assert_eq!(record_graphs(&sandbox), graphs);
        assert_eq!(
            sandbox
                .store
                .source_counts("fail")
                .expect("counts")
                .datasets,
            10
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hydra_paging_follows_next_and_stops_on_cycles() {
    let sandbox = Sandbox::start().await;
    let p1 = sandbox.server.url("/p?page=1");
    let p2 = sandbox.server.url("/p?page=2");
    sandbox.server.set(
        "/p?page=1",
        Route::Bytes(
            turtle_catalogue(&[1, 2], None, Some(&p2)).into_bytes(),
            "text/turtle".into(),
        ),
    );
    sandbox.server.set(
        "/p?page=2",
        Route::Bytes(
            turtle_catalogue(&[3], None, Some(&p1)).into_bytes(),
            "text/turtle".into(),
        ),
    );
    let report = sandbox.harvest(&sandbox.source("cyc", &p1)).await;
    assert_eq!(report.counts.pages, 2);
    assert_eq!(report.dataset_count, 3);
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.message.contains("loops back")),
        "{report:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupted_jobs_are_marked_failed_at_startup() {
    let sandbox = Sandbox::start().await;
    let running =
        moisson_catalog::JobReport::start(&moisson_catalog::SourceId::new("crash").expect("id"));
    sandbox.store.save_job(&running).expect("save");
    assert_eq!(sandbox.store.mark_interrupted_jobs().expect("mark"), 1);
    let job = sandbox
        .store
        .last_job("crash")
        .expect("read")
        .expect("present");
    assert_eq!(job.status, JobStatus::Failed);
    assert!(job.reason.as_deref().unwrap_or("").contains("interrupted"));
}

/// Keeps the timings a job reports.
#[derive(Default)]
struct KeptTimings(std::sync::Mutex<Vec<moisson_harvester::HarvestTimings>>);

impl moisson_harvester::Progress for KeptTimings {
    fn page_done(&self, _: &str, _: u32, _: u64, _: Option<u64>) {}

    fn finished(&self, _: &moisson_catalog::JobReport) {}

    fn timed(&self, _: &str, timings: &moisson_harvester::HarvestTimings) {
        self.0.lock().expect("timings").push(*timings);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_harvest_reports_where_its_time_went() {
    let sandbox = Sandbox::start().await;
    serve(&sandbox, "/timed.ttl", &ids(30), None);
    let source = sandbox.source("timed", &sandbox.server.url("/timed.ttl"));
    let harvest = |progress: std::sync::Arc<KeptTimings>| {
        moisson_harvester::harvest_source(
            &sandbox.store,
            &sandbox.fetcher,
            &source,
            &sandbox.options,
            progress,
        )
    };
    let first = std::sync::Arc::new(KeptTimings::default());
    let report = harvest(first.clone()).await;
    assert_eq!((report.status, report.counts.added), (JobStatus::Ok, 30));
    let timings = first.0.lock().expect("timings").clone();
    let [t] = timings.as_slice() else {
        panic!("one report of timings per committed job: {timings:?}");
    };
    // Every record graph went through the writer: one compact copy each.
    assert_eq!(t.writer.quads, 30, "{t:?}");
    assert!(
        t.parse > std::time::Duration::ZERO && t.total >= t.parse + t.group,
        "{t:?}"
    );
    assert!(t.steps().iter().all(|(_, s)| s.is_finite() && *s >= 0.0));
    // An unchanged page: nothing parsed, nothing written.
    let again = std::sync::Arc::new(KeptTimings::default());
    harvest(again.clone()).await;
    let timings = again.0.lock().expect("timings").clone();
    let [t] = timings.as_slice() else {
        panic!("{timings:?}");
    };
    assert_eq!((t.writer.quads, t.parse), (0, std::time::Duration::ZERO));
}

/// `moisson compact-store` over a store several harvests rewrote: the same data, fewer
/// bytes, and harvests go on as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compacting_the_store_keeps_every_quad_and_harvests_go_on() {
    let mut sandbox = Sandbox::start().await;
    serve(&sandbox, "/cat.ttl", &ids(30), None);
    let source = sandbox.source("cmp", &sandbox.server.url("/cat.ttl"));
    sandbox.harvest(&source).await;
    // Each harvest replaces one record (and puts the previous one back): revised titles,
    // compact copies and registry chunks left in the dictionary.
    for changed in 1..=12 {
        serve(&sandbox, "/cat.ttl", &ids(30), Some(changed));
        let report = sandbox.harvest(&source).await;
        assert_eq!(report.status, JobStatus::Ok, "{report:#?}");
    }
    let quads = |sandbox: &Sandbox| {
        let mut all: Vec<String> = sandbox
            .store
            .oxigraph()
            .iter()
            .map(|q| q.expect("quad").to_string())
            .collect();
        all.sort();
        all
    };
    let before = quads(&sandbox);
    let export_before = export_ntriples(&sandbox);
    let report = sandbox
        .with_store_closed(|dir| moisson_catalog::compact_store(dir, |_| {}).expect("compacted"));
    assert_eq!(report.quads as usize, before.len());
    assert!(
        report.bytes_after < report.bytes_before,
        "{} → {} bytes",
        report.bytes_before,
        report.bytes_after
    );
    assert_eq!(quads(&sandbox), before, "the same quads in every graph");
    assert!(
        export_ntriples(&sandbox) == export_before,
        "the same export"
    );
    // The registry reads back whole: a changed record is replaced, the others unchanged.
    serve(&sandbox, "/cat.ttl", &ids(30), Some(20));
    let report = sandbox.harvest(&source).await;
    assert_eq!(
        (
            report.counts.updated,
            report.counts.unchanged,
            report.counts.added
        ),
        (2, 28, 0),
        "{report:#?}"
    );
    let view = sandbox
        .store
        .dataset(&dataset_id("https://ddt.example.org/jdd/20"))
        .expect("store")
        .expect("present");
    assert_eq!(
        view.title.as_deref(),
        Some("Zones humides du Finistère n°20 (révisé)")
    );
}
