//! For search engines: `GET /robots.txt` and the sitemaps (sitemaps.org protocol 0.9).
//!
//! `/sitemap.xml` is a sitemap index naming `/sitemaps/{n}.xml`, each listing at most
//! [`URLS_PER_SITEMAP`] absolute URLs: the site's own pages (home, search, every theme,
//! use case and catalogue), then every dataset page in the order of their ids. A page is
//! written from the registry's cached snapshot of active records, so its size is bounded
//! by the protocol's limit whatever the catalogue's size.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use moisson_catalog::vocab::vocabularies;
use moisson_catalog::ActiveSnapshot;
use std::fmt::Write as _;
use std::sync::Arc;

use super::{blocking, UiError};
use crate::app::AppState;
use crate::PublicUrl;

/// Most URLs in one sitemap (the protocol's limit).
pub(crate) const URLS_PER_SITEMAP: usize = 50_000;

const XML_TYPE: &str = "application/xml; charset=utf-8";

/// `GET /robots.txt`: pages are open; the API, SPARQL, the DCAT re-export, downloads and
/// the search's endless filter combinations are not crawled (every dataset page is
/// reached through the sitemap instead).
pub(crate) async fn robots(site: Option<Extension<PublicUrl>>, headers: HeaderMap) -> Response {
    let base = PublicUrl::resolve(site, &headers);
    let body = format!(
        "# Moisson : pages publiques ouvertes aux robots ; API et exports exclus.\n\
         User-agent: *\n\
         Allow: /\n\
         Disallow: /api/\n\
         Disallow: /sparql\n\
         Disallow: /catalog$\n\
         Disallow: /catalog?\n\
         Disallow: /metrics\n\
         Disallow: /recherche?\n\
         Disallow: /recherche.\n\
         Disallow: /jeux-de-donnees/*/notice.\n\
         Disallow: /jeux-de-donnees/*/qgis.qlr\n\
         Disallow: /catalogues/*/a-corriger.csv\n\
         \n\
         Sitemap: {base}/sitemap.xml\n"
    );
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// `GET /sitemap.xml`: the sitemap index.
pub(crate) async fn index(
    State(state): State<AppState>,
    site: Option<Extension<PublicUrl>>,
    headers: HeaderMap,
) -> Result<Response, UiError> {
    let base = PublicUrl::resolve(site, &headers);
    let body = blocking(move || {
        let listing = Listing::read(&state)?;
        let mut out = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
        );
        for n in 1..=page_count(listing.len()) {
            let _ = write!(
                out,
                "<sitemap><loc>{}/sitemaps/{n}.xml</loc>",
                xml_escape(&base)
            );
            if let Some(date) = &listing.last_modified {
                let _ = write!(out, "<lastmod>{date}</lastmod>");
            }
            out.push_str("</sitemap>\n");
        }
        out.push_str("</sitemapindex>\n");
        Ok(out)
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, XML_TYPE)], body).into_response())
}

/// `GET /sitemaps/{n}.xml`: page `n` (from 1) of the URLs.
pub(crate) async fn page(
    State(state): State<AppState>,
    Path(file): Path<String>,
    site: Option<Extension<PublicUrl>>,
    headers: HeaderMap,
) -> Result<Response, UiError> {
    let n = file
        .strip_suffix(".xml")
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| *n >= 1)
        .ok_or_else(UiError::not_found)?;
    let base = PublicUrl::resolve(site, &headers);
    let body = blocking(move || {
        let listing = Listing::read(&state)?;
        let range =
            page_range(listing.len(), URLS_PER_SITEMAP, n).ok_or_else(UiError::not_found)?;
        let mut out = String::with_capacity(range.len() * 120 + 200);
        out.push_str(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
        );
        let base = xml_escape(&base);
        for i in range {
            let (path, lastmod) = listing.get(i);
            let _ = write!(out, "<url><loc>{base}{}</loc>", xml_escape(&path));
            if let Some(date) = lastmod {
                let _ = write!(out, "<lastmod>{}</lastmod>", xml_escape(date));
            }
            out.push_str("</url>\n");
        }
        out.push_str("</urlset>\n");
        Ok(out)
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, XML_TYPE)], body).into_response())
}

/// Every URL path the sitemaps list: the site's pages, then one page per dataset.
struct Listing {
    pages: Vec<String>,
    snapshot: Arc<ActiveSnapshot>,
    last_modified: Option<String>,
}

impl Listing {
    fn read(state: &AppState) -> Result<Self, UiError> {
        let vocab = vocabularies();
        let mut pages = vec![
            "/".to_owned(),
            "/recherche".to_owned(),
            "/themes".to_owned(),
            "/cas-d-usage".to_owned(),
            "/catalogues".to_owned(),
        ];
        pages.extend(
            vocab
                .themes
                .concepts()
                .iter()
                .map(|c| format!("/themes/{}", c.slug)),
        );
        pages.extend(
            vocab
                .use_cases
                .concepts()
                .iter()
                .filter(|c| c.parent.is_some())
                .map(|c| format!("/cas-d-usage/{}", c.slug)),
        );
        pages.extend(
            state
                .sources
                .current()
                .iter()
                .map(|s| format!("/catalogues/{}", s.id)),
        );
        let snapshot = state.store.active_snapshot()?;
        Ok(Self {
            pages,
            last_modified: snapshot
                .last_modified
                .map(|t| t.format("%Y-%m-%d").to_string()),
            snapshot,
        })
    }

