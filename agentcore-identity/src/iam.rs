//! What an IAM web identity token request says: [`IamTokenRequest`] and its
//! [`SigningAlgorithm`], for
//! [`IdentityClient::get_iam_access_token`](crate::IdentityClient::get_iam_access_token) and
//! `#[requires_iam_access_token]`.
//!
//! The token is a JWT signed by AWS STS (`GetWebIdentityToken`) for the agent's own IAM identity
//! (its role), not for a user: external services that trust the account's issuer URL verify it
//! with the issuer's published keys, so no client secret is involved. The limits below are the
//! STS model's; [`IamTokenRequest::validate`] checks them before anything is sent.
//!
//! Plain data with builders: nothing here talks to a service.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// The most audiences one token may name (STS model: `webIdentityTokenAudienceListType`).
pub const MAX_AUDIENCES: usize = 10;
/// The longest audience, in characters.
pub const MAX_AUDIENCE_LEN: usize = 1000;
/// The shortest token lifetime STS issues, in seconds.
pub const MIN_DURATION_SECONDS: u32 = 60;
/// The longest token lifetime STS issues, in seconds.
pub const MAX_DURATION_SECONDS: u32 = 3600;
/// The lifetime when none is given, in seconds (as STS and the Python SDK).
pub const DEFAULT_DURATION_SECONDS: u32 = 300;
/// The most tags one request may carry.
pub const MAX_TAGS: usize = 50;
/// The longest tag key, in characters.
pub const MAX_TAG_KEY_LEN: usize = 128;
/// The longest tag value, in characters.
pub const MAX_TAG_VALUE_LEN: usize = 256;

/// How STS signs the token (`SigningAlgorithm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum SigningAlgorithm {
    /// ECDSA with the P-384 curve and SHA-384 (`"ES384"`), the default, as in the Python SDK.
    #[default]
    Es384,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (`"RS256"`), for verifiers without ECDSA support.
    Rs256,
}

impl SigningAlgorithm {
    /// The wire name: `"ES384"` or `"RS256"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlgorithm::Es384 => "ES384",
            SigningAlgorithm::Rs256 => "RS256",
        }
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing a [`SigningAlgorithm`] from a string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown signing algorithm {0:?}; expected \"ES384\" or \"RS256\"")]
pub struct ParseSigningAlgorithmError(String);

impl FromStr for SigningAlgorithm {
    type Err = ParseSigningAlgorithmError;

    /// `"ES384"` or `"RS256"`, exactly (the wire names).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ES384" => Ok(SigningAlgorithm::Es384),
            "RS256" => Ok(SigningAlgorithm::Rs256),
            other => Err(ParseSigningAlgorithmError(other.to_owned())),
        }
    }
}

/// A request for an IAM web identity token (STS `GetWebIdentityToken`), as the Python SDK's
/// `@requires_iam_access_token`: who the token is for (`audience`, required), how it is signed,
/// how long it lives, which tags become claims.
///
/// ```
/// use agentcore_identity::{IamTokenRequest, SigningAlgorithm};
///
/// let request = IamTokenRequest::new(["https://api.example.com"])
///     .signing_algorithm(SigningAlgorithm::Rs256)
///     .duration_seconds(900)
///     .tag("team", "payments");
/// request.validate().unwrap();
/// assert_eq!(request.get_duration_seconds(), 900);
///
/// // A single audience converts directly.
/// let one: IamTokenRequest = "https://api.example.com".into();
/// assert_eq!(one.get_audience(), ["https://api.example.com"]);
/// assert_eq!(one.get_signing_algorithm(), SigningAlgorithm::Es384);
///
/// // Checked before anything is sent, naming the field.
/// let err = IamTokenRequest::new(["https://api.example.com"]).duration_seconds(30).validate();
/// assert!(err.unwrap_err().to_string().contains("`duration_seconds`"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct IamTokenRequest {
    pub(crate) audience: Vec<String>,
    pub(crate) signing_algorithm: SigningAlgorithm,
    pub(crate) duration_seconds: u32,
    pub(crate) tags: Vec<(String, String)>,
    pub(crate) force: bool,
}

impl IamTokenRequest {
    /// A request for a token whose `aud` claim names `audience` (1 to 10 entries), signed with
    /// ES384, living 300 s, without tags.
    pub fn new<I>(audience: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        Self {
            audience: audience.into_iter().map(Into::into).collect(),
            signing_algorithm: SigningAlgorithm::default(),
            duration_seconds: DEFAULT_DURATION_SECONDS,
            tags: Vec::new(),
            force: false,
        }
    }

