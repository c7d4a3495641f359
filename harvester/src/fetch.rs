//! The one HTTP loop every protocol goes through: timeouts, retries with backoff, a body
//! size cap, and spooling of the body to a temporary file while hashing it.
//!
//! Invariant: a body is never held whole in memory here; it streams to disk, so parsing
//! can stream from the file and an unchanged page can be recognized by its hash alone.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// Settings of the fetch loop.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Time allowed to open a connection.
    pub connect_timeout_secs: u64,
    /// Time allowed for one whole request, body included.
    pub timeout_secs: u64,
    /// Largest body accepted, in bytes (counted after decompression).
    pub max_document_bytes: u64,
    /// Attempts after the first one, for network errors, 429 and 5xx answers.
    pub retries: u32,
    /// First backoff delay, doubled at each retry.
    pub backoff_millis: u64,
    /// Longest wait before a retry, whether from the backoff or a `Retry-After` header;
    /// a server asking for more is not retried.
    pub max_retry_wait_secs: u64,
    /// Redirects followed for one request.
    pub max_redirects: usize,
    /// `User-Agent` header.
    pub user_agent: String,
    /// HTTP proxy for every request, if any.
    pub proxy: Option<String>,
    /// Folder for spooled bodies (the system's temporary folder when `None`).
    pub spool_dir: Option<PathBuf>,
    /// Lets the link checker reach loopback, private and link-local addresses (tests, the
    /// demo, intranet deployments). Off by default: see [`crate::netguard`].
    pub allow_private_addresses: bool,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            connect_timeout_secs: 10,
            timeout_secs: 300,
            max_document_bytes: 1 << 30,
            retries: 2,
            backoff_millis: 1000,
            max_retry_wait_secs: 120,
            max_redirects: 10,
            user_agent: format!(
                "Moisson/{} (metadata harvester; +https://ecologie.data.gouv.fr)",
                env!("CARGO_PKG_VERSION")
            ),
            proxy: None,
            spool_dir: None,
            allow_private_addresses: false,
        }
    }
}

/// Why a page could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The server answered with an error status.
    #[error("http status {status} from {url}")]
    Status {
        /// The status code.
        status: u16,
        /// The URL requested.
        url: String,
        /// The wait the server asked for (`Retry-After`), if any.
        retry_after: Option<Duration>,
    },
    /// The body is larger than allowed.
    #[error("body of {url} larger than {limit} bytes: download stopped")]
    TooLarge {
        /// The limit.
        limit: u64,
        /// The URL requested.
        url: String,
    },
    /// Too many redirects, or a redirect loop.
    #[error("{0}")]
    Redirect(String),
    /// Connection, TLS, timeout or protocol error: what happened, with its cause kept.
    #[error("{message}")]
    Network {
        /// The URL and the chain of causes, in one line.
        message: String,
        /// The client's error, when there was one.
        #[source]
        source: Option<reqwest::Error>,
    },
    /// The URL is not a valid http(s) URL.
    #[error("invalid url {0:?}")]
    InvalidUrl(String),
    /// The local spool file could not be written.
    #[error("spooling body to disk: {0}")]
    Spool(#[from] std::io::Error),
}

impl FetchError {
    fn is_transient(&self) -> bool {
        match self {
            Self::Status { status, .. } => *status == 429 || *status >= 500,
            Self::Network { .. } => true,
            Self::TooLarge { .. } | Self::Redirect(_) | Self::InvalidUrl(_) | Self::Spool(_) => {
                false
            }
        }
    }
}

/// A fetched page, spooled to a temporary file.
pub struct FetchedPage {
    /// The URL finally answered (after redirects).
    pub url: String,
    /// `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The spooled body.
    pub body: tempfile::NamedTempFile,
    /// Body length in bytes.
    pub bytes: u64,
    /// blake3 hash of the body, hex.
    pub hash: String,
    /// The validators the server gave, for a conditional GET next time.
    pub validators: Validators,
}

