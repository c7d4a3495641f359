//! The compact form of each record graph: how the record store keeps a record, so that
//! reading one costs one index lookup instead of one dictionary lookup per term, and
//! writing one costs one quad instead of six index entries per triple.
//!
//! oxigraph stores every term longer than a few bytes in a dictionary: decoding one quad
//! of a record graph costs up to four RocksDB point reads, and a record of 50 triples about
//! 150. The search index, quality runs, the API and `/catalog` read whole record graphs,
//! so at 100,000 records reading dominated everything else (profiled: tantivy was ~1 %).
//! Nothing reads a record graph of the record store by pattern: SPARQL runs on the SPARQL
//! store (`sparql_store.rs`), which holds the active graphs as quads, loaded from these.
//!
//! Invariants:
//! - The copy of record graph `g` is one literal, object of `<g> moisson:triples` in graph
//!   [`BLOB_GRAPH`]; it is all the record store writes of `g` (the graph's own quads are
//!   written only when its copy would be too large to read back, past [`MAX_TEXT_BYTES`])
//!   and is removed with the graph.
//! - It holds exactly the graph's triples; a missing or unreadable copy (a store written by
//!   an earlier version, which also holds the quads) falls back to reading the quads.
//!   `moisson compact-store` drops the quads of graphs whose copy reads back.
//! - The blob graph is not a record graph: readers, exports and SPARQL never see it.
//!
//! Format (UTF-8, length-prefixed so no value needs escaping):
//! `m1 {terms} {triples}\n`, then each distinct term as a tag (`I` IRI, `B` blank node,
//! `L` plain literal, `T` typed literal, `G` language-tagged literal) followed by
//! `{bytes}:{text}` (and, for `T` and `G`, a second `{bytes}:{datatype or language}`),
//! then each triple as three term numbers `s p o` ended by `\n`.
//!
//! Stored form: that text compressed with zstd against a fixed dictionary of common
//! DCAT-AP terms (`blob_dictionary.txt`, never edited: copies written with it must stay
//! readable), as `z1 {text bytes} ` followed by the compressed bytes, 7 bits per character
//! (every character is ASCII, so the literal is valid UTF-8 at 8/7 of the bytes). At
//! 100,000 generated records the copies were ~394 MB of oxigraph's 650 MB string dictionary
//! as text, about 3× less so.
//! Copies written before (`m1 ` text) are still read.

use oxigraph::model::GraphNameRef;
use oxigraph::model::{
    BlankNode, GraphName, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, NamedOrBlankNodeRef,
    Quad, Term, TermRef, Triple, TripleRef,
};
use oxigraph::store::{Store, Transaction};
use std::fmt::Write;

use super::{CatalogStore, StoreError};

/// The encoder's map of terms: a record's terms, hashed with hashbrown's fast default
/// (SipHash was 1.3 % of a harvest).
type FastMap<K, V> = hashbrown::HashMap<K, V>;

/// Decimal digits of term numbers, written without `fmt`.
struct Digits([u8; 20]);

fn itoa_buffer() -> Digits {
    Digits([0; 20])
}

