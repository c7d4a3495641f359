//! Facet counting from an in-memory table of each segment's counted facet values.
//!
//! tantivy's `FacetCollector` decodes the facet column of every matching document and, at
//! every query, streams each segment's whole facet dictionary (every publisher, place and
//! format ever indexed) to map term ordinals to the counted facets. Here each segment is
//! turned once, when a searcher generation is warmed, into compact lists of value numbers
//! per document (`crate::value_lists`: about a byte per value), so that a search counts
//! with a tight loop over its matches. The finer
//! places (EPCI, communes) are kept in lists of their own and counted only when they are
//! shown (results in one or two départements, see `query::facet_values`): a broad search
//! does not pay for them.
//!
//! A search matching many documents counts from a few precomputed sets instead: the
//! segment's live documents (an empty search), the documents of its frequent facet terms
//! (a commune filter finds its région's and its département's datasets). The counts over
//! such a set are computed once per segment and set of deletions; a search takes, greedily,
//! the sets that save it the most work: each adds its counts less those of its documents
//! that are not matches still to count. The work is the size of what the sets leave out or
//! add, not of the matches.
//! The frequent terms' document sets are also read by `crate::term_union` and
//! `crate::filtered` instead of decoding their postings at every search.
//!
//! Invariants:
//! - A table describes one segment (segments never change) and every one of its
//!   documents, deleted ones included: the collector is only given live documents.
//! - Counts are exact: the same as `FacetCollector` over the same dimensions (a test
//!   compares both on a fixture index).
//! - Tables of segments that no live searcher uses are dropped, and totals of a segment's
//!   deletions that no live searcher sees.
//! - Memory per segment: the value lists (about a byte per document and value), at most
//!   [`MAX_FREQUENT`] bit sets of the frequent terms (a bit per document each), and per
//!   set of deletions the counts over the live documents and over each frequent term
//!   used as a base (four bytes per value each, computed at first use).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::index::SegmentId;
use tantivy::schema::{Facet, IndexRecordOption};
use tantivy::{
    DocId, Opstamp, Score, Searcher, SearcherGeneration, SegmentOrdinal, SegmentReader, Warmer,
};

use crate::schema::DIMENSIONS;
use crate::value_lists::{ListsBuilder, ValueLists};

/// Dimensions counted only on demand (the finer places).
const FINE_DIMENSIONS: &[&str] = &["epci", "commune"];

/// At most this many frequent terms per segment keep a bit set of their documents.
const MAX_FREQUENT: usize = 32;

/// A facet term is frequent in a segment holding it for at least an eighth of its
/// documents, and at least this many (below that, reading its postings is cheap).
const FREQUENT_MIN_DOCS: u32 = 2048;

/// A bit per document of a segment.
pub(crate) type Bits = Vec<u64>;

/// A frequent facet term (its encoded value) and its documents.
type Frequent = (Box<[u8]>, Arc<Bits>);

/// `len` copies of `value`, written into a block taken from the allocator rather than
/// asked of it zeroed: what a search allocates for itself (bit sets, counts, scores).
/// jemalloc, the server's allocator (`web/src/memory.rs`), zeroes a recycled block of
/// 16 KiB or more by handing its pages back to the system (`madvise`), and every page then
/// faults again when first touched: at 1,000,000 documents, ~180 page faults a search and
/// a fifth of the throughput (710 requests/s instead of 870-930). Written over, the
/// recycled pages stay mapped.
pub(crate) fn filled<T: Clone>(value: T, len: usize) -> Vec<T> {
    let mut out = Vec::with_capacity(len);
    // Keeps the compiler from merging the allocation and the writes into one zeroed
    // allocation.
    std::hint::black_box(&mut out);
    out.resize(len, value);
    out
}

/// Sets the bit of `doc`.
#[inline]
pub(crate) fn set_bit(bits: &mut [u64], doc: DocId) {
    if let Some(word) = bits.get_mut((doc / 64) as usize) {
        *word |= 1 << (doc % 64);
    }
}

/// The number of bits set.
pub(crate) fn ones(bits: &[u64]) -> u32 {
    bits.iter().map(|w| w.count_ones()).sum()
}

/// The counted facet values of one segment.
pub(crate) struct SegmentFacets {
    /// Value number → dimension (index in [`DIMENSIONS`]) and value.
    values: Vec<(usize, Box<str>)>,
    /// Value numbers of each dimension (contiguous: the dictionary is sorted).
    ranges: Vec<std::ops::Range<usize>>,
    coarse: LevelLists,
    fine: LevelLists,
    /// The frequent facet terms (encoded `/dimension/value`, any dimension including the
    /// scope) and their documents, deleted ones included.
    frequent: Vec<Frequent>,
    /// The segment's documents most recently modified first, then by quality, computed
    /// when the segment is warmed, or at first use (see `crate::filtered`).
    by_modified: std::sync::OnceLock<Arc<Vec<DocId>>>,
    by_quality: std::sync::OnceLock<Arc<Vec<DocId>>>,
}

