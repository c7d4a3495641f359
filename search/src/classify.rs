//! Classification of a record into themes, use cases and territories, each assignment
//! with the French reasons that gave it.
//!
//! Deterministic and offline: the rules are the vocabularies' own (keywords, matches
//! with EU data themes, ISO 19115 topic categories and INSPIRE themes, territory codes,
//! names and bounding boxes). The same record always gets the same classification, in
//! vocabulary order.

use moisson_catalog::vocab::territories::key_of_insee_iri;
use moisson_catalog::vocab::text::normalize;
use moisson_catalog::vocab::themes::{
    EU_DATA_THEME_PREFIX, INSPIRE_THEME_PREFIX, ISO_TOPIC_CATEGORY_PREFIX,
};
use moisson_catalog::vocab::{Bbox, ConceptScheme, Territory, TerritoryLevel, Vocabularies};
use moisson_catalog::DatasetView;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assignment {
    /// Slug of the concept, or territory key (`29`, `region-53`).
    pub value: String,
    /// French label.
    pub label: String,
    /// The parent slug or key (theme of a sub-theme, région of a département).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Why it was assigned, in French ("mot-clé « cours d'eau »").
    pub reasons: Vec<String>,
}

/// A record's themes, use cases and territories.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
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
struct Assignments {
    by_value: BTreeMap<String, Vec<String>>,
}

impl Assignments {
    fn add(&mut self, value: &str, reason: String) {
        let reasons = self.by_value.entry(value.to_owned()).or_default();
        if !reasons.contains(&reason) && reasons.len() < 8 {
            reasons.push(reason);
        }
    }

    fn is_empty(&self) -> bool {
        self.by_value.is_empty()
    }

    /// Returns the assignments in the scheme's order, parents added with their child's
    /// reasons when not assigned themselves.
    fn into_concepts(mut self, scheme: &ConceptScheme) -> Vec<Assignment> {
        let children: Vec<(String, Vec<String>)> = self
            .by_value
            .iter()
            .filter_map(|(slug, reasons)| {
                let parent = scheme.get(slug)?.parent.clone()?;
                Some((parent, reasons.clone()))
            })
            .collect();
        for (parent, reasons) in children {
            if !self.by_value.contains_key(&parent) {
                for r in reasons {
                    self.add(&parent, r);
                }
            }
        }
        let mut out = Vec::new();
        for concept in scheme.concepts() {
            if let Some(reasons) = self.by_value.remove(&concept.slug) {
                out.push(Assignment {
                    value: concept.slug.clone(),
                    label: concept.label.clone(),
                    parent: concept.parent.clone(),
                    reasons,
                });
            }
        }
        out
    }
}

/// Normalized text of a record, computed once.
struct RecordText<'a> {
    keywords: Vec<(&'a str, String)>,
    title: Option<(&'a str, String)>,
}

impl<'a> RecordText<'a> {
    fn of(view: &'a DatasetView) -> Self {
        Self {
            keywords: view
                .keywords
                .iter()
                .take(200)
                .map(|k| (k.as_str(), normalize(k)))
                .collect(),
            title: view.title.as_deref().map(|t| (t, normalize(t))),
        }
    }
}

/// The longest keyword rule of the vocabularies, in words (a test keeps them within it).
const MAX_RULE_WORDS: usize = 10;

/// Every phrase (run of up to [`MAX_RULE_WORDS`] whole words) of a record's keywords and
/// title, so that matching ~1,100 keyword rules costs one lookup each instead of a
/// substring search in every keyword (which was most of the time of an index build).
struct Phrases<'t> {
    text: &'t RecordText<'t>,
    /// Phrase → indices of the keywords holding it.
    in_keywords: HashMap<&'t str, Vec<usize>>,
    in_title: HashSet<&'t str>,
}

/// Calls `f` with every run of up to [`MAX_RULE_WORDS`] words of normalized `text`, as
/// slices of it (word boundaries are single spaces, as in
/// [`moisson_catalog::vocab::text::contains_phrase`]).
fn for_each_phrase<'t>(text: &'t str, mut f: impl FnMut(&'t str)) {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices(' ').map(|(i, _)| i + 1))
        .collect();
    let ends: Vec<usize> = text
        .match_indices(' ')
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
        .collect();
    for (i, &start) in starts.iter().enumerate() {
        for &end in ends.iter().skip(i).take(MAX_RULE_WORDS) {
            f(&text[start..end]);
        }
    }
}

impl<'t> Phrases<'t> {
    fn of(text: &'t RecordText<'t>) -> Self {
        let mut in_keywords: HashMap<&'t str, Vec<usize>> = HashMap::new();
        for (i, (_, kw)) in text.keywords.iter().enumerate() {
            for_each_phrase(kw, |phrase| {
                let holders = in_keywords.entry(phrase).or_default();
                if holders.last() != Some(&i) {
                    holders.push(i);
                }
            });
        }
        let mut in_title = HashSet::new();
        if let Some((_, title)) = &text.title {
            for_each_phrase(title, |phrase| {
                in_title.insert(phrase);
            });
        }
        Self {
            text,
            in_keywords,
            in_title,
        }
    }

