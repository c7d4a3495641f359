//! The commit plan of a harvest: from what the walk saw and the source's registry, what to
//! add, update, restore, withdraw and purge, and what the job's status is. Pure: no store,
//! no clock (the time is given), so every rule is unit-tested here.

use chrono::{DateTime, Utc};
use moisson_catalog::{
    dataset_id, HarvestCommit, JobStatus, RecordEntry, RecordKind, RecordState, Registry,
    SourceCounts,
};
use std::collections::HashSet;

use super::walk::Seen;
use crate::pipeline::{RecordOutcome, TakenRecord};

/// What the walk of the source's pages saw.
pub(super) struct Walked<'a> {
    /// Records taken, by IRI, with the page each was first read from: consumed by the plan,
    /// their strings moved into the commit's entries.
    pub(super) seen: Seen,
    /// Keys of the records rejected (IRIs, or page-qualified descriptions).
    pub(super) rejected: &'a HashSet<String>,
    /// Rejected records without a usable IRI.
    pub(super) unidentified_rejects: u64,
    /// Rejections, counting repeats.
    pub(super) rejected_count: u64,
    /// Why the walk stopped before the end, if it did.
    pub(super) incomplete_reason: Option<String>,
}

/// The rules a plan applies.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rules {
    /// Days a withdrawn record is kept before it is removed.
    pub(super) grace_period_days: u32,
    /// Below this fraction of the records it had, a source is not trusted to withdraw.
    pub(super) min_record_ratio: f64,
}

/// What a harvest commits and reports.
pub(super) struct Plan {
    /// The registry changes (without pages and job, which the job adds).
    pub(super) commit: HarvestCommit,
    /// Records new to the store.
    pub(super) added: u64,
    /// Records whose content changed.
    pub(super) updated: u64,
    /// Records identical to the stored version.
    pub(super) unchanged: u64,
    /// Records withdrawn now.
    pub(super) removed: u64,
    /// Active records of the source after the commit.
    pub(super) totals: SourceCounts,
    /// The job's outcome.
    pub(super) status: JobStatus,
    /// Why the job is not `ok`.
    pub(super) reason: Option<String>,
    /// Whether the fingerprints of the pages read may be kept: not when the withdrawal
    /// guard refused, so that the next harvest reads the pages again and says so again.
    pub(super) keep_page_memos: bool,
}

/// Plans the commit of a walk over `registry` at time `now`.
pub(super) fn plan(
    source: &str,
    registry: &Registry,
    walked: Walked<'_>,
    rules: Rules,
    now: DateTime<Utc>,
) -> Plan {
    let now_text = now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut plan = Plan {
        commit: HarvestCommit::default(),
        added: 0,
        updated: 0,
        unchanged: 0,
        removed: 0,
        totals: SourceCounts::default(),
        status: JobStatus::Ok,
        reason: None,
        keep_page_memos: true,
    };
    let Walked {
        seen,
        rejected,
        unidentified_rejects,
        rejected_count,
        incomplete_reason,
    } = walked;
    let returned = seen.len() + rejected.len();
    // What is left of the walk once its records are taken: the registry's IRIs it saw
    // (none on a first harvest) and the kinds it took.
    let mut seen_known: HashSet<&str> = HashSet::new();
    let mut seen_kinds = SourceCounts::default();
    for (iri, (record, page_url)) in seen {
        let previous = registry.get(&iri);
        if let Some(p) = previous {
            seen_known.insert(p.record_iri.as_str());
        }
        bump(&mut seen_kinds, record.kind);
        take(
            &mut plan, source, iri, record, &page_url, previous, &now_text,
        );
    }
    let previously_active = registry
        .values()
        .filter(|e| e.state == RecordState::Active)
        .count();
    let walked = WalkFacts {
        incomplete: incomplete_reason.is_some(),
        unidentified_rejects,
    };
    let (may_withdraw, guard) = withdrawal(&walked, previously_active, returned, rules);
    let mut reason = incomplete_reason.or(guard.clone());
    plan.keep_page_memos = guard.is_none();
    let grace = chrono::Duration::days(i64::from(rules.grace_period_days));
    for (iri, entry) in registry.iter() {
        if seen_known.contains(iri) {
            continue;
        }
        match entry.state {
            RecordState::Active if may_withdraw && !rejected.contains(iri) => {
                let mut e = entry.clone();
                e.state = RecordState::Withdrawn;
                e.withdrawn_at = Some(now_text.clone());
                plan.commit.updates.push(e);
                plan.removed += 1;
            }
            RecordState::Withdrawn => {
                let expired = entry
                    .withdrawn_at
                    .as_deref()
                    .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                    .is_some_and(|t| now - t.with_timezone(&Utc) >= grace);
                if expired {
                    plan.commit.purges.push(entry.clone());
                }
            }
            RecordState::Active => {}
        }
    }
    plan.status = if reason.is_some() {
        JobStatus::Partial
    } else if rejected_count > 0 {
        reason = Some(format!("{rejected_count} records rejected"));
        JobStatus::Partial
    } else {
        JobStatus::Ok
    };
    plan.reason = reason;
    plan.totals = totals(registry, &seen_known, seen_kinds, &plan.commit);
    plan
}

