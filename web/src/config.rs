//! `moisson.toml`: read into [`ConfigFile`] (serde, unknown keys refused), then validated by
//! [`Config::load`] with the environment passed in as a map, so tests never touch the
//! process environment.

use anyhow::{anyhow, bail, Context};
use moisson_catalog::SourceId;
use moisson_harvester::{
    CswOutputSchema, FetchOptions, HarvestOptions, ParseLimits, Protocol, Source,
};
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

/// Every environment variable that overrides a configuration key, named after its path.
pub const ENV_VARS: &[&str] = &[
    "MOISSON_DATA_DIR",
    "MOISSON_SERVER_BIND",
    "MOISSON_SERVER_ADMIN_TOKEN_ENV",
    "MOISSON_SERVER_SPARQL_TIMEOUT_SECS",
    "MOISSON_SERVER_SPARQL_MAX_RESULTS",
    "MOISSON_SERVER_SEARCH_CACHE_ENTRIES",
    "MOISSON_SERVER_SPARQL_CONCURRENCY",
    "MOISSON_SERVER_SPARQL_MEMORY_MB",
    "MOISSON_SERVER_SPARQL",
    "MOISSON_SERVER_HEADER_TIMEOUT_SECS",
    "MOISSON_SERVER_MAX_CONNECTIONS",
    "MOISSON_SERVER_PUBLIC_URL",
    "MOISSON_HARVEST_GRACE_PERIOD_DAYS",
    "MOISSON_HARVEST_MAX_PAGES",
    "MOISSON_HARVEST_TIMEOUT_SECS",
    "MOISSON_HARVEST_CONNECT_TIMEOUT_SECS",
    "MOISSON_HARVEST_MAX_DOCUMENT_BYTES",
    "MOISSON_HARVEST_RETRIES",
    "MOISSON_HARVEST_CONCURRENCY",
    "MOISSON_HARVEST_PROXY",
    "MOISSON_HARVEST_PER_HOST_CONCURRENCY",
    "MOISSON_HARVEST_MAX_JOB_SECS",
    "MOISSON_HARVEST_MAX_RETRY_WAIT_SECS",
    "MOISSON_HARVEST_MAX_REDIRECTS",
    "MOISSON_HARVEST_CHECK_LINKS",
    "MOISSON_HARVEST_ALLOW_PRIVATE_ADDRESSES",
    "MOISSON_HARVEST_MAX_NESTING_DEPTH",
    "MOISSON_HARVEST_MAX_LITERAL_BYTES",
    "MOISSON_HARVEST_MAX_EXPANSION_RATIO",
    "MOISSON_VALIDATOR_MAX_RECORDS",
    "MOISSON_VALIDATOR_MAX_PAGES",
    "MOISSON_VALIDATOR_TIMEOUT_SECS",
    "MOISSON_VALIDATOR_REQUESTS_PER_MINUTE",
    "MOISSON_SCHEDULER_ENABLED",
    "MOISSON_SCHEDULER_JITTER_SECS",
    "MOISSON_SCHEDULER_CATCH_UP",
    "MOISSON_SCHEDULER_SHUTDOWN_GRACE_SECS",
    "MOISSON_UI_DESIGN",
    "MOISSON_UI_DSFR_DIR",
    "MOISSON_UI_DSFR_LOGO",
];

/// The configuration file as written.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Folder of the oxigraph store, the search index and job history.
    #[serde(default)]
    pub data_dir: Option<PathBuf>,
    /// The web server.
    #[serde(default)]
    pub server: ServerSection,
    /// Harvest settings shared by every source.
    #[serde(default)]
    pub harvest: HarvestSection,
    /// Scheduled harvesting by `moisson serve`.
    #[serde(default)]
    pub scheduler: SchedulerSection,
    /// The validator (`/valider`, `POST /api/validate`).
    #[serde(default)]
    pub validator: ValidatorSection,
    /// The portal's look (`[ui]`).
    #[serde(default)]
    pub ui: UiSection,
    /// The catalogues to harvest.
    #[serde(default, rename = "source")]
    pub sources: Vec<SourceSection>,
}

/// `[server]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    /// Address the web server listens on.
    #[serde(default = "default_bind")]
    pub bind: String,
    /// Name of the environment variable holding the admin token; admin endpoints are
    /// closed while it is unset or empty.
    #[serde(default = "default_admin_token_env")]
    pub admin_token_env: String,
    /// Time one SPARQL query may run, in seconds.
    #[serde(default = "default_sparql_timeout_secs")]
    pub sparql_timeout_secs: u64,
    /// Most solutions or triples one SPARQL query may return.
    #[serde(default = "default_sparql_max_results")]
    pub sparql_max_results: usize,
    /// Search answers (and facet counts) kept until the index changes; 0 turns it off.
    #[serde(default = "default_search_cache_entries")]
    pub search_cache_entries: usize,
    /// SPARQL queries evaluated at the same time (each in a worker process); others are
    /// answered 503 with `Retry-After` at once.
    #[serde(default = "default_sparql_concurrency")]
    pub sparql_concurrency: usize,
    /// Serves `/sparql` and keeps the SPARQL store it needs (`data_dir/store-sparql/`,
    /// about as large as the record store's quads would be: ~1.8 GB per 100,000
    /// datasets). `false` drops both: `/sparql` answers 404 and the folder is removed at
    /// start (it is derived: turning SPARQL back on rebuilds it).
    #[serde(default = "default_true")]
    pub sparql: bool,
    /// Memory budget of one SPARQL query, in MiB: its worker process's data segment, and
    /// the largest answer the server reads back. The server itself grows by at most
    /// `sparql_concurrency` times this.
    #[serde(default = "default_sparql_memory_mb")]
    pub sparql_memory_mb: u64,
    /// Time a connection has to send a whole request head (also closes idle keep-alive
    /// connections), in seconds.
    #[serde(default = "default_header_timeout_secs")]
    pub header_timeout_secs: u64,
    /// HTTP connections open at once; more wait in the kernel's queue.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// The address the public reaches the server at (`https://moisson.example.fr`): every
    /// IRI `/catalog` mints starts with it. Default: `http://{bind}`, an unspecified
    /// address (`0.0.0.0`) read as `localhost`.
    #[serde(default)]
    pub public_url: Option<String>,
}

