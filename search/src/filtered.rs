//! Searches answered from bit sets instead of a loop over every match: without words,
//! and with words once `crate::words` has narrowed the filters' bit set to their matches.
//!
//! Browsing (a theme, a use case, a territory, no words) is most of a portal's traffic, and
//! without words tantivy scores, collects and counts every match one by one: a commune
//! filter matches every dataset of its région (63,000 of 100,000 in the benchmark) where
//! its département matches 14,000, and an empty search matches everything. Here, per
//! segment: the matches are the filters' bit sets (a frequent facet term's is read from
//! the facet tables, see `crate::facet_table`) and-ed together and with the live
//! documents; the count is their number of set bits; facets are counted from the bit set
//! (from the nearest precomputed base); the page is
//! - by relevance under a territory union (a commune with its EPCI, département and
//!   région): the score depends only on which clauses a document matches (each a facet
//!   term, whose score is the same for every match), so the matches fall into at most
//!   2ᵏ − 1 tiers of equal score, filled best first, reading the `order` fast field only
//!   for the tiers needed;
//! - by relevance with words: the matches' scores, read from the table `crate::words`
//!   wrote (`ranked.rs` keeps the best);
//! - by date or quality (and by relevance without words or union, which is by date): the
//!   segment's documents in that order, computed once per segment, walked until the page is
//!   full, or, for a few matches, the matches alone put in order.
//!
//! Invariants:
//! - The count, facets and page equal those of the general path (`BooleanQuery` of the
//!   filters with `TopByScore` or `TopDocs::tweak_score`, keys (score | date | quality,
//!   `Reverse(order)`), equal keys by document address): tests compare both. By
//!   relevance, the key is the union's score (the other filters give every match the
//!   same score).
//! - Relevance under a union without words is answered only for filters holding exactly
//!   one union of at most [`MAX_CLAUSES`] clauses of constant score: `run` answers `None`
//!   otherwise, and the general path answers. Searches with words are always answered.
//! - Memory per search and segment: a few bit sets (a bit per document) and the page's
//!   end entries twice; per segment, four bytes a document for each order used.

use std::cmp::Reverse;
use std::sync::Arc;

use tantivy::collector::sort_key::NaturalComparator;
use tantivy::collector::{Collector, SegmentCollector, TopNComputer};
use tantivy::query::{EnableScoring, Query, Scorer, Weight};
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentOrdinal, SegmentReader, TERMINATED};

use crate::facet_table::{filled, ones, set_bit, Bits, FacetTables, SegmentFacets, Tally};
use crate::ranked::{merge_pages, RankKey, TopByScore};
use crate::term_union::{single_term, ClauseScore, TermUnion, UnionWeight};
use crate::words::{ScoreTable, Words};

/// Unions of more clauses take the general path (2ᵏ tiers).
pub(crate) const MAX_CLAUSES: usize = 6;

/// A filter-only search's count, page and facet counts.
pub(crate) type Answer = (u64, Vec<DocAddress>, Option<Tally>);

/// The order of a filter-only page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Order {
    /// By the territory union's score, then `order`.
    Tiers,
    /// Most recently modified first, then `order`.
    Modified,
    /// Best quality first, then `order`.
    Quality,
    /// By the words' score (with the filter unions'), then `order`: searches with words.
    Score,
}

/// One filter, ready to give its documents in a segment.
enum Filter {
    Union(UnionWeight),
    /// A query, and its one term's encoded value when it is made of one.
    Other(Box<dyn Weight>, Option<Vec<u8>>),
}

impl Filter {
    /// The documents of this filter in `reader` (deleted ones included).
    fn docs(&self, reader: &SegmentReader, table: &SegmentFacets) -> tantivy::Result<Arc<Bits>> {
        match self {
            Filter::Union(weight) => Ok(Arc::new(weight.segment_clauses(reader, 1.0)?.1)),
            Filter::Other(weight, term) => {
                if let Some(bits) = term.as_deref().and_then(|t| table.frequent(t)) {
                    return Ok(bits);
                }
                Ok(Arc::new(docs_of(
                    weight.scorer(reader, 1.0)?,
                    reader.max_doc(),
                )))
            }
        }
    }
}

