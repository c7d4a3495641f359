//! The vocabulary of the ISO 19139 mapping: IRIs the catalog's `vocab` does not hold, and
//! the code tables (frequencies, languages, INSPIRE themes, licences, access rights,
//! formats) from ISO codes and French free text to EU and IANA IRIs.

pub(crate) const DCT_ALTERNATIVE: &str = "http://purl.org/dc/terms/alternative";
pub(crate) const DCT_CREATED: &str = "http://purl.org/dc/terms/created";
pub(crate) const DCT_RIGHTS_HOLDER: &str = "http://purl.org/dc/terms/rightsHolder";
pub(crate) const DCT_LOCATION: &str = "http://purl.org/dc/terms/Location";
pub(crate) const DCT_PERIOD_OF_TIME: &str = "http://purl.org/dc/terms/PeriodOfTime";
pub(crate) const DCT_STANDARD: &str = "http://purl.org/dc/terms/Standard";
pub(crate) const DCT_RIGHTS_STATEMENT: &str = "http://purl.org/dc/terms/RightsStatement";
pub(crate) const DCT_MEDIA_TYPE_OR_EXTENT: &str = "http://purl.org/dc/terms/MediaTypeOrExtent";
pub(crate) const PROVENANCE_STATEMENT: &str = "http://purl.org/dc/terms/ProvenanceStatement";
pub(crate) const RDFS_LABEL: &str = "http://www.w3.org/2000/01/rdf-schema#label";
pub(crate) const DCAT_IN_SERIES: &str = "http://www.w3.org/ns/dcat#inSeries";
pub(crate) const DCAT_SERVES_DATASET: &str = "http://www.w3.org/ns/dcat#servesDataset";
pub(crate) const DCAT_ENDPOINT_DESCRIPTION: &str = "http://www.w3.org/ns/dcat#endpointDescription";
pub(crate) const FOAF_DEPICTION: &str = "http://xmlns.com/foaf/0.1/depiction";
pub(crate) const FOAF_PAGE: &str = "http://xmlns.com/foaf/0.1/page";
pub(crate) const FOAF_AGENT: &str = "http://xmlns.com/foaf/0.1/Agent";
pub(crate) const FOAF_ORGANIZATION: &str = "http://xmlns.com/foaf/0.1/Organization";
pub(crate) const FOAF_PERSON: &str = "http://xmlns.com/foaf/0.1/Person";
pub(crate) const FOAF_MBOX: &str = "http://xmlns.com/foaf/0.1/mbox";
pub(crate) const VCARD_ORGANIZATION: &str = "http://www.w3.org/2006/vcard/ns#Organization";
pub(crate) const VCARD_INDIVIDUAL: &str = "http://www.w3.org/2006/vcard/ns#Individual";
pub(crate) const VCARD_HAS_URL: &str = "http://www.w3.org/2006/vcard/ns#hasURL";
pub(crate) const LOCN_GEOMETRY: &str = "http://www.w3.org/ns/locn#geometry";
pub(crate) const GSP_WKT: &str = "http://www.opengis.net/ont/geosparql#wktLiteral";
pub(crate) const GSP_GEOJSON: &str = "http://www.opengis.net/ont/geosparql#geoJSONLiteral";
pub(crate) const GEODCAT_TOPIC_CATEGORY: &str = "http://data.europa.eu/930/topicCategory";
pub(crate) const GEODCAT_REFERENCE_SYSTEM: &str = "http://data.europa.eu/930/referenceSystem";
pub(crate) const GEODCAT_CUSTODIAN: &str = "http://data.europa.eu/930/custodian";
pub(crate) const GEODCAT_DISTRIBUTOR: &str = "http://data.europa.eu/930/distributor";
pub(crate) const GEODCAT_ORIGINATOR: &str = "http://data.europa.eu/930/originator";
pub(crate) const GEODCAT_PRINCIPAL_INVESTIGATOR: &str =
    "http://data.europa.eu/930/principalInvestigator";
pub(crate) const GEODCAT_PROCESSOR: &str = "http://data.europa.eu/930/processor";
pub(crate) const GEODCAT_RESOURCE_PROVIDER: &str = "http://data.europa.eu/930/resourceProvider";
pub(crate) const GEODCAT_USER: &str = "http://data.europa.eu/930/user";
pub(crate) const TOPIC_CATEGORY: &str =
    "http://inspire.ec.europa.eu/metadata-codelist/TopicCategory/";
