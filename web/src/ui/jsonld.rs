//! schema.org `Dataset` markup of a dataset page, for search engines (Google Dataset
//! Search and others read `<script type="application/ld+json">`).
//!
//! Invariant: the JSON written into the page never contains `<`, `>` or `&` (each is
//! written `\u003c`, `\u003e`, `\u0026`, which JSON parsers read back unchanged), so
//! harvested text can neither close the script element nor start a comment or a tag.

use maud::{html, Markup, PreEscaped};
use moisson_catalog::vocab::Bbox;
use moisson_catalog::DatasetView;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

use crate::api::datasets::DatasetDetail;

/// Most keywords and distributions described: search engines read the first ones only.
const MAX_KEYWORDS: usize = 60;
const MAX_DISTRIBUTIONS: usize = 50;

/// Returns the schema.org description of dataset `d`, whose page is `{base}/jeux-de-donnees/{id}`;
/// `None` for data services, which are not datasets.
pub(crate) fn dataset(
    d: &DatasetDetail,
    base: &str,
    source_names: &BTreeMap<String, String>,
) -> Option<Value> {
    let v = &d.view;
    if v.kind == "service" {
        return None;
    }
    let page = format!("{base}/jeux-de-donnees/{}", v.id);
    let mut out = Map::new();
    out.insert("@context".into(), json!("https://schema.org"));
    out.insert("@type".into(), json!("Dataset"));
    out.insert("@id".into(), json!(page));
    out.insert("url".into(), json!(page));
    let title = v.title.as_deref().unwrap_or("Jeu de données sans titre");
    out.insert("name".into(), json!(title));
    // Search engines want a description; a dataset without one is described by its title.
    out.insert(
        "description".into(),
        json!(v.description.as_deref().unwrap_or(title)),
    );
    let mut identifiers: Vec<&str> = vec![v.iri.as_str()];
    identifiers.extend(
        v.identifiers
            .iter()
            .map(String::as_str)
            .filter(|i| *i != v.iri),
    );
    out.insert("identifier".into(), json!(identifiers));
    if is_web_url(&v.iri) {
        out.insert("sameAs".into(), json!(v.iri));
    }
    if !v.keywords.is_empty() {
        let keywords: Vec<&String> = v.keywords.iter().take(MAX_KEYWORDS).collect();
        out.insert("keywords".into(), json!(keywords));
    }
    if let Some(l) = &v.license {
        out.insert("license".into(), json!(l));
    }
    if let Some(free) = accessible_for_free(v.access_rights.as_deref()) {
        out.insert("isAccessibleForFree".into(), json!(free));
    }
    if let Some(place) = spatial_coverage(d) {
        out.insert("spatialCoverage".into(), place);
    }
    if let Some(t) = temporal_coverage(v) {
        out.insert("temporalCoverage".into(), json!(t));
    }
    if let Some(p) = &v.publisher {
        let mut org = Map::new();
        org.insert("@type".into(), json!("Organization"));
        org.insert("name".into(), json!(p));
        if let Some(iri) = v.publisher_iri.as_deref().filter(|i| is_web_url(i)) {
            org.insert("url".into(), json!(iri));
        }
        out.insert("publisher".into(), Value::Object(org));
    }
    if let Some(m) = &v.modified {
        out.insert("dateModified".into(), json!(m));
    }
    if let Some(i) = &v.issued {
        out.insert("datePublished".into(), json!(i));
    }
    if v.languages.iter().any(|l| is_french(l)) {
        out.insert("inLanguage".into(), json!("fr"));
    }
    let distributions = distributions(v);
    if !distributions.is_empty() {
        out.insert("distribution".into(), Value::Array(distributions));
    }
    let catalogs: Vec<Value> = v
        .sources
        .iter()
        .map(|s| {
            json!({
                "@type": "DataCatalog",
                "name": source_names.get(&s.source).unwrap_or(&s.source),
                "url": format!("{base}/catalogues/{}", s.source),
            })
        })
        .collect();
    if !catalogs.is_empty() {
        out.insert("includedInDataCatalog".into(), Value::Array(catalogs));
    }
    Some(Value::Object(out))
}

/// Returns `value` as a `<script type="application/ld+json">` element (see the module's
/// invariant).
pub(crate) fn script(value: &Value) -> Markup {
    html! {
        script type="application/ld+json" { (PreEscaped(escape_for_script(value))) }
    }
}

/// Writes `value` as JSON in which `<`, `>`, `&`, U+2028 and U+2029 only appear escaped.
fn escape_for_script(value: &Value) -> String {
    let text = value.to_string();
    let mut out = String::with_capacity(text.len() + 16);
    // These characters can only occur inside JSON strings, where `\uXXXX` means the same.
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            other => out.push(other),
        }
    }
    out
}

fn is_web_url(s: &str) -> bool {
    (s.starts_with("http://") || s.starts_with("https://")) && url::Url::parse(s).is_ok()
}

