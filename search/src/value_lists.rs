//! The facet value numbers of each document of a segment, held in about a byte per value
//! and a byte and a half per document, and counted over a bit set of matches.
//!
//! Counting the facets of a broad search walks the lists of every match: the walk is
//! bound by memory, not by arithmetic (a profile at 1,025,000 documents showed the loads
//! of each document's start and values as three quarters of the counting). So the lists
//! are made small:
//! - a document's values are one-byte codes for the 254 values most held in the lists
//!   (its région, département, themes, publisher in most catalogues), an escape byte and
//!   the value number (two or four bytes) for the others;
//! - where a document's codes start is not stored per document but per group of eight:
//!   a group's offset, plus the lengths (one byte each) of the group's documents before
//!   it, summed from one eight-byte load;
//! - a document holding more than 127 bytes of codes (a national dataset listing every
//!   commune) keeps its value numbers aside, its length written as zero;
//! - a document of at most eight one-byte codes (most of them) is counted in a fixed
//!   number of steps, from one eight-byte load: no branch on its length to mispredict
//!   while the next documents' loads are in flight.
//!
//! Invariants: `lens` has a byte per document, padded with zeros to a multiple of
//! [`GROUP`]; `groups[g]` is where the codes of document `g × GROUP` start; a document's
//! codes are the `lens[d] & MAX_LEN` bytes from its group's offset plus the lengths (less
//! `ESCAPED`) before it in the group, `ESCAPED` set when they hold an escape; a document
//! with its values aside has length zero, `ESCAPED` set and its bit set in `long_docs`;
//! `codes` ends with eight zero bytes (an eight-byte load from any start stays inside).

use std::collections::HashMap;

use tantivy::DocId;

/// Documents per stored offset (a group's lengths are read with one `u64` load).
const GROUP: usize = 8;

/// One-byte codes: `0..ESCAPE_U16`. Then an escape byte and the value number.
const ESCAPE_U16: u8 = 0xFE;
const ESCAPE_U32: u8 = 0xFF;

/// A document's length byte: its bytes of codes (at most `MAX_LEN`), with `ESCAPED` set
/// when they hold an escape.
const MAX_LEN: u8 = 0x7F;
const ESCAPED: u8 = 0x80;

/// Copies of the one-byte codes' counts a count spreads documents over (document `d`
/// into copy `d mod LANES`): a value most matches hold would otherwise make each of its
/// increments wait for the previous one.
const LANES: usize = 4;

/// Value numbers of a segment's documents, as they are added (see [`ValueLists`]).
pub(crate) struct ListsBuilder {
    /// Document `d` holds `values[starts[d]..starts[d + 1]]`.
    starts: Vec<u32>,
    values: Held,
    /// Documents holding each value number (the builder's values are below its length).
    held_by: Vec<u32>,
}

/// Value numbers as added: two bytes each while the segment has at most 65,536 values
/// (the builder lives while a segment is warmed, next to the lists being built).
enum Held {
    Narrow(Vec<u16>),
    Wide(Vec<u32>),
}

impl Held {
    fn len(&self) -> usize {
        match self {
            Held::Narrow(v) => v.len(),
            Held::Wide(v) => v.len(),
        }
    }

    /// Replaces the content of `out` with the values in `range`.
    fn copy(&self, range: std::ops::Range<usize>, out: &mut Vec<u32>) {
        out.clear();
        match self {
            Held::Narrow(v) => out.extend(v[range].iter().map(|&x| u32::from(x))),
            Held::Wide(v) => out.extend_from_slice(&v[range]),
        }
    }
}

impl ListsBuilder {
    /// A builder for `docs` documents whose value numbers are below `values`.
    pub(crate) fn new(docs: usize, values: usize) -> Self {
        let mut starts = Vec::with_capacity(docs + 1);
        starts.push(0);
        let held = if values <= usize::from(u16::MAX) + 1 {
            Held::Narrow(Vec::new())
        } else {
            Held::Wide(Vec::new())
        };
        Self {
            starts,
            values: held,
            held_by: vec![0; values],
        }
    }

