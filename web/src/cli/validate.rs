//! `moisson validate FILE_OR_URL [--format table|json]`: a producer's pre-publication
//! check. An RDF file gets the SHACL report of each record against `shapes/` and the
//! quality indicators; a URL (a DCAT document, a Hydra-paged catalogue, a CSW endpoint
//! with `--protocol csw` and an optional `--constraint`) or an ISO 19139 / CSW file is
//! read as `/valider` reads it (`moisson_harvester::preview`: the harvest's requests,
//! paging and mapping), within `--max-records` and `--max-pages`.
//! Exit 1 when a record has a SHACL violation (or the document cannot be read).

use anyhow::{bail, Context};
use clap::Args;
use moisson_catalog::quality::{
    assess_record, message_line, AssessContext, NoLinks, RecordGraph, RecordOrigin,
};
use moisson_catalog::shacl::{conformity_issue, Validator};
use moisson_harvester::{format, parse, records, Fetcher, ParseLimits};
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
    /// Validate against these SHACL shapes (Turtle files, e.g. the official DCAT-AP 3.0.1
    /// shapes) instead of Moisson's `shapes/`; repeat for several files.
    #[arg(long = "shapes", value_name = "TURTLE_FILE")]
    shapes: Vec<std::path::PathBuf>,
    /// For a URL: `dcat` (a document or a Hydra-paged catalogue) or `csw`; guessed from
    /// the URL when absent.
    #[arg(long)]
    protocol: Option<String>,
    /// For a CSW endpoint: a constraint (CQL text), e.g. "OrganisationName LIKE '%DDT%'".
    #[arg(long)]
    constraint: Option<String>,
    /// For a URL: records read at most.
    #[arg(long, default_value_t = 200)]
    max_records: usize,
    /// For a URL: pages read at most.
    #[arg(long, default_value_t = 10)]
    max_pages: u32,
}

/// Largest document read from a file.
const MAX_FILE_BYTES: u64 = 256 << 20;

/// A document read from a file or fetched, as a harvest would read it.
pub(super) struct Document {
    pub(super) bytes: Vec<u8>,
    pub(super) content_type: Option<String>,
    pub(super) base: String,
}

/// Reads `target`: an http(s) URL through the harvester's fetcher, else a file.
pub(super) async fn read_document(target: &str) -> anyhow::Result<Document> {
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
    /// What was left out of the records (over-long literals), with the record.
    warnings: Vec<String>,
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

/// Exit codes: 0 when every record conforms, 1 when a record has a SHACL violation or the
/// document cannot be read as RDF, 2 when the check itself could not run (missing file,
/// unreachable URL, shapes that do not compile), so a CI step can tell the two apart.
pub(super) async fn run(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    match check(args).await {
        Ok(code) => Ok(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            Ok(ExitCode::from(2))
        }
    }
}

async fn check(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    if !matches!(args.format.as_str(), "table" | "json") {
        bail!("unknown format {:?} (expected table or json)", args.format);
    }
    let is_url =
        args.file_or_url.starts_with("http://") || args.file_or_url.starts_with("https://");
    if is_url {
        return check_preview(args, None).await;
    }
    let document = read_document(&args.file_or_url).await?;
    if moisson_harvester::preview::is_csw_document(
        &document.bytes[..document.bytes.len().min(4096)],
    ) {
        return check_preview(args, Some(document)).await;
    }
    let target = args.file_or_url.clone();
    let custom = if args.shapes.is_empty() {
        None
    } else {
        let mut texts = Vec::with_capacity(args.shapes.len());
        for path in &args.shapes {
            texts.push(
                std::fs::read_to_string(path)
                    .with_context(|| format!("reading the shapes {}", path.display()))?,
            );
        }
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        Some(Validator::from_turtle(&refs).context("compiling the given SHACL shapes")?)
    };
    let origin = if args.mapped {
        RecordOrigin::Iso19139Mapping
    } else {
        RecordOrigin::Dcat
    };
    let outcome = tokio::task::spawn_blocking(move || {
        let validator = match &custom {
            Some(v) => v,
            None => crate::api::quality::validator()
                .context("the embedded SHACL shapes do not compile")?,
        };
        validate(&target, &document, origin, validator)
    })
    .await??;
    print_report(&args.format, &outcome, table, outcome.conforms)
}

/// Reads a URL or an ISO 19139 / CSW file as `/valider` does, and prints its report.
async fn check_preview(args: ValidateArgs, document: Option<Document>) -> anyhow::Result<ExitCode> {
    use moisson_harvester::preview::{preview, PreviewInput, PreviewLimits};
    let input = match document {
        Some(d) => PreviewInput::Document {
            bytes: d.bytes,
            content_type: d.content_type,
            name: d.base,
        },
        None => crate::api::validate::url_input(crate::api::validate::UrlRequest {
            url: args.file_or_url.clone(),
            protocol: args.protocol.clone(),
            constraint: args.constraint.clone(),
        })
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.file_or_url))?,
    };
    let custom = if args.shapes.is_empty() {
        None
    } else {
        let mut texts = Vec::with_capacity(args.shapes.len());
        for path in &args.shapes {
            texts.push(
                std::fs::read_to_string(path)
                    .with_context(|| format!("reading the shapes {}", path.display()))?,
            );
        }
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        Some(Validator::from_turtle(&refs).context("compiling the given SHACL shapes")?)
    };
    let fetcher = Fetcher::new(Default::default()).context("creating the HTTP client")?;
    let limits = PreviewLimits {
        max_records: args.max_records.max(1),
        max_pages: args.max_pages.max(1),
        timeout: std::time::Duration::from_secs(600),
        parse: ParseLimits::default(),
    };
    let read = preview(&fetcher, input, limits)
        .await
        .with_context(|| format!("reading {}", args.file_or_url))?;
    let target = args.file_or_url.clone();
    let report = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let validator: &dyn moisson_catalog::quality::Conformance = match &custom {
            Some(v) => v,
            None => crate::api::quality::validator()
                .context("the embedded SHACL shapes do not compile")?,
        };
        Ok(moisson_harvester::validation::validate(
            &target,
            read,
            Some(validator),
        ))
    })
    .await??;
    print_report(&args.format, &report, preview_table, report.conforms)
}

