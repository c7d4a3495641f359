//! Atom feeds (RFC 4287) of any search, linked from the search page; read by quick-xml
//! and, when it is installed, by Python's feedparser.

use super::{get, harvested, parse_xml, site, Element, PUBLIC_URL};

/// Checks the elements RFC 4287 requires of a feed and of each entry; returns the entries'
/// (id, title, updated).
fn check_atom(xml: &str) -> Vec<(String, String, String)> {
    let elements = parse_xml(xml);
    assert_eq!(elements[0].name(), "feed");
    assert!(
        elements[0]
            .attributes
            .iter()
            .any(|(k, v)| k == "xmlns" && v == "http://www.w3.org/2005/Atom"),
        "Atom namespace"
    );
    let feed_child = |name: &str| -> Vec<&Element> {
        elements
            .iter()
            .filter(|e| e.path == ["feed", name])
            .collect()
    };
    for required in ["id", "title", "updated"] {
        assert_eq!(feed_child(required).len(), 1, "feed {required}");
    }
    let updated = &feed_child("updated")[0].text;
    chrono::DateTime::parse_from_rfc3339(updated).expect("feed updated is RFC 3339");
    let links = feed_child("link");
    let rel = |r: &str| {
        links
            .iter()
            .find(|l| l.attribute("rel") == Some(r))
            .and_then(|l| l.attribute("href"))
            .unwrap_or_else(|| panic!("link rel={r}"))
            .to_owned()
    };
    assert_eq!(
        rel("self"),
        format!("{PUBLIC_URL}/recherche.atom?q=zones+humides")
    );
    assert_eq!(
        rel("alternate"),
        format!("{PUBLIC_URL}/recherche?q=zones+humides")
    );
    assert!(!feed_child("author").is_empty(), "a feed author");
    let mut entries = Vec::new();
    for (i, e) in elements.iter().enumerate() {
        if e.path != ["feed", "entry"] {
            continue;
        }
        let children: Vec<&Element> = elements[i + 1..]
            .iter()
            .take_while(|c| c.path.len() > 2)
            .filter(|c| c.path.len() == 3)
            .collect();
        let text = |name: &str| {
            let found: Vec<&&Element> = children.iter().filter(|c| c.name() == name).collect();
            assert_eq!(found.len(), 1, "entry {name}");
            found[0].text.clone()
        };
        let (id, title, updated, summary) =
            (text("id"), text("title"), text("updated"), text("summary"));
        chrono::DateTime::parse_from_rfc3339(&updated).expect("entry updated is RFC 3339");
        assert!(!title.is_empty() && !summary.is_empty());
        let link = children
            .iter()
            .find(|c| c.name() == "link")
            .and_then(|l| l.attribute("href"))
            .expect("entry link");
        assert!(link.starts_with(&format!("{PUBLIC_URL}/jeux-de-donnees/")));
        assert_eq!(id, link, "the entry id is its page");
        entries.push((id, title, updated));
    }
    entries
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_search_has_an_atom_feed_linked_from_its_page() {
    let sandbox = harvested().await;
    let app = site(&sandbox);
    let (_, _, page) = get(&app, "/recherche?q=zones+humides&page=2&sort=quality").await;
    assert!(
        page.contains("<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Flux Atom de cette recherche\" href=\"/recherche.atom?q=zones+humides\">"),
        "{page}"
    );
    assert!(page.contains("S'abonner au flux Atom de cette recherche"));
    let (status, content_type, feed) = get(&app, "/recherche.atom?q=zones+humides").await;
    assert_eq!(status, 200, "{feed}");
    assert!(
        content_type.starts_with("application/atom+xml"),
        "{content_type}"
    );
    let entries = check_atom(&feed);
    assert_eq!(entries.len(), 31, "every match, newest first");
    // The dataset modified in 2024 comes first; the others fall back to their harvest time.
    assert_eq!(entries[0].1, "Zones humides du Finistère (services)");
    assert_eq!(entries[0].2, "2024-03-01T00:00:00Z");
    let (status, _, _) = get(&app, "/recherche.atom?colour=blue").await;
    assert_eq!(status, 400);
}

/// Python's feedparser reads the feed without complaint, when python3 and feedparser are
/// installed (`pip install feedparser`); else the test says why it is skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedparser_reads_the_feed() {
    let probe = std::process::Command::new("python3")
        .args(["-c", "import feedparser"])
        .output();
    match probe {
        Err(e) => {
            println!("skipped: python3 is not available ({e})");
            return;
        }
        Ok(o) if !o.status.success() => {
            println!("skipped: python3 has no feedparser module (pip install feedparser)");
            return;
        }
        Ok(_) => {}
    }
    let sandbox = harvested().await;
    let (_, _, feed) = get(&site(&sandbox), "/recherche.atom?q=zones+humides").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("flux.atom");
    std::fs::write(&path, feed).expect("write");
    let script = "import json, sys, feedparser\n\
d = feedparser.parse(sys.argv[1])\n\
print(json.dumps({'bozo': d.bozo, 'version': d.version, 'title': d.feed.get('title'),\n\
  'entries': len(d.entries), 'first': d.entries[0].get('title') if d.entries else None,\n\
  'links': sorted(l.get('rel') for l in d.feed.get('links', []))}))\n";
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    // feedparser's `bozo` flag (false, or 0 in older versions) says the feed is well-formed.
    assert!(parsed["bozo"] == false || parsed["bozo"] == 0, "{parsed}");
    assert_eq!(parsed["version"], "atom10");
    assert_eq!(parsed["entries"], 31);
    assert_eq!(parsed["first"], "Zones humides du Finistère (services)");
    assert_eq!(parsed["links"], serde_json::json!(["alternate", "self"]));
}
