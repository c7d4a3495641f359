//! Hostile catalogues and a seeded mutator, for the fuzz test and `moisson bench-fuzz`.
//!
//! [`hostile_samples`] returns small documents that once crashed or poisoned a harvest
//! (issue 13): nesting thousands of levels deep in JSON-LD, Turtle and RDF/XML, XML entity
//! bombs in the forms a string scanner missed, a literal of megabytes, a node shared by
//! thousands of records, ISO 19139 anchors that forge triples, a CSW DCAT record with its
//! own DOCTYPE. [`Mutator`] derives more inputs from any document by truncating it,
//! flipping bytes, nesting and duplicating parts of it, always the same way for one seed.
//! Like the rest of `demo`, this only generates bytes.

use super::prng::Prng;

/// Largest input a mutation produces, in bytes.
pub const MAX_MUTATED_BYTES: usize = 4 << 20;

/// One hostile document.
#[derive(Debug, Clone)]
pub struct Sample {
    /// What it is, e.g. `deep-jsonld`.
    pub name: String,
    /// The document.
    pub bytes: Vec<u8>,
    /// The content type it is served with.
    pub content_type: &'static str,
    /// Whether it is a CSW response (served to a `csw` source) rather than a DCAT page.
    pub csw: bool,
}

impl Sample {
    fn dcat(name: &str, text: String, content_type: &'static str) -> Self {
        Self {
            name: name.to_owned(),
            bytes: text.into_bytes(),
            content_type,
            csw: false,
        }
    }

    fn csw(name: &str, text: String) -> Self {
        Self {
            name: name.to_owned(),
            bytes: text.into_bytes(),
            content_type: "application/xml",
            csw: true,
        }
    }
}

const TURTLE: &str = "text/turtle";
const JSON_LD: &str = "application/ld+json";
const RDF_XML: &str = "application/rdf+xml";
const RDF_NS: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
const PREFIXES: &str = "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n";

/// Returns a JSON-LD dataset nested `levels` deep (5,000 levels make 90 KB).
pub fn deep_jsonld(levels: usize) -> String {
    format!(
        "{{\"@context\": {{\"dcat\": \"http://www.w3.org/ns/dcat#\", \"dct\": \"http://purl.org/dc/terms/\"}}, \"@id\": \"https://hostile.example/jdd/1\", \"@type\": \"dcat:Dataset\", \"dct:title\": \"Profond\", \"dct:relation\": {}\"x\"{}}}",
        "{\"dct:relation\": ".repeat(levels),
        "}".repeat(levels)
    )
}

/// Returns a Turtle dataset whose blank nodes nest `levels` deep.
pub fn deep_turtle_blank_nodes(levels: usize) -> String {
    format!(
        "{PREFIXES}<https://hostile.example/jdd/1> a dcat:Dataset ; dct:title \"Profond\" ; dct:relation {}\"x\"{} .\n",
        "[ dct:relation ".repeat(levels),
        " ]".repeat(levels)
    )
}

/// Returns a Turtle dataset holding collections nested `levels` deep.
pub fn deep_turtle_collections(levels: usize) -> String {
    format!(
        "{PREFIXES}<https://hostile.example/jdd/1> a dcat:Dataset ; dct:title \"Profond\" ; dct:relation {}{} .\n",
        "( ".repeat(levels),
        " )".repeat(levels)
    )
}

/// Returns an RDF/XML dataset whose node elements nest `levels` deep.
pub fn deep_rdf_xml(levels: usize) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<rdf:RDF xmlns:rdf=\"{RDF_NS}\" xmlns:dcat=\"http://www.w3.org/ns/dcat#\" xmlns:dct=\"http://purl.org/dc/terms/\"><dcat:Dataset rdf:about=\"https://hostile.example/jdd/1\"><dct:title>Profond</dct:title>{}{}</dcat:Dataset></rdf:RDF>\n",
        "<dct:relation><rdf:Description>".repeat(levels),
        "</rdf:Description></dct:relation>".repeat(levels)
    )
}

