//! Rewriting a store into a fresh one that holds the same quads and nothing else
//! (`moisson compact-store`), less the quads of record graphs kept as compact copies
//! (stores written before the record store kept only the copies: see `blob.rs`).
//!
//! oxigraph never removes a string from its dictionary (`id2str`): every compact copy,
//! registry chunk, description or title a harvest replaced stays on disk, and a store that
//! re-harvests changing sources for months grows without bound. Copying every quad into a
//! new store writes only the strings live quads use. On the 100,000-dataset bench store
//! (one harvest, one quality run, one revision pass) the dictionary went 499 → 392 MB and
//! the whole store 2,183 → 1,935 MB.
//!
//! Invariants:
//! - The store is held for writing during the whole rewrite (no server can run beside it).
//! - The original is replaced only after the copy is committed, flushed and counted equal;
//!   a failure at any step before leaves the original untouched and the copy removed.
//! - The swap is two renames (`store` → `store.old`, `store.compacting` → `store`) then the
//!   removal of `store.old`; [`recover_interrupted_compaction`], run before every open,
//!   brings an interrupted swap back to the original (or finishes the removal), so a crash
//!   never leaves a data directory without its store.

use oxigraph::model::{GraphName, Quad};
use oxigraph::store::{StorageError, Store};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::StoreError;
use crate::vocab::moisson;

/// What a rewrite did.
#[derive(Debug, Clone)]
pub struct CompactReport {
    /// Quads copied (every graph: copies, records stored as quads, registry, jobs, quality,
    /// vocabularies).
    pub quads: u64,
    /// Quads of record graphs whose compact copy reads back, left out (stores written
    /// before the record store kept only the copies).
    pub record_quads_dropped: u64,
    /// Bytes of the store's files before and after.
    pub bytes_before: u64,
    pub bytes_after: u64,
    pub duration: Duration,
}

/// The folder the copy is written to, beside `dir`.
fn copy_dir(dir: &Path) -> PathBuf {
    sibling(dir, "compacting")
}

/// The folder the original is moved to during the swap, beside `dir`.
fn old_dir(dir: &Path) -> PathBuf {
    sibling(dir, "old")
}

fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "store".into());
    dir.with_file_name(format!("{name}.{suffix}"))
}

/// True when `dir` holds a RocksDB store.
fn is_store(dir: &Path) -> bool {
    dir.join("CURRENT").is_file()
}

/// Locks `{dir}.lock` beside the store for this process: a rewrite and a recovery hold it
/// from start to end, so neither touches the folders of a rewrite running elsewhere. The
/// lock goes with the process, even when it crashes.
fn compaction_lock(dir: &Path) -> Result<std::fs::File, StoreError> {
    let path = sibling(dir, "lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::InvalidInput(format!(
            "a store compaction is running ({} is locked): wait for it to end",
            path.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(e.into()),
    }
}

/// Brings the store folder `dir` back to a whole store after a rewrite was interrupted:
/// the original put back when the crash came between the two renames, the original's
/// leftover or an unfinished copy removed otherwise. Returns what it did, if anything.
/// Run before opening a store for writing; fails while a rewrite runs.
pub fn recover_interrupted_compaction(dir: &Path) -> Result<Option<String>, StoreError> {
    if !old_dir(dir).try_exists()? && !copy_dir(dir).try_exists()? {
        return Ok(None);
    }
    let _lock = compaction_lock(dir)?;
    recover(dir)
}

/// [`recover_interrupted_compaction`], the lock held by the caller.
fn recover(dir: &Path) -> Result<Option<String>, StoreError> {
    let (old, copy) = (old_dir(dir), copy_dir(dir));
    let mut done = Vec::new();
    if !is_store(dir) && is_store(&old) {
        if dir.try_exists()? {
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::rename(&old, dir)?;
        done.push(format!("original store put back from {}", old.display()));
    }
    if old.try_exists()? {
        std::fs::remove_dir_all(&old)?;
        done.push(format!("replaced store {} removed", old.display()));
    }
    if copy.try_exists()? {
        std::fs::remove_dir_all(&copy)?;
        done.push(format!("unfinished copy {} removed", copy.display()));
    }
    Ok((!done.is_empty()).then(|| done.join("; ")))
}

/// Total bytes of the files under `dir`, 0 when it cannot be read (links not followed,
/// eight levels of folders at most: a store or an index is flat).
pub fn dir_bytes(dir: &Path) -> u64 {
    fn walk(dir: &Path, depth: u8) -> u64 {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return 0;
        };
        entries
            .flatten()
            .map(|e| match e.metadata() {
                Ok(m) if m.is_dir() && depth < 8 => walk(&e.path(), depth + 1),
                Ok(m) if m.is_file() => m.len(),
                _ => 0,
            })
            .sum()
    }
    walk(dir, 0)
}

