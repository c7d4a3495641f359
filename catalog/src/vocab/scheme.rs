//! SKOS concept schemes read from the embedded Turtle files.
//!
//! Invariant: the embedded files are part of the binary and a unit test parses them, so
//! [`vocabularies`] cannot fail at run time; it parses them once, on first use.

use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{Quad, Term};
use std::collections::HashMap;
use std::sync::OnceLock;

use super::territories::{Territory, TerritoryLevel};
use super::text::normalize;
use super::{mv, rdf, skos};

/// The embedded vocabulary files: (graph suffix, Turtle text).
pub const VOCABULARY_FILES: &[(&str, &str)] = &[
    ("themes", include_str!("../../vocab/themes.ttl")),
    ("use-cases", include_str!("../../vocab/use-cases.ttl")),
    ("territories", include_str!("../../vocab/territories.ttl")),
];

/// One concept of a theme or use-case scheme, with its classification rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Concept {
    /// The concept IRI.
    pub iri: String,
    /// Its stable, URL-safe slug (`skos:notation`), used in API filters and facets.
    pub slug: String,
    /// French label.
    pub label: String,
    /// Slug of the broader concept, `None` for a top concept.
    pub parent: Option<String>,
    /// French definition, when given.
    pub definition: Option<String>,
    /// Keyword rules, normalized with [`normalize`], in file order.
    pub keywords: Vec<String>,
    /// IRIs of external concepts whose presence classifies a record here.
    pub close_matches: Vec<String>,
    /// IRIs of broad external concepts used only when no other rule matched.
    pub related_matches: Vec<String>,
    /// Slugs of themes whose records serve this concept (use cases only).
    pub themes: Vec<String>,
}

/// A concept scheme: concepts in file order, top concepts before their children.
#[derive(Debug, Clone, Default)]
pub struct ConceptScheme {
    concepts: Vec<Concept>,
    by_slug: HashMap<String, usize>,
}

impl ConceptScheme {
    /// Returns every concept, top concepts and their children in file order.
    pub fn concepts(&self) -> &[Concept] {
        &self.concepts
    }

    /// Returns the concept with slug `slug`.
    pub fn get(&self, slug: &str) -> Option<&Concept> {
        self.by_slug.get(slug).map(|&i| &self.concepts[i])
    }

    /// Returns the top concepts.
    pub fn top_concepts(&self) -> impl Iterator<Item = &Concept> {
        self.concepts.iter().filter(|c| c.parent.is_none())
    }

    /// Returns the children of the concept `slug`.
    pub fn children<'a>(&'a self, slug: &'a str) -> impl Iterator<Item = &'a Concept> + 'a {
        self.concepts
            .iter()
            .filter(move |c| c.parent.as_deref() == Some(slug))
    }

    /// Returns the path of slugs from the top concept down to `slug` (empty when unknown).
    pub fn path(&self, slug: &str) -> Vec<&str> {
        let mut path = Vec::new();
        let mut current = self.get(slug);
        while let Some(concept) = current {
            if path.len() > 8 {
                break;
            }
            path.push(concept.slug.as_str());
            current = concept.parent.as_deref().and_then(|p| self.get(p));
        }
        path.reverse();
        path
    }

    fn from_concepts(mut concepts: Vec<Concept>) -> Self {
        // Top concepts first, then children grouped under their parent, in file order.
        let order: HashMap<String, usize> = concepts
            .iter()
            .enumerate()
            .map(|(i, c)| (c.slug.clone(), i))
            .collect();
        concepts.sort_by_key(|c| {
            let parent_rank = c
                .parent
                .as_ref()
                .and_then(|p| order.get(p).copied())
                .unwrap_or_else(|| order.get(&c.slug).copied().unwrap_or(0));
            (parent_rank, c.parent.is_some(), order.get(&c.slug).copied())
        });
        let by_slug = concepts
            .iter()
            .enumerate()
            .map(|(i, c)| (c.slug.clone(), i))
            .collect();
        Self { concepts, by_slug }
    }
}

/// Every controlled vocabulary Moisson classifies records into.
#[derive(Debug, Clone)]
pub struct Vocabularies {
    /// Ecosphères themes (14) and sub-themes (82).
    pub themes: ConceptScheme,
    /// Use cases, grouped under France Nation Verte themes (the top concepts).
    pub use_cases: ConceptScheme,
    /// Régions and départements.
    pub territories: Vec<Territory>,
}

impl Vocabularies {
    /// Returns the territory with INSEE code `code`.
    pub fn territory(&self, code: &str) -> Option<&Territory> {
        self.territories.iter().find(|t| t.code == code)
    }
}

/// Returns the vocabularies parsed from the embedded files (parsed once).
pub fn vocabularies() -> &'static Vocabularies {
    static VOCABULARIES: OnceLock<Vocabularies> = OnceLock::new();
    VOCABULARIES.get_or_init(|| {
        parse_vocabularies().expect("the embedded vocabulary files are valid (unit-tested)")
    })
}

