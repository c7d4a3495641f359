//! Aggregation of record assessments into a catalogue report: score, dimensions,
//! indicator pass rates, score distribution, publishers, records to fix.
//!
//! The catalogue score is the mean of its record scores; a dimension's score is the
//! points earned in it over the points at stake, over all records; an indicator's pass
//! rate is the mean of its values over the records where it was evaluated.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::indicators::{mqa_rating, rating, Dimension, INDICATORS};
use super::record::{round1, Blame, Message, RecordAssessment, RecordOrigin};
use super::summary::{RecordQuality, RunPart};

/// How many records to fix a report keeps (worst first).
pub const RECORDS_TO_FIX_LIMIT: usize = 500;

/// A dimension's catalogue score.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DimensionScore {
    /// Stable id.
    pub id: String,
    /// French label.
    pub label: String,
    /// 0–100 over the points that were measured, `None` when less than half of the
    /// dimension's points could be measured (« non mesuré »: link checks off or not yet
    /// run, no distribution…), so that a dimension never shows 100 on a few points.
    pub score: Option<f64>,
    /// Points of the dimension.
    pub max_points: u32,
    /// Share of the dimension's points (over every record) that were measured, 0–1.
    #[serde(default)]
    pub measured_share: Option<f64>,
}

/// A dimension measured on less than this share of its points has no score.
pub const MIN_MEASURED_SHARE: f64 = 0.5;

/// An indicator's pass rate over the catalogue.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IndicatorRate {
    /// Stable id.
    pub id: String,
    /// Dimension id.
    pub dimension: String,
    /// French label.
    pub label: String,
    /// Points.
    pub points: u32,
    /// Mean value over evaluated records (0–1), `None` when never evaluated.
    pub pass_rate: Option<f64>,
    /// Records where it was evaluated.
    pub evaluated: usize,
}

/// Records whose score falls in `[from, to)` (the last bucket includes 100).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScoreBucket {
    /// Lower bound.
    pub from: u32,
    /// Upper bound.
    pub to: u32,
    /// Number of records.
    pub count: usize,
}

/// A publisher's mean score within the source.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublisherScore {
    /// Name or IRI.
    pub publisher: String,
    /// Mean record score.
    pub score: f64,
    /// Number of records.
    pub records: usize,
}

/// One record the producer should fix.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordToFix {
    /// Public dataset id.
    pub id: String,
    /// Record IRI.
    pub iri: String,
    /// Title.
    pub title: String,
    /// Record score.
    pub score: f64,
    /// French messages, most points first (specifics after a colon).
    pub messages: Vec<String>,
    /// The same messages with their indicator, blame and points.
    pub details: Vec<Message>,
}

/// A record whose IRI another source publishes too: one copy is shown on the dataset's
/// page (the owner of the IRI's site, else the earliest harvested), the others are listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedRecord {
    /// Public dataset id.
    pub id: String,
    /// Record IRI.
    pub iri: String,
    /// The other sources publishing the same IRI.
    pub other_sources: Vec<String>,
    /// The source whose copy the dataset page shows.
    pub shown_from: String,
    /// True when every copy has the same content.
    pub same_content: bool,
}

/// Shared records listed in a report at most (the total is given apart).
pub const SHARED_RECORDS_LIMIT: usize = 200;

/// One point of the trend: the catalogue score after one harvest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrendPoint {
    /// When the score was computed (RFC 3339).
    pub harvested_at: String,
    /// Catalogue score.
    pub score: f64,
    /// Records with at least one fix that counts, after that run (runs stored before
    /// this count existed have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records_to_fix: Option<usize>,
}