/// Rewrites the store in `dir` into a fresh one holding the same quads, then puts it in
/// its place (see the module documentation). `progress` is called with the number of
/// quads copied so far, every million. Fails when another process holds the store.
pub fn compact_store(dir: &Path, progress: impl Fn(u64)) -> Result<CompactReport, StoreError> {
    let started = Instant::now();
    let _lock = compaction_lock(dir)?;
    if let Some(done) = recover(dir)? {
        tracing::warn!(dir = %dir.display(), "interrupted compaction: {done}");
    }
    if !is_store(dir) {
        return Err(StoreError::InvalidInput(format!(
            "no store in {}",
            dir.display()
        )));
    }
    let original = Store::open(dir)?;
    // Writes still in the log go to table files first: the copy reads tables only, and the
    // size before is then the size of the data.
    original.flush()?;
    let bytes_before = dir_bytes(dir);
    let copy = copy_dir(dir);
    let copied = write_copy(&original, &copy, &progress);
    let (quads, record_quads_dropped) = match copied {
        Ok(counts) => counts,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&copy);
            return Err(e);
        }
    };
    drop(original);
    let old = old_dir(dir);
    std::fs::rename(dir, &old)?;
    if let Err(e) = std::fs::rename(&copy, dir) {
        // Put the original back; the copy stays for the next attempt to remove.
        std::fs::rename(&old, dir)?;
        return Err(e.into());
    }
    std::fs::remove_dir_all(&old)?;
    Ok(CompactReport {
        quads,
        record_quads_dropped,
        bytes_before,
        bytes_after: dir_bytes(dir),
        duration: started.elapsed(),
    })
}

/// Copies every quad of `original` into a new store in `copy`, committed and flushed,
/// except the quads of record graphs whose compact copy reads back (the copy is what
/// readers use); returns the numbers copied (checked against the copy's own count) and
/// left out.
fn write_copy(
    original: &Store,
    copy: &Path,
    progress: &impl Fn(u64),
) -> Result<(u64, u64), StoreError> {
    if copy.try_exists()? {
        std::fs::remove_dir_all(copy)?;
    }
    // Graphs kept as copies, by a 16-byte print of their name (32 MB at 1,000,000).
    let mut kept_as_copies: HashSet<[u8; 16]> = HashSet::new();
    super::blob::for_each_copy(original, |graph, readable| {
        if readable {
            kept_as_copies.insert(print(graph.as_str()));
        }
        Ok(())
    })?;
    let redundant = |quad: &Quad| match &quad.graph_name {
        GraphName::NamedNode(g) => {
            g.as_str().starts_with(moisson::RECORD_GRAPH_PREFIX)
                && kept_as_copies.contains(&print(g.as_str()))
        }
        _ => false,
    };
    let fresh = Store::open(copy)?;
    let (mut copied, mut dropped) = (0u64, 0u64);
    // Bounded like a harvest's writer: two threads of 256 MB each.
    let mut loader = fresh
        .bulk_loader()
        .with_num_threads(2)
        .with_max_memory_size_in_megabytes(256);
    loader.load_ok_quads::<_, StorageError>(original.iter().filter(|q| match q {
        Ok(quad) if redundant(quad) => {
            dropped += 1;
            false
        }
        Ok(_) => {
            copied += 1;
            if copied.is_multiple_of(1_000_000) {
                progress(copied);
            }
            true
        }
        Err(_) => true,
    }))?;
    loader.commit()?;
    fresh.flush()?;
    let counted = fresh.len()? as u64;
    if counted != copied {
        return Err(StoreError::Corrupt(format!(
            "the copy holds {counted} quads where {copied} were written"
        )));
    }
    Ok((copied, dropped))
}

