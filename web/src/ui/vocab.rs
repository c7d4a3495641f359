//! Theme and use-case pages: `/themes`, `/themes/{slug}`, `/cas-d-usage`, and
//! `/cas-d-usage/{slug}?territory=…` with the gap view: for a chosen territory, which of
//! the kinds of data the use case needs exist in the catalogue, and which are missing.

use axum::extract::{Path, Query, State};
use maud::{html, Markup};
use moisson_catalog::vocab::geography::NATIONAL;
use moisson_catalog::vocab::places::{place, search_places, Place, PlaceLevel};
use moisson_catalog::vocab::{vocabularies, Concept};
use moisson_search::territory::{gap_levels, GapLevel};
use moisson_search::{FacetValue, SearchRequest, Sort, Summary};
use serde::Deserialize;
use std::collections::BTreeMap;

use super::components::{breadcrumb, quality_badge, search_href, Params};
use super::home::count_in;
use super::layout::{page as layout_page, Nav};
use super::needs::{needs_of, Need};
use super::{blocking, fr, Page, UiError};
use crate::app::AppState;

pub(crate) async fn themes_page(State(state): State<AppState>) -> Result<Page, UiError> {
    let facets = blocking(move || Ok(state.index.facet_counts()?)).await?;
    let scheme = &vocabularies().themes;
    Ok(Page::ok(layout_page(
        "Thèmes",
        Nav::Themes,
        html! {
            div.container {
                h1 { "Thèmes" }
                p.lead { "Les 14 thèmes Ecosphères, construits à partir de l'arborescence COVADIS, et leurs sous-thèmes." }
                @for top in scheme.top_concepts() {
                    section.theme-block {
                        @let count = count_in(&facets, "theme", &top.slug);
                        // A theme without datasets leads nowhere: named, not linked.
                        h2 {
                            @if count == 0 { (top.label) } @else { a href={ "/themes/" (top.slug) } { (top.label) } }
                            " " span.count { "(" (fr::int(count)) ")" }
                        }
                        (concept_list(scheme.children(&top.slug), "/themes/", &facets, "theme"))
                    }
                }
            }
        },
    )))
}

/// A list of concepts with their dataset counts.
fn concept_list<'a>(
    concepts: impl Iterator<Item = &'a Concept>,
    base: &str,
    facets: &BTreeMap<String, Vec<FacetValue>>,
    dimension: &str,
) -> Markup {
    html! {
        ul.concepts {
            @for c in concepts {
                @let count = count_in(facets, dimension, &c.slug);
                li {
                    // An empty theme leads nowhere; an empty use case still shows what is missing.
                    @if count == 0 && dimension == "theme" { (c.label) } @else { a href={ (base) (c.slug) } { (c.label) } }
                    " " span.count { "(" (fr::int(count)) ")" }
                }
            }
        }
    }
}

/// The newest datasets of a search, and the total.
pub(crate) fn newest(
    state: &AppState,
    filters: BTreeMap<String, Vec<String>>,
) -> Result<(u64, Vec<Summary>), UiError> {
    let response = state.index.search(&SearchRequest {
        filters,
        sort: Sort::Modified,
        page: 1,
        page_size: 8,
        ..SearchRequest::default()
    })?;
    Ok((response.total, response.results))
}

pub(crate) fn summary_list(items: &[Summary]) -> Markup {
    html! {
        ul.compact-results {
            @for s in items {
                li {
                    a href={ "/jeux-de-donnees/" (s.id) } { (s.title.as_deref().unwrap_or("Sans titre")) }
                    " " (quality_badge(s.quality_score))
                    @if let Some(m) = &s.modified { " " span.muted { "mis à jour le " (fr::date(m)) } }
                }
            }
        }
    }
}

