//! `POST /api/validate`: the validator's JSON report on a URL (a DCAT document, a
//! Hydra-paged catalogue, a CSW endpoint with an optional constraint) or a document sent
//! as the body (RDF or ISO 19139 XML). The reading is `moisson_harvester::preview` (the
//! harvest's fetcher, and so its address policy, its CSW requests, parsers and mapping)
//! and the report `moisson_harvester::validation`; this file parses requests, applies
//! the `[validator]` limits and the per-client rate limit, and answers. Nothing is
//! written to the store.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Extension, Json, Router};
use moisson_harvester::preview::{preview, PreviewInput, PreviewLimits};
use moisson_harvester::validation::{validate, ValidationReport};
use moisson_harvester::Protocol;
use serde::Deserialize;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::app::AppState;
use crate::error::ApiError;

/// Largest document accepted in a request body.
pub const MAX_DOCUMENT_BYTES: usize = 32 << 20;

/// `[validator]` settings.
#[derive(Debug, Clone)]
pub struct ValidatorSettings {
    /// Records read and assessed at most.
    pub max_records: usize,
    /// Pages read at most.
    pub max_pages: u32,
    /// Time one validation may take.
    pub timeout: Duration,
    /// Validations one client may start per minute (0: no limit).
    pub requests_per_minute: u32,
}

impl Default for ValidatorSettings {
    fn default() -> Self {
        Self {
            max_records: 200,
            max_pages: 10,
            // Under the server's 30 s request timeout.
            timeout: Duration::from_secs(25),
            requests_per_minute: 6,
        }
    }
}

/// The address of the client, set by the server loop on each connection.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

/// Starts of recent validations per client.
fn recent() -> &'static Mutex<HashMap<IpAddr, VecDeque<Instant>>> {
    static RECENT: OnceLock<Mutex<HashMap<IpAddr, VecDeque<Instant>>>> = OnceLock::new();
    RECENT.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Counts a validation of `client`; `Err` with the seconds to wait when it is over its
/// limit for the last minute.
pub fn admit(client: Option<IpAddr>, per_minute: u32) -> Result<(), u64> {
    let (Some(client), true) = (client, per_minute > 0) else {
        return Ok(());
    };
    let now = Instant::now();
    let window = Duration::from_secs(60);
    let mut map = recent().lock().unwrap_or_else(|p| p.into_inner());
    // Forget clients idle for a minute, so the map stays small.
    if map.len() > 10_000 {
        map.retain(|_, v| v.back().is_some_and(|t| now.duration_since(*t) < window));
    }
    let starts = map.entry(client).or_default();
    while starts
        .front()
        .is_some_and(|t| now.duration_since(*t) >= window)
    {
        starts.pop_front();
    }
    if starts.len() >= per_minute as usize {
        let oldest = starts.front().copied().unwrap_or(now);
        return Err(window.saturating_sub(now.duration_since(oldest)).as_secs() + 1);
    }
    starts.push_back(now);
    Ok(())
}

pub fn routes() -> Router<AppState> {
    // The body limit applies to this router's one route.
    Router::new()
        .route("/api/validate", post(validate_api))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_DOCUMENT_BYTES + 1))
}

/// A validation asked by URL.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UrlRequest {
    /// The document, catalogue or CSW endpoint.
    pub url: String,
    /// `dcat` (a document or a Hydra-paged catalogue) or `csw`; guessed when absent.
    #[serde(default)]
    pub protocol: Option<String>,
    /// CSW constraint (CQL text), for CSW endpoints.
    #[serde(default)]
    pub constraint: Option<String>,
}

