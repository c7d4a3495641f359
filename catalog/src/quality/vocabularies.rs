//! Controlled vocabularies the indicators look values up in: EU file types and IANA media
//! types (with the MQA non-proprietary and machine-readable flags), known licences, EU
//! access rights and frequencies, placeholder e-mail addresses.
//!
//! Tables are small and kept here as data; a value outside them is "unknown", never an
//! error.

/// Prefix of the EU file-type table.
pub(crate) const EU_FILE_TYPE: &str = "http://publications.europa.eu/resource/authority/file-type/";
/// Prefix of the EU access-right table.
pub(crate) const EU_ACCESS_RIGHT: &str =
    "http://publications.europa.eu/resource/authority/access-right/";
/// Prefix of the EU frequency table.
pub(crate) const EU_FREQUENCY: &str = "http://publications.europa.eu/resource/authority/frequency/";
/// Prefix of the EU licence table.
const IANA_PREFIXES: [&str; 2] = [
    "https://www.iana.org/assignments/media-types/",
    "http://www.iana.org/assignments/media-types/",
];

/// What the MQA lists say about one format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FormatFacts {
    /// Canonical EU file-type code (`CSV`, `SHP`…).
    pub(crate) code: &'static str,
    pub(crate) non_proprietary: bool,
    pub(crate) machine_readable: bool,
}

