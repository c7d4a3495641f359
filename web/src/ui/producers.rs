//! `/producteurs` (every producer across sources), `/producteurs/{slug}` (one producer:
//! score, dimensions, « à corriger en priorité », datasets, sources, the merge rule),
//! `/producteurs/{slug}/a-corriger` (the records failing one problem) and
//! `/producteurs/{slug}/a-corriger.csv`. Identity is `moisson_catalog::publishers`.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{html, Markup};
use moisson_catalog::publishers::ProducerQuality;
use moisson_catalog::quality::{FixGroups, KeptFixLists, RecordQuality};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;

use super::components::{big_score, breadcrumb, quality_badge};
use super::layout::{page as layout_page, Nav};
use super::{blocking, fr, Page, UiError};
use crate::api::publishers::{origin_of, producers};
use crate::app::AppState;

pub(crate) async fn list_page(State(state): State<AppState>) -> Result<Page, UiError> {
    let producers = blocking(move || Ok(producers(&state)?)).await?;
    Ok(Page::ok(layout_page(
        "Producteurs",
        Nav::Producers,
        html! {
            div.container {
                h1 { "Producteurs de données" }
                p.lead { "Un producteur (une DDT, une agence, une collectivité) publie souvent par plusieurs catalogues. Moisson réunit ses fiches, quel que soit le catalogue qui les porte, et en calcule le score." }
                p { (moisson_catalog::publishers::MERGE_RULE) }
                @if producers.groups.is_empty() {
                    p.muted { "Aucun producteur pour l'instant : les producteurs apparaissent après la moisson et l'évaluation de la qualité des catalogues." }
                } @else {
                    div.table-wrap tabindex="0" role="region" aria-label="Producteurs (tableau défilant)" {
                        table {
                            caption { (fr::int(producers.groups.len() as u64)) " producteurs, les plus grands d'abord" }
                            thead { tr {
                                th scope="col" { "Producteur" }
                                th scope="col" { "Fiches" }
                                th scope="col" { "Catalogues" }
                                th scope="col" { "Qualité" }
                            } }
                            tbody {
                                @for q in &producers.groups {
                                    @let p = &q.producer;
                                    tr {
                                        th scope="row" { a href={ "/producteurs/" (p.slug) } { (p.name) } }
                                        td.num { (fr::int(p.record_count as u64)) }
                                        td { (p.sources.keys().cloned().collect::<Vec<_>>().join(", ")) }
                                        td { (quality_badge(Some(p.score))) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )))
}

pub(crate) async fn producer_page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Page, UiError> {
    let markup = blocking(move || {
        let producers = producers(&state)?;
        let q = producers.find(&slug).ok_or_else(UiError::not_found)?;
        // The first datasets by title, read in the same pass over the producer's records
        // as its lists of records to fix, and kept with them.
        let lists = state
            .store
            .producer_fix_lists(&producers, &slug)?
            .ok_or_else(UiError::not_found)?;
        Ok(render(
            q,
            lists.first_by_title(),
            lists.records_read(),
            &state,
        ))
    })
    .await?;
    Ok(Page::ok(markup))
}

/// The page of producer `q`: `datasets` are the first of its `total` records by title.
fn render(
    q: &ProducerQuality,
    datasets: &[Arc<RecordQuality>],
    total: usize,
    state: &AppState,
) -> Markup {
    let p = &q.producer;
    let base = format!("/producteurs/{}", p.slug);
    layout_page(
        &format!("Producteur {}", p.name),
        Nav::Producers,
        html! {
            div.container {
                (breadcrumb(&[("/", "Accueil"), ("/producteurs", "Producteurs")], &p.name))
                h1 { (p.name) }
                p { a href={ (base) "/activite.atom" } { "Fil d'activité (Atom)" } }
                section.score-card aria-labelledby="score" {
                    h2 #score { "Score de qualité des métadonnées" }
                    (big_score(p.score))
                    ul.score-notes {
                        li { (fr::int(p.record_count as u64)) " fiches, moyenne des points MQA de chacune ; la note sur 100 en est déduite (même niveau)." }
                    }
                }
                section aria-labelledby="dimensions" {
                    h2 #dimensions { "Dimensions" }
                    ul {
                        @for d in &q.dimensions {
                            li { (d.label) " : "
                                @match d.score {
                                    Some(s) => { (fr::decimal(s)) "\u{a0}/\u{a0}100" }
                                    None => { "non mesuré" }
                                }
                                @if let Some(share) = d.measured_share.filter(|s| *s < 0.999) {
                                    " (mesurée sur " (fr::percent(share)) " de ses points)"
                                }
                            }
                        }
                    }
                }
                (fix_groups(&q.fix_groups, &base))
                section aria-labelledby="sources" {
                    h2 #sources { "Catalogues qui portent ses fiches" }
                    ul {
                        @for (s, n) in &p.sources {
                            li {
                                a href={ "/catalogues/" (s) } { (source_name(state, s)) }
                                " — " (fr::records(*n as u64))
                            }
                        }
                    }
                }
                section aria-labelledby="jeux" {
                    h2 #jeux { "Jeux de données" }
                    ul {
                        @for r in datasets {
                            li { a href={ "/jeux-de-donnees/" (r.id) } { (r.display_title()) } " " (quality_badge(Some(r.score().score))) }
                        }
                    }
                    @if total > datasets.len() {
                        p.muted { "Et " (fr::int((total - datasets.len()) as u64)) " autres." }
                    }
                }
                section aria-labelledby="regle" {
                    h2 #regle { "Comment Moisson reconnaît ce producteur" }
                    p { (q.merge_rule) }
                    ul {
                        @if !p.names.is_empty() { li { "Noms : " (p.names.join(" ; ")) } }
                        @if !p.iris.is_empty() { li { "Adresses (IRI) : " (p.iris.join(" ; ")) } }
                        @if !p.sirens.is_empty() { li { "SIREN : " (p.sirens.join(" ; ")) } }
                        @if !p.identifiers.is_empty() { li { "Identifiants : " (p.identifiers.join(" ; ")) } }
                    }
                }
            }
        },
    )
}

fn source_name(state: &AppState, id: &str) -> String {
    state
        .sources
        .current()
        .iter()
        .find(|s| s.id.as_str() == id)
        .map_or_else(|| id.to_owned(), |s| s.name.clone())
}

/// « À corriger en priorité »: fixes grouped by problem, most points to gain first, with
/// links to their records (`{base}/a-corriger?indicateur=…`) and the CSV; advice not
/// counted in the score apart. Shared by source dashboards and producer pages.
pub(crate) fn fix_groups(g: &FixGroups, base: &str) -> Markup {
    html! {
        section aria-labelledby="priorites" {
            h2 #priorites { "À corriger en priorité" }
            @if g.counted.is_empty() {
                p { "Aucune correction ne ferait gagner de points : toutes les fiches satisfont les indicateurs comptés." }
            } @else {
                p {
                    (fr::int(g.records_to_fix as u64)) " fiches ont au moins un point à corriger. Les problèmes sont rangés par points à gagner sur l'ensemble des fiches. "
                    a.button href={ (base) "/a-corriger.csv" } download { "Télécharger toutes les fiches à corriger (CSV)" }
                }
                ol.fix-groups {
                    @for f in &g.counted {
                        li {
                            strong { (fr::records(f.records as u64)) " — " (f.label) }
                            " — +" (fr::decimal(f.points_each)) "\u{a0}points chacune — "
                            a href={ (base) "/a-corriger?indicateur=" (f.indicator.as_str()) } { "voir les fiches" }
                            br;
                            span.detail { (f.advice) }
                        }
                    }
                }
            }
            @if !g.apart.is_empty() {
                h3 { "Conseils non comptés dans le score" }
                p.muted { "Indicateurs propres à Moisson (fraîcheur, clarté) et défauts qui peuvent venir de notre conversion ISO 19139 : utiles, mais sans effet sur le score." }
                ul {
                    @for f in &g.apart {
                        li {
                            (fr::records(f.records as u64)) " — " (f.label)
                            @if f.mapping { " (conversion ISO 19139 possible)" }
                            " — "
                            a href={ (base) "/a-corriger?indicateur=" (f.indicator.as_str()) } { "voir les fiches" }
                        }
                    }
                }
            }
        }
    }
}

/// The groups of a report that has no pages of records (the validator's).
pub(crate) fn fix_groups_static(g: &FixGroups) -> Markup {
    html! {
        @if !g.counted.is_empty() {
            h3 { "À corriger en priorité" }
            ol.fix-groups {
                @for f in &g.counted {
                    li {
                        strong { (fr::records(f.records as u64)) " — " (f.label) }
                        " — +" (fr::decimal(f.points_each)) "\u{a0}points chacune"
                        br;
                        span.detail { (f.advice) }
                    }
                }
            }
        }
        @if !g.apart.is_empty() {
            h3 { "Conseils non comptés dans le score" }
            ul { @for f in &g.apart { li { (fr::records(f.records as u64)) " — " (f.label) } } }
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct FixQuery {
    indicateur: Option<String>,
}

/// The records failing one problem (or every record to fix), worst first: the first
/// [`FIX_LIST_SHOWN`](moisson_catalog::quality::FIX_LIST_SHOWN) of them, from the lists
/// of the source or producer (read once for every problem, and kept:
/// `moisson_catalog::quality::fix_cache`).
pub(crate) fn fix_list(
    title: &str,
    crumbs: &[(&str, &str)],
    indicator: Option<moisson_catalog::quality::IndicatorId>,
    csv_href: &str,
    lists: &KeptFixLists,
) -> Markup {
    let (total, rows) = lists.list(indicator);
    let label = indicator.map_or("Toutes les corrections", |i| i.indicator().label);
    layout_page(
        &format!("{title} — {label}"),
        Nav::None,
        html! {
            div.container {
                (breadcrumb(crumbs, label))
                h1 { (title) " — " (label) }
                p {
                    (fr::int(total as u64)) " fiches concernées, les moins bonnes d'abord. "
                    a.button href=(csv_href) download { "Télécharger (CSV)" }
                }
                ol.fix-list {
                    @for r in rows {
                        li {
                            a href={ "/jeux-de-donnees/" (r.id) } { (r.display_title()) }
                            " " (quality_badge(Some(r.score().score)))
                            @for f in r.fixes.iter().filter(|f| indicator.is_none_or(|i| i == f.indicator)).take(3) {
                                @if let Some(d) = &f.detail { " — " span.detail { (d) } }
                            }
                        }
                    }
                }
                @if total > rows.len() {
                    p.muted { "Les " (fr::int((total - rows.len()) as u64)) " autres sont dans le fichier CSV." }
                }
            }
        },
    )
}

/// Parses `?indicateur=`; an unknown key is a bad request.
pub(crate) fn indicator_param(
    q: &FixQuery,
) -> Result<Option<moisson_catalog::quality::IndicatorId>, UiError> {
    match q.indicateur.as_deref().filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(k) => crate::api::quality::indicator_by_key(k)
            .map(Some)
            .ok_or_else(UiError::bad_request),
    }
}

pub(crate) async fn producer_fixes(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<FixQuery>,
) -> Result<Page, UiError> {
    let indicator = indicator_param(&q)?;
    let markup = blocking(move || {
        let producers = producers(&state)?;
        let p = &producers
            .find(&slug)
            .ok_or_else(UiError::not_found)?
            .producer;
        let lists = state
            .store
            .producer_fix_lists(&producers, &slug)?
            .ok_or_else(UiError::not_found)?;
        let base = format!("/producteurs/{}", p.slug);
        let csv = match indicator {
            Some(i) => format!("{base}/a-corriger.csv?indicateur={}", i.as_str()),
            None => format!("{base}/a-corriger.csv"),
        };
        Ok(fix_list(
            &p.name,
            &[
                ("/", "Accueil"),
                ("/producteurs", "Producteurs"),
                (&base, &p.name),
            ],
            indicator,
            &csv,
            &lists,
        ))
    })
    .await?;
    Ok(Page::ok(markup))
}

pub(crate) async fn producer_csv(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<FixQuery>,
) -> Result<Response, UiError> {
    let indicator = indicator_param(&q)?;
    let (producers, context) = blocking({
        let (state, slug) = (state.clone(), slug.clone());
        move || {
            let producers = producers(&state)?;
            let p = &producers
                .find(&slug)
                .ok_or_else(UiError::not_found)?
                .producer;
            let origin = origin_of(&state);
            let mut context = super::fix_csv::CsvContext {
                indicator,
                spill_dir: super::fix_csv::spill_dir(&state),
                source_scores: HashMap::new(),
                origins: HashMap::new(),
            };
            for s in p.sources.keys() {
                let score = state.store.quality_report(s)?.map_or(0.0, |r| r.score);
                context.source_scores.insert(s.clone(), score);
                context.origins.insert(s.clone(), origin(s));
            }
            Ok((producers, context))
        }
    })
    .await?;
    let name = slug.clone();
    Ok(super::fix_csv::response(&name, context, move |each| {
        producers.for_each_record(&state.store, &slug, each)?;
        Ok(())
    })
    .await)
}