/// The value lists of one level: every value of each document, the rarer values only
/// (those not held by a frequent term), and the frequent values with their bit sets'
/// index in `SegmentFacets::frequent`. A count over many documents adds up the frequent
/// values by `popcount` of whole words (a few of them hold most of a document's values:
/// its région, kind, freshness, licence…) and counts the rarer ones document by document.
struct LevelLists {
    all: ValueLists,
    rare: ValueLists,
    frequent: Vec<(u32, usize)>,
}

impl LevelLists {
    fn bytes(&self) -> usize {
        self.all.bytes() + self.rare.bytes() + self.frequent.len() * 16
    }
}

/// Which lists of values: the coarse dimensions, or the finer places.
#[derive(Clone, Copy)]
enum Level {
    Coarse,
    Fine,
}

impl SegmentFacets {
    /// Reads the facet column of `segment` (field `field`) once, and the postings of its
    /// frequent terms (held by at least `min_docs` documents and an eighth of them).
    fn build(segment: &SegmentReader, field: &str, min_docs: u32) -> tantivy::Result<Self> {
        let reader = segment.facet_reader(field)?;
        let dictionary = reader.facet_dict();
        // Term ordinal → value number, for facets `/dimension/value` of counted dimensions.
        let mut by_ord: Vec<Option<u32>> = vec![None; dictionary.num_terms()];
        let mut values: Vec<(usize, Box<str>)> = Vec::new();
        let mut fine_value: Vec<bool> = Vec::new();
        // Encoded facet → value number, to find the frequent terms' values.
        let mut numbers: HashMap<Vec<u8>, u32> = HashMap::new();
        let mut ranges = vec![0..0; DIMENSIONS.len()];
        let mut terms = dictionary.stream()?;
        while terms.advance() {
            let Ok(facet) = Facet::from_encoded(terms.key().to_vec()) else {
                continue;
            };
            let path = facet.to_path();
            let [dimension, value] = path.as_slice() else {
                continue;
            };
            let Some(dim) = DIMENSIONS.iter().position(|d| d == dimension) else {
                continue;
            };
            let number = values.len();
            if ranges[dim].is_empty() {
                ranges[dim] = number..number;
            }
            ranges[dim].end = number + 1;
            let number = u32::try_from(number).map_err(|_| {
                tantivy::TantivyError::InvalidArgument("too many facet values".into())
            })?;
            let ord = terms.term_ord() as usize;
            if let Some(slot) = by_ord.get_mut(ord) {
                *slot = Some(number);
            }
            numbers.insert(terms.key().to_vec(), number);
            values.push((dim, (*value).into()));
            fine_value.push(FINE_DIMENSIONS.contains(dimension));
        }
        let frequent = frequent_terms(segment, field, min_docs)?;
        let docs = segment.max_doc() as usize;
        // Frequent values (their number, their bit set's index), coarse and fine.
        let mut frequent_of: [Vec<(u32, usize)>; 2] = Default::default();
        let mut is_frequent = vec![false; values.len()];
        for (index, (key, _)) in frequent.iter().enumerate() {
            if let Some(&number) = numbers.get(&key[..]) {
                is_frequent[number as usize] = true;
                frequent_of[usize::from(fine_value[number as usize])].push((number, index));
            }
        }
        // Coarse all, coarse rare, fine all, fine rare.
        let mut builders: [ListsBuilder; 4] =
            std::array::from_fn(|_| ListsBuilder::new(docs, values.len()));
        let mut lists: [Vec<u32>; 4] = Default::default();
        for doc in 0..segment.max_doc() {
            for list in &mut lists {
                list.clear();
            }
            for ord in reader.facet_ords(doc) {
                if let Some(Some(number)) = by_ord.get(ord as usize) {
                    let at = if fine_value[*number as usize] { 2 } else { 0 };
                    lists[at].push(*number);
                    if !is_frequent[*number as usize] {
                        lists[at + 1].push(*number);
                    }
                }
            }
            // A document counts once per value.
            for list in &mut lists {
                list.sort_unstable();
                list.dedup();
            }
            for (builder, list) in builders.iter_mut().zip(&lists) {
                builder.push(list)?;
            }
        }
        let [coarse_all, coarse_rare, fine_all, fine_rare] = builders;
        let [coarse_frequent, fine_frequent] = frequent_of;
        let coarse = LevelLists {
            all: coarse_all.finish()?,
            rare: coarse_rare.finish()?,
            frequent: coarse_frequent,
        };
        let fine = LevelLists {
            all: fine_all.finish()?,
            rare: fine_rare.finish()?,
            frequent: fine_frequent,
        };
        Ok(Self {
            values,
            ranges,
            coarse,
            fine,
            frequent,
            by_modified: std::sync::OnceLock::new(),
            by_quality: std::sync::OnceLock::new(),
        })
    }

