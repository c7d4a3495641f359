//! Streaming reader of a CSW 2.0.2 response: the `csw:SearchResults` counters, an
//! `ows:ExceptionReport`, and the records one at a time.
//!
//! The response is read with quick-xml as a stream of events; only one record is held in
//! memory at a time, as a small element tree (ISO 19139) or as re-serialized RDF/XML bytes
//! (GeoNetwork's DCAT output, one `rdf:RDF` per record). Elements are matched on their
//! local names, so missing, undeclared or unusual namespace prefixes do not matter.
//! Single-byte declared encodings (ISO-8859-1, ISO-8859-15, windows-1252) are transcoded
//! to UTF-8 while reading.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::io::{BufRead, BufReader, Read};

use crate::limits::ParseLimits;

/// Most elements one record may hold.
pub const MAX_RECORD_ELEMENTS: usize = 200_000;
/// Deepest element nesting accepted in a record.
pub const MAX_DEPTH: usize = 256;
/// Most bytes of one RDF/XML record.
pub const MAX_RDF_RECORD_BYTES: usize = 32 << 20;

/// One element of a record, with its local name, attributes (local names) and text.
#[derive(Debug, Clone, Default)]
pub struct Element {
    /// Local name (prefix dropped).
    pub name: String,
    /// Attributes by local name (`xlink:href` is `href`).
    pub attrs: Vec<(String, String)>,
    /// Concatenated character data directly under this element.
    pub text: String,
    /// Child elements in document order.
    pub children: Vec<Element>,
}

impl Element {
    /// Returns the value of the attribute with local name `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Returns the first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Returns the children named `name`.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Follows `path` (local names, `*` for any) and returns the first element reached.
    pub fn at(&self, path: &[&str]) -> Option<&Element> {
        self.all(path).into_iter().next()
    }

    /// Follows `path` (local names, `*` for any) and returns every element reached.
    pub fn all(&self, path: &[&str]) -> Vec<&Element> {
        let mut current = vec![self];
        for step in path {
            current = current
                .into_iter()
                .flat_map(|e| e.children.iter())
                .filter(|c| *step == "*" || c.name == *step)
                .collect();
            if current.is_empty() {
                break;
            }
        }
        current
    }

    /// Returns every descendant named `name` (not descending into matches).
    pub fn descendants<'a>(&'a self, name: &str, out: &mut Vec<&'a Element>) {
        for c in &self.children {
            if c.name == name {
                out.push(c);
            } else {
                c.descendants(name, out);
            }
        }
    }

    /// The text value of an ISO property element: its `gco:CharacterString`, `gmx:Anchor`
    /// or other wrapped value, or its own text when the wrapper is missing. Trimmed; `None`
    /// when empty.
    pub fn value(&self) -> Option<&str> {
        let wrapped = self.children.iter().find_map(|c| match c.name.as_str() {
            "PT_FreeText" => None,
            _ => c
                .attr("codeListValue")
                .and_then(non_empty)
                .or_else(|| non_empty(&c.text)),
        });
        wrapped.or_else(|| non_empty(&self.text))
    }

    /// The `xlink:href` of this element's `gmx:Anchor` (or of itself).
    pub fn anchor_href(&self) -> Option<&str> {
        self.child("Anchor")
            .and_then(|a| a.attr("href"))
            .or_else(|| self.attr("href"))
            .and_then(non_empty)
    }

    /// The code of an ISO code list element (`codeListValue`, else its text), found on
    /// the first child or on itself.
    pub fn code(&self) -> Option<&str> {
        self.children
            .first()
            .and_then(|c| {
                c.attr("codeListValue")
                    .and_then(non_empty)
                    .or_else(|| non_empty(&c.text))
            })
            .or_else(|| self.attr("codeListValue").and_then(non_empty))
            .or_else(|| non_empty(&self.text))
    }
}

fn non_empty(s: &str) -> Option<&str> {
    let t = s.trim();
    (!t.is_empty()).then_some(t)
}

