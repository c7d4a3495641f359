//! The distinct terms of one page, each held once in one text buffer.
//!
//! A page of a few hundred thousand records holds tens of millions of distinct terms; kept
//! as oxigraph [`Term`]s in a hash set, each costs its text plus about a hundred bytes (the
//! 56-byte enum, the set's entry and index, one or two allocations). Here a term costs its
//! text plus about fourteen bytes: its start in the buffer (4), its kind (1) and its slot
//! in the hash index (4, at most 7/8 full).
//!
//! Invariants:
//! - Two terms get the same id exactly when they are equal as oxigraph terms: the kind and
//!   the text below are a faithful encoding (a blank node's text is its label, which
//!   oxigraph also compares).
//! - Ids are dense and given in order of first insertion, from 0.
//! - [`TermTable::get`] borrows from the buffer: reading a term allocates nothing.

use hashbrown::{DefaultHashBuilder, HashTable};
use oxigraph::model::vocab::xsd;
#[cfg(test)]
use oxigraph::model::Term;
use oxigraph::model::{BlankNodeRef, LiteralRef, NamedNodeRef, NamedOrBlankNodeRef, TermRef};
use std::hash::{BuildHasher, Hasher};

/// An IRI: its text.
const IRI: u8 = 0;
/// A blank node: its label.
const BLANK: u8 = 1;
/// A literal of datatype `xsd:string`: its value.
const SIMPLE: u8 = 2;
/// A language-tagged literal: `lang@value` (a language tag holds no `@`).
const LANG: u8 = 3;
/// A literal of another datatype: the datatype IRI's term id in eight hex digits, then
/// the value.
const TYPED: u8 = 4;

/// Hex digits of a datatype id in a typed literal's text.
const ID_DIGITS: usize = 8;

/// Interned terms; see the module documentation.
#[derive(Default)]
pub(crate) struct TermTable {
    texts: Texts,
    /// Ids with 32 bits of the hash of their kind and text ([`short_hash`]), by that hash.
    index: HashTable<Slot>,
    /// Randomly seeded (harvested text must not choose its collisions); tables that are
    /// joined share it ([`TermTable::with_hasher`]).
    hasher: DefaultHashBuilder,
    /// Reused to build the text of language-tagged and typed literals.
    scratch: String,
}

/// The kind and text of every term.
#[derive(Default)]
struct Texts {
    /// Every term's text, back to back.
    text: String,
    /// Where each term's text starts in `text`, modulo 2^32 (see `wraps`); a term ends
    /// where the next one starts.
    starts: Vec<u32>,
    /// The first id whose start is past each multiple of 2^32, in order.
    wraps: Vec<u32>,
    /// Each term's kind (`IRI`, `BLANK`, ...).
    kinds: Vec<u8>,
}

impl Texts {
    fn start(&self, id: u32) -> usize {
        if self.wraps.is_empty() {
            return self.starts[id as usize] as usize;
        }
        let high = self.wraps.partition_point(|&w| w <= id);
        (high << 32) | self.starts[id as usize] as usize
    }

    /// Where term `id`'s text is in `text`.
    fn range_of(&self, id: u32) -> std::ops::Range<usize> {
        let end = if id as usize + 1 < self.starts.len() {
            self.start(id + 1)
        } else {
            self.text.len()
        };
        self.start(id)..end
    }

    fn text_of(&self, id: u32) -> &str {
        &self.text[self.range_of(id)]
    }

    /// The bytes of term `id`'s text (no character boundary check: comparing is enough).
    fn bytes_of(&self, id: u32) -> &[u8] {
        &self.text.as_bytes()[self.range_of(id)]
    }

    fn hash(hasher: &DefaultHashBuilder, kind: u8, text: &[u8]) -> u32 {
        let mut state = hasher.build_hasher();
        state.write_u8(kind);
        state.write(text);
        short_hash(state.finish())
    }
}

/// A term's id and the 32 bits of its hash the index keeps.
#[derive(Clone, Copy)]
struct Slot {
    id: u32,
    hash: u32,
}

/// The 32 bits of a 64-bit hash the index keeps.
fn short_hash(full: u64) -> u32 {
    // Truncation intended: both halves are folded in.
    (full ^ (full >> 32)) as u32
}

/// The hash the index files slot `hash` under: hashbrown picks the bucket from the low
/// bits and a control tag from the top seven, so both come from the kept 32 bits.
fn table_hash(hash: u32) -> u64 {
    (u64::from(hash) << 32) | u64::from(hash)
}

