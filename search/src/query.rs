//! Searching: French full text with boosts (title > keywords > description > context),
//! quoted phrases, `prefix*` queries, typo tolerance on longer words, territory names
//! understood as filters, facet filters (OR within a dimension, AND across), facet
//! counts, sorting and paging.

use moisson_catalog::vocab::{vocabularies, TerritoryLevel};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{Facet, Field, IndexRecordOption};
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentReader, Term};

use crate::analyzer;
use crate::cache::{AnswerKey, QueryKey};
use crate::classify::{lookup_territory, territories_named_in, territory_by_key};
use crate::document::Summary;
use crate::facet_table::{DimensionCounts, Tally};
use crate::filtered;
use crate::index::{SearchError, SearchIndex};
use crate::normalize;
use crate::ranked::TopByScore;
use crate::term_union::TermUnion;
use crate::territory::{dimension_of, SCOPE_DIMENSION};
use crate::words::{Alternative, Words};
use moisson_catalog::vocab::geography::NATIONAL;
use moisson_catalog::vocab::places::{place, PlaceLevel};

/// How results are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// Best match first (most recently modified first when there is no text).
    #[default]
    Relevance,
    /// Most recently modified first.
    Modified,
    /// Best quality score first.
    Quality,
}

impl Sort {
    /// Parses `relevance`, `modified` or `quality`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "relevance" | "" => Some(Self::Relevance),
            "modified" => Some(Self::Modified),
            "quality" => Some(Self::Quality),
            _ => None,
        }
    }
}

/// A search: text, filters, sort and page.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    /// Free text, French.
    pub q: Option<String>,
    /// Filters by dimension (`theme`, `use_case`, `territory`, `publisher`, `publisher_kind`,
    /// `source`, `format`, `license`, `freshness`, `quality`, `kind`, `hvd`): OR within one,
    /// AND across.
    pub filters: BTreeMap<String, Vec<String>>,
    /// Order of results.
    pub sort: Sort,
    /// Page number, from 1.
    pub page: usize,
    /// Results per page (at most [`MAX_PAGE_SIZE`]).
    pub page_size: usize,
}

/// Largest page.
pub const MAX_PAGE_SIZE: usize = 100;
/// Deepest result reachable by paging.
pub const MAX_OFFSET: usize = 10_000;
/// Longest query text.
pub const MAX_QUERY_CHARS: usize = 500;

/// One facet value with its count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FacetValue {
    /// Value to filter with.
    pub value: String,
    /// French label.
    pub label: String,
    /// Matching datasets.
    pub count: u64,
    /// Parent value (theme of a sub-theme, région of a département).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

/// What the engine understood of the text.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Interpretation {
    /// Territories named in the text, applied as filters.
    pub territories: Vec<String>,
    /// The words searched once territory names were taken out.
    pub text: String,
    /// True when no dataset had every word and results match any of them.
    pub relaxed: bool,
    /// Wider places whose own datasets a territory filter also finds (a commune's EPCI,
    /// département and région), ranked after the place's own datasets.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub wider: Vec<String>,
}

/// Search results (SPEC shape).
#[derive(Debug, Clone, Serialize)]
pub struct SearchResponse {
    /// Matching datasets.
    pub total: u64,
    /// The page of results.
    pub results: Vec<Summary>,
    /// Counts per dimension: `theme`, `use_case`, `territory`, `publisher`, `source`,
    /// `format`, `license`, `publisher_kind`, `freshness`, `quality`, `kind`, `hvd`.
    pub facets: BTreeMap<String, Vec<FacetValue>>,
    /// What was understood of the text.
    pub interpreted: Interpretation,
}

