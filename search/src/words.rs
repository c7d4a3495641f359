//! The words of a search, evaluated per segment into bit sets, with each match's score
//! summed into a table by document when the page is by relevance.
//!
//! A search's words are a conjunction (or, relaxed, a disjunction) of words, each the union
//! of its alternatives: its stem in each text field, typo-tolerant forms, a phrase in each
//! field. tantivy evaluates that as an intersection of unions: the rarest word leads and
//! every other word's union is sought to each candidate, refilling a window of every
//! field's postings at each seek, and each window is scored whether its documents match or
//! not (at 1,025,000 datasets, unions were a third of the server's time under load, another
//! third counting facets per match). Here each word is read once, in order of cost, into a
//! bit set restricted to the documents still possible (the filters' and the earlier words'):
//! - a word with few such documents for its postings seeks each alternative to each of them
//!   (a term's seek skips whole blocks);
//! - any other word reads its alternatives' postings through, testing a bit per posting (a
//!   term by tantivy's own loop, `Weight::for_each`, its boost applied after).
//!
//! The count, facets and pages by date or quality then come from the bit set (see
//! `crate::filtered`); by relevance, the scores of the matches are read from the table.
//!
//! Invariants:
//! - Matches equal those of the `BooleanQuery` of [`Words::query`] (and of the filters);
//!   a match's score is the sum of the scores of the alternatives and clauses it matches,
//!   as tantivy's sum of `Must` and `Should` clauses gives it (added in another order, so
//!   equal up to rounding; a test compares pages, counts and facets with the general path).
//! - Memory per search and segment: a bit per document for the matches, for the word
//!   being read and for the score entries written, and, by relevance, a score table of four
//!   bytes per document, kept for the next searches (at most one per search computing at
//!   once) and never cleared: only the entries this search wrote are read.

use tantivy::query::{
    BooleanQuery, BoostQuery, EnableScoring, Occur, Query, Scorer, TermQuery, Weight,
};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, Score, SegmentReader, Term, TERMINATED};

use std::sync::Mutex;

use crate::facet_table::{filled, ones, set_bit, Bits};

/// A word whose possible documents are fewer than its postings divided by this is read by
/// seeking each alternative to each of them (a seek costs tens of postings read through).
const SEEK_RATIO: u64 = 32;

/// One way a word matches: a query and the boost of its score.
pub(crate) struct Alternative {
    query: Box<dyn Query>,
    boost: Score,
    /// The term, when the query is one term's (read through by tantivy's own loop).
    term: Option<Term>,
}

impl Alternative {
    /// A term of a text field (frequencies read), scored times `boost`.
    pub(crate) fn term(term: Term, boost: Score) -> Self {
        Self {
            query: Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
            boost,
            term: Some(term),
        }
    }

    /// Any other query (a phrase, typo-tolerant forms), scored times `boost`.
    pub(crate) fn other(query: Box<dyn Query>, boost: Score) -> Self {
        Self {
            query,
            boost,
            term: None,
        }
    }
}

/// The words of a search.
pub(crate) struct Words {
    /// Every word must match (`true`), or any.
    all: bool,
    /// Each word's alternatives.
    words: Vec<Vec<Alternative>>,
}

impl Words {
    /// Words that must all match (`all`) or any of which must.
    pub(crate) fn new(all: bool) -> Self {
        Self {
            all,
            words: Vec::new(),
        }
    }

    /// Adds a word matching any of `alternatives`, scored as the sum of those it matches.
    pub(crate) fn push(&mut self, alternatives: Vec<Alternative>) {
        if !alternatives.is_empty() {
            self.words.push(alternatives);
        }
    }

    /// Whether there is no word.
    pub(crate) fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The same search as one tantivy query: a `Must` (or `Should`) clause per word, each a
    /// `BooleanQuery` of `Should` alternatives, each boosted.
    pub(crate) fn query(&self) -> Box<dyn Query> {
        let occur = if self.all { Occur::Must } else { Occur::Should };
        Box::new(BooleanQuery::new(
            self.words
                .iter()
                .map(|alternatives| {
                    let word: Box<dyn Query> = Box::new(BooleanQuery::new(
                        alternatives
                            .iter()
                            .map(|a| -> (Occur, Box<dyn Query>) {
                                let boosted = BoostQuery::new(a.query.box_clone(), a.boost);
                                (Occur::Should, Box::new(boosted))
                            })
                            .collect(),
                    ));
                    (occur, word)
                })
                .collect(),
        ))
    }