    /// Adds `slug` to `out` for every keyword rule of `rules` found in keywords or title.
    fn match_rules(&self, slug: &str, rules: &[String], out: &mut Assignments) {
        for rule in rules {
            for &i in self.in_keywords.get(rule.as_str()).into_iter().flatten() {
                out.add(
                    slug,
                    format!("mot-clé « {} »", self.text.keywords[i].0.trim()),
                );
            }
            if self.in_title.contains(rule.as_str()) {
                out.add(slug, format!("titre : « {} »", rule_text(rule)));
            }
        }
    }
}

/// Shows a normalized rule in reasons.
fn rule_text(rule: &str) -> &str {
    rule
}

/// Classifies `view` with `vocab`; `sources` gives what the configuration says of its
/// sources (publisher kind, territory).
pub fn classify(
    view: &DatasetView,
    vocab: &Vocabularies,
    sources: &SourceContexts,
) -> Classification {
    let text = RecordText::of(view);
    let phrases = Phrases::of(&text);
    let (themes, explicit) = classify_themes(view, &phrases, &vocab.themes);
    let explicit: Vec<&str> = explicit.iter().map(String::as_str).collect();
    let use_cases = classify_use_cases(&phrases, &explicit, vocab);
    let territories = classify_territories(view, vocab, sources);
    Classification {
        themes,
        use_cases,
        territories,
    }
}

/// Returns the themes of `view` and, among them, those the record states itself (its
/// `dcat:theme` and categories, not our keyword rules), with their broader themes.
fn classify_themes(
    view: &DatasetView,
    text: &Phrases<'_>,
    scheme: &ConceptScheme,
) -> (Vec<Assignment>, Vec<String>) {
    let mut found = Assignments::default();
    let mut fallback = Assignments::default();
    for theme in view.themes.iter().take(100) {
        let theme = theme.trim();
        let (reason, iri) = explicit_theme_reason(theme);
        let normalized = normalize(theme);
        for concept in scheme.concepts() {
            if concept.iri == theme {
                found.add(
                    &concept.slug,
                    format!("thème Ecosphères « {} »", concept.label),
                );
            } else if iri
                .as_deref()
                .is_some_and(|i| concept.close_matches.iter().any(|m| m == i))
            {
                found.add(&concept.slug, reason.clone());
            } else if iri
                .as_deref()
                .is_some_and(|i| concept.related_matches.iter().any(|m| m == i))
            {
                fallback.add(&concept.slug, reason.clone());
            } else if iri.is_none() && normalize(&concept.label) == normalized {
                found.add(&concept.slug, format!("thème « {theme} »"));
            }
        }
    }
    let mut explicit: Vec<String> = found.by_value.keys().cloned().collect();
    for concept in scheme.concepts() {
        text.match_rules(&concept.slug, &concept.keywords, &mut found);
    }
    if found.is_empty() {
        explicit = fallback.by_value.keys().cloned().collect();
        found = fallback;
    }
    let parents: Vec<String> = explicit
        .iter()
        .filter_map(|slug| scheme.get(slug)?.parent.clone())
        .collect();
    explicit.extend(parents);
    (found.into_concepts(scheme), explicit)
}