impl TermTable {
    /// Returns an empty table hashing with `hasher` (the same for tables to be joined).
    pub(crate) fn with_hasher(hasher: DefaultHashBuilder) -> Self {
        Self {
            hasher,
            ..Self::default()
        }
    }

    /// Returns the table's hasher.
    pub(crate) fn hasher(&self) -> &DefaultHashBuilder {
        &self.hasher
    }

    /// Returns the number of distinct terms.
    pub(crate) fn len(&self) -> usize {
        self.texts.kinds.len()
    }

    /// Returns the id of `term`, adding it when new.
    ///
    /// # Panics
    /// When the page holds 2^32 - 1 distinct terms (a page is capped far below).
    pub(crate) fn intern(&mut self, term: TermRef<'_>) -> u32 {
        match term {
            TermRef::NamedNode(n) => self.intern_text(IRI, n.as_str()),
            TermRef::BlankNode(b) => self.intern_text(BLANK, b.as_str()),
            TermRef::Literal(l) => {
                if let Some(lang) = l.language() {
                    let mut text = std::mem::take(&mut self.scratch);
                    text.clear();
                    text.push_str(lang);
                    text.push('@');
                    text.push_str(l.value());
                    let id = self.intern_text(LANG, &text);
                    self.scratch = text;
                    id
                } else if l.datatype() == xsd::STRING {
                    self.intern_text(SIMPLE, l.value())
                } else {
                    let datatype = self.intern_text(IRI, l.datatype().as_str());
                    let mut text = std::mem::take(&mut self.scratch);
                    typed_text(&mut text, datatype, l.value());
                    let id = self.intern_text(TYPED, &text);
                    self.scratch = text;
                    id
                }
            }
        }
    }

    /// Returns the id of the IRI `iri`, if the page holds it.
    pub(crate) fn iri_id(&self, iri: &str) -> Option<u32> {
        self.find(IRI, iri)
    }

    /// Returns the id of `term`, if the page holds it.
    pub(crate) fn id_of(&self, term: TermRef<'_>) -> Option<u32> {
        match term {
            TermRef::NamedNode(n) => self.find(IRI, n.as_str()),
            TermRef::BlankNode(b) => self.find(BLANK, b.as_str()),
            TermRef::Literal(l) => {
                if let Some(lang) = l.language() {
                    self.find(LANG, &format!("{lang}@{}", l.value()))
                } else if l.datatype() == xsd::STRING {
                    self.find(SIMPLE, l.value())
                } else {
                    let datatype = self.find(IRI, l.datatype().as_str())?;
                    let mut text = String::new();
                    typed_text(&mut text, datatype, l.value());
                    self.find(TYPED, &text)
                }
            }
        }
    }

