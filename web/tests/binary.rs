//! The `moisson` binary starts and documents the demo options the browser test relies on.
//! (Having an integration test here also makes `cargo test --workspace` build
//! `target/debug/moisson`, which `scripts/test.sh` hands to the browser test.)

use std::process::Command;

#[test]
fn demo_help_lists_port_and_datasets() {
    let out = Command::new(env!("CARGO_BIN_EXE_moisson"))
        .args(["demo", "--help"])
        .output()
        .expect("run moisson");
    assert!(out.status.success(), "{out:?}");
    let help = String::from_utf8_lossy(&out.stdout);
    for option in ["--port", "--datasets", "--no-serve"] {
        assert!(help.contains(option), "demo --help lacks {option}: {help}");
    }
}
