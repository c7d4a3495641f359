//! `GET /api/datasets`: French full-text search with facets, filters, sorting and paging;
//! `GET /api/datasets/{id}`: one dataset with every DCAT-AP field, its sources, and its
//! themes, use cases and territories with the reason each was assigned.

use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use moisson_catalog::vocab::vocabularies;
use moisson_catalog::DatasetView;
use moisson_search::{classify, Classification, SearchRequest, SearchResponse, Sort};
use serde::Serialize;

use crate::app::AppState;
use crate::error::{ApiError, ApiPath};
use crate::runner::source_contexts;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/datasets", get(list))
        .route("/api/datasets/{id}", get(one))
}

/// Filter parameters; each may repeat (`theme=eau&theme=risques`: either).
/// Filters over a vocabulary; the others are the index's value dimensions.
const VOCABULARY_FILTERS: &[&str] = &["theme", "use_case", "territory"];

fn is_filter(name: &str) -> bool {
    VOCABULARY_FILTERS.contains(&name) || moisson_search::schema::VALUE_DIMENSIONS.contains(&name)
}

const DEFAULT_PAGE_SIZE: usize = 20;
use moisson_search::query::{MAX_OFFSET, MAX_PAGE_SIZE};

/// Parses the query string of `GET /api/datasets` (also used by `moisson search`).
pub fn parse_search_query(raw: Option<&str>) -> Result<SearchRequest, ApiError> {
    let raw = raw.unwrap_or_default();
    if raw.len() > 8192 {
        return Err(ApiError::invalid_input("query string too long"));
    }
    let mut request = SearchRequest {
        page: 1,
        page_size: DEFAULT_PAGE_SIZE,
        ..SearchRequest::default()
    };
    for (key, value) in url::form_urlencoded::parse(raw.as_bytes()) {
        let value = value.trim().to_owned();
        match key.as_ref() {
            "q" => request.q = Some(value).filter(|v| !v.is_empty()),
            "sort" => {
                request.sort = Sort::from_name(&value).ok_or_else(|| {
                    ApiError::invalid_input(format!(
                        "sort must be relevance, modified or quality, not {value:?}"
                    ))
                })?;
            }
            "page" => request.page = positive(&key, &value)?,
            "page_size" => {
                request.page_size = positive(&key, &value)?;
                if request.page_size > MAX_PAGE_SIZE {
                    return Err(ApiError::invalid_input(format!(
                        "page_size must be at most {MAX_PAGE_SIZE}, not {}",
                        request.page_size
                    )));
                }
            }
            name if is_filter(name) => {
                if !value.is_empty() {
                    request
                        .filters
                        .entry(name.to_owned())
                        .or_default()
                        .push(value);
                }
            }
            other => {
                return Err(ApiError::invalid_input(format!(
                    "unknown parameter {other:?} (expected q, sort, page, page_size, {})",
                    [VOCABULARY_FILTERS, moisson_search::schema::VALUE_DIMENSIONS]
                        .concat()
                        .join(", ")
                )));
            }
        }
    }
    Ok(request)
}

fn positive(key: &str, value: &str) -> Result<usize, ApiError> {
    value
        .parse::<usize>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| ApiError::invalid_input(format!("{key} must be a positive integer")))
}

/// One page of `GET /api/datasets`: the search response with where it sits among the pages.
#[derive(Serialize)]
pub struct SearchPage {
    /// Page number, from 1.
    pub page: usize,
    /// Results per page asked for.
    pub page_size: usize,
    /// Largest `page_size` accepted (a larger one is refused with 400).
    pub max_page_size: usize,
    /// Pages that can be walked: results past the first [`MAX_OFFSET`] are not paged to.
    pub page_count: usize,
    /// The next page's URL (same parameters), `null` on the last page.
    pub next: Option<String>,
    /// The previous page's URL, `null` on the first.
    pub previous: Option<String>,
    /// Total, results, facets and interpretation.
    #[serde(flatten)]
    pub response: SearchResponse,
}

