//! `moisson validate FILE_OR_URL [--format table|json]`: a producer's pre-publication
//! check of one DCAT-AP document: the SHACL report of each record against `shapes/`
//! and the quality indicators, read exactly as a harvest would read the document.
//! Exit 1 when a record has a SHACL violation (or the document cannot be read as RDF).

use anyhow::{bail, Context};
use clap::Args;
use moisson_catalog::quality::{
    assess_records, message_line, Conformance, NoLinks, RecordGraph, RecordOrigin, SourceAssessment,
};
use moisson_catalog::shacl::conformity_issue;
use moisson_harvester::{format, parse, records, Fetcher};
use oxigraph::model::{GraphName, Quad};
use std::fmt::Write as _;
use std::io::{Read, Write as _};
use std::process::ExitCode;

#[derive(Args)]
pub(super) struct ValidateArgs {
    /// A DCAT-AP document: a file path or an http(s) URL.
    file_or_url: String,
    /// table or json.
    #[arg(long, default_value = "table")]
    format: String,
    /// The document is an ISO 19139 → DCAT-AP mapping output (mapping artefacts are not scored).
    #[arg(long)]
    mapped: bool,
}

/// Largest document read from a file.
const MAX_FILE_BYTES: u64 = 256 << 20;

struct Document {
    bytes: Vec<u8>,
    content_type: Option<String>,
    base: String,
}

