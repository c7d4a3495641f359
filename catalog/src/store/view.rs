//! A dataset as the API shows it: DCAT-AP fields read from its record graphs.

use oxigraph::model::{GraphName, GraphNameRef, NamedNode, NamedOrBlankNode, Quad, Term};
use serde::Serialize;
use std::collections::HashMap;

use super::{CatalogStore, RecordEntry, StoreError};
use crate::vocab::{dcat, dct, foaf, geometry, skos, vcard};

/// One source a dataset was harvested from.
#[derive(Debug, Clone, Serialize)]
pub struct SourceRef {
    /// The source id.
    pub source: String,
    /// First harvested from it, RFC 3339.
    pub first_seen: String,
    /// Last changed by a harvest of it, RFC 3339.
    pub last_changed: String,
    /// The page it was read from.
    pub page_url: String,
    /// The record graph of this version.
    pub graph: String,
}

impl From<&RecordEntry> for SourceRef {
    fn from(entry: &RecordEntry) -> Self {
        SourceRef {
            source: entry.source.clone(),
            first_seen: entry.first_seen.clone(),
            last_changed: entry.last_changed.clone(),
            page_url: entry.page_url.clone(),
            graph: entry.graph.clone(),
        }
    }
}

/// A distribution of a dataset.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DistributionView {
    /// IRI (or skolem IRI).
    pub iri: String,
    /// `dct:title`.
    pub title: Option<String>,
    /// `dct:description`.
    pub description: Option<String>,
    /// `dcat:accessURL` values.
    pub access_urls: Vec<String>,
    /// `dcat:downloadURL` values.
    pub download_urls: Vec<String>,
    /// `dct:format` (IRI or free text).
    pub format: Option<String>,
    /// `dcat:mediaType`.
    pub media_type: Option<String>,
    /// `dcat:byteSize` as given.
    pub byte_size: Option<String>,
    /// `dct:license`.
    pub license: Option<String>,
    /// `dct:modified`.
    pub modified: Option<String>,
    /// `dct:conformsTo` of the distribution (e.g. the OGC standard a service follows).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conforms_to: Vec<String>,
}

/// A dataset (or data service) with the DCAT-AP fields the API and pages show.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DatasetView {
    /// Stable public id.
    pub id: String,
    /// The record IRI.
    pub iri: String,
    /// `dataset`, `service` or `series`.
    pub kind: String,
    /// `dct:title`, French preferred.
    pub title: Option<String>,
    /// `dct:description`, French preferred.
    pub description: Option<String>,
    /// `dct:identifier` values.
    pub identifiers: Vec<String>,
    /// Publisher name (or IRI when unnamed).
    pub publisher: Option<String>,
    /// Publisher IRI.
    pub publisher_iri: Option<String>,
    /// Contact point name.
    pub contact_name: Option<String>,
    /// Contact point e-mail (without `mailto:`).
    pub contact_email: Option<String>,
    /// `dcat:keyword` values.
    pub keywords: Vec<String>,
    /// `dcat:theme` values (IRIs or labels).
    pub themes: Vec<String>,
    /// `dct:spatial` values (IRIs, or bbox/geometry literals of locations).
    pub spatial: Vec<String>,
    /// Bounding boxes given in the record (WKT or other literal forms).
    pub bboxes: Vec<String>,
    /// Start of the temporal coverage.
    pub temporal_start: Option<String>,
    /// End of the temporal coverage.
    pub temporal_end: Option<String>,
    /// `dct:issued`.
    pub issued: Option<String>,
    /// `dct:modified`.
    pub modified: Option<String>,
    /// `dct:accrualPeriodicity`.
    pub accrual_periodicity: Option<String>,
    /// `dct:license` of the dataset, or the first one of its distributions.
    pub license: Option<String>,
    /// `dct:accessRights`.
    pub access_rights: Option<String>,
    /// `dcat:landingPage`.
    pub landing_page: Option<String>,
    /// `dct:language`.
    pub languages: Vec<String>,
    /// `dct:conformsTo`.
    pub conforms_to: Vec<String>,
    /// `dcat:endpointURL` (data services).
    pub endpoint_urls: Vec<String>,
    /// Distributions.
    pub distributions: Vec<DistributionView>,
    /// Formats of the distributions (distinct, in order).
    pub formats: Vec<String>,
    /// Sources it was harvested from.
    pub sources: Vec<SourceRef>,
    /// What it claims under the EU high-value datasets regulation, when it claims anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hvd: Option<crate::hvd::HvdClaim>,
}

