//! `GET /`: the search box, themes and use cases as entry points with their counts, a
//! territory picker and the headline figures.

use axum::extract::State;
use maud::{html, Markup};
use moisson_catalog::vocab::vocabularies;
use moisson_search::FacetValue;
use std::collections::BTreeMap;

use super::components::search_href;
use super::layout::{page as layout_page, Nav};
use super::{blocking, fr, Page, UiError};
use crate::api::sources::SourceSummary;
use crate::app::AppState;

/// What the home page shows.
struct Home {
    facets: BTreeMap<String, Vec<FacetValue>>,
    sources: Vec<SourceSummary>,
    datasets: u64,
}

async fn load(state: AppState) -> Result<Page, UiError> {
    let home = blocking(move || {
        Ok(Home {
            facets: state.index.facet_counts()?,
            sources: crate::api::sources::summarize(&state)?,
            datasets: state.index.document_count(),
        })
    })
    .await?;
    Ok(Page::ok(render(&home)))
}

pub(crate) async fn page(State(state): State<AppState>) -> Result<Page, UiError> {
    load(state).await
}

/// Returns the count of `value` in facet `dimension`.
pub(crate) fn count_in(
    facets: &BTreeMap<String, Vec<FacetValue>>,
    dimension: &str,
    value: &str,
) -> u64 {
    facets
        .get(dimension)
        .and_then(|list| list.iter().find(|f| f.value == value))
        .map_or(0, |f| f.count)
}

fn render(home: &Home) -> Markup {
    layout_page(
        "Accueil",
        Nav::Home,
        html! {
            section.hero {
                div.container {
                    h1 { "Trouver les données environnementales de votre territoire" }
                    p.lead {
                        "Moisson rassemble les catalogues des DREAL, DDT, opérateurs et collectivités : "
                        "cherchez par thème, par cas d'usage ou par territoire, et voyez la qualité de chaque fiche."
                    }
                    form.big-search role="search" aria-label="Recherche principale" action="/recherche" method="get" {
                        label for="recherche-accueil" { "Que cherchez-vous ?" }
                        div.input-row {
                            input #recherche-accueil type="search" name="q" placeholder="Ex. : zones humides Finistère, PPRI, bruit routier";
                            button type="submit" { "Rechercher" }
                        }
                    }
                }
            }
            div.container {
                (figures(home))
                (themes(&home.facets))
                (use_cases(&home.facets))
                (territory_picker())
            }
        },
    )
}

fn figures(home: &Home) -> Markup {
    let last_harvest = home
        .sources
        .iter()
        .filter_map(|s| s.last_job.as_ref()?.finished.clone())
        .max();
    let (weighted, weight) = home
        .sources
        .iter()
        .filter_map(|s| Some((s.quality_score?, s.dataset_count as f64)))
        .fold((0.0, 0.0), |(a, b), (score, n)| (a + score * n, b + n));
    html! {
        section.figures aria-labelledby="chiffres" {
            h2 #chiffres { "Moisson en chiffres" }
            ul.figure-list {
                li { span.figure { (fr::int(home.sources.len() as u64)) } " catalogues moissonnés" }
                li { span.figure { (fr::int(home.datasets)) } " jeux de données et services, doublons entre catalogues fusionnés" }
                li {
                    span.figure { (last_harvest.as_deref().map_or_else(|| "jamais".to_owned(), fr::date)) }
                    " dernière moisson"
                }
                li {
                    span.figure {
                        @if weight > 0.0 { (fr::decimal(weighted / weight)) "\u{a0}/\u{a0}100" } @else { "–" }
                    }
                    " qualité moyenne des métadonnées"
                }
            }
        }
    }
}

fn themes(facets: &BTreeMap<String, Vec<FacetValue>>) -> Markup {
    html! {
        section aria-labelledby="par-theme" {
            h2 #par-theme { "Par thème" }
            ul.tiles {
                @for t in vocabularies().themes.top_concepts() {
                    @let count = count_in(facets, "theme", &t.slug);
                    li {
                        // A theme without datasets leads nowhere: shown, not linked.
                        @if count == 0 {
                            div.tile.tile-empty {
                                span.tile-title { (t.label) }
                                span.tile-count { "aucun jeu de données pour l'instant" }
                            }
                        } @else {
                            a.tile href={ "/themes/" (t.slug) } {
                                span.tile-title { (t.label) }
                                span.tile-count { (fr::datasets(count)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn use_cases(facets: &BTreeMap<String, Vec<FacetValue>>) -> Markup {
    let scheme = &vocabularies().use_cases;
    html! {
        section aria-labelledby="par-usage" {
            h2 #par-usage { "Par cas d'usage" }
            p { "Vous préparez un PCAET, un PPRI, un bilan carbone ? Voyez les données disponibles sur votre territoire, et celles qui manquent." }
            @for group in scheme.top_concepts() {
                @let children: Vec<_> = scheme.children(&group.slug).collect();
                @if !children.is_empty() {
                    h3 { (group.label) }
                    ul.tiles {
                        @for uc in children {
                            li {
                                a.tile href={ "/cas-d-usage/" (uc.slug) } {
                                    span.tile-title { (uc.label) }
                                    span.tile-count { (fr::datasets(count_in(facets, "use_case", &uc.slug))) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn territory_picker() -> Markup {
    html! {
        section aria-labelledby="par-territoire" {
            h2 #par-territoire { "Par territoire" }
            form.inline-form action="/territoires" method="get" {
                (super::vocab::place_picker("territoire-commune", None))
                button type="submit" { "Voir ce territoire" }
            }
            p.muted { "Exemple : " a href=(search_href(&[("territory", "29")])) { "jeux de données du Finistère" } }
        }
    }
}
