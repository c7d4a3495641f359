//! ISO 19139 → DCAT-AP, following the GeoDCAT-AP mapping rules (SEMIC
//! `iso-19139-to-dcat-ap`, core profile plus a few extended-profile properties).
//!
//! Record IRI: the `GetRecordById` URL of the record's `fileIdentifier` on the source's
//! endpoint. It is stable across harvests, unique per endpoint, and dereferencing it
//! returns the ISO record the triples come from. The catalogue record (metadata about the
//! metadata) is `<that IRI#record>`. Everything else is a blank node, skolemized later by
//! [`crate::records`].
//!
//! Every IRI built from the record's text (anchors, licences, access rights, e-mail
//! addresses, identifiers) is checked: an invalid one is left out with a warning for the
//! producer, so no harvested text can end an IRI early and forge triples in an export.
//! Only predicates and datatypes, all constants, are built unchecked.

use moisson_catalog::vocab::{dcat, dct, foaf, rdf, skos, vcard, xsd};
use moisson_catalog::RecordKind;
use oxigraph::model::{BlankNode, Literal, NamedNode, NamedOrBlankNode, Term, Triple};

use super::request::record_by_id_url;
use super::response::Element;
use super::vocab as v;

/// A record mapped to DCAT-AP triples.
#[derive(Debug)]
pub struct Mapped {
    /// The record (dataset, series or service) IRI.
    pub iri: String,
    /// What the record describes.
    pub kind: RecordKind,
    /// The triples.
    pub triples: Vec<Triple>,
    /// What was left out of the record, for the producer (French).
    pub warnings: Vec<String>,
}

/// Why a record could not be mapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmappable {
    /// The record IRI, when the record has a `fileIdentifier`.
    pub iri: Option<String>,
    /// The `fileIdentifier`, when present.
    pub file_identifier: Option<String>,
    /// Why.
    pub message: String,
}

type Node = NamedOrBlankNode;

struct Out {
    triples: Vec<Triple>,
    lang: Option<&'static str>,
    warnings: Vec<String>,
}

/// Most characters of a harvested value quoted in a warning.
const QUOTED_CHARS: usize = 120;

/// `text` quoted for a warning: at most [`QUOTED_CHARS`] characters, control characters
/// escaped.
fn quoted(text: &str) -> String {
    let mut out: String = text.chars().take(QUOTED_CHARS).collect::<String>();
    if text.chars().nth(QUOTED_CHARS).is_some() {
        out.push('…');
    }
    format!("{out:?}")
}

impl Out {
    /// `p` is one of Moisson's vocabulary constants, never harvested text.
    fn push(&mut self, s: &Node, p: &'static str, o: impl Into<Term>) {
        self.triples.push(Triple::new(
            s.clone(),
            NamedNode::new_unchecked(p),
            o.into(),
        ));
    }

    /// Adds `<o>` when it is a valid IRI, else leaves it out with a warning.
    fn iri(&mut self, s: &Node, p: &'static str, o: &str) {
        match NamedNode::new(o) {
            Ok(node) => self.push(s, p, node),
            Err(e) => self.warnings.push(format!(
                "IRI invalide ignorée pour <{p}> : {} ({e})",
                quoted(o)
            )),
        }
    }

    /// Adds `o` when it is a valid absolute IRI (after light repair); returns whether it did.
    fn link(&mut self, s: &Node, p: &'static str, o: &str) -> bool {
        match checked_iri(o) {
            Some(n) => {
                self.push(s, p, n);
                true
            }
            None => false,
        }
    }

    fn text(&mut self, s: &Node, p: &'static str, text: &str) {
        self.push(s, p, Literal::new_simple_literal(text));
    }

    /// A literal tagged with the record's language.
    fn tagged(&mut self, s: &Node, p: &'static str, text: &str) {
        let literal = match self.lang {
            Some(l) => Literal::new_language_tagged_literal_unchecked(text, l),
            None => Literal::new_simple_literal(text),
        };
        self.push(s, p, literal);
    }

