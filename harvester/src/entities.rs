//! A guard against XML entity expansion bombs ("billion laughs") in RDF/XML.
//!
//! oxigraph's RDF/XML parser expands the entities a document's DOCTYPE declares, each one
//! when it is declared, so a few hundred bytes of nested declarations would expand to
//! gigabytes in memory. Before an RDF/XML page is parsed, the guard reads its DOCTYPE
//! (bounded) and computes an upper bound of the expanded size of every entity without
//! expanding anything,
//! then the total expansion of every reference in the document; a page over the limits is
//! refused with the location of the offending declaration.

use std::collections::HashMap;
use std::io::Read;

/// Largest expansion of one entity, in bytes (real documents declare namespace IRIs).
pub const MAX_ENTITY_BYTES: u64 = 64 << 10;
/// Largest total of the expansions of every entity reference of a document.
pub const MAX_TOTAL_EXPANSION_BYTES: u64 = 64 << 20;
/// Largest DOCTYPE read, in bytes.
pub const MAX_DOCTYPE_BYTES: usize = 1 << 20;

/// Why a document was refused: what, and the byte offset where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityBomb {
    /// What is wrong.
    pub message: String,
    /// Byte offset of the offending declaration.
    pub offset: u64,
}

/// Checks the entities of the XML document `reader`; see the module documentation.
pub fn check_entities(mut reader: impl Read) -> Result<(), EntityBomb> {
    let mut head = Vec::with_capacity(8 << 10);
    let limit = MAX_DOCTYPE_BYTES as u64 + 4096;
    (&mut reader)
        .take(limit)
        .read_to_end(&mut head)
        .map_err(|e| bomb(format!("reading document: {e}"), 0))?;
    let Some((subset_start, subset_end)) = internal_subset(&head)? else {
        return Ok(());
    };
    let sizes = entity_sizes(&head[subset_start..subset_end], subset_start)?;
    if sizes.is_empty() {
        return Ok(());
    }
    // The body: every reference to a declared entity costs its expansion.
    let mut total = 0u64;
    let mut counter = ReferenceCounter::default();
    counter.feed(&head[subset_end..], &sizes, &mut total);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        check_total(total, head.len() as u64)?;
        let n = reader
            .read(&mut buf)
            .map_err(|e| bomb(format!("reading document: {e}"), 0))?;
        if n == 0 {
            break;
        }
        counter.feed(&buf[..n], &sizes, &mut total);
    }
    check_total(total, head.len() as u64)
}

fn bomb(message: String, offset: usize) -> EntityBomb {
    EntityBomb {
        message,
        offset: offset as u64,
    }
}

fn check_total(total: u64, offset: u64) -> Result<(), EntityBomb> {
    if total > MAX_TOTAL_EXPANSION_BYTES {
        return Err(EntityBomb {
            message: format!(
                "xml entity references expand to more than {MAX_TOTAL_EXPANSION_BYTES} bytes (entity expansion bomb): document refused"
            ),
            offset,
        });
    }
    Ok(())
}

