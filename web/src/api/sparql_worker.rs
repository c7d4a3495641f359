//! SPARQL queries evaluated in worker processes: `moisson sparql-worker`, a hidden
//! subcommand of the same binary, kept in a small pool by the server.
//!
//! Why a process: query text can ask for unbounded work that no check inside the
//! evaluator reliably stops (a string doubled by chained `BIND(CONCAT(?x, ?x))` reaches a
//! gigabyte in thirty steps; a join over values never reads a quad, so never sees the
//! cancellation token; a deeply nested query can exhaust the parser's stack). A process
//! can be capped and killed whatever it does.
//!
//! Why a pool: opening a store costs a new process a noticeable start (RocksDB's files and
//! caches), while a selective query evaluates in milliseconds. A worker therefore answers query after query, and the
//! server keeps at most `sparql_concurrency` of them idle between queries.
//!
//! Invariants:
//! - The server never parses or evaluates query text: only a worker does.
//! - A worker caps its data segment (heap) at `[server] sparql_memory_mb` and disables
//!   core files before it reads any query; before each query it sets its CPU-time soft
//!   limit to what it has used plus the query's time limit plus one second (then the
//!   kernel kills it). An allocation past the budget aborts the worker, never the server.
//! - The server kills a worker at its query's deadline (wall time), when the client goes
//!   away (the child is killed on drop), and when the worker answers out of protocol; a
//!   killed or dead worker is never reused. The server reads at most the memory budget of
//!   answer, so it grows by at most `sparql_concurrency` answers of `sparql_memory_mb`.
//! - Freshness: a worker opens the SPARQL store (`moisson_catalog::SparqlStore`, beside
//!   the record store) read-only when it starts, so it sees the graphs synced at that
//!   moment. The server syncs that store before handing out a query; each worker is
//!   stamped with the SPARQL store's generation at spawn, and a worker whose stamp is not
//!   the current generation is never given a query (it is retired, and a fresh one
//!   replaces it).
//! - At most `sparql_concurrency` workers are busy (the query slots) plus at most as many
//!   idle or starting; idle workers are retired after [`IDLE_LIFETIME`], and every worker
//!   after [`MAX_QUERIES_PER_WORKER`] queries or when it answered a store error.
//! - A warm worker stays ready: when a busy worker leaves the pool for any reason but a
//!   full pool (killed at its deadline or on client drop, dead, retired after its
//!   queries, its memory or a store error), a replacement is started in the background
//!   and joins the idle ones only once it has opened the store (its ready line), so the
//!   next query does not pay the start. Replacements start one at a time (the first
//!   is ready after one start even after a burst of kills). A query that finds no idle
//!   worker while
//!   replacements are starting waits for the first ready one (until its deadline)
//!   rather than starting yet another process. Idle expiry gives memory back: no
//!   replacement.
//!
//! Protocol (pipes): once it has opened the store, a worker writes [`READY_LINE`]. Then
//! for each query the server writes one JSON line (the [`WorkerRequest`]). The worker writes one JSON line (the [`WorkerReply`]) then `body_bytes`
//! bytes of answer, and waits for the next request; it exits when its stdin closes.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use moisson_catalog::resident::cpu_ticks_of_stat;
use moisson_catalog::SparqlStore;
use oxigraph::sparql::CancellationToken;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Read, Write};
use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

use super::sparql::{evaluate, timeout_error, Answer, ProtocolRequest, SparqlLimits};
use crate::error::ApiError;

/// The hidden subcommand the worker runs as.
pub const SUBCOMMAND: &str = "sparql-worker";

/// What a worker writes once, when it has opened the store and can answer at once.
const READY_LINE: &[u8] = b"{\"ready\":true}\n";
/// Longest a replacement worker may take to open the store before it is given up.
const START_LIMIT: Duration = Duration::from_secs(120);

/// Time a worker gets past the query's deadline to report (a timeout, or the answer it
/// was writing) before it is killed.
const GRACE: Duration = Duration::from_millis(500);
/// An idle worker is retired after this long without a query (its memory is given back).
pub const IDLE_LIFETIME: Duration = Duration::from_secs(600);
/// A worker is retired after this many queries (heap fragmentation stays bounded).
pub const MAX_QUERIES_PER_WORKER: u32 = 500;
/// How often the pool replaces idle workers left behind by a new registry generation.
const MAINTENANCE_PERIOD: Duration = Duration::from_secs(1);
/// Longest reply or request line.
const MAX_HEAD_BYTES: u64 = 64 * 1024;

