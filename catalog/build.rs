//! Gives the crate a print of everything a record's quality assessment is computed with
//! (this crate's code, its embedded vocabularies and the shapes), as the environment
//! variable `MOISSON_ASSESSMENT_PRINT`: a quality run reuses a record's stored assessment
//! only when it was made by a program with the same print.

use std::fs;
use std::path::{Path, PathBuf};

/// Files under `dir`, recursively, sorted (the print must not depend on the file system).
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// 64-bit FNV-1a, continued from `hash`.
fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let dirs = [
        manifest.join("src"),
        manifest.join("vocab"),
        manifest.join("geo"),
        manifest.join("../shapes"),
    ];
    let mut files = Vec::new();
    for dir in &dirs {
        println!("cargo:rerun-if-changed={}", dir.display());
        files_under(dir, &mut files);
    }
    files.sort();
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    for file in &files {
        let name = file.strip_prefix(&manifest).unwrap_or(file);
        hash = fnv1a(hash, name.to_string_lossy().as_bytes());
        hash = fnv1a(hash, &[0]);
        hash = fnv1a(hash, &fs::read(file).unwrap_or_default());
        hash = fnv1a(hash, &[0]);
    }
    println!(
        "cargo:rustc-env=MOISSON_ASSESSMENT_PRINT={hash:016x}-{}",
        std::env::var("CARGO_PKG_VERSION").unwrap_or_default()
    );
}