/// Triples of one file, grouped by subject IRI.
type Subjects = HashMap<String, Vec<(String, Term)>>;

fn parse_file(text: &str) -> Result<Subjects, String> {
    let mut subjects: Subjects = HashMap::new();
    for quad in RdfParser::from_format(RdfFormat::Turtle).for_slice(text.as_bytes()) {
        let Quad {
            subject,
            predicate,
            object,
            ..
        } = quad.map_err(|e| e.to_string())?;
        subjects
            .entry(subject.to_string().trim_matches(['<', '>']).to_owned())
            .or_default()
            .push((predicate.into_string(), object));
    }
    Ok(subjects)
}

fn text_values<'a>(props: &'a [(String, Term)], p: &'a str) -> impl Iterator<Item = &'a str> {
    props
        .iter()
        .filter(move |(pred, _)| pred == p)
        .filter_map(|(_, o)| match o {
            Term::Literal(l) => Some(l.value()),
            _ => None,
        })
}

fn iri_values<'a>(props: &'a [(String, Term)], p: &'a str) -> impl Iterator<Item = &'a str> {
    props
        .iter()
        .filter(move |(pred, _)| pred == p)
        .filter_map(|(_, o)| match o {
            Term::NamedNode(n) => Some(n.as_str()),
            _ => None,
        })
}

fn concepts_of(subjects: &Subjects, scheme: &str) -> Result<Vec<(String, Concept)>, String> {
    let notation_of: HashMap<&str, &str> = subjects
        .iter()
        .filter_map(|(iri, props)| Some((iri.as_str(), text_values(props, skos::NOTATION).next()?)))
        .collect();
    let mut out = Vec::new();
    for (iri, props) in subjects {
        if !iri_values(props, skos::IN_SCHEME).any(|s| s == scheme)
            || !iri_values(props, rdf::TYPE).any(|t| t == skos::CONCEPT)
        {
            continue;
        }
        let slug = notation_of
            .get(iri.as_str())
            .ok_or_else(|| format!("{iri} has no skos:notation"))?;
        let label = text_values(props, skos::PREF_LABEL)
            .next()
            .ok_or_else(|| format!("{iri} has no skos:prefLabel"))?;
        let slugs_of = |p: &str| -> Result<Vec<String>, String> {
            iri_values(props, p)
                .map(|i| {
                    notation_of
                        .get(i)
                        .map(|s| (*s).to_owned())
                        .ok_or_else(|| format!("{iri}: unknown concept {i}"))
                })
                .collect()
        };
        let mut keywords: Vec<String> = Vec::new();
        for k in text_values(props, mv::KEYWORD) {
            let k = normalize(k);
            if !k.is_empty() && !keywords.contains(&k) {
                keywords.push(k);
            }
        }
        let mut close_matches: Vec<String> = iri_values(props, skos::CLOSE_MATCH)
            .chain(iri_values(props, skos::EXACT_MATCH))
            .map(str::to_owned)
            .collect();
        close_matches.sort();
        let mut related_matches: Vec<String> = iri_values(props, skos::RELATED_MATCH)
            .map(str::to_owned)
            .collect();
        related_matches.sort();
        let concept = Concept {
            iri: iri.clone(),
            slug: (*slug).to_owned(),
            label: label.to_owned(),
            parent: slugs_of(skos::BROADER)?.into_iter().next(),
            definition: text_values(props, skos::DEFINITION)
                .next()
                .map(str::to_owned),
            keywords,
            close_matches,
            related_matches,
            // Theme IRIs here (they are concepts of another scheme), slugs once resolved
            // by `parse_vocabularies`.
            themes: iri_values(props, mv::THEME).map(str::to_owned).collect(),
        };
        out.push((iri.clone(), concept));
    }
    Ok(out)
}

/// Returns the concepts of `scheme` in the order their subjects first appear in `text`.
fn scheme_in_file_order(text: &str, scheme: &str) -> Result<ConceptScheme, String> {
    let subjects = parse_file(text)?;
    let mut concepts = concepts_of(&subjects, scheme)?;
    // HashMap order is arbitrary: restore the order of the file.
    concepts.sort_by_key(|(iri, _)| first_position(text, iri));
    Ok(ConceptScheme::from_concepts(
        concepts.into_iter().map(|(_, c)| c).collect(),
    ))
}

/// Position of a concept's notation in the file: concepts are written one block each.
fn first_position(text: &str, iri: &str) -> usize {
    let local = iri.rsplit([':', '/', '#']).next().unwrap_or(iri);
    text.find(&format!(":{local} a skos:Concept"))
        .or_else(|| text.find(&format!("{iri}> a skos:Concept")))
        .unwrap_or(usize::MAX)
}

