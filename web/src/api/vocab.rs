//! `GET /api/themes`, `GET /api/use-cases`, `GET /api/territories`: the vocabularies with
//! the number of datasets classified under each entry.

use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use moisson_catalog::vocab::{vocabularies, Concept, TerritoryLevel};
use moisson_search::FacetValue;
use serde::Serialize;
use std::collections::BTreeMap;

use crate::app::AppState;
use crate::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/themes", get(themes))
        .route("/api/use-cases", get(use_cases))
        .route("/api/territories", get(territories))
}

/// A theme or sub-theme.
#[derive(Serialize)]
struct ThemeEntry {
    id: String,
    iri: String,
    label: String,
    count: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sub_themes: Vec<ThemeEntry>,
}

/// A use case.
#[derive(Serialize)]
struct UseCaseEntry {
    id: String,
    iri: String,
    label: String,
    definition: Option<String>,
    /// The France Nation Verte group.
    group: String,
    group_label: String,
    /// Slugs of the themes whose datasets serve it.
    themes: Vec<String>,
    count: u64,
}

/// A région with its départements.
#[derive(Serialize)]
struct TerritoryEntry {
    id: String,
    code: String,
    iri: String,
    name: String,
    count: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    departements: Vec<TerritoryEntry>,
}

async fn counts(state: &AppState) -> Result<BTreeMap<String, Vec<FacetValue>>, ApiError> {
    let index = state.index.clone();
    Ok(tokio::task::spawn_blocking(move || index.facet_counts()).await??)
}

fn count_in(facets: &BTreeMap<String, Vec<FacetValue>>, dimension: &str, value: &str) -> u64 {
    facets
        .get(dimension)
        .and_then(|list| list.iter().find(|f| f.value == value))
        .map_or(0, |f| f.count)
}

fn theme_entry(c: &Concept, count: u64) -> ThemeEntry {
    ThemeEntry {
        id: c.slug.clone(),
        iri: c.iri.clone(),
        label: c.label.clone(),
        count,
        sub_themes: Vec::new(),
    }
}

async fn themes(State(state): State<AppState>) -> Result<Json<Vec<ThemeEntry>>, ApiError> {
    let facets = counts(&state).await?;
    let scheme = &vocabularies().themes;
    let mut out = Vec::new();
    for top in scheme.top_concepts() {
        let mut entry = theme_entry(top, count_in(&facets, "theme", &top.slug));
        for sub in scheme.children(&top.slug) {
            entry
                .sub_themes
                .push(theme_entry(sub, count_in(&facets, "theme", &sub.slug)));
        }
        out.push(entry);
    }
    Ok(Json(out))
}

async fn use_cases(State(state): State<AppState>) -> Result<Json<Vec<UseCaseEntry>>, ApiError> {
    let facets = counts(&state).await?;
    let scheme = &vocabularies().use_cases;
    let mut out = Vec::new();
    for group in scheme.top_concepts() {
        for uc in scheme.children(&group.slug) {
            out.push(UseCaseEntry {
                id: uc.slug.clone(),
                iri: uc.iri.clone(),
                label: uc.label.clone(),
                definition: uc.definition.clone(),
                group: group.slug.clone(),
                group_label: group.label.clone(),
                themes: uc.themes.clone(),
                count: count_in(&facets, "use_case", &uc.slug),
            });
        }
    }
    Ok(Json(out))
}

fn serialization_failed(err: serde_json::Error) -> ApiError {
    tracing::error!(error = %err, "territory answer not serializable");
    ApiError::with_status(
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "internal error",
    )
}

async fn territories(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<serde_json::Value>, ApiError> {
    let params: BTreeMap<String, String> =
        url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    if let Some(q) = params.get("q") {
        let found =
            super::territories::autocomplete(q.clone(), params.get("limit").map(String::as_str))
                .await?;
        return Ok(Json(
            serde_json::to_value(found).map_err(serialization_failed)?,
        ));
    }
    let facets = counts(&state).await?;
    let vocab = vocabularies();
    let entry = |t: &moisson_catalog::vocab::Territory| TerritoryEntry {
        id: t.key(),
        code: t.code.clone(),
        iri: t.iri.clone(),
        name: t.name.clone(),
        count: count_in(&facets, "territory", &t.key()),
        departements: Vec::new(),
    };
    let mut out = Vec::new();
    for region in vocab
        .territories
        .iter()
        .filter(|t| t.level == TerritoryLevel::Region)
    {
        let mut r = entry(region);
        r.departements = vocab
            .territories
            .iter()
            .filter(|d| d.region.as_deref() == Some(region.code.as_str()))
            .map(entry)
            .collect();
        out.push(r);
    }
    Ok(Json(
        serde_json::to_value(out).map_err(serialization_failed)?,
    ))
}