impl SearchIndex {
    /// Runs `request`.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResponse, SearchError> {
        let page = request.page.max(1);
        let page_size = request.page_size.clamp(1, MAX_PAGE_SIZE);
        let offset = (page - 1).saturating_mul(page_size);
        if offset >= MAX_OFFSET {
            return Err(SearchError::InvalidInput(format!(
                "page too deep: at most {MAX_OFFSET} results can be paged through"
            )));
        }
        let q = request.q.as_deref().unwrap_or_default().trim();
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(SearchError::InvalidInput(format!(
                "query too long (more than {MAX_QUERY_CHARS} characters)"
            )));
        }
        let searcher = self.reader.searcher();
        let generation = searcher.generation().generation_id();
        let query_key = QueryKey::of(request);
        let answer_key = AnswerKey::of(&query_key, request);
        if let Some(answer) = self.cache.answer(generation, &answer_key) {
            return Ok((*answer).clone());
        }
        let _pass = self.gate.enter();
        let mut filters = self.filter_clauses(&request.filters)?;
        let mut interpreted = Interpretation::default();
        for value in request.filters.get("territory").into_iter().flatten() {
            for key in wider_places(value.trim()) {
                if !interpreted.wider.contains(&key) {
                    interpreted.wider.push(key);
                }
            }
        }
        // Wider places' datasets come after the place's own: rank by score even without
        // words (the place's own facet term is boosted).
        let scored = !interpreted.wider.is_empty();
        let text = self.understand_territories(q, &request.filters, &mut interpreted, &mut filters);
        interpreted.text = text.clone();
        // Facet counts known for this text and these filters are not counted again.
        let known_facets = self.cache.facets(generation, &query_key);
        let want_facets = known_facets.is_none();
        let text_query = self.text_query(&text, true);
        let mut result = self.run(
            &searcher,
            text_query.as_ref(),
            &filters,
            request.sort,
            (offset, page_size),
            want_facets,
            scored,
        )?;
        if result.0 == 0 {
            if let Some(relaxed) = self.text_query(&text, false) {
                interpreted.relaxed = true;
                result = self.run(
                    &searcher,
                    Some(&relaxed),
                    &filters,
                    request.sort,
                    (offset, page_size),
                    want_facets,
                    scored,
                )?;
            }
        }
        let (total, addresses, counts) = result;
        let facets = match (known_facets, counts) {
            (Some(known), _) => known,
            (None, counts) => {
                let facets = Arc::new(counts.map(|mut c| facet_values(&mut c)).unwrap_or_default());
                self.cache
                    .keep_facets(generation, query_key, facets.clone());
                facets
            }
        };
        let mut results = Vec::with_capacity(addresses.len());
        for address in addresses {
            if let Some(summary) = self.summary_at(&searcher, address)? {
                results.push(summary);
            }
        }
        let answer = SearchResponse {
            total,
            results,
            facets: (*facets).clone(),
            interpreted,
        };
        self.cache
            .keep_answer(generation, answer_key, Arc::new(answer.clone()));
        Ok(answer)
    }

    /// Returns the counts of every facet value over the whole index (the home page, the
    /// theme and use-case lists): the same counts as an empty search, shared with it in the
    /// cache, so they are counted once per index generation, not at every page view.
    pub fn facet_counts(&self) -> Result<BTreeMap<String, Vec<FacetValue>>, SearchError> {
        let searcher = self.reader.searcher();
        let generation = searcher.generation().generation_id();
        let key = QueryKey::of(&SearchRequest::default());
        if let Some(facets) = self.cache.facets(generation, &key) {
            return Ok((*facets).clone());
        }
        let _pass = self.gate.enter();
        let (_, _, counts) =
            self.run(&searcher, None, &[], Sort::Relevance, (0, 1), true, false)?;
        let facets = Arc::new(counts.map(|mut c| facet_values(&mut c)).unwrap_or_default());
        self.cache.keep_facets(generation, key, facets.clone());
        Ok((*facets).clone())
    }

    /// Runs one query: its count, the page `(offset, limit)` and, when `with_facets`, the
    /// facet counts of every match.
    /// `scored` ranks by score without words (a territory filter's boosts).
    #[allow(clippy::type_complexity, clippy::too_many_arguments)]
    fn run(
        &self,
        searcher: &Searcher,
        words: Option<&Words>,
        filters: &[Box<dyn Query>],
        sort: Sort,
        (offset, limit): (usize, usize),
        with_facets: bool,
        scored: bool,
    ) -> Result<(u64, Vec<DocAddress>, Option<Tally>), SearchError> {
        // From bit sets: words read once each, by the words' scores, a territory union's
        // tiers of equal score, date or quality (see `crate::filtered`, `crate::words`).
        let order = match (sort, words.is_some(), scored) {
            (Sort::Relevance, true, _) => filtered::Order::Score,
            (Sort::Relevance, false, true) => filtered::Order::Tiers,
            (Sort::Quality, _, _) => filtered::Order::Quality,
            _ => filtered::Order::Modified,
        };
        let window = (offset, limit);
        let tables = &self.facet_tables;
        if let Some(answer) =
            filtered::run(searcher, tables, words, filters, order, window, with_facets)?
        {
            return Ok(answer);
        }
        // Searches with words are always answered above; the general path is for filter
        // unions the tiers cannot rank (two unions, too many clauses, varying scores).
        let text = words.map(Words::query);
        let text = text.as_deref();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(t) = text {
            clauses.push((Occur::Must, t.box_clone()));
        }
        for f in filters {
            clauses.push((Occur::Must, f.box_clone()));
        }
        let query: Box<dyn Query> = if clauses.is_empty() {
            Box::new(AllQuery)
        } else {
            Box::new(BooleanQuery::new(clauses))
        };
        let facets = with_facets.then(|| self.facet_tables.collector());
        let top = TopDocs::with_limit(limit).and_offset(offset);
        let addresses: Vec<DocAddress>;
        let (count, counts);
        match (sort, text.is_some() || scored) {
            // Equal values come in the order of a stable hash of the document id.
            // (`order` read only for matches that can still enter the page.)
            (Sort::Relevance, true) => {
                let collector = TopByScore::new(offset, limit);
                let (c, docs, f) = searcher.search(&query, &(Count, collector, facets))?;
                addresses = docs.into_iter().map(|(_, a)| a).collect();
                (count, counts) = (c, f);
            }
            (Sort::Quality, _) => {
                let collector = top.tweak_score(|segment: &SegmentReader| {
                    let key = filtered::quality_key(segment);
                    move |doc: DocId, _: Score| key(doc)
                });
                let (c, docs, f) = searcher.search(&query, &(Count, collector, facets))?;
                addresses = docs.into_iter().map(|(_, a)| a).collect();
                (count, counts) = (c, f);
            }
            (Sort::Modified | Sort::Relevance, _) => {
                let collector = top.tweak_score(|segment: &SegmentReader| {
                    let key = filtered::date_key(segment);
                    move |doc: DocId, _: Score| key(doc)
                });
                let (c, docs, f) = searcher.search(&query, &(Count, collector, facets))?;
                addresses = docs.into_iter().map(|(_, a)| a).collect();
                (count, counts) = (c, f);
            }
        }
        Ok((count as u64, addresses, counts))
    }

    /// Builds the filter clauses; unknown dimensions are refused.
    pub(crate) fn filter_clauses(
        &self,
        filters: &BTreeMap<String, Vec<String>>,
    ) -> Result<Vec<Box<dyn Query>>, SearchError> {
        let mut out: Vec<Box<dyn Query>> = Vec::new();
        for (dimension, values) in filters {
            let values: Vec<&String> = values.iter().filter(|v| !v.trim().is_empty()).collect();
            if values.is_empty() {
                continue;
            }
            if values.len() > 50 {
                return Err(SearchError::InvalidInput(format!(
                    "too many values for {dimension}"
                )));
            }
            let mut alternatives: Vec<Box<dyn Query>> = Vec::new();
            for value in values {
                for path in self.facet_paths(dimension, value.trim())? {
                    // The place itself ranks before the wider places added below.
                    let term = self.facet_term(&path);
                    let term: Box<dyn Query> = if dimension == "territory" {
                        Box::new(BoostQuery::new(term, LOCAL_BOOST))
                    } else {
                        term
                    };
                    alternatives.push(term);
                }
                if dimension == "territory" {
                    for key in wider_places(value.trim()) {
                        let path = Facet::from_path([SCOPE_DIMENSION, key.as_str()]);
                        alternatives.push(self.facet_term(&path));
                    }
                }
            }
            // Several values (or a commune with its wider places): one pass per segment
            // into bit sets, scored as the boolean `Should` query would (see
            // `crate::term_union`).
            if alternatives.len() == 1 {
                out.extend(alternatives);
            } else {
                // Facet terms: every match has the same score.
                let clauses = alternatives.into_iter().map(|c| (c, true)).collect();
                out.push(Box::new(TermUnion::new(
                    clauses,
                    Some(self.facet_tables.clone()),
                )));
            }
        }
        Ok(out)
    }

    fn facet_term(&self, path: &Facet) -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_facet(self.fields.facets, path),
            IndexRecordOption::Basic,
        ))
    }

    /// Returns the facet paths a filter value designates.
    fn facet_paths(&self, dimension: &str, value: &str) -> Result<Vec<Facet>, SearchError> {
        let vocab = vocabularies();
        let path = |dim: &str, v: &str| Facet::from_path([dim, v]);
        Ok(match dimension {
            "theme" => {
                let concept = vocab
                    .themes
                    .get(value)
                    .ok_or_else(|| SearchError::InvalidInput(format!("unknown theme {value:?}")))?;
                let dim = if concept.parent.is_some() {
                    "subtheme"
                } else {
                    "theme"
                };
                vec![path(dim, value)]
            }
            "use_case" => {
                let concept = vocab.use_cases.get(value).ok_or_else(|| {
                    SearchError::InvalidInput(format!("unknown use case {value:?}"))
                })?;
                if concept.parent.is_none() {
                    // A France Nation Verte group: any of its use cases.
                    vocab
                        .use_cases
                        .children(&concept.slug)
                        .map(|c| path("use_case", &c.slug))
                        .collect()
                } else {
                    vec![path("use_case", value)]
                }
            }
            "territory" => {
                if let Some(p) = place(value).filter(|p| p.level != PlaceLevel::Departement) {
                    return Ok(vec![Facet::from_path([
                        dimension_of(&p.key),
                        p.key.as_str(),
                    ])]);
                }
                let t = lookup_territory(vocab, value).ok_or_else(|| {
                    SearchError::InvalidInput(format!("unknown territory {value:?}"))
                })?;
                vec![territory_path(t)]
            }
            "territory_scope" => {
                let p = place(value).ok_or_else(|| {
                    SearchError::InvalidInput(format!("unknown territory {value:?}"))
                })?;
                vec![Facet::from_path([SCOPE_DIMENSION, p.key.as_str()])]
            }
            "format" => vec![path("format", &normalize::format(value).value)],
            "license" => {
                let known = normalize::licence(value).value;
                let v = if known == "autre" {
                    value.to_owned()
                } else {
                    known
                };
                vec![path("license", &v)]
            }
            "hvd" => {
                if !moisson_catalog::hvd::is_filter_value(value) {
                    return Err(SearchError::InvalidInput(format!(
                        "unknown hvd value {value:?} (true, a category or a category code)"
                    )));
                }
                vec![path("hvd", value)]
            }
            "publisher" | "publisher_kind" | "source" | "freshness" | "quality" | "kind" => {
                let v = if dimension == "publisher_kind" {
                    value.to_ascii_lowercase()
                } else {
                    value.to_owned()
                };
                vec![path(dimension, &v)]
            }
            other => {
                return Err(SearchError::InvalidInput(format!(
                    "unknown filter {other:?}"
                )));
            }
        })
    }

    /// Takes territory names out of the text and turns them into filters (unless the
    /// request already filters on territory). Returns the remaining text.
    fn understand_territories(
        &self,
        q: &str,
        filters: &BTreeMap<String, Vec<String>>,
        interpreted: &mut Interpretation,
        clauses: &mut Vec<Box<dyn Query>>,
    ) -> String {
        if q.is_empty()
            || filters.get("territory").is_some_and(|v| !v.is_empty())
            || q.contains('"')
        {
            return q.to_owned();
        }
        let vocab = vocabularies();
        let named = territories_named_in(vocab, q, false);
        if named.is_empty() {
            return q.to_owned();
        }
        let mut remaining = moisson_catalog::vocab::text::normalize(q);
        remaining = format!(" {remaining} ");
        let mut alternatives: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for t in named {
            interpreted.territories.push(t.key());
            remaining = remaining.replacen(&format!(" {} ", t.normalized_name), " ", 1);
            alternatives.push((Occur::Should, self.facet_term(&territory_path(t))));
        }
        clauses.push(Box::new(BooleanQuery::new(alternatives)));
        // Keep the user's own words (with accents) that were not part of a name.
        let kept: Vec<&str> = q
            .split_whitespace()
            .filter(|w| {
                let n = moisson_catalog::vocab::text::normalize(w);
                n.is_empty()
                    || n.split(' ')
                        .all(|part| remaining.contains(&format!(" {part} ")))
            })
            .collect();
        kept.join(" ")
    }

    /// Builds the text query: every word must match (`all_words`) or any.
    fn text_query(&self, text: &str, all_words: bool) -> Option<Words> {
        let mut analyzer = analyzer::french();
        let mut words = Words::new(all_words);
        let (phrases, plain) = split_phrases(text);
        for phrase in phrases {
            let tokens = analyzer::positioned_tokens(&mut analyzer, &phrase);
            match tokens.len() {
                0 => {}
                1 => words.push(self.word_query(&tokens[0].1, &phrase, false)),
                _ => words.push(self.phrase_query(&tokens)),
            }
        }
        for word in plain.iter().take(32) {
            if let Some(prefix) = word.strip_suffix('*') {
                let folded = moisson_catalog::vocab::text::normalize(prefix).replace(' ', "");
                if folded.chars().count() >= 2 {
                    words.push(self.prefix_query(&folded));
                }
                continue;
            }
            for token in analyzer::tokens(&mut analyzer, word) {
                words.push(self.word_query(&token, word, true));
            }
        }
        (!words.is_empty()).then_some(words)
    }

    fn text_fields(&self) -> [(Field, f32); 4] {
        let f = &self.fields;
        [
            (f.title, 4.0),
            (f.keywords, 2.5),
            (f.description, 1.0),
            (f.context, 1.5),
        ]
    }

    /// One word: exact stem in every text field, boosted per field; with typo tolerance,
    /// scored lower, only for words the index does not know, 1 edit from 5 letters and 2
    /// from 9, counted on the stem since edits apply to stems: « inondation » (stem
    /// « inond ») is 2 edits from « incendie » (« incend »), so tolerance on known words or
    /// on the word's length found every fire dataset for a flood query.
    fn word_query(&self, token: &str, original: &str, fuzzy: bool) -> Vec<Alternative> {
        let mut alternatives = Vec::new();
        let letters = original
            .chars()
            .filter(|c| c.is_alphanumeric())
            .count()
            .min(token.chars().count());
        let distance = match letters {
            0..=4 => 0,
            5..=8 => 1,
            _ => 2,
        };
        let fuzzy = fuzzy && distance > 0 && !self.is_known(token);
        for (field, boost) in self.text_fields() {
            let term = Term::from_field_text(field, token);
            alternatives.push(Alternative::term(term.clone(), boost));
            if fuzzy && field != self.fields.description {
                let typo = Box::new(FuzzyTermQuery::new(term, distance, true));
                alternatives.push(Alternative::other(typo, boost * 0.3));
            }
        }
        alternatives
    }

    /// Returns true when `token` is an exact term of some title, keywords or description.
    fn is_known(&self, token: &str) -> bool {
        let searcher = self.reader.searcher();
        let f = &self.fields;
        [f.title, f.keywords, f.description]
            .into_iter()
            .any(|field| {
                searcher
                    .doc_freq(&Term::from_field_text(field, token))
                    .is_ok_and(|n| n > 0)
            })
    }

    /// A phrase over positioned tokens (stop words left gaps, as in the index).
    fn phrase_query(&self, tokens: &[(usize, String)]) -> Vec<Alternative> {
        let mut alternatives = Vec::new();
        for (field, boost) in self.text_fields() {
            let terms: Vec<(usize, Term)> = tokens
                .iter()
                .map(|(position, t)| (*position, Term::from_field_text(field, t)))
                .collect();
            let phrase = Box::new(PhraseQuery::new_with_offset(terms));
            alternatives.push(Alternative::other(phrase, boost));
        }
        alternatives
    }

    fn prefix_query(&self, prefix: &str) -> Vec<Alternative> {
        let mut alternatives = Vec::new();
        for (field, boost) in self.text_fields() {
            let term = Term::from_field_text(field, prefix);
            let words = Box::new(FuzzyTermQuery::new_prefix(term, 0, false));
            alternatives.push(Alternative::other(words, boost));
        }
        alternatives
    }
}

