//! User JWTs (GetWorkloadAccessTokenForJWT, CompleteResourceTokenAuth with `userToken`): whose
//! they are. A JWT with `alg: none` or without a signature is always refused. With trusted
//! issuers ([`TrustedIssuer`], as AgentCore Runtime's custom JWT authorizer has them: discovery
//! URL, allowed audiences, allowed clients) the signature is verified against the issuer's JWKS
//! and the expiry, issuer, audience and client are checked; without them the signature is not
//! checked (the service says so at start). The `sub` is the user; a past `exp` is refused.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, Validation};
use serde_json::Value;

use crate::error::Error;
use crate::idp::Bounded;
use crate::time::Time;

/// An issuer whose user JWTs the service accepts, verified: its OpenID discovery URL, and the
/// audiences (`aud`) and clients (`client_id`, else `azp`) allowed (an empty list allows any).
///
/// On the command line: `--trust-issuer 'DISCOVERY_URL[;audience=A[,A2]][;client=C[,C2]]'`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedIssuer {
    discovery_url: String,
    audiences: Vec<String>,
    clients: Vec<String>,
}

impl TrustedIssuer {
    /// The issuer whose discovery document is at `discovery_url`.
    pub fn new(discovery_url: impl Into<String>) -> Self {
        Self {
            discovery_url: discovery_url.into(),
            audiences: Vec::new(),
            clients: Vec::new(),
        }
    }
    /// Accepts only JWTs whose `aud` holds one of these.
    #[must_use]
    pub fn audiences(mut self, audiences: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.audiences = audiences.into_iter().map(Into::into).collect();
        self
    }
    /// Accepts only JWTs whose `client_id` (else `azp`) is one of these.
    #[must_use]
    pub fn clients(mut self, clients: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.clients = clients.into_iter().map(Into::into).collect();
        self
    }
    /// The discovery URL.
    pub fn discovery_url(&self) -> &str {
        &self.discovery_url
    }
}

/// A `--trust-issuer` value that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedIssuerParseError(String);

impl fmt::Display for TrustedIssuerParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "expected DISCOVERY_URL[;audience=A[,A2]][;client=C[,C2]], got {:?}",
            self.0
        )
    }
}

impl std::error::Error for TrustedIssuerParseError {}

impl FromStr for TrustedIssuer {
    type Err = TrustedIssuerParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || TrustedIssuerParseError(s.to_string());
        let mut parts = s.split(';');
        let url = parts
            .next()
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(bad)?;
        url::Url::parse(url.trim()).map_err(|_| bad())?;
        let mut t = TrustedIssuer::new(url.trim());
        for p in parts {
            let (k, v) = p.split_once('=').ok_or_else(bad)?;
            let list: Vec<String> = v
                .split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect();
            match k.trim() {
                "audience" | "audiences" => t.audiences.extend(list),
                "client" | "clients" => t.clients.extend(list),
                _ => return Err(bad()),
            }
        }
        Ok(t)
    }
}

/// How often a trusted issuer's keys may be fetched again for an unknown key id.
const REFETCH_AFTER: Duration = Duration::from_secs(10);

/// An issuer's discovered name and keys.
#[derive(Debug)]
struct Keys {
    issuer: String,
    jwks_uri: String,
    set: JwkSet,
    fetched: Time,
}

#[derive(Debug)]
struct Issuer {
    trusted: TrustedIssuer,
    keys: tokio::sync::Mutex<Option<Keys>>,
}

/// Decides whose a user JWT is.
#[derive(Debug)]
pub(crate) struct UserJwts {
    issuers: Vec<Issuer>,
    http: Bounded,
}

fn denied(why: &str) -> Error {
    Error::Denied(format!("The user token was refused: {why}"))
}

impl UserJwts {
    pub(crate) fn new(trusted: Vec<TrustedIssuer>, http: Bounded) -> Self {
        Self {
            issuers: trusted
                .into_iter()
                .map(|trusted| Issuer {
                    trusted,
                    keys: tokio::sync::Mutex::new(None),
                })
                .collect(),
            http,
        }
    }

    /// Whether signatures are verified (some issuer is trusted).
    pub(crate) fn verifies(&self) -> bool {
        !self.issuers.is_empty()
    }

    /// The user of `jwt`: its `sub`, once it is found signed (and, with trusted issuers,
    /// verified). Refusals are [`Error::Denied`]; an issuer that cannot be reached is
    /// [`Error::Internal`].
    pub(crate) async fn subject(&self, jwt: &str) -> Result<String, Error> {
        let (_, claims) = decode_signed(jwt)?;
        if self.issuers.is_empty() {
            return Ok(subject(&claims));
        }
        let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
        let header = jsonwebtoken::decode_header(jwt).map_err(|_| denied("bad header"))?;
        if header.alg.family() == AlgorithmFamily::Hmac {
            return Err(denied("a symmetric signature cannot be verified"));
        }
        let mut last_err = denied("its issuer is not trusted");
        for issuer in &self.issuers {
            let mut guard = issuer.keys.lock().await;
            if guard.is_none() {
                *guard = Some(self.fetch(&issuer.trusted.discovery_url, None).await?);
            }
            let keys = guard.as_mut().expect("just set");
            if keys.issuer != iss {
                continue;
            }
            let find = |set: &JwkSet| match &header.kid {
                Some(kid) => set.find(kid).cloned(),
                None if set.keys.len() == 1 => set.keys.first().cloned(),
                None => None,
            };
            let mut jwk = find(&keys.set);
            if jwk.is_none() && Time::now().since(keys.fetched) >= REFETCH_AFTER {
                let uri = keys.jwks_uri.clone();
                *keys = self.fetch(&issuer.trusted.discovery_url, Some(uri)).await?;
                jwk = find(&keys.set);
            }
            let Some(jwk) = jwk else {
                last_err = denied("no key of its issuer matches its key id");
                continue;
            };
            let key = DecodingKey::from_jwk(&jwk).map_err(|_| denied("unusable issuer key"))?;
            let verified = verify(jwt, header.alg, &key, iss, &issuer.trusted)?;
            return Ok(subject(&verified));
        }
        Err(last_err)
    }

