//! `moisson classify FILE_OR_URL [--json]`: the themes, use cases and territories Moisson
//! gives each record of one document, with the reasons, read exactly as a harvest reads
//! it: RDF (RDF/XML, Turtle, JSON-LD with the shipped contexts) through the harvester's
//! parser and record extraction, CSW responses and bare ISO 19139 records through the
//! CSW reader and its ISO 19139 → DCAT-AP mapping. No configuration, store or index is
//! needed; source contexts (a configured territory) are not applied.

use anyhow::{bail, Context};
use clap::Args;
use moisson_catalog::model::RecordKind;
use moisson_catalog::vocab::vocabularies;
use moisson_catalog::{dataset_id, DatasetView, RecordEntry, RecordState};
use moisson_harvester::format::FormatError;
use moisson_harvester::records::{self, PageGraph};
use moisson_harvester::{csw, format, parse};
use moisson_search::document::Record;
use moisson_search::{classify, Assignment, Classification, SourceContexts};
use oxigraph::model::{GraphName, Quad};
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use super::validate::read_document;

#[derive(Args)]
pub(super) struct ClassifyArgs {
    /// A DCAT-AP document or a CSW response: a file path or an http(s) URL.
    file_or_url: String,
    /// Prints JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// With `--json`, adds what Moisson read of each record (title, description,
    /// keywords, themes, extent…): the fields the rules look at.
    #[arg(long)]
    view: bool,
}

/// One document's records, classified.
#[derive(Debug, Serialize)]
pub struct ClassifiedDocument {
    /// The file or URL read.
    pub document: String,
    /// Parse errors and records that could not be taken.
    pub issues: Vec<String>,
    /// The records, in extraction order.
    pub records: Vec<ClassifiedRecord>,
}

/// One record and what Moisson gives it.
#[derive(Debug, Serialize)]
pub struct ClassifiedRecord {
    /// Record IRI (a skolem IRI for a blank-node record).
    pub iri: String,
    /// `dataset`, `service` or `series`.
    pub kind: String,
    /// Title.
    pub title: Option<String>,
    /// `dct:identifier` values.
    pub identifiers: Vec<String>,
    /// Themes, use cases and territories, each with its reasons.
    pub classification: Classification,
    /// What was read of the record (with `--view`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub view: Option<DatasetView>,
}