/// What the withdrawal guard needs of the walk.
struct WalkFacts {
    /// Pages were left unread.
    incomplete: bool,
    /// Rejected records without a usable IRI.
    unidentified_rejects: u64,
}

/// Adds record `iri`, taken from `page_url`, to the plan: a new version is upserted, an
/// unchanged one restored or moved when it was withdrawn or read from another page.
fn take(
    plan: &mut Plan,
    source: &str,
    iri: String,
    record: TakenRecord,
    page_url: &str,
    previous: Option<&RecordEntry>,
    now: &str,
) {
    match (record.outcome, previous) {
        (RecordOutcome::Unchanged, Some(prev)) => {
            plan.unchanged += 1;
            if prev.state == RecordState::Withdrawn || prev.page_url != page_url {
                let mut entry = prev.clone();
                entry.state = RecordState::Active;
                entry.withdrawn_at = None;
                page_url.clone_into(&mut entry.page_url);
                plan.commit.updates.push(entry);
            }
        }
        (_, prev) => {
            match prev {
                Some(prev) => {
                    plan.updated += 1;
                    if prev.graph != record.graph {
                        plan.commit.dropped_graphs.push(prev.graph.clone());
                    }
                }
                None => plan.added += 1,
            }
            plan.commit.upserts.push(RecordEntry {
                graph: record.graph,
                source: source.to_owned(),
                dataset_id: dataset_id(&iri),
                record_iri: iri,
                kind: record.kind,
                hash: record.hash,
                page_url: page_url.to_owned(),
                first_seen: prev.map_or_else(|| now.to_owned(), |p| p.first_seen.clone()),
                last_changed: now.to_owned(),
                state: RecordState::Active,
                withdrawn_at: None,
            });
        }
    }
}

/// Whether the walk may withdraw the records it did not see, and why the guard refused
/// (`None` when it did not have to).
fn withdrawal(
    walked: &WalkFacts,
    previously_active: usize,
    returned: usize,
    rules: Rules,
) -> (bool, Option<String>) {
    if walked.incomplete {
        // Pages were not read: the records not seen may be on them.
        return (false, None);
    }
    if walked.unidentified_rejects > 0 && previously_active > 0 {
        // A rejected record whose IRI is unknown may be any record the source had: none of
        // them can be withdrawn safely.
        return (
            false,
            Some(format!(
                "{} records rejected without an identifier: nothing withdrawn",
                walked.unidentified_rejects
            )),
        );
    }
    if (returned as f64) < rules.min_record_ratio * previously_active as f64 {
        return (
            false,
            Some(format!(
                "the source returned {returned} records, fewer than half of the {previously_active} it had: nothing withdrawn"
            )),
        );
    }
    (true, None)
}

/// Active records of the source once `commit` is applied: `seen_kinds` counts the records
/// the walk took, `seen_known` names those the registry had.
fn totals(
    registry: &Registry,
    seen_known: &HashSet<&str>,
    seen_kinds: SourceCounts,
    commit: &HarvestCommit,
) -> SourceCounts {
    let mut counts = seen_kinds;
    let purged: HashSet<&str> = commit
        .purges
        .iter()
        .map(|p| p.record_iri.as_str())
        .collect();
    let withdrawn_now: HashSet<&str> = commit
        .updates
        .iter()
        .filter(|u| u.state == RecordState::Withdrawn)
        .map(|u| u.record_iri.as_str())
        .collect();
    for (iri, entry) in registry.iter() {
        if seen_known.contains(iri) || purged.contains(iri) {
            continue;
        }
        let withdrawn = entry.state == RecordState::Withdrawn || withdrawn_now.contains(iri);
        if !withdrawn {
            bump(&mut counts, entry.kind);
        }
    }
    counts
}

