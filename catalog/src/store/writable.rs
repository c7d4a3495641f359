//! The last check before a triple is serialized: which triples a format can write.
//!
//! Harvested terms are stored as they came, and a harvester bug (or a store written by
//! other means) can leave an IRI such as `http://x> <http://y> "forged" .\n<http://z`,
//! which a line-based syntax would write as extra triples. And RDF/XML cannot write every
//! valid triple: a predicate must split into a namespace and an XML name, and must not be
//! one of the syntax terms (`rdf:about`…); text must hold only XML characters.
//!
//! Invariants:
//! - Every writer of exports ([`super::ExportWriter`]) asks [`writable`] first; a triple it
//!   refuses is skipped and counted, never written in part.
//! - Every IRI written is a valid absolute IRI (RFC 3987), every blank node label a valid
//!   label, every language tag a valid BCP 47 tag.

use oxigraph::model::{
    BlankNodeRef, Literal, NamedNodeRef, NamedOrBlankNodeRef, TermRef, TripleRef,
};

use super::ExportFormat;
use crate::vocab::rdf;

/// RDF/XML syntax terms, which cannot be written as a predicate (or as a typed element).
const RDF_XML_SYNTAX_TERMS: [&str; 9] = [
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#Description",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#li",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#RDF",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#ID",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#about",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#parseType",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#resource",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#nodeID",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#datatype",
];

/// The namespace of XML namespace declarations: never an element name of ours.
const XMLNS_NAMESPACE: &str = "http://www.w3.org/2000/xmlns/";

/// Returns true when `triple` can be written in `format` as it is.
pub(crate) fn writable(format: ExportFormat, triple: TripleRef<'_>) -> bool {
    let terms_valid =
        subject_valid(triple.subject) && iri_valid(triple.predicate) && term_valid(triple.object);
    terms_valid && (format != ExportFormat::RdfXml || rdf_xml_writable(triple))
}

fn iri_valid(iri: NamedNodeRef<'_>) -> bool {
    NamedNodeRef::new(iri.as_str()).is_ok()
}

fn blank_node_valid(node: BlankNodeRef<'_>) -> bool {
    BlankNodeRef::new(node.as_str()).is_ok()
}

fn subject_valid(subject: NamedOrBlankNodeRef<'_>) -> bool {
    match subject {
        NamedOrBlankNodeRef::NamedNode(n) => iri_valid(n),
        NamedOrBlankNodeRef::BlankNode(b) => blank_node_valid(b),
    }
}

/// Returns true when `term` can be written by any syntax as it is: a valid IRI, blank
/// node label, or literal with a valid language tag or datatype IRI. SPARQL results use it
/// too.
pub fn writable_term(term: TermRef<'_>) -> bool {
    term_valid(term)
}

fn term_valid(term: TermRef<'_>) -> bool {
    match term {
        TermRef::NamedNode(n) => iri_valid(n),
        TermRef::BlankNode(b) => blank_node_valid(b),
        TermRef::Literal(l) => match l.language() {
            Some(language) => Literal::new_language_tagged_literal("", language).is_ok(),
            None => iri_valid(l.datatype()),
        },
    }
}

/// RDF/XML: the predicate (and a type written as the element name) must be an XML
/// qualified name, and text and attributes XML characters only.
fn rdf_xml_writable(triple: TripleRef<'_>) -> bool {
    if !element_name_writable(triple.predicate.as_str()) {
        return false;
    }
    // The serializer writes the first `rdf:type` of a subject as the element's name.
    if triple.predicate.as_str() == rdf::TYPE {
        if let TermRef::NamedNode(class) = triple.object {
            let class = class.as_str();
            if !RDF_XML_SYNTAX_TERMS.contains(&class) && !element_name_writable(class) {
                return false;
            }
        }
    }
    match triple.object {
        TermRef::Literal(l) => l.value().chars().all(is_xml_char),
        TermRef::NamedNode(_) | TermRef::BlankNode(_) => true,
    }
}

fn element_name_writable(iri: &str) -> bool {
    if RDF_XML_SYNTAX_TERMS.contains(&iri) {
        return false;
    }
    let (namespace, local) = split_qname(iri);
    !local.is_empty() && namespace != XMLNS_NAMESPACE
}

