//! « À corriger en priorité »: the fixes of many records grouped by problem and ranked
//! by the points they would bring, so that a producer reads « 700 fiches sans
//! conditions d'accès — +10 points chacune » instead of the same sentence 700 times.
//!
//! Invariants:
//! - Counts are real totals over every record given, never a display cap.
//! - A group counts in the score only when fixing it raises the score (the producer's
//!   own fault on an MQA indicator); the others (our mapping's possible losses,
//!   Moisson's own advice) are grouped apart.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

use super::indicators::{iso_advice, IndicatorId, INDICATORS};
use super::record::{round1, Blame, RecordOrigin};
use super::summary::RecordQuality;

/// One problem shared by several records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FixGroup {
    /// The indicator that fails.
    pub indicator: IndicatorId,
    /// Its French label.
    pub label: String,
    /// What to do, in the producer's terms (ISO 19139 elements for ISO records).
    pub advice: String,
    /// How many records fail it.
    pub records: usize,
    /// Mean points one record would gain (0 when not counted).
    pub points_each: f64,
    /// Points the whole group would gain, summed over its records.
    pub points_total: f64,
    /// True when fixing it raises the score.
    pub counted: bool,
    /// True when the failure may come from our ISO 19139 mapping.
    pub mapping: bool,
}

/// Fixes grouped by problem: those that count in the score, most points first, and
/// those shown apart.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FixGroups {
    /// Fixes that raise the score, most points to gain first.
    pub counted: Vec<FixGroup>,
    /// Advice not counted in the score (mapping losses, Moisson's own indicators),
    /// most records first.
    pub apart: Vec<FixGroup>,
    /// Records with at least one fix that counts (every record given, not a cap).
    pub records_to_fix: usize,
}

/// Groups the fixes of `records`; `origin_of` says how each source's records reached
/// us (ISO producers get advice in ISO terms).
pub fn group_fixes<'a>(
    records: impl IntoIterator<Item = &'a RecordQuality>,
    origin_of: &dyn Fn(&str) -> RecordOrigin,
) -> FixGroups {
    let mut tally = FixTally::default();
    for r in records {
        tally.add(r, origin_of(&r.source));
    }
    tally.finish()
}

/// Fixes grouped as records come, one at a time: a quality run counts each record's
/// summary and drops it (what [`group_fixes`] does over records held together).
#[derive(Debug, Clone, Default)]
pub struct FixTally {
    /// (indicator, counted, mapping) → (records, points, ISO records).
    groups: BTreeMap<(IndicatorId, bool, bool), (usize, f64, usize)>,
    records_to_fix: usize,
}

impl FixTally {
    /// Counts the fixes of `r`, a record that reached us as `origin`.
    pub fn add(&mut self, r: &RecordQuality, origin: RecordOrigin) {
        let iso = origin == RecordOrigin::Iso19139Mapping;
        let mut seen = Vec::new();
        let mut any_counted = false;
        for f in &r.fixes {
            let key = (f.indicator, f.counted, f.blame == Blame::Mapping);
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            any_counted |= f.counted;
            let e = self.groups.entry(key).or_default();
            e.0 += 1;
            e.1 += if f.counted { f.points } else { 0.0 };
            e.2 += usize::from(iso);
        }
        self.records_to_fix += usize::from(any_counted);
    }

    /// Adds the records `other` counted (records counted by neither).
    pub fn merge(&mut self, other: FixTally) {
        for (key, (records, points, iso)) in other.groups {
            let e = self.groups.entry(key).or_default();
            e.0 += records;
            e.1 += points;
            e.2 += iso;
        }
        self.records_to_fix += other.records_to_fix;
    }

    /// The groups of every record counted, ranked.
    pub fn finish(self) -> FixGroups {
        let mut out = FixGroups {
            records_to_fix: self.records_to_fix,
            ..FixGroups::default()
        };
        for ((indicator, counted, mapping), (count, points, iso_records)) in self.groups {
            let row = indicator.indicator();
            // Advice in ISO terms when most of the group's records are ISO records.
            let advice = if iso_records * 2 > count {
                iso_advice(indicator).unwrap_or(row.advice)
            } else {
                row.advice
            };
            let group = FixGroup {
                indicator,
                label: row.label.to_owned(),
                advice: advice.to_owned(),
                records: count,
                points_each: round1(points / count as f64),
                points_total: round1(points),
                counted,
                mapping,
            };
            if counted {
                out.counted.push(group);
            } else {
                out.apart.push(group);
            }
        }
        out.counted.sort_by(|a, b| {
            b.points_total
                .total_cmp(&a.points_total)
                .then(a.indicator.cmp(&b.indicator))
        });
        out.apart.sort_by(|a, b| {
            b.records
                .cmp(&a.records)
                .then(a.indicator.cmp(&b.indicator))
        });
        out
    }
}

