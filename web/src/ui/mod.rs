//! The French portal: server-rendered HTML pages (maud, which escapes every value) over the
//! same functions as the JSON API, with our own CSS and SVG charts drawn here.
//!
//! One file per page type; `layout.rs` holds the page shell, `components.rs` the pieces
//! several pages share, `charts.rs` the SVG charts and map, `fr.rs` the French formats.
//! Harvested text is never passed to `PreEscaped`. Every HTML response carries a
//! Content-Security-Policy without inline script or style.

mod activity;
mod catalogues;
mod charts;
mod components;
mod dataset;
pub mod design;
mod dsfr_markup;
mod feed;
mod fix_csv;
mod fr;
mod home;
mod jsonld;
mod layout;
mod needs;
mod producers;
mod qgis;
mod search;
mod sitemap;
pub(crate) mod sparql;
mod territory;
mod validator;
mod vocab;

pub use crate::PublicUrl;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use maud::Markup;

use crate::app::AppState;

/// The policy of every HTML page: our own files only, no inline script or style.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
style-src 'self'; script-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The stylesheet, served with a long cache (its URL carries a version).
const CSS: &str = include_str!("../../assets/moisson.css");
/// The stylesheet's URL; bump the version when the file changes.
pub(crate) const CSS_URL: &str = "/static/moisson-2.css";
/// Moisson's complement to the DSFR in DSFR mode (the page parts the DSFR has no
/// component for: facets, results, charts, scores), served with a long cache.
const DSFR_CSS: &str = include_str!("../../assets/moisson-dsfr.css");
/// Its URL; bump the version when the file changes.
pub(crate) const DSFR_CSS_URL: &str = "/static/moisson-dsfr-1.css";
/// The territory picker's suggestions (progressive enhancement: every form works without).
const PLACES_JS: &str = include_str!("../../assets/places.js");
/// Its URL; bump the version when the file changes.
pub(crate) const PLACES_JS_URL: &str = "/static/places-1.js";

/// The site's icon (drawn for Moisson: an ear of wheat), served with a long cache.
const FAVICON: &str = include_str!("../../assets/favicon.svg");
/// Its URL; bump the version when the file changes.
pub(crate) const FAVICON_URL: &str = "/static/favicon-1.svg";

/// Routes of every page.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::page))
        .route("/recherche", get(search::page))
        .route("/jeux-de-donnees/{id}", get(dataset::page))
        .route("/jeux-de-donnees/{id}/notice.ttl", get(dataset::turtle))
        .route("/jeux-de-donnees/{id}/notice.jsonld", get(dataset::jsonld))
        .route("/jeux-de-donnees/{id}/qgis.qlr", get(qgis::dataset_file))
        .route("/recherche.qlr", get(qgis::search_file))
        .route("/recherche.atom", get(feed::search_feed))
        .route("/themes", get(vocab::themes_page))
        .route("/themes/{slug}", get(vocab::theme_page))
        .route("/cas-d-usage", get(vocab::use_cases_page))
        .route("/cas-d-usage/{slug}", get(vocab::use_case_page))
        .route("/territoires", get(territory::pick))
        .route("/territoires/{code}", get(territory::page))
        .route("/catalogues", get(catalogues::list_page))
        .route("/catalogues/{id}", get(catalogues::dashboard_page))
        .route(
            "/catalogues/{id}/a-corriger.csv",
            get(catalogues::csv_download),
        )
        .route("/catalogues/{id}/a-corriger", get(catalogues::fixes_page))
        .route("/catalogues/{id}/activite.atom", get(activity::source_feed))
        .route(
            "/producteurs/{slug}/activite.atom",
            get(activity::producer_feed),
        )
        .route("/producteurs", get(producers::list_page))
        .route("/producteurs/{slug}", get(producers::producer_page))
        .route(
            "/producteurs/{slug}/a-corriger",
            get(producers::producer_fixes),
        )
        .route(
            "/producteurs/{slug}/a-corriger.csv",
            get(producers::producer_csv),
        )
        .route(
            "/valider",
            get(validator::form_page).post(validator::submit).layer(
                axum::extract::DefaultBodyLimit::max(
                    crate::api::validate::MAX_DOCUMENT_BYTES + 64 * 1024,
                ),
            ),
        )
        .route("/robots.txt", get(sitemap::robots))
        .route("/sitemap.xml", get(sitemap::index))
        .route("/sitemaps/{file}", get(sitemap::page))
        .route(CSS_URL, get(stylesheet))
        .route(PLACES_JS_URL, get(places_script))
        .route(FAVICON_URL, get(favicon))
        .route("/static/dsfr/{version}/{*path}", get(design::asset))
        .route(DSFR_CSS_URL, get(dsfr_stylesheet))
        .route(
            "/favicon.ico",
            get(|| async { axum::response::Redirect::permanent(FAVICON_URL) }),
        )
}

