//! `moisson serve`: the web server and the scheduler.
//!
//! Shutdown (SIGINT/SIGTERM): scheduling stops and the server stops accepting connections;
//! running harvests get `scheduler.shutdown_grace_secs` to finish, then are aborted (each
//! ends `failed`, interrupted, having changed nothing); the process exits at most
//! [`ABORT_WAIT`] later whatever happens.

use anyhow::Context;
use clap::Args;
use moisson_harvester::Fetcher;
use std::collections::HashSet;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

use crate::app::{app, AppState, Harvests};
use crate::config::Config;

#[derive(Args)]
pub(super) struct ServeArgs {
    /// Address to listen on (overrides server.bind).
    #[arg(long)]
    bind: Option<String>,
}

/// Builds the state of `serve` and `demo` for `config` over an opened store: the live
/// sources (the file's, with the admin API's overlay), the search index opened (rebuilt
/// when missing or of another schema, with those sources' contexts) and following the live
/// sources, the harvest machinery.
pub(super) async fn state_for(
    config: &Config,
    store: moisson_catalog::CatalogStore,
) -> anyhow::Result<AppState> {
    let sources =
        crate::live_sources::Sources::with_overlay(config.sources.clone(), &config.data_dir)?;
    let opened = super::reindex::open_index(
        &config.data_dir,
        &store,
        crate::runner::source_contexts(&sources.current()),
    )
    .await?;
    opened.index.set_cache_capacity(config.search_cache_entries);
    let sparql_dir =
        moisson_catalog::SparqlStore::dir_of(&crate::DataDir::new(&config.data_dir).store());
    let indexing = crate::runner::Indexing::live(opened.index.clone(), sources.clone());
    let indexing = Arc::new(if config.sparql.enabled {
        indexing.with_sparql(moisson_catalog::SparqlStore::open(&sparql_dir)?)
    } else {
        // Derived data nobody will read: its disk goes back to the operator.
        let removed = moisson_catalog::SparqlStore::remove(&sparql_dir).with_context(|| {
            format!(
                "removing {} ([server] sparql = false)",
                sparql_dir.display()
            )
        })?;
        if removed {
            tracing::info!(dir = %sparql_dir.display(), "SPARQL is off: its store was removed");
        }
        crate::runner::purge_retired(&store).context("purging retired record copies")?;
        indexing.without_sparql()
    });
    // The SPARQL store catches up in the background (the first sync of a large store
    // copies every record graph; queries meanwhile wait for it).
    if config.sparql.enabled {
        let (indexing, store) = (indexing.clone(), store.clone());
        tokio::task::spawn_blocking(move || {
            if let Err(e) = indexing.sync_sparql(&store) {
                tracing::error!(error = %e, "syncing the SPARQL store at start");
            }
        });
    }
    let harvests = Harvests {
        fetcher: Fetcher::new(config.fetch.clone())?,
        options: config.harvest.clone(),
        running: Mutex::new(HashSet::new()),
        indexing: None,
        check_links: config.check_links,
        limits: crate::app::Limits::new(config.concurrency, config.per_host_concurrency),
        live: Default::default(),
    };
    Ok(AppState::new(
        store,
        sources,
        harvests,
        indexing,
        config.admin_token.clone(),
    ))
}

/// The application with the settings of `config`: SPARQL limits (queries evaluated by
/// worker processes of this binary) and the public URL.
pub(super) fn configured_app(state: AppState, config: &Config) -> anyhow::Result<axum::Router> {
    let mut sparql = config.sparql.clone();
    // At most as many idle workers as queries may run at once (no query runs yet, so
    // every slot is free).
    let max_idle = sparql.slots.available_permits();
    if sparql.enabled {
        sparql.worker = Some(crate::api::sparql::SparqlWorker::new(
            std::env::current_exe().context("locating the moisson binary")?,
            crate::DataDir::new(&config.data_dir).store(),
            state
                .harvests
                .indexing
                .as_ref()
                .context("the state has no indexing")?
                .sparql()?
                .clone(),
            max_idle,
        ));
    }
    let design = crate::ui::design::Design::load(&config.ui)?;
    Ok(crate::ui::design::layer(app(state), design)
        .layer(axum::Extension(sparql))
        .layer(axum::Extension(config.validator.clone()))
        // Every IRI minted and every absolute link of the site (sitemap, feeds, JSON-LD,
        // QGIS files) starts with the configured address, never the request's Host header.
        .layer(axum::Extension(config.public_url.clone())))
}

/// Serves `state` on `listener` until SIGINT/SIGTERM.
pub(super) async fn serve_until_signal(
    listener: tokio::net::TcpListener,
    state: AppState,
    config: &Config,
) -> anyhow::Result<()> {
    let router = configured_app(state, config)?;
    crate::http_server::serve(listener, router, config.connections, shutdown_signal()).await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down");
}

/// Time aborted harvests get to record their failure before the process exits anyway.
pub(super) const ABORT_WAIT: Duration = Duration::from_secs(10);

/// Lets running harvests finish within `grace`, then aborts them and waits at most
/// [`ABORT_WAIT`] for them to record it. Returns how many were aborted.
pub(super) async fn stop_harvests(harvests: &Harvests, grace: Duration) -> usize {
    // Jobs waiting for a slot do not start.
    harvests.limits.close();
    let running = harvests.running_count();
    if running > 0 {
        tracing::info!(
            jobs = running,
            grace_secs = grace.as_secs(),
            "waiting for running harvests"
        );
    }
    if harvests.wait_idle(grace).await {
        return 0;
    }
    let aborted = harvests.running_count();
    tracing::warn!(jobs = aborted, "aborting running harvests");
    harvests.options.shutdown.cancel();
    if !harvests.wait_idle(ABORT_WAIT).await {
        tracing::error!(
            "harvests still running after the abort: the next start marks them interrupted"
        );
    }
    aborted
}

