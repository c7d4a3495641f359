//! Classification of a record into themes, use cases and territories, each assignment
//! with the French reasons that gave it.
//!
//! Deterministic and offline: the rules are the vocabularies' own (keywords, matches
//! with EU data themes, ISO 19115 topic categories and INSPIRE themes, territory codes,
//! names and bounding boxes). The same record always gets the same classification, in
//! vocabulary order.

use crate::derived::{derived, Derived};
use moisson_catalog::vocab::text::normalize;
use moisson_catalog::vocab::themes::{
    EU_DATA_THEME_PREFIX, INSPIRE_THEME_PREFIX, ISO_TOPIC_CATEGORY_PREFIX,
};
use moisson_catalog::vocab::{ConceptScheme, Territory, TerritoryLevel, Vocabularies};
use moisson_catalog::DatasetView;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::OnceLock;

/// What Moisson knows of a source beyond its records (from the configuration).
#[derive(Debug, Clone, Default)]
pub struct SourceContext {
    /// Configured publisher kind (`DDT`, `DREAL`…).
    pub publisher_kind: Option<String>,
    /// Configured territory: an INSEE code, read as a département for a DDT and as a
    /// région first for other publisher kinds (`53` is Bretagne for a DREAL).
    pub territory: Option<String>,
}

/// Source contexts by source id.
pub type SourceContexts = BTreeMap<String, SourceContext>;

/// One assignment of a record to a concept or territory, with its reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    /// Slug of the concept, or territory key (`29`, `region-53`).
    pub value: String,
    /// French label.
    pub label: String,
    /// The parent slug or key (theme of a sub-theme, région of a département).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Why it was assigned, in French ("mot-clé « cours d'eau »").
    pub reasons: Vec<String>,
    /// The weight of each reason as evidence, in the order of `reasons` (3 for the
    /// record's own words or a theme it states, 1 for weak hints: an INSPIRE theme, an
    /// ISO category, a description phrase); empty where reasons are not weighed
    /// (territories, which follow an order of trust instead).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weights: Vec<u32>,
}

impl Assignment {
    /// The sum of the weights of its reasons.
    pub fn score(&self) -> u32 {
        self.weights.iter().sum()
    }
}

/// A record's themes, use cases and territories.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    /// Themes and sub-themes (a sub-theme's theme is listed too).
    pub themes: Vec<Assignment>,
    /// Use cases.
    pub use_cases: Vec<Assignment>,
    /// Départements and régions (a département's région is listed too).
    pub territories: Vec<Assignment>,
}

/// Collects assignments keyed by value, keeping reasons distinct and in order.
#[derive(Default)]
pub(crate) struct Assignments {
    pub(crate) by_value: BTreeMap<String, Vec<String>>,
    /// Weights of reasons given with one, by (value, reason).
    weights: HashMap<(String, String), u32>,
    /// Values the record states itself (not from our keyword rules).
    stated: BTreeSet<String>,
    /// Values found in the record's own words (title or keywords), or developed by its
    /// description, with (found in the title, score): the title says what the data is
    /// before the keywords do.
    worded: BTreeMap<String, (bool, u32)>,
}

impl Assignments {
    pub(crate) fn add(&mut self, value: &str, reason: String) {
        let reasons = self.by_value.entry(value.to_owned()).or_default();
        if !reasons.contains(&reason) && reasons.len() < 8 {
            reasons.push(reason);
        }
    }

    /// Adds `reason` for `value` with its weight as evidence.
    fn add_weighted(&mut self, value: &str, reason: String, weight: u32) {
        self.weights
            .entry((value.to_owned(), reason.clone()))
            .or_insert(weight);
        self.add(value, reason);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.by_value.is_empty()
    }

    /// Returns the assignments in the scheme's order, parents added with their child's
    /// reasons when not assigned themselves.
    fn into_concepts(mut self, scheme: &ConceptScheme) -> Vec<Assignment> {
        let children: Vec<(String, String, Vec<String>)> = self
            .by_value
            .iter()
            .filter_map(|(slug, reasons)| {
                let parent = scheme.get(slug)?.parent.clone()?;
                Some((parent, slug.clone(), reasons.clone()))
            })
            .collect();
        let added: BTreeSet<String> = children
            .iter()
            .filter(|(parent, _, _)| !self.by_value.contains_key(parent))
            .map(|(parent, _, _)| parent.clone())
            .collect();
        for (parent, child, reasons) in children {
            if added.contains(&parent) {
                for r in reasons {
                    match self.weights.get(&(child.clone(), r.clone())).copied() {
                        Some(w) => self.add_weighted(&parent, r, w),
                        None => self.add(&parent, r),
                    }
                }
            }
        }
        let mut out = Vec::new();
        for concept in scheme.concepts() {
            if let Some(reasons) = self.by_value.remove(&concept.slug) {
                let weights: Vec<u32> = reasons
                    .iter()
                    .map(|r| {
                        self.weights
                            .get(&(concept.slug.clone(), r.clone()))
                            .copied()
                            .unwrap_or(0)
                    })
                    .collect();
                let weighed = weights.iter().any(|&w| w > 0);
                out.push(Assignment {
                    value: concept.slug.clone(),
                    label: concept.label.clone(),
                    parent: concept.parent.clone(),
                    reasons,
                    weights: if weighed { weights } else { Vec::new() },
                });
            }
        }
        out
    }
}

/// Normalized text of a record, computed once.
#[derive(Default)]
struct RecordText<'a> {
    keywords: Vec<(&'a str, String)>,
    /// Keywords that are an INSPIRE theme's label (« Usage des sols »), with its code:
    /// read as that theme, not as words.
    inspire: Vec<(&'a str, &'static str)>,
    title: Option<(&'a str, String)>,
    /// The start of the description (descriptions run to pages; their opening says what
    /// the data is), as plain text (markup removed) and normalized.
    description: Option<(String, String)>,
}

/// Characters of a description read for classification.
pub(crate) const DESCRIPTION_CHARS: usize = 600;

impl<'a> RecordText<'a> {
    fn of(view: &'a DatasetView) -> Self {
        let mut keywords = Vec::new();
        let mut inspire = Vec::new();
        for k in view.keywords.iter().take(200) {
            let normalized = normalize(k);
            if names_an_organisation(&normalized) {
                continue;
            }
            match inspire_theme_of_label(&normalized) {
                Some(code) => inspire.push((k.as_str(), code)),
                None => keywords.push((k.as_str(), normalized)),
            }
        }
        Self {
            keywords,
            inspire,
            title: view.title.as_deref().map(|t| (t, normalize(t))),
            description: view.description.as_deref().map(|d| {
                let plain = plain_text(d, DESCRIPTION_CHARS);
                let normalized = normalize(&plain);
                (plain, normalized)
            }),
        }
    }
}

/// First words of an organisation's name. Catalogues (GeoNetwork, Géo2France) put the
/// producer's name among the keywords; its words say who made the data, not what it is
/// about (« Institut national de la statistique et des études économiques » is no study).
const ORGANISATION_NAME_STARTS: &[&str] = &[
    "institut",
    "agence",
    "ministere",
    "direction departementale",
    "direction regionale",
    "direction generale",
    "atelier parisien",
    "association",
    "syndicat mixte",
    "bureau de recherche",
];

/// Whether a normalized keyword is an organisation's name (a few words at least, starting
/// like one).
fn names_an_organisation(normalized: &str) -> bool {
    normalized.split(' ').count() >= 3
        && ORGANISATION_NAME_STARTS.iter().any(|start| {
            normalized
                .strip_prefix(start)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
        })
}

/// Whether the record may be read with the French vocabulary: it states no language, or
/// French among its languages. A German or English record's words (« bus », « tram »,
/// « Energie ») are not the French phrases the rules mean, and the portal's theme pages
/// serve French policy work.
fn read_in_french(view: &DatasetView) -> bool {
    view.languages.is_empty()
        || view.languages.iter().any(|l| {
            let l = l.trim().to_ascii_lowercase();
            let code = l.rsplit(['/', '#']).next().unwrap_or_default();
            matches!(
                code,
                "fr" | "fra" | "fre" | "french" | "français" | "francais"
            ) || code.starts_with("fr-")
                || code.starts_with("fr_")
        })
}

/// Returns the first `max_chars` characters of the text of `description` without its
/// HTML markup: catalogues (ArcGIS Hub, udata, CKAN) write descriptions as HTML, whose
/// tags and entities (`<div>`, `&quot;`) would otherwise fill the part that is read.
pub(crate) fn plain_text(description: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(description.len().min(max_chars * 4));
    let mut count = 0;
    let mut rest = description;
    while let Some(c) = rest.chars().next() {
        if count >= max_chars {
            break;
        }
        if c == '<' {
            // A tag: `<` followed by a letter, `/` or `!`, up to the next `>`.
            let next = rest[1..].chars().next();
            if next.is_some_and(|n| n.is_ascii_alphabetic() || n == '/' || n == '!') {
                if let Some(end) = rest.find('>') {
                    rest = &rest[end + 1..];
                    out.push(' ');
                    count += 1;
                    continue;
                }
            }
        }
        if c == '&' {
            if let Some((entity, len)) = html_entity(rest) {
                out.push(entity);
                count += 1;
                rest = &rest[len..];
                continue;
            }
        }
        out.push(c);
        count += 1;
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The character an HTML entity at the start of `text` stands for, and its length
/// (the common named ones and numeric ones).
fn html_entity(text: &str) -> Option<(char, usize)> {
    let end = text
        .char_indices()
        .take(12)
        .find(|&(_, c)| c == ';')
        .map(|(i, _)| i)?;
    let name = &text[1..end];
    let c = match name {
        "quot" => '"',
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "nbsp" => ' ',
        "apos" => '\'',
        "rsquo" | "lsquo" => '’',
        "laquo" => '«',
        "raquo" => '»',
        "eacute" => 'é',
        "egrave" => 'è',
        "agrave" => 'à',
        "ccedil" => 'ç',
        _ => {
            let code = name.strip_prefix('#')?;
            let n = match code.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => code.parse().ok()?,
            };
            char::from_u32(n)?
        }
    };
    Some((c, end + 1))
}

/// The longest keyword rule of the vocabularies, in words (a test keeps them within it).
const MAX_RULE_WORDS: usize = 10;

/// Where a phrase of a record was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// The keyword with this index.
    Keyword(usize),
    Title,
    Description,
}

/// One occurrence of a phrase: where, first word, number of words.
#[derive(Debug, Clone, Copy)]
struct Occurrence {
    place: Place,
    start: usize,
    words: usize,
}

/// Every phrase (run of up to [`MAX_RULE_WORDS`] whole words) of a record's keywords,
/// title and description opening, with where it occurs, so that matching ~1,100 keyword
/// rules costs one lookup each instead of a substring search in every keyword (which
/// was most of the time of an index build).
struct Phrases<'t> {
    text: &'t RecordText<'t>,
    at: FxHashMap<&'t str, Vec<Occurrence>>,
}

