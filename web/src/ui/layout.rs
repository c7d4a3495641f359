//! The page shell: language, skip link, header with the search box, navigation, main
//! landmark, footer.

use maud::{html, Markup, DOCTYPE};

use super::design::{self, Dsfr};
use super::{CSS_URL, DSFR_CSS_URL, FAVICON_URL, PLACES_JS_URL};

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
    if let Some(dsfr) = design::current().dsfr() {
        return dsfr_page(dsfr, title, nav, head, main);
    }
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

/// The page in the State's design system: its header, skip links, navigation and footer,
/// the page's own markup given the DSFR's classes ([`super::dsfr_markup::restyle`]).
fn dsfr_page(dsfr: &Dsfr, title: &str, nav: Nav, head: Markup, main: Markup) -> Markup {
    let places = main.0.contains("name=\"territoire\"");
    let main = super::dsfr_markup::restyle(&main.0);
    html! {
        (DOCTYPE)
        html lang="fr" data-fr-scheme="light" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — Moisson" }
                link rel="icon" type="image/svg+xml" href=(FAVICON_URL);
                link rel="stylesheet" href=(dsfr.url("dsfr.min.css"));
                link rel="stylesheet" href=(DSFR_CSS_URL);
                @if places {
                    script src=(PLACES_JS_URL) defer {}
                }
                (head)
            }
            body {
                div.fr-skiplinks {
                    nav.fr-container aria-label="Accès rapide" {
                        ul.fr-skiplinks__list {
                            li { a.fr-link href="#contenu" { "Aller au contenu" } }
                            li { a.fr-link href="#navigation" { "Menu" } }
                            li { a.fr-link href="#recherche-entete" { "Recherche" } }
                            li { a.fr-link href="#pied-de-page" { "Pied de page" } }
                        }
                    }
                }
                (dsfr_header(dsfr, nav))
                main #contenu tabindex="-1" { (maud::PreEscaped(main)) }
                (dsfr_footer(dsfr))
            }
        }
    }
}

/// The DSFR header without its modals (they need JavaScript): the search box and the
/// navigation stay visible at every width.
fn dsfr_header(dsfr: &Dsfr, nav: Nav) -> Markup {
    html! {
        header.fr-header {
            div.fr-header__body {
                div.fr-container {
                    div.fr-header__body-row {
                        div.fr-header__brand.fr-enlarge-link {
                            // The Marianne logo block is reserved to State services.
                            @if dsfr.logo {
                                div.fr-header__brand-top {
                                    div.fr-header__logo {
                                        p.fr-logo { "République" br; "Française" }
                                    }
                                }
                            }
                            div.fr-header__service {
                                a href="/" title="Accueil — Moisson" {
                                    p.fr-header__service-title { "Moisson" }
                                }
                                p.fr-header__service-tagline { "Données environnementales des territoires" }
                            }
                        }
                        div.moisson-header-search {
                            form.fr-search-bar role="search" aria-label="Recherche rapide" action="/recherche" method="get" {
                                label.fr-label for="recherche-entete" { "Rechercher un jeu de données" }
                                input.fr-input #recherche-entete type="search" name="q" placeholder="Rechercher un jeu de données";
                                button.fr-btn type="submit" title="Rechercher" { "Rechercher" }
                            }
                        }
                    }
                }
            }
            div.moisson-nav {
                div.fr-container {
                    nav.fr-nav #navigation aria-label="Menu principal" {
                        ul.fr-nav__list {
                            @for (entry, href, label) in ENTRIES {
                                li.fr-nav__item {
                                    @if entry == nav {
                                        a.fr-nav__link href=(href) aria-current="page" { (label) }
                                    } @else {
                                        a.fr-nav__link href=(href) { (label) }
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

fn dsfr_footer(dsfr: &Dsfr) -> Markup {
    html! {
        footer.fr-footer #pied-de-page {
            div.fr-container {
                div.fr-footer__body {
                    div.fr-footer__brand.fr-enlarge-link {
                        @if dsfr.logo {
                            a href="/" title="Accueil — Moisson" {
                                p.fr-logo { "République" br; "Française" }
                            }
                        } @else {
                            a.fr-footer__brand-link href="/" { "Moisson" }
                        }
                    }
                    div.fr-footer__content {
                        p.fr-footer__content-desc {
                            "Moisson moissonne les catalogues de métadonnées environnementales (DCAT-AP, CSW) \
                             des services de l'État, des opérateurs et des collectivités. Il n'héberge aucune donnée, \
                             seulement leurs descriptions, et renvoie toujours à la source."
                        }
                        ul.fr-footer__content-list {
                            li.fr-footer__content-item { a.fr-footer__content-link href="/api/sources" { "API JSON" } }
                            li.fr-footer__content-item { a.fr-footer__content-link href="/api/quality/indicators" { "Indicateurs de qualité" } }
                            li.fr-footer__content-item { a.fr-footer__content-link href="/catalogues" { "Catalogues moissonnés" } }
                        }
                    }
                }
                div.fr-footer__bottom {
                    div.fr-footer__bottom-copy {
                        p { "Présentation : Système de design de l'État (DSFR), réservé aux sites des services de l'État." }
                    }
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
