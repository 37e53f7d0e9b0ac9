//! STS outbound web identity federation, offline: `GetWebIdentityToken` requests checked against
//! the STS model's constraints, and JWTs signed with the service's own ES384 and RS256 keys.
//!
//! The keys are generated on first start and kept in the store's `meta` table, sealed with the
//! master key like every stored value, so they survive restarts with the data directory (a
//! temporary data directory gives per-process keys). Their public halves are the JWKS served at
//! `{issuer}/.well-known/jwks.json`, named by `{issuer}/.well-known/openid-configuration`; the
//! issuer is the service's public URL. Claims are those AWS documents for outbound identity
//! federation: `iss`, `aud` (a string for one audience, a list for more), `sub` (the caller's
//! principal ARN: locally the configured principal), `iat`, `exp` (`iat` + DurationSeconds), `jti`,
//! `scope` when asked for, and under `https://sts.amazonaws.com/` the `aws_account`,
//! `source_region`, `principal_id` and `request_tags` (the request's tags, key to value).
//! Knows nothing of HTTP.

use std::fmt;
use std::sync::LazyLock;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, KeyPair, RSA_PKCS1_SHA256, RsaKeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::error::{Error, FieldError};
use crate::secret::Sensitive;
use crate::store::{Store, StoreError};
use crate::time::Time;

/// The namespace of AWS's own claims.
pub(crate) const AWS_CLAIMS: &str = "https://sts.amazonaws.com/";
/// Default DurationSeconds.
pub(crate) const DEFAULT_DURATION: u64 = 300;
/// Bounds of DurationSeconds.
pub(crate) const DURATION_RANGE: std::ops::RangeInclusive<u64> = 60..=3600;
/// Where the sealed signing keys live in the store's `meta` table.
const KEYS_RECORD: &str = "sts-signing-keys";

/// The signing algorithms of `jwtAlgorithmType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SigningAlgorithm {
    /// ECDSA P-384 with SHA-384.
    Es384,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
}

impl SigningAlgorithm {
    /// The JOSE name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Es384 => "ES384",
            Self::Rs256 => "RS256",
        }
    }
}

/// A checked GetWebIdentityToken request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenRequest {
    pub(crate) audience: Vec<String>,
    pub(crate) algorithm: SigningAlgorithm,
    pub(crate) duration_secs: u64,
    pub(crate) tags: Vec<(String, String)>,
    pub(crate) scope: Option<String>,
}

/// A GetWebIdentityToken request's members as the wire gave them (lists in member order;
/// a `None` tag part is a missing `Key` or `Value`).
#[derive(Debug, Default, Clone)]
pub(crate) struct RawTokenRequest {
    pub(crate) audience: Option<Vec<String>>,
    pub(crate) signing_algorithm: Option<String>,
    pub(crate) duration_seconds: Option<String>,
    pub(crate) tags: Option<Vec<(Option<String>, Option<String>)>>,
    pub(crate) scope: Option<String>,
    pub(crate) subject_mode: Option<String>,
}

static TAG_KEY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$").expect("tag key pattern"));
static TAG_VALUE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$").expect("tag value pattern"));
static SCOPE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[\x21\x23-\x2B\x2D-\x5B\x5D-\x7E]+( [\x21\x23-\x2B\x2D-\x5B\x5D-\x7E]+)*$")
        .expect("scope pattern")
});