/// Calls `f` with every run of up to [`MAX_RULE_WORDS`] words of normalized `text`, as
/// slices of it (word boundaries are single spaces, as in
/// [`moisson_catalog::vocab::text::contains_phrase`]), with its first word and length.
fn for_each_phrase_at<'t>(
    text: &'t str,
    max_words: usize,
    mut f: impl FnMut(&'t str, usize, usize),
) {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices(' ').map(|(i, _)| i + 1))
        .collect();
    let ends: Vec<usize> = text
        .match_indices(' ')
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
        .collect();
    for (i, &start) in starts.iter().enumerate() {
        for (n, &end) in ends.iter().skip(i).take(max_words).enumerate() {
            f(&text[start..end], i, n + 1);
        }
    }
}

#[cfg(test)]
fn for_each_phrase<'t>(text: &'t str, mut f: impl FnMut(&'t str)) {
    for_each_phrase_at(text, MAX_RULE_WORDS, |phrase, _, _| f(phrase));
}

/// A keyword rule of a concept found in a record.
struct RuleMatch<'v> {
    concept: &'v str,
    rule: &'v str,
    at: Occurrence,
}

/// The keyword rules of both schemes (themes and use cases): the only phrases of a record
/// worth keeping, and their greatest length in words.
struct RulePhrases {
    rules: FxHashSet<String>,
    longest_words: usize,
}

impl RulePhrases {
    fn of(vocab: &Vocabularies) -> Self {
        let rules: FxHashSet<String> = [&vocab.themes, &vocab.use_cases]
            .into_iter()
            .flat_map(|scheme| scheme.concepts())
            .flat_map(|concept| concept.keywords.iter().cloned())
            .collect();
        let longest_words = rules
            .iter()
            .map(|r| r.split(' ').count())
            .max()
            .unwrap_or(0)
            .min(MAX_RULE_WORDS);
        Self {
            rules,
            longest_words,
        }
    }
}

/// The rules of `vocab` (computed once for the embedded vocabulary).
fn rule_phrases(vocab: &Vocabularies) -> Derived<RulePhrases> {
    static RULES: OnceLock<RulePhrases> = OnceLock::new();
    derived(vocab, &RULES, RulePhrases::of)
}

impl<'t> Phrases<'t> {
    /// The phrases of `text` that are rules of `vocab`, with where they occur: the
    /// lookups of [`Phrases::matches`] see exactly what a table of every phrase would
    /// give them, without storing the thousands of phrases no rule names.
    fn of(text: &'t RecordText<'t>, vocab: &Vocabularies) -> Self {
        let rules = rule_phrases(vocab);
        let mut at: FxHashMap<&'t str, Vec<Occurrence>> = FxHashMap::default();
        let mut add = |normalized: &'t str, place: Place| {
            for_each_phrase_at(normalized, rules.longest_words, |phrase, start, words| {
                if rules.rules.contains(phrase) {
                    at.entry(phrase).or_default().push(Occurrence {
                        place,
                        start,
                        words,
                    });
                }
            });
        };
        for (i, (_, kw)) in text.keywords.iter().enumerate() {
            add(kw.as_str(), Place::Keyword(i));
        }
        if let Some((_, title)) = &text.title {
            add(title.as_str(), Place::Title);
        }
        if let Some((_, description)) = &text.description {
            add(description.as_str(), Place::Description);
        }
        Self { text, at }
    }

    /// Returns the keyword rules of `scheme` found in the record, where a rule found
    /// inside a longer rule at the same place is dropped: of another concept, « habitats
    /// naturels » is a nature inventory, not housing, and « atlas des zones inondables » is
    /// flood prevention, not a study; of the same concept, it is the same mention.
    fn matches<'v>(&self, scheme: &'v ConceptScheme, places: &[PlaceKind]) -> Vec<RuleMatch<'v>> {
        let mut found = Vec::new();
        for concept in scheme.concepts() {
            for rule in &concept.keywords {
                for &at in self.at.get(rule.as_str()).into_iter().flatten() {
                    if places.contains(&PlaceKind::of(at.place))
                        && (rule.len() > SHORT_RULE_CHARS || self.written_whole(at.place, rule))
                        && (rule.len() > DESCRIPTION_MIN_RULE_CHARS
                            || at.place != Place::Description)
                    {
                        found.push(RuleMatch {
                            concept: concept.slug.as_str(),
                            rule: rule.as_str(),
                            at,
                        });
                    }
                }
            }
        }
        // Also inside a longer rule of the same concept: « servitude » within « servitude
        // d'utilité publique » is the same mention, not a second piece of evidence.
        let inside_longer = |m: &RuleMatch<'_>| {
            found.iter().any(|o| {
                o.at.place == m.at.place
                    && o.at.words > m.at.words
                    && o.at.start <= m.at.start
                    && o.at.start + o.at.words >= m.at.start + m.at.words
            })
        };
        let keep: Vec<bool> = found.iter().map(|m| !inside_longer(m)).collect();
        found
            .into_iter()
            .zip(keep)
            .filter_map(|(m, k)| k.then_some(m))
            .collect()
    }

    /// The text of `place` as the record writes it.
    fn original(&self, place: Place) -> &str {
        match place {
            Place::Keyword(i) => self.text.keywords[i].0,
            Place::Title => self.text.title.as_ref().map_or("", |t| t.0),
            Place::Description => self.text.description.as_ref().map_or("", |d| d.0.as_str()),
        }
    }

    /// Whether `rule` (a short word) is written whole at `place`, not reached by
    /// dropping a plural mark: « plus » is not the PLU.
    fn written_whole(&self, place: Place, rule: &str) -> bool {
        self.original(place)
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| w.chars().count() == rule.len() && normalize(w) == rule)
    }

    /// The reason shown for a match.
    fn reason(&self, m: &RuleMatch<'_>) -> String {
        match m.at.place {
            Place::Keyword(i) => format!("mot-clé « {} »", self.text.keywords[i].0.trim()),
            Place::Title => format!("{TITLE_REASON}« {} »", m.rule),
            Place::Description => format!("{DESCRIPTION_REASON}« {} »", m.rule),
        }
    }
}

/// Rules of at most this many characters (acronyms: « plu », « ges », « tri ») must be
/// written whole: normalization drops a final « s », and « plus » would become « plu ».
const SHORT_RULE_CHARS: usize = 3;

/// Acronym rules (« tri », « sup », « step ») collide with ordinary words in prose: a
/// description is read with longer rules only.
const DESCRIPTION_MIN_RULE_CHARS: usize = 4;

/// The kinds of places rules are read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PlaceKind {
    Keyword,
    Title,
    Description,
}

impl PlaceKind {
    fn of(place: Place) -> Self {
        match place {
            Place::Keyword(_) => Self::Keyword,
            Place::Title => Self::Title,
            Place::Description => Self::Description,
        }
    }
}

/// Classifies `view` with `vocab`; `sources` gives what the configuration says of its
/// sources (publisher kind, territory).
pub fn classify(
    view: &DatasetView,
    vocab: &Vocabularies,
    sources: &SourceContexts,
) -> Classification {
    let text = if read_in_french(view) {
        RecordText::of(view)
    } else {
        RecordText::default()
    };
    let phrases = Phrases::of(&text, vocab);
    let outcome = classify_themes(view, &phrases, &vocab.themes);
    let stated: Vec<&str> = outcome.stated.iter().map(String::as_str).collect();
    let main: Vec<&str> = outcome.main.iter().map(String::as_str).collect();
    let use_cases = classify_use_cases(
        &phrases,
        &stated,
        &main,
        outcome.description_is_a_list,
        vocab,
    );
    let themes = outcome.themes;
    let territories = crate::territory::classify_territories(view, vocab, sources);
    Classification {
        themes,
        use_cases,
        territories,
    }
}

/// How much a piece of evidence weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strength {
    /// A stated Ecosphères or EU data theme.
    Stated,
    /// A keyword or title rule: the record's own words.
    Words,
    /// An INSPIRE theme or ISO topic category (catalogues put blanket ones on whole
    /// series: « Usage des sols » on every urban plan), or a description rule.
    Weak,
}

impl Strength {
    fn weight(self) -> u32 {
        match self {
            Self::Stated | Self::Words => 3,
            Self::Weak => 1,
        }
    }
}

/// What was found for one concept.
#[derive(Default)]
struct Evidence {
    score: u32,
    strong: bool,
    words: bool,
    stated: bool,
    /// Evidence other than the description.
    beyond_description: bool,
    reasons: Vec<String>,
    weights: Vec<u32>,
}

/// Evidence by concept slug.
#[derive(Default)]
struct Candidates {
    by_value: BTreeMap<String, Evidence>,
}

