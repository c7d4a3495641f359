//! SHACL Core validation written over oxigraph's in-memory graphs, and Moisson's shapes.
//!
//! The engine covers SHACL Core: all targets (node, class with subclasses, implicit
//! class, subjects-of, objects-of), all property paths, and every Core constraint
//! component (value type, cardinality, range, string, property pair, logical, shape-based,
//! `sh:closed`, `sh:hasValue`, `sh:in`). SHACL-SPARQL is not supported. It is checked
//! against the W3C test suite (`tests/tests/quality.rs`, `check_suite`).
//!
//! The shapes in `shapes/` (DCAT-AP 3 core constraints written from the specification,
//! plus Moisson's profile) are embedded at build time, with the official DCAT-AP HVD
//! 3.0.0 shapes, which [`hvd`] applies only to records claiming to be high-value datasets. They are written for one record
//! graph at a time: nodes a record only points to (publisher, licence, themes) are not
//! described in it, so the shapes check their node kind, not their class.

pub mod hvd;
mod shapes;
mod validate;
pub mod vocab;

pub use shapes::{path_from_graph, Path, Shapes};
pub use validate::{ValidationReport, ValidationResult};

use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{Graph, Term};

use crate::quality::{Conformance, ConformityIssue, RecordGraph};

/// The shapes Moisson validates records with, as `(file name, Turtle)`.
pub const EMBEDDED_SHAPES: [(&str, &str); 2] = [
    (
        "dcat-ap-3-core.ttl",
        include_str!("../../../shapes/dcat-ap-3-core.ttl"),
    ),
    (
        "moisson-profile.ttl",
        include_str!("../../../shapes/moisson-profile.ttl"),
    ),
];

/// Why shapes or data could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ShaclError {
    message: String,
}

impl ShaclError {
    pub(crate) fn shapes(message: impl Into<String>) -> Self {
        Self {
            message: format!("invalid shapes graph: {}", message.into()),
        }
    }

    fn syntax(message: impl std::fmt::Display) -> Self {
        Self {
            message: format!("unreadable RDF: {message}"),
        }
    }
}

/// Parses an RDF document into a graph (named graphs are merged).
pub fn parse_graph(bytes: &[u8], format: RdfFormat, base_iri: &str) -> Result<Graph, ShaclError> {
    let parser = RdfParser::from_format(format)
        .with_base_iri(base_iri)
        .map_err(ShaclError::syntax)?;
    let mut graph = Graph::new();
    for quad in parser.for_slice(bytes) {
        let quad = quad.map_err(ShaclError::syntax)?;
        graph.insert(quad.as_ref());
    }
    Ok(graph)
}

/// A validator with compiled shapes.
pub struct Validator {
    shapes: Shapes,
    /// The HVD shapes, for records that claim HVD (Moisson's embedded validator only).
    hvd: Option<hvd::HvdShapes>,
    version: String,
}

impl Validator {
    /// Returns the validator of Moisson's embedded shapes (`shapes/`).
    /// The HVD shapes ([`hvd::HVD_SHAPES`]) are applied to the records that claim HVD.
    pub fn embedded() -> Result<Self, ShaclError> {
        let mut texts: Vec<&str> = EMBEDDED_SHAPES.iter().map(|(_, t)| *t).collect();
        let mut validator = Self::from_turtle(&texts)?;
        texts.push(hvd::HVD_SHAPES.1);
        validator.version = version_of(&texts);
        validator.hvd = Some(hvd::HvdShapes::embedded()?);
        Ok(validator)
    }

    /// Compiles the union of Turtle shapes documents.
    pub fn from_turtle(texts: &[&str]) -> Result<Self, ShaclError> {
        let mut graph = Graph::new();
        for text in texts {
            for t in parse_graph(text.as_bytes(), RdfFormat::Turtle, "urn:moisson:shapes")?.iter() {
                graph.insert(t);
            }
        }
        let mut validator = Self {
            shapes: Shapes::from_graph(&graph)?,
            hvd: None,
            version: String::new(),
        };
        validator.version = version_of(texts);
        Ok(validator)
    }

    /// Returns the compiled shapes.
    pub fn shapes(&self) -> &Shapes {
        &self.shapes
    }

    /// Validates `data`.
    pub fn validate(&self, data: &Graph) -> ValidationReport {
        self.shapes.validate(data)
    }
}

/// Identifies a set of shapes texts: cached results of other sets are recomputed.
fn version_of(texts: &[&str]) -> String {
    let mut hasher = blake3::Hasher::new();
    for text in texts {
        hasher.update(text.as_bytes());
    }
    format!("shacl-{}", &hasher.finalize().to_hex()[..16])
}

fn term_text(t: &Term) -> String {
    match t {
        Term::NamedNode(n) => n.as_str().to_owned(),
        Term::BlankNode(b) => format!("_:{}", b.as_str()),
        Term::Literal(l) => l.value().to_owned(),
    }
}

/// Returns a result as the quality module keeps it.
pub fn conformity_issue(r: &ValidationResult) -> ConformityIssue {
    ConformityIssue {
        focus: term_text(&r.focus),
        path: r.path.as_ref().map(|p| match p {
            Path::Predicate(n) => n.as_str().to_owned(),
            other => other.to_string(),
        }),
        constraint: r
            .component
            .as_str()
            .replace("http://www.w3.org/ns/shacl#", "sh:"),
        message: r.message("fr"),
        severity: r.severity_name().to_owned(),
    }
}

impl Conformance for Validator {
    fn version(&self) -> &str {
        &self.version
    }

    fn check(&self, record: &RecordGraph) -> Vec<ConformityIssue> {
        let mut issues: Vec<ConformityIssue> = self
            .validate(record.graph())
            .results
            .iter()
            .map(conformity_issue)
            .collect();
        if let Some(hvd) = &self.hvd {
            issues.extend(hvd.check(record.graph()));
        }
        issues
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Moisson's profile rules inform (warnings); they never cost the DCAT-AP compliance
    /// indicator, which counts violations only.
    #[test]
    fn profile_rules_are_warnings_not_violations() {
        let record = r#"
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
<http://example.org/d/1> a dcat:Dataset ;
  dct:title "Zones humides du bassin de l'Odet"@fr ;
  dct:description "Inventaire des zones humides du bassin versant de l'Odet réalisé par le syndicat de bassin, à l'échelle du 1:5000, mis à jour chaque année."@fr ;
  dct:publisher [ a foaf:Agent ; foaf:name "DDTM du Finistère" ] ;
  dcat:contactPoint [ a vcard:Kind ; vcard:fn "Service eau" ; vcard:hasEmail <mailto:eau@example.org> ] ;
  dcat:distribution [ a dcat:Distribution ; dcat:accessURL <http://example.org/d/1.zip> ] .
"#;
        let graph = parse_graph(record.as_bytes(), RdfFormat::Turtle, "http://example.org/")
            .expect("test record");
        let validator = Validator::embedded().expect("embedded shapes");
        let issues: Vec<ConformityIssue> = validator
            .validate(&graph)
            .results
            .iter()
            .map(conformity_issue)
            .collect();
        let violations: Vec<&ConformityIssue> = issues
            .iter()
            .filter(|i| i.severity == "violation")
            .collect();
        assert!(violations.is_empty(), "{violations:#?}");
        assert!(
            issues.iter().any(|i| i.severity == "warning"
                && i.path.as_deref() == Some("http://purl.org/dc/terms/spatial")),
            "{issues:#?}"
        );
    }
}
