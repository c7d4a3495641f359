//! Streaming export of the active records as DCAT-AP.

use oxigraph::io::{JsonLdProfileSet, RdfFormat, RdfSerializer};
use oxigraph::model::{NamedNode, TripleRef};
use std::io::Write;

use super::{named, CatalogStore, RecordEntry, StoreError};
use crate::model::RecordKind;
use crate::vocab::{dcat, rdf};

/// Serializations of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Turtle.
    Turtle,
    /// RDF/XML.
    RdfXml,
    /// JSON-LD (expanded, streamed).
    JsonLd,
    /// N-Triples.
    NTriples,
}

impl ExportFormat {
    /// Returns the format named `name` (`turtle`, `rdfxml`, `jsonld`, `ntriples`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "turtle" | "ttl" => Some(Self::Turtle),
            "rdfxml" | "rdf" | "xml" => Some(Self::RdfXml),
            "jsonld" | "json-ld" => Some(Self::JsonLd),
            "ntriples" | "nt" | "n-triples" => Some(Self::NTriples),
            _ => None,
        }
    }

    /// Returns the IANA media type.
    pub fn media_type(self) -> &'static str {
        self.rdf_format().media_type()
    }

    fn rdf_format(self) -> RdfFormat {
        match self {
            Self::Turtle => RdfFormat::Turtle,
            Self::RdfXml => RdfFormat::RdfXml,
            Self::JsonLd => RdfFormat::JsonLd {
                profile: JsonLdProfileSet::empty(),
            },
            Self::NTriples => RdfFormat::NTriples,
        }
    }
}

const PREFIXES: [(&str, &str); 9] = [
    ("dcat", "http://www.w3.org/ns/dcat#"),
    ("dct", "http://purl.org/dc/terms/"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("vcard", "http://www.w3.org/2006/vcard/ns#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ("locn", "http://www.w3.org/ns/locn#"),
    ("adms", "http://www.w3.org/ns/adms#"),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
];

impl CatalogStore {
    /// Writes every active record, then a root `dcat:Catalog` named `catalog_iri` that
    /// lists them, to `out`. Streams graph by graph; returns the number of records.
    pub fn export<W: Write>(
        &self,
        format: ExportFormat,
        catalog_iri: &str,
        out: W,
    ) -> Result<usize, StoreError> {
        let entries = self.active_entries()?;
        self.export_entries(format, catalog_iri, &entries, out)
    }

    /// Writes the given records and a root catalog listing them (see [`Self::export`]).
    pub fn export_entries<W: Write>(
        &self,
        format: ExportFormat,
        catalog_iri: &str,
        entries: &[RecordEntry],
        out: W,
    ) -> Result<usize, StoreError> {
        let mut serializer = RdfSerializer::from_format(format.rdf_format());
        for (prefix, iri) in PREFIXES {
            serializer = serializer
                .with_prefix(prefix, iri)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        }
        let mut writer = serializer.for_writer(out);
        for entry in entries {
            let graph = NamedNode::new_unchecked(entry.graph.as_str());
            for quad in self
                .store
                .quads_for_pattern(None, None, None, Some(graph.as_ref().into()))
            {
                let quad = quad?;
                writer.serialize_triple(TripleRef::new(
                    &quad.subject,
                    &quad.predicate,
                    &quad.object,
                ))?;
            }
        }
        let catalog =
            NamedNode::new(catalog_iri).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        writer.serialize_triple(TripleRef::new(
            &catalog,
            named(rdf::TYPE),
            named(dcat::CATALOG),
        ))?;
        for entry in entries {
            let Ok(record) = NamedNode::new(entry.record_iri.as_str()) else {
                continue;
            };
            let link = match entry.kind {
                RecordKind::Service => dcat::SERVICE_PROP,
                RecordKind::Dataset | RecordKind::Series => dcat::DATASET_PROP,
            };
            writer.serialize_triple(TripleRef::new(&catalog, named(link), &record))?;
        }
        writer.finish()?;
        Ok(entries.len())
    }
}
