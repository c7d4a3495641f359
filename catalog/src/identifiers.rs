//! What a `dct:identifier` says about "same dataset", for every crate: the search index
//! merges records on these keys and the quality indicator « Pas de doublon » flags records
//! sharing them, so a dataset page never lists copies next to « Pas de doublon : réussi ».
//!
//! An IRI-shaped identifier (`http`, `https`, `urn`) names the dataset globally, like a
//! record IRI (`iri:` key, trailing slashes ignored); a UUID too, whatever its case or
//! braces (`uuid:` key). Other identifiers only mean something within one publisher: the
//! caller scopes them.

/// Returns the global key of `id` (`iri:…` or `uuid:…`), or `None` for a plain identifier.
///
/// ```
/// use moisson_catalog::identifiers::global_key;
/// assert_eq!(global_key("https://id.example.org/zh/").as_deref(), Some("iri:https://id.example.org/zh"));
/// assert_eq!(global_key("{0F8FAD5B-D9CB-469F-A165-70867728950E}").as_deref(),
///     Some("uuid:0f8fad5b-d9cb-469f-a165-70867728950e"));
/// assert_eq!(global_key("ZH-29"), None);
/// ```
pub fn global_key(id: &str) -> Option<String> {
    let id = id.trim();
    if id.starts_with("http://") || id.starts_with("https://") || id.starts_with("urn:") {
        return Some(format!("iri:{}", id.trim_end_matches('/')));
    }
    let bare = id
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or(id);
    is_uuid(bare).then(|| format!("uuid:{}", bare.to_ascii_lowercase()))
}

/// Returns the key of a record IRI, the same as an identifier holding that IRI.
pub fn record_key(record_iri: &str) -> String {
    format!("iri:{}", record_iri.trim().trim_end_matches('/'))
}

fn is_uuid(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    parts.len() == 5
        && parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
}
