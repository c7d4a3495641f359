//! EU high-value datasets (HVD): what a record claims under Commission Implementing
//! Regulation (EU) 2023/138, read one way for search, pages, `/catalog` and quality.
//!
//! DCAT-AP HVD 3.0 puts `dcatap:applicableLegislation` (the regulation's ELI) on the
//! dataset, each of its distributions and the data services that serve it, and
//! `dcatap:hvdCategory` (a concept of the EU vocabulary of HVD categories) on the dataset
//! and the data services. A record graph is the closure of one record, so any node of it
//! stating either is the record stating it.
//!
//! Invariants:
//! - A record claims HVD when one of its nodes cites the regulation or gives a category;
//!   another applicable legislation (INSPIRE, say) claims nothing.
//! - Category values are bounded: a known top category's slug, or the code (`c_` and eight
//!   hexadecimal digits) of another concept of the EU vocabulary; any other object of
//!   `dcatap:hvdCategory` is ignored, never shown or indexed.

use oxigraph::model::{Graph, NamedNodeRef, TermRef};
use serde::{Deserialize, Serialize};

use crate::vocab::dcatap;

/// A top-level category of the EU vocabulary of HVD categories (Annex of the regulation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HvdCategory {
    /// Concept code in `http://data.europa.eu/bna/`.
    pub code: &'static str,
    /// Facet and filter value.
    pub slug: &'static str,
    /// French label (the regulation's French title of the category).
    pub label: &'static str,
}

/// The six categories of the regulation's Annex.
pub const HVD_CATEGORIES: [HvdCategory; 6] = [
    HvdCategory {
        code: "c_ac64a52d",
        slug: "geospatiales",
        label: "Données géospatiales",
    },
    HvdCategory {
        code: "c_dd313021",
        slug: "observation-terre-environnement",
        label: "Observation de la Terre et environnement",
    },
    HvdCategory {
        code: "c_164e0bf5",
        slug: "meteorologiques",
        label: "Données météorologiques",
    },
    HvdCategory {
        code: "c_e1da4e07",
        slug: "statistiques",
        label: "Données statistiques",
    },
    HvdCategory {
        code: "c_a9135398",
        slug: "entreprises",
        label: "Entreprises et propriété des entreprises",
    },
    HvdCategory {
        code: "c_b79e35eb",
        slug: "mobilite",
        label: "Mobilité",
    },
];

/// The facet and filter value of every HVD dataset, whatever its categories.
pub const ANY_HVD: &str = "true";

/// What a record states about the HVD regulation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HvdClaim {
    /// One of its nodes gives the regulation as `dcatap:applicableLegislation`.
    pub legislation: bool,
    /// Its categories as filter values (see [`category_value`]), sorted, at most 20.
    pub categories: Vec<String>,
}

impl HvdClaim {
    /// Adds what `other` claims (a dataset held by several sources).
    pub fn merge(&mut self, other: &HvdClaim) {
        self.legislation |= other.legislation;
        for c in &other.categories {
            if !self.categories.contains(c) && self.categories.len() < 20 {
                self.categories.push(c.clone());
            }
        }
        self.categories.sort();
    }

    /// Returns the French labels of its categories.
    pub fn category_labels(&self) -> Vec<String> {
        self.categories.iter().map(|c| category_label(c)).collect()
    }
}

/// Returns true when `iri` is the ELI of the HVD regulation (`http` or `https`, with or
/// without a trailing slash or a language of the Official Journal such as `/fra`).
pub fn is_hvd_regulation(iri: &str) -> bool {
    let Some(rest) = iri
        .strip_prefix("http://")
        .or_else(|| iri.strip_prefix("https://"))
    else {
        return false;
    };
    let expected = &dcatap::HVD_REGULATION["http://".len()..];
    let rest = rest.trim_end_matches('/');
    match rest.strip_prefix(expected) {
        Some("") => true,
        Some(lang) => {
            lang.len() == 4
                && lang.starts_with('/')
                && lang[1..].bytes().all(|b| b.is_ascii_lowercase())
        }
        None => false,
    }
}

/// Returns the filter value of an HVD category IRI: the slug of a top category, the code of
/// another concept of the EU vocabulary (`c_4ba9548e`), or `None` for anything else.
pub fn category_value(iri: &str) -> Option<String> {
    let rest = iri
        .strip_prefix(dcatap::HVD_CATEGORY_PREFIX)
        .or_else(|| iri.strip_prefix("https://data.europa.eu/bna/"))?;
    if let Some(known) = HVD_CATEGORIES.iter().find(|c| c.code == rest) {
        return Some(known.slug.to_owned());
    }
    is_category_code(rest).then(|| rest.to_owned())
}