impl Candidates {
    fn add(&mut self, value: &str, strength: Strength, stated: bool, reason: String) {
        let e = self.by_value.entry(value.to_owned()).or_default();
        if e.reasons.contains(&reason) {
            return;
        }
        e.beyond_description |= !reason.starts_with(DESCRIPTION_REASON);
        e.score += strength.weight();
        e.strong |= strength != Strength::Weak;
        e.words |= strength == Strength::Words;
        e.stated |= stated;
        if e.reasons.len() < 8 {
            e.reasons.push(reason);
            e.weights.push(strength.weight());
        }
    }
}

/// How a reason from the title starts.
const TITLE_REASON: &str = "titre : ";

/// How a reason from the description starts.
const DESCRIPTION_REASON: &str = "description : ";

/// A sub-theme said at most once in the record's own words is kept when its score is at
/// least the best sub-theme's of its top theme divided by this.
const SUB_THEME_SHARE: u32 = 2;

/// Most top themes a record keeps.
const MAX_TOP_THEMES: usize = 3;

/// A description whose opening names more subjects than this is a list (« les risques
/// majeurs : inondation, mouvement de terrain, éruption volcanique… ») rather than the
/// record's subject: it then only adds weight to subjects found elsewhere, or to a
/// subject it develops with [`DESCRIPTION_DEVELOPED_RULES`] phrases or more.
const DESCRIPTION_MAX_SUBJECTS: usize = 3;

/// Distinct phrases of one subject that make it the subject of a listing description.
const DESCRIPTION_DEVELOPED_RULES: usize = 3;

/// Score above which a subject not in the title may be the record's main subject: more
/// than one keyword (« sylviculture » alone on a forest-fire layer is a side subject), a
/// keyword the description agrees with, or a description that develops it (terse titles
/// such as « TYPE RESEAU EAU » leave the subject to the description).
const MAIN_SUBJECT_MIN_SCORE: u32 = 4;

/// What one top theme gathered.
#[derive(Default)]
struct TopEvidence {
    score: u32,
    strong: bool,
    /// Supported by a sub-theme or a stated theme, not only by the top theme's own
    /// broad words (« mobilité », « transport »).
    specific: bool,
}

/// Whether a description naming these subjects (with the phrases found for each) is a
/// list of subjects rather than the description of one.
fn description_is_a_list(rules: &BTreeMap<&str, BTreeSet<&str>>) -> bool {
    rules.len() > DESCRIPTION_MAX_SUBJECTS
}

/// Keeps the well-supported themes of `candidates`: the top themes with strong evidence
/// (under them or on them), and those with weak evidence only when no keyword or title
/// rule classified the record (weak evidence needs the record's own words to agree);
/// a top theme found only by its own broad words gives way to a top theme with specific
/// evidence at least as strong (« stationnement vélos », mot-clé « mobilité »: cycling,
/// not transport in general); ranked by score, those within a third of the best, at most
/// [`MAX_TOP_THEMES`]; then every candidate under a kept top theme.
fn select(mut candidates: Candidates, scheme: &ConceptScheme) -> Assignments {
    // One passing mention in a description says little: it takes two rules there, or
    // other evidence.
    candidates
        .by_value
        .retain(|_, e| e.beyond_description || e.reasons.len() >= 2);
    let top_of = |slug: &str| -> String {
        scheme
            .get(slug)
            .and_then(|c| c.parent.clone())
            .unwrap_or_else(|| slug.to_owned())
    };
    let mut tops: BTreeMap<String, TopEvidence> = BTreeMap::new();
    for (slug, e) in &candidates.by_value {
        let top = top_of(slug);
        let specific = e.stated || (*slug != top && e.strong);
        let t = tops.entry(top).or_default();
        t.score += e.score;
        t.strong |= e.strong;
        t.specific |= specific;
    }
    let any_words = candidates.by_value.values().any(|e| e.words);
    let best_specific = tops
        .values()
        .filter(|t| t.specific && (t.strong || !any_words))
        .map(|t| t.score)
        .max();
    let mut ranked: Vec<(String, u32)> = tops
        .into_iter()
        .filter(|(_, t)| t.strong || !any_words)
        .filter(|(_, t)| t.specific || best_specific.is_none_or(|best| t.score > best))
        .map(|(slug, t)| (slug, t.score))
        .collect();
    ranked.sort_by_key(|r| std::cmp::Reverse(r.1));
    let best = ranked.first().map_or(0, |r| r.1);
    let kept: HashSet<String> = ranked
        .into_iter()
        .filter(|(_, score)| score * 3 >= best)
        .take(MAX_TOP_THEMES)
        .map(|(slug, _)| slug)
        .collect();
    // Within a kept top theme, a sub-theme far behind the best one and said at most once
    // in the record's own words is a side mention (the RPG's keyword « parcelles » next
    // to its many agricultural words); one said twice is a subject (a PPRN's flood
    // keywords).
    let mut best_sub: BTreeMap<String, u32> = BTreeMap::new();
    for (slug, e) in &candidates.by_value {
        let top = top_of(slug);
        if *slug != top {
            let b = best_sub.entry(top).or_default();
            *b = (*b).max(e.score);
        }
    }
    let mut out = Assignments::default();
    for (slug, e) in candidates.by_value {
        let top = top_of(&slug);
        let strong_reasons = e
            .weights
            .iter()
            .filter(|&&w| w >= Strength::Words.weight())
            .count();
        let side_mention = slug != top
            && strong_reasons < 2
            && best_sub
                .get(&top)
                .is_some_and(|&best| e.score * SUB_THEME_SHARE < best);
        if kept.contains(&top) && !side_mention {
            let in_title = e.reasons.iter().any(|r| r.starts_with(TITLE_REASON));
            for (reason, weight) in e.reasons.into_iter().zip(e.weights) {
                out.add_weighted(&slug, reason, weight);
            }
            if e.stated {
                out.stated.insert(slug.clone());
            }
            if in_title || e.score >= MAIN_SUBJECT_MIN_SCORE {
                out.worded.insert(slug, (in_title, e.score));
            }
        }
    }
    out
}

/// Returns the themes of `view`, those the record states itself (its `dcat:theme` and
/// categories, not our keyword rules) with their broader themes, and its main subjects:
/// the sub-themes found in its own words (title, keywords) or developed by its
/// description, those of the title first, with the best score.
fn classify_themes(view: &DatasetView, text: &Phrases<'_>, scheme: &ConceptScheme) -> ThemeOutcome {
    let mut found = Candidates::default();
    let mut fallback = Assignments::default();
    for theme in view.themes.iter().take(100) {
        let theme = theme.trim();
        let (reason, iri) = explicit_theme_reason(theme);
        let strength = if iri.as_deref().is_some_and(is_blanket_category) {
            Strength::Weak
        } else {
            Strength::Stated
        };
        let normalized = normalize(theme);
        for concept in scheme.concepts() {
            if concept.iri == theme {
                found.add(
                    &concept.slug,
                    Strength::Stated,
                    true,
                    format!("thème Ecosphères « {} »", concept.label),
                );
            } else if iri
                .as_deref()
                .is_some_and(|i| concept.close_matches.iter().any(|m| m == i))
            {
                found.add(&concept.slug, strength, true, reason.clone());
            } else if iri
                .as_deref()
                .is_some_and(|i| concept.related_matches.iter().any(|m| m == i))
            {
                fallback.add_weighted(&concept.slug, reason.clone(), Strength::Weak.weight());
            } else if iri.is_none() && normalize(&concept.label) == normalized {
                found.add(
                    &concept.slug,
                    Strength::Stated,
                    true,
                    format!("thème « {theme} »"),
                );
            }
        }
    }
    for (keyword, code) in &text.text.inspire {
        let iri = format!("{INSPIRE_THEME_PREFIX}{code}");
        for concept in scheme.concepts() {
            if concept.close_matches.contains(&iri) {
                found.add(
                    &concept.slug,
                    Strength::Weak,
                    true,
                    format!("mot-clé INSPIRE « {} »", keyword.trim()),
                );
            }
        }
    }
    let places = [PlaceKind::Keyword, PlaceKind::Title, PlaceKind::Description];
    let (in_description, in_words): (Vec<_>, Vec<_>) = text
        .matches(scheme, &places)
        .into_iter()
        .partition(|m| m.at.place == Place::Description);
    for m in in_words {
        found.add(m.concept, Strength::Words, false, text.reason(&m));
    }
    let mut description_rules: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for m in &in_description {
        description_rules
            .entry(m.concept)
            .or_default()
            .insert(m.rule);
    }
    let a_list = description_is_a_list(&description_rules);
    for m in in_description {
        if a_list
            && !found.by_value.contains_key(m.concept)
            && description_rules[m.concept].len() < DESCRIPTION_DEVELOPED_RULES
        {
            continue;
        }
        found.add(m.concept, Strength::Weak, false, text.reason(&m));
    }
    let mut selected = select(found, scheme);
    if selected.is_empty() {
        fallback.stated = fallback.by_value.keys().cloned().collect();
        selected = fallback;
    }
    let mut explicit: Vec<String> = selected.stated.iter().cloned().collect();
    let parents: Vec<String> = explicit
        .iter()
        .filter_map(|slug| scheme.get(slug)?.parent.clone())
        .collect();
    explicit.extend(parents);
    let best_worded = selected
        .worded
        .iter()
        .filter(|(slug, _)| scheme.get(slug).is_some_and(|c| c.parent.is_some()))
        .map(|(_, &rank)| rank)
        .max();
    let main: Vec<String> = selected
        .worded
        .iter()
        .filter(|(slug, &rank)| {
            Some(rank) == best_worded && scheme.get(slug).is_some_and(|c| c.parent.is_some())
        })
        .map(|(slug, _)| slug.clone())
        .collect();
    ThemeOutcome {
        themes: selected.into_concepts(scheme),
        stated: explicit,
        main,
        description_is_a_list: a_list,
    }
}

