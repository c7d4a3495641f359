//! SPARQL queries evaluated in a worker process: `moisson sparql-worker`, a hidden
//! subcommand of the same binary, started once per query by the server.
//!
//! Why a process: query text can ask for unbounded work that no check inside the
//! evaluator reliably stops (a string doubled by chained `BIND(CONCAT(?x, ?x))` reaches a
//! gigabyte in thirty steps; a join over values never reads a quad, so never sees the
//! cancellation token; a deeply nested query can exhaust the parser's stack). A process
//! can be capped and killed whatever it does.
//!
//! Invariants:
//! - The server never parses or evaluates query text: only the worker does.
//! - The worker caps itself before it reads the query: data segment (heap) at
//!   `[server] sparql_memory_mb`, CPU time at the query's time limit plus one second
//!   (then the kernel kills it), no core file. An allocation past the budget aborts the
//!   worker, never the server.
//! - The server kills the worker at the query's deadline (wall time), and when the client
//!   goes away (the child is killed on drop); it reads at most the memory budget of
//!   answer. So the server grows by at most `sparql_concurrency` answers of
//!   `sparql_memory_mb` each, and each worker by at most `sparql_memory_mb`.
//! - The worker opens the store read-only as it is when it starts, and the active records
//!   from its registry; the classification graph comes from the server on stdin.
//!
//! Protocol: the server writes one JSON line (the [`WorkerRequest`]) then the
//! classification to the worker's stdin, and closes it. The worker writes one JSON line
//! (the [`WorkerReply`]) then, on success, the answer's bytes, and exits.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use moisson_catalog::CatalogStore;
use moisson_search::SearchIndex;
use oxigraph::sparql::CancellationToken;
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::sparql::{evaluate, timeout_error, Answer, ProtocolRequest, SparqlLimits, SparqlWorker};
use super::sparql_dataset::{active_dataset, classification_of, Classification};
use crate::error::ApiError;

/// The hidden subcommand the worker runs as.
pub const SUBCOMMAND: &str = "sparql-worker";

/// Time a worker gets past the query's deadline to report (a timeout, or the answer it
/// was writing) before it is killed.
const GRACE: Duration = Duration::from_millis(500);

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
}

/// The worker's command line: `moisson sparql-worker --store DIR --memory-mb N --cpu-secs S`.
#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    /// The store folder, opened read-only.
    #[arg(long)]
    store: PathBuf,
    /// Data segment limit, in MiB.
    #[arg(long)]
    memory_mb: u64,
    /// CPU time limit, in seconds.
    #[arg(long)]
    cpu_secs: u64,
}

/// Evaluates `request` in a new worker process; the caller holds a query slot.
pub(crate) async fn evaluate_in_worker(
    worker: &SparqlWorker,
    index: &Arc<SearchIndex>,
    limits: &SparqlLimits,
    headers: &HeaderMap,
    request: ProtocolRequest,
) -> Result<Answer, ApiError> {
    let deadline = Instant::now() + limits.timeout;
    let index = index.clone();
    let classification = tokio::task::spawn_blocking(move || classification_of(&index))
        .await??
        .to_wire();
    let head = WorkerRequest {
        request,
        accept: headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        timeout_millis: u64::try_from(limits.timeout.as_millis()).unwrap_or(u64::MAX),
        max_results: limits.max_results,
    };
    let mut child = spawn(worker, limits)?;
    let outcome = tokio::time::timeout_at(
        (deadline + GRACE).into(),
        exchange(&mut child, &head, &classification, limits),
    )
    .await;
    let (status, output) = match outcome {
        Ok(Ok(done)) => done,
        Ok(Err(err)) => {
            let _ = child.kill().await;
            return Err(err);
        }
        Err(_) => {
            // Kills and reaps: the worker stops using a core now.
            let _ = child.kill().await;
            return Err(timeout_error(limits));
        }
    };
    read_reply(status, &output, limits)
}