/// What the server asks a worker.
#[derive(Debug, Serialize, Deserialize)]
struct WorkerRequest {
    request: ProtocolRequest,
    /// The client's `Accept` header, for content negotiation.
    accept: Option<String>,
    timeout_millis: u64,
    max_results: usize,
}

/// What a worker answers, before the answer's bytes.
#[derive(Debug, Serialize, Deserialize)]
struct WorkerReply {
    status: u16,
    /// The answer's media type (success), or the error code.
    code: String,
    /// The error message (failure).
    message: String,
    /// Length of the answer that follows this line.
    body_bytes: u64,
}

/// The worker's command line: `moisson sparql-worker --store DIR --memory-mb N`.
#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    /// The store folder, opened read-only.
    #[arg(long)]
    store: PathBuf,
    /// Data segment limit, in MiB.
    #[arg(long)]
    memory_mb: u64,
}

/// How to start SPARQL workers, and the pool of those started: `{program} sparql-worker
/// --store {store_dir} …`. Clones share the pool.
#[derive(Debug, Clone)]
pub struct SparqlWorker {
    pool: Arc<WorkerPool>,
}

impl SparqlWorker {
    /// Workers of `program` over `store`'s folder `store_dir`, keeping at most
    /// `max_idle` idle between queries (0: one new process per query, as before the
    /// pool). Must be called inside a tokio runtime: it starts the pool's maintenance
    /// task, which replaces idle workers as soon as `store`'s registry changes.
    pub fn new(program: PathBuf, store_dir: PathBuf, sparql: SparqlStore, max_idle: usize) -> Self {
        let pool = Arc::new(WorkerPool {
            program,
            store_dir,
            sparql,
            max_idle,
            idle: Mutex::new(Vec::new()),
            starting: AtomicUsize::new(0),
            ready: tokio::sync::Notify::new(),
            start_gate: tokio::sync::Semaphore::new(1),
            started: AtomicU64::new(0),
            replaced: AtomicU64::new(0),
        });
        if max_idle > 0 {
            tokio::spawn(maintain(Arc::downgrade(&pool)));
        }
        Self { pool }
    }

    /// Worker processes started so far (a metric, and a test's way to see reuse).
    pub fn workers_started(&self) -> u64 {
        self.pool.started.load(Ordering::Relaxed)
    }

    /// Workers idle in the pool now.
    pub fn workers_idle(&self) -> usize {
        self.pool.idle.lock().map(|idle| idle.len()).unwrap_or(0)
    }

    /// Replacement workers started in the background so far (a metric).
    pub fn workers_replaced(&self) -> u64 {
        self.pool.replaced.load(Ordering::Relaxed)
    }
}

struct WorkerPool {
    program: PathBuf,
    store_dir: PathBuf,
    /// The server's SPARQL store: its generation says which workers are current.
    sparql: SparqlStore,
    max_idle: usize,
    /// Workers waiting for a query: ready, except those the maintenance task just started
    /// for a new generation.
    idle: Mutex<Vec<Worker>>,
    /// Replacements started and not yet ready; `idle.len() + starting` never exceeds
    /// `max_idle` (both change under the `idle` lock).
    starting: AtomicUsize,
    /// Woken when a worker joins the idle ones or a replacement gives up.
    ready: tokio::sync::Notify,
    /// Replacements start one at a time.
    start_gate: tokio::sync::Semaphore,
    started: AtomicU64,
    replaced: AtomicU64,
}

impl std::fmt::Debug for WorkerPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerPool")
            .field("program", &self.program)
            .field("store_dir", &self.store_dir)
            .field("max_idle", &self.max_idle)
            .finish_non_exhaustive()
    }
}

/// One running worker process and what the server knows of it.
#[derive(Debug)]
struct Worker {
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    stdout: tokio::io::BufReader<tokio::process::ChildStdout>,
    /// The SPARQL store's generation when it started (what it can see).
    generation: u64,
    /// Its data segment limit, MiB.
    memory_mb: u64,
    /// Whether its ready line was read.
    ready: bool,
    served: u32,
    idle_since: Instant,
}