/// Answers a search of `words` (if any) and `filters` in `order`, or `None` when the
/// general path must (see the module documentation).
pub(crate) fn run(
    searcher: &Searcher,
    tables: &Arc<FacetTables>,
    words: Option<&Words>,
    filters: &[Box<dyn Query>],
    order: Order,
    (offset, limit): (usize, usize),
    with_facets: bool,
) -> tantivy::Result<Option<Answer>> {
    let words = words.filter(|w| !w.is_empty());
    // Scores come from words, tiers from a union without words.
    match (order, words.is_some()) {
        (Order::Score, false) | (Order::Tiers, true) => return Ok(None),
        _ => {}
    }
    // By relevance: the one union whose tiers rank.
    let ranking = if order == Order::Tiers {
        let mut unions = filters
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.downcast_ref::<TermUnion>().map(|u| (i, u)));
        let (Some((at, union)), None) = (unions.next(), unions.next()) else {
            return Ok(None);
        };
        if union.clause_count() > MAX_CLAUSES {
            return Ok(None);
        }
        let scoring = EnableScoring::enabled_from_searcher(searcher);
        Some((at, union.union_weight(scoring)?))
    } else {
        None
    };
    let unscored = EnableScoring::disabled_from_searcher(searcher);
    let by_score = order == Order::Score;
    // The words' weights, and the filter unions' when they rank.
    let scoring = if by_score {
        EnableScoring::enabled_from_searcher(searcher)
    } else {
        unscored
    };
    let mut others = Vec::new();
    // By score, the filter unions' scores count (a document holding two of the values
    // asked, or the place itself rather than a wider one, ranks first).
    let mut required: Vec<Box<dyn Weight>> = Vec::new();
    for (i, f) in filters.iter().enumerate() {
        if ranking.as_ref().is_some_and(|(at, _)| *at == i) {
            continue;
        }
        match f.downcast_ref::<TermUnion>() {
            Some(union) if by_score => required.push(Box::new(union.union_weight(scoring)?)),
            Some(union) => others.push(Filter::Union(union.union_weight(unscored)?)),
            None => others.push(Filter::Other(f.weight(unscored)?, single_term(f.as_ref()))),
        }
    }
    let matcher = match words {
        Some(words) => Some(words.matcher(scoring, required)?),
        None => None,
    };
    let facets = tables.collector();
    let end = offset.saturating_add(limit);
    let (mut count, mut counted) = (0u64, Vec::new());
    let mut tiered: Vec<Vec<(RankKey, DocAddress)>> = Vec::new();
    let mut dated: Vec<Vec<(DateKey, DocAddress)>> = Vec::new();
    let mut rated: Vec<Vec<(QualityKey, DocAddress)>> = Vec::new();
    let mut scored: Vec<Vec<(RankKey, DocAddress)>> = Vec::new();
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let ord = ord as SegmentOrdinal;
        let table = tables.of(reader)?;
        let totals = tables.totals_of(reader, &table);
        let mut matches: Bits = totals.live().to_vec();
        let mut tiers = None;
        if let Some((_, weight)) = &ranking {
            let (clauses, any) = weight.segment_clauses(reader, 1.0)?;
            let mut scores = Vec::with_capacity(clauses.len());
            for c in &clauses {
                match c.score {
                    ClauseScore::Constant(s) => scores.push(s),
                    ClauseScore::PerDoc(_) => return Ok(None),
                }
            }
            and_with(&mut matches, &any);
            tiers = Some((clauses, scores));
        }
        for filter in &others {
            and_with(&mut matches, &filter.docs(reader, &table)?);
        }
        let mut scores = None;
        if let Some(matcher) = &matcher {
            if by_score {
                let mut table = ScoreTable::take(reader.max_doc() as usize);
                matcher.restrict(reader, &mut matches, Some(table.as_mut_slice()))?;
                scores = Some(table);
            } else {
                matcher.restrict(reader, &mut matches, None)?;
            }
        }
        let found = ones(&matches);
        count += u64::from(found);
        match (&tiers, order) {
            (_, Order::Score) => {
                let scores = scores
                    .as_ref()
                    .map(ScoreTable::as_slice)
                    .unwrap_or_default();
                scored.push(best_scored(ord, reader, &matches, scores, end)?);
            }
            (Some((clauses, scores)), _) => {
                let bits: Vec<&[u64]> = clauses.iter().map(|c| c.bits.as_slice()).collect();
                tiered.push(page_of(ord, reader, &matches, &bits, scores, end));
            }
            (None, Order::Quality) => {
                let sorted = || table.sorted_by(reader, Order::Quality);
                rated.push(in_order(
                    ord,
                    (&matches, found),
                    end,
                    quality_key(reader),
                    sorted,
                )?);
            }
            (None, _) => {
                let sorted = || table.sorted_by(reader, Order::Modified);
                dated.push(in_order(
                    ord,
                    (&matches, found),
                    end,
                    date_key(reader),
                    sorted,
                )?);
            }
        }
        if with_facets {
            counted.push(facets.count_segment(reader, matches)?);
        }
    }
    let tally = if with_facets {
        Some(facets.merge_fruits(counted)?)
    } else {
        None
    };
    fn addresses<K: PartialOrd>(
        pages: Vec<Vec<(K, DocAddress)>>,
        window: (usize, usize),
    ) -> Vec<DocAddress> {
        let (offset, limit) = window;
        merge_pages(pages, offset, limit)
            .into_iter()
            .map(|(_, a)| a)
            .collect()
    }
    let page = if by_score {
        addresses(scored, (offset, limit))
    } else if ranking.is_some() {
        addresses(tiered, (offset, limit))
    } else if order == Order::Quality {
        addresses(rated, (offset, limit))
    } else {
        addresses(dated, (offset, limit))
    };
    Ok(Some((count, page, tally)))
}

