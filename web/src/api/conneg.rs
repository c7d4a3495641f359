//! Content negotiation (`Accept` with q-values), request bodies' encoding, and streamed
//! response bodies, shared by `/catalog`, `/sparql` and `/api/validate`.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, StatusCode};
use std::io::{self, Write};
use tokio::sync::mpsc;

use crate::error::ApiError;

/// Returns the `offered` media type the `Accept` header prefers (ties go to the earlier
/// offer); the first offer when there is no header; `None` when nothing offered is
/// acceptable.
pub fn negotiate<'a>(headers: &HeaderMap, offered: &[&'a str]) -> Option<&'a str> {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty());
    let Some(accept) = accept else {
        return offered.first().copied();
    };
    let ranges: Vec<(String, u16)> = accept.split(',').take(64).filter_map(media_range).collect();
    let mut best: Option<(&str, u16)> = None;
    for &offer in offered {
        let q = quality_of(&ranges, offer);
        if q > 0 && best.is_none_or(|(_, b)| q > b) {
            best = Some((offer, q));
        }
    }
    best.map(|(offer, _)| offer)
}

/// Parses `type/subtype;q=0.5` into the lowercase range and q in thousandths.
fn media_range(part: &str) -> Option<(String, u16)> {
    let mut pieces = part.split(';');
    let range = pieces.next()?.trim().to_ascii_lowercase();
    if !range.contains('/') {
        return None;
    }
    let mut q = 1000;
    for param in pieces {
        if let Some(value) = param.trim().strip_prefix("q=") {
            q = value
                .trim()
                .parse::<f32>()
                .map_or(0, |v| (v.clamp(0.0, 1.0) * 1000.0) as u16);
        }
    }
    Some((range, q))
}

/// The q of the most specific range matching `offer` (exact, then `type/*`, then `*/*`).
fn quality_of(ranges: &[(String, u16)], offer: &str) -> u16 {
    let family = offer.split('/').next().unwrap_or_default();
    let mut best: Option<(u8, u16)> = None;
    for (range, q) in ranges {
        let specificity = if range == offer {
            3
        } else if range.strip_suffix("/*") == Some(family) {
            2
        } else if range == "*/*" {
            1
        } else {
            continue;
        };
        if best.is_none_or(|(s, _)| specificity > s) {
            best = Some((specificity, *q));
        }
    }
    best.map_or(0, |(_, q)| q)
}

/// 406 listing what can be served.
/// Refuses a request body sent compressed (`Content-Encoding` other than `identity`):
/// bodies are read as they come, so a compressed one would otherwise be reported as
/// invalid text or RDF instead of an unsupported encoding.
pub fn identity_body(headers: &HeaderMap) -> Result<(), ApiError> {
    let encodings = headers.get_all(header::CONTENT_ENCODING);
    let mut named = encodings
        .iter()
        .flat_map(|v| v.to_str().unwrap_or("?").split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("identity"));
    match named.next() {
        None => Ok(()),
        Some(encoding) => Err(ApiError::with_status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_encoding",
            format!(
                "request bodies are read uncompressed: Content-Encoding {:?} is not supported",
                encoding.chars().take(40).collect::<String>()
            ),
        )),
    }
}

pub fn not_acceptable(offered: &[&str]) -> ApiError {
    ApiError::with_status(
        StatusCode::NOT_ACCEPTABLE,
        "not_acceptable",
        format!(
            "no acceptable media type; available: {}",
            offered.join(", ")
        ),
    )
}

/// A `Write` that sends what is written, in chunks, to a streamed response body. Writes
/// block while the client is slow (bounded channel) and fail once it has gone.
pub struct BodyWriter {
    tx: mpsc::Sender<Result<Bytes, io::Error>>,
    buffer: Vec<u8>,
}

/// Ends a streamed body with an error, so that the client sees a broken response rather
/// than a truncated one that looks complete.
pub struct BodyAbort(mpsc::Sender<Result<Bytes, io::Error>>);

impl BodyAbort {
    /// Sends the error (nothing happens when the client has gone).
    pub fn fail(self, message: String) {
        let _ = self.0.blocking_send(Err(io::Error::other(message)));
    }
}

const CHUNK_BYTES: usize = 64 * 1024;

impl BodyWriter {
    /// Returns a writer and the body it feeds.
    pub fn channel() -> (Self, Body) {
        let (tx, rx) = mpsc::channel::<Result<Bytes, io::Error>>(4);
        // Fused: the compression layer polls the body once more after its end.
        let stream =
            futures_util::StreamExt::fuse(futures_util::stream::unfold(rx, |mut rx| async move {
                rx.recv().await.map(|chunk| (chunk, rx))
            }));
        let writer = Self {
            tx,
            buffer: Vec::with_capacity(CHUNK_BYTES),
        };
        (writer, Body::from_stream(stream))
    }

    /// Returns a handle that can end the body with an error once this writer has been
    /// handed to a serializer.
    pub fn abort_handle(&self) -> BodyAbort {
        BodyAbort(self.tx.clone())
    }

    fn send_buffer(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(CHUNK_BYTES),
        ));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "client went away"))
    }
}

impl Write for BodyWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK_BYTES {
            self.send_buffer()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send_buffer()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, value.parse().expect("header"));
        headers
    }

    #[test]
    fn compressed_request_bodies_are_refused_by_name() {
        let encoded = |values: &[&str]| {
            let mut headers = HeaderMap::new();
            for v in values {
                headers.append(header::CONTENT_ENCODING, v.parse().expect("header"));
            }
            headers
        };
        assert!(identity_body(&HeaderMap::new()).is_ok());
        assert!(identity_body(&encoded(&["identity"])).is_ok());
        for values in [&["gzip"][..], &["identity, br"], &["identity", "deflate"]] {
            let err = identity_body(&encoded(values)).expect_err("refused");
            assert_eq!(err.parts().0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
            assert_eq!(err.parts().1, "unsupported_encoding");
        }
    }

    #[test]
    fn picks_by_quality_then_specificity_then_offer_order() {
        let offered = ["text/turtle", "application/rdf+xml", "application/ld+json"];
        assert_eq!(negotiate(&HeaderMap::new(), &offered), Some("text/turtle"));
        assert_eq!(
            negotiate(&accept("application/ld+json"), &offered),
            Some("application/ld+json")
        );
        assert_eq!(
            negotiate(&accept("text/turtle;q=0.5, application/rdf+xml"), &offered),
            Some("application/rdf+xml")
        );
        assert_eq!(
            negotiate(&accept("application/*;q=0.9, */*;q=0.1"), &offered),
            Some("application/rdf+xml")
        );
        assert_eq!(negotiate(&accept("*/*"), &offered), Some("text/turtle"));
        assert_eq!(negotiate(&accept("image/png"), &offered), None);
        assert_eq!(
            negotiate(&accept("text/turtle;q=0, */*"), &offered),
            Some("application/rdf+xml")
        );
    }
}
