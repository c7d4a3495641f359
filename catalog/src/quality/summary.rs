//! What a quality run keeps of each record for views over many records (producer pages,
//! fixes grouped by problem, the records-to-fix lists and CSV): its score, its
//! publisher's identity and what it should fix, without the record graph.
//!
//! Invariant: a summary is built from the same [`RecordAssessment`] the run scored, so
//! its points are the record's stored score.

use oxigraph::model::NamedOrBlankNodeRef;
use serde::{Deserialize, Serialize};

use super::graph::RecordGraph;
use super::indicators::INDICATORS;
use super::indicators::{Dimension, IndicatorId};
use super::record::{Blame, IndicatorResult, Message, RecordAssessment};
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

    /// Whether the summary shortened the specifics (or might have: a detail of the
    /// shortened length ending with an ellipsis).
    fn shortened(&self) -> bool {
        self.detail
            .as_ref()
            .is_some_and(|d| d.ends_with('…') && d.chars().count() > DETAIL_CHARS)
    }

    fn from_message(m: &Message) -> Self {
        Self {
            indicator: m.indicator,
            points: m.points,
            counted: m.counts_in_score(),
            blame: m.blame,
            detail: m.detail.as_ref().map(|d| {
                if longer_than_kept(d) {
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

/// Points earned and at stake per dimension, in [`Dimension::ALL`] order, summed over
/// `indicators` in their order: a summary keeps these, and a run's report adds them up
/// record by record, so a report counted from summaries equals one counted from the
/// assessments.
pub(crate) fn dimension_totals(indicators: &[IndicatorResult]) -> [[f64; 2]; Dimension::ALL.len()] {
    let mut totals = [[0.0; 2]; Dimension::ALL.len()];
    for (at, d) in Dimension::ALL.iter().enumerate() {
        for r in indicators {
            if r.id.indicator().dimension == *d {
                totals[at][0] += r.earned;
                totals[at][1] += r.max;
            }
        }
    }
    totals
}

/// Whether a summary shortens `detail`.
fn longer_than_kept(detail: &str) -> bool {
    detail.chars().count() > DETAIL_CHARS
}

/// What a quality run counts of a record's assessment beyond its summary, with the print
/// of everything the assessment was made from. Stored after the summary on its line: the
/// next run counts a record whose print is unchanged from these, without reading it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RunPart {
    /// Print of the assessment's inputs (see `quality::source::InputPrint`).
    pub(crate) fp: u64,
    /// data.gouv.fr's score of the record.
    pub(crate) u: f64,
    /// The publisher's name (or IRI) the report groups records by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) p: Option<String>,
    /// Measured indicator values: (row in [`INDICATORS`], value).
    pub(crate) v: Vec<(u8, f64)>,
    /// The specifics the summary shortened: (message's rank, whole text).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) d: Vec<(u16, String)>,
    /// The links the assessment looked up, with what it was told: 0 unknown, 1 working,
    /// 2 broken.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) l: Vec<(String, u8)>,
    /// The links epoch when it was made ([`super::record::LinkLookup::epoch`]): while it
    /// is unchanged, no link needs looking up again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) e: Option<u64>,
}

/// A link's health as a [`RunPart`] keeps it.
pub(crate) fn health_code(health: Option<super::record::LinkHealth>) -> u8 {
    match health {
        None => 0,
        Some(super::record::LinkHealth::Ok) => 1,
        Some(super::record::LinkHealth::Broken) => 2,
    }
}

impl RunPart {
    /// The part of the assessment `a` made from inputs of print `fp`, having looked up
    /// `links` at links epoch `epoch`.
    pub(crate) fn of(
        a: &RecordAssessment,
        fp: u64,
        links: Vec<(String, u8)>,
        epoch: Option<u64>,
    ) -> Self {
        Self {
            fp,
            l: links,
            e: epoch,
            u: a.udata.score,
            p: a.publisher.clone(),
            v: a.indicators
                .iter()
                .filter_map(|i| {
                    let value = i.value?;
                    let row = INDICATORS.iter().position(|r| r.id == i.id)?;
                    Some((u8::try_from(row).ok()?, value))
                })
                .collect(),
            d: a.messages
                .iter()
                .enumerate()
                .filter_map(|(rank, m)| {
                    let detail = m.detail.as_ref().filter(|d| longer_than_kept(d))?;
                    Some((u16::try_from(rank).ok()?, detail.clone()))
                })
                .collect(),
        }
    }

    /// Whether the whole text of every specific `summary` shortened is here.
    pub(crate) fn holds_shortened(&self, summary: &RecordQuality) -> bool {
        summary
            .fixes
            .iter()
            .enumerate()
            .all(|(rank, f)| !f.shortened() || self.d.iter().any(|(r, _)| usize::from(*r) == rank))
    }

    /// The messages of the assessment `summary` was made from, for a record that reached
    /// us as `origin`; `None` when a shortened specific is not here.
    pub(crate) fn messages(
        &self,
        summary: &RecordQuality,
        origin: super::record::RecordOrigin,
    ) -> Option<Vec<Message>> {
        summary
            .fixes
            .iter()
            .enumerate()
            .map(|(rank, f)| {
                let whole = self
                    .d
                    .iter()
                    .find(|(r, _)| usize::from(*r) == rank)
                    .map(|(_, d)| d.clone());
                let detail = match whole {
                    Some(d) => Some(d),
                    None if f.shortened() => return None,
                    None => f.detail.clone(),
                };
                Some(Message {
                    indicator: f.indicator,
                    text: super::record::message_text(f.indicator, f.blame, origin),
                    detail,
                    blame: f.blame,
                    points: f.points,
                })
            })
            .collect()
    }

    /// Whether every link the assessment looked up has the same health in `links` now
    /// (at links epoch `epoch`).
    pub(crate) fn links_unchanged(
        &self,
        links: &dyn super::record::LinkLookup,
        epoch: Option<u64>,
    ) -> bool {
        (self.e.is_some() && self.e == epoch)
            || self
                .l
                .iter()
                .all(|(url, code)| health_code(links.health(url)) == *code)
    }

    /// The measured values as (indicator key, value); `None` when a row is unknown (a
    /// part written by another program: the record is then assessed again).
    pub(crate) fn values(&self) -> Option<Vec<(&'static str, f64)>> {
        self.v
            .iter()
            .map(|(row, value)| INDICATORS.get(usize::from(*row)).map(|r| (r.key, *value)))
            .collect()
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
        let dimensions = dimension_totals(&a.indicators).to_vec();
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