pub(crate) async fn theme_page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Page, UiError> {
    let scheme = &vocabularies().themes;
    let concept = scheme.get(&slug).ok_or_else(UiError::not_found)?.clone();
    let filter = BTreeMap::from([("theme".to_owned(), vec![slug.clone()])]);
    let (facets, (total, latest)) =
        blocking(move || Ok((state.index.facet_counts()?, newest(&state, filter)?))).await?;
    let parent = concept.parent.as_deref().and_then(|p| scheme.get(p));
    let use_cases: Vec<&Concept> = vocabularies()
        .use_cases
        .concepts()
        .iter()
        .filter(|u| {
            u.themes
                .iter()
                .any(|t| *t == concept.slug || scheme.path(t).contains(&concept.slug.as_str()))
        })
        .collect();
    let mut links = vec![("/", "Accueil"), ("/themes", "Thèmes")];
    let parent_href = parent.map(|p| format!("/themes/{}", p.slug));
    if let (Some(p), Some(href)) = (parent, parent_href.as_deref()) {
        links.push((href, p.label.as_str()));
    }
    Ok(Page::ok(layout_page(
        &concept.label,
        Nav::Themes,
        html! {
            div.container {
                (breadcrumb(&links, &concept.label))
                h1 { (concept.label) }
                p.lead { a.button href=(search_href(&[("theme", concept.slug.as_str())])) { (fr::see_datasets(total)) } }
                @let children: Vec<&Concept> = scheme.children(&concept.slug).collect();
                @if !children.is_empty() {
                    section aria-labelledby="sous-themes" {
                        h2 #sous-themes { "Sous-thèmes" }
                        (concept_list(children.into_iter(), "/themes/", &facets, "theme"))
                    }
                }
                @if !use_cases.is_empty() {
                    section aria-labelledby="usages" {
                        h2 #usages { "Cas d'usage que ce thème sert" }
                        (concept_list(use_cases.into_iter(), "/cas-d-usage/", &facets, "use_case"))
                    }
                }
                section aria-labelledby="recents" {
                    h2 #recents { "Derniers jeux de données mis à jour" }
                    (summary_list(&latest))
                }
            }
        },
    )))
}

pub(crate) async fn use_cases_page(State(state): State<AppState>) -> Result<Page, UiError> {
    let facets = blocking(move || Ok(state.index.facet_counts()?)).await?;
    let scheme = &vocabularies().use_cases;
    Ok(Page::ok(layout_page(
        "Cas d'usage",
        Nav::UseCases,
        html! {
            div.container {
                h1 { "Cas d'usage" }
                p.lead { "Ce que préparent les collectivités et les services de l'État, regroupé selon les thèmes de France Nation Verte. Chaque cas d'usage montre, pour votre territoire, les données disponibles et celles qui manquent." }
                @for group in scheme.top_concepts() {
                    @let children: Vec<&Concept> = scheme.children(&group.slug).collect();
                    @if !children.is_empty() {
                        section.theme-block {
                            h2 { (group.label) }
                            (concept_list(children.into_iter(), "/cas-d-usage/", &facets, "use_case"))
                        }
                    }
                }
            }
        },
    )))
}

#[derive(Deserialize)]
pub(crate) struct GapQuery {
    territory: Option<String>,
    /// The French name of the parameter, as links and the picker write it.
    territoire: Option<String>,
}

/// Datasets of one level for one kind of data.
struct LevelCount {
    level: GapLevel,
    count: u64,
    href: String,
}

/// One line of the gap view.
struct GapLine {
    need: &'static Need,
    /// Counts by level, the chosen place first (one line, all of France, without one).
    levels: Vec<LevelCount>,
}

impl GapLine {
    fn count(&self) -> u64 {
        self.levels.iter().map(|l| l.count).sum()
    }
}

/// What the use-case page shows.
struct UseCaseView {
    concept: Concept,
    territory: Option<Place>,
    lines: Vec<GapLine>,
    total: u64,
    latest: Vec<Summary>,
}

/// The place a gap view or territory page asks for: a key (`commune-29232`, `29`), else
/// the best answer of the autocomplete to what was typed (the picker without JavaScript).
pub(crate) fn resolve_place(text: &str) -> Option<Place> {
    let text = text.trim();
    if text.is_empty() || text.len() > 200 {
        return None;
    }
    place(text).or_else(|| search_places(text, 1).into_iter().next())
}