/// Triples of one graph indexed by subject.
struct GraphIndex {
    by_subject: HashMap<String, Vec<(String, Term)>>,
}

fn subject_key(s: &NamedOrBlankNode) -> String {
    match s {
        NamedOrBlankNode::NamedNode(n) => n.as_str().to_owned(),
        NamedOrBlankNode::BlankNode(b) => format!("_:{}", b.as_str()),
    }
}

fn term_key(t: &Term) -> Option<String> {
    match t {
        Term::NamedNode(n) => Some(n.as_str().to_owned()),
        Term::BlankNode(b) => Some(format!("_:{}", b.as_str())),
        Term::Literal(_) => None,
    }
}

fn term_text(t: &Term) -> String {
    match t {
        Term::NamedNode(n) => n.as_str().to_owned(),
        Term::BlankNode(b) => format!("_:{}", b.as_str()),
        Term::Literal(l) => l.value().to_owned(),
    }
}

impl GraphIndex {
    fn new(quads: Vec<Quad>) -> Self {
        let mut by_subject: HashMap<String, Vec<(String, Term)>> = HashMap::new();
        for q in quads {
            by_subject
                .entry(subject_key(&q.subject))
                .or_default()
                .push((q.predicate.into_string(), q.object));
        }
        Self { by_subject }
    }

    fn values<'a>(
        &'a self,
        subject: &str,
        predicate: &'a str,
    ) -> impl Iterator<Item = &'a Term> + 'a {
        self.by_subject
            .get(subject)
            .into_iter()
            .flatten()
            .filter(move |(p, _)| p == predicate)
            .map(|(_, o)| o)
    }

    /// Returns the best literal: French first, then untagged, then any.
    fn text(&self, subject: &str, predicate: &str) -> Option<String> {
        let mut best: Option<(u8, String)> = None;
        for o in self.values(subject, predicate) {
            let (rank, text) = match o {
                Term::Literal(l) => {
                    let rank = match l.language() {
                        Some(lang)
                            if lang.eq_ignore_ascii_case("fr") || lang.starts_with("fr-") =>
                        {
                            0
                        }
                        None => 1,
                        Some(_) => 2,
                    };
                    (rank, l.value().trim().to_owned())
                }
                other => (3, term_text(other)),
            };
            if text.is_empty() {
                continue;
            }
            if best.as_ref().is_none_or(|(r, _)| rank < *r) {
                best = Some((rank, text));
            }
        }
        best.map(|(_, t)| t)
    }

    fn texts(&self, subject: &str, predicate: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for o in self.values(subject, predicate) {
            let t = term_text(o).trim().to_owned();
            if !t.is_empty() && !out.contains(&t) {
                out.push(t);
            }
        }
        out
    }

    /// Returns a label for a node: its name/label/prefLabel, else its IRI.
    fn label(&self, node: &Term) -> Option<String> {
        match node {
            Term::Literal(l) => Some(l.value().trim().to_owned()).filter(|s| !s.is_empty()),
            other => {
                let key = term_key(other)?;
                for p in [
                    foaf::NAME,
                    vcard::FN,
                    vcard::ORGANIZATION_NAME,
                    skos::PREF_LABEL,
                    crate::vocab::rdf::LABEL,
                    dct::TITLE,
                ] {
                    if let Some(t) = self.text(&key, p) {
                        return Some(t);
                    }
                }
                if key.starts_with("_:") || key.starts_with(crate::vocab::moisson::GENID_PREFIX) {
                    None
                } else {
                    Some(key)
                }
            }
        }
    }
}

fn first_node<'a>(index: &'a GraphIndex, subject: &str, predicate: &'a str) -> Option<&'a Term> {
    index.values(subject, predicate).next()
}

