//! Workload access tokens: `wat2.<base64url(nonce ‖ ChaCha20-Poly1305(claims))>`, sealed with a key
//! derived from the master key: opaque to their holder, unforgeable, expiring, bound to a
//! workload identity's incarnation and (optionally) a user. A token issued ForJWT carries the
//! user's JWT inside (sealed), as the subject token of a later ON_BEHALF_OF_TOKEN_EXCHANGE, so the
//! service stores nothing per token.
//!
//! User JWTs are checked by `jwt.rs`; this module only seals and opens tokens.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::secret::Sensitive;
use crate::time::Time;

const PREFIX: &str = "wat2.";
/// Longest token the service hands out: the modelled maximum of `workloadIdentityToken`.
pub(crate) const MAX_TOKEN_LEN: usize = 131_072;

/// What a workload access token says.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Claims {
    /// Workload identity name.
    pub(crate) wn: String,
    /// The incarnation of the workload identity it was issued for.
    pub(crate) inc: String,
    /// The user the token acts for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) sub: Option<String>,
    /// The user JWT it was issued for (ForJWT only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) jwt: Option<Sensitive>,
    pub(crate) iat: Time,
    pub(crate) exp: Time,
    pub(crate) jti: String,
}

fn cipher(key: &[u8; 32]) -> ChaCha20Poly1305 {
    ChaCha20Poly1305::new(Key::from_slice(key))
}

/// Who a token is issued to.
#[derive(Debug)]
pub(crate) struct Subject<'a> {
    pub(crate) workload: &'a str,
    pub(crate) incarnation: &'a str,
    pub(crate) user: Option<&'a str>,
    pub(crate) jwt: Option<&'a str>,
}

/// Issues a token; `None` when it would be longer than [`MAX_TOKEN_LEN`] (a huge user JWT).
pub(crate) fn issue(key: &[u8; 32], who: Subject<'_>, ttl: Duration) -> Option<String> {
    let now = Time::now();
    let claims = Claims {
        wn: who.workload.to_string(),
        inc: who.incarnation.to_string(),
        sub: who.user.map(str::to_string),
        jwt: who.jwt.map(Sensitive::new),
        iat: now,
        exp: now + ttl,
        jti: uuid::Uuid::new_v4().simple().to_string(),
    };
    let mut plain = serde_json::to_vec(&claims).expect("claims serialize");
    let mut nonce = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let sealed = cipher(key).encrypt(
        Nonce::from_slice(&nonce),
        Payload {
            msg: &plain,
            aad: PREFIX.as_bytes(),
        },
    );
    zeroize::Zeroize::zeroize(&mut plain);
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed.expect("sealing never fails"));
    let token = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(out));
    (token.len() <= MAX_TOKEN_LEN).then_some(token)
}

/// Opens a token and checks its expiry. Forged, tampered or expired tokens are refused with
/// [`Error::Denied`].
pub(crate) fn verify(key: &[u8; 32], token: &str) -> Result<Claims, Error> {
    let invalid = || Error::Denied("The workload access token is invalid".into());
    let rest = token.strip_prefix(PREFIX).ok_or_else(invalid)?;
    let bytes = URL_SAFE_NO_PAD.decode(rest).map_err(|_| invalid())?;
    if bytes.len() < 12 {
        return Err(invalid());
    }
    let mut plain = cipher(key)
        .decrypt(
            Nonce::from_slice(&bytes[..12]),
            Payload {
                msg: &bytes[12..],
                aad: PREFIX.as_bytes(),
            },
        )
        .map_err(|_| invalid())?;
    let claims: Result<Claims, _> = serde_json::from_slice(&plain);
    zeroize::Zeroize::zeroize(&mut plain);
    let claims = claims.map_err(|_| invalid())?;
    if claims.exp.is_past() {
        return Err(Error::Denied(
            "The workload access token has expired".into(),
        ));
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who<'a>(jwt: Option<&'a str>) -> Subject<'a> {
        Subject {
            workload: "agent",
            incarnation: "i1",
            user: Some("alice"),
            jwt,
        }
    }

    #[test]
    fn roundtrip_and_forgery() {
        let t = issue(&[1; 32], who(Some("a.b.c")), Duration::from_secs(60)).unwrap();
        assert!(!t.contains("alice") && !t.contains("agent"));
        let c = verify(&[1; 32], &t).unwrap();
        assert_eq!(c.wn, "agent");
        assert_eq!(c.inc, "i1");
        assert_eq!(c.sub.as_deref(), Some("alice"));
        assert_eq!(c.jwt.as_ref().map(Sensitive::expose), Some("a.b.c"));
        assert!(verify(&[2; 32], &t).is_err());
        let mut tampered = t.clone();
        tampered.pop();
        tampered.push(if t.ends_with('A') { 'B' } else { 'A' });
        assert!(verify(&[1; 32], &tampered).is_err());
        let expired = issue(&[1; 32], who(None), Duration::ZERO).unwrap();
        assert!(verify(&[1; 32], &expired).is_err());
        assert!(verify(&[1; 32], "garbage").is_err());
        assert!(verify(&[1; 32], "wat2.AAAA").is_err());
    }

    #[test]
    fn a_token_stays_within_the_modelled_length() {
        let big = "a".repeat(MAX_TOKEN_LEN);
        assert!(issue(&[1; 32], who(Some(&big)), Duration::from_secs(60)).is_none());
    }
}
