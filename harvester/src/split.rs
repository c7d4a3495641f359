//! Where a large Turtle or N-Triples page can be cut so that its parts, parsed on several
//! threads, give exactly the triples the whole page gives on one.
//!
//! A cut is made only at the end of a statement: a `.` followed by a space, tab or line
//! break, outside IRIs, strings and comments, and outside every bracket (`[`, `(`, `{`,
//! `<<`). In a valid document such a `.` always ends a statement: a prefixed name, a
//! blank node label or a number never ends with `.` (`1.` followed by a space is the
//! integer 1 and a full stop, as oxigraph's lexer reads it), and an escaped `\.` belongs
//! to its name. The lexical states below follow oxigraph's Turtle lexer (a long string
//! ends at the first three closing quotes, a comment at the first line break).
//!
//! What a parser carries from one statement to the next is its prefixes and base IRI
//! (blank node labels name the same node anywhere in a document, and oxigraph keeps them
//! as written). Every part after the first is therefore parsed after the page's
//! **preamble**: its head up to the end of the statement holding the last directive
//! (`@prefix`, `@base`, `PREFIX`, `BASE`, `VERSION`, or anything that looks like one) met
//! before the last cut. Statements of the preamble are parsed again by each part: the
//! duplicate triples are removed when the page is grouped, and a preamble holding a
//! bracket (which would mint a new anonymous blank node each time) prevents the cut.
//!
//! The scan never decides alone: whoever cuts must parse the whole page again, on one
//! thread, when any part reports any error (a document the scanner misreads is invalid,
//! and an invalid part makes its parser report an error), so that errors keep their exact
//! position and recovery.

use std::io::Read;

/// Where a page is cut; see the module documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cuts {
    /// Length of the head every part after the first is parsed after (0: none).
    pub preamble: u64,
    /// Offsets where the parts after the first start, increasing, each right after the
    /// `.` ending a statement.
    pub at: Vec<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lex {
    Normal,
    /// After a `\` outside strings and IRIs (an escape in a prefixed name).
    NameEscape,
    /// After `<` outside strings: an IRI, or `<<`.
    AngleOpen,
    /// After `>` outside strings: maybe `>>`.
    AngleClose,
    /// After a `.` outside every bracket: a statement ends when a space follows.
    Dot,
    Comment,
    Iri,
    /// After `\` in an IRI.
    IriEscape,
    /// One quote read: a short string, or the start of a long one.
    Quote1(u8),
    /// Two quotes read: an empty string, or the start of a long one.
    Quote2(u8),
    Short(u8),
    ShortEscape(u8),
    /// A long string and the closing quotes read in a row.
    Long(u8, u8),
    LongEscape(u8),
}

/// Words that start a SPARQL-style directive, lowercase.
const DIRECTIVE_WORDS: [&[u8]; 3] = [b"prefix", b"base", b"version"];
/// Longest word kept while scanning (longer words are no directive).
const WORD_MAX: usize = 8;

struct Scanner {
    state: Lex,
    /// Openers in force (`[`, `(`, `{`, `<<`), never below 0.
    depth: u64,
    offset: u64,
    /// The byte before was the closing quote of a string (a language tag's `@` follows).
    after_string: bool,
    /// The byte before is a letter, a `:` or an escaped byte: a letter there continues a
    /// word or a prefixed name, and starts no directive. Anything else before a letter
    /// (a digit, `-`, `.`, a byte-order mark...) lets a word start: a word taken for a
    /// directive only makes the preamble longer, a directive missed would be wrong.
    after_name: bool,
    /// The letters of the word being read, lowercase; `None` past [`WORD_MAX`] or when it
    /// does not start a word.
    word: Option<([u8; WORD_MAX], usize)>,
    /// A directive-like token was read since the last statement end.
    directive_pending: bool,
    /// A SPARQL-style `PREFIX` or `BASE` was read: it ends with the next IRI.
    sparql_directive: bool,
    /// The byte before was `@` (`@prefix` and `@base` end with a full stop).
    after_at: bool,
    /// The word being read follows an `@`.
    word_after_at: bool,
    /// End of the statement holding the last directive-like token.
    preamble: u64,
    /// Offset of the first opener.
    first_opener: Option<u64>,
    /// Where each part after the first should start at the earliest, increasing.
    targets: Vec<u64>,
    at: Vec<u64>,
}

