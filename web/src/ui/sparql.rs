//! `GET /sparql` in a browser: the query page inside the site's layout, with example
//! queries, the prefixes and graphs to know, and the results of a SELECT or ASK shown as a
//! table, with links to the same query as CSV and JSON. Clients that negotiate a results
//! format (or give `format=`) get the protocol's answer from `api::sparql`, unchanged.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};

use super::components::{search_href, Params};
use super::layout::{page, Nav};
use super::{fr, Page};

/// Rows shown in the page; the CSV and JSON links give them all.
const ROWS_SHOWN: usize = 500;

/// Example queries: (title, query).
pub const EXAMPLES: [(&str, &str); 3] = [
    (
        "Jeux de données par thème attribué par Moisson",
        "PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?theme ?label (COUNT(DISTINCT ?jeu) AS ?nombre) WHERE {
  GRAPH <urn:moisson:classification> { ?jeu dcat:theme ?theme }
  GRAPH ?vocabulaire { ?theme skos:prefLabel ?label }
}
GROUP BY ?theme ?label
ORDER BY DESC(?nombre)",
    ),
    (
        "Les 20 jeux de données modifiés le plus récemment",
        "PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dct: <http://purl.org/dc/terms/>
SELECT ?jeu ?titre ?modifie WHERE {
  ?jeu a dcat:Dataset ; dct:title ?titre ; dct:modified ?modifie .
}
ORDER BY DESC(?modifie)
LIMIT 20",
    ),
    (
        "Jeux de données par éditeur",
        "PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
SELECT ?editeur (COUNT(DISTINCT ?jeu) AS ?nombre) WHERE {
  ?jeu a dcat:Dataset ; dct:publisher ?p .
  ?p foaf:name ?editeur .
}
GROUP BY ?editeur
ORDER BY DESC(?nombre)
LIMIT 50",
    ),
];

/// Prefixes worth knowing: (prefix, IRI).
const PREFIXES: [(&str, &str); 7] = [
    ("dcat", "http://www.w3.org/ns/dcat#"),
    ("dct", "http://purl.org/dc/terms/"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("vcard", "http://www.w3.org/2006/vcard/ns#"),
    ("adms", "http://www.w3.org/ns/adms#"),
    ("dqv", "http://www.w3.org/ns/dqv#"),
];

/// What running the query gave, for the page.
pub(crate) enum Outcome {
    /// SPARQL 1.1 query results JSON (SELECT or ASK).
    Results(serde_json::Value),
    /// Why there is no table: the API's error message, with its status.
    Failed(StatusCode, String),
}

/// Returns the page: the form (with `query` or the first example), and the outcome.
pub(crate) fn render(query: Option<&str>, outcome: Option<Outcome>) -> Response {
    let status = match &outcome {
        Some(Outcome::Failed(status, _)) => *status,
        _ => StatusCode::OK,
    };
    let text = query.unwrap_or(EXAMPLES[0].1);
    let markup = page(
        "Point d'accès SPARQL",
        Nav::None,
        html! {
            div.container {
                h1 { "Point d'accès SPARQL" }
                p.lead {
                    "Interrogez les métadonnées moissonnées (fiches actives seulement) en SPARQL 1.1. "
                    "Lecture seule ; durée et nombre de résultats limités."
                }
                form.sparql-form method="get" action="/sparql" {
                    label for="query" { "Requête" }
                    textarea #query name="query" rows="12" spellcheck="false" { (text) }
                    p { button type="submit" { "Exécuter la requête" } }
                }
                @if let (Some(q), Some(outcome)) = (query, &outcome) {
                    (results(q, outcome))
                }
                section aria-labelledby="exemples" {
                    h2 #exemples { "Exemples" }
                    ul {
                        @for (title, example) in EXAMPLES {
                            li { a href=(Params(vec![("query".into(), example.into())]).href("/sparql")) { (title) } }
                        }
                    }
                }
                section aria-labelledby="prefixes" {
                    h2 #prefixes { "Préfixes et graphes" }
                    p {
                        "Le graphe par défaut réunit les fiches moissonnées, telles que leurs "
                        "producteurs les ont publiées. Le graphe " code { "urn:moisson:classification" }
                        " contient les thèmes, cas d'usage et territoires attribués par Moisson, et les graphes "
                        code { "urn:moisson:vocab:themes" } ", " code { "…:use-cases" } " et "
                        code { "…:territories" } " leurs libellés : interrogez-les avec "
                        code { "GRAPH" } ". Préfixes courants :"
                    }
                    pre.prefixes {
                        @for (prefix, iri) in PREFIXES { "PREFIX " (prefix) ": <" (iri) ">\n" }
                    }
                    p {
                        "Les programmes peuvent demander les résultats en JSON, XML, CSV ou TSV "
                        "(en-tête Accept ou paramètre " code { "format" } ") ; voir la "
                        a href="/api/docs" { "documentation de l'API" } ". "
                        "Pour chercher un jeu de données par mots, la "
                        a href=(search_href(&[])) { "recherche" } " est plus simple."
                    }
                }
            }
        },
    );
    let mut response = Page::ok(markup).into_response();
    *response.status_mut() = status;
    response
}

fn results(query: &str, outcome: &Outcome) -> Markup {
    let link = |format: &str| {
        Params(vec![
            ("query".into(), query.into()),
            ("format".into(), format.into()),
        ])
        .href("/sparql")
    };
    html! {
        section aria-labelledby="resultats" {
            h2 #resultats { "Résultats" }
            @match outcome {
                Outcome::Failed(_, message) => {
                    p.notice role="alert" { "La requête n'a pas pu être exécutée : " (message) }
                }
                Outcome::Results(json) => {
                    @if let Some(answer) = json.get("boolean").and_then(serde_json::Value::as_bool) {
                        p { "Réponse : " strong { @if answer { "vrai" } @else { "faux" } } }
                    } @else {
                        (table(json))
                    }
                    p {
                        "La même requête en "
                        a href=(link("csv")) type="text/csv" { "CSV" } " ou en "
                        a href=(link("json")) type="application/sparql-results+json" { "JSON" } "."
                    }
                }
            }
        }
    }
}

fn table(json: &serde_json::Value) -> Markup {
    let vars: Vec<&str> = json["head"]["vars"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(serde_json::Value::as_str)
        .collect();
    let rows = json["results"]["bindings"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    html! {
        p { (fr::int(rows.len() as u64)) " ligne" @if rows.len() > 1 { "s" }
            @if rows.len() > ROWS_SHOWN { " ; les " (ROWS_SHOWN) " premières sont affichées" } "." }
        @if !rows.is_empty() {
            div.table-wrap tabindex="0" role="region" aria-label="Résultats de la requête (tableau défilant)" {
                table {
                    caption.sr-only { "Résultats de la requête" }
                    thead { tr { @for v in &vars { th scope="col" { "?" (v) } } } }
                    tbody {
                        @for row in rows.iter().take(ROWS_SHOWN) {
                            tr {
                                @for v in &vars {
                                    td { (cell(&row[*v])) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One value: IRIs in code (never as link text), literals as text with their language.
fn cell(term: &serde_json::Value) -> Markup {
    let value = term["value"].as_str().unwrap_or_default();
    match term["type"].as_str() {
        Some("uri") => html! { code { (value) } },
        Some("bnode") => html! { code { "_:" (value) } },
        Some(_) => html! {
            (value)
            @if let Some(lang) = term["xml:lang"].as_str() { " " span.muted { "@" (lang) } }
        },
        None => html! {},
    }
}
