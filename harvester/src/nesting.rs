//! A streaming check of how deeply a JSON(-LD) or Turtle-family document nests, run on
//! the bytes as they flow into the parser.
//!
//! A page nested thousands of levels deep makes a recursive parser overflow its stack (a
//! 35 KB JSON-LD page of 5,000 levels kills the process) or hold gigabytes. The scanner
//! counts openers outside strings, IRIs and comments (JSON `[` `{`; Turtle `[` `(` `{`
//! `<<`) and gives the parser only the bytes before the first one past the limit; the
//! parser then reads an error, and the page is refused with the line and column.
//!
//! Invariant: the scanner never counts less than the parser nests. A closer only closes
//! the opener of its own kind on top of the stack (a stray `]` or `>>` closes nothing),
//! and where the scanner cannot tell a string or IRI from the rest it counts the brackets.

use moisson_catalog::TextPosition;
use std::cell::RefCell;
use std::io::Read;
use std::rc::Rc;

/// Which bracket grammar a document follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NestingSyntax {
    /// JSON and JSON-LD.
    Json,
    /// Turtle, TriG, N-Triples, N-Quads, N3.
    Turtle,
}

/// A document nested deeper than allowed, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("document nested deeper than {limit} levels (max_nesting_depth): refused")]
pub struct TooDeep {
    /// The limit.
    pub limit: usize,
    /// Byte offset of the opener past the limit.
    pub offset: u64,
    /// Its line, 1-based.
    pub line: u64,
    /// Its column (in characters), 1-based.
    pub column: u64,
}