/// Returns the records of `records` to fix, worst first: those with a fix that counts
/// in the score, or, given `indicator`, those failing it (counted or not).
pub fn records_to_fix<'a>(
    records: impl IntoIterator<Item = &'a RecordQuality>,
    indicator: Option<IndicatorId>,
) -> Vec<&'a RecordQuality> {
    let mut out: Vec<&RecordQuality> = records
        .into_iter()
        .filter(|r| r.is_to_fix(indicator))
        .collect();
    out.sort_by(|a, b| a.points.total_cmp(&b.points).then(a.id.cmp(&b.id)));
    out
}

/// The `keep` lowest of many items by key, gathered one at a time in bounded memory:
/// sorted and cut back to `keep` whenever twice as many are held; an item whose key
/// cannot be among the lowest any more is not even built. Views over every record of a
/// large source or producer (1,000,000 summaries) list a page of them this way instead
/// of holding them all.
#[derive(Debug)]
pub struct Lowest<K, T> {
    keep: usize,
    items: Vec<(K, T)>,
    /// The highest key kept at the last cut: keys from it on are not kept.
    cutoff: Option<K>,
    offered: usize,
}

impl<K: Ord + Clone, T> Lowest<K, T> {
    /// Keeps the `keep` lowest.
    pub fn new(keep: usize) -> Self {
        Self {
            keep,
            items: Vec::new(),
            cutoff: None,
            offered: 0,
        }
    }

    /// Offers an item of key `key`, built by `item` only when it may be kept.
    pub fn offer(&mut self, key: K, item: impl FnOnce() -> T) {
        self.offered += 1;
        if self.keep == 0 || self.cutoff.as_ref().is_some_and(|c| key >= *c) {
            return;
        }
        self.items.push((key, item()));
        if self.items.len() >= self.keep.saturating_mul(2) {
            self.cut();
        }
    }

    fn cut(&mut self) {
        self.items.sort_by(|a, b| a.0.cmp(&b.0));
        self.items.truncate(self.keep);
        // An item with the last kept key or a higher one cannot enter any more (the
        // first `keep` offered with that key are held already).
        self.cutoff = self.items.last().map(|(k, _)| k.clone());
    }

    /// The key from which offered items are not kept any more (`None` while every item
    /// is kept).
    pub fn cutoff(&self) -> Option<&K> {
        self.cutoff.as_ref()
    }

    /// Counts an offer of an item whose key is not below [`Self::cutoff`], without it.
    pub fn pass(&mut self) {
        debug_assert!(self.cutoff.is_some() || self.keep == 0);
        self.offered += 1;
    }

    /// How many items were offered (kept or not).
    pub fn offered(&self) -> usize {
        self.offered
    }

    /// The lowest `keep` items, lowest first.
    pub fn into_sorted(mut self) -> Vec<(K, T)> {
        self.items.sort_by(|a, b| a.0.cmp(&b.0));
        self.items.truncate(self.keep);
        self.items
    }
}

/// Record points as a sort key (total order over `f64`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Points(pub f64);

impl Eq for Points {}

impl PartialOrd for Points {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Points {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// A list of records to fix as a page shows it, gathered from summaries one at a time:
/// the same records, in the same order, as [`records_to_fix`], of which the first
/// `shown`, and the real total.
#[derive(Debug)]
pub struct FixList {
    indicator: Option<IndicatorId>,
    lowest: Lowest<(Points, String), RecordQuality>,
}

impl FixList {
    /// Lists records failing `indicator` (or with a fix that counts), `shown` at most.
    pub fn new(indicator: Option<IndicatorId>, shown: usize) -> Self {
        Self {
            indicator,
            lowest: Lowest::new(shown),
        }
    }

    /// Offers one record.
    pub fn add(&mut self, r: RecordQuality) {
        if r.is_to_fix(self.indicator) {
            self.lowest.offer((Points(r.points), r.id.clone()), || r);
        }
    }

    /// How many records are to fix (all of them, not only those shown).
    pub fn total(&self) -> usize {
        self.lowest.offered()
    }

