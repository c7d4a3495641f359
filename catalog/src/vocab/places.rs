//! Places at every level (France, région, département, EPCI, commune) behind one key, with
//! their parents and an autocomplete lookup.
//!
//! A place's key is what the index stores and URLs carry: `national`, `region-53`, `29`,
//! `epci-200066637`, `commune-29232` (see [`super::geography`]). Its parents are the
//! places that hold it, nearest first, without `national` (every place is in France):
//! a commune's EPCI, département and région; an EPCI's départements (those holding a tenth
//! of its population) and their régions; a département's région.

use super::geography::{geography, Commune, Epci, NATIONAL};
use super::text::normalize;
use super::{vocabularies, Territory, TerritoryLevel};
use std::collections::HashMap;
use std::sync::OnceLock;

/// INSEE's geography IRIs.
const INSEE_GEO: &str = "http://id.insee.fr/geo/";

/// France in the EU country authority table (DCAT-AP's vocabulary for countries).
pub const FRANCE_IRI: &str = "http://publications.europa.eu/resource/authority/country/FRA";

/// The level of a place, from the widest to the finest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PlaceLevel {
    /// France as a whole.
    National,
    /// A région.
    Region,
    /// A département.
    Departement,
    /// An EPCI à fiscalité propre.
    Epci,
    /// A commune.
    Commune,
}

impl PlaceLevel {
    /// Returns the level's name in URLs and the API (`commune`, `epci`…).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::National => "national",
            Self::Region => "region",
            Self::Departement => "departement",
            Self::Epci => "epci",
            Self::Commune => "commune",
        }
    }

    /// Returns the level in French words (« intercommunalité »).
    pub fn label(self) -> &'static str {
        match self {
            Self::National => "France entière",
            Self::Region => "région",
            Self::Departement => "département",
            Self::Epci => "intercommunalité",
            Self::Commune => "commune",
        }
    }
}

/// A place at any level.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// The key (`commune-29232`).
    pub key: String,
    /// The level.
    pub level: PlaceLevel,
    /// The official code: INSEE code, or SIREN for an EPCI (empty for France).
    pub code: String,
    /// The name (`Quimper`, `CA Quimper Bretagne Occidentale`).
    pub name: String,
    /// Municipal population (sum of its communes' for a région or département).
    pub population: u64,
    /// Keys of the places holding it, nearest first, without `national`.
    pub parents: Vec<String>,
    /// Postal codes of a commune.
    pub postal_codes: Vec<String>,
}

impl Place {
    /// Returns a label that tells places of the same name apart: « Quimper (29) »,
    /// « Finistère (29) », « CA Quimper Bretagne Occidentale ».
    pub fn label(&self) -> String {
        match self.level {
            PlaceLevel::Commune => {
                let dep = self.parents.iter().find(|k| is_departement_key(k));
                match dep {
                    Some(d) => format!("{} ({d})", self.name),
                    None => self.name.clone(),
                }
            }
            PlaceLevel::Departement => format!("{} ({})", self.name, self.code),
            _ => self.name.clone(),
        }
    }

    /// Returns the IRI Moisson writes for it in `dct:spatial`: INSEE's geography IRIs for
    /// a commune, département or région (`http://id.insee.fr/geo/commune/29232`), the
    /// EPCI's SIREN under INSEE's `intercommunalite` path (the form Moisson also reads),
    /// and the EU country authority's France for `national`.
    ///
    /// ```
    /// use moisson_catalog::vocab::places::place;
    /// assert_eq!(place("commune-29232").unwrap().iri(), "http://id.insee.fr/geo/commune/29232");
    /// assert_eq!(place("2A").unwrap().iri(), "http://id.insee.fr/geo/departement/2A");
    /// ```
    pub fn iri(&self) -> String {
        match self.level {
            PlaceLevel::National => FRANCE_IRI.to_owned(),
            PlaceLevel::Region => format!("{INSEE_GEO}region/{}", self.code),
            PlaceLevel::Departement => format!("{INSEE_GEO}departement/{}", self.code),
            PlaceLevel::Epci => format!("{INSEE_GEO}intercommunalite/{}", self.code),
            PlaceLevel::Commune => format!("{INSEE_GEO}commune/{}", self.code),
        }
    }

