//! Workload access tokens: `wat1.<base64url(claims)>.<base64url(HMAC-SHA256)>`, signed with a key derived
//! from the data directory's master key, expiring, bound to a workload identity and (optionally) a user.
//!
//! User JWTs given to GetWorkloadAccessTokenForJWT are decoded, not verified: this emulator has no
//! inbound-authorizer configuration, so it trusts the JWT's `sub` (and refuses a JWT whose `exp` passed).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use std::time::Duration;

use crate::error::Error;
use crate::time::Time;

const PREFIX: &str = "wat1.";

/// What a workload access token says.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Claims {
    /// Workload identity name.
    pub(crate) wn: String,
    /// The user the token acts for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) sub: Option<String>,
    /// Key of the user JWT this token was issued for (table `user_tokens`; ForJWT only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ujt: Option<String>,
    pub(crate) iat: Time,
    pub(crate) exp: Time,
    pub(crate) jti: String,
}

fn mac(key: &[u8]) -> Hmac<Sha256> {
    <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length")
}

/// Issues a token; `user_jwt_ref` is the key of the stored user JWT (ForJWT).
pub(crate) fn issue(
    key: &[u8],
    workload: &str,
    user: Option<&str>,
    user_jwt_ref: Option<&str>,
    ttl: Duration,
) -> String {
    let now = Time::now();
    let claims = Claims {
        wn: workload.to_string(),
        sub: user.map(str::to_string),
        ujt: user_jwt_ref.map(str::to_string),
        iat: now,
        exp: now + ttl,
        jti: uuid::Uuid::new_v4().simple().to_string(),
    };
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).expect("claims serialize"));
    let signed = format!("{PREFIX}{payload}");
    let mut m = mac(key);
    m.update(signed.as_bytes());
    let sig = URL_SAFE_NO_PAD.encode(m.finalize().into_bytes());
    format!("{signed}.{sig}")
}

/// Verifies a token's signature and expiry. Forged or expired tokens are refused with
/// `AccessDeniedException` (403).
pub(crate) fn verify(key: &[u8], token: &str) -> Result<Claims, Error> {
    let invalid = || Error::Denied("The workload access token is invalid".into());
    let rest = token.strip_prefix(PREFIX).ok_or_else(invalid)?;
    let (payload, sig) = rest.split_once('.').ok_or_else(invalid)?;
    let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| invalid())?;
    let mut m = mac(key);
    m.update(PREFIX.as_bytes());
    m.update(payload.as_bytes());
    m.verify_slice(&sig).map_err(|_| invalid())?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).map_err(|_| invalid())?;
    let claims: Claims = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if claims.exp.is_past() {
        return Err(Error::Denied(
            "The workload access token has expired".into(),
        ));
    }
    Ok(claims)
}

/// The `sub` of a user JWT (payload decoded, signature not checked). Refuses an undecodable JWT,
/// one without `sub`, or one whose `exp` is in the past, with `AccessDeniedException`.
pub(crate) fn jwt_subject(jwt: &str) -> Result<String, Error> {
    let invalid = || Error::Denied("The user token is not a valid JWT with a subject".into());
    let mut parts = jwt.split('.');
    let payload = parts.nth(1).ok_or_else(invalid)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| invalid())?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if let Some(exp) = v.get("exp").and_then(serde_json::Value::as_f64)
        && Time::from_epoch_secs(exp).is_past()
    {
        return Err(Error::Denied("The user token has expired".into()));
    }
    v.get("sub")
        .and_then(serde_json::Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_forgery() {
        let t = issue(
            b"k1",
            "agent",
            Some("alice"),
            Some("r1"),
            Duration::from_secs(60),
        );
        let c = verify(b"k1", &t).unwrap();
        assert_eq!(c.wn, "agent");
        assert_eq!(c.sub.as_deref(), Some("alice"));
        assert_eq!(c.ujt.as_deref(), Some("r1"));
        assert!(verify(b"k2", &t).is_err());
        let expired = issue(b"k1", "agent", None, None, Duration::ZERO);
        assert!(verify(b"k1", &expired).is_err());
        assert!(verify(b"k1", "garbage").is_err());
    }

    #[test]
    fn jwt_sub() {
        let p = URL_SAFE_NO_PAD.encode(br#"{"sub":"bob","exp":99999999999}"#);
        assert_eq!(jwt_subject(&format!("e30.{p}.sig")).unwrap(), "bob");
        let p = URL_SAFE_NO_PAD.encode(br#"{"sub":"bob","exp":1}"#);
        assert!(jwt_subject(&format!("e30.{p}.sig")).is_err());
    }
}