/// The key of the order by date: the date (none last), then the smaller `order`.
pub(crate) type DateKey = (Option<i64>, Reverse<u64>);
/// The key of the order by quality: the quality (none last), then the smaller `order`.
pub(crate) type QualityKey = (Option<f64>, Reverse<u64>);

/// The key by date of `segment`'s documents (the general path's `tweak_score` key too).
pub(crate) fn date_key(segment: &SegmentReader) -> impl Fn(DocId) -> DateKey + use<> {
    column_key(segment, segment.fast_fields().i64("modified").ok())
}

/// The key by quality of `segment`'s documents (the general path's `tweak_score` key too).
pub(crate) fn quality_key(segment: &SegmentReader) -> impl Fn(DocId) -> QualityKey + use<> {
    column_key(segment, segment.fast_fields().f64("quality").ok())
}

/// A document's first value in `column` (none last), then the smaller `order`.
fn column_key<T>(
    segment: &SegmentReader,
    column: Option<tantivy::columnar::Column<T>>,
) -> impl Fn(DocId) -> (Option<T>, Reverse<u64>) + use<T>
where
    T: PartialOrd + Copy + std::fmt::Debug + Send + Sync + 'static,
{
    let rank = segment.fast_fields().u64("order").ok();
    move |doc| {
        (
            column.as_ref().and_then(|c| c.first(doc)),
            Reverse(rank.as_ref().and_then(|c| c.first(doc)).unwrap_or(0)),
        )
    }
}

fn and_with(matches: &mut [u64], bits: &[u64]) {
    for (m, b) in matches.iter_mut().zip(bits) {
        *m &= b;
    }
}

/// The first `end` of `matches` (and their number) in the order of `key` (best first,
/// equal keys by document): by walking the segment's documents in that order (`sorted`) until `end`
/// matches are found, or, when matches are too few for the walk to end soon, by putting
/// the matches alone in order.
fn in_order<K: PartialOrd + Copy>(
    segment: SegmentOrdinal,
    (matches, found): (&[u64], u32),
    end: usize,
    key: impl Fn(DocId) -> K,
    sorted: impl FnOnce() -> tantivy::Result<Arc<Vec<DocId>>>,
) -> tantivy::Result<Vec<(K, DocAddress)>> {
    let found = found as usize;
    let docs = matches.len() * 64;
    let mut page = Vec::with_capacity(end.min(found));
    if found == 0 || end == 0 {
        return Ok(page);
    }
    // A walk reads about `end × docs / found` documents; sorting the matches, `found`.
    if (found as u128) * (found as u128) >= (end as u128) * (docs as u128) {
        for &doc in sorted()?.iter() {
            if matches[(doc / 64) as usize] >> (doc % 64) & 1 == 1 {
                page.push((key(doc), DocAddress::new(segment, doc)));
                if page.len() == end {
                    break;
                }
            }
        }
        return Ok(page);
    }
    let mut top = TopNComputer::new_with_comparator(end, NaturalComparator);
    for (w, &word) in matches.iter().enumerate() {
        let mut bits = word;
        while bits != 0 {
            let doc = w as DocId * 64 + bits.trailing_zeros();
            top.push(key(doc), doc);
            bits &= bits - 1;
        }
    }
    Ok(top
        .into_vec()
        .into_iter()
        .map(|c| (c.sort_key, DocAddress::new(segment, c.doc)))
        .collect())
}

