//! Repairs a known defect of real RDF/XML catalogues before parsing: IRIs written with
//! spaces in `rdf:about`, `rdf:resource` or `rdf:datatype` (GeoNetwork's DCAT output joins
//! two URLs with a space: `rdf:about="https://…/datasets/ID https://…/resourcesID"`).
//!
//! An IRI cannot hold a space, so the RDF/XML parser drops the whole description and its
//! record is lost. The space is what the producer wrote, so the faithful valid IRI
//! encodes it: spaces inside such a value become `%20` (as the same catalogues already
//! write in `foaf:primaryTopic`), spaces around it are dropped (XML attribute values are
//! often wrapped), and every repair is counted with the offset of the first one so the
//! harvest report says where.
//!
//! The same catalogues write the label of a theme inside the element that gives its IRI
//! (`<dcat:theme rdf:resource="http://inspire…/ef">Environmental monitoring
//! facilities</dcat:theme>`), which RDF/XML forbids: the parser rejects the description
//! and the record is lost again. That text is dropped (the IRI is the statement; the
//! label belongs to the vocabulary) and counted.
//!
//! The reader works on bytes as they stream: only attribute values of those three names
//! inside tags change; text content, comments' text outside tags and every other
//! attribute pass through unchanged. The IRI that results is still checked by the parser
//! like any other.

use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What the repair did, shared with the caller while the parser owns the reader.
#[derive(Debug, Default)]
pub struct Repairs {
    /// IRI values that held spaces.
    count: AtomicU64,
    /// Byte offset (in the original document) of the first such value, plus one (0: none).
    first_offset_plus_one: AtomicU64,
    /// Property elements with `rdf:resource` whose text (a label) was dropped.
    labels: AtomicU64,
}

impl Repairs {
    /// IRI values whose spaces were encoded.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Property elements with `rdf:resource` whose text was dropped.
    pub fn labels(&self) -> u64 {
        self.labels.load(Ordering::Relaxed)
    }

    /// Offset in the original document of the first repaired value.
    pub fn first_offset(&self) -> Option<u64> {
        self.first_offset_plus_one
            .load(Ordering::Relaxed)
            .checked_sub(1)
    }
}

/// Attribute names (after their prefix) whose value is an IRI.
const IRI_ATTRIBUTES: &[&[u8]] = &[b"about", b"resource", b"datatype"];
/// Longest attribute name kept while scanning a tag: longer names are not IRI ones.
const MAX_NAME: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Text,
    /// Inside `<…>`, outside quotes.
    Tag,
    /// Inside a quoted attribute value; `iri` when the attribute is one of ours.
    Value {
        quote: u8,
        iri: bool,
    },
    /// Inside `<!-- … -->`.
    Comment,
    /// Inside `<![CDATA[ … ]]>`.
    CData,
    /// After the start tag of a property element with `rdf:resource`: its text, which
    /// RDF/XML forbids there (GeoNetwork writes the IRI's label), is dropped.
    ResourceText,
}

/// A [`Read`] over RDF/XML that encodes spaces inside IRI attribute values.
pub struct SpacedIriRepair<R> {
    inner: R,
    state: State,
    /// The first bytes after `<`, to recognise comments and CDATA sections.
    tag_start: Vec<u8>,
    /// The name being read in a tag (`rdf:about`), up to `=`.
    name: Vec<u8>,
    /// Whitespace ended `name`: the next name byte starts a new one.
    name_done: bool,
    /// The name before the last `=`, waiting for its quote.
    pending_name: Option<Vec<u8>>,
    /// The tag being read carries an `…:resource` attribute.
    tag_has_resource: bool,
    /// The last byte of the tag that was not a space (`/` in `<a …/>`).
    tag_last: u8,
    /// The last three bytes, for the ends of comments and CDATA sections.
    tail: [u8; 3],
    /// Spaces read inside an IRI value, written as `%20` only if more of it follows.
    held_spaces: usize,
    /// Offset of the first held space.
    held_at: u64,
    /// Whether the IRI value has started (leading spaces are dropped).
    value_started: bool,
    /// Whether the current value already counted as a repair.
    value_repaired: bool,
    /// Offset of the current byte in the original document.
    offset: u64,
    input: Vec<u8>,
    output: Vec<u8>,
    output_at: usize,
    repairs: Arc<Repairs>,
}

fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