impl RawTokenRequest {
    /// Checks every member against the STS model (`GetWebIdentityTokenRequest`); all
    /// violations are reported at once, named as AWS names them (`audience`, `tags.member.1.key`).
    pub(crate) fn check(self) -> Result<TokenRequest, Error> {
        let mut bad = Vec::new();
        let mut fail = |name: String, message: String| bad.push(FieldError { name, message });
        let audience = self.audience.unwrap_or_default();
        if audience.is_empty() {
            fail(
                "audience".into(),
                "Member must not be null and must have length greater than or equal to 1".into(),
            );
        } else if audience.len() > 10 {
            fail(
                "audience".into(),
                format!(
                    "Member must have length less than or equal to 10 (got {})",
                    audience.len()
                ),
            );
        }
        for (i, a) in audience.iter().enumerate() {
            let n = a.chars().count();
            if !(1..=1000).contains(&n) {
                fail(
                    format!("audience.member.{}", i + 1),
                    format!("Member must have length between 1 and 1000 (got {n})"),
                );
            }
        }
        let algorithm = match self.signing_algorithm.as_deref() {
            Some("ES384") => Some(SigningAlgorithm::Es384),
            Some("RS256") => Some(SigningAlgorithm::Rs256),
            None => {
                fail(
                    "signingAlgorithm".into(),
                    "Member must not be null (valid values: ES384, RS256)".into(),
                );
                None
            }
            Some(other) => {
                fail(
                    "signingAlgorithm".into(),
                    format!(
                        "Member must satisfy enum value set: [ES384, RS256] (got {:?})",
                        other.chars().take(32).collect::<String>()
                    ),
                );
                None
            }
        };
        let duration_secs = match self.duration_seconds.as_deref() {
            None => DEFAULT_DURATION,
            Some(s) => match s.trim().parse::<i64>() {
                Ok(d)
                    if d >= *DURATION_RANGE.start() as i64 && d <= *DURATION_RANGE.end() as i64 =>
                {
                    d as u64
                }
                Ok(d) => {
                    fail(
                        "durationSeconds".into(),
                        format!("Member must have value between 60 and 3600 (got {d})"),
                    );
                    DEFAULT_DURATION
                }
                Err(_) => {
                    fail(
                        "durationSeconds".into(),
                        "Member must be an integer between 60 and 3600".into(),
                    );
                    DEFAULT_DURATION
                }
            },
        };
        let raw_tags = self.tags.unwrap_or_default();
        if raw_tags.len() > 50 {
            fail(
                "tags".into(),
                format!(
                    "Member must have length less than or equal to 50 (got {})",
                    raw_tags.len()
                ),
            );
        }
        let mut tags = Vec::with_capacity(raw_tags.len());
        let mut seen = std::collections::HashSet::new();
        for (i, (k, v)) in raw_tags.into_iter().enumerate() {
            let at = |m: &str| format!("tags.member.{}.{m}", i + 1);
            let key_ok = match &k {
                None => {
                    fail(at("key"), "Member must not be null".into());
                    false
                }
                Some(k) if !(1..=128).contains(&k.chars().count()) => {
                    fail(
                        at("key"),
                        format!(
                            "Member must have length between 1 and 128 (got {})",
                            k.chars().count()
                        ),
                    );
                    false
                }
                Some(k) if !TAG_KEY.is_match(k) => {
                    fail(
                        at("key"),
                        "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+".into(),
                    );
                    false
                }
                Some(k) if !seen.insert(k.to_lowercase()) => {
                    fail(
                        at("key"),
                        "Duplicate tag key (tag keys are case-insensitive)".into(),
                    );
                    false
                }
                Some(_) => true,
            };
            let value_ok = match &v {
                None => {
                    fail(at("value"), "Member must not be null".into());
                    false
                }
                Some(v) if v.chars().count() > 256 => {
                    fail(
                        at("value"),
                        format!(
                            "Member must have length less than or equal to 256 (got {})",
                            v.chars().count()
                        ),
                    );
                    false
                }
                Some(v) if !TAG_VALUE.is_match(v) => {
                    fail(
                        at("value"),
                        "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*".into(),
                    );
                    false
                }
                Some(_) => true,
            };
            if let (true, true, Some(k), Some(v)) = (key_ok, value_ok, k, v) {
                tags.push((k, v));
            }
        }
        if let Some(s) = &self.scope
            && (!(1..=256).contains(&s.len()) || !SCOPE.is_match(s))
        {
            fail(
                "scope".into(),
                "Member must have length between 1 and 256 and be space-separated scope tokens"
                    .into(),
            );
        }
        if let Some(m) = &self.subject_mode
            && m != "AWSIdentity"
            && m != "OriginIdentity"
        {
            fail(
                "subjectMode".into(),
                "Member must satisfy enum value set: [AWSIdentity, OriginIdentity]".into(),
            );
        }
        match algorithm {
            Some(algorithm) if bad.is_empty() => Ok(TokenRequest {
                audience,
                algorithm,
                duration_secs,
                tags,
                scope: self.scope,
            }),
            // As the other operations: at most MAX_VIOLATIONS reported, so the answer's size
            // does not grow with the request's.
            _ => {
                bad.truncate(crate::validate::MAX_VIOLATIONS);
                Err(Error::Invalid { fields: bad })
            }
        }
    }
}