impl Digits {
    fn format(&mut self, mut n: usize) -> &str {
        let mut at = self.0.len();
        loop {
            at -= 1;
            self.0[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        std::str::from_utf8(&self.0[at..]).unwrap_or("0")
    }
}

/// The graph holding the compact copies.
pub(crate) const BLOB_GRAPH: &str = "urn:moisson:blobs";
/// The predicate linking a record graph name to its copy.
pub(crate) const BLOB_PREDICATE: &str = "urn:moisson:triples";
/// The graph holding the copies of record graphs a harvest dropped (superseded or
/// purged) that the SPARQL store may still hold: it reads them to take their triples out,
/// then purges them ([`CatalogStore::purge_retired`]).
pub(crate) const RETIRED_GRAPH: &str = "urn:moisson:retired";
const MAGIC: &str = "m1 ";
/// The start of a compressed copy.
const PACKED_MAGIC: &str = "z1 ";
/// The largest text a compressed literal may claim (a record graph or a registry chunk is
/// far smaller: the harvester bounds records long before this).
pub(crate) const MAX_TEXT_BYTES: usize = 64 << 20;
/// zstd level of the copies. On 2,050 generated records (3.9 KB of text each), stored
/// bytes were 2.73× smaller at level 3, 3.07× at 6, 3.08× at 9 and 3.11× at 19. Level 3:
/// a first harvest of 100,000 generated datasets took 74 CPU seconds instead of 81 at
/// level 6 (`moisson bench`, 4 December 2026), for copies ~12 % larger. Level 2: the
/// 102,500 copies of that harvest compressed in 2.05 s instead of 2.74 at level 3 (one
/// thread), for 2.2 % more bytes (131.6 MB instead of 128.8; level 1: 2.38 s, 131.6 MB;
/// level -1: 1.32 s, 160.0 MB), 6 December 2026.
const LEVEL: i32 = 2;
/// Largest text compressed with the thread's kept context (record copies and registry
/// chunks are far smaller); a larger one gets a context of its own, freed after.
const KEPT_CONTEXT_MAX_BYTES: usize = 256 << 10;
/// The fixed raw-content dictionary of the compressed copies (see the module comment).
static DICTIONARY: &[u8] = include_bytes!("blob_dictionary.txt");

fn encoder_dictionary() -> &'static zstd::dict::EncoderDictionary<'static> {
    static DICT: std::sync::OnceLock<zstd::dict::EncoderDictionary<'static>> =
        std::sync::OnceLock::new();
    DICT.get_or_init(|| zstd::dict::EncoderDictionary::new(DICTIONARY, LEVEL))
}

fn decoder_dictionary() -> &'static zstd::dict::DecoderDictionary<'static> {
    static DICT: std::sync::OnceLock<zstd::dict::DecoderDictionary<'static>> =
        std::sync::OnceLock::new();
    DICT.get_or_init(|| zstd::dict::DecoderDictionary::new(DICTIONARY))
}

thread_local! {
    static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
        const { std::cell::RefCell::new(None) };
    static DECOMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

/// Returns the stored form of the copy of `triples`: [`encode_text`] compressed (see
/// [`pack_text`]).
#[cfg(test)]
pub(crate) fn encode(triples: &[Triple]) -> String {
    let text = encode_text(triples);
    pack_text(&text).unwrap_or(text)
}

/// Returns `text` compressed against the dictionary, as `z1 {text bytes} {packed}`: a
/// literal of ASCII characters. `None` if zstd fails (it cannot allocate its context).
/// The registry's chunk literals are stored so too.
pub(crate) fn pack_text(text: &str) -> Option<String> {
    let compressed = if text.len() > KEPT_CONTEXT_MAX_BYTES {
        // A context keeps the buffers of the largest input it compressed: one sized for a
        // quality report (megabytes) is not kept by every thread that wrote one.
        zstd::bulk::Compressor::with_prepared_dictionary(encoder_dictionary())
            .ok()?
            .compress(text.as_bytes())
            .ok()?
    } else {
        COMPRESSOR.with(|cell| {
            let mut cell = cell.borrow_mut();
            if cell.is_none() {
                *cell = zstd::bulk::Compressor::with_prepared_dictionary(encoder_dictionary()).ok();
            }
            cell.as_mut()?.compress(text.as_bytes()).ok()
        })?
    };
    let mut out = String::with_capacity(compressed.len() * 8 / 7 + 16);
    let _ = write!(out, "{PACKED_MAGIC}{} ", text.len());
    pack7(&compressed, &mut out);
    Some(out)
}

/// Returns the text of a stored copy (see [`encode`]), or `None` when `value` is not one.
fn copy_text(value: &str) -> Option<std::borrow::Cow<'_, str>> {
    if value.starts_with(MAGIC) {
        return Some(std::borrow::Cow::Borrowed(value));
    }
    unpack_text(value).map(std::borrow::Cow::Owned)
}

/// Returns true when `value` is what [`pack_text`] writes (or a damaged form of it).
pub(crate) fn is_packed(value: &str) -> bool {
    value.starts_with(PACKED_MAGIC)
}

/// Reads what [`pack_text`] wrote; `None` when `value` is not such a text or is damaged.
pub(crate) fn unpack_text(value: &str) -> Option<String> {
    let rest = value.strip_prefix(PACKED_MAGIC)?;
    let (len, packed) = rest.split_once(' ')?;
    if len.is_empty() || len.len() > 10 {
        return None;
    }
    let len: usize = len.parse().ok()?;
    if len > MAX_TEXT_BYTES {
        return None;
    }
    let compressed = unpack7(packed)?;
    let bytes = DECOMPRESSOR.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.is_none() {
            *cell = zstd::bulk::Decompressor::with_prepared_dictionary(decoder_dictionary()).ok();
        }
        cell.as_mut()?.decompress(&compressed, len).ok()
    })?;
    if bytes.len() != len {
        return None;
    }
    String::from_utf8(bytes).ok()
}

/// Appends `bytes` to `out` 7 bits per character (big-endian bit order, the last character
/// padded with zero bits).
fn pack7(bytes: &[u8], out: &mut String) {
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 7 {
            bits -= 7;
            out.push(char::from(((acc >> bits) & 0x7f) as u8));
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(((acc << (7 - bits)) & 0x7f) as u8));
    }
}