    /// The weights of these words with `scoring`, and of `required`: clauses every match
    /// also holds, whose scores add to the words' (a filter union ranking by relevance).
    pub(crate) fn matcher(
        &self,
        scoring: EnableScoring<'_>,
        required: Vec<Box<dyn Weight>>,
    ) -> tantivy::Result<Matcher> {
        let words = self
            .words
            .iter()
            .map(|alternatives| {
                alternatives
                    .iter()
                    .map(|a| {
                        Ok(Weighted {
                            weight: a.query.weight(scoring)?,
                            boost: a.boost,
                            term: a.term.clone(),
                        })
                    })
                    .collect::<tantivy::Result<Vec<_>>>()
            })
            .collect::<tantivy::Result<Vec<_>>>()?;
        let required = required
            .into_iter()
            .map(|weight| Weighted {
                weight,
                boost: 1.0,
                term: None,
            })
            .collect();
        Ok(Matcher {
            all: self.all,
            words,
            required,
        })
    }
}

/// An alternative's (or required clause's) weight.
struct Weighted {
    weight: Box<dyn Weight>,
    boost: Score,
    term: Option<Term>,
}

/// The words' weights of one search (see [`Words::matcher`]).
pub(crate) struct Matcher {
    all: bool,
    words: Vec<Vec<Weighted>>,
    required: Vec<Weighted>,
}

/// One alternative in one segment: a term not yet opened (its number of documents read
/// from the dictionary into its group's cost), or any other query's scorer.
enum Source<'a> {
    Term(&'a Weighted),
    Open(&'a Weighted, Box<dyn Scorer>),
}

/// One word (or required clause) in one segment: its alternatives and their postings in
/// all.
struct Group<'a> {
    sources: Vec<Source<'a>>,
    cost: u64,
    /// Part of the words, which may be any of several (relaxed), or required.
    required: bool,
}

impl Matcher {
    /// Keeps in `matches` (a bit per document of `reader`, the documents the filters let
    /// through) the documents matching the words and the required clauses; with `scores`
    /// (given to a matcher built with scoring), writes each match's score to its entry
    /// (other entries are left as they were: the table need not be cleared).
    pub(crate) fn restrict(
        &self,
        reader: &SegmentReader,
        matches: &mut Bits,
        scores: Option<&mut [Score]>,
    ) -> tantivy::Result<()> {
        let mut groups = Vec::with_capacity(self.words.len() + self.required.len());
        for word in &self.words {
            groups.push(group(word, reader, self.all)?);
        }
        for clause in &self.required {
            groups.push(group(std::slice::from_ref(clause), reader, true)?);
        }
        // Required groups first (they only narrow), cheapest first; words any of which may
        // match come last, each against the documents every required group let through.
        groups.sort_by_key(|g| (!g.required, g.cost));
        // The entries written so far (the others hold an earlier search's scores).
        let mut scored = scores.map(|table| (table, filled(0u64, matches.len())));
        let mut any: Option<Bits> = None;
        for g in groups {
            let possible = ones(matches);
            if possible == 0 {
                break;
            }
            let table = scored.as_mut().map(|(t, w)| (&mut **t, w));
            let required = g.required;
            let found = read_group(g, reader, matches, table, possible)?;
            if required {
                for (m, f) in matches.iter_mut().zip(&found) {
                    *m &= f;
                }
            } else {
                let any = any.get_or_insert_with(|| filled(0u64, matches.len()));
                for (a, f) in any.iter_mut().zip(&found) {
                    *a |= f;
                }
            }
        }
        if let Some(any) = any {
            for (m, a) in matches.iter_mut().zip(&any) {
                *m &= a;
            }
        }
        Ok(())
    }
}

