//! The subject categories of a record (`dct:subject`: GeoDCAT-AP writes ISO 19115 topic
//! categories there), which classification reads beside `dcat:theme`.

use oxigraph::model::{NamedOrBlankNode, Quad, Term};

use super::{CatalogStore, RecordEntry, StoreError};
use crate::vocab::dct;

/// At most this many subject values are kept per record.
const MAX_SUBJECTS: usize = 50;

/// Adds `object` to `out` when it is a `dct:subject` value of `record_iri` not seen yet
/// (IRIs or literal values, at most 50).
fn add_subject(out: &mut Vec<String>, record_iri: &str, subject: &str, object: &Term) {
    if subject != record_iri || out.len() >= MAX_SUBJECTS {
        return;
    }
    let value = match object {
        Term::NamedNode(n) => n.as_str(),
        Term::Literal(l) => l.value(),
        Term::BlankNode(_) => return,
    };
    if !out.iter().any(|v| v == value) {
        out.push(value.to_owned());
    }
}

/// Returns the `dct:subject` values of `record_iri` among `quads`.
pub(crate) fn subjects_in(quads: &[Quad], record_iri: &str) -> Vec<String> {
    let mut out = Vec::new();
    for q in quads
        .iter()
        .filter(|q| q.predicate.as_str() == dct::SUBJECT)
    {
        if let NamedOrBlankNode::NamedNode(s) = &q.subject {
            add_subject(&mut out, record_iri, s.as_str(), &q.object);
        }
    }
    out
}

impl CatalogStore {
    /// Returns the `dct:subject` values of the record of `entry` (IRIs or literal values),
    /// at most 50; only those values are copied out of the record.
    pub fn record_subjects(&self, entry: &RecordEntry) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        self.for_each_value(&entry.graph, &[dct::SUBJECT], |subject, _, object| {
            if let Term::NamedNode(s) = subject {
                add_subject(&mut out, &entry.record_iri, s.as_str(), object);
            }
        })?;
        Ok(out)
    }
}