    /// Returns true when `key` is this place or one of its parents.
    pub fn is_within(&self, key: &str) -> bool {
        key == NATIONAL || self.key == key || self.parents.iter().any(|p| p == key)
    }
}

fn is_departement_key(key: &str) -> bool {
    !key.contains('-') && key != NATIONAL
}

/// Returns the place a key names (`commune-29232`, `epci-…`, `29`, `region-53`,
/// `national`); `departement-29` and `region:53`-style forms are accepted too.
///
/// ```
/// use moisson_catalog::vocab::places::{place, PlaceLevel};
/// let quimper = place("commune-29232").unwrap();
/// assert_eq!(quimper.level, PlaceLevel::Commune);
/// assert!(quimper.parents.contains(&"29".to_owned()));
/// ```
pub fn place(key: &str) -> Option<Place> {
    let key = key.trim();
    if key == NATIONAL {
        return Some(national());
    }
    let (kind, code) = key.split_once(['-', ':']).unwrap_or(("departement", key));
    match kind {
        "commune" => geography().commune(code).map(commune_place),
        "epci" => geography().epci(code).map(epci_place),
        "departement" => departement(code).map(territory_place),
        "region" => vocabularies()
            .territories
            .iter()
            .find(|t| t.level == TerritoryLevel::Region && t.code == code)
            .map(territory_place),
        _ => None,
    }
}

/// Returns the keys of the places holding `key`, nearest first, without `national`.
pub fn parents_of(key: &str) -> Vec<String> {
    place(key).map(|p| p.parents).unwrap_or_default()
}

fn departement(code: &str) -> Option<&'static Territory> {
    vocabularies()
        .territories
        .iter()
        .find(|t| t.level == TerritoryLevel::Departement && t.code.eq_ignore_ascii_case(code))
}

fn national() -> Place {
    Place {
        key: NATIONAL.to_owned(),
        level: PlaceLevel::National,
        code: String::new(),
        name: "France entière".to_owned(),
        population: populations()
            .iter()
            .filter(|(k, _)| k.starts_with("region-"))
            .map(|(_, p)| *p)
            .sum(),
        parents: Vec::new(),
        postal_codes: Vec::new(),
    }
}

/// Returns the place of a commune.
pub fn commune_place(c: &Commune) -> Place {
    let mut parents = Vec::with_capacity(3);
    if let Some(e) = &c.epci {
        parents.push(format!("epci-{e}"));
    }
    parents.push(c.departement.clone());
    parents.push(format!("region-{}", c.region));
    Place {
        key: c.key(),
        level: PlaceLevel::Commune,
        code: c.code.clone(),
        name: c.name.clone(),
        population: u64::from(c.population),
        parents,
        postal_codes: c.postal_codes.clone(),
    }
}

/// Returns the place of an EPCI.
pub fn epci_place(e: &Epci) -> Place {
    let mut parents = e.departements.clone();
    for d in &e.departements {
        if let Some(r) = departement(d).and_then(|t| t.region.as_ref()) {
            let r = format!("region-{r}");
            if !parents.contains(&r) {
                parents.push(r);
            }
        }
    }
    Place {
        key: e.key(),
        level: PlaceLevel::Epci,
        code: e.siren.clone(),
        name: e.name.clone(),
        population: u64::from(e.population),
        parents,
        postal_codes: Vec::new(),
    }
}