/// The counters of `csw:SearchResults`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchResults {
    /// `numberOfRecordsMatched`.
    pub matched: Option<u64>,
    /// `numberOfRecordsReturned`.
    pub returned: Option<u64>,
    /// `nextRecord`.
    pub next_record: Option<u64>,
    /// Whether a `SearchResults` element was found at all.
    pub found: bool,
}

/// One record of a response.
#[derive(Debug)]
pub enum RawRecord {
    /// An ISO 19139 `gmd:MD_Metadata` (or `gmi:MI_Metadata`).
    Iso(Element),
    /// One `rdf:RDF` block, re-serialized with the namespace declarations in scope.
    Rdf(Vec<u8>),
    /// A record in a schema Moisson does not map (e.g. `csw:Record`), with its local name
    /// and the identifier it carries, if any.
    Other {
        /// Local name of the record element.
        name: String,
        /// `dc:identifier`, when present.
        identifier: Option<String>,
    },
    /// A record too large or too deep to be taken, with the reason.
    Oversized(String),
}

/// An `ows:ExceptionReport`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionReport {
    /// `exceptionCode` of each exception.
    pub codes: Vec<String>,
    /// `locator` of each exception, when given.
    pub locators: Vec<String>,
    /// Every `ExceptionText`.
    pub texts: Vec<String>,
}

impl std::fmt::Display for ExceptionReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "csw exception report")?;
        if !self.codes.is_empty() {
            write!(f, " {}", self.codes.join(", "))?;
        }
        if !self.locators.is_empty() {
            write!(f, " (locator {})", self.locators.join(", "))?;
        }
        if !self.texts.is_empty() {
            write!(f, ": {}", self.texts.join("; "))?;
        }
        Ok(())
    }
}

/// Why a response could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ResponseError {
    /// The server answered an exception report.
    #[error("{0}")]
    Exception(ExceptionReport),
    /// The XML is malformed.
    #[error("xml error at byte {position}: {message}")]
    Syntax {
        /// Byte offset in the (transcoded) body.
        position: u64,
        /// What quick-xml said.
        message: String,
    },
    /// The response was refused before it was read (nesting, entity expansion).
    #[error("{message} (at byte {position})")]
    Refused {
        /// Byte offset in the body as served.
        position: u64,
        /// Why.
        message: String,
    },
    /// The declared encoding is not supported.
    #[error("unsupported encoding {0:?}")]
    Encoding(String),
    /// The body is not a CSW response (HTML, JSON…).
    #[error("not a csw response: root element {0:?}")]
    NotCsw(String),
    /// Reading the spooled body failed.
    #[error("reading spooled page: {0}")]
    Io(#[from] std::io::Error),
}

/// Single-byte encodings handled by [`Transcoder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SingleByte {
    Latin1,
    Latin9,
    Windows1252,
}

impl SingleByte {
    fn decode(self, b: u8) -> char {
        match (self, b) {
            (_, 0..=0x7f) => char::from(b),
            (Self::Latin9, 0xa4) => '€',
            (Self::Latin9, 0xa6) => 'Š',
            (Self::Latin9, 0xa8) => 'š',
            (Self::Latin9, 0xb4) => 'Ž',
            (Self::Latin9, 0xb8) => 'ž',
            (Self::Latin9, 0xbc) => 'Œ',
            (Self::Latin9, 0xbd) => 'œ',
            (Self::Latin9, 0xbe) => 'Ÿ',
            (Self::Windows1252, 0x80..=0x9f) => {
                const HIGH: [char; 32] = [
                    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}',
                    'Ž', '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›',
                    'œ', '\u{9d}', 'ž', 'Ÿ',
                ];
                HIGH[usize::from(b - 0x80)]
            }
            _ => char::from(b),
        }
    }
}

/// A reader that turns a single-byte encoded stream into UTF-8.
struct Transcoder<R> {
    inner: R,
    encoding: SingleByte,
    pending: Vec<u8>,
    offset: usize,
}

