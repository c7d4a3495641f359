//! The lists of records to fix that pages show (`/catalogues/{id}/a-corriger`,
//! `/producteurs/{slug}/a-corriger`), kept between requests: each list is read from every
//! summary of its source or producer (about two seconds at 1,000,000 records), and a
//! producer fixing its metadata goes from one problem's list to the next.
//!
//! Invariants:
//! - A kept list is never older than the summaries it was read from: a rewrite of a
//!   source's summaries drops that source's lists and every producer's (a producer's
//!   records come from any source, and its grouping may change); a read during such a
//!   rewrite is not kept (writes are counted, per source and in all, and a read is kept
//!   only if none came while it ran).
//! - A producer's lists are tied to the grouping they were read with (the same
//!   `Arc<Producers>`): another grouping (summaries changed, sources configured) reads
//!   them again.
//! - Bounded: at most [`KEPT_SCOPES`] sources or producers and [`KEPT_RECORDS`] records
//!   held in all; the oldest go first.
//! - One read of a source's or producer's lists at a time: requests arriving during it
//!   wait for it and take what it kept.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use super::fixes::{FixLists, KeptFixLists};
use crate::publishers::Producers;
use crate::store::{Turns, WriteCounts};
use crate::{CatalogStore, StoreError};

/// Sources or producers whose lists are kept at most.
pub const KEPT_SCOPES: usize = 8;
/// Records held by the kept lists at most, all scopes together (the lists of the
/// 1,000,000-record benchmark source hold 6.6 MB).
pub const KEPT_RECORDS: usize = 12_000;

#[derive(Debug)]
enum Scope {
    Source(String),
    Producer(Arc<Producers>, String),
}

impl Scope {
    /// The name of its read's turn.
    fn name(&self) -> String {
        match self {
            Scope::Source(source) => format!("source {source}"),
            Scope::Producer(_, slug) => format!("producer {slug}"),
        }
    }

    fn is(&self, other: &Scope) -> bool {
        match (self, other) {
            (Scope::Source(a), Scope::Source(b)) => a == b,
            (Scope::Producer(ga, a), Scope::Producer(gb, b)) => Arc::ptr_eq(ga, gb) && a == b,
            _ => false,
        }
    }
}

/// The kept lists, oldest first, the summary rewrites counted, and one lock per source or
/// producer taken by its reads (as many as sources and producers were asked for).
#[derive(Debug, Default)]
pub(crate) struct FixListsCache {
    kept: VecDeque<(Scope, Arc<KeptFixLists>, usize)>,
    reads: Turns,
    writes: WriteCounts,
}

impl FixListsCache {
    fn get(&self, scope: &Scope) -> Option<Arc<KeptFixLists>> {
        self.kept
            .iter()
            .find(|(s, _, _)| s.is(scope))
            .map(|(_, lists, _)| lists.clone())
    }

    /// The count of writes a read of `scope` must see unchanged to be kept.
    fn seen(&self, scope: &Scope) -> u64 {
        match scope {
            Scope::Source(source) => self.writes.of(source),
            Scope::Producer(..) => self.writes.all(),
        }
    }

    fn keep(&mut self, scope: Scope, lists: Arc<KeptFixLists>) {
        self.kept.retain(|(s, _, _)| !s.is(&scope));
        let held = lists.records_held();
        self.kept.push_back((scope, lists, held));
        while self.kept.len() > KEPT_SCOPES
            || (self.kept.len() > 1 && self.kept.iter().map(|k| k.2).sum::<usize>() > KEPT_RECORDS)
        {
            self.kept.pop_front();
        }
    }

    /// The summaries of `source` were rewritten.
    pub(crate) fn summaries_changed(&mut self, source: &str) {
        self.writes.count(source);
        self.kept.retain(|(s, _, _)| match s {
            Scope::Source(s) => s != source,
            Scope::Producer(..) => false,
        });
    }
}

/// How many records each list shows at most.
pub const FIX_LIST_SHOWN: usize = 200;

impl CatalogStore {
    /// The lists of records to fix of source `source` ([`FIX_LIST_SHOWN`] records each),
    /// kept or read from its summaries.
    pub fn source_fix_lists(&self, source: &str) -> Result<Arc<KeptFixLists>, StoreError> {
        self.fix_lists_of(Scope::Source(source.to_owned()), |lists| {
            self.for_each_record_quality(source, |r| {
                lists.add(r);
                Ok::<_, StoreError>(())
            })
        })
    }

    /// The lists of records to fix of producer `slug` of `producers`, kept or read from
    /// the summaries of its sources; `None` if there is no such producer.
    pub fn producer_fix_lists(
        &self,
        producers: &Arc<Producers>,
        slug: &str,
    ) -> Result<Option<Arc<KeptFixLists>>, StoreError> {
        if producers.find(slug).is_none() {
            return Ok(None);
        }
        self.fix_lists_of(
            Scope::Producer(producers.clone(), slug.to_owned()),
            |lists| {
                producers
                    .for_each_record(self, slug, |r| {
                        lists.add(r);
                        Ok::<_, StoreError>(())
                    })
                    .map(drop)
            },
        )
        .map(Some)
    }

