//! Which network addresses Moisson may reach on a harvested document's say-so.
//!
//! Harvested metadata is untrusted: a distribution URL, a redirect or a paging link could
//! point at the machine itself, the private network it sits in or a cloud metadata
//! service. Unless `[harvest] allow_private_addresses` is set (tests, the demo, an intranet
//! deployment), the link checker connects only to public addresses, checked on the
//! resolved address of every connection (so a public name resolving to a private address
//! is refused too, and so is every hop of a redirect chain), and page fetches follow
//! redirects only on the site they asked.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// Returns true when `ip` is a public unicast address: not loopback, private, link-local
/// (cloud metadata services live at 169.254.169.254), shared (CGNAT), multicast,
/// documentation, benchmarking or reserved, in IPv4 or IPv6 (IPv4 addresses embedded in
/// IPv6 are judged as IPv4).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let private = ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240; // reserved
    !private
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    let private = ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x0100 && s[1] == 0 && s[2] == 0 && s[3] == 0); // discard-only
    !private
}

/// The IPv4 address carried by an IPv4-mapped, IPv4-compatible, NAT64 or 6to4 address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let from = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    if s[..6] == [0, 0, 0, 0, 0, 0] && !ip.is_loopback() && !ip.is_unspecified() {
        return Some(from(s[6], s[7])); // IPv4-compatible (deprecated)
    }
    if s[0] == 0x0064 && s[1] == 0xff9b {
        return Some(from(s[6], s[7])); // NAT64
    }
    if s[0] == 0x2002 {
        return Some(from(s[1], s[2])); // 6to4
    }
    None
}

/// Why a URL may not be reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not an http(s) URL.
    Scheme(String),
    /// The URL names (or resolves to) a non-public address.
    PrivateAddress(String),
    /// A redirect leaves the site that was asked.
    OtherSite {
        /// Host first asked.
        from: String,
        /// Host the redirect points to.
        to: String,
    },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Scheme(url) => write!(f, "not an http(s) url: {url}"),
            Self::PrivateAddress(what) => write!(
                f,
                "{what} is not a public address (set [harvest] allow_private_addresses to reach it)"
            ),
            Self::OtherSite { from, to } => {
                write!(
                    f,
                    "redirect from {from} to another site ({to}) not followed"
                )
            }
        }
    }
}

impl std::error::Error for Refusal {}

/// Checks what can be known of `url` without resolving it: an http(s) scheme and, when
/// the host is an IP address, a public one (IP literals never reach the resolver).
pub fn check_literal(url: &url::Url, allow_private: bool) -> Result<(), Refusal> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Refusal::Scheme(url.to_string()));
    }
    if allow_private {
        return Ok(());
    }
    let ip = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        Some(url::Host::Domain(name)) => {
            // "localhost" and its subdomains resolve to loopback on most systems without
            // asking DNS; refuse them before any lookup.
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if name == "localhost" || name.ends_with(".localhost") {
                return Err(Refusal::PrivateAddress(name));
            }
            return Ok(());
        }
        None => return Err(Refusal::Scheme(url.to_string())),
    };
    if is_public(ip) {
        Ok(())
    } else {
        Err(Refusal::PrivateAddress(ip.to_string()))
    }
}

/// Checks a catalogue URL given at run time (`PUT /api/sources/{id}`) before it is
/// accepted: [`check_literal`], then, unless `allow_private`, every address its host name
/// resolves to now must be public. A name that does not resolve within `timeout` is
/// refused too. The harvests of such a source then use
/// [`crate::Fetcher::for_runtime_sources`], which checks every connection again.
pub async fn check_source_url(
    url: &url::Url,
    allow_private: bool,
    timeout: std::time::Duration,
) -> Result<(), Refusal> {
    check_literal(url, allow_private)?;
    if allow_private {
        return Ok(());
    }
    let Some(url::Host::Domain(name)) = url.host() else {
        return Ok(());
    };
    let port = url.port_or_known_default().unwrap_or(80);
    let lookup = tokio::time::timeout(timeout, tokio::net::lookup_host((name, port))).await;
    let addresses: Vec<SocketAddr> = match lookup {
        Ok(Ok(found)) => found.collect(),
        Ok(Err(_)) | Err(_) => {
            return Err(Refusal::PrivateAddress(format!(
                "{name} (its addresses could not be resolved)"
            )))
        }
    };
    match addresses.iter().find(|a| !is_public(a.ip())) {
        Some(private) => Err(Refusal::PrivateAddress(format!(
            "{name} (resolves to {})",
            private.ip()
        ))),
        None if addresses.is_empty() => {
            Err(Refusal::PrivateAddress(format!("{name} (no address)")))
        }
        None => Ok(()),
    }
}

/// The site of a host: its name without a leading `www.`, lowercase.
fn site(host: &str) -> String {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host.strip_prefix("www.").map(str::to_owned).unwrap_or(host)
}

/// Decides whether a redirect from `first` (the URL first asked) to `next` may be
/// followed: http(s) only, public literal addresses unless `allow_private`, and, when
/// `same_site`, only within the site first asked (`www.` aside), so a source's pages
/// cannot pull documents from another host into its catalogue.
pub fn check_redirect(
    first: &url::Url,
    next: &url::Url,
    same_site: bool,
    allow_private: bool,
) -> Result<(), Refusal> {
    check_literal(next, allow_private)?;
    if same_site {
        let from = site(first.host_str().unwrap_or_default());
        let to = site(next.host_str().unwrap_or_default());
        if from != to {
            return Err(Refusal::OtherSite { from, to });
        }
    }
    Ok(())
}