/// HTTP cache validators of a page (`ETag`, `Last-Modified`), as the server sent them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// `ETag`.
    pub etag: Option<String>,
    /// `Last-Modified`.
    pub last_modified: Option<String>,
}

impl Validators {
    /// Returns true when neither validator is known.
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }

    fn from_headers(headers: &reqwest::header::HeaderMap) -> Self {
        let text = |name| {
            headers
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty() && v.len() <= 256)
                .map(str::to_owned)
        };
        Self {
            etag: text(reqwest::header::ETAG),
            last_modified: text(reqwest::header::LAST_MODIFIED),
        }
    }
}

/// The answer to a conditional GET.
pub enum Conditional {
    /// The page changed (or the server ignores validators): its new body.
    Changed(FetchedPage),
    /// `304 Not Modified`: the page is as it was.
    NotModified,
}

/// The HTTP client shared by every harvest.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    options: FetchOptions,
}

impl Fetcher {
    /// Builds the client. Redirects stay on the site first asked (see
    /// [`crate::netguard::check_redirect`]): the operator chose the source's host, a page
    /// does not choose another one.
    pub fn new(options: FetchOptions) -> Result<Self, FetchError> {
        let client = http_client(
            &options,
            options.connect_timeout_secs,
            options.timeout_secs,
            Reach::SameSite,
        )?;
        Ok(Self { client, options })
    }

    /// Builds a client for URLs no operator chose (the validator's): every connection
    /// and every redirect goes to public addresses only, unless `allow_private_addresses`
    /// is set (see [`crate::netguard`]); callers check IP-literal URLs with
    /// [`crate::netguard::check_literal`], which never reach the resolver.
    pub fn for_untrusted_urls(options: FetchOptions) -> Result<Self, FetchError> {
        let client = http_client(
            &options,
            options.connect_timeout_secs,
            options.timeout_secs,
            Reach::PublicOnly,
        )?;
        Ok(Self { client, options })
    }

    /// Builds a client for the pages of a source an operator defined at run time (the
    /// admin API) rather than in the configuration file: redirects stay on its site as
    /// with [`Fetcher::new`], and every connection goes to public addresses only, checked
    /// on the address each name resolves to at that moment, unless
    /// `allow_private_addresses` is set; IP-literal URLs are checked by the caller
    /// ([`crate::netguard::check_source_url`]).
    pub fn for_runtime_sources(options: FetchOptions) -> Result<Self, FetchError> {
        let client = http_client(
            &options,
            options.connect_timeout_secs,
            options.timeout_secs,
            Reach::SameSitePublicOnly,
        )?;
        Ok(Self { client, options })
    }

    /// Returns the options.
    pub fn options(&self) -> &FetchOptions {
        &self.options
    }

    /// GETs `url` with `accept`, retrying transient failures.
    pub async fn get(&self, url: &str, accept: &str) -> Result<FetchedPage, FetchError> {
        match self
            .get_if_changed(url, accept, &Validators::default())
            .await?
        {
            Conditional::Changed(page) => Ok(page),
            Conditional::NotModified => Err(FetchError::Status {
                status: 304,
                url: url.to_owned(),
                retry_after: None,
            }),
        }
    }

    /// GETs `url` with `accept`, sending `known` validators (`If-None-Match`,
    /// `If-Modified-Since`) so that an unchanged page costs a `304` and no body.
    pub async fn get_if_changed(
        &self,
        url: &str,
        accept: &str,
        known: &Validators,
    ) -> Result<Conditional, FetchError> {
        self.send_with_retries(
            || {
                let mut request = self.client.get(url).header(reqwest::header::ACCEPT, accept);
                if let Some(etag) = &known.etag {
                    request = request.header(reqwest::header::IF_NONE_MATCH, etag);
                }
                if let Some(date) = &known.last_modified {
                    request = request.header(reqwest::header::IF_MODIFIED_SINCE, date);
                }
                request
            },
            url,
            !known.is_empty(),
        )
        .await
    }