impl<R: Read> Read for Transcoder<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.offset >= self.pending.len() {
            let mut raw = [0u8; 8192];
            let n = self.inner.read(&mut raw)?;
            if n == 0 {
                return Ok(0);
            }
            self.pending.clear();
            self.offset = 0;
            let mut utf8 = [0u8; 4];
            for &b in &raw[..n] {
                let c = self.encoding.decode(b);
                self.pending
                    .extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
            }
        }
        let n = out.len().min(self.pending.len() - self.offset);
        out[..n].copy_from_slice(&self.pending[self.offset..self.offset + n]);
        self.offset += n;
        Ok(n)
    }
}

/// Returns the encoding declared in the XML declaration at the start of `head`.
fn declared_encoding(head: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(&head[..head.len().min(512)]);
    let decl_end = head.find("?>")?;
    let decl = &head[..decl_end];
    if !decl
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with("<?xml")
    {
        return None;
    }
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    let end = value.find(quote)?;
    Some(value[..end].trim().to_ascii_lowercase())
}

/// Opens `reader` for XML reading, transcoding a declared single-byte encoding to UTF-8.
pub fn open_utf8<R: Read + 'static>(mut reader: R) -> Result<Box<dyn BufRead>, ResponseError> {
    let mut head = vec![0u8; 512];
    let mut filled = 0;
    while filled < head.len() {
        let n = reader.read(&mut head[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    head.truncate(filled);
    if head.starts_with(&[0xfe, 0xff]) || head.starts_with(&[0xff, 0xfe]) {
        return Err(ResponseError::Encoding("utf-16".into()));
    }
    let chained = std::io::Cursor::new(head.clone()).chain(reader);
    let encoding = match declared_encoding(&head).as_deref() {
        None | Some("utf-8" | "utf8" | "us-ascii" | "ascii") => None,
        Some("iso-8859-1" | "latin1" | "latin-1" | "iso8859-1" | "iso_8859-1") => {
            Some(SingleByte::Latin1)
        }
        Some("iso-8859-15" | "latin9" | "iso8859-15") => Some(SingleByte::Latin9),
        Some("windows-1252" | "cp1252") => Some(SingleByte::Windows1252),
        Some(other) => return Err(ResponseError::Encoding(other.to_owned())),
    };
    Ok(match encoding {
        None => Box::new(BufReader::with_capacity(1 << 16, chained)),
        Some(encoding) => Box::new(BufReader::with_capacity(
            1 << 16,
            Transcoder {
                inner: chained,
                encoding,
                pending: Vec::new(),
                offset: 0,
            },
        )),
    })
}

fn local_name(qname: &[u8]) -> String {
    let local = match qname.iter().rposition(|b| *b == b':') {
        Some(i) => &qname[i + 1..],
        None => qname,
    };
    String::from_utf8_lossy(local).into_owned()
}

fn attributes(start: &BytesStart<'_>) -> Vec<(String, String)> {
    start
        .attributes()
        .with_checks(false)
        .filter_map(Result::ok)
        .map(|a| {
            let value = match a.unescape_value() {
                Ok(v) => v.into_owned(),
                Err(_) => String::from_utf8_lossy(&a.value).into_owned(),
            };
            (local_name(a.key.as_ref()), value)
        })
        .collect()
}

fn xmlns_declarations(start: &BytesStart<'_>) -> Vec<(Vec<u8>, Vec<u8>)> {
    start
        .attributes()
        .with_checks(false)
        .filter_map(Result::ok)
        .filter(|a| a.key.as_ref() == b"xmlns" || a.key.as_ref().starts_with(b"xmlns:"))
        .map(|a| (a.key.as_ref().to_vec(), a.value.to_vec()))
        .collect()
}

fn is_record(name: &str) -> bool {
    matches!(
        name,
        "MD_Metadata" | "MI_Metadata" | "RDF" | "Record" | "SummaryRecord" | "BriefRecord"
    )
}

/// Reads a CSW response from `reader`, calling `on_record` for each record in document
/// order, and returns the `SearchResults` counters. The text of an element is kept up to
/// just past `limits.max_literal_bytes` (so that a literal made of it is known to be over
/// the limit and left out).
pub fn read_response<R: Read + 'static>(
    reader: R,
    limits: &ParseLimits,
    mut on_record: impl FnMut(RawRecord),
) -> Result<SearchResults, ResponseError> {
    let input = open_utf8(reader)?;
    let mut xml = Reader::from_reader(input);
    let config = xml.config_mut();
    config.trim_text(false);
    config.expand_empty_elements = true;
    config.check_end_names = true;
    let mut results = SearchResults::default();
    let mut buf = Vec::new();
    // Namespace declarations of the open ancestors (for re-serializing rdf:RDF).
    let mut scopes: Vec<Vec<(Vec<u8>, Vec<u8>)>> = Vec::new();
    let mut root_seen = false;
    loop {
        let event = xml
            .read_event_into(&mut buf)
            .map_err(|e| syntax(&xml, &e))?;
        match event {
            Event::Start(start) => {
                let name = local_name(start.name().as_ref());
                if !root_seen {
                    root_seen = true;
                    if name == "ExceptionReport" {
                        let (element, _) = read_tree(&mut xml, &start, limits)?;
                        return Err(ResponseError::Exception(exception_of(&element)));
                    }
                    if !name.ends_with("Response") && !is_record(&name) {
                        return Err(ResponseError::NotCsw(name));
                    }
                }
                if name == "SearchResults" {
                    results.found = true;
                    for (key, value) in attributes(&start) {
                        let number = value.trim().parse::<u64>().ok();
                        match key.as_str() {
                            "numberOfRecordsMatched" => results.matched = number,
                            "numberOfRecordsReturned" => results.returned = number,
                            "nextRecord" => results.next_record = number,
                            _ => {}
                        }
                    }
                }
                if is_record(&name) {
                    let start = start.into_owned();
                    let record = if name == "RDF" {
                        read_rdf(&mut xml, &start, &scopes)?
                    } else {
                        let (element, truncated) = read_tree(&mut xml, &start, limits)?;
                        match name.as_str() {
                            _ if truncated => RawRecord::Oversized(format!(
                                "record deeper than {MAX_DEPTH} or larger than {MAX_RECORD_ELEMENTS} elements"
                            )),
                            "MD_Metadata" | "MI_Metadata" => RawRecord::Iso(element),
                            _ => RawRecord::Other {
                                identifier: element
                                    .child("identifier")
                                    .and_then(|i| non_empty(&i.text))
                                    .map(str::to_owned),
                                name,
                            },
                        }
                    };
                    on_record(record);
                } else {
                    scopes.push(xmlns_declarations(&start));
                }
            }
            Event::End(_) => {
                scopes.pop();
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !root_seen {
        return Err(ResponseError::NotCsw(String::new()));
    }
    Ok(results)
}

fn syntax<R>(xml: &Reader<R>, e: &quick_xml::Error) -> ResponseError {
    ResponseError::Syntax {
        position: xml.error_position(),
        message: e.to_string(),
    }
}

fn exception_of(report: &Element) -> ExceptionReport {
    let mut out = ExceptionReport {
        codes: Vec::new(),
        locators: Vec::new(),
        texts: Vec::new(),
    };
    let mut exceptions = Vec::new();
    report.descendants("Exception", &mut exceptions);
    for e in exceptions {
        if let Some(code) = e.attr("exceptionCode").and_then(non_empty) {
            out.codes.push(code.to_owned());
        }
        if let Some(locator) = e.attr("locator").and_then(non_empty) {
            out.locators.push(locator.to_owned());
        }
        for t in e.children_named("ExceptionText") {
            if let Some(text) = non_empty(&t.text) {
                out.texts.push(text.chars().take(500).collect());
            }
        }
    }
    out
}

/// Reads the element opened by `start` into a tree (the reader is just after `start`);
/// the flag tells whether elements past the caps were left out.
fn read_tree<R: BufRead>(
    xml: &mut Reader<R>,
    start: &BytesStart<'_>,
    limits: &ParseLimits,
) -> Result<(Element, bool), ResponseError> {
    let cap = limits.max_literal_bytes;
    let mut stack = vec![Element {
        name: local_name(start.name().as_ref()),
        attrs: attributes(start),
        ..Element::default()
    }];
    let mut count = 1usize;
    let mut truncated = false;
    let mut buf = Vec::new();
    loop {
        let event = xml.read_event_into(&mut buf).map_err(|e| syntax(xml, &e))?;
        match event {
            Event::Start(s) => {
                count += 1;
                if stack.len() >= MAX_DEPTH || count > MAX_RECORD_ELEMENTS {
                    // Keep reading to stay in sync, but stop growing the tree.
                    truncated = true;
                    xml.read_to_end_into(s.name(), &mut Vec::new())
                        .map_err(|e| syntax(xml, &e))?;
                    continue;
                }
                stack.push(Element {
                    name: local_name(s.name().as_ref()),
                    attrs: attributes(&s),
                    ..Element::default()
                });
            }
            Event::End(_) => {
                let done = stack.pop().expect("an end event closes an open element");
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return Ok((done, truncated)),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    match t.unescape() {
                        Ok(text) => push_capped(&mut top.text, &text, cap),
                        Err(_) => push_capped(&mut top.text, &String::from_utf8_lossy(&t), cap),
                    }
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    push_capped(&mut top.text, &String::from_utf8_lossy(&c), cap);
                }
            }
            Event::Eof => {
                return Err(ResponseError::Syntax {
                    position: xml.buffer_position(),
                    message: "unexpected end of document inside a record".into(),
                })
            }
            _ => {}
        }
        buf.clear();
    }
}

/// Appends `text` to `out` while `out` holds at most `cap` bytes: what is kept is always
/// just past `cap` when the whole would be.
fn push_capped(out: &mut String, text: &str, cap: usize) {
    if out.len() > cap {
        return;
    }
    let mut take = text.len().min(cap + 1 - out.len());
    while !text.is_char_boundary(take) {
        take += 1;
    }
    out.push_str(&text[..take]);
}

/// Re-serializes the `rdf:RDF` element opened by `start`, adding the namespace
/// declarations of its ancestors that it does not redeclare.
fn read_rdf<R: BufRead>(
    xml: &mut Reader<R>,
    start: &BytesStart<'static>,
    scopes: &[Vec<(Vec<u8>, Vec<u8>)>],
) -> Result<RawRecord, ResponseError> {
    let mut root = start.clone();
    let own: Vec<Vec<u8>> = xmlns_declarations(start)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let mut added: Vec<Vec<u8>> = Vec::new();
    for scope in scopes.iter().rev() {
        for (key, value) in scope {
            if !own.contains(key) && !added.contains(key) {
                root.push_attribute((key.as_slice(), value.as_slice()));
                added.push(key.clone());
            }
        }
    }
    let mut writer = quick_xml::Writer::new(Vec::new());
    writer.write_event(Event::Start(root)).map_err(io_error)?;
    let mut depth = 1usize;
    let mut buf = Vec::new();
    let mut oversized = false;
    loop {
        let event = xml.read_event_into(&mut buf).map_err(|e| syntax(xml, &e))?;
        match &event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth -= 1,
            Event::Eof => {
                return Err(ResponseError::Syntax {
                    position: xml.buffer_position(),
                    message: "unexpected end of document inside a record".into(),
                })
            }
            _ => {}
        }
        if !oversized {
            writer.write_event(event).map_err(io_error)?;
            oversized = writer.get_ref().len() > MAX_RDF_RECORD_BYTES;
        }
        buf.clear();
        if depth == 0 {
            break;
        }
    }
    if oversized {
        return Ok(RawRecord::Oversized(format!(
            "rdf record larger than {MAX_RDF_RECORD_BYTES} bytes"
        )));
    }
    Ok(RawRecord::Rdf(writer.into_inner()))
}

fn io_error(e: impl std::fmt::Display) -> ResponseError {
    ResponseError::Io(std::io::Error::other(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(xml: &str) -> (Result<SearchResults, ResponseError>, Vec<RawRecord>) {
        let mut records = Vec::new();
        let limits = ParseLimits::default();
        let r = read_response(
            std::io::Cursor::new(xml.as_bytes().to_vec()),
            &limits,
            |r| records.push(r),
        );
        (r, records)
    }

    #[test]
    fn counters_and_iso_records() {
        let (r, records) = read(
            "<?xml version=\"1.0\"?>\r\n<csw:GetRecordsResponse xmlns:csw=\"x\"><csw:SearchResults numberOfRecordsMatched=\" 6\" numberOfRecordsReturned=\"2\" nextRecord=\"3\">\
             <gmd:MD_Metadata><gmd:fileIdentifier><gco:CharacterString>a&amp;b</gco:CharacterString></gmd:fileIdentifier></gmd:MD_Metadata>\
             <MD_Metadata xmlns=\"http://www.isotc211.org/2005/gmd\"><fileIdentifier>c</fileIdentifier></MD_Metadata>\
             </csw:SearchResults></csw:GetRecordsResponse>",
        );
        let r = r.expect("valid response");
        assert_eq!(
            (r.matched, r.returned, r.next_record, r.found),
            (Some(6), Some(2), Some(3), true)
        );
        let ids: Vec<_> = records
            .iter()
            .map(|r| match r {
                RawRecord::Iso(e) => e
                    .child("fileIdentifier")
                    .and_then(Element::value)
                    .map(str::to_owned),
                _ => None,
            })
            .collect();
        assert_eq!(ids, [Some("a&b".to_owned()), Some("c".to_owned())]);
    }

    #[test]
    fn exception_report() {
        let (r, _) = read("<ows:ExceptionReport xmlns:ows=\"o\"><ows:Exception exceptionCode=\"InvalidParameterValue\" locator=\"constraintLanguage\"><ows:ExceptionText>uu</ows:ExceptionText></ows:Exception></ows:ExceptionReport>");
        let Err(ResponseError::Exception(e)) = r else {
            panic!("expected an exception report")
        };
        assert_eq!(
            e.to_string(),
            "csw exception report InvalidParameterValue (locator constraintLanguage): uu"
        );
    }

    #[test]
    fn latin1_is_transcoded() {
        let mut body = b"<?xml version='1.0' encoding='ISO-8859-1'?><r:GetRecordsResponse><MD_Metadata><title>".to_vec();
        body.extend_from_slice(&[0x45, 0x61, 0x75, 0x20, 0xe9, 0x74, 0xe9]);
        body.extend_from_slice(b"</title></MD_Metadata></r:GetRecordsResponse>");
        let mut records = Vec::new();
        read_response(std::io::Cursor::new(body), &ParseLimits::default(), |r| {
            records.push(r)
        })
        .expect("latin-1 body");
        let RawRecord::Iso(e) = &records[0] else {
            panic!("iso record")
        };
        assert_eq!(e.child("title").and_then(Element::value), Some("Eau été"));
    }

    #[test]
    fn rdf_records_keep_ancestor_namespaces() {
        let (r, records) = read("<csw:GetRecordsResponse xmlns:csw=\"c\" xmlns:dct=\"http://purl.org/dc/terms/\"><csw:SearchResults><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description rdf:about=\"http://x/a\"><dct:title>T</dct:title></rdf:Description></rdf:RDF></csw:SearchResults></csw:GetRecordsResponse>");
        r.expect("valid");
        let RawRecord::Rdf(bytes) = &records[0] else {
            panic!("rdf record")
        };
        let text = String::from_utf8_lossy(bytes);
        assert!(
            text.contains("xmlns:dct=\"http://purl.org/dc/terms/\""),
            "{text}"
        );
        assert!(text.ends_with("</rdf:RDF>"), "{text}");
    }

    #[test]
    fn html_and_garbage_are_not_csw() {
        assert!(matches!(
            read("<html><body/></html>").0,
            Err(ResponseError::NotCsw(_))
        ));
        assert!(read("<a:GetRecordsResponse><x></y></a:GetRecordsResponse>")
            .0
            .is_err());
        assert!(matches!(read("").0, Err(ResponseError::NotCsw(_))));
    }
}