/// An HTML page with its status; sets the content type and the security policy.
pub(crate) struct Page {
    status: StatusCode,
    markup: Markup,
}

impl Page {
    /// A 200 page.
    pub(crate) fn ok(markup: Markup) -> Self {
        Self {
            status: StatusCode::OK,
            markup,
        }
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.markup.into_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        response
    }
}

/// Why a page could not be shown; rendered as a French error page.
#[derive(Debug)]
pub(crate) struct UiError {
    status: StatusCode,
}

impl UiError {
    pub(crate) fn not_found() -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
        }
    }

    pub(crate) fn bad_request() -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
        }
    }
}

impl From<crate::error::ApiError> for UiError {
    fn from(err: crate::error::ApiError) -> Self {
        // The API error logged itself; the page only needs its status.
        Self {
            status: err.into_response().status(),
        }
    }
}

impl From<moisson_catalog::StoreError> for UiError {
    fn from(err: moisson_catalog::StoreError) -> Self {
        crate::error::ApiError::from(err).into()
    }
}

impl From<moisson_search::SearchError> for UiError {
    fn from(err: moisson_search::SearchError) -> Self {
        crate::error::ApiError::from(err).into()
    }
}

impl From<tokio::task::JoinError> for UiError {
    fn from(err: tokio::task::JoinError) -> Self {
        crate::error::ApiError::from(err).into()
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let (title, text) = match self.status {
            StatusCode::NOT_FOUND => (
                "Page introuvable",
                "La page demandée n'existe pas ou plus. Le jeu de données a peut-être été retiré de son catalogue d'origine.",
            ),
            StatusCode::METHOD_NOT_ALLOWED => (
                "Méthode non autorisée",
                "Cette adresse ne s'utilise qu'avec les méthodes indiquées dans l'en-tête Allow de la réponse (GET pour les pages). Suivez un lien du site plutôt que d'envoyer ce formulaire à nouveau.",
            ),
            StatusCode::BAD_REQUEST => (
                "Requête invalide",
                "Un paramètre de l'adresse n'est pas reconnu (filtre, tri ou numéro de page). Vérifiez le lien ou relancez votre recherche.",
            ),
            _ => (
                "Service momentanément indisponible",
                "Le service ne peut pas répondre pour le moment. Réessayez dans quelques instants.",
            ),
        };
        Page {
            status: self.status,
            markup: layout::error_page(self.status.as_u16(), title, text),
        }
        .into_response()
    }
}

/// Returns a page of the site's layout outside the navigation's entries (API docs).
pub(crate) fn in_layout(title: &str, main: Markup) -> Markup {
    layout::page(title, layout::Nav::None, main)
}

/// Runs `f` (store, index and rendering are synchronous) on the blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, UiError> + Send + 'static,
) -> Result<T, UiError> {
    // The request's design goes along to the blocking thread that renders the page.
    let design = design::current();
    tokio::task::spawn_blocking(move || design::with(design, f)).await?
}

/// The fallback of the whole application: a French 404 page, or the API's JSON error under
/// `/api/`.
pub async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return crate::error::ApiError::not_found(format!("no route {}", uri.path()))
            .into_response();
    }
    UiError::not_found().into_response()
}

/// What a route answers to a method it does not serve (405, with axum's `Allow` header
/// kept): the API's JSON error under `/api/`, a French page elsewhere.
pub async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return crate::error::ApiError::with_status(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("{method} is not allowed on {}", uri.path()),
        )
        .into_response();
    }
    UiError {
        status: StatusCode::METHOD_NOT_ALLOWED,
    }
    .into_response()
}

async fn places_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        PLACES_JS,
    )
        .into_response()
}

async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        FAVICON,
    )
        .into_response()
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        CSS,
    )
        .into_response()
}

async fn dsfr_stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        DSFR_CSS,
    )
        .into_response()
}
