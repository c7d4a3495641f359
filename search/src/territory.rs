//! Territory detection: where a record's data lies, at the finest level the record
//! supports (commune, EPCI, département, région, or France as a whole), each place with
//! its French reason.
//!
//! Signals, in order of trust; the first level that finds something decides, and the
//! weaker ones are not read (a commune's plan often carries its département's box):
//! 1. explicit codes: INSEE territory IRIs, INSEE codes and SIREN numbers written in the
//!    title, keywords or identifiers (a bare code needs its commune's name beside it);
//! 2. names: a commune or an EPCI named with its type (« commune de Cartigny »,
//!    « Ville d'Évian-les-Bains », « CC du Pays de … », « PLUi de … », « Métropole … »),
//!    a multi-word EPCI name or a sizeable commune's name standing alone in the title, a
//!    keyword or the publisher, départements and régions named as today, and the words
//!    that say France as a whole; a name shared by several communes is kept only when the
//!    other signals (boxes, publisher, source) point to one département;
//! 3. the source's configured territory;
//! 4. geometry: the département holding the box; a box over several départements gives
//!    those it covers for the most part, or their région when it covers most of that
//!    région; a box covering most of France (or larger) makes the record `national`,
//!    whatever its other boxes (the overseas parts of a national dataset).
//!
//! 5. the description's opening, last and weakest: places named with their type,
//!    départements and régions named after a preposition, the words that say France as
//!    a whole (« pour Paris », « sur l'ensemble du territoire national »).
//! 6. the host name of the record's portal (landing page, identifiers), weakest of all:
//!    local portals are named after their commune or EPCI (« vanves-seineouest
//!    .opendatasoft.com », « data.capatlantique.fr »), whose records often say nothing of
//!    where they lie.
//!
//! The parents of each place are added (a commune's EPCI, département and région), so a
//! search by département finds its communes' data.

use crate::classify::{
    departement_of_service_code, lookup_territory, territories_named_in, Assignment, Assignments,
    SourceContexts,
};
use crate::derived::{derived, Derived};
use moisson_catalog::vocab::geography::{geography, Commune, Epci, NATIONAL};
use moisson_catalog::vocab::places::{place, PlaceLevel};
use moisson_catalog::vocab::text::normalize;
use moisson_catalog::vocab::{Bbox, Territory, TerritoryLevel, Vocabularies};
use moisson_catalog::DatasetView;
use rustc_hash::FxHashMap;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// Communes named without their type must have at least this population: small
/// communes bear names that are also words (« Plan », « Eu »).
const BARE_COMMUNE_MIN_POPULATION: u32 = 2_000;

/// The facet dimension holding the places a record was found in itself, finest first
/// (not in [`crate::schema::DIMENSIONS`]: it is filtered on, never counted).
pub const SCOPE_DIMENSION: &str = "scope";

/// Returns the facet dimension of a place key: `region`, `departement`, `epci`,
/// `commune` or `national`.
pub fn dimension_of(key: &str) -> &'static str {
    if key == NATIONAL {
        "national"
    } else if key.starts_with("region-") {
        "region"
    } else if key.starts_with("epci-") {
        "epci"
    } else if key.starts_with("commune-") {
        "commune"
    } else {
        "departement"
    }
}

/// One level of a gap view: a place, and the filter that finds the datasets made for it.
#[derive(Debug, Clone, PartialEq)]
pub struct GapLevel {
    /// The place key.
    pub key: String,
    /// Its level.
    pub level: PlaceLevel,
    /// Its label (« Quimper (29) »).
    pub label: String,
    /// The search filter (`territory` for the chosen place and the places in it,
    /// `territory_scope` for the datasets made for a wider place itself) and its value.
    pub filter: (&'static str, String),
}

/// The levels a gap view counts for the place `key`: the place (with the places in it),
/// then each place holding it, nearest first, then France as a whole. Datasets of a
/// wider place count only when made for that place itself: a neighbouring commune's
/// data is not the commune's. `None` for an unknown key.
pub fn gap_levels(key: &str) -> Option<Vec<GapLevel>> {
    let p = place(key)?;
    let mut out = Vec::new();
    if p.level != PlaceLevel::National {
        out.push(GapLevel {
            key: p.key.clone(),
            level: p.level,
            label: p.label(),
            filter: ("territory", p.key.clone()),
        });
    }
    for parent in p.parents.iter().filter_map(|k| place(k)) {
        out.push(GapLevel {
            key: parent.key.clone(),
            level: parent.level,
            label: parent.label(),
            filter: ("territory_scope", parent.key.clone()),
        });
    }
    out.push(GapLevel {
        key: NATIONAL.to_owned(),
        level: PlaceLevel::National,
        label: "France entière".to_owned(),
        filter: ("territory_scope", NATIONAL.to_owned()),
    });
    Some(out)
}

pub(crate) fn classify_territories(
    view: &DatasetView,
    vocab: &Vocabularies,
    sources: &SourceContexts,
) -> Vec<Assignment> {
    let boxes = boxes_of(view);
    // Départements and régions the record names: hints for communes of the same name,
    // and places of their own.
    let mut named = Assignments::default();
    departements_and_regions_named(view, vocab, &mut named);
    let hints = departement_hints(view, vocab, sources, &boxes, &named);
    let mut found = Assignments::default();
    explicit_codes(view, &mut found);
    if found.is_empty() {
        named_places(view, &named, &hints, &mut found);
    }
    if found.is_empty() {
        configured_territory(view, vocab, sources, &mut found);
    }
    if found.is_empty() {
        add_geometry(&mut found, vocab, &boxes);
    }
    if found.is_empty() {
        described_places(view, vocab, &hints, &mut found);
    }
    if found.is_empty() {
        portal_host_places(view, &hints, &mut found);
    }
    if found.is_empty() {
        national_mesh(view, &mut found);
    }
    with_parents(found)
}

fn boxes_of(view: &DatasetView) -> Vec<Bbox> {
    let mut boxes = Vec::new();
    for spatial in view.spatial.iter().take(200) {
        if !spatial.starts_with("http") {
            if let Some(b) = Bbox::parse_literal(spatial) {
                boxes.push(b);
            }
        }
    }
    for raw in view.bboxes.iter().take(50) {
        if let Some(b) = Bbox::parse_literal(raw) {
            boxes.push(b);
        }
    }
    boxes
}

// ---------------------------------------------------------------------------------------
// 1. Explicit codes

/// Returns the place key an INSEE (or geo.api.gouv.fr) territory IRI names.
fn place_of_iri(iri: &str) -> Option<String> {
    let rest = iri
        .strip_prefix("http://id.insee.fr/geo/")
        .or_else(|| iri.strip_prefix("https://id.insee.fr/geo/"))
        .or_else(|| iri.strip_prefix("https://geo.api.gouv.fr/"))?;
    let (kind, code) = rest.split_once('/')?;
    let code = code.trim_end_matches('/');
    if code.is_empty() || code.len() > 9 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let g = geography();
    match kind {
        "commune"
        | "communes"
        | "communeDeleguee"
        | "communeAssociee"
        | "arrondissementMunicipal" => g.commune(code).map(Commune::key),
        "intercommunalite" | "epci" | "epcis" => g.epci(code).map(Epci::key),
        "departement" | "departements" => place(code).map(|p| p.key),
        "region" | "regions" => place(&format!("region-{code}")).map(|p| p.key),
        _ => None,
    }
}

/// Words of `text` that could be codes: runs of ASCII letters and digits.
fn code_tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| (5..=9).contains(&t.len()) && t.chars().any(|c| c.is_ascii_digit()))
}