    fn fix_lists_of(
        &self,
        scope: Scope,
        read: impl FnOnce(&mut FixLists) -> Result<(), StoreError>,
    ) -> Result<Arc<KeptFixLists>, StoreError> {
        let turn = {
            let cache = lock(&self.fix_lists);
            if let Some(kept) = cache.get(&scope) {
                return Ok(kept);
            }
            cache.reads.of(&scope.name())
        };
        // Requests for the same lists at once (the links of a dashboard followed
        // together) wait for one read instead of each reading every summary.
        let _turn = turn.lock().unwrap_or_else(|e| e.into_inner());
        let seen = {
            let cache = lock(&self.fix_lists);
            if let Some(kept) = cache.get(&scope) {
                return Ok(kept);
            }
            cache.seen(&scope)
        };
        let mut lists = FixLists::new(FIX_LIST_SHOWN);
        read(&mut lists)?;
        let lists = Arc::new(lists.finish());
        let mut cache = lock(&self.fix_lists);
        if cache.seen(&scope) == seen && !self.is_read_only() {
            cache.keep(scope, lists.clone());
        }
        Ok(lists)
    }
}

fn lock(cache: &Mutex<FixListsCache>) -> std::sync::MutexGuard<'_, FixListsCache> {
    cache.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quality::summary::Fix;
    use crate::quality::{Blame, IndicatorId, RecordQuality, RunSummaries};

    fn record(id: &str, points: f64, fixes: &[IndicatorId]) -> RecordQuality {
        RecordQuality {
            id: id.into(),
            iri: format!("https://ex.org/{id}"),
            source: "s".into(),
            title: id.into(),
            points,
            dimensions: Vec::new(),
            publisher: None,
            fixes: fixes
                .iter()
                .map(|&indicator| Fix {
                    indicator,
                    points: 10.0,
                    counted: true,
                    blame: Blame::Source,
                    detail: None,
                })
                .collect(),
        }
    }

    fn save(store: &CatalogStore, source: &str, records: &[RecordQuality]) {
        let mut summaries = RunSummaries::default();
        for r in records {
            summaries.add(r).unwrap();
        }
        store.save_record_qualities(source, summaries).unwrap();
    }

    #[test]
    fn every_list_comes_from_one_read_and_matches_a_list_of_its_own() {
        let records: Vec<RecordQuality> = (0..500)
            .map(|i| {
                let fixes: &[IndicatorId] = match i % 3 {
                    0 => &[IndicatorId::License],
                    1 => &[IndicatorId::License, IndicatorId::Keywords],
                    _ => &[],
                };
                let mut r = record(&format!("r{i:03}"), f64::from(i % 97), fixes);
                // Titles in another order than ids, some shared.
                r.title = format!("Titre {}", (500 - i) / 2);
                r
            })
            .collect();
        let mut lists = FixLists::new(FIX_LIST_SHOWN);
        records.iter().cloned().for_each(|r| lists.add(r));
        let kept = lists.finish();
        assert_eq!(kept.records_read(), 500);
        // The first by title then id, as a producer's page lists them.
        let mut by_title: Vec<(&str, &str)> = records
            .iter()
            .map(|r| (r.title.as_str(), r.id.as_str()))
            .collect();
        by_title.sort();
        let first: Vec<(&str, &str)> = kept
            .first_by_title()
            .iter()
            .map(|r| (r.title.as_str(), r.id.as_str()))
            .collect();
        assert_eq!(first, by_title[..crate::quality::FIRST_BY_TITLE]);
        for indicator in [
            None,
            Some(IndicatorId::License),
            Some(IndicatorId::Keywords),
        ] {
            let mut one = crate::quality::FixList::new(indicator, FIX_LIST_SHOWN);
            records.iter().cloned().for_each(|r| one.add(r));
            let (total, shown) = kept.list(indicator);
            assert_eq!(total, one.total(), "{indicator:?}");
            let ids: Vec<&str> = shown.iter().map(|r| r.id.as_str()).collect();
            let expected: Vec<String> = one.into_records().into_iter().map(|r| r.id).collect();
            assert_eq!(ids, expected, "{indicator:?}");
        }
        assert_eq!(kept.list(Some(IndicatorId::Themes)), (0, &[][..]));
        // Every indicator's list has a bit of its own.
        let bits: std::collections::HashSet<u64> = crate::quality::INDICATORS
            .iter()
            .map(|i| super::super::fixes::list_bit(Some(i.id)))
            .chain([super::super::fixes::list_bit(None)])
            .collect();
        assert_eq!(bits.len(), crate::quality::INDICATORS.len() + 1);
        // 334 records to fix, 200 shown in each list, the keywords' among the licence's,
        // and 100 by title.
        assert!(kept.records_held() <= 500, "{}", kept.records_held());
    }

    #[test]
    fn kept_lists_follow_the_summaries_they_were_read_from() {
        let store = CatalogStore::in_memory().unwrap();
        save(&store, "a", &[record("a1", 10.0, &[IndicatorId::License])]);
        save(&store, "b", &[record("b1", 10.0, &[IndicatorId::License])]);
        let first = store.source_fix_lists("a").unwrap();
        assert!(
            Arc::ptr_eq(&first, &store.source_fix_lists("a").unwrap()),
            "kept"
        );
        // Another source's rewrite leaves them; a rewrite of theirs drops them.
        save(&store, "b", &[]);
        assert!(Arc::ptr_eq(&first, &store.source_fix_lists("a").unwrap()));
        save(
            &store,
            "a",
            &[
                record("a1", 10.0, &[IndicatorId::License]),
                record("a2", 5.0, &[IndicatorId::Keywords]),
            ],
        );
        let second = store.source_fix_lists("a").unwrap();
        assert_eq!(second.list(None).0, 2);
        assert_eq!(second.list(None).1[0].id, "a2", "worst first");
    }

    #[test]
    fn a_read_during_a_rewrite_is_not_kept() {
        let store = CatalogStore::in_memory().unwrap();
        save(&store, "a", &[record("a1", 10.0, &[IndicatorId::License])]);
        let lists = store
            .fix_lists_of(Scope::Source("a".into()), |lists| {
                store.for_each_record_quality("a", |r| {
                    lists.add(r);
                    Ok::<_, StoreError>(())
                })?;
                // The source's summaries are rewritten after the read, before it is kept.
                save(&store, "a", &[]);
                Ok(())
            })
            .unwrap();
        assert_eq!(lists.list(None).0, 1, "the read saw the old summaries");
        assert_eq!(
            store.source_fix_lists("a").unwrap().list(None).0,
            0,
            "not kept"
        );
        // A read while another source is rewritten is kept.
        let read = store
            .fix_lists_of(Scope::Source("a".into()), |_| {
                save(&store, "b", &[]);
                Ok(())
            })
            .unwrap();
        assert!(Arc::ptr_eq(&read, &store.source_fix_lists("a").unwrap()));
    }

    #[test]
    fn requests_at_once_wait_for_one_read() {
        let store = CatalogStore::in_memory().unwrap();
        save(&store, "a", &[record("a1", 10.0, &[IndicatorId::License])]);
        let reads = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    store
                        .fix_lists_of(Scope::Source("a".into()), |lists| {
                            reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            std::thread::sleep(std::time::Duration::from_millis(100));
                            store.for_each_record_quality("a", |r| {
                                lists.add(r);
                                Ok::<_, StoreError>(())
                            })
                        })
                        .unwrap()
                });
            }
        });
        assert_eq!(reads.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[test]
    fn the_cache_is_bounded_by_scopes_and_records() {
        let store = CatalogStore::in_memory().unwrap();
        for i in 0..=KEPT_SCOPES {
            save(
                &store,
                &format!("s{i}"),
                &[record("r", 1.0, &[IndicatorId::License])],
            );
        }
        let first = store.source_fix_lists("s0").unwrap();
        for i in 1..=KEPT_SCOPES {
            store.source_fix_lists(&format!("s{i}")).unwrap();
        }
        assert_eq!(lock(&store.fix_lists).kept.len(), KEPT_SCOPES);
        assert!(
            !Arc::ptr_eq(&first, &store.source_fix_lists("s0").unwrap()),
            "oldest went"
        );
        // Two sources whose lists hold 6,200 records each (200 per indicator): together
        // over the bound of records, so the older goes.
        let spread = |source: &str| -> Vec<RecordQuality> {
            crate::quality::INDICATORS
                .iter()
                .flat_map(|i| (0..FIX_LIST_SHOWN).map(move |n| (i.id, n)))
                .map(|(id, n)| record(&format!("{source}-{id:?}-{n}"), 1.0, &[id]))
                .collect()
        };
        save(&store, "x", &spread("x"));
        save(&store, "y", &spread("y"));
        let x = store.source_fix_lists("x").unwrap();
        assert_eq!(x.records_held(), 31 * FIX_LIST_SHOWN);
        store.source_fix_lists("y").unwrap();
        let cache = lock(&store.fix_lists);
        let held: usize = cache.kept.iter().map(|k| k.2).sum();
        assert!(held <= KEPT_RECORDS, "{held}");
        assert!(cache.get(&Scope::Source("y".into())).is_some());
        assert!(cache.get(&Scope::Source("x".into())).is_none());
    }
}