fn default_sparql_concurrency() -> usize {
    crate::api::sparql::DEFAULT_CONCURRENCY
}

fn default_sparql_memory_mb() -> u64 {
    crate::api::sparql::DEFAULT_MEMORY_MB
}

fn default_header_timeout_secs() -> u64 {
    crate::http_server::DEFAULT_HEADER_TIMEOUT_SECS
}

fn default_max_connections() -> usize {
    crate::http_server::DEFAULT_MAX_CONNECTIONS
}

fn default_search_cache_entries() -> usize {
    1024
}

fn default_sparql_timeout_secs() -> u64 {
    crate::api::sparql::SparqlLimits::default()
        .timeout
        .as_secs()
}

fn default_sparql_max_results() -> usize {
    crate::api::sparql::SparqlLimits::default().max_results
}

impl Default for ServerSection {
    fn default() -> Self {
        Self {
            bind: default_bind(),
            admin_token_env: default_admin_token_env(),
            sparql_timeout_secs: default_sparql_timeout_secs(),
            sparql_max_results: default_sparql_max_results(),
            search_cache_entries: default_search_cache_entries(),
            sparql_concurrency: default_sparql_concurrency(),
            sparql: true,
            sparql_memory_mb: default_sparql_memory_mb(),
            header_timeout_secs: default_header_timeout_secs(),
            max_connections: default_max_connections(),
            public_url: None,
        }
    }
}

fn default_true() -> bool {
    true
}

fn default_bind() -> String {
    "127.0.0.1:8080".into()
}

fn default_admin_token_env() -> String {
    "MOISSON_ADMIN_TOKEN".into()
}

/// `[harvest]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HarvestSection {
    /// Days a record missing from its source stays (hidden) before it is removed.
    pub grace_period_days: u32,
    /// Most pages read from one source in one harvest.
    pub max_pages: u32,
    /// Time allowed for one HTTP request, body included.
    pub timeout_secs: u64,
    /// Time allowed to connect.
    pub connect_timeout_secs: u64,
    /// Largest page accepted, in bytes.
    pub max_document_bytes: u64,
    /// Retries of a failed request (network errors, 429, 5xx).
    pub retries: u32,
    /// Sources harvested at the same time.
    pub concurrency: usize,
    /// HTTP proxy for every request.
    pub proxy: Option<String>,
    /// Checks the distribution links of a source after each harvest (HEAD, cached a week).
    pub check_links: bool,
    /// Harvests of sources on one host running at the same time.
    pub per_host_concurrency: usize,
    /// Wall-time budget of one harvest job, in seconds (0: none).
    pub max_job_secs: u64,
    /// Longest wait before retrying a request (backoff or `Retry-After`), in seconds.
    pub max_retry_wait_secs: u64,
    /// Redirects followed for one request.
    pub max_redirects: usize,
    /// Lets link checks reach loopback, private and link-local addresses (off: a
    /// harvested URL never makes Moisson connect to its own network).
    pub allow_private_addresses: bool,
    /// Deepest nesting of a page (JSON objects and arrays, Turtle `[ ]` and `( )`, XML
    /// elements); a page nested deeper is refused with its line and column.
    pub max_nesting_depth: usize,
    /// Longest literal (or IRI) stored, in bytes; a longer one is left out with a record
    /// warning, and an RDF/XML value that entities would grow past it refuses the page.
    pub max_literal_bytes: usize,
    /// The records of a page hold at most this many times the page's triples (plus 10,000):
    /// past it, the records that would copy a shared node again are rejected.
    pub max_expansion_ratio: u32,
}

/// `[validator]`: what one validation (`/valider`, `POST /api/validate`) may read.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ValidatorSection {
    /// Records read and assessed at most.
    pub max_records: usize,
    /// Pages read at most.
    pub max_pages: u32,
    /// Time one validation may take, in seconds.
    pub timeout_secs: u64,
    /// Validations one client (IP address) may start per minute.
    pub requests_per_minute: u32,
}

impl Default for ValidatorSection {
    fn default() -> Self {
        let s = crate::api::validate::ValidatorSettings::default();
        Self {
            max_records: s.max_records,
            max_pages: s.max_pages,
            timeout_secs: s.timeout.as_secs(),
            requests_per_minute: s.requests_per_minute,
        }
    }
}

/// `[ui]`: the portal's look.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct UiSection {
    /// `"moisson"` (default: Moisson's own stylesheet) or `"dsfr"` (the State's design
    /// system, reserved to State services' sites, installed by `scripts/dsfr/install.sh`).
    pub design: Option<String>,
    /// The folder holding the installed DSFR package (default `{data_dir}/dsfr`).
    pub dsfr_dir: Option<PathBuf>,
    /// Shows the Marianne logo block (« République française ») in the DSFR header: only
    /// for a State service's site.
    pub dsfr_logo: bool,
}

/// The validated `[ui]` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiSettings {
    /// True for `design = "dsfr"`.
    pub dsfr: bool,
    /// The DSFR folder (`dist/` below it).
    pub dsfr_dir: PathBuf,
    /// Shows the Marianne logo block.
    pub dsfr_logo: bool,
}