/// The quality report of one source.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SourceQualityReport {
    /// Source id.
    pub source: String,
    /// When computed (RFC 3339).
    pub computed_at: String,
    /// `mqa_points` brought to 100 (not rounded).
    pub score: f64,
    /// `excellent`, `bon`, `suffisant`, `insuffisant`: the band of `mqa_points`.
    pub rating: String,
    /// Mean MQA points per record (out of 405), the reference of the score.
    pub mqa_points: f64,
    /// MQA rating of `mqa_points` (the same as `rating`).
    pub mqa_rating: String,
    /// Mean data.gouv.fr 9-criteria score (0–1).
    pub udata_score: f64,
    /// Records assessed.
    pub record_count: usize,
    /// Failures attributed to our mapping rather than to the producer.
    pub mapping_artefacts: usize,
    /// Per dimension.
    pub dimensions: Vec<DimensionScore>,
    /// Per indicator.
    pub indicators: Vec<IndicatorRate>,
    /// Distribution of record scores, 10 buckets.
    pub score_distribution: Vec<ScoreBucket>,
    /// Per publisher.
    pub publishers: Vec<PublisherScore>,
    /// Worst records first (at most [`RECORDS_TO_FIX_LIMIT`]).
    pub records_to_fix: Vec<RecordToFix>,
    /// Records whose IRI another source publishes too (at most [`SHARED_RECORDS_LIMIT`]).
    #[serde(default)]
    pub shared_records: Vec<SharedRecord>,
    /// How many records of the source share their IRI with another source.
    #[serde(default)]
    pub shared_records_total: usize,
    /// Fixes grouped by problem over every record (real totals), most points first.
    #[serde(default)]
    pub fix_groups: super::fixes::FixGroups,
    /// One point per harvest, oldest first (filled when read from the store).
    #[serde(default)]
    pub trend: Vec<TrendPoint>,
}

/// Builds the report of `source` from its record assessments, paired with dataset ids.
pub fn build_report(
    source: &str,
    computed_at: &str,
    records: &[(String, RecordAssessment)],
) -> SourceQualityReport {
    let mut tally = ReportTally::default();
    for (id, r) in records {
        tally.add(id, r);
    }
    tally.finish(source, computed_at)
}

/// What a source's report needs of its records, gathered one record at a time, so that a
/// run never holds every assessment (a run over 1,025,000 records did: 6.5 GB): sums by
/// dimension, indicator, score bucket and publisher, and the worst records to fix.
/// [`build_report`] over the same records in the same order gives the same report.
#[derive(Debug, Default)]
pub(super) struct ReportTally {
    records: usize,
    mqa_points: f64,
    udata: f64,
    mapping_artefacts: usize,
    /// (earned, at stake) per dimension, in [`Dimension::ALL`] order.
    dimensions: [(f64, f64); Dimension::ALL.len()],
    /// (sum of values, records evaluated) per indicator.
    indicators: BTreeMap<&'static str, (f64, usize)>,
    buckets: [usize; 10],
    /// (sum of MQA points, records) per publisher.
    publishers: BTreeMap<String, (f64, usize)>,
    /// Records with something the source can fix, the worst first once sorted; cut back
    /// to [`RECORDS_TO_FIX_LIMIT`] each time it holds twice that many.
    worst: Vec<WorstRecord>,
    /// The last of `worst` after its last cut (score, id): a record that comes after it
    /// can no longer be among the worst, and is not copied.
    cutoff: Option<(f64, String)>,
}

/// One of the worst records to fix, as the report lists it.
#[derive(Debug)]
struct WorstRecord {
    id: String,
    score: f64,
    to_fix: RecordToFix,
}

impl RecordToFix {
    fn of(id: &str, r: &RecordAssessment) -> Self {
        Self {
            id: id.to_owned(),
            iri: r.record_iri.clone(),
            title: r.title.clone(),
            score: r.score,
            messages: r.messages.iter().map(message_line).collect(),
            details: r.messages.clone(),
        }
    }
}

/// The order of the records to fix: lowest score first, then by id.
fn worst_first(a: &WorstRecord, b: &WorstRecord) -> std::cmp::Ordering {
    a.score.total_cmp(&b.score).then(a.id.cmp(&b.id))
}