/// Returns the number of pages of `page_size` results that reach `total` results, within
/// the paging depth.
fn page_count(total: u64, page_size: usize) -> usize {
    let reachable = usize::try_from(total).unwrap_or(usize::MAX).min(MAX_OFFSET);
    reachable.div_ceil(page_size.max(1))
}

/// Returns `/api/datasets?…&page=n` with the other parameters of `raw` kept in order.
fn page_link(raw: Option<&str>, page: usize) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if key != "page" {
            query.append_pair(&key, &value);
        }
    }
    query.append_pair("page", &page.to_string());
    format!("/api/datasets?{}", query.finish())
}

async fn list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<SearchPage>, ApiError> {
    let request = parse_search_query(raw.as_deref())?;
    let (page, page_size) = (request.page, request.page_size);
    let index = state.index.clone();
    let response = tokio::task::spawn_blocking(move || index.search(&request)).await??;
    let pages = page_count(response.total, page_size);
    Ok(Json(SearchPage {
        page,
        page_size,
        max_page_size: MAX_PAGE_SIZE,
        page_count: pages,
        next: (page < pages).then(|| page_link(raw.as_deref(), page + 1)),
        previous: (page > 1).then(|| page_link(raw.as_deref(), (page - 1).min(pages.max(1)))),
        response,
    }))
}

/// A dataset with its classification.
#[derive(Serialize)]
pub struct DatasetDetail {
    /// Every DCAT-AP field the store reads.
    #[serde(flatten)]
    pub view: DatasetView,
    /// Themes, use cases and territories, each with its reasons.
    pub classification: Classification,
    /// Dataset ids of other records the search index merged with this one.
    pub duplicates: Vec<String>,
    /// Quality score out of 100, once computed.
    pub quality_score: Option<f64>,
    /// The record's quality indicators and what to fix (most recent version).
    pub quality: Option<moisson_catalog::quality::RecordAssessment>,
    /// Harvested values of link fields that are not `http`, `https` or `ftp` URLs
    /// (`javascript:`, `data:`…): taken out of those fields, so that no client renders
    /// them as links, and listed here as they were.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unsafe_links: Vec<UnsafeLink>,
}

/// A link field value taken out of its field because its scheme is not safe to follow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnsafeLink {
    /// Where it was: `landing_page`, `endpoint_urls`, `distributions[2].download_urls`…
    pub field: String,
    /// The value as harvested.
    pub value: String,
    /// Always true.
    #[serde(rename = "unsafe")]
    pub is_unsafe: bool,
}

/// True for the URLs a link field may hold: absolute `http`, `https` or `ftp` URLs.
pub fn is_safe_link(url: &str) -> bool {
    url::Url::parse(url.trim()).is_ok_and(|u| matches!(u.scheme(), "http" | "https" | "ftp"))
}

/// Takes the values of link fields that are not safe links out of `view`.
fn take_unsafe_links(view: &mut DatasetView) -> Vec<UnsafeLink> {
    let mut out = Vec::new();
    let mut sift = |field: String, values: &mut Vec<String>| {
        values.retain(|v| {
            let safe = is_safe_link(v);
            if !safe {
                out.push(UnsafeLink {
                    field: field.clone(),
                    value: v.clone(),
                    is_unsafe: true,
                });
            }
            safe
        });
    };
    let mut landing: Vec<String> = view.landing_page.take().into_iter().collect();
    sift("landing_page".into(), &mut landing);
    view.landing_page = landing.pop();
    sift("endpoint_urls".into(), &mut view.endpoint_urls);
    for (i, d) in view.distributions.iter_mut().enumerate() {
        sift(
            format!("distributions[{i}].access_urls"),
            &mut d.access_urls,
        );
        sift(
            format!("distributions[{i}].download_urls"),
            &mut d.download_urls,
        );
    }
    out
}