    fn len(&self) -> usize {
        self.pages.len() + self.snapshot.by_dataset().len()
    }

    /// Returns the path and last modification date of URL `i` (< [`Self::len`]): one
    /// page per dataset id, however many sources hold it, dated by its newest record.
    fn get(&self, i: usize) -> (String, Option<&str>) {
        match self.pages.get(i) {
            Some(p) => (p.clone(), None),
            None => {
                let mut id = "";
                let mut date: Option<&str> = None;
                for r in self.snapshot.by_dataset().records_of(i - self.pages.len()) {
                    let Some(record) = self.snapshot.record(r) else {
                        continue;
                    };
                    id = &record.dataset_id;
                    let d = record
                        .last_changed
                        .get(..10)
                        .unwrap_or(&record.last_changed);
                    date = date.max(Some(d));
                }
                (format!("/jeux-de-donnees/{id}"), date)
            }
        }
    }
}

/// Number of sitemap pages for `total` URLs (at least one, possibly empty).
fn page_count(total: usize) -> usize {
    total.div_ceil(URLS_PER_SITEMAP).max(1)
}

/// The URLs of page `n` (from 1), or `None` beyond the last page.
fn page_range(total: usize, per_page: usize, n: usize) -> Option<std::ops::Range<usize>> {
    let start = (n - 1).checked_mul(per_page)?;
    if n > total.div_ceil(per_page).max(1) {
        return None;
    }
    Some(start.min(total)..(start + per_page).min(total))
}

/// Escapes text for XML content and attribute values.
pub(crate) fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all are dropped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_split_the_urls_without_gap_or_overlap() {
        assert_eq!(page_range(0, 3, 1), Some(0..0));
        assert_eq!(page_range(0, 3, 2), None);
        assert_eq!(page_range(7, 3, 1), Some(0..3));
        assert_eq!(page_range(7, 3, 3), Some(6..7));
        assert_eq!(page_range(7, 3, 4), None);
        assert_eq!(page_range(6, 3, 3), None);
        assert_eq!(page_count(0), 1);
        assert_eq!(page_count(URLS_PER_SITEMAP), 1);
        assert_eq!(page_count(URLS_PER_SITEMAP + 1), 2);
    }

    #[test]
    fn xml_escape_leaves_no_markup() {
        assert_eq!(xml_escape("a<b>&\"'\u{1}c"), "a&lt;b&gt;&amp;&quot;&apos;c");
    }

    /// RFC 9309 matching (longest rule wins, `Allow` on a tie; `*` and `$`), enough to
    /// check our own rules.
    fn allowed(robots: &str, path: &str) -> bool {
        fn glob(p: &[u8], s: &[u8], anchored: bool) -> bool {
            match p.first() {
                None => !anchored || s.is_empty(),
                Some(b'*') => (0..=s.len()).any(|i| glob(&p[1..], &s[i..], anchored)),
                Some(c) => s.first() == Some(c) && glob(&p[1..], &s[1..], anchored),
            }
        }
        fn matches(pattern: &str, path: &str) -> bool {
            match pattern.strip_suffix('$') {
                Some(p) => glob(p.as_bytes(), path.as_bytes(), true),
                None => glob(pattern.as_bytes(), path.as_bytes(), false),
            }
        }
        let mut best: Option<(usize, bool)> = None;
        for line in robots.lines() {
            let (allow, pattern) = if let Some(p) = line.strip_prefix("Allow: ") {
                (true, p)
            } else if let Some(p) = line.strip_prefix("Disallow: ") {
                (false, p)
            } else {
                continue;
            };
            if matches(pattern, path) {
                let candidate = (pattern.len(), allow);
                if best.is_none_or(|b| candidate.0 > b.0 || candidate.0 == b.0 && allow) {
                    best = Some(candidate);
                }
            }
        }
        best.is_none_or(|(_, allow)| allow)
    }

    #[tokio::test]
    async fn robots_opens_pages_and_closes_heavy_endpoints() {
        let site = PublicUrl::new("https://moisson.example.fr").expect("valid");
        let response = robots(Some(Extension(site)), HeaderMap::new()).await;
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .expect("body");
        let text = String::from_utf8(bytes.to_vec()).expect("utf-8");
        assert!(text.contains("Sitemap: https://moisson.example.fr/sitemap.xml"));
        for open in [
            "/",
            "/recherche",
            "/jeux-de-donnees/zones-humides-29-0123456789ab",
            "/catalogues",
            "/catalogues/ddt-29",
            "/themes/eau",
            "/cas-d-usage/pcaet",
            "/sitemap.xml",
            "/sitemaps/1.xml",
        ] {
            assert!(allowed(&text, open), "{open} should be crawlable");
        }
        for closed in [
            "/api/datasets?q=eau",
            "/sparql?query=x",
            "/catalog",
            "/catalog?page=2",
            "/recherche?q=eau&theme=risques",
            "/recherche.atom?q=eau",
            "/jeux-de-donnees/x-1/notice.ttl",
            "/jeux-de-donnees/x-1/qgis.qlr",
            "/catalogues/ddt-29/a-corriger.csv",
            "/metrics",
        ] {
            assert!(!allowed(&text, closed), "{closed} should not be crawled");
        }
    }
}