fn spawn(worker: &SparqlWorker, limits: &SparqlLimits) -> Result<tokio::process::Child, ApiError> {
    let cpu_secs = limits.timeout.as_secs_f64().ceil() as u64 + 1;
    tokio::process::Command::new(&worker.program)
        .arg(SUBCOMMAND)
        .arg("--store")
        .arg(&worker.store_dir)
        .arg("--memory-mb")
        .arg(limits.memory_mb.to_string())
        .arg("--cpu-secs")
        .arg(cpu_secs.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            tracing::error!(error = %e, program = %worker.program.display(), "cannot start a sparql worker");
            unavailable()
        })
}

/// Sends the request, reads the reply (at most the memory budget of it) and waits for
/// the worker to exit.
async fn exchange(
    child: &mut tokio::process::Child,
    head: &WorkerRequest,
    classification: &Arc<Vec<u8>>,
    limits: &SparqlLimits,
) -> Result<(std::process::ExitStatus, Vec<u8>), ApiError> {
    let mut line = serde_json::to_vec(head).map_err(|_| unavailable())?;
    line.push(b'\n');
    let mut stdin = child.stdin.take().ok_or_else(unavailable)?;
    let stdout = child.stdout.take().ok_or_else(unavailable)?;
    let classification = classification.clone();
    // Written while the reply is read: neither side waits on a full pipe.
    let writer = tokio::spawn(async move {
        // A worker that died early closes the pipe: its exit status tells why.
        if stdin.write_all(&line).await.is_ok() {
            let _ = stdin.write_all(&classification).await;
        }
    });
    let cap = limits.max_answer_bytes().saturating_add(64 * 1024);
    let mut output = Vec::new();
    stdout
        .take(cap.saturating_add(1))
        .read_to_end(&mut output)
        .await
        .map_err(|_| unavailable())?;
    writer.abort();
    if output.len() as u64 > cap {
        return Err(too_large(limits));
    }
    let status = child.wait().await.map_err(|_| unavailable())?;
    Ok((status, output))
}

/// Turns a worker's output into the answer or the error it reports; a worker that died
/// without a reply ran out of memory or CPU time.
fn read_reply(
    status: std::process::ExitStatus,
    output: &[u8],
    limits: &SparqlLimits,
) -> Result<Answer, ApiError> {
    let (head, body) = match output.iter().position(|b| *b == b'\n') {
        Some(end) => (&output[..end], &output[end + 1..]),
        None => (output, &[][..]),
    };
    let Ok(reply) = serde_json::from_slice::<WorkerReply>(head) else {
        return Err(died(status, limits));
    };
    if reply.status == 200 {
        let media_type = known_media_type(&reply.code).ok_or_else(unavailable)?;
        return Ok(Answer {
            media_type,
            body: body.to_vec(),
        });
    }
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    Err(ApiError::with_status(
        status,
        known_code(&reply.code),
        reply.message,
    ))
}

fn died(status: std::process::ExitStatus, limits: &SparqlLimits) -> ApiError {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        // SIGXCPU (24) or SIGKILL at the hard limit: the CPU time limit.
        if matches!(status.signal(), Some(24 | 9)) {
            return timeout_error(limits);
        }
    }
    tracing::warn!(%status, "sparql worker died without answering (memory budget)");
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

/// Runs the worker: caps itself, reads the request from stdin, answers on stdout.
pub fn run_worker(args: &WorkerArgs) -> ExitCode {
    if let Err(e) = cap_resources(args) {
        eprintln!("error: sparql worker: setting resource limits: {e}");
        return ExitCode::FAILURE;
    }
    let started = Instant::now();
    let (status, code, message, body) = match serve_one(&args.store, started) {
        Ok(answer) => (
            200,
            answer.media_type.to_owned(),
            String::new(),
            answer.body,
        ),
        Err(err) => {
            let (status, code, message) = err.parts();
            (
                status.as_u16(),
                code.to_owned(),
                message.to_owned(),
                Vec::new(),
            )
        }
    };
    let reply = WorkerReply {
        status,
        code,
        message,
    };
    let mut stdout = std::io::stdout().lock();
    let written = serde_json::to_writer(&mut stdout, &reply)
        .map_err(std::io::Error::other)
        .and_then(|()| stdout.write_all(b"\n"))
        .and_then(|()| stdout.write_all(&body))
        .and_then(|()| stdout.flush());
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}