impl WorkerPool {
    /// An idle worker of `generation` and `memory_mb`; else, while replacements are
    /// starting, the first of them ready (until `deadline`): it has already done part of
    /// its start, and starting one more would only share the cores with it; else a new
    /// one.
    async fn checkout(
        &self,
        generation: u64,
        memory_mb: u64,
        deadline: Instant,
    ) -> Result<Worker, ApiError> {
        loop {
            let ready = self.ready.notified();
            tokio::pin!(ready);
            // Registered before looking, so a worker that joins meanwhile wakes it.
            ready.as_mut().enable();
            if let Some(worker) = self.take_idle(generation, memory_mb)? {
                return Ok(worker);
            }
            if self.starting.load(Ordering::Relaxed) == 0
                || tokio::time::timeout_at(deadline.into(), ready)
                    .await
                    .is_err()
            {
                return self.spawn(generation, memory_mb);
            }
        }
    }

    /// An idle worker of `generation` and `memory_mb`, if any; idle workers of another
    /// generation are retired on the way.
    fn take_idle(&self, generation: u64, memory_mb: u64) -> Result<Option<Worker>, ApiError> {
        let mut stale = Vec::new();
        let found = {
            let mut idle = self.idle.lock().map_err(|_| unavailable())?;
            let mut found = None;
            while let Some(worker) = idle.pop() {
                if worker.generation == generation
                    && worker.memory_mb == memory_mb
                    && worker.idle_since.elapsed() < IDLE_LIFETIME
                {
                    found = Some(worker);
                    break;
                }
                stale.push(worker);
            }
            found
        };
        stale.into_iter().for_each(retire);
        Ok(found)
    }

    /// Gives back a worker that answered within protocol; it stays only while it can see
    /// the current generation and there is room.
    fn checkin(self: &Arc<Self>, mut worker: Worker, generation: u64, reusable: bool) {
        worker.served += 1;
        worker.idle_since = Instant::now();
        // A worker whose heap grew past half its budget would leave the next query
        // little room: it is replaced.
        let resident = worker.child.id().and_then(resident_mib).unwrap_or(u64::MAX);
        let keep = reusable
            && worker.generation == generation
            && worker.served < MAX_QUERIES_PER_WORKER
            && resident < worker.memory_mb / 2;
        if !keep {
            let memory_mb = worker.memory_mb;
            retire(worker);
            self.replace(memory_mb);
            return;
        }
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() + self.starting.load(Ordering::Relaxed) < self.max_idle {
                idle.push(worker);
                drop(idle);
                self.ready.notify_waiters();
                return;
            }
        }
        retire(worker);
    }

    /// Starts a replacement for a worker that left the pool, in the background, when
    /// there is room for one more idle worker; it joins the idle ones once ready.
    fn replace(self: &Arc<Self>, memory_mb: u64) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        {
            let Ok(idle) = self.idle.lock() else { return };
            if idle.len() + self.starting.load(Ordering::Relaxed) >= self.max_idle {
                return;
            }
            self.starting.fetch_add(1, Ordering::Relaxed);
        }
        let pool = Arc::clone(self);
        runtime.spawn(async move {
            // One start at a time: after many kills at once (a burst of timeouts), the
            // first replacement is ready after one start, not after all of them.
            let gate = pool.start_gate.acquire().await;
            let generation = pool.sparql.generation();
            let worker = match pool.spawn(generation, memory_mb) {
                Ok(mut worker) => {
                    pool.replaced.fetch_add(1, Ordering::Relaxed);
                    match tokio::time::timeout(START_LIMIT, wait_ready(&mut worker)).await {
                        Ok(true) => Some(worker),
                        _ => {
                            retire(worker);
                            None
                        }
                    }
                }
                Err(_) => None,
            };
            let Ok(mut idle) = pool.idle.lock() else {
                return;
            };
            pool.starting.fetch_sub(1, Ordering::Relaxed);
            if let Some(worker) = worker {
                // A harvest committed while it started: the maintenance task replaces
                // stale idle workers, so it may join anyway.
                if idle.len() < pool.max_idle {
                    idle.push(worker);
                } else {
                    drop(idle);
                    retire(worker);
                }
            }
            drop(gate);
            // Queries waiting for it take it, or start their own if it failed.
            pool.ready.notify_waiters();
        });
    }

    fn spawn(&self, generation: u64, memory_mb: u64) -> Result<Worker, ApiError> {
        let mut child = tokio::process::Command::new(&self.program)
            .arg(SUBCOMMAND)
            .arg("--store")
            .arg(&self.store_dir)
            .arg("--memory-mb")
            .arg(memory_mb.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                tracing::error!(error = %e, program = %self.program.display(), "cannot start a sparql worker");
                unavailable()
            })?;
        self.started.fetch_add(1, Ordering::Relaxed);
        let stdin = child.stdin.take().ok_or_else(unavailable)?;
        let stdout = child.stdout.take().ok_or_else(unavailable)?;
        Ok(Worker {
            child,
            stdin,
            stdout: tokio::io::BufReader::new(stdout),
            generation,
            memory_mb,
            ready: false,
            served: 0,
            idle_since: Instant::now(),
        })
    }
}