    /// POSTs `body` (with `content_type`) to `url`, retrying transient failures.
    pub async fn post(
        &self,
        url: &str,
        content_type: &str,
        body: String,
        accept: &str,
    ) -> Result<FetchedPage, FetchError> {
        let answer = self
            .send_with_retries(
                || {
                    self.client
                        .post(url)
                        .header(reqwest::header::CONTENT_TYPE, content_type)
                        .header(reqwest::header::ACCEPT, accept)
                        .body(body.clone())
                },
                url,
                false,
            )
            .await?;
        match answer {
            Conditional::Changed(page) => Ok(page),
            Conditional::NotModified => Err(FetchError::Status {
                status: 304,
                url: url.to_owned(),
                retry_after: None,
            }),
        }
    }

    async fn send_with_retries(
        &self,
        request: impl Fn() -> reqwest::RequestBuilder,
        url: &str,
        conditional: bool,
    ) -> Result<Conditional, FetchError> {
        let parsed = url::Url::parse(url).map_err(|_| FetchError::InvalidUrl(url.to_owned()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(FetchError::InvalidUrl(url.to_owned()));
        }
        let mut attempt = 0;
        loop {
            let err = match self.send_once(request(), url, conditional).await {
                Ok(answer) => return Ok(answer),
                Err(err) if err.is_transient() && attempt < self.options.retries => err,
                Err(err) => return Err(err),
            };
            let Some(delay) = retry_delay(&self.options, attempt, &err) else {
                return Err(err);
            };
            tracing::warn!(url, attempt, error = %err, delay_ms = delay.as_millis() as u64, "fetch failed, retrying");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    async fn send_once(
        &self,
        request: reqwest::RequestBuilder,
        url: &str,
        conditional: bool,
    ) -> Result<Conditional, FetchError> {
        let mut response = request.send().await.map_err(|e| network_error(e, url))?;
        let status = response.status();
        if conditional && status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(Conditional::NotModified);
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                status: status.as_u16(),
                url: url.to_owned(),
                retry_after: retry_after(response.headers()),
            });
        }
        let limit = self.options.max_document_bytes;
        let too_large = || FetchError::TooLarge {
            limit,
            url: url.to_owned(),
        };
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(too_large());
        }
        let final_url = response.url().to_string();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let validators = Validators::from_headers(response.headers());
        let mut body = match &self.options.spool_dir {
            Some(dir) => tempfile::NamedTempFile::new_in(dir)?,
            None => tempfile::NamedTempFile::new()?,
        };
        let mut writer = std::io::BufWriter::with_capacity(1 << 16, body.as_file_mut());
        let mut hasher = blake3::Hasher::new();
        let mut bytes = 0u64;
        while let Some(chunk) = response.chunk().await.map_err(|e| network_error(e, url))? {
            bytes += chunk.len() as u64;
            if bytes > limit {
                return Err(too_large());
            }
            hasher.update(&chunk);
            writer.write_all(&chunk)?;
        }
        writer.flush()?;
        drop(writer);
        Ok(Conditional::Changed(FetchedPage {
            url: final_url,
            content_type,
            body,
            bytes,
            hash: hasher.finalize().to_hex().to_string(),
            validators,
        }))
    }
}

/// The wait before retry number `attempt + 1` after `err`: the server's `Retry-After` when
/// it gave one, else exponential backoff; `None` when the wait would exceed
/// `max_retry_wait_secs` (the server asked for more than we are willing to wait).
fn retry_delay(options: &FetchOptions, attempt: u32, err: &FetchError) -> Option<Duration> {
    let cap = Duration::from_secs(options.max_retry_wait_secs);
    if let FetchError::Status {
        retry_after: Some(asked),
        ..
    } = err
    {
        return (*asked <= cap).then_some(*asked);
    }
    let backoff = Duration::from_millis(
        options
            .backoff_millis
            .saturating_mul(1u64 << attempt.min(20)),
    );
    Some(backoff.min(cap))
}

/// Parses `Retry-After` (delay in seconds, or an HTTP date).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = date.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

