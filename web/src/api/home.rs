//! `GET /`: a plain French page pointing at the API while the portal pages are built.
//! Every harvested value is escaped.

use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use axum::Router;

use crate::app::AppState;
use crate::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(home))
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

async fn home(State(state): State<AppState>) -> Result<Html<String>, ApiError> {
    let rows = tokio::task::spawn_blocking(move || -> Result<String, ApiError> {
        let mut rows = String::new();
        for s in state.sources.iter() {
            let counts = state.store.source_counts(s.id.as_str())?;
            let job = state.store.last_job(s.id.as_str())?;
            let status = job.as_ref().map_or("jamais moissonné", |j| match j.status {
                moisson_catalog::JobStatus::Ok => "ok",
                moisson_catalog::JobStatus::Partial => "partiel",
                moisson_catalog::JobStatus::Failed => "échec",
                moisson_catalog::JobStatus::Running => "en cours",
            });
            rows.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                escape(&s.name),
                escape(s.protocol.as_str()),
                counts.datasets,
                counts.services,
                escape(status)
            ));
        }
        Ok(rows)
    })
    .await??;
    Ok(Html(format!(
        "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Moisson</title></head>\
<body><header><h1>Moisson</h1><p>Moissonneur des catalogues de métadonnées environnementales.</p></header>\
<main><h2>Catalogues moissonnés</h2><table><thead><tr><th scope=\"col\">Catalogue</th><th scope=\"col\">Protocole</th>\
<th scope=\"col\">Jeux de données</th><th scope=\"col\">Services</th><th scope=\"col\">Dernière moisson</th></tr></thead>\
<tbody>{rows}</tbody></table><p>API : <a href=\"/api/sources\">/api/sources</a></p></main></body></html>"
    )))
}