    /// The documents of `segment` (this table's) in `order` (date or quality, best first,
    /// then the smaller `order` fast field, then the smaller document), computed once.
    pub(crate) fn sorted_by(
        &self,
        segment: &SegmentReader,
        order: crate::filtered::Order,
    ) -> tantivy::Result<Arc<Vec<DocId>>> {
        let cell = match order {
            crate::filtered::Order::Quality => &self.by_quality,
            _ => &self.by_modified,
        };
        if let Some(found) = cell.get() {
            return Ok(found.clone());
        }
        let mut docs: Vec<DocId> = (0..segment.max_doc()).collect();
        if order == crate::filtered::Order::Quality {
            let key = crate::filtered::quality_key(segment);
            let keys: Vec<_> = docs.iter().map(|&d| key(d)).collect();
            // A total order (`total_cmp`): no quality comes last.
            docs.sort_by(|&a, &b| {
                let (ka, kb) = (&keys[a as usize], &keys[b as usize]);
                let by_quality = match (ka.0, kb.0) {
                    (Some(x), Some(y)) => y.total_cmp(&x),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                };
                by_quality.then(kb.1.cmp(&ka.1)).then(a.cmp(&b))
            });
        } else {
            let key = crate::filtered::date_key(segment);
            let keys: Vec<_> = docs.iter().map(|&d| key(d)).collect();
            docs.sort_by(|&a, &b| keys[b as usize].cmp(&keys[a as usize]).then(a.cmp(&b)));
        }
        let docs = Arc::new(docs);
        // Another search may have sorted at the same time: either result is the same.
        Ok(cell.get_or_init(|| docs).clone())
    }

    fn bytes(&self) -> usize {
        self.coarse.bytes()
            + self.fine.bytes()
            + self.values.iter().map(|(_, v)| v.len() + 24).sum::<usize>()
            + self
                .frequent
                .iter()
                .map(|(k, b)| k.len() + b.len() * 8)
                .sum::<usize>()
            + [&self.by_modified, &self.by_quality]
                .iter()
                .filter_map(|c| c.get().map(|d| d.len() * 4))
                .sum::<usize>()
    }

    fn level(&self, level: Level) -> &LevelLists {
        match level {
            Level::Coarse => &self.coarse,
            Level::Fine => &self.fine,
        }
    }

    /// Adds one to the count of every value of `level` of each document whose bit is set
    /// in `docs` (live documents): the frequent values by `popcount` when that saves
    /// work (about half a word operation per frequent value and word of the segment,
    /// against an increment per value held by each document), the others one by one.
    fn count_docs(&self, level: Level, docs: &[u64], counts: &mut [u32]) {
        let lists = self.level(level);
        if self.split_pays(lists, ones(docs), docs.len()) {
            self.count_frequent(lists, docs, counts);
            lists.rare.count(docs, counts);
        } else {
            lists.all.count(docs, counts);
        }
    }

    /// Whether counting `matched` documents (a bit set of `words` words) saves work by
    /// adding up the frequent values by `popcount` (about half a word operation per
    /// frequent value and word) instead of one increment per value each document holds.
    fn split_pays(&self, lists: &LevelLists, matched: u32, words: usize) -> bool {
        if lists.frequent.is_empty() {
            return false;
        }
        let held = (lists.all.entries() - lists.rare.entries()) as u64;
        let segment_docs = (lists.all.docs() as u64).max(1);
        let saved = u64::from(matched) * held / segment_docs;
        saved > (lists.frequent.len() * words) as u64 / 2
    }

    /// Adds to `counts` the number of `docs` holding each frequent value of `lists`.
    fn count_frequent(&self, lists: &LevelLists, docs: &[u64], counts: &mut [u32]) {
        for &(value, index) in &lists.frequent {
            let bits = &self.frequent[index].1;
            let n: u32 = docs
                .iter()
                .zip(bits.iter())
                .map(|(d, b)| (d & b).count_ones())
                .sum();
            counts[value as usize] += n;
        }
    }

    /// The documents of the facet term whose encoded value is `key` (deleted ones
    /// included), when it is frequent in this segment.
    pub(crate) fn frequent(&self, key: &[u8]) -> Option<Arc<Bits>> {
        self.frequent
            .iter()
            .find(|(k, _)| &**k == key)
            .map(|(_, bits)| bits.clone())
    }
}