/// Prints `report` as JSON or as the table `table` writes, and says by the exit code
/// whether it conforms (0) or not (1).
fn print_report<R: serde::Serialize>(
    format: &str,
    report: &R,
    table: fn(&R) -> String,
    conforms: bool,
) -> anyhow::Result<ExitCode> {
    let text = if format == "json" {
        serde_json::to_string_pretty(report).context("serializing")? + "\n"
    } else {
        table(report)
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .context("writing to stdout")?;
    Ok(if conforms {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn preview_table(r: &moisson_harvester::validation::ValidationReport) -> String {
    let mut out = String::new();
    let verdict = if r.conforms {
        "conforme"
    } else {
        "NON CONFORME"
    };
    let _ = writeln!(
        out,
        "{} — {verdict} · {} fiche(s) lue(s) sur {} page(s){}",
        r.document,
        r.record_count,
        r.pages,
        r.total_hint
            .map(|t| format!(" (la source en annonce {t})"))
            .unwrap_or_default()
    );
    if let Some(t) = &r.truncated {
        let _ = writeln!(out, "  lecture arrêtée: {t}");
    }
    if let Some(s) = &r.score {
        let _ = writeln!(
            out,
            "  score: {:.1} points MQA sur 405 ({}), soit {:.1}/100",
            s.points, s.band_label, s.score
        );
    }
    for e in r.errors.iter().chain(&r.rejected) {
        let _ = writeln!(out, "  erreur: {e}");
    }
    if !r.fix_groups.counted.is_empty() {
        let _ = writeln!(out, "  à corriger en priorité:");
        for g in &r.fix_groups.counted {
            let _ = writeln!(
                out,
                "    - {} fiche(s) — {} — +{:.1} points chacune: {}",
                g.records, g.label, g.points_each, g.advice
            );
        }
    }
    for rec in &r.records {
        let _ = writeln!(
            out,
            "\n{}\n  {} — {:.1}/100 ({}){}",
            rec.iri,
            rec.title,
            rec.score.score,
            rec.score.band_label,
            if rec.conforms {
                ""
            } else {
                " · non conforme DCAT-AP"
            }
        );
        for f in &rec.fixes {
            let _ = writeln!(out, "    - {f}");
        }
    }
    out
}

/// Validates `bytes` (served with `content_type`, read from `base`) in memory exactly as
/// `moisson validate` does, and returns its JSON report; used by `bench-fuzz` and the fuzz
/// test.
pub fn validate_bytes(
    bytes: Vec<u8>,
    content_type: Option<String>,
    base: String,
) -> anyhow::Result<serde_json::Value> {
    let validator =
        crate::api::quality::validator().context("the embedded SHACL shapes do not compile")?;
    let document = Document {
        bytes,
        content_type,
        base,
    };
    let outcome = validate("document", &document, RecordOrigin::Dcat, validator)?;
    serde_json::to_value(&outcome).context("serializing the report")
}

fn validate(
    target: &str,
    document: &Document,
    origin: RecordOrigin,
    validator: &Validator,
) -> anyhow::Result<Outcome> {
    let head = &document.bytes[..document.bytes.len().min(4096)];
    let rdf_format = match format::detect(document.content_type.as_deref(), head, &document.base) {
        Ok(f) => f,
        Err(e) => {
            return Ok(Outcome {
                document: target.to_owned(),
                conforms: false,
                violations: 0,
                parse_issues: vec![format!("{target}: not an RDF document ({e})")],
                rejected: Vec::new(),
                warnings: Vec::new(),
                records: Vec::new(),
            })
        }
    };
    // The limits of a harvest with the default configuration: a document refused there
    // is refused here, with the same located error.
    let limits = ParseLimits::default();
    let bytes = &document.bytes[..];
    let mut page = parse::parse_page_rereadable(
        bytes,
        || Some(bytes),
        bytes.len() as u64,
        rdf_format,
        &document.base,
        &limits,
    );
    let mut parse_issues: Vec<String> = page.issues.iter().map(|i| i.located()).collect();
    if let Some(fatal) = &page.fatal {
        parse_issues.push(fatal.located());
    }
    let extracted = records::extract_records_within(&mut page.graph, &page.poisoned, &limits);
    let today = chrono::Utc::now().date_naive();
    let check = |r: &records::ExtractedRecord| -> (usize, RecordOutcome) {
        let quads: Vec<Quad> = r
            .materialize(&page.graph)
            .into_iter()
            .map(|t| t.in_graph(GraphName::DefaultGraph))
            .collect();
        let graph = RecordGraph::from_quads(&quads);
        // One SHACL run per record: its results are the report and feed the indicators.
        let report = validator.validate(graph.graph());
        let shacl: Vec<_> = report.results.iter().map(conformity_issue).collect();
        let context = AssessContext {
            today,
            origin,
            conformity: Some(&shacl),
            links: &NoLinks,
            duplicate_sources: &[],
        };
        let a = assess_record(&r.iri, r.kind, &graph, &context);
        let outcome = RecordOutcome {
            iri: a.record_iri,
            title: a.title,
            score: a.score,
            mqa_points: a.mqa_points,
            udata_score: a.udata.score,
            messages: a.messages.iter().map(message_line).collect(),
            shacl,
        };
        (report.violations(), outcome)
    };
    // Records are independent: checked on every core, in document order.
    let check = &check;
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = extracted.records.len().div_ceil(threads).max(1);
    let checked: Vec<(usize, RecordOutcome)> = std::thread::scope(|scope| {
        let workers: Vec<_> = extracted
            .records
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(check).collect::<Vec<_>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    });
    if checked.len() != extracted.records.len() {
        anyhow::bail!("{target}: a record check failed unexpectedly");
    }
    let violations = checked.iter().map(|(v, _)| v).sum::<usize>();
    let records: Vec<RecordOutcome> = checked.into_iter().map(|(_, o)| o).collect();
    let rejected: Vec<String> = extracted
        .rejected
        .iter()
        .map(|r| format!("{}: {}", r.iri, r.message))
        .collect();
    let warnings: Vec<String> = extracted
        .warnings
        .iter()
        .map(|w| format!("{}: {}", w.iri, w.message))
        .collect();
    let readable = page.fatal.is_none() || !records.is_empty();
    Ok(Outcome {
        document: target.to_owned(),
        conforms: violations == 0 && readable && rejected.is_empty(),
        violations,
        parse_issues,
        rejected,
        warnings,
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
    for w in &o.warnings {
        let _ = writeln!(out, "  avertissement: {w}");
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