/// Resident size of process `pid`, MiB.
fn resident_mib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib / 1024)
}

/// Reads a worker's ready line; false when it died or wrote anything else.
async fn wait_ready(worker: &mut Worker) -> bool {
    if worker.ready {
        return true;
    }
    let mut line = Vec::new();
    let read = (&mut worker.stdout)
        .take(READY_LINE.len() as u64)
        .read_until(b'\n', &mut line)
        .await;
    worker.ready = read.is_ok() && line == READY_LINE;
    worker.ready
}

/// Stops a worker and reaps it in the background (outside a runtime, dropping the child
/// kills it).
fn retire(worker: Worker) {
    let Worker { mut child, .. } = worker;
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(async move {
            let _ = child.kill().await;
        });
    }
}

/// A worker checked out for one query. Unless given back to the pool, it is killed when
/// the lease drops (an error, a deadline, or the client going away drops the query's
/// future) and a replacement starts in the background.
struct Lease {
    pool: Arc<WorkerPool>,
    worker: Option<Worker>,
}

impl Lease {
    fn worker(&mut self) -> &mut Worker {
        self.worker
            .as_mut()
            .expect("a lease holds its worker until it drops")
    }

    /// Gives the worker back after a reply within protocol.
    fn give_back(mut self, generation: u64, reusable: bool) {
        if let Some(worker) = self.worker.take() {
            self.pool.checkin(worker, generation, reusable);
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(worker) = self.worker.take() {
            let memory_mb = worker.memory_mb;
            retire(worker);
            self.pool.replace(memory_mb);
        }
    }
}

/// Every [`MAINTENANCE_PERIOD`] while the pool lives: idle workers that outlived
/// [`IDLE_LIFETIME`] are retired; idle workers of an older generation are replaced by
/// fresh ones, so the first query after a harvest does not pay a worker's start.
async fn maintain(pool: Weak<WorkerPool>) {
    let mut tick = tokio::time::interval(MAINTENANCE_PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(pool) = pool.upgrade() else { return };
        let generation = pool.sparql.generation();
        let (expired, outdated) = {
            let Ok(mut idle) = pool.idle.lock() else {
                return;
            };
            let (keep, old): (Vec<Worker>, Vec<Worker>) =
                std::mem::take(&mut *idle).into_iter().partition(|w| {
                    w.idle_since.elapsed() < IDLE_LIFETIME && w.generation >= generation
                });
            *idle = keep;
            old.into_iter()
                .partition::<Vec<Worker>, _>(|w| w.idle_since.elapsed() >= IDLE_LIFETIME)
        };
        let replace: Vec<u64> = outdated.iter().map(|w| w.memory_mb).collect();
        expired.into_iter().chain(outdated).for_each(retire);
        for memory_mb in replace {
            match pool.spawn(generation, memory_mb) {
                Ok(worker) => {
                    let Ok(mut idle) = pool.idle.lock() else {
                        return;
                    };
                    // Not ready yet, but no idle worker of this generation is: the
                    // next query waits for its ready line rather than a whole start.
                    if idle.len() + pool.starting.load(Ordering::Relaxed) < pool.max_idle {
                        idle.push(worker);
                    } else {
                        drop(idle);
                        retire(worker);
                    }
                }
                Err(_) => break,
            }
        }
    }
}

/// Evaluates `request` in a worker of the pool that sees the store's current registry
/// generation; the caller holds a query slot.
pub(crate) async fn evaluate_in_worker(
    worker: &SparqlWorker,
    sync: impl FnOnce() -> Result<(), ApiError> + Send + 'static,
    limits: &SparqlLimits,
    headers: &HeaderMap,
    request: ProtocolRequest,
) -> Result<Answer, ApiError> {
    let deadline = Instant::now() + limits.timeout;
    // The SPARQL store first catches up with the last harvest (nothing to do most times).
    tokio::task::spawn_blocking(sync).await??;
    // Read before the worker is chosen: a sync finishing meanwhile makes the worker look
    // older than it is (retired early), never newer.
    let generation = worker.pool.sparql.generation();
    let pool = &worker.pool;
    let mut lease = Lease {
        pool: Arc::clone(pool),
        worker: Some(
            pool.checkout(generation, limits.memory_mb, deadline)
                .await?,
        ),
    };
    let process = lease.worker();
    let head = WorkerRequest {
        request,
        accept: headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        timeout_millis: u64::try_from(limits.timeout.as_millis()).unwrap_or(u64::MAX),
        max_results: limits.max_results,
    };
    let outcome =
        tokio::time::timeout_at((deadline + GRACE).into(), exchange(process, &head, limits)).await;
    // Every way out but a reply drops the lease: the worker is killed (and reaped) at
    // once, so it stops using a core, and a replacement starts.
    match outcome {
        Ok(Ok((reply, body))) => {
            let answer = answer_of(reply, body);
            // A worker that could not read the store may hold files compacted away since
            // it started: the next query gets a fresh one.
            let reusable = !matches!(&answer, Err(e) if e.parts().0.is_server_error());
            lease.give_back(generation, reusable);
            answer
        }
        Ok(Err(Exchange::Refused(err))) => Err(err),
        Ok(Err(Exchange::Broken)) => {
            // The worker died (memory, stack, CPU time) or broke the protocol.
            let status = tokio::time::timeout(Duration::from_secs(2), lease.worker().child.wait())
                .await
                .ok()
                .and_then(Result::ok);
            Err(died(status, limits))
        }
        Err(_) => Err(timeout_error(limits)),
    }
}

/// Why an exchange with a worker ended without a reply.
enum Exchange {
    /// The answer is over the budget: the worker is retired, the client told why.
    Refused(ApiError),
    /// The pipe closed or the worker wrote something out of protocol.
    Broken,
}

/// Sends the request and reads one reply (at most the memory budget of answer).
async fn exchange(
    worker: &mut Worker,
    head: &WorkerRequest,
    limits: &SparqlLimits,
) -> Result<(WorkerReply, Vec<u8>), Exchange> {
    let mut line = serde_json::to_vec(head).map_err(|_| Exchange::Broken)?;
    line.push(b'\n');
    // The worker reads the whole request before it writes anything: no pipe can fill up
    // on both sides.
    let write = async {
        worker.stdin.write_all(&line).await?;
        worker.stdin.flush().await
    };
    write.await.map_err(|_| Exchange::Broken)?;
    if !wait_ready(worker).await {
        return Err(Exchange::Broken);
    }
    let mut head = Vec::new();
    (&mut worker.stdout)
        .take(MAX_HEAD_BYTES)
        .read_until(b'\n', &mut head)
        .await
        .map_err(|_| Exchange::Broken)?;
    if head.last() != Some(&b'\n') {
        return Err(Exchange::Broken);
    }
    let reply: WorkerReply = serde_json::from_slice(&head).map_err(|_| Exchange::Broken)?;
    if reply.body_bytes > limits.max_answer_bytes() {
        return Err(Exchange::Refused(too_large(limits)));
    }
    let mut body = vec![0; usize::try_from(reply.body_bytes).map_err(|_| Exchange::Broken)?];
    worker
        .stdout
        .read_exact(&mut body)
        .await
        .map_err(|_| Exchange::Broken)?;
    Ok((reply, body))
}

/// Turns a worker's reply into the answer or the error it reports.
fn answer_of(reply: WorkerReply, body: Vec<u8>) -> Result<Answer, ApiError> {
    if reply.status == 200 {
        let media_type = known_media_type(&reply.code).ok_or_else(unavailable)?;
        return Ok(Answer { media_type, body });
    }
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    Err(ApiError::with_status(
        status,
        known_code(&reply.code),
        reply.message,
    ))
}

/// A worker that died without a reply ran out of memory, stack or CPU time.
fn died(status: Option<std::process::ExitStatus>, limits: &SparqlLimits) -> ApiError {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        // SIGXCPU (24) or SIGKILL at the hard limit: the CPU time limit.
        if matches!(status.and_then(|s| s.signal()), Some(24 | 9)) {
            return timeout_error(limits);
        }
    }
    tracing::warn!(
        ?status,
        "sparql worker died without answering (memory budget)"
    );
    ApiError::with_status(
        StatusCode::SERVICE_UNAVAILABLE,
        "memory_limit",
        format!(
            "the query needed more than the memory budget of {} MiB: narrow it",
            limits.memory_mb
        ),
    )
}