    fn tagged_with(&mut self, s: &Node, p: &'static str, text: &str, lang: Option<&'static str>) {
        match lang {
            Some(l) => self.push(
                s,
                p,
                Literal::new_language_tagged_literal_unchecked(text, l),
            ),
            None => self.tagged(s, p, text),
        }
    }

    fn date(&mut self, s: &Node, p: &'static str, text: &str) -> bool {
        match date_literal(text) {
            Some(l) => {
                self.push(s, p, l);
                true
            }
            None => false,
        }
    }

    fn blank(&mut self, s: &Node, p: &'static str, class: &'static str) -> Node {
        let node: Node = BlankNode::default().into();
        self.push(s, p, node.clone());
        self.iri(&node, rdf::TYPE, class);
        node
    }
}

fn checked_iri(text: &str) -> Option<NamedNode> {
    let t = text.trim();
    if !(t.starts_with("http://") || t.starts_with("https://") || t.starts_with("ftp://")) {
        return None;
    }
    NamedNode::new(t).ok().or_else(|| {
        url::Url::parse(t)
            .ok()
            .and_then(|u| NamedNode::new(u.to_string()).ok())
    })
}

/// A typed literal for an ISO date or date-time, or `None` when the text is not one.
fn date_literal(text: &str) -> Option<Literal> {
    let t = text.trim();
    let datatype: &'static str = match t.len() {
        4 => "http://www.w3.org/2001/XMLSchema#gYear",
        7 => "http://www.w3.org/2001/XMLSchema#gYearMonth",
        10 => xsd::DATE,
        _ if t.len() > 10 && t.as_bytes()[10] == b'T' => xsd::DATE_TIME,
        _ => return None,
    };
    crate::records::lexical_form_is_valid(datatype, t)
        .then(|| Literal::new_typed_literal(t, NamedNode::new_unchecked(datatype)))
        .filter(|_| t.as_bytes()[0].is_ascii_digit())
}

