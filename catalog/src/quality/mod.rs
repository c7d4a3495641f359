//! The quality autodiagnostic: indicators computed on each record graph, grouped in
//! dimensions, aggregated per record, publisher and catalogue, with French messages that
//! tell producers what to fix, and the results kept over time as W3C DQV.
//!
//! Invariants:
//! - Every indicator is documented once, in [`INDICATORS`]; nothing is scored that is
//!   not in that table.
//! - A failure our own mapping may have caused ([`Blame::Mapping`]) is reported but never
//!   counted against the producer.
//! - An indicator that could not be evaluated (no link-check result, no SHACL result)
//!   counts neither for nor against the record.
//! - French text lives here, never in an error's `Display`.

mod dqv;
mod fix_cache;
mod fixes;
mod graph;
mod indicators;
mod links;
mod record;
mod report;
mod score;
mod source;
mod summary;
mod udata;
mod vocabularies;

pub use dqv::{
    source_node, terms as dqv_terms, RunScores, RunSummaries, QUALITY_GRAPH, SCORE_METRIC,
};
pub(crate) use fix_cache::FixListsCache;
pub use fix_cache::{FIX_LIST_SHOWN, KEPT_RECORDS, KEPT_SCOPES};
pub use fixes::{
    group_fixes, records_to_fix, FixGroup, FixGroups, FixList, FixLists, FixTally, KeptFixLists,
    Lowest, Points, FIRST_BY_TITLE,
};
pub use graph::RecordGraph;
pub use indicators::{
    iso_advice, mqa_rating, mqa_total_points, rating, total_points, Dimension, Entity, Indicator,
    IndicatorId, INDICATORS,
};
pub use links::{LinkCheck, StoredLinks, LINKS_GRAPH};
pub use record::{
    assess_record, AssessContext, Blame, ConformityIssue, IndicatorResult, LinkHealth, LinkLookup,
    Message, NoLinks, RecordAssessment, RecordOrigin,
};
pub use report::{
    build_report, message_line, DimensionScore, IndicatorRate, PublisherScore, RecordToFix,
    ScoreBucket, SharedRecord, SourceQualityReport, TrendPoint, MIN_MEASURED_SHARE,
    RECORDS_TO_FIX_LIMIT, SHARED_RECORDS_LIMIT,
};
pub use score::{out_of_100, Band, Score};
pub(crate) use source::KeptKeys;
pub use source::{
    assess_records, assess_source, assess_source_counted, duplicate_index, shared_records,
    Conformance, Reuse, RunCounts, SourceAssessment,
};
pub use summary::{Fix, PublisherRef, RecordQuality};
pub use udata::UdataScore;