impl TooDeep {
    /// Where it is, as parse errors are located.
    pub fn position(&self) -> TextPosition {
        TextPosition {
            line: self.line,
            column: self.column,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Normal,
    /// After a `\` outside strings and IRIs (a prefixed-name escape).
    NormalEscape,
    /// After `<` outside strings: an IRI, or `<<`.
    AngleOpen,
    /// After `>` outside strings: maybe `>>`.
    AngleClose,
    Comment,
    Iri,
    /// After `\` in an IRI.
    IriEscape,
    /// Hex digits left of a `\u` or `\U` escape in an IRI.
    IriHex(u8),
    /// One quote read: a short string, or the start of a long one.
    QuoteOpen1(u8),
    /// Two quotes read: an empty string, or the start of a long one.
    QuoteOpen2(u8),
    Short(u8),
    ShortEscape(u8),
    /// A long string and the closing quotes read in a row.
    Long(u8, u8),
    LongEscape(u8),
}

/// A table of the bytes in `stops`.
const fn byte_table(stops: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut k = 0;
    while k < stops.len() {
        table[stops[k] as usize] = true;
        k += 1;
    }
    table
}

/// The bytes that change anything in the normal state of Turtle ([`DepthScanner::turtle_normal`]).
static TURTLE_NORMAL_STOPS: [bool; 256] = byte_table(b"[({])}<>#\\\"'");
/// The bytes that change anything in the normal state of JSON ([`DepthScanner::json_byte`]).
static JSON_NORMAL_STOPS: [bool; 256] = byte_table(b"\"[{]}");

/// Counts nesting over bytes pushed in chunks.
#[derive(Debug, Clone)]
pub struct DepthScanner {
    syntax: NestingSyntax,
    limit: usize,
    /// The openers in force, innermost last (never longer than `limit`).
    open: Vec<u8>,
    state: State,
    offset: u64,
    line: u64,
    column: u64,
}

impl DepthScanner {
    /// Returns a scanner refusing documents nested deeper than `limit`.
    pub fn new(syntax: NestingSyntax, limit: usize) -> Self {
        Self {
            syntax,
            limit,
            open: Vec::new(),
            state: State::Normal,
            offset: 0,
            line: 1,
            column: 1,
        }
    }

    /// Returns the deepest nesting in force.
    pub fn depth(&self) -> usize {
        self.open.len()
    }

    /// Scans the next chunk. On refusal, returns how many bytes of `bytes` come before the
    /// opener past the limit, with the refusal.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), (usize, TooDeep)> {
        let mut i = 0;
        while i < bytes.len() {
            // Inside a string, an IRI or a comment only two bytes matter, and outside them
            // only brackets, quotes and a few others: jump to the next that does.
            let rest = &bytes[i..];
            let skip = if let Some((a, b)) = self.stops() {
                memchr::memchr2(a, b, rest).unwrap_or(rest.len())
            } else if self.state == State::Normal {
                let table = match self.syntax {
                    NestingSyntax::Turtle => &TURTLE_NORMAL_STOPS,
                    NestingSyntax::Json => &JSON_NORMAL_STOPS,
                };
                rest.iter()
                    .position(|&b| table[usize::from(b)])
                    .unwrap_or(rest.len())
            } else {
                0
            };
            if skip > 0 {
                self.skip(&rest[..skip]);
                i += skip;
                if i == bytes.len() {
                    break;
                }
            }
            let b = bytes[i];
            let opened = match self.syntax {
                NestingSyntax::Json => self.json_byte(b),
                NestingSyntax::Turtle => self.turtle_byte(b),
            };
            if let Some(opener) = opened {
                if self.open.len() >= self.limit {
                    // `<<` is located at its first `<`, one byte back.
                    let back = u64::from(opener == b'<');
                    let refusal = TooDeep {
                        limit: self.limit,
                        offset: self.offset.saturating_sub(back),
                        line: self.line,
                        column: self.column.saturating_sub(back).max(1),
                    };
                    return Err((i.saturating_sub(back as usize), refusal));
                }
                self.open.push(opener);
            }
            self.advance(b);
            i += 1;
        }
        Ok(())
    }

    /// The only two bytes that change the state, when the state ignores every other one.
    fn stops(&self) -> Option<(u8, u8)> {
        match (self.syntax, self.state) {
            (NestingSyntax::Turtle, State::Short(q) | State::Long(q, 0)) => Some((q, b'\\')),
            (NestingSyntax::Turtle, State::Iri) => Some((b'>', b'\\')),
            (NestingSyntax::Turtle, State::Comment) => Some((b'\n', b'\r')),
            (NestingSyntax::Json, State::Short(_)) => Some((b'"', b'\\')),
            _ => None,
        }
    }

    /// Counts `span` as [`Self::advance`] would, byte by byte.
    fn skip(&mut self, span: &[u8]) {
        let chars = |bytes: &[u8]| bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count() as u64;
        self.offset += span.len() as u64;
        match memchr::memrchr(b'\n', span) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', span).count() as u64;
                self.column = 1 + chars(&span[last + 1..]);
            }
            None => self.column += chars(span),
        }
    }

    fn advance(&mut self, b: u8) {
        self.offset += 1;
        if b == b'\n' {
            self.line += 1;
            self.column = 1;
        } else if b & 0xC0 != 0x80 {
            self.column += 1;
        }
    }

    fn close(&mut self, opener: u8) {
        if self.open.last() == Some(&opener) {
            self.open.pop();
        }
    }

    /// Returns the opener `b` adds, if any.
    fn json_byte(&mut self, b: u8) -> Option<u8> {
        match (self.state, b) {
            (State::Short(_), b'\\') => self.state = State::ShortEscape(b'"'),
            (State::Short(_), b'"') => self.state = State::Normal,
            (State::ShortEscape(_), _) => self.state = State::Short(b'"'),
            (State::Short(_), _) => {}
            (_, b'"') => self.state = State::Short(b'"'),
            (_, b'[' | b'{') => return Some(b),
            (_, b']') => self.close(b'['),
            (_, b'}') => self.close(b'{'),
            _ => {}
        }
        None
    }

    /// Returns the opener `b` adds, if any (`<` for `<<`).
    fn turtle_byte(&mut self, b: u8) -> Option<u8> {
        match self.state {
            State::Normal => self.turtle_normal(b),
            State::NormalEscape => {
                // `\#` is part of a prefixed name, not a comment; any other byte is read
                // as if unescaped (counting a bracket the parser might not is safe).
                self.state = State::Normal;
                if b == b'#' {
                    None
                } else {
                    self.turtle_normal(b)
                }
            }
            State::AngleOpen => {
                if b == b'<' {
                    self.state = State::Normal;
                    Some(b'<')
                } else {
                    self.state = State::Iri;
                    self.turtle_iri(b);
                    None
                }
            }
            State::AngleClose => {
                self.state = State::Normal;
                if b == b'>' {
                    self.close(b'<');
                    None
                } else {
                    self.turtle_normal(b)
                }
            }
            State::Comment => {
                if b == b'\n' || b == b'\r' {
                    self.state = State::Normal;
                }
                None
            }
            State::Iri => {
                self.turtle_iri(b);
                None
            }
            State::IriEscape => {
                self.state = match b {
                    b'u' => State::IriHex(4),
                    b'U' => State::IriHex(8),
                    // The parser reports a bad escape and reads on outside the IRI.
                    _ => State::Normal,
                };
                None
            }
            State::IriHex(left) => {
                if b.is_ascii_hexdigit() {
                    self.state = if left <= 1 {
                        State::Iri
                    } else {
                        State::IriHex(left - 1)
                    };
                    None
                } else {
                    self.state = State::Normal;
                    self.turtle_normal(b)
                }
            }
            State::QuoteOpen1(q) => {
                if b == q {
                    self.state = State::QuoteOpen2(q);
                } else {
                    self.state = State::Short(q);
                    self.turtle_short(q, b);
                }
                None
            }
            State::QuoteOpen2(q) => {
                if b == q {
                    self.state = State::Long(q, 0);
                    None
                } else {
                    // `""`: an empty string, then `b`.
                    self.state = State::Normal;
                    self.turtle_normal(b)
                }
            }
            State::Short(q) => {
                self.turtle_short(q, b);
                None
            }
            State::ShortEscape(q) => {
                self.state = State::Short(q);
                None
            }
            State::Long(q, closing) => {
                self.state = match b {
                    b'\\' => State::LongEscape(q),
                    _ if b == q && closing >= 2 => State::Normal,
                    _ if b == q => State::Long(q, closing + 1),
                    _ => State::Long(q, 0),
                };
                None
            }
            State::LongEscape(q) => {
                self.state = State::Long(q, 0);
                None
            }
        }
    }

    fn turtle_normal(&mut self, b: u8) -> Option<u8> {
        match b {
            b'[' | b'(' | b'{' => return Some(b),
            b']' => self.close(b'['),
            b')' => self.close(b'('),
            b'}' => self.close(b'{'),
            b'<' => self.state = State::AngleOpen,
            b'>' => self.state = State::AngleClose,
            b'#' => self.state = State::Comment,
            b'\\' => self.state = State::NormalEscape,
            b'"' | b'\'' => self.state = State::QuoteOpen1(b),
            _ => {}
        }
        None
    }

    fn turtle_iri(&mut self, b: u8) {
        match b {
            b'>' => self.state = State::Normal,
            b'\\' => self.state = State::IriEscape,
            _ => {}
        }
    }

    fn turtle_short(&mut self, q: u8, b: u8) {
        // A line break does not end a short string for the parser either: it reports the
        // error and reads on to the closing quote.
        if b == b'\\' {
            self.state = State::ShortEscape(q);
        } else if b == q {
            self.state = State::Normal;
        }
    }
}