/// The best `end` of `matches` by `scores` (a score per document), equal scores by `order`.
fn best_scored(
    segment: SegmentOrdinal,
    reader: &SegmentReader,
    matches: &[u64],
    scores: &[Score],
    end: usize,
) -> tantivy::Result<Vec<(RankKey, DocAddress)>> {
    let mut top = TopByScore::new(0, end).for_segment(segment, reader)?;
    for (w, &word) in matches.iter().enumerate() {
        let mut bits = word;
        while bits != 0 {
            let doc = w as DocId * 64 + bits.trailing_zeros();
            top.collect(doc, scores.get(doc as usize).copied().unwrap_or(0.0));
            bits &= bits - 1;
        }
    }
    Ok(top.harvest())
}

/// The documents of `scorer` as a bit set.
fn docs_of(mut scorer: Box<dyn Scorer>, max_doc: DocId) -> Bits {
    let mut bits = filled(0u64, (max_doc as usize).div_ceil(64));
    let mut doc = scorer.doc();
    while doc != TERMINATED {
        set_bit(&mut bits, doc);
        doc = scorer.advance();
    }
    bits
}

/// The score of a document matching the clauses of `mask`: summed in clause order, as the
/// union's scorer does.
fn score_of(mask: u32, scores: &[Score]) -> Score {
    let mut sum: Score = 0.0;
    for (c, s) in scores.iter().enumerate() {
        if mask >> c & 1 == 1 {
            sum += *s;
        }
    }
    sum
}

