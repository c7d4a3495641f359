//! The loopback server of `moisson demo`: serves the generated catalogues page by page
//! (generated on request, deterministic), answers 200 for `files/…` and 404 for `broken/…`
//! so that link checks see realistic answers.

use crate::csw::CswCatalogue;
use crate::{DemoRoute, DemoSource};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

struct DemoState {
    sources: Vec<DemoSource>,
    /// The revision served (see [`DemoSource::revision`]).
    revision: Arc<AtomicU64>,
    csw: Vec<CswCatalogue>,
    base_url: String,
}

/// A running demo catalogue server.
pub struct DemoServer {
    /// Base URL, ending with `/`.
    pub base_url: String,
    /// The sources it serves.
    pub sources: Vec<DemoSource>,
    /// The CSW catalogues it serves.
    pub csw: Vec<CswCatalogue>,
    revision: Arc<AtomicU64>,
}

impl DemoServer {
    /// Serves revision `revision` of every DCAT source from now on (see
    /// [`DemoSource::revision`]).
    pub fn set_revision(&self, revision: u64) {
        self.revision.store(revision, Ordering::SeqCst);
    }

    /// Returns the revision served.
    pub fn revision(&self) -> u64 {
        self.revision.load(Ordering::SeqCst)
    }

    /// Returns the URL of the first page of `source`.
    pub fn first_page_url(&self, source: &DemoSource) -> String {
        format!("{}{}", self.base_url, source.page_path(1))
    }

    /// Returns the CSW endpoint URL of `catalogue`.
    pub fn csw_url(&self, catalogue: &CswCatalogue) -> String {
        format!(
            "{}{}",
            self.base_url,
            catalogue.path().trim_start_matches('/')
        )
    }
}

/// Serves `sources` on `listener` in the background and returns the server's handle.
pub fn spawn(
    listener: tokio::net::TcpListener,
    sources: Vec<DemoSource>,
) -> std::io::Result<DemoServer> {
    spawn_with_csw(listener, sources, Vec::new())
}

/// Serves `sources` and the CSW catalogues `csw` on `listener` in the background.
pub fn spawn_with_csw(
    listener: tokio::net::TcpListener,
    sources: Vec<DemoSource>,
    csw: Vec<CswCatalogue>,
) -> std::io::Result<DemoServer> {
    let addr = listener.local_addr()?;
    let base_url = format!("http://{addr}/");
    let revision = Arc::new(AtomicU64::new(0));
    let state = Arc::new(DemoState {
        sources: sources.clone(),
        revision: revision.clone(),
        csw: csw.clone(),
        base_url: base_url.clone(),
    });
    let router = Router::new().fallback(serve_path).with_state(state);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(error = %e, "demo catalogue server stopped");
        }
    });
    Ok(DemoServer {
        base_url,
        sources,
        csw,
        revision,
    })
}

async fn serve_path(State(state): State<Arc<DemoState>>, request: Request) -> Response {
    let uri = request.uri();
    let path = uri.path().trim_start_matches('/').to_owned();
    let query = uri.query().map(str::to_owned);
    if let Some(i) = crate::csw_server::catalogue_at(&state.csw, &path) {
        let catalogue = state.csw[i].clone();
        return crate::csw_server::answer(catalogue, state.base_url.clone(), request).await;
    }
    let page = match crate::route(&state.sources, &path, query.as_deref()) {
        DemoRoute::Page { source, page } => state
            .sources
            .iter()
            .position(|s| s == source)
            .map(|i| (i, page)),
        DemoRoute::File => {
            return (
                [(header::CONTENT_TYPE, "application/octet-stream")],
                "demo file\n",
            )
                .into_response();
        }
        DemoRoute::Broken | DemoRoute::NotFound => None,
    };
    let Some((index, page)) = page else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let generated = tokio::task::spawn_blocking(move || {
        let mut source = state.sources[index].clone();
        source.revision = state.revision.load(Ordering::SeqCst);
        let mut body = Vec::new();
        source
            .write_page(page, &state.base_url, &mut body)
            .map(|()| (body, source.format.content_type()))
    })
    .await;
    match generated {
        Ok(Ok((body, content_type))) => {
            ([(header::CONTENT_TYPE, content_type)], Body::from(body)).into_response()
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
