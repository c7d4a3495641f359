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

use super::indicators::{iso_advice, IndicatorId};
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
    // (indicator, counted, mapping) → (records, points, ISO records)
    let mut groups: BTreeMap<(IndicatorId, bool, bool), (usize, f64, usize)> = BTreeMap::new();
    let mut records_to_fix = 0;
    for r in records {
        let iso = origin_of(&r.source) == RecordOrigin::Iso19139Mapping;
        let mut seen = Vec::new();
        let mut any_counted = false;
        for f in &r.fixes {
            let key = (f.indicator, f.counted, f.blame == Blame::Mapping);
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            any_counted |= f.counted;
            let e = groups.entry(key).or_default();
            e.0 += 1;
            e.1 += if f.counted { f.points } else { 0.0 };
            e.2 += usize::from(iso);
        }
        records_to_fix += usize::from(any_counted);
    }
    let mut out = FixGroups {
        records_to_fix,
        ..FixGroups::default()
    };
    for ((indicator, counted, mapping), (count, points, iso_records)) in groups {
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

/// Returns the records of `records` to fix, worst first: those with a fix that counts
/// in the score, or, given `indicator`, those failing it (counted or not).
pub fn records_to_fix<'a>(
    records: impl IntoIterator<Item = &'a RecordQuality>,
    indicator: Option<IndicatorId>,
) -> Vec<&'a RecordQuality> {
    let mut out: Vec<&RecordQuality> = records
        .into_iter()
        .filter(|r| match indicator {
            Some(i) => r.fixes.iter().any(|f| f.indicator == i),
            None => r.fixes.iter().any(|f| f.counted),
        })
        .collect();
    out.sort_by(|a, b| a.points.total_cmp(&b.points).then(a.id.cmp(&b.id)));
    out
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
}
