//! Normalized facet values: formats ("SHP", "shapefile", "ESRI Shapefile" → Shapefile, from
//! [`moisson_catalog::formats`]),
//! licences, publisher kinds and freshness bands.

use moisson_catalog::vocab::text::normalize;

/// A normalized value: a stable slug for filters and a French label for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    /// Stable, URL-safe value.
    pub value: String,
    /// Label shown to people.
    pub label: String,
}

impl Normalized {
    fn new(value: &str, label: &str) -> Self {
        Self {
            value: value.to_owned(),
            label: label.to_owned(),
        }
    }
}

/// Returns the normalized format of a distribution's `dct:format` or media type (IRI or
/// free text); unknown formats keep their own spelling, uppercased.
///
/// ```
/// use moisson_search::normalize::format;
/// assert_eq!(format("ESRI Shapefile").label, "Shapefile");
/// assert_eq!(format("http://publications.europa.eu/resource/authority/file-type/SHP").label, "Shapefile");
/// assert_eq!(format("OGC:WMS").value, "wms");
/// ```
pub fn format(raw: &str) -> Normalized {
    if let Some(f) = moisson_catalog::formats::recognise(raw) {
        return Normalized::new(f.facet, f.label);
    }
    let text = last_segment_if_iri(raw.trim());
    let label: String = text.chars().take(40).collect::<String>().to_uppercase();
    let value = slug(&label);
    if value.is_empty() {
        Normalized::new("inconnu", "Inconnu")
    } else {
        Normalized::new(&value, &label)
    }
}

/// Returns the normalized licence of a `dct:license` value (IRI or label).
///
/// ```
/// use moisson_search::normalize::licence;
/// assert_eq!(licence("https://www.etalab.gouv.fr/licence-ouverte-open-licence/").value, "lo-2.0");
/// assert_eq!(licence("http://publications.europa.eu/resource/authority/licence/ODBL").value, "odbl");
/// ```
pub fn licence(raw: &str) -> Normalized {
    match moisson_catalog::licences::recognise(raw) {
        Some(l) => Normalized::new(l.code, l.label),
        None => Normalized::new("autre", "Autre licence"),
    }
}

/// Returns the publisher kind of a source (`DDT`, `DREAL`…) as configured, else the one
/// its publisher's name implies.
pub fn publisher_kind(configured: Option<&str>, publisher: Option<&str>) -> Option<Normalized> {
    if let Some(kind) = configured.filter(|k| !k.trim().is_empty()) {
        return Some(kind_value(kind));
    }
    let name = format!(" {} ", normalize(publisher?));
    let words = |ws: &[&str]| ws.iter().any(|w| name.contains(&format!(" {w} ")));
    let kind = if words(&["ddt", "ddtm", "direction departementale de territoire"]) {
        "DDT"
    } else if words(&[
        "dreal",
        "deal",
        "driea",
        "drieat",
        "direction regionale de environnement",
    ]) {
        "DREAL"
    } else if words(&[
        "commune",
        "ville",
        "mairie",
        "metropole",
        "communaute",
        "agglomeration",
        "conseil departemental",
        "conseil regional",
        "region",
        "departement",
        "syndicat",
        "parc naturel regional",
    ]) {
        "local-authority"
    } else if words(&[
        "ofb",
        "ign",
        "brgm",
        "cerema",
        "ademe",
        "ineri",
        "ifremer",
        "shom",
        "onf",
        "agence",
        "office francai",
        "insee",
        "meteo france",
    ]) {
        "agency"
    } else {
        return None;
    };
    Some(kind_value(kind))
}

fn kind_value(kind: &str) -> Normalized {
    let value = slug(kind);
    let label = match value.as_str() {
        "ddt" => "DDT(M)",
        "dreal" => "DREAL",
        "operator" => "Opérateur",
        "agency" => "Agence, établissement public",
        "local-authority" => "Collectivité",
        _ => kind,
    };
    Normalized::new(&value, label)
}

/// Freshness bands, newest first: (value, label, maximum age in days).
pub const FRESHNESS_BANDS: &[(&str, &str, i64)] = &[
    ("moins-de-1-an", "Mis à jour depuis moins d'un an", 365),
    ("1-a-3-ans", "Mis à jour il y a 1 à 3 ans", 3 * 365),
    ("plus-de-3-ans", "Mis à jour il y a plus de 3 ans", i64::MAX),
];

