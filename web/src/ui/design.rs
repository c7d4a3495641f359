//! The portal's look: Moisson's own stylesheet (default) or the State's design system (DSFR,
//! `[ui] design = "dsfr"`), for State services' sites only (its terms of use). The DSFR is
//! never in the repository or the binary: `scripts/dsfr/install.sh DIR` installs the pinned
//! package's `dist/` in DIR, served here under `/static/dsfr/{version}/`.
//!
//! The design travels with each request (a task-local set by [`layer`], carried to the
//! blocking pool by [`super::blocking`]), so the layout and the shared components read it
//! without every page passing it along.

use anyhow::{bail, Context};
use axum::extract::{Path as UrlPath, Request};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::cell::RefCell;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::config::UiSettings;

/// Largest file served from the DSFR folder (its biggest, `dsfr.css`, is under 1 MB).
const MAX_ASSET_BYTES: u64 = 8 << 20;

/// The installed DSFR package.
#[derive(Debug)]
pub struct Dsfr {
    /// `dist/`, canonical: every served file lies below it.
    dist: PathBuf,
    /// The package's version (from its `package.json`), in the assets' URLs.
    version: String,
    /// Shows the Marianne logo block in the header.
    pub(crate) logo: bool,
}

impl Dsfr {
    /// The URL of `file` (relative to `dist/`).
    pub(crate) fn url(&self, file: &str) -> String {
        format!("/static/dsfr/{}/{file}", self.version)
    }
}

/// The look of the pages.
#[derive(Debug, Clone, Default)]
pub enum Design {
    /// Moisson's own stylesheet.
    #[default]
    Moisson,
    /// The State's design system.
    Dsfr(Arc<Dsfr>),
}

impl Design {
    /// The design `ui` asks for; for the DSFR, checks its folder holds an installed
    /// package (`dist/dsfr.min.css` and `package.json`).
    pub fn load(ui: &UiSettings) -> anyhow::Result<Self> {
        if !ui.dsfr {
            return Ok(Self::Moisson);
        }
        let dir = &ui.dsfr_dir;
        let install = format!(
            "install it with `scripts/dsfr/install.sh {}` (State services' sites only)",
            dir.display()
        );
        if !dir.join("dist").join("dsfr.min.css").is_file() {
            bail!(
                "ui.design = \"dsfr\" but {} is missing: {install}",
                dir.join("dist/dsfr.min.css").display()
            );
        }
        let manifest = dir.join("package.json");
        let text = std::fs::read_to_string(&manifest)
            .with_context(|| format!("reading {} ({install})", manifest.display()))?;
        let json: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("parsing {}", manifest.display()))?;
        let version = json
            .get("version")
            .and_then(|v| v.as_str())
            .filter(|v| {
                !v.is_empty()
                    && v.len() <= 32
                    && v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            })
            .with_context(|| format!("{}: no valid \"version\"", manifest.display()))?
            .to_owned();
        let dist = dir
            .join("dist")
            .canonicalize()
            .with_context(|| format!("resolving {}", dir.join("dist").display()))?;
        Ok(Self::Dsfr(Arc::new(Dsfr {
            dist,
            version,
            logo: ui.dsfr_logo,
        })))
    }

    /// The DSFR, in DSFR mode.
    pub(crate) fn dsfr(&self) -> Option<&Dsfr> {
        match self {
            Self::Moisson => None,
            Self::Dsfr(d) => Some(d),
        }
    }
}

tokio::task_local! {
    static REQUEST_DESIGN: Design;
}

thread_local! {
    static BLOCKING_DESIGN: RefCell<Option<Design>> = const { RefCell::new(None) };
}

/// The design of the request being answered (Moisson's outside any request).
pub(crate) fn current() -> Design {
    BLOCKING_DESIGN
        .with(|d| d.borrow().clone())
        .or_else(|| REQUEST_DESIGN.try_with(Clone::clone).ok())
        .unwrap_or_default()
}

/// Runs `f` with `design` as the current design (on a blocking-pool thread).
pub(crate) fn with<T>(design: Design, f: impl FnOnce() -> T) -> T {
    struct Reset(Option<Design>);
    impl Drop for Reset {
        fn drop(&mut self) {
            let previous = self.0.take();
            BLOCKING_DESIGN.with(|d| *d.borrow_mut() = previous);
        }
    }
    let _reset = Reset(BLOCKING_DESIGN.with(|d| d.borrow_mut().replace(design)));
    f()
}

/// The middleware that makes `design` the design of every request.
pub async fn scope(
    axum::extract::State(design): axum::extract::State<Design>,
    request: Request,
    next: Next,
) -> Response {
    REQUEST_DESIGN.scope(design, next.run(request)).await
}

/// Returns `router` answering every request in `design`.
pub fn layer(router: axum::Router, design: Design) -> axum::Router {
    router.layer(axum::middleware::from_fn_with_state(design, scope))
}

/// `/static/dsfr/{version}/{*path}`: a file under the DSFR's `dist/`, in DSFR mode only.
pub(crate) async fn asset(UrlPath((version, path)): UrlPath<(String, String)>) -> Response {
    let design = current();
    let Some(dsfr) = design.dsfr() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if version != dsfr.version {
        return StatusCode::NOT_FOUND.into_response();
    }
    let Some(content_type) = content_type(&path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(file) = resolve(&dsfr.dist, &path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match tokio::fs::read(&file).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The content type of the kinds of files served (others are refused).
fn content_type(path: &str) -> Option<&'static str> {
    let extension = path.rsplit_once('.')?.1;
    Some(match extension {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "webmanifest" => "application/manifest+json",
        _ => return None,
    })
}

/// The file `path` (relative, already percent-decoded) names under `dist` (canonical), or
/// `None`: only plain relative segments, and the canonical result must be a regular file
/// inside `dist` (a symbolic link leading out of it is refused).
pub(crate) fn resolve(dist: &Path, path: &str) -> Option<PathBuf> {
    if path.is_empty() || path.len() > 512 || path.contains(['\\', '\0']) {
        return None;
    }
    let relative = Path::new(path);
    if !relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
        || path
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return None;
    }
    let file = dist.join(relative).canonicalize().ok()?;
    if !file.starts_with(dist) {
        return None;
    }
    let meta = std::fs::metadata(&file).ok()?;
    (meta.is_file() && meta.len() <= MAX_ASSET_BYTES).then_some(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_keeps_to_plain_files_under_dist() {
        let dir = tempfile::tempdir().expect("temp dir");
        let dist = dir.path().join("dist");
        std::fs::create_dir_all(dist.join("fonts")).expect("mkdir");
        std::fs::write(dist.join("dsfr.min.css"), "a{}").expect("write");
        std::fs::write(dist.join("fonts/M.woff2"), "x").expect("write");
        std::fs::write(dir.path().join("secret.css"), "s").expect("write");
        let dist = dist.canonicalize().expect("canonical");
        assert!(resolve(&dist, "dsfr.min.css").is_some());
        assert!(resolve(&dist, "fonts/M.woff2").is_some());
        for bad in [
            "../secret.css",
            "fonts/../../secret.css",
            "/etc/passwd",
            "fonts",
            "fonts/",
            "./dsfr.min.css",
            "",
            "a\\..\\secret.css",
        ] {
            assert_eq!(resolve(&dist, bad), None, "{bad:?}");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("secret.css"), dist.join("out.css"))
                .expect("symlink");
            assert_eq!(resolve(&dist, "out.css"), None);
        }
    }
}
