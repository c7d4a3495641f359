//! The official geography below the département: communes and EPCI à fiscalité propre,
//! from `catalog/geo/geography.tsv` (converted by `scripts/geography/convert.py` from
//! `@etalab/decoupage-administratif`, Licence Ouverte; see `catalog/geo/LICENCE.md`).
//!
//! The file is embedded and parsed once, on first use ([`geography`]). Régions and
//! départements stay in the territory vocabulary ([`super::Territory`], with their boxes);
//! this module adds the levels under them and the keys that name every level:
//!
//! | level | key |
//! |---|---|
//! | France as a whole | `national` |
//! | région | `region-53` |
//! | département | `29` |
//! | EPCI | `epci-200066637` (SIREN) |
//! | commune | `commune-29232` (INSEE code) |
//!
//! Invariants: every commune's département and région exist in the territory vocabulary
//! (unit-tested); an EPCI's communes are exactly the communes naming it.

use super::text::normalize;
use std::collections::HashMap;
use std::sync::OnceLock;

/// The embedded geography file.
const GEOGRAPHY_TSV: &str = include_str!("../../geo/geography.tsv");

/// The key of France as a whole.
pub const NATIONAL: &str = "national";

/// A commune (commune actuelle of the Code officiel géographique).
#[derive(Debug, Clone, PartialEq)]
pub struct Commune {
    /// INSEE code (`29232`, `2A004`).
    pub code: String,
    /// Name (`Quimper`).
    pub name: String,
    /// Département code.
    pub departement: String,
    /// Région code.
    pub region: String,
    /// SIREN of its EPCI, when it belongs to one.
    pub epci: Option<String>,
    /// Municipal population.
    pub population: u32,
    /// Postal codes.
    pub postal_codes: Vec<String>,
    /// SIREN of the commune itself.
    pub siren: String,
    /// The name normalized with [`normalize`].
    pub normalized_name: String,
}

impl Commune {
    /// Returns the key `commune-{code}`.
    pub fn key(&self) -> String {
        format!("commune-{}", self.code)
    }
}

/// An EPCI à fiscalité propre (métropole, communauté urbaine, d'agglomération, de communes).
#[derive(Debug, Clone, PartialEq)]
pub struct Epci {
    /// SIREN.
    pub siren: String,
    /// `METRO` (métropole), `MET69` (Métropole de Lyon), `CU`, `CA` or `CC`.
    pub kind: String,
    /// Name as the DGCL writes it (`CA Quimper Bretagne Occidentale`).
    pub name: String,
    /// Municipal population.
    pub population: u32,
    /// Départements holding at least a tenth of its population, the largest first.
    pub departements: Vec<String>,
    /// Région of its main département.
    pub region: String,
    /// Indices of its communes in [`Geography::communes`].
    pub communes: Vec<usize>,
    /// The name normalized with [`normalize`].
    pub normalized_name: String,
    /// The normalized name without its kind (`quimper bretagne occidentale`), used to
    /// read « communauté d'agglomération Quimper Bretagne Occidentale ».
    pub normalized_short_name: String,
}

impl Epci {
    /// Returns the key `epci-{siren}`.
    pub fn key(&self) -> String {
        format!("epci-{}", self.siren)
    }

    /// Returns the kind in words: « communauté de communes »…
    pub fn kind_label(&self) -> &'static str {
        match self.kind.as_str() {
            "METRO" | "MET69" => "métropole",
            "CU" => "communauté urbaine",
            "CA" => "communauté d'agglomération",
            _ => "communauté de communes",
        }
    }
}

