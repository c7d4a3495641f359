//! Activity feeds (Atom, RFC 4287) of a source (`/catalogues/{id}/activite.atom`) and of
//! a producer (`/producteurs/{slug}/activite.atom`: the activity of every source that
//! carries its records). The events are `moisson_catalog::activity`; this file writes
//! them as Atom.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use moisson_catalog::activity::{source_activity, Activity, DEFAULT_SCORE_DROP};
use std::fmt::Write as _;

use super::sitemap::xml_escape;
use super::{blocking, PublicUrl, UiError};
use crate::app::AppState;

/// Jobs read per source.
const JOBS_READ: usize = 50;
/// Entries in one feed.
const ENTRIES: usize = 50;

fn activity_of(state: &AppState, id: &str) -> Result<Vec<Activity>, UiError> {
    let name = state
        .sources
        .current()
        .iter()
        .find(|s| s.id.as_str() == id)
        .map_or_else(|| id.to_owned(), |s| s.name.clone());
    let jobs = state.store.jobs(id, JOBS_READ)?;
    let trend = state.store.quality_trend(id)?;
    Ok(source_activity(
        id,
        &name,
        &jobs,
        &trend,
        DEFAULT_SCORE_DROP,
    ))
}

pub(crate) async fn source_feed(
    State(state): State<AppState>,
    Path(id): Path<String>,
    site: Option<Extension<PublicUrl>>,
    headers: HeaderMap,
) -> Result<Response, UiError> {
    let base = PublicUrl::resolve(site, &headers);
    let source = state
        .sources
        .current()
        .iter()
        .find(|s| s.id.as_str() == id)
        .cloned()
        .ok_or_else(UiError::not_found)?;
    let body = blocking(move || {
        let events = activity_of(&state, source.id.as_str())?;
        Ok(write_atom(
            &base,
            &format!("/catalogues/{}", source.id),
            &format!("Activité du catalogue {}", source.name),
            &events,
        ))
    })
    .await?;
    Ok(atom(body))
}

pub(crate) async fn producer_feed(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    site: Option<Extension<PublicUrl>>,
    headers: HeaderMap,
) -> Result<Response, UiError> {
    let base = PublicUrl::resolve(site, &headers);
    let body = blocking(move || {
        let producers = crate::api::publishers::producers(&state)?;
        let p = &producers
            .find(&slug)
            .ok_or_else(UiError::not_found)?
            .producer;
        let mut events = Vec::new();
        for source in p.sources.keys() {
            events.extend(activity_of(&state, source)?);
        }
        events.sort_by(|a, b| b.at.cmp(&a.at).then(a.id.cmp(&b.id)));
        Ok(write_atom(
            &base,
            &format!("/producteurs/{}", p.slug),
            &format!("Activité du producteur {}", p.name),
            &events,
        ))
    })
    .await?;
    Ok(atom(body))
}

fn atom(body: String) -> Response {
    (
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        body,
    )
        .into_response()
}

/// Writes `events` as an Atom feed whose page is `{base}{page}`.
fn write_atom(base: &str, page: &str, title: &str, events: &[Activity]) -> String {
    let page_url = format!("{base}{page}");
    let self_url = format!("{page_url}/activite.atom");
    let updated = events
        .first()
        .map_or("1970-01-01T00:00:00Z", |e| e.at.as_str());
    let mut out = String::with_capacity(1024 + events.len() * 512);
    super::feed::feed_head(&mut out, &self_url, &page_url, title, updated);
    for e in events.iter().take(ENTRIES) {
        let link = format!("{base}/catalogues/{}", e.source);
        let _ = writeln!(
            out,
            "<entry>\n<id>{}</id>\n<title>{}</title>\n<updated>{}</updated>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n<category term=\"{}\"/>\n<summary>{}</summary>\n</entry>",
            xml_escape(&e.id),
            xml_escape(&e.title),
            xml_escape(&e.at),
            xml_escape(&link),
            xml_escape(&serde_json::to_value(e.kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()),
            xml_escape(&e.summary)
        );
    }
    out.push_str("</feed>\n");
    out
}