/// Caps the data segment, the CPU time and core files of this process.
fn cap_resources(args: &WorkerArgs) -> std::io::Result<()> {
    let bytes = args.memory_mb.saturating_mul(1024 * 1024);
    rlimit::setrlimit(rlimit::Resource::CORE, 0, 0)?;
    rlimit::setrlimit(rlimit::Resource::DATA, bytes, bytes)?;
    rlimit::setrlimit(
        rlimit::Resource::CPU,
        args.cpu_secs,
        args.cpu_secs.saturating_add(1),
    )
}

fn serve_one(store_dir: &Path, started: Instant) -> Result<Answer, ApiError> {
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .map_err(|_| unavailable())?;
    let (head, classification) = match input.iter().position(|b| *b == b'\n') {
        Some(end) => (&input[..end], &input[end + 1..]),
        None => return Err(unavailable()),
    };
    let head: WorkerRequest = serde_json::from_slice(head).map_err(|_| unavailable())?;
    let classification = Classification::from_wire(classification).map_err(|e| {
        tracing::error!(error = %e, "sparql worker: bad classification");
        unavailable()
    })?;
    drop(input);
    let limits = SparqlLimits {
        timeout: Duration::from_millis(head.timeout_millis),
        max_results: head.max_results,
        ..SparqlLimits::default()
    };
    let deadline = started + limits.timeout;
    let token = CancellationToken::new();
    // Cancels the evaluation at the deadline; the process exits without waiting for it.
    let _watchdog = {
        let token = token.clone();
        std::thread::spawn(move || {
            std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
            token.cancel();
        })
    };
    let store = CatalogStore::open_read_only(store_dir)?;
    let dataset = active_dataset(&store, Arc::new(classification))?;
    let mut headers = HeaderMap::new();
    if let Some(accept) = head.accept.and_then(|a| HeaderValue::from_str(&a).ok()) {
        headers.insert(header::ACCEPT, accept);
    }
    evaluate(dataset, &head.request, &headers, &limits, token, deadline)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_map_to_answers_and_errors() {
        let limits = SparqlLimits::default();
        let ok = std::process::ExitStatus::default();
        let answer = read_reply(
            ok,
            b"{\"status\":200,\"code\":\"text/csv\",\"message\":\"\"}\nn\r\n5",
            &limits,
        )
        .expect("an answer");
        assert_eq!(answer.media_type, "text/csv");
        assert_eq!(answer.body, b"n\r\n5");
        let err = read_reply(
            ok,
            b"{\"status\":400,\"code\":\"invalid_input\",\"message\":\"bad\"}\n",
            &limits,
        )
        .err()
        .expect("an error");
        assert_eq!(err.parts().0, StatusCode::BAD_REQUEST);
        // A made-up media type or code is not passed on.
        assert!(read_reply(
            ok,
            b"{\"status\":200,\"code\":\"text/html\",\"message\":\"\"}\n<script>",
            &limits
        )
        .is_err());
        let err = read_reply(
            ok,
            b"{\"status\":400,\"code\":\"whatever\",\"message\":\"m\"}\n",
            &limits,
        )
        .err()
        .expect("an error");
        assert_eq!(err.parts().1, "internal");
        // No reply at all: the worker died.
        let err = read_reply(ok, b"", &limits).err().expect("an error");
        assert_eq!(err.parts().1, "memory_limit");
    }
}