/// Communes and EPCI, with their lookups.
#[derive(Debug)]
pub struct Geography {
    /// Version of the source package.
    pub version: String,
    /// Communes, by INSEE code.
    pub communes: Vec<Commune>,
    /// EPCI, by SIREN.
    pub epcis: Vec<Epci>,
    commune_by_code: HashMap<String, usize>,
    commune_by_siren: HashMap<String, usize>,
    epci_by_siren: HashMap<String, usize>,
    communes_by_name: HashMap<String, Vec<usize>>,
    communes_by_postal_code: HashMap<String, Vec<usize>>,
    /// EPCI indexes by normalized name and by normalized short name (each index once,
    /// ascending).
    epcis_by_name: HashMap<String, Vec<usize>>,
    /// EPCI indexes by normalized short name only, ascending.
    epcis_by_short_name: HashMap<String, Vec<usize>>,
    /// EPCI indexes by normalized name, for names of two words or more, ascending.
    epcis_by_full_name: HashMap<String, Vec<usize>>,
    /// Most words in an EPCI's normalized name.
    longest_epci_name_words: usize,
    /// The commune of each département made of one commune (Paris).
    single_commune_of_departement: HashMap<String, usize>,
    /// Every word start of every commune's normalized name: the rest of the name from
    /// that word, with the commune's index, sorted (prefix lookups by binary search).
    name_suffixes: Vec<(String, usize)>,
}

impl Geography {
    /// Returns the communes one of whose name's words starts with `prefix` (normalized),
    /// the text after it included (« saint ma » finds « Saint-Malo »), each once.
    pub fn communes_with_word_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = &'a Commune> + 'a {
        let start = self
            .name_suffixes
            .partition_point(|(s, _)| s.as_str() < prefix);
        let mut seen = std::collections::HashSet::new();
        self.name_suffixes[start..]
            .iter()
            .take_while(move |(s, _)| s.starts_with(prefix))
            .filter(move |(_, i)| seen.insert(*i))
            .map(|(_, i)| &self.communes[*i])
    }

    /// Returns the commune with INSEE code `code`; former codes (communes déléguées,
    /// associées, merged) and arrondissements municipaux give today's commune.
    pub fn commune(&self, code: &str) -> Option<&Commune> {
        self.commune_by_code
            .get(&code.to_ascii_uppercase())
            .map(|&i| &self.communes[i])
    }

    /// Returns the commune whose own SIREN is `siren`.
    pub fn commune_by_siren(&self, siren: &str) -> Option<&Commune> {
        self.commune_by_siren.get(siren).map(|&i| &self.communes[i])
    }

    /// Returns the EPCI with SIREN `siren`.
    pub fn epci(&self, siren: &str) -> Option<&Epci> {
        self.epci_by_siren.get(siren).map(|&i| &self.epcis[i])
    }

    /// Returns the EPCI of `commune`.
    pub fn epci_of(&self, commune: &Commune) -> Option<&Epci> {
        commune.epci.as_deref().and_then(|s| self.epci(s))
    }

    /// Returns the communes whose normalized name is `normalized` (several communes share
    /// a name: « Saint-Martin » names 200 of them).
    pub fn communes_named(&self, normalized: &str) -> impl Iterator<Item = &Commune> {
        self.communes_by_name
            .get(normalized)
            .into_iter()
            .flatten()
            .map(|&i| &self.communes[i])
    }

    /// Returns the communes with postal code `code`.
    pub fn communes_with_postal_code(&self, code: &str) -> impl Iterator<Item = &Commune> {
        self.communes_by_postal_code
            .get(code)
            .into_iter()
            .flatten()
            .map(|&i| &self.communes[i])
    }

    /// Returns the communes of `epci`.
    pub fn communes_of<'a>(&'a self, epci: &'a Epci) -> impl Iterator<Item = &'a Commune> + 'a {
        epci.communes.iter().map(|&i| &self.communes[i])
    }

    /// Returns every EPCI whose normalized name or short name is `normalized`, in the
    /// order of [`Geography::epcis`].
    pub fn epcis_named(&self, normalized: &str) -> impl Iterator<Item = &Epci> + '_ {
        self.epcis_indexed(&self.epcis_by_name, normalized)
    }

    /// Returns every EPCI whose normalized short name (without its kind) is `normalized`,
    /// in the order of [`Geography::epcis`].
    pub fn epcis_with_short_name(&self, normalized: &str) -> impl Iterator<Item = &Epci> + '_ {
        self.epcis_indexed(&self.epcis_by_short_name, normalized)
    }

    /// Returns every EPCI whose whole normalized name, of two words or more, is
    /// `normalized`, in the order of [`Geography::epcis`].
    pub fn epcis_with_full_name(&self, normalized: &str) -> impl Iterator<Item = &Epci> + '_ {
        self.epcis_indexed(&self.epcis_by_full_name, normalized)
    }

    /// The most words in an EPCI's normalized name.
    pub fn longest_epci_name_words(&self) -> usize {
        self.longest_epci_name_words
    }

    /// The commune of the département `code` when the département is made of one
    /// commune (Paris), in one lookup.
    pub fn single_commune_of_departement(&self, code: &str) -> Option<&Commune> {
        self.single_commune_of_departement
            .get(code)
            .map(|&i| &self.communes[i])
    }

    fn epcis_indexed<'a>(
        &'a self,
        index: &'a HashMap<String, Vec<usize>>,
        normalized: &str,
    ) -> impl Iterator<Item = &'a Epci> + 'a {
        index
            .get(normalized)
            .into_iter()
            .flatten()
            .map(|&i| &self.epcis[i])
    }
}

