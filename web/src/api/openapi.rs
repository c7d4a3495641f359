//! `GET /api/openapi.json` (OpenAPI 3.1) and `GET /api/docs` (a French HTML page), both
//! generated from [`ENDPOINTS`], the one description of every JSON endpoint.
//!
//! Invariant: every `/api/…` route of the router is in [`ENDPOINTS`] and nothing else is
//! (an end-to-end test compares the table with the routes the code declares and the
//! router answers).

use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use maud::{html, Markup};
use serde_json::{json, Value};

use crate::app::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/openapi.json", get(openapi))
        .route("/api/docs", get(docs))
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum In {
    /// A path segment (`{id}`).
    Path,
    /// The query string.
    Query,
}

/// One parameter of an endpoint.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// Name.
    pub name: &'static str,
    /// Location.
    pub location: In,
    /// JSON Schema type: `string` or `integer`.
    pub kind: &'static str,
    /// May be given several times.
    pub repeated: bool,
    /// What it does (English).
    pub description: &'static str,
}

/// One endpoint under `/api` (all JSON but `/api/docs`).
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    /// `get`, `post`, `put` or `delete`.
    pub method: &'static str,
    /// Path template, axum style (`/api/sources/{id}`).
    pub path: &'static str,
    /// Grouping tag.
    pub tag: &'static str,
    /// One line (English, for the OpenAPI document).
    pub summary: &'static str,
    /// One line in French (for `/api/docs`).
    pub summary_fr: &'static str,
    /// Parameters.
    pub params: &'static [Param],
    /// Name of the response schema in `components.schemas`.
    pub response: &'static str,
    /// Needs the admin token.
    pub admin: bool,
}

const fn path(name: &'static str, description: &'static str) -> Param {
    Param {
        name,
        location: In::Path,
        kind: "string",
        repeated: false,
        description,
    }
}

const fn query(name: &'static str, kind: &'static str, description: &'static str) -> Param {
    Param {
        name,
        location: In::Query,
        kind,
        repeated: false,
        description,
    }
}

const fn filter(name: &'static str, description: &'static str) -> Param {
    Param {
        name,
        location: In::Query,
        kind: "string",
        repeated: true,
        description,
    }
}

/// The response "schema" of the one HTML endpoint.
const HTML: &str = "html";

const SOURCE_ID: Param = path("id", "Source id ([a-z0-9-]+).");