fn too_large(limits: &SparqlLimits) -> ApiError {
    ApiError::with_status(
        StatusCode::SERVICE_UNAVAILABLE,
        "memory_limit",
        format!(
            "the answer is larger than the memory budget of {} MiB: add a LIMIT or narrow it",
            limits.memory_mb
        ),
    )
}

fn unavailable() -> ApiError {
    ApiError::with_status(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "the SPARQL endpoint is unavailable",
    )
}

/// Media types a worker may answer with (the ones `/sparql` offers).
fn known_media_type(name: &str) -> Option<&'static str> {
    super::sparql::MEDIA_TYPES
        .iter()
        .copied()
        .find(|m| *m == name)
}

/// Error codes a worker may report; anything else is `internal`.
fn known_code(code: &str) -> &'static str {
    const CODES: [&str; 8] = [
        "invalid_input",
        "forbidden",
        "timeout",
        "not_acceptable",
        "unavailable",
        "internal",
        "memory_limit",
        "not_found",
    ];
    CODES
        .iter()
        .copied()
        .find(|c| *c == code)
        .unwrap_or("internal")
}

/// Runs the worker: caps itself, opens the store, then answers requests from stdin on
/// stdout until stdin closes.
pub fn run_worker(args: &WorkerArgs) -> ExitCode {
    if let Err(e) = cap_memory(args.memory_mb) {
        eprintln!("error: sparql worker: setting resource limits: {e}");
        return ExitCode::FAILURE;
    }
    // Opened before the first request arrives: a pooled worker is warm when asked.
    let store = SparqlStore::open_read_only(&SparqlStore::dir_of(&args.store));
    if let Err(e) = &store {
        tracing::error!(error = %e, "sparql worker: cannot open the SPARQL store");
    }
    let watchdog = Watchdog::start();
    let mut stdin = std::io::stdin().lock();
    let mut stdout = std::io::stdout().lock();
    // Ready even when the store failed to open: each query is then answered `unavailable`
    // and the worker is not reused.
    if stdout
        .write_all(READY_LINE)
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    loop {
        let head = match read_request(&mut stdin) {
            Ok(Some(head)) => head,
            Ok(None) => return ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: sparql worker: {e}");
                return ExitCode::FAILURE;
            }
        };
        let answer = match &store {
            Ok(store) => answer_one(store, head, &watchdog),
            Err(_) => Err(unavailable()),
        };
        if write_reply(&mut stdout, answer).is_err() {
            return ExitCode::FAILURE;
        }
    }
}

