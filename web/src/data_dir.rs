//! The data directory's layout (`[storage] data_dir`, `MOISSON_DATA_DIR`): one place says
//! where the store and the index live, for the server, the command line, the metrics and
//! the benchmarks.
//!
//! ```text
//! data_dir/
//!   store/   the oxigraph (RocksDB) store: records, registry, jobs, quality runs
//!   index/   the tantivy search index (rebuilt from the store when missing or outdated)
//!   store-sparql/  the SPARQL store: the graphs queries may see, derived from the store
//!                  (rebuilt when deleted; `moisson_catalog::SparqlStore`)
//!   store.keys     the duplicate keys of the last quality run, read by the next process
//!                  (a cache: `moisson_catalog::CatalogStore::key_prints_path`)
//!   tmp/     sorted runs of a records-to-fix CSV being sent (anonymous files: the
//!            folder looks empty; `ui/fix_csv.rs`)
//!   diagnostics/   the allocator's statistics written on `SIGUSR1`
//! ```

use std::path::{Path, PathBuf};

/// A data directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir(PathBuf);

impl DataDir {
    /// The data directory at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self(root.into())
    }

    /// Its root.
    pub fn root(&self) -> &Path {
        &self.0
    }

    /// The store's folder.
    pub fn store(&self) -> PathBuf {
        self.0.join("store")
    }

    /// The search index's folder.
    pub fn index(&self) -> PathBuf {
        self.0.join("index")
    }

    /// Diagnostics written on an operator's demand (the allocator's statistics on
    /// `SIGUSR1`).
    pub fn diagnostics(&self) -> PathBuf {
        self.0.join("diagnostics")
    }

    /// The data directory whose index is at `index` (its parent), if any.
    pub fn of_index(index: &Path) -> Option<Self> {
        index.parent().map(Self::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_is_store_and_index_under_the_root() {
        let d = DataDir::new("/srv/moisson");
        assert_eq!(d.store(), Path::new("/srv/moisson/store"));
        assert_eq!(d.index(), Path::new("/srv/moisson/index"));
        assert_eq!(DataDir::of_index(&d.index()), Some(d));
    }
}