/// Every endpoint under `/api`.
pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "get",
        path: "/api/sources",
        tag: "sources",
        summary: "Every configured source with counts and its last harvest job.",
        summary_fr: "Toutes les sources, leurs effectifs et leur dernière moisson.",
        params: &[],
        response: "SourceList",
        admin: false,
    },
    Endpoint {
        method: "get",
        path: "/api/sources/{id}",
        tag: "sources",
        summary: "One source with counts and its last harvest job.",
        summary_fr: "Une source, ses effectifs et sa dernière moisson.",
        params: &[SOURCE_ID],
        response: "Source",
        admin: false,
    },
    Endpoint {
        method: "get",
        path: "/api/sources/{id}/jobs",
        tag: "sources",
        summary: "Harvest history of a source, newest first.",
        summary_fr: "Historique des moissons d'une source, la plus récente d'abord.",
        params: &[SOURCE_ID, query("limit", "integer", "Most jobs returned (default 50, at most 1000).")],
        response: "JobList",
        admin: false,
    },
    Endpoint {
        method: "post",
        path: "/api/sources/{id}/harvest",
        tag: "sources",
        summary: "Starts a harvest of the source now (202); admin token required.",
        summary_fr: "Lance une moisson de la source (202) ; jeton d'administration requis.",
        params: &[SOURCE_ID],
        response: "Accepted",
        admin: true,
    },
    Endpoint {
        method: "put",
        path: "/api/sources/{id}",
        tag: "sources",
        summary: "Adds (201) or replaces (200) a source at run time; body: a JSON object with the keys of a [[source]] (name, url, protocol, schedule, publisher_kind, territory, csw_output_schema, csw_constraint), validated as moisson.toml is (400 with the key at fault); kept across restarts; admin token required.",
        summary_fr: "Ajoute (201) ou remplace (200) une source sans redémarrer ; corps : un objet JSON avec les clés d'un [[source]], validé comme moisson.toml (400 avec la clé en cause) ; conservé au redémarrage ; jeton d'administration requis.",
        params: &[SOURCE_ID],
        response: "Accepted",
        admin: true,
    },
    Endpoint {
        method: "delete",
        path: "/api/sources/{id}",
        tag: "sources",
        summary: "Disables a source (no listing, schedule or harvest; its records stay as last harvested); PUT enables it again; admin token required.",
        summary_fr: "Désactive une source (plus listée, planifiée ni moissonnée ; ses fiches restent telles que moissonnées) ; PUT la réactive ; jeton d'administration requis.",
        params: &[SOURCE_ID],
        response: "Accepted",
        admin: true,
    },
    Endpoint {
        method: "get",
        path: "/api/sources/{id}/quality",
        tag: "quality",
        summary: "Quality report of a source: score, dimensions, indicators, records to fix, trend.",
        summary_fr: "Rapport qualité d'une source : score, dimensions, indicateurs, fiches à corriger, tendance.",
        params: &[SOURCE_ID, query("limit", "integer", "Most records to fix listed (default 100, at most 500).")],
        response: "QualityReport",
        admin: false,
    },
    Endpoint {
        method: "get",
        path: "/api/publishers",
        tag: "quality",
        summary: "Every producer across sources (same IRI, SIREN/identifier or normalised name): score, records per source.",
        summary_fr: "Les producteurs, tous catalogues confondus (même IRI, SIREN ou identifiant, ou même nom normalisé) : score, fiches par catalogue.",
        params: &[],
        response: "Object",
        admin: false,
    },
    Endpoint {
        method: "get",
        path: "/api/publishers/{slug}/quality",
        tag: "quality",
        summary: "One producer's quality: score, dimensions, fixes grouped by problem, records to fix, the merge rule.",
        summary_fr: "La qualité d'un producteur : score, dimensions, corrections groupées par problème, fiches à corriger, règle de regroupement.",
        params: &[path("slug", "Producer slug."), query("limit", "integer", "Most records to fix listed (default 100, at most 1000).")],
        response: "Object",
        admin: false,
    },
    Endpoint {
        method: "post",
        path: "/api/validate",
        tag: "quality",
        summary: "Validates a URL (DCAT document, Hydra catalogue, CSW endpoint) given as JSON, or a document sent as the body, as a harvest would read it; nothing is stored; rate-limited per client.",
        summary_fr: "Valide une adresse (document DCAT, catalogue Hydra, service CSW) donnée en JSON, ou un document envoyé dans le corps, lus comme par une moisson ; rien n'est enregistré ; limité par client.",
        params: &[],
        response: "Object",
        admin: false,
    },
    Endpoint {
        method: "get",
        path: "/api/quality/indicators",
        tag: "quality",
        summary: "Every quality indicator with its points, label and advice.",
        summary_fr: "Les indicateurs de qualité, leurs points, libellés et conseils.",
        params: &[],
        response: "Object",
        admin: false,
    },
    Endpoint {
        method: "get",
        path: "/api/datasets",
        tag: "datasets",
        summary: "French full-text search with filters, facets, sorting and paging.",
        summary_fr: "Recherche plein texte en français, filtres, facettes, tri et pagination.",
        params: &[
            query("q", "string", "Free text (French analysis, quoted phrases, prefix*)."),
            filter("theme", "Theme or sub-theme slug."),
            filter("use_case", "Use case slug (or a France Nation Verte group)."),
            filter("territory", "Territory: INSEE code, region-NN or a name."),
            filter("publisher", "Publisher name."),
            filter("publisher_kind", "ddt, dreal, operator, agency, local-authority…"),
            filter("source", "Source id."),
            filter("format", "Distribution format."),
            filter("license", "Licence."),
            filter("freshness", "Freshness band."),
            filter("quality", "Quality band."),
            filter("kind", "dataset, series or service."),
            filter("hvd", "EU high-value datasets: true (any), a category slug (geospatiales, observation-terre-environnement, meteorologiques, statistiques, entreprises, mobilite) or a category code (c_…)."),
            query("sort", "string", "relevance, modified or quality."),
            query("page", "integer", "Page number, from 1."),
            query("page_size", "integer", "Results per page, 1 to 100 (400 beyond; default 20)."),
        ],
        response: "SearchResponse",
        admin: false,
    },
    Endpoint {
        method: "get",
        path: "/api/datasets/{id}",
        tag: "datasets",
        summary: "One dataset: DCAT-AP fields, sources, classification with reasons, quality.",
        summary_fr: "Un jeu de données : champs DCAT-AP, sources, classement motivé, qualité.",
        params: &[path("id", "Dataset id (slug and hash of its IRI).")],
        response: "Dataset",
        admin: false,
    },
    Endpoint {
        method: "get",
        path: "/api/themes",
        tag: "vocabularies",
        summary: "Themes and sub-themes with dataset counts.",
        summary_fr: "Thèmes et sous-thèmes avec le nombre de jeux de données.",
        params: &[],
        response: "VocabularyList",
        admin: false,
    },
    Endpoint {
        method: "get",
        path: "/api/use-cases",
        tag: "vocabularies",
        summary: "Use cases with dataset counts.",
        summary_fr: "Cas d'usage avec le nombre de jeux de données.",
        params: &[],
        response: "VocabularyList",
        admin: false,
    },
    Endpoint {
        method: "get",
        path: "/api/territories",
        tag: "vocabularies",
        summary: "Regions and their départements with dataset counts.",
        summary_fr: "Régions et départements avec le nombre de jeux de données.",
        params: &[],
        response: "VocabularyList",
        admin: false,
    },
    Endpoint {
        method: "get",
        path: "/api/docs",
        tag: "meta",
        summary: "This API described for people (HTML, French).",
        summary_fr: "Cette page.",
        params: &[],
        response: HTML,
        admin: false,
    },
    Endpoint {
        method: "get",
        path: "/api/openapi.json",
        tag: "meta",
        summary: "This document.",
        summary_fr: "Ce document OpenAPI.",
        params: &[],
        response: "Object",
        admin: false,
    },
];

