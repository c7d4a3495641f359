//! One guard for every XML document read from outside (RDF/XML pages, CSW responses and
//! the `rdf:RDF` records inside them, `moisson validate`), run before the document is
//! parsed: element nesting and XML entity expansion ("billion laughs").
//!
//! The document is read with quick-xml, the tokenizer oxigraph's RDF/XML parser is built
//! on, so the guard sees the same events the parser will: a DOCTYPE anywhere in the
//! document, in any case, whatever comments or `]` it holds. oxigraph expands each
//! `<!ENTITY>` of a DOCTYPE when it is declared (finding declarations by splitting the
//! DOCTYPE on `<`, even inside comments); the guard finds them the same way, never expands
//! anything, and computes an upper bound of each expansion:
//! - no entity may expand beyond [`MAX_ENTITY_BYTES`], nor all declarations together beyond
//!   [`MAX_DECLARED_BYTES`] (what the parser holds in memory);
//! - no text or tag may grow, through its entity references, beyond the page's
//!   `max_literal_bytes`, and all references of the document together may not expand
//!   beyond [`MAX_REFERENCE_BYTES`] plus [`REFERENCE_BYTES_PER_BYTE`] bytes per byte read.
//!
//! Elements nested deeper than the page's `max_nesting_depth` are refused too. A refusal
//! names the byte offset of the offending declaration, element or value.

use quick_xml::events::Event;
use std::collections::HashMap;
use std::io::{BufReader, Read};

use crate::limits::ParseLimits;

/// Largest expansion of one entity, in bytes (real documents declare namespace IRIs).
pub const MAX_ENTITY_BYTES: u64 = 64 << 10;
/// Largest total of the expansions of every entity declared in a document.
pub const MAX_DECLARED_BYTES: u64 = 4 << 20;
/// Expansion of entity references a document may always reach, in bytes.
pub const MAX_REFERENCE_BYTES: u64 = 64 << 20;
/// Expansion of entity references allowed per byte of document beyond
/// [`MAX_REFERENCE_BYTES`] (a namespace entity of 40 bytes referenced as `&dcat;` grows
/// about sixfold).
pub const REFERENCE_BYTES_PER_BYTE: u64 = 16;
/// Malformed spots read past before the guard stops; the parser gives up sooner.
const MAX_XML_ERRORS: usize = 2000;

/// Why an XML document was refused: what, and the byte offset where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct XmlRefusal {
    /// What is wrong (lowercase, no trailing period).
    pub message: String,
    /// Byte offset of the offending declaration, element or value.
    pub offset: u64,
}

/// Checks the XML document `reader` against `limits`; see the module documentation.
pub fn check_xml(reader: impl Read, limits: &ParseLimits) -> Result<(), XmlRefusal> {
    let mut xml = quick_xml::Reader::from_reader(BufReader::with_capacity(1 << 16, reader));
    // Only structure matters here: a mismatched end tag still closes one level.
    xml.config_mut().check_end_names = false;
    let mut guard = Guard {
        limits,
        entities: HashMap::new(),
        declared: 0,
        referenced: 0,
    };
    let mut depth = 0usize;
    let mut errors = 0usize;
    let mut buf = Vec::new();
    loop {
        let at = xml.buffer_position();
        let event = xml.read_event_into(&mut buf);
        match event {
            Ok(Event::Start(tag)) => {
                depth += 1;
                if depth > limits.max_nesting_depth {
                    return Err(too_deep(limits, at));
                }
                guard.references(&tag, at, xml.buffer_position())?;
            }
            Ok(Event::Empty(tag)) => {
                if depth + 1 > limits.max_nesting_depth {
                    return Err(too_deep(limits, at));
                }
                guard.references(&tag, at, xml.buffer_position())?;
            }
            Ok(Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(Event::Text(text)) => guard.references(&text, at, xml.buffer_position())?,
            Ok(Event::DocType(doctype)) => {
                // The event holds what follows `<!DOCTYPE ` up to the closing `>`.
                let content_start = xml
                    .buffer_position()
                    .saturating_sub(1 + doctype.len() as u64)
                    .max(at);
                guard.declare(&doctype, content_start)?;
            }
            Ok(Event::Eof) => return Ok(()),
            Ok(_) => {}
            Err(_) => {
                // The parser may read on after a malformed spot: so does the guard, unless
                // the tokenizer cannot move.
                errors += 1;
                if errors > MAX_XML_ERRORS || xml.buffer_position() <= at {
                    return Ok(());
                }
            }
        }
        buf.clear();
    }
}

/// Checks an XML document held in memory.
pub fn check_xml_slice(bytes: &[u8], limits: &ParseLimits) -> Result<(), XmlRefusal> {
    check_xml(bytes, limits)
}

fn too_deep(limits: &ParseLimits, offset: u64) -> XmlRefusal {
    XmlRefusal {
        message: format!(
            "xml elements nested deeper than {} levels (max_nesting_depth): document refused",
            limits.max_nesting_depth
        ),
        offset,
    }
}

struct Guard<'a> {
    limits: &'a ParseLimits,
    /// Upper bound of the expansion of each declared entity, by name.
    entities: HashMap<String, u64>,
    declared: u64,
    referenced: u64,
}

