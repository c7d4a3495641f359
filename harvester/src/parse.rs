//! Parsing one spooled page into a [`PageGraph`], with located errors.
//!
//! Parsers are pure: bytes in, triples and errors out. A syntax error the parser recovers
//! from poisons the subject being described, so only the record holding it is rejected; an
//! error the parser cannot recover from fails the page.
//!
//! Before a byte reaches a parser, the page's [`ParseLimits`] apply: RDF/XML goes through
//! [`crate::xml_guard`] first (element depth, entity expansion); JSON-LD and the Turtle
//! family stream through a [`NestingGuard`] that stops them before the first bracket past
//! `max_nesting_depth`. A refused page yields no triple and one located fatal error. Over-long
//! literals are left out of the graph ([`PageGraph::push_within`]).

use oxigraph::io::{JsonLdProfile, LoadedDocument, RdfFormat, RdfParseError, RdfParser};
use oxigraph::model::Triple;
use std::collections::HashMap;
use std::io::Read;

use crate::limits::ParseLimits;
use crate::nesting::{NestingGuard, NestingSyntax, RefusalSlot};
use crate::records::PageGraph;
use moisson_catalog::TextPosition;

/// Most recoverable errors tolerated in one page before it is abandoned.
pub const MAX_PAGE_ERRORS: usize = 1000;
/// JSON-LD documents larger than this are parsed with the streaming profile.
pub const JSONLD_BUFFERED_MAX_BYTES: u64 = 64 << 20;

/// A located parse error.
#[derive(Debug, Clone)]
pub struct ParseIssue {
    /// Where in the page, when the parser knows it.
    pub position: Option<TextPosition>,
    /// What the parser said.
    pub message: String,
    /// The subject being described when it happened, as N-Triples.
    pub subject: Option<String>,
}

impl ParseIssue {
    /// `line 12 column 8: message`, or `?: message` when the parser did not say where.
    pub fn located(&self) -> String {
        match &self.position {
            Some(p) => format!("{p}: {}", self.message),
            None => format!("?: {}", self.message),
        }
    }
}

/// The outcome of parsing one page.
pub struct ParsedPage {
    /// The triples.
    pub graph: PageGraph,
    /// Subjects touched by recoverable errors → message.
    pub poisoned: HashMap<u32, String>,
    /// Recoverable errors, located.
    pub issues: Vec<ParseIssue>,
    /// The error that stopped the parser, if it stopped early.
    pub fatal: Option<ParseIssue>,
}

/// JSON-LD contexts shipped with Moisson, by the IRIs documents use to name them.
const LOCAL_CONTEXTS: &[(&str, &str)] = &[
    (
        "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld",
        include_str!("../contexts/pod-v1.1.jsonld"),
    ),
    (
        "https://schema.org",
        include_str!("../contexts/schema-org.jsonld"),
    ),
    (
        "https://schema.org/",
        include_str!("../contexts/schema-org.jsonld"),
    ),
    (
        "http://schema.org",
        include_str!("../contexts/schema-org.jsonld"),
    ),
    (
        "http://schema.org/",
        include_str!("../contexts/schema-org.jsonld"),
    ),
    (
        "http://www.w3.org/ns/hydra/context.jsonld",
        include_str!("../contexts/hydra.jsonld"),
    ),
    (
        "https://www.w3.org/ns/hydra/context.jsonld",
        include_str!("../contexts/hydra.jsonld"),
    ),
    (
        "https://www.w3.org/ns/dcat.jsonld",
        include_str!("../contexts/dcat.jsonld"),
    ),
    (
        "http://www.w3.org/ns/dcat.jsonld",
        include_str!("../contexts/dcat.jsonld"),
    ),
];