/// Reads one request; `None` at the end of input.
fn read_request(input: &mut impl BufRead) -> Result<Option<WorkerRequest>, String> {
    let mut line = Vec::new();
    input
        .take(MAX_HEAD_BYTES)
        .read_until(b'\n', &mut line)
        .map_err(|e| format!("reading a request: {e}"))?;
    if line.is_empty() {
        return Ok(None);
    }
    let head: WorkerRequest =
        serde_json::from_slice(&line).map_err(|e| format!("bad request line: {e}"))?;
    Ok(Some(head))
}

fn write_reply(out: &mut impl Write, answer: Result<Answer, ApiError>) -> std::io::Result<()> {
    let (reply, body) = match answer {
        Ok(answer) => (
            WorkerReply {
                status: 200,
                code: answer.media_type.to_owned(),
                message: String::new(),
                body_bytes: answer.body.len() as u64,
            },
            answer.body,
        ),
        Err(err) => {
            let (status, code, message) = err.parts();
            (
                WorkerReply {
                    status: status.as_u16(),
                    code: code.to_owned(),
                    message: message.to_owned(),
                    body_bytes: 0,
                },
                Vec::new(),
            )
        }
    };
    serde_json::to_writer(&mut *out, &reply).map_err(std::io::Error::other)?;
    out.write_all(b"\n")?;
    out.write_all(&body)?;
    out.flush()
}