/// Boost of a dataset of the filtered place itself over one of a wider place.
const LOCAL_BOOST: f32 = 4.0;

/// The wider places whose own datasets a territory filter also finds: a commune's EPCI,
/// département and région (data made for them covers the commune too). Other levels find
/// their own and finer places' datasets only.
pub fn wider_places(value: &str) -> Vec<String> {
    match place(value) {
        Some(p) if p.level == PlaceLevel::Commune => p.parents,
        _ => Vec::new(),
    }
}

fn territory_path(t: &moisson_catalog::vocab::Territory) -> Facet {
    match t.level {
        TerritoryLevel::Region => Facet::from_path(["region", t.key().as_str()]),
        TerritoryLevel::Departement => Facet::from_path(["departement", t.key().as_str()]),
    }
}

/// Splits `"quoted phrases"` from the other words.
fn split_phrases(text: &str) -> (Vec<String>, Vec<String>) {
    let mut phrases = Vec::new();
    let mut words = Vec::new();
    for (i, part) in text.split('"').enumerate() {
        if i % 2 == 1 {
            if !part.trim().is_empty() {
                phrases.push(part.trim().to_owned());
            }
        } else {
            words.extend(part.split_whitespace().map(str::to_owned));
        }
    }
    (phrases, words)
}

/// Turns facet counts into the API's lists, with labels, most frequent first (themes and
/// use cases in vocabulary order).
/// The finer places (EPCI, communes) are asked for only when they are shown, so a broad
/// search does not count them.
pub(crate) fn facet_values(counts: &mut dyn DimensionCounts) -> BTreeMap<String, Vec<FacetValue>> {
    let vocab = vocabularies();
    let mut out: BTreeMap<String, Vec<FacetValue>> = BTreeMap::new();
    let mut count_of = |dim: &str| -> BTreeMap<String, u64> { counts.count_of(dim) };
    // Themes with their sub-themes, ordered by count (see `sort_hierarchically`).
    let themes = count_of("theme");
    let subthemes = count_of("subtheme");
    let mut theme_list = Vec::new();
    for c in vocab.themes.concepts() {
        let n = if c.parent.is_some() {
            subthemes.get(&c.slug)
        } else {
            themes.get(&c.slug)
        };
        if let Some(&count) = n {
            theme_list.push(FacetValue {
                value: c.slug.clone(),
                label: c.label.clone(),
                count,
                parent: c.parent.clone(),
            });
        }
    }
    sort_hierarchically(&mut theme_list);
    out.insert("theme".into(), theme_list);
    let use_cases = count_of("use_case");
    let mut uc_list = Vec::new();
    for c in vocab.use_cases.concepts() {
        if let Some(&count) = use_cases.get(&c.slug) {
            uc_list.push(FacetValue {
                value: c.slug.clone(),
                label: c.label.clone(),
                count,
                parent: c.parent.clone(),
            });
        }
    }
    sort_hierarchically(&mut uc_list);
    out.insert("use_case".into(), uc_list);
    let mut territories = Vec::new();
    for (dim, _) in [("region", 0), ("departement", 1)] {
        for (value, count) in count_of(dim) {
            if let Some(t) = territory_by_key(vocab, &value) {
                territories.push(FacetValue {
                    value,
                    label: t.name.clone(),
                    count,
                    parent: t.region.as_ref().map(|r| format!("region-{r}")),
                });
            }
        }
    }
    // Finer places when the results lie in one or two départements (a search within a
    // département or an EPCI); the 50 most frequent of each level.
    let departements = territories
        .iter()
        .filter(|f| !f.value.starts_with("region-"))
        .count();
    if departements <= 2 {
        for dim in ["epci", "commune"] {
            let mut finer: Vec<(String, u64)> = count_of(dim).into_iter().collect();
            finer.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            for (value, count) in finer.into_iter().take(50) {
                if let Some(p) = place(&value) {
                    territories.push(FacetValue {
                        value,
                        label: p.label(),
                        count,
                        parent: p.parents.first().cloned(),
                    });
                }
            }
        }
    }
    if let Some(&count) = count_of("national").get(NATIONAL) {
        territories.push(FacetValue {
            value: NATIONAL.to_owned(),
            label: "France entière".to_owned(),
            count,
            parent: None,
        });
    }
    sort_hierarchically(&mut territories);
    out.insert("territory".into(), territories);
    for &dim in crate::schema::VALUE_DIMENSIONS {
        let mut list: Vec<FacetValue> = count_of(dim)
            .into_iter()
            .map(|(value, count)| FacetValue {
                label: label_of(dim, &value),
                value,
                count,
                parent: None,
            })
            .collect();
        sort_by_count(&mut list);
        list.truncate(100);
        out.insert(dim.into(), list);
    }
    out
}

