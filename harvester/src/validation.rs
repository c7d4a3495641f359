//! The validator's report: the records of a [`crate::preview`] assessed as a quality run
//! assesses a source's records (the same indicators, the same SHACL shapes when given,
//! no link checks), with the one score and the fixes grouped by problem. Nothing is
//! stored.

use moisson_catalog::quality::{
    assess_records, group_fixes, Conformance, FixGroups, NoLinks, RecordOrigin, RecordQuality,
    Score, SourceAssessment,
};
use serde::Serialize;

use crate::preview::Preview;

/// Records detailed in a report at most (the counts cover every record read).
pub const RECORDS_DETAILED: usize = 200;

/// One record of the report.
#[derive(Debug, Clone, Serialize)]
pub struct ValidatedRecord {
    /// Record IRI.
    pub iri: String,
    /// Title, empty when missing.
    pub title: String,
    /// The one score.
    pub score: Score,
    /// False when the record has a DCAT-AP (SHACL) violation.
    pub conforms: bool,
    /// What to fix, most points first (French, in the producer's terms).
    pub fixes: Vec<String>,
}

/// The validator's report.
#[derive(Debug, Clone, Serialize)]
pub struct ValidationReport {
    /// What was read.
    pub document: String,
    /// True when the records are ISO 19139 records mapped by Moisson.
    pub iso19139: bool,
    /// Pages read.
    pub pages: u32,
    /// Records read and assessed.
    pub record_count: usize,
    /// Records the source says it holds, when it says so.
    pub total_hint: Option<u64>,
    /// Why reading stopped before the end (caps, paging), when it did.
    pub truncated: Option<String>,
    /// True when no record has a SHACL violation and nothing was rejected.
    pub conforms: bool,
    /// Mean score of the records (`None` without record).
    pub score: Option<Score>,
    /// Fixes grouped by problem over every record read.
    pub fix_groups: FixGroups,
    /// Located errors.
    pub errors: Vec<String>,
    /// Records that could not be taken: « record: why ».
    pub rejected: Vec<String>,
    /// What was left out of records: « record: why ».
    pub warnings: Vec<String>,
    /// The records, worst first (at most [`RECORDS_DETAILED`]).
    pub records: Vec<ValidatedRecord>,
}

/// Assesses the records of `preview` (read from `document`) without storing anything.
pub fn validate(
    document: &str,
    preview: Preview,
    conformance: Option<&dyn Conformance>,
) -> ValidationReport {
    let origin = if preview.iso19139 {
        RecordOrigin::Iso19139Mapping
    } else {
        RecordOrigin::Dcat
    };
    let how = SourceAssessment {
        now: chrono::Utc::now(),
        origin,
        conformance,
        links: &NoLinks,
    };
    let input: Vec<_> = preview
        .records
        .into_iter()
        .map(|r| (r.iri, r.kind, r.quads))
        .collect();
    let assessed = assess_records(&input, &how);
    let summaries: Vec<RecordQuality> = assessed
        .iter()
        .map(|(id, a)| RecordQuality::from_assessment(id, "validateur", a))
        .collect();
    let fix_groups = group_fixes(&summaries, &|_| origin);
    let mean = (!assessed.is_empty()).then(|| {
        let sum: f64 = assessed.iter().map(|(_, a)| a.mqa_points).sum();
        Score::from_points((sum / assessed.len() as f64 * 10.0).round() / 10.0)
    });
    let mut violations_total = 0;
    let mut records: Vec<ValidatedRecord> = assessed
        .iter()
        .zip(&summaries)
        .map(|((_, a), s)| {
            let conforms = !a
                .messages
                .iter()
                .any(|m| m.indicator == moisson_catalog::quality::IndicatorId::DcatApCompliance);
            violations_total += usize::from(!conforms);
            ValidatedRecord {
                iri: a.record_iri.clone(),
                title: a.title.clone(),
                score: a.quality_score(),
                conforms,
                fixes: s.fixes.iter().map(|f| f.text(origin)).collect(),
            }
        })
        .collect();
    records.sort_by(|a, b| {
        a.score
            .points
            .total_cmp(&b.score.points)
            .then(a.iri.cmp(&b.iri))
    });
    records.truncate(RECORDS_DETAILED);
    ValidationReport {
        document: document.to_owned(),
        iso19139: preview.iso19139,
        pages: preview.pages,
        record_count: assessed.len(),
        total_hint: preview.total_hint,
        truncated: preview.truncated,
        conforms: violations_total == 0 && preview.rejected.is_empty() && !assessed.is_empty(),
        score: mean,
        fix_groups,
        errors: preview.errors,
        rejected: preview
            .rejected
            .into_iter()
            .map(|(r, m)| format!("{r} : {m}"))
            .collect(),
        warnings: preview
            .warnings
            .into_iter()
            .map(|(r, m)| format!("{r} : {m}"))
            .collect(),
        records,
    }
}
