//! restJson1 on the wire: request bodies in (size bound, media type, JSON object), answers out
//! (absent rather than null members), pagination tokens.

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::error::ApiError;

/// Largest accepted request body (the largest modelled member, a 128 KiB user token, fits easily).
pub(crate) const MAX_BODY: usize = 1024 * 1024;

/// Per-request context.
#[derive(Debug)]
pub(crate) struct Ctx {
    /// Region from the SigV4 credential scope (or the configured default).
    pub(crate) region: String,
}

/// A success answer.
pub(crate) fn ok(status: u16, body: Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    if status == StatusCode::NO_CONTENT {
        return status.into_response();
    }
    (
        status,
        [("content-type", "application/json")],
        strip_nulls(body).to_string(),
    )
        .into_response()
}

/// Optional members are absent rather than null.
fn strip_nulls(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(strip_nulls).collect()),
        other => other,
    }
}

/// Reads the body (too large → 413) and the media type of its content type.
pub(crate) async fn read_body(
    req: Request,
) -> Result<(Option<String>, axum::body::Bytes), ApiError> {
    let too_large = || ApiError {
        reason: Some("CannotParse"),
        ..ApiError::new(
            413,
            "ValidationException",
            format!("Request body exceeds {MAX_BODY} bytes"),
        )
    };
    if let Some(len) = req
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        && len > MAX_BODY
    {
        return Err(too_large());
    }
    let ct = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    let body: Body = req.into_body();
    let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|e| {
        if agentcore_serve::is_body_timeout(&e) {
            ApiError::new(
                408,
                "RequestTimeoutException",
                "The request body did not arrive in time",
            )
        } else {
            too_large()
        }
    })?;
    Ok((ct, bytes))
}

/// The body as a JSON object: wrong content type → 415, malformed → 400 ValidationException
/// (reason CannotParse). An empty body is `{}`.
pub(crate) fn parse_json(ct: Option<&str>, bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match ct {
        Some("application/json")
        | Some("application/x-amz-json-1.1")
        | Some("application/x-amz-json-1.0") => {}
        other => {
            return Err(ApiError::new(
                415,
                "UnsupportedMediaTypeException",
                format!(
                    "Unsupported content type {:?}; expected application/json",
                    other.unwrap_or("(none)")
                ),
            ));
        }
    }
    json_object(bytes)
}

/// `bytes` as a JSON object (400 ValidationException, reason CannotParse, otherwise).
pub(crate) fn json_object(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::cannot_parse("Request body must be a JSON object")),
        Err(e) => Err(ApiError::cannot_parse(format!(
            "Request body is not valid JSON: {e}"
        ))),
    }
}

/// Encodes a List* nextToken (the key of the next page's first item).
pub(crate) fn encode_next_token(key: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.as_bytes())
}

/// Decodes a List* nextToken.
pub(crate) fn decode_next_token(token: &str) -> Result<String, ApiError> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| ApiError::invalid_field("nextToken", "Invalid pagination token"))
}