impl<R: Read> SpacedIriRepair<R> {
    pub fn new(inner: R) -> (Self, Arc<Repairs>) {
        let repairs = Arc::new(Repairs::default());
        (
            SpacedIriRepair {
                inner,
                state: State::Text,
                tag_start: Vec::with_capacity(8),
                name: Vec::new(),
                name_done: false,
                pending_name: None,
                tag_has_resource: false,
                tag_last: 0,
                tail: [0; 3],
                held_spaces: 0,
                held_at: 0,
                value_started: false,
                value_repaired: false,
                offset: 0,
                input: vec![0; 1 << 16],
                output: Vec::with_capacity(1 << 16),
                output_at: 0,
                repairs: repairs.clone(),
            },
            repairs,
        )
    }

    fn is_iri_attribute(name: &[u8]) -> bool {
        let local = match name.iter().rposition(|b| *b == b':') {
            Some(colon) => &name[colon + 1..],
            None => return false,
        };
        IRI_ATTRIBUTES.contains(&local)
    }

    fn repaired(&mut self, at: u64) {
        if !self.value_repaired {
            self.value_repaired = true;
            self.repairs.count.fetch_add(1, Ordering::Relaxed);
            let _ = self.repairs.first_offset_plus_one.compare_exchange(
                0,
                at + 1,
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        }
    }

    fn step(&mut self, byte: u8) {
        let at = self.offset;
        self.offset += 1;
        self.tail = [self.tail[1], self.tail[2], byte];
        match self.state {
            State::Text | State::ResourceText => {
                if byte == b'<' {
                    self.state = State::Tag;
                    self.tag_start.clear();
                    self.name.clear();
                    self.name_done = false;
                    self.pending_name = None;
                    self.tag_has_resource = false;
                    self.tag_last = 0;
                } else if self.state == State::ResourceText && !is_space(byte) {
                    if !self.value_repaired {
                        self.value_repaired = true;
                        self.repairs.labels.fetch_add(1, Ordering::Relaxed);
                    }
                    return;
                }
                self.output.push(byte);
            }
            State::Comment | State::CData => {
                let end: &[u8; 3] = if self.state == State::Comment {
                    b"-->"
                } else {
                    b"]]>"
                };
                if &self.tail == end {
                    self.state = State::Text;
                }
                self.output.push(byte);
            }
            State::Tag => {
                if self.tag_start.len() < 8 {
                    self.tag_start.push(byte);
                    if self.tag_start == b"!--" {
                        self.state = State::Comment;
                        self.tail = [0; 3];
                    } else if self.tag_start == b"![CDATA[" {
                        self.state = State::CData;
                        self.tail = [0; 3];
                    }
                }
                if self.state == State::Tag {
                    self.tag_byte(byte);
                }
                self.output.push(byte);
            }
            State::Value { quote, iri } => {
                if byte == quote {
                    // Spaces before the closing quote are dropped.
                    if self.held_spaces > 0 {
                        self.repaired(self.held_at);
                    }
                    self.held_spaces = 0;
                    self.state = State::Tag;
                    self.name.clear();
                    self.name_done = false;
                    self.output.push(byte);
                } else if iri && is_space(byte) {
                    if self.value_started {
                        if self.held_spaces == 0 {
                            self.held_at = at;
                        }
                        self.held_spaces += 1;
                    } else {
                        self.repaired(at);
                    }
                } else {
                    if self.held_spaces > 0 {
                        self.repaired(self.held_at);
                        for _ in 0..self.held_spaces {
                            self.output.extend_from_slice(b"%20");
                        }
                        self.held_spaces = 0;
                    }
                    self.value_started = true;
                    self.output.push(byte);
                }
            }
        }
    }

    /// A byte inside a tag, outside quotes: follows attribute names up to their value.
    fn tag_byte(&mut self, byte: u8) {
        if !is_space(byte) && byte != b'>' {
            self.tag_last = byte;
        }
        match byte {
            b'>' => {
                let property_start = self.tag_has_resource
                    && self.tag_last != b'/'
                    && self.tag_start.first() != Some(&b'/');
                self.state = if property_start {
                    self.value_repaired = false;
                    State::ResourceText
                } else {
                    State::Text
                };
            }
            b'"' | b'\'' => {
                let name = self.pending_name.take();
                let iri = name.as_deref().is_some_and(Self::is_iri_attribute);
                if name.is_some_and(|n| n.ends_with(b":resource")) {
                    self.tag_has_resource = true;
                }
                self.state = State::Value { quote: byte, iri };
                self.held_spaces = 0;
                self.value_started = false;
                self.value_repaired = false;
            }
            b'=' => {
                self.pending_name = Some(std::mem::take(&mut self.name));
                self.name_done = false;
            }
            _ if is_space(byte) => self.name_done = true,
            _ => {
                // `name = x` without quotes is not XML: forget the name.
                self.pending_name = None;
                let name_byte =
                    byte.is_ascii_alphanumeric() || matches!(byte, b':' | b'_' | b'-' | b'.');
                if !name_byte || self.name_done || self.name.len() >= MAX_NAME {
                    self.name.clear();
                    self.name_done = false;
                }
                if name_byte {
                    self.name.push(byte);
                }
            }
        }
    }
}

impl<R: Read> Read for SpacedIriRepair<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.output_at >= self.output.len() {
            self.output.clear();
            self.output_at = 0;
            let n = self.inner.read(&mut self.input)?;
            if n == 0 {
                return Ok(0);
            }
            let mut i = 0;
            while i < n {
                if self.state == State::Text {
                    // Text runs to the next tag unchanged: copy it whole.
                    let run = self.input[i..n]
                        .iter()
                        .position(|b| *b == b'<')
                        .unwrap_or(n - i);
                    self.output.extend_from_slice(&self.input[i..i + run]);
                    self.offset += run as u64;
                    i += run;
                    if i == n {
                        break;
                    }
                }
                let byte = self.input[i];
                self.step(byte);
                i += 1;
            }
        }
        let n = buf.len().min(self.output.len() - self.output_at);
        buf[..n].copy_from_slice(&self.output[self.output_at..self.output_at + n]);
        self.output_at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repair(text: &str) -> (String, u64, Option<u64>) {
        let (mut reader, repairs) = SpacedIriRepair::new(text.as_bytes());
        let mut out = String::new();
        reader.read_to_string(&mut out).unwrap();
        (out, repairs.count(), repairs.first_offset())
    }