/// `[scheduler]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SchedulerSection {
    /// Runs each source on its `schedule` in `moisson serve`.
    pub enabled: bool,
    /// Largest random delay added to each scheduled run, in seconds.
    pub jitter_secs: u64,
    /// On start, a run missed while the server was down runs once, at once.
    pub catch_up: bool,
    /// On SIGINT/SIGTERM, time running harvests get to finish before they are aborted.
    pub shutdown_grace_secs: u64,
}

impl Default for SchedulerSection {
    fn default() -> Self {
        let s = SchedulerOptions::default();
        Self {
            enabled: s.enabled,
            jitter_secs: s.jitter_secs,
            catch_up: s.catch_up,
            shutdown_grace_secs: s.shutdown_grace_secs,
        }
    }
}

/// Validated `[scheduler]` settings.
#[derive(Debug, Clone)]
pub struct SchedulerOptions {
    /// Runs each source on its `schedule`.
    pub enabled: bool,
    /// Largest random delay added to each scheduled run, in seconds.
    pub jitter_secs: u64,
    /// A run missed while the server was down runs once at start.
    pub catch_up: bool,
    /// Time running harvests get to finish on shutdown, in seconds.
    pub shutdown_grace_secs: u64,
}

impl Default for SchedulerOptions {
    fn default() -> Self {
        Self {
            enabled: true,
            jitter_secs: 30,
            catch_up: true,
            shutdown_grace_secs: 30,
        }
    }
}

impl Default for HarvestSection {
    fn default() -> Self {
        let fetch = FetchOptions::default();
        let harvest = HarvestOptions::default();
        Self {
            grace_period_days: harvest.grace_period_days,
            max_pages: harvest.max_pages,
            timeout_secs: fetch.timeout_secs,
            connect_timeout_secs: fetch.connect_timeout_secs,
            max_document_bytes: fetch.max_document_bytes,
            retries: fetch.retries,
            concurrency: 2,
            proxy: None,
            check_links: true,
            per_host_concurrency: 1,
            max_job_secs: harvest.max_job_secs,
            max_retry_wait_secs: fetch.max_retry_wait_secs,
            max_redirects: fetch.max_redirects,
            allow_private_addresses: fetch.allow_private_addresses,
            max_nesting_depth: harvest.limits.max_nesting_depth,
            max_literal_bytes: harvest.limits.max_literal_bytes,
            max_expansion_ratio: harvest.limits.max_expansion_ratio,
        }
    }
}

/// One `[[source]]` (also the body of `PUT /api/sources/{id}` and an entry of the
/// sources overlay file).
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSection {
    /// `[a-z0-9-]+`, stable.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Catalogue endpoint.
    pub url: String,
    /// `dcat` or `csw`.
    #[serde(default = "default_protocol")]
    pub protocol: String,
    /// Cron schedule, 6 fields (sec min hour dom mon dow).
    #[serde(default)]
    pub schedule: Option<String>,
    /// DREAL | DDT | operator | agency | local-authority.
    #[serde(default)]
    pub publisher_kind: Option<String>,
    /// INSEE code of the source's département or région.
    #[serde(default)]
    pub territory: Option<String>,
    /// `csw` sources: `iso19139` (default) or `dcat`, the `outputSchema` asked for.
    #[serde(default)]
    pub csw_output_schema: Option<String>,
    /// `csw` sources: an OGC filter restricting the records, as CQL text
    /// (`OrganisationName = 'DDT de l''Ain'`) or XML (`<ogc:Filter>…</ogc:Filter>`).
    #[serde(default)]
    pub csw_constraint: Option<String>,
}

fn default_protocol() -> String {
    "dcat".into()
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Data folder.
    pub data_dir: PathBuf,
    /// Bind address of the web server.
    pub bind: String,
    /// The admin token, when its variable is set.
    pub admin_token: Option<String>,
    /// Fetch settings.
    pub fetch: FetchOptions,
    /// Harvest settings.
    pub harvest: HarvestOptions,
    /// Sources harvested at the same time.
    pub concurrency: usize,
    /// Harvests of sources on one host running at the same time.
    pub per_host_concurrency: usize,
    /// Checks distribution links after each harvest.
    pub check_links: bool,
    /// Scheduled harvesting.
    pub scheduler: SchedulerOptions,
    /// Sources.
    pub sources: Vec<Source>,
    /// Limits of one SPARQL query (`[server] sparql_timeout_secs`, `sparql_max_results`).
    pub sparql: crate::api::sparql::SparqlLimits,
    /// Search answers kept until the index changes (`[server] search_cache_entries`).
    pub search_cache_entries: usize,
    /// Connection limits (`[server] header_timeout_secs`, `max_connections`).
    pub connections: crate::http_server::ConnectionLimits,
    /// The public address `/catalog` mints IRIs under (`[server] public_url`).
    pub public_url: crate::PublicUrl,
    /// The validator's limits (`[validator]`).
    pub validator: crate::api::validate::ValidatorSettings,
    /// The portal's look (`[ui]`).
    pub ui: UiSettings,
}

fn env_parse<T: std::str::FromStr>(
    env: &BTreeMap<String, String>,
    name: &str,
    target: &mut T,
) -> anyhow::Result<()>
where
    T::Err: std::fmt::Display,
{
    if let Some(v) = env.get(name) {
        *target = v
            .parse()
            .map_err(|e| anyhow!("environment variable {name}={v:?}: {e}"))?;
    }
    Ok(())
}