/// What the theme classification tells the use cases.
struct ThemeOutcome {
    themes: Vec<Assignment>,
    /// Themes the record states, with their broader themes.
    stated: Vec<String>,
    /// The best-supported sub-themes of the record's own words.
    main: Vec<String>,
    /// Whether the description's opening lists many subjects.
    description_is_a_list: bool,
}

/// INSPIRE themes, ISO 19115 topic categories and EU data themes: a catalogue puts them
/// on whole series of records (GeoNetwork derives EU themes from ISO categories: a list of
/// schools gets « Agriculture » and « Régions »), so they count only with agreement from
/// the record's own words, or when its words say nothing.
fn is_blanket_category(iri: &str) -> bool {
    iri.starts_with(INSPIRE_THEME_PREFIX)
        || iri.starts_with(ISO_TOPIC_CATEGORY_PREFIX)
        || iri.starts_with(EU_DATA_THEME_PREFIX)
}

/// Returns the French reason for an explicit theme value and the IRI to match with
/// (ISO topic categories given as bare codes are turned into their IRI).
fn explicit_theme_reason(theme: &str) -> (String, Option<String>) {
    // The INSPIRE registry's IRIs are http; catalogues also write them https.
    if let Some(rest) = theme.strip_prefix("https://inspire.ec.europa.eu/") {
        return explicit_theme_reason(&format!("http://inspire.ec.europa.eu/{rest}"));
    }
    if let Some(code) = theme.strip_prefix(EU_DATA_THEME_PREFIX) {
        return (format!("thème EU {code}"), Some(theme.to_owned()));
    }
    if let Some(code) = theme.strip_prefix(ISO_TOPIC_CATEGORY_PREFIX) {
        return (format!("catégorie ISO {code}"), Some(theme.to_owned()));
    }
    if let Some(code) = theme.strip_prefix(INSPIRE_THEME_PREFIX) {
        let code = code.trim_end_matches('/');
        return (
            format!("thème INSPIRE {code}"),
            Some(format!("{INSPIRE_THEME_PREFIX}{code}")),
        );
    }
    if ISO_TOPIC_CATEGORIES.contains(&theme) {
        return (
            format!("catégorie ISO {theme}"),
            Some(format!("{ISO_TOPIC_CATEGORY_PREFIX}{theme}")),
        );
    }
    if theme.starts_with("http://") || theme.starts_with("https://") {
        return (format!("thème <{theme}>"), Some(theme.to_owned()));
    }
    let normalized = normalize(theme);
    if let Some((code, _)) = INSPIRE_THEME_LABELS
        .iter()
        .find(|(_, labels)| labels.iter().any(|l| normalize(l) == normalized))
    {
        return (
            format!("thème INSPIRE « {theme} »"),
            Some(format!("{INSPIRE_THEME_PREFIX}{code}")),
        );
    }
    (format!("thème « {theme} »"), None)
}

/// Returns the INSPIRE theme code whose label is `normalized` (a normalized keyword).
fn inspire_theme_of_label(normalized: &str) -> Option<&'static str> {
    static LABELS: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    LABELS
        .get_or_init(|| {
            INSPIRE_THEME_LABELS
                .iter()
                .flat_map(|(code, labels)| labels.iter().map(move |l| (normalize(l), *code)))
                .collect()
        })
        .get(normalized)
        .copied()
}

/// INSPIRE themes as catalogues label them (GEMET - INSPIRE themes, French and English).
const INSPIRE_THEME_LABELS: &[(&str, &[&str])] = &[
    ("hy", &["Hydrographie", "Hydrography"]),
    ("ps", &["Sites protégés", "Protected sites"]),
    ("nz", &["Zones à risque naturel", "Natural risk zones"]),
    ("lc", &["Occupation des terres", "Land cover"]),
    ("lu", &["Usage des sols", "Land use"]),
    ("sd", &["Répartition des espèces", "Species distribution"]),
    ("hb", &["Habitats et biotopes", "Habitats and biotopes"]),
    (
        "bio",
        &["Régions biogéographiques", "Bio-geographical regions"],
    ),
    (
        "am",
        &[
            "Zones de gestion, de restriction ou de réglementation et unités de déclaration",
            "Area management/restriction/regulation zones and reporting units",
        ],
    ),
    (
        "af",
        &[
            "Installations agricoles et aquacoles",
            "Agricultural and aquaculture facilities",
        ],
    ),
    ("er", &["Sources d'énergie", "Energy resources"]),
    ("mr", &["Ressources minérales", "Mineral resources"]),
    ("tn", &["Réseaux de transport", "Transport networks"]),
    (
        "us",
        &[
            "Services d'utilité publique et services publics",
            "Utility and governmental services",
        ],
    ),
    (
        "hh",
        &["Santé et sécurité des personnes", "Human health and safety"],
    ),
    (
        "ac",
        &["Conditions atmosphériques", "Atmospheric conditions"],
    ),
    (
        "mf",
        &[
            "Caractéristiques géographiques météorologiques",
            "Meteorological geographical features",
        ],
    ),
    ("sr", &["Régions maritimes", "Sea regions"]),
    (
        "of",
        &[
            "Caractéristiques géographiques océanographiques",
            "Oceanographic geographical features",
        ],
    ),
    ("cp", &["Parcelles cadastrales", "Cadastral parcels"]),
    ("bu", &["Bâtiments", "Buildings"]),
    (
        "pf",
        &[
            "Lieux de production et sites industriels",
            "Production and industrial facilities",
        ],
    ),
];

/// ISO 19115 topic category codes, as ISO 19139 records write them.
const ISO_TOPIC_CATEGORIES: &[&str] = &[
    "farming",
    "biota",
    "boundaries",
    "climatologyMeteorologyAtmosphere",
    "economy",
    "elevation",
    "environment",
    "geoscientificInformation",
    "health",
    "imageryBaseMapsEarthCover",
    "intelligenceMilitary",
    "inlandWaters",
    "location",
    "oceans",
    "planningCadastre",
    "society",
    "structure",
    "transportation",
    "utilitiesCommunication",
];

/// Weight of a use case's own phrase in the title or keywords, of a theme stated by the
/// record or its main subject, and of a phrase of the description.
const USE_CASE_WORDS: u32 = 3;
const USE_CASE_THEME: u32 = 2;
const USE_CASE_DESCRIPTION: u32 = 1;

/// Use cases come from their own phrases in the title and keywords; from a theme of the
/// use case that the record states itself or that is its main subject in its own words
/// (the best-supported sub-theme of its title and keywords: a list of biomass boilers
/// serves the PCAET through *Production d'énergie*), not from any theme our rules gave
/// (« submersion marine » among coastal words does not make data for a PPRI); and from
/// the description's opening, as for themes, with two phrases there (three when it lists
/// many subjects) or agreement.
fn classify_use_cases(
    text: &Phrases<'_>,
    stated: &[&str],
    main: &[&str],
    description_is_a_list: bool,
    vocab: &Vocabularies,
) -> Vec<Assignment> {
    let mut found = Assignments::default();
    let places = [PlaceKind::Keyword, PlaceKind::Title, PlaceKind::Description];
    let mut from_description: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for m in text.matches(&vocab.use_cases, &places) {
        if m.at.place == Place::Description {
            let reasons = from_description.entry(m.concept).or_default();
            let reason = text.reason(&m);
            if !reasons.contains(&reason) {
                reasons.push(reason);
            }
        } else {
            found.add_weighted(m.concept, text.reason(&m), USE_CASE_WORDS);
        }
    }
    for concept in vocab.use_cases.concepts() {
        if concept.parent.is_none() {
            continue;
        }
        for theme in &concept.themes {
            let label = || vocab.themes.get(theme).map_or(theme.as_str(), |t| &t.label);
            if stated.contains(&theme.as_str()) {
                found.add_weighted(
                    &concept.slug,
                    format!("thème « {} »", label()),
                    USE_CASE_THEME,
                );
            } else if main.contains(&theme.as_str()) {
                found.add_weighted(
                    &concept.slug,
                    format!("sujet principal « {} »", label()),
                    USE_CASE_THEME,
                );
            }
        }
    }
    for (concept, reasons) in from_description {
        let enough = if description_is_a_list {
            DESCRIPTION_DEVELOPED_RULES
        } else {
            2
        };
        if found.by_value.contains_key(concept) || reasons.len() >= enough {
            for r in reasons {
                found.add_weighted(concept, r, USE_CASE_DESCRIPTION);
            }
        }
    }
    // Use cases are listed without their France Nation Verte group, and ranked like top
    // themes: those within a third of the best supported (a forest-fire layer serves
    // forest fire prevention; that its forests are also nature does not make it data for
    // a biodiversity atlas).
    let mut out = found.into_concepts(&vocab.use_cases);
    out.retain(|a| a.parent.is_some());
    let best = out.iter().map(Assignment::score).max().unwrap_or(0);
    out.retain(|a| a.score() * 3 >= best);
    out
}

/// Returns the territory with key `key` (`29`, `region-53`).
pub fn territory_by_key<'a>(vocab: &'a Vocabularies, key: &str) -> Option<&'a Territory> {
    match key.strip_prefix("region-") {
        Some(code) => vocab
            .territories
            .iter()
            .find(|t| t.level == TerritoryLevel::Region && t.code == code),
        None => vocab
            .territories
            .iter()
            .find(|t| t.level == TerritoryLevel::Departement && t.code.eq_ignore_ascii_case(key)),
    }
}

/// Returns the territory a user or a configuration names: a key (`29`, `region-53`), an
/// INSEE code (département first, since région and département codes overlap, then
/// région), or a name ("Finistère", "bretagne").
pub fn lookup_territory<'a>(vocab: &'a Vocabularies, text: &str) -> Option<&'a Territory> {
    let text = text.trim();
    if let Some(t) = territory_by_key(vocab, text) {
        return Some(t);
    }
    if let Some(t) = vocab
        .territories
        .iter()
        .find(|t| t.level == TerritoryLevel::Region && t.code == text)
    {
        return Some(t);
    }
    let name = normalize(text);
    vocab.territories.iter().find(|t| t.normalized_name == name)
}

