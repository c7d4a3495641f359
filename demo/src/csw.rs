//! Demo CSW catalogues: deterministic ISO 19139 records served as CSW 2.0.2
//! `GetRecords` responses, the way geo-IDE / GeoNetwork answer them.
//!
//! A [`CswCatalogue`] generates record `i` on request from its seed, so a 50 000-record
//! catalogue costs no memory; [`CswCatalogue::answer`] reads the paging parameters of a
//! GET KVP or POST XML request and writes the page. The server caps pages at
//! [`SERVER_MAX_RECORDS`], as real servers do.

use std::fmt::Write as _;

/// Most records a demo CSW page holds, whatever `maxRecords` asks.
pub const SERVER_MAX_RECORDS: u64 = 100;

/// One demo CSW catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct CswCatalogue {
    /// `[a-z0-9-]+`, also the first segment of the endpoint path (`/{id}/csw`).
    pub id: String,
    /// The publishing organisation, e.g. "DDT de la Dordogne".
    pub name: String,
    /// INSEE code of the département.
    pub territory: String,
    /// Bounding box of the territory: west, east, south, north.
    pub bbox: [f64; 4],
    /// Number of records.
    pub records: u64,
}

/// The demo CSW catalogues of `moisson demo`.
pub fn default_catalogues(records_each: u64) -> Vec<CswCatalogue> {
    vec![
        CswCatalogue {
            id: "geoide-ddt-24".into(),
            name: "DDT de la Dordogne".into(),
            territory: "24".into(),
            bbox: [-0.05, 1.45, 44.57, 45.72],
            records: records_each,
        },
        CswCatalogue {
            id: "geoide-ddtm-80".into(),
            name: "DDTM de la Somme".into(),
            territory: "80".into(),
            bbox: [1.37, 3.21, 49.57, 50.37],
            records: records_each,
        },
    ]
}

const TOPICS: [(&str, &str, &str, &str); 6] = [
    (
        "Plan de prévention des risques d'inondation",
        "Zones à risque naturel",
        "inlandWaters",
        "Risques naturels",
    ),
    (
        "Zonage du plan local d'urbanisme",
        "Usage des sols",
        "planningCadastre",
        "Urbanisme",
    ),
    (
        "Cartes de bruit stratégiques",
        "Santé et sécurité des personnes",
        "environment",
        "Nuisances",
    ),
    (
        "Périmètres des sites Natura 2000",
        "Sites protégés",
        "environment",
        "Biodiversité",
    ),
    (
        "Réseau routier départemental",
        "Réseaux de transport",
        "transportation",
        "Transport",
    ),
    (
        "Cours d'eau et plans d'eau",
        "Hydrographie",
        "inlandWaters",
        "Eau",
    ),
];