pub(crate) const FILE_TYPE: &str = "http://publications.europa.eu/resource/authority/file-type/";
pub(crate) const IANA_MEDIA_TYPES: &str = "https://www.iana.org/assignments/media-types/";
pub(crate) const ISO_19139_STANDARD: &str = "http://www.isotc211.org/2005/gmd";
const FREQUENCY: &str = "http://publications.europa.eu/resource/authority/frequency/";
const LANGUAGE: &str = "http://publications.europa.eu/resource/authority/language/";
const ACCESS_RIGHT: &str = "http://publications.europa.eu/resource/authority/access-right/";
const INSPIRE_THEME: &str = "http://inspire.ec.europa.eu/theme/";
const INSPIRE_LIMITATIONS: &str =
    "http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/";

/// ISO `MD_MaintenanceFrequencyCode` → EU frequency IRI.
pub(crate) fn frequency(code: &str) -> Option<String> {
    let eu = match code {
        "continual" => "UPDATE_CONT",
        "daily" => "DAILY",
        "weekly" => "WEEKLY",
        "fortnightly" => "BIWEEKLY",
        "monthly" => "MONTHLY",
        "quarterly" => "QUARTERLY",
        "biannually" => "ANNUAL_2",
        "annually" => "ANNUAL",
        "asNeeded" | "irregular" => "IRREG",
        "notPlanned" => "NEVER",
        "unknown" => "UNKNOWN",
        _ => return None,
    };
    Some(format!("{FREQUENCY}{eu}"))
}

/// An ISO 639-2 (B or T) or 639-1 code → (BCP 47 tag, EU language IRI).
pub(crate) fn language(code: &str) -> Option<(&'static str, String)> {
    let (tag, eu) = match code.trim().to_ascii_lowercase().as_str() {
        "fre" | "fra" | "fr" => ("fr", "FRA"),
        "eng" | "en" => ("en", "ENG"),
        "ger" | "deu" | "de" => ("de", "DEU"),
        "spa" | "es" => ("es", "SPA"),
        "ita" | "it" => ("it", "ITA"),
        "dut" | "nld" | "nl" => ("nl", "NLD"),
        "por" | "pt" => ("pt", "POR"),
        "bre" | "br" => ("br", "BRE"),
        "oci" | "oc" => ("oc", "OCI"),
        "cat" | "ca" => ("ca", "CAT"),
        "cos" | "co" => ("co", "COS"),
        "baq" | "eus" | "eu" => ("eu", "EUS"),
        _ => return None,
    };
    Some((tag, format!("{LANGUAGE}{eu}")))
}

/// An EPSG code in a reference system text (`EPSG:2154`, `2154`, `RGF93 / Lambert-93
/// (EPSG:2154)`, `urn:ogc:def:crs:EPSG::4326`) → its OGC IRI.
pub(crate) fn epsg_iri(text: &str) -> Option<String> {
    let t = text.trim();
    let digits = if let Some(at) = t.to_ascii_uppercase().rfind("EPSG") {
        t[at + 4..]
            .trim_start_matches(|c: char| !c.is_ascii_digit())
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
    } else if t.chars().all(|c| c.is_ascii_digit()) {
        t.to_owned()
    } else {
        return None;
    };
    (!digits.is_empty() && digits.len() <= 6)
        .then(|| format!("http://www.opengis.net/def/crs/EPSG/0/{digits}"))
}

/// Lowercase ASCII letters and digits of `text`, accents folded.
pub(crate) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        let folded = match c {
            'à' | 'â' | 'ä' | 'á' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' => 'i',
            'ô' | 'ö' | 'ó' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            'ç' => 'c',
            'œ' => {
                out.push_str("oe");
                continue;
            }
            c if c.is_ascii_alphanumeric() => c,
            _ => continue,
        };
        out.push(folded);
    }
    out
}