/// Returns the geography parsed from the embedded file (parsed once).
pub fn geography() -> &'static Geography {
    static GEOGRAPHY: OnceLock<Geography> = OnceLock::new();
    GEOGRAPHY.get_or_init(|| {
        parse_geography(GEOGRAPHY_TSV).expect("the embedded geography file is valid (unit-tested)")
    })
}

/// Words that name an EPCI's kind at the start of its name, normalized, longest first.
const EPCI_KIND_PREFIXES: &[&str] = &[
    "communaute agglomeration du",
    "communaute agglomeration de la",
    "communaute agglomeration de",
    "communaute agglomeration des",
    "communaute agglomeration",
    "communaute de commune du",
    "communaute de commune de la",
    "communaute de commune de",
    "communaute de commune des",
    "communaute de commune",
    "communaute urbaine du",
    "communaute urbaine de",
    "communaute urbaine",
    "metropole du",
    "metropole de",
    "metropole",
    "cc du",
    "cc de la",
    "cc de",
    "cc des",
    "cc",
    "ca du",
    "ca de la",
    "ca de",
    "ca des",
    "ca",
    "cu du",
    "cu de",
    "cu",
];

/// Returns `normalized` without a leading EPCI kind (« cc du », « métropole de »…).
pub fn strip_epci_kind(normalized: &str) -> &str {
    for prefix in EPCI_KIND_PREFIXES {
        if let Some(rest) = normalized.strip_prefix(prefix) {
            if let Some(rest) = rest.strip_prefix(' ') {
                return rest;
            }
        }
    }
    normalized
}

/// The indexes of `items` under each key `keys` gives an item: ascending, each index
/// once per key.
fn index_by<'a, T>(
    items: &'a [T],
    keys: impl Fn(&'a T) -> Vec<&'a str>,
) -> HashMap<String, Vec<usize>> {
    let mut out: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        for key in keys(item) {
            let at = out.entry(key.to_owned()).or_default();
            if at.last() != Some(&i) {
                at.push(i);
            }
        }
    }
    out
}