/// Maps one ISO 19139 `MD_Metadata` element; `endpoint` is the source's CSW URL.
pub fn map_record(md: &Element, endpoint: &str) -> Result<Mapped, Unmappable> {
    let file_identifier = md
        .child("fileIdentifier")
        .and_then(Element::value)
        .map(str::to_owned);
    let Some(id) = file_identifier.clone() else {
        return Err(Unmappable {
            iri: None,
            file_identifier: None,
            message: "record without gmd:fileIdentifier".into(),
        });
    };
    let iri = record_by_id_url(endpoint, &id);
    let fail = |message: &str| Unmappable {
        iri: Some(iri.clone()),
        file_identifier: Some(id.clone()),
        message: message.to_owned(),
    };
    let Some(ident) = md.at(&["identificationInfo", "*"]) else {
        return Err(fail("record without gmd:identificationInfo"));
    };
    let Some(citation) = ident.at(&["citation", "CI_Citation"]) else {
        return Err(fail("record without a resource citation"));
    };
    let Some(title) = citation.child("title").and_then(Element::value) else {
        return Err(fail("record without a resource title"));
    };
    let locales = Locales::of(md);
    let kind = match md.child("hierarchyLevel").and_then(Element::code) {
        Some("series") => RecordKind::Series,
        Some("service") => RecordKind::Service,
        _ if ident.name == "SV_ServiceIdentification" => RecordKind::Service,
        _ => RecordKind::Dataset,
    };
    let mut out = Out {
        triples: Vec::with_capacity(128),
        lang: locales.default,
        warnings: Vec::new(),
    };
    let r: Node = NamedNode::new(&iri)
        .map_err(|e| fail(&format!("record iri {iri:?} is invalid: {e}")))?
        .into();
    out.iri(
        &r,
        rdf::TYPE,
        match kind {
            RecordKind::Dataset => dcat::DATASET,
            RecordKind::Series => dcat::DATASET_SERIES,
            RecordKind::Service => dcat::DATA_SERVICE,
        },
    );
    out.tagged(&r, dct::TITLE, title);
    locales.translations(citation.child("title"), &mut out, &r, dct::TITLE);
    for alt in citation.children_named("alternateTitle") {
        if let Some(t) = alt.value() {
            out.tagged(&r, v::DCT_ALTERNATIVE, t);
        }
    }
    if let Some(abstract_) = ident.child("abstract") {
        if let Some(text) = abstract_.value() {
            out.tagged(&r, dct::DESCRIPTION, text);
        }
        locales.translations(Some(abstract_), &mut out, &r, dct::DESCRIPTION);
    }
    map_identifiers(citation, &id, &r, &mut out);
    map_dates(citation, &r, &mut out);
    map_catalog_record(md, &iri, &id, &r, &mut out);
    map_parties(ident, &r, &mut out);
    map_keywords(ident, &r, &mut out);
    for topic in ident.children_named("topicCategory") {
        if let Some(code) = topic.value() {
            if code.chars().all(|c| c.is_ascii_alphanumeric()) {
                out.iri(
                    &r,
                    v::GEODCAT_TOPIC_CATEGORY,
                    &format!("{}{code}", v::TOPIC_CATEGORY),
                );
            }
        }
    }
    map_extents(ident, &r, &mut out);
    if let Some(code) = ident
        .at(&[
            "resourceMaintenance",
            "MD_MaintenanceInformation",
            "maintenanceAndUpdateFrequency",
        ])
        .and_then(Element::code)
    {
        if let Some(freq) = v::frequency(code) {
            out.iri(&r, dct::ACCRUAL_PERIODICITY, &freq);
        }
    }
    for language in ident.children_named("language") {
        if let Some(iri) = language.code().and_then(v::language) {
            out.iri(&r, dct::LANGUAGE, &iri.1);
        }
    }
    let rights = map_constraints(ident, &r, &mut out);
    for lineage in md.all(&[
        "dataQualityInfo",
        "DQ_DataQuality",
        "lineage",
        "LI_Lineage",
        "statement",
    ]) {
        if let Some(text) = lineage.value() {
            let p = out.blank(&r, dct::PROVENANCE, v::PROVENANCE_STATEMENT);
            out.tagged(&p, v::RDFS_LABEL, text);
        }
    }
    map_conformity(md, &r, &mut out);
    for code in md.all(&[
        "referenceSystemInfo",
        "MD_ReferenceSystem",
        "referenceSystemIdentifier",
        "RS_Identifier",
        "code",
    ]) {
        if let Some(crs) = code
            .anchor_href()
            .filter(|h| h.starts_with("http"))
            .map(str::to_owned)
            .or_else(|| code.value().and_then(v::epsg_iri))
        {
            if out.link(&r, v::GEODCAT_REFERENCE_SYSTEM, &crs) {
                out.iri(&r, dct::CONFORMS_TO, &crs);
            }
        }
    }
    if let Some(parent) = md.child("parentIdentifier").and_then(Element::value) {
        if parent != id {
            out.iri(&r, v::DCAT_IN_SERIES, &record_by_id_url(endpoint, parent));
        }
    }
    for operates in ident.children_named("operatesOn") {
        if let Some(uuid) = operates
            .attr("uuidref")
            .map(str::trim)
            .filter(|u| !u.is_empty())
        {
            out.iri(
                &r,
                v::DCAT_SERVES_DATASET,
                &record_by_id_url(endpoint, uuid),
            );
        }
    }
    for overview in ident.all(&["graphicOverview", "MD_BrowseGraphic", "fileName"]) {
        if let Some(url) = overview.value() {
            out.link(&r, v::FOAF_DEPICTION, url);
        }
    }
    map_online_resources(md, kind, &r, &rights, &mut out);
    Ok(Mapped {
        iri,
        kind,
        triples: out.triples,
        warnings: out.warnings,
    })
}