const FREQUENCIES: [&str; 4] = ["annually", "asNeeded", "irregular", "monthly"];

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl CswCatalogue {
    /// The endpoint path, `/{id}/csw`.
    pub fn path(&self) -> String {
        format!("/{}/csw", self.id)
    }

    /// The `fileIdentifier` of record `i`.
    pub fn file_identifier(&self, i: u64) -> String {
        format!("fr-120066022-jdd-{}-{i:06}", self.id)
    }

    /// Writes record `i` (0-based) as a `gmd:MD_Metadata` element. `base_url` (ending
    /// with `/`) is used for the online resources.
    pub fn write_record(&self, i: u64, base_url: &str, out: &mut String) {
        let (topic, theme, category, keyword) = TOPICS[(i % TOPICS.len() as u64) as usize];
        let commune = i / TOPICS.len() as u64 + 1;
        let title = format!("{topic} — secteur {commune} ({})", self.territory);
        let [w, e, s, n] = self.bbox;
        let step = (i % 7) as f64 * 0.01;
        let year = 2015 + (i % 10);
        let month = 1 + i % 12;
        let frequency = FREQUENCIES[(i % FREQUENCIES.len() as u64) as usize];
        let id = self.file_identifier(i);
        let org = escape(&self.name);
        let mail = format!("{}@developpement-durable.gouv.fr", self.id);
        let download = format!("{base_url}files/{}/{id}.zip", self.id);
        let wms = format!(
            "{base_url}files/{}/wms?SERVICE=WMS&amp;REQUEST=GetCapabilities",
            self.id
        );
        let broken = if i.is_multiple_of(25) {
            format!(
                "<gmd:onLine><gmd:CI_OnlineResource><gmd:linkage><gmd:URL>{base_url}broken/{id}.csv</gmd:URL></gmd:linkage><gmd:protocol><gco:CharacterString>WWW:DOWNLOAD-1.0-http--download</gco:CharacterString></gmd:protocol></gmd:CI_OnlineResource></gmd:onLine>"
            )
        } else {
            String::new()
        };
        let licence = if i.is_multiple_of(3) {
            "<gmd:otherConstraints><gco:CharacterString>Licence Ouverte version 2.0</gco:CharacterString></gmd:otherConstraints>"
        } else {
            "<gmd:otherConstraints><gmx:Anchor xlink:href=\"http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/noLimitations\">Pas de restriction d'accès public</gmx:Anchor></gmd:otherConstraints>"
        };
        let _ = write!(
            out,
            r#"<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gco="http://www.isotc211.org/2005/gco" xmlns:gmx="http://www.isotc211.org/2005/gmx" xmlns:gml="http://www.opengis.net/gml" xmlns:xlink="http://www.w3.org/1999/xlink">
<gmd:fileIdentifier><gco:CharacterString>{id}</gco:CharacterString></gmd:fileIdentifier>
<gmd:language><gmd:LanguageCode codeList="http://www.loc.gov/standards/iso639-2/" codeListValue="fre">fre</gmd:LanguageCode></gmd:language>
<gmd:hierarchyLevel><gmd:MD_ScopeCode codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#MD_ScopeCode" codeListValue="dataset">dataset</gmd:MD_ScopeCode></gmd:hierarchyLevel>
<gmd:contact><gmd:CI_ResponsibleParty><gmd:organisationName><gco:CharacterString>{org}</gco:CharacterString></gmd:organisationName><gmd:role><gmd:CI_RoleCode codeList="x" codeListValue="pointOfContact"/></gmd:role></gmd:CI_ResponsibleParty></gmd:contact>
<gmd:dateStamp><gco:DateTime>{year}-{month:02}-15T10:00:00</gco:DateTime></gmd:dateStamp>
<gmd:referenceSystemInfo><gmd:MD_ReferenceSystem><gmd:referenceSystemIdentifier><gmd:RS_Identifier><gmd:code><gco:CharacterString>RGF93 / Lambert-93 (EPSG:2154)</gco:CharacterString></gmd:code></gmd:RS_Identifier></gmd:referenceSystemIdentifier></gmd:MD_ReferenceSystem></gmd:referenceSystemInfo>
<gmd:identificationInfo><gmd:MD_DataIdentification>
<gmd:citation><gmd:CI_Citation><gmd:title><gco:CharacterString>{title}</gco:CharacterString></gmd:title>
<gmd:date><gmd:CI_Date><gmd:date><gco:Date>{year}-{month:02}-01</gco:Date></gmd:date><gmd:dateType><gmd:CI_DateTypeCode codeList="x" codeListValue="publication"/></gmd:dateType></gmd:CI_Date></gmd:date>
<gmd:date><gmd:CI_Date><gmd:date><gco:Date>{year}-{month:02}-10</gco:Date></gmd:date><gmd:dateType><gmd:CI_DateTypeCode codeList="x" codeListValue="revision"/></gmd:dateType></gmd:CI_Date></gmd:date>
<gmd:identifier><gmd:MD_Identifier><gmd:code><gco:CharacterString>https://catalogue.geo-ide.developpement-durable.gouv.fr/catalogue/srv/fre/catalog.search#/metadata/{id}</gco:CharacterString></gmd:code></gmd:MD_Identifier></gmd:identifier>
</gmd:CI_Citation></gmd:citation>
<gmd:abstract><gco:CharacterString>{topic} sur le secteur {commune} du département {territory}, produit par la {org}. Données de référence pour l'instruction et l'information du public.</gco:CharacterString></gmd:abstract>
<gmd:pointOfContact><gmd:CI_ResponsibleParty><gmd:organisationName><gco:CharacterString>{org}</gco:CharacterString></gmd:organisationName><gmd:contactInfo><gmd:CI_Contact><gmd:address><gmd:CI_Address><gmd:electronicMailAddress><gco:CharacterString>{mail}</gco:CharacterString></gmd:electronicMailAddress></gmd:CI_Address></gmd:address></gmd:CI_Contact></gmd:contactInfo><gmd:role><gmd:CI_RoleCode codeList="x" codeListValue="pointOfContact"/></gmd:role></gmd:CI_ResponsibleParty></gmd:pointOfContact>
<gmd:pointOfContact><gmd:CI_ResponsibleParty><gmd:organisationName><gco:CharacterString>{org}</gco:CharacterString></gmd:organisationName><gmd:role><gmd:CI_RoleCode codeList="x" codeListValue="publisher"/></gmd:role></gmd:CI_ResponsibleParty></gmd:pointOfContact>
<gmd:resourceMaintenance><gmd:MD_MaintenanceInformation><gmd:maintenanceAndUpdateFrequency><gmd:MD_MaintenanceFrequencyCode codeList="x" codeListValue="{frequency}"/></gmd:maintenanceAndUpdateFrequency></gmd:MD_MaintenanceInformation></gmd:resourceMaintenance>
<gmd:descriptiveKeywords><gmd:MD_Keywords><gmd:keyword><gco:CharacterString>{theme}</gco:CharacterString></gmd:keyword><gmd:thesaurusName><gmd:CI_Citation><gmd:title><gco:CharacterString>GEMET - INSPIRE themes, version 1.0</gco:CharacterString></gmd:title></gmd:CI_Citation></gmd:thesaurusName></gmd:MD_Keywords></gmd:descriptiveKeywords>
<gmd:descriptiveKeywords><gmd:MD_Keywords><gmd:keyword><gco:CharacterString>{keyword}</gco:CharacterString></gmd:keyword><gmd:keyword><gco:CharacterString>données ouvertes</gco:CharacterString></gmd:keyword></gmd:MD_Keywords></gmd:descriptiveKeywords>
<gmd:resourceConstraints><gmd:MD_LegalConstraints><gmd:accessConstraints><gmd:MD_RestrictionCode codeList="x" codeListValue="otherRestrictions"/></gmd:accessConstraints>{licence}</gmd:MD_LegalConstraints></gmd:resourceConstraints>
<gmd:language><gmd:LanguageCode codeList="x" codeListValue="fre">fre</gmd:LanguageCode></gmd:language>
<gmd:topicCategory><gmd:MD_TopicCategoryCode>{category}</gmd:MD_TopicCategoryCode></gmd:topicCategory>
<gmd:extent><gmd:EX_Extent>
<gmd:geographicElement><gmd:EX_GeographicBoundingBox><gmd:westBoundLongitude><gco:Decimal>{w1}</gco:Decimal></gmd:westBoundLongitude><gmd:eastBoundLongitude><gco:Decimal>{e}</gco:Decimal></gmd:eastBoundLongitude><gmd:southBoundLatitude><gco:Decimal>{s1}</gco:Decimal></gmd:southBoundLatitude><gmd:northBoundLatitude><gco:Decimal>{n}</gco:Decimal></gmd:northBoundLatitude></gmd:EX_GeographicBoundingBox></gmd:geographicElement>
<gmd:temporalElement><gmd:EX_TemporalExtent><gmd:extent><gml:TimePeriod gml:id="t{i}"><gml:beginPosition>{year}-01-01</gml:beginPosition><gml:endPosition/></gml:TimePeriod></gmd:extent></gmd:EX_TemporalExtent></gmd:temporalElement>
</gmd:EX_Extent></gmd:extent>
</gmd:MD_DataIdentification></gmd:identificationInfo>
<gmd:distributionInfo><gmd:MD_Distribution>
<gmd:distributionFormat><gmd:MD_Format><gmd:name><gco:CharacterString>ESRI Shapefile</gco:CharacterString></gmd:name><gmd:version gco:nilReason="unknown"/></gmd:MD_Format></gmd:distributionFormat>
<gmd:transferOptions><gmd:MD_DigitalTransferOptions>
<gmd:onLine><gmd:CI_OnlineResource><gmd:linkage><gmd:URL>{download}</gmd:URL></gmd:linkage><gmd:protocol><gco:CharacterString>WWW:DOWNLOAD-1.0-http--download</gco:CharacterString></gmd:protocol><gmd:name><gco:CharacterString>Téléchargement (shapefile zippé)</gco:CharacterString></gmd:name></gmd:CI_OnlineResource></gmd:onLine>
<gmd:onLine><gmd:CI_OnlineResource><gmd:linkage><gmd:URL>{wms}</gmd:URL></gmd:linkage><gmd:protocol><gco:CharacterString>OGC:WMS</gco:CharacterString></gmd:protocol><gmd:name><gco:CharacterString>Visualisation WMS</gco:CharacterString></gmd:name></gmd:CI_OnlineResource></gmd:onLine>{broken}
</gmd:MD_DigitalTransferOptions></gmd:transferOptions>
</gmd:MD_Distribution></gmd:distributionInfo>
<gmd:dataQualityInfo><gmd:DQ_DataQuality><gmd:lineage><gmd:LI_Lineage><gmd:statement><gco:CharacterString>Numérisation à partir des documents approuvés, {year}.</gco:CharacterString></gmd:statement></gmd:LI_Lineage></gmd:lineage></gmd:DQ_DataQuality></gmd:dataQualityInfo>
</gmd:MD_Metadata>
"#,
            territory = self.territory,
            w1 = w + step,
            s1 = s + step,
        );
    }

    /// Writes the `GetRecords` response of the page starting at `start` (1-based) with at
    /// most `max_records` records (capped at [`SERVER_MAX_RECORDS`]).
    pub fn answer(&self, start: u64, max_records: u64, base_url: &str) -> String {
        let start = start.max(1);
        let size = max_records.clamp(1, SERVER_MAX_RECORDS);
        let first = start - 1;
        let end = (first + size).min(self.records);
        let returned = end.saturating_sub(first);
        let next = if end < self.records { end + 1 } else { 0 };
        let mut out = String::with_capacity(8192 * returned as usize + 1024);
        let _ = write!(
            out,
            r#"<?xml version="1.0" encoding="UTF-8"?>
<csw:GetRecordsResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<csw:SearchStatus timestamp="2026-01-01T00:00:00Z"/>
<csw:SearchResults numberOfRecordsMatched="{}" numberOfRecordsReturned="{returned}" elementSet="full" nextRecord="{next}">
"#,
            self.records
        );
        for i in first..end {
            self.write_record(i, base_url, &mut out);
        }
        out.push_str("</csw:SearchResults>\n</csw:GetRecordsResponse>\n");
        out
    }
}

