//! The federated DCAT-AP catalogue: the one writer behind `GET /catalog` (page by page)
//! and `moisson export` (whole), so that both give the same graph for the same selection.
//!
//! Moisson's root `dcat:Catalog` lists one `dcat:Catalog` per source (`dcat:catalog`);
//! each lists its datasets and services and one `dcat:CatalogRecord` per harvested record
//! (harvest dates as `dct:issued`/`dct:modified`, the source's own catalogue record as
//! `dct:source`). Datasets also carry what Moisson assigned them ([`Assigned`]): themes
//! and use cases as `dcat:theme`, territories as `dct:spatial`, with the vocabularies'
//! IRIs and French labels.
//!
//! Every IRI minted here derives from the root catalogue's IRI: `{root}/{source}` for a
//! source's catalogue, `{root}/{source}/records/{dataset id}` for a catalogue record;
//! when the root ends in `/catalog`, the site (`foaf:homepage`) is what comes before it.

use oxigraph::model::{Literal, NamedNode, NamedNodeRef, TripleRef};
use std::collections::BTreeMap;
use std::io::Write;

use super::export::{ActiveRecord, ExportFormat, ExportWriter};
use super::{CatalogStore, StoreError};
use crate::model::RecordKind;
use crate::vocab::{dcat, dct, foaf, rdf, skos, xsd};

/// What Moisson assigned a record, as IRIs with French labels.
#[derive(Debug, Clone, Default, Hash, PartialEq, Eq)]
pub struct Assigned {
    /// Themes, sub-themes and use cases (`dcat:theme`): (IRI, label).
    pub themes: Vec<(String, String)>,
    /// Territories (`dct:spatial`): (IRI, name).
    pub territories: Vec<(String, String)>,
}

/// Writes the federated catalogue: records first, then the concepts and territories they
/// were assigned (each described once), then the catalogues. Streams record by record.
pub struct FederatedWriter<'s, W: Write> {
    store: &'s CatalogStore,
    out: ExportWriter<W>,
    root: String,
    concepts: BTreeMap<String, String>,
    territories: BTreeMap<String, String>,
}

fn iri(text: &str) -> NamedNode {
    NamedNode::new_unchecked(text)
}