/// Evaluates one query with its CPU budget and deadline.
fn answer_one(
    sparql: &SparqlStore,
    head: WorkerRequest,
    watchdog: &Watchdog,
) -> Result<Answer, ApiError> {
    let started = Instant::now();
    let limits = SparqlLimits {
        timeout: Duration::from_millis(head.timeout_millis),
        max_results: head.max_results,
        ..SparqlLimits::default()
    };
    let cpu_secs = limits.timeout.as_secs_f64().ceil() as u64 + 1;
    set_cpu_budget(cpu_secs).map_err(|e| {
        tracing::error!(error = %e, "sparql worker: cannot set the CPU limit");
        unavailable()
    })?;
    let deadline = started + limits.timeout;
    let token = CancellationToken::new();
    watchdog.arm(deadline, token.clone());
    let mut headers = HeaderMap::new();
    if let Some(accept) = head.accept.and_then(|a| HeaderValue::from_str(&a).ok()) {
        headers.insert(header::ACCEPT, accept);
    }
    let answer = evaluate(sparql, &head.request, &headers, &limits, token, deadline);
    watchdog.disarm();
    answer
}

/// Caps the data segment and core files of this process.
fn cap_memory(memory_mb: u64) -> std::io::Result<()> {
    let bytes = memory_mb.saturating_mul(1024 * 1024);
    rlimit::setrlimit(rlimit::Resource::CORE, 0, 0)?;
    rlimit::setrlimit(rlimit::Resource::DATA, bytes, bytes)
}

/// Lets this process use `secs` more seconds of CPU time: the soft limit moves to what
/// it has used plus `secs` (the kernel sends SIGXCPU there, which ends the process); the
/// hard limit stays where it was, so the next query can move the soft one again.
fn set_cpu_budget(secs: u64) -> std::io::Result<()> {
    let (_, hard) = rlimit::getrlimit(rlimit::Resource::CPU)?;
    let soft = cpu_seconds_used()?.saturating_add(secs).min(hard);
    rlimit::setrlimit(rlimit::Resource::CPU, soft, hard)
}

/// CPU time this process has used (user + system), rounded up to the second, from
/// `/proc/self/stat` (fields 14 and 15, in clock ticks; Linux fixes USER_HZ at 100 for
/// user space).
fn cpu_seconds_used() -> std::io::Result<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    cpu_ticks_of_stat(&stat)
        .map(|ticks| ticks.div_ceil(100))
        .ok_or_else(|| std::io::Error::other("unreadable /proc/self/stat"))
}

/// One thread that cancels the running query at its deadline (a thread per query would
/// pile up in a worker that answers thousands).
struct Watchdog {
    armed: Arc<Armed>,
}

/// The deadline and token of the running query, if any, and the watchdog's wake-up call.
type Armed = (Mutex<Option<(Instant, CancellationToken)>>, Condvar);

