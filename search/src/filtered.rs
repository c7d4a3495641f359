//! Searches without words ranked by a territory filter (a commune with its EPCI,
//! département and région), answered from bit sets instead of a loop over every match.
//!
//! A commune filter without words matches every dataset of its région (63,000 of 100,000
//! in the benchmark) where its département matches 14,000: scoring, collecting and
//! counting each match made it the slowest territory search. Its score depends only on
//! which of the union's clauses a document matches (each clause is a facet term, whose
//! score is the same for every match), so the matches fall into at most 2ᵏ − 1 tiers of
//! equal score. Here, per segment: the matches are the union's bit set and-ed with the
//! other filters' and the live documents; the count is their number of set bits; facets
//! are counted from the bit set (`crate::facet_table`, from the nearest precomputed set);
//! the page is filled tier by tier, best score first, reading the `order` fast field only
//! for the documents of the tiers it needs.
//!
//! Invariants:
//! - The count, facets and page equal those of the general path
//!   (`BooleanQuery` of the filters, `TopByScore`): the key of a match is its union score
//!   (the other filters give every match the same score), then the smaller `order` (a
//!   test compares both).
//! - Only for a request whose filters hold exactly one union of at most
//!   [`MAX_CLAUSES`] clauses, each of constant score: `run` answers `None` otherwise.
//! - Memory per search and segment: a few bit sets (a bit per document) and the page's
//!   end entries twice.

use std::cmp::Reverse;
use std::sync::Arc;

use tantivy::collector::sort_key::NaturalComparator;
use tantivy::collector::{Collector, TopNComputer};
use tantivy::query::{EnableScoring, Query, Scorer};
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentOrdinal, SegmentReader, TERMINATED};

use crate::facet_table::{ones, set_bit, Bits, FacetTables, Tally};
use crate::ranked::{merge_pages, RankKey};
use crate::term_union::{ClauseScore, TermUnion};

/// Unions of more clauses take the general path (2ᵏ tiers).
pub(crate) const MAX_CLAUSES: usize = 6;

/// A filter-only search's count, page and facet counts.
pub(crate) type Answer = (u64, Vec<DocAddress>, Option<Tally>);

/// Answers a search without words whose filters are `filters`, ranked by score, or `None`
/// when they do not hold exactly one union of constant-score clauses (see the module
/// documentation).
pub(crate) fn run(
    searcher: &Searcher,
    tables: &Arc<FacetTables>,
    filters: &[Box<dyn Query>],
    (offset, limit): (usize, usize),
    with_facets: bool,
) -> tantivy::Result<Option<Answer>> {
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
    let weight = union.union_weight(EnableScoring::enabled_from_searcher(searcher))?;
    let unscored = EnableScoring::disabled_from_searcher(searcher);
    let others = filters
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != at)
        .map(|(_, f)| Ok((f.weight(unscored)?, single_term(f.as_ref()))))
        .collect::<tantivy::Result<Vec<_>>>()?;
    let facets = tables.collector();
    let end = offset.saturating_add(limit);
    let (mut count, mut pages, mut counted) = (0u64, Vec::new(), Vec::new());
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let (clauses, mut matches) = weight.segment_clauses(reader, 1.0)?;
        let mut scores = Vec::with_capacity(clauses.len());
        for c in &clauses {
            match c.score {
                ClauseScore::Constant(s) => scores.push(s),
                ClauseScore::PerDoc(_) => return Ok(None),
            }
        }
        let table = tables.of(reader)?;
        for (weight, term) in &others {
            let frequent = term.as_deref().and_then(|t| table.frequent(t));
            let bits = match frequent {
                Some(bits) => bits,
                None => Arc::new(docs_of(weight.scorer(reader, 1.0)?, reader.max_doc())),
            };
            for (m, b) in matches.iter_mut().zip(bits.iter()) {
                *m &= b;
            }
        }
        let totals = tables.totals_of(reader, &table);
        for (m, l) in matches.iter_mut().zip(totals.live()) {
            *m &= l;
        }
        count += u64::from(ones(&matches));
        let clause_bits: Vec<&[u64]> = clauses.iter().map(|c| c.bits.as_slice()).collect();
        pages.push(page_of(
            ord as SegmentOrdinal,
            reader,
            &matches,
            &clause_bits,
            &scores,
            end,
        ));
        if with_facets {
            counted.push(facets.count_segment(reader, matches)?);
        }
    }
    let tally = if with_facets {
        Some(facets.merge_fruits(counted)?)
    } else {
        None
    };
    let page = merge_pages(pages, offset, limit)
        .into_iter()
        .map(|(_, address)| address)
        .collect();
    Ok(Some((count, page, tally)))
}

/// The encoded value of the one term `query` is made of, if it is one.
fn single_term(query: &dyn Query) -> Option<Vec<u8>> {
    let mut terms = Vec::new();
    query.query_terms(&mut |t, _| terms.push(t.serialized_value_bytes().to_vec()));
    match terms.len() {
        1 => terms.pop(),
        _ => None,
    }
}

/// The documents of `scorer` as a bit set.
fn docs_of(mut scorer: Box<dyn Scorer>, max_doc: DocId) -> Bits {
    let mut bits = vec![0u64; (max_doc as usize).div_ceil(64)];
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
mod tests {
    use super::*;
    use crate::facet_table::DimensionCounts;
    use crate::ranked::TopByScore;
    use crate::schema::DIMENSIONS;
    use tantivy::collector::Count;
    use tantivy::query::{BooleanQuery, BoostQuery, Occur, TermQuery};
    use tantivy::schema::{Facet, FacetOptions, IndexRecordOption, Schema, FAST, STRING};
    use tantivy::{doc, Index, IndexWriter, Term, Warmer};

    /// Three segments of 400 documents (one with deletions): a few of the commune's own,
    /// its EPCI's, département's and région's (scope), others elsewhere, with themes.
    fn fixture() -> (Index, tantivy::schema::Field, tantivy::schema::Field) {
        let mut builder = Schema::builder();
        let facets = builder.add_facet_field("facets", FacetOptions::default().set_stored());
        let id = builder.add_text_field("id", STRING);
        let order = builder.add_u64_field("order", FAST);
        let index = Index::create_in_ram(builder.build());
        let mut writer: IndexWriter = index
            .writer_with_num_threads(1, 15_000_000)
            .expect("writer");
        for segment in 0..3u64 {
            for n in 0..400u64 {
                // A hash-like order, with a few equal values.
                let key = (n * 7919 + segment * 104_729) % 613;
                let mut d = doc!(id => format!("{segment}-{n}"), order => key);
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
                let fast = run(&searcher, &tables, filters, (offset, limit), true)
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
                let mut fast_tally = fast_tally.expect("facets");
                for dim in DIMENSIONS {
                    assert_eq!(
                        fast_tally.count_of(dim),
                        tally.count_of(dim),
                        "{dim} for {filters:?}"
                    );
                }
            }
        }
        assert_eq!(fast_paths, 15);
        // Two unions (the page would depend on both): the general path answers.
        let two = vec![commune(), commune()];
        assert!(run(&searcher, &tables, &two, (0, 20), false)
            .expect("run")
            .is_none());
        // The commune's own datasets come first.
        let (_, first, _) = run(&searcher, &tables, &cases[0], (0, 20), false)
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