fn network_error(err: reqwest::Error, url: &str) -> FetchError {
    let mut message = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    if !message.contains(url) {
        message = format!("{url}: {message}");
    }
    if err.is_redirect() {
        return FetchError::Redirect(message);
    }
    if err.is_timeout() {
        message = format!("timed out: {message}");
    }
    FetchError::Network {
        message,
        source: Some(err),
    }
}

/// Where a client may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reach {
    /// Page fetches: the configured host, and redirects on its site only.
    SameSite,
    /// Link checks: any public address (any address with `allow_private_addresses`),
    /// checked on the resolved address of every connection and every redirect.
    PublicOnly,
    /// Page fetches of a source defined at run time: redirects on its site only, and
    /// public addresses only on every connection (unless `allow_private_addresses`).
    SameSitePublicOnly,
}

/// Builds an HTTP client with `options`' user agent, proxy and redirect cap, and the given
/// timeouts (shared by page fetching and link checking).
pub(crate) fn http_client(
    options: &FetchOptions,
    connect_timeout_secs: u64,
    timeout_secs: u64,
    reach: Reach,
) -> Result<reqwest::Client, FetchError> {
    let allow_private = options.allow_private_addresses;
    let policy = match reach {
        Reach::SameSite => crate::netguard::redirect_policy(options.max_redirects, true, true),
        Reach::PublicOnly => {
            crate::netguard::redirect_policy(options.max_redirects, false, allow_private)
        }
        Reach::SameSitePublicOnly => {
            crate::netguard::redirect_policy(options.max_redirects, true, allow_private)
        }
    };
    let mut builder = reqwest::Client::builder()
        .user_agent(options.user_agent.clone())
        .connect_timeout(Duration::from_secs(connect_timeout_secs))
        .timeout(Duration::from_secs(timeout_secs))
        .redirect(policy);
    if reach != Reach::SameSite {
        if let Some(resolver) = crate::netguard::resolver(allow_private) {
            builder = builder.dns_resolver(resolver);
        }
    }
    if let Some(proxy) = &options.proxy {
        builder = builder.proxy(
            reqwest::Proxy::all(proxy)
                .map_err(|e| FetchError::InvalidUrl(format!("{proxy}: {e}")))?,
        );
    }
    builder.build().map_err(|e| FetchError::Network {
        message: format!("building http client: {e}"),
        source: Some(e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_error(retry_after: Option<u64>) -> FetchError {
        FetchError::Status {
            status: 503,
            url: "http://x/".into(),
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    #[test]
    fn backoff_doubles_and_retry_after_is_capped() {
        let options = FetchOptions {
            backoff_millis: 100,
            max_retry_wait_secs: 60,
            ..FetchOptions::default()
        };
        let network = FetchError::Network {
            message: "reset".into(),
            source: None,
        };
        let delays: Vec<_> = (0..3).map(|a| retry_delay(&options, a, &network)).collect();
        assert_eq!(
            delays,
            [100, 200, 400].map(|ms| Some(Duration::from_millis(ms)))
        );
        assert_eq!(
            retry_delay(&options, 30, &network),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            retry_delay(&options, 0, &status_error(Some(7))),
            Some(Duration::from_secs(7))
        );
        assert_eq!(retry_delay(&options, 0, &status_error(Some(3600))), None);
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::RETRY_AFTER, "12".parse().expect("value"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(12)));
        let past = "Wed, 21 Oct 2015 07:28:00 GMT";
        headers.insert(reqwest::header::RETRY_AFTER, past.parse().expect("value"));
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        let soon = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        headers.insert(reqwest::header::RETRY_AFTER, soon.parse().expect("value"));
        let wait = retry_after(&headers).expect("a date");
        assert!(wait > Duration::from_secs(25) && wait <= Duration::from_secs(30));
        headers.insert(reqwest::header::RETRY_AFTER, "soon".parse().expect("value"));
        assert_eq!(retry_after(&headers), None);
    }
}
