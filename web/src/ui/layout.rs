//! The page shell: language, skip link, header with the search box, navigation, main
//! landmark, footer.

use maud::{html, Markup, DOCTYPE};

use super::{CSS_URL, FAVICON_URL, PLACES_JS_URL};

/// The navigation entry a page belongs to (marked `aria-current`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nav {
    Home,
    Search,
    Themes,
    UseCases,
    Catalogues,
    Producers,
    Validate,
    None,
}

const ENTRIES: [(Nav, &str, &str); 7] = [
    (Nav::Home, "/", "Accueil"),
    (Nav::Search, "/recherche", "Rechercher"),
    (Nav::Themes, "/themes", "Thèmes"),
    (Nav::UseCases, "/cas-d-usage", "Cas d'usage"),
    (Nav::Catalogues, "/catalogues", "Catalogues"),
    (Nav::Producers, "/producteurs", "Producteurs"),
    (Nav::Validate, "/valider", "Valider"),
];

/// Returns a whole page titled `title` (the `<title>` ends with the site name).
pub(crate) fn page(title: &str, nav: Nav, main: Markup) -> Markup {
    page_with_head(title, nav, html! {}, main)
}

/// [`page`] with more elements in `<head>` (alternate links, structured data).
pub(crate) fn page_with_head(title: &str, nav: Nav, head: Markup, main: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="fr" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — Moisson" }
                link rel="icon" type="image/svg+xml" href=(FAVICON_URL);
                link rel="stylesheet" href=(CSS_URL);
                // The territory picker's suggestions, on the pages that have one.
                @if main.0.contains("name=\"territoire\"") {
                    script src=(PLACES_JS_URL) defer {}
                }
                (head)
            }
            body {
                a.skip href="#contenu" { "Aller au contenu" }
                (header(nav))
                main #contenu tabindex="-1" { (main) }
                (footer())
            }
        }
    }
}

fn header(nav: Nav) -> Markup {
    html! {
        header.site-header {
            div.container.header-row {
                a.brand href="/" {
                    span.brand-flag aria-hidden="true" {}
                    span.brand-name { "Moisson" }
                    span.brand-tagline { "Données environnementales des territoires" }
                }
                form.header-search role="search" aria-label="Recherche rapide" action="/recherche" method="get" {
                    label.sr-only for="recherche-entete" { "Rechercher un jeu de données" }
                    input #recherche-entete type="search" name="q" placeholder="Rechercher un jeu de données";
                    button type="submit" { "Rechercher" }
                }
            }
            nav.main-nav aria-label="Menu principal" {
                ul.container {
                    @for (entry, href, label) in ENTRIES {
                        li {
                            @if entry == nav {
                                a href=(href) aria-current="page" { (label) }
                            } @else {
                                a href=(href) { (label) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn footer() -> Markup {
    html! {
        footer.site-footer {
            div.container {
                p {
                    "Moisson moissonne les catalogues de métadonnées environnementales (DCAT-AP, CSW) \
                     des services de l'État, des opérateurs et des collectivités. Il n'héberge aucune donnée, \
                     seulement leurs descriptions, et renvoie toujours à la source."
                }
                ul.footer-links {
                    li { a href="/api/sources" { "API JSON" } }
                    li { a href="/api/quality/indicators" { "Indicateurs de qualité" } }
                    li { a href="/catalogues" { "Catalogues moissonnés" } }
                }
            }
        }
    }
}

/// Returns a page for an error status.
pub(crate) fn error_page(status: u16, title: &str, text: &str) -> Markup {
    page(
        title,
        Nav::None,
        html! {
            div.container.narrow {
                h1 { (title) }
                p.lead { (text) }
                p.muted { "Code d'erreur : " (status) }
                p { a.button href="/" { "Revenir à l'accueil" } " " a href="/recherche" { "Rechercher un jeu de données" } }
            }
        },
    )
}
