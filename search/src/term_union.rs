//! A filter matching any of several queries (the values of one facet dimension, a commune
//! with its EPCI, département and région), scored as their sum, the way a `BooleanQuery`
//! of `Should` clauses scores it, but evaluated once per segment into bit sets.
//!
//! A commune filter matches the datasets of the commune and of its wider places: at
//! 100,000 datasets of one région, Brest matches 63,000 documents where its département
//! matches 14,000. tantivy's union scorer refills a window of every clause at each `seek`
//! of a text query it is intersected with, which made a commune search twice as slow as a
//! département one. Here each clause's matches are read once into a bit set; seeking is a
//! scan of bit words and a score is the sum of the clauses whose bit is set.
//!
//! Invariants:
//! - Matches and scores equal those of `BooleanQuery` over the same clauses as `Should`
//!   (a test compares both): a clause declared constant (a facet term: no frequencies, no
//!   norms, so BM25 gives every match the same score) is scored once per segment, any other
//!   clause is checked at every match and keeps its score per document when it varies;
//!   scores are summed in clause order, as tantivy's `SumCombiner` does.
//! - Memory per search and segment: one bit per document for the union and for each
//!   clause (shared with the segment's facet tables for a frequent facet term, whose
//!   postings are then not read), plus four bytes per document for a clause with varying
//!   scores.

use std::fmt;
use std::sync::Arc;

use crate::facet_table::{filled, set_bit, Bits, FacetTables};

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED};

/// Any of `clauses`, scored as their sum (see the module documentation).
pub(crate) struct TermUnion {
    /// Each clause, and whether it gives every match the same score.
    clauses: Vec<(Box<dyn Query>, bool)>,
    /// The facet tables whose frequent terms' documents are used instead of postings.
    tables: Option<Arc<FacetTables>>,
}

impl TermUnion {
    /// `clauses` with, for each, whether its score is the same for every match (a term of
    /// a facet field, boosted or not); `tables` give the documents of frequent terms.
    pub(crate) fn new(
        clauses: Vec<(Box<dyn Query>, bool)>,
        tables: Option<Arc<FacetTables>>,
    ) -> Self {
        Self { clauses, tables }
    }

    /// The number of clauses.
    pub(crate) fn clause_count(&self) -> usize {
        self.clauses.len()
    }

    /// The weight of this union, with the clauses' scores of `scoring`.
    pub(crate) fn union_weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<UnionWeight> {
        let clauses = self
            .clauses
            .iter()
            .map(|(c, constant)| {
                Ok(WeightedClause {
                    weight: c.weight(scoring)?,
                    constant: *constant,
                    term: single_term(c.as_ref()),
                })
            })
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(UnionWeight {
            clauses,
            scoring: scoring.is_scoring_enabled(),
            tables: self.tables.clone(),
        })
    }
}

/// The encoded value of the one term `query` is made of, if it is made of one (a facet
/// term, boosted or not).
pub(crate) fn single_term(query: &dyn Query) -> Option<Vec<u8>> {
    let mut terms = Vec::new();
    query.query_terms(&mut |t, _| terms.push(t.serialized_value_bytes().to_vec()));
    match terms.len() {
        1 => terms.pop(),
        _ => None,
    }
}

impl Clone for TermUnion {
    fn clone(&self) -> Self {
        Self {
            clauses: self
                .clauses
                .iter()
                .map(|(c, constant)| (c.box_clone(), *constant))
                .collect(),
            tables: self.tables.clone(),
        }
    }
}

impl fmt::Debug for TermUnion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TermUnion")
            .field("clauses", &self.clauses)
            .finish()
    }
}

impl Query for TermUnion {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.union_weight(scoring)?))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a tantivy::Term, bool)) {
        for (c, _) in &self.clauses {
            c.query_terms(visitor);
        }
    }
}

/// One clause's weight, whether its score is declared the same for every match, and its
/// one term's encoded value (a facet term's documents may be known in a bit set).
struct WeightedClause {
    weight: Box<dyn Weight>,
    constant: bool,
    term: Option<Vec<u8>>,
}

pub(crate) struct UnionWeight {
    clauses: Vec<WeightedClause>,
    scoring: bool,
    tables: Option<Arc<FacetTables>>,
}

/// The score a clause gives its matches.
pub(crate) enum ClauseScore {
    Constant(Score),
    /// Score by document (documents the clause does not match hold 0).
    PerDoc(Vec<Score>),
}

/// One clause in one segment: its documents (deleted ones included) and their scores.
pub(crate) struct Clause {
    pub(crate) bits: Arc<Bits>,
    pub(crate) score: ClauseScore,
}

