//! Controlled vocabularies the indicators look values up in: EU file types and IANA media
//! types (with the MQA non-proprietary and machine-readable flags), known licences, EU
//! access rights and frequencies, placeholder e-mail addresses.
//!
//! Tables are small and kept here as data; a value outside them is "unknown", never an
//! error.

/// Prefix of the EU file-type table.
pub(crate) use crate::formats::EU_FILE_TYPE;
/// Prefix of the EU access-right table.
pub(crate) const EU_ACCESS_RIGHT: &str =
    "http://publications.europa.eu/resource/authority/access-right/";
/// Prefix of the EU frequency table.
pub(crate) const EU_FREQUENCY: &str = "http://publications.europa.eu/resource/authority/frequency/";
/// IANA media-type registry prefixes.
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

    /// Returns what the MQA lists say about the value, when it is recognised
    /// ([`crate::formats`]).
    pub(crate) fn facts(&self) -> Option<FormatFacts> {
        let found = match self {
            Self::EuFileType(code) => crate::formats::by_code(code),
            Self::IanaMediaType(media_type) => crate::formats::recognise(media_type),
            Self::OtherIri(iri) | Self::Text(iri) => crate::formats::recognise(iri),
        };
        found.map(|f| FormatFacts {
            code: f.code,
            non_proprietary: f.non_proprietary,
            machine_readable: f.machine_readable,
        })
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
