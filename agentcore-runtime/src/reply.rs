//! What an entrypoint answers: JSON, or a stream of JSON items sent as server-sent events.

use std::fmt;

use axum::body::Bytes;
use axum::http::StatusCode;
use futures::stream::{BoxStream, Stream, StreamExt};
use serde::Serialize;
use serde_json::{Value, json};

/// An entrypoint's answer.
///
/// - [`Reply::json`] (or a [`Value`] / `String` via `From`): `200`, `application/json`;
/// - [`Reply::with_status`]: the same with another status code (e.g. `400` for a payload the
///   entrypoint rejects);
/// - [`Reply::stream`] / [`Reply::try_stream`]: `200`, `text/event-stream`, one
///   `data: <json>\n\n` event per item.
pub struct Reply {
    pub(crate) kind: ReplyKind,
}

pub(crate) enum ReplyKind {
    Json { status: StatusCode, body: Bytes },
    Stream(BoxStream<'static, Value>),
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ReplyKind::Json { status, body } => f
                .debug_struct("Reply::Json")
                .field("status", status)
                .field("bytes", &body.len())
                .finish(),
            ReplyKind::Stream(_) => f.write_str("Reply::Stream"),
        }
    }
}

fn to_json_bytes<T: Serialize>(value: &T) -> Bytes {
    match serde_json::to_vec(value) {
        Ok(v) => Bytes::from(v),
        Err(e) => {
            tracing::warn!(error = %e, "failed to serialize the reply");
            Bytes::from(
                json!({ "error": "Serialization failed", "details": e.to_string() }).to_string(),
            )
        }
    }
}

fn to_value<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "failed to serialize a stream item");
        json!({ "error": "Serialization failed", "details": e.to_string() })
    })
}

impl Reply {
    /// A `200` JSON answer.
    pub fn json<T: Serialize>(value: T) -> Reply {
        Reply::with_status(StatusCode::OK, value)
    }

    /// A JSON answer with another status code.
    pub fn with_status<T: Serialize>(status: StatusCode, value: T) -> Reply {
        Reply {
            kind: ReplyKind::Json {
                status,
                body: to_json_bytes(&value),
            },
        }
    }

    /// A streamed answer: each item becomes one server-sent event `data: <json>`.
    ///
    /// The stream is polled inside the invocation's request context.
    pub fn stream<S, T>(stream: S) -> Reply
    where
        S: Stream<Item = T> + Send + 'static,
        T: Serialize,
    {
        Reply {
            kind: ReplyKind::Stream(stream.map(|item| to_value(&item)).boxed()),
        }
    }

    /// A streamed answer that may fail: items are sent as in [`Reply::stream`]; the first
    /// `Err(e)` is sent as the event `{"error": e.to_string(), "error_type": "StreamError",
    /// "message": "An error occurred during streaming"}` and ends the stream (as the Python SDK
    /// does).
    pub fn try_stream<S, T, E>(stream: S) -> Reply
    where
        S: Stream<Item = Result<T, E>> + Send + 'static,
        T: Serialize,
        E: fmt::Display,
    {
        let items = stream.scan(false, |done, item| {
            if *done {
                return std::future::ready(None);
            }
            let value = match item {
                Ok(v) => to_value(&v),
                Err(e) => {
                    *done = true;
                    tracing::error!(error = %e, "error in streamed reply");
                    json!({
                        "error": e.to_string(),
                        "error_type": "StreamError",
                        "message": "An error occurred during streaming",
                    })
                }
            };
            std::future::ready(Some(value))
        });
        Reply {
            kind: ReplyKind::Stream(items.boxed()),
        }
    }
}

impl From<Value> for Reply {
    fn from(value: Value) -> Self {
        Reply::json(value)
    }
}

impl From<String> for Reply {
    fn from(value: String) -> Self {
        Reply::json(value)
    }
}

impl From<&str> for Reply {
    fn from(value: &str) -> Self {
        Reply::json(value)
    }
}

/// One server-sent event: `data: <json>\n\n`.
pub(crate) fn sse_event(item: &Value) -> Bytes {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(b"data: ");
    // Compact JSON never contains a newline, so one `data:` line carries the whole item.
    out.extend_from_slice(item.to_string().as_bytes());
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}
