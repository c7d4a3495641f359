//! Assessment of one record: every indicator computed from the record's graph, the
//! record's score, and the French messages that tell the producer what to fix.
//!
//! Scoring: an indicator's value is 0–1 (a share of distributions for distribution
//! indicators); it earns `value × points`. The record score is earned points over the
//! points of the indicators that apply, × 100. An indicator does not apply when it
//! cannot be evaluated (no link-check result yet, no distribution for a service, no
//! declared period) or when its failure is an artefact of our own mapping
//! ([`Blame::Mapping`]): those are reported but never scored against the producer.

use chrono::NaiveDate;
use oxigraph::model::{NamedNodeRef, NamedOrBlankNodeRef, TermRef};
use serde::{Deserialize, Serialize};

use super::graph::{parse_date, plain_text, DateValue, RecordGraph};
use super::indicators::{Dimension, IndicatorId, INDICATORS};
use super::udata::{udata_score, UdataScore};
use super::vocabularies::{self as vocab, check_email, EmailProblem, FormatValue, Frequency};
use crate::model::RecordKind;
use crate::vocab::{dcat, dct, foaf, vcard};

const SCHEMA_START_DATE: &str = "http://schema.org/startDate";
const SCHEMA_END_DATE: &str = "http://schema.org/endDate";

/// How a record reached Moisson: as DCAT from its producer, or through our own mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordOrigin {
    /// The producer published DCAT (any RDF serialization).
    #[default]
    Dcat,
    /// Moisson mapped an ISO 19139 record (CSW) to DCAT-AP.
    Iso19139Mapping,
}

/// Who must act on a failed indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Blame {
    /// The source record lacks or misstates the information: the producer can fix it.
    Source,
    /// Our mapping may have lost the information: not scored against the producer.
    Mapping,
}

/// The state of a link as the link checker last saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkHealth {
    /// Answered 2xx or 3xx.
    Ok,
    /// Answered 4xx/5xx, or could not be reached.
    Broken,
}

/// Looks link-check results up; `None` when the URL was not checked.
pub trait LinkLookup {
    /// Returns the last known health of `url`.
    fn health(&self, url: &str) -> Option<LinkHealth>;

    /// Returns a number that changes whenever the answer of [`Self::health`] changes for
    /// any URL, or `None` when the lookup cannot tell (assessments made with it are then
    /// never reused).
    fn epoch(&self) -> Option<u64> {
        None
    }
}

/// A lookup that knows no link: accessibility checks are then not evaluated.
pub struct NoLinks;

impl LinkLookup for NoLinks {
    fn health(&self, _url: &str) -> Option<LinkHealth> {
        None
    }

    fn epoch(&self) -> Option<u64> {
        Some(0)
    }
}

impl LinkLookup for std::collections::HashMap<String, LinkHealth> {
    fn health(&self, url: &str) -> Option<LinkHealth> {
        self.get(url).copied()
    }
}

/// One SHACL result kept for a record (what the producer must correct).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConformityIssue {
    /// Focus node (IRI or blank node label).
    pub focus: String,
    /// Result path, as an IRI or a SPARQL-like path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Constraint component, e.g. `sh:MinCountConstraintComponent`.
    pub constraint: String,
    /// Message (from the shape, French when our shapes give one).
    pub message: String,
    /// `violation`, `warning` or `info`.
    pub severity: String,
}

/// Everything an assessment needs besides the record graph.
pub struct AssessContext<'a> {
    /// The day freshness is measured against.
    pub today: NaiveDate,
    /// How the record reached us.
    pub origin: RecordOrigin,
    /// SHACL results of the record, `None` when not validated.
    pub conformity: Option<&'a [ConformityIssue]>,
    /// Link-check results.
    pub links: &'a dyn LinkLookup,
    /// Other sources holding the same dataset (same IRI or identifier).
    pub duplicate_sources: &'a [String],
}

/// The value of one indicator for one record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IndicatorResult {
    /// Which indicator.
    pub id: IndicatorId,
    /// 0–1, `None` when not applicable or not evaluated.
    pub value: Option<f64>,
    /// Points earned.
    pub earned: f64,
    /// Points at stake (0 when not applicable or excused).
    pub max: f64,
}

/// One thing to fix, in French.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    /// The failed indicator.
    pub indicator: IndicatorId,
    /// What to do and why (French).
    pub text: String,
    /// Specifics: which distribution, which value (French).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Who can fix it.
    pub blame: Blame,
    /// Points the record would gain.
    pub points: f64,
}

/// The assessment of one record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordAssessment {
    /// The record's IRI.
    pub record_iri: String,
    /// Its title (French preferred), empty when missing.
    pub title: String,
    /// Its publisher's name (or IRI), when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    /// Its publisher's IRI, name and identifiers, when given (producer identity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher_ref: Option<super::summary::PublisherRef>,
    /// `mqa_points` brought to 100 ([`super::score::out_of_100`], not rounded).
    pub score: f64,
    /// MQA points out of 405, earned on the MQA indicators that were measured and
    /// counted (not evaluated or excused ones are left out), brought back to 405.
    pub mqa_points: f64,
    /// Per-indicator values.
    pub indicators: Vec<IndicatorResult>,
    /// What to fix, most points first.
    pub messages: Vec<Message>,
    /// data.gouv.fr's 9-criteria score of the same record.
    pub udata: UdataScore,
}

impl Message {
    /// Returns true when fixing it raises the score: the producer's own fault on an MQA
    /// indicator. Mapping artefacts and Moisson's own indicators (freshness, clarity)
    /// are advice shown apart.
    pub fn counts_in_score(&self) -> bool {
        self.blame == Blame::Source && self.indicator.indicator().dimension.is_mqa()
    }
}

impl RecordAssessment {
    /// Returns the record's score (MQA points, band, value out of 100).
    pub fn quality_score(&self) -> super::score::Score {
        super::score::Score::from_points(self.mqa_points)
    }

    /// Returns the record's score in `dimension` (0–100), `None` when nothing applies.
    pub fn dimension_score(&self, dimension: Dimension) -> Option<f64> {
        let (mut earned, mut max) = (0.0, 0.0);
        for r in &self.indicators {
            if r.id.indicator().dimension == dimension {
                earned += r.earned;
                max += r.max;
            }
        }
        (max > 0.0).then(|| 100.0 * earned / max)
    }
}

/// What the distribution indicators need to know of one distribution.
pub(crate) struct DistributionFacts {
    pub(crate) access_urls: Vec<String>,
    pub(crate) download_urls: Vec<String>,
    pub(crate) formats: Vec<FormatValue>,
    pub(crate) media_types: Vec<FormatValue>,
    pub(crate) licences: Vec<(String, bool)>,
    pub(crate) has_rights: bool,
    pub(crate) has_byte_size: bool,
    pub(crate) has_description: bool,
    pub(crate) is_service: bool,
}