fn explicit_codes(view: &DatasetView, found: &mut Assignments) {
    for spatial in view.spatial.iter().take(200) {
        if let Some(p) = place_of_iri(spatial).and_then(|k| place(&k)) {
            found.add(&p.key, format!("couverture spatiale INSEE : {}", p.label()));
        }
    }
    if !found.is_empty() {
        return;
    }
    let g = geography();
    let words = record_words(view);
    let texts = view
        .title
        .iter()
        .chain(view.keywords.iter().take(200))
        .chain(view.identifiers.iter().take(20));
    for text in texts {
        for token in code_tokens(text) {
            if token.len() == 9 && token.chars().all(|c| c.is_ascii_digit()) {
                if let Some(e) = g.epci(token) {
                    found.add(&e.key(), format!("SIREN {token} de « {} »", e.name));
                } else if let Some(c) = g.commune_by_siren(token) {
                    found.add(&c.key(), format!("SIREN {token} de la commune {}", c.name));
                }
            } else if token.len() == 5 {
                // A five-digit number is as often a postal code: the commune's name must
                // be in the record too.
                if let Some(c) = g.commune(token) {
                    if contains_words(&words, &c.normalized_name) {
                        found.add(&c.key(), format!("code INSEE {token} ({})", c.name));
                    }
                }
            }
        }
    }
}

/// Title, keywords and publisher, normalized, padded with spaces.
fn record_words(view: &DatasetView) -> String {
    let mut out = String::from(" ");
    for text in view
        .title
        .iter()
        .chain(view.keywords.iter().take(200))
        .chain(view.publisher.iter())
    {
        out.push_str(&normalize(text));
        out.push(' ');
    }
    out
}

fn contains_words(padded: &str, normalized: &str) -> bool {
    !normalized.is_empty() && padded.contains(&format!(" {normalized} "))
}

// ---------------------------------------------------------------------------------------
// 2. Names

/// Words that introduce a commune's name (normalized).
const COMMUNE_MARKERS: &[&str] = &[
    "commune",
    "ville",
    "mairie",
    "ccas",
    "plu",
    "plan local urbanisme",
    "carte communale",
    "abc",
    "atlas biodiversite communale",
];

/// Words that introduce an EPCI's name (normalized).
const EPCI_MARKERS: &[&str] = &[
    "communaute de commune",
    "communaute agglomeration",
    "communaute urbaine",
    "metropole",
    "cc",
    "ca",
    "cu",
    "plui",
    "plan local urbanisme intercommunal",
    "intercommunalite",
    "agglomeration",
];

const PREPOSITIONS: &[&str] = &["de la", "de", "du", "des", "a", "au", "aux", "sur"];

/// The longest name starting at word `start` of `words` that `lookup` knows (at most
/// eight words).
fn longest_name<T>(
    words: &[&str],
    start: usize,
    mut lookup: impl FnMut(&str) -> Option<T>,
) -> Option<(T, usize)> {
    let end = (start + 8).min(words.len());
    for stop in (start + 1..=end).rev() {
        let candidate = words[start..stop].join(" ");
        if let Some(t) = lookup(&candidate) {
            return Some((t, stop));
        }
    }
    None
}

/// Markers and prepositions split into normalized words, computed once: markers go
/// through the same normalization as the text (« ccas » → « cca »).
struct MarkerWords {
    commune: Vec<Vec<String>>,
    epci: Vec<Vec<String>>,
    prepositions: Vec<Vec<String>>,
}

fn marker_words() -> &'static MarkerWords {
    static WORDS: std::sync::OnceLock<MarkerWords> = std::sync::OnceLock::new();
    WORDS.get_or_init(|| {
        let split = |list: &[&str], normalized: bool| -> Vec<Vec<String>> {
            list.iter()
                .map(|m| {
                    let m = if normalized {
                        normalize(m)
                    } else {
                        (*m).to_owned()
                    };
                    m.split(' ').map(str::to_owned).collect()
                })
                .collect()
        };
        MarkerWords {
            commune: split(COMMUNE_MARKERS, true),
            epci: split(EPCI_MARKERS, true),
            prepositions: split(PREPOSITIONS, false),
        }
    })
}

/// Whether `words` holds the words of `phrase` from `at`.
fn words_at(words: &[&str], at: usize, phrase: &[String]) -> bool {
    words.len() >= at + phrase.len()
        && words[at..at + phrase.len()]
            .iter()
            .zip(phrase)
            .all(|(a, b)| *a == b)
}

/// Where in `words` a marker of `markers` ends, followed by an optional preposition:
/// the index of the first word of the name.
fn names_after_markers(words: &[&str], markers: &[Vec<String>]) -> Vec<usize> {
    let prepositions = &marker_words().prepositions;
    let mut out = Vec::new();
    for i in 0..words.len() {
        for m in markers {
            if !words_at(words, i, m) {
                continue;
            }
            let mut next = i + m.len();
            for p in prepositions {
                if words.len() > next + p.len() && words_at(words, next, p) {
                    next += p.len();
                    break;
                }
            }
            if next < words.len() {
                out.push(next);
            }
        }
    }
    out
}

/// Picks the commune among several of the same name: the only one, or the only one in
/// the départements the record's other signals point to.
fn pick_commune<'g>(candidates: Vec<&'g Commune>, hints: &BTreeSet<String>) -> Option<&'g Commune> {
    if candidates.len() == 1 {
        return candidates.into_iter().next();
    }
    let mut hinted = candidates
        .into_iter()
        .filter(|c| hints.contains(&c.departement));
    let first = hinted.next()?;
    hinted.next().is_none().then_some(first)
}

fn pick_epci<'g>(candidates: Vec<&'g Epci>, hints: &BTreeSet<String>) -> Option<&'g Epci> {
    if candidates.len() == 1 {
        return candidates.into_iter().next();
    }
    let mut hinted = candidates
        .into_iter()
        .filter(|e| e.departements.iter().any(|d| hints.contains(d)));
    let first = hinted.next()?;
    hinted.next().is_none().then_some(first)
}