/// Counts, for each kind of data `slug` needs, the datasets of each level of `territory`
/// (the place, then the places holding it, then France), or of all of France when `None`.
/// A search that only matched some of the words counts as missing.
fn gap_lines(
    state: &AppState,
    slug: &str,
    territory: Option<&Place>,
) -> Result<Vec<GapLine>, UiError> {
    let levels: Vec<Option<GapLevel>> = match territory {
        Some(p) => gap_levels(&p.key)
            .unwrap_or_default()
            .into_iter()
            .map(Some)
            .collect(),
        None => vec![None],
    };
    let mut lines = Vec::new();
    for need in needs_of(slug) {
        let mut counts = Vec::new();
        for level in &levels {
            let mut filters = BTreeMap::new();
            let mut params = Params(vec![("q".to_owned(), need.query.to_owned())]);
            if let Some(l) = level {
                filters.insert(l.filter.0.to_owned(), vec![l.filter.1.clone()]);
                params.0.push((l.filter.0.to_owned(), l.filter.1.clone()));
            }
            let response = state.index.search(&SearchRequest {
                q: Some(need.query.to_owned()),
                filters,
                page: 1,
                page_size: 1,
                ..SearchRequest::default()
            })?;
            let count = if response.interpreted.relaxed {
                0
            } else {
                response.total
            };
            counts.push(LevelCount {
                level: level.clone().unwrap_or(GapLevel {
                    key: NATIONAL.to_owned(),
                    level: PlaceLevel::National,
                    label: "France entière".to_owned(),
                    filter: ("territory", String::new()),
                }),
                count,
                href: params.href("/recherche"),
            });
        }
        lines.push(GapLine {
            need,
            levels: counts,
        });
    }
    Ok(lines)
}

pub(crate) async fn use_case_page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(query): Query<GapQuery>,
) -> Result<Page, UiError> {
    let vocab = vocabularies();
    let concept = vocab
        .use_cases
        .get(&slug)
        .filter(|c| c.parent.is_some())
        .ok_or_else(UiError::not_found)?
        .clone();
    let asked = query
        .territoire
        .as_deref()
        .or(query.territory.as_deref())
        .filter(|t| !t.trim().is_empty());
    let territory = match asked {
        Some(text) => Some(resolve_place(text).ok_or_else(UiError::bad_request)?),
        None => None,
    };
    let view = blocking(move || {
        let lines = gap_lines(&state, &concept.slug, territory.as_ref())?;
        let mut filters = BTreeMap::from([("use_case".to_owned(), vec![concept.slug.clone()])]);
        if let Some(t) = &territory {
            filters.insert("territory".to_owned(), vec![t.key.clone()]);
        }
        let (total, latest) = newest(&state, filters)?;
        Ok(UseCaseView {
            concept,
            territory,
            lines,
            total,
            latest,
        })
    })
    .await?;
    Ok(Page::ok(render_use_case(&view)))
}

/// « à Quimper (29) », « dans l'intercommunalité … », « dans le département … ».
pub(crate) fn place_phrase(p: &Place) -> String {
    match p.level {
        PlaceLevel::National => "en France".to_owned(),
        PlaceLevel::Region => format!("en région {}", p.name),
        PlaceLevel::Departement => format!("dans le département {}", p.label()),
        PlaceLevel::Epci => format!("dans l'intercommunalité {}", p.name),
        PlaceLevel::Commune => format!("à {}", p.label()),
    }
}

/// The territory picker: a text field (name, code or postal code) that works without
/// JavaScript, read by [`resolve_place`]; the list of régions and départements stays
/// available beside it.
pub(crate) fn place_picker(id: &str, current: Option<&Place>) -> Markup {
    html! {
        label for=(id) { "Commune, intercommunalité, département ou région" }
        input #(id) type="search" name="territoire" autocomplete="off"
            placeholder="Quimper, 29232, 29000, Finistère…"
            value=[current.map(|p| p.label())];
    }
}