/// Turns a URL request into a preview input, or says what is wrong (English, API).
pub fn url_input(r: UrlRequest) -> Result<PreviewInput, String> {
    let url = r.url.trim().to_owned();
    let parsed = url::Url::parse(&url).map_err(|e| format!("invalid url: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("the url must be http or https".into());
    }
    if url.len() > 2000 {
        return Err("url too long".into());
    }
    let protocol = match r.protocol.as_deref().map(str::trim) {
        Some("csw") => Protocol::Csw,
        Some("dcat") => Protocol::Dcat,
        Some("") | None => {
            let lower = url.to_ascii_lowercase();
            if lower.contains("service=csw") || lower.ends_with("/csw") {
                Protocol::Csw
            } else {
                Protocol::Dcat
            }
        }
        Some(other) => return Err(format!("unknown protocol {other:?} (dcat or csw)")),
    };
    let constraint = r
        .constraint
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    if constraint.as_ref().is_some_and(|c| c.len() > 2000) {
        return Err("constraint too long".into());
    }
    Ok(PreviewInput::Url {
        url,
        protocol,
        constraint,
    })
}

/// Runs one validation with the harvest fetcher of `state` (its address policy
/// included) within `settings`; shared by the API and `/valider`.
pub async fn run_validation(
    state: &AppState,
    settings: &ValidatorSettings,
    input: PreviewInput,
) -> Result<ValidationReport, ApiError> {
    let document = match &input {
        PreviewInput::Url { url, .. } => url.clone(),
        PreviewInput::Document { name, .. } => name.clone(),
    };
    let limits = PreviewLimits {
        max_records: settings.max_records,
        max_pages: settings.max_pages,
        timeout: settings.timeout,
        parse: state.harvests.options.limits,
    };
    let started = tokio::time::Instant::now();
    // The harvest's fetch options, but public addresses only: the URL is the user's,
    // not the operator's (unless the operator allowed private addresses everywhere).
    let fetcher =
        moisson_harvester::Fetcher::for_untrusted_urls(state.harvests.fetcher.options().clone())
            .map_err(|e| {
                ApiError::with_status(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    e.to_string(),
                )
            })?;
    let read = preview(&fetcher, input, limits).await.map_err(|e| {
        ApiError::with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unreadable",
            e.to_string(),
        )
    })?;
    let left = settings.timeout.saturating_sub(started.elapsed());
    let assess = tokio::task::spawn_blocking(move || {
        let conformance = crate::api::quality::validator()
            .map(|v| v as &dyn moisson_catalog::quality::Conformance);
        validate(&document, read, conformance)
    });
    match tokio::time::timeout(left.max(Duration::from_secs(1)), assess).await {
        Ok(report) => Ok(report?),
        Err(_) => Err(ApiError::with_status(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!(
                "validation not finished within {} s",
                settings.timeout.as_secs()
            ),
        )),
    }
}

async fn validate_api(
    State(state): State<AppState>,
    settings: Option<Extension<ValidatorSettings>>,
    client: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ValidationReport>, ApiError> {
    let settings = settings.map(|Extension(s)| s).unwrap_or_default();
    if let Err(wait) = admit(client.map(|Extension(c)| c.0), settings.requests_per_minute) {
        return Err(ApiError::with_status(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many validations from this address: retry in {wait} s"),
        ));
    }
    super::conneg::identity_body(&headers)?;
    if body.len() > MAX_DOCUMENT_BYTES {
        return Err(ApiError::invalid_input("document larger than 32 MiB"));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let is_json = content_type
        .as_deref()
        .is_some_and(|c| c.starts_with("application/json"));
    let input = if is_json {
        let request: UrlRequest = serde_json::from_slice(&body)
            .map_err(|e| ApiError::invalid_input(format!("invalid request: {e}")))?;
        url_input(request).map_err(ApiError::invalid_input)?
    } else {
        if body.is_empty() {
            return Err(ApiError::invalid_input(
                "send {\"url\": …} as application/json, or a document as the body",
            ));
        }
        PreviewInput::Document {
            bytes: body.to_vec(),
            content_type,
            name: "urn:moisson:validateur:document".into(),
        }
    };
    Ok(Json(run_validation(&state, &settings, input).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_limited_per_minute() {
        let ip: IpAddr = "203.0.113.9".parse().expect("ip");
        assert!(admit(Some(ip), 2).is_ok());
        assert!(admit(Some(ip), 2).is_ok());
        let wait = admit(Some(ip), 2).expect_err("third in a minute");
        assert!((1..=61).contains(&wait));
        let other: IpAddr = "203.0.113.10".parse().expect("ip");
        assert!(admit(Some(other), 2).is_ok());
        assert!(admit(None, 1).is_ok() && admit(None, 1).is_ok());
    }

    #[test]
    fn url_requests_are_checked() {
        let r = |url: &str, p: Option<&str>| UrlRequest {
            url: url.into(),
            protocol: p.map(Into::into),
            constraint: None,
        };
        assert!(url_input(r("file:///etc/passwd", None)).is_err());
        assert!(url_input(r("https://ex.org/csw", Some("ftp"))).is_err());
        assert!(matches!(
            url_input(r("https://ex.org/geonetwork/srv/fre/csw", None)),
            Ok(PreviewInput::Url {
                protocol: Protocol::Csw,
                ..
            })
        ));
        assert!(matches!(
            url_input(r("https://ex.org/catalog.ttl", None)),
            Ok(PreviewInput::Url {
                protocol: Protocol::Dcat,
                ..
            })
        ));
    }
}