/// Checks a whole document held in memory.
pub fn check_nesting(bytes: &[u8], syntax: NestingSyntax, limit: usize) -> Result<(), TooDeep> {
    DepthScanner::new(syntax, limit)
        .feed(bytes)
        .map_err(|(_, refusal)| refusal)
}

/// Where a [`NestingGuard`] leaves its refusal for whoever reads the parser's output.
pub type RefusalSlot = Rc<RefCell<Option<TooDeep>>>;

/// A reader that scans what it passes on and stops before the first opener past the limit.
/// From then on every read fails; the refusal is also left in the guard's slot, so the
/// caller knows why the parser stopped whatever the parser makes of the error.
pub struct NestingGuard<R> {
    inner: R,
    scanner: DepthScanner,
    refusal: RefusalSlot,
}

impl<R: Read> NestingGuard<R> {
    /// Wraps `inner`; returns the guard and the slot its refusal goes to.
    pub fn new(inner: R, syntax: NestingSyntax, limit: usize) -> (Self, RefusalSlot) {
        let refusal = RefusalSlot::default();
        let guard = Self {
            inner,
            scanner: DepthScanner::new(syntax, limit),
            refusal: refusal.clone(),
        };
        (guard, refusal)
    }
}

impl<R: Read> Read for NestingGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(refusal) = self.refusal.borrow().as_ref() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                refusal.clone(),
            ));
        }
        let n = self.inner.read(buf)?;
        match self.scanner.feed(&buf[..n]) {
            Ok(()) => Ok(n),
            Err((within, refusal)) => {
                let error = std::io::Error::new(std::io::ErrorKind::InvalidData, refusal.clone());
                *self.refusal.borrow_mut() = Some(refusal);
                if within > 0 {
                    Ok(within)
                } else {
                    Err(error)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(text: &str, syntax: NestingSyntax) -> usize {
        let mut scanner = DepthScanner::new(syntax, usize::MAX);
        let mut deepest = 0;
        for b in text.as_bytes() {
            scanner.feed(std::slice::from_ref(b)).expect("no limit");
            deepest = deepest.max(scanner.depth());
        }
        deepest
    }

    #[test]
    fn json_brackets_count_outside_strings_only() {
        assert_eq!(
            depth(r#"{"a": [1, {"b": "[[[{{"}]}"#, NestingSyntax::Json),
            3
        );
        assert_eq!(
            depth(r#"{"a": "\"[[[", "b": [[]]}"#, NestingSyntax::Json),
            3
        );
        // A stray closer does not hide later openers.
        assert_eq!(depth("[}}}}[[", NestingSyntax::Json), 3);
    }

    #[test]
    fn turtle_brackets_count_outside_strings_iris_and_comments() {
        let doc = "@prefix ex: <http://ex/[[[#> .\n# [[[[ comment\nex:a ex:p [ ex:q ( \"[[\" '''x''' \"\"\"a]]\"\"\" ) ] ; ex:r ex:b\\#c .\n";
        assert_eq!(depth(doc, NestingSyntax::Turtle), 2);
        assert_eq!(
            depth(
                "ex:a ex:p << << ex:s ex:p ex:o >> ex:q ex:r >> .",
                NestingSyntax::Turtle
            ),
            2
        );
        // `>>` does not close a `[`; a bad IRI escape does not hide what follows.
        assert_eq!(depth("[ >> [ >> [", NestingSyntax::Turtle), 3);
        assert_eq!(depth("<http://a\\q [[ >", NestingSyntax::Turtle), 2);
        assert_eq!(depth("<http://a\\u0041[#> [", NestingSyntax::Turtle), 1);
        // A line break inside a short string does not end it (nor for the parser).
        assert_eq!(depth("\"a\n[[\" [", NestingSyntax::Turtle), 1);
        assert_eq!(depth("\"\" [ \"\"\"\"\"\" [", NestingSyntax::Turtle), 2);
    }

    #[test]
    fn refusal_is_located_and_cuts_the_stream_before_it() {
        let doc = format!("{{\"a\":\n  {}", "[".repeat(10));
        let err = check_nesting(doc.as_bytes(), NestingSyntax::Json, 5).expect_err("too deep");
        assert_eq!((err.line, err.column, err.offset), (2, 7, 12));
        let (mut guard, slot) = NestingGuard::new(doc.as_bytes(), NestingSyntax::Json, 5);
        let mut passed = Vec::new();
        assert!(guard.read_to_end(&mut passed).is_err());
        assert_eq!(passed, &doc.as_bytes()[..12]);
        assert_eq!(slot.borrow().as_ref(), Some(&err));
        assert!(check_nesting(doc.as_bytes(), NestingSyntax::Json, 11).is_ok());
    }

    #[test]
    fn chunking_does_not_change_the_outcome() {
        let doc = format!(
            "ex:a ex:p \"\"\"x\"\"\" , <http://a> ; ex:q {}{} .",
            "[ ex:p ".repeat(40),
            "] ".repeat(40)
        );
        let whole = check_nesting(doc.as_bytes(), NestingSyntax::Turtle, 30).expect_err("deep");
        for size in [1, 2, 3, 7, 64] {
            let mut scanner = DepthScanner::new(NestingSyntax::Turtle, 30);
            let mut got = None;
            for chunk in doc.as_bytes().chunks(size) {
                if let Err((_, e)) = scanner.feed(chunk) {
                    got = Some(e);
                    break;
                }
            }
            assert_eq!(got.as_ref(), Some(&whole), "chunks of {size}");
        }
    }

    #[test]
    fn jumping_over_strings_iris_comments_and_plain_bytes_keeps_every_position() {
        // Multi-byte characters, line breaks inside long strings and comments, escapes:
        // the refusal must be located the same whatever the chunks.
        let turtle = format!(
            "@prefix é: <http://ex/ü#> . # commentaire [ (\né:a é:p \"\"\"ligne\n« [ » \\\" \"\" \"\"\" , 'l\\'a' ;\n    é:q <http://ex/\\u00e9> ; é:r {} .",
            "[ é:p ".repeat(12)
        );
        let json = format!(
            "{{\"é\": \"a\\\"[[\\n\",\n  \"ü\": {}}}",
            "[{\"x\": ".repeat(12)
        );
        for (doc, syntax) in [(turtle, NestingSyntax::Turtle), (json, NestingSyntax::Json)] {
            let whole = check_nesting(doc.as_bytes(), syntax, 10).expect_err("deep");
            let mut bytewise = DepthScanner::new(syntax, 10);
            let mut by_byte = None;
            for b in doc.as_bytes() {
                if let Err((_, e)) = bytewise.feed(std::slice::from_ref(b)) {
                    by_byte = Some(e);
                    break;
                }
            }
            assert_eq!(by_byte.as_ref(), Some(&whole), "{doc}");
            assert!(whole.line >= 2, "{whole:?}");
        }
    }
}