fn group<'a>(
    alternatives: &'a [Weighted],
    reader: &SegmentReader,
    required: bool,
) -> tantivy::Result<Group<'a>> {
    let mut sources = Vec::with_capacity(alternatives.len());
    let mut cost = 0u64;
    for a in alternatives {
        sources.push(match &a.term {
            Some(term) => {
                let docs = reader
                    .inverted_index(term.field())?
                    .get_term_info(term)?
                    .map_or(0, |info| info.doc_freq);
                cost += u64::from(docs);
                Source::Term(a)
            }
            None => {
                let scorer = a.weight.scorer(reader, 1.0)?;
                cost += u64::from(scorer.size_hint());
                Source::Open(a, scorer)
            }
        });
    }
    Ok(Group {
        sources,
        cost,
        required,
    })
}

/// Adds `score` to the entry of `doc`, or writes it when the entry is not yet written.
#[inline]
fn add_score(table: &mut [Score], written: &mut [u64], doc: DocId, score: Score) {
    let (w, bit) = ((doc / 64) as usize, 1u64 << (doc % 64));
    if let (Some(entry), Some(word)) = (table.get_mut(doc as usize), written.get_mut(w)) {
        if *word & bit == 0 {
            *word |= bit;
            *entry = score;
        } else {
            *entry += score;
        }
    }
}

/// The documents of `possible` (a bit set holding `count` documents) that `g` matches,
/// their scores added to `scored` (a table and its entries written).
fn read_group(
    g: Group<'_>,
    reader: &SegmentReader,
    possible: &[u64],
    mut scored: Option<(&mut [Score], &mut Bits)>,
    count: u32,
) -> tantivy::Result<Bits> {
    let mut found = filled(0u64, possible.len());
    if u64::from(count).saturating_mul(SEEK_RATIO) < g.cost {
        let mut scorers = Vec::with_capacity(g.sources.len());
        for source in g.sources {
            scorers.push(match source {
                Source::Term(a) => (a.boost, a.weight.scorer(reader, 1.0)?),
                Source::Open(a, scorer) => (a.boost, scorer),
            });
        }
        for (w, &word) in possible.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let doc = w as DocId * 64 + bits.trailing_zeros();
                bits &= bits - 1;
                for (boost, s) in scorers.iter_mut() {
                    if s.doc() < doc {
                        s.seek(doc);
                    }
                    if s.doc() == doc {
                        set_bit(&mut found, doc);
                        if let Some((table, written)) = scored.as_mut() {
                            add_score(table, written, doc, s.score() * *boost);
                        }
                    }
                }
            }
        }
        return Ok(found);
    }
    let is_possible = |doc: DocId| {
        possible
            .get((doc / 64) as usize)
            .is_some_and(|p| p >> (doc % 64) & 1 == 1)
    };
    for source in g.sources {
        match source {
            // tantivy's own loop over a term's postings (one call per document, not three).
            Source::Term(a) => match scored.as_mut() {
                Some((table, written)) => {
                    let boost = a.boost;
                    a.weight.for_each(reader, &mut |doc, score| {
                        if is_possible(doc) {
                            set_bit(&mut found, doc);
                            add_score(table, written, doc, score * boost);
                        }
                    })?
                }
                None => a.weight.for_each_no_score(reader, &mut |docs| {
                    for &doc in docs {
                        if is_possible(doc) {
                            set_bit(&mut found, doc);
                        }
                    }
                })?,
            },
            Source::Open(a, mut s) => {
                let mut doc = s.doc();
                while doc != TERMINATED {
                    if is_possible(doc) {
                        set_bit(&mut found, doc);
                        if let Some((table, written)) = scored.as_mut() {
                            add_score(table, written, doc, s.score() * a.boost);
                        }
                    }
                    doc = s.advance();
                }
            }
        }
    }
    Ok(found)
}

/// Score tables kept for the next searches, at most one per search computing at once
/// (`crate::gate`): a table is four bytes per document of a segment, which a fresh
/// allocation would clear at every search (a tenth of the server's time under load at
/// 1,025,000 documents).
static KEPT_TABLES: Mutex<Vec<Vec<Score>>> = Mutex::new(Vec::new());

/// A score table of at least `len` entries, its content left from earlier searches, given
/// back for the next one when dropped.
pub(crate) struct ScoreTable(Vec<Score>);

