//! The end-to-end test sandbox: catalogue servers on loopback and a Moisson store, fetcher
//! and API over a temporary data folder.
//!
//! The catalogue server answers both origin-form requests (`GET /path`) and proxy
//! absolute-form requests (`GET http://data.test.org/…`), so a corpus file whose paging
//! links name its real host can be served as that host: the sandbox's fetcher uses the
//! server as its HTTP proxy.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use moisson_catalog::{CatalogStore, JobReport, SourceId};
use moisson_harvester::{FetchOptions, Fetcher, HarvestOptions, LogProgress, Protocol, Source};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

/// Peak resident set size of this process (`VmHWM`), in MiB; 0 where /proc is absent.
pub fn peak_rss_mib() -> f64 {
    moisson_catalog::resident::peak_mib()
}

/// Returns `../shared` of the workspace, or `None` (after printing why) when it is absent.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    if dir.join("corpus/MANIFEST.md").is_file() {
        Some(dir)
    } else {
        println!("skipped: ../shared/corpus is absent next to the workspace");
        None
    }
}

/// What the catalogue server answers for one URL.
#[derive(Clone)]
pub enum Route {
    /// A file, with a content type.
    File(PathBuf, String),
    /// Bytes, with a content type.
    Bytes(Vec<u8>, String),
    /// A bare status.
    Status(u16),
    /// A `302 Found` to this URL.
    Redirect(String),
}

/// Returns the content type the server gives a file, from its extension.
pub fn content_type_for(path: &Path) -> String {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "ttl" => "text/turtle",
        "rdf" => "application/rdf+xml",
        "jsonld" => "application/ld+json",
        "json" => "application/json",
        "nt" => "application/n-triples",
        "xml" => "application/xml",
        _ => "application/octet-stream",
    }
    .into()
}

/// A catalogue server on loopback whose routes tests set.
#[derive(Clone)]
pub struct CatalogueServer {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base: String,
    routes: Arc<RwLock<HashMap<String, Route>>>,
    hits: Arc<Mutex<Vec<String>>>,
}

impl CatalogueServer {
    /// Starts a server with no route.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().expect("local addr"));
        let server = Self {
            base,
            routes: Arc::new(RwLock::new(HashMap::new())),
            hits: Arc::new(Mutex::new(Vec::new())),
        };
        let router = axum::Router::new()
            .fallback(answer)
            .with_state(server.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        server
    }

    /// Sets what `url` answers. `url` is absolute (`http://host/path?q`) or a path (`/x`).
    pub fn set(&self, url: &str, route: Route) {
        let key = if url.starts_with('/') {
            format!("{}{url}", self.base)
        } else {
            url.to_owned()
        };
        self.routes.write().expect("routes lock").insert(key, route);
    }

    /// Serves `file` at `path` with the content type of its extension; returns the URL.
    pub fn serve_file(&self, path: &str, file: &Path) -> String {
        self.set(path, Route::File(file.to_owned(), content_type_for(file)));
        self.url(path)
    }

    /// Returns the absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Returns the URLs requested so far.
    pub fn hits(&self) -> Vec<String> {
        self.hits.lock().expect("hits lock").clone()
    }
}

