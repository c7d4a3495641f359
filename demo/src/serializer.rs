//! Streaming writers for the four demo serializations.
//!
//! The record generator describes a graph as a sequence of nodes: `begin_node`, then
//! properties (objects of one predicate are emitted consecutively), optionally nested
//! anonymous nodes (`begin_nested` … `end_nested`), then `end_node`. Each format turns
//! that sequence into text as it comes, into an internal buffer that is handed to the
//! caller's writer every [`FLUSH_BYTES`]: a document is never held whole in memory.
//!
//! Invariants: every literal and IRI is escaped for its format, so any string the
//! generator produces (quotes, newlines, `<script>`, `&` in query strings) gives a
//! syntactically valid document; consecutive objects of one predicate are grouped, which
//! JSON-LD requires (a key may appear only once in a node object).

use super::DemoFormat;
use std::fmt::Write as _;
use std::io;

/// Size at which the buffer is handed to the underlying writer.
pub(super) const FLUSH_BYTES: usize = 64 * 1024;

/// A namespace with the prefix the documents declare for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ns {
    Rdf,
    Xsd,
    Dcat,
    Dct,
    Foaf,
    Vcard,
    Hydra,
    Gsp,
    Dcatap,
}

const NAMESPACES: [Ns; 9] = [
    Ns::Rdf,
    Ns::Xsd,
    Ns::Dcat,
    Ns::Dct,
    Ns::Foaf,
    Ns::Vcard,
    Ns::Hydra,
    Ns::Gsp,
    Ns::Dcatap,
];

impl Ns {
    const fn prefix(self) -> &'static str {
        match self {
            Self::Rdf => "rdf",
            Self::Xsd => "xsd",
            Self::Dcat => "dcat",
            Self::Dct => "dct",
            Self::Foaf => "foaf",
            Self::Vcard => "vcard",
            Self::Hydra => "hydra",
            Self::Gsp => "gsp",
            Self::Dcatap => "dcatap",
        }
    }

    const fn iri(self) -> &'static str {
        match self {
            Self::Rdf => "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
            Self::Xsd => "http://www.w3.org/2001/XMLSchema#",
            Self::Dcat => "http://www.w3.org/ns/dcat#",
            Self::Dct => "http://purl.org/dc/terms/",
            Self::Foaf => "http://xmlns.com/foaf/0.1/",
            Self::Vcard => "http://www.w3.org/2006/vcard/ns#",
            Self::Hydra => "http://www.w3.org/ns/hydra/core#",
            Self::Gsp => "http://www.opengis.net/ont/geosparql#",
            Self::Dcatap => "http://data.europa.eu/r5r/",
        }
    }
}

/// A class, predicate or datatype IRI written as namespace + local name, so that each
/// format can print it prefixed (`dct:title`) or in full without a lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Name {
    ns: Ns,
    local: &'static str,
}

impl Name {
    pub(super) const fn new(ns: Ns, local: &'static str) -> Self {
        Self { ns, local }
    }
}

