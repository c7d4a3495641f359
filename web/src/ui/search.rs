//! `GET /recherche`: results with facets (hierarchical for themes and territories),
//! removable filters, sorting and paging. Plain links and GET forms: works without
//! JavaScript and every state is a shareable URL. Same parameters as `GET /api/datasets`.

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use moisson_search::{FacetValue, SearchRequest, SearchResponse, Summary};
use std::collections::BTreeMap;

use super::components::{
    hvd_badge, pagination, quality_badge, territory_label, theme_label, truncate, use_case_label,
    Params,
};
use super::layout::{page_with_head, Nav};
use super::{blocking, fr, Page, UiError};
use crate::app::AppState;

/// Results per page.
const PAGE_SIZE: usize = 20;

/// Dimensions shown as facets, with their French titles, in display order.
const FACETS: [(&str, &str); 11] = [
    ("theme", "Thèmes"),
    ("territory", "Territoires"),
    ("use_case", "Cas d'usage"),
    ("kind", "Type"),
    ("freshness", "Fraîcheur"),
    ("quality", "Qualité des métadonnées"),
    ("source", "Catalogues"),
    ("format", "Formats"),
    ("publisher", "Producteurs"),
    ("license", "Licences"),
    ("hvd", "Données de forte valeur (HVD)"),
];

/// Labels of the filter names in the active-filters bar.
fn filter_title(key: &str) -> &'static str {
    match key {
        "theme" => "Thème",
        "use_case" => "Cas d'usage",
        "territory" => "Territoire",
        "source" => "Catalogue",
        "format" => "Format",
        "publisher" => "Producteur",
        "license" => "Licence",
        "publisher_kind" => "Type de producteur",
        "freshness" => "Fraîcheur",
        "quality" => "Qualité",
        "kind" => "Type",
        "hvd" => "Forte valeur (HVD)",
        _ => "Filtre",
    }
}

/// What the page renders.
struct Results {
    params: Params,
    response: SearchResponse,
    facets: BTreeMap<String, Vec<FacetValue>>,
    source_names: BTreeMap<String, String>,
    page: usize,
}

pub(crate) async fn page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, UiError> {
    let mut params = Params::parse(raw.as_deref());
    if params.get("page_size").is_some() {
        return Err(UiError::bad_request());
    }
    // The territory picker sends what was typed (a name, a code, a postal code): a place
    // found becomes the territory filter; otherwise the page says so.
    let mut unknown_place = None;
    if let Some(text) = params.get("territoire").map(str::to_owned) {
        let rest = params.without_key("territoire").without_key("page");
        match super::vocab::resolve_place(&text) {
            Some(p) => {
                let to = rest.without_key("territory").set("territory", &p.key);
                return Ok(axum::response::Redirect::to(&to.href("/recherche")).into_response());
            }
            None => {
                unknown_place = Some(text);
                params = rest;
            }
        }
    }
    let mut request = crate::api::datasets::parse_search_query(Some(&params.query()))?;
    request.page_size = PAGE_SIZE;
    let results = blocking(move || {
        let response = state.index.search(&request)?;
        let facets = disjunctive_facets(&state, &request, &response)?;
        let source_names = state
            .sources
            .current()
            .iter()
            .map(|s| (s.id.as_str().to_owned(), s.name.clone()))
            .collect();
        Ok(Results {
            params,
            page: request.page.max(1),
            response,
            facets,
            source_names,
        })
    })
    .await?;
    Ok(Page::ok(render(&results, unknown_place.as_deref())).into_response())
}

/// Returns the facet counts, where a dimension with an active filter is counted without
/// its own filter, so that its other values show how many datasets choosing them adds.
fn disjunctive_facets(
    state: &AppState,
    request: &SearchRequest,
    response: &SearchResponse,
) -> Result<BTreeMap<String, Vec<FacetValue>>, UiError> {
    let mut facets = response.facets.clone();
    for (dimension, _) in FACETS {
        if !request.filters.contains_key(dimension) {
            continue;
        }
        let mut other = request.clone();
        other.filters.remove(dimension);
        other.page = 1;
        other.page_size = 1;
        let counts = state.index.search(&other)?.facets;
        if let Some(list) = counts.get(dimension) {
            facets.insert(dimension.to_owned(), list.clone());
        }
    }
    Ok(facets)
}

