//! `moisson bench-index`: the full index rebuild at a size no store on a small disk can
//! hold (1,000,000 datasets make a store of about 20 GB), without the store.
//!
//! The demo generator writes the `bench-search` catalogue (one DREAL source, Turtle,
//! Hydra pages of `--page-size`) page by page into memory; each page is read as a harvest
//! reads it (the harvester's parser and record pipeline, [`take_records`]) for the
//! registry entries. Reading a record then generates a document holding that record alone,
//! reads it the same way (its content hash must be the one its page gave) and builds its
//! view from its triples as the store does ([`DatasetView::from_record_quads`], with the
//! source reference [`CatalogStore::view_and_subjects`] adds). The index is rebuilt by
//! [`SearchIndex::rebuild_from`], the code of every rebuild: the registry entries (compact)
//! and the print of every dedup key are held, records are read twice (keys, then
//! documents) and dropped batch by batch. Besides, the bench holds 12 bytes a record (its
//! record table).
//! Records carry no quality score (as `bench-search --no-quality`).
//!
//! It leaves `WORK/index`, an empty `WORK/store` and `WORK/moisson.toml`:
//! `moisson serve --config WORK/moisson.toml` serves the index for a load test. Search
//! (`/api/search`, `/recherche`) answers from the index alone; what reads the store
//! (dataset pages, `/catalog`, exports, SPARQL, quality) finds nothing in that mode.
//!
//! [`CatalogStore::view_and_subjects`]: moisson_catalog::CatalogStore::view_and_subjects

use anyhow::Context;
use clap::Args;
use moisson_catalog::{
    dataset_id, store::SourceRef, DatasetView, RecordEntry, RecordState, Registry, SourceId,
};
use moisson_demo::{self as demo, DemoFormat, DemoSource};
use moisson_harvester::pipeline::{take_records, ReadPage};
use moisson_harvester::{parse, ParseLimits, Protocol, Source};
use moisson_search::document::Record;
use moisson_search::{RecordSource, SearchError, SearchIndex};
use oxigraph::io::RdfFormat;
use oxigraph::model::{GraphName, NamedNode};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crate::runner::source_contexts;
use moisson_catalog::resident::{self, Resident};

#[derive(Args)]
pub(super) struct BenchIndexArgs {
    /// Datasets in the generated catalogue (DREAL: plus one data service per 40).
    #[arg(long, default_value_t = 100_000)]
    datasets: usize,
    /// Datasets per Hydra page.
    #[arg(long, default_value_t = 1_000)]
    page_size: usize,
    /// Folder for the index, an empty store and the configuration; kept after the run.
    #[arg(long, default_value = "target/bench-index")]
    work_dir: PathBuf,
}

/// The source id records are harvested under (the same as `bench-search`'s).
pub(crate) const SOURCE_ID: &str = "bench-search";

/// Where distribution URLs point: never fetched here.
const BASE_URL: &str = "http://127.0.0.1:9/";

/// Marks a data service's number in the record table.
const SERVICE: u32 = 1 << 31;

/// The active records of a generated catalogue. The registry entries are read page by
/// page as a harvest reads them; a record is then read alone, from a document the
/// generator writes with that record only (its content hash checked against its entry's),
/// never from a page held in memory.
pub(crate) struct GeneratedRecords {
    catalogue: DemoSource,
    base_url: String,
    source: String,
    harvested_at: String,
    /// Hash of each record IRI → the record's number (datasets; `SERVICE |` data
    /// services), sorted: 12 bytes a record.
    numbers: std::sync::OnceLock<Vec<(u64, u32)>>,
    /// Documents generated and parsed, and the time spent on it (all threads).
    documents_read: AtomicU64,
    read_nanos: AtomicU64,
}

fn iri_hash(iri: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    iri.hash(&mut hasher);
    hasher.finish()
}