fn typed_names(text: &str, what: &str, hints: &BTreeSet<String>, found: &mut Assignments) {
    let g = geography();
    let normalized = normalize(text);
    let words: Vec<&str> = normalized.split(' ').filter(|w| !w.is_empty()).collect();
    for start in names_after_markers(&words, &marker_words().epci) {
        let hit = longest_name(&words, start, |name| {
            pick_epci(g.epcis_named(name).collect(), hints)
        });
        if let Some((e, _)) = hit {
            found.add(&e.key(), format!("{what} nomme « {} »", e.name));
        }
    }
    // Full EPCI names (« CA Quimper Bretagne Occidentale ») wherever they are: one hash
    // lookup per phrase of the text, not a search of the text for each EPCI.
    let mut full: Vec<&Epci> =
        crate::classify::word_phrases(&normalized, g.longest_epci_name_words())
            .into_iter()
            .flat_map(|phrase| g.epcis_with_full_name(phrase))
            .collect();
    full.sort_by_key(|e| e.siren.as_str());
    full.dedup_by_key(|e| e.siren.as_str());
    for e in full {
        found.add(&e.key(), format!("{what} nomme « {} »", e.name));
    }
    for start in names_after_markers(&words, &marker_words().commune) {
        let hit = longest_name(&words, start, |name| {
            pick_commune(g.communes_named(name).collect(), hints)
        });
        if let Some((c, _)) = hit {
            found.add(
                &c.key(),
                format!("{what} nomme la commune {} ({})", c.name, c.departement),
            );
        }
    }
}

/// EPCI names of two significant words or more, and sizeable communes' names, standing
/// alone: a whole title segment (« Bureaux de vote - Vanves »), keyword or publisher.
fn bare_names(segment: &str, what: &str, hints: &BTreeSet<String>, found: &mut Assignments) {
    let g = geography();
    let normalized = normalize(segment);
    // A place name is written with a capital (« brain » is a word, « Brains » a commune).
    if normalized.is_empty() || !segment.trim_start().starts_with(char::is_uppercase) {
        return;
    }
    let significant = normalized
        .split(' ')
        .filter(|w| !matches!(*w, "de" | "du" | "des" | "la" | "le" | "les" | "et"))
        .count();
    if significant >= 2 {
        if let Some(e) = pick_epci(g.epcis_with_short_name(&normalized).collect(), hints) {
            found.add(&e.key(), format!("{what} « {} »", segment.trim()));
            return;
        }
    }
    let communes: Vec<&Commune> = g
        .communes_named(&normalized)
        .filter(|c| c.population >= BARE_COMMUNE_MIN_POPULATION)
        .collect();
    if let Some(c) = pick_commune(communes, hints) {
        found.add(
            &c.key(),
            format!("{what} « {} » (commune, {})", segment.trim(), c.departement),
        );
    }
}

/// EPCI short names of two significant words or more inside a longer text
/// (« PÉRIMÈTRE 800 M GARES GRAND PARIS EXPRESS »).
fn epci_names_inside(text: &str, what: &str, hints: &BTreeSet<String>, found: &mut Assignments) {
    let g = geography();
    let normalized = normalize(text);
    let words: Vec<&str> = normalized.split(' ').filter(|w| !w.is_empty()).collect();
    let mut i = 0;
    while i < words.len() {
        let hit = longest_name(&words, i, |name| {
            let significant = name
                .split(' ')
                .filter(|w| !matches!(*w, "de" | "du" | "des" | "la" | "le" | "les" | "et"))
                .count();
            if significant < 2 {
                return None;
            }
            pick_epci(g.epcis_with_short_name(name).collect(), hints)
        });
        match hit {
            Some((e, stop)) => {
                found.add(&e.key(), format!("{what} nomme « {} »", e.name));
                i = stop;
            }
            None => i += 1,
        }
    }
}

/// Title phrases and keywords that say France as a whole: the words themselves, and the
/// national networks and reference inventories that cover it (« Gestionnaires du réseau
/// routier national »).
const NATIONAL_PHRASES: &[&str] = &[
    "france entiere",
    "france metropolitaine",
    "toute la france",
    "territoire national",
    "echelle nationale",
    "niveau national",
    "ensemble du territoire national",
    "couverture nationale",
    "reseau routier national",
    "reseau ferre national",
    "inventaire national",
    "referentiel national",
    "registre national",
];
/// Not « France » alone: local records carry it as the country they are in.
const NATIONAL_KEYWORDS: &[&str] = &["national", "nationale", "niveau national"];