    /// Adds one audience.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience.push(audience.into());
        self
    }

    /// The signing algorithm (default [`SigningAlgorithm::Es384`]).
    pub fn signing_algorithm(mut self, algorithm: SigningAlgorithm) -> Self {
        self.signing_algorithm = algorithm;
        self
    }

    /// The token's lifetime, 60 to 3600 seconds (default 300).
    pub fn duration_seconds(mut self, seconds: u32) -> Self {
        self.duration_seconds = seconds;
        self
    }

    /// Adds a tag: STS adds it to the token as a claim (at most 50; keys of 1 to 128 and values
    /// of up to 256 letters, digits, spaces and `_.:/=+-@`; no key twice).
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.push((key.into(), value.into()));
        self
    }

    /// Adds tags, as [`tag`](Self::tag).
    pub fn tags<I, K, V>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.tags
            .extend(tags.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Skips the cache: asks STS for a new token and replaces the cached one.
    pub fn force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// The audiences.
    pub fn get_audience(&self) -> &[String] {
        &self.audience
    }

    /// The signing algorithm.
    pub fn get_signing_algorithm(&self) -> SigningAlgorithm {
        self.signing_algorithm
    }

    /// The requested lifetime, in seconds.
    pub fn get_duration_seconds(&self) -> u32 {
        self.duration_seconds
    }

    /// The tags, in the order given.
    pub fn get_tags(&self) -> &[(String, String)] {
        &self.tags
    }

    /// Whether the cache is skipped.
    pub fn get_force(&self) -> bool {
        self.force
    }

    /// Checks the request against the STS model's limits; the error
    /// ([`Error::InvalidRequest`]) names the field.
    pub fn validate(&self) -> Result<(), Error> {
        let invalid =
            |field: &'static str, message: String| Error::InvalidRequest { field, message };
        if self.audience.is_empty() {
            return Err(invalid(
                "audience",
                "at least one audience is required: it becomes the token's `aud` claim, the \
                 service that will accept the token"
                    .to_owned(),
            ));
        }
        if self.audience.len() > MAX_AUDIENCES {
            return Err(invalid(
                "audience",
                format!(
                    "{} audiences given; at most {MAX_AUDIENCES}",
                    self.audience.len()
                ),
            ));
        }
        for (i, aud) in self.audience.iter().enumerate() {
            let len = aud.chars().count();
            if len == 0 {
                return Err(invalid("audience", format!("audience #{} is empty", i + 1)));
            }
            if len > MAX_AUDIENCE_LEN {
                return Err(invalid(
                    "audience",
                    format!(
                        "audience #{} is {len} characters long; at most {MAX_AUDIENCE_LEN}",
                        i + 1
                    ),
                ));
            }
        }
        if !(MIN_DURATION_SECONDS..=MAX_DURATION_SECONDS).contains(&self.duration_seconds) {
            return Err(invalid(
                "duration_seconds",
                format!(
                    "{} s is out of range; STS issues tokens for {MIN_DURATION_SECONDS} to \
                     {MAX_DURATION_SECONDS} s",
                    self.duration_seconds
                ),
            ));
        }
        if self.tags.len() > MAX_TAGS {
            return Err(invalid(
                "tags",
                format!("{} tags given; at most {MAX_TAGS}", self.tags.len()),
            ));
        }
        for (i, (key, value)) in self.tags.iter().enumerate() {
            check_tag_key(key).map_err(|m| invalid("tags", m))?;
            check_tag_value(key, value).map_err(|m| invalid("tags", m))?;
            if self.tags[..i].iter().any(|(k, _)| k == key) {
                return Err(invalid("tags", format!("duplicate tag key {key:?}")));
            }
        }
        Ok(())
    }
}

impl From<&str> for IamTokenRequest {
    /// A request for one audience.
    fn from(audience: &str) -> Self {
        Self::new([audience])
    }
}

impl From<String> for IamTokenRequest {
    /// A request for one audience.
    fn from(audience: String) -> Self {
        Self::new([audience])
    }
}

impl From<&IamTokenRequest> for IamTokenRequest {
    fn from(request: &IamTokenRequest) -> Self {
        request.clone()
    }
}

/// A character STS takes in tag keys and values: `[\p{L}\p{Z}\p{N}_.:/=+\-@]` (letters,
/// separators, numbers, `_.:/=+-@`).
pub(crate) fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric()
        || (c.is_whitespace() && !c.is_control())
        || matches!(c, '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
}

/// A tag key: 1 to 128 tag characters. The message names the key.
pub(crate) fn check_tag_key(key: &str) -> Result<(), String> {
    let len = key.chars().count();
    if len == 0 {
        return Err("a tag key is empty".to_owned());
    }
    if len > MAX_TAG_KEY_LEN {
        return Err(format!(
            "tag key {:?}… is {len} characters long; at most {MAX_TAG_KEY_LEN}",
            key.chars().take(32).collect::<String>()
        ));
    }
    if let Some(c) = key.chars().find(|c| !is_tag_char(*c)) {
        return Err(format!(
            "tag key {key:?} contains {c:?}; keys take letters, digits, spaces and `_.:/=+-@`"
        ));
    }
    Ok(())
}