/// The record's default language and its `PT_Locale` table.
struct Locales {
    default: Option<&'static str>,
    by_id: Vec<(String, &'static str)>,
}

impl Locales {
    fn of(md: &Element) -> Self {
        let default = md
            .child("language")
            .and_then(Element::code)
            .and_then(v::language)
            .map(|(tag, _)| tag);
        let mut by_id = Vec::new();
        for locale in md.all(&["locale", "PT_Locale"]) {
            let tag = locale
                .child("languageCode")
                .and_then(Element::code)
                .and_then(v::language)
                .map(|(tag, _)| tag);
            if let (Some(id), Some(tag)) = (locale.attr("id"), tag) {
                by_id.push((id.to_owned(), tag));
            }
        }
        Self { default, by_id }
    }

    /// Adds the `gmd:PT_FreeText` translations of `element` with their language tags.
    fn translations(&self, element: Option<&Element>, out: &mut Out, s: &Node, p: &'static str) {
        let Some(element) = element else { return };
        for text in element.all(&["PT_FreeText", "textGroup", "LocalisedCharacterString"]) {
            let tag = text
                .attr("locale")
                .map(|l| l.trim_start_matches('#'))
                .and_then(|l| self.by_id.iter().find(|(id, _)| id == l))
                .map(|(_, tag)| *tag);
            let value = text.text.trim();
            if let (Some(tag), false) = (tag, value.is_empty()) {
                if Some(tag) != self.default {
                    out.tagged_with(s, p, value, Some(tag));
                }
            }
        }
    }
}

fn map_identifiers(citation: &Element, file_identifier: &str, r: &Node, out: &mut Out) {
    let mut any = false;
    for code in citation.all(&["identifier", "*", "code"]) {
        if let Some(value) = code.anchor_href().or_else(|| code.value()) {
            out.text(r, dct::IDENTIFIER, value);
            any = true;
        }
    }
    if !any {
        out.text(r, dct::IDENTIFIER, file_identifier);
    }
}

fn map_dates(citation: &Element, r: &Node, out: &mut Out) {
    let mut issued: Option<&str> = None;
    let mut modified: Option<&str> = None;
    let mut created: Option<&str> = None;
    for date in citation.all(&["date", "CI_Date"]) {
        let Some(value) = date.child("date").and_then(Element::value) else {
            continue;
        };
        if date_literal(value).is_none() {
            continue;
        }
        // Keep the earliest publication and creation, the latest revision.
        match date.child("dateType").and_then(Element::code) {
            Some("publication") if issued.is_none_or(|c| value < c) => issued = Some(value),
            Some("creation") if created.is_none_or(|c| value < c) => created = Some(value),
            Some("revision") if modified.is_none_or(|c| value > c) => modified = Some(value),
            _ => {}
        }
    }
    for (p, value) in [
        (dct::ISSUED, issued),
        (dct::MODIFIED, modified),
        (v::DCT_CREATED, created),
    ] {
        if let Some(value) = value {
            out.date(r, p, value);
        }
    }
}

fn map_catalog_record(md: &Element, iri: &str, id: &str, r: &Node, out: &mut Out) {
    let record: Node = match NamedNode::new(format!("{iri}#record")) {
        Ok(node) => node.into(),
        Err(e) => {
            out.warnings.push(format!(
                "fiche de catalogue (dcat:CatalogRecord) ignorée : son IRI {} n'est pas valide ({e})",
                quoted(&format!("{iri}#record"))
            ));
            return;
        }
    };
    out.iri(&record, rdf::TYPE, dcat::CATALOG_RECORD);
    out.push(&record, foaf::PRIMARY_TOPIC, r.clone());
    out.text(&record, dct::IDENTIFIER, id);
    if let Some(stamp) = md.child("dateStamp").and_then(Element::value) {
        out.date(&record, dct::MODIFIED, stamp);
    }
    if let Some((_, lang)) = md
        .child("language")
        .and_then(Element::code)
        .and_then(v::language)
    {
        out.iri(&record, dct::LANGUAGE, &lang);
    }
    out.iri(&record, dct::CONFORMS_TO, v::ISO_19139_STANDARD);
}

/// The responsible parties of the resource, by role.
fn map_parties(ident: &Element, r: &Node, out: &mut Out) {
    let mut publisher_done = false;
    for party in ident.all(&["pointOfContact", "CI_ResponsibleParty"]) {
        let role = party.child("role").and_then(Element::code).unwrap_or("");
        let org = party.child("organisationName").and_then(Element::value);
        let person = party.child("individualName").and_then(Element::value);
        let contact = party.at(&["contactInfo", "CI_Contact"]);
        let email = contact
            .and_then(|c| c.at(&["address", "CI_Address", "electronicMailAddress"]))
            .and_then(Element::value)
            .filter(|e| e.contains('@') && !e.contains(char::is_whitespace));
        let Some(name) = org.or(person) else { continue };
        if role == "pointOfContact" {
            let class = if org.is_some() {
                v::VCARD_ORGANIZATION
            } else {
                v::VCARD_INDIVIDUAL
            };
            let kind = out.blank(r, dcat::CONTACT_POINT, class);
            out.text(&kind, vcard::FN, person.unwrap_or(name));
            if let Some(org) = org {
                out.text(&kind, vcard::ORGANIZATION_NAME, org);
            }
            if let Some(email) = email {
                out.iri(
                    &kind,
                    vcard::HAS_EMAIL,
                    &format!("mailto:{}", url_safe(email)),
                );
            }
            if let Some(url) = contact
                .and_then(|c| c.at(&["onlineResource", "CI_OnlineResource", "linkage"]))
                .and_then(Element::value)
            {
                out.link(&kind, v::VCARD_HAS_URL, url);
            }
            continue;
        }
        let property = match role {
            "publisher" if !publisher_done => {
                publisher_done = true;
                dct::PUBLISHER
            }
            "publisher" => continue,
            "author" => dct::CREATOR,
            "owner" => v::DCT_RIGHTS_HOLDER,
            "custodian" => v::GEODCAT_CUSTODIAN,
            "distributor" => v::GEODCAT_DISTRIBUTOR,
            "originator" => v::GEODCAT_ORIGINATOR,
            "principalInvestigator" => v::GEODCAT_PRINCIPAL_INVESTIGATOR,
            "processor" => v::GEODCAT_PROCESSOR,
            "resourceProvider" => v::GEODCAT_RESOURCE_PROVIDER,
            "user" => v::GEODCAT_USER,
            _ => continue,
        };
        let class = if org.is_some() {
            v::FOAF_ORGANIZATION
        } else {
            v::FOAF_PERSON
        };
        let agent = out.blank(r, property, class);
        out.iri(&agent, rdf::TYPE, v::FOAF_AGENT);
        out.text(&agent, foaf::NAME, name);
        if let Some(email) = email {
            out.iri(&agent, v::FOAF_MBOX, &format!("mailto:{}", url_safe(email)));
        }
    }
}

fn url_safe(text: &str) -> String {
    text.chars()
        .filter(|c| {
            !c.is_whitespace() && !matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`')
        })
        .collect()
}

fn map_keywords(ident: &Element, r: &Node, out: &mut Out) {
    for keywords in ident.all(&["descriptiveKeywords", "MD_Keywords"]) {
        let thesaurus = keywords.at(&["thesaurusName", "CI_Citation", "title"]);
        let thesaurus_title = thesaurus.and_then(Element::value).unwrap_or("");
        let thesaurus_href = thesaurus.and_then(Element::anchor_href);
        let inspire = v::is_inspire_theme_thesaurus(thesaurus_title, thesaurus_href);
        for keyword in keywords.children_named("keyword") {
            let Some(label) = keyword.value() else {
                continue;
            };
            let href = keyword.anchor_href();
            let theme = href
                .filter(|h| h.starts_with("http://") || h.starts_with("https://"))
                .map(str::to_owned)
                .or_else(|| inspire.then(|| v::inspire_theme(label)).flatten());
            match theme.as_deref().and_then(checked_iri) {
                Some(theme) => {
                    out.push(r, dcat::THEME, theme.clone());
                    let concept: Node = theme.into();
                    out.iri(&concept, rdf::TYPE, skos::CONCEPT);
                    out.tagged(&concept, skos::PREF_LABEL, label);
                    if let Some(scheme) = thesaurus_href.and_then(checked_iri) {
                        out.push(&concept, skos::IN_SCHEME, scheme);
                    }
                }
                None => out.tagged(r, dcat::KEYWORD, label),
            }
        }
    }
}

fn map_extents(ident: &Element, r: &Node, out: &mut Out) {
    for extent in ident.all(&["extent", "EX_Extent"]) {
        for bbox in extent.all(&["geographicElement", "EX_GeographicBoundingBox"]) {
            let coord = |name: &str| -> Option<f64> {
                bbox.child(name)
                    .and_then(Element::value)
                    .and_then(|t| t.replace(',', ".").parse::<f64>().ok())
                    .filter(|f| f.is_finite())
            };
            let (Some(w), Some(e), Some(s), Some(n)) = (
                coord("westBoundLongitude"),
                coord("eastBoundLongitude"),
                coord("southBoundLatitude"),
                coord("northBoundLatitude"),
            ) else {
                continue;
            };
            if w.abs() > 180.0 || e.abs() > 180.0 || s.abs() > 90.0 || n.abs() > 90.0 || s > n {
                continue;
            }
            // West and east swapped (seen in geo-IDE records), unless the box crosses the
            // antimeridian.
            let (w, e) = if w > e && !(w > 90.0 && e < -90.0) {
                (e, w)
            } else {
                (w, e)
            };
            let location = out.blank(r, dct::SPATIAL, v::DCT_LOCATION);
            let wkt = format!("POLYGON(({w} {s},{w} {n},{e} {n},{e} {s},{w} {s}))");
            out.push(
                &location,
                dcat::BBOX,
                Literal::new_typed_literal(wkt, NamedNode::new_unchecked(v::GSP_WKT)),
            );
            let json = format!(
                "{{\"type\":\"Polygon\",\"coordinates\":[[[{w},{s}],[{w},{n}],[{e},{n}],[{e},{s}],[{w},{s}]]]}}"
            );
            out.push(
                &location,
                v::LOCN_GEOMETRY,
                Literal::new_typed_literal(json, NamedNode::new_unchecked(v::GSP_GEOJSON)),
            );
        }
        for code in extent.all(&[
            "geographicElement",
            "EX_GeographicDescription",
            "geographicIdentifier",
            "*",
            "code",
        ]) {
            if let Some(href) = code.anchor_href().and_then(checked_iri) {
                out.push(r, dct::SPATIAL, href);
            } else if let Some(text) = code.value() {
                let location = out.blank(r, dct::SPATIAL, v::DCT_LOCATION);
                out.text(&location, dct::IDENTIFIER, text);
            }
        }
        for period in extent.all(&["temporalElement", "*", "extent"]) {
            let (begin, end) = match period.children.first() {
                Some(p) if p.name == "TimePeriod" => (
                    p.child("beginPosition")
                        .and_then(Element::value)
                        .or_else(|| {
                            p.at(&["begin", "TimeInstant", "timePosition"])
                                .and_then(Element::value)
                        }),
                    p.child("endPosition").and_then(Element::value).or_else(|| {
                        p.at(&["end", "TimeInstant", "timePosition"])
                            .and_then(Element::value)
                    }),
                ),
                Some(p) if p.name == "TimeInstant" => {
                    let at = p.child("timePosition").and_then(Element::value);
                    (at, at)
                }
                _ => continue,
            };
            let begin = begin.and_then(date_literal);
            let end = end.and_then(date_literal);
            if begin.is_none() && end.is_none() {
                continue;
            }
            let time = out.blank(r, dct::TEMPORAL, v::DCT_PERIOD_OF_TIME);
            if let Some(b) = begin {
                out.push(&time, dcat::START_DATE, b);
            }
            if let Some(e) = end {
                out.push(&time, dcat::END_DATE, e);
            }
        }
    }
}

/// Rights carried to each distribution: licences and free-text conditions.
#[derive(Default)]
struct Rights {
    licences: Vec<String>,
    statements: Vec<String>,
}

fn map_constraints(ident: &Element, r: &Node, out: &mut Out) -> Rights {
    let mut rights = Rights::default();
    let mut access_done = false;
    for constraints in ident.children_named("resourceConstraints") {
        for c in &constraints.children {
            let mut texts: Vec<(Option<&str>, &str)> = Vec::new();
            for name in ["useLimitation", "otherConstraints"] {
                for e in c.children_named(name) {
                    if let Some(text) = e.value() {
                        texts.push((e.anchor_href(), text));
                    }
                }
            }
            for (href, text) in texts {
                if let Some(access) = v::access_right(href, text) {
                    if !access_done {
                        out.iri(r, dct::ACCESS_RIGHTS, &access);
                        access_done = true;
                    }
                } else if let Some(licence) = v::licence(href, text) {
                    if rights.licences.contains(&licence) {
                        continue;
                    }
                    // Checked once here: the licence is stated on every distribution.
                    match NamedNode::new(licence.as_str()) {
                        Ok(_) => rights.licences.push(licence),
                        Err(e) => out.warnings.push(format!(
                            "IRI de licence invalide ignorée : {} ({e})",
                            quoted(&licence)
                        )),
                    }
                } else if !rights.statements.iter().any(|s| s == text) {
                    rights.statements.push(text.to_owned());
                }
            }
        }
    }
    rights
}

fn map_conformity(md: &Element, r: &Node, out: &mut Out) {
    for result in md.all(&[
        "dataQualityInfo",
        "DQ_DataQuality",
        "report",
        "*",
        "result",
        "DQ_ConformanceResult",
    ]) {
        let pass = result.child("pass").and_then(Element::value);
        if pass != Some("true") {
            continue;
        }
        let Some(spec) = result.at(&["specification", "CI_Citation"]) else {
            continue;
        };
        let title = spec.child("title");
        match title.and_then(Element::anchor_href).and_then(checked_iri) {
            Some(iri) => out.push(r, dct::CONFORMS_TO, iri),
            None => {
                if let Some(t) = title.and_then(Element::value) {
                    let standard = out.blank(r, dct::CONFORMS_TO, v::DCT_STANDARD);
                    out.tagged(&standard, dct::TITLE, t);
                }
            }
        }
    }
}

fn map_online_resources(md: &Element, kind: RecordKind, r: &Node, rights: &Rights, out: &mut Out) {
    let Some(distribution) = md.at(&["distributionInfo", "MD_Distribution"]) else {
        return;
    };
    let declared_format = distribution
        .all(&["distributionFormat", "MD_Format", "name"])
        .into_iter()
        .find_map(|n| n.value());
    let mut seen = Vec::new();
    let mut landing_done = false;
    let mut resources = distribution.all(&[
        "transferOptions",
        "MD_DigitalTransferOptions",
        "onLine",
        "CI_OnlineResource",
    ]);
    resources.extend(distribution.all(&[
        "distributor",
        "MD_Distributor",
        "distributorTransferOptions",
        "MD_DigitalTransferOptions",
        "onLine",
        "CI_OnlineResource",
    ]));
    for resource in resources {
        let Some(url) = resource.child("linkage").and_then(Element::value) else {
            continue;
        };
        let Some(url_node) = checked_iri(url) else {
            continue;
        };
        let protocol = resource
            .child("protocol")
            .and_then(Element::value)
            .unwrap_or("");
        let function = resource
            .child("function")
            .and_then(Element::code)
            .unwrap_or("");
        let name = resource.child("name").and_then(Element::value);
        let description = resource.child("description").and_then(Element::value);
        if seen.contains(&(url_node.clone(), protocol)) {
            continue;
        }
        seen.push((url_node.clone(), protocol));
        let access = v::classify_access(protocol, url_node.as_str(), function);
        match access {
            v::Access::Page => {
                out.push(r, v::FOAF_PAGE, url_node);
                continue;
            }
            v::Access::Landing => {
                if !landing_done {
                    out.push(r, dcat::LANDING_PAGE, url_node);
                    landing_done = true;
                }
                continue;
            }
            _ => {}
        }
        if kind == RecordKind::Service {
            out.push(r, dcat::ENDPOINT_URL, url_node.clone());
            if access.is_service()
                && url_node
                    .as_str()
                    .to_ascii_lowercase()
                    .contains("request=getcapabilities")
            {
                out.push(r, v::DCAT_ENDPOINT_DESCRIPTION, url_node);
            }
            continue;
        }
        let d = out.blank(r, dcat::DISTRIBUTION_PROP, dcat::DISTRIBUTION);
        out.push(&d, dcat::ACCESS_URL, url_node.clone());
        if access == v::Access::Download {
            out.push(&d, dcat::DOWNLOAD_URL, url_node.clone());
        }
        if let Some(name) = name {
            out.tagged(&d, dct::TITLE, name);
        }
        if let Some(description) = description {
            out.tagged(&d, dct::DESCRIPTION, description);
        }
        let format = v::format_of(protocol, url_node.as_str()).or_else(|| {
            (access == v::Access::Download)
                .then(|| declared_format.and_then(v::format_by_name))
                .flatten()
        });
        match format {
            Some(f) => {
                out.iri(&d, dct::FORMAT, &format!("{}{}", v::FILE_TYPE, f.code));
                if let Some(media) = f.media_type {
                    out.iri(
                        &d,
                        dcat::MEDIA_TYPE,
                        &format!("{}{media}", v::IANA_MEDIA_TYPES),
                    );
                }
            }
            None => {
                if let Some(name) = declared_format.filter(|_| access == v::Access::Download) {
                    let extent = out.blank(&d, dct::FORMAT, v::DCT_MEDIA_TYPE_OR_EXTENT);
                    out.text(&extent, v::RDFS_LABEL, name);
                }
            }
        }
        for licence in &rights.licences {
            out.iri(&d, dct::LICENSE, licence);
        }
        for statement in &rights.statements {
            let s = out.blank(&d, dct::RIGHTS, v::DCT_RIGHTS_STATEMENT);
            out.tagged(&s, v::RDFS_LABEL, statement);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_typed_or_dropped() {
        assert_eq!(
            date_literal("2023-02-01").map(|l| l.datatype().as_str().to_owned()),
            Some(xsd::DATE.to_owned())
        );
        assert!(date_literal("2023-02-01T10:00:00").is_some());
        assert!(date_literal("2023").is_some());
        assert!(date_literal("2023-13-45").is_none());
        assert!(date_literal("inconnue").is_none());
        assert!(date_literal("").is_none());
    }

    #[test]
    fn iris_are_checked_and_repaired() {
        assert!(checked_iri("https://a.fr/x y").is_some());
        assert!(checked_iri("www.a.fr").is_none());
        assert!(checked_iri("mailto:a@b").is_none());
    }
}