/// Splits `iri` into a namespace and the longest XML name that ends it (empty when none
/// does), as the RDF/XML serializer does.
fn split_qname(iri: &str) -> (&str, &str) {
    let Some(last_non_name) = iri.rfind(|c| !is_name_char(c) || c == ':') else {
        return (iri, "");
    };
    match iri[last_non_name..].find(|c| is_name_start_char(c) && c != ':') {
        Some(offset) => iri.split_at(last_non_name + offset),
        None => (iri, ""),
    }
}

/// XML 1.0 `NameStartChar`.
fn is_name_start_char(c: char) -> bool {
    matches!(c,
        ':' | 'A'..='Z' | '_' | 'a'..='z'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}'
        | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

/// XML 1.0 `NameChar`.
fn is_name_char(c: char) -> bool {
    is_name_start_char(c)
        || matches!(c,
            '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// XML 1.0 `Char`: what a document may hold at all, even escaped.
fn is_xml_char(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::{BlankNode, NamedNode, Triple};

    fn triple(s: &str, p: &str, o: TermRef<'_>) -> Triple {
        Triple::new(
            NamedNode::new_unchecked(s),
            NamedNode::new_unchecked(p),
            o.into_owned(),
        )
    }

    #[test]
    fn qnames_split_as_the_serializer_does() {
        assert_eq!(
            split_qname("http://purl.org/dc/terms/title"),
            ("http://purl.org/dc/terms/", "title")
        );
        assert_eq!(
            split_qname("http://ex.org/p/123"),
            ("http://ex.org/p/123", "")
        );
        assert_eq!(
            split_qname("http://ex.org/p/a1"),
            ("http://ex.org/p/", "a1")
        );
        assert_eq!(split_qname("urn:isbn:foo"), ("urn:isbn:", "foo"));
    }

    #[test]
    fn rdf_xml_refuses_what_it_cannot_write() {
        let o = NamedNode::new_unchecked("http://ex.org/o");
        let ok = triple("http://ex.org/s", "http://ex.org/ns#p", o.as_ref().into());
        assert!(writable(ExportFormat::RdfXml, ok.as_ref()));
        for predicate in [
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#about",
            "http://ex.org/p/123",
            "http://ex.org/p/",
            "http://www.w3.org/2000/xmlns/x",
        ] {
            let t = triple("http://ex.org/s", predicate, o.as_ref().into());
            assert!(!writable(ExportFormat::RdfXml, t.as_ref()), "{predicate}");
            assert!(writable(ExportFormat::Turtle, t.as_ref()), "{predicate}");
        }
        let typed = triple(
            "http://ex.org/s",
            rdf::TYPE,
            NamedNode::new_unchecked("http://ex.org/class/42")
                .as_ref()
                .into(),
        );
        assert!(!writable(ExportFormat::RdfXml, typed.as_ref()));
        let control = Literal::new_simple_literal("a\u{1}b");
        let t = triple(
            "http://ex.org/s",
            "http://ex.org/ns#p",
            control.as_ref().into(),
        );
        assert!(!writable(ExportFormat::RdfXml, t.as_ref()));
        assert!(writable(ExportFormat::NTriples, t.as_ref()));
    }

    #[test]
    fn invalid_terms_are_refused_by_every_format() {
        let forged =
            NamedNode::new_unchecked("http://x.org/a> <http://x.org/p> \"f\" .\n<http://x.org/b");
        let o = NamedNode::new_unchecked("http://ex.org/o");
        let cases = [
            Triple::new(
                forged.clone(),
                NamedNode::new_unchecked("http://ex.org/p"),
                o.clone(),
            ),
            Triple::new(o.clone(), forged.clone(), o.clone()),
            Triple::new(
                o.clone(),
                NamedNode::new_unchecked("http://ex.org/p"),
                forged.clone(),
            ),
            Triple::new(
                BlankNode::new_unchecked("a b"),
                NamedNode::new_unchecked("http://ex.org/p"),
                o.clone(),
            ),
            Triple::new(
                o.clone(),
                NamedNode::new_unchecked("http://ex.org/p"),
                Literal::new_language_tagged_literal_unchecked("x", "fr\" .\n<a> <b> <c"),
            ),
            Triple::new(
                o.clone(),
                NamedNode::new_unchecked("http://ex.org/p"),
                Literal::new_typed_literal("1", NamedNode::new_unchecked("bad iri")),
            ),
        ];
        for format in [
            ExportFormat::Turtle,
            ExportFormat::NTriples,
            ExportFormat::RdfXml,
            ExportFormat::JsonLd,
        ] {
            for t in &cases {
                assert!(!writable(format, t.as_ref()), "{format:?} {t}");
            }
        }
    }
}