/// The documents of the (at most [`MAX_FREQUENT`]) most frequent two-level facet terms of
/// `segment` held by at least `min_docs` documents and an eighth of the segment.
fn frequent_terms(
    segment: &SegmentReader,
    field: &str,
    min_docs: u32,
) -> tantivy::Result<Vec<Frequent>> {
    let max_doc = segment.max_doc();
    let least = min_docs.max(max_doc / 8).max(1);
    let field = segment.schema().get_field(field)?;
    let inverted = segment.inverted_index(field)?;
    let mut found = Vec::new();
    let mut terms = inverted.terms().stream()?;
    while terms.advance() {
        let info = terms.value();
        if info.doc_freq < least {
            continue;
        }
        // Two-level paths only: `/dimension` itself is held by every document with a value.
        let Ok(facet) = Facet::from_encoded(terms.key().to_vec()) else {
            continue;
        };
        if facet.to_path().len() != 2 {
            continue;
        }
        found.push((info.doc_freq, Box::<[u8]>::from(terms.key()), info.clone()));
    }
    found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    found.truncate(MAX_FREQUENT);
    let words = (max_doc as usize).div_ceil(64);
    let mut out = Vec::with_capacity(found.len());
    for (_, key, info) in found {
        let mut bits = vec![0u64; words];
        let mut block =
            inverted.read_block_postings_from_terminfo(&info, IndexRecordOption::Basic)?;
        loop {
            let docs = block.docs();
            if docs.is_empty() {
                break;
            }
            for &doc in docs {
                set_bit(&mut bits, doc);
            }
            block.advance();
        }
        out.push((key, Arc::new(bits)));
    }
    Ok(out)
}

/// The live documents of a segment at one set of deletions, and the count of every value
/// over them and over the live documents of each frequent term: the bases a search with
/// many matches counts from (see [`count_matches`]).
pub(crate) struct LiveTotals {
    /// A bit per live document.
    live: Bits,
    live_count: u32,
    /// Counts over the live documents.
    all: BaseCounts,
    /// Live documents of each frequent term (in the order of `SegmentFacets::frequent`),
    /// and their counts.
    terms: Vec<(u32, BaseCounts)>,
}

/// The counts of every value over one base set, by level, computed at first use.
#[derive(Default)]
struct BaseCounts {
    coarse: std::sync::OnceLock<Vec<u32>>,
    fine: std::sync::OnceLock<Vec<u32>>,
}

impl BaseCounts {
    fn of(&self, level: Level, table: &SegmentFacets, bits: &dyn Fn() -> Bits) -> &[u32] {
        let cell = match level {
            Level::Coarse => &self.coarse,
            Level::Fine => &self.fine,
        };
        cell.get_or_init(|| {
            let mut counts = vec![0; table.values.len()];
            table.count_docs(level, &bits(), &mut counts);
            counts
        })
    }
}

impl LiveTotals {
    /// A bit per live document of the segment.
    pub(crate) fn live(&self) -> &[u64] {
        &self.live
    }

    fn build(table: &SegmentFacets, segment: &SegmentReader) -> Self {
        let docs = segment.max_doc();
        let mut live = vec![0u64; (docs as usize).div_ceil(64)];
        for doc in 0..docs {
            if segment.alive_bitset().is_none_or(|a| a.is_alive(doc)) {
                live[(doc / 64) as usize] |= 1 << (doc % 64);
            }
        }
        let live_count = ones(&live);
        let terms = table
            .frequent
            .iter()
            .map(|(_, bits)| {
                let n = bits
                    .iter()
                    .zip(&live)
                    .map(|(t, l)| (t & l).count_ones())
                    .sum();
                (n, BaseCounts::default())
            })
            .collect();
        let totals = Self {
            live,
            live_count,
            all: BaseCounts::default(),
            terms,
        };
        // The empty search's counts, wanted at once by the home page.
        totals.all.of(Level::Coarse, table, &|| totals.live.clone());
        totals
    }
}

/// At most this many precomputed bases are used by one count.
const MAX_BASES: usize = 4;

/// From this many words of bit set, a base is first judged on one word in
/// [`SAMPLE_STEP`].
const SAMPLE_FROM_WORDS: usize = 1024;
const SAMPLE_STEP: usize = 8;