impl Config {
    /// Parses and validates `text` (the content of `moisson.toml`), applying the `MOISSON_*`
    /// overrides found in `env`.
    pub fn load(text: &str, env: &BTreeMap<String, String>) -> anyhow::Result<Self> {
        let file: ConfigFile =
            toml::from_str(text).map_err(|e| anyhow!("{}", e.to_string().trim_end()))?;
        Self::from_file(file, env)
    }

    /// Validates an already parsed file.
    pub fn from_file(file: ConfigFile, env: &BTreeMap<String, String>) -> anyhow::Result<Self> {
        let mut data_dir = file
            .data_dir
            .unwrap_or_else(|| PathBuf::from("moisson-data"));
        if let Some(v) = env.get("MOISSON_DATA_DIR") {
            data_dir = PathBuf::from(v);
        }
        let mut server = file.server;
        if let Some(v) = env.get("MOISSON_SERVER_BIND") {
            server.bind.clone_from(v);
        }
        if let Some(v) = env.get("MOISSON_SERVER_ADMIN_TOKEN_ENV") {
            server.admin_token_env.clone_from(v);
        }
        env_parse(
            env,
            "MOISSON_SERVER_SPARQL_TIMEOUT_SECS",
            &mut server.sparql_timeout_secs,
        )?;
        env_parse(
            env,
            "MOISSON_SERVER_SPARQL_MAX_RESULTS",
            &mut server.sparql_max_results,
        )?;
        env_parse(
            env,
            "MOISSON_SERVER_SEARCH_CACHE_ENTRIES",
            &mut server.search_cache_entries,
        )?;
        if server.sparql_timeout_secs == 0 || server.sparql_max_results == 0 {
            bail!("server.sparql_timeout_secs and server.sparql_max_results must be at least 1");
        }
        let public_url = server_limits(&mut server, env)?;
        let mut v = file.validator;
        env_parse(env, "MOISSON_VALIDATOR_MAX_RECORDS", &mut v.max_records)?;
        env_parse(env, "MOISSON_VALIDATOR_MAX_PAGES", &mut v.max_pages)?;
        env_parse(env, "MOISSON_VALIDATOR_TIMEOUT_SECS", &mut v.timeout_secs)?;
        env_parse(
            env,
            "MOISSON_VALIDATOR_REQUESTS_PER_MINUTE",
            &mut v.requests_per_minute,
        )?;
        if v.max_records == 0 || v.max_pages == 0 || v.timeout_secs == 0 {
            bail!("validator.max_records, max_pages and timeout_secs must be at least 1");
        }
        let validator = crate::api::validate::ValidatorSettings {
            max_records: v.max_records,
            max_pages: v.max_pages,
            timeout: std::time::Duration::from_secs(v.timeout_secs),
            requests_per_minute: v.requests_per_minute,
        };
        let mut h = file.harvest;
        env_parse(
            env,
            "MOISSON_HARVEST_GRACE_PERIOD_DAYS",
            &mut h.grace_period_days,
        )?;
        env_parse(env, "MOISSON_HARVEST_MAX_PAGES", &mut h.max_pages)?;
        env_parse(env, "MOISSON_HARVEST_TIMEOUT_SECS", &mut h.timeout_secs)?;
        env_parse(
            env,
            "MOISSON_HARVEST_CONNECT_TIMEOUT_SECS",
            &mut h.connect_timeout_secs,
        )?;
        env_parse(
            env,
            "MOISSON_HARVEST_MAX_DOCUMENT_BYTES",
            &mut h.max_document_bytes,
        )?;
        env_parse(env, "MOISSON_HARVEST_RETRIES", &mut h.retries)?;
        env_parse(env, "MOISSON_HARVEST_CONCURRENCY", &mut h.concurrency)?;
        if let Some(v) = env.get("MOISSON_HARVEST_PROXY") {
            h.proxy = Some(v.clone()).filter(|p| !p.is_empty());
        }
        env_parse(
            env,
            "MOISSON_HARVEST_PER_HOST_CONCURRENCY",
            &mut h.per_host_concurrency,
        )?;
        env_parse(env, "MOISSON_HARVEST_MAX_JOB_SECS", &mut h.max_job_secs)?;
        env_parse(
            env,
            "MOISSON_HARVEST_MAX_RETRY_WAIT_SECS",
            &mut h.max_retry_wait_secs,
        )?;
        env_parse(env, "MOISSON_HARVEST_MAX_REDIRECTS", &mut h.max_redirects)?;
        env_parse(env, "MOISSON_HARVEST_CHECK_LINKS", &mut h.check_links)?;
        env_parse(
            env,
            "MOISSON_HARVEST_ALLOW_PRIVATE_ADDRESSES",
            &mut h.allow_private_addresses,
        )?;
        env_parse(
            env,
            "MOISSON_HARVEST_MAX_NESTING_DEPTH",
            &mut h.max_nesting_depth,
        )?;
        env_parse(
            env,
            "MOISSON_HARVEST_MAX_LITERAL_BYTES",
            &mut h.max_literal_bytes,
        )?;
        env_parse(
            env,
            "MOISSON_HARVEST_MAX_EXPANSION_RATIO",
            &mut h.max_expansion_ratio,
        )?;
        if !(8..=4096).contains(&h.max_nesting_depth) {
            bail!("harvest.max_nesting_depth must be between 8 and 4096");
        }
        if h.max_literal_bytes < 1024 {
            bail!("harvest.max_literal_bytes must be at least 1024");
        }
        if h.max_expansion_ratio == 0 {
            bail!("harvest.max_expansion_ratio must be at least 1");
        }
        if h.concurrency == 0 {
            bail!("harvest.concurrency must be at least 1");
        }
        if h.per_host_concurrency == 0 {
            bail!("harvest.per_host_concurrency must be at least 1");
        }
        let ui = ui_settings(file.ui, &data_dir, env)?;
        let mut sc = file.scheduler;
        env_parse(env, "MOISSON_SCHEDULER_ENABLED", &mut sc.enabled)?;
        env_parse(env, "MOISSON_SCHEDULER_JITTER_SECS", &mut sc.jitter_secs)?;
        env_parse(env, "MOISSON_SCHEDULER_CATCH_UP", &mut sc.catch_up)?;
        env_parse(
            env,
            "MOISSON_SCHEDULER_SHUTDOWN_GRACE_SECS",
            &mut sc.shutdown_grace_secs,
        )?;
        let mut seen = HashSet::new();
        let mut sources = Vec::with_capacity(file.sources.len());
        for s in file.sources {
            let source = source_from_section(s)?;
            if !seen.insert(source.id.clone()) {
                bail!("source {}: duplicate id", source.id);
            }
            sources.push(source);
        }
        let admin_token = env
            .get(&server.admin_token_env)
            .filter(|t| !t.is_empty())
            .cloned();
        let fetch = FetchOptions {
            connect_timeout_secs: h.connect_timeout_secs,
            timeout_secs: h.timeout_secs,
            max_document_bytes: h.max_document_bytes,
            retries: h.retries,
            proxy: h.proxy,
            max_retry_wait_secs: h.max_retry_wait_secs,
            max_redirects: h.max_redirects,
            allow_private_addresses: h.allow_private_addresses,
            ..FetchOptions::default()
        };
        let harvest = HarvestOptions {
            max_pages: h.max_pages,
            grace_period_days: h.grace_period_days,
            max_job_secs: h.max_job_secs,
            limits: ParseLimits {
                max_nesting_depth: h.max_nesting_depth,
                max_literal_bytes: h.max_literal_bytes,
                max_expansion_ratio: h.max_expansion_ratio,
            },
            ..HarvestOptions::default()
        };
        Ok(Self {
            ui,
            data_dir,
            bind: server.bind,
            admin_token,
            fetch,
            harvest,
            concurrency: h.concurrency,
            per_host_concurrency: h.per_host_concurrency,
            check_links: h.check_links,
            scheduler: SchedulerOptions {
                enabled: sc.enabled,
                jitter_secs: sc.jitter_secs,
                catch_up: sc.catch_up,
                shutdown_grace_secs: sc.shutdown_grace_secs,
            },
            sources,
            sparql: crate::api::sparql::SparqlLimits {
                timeout: std::time::Duration::from_secs(server.sparql_timeout_secs),
                max_results: server.sparql_max_results,
                memory_mb: server.sparql_memory_mb,
                enabled: server.sparql,
                ..crate::api::sparql::SparqlLimits::with_concurrency(server.sparql_concurrency)
            },
            search_cache_entries: server.search_cache_entries,
            connections: crate::http_server::ConnectionLimits {
                header_timeout: std::time::Duration::from_secs(server.header_timeout_secs),
                max_connections: server.max_connections,
            },
            public_url,
            validator,
        })
    }
}