fn title_segments(title: &str) -> impl Iterator<Item = &str> {
    title
        .split([':', '|', '(', ')', ',', ';', '–', '—'])
        .flat_map(|s| s.split(" - "))
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn named_places(
    view: &DatasetView,
    named: &Assignments,
    hints: &BTreeSet<String>,
    found: &mut Assignments,
) {
    if let Some(title) = &view.title {
        typed_names(title, "le titre", hints, found);
    }
    if let Some(publisher) = &view.publisher {
        typed_names(publisher, "le producteur", hints, found);
    }
    for k in view.keywords.iter().take(100) {
        typed_names(k, "un mot-clé", hints, found);
    }
    if found.is_empty() {
        if let Some(title) = &view.title {
            for segment in title_segments(title) {
                bare_names(segment, "titre", hints, found);
            }
            epci_names_inside(title, "le titre", hints, found);
        }
        for k in view.keywords.iter().take(100) {
            bare_names(k, "mot-clé", hints, found);
        }
        if let Some(publisher) = &view.publisher {
            bare_names(publisher, "producteur", hints, found);
        }
    }
    for (key, reasons) in &named.by_value {
        for reason in reasons {
            found.add(key, reason.clone());
        }
    }
    keep_title_places_over_details(found);
    if found.is_empty() {
        let title = view.title.as_deref().map(normalize).unwrap_or_default();
        let padded = format!(" {title} ");
        let said = NATIONAL_PHRASES
            .iter()
            .find(|p| padded.contains(&format!(" {p} ")))
            .map(|p| format!("titre : « {p} »"))
            .or_else(|| {
                view.keywords.iter().take(200).find_map(|k| {
                    let n = normalize(k);
                    let padded = format!(" {n} ");
                    (NATIONAL_KEYWORDS.contains(&n.as_str())
                        || NATIONAL_PHRASES
                            .iter()
                            .any(|p| padded.contains(&format!(" {p} "))))
                    .then(|| format!("mot-clé « {} »", k.trim()))
                })
            });
        if let Some(reason) = said {
            found.add(NATIONAL, reason);
        }
    }
}

/// The description's opening, when nothing else placed the record: places named with
/// their type, départements and régions named after a preposition (« pour Paris »), and
/// the words that say France as a whole. A description mentions places in passing (where
/// the producer sits, where a method comes from), so it is read last.
fn described_places(
    view: &DatasetView,
    vocab: &Vocabularies,
    hints: &BTreeSet<String>,
    found: &mut Assignments,
) {
    let Some(description) = &view.description else {
        return;
    };
    let text = crate::classify::plain_text(description, crate::classify::DESCRIPTION_CHARS);
    typed_names(&text, "la description", hints, found);
    if found.is_empty() {
        for t in territories_named_in(vocab, &text, true) {
            found.add(&t.key(), format!("la description nomme « {} »", t.name));
        }
    }
    if found.is_empty() {
        let padded = format!(" {} ", normalize(&text));
        if let Some(p) = NATIONAL_PHRASES
            .iter()
            .find(|p| padded.contains(&format!(" {p} ")))
        {
            found.add(NATIONAL, format!("description : « {p} »"));
        }
    }
}

/// Local units a statistical series is broken down into (« à la maille IRIS »,
/// « maille communale »).
const MESH_UNITS: &[&str] = &[
    // Normalized: « IRIS » loses its final s as plurals do.
    "iri",
    "communale",
    "commune",
    "intercommunale",
    "epci",
    "departementale",
    "departement",
    "regionale",
    "region",
    "carreau",
    "carroyee",
];

/// A series given « à la maille » of a local unit with no place named anywhere is a
/// national series split into local units (the SDES « Données locales de consommation
/// d'énergie … à la maille IRIS »): a local one names the place its units lie in. Read
/// after every other signal, the host name of a local portal included.
fn national_mesh(view: &DatasetView, found: &mut Assignments) {
    let description = view
        .description
        .as_deref()
        .map(|d| crate::classify::plain_text(d, crate::classify::DESCRIPTION_CHARS))
        .unwrap_or_default();
    for text in view.title.iter().chain(std::iter::once(&description)) {
        let n = normalize(text);
        let words: Vec<&str> = n.split(' ').collect();
        for (i, w) in words.iter().enumerate() {
            if *w != "maille" {
                continue;
            }
            // « maille communale », « maille IRIS », « maille de la commune ».
            let unit = words[i + 1..]
                .iter()
                .take(3)
                .find(|u| !matches!(**u, "de" | "la" | "l" | "du" | "des"));
            if let Some(unit) = unit.filter(|u| MESH_UNITS.contains(u)) {
                found.add(
                    NATIONAL,
                    format!("série nationale à la « maille {unit} », sans lieu nommé"),
                );
                return;
            }
        }
    }
}

/// Labels of portal host names that name no place.
const GENERIC_HOST_LABELS: &[&str] = &[
    "www",
    "data",
    "donnees",
    "opendata",
    "open",
    "geo",
    "geoportail",
    "catalogue",
    "catalog",
    "hub",
    "arcgis",
    "opendatasoft",
    "ckan",
    "geonetwork",
    "sig",
    "carto",
    "api",
    "com",
    "fr",
    "org",
    "net",
    "eu",
    "gouv",
    "ville",
    "mairie",
    "agglo",
];

/// The name an EPCI goes by, when its official name gives it in parentheses
/// (« CA de la Presqu'île de Guérande Atlantique (Cap Atlantique) »), normalized.
fn usage_name(name: &str) -> Option<String> {
    let inner = name.rsplit_once('(')?.1.strip_suffix(')')?;
    let n = normalize(inner);
    (!n.is_empty()).then_some(n)
}

/// The host name of an http(s) URL, lowercase.
fn host_of(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?.split(':').next()?;
    (!host.is_empty() && host.len() <= 253).then(|| host.to_ascii_lowercase())
}

/// The host names of the record's pages (landing page, IRI, http identifiers), when
/// nothing else placed it: a label naming a sizeable commune, or an EPCI's short name
/// written without spaces (« capatlantique »).
fn portal_host_places(view: &DatasetView, hints: &BTreeSet<String>, found: &mut Assignments) {
    let g = geography();
    let hosts: BTreeSet<String> = view
        .landing_page
        .iter()
        .chain(std::iter::once(&view.iri))
        .chain(view.identifiers.iter().take(20))
        .filter_map(|u| host_of(u))
        .collect();
    for host in &hosts {
        for label in host.split(['.', '-']) {
            if label.len() < 4 || GENERIC_HOST_LABELS.contains(&label) {
                continue;
            }
            let label = normalize(label);
            let mut communes: Vec<&Commune> = g
                .communes_named(&label)
                .filter(|c| c.population >= BARE_COMMUNE_MIN_POPULATION)
                .collect();
            if communes.is_empty() {
                communes = host_forms_of_communes()
                    .get(label.as_str())
                    .cloned()
                    .unwrap_or_default();
            }
            if let Some(c) = pick_commune(communes, hints) {
                found.add(
                    &c.key(),
                    format!(
                        "adresse du portail « {host} » (commune de {}, {})",
                        c.name, c.departement
                    ),
                );
                continue;
            }
            let epcis: Vec<&Epci> = g
                .epcis
                .iter()
                .filter(|e| {
                    let usage = usage_name(&e.name);
                    [Some(e.normalized_short_name.clone()), usage]
                        .into_iter()
                        .flatten()
                        .any(|n| n.contains(' ') && n.replace(' ', "") == label)
                })
                .collect();
            if let Some(e) = pick_epci(epcis, hints) {
                found.add(
                    &e.key(),
                    format!("adresse du portail « {host} » ({})", e.name),
                );
            }
        }
    }
}

/// Words that link a commune's leading name to the rest of it (« Évian-les-Bains »,
/// « Châlons-en-Champagne », « Boulogne-sur-Mer »): the leading name alone is how the
/// commune is called in everyday use, and in its portals' host names.
const LINKING_WORDS: &[&str] = &[
    "les", "lez", "sur", "sous", "en", "le", "la", "de", "du", "des", "aux",
];

/// The forms sizeable communes take in host names, other than their name itself: the
/// whole name without spaces (« evianlesbains », « aixenprovence ») and the leading name
/// before a linking word (« evian »). A form several communes share lists them all, so
/// the caller keeps it only when the other signals choose one.
fn host_forms_of_communes() -> &'static FxHashMap<String, Vec<&'static Commune>> {
    static FORMS: OnceLock<FxHashMap<String, Vec<&'static Commune>>> = OnceLock::new();
    FORMS.get_or_init(|| {
        let mut forms: FxHashMap<String, Vec<&'static Commune>> = FxHashMap::default();
        for c in geography()
            .communes
            .iter()
            .filter(|c| c.population >= BARE_COMMUNE_MIN_POPULATION)
        {
            let raw: Vec<&str> = c
                .name
                .split(|ch: char| !ch.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect();
            if raw.len() < 2 {
                continue;
            }
            let mut add = |form: String| {
                let list = forms.entry(form).or_default();
                if !list.iter().any(|o| std::ptr::eq(*o, c)) {
                    list.push(c);
                }
            };
            // Normalized as host labels are (accents folded, a final plural s dropped).
            add(normalize(&raw.concat()));
            // « lès » folds to « les »; « d' » and « l' » are elisions normalize drops.
            let linking = raw[1].to_lowercase();
            let linking_word = matches!(linking.as_str(), "d" | "l")
                || LINKING_WORDS.contains(&normalize(&linking).as_str());
            let lead = normalize(raw[0]);
            // Five letters at least: « mont », « pont », « port » are words of many host names
            // (« pays-du-mont-blanc »).
            if lead.len() >= 5 && linking_word {
                add(lead);
            }
        }
        forms
    })
}

/// When the title names places, places of keywords or the publisher that lie inside
/// them are details of the data, not its coverage (« Plages sans plastique en
/// Hauts-de-France » with the keyword « Pas-de-Calais » covers the région).
fn keep_title_places_over_details(found: &mut Assignments) {
    let from_title = |reasons: &Vec<String>| {
        reasons
            .iter()
            .any(|r| r.starts_with("titre") || r.starts_with("le titre"))
    };
    let title_keys: Vec<String> = found
        .by_value
        .iter()
        .filter(|(_, r)| from_title(r))
        .map(|(k, _)| k.clone())
        .collect();
    if title_keys.is_empty() {
        return;
    }
    found.by_value.retain(|key, reasons| {
        from_title(reasons)
            || !place(key).is_some_and(|p| title_keys.iter().any(|t| t != key && p.is_within(t)))
    });
}

fn departements_and_regions_named(
    view: &DatasetView,
    vocab: &Vocabularies,
    found: &mut Assignments,
) {
    if let Some(publisher) = &view.publisher {
        for t in territories_named_in(vocab, publisher, false) {
            found.add(&t.key(), format!("producteur « {publisher} »"));
        }
        if let Some(t) = departement_of_service_code(vocab, publisher) {
            found.add(&t.key(), format!("producteur « {publisher} »"));
        }
    }
    for theme in view.themes.iter().chain(&view.keywords).take(200) {
        if theme.starts_with("http://") || theme.starts_with("https://") {
            // Thesaurus IRIs ending with a région or département name (GeoNetwork
            // « …/Région/concepts/HAUTS-DE-FRANCE »).
            let last = theme.rsplit('/').next().unwrap_or_default();
            let last = percent_decoded(last);
            if let Some(t) = lookup_territory(vocab, &last.replace(['_', '-'], " "))
                .filter(|t| t.normalized_name == normalize(&last))
            {
                found.add(&t.key(), format!("thème « {last} »"));
            }
            continue;
        }
        if let Some(t) = territories_named_in(vocab, theme, false)
            .into_iter()
            .find(|t| t.normalized_name == normalize(theme))
        {
            found.add(&t.key(), format!("mot-clé « {} »", theme.trim()));
        }
    }
    if let Some(title) = &view.title {
        for t in territories_named_in(vocab, title, true) {
            found.add(&t.key(), format!("titre mentionne « {} »", t.name));
        }
    }
}

/// Decodes `%XX` escapes of UTF-8 text; undecodable input is returned as it is.
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

// ---------------------------------------------------------------------------------------
// Départements the record points to, to tell communes of the same name apart.

fn departement_hints(
    view: &DatasetView,
    vocab: &Vocabularies,
    sources: &SourceContexts,
    boxes: &[Bbox],
    named: &Assignments,
) -> BTreeSet<String> {
    let mut pointed: Vec<&Territory> = Vec::new();
    for key in named.by_value.keys() {
        pointed.extend(crate::classify::territory_by_key(vocab, key));
    }
    for b in boxes {
        pointed.extend(departements_holding(vocab, b));
    }
    for source in &view.sources {
        let Some(code) = sources
            .get(&source.source)
            .and_then(|c| c.territory.as_deref())
        else {
            continue;
        };
        match place(code) {
            Some(p) => {
                for k in std::iter::once(&p.key).chain(&p.parents) {
                    pointed.extend(crate::classify::territory_by_key(vocab, k));
                }
            }
            None => pointed.extend(lookup_territory(vocab, code)),
        }
    }
    let mut hints = BTreeSet::new();
    for t in pointed {
        match t.level {
            TerritoryLevel::Departement => {
                hints.insert(t.code.clone());
            }
            TerritoryLevel::Region => {
                for d in &vocab.territories {
                    if d.level == TerritoryLevel::Departement
                        && d.region.as_deref() == Some(&t.code)
                    {
                        hints.insert(d.code.clone());
                    }
                }
            }
        }
    }
    hints
}

/// Départements whose box holds the centre of `bbox` (a commune's box may straddle).
fn departements_holding<'v>(vocab: &'v Vocabularies, bbox: &Bbox) -> Vec<&'v Territory> {
    let (x, y) = bbox.center();
    let point = Bbox::new(x, y, x, y);
    vocab
        .territories
        .iter()
        .filter(|t| t.level == TerritoryLevel::Departement)
        .filter(|t| point.is_some_and(|p| t.bbox.contains(&p, 0.0)))
        .collect()
}