fn is_french(language: &str) -> bool {
    let code = language.rsplit('/').next().unwrap_or(language);
    code.eq_ignore_ascii_case("fra") || code.eq_ignore_ascii_case("fr")
}

/// `dct:accessRights` read as free access: public → true, restricted or non-public →
/// false, nothing said → true (a harvested open-data catalogue), anything else unknown.
fn accessible_for_free(access_rights: Option<&str>) -> Option<bool> {
    let Some(raw) = access_rights else {
        return Some(true);
    };
    let key = raw.rsplit('/').next().unwrap_or(raw).to_lowercase();
    if key.contains("non_public") || key.contains("restricted") || key.contains("restreint") {
        Some(false)
    } else if key == "public"
        || key.contains("aucune restriction")
        || key.contains("pas de restriction")
        || key.contains("no limitation")
    {
        Some(true)
    } else {
        None
    }
}

fn spatial_coverage(d: &DatasetDetail) -> Option<Value> {
    let v = &d.view;
    let bbox = v
        .bboxes
        .iter()
        .chain(v.spatial.iter())
        .find_map(|b| Bbox::parse_literal(b).or_else(|| Bbox::parse_plain(b)));
    let names: Vec<&str> = d
        .classification
        .territories
        .iter()
        .map(|t| t.label.as_str())
        .collect();
    if bbox.is_none() && names.is_empty() {
        return None;
    }
    let mut place = Map::new();
    place.insert("@type".into(), json!("Place"));
    if !names.is_empty() {
        place.insert("name".into(), json!(names.join(", ")));
    }
    if let Some(b) = bbox {
        // schema.org boxes are two "latitude longitude" points: lower, then upper corner.
        place.insert(
            "geo".into(),
            json!({
                "@type": "GeoShape",
                "box": format!("{} {} {} {}", b.south, b.west, b.north, b.east),
            }),
        );
    }
    Some(Value::Object(place))
}

/// An ISO 8601 interval, `..` standing for an open end.
fn temporal_coverage(v: &DatasetView) -> Option<String> {
    match (v.temporal_start.as_deref(), v.temporal_end.as_deref()) {
        (None, None) => None,
        (Some(s), None) => Some(format!("{s}/..")),
        (None, Some(e)) => Some(format!("../{e}")),
        (Some(s), Some(e)) => Some(format!("{s}/{e}")),
    }
}

fn distributions(v: &DatasetView) -> Vec<Value> {
    let mut out = Vec::new();
    for dist in v.distributions.iter().take(MAX_DISTRIBUTIONS) {
        let Some(url) = dist
            .download_urls
            .iter()
            .chain(&dist.access_urls)
            .find(|u| is_web_url(u))
        else {
            continue;
        };
        let mut d = Map::new();
        d.insert("@type".into(), json!("DataDownload"));
        d.insert("contentUrl".into(), json!(url));
        let format = dist
            .media_type
            .as_deref()
            .map(|m| {
                m.rsplit_once("media-types/")
                    .map_or(m, |(_, t)| t)
                    .to_owned()
            })
            .or_else(|| {
                dist.format
                    .as_deref()
                    .map(|f| moisson_search::normalize::format(f).label)
            });
        if let Some(f) = format {
            d.insert("encodingFormat".into(), json!(f));
        }
        if let Some(t) = &dist.title {
            d.insert("name".into(), json!(t));
        }
        if let Some(m) = &dist.modified {
            d.insert("dateModified".into(), json!(m));
        }
        out.push(Value::Object(d));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn harvested_text_cannot_close_the_script() {
        let value = json!({ "name": "</script><script>alert(1)</script> & <!-- \u{2028}" });
        let text = escape_for_script(&value);
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
        assert!(!text.contains('\u{2028}'));
        let back: Value = serde_json::from_str(&text).expect("still JSON");
        assert_eq!(back, value);
    }

    #[test]
    fn access_rights_read_as_free_or_not() {
        assert_eq!(accessible_for_free(None), Some(true));
        assert_eq!(
            accessible_for_free(Some(
                "http://publications.europa.eu/resource/authority/access-right/PUBLIC"
            )),
            Some(true)
        );
        assert_eq!(
            accessible_for_free(Some(
                "http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC"
            )),
            Some(false)
        );
        assert_eq!(accessible_for_free(Some("sur demande")), None);
    }

    #[test]
    fn temporal_coverage_is_an_iso_interval() {
        let mut v = DatasetView {
            temporal_start: Some("2010-01-01".into()),
            ..DatasetView::default()
        };
        assert_eq!(temporal_coverage(&v).as_deref(), Some("2010-01-01/.."));
        v.temporal_end = Some("2020-12-31".into());
        assert_eq!(
            temporal_coverage(&v).as_deref(),
            Some("2010-01-01/2020-12-31")
        );
    }
}