/// Returns an RDF/XML "billion laughs" page: `doctype` is the declaration keyword as
/// written (`!DOCTYPE`, `!doctype`…), `subset_prefix` goes first in the internal subset (a
/// comment holding `]`…), `late` puts the DOCTYPE after the root element opened.
pub fn entity_bomb(doctype: &str, subset_prefix: &str, late: bool) -> String {
    let mut subset = format!("{subset_prefix}<!ENTITY l0 \"lollollollollollollollollollol\">\n");
    for i in 1..9 {
        subset.push_str(&format!(
            "<!ENTITY l{i} \"{}\">\n",
            format!("&l{};", i - 1).repeat(10)
        ));
    }
    let declaration = format!("<{doctype} rdf:RDF [\n{subset}]>\n");
    let body = "<dcat:Dataset rdf:about=\"https://hostile.example/jdd/1\"><dct:title>&l8;</dct:title></dcat:Dataset>";
    let root = format!(
        "<rdf:RDF xmlns:rdf=\"{RDF_NS}\" xmlns:dcat=\"http://www.w3.org/ns/dcat#\" xmlns:dct=\"http://purl.org/dc/terms/\">"
    );
    if late {
        format!("<?xml version=\"1.0\"?>\n{root}{declaration}{body}</rdf:RDF>\n")
    } else {
        format!("<?xml version=\"1.0\"?>\n{declaration}{root}{body}</rdf:RDF>\n")
    }
}

/// Returns a Turtle dataset whose description is `bytes` long.
pub fn huge_literal(bytes: usize) -> String {
    format!(
        "{PREFIXES}<https://hostile.example/jdd/1> a dcat:Dataset ; dct:title \"Long\" ; dct:description \"{}\" .\n",
        "a".repeat(bytes)
    )
}

/// Returns a Turtle page of `datasets` datasets sharing one publisher described by
/// `shared_triples` triples: grouping copies the publisher into every record.
pub fn shared_node_amplification(datasets: usize, shared_triples: usize) -> String {
    let mut out = String::from(PREFIXES);
    out.push_str("<https://hostile.example/org> a foaf:Agent");
    for i in 0..shared_triples {
        out.push_str(&format!(" ; foaf:nick \"surnom {i}\""));
    }
    out.push_str(" .\n");
    for i in 0..datasets {
        out.push_str(&format!(
            "<https://hostile.example/jdd/{i}> a dcat:Dataset ; dct:publisher <https://hostile.example/org> .\n"
        ));
    }
    out
}

fn csw_envelope(records: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<csw:GetRecordsResponse xmlns:csw=\"http://www.opengis.net/cat/csw/2.0.2\" xmlns:gmd=\"http://www.isotc211.org/2005/gmd\" xmlns:gco=\"http://www.isotc211.org/2005/gco\" xmlns:gmx=\"http://www.isotc211.org/2005/gmx\" xmlns:xlink=\"http://www.w3.org/1999/xlink\"><csw:SearchResults numberOfRecordsMatched=\"1\" numberOfRecordsReturned=\"1\" nextRecord=\"0\">{records}</csw:SearchResults></csw:GetRecordsResponse>\n"
    )
}

/// The text an anchor smuggles in to forge a triple in an N-Triples export.
pub const FORGED: &str =
    "> .\n<https://evil.example/s> <https://evil.example/p> \"forged\" .\n<https://evil.example/o";

