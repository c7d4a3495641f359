//! The link checker: do a source's accessURLs and downloadURLs answer?
//!
//! Invariants:
//! - A file is never downloaded: a `HEAD` first, then, when the server refuses `HEAD`,
//!   a `GET` with `Range: bytes=0-0` whose body is never read (the response is dropped
//!   after its headers).
//! - Concurrency is bounded globally and per host, every request has a timeout, and a
//!   whole run has a time budget; URLs not reached stay due for the next run.
//! - Results are stored with their date; a URL checked less than `max_age` ago is not
//!   checked again, so a catalogue's links are not re-checked at every harvest.
//! - A run first checks that names resolve (up to [`PROBE_HOSTS`] hosts of the due links,
//!   resolved at once within `probe_timeout`; skipped for IP literals and behind a proxy,
//!   which resolves names itself). When none resolves, nothing is requested or stored:
//!   the run ends at once with every link still due, instead of recording every link as
//!   broken or waiting out the time budget on a resolver that does not answer.

use chrono::Utc;
use moisson_catalog::quality::{LinkCheck, LinkHealth};
use moisson_catalog::{CatalogStore, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

use crate::fetch::{FetchError, FetchOptions};

/// Settings of the link checker.
#[derive(Debug, Clone)]
pub struct LinkCheckOptions {
    /// Requests in flight at once, all hosts together.
    pub concurrency: usize,
    /// Requests in flight at once to one host.
    pub per_host: usize,
    /// Time allowed for one request (headers only).
    pub timeout_secs: u64,
    /// A result younger than this is reused.
    pub max_age: chrono::Duration,
    /// No new check starts after this much time in one run.
    pub time_budget: Duration,
    /// Time the name resolution probe that opens a run may take.
    pub probe_timeout: Duration,
}

impl Default for LinkCheckOptions {
    fn default() -> Self {
        Self {
            concurrency: 16,
            per_host: 2,
            timeout_secs: 15,
            max_age: chrono::Duration::days(7),
            time_budget: Duration::from_secs(600),
            probe_timeout: Duration::from_secs(3),
        }
    }
}

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkCheckSummary {
    /// Links of the source (http and https).
    pub links: usize,
    /// Checked in this run.
    pub checked: usize,
    /// Reused from an earlier run.
    pub cached: usize,
    /// Found broken in this run.
    pub broken: usize,
    /// Left for a later run (time budget spent, or names not resolving).
    pub deferred: usize,
    /// True when the run was skipped because no probed host name resolved.
    pub resolution_failed: bool,
}

/// Most host names the probe that opens a run resolves.
pub const PROBE_HOSTS: usize = 3;

/// Checks links with bounded concurrency.
#[derive(Clone)]
pub struct LinkChecker {
    client: reqwest::Client,
    options: LinkCheckOptions,
    global: Arc<Semaphore>,
    hosts: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
    allow_private: bool,
    /// Requests go through a proxy, which resolves names itself.
    proxied: bool,
}

impl LinkChecker {
    /// Builds a checker using the user agent and proxy of `fetch`.
    pub fn new(fetch: &FetchOptions, options: LinkCheckOptions) -> Result<Self, FetchError> {
        let client = crate::fetch::http_client(
            fetch,
            fetch.connect_timeout_secs.min(options.timeout_secs),
            options.timeout_secs,
            crate::fetch::Reach::PublicOnly,
        )?;
        Ok(Self {
            client,
            allow_private: fetch.allow_private_addresses,
            global: Arc::new(Semaphore::new(options.concurrency.max(1))),
            hosts: Arc::new(Mutex::new(HashMap::new())),
            proxied: fetch.proxy.is_some(),
            options,
        })
    }

    fn host_semaphore(&self, host: &str) -> Arc<Semaphore> {
        let mut hosts = match self.hosts.lock() {
            Ok(h) => h,
            Err(poisoned) => poisoned.into_inner(),
        };
        hosts
            .entry(host.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(self.options.per_host.max(1))))
            .clone()
    }

    /// Checks one URL: `HEAD`, then a one-byte ranged `GET` when `HEAD` is refused.
    pub async fn check(&self, url: &str) -> LinkCheck {
        let checked_at = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let broken = |status: Option<u16>, error: Option<String>| LinkCheck {
            url: url.to_owned(),
            status,
            health: LinkHealth::Broken,
            error,
            checked_at: checked_at.clone(),
        };
        let Ok(parsed) = url::Url::parse(url) else {
            return broken(None, Some("adresse invalide".into()));
        };
        // A harvested URL never makes us reach a private address (the resolver and the
        // redirect policy check the rest); the result says only that it was refused, not
        // whether something answers there.
        let mut refusal = crate::netguard::check_literal(&parsed, self.allow_private).err();
        if refusal.is_none() && self.proxied && !self.allow_private {
            refusal = crate::netguard::check_through_proxy(&parsed).await.err();
        }
        if refusal.is_some() {
            return broken(None, Some(REFUSED.into()));
        }
        let host = parsed.host_str().unwrap_or_default().to_owned();
        let Ok(_global) = self.global.clone().acquire_owned().await else {
            return broken(None, Some("vérificateur arrêté".into()));
        };
        let Ok(_host) = self.host_semaphore(&host).acquire_owned().await else {
            return broken(None, Some("vérificateur arrêté".into()));
        };
        let head = self.client.head(url).send().await;
        let status = match head {
            Ok(r) if r.status().is_success() || r.status().is_redirection() => {
                Some(r.status().as_u16())
            }
            // Refused or unsupported HEAD (or any other error status): confirm with GET.
            Ok(_) | Err(_) => None,
        };
        let result = match status {
            Some(s) => Ok(s),
            None => self
                .client
                .get(url)
                .header(reqwest::header::RANGE, "bytes=0-0")
                .send()
                .await
                // The body is never read: dropping the response closes it.
                .map(|r| r.status().as_u16()),
        };
        match result {
            Ok(s) if (200..400).contains(&s) => LinkCheck {
                url: url.to_owned(),
                status: Some(s),
                health: LinkHealth::Ok,
                error: None,
                checked_at,
            },
            Ok(s) => broken(Some(s), None),
            Err(e) => broken(None, Some(describe(&e))),
        }
    }

    /// Checks every URL due among `urls` (http and https only) and stores the results.
    pub async fn check_and_store(
        &self,
        store: &CatalogStore,
        urls: Vec<String>,
    ) -> Result<LinkCheckSummary, StoreError> {
        let urls: Vec<String> = urls
            .into_iter()
            .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
            .collect();
        let (store_for_due, all) = (store.clone(), urls.clone());
        let max_age = self.options.max_age;
        let due: Vec<String> =
            tokio::task::spawn_blocking(move || -> Result<Vec<String>, StoreError> {
                Ok(store_for_due
                    .links_due(&all, Utc::now(), max_age)?
                    .into_iter()
                    .map(str::to_owned)
                    .collect())
            })
            .await
            .map_err(|e| StoreError::Crashed(format!("link task: {e}")))??;
        let mut summary = LinkCheckSummary {
            links: urls.len(),
            cached: urls.len() - due.len(),
            ..Default::default()
        };
        if !self.proxied {
            let hosts = probe_hosts(&due);
            if !any_resolves(&hosts, self.options.probe_timeout, resolve).await {
                tracing::warn!(
                    hosts = %hosts.iter().map(|(h, _)| h.as_str()).collect::<Vec<_>>().join(", "),
                    due = due.len(),
                    "link check skipped: host names do not resolve; links stay due"
                );
                summary.deferred = due.len();
                summary.resolution_failed = true;
                return Ok(summary);
            }
        }
        let deadline = Instant::now() + self.options.time_budget;
        let mut tasks = tokio::task::JoinSet::new();
        let mut results = Vec::with_capacity(due.len());
        let mut pending = due.into_iter();
        loop {
            // Keep at most `concurrency` × 4 tasks spawned, so memory stays bounded.
            while tasks.len() < self.options.concurrency.max(1) * 4 {
                let Some(url) = pending.next() else { break };
                if Instant::now() >= deadline {
                    summary.deferred += 1;
                    continue;
                }
                let checker = self.clone();
                tasks.spawn(async move { checker.check(&url).await });
            }
            let Some(joined) = tasks.join_next().await else {
                break;
            };
            match joined {
                Ok(check) => results.push(check),
                Err(e) => tracing::warn!(error = %e, "link check task failed"),
            }
            if results.len() >= 500 {
                summary.checked += results.len();
                summary.broken += results
                    .iter()
                    .filter(|c| c.health == LinkHealth::Broken)
                    .count();
                save(store, std::mem::take(&mut results)).await?;
            }
        }
        summary.checked += results.len();
        summary.broken += results
            .iter()
            .filter(|c| c.health == LinkHealth::Broken)
            .count();
        save(store, results).await?;
        Ok(summary)
    }
}