/// Builds the view of record `entry` from the quads of its graph.
pub(crate) fn build_view(entry: &RecordEntry, quads: Vec<Quad>) -> DatasetView {
    let index = GraphIndex::new(quads);
    let s = entry.record_iri.as_str();
    let mut view = DatasetView {
        id: entry.dataset_id.clone(),
        iri: entry.record_iri.clone(),
        kind: entry.kind.as_str().to_owned(),
        title: index.text(s, dct::TITLE),
        description: index.text(s, dct::DESCRIPTION),
        identifiers: index.texts(s, dct::IDENTIFIER),
        keywords: index.texts(s, dcat::KEYWORD),
        issued: index.text(s, dct::ISSUED),
        modified: index.text(s, dct::MODIFIED),
        accrual_periodicity: index.text(s, dct::ACCRUAL_PERIODICITY),
        access_rights: first_node(&index, s, dct::ACCESS_RIGHTS).and_then(|t| index.label(t)),
        landing_page: index.text(s, dcat::LANDING_PAGE),
        languages: index.texts(s, dct::LANGUAGE),
        conforms_to: index.texts(s, dct::CONFORMS_TO),
        endpoint_urls: index.texts(s, dcat::ENDPOINT_URL),
        license: index.text(s, dct::LICENSE),
        ..DatasetView::default()
    };
    for theme in index.values(s, dcat::THEME) {
        let t = match theme {
            Term::Literal(l) => l.value().trim().to_owned(),
            other => term_key(other)
                .and_then(|k| {
                    if k.starts_with("_:") || k.starts_with(crate::vocab::moisson::GENID_PREFIX) {
                        index.label(other)
                    } else {
                        Some(k)
                    }
                })
                .unwrap_or_default(),
        };
        if !t.is_empty() && !view.themes.contains(&t) {
            view.themes.push(t);
        }
    }
    if let Some(p) = first_node(&index, s, dct::PUBLISHER) {
        view.publisher = index.label(p);
        view.publisher_iri = term_key(p).filter(|k| {
            !k.starts_with("_:") && !k.starts_with(crate::vocab::moisson::GENID_PREFIX)
        });
    }
    if let Some(cp) = first_node(&index, s, dcat::CONTACT_POINT) {
        if let Some(key) = term_key(cp) {
            view.contact_name = index
                .text(&key, vcard::FN)
                .or_else(|| index.text(&key, vcard::ORGANIZATION_NAME));
            view.contact_email = index
                .text(&key, vcard::HAS_EMAIL)
                .map(|m| m.trim_start_matches("mailto:").to_owned());
        }
    }
    for sp in index.values(s, dct::SPATIAL) {
        match term_key(sp) {
            Some(key)
                if key.starts_with("_:")
                    || key.starts_with(crate::vocab::moisson::GENID_PREFIX) =>
            {
                view.bboxes.extend(location_extent(&index, &key));
            }
            Some(key) => {
                view.bboxes.extend(location_extent(&index, &key));
                view.spatial.push(key);
            }
            None => view.spatial.push(term_text(sp)),
        }
    }
    if let Some(key) = first_node(&index, s, dct::TEMPORAL).and_then(term_key) {
        view.temporal_start = index
            .text(&key, dcat::START_DATE)
            .or_else(|| index.text(&key, "http://schema.org/startDate"));
        view.temporal_end = index
            .text(&key, dcat::END_DATE)
            .or_else(|| index.text(&key, "http://schema.org/endDate"));
    }
    for d in index.values(s, dcat::DISTRIBUTION_PROP) {
        let Some(key) = term_key(d) else { continue };
        let format = first_node(&index, &key, dct::FORMAT).and_then(|t| index.label(t));
        let dist = DistributionView {
            iri: key.clone(),
            title: index.text(&key, dct::TITLE),
            description: index.text(&key, dct::DESCRIPTION),
            access_urls: index.texts(&key, dcat::ACCESS_URL),
            download_urls: index.texts(&key, dcat::DOWNLOAD_URL),
            media_type: first_node(&index, &key, dcat::MEDIA_TYPE).and_then(|t| index.label(t)),
            byte_size: index.text(&key, dcat::BYTE_SIZE),
            license: index.text(&key, dct::LICENSE),
            modified: index.text(&key, dct::MODIFIED),
            conforms_to: index.texts(&key, dct::CONFORMS_TO),
            format,
        };
        if let Some(f) = &dist.format {
            if !view.formats.contains(f) {
                view.formats.push(f.clone());
            }
        }
        if view.license.is_none() {
            view.license.clone_from(&dist.license);
        }
        view.distributions.push(dist);
    }
    view.distributions.sort_by(|a, b| a.iri.cmp(&b.iri));
    view.hvd = crate::hvd::claim_of(
        index
            .by_subject
            .values()
            .flatten()
            .map(|(p, o)| (p.as_str(), o.as_ref())),
    );
    view
}

