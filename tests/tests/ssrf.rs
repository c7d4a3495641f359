//! Server-side requests: a harvested document never makes Moisson reach the machine it runs
//! on or its private network (link checks, redirects), and a source's pages never pull
//! documents from another site through a redirect.

use moisson_catalog::quality::LinkHealth;
use moisson_catalog::JobStatus;
use moisson_harvester::links::{LinkCheckOptions, LinkChecker};
use moisson_harvester::FetchOptions;
use moisson_tests::{CatalogueServer, Route, Sandbox};

use crate::support::turtle_catalogue;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_checks_never_reach_private_addresses() {
    let sandbox = Sandbox::start().await;
    // An "internal" service on loopback, reached directly (no proxy), as a link checker on
    // a real server would reach 127.0.0.1 or 10.0.0.0/8.
    let internal = CatalogueServer::start().await;
    internal.set(
        "/admin",
        Route::Bytes(b"secret".to_vec(), "text/plain".into()),
    );
    let port = internal
        .base
        .rsplit(':')
        .next()
        .expect("port in base")
        .to_owned();
    let urls = vec![
        internal.url("/admin"),
        format!("http://localhost:{port}/admin"),
        format!("http://[::1]:{port}/admin"),
        format!("http://0x7f000001:{port}/admin"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
    ];
    for through_proxy in [false, true] {
        let fetch = FetchOptions {
            retries: 0,
            timeout_secs: 5,
            proxy: through_proxy.then(|| sandbox.server.base.clone()),
            ..FetchOptions::default()
        };
        assert!(!fetch.allow_private_addresses, "safe default");
        let checker = LinkChecker::new(&fetch, LinkCheckOptions::default()).expect("checker");
        for url in &urls {
            let check = checker.check(url).await;
            assert_eq!(check.health, LinkHealth::Broken, "{url}");
            assert_eq!(
                check.status, None,
                "{url}: a status would tell what answers"
            );
            assert!(
                check
                    .error
                    .as_deref()
                    .unwrap_or("")
                    .contains("non publique"),
                "{url}: {check:?}"
            );
        }
    }
    assert!(
        internal.hits().is_empty(),
        "the internal service was reached: {:?}",
        internal.hits()
    );
    assert!(
        !sandbox
            .server
            .hits()
            .iter()
            .any(|h| h.contains("/admin") || h.contains("169.254") || h.contains("localhost")),
        "the proxy was asked for a private address: {:?}",
        sandbox.server.hits()
    );
    // With private addresses allowed (tests, the demo), the same link is checked.
    let fetch = FetchOptions {
        retries: 0,
        allow_private_addresses: true,
        ..FetchOptions::default()
    };
    let checker = LinkChecker::new(&fetch, LinkCheckOptions::default()).expect("checker");
    assert_eq!(
        checker.check(&internal.url("/admin")).await.health,
        LinkHealth::Ok
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_redirects_stay_on_the_source_site() {
    let sandbox = Sandbox::start().await;
    let catalogue = turtle_catalogue(&[1, 2, 3], None, None).into_bytes();
    // A source whose page redirects to another host: the document there is not taken.
    sandbox.server.set(
        "http://data.example.fr/catalog.ttl",
        Route::Redirect("http://intranet.example.org/private.ttl".into()),
    );
    sandbox.server.set(
        "http://intranet.example.org/private.ttl",
        Route::Bytes(catalogue.clone(), "text/turtle".into()),
    );
    let source = sandbox.source("redirected", "http://data.example.fr/catalog.ttl");
    let report = sandbox.harvest(&source).await;
    assert_eq!(report.status, JobStatus::Failed, "{report:#?}");
    assert_eq!(report.dataset_count, 0);
    let errors = format!("{:?}", report.errors);
    assert!(errors.contains("another site"), "{errors}");
    assert!(
        !sandbox
            .server
            .hits()
            .iter()
            .any(|h| h.contains("intranet.example.org")),
        "the other host was asked: {:?}",
        sandbox.server.hits()
    );
    // A redirect on the same site (www., https upgrade…) is followed.
    sandbox.server.set(
        "http://geo.example.fr/catalog.ttl",
        Route::Redirect("http://www.geo.example.fr/v2/catalog.ttl".into()),
    );
    sandbox.server.set(
        "http://www.geo.example.fr/v2/catalog.ttl",
        Route::Bytes(catalogue, "text/turtle".into()),
    );
    let source = sandbox.source("moved", "http://geo.example.fr/catalog.ttl");
    let report = sandbox.harvest(&source).await;
    assert_eq!(
        (report.status, report.dataset_count),
        (JobStatus::Ok, 3),
        "{report:#?}"
    );
}
