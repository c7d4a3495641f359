//! The CSW endpoints of the demo catalogue server: `/{id}/csw` answers CSW 2.0.2
//! `GetRecords` (GET KVP or POST XML) with generated ISO 19139 records, so `moisson demo`
//! harvests geo catalogues through the same `csw` protocol as real geo-IDE endpoints.

use crate::csw::{paging_of, CswCatalogue};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// Largest GetRecords request body read.
const MAX_REQUEST_BYTES: usize = 64 << 10;

/// Returns the index of the catalogue whose endpoint is `path` (without leading `/`).
pub fn catalogue_at(catalogues: &[CswCatalogue], path: &str) -> Option<usize> {
    let path = path.trim_start_matches('/');
    catalogues
        .iter()
        .position(|c| c.path().trim_start_matches('/') == path)
}

/// Answers one GetRecords request for `catalogue`.
pub async fn answer(catalogue: CswCatalogue, base_url: String, request: Request) -> Response {
    let query = request.uri().query().map(str::to_owned);
    let Ok(body) = axum::body::to_bytes(request.into_body(), MAX_REQUEST_BYTES).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let body = String::from_utf8_lossy(&body).into_owned();
    let (start, max) = paging_of(query.as_deref(), &body);
    let page = tokio::task::spawn_blocking(move || catalogue.answer(start, max, &base_url)).await;
    match page {
        Ok(page) => (
            [(header::CONTENT_TYPE, "application/xml")],
            Body::from(page),
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
