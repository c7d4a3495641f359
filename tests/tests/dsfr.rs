//! The opt-in DSFR mode (`[ui] design = "dsfr"`) over a fake, minimal DSFR folder: pages
//! link its stylesheet and carry its header, its files are served under
//! `/static/dsfr/{version}/` and nothing else is (traversal, symbolic links, folders), the
//! default mode has no trace of it, and `moisson serve` refuses to start without it.

use axum::body::Body;
use axum::http::{HeaderMap, Request};
use moisson_catalog::dataset_id;
use moisson_tests::{moisson_binary, Route, Sandbox};
use moisson_web::config::UiSettings;
use moisson_web::ui::design::{self, Design};
use std::path::Path;
use std::time::Duration;
use tower::ServiceExt;

use crate::support::turtle_catalogue;

const FAKE_CSS: &str = "/* fake DSFR for the tests */ .fr-header { color: #000091; }";
const SECRET: &str = "secret outside the DSFR folder";
const VERSION: &str = "9.8.7";

/// A sandbox with 25 harvested datasets (two pages of search results at 20 per page).
async fn harvested() -> Sandbox {
    let sandbox = Sandbox::start().await;
    let ids: Vec<u32> = (1..=25).collect();
    sandbox.server.set(
        "/cat.ttl",
        Route::Bytes(
            turtle_catalogue(&ids, None, None).into_bytes(),
            "text/turtle".into(),
        ),
    );
    let source = sandbox.source("ddt-29", &sandbox.server.url("/cat.ttl"));
    let report = sandbox.harvest(&source).await;
    assert_eq!(report.counts.added, 25, "{report:?}");
    sandbox
}

/// A minimal installed DSFR in `dir`: `dist/` with a stylesheet and a font, `package.json`,
/// a file outside `dist/` and a symbolic link in `dist/` pointing at it.
fn fake_dsfr(dir: &Path) {
    let dist = dir.join("dist");
    std::fs::create_dir_all(dist.join("fonts")).expect("mkdir");
    std::fs::write(dist.join("dsfr.min.css"), FAKE_CSS).expect("write");
    std::fs::write(dist.join("fonts/Marianne-Regular.woff2"), b"wOF2fake").expect("write");
    std::fs::write(
        dir.join("package.json"),
        format!("{{\"name\":\"@gouvfr/dsfr\",\"version\":\"{VERSION}\"}}"),
    )
    .expect("write");
    std::fs::write(dir.join("secret.css"), SECRET).expect("write");
    std::fs::write(dir.join("secret.woff2"), SECRET).expect("write");
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.join("secret.css"), dist.join("out.css")).expect("symlink");
}

fn settings(dir: &Path, logo: bool) -> UiSettings {
    UiSettings {
        dsfr: true,
        dsfr_dir: dir.to_path_buf(),
        dsfr_logo: logo,
    }
}