impl GeneratedRecords {
    /// The records of `catalogue` (Turtle) served under `base_url`, harvested as `source`.
    pub(crate) fn new(catalogue: DemoSource, base_url: &str, source: &str) -> Self {
        let base_url = if base_url.ends_with('/') {
            base_url.to_owned()
        } else {
            format!("{base_url}/")
        };
        Self {
            catalogue,
            base_url,
            source: source.to_owned(),
            harvested_at: chrono::Utc::now().to_rfc3339(),
            numbers: std::sync::OnceLock::new(),
            documents_read: AtomicU64::new(0),
            read_nanos: AtomicU64::new(0),
        }
    }

    fn page_url(&self, page: usize) -> String {
        format!("{}{}", self.base_url, self.catalogue.page_path(page))
    }

    /// Generates the document `write` writes and reads it as a harvest does (nothing in
    /// the registry yet).
    fn read_document(
        &self,
        url: &str,
        write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>,
    ) -> Result<ReadPage, SearchError> {
        let started = Instant::now();
        let mut bytes = Vec::new();
        write(&mut bytes)
            .map_err(|e| SearchError::Unavailable(format!("generating {url}: {e}")))?;
        let parsed = parse::parse_page(&bytes, bytes.len() as u64, RdfFormat::Turtle, url);
        if let Some(fatal) = parsed.fatal {
            return Err(SearchError::Unavailable(format!(
                "{url}: {}",
                fatal.located()
            )));
        }
        let read = take_records(
            &self.source,
            parsed.graph,
            &parsed.poisoned,
            &Registry::default(),
            &ParseLimits::default(),
        );
        self.documents_read.fetch_add(1, Ordering::Relaxed);
        self.read_nanos
            .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        Ok(read)
    }

    /// The record table: the number of every record, by the hash of its IRI.
    fn numbers(&self) -> &[(u64, u32)] {
        self.numbers.get_or_init(|| {
            let services = self.catalogue.expected_service_count();
            let mut out: Vec<(u64, u32)> = (0..self.catalogue.datasets)
                .map(|i| (iri_hash(&self.catalogue.dataset_iri(i)), i as u32))
                .chain(
                    (0..services)
                        .map(|j| (iri_hash(&self.catalogue.service_iri(j)), SERVICE | j as u32)),
                )
                .collect();
            out.sort_unstable();
            out
        })
    }

    /// The view of `entry` and its `dct:subject` values, as the store returns them.
    fn view_and_subjects(
        &self,
        entry: &RecordEntry,
    ) -> Result<(DatasetView, Vec<String>), SearchError> {
        let wanted = iri_hash(&entry.record_iri);
        let numbers = self.numbers();
        let at = numbers.partition_point(|(h, _)| *h < wanted);
        let not_found =
            |why: &str| SearchError::Unavailable(format!("record {}: {why}", entry.record_iri));
        let Some(&(hash, number)) = numbers.get(at).filter(|(h, _)| *h == wanted) else {
            return Err(not_found("not in the generated catalogue"));
        };
        debug_assert_eq!(hash, wanted);
        let (datasets, services) = if number & SERVICE == 0 {
            let i = number as usize;
            (i..i + 1, 0..0)
        } else {
            let j = (number & !SERVICE) as usize;
            (0..0, j..j + 1)
        };
        let read = self.read_document(&entry.page_url, |out| {
            self.catalogue
                .write_records(datasets, services, &self.base_url, out)
        })?;
        let k = read
            .outcome
            .records
            .iter()
            .position(|r| r.iri == entry.record_iri)
            .ok_or_else(|| not_found("not in its own document"))?;
        if read.outcome.records[k].hash != entry.hash {
            return Err(not_found("read alone, not the record its page holds"));
        }
        let (name, triples) = read
            .new_version(k)
            .ok_or_else(|| not_found("not in its own document"))?;
        let graph = GraphName::NamedNode(NamedNode::clone(name));
        let quads = triples
            .into_iter()
            .map(|t| t.in_graph(graph.clone()))
            .collect();
        let (mut view, subjects) = DatasetView::from_record_quads(entry, quads);
        view.sources.push(SourceRef::from(entry));
        Ok((view, subjects))
    }