/// Reads what [`pack7`] wrote; `None` when a character is not ASCII or the padding is not zero.
fn unpack7(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 7 / 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in text.as_bytes() {
        if c >= 0x80 {
            return None;
        }
        acc = (acc << 7) | u32::from(c);
        bits += 7;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (acc == 0).then_some(out)
}

fn push_text(out: &mut String, text: &str) {
    out.push_str(itoa_buffer().format(text.len()));
    out.push(':');
    out.push_str(text);
}

/// Encodes `triples` (the content of one record graph) as text (see the module comment).
#[cfg(test)]
pub(crate) fn encode_text(triples: &[Triple]) -> String {
    encode_text_of(triples.iter().map(Triple::as_ref))
}

/// [`encode_text`] of borrowed triples: what the harvest writes, without an owned copy
/// of each term.
pub(crate) fn encode_text_of<'a>(triples: impl ExactSizeIterator<Item = TripleRef<'a>>) -> String {
    let count = triples.len();
    let mut ids: FastMap<TermKey<'a>, usize> = FastMap::with_capacity(count * 2);
    let mut terms = String::with_capacity(count * 64);
    let mut body = String::with_capacity(count * 12);
    let mut numbers = itoa_buffer();
    for t in triples {
        let s = intern(&mut ids, &mut terms, TermKey::of_subject(t.subject));
        let p = intern(&mut ids, &mut terms, TermKey::Iri(t.predicate.as_str()));
        let o = intern(&mut ids, &mut terms, TermKey::of_term(t.object));
        for (n, end) in [(s, ' '), (p, ' '), (o, '\n')] {
            body.push_str(numbers.format(n));
            body.push(end);
        }
    }
    let mut out = String::with_capacity(terms.len() + body.len() + 24);
    let _ = writeln!(out, "{MAGIC}{} {}", ids.len(), count);
    out.push_str(&terms);
    out.push_str(&body);
    out
}

/// Returns the number of `key`, writing the term to `terms` the first time.
fn intern<'a>(
    ids: &mut FastMap<TermKey<'a>, usize>,
    terms: &mut String,
    key: TermKey<'a>,
) -> usize {
    let next = ids.len();
    *ids.entry(key).or_insert_with(|| {
        key.write(terms);
        next
    })
}