/// Orders top-level values by count, each followed by its children by count (children
/// whose parent is not in the list come last, by count): the order a facet is shown in.
fn sort_hierarchically(list: &mut Vec<FacetValue>) {
    sort_by_count(list);
    let present: std::collections::HashSet<String> = list.iter().map(|v| v.value.clone()).collect();
    let all = std::mem::take(list);
    // Roots: no parent, or a parent not in the list (listed after the others).
    let (tops, orphans): (Vec<&FacetValue>, Vec<&FacetValue>) = all
        .iter()
        .filter(|v| v.parent.as_ref().is_none_or(|p| !present.contains(p)))
        .partition(|v| v.parent.is_none());
    // Depth-first, each value under its parent (région → département → EPCI → commune).
    fn push_with_children(
        v: &FacetValue,
        all: &[FacetValue],
        out: &mut Vec<FacetValue>,
        depth: u8,
    ) {
        out.push(v.clone());
        if depth > 4 {
            return;
        }
        for c in all
            .iter()
            .filter(|c| c.parent.as_deref() == Some(v.value.as_str()))
        {
            push_with_children(c, all, out, depth + 1);
        }
    }
    for top in tops.into_iter().chain(orphans) {
        push_with_children(top, &all, list, 0);
    }
}

fn sort_by_count(list: &mut [FacetValue]) {
    list.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
}

