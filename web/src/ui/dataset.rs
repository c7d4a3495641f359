//! `GET /jeux-de-donnees/{id}`: what DCAT-AP says of a dataset, in plain French; why it is
//! in each theme and use case; its quality indicators with the fixes; every source it
//! was harvested from. `…/notice.ttl` and `…/notice.jsonld`: its record graphs as RDF.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use maud::{html, Markup};
use moisson_catalog::quality::{Blame, RecordAssessment};
use moisson_catalog::vocab::Bbox;
use moisson_catalog::{ActiveRecord, DatasetView, ExportFormat};
use moisson_search::{Assignment, Classification};
use std::collections::BTreeMap;

use super::components::{
    access_rights, big_score, breadcrumb, external_link, hvd_badge, page_link, quality_badge,
    search_href, territory_label,
};
use super::layout::{page_with_head, Nav};
use super::{blocking, charts, fr, jsonld, qgis, Page, PublicUrl, UiError};
use crate::api::datasets::{dataset_detail, DatasetDetail};
use crate::app::AppState;

pub(crate) async fn page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    site: Option<Extension<PublicUrl>>,
    headers: HeaderMap,
) -> Result<Page, UiError> {
    let base = PublicUrl::resolve(site, &headers);
    let markup = blocking(move || {
        let detail = dataset_detail(&state, &id)?.ok_or_else(UiError::not_found)?;
        let names: BTreeMap<String, String> = state
            .sources
            .current()
            .iter()
            .map(|s| (s.id.as_str().to_owned(), s.name.clone()))
            .collect();
        // The other records are named by their title and catalogue, never by their id.
        let mut copies = Vec::new();
        for dup in detail.duplicates.iter().take(20) {
            let label = match state.store.dataset(dup)? {
                Some(v) => {
                    let title = v.title.unwrap_or_else(|| "Fiche sans titre".to_owned());
                    match v.sources.first().and_then(|s| names.get(&s.source)) {
                        Some(name) => format!("{title} — catalogue {name}"),
                        None => title,
                    }
                }
                None => "Fiche retirée de son catalogue".to_owned(),
            };
            copies.push((dup.clone(), label));
        }
        Ok(render(&detail, &names, &copies, &base))
    })
    .await?;
    Ok(Page::ok(markup))
}

pub(crate) async fn turtle(
    state: State<AppState>,
    public_url: Option<Extension<PublicUrl>>,
    id: Path<String>,
) -> Result<Response, UiError> {
    notice(state, public_url, id, ExportFormat::Turtle).await
}

pub(crate) async fn jsonld(
    state: State<AppState>,
    public_url: Option<Extension<PublicUrl>>,
    id: Path<String>,
) -> Result<Response, UiError> {
    notice(state, public_url, id, ExportFormat::JsonLd).await
}

/// The notice of one dataset as the federated catalogue publishes it: its record graphs
/// (one per source holding it), what Moisson assigned it, its catalogue records and the
/// catalogues of its sources.
async fn notice(
    State(state): State<AppState>,
    public_url: Option<Extension<PublicUrl>>,
    Path(id): Path<String>,
    format: ExportFormat,
) -> Result<Response, UiError> {
    if id.len() > 200 {
        return Err(UiError::bad_request());
    }
    let root = PublicUrl::or_default(public_url).catalog_root();
    let body = blocking(move || {
        let records: Vec<ActiveRecord> = state.store.entries_for_dataset(&id)?;
        if records.is_empty() {
            return Err(UiError::not_found());
        }
        let assigned = |r: &ActiveRecord| state.index.assigned(&r.dataset_id).unwrap_or_default();
        let names = |id: &str| {
            state
                .sources
                .current()
                .iter()
                .find(|s| s.id.as_str() == id)
                .map_or_else(|| id.to_owned(), |s| s.name.clone())
        };
        let mut out = Vec::new();
        state
            .store
            .export_records(format, &root, &records, &assigned, &names, &mut out)?;
        Ok(out)
    })
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, format.media_type()),
            (header::CONTENT_DISPOSITION, "inline"),
        ],
        body,
    )
        .into_response())
}