// ---------------------------------------------------------------------------------------
// 3. The source's configured territory

fn configured_territory(
    view: &DatasetView,
    vocab: &Vocabularies,
    sources: &SourceContexts,
    found: &mut Assignments,
) {
    for source in &view.sources {
        let Some(context) = sources.get(&source.source) else {
            continue;
        };
        let Some(configured) = context.territory.as_deref() else {
            continue;
        };
        // A place key (`commune-29232`, `epci-…`, `national`) says its level itself.
        if configured.contains('-') || configured == NATIONAL {
            if let Some(p) = place(configured) {
                found.add(&p.key, format!("catalogue {} ({})", source.source, p.name));
                continue;
            }
        }
        let regional = context
            .publisher_kind
            .as_deref()
            .is_some_and(|k| !k.eq_ignore_ascii_case("ddt"));
        let region = vocab
            .territories
            .iter()
            .find(|t| t.level == TerritoryLevel::Region && t.code == configured);
        let t = match region {
            Some(r) if regional => Some(r),
            _ => lookup_territory(vocab, configured),
        };
        if let Some(t) = t {
            found.add(
                &t.key(),
                format!("catalogue {} ({})", source.source, t.name),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// 4. Geometry

/// Share of a département's box a record's box must cover to count it.
const COVERED: f64 = 0.4;

fn add_geometry(found: &mut Assignments, vocab: &Vocabularies, boxes: &[Bbox]) {
    let mut by_box = Assignments::default();
    for bbox in boxes {
        if is_national(vocab, bbox) {
            found.add(
                NATIONAL,
                "emprise couvrant la plus grande partie de la France".to_owned(),
            );
            return;
        }
        add_bbox(&mut by_box, vocab, bbox);
    }
    for (value, reasons) in by_box.by_value {
        for reason in reasons {
            found.add(&value, reason);
        }
    }
}

/// Share of `inner` that `outer` covers (0 when disjoint).
fn covered_share(outer: &Bbox, inner: &Bbox) -> f64 {
    let w = outer.west.max(inner.west);
    let e = outer.east.min(inner.east);
    let s = outer.south.max(inner.south);
    let n = outer.north.min(inner.north);
    if w >= e || s >= n || inner.area() <= 0.0 {
        return 0.0;
    }
    (e - w) * (n - s) / inner.area()
}

/// A box covering more than half of metropolitan France's départements, or larger than
/// any région while holding none of them whole, is France as a whole.
fn is_national(vocab: &Vocabularies, bbox: &Bbox) -> bool {
    let metropolitan: Vec<&Territory> = vocab
        .territories
        .iter()
        .filter(|t| t.level == TerritoryLevel::Departement && t.code.len() == 2)
        .collect();
    let covered = metropolitan
        .iter()
        .filter(|t| covered_share(bbox, &t.bbox) >= COVERED)
        .count();
    if covered * 2 > metropolitan.len() {
        return true;
    }
    let largest_region = vocab
        .territories
        .iter()
        .filter(|t| t.level == TerritoryLevel::Region)
        .map(|t| t.bbox.area())
        .fold(0.0, f64::max);
    bbox.area() > 2.0 * largest_region
}

/// Adds the département holding `bbox`; else the départements it mostly covers, or the
/// région of which it covers more than half the départements; else the département
/// holding its centre.
fn add_bbox(found: &mut Assignments, vocab: &Vocabularies, bbox: &Bbox) {
    const TOLERANCE: f64 = 0.05;
    let departements = || {
        vocab
            .territories
            .iter()
            .filter(|t| t.level == TerritoryLevel::Departement)
    };
    let holding = departements()
        .filter(|t| t.bbox.contains(bbox, TOLERANCE))
        .min_by(|a, b| {
            fit_distance(&a.bbox, bbox)
                .partial_cmp(&fit_distance(&b.bbox, bbox))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    if let Some(t) = holding {
        found.add(&t.key(), format!("emprise dans {}", t.name_with_article()));
        return;
    }
    // Inside an EPCI made of whole départements (the Métropole du Grand Paris: Paris and
    // the petite couronne), a box over several of them is inside the EPCI.
    if let Some((e, _)) = whole_departement_epcis(vocab)
        .iter()
        .find(|(_, union)| union.contains(bbox, TOLERANCE))
    {
        found.add(
            &e.key(),
            format!(
                "emprise dans « {} » (départements {})",
                e.name,
                e.departements.join(", ")
            ),
        );
        return;
    }
    let covered: Vec<&Territory> = departements()
        .filter(|t| covered_share(bbox, &t.bbox) >= COVERED)
        .collect();
    if covered.is_empty() {
        if let Some(t) = departements_holding(vocab, bbox)
            .into_iter()
            .min_by(|a, b| {
                fit_distance(&a.bbox, bbox)
                    .partial_cmp(&fit_distance(&b.bbox, bbox))
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
        {
            found.add(
                &t.key(),
                format!("centre de l'emprise dans {}", t.name_with_article()),
            );
        }
        return;
    }
    let regions: BTreeSet<&str> = covered.iter().filter_map(|t| t.region.as_deref()).collect();
    let majority = |region: &str| {
        let all = departements()
            .filter(|t| t.region.as_deref() == Some(region))
            .count();
        let here = covered
            .iter()
            .filter(|t| t.region.as_deref() == Some(region))
            .count();
        here * 2 > all
    };
    // A box drawn around a région also covers small départements of its neighbours:
    // with one région mostly covered, other régions count only when mostly covered too.
    let any_majority = regions.iter().any(|r| majority(r));
    if !any_majority {
        if let Some(e) = epci_of_departements(&covered) {
            found.add(
                &e.key(),
                format!(
                    "emprise couvrant les départements de « {} » ({})",
                    e.name,
                    e.departements.join(", ")
                ),
            );
            return;
        }
    }
    for region in regions {
        if any_majority && !majority(region) {
            continue;
        }
        let of_region: Vec<&Territory> = departements()
            .filter(|t| t.region.as_deref() == Some(region))
            .collect();
        let here: Vec<&&Territory> = covered
            .iter()
            .filter(|t| t.region.as_deref() == Some(region))
            .collect();
        if here.len() * 2 > of_region.len() {
            if let Some(r) = vocab
                .territories
                .iter()
                .find(|t| t.level == TerritoryLevel::Region && t.code == region)
            {
                found.add(
                    &r.key(),
                    format!(
                        "emprise couvrant {} des {} départements de {}",
                        here.len(),
                        of_region.len(),
                        r.name_with_article()
                    ),
                );
            }
        } else {
            for t in here {
                found.add(
                    &t.key(),
                    format!("emprise couvrant l'essentiel {}", t.name_with_article()),
                );
            }
        }
    }
}

/// EPCIs spread over several départements that each lie (95 % of their population or
/// more) inside the EPCI, with the union of those départements' boxes: computed once
/// for the embedded vocabulary.
fn whole_departement_epcis(vocab: &Vocabularies) -> Derived<Vec<(&'static Epci, Bbox)>> {
    static FOUND: OnceLock<Vec<(&'static Epci, Bbox)>> = OnceLock::new();
    derived(vocab, &FOUND, |vocab| {
        let g = geography();
        let mut population: std::collections::HashMap<&str, u64> = Default::default();
        for c in &g.communes {
            *population.entry(c.departement.as_str()).or_default() += u64::from(c.population);
        }
        let mut out = Vec::new();
        for e in g.epcis.iter().filter(|e| e.departements.len() >= 2) {
            let whole = e.departements.iter().all(|d| {
                let inside: u64 = g
                    .communes_of(e)
                    .filter(|c| &c.departement == d)
                    .map(|c| u64::from(c.population))
                    .sum();
                let all = population.get(d.as_str()).copied().unwrap_or(0);
                all > 0 && inside * 100 >= all * 95
            });
            let boxes: Vec<Bbox> = e
                .departements
                .iter()
                .filter_map(|d| vocab.territory(d).map(|t| t.bbox))
                .collect();
            if !whole || boxes.len() != e.departements.len() {
                continue;
            }
            let union = boxes.iter().skip(1).try_fold(boxes[0], |u, b| {
                Bbox::new(
                    u.west.min(b.west),
                    u.south.min(b.south),
                    u.east.max(b.east),
                    u.north.max(b.north),
                )
            });
            if let Some(union) = union {
                out.push((e, union));
            }
        }
        out
    })
}

/// The EPCI spread over exactly these départements, when there are several (the
/// Métropole du Grand Paris for Paris and the petite couronne).
fn epci_of_departements(covered: &[&Territory]) -> Option<&'static Epci> {
    if covered.len() < 2 {
        return None;
    }
    let codes: BTreeSet<&str> = covered.iter().map(|t| t.code.as_str()).collect();
    let mut matching = geography().epcis.iter().filter(|e| {
        e.departements.len() == codes.len()
            && e.departements.iter().all(|d| codes.contains(d.as_str()))
    });
    let first = matching.next()?;
    matching.next().is_none().then_some(first)
}

/// How far `inner`'s centre lies from `outer`'s, relative to `outer`'s size (0 = centred).
fn fit_distance(outer: &Bbox, inner: &Bbox) -> f64 {
    let (ox, oy) = outer.center();
    let (ix, iy) = inner.center();
    let w = (outer.east - outer.west).max(1e-6);
    let h = (outer.north - outer.south).max(1e-6);
    ((ix - ox) / w).powi(2) + ((iy - oy) / h).powi(2)
}

// ---------------------------------------------------------------------------------------
// Assignments with their parents

/// A département made of one commune (Paris) is that commune.
fn single_commune_of(key: &str) -> Option<&'static Commune> {
    if key.contains('-') || key == NATIONAL {
        return None;
    }
    geography().single_commune_of_departement(key)
}

fn with_parents(mut found: Assignments) -> Vec<Assignment> {
    // France as a whole says nothing more when finer places were found.
    if found.by_value.len() > 1 {
        found.by_value.remove(NATIONAL);
    }
    // Only when it is the record's one place: Paris among the départements of the
    // petite couronne is the département.
    let singles: Vec<(String, &Commune)> = found
        .by_value
        .keys()
        .filter(|_| found.by_value.len() == 1)
        .filter_map(|k| single_commune_of(k).map(|c| (k.clone(), c)))
        .collect();
    for (key, commune) in singles {
        if let Some(reasons) = found.by_value.remove(&key) {
            for r in reasons {
                found.add(&commune.key(), r);
            }
        }
    }
    let direct: Vec<String> = found.by_value.keys().cloned().collect();
    for key in &direct {
        let Some(p) = place(key) else { continue };
        for parent in &p.parents {
            found.add(parent, format!("via {}", p.label()));
        }
    }
    let mut out = Vec::new();
    for (value, reasons) in std::mem::take(&mut found.by_value) {
        let Some(p) = place(&value) else { continue };
        out.push((
            p.level,
            Assignment {
                value: p.key.clone(),
                label: p.name.clone(),
                parent: p.parents.first().cloned(),
                reasons,
                weights: Vec::new(),
            },
        ));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.value.cmp(&b.1.value)));
    out.into_iter().map(|(_, a)| a).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use moisson_catalog::vocab::vocabularies;

    fn view() -> DatasetView {
        DatasetView {
            id: "x".into(),
            iri: "http://example.org/x".into(),
            kind: "dataset".into(),
            ..DatasetView::default()
        }
    }

    fn values(v: &DatasetView) -> Vec<String> {
        classify_territories(v, vocabularies(), &SourceContexts::new())
            .into_iter()
            .map(|a| a.value)
            .collect()
    }

    #[test]
    fn an_insee_commune_iri_gives_the_commune_and_its_parents() {
        let v = DatasetView {
            spatial: vec!["http://id.insee.fr/geo/commune/26198".into()],
            bboxes: vec!["5.4,45.1,5.9,45.4".into()],
            ..view()
        };
        let got = values(&v);
        assert!(got.contains(&"commune-26198".to_owned()), "{got:?}");
        assert!(got.contains(&"26".to_owned()), "{got:?}");
        assert!(!got.contains(&"38".to_owned()), "{got:?}");
    }

    #[test]
    fn a_commune_named_with_its_type_is_told_apart_by_its_departement() {
        let v = DatasetView {
            title: Some("Plan local d'urbanisme de la commune de Cartigny".into()),
            bboxes: vec![
                "POLYGON((1.31 49.39, 3.28 49.39, 3.28 50.48, 1.31 50.48, 1.31 49.39))".into(),
            ],
            ..view()
        };
        let got = values(&v);
        assert!(got.iter().any(|k| k.starts_with("commune-80")), "{got:?}");
        let v = DatasetView {
            title: Some("Stationnement vélos".into()),
            publisher: Some("Ville d'Evian-les-Bains".into()),
            ..view()
        };
        assert!(values(&v).contains(&"commune-74119".to_owned()));
    }

    #[test]
    fn epci_names_and_siren() {
        let v = DatasetView {
            title: Some("PCAET de la CA Quimper Bretagne Occidentale".into()),
            ..view()
        };
        let got = values(&v);
        let quimper_epci = geography()
            .epci_of(geography().commune("29232").expect("Quimper"))
            .expect("EPCI")
            .key();
        assert!(got.contains(&quimper_epci), "{got:?}");
        assert!(got.contains(&"29".to_owned()));
        let v = DatasetView {
            keywords: vec!["200054781".into()],
            ..view()
        };
        assert!(values(&v).contains(&"epci-200054781".to_owned()));
    }

    #[test]
    fn a_bare_five_digit_number_needs_the_communes_name() {
        let v = DatasetView {
            title: Some("Relevé 29232".into()),
            ..view()
        };
        assert!(!values(&v).contains(&"commune-29232".to_owned()));
        let v = DatasetView {
            title: Some("Quimper (29232) : bâtiments".into()),
            ..view()
        };
        assert!(values(&v).contains(&"commune-29232".to_owned()));
    }

    #[test]
    fn boxes_over_several_departements_and_over_france() {
        // Paris and the petite couronne.
        let v = DatasetView {
            bboxes: vec!["2.1429,48.6449,2.6166,49.0125".into()],
            ..view()
        };
        let got = values(&v);
        for d in ["75", "92", "93", "94"] {
            assert!(got.contains(&d.to_owned()), "{got:?}");
        }
        assert!(!got.contains(&"77".to_owned()), "{got:?}");
        assert!(got.contains(&"epci-200054781".to_owned()), "{got:?}");
        // Paris and part of the Hauts-de-Seine and Val-de-Marne: inside the Métropole
        // du Grand Paris, made of those whole départements.
        let v = DatasetView {
            bboxes: vec!["2.2052,48.7577,2.4371,48.9599".into()],
            ..view()
        };
        let got = values(&v);
        assert!(got.contains(&"epci-200054781".to_owned()), "{got:?}");
        // The région comes only as the EPCI's parent, not as a reading of the box.
        let assigned = classify_territories(&v, vocabularies(), &SourceContexts::new());
        assert!(
            assigned
                .iter()
                .filter(|a| a.value == "region-11")
                .all(|a| a.reasons.iter().all(|r| r.starts_with("via "))),
            "{assigned:?}"
        );
        // A box in one département of it stays that département.
        let v = DatasetView {
            bboxes: vec!["2.40,48.85,2.55,48.95".into()],
            ..view()
        };
        assert!(values(&v).contains(&"93".to_owned()), "{:?}", values(&v));
        assert!(!values(&v).contains(&"epci-200054781".to_owned()));
        // The whole Île-de-France.
        let v = DatasetView {
            bboxes: vec!["1.4406,48.1109,3.5658,49.2486".into()],
            ..view()
        };
        assert_eq!(values(&v), vec!["region-11"]);
        // Metropolitan France plus overseas boxes.
        let v = DatasetView {
            bboxes: vec!["-5.2,41.3,9.6,51.1".into(), "-61.3,14.3,-60.8,14.9".into()],
            ..view()
        };
        assert_eq!(values(&v), vec!["national"]);
    }

    #[test]
    fn gap_levels_go_from_the_place_up_to_france() {
        let levels = gap_levels("commune-29232").expect("Quimper");
        let keys: Vec<&str> = levels.iter().map(|l| l.key.as_str()).collect();
        assert_eq!(keys[0], "commune-29232");
        assert!(keys[1].starts_with("epci-"));
        assert_eq!(&keys[2..], ["29", "region-53", "national"]);
        assert_eq!(levels[0].filter.0, "territory");
        assert_eq!(levels[2].filter, ("territory_scope", "29".to_owned()));
        assert!(gap_levels("commune-00000").is_none());
    }

    #[test]
    fn paris_is_a_commune() {
        let v = DatasetView {
            title: Some("EMPRISE BATIE PARIS".into()),
            ..view()
        };
        let got = values(&v);
        assert!(got.contains(&"commune-75056".to_owned()), "{got:?}");
        assert!(got.contains(&"75".to_owned()), "{got:?}");
    }

    #[test]
    fn names_outrank_the_source_and_the_source_outranks_geometry() {
        let mut sources = SourceContexts::new();
        sources.insert(
            "s".into(),
            crate::classify::SourceContext {
                publisher_kind: None,
                territory: Some("commune-29232".into()),
            },
        );
        let v = DatasetView {
            sources: vec![moisson_catalog::store::SourceRef {
                source: "s".into(),
                first_seen: String::new(),
                last_changed: String::new(),
                page_url: String::new(),
                graph: String::new(),
            }],
            bboxes: vec!["-4.6,48.3,-4.4,48.5".into()],
            ..view()
        };
        let got: Vec<String> = classify_territories(&v, vocabularies(), &sources)
            .into_iter()
            .map(|a| a.value)
            .collect();
        assert!(got.contains(&"commune-29232".to_owned()), "{got:?}");
    }

    /// Class: the description's opening places a record that says nothing else of where
    /// it lies, and only then.
    #[test]
    fn the_description_places_a_record_only_when_nothing_else_does() {
        let v = DatasetView {
            title: Some("Vidéoprotection - Implantation des caméras".into()),
            description: Some(
                "<p>Caméras prévues par le plan de vidéoprotection pour Paris.</p>".into(),
            ),
            ..view()
        };
        let got = values(&v);
        assert!(got.contains(&"75".to_owned()), "{got:?}");
        let boxed = DatasetView {
            bboxes: vec!["-4.60,48.30,-4.40,48.50".into()],
            ..v.clone()
        };
        let got = values(&boxed);
        assert!(
            got.contains(&"29".to_owned()) && !got.contains(&"75".to_owned()),
            "{got:?}"
        );
        let national = DatasetView {
            title: Some("Sections de route".into()),
            description: Some("Données couvrant l'ensemble du territoire national.".into()),
            ..view()
        };
        assert_eq!(values(&national), ["national"]);
    }

    /// Class: a series given « à la maille » of a local unit, with no place named
    /// anywhere, is national; a place named anywhere wins over it.
    #[test]
    fn a_series_by_local_unit_naming_no_place_is_national() {
        let series = DatasetView {
            title: Some("Données locales de consommation d'électricité - IRIS".into()),
            description: Some(
                "Consommations annuelles réparties en cinq secteurs, à la maille IRIS".into(),
            ),
            ..view()
        };
        assert_eq!(values(&series), ["national"]);
        let communal = DatasetView {
            title: Some("Population légale à la maille communale".into()),
            ..view()
        };
        assert_eq!(values(&communal), ["national"]);
        let local = DatasetView {
            title: Some("Population à la maille communale du Finistère".into()),
            ..view()
        };
        let got = values(&local);
        assert!(
            got.contains(&"29".to_owned()) && !got.contains(&"national".to_owned()),
            "{got:?}"
        );
        let boxed = DatasetView {
            bboxes: vec!["-4.60,48.30,-4.40,48.50".into()],
            ..series.clone()
        };
        let got = values(&boxed);
        assert!(
            got.contains(&"29".to_owned()) && !got.contains(&"national".to_owned()),
            "{got:?}"
        );
        // « maille » of something else is not a local unit.
        let net = DatasetView {
            title: Some("Filets de pêche : taille de maille réglementaire".into()),
            ..view()
        };
        assert!(values(&net).is_empty());
    }

    /// Class: a local portal's host name gives its commune's everyday short name (« evian »
    /// for Évian-les-Bains) or its whole name without spaces; a short name several
    /// sizeable communes share (« aix ») places nothing without another signal.
    #[test]
    fn a_host_name_with_a_communes_short_name_places_its_records() {
        let short = DatasetView {
            title: Some("Carte vélo".into()),
            landing_page: Some(
                "https://ville-d-evian-opendata-ville-evian.hub.arcgis.com/maps/x".into(),
            ),
            ..view()
        };
        assert!(
            values(&short).contains(&"commune-74119".to_owned()),
            "{:?}",
            values(&short)
        );
        let whole = DatasetView {
            title: Some("Carte vélo".into()),
            landing_page: Some("https://data.chalonsenchampagne.fr/explore/x".into()),
            ..view()
        };
        assert!(
            values(&whole).contains(&"commune-51108".to_owned()),
            "{:?}",
            values(&whole)
        );
        // A four-letter leading name is a word of many host names, not a commune.
        let word = DatasetView {
            title: Some("Carte vélo".into()),
            landing_page: Some("https://geo.pays-du-mont-blanc.example/x".into()),
            ..view()
        };
        assert!(
            !values(&word).contains(&"commune-40192".to_owned()),
            "{:?}",
            values(&word)
        );
        let shared = DatasetView {
            title: Some("Carte vélo".into()),
            landing_page: Some("https://opendata.aix.example/x".into()),
            ..view()
        };
        assert!(values(&shared).is_empty(), "{:?}", values(&shared));
    }

    /// Class: national networks and inventories named in the title or a keyword cover
    /// France as a whole.
    #[test]
    fn a_national_network_in_the_title_or_a_keyword_is_national() {
        let title = DatasetView {
            title: Some("Gestionnaires du réseau routier national".into()),
            ..view()
        };
        assert_eq!(values(&title), ["national"]);
        let keyword = DatasetView {
            title: Some("Gestionnaires".into()),
            keywords: vec!["reseau-routier-national".into()],
            ..view()
        };
        assert_eq!(values(&keyword), ["national"]);
        // An organisation's « national » is not a coverage.
        let institute = DatasetView {
            title: Some("Institut national de l'information géographique".into()),
            ..view()
        };
        assert!(values(&institute).is_empty());
    }

    /// Class: a local portal's host name names its commune or EPCI (also by the name it
    /// goes by), as the weakest signal.
    #[test]
    fn a_local_portals_host_name_places_its_records_last() {
        let vanves = DatasetView {
            iri: "https://vanves-seineouest.opendatasoft.com/api/explore/v2.1/".into(),
            title: Some("Explore API v2".into()),
            ..view()
        };
        assert!(values(&vanves).contains(&"commune-92075".to_owned()));
        let cap = DatasetView {
            landing_page: Some("https://data.capatlantique.fr/api/explore/v2.1/console".into()),
            title: Some("Explore API v2".into()),
            ..view()
        };
        assert!(
            values(&cap).contains(&"epci-244400610".to_owned()),
            "{:?}",
            values(&cap)
        );
        let generic = DatasetView {
            landing_page: Some("https://www.data.gouv.fr/fr/datasets/x/".into()),
            ..view()
        };
        assert!(values(&generic).is_empty());
        let boxed = DatasetView {
            bboxes: vec!["-4.60,48.30,-4.40,48.50".into()],
            ..vanves
        };
        assert!(!values(&boxed).contains(&"commune-92075".to_owned()));
        assert_eq!(
            host_of("https://user@Data.Example.fr:8443/x?y").as_deref(),
            Some("data.example.fr")
        );
        assert_eq!(host_of("ftp://example.fr/"), None);
    }
}