fn render(r: &Results, unknown_place: Option<&str>) -> Markup {
    let q = r.params.get("q").unwrap_or_default();
    let title = if q.is_empty() {
        "Rechercher un jeu de données".to_owned()
    } else {
        format!("Résultats pour « {} »", truncate(q, 80))
    };
    let feed = super::feed::feed_query(&r.params);
    let feed_href = if feed.is_empty() {
        "/recherche.atom".to_owned()
    } else {
        format!("/recherche.atom?{feed}")
    };
    page_with_head(
        &title,
        Nav::Search,
        html! {
            link rel="alternate" type="application/atom+xml" title="Flux Atom de cette recherche" href=(feed_href);
        },
        html! {
            div.container {
                h1 { (title) }
                (search_form(&r.params))
                @if let Some(text) = unknown_place {
                    p.notice role="status" { "Aucun territoire ne correspond à « " (truncate(text, 80)) " » : essayez un nom de commune, un code INSEE ou un code postal." }
                }
                (active_filters(r))
                (tools(r, &feed_href))
                // Results come first in the page (on a phone, before the facets); on a
                // wide screen the facets sit beside them.
                div.search-layout {
                    section.results aria-labelledby="resultats" {
                        (results_header(r))
                        @if r.response.results.is_empty() {
                            p {
                                "Aucun jeu de données ne correspond. Essayez moins de mots"
                                @if has_active_filters(r) { " ou retirez un filtre" }
                                "."
                            }
                        } @else {
                            p.to-facets { a href="#filtres" { "Aller aux filtres pour affiner" } }
                        }
                        ol.result-list {
                            @for s in &r.response.results {
                                (result(s, &r.source_names))
                            }
                        }
                        (pagination(&r.params, "/recherche", r.page, page_count(r.response.total)))
                    }
                    aside.facets aria-labelledby="filtres" {
                        h2 #filtres { "Affiner" }
                        (territory_form(&r.params))
                        @for (dimension, label) in FACETS {
                            (facet(r, dimension, label))
                        }
                    }
                }
            }
        },
    )
}

/// Links for other tools: the search's Atom feed, and its OGC layers as a QGIS file when
/// some results announce a map service.
fn tools(r: &Results, feed_href: &str) -> Markup {
    let services: u64 = r
        .facets
        .get("format")
        .into_iter()
        .flatten()
        .filter(|f| matches!(f.value.as_str(), "wms" | "wmts" | "wfs"))
        .map(|f| f.count)
        .sum();
    let qlr = r.params.without_key("page").without_key("sort");
    html! {
        ul.search-tools aria-label="Suivre et réutiliser cette recherche" {
            li { a href=(feed_href) type="application/atom+xml" { "S'abonner au flux Atom de cette recherche" } }
            @if services > 0 {
                li {
                    a href=(qlr.href("/recherche.qlr")) type="application/x-qgis-layer-definition" download {
                        "Ouvrir toutes les couches dans QGIS"
                    }
                    " " span.muted { "(services WMS, WMTS ou WFS des résultats, " (super::qgis::MAX_SEARCH_LAYERS) " couches au plus)" }
                }
            }
        }
    }
}

fn page_count(total: u64) -> usize {
    let reachable = (total as usize).min(moisson_search::query::MAX_OFFSET);
    reachable.div_ceil(PAGE_SIZE)
}

/// The text box; the filters in force travel as hidden fields.
fn search_form(params: &Params) -> Markup {
    html! {
        form.big-search role="search" aria-label="Recherche principale" action="/recherche" method="get" {
            label for="recherche" { "Mots-clés" }
            div.input-row {
                input #recherche type="search" name="q" value=(params.get("q").unwrap_or_default());
                @for (k, v) in &params.0 {
                    @if k != "q" && k != "page" {
                        input type="hidden" name=(k) value=(v);
                    }
                }
                button type="submit" { "Rechercher" }
            }
        }
    }
}

/// The territory picker: a text field (name, INSEE code, postal code) that works without
/// JavaScript (the server resolves it), with suggestions from `/api/territories` when
/// scripts run. Its place replaces any territory filter in force.
fn territory_form(params: &Params) -> Markup {
    html! {
        form.facet.place-form action="/recherche" method="get" {
            @for (k, v) in &params.0 {
                @if k != "territory" && k != "page" && k != "territoire" {
                    input type="hidden" name=(k) value=(v);
                }
            }
            (super::vocab::place_picker("territoire-recherche", None))
            button type="submit" { "Filtrer sur ce territoire" }
        }
    }
}