async fn answer(State(server): State<CatalogueServer>, request: Request) -> Response {
    let uri = request.uri();
    let key = if uri.scheme().is_some() {
        uri.to_string()
    } else {
        format!(
            "{}{}",
            server.base,
            uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
        )
    };
    server.hits.lock().expect("hits lock").push(key.clone());
    let route = server
        .routes
        .read()
        .expect("routes lock")
        .get(&key)
        .cloned();
    match route {
        Some(Route::File(path, ct)) => match tokio::fs::read(&path).await {
            Ok(bytes) => ([(header::CONTENT_TYPE, ct)], Body::from(bytes)).into_response(),
            Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        },
        Some(Route::Bytes(bytes, ct)) => {
            ([(header::CONTENT_TYPE, ct)], Body::from(bytes)).into_response()
        }
        Some(Route::Status(code)) => StatusCode::from_u16(code)
            .unwrap_or(StatusCode::IM_A_TEAPOT)
            .into_response(),
        Some(Route::Redirect(to)) => (StatusCode::FOUND, [(header::LOCATION, to)]).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The public URL of the sandbox's API (`[server] public_url`).
pub const PUBLIC_URL: &str = "http://moisson.test";

/// A Moisson store, fetcher and API over a temporary data folder, with a catalogue server.
pub struct Sandbox {
    /// The catalogue server (also the fetcher's proxy).
    pub server: CatalogueServer,
    /// The store.
    pub store: CatalogStore,
    /// The fetcher.
    pub fetcher: Fetcher,
    /// Harvest options.
    pub options: HarvestOptions,
    /// The search index (on disk under the sandbox's folder), updated by [`Sandbox::harvest`].
    pub index: Arc<moisson_search::SearchIndex>,
    /// The registered sources, live (the admin API's overlay kept in the sandbox's folder).
    sources: moisson_web::live_sources::Sources,
    /// The application's state, built once at the first [`Sandbox::app`] (so that a test
    /// may still change `fetcher` or `options` before it).
    state: std::sync::OnceLock<moisson_web::AppState>,
    _dir: tempfile::TempDir,
}

impl Sandbox {
    /// Starts a sandbox with an on-disk (RocksDB) store.
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = CatalogStore::open(&dir.path().join("store")).expect("open store");
        let server = CatalogueServer::start().await;
        let fetcher = Fetcher::new(FetchOptions {
            proxy: Some(server.base.clone()),
            retries: 0,
            timeout_secs: 30,
            // Every catalogue and link of the tests is on loopback.
            allow_private_addresses: true,
            ..FetchOptions::default()
        })
        .expect("fetcher");
        let (index, _) = moisson_search::SearchIndex::open_or_create(&dir.path().join("index"))
            .expect("open search index");
        Self {
            server,
            store,
            fetcher,
            index: Arc::new(index),
            options: HarvestOptions::default(),
            sources: moisson_web::live_sources::Sources::with_overlay(Vec::new(), dir.path())
                .expect("sources overlay"),
            state: std::sync::OnceLock::new(),
            _dir: dir,
        }
    }

    /// Replaces the fetcher, for the harvests and for the application built from now on
    /// (the next [`Sandbox::app`] builds a new state over the same store, index and sources).
    pub fn set_fetcher(&mut self, fetcher: Fetcher) {
        self.fetcher = fetcher;
        self.state = std::sync::OnceLock::new();
    }

    /// Returns a `dcat` source named `id` at `url`, and registers it for the API.
    pub fn source(&self, id: &str, url: &str) -> Source {
        let source = Source {
            publisher_kind: Some("DDT".into()),
            ..Source::new(
                SourceId::new(id).expect("valid test source id"),
                format!("Source de test {id}"),
                url,
                Protocol::Dcat,
            )
        };
        let mut sources: Vec<Source> = self.sources.file_sources();
        sources.retain(|s| s.id.as_str() != id);
        sources.push(source.clone());
        self.sources
            .reload_file(sources)
            .expect("a valid test source");
        source
    }

    /// Harvests `source` now, then updates the search index as `moisson serve` does.
    pub async fn harvest(&self, source: &Source) -> JobReport {
        self.harvest_with(source, &self.options).await
    }

    /// Harvests with `options` instead of the sandbox's, then updates the search index.
    pub async fn harvest_with(&self, source: &Source, options: &HarvestOptions) -> JobReport {
        let before = self.store.registry(source.id.as_str()).expect("registry");
        let report = moisson_harvester::harvest_source(
            &self.store,
            &self.fetcher,
            source,
            options,
            Arc::new(LogProgress),
        )
        .await;
        let after = self.store.registry(source.id.as_str()).expect("registry");
        let changed = moisson_search::changed_datasets(&before, &after);
        self.index
            .update(&self.store, &self.source_contexts(), &changed)
            .expect("index update");
        report
    }

    /// Returns what classification knows of the registered sources.
    pub fn source_contexts(&self) -> moisson_search::SourceContexts {
        moisson_web::runner::source_contexts(&self.sources.current())
    }

    /// Returns the API router over this sandbox's store and sources, at [`PUBLIC_URL`].
    pub fn app(&self) -> axum::Router {
        self.app_at(PUBLIC_URL)
    }

    /// Returns the API router with `public_url` as its `[server] public_url` (a test that
    /// serves it on a socket gives the socket's address, so that its links lead back).
    pub fn app_at(&self, public_url: &str) -> axum::Router {
        // IRIs and absolute links are minted under the configured public URL, never the
        // Host header.
        self.app_without_public_url().layer(axum::Extension(
            moisson_web::PublicUrl::new(public_url).expect("a valid URL"),
        ))
    }

    /// Returns the API router without `[server] public_url`: IRIs fall back to the default
    /// address, links for this server to the request's checked `Host`.
    pub fn app_without_public_url(&self) -> axum::Router {
        let state = self.state.get_or_init(|| {
            let harvests = moisson_web::Harvests {
                fetcher: self.fetcher.clone(),
                options: self.options.clone(),
                running: Mutex::new(HashSet::new()),
                indexing: None,
                // Corpus links point at real hosts; tests run without network.
                check_links: false,
                limits: moisson_web::app::Limits::new(4, 4),
                live: Default::default(),
            };
            let indexing = Arc::new(moisson_web::runner::Indexing::live(
                self.index.clone(),
                self.sources.clone(),
            ));
            moisson_web::AppState::new(
                self.store.clone(),
                self.sources.clone(),
                harvests,
                indexing,
                Some("test-token".into()),
            )
        });
        moisson_web::app(state.clone())
    }

    /// Returns the data folder (`store/` and `index/` below it).
    pub fn data_dir(&self) -> &Path {
        self._dir.path()
    }

    /// Closes the store, runs `offline` on its folder (as a command run with the server
    /// stopped would), then opens it again (the application is rebuilt at the next
    /// [`Sandbox::app`]).
    pub fn with_store_closed<T>(&mut self, offline: impl FnOnce(&Path) -> T) -> T {
        self.state = std::sync::OnceLock::new();
        self.store = CatalogStore::in_memory().expect("placeholder store");
        let dir = self._dir.path().join("store");
        let out = offline(&dir);
        self.store = CatalogStore::open(&dir).expect("store opened again");
        out
    }

    /// GETs `path` from the API and returns (status, JSON body or `null`).
    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        use tower::ServiceExt;
        let request = axum::http::Request::get(path)
            .body(Body::empty())
            .expect("request");
        let response = self.app().oneshot(request).await.expect("infallible");
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), 64 << 20)
            .await
            .expect("body");
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }
}