    #[test]
    fn spaces_inside_iri_attributes_are_encoded_and_around_them_dropped() {
        let (out, count, first) =
            repair(r#"<rdf:Description rdf:about="https://a.example/x https://b.example/y"/>"#);
        assert_eq!(
            out,
            r#"<rdf:Description rdf:about="https://a.example/x%20https://b.example/y"/>"#
        );
        assert_eq!(count, 1);
        assert_eq!(first, Some(47));
        let (out, count, _) = repair("<a  x:resource = '\n  http://a.example/z  ' />");
        assert_eq!(out, "<a  x:resource = 'http://a.example/z' />");
        assert_eq!(count, 1);
    }

    #[test]
    fn text_other_attributes_and_clean_documents_pass_unchanged() {
        let clean = concat!(
            r#"<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">"#,
            r#"<d rdf:about="http://a.example/x" title="deux mots"><t>rdf:about="a b"</t>"#,
            r#"<u xml:lang='fr'>a > b "c d"</u><!-- l'IRI x:about="a b" --><v><![CDATA[<w y:resource="a b">]]></v></d></rdf:RDF>"#
        );
        let (out, count, first) = repair(clean);
        assert_eq!(out, clean);
        assert_eq!((count, first), (0, None));
    }

    #[test]
    fn labels_inside_resource_elements_are_dropped_and_counted() {
        // Their spaces stay: text made of spaces alone is allowed there.
        let text = concat!(
            r#"<d><t rdf:resource="http://i.example/ef">Environmental monitoring</t>"#,
            r#"<u rdf:resource="http://i.example/hb"/><v>texte gardé</v>"#,
            r#"<w rdf:resource="http://i.example/x">  </w></d>"#
        );
        let (mut reader, repairs) = SpacedIriRepair::new(text.as_bytes());
        let mut out = String::new();
        reader.read_to_string(&mut out).unwrap();
        assert_eq!(
            out,
            concat!(
                r#"<d><t rdf:resource="http://i.example/ef"> </t>"#,
                r#"<u rdf:resource="http://i.example/hb"/><v>texte gardé</v>"#,
                r#"<w rdf:resource="http://i.example/x">  </w></d>"#
            )
        );
        assert_eq!((repairs.labels(), repairs.count()), (1, 0));
    }

    #[test]
    fn values_split_across_reads_are_repaired_the_same() {
        struct OneByte<'a>(&'a [u8]);
        impl Read for OneByte<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0.is_empty() || buf.is_empty() {
                    return Ok(0);
                }
                buf[0] = self.0[0];
                self.0 = &self.0[1..];
                Ok(1)
            }
        }
        let text = r#"<a rdf:resource="http://a.example/x  y"/><b rdf:about="ok"/>"#;
        let (mut reader, repairs) = SpacedIriRepair::new(OneByte(text.as_bytes()));
        let mut out = String::new();
        reader.read_to_string(&mut out).unwrap();
        assert_eq!(
            out,
            r#"<a rdf:resource="http://a.example/x%20%20y"/><b rdf:about="ok"/>"#
        );
        assert_eq!(repairs.count(), 1);
    }
}
