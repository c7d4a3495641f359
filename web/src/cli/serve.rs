//! `moisson serve`: the web server (scheduled harvesting comes with the scheduler).

use anyhow::Context;
use clap::Args;
use moisson_harvester::Fetcher;
use std::collections::HashSet;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use crate::app::{app, AppState, Harvests};
use crate::config::Config;

#[derive(Args)]
pub(super) struct ServeArgs {
    /// Address to listen on (overrides server.bind).
    #[arg(long)]
    bind: Option<String>,
}

/// Builds the state for `config` over an opened store.
pub(super) fn state_for(
    config: &Config,
    store: moisson_catalog::CatalogStore,
    indexing: Arc<crate::runner::Indexing>,
) -> anyhow::Result<AppState> {
    Ok(AppState {
        store,
        index: indexing.index.clone(),
        sources: Arc::new(config.sources.clone()),
        harvests: Arc::new(Harvests {
            fetcher: Fetcher::new(config.fetch.clone())?,
            options: config.harvest.clone(),
            running: Mutex::new(HashSet::new()),
            indexing: Some(indexing),
            check_links: config.check_links,
        }),
        admin_token: config.admin_token.clone(),
    })
}

/// Serves `state` on `listener` until SIGINT/SIGTERM.
pub(super) async fn serve_until_signal(
    listener: tokio::net::TcpListener,
    state: AppState,
) -> anyhow::Result<()> {
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving http")
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

pub(super) async fn run(args: ServeArgs, config: Config) -> anyhow::Result<ExitCode> {
    let store = super::open_store(&config.data_dir)?;
    let bind = args.bind.unwrap_or_else(|| config.bind.clone());
    let listener = tokio::net::TcpListener::bind(&bind)
        .await
        .with_context(|| format!("listening on {bind}"))?;
    let indexing = super::reindex::open_index(
        &config.data_dir,
        &store,
        crate::runner::source_contexts(&config.sources),
    )
    .await?;
    let state = state_for(&config, store, indexing)?;
    println!("Moisson: http://{}", listener.local_addr()?);
    serve_until_signal(listener, state).await?;
    Ok(ExitCode::SUCCESS)
}
