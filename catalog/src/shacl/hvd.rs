//! The official DCAT-AP HVD 3.0.0 shapes (`shapes/dcat-ap-hvd-3.0.0-SHACL.ttl`, a verbatim
//! copy), applied only to the records that claim to be EU high-value datasets
//! ([`crate::hvd::claim_of_graph`]), with a French message for each result.
//!
//! Invariants:
//! - A record that claims nothing under the HVD regulation gets no HVD result: the
//!   profile's shapes target every `dcat:Dataset`, so they are never run on such records.
//! - `sh:class` results on a node the record graph does not describe (the regulation's
//!   ELI, a category concept, a licence) are left out: one record graph cannot say what
//!   class such a node has, as for our own shapes, which check node kinds instead.

use oxigraph::io::RdfFormat;
use oxigraph::model::{Graph, Term};

use super::shapes::{as_subject, Path, Shapes};
use super::validate::ValidationResult;
use super::{conformity_issue, parse_graph, ShaclError};
use crate::quality::ConformityIssue;

/// The HVD shapes file, as `(file name, Turtle)`.
pub const HVD_SHAPES: (&str, &str) = (
    "dcat-ap-hvd-3.0.0-SHACL.ttl",
    include_str!("../../../shapes/dcat-ap-hvd-3.0.0-SHACL.ttl"),
);

const SHAPE_PREFIX: &str = "https://semiceu.github.io/DCAT-AP/releases/3.0.0-hvd#";
const CLASS_COMPONENT: &str = "http://www.w3.org/ns/shacl#ClassConstraintComponent";

/// The compiled HVD shapes.
pub struct HvdShapes {
    shapes: Shapes,
}

impl HvdShapes {
    /// Compiles the embedded HVD shapes.
    pub fn embedded() -> Result<Self, ShaclError> {
        let graph = parse_graph(HVD_SHAPES.1.as_bytes(), RdfFormat::Turtle, SHAPE_PREFIX)?;
        Ok(Self {
            shapes: Shapes::from_graph(&graph)?,
        })
    }

    /// Returns the HVD results of a record graph, with French messages; nothing when the
    /// record does not claim HVD.
    pub fn check(&self, graph: &Graph) -> Vec<ConformityIssue> {
        if crate::hvd::claim_of_graph(graph).is_none() {
            return Vec::new();
        }
        self.shapes
            .validate(graph)
            .results
            .iter()
            .filter(|r| r.component.as_str() != CLASS_COMPONENT || describes(graph, r))
            .map(|r| ConformityIssue {
                message: french_message(r),
                ..conformity_issue(r)
            })
            .collect()
    }
}

/// True when the value node of `result` is described in `graph` (has statements of its
/// own), so that its class can be judged.
fn describes(graph: &Graph, result: &ValidationResult) -> bool {
    let Some(value) = &result.value else {
        return true;
    };
    as_subject(value).is_some_and(|s| graph.triples_for_subject(s).next().is_some())
}

/// What the shape that produced `result` is about, in French.
fn owner(result: &ValidationResult) -> &'static str {
    let shape = match &result.shape {
        Term::NamedNode(n) => n.as_str(),
        _ => "",
    };
    let class = shape
        .strip_prefix(SHAPE_PREFIX)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default();
    match class {
        "dcat:DatasetShape" => "le jeu de données",
        "dcat:DatasetSeriesShape" => "la série de jeux de données",
        "dcat:DistributionShape" => "chaque distribution",
        "dcat:DataServiceShape" => "le service de données",
        "vcard:KindShape" => "le point de contact",
        "dcat:CatalogRecordShape" => "la fiche de catalogue",
        "dcat:CatalogShape" => "le catalogue",
        _ => "la fiche",
    }
}

/// A property IRI as a prefixed name (`dcatap:hvdCategory`), or the IRI itself.
fn prefixed(iri: &str) -> String {
    const PREFIXES: [(&str, &str); 6] = [
        ("http://data.europa.eu/r5r/", "dcatap:"),
        ("http://www.w3.org/ns/dcat#", "dcat:"),
        ("http://purl.org/dc/terms/", "dct:"),
        ("http://xmlns.com/foaf/0.1/", "foaf:"),
        ("http://www.w3.org/2006/vcard/ns#", "vcard:"),
        ("http://www.w3.org/ns/adms#", "adms:"),
    ];
    for (ns, prefix) in PREFIXES {
        if let Some(local) = iri.strip_prefix(ns) {
            return format!("{prefix}{local}");
        }
    }
    iri.to_owned()
}