fn short_name(c: &Concept) -> String {
    // "Plan climat-air-énergie territorial (PCAET)" → "PCAET".
    c.label
        .rsplit_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .filter(|s| s.len() <= 12 && !s.contains(' '))
        .map_or_else(|| c.label.clone(), str::to_owned)
}

fn render_use_case(v: &UseCaseView) -> Markup {
    let c = &v.concept;
    let group = c
        .parent
        .as_deref()
        .and_then(|p| vocabularies().use_cases.get(p));
    let place = v.territory.as_ref().map(place_phrase);
    let found = v.lines.iter().filter(|l| l.count() > 0).count();
    let mut search = Params(vec![("use_case".to_owned(), c.slug.clone())]);
    if let Some(t) = &v.territory {
        search.0.push(("territory".to_owned(), t.key.clone()));
    }
    html! {
        (layout_page(&c.label, Nav::UseCases, html! {
            div.container {
                (breadcrumb(&[("/", "Accueil"), ("/cas-d-usage", "Cas d'usage")], &c.label))
                h1 { (c.label) }
                @if let Some(g) = group { p.muted { "France Nation Verte : " (g.label) } }
                @if let Some(d) = &c.definition { p.lead { (d) } }
                section.gap aria-labelledby="lacunes" {
                    h2 #lacunes {
                        "Pour votre " (short_name(c)) ", voici les données disponibles et celles qui manquent"
                        @if let Some(p) = &place { " " (p) }
                    }
                    form.inline-form action={ "/cas-d-usage/" (c.slug) } method="get" {
                        (place_picker("territoire-usage", v.territory.as_ref()))
                        button type="submit" { "Afficher" }
                    }
                    p {
                        strong { (found) " type" @if found > 1 { "s" } " de données sur " (v.lines.len()) }
                        " disponible" @if found > 1 { "s" }
                        @match &place { Some(p) => { " " (p) }, None => { " en France (choisissez un territoire pour voir ses lacunes)" } }
                        "."
                    }
                    div.table-wrap tabindex="0" role="region" aria-label="Données disponibles et manquantes (tableau défilant)" {
                        table.gap-table {
                            caption { "Données nécessaires au " (short_name(c)) " et jeux de données trouvés" }
                            thead { tr {
                                th scope="col" { "Type de données" }
                                th scope="col" { "Situation" }
                                th scope="col" { "Jeux de données" }
                            } }
                            tbody {
                                @for l in &v.lines {
                                    tr {
                                        th scope="row" { (l.need.label) }
                                        @if l.count() > 0 {
                                            td { span.status.status-ok { "✓ Disponible" } }
                                        } @else {
                                            td { span.status.status-missing { "✗ Manquant" } }
                                        }
                                        td {
                                            @if l.count() == 0 {
                                                "Aucun jeu de données trouvé"
                                            } @else if v.territory.is_none() {
                                                a href=(l.levels[0].href) { (fr::datasets(l.count())) }
                                            } @else {
                                                ul.levels {
                                                    @for lc in l.levels.iter().filter(|lc| lc.count > 0) {
                                                        li {
                                                            a href=(lc.href) { (fr::datasets(lc.count)) }
                                                            " — " (lc.level.level.label()) " : " (lc.level.label)
                                                        }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    p.muted { "Sont comptés les jeux de données classés dans ce territoire (et dans les communes qu'il contient), puis ceux faits pour les territoires plus larges qui le contiennent (intercommunalité, département, région, France entière), avec le niveau dont ils viennent. Une donnée manquante ici peut exister sans être décrite dans un catalogue moissonné : signalez-la à son producteur." }
                }
                section aria-labelledby="classes" {
                    h2 #classes { "Jeux de données classés dans ce cas d'usage" }
                    p { a.button href=(search.href("/recherche")) { (fr::see_datasets(v.total)) } }
                    (summary_list(&v.latest))
                }
            }
        }))
    }
}
