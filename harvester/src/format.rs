//! Which RDF serialization a page is in: from `Content-Type`, else by sniffing its first
//! bytes, else from the URL's extension.

use oxigraph::io::{JsonLdProfileSet, RdfFormat};

/// Why a page's format could not be recognized.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FormatError {
    /// The server sent an HTML page instead of RDF.
    #[error("the server answered an html page, not rdf (content-type {0})")]
    Html(String),
    /// An XML document that is not RDF/XML (a CSW answer, an OWS exception report…).
    #[error("xml document with root element <{0}> is not rdf/xml")]
    NotRdfXml(String),
    /// Nothing says what the page is.
    #[error("unrecognized document format (content-type {0})")]
    Unknown(String),
}

fn json_ld() -> RdfFormat {
    RdfFormat::JsonLd {
        profile: JsonLdProfileSet::empty(),
    }
}

/// Returns the format of a page from its `content_type`, first bytes `head` and `url`.
pub fn detect(
    content_type: Option<&str>,
    head: &[u8],
    url: &str,
) -> Result<RdfFormat, FormatError> {
    let mime = content_type
        .and_then(|c| c.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let declared = match mime.as_str() {
        "text/turtle" | "application/x-turtle" | "application/turtle" => Some(RdfFormat::Turtle),
        "application/n-triples" => Some(RdfFormat::NTriples),
        "application/n-quads" => Some(RdfFormat::NQuads),
        "application/trig" => Some(RdfFormat::TriG),
        "application/rdf+xml" => Some(RdfFormat::RdfXml),
        "application/ld+json" => Some(json_ld()),
        _ => None,
    };
    let sniffed = sniff(head);
    match (declared, sniffed) {
        // A declared RDF type wins unless the body is plainly something else.
        (_, Some(Sniffed::Html)) => Err(FormatError::Html(mime)),
        (Some(RdfFormat::RdfXml) | None, Some(Sniffed::OtherXml(root))) => {
            Err(FormatError::NotRdfXml(root))
        }
        (Some(d), _) => Ok(d),
        (None, Some(Sniffed::Rdf(f))) => Ok(f),
        (None, None) => from_extension(url).ok_or(FormatError::Unknown(if mime.is_empty() {
            "none".into()
        } else {
            mime
        })),
    }
}

enum Sniffed {
    Rdf(RdfFormat),
    Html,
    OtherXml(String),
}

/// Returns the name of the first element of an XML text (after declarations and comments).
fn root_element(text: &str) -> String {
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        if after.starts_with('?') || after.starts_with('!') {
            rest = after;
            continue;
        }
        return after
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
            .collect();
    }
    "?".into()
}

fn sniff(head: &[u8]) -> Option<Sniffed> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let text =
        String::from_utf8_lossy(&head[start..head.len().min(start + 4096)]).to_ascii_lowercase();
    match text.as_bytes().first()? {
        b'{' | b'[' => Some(Sniffed::Rdf(json_ld())),
        b'<' => {
            let second = text.as_bytes().get(1).copied().unwrap_or(b' ');
            if !(second.is_ascii_alphabetic() || second == b'?' || second == b'!')
                || text.starts_with("<http")
                || text.starts_with("<urn:")
            {
                // `<http://…> <…> …` lines: N-Triples is a subset of Turtle.
                Some(Sniffed::Rdf(RdfFormat::Turtle))
            } else if text.contains("<rdf:rdf") || text.contains("rdf-syntax-ns#") {
                Some(Sniffed::Rdf(RdfFormat::RdfXml))
            } else if text.starts_with("<!doctype html") || text.contains("<html") {
                Some(Sniffed::Html)
            } else {
                Some(Sniffed::OtherXml(root_element(&text)))
            }
        }
        b'@' | b'#' | b'_' => Some(Sniffed::Rdf(RdfFormat::Turtle)),
        _ if text.starts_with("prefix") || text.starts_with("base") => {
            Some(Sniffed::Rdf(RdfFormat::Turtle))
        }
        _ => None,
    }
}

fn from_extension(url: &str) -> Option<RdfFormat> {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or(url)
        .to_ascii_lowercase();
    let ext = path.rsplit('.').next()?;
    match ext {
        "ttl" => Some(RdfFormat::Turtle),
        "nt" => Some(RdfFormat::NTriples),
        "rdf" | "xml" | "owl" => Some(RdfFormat::RdfXml),
        "jsonld" | "json" => Some(json_ld()),
        _ => None,
    }
}

/// Returns true when the document starting with `head` is a CSW response or a bare
/// ISO 19139 record, told by its root element (a CSW answer in DCAT holds `rdf:RDF`
/// blocks, which RDF sniffing would take for an RDF/XML document).
pub fn is_csw_document(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let mut rest = text.as_ref();
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        if after.starts_with('?') || after.starts_with('!') {
            rest = after;
            continue;
        }
        let name: String = after
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
            .collect();
        let local = name.rsplit(':').next().unwrap_or_default();
        return matches!(
            local,
            "GetRecordsResponse" | "GetRecordByIdResponse" | "MD_Metadata" | "MI_Metadata"
        );
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_from_content_type_then_body_then_extension() {
        assert_eq!(
            detect(Some("text/turtle; charset=utf-8"), b"", "x").ok(),
            Some(RdfFormat::Turtle)
        );
        assert_eq!(
            detect(
                Some("application/octet-stream"),
                b"\xEF\xBB\xBF <?xml version='1.0'?><rdf:RDF>",
                "x"
            )
            .ok(),
            Some(RdfFormat::RdfXml)
        );
        assert_eq!(
            detect(None, b"  {\"@context\": {}}", "x").ok(),
            Some(json_ld())
        );
        assert_eq!(
            detect(Some("text/plain"), b"@prefix dcat: <x> .", "x").ok(),
            Some(RdfFormat::Turtle)
        );
        assert_eq!(
            detect(None, b"", "http://a/b/catalog.ttl?page=2").ok(),
            Some(RdfFormat::Turtle)
        );
        assert!(matches!(
            detect(Some("text/html"), b"<!DOCTYPE html><html>", "x"),
            Err(FormatError::Html(_))
        ));
        assert!(matches!(
            detect(
                Some("application/rdf+xml"),
                b"<html><body>error</body></html>",
                "x"
            ),
            Err(FormatError::Html(_))
        ));
        assert!(matches!(
            detect(None, b"", "http://a/b"),
            Err(FormatError::Unknown(_))
        ));
        assert!(
            matches!(detect(Some("application/xml"), b"<ows:ExceptionReport version=\"1.0\">", "x"), Err(FormatError::NotRdfXml(r)) if r == "ows:exceptionreport")
        );
        assert_eq!(
            detect(None, b"<http://a> <http://b> <http://c> .", "x").ok(),
            Some(RdfFormat::Turtle)
        );
    }
}
