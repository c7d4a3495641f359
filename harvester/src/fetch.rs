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
    /// Largest body accepted, in bytes.
    pub max_document_bytes: u64,
    /// Attempts after the first one, for network errors, 429 and 5xx answers.
    pub retries: u32,
    /// First backoff delay, doubled at each retry.
    pub backoff_millis: u64,
    /// `User-Agent` header.
    pub user_agent: String,
    /// HTTP proxy for every request, if any.
    pub proxy: Option<String>,
    /// Folder for spooled bodies (the system's temporary folder when `None`).
    pub spool_dir: Option<PathBuf>,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            connect_timeout_secs: 10,
            timeout_secs: 300,
            max_document_bytes: 1 << 30,
            retries: 2,
            backoff_millis: 1000,
            user_agent: format!(
                "Moisson/{} (metadata harvester; +https://ecologie.data.gouv.fr)",
                env!("CARGO_PKG_VERSION")
            ),
            proxy: None,
            spool_dir: None,
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
    },
    /// The body is larger than allowed.
    #[error("body larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// Connection, TLS, timeout or protocol error.
    #[error("{0}")]
    Network(String),
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
            Self::Network(_) => true,
            Self::TooLarge { .. } | Self::InvalidUrl(_) | Self::Spool(_) => false,
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
}

/// The HTTP client shared by every harvest.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    options: FetchOptions,
}

impl Fetcher {
    /// Builds the client.
    pub fn new(options: FetchOptions) -> Result<Self, FetchError> {
        let client = http_client(&options, options.connect_timeout_secs, options.timeout_secs)?;
        Ok(Self { client, options })
    }

    /// Returns the options.
    pub fn options(&self) -> &FetchOptions {
        &self.options
    }

    /// GETs `url` with `accept`, retrying transient failures.
    pub async fn get(&self, url: &str, accept: &str) -> Result<FetchedPage, FetchError> {
        self.send_with_retries(
            || self.client.get(url).header(reqwest::header::ACCEPT, accept),
            url,
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
        self.send_with_retries(
            || {
                self.client
                    .post(url)
                    .header(reqwest::header::CONTENT_TYPE, content_type)
                    .header(reqwest::header::ACCEPT, accept)
                    .body(body.clone())
            },
            url,
        )
        .await
    }

    async fn send_with_retries(
        &self,
        request: impl Fn() -> reqwest::RequestBuilder,
        url: &str,
    ) -> Result<FetchedPage, FetchError> {
        let parsed = url::Url::parse(url).map_err(|_| FetchError::InvalidUrl(url.to_owned()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(FetchError::InvalidUrl(url.to_owned()));
        }
        let mut attempt = 0;
        loop {
            match self.send_once(request(), url).await {
                Ok(page) => return Ok(page),
                Err(err) if err.is_transient() && attempt < self.options.retries => {
                    let delay = self
                        .options
                        .backoff_millis
                        .saturating_mul(1 << attempt.min(10));
                    tracing::warn!(url, attempt, error = %err, "fetch failed, retrying");
                    tokio::time::sleep(Duration::from_millis(delay)).await;
                    attempt += 1;
                }
                Err(err) => return Err(err),
            }
        }
    }

    async fn send_once(
        &self,
        request: reqwest::RequestBuilder,
        url: &str,
    ) -> Result<FetchedPage, FetchError> {
        let mut response = request.send().await.map_err(|e| network_error(&e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::Status {
                status: status.as_u16(),
                url: url.to_owned(),
            });
        }
        let limit = self.options.max_document_bytes;
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(FetchError::TooLarge { limit });
        }
        let final_url = response.url().to_string();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut body = match &self.options.spool_dir {
            Some(dir) => tempfile::NamedTempFile::new_in(dir)?,
            None => tempfile::NamedTempFile::new()?,
        };
        let mut writer = std::io::BufWriter::with_capacity(1 << 16, body.as_file_mut());
        let mut hasher = blake3::Hasher::new();
        let mut bytes = 0u64;
        while let Some(chunk) = response.chunk().await.map_err(|e| network_error(&e))? {
            bytes += chunk.len() as u64;
            if bytes > limit {
                return Err(FetchError::TooLarge { limit });
            }
            hasher.update(&chunk);
            writer.write_all(&chunk)?;
        }
        writer.flush()?;
        drop(writer);
        Ok(FetchedPage {
            url: final_url,
            content_type,
            body,
            bytes,
            hash: hasher.finalize().to_hex().to_string(),
        })
    }
}

fn network_error(err: &reqwest::Error) -> FetchError {
    let mut message = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    if err.is_timeout() {
        message = format!("timed out: {message}");
    }
    FetchError::Network(message)
}

/// Builds an HTTP client with `options`' user agent and proxy, the given timeouts and at most
/// 10 redirects (shared by page fetching and link checking).
pub(crate) fn http_client(
    options: &FetchOptions,
    connect_timeout_secs: u64,
    timeout_secs: u64,
) -> Result<reqwest::Client, FetchError> {
    let mut builder = reqwest::Client::builder()
        .user_agent(options.user_agent.clone())
        .connect_timeout(Duration::from_secs(connect_timeout_secs))
        .timeout(Duration::from_secs(timeout_secs))
        .redirect(reqwest::redirect::Policy::limited(10));
    if let Some(proxy) = &options.proxy {
        builder = builder.proxy(
            reqwest::Proxy::all(proxy)
                .map_err(|e| FetchError::InvalidUrl(format!("{proxy}: {e}")))?,
        );
    }
    builder
        .build()
        .map_err(|e| FetchError::Network(format!("building http client: {e}")))
}