/// Reads the dataset `id` with its classification, duplicates and quality (blocking);
/// shared by `GET /api/datasets/{id}` and the dataset page.
pub fn dataset_detail(state: &AppState, id: &str) -> Result<Option<DatasetDetail>, ApiError> {
    if id.len() > 200 {
        return Err(ApiError::invalid_input("dataset id too long"));
    }
    let Some(mut view) = state.store.dataset(id)? else {
        return Ok(None);
    };
    let unsafe_links = take_unsafe_links(&mut view);
    // What the index computed (the facets count it); a record harvested but not indexed
    // yet is classified here, the same way.
    let classification = match state.index.classification_of(id)? {
        Some(c) => c,
        None => {
            let classified = moisson_search::document::classification_view(&state.store, &view)?;
            classify(
                &classified,
                vocabularies(),
                &source_contexts(&state.sources.current()),
            )
        }
    };
    let summary = state.index.summary_of(id)?;
    let quality_score = summary.as_ref().and_then(|s| s.quality_score);
    // What the facet counts: the HVD claims of every record merged into the dataset.
    if let Some(claim) = summary.as_ref().and_then(|s| s.hvd.clone()) {
        view.hvd = Some(claim);
    }
    let duplicates: Vec<String> = summary
        .map(|s| {
            std::iter::once(s.id)
                .chain(s.duplicates)
                .filter(|d| d != id)
                .collect()
        })
        .unwrap_or_default();
    let quality = crate::api::quality::dataset_quality(
        &state.store,
        &state.sources.current(),
        id,
        &duplicates,
    )?;
    Ok(Some(DatasetDetail {
        view,
        classification,
        duplicates,
        quality_score,
        quality,
        unsafe_links,
    }))
}

async fn one(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<DatasetDetail>, ApiError> {
    let lookup = id.clone();
    let detail = tokio::task::spawn_blocking(move || dataset_detail(&state, &lookup)).await??;
    detail
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no dataset {id:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use moisson_catalog::DistributionView;

    #[test]
    fn pages_link_to_their_neighbours_and_refuse_oversized_pages() {
        assert_eq!(page_count(0, 20), 0);
        assert_eq!(page_count(41, 20), 3);
        assert_eq!(page_count(1_000_000, 100), MAX_OFFSET / 100);
        assert_eq!(
            page_link(Some("q=eau&page=2&theme=eau"), 3),
            "/api/datasets?q=eau&theme=eau&page=3"
        );
        let err = parse_search_query(Some("page_size=101")).expect_err("too large");
        assert!(err.parts().2.contains("at most 100"), "{err:?}");
        assert_eq!(
            parse_search_query(Some("page_size=100"))
                .map(|r| r.page_size)
                .ok(),
            Some(100)
        );
    }

    #[test]
    fn unsafe_links_leave_the_link_fields() {
        assert!(is_safe_link("https://x.org/a.csv") && is_safe_link("ftp://x.org/a"));
        assert!(!is_safe_link("javascript:alert(1)") && !is_safe_link(" JavaScript:x"));
        assert!(!is_safe_link("data:text/html,<script>") && !is_safe_link("/relative"));
        let mut view = DatasetView {
            landing_page: Some("javascript:alert(1)".into()),
            endpoint_urls: vec!["https://x.org/wfs".into(), "vbscript:x".into()],
            distributions: vec![DistributionView {
                access_urls: vec!["https://x.org/".into()],
                download_urls: vec!["data:text/html,x".into()],
                ..DistributionView::default()
            }],
            ..DatasetView::default()
        };
        let taken = take_unsafe_links(&mut view);
        assert_eq!(view.landing_page, None);
        assert_eq!(view.endpoint_urls, vec!["https://x.org/wfs"]);
        assert_eq!(view.distributions[0].access_urls, vec!["https://x.org/"]);
        assert!(view.distributions[0].download_urls.is_empty());
        let fields: Vec<&str> = taken.iter().map(|l| l.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "landing_page",
                "endpoint_urls",
                "distributions[0].download_urls"
            ]
        );
        assert!(taken.iter().all(|l| l.is_unsafe));
    }
}
