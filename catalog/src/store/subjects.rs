//! The subject categories of a record (`dct:subject`: GeoDCAT-AP writes ISO 19115 topic
//! categories there), which classification reads beside `dcat:theme`.

use oxigraph::model::{NamedOrBlankNode, Quad, Term};

use super::{CatalogStore, RecordEntry, StoreError};
use crate::vocab::dct;

/// At most this many subject values are kept per record.
const MAX_SUBJECTS: usize = 50;

/// Returns the `dct:subject` values of `record_iri` among `quads` (IRIs or literal values,
/// distinct, at most 50).
pub(crate) fn subjects_in(quads: &[Quad], record_iri: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for q in quads {
        let NamedOrBlankNode::NamedNode(s) = &q.subject else {
            continue;
        };
        if s.as_str() != record_iri || q.predicate.as_str() != dct::SUBJECT {
            continue;
        }
        let value = match &q.object {
            Term::NamedNode(n) => n.as_str(),
            Term::Literal(l) => l.value(),
            Term::BlankNode(_) => continue,
        };
        if !out.iter().any(|v| v == value) {
            out.push(value.to_owned());
        }
        if out.len() >= MAX_SUBJECTS {
            break;
        }
    }
    out
}

impl CatalogStore {
    /// Returns the `dct:subject` values of the record of `entry` (IRIs or literal values),
    /// at most 50.
    pub fn record_subjects(&self, entry: &RecordEntry) -> Result<Vec<String>, StoreError> {
        Ok(subjects_in(
            &self.graph_quads(&entry.graph)?,
            &entry.record_iri,
        ))
    }
}