/// Reads `startPosition` and `maxRecords` from a KVP query or a POST XML body
/// (defaults 1 and 10, as in CSW 2.0.2).
pub fn paging_of(query: Option<&str>, body: &str) -> (u64, u64) {
    let mut start = 1;
    let mut max = 10;
    for pair in query.unwrap_or("").split('&') {
        if let Some((k, v)) = pair.split_once('=') {
            if k.eq_ignore_ascii_case("startPosition") {
                start = v.parse().unwrap_or(start);
            } else if k.eq_ignore_ascii_case("maxRecords") {
                max = v.parse().unwrap_or(max);
            }
        }
    }
    let attr = |name: &str| -> Option<u64> {
        let at = body.find(&format!("{name}=\""))? + name.len() + 2;
        let rest = &body[at..];
        rest[..rest.find('"')?].trim().parse().ok()
    };
    (
        attr("startPosition").unwrap_or(start),
        attr("maxRecords").unwrap_or(max),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_the_catalogue() {
        let c = CswCatalogue {
            records: 5,
            ..default_catalogues(5)[0].clone()
        };
        let p1 = c.answer(1, 2, "http://h/");
        assert!(p1.contains("numberOfRecordsReturned=\"2\" elementSet=\"full\" nextRecord=\"3\""));
        assert_eq!(p1.matches("<gmd:MD_Metadata").count(), 2);
        let p3 = c.answer(5, 2, "http://h/");
        assert!(p3.contains("nextRecord=\"0\""));
        assert_eq!(p3.matches("<gmd:MD_Metadata").count(), 1);
        assert_eq!(
            c.answer(9, 2, "http://h/")
                .matches("<gmd:MD_Metadata")
                .count(),
            0
        );
    }

    #[test]
    fn paging_is_read_from_kvp_and_xml() {
        assert_eq!(
            paging_of(Some("startPosition=51&maxRecords=50"), ""),
            (51, 50)
        );
        assert_eq!(
            paging_of(
                None,
                "<csw:GetRecords startPosition=\"3\" maxRecords=\"2\">"
            ),
            (3, 2)
        );
        assert_eq!(paging_of(None, ""), (1, 10));
    }
}