/// Response schemas, deliberately shallow: the fields scripts rely on (SPEC) are named,
/// the rest is open.
fn schemas() -> Value {
    let job = json!({"type": "object", "properties": {
        "status": {"type": "string", "enum": ["ok", "partial", "failed", "running"]},
        "started": {"type": "string", "format": "date-time"},
        "finished": {"type": ["string", "null"], "format": "date-time"},
        "pages": {"type": "integer"}, "added": {"type": "integer"}, "updated": {"type": "integer"},
        "unchanged": {"type": "integer"}, "removed": {"type": "integer"}, "rejected": {"type": "integer"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "location": {"type": "string"}, "message": {"type": "string"}}}}}});
    let source = json!({"type": "object", "required": ["id", "name", "protocol", "url"], "properties": {
        "id": {"type": "string"}, "name": {"type": "string"}, "protocol": {"type": "string"},
        "url": {"type": "string"}, "schedule": {"type": ["string", "null"]},
        "dataset_count": {"type": "integer"}, "service_count": {"type": "integer"},
        "quality_score": {"type": ["number", "null"]},
        "last_job": {"oneOf": [{"$ref": "#/components/schemas/Job"}, {"type": "null"}]}}});
    let summary = json!({"type": "object", "properties": {
        "id": {"type": "string"}, "iri": {"type": "string"}, "title": {"type": ["string", "null"]},
        "description": {"type": ["string", "null"]}, "publisher": {"type": ["string", "null"]},
        "sources": {"type": "array", "items": {"type": "string"}},
        "themes": {"type": "array", "items": {"type": "string"}},
        "use_cases": {"type": "array", "items": {"type": "string"}},
        "territories": {"type": "array", "items": {"type": "string"}},
        "formats": {"type": "array", "items": {"type": "string"}},
        "license": {"type": ["string", "null"]}, "modified": {"type": ["string", "null"]},
        "quality_score": {"type": ["number", "null"]}}});
    json!({
        "Job": job,
        "JobList": {"type": "array", "items": {"$ref": "#/components/schemas/Job"}},
        "Source": source,
        "SourceList": {"type": "array", "items": {"$ref": "#/components/schemas/Source"}},
        "Accepted": {"type": "object"},
        "DatasetSummary": summary,
        "SearchResponse": {"type": "object", "required": ["total", "page", "page_size", "max_page_size",
            "page_count", "next", "previous", "results", "facets"], "properties": {
            "total": {"type": "integer", "description": "Matching datasets and services, copies harvested from several catalogues counted once."},
            "page": {"type": "integer"}, "page_size": {"type": "integer"},
            "max_page_size": {"type": "integer", "description": "Largest page_size accepted; a larger one is refused with 400."},
            "page_count": {"type": "integer", "description": "Pages that can be walked (the first 10,000 results)."},
            "next": {"type": ["string", "null"], "description": "URL of the next page, null on the last."},
            "previous": {"type": ["string", "null"], "description": "URL of the previous page, null on the first."},
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/DatasetSummary"}},
            "facets": {"type": "object", "additionalProperties": {"type": "array", "items": {
                "type": "object", "properties": {"value": {"type": "string"}, "label": {"type": "string"},
                "count": {"type": "integer"}}}}}}},
        "Dataset": {"type": "object", "required": ["id", "iri"], "properties": {
            "id": {"type": "string"}, "iri": {"type": "string"}, "title": {"type": ["string", "null"]},
            "distributions": {"type": "array", "items": {"type": "object"}},
            "sources": {"type": "array", "items": {"type": "object"}},
            "classification": {"type": "object"}}},
        "QualityReport": {"type": "object", "properties": {
            "source": {"type": "string"}, "score": {"type": "number"}, "rating": {"type": "string"},
            "dimensions": {"type": "array", "items": {"type": "object"}},
            "indicators": {"type": "array", "items": {"type": "object"}},
            "records_to_fix": {"type": "array", "items": {"type": "object"}},
            "trend": {"type": "array", "items": {"type": "object"}}}},
        "VocabularyList": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "string"}, "iri": {"type": "string"}, "count": {"type": "integer"}}}},
        "Object": {"type": "object"},
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {
            "type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string"}, "message": {"type": "string"}}}}}
    })
}