/// Up to [`PROBE_HOSTS`] distinct host names (with their port) among `urls`, in order;
/// IP literals need no resolution and are left out.
fn probe_hosts(urls: &[String]) -> Vec<(String, u16)> {
    let mut out: Vec<(String, u16)> = Vec::new();
    for url in urls {
        let Ok(parsed) = url::Url::parse(url) else {
            continue;
        };
        let Some(url::Host::Domain(host)) = parsed.host() else {
            continue;
        };
        let port = parsed.port_or_known_default().unwrap_or(80);
        if !out.iter().any(|(h, _)| h == host) {
            out.push((host.to_owned(), port));
        }
        if out.len() >= PROBE_HOSTS {
            break;
        }
    }
    out
}

/// Resolves `host` with the system resolver; true when it gave an address.
async fn resolve(host: String, port: u16) -> bool {
    tokio::net::lookup_host((host.as_str(), port))
        .await
        .is_ok_and(|mut addresses| addresses.next().is_some())
}

/// True when `hosts` is empty or one of them resolves within `timeout` (all are resolved
/// at once).
async fn any_resolves<F, Fut>(hosts: &[(String, u16)], timeout: Duration, resolve: F) -> bool
where
    F: Fn(String, u16) -> Fut,
    Fut: std::future::Future<Output = bool> + Send + 'static,
{
    if hosts.is_empty() {
        return true;
    }
    let mut lookups = tokio::task::JoinSet::new();
    for (host, port) in hosts {
        lookups.spawn(resolve(host.clone(), *port));
    }
    let first_success = async {
        while let Some(joined) = lookups.join_next().await {
            if joined.unwrap_or(false) {
                return true;
            }
        }
        false
    };
    // Lookups still running at the deadline are dropped with the set (aborted).
    tokio::time::timeout(timeout, first_success)
        .await
        .unwrap_or(false)
}