/// Starts `{binary} serve --config {config}` with the variables `env`, its stderr sent
/// to `stderr`, and returns the process (killed when dropped) and the address it listens
/// on, read from its « Moisson: http://… » line within `within`.
pub async fn start_serve(
    binary: &Path,
    config: &Path,
    env: &[(&str, &str)],
    stderr: std::process::Stdio,
    within: std::time::Duration,
) -> (tokio::process::Child, String) {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(binary)
        .arg("serve")
        .arg("--config")
        .arg(config)
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(stderr)
        .kill_on_drop(true)
        .spawn()
        .expect("start moisson serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let addr = tokio::time::timeout(within, async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(addr) = line.strip_prefix("Moisson: http://") {
                return addr.trim().to_owned();
            }
        }
        panic!("moisson serve exited before listening");
    })
    .await
    .unwrap_or_else(|_| panic!("moisson serve listens within {within:?}"));
    (child, addr)
}

/// Sends `request` (a whole HTTP/1.1 request with `Connection: close`) to `addr` and
/// returns the status and the body as JSON (`Null` when it is not JSON).
pub async fn raw_http_json(addr: &str, request: &str) -> (u16, serde_json::Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (
        status,
        serde_json::from_str(body).unwrap_or(serde_json::Value::Null),
    )
}

/// Opens `path` for appending, as a child process's stderr.
pub fn append_to(path: &Path) -> std::process::Stdio {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("log file")
        .into()
}

/// The `moisson` binary next to the running test binary (built by `cargo test
/// --workspace`), or `None` after printing why the test is skipped.
pub fn moisson_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let binary = exe.parent()?.parent()?.join("moisson");
    if binary.is_file() {
        Some(binary)
    } else {
        println!(
            "skipped: {} is absent (run `cargo test --workspace`, which builds it)",
            binary.display()
        );
        None
    }
}