    /// Returns the term of id `id`, borrowed from the table.
    ///
    /// # Panics
    /// When `id` was not given by this table.
    pub(crate) fn get(&self, id: u32) -> TermRef<'_> {
        let text = self.texts.text_of(id);
        match self.texts.kinds[id as usize] {
            IRI => NamedNodeRef::new_unchecked(text).into(),
            BLANK => BlankNodeRef::new_unchecked(text).into(),
            SIMPLE => LiteralRef::new_simple_literal(text).into(),
            LANG => {
                let (lang, value) = lang_parts(text);
                LiteralRef::new_language_tagged_literal_unchecked(value, lang).into()
            }
            _ => {
                let (datatype, value) = self.typed_parts(text);
                LiteralRef::new_typed_literal(value, NamedNodeRef::new_unchecked(datatype)).into()
            }
        }
    }

    /// Returns the term of id `id`, owned.
    #[cfg(test)]
    pub(crate) fn owned(&self, id: u32) -> Term {
        self.get(id).into_owned()
    }

    /// Returns true when term `id` is `subject`.
    pub(crate) fn is_subject(&self, id: u32, subject: NamedOrBlankNodeRef<'_>) -> bool {
        let (kind, text) = match subject {
            NamedOrBlankNodeRef::NamedNode(n) => (IRI, n.as_str()),
            NamedOrBlankNodeRef::BlankNode(b) => (BLANK, b.as_str()),
        };
        self.texts.kinds.get(id as usize) == Some(&kind)
            && self.texts.bytes_of(id) == text.as_bytes()
    }

    /// Writes term `id` in N-Triples as oxigraph prints it (`Display`) to `out`, after
    /// clearing it: without `fmt` for the texts that need no escape (nearly all).
    pub(crate) fn write_ntriples(&self, id: u32, out: &mut Vec<u8>) {
        out.clear();
        let text = self.texts.text_of(id);
        let (open, value, close): (&[u8], &str, [&[u8]; 3]) = match self.texts.kinds[id as usize] {
            IRI => (b"<", text, [b">", b"", b""]),
            BLANK => (b"_:", text, [b"", b"", b""]),
            SIMPLE => (b"\"", text, [b"\"", b"", b""]),
            LANG => {
                let (lang, value) = lang_parts(text);
                (b"\"", value, [b"\"@", lang.as_bytes(), b""])
            }
            _ => {
                let (datatype, value) = self.typed_parts(text);
                (b"\"", value, [b"\"^^<", datatype.as_bytes(), b">"])
            }
        };
        let literal = open == b"\"";
        if literal && needs_escape(value) {
            use std::io::Write;
            let _ = write!(out, "{}", self.get(id));
            return;
        }
        out.extend_from_slice(open);
        out.extend_from_slice(value.as_bytes());
        for piece in close {
            out.extend_from_slice(piece);
        }
    }

    /// Returns true when term `id` is a blank node.
    pub(crate) fn is_blank(&self, id: u32) -> bool {
        self.texts.kinds[id as usize] == BLANK
    }

    /// Returns true when term `id` is an IRI.
    pub(crate) fn is_iri(&self, id: u32) -> bool {
        self.texts.kinds[id as usize] == IRI
    }

    /// The datatype IRI and value of typed literal text `text`.
    fn typed_parts<'a>(&'a self, text: &'a str) -> (&'a str, &'a str) {
        let (datatype, value) = typed_id_parts(text);
        (datatype.map_or("", |d| self.texts.text_of(d)), value)
    }

    fn find(&self, kind: u8, text: &str) -> Option<u32> {
        let hash = Texts::hash(&self.hasher, kind, text.as_bytes());
        self.find_hashed(kind, text, hash)
    }

    /// [`Self::find`] of a text whose hash (by this table's hasher) is `hash`.
    fn find_hashed(&self, kind: u8, text: &str, hash: u32) -> Option<u32> {
        let texts = &self.texts;
        self.index
            .find(table_hash(hash), |slot| {
                slot.hash == hash
                    && texts.kinds[slot.id as usize] == kind
                    && texts.bytes_of(slot.id) == text.as_bytes()
            })
            .map(|slot| slot.id)
    }

    fn intern_text(&mut self, kind: u8, text: &str) -> u32 {
        let hash = Texts::hash(&self.hasher, kind, text.as_bytes());
        self.intern_hashed(kind, text, hash)
    }

    /// [`Self::intern_text`] of a text whose hash (by this table's hasher) is `hash`.
    fn intern_hashed(&mut self, kind: u8, text: &str, hash: u32) -> u32 {
        if let Some(id) = self.find_hashed(kind, text, hash) {
            return id;
        }
        let Self { texts, index, .. } = self;
        let id = u32::try_from(texts.kinds.len())
            .ok()
            .filter(|&id| id < u32::MAX)
            .expect("fewer than 2^32 - 1 distinct terms in one page");
        let start = texts.text.len();
        if (start >> 32) > texts.wraps.len() {
            texts.wraps.push(id);
        }
        // Truncation intended: the high part is in `wraps`.
        texts.starts.push(start as u32);
        texts.kinds.push(kind);
        texts.text.push_str(text);
        index.insert_unique(table_hash(hash), Slot { id, hash }, |slot| {
            table_hash(slot.hash)
        });
        id
    }

    /// Adds the terms of `other` in the order of their ids there; returns, for each id of
    /// `other`, the term's id here. When `other` hashes with this table's hasher
    /// ([`Self::with_hasher`]), only typed literals are hashed again (their text holds
    /// their datatype's id); otherwise every term is.
    pub(crate) fn append(&mut self, other: &TermTable) -> Vec<u32> {
        // Two hashers agree on a probe text when they are the same; different ones agree
        // by a 2^-32 chance, which could only give an equal term a second id.
        let probe = |t: &TermTable| Texts::hash(&t.hasher, u8::MAX, b"moisson term table");
        let same_hasher = probe(self) == probe(other);
        // Each term's hash, kept by `other`'s index: of use only under the same hasher.
        let hashes = same_hasher.then(|| {
            let mut hashes = vec![0u32; other.len()];
            for slot in other.index.iter() {
                hashes[slot.id as usize] = slot.hash;
            }
            hashes
        });
        self.index
            .reserve(other.len(), |slot| table_hash(slot.hash));
        self.texts.text.reserve(other.texts.text.len());
        let mut ids: Vec<u32> = Vec::with_capacity(other.len());
        let mut scratch = String::new();
        for id in 0..other.len() {
            let kind = other.texts.kinds[id];
            let text = other.texts.text_of(id as u32);
            let mapped = if kind == TYPED {
                // The datatype's id is in the text, and interned before the literal.
                let (datatype, value) = typed_id_parts(text);
                let datatype = datatype.map_or(u32::MAX, |d| ids[d as usize]);
                typed_text(&mut scratch, datatype, value);
                self.intern_text(TYPED, &scratch)
            } else if let Some(hashes) = &hashes {
                self.intern_hashed(kind, text, hashes[id])
            } else {
                self.intern_text(kind, text)
            };
            ids.push(mapped);
        }
        ids
    }
}