/// Adds to `counts` the count of every value of `level` over the matches `docs` (live
/// documents only). When many documents match, the frequent values are added up by
/// `popcount` over the matches, once, and what follows counts the rarer values only. The
/// matches not yet counted (`rest`, at first all of them) are taken greedily from
/// precomputed bases (the live documents, each frequent term's live documents): a base `B`
/// adds its counts less those of its documents outside `rest`, and `rest` loses `B`'s
/// documents; the base chosen is the one saving the most documents to count (those of `B`
/// in `rest` less those outside). The matches left are counted one by one. Every match is
/// thus counted exactly once (the parts are disjoint).
fn count_matches(
    table: &SegmentFacets,
    level: Level,
    docs: &[u64],
    totals: &LiveTotals,
    counts: &mut [u32],
) {
    let matched = ones(docs);
    // Base 0 is the live documents, base i + 1 frequent term i.
    let bases = table.frequent.len() + 1;
    let size_of = |base: usize| match base {
        0 => totals.live_count,
        b => totals.terms[b - 1].0,
    };
    // An empty base, or one holding at least twice the matches, cannot save work (see
    // the bound below): without another, the matches are counted as they are.
    if (0..bases).all(|b| {
        let size = u64::from(size_of(b));
        size == 0 || size >= 2 * u64::from(matched)
    }) {
        table.count_docs(level, docs, counts);
        return;
    }
    let lists = table.level(level);
    let split = table.split_pays(lists, matched, docs.len());
    let list = if split { &lists.rare } else { &lists.all };
    let mut rest: Bits = docs.to_vec();
    let mut left = matched;
    let word_of = |base: usize, w: usize| match base {
        0 => totals.live[w],
        b => table.frequent[b - 1].1[w] & totals.live[w],
    };
    let mut used = vec![false; bases];
    let mut local = vec![0u32; counts.len()];
    let mut removed = vec![0u32; counts.len()];
    for _ in 0..MAX_BASES {
        if left == 0 {
            break;
        }
        let mut best: (i64, Option<usize>) = (0, None);
        for base in (0..bases).filter(|b| !used[*b]) {
            let size = size_of(base);
            // At most all of `rest` inside, at least the excess outside.
            let bound = i64::from(size.min(left)) - i64::from(size.saturating_sub(left));
            if bound <= best.0 {
                continue;
            }
            // The gain is `size - 2 × outside` (the base's documents are inside or
            // outside `rest`): the scan stops once `outside` is too many to beat `best`
            // (the live documents hold all of `rest`: no scan). On large segments, one
            // word in eight first: a base whose sample already has too many outside is
            // passed over (an estimate: a base missed costs time, never exactness).
            let most_outside = (i64::from(size) - best.0 + 1) / 2;
            let outside = if base == 0 {
                i64::from(size - left)
            } else {
                let sampled = rest.len() >= SAMPLE_FROM_WORDS
                    && rest
                        .iter()
                        .enumerate()
                        .step_by(SAMPLE_STEP)
                        .map(|(w, &r)| i64::from((word_of(base, w) & !r).count_ones()))
                        .sum::<i64>()
                        * SAMPLE_STEP as i64
                        >= most_outside;
                if sampled {
                    continue;
                }
                let mut outside = 0i64;
                for (w, &r) in rest.iter().enumerate() {
                    outside += i64::from((word_of(base, w) & !r).count_ones());
                    if outside >= most_outside {
                        break;
                    }
                }
                outside
            };
            let gain = i64::from(size) - 2 * outside;
            if outside < most_outside && gain > best.0 {
                best = (gain, Some(base));
            }
        }
        let Some(base) = best.1 else {
            break;
        };
        used[base] = true;
        let bits: Bits = (0..rest.len()).map(|w| word_of(base, w)).collect();
        let base_counts = match base {
            0 => totals.all.of(level, table, &|| bits.clone()),
            b => totals.terms[b - 1].1.of(level, table, &|| bits.clone()),
        };
        for (a, &c) in local.iter_mut().zip(base_counts) {
            *a += c;
        }
        let outside: Bits = bits.iter().zip(&rest).map(|(b, r)| b & !r).collect();
        list.count(&outside, &mut removed);
        for (r, b) in rest.iter_mut().zip(&bits) {
            *r &= !b;
        }
        left = ones(&rest);
    }
    list.count(&rest, &mut local);
    if split {
        // The frequent values: their bases' counts and the documents left were not
        // counted for them; they are counted over the matches here.
        for &(value, _) in &lists.frequent {
            local[value as usize] = 0;
            removed[value as usize] = 0;
        }
        table.count_frequent(lists, docs, counts);
    }
    for ((count, &a), &r) in counts.iter_mut().zip(&local).zip(&removed) {
        // Each base's removed documents are its own: `r <= a`.
        *count += a.saturating_sub(r);
    }
}

/// A segment at one set of deletions.
type LiveKey = (SegmentId, Option<Opstamp>);

/// The tables of the segments live searchers use, built when a generation is warmed.
pub(crate) struct FacetTables {
    field: String,
    /// Least number of documents of a frequent term (see [`FREQUENT_MIN_DOCS`]).
    frequent_min_docs: u32,
    segments: Mutex<HashMap<SegmentId, Arc<SegmentFacets>>>,
    totals: Mutex<HashMap<LiveKey, Arc<LiveTotals>>>,
}

impl FacetTables {
    pub(crate) fn new(field: &str) -> Self {
        Self::with_frequent_min_docs(field, FREQUENT_MIN_DOCS)
    }