    /// Documents generated and parsed so far (pages, then one per record read), and the
    /// seconds spent on it (all threads).
    pub(crate) fn generator_work(&self) -> (u64, f64) {
        (
            self.documents_read.load(Ordering::Relaxed),
            self.read_nanos.load(Ordering::Relaxed) as f64 / 1e9,
        )
    }
}

impl RecordSource for GeneratedRecords {
    fn each_active_entry(
        &self,
        each: &mut dyn FnMut(&RecordEntry) -> Result<(), SearchError>,
    ) -> Result<(), SearchError> {
        for page in 1..=self.catalogue.page_count() {
            let url = self.page_url(page);
            let read = self.read_document(&url, |out| {
                self.catalogue.write_page(page, &self.base_url, out)
            })?;
            for r in &read.outcome.records {
                each(&RecordEntry {
                    graph: r.graph.clone(),
                    source: self.source.clone(),
                    record_iri: r.iri.clone(),
                    dataset_id: dataset_id(&r.iri),
                    kind: r.kind,
                    hash: r.hash.clone(),
                    page_url: url.clone(),
                    first_seen: self.harvested_at.clone(),
                    last_changed: self.harvested_at.clone(),
                    state: RecordState::Active,
                    withdrawn_at: None,
                })?;
            }
        }
        self.numbers();
        Ok(())
    }

    fn view_of(&self, entry: &RecordEntry) -> Result<DatasetView, SearchError> {
        Ok(self.view_and_subjects(entry)?.0)
    }

    fn record(&self, entry: RecordEntry) -> Result<Record, SearchError> {
        let (view, subjects) = self.view_and_subjects(&entry)?;
        Ok(Record::from_view(entry, view, subjects))
    }
}

/// The source `bench-search` harvests its catalogue as (its context: a DREAL of région 53).
pub(crate) fn bench_source(catalogue: &DemoSource, url: &str) -> anyhow::Result<Source> {
    let mut source = Source::new(
        SourceId::new(SOURCE_ID)?,
        "DREAL Bretagne (banc d'essai)",
        url.to_owned(),
        Protocol::Dcat,
    );
    source.publisher_kind = Some(catalogue.publisher_kind.to_lowercase());
    source.territory = catalogue.territory.clone();
    Ok(source)
}