/// How to read the configuration file again (`SIGHUP`).
pub(super) struct Reload {
    /// The file given with `--config`.
    pub(super) path: std::path::PathBuf,
    /// The `MOISSON_*` variables read at start.
    pub(super) env: std::collections::BTreeMap<String, String>,
}

/// On each `SIGHUP`, reads the configuration file again and replaces its sources (the
/// admin API's changes stay on top); an invalid file changes nothing and is logged.
/// Other settings take a restart.
async fn reload_on_sighup(sources: crate::live_sources::Sources, reload: Reload) {
    #[cfg(unix)]
    {
        let Ok(mut hangups) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            tracing::warn!("SIGHUP cannot be listened to: sources reload only at restart");
            return;
        };
        while hangups.recv().await.is_some() {
            let loaded = super::load_config(&reload.path, &reload.env)
                .and_then(|config| sources.reload_file(config.sources));
            match loaded {
                Ok(()) => tracing::info!(
                    file = %reload.path.display(),
                    sources = sources.current().len(),
                    "sources reloaded (SIGHUP)"
                ),
                Err(e) => tracing::error!(
                    file = %reload.path.display(),
                    error = format!("{e:#}"),
                    "configuration not reloaded: the sources stay as they were"
                ),
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (sources, reload);
}

/// On each `SIGUSR1`, writes the allocator's statistics to the data directory's
/// `diagnostics/` folder (`crate::memory::write_allocator_statistics`) and logs where.
async fn allocator_statistics_on_sigusr1(dir: std::path::PathBuf) {
    #[cfg(unix)]
    {
        let Ok(mut signals) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::user_defined1())
        else {
            tracing::warn!("SIGUSR1 cannot be listened to: no allocator statistics on demand");
            return;
        };
        while signals.recv().await.is_some() {
            let target = dir.clone();
            let written = tokio::task::spawn_blocking(move || {
                crate::memory::write_allocator_statistics(&target)
            })
            .await;
            match written {
                Ok(Ok(path)) => {
                    tracing::info!(file = %path.display(), "allocator statistics written (SIGUSR1)");
                }
                Ok(Err(e)) => tracing::error!(
                    dir = %dir.display(),
                    error = %e,
                    "allocator statistics not written"
                ),
                Err(e) => tracing::error!(error = %e, "allocator statistics not written"),
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
}

pub(super) async fn run(
    args: ServeArgs,
    config: Config,
    reload: Reload,
) -> anyhow::Result<ExitCode> {
    // A missing DSFR stops the start before anything is opened.
    crate::ui::design::Design::load(&config.ui)?;
    let store = super::open_store_collecting_later(&config.data_dir)?;
    let bind = args.bind.unwrap_or_else(|| config.bind.clone());
    let listener = tokio::net::TcpListener::bind(&bind)
        .await
        .with_context(|| format!("listening on {bind}"))?;
    let state = state_for(&config, store).await?;
    // Orphan graphs (left by an interrupted harvest, seen by no reader) are removed while
    // the server already answers; harvests wait for a slot until then (the removal read
    // every compact copy's name: 5 s of every start at 1,025,000 records).
    let paused = state
        .harvests
        .limits
        .pause()
        .await
        .context("pausing harvests")?;
    let collecting = state.store.clone();
    tokio::spawn(async move {
        let started = Instant::now();
        match tokio::task::spawn_blocking(move || super::collect_orphans(&collecting)).await {
            Ok(Ok(())) => tracing::info!(
                millis = started.elapsed().as_millis() as u64,
                "orphan record graphs collected: harvests may start"
            ),
            // Harvests start anyway: orphans are invisible and collected at the next start.
            Ok(Err(e)) => tracing::error!(error = %format!("{e:#}"), "collecting orphan graphs"),
            Err(e) => tracing::error!(error = %e, "collecting orphan graphs"),
        }
        drop(paused);
    });
    let stop = CancellationToken::new();
    let _scheduler = crate::scheduler::spawn_live(
        state.store.clone(),
        state.harvests.clone(),
        state.sources.clone(),
        &config.scheduler,
        stop.clone(),
    );
    tokio::spawn(reload_on_sighup(state.sources.clone(), reload));
    tokio::spawn(allocator_statistics_on_sigusr1(
        crate::DataDir::new(&config.data_dir).diagnostics(),
    ));
    println!("Moisson: http://{}", listener.local_addr()?);
    let harvests = state.harvests.clone();
    let router = configured_app(state, &config)?;
    let server = crate::http_server::serve(
        listener,
        router,
        config.connections,
        stop.clone().cancelled_owned(),
    );
    let mut server = tokio::spawn(server);
    tokio::select! {
        () = shutdown_signal() => {}
        served = &mut server => {
            stop.cancel();
            stop_harvests(&harvests, Duration::ZERO).await;
            served.context("server task")?;
            return Ok(ExitCode::FAILURE);
        }
    }
    let started = Instant::now();
    stop.cancel();
    let grace = Duration::from_secs(config.scheduler.shutdown_grace_secs);
    let aborted = stop_harvests(&harvests, grace).await;
    // Open HTTP connections get what is left of the grace delay (at least a second).
    let left = grace
        .saturating_sub(started.elapsed())
        .max(Duration::from_secs(1));
    if tokio::time::timeout(left, server).await.is_err() {
        tracing::warn!("http connections still open at exit");
    }
    tracing::info!(
        aborted,
        millis = started.elapsed().as_millis() as u64,
        "stopped"
    );
    Ok(ExitCode::SUCCESS)
}