    /// Appends the next document's value numbers; fails past 2³² values in a segment, or
    /// for a value number the builder was not made for.
    pub(crate) fn push(&mut self, values: &[u32]) -> tantivy::Result<()> {
        for &v in values {
            *self.held_by.get_mut(v as usize).ok_or_else(too_many)? += 1;
        }
        match &mut self.values {
            Held::Narrow(held) => {
                for &v in values {
                    held.push(u16::try_from(v).map_err(|_| too_many())?);
                }
            }
            Held::Wide(held) => held.extend_from_slice(values),
        }
        self.starts
            .push(u32::try_from(self.values.len()).map_err(|_| too_many())?);
        Ok(())
    }

    /// The compact lists.
    pub(crate) fn finish(self) -> tantivy::Result<ValueLists> {
        // The most held values get the one-byte codes.
        let held = &self.held_by;
        let numbers = held.len();
        let mut by_count: Vec<u32> = (0..numbers as u32)
            .filter(|&v| held[v as usize] > 0)
            .collect();
        by_count.sort_unstable_by(|&a, &b| held[b as usize].cmp(&held[a as usize]).then(a.cmp(&b)));
        let short: Vec<u32> = by_count.into_iter().take(usize::from(ESCAPE_U16)).collect();
        let mut code_of: Vec<Option<u8>> = vec![None; numbers];
        for (code, &v) in short.iter().enumerate() {
            code_of[v as usize] = Some(code as u8);
        }
        let docs = self.starts.len() - 1;
        let padded = docs.div_ceil(GROUP) * GROUP;
        let mut lists = ValueLists {
            groups: Vec::with_capacity(padded / GROUP),
            lens: vec![0; padded],
            codes: Vec::with_capacity(self.values.len() + self.values.len() / 8),
            short,
            long: HashMap::new(),
            long_docs: Vec::new(),
            entries: self.values.len(),
            docs,
        };
        let mut encoded = Vec::new();
        let mut values = Vec::new();
        for d in 0..docs {
            if d % GROUP == 0 {
                let at = u32::try_from(lists.codes.len()).map_err(|_| too_many())?;
                lists.groups.push(at);
            }
            self.values.copy(
                self.starts[d] as usize..self.starts[d + 1] as usize,
                &mut values,
            );
            encoded.clear();
            for &v in &values {
                match code_of[v as usize] {
                    Some(code) => encoded.push(code),
                    None => match u16::try_from(v) {
                        Ok(v) => {
                            encoded.push(ESCAPE_U16);
                            encoded.extend_from_slice(&v.to_le_bytes());
                        }
                        Err(_) => {
                            encoded.push(ESCAPE_U32);
                            encoded.extend_from_slice(&v.to_le_bytes());
                        }
                    },
                }
            }
            let escaped = encoded.len() > values.len();
            match u8::try_from(encoded.len()) {
                Ok(len) if len <= MAX_LEN => {
                    lists.lens[d] = if escaped { len | ESCAPED } else { len };
                    lists.codes.extend_from_slice(&encoded);
                }
                _ => {
                    if lists.long_docs.is_empty() {
                        lists.long_docs = vec![0; docs.div_ceil(64)];
                    }
                    crate::facet_table::set_bit(&mut lists.long_docs, d as DocId);
                    // No codes, and not the path of short documents.
                    lists.lens[d] = ESCAPED;
                    lists.long.insert(d as DocId, values.as_slice().into());
                }
            }
        }
        u32::try_from(lists.codes.len()).map_err(|_| too_many())?;
        // Eight bytes read at once from any document's start stay inside.
        lists.codes.extend_from_slice(&[0; 8]);
        lists.codes.shrink_to_fit();
        Ok(lists)
    }
}

fn too_many() -> tantivy::TantivyError {
    tantivy::TantivyError::InvalidArgument(
        "too many facet values in one segment to count in memory".into(),
    )
}

/// The facet value numbers of each document of a segment (see the module documentation).
pub(crate) struct ValueLists {
    /// Where the codes of each group of [`GROUP`] documents start.
    groups: Vec<u32>,
    /// Bytes of codes of each document (zero for those with their values in `long`).
    lens: Vec<u8>,
    codes: Vec<u8>,
    /// One-byte code → value number.
    short: Vec<u32>,
    /// Value numbers of the documents holding more than `MAX_LEN` bytes of codes.
    long: HashMap<DocId, Box<[u32]>>,
    /// A bit per document with its values in `long` (empty when there is none).
    long_docs: Vec<u64>,
    /// Value numbers held, all documents together.
    entries: usize,
    docs: usize,
}