/// Returns the byte range of the DOCTYPE's internal subset (`[ … ]`), if there is one.
fn internal_subset(head: &[u8]) -> Result<Option<(usize, usize)>, EntityBomb> {
    let mut i = 0;
    if head.starts_with(b"\xEF\xBB\xBF") {
        i = 3;
    }
    loop {
        while i < head.len() && head[i].is_ascii_whitespace() {
            i += 1;
        }
        let rest = &head[i..];
        if rest.starts_with(b"<?") {
            let Some(end) = find(rest, b"?>") else {
                return Ok(None);
            };
            i += end + 2;
        } else if rest.starts_with(b"<!--") {
            let Some(end) = find(rest, b"-->") else {
                return Ok(None);
            };
            i += end + 3;
        } else if rest.starts_with(b"<!DOCTYPE") {
            break;
        } else {
            return Ok(None);
        }
    }
    let doctype = i;
    let mut j = i;
    while j < head.len() && head[j] != b'[' && head[j] != b'>' {
        j += 1;
    }
    if j >= head.len() {
        return Err(bomb(
            format!("DOCTYPE longer than {MAX_DOCTYPE_BYTES} bytes: document refused"),
            doctype,
        ));
    }
    if head[j] == b'>' {
        return Ok(None);
    }
    let start = j + 1;
    // The subset ends at the first `]` outside a quoted value.
    let mut quote = None;
    for (k, &b) in head.iter().enumerate().skip(start) {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b']') => return Ok(Some((start, k))),
            _ => {}
        }
    }
    Err(bomb(
        format!("DOCTYPE longer than {MAX_DOCTYPE_BYTES} bytes: document refused"),
        doctype,
    ))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Computes the expanded size of each `<!ENTITY name "value">` of `subset` (which starts
/// at byte `base` of the document), refusing any over [`MAX_ENTITY_BYTES`].
fn entity_sizes(subset: &[u8], base: usize) -> Result<HashMap<Vec<u8>, u64>, EntityBomb> {
    let mut sizes: HashMap<Vec<u8>, u64> = HashMap::new();
    let mut i = 0;
    while let Some(at) = find(&subset[i..], b"<!ENTITY") {
        let decl = i + at;
        let mut j = decl + b"<!ENTITY".len();
        let skip_ws = |j: &mut usize| {
            while *j < subset.len() && subset[*j].is_ascii_whitespace() {
                *j += 1;
            }
        };
        skip_ws(&mut j);
        if subset.get(j) == Some(&b'%') {
            return Err(bomb(
                "xml parameter entities are not supported in rdf/xml: document refused".into(),
                base + decl,
            ));
        }
        let name_start = j;
        while j < subset.len() && !subset[j].is_ascii_whitespace() {
            j += 1;
        }
        let name = subset[name_start..j].to_vec();
        skip_ws(&mut j);
        let Some(&q @ (b'"' | b'\'')) = subset.get(j) else {
            // An external entity (SYSTEM/PUBLIC): the parser does not load it.
            i = j;
            continue;
        };
        let value_start = j + 1;
        let Some(len) = subset[value_start..].iter().position(|&b| b == q) else {
            break;
        };
        let size = expanded_size(&subset[value_start..value_start + len], &sizes);
        if size > MAX_ENTITY_BYTES {
            return Err(bomb(
                format!(
                    "xml entity &{}; expands to more than {MAX_ENTITY_BYTES} bytes (entity expansion bomb): document refused",
                    String::from_utf8_lossy(&name)
                ),
                base + decl,
            ));
        }
        sizes.insert(name, size);
        i = value_start + len + 1;
    }
    Ok(sizes)
}

/// An upper bound of the size of `value` once its references to `sizes`' entities are expanded (saturating).
fn expanded_size(value: &[u8], sizes: &HashMap<Vec<u8>, u64>) -> u64 {
    let mut total = 0u64;
    let mut counter = ReferenceCounter::default();
    counter.feed(value, sizes, &mut total);
    total.saturating_add(value.len() as u64)
}

/// Adds the expansion of each `&name;` reference to a known entity, across buffers.
#[derive(Default)]
struct ReferenceCounter {
    /// The name being read after a `&`, when inside a reference.
    name: Option<Vec<u8>>,
}

impl ReferenceCounter {
    fn feed(&mut self, bytes: &[u8], sizes: &HashMap<Vec<u8>, u64>, total: &mut u64) {
        for &b in bytes {
            match (&mut self.name, b) {
                (None, b'&') => self.name = Some(Vec::new()),
                (None, _) => {}
                (Some(name), b';') => {
                    if let Some(size) = sizes.get(name.as_slice()) {
                        *total = total.saturating_add(*size);
                    }
                    self.name = None;
                }
                (Some(name), b) if name.len() < 256 && !b.is_ascii_whitespace() && b != b'&' => {
                    name.push(b);
                }
                (Some(_), b'&') => self.name = Some(Vec::new()),
                (Some(_), _) => self.name = None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn laughs(levels: usize) -> String {
        let mut doc =
            String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE rdf:RDF [\n<!ENTITY lol0 \"lol\">\n");
        for i in 1..levels {
            let refs = format!("&lol{};", i - 1).repeat(10);
            doc.push_str(&format!("<!ENTITY lol{i} \"{refs}\">\n"));
        }
        doc.push_str(&format!(
            "]>\n<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description rdf:about=\"http://a\"><rdf:value>&lol{};</rdf:value></rdf:Description></rdf:RDF>\n",
            levels - 1
        ));
        doc
    }

    #[test]
    fn billion_laughs_is_refused_at_its_declaration() {
        let doc = laughs(10);
        let err = check_entities(doc.as_bytes()).expect_err("bomb");
        assert!(err.message.contains("&lol4;"), "{}", err.message);
        assert_eq!(
            err.offset as usize,
            doc.find("<!ENTITY lol4").expect("decl")
        );
    }

    #[test]
    fn namespace_entities_pass() {
        let doc = "<?xml version=\"1.0\"?>\n<!-- c -->\n<!DOCTYPE rdf:RDF [\n<!ENTITY dcat \"http://www.w3.org/ns/dcat#\">\n<!ENTITY ext SYSTEM \"http://x/y\">\n]>\n<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description rdf:about=\"&dcat;x\"/></rdf:RDF>";
        assert_eq!(check_entities(doc.as_bytes()), Ok(()));
        assert_eq!(check_entities(laughs(3).as_bytes()), Ok(()));
        assert_eq!(check_entities(&b"<rdf:RDF/>"[..]), Ok(()));
    }

    #[test]
    fn many_references_to_a_large_entity_are_refused() {
        let big = "x".repeat(60_000);
        let mut doc = format!("<!DOCTYPE r [<!ENTITY big \"{big}\">]><r>");
        doc.push_str(&"&big;".repeat(2000));
        doc.push_str("</r>");
        let err = check_entities(doc.as_bytes()).expect_err("quadratic blowup");
        assert!(err.message.contains("references expand"), "{}", err.message);
    }
}
