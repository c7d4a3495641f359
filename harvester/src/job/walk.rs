//! What the job knows while it walks a source's pages: the records taken and rejected, the
//! page fingerprints to keep, whether the walk is complete, and the report being written.

use moisson_catalog::{JobReport, Location, RecordEntry};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::memo::PageMemo;
use crate::events::{HarvestTimings, RecordRejected};
use crate::pipeline::{PageOutcome, RecordOutcome, TakenRecord};

/// The walk so far.
pub(super) struct Walk {
    /// The report being written.
    pub(super) report: JobReport,
    /// Records taken, by IRI, with the page each was first read from.
    pub(super) seen: Seen,
    /// Keys of the records rejected (see [`reject_key`]).
    pub(super) rejected: HashSet<String>,
    /// Rejected records without a usable IRI: they may be any of the source's records.
    pub(super) unidentified_rejects: u64,
    /// Page fingerprints to store: (page key, encoded memo).
    pub(super) pages: Vec<(String, String)>,
    /// Why paging stopped before the end, if it did.
    pub(super) incomplete_reason: Option<String>,
    /// How many records the source says it has.
    pub(super) total_hint: Option<u64>,
    /// Where the time went so far.
    pub(super) timings: HarvestTimings,
}

/// Records taken, by IRI, with the page each was first read from (one string per page).
/// The IRI is the key only: each record's own `iri` is left empty, a copy fewer of the
/// longest string kept per record (1,000,000 of them in a large first harvest).
pub(super) type Seen = HashMap<String, (TakenRecord, Arc<str>)>;

/// Why paging stops early: an error of the page and the job's reason.
pub(super) struct Incomplete {
    /// The error reported at the page.
    pub(super) error: String,
    /// The job's reason.
    pub(super) reason: String,
}

/// The key under which a rejected record is remembered in a job, and whether it names the
/// record: a record rejected before its IRI was known ("record 3 of the page") is keyed by
/// its page too, so that the same position on two pages counts twice.
pub(super) fn reject_key(iri: &str, page_no: u32) -> (String, bool) {
    let bare = iri.trim_matches(['<', '>']);
    if oxigraph::model::NamedNode::new(bare).is_ok() {
        (bare.to_owned(), true)
    } else {
        (format!("{bare} (page {page_no})"), false)
    }
}

impl Walk {
    /// A walk starting with `report`.
    pub(super) fn new(report: JobReport) -> Self {
        Self {
            report,
            seen: HashMap::new(),
            rejected: HashSet::new(),
            unidentified_rejects: 0,
            pages: Vec::new(),
            incomplete_reason: None,
            total_hint: None,
            timings: HarvestTimings::default(),
        }
    }

    /// Paging stopped at `at` for `message`: what was read is committed, nothing is
    /// withdrawn, the job ends `partial`.
    pub(super) fn mark_incomplete(&mut self, at: &Location, message: &str) {
        self.report.push_error(at.clone(), message);
        self.incomplete_reason = Some(format!("{at}: {message}"));
    }

    /// Paging stopped at `at` for a reason of its own.
    pub(super) fn stop(&mut self, at: &Location, stop: Incomplete) {
        self.report.push_error(at.clone(), stop.error);
        self.incomplete_reason = Some(stop.reason);
    }

    /// Queues the fingerprint of page `key` for the commit, unless the store holds it.
    pub(super) fn remember_page(&mut self, key: &str, stored: Option<&String>, memo: &PageMemo) {
        let text = memo.encode();
        if stored != Some(&text) {
            self.pages.push((key.to_owned(), text));
        }
    }

    /// A byte-identical page: its records are the active ones the registry says came from
    /// it.
    pub(super) fn take_unchanged<'a>(
        &mut self,
        entries: impl Iterator<Item = &'a RecordEntry>,
        key: &str,
    ) {
        let page: Arc<str> = Arc::from(key);
        for entry in entries {
            if !self.seen.contains_key(&entry.record_iri) {
                let taken = TakenRecord {
                    iri: String::new(),
                    kind: entry.kind,
                    hash: entry.hash.clone(),
                    graph: entry.graph.clone(),
                    outcome: RecordOutcome::Unchanged,
                };
                self.seen
                    .insert(entry.record_iri.clone(), (taken, page.clone()));
            }
        }
    }

    /// Reports what page `page_no` (at `key`) said of its records: parse errors, warnings,
    /// ill-typed literals and rejections. Returns how many records it rejected that no
    /// earlier page had rejected.
    pub(super) fn absorb(
        &mut self,
        source: &str,
        page_no: u32,
        key: &str,
        outcome: &PageOutcome,
    ) -> u64 {
        let page = Location::page(page_no, key);
        for issue in &outcome.issues {
            let mut at = page.clone().at(issue.position);
            if let Some(s) = &issue.subject {
                at = at.record(s.clone());
            }
            self.report
                .push_error(at, format!("syntax error: {}", issue.message));
        }
        for (iri, message) in &outcome.warnings {
            self.report
                .push_warning(page.clone().record_iri(iri), message.clone());
        }
        for (iri, literal) in &outcome.ill_typed {
            self.report.push_warning(
                page.clone().record(format!("<{iri}>")),
                format!("ill-typed literal {literal}"),
            );
        }
        let new_rejects = outcome
            .rejected
            .iter()
            .filter(|(iri, _)| !self.rejected.contains(&reject_key(iri, page_no).0))
            .count() as u64;
        for (iri, message) in &outcome.rejected {
            let at = page.clone().record(iri.clone());
            RecordRejected {
                source,
                location: &at.to_string(),
                message,
            }
            .emit();
            self.report
                .push_error(at, format!("record rejected: {message}"));
            self.report.counts.rejected += 1;
            let (key, identified) = reject_key(iri, page_no);
            if self.rejected.insert(key) && !identified {
                self.unidentified_rejects += 1;
            }
        }
        new_rejects
    }

    /// How many of `records` the walk has not taken yet.
    pub(super) fn new_records(&self, records: &[TakenRecord]) -> u64 {
        records
            .iter()
            .filter(|r| !self.seen.contains_key(&r.iri))
            .count() as u64
    }

    /// Keeps the first occurrence of each of `records`, read from page `key`.
    pub(super) fn take_records(&mut self, records: Vec<TakenRecord>, key: &str) {
        let page: Arc<str> = Arc::from(key);
        for mut record in records {
            if !self.seen.contains_key(&record.iri) {
                let iri = std::mem::take(&mut record.iri);
                self.seen.insert(iri, (record, page.clone()));
            }
        }
    }
}
