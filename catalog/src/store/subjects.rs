//! The subject categories of a record (`dct:subject`: GeoDCAT-AP writes ISO 19115 topic
//! categories there), which classification reads beside `dcat:theme`.

use oxigraph::model::{GraphNameRef, NamedNode, NamedNodeRef, Term};

use super::{CatalogStore, RecordEntry, StoreError};
use crate::vocab::dct;

impl CatalogStore {
    /// Returns the `dct:subject` values of the record of `entry` (IRIs or literal values),
    /// at most 50.
    pub fn record_subjects(&self, entry: &RecordEntry) -> Result<Vec<String>, StoreError> {
        let Ok(subject) = NamedNode::new(entry.record_iri.as_str()) else {
            return Ok(Vec::new());
        };
        let graph = NamedNode::new_unchecked(entry.graph.as_str());
        let mut out = Vec::new();
        for quad in self.store.quads_for_pattern(
            Some(subject.as_ref().into()),
            Some(NamedNodeRef::new_unchecked(dct::SUBJECT)),
            None,
            Some(GraphNameRef::NamedNode(graph.as_ref())),
        ) {
            let value = match quad?.object {
                Term::NamedNode(n) => n.into_string(),
                Term::Literal(l) => l.value().to_owned(),
                Term::BlankNode(_) => continue,
            };
            if !out.contains(&value) {
                out.push(value);
            }
            if out.len() >= 50 {
                break;
            }
        }
        Ok(out)
    }
}