async fn read_document(target: &str) -> anyhow::Result<Document> {
    if target.starts_with("http://") || target.starts_with("https://") {
        let fetcher = Fetcher::new(Default::default()).context("creating the HTTP client")?;
        let page = fetcher
            .get(
                target,
                "text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.8, */*;q=0.1",
            )
            .await
            .with_context(|| format!("fetching {target}"))?;
        let mut bytes = Vec::with_capacity(page.bytes as usize);
        page.body
            .reopen()
            .context("reading the fetched body")?
            .read_to_end(&mut bytes)?;
        return Ok(Document {
            bytes,
            content_type: page.content_type,
            base: page.url,
        });
    }
    let path = std::path::Path::new(target);
    let file = std::fs::File::open(path).with_context(|| format!("opening {target}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {target}"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        bail!("{target} is larger than {} MiB", MAX_FILE_BYTES >> 20);
    }
    let absolute = std::fs::canonicalize(path).with_context(|| format!("resolving {target}"))?;
    Ok(Document {
        bytes,
        content_type: None,
        base: format!("file://{}", absolute.display()),
    })
}

/// The outcome of validating one document.
#[derive(serde::Serialize)]
struct Outcome {
    document: String,
    conforms: bool,
    violations: usize,
    parse_issues: Vec<String>,
    rejected: Vec<String>,
    records: Vec<RecordOutcome>,
}

#[derive(serde::Serialize)]
struct RecordOutcome {
    iri: String,
    title: String,
    score: f64,
    mqa_points: f64,
    udata_score: f64,
    shacl: Vec<moisson_catalog::quality::ConformityIssue>,
    messages: Vec<String>,
}

pub(super) async fn run(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    if !matches!(args.format.as_str(), "table" | "json") {
        bail!("unknown format {:?} (expected table or json)", args.format);
    }
    let document = read_document(&args.file_or_url).await?;
    let target = args.file_or_url.clone();
    let origin = if args.mapped {
        RecordOrigin::Iso19139Mapping
    } else {
        RecordOrigin::Dcat
    };
    let outcome =
        tokio::task::spawn_blocking(move || validate(&target, &document, origin)).await??;
    let text = if args.format == "json" {
        serde_json::to_string_pretty(&outcome).context("serializing")? + "\n"
    } else {
        table(&outcome)
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .context("writing to stdout")?;
    Ok(if outcome.conforms {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn validate(target: &str, document: &Document, origin: RecordOrigin) -> anyhow::Result<Outcome> {
    let head = &document.bytes[..document.bytes.len().min(4096)];
    let rdf_format = format::detect(document.content_type.as_deref(), head, &document.base)
        .with_context(|| format!("{target}: not an RDF document"))?;
    let mut page = parse::parse_page(
        &document.bytes[..],
        document.bytes.len() as u64,
        rdf_format,
        &document.base,
    );
    let mut parse_issues: Vec<String> = page
        .issues
        .iter()
        .map(|i| format!("{}: {}", i.position.as_deref().unwrap_or("?"), i.message))
        .collect();
    if let Some(fatal) = &page.fatal {
        parse_issues.push(format!(
            "{}: {}",
            fatal.position.as_deref().unwrap_or("?"),
            fatal.message
        ));
    }
    let extracted = records::extract_records(&mut page.graph, &page.poisoned);
    let validator =
        crate::api::quality::validator().context("the embedded SHACL shapes do not compile")?;
    let mut inputs = Vec::with_capacity(extracted.records.len());
    for r in &extracted.records {
        let quads: Vec<Quad> = r
            .materialize(&page.graph)
            .into_iter()
            .map(|t| t.in_graph(GraphName::DefaultGraph))
            .collect();
        inputs.push((r.iri.clone(), r.kind, quads));
    }
    let how = SourceAssessment {
        now: chrono::Utc::now(),
        origin,
        conformance: Some(validator as &dyn Conformance),
        links: &NoLinks,
    };
    let assessed = assess_records(&inputs, &how);
    let mut records = Vec::with_capacity(inputs.len());
    let mut violations = 0;
    for ((_, _, quads), (_, a)) in inputs.iter().zip(&assessed) {
        let report = validator.validate(RecordGraph::from_quads(quads).graph());
        violations += report.violations();
        records.push(RecordOutcome {
            iri: a.record_iri.clone(),
            title: a.title.clone(),
            score: a.score,
            mqa_points: a.mqa_points,
            udata_score: a.udata.score,
            shacl: report.results.iter().map(conformity_issue).collect(),
            messages: a.messages.iter().map(message_line).collect(),
        });
    }
    let rejected: Vec<String> = extracted
        .rejected
        .iter()
        .map(|r| format!("{}: {}", r.iri, r.message))
        .collect();
    let readable = page.fatal.is_none() || !records.is_empty();
    Ok(Outcome {
        document: target.to_owned(),
        conforms: violations == 0 && readable && rejected.is_empty(),
        violations,
        parse_issues,
        rejected,
        records,
    })
}

fn table(o: &Outcome) -> String {
    let mut out = String::new();
    let verdict = if o.conforms {
        "conforme"
    } else {
        "NON CONFORME"
    };
    let _ = writeln!(
        out,
        "{} — {verdict} · {} fiche(s) · {} violation(s) SHACL",
        o.document,
        o.records.len(),
        o.violations
    );
    for issue in &o.parse_issues {
        let _ = writeln!(out, "  erreur de lecture: {issue}");
    }
    for r in &o.rejected {
        let _ = writeln!(out, "  fiche rejetée: {r}");
    }
    for r in &o.records {
        let _ = writeln!(
            out,
            "\n{}\n  {} — note {:.1}/100 · MQA {:.0}/405 · data.gouv.fr {:.0} %",
            r.iri,
            r.title,
            r.score,
            r.mqa_points,
            r.udata_score * 100.0
        );
        if !r.shacl.is_empty() {
            let _ = writeln!(out, "  SHACL (nœud, chemin, contrainte, message):");
            for i in &r.shacl {
                let _ = writeln!(
                    out,
                    "    [{}] {} · {} · {} · {}",
                    i.severity,
                    i.focus,
                    i.path.as_deref().unwrap_or("—"),
                    i.constraint,
                    i.message
                );
            }
        }
        if !r.messages.is_empty() {
            let _ = writeln!(out, "  à corriger:");
            for m in &r.messages {
                let _ = writeln!(out, "    - {m}");
            }
        }
    }
    out
}