fn is_category_code(code: &str) -> bool {
    code.len() == 10
        && code.starts_with("c_")
        && code[2..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Returns true when `value` may be given to the `hvd` filter: [`ANY_HVD`], a top
/// category's slug or a category code.
pub fn is_filter_value(value: &str) -> bool {
    value == ANY_HVD || HVD_CATEGORIES.iter().any(|c| c.slug == value) || is_category_code(value)
}

/// Returns the French label of a filter value.
pub fn category_label(value: &str) -> String {
    if value == ANY_HVD {
        return "Données de forte valeur (HVD)".to_owned();
    }
    match HVD_CATEGORIES.iter().find(|c| c.slug == value) {
        Some(c) => c.label.to_owned(),
        None => format!("Autre catégorie HVD ({value})"),
    }
}

/// Returns what the statements `(predicate, object)` of one record claim, or `None` when
/// they claim nothing.
pub fn claim_of<'a>(
    statements: impl IntoIterator<Item = (&'a str, TermRef<'a>)>,
) -> Option<HvdClaim> {
    let mut claim = HvdClaim::default();
    let mut claims = false;
    for (predicate, object) in statements {
        let TermRef::NamedNode(object) = object else {
            continue;
        };
        match predicate {
            dcatap::APPLICABLE_LEGISLATION if is_hvd_regulation(object.as_str()) => {
                claim.legislation = true;
                claims = true;
            }
            dcatap::HVD_CATEGORY => {
                claims = true;
                if let Some(value) = category_value(object.as_str()) {
                    if !claim.categories.contains(&value) && claim.categories.len() < 20 {
                        claim.categories.push(value);
                    }
                }
            }
            _ => {}
        }
    }
    claim.categories.sort();
    claims.then_some(claim)
}

/// Returns what the record graph `graph` claims, or `None`.
pub fn claim_of_graph(graph: &Graph) -> Option<HvdClaim> {
    let statements = [dcatap::APPLICABLE_LEGISLATION, dcatap::HVD_CATEGORY]
        .into_iter()
        .flat_map(|p| {
            graph
                .triples_for_predicate(NamedNodeRef::new_unchecked(p))
                .map(move |t| (p, t.object))
        });
    claim_of(statements)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shacl::parse_graph;
    use oxigraph::io::RdfFormat;

    fn graph(turtle: &str) -> Graph {
        let text = format!(
            "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n\
             @prefix dcatap: <http://data.europa.eu/r5r/> .\n{turtle}"
        );
        parse_graph(text.as_bytes(), RdfFormat::Turtle, "http://example.org/").expect("turtle")
    }

    #[test]
    fn the_regulation_is_recognised_in_its_usual_spellings_only() {
        for iri in [
            "http://data.europa.eu/eli/reg_impl/2023/138/oj",
            "https://data.europa.eu/eli/reg_impl/2023/138/oj/",
            "http://data.europa.eu/eli/reg_impl/2023/138/oj/fra",
        ] {
            assert!(is_hvd_regulation(iri), "{iri}");
        }
        for iri in [
            "http://data.europa.eu/eli/dir/2007/2/oj",
            "http://data.europa.eu/eli/reg_impl/2023/1380/oj",
            "http://data.europa.eu/eli/reg_impl/2023/138/oj/fr/extra",
            "data.europa.eu/eli/reg_impl/2023/138/oj",
        ] {
            assert!(!is_hvd_regulation(iri), "{iri}");
        }
    }

    #[test]
    fn claims_come_from_the_dataset_its_distributions_and_services() {
        let claim = claim_of_graph(&graph(
            "<http://x/d> a dcat:Dataset ; dcat:distribution <http://x/d#1> .\n\
             <http://x/d#1> dcatap:applicableLegislation <http://data.europa.eu/eli/reg_impl/2023/138/oj> ;\n\
               dcat:accessService [ dcatap:hvdCategory <http://data.europa.eu/bna/c_ac64a52d>, \
                 <http://data.europa.eu/bna/c_4ba9548e>, <http://example.org/not-a-category> ] .",
        ))
        .expect("claims HVD");
        assert!(claim.legislation);
        assert_eq!(claim.categories, ["c_4ba9548e", "geospatiales"]);
        assert_eq!(
            claim.category_labels(),
            ["Autre catégorie HVD (c_4ba9548e)", "Données géospatiales"]
        );
    }

    #[test]
    fn other_legislation_claims_nothing() {
        let g = graph(
            "<http://x/d> a dcat:Dataset ; \
             dcatap:applicableLegislation <http://data.europa.eu/eli/dir/2007/2/oj> .",
        );
        assert_eq!(claim_of_graph(&g), None);
        let category_only = graph(
            "<http://x/d> a dcat:Dataset ; dcatap:hvdCategory <http://data.europa.eu/bna/c_b79e35eb> .",
        );
        let claim = claim_of_graph(&category_only).expect("a category is a claim");
        assert!(!claim.legislation);
        assert_eq!(claim.categories, ["mobilite"]);
    }

    #[test]
    fn filter_values_are_bounded() {
        assert!(is_filter_value("true"));
        assert!(is_filter_value("mobilite"));
        assert!(is_filter_value("c_4ba9548e"));
        assert!(!is_filter_value("c_4BA9548E"));
        assert!(!is_filter_value("<script>"));
    }
}