    /// Tables whose frequent terms are held by at least `min_docs` documents (tests use
    /// small segments).
    pub(crate) fn with_frequent_min_docs(field: &str, min_docs: u32) -> Self {
        Self {
            field: field.to_owned(),
            frequent_min_docs: min_docs,
            segments: Mutex::new(HashMap::new()),
            totals: Mutex::new(HashMap::new()),
        }
    }

    /// Returns the table of `segment`, built now if no warming built it.
    pub(crate) fn of(&self, segment: &SegmentReader) -> tantivy::Result<Arc<SegmentFacets>> {
        let id = segment.segment_id();
        if let Some(found) = self.lock().get(&id) {
            return Ok(found.clone());
        }
        let started = std::time::Instant::now();
        let built = Arc::new(SegmentFacets::build(
            segment,
            &self.field,
            self.frequent_min_docs,
        )?);
        tracing::debug!(
            documents = segment.max_doc(),
            values = built.values.len(),
            frequent = built.frequent.len(),
            bytes = built.bytes(),
            millis = started.elapsed().as_millis() as u64,
            "facet table of a segment built"
        );
        self.lock().insert(id, built.clone());
        Ok(built)
    }

    /// Returns the totals of `segment` at its deletions, computed now if no warming did.
    pub(crate) fn totals_of(
        &self,
        segment: &SegmentReader,
        table: &SegmentFacets,
    ) -> Arc<LiveTotals> {
        let key = (segment.segment_id(), segment.delete_opstamp());
        let found = self
            .totals
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&key)
            .cloned();
        if let Some(found) = found {
            return found;
        }
        let built = Arc::new(LiveTotals::build(table, segment));
        self.totals
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, built.clone());
        built
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SegmentId, Arc<SegmentFacets>>> {
        // A panic while inserting leaves a usable map: entries are whole Arcs.
        self.segments
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A collector counting the facets of every match with these tables.
    pub(crate) fn collector(self: &Arc<Self>) -> CountFacets {
        CountFacets {
            tables: self.clone(),
        }
    }
}

impl Warmer for FacetTables {
    fn warm(&self, searcher: &Searcher) -> tantivy::Result<()> {
        for segment in searcher.segment_readers() {
            let table = self.of(segment)?;
            self.totals_of(segment, &table);
            // The orders of searches without words: by date (the default) and by quality,
            // so that no request pays for sorting a segment.
            table.sorted_by(segment, crate::filtered::Order::Modified)?;
            table.sorted_by(segment, crate::filtered::Order::Quality)?;
        }
        Ok(())
    }

    fn garbage_collect(&self, live_generations: &[&SearcherGeneration]) {
        let live: HashSet<LiveKey> = live_generations
            .iter()
            .flat_map(|g| g.segments().iter().map(|(id, opstamp)| (*id, *opstamp)))
            .collect();
        let live_segments: HashSet<SegmentId> = live.iter().map(|(id, _)| *id).collect();
        self.lock().retain(|id, _| live_segments.contains(id));
        self.totals
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|key, _| live.contains(key));
    }
}

/// Counts the facet values of every match (see the module documentation).
pub(crate) struct CountFacets {
    tables: Arc<FacetTables>,
}

/// The counting of one segment.
pub(crate) struct SegmentCount {
    table: Arc<SegmentFacets>,
    totals: Arc<LiveTotals>,
    counts: Vec<u32>,
    /// Matches (a bit per document of the segment), kept for counting the finer places
    /// on demand.
    docs: Vec<u64>,
}

impl CountFacets {
    /// The counting of one segment's matches given as a bit set (live documents only).
    pub(crate) fn count_segment(
        &self,
        segment: &SegmentReader,
        docs: Bits,
    ) -> tantivy::Result<SegmentCount> {
        Ok(self.segment_count(segment, Some(docs))?.harvest())
    }

    /// The counting of one segment, its matches `docs` given or none yet.
    fn segment_count(
        &self,
        segment: &SegmentReader,
        docs: Option<Bits>,
    ) -> tantivy::Result<SegmentCount> {
        let table = self.tables.of(segment)?;
        let words = (segment.max_doc() as usize).div_ceil(64);
        Ok(SegmentCount {
            totals: self.tables.totals_of(segment, &table),
            counts: filled(0, table.values.len()),
            table,
            docs: docs
                .filter(|d| d.len() == words)
                .unwrap_or_else(|| filled(0, words)),
        })
    }
}

impl Collector for CountFacets {
    type Fruit = Tally;
    type Child = SegmentCount;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<SegmentCount> {
        self.segment_count(segment, None)
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<SegmentCount>) -> tantivy::Result<Tally> {
        Ok(Tally {
            segments,
            fine_counted: false,
        })
    }
}

impl SegmentCollector for SegmentCount {
    type Fruit = SegmentCount;

    fn collect(&mut self, doc: DocId, _: Score) {
        self.collect_block(&[doc]);
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        for &doc in docs {
            set_bit(&mut self.docs, doc);
        }
    }