/// A tag value: up to 256 tag characters. The message names the key, not the value.
pub(crate) fn check_tag_value(key: &str, value: &str) -> Result<(), String> {
    let len = value.chars().count();
    if len > MAX_TAG_VALUE_LEN {
        return Err(format!(
            "the value of tag {key:?} is {len} characters long; at most {MAX_TAG_VALUE_LEN}"
        ));
    }
    if value.chars().any(|c| !is_tag_char(c)) {
        return Err(format!(
            "the value of tag {key:?} contains a character STS refuses; values take letters, \
             digits, spaces and `_.:/=+-@`"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(r: &IamTokenRequest) -> (&'static str, String) {
        match r.validate().unwrap_err() {
            Error::InvalidRequest { field, message } => (field, message),
            other => panic!("expected InvalidRequest, got {other:?}"),
        }
    }

    #[test]
    fn defaults_mirror_python() {
        let r = IamTokenRequest::new(["https://api.example.com"]);
        assert_eq!(r.get_signing_algorithm(), SigningAlgorithm::Es384);
        assert_eq!(r.get_duration_seconds(), 300);
        assert!(r.get_tags().is_empty());
        assert!(!r.get_force());
        r.validate().unwrap();
    }

    #[test]
    fn algorithm_names() {
        assert_eq!(SigningAlgorithm::Es384.as_str(), "ES384");
        assert_eq!(SigningAlgorithm::Rs256.to_string(), "RS256");
        assert_eq!("RS256".parse(), Ok(SigningAlgorithm::Rs256));
        assert_eq!("ES384".parse(), Ok(SigningAlgorithm::Es384));
        let e = "es384".parse::<SigningAlgorithm>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown signing algorithm \"es384\"; expected \"ES384\" or \"RS256\""
        );
    }

    #[test]
    fn audience_is_required_and_bounded() {
        let empty: [&str; 0] = [];
        let (f, m) = field(&IamTokenRequest::new(empty));
        assert_eq!(f, "audience");
        assert!(m.starts_with("at least one audience is required"), "{m}");
        let (f, m) = field(&IamTokenRequest::new(["a", ""]));
        assert_eq!((f, m.as_str()), ("audience", "audience #2 is empty"));
        let many: Vec<String> = (0..11).map(|i| format!("aud-{i}")).collect();
        assert_eq!(field(&IamTokenRequest::new(many)).0, "audience");
        IamTokenRequest::new((0..10).map(|i| format!("aud-{i}")))
            .validate()
            .unwrap();
        let long = "a".repeat(1001);
        let (f, m) = field(&IamTokenRequest::new([long]));
        assert_eq!(f, "audience");
        assert!(m.contains("1001 characters"), "{m}");
        IamTokenRequest::new(["a".repeat(1000)]).validate().unwrap();
    }

    #[test]
    fn duration_bounds() {
        for ok in [60, 300, 3600] {
            IamTokenRequest::new(["a"])
                .duration_seconds(ok)
                .validate()
                .unwrap();
        }
        for bad in [0, 59, 3601, u32::MAX] {
            let (f, m) = field(&IamTokenRequest::new(["a"]).duration_seconds(bad));
            assert_eq!(f, "duration_seconds");
            assert!(m.contains(&format!("{bad} s is out of range")), "{m}");
        }
    }

    #[test]
    fn tags_follow_the_model() {
        IamTokenRequest::new(["a"])
            .tag("team", "payments")
            .tag("cost center", "é-1/2:3=4+5@x.y_z")
            .tag("empty", "")
            .validate()
            .unwrap();
        let (f, m) = field(
            &IamTokenRequest::new(["a"])
                .tag("team", "a")
                .tag("team", "b"),
        );
        assert_eq!((f, m.as_str()), ("tags", "duplicate tag key \"team\""));
        let (f, m) = field(&IamTokenRequest::new(["a"]).tag("", "x"));
        assert_eq!((f, m.as_str()), ("tags", "a tag key is empty"));
        let (_, m) = field(&IamTokenRequest::new(["a"]).tag("a*b", "x"));
        assert!(m.contains("contains '*'"), "{m}");
        let (_, m) = field(&IamTokenRequest::new(["a"]).tag("k".repeat(129), "x"));
        assert!(m.contains("129 characters"), "{m}");
        // A bad value is named by its key; the value itself is not repeated.
        let (_, m) = field(&IamTokenRequest::new(["a"]).tag("k", "sec\nret"));
        assert!(m.contains("\"k\"") && !m.contains("sec"), "{m}");
        let (_, m) = field(&IamTokenRequest::new(["a"]).tag("k", "v".repeat(257)));
        assert!(m.contains("257 characters"), "{m}");
        let many = (0..51).map(|i| (format!("k{i}"), "v"));
        assert_eq!(field(&IamTokenRequest::new(["a"]).tags(many)).0, "tags");
    }

    #[test]
    fn conversions() {
        let r: IamTokenRequest = "https://x".into();
        assert_eq!(r.get_audience(), ["https://x"]);
        let r: IamTokenRequest = String::from("https://y").into();
        assert_eq!(r.clone().audience("z").get_audience(), ["https://y", "z"]);
        let r2: IamTokenRequest = (&r).into();
        assert_eq!(r, r2);
    }
}