impl ValueLists {
    /// The number of value numbers held, all documents together.
    pub(crate) fn entries(&self) -> usize {
        self.entries
    }

    /// The number of documents.
    pub(crate) fn docs(&self) -> usize {
        self.docs
    }

    pub(crate) fn bytes(&self) -> usize {
        self.groups.len() * 4
            + self.lens.len()
            + self.codes.len()
            + self.short.len() * 4
            + self.long_docs.len() * 8
            + self.long.values().map(|v| v.len() * 4 + 32).sum::<usize>()
    }

    /// Adds one to `counts[v]` for every value `v` of each document whose bit is set in
    /// `docs` (value numbers past `counts` are ignored).
    pub(crate) fn count(&self, docs: &[u64], counts: &mut [u32]) {
        let mut short = [0u32; 256 * LANES];
        let has_long = !self.long_docs.is_empty();
        for (w, &word) in docs.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let d = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let group = d / GROUP;
                let (Some(&at), Some(lens)) = (
                    self.groups.get(group),
                    self.lens.get(group * GROUP..group * GROUP + GROUP),
                ) else {
                    continue;
                };
                let lens = u64::from_le_bytes(lens.try_into().unwrap_or([0; GROUP]));
                let within = (d % GROUP) * 8;
                // Lengths of the group's documents before `d`: the low `within` bits.
                let before = lens & ((1u64 << within) - 1) & LENGTHS;
                let start = at as usize + byte_sum(before);
                let byte = (lens >> within) as u8;
                let len = usize::from(byte & MAX_LEN);
                let lane = d % LANES;
                if byte & ESCAPED == 0 && len <= 8 {
                    // One-byte codes only, at most eight: a fixed number of steps (no
                    // branch on the length to mispredict), the steps past the length
                    // adding zero.
                    if let Some(eight) = self.codes.get(start..start + 8) {
                        let eight = u64::from_le_bytes(eight.try_into().unwrap_or([0; 8]));
                        for k in 0..8 {
                            let code = (eight >> (8 * k)) as u8;
                            short[usize::from(code) * LANES + lane] += u32::from(k < len);
                        }
                        continue;
                    }
                }
                if len == 0 {
                    if has_long
                        && self
                            .long_docs
                            .get(w)
                            .is_some_and(|l| l & (1 << (d % 64)) != 0)
                    {
                        for &v in self.long.get(&(d as DocId)).into_iter().flatten() {
                            if let Some(c) = counts.get_mut(v as usize) {
                                *c += 1;
                            }
                        }
                    }
                    continue;
                }
                let Some(codes) = self.codes.get(start..start + len) else {
                    continue;
                };
                let mut i = 0;
                while let Some(&code) = codes.get(i) {
                    if code < ESCAPE_U16 {
                        short[usize::from(code) * LANES + lane] += 1;
                        i += 1;
                        continue;
                    }
                    let (value, width) = if code == ESCAPE_U16 {
                        let b = codes.get(i + 1..i + 3).unwrap_or(&[0xFF, 0xFF]);
                        (usize::from(u16::from_le_bytes([b[0], b[1]])), 3)
                    } else {
                        let b = codes.get(i + 1..i + 5).unwrap_or(&[0xFF; 4]);
                        (u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize, 5)
                    };
                    if let Some(c) = counts.get_mut(value) {
                        *c += 1;
                    }
                    i += width;
                }
            }
        }
        for (code, &v) in self.short.iter().enumerate() {
            let n: u32 = short[code * LANES..code * LANES + LANES].iter().sum();
            if let Some(c) = counts.get_mut(v as usize) {
                *c += n;
            }
        }
    }
}

/// The length bits of eight length bytes.
const LENGTHS: u64 = 0x7F7F_7F7F_7F7F_7F7F;