/// Applies the overrides of the `[server]` limits and checks them; returns the public URL.
/// Validates one `[[source]]` (the configuration file's, or one the admin API is given):
/// errors name the source and the key at fault.
pub fn source_from_section(s: SourceSection) -> anyhow::Result<Source> {
    let id = SourceId::new(s.id.clone()).with_context(|| format!("source {:?}", s.id))?;
    let protocol = match s.protocol.as_str() {
        "dcat" => Protocol::Dcat,
        "csw" => Protocol::Csw,
        other => bail!("source {id}: unknown protocol {other:?} (expected dcat or csw)"),
    };
    let parsed = url::Url::parse(&s.url)
        .map_err(|e| anyhow!("source {id}: invalid url {:?}: {e}", s.url))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        bail!("source {id}: url must be http or https, got {:?}", s.url);
    }
    if let Some(schedule) = &s.schedule {
        parse_schedule(schedule).map_err(|e| anyhow!("source {id}: {e}"))?;
    }
    let csw_output_schema = match s.csw_output_schema.as_deref() {
        None | Some("iso19139") => CswOutputSchema::Iso19139,
        Some("dcat") => CswOutputSchema::Dcat,
        Some(other) => {
            bail!("source {id}: unknown csw_output_schema {other:?} (expected iso19139 or dcat)")
        }
    };
    let csw_constraint = s.csw_constraint.filter(|c| !c.trim().is_empty());
    if protocol != Protocol::Csw && (s.csw_output_schema.is_some() || csw_constraint.is_some()) {
        bail!("source {id}: csw_output_schema and csw_constraint need protocol = \"csw\"");
    }
    if let Some(c) = csw_constraint.as_deref().map(str::trim) {
        if c.starts_with('<') && !c.ends_with('>') {
            bail!("source {id}: csw_constraint looks like xml but does not end with '>'");
        }
    }
    Ok(Source {
        id,
        name: s.name,
        url: s.url,
        protocol,
        schedule: s.schedule,
        publisher_kind: s.publisher_kind,
        territory: s.territory,
        csw_output_schema,
        csw_constraint,
    })
}