/// True when the page shows filters someone can remove: chosen ones, or territories
/// recognised in the words.
fn has_active_filters(r: &Results) -> bool {
    !r.response.interpreted.territories.is_empty()
        || r.params
            .0
            .iter()
            .any(|(k, _)| !matches!(k.as_str(), "q" | "sort" | "page"))
}

fn value_label(r: &Results, key: &str, value: &str) -> String {
    match key {
        "theme" => theme_label(value),
        "use_case" => use_case_label(value),
        "territory" => territory_label(value),
        "source" => r
            .source_names
            .get(value)
            .cloned()
            .unwrap_or_else(|| value.to_owned()),
        _ => r
            .facets
            .get(key)
            .and_then(|l| l.iter().find(|f| f.value == value))
            .map_or_else(|| value.to_owned(), |f| f.label.clone()),
    }
}

fn active_filters(r: &Results) -> Markup {
    let active: Vec<&(String, String)> = r
        .params
        .0
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "q" | "sort" | "page"))
        .collect();
    let recognised = &r.response.interpreted.territories;
    if active.is_empty() && recognised.is_empty() {
        return html! {};
    }
    // Removing a territory recognised in the words searches the other words alone.
    let words_alone = match r.response.interpreted.text.trim() {
        "" => r.params.without_key("q"),
        text => r.params.set("q", text),
    }
    .without_key("page");
    let cleared = Params(
        r.params
            .0
            .iter()
            .filter(|(k, _)| matches!(k.as_str(), "q" | "sort"))
            .cloned()
            .collect(),
    );
    html! {
        div.active-filters {
            h2.sr-only { "Filtres actifs" }
            ul {
                @for t in recognised {
                    li {
                        a.chip href=(words_alone.href("/recherche")) {
                            "Territoire reconnu dans les mots : " (territory_label(t))
                            span aria-hidden="true" { " ×" }
                            span.sr-only { " (retirer ce territoire et chercher les autres mots)" }
                        }
                    }
                }
                @for (k, v) in &active {
                    li {
                        a.chip href=(r.params.without(k, v).href("/recherche")) {
                            (filter_title(k)) " : " (value_label(r, k, v))
                            span aria-hidden="true" { " ×" }
                            span.sr-only { " (retirer ce filtre)" }
                        }
                    }
                }
                @if !active.is_empty() {
                    li { a href=(cleared.href("/recherche")) { "Tout effacer" } }
                }
            }
        }
    }
}

fn facet_link(r: &Results, dimension: &str, f: &FacetValue, label: &str) -> Markup {
    let active = r.params.has(dimension, &f.value);
    let href = if active {
        r.params.without(dimension, &f.value).href("/recherche")
    } else {
        r.params.with(dimension, &f.value).href("/recherche")
    };
    html! {
        a.facet-link.active[active] href=(href) {
            @if active { span aria-hidden="true" { "✓ " } }
            (label) " " span.count { "(" (fr::int(f.count)) ")" }
            @if active { span.sr-only { " — filtre actif, retirer" } }
        }
    }
}

fn facet(r: &Results, dimension: &str, title: &str) -> Markup {
    let Some(values) = r.facets.get(dimension).filter(|v| !v.is_empty()) else {
        return html! {};
    };
    let id = format!("facette-{dimension}");
    html! {
        section.facet aria-labelledby=(id) {
            h3 #(id) { (title) }
            @match dimension {
                "theme" | "territory" => (hierarchy(r, dimension, values)),
                _ => (flat(r, dimension, values)),
            }
        }
    }
}

/// Top values (themes, régions) with their children in a disclosure, open when one of
/// them is active.
fn hierarchy(r: &Results, dimension: &str, values: &[FacetValue]) -> Markup {
    let is_top = |f: &&FacetValue| match dimension {
        "territory" => f.value.starts_with("region-"),
        _ => f.parent.is_none(),
    };
    let tops: Vec<&FacetValue> = values.iter().filter(is_top).collect();
    // Départements whose région has no count of its own still show, flat.
    let orphans: Vec<&FacetValue> = values
        .iter()
        .filter(|f| !is_top(f))
        .filter(|f| !tops.iter().any(|t| Some(&t.value) == f.parent.as_ref()))
        .collect();
    html! {
        ul.facet-list {
            @for top in &tops {
                @let children: Vec<&FacetValue> = values.iter().filter(|c| c.parent.as_ref() == Some(&top.value)).collect();
                li {
                    @if children.is_empty() {
                        (facet_link(r, dimension, top, &top.label))
                    } @else {
                        @let open = r.params.has(dimension, &top.value) || children.iter().any(|c| r.params.has(dimension, &c.value));
                        details open[open] {
                            summary { (top.label) " " span.count { "(" (fr::int(top.count)) ")" } }
                            ul {
                                li { (facet_link(r, dimension, top, "Tout")) }
                                @for c in children.iter().take(30) {
                                    li { (facet_link(r, dimension, c, &c.label)) }
                                }
                            }
                        }
                    }
                }
            }
            @for o in orphans.iter().take(20) {
                li { (facet_link(r, dimension, o, &o.label)) }
            }
        }
    }
}

