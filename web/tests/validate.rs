//! `moisson validate`: a producer's pre-publication check, run as the binary is run in a CI
//! step. Exit 0 when every record conforms, 1 on SHACL violations or an unreadable
//! document (with the location of the problem), 2 when the check cannot run.

use std::path::Path;
use std::process::{Command, Output};

fn validate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_moisson"))
        .arg("validate")
        .args(args)
        .output()
        .expect("run moisson")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path.display().to_string()
}

const PREFIXES: &str = "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n\
    @prefix dct: <http://purl.org/dc/terms/> .\n\
    @prefix sh: <http://www.w3.org/ns/shacl#> .\n";

/// A dataset with a title and no description (DCAT-AP 3 makes both mandatory).
fn undescribed() -> String {
    format!(
        "{PREFIXES}<https://example.org/jdd/1> a dcat:Dataset ;\n  dct:title \"Zones humides du Finistère\"@fr .\n"
    )
}

/// Shapes asking for a title only.
fn title_only_shapes() -> String {
    format!(
        "{PREFIXES}<urn:test:DatasetShape> a sh:NodeShape ; sh:targetClass dcat:Dataset ;\n  \
         sh:property [ sh:path dct:title ; sh:minCount 1 ] .\n"
    )
}

#[test]
fn violations_exit_1_and_name_the_focus_node_and_path() {
    let dir = tempfile::tempdir().expect("temp");
    let doc = write(dir.path(), "jdd.ttl", &undescribed());
    let out = validate(&[&doc, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    assert_eq!(report["conforms"], false);
    let shacl = report["records"][0]["shacl"]
        .as_array()
        .expect("shacl results");
    assert!(
        shacl
            .iter()
            .any(|r| r["focus"] == "https://example.org/jdd/1"
                && r["path"] == "http://purl.org/dc/terms/description"
                && r["constraint"] == "sh:MinCountConstraintComponent"
                && r["severity"] == "violation"),
        "{shacl:#?}"
    );
    let messages = report["records"][0]["messages"].to_string();
    assert!(messages.contains("description"), "{messages}");
}

#[test]
fn given_shapes_replace_ours_and_a_conforming_document_exits_0() {
    let dir = tempfile::tempdir().expect("temp");
    let doc = write(dir.path(), "jdd.ttl", &undescribed());
    let shapes = write(dir.path(), "shapes.ttl", &title_only_shapes());
    let out = validate(&[&doc, "--shapes", &shapes]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("Zones humides du Finistère"), "{table}");
}

#[test]
fn a_syntax_error_exits_1_with_its_line() {
    let dir = tempfile::tempdir().expect("temp");
    let broken = format!(
        "{PREFIXES}<https://example.org/jdd/1> a dcat:Dataset ;\n  dct:title \"ok\" ;\n  unknown:p \"x\" .\n"
    );
    let doc = write(dir.path(), "broken.ttl", &broken);
    let out = validate(&[&doc]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("line 6 column"), "{text}");
}

#[test]
fn a_check_that_cannot_run_exits_2() {
    let dir = tempfile::tempdir().expect("temp");
    let missing = dir.path().join("absent.ttl").display().to_string();
    let out = validate(&[&missing]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("absent.ttl"));
    let doc = write(dir.path(), "jdd.ttl", &undescribed());
    let bad_shapes = write(dir.path(), "bad.ttl", "this is not turtle");
    let out = validate(&[&doc, "--shapes", &bad_shapes]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

/// Issue 13: a 35 KB JSON-LD document nested 5,000 levels aborted the process (exit 134,
/// stack overflow); an RDF/XML entity bomb and deep Turtle must not either. Each is
/// refused with its location and exit 1.
#[test]
fn issue_13_hostile_documents_exit_1_with_their_location() {
    let dir = tempfile::tempdir().expect("temp");
    let levels = 5000;
    let jsonld = format!(
        "{}\"x\"{}",
        r#"{"@id": "https://example.org/a", "https://example.org/p": "#.repeat(levels),
        "}".repeat(levels)
    );
    let turtle = format!(
        "<https://example.org/a> <https://example.org/p> {}\"x\"{} .\n",
        "[ <https://example.org/p> ".repeat(levels),
        " ]".repeat(levels)
    );
    let mut bomb = String::from("<?xml version=\"1.0\"?>\n<!doctype rdf:RDF [\n<!-- ] -->\n<!ENTITY a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">\n");
    for (name, previous) in [("b", "a"), ("c", "b"), ("d", "c"), ("e", "d"), ("f", "e")] {
        bomb.push_str(&format!(
            "<!ENTITY {name} \"{}\">\n",
            format!("&{previous};").repeat(40)
        ));
    }
    bomb.push_str("]>\n<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns:dct=\"http://purl.org/dc/terms/\"><rdf:Description rdf:about=\"https://example.org/a\"><dct:title>&f;</dct:title></rdf:Description></rdf:RDF>\n");
    for (name, text, expected) in [
        ("deep.jsonld", jsonld, "nested deeper than 64"),
        ("deep.ttl", turtle, "nested deeper than 64"),
        ("bomb.rdf", bomb, "entity expansion bomb"),
    ] {
        let doc = write(dir.path(), name, &text);
        let out = validate(&[&doc]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{name}: {out:?}");
        assert!(stdout.contains(expected), "{name}: {stdout}");
        assert!(stdout.contains("line "), "{name}: {stdout}");
    }
}