/// Returns the place of a région or département.
pub fn territory_place(t: &Territory) -> Place {
    let (level, parents) = match t.level {
        TerritoryLevel::Region => (PlaceLevel::Region, Vec::new()),
        TerritoryLevel::Departement => (
            PlaceLevel::Departement,
            t.region.iter().map(|r| format!("region-{r}")).collect(),
        ),
    };
    Place {
        key: t.key(),
        level,
        code: t.code.clone(),
        name: t.name.clone(),
        population: populations().get(&t.key()).copied().unwrap_or(0),
        parents,
        postal_codes: Vec::new(),
    }
}

/// Populations of départements and régions, summed from their communes.
fn populations() -> &'static HashMap<String, u64> {
    static POPULATIONS: OnceLock<HashMap<String, u64>> = OnceLock::new();
    POPULATIONS.get_or_init(|| {
        let mut out: HashMap<String, u64> = HashMap::new();
        for c in &geography().communes {
            *out.entry(c.departement.clone()).or_default() += u64::from(c.population);
            *out.entry(format!("region-{}", c.region)).or_default() += u64::from(c.population);
        }
        out
    })
}

/// How well a name answers a typed query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum NameMatch {
    /// The whole name.
    Exact,
    /// The name starts with the query's words (« quimper » → « Quimper Bretagne Occidentale »).
    LeadingWords,
    /// The name starts with the query (« quimp » → « Quimperlé »).
    Prefix,
    /// A later word of the name starts with the query (« gildas » → « Saint-Gildas-des-Bois »).
    InnerWord,
}

fn name_match(name: &str, query: &str) -> Option<NameMatch> {
    if name == query {
        return Some(NameMatch::Exact);
    }
    if let Some(rest) = name.strip_prefix(query) {
        return Some(if rest.starts_with(' ') {
            NameMatch::LeadingWords
        } else {
            NameMatch::Prefix
        });
    }
    let mut at = 0;
    while let Some(pos) = name[at..].find(query) {
        let i = at + pos;
        if i > 0 && name.as_bytes()[i - 1] == b' ' {
            return Some(NameMatch::InnerWord);
        }
        at = i + 1;
        while !name.is_char_boundary(at) {
            at += 1;
        }
    }
    None
}