fn print(name: &str) -> [u8; 16] {
    let hash = blake3::hash(name.as_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&hash.as_bytes()[..16]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::{GraphNameRef, LiteralRef, NamedNodeRef, QuadRef};

    fn quad<'a>(s: &'a str, o: &'a str, g: &'a str) -> QuadRef<'a> {
        QuadRef::new(
            NamedNodeRef::new_unchecked(s),
            NamedNodeRef::new_unchecked("http://purl.org/dc/terms/description"),
            LiteralRef::new_simple_literal(o),
            GraphNameRef::NamedNode(NamedNodeRef::new_unchecked(g)),
        )
    }

    #[test]
    fn the_rewrite_keeps_every_quad_and_drops_replaced_strings() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("store");
        let long = |n: usize| format!("{n} {}", "description remplacée ".repeat(200));
        {
            let store = Store::open(&dir).expect("store");
            // Strings written then replaced: dead in the dictionary.
            for n in 0..300 {
                let text = long(n);
                let q = quad("http://example.org/d", &text, "urn:moisson:record:s:a");
                store.insert(q).expect("insert");
                store.remove(q).expect("remove");
            }
            for n in 0..50 {
                let (text, s) = (long(1000 + n), format!("http://example.org/{n}"));
                store
                    .insert(quad(&s, &text, "urn:moisson:record:s:b"))
                    .expect("insert");
            }
            store.flush().expect("flush");
            store.optimize().expect("optimize");
        }
        let before: Vec<String> = {
            let store = Store::open_read_only(&dir).expect("read");
            let mut v: Vec<String> = store.iter().map(|q| q.expect("quad").to_string()).collect();
            v.sort();
            v
        };
        let report = compact_store(&dir, |_| {}).expect("compacted");
        assert_eq!(report.quads, 50);
        assert!(
            report.bytes_after < report.bytes_before,
            "{} → {}",
            report.bytes_before,
            report.bytes_after
        );
        let store = Store::open_read_only(&dir).expect("read");
        let mut after: Vec<String> = store.iter().map(|q| q.expect("quad").to_string()).collect();
        after.sort();
        assert_eq!(after, before);
        assert!(!copy_dir(&dir).is_dir() && !old_dir(&dir).is_dir());
    }

    #[test]
    fn record_quads_kept_as_readable_copies_are_left_out() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("store");
        let (copied, plain, damaged) = (
            "urn:moisson:record:s:a:1",
            "urn:moisson:record:s:b:1",
            "urn:moisson:record:s:c:1",
        );
        {
            // As an earlier version wrote it: every record graph as quads, two with a copy.
            let store = Store::open(&dir).expect("store");
            for g in [copied, plain, damaged] {
                store
                    .insert(quad("http://example.org/d", "une description", g))
                    .expect("insert");
            }
            let triple = oxigraph::model::Triple::new(
                NamedNodeRef::new_unchecked("http://example.org/d"),
                NamedNodeRef::new_unchecked("http://purl.org/dc/terms/description"),
                LiteralRef::new_simple_literal("une description"),
            );
            let graph = oxigraph::model::NamedNode::new_unchecked(copied);
            let copy = super::super::blob::blob_quad_within(
                &graph,
                &[triple],
                super::super::blob::MAX_TEXT_BYTES,
            )
            .expect("a copy");
            store.insert(&copy).expect("insert");
            let mut broken = copy.clone();
            broken.subject = oxigraph::model::NamedNode::new_unchecked(damaged).into();
            broken.object = oxigraph::model::Literal::new_simple_literal("z1 999 ???").into();
            store.insert(&broken).expect("insert");
            store.flush().expect("flush");
        }
        let report = compact_store(&dir, |_| {}).expect("compacted");
        assert_eq!((report.quads, report.record_quads_dropped), (4, 1));
        let store = Store::open_read_only(&dir).expect("read");
        let in_graph = |g: &str| {
            store
                .quads_for_pattern(
                    None,
                    None,
                    None,
                    Some(GraphNameRef::NamedNode(NamedNodeRef::new_unchecked(g))),
                )
                .count()
        };
        // The graph read from its copy lost its quads; the others (no copy, a copy that
        // does not read back) kept theirs.
        assert_eq!(
            (in_graph(copied), in_graph(plain), in_graph(damaged)),
            (0, 1, 1)
        );
    }

    #[test]
    fn an_interrupted_swap_puts_the_original_back() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("store");
        {
            let store = Store::open(&dir).expect("store");
            store
                .insert(quad("http://example.org/1", "un", "urn:g"))
                .expect("insert");
            store.flush().expect("flush");
        }
        // The crash came after the first rename: the original is `store.old`, an
        // unfinished copy beside it.
        std::fs::rename(&dir, old_dir(&dir)).expect("rename");
        std::fs::create_dir_all(copy_dir(&dir)).expect("copy dir");
        let done = recover_interrupted_compaction(&dir).expect("recovered");
        assert!(done.expect("something done").contains("put back"));
        let store = Store::open_read_only(&dir).expect("read");
        assert_eq!(store.len().expect("len"), 1);
        assert!(!copy_dir(&dir).is_dir() && !old_dir(&dir).is_dir());
        assert!(recover_interrupted_compaction(&dir)
            .expect("nothing")
            .is_none());
        // While a rewrite holds the lock, nothing is recovered under it.
        std::fs::create_dir_all(copy_dir(&dir)).expect("copy dir");
        let running = compaction_lock(&dir).expect("lock");
        let other = std::thread::spawn({
            let dir = dir.clone();
            move || recover_interrupted_compaction(&dir).map_err(|e| e.to_string())
        });
        let refused = other.join().expect("thread").expect_err("locked");
        assert!(refused.contains("compaction is running"), "{refused}");
        assert!(copy_dir(&dir).is_dir());
        drop(running);
    }

    #[test]
    fn a_store_in_use_is_not_rewritten() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("store");
        let held = Store::open(&dir).expect("store");
        held.insert(quad("http://example.org/1", "un", "urn:g"))
            .expect("insert");
        assert!(compact_store(&dir, |_| {}).is_err());
        assert_eq!(held.len().expect("len"), 1);
        assert!(!copy_dir(&dir).is_dir());
    }
}