/// A term as the encoder interns it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum TermKey<'a> {
    Iri(&'a str),
    Blank(&'a str),
    Plain(&'a str),
    Typed(&'a str, &'a str),
    Tagged(&'a str, &'a str),
}

impl<'a> TermKey<'a> {
    fn of_subject(s: NamedOrBlankNodeRef<'a>) -> Self {
        match s {
            NamedOrBlankNodeRef::NamedNode(n) => Self::Iri(n.as_str()),
            NamedOrBlankNodeRef::BlankNode(b) => Self::Blank(b.as_str()),
        }
    }

    fn of_term(t: TermRef<'a>) -> Self {
        match t {
            TermRef::NamedNode(n) => Self::Iri(n.as_str()),
            TermRef::BlankNode(b) => Self::Blank(b.as_str()),
            TermRef::Literal(l) => match l.language() {
                Some(lang) => Self::Tagged(l.value(), lang),
                None if l.datatype().as_str() == XSD_STRING => Self::Plain(l.value()),
                None => Self::Typed(l.value(), l.datatype().as_str()),
            },
        }
    }

    fn write(self, out: &mut String) {
        match self {
            Self::Iri(v) => {
                out.push('I');
                push_text(out, v);
            }
            Self::Blank(v) => {
                out.push('B');
                push_text(out, v);
            }
            Self::Plain(v) => {
                out.push('L');
                push_text(out, v);
            }
            Self::Typed(v, d) => {
                out.push('T');
                push_text(out, v);
                push_text(out, d);
            }
            Self::Tagged(v, l) => {
                out.push('G');
                push_text(out, v);
                push_text(out, l);
            }
        }
    }
}

const XSD_STRING: &str = "http://www.w3.org/2001/XMLSchema#string";

/// A record graph as read from its copy: each distinct term once, triples as term numbers
/// (checked when read: subjects are IRIs or blank nodes, predicates IRIs).
pub(crate) struct CompactGraph {
    terms: Vec<Term>,
    triples: Vec<[u32; 3]>,
}

impl CompactGraph {
    /// Returns every (subject, predicate, object), without copying a term.
    pub(crate) fn triples(&self) -> impl Iterator<Item = (&Term, &NamedNode, &Term)> + '_ {
        self.triples.iter().filter_map(|&[s, p, o]| {
            let Term::NamedNode(predicate) = &self.terms[p as usize] else {
                return None;
            };
            Some((&self.terms[s as usize], predicate, &self.terms[o as usize]))
        })
    }

    /// Returns the triples as owned values.
    pub(crate) fn into_triples(self) -> Vec<Triple> {
        self.triples()
            .filter_map(|(s, p, o)| {
                let subject = match s {
                    Term::NamedNode(n) => NamedOrBlankNode::NamedNode(n.clone()),
                    Term::BlankNode(b) => NamedOrBlankNode::BlankNode(b.clone()),
                    Term::Literal(_) => return None,
                };
                Some(Triple::new(subject, p.clone(), o.clone()))
            })
            .collect()
    }
}

/// Reads what [`encode`] (or [`encode_text`]) wrote; `None` when `value` is not such a copy.
#[cfg(test)]
pub(crate) fn decode(value: &str) -> Option<Vec<Triple>> {
    decode_compact(&copy_text(value)?).map(CompactGraph::into_triples)
}

/// Reads what [`encode_text`] wrote, without copying terms; `None` when `text` is not such a
/// copy.
pub(crate) fn decode_compact(text: &str) -> Option<CompactGraph> {
    let rest = text.strip_prefix(MAGIC)?;
    let (header, mut rest) = rest.split_once('\n')?;
    let (term_count, triple_count) = header.split_once(' ')?;
    let term_count: usize = term_count.parse().ok()?;
    let triple_count: usize = triple_count.parse().ok()?;
    // Every term takes at least 3 bytes and every triple 6: bound allocations by the size.
    if term_count > text.len() / 3 || triple_count > text.len() / 6 {
        return None;
    }
    let mut terms: Vec<Term> = Vec::with_capacity(term_count);
    for _ in 0..term_count {
        let tag = rest.as_bytes().first().copied()?;
        let (value, after) = take_text(&rest[1..])?;
        rest = after;
        let term: Term = match tag {
            b'I' => NamedNode::new_unchecked(value).into(),
            b'B' => BlankNode::new_unchecked(value).into(),
            b'L' => Literal::new_simple_literal(value).into(),
            b'T' => {
                let (datatype, after) = take_text(rest)?;
                rest = after;
                Literal::new_typed_literal(value, NamedNodeRef::new_unchecked(datatype)).into()
            }
            b'G' => {
                let (language, after) = take_text(rest)?;
                rest = after;
                Literal::new_language_tagged_literal_unchecked(value, language).into()
            }
            _ => return None,
        };
        terms.push(term);
    }
    let mut triples = Vec::with_capacity(triple_count);
    for line in rest.lines() {
        let mut numbers = line.split(' ').map(|n| n.parse::<u32>().ok());
        let (Some(Some(s)), Some(Some(p)), Some(Some(o)), None) = (
            numbers.next(),
            numbers.next(),
            numbers.next(),
            numbers.next(),
        ) else {
            return None;
        };
        let subject_ok = matches!(
            terms.get(s as usize)?,
            Term::NamedNode(_) | Term::BlankNode(_)
        );
        let predicate_ok = matches!(terms.get(p as usize)?, Term::NamedNode(_));
        if !subject_ok || !predicate_ok || o as usize >= terms.len() {
            return None;
        }
        triples.push([s, p, o]);
    }
    (triples.len() == triple_count).then_some(CompactGraph { terms, triples })
}

/// Splits `{bytes}:{text}` off the front of `input`.
fn take_text(input: &str) -> Option<(&str, &str)> {
    let (len, rest) = input.split_once(':')?;
    if len.is_empty() || len.len() > 10 {
        return None;
    }
    let len: usize = len.parse().ok()?;
    Some((rest.get(..len)?, rest.get(len..)?))
}

impl CatalogStore {
    /// Returns the triples of record graph `graph` from its compact copy, or `None` when it
    /// has no readable copy.
    pub(crate) fn record_copy(&self, graph: &NamedNode) -> Result<Option<Vec<Triple>>, StoreError> {
        Ok(self.compact_copy(graph)?.map(CompactGraph::into_triples))
    }

    /// Returns record graph `graph` from its compact copy, terms not copied, or `None`.
    pub(crate) fn compact_copy(
        &self,
        graph: &NamedNode,
    ) -> Result<Option<CompactGraph>, StoreError> {
        for quad in self.store.quads_for_pattern(
            Some(graph.as_ref().into()),
            Some(NamedNodeRef::new_unchecked(BLOB_PREDICATE)),
            None,
            Some(blob_graph()),
        ) {
            if let Term::Literal(l) = quad?.object {
                if let Some(compact) = copy_text(l.value()).and_then(|t| decode_compact(&t)) {
                    return Ok(Some(compact));
                }
            }
        }
        Ok(None)
    }

    /// Calls `f` with the subject and object of every triple of record graph `graph` whose
    /// predicate is one of `predicates` (from the compact copy when there is one).
    pub fn for_each_value(
        &self,
        graph: &str,
        predicates: &[&str],
        mut f: impl FnMut(&Term, &str, &Term),
    ) -> Result<(), StoreError> {
        let node = NamedNode::new_unchecked(graph);
        if let Some(compact) = self.compact_copy(&node)? {
            for (s, p, o) in compact.triples() {
                if predicates.contains(&p.as_str()) {
                    f(s, p.as_str(), o);
                }
            }
            return Ok(());
        }
        for predicate in predicates {
            for quad in self.store.quads_for_pattern(
                None,
                Some(NamedNodeRef::new_unchecked(predicate)),
                None,
                Some(GraphNameRef::NamedNode(node.as_ref())),
            ) {
                let quad = quad?;
                let subject: Term = quad.subject.into();
                f(&subject, predicate, &quad.object);
            }
        }
        Ok(())
    }

    /// True when graph `graph` has a compact copy (readable or not).
    pub(crate) fn has_copy(&self, graph: NamedNodeRef<'_>) -> Result<bool, StoreError> {
        Ok(self
            .store
            .quads_for_pattern(
                Some(graph.into()),
                Some(NamedNodeRef::new_unchecked(BLOB_PREDICATE)),
                None,
                Some(blob_graph()),
            )
            .next()
            .transpose()?
            .is_some())
    }

    /// Removes the compact copy of graph `graph` (the graph itself is removed by the caller).
    pub(crate) fn remove_copy(&self, graph: NamedNodeRef<'_>) -> Result<(), StoreError> {
        let mut tx = self.store.start_transaction()?;
        remove_copy_in_tx(&mut tx, graph)?;
        Ok(tx.commit()?)
    }
}

/// Moves, inside `tx`, the compact copy of graph `graph` to the retired copies (same
/// literal: no new string in the dictionary). A graph without a copy (stored as quads)
/// leaves nothing retired: the SPARQL store then rebuilds itself.
pub(crate) fn retire_copy_in_tx(
    tx: &mut Transaction<'_>,
    graph: NamedNodeRef<'_>,
) -> Result<(), StoreError> {
    for mut q in copies_in_tx(tx, graph, blob_graph())? {
        tx.remove(&q);
        q.graph_name = GraphName::NamedNode(NamedNode::new_unchecked(RETIRED_GRAPH));
        tx.insert(&q);
    }
    Ok(())
}

fn retired_graph() -> GraphNameRef<'static> {
    GraphNameRef::NamedNode(NamedNodeRef::new_unchecked(RETIRED_GRAPH))
}