pub(super) async fn run(args: BenchIndexArgs) -> anyhow::Result<ExitCode> {
    let work = args.work_dir.clone();
    std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    let data = crate::DataDir::new(&work);
    let mut catalogue = demo::benchmark_source(args.datasets, DemoFormat::Turtle);
    catalogue.page_size = Some(args.page_size.max(1));
    let source = bench_source(&catalogue, &format!("{BASE_URL}{}", catalogue.page_path(1)))?;
    let contexts = source_contexts(std::slice::from_ref(&source));
    // The empty store `serve` needs: vocabularies only.
    let store = super::open_store(&work)?;
    store.load_vocabularies()?;
    drop(store);
    let index_dir = data.index();
    let _ = std::fs::remove_dir_all(&index_dir);
    let (index, _) = SearchIndex::open_or_create(&index_dir)?;
    let records = Arc::new(GeneratedRecords::new(catalogue, BASE_URL, SOURCE_ID));
    let r = records.clone();
    resident::reset_peak();
    let started = Instant::now();
    let stats = tokio::task::spawn_blocking(move || index.rebuild_from(&*r, &contexts))
        .await
        .context("index task")??;
    let seconds = started.elapsed().as_secs_f64();
    let memory = Resident::now();
    let (documents, generator_seconds) = records.generator_work();
    println!(
        "index build: {} records, {} documents in {:.1} s ({:.0} records/s), peak RSS {:.0} MiB (at the end {:.0} MiB: heap {:.0}, mapped files {:.0}), index {:.1} MB",
        stats.records,
        stats.documents,
        seconds,
        stats.records as f64 / seconds.max(1e-9),
        memory.peak_mib,
        memory.rss_mib,
        memory.anon_mib,
        memory.file_mib,
        moisson_catalog::dir_bytes(&index_dir) as f64 / 1e6
    );
    println!(
        "of which generating and parsing {documents} documents (pages for the entries, then each record alone, twice: what store reads are in a rebuild): {generator_seconds:.1} s of thread time"
    );
    let config = super::bench_search::write_config(
        &work,
        &source,
        "# Written by `moisson bench-index`: serves its index over an empty store (search\n\
         # only: dataset pages, exports and SPARQL read the store and find nothing).\n",
    )?;
    println!(
        "serve it:  MOISSON_SERVER_SEARCH_CACHE_ENTRIES=0 target/release/moisson serve --config {}\nload it:   QUERIES=search/bench/queries-varied.txt wrk -t2 -c16 -d30s --latency -s search/bench/mixed-queries.lua http://127.0.0.1:18080",
        config.display()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use moisson_catalog::{CatalogStore, JobStatus};
    use moisson_harvester::{harvest_source, FetchOptions, Fetcher, HarvestOptions, LogProgress};

    /// The index built from generated records is the index a harvest and a rebuild from
    /// the store make of the same catalogue: same documents, summaries and
    /// classifications (with its reasons), whatever the order records are read in.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn generated_records_index_like_the_store() {
        let temp = tempfile::tempdir().unwrap();
        let mut catalogue = demo::benchmark_source(200, DemoFormat::Turtle);
        catalogue.page_size = Some(60);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let server = moisson_demo::server::spawn(listener, vec![catalogue.clone()]).unwrap();
        let first_page = server.first_page_url(&catalogue);
        let base_url = first_page
            .strip_suffix(&catalogue.page_path(1))
            .unwrap()
            .to_owned();
        let source = bench_source(&catalogue, &first_page).unwrap();
        let store = CatalogStore::open(&temp.path().join("store")).unwrap();
        store.load_vocabularies().unwrap();
        let fetcher = Fetcher::new(FetchOptions {
            spool_dir: Some(temp.path().to_owned()),
            ..FetchOptions::default()
        })
        .unwrap();
        let report = harvest_source(
            &store,
            &fetcher,
            &source,
            &HarvestOptions::default(),
            Arc::new(LogProgress),
        )
        .await;
        assert_eq!(report.status, JobStatus::Ok, "{:?}", report.reason);
        let contexts = source_contexts(std::slice::from_ref(&source));
        let (from_store, generated) = tokio::task::spawn_blocking(move || {
            let from_store = SearchIndex::in_memory().unwrap();
            let a = from_store.rebuild(&store, &contexts).unwrap();
            let records = GeneratedRecords::new(catalogue, &base_url, SOURCE_ID);
            let generated = SearchIndex::in_memory().unwrap();
            let b = generated.rebuild_from(&records, &contexts).unwrap();
            assert_eq!((a.records, a.documents), (b.records, b.documents));
            // 200 datasets and 5 services.
            assert_eq!(a.records, 205);
            let ids: Vec<String> = store
                .active_entries()
                .unwrap()
                .into_iter()
                .map(|e| e.dataset_id)
                .collect();
            for id in &ids {
                let json = |index: &SearchIndex| {
                    (
                        serde_json::to_value(index.summary_of(id).unwrap()).unwrap(),
                        serde_json::to_value(index.classification_of(id).unwrap()).unwrap(),
                    )
                };
                let expected = json(&from_store);
                assert!(!expected.0.is_null(), "{id} not indexed");
                assert_eq!(expected, json(&generated), "{id}");
            }
            // Every page once for the entries, then each record alone for its keys and
            // for its document.
            let (documents, _) = records.generator_work();
            assert_eq!(documents, 4 + 2 * 205);
            (from_store.document_count(), generated.document_count())
        })
        .await
        .unwrap();
        assert_eq!(from_store, generated);
    }
}