fn server_limits(
    server: &mut ServerSection,
    env: &BTreeMap<String, String>,
) -> anyhow::Result<crate::PublicUrl> {
    env_parse(
        env,
        "MOISSON_SERVER_SPARQL_CONCURRENCY",
        &mut server.sparql_concurrency,
    )?;
    env_parse(
        env,
        "MOISSON_SERVER_SPARQL_MEMORY_MB",
        &mut server.sparql_memory_mb,
    )?;
    env_parse(env, "MOISSON_SERVER_SPARQL", &mut server.sparql)?;
    env_parse(
        env,
        "MOISSON_SERVER_HEADER_TIMEOUT_SECS",
        &mut server.header_timeout_secs,
    )?;
    env_parse(
        env,
        "MOISSON_SERVER_MAX_CONNECTIONS",
        &mut server.max_connections,
    )?;
    if let Some(v) = env.get("MOISSON_SERVER_PUBLIC_URL") {
        server.public_url = Some(v.clone()).filter(|u| !u.is_empty());
    }
    if server.sparql_concurrency == 0 || server.sparql_concurrency > 1024 {
        bail!("server.sparql_concurrency must be between 1 and 1024");
    }
    if !(64..=1024 * 1024).contains(&server.sparql_memory_mb) {
        bail!("server.sparql_memory_mb must be between 64 and 1048576");
    }
    if server.header_timeout_secs == 0 {
        bail!("server.header_timeout_secs must be at least 1");
    }
    if server.max_connections == 0
        || server.max_connections > crate::http_server::MAX_MAX_CONNECTIONS
    {
        bail!(
            "server.max_connections must be between 1 and {}",
            crate::http_server::MAX_MAX_CONNECTIONS
        );
    }
    match &server.public_url {
        Some(url) => crate::PublicUrl::new(url).map_err(|e| anyhow!("server.public_url: {e}")),
        None => Ok(crate::PublicUrl::from_bind(&server.bind)),
    }
}

/// Parses a 6-field cron expression (sec min hour dom mon dow), saying what is wrong.
pub fn parse_schedule(expression: &str) -> anyhow::Result<cron::Schedule> {
    let fields = expression.split_whitespace().count();
    if fields != 6 {
        bail!(
            "schedule {expression:?} must have 6 fields (sec min hour dom mon dow), found {fields}"
        );
    }
    expression
        .parse::<cron::Schedule>()
        .map_err(|e| anyhow!("schedule {expression:?} is not a valid cron expression: {e}"))
}