impl CatalogStore {
    /// The triples of record graph `graph` wherever the store still has them: its compact
    /// copy, its retired copy, or its quads; `None` when it has none of them (or only an
    /// unreadable copy).
    pub fn kept_graph_triples(&self, graph: &NamedNode) -> Result<Option<Vec<Triple>>, StoreError> {
        if let Some(triples) = self.record_copy(graph)? {
            return Ok(Some(triples));
        }
        for quad in self.store.quads_for_pattern(
            Some(graph.as_ref().into()),
            Some(NamedNodeRef::new_unchecked(BLOB_PREDICATE)),
            None,
            Some(retired_graph()),
        ) {
            if let Term::Literal(l) = quad?.object {
                if let Some(compact) = copy_text(l.value()).and_then(|t| decode_compact(&t)) {
                    return Ok(Some(compact.into_triples()));
                }
            }
        }
        let quads: Vec<Triple> = self
            .store
            .quads_for_pattern(
                None,
                None,
                None,
                Some(GraphNameRef::NamedNode(graph.as_ref())),
            )
            .map(|q| q.map(Triple::from))
            .collect::<Result<_, _>>()?;
        Ok((!quads.is_empty()).then_some(quads))
    }

    /// The record graphs that have a retired copy.
    pub fn retired_graphs(&self) -> Result<Vec<NamedNode>, StoreError> {
        let mut out = Vec::new();
        for quad in self.store.quads_for_pattern(
            None,
            Some(NamedNodeRef::new_unchecked(BLOB_PREDICATE)),
            None,
            Some(retired_graph()),
        ) {
            if let NamedOrBlankNode::NamedNode(graph) = quad?.subject {
                out.push(graph);
            }
        }
        out.dedup();
        Ok(out)
    }

    /// Removes the retired copies nobody will read: those of graphs `held` says the
    /// SPARQL store does not hold (it never takes their triples out), and those of graphs
    /// active again (their compact copy is read instead). Returns how many went.
    ///
    /// Decided in each transaction from what it reads, under `retire_lock`, never from a
    /// snapshot of the active records: a harvest that retires a graph after a SPARQL sync
    /// took its snapshot would otherwise see that graph's copy purged as "active", and
    /// the next sync, finding nothing to read, rebuild the whole SPARQL store.
    pub fn purge_retired(&self, held: impl Fn(&str) -> bool) -> Result<usize, StoreError> {
        let mut purged = 0;
        for part in self.retired_graphs()?.chunks(1000) {
            let _no_retirement = self.retire_lock.lock().unwrap_or_else(|e| e.into_inner());
            let mut tx = self.store.start_transaction()?;
            for graph in part {
                if held(graph.as_str())
                    && copies_in_tx(&tx, graph.as_ref(), blob_graph())?.is_empty()
                {
                    continue;
                }
                let copies = copies_in_tx(&tx, graph.as_ref(), retired_graph())?;
                purged += usize::from(!copies.is_empty());
                for q in copies {
                    tx.remove(&q);
                }
            }
            tx.commit()?;
        }
        Ok(purged)
    }
}