/// The stored signing keys (PKCS#8 v1 DER, base64), sealed in the store.
#[derive(Serialize, Deserialize)]
struct StoredKeys {
    es384_pkcs8: Sensitive,
    rs256_pkcs8: Sensitive,
}

/// A signed web identity token and when it expires.
pub(crate) struct IssuedToken {
    /// The JWT.
    pub(crate) token: Sensitive,
    /// `exp` (whole seconds).
    pub(crate) expiration: Time,
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("token", &"[REDACTED]")
            .field("expiration", &self.expiration)
            .finish()
    }
}

/// Who the tokens are about: the local caller.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// The principal ARN (`sub`, `principal_id`).
    pub(crate) principal_arn: String,
    /// The account (`aws_account`).
    pub(crate) account: String,
    /// The request's region (`source_region`).
    pub(crate) region: String,
}

/// The service's STS signer: its two key pairs and its issuer.
pub(crate) struct StsSigner {
    issuer: String,
    es384: EcdsaKeyPair,
    es384_kid: String,
    rs256: RsaKeyPair,
    rs256_kid: String,
    /// The JWS headers, base64url-encoded once.
    es384_header: String,
    rs256_header: String,
    jwks: Value,
    discovery: Value,
}

impl fmt::Debug for StsSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StsSigner")
            .field("issuer", &self.issuer)
            .field("es384_kid", &self.es384_kid)
            .field("rs256_kid", &self.rs256_kid)
            .finish_non_exhaustive()
    }
}

fn key_error(what: &str) -> StoreError {
    StoreError::new(format!("STS signing key: {what}"))
}

/// The JWKS URL of `issuer`.
fn jwks_uri(issuer: &str) -> String {
    format!("{issuer}/.well-known/jwks.json")
}

/// A key id: the first 16 bytes of the SHA-256 of the public key, base64url.
fn kid(public: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(&Sha256::digest(public)[..16])
}