fn parse_geography(text: &str) -> Result<Geography, String> {
    let mut version = String::new();
    let mut communes = Vec::new();
    let mut epcis: Vec<Epci> = Vec::new();
    let mut epci_departement = HashMap::new();
    let mut aliases: Vec<(String, String)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split('\t').collect();
        let fail = |what: &str| format!("geography.tsv line {}: {what}", n + 1);
        match fields.as_slice() {
            ["V", v] => version = (*v).to_owned(),
            ["R", ..] | ["D", ..] => {}
            ["E", siren, kind, name, population, dep] => {
                epci_departement.insert((*siren).to_owned(), (*dep).to_owned());
                let normalized_name = normalize(name);
                let normalized_short_name = strip_epci_kind(&normalized_name).to_owned();
                epcis.push(Epci {
                    siren: (*siren).to_owned(),
                    kind: (*kind).to_owned(),
                    name: (*name).to_owned(),
                    population: population.parse().map_err(|_| fail("population"))?,
                    departements: Vec::new(),
                    region: String::new(),
                    communes: Vec::new(),
                    normalized_name,
                    normalized_short_name,
                });
            }
            ["C", code, name, dep, region, epci, population, postal, siren, olds] => {
                for old in olds.split_whitespace() {
                    aliases.push((old.to_string(), (*code).to_owned()));
                }
                communes.push(Commune {
                    code: (*code).to_owned(),
                    name: (*name).to_owned(),
                    departement: (*dep).to_owned(),
                    region: (*region).to_owned(),
                    epci: (!epci.is_empty()).then(|| (*epci).to_owned()),
                    population: population.parse().map_err(|_| fail("population"))?,
                    postal_codes: postal.split_whitespace().map(str::to_owned).collect(),
                    siren: (*siren).to_owned(),
                    normalized_name: normalize(name),
                });
            }
            ["A", code, _name, commune, _postal] => {
                aliases.push(((*code).to_owned(), (*commune).to_owned()));
            }
            _ => return Err(fail("unexpected fields")),
        }
    }
    let mut commune_by_code = HashMap::with_capacity(communes.len() + aliases.len());
    let mut commune_by_siren = HashMap::with_capacity(communes.len());
    for (i, c) in communes.iter().enumerate() {
        commune_by_code.insert(c.code.clone(), i);
        commune_by_siren.insert(c.siren.clone(), i);
    }
    let communes_by_name = index_by(&communes, |c| vec![c.normalized_name.as_str()]);
    let communes_by_postal_code = index_by(&communes, |c| {
        c.postal_codes.iter().map(String::as_str).collect()
    });
    let mut name_suffixes = Vec::with_capacity(communes.len() * 2);
    for (i, c) in communes.iter().enumerate() {
        let name = &c.normalized_name;
        for (at, _) in name
            .match_indices(' ')
            .map(|(a, _)| (a + 1, ()))
            .chain([(0, ())])
        {
            name_suffixes.push((name[at..].to_owned(), i));
        }
    }
    name_suffixes.sort();
    for (old, code) in aliases {
        if let Some(&i) = commune_by_code.get(&code) {
            commune_by_code.entry(old).or_insert(i);
        }
    }
    let epci_by_siren: HashMap<String, usize> = epcis
        .iter()
        .enumerate()
        .map(|(i, e)| (e.siren.clone(), i))
        .collect();
    let mut population_by_dep: Vec<HashMap<String, u64>> = vec![HashMap::new(); epcis.len()];
    for (i, c) in communes.iter().enumerate() {
        if let Some(&e) = c.epci.as_ref().and_then(|s| epci_by_siren.get(s)) {
            epcis[e].communes.push(i);
            *population_by_dep[e]
                .entry(c.departement.clone())
                .or_default() += u64::from(c.population);
        }
    }
    let region_of_dep: HashMap<&str, &str> = communes
        .iter()
        .map(|c| (c.departement.as_str(), c.region.as_str()))
        .collect();
    for (e, by_dep) in epcis.iter_mut().zip(population_by_dep) {
        let total: u64 = by_dep.values().sum();
        let mut deps: Vec<(String, u64)> = by_dep.into_iter().collect();
        deps.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        e.departements = deps
            .into_iter()
            .filter(|(_, p)| *p * 10 >= total)
            .map(|(d, _)| d)
            .collect();
        if e.departements.is_empty() {
            if let Some(d) = epci_departement.get(&e.siren).filter(|d| !d.is_empty()) {
                e.departements.push(d.clone());
            }
        }
        e.region = e
            .departements
            .first()
            .and_then(|d| region_of_dep.get(d.as_str()))
            .map(|r| (*r).to_owned())
            .unwrap_or_default();
    }
    let epcis_by_name = index_by(&epcis, |e| {
        vec![e.normalized_name.as_str(), e.normalized_short_name.as_str()]
    });
    let epcis_by_short_name = index_by(&epcis, |e| vec![e.normalized_short_name.as_str()]);
    let epcis_by_full_name = index_by(&epcis, |e| {
        let name = e.normalized_name.as_str();
        if name.contains(' ') {
            vec![name]
        } else {
            Vec::new()
        }
    });
    let longest_epci_name_words = epcis
        .iter()
        .map(|e| e.normalized_name.split(' ').count())
        .max()
        .unwrap_or(0);
    let single_commune_of_departement = index_by(&communes, |c| vec![c.departement.as_str()])
        .into_iter()
        .filter(|(_, of)| of.len() == 1)
        .map(|(d, of)| (d, of[0]))
        .collect();
    Ok(Geography {
        version,
        communes,
        epcis,
        commune_by_code,
        commune_by_siren,
        epci_by_siren,
        communes_by_name,
        communes_by_postal_code,
        epcis_by_name,
        epcis_by_short_name,
        epcis_by_full_name,
        longest_epci_name_words,
        single_commune_of_departement,
        name_suffixes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::vocabularies;

    #[test]
    fn quimper_and_its_epci() {
        let g = geography();
        let quimper = g.commune("29232").expect("Quimper");
        assert_eq!(quimper.name, "Quimper");
        assert_eq!(
            (quimper.departement.as_str(), quimper.region.as_str()),
            ("29", "53")
        );
        assert!(quimper.postal_codes.contains(&"29000".to_owned()));
        let epci = g.epci_of(quimper).expect("EPCI of Quimper");
        assert_eq!(epci.kind, "CA");
        assert!(g.communes_of(epci).any(|c| c.code == "29232"));
        assert_eq!(epci.departements, vec!["29".to_owned()]);
        assert!(g.communes_named("quimper").any(|c| c.code == "29232"));
        assert!(g
            .communes_with_postal_code("29000")
            .any(|c| c.code == "29232"));
    }

    /// The name lookups give what a scan of every EPCI gives, in the same order.
    #[test]
    fn epci_name_lookups_equal_a_scan() {
        let g = geography();
        for e in &g.epcis {
            for name in [&e.normalized_name, &e.normalized_short_name] {
                let scan: Vec<&str> = g
                    .epcis
                    .iter()
                    .filter(|o| &o.normalized_name == name || &o.normalized_short_name == name)
                    .map(|o| o.siren.as_str())
                    .collect();
                let looked: Vec<&str> = g.epcis_named(name).map(|o| o.siren.as_str()).collect();
                assert_eq!(looked, scan, "{name}");
                let short: Vec<&str> = g
                    .epcis
                    .iter()
                    .filter(|o| &o.normalized_short_name == name)
                    .map(|o| o.siren.as_str())
                    .collect();
                let looked: Vec<&str> = g
                    .epcis_with_short_name(name)
                    .map(|o| o.siren.as_str())
                    .collect();
                assert_eq!(looked, short, "{name}");
            }
        }
        assert!(g.longest_epci_name_words() >= 5);
        assert_eq!(
            g.single_commune_of_departement("75")
                .map(|c| c.code.as_str()),
            Some("75056")
        );
        assert!(g.single_commune_of_departement("29").is_none());
    }

    #[test]
    fn former_codes_and_arrondissements_give_todays_commune() {
        let g = geography();
        assert_eq!(g.commune("75101").map(|c| c.code.as_str()), Some("75056"));
        assert_eq!(g.commune("29050").map(|c| c.code.as_str()), Some("29232"));
    }

    #[test]
    fn the_grand_paris_spans_four_departements() {
        let g = geography();
        let mgp = g.epci("200054781").expect("Métropole du Grand Paris");
        assert_eq!(mgp.kind_label(), "métropole");
        let mut deps = mgp.departements.clone();
        deps.sort();
        assert_eq!(deps, ["75", "92", "93", "94"]);
        assert_eq!(strip_epci_kind("metropole du grand pari"), "grand pari");
    }

    #[test]
    fn every_commune_lies_in_a_known_departement_and_region() {
        let g = geography();
        let v = vocabularies();
        assert!(g.communes.len() > 34_000, "{}", g.communes.len());
        assert!(g.epcis.len() > 1_200, "{}", g.epcis.len());
        for c in &g.communes {
            let dep = v.territory(&c.departement);
            assert!(dep.is_some(), "{} {}", c.code, c.departement);
        }
        for e in &g.epcis {
            assert!(!e.communes.is_empty(), "{}", e.siren);
            assert!(!e.region.is_empty(), "{}", e.siren);
        }
    }
}