impl UnionWeight {
    fn clause(
        &self,
        clause: &WeightedClause,
        reader: &SegmentReader,
        boost: Score,
        words: usize,
    ) -> tantivy::Result<Clause> {
        let (weight, declared_constant) = (clause.weight.as_ref(), clause.constant);
        let frequent = match (&self.tables, &clause.term) {
            (Some(tables), Some(term)) if declared_constant => tables.of(reader)?.frequent(term),
            _ => None,
        };
        let mut scorer = weight.scorer(reader, boost)?;
        if let Some(bits) = frequent {
            // A constant score: the first match's.
            let score = if self.scoring && scorer.doc() != TERMINATED {
                scorer.score()
            } else {
                0.0
            };
            return Ok(Clause {
                bits,
                score: ClauseScore::Constant(score),
            });
        }
        let mut bits = filled(0u64, words);
        let mut constant: Option<Score> = None;
        let mut varies = false;
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            set_bit(&mut bits, doc);
            if self.scoring && !varies && (constant.is_none() || !declared_constant) {
                let s = scorer.score();
                match constant {
                    None => constant = Some(s),
                    Some(c) if c.to_bits() != s.to_bits() => varies = true,
                    Some(_) => {}
                }
            }
            doc = scorer.advance();
        }
        let score = if varies {
            // Read again, keeping every document's score.
            let mut scores = filled(0.0, reader.max_doc() as usize);
            let mut scorer = weight.scorer(reader, boost)?;
            let mut doc = scorer.doc();
            while doc != TERMINATED {
                scores[doc as usize] = scorer.score();
                doc = scorer.advance();
            }
            ClauseScore::PerDoc(scores)
        } else {
            ClauseScore::Constant(constant.unwrap_or(0.0))
        };
        Ok(Clause {
            bits: Arc::new(bits),
            score,
        })
    }

    /// Each clause's documents and scores in `reader`, and the union of their documents.
    pub(crate) fn segment_clauses(
        &self,
        reader: &SegmentReader,
        boost: Score,
    ) -> tantivy::Result<(Vec<Clause>, Bits)> {
        let words = (reader.max_doc() as usize).div_ceil(64);
        let mut any = filled(0u64, words);
        let mut clauses = Vec::with_capacity(self.clauses.len());
        for c in &self.clauses {
            let clause = self.clause(c, reader, boost, words)?;
            for (a, b) in any.iter_mut().zip(clause.bits.iter()) {
                *a |= b;
            }
            clauses.push(clause);
        }
        Ok((clauses, any))
    }
}

impl Weight for UnionWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let (clauses, any) = self.segment_clauses(reader, boost)?;
        let count = any.iter().map(|w| w.count_ones()).sum();
        let mut scorer = UnionScorer {
            any,
            clauses,
            doc: 0,
            count,
            max_doc: reader.max_doc(),
        };
        scorer.doc = scorer.next_from(0);
        Ok(Box::new(scorer))
    }

    /// The union's score of `doc`, detailed by the clauses it matches.
    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            )));
        }
        let mut explanation = Explanation::new("sum of the matching clauses", scorer.score());
        for c in &self.clauses {
            if let Ok(detail) = c.weight.explain(reader, doc) {
                explanation.add_detail(detail);
            }
        }
        Ok(explanation)
    }
}

struct UnionScorer {
    any: Vec<u64>,
    clauses: Vec<Clause>,
    doc: DocId,
    count: u32,
    max_doc: DocId,
}

impl UnionScorer {
    /// The first match at or after `from`, or `TERMINATED`.
    fn next_from(&self, from: DocId) -> DocId {
        if from >= self.max_doc {
            return TERMINATED;
        }
        let mut word = (from / 64) as usize;
        let mut bits = self.any[word] & (u64::MAX << (from % 64));
        loop {
            if bits != 0 {
                return word as DocId * 64 + bits.trailing_zeros();
            }
            word += 1;
            match self.any.get(word) {
                Some(&w) => bits = w,
                None => return TERMINATED,
            }
        }
    }
}

impl DocSet for UnionScorer {
    fn advance(&mut self) -> DocId {
        if self.doc != TERMINATED {
            self.doc = self.next_from(self.doc + 1);
        }
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc < target {
            self.doc = self.next_from(target);
        }
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.count
    }
}