async fn save(store: &CatalogStore, checks: Vec<LinkCheck>) -> Result<(), StoreError> {
    if checks.is_empty() {
        return Ok(());
    }
    let store = store.clone();
    tokio::task::spawn_blocking(move || store.save_link_checks(&checks))
        .await
        .map_err(|e| StoreError::Crashed(format!("link task: {e}")))?
}

/// The result of a link pointing at a non-public address (never checked).
const REFUSED: &str = "adresse non publique : lien non vérifié";

fn describe(e: &reqwest::Error) -> String {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if s.downcast_ref::<crate::netguard::Refusal>().is_some() {
            return REFUSED.into();
        }
        source = s.source();
    }
    if e.is_timeout() {
        "délai dépassé".into()
    } else if e.is_connect() {
        "connexion impossible".into()
    } else if e.is_redirect() {
        "trop de redirections".into()
    } else {
        "erreur réseau".into()
    }
}

/// Checks the links of `source` that are due, and stores the results.
pub async fn check_source_links(
    store: &CatalogStore,
    checker: &LinkChecker,
    source: &str,
) -> Result<LinkCheckSummary, StoreError> {
    let (s, id) = (store.clone(), source.to_owned());
    let urls = tokio::task::spawn_blocking(move || s.link_urls_of_source(&id))
        .await
        .map_err(|e| StoreError::Crashed(format!("link task: {e}")))??;
    checker.check_and_store(store, urls).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_hosts_are_distinct_names_without_ip_literals() {
        let urls: Vec<String> = [
            "http://127.0.0.1:9/a",
            "https://a.example.fr/x",
            "https://a.example.fr/y",
            "http://[::1]/z",
            "http://b.example.fr:8080/",
            "not a url",
            "https://c.example.fr/",
            "https://d.example.fr/",
        ]
        .map(String::from)
        .into();
        assert_eq!(
            probe_hosts(&urls),
            vec![
                ("a.example.fr".to_owned(), 443),
                ("b.example.fr".to_owned(), 8080),
                ("c.example.fr".to_owned(), 443),
            ]
        );
    }

    #[tokio::test]
    async fn a_resolver_that_does_not_answer_fails_the_probe_at_its_timeout() {
        let hosts = vec![
            ("a.example.fr".to_owned(), 80),
            ("b.example.fr".to_owned(), 80),
        ];
        let started = std::time::Instant::now();
        let resolves = any_resolves(&hosts, Duration::from_millis(200), |_, _| async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            true
        })
        .await;
        assert!(!resolves);
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn one_resolving_host_is_enough() {
        let hosts = vec![
            ("dead.example.fr".to_owned(), 80),
            ("ok.example.fr".to_owned(), 80),
        ];
        let resolves = any_resolves(&hosts, Duration::from_secs(5), |host, _| async move {
            host.starts_with("ok")
        })
        .await;
        assert!(resolves);
        assert!(any_resolves(&[], Duration::from_millis(1), |_, _| async { false }).await);
    }

    #[tokio::test]
    async fn unresolvable_names_skip_the_run_and_leave_links_due() {
        let store = CatalogStore::in_memory().expect("store");
        let checker = LinkChecker::new(
            &FetchOptions::default(),
            LinkCheckOptions {
                probe_timeout: Duration::from_secs(5),
                ..LinkCheckOptions::default()
            },
        )
        .expect("checker");
        // `.invalid` never resolves (RFC 6761).
        let urls = vec![
            "http://moisson-test.invalid/a.zip".to_owned(),
            "https://autre.moisson-test.invalid/b.csv".to_owned(),
        ];
        let summary = checker
            .check_and_store(&store, urls.clone())
            .await
            .expect("check");
        assert!(summary.resolution_failed);
        assert_eq!((summary.checked, summary.deferred), (0, 2));
        let stored = store
            .link_checks(urls.iter().map(String::as_str))
            .expect("read");
        assert!(stored.is_empty(), "{stored:?}");
    }
}