impl DistributionFacts {
    fn read(graph: &RecordGraph, node: NamedOrBlankNodeRef<'_>) -> Self {
        let iris =
            |p| -> Vec<String> { graph.values(node, p).into_iter().map(|(v, _)| v).collect() };
        let access_urls = iris(dcat::ACCESS_URL);
        let download_urls = iris(dcat::DOWNLOAD_URL);
        let formats: Vec<FormatValue> = graph
            .values(node, dct::FORMAT)
            .iter()
            .map(|(v, iri)| FormatValue::classify(v, *iri))
            .collect();
        let media_types: Vec<FormatValue> = graph
            .values(node, dcat::MEDIA_TYPE)
            .iter()
            .map(|(v, iri)| FormatValue::classify(v, *iri))
            .collect();
        let service_format = formats
            .iter()
            .filter_map(FormatValue::facts)
            .any(|f| f.code.ends_with("_SRVC"));
        let service_url = access_urls.iter().any(|u| {
            let u = u.to_ascii_lowercase();
            u.contains("service=w") || u.contains("getcapabilities")
        });
        Self {
            is_service: service_format || (service_url && download_urls.is_empty()),
            licences: graph.values(node, dct::LICENSE),
            has_rights: graph.has(node, dct::RIGHTS),
            has_byte_size: graph.has(node, dcat::BYTE_SIZE),
            has_description: graph.has(node, dct::DESCRIPTION),
            access_urls,
            download_urls,
            formats,
            media_types,
        }
    }

    fn recognised_formats(&self) -> impl Iterator<Item = vocab::FormatFacts> + '_ {
        self.media_types
            .iter()
            .chain(&self.formats)
            .filter_map(FormatValue::facts)
    }

    pub(crate) fn non_proprietary(&self) -> bool {
        self.recognised_formats().any(|f| f.non_proprietary)
    }
}

/// What the dataset indicators read, gathered once.
pub(crate) struct DatasetFacts {
    pub(crate) title: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) has_licence: bool,
    pub(crate) licences: Vec<(String, bool)>,
    pub(crate) has_spatial: bool,
    pub(crate) has_temporal: bool,
    pub(crate) frequency: Option<Result<Frequency, String>>,
    pub(crate) modified: Option<DateValue>,
    pub(crate) distributions: Vec<DistributionFacts>,
}

/// Assesses the record `record_iri` of kind `kind` held in `quads`.
pub fn assess_record(
    record_iri: &str,
    kind: RecordKind,
    graph: &RecordGraph,
    context: &AssessContext<'_>,
) -> RecordAssessment {
    let focus = NamedOrBlankNodeRef::NamedNode(NamedNodeRef::new_unchecked(record_iri));
    let mut b = Builder::new(context.origin);
    let facts = read_dataset(graph, focus);

    findability(&mut b, graph, focus);
    distributions(&mut b, &facts, kind, context);
    conformity(&mut b, graph, context.conformity);
    reusability(&mut b, graph, focus, &facts);
    contextuality(&mut b, graph, focus);
    freshness(&mut b, graph, focus, &facts, context);
    clarity(&mut b, graph, focus, &facts, context.duplicate_sources);

    let udata = udata_score(&facts, context.today, context.links);
    let mut assessment = b.finish(record_iri, facts.title.unwrap_or_default(), udata);
    assessment.publisher = publisher_name(graph, focus);
    assessment.publisher_ref = super::summary::PublisherRef::read(graph, focus);
    assessment
}

fn publisher_name(g: &RecordGraph, focus: NamedOrBlankNodeRef<'_>) -> Option<String> {
    let node = g.nodes(focus, dct::PUBLISHER).into_iter().next()?;
    g.text(node, foaf::NAME).or_else(|| match node {
        NamedOrBlankNodeRef::NamedNode(n) => Some(n.as_str().to_owned()),
        NamedOrBlankNodeRef::BlankNode(_) => None,
    })
}

fn read_dataset(graph: &RecordGraph, focus: NamedOrBlankNodeRef<'_>) -> DatasetFacts {
    let distributions: Vec<DistributionFacts> = graph
        .nodes(focus, dcat::DISTRIBUTION_PROP)
        .into_iter()
        .map(|d| DistributionFacts::read(graph, d))
        .collect();
    let frequency = graph
        .values(focus, dct::ACCRUAL_PERIODICITY)
        .into_iter()
        .next()
        .map(|(v, _)| vocab::frequency(&v).ok_or(v));
    let modified = graph
        .values(focus, dct::MODIFIED)
        .first()
        .map(|(v, _)| parse_date(v))
        .or_else(|| {
            graph
                .objects(focus, dct::MODIFIED)
                .next()
                .map(|_| DateValue::Invalid)
        });
    let licences = graph.values(focus, dct::LICENSE);
    DatasetFacts {
        title: graph.text(focus, dct::TITLE),
        description: graph.text(focus, dct::DESCRIPTION),
        has_licence: !licences.is_empty() || distributions.iter().any(|d| !d.licences.is_empty()),
        licences,
        has_spatial: graph.has(focus, dct::SPATIAL),
        has_temporal: graph.has(focus, dct::TEMPORAL),
        frequency,
        modified,
        distributions,
    }
}

/// The advice of a message on indicator `id` blamed on `blame`, for a record that reached
/// us as `origin` (French).
pub(crate) fn message_text(id: IndicatorId, blame: Blame, origin: RecordOrigin) -> String {
    let row = id.indicator();
    match blame {
        Blame::Source if origin == RecordOrigin::Iso19139Mapping => {
            super::indicators::iso_advice(id)
                .unwrap_or(row.advice)
                .to_owned()
        }
        Blame::Source => row.advice.to_owned(),
        Blame::Mapping => format!(
            "{} (Peut-être une perte de notre conversion ISO 19139 → DCAT-AP : non compté dans votre note.)",
            row.advice
        ),
    }
}

struct Builder {
    origin: RecordOrigin,
    results: Vec<IndicatorResult>,
    messages: Vec<Message>,
}

impl Builder {
    fn new(origin: RecordOrigin) -> Self {
        Self {
            origin,
            results: Vec::with_capacity(INDICATORS.len()),
            messages: Vec::new(),
        }
    }

    /// Records `value` (None = not applicable) with an optional detail for the message.
    fn set(&mut self, id: IndicatorId, value: Option<f64>, detail: Option<String>) {
        let row = id.indicator();
        let points = f64::from(row.points);
        let Some(value) = value.map(|v| v.clamp(0.0, 1.0)) else {
            self.results.push(IndicatorResult {
                id,
                value: None,
                earned: 0.0,
                max: 0.0,
            });
            return;
        };
        let excused =
            row.mapping_sensitive && self.origin == RecordOrigin::Iso19139Mapping && value < 1.0;
        let blame = if excused {
            Blame::Mapping
        } else {
            Blame::Source
        };
        if value < 1.0 {
            self.messages.push(Message {
                indicator: id,
                text: message_text(id, blame, self.origin),
                detail,
                blame,
                points: if excused { 0.0 } else { points * (1.0 - value) },
            });
        }
        let max = if excused { 0.0 } else { points };
        self.results.push(IndicatorResult {
            id,
            value: Some(value),
            earned: value * max,
            max,
        });
    }

    fn flag(&mut self, id: IndicatorId, pass: bool) {
        self.set(id, Some(if pass { 1.0 } else { 0.0 }), None);
    }