/// Returns a JSON-LD context shipped with Moisson, or an error saying it is not available
/// offline: Moisson never fetches a remote context during a harvest.
pub fn load_local_context(
    iri: &str,
) -> Result<LoadedDocument, Box<dyn std::error::Error + Send + Sync>> {
    let trimmed = iri.trim_end_matches('#');
    for (name, text) in LOCAL_CONTEXTS {
        if *name == trimmed {
            return Ok(LoadedDocument {
                url: (*name).to_owned(),
                content: text.as_bytes().to_vec(),
                format: RdfFormat::JsonLd {
                    profile: JsonLdProfile::Context.into(),
                },
            });
        }
    }
    Err(format!("remote json-ld context <{iri}> is not available offline (Moisson never fetches contexts during a harvest)").into())
}

/// Longest parser message kept, in characters: parsers quote the text they stumbled on
/// (oxigraph's RDF/XML parser quotes a whole text node), and a message is stored in the
/// job, shown to producers and sent back by the validator: a 30 MB text node made a 30 MB
/// error answer.
const MAX_MESSAGE_CHARS: usize = 300;

/// `message` cut to [`MAX_MESSAGE_CHARS`] characters, marked « … » when cut.
fn bounded(message: String) -> String {
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        None => message,
        Some((end, _)) => format!("{}…", &message[..end]),
    }
}

fn describe(err: &RdfParseError) -> ParseIssue {
    match err {
        RdfParseError::Syntax(e) => ParseIssue {
            position: e.location().map(|loc| TextPosition {
                line: loc.start.line + 1,
                column: loc.start.column + 1,
            }),
            message: bounded(e.to_string()),
            subject: None,
        },
        RdfParseError::Io(e) => ParseIssue {
            position: None,
            message: bounded(format!("reading document: {e}")),
            subject: None,
        },
    }
}

/// Returns the byte offset of the first XML well-formedness error of `reader`, or of its
/// end when it ends inside an element.
fn xml_error_offset(reader: impl Read) -> Option<u64> {
    let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(reader));
    xml.config_mut().check_end_names = true;
    let mut buf = Vec::new();
    let mut depth: i64 = 0;
    loop {
        match xml.read_event_into(&mut buf) {
            Ok(quick_xml::events::Event::Eof) => {
                return (depth > 0).then(|| xml.buffer_position());
            }
            Ok(quick_xml::events::Event::Start(_)) => depth += 1,
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(_) => {}
            Err(_) => return Some(xml.error_position()),
        }
        buf.clear();
    }
}

/// Returns the byte offset where the RDF/XML parser stops on its first error in `reader`
/// (oxigraph's generic reader does not say where): the end of the XML event it rejected.
fn rdf_xml_error_offset(reader: impl Read, base_url: &str) -> Option<u64> {
    let mut parser = oxrdfxml::RdfXmlParser::new();
    if let Ok(with_base) = parser.clone().with_base_iri(base_url) {
        parser = with_base;
    }
    let mut triples = parser.for_reader(std::io::BufReader::new(reader));
    loop {
        match triples.next() {
            None => return None,
            Some(Ok(_)) => {}
            Some(Err(_)) => return Some(triples.buffer_position()),
        }
    }
}

/// Returns `line L column C` (1-based) of byte `offset` of `reader`.
fn line_column(reader: impl Read, offset: u64) -> TextPosition {
    let (mut line, mut column) = (1u64, 1u64);
    for byte in std::io::BufReader::new(reader)
        .bytes()
        .take(usize::try_from(offset).unwrap_or(usize::MAX))
    {
        match byte {
            Ok(b'\n') => {
                line += 1;
                column = 1;
            }
            Ok(b) if b & 0xC0 != 0x80 => column += 1,
            Ok(_) => {}
            Err(_) => break,
        }
    }
    TextPosition { line, column }
}

/// Parses `bytes` (a page in `format`, fetched from `base_url`) within the default
/// [`ParseLimits`].
pub fn parse_page(bytes: &[u8], len: u64, format: RdfFormat, base_url: &str) -> ParsedPage {
    parse_page_rereadable(
        bytes,
        || Some(bytes),
        len,
        format,
        base_url,
        &ParseLimits::default(),
    )
}