/// The extent of a `dct:Location`: its `dcat:bbox`, else its `geo:asWKT` (or the
/// GeoSPARQL drafts' `asWKT`) or `locn:geometry` (the same box is often written in
/// several forms).
fn location_extent(index: &GraphIndex, key: &str) -> Vec<String> {
    let boxes = index.texts(key, dcat::BBOX);
    if !boxes.is_empty() {
        return boxes;
    }
    for predicate in [geometry::AS_WKT, geometry::AS_WKT_DRAFT] {
        let wkt = index.texts(key, predicate);
        if !wkt.is_empty() {
            return wkt;
        }
    }
    index.texts(key, geometry::LOCN_GEOMETRY)
}

impl DatasetView {
    /// Returns the view of the record `entry` names, read from `quads` (its record graph)
    /// outside any store, with the record's `dct:subject` values: a document can be
    /// shown and classified as a harvest would see it before it is harvested.
    pub fn from_record_quads(entry: &RecordEntry, quads: Vec<Quad>) -> (Self, Vec<String>) {
        let subjects = super::subjects::subjects_in(&quads, &entry.record_iri);
        (build_view(entry, quads), subjects)
    }
}

impl CatalogStore {
    /// Returns the quads of graph `graph`: from its compact copy when it has one (one
    /// lookup), else read quad by quad.
    pub fn graph_quads(&self, graph: &str) -> Result<Vec<Quad>, StoreError> {
        let node = NamedNode::new_unchecked(graph);
        if let Some(triples) = self.record_copy(&node)? {
            let name = GraphName::NamedNode(node);
            return Ok(triples
                .into_iter()
                .map(|t| t.in_graph(name.clone()))
                .collect());
        }
        Ok(self
            .store
            .quads_for_pattern(
                None,
                None,
                None,
                Some(GraphNameRef::NamedNode(node.as_ref())),
            )
            .collect::<Result<_, _>>()?)
    }

    /// Returns the view of registry entry `entry`.
    pub fn view_of(&self, entry: &RecordEntry) -> Result<DatasetView, StoreError> {
        Ok(self.view_and_subjects(entry)?.0)
    }

    /// Returns the view of registry entry `entry` and the `dct:subject` values of its
    /// record (IRIs or literal values, at most 50), read together.
    pub fn view_and_subjects(
        &self,
        entry: &RecordEntry,
    ) -> Result<(DatasetView, Vec<String>), StoreError> {
        let quads = self.graph_quads(&entry.graph)?;
        let subjects = super::subjects::subjects_in(&quads, &entry.record_iri);
        let mut view = build_view(entry, quads);
        view.sources.push(SourceRef::from(entry));
        Ok((view, subjects))
    }

    /// Returns the dataset with public id `id`, merged over every source that holds it
    /// (fields come from the copy [`super::order_copies`] puts first: the source owning
    /// the IRI's site, else the earliest), or `None`.
    pub fn dataset(&self, id: &str) -> Result<Option<DatasetView>, StoreError> {
        let mut entries = self.entries_for_dataset(id)?;
        if entries.is_empty() {
            return Ok(None);
        }
        entries.sort_by(super::order_copies);
        let mut view = self.view_of(&entries[0])?;
        for other in &entries[1..] {
            view.sources.push(SourceRef::from(other));
        }
        view.sources.sort_by(|a, b| a.source.cmp(&b.source));
        Ok(Some(view))
    }
}