fn continues_a_name(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b':'
}

impl Scanner {
    fn new(targets: Vec<u64>) -> Self {
        Self {
            state: Lex::Normal,
            depth: 0,
            offset: 0,
            after_string: false,
            after_name: false,
            word: None,
            directive_pending: false,
            sparql_directive: false,
            after_at: false,
            word_after_at: false,
            preamble: 0,
            first_opener: None,
            at: Vec::with_capacity(targets.len()),
            targets,
        }
    }

    fn done(&self) -> bool {
        self.at.len() >= self.targets.len()
    }

    /// Scans `bytes`; stops early once every cut is found.
    fn feed(&mut self, bytes: &[u8]) {
        let mut i = 0;
        while i < bytes.len() && !self.done() {
            // Inside strings, IRIs and comments, jump to the next byte that matters.
            let skip = match self.state {
                Lex::Short(q) | Lex::Long(q, 0) => memchr::memchr2(q, b'\\', &bytes[i..]),
                Lex::Iri => memchr::memchr2(b'>', b'\\', &bytes[i..]),
                Lex::Comment => memchr::memchr2(b'\n', b'\r', &bytes[i..]),
                _ => Some(0),
            };
            let Some(skip) = skip else {
                self.offset += (bytes.len() - i) as u64;
                return;
            };
            i += skip;
            self.offset += skip as u64;
            self.byte(bytes[i]);
            self.offset += 1;
            i += 1;
        }
    }

    fn opened(&mut self, at: u64) {
        self.depth += 1;
        self.first_opener.get_or_insert(at);
    }

    fn byte(&mut self, b: u8) {
        match self.state {
            Lex::Normal => self.normal(b),
            Lex::NameEscape => {
                // The escaped byte belongs to the name, whatever it is.
                self.state = Lex::Normal;
                self.after_name = true;
                self.word = None;
            }
            Lex::AngleOpen => {
                if b == b'<' {
                    self.state = Lex::Normal;
                    self.opened(self.offset - 1);
                    self.after_name = false;
                } else {
                    self.state = Lex::Iri;
                    self.iri(b);
                }
            }
            Lex::AngleClose => {
                self.state = Lex::Normal;
                if b == b'>' {
                    self.depth = self.depth.saturating_sub(1);
                    self.after_name = false;
                } else {
                    self.normal(b);
                }
            }
            Lex::Dot => {
                self.state = Lex::Normal;
                if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                    self.statement_end(self.offset);
                }
                self.normal(b);
            }
            Lex::Comment => {
                if b == b'\n' || b == b'\r' {
                    self.state = Lex::Normal;
                    self.after_name = false;
                }
            }
            Lex::Iri => self.iri(b),
            Lex::IriEscape => self.state = Lex::Iri,
            Lex::Quote1(q) => {
                if b == q {
                    self.state = Lex::Quote2(q);
                } else {
                    self.state = Lex::Short(q);
                    self.short(q, b);
                }
            }
            Lex::Quote2(q) => {
                if b == q {
                    self.state = Lex::Long(q, 0);
                } else {
                    // `""`: an empty string, then `b`.
                    self.state = Lex::Normal;
                    self.after_string = true;
                    self.normal(b);
                }
            }
            Lex::Short(q) => self.short(q, b),
            Lex::ShortEscape(q) => self.state = Lex::Short(q),
            Lex::Long(q, closing) => {
                self.state = match b {
                    b'\\' => Lex::LongEscape(q),
                    _ if b == q && closing >= 2 => {
                        self.after_string = true;
                        Lex::Normal
                    }
                    _ if b == q => Lex::Long(q, closing + 1),
                    _ => Lex::Long(q, 0),
                };
            }
            Lex::LongEscape(q) => self.state = Lex::Long(q, 0),
        }
    }

    fn iri(&mut self, b: u8) {
        match b {
            b'>' => {
                self.state = Lex::Normal;
                self.after_name = false;
                if std::mem::take(&mut self.sparql_directive) && !self.directive_pending {
                    // `PREFIX p: <iri>` or `BASE <iri>` ends here, with no full stop.
                    self.preamble = self.offset + 1;
                }
            }
            b'\\' => self.state = Lex::IriEscape,
            _ => {}
        }
    }

    fn short(&mut self, q: u8, b: u8) {
        if b == b'\\' {
            self.state = Lex::ShortEscape(q);
        } else if b == q {
            self.state = Lex::Normal;
            self.after_string = true;
        }
    }

    /// A byte in the normal state.
    fn normal(&mut self, b: u8) {
        let after_string = std::mem::take(&mut self.after_string);
        let after_at = std::mem::replace(&mut self.after_at, b == b'@');
        if b.is_ascii_alphabetic() {
            if !self.after_name && self.word.is_none() {
                self.word_after_at = after_at;
                self.word = Some(([0; WORD_MAX], 0));
            }
            if let Some((letters, len)) = self.word.as_mut() {
                if *len < WORD_MAX {
                    letters[*len] = b.to_ascii_lowercase();
                    *len += 1;
                } else {
                    self.word = None;
                }
            }
            self.after_name = true;
            return;
        }
        if let Some((letters, len)) = self.word.take() {
            let word = &letters[..len];
            if b != b':' && DIRECTIVE_WORDS.contains(&word) {
                if !self.word_after_at && (word == b"prefix" || word == b"base") {
                    self.sparql_directive = true;
                } else {
                    self.directive_pending = true;
                }
            }
        }
        self.after_name = continues_a_name(b);
        match b {
            b'[' | b'(' | b'{' => self.opened(self.offset),
            b']' | b')' | b'}' => self.depth = self.depth.saturating_sub(1),
            b'<' => self.state = Lex::AngleOpen,
            b'>' => self.state = Lex::AngleClose,
            b'#' => self.state = Lex::Comment,
            b'\\' => self.state = Lex::NameEscape,
            b'"' | b'\'' => self.state = Lex::Quote1(b),
            b'@' if !after_string => self.directive_pending = true,
            b'.' if self.depth == 0 => self.state = Lex::Dot,
            _ => {}
        }
    }

    /// A statement ends at `end` (right after its `.`).
    fn statement_end(&mut self, end: u64) {
        if std::mem::take(&mut self.directive_pending) {
            self.preamble = end;
        }
        if let Some(&target) = self.targets.get(self.at.len()) {
            if end >= target {
                self.at.push(end);
            }
        }
    }
}

