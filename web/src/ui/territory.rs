//! `/territoires/{code}`: what exists for one territory (commune, EPCI, département,
//! région, France), by theme and use case, with the wider territories' data counted
//! apart; `/territoires?territoire=…` resolves what the picker sent (a name, a code or a
//! postal code) and redirects to the territory's page.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use moisson_catalog::vocab::places::Place;
use moisson_search::territory::gap_levels;
use moisson_search::{FacetValue, SearchRequest};
use serde::Deserialize;
use std::collections::BTreeMap;

use super::components::{breadcrumb, search_href};
use super::layout::{page as layout_page, Nav};
use super::vocab::{newest, place_phrase, place_picker, resolve_place, summary_list};
use super::{blocking, fr, Page, UiError};
use crate::app::AppState;

#[derive(Deserialize)]
pub(crate) struct PickQuery {
    territoire: Option<String>,
}

/// `GET /territoires?territoire=quimper`: the picker's form, without JavaScript.
pub(crate) async fn pick(Query(q): Query<PickQuery>) -> Result<Response, UiError> {
    let text = q.territoire.unwrap_or_default();
    if text.trim().is_empty() {
        return Ok(Page::ok(render_picker()).into_response());
    }
    let p = resolve_place(&text).ok_or_else(UiError::not_found)?;
    Ok(Redirect::to(&format!("/territoires/{}", p.key)).into_response())
}

fn render_picker() -> Markup {
    html! {
        (layout_page("Territoires", Nav::None, html! {
            div.container {
                (breadcrumb(&[("/", "Accueil")], "Territoires"))
                h1 { "Territoires" }
                form.inline-form action="/territoires" method="get" {
                    (place_picker("territoire-page", None))
                    button type="submit" { "Voir" }
                }
            }
        }))
    }
}

/// What a territory page shows.
struct TerritoryView {
    place: Place,
    /// Datasets of the place and the places in it.
    total: u64,
    themes: Vec<FacetValue>,
    use_cases: Vec<FacetValue>,
    /// Datasets made for each wider place (label, count, search link).
    wider: Vec<(String, u64, String)>,
    latest: Vec<moisson_search::Summary>,
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Page, UiError> {
    let place = resolve_place(&code).ok_or_else(UiError::not_found)?;
    let view = blocking(move || {
        let filters = BTreeMap::from([("territory".to_owned(), vec![place.key.clone()])]);
        let response = state.index.search(&SearchRequest {
            filters: filters.clone(),
            page: 1,
            page_size: 1,
            ..SearchRequest::default()
        })?;
        let mut wider = Vec::new();
        for level in gap_levels(&place.key)
            .unwrap_or_default()
            .into_iter()
            .skip(1)
        {
            let (dim, value) = level.filter;
            let r = state.index.search(&SearchRequest {
                filters: BTreeMap::from([(dim.to_owned(), vec![value.clone()])]),
                page: 1,
                page_size: 1,
                ..SearchRequest::default()
            })?;
            let label = format!("{} : {}", level.level.label(), level.label);
            wider.push((label, r.total, search_href(&[(dim, value.as_str())])));
        }
        let (_, latest) = newest(&state, filters)?;
        let facet = |dim: &str| response.facets.get(dim).cloned().unwrap_or_default();
        Ok(TerritoryView {
            total: response.total,
            themes: facet("theme"),
            use_cases: facet("use_case"),
            wider,
            latest,
            place,
        })
    })
    .await?;
    Ok(Page::ok(render(&view)))
}

fn render(v: &TerritoryView) -> Markup {
    let p = &v.place;
    let key = p.key.as_str();
    html! {
        (layout_page(&p.label(), Nav::None, html! {
            div.container {
                (breadcrumb(&[("/", "Accueil"), ("/territoires", "Territoires")], &p.label()))
                h1 { (p.label()) }
                p.lead {
                    (p.level.label())
                    @if p.population > 0 { " · " (fr::int(p.population)) " habitants" }
                    @if !p.parents.is_empty() {
                        " · dans "
                        @for (i, parent) in p.parents.iter().enumerate() {
                            @if i > 0 { ", " }
                            a href={ "/territoires/" (parent) } { (super::components::territory_label(parent)) }
                        }
                    }
                }
                form.inline-form action="/territoires" method="get" {
                    (place_picker("territoire-page", None))
                    button type="submit" { "Changer de territoire" }
                }
                section aria-labelledby="donnees" {
                    h2 #donnees { "Jeux de données " (place_phrase(p)) }
                    p { a.button href=(search_href(&[("territory", key)])) { (fr::see_datasets(v.total)) } }
                    (summary_list(&v.latest))
                }
                section aria-labelledby="par-theme" {
                    h2 #par-theme { "Par thème" }
                    @if v.themes.is_empty() { p { "Aucun jeu de données classé dans un thème." } }
                    ul {
                        @for t in v.themes.iter().filter(|t| t.parent.is_none()) {
                            li { a href=(search_href(&[("territory", key), ("theme", t.value.as_str())])) { (t.label) } " (" (t.count) ")" }
                        }
                    }
                }
                section aria-labelledby="par-usage" {
                    h2 #par-usage { "Par cas d'usage" }
                    p { "Pour chaque cas d'usage, les données disponibles et celles qui manquent " (place_phrase(p)) ", en comptant celles des territoires qui le contiennent." }
                    ul {
                        @for u in v.use_cases.iter().filter(|u| u.parent.is_some()) {
                            li { a href={ "/cas-d-usage/" (u.value) "?territoire=" (key) } { (u.label) } " (" (u.count) ")" }
                        }
                    }
                }
                @if !v.wider.is_empty() {
                    section aria-labelledby="plus-large" {
                        h2 #plus-large { "Données des territoires plus larges" }
                        p.muted { "Jeux de données faits pour un territoire qui contient celui-ci ; ils le couvrent aussi." }
                        ul {
                            @for (label, count, href) in &v.wider {
                                li { a href=(href) { (fr::datasets(*count)) } " — " (label) }
                            }
                        }
                    }
                }
            }
        }))
    }
}
