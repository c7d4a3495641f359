//! The site's public address, which every absolute link we write for other tools starts
//! with: sitemaps, feeds, schema.org JSON-LD, QGIS layer files.
//!
//! Handlers read it from an `Extension<SiteUrl>` layer (`[server] public_url`); without
//! one they fall back to the request's `Host`, checked to be a plain host and port so that
//! no header can inject anything into the links.

use axum::http::HeaderMap;
use axum::Extension;

/// The public address of the site, an absolute `http` or `https` URL without a trailing
/// `/`, query or fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteUrl(String);

impl SiteUrl {
    /// Checks `url`: `http` or `https`, a host, no query, fragment or credentials; a
    /// trailing `/` is dropped.
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

    /// Returns the URL, without a trailing `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns the configured address, else the one the request was sent to.
    pub(crate) fn resolve(configured: Option<Extension<SiteUrl>>, headers: &HeaderMap) -> String {
        match configured {
            Some(Extension(url)) => url.0,
            None => crate::api::catalog::public_base(headers),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_addresses_are_taken() {
        assert_eq!(
            SiteUrl::new("https://moisson.example.fr/")
                .expect("valid")
                .as_str(),
            "https://moisson.example.fr"
        );
        assert_eq!(
            SiteUrl::new("http://127.0.0.1:8080/guichet")
                .expect("valid")
                .as_str(),
            "http://127.0.0.1:8080/guichet"
        );
        for bad in [
            "javascript:alert(1)",
            "moisson.example.fr",
            "https://a.fr/?x=1",
            "https://a.fr/#x",
            "https://u:p@a.fr",
        ] {
            assert!(SiteUrl::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn without_a_configured_address_the_checked_host_is_used() {
        let mut headers = HeaderMap::new();
        headers.insert(
            axum::http::header::HOST,
            axum::http::HeaderValue::from_static("portail.test:8080"),
        );
        assert_eq!(SiteUrl::resolve(None, &headers), "http://portail.test:8080");
        headers.insert(
            axum::http::header::HOST,
            axum::http::HeaderValue::from_static("evil\"><script>"),
        );
        assert_eq!(SiteUrl::resolve(None, &headers), "http://localhost");
        let configured = SiteUrl::new("https://moisson.example.fr").expect("valid");
        assert_eq!(
            SiteUrl::resolve(Some(Extension(configured)), &headers),
            "https://moisson.example.fr"
        );
    }
}