/// What a report counts of one record, from its assessment or from its stored summary.
struct Counted<'a> {
    id: &'a str,
    mqa_points: f64,
    score: f64,
    udata: f64,
    mapping_artefacts: usize,
    dimensions: &'a [[f64; 2]],
    values: &'a mut dyn Iterator<Item = (&'static str, f64)>,
    publisher: Option<&'a str>,
    to_fix: bool,
}

impl ReportTally {
    /// Counts the assessment `r` of record `id`.
    pub(super) fn add(&mut self, id: &str, r: &RecordAssessment) {
        let dimensions = super::summary::dimension_totals(&r.indicators);
        let mut values = r
            .indicators
            .iter()
            .filter_map(|i| i.value.map(|v| (i.id.as_str(), v)));
        let kept = self.count(Counted {
            id,
            mqa_points: r.mqa_points,
            score: r.score,
            udata: r.udata.score,
            mapping_artefacts: r
                .messages
                .iter()
                .filter(|m| m.blame == Blame::Mapping)
                .count(),
            dimensions: &dimensions,
            values: &mut values,
            publisher: r.publisher.as_deref(),
            to_fix: r.messages.iter().any(|m| m.blame == Blame::Source),
        });
        if kept {
            self.keep_worst(WorstRecord {
                id: id.to_owned(),
                score: r.score,
                to_fix: RecordToFix::of(id, r),
            });
        }
    }

    /// Counts record `summary` of a source whose records reached us as `origin` from
    /// what its last run kept (`part`), as [`Self::add`] would count its assessment.
    /// Returns false, counting nothing, when they do not hold all of it (the record must
    /// then be assessed).
    pub(super) fn add_summary(
        &mut self,
        summary: &RecordQuality,
        part: &RunPart,
        origin: RecordOrigin,
    ) -> bool {
        let Some(values) = part.values() else {
            return false;
        };
        if !part.holds_shortened(summary) || summary.dimensions.len() != Dimension::ALL.len() {
            return false;
        }
        let score = super::score::out_of_100(summary.points);
        let kept = self.count(Counted {
            id: &summary.id,
            mqa_points: summary.points,
            score,
            udata: part.u,
            mapping_artefacts: summary
                .fixes
                .iter()
                .filter(|f| f.blame == Blame::Mapping)
                .count(),
            dimensions: &summary.dimensions,
            values: &mut values.into_iter(),
            publisher: part.p.as_deref(),
            to_fix: summary.fixes.iter().any(|f| f.blame == Blame::Source),
        });
        // The messages are rebuilt only for a record kept among the worst.
        if let Some(details) = kept.then(|| part.messages(summary, origin)).flatten() {
            self.keep_worst(WorstRecord {
                id: summary.id.clone(),
                score,
                to_fix: RecordToFix {
                    id: summary.id.clone(),
                    iri: summary.iri.clone(),
                    title: summary.title.clone(),
                    score,
                    messages: details.iter().map(message_line).collect(),
                    details,
                },
            });
        }
        true
    }

    /// Counts `c`; returns true when the record is to keep among the worst.
    fn count(&mut self, c: Counted<'_>) -> bool {
        self.records += 1;
        self.mqa_points += c.mqa_points;
        self.udata += c.udata;
        self.mapping_artefacts += c.mapping_artefacts;
        for (at, [earned, max]) in c.dimensions.iter().enumerate() {
            if let Some(d) = self.dimensions.get_mut(at) {
                d.0 += earned;
                d.1 += max;
            }
        }
        for (key, v) in c.values {
            let e = self.indicators.entry(key).or_default();
            e.0 += v;
            e.1 += 1;
        }
        self.buckets[((c.score / 10.0).floor() as usize).min(9)] += 1;
        let publisher = c.publisher.unwrap_or("(éditeur non renseigné)");
        match self.publishers.get_mut(publisher) {
            Some(e) => {
                e.0 += c.mqa_points;
                e.1 += 1;
            }
            None => {
                self.publishers
                    .insert(publisher.to_owned(), (c.mqa_points, 1));
            }
        }
        let beyond_cutoff = self.cutoff.as_ref().is_some_and(|(score, last)| {
            c.score.total_cmp(score).then(c.id.cmp(last.as_str())) != std::cmp::Ordering::Less
        });
        !beyond_cutoff && c.to_fix
    }