/// A redirect policy: at most `max` hops, each checked by [`check_redirect`].
pub fn redirect_policy(
    max: usize,
    same_site: bool,
    allow_private: bool,
) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > max {
            return attempt.error(format!("more than {max} redirects"));
        }
        let verdict = match attempt.previous().first() {
            Some(first) => check_redirect(first, attempt.url(), same_site, allow_private),
            None => check_literal(attempt.url(), allow_private),
        };
        match verdict {
            Ok(()) => attempt.follow(),
            Err(refusal) => attempt.error(refusal),
        }
    })
}

/// A DNS resolver that drops non-public addresses from every answer, and fails when none
/// is left: connections are made only to the addresses it returns, so the check holds for
/// the address actually used (no window for a second, different DNS answer).
#[derive(Debug, Default)]
pub struct PublicOnlyResolver;

impl reqwest::dns::Resolve for PublicOnlyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| is_public(a.ip()))
                .collect();
            if public.is_empty() {
                let refusal = if found.is_empty() {
                    Refusal::PrivateAddress(format!("{host} (no address)"))
                } else {
                    Refusal::PrivateAddress(format!("{host} ({})", found[0].ip()))
                };
                return Err(Box::new(refusal) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The resolver for a client: [`PublicOnlyResolver`] unless private addresses are allowed.
pub fn resolver(allow_private: bool) -> Option<Arc<PublicOnlyResolver>> {
    (!allow_private).then(|| Arc::new(PublicOnlyResolver))
}

/// When requests go through a proxy, the proxy resolves names, not us: resolve the host
/// here first and refuse it when it names a non-public address. A name that does not
/// resolve here is left to the proxy.
pub async fn check_through_proxy(url: &url::Url) -> Result<(), Refusal> {
    let Some(url::Host::Domain(name)) = url.host() else {
        return Ok(());
    };
    let port = url.port_or_known_default().unwrap_or(80);
    let Ok(found) = tokio::net::lookup_host((name, port)).await else {
        return Ok(());
    };
    for addr in found {
        if !is_public(addr.ip()) {
            return Err(Refusal::PrivateAddress(format!("{name} ({})", addr.ip())));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("test address")
    }

    fn url(text: &str) -> url::Url {
        url::Url::parse(text).expect("test url")
    }

    #[test]
    fn non_public_addresses_are_recognised() {
        for private in [
            "127.0.0.1",
            "127.8.9.10",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "198.18.0.1",
            "192.0.0.170",
            "240.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:c0a8:0101::1",
            "2001:db8::1",
        ] {
            assert!(!is_public(ip(private)), "{private} taken as public");
        }
        for public in [
            "8.8.8.8",
            "193.51.24.1",
            "172.32.0.1",
            "100.128.0.1",
            "2a01:e0a::1",
            "::ffff:8.8.8.8",
            "2002:0808:0808::1",
        ] {
            assert!(is_public(ip(public)), "{public} taken as private");
        }
    }

    #[test]
    fn literal_private_hosts_and_other_schemes_are_refused() {
        for refused in [
            "http://127.0.0.1:8080/admin",
            "http://[::1]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://localhost:9000/",
            "http://api.localhost/",
            "http://0x7f000001/",
            "http://2130706433/",
            "http://017700000001/",
            "file:///etc/passwd",
            "gopher://example.org/",
        ] {
            assert!(
                check_literal(&url(refused), false).is_err(),
                "{refused} accepted"
            );
        }
        assert!(check_literal(&url("https://www.data.gouv.fr/x"), false).is_ok());
        assert!(check_literal(&url("http://127.0.0.1:8080/"), true).is_ok());
        assert!(check_literal(&url("file:///etc/passwd"), true).is_err());
    }

    #[test]
    fn redirects_stay_on_the_site_and_off_private_addresses() {
        let first = url("https://data.example.fr/catalog.ttl");
        assert!(check_redirect(&first, &url("https://www.data.example.fr/c"), true, false).is_ok());
        assert!(
            check_redirect(&first, &url("http://data.example.fr/c?page=2"), true, false).is_ok()
        );
        assert_eq!(
            check_redirect(&first, &url("https://intranet.example.org/x"), true, false),
            Err(Refusal::OtherSite {
                from: "data.example.fr".into(),
                to: "intranet.example.org".into()
            })
        );
        assert!(check_redirect(&first, &url("http://10.0.0.5/x"), false, false).is_err());
        assert!(check_redirect(&first, &url("http://[fd00::5]/x"), false, false).is_err());
        assert!(check_redirect(&first, &url("https://other.example.org/"), false, false).is_ok());
        assert!(check_redirect(&first, &url("http://10.0.0.5/x"), false, true).is_ok());
    }

    #[tokio::test]
    async fn the_resolver_drops_loopback_answers() {
        use reqwest::dns::Resolve;
        let name: reqwest::dns::Name = "localhost".parse().expect("name");
        let answer = PublicOnlyResolver.resolve(name).await;
        assert!(answer.is_err(), "localhost resolved to a usable address");
    }
}