    /// Counts the coarse dimensions of every match at once, from the bit set: one tight
    /// loop instead of a call per match (the scoring collectors give matches one by one).
    fn harvest(mut self) -> SegmentCount {
        count_matches(
            &self.table,
            Level::Coarse,
            &self.docs,
            &self.totals,
            &mut self.counts,
        );
        self
    }
}

/// Facet counts of one search, by dimension.
pub(crate) trait DimensionCounts {
    /// The count of every value of dimension `dim` held by some match.
    fn count_of(&mut self, dim: &str) -> BTreeMap<String, u64>;
}

/// What [`CountFacets`] counted: the coarse dimensions already, the finer places at the
/// first question about them.
pub(crate) struct Tally {
    segments: Vec<SegmentCount>,
    fine_counted: bool,
}

impl DimensionCounts for Tally {
    fn count_of(&mut self, dim: &str) -> BTreeMap<String, u64> {
        let Some(d) = DIMENSIONS.iter().position(|x| *x == dim) else {
            return BTreeMap::new();
        };
        if FINE_DIMENSIONS.contains(&dim) && !self.fine_counted {
            for s in &mut self.segments {
                count_matches(&s.table, Level::Fine, &s.docs, &s.totals, &mut s.counts);
            }
            self.fine_counted = true;
        }
        let mut out: BTreeMap<String, u64> = BTreeMap::new();
        for s in &self.segments {
            let range = s.table.ranges[d].clone();
            for (number, &count) in s.counts[range.clone()].iter().enumerate() {
                if count > 0 {
                    let (_, value) = &s.table.values[range.start + number];
                    *out.entry(value.to_string()).or_insert(0) += u64::from(count);
                }
            }
        }
        out
    }
}