    fn keep_worst(&mut self, w: WorstRecord) {
        self.worst.push(w);
        if self.worst.len() >= 2 * RECORDS_TO_FIX_LIMIT {
            self.worst.sort_by(worst_first);
            self.worst.truncate(RECORDS_TO_FIX_LIMIT);
            self.cutoff = self.worst.last().map(|w| (w.score, w.id.clone()));
        }
    }

    /// The report of the records counted.
    pub(super) fn finish(mut self, source: &str, computed_at: &str) -> SourceQualityReport {
        let n = self.records;
        let mean = |sum: f64| if n == 0 { 0.0 } else { sum / n as f64 };
        // One score: the mean MQA points, and the value out of 100 derived from them.
        let mqa_points = round1(mean(self.mqa_points));
        let score = super::score::out_of_100(mqa_points);
        let udata = (mean(self.udata) * 1000.0).round() / 1000.0;
        let dimensions = Dimension::ALL
            .iter()
            .zip(self.dimensions)
            .map(|(d, (earned, max))| {
                let possible = f64::from(d.max_points()) * n as f64;
                let share = (possible > 0.0).then(|| (max / possible).min(1.0));
                let measured = share.is_some_and(|s| s >= MIN_MEASURED_SHARE);
                DimensionScore {
                    id: d.id().to_owned(),
                    label: d.label().to_owned(),
                    score: (max > 0.0 && measured).then(|| round1(100.0 * earned / max)),
                    max_points: d.max_points(),
                    measured_share: share.map(|s| (s * 1000.0).round() / 1000.0),
                }
            })
            .collect();
        let indicators = INDICATORS
            .iter()
            .map(|row| {
                let (sum, count) = self.indicators.get(row.key).copied().unwrap_or_default();
                IndicatorRate {
                    id: row.key.to_owned(),
                    dimension: row.dimension.id().to_owned(),
                    label: row.label.to_owned(),
                    points: row.points,
                    pass_rate: (count > 0).then(|| (sum / count as f64 * 1000.0).round() / 1000.0),
                    evaluated: count,
                }
            })
            .collect();
        let score_distribution = self
            .buckets
            .iter()
            .enumerate()
            .map(|(i, &count)| ScoreBucket {
                from: i as u32 * 10,
                to: i as u32 * 10 + 10,
                count,
            })
            .collect();
        let mut publishers: Vec<PublisherScore> = self
            .publishers
            .into_iter()
            .map(|(publisher, (sum, records))| PublisherScore {
                publisher,
                score: super::score::out_of_100(round1(sum / records as f64)),
                records,
            })
            .collect();
        publishers.sort_by(|a, b| {
            b.records
                .cmp(&a.records)
                .then(a.publisher.cmp(&b.publisher))
        });
        self.worst.sort_by(worst_first);
        self.worst.truncate(RECORDS_TO_FIX_LIMIT);
        let records_to_fix = self.worst.into_iter().map(|w| w.to_fix).collect();
        SourceQualityReport {
            source: source.to_owned(),
            computed_at: computed_at.to_owned(),
            score,
            rating: rating(score).to_owned(),
            mqa_points,
            mqa_rating: mqa_rating(mqa_points).to_owned(),
            udata_score: udata,
            record_count: n,
            mapping_artefacts: self.mapping_artefacts,
            dimensions,
            indicators,
            score_distribution,
            publishers,
            records_to_fix,
            shared_records: Vec::new(),
            shared_records_total: 0,
            fix_groups: super::fixes::FixGroups::default(),
            trend: Vec::new(),
        }
    }
}

/// Returns a message as one French line: advice, then the specifics.
pub fn message_line(m: &Message) -> String {
    match &m.detail {
        Some(d) => format!("{} — {d}", m.text),
        None => m.text.clone(),
    }
}
