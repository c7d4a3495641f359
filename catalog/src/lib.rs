//! The Moisson domain: what a harvested record is, the vocabularies it is described
//! with, and the oxigraph store that keeps records, their provenance and harvest jobs.
//!
//! `catalog` depends on no other crate of ours and never does HTTP. Its key design choice
//! is the record registry: every harvested record lives in its own content-addressed named
//! graph, and a small registry in the metadata graph says which graph is the current
//! version of which (source, record) pair. A harvest writes new graphs first and flips the
//! registry in one transaction at the end, so a failed or interrupted harvest changes
//! nothing that readers see.
//!
//! Modules:
//! - [`activity`] — Activity of a source, as its producers follow it in a feed.
//! - [`dates`] — Metadata dates, read one way everywhere.
//! - [`formats`] — File formats, recognised one way everywhere.
//! - [`hvd`] — EU high-value datasets (HVD): what a record claims under Regulation (EU) 2023/138.
//! - [`licences`] — Licences, recognised one way everywhere.
//! - [`model`] — Plain data of the domain.
//! - [`publishers`] — Producers.
//! - [`quality`] — The quality autodiagnostic.
//! - [`resident`] — Resident memory and CPU time of this process (benchmarks, phase logs).
//! - [`shacl`] — SHACL Core validation written over oxigraph's in-memory graphs, and Moisson's shapes.
//! - [`store`] — The oxigraph store.
//! - [`vocab`] — The vocabularies Moisson reads and writes.

pub mod activity;
pub mod dates;
pub mod formats;
pub mod hvd;
pub mod identifiers;
pub mod licences;
pub mod model;
pub mod publishers;
pub mod quality;
pub mod resident;
pub mod shacl;
pub mod store;
pub mod vocab;

pub use model::{
    dataset_id, JobCounts, JobError, JobReport, JobStatus, Location, RecordKind, SourceId,
    SourceIdError, TextPosition,
};
pub use store::{
    catalog_record_iri, compact_store, dir_bytes, order_copies, record_graph_name,
    recover_interrupted_compaction, source_catalog_iri, writable_term, ActiveRecord,
    ActiveSnapshot, Assigned, CatalogStore, CompactReport, DatasetView, DescribeSubject,
    DistributionView, ExportFormat, ExportWriter, ExtraGraph, FederatedWriter, HarvestCommit,
    HarvestWriter, PatternStats, RecordEntry, RecordState, RecordWriter, Registry, SourceCounts,
    SparqlStore, StoreError, SyncReport, WriteBatch, WriterStats,
};