    /// The issuer name and keys behind a discovery URL (`jwks_uri` known: keys only).
    async fn fetch(&self, discovery: &str, jwks_uri: Option<String>) -> Result<Keys, Error> {
        let unreachable = |what: &str, e: String| {
            tracing::warn!(discovery, error = %e, "trusted issuer: {what} failed");
            Error::Internal(format!(
                "The trusted issuer's {what} could not be fetched: {e}"
            ))
        };
        let get_json = |url: String| async move {
            let (status, body) = self.http.get(&url).await.map_err(|e| e.to_string())?;
            if !status.is_success() {
                return Err(format!("HTTP {status}"));
            }
            serde_json::from_slice::<Value>(&body).map_err(|e| e.to_string())
        };
        let doc = get_json(discovery.to_string())
            .await
            .map_err(|e| unreachable("discovery document", e))?;
        let issuer = doc
            .get("issuer")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let jwks_uri = match jwks_uri {
            Some(u) => u,
            None => doc
                .get("jwks_uri")
                .and_then(Value::as_str)
                .ok_or_else(|| unreachable("discovery document", "no jwks_uri".into()))?
                .to_string(),
        };
        let set = get_json(jwks_uri.clone())
            .await
            .map_err(|e| unreachable("key set", e))?;
        let set: JwkSet =
            serde_json::from_value(set).map_err(|e| unreachable("key set", e.to_string()))?;
        Ok(Keys {
            issuer,
            jwks_uri,
            set,
            fetched: Time::now(),
        })
    }
}

/// Signature, expiry, issuer, audience and client of `jwt`; its claims.
fn verify(
    jwt: &str,
    alg: Algorithm,
    key: &DecodingKey,
    iss: &str,
    trusted: &TrustedIssuer,
) -> Result<Value, Error> {
    let mut v = Validation::new(alg);
    v.set_issuer(&[iss]);
    v.set_required_spec_claims(&["exp", "iss", "sub"]);
    if trusted.audiences.is_empty() {
        v.validate_aud = false;
    } else {
        v.set_audience(&trusted.audiences);
    }
    let data = jsonwebtoken::decode::<Value>(jwt, key, &v)
        .map_err(|e| denied(&format!("{:?}", e.kind())))?;
    let claims = data.claims;
    if !trusted.clients.is_empty() {
        let client = claims
            .get("client_id")
            .or_else(|| claims.get("azp"))
            .and_then(Value::as_str)
            .unwrap_or("");
        if !trusted.clients.iter().any(|c| c == client) {
            return Err(denied("its client is not allowed"));
        }
    }
    Ok(claims)
}

fn part(jwt: &str, i: usize) -> Option<Value> {
    let p = jwt.split('.').nth(i)?;
    let bytes = URL_SAFE_NO_PAD.decode(p.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The header and claims of a signed JWT, not verified. Refuses an undecodable JWT, `alg: none`,
/// an empty signature, a missing `sub` and a past `exp`, with [`Error::Denied`].
pub(crate) fn decode_signed(jwt: &str) -> Result<(Value, Value), Error> {
    let invalid = || Error::Denied("The user token is not a valid JWT with a subject".into());
    let parts: Vec<&str> = jwt.split('.').collect();
    if parts.len() != 3 {
        return Err(invalid());
    }
    let header = part(jwt, 0).ok_or_else(invalid)?;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    if alg.is_empty() || alg.eq_ignore_ascii_case("none") || parts[2].is_empty() {
        return Err(Error::Denied("The user token is not signed".into()));
    }
    let claims = part(jwt, 1).ok_or_else(invalid)?;
    if let Some(exp) = claims.get("exp").and_then(Value::as_f64)
        && Time::from_epoch_secs(exp).is_past()
    {
        return Err(Error::Denied("The user token has expired".into()));
    }
    if claims
        .get("sub")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(invalid());
    }
    Ok((header, claims))
}

/// The `sub` of claims that [`decode_signed`] accepted.
pub(crate) fn subject(claims: &Value) -> String {
    claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(header: &str, claims: &str, sig: &str) -> String {
        format!(
            "{}.{}.{sig}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims)
        )
    }

    #[test]
    fn unsigned_and_none_are_refused() {
        let ok = jwt(
            r#"{"alg":"RS256"}"#,
            r#"{"sub":"bob","exp":99999999999}"#,
            "c2ln",
        );
        assert_eq!(subject(&decode_signed(&ok).unwrap().1), "bob");
        for bad in [
            jwt(r#"{"alg":"none"}"#, r#"{"sub":"bob"}"#, "c2ln"),
            jwt(r#"{"alg":"NONE"}"#, r#"{"sub":"bob"}"#, "c2ln"),
            jwt(r#"{"alg":"RS256"}"#, r#"{"sub":"bob"}"#, ""),
            jwt(r#"{}"#, r#"{"sub":"bob"}"#, "c2ln"),
            jwt(r#"{"alg":"RS256"}"#, r#"{"sub":"bob","exp":1}"#, "c2ln"),
            jwt(r#"{"alg":"RS256"}"#, r#"{"exp":99999999999}"#, "c2ln"),
            "e30.e30".to_string(),
        ] {
            assert!(decode_signed(&bad).is_err(), "{bad}");
        }
    }
}
