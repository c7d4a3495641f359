//! The server's public address (`[server] public_url`): every IRI `/catalog` and the
//! exports mint and every absolute link written for other tools (sitemaps, feeds,
//! schema.org JSON-LD, QGIS layer files) starts with it.
//!
//! Handlers read it from an `Extension<PublicUrl>` layer. Without one, IRIs fall back to
//! [`PublicUrl::default`] (never to what a request says), while links that only need to
//! reach this server fall back to the request's `Host`, checked to be a plain host and
//! port ([`PublicUrl::resolve`]), so that no header can inject anything.

use axum::http::{header, HeaderMap};
use axum::Extension;

/// An absolute `http` or `https` URL with a host, without query, fragment, credentials or
/// trailing `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    /// Checks `url`: an absolute `http` or `https` URL with a host, no query, fragment or
    /// credentials; a trailing `/` is dropped.
    pub fn new(url: &str) -> Result<Self, String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("invalid url {url:?}: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(format!("{url:?} must be an http or https URL with a host"));
        }
        if parsed.query().is_some()
            || parsed.fragment().is_some()
            || !parsed.username().is_empty()
            || parsed.password().is_some()
        {
            return Err(format!(
                "{url:?} must not have a query, a fragment or credentials"
            ));
        }
        Ok(Self(parsed.as_str().trim_end_matches('/').to_owned()))
    }

    /// The URL a server listening on `bind` is reached at from this machine:
    /// `http://{bind}`, with an unspecified address (`0.0.0.0`, `[::]`) read as
    /// `localhost`. A public deployment sets `[server] public_url` instead.
    pub fn from_bind(bind: &str) -> Self {
        let port = bind.rsplit_once(':').map_or("", |(_, p)| p);
        let host = bind.rsplit_once(':').map_or(bind, |(h, _)| h);
        let host = match host {
            "" | "0.0.0.0" | "[::]" | "::" => "localhost",
            other => other,
        };
        let text = if port.is_empty() {
            format!("http://{host}")
        } else {
            format!("http://{host}:{port}")
        };
        Self::new(&text).unwrap_or_else(|_| Self::default())
    }

    /// Returns the URL, without a trailing `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The root catalogue's IRI: `{url}/catalog`.
    pub fn catalog_root(&self) -> String {
        format!("{}/catalog", self.0)
    }

    /// The configured address, else the configured default (IRIs never come from a
    /// request).
    pub(crate) fn or_default(configured: Option<Extension<PublicUrl>>) -> Self {
        configured.map(|Extension(url)| url).unwrap_or_default()
    }

    /// The configured address, else the one the request was sent to (for links that only
    /// need to reach this server).
    pub(crate) fn resolve(configured: Option<Extension<PublicUrl>>, headers: &HeaderMap) -> String {
        match configured {
            Some(Extension(url)) => url.0,
            None => request_base(headers),
        }
    }
}

impl Default for PublicUrl {
    /// The address of the default `[server] bind`, `http://127.0.0.1:8080`.
    fn default() -> Self {
        Self("http://127.0.0.1:8080".into())
    }
}

/// Returns `http(s)://host` of the request, from `Host` (checked to be a plain host and
/// port, so that no header can inject into what we write).
pub fn request_base(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    format!("{}://{host}", if https { "https" } else { "http" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn public_urls_are_checked_and_derived_from_bind() {
        assert_eq!(
            PublicUrl::new("https://moisson.example.fr/").map(|u| u.0),
            Ok("https://moisson.example.fr".to_owned())
        );
        assert_eq!(
            PublicUrl::new("http://127.0.0.1:8080/guichet")
                .expect("valid")
                .as_str(),
            "http://127.0.0.1:8080/guichet"
        );
        for bad in [
            "javascript:alert(1)",
            "moisson.example.fr",
            "ftp://x.org",
            "https://a.fr/?x=1",
            "https://a.fr/#x",
            "https://u:p@a.fr",
        ] {
            assert!(PublicUrl::new(bad).is_err(), "{bad}");
        }
        assert_eq!(
            PublicUrl::from_bind("0.0.0.0:9000").as_str(),
            "http://localhost:9000"
        );
        assert_eq!(PublicUrl::from_bind("127.0.0.1:8080"), PublicUrl::default());
        assert_eq!(PublicUrl::from_bind("[::]:80").as_str(), "http://localhost");
    }

    #[test]
    fn host_header_cannot_inject_and_never_names_iris() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("portail.test:8080"));
        assert_eq!(
            PublicUrl::resolve(None, &headers),
            "http://portail.test:8080"
        );
        assert_eq!(PublicUrl::or_default(None), PublicUrl::default());
        headers.insert(header::HOST, HeaderValue::from_static("evil\"><script>"));
        assert_eq!(PublicUrl::resolve(None, &headers), "http://localhost");
        headers.insert(header::HOST, HeaderValue::from_static("ex.org/x> <y"));
        assert_eq!(request_base(&headers), "http://localhost");
        let configured = PublicUrl::new("https://moisson.example.fr").expect("valid");
        assert_eq!(
            PublicUrl::resolve(Some(Extension(configured)), &headers),
            "https://moisson.example.fr"
        );
    }
}
