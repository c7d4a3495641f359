//! The best matches by score, equal scores in the order of the `order` fast field (a
//! stable hash of the document id), reading that field only for matches that can still
//! enter the page.
//!
//! tantivy's `TopDocs::tweak_score` computes the whole sort key of every match: a commune
//! filter matches every dataset of its région (63,000 of 100,000 in the benchmark), and
//! reading `order` for each was a tenth of a search. Here a match whose score is below the
//! page's current threshold is dropped before its `order` is read.
//!
//! Invariants:
//! - The page is the one `TopDocs::with_limit(limit).and_offset(offset).tweak_score(…)`
//!   returns with the key `(score, Reverse(order))`: best key first, equal keys by document
//!   address (a test compares both).
//! - Memory per search and segment: twice the page's end (`offset + limit`) entries.

use std::cmp::{Ordering, Reverse};

use tantivy::collector::sort_key::NaturalComparator;
use tantivy::collector::{Collector, SegmentCollector, TopNComputer};
use tantivy::columnar::Column;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

/// The sort key of a match: its score, then the smaller `order` first.
pub(crate) type RankKey = (Score, Reverse<u64>);

/// The page `offset..offset + limit` of the best matches (see the module documentation).
pub(crate) struct TopByScore {
    offset: usize,
    limit: usize,
}

impl TopByScore {
    pub(crate) fn new(offset: usize, limit: usize) -> Self {
        Self { offset, limit }
    }
}

/// The best matches of one segment.
pub(crate) struct SegmentTop {
    segment: SegmentOrdinal,
    order: Option<Column<u64>>,
    top: TopNComputer<RankKey, DocId, NaturalComparator>,
}

impl Collector for TopByScore {
    type Fruit = Vec<(RankKey, DocAddress)>;
    type Child = SegmentTop;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentTop> {
        Ok(SegmentTop {
            segment,
            order: reader.fast_fields().u64("order").ok(),
            top: TopNComputer::new_with_comparator(
                self.offset.saturating_add(self.limit),
                NaturalComparator,
            ),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(
        &self,
        segments: Vec<Vec<(RankKey, DocAddress)>>,
    ) -> tantivy::Result<Self::Fruit> {
        Ok(merge_pages(segments, self.offset, self.limit))
    }
}

/// The page `offset..offset + limit` of the best of each segment's best matches: best key
/// first, equal keys by document address.
pub(crate) fn merge_pages<K: PartialOrd>(
    segments: Vec<Vec<(K, DocAddress)>>,
    offset: usize,
    limit: usize,
) -> Vec<(K, DocAddress)> {
    let mut all: Vec<(K, DocAddress)> = segments.into_iter().flatten().collect();
    all.sort_by(|a, b| compare_keys(&b.0, &a.0).then_with(|| a.1.cmp(&b.1)));
    all.into_iter().skip(offset).take(limit).collect()
}

/// Orders keys as tantivy's natural comparator does (an incomparable score is equal).
fn compare_keys<K: PartialOrd>(a: &K, b: &K) -> Ordering {
    a.partial_cmp(b).unwrap_or(Ordering::Equal)
}

impl SegmentCollector for SegmentTop {
    type Fruit = Vec<(RankKey, DocAddress)>;

    #[inline]
    fn collect(&mut self, doc: DocId, score: Score) {
        // A match scored below the threshold cannot enter the page whatever its order.
        if let Some((threshold, _)) = &self.top.threshold {
            if score < *threshold {
                return;
            }
        }
        let order = self.order.as_ref().and_then(|c| c.first(doc)).unwrap_or(0);
        self.top.push((score, Reverse(order)), doc);
    }

    fn harvest(self) -> Self::Fruit {
        let segment = self.segment;
        self.top
            .into_vec()
            .into_iter()
            .map(|c| (c.sort_key, DocAddress::new(segment, c.doc)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::TopDocs;
    use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
    use tantivy::schema::{IndexRecordOption, Schema, FAST, STRING, TEXT};
    use tantivy::{doc, Index, IndexWriter, Term};

    #[test]
    fn pages_equal_those_of_top_docs_with_the_same_key() {
        let mut builder = Schema::builder();
        let text = builder.add_text_field("text", TEXT);
        let kind = builder.add_text_field("kind", STRING);
        let order = builder.add_u64_field("order", FAST);
        let index = Index::create_in_ram(builder.build());
        let mut writer: IndexWriter = index
            .writer_with_num_threads(1, 15_000_000)
            .expect("writer");
        let words = [
            "eau",
            "eau eau rivière",
            "air sol",
            "eau sol sol",
            "eau air",
        ];
        // Three segments; many equal scores (the same text, constant-scored kinds) and a
        // few equal orders, so both tie-breaks are exercised.
        for segment in 0..3u64 {
            for n in 0..400u64 {
                writer
                    .add_document(doc!(
                        text => words[(n % 5) as usize],
                        kind => ["local", "wide"][(n % 3 == 0) as usize],
                        order => (n * 7919 + segment * 13) % 97,
                    ))
                    .expect("add");
            }
            writer.commit().expect("commit");
        }
        let searcher = index.reader().expect("reader").searcher();
        let term = |f, v: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(f, v),
                IndexRecordOption::WithFreqs,
            ))
        };
        let queries: Vec<Box<dyn Query>> = vec![
            term(text, "eau"),
            Box::new(BooleanQuery::new(vec![
                (
                    Occur::Should,
                    Box::new(BoostQuery::new(term(kind, "local"), 4.0)),
                ),
                (Occur::Should, term(kind, "wide")),
            ])),
            Box::new(BooleanQuery::new(vec![
                (Occur::Must, term(text, "sol")),
                (
                    Occur::Should,
                    Box::new(BoostQuery::new(term(kind, "local"), 4.0)),
                ),
            ])),
        ];
        for query in &queries {
            for (offset, limit) in [(0, 1), (0, 20), (15, 20), (380, 50), (1_190, 30)] {
                let expected = searcher
                    .search(
                        query.as_ref(),
                        &TopDocs::with_limit(limit).and_offset(offset).tweak_score(
                            |segment: &SegmentReader| {
                                let order = segment.fast_fields().u64("order").ok();
                                move |doc: DocId, score: Score| {
                                    (
                                        score,
                                        Reverse(
                                            order.as_ref().and_then(|c| c.first(doc)).unwrap_or(0),
                                        ),
                                    )
                                }
                            },
                        ),
                    )
                    .expect("top docs");
                let ours = searcher
                    .search(query.as_ref(), &TopByScore::new(offset, limit))
                    .expect("top by score");
                assert!(!ours.is_empty() || expected.is_empty());
                assert_eq!(ours, expected, "offset {offset}, limit {limit}");
            }
        }
    }
}