/// (code, non-proprietary, machine-readable, aliases: free text and media types).
#[rustfmt::skip]
const FORMATS: &[(&str, bool, bool, &[&str])] = &[
    ("CSV", true, true, &["csv", "text/csv", "comma separated values"]),
    ("TSV", true, true, &["tsv", "text/tab-separated-values"]),
    ("JSON", true, true, &["json", "application/json"]),
    ("JSON_LD", true, true, &["json-ld", "jsonld", "application/ld+json"]),
    ("GEOJSON", true, true, &["geojson", "application/geo+json", "application/vnd.geo+json"]),
    ("XML", true, true, &["xml", "application/xml", "text/xml"]),
    ("RDF_XML", true, true, &["rdf", "rdf/xml", "rdf+xml", "application/rdf+xml"]),
    ("RDF_TURTLE", true, true, &["ttl", "turtle", "text/turtle"]),
    ("RDF_N_TRIPLES", true, true, &["nt", "n-triples", "application/n-triples"]),
    ("GML", true, true, &["gml", "application/gml+xml"]),
    ("GPKG", true, true, &["gpkg", "geopackage", "application/geopackage+sqlite3"]),
    ("KML", true, true, &["kml", "application/vnd.google-earth.kml+xml"]),
    ("KMZ", true, true, &["kmz", "application/vnd.google-earth.kmz"]),
    ("SHP", true, true, &["shp", "shape", "shapefile", "esri shapefile", "shapefile (zip)", "x-shapefile"]),
    ("ODS", true, true, &["ods", "application/vnd.oasis.opendocument.spreadsheet"]),
    ("NETCDF", true, true, &["netcdf", "nc", "application/x-netcdf"]),
    ("PARQUET", true, true, &["parquet", "application/vnd.apache.parquet"]),
    ("GEOTIFF", true, true, &["geotiff", "image/tiff; application=geotiff"]),
    ("WFS_SRVC", true, true, &["wfs", "ogc:wfs", "ogc:wfs-1.0.0-http-get-capabilities", "ogc:wfs-2.0.0"]),
    ("WCS_SRVC", true, true, &["wcs", "ogc:wcs"]),
    ("WMS_SRVC", true, false, &["wms", "ogc:wms", "ogc:wms-1.1.1-http-get-map", "ogc:wms-1.3.0-http-get-map"]),
    ("WMTS_SRVC", true, false, &["wmts", "ogc:wmts"]),
    ("ZIP", true, false, &["zip", "application/zip", "application/x-zip-compressed"]),
    ("PDF", true, false, &["pdf", "application/pdf"]),
    ("HTML", true, false, &["html", "text/html"]),
    // An ISO 19139 protocol for a web page, not a file format: it proves nothing open.
    ("WWW_LINK", false, false, &["www:link", "www:link-1.0-http--link", "www:link-1.0-http--related"]),
    ("TXT", true, false, &["txt", "text/plain"]),
    ("ODT", true, false, &["odt", "application/vnd.oasis.opendocument.text"]),
    ("PNG", true, false, &["png", "image/png"]),
    ("JPEG", true, false, &["jpeg", "jpg", "image/jpeg"]),
    ("TIFF", true, false, &["tiff", "tif", "image/tiff"]),
    ("XLS", false, true, &["xls", "excel", "application/vnd.ms-excel"]),
    ("XLSX", false, true, &["xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]),
    ("MDB", false, true, &["mdb", "access", "application/x-msaccess"]),
    ("GDB", false, true, &["gdb", "filegdb", "esri file geodatabase"]),
    ("DBF", false, true, &["dbf", "application/dbf"]),
    ("MAP_INFO", false, true, &["tab", "mif", "mapinfo", "mif/mid"]),
    ("DWG", false, true, &["dwg", "image/vnd.dwg"]),
    ("DXF", false, true, &["dxf", "image/vnd.dxf"]),
    ("ECW", false, false, &["ecw"]),
    ("DOC", false, false, &["doc", "word", "application/msword"]),
    ("DOCX", false, false, &["docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"]),
    ("PPT", false, false, &["ppt", "application/vnd.ms-powerpoint"]),
];

/// How a format value was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FormatValue {
    /// An IRI of the EU file-type table.
    EuFileType(String),
    /// An IRI of the IANA media-type registry.
    IanaMediaType(String),
    /// Another IRI.
    OtherIri(String),
    /// Free text.
    Text(String),
}

impl FormatValue {
    /// Classifies an IRI (`is_iri`) or literal value.
    pub(crate) fn classify(value: &str, is_iri: bool) -> Self {
        if is_iri {
            if let Some(code) = value.strip_prefix(EU_FILE_TYPE) {
                return Self::EuFileType(code.to_owned());
            }
            for prefix in IANA_PREFIXES {
                if let Some(media_type) = value.strip_prefix(prefix) {
                    return Self::IanaMediaType(media_type.to_ascii_lowercase());
                }
            }
            return Self::OtherIri(value.to_owned());
        }
        Self::Text(value.trim().to_owned())
    }

    /// Returns true when the value comes from a controlled vocabulary.
    pub(crate) fn is_controlled(&self) -> bool {
        match self {
            Self::EuFileType(code) => {
                !code.is_empty()
                    && code
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            }
            Self::IanaMediaType(media_type) => looks_like_media_type(media_type),
            Self::OtherIri(_) | Self::Text(_) => false,
        }
    }

    /// Returns what the MQA lists say about the value, when it is recognised.
    pub(crate) fn facts(&self) -> Option<FormatFacts> {
        let key = match self {
            Self::EuFileType(code) => {
                return FORMATS.iter().find(|f| f.0 == code).map(facts_of);
            }
            Self::IanaMediaType(media_type) => media_type.clone(),
            Self::OtherIri(iri) => iri
                .rsplit(['/', '#'])
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase(),
            Self::Text(text) => text.to_lowercase(),
        };
        let key = key.trim().trim_start_matches('.');
        FORMATS
            .iter()
            .find(|f| f.0.eq_ignore_ascii_case(key) || f.3.contains(&key))
            .map(facts_of)
    }
}

fn facts_of(row: &(&'static str, bool, bool, &[&str])) -> FormatFacts {
    FormatFacts {
        code: row.0,
        non_proprietary: row.1,
        machine_readable: row.2,
    }
}

fn looks_like_media_type(text: &str) -> bool {
    let Some((kind, subtype)) = text.split_once('/') else {
        return false;
    };
    !kind.is_empty() && !subtype.is_empty() && !text.contains(char::is_whitespace)
}

/// Returns true when `iri` is a licence Moisson recognises ([`crate::licences`]).
pub(crate) fn is_known_licence(iri: &str) -> bool {
    crate::licences::recognise(iri).is_some()
}

/// Returns true when `iri` is in the EU access-right table.
pub(crate) fn is_eu_access_right(iri: &str) -> bool {
    matches!(
        iri.strip_prefix(EU_ACCESS_RIGHT),
        Some(
            "PUBLIC"
                | "RESTRICTED"
                | "NON_PUBLIC"
                | "CONFIDENTIAL"
                | "SENSITIVE"
                | "NORMAL"
                | "OP_DATPRO"
        )
    )
}

/// What a declared frequency promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Frequency {
    /// Updated about every this many days.
    Every(i64),
    /// No quantifiable promise (irregular, unknown, never, as needed).
    Unscheduled,
}

/// Returns the promise of a frequency IRI (EU table or Dublin Core Collection
/// frequencies), or `None` when the IRI is not recognised.
pub(crate) fn frequency(iri: &str) -> Option<Frequency> {
    let code = iri
        .strip_prefix(EU_FREQUENCY)
        .or_else(|| iri.strip_prefix("http://purl.org/cld/freq/"))?;
    let days = match code.to_ascii_uppercase().as_str() {
        "CONT" | "UPDATE_CONT" | "CONTINUOUS" | "DAILY" | "DAILY_2" => 1,
        "1MIN" | "5MIN" | "10MIN" | "15MIN" | "30MIN" | "HOURLY" | "BIHOURLY" | "TRIHOURLY"
        | "12HRS" => 1,
        "WEEKLY" | "WEEKLY_2" | "WEEKLY_3" | "THREEWEEKLY" | "SEMIWEEKLY" => 7,
        "BIWEEKLY" => 14,
        "MONTHLY" | "MONTHLY_2" | "MONTHLY_3" | "SEMIMONTHLY" | "THREE_TIMES_A_MONTH" => 31,
        "BIMONTHLY" => 61,
        "QUARTERLY" => 92,
        "ANNUAL_3" | "THREE_TIMES_A_YEAR" => 122,
        "ANNUAL_2" | "SEMIANNUAL" => 183,
        "ANNUAL" => 365,
        "BIENNIAL" => 730,
        "TRIENNIAL" => 1096,
        "QUADRENNIAL" => 1461,
        "QUINQUENNIAL" => 1826,
        "DECENNIAL" => 3653,
        "BIDECENNIAL" => 7305,
        "TRIDECENNIAL" => 10958,
        "IRREG" | "IRREGULAR" | "NEVER" | "UNKNOWN" | "OTHER" | "AS_NEEDED" | "NOT_PLANNED"
        | "OP_DATPRO" => return Some(Frequency::Unscheduled),
        _ => return None,
    };
    Some(Frequency::Every(days))
}

/// Why an e-mail address cannot be used to reach anyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EmailProblem {
    /// Not of the form local@domain.tld.
    Invalid,
    /// A placeholder (example.com, xxx@…, test@…).
    Placeholder,
}