/// The subject of a top-level node.
#[derive(Debug, Clone, Copy)]
pub(super) enum Subject<'a> {
    Iri(&'a str),
    /// A blank node label, `[A-Za-z][A-Za-z0-9]*` (valid in all four formats).
    Blank(&'a str),
}

/// The object of a property.
#[derive(Debug, Clone, Copy)]
pub(super) enum Object<'a> {
    Iri(&'a str),
    Blank(&'a str),
    /// A simple literal (`xsd:string`).
    Plain(&'a str),
    Lang(&'a str, &'static str),
    Typed(&'a str, Name),
}

#[derive(Debug, Default)]
struct Frame {
    /// Predicate of the last property written in this node, if any.
    last: Option<Name>,
    /// Element name to close (RDF/XML).
    class: Option<Name>,
    /// Predicate that introduced this nested node (RDF/XML closes it).
    via: Option<Name>,
    /// The subject as written in N-Triples.
    subject: String,
}

/// A streaming writer for one document in one format.
#[derive(Debug)]
pub(super) struct RdfWriter {
    format: DemoFormat,
    buf: String,
    /// Frames are reused across nodes to avoid allocating per node.
    frames: Vec<Frame>,
    depth: usize,
    nodes: usize,
    anonymous: u64,
}

const RDF_TYPE: Name = Name::new(Ns::Rdf, "type");

impl RdfWriter {
    pub(super) fn new(format: DemoFormat) -> Self {
        let mut writer = Self {
            format,
            buf: String::with_capacity(FLUSH_BYTES + 16 * 1024),
            frames: Vec::new(),
            depth: 0,
            nodes: 0,
            anonymous: 0,
        };
        writer.begin_document();
        writer
    }

    /// Hands the buffer to `out` once it is large enough.
    pub(super) fn flush_if_full<W: io::Write>(&mut self, out: &mut W) -> io::Result<()> {
        if self.buf.len() >= FLUSH_BYTES {
            out.write_all(self.buf.as_bytes())?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Closes the document and writes what is left.
    pub(super) fn finish<W: io::Write>(mut self, out: &mut W) -> io::Result<()> {
        debug_assert_eq!(self.depth, 0, "unclosed node");
        match self.format {
            DemoFormat::Turtle | DemoFormat::NTriples => {}
            DemoFormat::RdfXml => self.buf.push_str("</rdf:RDF>\n"),
            DemoFormat::JsonLd => self.buf.push_str("\n  ]\n}\n"),
        }
        out.write_all(self.buf.as_bytes())?;
        out.flush()
    }

    fn begin_document(&mut self) {
        let buf = &mut self.buf;
        match self.format {
            DemoFormat::NTriples => {}
            DemoFormat::Turtle => {
                for ns in NAMESPACES {
                    let (prefix, iri) = (ns.prefix(), ns.iri());
                    push_fmt(buf, format_args!("@prefix {prefix}: <{iri}> .\n"));
                }
                buf.push('\n');
            }
            DemoFormat::RdfXml => {
                buf.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rdf:RDF");
                for ns in NAMESPACES {
                    let (prefix, iri) = (ns.prefix(), ns.iri());
                    push_fmt(buf, format_args!("\n    xmlns:{prefix}=\"{iri}\""));
                }
                buf.push_str(">\n");
            }
            DemoFormat::JsonLd => {
                // An inline context only: a harvester must never fetch a remote one.
                buf.push_str("{\n  \"@context\": {");
                for (at, ns) in NAMESPACES.into_iter().enumerate() {
                    let separator = if at == 0 { "" } else { "," };
                    let (prefix, iri) = (ns.prefix(), ns.iri());
                    push_fmt(
                        buf,
                        format_args!("{separator}\n    \"{prefix}\": \"{iri}\""),
                    );
                }
                buf.push_str("\n  },\n  \"@graph\": [\n");
            }
        }
    }

    /// Enters a node; its frame's `last` is rdf:type since every node is typed.
    fn push_frame(&mut self, class: Name, via: Option<Name>) -> usize {
        if self.frames.len() == self.depth {
            self.frames.push(Frame::default());
        }
        let frame = &mut self.frames[self.depth];
        self.depth += 1;
        frame.last = Some(RDF_TYPE);
        frame.class = Some(class);
        frame.via = via;
        frame.subject.clear();
        self.depth
    }

    /// Opens a top-level node typed with `classes` (at least one).
    pub(super) fn begin_node(&mut self, subject: Subject<'_>, classes: &[Name]) {
        debug_assert_eq!(self.depth, 0, "top-level nodes do not nest");
        debug_assert!(!classes.is_empty(), "nodes are typed");
        let first_node = self.nodes == 0;
        self.nodes += 1;
        let depth = self.push_frame(classes[0], None);
        let frame = &mut self.frames[depth - 1];
        match subject {
            Subject::Iri(iri) => {
                frame.subject.push('<');
                push_iri(&mut frame.subject, iri);
                frame.subject.push('>');
            }
            Subject::Blank(label) => {
                frame.subject.push_str("_:");
                frame.subject.push_str(label);
            }
        }
        let buf = &mut self.buf;
        match self.format {
            DemoFormat::Turtle => {
                buf.push_str(&frame.subject);
                buf.push_str(" a ");
                push_prefixed_list(buf, classes);
            }
            DemoFormat::NTriples => {
                for class in classes {
                    push_nt_type(buf, &frame.subject, *class);
                }
            }
            DemoFormat::RdfXml => {
                push_qname(buf, classes[0], "  <");
                match subject {
                    Subject::Iri(iri) => {
                        buf.push_str(" rdf:about=\"");
                        push_xml_escaped(buf, iri);
                    }
                    Subject::Blank(label) => {
                        buf.push_str(" rdf:nodeID=\"");
                        buf.push_str(label);
                    }
                }
                buf.push_str("\">\n");
                for class in &classes[1..] {
                    push_fmt(
                        buf,
                        format_args!(
                            "    <rdf:type rdf:resource=\"{}{}\"/>\n",
                            class.ns.iri(),
                            class.local
                        ),
                    );
                }
            }
            DemoFormat::JsonLd => {
                buf.push_str(if first_node { "    {" } else { ",\n    {" });
                push_json_types(buf, classes);
                buf.push_str(", \"@id\": \"");
                match subject {
                    Subject::Iri(iri) => push_json_escaped(buf, iri),
                    Subject::Blank(label) => {
                        buf.push_str("_:");
                        buf.push_str(label);
                    }
                }
                buf.push('"');
            }
        }
    }

    /// Closes the current top-level node.
    pub(super) fn end_node(&mut self) {
        debug_assert_eq!(self.depth, 1, "end_node closes a top-level node");
        self.depth -= 1;
        let frame = &self.frames[self.depth];
        let buf = &mut self.buf;
        match self.format {
            DemoFormat::Turtle => buf.push_str(" .\n\n"),
            DemoFormat::NTriples => {}
            DemoFormat::RdfXml => {
                if let Some(class) = frame.class {
                    push_qname(buf, class, "  </");
                    buf.push_str(">\n");
                }
            }
            DemoFormat::JsonLd => {
                buf.push_str(if frame.last.is_some_and(|last| last != RDF_TYPE) {
                    "]}"
                } else {
                    "}"
                })
            }
        }
    }

    /// Writes the predicate part of a property of the current node, grouping it with the
    /// previous property when both share the predicate (on a new line when `own_line`, so
    /// long link lists stay readable in Turtle). Returns the current depth.
    fn open_property(&mut self, predicate: Name, own_line: bool) -> usize {
        let depth = self.depth;
        let frame = &mut self.frames[depth - 1];
        let same = frame.last == Some(predicate);
        let had_property = frame.last.is_some();
        let had_array = had_property && frame.last != Some(RDF_TYPE);
        frame.last = Some(predicate);
        let buf = &mut self.buf;
        match self.format {
            DemoFormat::Turtle => {
                if same && own_line {
                    buf.push_str(",\n");
                    push_indent(buf, depth + 1);
                } else if same {
                    buf.push_str(", ");
                } else {
                    buf.push_str(" ;\n");
                    push_indent(buf, depth);
                    push_prefixed(buf, predicate);
                    buf.push(' ');
                }
            }
            DemoFormat::JsonLd => {
                if same {
                    buf.push_str(", ");
                } else {
                    buf.push_str(if had_array { "], \"" } else { ", \"" });
                    push_prefixed(buf, predicate);
                    buf.push_str("\": [");
                }
            }
            DemoFormat::NTriples | DemoFormat::RdfXml => {}
        }
        depth
    }

    /// Writes one property of the current node.
    pub(super) fn property(&mut self, predicate: Name, object: Object<'_>) {
        let own_line = matches!(object, Object::Iri(_) | Object::Blank(_));
        let depth = self.open_property(predicate, own_line);
        let subject = &self.frames[depth - 1].subject;
        let buf = &mut self.buf;
        match self.format {
            DemoFormat::Turtle => push_turtle_object(buf, object),
            DemoFormat::NTriples => {
                buf.push_str(subject);
                push_fmt(
                    buf,
                    format_args!(" <{}{}> ", predicate.ns.iri(), predicate.local),
                );
                push_nt_object(buf, object);
                buf.push_str(" .\n");
            }
            DemoFormat::RdfXml => push_xml_property(buf, depth, predicate, object),
            DemoFormat::JsonLd => push_json_object(buf, object),
        }
    }

    /// Opens an anonymous node, object of `predicate` of the current node.
    pub(super) fn begin_nested(&mut self, predicate: Name, class: Name) {
        let depth = self.open_property(predicate, false);
        self.anonymous += 1;
        let label = self.anonymous;
        let parent_subject = std::mem::take(&mut self.frames[depth - 1].subject);
        self.push_frame(class, Some(predicate));
        let frame = &mut self.frames[depth];
        let buf = &mut self.buf;
        match self.format {
            DemoFormat::Turtle => {
                buf.push_str("[ a ");
                push_prefixed(buf, class);
            }
            DemoFormat::NTriples => {
                push_fmt(&mut frame.subject, format_args!("_:n{label}"));
                buf.push_str(&parent_subject);
                push_fmt(
                    buf,
                    format_args!(" <{}{}> ", predicate.ns.iri(), predicate.local),
                );
                buf.push_str(&frame.subject);
                buf.push_str(" .\n");
                push_nt_type(buf, &frame.subject, class);
            }
            DemoFormat::RdfXml => {
                push_indent(buf, xml_property_indent(depth));
                push_qname(buf, predicate, "<");
                buf.push_str(">\n");
                push_indent(buf, xml_property_indent(depth) + 1);
                push_qname(buf, class, "<");
                buf.push_str(">\n");
            }
            DemoFormat::JsonLd => {
                buf.push_str("{\"@type\": \"");
                push_prefixed(buf, class);
                buf.push('"');
            }
        }
        self.frames[depth - 1].subject = parent_subject;
    }

    /// Closes the anonymous node opened last.
    pub(super) fn end_nested(&mut self) {
        debug_assert!(self.depth > 1, "end_nested without begin_nested");
        self.depth -= 1;
        let depth = self.depth;
        let frame = &self.frames[depth];
        let buf = &mut self.buf;
        match self.format {
            DemoFormat::Turtle => buf.push_str(" ]"),
            DemoFormat::NTriples => {}
            DemoFormat::RdfXml => {
                if let (Some(class), Some(via)) = (frame.class, frame.via) {
                    push_indent(buf, xml_property_indent(depth) + 1);
                    push_qname(buf, class, "</");
                    buf.push_str(">\n");
                    push_indent(buf, xml_property_indent(depth));
                    push_qname(buf, via, "</");
                    buf.push_str(">\n");
                }
            }
            DemoFormat::JsonLd => {
                buf.push_str(if frame.last.is_some_and(|last| last != RDF_TYPE) {
                    "]}"
                } else {
                    "}"
                })
            }
        }
    }
}

fn push_fmt(buf: &mut String, args: std::fmt::Arguments<'_>) {
    buf.write_fmt(args)
        .expect("formatting into a String cannot fail");
}

/// RDF/XML nests two elements per level (property, then node): the properties of a node
/// at `depth` are indented by `2 * depth - 1` steps.
fn xml_property_indent(depth: usize) -> usize {
    2 * depth - 1
}

fn push_indent(buf: &mut String, depth: usize) {
    for _ in 0..depth {
        buf.push_str("    ");
    }
}

fn push_prefixed(buf: &mut String, name: Name) {
    buf.push_str(name.ns.prefix());
    buf.push(':');
    buf.push_str(name.local);
}

fn push_prefixed_list(buf: &mut String, names: &[Name]) {
    for (at, name) in names.iter().enumerate() {
        if at > 0 {
            buf.push_str(", ");
        }
        push_prefixed(buf, *name);
    }
}

fn push_qname(buf: &mut String, name: Name, opening: &str) {
    buf.push_str(opening);
    push_prefixed(buf, name);
}

fn push_nt_type(buf: &mut String, subject: &str, class: Name) {
    push_fmt(
        buf,
        format_args!(
            "{subject} <{}type> <{}{}> .\n",
            Ns::Rdf.iri(),
            class.ns.iri(),
            class.local
        ),
    );
}

fn push_json_types(buf: &mut String, classes: &[Name]) {
    buf.push_str("\"@type\": ");
    if let [class] = classes {
        buf.push('"');
        push_prefixed(buf, *class);
        buf.push('"');
        return;
    }
    buf.push('[');
    for (at, class) in classes.iter().enumerate() {
        buf.push_str(if at == 0 { "\"" } else { ", \"" });
        push_prefixed(buf, *class);
        buf.push('"');
    }
    buf.push(']');
}

fn push_turtle_object(buf: &mut String, object: Object<'_>) {
    match object {
        Object::Iri(iri) => {
            buf.push('<');
            push_iri(buf, iri);
            buf.push('>');
        }
        Object::Blank(label) => {
            buf.push_str("_:");
            buf.push_str(label);
        }
        Object::Plain(text) => push_quoted(buf, text),
        Object::Lang(text, lang) => {
            push_quoted(buf, text);
            buf.push('@');
            buf.push_str(lang);
        }
        Object::Typed(text, datatype) => {
            push_quoted(buf, text);
            buf.push_str("^^");
            push_prefixed(buf, datatype);
        }
    }
}

fn push_nt_object(buf: &mut String, object: Object<'_>) {
    match object {
        Object::Iri(iri) => {
            buf.push('<');
            push_iri(buf, iri);
            buf.push('>');
        }
        Object::Typed(text, datatype) => {
            push_quoted(buf, text);
            push_fmt(
                buf,
                format_args!("^^<{}{}>", datatype.ns.iri(), datatype.local),
            );
        }
        Object::Blank(_) | Object::Plain(_) | Object::Lang(..) => push_turtle_object(buf, object),
    }
}

fn push_xml_property(buf: &mut String, depth: usize, predicate: Name, object: Object<'_>) {
    push_indent(buf, xml_property_indent(depth));
    push_qname(buf, predicate, "<");
    let text = match object {
        Object::Iri(iri) => {
            buf.push_str(" rdf:resource=\"");
            push_xml_escaped(buf, iri);
            buf.push_str("\"/>\n");
            return;
        }
        Object::Blank(label) => {
            push_fmt(buf, format_args!(" rdf:nodeID=\"{label}\"/>\n"));
            return;
        }
        Object::Plain(text) => text,
        Object::Lang(text, lang) => {
            push_fmt(buf, format_args!(" xml:lang=\"{lang}\""));
            text
        }
        Object::Typed(text, datatype) => {
            push_fmt(
                buf,
                format_args!(" rdf:datatype=\"{}{}\"", datatype.ns.iri(), datatype.local),
            );
            text
        }
    };
    buf.push('>');
    push_xml_escaped(buf, text);
    push_qname(buf, predicate, "</");
    buf.push_str(">\n");
}

fn push_json_object(buf: &mut String, object: Object<'_>) {
    match object {
        Object::Iri(iri) => {
            buf.push_str("{\"@id\": \"");
            push_json_escaped(buf, iri);
            buf.push_str("\"}");
        }
        Object::Blank(label) => push_fmt(buf, format_args!("{{\"@id\": \"_:{label}\"}}")),
        Object::Plain(text) => {
            buf.push('"');
            push_json_escaped(buf, text);
            buf.push('"');
        }
        Object::Lang(text, lang) => {
            buf.push_str("{\"@value\": \"");
            push_json_escaped(buf, text);
            push_fmt(buf, format_args!("\", \"@language\": \"{lang}\"}}"));
        }
        Object::Typed(text, datatype) => {
            // "@type" first: the JSON-LD 1.1 streaming document form asks for it.
            buf.push_str("{\"@type\": \"");
            push_prefixed(buf, datatype);
            buf.push_str("\", \"@value\": \"");
            push_json_escaped(buf, text);
            buf.push_str("\"}");
        }
    }
}

/// Appends `text` as a Turtle / N-Triples `"…"` string.
fn push_quoted(buf: &mut String, text: &str) {
    buf.push('"');
    if !text
        .bytes()
        .any(|byte| byte < 0x20 || byte == b'"' || byte == b'\\')
    {
        buf.push_str(text);
    } else {
        for ch in text.chars() {
            match ch {
                '"' => buf.push_str("\\\""),
                '\\' => buf.push_str("\\\\"),
                '\n' => buf.push_str("\\n"),
                '\r' => buf.push_str("\\r"),
                '\t' => buf.push_str("\\t"),
                ch if u32::from(ch) < 0x20 => {
                    push_fmt(buf, format_args!("\\u{:04X}", u32::from(ch)))
                }
                ch => buf.push(ch),
            }
        }
    }
    buf.push('"');
}

/// Appends an IRI for `<…>`, percent-encoding the few characters Turtle and N-Triples
/// forbid there (our IRIs never contain them, but `base_url` comes from the caller).
fn push_iri(buf: &mut String, iri: &str) {
    let forbidden = |ch: char| ch <= ' ' || "<>\"{}|^`\\".contains(ch);
    if !iri.contains(forbidden) {
        buf.push_str(iri);
        return;
    }
    for ch in iri.chars() {
        if forbidden(ch) {
            push_fmt(buf, format_args!("%{:02X}", u32::from(ch)));
        } else {
            buf.push(ch);
        }
    }
}

/// Appends `text` escaped for XML character data and double-quoted attributes. Control
/// characters XML 1.0 cannot carry become U+FFFD.
fn push_xml_escaped(buf: &mut String, text: &str) {
    if !text
        .bytes()
        .any(|byte| matches!(byte, b'&' | b'<' | b'>' | b'"') || (byte < 0x20 && byte != b'\n'))
    {
        buf.push_str(text);
        return;
    }
    for ch in text.chars() {
        match ch {
            '&' => buf.push_str("&amp;"),
            '<' => buf.push_str("&lt;"),
            '>' => buf.push_str("&gt;"),
            '"' => buf.push_str("&quot;"),
            '\n' => buf.push('\n'),
            '\t' => buf.push_str("&#9;"),
            '\r' => buf.push_str("&#13;"),
            ch if u32::from(ch) < 0x20 => buf.push('\u{FFFD}'),
            ch => buf.push(ch),
        }
    }
}

/// Appends `text` escaped for the inside of a JSON string.
fn push_json_escaped(buf: &mut String, text: &str) {
    if !text
        .bytes()
        .any(|byte| byte < 0x20 || byte == b'"' || byte == b'\\')
    {
        buf.push_str(text);
        return;
    }
    for ch in text.chars() {
        match ch {
            '"' => buf.push_str("\\\""),
            '\\' => buf.push_str("\\\\"),
            '\n' => buf.push_str("\\n"),
            '\r' => buf.push_str("\\r"),
            '\t' => buf.push_str("\\t"),
            ch if u32::from(ch) < 0x20 => push_fmt(buf, format_args!("\\u{:04x}", u32::from(ch))),
            ch => buf.push(ch),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DCAT_DATASET: Name = Name::new(Ns::Dcat, "Dataset");
    const DCT_TITLE: Name = Name::new(Ns::Dct, "title");
    const DCAT_KEYWORD: Name = Name::new(Ns::Dcat, "keyword");
    const DCAT_CONTACT_POINT: Name = Name::new(Ns::Dcat, "contactPoint");
    const VCARD_KIND: Name = Name::new(Ns::Vcard, "Kind");
    const VCARD_FN: Name = Name::new(Ns::Vcard, "fn");

    fn sample(format: DemoFormat) -> String {
        let mut writer = RdfWriter::new(format);
        writer.begin_node(Subject::Iri("https://x.example.org/jdd/1"), &[DCAT_DATASET]);
        writer.property(DCT_TITLE, Object::Lang("Zones \"humides\"\n<b> & co", "fr"));
        writer.property(DCAT_KEYWORD, Object::Plain("eau"));
        writer.property(DCAT_KEYWORD, Object::Plain("marais"));
        writer.begin_nested(DCAT_CONTACT_POINT, VCARD_KIND);
        writer.property(VCARD_FN, Object::Plain("DDTM"));
        writer.end_nested();
        writer.end_node();
        let mut out = Vec::new();
        writer
            .finish(&mut out)
            .expect("writing to a Vec cannot fail");
        String::from_utf8(out).expect("the writer emits UTF-8")
    }

    #[test]
    fn turtle_groups_objects_and_escapes_strings() {
        let text = sample(DemoFormat::Turtle);
        assert!(text.contains("dcat:keyword \"eau\", \"marais\""), "{text}");
        assert!(
            text.contains(r#""Zones \"humides\"\n<b> & co"@fr"#),
            "{text}"
        );
        assert!(
            text.contains("dcat:contactPoint [ a vcard:Kind ;"),
            "{text}"
        );
    }

    #[test]
    fn ntriples_labels_nested_nodes() {
        let text = sample(DemoFormat::NTriples);
        assert!(text.contains(
            "<https://x.example.org/jdd/1> <http://www.w3.org/ns/dcat#contactPoint> _:n1 .\n"
        ));
        assert!(text.contains("_:n1 <http://www.w3.org/2006/vcard/ns#fn> \"DDTM\" .\n"));
        assert_eq!(text.lines().count(), 7);
    }

    #[test]
    fn rdfxml_escapes_markup() {
        let text = sample(DemoFormat::RdfXml);
        assert!(
            text.contains("Zones &quot;humides&quot;\n&lt;b&gt; &amp; co"),
            "{text}"
        );
        assert!(text.contains("<dcat:Dataset rdf:about=\"https://x.example.org/jdd/1\">"));
        assert!(text.ends_with("</rdf:RDF>\n"));
    }

    #[test]
    fn jsonld_uses_one_key_per_predicate() {
        let text = sample(DemoFormat::JsonLd);
        assert_eq!(text.matches("\"dcat:keyword\"").count(), 1, "{text}");
        assert!(text.contains(r#""Zones \"humides\"\n<b> & co""#), "{text}");
        assert!(text.contains("\"dcat:contactPoint\": [{\"@type\": \"vcard:Kind\""));
    }

    #[test]
    fn iris_are_percent_encoded_when_needed() {
        let mut buf = String::new();
        push_iri(&mut buf, "http://h/a b<c>");
        assert_eq!(buf, "http://h/a%20b%3Cc%3E");
    }
}
