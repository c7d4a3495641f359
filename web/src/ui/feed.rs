//! `GET /recherche.atom?…`: an Atom feed (RFC 4287) of any search, with the same
//! parameters as `/recherche`: its [`ENTRIES`] most recently modified datasets, so a feed
//! reader shows what is new or updated in a theme, a territory or for a query.
//!
//! An entry's `updated` is the dataset's `dct:modified` when it is a date, else the time
//! a harvest last saw it change; its id is the dataset page's URL, which never changes.

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use chrono::{DateTime, NaiveDate, Utc};
use moisson_search::{Sort, Summary};
use std::fmt::Write as _;

use super::components::{theme_label, truncate, Params};
use super::sitemap::xml_escape;
use super::{blocking, PublicUrl, UiError};
use crate::app::AppState;

/// Entries in one feed.
const ENTRIES: usize = 50;

/// The query string a search's feed and page share: the search's parameters without
/// paging and sorting (a feed is always sorted newest first).
pub(crate) fn feed_query(params: &Params) -> String {
    params.without_key("page").without_key("sort").query()
}

/// `GET /recherche.atom`.
pub(crate) async fn search_feed(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    site: Option<Extension<PublicUrl>>,
    headers: HeaderMap,
) -> Result<Response, UiError> {
    let base = PublicUrl::resolve(site, &headers);
    let params = Params::parse(raw.as_deref());
    let query = feed_query(&params);
    let mut request = crate::api::datasets::parse_search_query(Some(&query))?;
    request.sort = Sort::Modified;
    request.page = 1;
    request.page_size = ENTRIES;
    let title = match params.get("q") {
        Some(q) => format!("Moisson — « {} »", truncate(q, 80)),
        None => "Moisson — jeux de données récents".to_owned(),
    };
    let body = blocking(move || {
        let response = state.index.search(&request)?;
        let mut entries = Vec::with_capacity(response.results.len());
        for summary in response.results {
            let harvested = last_changed(&state, &summary.id)?;
            let updated = summary
                .modified
                .as_deref()
                .and_then(parse_time)
                .or(harvested)
                .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
            entries.push((summary, updated));
        }
        let feed_updated = entries
            .iter()
            .map(|(_, t)| *t)
            .max()
            .or_else(|| {
                state
                    .store
                    .active_snapshot()
                    .ok()
                    .and_then(|s| s.last_modified)
            })
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        Ok(write_feed(
            &FeedHead {
                base: &base,
                query: &query,
                title: &title,
                total: response.total,
                updated: feed_updated,
            },
            &entries,
        ))
    })
    .await?;
    Ok((
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        body,
    )
        .into_response())
}

/// When a harvest last saw dataset `id` change (its newest record version).
fn last_changed(state: &AppState, id: &str) -> Result<Option<DateTime<Utc>>, UiError> {
    Ok(state
        .store
        .entries_for_dataset(id)?
        .iter()
        .filter_map(|e| parse_time(&e.last_changed))
        .max())
}

/// Reads an RFC 3339 time, or a date (taken at midnight UTC).
fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc())
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

struct FeedHead<'a> {
    base: &'a str,
    query: &'a str,
    title: &'a str,
    total: u64,
    updated: DateTime<Utc>,
}

fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

fn write_feed(head: &FeedHead<'_>, entries: &[(Summary, DateTime<Utc>)]) -> String {
    let base = head.base;
    let self_url = format!("{base}{}", with_query("/recherche.atom", head.query));
    let page_url = format!("{base}{}", with_query("/recherche", head.query));
    let mut out = String::with_capacity(2048 + entries.len() * 1024);
    feed_head(
        &mut out,
        &self_url,
        &page_url,
        head.title,
        &rfc3339(head.updated),
    );
    let _ = writeln!(
        out,
        "<subtitle>{} jeux de données correspondent à cette recherche ; les {} plus récemment modifiés.</subtitle>",
        head.total, ENTRIES
    );
    out.push_str("<generator>Moisson</generator>\n");
    for (s, updated) in entries {
        let page = format!("{base}/jeux-de-donnees/{}", s.id);
        out.push_str("<entry>\n");
        let _ = writeln!(out, "<id>{}</id>", xml_escape(&page));
        let _ = writeln!(
            out,
            "<title>{}</title>",
            xml_escape(s.title.as_deref().unwrap_or("Jeu de données sans titre"))
        );
        let _ = writeln!(out, "<updated>{}</updated>", rfc3339(*updated));
        let _ = writeln!(
            out,
            "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
            xml_escape(&page)
        );
        if let Some(p) = &s.publisher {
            let _ = writeln!(out, "<author><name>{}</name></author>", xml_escape(p));
        }
        for theme in s.themes.iter().take(10) {
            let _ = writeln!(
                out,
                "<category term=\"{}\" label=\"{}\"/>",
                xml_escape(theme),
                xml_escape(&theme_label(theme))
            );
        }
        let summary = s
            .description
            .as_deref()
            .map(|d| truncate(d, 400))
            .unwrap_or_else(|| "Le producteur n'a pas fourni de description.".to_owned());
        let _ = writeln!(out, "<summary>{}</summary>", xml_escape(&summary));
        out.push_str("</entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

/// Opens an Atom feed (RFC 4287) in `out`: its id and `self` link `self_url`, its
/// `alternate` page `page_url`, its title, its `updated` time and Moisson as its author.
/// Every feed of the site starts here; the caller adds its entries and `</feed>`.
pub(super) fn feed_head(
    out: &mut String,
    self_url: &str,
    page_url: &str,
    title: &str,
    updated: &str,
) {
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"fr\">\n");
    let _ = writeln!(out, "<id>{}</id>", xml_escape(self_url));
    let _ = writeln!(out, "<title>{}</title>", xml_escape(title));
    let _ = writeln!(out, "<updated>{}</updated>", xml_escape(updated));
    let _ = writeln!(
        out,
        "<link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>",
        xml_escape(self_url)
    );
    let _ = writeln!(
        out,
        "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
        xml_escape(page_url)
    );
    out.push_str("<author><name>Moisson</name></author>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_read_as_utc() {
        assert_eq!(
            parse_time("2024-03-01").map(rfc3339).as_deref(),
            Some("2024-03-01T00:00:00Z")
        );
        assert_eq!(
            parse_time("2024-03-01T10:00:00+02:00")
                .map(rfc3339)
                .as_deref(),
            Some("2024-03-01T08:00:00Z")
        );
        assert_eq!(parse_time("mars 2024"), None);
    }

    #[test]
    fn the_feed_query_drops_paging_and_sorting() {
        let params = Params::parse(Some("q=zones+humides&page=3&sort=quality&theme=eau"));
        assert_eq!(feed_query(&params), "q=zones+humides&theme=eau");
    }
}