/// The 34 INSPIRE themes: code, English label, French label.
const INSPIRE_THEMES: [(&str, &str, &str); 34] = [
    ("ac", "Atmospheric conditions", "Conditions atmosphériques"),
    ("ad", "Addresses", "Adresses"),
    (
        "af",
        "Agricultural and aquaculture facilities",
        "Installations agricoles et aquacoles",
    ),
    (
        "am",
        "Area management/restriction/regulation zones and reporting units",
        "Zones de gestion, de restriction ou de réglementation et unités de déclaration",
    ),
    ("au", "Administrative units", "Unités administratives"),
    ("br", "Bio-geographical regions", "Régions biogéographiques"),
    ("bu", "Buildings", "Bâtiments"),
    ("cp", "Cadastral parcels", "Parcelles cadastrales"),
    (
        "ef",
        "Environmental monitoring facilities",
        "Installations de suivi environnemental",
    ),
    ("el", "Elevation", "Altitude"),
    ("er", "Energy resources", "Sources d'énergie"),
    ("ge", "Geology", "Géologie"),
    (
        "gg",
        "Geographical grid systems",
        "Systèmes de maillage géographique",
    ),
    ("gn", "Geographical names", "Dénominations géographiques"),
    ("hb", "Habitats and biotopes", "Habitats et biotopes"),
    (
        "hh",
        "Human health and safety",
        "Santé et sécurité des personnes",
    ),
    ("hy", "Hydrography", "Hydrographie"),
    ("lc", "Land cover", "Occupation des terres"),
    ("lu", "Land use", "Usage des sols"),
    (
        "mf",
        "Meteorological geographical features",
        "Caractéristiques géographiques météorologiques",
    ),
    ("mr", "Mineral resources", "Ressources minérales"),
    ("nz", "Natural risk zones", "Zones à risque naturel"),
    (
        "of",
        "Oceanographic geographical features",
        "Caractéristiques géographiques océanographiques",
    ),
    ("oi", "Orthoimagery", "Ortho-imagerie"),
    (
        "pd",
        "Population distribution — demography",
        "Répartition de la population — démographie",
    ),
    (
        "pf",
        "Production and industrial facilities",
        "Lieux de production et sites industriels",
    ),
    ("ps", "Protected sites", "Sites protégés"),
    (
        "rs",
        "Coordinate reference systems",
        "Référentiels de coordonnées",
    ),
    ("sd", "Species distribution", "Répartition des espèces"),
    ("so", "Soil", "Sols"),
    ("sr", "Sea regions", "Régions maritimes"),
    ("su", "Statistical units", "Unités statistiques"),
    ("tn", "Transport networks", "Réseaux de transport"),
    (
        "us",
        "Utility and governmental services",
        "Services d'utilité publique et services publics",
    ),
];

/// Whether a thesaurus (title, anchor) is the GEMET INSPIRE themes thesaurus.
pub(crate) fn is_inspire_theme_thesaurus(title: &str, href: Option<&str>) -> bool {
    if href.is_some_and(|h| {
        h.trim_end_matches('/')
            .ends_with("inspire.ec.europa.eu/theme")
    }) {
        return true;
    }
    let f = fold(title);
    f.contains("inspire") && (f.contains("theme") || f.contains("themes"))
}

/// An INSPIRE theme label (English or French) → its theme IRI.
pub(crate) fn inspire_theme(label: &str) -> Option<String> {
    let f = fold(label);
    INSPIRE_THEMES
        .iter()
        .find(|(_, en, fr)| fold(en) == f || fold(fr) == f)
        .map(|(code, _, _)| format!("{INSPIRE_THEME}{code}"))
}

/// A constraint (anchor, text) that states the access conditions → EU access-right IRI
/// (or the INSPIRE `LimitationsOnPublicAccess` IRI for the article 13 exceptions).
pub(crate) fn access_right(href: Option<&str>, text: &str) -> Option<String> {
    if let Some(code) = href.and_then(|h| h.strip_prefix(INSPIRE_LIMITATIONS)) {
        return Some(if code == "noLimitations" {
            format!("{ACCESS_RIGHT}PUBLIC")
        } else {
            format!("{INSPIRE_LIMITATIONS}{code}")
        });
    }
    let f = fold(text);
    let public = [
        "pasderestrictiondaccespublic",
        "aucunerestrictiondaccespublic",
        "nolimitationsonpublicaccess",
        "nolimitationstopublicaccess",
        "pasderestrictionsdaccespublic",
    ];
    if public.iter().any(|p| f.contains(p)) || f == "nolimitations" || f == "aucunerestriction" {
        return Some(format!("{ACCESS_RIGHT}PUBLIC"));
    }
    if f.starts_with("l1241") || f.contains("article131") || f.contains("inspiredirectivearticle13")
    {
        return Some(format!("{ACCESS_RIGHT}RESTRICTED"));
    }
    None
}

