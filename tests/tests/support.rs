//! Helpers shared by the test modules.

use oxigraph::io::{JsonLdProfileSet, RdfFormat, RdfParser};
use oxigraph::model::{NamedOrBlankNode, Term};
use std::collections::HashSet;
use std::path::Path;

/// The federated catalogue of `sandbox` as N-Triples.
pub(crate) fn export_ntriples(sandbox: &moisson_tests::Sandbox) -> String {
    let mut out = Vec::new();
    sandbox
        .store
        .export(
            moisson_catalog::ExportFormat::NTriples,
            "https://moisson.test/catalog",
            &mut out,
        )
        .expect("export");
    String::from_utf8(out).expect("utf-8 export")
}

pub(crate) const DCAT_DATASET: &str = "http://www.w3.org/ns/dcat#Dataset";
pub(crate) const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";

/// Returns the distinct subjects typed `dcat:Dataset` in `file`, parsed independently of
/// the harvester's record grouping (blank nodes keyed by label, prefixed by `file`).
pub(crate) fn dataset_subjects(file: &Path, base: &str) -> HashSet<String> {
    let format = match file.extension().and_then(|e| e.to_str()) {
        Some("ttl") => RdfFormat::Turtle,
        Some("rdf" | "xml") => RdfFormat::RdfXml,
        _ => RdfFormat::JsonLd {
            profile: JsonLdProfileSet::empty(),
        },
    };
    let bytes = std::fs::read(file).expect("read corpus file");
    let mut out = HashSet::new();
    let parser = RdfParser::from_format(format)
        .with_base_iri(base)
        .expect("valid base");
    for quad in parser
        .for_reader(bytes.as_slice())
        .with_document_loader(moisson_harvester::parse::load_local_context)
        .flatten()
    {
        if quad.predicate.as_str() == RDF_TYPE
            && matches!(&quad.object, Term::NamedNode(n) if n.as_str() == DCAT_DATASET)
        {
            out.insert(match quad.subject {
                NamedOrBlankNode::NamedNode(n) => n.into_string(),
                NamedOrBlankNode::BlankNode(b) => format!("{}#_:{}", file.display(), b.as_str()),
            });
        }
    }
    out
}

/// Returns a Turtle catalogue of datasets numbered `ids`, with `title_suffix` appended to
/// the title of dataset `changed` (if any), and a Hydra link to `next` (if any).
pub(crate) fn turtle_catalogue(ids: &[u32], changed: Option<u32>, next: Option<&str>) -> String {
    let mut out = String::from(
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n\
@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n@prefix hydra: <http://www.w3.org/ns/hydra/core#> .\n\
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .\n\
<https://ddt.example.org/catalogue> a dcat:Catalog ; dct:title \"Catalogue de test\"@fr .\n\
<https://ddt.example.org/org/ddt-29> a foaf:Agent ; foaf:name \"DDT du Finistère\"@fr .\n",
    );
    for id in ids {
        let suffix = if changed == Some(*id) {
            " (révisé)"
        } else {
            ""
        };
        out.push_str(&format!(
            "<https://ddt.example.org/catalogue> dcat:dataset <https://ddt.example.org/jdd/{id}> .\n\
<https://ddt.example.org/jdd/{id}> a dcat:Dataset ;\n  dct:identifier \"jdd-{id}\" ;\n  dct:title \"Zones humides du Finistère n°{id}{suffix}\"@fr ;\n\
  dct:description \"Inventaire des zones humides, lot {id}.\"@fr ;\n  dct:publisher <https://ddt.example.org/org/ddt-29> ;\n\
  dcat:contactPoint [ a vcard:Kind ; vcard:fn \"Service eau\" ; vcard:hasEmail <mailto:eau@ddt.example.org> ] ;\n\
  dcat:distribution [ a dcat:Distribution ; dcat:accessURL <https://ddt.example.org/files/{id}.zip> ; dct:format \"SHP\" ] .\n"
        ));
    }
    if let Some(next) = next {
        out.push_str(&format!(
            "<https://ddt.example.org/catalogue> hydra:view <#view> .\n<#view> a hydra:PartialCollectionView ; hydra:next <{next}> .\n"
        ));
    }
    out
}