/// Validates `[ui]` with its `MOISSON_UI_*` overrides.
fn ui_settings(
    mut ui: UiSection,
    data_dir: &std::path::Path,
    env: &BTreeMap<String, String>,
) -> anyhow::Result<UiSettings> {
    if let Some(v) = env.get("MOISSON_UI_DESIGN") {
        ui.design = Some(v.clone());
    }
    if let Some(v) = env.get("MOISSON_UI_DSFR_DIR") {
        ui.dsfr_dir = Some(PathBuf::from(v));
    }
    env_parse(env, "MOISSON_UI_DSFR_LOGO", &mut ui.dsfr_logo)?;
    let dsfr = match ui.design.as_deref() {
        None | Some("moisson") => false,
        Some("dsfr") => true,
        Some(other) => bail!("ui.design = {other:?}: expected \"moisson\" or \"dsfr\""),
    };
    Ok(UiSettings {
        dsfr,
        dsfr_dir: ui.dsfr_dir.unwrap_or_else(|| data_dir.join("dsfr")),
        dsfr_logo: ui.dsfr_logo,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_config_parses() {
        let text = include_str!("../../moisson.example.toml");
        let config = Config::load(text, &BTreeMap::new()).expect("example config is valid");
        assert!(config.sources.len() >= 3);
    }

    /// Every key has its environment override, and both are documented: the example
    /// configuration names every key, the README every variable.
    #[test]
    fn every_override_is_documented() {
        let example = include_str!("../../moisson.example.toml");
        let readme = include_str!("../../README.md");
        for var in ENV_VARS {
            assert!(readme.contains(var), "README.md does not mention {var}");
            let key = var
                .trim_start_matches("MOISSON_")
                .splitn(2, '_')
                .last()
                .unwrap_or_default()
                .to_ascii_lowercase();
            if *var != "MOISSON_DATA_DIR" {
                assert!(
                    example.contains(&format!("{key} =")),
                    "moisson.example.toml does not document `{key}` ({var})"
                );
            }
        }
    }

    /// The keys a serde struct reads, as its `Deserialize` implementation lists them (the
    /// struct itself, not a copy of its field names that could drift).
    fn keys_of<'de, T: Deserialize<'de>>() -> Vec<&'static str> {
        struct Keys(Vec<&'static str>);
        #[derive(Debug)]
        struct Stop;
        impl std::fmt::Display for Stop {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("keys read")
            }
        }
        impl std::error::Error for Stop {}
        impl serde::de::Error for Stop {
            fn custom<M: std::fmt::Display>(_: M) -> Self {
                Stop
            }
        }
        impl<'de> serde::Deserializer<'de> for &mut Keys {
            type Error = Stop;
            fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
                Err(Stop)
            }
            fn deserialize_struct<V: serde::de::Visitor<'de>>(
                self,
                _: &'static str,
                fields: &'static [&'static str],
                _: V,
            ) -> Result<V::Value, Stop> {
                self.0.extend_from_slice(fields);
                Err(Stop)
            }
            serde::forward_to_deserialize_any! {
                bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
                byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map
                enum identifier ignored_any
            }
        }
        let mut keys = Keys(Vec::new());
        let _ = T::deserialize(&mut keys);
        keys.0
    }

    /// Every key of `moisson.toml` but the sources has its `MOISSON_*` override, in the one
    /// list, named after its path (and the README's list is that list: see above).
    #[test]
    fn every_configuration_key_has_its_environment_override() {
        let mut expected: Vec<String> = Vec::new();
        for key in keys_of::<ConfigFile>() {
            match key {
                "data_dir" => expected.push("MOISSON_DATA_DIR".into()),
                "source" => {}
                section => {
                    let fields = match section {
                        "server" => keys_of::<ServerSection>(),
                        "harvest" => keys_of::<HarvestSection>(),
                        "scheduler" => keys_of::<SchedulerSection>(),
                        "validator" => keys_of::<ValidatorSection>(),
                        "ui" => keys_of::<UiSection>(),
                        other => panic!("a new section [{other}]: list its keys here"),
                    };
                    assert!(!fields.is_empty(), "[{section}] has keys");
                    for field in fields {
                        expected.push(format!("MOISSON_{section}_{field}").to_ascii_uppercase());
                    }
                }
            }
        }
        let mut listed: Vec<String> = ENV_VARS.iter().map(|v| (*v).to_owned()).collect();
        expected.sort();
        listed.sort();
        assert_eq!(expected, listed, "configuration keys vs ENV_VARS");
    }

    #[test]
    fn ui_design_defaults_to_moisson_and_is_overridden_by_env() {
        let config = Config::load("data_dir = \"/d\"\n", &BTreeMap::new()).expect("valid");
        assert_eq!(
            config.ui,
            UiSettings {
                dsfr: false,
                dsfr_dir: PathBuf::from("/d/dsfr"),
                dsfr_logo: false
            }
        );
        let text = "[ui]\ndesign = \"dsfr\"\ndsfr_dir = \"/x\"\n";
        let config = Config::load(text, &BTreeMap::new()).expect("valid");
        assert!(config.ui.dsfr && !config.ui.dsfr_logo);
        assert_eq!(config.ui.dsfr_dir, PathBuf::from("/x"));
        let env = BTreeMap::from([
            ("MOISSON_UI_DESIGN".to_owned(), "moisson".to_owned()),
            ("MOISSON_UI_DSFR_DIR".to_owned(), "/y".to_owned()),
            ("MOISSON_UI_DSFR_LOGO".to_owned(), "true".to_owned()),
        ]);
        let config = Config::load(text, &env).expect("valid");
        assert!(!config.ui.dsfr && config.ui.dsfr_logo);
        assert_eq!(config.ui.dsfr_dir, PathBuf::from("/y"));
        let err = Config::load("[ui]\ndesign = \"bootstrap\"\n", &BTreeMap::new())
            .expect_err("unknown design");
        assert!(err.to_string().contains("ui.design"), "{err}");
    }

    #[test]
    fn env_overrides_keys_by_path() {
        let env = BTreeMap::from([
            ("MOISSON_DATA_DIR".to_owned(), "/tmp/x".to_owned()),
            ("MOISSON_SERVER_BIND".to_owned(), "0.0.0.0:9".to_owned()),
            (
                "MOISSON_HARVEST_GRACE_PERIOD_DAYS".to_owned(),
                "3".to_owned(),
            ),
            ("TOKEN".to_owned(), "s3cret".to_owned()),
        ]);
        let c = Config::load("[server]\nadmin_token_env = \"TOKEN\"\n", &env).expect("valid");
        assert_eq!(c.data_dir, PathBuf::from("/tmp/x"));
        assert_eq!(c.bind, "0.0.0.0:9");
        assert_eq!(c.harvest.grace_period_days, 3);
        assert_eq!(c.admin_token.as_deref(), Some("s3cret"));
        assert_eq!(c.public_url.as_str(), "http://localhost:9");
    }

    #[test]
    fn server_limits_have_safe_defaults_and_overrides() {
        let c = Config::load("", &BTreeMap::new()).expect("valid");
        assert_eq!(c.sparql.memory_mb, crate::api::sparql::DEFAULT_MEMORY_MB);
        assert!(c.sparql.enabled, "SPARQL is on by default");
        assert_eq!(
            c.sparql.slots.available_permits(),
            crate::api::sparql::DEFAULT_CONCURRENCY
        );
        assert_eq!(
            c.connections,
            crate::http_server::ConnectionLimits::default()
        );
        assert_eq!(c.public_url.as_str(), "http://127.0.0.1:8080");
        let env = BTreeMap::from([
            (
                "MOISSON_SERVER_SPARQL_CONCURRENCY".to_owned(),
                "3".to_owned(),
            ),
            (
                "MOISSON_SERVER_SPARQL_MEMORY_MB".to_owned(),
                "256".to_owned(),
            ),
            (
                "MOISSON_SERVER_HEADER_TIMEOUT_SECS".to_owned(),
                "4".to_owned(),
            ),
            ("MOISSON_SERVER_MAX_CONNECTIONS".to_owned(), "99".to_owned()),
            ("MOISSON_SERVER_SPARQL".to_owned(), "false".to_owned()),
            (
                "MOISSON_SERVER_PUBLIC_URL".to_owned(),
                "https://moisson.example.fr/".to_owned(),
            ),
        ]);
        let c = Config::load("", &env).expect("valid");
        assert_eq!(c.sparql.slots.available_permits(), 3);
        assert!(
            !c.sparql.enabled,
            "MOISSON_SERVER_SPARQL=false turns SPARQL off"
        );
        let on = Config::load("[server]\nsparql = true\n", &BTreeMap::new()).expect("valid");
        assert!(on.sparql.enabled);
        assert_eq!(c.sparql.memory_mb, 256);
        assert_eq!(c.connections.header_timeout.as_secs(), 4);
        assert_eq!(c.connections.max_connections, 99);
        assert_eq!(c.public_url.as_str(), "https://moisson.example.fr");
        for bad in [
            "[server]\nsparql_concurrency = 0\n",
            "[server]\nsparql_memory_mb = 1\n",
            "[server]\nheader_timeout_secs = 0\n",
            "[server]\nmax_connections = 0\n",
            "[server]\npublic_url = \"javascript:alert(1)\"\n",
        ] {
            assert!(Config::load(bad, &BTreeMap::new()).is_err(), "{bad}");
        }
    }

    #[test]
    fn parse_limits_have_safe_defaults_and_env_overrides() {
        let c = Config::load("", &BTreeMap::new()).expect("valid");
        assert_eq!(c.harvest.limits, ParseLimits::default());
        let env = BTreeMap::from([
            (
                "MOISSON_HARVEST_MAX_NESTING_DEPTH".to_owned(),
                "32".to_owned(),
            ),
            (
                "MOISSON_HARVEST_MAX_LITERAL_BYTES".to_owned(),
                "4096".to_owned(),
            ),
            (
                "MOISSON_HARVEST_MAX_EXPANSION_RATIO".to_owned(),
                "3".to_owned(),
            ),
        ]);
        let c = Config::load(
            "[harvest]
max_nesting_depth = 100
",
            &env,
        )
        .expect("valid");
        assert_eq!(
            c.harvest.limits,
            ParseLimits {
                max_nesting_depth: 32,
                max_literal_bytes: 4096,
                max_expansion_ratio: 3,
            }
        );
        for bad in [
            "[harvest]\nmax_nesting_depth = 100000\n",
            "[harvest]\nmax_literal_bytes = 10\n",
            "[harvest]\nmax_expansion_ratio = 0\n",
        ] {
            let err = Config::load(bad, &BTreeMap::new()).expect_err(bad);
            assert!(format!("{err:#}").contains("harvest.max_"), "{err:#}");
        }
    }

    #[test]
    fn bad_configs_say_what_and_where() {
        let err = Config::load(
            "[[source]]\nid = \"DDT 29\"\nname = \"x\"\nurl = \"http://a\"\n",
            &BTreeMap::new(),
        )
        .expect_err("invalid id");
        assert!(format!("{err:#}").contains("invalid source id"), "{err:#}");
        let err = Config::load("colour = 1\n", &BTreeMap::new()).expect_err("unknown key");
        assert!(format!("{err:#}").contains("unknown field"), "{err:#}");
        let err = Config::load(
            "[[source]]\nid = \"a\"\nname = \"x\"\nurl = \"http://a\"\nschedule = \"0 3 * * *\"\n",
            &BTreeMap::new(),
        )
        .expect_err("5 fields");
        assert!(format!("{err:#}").contains("6 fields"), "{err:#}");
        let err = Config::load(
            "[[source]]\nid = \"ddt-29\"\nname = \"x\"\nurl = \"http://a\"\nschedule = \"0 61 3 * * *\"\n",
            &BTreeMap::new(),
        )
        .expect_err("minute 61");
        let text = format!("{err:#}");
        assert!(
            text.contains("source ddt-29") && text.contains("not a valid cron expression"),
            "{text}"
        );
        let err = Config::load(
            "[[source]]\nid = \"a\"\nname = \"x\"\nurl = \"http://a\"\nprotocol = \"csw\"\ncsw_output_schema = \"gmd\"\n",
            &BTreeMap::new(),
        )
        .expect_err("unknown schema");
        assert!(format!("{err:#}").contains("csw_output_schema"), "{err:#}");
        let err = Config::load(
            "[[source]]\nid = \"a\"\nname = \"x\"\nurl = \"http://a\"\ncsw_constraint = \"Type = 'dataset'\"\n",
            &BTreeMap::new(),
        )
        .expect_err("constraint on a dcat source");
        assert!(format!("{err:#}").contains("protocol = \"csw\""), "{err:#}");
    }

    #[test]
    fn public_url_defaults_to_the_bind_address_and_is_checked() {
        let c = Config::load("", &BTreeMap::new()).expect("valid");
        assert_eq!(c.public_url.as_str(), "http://127.0.0.1:8080");
        let c = Config::load(
            "[server]\npublic_url = \"https://moisson.example.fr/\"\n",
            &BTreeMap::new(),
        )
        .expect("valid");
        assert_eq!(c.public_url.as_str(), "https://moisson.example.fr");
        let env = BTreeMap::from([(
            "MOISSON_SERVER_PUBLIC_URL".to_owned(),
            "https://guichet.example.org".to_owned(),
        )]);
        let c = Config::load("", &env).expect("valid");
        assert_eq!(c.public_url.as_str(), "https://guichet.example.org");
        let err = Config::load(
            "[server]\npublic_url = \"javascript:alert(1)\"\n",
            &BTreeMap::new(),
        )
        .expect_err("not http");
        assert!(format!("{err:#}").contains("server.public_url"), "{err:#}");
    }

    #[test]
    fn csw_sources_read_schema_and_constraint() {
        let c = Config::load(
            "[[source]]\nid = \"a\"\nname = \"x\"\nurl = \"http://a/csw\"\nprotocol = \"csw\"\ncsw_output_schema = \"dcat\"\ncsw_constraint = \"OrganisationName = 'DDT 24'\"\n[[source]]\nid = \"b\"\nname = \"y\"\nurl = \"http://a/csw\"\nprotocol = \"csw\"\n",
            &BTreeMap::new(),
        )
        .expect("valid");
        assert_eq!(c.sources[0].csw_output_schema, CswOutputSchema::Dcat);
        assert_eq!(
            c.sources[0].csw_constraint.as_deref(),
            Some("OrganisationName = 'DDT 24'")
        );
        assert_eq!(c.sources[1].csw_output_schema, CswOutputSchema::Iso19139);
        assert_eq!(c.sources[1].csw_constraint, None);
    }
}