fn flat(r: &Results, dimension: &str, values: &[FacetValue]) -> Markup {
    let label = |f: &FacetValue| match dimension {
        "source" => value_label(r, dimension, &f.value),
        _ => f.label.clone(),
    };
    let (shown, rest) = values.split_at(values.len().min(8));
    html! {
        ul.facet-list {
            @for f in shown { li { (facet_link(r, dimension, f, &label(f))) } }
        }
        @if !rest.is_empty() {
            details {
                summary { "Voir " (rest.len().min(40)) " de plus" }
                ul.facet-list {
                    @for f in rest.iter().take(40) { li { (facet_link(r, dimension, f, &label(f))) } }
                }
            }
        }
    }
}

fn results_header(r: &Results) -> Markup {
    let sort = r.params.get("sort").unwrap_or("relevance");
    html! {
        div.results-header {
            h2 #resultats {
                (fr::datasets(r.response.total))
                @if r.response.interpreted.relaxed { " (contenant au moins un des mots)" }
            }
            form.sort-form action="/recherche" method="get" {
                @for (k, v) in &r.params.0 {
                    @if k != "sort" && k != "page" {
                        input type="hidden" name=(k) value=(v);
                    }
                }
                label for="tri" { "Trier par" }
                select #tri name="sort" {
                    option value="relevance" selected[sort == "relevance"] { "pertinence" }
                    option value="modified" selected[sort == "modified"] { "date de mise à jour" }
                    option value="quality" selected[sort == "quality"] { "qualité des métadonnées" }
                }
                button type="submit" { "Trier" }
            }
        }
        @if !r.response.interpreted.wider.is_empty() {
            p.muted {
                "Sont aussi comptés, après ceux de la commune, les jeux de données faits pour "
                (r.response.interpreted.wider.iter().map(|t| territory_label(t)).collect::<Vec<_>>().join(", "))
                "."
            }
        }
    }
}

fn result(s: &Summary, source_names: &BTreeMap<String, String>) -> Markup {
    let title = s.title.as_deref().unwrap_or("Sans titre");
    let top_themes: Vec<String> = s
        .themes
        .iter()
        .filter(|t| {
            moisson_catalog::vocab::vocabularies()
                .themes
                .get(t)
                .is_some_and(|c| c.parent.is_none())
        })
        .map(|t| theme_label(t))
        .collect();
    html! {
        li.result {
            h3 { a href={ "/jeux-de-donnees/" (s.id) } { (title) } }
            p.result-meta {
                @if let Some(p) = &s.publisher { span { (p) } }
                (quality_badge(s.quality_score))
                (hvd_badge(s.hvd.as_ref()))
            }
            @if let Some(d) = &s.description { p.result-desc { (truncate(d, 240)) } }
            dl.result-facts {
                @if !top_themes.is_empty() { dt { "Thèmes" } dd { (top_themes.join(", ")) } }
                @if !s.territories.is_empty() {
                    dt { "Territoire" }
                    dd { (s.territories.iter().take(5).map(|t| territory_label(t)).collect::<Vec<_>>().join(", ")) }
                }
                @if !s.formats.is_empty() {
                    dt { "Formats" }
                    dd { (s.formats.iter().take(8).map(|f| moisson_search::normalize::format(f).label).collect::<Vec<_>>().join(", ")) }
                }
                @if let Some(m) = &s.modified { dt { "Mis à jour" } dd { (fr::date(m)) } }
                dt { "Catalogue" }
                dd { (s.sources.iter().map(|id| source_names.get(id).cloned().unwrap_or_else(|| id.clone())).collect::<Vec<_>>().join(", ")) }
            }
        }
    }
}