/// Checks an e-mail value (`mailto:` IRI or plain text).
pub(crate) fn check_email(value: &str) -> Result<(), EmailProblem> {
    let address = value.trim();
    let address = address
        .strip_prefix("mailto:")
        .or_else(|| address.strip_prefix("MAILTO:"))
        .unwrap_or(address);
    let address = address.split('?').next().unwrap_or_default().to_lowercase();
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Err(EmailProblem::Invalid);
    };
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    let local_ok =
        !local.is_empty() && !local.contains(char::is_whitespace) && !local.contains('@');
    if !domain_ok || !local_ok {
        return Err(EmailProblem::Invalid);
    }
    const PLACEHOLDER_DOMAINS: [&str; 10] = [
        "example.com",
        "example.org",
        "example.net",
        "example.fr",
        "test.com",
        "test.fr",
        "domaine.fr",
        "domain.com",
        "email.com",
        "exemple.fr",
    ];
    const PLACEHOLDER_LOCALS: [&str; 8] = [
        "xxx",
        "test",
        "todo",
        "a-remplir",
        "aremplir",
        "nom.prenom",
        "prenom.nom",
        "nobody",
    ];
    let label = domain.split('.').next().unwrap_or_default();
    let repeated = |s: &str| s.len() >= 2 && s.chars().all(|c| s.starts_with(c));
    if PLACEHOLDER_DOMAINS.contains(&domain)
        || PLACEHOLDER_LOCALS.contains(&local)
        || repeated(label)
        || repeated(local)
    {
        return Err(EmailProblem::Placeholder);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_recognised_from_iri_media_type_and_text() {
        let csv = FormatValue::classify(&format!("{EU_FILE_TYPE}CSV"), true);
        assert!(csv.is_controlled());
        assert_eq!(csv.facts().map(|f| f.code), Some("CSV"));
        let xlsx = FormatValue::classify("Excel", false);
        assert!(!xlsx.is_controlled());
        let facts = xlsx.facts().expect("excel is known");
        assert!(!facts.non_proprietary && facts.machine_readable);
        let media = FormatValue::classify(
            "https://www.iana.org/assignments/media-types/application/geo+json",
            true,
        );
        assert!(media.is_controlled());
        assert_eq!(media.facts().map(|f| f.code), Some("GEOJSON"));
        // A web-link protocol is not an open format.
        let link = FormatValue::classify("WWW:LINK", false)
            .facts()
            .expect("www:link is known");
        assert!(!link.non_proprietary && !link.machine_readable);
        assert_eq!(
            FormatValue::classify("OGC:WMS", false)
                .facts()
                .map(|f| f.code),
            Some("WMS_SRVC")
        );
        assert_eq!(FormatValue::classify("bizarre", false).facts(), None);
    }

    #[test]
    fn licences_and_access_rights() {
        assert!(is_known_licence(
            "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
        ));
        assert!(is_known_licence(&format!(
            "{}CC_BY_4_0",
            crate::licences::EU_TABLE
        )));
        assert!(!is_known_licence("https://example.org/ma-licence"));
        assert!(is_eu_access_right(&format!("{EU_ACCESS_RIGHT}PUBLIC")));
        assert!(!is_eu_access_right(&format!("{EU_ACCESS_RIGHT}OPEN")));
    }

    #[test]
    fn frequencies() {
        assert_eq!(
            frequency(&format!("{EU_FREQUENCY}WEEKLY")),
            Some(Frequency::Every(7))
        );
        assert_eq!(
            frequency(&format!("{EU_FREQUENCY}IRREG")),
            Some(Frequency::Unscheduled)
        );
        assert_eq!(
            frequency("http://purl.org/cld/freq/monthly"),
            Some(Frequency::Every(31))
        );
        assert_eq!(frequency("https://example.org/f"), None);
    }

    #[test]
    fn emails() {
        assert_eq!(check_email("mailto:sig@ddt-29.gouv.fr"), Ok(()));
        assert_eq!(
            check_email("mailto:contact@example.com"),
            Err(EmailProblem::Placeholder)
        );
        assert_eq!(
            check_email("mailto:xxx@xxx.fr"),
            Err(EmailProblem::Placeholder)
        );
        assert_eq!(check_email("ckan@mtes.fr"), Ok(()));
        assert_eq!(check_email("pas une adresse"), Err(EmailProblem::Invalid));
        assert_eq!(check_email("mailto:a@b"), Err(EmailProblem::Invalid));
    }
}