impl StsSigner {
    /// Loads the signing keys from the store, generating and storing them on first start.
    pub(crate) fn load_or_create(store: &Store, issuer: &str) -> Result<Self, StoreError> {
        let stored: StoredKeys = store.meta_get_or_insert_with(KEYS_RECORD, || {
            let es = EcdsaKeyPair::generate(&ECDSA_P384_SHA384_FIXED_SIGNING)
                .and_then(|k| k.to_pkcs8v1())
                .map_err(|_| key_error("ES384 key generation failed"))?;
            let rs = RsaKeyPair::generate(KeySize::Rsa2048)
                .and_then(|k| k.as_der())
                .map_err(|_| key_error("RS256 key generation failed"))?;
            tracing::info!("generated the STS signing keys (ES384, RS256)");
            Ok(StoredKeys {
                es384_pkcs8: Sensitive::new(STANDARD.encode(es.as_ref())),
                rs256_pkcs8: Sensitive::new(STANDARD.encode(rs.as_ref())),
            })
        })?;
        let der = |s: &Sensitive| {
            STANDARD
                .decode(s.expose())
                .map(zeroize::Zeroizing::new)
                .map_err(|_| key_error("stored key is corrupt"))
        };
        let es384 =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &der(&stored.es384_pkcs8)?)
                .map_err(|_| key_error("stored ES384 key is rejected"))?;
        let rs256 = RsaKeyPair::from_pkcs8(&der(&stored.rs256_pkcs8)?)
            .map_err(|_| key_error("stored RS256 key is rejected"))?;
        // The EC public key is the uncompressed point 0x04 || x || y.
        let point = es384.public_key().as_ref();
        if point.len() != 97 || point[0] != 4 {
            return Err(key_error("unexpected ES384 public key encoding"));
        }
        let (x, y) = point[1..].split_at(48);
        let es384_kid = kid(point);
        let rs_pub = rs256.public_key();
        let n = rs_pub.modulus().big_endian_without_leading_zero().to_vec();
        let e = rs_pub.exponent().big_endian_without_leading_zero().to_vec();
        let rs256_kid = kid(rs_pub.as_ref());
        let jwks = json!({ "keys": [
            {
                "kty": "EC", "crv": "P-384", "alg": "ES384", "use": "sig", "kid": es384_kid,
                "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y),
            },
            {
                "kty": "RSA", "alg": "RS256", "use": "sig", "kid": rs256_kid,
                "n": URL_SAFE_NO_PAD.encode(&n), "e": URL_SAFE_NO_PAD.encode(&e),
            },
        ]});
        let header = |alg: SigningAlgorithm, kid: &str| {
            URL_SAFE_NO_PAD
                .encode(json!({ "alg": alg.name(), "kid": kid, "typ": "JWT" }).to_string())
        };
        let issuer = issuer.trim_end_matches('/').to_string();
        let discovery = json!({
            "issuer": issuer,
            "jwks_uri": jwks_uri(&issuer),
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES384", "RS256"],
            "claims_supported": ["aud", "exp", "iat", "iss", "jti", "sub", "scope", AWS_CLAIMS],
        });
        Ok(Self {
            es384_header: header(SigningAlgorithm::Es384, &es384_kid),
            rs256_header: header(SigningAlgorithm::Rs256, &rs256_kid),
            issuer,
            es384,
            es384_kid,
            rs256,
            rs256_kid,
            jwks,
            discovery,
        })
    }

    /// The public keys, as a JWK set.
    pub(crate) fn jwks(&self) -> &Value {
        &self.jwks
    }

    /// The OpenID discovery document of the issuer.
    pub(crate) fn discovery(&self) -> &Value {
        &self.discovery
    }

    /// Signs `claims` as a compact JWS with `alg` (header `alg`, `kid`, `typ: JWT`).
    pub(crate) fn sign(
        &self,
        alg: SigningAlgorithm,
        claims: &Map<String, Value>,
    ) -> Result<Sensitive, Error> {
        let mut input = match alg {
            SigningAlgorithm::Es384 => self.es384_header.clone(),
            SigningAlgorithm::Rs256 => self.rs256_header.clone(),
        };
        input.push('.');
        let claims = serde_json::to_vec(claims).map_err(|e| Error::Internal(e.to_string()))?;
        input.push_str(&URL_SAFE_NO_PAD.encode(claims));
        let rng = SystemRandom::new();
        let failed = || Error::Internal("signing the token failed".into());
        let sig = match alg {
            SigningAlgorithm::Es384 => self
                .es384
                .sign(&rng, input.as_bytes())
                .map_err(|_| failed())?
                .as_ref()
                .to_vec(),
            SigningAlgorithm::Rs256 => {
                let mut sig = vec![0u8; self.rs256.public_modulus_len()];
                self.rs256
                    .sign(&RSA_PKCS1_SHA256, &rng, input.as_bytes(), &mut sig)
                    .map_err(|_| failed())?;
                sig
            }
        };
        input.push('.');
        input.push_str(&URL_SAFE_NO_PAD.encode(sig));
        Ok(Sensitive::new(input))
    }

    /// Issues a web identity token for `caller`, as GetWebIdentityToken does.
    pub(crate) fn issue(&self, req: &TokenRequest, caller: &Caller) -> Result<IssuedToken, Error> {
        let iat = Time::now().epoch_secs_whole();
        let exp = iat + req.duration_secs as i64;
        let aud = match req.audience.as_slice() {
            [one] => json!(one),
            many => json!(many),
        };
        let mut aws = Map::new();
        aws.insert("aws_account".into(), json!(caller.account));
        aws.insert("source_region".into(), json!(caller.region));
        aws.insert("principal_id".into(), json!(caller.principal_arn));
        if !req.tags.is_empty() {
            let tags: Map<String, Value> = req
                .tags
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            aws.insert("request_tags".into(), Value::Object(tags));
        }
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(self.issuer));
        claims.insert("aud".into(), aud);
        claims.insert("sub".into(), json!(caller.principal_arn));
        claims.insert("iat".into(), json!(iat));
        claims.insert("exp".into(), json!(exp));
        claims.insert("jti".into(), json!(uuid::Uuid::new_v4().to_string()));
        if let Some(s) = &req.scope {
            claims.insert("scope".into(), json!(s));
        }
        claims.insert(AWS_CLAIMS.into(), Value::Object(aws));
        let token = self.sign(req.algorithm, &claims)?;
        Ok(IssuedToken {
            token,
            expiration: Time::from_epoch_secs(exp as f64),
        })
    }
}

