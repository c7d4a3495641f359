//! `moisson demo`: generated catalogues served on loopback, harvested through the same
//! path as real sources, then the site keeps running.

use anyhow::Context;
use clap::Args;
use moisson_catalog::SourceId;
use moisson_demo as demo;
use moisson_harvester::{Protocol, Source};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::{Config, ConfigFile};
use crate::runner;
use moisson_demo::server as demo_server;

#[derive(Args)]
pub(super) struct DemoArgs {
    /// Port of the site.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Datasets generated in all.
    #[arg(long, default_value_t = 5000)]
    datasets: usize,
    /// Harvest, print the summary and exit instead of serving.
    #[arg(long)]
    no_serve: bool,
}

pub(super) async fn run(
    args: DemoArgs,
    env: &BTreeMap<String, String>,
) -> anyhow::Result<ExitCode> {
    let mut config = Config::from_file(ConfigFile::default(), env)?;
    if !env.contains_key("MOISSON_DATA_DIR") {
        config.data_dir = PathBuf::from("moisson-data");
    }
    // Every demo source is on our own loopback server: the per-host politeness limit is moot.
    config.per_host_concurrency = config.concurrency;
    // The demo's distribution links point at that loopback server too.
    config.fetch.allow_private_addresses = true;
    if !env.contains_key("MOISSON_SERVER_PUBLIC_URL") {
        config.public_url = crate::PublicUrl::from_bind(&format!("127.0.0.1:{}", args.port));
    }
    // The catalogue server prefers the port after the site's, so that re-running the demo
    // serves the same URLs (and unchanged records stay unchanged).
    let catalogue_listener =
        match tokio::net::TcpListener::bind(("127.0.0.1", args.port.wrapping_add(1))).await {
            Ok(l) => l,
            Err(_) => tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .context("binding the demo catalogue server")?,
        };
    // Two geo-IDE-like CSW catalogues, each about a twentieth of the datasets.
    let csw = demo::csw::default_catalogues((args.datasets as u64 / 20).max(10));
    let server = demo_server::spawn_with_csw(
        catalogue_listener,
        demo::default_sources(args.datasets),
        csw,
    )?;
    config.sources = server
        .sources
        .iter()
        .map(|s| -> anyhow::Result<Source> {
            Ok(Source {
                id: SourceId::new(s.id.clone())?,
                name: s.name.clone(),
                url: server.first_page_url(s),
                protocol: Protocol::Dcat,
                schedule: Some("0 0 3 * * *".into()),
                publisher_kind: Some(s.publisher_kind.clone()),
                territory: s.territory.clone(),
                csw_output_schema: Default::default(),
                csw_constraint: None,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    for c in &server.csw {
        config.sources.push(Source {
            id: SourceId::new(c.id.clone())?,
            name: c.name.clone(),
            url: server.csw_url(c),
            protocol: Protocol::Csw,
            schedule: Some("0 0 4 * * *".into()),
            publisher_kind: Some("DDT".into()),
            territory: Some(c.territory.clone()),
            csw_output_schema: moisson_harvester::CswOutputSchema::Iso19139,
            csw_constraint: None,
        });
    }
    let store = super::open_store(&config.data_dir)?;
    let state = super::serve::state_for(&config, store.clone()).await?;
    let listener = if args.no_serve {
        None
    } else {
        let bind = format!("127.0.0.1:{}", args.port);
        Some(
            tokio::net::TcpListener::bind(&bind)
                .await
                .with_context(|| format!("listening on {bind} (try --port)"))?,
        )
    };
    if let Some(l) = &listener {
        println!("Moisson demo: http://{}/", l.local_addr()?);
    }
    // One count everywhere: every source harvested (the site's « catalogues moissonnés »,
    // `/api/sources`, the summary table), with the DCAT and CSW ones apart.
    let csw_records: u64 = server.csw.iter().map(|c| c.records).sum();
    println!(
        "demo catalogues served at {}: {} sources ({} DCAT, {} CSW), {} datasets; data in {}",
        server.base_url,
        config.sources.len(),
        server.sources.len(),
        server.csw.len(),
        args.datasets as u64 + csw_records,
        config.data_dir.display()
    );
    let serving = listener.map(|l| {
        let state = state.clone();
        let config = config.clone();
        tokio::spawn(async move { super::serve::serve_until_signal(l, state, &config).await })
    });
    let reports = runner::run_all(
        &store,
        &state.harvests,
        &config.sources,
        config.concurrency,
        super::progress::for_terminal(),
    )
    .await;
    println!("{}", super::progress::summary_table(&reports));
    if serving.is_none() {
        // The links are checked in the background; without a server to keep, the demo
        // waits for them so that its quality reports include them.
        while state.harvests.live.link_check_count() > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    if let Some(handle) = serving {
        println!("harvest done; serving until Ctrl-C");
        handle.await.context("web server task")??;
    }
    Ok(ExitCode::SUCCESS)
}