/// Finds where to cut a Turtle or N-Triples page of `len` bytes read from `reader` into
/// `parts` parts of about equal size; `None` when it cannot be cut safely (no statement
/// end near a target, a directive far into the page, a bracket in the preamble) or
/// reading fails. Reads the page up to its last cut.
pub fn find_cuts(reader: impl Read, len: u64, parts: usize) -> Option<Cuts> {
    if parts < 2 {
        return None;
    }
    let parts_u64 = parts as u64;
    let targets: Vec<u64> = (1..parts_u64).map(|k| len / parts_u64 * k).collect();
    let mut scanner = Scanner::new(targets);
    let mut reader = reader;
    let mut buffer = vec![0u8; 1 << 20];
    while !scanner.done() {
        let n = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return None,
        };
        scanner.feed(&buffer[..n]);
    }
    let first = *scanner.at.first()?;
    // Parts parsed after a long preamble would parse it again for little gain, and a
    // bracket in it would mint its anonymous blank nodes once more.
    if scanner.preamble > first / 4 || scanner.first_opener.is_some_and(|o| o < scanner.preamble) {
        return None;
    }
    Some(Cuts {
        preamble: scanner.preamble,
        at: scanner.at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cuts(text: &str, parts: usize) -> Option<Cuts> {
        find_cuts(text.as_bytes(), text.len() as u64, parts)
    }

    /// The statements of a small Turtle document, repeated to `n` subjects.
    fn doc(n: usize) -> String {
        let mut text = String::from(
            "@prefix dct: <http://purl.org/dc/terms/> .\nPREFIX ex: <http://example.org/>\n",
        );
        for i in 0..n {
            text.push_str(&format!("ex:d{i} dct:title \"titre {i}\" ; ex:v 1.5 .\n"));
        }
        text
    }

    #[test]
    fn cuts_fall_right_after_a_statement_end_past_each_target() {
        let text = doc(100);
        let found = cuts(&text, 3).expect("cuts");
        assert_eq!(found.at.len(), 2);
        for (k, &at) in found.at.iter().enumerate() {
            let at = at as usize;
            assert!(at >= text.len() / 3 * (k + 1));
            assert_eq!(&text[at - 2..at + 1], " .\n", "{at}");
        }
        // The preamble ends with the IRI of the SPARQL-style `PREFIX`.
        let preamble = found.preamble as usize;
        assert!(
            text[..preamble].ends_with("PREFIX ex: <http://example.org/>"),
            "{}",
            &text[..preamble]
        );
    }

    #[test]
    fn full_stops_inside_strings_iris_comments_names_numbers_and_brackets_are_no_cut() {
        let head = "@prefix ex: <http://example.org/> .\n";
        let traps = [
            "ex:a ex:b \"x . y\" ",
            "ex:a ex:b 'x . y' ",
            "ex:a ex:b \"\"\"x .\n \"\" . \"\"\" ",
            "ex:a ex:b '''x . ''' ",
            "ex:a ex:b <http://x/. y> ",
            "ex:a ex:b ex:c # comment . here\n ",
            "ex:a ex:b ex:c\\. ",
            "ex:a ex:b [ ex:c ex:d . ] ",
            "ex:a ex:b ( 1. 2 ) ",
            "ex:a ex:b \"a\\\" . \" ",
        ];
        for trap in traps {
            // The only statement end of the body is its last full stop.
            let text = format!("{head}ex:q ex:r ex:s ; {trap}.\nex:z ex:y ex:x .\n");
            let found = find_cuts(text.as_bytes(), text.len() as u64 + 10_000_000, 2);
            assert_eq!(found, None, "{trap}");
            let mut scanner = Scanner::new(vec![head.len() as u64 + 1]);
            scanner.feed(text.as_bytes());
            let expected = text.find(".\nex:z").expect("end") as u64 + 1;
            assert_eq!(scanner.at, vec![expected], "{trap}");
        }
    }

    #[test]
    fn a_directive_late_in_the_page_or_a_bracket_in_the_preamble_prevents_the_cut() {
        // A directive before the cut but far into the page: its part would re-read too
        // much. After the cut, it is read by its own part: no preamble needed.
        let body = |n: usize| doc(n)[76..].to_owned();
        let late = format!(
            "{}@prefix dct: <http://example.org/other/> .\n{}",
            doc(20),
            body(80)
        );
        assert_eq!(cuts(&late, 2), None);
        let after = format!(
            "{}@prefix dct: <http://example.org/other/> .\n{}",
            doc(70),
            body(30)
        );
        let found = cuts(&after, 2).expect("cuts");
        assert!(
            found.at[0] < doc(70).len() as u64 && found.preamble < 200,
            "{found:?}"
        );
        let bracket = format!(
            "@prefix ex: <http://example.org/> .\nex:a ex:b [ ex:c 1 ] .\n@prefix ex2: <http://example.org/2/> .\n{}",
            &doc(100)[90..]
        );
        assert_eq!(cuts(&bracket, 2), None);
        // A language tag is no directive; a prefixed name `base:x` is none either.
        let tagged = format!(
            "@prefix base: <http://example.org/> .\n{}",
            "base:a base:b \"chat\"@fr , \"\"\"cat\"\"\"@en .\n".repeat(100)
        );
        let found = cuts(&tagged, 2).expect("cuts");
        let head = "@prefix base: <http://example.org/> .";
        assert_eq!(found.preamble, head.len() as u64);
    }

    #[test]
    fn a_directive_after_a_byte_order_mark_or_a_digit_is_still_a_directive() {
        let body = "<a> <http://p/> <b> .\n".repeat(100);
        for head in [
            "\u{feff}BASE <http://example.org/b/>\n",
            "\u{feff}PREFIX ex: <http://example.org/>\n",
            "<x> <http://p/> 1.PREFIX ex: <http://example.org/>\n",
        ] {
            let text = format!("{head}{body}");
            let found = cuts(&text, 2).expect("cuts");
            assert!(
                found.preamble >= head.trim_end().len() as u64,
                "{head}: {found:?}"
            );
        }
    }

    #[test]
    fn n_triples_cut_without_preamble() {
        let text = "<http://a/1> <http://p/> \"v. \" .\n".repeat(100);
        let found = cuts(&text, 4).expect("cuts");
        assert_eq!((found.preamble, found.at.len()), (0, 3));
    }
}