/// The quads, in graph `held_in` as `tx` sees it, holding a copy of graph `graph`.
fn copies_in_tx(
    tx: &Transaction<'_>,
    graph: NamedNodeRef<'_>,
    held_in: GraphNameRef<'_>,
) -> Result<Vec<Quad>, StoreError> {
    Ok(tx
        .quads_for_pattern(
            Some(graph.into()),
            Some(NamedNodeRef::new_unchecked(BLOB_PREDICATE)),
            None,
            Some(held_in),
        )
        .collect::<Result<_, _>>()?)
}

/// Removes, inside `tx`, the compact copy of graph `graph`.
pub(crate) fn remove_copy_in_tx(
    tx: &mut Transaction<'_>,
    graph: NamedNodeRef<'_>,
) -> Result<(), StoreError> {
    for q in copies_in_tx(tx, graph, blob_graph())? {
        tx.remove(&q);
    }
    Ok(())
}

fn blob_graph() -> GraphNameRef<'static> {
    GraphNameRef::NamedNode(NamedNodeRef::new_unchecked(BLOB_GRAPH))
}

/// Returns the quad that holds the copy of graph `graph` with content `triples`, or `None`
/// when its text would pass `max_bytes` ([`MAX_TEXT_BYTES`] for the writer: past it a
/// copy could not be read back, and the graph is stored as quads).
pub(crate) fn blob_quad_within(
    graph: &NamedNode,
    triples: &[Triple],
    max_bytes: usize,
) -> Option<Quad> {
    blob_quad_of(graph, triples.iter().map(Triple::as_ref), max_bytes)
}

/// [`blob_quad_within`] of borrowed triples.
pub(crate) fn blob_quad_of<'a>(
    graph: &NamedNode,
    triples: impl ExactSizeIterator<Item = TripleRef<'a>>,
    max_bytes: usize,
) -> Option<Quad> {
    let text = encode_text_of(triples);
    if text.len() > max_bytes {
        return None;
    }
    let stored = pack_text(&text).unwrap_or(text);
    Some(Quad::new(
        graph.clone(),
        NamedNode::new_unchecked(BLOB_PREDICATE),
        Literal::new_simple_literal(stored),
        GraphName::NamedNode(NamedNode::new_unchecked(BLOB_GRAPH)),
    ))
}

/// Calls `f` with the name of every graph that has a compact copy in `store`, and whether
/// that copy reads back (a damaged or unknown one does not); stops at `f`'s first error.
pub(crate) fn for_each_copy(
    store: &Store,
    mut f: impl FnMut(NamedNode, bool) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    each_copy_quad(store, |graph, object| {
        let readable = match object {
            Term::Literal(l) => copy_text(l.value())
                .and_then(|t| decode_compact(&t))
                .is_some(),
            _ => false,
        };
        f(graph, readable)
    })
}

/// Calls `f` with the name of every graph that has a compact copy in `store`, without
/// decoding the copies; stops at `f`'s first error.
pub(crate) fn for_each_copy_graph(
    store: &Store,
    mut f: impl FnMut(NamedNode) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    // A query, so that oxigraph decodes the graph names only: reading the quads decodes
    // each copy too (one dictionary read of ~400 bytes a record; 10 s of every start at
    // 1,025,000 records).
    let query =
        format!("SELECT ?g WHERE {{ GRAPH <{BLOB_GRAPH}> {{ ?g <{BLOB_PREDICATE}> ?copy }} }}");
    let failed =
        |e: &dyn std::fmt::Display| StoreError::Crashed(format!("listing compact copies: {e}"));
    let results = oxigraph::sparql::SparqlEvaluator::new()
        .parse_query(&query)
        .map_err(|e| failed(&e))?
        .on_store(store)
        .execute()
        .map_err(|e| failed(&e))?;
    if let oxigraph::sparql::QueryResults::Solutions(rows) = results {
        for row in rows {
            let row = row.map_err(|e| failed(&e))?;
            if let Some(Term::NamedNode(graph)) = row.get("g") {
                f(graph.clone())?;
            }
        }
    }
    Ok(())
}