fn n(text: &'static str) -> NamedNodeRef<'static> {
    NamedNodeRef::new_unchecked(text)
}

fn french(text: &str) -> Literal {
    Literal::new_language_tagged_literal_unchecked(text, "fr")
}

fn date_time(text: &str) -> Literal {
    Literal::new_typed_literal(text, n(xsd::DATE_TIME))
}

/// The IRI of source `source`'s catalogue under root catalogue `root`.
pub fn source_catalog_iri(root: &str, source: &str) -> String {
    format!("{root}/{source}")
}

/// The IRI of the catalogue record of dataset `dataset_id` of `source` under `root`.
pub fn catalog_record_iri(root: &str, source: &str, dataset_id: &str) -> String {
    format!("{root}/{source}/records/{dataset_id}")
}

impl<'s, W: Write> FederatedWriter<'s, W> {
    /// A writer of `format` over `out`, reading record graphs from `store`, under the root
    /// catalogue `root` (an absolute IRI: checked here, as it names every minted IRI).
    pub fn new(
        store: &'s CatalogStore,
        format: ExportFormat,
        out: W,
        root: &str,
    ) -> Result<Self, StoreError> {
        let root = root.trim_end_matches('/');
        NamedNode::new(root)
            .map_err(|e| StoreError::InvalidInput(format!("root catalogue IRI {root:?}: {e}")))?;
        Ok(Self {
            store,
            out: format.writer(out)?,
            root: root.to_owned(),
            concepts: BTreeMap::new(),
            territories: BTreeMap::new(),
        })
    }

    /// One record: its harvested triples, what Moisson assigned it, its catalogue record
    /// and its place in its source's catalogue.
    pub fn record(&mut self, record: &ActiveRecord, assigned: &Assigned) -> Result<(), StoreError> {
        let originals = self
            .out
            .record_graph(self.store, &record.graph, &record.record_iri)?;
        let Ok(subject) = NamedNode::new(record.record_iri.as_str()) else {
            return Ok(());
        };
        let out = &mut self.out;
        for (theme, label) in &assigned.themes {
            out.triple(TripleRef::new(&subject, n(dcat::THEME), &iri(theme)))?;
            self.concepts.insert(theme.clone(), label.clone());
        }
        for (territory, name) in &assigned.territories {
            out.triple(TripleRef::new(&subject, n(dct::SPATIAL), &iri(territory)))?;
            self.territories.insert(territory.clone(), name.clone());
        }
        let catalog_record = iri(&catalog_record_iri(
            &self.root,
            &record.source,
            &record.dataset_id,
        ));
        let cr = &catalog_record;
        out.triple(TripleRef::new(cr, n(rdf::TYPE), n(dcat::CATALOG_RECORD)))?;
        out.triple(TripleRef::new(cr, n(foaf::PRIMARY_TOPIC), &subject))?;
        out.triple(TripleRef::new(
            cr,
            n(dct::ISSUED),
            &date_time(&record.first_seen),
        ))?;
        out.triple(TripleRef::new(
            cr,
            n(dct::MODIFIED),
            &date_time(&record.last_changed),
        ))?;
        for original in &originals {
            out.triple(TripleRef::new(cr, n(dct::SOURCE), original))?;
        }
        let source_catalog = iri(&source_catalog_iri(&self.root, &record.source));
        let link = match record.kind {
            RecordKind::Service => dcat::SERVICE_PROP,
            RecordKind::Dataset | RecordKind::Series => dcat::DATASET_PROP,
        };
        out.triple(TripleRef::new(&source_catalog, n(link), &subject))?;
        out.triple(TripleRef::new(&source_catalog, n(dcat::RECORD_PROP), cr))
    }

    /// The concepts and territories assigned so far (each once), the root catalogue, its
    /// publisher, and one catalogue per source of `sources` ((id, name), in order).
    pub fn catalogs(&mut self, sources: &[(String, String)]) -> Result<(), StoreError> {
        let out = &mut self.out;
        for (concept, label) in std::mem::take(&mut self.concepts) {
            let c = iri(&concept);
            out.triple(TripleRef::new(&c, n(rdf::TYPE), n(skos::CONCEPT)))?;
            out.triple(TripleRef::new(&c, n(skos::PREF_LABEL), &french(&label)))?;
        }
        for (territory, name) in std::mem::take(&mut self.territories) {
            out.triple(TripleRef::new(
                &iri(&territory),
                n(skos::PREF_LABEL),
                &french(&name),
            ))?;
        }
        let root = iri(&self.root);
        let publisher = iri(&format!("{}#moisson", self.root));
        out.triple(TripleRef::new(&root, n(rdf::TYPE), n(dcat::CATALOG)))?;
        out.triple(TripleRef::new(
            &root,
            n(dct::TITLE),
            &french("Moisson : catalogue fédéré des données environnementales"),
        ))?;
        out.triple(TripleRef::new(
            &root,
            n(dct::DESCRIPTION),
            &french(
                "Les métadonnées moissonnées par Moisson auprès des catalogues des services de \
                 l'État, des collectivités et des opérateurs, avec les thèmes, cas d'usage et \
                 territoires que Moisson leur attribue.",
            ),
        ))?;
        out.triple(TripleRef::new(&root, n(dct::PUBLISHER), &publisher))?;
        if let Some(site) = self.root.strip_suffix("/catalog") {
            out.triple(TripleRef::new(
                &root,
                n(foaf::HOMEPAGE),
                &iri(&format!("{site}/")),
            ))?;
        }
        out.triple(TripleRef::new(&publisher, n(rdf::TYPE), n(foaf::AGENT)))?;
        out.triple(TripleRef::new(
            &publisher,
            n(foaf::NAME),
            &french("Moisson"),
        ))?;
        for (id, name) in sources {
            let catalog = iri(&source_catalog_iri(&self.root, id));
            out.triple(TripleRef::new(&root, n(dcat::CATALOG_PROP), &catalog))?;
            out.triple(TripleRef::new(&catalog, n(rdf::TYPE), n(dcat::CATALOG)))?;
            out.triple(TripleRef::new(&catalog, n(dct::TITLE), &french(name)))?;
            out.triple(TripleRef::new(
                &catalog,
                n(dct::DESCRIPTION),
                &french(&format!("Catalogue « {name} » moissonné par Moisson.")),
            ))?;
            out.triple(TripleRef::new(&catalog, n(dct::PUBLISHER), &publisher))?;
            out.triple(TripleRef::new(
                &catalog,
                n(dct::IDENTIFIER),
                &Literal::new_simple_literal(id),
            ))?;
        }
        Ok(())
    }

    /// The serializer, to add triples of the caller's own (the Hydra paging of a page).
    pub fn serializer(&mut self) -> &mut ExportWriter<W> {
        &mut self.out
    }

    /// Ends the document (see [`ExportWriter::finish`]) and returns the output.
    pub fn finish(self) -> Result<W, StoreError> {
        if self.out.skipped() > 0 {
            tracing::warn!(
                triples = self.out.skipped(),
                "federated catalogue: triples not writable in this format were skipped"
            );
        }
        self.out.finish()
    }
}

impl CatalogStore {
    /// Writes the whole federated catalogue under root catalogue `root` to `out`: every
    /// active record with what `assigned` says Moisson assigned it, and one catalogue per
    /// source named by `source_name`. Returns the number of records.
    pub fn export_federated<W: Write>(
        &self,
        format: ExportFormat,
        root: &str,
        assigned: &dyn Fn(&ActiveRecord) -> Assigned,
        source_name: &dyn Fn(&str) -> String,
        out: W,
    ) -> Result<usize, StoreError> {
        let snapshot = self.active_snapshot()?;
        self.export_records(format, root, snapshot.records(), assigned, source_name, out)
    }

    /// Writes `records` as the federated catalogue does (see [`Self::export_federated`]):
    /// one dataset's notice, or a whole export.
    pub fn export_records<'r, W: Write>(
        &self,
        format: ExportFormat,
        root: &str,
        records: impl IntoIterator<Item = &'r ActiveRecord>,
        assigned: &dyn Fn(&ActiveRecord) -> Assigned,
        source_name: &dyn Fn(&str) -> String,
        out: W,
    ) -> Result<usize, StoreError> {
        let mut writer = FederatedWriter::new(self, format, out, root)?;
        let mut sources: Vec<(String, String)> = Vec::new();
        let mut named = std::collections::HashSet::new();
        let mut count = 0;
        for record in records {
            writer.record(record, &assigned(record))?;
            count += 1;
            if named.insert(record.source.as_str()) {
                sources.push((record.source.clone(), source_name(&record.source)));
            }
        }
        writer.catalogs(&sources)?;
        writer.finish()?;
        Ok(count)
    }
}