/// The best `end` matches of one segment, by tiers of equal score, best first, stopping
/// once `end` matches are held and the next tier scores lower.
fn page_of(
    segment: SegmentOrdinal,
    reader: &SegmentReader,
    matches: &[u64],
    clauses: &[&[u64]],
    scores: &[Score],
    end: usize,
) -> Vec<(RankKey, DocAddress)> {
    let mut tiers: Vec<(Score, u32)> = (1..1u32 << clauses.len())
        .map(|mask| (score_of(mask, scores), mask))
        .collect();
    tiers.sort_by(|a, b| b.0.total_cmp(&a.0));
    let order = reader.fast_fields().u64("order").ok();
    let mut top = TopNComputer::new_with_comparator(end, NaturalComparator);
    let mut held = 0usize;
    let mut i = 0;
    while i < tiers.len() && held < end {
        let score = tiers[i].0;
        while i < tiers.len() && tiers[i].0.total_cmp(&score).is_eq() {
            let mask = tiers[i].1;
            for (w, &word) in matches.iter().enumerate() {
                let mut bits = word;
                for (c, clause) in clauses.iter().enumerate() {
                    if bits == 0 {
                        break;
                    }
                    bits &= if mask >> c & 1 == 1 {
                        clause[w]
                    } else {
                        !clause[w]
                    };
                }
                while bits != 0 {
                    let doc = w as DocId * 64 + bits.trailing_zeros();
                    let key = order.as_ref().and_then(|c| c.first(doc)).unwrap_or(0);
                    let rank: RankKey = (score, Reverse(key));
                    top.push(rank, doc);
                    held += 1;
                    bits &= bits - 1;
                }
            }
            i += 1;
        }
    }
    top.into_vec()
        .into_iter()
        .map(|c| (c.sort_key, DocAddress::new(segment, c.doc)))
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::facet_table::DimensionCounts;
    use crate::ranked::TopByScore;
    use crate::schema::DIMENSIONS;
    use tantivy::collector::Count;
    use tantivy::query::{BooleanQuery, BoostQuery, Occur, TermQuery};
    use tantivy::schema::{Facet, FacetOptions, Field, IndexRecordOption, Schema, FAST, STRING};
    use tantivy::{doc, Index, IndexWriter, Term, Warmer};

    /// Adds the fields every fixture of searches from bit sets holds besides its own: the
    /// document id, `order`, `modified` and `quality`.
    pub(crate) fn key_fields(builder: &mut tantivy::schema::SchemaBuilder) -> [Field; 4] {
        [
            builder.add_text_field("id", STRING),
            builder.add_u64_field("order", FAST),
            builder.add_i64_field("modified", FAST),
            builder.add_f64_field("quality", FAST),
        ]
    }

    /// Asserts that `a` and `b` count the same values in every dimension.
    pub(crate) fn assert_same_facets(
        a: &mut dyn DimensionCounts,
        b: &mut dyn DimensionCounts,
        what: &str,
    ) {
        for dim in DIMENSIONS {
            assert_eq!(a.count_of(dim), b.count_of(dim), "{dim} {what}");
        }
    }

    /// A writer of one thread, for fixtures in memory.
    pub(crate) fn fixture_writer(index: &Index) -> IndexWriter {
        index
            .writer_with_num_threads(1, 15_000_000)
            .expect("writer")
    }

    /// Three segments of 400 documents (one with deletions): a few of the commune's own,
    /// its EPCI's, département's and région's (scope), others elsewhere, with themes.
    fn fixture() -> (Index, tantivy::schema::Field, tantivy::schema::Field) {
        let mut builder = Schema::builder();
        let facets = builder.add_facet_field("facets", FacetOptions::default().set_stored());
        let [id, order, modified, quality] = key_fields(&mut builder);
        let index = Index::create_in_ram(builder.build());
        let mut writer = fixture_writer(&index);
        for segment in 0..3u64 {
            for n in 0..400u64 {
                // A hash-like order (distinct values, as the hash of distinct ids).
                let key = ((segment * 400 + n) * 2_654_435_761) % (1 << 32);
                let mut d = doc!(id => format!("{segment}-{n}"), order => key);
                // Dates and qualities with many equal values, some missing.
                if n % 9 != 0 {
                    d.add_i64(modified, 1_600_000_000 + ((n * 37) % 23) as i64 * 86_400);
                }
                if n % 7 != 0 {
                    d.add_f64(quality, ((n * 13) % 11) as f64 * 10.0);
                }
                let theme = ["eau", "air", "sol", "climat"][(n % 4) as usize];
                d.add_facet(facets, Facet::from_path(["theme", theme]));
                let place = |d: &mut tantivy::TantivyDocument, dim: &str, v: &str| {
                    d.add_facet(facets, Facet::from_path([dim, v]));
                };
                match n % 10 {
                    0 => {
                        place(&mut d, "commune", "commune-29019");
                        place(&mut d, "scope", "commune-29019");
                    }
                    1 => place(&mut d, "scope", "epci-242900314"),
                    2 | 3 => place(&mut d, "scope", "29"),
                    4..=7 => place(&mut d, "scope", "region-53"),
                    _ => place(&mut d, "scope", "region-11"),
                }
                // Some of the commune's datasets are also said to be the département's.
                if n % 30 == 0 {
                    place(&mut d, "scope", "29");
                }
                d.add_facet(facets, Facet::from_path(["region", "region-53"]));
                writer.add_document(d).expect("add");
            }
            writer.commit().expect("commit");
        }
        for gone in ["1-10", "1-4", "2-20", "2-5"] {
            writer.delete_term(Term::from_field_text(id, gone));
        }
        writer.commit().expect("commit");
        (index, facets, id)
    }

    #[test]
    fn count_page_and_facets_equal_those_of_the_general_path() {
        let (index, facets, _) = fixture();
        // Frequent terms from 16 documents: the scope's région and themes are bases.
        let tables = Arc::new(FacetTables::with_frequent_min_docs("facets", 16));
        let reader = index
            .reader_builder()
            .warmers(vec![Arc::downgrade(&tables) as std::sync::Weak<dyn Warmer>])
            .try_into()
            .expect("reader");
        let searcher = reader.searcher();
        let term = |dim: &str, v: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_facet(facets, &Facet::from_path([dim, v])),
                IndexRecordOption::Basic,
            ))
        };
        let commune = || -> Box<dyn Query> {
            let clauses: Vec<(Box<dyn Query>, bool)> = vec![
                (
                    Box::new(BoostQuery::new(term("commune", "commune-29019"), 4.0)),
                    true,
                ),
                (term("scope", "epci-242900314"), true),
                (term("scope", "29"), true),
                (term("scope", "region-53"), true),
            ];
            Box::new(TermUnion::new(clauses, Some(tables.clone())))
        };
        let cases: Vec<Vec<Box<dyn Query>>> = vec![
            vec![commune()],
            vec![commune(), term("theme", "eau")],
            vec![term("theme", "air"), commune()],
        ];
        let mut fast_paths = 0;
        for filters in &cases {
            for (offset, limit) in [(0, 20), (20, 20), (0, 1), (95, 30), (700, 50)] {
                let fast = run(
                    &searcher,
                    &tables,
                    None,
                    filters,
                    Order::Tiers,
                    (offset, limit),
                    true,
                )
                .expect("run")
                .expect("a filter-only union search");
                fast_paths += 1;
                let query = BooleanQuery::new(
                    filters
                        .iter()
                        .map(|f| (Occur::Must, f.box_clone()))
                        .collect(),
                );
                let (n, page, mut tally) = searcher
                    .search(
                        &query,
                        &(Count, TopByScore::new(offset, limit), tables.collector()),
                    )
                    .expect("search");
                let (count, addresses, fast_tally) = fast;
                assert!(n > 50, "{n}");
                assert_eq!(count, n as u64, "count for {filters:?}");
                let expected: Vec<DocAddress> = page.into_iter().map(|(_, a)| a).collect();
                assert_eq!(addresses, expected, "page {offset}+{limit} for {filters:?}");
                let what = format!("for {filters:?}");
                assert_same_facets(&mut fast_tally.expect("facets"), &mut tally, &what);
            }
        }
        assert_eq!(fast_paths, 15);
        // By date and by quality (walking the segment's order, or sorting few matches),
        // with and without filters.
        let general = |filters: &[Box<dyn Query>], order: Order, offset: usize, limit: usize| {
            let query: Box<dyn Query> = if filters.is_empty() {
                Box::new(tantivy::query::AllQuery)
            } else {
                Box::new(BooleanQuery::new(
                    filters
                        .iter()
                        .map(|f| (Occur::Must, f.box_clone()))
                        .collect(),
                ))
            };
            let top = tantivy::collector::TopDocs::with_limit(limit).and_offset(offset);
            let docs: Vec<DocAddress> = if order == Order::Quality {
                let top = top.tweak_score(|segment: &SegmentReader| {
                    let q = segment.fast_fields().f64("quality").ok();
                    let o = segment.fast_fields().u64("order").ok();
                    move |doc: DocId, _: Score| {
                        (
                            q.as_ref().and_then(|c| c.first(doc)),
                            Reverse(o.as_ref().and_then(|c| c.first(doc)).unwrap_or(0)),
                        )
                    }
                });
                let found = searcher.search(query.as_ref(), &top).expect("search");
                found.into_iter().map(|(_, a)| a).collect()
            } else {
                let top = top.tweak_score(|segment: &SegmentReader| {
                    let m = segment.fast_fields().i64("modified").ok();
                    let o = segment.fast_fields().u64("order").ok();
                    move |doc: DocId, _: Score| {
                        (
                            m.as_ref().and_then(|c| c.first(doc)),
                            Reverse(o.as_ref().and_then(|c| c.first(doc)).unwrap_or(0)),
                        )
                    }
                });
                let found = searcher.search(query.as_ref(), &top).expect("search");
                found.into_iter().map(|(_, a)| a).collect()
            };
            let n = searcher.search(query.as_ref(), &Count).expect("count");
            (n as u64, docs)
        };
        let sorted_cases: Vec<Vec<Box<dyn Query>>> = vec![
            vec![],
            vec![commune()],
            vec![term("theme", "eau")],
            vec![term("commune", "commune-29019")],
            vec![term("theme", "sol"), commune()],
        ];
        for filters in &sorted_cases {
            for order in [Order::Modified, Order::Quality] {
                for (offset, limit) in [(0, 20), (0, 1), (40, 20), (700, 50), (1_190, 20)] {
                    let (count, page, _) = run(
                        &searcher,
                        &tables,
                        None,
                        filters,
                        order,
                        (offset, limit),
                        false,
                    )
                    .expect("run")
                    .expect("an answer without words");
                    let (n, expected) = general(filters, order, offset, limit);
                    assert_eq!(count, n, "count for {filters:?}");
                    assert_eq!(page, expected, "{order:?} {offset}+{limit} for {filters:?}");
                }
            }
        }
        // Two unions (the page would depend on both): the general path answers.
        let two = vec![commune(), commune()];
        assert!(
            run(&searcher, &tables, None, &two, Order::Tiers, (0, 20), false)
                .expect("run")
                .is_none()
        );
        // The commune's own datasets come first.
        let (_, first, _) = run(
            &searcher,
            &tables,
            None,
            &cases[0],
            Order::Tiers,
            (0, 20),
            false,
        )
        .expect("run")
        .expect("answer");
        let searcher_doc =
            |a: DocAddress| -> tantivy::TantivyDocument { searcher.doc(a).expect("doc") };
        for a in first {
            let d = searcher_doc(a);
            let own = d
                .get_all(facets)
                .filter_map(|v| tantivy::schema::Value::as_facet(&v))
                .filter_map(|f| Facet::from_encoded(f.as_bytes().to_vec()).ok())
                .any(|f| f.to_path_string() == "/commune/commune-29019");
            assert!(own, "page 1 holds the commune's own datasets");
        }
    }
}