/// Calls `f` with the graph and the stored object of every compact copy in `store`.
fn each_copy_quad(
    store: &Store,
    mut f: impl FnMut(NamedNode, &Term) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    for quad in store.quads_for_pattern(
        None,
        Some(NamedNodeRef::new_unchecked(BLOB_PREDICATE)),
        None,
        Some(blob_graph()),
    ) {
        let quad = quad?;
        let NamedOrBlankNode::NamedNode(graph) = quad.subject else {
            continue;
        };
        f(graph, &quad.object)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::io::{RdfFormat, RdfParser};
    use proptest::prelude::*;

    fn parse(turtle: &str) -> Vec<Triple> {
        RdfParser::from_format(RdfFormat::Turtle)
            .for_slice(turtle.as_bytes())
            .map(|q| Triple::from(q.expect("valid turtle")))
            .collect()
    }

    #[test]
    fn every_kind_of_term_round_trips() {
        let triples = parse(
            r#"@prefix dct: <http://purl.org/dc/terms/> .
            @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
            <https://ex.org/d/1> dct:title "Zones humides"@fr, "Wetlands"@en-GB, "plain" ;
                dct:modified "2024-01-02"^^xsd:date ;
                dct:description "multi\nline: 12:34 with \"quotes\" and ünïcödé 🌊" ;
                dct:identifier "" ;
                dct:publisher [ dct:title "DDT 29" ] ;
                dct:spatial <urn:x:1> .
            "#,
        );
        let text = encode(&triples);
        let back = decode(&text).expect("decodes");
        let sort = |mut v: Vec<Triple>| {
            v.sort_by_key(|t| t.to_string());
            v
        };
        assert_eq!(sort(back), sort(triples));
    }

    #[test]
    fn repeated_terms_are_written_once() {
        let triples =
            parse("<https://ex.org/a> <https://ex.org/p> <https://ex.org/b>, <https://ex.org/c> .");
        let text = encode_text(&triples);
        assert_eq!(text.matches("https://ex.org/a").count(), 1);
        assert_eq!(text.matches("https://ex.org/p").count(), 1);
    }

    #[test]
    fn damaged_copies_are_refused() {
        let triples = parse("<https://ex.org/a> <https://ex.org/p> \"v\" .");
        let text = encode_text(&triples);
        assert!(decode(&text[..text.len() - 2]).is_none());
        assert!(decode(&text.replace("m1", "m9")).is_none());
        assert!(decode("m1 99999999 1\nI3:abc0 0 0\n").is_none());
        assert!(decode("m1 1 1\nI3:abc0 0 5\n").is_none());
        assert!(decode("m1 1 1\nL3:abc0 0 0\n").is_none(), "literal subject");
        // Compressed copies: cut, a wrong length, a character out of ASCII, a huge claim.
        let packed = encode(&triples);
        assert!(packed.starts_with(PACKED_MAGIC));
        assert_eq!(decode(&packed), Some(triples.clone()));
        assert!(decode(&packed[..packed.len() - 3]).is_none());
        let (len, body) = packed[3..].split_once(' ').expect("length");
        let longer = format!("z1 {} {body}", len.parse::<usize>().expect("number") + 1);
        assert!(decode(&longer).is_none());
        assert!(decode(&format!("z1 {len} {body}é")).is_none());
        assert!(decode(&format!("z1 999999999 {body}")).is_none());
        assert!(decode("z1 5 ").is_none());
    }

    #[test]
    fn copies_are_compressed_and_earlier_text_copies_still_read() {
        let triples = parse(
            r#"@prefix dct: <http://purl.org/dc/terms/> .
            @prefix dcat: <http://www.w3.org/ns/dcat#> .
            <https://ex.org/d/1> a dcat:Dataset ; dct:title "Zones humides"@fr ;
                dct:description "Inventaire des zones humides du département."@fr ;
                dct:issued "2020-01-02"^^<http://www.w3.org/2001/XMLSchema#date> ;
                dcat:distribution [ a dcat:Distribution ; dcat:accessURL <https://ex.org/f.zip> ;
                    dct:format <http://publications.europa.eu/resource/authority/file-type/SHP> ] ."#,
        );
        let text = encode_text(&triples);
        let packed = encode(&triples);
        assert!(
            packed.len() * 2 < text.len(),
            "{} bytes compressed, {} as text",
            packed.len(),
            text.len()
        );
        assert!(packed.is_ascii());
        assert_eq!(decode(&packed), decode(&text));
        assert_eq!(decode(&packed).map(|t| t.len()), Some(triples.len()));
    }

    #[test]
    fn the_dictionary_never_changes() {
        // Copies written with it are read with it: editing it makes them unreadable
        // (they would fall back to the quads). A new dictionary needs a new magic.
        assert_eq!(
            blake3::hash(DICTIONARY).to_hex().as_str(),
            "0c22d56d9a0f47713cf60e2f8ca8c6db8925bb84cc1831d2f7d77392d7a72486"
        );
    }

    proptest! {
        #[test]
        fn any_bytes_pack_and_unpack(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut text = String::new();
            pack7(&bytes, &mut text);
            prop_assert!(text.is_ascii());
            prop_assert_eq!(unpack7(&text), Some(bytes));
        }
    }

    fn store_with_graph(triples: &[Triple]) -> (CatalogStore, NamedNode) {
        let store = CatalogStore::in_memory().expect("store");
        let graph = NamedNode::new_unchecked("urn:moisson:record:a:k:h1");
        let mut writer = store.record_writer();
        writer.write_graph(&graph, triples.to_vec()).expect("write");
        writer.finish().expect("finish");
        (store, graph)
    }

    fn scanned(store: &CatalogStore, graph: &NamedNode) -> Vec<String> {
        let mut out: Vec<String> = store
            .store
            .quads_for_pattern(None, None, None, Some(graph.as_ref().into()))
            .map(|q| q.expect("quad").to_string())
            .collect();
        out.sort();
        out
    }

    #[test]
    fn a_written_graph_reads_back_the_same_from_its_copy() {
        let triples = parse(
            r#"@prefix dct: <http://purl.org/dc/terms/> .
            <https://ex.org/d/1> dct:title "Haies"@fr ; dct:publisher [ dct:title "DDT" ] ."#,
        );
        let (store, graph) = store_with_graph(&triples);
        assert!(store.record_copy(&graph).expect("read").is_some());
        // The copy is all the store keeps of the graph.
        assert!(scanned(&store, &graph).is_empty());
        assert!(store.graph_exists(graph.as_str()).expect("exists"));
        let read = store.graph_quads(graph.as_str()).expect("quads");
        let mut read_text: Vec<String> = read.iter().map(ToString::to_string).collect();
        read_text.sort();
        assert_eq!(read.len(), 3);
        // A store written by an earlier version (quads, no copy) reads the quads.
        let old = CatalogStore::in_memory().expect("store");
        for q in &read {
            old.store.insert(q).expect("insert");
        }
        assert!(old.record_copy(&graph).expect("read").is_none());
        let mut old_text: Vec<String> = old
            .graph_quads(graph.as_str())
            .expect("quads")
            .iter()
            .map(ToString::to_string)
            .collect();
        old_text.sort();
        assert_eq!(old_text, read_text);
        assert_eq!(old_text, scanned(&old, &graph));
    }

    #[test]
    fn a_graph_too_large_for_a_copy_is_stored_as_quads_and_still_read() {
        let triples = parse("<https://ex.org/d/1> <https://ex.org/p> \"une valeur\" .");
        let graph = NamedNode::new_unchecked("urn:moisson:record:a:k:h2");
        let text_len = encode_text(&triples).len();
        assert!(blob_quad_within(&graph, &triples, text_len).is_some());
        assert!(blob_quad_within(&graph, &triples, text_len - 1).is_none());
        // What the writer does then: the graph's quads, read back without a copy.
        let quads =
            crate::store::writer::record_quads_within(&graph, triples.clone(), text_len - 1);
        let as_quads: Vec<Quad> = triples
            .iter()
            .map(|t| t.clone().in_graph(GraphName::NamedNode(graph.clone())))
            .collect();
        assert_eq!(quads, as_quads);
        let store = CatalogStore::in_memory().expect("store");
        let mut writer = store.record_writer();
        writer.push(quads).expect("queued");
        writer.finish().expect("written");
        assert!(store.record_copy(&graph).expect("read").is_none());
        assert!(store.graph_exists(graph.as_str()).expect("exists"));
        assert_eq!(store.graph_quads(graph.as_str()).expect("read").len(), 1);
        assert_eq!(store.collect_garbage().expect("gc"), 1);
        assert!(!store.graph_exists(graph.as_str()).expect("exists"));
    }

    #[test]
    fn copies_go_with_their_graph() {
        let triples = parse("<https://ex.org/d/1> <https://ex.org/p> \"v\" .");
        // Dropped by a harvest commit.
        let (store, graph) = store_with_graph(&triples);
        let commit = crate::store::HarvestCommit {
            dropped_graphs: vec![graph.as_str().to_owned()],
            ..Default::default()
        };
        store.commit_harvest("a", commit).expect("commit");
        assert!(store.record_copy(&graph).expect("read").is_none());
        assert!(scanned(&store, &graph).is_empty());
        // Collected as an orphan (no registry names it).
        let (store, graph) = store_with_graph(&triples);
        assert_eq!(store.collect_garbage().expect("gc"), 1);
        assert!(store.record_copy(&graph).expect("read").is_none());
        let blobs = store
            .store
            .quads_for_pattern(None, None, None, Some(blob_graph()))
            .count();
        assert_eq!(blobs, 0);
    }

    proptest! {
        #[test]
        fn any_literal_text_round_trips(value in ".*", lang in "[a-z]{2}(-[A-Z]{2})?") {
            let s = NamedNode::new_unchecked("https://ex.org/s");
            let p = NamedNode::new_unchecked("https://ex.org/p");
            let triples = vec![
                Triple::new(s.clone(), p.clone(), Literal::new_simple_literal(value.clone())),
                Triple::new(
                    s.clone(),
                    p.clone(),
                    Literal::new_language_tagged_literal_unchecked(value.clone(), lang),
                ),
                Triple::new(
                    s,
                    p,
                    Literal::new_typed_literal(value, NamedNodeRef::new_unchecked("https://ex.org/dt")),
                ),
            ];
            prop_assert_eq!(decode(&encode(&triples)), Some(triples));
        }
    }
}