    fn finish(mut self, record_iri: &str, title: String, udata: UdataScore) -> RecordAssessment {
        // The score is MQA points earned on what was measured and counted, brought back
        // to 405 (see `score.rs`); Moisson's own dimensions are advice, not scored.
        let (mut earned, mut max) = (0.0, 0.0);
        for r in &self.results {
            if r.id.indicator().dimension.is_mqa() {
                earned += r.earned;
                max += r.max;
            }
        }
        let total = f64::from(super::indicators::mqa_total_points());
        let points = if max > 0.0 {
            round1(total * earned / max)
        } else {
            0.0
        };
        self.messages.sort_by(|a, b| {
            b.points
                .total_cmp(&a.points)
                .then(a.indicator.cmp(&b.indicator))
        });
        self.results.sort_by_key(|r| r.id);
        RecordAssessment {
            record_iri: record_iri.to_owned(),
            title,
            publisher: None,
            publisher_ref: None,
            score: super::score::out_of_100(points),
            mqa_points: points,
            indicators: self.results,
            messages: self.messages,
            udata,
        }
    }
}

pub(crate) fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn findability(b: &mut Builder, g: &RecordGraph, focus: NamedOrBlankNodeRef<'_>) {
    b.flag(IndicatorId::Keywords, g.has(focus, dcat::KEYWORD));
    b.flag(IndicatorId::Themes, g.has(focus, dcat::THEME));
    b.flag(IndicatorId::Spatial, g.has(focus, dct::SPATIAL));
    b.flag(IndicatorId::Temporal, g.has(focus, dct::TEMPORAL));
}

/// Share of `items` passing `test`, with a detail naming how many fail; `None` when empty.
fn share<T>(items: &[&T], test: impl Fn(&T) -> bool, what: &str) -> (Option<f64>, Option<String>) {
    if items.is_empty() {
        return (None, None);
    }
    let passing = items.iter().filter(|i| test(i)).count();
    let failing = items.len() - passing;
    let detail =
        (failing > 0).then(|| format!("{failing} distribution(s) sur {} {what}", items.len()));
    (Some(passing as f64 / items.len() as f64), detail)
}

fn link_share(urls: &[&str], links: &dyn LinkLookup) -> (Option<f64>, Option<String>) {
    let known: Vec<(&str, LinkHealth)> = urls
        .iter()
        .filter_map(|u| links.health(u).map(|h| (*u, h)))
        .collect();
    if known.is_empty() {
        return (None, None);
    }
    let broken: Vec<&str> = known
        .iter()
        .filter(|(_, h)| *h == LinkHealth::Broken)
        .map(|(u, _)| *u)
        .collect();
    let detail = (!broken.is_empty()).then(|| {
        let mut list = broken
            .iter()
            .take(3)
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        if broken.len() > 3 {
            list.push_str(", …");
        }
        format!("lien(s) en erreur : {list}")
    });
    (Some(1.0 - broken.len() as f64 / known.len() as f64), detail)
}

fn distributions(
    b: &mut Builder,
    facts: &DatasetFacts,
    kind: RecordKind,
    context: &AssessContext<'_>,
) {
    let all: Vec<&DistributionFacts> = facts.distributions.iter().collect();
    let ids = [
        IndicatorId::AccessUrlStatus,
        IndicatorId::DownloadUrl,
        IndicatorId::DownloadUrlStatus,
        IndicatorId::Format,
        IndicatorId::MediaType,
        IndicatorId::FormatVocabulary,
        IndicatorId::NonProprietary,
        IndicatorId::MachineReadable,
        IndicatorId::Rights,
        IndicatorId::ByteSize,
    ];
    if all.is_empty() {
        // A dataset without distribution fails them all; services and series have none.
        let value = (kind == RecordKind::Dataset).then_some(0.0);
        for id in ids {
            let detail =
                value.map(|_| "aucune distribution (dcat:distribution) n'est décrite".to_owned());
            if id != IndicatorId::AccessUrlStatus && id != IndicatorId::DownloadUrlStatus {
                b.set(id, value, detail);
            } else {
                b.set(id, None, None);
            }
        }
        return;
    }
    let files: Vec<&DistributionFacts> = all.iter().copied().filter(|d| !d.is_service).collect();
    let access: Vec<&str> = all
        .iter()
        .flat_map(|d| d.access_urls.iter().map(String::as_str))
        .collect();
    let (v, d) = link_share(&access, context.links);
    b.set(IndicatorId::AccessUrlStatus, v, d);
    let (v, d) = share(
        &files,
        |d| !d.download_urls.is_empty(),
        "sans lien de téléchargement",
    );
    b.set(IndicatorId::DownloadUrl, v, d);
    let downloads: Vec<&str> = all
        .iter()
        .flat_map(|d| d.download_urls.iter().map(String::as_str))
        .collect();
    let (v, d) = link_share(&downloads, context.links);
    b.set(IndicatorId::DownloadUrlStatus, v, d);
    let (v, d) = share(&all, |d| !d.formats.is_empty(), "sans format");
    b.set(IndicatorId::Format, v, d);
    let (v, d) = share(&all, |d| !d.media_types.is_empty(), "sans type de média");
    b.set(IndicatorId::MediaType, v, d);
    let (v, _) = share(
        &all,
        |d| {
            d.formats
                .iter()
                .chain(&d.media_types)
                .any(FormatValue::is_controlled)
        },
        "",
    );
    let free: Vec<String> = all
        .iter()
        .flat_map(|d| d.formats.iter())
        .filter_map(|f| match f {
            FormatValue::Text(t) => Some(format!("« {t} »")),
            _ => None,
        })
        .collect();
    let detail =
        (!free.is_empty()).then(|| format!("format(s) en texte libre : {}", free.join(", ")));
    b.set(IndicatorId::FormatVocabulary, v, detail);
    let (v, d) = share(
        &all,
        DistributionFacts::non_proprietary,
        "sans format ouvert reconnu",
    );
    b.set(IndicatorId::NonProprietary, v, d);
    let (v, d) = share(
        &all,
        |d| d.recognised_formats().any(|f| f.machine_readable),
        "sans format lisible par machine reconnu",
    );
    b.set(IndicatorId::MachineReadable, v, d);
    let (v, d) = share(&all, |d| d.has_rights, "sans mention de droits");
    b.set(IndicatorId::Rights, v, d);
    let (v, d) = share(&files, |d| d.has_byte_size, "sans taille");
    b.set(IndicatorId::ByteSize, v, d);
}

fn conformity(b: &mut Builder, graph: &RecordGraph, conformity: Option<&[ConformityIssue]>) {
    let Some(issues) = conformity else {
        b.set(IndicatorId::DcatApCompliance, None, None);
        return;
    };
    let violations: Vec<&ConformityIssue> = issues
        .iter()
        .filter(|i| i.severity == "violation")
        .collect();
    let detail = (!violations.is_empty()).then(|| {
        let mut parts: Vec<String> = violations
            .iter()
            .take(5)
            .map(|v| {
                let text = match &v.path {
                    Some(p) => format!("{} ({p})", v.message),
                    None => v.message.clone(),
                };
                // The node at fault, named as the producer sees it, when it is not the
                // record itself; no skolem IRI (`urn:moisson:genid:…`) is ever shown.
                let text = name_generated_nodes(graph, &text);
                if v.focus.starts_with(crate::vocab::moisson::GENID_PREFIX) {
                    format!("{} : {text}", node_label(graph, &v.focus))
                } else {
                    text
                }
            })
            .collect();
        if violations.len() > 5 {
            parts.push(format!("et {} autre(s)", violations.len() - 5));
        }
        parts.join(" ; ")
    });
    b.set(
        IndicatorId::DcatApCompliance,
        Some(if violations.is_empty() { 1.0 } else { 0.0 }),
        detail,
    );
}