impl Scorer for UnionScorer {
    /// Sums in clause order without a branch per clause: a clause that does not match adds
    /// exactly 0 (its constant times 0, or the 0 its per-document scores hold), which leaves
    /// the sum unchanged, so scores stay equal to the boolean query's.
    fn score(&mut self) -> Score {
        let doc = self.doc;
        let (word, bit) = ((doc / 64) as usize, doc % 64);
        let mut sum: Score = 0.0;
        for c in &self.clauses {
            sum += match &c.score {
                ClauseScore::Constant(s) => *s * ((c.bits[word] >> bit) & 1) as Score,
                ClauseScore::PerDoc(scores) => scores[doc as usize],
            };
        }
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{BooleanQuery, BoostQuery, Occur, TermQuery};
    use tantivy::schema::{Facet, FacetOptions, IndexRecordOption, Schema, STRING, TEXT};
    use tantivy::{doc, Index, IndexWriter, Term};

    #[test]
    fn matches_and_scores_equal_a_boolean_should_query() {
        let mut builder = Schema::builder();
        let facets = builder.add_facet_field("facets", FacetOptions::default());
        let text = builder.add_text_field("text", TEXT);
        let id = builder.add_text_field("id", STRING);
        let index = Index::create_in_ram(builder.build());
        let mut writer: IndexWriter = index
            .writer_with_num_threads(1, 15_000_000)
            .expect("writer");
        // « sol » with different frequencies and lengths: its score varies by document.
        let words = ["eau", "eau eau rivière sol", "air sol", "eau sol sol sol"];
        for segment in 0..2u32 {
            for n in 0..300u32 {
                let mut d = doc!(id => format!("{segment}-{n}"), text => words[(n % 4) as usize]);
                if n % 7 == 0 {
                    d.add_facet(facets, Facet::from_path(["commune", "commune-29019"]));
                }
                if n % 3 == 0 {
                    d.add_facet(facets, Facet::from_path(["scope", "29"]));
                }
                if n % 2 == 0 {
                    d.add_facet(facets, Facet::from_path(["scope", "region-53"]));
                }
                writer.add_document(d).expect("add");
            }
            writer.commit().expect("commit");
        }
        writer.delete_term(Term::from_field_text(id, "1-14"));
        writer.commit().expect("commit");
        let searcher = index.reader().expect("reader").searcher();
        let term = |dim: &str, v: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_facet(facets, &Facet::from_path([dim, v])),
                IndexRecordOption::Basic,
            ))
        };
        // Facet terms declared constant (a wrong declaration would change scores), and a
        // clause whose score varies by document.
        let clauses = || -> Vec<(Box<dyn Query>, bool)> {
            vec![
                (
                    Box::new(BoostQuery::new(term("commune", "commune-29019"), 4.0)),
                    true,
                ),
                (term("scope", "29"), true),
                (term("scope", "region-53"), true),
                (
                    Box::new(TermQuery::new(
                        Term::from_field_text(text, "sol"),
                        IndexRecordOption::WithFreqs,
                    )),
                    false,
                ),
            ]
        };
        let boolean = BooleanQuery::new(
            clauses()
                .into_iter()
                .map(|(c, _)| (Occur::Should, c))
                .collect(),
        );
        // Clauses read from postings, then frequent facet terms' documents taken from the
        // facet tables (terms held by 16 documents and an eighth of a segment).
        let tables = Arc::new(FacetTables::with_frequent_min_docs("facets", 16));
        let plain = TermUnion::new(clauses(), None);
        let shared = TermUnion::new(clauses(), Some(tables.clone()));
        let eau: Box<dyn Query> = Box::new(TermQuery::new(
            Term::from_field_text(text, "eau"),
            IndexRecordOption::WithFreqs,
        ));
        let with_text = |q: Box<dyn Query>| {
            BooleanQuery::new(vec![(Occur::Must, eau.box_clone()), (Occur::Must, q)])
        };
        let mut pairs: Vec<(Box<dyn Query>, Box<dyn Query>)> = Vec::new();
        for union in [&plain, &shared] {
            pairs.push((Box::new(boolean.clone()), Box::new(union.clone())));
            pairs.push((
                Box::new(with_text(Box::new(boolean.clone()))),
                Box::new(with_text(Box::new(union.clone()))),
            ));
        }
        for (expected, ours) in &pairs {
            let top = TopDocs::with_limit(1_000).order_by_score();
            let (n1, a) = searcher
                .search(expected.as_ref(), &(Count, top))
                .expect("boolean");
            let top = TopDocs::with_limit(1_000).order_by_score();
            let (n2, b) = searcher
                .search(ours.as_ref(), &(Count, top))
                .expect("union");
            assert!(n1 > 100, "{n1}");
            assert_eq!(n1, n2);
            let sorted = |mut v: Vec<(Score, tantivy::DocAddress)>| {
                v.sort_by_key(|x| x.1);
                v
            };
            assert_eq!(sorted(a), sorted(b), "same documents, same scores");
        }
        // `explain` gives a match's score, detailed by its clauses.
        for union in [&plain, &shared] {
            let top = TopDocs::with_limit(3).order_by_score();
            for (score, address) in searcher.search(union, &top).expect("union") {
                let explained = union.explain(&searcher, address).expect("explain");
                assert_eq!(explained.value(), score);
            }
        }
        let segment = &searcher.segment_readers()[0];
        let table = tables.of(segment).expect("table");
        let key = |dim: &str, v: &str| {
            Term::from_facet(facets, &Facet::from_path([dim, v]))
                .serialized_value_bytes()
                .to_vec()
        };
        assert!(table.frequent(&key("scope", "region-53")).is_some());
        assert!(table.frequent(&key("scope", "75")).is_none());
    }
}
