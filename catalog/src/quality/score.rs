//! The one quality score of a record, a source or a producer.
//!
//! The reference is the data.europa.eu MQA method: points out of 405 and their band
//! (`excellent` ≥ 351, `bon` ≥ 221, `suffisant` ≥ 121, else `insuffisant`). The score
//! out of 100 shown on badges is derived from those points (`points / 4.05`, not
//! rounded, so that its band is the band of the points), and every view names the
//! same band word.
//!
//! Invariants:
//! - A score is computed once, by the quality run of its source, and stored; pages,
//!   dashboards, producer pages and the API read that stored value.
//! - Points are earned on what could be measured: an indicator not evaluated (link
//!   checks not run) or excused (a loss of our ISO 19139 mapping) is left out of both
//!   the points earned and the points at stake, and the result is brought back to 405.
//! - Moisson's own dimensions (freshness, clarity) are advice: they do not count in the
//!   score.

use serde::Serialize;

use super::indicators::mqa_total_points;

/// The MQA thresholds, highest first, with their band.
const BANDS: [(f64, Band); 3] = [
    (351.0, Band::Excellent),
    (221.0, Band::Good),
    (121.0, Band::Sufficient),
];

/// A quality band of the MQA method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// Below 121 points.
    Insufficient,
    /// 121 points or more.
    Sufficient,
    /// 221 points or more.
    Good,
    /// 351 points or more.
    Excellent,
}

impl Band {
    /// Returns the band of `points` out of 405.
    pub fn of_points(points: f64) -> Self {
        BANDS
            .iter()
            .find(|(t, _)| points >= *t)
            .map_or(Band::Insufficient, |(_, b)| *b)
    }

    /// Returns the band of a score out of 100 derived by [`out_of_100`]: the same band
    /// as the points it was derived from (division is monotonic, and the thresholds are
    /// divided the same way).
    pub fn of_score(score: f64) -> Self {
        let total = f64::from(mqa_total_points());
        BANDS
            .iter()
            .find(|(t, _)| score >= *t * 100.0 / total)
            .map_or(Band::Insufficient, |(_, b)| *b)
    }

    /// Returns the French word of the band (the MQA's own).
    pub fn word(self) -> &'static str {
        match self {
            Band::Excellent => "excellent",
            Band::Good => "bon",
            Band::Sufficient => "suffisant",
            Band::Insufficient => "insuffisant",
        }
    }

    /// Returns the stable id of the band, for CSS classes and JSON.
    pub fn id(self) -> &'static str {
        match self {
            Band::Excellent => "excellent",
            Band::Good => "good",
            Band::Sufficient => "sufficient",
            Band::Insufficient => "insufficient",
        }
    }
}

/// Returns the score out of 100 derived from `points` out of 405 (not rounded).
pub fn out_of_100(points: f64) -> f64 {
    points * 100.0 / f64::from(mqa_total_points())
}

/// The score of a record, a source or a producer, as every view shows it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Score {
    /// MQA points out of 405 (one decimal), earned on what was measured.
    pub points: f64,
    /// Always 405.
    pub max_points: u32,
    /// `points` brought to 100 (not rounded: display rounds it).
    pub score: f64,
    /// The band of `points`.
    pub band: Band,
    /// Its French word.
    pub band_label: &'static str,
}

impl Score {
    /// Returns the score of `points` out of 405.
    pub fn from_points(points: f64) -> Self {
        let band = Band::of_points(points);
        Self {
            points,
            max_points: mqa_total_points(),
            score: out_of_100(points),
            band,
            band_label: band.word(),
        }
    }

    /// Returns the score whose value out of 100 is `score` (derived by [`out_of_100`]).
    pub fn from_score(score: f64) -> Self {
        let points = (score * f64::from(mqa_total_points()) / 100.0 * 10.0).round() / 10.0;
        let band = Band::of_score(score);
        Self {
            points,
            max_points: mqa_total_points(),
            score,
            band,
            band_label: band.word(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_score_out_of_100_has_the_band_of_its_points() {
        let mut p = 0.0;
        while p <= 405.0 {
            let points = (p * 10.0_f64).round() / 10.0;
            let s = Score::from_points(points);
            assert_eq!(Band::of_score(s.score), s.band, "{points}");
            assert_eq!(Score::from_score(s.score).band, s.band, "{points}");
            assert_eq!(Score::from_score(s.score).points, points, "{points}");
            p += 0.1;
        }
        assert_eq!(Band::of_points(351.0), Band::Excellent);
        assert_eq!(Band::of_points(350.9), Band::Good);
        assert_eq!(Band::of_points(120.9), Band::Insufficient);
        assert_eq!(Band::of_points(121.0), Band::Sufficient);
    }
}