/// Names that are also common words or parts of other names: they count only after
/// "du", "de", "de la", "des", "en" or "dan(s)" ("du Nord", "de l'Ain", "de la Manche").
const AMBIGUOUS_NAMES: &[&str] = &[
    "ain",
    "var",
    "nord",
    "cher",
    "lot",
    "orne",
    "eure",
    "gers",
    "aude",
    "loire",
    "manche",
    "vienne",
    "marne",
    "somme",
    "indre",
    "meuse",
    "oise",
    "lande",
    "doubs",
    "jura",
    "tarn",
    "gard",
    "la reunion",
    "drome",
    "isere",
    "savoie",
    "vosge",
    "rhone",
];

const NAME_INTRODUCERS: &[&str] = &["du", "de", "la", "de la", "des", "en", "dan", "departement"];

/// The phrases of one to `max_words` consecutive words of a normalized text, as slices of
/// it: a normalized name occurs in the text as whole words exactly when it is one of them.
pub(crate) fn word_phrases(normalized: &str, max_words: usize) -> FxHashSet<&str> {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut offset = 0;
    for word in normalized.split(' ') {
        if !word.is_empty() {
            spans.push((offset, offset + word.len()));
        }
        offset += word.len() + 1;
    }
    let mut out =
        FxHashSet::with_capacity_and_hasher(spans.len() * max_words.min(4), Default::default());
    for (i, &(start, _)) in spans.iter().enumerate() {
        for &(_, end) in spans.iter().skip(i).take(max_words) {
            out.insert(&normalized[start..end]);
        }
    }
    out
}

/// The territories of a vocabulary by normalized name, for [`territories_named_in`].
struct TerritoryNames {
    /// Indexes in `Vocabularies::territories` by normalized name (non-empty names).
    by_name: FxHashMap<String, Vec<usize>>,
    /// Most words in a name.
    longest_words: usize,
}

impl TerritoryNames {
    fn of(vocab: &Vocabularies) -> Self {
        let mut by_name: FxHashMap<String, Vec<usize>> = FxHashMap::default();
        for (i, t) in vocab.territories.iter().enumerate() {
            if !t.normalized_name.is_empty() {
                by_name
                    .entry(t.normalized_name.clone())
                    .or_default()
                    .push(i);
            }
        }
        let longest_words = by_name
            .keys()
            .map(|n| n.split(' ').count())
            .max()
            .unwrap_or(0);
        Self {
            by_name,
            longest_words,
        }
    }
}

/// The territory names of `vocab` (computed once for the embedded vocabulary).
fn territory_names(vocab: &Vocabularies) -> Derived<TerritoryNames> {
    static NAMES: OnceLock<TerritoryNames> = OnceLock::new();
    derived(vocab, &NAMES, TerritoryNames::of)
}

/// Returns the territories named in `text`, longest names first, without overlaps
/// ("Pays de la Loire" is a région, not the département of the Loire). With `strict`,
/// ambiguous names count only after a French preposition.
pub fn territories_named_in<'a>(
    vocab: &'a Vocabularies,
    text: &str,
    strict: bool,
) -> Vec<&'a Territory> {
    let normalized = normalize(text);
    if normalized.is_empty() {
        return Vec::new();
    }
    let haystack = format!(" {normalized} ");
    // One hash lookup per phrase of the text finds the names it holds (nearly none of
    // them) before any search: this runs for every keyword of every record.
    let names = territory_names(vocab);
    let mut held: Vec<usize> = word_phrases(&normalized, names.longest_words)
        .into_iter()
        .filter_map(|phrase| names.by_name.get(phrase))
        .flatten()
        .copied()
        .collect();
    // Longest names first; the vocabulary's order among names of one length.
    held.sort_by_key(|&i| {
        (
            std::cmp::Reverse(vocab.territories[i].normalized_name.len()),
            i,
        )
    });
    held.dedup();
    let candidates = held.into_iter().map(|i| &vocab.territories[i]);
    let mut taken: Vec<(usize, usize)> = Vec::new();
    let mut out: Vec<&Territory> = Vec::new();
    for t in candidates {
        let needle = format!(" {} ", t.normalized_name);
        let mut start = 0;
        while let Some(pos) = haystack[start..].find(&needle) {
            let at = start + pos;
            let span = (at + 1, at + needle.len() - 1);
            start = at + 1;
            if taken.iter().any(|&(a, b)| span.0 < b && a < span.1) {
                continue;
            }
            if strict && AMBIGUOUS_NAMES.contains(&t.normalized_name.as_str()) {
                let before = haystack[..at].trim_end();
                if !NAME_INTRODUCERS
                    .iter()
                    .any(|w| before.ends_with(&format!(" {w}")))
                    || !capitalized_in(text, &t.normalized_name)
                {
                    continue;
                }
            }
            if !strict && AMBIGUOUS_NAMES.contains(&t.normalized_name.as_str()) {
                let before = haystack[..at].trim_end();
                let introduced = NAME_INTRODUCERS
                    .iter()
                    .any(|w| before.ends_with(&format!(" {w}")));
                if !introduced && haystack.trim() != t.normalized_name {
                    continue;
                }
            }
            taken.push(span);
            // A département sharing its name with its région (Guadeloupe…) is the département.
            if !out.iter().any(|o| o.normalized_name == t.normalized_name) {
                let same_name_dep = vocab.territories.iter().find(|d| {
                    d.level == TerritoryLevel::Departement && d.normalized_name == t.normalized_name
                });
                out.push(same_name_dep.unwrap_or(t));
            }
            break;
        }
    }
    out
}

/// Returns true when the first word of `name` (normalized) is written capitalized in `text`:
/// « du Nord » names the département, « vent du nord » does not.
fn capitalized_in(text: &str, name: &str) -> bool {
    let first = name.split(' ').next().unwrap_or_default();
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().next().is_some_and(char::is_uppercase))
        .any(|w| normalize(w) == first)
}