/// GETs `path` (sent as is: no client normalises `..` or `%2e%2e` away).
async fn get(app: &axum::Router, path: &str) -> (u16, HeaderMap, String) {
    let request = Request::get(path).body(Body::empty()).expect("request");
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 64 << 20)
        .await
        .expect("body");
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// The class names used in `html`.
fn classes(html: &str) -> Vec<&str> {
    html.split(" class=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .flat_map(str::split_ascii_whitespace)
        .collect()
}

fn page_paths() -> Vec<String> {
    let id = dataset_id("https://ddt.example.org/jdd/2");
    vec![
        "/".into(),
        "/recherche?q=zones+humides".into(),
        format!("/jeux-de-donnees/{id}"),
        "/themes".into(),
        "/cas-d-usage".into(),
        "/territoires".into(),
        "/catalogues".into(),
        "/catalogues/ddt-29".into(),
        "/producteurs".into(),
        "/valider".into(),
        "/api/docs".into(),
        "/nulle-part".into(),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dsfr_mode_links_and_serves_the_installed_dsfr_only() {
    let sandbox = harvested().await;
    let dir = tempfile::tempdir().expect("temp dir");
    fake_dsfr(dir.path());
    let app = design::layer(
        sandbox.app(),
        Design::load(&settings(dir.path(), false)).expect("the fake DSFR loads"),
    );
    let css_url = format!("/static/dsfr/{VERSION}/dsfr.min.css");

    for path in page_paths() {
        let (status, headers, body) = get(&app, &path).await;
        assert!(status == 200 || path == "/nulle-part", "{path}: {status}");
        assert!(body.contains(&format!("href=\"{css_url}\"")), "{path}");
        assert!(body.contains("/static/moisson-dsfr-1.css"), "{path}");
        assert!(!body.contains("/static/moisson-2.css"), "{path}");
        for class in [
            "fr-header",
            "fr-skiplinks",
            "fr-footer",
            "fr-container",
            "fr-nav",
        ] {
            assert!(classes(&body).contains(&class), "{path} lacks {class}");
        }
        // The logo block is reserved to State services: off unless asked for.
        assert!(!body.contains("fr-logo"), "{path}");
        // No script of the DSFR: every page works without JavaScript.
        assert!(!body.contains("dsfr.module"), "{path}");
        assert!(
            headers["content-security-policy"]
                .to_str()
                .expect("ascii")
                .starts_with("default-src 'self';"),
            "{path}"
        );
    }
    // Buttons, fields, tables and paging in the DSFR's classes.
    let (_, _, search) = get(&app, "/recherche?q=zones+humides").await;
    let used = classes(&search);
    for class in [
        "fr-btn",
        "fr-input",
        "fr-select",
        "fr-label",
        "fr-pagination",
    ] {
        assert!(used.contains(&class), "search lacks {class}");
    }
    let (_, _, catalogues) = get(&app, "/catalogues").await;
    assert!(classes(&catalogues).contains(&"fr-table"), "{catalogues}");

    // The files, with their content types and a long cache.
    let (status, headers, body) = get(&app, &css_url).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/css; charset=utf-8");
    assert!(headers["cache-control"]
        .to_str()
        .expect("ascii")
        .contains("max-age=31536000"));
    assert_eq!(body, FAKE_CSS);
    let (status, headers, _) = get(
        &app,
        &format!("/static/dsfr/{VERSION}/fonts/Marianne-Regular.woff2"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "font/woff2");

    // Nothing outside `dist/`, nor folders, nor another version.
    for path in [
        format!("/static/dsfr/{VERSION}/../secret.css"),
        format!("/static/dsfr/{VERSION}/%2e%2e/secret.css"),
        format!("/static/dsfr/{VERSION}/%2E%2E/secret.woff2"),
        format!("/static/dsfr/{VERSION}/fonts/..%2f..%2fsecret.css"),
        format!("/static/dsfr/{VERSION}/fonts/%2e%2e/%2e%2e/secret.css"),
        format!("/static/dsfr/{VERSION}//etc/passwd.css"),
        format!("/static/dsfr/{VERSION}/%2fetc%2fpasswd.css"),
        format!(
            "/static/dsfr/{VERSION}/{}",
            dir.path().join("secret.css").display()
        ),
        format!("/static/dsfr/{VERSION}/out.css"),
        format!("/static/dsfr/{VERSION}/fonts"),
        format!("/static/dsfr/{VERSION}/fonts/"),
        format!("/static/dsfr/{VERSION}/./dsfr.min.css"),
        "/static/dsfr/1.0.0/dsfr.min.css".to_owned(),
        format!("/static/dsfr/{VERSION}/..%5csecret.css"),
    ] {
        let (status, _, body) = get(&app, &path).await;
        assert!(status == 404 || status == 400, "{path}: {status}");
        assert!(!body.contains(SECRET), "{path} leaked the file");
    }

    // The logo block when the deployment says it is a State service's.
    let with_logo = design::layer(
        sandbox.app(),
        Design::load(&settings(dir.path(), true)).expect("loads"),
    );
    let (_, _, home) = get(&with_logo, "/").await;
    assert!(classes(&home).contains(&"fr-logo"), "{home}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_mode_has_no_trace_of_the_dsfr() {
    let sandbox = harvested().await;
    let dir = tempfile::tempdir().expect("temp dir");
    fake_dsfr(dir.path());
    // The default design, even with a DSFR folder at hand.
    let ui = UiSettings {
        dsfr: false,
        ..settings(dir.path(), true)
    };
    let app = design::layer(sandbox.app(), Design::load(&ui).expect("default design"));
    for app in [sandbox.app(), app] {
        for path in page_paths() {
            let (_, _, body) = get(&app, &path).await;
            assert!(body.contains("/static/moisson-2.css"), "{path}");
            assert!(!body.contains("dsfr"), "{path} mentions the DSFR");
            let fr: Vec<&str> = classes(&body)
                .into_iter()
                .filter(|c| c.starts_with("fr-"))
                .collect();
            assert!(fr.is_empty(), "{path}: {fr:?}");
            assert!(!body.contains("class=\"\""), "{path}: empty class");
        }
        let (status, _, _) = get(&app, &format!("/static/dsfr/{VERSION}/dsfr.min.css")).await;
        assert_eq!(status, 404);
    }
}

#[test]
fn an_incomplete_dsfr_folder_is_refused_with_the_install_command() {
    let dir = tempfile::tempdir().expect("temp dir");
    let err = Design::load(&settings(dir.path(), false)).expect_err("no dist/");
    let message = format!("{err:#}");
    assert!(
        message.contains("dsfr.min.css") && message.contains("scripts/dsfr/install.sh"),
        "{message}"
    );
    std::fs::create_dir_all(dir.path().join("dist")).expect("mkdir");
    std::fs::write(dir.path().join("dist/dsfr.min.css"), FAKE_CSS).expect("write");
    let err = Design::load(&settings(dir.path(), false)).expect_err("no package.json");
    assert!(format!("{err:#}").contains("package.json"), "{err:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_refuses_to_start_without_the_dsfr() {
    let Some(binary) = moisson_binary() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("moisson.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n[server]\nbind = \"127.0.0.1:0\"\n[scheduler]\nenabled = false\n\
             [ui]\ndesign = \"dsfr\"\n",
            dir.path().join("data")
        ),
    )
    .expect("write config");
    let output = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::process::Command::new(binary)
            .arg("serve")
            .arg("--config")
            .arg(&config)
            .env("RUST_LOG", "warn")
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("moisson serve stops at once")
    .expect("run moisson serve");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = format!(
        "error: ui.design = \"dsfr\" but {} is missing: install it with `scripts/dsfr/install.sh {}`",
        dir.path().join("data/dsfr/dist/dsfr.min.css").display(),
        dir.path().join("data/dsfr").display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
}