    /// The records shown, worst first.
    pub fn into_records(self) -> Vec<RecordQuality> {
        self.lowest
            .into_sorted()
            .into_iter()
            .map(|(_, r)| r)
            .collect()
    }
}

/// The worst records of a list, by points then id (shared by every list they are in).
type WorstRecords = Lowest<(Points, Arc<str>), Arc<RecordQuality>>;

/// Every list of records to fix of one source or producer, gathered in one read of its
/// summaries: every record to fix, then the records failing each indicator, each list
/// with its real total and its `shown` worst records (records in several lists are held
/// once). A producer going through its problems one by one then costs one read, not one
/// per problem (a read of 1,000,000 summaries takes about two seconds).
///
/// The same pass keeps the scope's first records by title (then id), which a producer's
/// page lists ([`FIRST_BY_TITLE`]).
#[derive(Debug)]
pub struct FixLists {
    /// `None` (every record to fix) first, then each indicator in [`INDICATORS`] order.
    lists: Vec<(Option<IndicatorId>, WorstRecords)>,
    by_title: Lowest<(Arc<str>, Arc<str>), Arc<RecordQuality>>,
    read: usize,
}

/// How many records [`FixLists`] keeps by title.
pub const FIRST_BY_TITLE: usize = 100;

impl FixLists {
    /// Lists of `shown` records at most.
    pub fn new(shown: usize) -> Self {
        let lists = std::iter::once(None)
            .chain(INDICATORS.iter().map(|i| Some(i.id)))
            .map(|i| (i, Lowest::new(shown)))
            .collect();
        Self {
            lists,
            by_title: Lowest::new(FIRST_BY_TITLE),
            read: 0,
        }
    }

    /// Offers one record to every list whose problem it has.
    pub fn add(&mut self, r: RecordQuality) {
        self.read += 1;
        // The lists the record is in, as bits (as `RecordQuality::is_to_fix`).
        let mut lists_of = 0u64;
        for f in &r.fixes {
            lists_of |= list_bit(Some(f.indicator)) | u64::from(f.counted);
        }
        let mine = |indicator: &Option<IndicatorId>| lists_of & list_bit(*indicator) != 0;
        // Most records of a large source enter no list once the lists are full: they are
        // counted without being shared.
        let key = (Points(r.points), r.id.as_str());
        let titled = self
            .by_title
            .cutoff()
            .is_none_or(|c| (r.title.as_str(), r.id.as_str()) < (&*c.0, &*c.1));
        let enters = titled
            || self.lists.iter().any(|(indicator, lowest)| {
                mine(indicator) && lowest.cutoff().is_none_or(|c| key < (c.0, &*c.1))
            });
        if !enters {
            self.by_title.pass();
            for (indicator, lowest) in &mut self.lists {
                if mine(indicator) {
                    lowest.pass();
                }
            }
            return;
        }
        let id: Arc<str> = Arc::from(r.id.as_str());
        let r = Arc::new(r);
        if titled {
            self.by_title
                .offer((Arc::from(r.title.as_str()), id.clone()), || r.clone());
        } else {
            self.by_title.pass();
        }
        for (indicator, lowest) in &mut self.lists {
            if mine(indicator) {
                lowest.offer((Points(r.points), id.clone()), || r.clone());
            }
        }
    }

    /// The lists, sorted (worst first) and cut to what is shown.
    pub fn finish(self) -> KeptFixLists {
        let lists = self
            .lists
            .into_iter()
            .map(|(indicator, lowest)| {
                let total = lowest.offered();
                let records = lowest.into_sorted().into_iter().map(|(_, r)| r).collect();
                (indicator, total, records)
            })
            .collect();
        let by_title = self
            .by_title
            .into_sorted()
            .into_iter()
            .map(|(_, r)| r)
            .collect();
        KeptFixLists {
            lists,
            by_title,
            read: self.read,
        }
    }
}

/// The bit of a list in [`FixLists::add`]'s set: every record to fix (bit 0), or the
/// records failing one indicator (31 of them, bits 1 to 31).
pub(super) fn list_bit(indicator: Option<IndicatorId>) -> u64 {
    indicator.map_or(1, |i| 2 << (i as u32))
}

/// The lists of [`FixLists`], as pages show them.
#[derive(Debug)]
pub struct KeptFixLists {
    lists: Vec<(Option<IndicatorId>, usize, Vec<Arc<RecordQuality>>)>,
    by_title: Vec<Arc<RecordQuality>>,
    read: usize,
}

impl KeptFixLists {
    /// How many records are to fix (or fail `indicator`) in all, and the worst of them,
    /// worst first.
    pub fn list(&self, indicator: Option<IndicatorId>) -> (usize, &[Arc<RecordQuality>]) {
        self.lists
            .iter()
            .find(|(i, _, _)| *i == indicator)
            .map_or((0, &[][..]), |(_, total, records)| (*total, records))
    }