/// Returns the bracket grammar of `format`, `None` for XML (checked by the XML guard).
fn nesting_syntax(format: RdfFormat) -> Option<NestingSyntax> {
    match format {
        RdfFormat::RdfXml => None,
        RdfFormat::JsonLd { .. } => Some(NestingSyntax::Json),
        _ => Some(NestingSyntax::Turtle),
    }
}

/// A page refused before parsing: no triple, one located fatal error.
fn refused(position: Option<TextPosition>, message: String) -> ParsedPage {
    ParsedPage {
        graph: PageGraph::new(),
        poisoned: HashMap::new(),
        issues: Vec::new(),
        fatal: Some(ParseIssue {
            position,
            message,
            subject: None,
        }),
    }
}

/// Parses `reader` (a page of `len` bytes in `format`, fetched from `base_url`) within
/// `limits`; `reopen` gives new readers over the same bytes, for the XML guard and to
/// locate the errors the parser does not locate (RDF/XML).
pub fn parse_page_rereadable<R: Read>(
    reader: impl Read,
    reopen: impl Fn() -> Option<R> + Sync,
    len: u64,
    format: RdfFormat,
    base_url: &str,
    limits: &ParseLimits,
) -> ParsedPage {
    if let Some(parsed) = parse_in_parts(&reopen, len, format, base_url, limits) {
        return parsed;
    }
    let format = match format {
        RdfFormat::JsonLd { .. } if len > JSONLD_BUFFERED_MAX_BYTES => RdfFormat::JsonLd {
            profile: JsonLdProfile::Streaming.into(),
        },
        other => other,
    };
    if format == RdfFormat::RdfXml {
        let Some(copy) = reopen() else {
            return refused(
                None,
                "reading document: the page cannot be read twice, so it cannot be checked before parsing".into(),
            );
        };
        if let Err(refusal) = crate::xml_guard::check_xml(copy, limits) {
            return refused(
                reopen().map(|r| line_column(r, refusal.offset)),
                refusal.message,
            );
        }
    }
    let mut iri_repairs = None;
    let (reader, nesting): (Box<dyn Read + '_>, Option<RefusalSlot>) = match nesting_syntax(format)
    {
        Some(syntax) => {
            let (guard, slot) = NestingGuard::new(reader, syntax, limits.max_nesting_depth);
            (Box::new(guard), Some(slot))
        }
        None => {
            // RDF/XML: IRIs written with spaces are encoded rather than losing the record.
            let (repair, repairs) = crate::iri_spaces::SpacedIriRepair::new(reader);
            iri_repairs = Some(repairs);
            (Box::new(repair), None)
        }
    };
    let mut parsed = run_parser(reader, PageGraph::new(), format, base_url, limits);
    if let Some(labels) = iri_repairs.as_ref().map(|r| r.labels()).filter(|n| *n > 0) {
        parsed.issues.push(ParseIssue {
            position: None,
            message: format!(
                "{labels} élément(s) donnant une IRI par rdf:resource contenaient aussi un texte \
                 (interdit en RDF/XML) : texte ignoré pour garder les fiches ; corrigez-les à la source"
            ),
            subject: None,
        });
    }
    if let Some(repairs) = iri_repairs.filter(|r| r.count() > 0) {
        let position = repairs
            .first_offset()
            .and_then(|offset| reopen().map(|r| line_column(r, offset)));
        parsed.issues.push(ParseIssue {
            position,
            message: format!(
                "{} IRI écrite(s) avec des espaces (rdf:about, rdf:resource ou rdf:datatype) : \
                 espaces encodés en %20 pour garder les fiches ; corrigez-les à la source",
                repairs.count()
            ),
            subject: None,
        });
    }
    if let Some(refusal) = nesting.and_then(|slot| slot.borrow_mut().take()) {
        return refused(Some(refusal.position()), refusal.to_string());
    }
    // An error followed by nothing means the parser gave up there. The RDF/XML parser does
    // not locate its errors: find the first XML well-formedness error ourselves.
    if format == RdfFormat::RdfXml {
        locate_xml_error(&mut parsed.fatal, &reopen, base_url);
    }
    parsed
}

/// Turtle and N-Triples pages at least this large are parsed in parts on several threads.
pub const PARALLEL_PARSE_MIN_BYTES: u64 = 16 << 20;
/// Least bytes a part of a page parsed on several threads holds.
const PARALLEL_PARSE_PART_BYTES: u64 = 8 << 20;

/// Parses a large Turtle or N-Triples page in parts, one thread per core (at most 4), cut
/// at statement ends ([`crate::split`]), and joins their triples as one parse of the whole
/// page would give them. `None` when the page is small, of another format, cannot be cut,
/// or when any part reports anything (an error, a refusal, a term left out): the caller
/// then parses it whole, so every error keeps its exact position and recovery.
fn parse_in_parts<R: Read>(
    reopen: &(impl Fn() -> Option<R> + Sync),
    len: u64,
    format: RdfFormat,
    base_url: &str,
    limits: &ParseLimits,
) -> Option<ParsedPage> {
    if !matches!(format, RdfFormat::Turtle | RdfFormat::NTriples) || len < PARALLEL_PARSE_MIN_BYTES
    {
        return None;
    }
    let parts = crate::parallel::threads_for(
        usize::try_from(len / PARALLEL_PARSE_PART_BYTES).unwrap_or(usize::MAX),
        1,
    );
    parse_cut(reopen, len, format, base_url, limits, parts)
}

/// [`parse_in_parts`] in `parts` parts, whatever the page's size.
fn parse_cut<R: Read>(
    reopen: &(impl Fn() -> Option<R> + Sync),
    len: u64,
    format: RdfFormat,
    base_url: &str,
    limits: &ParseLimits,
    parts: usize,
) -> Option<ParsedPage> {
    let cuts = crate::split::find_cuts(reopen()?, len, parts)?;
    let mut bounds = vec![0];
    bounds.extend(&cuts.at);
    bounds.push(len);
    let syntax = nesting_syntax(format)?;
    // One hasher for every part: joining them then hashes no term again.
    let seed = PageGraph::new();
    let parsed = crate::parallel::run_parts(bounds.len() - 1, |k| -> Option<ParsedPage> {
        let graph = seed.joinable();
        let (start, end) = (bounds[k], bounds[k + 1]);
        let preamble = if k == 0 { 0 } else { cuts.preamble };
        let head = reopen()?.take(preamble);
        let mut body = reopen()?;
        std::io::copy(&mut body.by_ref().take(start), &mut std::io::sink()).ok()?;
        let reader = head.chain(body.take(end - start));
        let (guard, slot) = NestingGuard::new(reader, syntax, limits.max_nesting_depth);
        let parsed = run_parser(guard, graph, format, base_url, limits);
        let clean = slot.borrow().is_none()
            && parsed.fatal.is_none()
            && parsed.issues.is_empty()
            && parsed.poisoned.is_empty()
            && parsed.graph.dropped_count() == 0;
        clean.then_some(parsed)
    });
    let mut parts = parsed.into_iter().map(Option::flatten);
    let mut whole = parts.next()??;
    for other in parts {
        whole.graph.append(other?.graph);
    }
    Some(whole)
}

/// Completes the fatal error of an RDF/XML page with its location, or reports a document
/// that ends inside an element (which the RDF/XML parser accepts).
fn locate_xml_error<R: Read>(
    fatal: &mut Option<ParseIssue>,
    reopen: &impl Fn() -> Option<R>,
    base_url: &str,
) {
    if let Some(fatal) = fatal.as_mut() {
        if fatal.position.is_none() {
            // A well-formedness error, else an RDF/XML one (a misplaced text or element).
            let offset = reopen()
                .and_then(xml_error_offset)
                .or_else(|| reopen().and_then(|r| rdf_xml_error_offset(r, base_url)));
            if let (Some(offset), Some(reader)) = (offset, reopen()) {
                fatal.position = Some(line_column(reader, offset));
            }
        }
    } else if let Some(offset) = reopen().and_then(xml_error_offset) {
        *fatal = Some(ParseIssue {
            position: reopen().map(|r| line_column(r, offset)),
            message: "xml document is not well-formed (truncated or unclosed element)".into(),
            subject: None,
        });
    }
}

/// Runs oxigraph's parser over `reader`, keeping what it reads within `limits` in `graph`
/// (empty).
fn run_parser(
    reader: impl Read,
    mut graph: PageGraph,
    format: RdfFormat,
    base_url: &str,
    limits: &ParseLimits,
) -> ParsedPage {
    let mut parser = RdfParser::from_format(format);
    if let Ok(with_base) = parser.clone().with_base_iri(base_url) {
        parser = with_base;
    }
    let mut poisoned = HashMap::new();
    let mut issues: Vec<ParseIssue> = Vec::new();
    let mut pending_error: Option<ParseIssue> = None;
    let reader = std::io::BufReader::with_capacity(1 << 16, reader);
    let mut quads = parser
        .for_reader(reader)
        .with_document_loader(load_local_context);
    loop {
        match quads.next() {
            None => break,
            Some(Ok(quad)) => {
                if let Some(issue) = pending_error.take() {
                    issues.push(issue);
                }
                graph.push_within(
                    Triple::new(quad.subject, quad.predicate, quad.object),
                    limits.max_literal_bytes,
                );
            }
            Some(Err(err)) => {
                let mut issue = describe(&err);
                // The subject being described: that of the last triple read.
                if let Some(id) = graph.last_subject() {
                    issue.subject = Some(graph.term(id).to_string());
                    poisoned.entry(id).or_insert_with(|| {
                        format!(
                            "{}{}",
                            issue.message,
                            issue
                                .position
                                .as_ref()
                                .map(|p| format!(" ({p})"))
                                .unwrap_or_default()
                        )
                    });
                }
                if let Some(previous) = pending_error.replace(issue) {
                    issues.push(previous);
                }
                if matches!(err, RdfParseError::Io(_)) || issues.len() >= MAX_PAGE_ERRORS {
                    break;
                }
            }
        }
    }
    ParsedPage {
        graph,
        poisoned,
        issues,
        fatal: pending_error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recoverable_error_poisons_only_its_subject() {
        let doc = "@prefix dct: <http://purl.org/dc/terms/> .\n<http://a> dct:title \"A\" .\n<http://b> dct:title \"B\" ; dct:x <bad iri> .\n<http://c> dct:title \"C\" .\n";
        let parsed = parse_page(
            doc.as_bytes(),
            doc.len() as u64,
            RdfFormat::Turtle,
            "http://base/",
        );
        assert!(parsed.fatal.is_none(), "{:?}", parsed.fatal);
        assert_eq!(parsed.issues.len(), 1);
        assert_eq!(
            parsed.issues[0].position.map(|p| p.to_string()).as_deref(),
            Some("line 3 column 34")
        );
        assert_eq!(parsed.poisoned.len(), 1);
        assert!(parsed.graph.len() >= 3);
    }

    #[test]
    fn truncated_document_is_fatal_with_location() {
        let doc = "<?xml version=\"1.0\"?><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description rdf:about=\"http://a\">";
        let parsed = parse_page(
            doc.as_bytes(),
            doc.len() as u64,
            RdfFormat::RdfXml,
            "http://base/",
        );
        let fatal = parsed.fatal.expect("fatal error");
        assert!(fatal.position.is_some());
    }

    #[test]
    fn parser_messages_are_bounded() {
        // oxigraph's RDF/XML parser quotes a whole misplaced text node in its message.
        let text = "é".repeat(2_000_000);
        let doc = format!(
            "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">{text}</rdf:RDF>"
        );
        let parsed = parse_page(
            doc.as_bytes(),
            doc.len() as u64,
            RdfFormat::RdfXml,
            "http://base/",
        );
        let fatal = parsed.fatal.expect("fatal error");
        assert_eq!(
            fatal.message.chars().count(),
            MAX_MESSAGE_CHARS + 1,
            "{}",
            fatal.message
        );
        assert!(fatal.message.ends_with('…'));
        assert_eq!(bounded("court".into()), "court");
        // Located: just past the text node the parser refused (after the 65 characters
        // of the opening tag and the 2,000,000 of the text).
        let position = fatal.position.expect("located");
        assert_eq!((position.line, position.column), (1, 65 + 2_000_000 + 1));
    }

    fn assert_refused_too_deep(parsed: &ParsedPage) {
        let fatal = parsed.fatal.as_ref().expect("refused");
        assert!(
            fatal.message.contains("nested deeper than 64"),
            "{}",
            fatal.message
        );
        assert!(fatal.position.is_some(), "{fatal:?}");
        assert!(parsed.graph.is_empty());
    }

    #[test]
    fn deep_json_ld_is_refused_before_the_parser_recurses() {
        let levels = 5000;
        let doc = format!(
            "{}\"x\"{}",
            r#"{"@id": "http://ex/a", "http://ex/p": "#.repeat(levels),
            "}".repeat(levels)
        );
        let parsed = parse_page(
            doc.as_bytes(),
            doc.len() as u64,
            RdfFormat::JsonLd {
                profile: oxigraph::io::JsonLdProfileSet::empty(),
            },
            "http://base/",
        );
        assert_refused_too_deep(&parsed);
        let fatal = parsed.fatal.expect("refused");
        assert_eq!(
            fatal.position.map(|p| p.to_string()).as_deref(),
            Some("line 1 column 2433")
        );
    }

    #[test]
    fn deep_turtle_and_rdf_xml_are_refused() {
        let levels = 5000;
        let ttl = format!(
            "<http://ex/a> <http://ex/p> {}\"x\"{} .\n",
            "[ <http://ex/p> ".repeat(levels),
            " ]".repeat(levels)
        );
        let parsed = parse_page(
            ttl.as_bytes(),
            ttl.len() as u64,
            RdfFormat::Turtle,
            "http://base/",
        );
        assert_refused_too_deep(&parsed);
        let collections = format!(
            "<http://ex/a> <http://ex/p> {}{} .",
            "(".repeat(levels),
            ")".repeat(levels)
        );
        let parsed = parse_page(
            collections.as_bytes(),
            collections.len() as u64,
            RdfFormat::Turtle,
            "http://base/",
        );
        assert_refused_too_deep(&parsed);
        let xml = format!(
            "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns:ex=\"http://ex/\"><rdf:Description rdf:about=\"http://ex/a\">{}{}</rdf:Description></rdf:RDF>",
            "<ex:p><rdf:Description>".repeat(levels),
            "</rdf:Description></ex:p>".repeat(levels)
        );
        let parsed = parse_page(
            xml.as_bytes(),
            xml.len() as u64,
            RdfFormat::RdfXml,
            "http://base/",
        );
        let fatal = parsed.fatal.expect("refused");
        assert!(
            fatal.message.contains("nested deeper than 64"),
            "{}",
            fatal.message
        );
        assert_eq!(
            fatal.position.map(|p| p.to_string()).as_deref(),
            Some("line 1 column 842")
        );
        assert!(parsed.graph.is_empty());
    }

    #[test]
    fn over_long_literals_are_left_out() {
        let doc = format!(
            "<http://ex/a> <http://ex/title> \"court\" ; <http://ex/description> \"{}\" .",
            "é".repeat(40)
        );
        let limits = ParseLimits {
            max_literal_bytes: 64,
            ..ParseLimits::default()
        };
        let parsed = parse_page_rereadable(
            doc.as_bytes(),
            || Some(doc.as_bytes()),
            doc.len() as u64,
            RdfFormat::Turtle,
            "http://base/",
            &limits,
        );
        assert!(parsed.fatal.is_none());
        assert_eq!((parsed.graph.len(), parsed.graph.dropped_count()), (1, 1));
    }

    #[test]
    fn remote_contexts_are_never_fetched() {
        let doc =
            r#"{"@context": "https://example.org/ctx.jsonld", "@id": "http://a", "title": "x"}"#;
        let parsed = parse_page(
            doc.as_bytes(),
            doc.len() as u64,
            RdfFormat::JsonLd {
                profile: oxigraph::io::JsonLdProfileSet::empty(),
            },
            "http://base/",
        );
        let fatal = parsed.fatal.expect("fatal error");
        assert!(
            fatal.message.contains("not available offline"),
            "{}",
            fatal.message
        );
    }

    /// A Turtle page of the statements `kinds` pick, with what a cut could trip on:
    /// prefixes redefined and declared SPARQL-style mid-page, relative base changes, full
    /// stops in strings, IRIs, comments, escaped names and numbers, anonymous and labelled
    /// blank nodes, collections, language tags.
    fn tricky_page(kinds: &[u8], late_directives: bool) -> String {
        let mut text = String::from(
            "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n@prefix p0: <http://ex.org/ns0/> .\n@prefix p1: <http://ex.org/ns1/> .\n@prefix p2: <http://ex.org/ns2/> .\n",
        );
        for (i, kind) in kinds.iter().enumerate() {
            let p = i % 3;
            // Directives open the page; past its head they are rare (one statement in
            // twenty), or absent.
            let kind = match (i, kind) {
                (0..3, k) => k % 3,
                (_, k) if late_directives && *k < 13 => k % 3,
                (_, k) => 3 + k % 9,
            };
            let line = match kind {
                0 => format!("@prefix p{p}: <http://ex.org/ns{i}/> .\n"),
                1 => format!("PREFIX p{p}: <http://ex.org/sparql{i}/>\n"),
                2 => format!("@base <http://ex.org/b{i}/> .\nBASE <sub{i}/>\n"),
                3 => format!("p0:d{i} a dcat:Dataset ; dct:title \"titre {i}. fin\" ; dct:identifier \"{i}\" .\n"),
                4 => format!("<d{i}> a dcat:Dataset ; dct:description \"\"\"ligne . <a> <b> <c> .\n\"\" . \"\"\"@fr ; p0:n 1. \n"),
                5 => format!("p0:d{i} a dcat:Dataset ; dcat:distribution [ a dcat:Distribution ; dcat:accessURL <f{i}.csv> ; p0:v 1.5 ] .\n"),
                6 => format!("# commentaire . <x> <y> <z> .\np0:d{i} a dcat:Dataset ; dct:publisher _:org{p} .\n"),
                7 => format!("_:org{p} a <http://xmlns.com/foaf/0.1/Agent> ; dct:title 'org . {i}' .\n"),
                8 => format!("p0:d{i} a dcat:Dataset ; dcat:keyword \"a\", \"b\"@en , p0:k\\.{i} ; p0:list ( 1 2.5 3e1 ) .\n"),
                9 => format!("p{p}:d{i} a dcat:Dataset ; dct:title \"é \\\" . \\u00e9\" ; dct:relation <http://ex.org/x.y{i}> .\n"),
                10 => format!("[] a dcat:Dataset ; dct:identifier \"anon-{i}\" ; dct:title \"sans IRI\" .\n"),
                _ => format!("p0:d{i} a dcat:Dataset ; dct:spatial [ p0:bbox \"{i}.0 {i}.5\" ] ; dct:temporal [ p0:start \"2020-01-0{}\"^^<http://www.w3.org/2001/XMLSchema#date> ] .\n", i % 9 + 1),
            };
            text.push_str(&line);
        }
        text
    }

    /// The records of a parsed page (IRI and content hash, sorted) and its distinct
    /// triples: what a harvest keeps of it.
    fn kept(parsed: ParsedPage) -> (Vec<(String, String)>, usize, Vec<String>) {
        let mut graph = parsed.graph;
        let extracted = crate::records::extract_records_within(
            &mut graph,
            &parsed.poisoned,
            &ParseLimits::default(),
        );
        let mut records: Vec<(String, String)> = extracted
            .records
            .iter()
            .map(|r| (r.iri.clone(), r.hash.clone()))
            .collect();
        records.sort();
        let rejected = extracted
            .rejected
            .iter()
            .map(|r| r.message.clone())
            .collect();
        (records, graph.len(), rejected)
    }

    fn parse_whole(text: &str) -> ParsedPage {
        let bytes = text.as_bytes();
        parse_page(
            bytes,
            bytes.len() as u64,
            RdfFormat::Turtle,
            "http://ex.org/page/",
        )
    }

    /// A page parsed in parts gives what the whole page gives, or nothing (then parsed
    /// whole): never other triples, never an error lost.
    fn check_parts(text: &str, expect_cut: bool) -> Result<(), TestCaseError> {
        let bytes = text.as_bytes();
        let whole = parse_whole(text);
        let clean = whole.fatal.is_none() && whole.issues.is_empty();
        let whole = kept(whole);
        for parts in 2..=4 {
            let cut = parse_cut(
                &|| Some(bytes),
                bytes.len() as u64,
                RdfFormat::Turtle,
                "http://ex.org/page/",
                &ParseLimits::default(),
                parts,
            );
            match cut {
                Some(cut) => {
                    prop_assert!(clean, "cut although the page has errors:\n{text}");
                    prop_assert_eq!(&kept(cut), &whole, "{} parts of\n{}", parts, text);
                }
                None => prop_assert!(
                    !expect_cut
                        || !clean
                        || crate::split::find_cuts(bytes, bytes.len() as u64, parts).is_none(),
                    "a clean page was cut but its parts were refused:\n{text}"
                ),
            }
        }
        Ok(())
    }

    use proptest::prelude::*;
    use proptest::test_runner::TestCaseError;

    #[test]
    fn the_tricky_page_is_valid_and_cut() {
        let kinds: Vec<u8> = (0..120u32).map(|i| ((i * 37 + 11) % 256) as u8).collect();
        for late in [false, true] {
            // With directives late in the page a cut may be refused, never wrong.
            let text = tricky_page(&kinds, late);
            let whole = parse_whole(&text);
            assert!(
                whole.fatal.is_none() && whole.issues.is_empty(),
                "{:?}",
                whole.issues.first()
            );
            let bytes = text.as_bytes();
            let cut = parse_cut(
                &|| Some(bytes),
                bytes.len() as u64,
                RdfFormat::Turtle,
                "http://ex.org/page/",
                &ParseLimits::default(),
                3,
            );
            match (late, cut) {
                (_, Some(cut)) => assert_eq!(kept(cut), kept(whole), "late directives: {late}"),
                (true, None) => {}
                (false, None) => panic!("a page with its directives at its head was not cut"),
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn a_page_parsed_in_parts_gives_exactly_what_it_gives_whole(
            kinds in proptest::collection::vec(any::<u8>(), 4..80),
            late in any::<bool>(),
        ) {
            check_parts(&tricky_page(&kinds, late), true)?;
        }

        #[test]
        fn a_damaged_page_parsed_in_parts_gives_what_it_gives_whole_or_is_parsed_whole(
            kinds in proptest::collection::vec(any::<u8>(), 4..60),
            damage in proptest::collection::vec((any::<prop::sample::Index>(), 0usize..14), 1..4)
        ) {
            let mut text = tricky_page(&kinds, false).into_bytes();
            for (at, what) in damage {
                let at = at.index(text.len());
                let byte = b"\"'<>.[]()#\\ \n@"[what];
                if what % 2 == 0 {
                    text.insert(at, byte);
                } else {
                    text[at] = byte;
                }
            }
            // Keep the damaged page UTF-8 (a byte replaced inside a character).
            let text = String::from_utf8_lossy(&text).into_owned();
            check_parts(&text, false)?;
        }
    }

    #[test]
    fn the_corpus_pages_parsed_in_parts_give_what_they_give_whole() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus");
        if !root.is_dir() {
            eprintln!("skipped: {} is absent", root.display());
            return;
        }
        let mut checked = 0;
        let mut dirs = vec![root];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("corpus folder").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "ttl" || e == "nt") {
                    let text = std::fs::read_to_string(&path).expect("corpus file");
                    check_parts(&text, false).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                    checked += 1;
                }
            }
        }
        eprintln!("{checked} corpus pages checked");
    }
}