fn bump(counts: &mut SourceCounts, kind: RecordKind) {
    match kind {
        RecordKind::Dataset => counts.datasets += 1,
        RecordKind::Service => counts.services += 1,
        RecordKind::Series => counts.series += 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::Arc;

    const RULES: Rules = Rules {
        grace_period_days: 7,
        min_record_ratio: 0.5,
    };

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-04T10:00:00Z")
            .expect("date")
            .with_timezone(&Utc)
    }

    fn entry(n: u32, state: RecordState, withdrawn_at: Option<&str>) -> RecordEntry {
        RecordEntry {
            graph: format!("urn:g:{n}:h{n}"),
            source: "s".into(),
            record_iri: format!("http://x/{n}"),
            dataset_id: dataset_id(&format!("http://x/{n}")),
            kind: RecordKind::Dataset,
            hash: format!("h{n}"),
            page_url: "http://x/p1".into(),
            first_seen: "2026-01-01T00:00:00.000Z".into(),
            last_changed: "2026-01-01T00:00:00.000Z".into(),
            state,
            withdrawn_at: withdrawn_at.map(str::to_owned),
        }
    }

    fn taken(n: u32, outcome: RecordOutcome) -> (String, (TakenRecord, Arc<str>)) {
        let hash = if outcome == RecordOutcome::Unchanged {
            format!("h{n}")
        } else {
            format!("new{n}")
        };
        (
            format!("http://x/{n}"),
            (
                TakenRecord {
                    iri: format!("http://x/{n}"),
                    kind: RecordKind::Dataset,
                    graph: format!("urn:g:{n}:{hash}"),
                    hash,
                    outcome,
                },
                "http://x/p1".into(),
            ),
        )
    }

    fn walked(seen: Seen, rejected: &HashSet<String>) -> Walked<'_> {
        Walked {
            seen,
            rejected,
            unidentified_rejects: 0,
            rejected_count: rejected.len() as u64,
            incomplete_reason: None,
        }
    }

    fn active(n: u32) -> Vec<RecordEntry> {
        (1..=n)
            .map(|i| entry(i, RecordState::Active, None))
            .collect()
    }

    #[test]
    fn a_complete_walk_adds_updates_and_withdraws_what_it_did_not_see() {
        let registry = Registry::from_entries(active(4));
        let seen: HashMap<_, _> = [
            taken(1, RecordOutcome::Unchanged),
            taken(2, RecordOutcome::Updated),
            taken(3, RecordOutcome::Unchanged),
            taken(9, RecordOutcome::Added),
        ]
        .into_iter()
        .collect();
        let rejected = HashSet::new();
        let plan = plan("s", &registry, walked(seen, &rejected), RULES, now());
        assert_eq!(
            (plan.added, plan.updated, plan.unchanged, plan.removed),
            (1, 1, 2, 1)
        );
        assert_eq!(plan.status, JobStatus::Ok);
        assert_eq!(plan.commit.upserts.len(), 2);
        assert_eq!(plan.commit.dropped_graphs, vec!["urn:g:2:h2".to_owned()]);
        let withdrawn: Vec<_> = plan
            .commit
            .updates
            .iter()
            .map(|e| e.record_iri.as_str())
            .collect();
        assert_eq!(withdrawn, vec!["http://x/4"]);
        assert_eq!(plan.totals.datasets, 4);
        assert!(plan.keep_page_memos);
    }

    #[test]
    fn an_incomplete_walk_withdraws_nothing_and_is_partial() {
        let registry = Registry::from_entries(active(4));
        let seen: HashMap<_, _> = [taken(1, RecordOutcome::Unchanged)].into_iter().collect();
        let rejected = HashSet::new();
        let mut w = walked(seen, &rejected);
        w.incomplete_reason = Some("page 2: timeout".into());
        let plan = plan("s", &registry, w, RULES, now());
        assert_eq!(plan.removed, 0);
        assert_eq!(plan.status, JobStatus::Partial);
        assert_eq!(plan.reason.as_deref(), Some("page 2: timeout"));
        assert_eq!(plan.totals.datasets, 4);
        assert!(plan.keep_page_memos, "pages read are as they were");
    }

    #[test]
    fn the_guard_refuses_a_source_that_returns_fewer_than_half_and_forgets_its_pages() {
        let registry = Registry::from_entries(active(10));
        let seen: HashMap<_, _> = (1..=4)
            .map(|n| taken(n, RecordOutcome::Unchanged))
            .collect();
        let rejected = HashSet::new();
        let plan = plan("s", &registry, walked(seen, &rejected), RULES, now());
        assert_eq!(plan.removed, 0);
        assert_eq!(plan.status, JobStatus::Partial);
        assert!(plan
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("fewer than half of the 10"));
        assert!(!plan.keep_page_memos);
        // Half exactly is enough.
        let seen: HashMap<_, _> = (1..=5)
            .map(|n| taken(n, RecordOutcome::Unchanged))
            .collect();
        let plan = super::plan("s", &registry, walked(seen, &rejected), RULES, now());
        assert_eq!(plan.removed, 5);
        assert_eq!(plan.status, JobStatus::Ok);
    }

    #[test]
    fn a_record_rejected_without_an_identifier_blocks_every_withdrawal() {
        let registry = Registry::from_entries(active(3));
        let seen: HashMap<_, _> = (1..=2)
            .map(|n| taken(n, RecordOutcome::Unchanged))
            .collect();
        let rejected: HashSet<String> = ["record 3 of the page (page 1)".to_owned()].into();
        let mut w = walked(seen, &rejected);
        w.unidentified_rejects = 1;
        let plan = plan("s", &registry, w, RULES, now());
        assert_eq!(plan.removed, 0);
        assert!(plan
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("without an identifier"));
        assert!(!plan.keep_page_memos);
    }

    #[test]
    fn a_rejected_record_with_an_iri_is_kept_and_the_job_is_partial() {
        let registry = Registry::from_entries(active(3));
        let seen: HashMap<_, _> = (1..=2)
            .map(|n| taken(n, RecordOutcome::Unchanged))
            .collect();
        let rejected: HashSet<String> = ["http://x/3".to_owned()].into();
        let plan = plan("s", &registry, walked(seen, &rejected), RULES, now());
        assert_eq!(plan.removed, 0, "the rejected record stays as it was");
        assert_eq!(plan.status, JobStatus::Partial);
        assert_eq!(plan.reason.as_deref(), Some("1 records rejected"));
    }

    #[test]
    fn withdrawn_records_come_back_untouched_and_expire_after_the_grace_period() {
        let registry = Registry::from_entries(vec![
            entry(1, RecordState::Withdrawn, Some("2026-12-01T10:00:00.000Z")),
            entry(2, RecordState::Withdrawn, Some("2026-11-20T10:00:00.000Z")),
            entry(3, RecordState::Withdrawn, Some("2026-12-03T10:00:00.000Z")),
            entry(4, RecordState::Active, None),
        ]);
        let seen: HashMap<_, _> = [
            taken(1, RecordOutcome::Unchanged),
            taken(4, RecordOutcome::Unchanged),
        ]
        .into_iter()
        .collect();
        let rejected = HashSet::new();
        let plan = plan("s", &registry, walked(seen, &rejected), RULES, now());
        let restored = &plan.commit.updates;
        assert_eq!(restored.len(), 1);
        assert_eq!(restored[0].record_iri, "http://x/1");
        assert_eq!(restored[0].state, RecordState::Active);
        assert_eq!(restored[0].graph, "urn:g:1:h1", "same version, no write");
        let purged: Vec<_> = plan
            .commit
            .purges
            .iter()
            .map(|e| e.record_iri.as_str())
            .collect();
        assert_eq!(purged, vec!["http://x/2"]);
        assert_eq!(plan.totals.datasets, 2);
    }

    #[test]
    fn an_unchanged_record_read_from_another_page_moves_there() {
        let registry = Registry::from_entries(active(1));
        let mut seen: HashMap<_, _> = [taken(1, RecordOutcome::Unchanged)].into_iter().collect();
        seen.values_mut()
            .for_each(|(_, page)| *page = "http://x/p2".into());
        let rejected = HashSet::new();
        let plan = plan("s", &registry, walked(seen, &rejected), RULES, now());
        assert_eq!(plan.commit.updates.len(), 1);
        assert_eq!(plan.commit.updates[0].page_url, "http://x/p2");
        assert!(plan.commit.upserts.is_empty());
    }
}