/// A use constraint (anchor, text) naming a licence Moisson recognizes → its IRI
/// ([`moisson_catalog::licences::canonical_iri`]).
pub(crate) fn licence(href: Option<&str>, text: &str) -> Option<String> {
    moisson_catalog::licences::canonical_iri(href, text)
}

/// How an online resource is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// An OGC / ATOM service endpoint.
    Service,
    /// A file to download.
    Download,
    /// Some other access (accessURL only).
    Other,
    /// A documentation or information page (`foaf:page`, not a distribution).
    Page,
    /// The record's page in its catalogue (`dcat:landingPage`).
    Landing,
}

impl Access {
    /// Whether the resource is a service endpoint.
    pub(crate) fn is_service(self) -> bool {
        self == Self::Service
    }
}

/// A file type (EU file-type code) and its IANA media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Format {
    /// EU file-type code.
    pub(crate) code: &'static str,
    /// IANA media type, when there is one.
    pub(crate) media_type: Option<&'static str>,
}

const fn format(code: &'static str, media_type: Option<&'static str>) -> Format {
    Format { code, media_type }
}

fn service_kind(protocol: &str, url: &str) -> Option<&'static str> {
    let p = protocol.to_ascii_lowercase();
    let u = url.to_ascii_lowercase();
    for (needle, code) in [
        ("wmts", "WMTS_SRVC"),
        ("wms", "WMS_SRVC"),
        ("wfs", "WFS_SRVC"),
        ("wcs", "WCS_SRVC"),
    ] {
        if p.contains(needle) || u.contains(&format!("service={needle}")) {
            return Some(code);
        }
    }
    if p.contains("atom") || u.ends_with(".atom") || u.contains("atom.xml") {
        return Some("ATOM");
    }
    None
}

/// Classifies an online resource from its protocol, URL and `CI_OnLineFunctionCode`.
pub(crate) fn classify_access(protocol: &str, url: &str, function: &str) -> Access {
    let lower = url.to_ascii_lowercase();
    // GeoNetwork pages of the record itself, often labelled as downloads.
    if lower.contains("catalog.search#/metadata/")
        || lower.contains("/catalogue/srv/") && lower.contains("/metadata/")
    {
        return Access::Landing;
    }
    if lower.contains("request=getrecordbyid") {
        return Access::Page;
    }
    if service_kind(protocol, url).is_some() || protocol.to_ascii_lowercase().contains("ogc:") {
        return Access::Service;
    }
    let p = protocol.to_ascii_lowercase();
    if p.contains("download")
        || matches!(function, "download" | "offlineAccess" | "order")
        || extension_format(url).is_some()
    {
        return Access::Download;
    }
    if matches!(function, "information" | "search" | "browseGraphic") || p.starts_with("www:link") {
        return Access::Page;
    }
    Access::Other
}

fn extension_format(url: &str) -> Option<Format> {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or(url)
        .to_ascii_lowercase();
    let ext = path.rsplit_once('.').map(|(_, e)| e)?;
    if ext.contains('/') {
        return None;
    }
    format_by_name(ext)
}

/// The format of a resource from its protocol (services) or its URL's extension.
pub(crate) fn format_of(protocol: &str, url: &str) -> Option<Format> {
    match service_kind(protocol, url) {
        Some("ATOM") => Some(format("ATOM", Some("application/atom+xml"))),
        Some(code) => Some(format(code, None)),
        None => extension_format(url),
    }
}

/// A format name (`ESRI Shapefile`, `GeoJSON`, `csv`…) or file extension → its format
/// ([`moisson_catalog::formats`], the table quality and search read too); names that only
/// start like a known one (`SHP (zip)`, `csv;charset=utf-8`) count as it.
pub(crate) fn format_by_name(name: &str) -> Option<Format> {
    if let Some(f) = moisson_catalog::formats::recognise(name) {
        return Some(format(f.code, f.media_type));
    }
    let f = fold(name);
    let code = match f.as_str() {
        _ if f.starts_with("shp") || f.starts_with("esrishape") => "SHP",
        _ if f.starts_with("geojson") => "GEOJSON",
        _ if f.starts_with("csv") => "CSV",
        _ if f.starts_with("geopackage") || f.starts_with("gpkg") => "GPKG",
        _ => return None,
    };
    moisson_catalog::formats::by_code(code).map(|f| format(f.code, f.media_type))
}