fn territories_of(text: &str) -> Result<Vec<Territory>, String> {
    let subjects = parse_file(text)?;
    let mut out = Vec::new();
    for (iri, props) in &subjects {
        if !iri_values(props, skos::IN_SCHEME).any(|s| s == mv::TERRITORIES) {
            continue;
        }
        let code = text_values(props, skos::NOTATION)
            .next()
            .ok_or_else(|| format!("{iri} has no code"))?;
        let name = text_values(props, skos::PREF_LABEL)
            .next()
            .ok_or_else(|| format!("{iri} has no name"))?;
        let level = match text_values(props, mv::LEVEL).next() {
            Some("region") => TerritoryLevel::Region,
            Some("departement") => TerritoryLevel::Departement,
            other => return Err(format!("{iri}: unknown level {other:?}")),
        };
        let bbox = text_values(props, mv::BBOX)
            .next()
            .and_then(super::territories::Bbox::parse_plain)
            .ok_or_else(|| format!("{iri}: missing or bad bbox"))?;
        let region = iri_values(props, skos::BROADER)
            .next()
            .and_then(|r| r.rsplit('/').next())
            .map(str::to_owned);
        out.push(Territory::new(
            iri.clone(),
            code.to_owned(),
            name.to_owned(),
            level,
            region,
            bbox,
        ));
    }
    out.sort_by(|a, b| (a.level, &a.code).cmp(&(b.level, &b.code)));
    Ok(out)
}

fn parse_vocabularies() -> Result<Vocabularies, String> {
    let file = |name: &str| {
        VOCABULARY_FILES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
            .ok_or_else(|| format!("no vocabulary file {name}"))
    };
    let themes = scheme_in_file_order(file("themes")?, mv::THEMES)?;
    let mut use_cases = scheme_in_file_order(file("use-cases")?, mv::USE_CASES)?;
    let slug_of: HashMap<&str, &str> = themes
        .concepts()
        .iter()
        .map(|c| (c.iri.as_str(), c.slug.as_str()))
        .collect();
    for concept in &mut use_cases.concepts {
        let mut slugs = Vec::with_capacity(concept.themes.len());
        for iri in &concept.themes {
            let slug = slug_of
                .get(iri.as_str())
                .ok_or_else(|| format!("{}: mv:theme {iri} is not a theme", concept.iri))?;
            slugs.push((*slug).to_owned());
        }
        concept.themes = slugs;
    }
    Ok(Vocabularies {
        themes,
        use_cases,
        territories: territories_of(file("territories")?)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_files_parse() {
        let v = parse_vocabularies().expect("valid files");
        assert_eq!(v.themes.top_concepts().count(), 14);
        assert_eq!(v.themes.concepts().len(), 96);
        assert_eq!(v.territories.len(), 18 + 101);
        assert_eq!(
            v.use_cases.get("ppri").map(|c| c.themes.clone()),
            Some(vec!["prevention-des-inondations".to_owned()]),
            "use cases name the themes that serve them"
        );
        assert!(v.use_cases.get("pcaet").is_some());
        assert!(v.use_cases.get("abc").is_some());
        assert!(v.use_cases.get("bilan-carbone").is_some());
        assert!(v.use_cases.get("renovation-energetique").is_some());
    }

    #[test]
    fn themes_are_in_file_order_with_children_after_parents() {
        let v = vocabularies();
        let first = &v.themes.concepts()[0];
        assert_eq!(first.slug, "climat");
        assert_eq!(v.themes.concepts()[1].parent.as_deref(), Some("climat"));
        assert_eq!(v.themes.path("masses-d-eau"), vec!["eau", "masses-d-eau"]);
        assert!(v
            .themes
            .get("masses-d-eau")
            .expect("exists")
            .keywords
            .contains(&normalize("cours d'eau")));
    }

    #[test]
    fn use_cases_link_to_known_themes() {
        let v = vocabularies();
        for uc in v.use_cases.concepts() {
            for t in &uc.themes {
                assert!(v.themes.get(t).is_some(), "{} -> {t}", uc.slug);
            }
        }
        assert_eq!(
            v.use_cases.get("ppri").expect("ppri").parent.as_deref(),
            Some("transverse")
        );
    }

    #[test]
    fn every_departement_has_a_known_region() {
        let v = vocabularies();
        let deps: Vec<_> = v
            .territories
            .iter()
            .filter(|t| t.level == TerritoryLevel::Departement)
            .collect();
        assert_eq!(deps.len(), 101);
        for d in deps {
            let region = d.region.as_deref().expect("departement has a region");
            assert!(v.territory(region).is_some(), "{}", d.code);
            let r = v.territory(region).expect("region");
            assert!(
                r.bbox.contains(&d.bbox, 0.02),
                "{} not in {}",
                d.name,
                r.name
            );
        }
    }
}