fn render(
    d: &DatasetDetail,
    names: &BTreeMap<String, String>,
    copies: &[(String, String)],
    base: &str,
) -> Markup {
    let v = &d.view;
    let title = v.title.as_deref().unwrap_or("Jeu de données sans titre");
    let structured = jsonld::dataset(d, base, names);
    page_with_head(
        title,
        Nav::Search,
        html! { @if let Some(value) = &structured { (jsonld::script(value)) } },
        html! {
            div.container {
                (breadcrumb(&[("/", "Accueil"), ("/recherche", "Recherche")], title))
                h1 { (title) }
                p.result-meta {
                    span.kind { (kind_label(&v.kind)) }
                    @if let Some(p) = &v.publisher { span { "Publié par " (p) } }
                    (quality_badge(d.quality_score.or(d.quality.as_ref().map(|q| q.score))))
                    (hvd_badge(v.hvd.as_ref()))
                }
                div.dataset-layout {
                    div.dataset-main {
                        (description(v))
                        (facts(v, &d.classification))
                        (distributions(v))
                        (classification(&d.classification))
                        @if let Some(q) = &d.quality { (quality(q)) }
                    }
                    aside.dataset-side aria-label="Carte et provenance" {
                        (map(v, &d.classification))
                        (provenance(d, names, copies))
                    }
                }
            }
        },
    )
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "service" => "Service de données",
        "series" => "Série de jeux de données",
        _ => "Jeu de données",
    }
}

fn description(v: &DatasetView) -> Markup {
    html! {
        section aria-labelledby="description" {
            h2 #description { "Description" }
            @match &v.description {
                Some(text) => {
                    @for para in text.split("\n\n").filter(|p| !p.trim().is_empty()).take(50) {
                        p { (para.trim()) }
                    }
                }
                None => p.muted { "Le producteur n'a pas fourni de description." },
            }
            @if !v.keywords.is_empty() {
                ul.keywords aria-label="Mots-clés" {
                    @for k in v.keywords.iter().take(60) {
                        li { a.chip href=(search_href(&[("q", k.as_str())])) { (k) } }
                    }
                }
            }
        }
    }
}

/// A row of the facts list, shown only when there is a value.
fn fact(label: &str, value: Option<Markup>) -> Markup {
    match value {
        Some(v) => html! { dt { (label) } dd { (v) } },
        None => html! {},
    }
}

fn facts(v: &DatasetView, c: &Classification) -> Markup {
    let contact = match (&v.contact_name, &v.contact_email) {
        (None, None) => None,
        (name, email) => Some(html! {
            @if let Some(n) = name { (n) " " }
            @if let Some(e) = email.as_deref().filter(|e| e.contains('@') && !e.contains(char::is_whitespace)) {
                a href={ "mailto:" (e) } { (e) }
            }
        }),
    };
    let temporal = match (&v.temporal_start, &v.temporal_end) {
        (None, None) => None,
        (Some(s), None) => Some(html! { "depuis le " (fr::date(s)) }),
        (None, Some(e)) => Some(html! { "jusqu'au " (fr::date(e)) }),
        (Some(s), Some(e)) => Some(html! { "du " (fr::date(s)) " au " (fr::date(e)) }),
    };
    let territories: Vec<String> = c.territories.iter().map(|t| t.label.clone()).collect();
    let licence = v.license.as_ref().map(|l| {
        let label = moisson_search::normalize::licence(l).label;
        html! { (external_link(l, &label)) }
    });
    html! {
        section aria-labelledby="en-bref" {
            h2 #en-bref { "En bref" }
            dl.facts {
                (fact("Producteur", v.publisher.as_ref().map(|p| html! { (p) })))
                (fact("Contact", contact))
                (fact("Couverture géographique", (!territories.is_empty()).then(|| html! { (territories.join(", ")) })))
                (fact("Couverture temporelle", temporal))
                (fact("Fréquence de mise à jour", v.accrual_periodicity.as_ref().map(|f| html! { (fr::frequency(f)) })))
                (fact("Date de publication", v.issued.as_ref().map(|d| html! { (fr::date(d)) })))
                (fact("Dernière mise à jour", v.modified.as_ref().map(|d| html! { (fr::date(d)) })))
                (fact("Licence", licence))
                (fact("Conditions d'accès", v.access_rights.as_deref().map(access_rights)))
                (fact("Page du jeu de données", v.landing_page.as_deref().map(page_link)))
                (fact("Données de forte valeur (HVD)", v.hvd.as_ref().map(|h| html! {
                    "règlement d'exécution (UE) 2023/138"
                    @if !h.legislation { " (catégorie indiquée, règlement non cité)" }
                    @if !h.categories.is_empty() { " — " (h.category_labels().join(", ")) }
                })))
                (fact("Conforme à", (!v.conforms_to.is_empty()).then(|| html! { (v.conforms_to.join(", ")) })))
                (fact("Langues", (!v.languages.is_empty()).then(|| html! { (v.languages.iter().map(|l| language(l)).collect::<Vec<_>>().join(", ")) })))
                (fact("Identifiants", (!v.identifiers.is_empty()).then(|| html! { (v.identifiers.join(", ")) })))
                (fact("Adresse (IRI)", Some(html! { code { (v.iri) } })))
            }
        }
    }
}