/// Returns true when oxigraph's N-Triples form of a literal of value `value` escapes a
/// character of it: a control character, `"`, `\\`, U+007F, U+FFFE or U+FFFF.
fn needs_escape(value: &str) -> bool {
    value
        .bytes()
        .any(|b| b < 0x20 || b == b'"' || b == b'\\' || b == 0x7F)
        || (memchr::memchr(0xEF, value.as_bytes()).is_some()
            && (value.contains('\u{FFFE}') || value.contains('\u{FFFF}')))
}

/// The language tag and value of language-tagged literal text `text`.
fn lang_parts(text: &str) -> (&str, &str) {
    text.split_once('@').unwrap_or(("", text))
}

/// The datatype's term id and the value of typed literal text `text` (see [`typed_text`]).
fn typed_id_parts(text: &str) -> (Option<u32>, &str) {
    let (digits, value) = text.split_at(ID_DIGITS.min(text.len()));
    (u32::from_str_radix(digits, 16).ok(), value)
}

/// Writes the text of a typed literal of datatype term `datatype` and value `value`.
fn typed_text(out: &mut String, datatype: u32, value: &str) {
    use std::fmt::Write;
    out.clear();
    let _ = write!(out, "{datatype:0ID_DIGITS$x}");
    out.push_str(value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::{BlankNode, Literal, NamedNode};

    #[test]
    fn terms_round_trip_and_equal_terms_share_an_id() {
        let terms: Vec<Term> = vec![
            NamedNode::new_unchecked("http://ex/a").into(),
            BlankNode::new_unchecked("b0").into(),
            BlankNode::default().into(),
            Literal::new_simple_literal("http://ex/a").into(),
            Literal::new_simple_literal("").into(),
            Literal::new_language_tagged_literal_unchecked("Titre @ part", "fr").into(),
            Literal::new_language_tagged_literal_unchecked("", "en-gb").into(),
            Literal::new_typed_literal("2024-01-01", xsd::DATE).into(),
            Literal::new_typed_literal("", NamedNode::new_unchecked("http://ex/dt")).into(),
            Literal::new_typed_literal("2024-01-01", xsd::STRING).into(),
        ];
        let mut table = TermTable::default();
        let ids: Vec<u32> = terms.iter().map(|t| table.intern(t.as_ref())).collect();
        for (term, &id) in terms.iter().zip(&ids) {
            assert_eq!(table.owned(id), *term);
            assert_eq!(table.id_of(term.as_ref()), Some(id));
            assert_eq!(table.intern(term.as_ref()), id, "{term}");
        }
        // "http://ex/a" as IRI and as literal are two terms; the typed xsd:string literal
        // is the simple literal oxigraph makes of it.
        assert_ne!(ids[0], ids[3]);
        let distinct: std::collections::HashSet<&Term> = terms.iter().collect();
        let distinct_ids: std::collections::HashSet<u32> = ids.iter().copied().collect();
        assert_eq!(distinct.len(), distinct_ids.len());
        // Datatype IRIs are terms of their own.
        assert!(table.iri_id(xsd::DATE.as_str()).is_some());
        assert!(table.is_iri(ids[0]) && table.is_blank(ids[1]) && !table.is_iri(ids[3]));
    }

    fn ntriples_of(table: &TermTable, id: u32) -> String {
        let mut out = Vec::new();
        table.write_ntriples(id, &mut out);
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn terms_are_written_as_oxigraph_prints_them() {
        let values = [
            "",
            "plain",
            "quote \" in",
            "back\\slash",
            "line\nbreak",
            "tab\t",
            "\u{7}bell",
            "del\u{7F}",
            "nonchar \u{FFFE} \u{FFFF}",
            "accentué ✓ \u{FFFD}",
            "@at@",
            "ï¿½",
        ];
        let mut table = TermTable::default();
        let mut terms: Vec<Term> = vec![
            NamedNode::new_unchecked("http://ex/a?b=c#d").into(),
            BlankNode::new_unchecked("b0").into(),
        ];
        for value in values {
            terms.push(Literal::new_simple_literal(value).into());
            terms.push(Literal::new_language_tagged_literal_unchecked(value, "fr-ca").into());
            terms.push(Literal::new_typed_literal(value, xsd::DATE).into());
            terms.push(Literal::new_typed_literal(value, xsd::STRING).into());
        }
        for term in &terms {
            let id = table.intern(term.as_ref());
            assert_eq!(ntriples_of(&table, id), term.to_string());
        }
    }

    proptest::proptest! {
        #[test]
        fn any_literal_is_written_as_oxigraph_prints_it(value in "\\PC*|[\\x00-\\x7F\u{FFFD}-\u{FFFF}]*", lang in "[a-z]{2}") {
            let mut table = TermTable::default();
            for term in [
                Term::from(Literal::new_simple_literal(value.as_str())),
                Literal::new_language_tagged_literal_unchecked(value.as_str(), lang.as_str()).into(),
                Literal::new_typed_literal(value.as_str(), xsd::DATE_TIME).into(),
            ] {
                let id = table.intern(term.as_ref());
                proptest::prop_assert_eq!(ntriples_of(&table, id), term.to_string());
            }
        }

        #[test]
        fn joined_tables_give_the_ids_of_one_table(words in proptest::collection::vec("[a-c]{1,2}", 0..40), cut in 0usize..40) {
            // Each word is an IRI, a literal and a typed literal of two datatypes.
            let terms = |words: &[String]| -> Vec<Term> {
                words.iter().flat_map(|w| [
                    Term::from(NamedNode::new_unchecked(format!("http://ex/{w}"))),
                    Literal::new_simple_literal(w.as_str()).into(),
                    Literal::new_typed_literal(w.as_str(), NamedNode::new_unchecked(format!("http://dt/{}", w.len()))).into(),
                ]).collect()
            };
            let cut = cut.min(words.len());
            let mut whole = TermTable::default();
            let whole_ids: Vec<u32> = terms(&words).iter().map(|t| whole.intern(t.as_ref())).collect();
            let mut first = TermTable::default();
            // Joined tables share a hasher; a table with its own is joined too (slower).
            let mut second = if cut % 2 == 0 {
                TermTable::with_hasher(first.hasher().clone())
            } else {
                TermTable::default()
            };
            let mut ids: Vec<u32> = terms(&words[..cut]).iter().map(|t| first.intern(t.as_ref())).collect();
            let second_ids: Vec<u32> = terms(&words[cut..]).iter().map(|t| second.intern(t.as_ref())).collect();
            let mapped = first.append(&second);
            ids.extend(second_ids.iter().map(|&id| mapped[id as usize]));
            proptest::prop_assert_eq!(&ids, &whole_ids);
            proptest::prop_assert_eq!(first.len(), whole.len());
            for id in 0..whole.len() as u32 {
                proptest::prop_assert_eq!(first.owned(id), whole.owned(id));
                proptest::prop_assert_eq!(first.id_of(whole.get(id)), Some(id));
            }
        }
    }

    #[test]
    fn many_terms_keep_their_ids() {
        let mut table = TermTable::default();
        let iri = |i: usize| NamedNode::new_unchecked(format!("http://ex/{i}"));
        for i in 0..50_000 {
            assert_eq!(table.intern(iri(i).as_ref().into()) as usize, i);
        }
        for i in (0..50_000).step_by(997) {
            assert_eq!(table.iri_id(iri(i).as_str()), Some(i as u32));
            assert_eq!(table.owned(i as u32), Term::from(iri(i)));
        }
        assert_eq!(table.len(), 50_000);
    }
}
