//! The controlled vocabularies (themes, use cases, territories) loaded into the store,
//! one named graph each (`urn:moisson:vocab:themes`…), so SPARQL users see them.

use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{GraphNameRef, NamedNode};

use super::{CatalogStore, StoreError};
use crate::vocab::{mv, VOCABULARY_FILES};

impl CatalogStore {
    /// Replaces the vocabulary graphs with the embedded vocabulary files; returns the
    /// number of graphs written (none in a read-only store, which keeps those it has).
    pub fn load_vocabularies(&self) -> Result<usize, StoreError> {
        if self.is_read_only() {
            return Ok(0);
        }
        for (name, text) in VOCABULARY_FILES {
            let graph = NamedNode::new_unchecked(format!("{}{name}", mv::GRAPH_PREFIX));
            self.store
                .clear_graph(GraphNameRef::NamedNode(graph.as_ref()))?;
            self.store
                .load_from_slice(
                    RdfParser::from_format(RdfFormat::Turtle).with_default_graph(graph),
                    text.as_bytes(),
                )
                .map_err(|e| StoreError::Corrupt(format!("vocabulary {name}: {e}")))?;
        }
        Ok(VOCABULARY_FILES.len())
    }
}

#[cfg(test)]
mod tests {
    use crate::CatalogStore;

    #[test]
    fn loads_every_vocabulary_graph_idempotently() {
        let store = CatalogStore::in_memory().expect("store");
        assert_eq!(store.load_vocabularies().expect("load"), 3);
        let first = store.quad_count().expect("count");
        store.load_vocabularies().expect("reload");
        assert_eq!(store.quad_count().expect("count"), first);
        assert!(first > 1000);
    }
}