/// Returns up to `limit` places answering `query`: a code (INSEE code of a commune,
/// département or région, SIREN of an EPCI or of a commune), a postal code, or the start
/// of a name, accent- and case-insensitive. Ranked by how well the name matches, then by
/// level (a région before a département before an EPCI before a commune) for equal
/// matches of the whole name, then by population.
///
/// ```
/// use moisson_catalog::vocab::places::search_places;
/// let found = search_places("quimper", 5);
/// assert_eq!(found[0].key, "commune-29232");
/// assert!(found[1].key.starts_with("epci-"));
/// ```
pub fn search_places(query: &str, limit: usize) -> Vec<Place> {
    let query = query.trim();
    if query.is_empty() || limit == 0 || query.len() > 200 {
        return Vec::new();
    }
    let g = geography();
    let mut out: Vec<Place> = Vec::new();
    let code_like = query.len() <= 9 && query.chars().all(|c| c.is_ascii_alphanumeric());
    if code_like && query.chars().any(|c| c.is_ascii_digit()) {
        if let Some(p) = place(&format!("region-{query}")) {
            out.push(p);
        }
        if let Some(p) = place(query) {
            out.push(p);
        }
        if let Some(e) = g.epci(query) {
            out.push(epci_place(e));
        }
        if let Some(c) = g.commune(query).or_else(|| g.commune_by_siren(query)) {
            out.push(commune_place(c));
        }
        let mut by_postal: Vec<&Commune> = g.communes_with_postal_code(query).collect();
        by_postal.sort_by_key(|c| std::cmp::Reverse(c.population));
        out.extend(by_postal.into_iter().map(commune_place));
        out.dedup_by(|a, b| a.key == b.key);
        out.truncate(limit);
        return out;
    }
    let q = normalize(query);
    if q.is_empty() {
        return Vec::new();
    }
    let mut scored: Vec<(NameMatch, u8, std::cmp::Reverse<u64>, Place)> = Vec::new();
    for t in &vocabularies().territories {
        if let Some(m) = name_match(&t.normalized_name, &q) {
            let p = territory_place(t);
            let rank = if t.level == TerritoryLevel::Region {
                0
            } else {
                1
            };
            scored.push((m, rank, std::cmp::Reverse(p.population), p));
        }
    }
    for e in &g.epcis {
        let m = [
            name_match(&e.normalized_short_name, &q),
            name_match(&e.normalized_name, &q),
        ]
        .into_iter()
        .flatten()
        .min();
        if let Some(m) = m {
            scored.push((
                m,
                2,
                std::cmp::Reverse(u64::from(e.population)),
                epci_place(e),
            ));
        }
    }
    // Communes are many: keep their matches light until the few best are known.
    let mut communes: Vec<(NameMatch, std::cmp::Reverse<u64>, &Commune)> = Vec::new();
    for c in g.communes_with_word_prefix(&q) {
        if let Some(m) = name_match(&c.normalized_name, &q) {
            communes.push((m, std::cmp::Reverse(u64::from(c.population)), c));
        }
    }
    communes.sort_by(|a, b| (a.0, a.1, &a.2.code).cmp(&(b.0, b.1, &b.2.code)));
    communes.truncate(limit);
    for (m, pop, c) in communes {
        scored.push((m, 3, pop, commune_place(c)));
    }
    // A commune that bears the whole name comes before an EPCI named after it; otherwise
    // wider places come first.
    scored.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| match a.0 {
                NameMatch::Exact => a.1.cmp(&b.1),
                _ => std::cmp::Ordering::Equal,
            })
            .then_with(|| a.2.cmp(&b.2))
    });
    scored.truncate(limit);
    scored.into_iter().map(|(_, _, _, p)| p).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quimper_lists_the_commune_then_its_epci() {
        let found = search_places("Quimper", 10);
        assert_eq!(found[0].key, "commune-29232");
        let epci = &found[1];
        assert_eq!(epci.level, PlaceLevel::Epci);
        assert!(found[0].parents.contains(&epci.key));
        assert!(found.iter().any(|p| p.name.starts_with("Quimperl")));
    }

    #[test]
    fn codes_and_postal_codes() {
        assert_eq!(search_places("29232", 3)[0].key, "commune-29232");
        assert_eq!(search_places("29000", 3)[0].key, "commune-29232");
        let by_code = search_places("29", 3);
        assert_eq!(by_code[0].key, "29");
        assert_eq!(search_places("200054781", 3)[0].level, PlaceLevel::Epci);
        assert_eq!(search_places("53", 3)[0].key, "region-53");
    }

    #[test]
    fn names_ignore_accents_and_case_and_rank_by_level() {
        let found = search_places("FINISTERE", 3);
        assert_eq!(found[0].key, "29");
        let found = search_places("bretagne", 3);
        assert_eq!(found[0].key, "region-53");
        assert!(search_places("évian", 3)
            .iter()
            .any(|p| p.key == "commune-74119"));
    }

    #[test]
    fn keys_and_parents() {
        let mgp = place("epci-200054781").expect("MGP");
        assert!(mgp.parents.contains(&"93".to_owned()));
        assert!(mgp.parents.contains(&"region-11".to_owned()));
        assert_eq!(
            place("departement-29").map(|p| p.key),
            Some("29".to_owned())
        );
        assert_eq!(
            place("region-53").map(|p| p.level),
            Some(PlaceLevel::Region)
        );
        assert!(place("commune-99999").is_none());
        assert!(place("epci-x").is_none());
        let quimper = place("commune-29232").expect("Quimper");
        assert_eq!(quimper.label(), "Quimper (29)");
        assert!(quimper.is_within("region-53"));
        assert!(!quimper.is_within("22"));
    }
}