/// Returns how a producer would name the node `iri` of `graph`: a distribution or a
/// contact by its title, name or URL, never by its generated IRI.
pub(crate) fn node_label(graph: &RecordGraph, iri: &str) -> String {
    let Ok(node) = oxigraph::model::NamedNodeRef::new(iri) else {
        return "un élément sans nom".to_owned();
    };
    let node = NamedOrBlankNodeRef::NamedNode(node);
    let quoted = |s: String| format!("« {} »", s.chars().take(120).collect::<String>());
    for p in [dct::TITLE, foaf::NAME, vcard::FN, vcard::ORGANIZATION_NAME] {
        if let Some(t) = graph.text(node, p).filter(|t| !t.trim().is_empty()) {
            let kind = if graph.has(node, dcat::ACCESS_URL) || graph.has(node, dcat::DOWNLOAD_URL) {
                "la distribution "
            } else if p == vcard::FN || p == vcard::ORGANIZATION_NAME {
                "le contact "
            } else {
                ""
            };
            return format!("{kind}{}", quoted(t));
        }
    }
    for p in [dcat::DOWNLOAD_URL, dcat::ACCESS_URL] {
        if let Some((url, _)) = graph.values(node, p).into_iter().next() {
            return format!("la distribution {}", quoted(url));
        }
    }
    if let Some((mail, _)) = graph.values(node, vcard::HAS_EMAIL).into_iter().next() {
        return format!(
            "le contact {}",
            quoted(mail.trim_start_matches("mailto:").to_owned())
        );
    }
    "un élément sans titre ni adresse".to_owned()
}

/// Replaces every generated node IRI in `text` by the node's name ([`node_label`]).
pub(crate) fn name_generated_nodes(graph: &RecordGraph, text: &str) -> String {
    let prefix = crate::vocab::moisson::GENID_PREFIX;
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(prefix) {
        // A surrounding `<…>` goes with the IRI.
        let (before, opened) = match rest[..start].strip_suffix('<') {
            Some(b) => (b, true),
            None => (&rest[..start], false),
        };
        out.push_str(before);
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '>' | ')' | '"' | ',' | ';'))
            .unwrap_or(tail.len());
        out.push_str(&node_label(graph, &tail[..end]));
        let mut after = &tail[end..];
        if opened {
            after = after.strip_prefix('>').unwrap_or(after);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

fn reusability(
    b: &mut Builder,
    g: &RecordGraph,
    focus: NamedOrBlankNodeRef<'_>,
    facts: &DatasetFacts,
) {
    let dataset_licence = !facts.licences.is_empty();
    let all: Vec<&DistributionFacts> = facts.distributions.iter().collect();
    if all.is_empty() {
        b.flag(IndicatorId::License, facts.has_licence);
        let known = facts
            .licences
            .iter()
            .any(|(v, iri)| *iri && vocab::is_known_licence(v));
        b.flag(IndicatorId::LicenseVocabulary, known);
    } else {
        let (v, d) = share(
            &all,
            |d| dataset_licence || !d.licences.is_empty(),
            "sans licence",
        );
        b.set(IndicatorId::License, v, d);
        let known = |d: &DistributionFacts| {
            d.licences
                .iter()
                .chain(&facts.licences)
                .any(|(v, iri)| *iri && vocab::is_known_licence(v))
        };
        let (v, d) = share(&all, known, "sans licence reconnue");
        b.set(IndicatorId::LicenseVocabulary, v, d);
    }
    let rights = g.values(focus, dct::ACCESS_RIGHTS);
    b.flag(IndicatorId::AccessRights, !rights.is_empty());
    b.flag(
        IndicatorId::AccessRightsVocabulary,
        rights
            .iter()
            .any(|(v, iri)| *iri && vocab::is_eu_access_right(v)),
    );
    b.flag(
        IndicatorId::ContactPoint,
        g.objects(focus, dcat::CONTACT_POINT).next().is_some(),
    );
    b.flag(
        IndicatorId::Publisher,
        g.objects(focus, dct::PUBLISHER).next().is_some(),
    );
}

fn contextuality(b: &mut Builder, g: &RecordGraph, focus: NamedOrBlankNodeRef<'_>) {
    b.flag(IndicatorId::Issued, g.has(focus, dct::ISSUED));
    b.flag(IndicatorId::Modified, g.has(focus, dct::MODIFIED));
}

fn freshness(
    b: &mut Builder,
    g: &RecordGraph,
    focus: NamedOrBlankNodeRef<'_>,
    facts: &DatasetFacts,
    context: &AssessContext<'_>,
) {
    let today = context.today;
    let detail = match &facts.frequency {
        Some(Err(iri)) => Some(format!("fréquence non reconnue : <{iri}>")),
        _ => None,
    };
    b.set(
        IndicatorId::Periodicity,
        Some(if facts.frequency.is_some() { 1.0 } else { 0.0 }),
        detail,
    );

    let modified = match facts.modified {
        Some(DateValue::Valid(d)) => Some(d),
        _ => None,
    };
    match (facts.frequency.as_ref(), modified) {
        (Some(Ok(Frequency::Every(days))), Some(m)) => {
            let allowed = days * 3 / 2 + 7;
            let late = (today - m).num_days() - allowed;
            let detail = (late > 0).then(|| {
                format!("dernière mise à jour le {m}, attendue au plus tard {allowed} jours après (retard de {late} jours)")
            });
            b.set(
                IndicatorId::UpdateOnSchedule,
                Some(if late > 0 { 0.0 } else { 1.0 }),
                detail,
            );
        }
        (Some(Ok(Frequency::Every(_))), None) => b.set(
            IndicatorId::UpdateOnSchedule,
            Some(0.0),
            Some(
                "une fréquence est déclarée mais aucune date de mise à jour valide (dct:modified)"
                    .into(),
            ),
        ),
        _ => b.set(IndicatorId::UpdateOnSchedule, None, None),
    }

    let problems = date_problems(g, focus, today, context.origin);
    let detail = (!problems.is_empty()).then(|| problems.join(" ; "));
    b.set(
        IndicatorId::ValidDates,
        Some(if problems.is_empty() { 1.0 } else { 0.0 }),
        detail,
    );

    // « Fiche récente » is about the metadata record: its catalogue record's date (ISO
    // gmd:dateStamp is mapped there) first, the resource's dates only without one.
    let record_date = g
        .graph()
        .subjects_for_predicate_object(
            NamedNodeRef::new_unchecked(foaf::PRIMARY_TOPIC),
            TermRef::from(focus),
        )
        .filter_map(|record| {
            match parse_date(g.values(record, dct::MODIFIED).first()?.0.as_str()) {
                DateValue::Valid(d) if d <= today + chrono::Duration::days(1) => Some(d),
                _ => None,
            }
        })
        .max();
    let reference = record_date.or(modified).or_else(|| {
        g.values(focus, dct::ISSUED)
            .first()
            .and_then(|(v, _)| match parse_date(v) {
                DateValue::Valid(d) => Some(d),
                DateValue::Invalid => None,
            })
    });
    match reference {
        Some(d) => {
            let age = (today - d).num_days();
            let detail = (age > 3 * 365).then(|| format!("dernière date de la fiche : {d}"));
            b.set(
                IndicatorId::MetadataAge,
                Some(if age > 3 * 365 { 0.0 } else { 1.0 }),
                detail,
            );
        }
        None => b.set(
            IndicatorId::MetadataAge,
            Some(0.0),
            Some("aucune date de publication ou de mise à jour valide".into()),
        ),
    }
}

fn date_problems(
    g: &RecordGraph,
    focus: NamedOrBlankNodeRef<'_>,
    today: NaiveDate,
    origin: RecordOrigin,
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut check =
        |label: &str, subject: NamedOrBlankNodeRef<'_>, predicate: &str| -> Option<NaiveDate> {
            let mut found = None;
            for o in g.objects(subject, predicate) {
                let TermRef::Literal(l) = o else { continue };
                match parse_date(l.value()) {
                    DateValue::Valid(d) if d > today + chrono::Duration::days(1) => {
                        problems.push(format!("{label} dans le futur ({d})"));
                    }
                    DateValue::Valid(d) => found = Some(d),
                    DateValue::Invalid => {
                        problems.push(format!("{label} invalide (« {} »)", l.value()))
                    }
                }
            }
            found
        };
    let issued = check("date de publication", focus, dct::ISSUED);
    let modified = check("date de mise à jour", focus, dct::MODIFIED);
    let mut periods = Vec::new();
    for period in g.nodes(focus, dct::TEMPORAL) {
        let start = check("début de période", period, dcat::START_DATE)
            .or_else(|| check("début de période", period, SCHEMA_START_DATE));
        let end = check("fin de période", period, dcat::END_DATE)
            .or_else(|| check("fin de période", period, SCHEMA_END_DATE));
        periods.push((start, end));
    }
    // In ISO 19139 a resource is often published after its last revision (a PLU revised,
    // then approved): the order is a defect only in DCAT, where modified is the latest.
    if let (Some(i), Some(m), RecordOrigin::Dcat) = (issued, modified, origin) {
        if i > m {
            problems.push(format!(
                "publication ({i}) postérieure à la mise à jour ({m})"
            ));
        }
    }
    for (start, end) in periods {
        if let (Some(s), Some(e)) = (start, end) {
            if s > e {
                problems.push(format!("période inversée ({s} > {e})"));
            }
        }
    }
    problems
}