/// The French message of one HVD result.
fn french_message(result: &ValidationResult) -> String {
    const HEAD: &str = "Données de forte valeur (HVD)";
    let owner = owner(result);
    let property = match &result.path {
        Some(Path::Predicate(p)) => prefixed(p.as_str()),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let component = result
        .component
        .as_str()
        .trim_start_matches("http://www.w3.org/ns/shacl#");
    match (component, property.as_str()) {
        ("MinCountConstraintComponent", "dcatap:applicableLegislation") => format!(
            "{HEAD} : {owner} doit citer le règlement d'exécution (UE) 2023/138 comme \
             législation applicable (dcatap:applicableLegislation \
             <http://data.europa.eu/eli/reg_impl/2023/138/oj>)."
        ),
        ("MinCountConstraintComponent", "dcatap:hvdCategory") => format!(
            "{HEAD} : indiquez la catégorie HVD de {owner} (dcatap:hvdCategory, une catégorie \
             du vocabulaire européen http://data.europa.eu/bna/asd487ae75, par exemple \
             <http://data.europa.eu/bna/c_ac64a52d> pour les données géospatiales)."
        ),
        ("MinCountConstraintComponent", "dcat:contactPoint") => {
            format!("{HEAD} : indiquez un point de contact (dcat:contactPoint) pour {owner}.")
        }
        ("MinCountConstraintComponent", "dcat:endpointURL") => {
            format!("{HEAD} : indiquez l'adresse d'accès (dcat:endpointURL) de {owner}.")
        }
        ("MinCountConstraintComponent", "foaf:page") => format!(
            "{HEAD} : indiquez une page de documentation (foaf:page) pour {owner} ; elle est \
             obligatoire pour les services HVD."
        ),
        ("MinCountConstraintComponent", "dcat:accessURL") => {
            format!("{HEAD} : indiquez l'adresse d'accès (dcat:accessURL) de {owner}.")
        }
        ("MinCountConstraintComponent", _) => {
            format!("{HEAD} : {property} est obligatoire pour {owner}.")
        }
        ("MaxCountConstraintComponent", _) => {
            format!("{HEAD} : {owner} ne doit avoir qu'une seule valeur de {property}.")
        }
        ("NodeKindConstraintComponent", _) => format!(
            "{HEAD} : {property} de {owner} doit désigner une ressource (une IRI), pas un texte."
        ),
        ("ClassConstraintComponent", _) => format!(
            "{HEAD} : la valeur de {property} de {owner} n'a pas la classe attendue par le \
             profil DCAT-AP HVD 3.0.0."
        ),
        _ => format!(
            "{HEAD} : {owner} ne respecte pas le profil DCAT-AP HVD 3.0.0 ({component} sur \
             {property})."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(turtle: &str) -> Graph {
        let text = format!(
            "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n\
             @prefix dct: <http://purl.org/dc/terms/> .\n\
             @prefix foaf: <http://xmlns.com/foaf/0.1/> .\n\
             @prefix dcatap: <http://data.europa.eu/r5r/> .\n{turtle}"
        );
        parse_graph(text.as_bytes(), RdfFormat::Turtle, "http://example.org/").expect("turtle")
    }

    #[test]
    fn the_embedded_file_is_the_official_one() {
        // The verbatim file whose source and sha256 shapes/README.md gives (blake3 here).
        let digest = blake3::hash(HVD_SHAPES.1.as_bytes()).to_hex().to_string();
        assert_eq!(HVD_SHAPES.1.len(), 44_146);
        assert_eq!(
            digest,
            "017c705bb46862fdc70c4f47b46fcde7ba3117595c5044c335acfc340ac583f8"
        );
        let shapes = HvdShapes::embedded().expect("official HVD shapes compile");
        assert!(shapes.shapes.len() > 16);
    }

    #[test]
    fn records_that_claim_nothing_are_not_checked() {
        let shapes = HvdShapes::embedded().expect("shapes");
        let plain = graph("<http://x/d> a dcat:Dataset ; dct:title \"Eau\" .");
        assert!(shapes.check(&plain).is_empty());
    }

    #[test]
    fn a_claiming_record_missing_hvd_properties_gets_french_messages() {
        let shapes = HvdShapes::embedded().expect("shapes");
        // A category but no legislation; a distribution without legislation.
        let record = graph(
            "<http://x/d> a dcat:Dataset ; dct:title \"Réseau routier\" ;\n\
               dcatap:hvdCategory <http://data.europa.eu/bna/c_b79e35eb> ;\n\
               dcat:distribution <http://x/d#csv> .\n\
             <http://x/d#csv> a dcat:Distribution ; dcat:accessURL <http://x/d.csv> .",
        );
        let issues = shapes.check(&record);
        let legislation: Vec<&ConformityIssue> = issues
            .iter()
            .filter(|i| {
                i.path.as_deref() == Some("http://data.europa.eu/r5r/applicableLegislation")
            })
            .collect();
        assert_eq!(legislation.len(), 2, "{issues:#?}");
        assert!(legislation.iter().all(|i| i.severity == "violation"));
        assert!(legislation.iter().any(|i| i
            .message
            .contains("le jeu de données doit citer le règlement")));
        assert!(legislation
            .iter()
            .any(|i| i.message.contains("chaque distribution doit citer")));
        // The category concept is not described in the record: its class is not judged.
        assert!(
            !issues
                .iter()
                .any(|i| i.constraint == "sh:ClassConstraintComponent"),
            "{issues:#?}"
        );
    }

    #[test]
    fn a_complete_hvd_record_conforms() {
        let shapes = HvdShapes::embedded().expect("shapes");
        let record = graph(
            "<http://x/d> a dcat:Dataset ; dct:title \"Réseau routier\" ;\n\
               dcatap:hvdCategory <http://data.europa.eu/bna/c_b79e35eb> ;\n\
               dcatap:applicableLegislation <http://data.europa.eu/eli/reg_impl/2023/138/oj> ;\n\
               dcat:distribution <http://x/d#csv> .\n\
             <http://x/d#csv> a dcat:Distribution ; dcat:accessURL <http://x/d.csv> ;\n\
               dcatap:applicableLegislation <http://data.europa.eu/eli/reg_impl/2023/138/oj> .",
        );
        let issues = shapes.check(&record);
        assert!(issues.is_empty(), "{issues:#?}");
    }
}