/// The sum of the eight bytes of `x` (at most 8 × 255: no carry leaves its lane).
#[inline]
fn byte_sum(x: u64) -> usize {
    const PAIRS: u64 = 0x00FF_00FF_00FF_00FF;
    let pairs = (x & PAIRS) + ((x >> 8) & PAIRS);
    (pairs.wrapping_mul(0x0001_0001_0001_0001) >> 48) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts by walking the plain lists, for comparison.
    fn plain(lists: &[Vec<u32>], docs: &[u64], values: usize) -> Vec<u32> {
        let mut counts = vec![0; values];
        for (d, held) in lists.iter().enumerate() {
            if docs[d / 64] & (1 << (d % 64)) != 0 {
                for &v in held {
                    counts[v as usize] += 1;
                }
            }
        }
        counts
    }

    #[test]
    fn byte_sums_add_every_byte() {
        assert_eq!(byte_sum(0), 0);
        assert_eq!(byte_sum(u64::MAX), 8 * 255);
        assert_eq!(byte_sum(0x0102_0304_0506_0708), 36);
        assert_eq!(byte_sum(0xFF00_0000_0000_00FF), 510);
    }

    /// Documents with no value, one-byte codes, both escapes (values past 65,535) and
    /// documents with their values aside; every match set counts as the plain lists do.
    #[test]
    fn counts_equal_those_of_the_plain_lists() {
        let values = 70_000usize;
        let docs = 1_000usize;
        let mut lists: Vec<Vec<u32>> = Vec::new();
        let mut next = crate::test_random(0x2545_F491_4F6C_DD1D);
        for d in 0..docs {
            let held: Vec<u32> = match d % 50 {
                // Over `MAX_LEN` bytes of codes: aside.
                7 => (0..400).map(|k| (k * 150) as u32).collect(),
                3 => Vec::new(),
                _ => {
                    let mut held: Vec<u32> = (0..next(12))
                        .map(|_| match next(10) {
                            // A few common values, a long tail, a few past u16.
                            0..=5 => next(40) as u32,
                            6..=8 => next(3_000) as u32,
                            _ => 66_000 + next(4_000) as u32,
                        })
                        .collect();
                    held.sort_unstable();
                    held.dedup();
                    held
                }
            };
            lists.push(held);
        }
        // A document of 100 values (over `MAX_LEN` bytes): aside too.
        lists[11] = (0..100).collect();
        let mut builder = ListsBuilder::new(docs, values);
        for held in &lists {
            builder.push(held).expect("push");
        }
        let compact = builder.finish().expect("finish");
        assert_eq!(compact.entries(), lists.iter().map(Vec::len).sum::<usize>());
        assert_eq!(compact.long.len(), docs / 50 + 1);
        assert!(compact.codes.contains(&ESCAPE_U32));
        assert!(compact.codes.contains(&ESCAPE_U16));
        let words = docs.div_ceil(64);
        let all: Vec<u64> = (0..words)
            .map(|w| {
                if (w + 1) * 64 <= docs {
                    u64::MAX
                } else {
                    (1u64 << (docs % 64)) - 1
                }
            })
            .collect();
        let sparse: Vec<u64> = all.iter().map(|w| w & 0x8001_0200_0040_0009).collect();
        let mut random = vec![0u64; words];
        for _ in 0..300 {
            crate::facet_table::set_bit(&mut random, next(docs as u64) as DocId);
        }
        for matches in [&all, &sparse, &random, &vec![0; words]] {
            let mut counts = vec![0; values];
            compact.count(matches, &mut counts);
            assert_eq!(counts, plain(&lists, matches, values));
        }
        // Counts add up: counting twice doubles.
        let mut twice = vec![0; values];
        compact.count(&all, &mut twice);
        compact.count(&all, &mut twice);
        let once = plain(&lists, &all, values);
        assert!(twice.iter().zip(&once).all(|(t, o)| *t == 2 * o));
    }

    /// Bit sets longer than the documents (or values past the counts) are ignored.
    #[test]
    fn out_of_range_documents_and_values_are_ignored() {
        let mut builder = ListsBuilder::new(3, 10);
        for held in [&[0u32, 5][..], &[1], &[9]] {
            builder.push(held).expect("push");
        }
        // Two bytes per value while building: a value past them is refused, not cut.
        assert!(ListsBuilder::new(1, 10).push(&[70_000]).is_err());
        let compact = builder.finish().expect("finish");
        let mut counts = vec![0; 6];
        compact.count(&[u64::MAX, u64::MAX], &mut counts);
        assert_eq!(counts, vec![1, 1, 0, 0, 0, 1]);
    }
}