impl Watchdog {
    fn start() -> Self {
        let armed: Arc<Armed> = Arc::default();
        let shared = armed.clone();
        std::thread::spawn(move || {
            let (lock, wake) = &*shared;
            let Ok(mut guard) = lock.lock() else { return };
            loop {
                let wait = match guard.as_ref() {
                    None => None,
                    Some((deadline, token)) => {
                        let left = deadline.saturating_duration_since(Instant::now());
                        if left.is_zero() {
                            token.cancel();
                            *guard = None;
                            continue;
                        }
                        Some(left)
                    }
                };
                guard = match wait {
                    None => match wake.wait(guard) {
                        Ok(g) => g,
                        Err(_) => return,
                    },
                    Some(left) => match wake.wait_timeout(guard, left) {
                        Ok((g, _)) => g,
                        Err(_) => return,
                    },
                };
            }
        });
        Self { armed }
    }

    fn arm(&self, deadline: Instant, token: CancellationToken) {
        self.set(Some((deadline, token)));
    }

    fn disarm(&self) {
        self.set(None);
    }

    fn set(&self, value: Option<(Instant, CancellationToken)>) {
        let (lock, wake) = &*self.armed;
        if let Ok(mut guard) = lock.lock() {
            *guard = value;
        }
        wake.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, code: &str) -> WorkerReply {
        WorkerReply {
            status,
            code: code.into(),
            message: "m".into(),
            body_bytes: 0,
        }
    }

    #[test]
    fn replies_map_to_answers_and_errors() {
        let answer = answer_of(reply(200, "text/csv"), b"n\r\n5".to_vec()).expect("an answer");
        assert_eq!(answer.media_type, "text/csv");
        assert_eq!(answer.body, b"n\r\n5");
        let err = answer_of(reply(400, "invalid_input"), Vec::new())
            .err()
            .expect("an error");
        assert_eq!(err.parts().0, StatusCode::BAD_REQUEST);
        // A made-up media type or code is not passed on.
        assert!(answer_of(reply(200, "text/html"), b"<script>".to_vec()).is_err());
        let err = answer_of(reply(400, "whatever"), Vec::new())
            .err()
            .expect("an error");
        assert_eq!(err.parts().1, "internal");
        // No reply at all: the worker died.
        let err = died(None, &SparqlLimits::default());
        assert_eq!(err.parts().1, "memory_limit");
    }

    #[test]
    fn requests_are_read_one_after_another() {
        let first = WorkerRequest {
            request: ProtocolRequest {
                query: Some("ASK {}".into()),
                ..ProtocolRequest::default()
            },
            accept: None,
            timeout_millis: 1000,
            max_results: 10,
        };
        let mut input = serde_json::to_vec(&first).unwrap();
        input.push(b'\n');
        let mut second = serde_json::to_vec(&WorkerRequest {
            request: ProtocolRequest::default(),
            accept: Some("text/csv".into()),
            timeout_millis: 5,
            max_results: 1,
        })
        .unwrap();
        second.push(b'\n');
        input.extend_from_slice(&second);
        let mut reader = std::io::BufReader::new(&input[..]);
        let one = read_request(&mut reader).unwrap().unwrap();
        assert_eq!(one.request.query.as_deref(), Some("ASK {}"));
        let two = read_request(&mut reader).unwrap().unwrap();
        assert_eq!(two.accept.as_deref(), Some("text/csv"));
        assert!(read_request(&mut reader).unwrap().is_none(), "end of input");
        // A line that is not a request stops the worker.
        assert!(read_request(&mut std::io::BufReader::new(&b"nope\n"[..])).is_err());
    }

    #[test]
    fn cpu_ticks_are_read_after_the_command_name() {
        let stat = "4242 (moisson (a) b) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 37 0 0 20 0 9 0";
        assert_eq!(cpu_ticks_of_stat(stat), Some(287));
        assert_eq!(cpu_ticks_of_stat("garbage"), None);
        assert!(cpu_seconds_used().is_ok());
    }

    #[test]
    fn the_watchdog_cancels_at_the_deadline_and_not_after_disarm() {
        let watchdog = Watchdog::start();
        let token = CancellationToken::new();
        watchdog.arm(Instant::now() + Duration::from_millis(30), token.clone());
        std::thread::sleep(Duration::from_millis(300));
        assert!(token.is_cancelled());
        let spared = CancellationToken::new();
        watchdog.arm(Instant::now() + Duration::from_millis(50), spared.clone());
        watchdog.disarm();
        std::thread::sleep(Duration::from_millis(200));
        assert!(!spared.is_cancelled());
    }
}
