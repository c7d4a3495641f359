//! What a quality run keeps of each record for views over many records (producer pages,
//! fixes grouped by problem, the records-to-fix lists and CSV): its score, its
//! publisher's identity and what it should fix, without the record graph.
//!
//! Invariant: a summary is built from the same [`RecordAssessment`] the run scored, so
//! its points are the record's stored score.

use oxigraph::model::NamedOrBlankNodeRef;
use serde::{Deserialize, Serialize};

use super::graph::RecordGraph;
use super::indicators::{Dimension, IndicatorId};
use super::record::{Blame, Message, RecordAssessment};
use crate::vocab::{dct, foaf, skos};

/// Longest detail kept per message in a summary (characters).
const DETAIL_CHARS: usize = 240;

/// Who published a record, as the record says it: what producer identity is built on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PublisherRef {
    /// The publisher's IRI, when it is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iri: Option<String>,
    /// Its name (`foaf:name`, French preferred).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its identifiers (`dct:identifier`, `skos:notation`), as given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifiers: Vec<String>,
}

impl PublisherRef {
    /// Reads the first `dct:publisher` of `focus` in `graph`.
    pub(crate) fn read(graph: &RecordGraph, focus: NamedOrBlankNodeRef<'_>) -> Option<Self> {
        let node = graph.nodes(focus, dct::PUBLISHER).into_iter().next()?;
        let iri = match node {
            NamedOrBlankNodeRef::NamedNode(n) => Some(n.as_str().to_owned()),
            NamedOrBlankNodeRef::BlankNode(_) => None,
        };
        let mut identifiers: Vec<String> = graph
            .values(node, dct::IDENTIFIER)
            .into_iter()
            .chain(graph.values(node, skos::NOTATION))
            .map(|(v, _)| v.trim().chars().take(200).collect::<String>())
            .filter(|v| !v.is_empty())
            .collect();
        identifiers.sort();
        identifiers.dedup();
        identifiers.truncate(8);
        let name = graph
            .text(node, foaf::NAME)
            .map(|n| n.trim().chars().take(300).collect::<String>())
            .filter(|n| !n.is_empty());
        (iri.is_some() || name.is_some() || !identifiers.is_empty()).then_some(Self {
            iri,
            name,
            identifiers,
        })
    }
}

/// One thing a record should fix, as a summary keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fix {
    /// The failed indicator.
    pub indicator: IndicatorId,
    /// Points the record would gain (0 when not counted).
    pub points: f64,
    /// True when fixing it raises the score ([`Message::counts_in_score`]).
    pub counted: bool,
    /// Who can fix it.
    pub blame: Blame,
    /// Specifics (which distribution, which value), shortened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Fix {
    /// Returns what to do, in French, in the terms of a producer whose records reached
    /// us as `origin` (ISO 19139 elements for ISO producers), then the specifics.
    pub fn text(&self, origin: super::record::RecordOrigin) -> String {
        let row = self.indicator.indicator();
        let advice = match origin {
            super::record::RecordOrigin::Iso19139Mapping => {
                super::indicators::iso_advice(self.indicator).unwrap_or(row.advice)
            }
            super::record::RecordOrigin::Dcat => row.advice,
        };
        match &self.detail {
            Some(d) => format!("{advice} — {d}"),
            None => advice.to_owned(),
        }
    }

    fn from_message(m: &Message) -> Self {
        Self {
            indicator: m.indicator,
            points: m.points,
            counted: m.counts_in_score(),
            blame: m.blame,
            detail: m.detail.as_ref().map(|d| {
                if d.chars().count() > DETAIL_CHARS {
                    let mut s: String = d.chars().take(DETAIL_CHARS).collect();
                    s.push('…');
                    s
                } else {
                    d.clone()
                }
            }),
        }
    }
}

/// What a quality run keeps of one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordQuality {
    /// Public dataset id.
    pub id: String,
    /// Record IRI.
    pub iri: String,
    /// Source id.
    pub source: String,
    /// Title, empty when missing.
    pub title: String,
    /// MQA points out of 405: the record's score.
    pub points: f64,
    /// Points earned and at stake per dimension, in [`Dimension::ALL`] order.
    pub dimensions: Vec<[f64; 2]>,
    /// Its publisher, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<PublisherRef>,
    /// What to fix, most points first.
    pub fixes: Vec<Fix>,
}

impl RecordQuality {
    /// Summarises the assessment of the record `id` of `source`.
    pub fn from_assessment(id: &str, source: &str, a: &RecordAssessment) -> Self {
        let dimensions = Dimension::ALL
            .iter()
            .map(|d| {
                let (mut earned, mut max) = (0.0, 0.0);
                for r in &a.indicators {
                    if r.id.indicator().dimension == *d {
                        earned += r.earned;
                        max += r.max;
                    }
                }
                [earned, max]
            })
            .collect();
        Self {
            id: id.to_owned(),
            iri: a.record_iri.clone(),
            source: source.to_owned(),
            title: a.title.clone(),
            points: a.mqa_points,
            dimensions,
            publisher: a.publisher_ref.clone(),
            fixes: a.messages.iter().map(Fix::from_message).collect(),
        }
    }

    /// Returns the record's score.
    pub fn score(&self) -> super::score::Score {
        super::score::Score::from_points(self.points)
    }

    /// Whether the record is to fix: it fails `indicator` (counted or not), or, without
    /// one, it has a fix that counts in the score. Every list of records to fix (pages,
    /// CSV, API) selects with this.
    pub fn is_to_fix(&self, indicator: Option<IndicatorId>) -> bool {
        match indicator {
            Some(i) => self.fixes.iter().any(|f| f.indicator == i),
            None => self.fixes.iter().any(|f| f.counted),
        }
    }

    /// Returns the title, or « Fiche sans titre ».
    pub fn display_title(&self) -> &str {
        if self.title.trim().is_empty() {
            "Fiche sans titre"
        } else {
            &self.title
        }
    }
}