/// Returns the freshness band of a record modified at `modified` (Unix seconds), seen at
/// `now`; `None` modification date gives the "date inconnue" band.
pub fn freshness(modified: Option<i64>, now: i64) -> Normalized {
    let Some(modified) = modified else {
        return Normalized::new("inconnue", "Date de mise à jour inconnue");
    };
    let age_days = (now - modified).max(0) / 86_400;
    for (value, label, max) in FRESHNESS_BANDS {
        if age_days < *max {
            return Normalized::new(value, label);
        }
    }
    Normalized::new("plus-de-3-ans", "Mis à jour il y a plus de 3 ans")
}

/// Returns the quality band of a score out of 100.
pub fn quality_band(score: f64) -> Normalized {
    match score {
        s if s >= 75.0 => Normalized::new("75-100", "75 à 100"),
        s if s >= 50.0 => Normalized::new("50-75", "50 à 75"),
        s if s >= 25.0 => Normalized::new("25-50", "25 à 50"),
        _ => Normalized::new("0-25", "0 à 25"),
    }
}

/// Parses a metadata date into Unix seconds, accepting exactly what quality accepts
/// ([`moisson_catalog::dates`]).
pub fn parse_date(raw: &str) -> Option<i64> {
    moisson_catalog::dates::parse_timestamp(raw)
}

/// Returns a URL-safe slug: normalized words joined by `-`.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() || c == '.' {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(60).collect()
}

fn last_segment_if_iri(raw: &str) -> String {
    if raw.starts_with("http://") || raw.starts_with("https://") {
        let trimmed = raw.trim_end_matches('/');
        let last = trimmed.rsplit(['/', '#']).next().unwrap_or(trimmed);
        // IANA media type IRIs end with type/subtype: keep both.
        if let Some(rest) = trimmed.split("/media-types/").nth(1) {
            return rest.to_owned();
        }
        return last.to_owned();
    }
    raw.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_from_every_spelling() {
        for raw in ["SHP", "shapefile", "ESRI Shapefile", "x-shapefile"] {
            assert_eq!(format(raw).value, "shapefile", "{raw}");
        }
        assert_eq!(
            format("https://www.iana.org/assignments/media-types/text/csv").value,
            "csv"
        );
        assert_eq!(
            format("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet").value,
            "excel"
        );
        assert_eq!(
            format("http://publications.europa.eu/resource/authority/file-type/WMS_SRVC").value,
            "wms"
        );
        assert_eq!(format("Zarr").label, "ZARR");
        assert_eq!(format("  ").value, "inconnu");
    }

    #[test]
    fn licences() {
        assert_eq!(
            licence("https://spdx.org/licenses/etalab-2.0").value,
            "lo-2.0"
        );
        assert_eq!(
            licence("Licence Ouverte / Open Licence version 2.0").value,
            "lo-2.0"
        );
        assert_eq!(
            licence("http://publications.europa.eu/resource/authority/licence/CC_BY_4_0").value,
            "cc-by"
        );
        assert_eq!(
            licence("https://opendatacommons.org/licenses/odbl/1-0/").value,
            "odbl"
        );
        assert_eq!(licence("propriétaire").value, "autre");
    }

    #[test]
    fn publisher_kinds() {
        assert_eq!(
            publisher_kind(None, Some("DDTM du Finistère"))
                .expect("ddt")
                .value,
            "ddt"
        );
        assert_eq!(
            publisher_kind(None, Some("DREAL Bretagne"))
                .expect("dreal")
                .value,
            "dreal"
        );
        assert_eq!(
            publisher_kind(Some("operator"), None).expect("conf").label,
            "Opérateur"
        );
        assert!(publisher_kind(None, Some("Société X")).is_none());
    }

    #[test]
    fn dates_and_bands() {
        let now = parse_date("2026-10-01").expect("date");
        assert_eq!(
            freshness(parse_date("2026-05-01T10:00:00Z"), now).value,
            "moins-de-1-an"
        );
        assert_eq!(freshness(parse_date("2024-05-01"), now).value, "1-a-3-ans");
        assert_eq!(freshness(parse_date("2012"), now).value, "plus-de-3-ans");
        assert_eq!(freshness(parse_date("n/a"), now).value, "inconnue");
    }
}