impl StsSigner {
    /// A client assertion (RFC 7523 section 2.2, `private_key_jwt`) for clientAuthentication
    /// `AWS_IAM_ID_TOKEN_JWT`: signed RS256 with the STS key, `iss` = `sub` = `client_id` (as
    /// RFC 7523 requires for client authentication, and providers such as oidc-provider check),
    /// `aud` = the token endpoint, 300 s, a fresh `jti`, and the caller's AWS claims under
    /// `https://sts.amazonaws.com/`. Providers verify it with the JWKS at
    /// `{issuer}/.well-known/jwks.json`.
    pub(crate) fn client_assertion(
        &self,
        client_id: &str,
        audience: &str,
        caller: &Caller,
    ) -> Result<Sensitive, Error> {
        let iat = Time::now().epoch_secs_whole();
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(client_id));
        claims.insert("sub".into(), json!(client_id));
        claims.insert("aud".into(), json!(audience));
        claims.insert("iat".into(), json!(iat));
        claims.insert("exp".into(), json!(iat + CLIENT_ASSERTION_SECS));
        claims.insert("jti".into(), json!(uuid::Uuid::new_v4().to_string()));
        claims.insert(
            AWS_CLAIMS.into(),
            json!({
                "aws_account": caller.account,
                "source_region": caller.region,
                "principal_id": caller.principal_arn,
            }),
        );
        self.sign(SigningAlgorithm::Rs256, &claims)
    }
}

impl StsSigner {
    /// The actor token of an RFC 8693 exchange for `actorTokenContent = AWS_IAM_ID_TOKEN_JWT`: the
    /// web identity token GetWebIdentityToken would give `caller` for the one audience `audience`
    /// (the provider's issuer), ES384 (GetWebIdentityToken's default), for the default 300 s.
    pub(crate) fn actor_token(&self, audience: &str, caller: &Caller) -> Result<Sensitive, Error> {
        let req = TokenRequest {
            audience: vec![audience.to_string()],
            algorithm: SigningAlgorithm::Es384,
            duration_secs: DEFAULT_DURATION,
            tags: Vec::new(),
            scope: None,
        };
        Ok(self.issue(&req, caller)?.token)
    }
}

/// Lifetime of a client assertion.
const CLIENT_ASSERTION_SECS: i64 = 300;

/// `t` as ISO 8601 UTC with whole seconds (`2026-01-02T03:04:05Z`).
pub(crate) fn iso8601(t: Time) -> String {
    let secs = t.epoch_secs_whole();
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil from days (H. Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(aud: &[&str]) -> RawTokenRequest {
        RawTokenRequest {
            audience: Some(aud.iter().map(|s| s.to_string()).collect()),
            signing_algorithm: Some("ES384".into()),
            ..Default::default()
        }
    }

    #[test]
    fn iso8601_formats_known_instants() {
        assert_eq!(iso8601(Time::from_epoch_secs(0.0)), "1970-01-01T00:00:00Z");
        assert_eq!(
            iso8601(Time::from_epoch_secs(1_700_000_000.9)),
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(
            iso8601(Time::from_epoch_secs(951_782_400.0)),
            "2000-02-29T00:00:00Z"
        );
    }

    #[test]
    fn defaults_and_bounds() {
        let ok = raw(&["a"]).check().unwrap();
        assert_eq!(ok.duration_secs, 300);
        assert_eq!(ok.algorithm, SigningAlgorithm::Es384);
        let mut r = raw(&[]);
        r.duration_seconds = Some("59".into());
        r.signing_algorithm = Some("HS256".into());
        let Error::Invalid { fields } = r.check().unwrap_err() else {
            panic!("not a validation error")
        };
        let names: Vec<_> = fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["audience", "signingAlgorithm", "durationSeconds"]);
        let mut r = raw(&["a"]);
        r.tags = Some(vec![
            (Some("team".into()), Some("x".into())),
            (Some("TEAM".into()), Some("y".into())),
            (Some("bad#key".into()), Some("v".into())),
            (None, Some("v".into())),
        ]);
        let Error::Invalid { fields } = r.check().unwrap_err() else {
            panic!("not a validation error")
        };
        let names: Vec<_> = fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "tags.member.2.key",
                "tags.member.3.key",
                "tags.member.4.key"
            ]
        );
    }
}
