//! The HTTP/1.1 server loop of `moisson serve` and `moisson demo`: accepts connections up
//! to a cap and closes those that are slow to send a request.
//!
//! Invariants:
//! - At most [`ConnectionLimits::max_connections`] connections are open at once: past it,
//!   new connections wait in the kernel's accept queue (no file descriptor of ours) until
//!   one closes.
//! - A connection that has not sent a whole request head within
//!   [`ConnectionLimits::header_timeout`] (a half-written request, or an idle keep-alive
//!   connection) is closed, so idle connections cannot hold the cap for long; a request's
//!   body and answer are bounded by the application's own timeout layer.
//! - On shutdown, the loop stops accepting, open connections finish their request in
//!   flight and close, and the loop returns once none is left.

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// Limits on the connections of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time a connection has to send a whole request head (`[server] header_timeout_secs`).
    pub header_timeout: Duration,
    /// Connections open at once (`[server] max_connections`).
    pub max_connections: usize,
}

/// Default of `[server] header_timeout_secs`.
pub const DEFAULT_HEADER_TIMEOUT_SECS: u64 = 10;
/// Default of `[server] max_connections`: well under the usual 1,024 open files per
/// process, which the store needs too.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
/// Largest `[server] max_connections`.
pub const MAX_MAX_CONNECTIONS: usize = 1_000_000;

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(DEFAULT_HEADER_TIMEOUT_SECS),
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// Pause after a failed accept (out of file descriptors…), so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves `router` on `listener` within `limits` until `shutdown` completes, then waits
/// for the open connections to finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send,
) {
    let max = limits.max_connections.clamp(1, MAX_MAX_CONNECTIONS);
    let slots = Arc::new(Semaphore::new(max));
    let stop = CancellationToken::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = stream;
        let _ = stream.set_nodelay(true);
        // The client's address, for per-client limits (the validator's).
        let service = router
            .clone()
            .layer(axum::Extension(crate::api::validate::ClientAddr(peer.ip())));
        let connection =
            builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let stop = stop.clone();
        tokio::spawn(async move {
            let _slot = slot;
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                () = stop.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
    stop.cancel();
    let all = u32::try_from(max).expect("max_connections is capped well under u32::MAX");
    let _ = slots.acquire_many(all).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn health(addr: std::net::SocketAddr) -> String {
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(b"GET /h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.expect("read");
        answer
    }

    #[tokio::test]
    async fn slow_connections_are_closed_and_capped() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let router = Router::new().route("/h", axum::routing::get(|| async { "ok" }));
        let limits = ConnectionLimits {
            header_timeout: Duration::from_millis(300),
            max_connections: 4,
        };
        let stop = CancellationToken::new();
        let server = tokio::spawn(serve(
            listener,
            router,
            limits,
            stop.clone().cancelled_owned(),
        ));
        // Four half-written requests take every slot…
        let mut idle = Vec::new();
        for _ in 0..4 {
            let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
            s.write_all(b"GET /h HTTP/1.1\r\nHost:")
                .await
                .expect("send");
            idle.push(s);
        }
        // …until the header timeout closes them: then a request is answered.
        let started = std::time::Instant::now();
        let answer = tokio::time::timeout(Duration::from_secs(5), health(addr))
            .await
            .expect("answered once the slow connections are closed");
        assert!(
            answer.contains("200 OK") && answer.ends_with("ok"),
            "{answer}"
        );
        assert!(
            started.elapsed() >= Duration::from_millis(200),
            "the cap held"
        );
        for mut s in idle {
            let mut buf = [0u8; 64];
            // Closed by the server (EOF, or a 408 then EOF).
            let read = tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf)).await;
            assert!(read.is_ok(), "a slow connection stayed open");
        }
        stop.cancel();
        tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .expect("stops")
            .expect("task");
    }
}