/// Returns a CSW response with one ISO 19139 record whose licence and access-constraint
/// anchors (`xlink:href`) carry [`FORGED`].
pub fn iso_anchor_injection() -> String {
    let forged = FORGED
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\n', "&#10;");
    let record = format!(
        "<gmd:MD_Metadata><gmd:fileIdentifier><gco:CharacterString>injection-1</gco:CharacterString></gmd:fileIdentifier>\
<gmd:identificationInfo><gmd:MD_DataIdentification><gmd:citation><gmd:CI_Citation><gmd:title><gco:CharacterString>Injection</gco:CharacterString></gmd:title></gmd:CI_Citation></gmd:citation>\
<gmd:abstract><gco:CharacterString>Ancres piégées</gco:CharacterString></gmd:abstract>\
<gmd:resourceConstraints><gmd:MD_LegalConstraints>\
<gmd:otherConstraints><gmx:Anchor xlink:href=\"http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/INSPIRE_Directive_Article13_1a{forged}\">Article 13</gmx:Anchor></gmd:otherConstraints>\
<gmd:useLimitation><gmx:Anchor xlink:href=\"https://creativecommons.org/licenses/by/4.0/{forged}\">CC-BY</gmx:Anchor></gmd:useLimitation>\
</gmd:MD_LegalConstraints></gmd:resourceConstraints></gmd:MD_DataIdentification></gmd:identificationInfo>\
<gmd:distributionInfo><gmd:MD_Distribution><gmd:transferOptions><gmd:MD_DigitalTransferOptions><gmd:onLine><gmd:CI_OnlineResource><gmd:linkage><gmd:URL>https://hostile.example/files/a.zip</gmd:URL></gmd:linkage></gmd:CI_OnlineResource></gmd:onLine></gmd:MD_DigitalTransferOptions></gmd:transferOptions></gmd:MD_Distribution></gmd:distributionInfo>\
</gmd:MD_Metadata>"
    );
    csw_envelope(&record)
}

/// Returns a CSW response whose DCAT `rdf:RDF` record holds an entity bomb of its own.
pub fn csw_dcat_record_bomb() -> String {
    let bomb = entity_bomb("!DOCTYPE", "", true);
    let record = bomb
        .trim_start_matches("<?xml version=\"1.0\"?>\n")
        .trim_end();
    csw_envelope(record)
}

/// Returns every hostile sample, sized so that a debug build reads each in well under a
/// second once the limits are in force.
pub fn hostile_samples() -> Vec<Sample> {
    vec![
        Sample::dcat("deep-jsonld", deep_jsonld(5000), JSON_LD),
        Sample::dcat(
            "deep-turtle-blank-nodes",
            deep_turtle_blank_nodes(5000),
            TURTLE,
        ),
        Sample::dcat(
            "deep-turtle-collections",
            deep_turtle_collections(5000),
            TURTLE,
        ),
        Sample::dcat("deep-rdf-xml", deep_rdf_xml(5000), RDF_XML),
        Sample::dcat("entity-bomb", entity_bomb("!DOCTYPE", "", false), RDF_XML),
        Sample::dcat(
            "entity-bomb-bracket-in-comment",
            entity_bomb("!DOCTYPE", "<!-- ] -->\n", false),
            RDF_XML,
        ),
        Sample::dcat(
            "entity-bomb-lowercase",
            entity_bomb("!doctype", "", false),
            RDF_XML,
        ),
        Sample::dcat(
            "entity-bomb-late",
            entity_bomb("!DOCTYPE", "", true),
            RDF_XML,
        ),
        Sample::dcat("huge-literal", huge_literal(2 << 20), TURTLE),
        Sample::dcat(
            "shared-node-amplification",
            shared_node_amplification(2000, 500),
            TURTLE,
        ),
        Sample::csw("csw-iso-anchor-injection", iso_anchor_injection()),
        Sample::csw("csw-dcat-record-bomb", csw_dcat_record_bomb()),
    ]
}

/// Openers and closers [`Mutator`] nests documents with: JSON, Turtle, XML, RDF-star.
const NESTERS: &[(&str, &str)] = &[
    ("{\"a\": ", "}"),
    ("[", "]"),
    ("[ <http://x/p> ", " ]"),
    ("( ", " )"),
    ("<a>", "</a>"),
    ("<<", ">>"),
];

/// Derives inputs from documents, the same way for one seed.
#[derive(Debug, Clone)]
pub struct Mutator {
    prng: Prng,
}