impl Guard<'_> {
    /// Records the entities a DOCTYPE declares (its content starting at byte `start` of
    /// the document), found as oxigraph finds them: after each `<`.
    fn declare(&mut self, doctype: &[u8], start: u64) -> Result<(), XmlRefusal> {
        let mut pieces = doctype.split(|&b| b == b'<');
        let mut at = pieces.next().map_or(0, <[u8]>::len);
        for piece in pieces {
            let offset = start + at as u64;
            at += 1 + piece.len();
            let piece = String::from_utf8_lossy(piece);
            let Some(rest) = piece.strip_prefix("!ENTITY") else {
                continue;
            };
            let rest = rest.trim_start();
            let rest = rest.strip_prefix('%').unwrap_or(rest).trim_start();
            let Some((name, rest)) = rest.split_once(|c: char| c.is_ascii_whitespace()) else {
                continue;
            };
            let rest = rest.trim_start();
            let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
                // An external entity (SYSTEM/PUBLIC): the parser does not load it.
                continue;
            };
            let value = &rest[1..];
            let value = value.split_once(quote).map_or(value, |(v, _)| v);
            let size = self
                .expansion(value.as_bytes())
                .saturating_add(value.len() as u64);
            if size > MAX_ENTITY_BYTES {
                return Err(XmlRefusal {
                    message: format!(
                        "xml entity &{name}; expands to more than {MAX_ENTITY_BYTES} bytes (entity expansion bomb): document refused"
                    ),
                    offset,
                });
            }
            self.declared = self.declared.saturating_add(size);
            if self.declared > MAX_DECLARED_BYTES {
                return Err(XmlRefusal {
                    message: format!(
                        "xml entities declared expand to more than {MAX_DECLARED_BYTES} bytes in all (entity expansion bomb): document refused"
                    ),
                    offset,
                });
            }
            self.entities.insert(name.to_owned(), size);
        }
        Ok(())
    }

    /// Adds the expansion of the entity references of one text or tag (`offset..end`).
    fn references(&mut self, raw: &[u8], offset: u64, end: u64) -> Result<(), XmlRefusal> {
        if self.entities.is_empty() {
            return Ok(());
        }
        let grown = self.expansion(raw);
        if grown > self.limits.max_literal_bytes as u64 {
            return Err(XmlRefusal {
                message: format!(
                    "xml entity references expand one value to more than {} bytes (max_literal_bytes; entity expansion bomb): document refused",
                    self.limits.max_literal_bytes
                ),
                offset,
            });
        }
        self.referenced = self.referenced.saturating_add(grown);
        let allowed =
            MAX_REFERENCE_BYTES.saturating_add(end.saturating_mul(REFERENCE_BYTES_PER_BYTE));
        if self.referenced > allowed {
            return Err(XmlRefusal {
                message: format!(
                    "xml entity references expand to more than {allowed} bytes after {end} bytes of document (entity expansion bomb): document refused"
                ),
                offset,
            });
        }
        Ok(())
    }

    /// Returns the bytes the references to declared entities in `raw` expand to.
    fn expansion(&self, raw: &[u8]) -> u64 {
        let mut total = 0u64;
        let mut rest = raw;
        while let Some(amp) = rest.iter().position(|&b| b == b'&') {
            rest = &rest[amp + 1..];
            let Some(end) = rest
                .iter()
                .position(|&b| b == b';' || b == b'&' || b == b'<' || b.is_ascii_whitespace())
            else {
                break;
            };
            if rest[end] == b';' {
                let name = String::from_utf8_lossy(&rest[..end]);
                if let Some(size) = self.entities.get(name.as_ref()) {
                    total = total.saturating_add(*size);
                }
                rest = &rest[end + 1..];
            } else {
                rest = &rest[end..];
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> ParseLimits {
        ParseLimits::default()
    }

    fn laughs(prolog: &str, doctype: &str, levels: usize) -> String {
        let mut doc = format!(
            "<?xml version=\"1.0\"?>\n{prolog}<{doctype} rdf:RDF [\n<!ENTITY lol0 \"lol\">\n"
        );
        for i in 1..levels {
            let refs = format!("&lol{};", i - 1).repeat(10);
            doc.push_str(&format!("<!ENTITY lol{i} \"{refs}\">\n"));
        }
        doc.push_str(&format!(
            "]>\n<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description rdf:about=\"http://a\"><rdf:value>&lol{};</rdf:value></rdf:Description></rdf:RDF>\n",
            levels - 1
        ));
        doc
    }

    #[test]
    fn billion_laughs_is_refused_at_its_declaration() {
        let doc = laughs("", "!DOCTYPE", 10);
        let err = check_xml_slice(doc.as_bytes(), &limits()).expect_err("bomb");
        assert!(err.message.contains("&lol4;"), "{}", err.message);
        assert_eq!(
            err.offset as usize,
            doc.find("<!ENTITY lol4").expect("declaration")
        );
    }

    #[test]
    fn string_scanner_bypasses_are_closed() {
        // A `]` inside a comment of the DOCTYPE, a lowercase doctype, a DOCTYPE after the
        // root element opened, a declaration inside a comment (oxigraph declares it too).
        for doc in [
            laughs("", "!DOCTYPE", 10).replacen("[\n", "[\n<!-- ] -->\n", 1),
            laughs("", "!doctype", 10),
            laughs("<!-- c -->\n", "!DocType", 10),
            laughs("", "!DOCTYPE", 10)
                .replacen("<!ENTITY lol1", "<!-- <!ENTITY lol1", 1)
                .replacen("]>", "-->]>", 1),
        ] {
            assert!(check_xml_slice(doc.as_bytes(), &limits()).is_err(), "{doc}");
        }
        let late = "<r><x/><!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\"><!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">]></r>";
        assert!(check_xml_slice(late.as_bytes(), &limits()).is_err());
    }

    #[test]
    fn namespace_entities_pass() {
        let doc = "<?xml version=\"1.0\"?>\n<!-- c -->\n<!DOCTYPE rdf:RDF [\n<!ENTITY dcat \"http://www.w3.org/ns/dcat#\">\n<!ENTITY ext SYSTEM \"http://x/y\">\n]>\n<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description rdf:about=\"&dcat;x\"/></rdf:RDF>";
        assert_eq!(check_xml_slice(doc.as_bytes(), &limits()), Ok(()));
        assert_eq!(
            check_xml_slice(laughs("", "!DOCTYPE", 3).as_bytes(), &limits()),
            Ok(())
        );
        assert_eq!(check_xml_slice(b"<rdf:RDF/>", &limits()), Ok(()));
        assert_eq!(check_xml_slice(b"", &limits()), Ok(()));
    }

    #[test]
    fn one_value_may_not_grow_past_the_literal_cap() {
        let big = "x".repeat(60_000);
        let mut doc = format!("<!DOCTYPE r [<!ENTITY big \"{big}\">]><r>");
        doc.push_str(&"&big;".repeat(20));
        doc.push_str("</r>");
        let err = check_xml_slice(doc.as_bytes(), &limits()).expect_err("1.2 MB literal");
        assert!(err.message.contains("max_literal_bytes"), "{}", err.message);
        assert_eq!(err.offset as usize, doc.find("&big;").expect("text"));
    }

    #[test]
    fn many_references_to_a_large_entity_are_refused() {
        let big = "x".repeat(60_000);
        let mut doc = format!("<!DOCTYPE r [<!ENTITY big \"{big}\">]><r>");
        doc.push_str(&"<v>&big;</v>".repeat(2000));
        doc.push_str("</r>");
        let err = check_xml_slice(doc.as_bytes(), &limits()).expect_err("quadratic blowup");
        assert!(err.message.contains("references expand"), "{}", err.message);
    }

    #[test]
    fn many_declarations_are_refused_in_all() {
        let big = "x".repeat(60_000);
        let mut doc = format!("<!DOCTYPE r [<!ENTITY big \"{big}\">");
        for i in 0..100 {
            doc.push_str(&format!("<!ENTITY e{i} \"&big;\">"));
        }
        doc.push_str("]><r/>");
        let err = check_xml_slice(doc.as_bytes(), &limits()).expect_err("declared in all");
        assert!(err.message.contains("in all"), "{}", err.message);
    }

    #[test]
    fn deep_elements_are_refused_where_they_pass_the_limit() {
        let limits = ParseLimits {
            max_nesting_depth: 8,
            ..ParseLimits::default()
        };
        let doc = format!("{}{}", "<a>".repeat(9), "</a>".repeat(9));
        let err = check_xml_slice(doc.as_bytes(), &limits).expect_err("too deep");
        assert_eq!(err.offset, 24);
        let ok = format!("{}<b/>{}", "<a>".repeat(7), "</a>".repeat(7));
        assert_eq!(check_xml_slice(ok.as_bytes(), &limits), Ok(()));
        // Malformed XML is left to the parser to report.
        assert_eq!(check_xml_slice(b"<a><b></a", &limits), Ok(()));
    }
}
