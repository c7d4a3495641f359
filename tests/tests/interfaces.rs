//! The open interfaces: `/catalog` (DCAT-AP re-export, harvested back by a second
//! Moisson), `/sparql`, `/api/openapi.json`, `/api/docs` and `/metrics`.

mod catalog;
mod discovery;
mod sparql;

use axum::body::Body;
use axum::http::Request;
use moisson_tests::{shared_dir, Sandbox};
use std::path::PathBuf;
use tower::ServiceExt;

use crate::support::turtle_catalogue;

/// A response read whole.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: axum::http::HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

/// Sends `request` to `app` (no socket) and reads the whole reply.
pub(crate) async fn send(app: &axum::Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), 256 << 20)
        .await
        .expect("body")
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

/// GETs `uri` with the given headers.
pub(crate) async fn get(app: &axum::Router, uri: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request = Request::get(uri).header("host", "moisson.test");
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    send(app, request.body(Body::empty()).expect("request")).await
}

/// Corpus files harvested into the round-trip sandbox (each its own source).
fn corpus_files() -> Vec<PathBuf> {
    let Some(shared) = shared_dir() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for dir in ["dcat-turtle", "dcat-rdfxml", "dcat-jsonld"] {
        let Ok(entries) = std::fs::read_dir(shared.join("corpus").join(dir)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        out.extend(files);
    }
    out
}

/// A sandbox holding a synthetic catalogue (always) and the DCAT corpus (when present),
/// one source per file.
pub(crate) async fn harvested_sandbox() -> Sandbox {
    let sandbox = Sandbox::start().await;
    sandbox.server.set(
        "/ddt.ttl",
        moisson_tests::Route::Bytes(
            turtle_catalogue(&[1, 2, 3, 4, 5], None, None).into_bytes(),
            "text/turtle".into(),
        ),
    );
    let source = sandbox.source("ddt-29", &sandbox.server.url("/ddt.ttl"));
    sandbox.harvest(&source).await;
    for (i, file) in corpus_files().iter().enumerate() {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("f");
        let url = sandbox.server.serve_file(&format!("/corpus/{name}"), file);
        let source = sandbox.source(&format!("corpus-{i}"), &url);
        sandbox.harvest(&source).await;
    }
    sandbox
}