#[cfg(test)]
mod tests {
    use super::*;
    use moisson_catalog::licences::{ETALAB_1_0, ETALAB_2_0, ODBL};

    #[test]
    fn themes_match_french_and_english_labels() {
        assert_eq!(
            inspire_theme("Zones à risque naturel").as_deref(),
            Some("http://inspire.ec.europa.eu/theme/nz")
        );
        assert_eq!(
            inspire_theme("Usage des sols").as_deref(),
            Some("http://inspire.ec.europa.eu/theme/lu")
        );
        assert_eq!(
            inspire_theme("Hydrography").as_deref(),
            Some("http://inspire.ec.europa.eu/theme/hy")
        );
        assert_eq!(inspire_theme("Urbanisme"), None);
        assert!(is_inspire_theme_thesaurus(
            "GEMET - INSPIRE themes, version 1.0",
            None
        ));
        assert!(!is_inspire_theme_thesaurus("GEMET", None));
    }

    #[test]
    fn licences_and_access_rights_are_recognized() {
        assert_eq!(
            licence(None, "Licence Ouverte version 2.0").as_deref(),
            Some(ETALAB_2_0)
        );
        assert_eq!(
            licence(None, "Licence ouverte / Open licence v1.0").as_deref(),
            Some(ETALAB_1_0)
        );
        assert_eq!(licence(None, "ODbL").as_deref(), Some(ODBL));
        assert_eq!(
            licence(None, "CC-BY 4.0").as_deref(),
            Some("https://creativecommons.org/licenses/by/4.0/")
        );
        assert_eq!(licence(None, "Pas de condition d'utilisation"), None);
        assert_eq!(
            access_right(Some("http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/noLimitations"), "x").as_deref(),
            Some("http://publications.europa.eu/resource/authority/access-right/PUBLIC")
        );
        assert!(access_right(None, "Pas de restriction d'accès public selon INSPIRE").is_some());
        assert_eq!(access_right(None, "Usage libre"), None);
    }

    #[test]
    fn codes_map_to_eu_iris() {
        assert_eq!(
            frequency("asNeeded").as_deref(),
            Some("http://publications.europa.eu/resource/authority/frequency/IRREG")
        );
        assert_eq!(frequency("bogus"), None);
        assert_eq!(language("fre").map(|l| l.0), Some("fr"));
        assert_eq!(
            epsg_iri("RGF93 / Lambert-93 (EPSG:2154)").as_deref(),
            Some("http://www.opengis.net/def/crs/EPSG/0/2154")
        );
        assert_eq!(epsg_iri("Lambert 93"), None);
    }

    #[test]
    fn resources_are_classified() {
        assert_eq!(
            classify_access("OGC:WMS", "https://a/wms?", ""),
            Access::Service
        );
        assert_eq!(
            classify_access("WWW:DOWNLOAD-1.0-http--download", "https://a/x", ""),
            Access::Download
        );
        assert_eq!(
            classify_access("WWW:LINK", "https://a/x.zip", "information"),
            Access::Download
        );
        assert_eq!(
            classify_access("WWW:LINK", "https://a/page", "information"),
            Access::Page
        );
        assert_eq!(classify_access("", "https://a/page", ""), Access::Other);
        assert_eq!(classify_access("WWW:DOWNLOAD-1.0-http--download", "http://catalogue.geo-ide.e2.rie.gouv.fr/catalogue/srv/fre/catalog.search#/metadata/x", ""), Access::Landing);
        assert_eq!(classify_access("WWW:DOWNLOAD-1.0-http--download", "https://ogc.geo-ide.developpement-durable.gouv.fr/csw/all-dataset?REQUEST=GetRecordById&ID=x", ""), Access::Page);
        assert_eq!(
            format_of("OGC:WFS", "https://a/wfs").map(|f| f.code),
            Some("WFS_SRVC")
        );
        assert_eq!(
            format_of("", "https://a/b/c.geojson?x=1").map(|f| f.code),
            Some("GEOJSON")
        );
        assert_eq!(
            format_by_name("ESRI Shapefile").map(|f| f.code),
            Some("SHP")
        );
    }
}