/// Returns the French reason for an explicit theme value and the IRI to match with
/// (ISO topic categories given as bare codes are turned into their IRI).
fn explicit_theme_reason(theme: &str) -> (String, Option<String>) {
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

/// Use cases come from their own keyword rules, or from a theme the record states itself:
/// a theme our keyword rules gave is not enough ("submersion marine" makes a record part of
/// flood prevention, not data for a PPRI).
fn classify_use_cases(
    text: &Phrases<'_>,
    themes: &[&str],
    vocab: &Vocabularies,
) -> Vec<Assignment> {
    let mut found = Assignments::default();
    for concept in vocab.use_cases.concepts() {
        if concept.parent.is_none() {
            continue;
        }
        text.match_rules(&concept.slug, &concept.keywords, &mut found);
        for theme in &concept.themes {
            if themes.contains(&theme.as_str()) {
                let label = vocab.themes.get(theme).map_or(theme.as_str(), |t| &t.label);
                found.add(&concept.slug, format!("thème « {label} »"));
            }
        }
    }
    // Use cases are listed without their France Nation Verte group.
    let mut out = found.into_concepts(&vocab.use_cases);
    out.retain(|a| a.parent.is_some());
    out
}

fn classify_territories(
    view: &DatasetView,
    vocab: &Vocabularies,
    sources: &SourceContexts,
) -> Vec<Assignment> {
    let mut found = Assignments::default();
    for spatial in view.spatial.iter().take(200) {
        if let Some(key) = key_of_insee_iri(spatial) {
            if let Some(t) = territory_by_key(vocab, &key) {
                let reason = if spatial.contains("/commune/") {
                    let code = spatial.rsplit('/').next().unwrap_or_default();
                    format!("commune INSEE {code} dans {}", t.name_with_article())
                } else {
                    format!("couverture spatiale INSEE {}", t.name_with_article())
                };
                found.add(&t.key(), reason);
            }
        } else if let Some(bbox) = Bbox::parse_literal(spatial) {
            add_bbox(&mut found, vocab, &bbox);
        }
    }
    for raw in view.bboxes.iter().take(50) {
        if let Some(bbox) = Bbox::parse_literal(raw) {
            add_bbox(&mut found, vocab, &bbox);
        }
    }
    if let Some(publisher) = &view.publisher {
        for t in territories_named_in(vocab, publisher, false) {
            found.add(&t.key(), format!("producteur « {publisher} »"));
        }
        if let Some(t) = departement_of_service_code(vocab, publisher) {
            found.add(&t.key(), format!("producteur « {publisher} »"));
        }
    }
    for theme in view.themes.iter().take(100) {
        if theme.starts_with("http://") || theme.starts_with("https://") {
            continue;
        }
        if let Some(t) = territories_named_in(vocab, theme, false)
            .into_iter()
            .find(|t| t.normalized_name == normalize(theme))
        {
            found.add(&t.key(), format!("thème « {} »", theme.trim()));
        }
    }
    if let Some(title) = &view.title {
        for t in territories_named_in(vocab, title, true) {
            found.add(&t.key(), format!("titre mentionne « {} »", t.name));
        }
    }
    if found.is_empty() {
        for source in &view.sources {
            let Some(context) = sources.get(&source.source) else {
                continue;
            };
            let configured = context.territory.as_deref();
            let regional = context
                .publisher_kind
                .as_deref()
                .is_some_and(|k| !k.eq_ignore_ascii_case("ddt"));
            let lookup = |code: &str| {
                let region = vocab
                    .territories
                    .iter()
                    .find(|t| t.level == TerritoryLevel::Region && t.code == code);
                match region {
                    Some(r) if regional => Some(r),
                    _ => lookup_territory(vocab, code),
                }
            };
            if let Some(t) = configured.and_then(lookup) {
                found.add(
                    &t.key(),
                    format!("catalogue {} ({})", source.source, t.name),
                );
            }
        }
    }
    territory_assignments(found, vocab)
}

/// Adds the département (or else région) whose box best holds `bbox`.
fn add_bbox(found: &mut Assignments, vocab: &Vocabularies, bbox: &Bbox) {
    const TOLERANCE: f64 = 0.05;
    let best = |level: TerritoryLevel| {
        vocab
            .territories
            .iter()
            .filter(|t| t.level == level && t.bbox.contains(bbox, TOLERANCE))
            .min_by(|a, b| {
                fit_distance(&a.bbox, bbox)
                    .partial_cmp(&fit_distance(&b.bbox, bbox))
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
    };
    if let Some(t) = best(TerritoryLevel::Departement) {
        found.add(&t.key(), format!("emprise dans {}", t.name_with_article()));
    } else if let Some(t) = best(TerritoryLevel::Region) {
        found.add(&t.key(), format!("emprise dans {}", t.name_with_article()));
    }
}

/// How far `inner`'s centre lies from `outer`'s, relative to `outer`'s size (0 = centred).
fn fit_distance(outer: &Bbox, inner: &Bbox) -> f64 {
    let (ox, oy) = outer.center();
    let (ix, iy) = inner.center();
    let w = (outer.east - outer.west).max(1e-6);
    let h = (outer.north - outer.south).max(1e-6);
    ((ix - ox) / w).powi(2) + ((iy - oy) / h).powi(2)
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
    let mut candidates: Vec<&Territory> = vocab
        .territories
        .iter()
        .filter(|t| !t.normalized_name.is_empty())
        .collect();
    candidates.sort_by_key(|t| std::cmp::Reverse(t.normalized_name.len()));
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
fn departement_of_service_code<'a>(
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

/// Turns territory keys into assignments, adding each département's région.
fn territory_assignments(mut found: Assignments, vocab: &Vocabularies) -> Vec<Assignment> {
    let regions: Vec<(String, String)> = found
        .by_value
        .keys()
        .filter_map(|key| {
            let t = territory_by_key(vocab, key)?;
            let region = t.region.as_ref()?;
            Some((
                format!("region-{region}"),
                format!("via {}", t.name_with_article()),
            ))
        })
        .collect();
    for (region, reason) in regions {
        found.add(&region, reason);
    }
    let mut out = Vec::new();
    for t in &vocab.territories {
        if let Some(reasons) = found.by_value.remove(&t.key()) {
            out.push(Assignment {
                value: t.key(),
                label: t.name.clone(),
                parent: t.region.as_ref().map(|r| format!("region-{r}")),
                reasons,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use moisson_catalog::store::SourceRef;
    use moisson_catalog::vocab::vocabularies;

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
        assert_eq!(values(&c.territories), vec!["region-53", "29"]);
        assert_eq!(
            c.territories[1].reasons,
            vec!["commune INSEE 29019 dans le département Finistère (29)".to_owned()]
        );

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
}