pub(super) async fn run(args: ClassifyArgs) -> anyhow::Result<ExitCode> {
    let document = read_document(&args.file_or_url).await?;
    let target = args.file_or_url.clone();
    let classified = tokio::task::spawn_blocking(move || {
        classify_bytes(
            &target,
            document.bytes,
            document.content_type.as_deref(),
            &document.base,
        )
    })
    .await??;
    let mut classified = classified;
    if !args.view {
        for r in &mut classified.records {
            r.view = None;
        }
    }
    let text = if args.json {
        serde_json::to_string_pretty(&classified).context("serializing")? + "\n"
    } else {
        table(&classified)
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .context("writing to stdout")?;
    Ok(ExitCode::SUCCESS)
}

/// Reads the document `bytes` (served as `content_type`, found at `base`) and classifies
/// each of its records. `target` names it in messages.
pub fn classify_bytes(
    target: &str,
    bytes: Vec<u8>,
    content_type: Option<&str>,
    base: &str,
) -> anyhow::Result<ClassifiedDocument> {
    let head = &bytes[..bytes.len().min(4096)];
    let mut issues = Vec::new();
    let detected = if moisson_harvester::format::is_csw_document(head) {
        Err(FormatError::NotRdfXml("csw".into()))
    } else {
        format::detect(content_type, head, base)
    };
    let (mut graph, poisoned) = match detected {
        Ok(rdf_format) => {
            let len = bytes.len() as u64;
            let page = parse::parse_page(&bytes[..], len, rdf_format, base);
            for issue in page.issues.iter().chain(&page.fatal) {
                issues.push(issue.located());
            }
            (page.graph, page.poisoned)
        }
        Err(FormatError::NotRdfXml(_)) => {
            let limits = moisson_harvester::limits::ParseLimits::default();
            if let Err(refusal) = moisson_harvester::xml_guard::check_xml_slice(&bytes, &limits) {
                bail!("{target}: byte {}: {}", refusal.offset, refusal.message);
            }
            let mapped = csw::map_response(std::io::Cursor::new(bytes), base, base, &limits)
                .with_context(|| format!("{target}: reading it as a csw response"))?;
            issues.extend(mapped.issues.iter().map(|i| i.message.clone()));
            issues.extend(mapped.rejected.iter().map(|(r, m)| format!("{r}: {m}")));
            (mapped.graph, HashMap::new())
        }
        Err(e) => bail!("{target}: {e}"),
    };
    let records = classify_graph(&mut graph, &poisoned, &mut issues);
    Ok(ClassifiedDocument {
        document: target.to_owned(),
        issues,
        records,
    })
}

/// Groups `graph` into records and classifies each as the index would (one record per
/// dataset: no merging across sources here).
fn classify_graph(
    graph: &mut PageGraph,
    poisoned: &HashMap<u32, String>,
    issues: &mut Vec<String>,
) -> Vec<ClassifiedRecord> {
    let extracted = records::extract_records(graph, poisoned);
    issues.extend(
        extracted
            .rejected
            .iter()
            .map(|r| format!("{}: {}", r.iri, r.message)),
    );
    let vocab = vocabularies();
    let sources = SourceContexts::new();
    let mut out = Vec::with_capacity(extracted.records.len());
    for r in &extracted.records {
        let quads: Vec<Quad> = r
            .materialize(graph)
            .into_iter()
            .map(|t| t.in_graph(GraphName::DefaultGraph))
            .collect();
        let entry = entry_for(&r.iri, r.kind, &r.hash);
        let (view, subjects) = DatasetView::from_record_quads(&entry, quads);
        let record = Record::from_view(entry, view, subjects);
        out.push(ClassifiedRecord {
            iri: r.iri.clone(),
            kind: r.kind.as_str().to_owned(),
            title: record.view.title.clone(),
            identifiers: record.view.identifiers.clone(),
            classification: classify(&record.view, vocab, &sources),
            view: Some(record.view),
        });
    }
    out
}

/// A registry entry for a record read outside any store.
fn entry_for(iri: &str, kind: RecordKind, hash: &str) -> RecordEntry {
    RecordEntry {
        graph: format!("urn:moisson:classify:{hash}"),
        source: "classify".into(),
        record_iri: iri.to_owned(),
        dataset_id: dataset_id(iri),
        kind,
        hash: hash.to_owned(),
        page_url: String::new(),
        first_seen: String::new(),
        last_changed: String::new(),
        state: RecordState::Active,
        withdrawn_at: None,
    }
}

fn table(d: &ClassifiedDocument) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} — {} fiche(s)", d.document, d.records.len());
    for issue in &d.issues {
        let _ = writeln!(out, "  problème de lecture: {issue}");
    }
    for r in &d.records {
        let _ = writeln!(
            out,
            "\n{}\n  {} ({})",
            r.iri,
            r.title.as_deref().unwrap_or("(sans titre)"),
            r.kind
        );
        let c = &r.classification;
        for (heading, list) in [
            ("thèmes", &c.themes),
            ("cas d'usage", &c.use_cases),
            ("territoires", &c.territories),
        ] {
            if list.is_empty() {
                let _ = writeln!(out, "  {heading}: aucun");
                continue;
            }
            let _ = writeln!(out, "  {heading}:");
            for a in list {
                let _ = writeln!(out, "    {}", assignment_line(a));
            }
        }
    }
    out
}

fn assignment_line(a: &Assignment) -> String {
    let indent = if a.parent.is_some() { "  " } else { "" };
    let reasons: Vec<String> = a
        .reasons
        .iter()
        .enumerate()
        .map(|(i, r)| match a.weights.get(i) {
            Some(w) => format!("{r} ({w})"),
            None => r.clone(),
        })
        .collect();
    let score = if a.weights.is_empty() {
        String::new()
    } else {
        format!(" poids {}", a.score())
    };
    format!(
        "{indent}{} [{}]{score} ← {}",
        a.label,
        a.value,
        reasons.join(" ; ")
    )
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_table_shows_each_reasons_weight_and_the_total() {
        let a = moisson_search::Assignment {
            value: "masses-d-eau".into(),
            label: "Masses d'eau".into(),
            parent: Some("eau".into()),
            reasons: vec![
                "titre : « zone humide »".into(),
                "catégorie ISO inlandWaters".into(),
            ],
            weights: vec![3, 1],
        };
        assert_eq!(
            super::assignment_line(&a),
            "  Masses d'eau [masses-d-eau] poids 4 ← titre : « zone humide » (3) ; catégorie ISO inlandWaters (1)"
        );
        let territory = moisson_search::Assignment {
            weights: Vec::new(),
            reasons: vec!["via Brest (29)".into()],
            ..a
        };
        assert!(super::assignment_line(&territory).ends_with("← via Brest (29)"));
    }

    #[test]
    fn csw_answers_are_told_from_rdf_by_their_root_element() {
        let csw = b"<?xml version=\"1.0\"?>\n<!-- x --><csw:GetRecordsResponse xmlns:csw=\"c\"><rdf:RDF/>";
        assert!(moisson_harvester::format::is_csw_document(csw));
        assert!(moisson_harvester::format::is_csw_document(
            b"<gmd:MD_Metadata xmlns:gmd=\"g\">"
        ));
        assert!(!moisson_harvester::format::is_csw_document(
            b"<?xml version=\"1.0\"?><rdf:RDF xmlns:rdf=\"r\">"
        ));
        assert!(!moisson_harvester::format::is_csw_document(
            b"@prefix dcat: <http://www.w3.org/ns/dcat#> ."
        ));
    }
}