fn parameter(p: &Param) -> Value {
    let schema = if p.repeated {
        json!({"type": "array", "items": {"type": p.kind}})
    } else {
        json!({"type": p.kind})
    };
    let mut out = json!({
        "name": p.name,
        "in": if p.location == In::Path { "path" } else { "query" },
        "required": p.location == In::Path,
        "description": p.description,
        "schema": schema,
    });
    if p.repeated {
        out["style"] = json!("form");
        out["explode"] = json!(true);
    }
    out
}

fn operation(e: &Endpoint) -> Value {
    let ok = if e.method == "post" { "202" } else { "200" };
    let error = json!({"description": "Error", "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Error"}}}});
    let content = if e.response == HTML {
        json!({"text/html": {"schema": {"type": "string"}}})
    } else {
        json!({"application/json": {
            "schema": {"$ref": format!("#/components/schemas/{}", e.response)}}})
    };
    let mut responses = json!({
        ok: {"description": "Success", "content": content},
        "400": error.clone(),
    });
    if e.params.iter().any(|p| p.location == In::Path) {
        responses["404"] = error.clone();
    }
    if e.admin {
        responses["401"] = error.clone();
        responses["409"] = error;
    }
    let mut op = json!({
        "tags": [e.tag],
        "summary": e.summary,
        "operationId": format!("{}{}", e.method, e.path.replace(['/', '{', '}', '-', '.'], "_")),
        "parameters": e.params.iter().map(parameter).collect::<Vec<_>>(),
        "responses": responses,
    });
    if e.admin {
        op["security"] = json!([{"bearer": []}]);
    }
    op
}

/// Returns the OpenAPI 3.1 document.
pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for e in ENDPOINTS {
        let item = paths.entry(e.path).or_insert_with(|| json!({}));
        item[e.method] = operation(e);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Moisson API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Harvested French environmental metadata: sources, harvest jobs, \
                search, datasets, vocabularies and quality. Also served (not JSON, not \
                described here): /catalog (DCAT-AP, Hydra-paged), /sparql (SPARQL 1.1 \
                Protocol), /metrics (Prometheus).",
        },
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    })
}

async fn openapi() -> Json<Value> {
    Json(document())
}

async fn docs() -> Response {
    // A page like the others: same Content-Security-Policy.
    crate::ui::Page::ok(docs_page()).into_response()
}

fn docs_page() -> Markup {
    crate::ui::in_layout(
        "Documentation de l'API",
        html! {
            div.container {
                h1 { "API de Moisson" }
                p {
                    "Toutes les réponses sont en JSON ; les erreurs ont la forme "
                    code { "{\"error\": {\"code\", \"message\"}}" } ". Description complète : "
                    a href="/api/openapi.json" { "OpenAPI 3.1" } "."
                }
                p {
                    "Autres interfaces ouvertes : "
                    a href="/catalog" { "/catalog" } " (catalogue fédéré DCAT-AP, paginé Hydra), "
                    a href="/sparql" { "/sparql" } " (SPARQL 1.1, lecture seule), "
                    a href="/metrics" { "/metrics" } " (Prometheus)."
                }
                nav aria-labelledby="points-d-acces" {
                    h2 #points-d-acces { "Points d'accès" }
                    ul {
                        @for (i, e) in ENDPOINTS.iter().enumerate() {
                            li { a href={ "#api-" (i) } { code { (e.method.to_uppercase()) " " (e.path) } } }
                        }
                    }
                }
                @for (i, e) in ENDPOINTS.iter().enumerate() {
                    section aria-labelledby={ "api-" (i) } {
                        h2 #{ "api-" (i) } { code { (e.method.to_uppercase()) " " (e.path) } }
                        p { (e.summary_fr) @if e.admin { " (jeton d'administration)" } }
                        @if !e.params.is_empty() {
                            div.table-wrap tabindex="0" role="region" aria-label={ "Paramètres de " (e.method.to_uppercase()) " " (e.path) " (tableau défilant)" } {
                                table {
                                    caption.sr-only { "Paramètres de " (e.method.to_uppercase()) " " (e.path) }
                                    thead { tr { th scope="col" { "Paramètre" } th scope="col" { "Où" } th scope="col" { "Type" } th scope="col" { "Description" } } }
                                    tbody {
                                        @for p in e.params {
                                            tr {
                                                td { code { (p.name) } }
                                                td { @if p.location == In::Path { "chemin" } @else { "requête" } }
                                                td { (p.kind) @if p.repeated { " (répétable)" } }
                                                td { (p.description) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}