impl Mutator {
    /// Returns a mutator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            prng: Prng::new(seed),
        }
    }

    /// Returns a mutation of `input` and what was done, at most [`MAX_MUTATED_BYTES`] long.
    pub fn mutate(&mut self, input: &[u8]) -> (String, Vec<u8>) {
        if input.is_empty() {
            return ("empty".into(), Vec::new());
        }
        let (what, mut out) = match self.prng.below(5) {
            0 => self.truncate(input),
            1 => self.flip(input),
            2 => self.nest(input),
            3 => self.duplicate(input),
            _ => {
                // Two mutations in a row.
                let (first, once) = self.flip(input);
                let (second, twice) = self.truncate(&once);
                (format!("{first}, then {second}"), twice)
            }
        };
        out.truncate(MAX_MUTATED_BYTES);
        (what, out)
    }

    fn truncate(&mut self, input: &[u8]) -> (String, Vec<u8>) {
        let at = self.prng.below(input.len());
        (format!("truncated at byte {at}"), input[..at].to_vec())
    }

    fn flip(&mut self, input: &[u8]) -> (String, Vec<u8>) {
        let mut out = input.to_vec();
        let flips = 1 + self.prng.below(16);
        for _ in 0..flips {
            let at = self.prng.below(out.len());
            out[at] = match self.prng.below(3) {
                0 => out[at] ^ (1 << self.prng.below(8)),
                1 => *self.prng.pick(b"<>\"'[](){}&;#\\\n"),
                _ => self.prng.below(256) as u8,
            };
        }
        (format!("{flips} bytes flipped"), out)
    }

    fn nest(&mut self, input: &[u8]) -> (String, Vec<u8>) {
        let (open, close) = *self.prng.pick(NESTERS);
        let levels = 1 + self.prng.below(20_000);
        let at = self.prng.below(input.len() + 1);
        let closed = self.prng.percent(50);
        let mut out = Vec::with_capacity(input.len() + levels * (open.len() + close.len()));
        out.extend_from_slice(&input[..at]);
        for _ in 0..levels {
            out.extend_from_slice(open.as_bytes());
        }
        if closed {
            for _ in 0..levels {
                out.extend_from_slice(close.as_bytes());
            }
        }
        out.extend_from_slice(&input[at..]);
        (
            format!(
                "{levels} levels of {open} inserted at byte {at}{}",
                if closed { ", closed" } else { "" }
            ),
            out,
        )
    }

    fn duplicate(&mut self, input: &[u8]) -> (String, Vec<u8>) {
        let start = self.prng.below(input.len());
        let len = 1 + self.prng.below((input.len() - start).min(64 << 10));
        let copies = 1 + self.prng.below(64);
        let part = &input[start..start + len];
        let mut out = Vec::with_capacity(input.len() + len * copies);
        out.extend_from_slice(&input[..start + len]);
        for _ in 0..copies {
            if out.len() + len > MAX_MUTATED_BYTES {
                break;
            }
            out.extend_from_slice(part);
        }
        out.extend_from_slice(&input[start + len..]);
        (
            format!("{len} bytes at {start} repeated {copies} times"),
            out,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_are_deterministic_and_bounded() {
        let input = deep_jsonld(10).into_bytes();
        let run = |seed| {
            let mut m = Mutator::new(seed);
            (0..50).map(|_| m.mutate(&input)).collect::<Vec<_>>()
        };
        let (a, b) = (run(7), run(7));
        assert_eq!(a, b);
        assert_ne!(a, run(8));
        assert!(a.iter().all(|(_, m)| m.len() <= MAX_MUTATED_BYTES));
    }

    #[test]
    fn samples_are_what_their_names_say() {
        let samples = hostile_samples();
        let deep = &samples[0];
        assert!(deep.bytes.len() > 30_000 && deep.bytes.len() < 200_000);
        assert!(iso_anchor_injection().contains("&gt; .&#10;&lt;https://evil.example/s&gt;"));
        assert!(shared_node_amplification(3, 2).matches("foaf:nick").count() == 2);
    }
}