fn language(raw: &str) -> String {
    match raw
        .rsplit('/')
        .next()
        .unwrap_or(raw)
        .to_ascii_uppercase()
        .as_str()
    {
        "FRA" | "FR" => "français".into(),
        "ENG" | "EN" => "anglais".into(),
        "DEU" | "DE" => "allemand".into(),
        "BRE" | "BR" => "breton".into(),
        _ => raw.to_owned(),
    }
}

fn distributions(v: &DatasetView) -> Markup {
    let layers = qgis::layers_of(v);
    html! {
        section aria-labelledby="distributions" {
            h2 #distributions { "Téléchargements et services" }
            @if !layers.is_empty() {
                p.qgis {
                    a.button href={ "/jeux-de-donnees/" (v.id) "/qgis.qlr" } type="application/x-qgis-layer-definition" download {
                        "Ouvrir dans QGIS"
                    }
                    " "
                    span.muted {
                        "Fichier de couches QGIS (.qlr) : "
                        (layers.iter().map(|l| l.kind_label()).collect::<std::collections::BTreeSet<_>>().into_iter().collect::<Vec<_>>().join(", "))
                        ", " (layers.len()) " couche" @if layers.len() > 1 { "s" }
                        ". Glissez-le dans QGIS ou ouvrez-le avec Couche › Ajouter depuis un fichier de définition de couche."
                    }
                }
            }
            @if v.distributions.is_empty() && v.endpoint_urls.is_empty() {
                p.muted { "Aucune distribution n'est décrite : le producteur ne dit pas où obtenir les données." }
            } @else {
                div.table-wrap tabindex="0" role="region" aria-label="Distributions (tableau défilant)" {
                    table {
                        caption { "Distributions décrites par le producteur" }
                        thead { tr {
                            th scope="col" { "Nom" }
                            th scope="col" { "Format" }
                            th scope="col" { "Lien" }
                            th scope="col" { "Taille" }
                        } }
                        tbody {
                            @for dist in v.distributions.iter().take(200) {
                                tr {
                                    th scope="row" { (dist.title.as_deref().unwrap_or("Distribution sans titre")) }
                                    td { (dist.format.as_deref().or(dist.media_type.as_deref()).map_or_else(|| "non précisé".to_owned(), |f| moisson_search::normalize::format(f).label)) }
                                    td {
                                        @for u in dist.download_urls.iter().take(3) { (external_link(u, "Télécharger")) " " }
                                        @for u in dist.access_urls.iter().take(3) { (external_link(u, "Accéder")) " " }
                                    }
                                    td { (dist.byte_size.as_deref().and_then(|b| b.parse::<u64>().ok()).map_or_else(String::new, size)) }
                                }
                            }
                            @for u in v.endpoint_urls.iter().take(20) {
                                tr {
                                    th scope="row" { "Point d'accès du service" }
                                    td { "service" }
                                    td { (external_link(u, "Accéder")) }
                                    td {}
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn size(bytes: u64) -> String {
    match bytes {
        0..=1023 => format!("{} o", fr::int(bytes)),
        1024..=1_048_575 => format!("{} Ko", fr::decimal(bytes as f64 / 1024.0)),
        1_048_576..=1_073_741_823 => format!("{} Mo", fr::decimal(bytes as f64 / 1_048_576.0)),
        _ => format!("{} Go", fr::decimal(bytes as f64 / 1_073_741_824.0)),
    }
}

fn assignments(title: &str, base: &str, items: &[Assignment]) -> Markup {
    html! {
        h3 { (title) }
        @if items.is_empty() {
            p.muted { "Aucun." }
        } @else {
            ul.reasons {
                @for a in items {
                    li {
                        a href={ (base) (a.value) } { (a.label) }
                        @if !a.weights.is_empty() {
                            " " span.muted { "(poids " (a.score()) ")" }
                        }
                        @if !a.reasons.is_empty() {
                            ul {
                                @for (i, r) in a.reasons.iter().enumerate().take(5) {
                                    li {
                                        (r)
                                        @if let Some(w) = a.weights.get(i) {
                                            " — " (weight_label(*w))
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
}

/// « indice fort (3) » / « indice faible (1) »: how much one reason weighs.
fn weight_label(weight: u32) -> String {
    match weight {
        0 => "non pondéré".to_owned(),
        1 => "indice faible (1)".to_owned(),
        w => format!("indice fort ({w})"),
    }
}

fn classification(c: &Classification) -> Markup {
    html! {
        section aria-labelledby="classement" {
            h2 #classement { "Pourquoi ce jeu de données est classé ici" }
            p { "Moisson range chaque fiche dans des thèmes, des cas d'usage et des territoires à partir de ses mots-clés, de son titre, de sa description et de son catalogue d'origine. Voici les raisons retenues." }
            p.muted { "Pourquoi ce thème : chaque raison a un poids. Les mots du titre et des mots-clés et les thèmes déclarés par la fiche sont des indices forts (3) ; un thème INSPIRE, une catégorie ISO, un thème européen ou une phrase de la description sont des indices faibles (1), retenus seulement s'ils concordent avec les mots de la fiche ou si elle n'en dit pas plus." }
            (assignments("Thèmes", "/themes/", &c.themes))
            (assignments("Cas d'usage", "/cas-d-usage/", &c.use_cases))
            h3 { "Territoires" }
            @if c.territories.is_empty() {
                p.muted { "Aucun territoire reconnu." }
            } @else {
                ul.reasons {
                    @for t in &c.territories {
                        li {
                            a href=(search_href(&[("territory", t.value.as_str())])) { (t.label) }
                            @if !t.reasons.is_empty() { ul { @for r in t.reasons.iter().take(5) { li { (r) } } } }
                        }
                    }
                }
            }
        }
    }
}

fn quality(q: &RecordAssessment) -> Markup {
    let counted: Vec<_> = q
        .messages
        .iter()
        .filter(|m| m.counts_in_score())
        .take(40)
        .collect();
    let apart: Vec<_> = q
        .messages
        .iter()
        .filter(|m| !m.counts_in_score())
        .take(20)
        .collect();
    html! {
        section aria-labelledby="qualite" {
            h2 #qualite { "Qualité des métadonnées" }
            (big_score(q.score))
            @if !counted.is_empty() {
                h3 { "À corriger par le producteur" }
                ol.fixes {
                    @for m in counted {
                        li {
                            (m.text)
                            @if let Some(d) = &m.detail { " — " span.detail { (d) } }
                            " " span.points { "(+" (fr::decimal(m.points)) "\u{a0}points)" }
                        }
                    }
                }
            }
            @if !apart.is_empty() {
                h3 { "Conseils non comptés dans le score" }
                ul.fixes {
                    @for m in apart {
                        li {
                            (m.text)
                            @if let Some(d) = &m.detail { " — " span.detail { (d) } }
                            @if m.blame == Blame::Mapping { " " span.note { "Peut venir de la conversion ISO 19139 : non compté." } }
                            @else { " " span.note { "Indicateur propre à Moisson (fraîcheur, clarté) : non compté dans le score MQA." } }
                        }
                    }
                }
            }
            div.table-wrap tabindex="0" role="region" aria-label="Indicateurs de qualité de la fiche (tableau défilant)" {
                table {
                    caption { "Indicateurs de qualité de cette fiche" }
                    thead { tr {
                        th scope="col" { "Indicateur" }
                        th scope="col" { "Dimension" }
                        th scope="col" { "Résultat" }
                        th scope="col" { "Points" }
                    } }
                    tbody {
                        @for r in &q.indicators {
                            @let ind = r.id.indicator();
                            tr {
                                th scope="row" { (ind.label) }
                                td { (ind.dimension.label()) }
                                td { @match r.value {
                                    None => "non évalué",
                                    Some(v) if v >= 1.0 => "réussi",
                                    Some(v) if v <= 0.0 => "échoué",
                                    Some(v) => (format!("{} réussi", fr::percent(v))),
                                } }
                                td { (fr::decimal(r.earned)) " / " (fr::decimal(r.max)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn map(v: &DatasetView, c: &Classification) -> Markup {
    let bbox = v
        .bboxes
        .iter()
        .chain(v.spatial.iter())
        .find_map(|b| Bbox::parse_literal(b).or_else(|| Bbox::parse_plain(b)));
    let (bbox, place) = match bbox {
        Some(b) => (Some(b), "emprise déclarée".to_owned()),
        None => {
            // Else the box of the first territory it was classified in.
            let t = c.territories.first().and_then(|t| {
                moisson_search::classify::territory_by_key(
                    moisson_catalog::vocab::vocabularies(),
                    &t.value,
                )
            });
            (
                t.map(|t| t.bbox),
                t.map(|t| territory_label(&t.key())).unwrap_or_default(),
            )
        }
    };
    match bbox.and_then(|b| charts::bbox_map(&b, &place)) {
        Some(svg) => {
            html! { section aria-labelledby="carte" { h2 #carte { "Couverture géographique" } (svg) } }
        }
        None => html! {},
    }
}

fn provenance(
    d: &DatasetDetail,
    names: &BTreeMap<String, String>,
    copies: &[(String, String)],
) -> Markup {
    let v = &d.view;
    html! {
        section aria-labelledby="provenance" {
            h2 #provenance { "Provenance" }
            p { "Moisson a moissonné cette fiche depuis " (v.sources.len()) " catalogue" @if v.sources.len() > 1 { "s" } " :" }
            ul.sources {
                @for s in &v.sources {
                    li {
                        a href={ "/catalogues/" (s.source) } { (names.get(&s.source).map_or(s.source.as_str(), String::as_str)) }
                        br;
                        span.muted { "vue pour la première fois le " (fr::date(&s.first_seen)) ", modifiée le " (fr::date(&s.last_changed)) }
                        br;
                        (external_link(&s.page_url, "page du catalogue d'origine"))
                    }
                }
            }
            @if !copies.is_empty() {
                h3 { "Autres fiches du même jeu de données" }
                ul { @for (id, label) in copies { li { a href={ "/jeux-de-donnees/" (id) } { (label) } } } }
            }
            h3 { "Notice complète" }
            ul {
                li { a href={ "/jeux-de-donnees/" (v.id) "/notice.ttl" } type="text/turtle" { "DCAT-AP en Turtle" } }
                li { a href={ "/jeux-de-donnees/" (v.id) "/notice.jsonld" } type="application/ld+json" { "DCAT-AP en JSON-LD" } }
                li { a href={ "/api/datasets/" (v.id) } type="application/json" { "API JSON" } }
            }
        }
    }
}
