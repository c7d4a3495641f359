//! `/valider`: the validator for producers, in French, without installing anything: a
//! form (a URL — DCAT document, Hydra-paged catalogue, CSW endpoint with an optional
//! constraint — or a file, RDF or ISO 19139 XML) and its report. The reading and the
//! report are the harvester's (`api::validate::run_validation`); nothing is stored.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::Extension;
use maud::{html, Markup};
use moisson_harvester::preview::PreviewInput;
use moisson_harvester::validation::ValidationReport;

use super::components::big_score;
use super::layout::{page as layout_page, Nav};
use super::{fr, Page};
use crate::api::validate::{
    admit, run_validation, url_input, ClientAddr, UrlRequest, ValidatorSettings, MAX_DOCUMENT_BYTES,
};
use crate::app::AppState;

pub(crate) async fn form_page() -> Page {
    Page::ok(render(None, None))
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    settings: Option<Extension<ValidatorSettings>>,
    client: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    body: Bytes,
) -> Page {
    let settings = settings.map(|Extension(s)| s).unwrap_or_default();
    if let Err(wait) = admit(client.map(|Extension(c)| c.0), settings.requests_per_minute) {
        return Page::ok(render(
            None,
            Some(format!(
                "Trop de validations depuis votre adresse : réessayez dans {wait} secondes."
            )),
        ));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let input = match form_input(content_type, &body) {
        Ok(i) => i,
        Err(message) => return Page::ok(render(None, Some(message))),
    };
    match run_validation(&state, &settings, input).await {
        Ok(report) => Page::ok(render(Some(&report), None)),
        Err(e) => {
            let (_, _, message) = e.parts();
            Page::ok(render(
                None,
                Some(format!("La source n'a pas pu être lue : {message}")),
            ))
        }
    }
}

/// Reads the form: a file when one was sent, else the URL.
fn form_input(content_type: &str, body: &[u8]) -> Result<PreviewInput, String> {
    let fields = if content_type.starts_with("multipart/form-data") {
        multipart(content_type, body)?
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        url::form_urlencoded::parse(body)
            .map(|(k, v)| Field {
                name: k.into_owned(),
                filename: None,
                content_type: None,
                value: v.into_owned().into_bytes(),
            })
            .collect()
    } else {
        return Err("Formulaire non reconnu.".into());
    };
    let text = |name: &str| {
        fields
            .iter()
            .find(|f| f.name == name && f.filename.is_none())
            .map(|f| String::from_utf8_lossy(&f.value).trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    if let Some(file) = fields
        .iter()
        .find(|f| f.name == "fichier" && f.filename.as_deref().is_some_and(|n| !n.is_empty()))
    {
        if file.value.is_empty() {
            return Err("Le fichier envoyé est vide.".into());
        }
        let name = file.filename.clone().unwrap_or_default();
        // The file's name is only a hint for the format (its extension).
        let safe: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            .take(100)
            .collect();
        return Ok(PreviewInput::Document {
            bytes: file.value.clone(),
            content_type: file
                .content_type
                .clone()
                .filter(|c| c != "application/octet-stream"),
            name: format!("urn:moisson:validateur:{safe}"),
        });
    }
    let Some(url) = text("url") else {
        return Err("Indiquez l'adresse d'un catalogue ou envoyez un fichier.".into());
    };
    url_input(UrlRequest {
        url,
        protocol: text("protocole"),
        constraint: text("contrainte"),
    })
    .map_err(|e| format!("Adresse refusée : {e}."))
}

struct Field {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    value: Vec<u8>,
}

/// Parses a `multipart/form-data` body (RFC 7578): its parts, their names, file names,
/// media types and contents; at most 16 parts.
fn multipart(content_type: &str, body: &[u8]) -> Result<Vec<Field>, String> {
    let boundary = content_type
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("boundary="))
        .next()
        .map(|b| b.trim_matches('"'))
        .filter(|b| !b.is_empty() && b.len() <= 200)
        .ok_or("Formulaire sans délimiteur.")?;
    let delimiter = format!("--{boundary}").into_bytes();
    let mut fields = Vec::new();
    let mut rest = body;
    let Some(first) = find(rest, &delimiter) else {
        return Err("Formulaire illisible.".into());
    };
    rest = &rest[first + delimiter.len()..];
    while !rest.starts_with(b"--") && fields.len() < 16 {
        rest = rest.strip_prefix(b"\r\n").unwrap_or(rest);
        let Some(end) = find(rest, &delimiter) else {
            return Err("Formulaire tronqué.".into());
        };
        let part = &rest[..end];
        let part = part.strip_suffix(b"\r\n").unwrap_or(part);
        let Some(split) = find(part, b"\r\n\r\n") else {
            return Err("Partie de formulaire illisible.".into());
        };
        let head = String::from_utf8_lossy(&part[..split]);
        let mut field = Field {
            name: String::new(),
            filename: None,
            content_type: None,
            value: part[split + 4..].to_vec(),
        };
        for line in head.lines() {
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("content-disposition:") {
                field.name = param(line, "name").unwrap_or_default();
                field.filename = param(line, "filename");
            } else if let Some(v) = lower.strip_prefix("content-type:") {
                field.content_type = Some(v.trim().to_owned());
            }
        }
        fields.push(field);
        rest = &rest[end + delimiter.len()..];
    }
    Ok(fields)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The value of `key="…"` in a header line.
fn param(line: &str, key: &str) -> Option<String> {
    let pattern = format!("{key}=\"");
    let mut from = 0;
    while let Some(i) = line[from..].find(&pattern) {
        let at = from + i;
        let before = line[..at].chars().last();
        if before.is_none_or(|c| c == ' ' || c == ';') {
            let start = at + pattern.len();
            let end = line[start..].find('"')? + start;
            return Some(line[start..end].to_owned());
        }
        from = at + pattern.len();
    }
    None
}

fn render(report: Option<&ValidationReport>, error: Option<String>) -> Markup {
    layout_page(
        "Valider un catalogue",
        Nav::Validate,
        html! {
            div.container {
                h1 { "Valider un catalogue ou une fiche" }
                p.lead { "Vérifiez vos métadonnées avant de les publier ou d'ajouter votre catalogue à Moisson : elles sont lues exactement comme lors d'une moisson (mêmes requêtes, même conversion ISO 19139 → DCAT-AP, mêmes indicateurs), sans rien enregistrer." }
                form.validator method="post" action="/valider" enctype="multipart/form-data" {
                    fieldset {
                        legend { "Une adresse" }
                        label for="url" { "Adresse d'un document DCAT, d'un catalogue paginé (Hydra) ou d'un service CSW" }
                        input #url type="url" name="url" placeholder="https://…/csw";
                        label for="protocole" { "Type de source" }
                        select #protocole name="protocole" {
                            option value="" { "Deviner d'après l'adresse" }
                            option value="dcat" { "Document ou catalogue DCAT (RDF)" }
                            option value="csw" { "Service CSW (ISO 19139)" }
                        }
                        label for="contrainte" { "Contrainte CSW (facultative, CQL)" }
                        input #contrainte type="text" name="contrainte" placeholder="OrganisationName LIKE '%DDT%'";
                    }
                    fieldset {
                        legend { "Ou un fichier" }
                        label for="fichier" { "Fichier RDF (Turtle, RDF/XML, JSON-LD) ou XML ISO 19139" }
                        input #fichier type="file" name="fichier" accept=".ttl,.rdf,.xml,.jsonld,.json,.nt";
                    }
                    p.muted { "Taille maximale d'un fichier : " (MAX_DOCUMENT_BYTES >> 20) " Mo. Seules les adresses publiques sont lues." }
                    button type="submit" { "Valider" }
                }
                @if let Some(e) = error {
                    p.error role="alert" { (e) }
                }
                @if let Some(r) = report { (report_section(r)) }
            }
        },
    )
}

fn report_section(r: &ValidationReport) -> Markup {
    html! {
        section aria-labelledby="rapport" {
            h2 #rapport { "Rapport de validation" }
            ul.score-notes {
                li { (fr::int(r.record_count as u64)) " fiches lues sur " (r.pages) " page(s)"
                    @if let Some(t) = r.total_hint { " (la source en annonce " (fr::int(t)) ")" } }
                @if r.iso19139 { li { "Fiches ISO 19139 converties en DCAT-AP par Moisson : les conseils nomment les éléments ISO à remplir." } }
                @if let Some(t) = &r.truncated { li { "Lecture arrêtée : " (t) } }
                li { @if r.conforms { "Toutes les fiches lues sont conformes à DCAT-AP." } @else { "Des fiches ne sont pas conformes à DCAT-AP ou n'ont pas pu être lues." } }
            }
            @if let Some(s) = &r.score { (big_score(s.score)) }
            (super::producers::fix_groups_static(&r.fix_groups))
            @if !r.errors.is_empty() || !r.rejected.is_empty() {
                h3 { "Erreurs de lecture" }
                ul { @for e in r.errors.iter().chain(&r.rejected).take(50) { li { (e) } } }
            }
            @if !r.records.is_empty() {
                h3 { "Fiches, les moins bonnes d'abord" }
                ol.fix-list {
                    @for rec in r.records.iter().take(50) {
                        li {
                            strong { (if rec.title.is_empty() { rec.iri.as_str() } else { rec.title.as_str() }) }
                            " — " (fr::decimal(rec.score.score)) "\u{a0}/\u{a0}100 (" (rec.score.band_label) ")"
                            @if !rec.conforms { " — non conforme à DCAT-AP" }
                            ul { @for f in rec.fixes.iter().take(5) { li { (f) } } }
                        }
                    }
                }
            }
        }
    }
}