    /// The first [`FIRST_BY_TITLE`] records by title, then id.
    pub fn first_by_title(&self) -> &[Arc<RecordQuality>] {
        &self.by_title
    }

    /// How many summaries were read.
    pub fn records_read(&self) -> usize {
        self.read
    }

    /// How many distinct records the lists hold.
    pub fn records_held(&self) -> usize {
        let mut seen: Vec<*const RecordQuality> = self
            .lists
            .iter()
            .flat_map(|(_, _, records)| records)
            .chain(&self.by_title)
            .map(Arc::as_ptr)
            .collect();
        seen.sort_unstable();
        seen.dedup();
        seen.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quality::summary::Fix;

    fn record(id: &str, fixes: &[(IndicatorId, f64, bool)]) -> RecordQuality {
        RecordQuality {
            id: id.into(),
            iri: format!("https://ex.org/{id}"),
            source: "s".into(),
            title: id.into(),
            points: 200.0,
            dimensions: Vec::new(),
            publisher: None,
            fixes: fixes
                .iter()
                .map(|(indicator, points, counted)| Fix {
                    indicator: *indicator,
                    points: *points,
                    counted: *counted,
                    blame: Blame::Source,
                    detail: None,
                })
                .collect(),
        }
    }

    #[test]
    fn fixes_are_grouped_ranked_by_points_and_counted_whole() {
        let mut records: Vec<RecordQuality> = (0..700)
            .map(|i| record(&format!("r{i}"), &[(IndicatorId::AccessRights, 10.0, true)]))
            .collect();
        records.extend(
            (0..10).map(|i| record(&format!("k{i}"), &[(IndicatorId::Keywords, 30.0, true)])),
        );
        records.push(record("t", &[(IndicatorId::TitleQuality, 15.0, false)]));
        let g = group_fixes(&records, &|_| RecordOrigin::Dcat);
        assert_eq!(g.records_to_fix, 710);
        assert_eq!(g.counted[0].indicator, IndicatorId::AccessRights);
        assert_eq!(g.counted[0].records, 700);
        assert_eq!(g.counted[0].points_each, 10.0);
        assert_eq!(g.counted[0].points_total, 7000.0);
        assert_eq!(g.counted[1].indicator, IndicatorId::Keywords);
        assert_eq!(g.apart.len(), 1);
        assert_eq!(g.apart[0].indicator, IndicatorId::TitleQuality);
        assert_eq!(g.apart[0].points_total, 0.0);
        // ISO producers read ISO elements.
        let iso = group_fixes(&records, &|_| RecordOrigin::Iso19139Mapping);
        assert!(iso.counted[0].advice.contains("gmd:accessConstraints"));
    }

    #[test]
    fn a_page_of_records_to_fix_is_the_head_of_the_full_list() {
        // Scores with many ties, offered in a scrambled order.
        let records: Vec<RecordQuality> = (0..2_345_usize)
            .map(|i| {
                let n = (i * 7_919) % 2_345;
                let fixes: &[(IndicatorId, f64, bool)] = match n % 3 {
                    0 => &[(IndicatorId::AccessRights, 10.0, true)],
                    1 => &[(IndicatorId::TitleQuality, 5.0, false)],
                    _ => &[],
                };
                RecordQuality {
                    points: f64::from(u32::try_from(n % 37).expect("small")) * 10.0,
                    ..record(&format!("r{n}"), fixes)
                }
            })
            .collect();
        for (indicator, shown) in [
            (None, 200),
            (Some(IndicatorId::TitleQuality), 7),
            (Some(IndicatorId::Keywords), 5),
            (None, 0),
            (None, 5_000),
        ] {
            let full = records_to_fix(&records, indicator);
            let mut list = FixList::new(indicator, shown);
            for r in &records {
                list.add(r.clone());
            }
            assert_eq!(list.total(), full.len());
            let page = list.into_records();
            let expected: Vec<&RecordQuality> = full.into_iter().take(shown).collect();
            assert_eq!(
                page.iter().collect::<Vec<_>>(),
                expected,
                "{indicator:?} {shown}"
            );
        }
    }
}
