//! Opt-in AWS Signature Version 4 verification (`--verify-sigv4 ACCESS_KEY:SECRET`): one static
//! credential; the request's signature is recomputed (canonical request over the signed headers and
//! the body's SHA-256) and compared; `UNSIGNED-PAYLOAD` is refused. Off by default (then only the
//! header's shape is checked).

use std::fmt;

use axum::http::{HeaderMap, Method, Uri};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use crate::secret::Sensitive;
use crate::time::Time;

/// Largest accepted difference between the request's `x-amz-date` and the clock (AWS: 15 min).
const MAX_SKEW_SECS: i64 = 15 * 60;

/// The one credential requests must be signed with.
#[derive(Clone)]
pub(crate) struct SigV4Key {
    pub(crate) access_key: String,
    pub(crate) secret: Sensitive,
}

impl fmt::Debug for SigV4Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigV4Key")
            .field("access_key", &self.access_key)
            .field("secret", &self.secret)
            .finish()
    }
}

fn err(code: &'static str, msg: &str) -> ApiError {
    ApiError::new(403, code, msg.to_string())
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

/// RFC 3986 unreserved characters stay, everything else is %XX (upper case), as SigV4 wants.
fn uri_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn canonical_query(q: Option<&str>) -> String {
    let Some(q) = q.filter(|q| !q.is_empty()) else {
        return String::new();
    };
    let mut pairs: Vec<(String, String)> = q
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |x: &str| {
                url::form_urlencoded::parse(format!("a={}", x.replace('+', "%2B")).as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            (uri_encode(&dec(k)), uri_encode(&dec(v)))
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Epoch seconds of `YYYYMMDDTHHMMSSZ`.
fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (n(0..4)?, n(4..6)?, n(6..8)?);
    let (h, mi, se) = (n(9..11)?, n(11..13)?, n(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    // days from civil (Howard Hinnant)
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + se)
}

/// Region from `Authorization: AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, ...`.
/// No header: accepted, default region. A header that is not a well-formed SigV4 one: refused.
pub(crate) fn region(headers: &HeaderMap, default: &str) -> Result<String, ApiError> {
    let Some(auth) = headers.get("authorization") else {
        return Ok(default.to_string());
    };
    let bad = || {
        ApiError::new(
            403,
            "IncompleteSignatureException",
            "Authorization header is not a valid AWS Signature Version 4 header",
        )
    };
    let auth = auth.to_str().map_err(|_| bad())?;
    let rest = auth.strip_prefix("AWS4-HMAC-SHA256 ").ok_or_else(bad)?;
    let cred = rest
        .split(',')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("Credential="))
        .ok_or_else(bad)?;
    let parts: Vec<&str> = cred.split('/').collect();
    if parts.len() != 5 || parts[4] != "aws4_request" || parts[2].is_empty() {
        return Err(bad());
    }
    if !rest.contains("Signature=") {
        return Err(bad());
    }
    Ok(parts[2].to_string())
}

/// Verifies the request's SigV4 signature against `key`.
pub(crate) fn verify(
    key: &SigV4Key,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), ApiError> {
    let Some(auth) = headers.get("authorization") else {
        return Err(err(
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        ));
    };
    let incomplete = || {
        err(
            "IncompleteSignatureException",
            "Authorization header is not a valid AWS Signature Version 4 header",
        )
    };
    let auth = auth.to_str().map_err(|_| incomplete())?;
    let rest = auth
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or_else(incomplete)?;
    let field = |name: &str| {
        rest.split(',')
            .map(str::trim)
            .find_map(|p| p.strip_prefix(name))
            .ok_or_else(incomplete)
    };
    let credential = field("Credential=")?;
    let signed_headers = field("SignedHeaders=")?;
    let signature = field("Signature=")?;
    let scope: Vec<&str> = credential.split('/').collect();
    if scope.len() != 5 || scope[4] != "aws4_request" {
        return Err(incomplete());
    }
    if scope[0] != key.access_key {
        return Err(err(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ));
    }
    let amz_date = headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(incomplete)?;
    let when = parse_amz_date(amz_date).ok_or_else(incomplete)?;
    if !amz_date.starts_with(scope[1]) {
        return Err(err(
            "InvalidSignatureException",
            "The credential scope date does not match x-amz-date.",
        ));
    }
    if (when - Time::now().epoch_secs_whole()).abs() > MAX_SKEW_SECS {
        return Err(err(
            "InvalidSignatureException",
            "Signature expired: the request time is more than 15 minutes from the current time.",
        ));
    }
    let names: Vec<&str> = signed_headers.split(';').collect();
    if !names.contains(&"host") {
        return Err(incomplete());
    }
    let mut canonical_headers = String::new();
    for name in &names {
        let values: Vec<String> = headers
            .get_all(*name)
            .iter()
            .map(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    let payload_hash = match headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
    {
        Some(h) => h.to_string(),
        None => hex::encode(Sha256::digest(body)),
    };
    if payload_hash == "UNSIGNED-PAYLOAD" {
        // The SDKs sign JSON bodies; an unsigned body could be swapped under a valid signature.
        return Err(err(
            "InvalidSignatureException",
            "UNSIGNED-PAYLOAD is not accepted: the request body must be signed.",
        ));
    }
    if payload_hash != hex::encode(Sha256::digest(body)) {
        return Err(err(
            "InvalidSignatureException",
            "The x-amz-content-sha256 header does not match the request body.",
        ));
    }
    let path = uri.path();
    let canonical_uri = if path.is_empty() {
        "/".to_string()
    } else {
        path.split('/')
            .map(uri_encode)
            .collect::<Vec<_>>()
            .join("/")
    };
    let canonical_request = format!(
        "{method}\n{canonical_uri}\n{}\n{canonical_headers}\n{signed_headers}\n{payload_hash}",
        canonical_query(uri.query()),
    );
    let scope_str = scope[1..].join("/");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope_str}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );
    let mut k = hmac(
        format!("AWS4{}", key.secret.expose()).as_bytes(),
        scope[1].as_bytes(),
    );
    for part in &scope[2..5] {
        k = hmac(&k, part.as_bytes());
    }
    let expected = hex::encode(hmac(&k, string_to_sign.as_bytes()));
    let same = expected.len() == signature.len()
        && expected
            .bytes()
            .zip(signature.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if !same {
        return Err(err(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amz_date() {
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(1_440_938_160));
        assert_eq!(parse_amz_date("2015-08-30"), None);
    }

    #[test]
    fn encoding() {
        assert_eq!(uri_encode("a b/~"), "a%20b%2F~");
        assert_eq!(canonical_query(Some("b=2&a=1")), "a=1&b=2");
    }
}