fn label_of(dim: &str, value: &str) -> String {
    match dim {
        "format" => normalize::format(value).label,
        "license" => {
            let n = normalize::licence(value);
            if n.value == value {
                n.label
            } else {
                value.to_owned()
            }
        }
        "publisher_kind" => normalize::publisher_kind(Some(value), None)
            .map_or_else(|| value.to_owned(), |k| k.label),
        "freshness" => normalize::FRESHNESS_BANDS
            .iter()
            .find(|(v, _, _)| *v == value)
            .map_or_else(
                || normalize::freshness(None, 0).label,
                |(_, l, _)| (*l).to_owned(),
            ),
        "kind" => match value {
            "dataset" => "Jeu de données".to_owned(),
            "series" => "Série de jeux de données".to_owned(),
            "service" => "Service de données".to_owned(),
            other => other.to_owned(),
        },
        "hvd" => moisson_catalog::hvd::category_label(value),
        _ => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(value: &str, count: u64, parent: Option<&str>) -> FacetValue {
        FacetValue {
            value: value.into(),
            label: value.into(),
            count,
            parent: parent.map(Into::into),
        }
    }

    #[test]
    fn facets_list_parents_by_count_each_followed_by_its_children() {
        let mut list = vec![
            value("climat", 3, None),
            value("changement-climatique", 3, Some("climat")),
            value("risques", 200, None),
            value("inondations", 150, Some("risques")),
            value("technologiques", 180, Some("risques")),
            value("orphan", 500, Some("absent")),
        ];
        sort_hierarchically(&mut list);
        let order: Vec<&str> = list.iter().map(|v| v.value.as_str()).collect();
        assert_eq!(
            order,
            [
                "risques",
                "technologiques",
                "inondations",
                "climat",
                "changement-climatique",
                "orphan"
            ]
        );
    }
}