impl DimensionCounts for tantivy::collector::FacetCounts {
    fn count_of(&mut self, dim: &str) -> BTreeMap<String, u64> {
        self.get(Facet::from_path([dim]))
            .filter_map(|(facet, count)| {
                let value = facet.to_path().get(1).map(|s| (*s).to_owned())?;
                Some((value, count))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::{Count, FacetCollector};
    use tantivy::query::{AllQuery, Query, TermQuery};
    use tantivy::schema::{FacetOptions, IndexRecordOption, Schema, STRING};
    use tantivy::{doc, Index, IndexWriter, Term};

    #[test]
    fn filled_blocks_hold_their_value_even_in_recycled_memory() {
        // A block the allocator will hand out again, left full of ones.
        for _ in 0..4 {
            let dirty = std::hint::black_box(vec![u64::MAX; 1 << 15]);
            drop(dirty);
            let zeros = filled(0u64, 1 << 15);
            assert_eq!(zeros.len(), 1 << 15);
            assert!(zeros.iter().all(|w| *w == 0));
        }
        let scores = filled(1.5f32, 1000);
        assert!(scores.len() == 1000 && scores.iter().all(|s| *s == 1.5));
        assert!(filled(0u32, 0).is_empty());
    }

    /// An index of a few hundred documents in three segments (one with deletions), each
    /// with facets of several dimensions (repeated values, finer places, the scope
    /// dimension that is never counted).
    fn fixture() -> (Index, tantivy::schema::Field, tantivy::schema::Field) {
        let mut builder = Schema::builder();
        let facets = builder.add_facet_field("facets", FacetOptions::default());
        let id = builder.add_text_field("id", STRING);
        let index = Index::create_in_ram(builder.build());
        let mut writer: IndexWriter = index
            .writer_with_num_threads(1, 15_000_000)
            .expect("writer");
        for segment in 0..3u32 {
            for n in 0..150u32 {
                let mut d = doc!(id => format!("{segment}-{n}"));
                d.add_facet(
                    facets,
                    Facet::from_path(["theme", ["eau", "air", "sol"][(n % 3) as usize]]),
                );
                if n % 4 == 0 {
                    d.add_facet(facets, Facet::from_path(["theme", "climat"]));
                    d.add_facet(facets, Facet::from_path(["subtheme", "inondations"]));
                }
                d.add_facet(
                    facets,
                    Facet::from_path(["departement", ["29", "35"][(n % 2) as usize]]),
                );
                d.add_facet(facets, Facet::from_path(["region", "region-53"]));
                if n % 5 == 0 {
                    d.add_facet(
                        facets,
                        Facet::from_path(["commune", format!("commune-2900{}", n % 7).as_str()]),
                    );
                    d.add_facet(facets, Facet::from_path(["epci", "epci-242900314"]));
                    d.add_facet(facets, Facet::from_path(["scope", "commune-29019"]));
                }
                d.add_facet(
                    facets,
                    Facet::from_path(["publisher", format!("Éditeur {}", n % 11).as_str()]),
                );
                d.add_facet(facets, Facet::from_path(["format", "csv"]));
                if n % 3 == 0 {
                    d.add_facet(facets, Facet::from_path(["format", "shapefile"]));
                }
                d.add_facet(facets, Facet::from_path(["hvd", "true"]));
                writer.add_document(d).expect("add");
            }
            writer.commit().expect("commit");
        }
        writer.delete_term(Term::from_field_text(id, "1-7"));
        writer.delete_term(Term::from_field_text(id, "2-10"));
        writer.commit().expect("commit");
        (index, facets, id)
    }

    fn both(
        searcher: &Searcher,
        tables: &Arc<FacetTables>,
        query: &dyn Query,
    ) -> (Tally, tantivy::collector::FacetCounts, usize) {
        let mut exact = FacetCollector::for_field("facets");
        for dim in DIMENSIONS {
            exact.add_facet(Facet::from_path([*dim]));
        }
        let (n, exact, tally) = searcher
            .search(query, &(Count, exact, tables.collector()))
            .expect("search");
        (tally, exact, n)
    }

    #[test]
    fn counts_equal_tantivys_facet_collector_on_every_dimension() {
        let (index, facets, _) = fixture();
        // Without frequent terms (segments of 150 documents), then with every term held
        // by 16 documents (and an eighth of a segment) frequent: counts from their bases.
        for min_docs in [FREQUENT_MIN_DOCS, 16] {
            let tables = Arc::new(FacetTables::with_frequent_min_docs("facets", min_docs));
            let reader = index
                .reader_builder()
                .warmers(vec![Arc::downgrade(&tables) as std::sync::Weak<dyn Warmer>])
                .try_into()
                .expect("reader");
            let searcher: Searcher = reader.searcher();
            assert_eq!(searcher.segment_readers().len(), 3);
            assert_eq!(
                tables.lock().len(),
                3,
                "warming built one table per segment"
            );
            let frequent: usize = tables.lock().values().map(|t| t.frequent.len()).sum();
            assert_eq!(frequent > 0, min_docs == 16, "{frequent} frequent terms");
            let term = |dim: &str, v: &str| -> Box<dyn Query> {
                Box::new(TermQuery::new(
                    Term::from_facet(facets, &Facet::from_path([dim, v])),
                    IndexRecordOption::Basic,
                ))
            };
            let either = |a: Box<dyn Query>, b: Box<dyn Query>| -> Box<dyn Query> {
                Box::new(tantivy::query::BooleanQuery::new(vec![
                    (tantivy::query::Occur::Should, a),
                    (tantivy::query::Occur::Should, b),
                ]))
            };
            let queries: Vec<Box<dyn Query>> = vec![
                Box::new(AllQuery),
                term("departement", "29"),
                term("scope", "commune-29019"),
                // Near a frequent term: its base, less and plus a few documents.
                either(term("departement", "29"), term("scope", "commune-29019")),
                either(term("theme", "eau"), term("theme", "air")),
                either(term("departement", "35"), term("theme", "climat")),
            ];
            for query in &queries {
                let (mut tally, mut exact, n) = both(&searcher, &tables, query.as_ref());
                assert!(n > 0);
                for dim in DIMENSIONS {
                    let ours = tally.count_of(dim);
                    assert_eq!(ours, exact.count_of(dim), "{dim} for {query:?}");
                }
                assert!(tally.count_of("scope").is_empty(), "scope is never counted");
            }
            let (mut all, _, n) = both(&searcher, &tables, &AllQuery);
            assert_eq!(n, 448, "two deleted documents are not counted");
            assert_eq!(all.count_of("region").get("region-53"), Some(&448));
            // One in five documents of each segment, less the deleted « 2-10 ».
            assert_eq!(all.count_of("epci").get("epci-242900314"), Some(&89));
        }
    }

    #[test]
    fn tables_of_dropped_segments_are_collected() {
        let (index, _, _) = fixture();
        let tables = Arc::new(FacetTables::new("facets"));
        let reader: tantivy::IndexReader = index
            .reader_builder()
            .warmers(vec![Arc::downgrade(&tables) as std::sync::Weak<dyn Warmer>])
            .try_into()
            .expect("reader");
        let before = reader.searcher();
        assert_eq!(tables.lock().len(), 3);
        let mut writer: IndexWriter = index
            .writer_with_num_threads(1, 15_000_000)
            .expect("writer");
        let ids = index.searchable_segment_ids().expect("ids");
        writer.merge(&ids).wait().expect("merge");
        drop(writer);
        reader.reload().expect("reload");
        assert_eq!(tables.lock().len(), 4, "the merged segment is warmed");
        let live: Vec<SearcherGeneration> = vec![reader.searcher().generation().clone()];
        tables.garbage_collect(&live.iter().collect::<Vec<_>>());
        assert_eq!(tables.lock().len(), 1, "only the live segment is kept");
        drop(before);
    }
}