/// "DDT 29", "DDTM29", "DREAL 35": a state service followed by a département code.
pub(crate) fn departement_of_service_code<'a>(
    vocab: &'a Vocabularies,
    publisher: &str,
) -> Option<&'a Territory> {
    let normalized = normalize(publisher);
    let words: Vec<&str> = normalized.split(' ').collect();
    for (i, w) in words.iter().enumerate() {
        let code = ["ddtm", "ddt", "ddpp", "ddcs"]
            .iter()
            .find_map(|prefix| w.strip_prefix(prefix))
            .map(|rest| {
                if rest.is_empty() {
                    words.get(i + 1).copied().unwrap_or_default()
                } else {
                    rest
                }
            });
        if let Some(code) = code.filter(|c| (2..=3).contains(&c.len())) {
            if let Some(t) = territory_by_key(vocab, code) {
                return Some(t);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use moisson_catalog::store::SourceRef;
    use moisson_catalog::vocab::vocabularies;

    /// The table of a record's phrases keeps every occurrence of every rule, as a table
    /// of all its phrases would: rules are looked up in it, so nothing a rule could find
    /// is lost by leaving the other phrases out.
    #[test]
    fn the_phrase_table_keeps_every_rule_occurrence() {
        let vocab = vocabularies();
        let rules = RulePhrases::of(vocab);
        let mut v = view();
        v.title = Some(
            "Plan de prévention des risques d'inondation : zonage réglementaire du PPRI".into(),
        );
        v.keywords = vec![
            "Habitats naturels".into(),
            "qualité de l'air".into(),
            "installations sportives".into(),
            "PLU".into(),
        ];
        v.description = Some(
            "Atlas des zones inondables et des servitudes d'utilité publique. Réseau de \
             chaleur et énergies renouvelables, pistes cyclables, bilan carbone."
                .into(),
        );
        let text = RecordText::of(&v);
        let table = Phrases::of(&text, vocab);
        let mut all: HashMap<&str, Vec<(usize, usize)>> = HashMap::new();
        let mut places: Vec<&str> = text.keywords.iter().map(|(_, k)| k.as_str()).collect();
        places.extend(text.title.as_ref().map(|(_, t)| t.as_str()));
        places.extend(text.description.as_ref().map(|(_, d)| d.as_str()));
        for normalized in places {
            for_each_phrase_at(normalized, MAX_RULE_WORDS, |phrase, start, words| {
                all.entry(phrase).or_default().push((start, words));
            });
        }
        let mut found = 0;
        for rule in &rules.rules {
            let kept: Vec<(usize, usize)> = table
                .at
                .get(rule.as_str())
                .into_iter()
                .flatten()
                .map(|o| (o.start, o.words))
                .collect();
            let expected = all.get(rule.as_str()).cloned().unwrap_or_default();
            assert_eq!(kept, expected, "{rule:?}");
            found += kept.len();
        }
        assert!(found >= 5, "the record holds rules: {found}");
        assert!(table.at.keys().all(|p| rules.rules.contains(*p)));
    }

    /// The phrase lookup that rules names out finds exactly what a whole-word search of
    /// the padded text finds.
    #[test]
    fn word_phrases_match_whole_word_search() {
        let texts = [
            "plan local d urbanisme de la cote d armor",
            "pays de la loire",
            "loire atlantique et loire",
            "",
            "a",
            "ca quimper bretagne occidentale zonage",
        ];
        let names = [
            "loire",
            "pays de la loire",
            "loire atlantique",
            "cote d armor",
            "armor",
            "d armor urbanisme",
            "quimper bretagne occidentale",
            "bretagne",
            "a",
            "oire",
            "de la",
        ];
        for text in texts {
            let phrases = word_phrases(text, 4);
            for name in names {
                let searched = format!(" {text} ").contains(&format!(" {name} "));
                assert_eq!(phrases.contains(name), searched, "{name:?} in {text:?}");
            }
        }
    }

    fn view() -> DatasetView {
        DatasetView {
            title: Some("Zones humides du Finistère".into()),
            keywords: vec!["Cours d'eau".into(), "PPRI".into()],
            ..DatasetView::default()
        }
    }

    fn values(list: &[Assignment]) -> Vec<&str> {
        list.iter().map(|a| a.value.as_str()).collect()
    }

    #[test]
    fn keywords_give_themes_with_reasons() {
        let c = classify(&view(), vocabularies(), &SourceContexts::new());
        let themes = values(&c.themes);
        assert!(themes.contains(&"eau"), "{themes:?}");
        assert!(themes.contains(&"masses-d-eau"));
        assert!(themes.contains(&"prevention-des-inondations"));
        let masses = c
            .themes
            .iter()
            .find(|a| a.value == "masses-d-eau")
            .expect("masses");
        assert!(
            masses
                .reasons
                .contains(&"mot-clé « Cours d'eau »".to_owned()),
            "{:?}",
            masses.reasons
        );
        let ppri = c
            .use_cases
            .iter()
            .find(|a| a.value == "ppri")
            .expect("ppri");
        assert!(ppri.reasons.contains(&"mot-clé « PPRI »".to_owned()));
    }

    #[test]
    fn explicit_themes() {
        let v = DatasetView {
            themes: vec![
                "http://publications.europa.eu/resource/authority/data-theme/TRAN".into(),
                "inlandWaters".into(),
            ],
            ..DatasetView::default()
        };
        let c = classify(&v, vocabularies(), &SourceContexts::new());
        let eau = c.themes.iter().find(|a| a.value == "eau").expect("eau");
        assert_eq!(eau.reasons, vec!["catégorie ISO inlandWaters".to_owned()]);
        let tran = c
            .themes
            .iter()
            .find(|a| a.value == "transport-et-deplacements")
            .expect("tran");
        assert_eq!(tran.reasons, vec!["thème EU TRAN".to_owned()]);
    }

    use moisson_catalog::vocab::text::contains_phrase;

    #[test]
    fn every_keyword_rule_fits_the_phrase_lookup() {
        let v = vocabularies();
        for concept in v.themes.concepts().iter().chain(v.use_cases.concepts()) {
            for rule in &concept.keywords {
                assert!(!rule.is_empty(), "{}: empty rule", concept.slug);
                assert!(
                    rule.split(' ').count() <= MAX_RULE_WORDS,
                    "{}: rule {rule:?} is longer than {MAX_RULE_WORDS} words",
                    concept.slug
                );
            }
        }
    }

    #[test]
    fn phrase_lookup_agrees_with_phrase_search() {
        let texts = [
            "plan de prevention du risque inondation",
            "zones humides",
            "a  b c",
            "riviere rive",
            "",
        ];
        let needles = [
            "inondation",
            "risque inondation",
            "plan de prevention",
            "prevention du risque inondation",
            "rive",
            "riv",
            "a  b",
            "b c",
            "zones humides",
            "humide",
        ];
        for text in texts {
            let mut phrases = HashSet::new();
            for_each_phrase(text, |p| {
                phrases.insert(p);
            });
            for needle in needles {
                assert_eq!(
                    phrases.contains(needle),
                    contains_phrase(text, needle),
                    "{needle:?} in {text:?}"
                );
            }
        }
    }

    #[test]
    fn use_cases_need_their_own_keywords_or_a_stated_theme() {
        let coastal = DatasetView {
            title: Some("Indicateur national de l'érosion côtière".into()),
            keywords: vec!["littoral".into(), "submersion marine".into()],
            ..DatasetView::default()
        };
        let c = classify(&coastal, vocabularies(), &SourceContexts::new());
        assert!(values(&c.themes).contains(&"prevention-des-inondations"));
        let uses = values(&c.use_cases);
        assert!(uses.contains(&"trait-de-cote"), "{uses:?}");
        assert!(!uses.contains(&"ppri"), "{uses:?}");
        let stated = DatasetView {
            themes: vec![vocabularies()
                .themes
                .get("prevention-des-inondations")
                .expect("theme")
                .iri
                .clone()],
            ..DatasetView::default()
        };
        let c = classify(&stated, vocabularies(), &SourceContexts::new());
        let ppri = c
            .use_cases
            .iter()
            .find(|a| a.value == "ppri")
            .expect("ppri");
        assert_eq!(
            ppri.reasons,
            vec!["thème « Prévention des inondations »".to_owned()]
        );
    }

    #[test]
    fn a_seveso_threshold_is_not_a_weir() {
        let seveso = DatasetView {
            title: Some("Établissements Seveso seuil haut – Crozon".into()),
            keywords: vec!["Seveso".into(), "PPRT".into()],
            ..DatasetView::default()
        };
        let themes = classify(&seveso, vocabularies(), &SourceContexts::new()).themes;
        assert!(!values(&themes).contains(&"eau"), "{themes:?}");
        assert!(values(&themes).contains(&"prevention-des-risques-technologiques"));
    }

    #[test]
    fn air_quality_stations_are_not_water_data() {
        let air = DatasetView {
            title: Some("Stations de mesure de la qualité de l'air".into()),
            ..DatasetView::default()
        };
        let themes = classify(&air, vocabularies(), &SourceContexts::new()).themes;
        assert!(values(&themes).contains(&"qualite-de-l-air"), "{themes:?}");
        assert!(!values(&themes).contains(&"eau"), "{themes:?}");
        let water = DatasetView {
            title: Some("Stations de mesure de la qualité des cours d'eau".into()),
            ..DatasetView::default()
        };
        let themes = classify(&water, vocabularies(), &SourceContexts::new()).themes;
        assert!(values(&themes).contains(&"eau"), "{themes:?}");
    }

    #[test]
    fn broad_eu_theme_only_as_fallback() {
        let mut v = DatasetView {
            themes: vec!["http://publications.europa.eu/resource/authority/data-theme/ENVI".into()],
            ..DatasetView::default()
        };
        let c = classify(&v, vocabularies(), &SourceContexts::new());
        assert_eq!(values(&c.themes), vec!["nature-paysages-et-biodiversite"]);
        assert_eq!(c.themes[0].reasons, vec!["thème EU ENVI".to_owned()]);
        v.keywords = vec!["bruit".into()];
        let c = classify(&v, vocabularies(), &SourceContexts::new());
        assert!(!values(&c.themes).contains(&"nature-paysages-et-biodiversite"));
    }

    #[test]
    fn territories_from_insee_bbox_publisher_and_title() {
        let v = DatasetView {
            spatial: vec!["http://id.insee.fr/geo/commune/29019".into()],
            ..DatasetView::default()
        };
        let c = classify(&v, vocabularies(), &SourceContexts::new());
        assert_eq!(
            values(&c.territories),
            vec!["region-53", "29", "epci-242900314", "commune-29019"]
        );
        assert_eq!(
            c.territories[3].reasons,
            vec!["couverture spatiale INSEE : Brest (29)".to_owned()]
        );
        assert_eq!(c.territories[1].reasons, vec!["via Brest (29)".to_owned()]);

        let v = DatasetView {
            bboxes: vec![
                "POLYGON((-4.60 48.30, -4.40 48.30, -4.40 48.50, -4.60 48.50, -4.60 48.30))".into(),
            ],
            ..DatasetView::default()
        };
        let c = classify(&v, vocabularies(), &SourceContexts::new());
        assert_eq!(values(&c.territories), vec!["region-53", "29"]);
        assert!(c.territories[1].reasons[0].starts_with("emprise dans le département Finistère"));

        let v = DatasetView {
            bboxes: vec!["-5.1,47.3,-1.1,48.8".into()],
            ..DatasetView::default()
        };
        let c = classify(&v, vocabularies(), &SourceContexts::new());
        assert_eq!(values(&c.territories), vec!["region-53"]);

        let v = DatasetView {
            publisher: Some("DDTM 29".into()),
            title: Some("Plan de prévention du risque inondation - Pays de la Loire".into()),
            ..DatasetView::default()
        };
        let c = classify(&v, vocabularies(), &SourceContexts::new());
        assert_eq!(values(&c.territories), vec!["region-52", "region-53", "29"]);
    }

    #[test]
    fn ambiguous_names_need_a_preposition() {
        let v = vocabularies();
        assert!(territories_named_in(v, "Vent du nord et lot de données", true).is_empty());
        let named: Vec<_> = territories_named_in(v, "Cartes du Nord et de l'Ain", true)
            .iter()
            .map(|t| t.code.clone())
            .collect();
        assert_eq!(named, vec!["59", "01"]);
        let named: Vec<_> = territories_named_in(v, "Loire-Atlantique", true)
            .iter()
            .map(|t| t.code.clone())
            .collect();
        assert_eq!(named, vec!["44"]);
    }

    #[test]
    fn source_territory_is_a_fallback() {
        let v = DatasetView {
            sources: vec![SourceRef {
                source: "ddt-29".into(),
                first_seen: String::new(),
                last_changed: String::new(),
                page_url: String::new(),
                graph: String::new(),
            }],
            ..DatasetView::default()
        };
        let mut sources = SourceContexts::new();
        sources.insert(
            "ddt-29".into(),
            SourceContext {
                publisher_kind: Some("DDT".into()),
                territory: Some("29".into()),
            },
        );
        let c = classify(&v, vocabularies(), &sources);
        assert_eq!(values(&c.territories), vec!["region-53", "29"]);
        assert_eq!(
            lookup_territory(vocabularies(), "53").expect("53").name,
            "Mayenne"
        );
        assert_eq!(
            lookup_territory(vocabularies(), "region-53")
                .expect("r53")
                .name,
            "Bretagne"
        );
        assert_eq!(
            lookup_territory(vocabularies(), "bretagne")
                .expect("name")
                .code,
            "53"
        );
    }

    fn theme_values(v: &DatasetView) -> Vec<String> {
        classify(v, vocabularies(), &SourceContexts::new())
            .themes
            .iter()
            .map(|a| a.value.clone())
            .collect()
    }

    #[test]
    fn blanket_inspire_themes_need_the_records_own_words() {
        let plu = DatasetView {
            title: Some("Plan local d'urbanisme de la commune de Naours".into()),
            keywords: vec!["PLU".into(), "Usage des sols".into()],
            themes: vec![
                "http://inspire.ec.europa.eu/theme/lu".into(),
                "planningCadastre".into(),
            ],
            ..DatasetView::default()
        };
        let c = classify(&plu, vocabularies(), &SourceContexts::new());
        let themes = values(&c.themes);
        assert!(themes.contains(&"planification"), "{themes:?}");
        assert!(!themes.contains(&"occupation-du-sol"), "{themes:?}");
        assert!(
            !themes.contains(&"foncier-et-occupation-du-sol"),
            "{themes:?}"
        );
        assert!(!values(&c.use_cases).contains(&"sobriete-fonciere"));
        // Alone, an INSPIRE theme (as an IRI or as a keyword) still classifies.
        for stated in [
            DatasetView {
                themes: vec!["http://inspire.ec.europa.eu/theme/lu".into()],
                ..DatasetView::default()
            },
            DatasetView {
                keywords: vec!["Usage des sols".into()],
                ..DatasetView::default()
            },
        ] {
            assert!(theme_values(&stated).contains(&"occupation-du-sol".to_owned()));
        }
    }

    #[test]
    fn a_word_inside_a_longer_rule_of_another_concept_does_not_count() {
        let habitats = DatasetView {
            keywords: vec!["Habitats naturels".into()],
            ..DatasetView::default()
        };
        let themes = theme_values(&habitats);
        assert!(themes.contains(&"inventaires-nature-et-biodiversite".to_owned()));
        assert!(!themes.contains(&"habitat-et-politique-de-la-ville".to_owned()));
        let atlas = DatasetView {
            title: Some("Atlas des zones inondables de l'Aulne".into()),
            ..DatasetView::default()
        };
        let themes = theme_values(&atlas);
        assert!(themes.contains(&"prevention-des-inondations".to_owned()));
        assert!(!themes.contains(&"etudes".to_owned()), "{themes:?}");
    }

    #[test]
    fn generic_filing_words_make_no_theme() {
        for word in ["Environnement", "Atlas"] {
            let v = DatasetView {
                title: Some("Bancs publics".into()),
                keywords: vec![word.into()],
                ..DatasetView::default()
            };
            assert!(theme_values(&v).is_empty(), "{word}");
        }
    }

    #[test]
    fn covadis_categories_name_their_sub_theme() {
        let v = DatasetView {
            keywords: vec!["Aménagement Urbanisme/Zonages Planification".into()],
            ..DatasetView::default()
        };
        let themes = theme_values(&v);
        assert!(themes.contains(&"planification".to_owned()), "{themes:?}");
        assert!(
            !themes.contains(&"zonages-d-amenagement".to_owned()),
            "{themes:?}"
        );
    }

    #[test]
    fn only_the_best_supported_themes_are_kept() {
        let cadastre = DatasetView {
            title: Some("Parcelles cadastrales".into()),
            keywords: vec![
                "cadastre".into(),
                "parcellaire".into(),
                "propriété foncière".into(),
                "eau".into(),
                "transport".into(),
                "urbanisme".into(),
                "risque".into(),
                "énergie".into(),
            ],
            ..DatasetView::default()
        };
        let c = classify(&cadastre, vocabularies(), &SourceContexts::new());
        let tops: Vec<&str> = c
            .themes
            .iter()
            .filter(|a| a.parent.is_none())
            .map(|a| a.value.as_str())
            .collect();
        assert!(tops.len() <= MAX_TOP_THEMES, "{tops:?}");
        assert_eq!(tops, ["foncier-et-occupation-du-sol"]);
    }

    #[test]
    fn the_description_is_weaker_evidence_than_keywords() {
        let alone = DatasetView {
            title: Some("Couche 2015".into()),
            description: Some("Inventaire des zones humides du bassin versant.".into()),
            ..DatasetView::default()
        };
        let c = classify(&alone, vocabularies(), &SourceContexts::new());
        let masses = c
            .themes
            .iter()
            .find(|a| a.value == "masses-d-eau")
            .expect("from the description");
        assert!(
            masses.reasons[0].starts_with("description :"),
            "{:?}",
            masses.reasons
        );
        let noise = DatasetView {
            keywords: vec!["bruit".into()],
            description: Some("Zones de bruit le long des cours d'eau navigables.".into()),
            ..DatasetView::default()
        };
        let themes = theme_values(&noise);
        assert!(themes.contains(&"bruit".to_owned()));
        assert!(!themes.contains(&"eau".to_owned()), "{themes:?}");
    }

    #[test]
    fn an_insee_code_wins_over_bounding_boxes() {
        let v = DatasetView {
            spatial: vec!["http://id.insee.fr/geo/commune/64399".into()],
            bboxes: vec!["-1.5,43.2,0.1,43.6".into(), "1.0,45.0,1.5,45.5".into()],
            ..DatasetView::default()
        };
        let c = classify(&v, vocabularies(), &SourceContexts::new());
        let got = values(&c.territories);
        assert!(
            got.contains(&"commune-64399") && got.contains(&"64"),
            "{got:?}"
        );
        assert!(!got.contains(&"region-76"), "{got:?}");
    }

    #[test]
    fn a_box_larger_than_any_region_makes_a_national_record() {
        let v = DatasetView {
            bboxes: vec![
                "-5.15,41.32,9.57,51.10".into(),
                "8.53,41.33,9.56,43.03".into(),
                "-54.61,2.10,-51.61,5.76".into(),
            ],
            ..DatasetView::default()
        };
        let c = classify(&v, vocabularies(), &SourceContexts::new());
        assert_eq!(values(&c.territories), vec!["national"]);
    }

    #[test]
    fn inspire_registry_iris_are_read_in_https_too() {
        let v = DatasetView {
            themes: vec![
                "https://inspire.ec.europa.eu/metadata-codelist/TopicCategory/inlandWaters".into(),
            ],
            ..DatasetView::default()
        };
        let c = classify(&v, vocabularies(), &SourceContexts::new());
        let eau = c.themes.iter().find(|a| a.value == "eau").expect("eau");
        assert_eq!(eau.reasons, vec!["catégorie ISO inlandWaters".to_owned()]);
    }

    #[test]
    fn a_short_rule_is_not_reached_by_dropping_a_plural_mark() {
        let insee = DatasetView {
            title: Some("Part des ménages présents depuis 5 ans ou plus".into()),
            ..DatasetView::default()
        };
        assert!(!theme_values(&insee).contains(&"planification".to_owned()));
        let plu = DatasetView {
            title: Some("PLU de Naours".into()),
            ..DatasetView::default()
        };
        assert!(theme_values(&plu).contains(&"planification".to_owned()));
    }

    fn use_case_values(v: &DatasetView) -> Vec<String> {
        classify(v, vocabularies(), &SourceContexts::new())
            .use_cases
            .iter()
            .map(|a| a.value.clone())
            .collect()
    }

    /// Class: every keyword rule of the vocabularies can classify a record on its own, as
    /// its title (a rule shadowed by another concept's longer rule, mangled by the
    /// normalization or dropped by the selection would be dead text in a file a domain
    /// expert edits; as a keyword, an INSPIRE theme's label is read as that theme).
    #[test]
    fn every_vocabulary_rule_is_reachable() {
        let v = vocabularies();
        let mut dead = Vec::new();
        for concept in v.themes.concepts() {
            for rule in &concept.keywords {
                let record = DatasetView {
                    title: Some(rule.clone()),
                    ..DatasetView::default()
                };
                if !theme_values(&record).contains(&concept.slug) {
                    dead.push(format!("theme {}: {rule:?}", concept.slug));
                }
            }
        }
        for concept in v.use_cases.concepts() {
            for rule in &concept.keywords {
                let record = DatasetView {
                    title: Some(rule.clone()),
                    ..DatasetView::default()
                };
                if !use_case_values(&record).contains(&concept.slug) {
                    dead.push(format!("use case {}: {rule:?}", concept.slug));
                }
            }
        }
        assert!(dead.is_empty(), "rules that classify nothing: {dead:#?}");
    }

    /// Class: themes that had no rule at all (sport facilities, places of worship,
    /// waste containers, public transport lines) are reached by the phrases producers use.
    #[test]
    fn themes_without_rules_before_have_producer_phrases() {
        for (title, theme) in [
            (
                "Équipements sportifs de la commune",
                "equipements-sportifs-ou-culturels",
            ),
            (
                "Gymnases et terrains de sport",
                "equipements-sportifs-ou-culturels",
            ),
            (
                "Médiathèques et musées",
                "equipements-sportifs-ou-culturels",
            ),
            ("Lieux de culte", "etablissements-d-activites"),
            ("Conteneurs à verre", "dechets"),
            ("Points d'apport volontaire", "dechets"),
            ("Lignes de tramway et de métro", "transport-collectif"),
            ("Chaufferies biomasse", "production-d-energie-hors-eolien"),
            ("Tronçons de voirie", "infrastructure-routiere"),
            ("Arrêtés de catastrophe naturelle", "gestion-du-risque"),
            ("Zonage pluvial", "assainissement"),
        ] {
            let v = DatasetView {
                title: Some(title.into()),
                ..DatasetView::default()
            };
            let themes = theme_values(&v);
            assert!(themes.contains(&theme.to_owned()), "{title}: {themes:?}");
        }
    }

    /// Class: descriptions written as HTML (ArcGIS Hub, udata) are read as their text; the
    /// markup neither fills the part read nor makes words (« div », « quot »).
    #[test]
    fn html_descriptions_are_read_as_text() {
        assert_eq!(
            plain_text(
                "<div>Conteneurs &quot;à verre&quot;</div><br />x &#233;t&eacute;",
                100
            ),
            " Conteneurs \"à verre\"  x été"
        );
        assert_eq!(plain_text("a < b && c", 100), "a < b && c");
        assert_eq!(plain_text("<div>abcdef</div>", 3), " ab");
        let padding = "<div style=\"text-align:left\"><span>&nbsp;</span></div>".repeat(30);
        let v = DatasetView {
            title: Some("Couche 2015".into()),
            description: Some(format!(
                "{padding}<p>Inventaire des zones humides et des cours d'eau</p>"
            )),
            ..DatasetView::default()
        };
        assert!(theme_values(&v).contains(&"masses-d-eau".to_owned()));
    }

    /// Class: an organisation's name among the keywords says who made the data, not what
    /// it is about.
    #[test]
    fn organisation_names_among_keywords_are_not_subjects() {
        let v = DatasetView {
            title: Some("Part des ménages par commune".into()),
            keywords: vec![
                "INSTITUT NATIONAL DE LA STATISTIQUE ET DES ETUDES ECONOMIQUES".into(),
                "Agence de l'eau Seine-Normandie".into(),
            ],
            ..DatasetView::default()
        };
        assert!(theme_values(&v).is_empty(), "{:?}", theme_values(&v));
        assert!(!names_an_organisation("etude"));
        assert!(names_an_organisation("agence de eau adour garonne"));
    }

    /// Class: a record in another language is not read with the French phrases.
    #[test]
    fn records_in_another_language_are_not_read_with_french_phrases() {
        let mut v = DatasetView {
            title: Some("ZVV Fahrplan Tram und Bus".into()),
            keywords: vec!["bus".into(), "tram".into()],
            languages: vec!["de".into()],
            ..DatasetView::default()
        };
        assert!(theme_values(&v).is_empty());
        v.languages = vec!["http://publications.europa.eu/resource/authority/language/FRA".into()];
        assert!(theme_values(&v).contains(&"transport-collectif".to_owned()));
        v.languages = Vec::new();
        assert!(theme_values(&v).contains(&"transport-collectif".to_owned()));
    }

    /// Class: EU data themes set by catalogue software are weak like INSPIRE themes.
    #[test]
    fn eu_data_themes_need_the_records_own_words_to_agree() {
        let v = DatasetView {
            title: Some("Établissements d'enseignement".into()),
            themes: vec![
                "http://publications.europa.eu/resource/authority/data-theme/AGRI".into(),
                "http://publications.europa.eu/resource/authority/data-theme/REGI".into(),
            ],
            ..DatasetView::default()
        };
        let themes = theme_values(&v);
        assert!(themes.contains(&"etablissements-d-enseignement".to_owned()));
        assert!(
            !themes.contains(&"foncier-agricole".to_owned()),
            "{themes:?}"
        );
        assert!(!themes.contains(&"amenagement-et-urbanisme".to_owned()));
    }

    /// Class: a description listing many subjects gives none of them on its own.
    #[test]
    fn a_listing_description_does_not_give_each_subject() {
        let v = DatasetView {
            title: Some("Plan de prévention des risques inondation".into()),
            description: Some(
                "Les risques majeurs regroupent les risques : inondation, mouvement de \
                 terrain, séisme, éruption volcanique, feu de forêt, avalanche, cyclone."
                    .into(),
            ),
            ..DatasetView::default()
        };
        let themes = theme_values(&v);
        assert!(themes.contains(&"prevention-des-inondations".to_owned()));
        assert!(
            !themes.contains(&"prevention-des-eruptions-volcaniques".to_owned()),
            "{themes:?}"
        );
        assert!(!use_case_values(&v).contains(&"foret-incendies".to_owned()));
    }

    /// Class: a top theme found only by its own broad words gives way to specific evidence
    /// under another top theme.
    #[test]
    fn broad_top_words_give_way_to_a_specific_subject() {
        let v = DatasetView {
            title: Some("Stationnement vélos".into()),
            keywords: vec!["mobilité".into()],
            ..DatasetView::default()
        };
        let themes = theme_values(&v);
        assert!(
            themes.contains(&"circulation-douce".to_owned()),
            "{themes:?}"
        );
        assert!(!themes.contains(&"transport-et-deplacements".to_owned()));
        // Alone, the broad word still classifies.
        let v = DatasetView {
            title: Some("Places PMR".into()),
            keywords: vec!["mobilité".into()],
            ..DatasetView::default()
        };
        assert!(theme_values(&v).contains(&"transport-et-deplacements".to_owned()));
    }

    /// Class: a use case follows the record's main subject when it is one of the use
    /// case's themes, and the description with two phrases.
    #[test]
    fn use_cases_follow_the_main_subject_and_the_description() {
        let v = DatasetView {
            title: Some("Chaufferies biomasse".into()),
            ..DatasetView::default()
        };
        let c = classify(&v, vocabularies(), &SourceContexts::new());
        let pcaet = c
            .use_cases
            .iter()
            .find(|a| a.value == "pcaet")
            .expect("pcaet");
        assert!(
            pcaet
                .reasons
                .contains(&"sujet principal « Production d'énergie hors éolien »".to_owned()),
            "{:?}",
            pcaet.reasons
        );
        let once = DatasetView {
            title: Some("Couche 2015".into()),
            description: Some("Données sur le chauffage.".into()),
            ..DatasetView::default()
        };
        assert!(use_case_values(&once).is_empty());
        let twice = DatasetView {
            title: Some("Couche 2015".into()),
            description: Some("Modes de chauffage et précarité énergétique.".into()),
            ..DatasetView::default()
        };
        assert!(use_case_values(&twice).contains(&"renovation-energetique".to_owned()));
    }

    /// Evidence weights are given with the reasons, in the same order.
    #[test]
    fn reasons_carry_their_weights() {
        let v = DatasetView {
            title: Some("Zones humides".into()),
            themes: vec!["inlandWaters".into()],
            description: Some("Inventaire des zones humides du bassin.".into()),
            ..DatasetView::default()
        };
        let c = classify(&v, vocabularies(), &SourceContexts::new());
        let masses = c
            .themes
            .iter()
            .find(|a| a.value == "masses-d-eau")
            .expect("masses");
        assert_eq!(masses.reasons.len(), masses.weights.len());
        for (reason, weight) in masses.reasons.iter().zip(&masses.weights) {
            let expected = if reason.starts_with("titre") { 3 } else { 1 };
            assert_eq!(*weight, expected, "{reason}");
        }
        let eau = c.themes.iter().find(|a| a.value == "eau").expect("eau");
        assert_eq!(eau.reasons.len(), eau.weights.len());
        assert_eq!(eau.weights, vec![1], "{eau:?}");
        assert_eq!(masses.score(), masses.weights.iter().sum::<u32>());
        assert!(c.territories.iter().all(|t| t.weights.is_empty()));
    }

    /// Class: within the record's main top theme, a sub-theme said once beside a subject
    /// developed at length is a side mention; one said twice stays.
    #[test]
    fn a_side_mention_under_the_main_theme_is_dropped() {
        let rpg = DatasetView {
            title: Some("Registre parcellaire graphique".into()),
            keywords: vec![
                "agriculture".into(),
                "RPG".into(),
                "exploitations agricoles".into(),
                "parcelles".into(),
            ],
            ..DatasetView::default()
        };
        let c = classify(&rpg, vocabularies(), &SourceContexts::new());
        let themes = values(&c.themes);
        assert!(themes.contains(&"foncier-agricole"), "{themes:?} {c:?}");
        assert!(!themes.contains(&"propriete-fonciere"), "{themes:?}");
        let mut keywords = rpg.keywords.clone();
        keywords.push("cadastre".into());
        let twice = DatasetView { keywords, ..rpg };
        assert!(theme_values(&twice).contains(&"propriete-fonciere".to_owned()));
    }

    /// Class: a rule inside a longer rule of the same concept is the same mention, not a
    /// second piece of evidence (« servitude » in « servitude d'utilité publique »).
    #[test]
    fn a_nested_rule_of_the_same_concept_is_one_mention() {
        let v = DatasetView {
            title: Some("Repères de crues de Quimper".into()),
            description: Some(
                "Le zonage du PPRI est annexé au PLU en tant que servitude d'utilité publique."
                    .into(),
            ),
            ..DatasetView::default()
        };
        let c = classify(&v, vocabularies(), &SourceContexts::new());
        assert!(values(&c.use_cases).contains(&"ppri"));
        assert!(
            !values(&c.use_cases).contains(&"planification-territoriale"),
            "{:?}",
            c.use_cases
        );
    }

    /// Class: one keyword outside the title is a side subject, not the main subject a use
    /// case follows (« sylviculture » on a forest-fire layer is no biodiversity atlas).
    #[test]
    fn a_single_keyword_is_not_the_main_subject() {
        let v = DatasetView {
            title: Some("Massifs forestiers exposés au risque incendie".into()),
            keywords: vec!["sylviculture".into()],
            ..DatasetView::default()
        };
        let uses = use_case_values(&v);
        assert!(uses.contains(&"foret-incendies".to_owned()), "{uses:?}");
        assert!(!uses.contains(&"abc".to_owned()), "{uses:?}");
    }

    /// Class: use cases are ranked by evidence; one far behind the best is dropped.
    #[test]
    fn use_cases_far_behind_the_best_are_dropped() {
        let v = DatasetView {
            title: Some("Massifs forestiers exposés au risque incendie".into()),
            keywords: vec![
                "espaces boisés".into(),
                "forêt".into(),
                "incendies de forêt".into(),
            ],
            ..DatasetView::default()
        };
        let uses = use_case_values(&v);
        assert_eq!(uses, ["foret-incendies"]);
    }
}
