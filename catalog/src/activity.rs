//! Activity of a source, as its producers follow it in a feed: harvests that failed or
//! stopped early, score drops larger than a threshold, new records to fix.
//!
//! Invariants: events are derived from stored facts only (job reports, the quality trend);
//! an event's id is stable (the same fact gives the same id at every read), so feed
//! readers never show an event twice.

use serde::Serialize;

use crate::model::{JobReport, JobStatus};
use crate::quality::{rating, TrendPoint};

/// Default score drop (points out of 100) that makes an event.
pub const DEFAULT_SCORE_DROP: f64 = 5.0;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// A harvest failed: nothing changed for readers.
    HarvestFailed,
    /// A harvest stopped early: what it read was kept, nothing withdrawn.
    HarvestPartial,
    /// The score dropped by more than the threshold between two runs.
    ScoreDropped,
    /// More records to fix than after the previous run.
    NewRecordsToFix,
}

/// One event of a source's activity.
#[derive(Debug, Clone, Serialize)]
pub struct Activity {
    /// Stable id (`urn:moisson:activity:{source}:{kind}:{time}`).
    pub id: String,
    /// When it happened (RFC 3339).
    pub at: String,
    /// The source.
    pub source: String,
    /// What happened.
    pub kind: ActivityKind,
    /// French title.
    pub title: String,
    /// French explanation.
    pub summary: String,
}

/// Returns the events of `source` from its jobs (any order) and its quality trend
/// (oldest first), newest first; `score_drop` is the drop, in points out of 100, that
/// makes an event.
pub fn source_activity(
    source: &str,
    source_name: &str,
    jobs: &[JobReport],
    trend: &[TrendPoint],
    score_drop: f64,
) -> Vec<Activity> {
    let mut out = Vec::new();
    for j in jobs {
        let (kind, title, what) = match j.status {
            JobStatus::Failed => (
                ActivityKind::HarvestFailed,
                format!("Moisson échouée : {source_name}"),
                "La moisson a échoué : rien n'a changé pour les lecteurs, les fiches de la moisson précédente restent en ligne.",
            ),
            JobStatus::Partial => (
                ActivityKind::HarvestPartial,
                format!("Moisson incomplète : {source_name}"),
                "La moisson s'est arrêtée avant la fin : ce qui a été lu est gardé, aucune fiche n'a été retirée.",
            ),
            JobStatus::Ok | JobStatus::Running => continue,
        };
        let at = j.finished.clone().unwrap_or_else(|| j.started.clone());
        let mut summary = what.to_owned();
        if let Some(reason) = &j.reason {
            summary.push_str(&format!(" Motif : {reason}."));
        }
        if let Some(e) = j.errors.first() {
            summary.push_str(&format!(
                " Première erreur : {} — {}.",
                e.location, e.message
            ));
        }
        out.push(Activity {
            id: format!("urn:moisson:activity:{source}:{}:{}", kind_id(kind), j.id),
            at,
            source: source.to_owned(),
            kind,
            title,
            summary,
        });
    }
    for pair in trend.windows(2) {
        let (before, after) = (&pair[0], &pair[1]);
        let drop = before.score - after.score;
        if drop > score_drop {
            out.push(Activity {
                id: format!(
                    "urn:moisson:activity:{source}:{}:{}",
                    kind_id(ActivityKind::ScoreDropped),
                    after.harvested_at
                ),
                at: after.harvested_at.clone(),
                source: source.to_owned(),
                kind: ActivityKind::ScoreDropped,
                title: format!(
                    "Score en baisse de {} points : {source_name}",
                    one_decimal(drop)
                ),
                summary: format!(
                    "Le score de qualité est passé de {} à {} sur 100 (niveau {} → {}).",
                    one_decimal(before.score),
                    one_decimal(after.score),
                    rating(before.score),
                    rating(after.score)
                ),
            });
        }
        if let (Some(b), Some(a)) = (before.records_to_fix, after.records_to_fix) {
            if a > b {
                out.push(Activity {
                    id: format!(
                        "urn:moisson:activity:{source}:{}:{}",
                        kind_id(ActivityKind::NewRecordsToFix),
                        after.harvested_at
                    ),
                    at: after.harvested_at.clone(),
                    source: source.to_owned(),
                    kind: ActivityKind::NewRecordsToFix,
                    title: format!("{} nouvelles fiches à corriger : {source_name}", a - b),
                    summary: format!(
                        "{a} fiches ont maintenant au moins un point à corriger (contre {b} à l'évaluation précédente)."
                    ),
                });
            }
        }
    }
    out.sort_by(|a, b| b.at.cmp(&a.at).then(a.id.cmp(&b.id)));
    out
}

fn kind_id(kind: ActivityKind) -> &'static str {
    match kind {
        ActivityKind::HarvestFailed => "harvest-failed",
        ActivityKind::HarvestPartial => "harvest-partial",
        ActivityKind::ScoreDropped => "score-dropped",
        ActivityKind::NewRecordsToFix => "new-records-to-fix",
    }
}

fn one_decimal(x: f64) -> String {
    format!("{:.1}", (x * 10.0).round() / 10.0).replace('.', ",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(at: &str, score: f64, fix: Option<usize>) -> TrendPoint {
        TrendPoint {
            harvested_at: at.into(),
            score,
            records_to_fix: fix,
        }
    }

    #[test]
    fn drops_failures_and_new_fixes_become_events() {
        let mut failed = JobReport::start(&crate::SourceId::new("ddt-29").expect("id"));
        failed.finish(JobStatus::Failed, Some("HTTP 500".into()));
        let trend = [
            point("2026-01-01T00:00:00Z", 80.0, Some(10)),
            point("2026-01-02T00:00:00Z", 78.0, Some(10)),
            point("2026-01-03T00:00:00Z", 60.0, Some(25)),
        ];
        let events = source_activity("ddt-29", "DDT 29", &[failed], &trend, 5.0);
        let kinds: Vec<ActivityKind> = events.iter().map(|e| e.kind).collect();
        assert!(kinds.contains(&ActivityKind::HarvestFailed));
        assert_eq!(
            kinds
                .iter()
                .filter(|k| **k == ActivityKind::ScoreDropped)
                .count(),
            1,
            "a 2-point drop is not an event"
        );
        let fixes = events
            .iter()
            .find(|e| e.kind == ActivityKind::NewRecordsToFix)
            .expect("new fixes");
        assert!(fixes.title.starts_with("15 nouvelles fiches"));
        let drop = events
            .iter()
            .find(|e| e.kind == ActivityKind::ScoreDropped)
            .expect("drop");
        assert!(drop.title.contains("18,0 points"), "{}", drop.title);
    }
}