/// Returns why a title is not explicit, or `None` when it is.
pub(crate) fn title_problem(title: &str) -> Option<&'static str> {
    let t = title.trim();
    if t.is_empty() {
        return Some("titre absent");
    }
    if t.chars().count() < 10 {
        return Some("titre trop court");
    }
    let has_extension = t.rsplit_once('.').is_some_and(|(stem, ext)| {
        !stem.is_empty()
            && (2..=5).contains(&ext.len())
            && ext.chars().all(|c| c.is_ascii_alphanumeric())
            && !ext.chars().all(|c| c.is_ascii_digit())
    });
    let no_space = !t.contains(' ');
    if has_extension && (no_space || t.contains('_')) || (no_space && t.contains('_')) {
        return Some("le titre est un nom de fichier");
    }
    let letters: Vec<char> = t.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.len() >= 4 && letters.iter().all(|c| !c.is_lowercase()) {
        return Some("titre tout en majuscules");
    }
    None
}

fn clarity(
    b: &mut Builder,
    g: &RecordGraph,
    focus: NamedOrBlankNodeRef<'_>,
    facts: &DatasetFacts,
    duplicates: &[String],
) {
    let title = facts.title.as_deref().unwrap_or_default();
    let problem = title_problem(title);
    b.set(
        IndicatorId::TitleQuality,
        Some(if problem.is_some() { 0.0 } else { 1.0 }),
        problem.map(|p| format!("{p} : « {title} »")),
    );
    let length = facts
        .description
        .as_deref()
        .map(|d| plain_text(d).chars().count())
        .unwrap_or(0);
    b.set(
        IndicatorId::DescriptionLength,
        Some(if length > 100 { 1.0 } else { 0.0 }),
        (length <= 100).then(|| format!("{length} caractère(s)")),
    );
    let contacts = g.nodes(focus, dcat::CONTACT_POINT);
    if contacts.is_empty() {
        b.set(IndicatorId::ContactEmail, None, None);
    } else {
        let emails: Vec<String> = contacts
            .iter()
            .flat_map(|c| g.values(*c, vcard::HAS_EMAIL))
            .map(|(v, _)| v)
            .collect();
        let good = emails.iter().any(|e| check_email(e).is_ok());
        let detail = if emails.is_empty() {
            Some("le point de contact n'a pas d'adresse e-mail".to_owned())
        } else if good {
            None
        } else {
            let why = emails
                .iter()
                .map(|e| match check_email(e) {
                    Err(EmailProblem::Placeholder) => format!("adresse fictive « {e} »"),
                    _ => format!("adresse invalide « {e} »"),
                })
                .collect::<Vec<_>>()
                .join(", ");
            Some(why)
        };
        b.set(
            IndicatorId::ContactEmail,
            Some(if good { 1.0 } else { 0.0 }),
            detail,
        );
    }
    let detail =
        (!duplicates.is_empty()).then(|| format!("aussi publié par : {}", duplicates.join(", ")));
    b.set(
        IndicatorId::UniqueAcrossSources,
        Some(if duplicates.is_empty() { 1.0 } else { 0.0 }),
        detail,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::io::{RdfFormat, RdfParser};
    use std::collections::HashMap;

    const PREFIXES: &str = "@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix theme: <http://publications.europa.eu/resource/authority/data-theme/> .
@prefix freq: <http://publications.europa.eu/resource/authority/frequency/> .
@prefix access: <http://publications.europa.eu/resource/authority/access-right/> .
@prefix ft: <http://publications.europa.eu/resource/authority/file-type/> .
";

    const GOOD: &str = r#"
<https://ex.org/jdd/1> a dcat:Dataset ;
  dct:title "Zones humides du Finistère"@fr ;
  dct:description "Inventaire des zones humides du Finistère réalisé par la DDT selon la méthode nationale, mis à jour chaque année avec les relevés de terrain."@fr ;
  dct:identifier "fr-120066022-zh-29-0001" ;
  dcat:keyword "zones humides"@fr ; dcat:theme theme:ENVI ;
  dct:spatial <http://id.insee.fr/geo/departement/29> ;
  dct:temporal [ a dct:PeriodOfTime ; dcat:startDate "2010-01-01"^^xsd:date ; dcat:endDate "2020-12-31"^^xsd:date ] ;
  dct:issued "2020-01-15"^^xsd:date ; dct:modified "2026-03-01"^^xsd:date ;
  dct:accrualPeriodicity freq:ANNUAL ;
  dct:accessRights access:PUBLIC ;
  dct:publisher <https://ex.org/org/ddt29> ;
  dcat:contactPoint [ a vcard:Kind ; vcard:fn "SIG" ; vcard:hasEmail <mailto:sig@ddt-29.gouv.fr> ] ;
  dcat:distribution <https://ex.org/jdd/1/d1> .
<https://ex.org/jdd/1/d1> a dcat:Distribution ;
  dct:description "Export GeoPackage"@fr ;
  dcat:accessURL <https://files.ex.org/zh29.gpkg> ; dcat:downloadURL <https://files.ex.org/zh29.gpkg> ;
  dct:format ft:GPKG ; dcat:mediaType <https://www.iana.org/assignments/media-types/application/geopackage+sqlite3> ;
  dct:license <https://www.etalab.gouv.fr/licence-ouverte-open-licence/> ;
  dct:rights "Mention : DDT 29"@fr ; dcat:byteSize "12345"^^xsd:nonNegativeInteger .
"#;

    const BAD: &str = r#"
<https://ex.org/jdd/2> a dcat:Dataset ;
  dct:title "ZH_29_2015.shp" ;
  dct:description "Couche."@fr ;
  dct:issued "2014-01-01"^^xsd:date ; dct:modified "2015-02-01"^^xsd:date ;
  dct:accrualPeriodicity freq:WEEKLY ;
  dcat:contactPoint [ a vcard:Kind ; vcard:hasEmail <mailto:contact@example.com> ] ;
  dcat:distribution [ a dcat:Distribution ; dcat:accessURL <https://files.ex.org/broken/zh.zip> ; dct:format "Excel" ] .
"#;

    fn graph(ttl: &str) -> RecordGraph {
        let text = format!("{PREFIXES}{ttl}");
        let quads: Vec<_> = RdfParser::from_format(RdfFormat::Turtle)
            .for_slice(text.as_bytes())
            .collect::<Result<_, _>>()
            .expect("valid turtle");
        RecordGraph::from_quads(&quads)
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 10, 1).expect("valid date")
    }

    fn assess(
        iri: &str,
        ttl: &str,
        links: &dyn LinkLookup,
        dups: &[String],
        origin: RecordOrigin,
    ) -> RecordAssessment {
        let context = AssessContext {
            today: today(),
            origin,
            conformity: Some(&[]),
            links,
            duplicate_sources: dups,
        };
        assess_record(iri, RecordKind::Dataset, &graph(ttl), &context)
    }

    fn value(a: &RecordAssessment, id: IndicatorId) -> Option<f64> {
        a.indicators
            .iter()
            .find(|r| r.id == id)
            .and_then(|r| r.value)
    }

    #[test]
    fn a_complete_record_passes_every_indicator() {
        let links: HashMap<String, LinkHealth> =
            [("https://files.ex.org/zh29.gpkg".to_owned(), LinkHealth::Ok)].into();
        let a = assess(
            "https://ex.org/jdd/1",
            GOOD,
            &links,
            &[],
            RecordOrigin::Dcat,
        );
        let failed: Vec<_> = a
            .messages
            .iter()
            .map(|m| (m.indicator, m.detail.clone()))
            .collect();
        assert!(failed.is_empty(), "{failed:?}");
        assert_eq!(a.score, 100.0);
        assert_eq!(a.mqa_points, 405.0);
        assert_eq!(a.udata.score, 1.0);
    }

    #[test]
    fn a_defective_record_fails_each_matching_indicator() {
        let links: HashMap<String, LinkHealth> = [(
            "https://files.ex.org/broken/zh.zip".to_owned(),
            LinkHealth::Broken,
        )]
        .into();
        let dups = vec!["ddt-35".to_owned()];
        let a = assess(
            "https://ex.org/jdd/2",
            BAD,
            &links,
            &dups,
            RecordOrigin::Dcat,
        );
        for id in [
            IndicatorId::Keywords,
            IndicatorId::Themes,
            IndicatorId::Spatial,
            IndicatorId::Temporal,
            IndicatorId::AccessUrlStatus,
            IndicatorId::DownloadUrl,
            IndicatorId::MediaType,
            IndicatorId::FormatVocabulary,
            IndicatorId::NonProprietary,
            IndicatorId::License,
            IndicatorId::LicenseVocabulary,
            IndicatorId::AccessRights,
            IndicatorId::AccessRightsVocabulary,
            IndicatorId::Publisher,
            IndicatorId::Rights,
            IndicatorId::ByteSize,
            IndicatorId::UpdateOnSchedule,
            IndicatorId::MetadataAge,
            IndicatorId::TitleQuality,
            IndicatorId::DescriptionLength,
            IndicatorId::ContactEmail,
            IndicatorId::UniqueAcrossSources,
        ] {
            assert_eq!(value(&a, id), Some(0.0), "{id:?} should fail");
            assert!(
                a.messages.iter().any(|m| m.indicator == id),
                "{id:?} has no message"
            );
        }
        for id in [
            IndicatorId::Format,
            IndicatorId::MachineReadable,
            IndicatorId::ContactPoint,
            IndicatorId::Issued,
            IndicatorId::Modified,
            IndicatorId::Periodicity,
            IndicatorId::ValidDates,
        ] {
            assert_eq!(value(&a, id), Some(1.0), "{id:?} should pass");
        }
        // No downloadURL: its link check cannot apply.
        assert_eq!(value(&a, IndicatorId::DownloadUrlStatus), None);
        let licence = a
            .messages
            .iter()
            .find(|m| m.indicator == IndicatorId::License)
            .expect("licence message");
        assert!(licence
            .text
            .starts_with("Ajoutez une licence (dct:license)"));
        let email = a
            .messages
            .iter()
            .find(|m| m.indicator == IndicatorId::ContactEmail)
            .expect("email");
        assert!(email
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("fictive")));
        assert!(a.score < 40.0, "{}", a.score);
        assert!(a.udata.score < 0.5);
    }

    #[test]
    fn scoring_arithmetic_skips_unevaluated_and_mapping_artefacts() {
        // Without link results the 80 link points are out of the denominator.
        let a = assess(
            "https://ex.org/jdd/1",
            GOOD,
            &NoLinks,
            &[],
            RecordOrigin::Dcat,
        );
        assert_eq!(value(&a, IndicatorId::AccessUrlStatus), None);
        // Points are earned on what was measured, brought back to 405.
        assert_eq!(a.score, 100.0);
        assert_eq!(a.mqa_points, 405.0);
        // The same defective record, mapped from ISO 19139: media type and licence
        // failures are ours, not the producer's.
        let dcat = assess(
            "https://ex.org/jdd/2",
            BAD,
            &NoLinks,
            &[],
            RecordOrigin::Dcat,
        );
        let iso = assess(
            "https://ex.org/jdd/2",
            BAD,
            &NoLinks,
            &[],
            RecordOrigin::Iso19139Mapping,
        );
        assert!(iso.score > dcat.score, "{} vs {}", iso.score, dcat.score);
        let media = iso
            .messages
            .iter()
            .find(|m| m.indicator == IndicatorId::MediaType)
            .expect("media");
        assert_eq!(media.blame, Blame::Mapping);
        assert_eq!(media.points, 0.0);
        // Only MQA indicators count; the score out of 100 is derived from the points.
        let mqa = |r: &&IndicatorResult| r.id.indicator().dimension.is_mqa();
        let earned: f64 = dcat.indicators.iter().filter(mqa).map(|r| r.earned).sum();
        let max: f64 = dcat.indicators.iter().filter(mqa).map(|r| r.max).sum();
        assert_eq!(dcat.mqa_points, round1(405.0 * earned / max));
        assert_eq!(dcat.score, dcat.mqa_points * 100.0 / 405.0);
        assert_eq!(
            crate::quality::rating(dcat.score),
            crate::quality::mqa_rating(dcat.mqa_points)
        );
    }

    #[test]
    fn freshness_detects_future_and_invalid_dates() {
        let ttl = r#"<https://ex.org/jdd/3> a dcat:Dataset ; dct:title "Bruit routier de la Somme" ;
            dct:issued "2033-01-01"^^xsd:date ; dct:modified ""^^xsd:date ."#;
        let a = assess(
            "https://ex.org/jdd/3",
            ttl,
            &NoLinks,
            &[],
            RecordOrigin::Dcat,
        );
        assert_eq!(value(&a, IndicatorId::ValidDates), Some(0.0));
        let m = a
            .messages
            .iter()
            .find(|m| m.indicator == IndicatorId::ValidDates)
            .expect("dates");
        let detail = m.detail.as_deref().unwrap_or_default();
        assert!(
            detail.contains("futur") && detail.contains("invalide"),
            "{detail}"
        );
    }

    /// ISO 19139: a publication after the last revision is normal (a PLU revised, then
    /// approved); in DCAT, issued after modified stays a defect.
    #[test]
    fn publication_after_revision_is_valid_in_iso_records_only() {
        let ttl = r#"<https://ex.org/jdd/4> a dcat:Dataset ; dct:title "Plan local d'urbanisme de Brest" ;
            dct:issued "2024-06-01"^^xsd:date ; dct:modified "2023-11-15"^^xsd:date ."#;
        let iso = assess(
            "https://ex.org/jdd/4",
            ttl,
            &NoLinks,
            &[],
            RecordOrigin::Iso19139Mapping,
        );
        assert_eq!(value(&iso, IndicatorId::ValidDates), Some(1.0));
        let dcat = assess(
            "https://ex.org/jdd/4",
            ttl,
            &NoLinks,
            &[],
            RecordOrigin::Dcat,
        );
        assert_eq!(value(&dcat, IndicatorId::ValidDates), Some(0.0));
    }

    /// « Fiche récente » reads the metadata record's own date (CatalogRecord dct:modified,
    /// where ISO gmd:dateStamp is mapped), not the resource's.
    #[test]
    fn metadata_age_reads_the_catalogue_record_date() {
        let old_resource = r#"<https://ex.org/jdd/5> a dcat:Dataset ; dct:title "Carrières de l'Ille-et-Vilaine" ;
            dct:modified "2012-03-01"^^xsd:date ."#;
        let stale = assess(
            "https://ex.org/jdd/5",
            old_resource,
            &NoLinks,
            &[],
            RecordOrigin::Iso19139Mapping,
        );
        assert_eq!(value(&stale, IndicatorId::MetadataAge), Some(0.0));
        let with_record = format!(
            "{old_resource}\n<https://ex.org/jdd/5#record> a dcat:CatalogRecord ; foaf:primaryTopic <https://ex.org/jdd/5> ; dct:modified \"2026-05-04\"^^xsd:date ."
        );
        let fresh = assess(
            "https://ex.org/jdd/5",
            &with_record,
            &NoLinks,
            &[],
            RecordOrigin::Iso19139Mapping,
        );
        assert_eq!(value(&fresh, IndicatorId::MetadataAge), Some(1.0));
        // The other way round: a recent resource date with a record untouched for years.
        let old_record = r#"<https://ex.org/jdd/6> a dcat:Dataset ; dct:title "Carrières de l'Ille-et-Vilaine" ;
            dct:modified "2026-03-01"^^xsd:date .
            <https://ex.org/jdd/6#record> foaf:primaryTopic <https://ex.org/jdd/6> ; dct:modified "2015-01-01"^^xsd:date ."#;
        let a = assess(
            "https://ex.org/jdd/6",
            old_record,
            &NoLinks,
            &[],
            RecordOrigin::Dcat,
        );
        assert_eq!(value(&a, IndicatorId::MetadataAge), Some(0.0));
    }

    /// An ISO producer is told which ISO 19139 element to fill, in their own terms.
    #[test]
    fn iso_records_get_advice_in_iso_terms() {
        let ttl = r#"<https://ex.org/jdd/7> a dcat:Dataset ; dct:title "Servitudes d'utilité publique du Morbihan" ."#;
        let iso = assess(
            "https://ex.org/jdd/7",
            ttl,
            &NoLinks,
            &[],
            RecordOrigin::Iso19139Mapping,
        );
        let contact = iso
            .messages
            .iter()
            .find(|m| m.indicator == IndicatorId::ContactPoint)
            .expect("contact message");
        assert!(
            contact.text.contains("gmd:pointOfContact"),
            "{}",
            contact.text
        );
        assert!(!contact.text.contains("dcat:"), "{}", contact.text);
        let dcat = assess(
            "https://ex.org/jdd/7",
            ttl,
            &NoLinks,
            &[],
            RecordOrigin::Dcat,
        );
        let contact = dcat
            .messages
            .iter()
            .find(|m| m.indicator == IndicatorId::ContactPoint)
            .expect("contact message");
        assert!(
            contact.text.contains("dcat:contactPoint"),
            "{}",
            contact.text
        );
        // Every indicator but SHACL compliance has ISO advice without DCAT vocabulary.
        for row in INDICATORS {
            if let Some(advice) = super::super::indicators::iso_advice(row.id) {
                assert!(
                    advice.contains("gmd:") || advice.contains("gmx:"),
                    "{advice}"
                );
                assert!(
                    !advice.contains("dcat:") && !advice.contains("dct:"),
                    "{advice}"
                );
            }
        }
    }

    /// The report's records to fix are gathered record by record, cut back as they come:
    /// the same worst records, in the same order (score, then id, ties included), as
    /// sorting every record; the sums do not depend on the cuts.
    #[test]
    fn records_to_fix_gathered_one_by_one_are_the_worst_of_all() {
        use super::super::report::{build_report, RECORDS_TO_FIX_LIMIT};
        let bad = assess(
            "https://ex.org/jdd/1",
            BAD,
            &NoLinks,
            &[],
            RecordOrigin::Dcat,
        );
        assert!(bad.messages.iter().any(|m| m.blame == Blame::Source));
        let good = assess(
            "https://ex.org/jdd/2",
            GOOD,
            &NoLinks,
            &[],
            RecordOrigin::Dcat,
        );
        let mut records = Vec::new();
        for n in 0..2_345u64 {
            let mut a = if n % 7 == 0 {
                good.clone()
            } else {
                bad.clone()
            };
            // Scores with ties, in no order.
            a.score = ((n * 7_919) % 613) as f64 / 10.0;
            records.push((format!("id-{:05}", (n * 104_729) % 100_003), a));
        }
        let report = build_report("s", "2026-10-01T00:00:00Z", &records);
        let mut expected: Vec<&(String, RecordAssessment)> = records
            .iter()
            .filter(|(_, r)| r.messages.iter().any(|m| m.blame == Blame::Source))
            .collect();
        expected.sort_by(|a, b| a.1.score.total_cmp(&b.1.score).then(a.0.cmp(&b.0)));
        expected.truncate(RECORDS_TO_FIX_LIMIT);
        let got: Vec<(&str, f64)> = report
            .records_to_fix
            .iter()
            .map(|r| (r.id.as_str(), r.score))
            .collect();
        let want: Vec<(&str, f64)> = expected
            .iter()
            .map(|(id, r)| (id.as_str(), r.score))
            .collect();
        assert_eq!(got.len(), RECORDS_TO_FIX_LIMIT);
        assert_eq!(got, want);
        assert_eq!(report.record_count, 2_345);
        assert_eq!(
            report
                .score_distribution
                .iter()
                .map(|b| b.count)
                .sum::<usize>(),
            2_345
        );
        let mean = records.iter().map(|(_, r)| r.mqa_points).sum::<f64>() / 2_345.0;
        assert_eq!(report.mqa_points, round1(mean));
    }

    /// Link checks not run: the accessibility dimension is « non mesuré », not 100 on the
    /// few points that could be measured; the other dimensions keep their score.
    #[test]
    fn a_dimension_mostly_unmeasured_has_no_score() {
        let a = assess(
            "https://ex.org/jdd/1",
            GOOD,
            &NoLinks,
            &[],
            RecordOrigin::Dcat,
        );
        let report =
            super::super::report::build_report("s", "2026-10-01T00:00:00Z", &[("1".into(), a)]);
        let access = report
            .dimensions
            .iter()
            .find(|d| d.id == Dimension::Accessibility.id())
            .expect("accessibility");
        assert_eq!(access.score, None, "{access:?}");
        assert!(access.measured_share.is_some_and(|s| s < 0.5), "{access:?}");
        let findability = report
            .dimensions
            .iter()
            .find(|d| d.id == Dimension::Findability.id())
            .expect("findability");
        assert!(findability.score.is_some(), "{findability:?}");
        assert_eq!(findability.measured_share, Some(1.0));
    }

    #[test]
    fn title_problems() {
        assert_eq!(title_problem("Zones humides du Finistère"), None);
        assert_eq!(
            title_problem("ZH_29_2015.shp"),
            Some("le titre est un nom de fichier")
        );
        assert_eq!(
            title_problem("ZONES HUMIDES DU FINISTÈRE"),
            Some("titre tout en majuscules")
        );
        assert_eq!(title_problem("PLU"), Some("titre trop court"));
        assert_eq!(title_problem("Plan de prévention v2.1 du bassin"), None);
    }

    #[test]
    fn issue_17_generated_nodes_are_named_by_title_or_url_in_messages() {
        let g = graph(
            "<https://ex.org/jdd/1> a dcat:Dataset ; dcat:distribution <urn:moisson:genid:d1>, <urn:moisson:genid:d2> ;
               dcat:contactPoint <urn:moisson:genid:c1> .
             <urn:moisson:genid:d1> a dcat:Distribution ; dct:title \"Couche SHP\" ; dcat:accessURL <https://ex.org/f.zip> .
             <urn:moisson:genid:d2> a dcat:Distribution ; dcat:downloadURL <https://ex.org/g.gpkg> .
             <urn:moisson:genid:c1> a vcard:Kind ; vcard:fn \"Service eau\" .",
        );
        let issues = vec![
            ConformityIssue {
                focus: "urn:moisson:genid:d2".into(),
                path: Some("dct:format".into()),
                constraint: "sh:MinCountConstraintComponent".into(),
                message: "Format manquant".into(),
                severity: "violation".into(),
            },
            ConformityIssue {
                focus: "https://ex.org/jdd/1".into(),
                path: None,
                constraint: "sh:ClassConstraintComponent".into(),
                message: "Value <urn:moisson:genid:d1> is not a dcat:Distribution; nor urn:moisson:genid:c1".into(),
                severity: "violation".into(),
            },
        ];
        let context = AssessContext {
            today: today(),
            origin: RecordOrigin::Dcat,
            conformity: Some(&issues),
            links: &NoLinks,
            duplicate_sources: &[],
        };
        let a = assess_record("https://ex.org/jdd/1", RecordKind::Dataset, &g, &context);
        let m = a
            .messages
            .iter()
            .find(|m| m.indicator == IndicatorId::DcatApCompliance)
            .expect("compliance message");
        let detail = m.detail.as_deref().expect("detail");
        assert!(!detail.contains("genid"), "{detail}");
        assert!(
            detail.contains("la distribution « https://ex.org/g.gpkg » : Format manquant"),
            "{detail}"
        );
        assert!(
            detail.contains("Value la distribution « Couche SHP »"),
            "{detail}"
        );
        assert!(detail.contains("le contact « Service eau »"), "{detail}");
    }

    /// What a run keeps beside a record's summary gives back its assessment's messages
    /// (texts, blame and points for both origins, whole specifics however long) and the
    /// indicator values and publisher the report counts; without the whole specifics the
    /// summary shortened, nothing is given back.
    #[test]
    fn a_summary_and_its_run_part_give_back_what_a_report_counts() {
        use super::super::summary::{RecordQuality, RunPart};
        let long: Vec<ConformityIssue> = (0..8)
            .map(|n| ConformityIssue {
                focus: "https://ex.org/jdd/2".into(),
                path: Some(format!("http://purl.org/dc/terms/p{n}")),
                constraint: "sh:MinCountConstraintComponent".into(),
                message: format!("Propriété obligatoire n°{n} manquante ou mal formée"),
                severity: "violation".into(),
            })
            .collect();
        for origin in [RecordOrigin::Dcat, RecordOrigin::Iso19139Mapping] {
            let context = AssessContext {
                today: today(),
                origin,
                conformity: Some(&long),
                links: &NoLinks,
                duplicate_sources: &["autre".to_owned()],
            };
            let a = assess_record(
                "https://ex.org/jdd/2",
                RecordKind::Dataset,
                &graph(BAD),
                &context,
            );
            assert!(
                a.messages
                    .iter()
                    .any(|m| m.detail.as_ref().is_some_and(|d| d.chars().count() > 240)),
                "a specific longer than summaries keep"
            );
            if origin == RecordOrigin::Iso19139Mapping {
                assert!(a.messages.iter().any(|m| m.blame == Blame::Mapping));
            }
            let summary = RecordQuality::from_assessment("jdd-2", "s", &a);
            let part = RunPart::of(&a, 42, Vec::new(), None);
            let messages = part.messages(&summary, origin).expect("messages");
            assert_eq!(
                serde_json::to_value(&messages).expect("json"),
                serde_json::to_value(&a.messages).expect("json")
            );
            assert_eq!(part.p, a.publisher);
            assert_eq!(part.u, a.udata.score);
            let values: Vec<(&str, f64)> = a
                .indicators
                .iter()
                .filter_map(|i| i.value.map(|v| (i.id.as_str(), v)))
                .collect();
            assert_eq!(part.values().expect("values"), values);
            let without = RunPart {
                d: Vec::new(),
                ..part.clone()
            };
            assert!(without.messages(&summary, origin).is_none());
            let unknown = RunPart {
                v: vec![(u8::MAX, 1.0)],
                ..part
            };
            assert!(
                unknown.values().is_none(),
                "a row this program does not have"
            );
        }
    }
}