impl ScoreTable {
    pub(crate) fn take(len: usize) -> Self {
        let kept = KEPT_TABLES.lock().ok().and_then(|mut kept| kept.pop());
        let mut table = kept.unwrap_or_default();
        if table.len() < len {
            table.resize(len, 0.0);
        }
        Self(table)
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [Score] {
        &mut self.0
    }

    pub(crate) fn as_slice(&self) -> &[Score] {
        &self.0
    }
}

impl Drop for ScoreTable {
    fn drop(&mut self) {
        let table = std::mem::take(&mut self.0);
        if let Ok(mut kept) = KEPT_TABLES.lock() {
            if kept.len() < crate::gate::Gate::default_width() {
                kept.push(table);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facet_table::FacetTables;
    use crate::filtered::tests::{assert_same_facets, fixture_writer, key_fields};
    use crate::filtered::{run, Order};
    use crate::ranked::TopByScore;
    use crate::term_union::TermUnion;
    use std::collections::HashMap;
    use std::sync::Arc;
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{BoostQuery, FuzzyTermQuery, PhraseQuery, TermQuery};
    use tantivy::schema::{Facet, FacetOptions, Field, IndexRecordOption, Schema, TEXT};
    use tantivy::{doc, DocAddress, Index, Searcher, Term, Warmer};

    struct Fixture {
        index: Index,
        title: Field,
        description: Field,
        facets: Field,
    }

    /// Three segments of 700 documents (one with deletions): titles and descriptions of a
    /// few frequent and rare words in varying numbers and lengths, themes and places.
    fn fixture() -> Fixture {
        let mut builder = Schema::builder();
        let title = builder.add_text_field("title", TEXT);
        let description = builder.add_text_field("description", TEXT);
        let facets = builder.add_facet_field("facets", FacetOptions::default());
        let [id, order, modified, quality] = key_fields(&mut builder);
        let index = Index::create_in_ram(builder.build());
        let mut writer = fixture_writer(&index);
        let vocabulary = [
            "eau",
            "zones",
            "humides",
            "air",
            "bruit",
            "inondation",
            "rare",
            "plan",
            "carte",
        ];
        let mut seed = 7u64;
        let mut next = move |n: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) % n
        };
        for segment in 0..3u64 {
            for n in 0..700u64 {
                let key = ((segment * 700 + n) * 2_654_435_761) % (1 << 32);
                let mut d = doc!(id => format!("{segment}-{n}"), order => key);
                let text = |next: &mut dyn FnMut(u64) -> u64, words: u64| {
                    (0..words)
                        .map(|_| {
                            // Frequent words often, "rare" seldom.
                            let w = next(40) as usize;
                            vocabulary[if w < 36 { w % 6 } else { 6 + w % 3 }]
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                let words = 1 + next(4);
                d.add_text(title, text(&mut next, words));
                let words = next(12);
                d.add_text(description, text(&mut next, words));
                if n % 9 != 0 {
                    d.add_i64(modified, 1_600_000_000 + next(23) as i64 * 86_400);
                }
                if n % 7 != 0 {
                    d.add_f64(quality, next(11) as f64 * 10.0);
                }
                for theme in ["eau", "air", "sol"] {
                    if next(3) == 0 {
                        d.add_facet(facets, Facet::from_path(["theme", theme]));
                    }
                }
                let scope = ["29", "region-53", "region-11"][next(3) as usize];
                d.add_facet(facets, Facet::from_path(["scope", scope]));
                writer.add_document(d).expect("add");
            }
            writer.commit().expect("commit");
        }
        for gone in ["1-10", "1-4", "2-20", "2-5", "0-0"] {
            writer.delete_term(Term::from_field_text(id, gone));
        }
        writer.commit().expect("commit");
        Fixture {
            index,
            title,
            description,
            facets,
        }
    }

    /// Every match of the general path with its score.
    fn general_scores(searcher: &Searcher, query: &dyn Query) -> HashMap<DocAddress, Score> {
        let all = TopDocs::with_limit(100_000).order_by_score();
        searcher
            .search(query, &all)
            .expect("search")
            .into_iter()
            .map(|(s, a)| (a, s))
            .collect()
    }

    #[test]
    fn count_pages_and_facets_equal_those_of_the_general_path() {
        let f = fixture();
        let tables = Arc::new(FacetTables::with_frequent_min_docs("facets", 16));
        let reader = f
            .index
            .reader_builder()
            .warmers(vec![Arc::downgrade(&tables) as std::sync::Weak<dyn Warmer>])
            .try_into()
            .expect("reader");
        let searcher = reader.searcher();
        let word = |token: &str| -> Vec<Alternative> {
            [(f.title, 4.0), (f.description, 1.0)]
                .into_iter()
                .map(|(field, boost)| Alternative::term(Term::from_field_text(field, token), boost))
                .collect()
        };
        let typo = |token: &str| -> Vec<Alternative> {
            let term = Term::from_field_text(f.title, token);
            vec![Alternative::other(
                Box::new(FuzzyTermQuery::new(term, 1, true)),
                1.2,
            )]
        };
        let phrase = |a: &str, b: &str| -> Vec<Alternative> {
            [(f.title, 2.0), (f.description, 1.0)]
                .into_iter()
                .map(|(field, boost)| {
                    let terms = vec![
                        Term::from_field_text(field, a),
                        Term::from_field_text(field, b),
                    ];
                    Alternative::other(Box::new(PhraseQuery::new(terms)), boost)
                })
                .collect()
        };
        let facet = |dim: &str, v: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_facet(f.facets, &Facet::from_path([dim, v])),
                IndexRecordOption::Basic,
            ))
        };
        let themes = || -> Box<dyn Query> {
            let clauses: Vec<(Box<dyn Query>, bool)> = vec![
                (facet("theme", "eau"), true),
                (Box::new(BoostQuery::new(facet("theme", "air"), 2.0)), true),
            ];
            Box::new(TermUnion::new(clauses, Some(tables.clone())))
        };
        type Case = (Vec<Vec<Alternative>>, bool, Vec<Box<dyn Query>>);
        let cases: Vec<Case> = vec![
            (vec![word("eau")], true, vec![]),
            (vec![word("eau"), word("zones")], true, vec![]),
            (vec![word("rare"), word("eau"), word("air")], true, vec![]),
            (vec![word("bruit"), word("carte")], false, vec![]),
            (vec![word("eau")], true, vec![facet("scope", "29")]),
            (vec![word("humides"), word("air")], true, vec![themes()]),
            (
                vec![word("eau")],
                false,
                vec![themes(), facet("scope", "region-53")],
            ),
            (vec![typo("inondatio"), word("plan")], true, vec![]),
            (vec![phrase("zones", "humides")], true, vec![themes()]),
            (vec![word("absent")], true, vec![]),
        ];
        let mut compared = 0;
        for (alternatives, all, filters) in cases {
            let mut words = Words::new(all);
            for a in alternatives {
                words.push(a);
            }
            let filters = &filters;
            let mut clauses = vec![(Occur::Must, words.query())];
            clauses.extend(filters.iter().map(|q| (Occur::Must, q.box_clone())));
            let query = BooleanQuery::new(clauses);
            let scores = general_scores(&searcher, &query);
            for order in [Order::Score, Order::Modified, Order::Quality] {
                for (offset, limit) in [(0, 20), (20, 20), (0, 1), (300, 50)] {
                    let (count, page, tally) = run(
                        &searcher,
                        &tables,
                        Some(&words),
                        filters,
                        order,
                        (offset, limit),
                        true,
                    )
                    .expect("run")
                    .expect("an answer from bit sets");
                    let (n, expected, mut general_tally) = match order {
                        Order::Score => {
                            let top = TopByScore::new(offset, limit);
                            let (n, page, tally) = searcher
                                .search(&query, &(Count, top, tables.collector()))
                                .expect("search");
                            (n, page.into_iter().map(|(_, a)| a).collect(), tally)
                        }
                        _ => {
                            let top = TopDocs::with_limit(limit).and_offset(offset);
                            let page: Vec<DocAddress> = if order == Order::Quality {
                                let top = top.tweak_score(|s: &SegmentReader| {
                                    let key = crate::filtered::quality_key(s);
                                    move |doc: DocId, _: Score| key(doc)
                                });
                                let found = searcher.search(&query, &top).expect("search");
                                found.into_iter().map(|(_, a)| a).collect()
                            } else {
                                let top = top.tweak_score(|s: &SegmentReader| {
                                    let key = crate::filtered::date_key(s);
                                    move |doc: DocId, _: Score| key(doc)
                                });
                                let found = searcher.search(&query, &top).expect("search");
                                found.into_iter().map(|(_, a)| a).collect()
                            };
                            let (n, tally) = searcher
                                .search(&query, &(Count, tables.collector()))
                                .expect("search");
                            (n, page, tally)
                        }
                    };
                    let what = format!("{order:?} {offset}+{limit} of case {compared}");
                    assert_eq!(count, n as u64, "count, {what}");
                    // Every case but the last (a word no document holds) has matches, so
                    // the pages compared are not empty.
                    assert_eq!(count == 0, compared == 9, "matches, {what}");
                    assert_eq!(page.len(), expected.len(), "page length, {what}");
                    for (got, want) in page.iter().zip(&expected) {
                        if got != want {
                            // Scores added in another order: only near-ties may swap.
                            let (a, b) = (scores[got], scores[want]);
                            assert!(
                                order == Order::Score && (a - b).abs() <= 1e-5 * b.abs(),
                                "{got:?} ({a}) instead of {want:?} ({b}), {what}"
                            );
                        }
                    }
                    let mut tally = tally.expect("facets");
                    assert_same_facets(&mut tally, &mut general_tally, &what);
                }
            }
            compared += 1;
        }
        assert_eq!(compared, 10);
    }

    #[test]
    fn a_word_with_few_possible_documents_is_sought_not_read_through() {
        let f = fixture();
        let searcher = f.index.reader().expect("reader").searcher();
        let reader = &searcher.segment_readers()[0];
        let mut words = Words::new(true);
        let typo = FuzzyTermQuery::new(Term::from_field_text(f.title, "eaux"), 1, true);
        words.push(vec![
            Alternative::term(Term::from_field_text(f.title, "eau"), 4.0),
            Alternative::other(Box::new(typo), 0.5),
        ]);
        let matcher = words
            .matcher(EnableScoring::enabled_from_searcher(&searcher), Vec::new())
            .expect("matcher");
        // Every document possible: the postings are read through.
        let sizes = (reader.max_doc() as usize).div_ceil(64);
        let mut everything = vec![u64::MAX; sizes];
        // Tables left by earlier searches: entries are written, never added to, first.
        let mut all_scores = vec![1_000.0; reader.max_doc() as usize];
        matcher
            .restrict(reader, &mut everything, Some(&mut all_scores))
            .expect("restrict");
        let bit = |bits: &[u64], doc: usize| bits[doc / 64] >> (doc % 64) & 1 == 1;
        let matched: Vec<usize> = (0..reader.max_doc() as usize)
            .filter(|&d| bit(&everything, d))
            .collect();
        let unmatched = (0..reader.max_doc() as usize)
            .find(|&d| !bit(&everything, d))
            .expect("a document without the word");
        // Three possible documents, two of them matches: each is sought.
        let mut few = vec![0u64; sizes];
        let mut few_scores = vec![Score::NAN; reader.max_doc() as usize];
        for doc in [matched[0], matched[matched.len() - 1], unmatched] {
            set_bit(&mut few, doc as DocId);
        }
        matcher
            .restrict(reader, &mut few, Some(&mut few_scores))
            .expect("restrict");
        assert_eq!(ones(&few), 2);
        assert!(!bit(&few, unmatched));
        for doc in [matched[0], matched[matched.len() - 1]] {
            assert!(bit(&few, doc), "doc {doc}");
            assert_eq!(few_scores[doc], all_scores[doc], "doc {doc}");
            assert!(
                all_scores[doc] > 0.0 && all_scores[doc] < 100.0,
                "doc {doc}"
            );
        }
        assert!(ones(&everything) > 100);
        assert!(ones(&few) <= 2);
    }
}
