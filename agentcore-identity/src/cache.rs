//! The in-process token cache: key derivation, expiry policy, single-flight.
//!
//! Neither official SDK caches: every decorated call costs a round trip to the service. This cache
//! keeps each credential until shortly before it expires:
//!
//! * **Key**: a SHA-256 digest over the digest of the workload access token, the kind of credential,
//!   the provider name, the flow, the sorted scopes, resources and audiences, and the custom
//!   parameters. No raw secret is ever a key, and two workload access tokens (two users) never share
//!   an entry.
//! * **Scope** ([`CacheScope`]): API keys and M2M (client-credentials) tokens do not depend on the
//!   user, so they may be kept once per process and workload instead of once per workload access
//!   token ([`CacheScope::Workload`]): on AgentCore Runtime, which hands each invocation a fresh
//!   token after its inbound auth admitted the caller, that is what makes the cache pay off across
//!   invocations, and it is the default there (`DOCKER_CONTAINER=1`). Elsewhere the default is
//!   [`CacheScope::PerToken`]. USER_FEDERATION and on-behalf-of tokens belong to a user: no setting
//!   makes them workload-scoped ([`CacheConfig::api_key_scope`] and [`CacheConfig::m2m_scope`] are
//!   the only ones).
//! * **Expiry**: for a JWT, its lifetime `exp - iat` (payload decoded, signature not verified),
//!   counted from when it was received, less [`CacheConfig::jwt_expiry_skew`] (default 60 s): so a
//!   local clock that is behind or ahead of the issuer's never keeps an expired token. A JWT
//!   without `iat` lives until `exp` by the local clock, less the skew. Otherwise a fixed TTL:
//!   [`CacheConfig::api_key_ttl`] (default 15 min) for API keys and
//!   [`CacheConfig::opaque_token_ttl`] (default 5 min) for opaque access tokens. Every entry is
//!   capped by [`CacheConfig::max_ttl`] (default 1 h), whatever a token claims.
//! * **Single-flight**: concurrent misses for one key make exactly one service call; the others
//!   wait for its answer (or its error).
//! * **Bounded**: at most [`CacheConfig::max_capacity`] entries (default 10 000), least recently
//!   used first out.
//!
//! * **IAM web identity tokens** ([`IdentityClient::get_iam_access_token`](crate::IdentityClient::get_iam_access_token)):
//!   the agent's own IAM identity signs them, no user or workload access token is involved, so
//!   they are kept once per client, keyed by the request (audiences and tags as sets, signing
//!   algorithm, duration), with the JWT rule above (`exp - iat` less the skew: a token asked for
//!   60 s is not kept with the default 60 s skew).
//!
//! Beside the credentials, the client caches the workload access tokens it obtains itself
//! (until they expire) and, in the non-blocking USER_FEDERATION mode, the pending authorization
//! sessions (15 minutes at most).
//!
//! `force_authentication` bypasses the cache and replaces the entry;
//! [`IdentityClient::invalidate_api_key`](crate::IdentityClient::invalidate_api_key) /
//! [`invalidate_token`](crate::IdentityClient::invalidate_token) drop one entry (after a 401 from
//! the resource server, say).

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use secrecy::SecretString;
use sha2::{Digest, Sha256};

use crate::error::Error;

/// Whose entry a user-independent credential (API key, M2M token) is; see the
/// [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CacheScope {
    /// One entry per workload access token: two tokens never share an entry (the default off
    /// AgentCore Runtime, and always for user-bound tokens).
    PerToken,
    /// One entry per process and workload identity, reused across invocations whatever their
    /// workload access token (the default on AgentCore Runtime for API keys and M2M tokens). The
    /// workload is the named identity a token was obtained for, or, for tokens from the request
    /// context, the one workload this process serves: keep [`CacheScope::PerToken`] in a process
    /// that serves several workload identities with context tokens.
    Workload,
}

/// Cache settings (see the [module docs](self)).
#[derive(Debug, Clone)]
pub struct CacheConfig {
    pub(crate) enabled: bool,
    pub(crate) max_capacity: u64,
    pub(crate) jwt_expiry_skew: Duration,
    pub(crate) api_key_ttl: Duration,
    pub(crate) opaque_token_ttl: Duration,
    pub(crate) max_ttl: Duration,
    pub(crate) api_key_scope: Option<CacheScope>,
    pub(crate) m2m_scope: Option<CacheScope>,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            max_capacity: 10_000,
            jwt_expiry_skew: Duration::from_secs(60),
            api_key_ttl: Duration::from_secs(15 * 60),
            opaque_token_ttl: Duration::from_secs(5 * 60),
            max_ttl: Duration::from_secs(60 * 60),
            api_key_scope: None,
            m2m_scope: None,
        }
    }
}

impl CacheConfig {
    /// The defaults: enabled, 10 000 entries, 60 s skew, 15 min for API keys, 5 min for opaque
    /// tokens, 1 h at most for any entry.
    pub fn new() -> Self {
        Self::default()
    }

    /// A configuration that caches nothing: every call goes to the service.
    pub fn disabled() -> Self {
        Self {
            enabled: false,
            ..Self::default()
        }
    }

    /// Switches the cache on or off.
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.enabled = enabled;
        self
    }

    /// The maximum number of cached credentials.
    pub fn max_capacity(mut self, entries: u64) -> Self {
        self.max_capacity = entries;
        self
    }

    /// How long before a JWT's `exp` its entry expires.
    pub fn jwt_expiry_skew(mut self, skew: Duration) -> Self {
        self.jwt_expiry_skew = skew;
        self
    }

    /// How long an API key stays cached.
    pub fn api_key_ttl(mut self, ttl: Duration) -> Self {
        self.api_key_ttl = ttl;
        self
    }

    /// How long an access token that is not a JWT (or has no `exp`) stays cached.
    pub fn opaque_token_ttl(mut self, ttl: Duration) -> Self {
        self.opaque_token_ttl = ttl;
        self
    }

    /// The scope of cached API keys (default: [`CacheScope::Workload`] on AgentCore Runtime,
    /// [`CacheScope::PerToken`] elsewhere).
    pub fn api_key_scope(mut self, scope: CacheScope) -> Self {
        self.api_key_scope = Some(scope);
        self
    }

    /// The scope of cached M2M (client-credentials) tokens (default: [`CacheScope::Workload`]
    /// on AgentCore Runtime, [`CacheScope::PerToken`] elsewhere). USER_FEDERATION and
    /// on-behalf-of tokens are always per token.
    pub fn m2m_scope(mut self, scope: CacheScope) -> Self {
        self.m2m_scope = Some(scope);
        self
    }

    /// The scopes of API keys and M2M tokens, given whether this process runs on AgentCore
    /// Runtime.
    pub(crate) fn scopes(&self, on_runtime: bool) -> (CacheScope, CacheScope) {
        let auto = if on_runtime {
            CacheScope::Workload
        } else {
            CacheScope::PerToken
        };
        (
            self.api_key_scope.unwrap_or(auto),
            self.m2m_scope.unwrap_or(auto),
        )
    }

    /// The most any entry is kept, whatever the token's own expiry says.
    pub fn max_ttl(mut self, ttl: Duration) -> Self {
        self.max_ttl = ttl;
        self
    }

    /// How long to keep `secret`, given its kind; `None` means: do not cache it.
    pub(crate) fn ttl_for(&self, secret: &str, api_key: bool) -> Option<Duration> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?;
        self.ttl_at(secret, api_key, now.as_secs())
    }

    /// [`ttl_for`](Self::ttl_for) with the local clock reading `now` (seconds since the epoch).
    pub(crate) fn ttl_at(&self, secret: &str, api_key: bool, now: u64) -> Option<Duration> {
        if api_key {
            return self.capped(self.api_key_ttl);
        }
        self.token_ttl_at(jwt_times(secret), now)
    }

    /// The lifetime of a token whose [`jwt_times`] are `times` (`None`: not a JWT), the local clock
    /// reading `now` (seconds since the epoch), for a caller that has the times already.
    pub(crate) fn token_ttl_at(&self, times: Option<JwtTimes>, now: u64) -> Option<Duration> {
        let ttl = match times {
            // Skew-proof: the token's own lifetime, counted from now (when it was received).
            Some(JwtTimes {
                exp: Some(exp),
                iat: Some(iat),
            }) => self.less_skew(exp.checked_sub(iat)?)?,
            Some(JwtTimes {
                exp: Some(exp),
                iat: None,
            }) => self.less_skew(exp.checked_sub(now)?)?,
            _ => self.opaque_token_ttl,
        };
        self.capped(ttl)
    }

    /// A token's `lifetime` (seconds) less the expiry skew; `None` when the skew eats it.
    pub(crate) fn less_skew(&self, lifetime: u64) -> Option<Duration> {
        Duration::from_secs(lifetime).checked_sub(self.jwt_expiry_skew)
    }

    /// `ttl` capped by the maximum; `None` (do not cache) when it is zero.
    pub(crate) fn capped(&self, ttl: Duration) -> Option<Duration> {
        Some(ttl.min(self.max_ttl)).filter(|d| !d.is_zero())
    }
}

/// The `exp` and `iat` claims of a JWT (seconds since the epoch), without verifying anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JwtTimes {
    pub(crate) exp: Option<u64>,
    pub(crate) iat: Option<u64>,
}

/// The times of `token` if it is a JWT whose payload decodes; `None` for any other token.
pub(crate) fn jwt_times(token: &str) -> Option<JwtTimes> {
    let mut parts = token.split('.');
    let (_header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    #[derive(serde::Deserialize)]
    struct Claims {
        exp: Option<serde_json::Number>,
        iat: Option<serde_json::Number>,
    }
    let claims: Claims = serde_json::from_slice(&bytes).ok()?;
    let secs = |n: serde_json::Number| {
        n.as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
    };
    Some(JwtTimes {
        exp: claims.exp.and_then(secs),
        iat: claims.iat.and_then(secs),
    })
}

/// SHA-256 of a secret (the only form in which a secret takes part in a cache key).
pub(crate) fn digest_secret(secret: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"agentcore-identity/wat/v1\0");
    h.update(secret.as_bytes());
    h.finalize().into()
}

/// A cache key: a digest, so keys are fixed-size, cheap to hash and never reveal a secret.
pub(crate) type Key = [u8; 32];

/// Builds a [`Key`] from length-prefixed parts.
pub(crate) struct KeyBuilder(Sha256);

impl KeyBuilder {
    pub(crate) fn new(kind: &'static str, token_digest: &[u8; 32]) -> Self {
        let mut h = Sha256::new();
        h.update(b"agentcore-identity/key/v1\0");
        h.update(token_digest);
        let mut b = Self(h);
        b.str(kind);
        b
    }

    pub(crate) fn str(&mut self, s: &str) -> &mut Self {
        self.0.update((s.len() as u64).to_le_bytes());
        self.0.update(s.as_bytes());
        self
    }

    /// Adds a list, order-insensitive.
    pub(crate) fn set<'a>(&mut self, items: impl IntoIterator<Item = &'a str>) -> &mut Self {
        let mut v: Vec<&str> = items.into_iter().collect();
        v.sort_unstable();
        v.dedup();
        self.0.update((v.len() as u64).to_le_bytes());
        for s in v {
            self.str(s);
        }
        self
    }

    pub(crate) fn finish(self) -> Key {
        self.0.finalize().into()
    }
}

/// A cached credential.
pub(crate) struct Entry {
    pub(crate) secret: SecretString,
    ttl: Duration,
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("secret", &"[REDACTED]")
            .field("ttl", &self.ttl)
            .finish()
    }
}

/// What a loader returns: the secret and how long to keep it (`None`: do not cache).
#[derive(Debug)]
pub(crate) struct Loaded {
    pub(crate) secret: SecretString,
    pub(crate) ttl: Option<Duration>,
}

struct PerEntryExpiry;

impl moka::Expiry<Key, Arc<Entry>> for PerEntryExpiry {
    fn expire_after_create(&self, _: &Key, value: &Arc<Entry>, _: Instant) -> Option<Duration> {
        Some(value.ttl)
    }

    fn expire_after_update(
        &self,
        _: &Key,
        value: &Arc<Entry>,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(value.ttl)
    }
}

/// Whether a lookup was served from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Hit,
    Miss,
    /// Another caller's in-flight load answered this one.
    Joined,
    Bypass,
}

impl Outcome {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Outcome::Hit => "hit",
            Outcome::Miss => "miss",
            Outcome::Joined => "joined",
            Outcome::Bypass => "bypass",
        }
    }
}

/// The cache itself (cheap to clone).
#[derive(Clone)]
pub(crate) struct TokenCache {
    inner: Option<moka::future::Cache<Key, Arc<Entry>>>,
    pub(crate) config: CacheConfig,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("config", &self.config)
            .field("entries", &self.inner.as_ref().map(|c| c.entry_count()))
            .finish()
    }
}

impl TokenCache {
    pub(crate) fn new(config: CacheConfig) -> Self {
        let inner = config.enabled.then(|| {
            moka::future::Cache::builder()
                .max_capacity(config.max_capacity)
                .expire_after(PerEntryExpiry)
                .build()
        });
        Self { inner, config }
    }

    /// Fast path: the cached secret, if any.
    #[inline]
    pub(crate) async fn get(&self, key: &Key) -> Option<SecretString> {
        let cache = self.inner.as_ref()?;
        cache.get(key).await.map(|e| e.secret.clone())
    }

    /// Returns the cached secret or runs `load` once for all concurrent callers of this key.
    pub(crate) async fn get_or_load<F>(
        &self,
        key: Key,
        force: bool,
        load: F,
    ) -> Result<(SecretString, Outcome), Error>
    where
        F: Future<Output = Result<Loaded, Error>> + Send,
    {
        let Some(cache) = &self.inner else {
            return load.await.map(|l| (l.secret, Outcome::Bypass));
        };
        if force {
            let loaded = load.await?;
            match loaded.ttl {
                Some(ttl) => {
                    cache
                        .insert(
                            key,
                            Arc::new(Entry {
                                secret: loaded.secret.clone(),
                                ttl,
                            }),
                        )
                        .await
                }
                None => cache.invalidate(&key).await,
            }
            return Ok((loaded.secret, Outcome::Bypass));
        }
        if let Some(hit) = cache.get(&key).await {
            return Ok((hit.secret.clone(), Outcome::Hit));
        }
        // An uncacheable answer (expired JWT, zero TTL) is still returned to this caller: it is
        // carried out of the loader through `uncached`, and the entry is dropped right away.
        let uncached: std::sync::Mutex<Option<SecretString>> = std::sync::Mutex::new(None);
        let entry = cache
            .entry(key)
            .or_try_insert_with(async {
                let loaded = load.await?;
                let ttl = match loaded.ttl {
                    Some(ttl) => ttl,
                    None => {
                        *uncached.lock().expect("not poisoned") = Some(loaded.secret.clone());
                        Duration::ZERO
                    }
                };
                Ok::<_, Error>(Arc::new(Entry {
                    secret: loaded.secret,
                    ttl,
                }))
            })
            .await
            .map_err(Arc::unwrap_or_clone)?;
        let outcome = if entry.is_fresh() {
            Outcome::Miss
        } else {
            Outcome::Joined
        };
        let uncached = uncached.lock().expect("not poisoned").take();
        if let Some(secret) = uncached {
            cache.invalidate(&key).await;
            return Ok((secret, outcome));
        }
        Ok((entry.into_value().secret.clone(), outcome))
    }

    pub(crate) async fn invalidate(&self, key: &Key) {
        if let Some(cache) = &self.inner {
            cache.invalidate(key).await;
        }
    }

    pub(crate) fn invalidate_all(&self) {
        if let Some(cache) = &self.inner {
            cache.invalidate_all();
        }
    }

    pub(crate) async fn entry_count(&self) -> u64 {
        match &self.inner {
            Some(cache) => {
                cache.run_pending_tasks().await;
                cache.entry_count()
            }
            None => 0,
        }
    }
}

/// The "token digest" of workload-scoped entries: the same for every token of `workload`
/// (`""`: the workload this process serves), never equal to a token's digest (other domain).
pub(crate) fn workload_scope_digest(workload: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"agentcore-identity/workload-scope/v1\0");
    h.update(workload.as_bytes());
    h.finalize().into()
}

/// The "token digest" of IAM web identity tokens: they belong to the client's own AWS identity,
/// not to a workload access token, so all of one client's share this domain (never equal to a
/// token's or a workload's digest).
pub(crate) fn iam_scope_digest() -> [u8; 32] {
    static DIGEST: std::sync::LazyLock<[u8; 32]> = std::sync::LazyLock::new(|| {
        let mut h = Sha256::new();
        h.update(b"agentcore-identity/iam-scope/v1\0");
        h.finalize().into()
    });
    *DIGEST
}

/// A workload access token the client obtained itself (named workload identity, local
/// development) or was given, its digest computed once, and the workload-scope digest of the
/// identity it was obtained for.
pub(crate) struct SharedWat {
    pub(crate) token: SecretString,
    pub(crate) digest: [u8; 32],
    pub(crate) workload_digest: [u8; 32],
    ttl: Duration,
}

impl fmt::Debug for SharedWat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedWat([REDACTED])")
    }
}

impl SharedWat {
    /// `workload`: the identity the token was obtained for, `""` when not known.
    pub(crate) fn new(token: SecretString, ttl: Duration, workload: &str) -> Self {
        let digest = digest_secret(secrecy::ExposeSecret::expose_secret(&token));
        Self {
            token,
            digest,
            workload_digest: workload_scope_digest(workload),
            ttl,
        }
    }
}

struct WatExpiry;

impl moka::Expiry<Key, Arc<SharedWat>> for WatExpiry {
    fn expire_after_create(&self, _: &Key, value: &Arc<SharedWat>, _: Instant) -> Option<Duration> {
        Some(value.ttl)
    }
}

/// Workload access tokens the client obtained itself, until they expire.
pub(crate) type WatCache = moka::future::Cache<Key, Arc<SharedWat>>;

pub(crate) fn wat_cache() -> WatCache {
    moka::future::Cache::builder()
        .max_capacity(1_000)
        .expire_after(WatExpiry)
        .build()
}

/// A remembered authorization session (USER_FEDERATION, non-blocking mode).
#[derive(Clone)]
pub(crate) struct PendingSession {
    pub(crate) authorization_url: Arc<str>,
    pub(crate) session_uri: Option<Arc<str>>,
}

impl fmt::Debug for PendingSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingSession")
            .field("authorization_url", &self.authorization_url)
            .field("session_uri", &self.session_uri)
            .finish()
    }
}

/// The session URIs of authorization sessions this client started and still waits for (the
/// callback server completes only these, each once), for 15 minutes at most.
pub(crate) type AwaitedSessions = moka::future::Cache<String, ()>;

pub(crate) fn awaited_sessions() -> AwaitedSessions {
    moka::future::Cache::builder()
        .max_capacity(10_000)
        .time_to_live(Duration::from_secs(15 * 60))
        .build()
}

/// Pending sessions by cache key, for 15 minutes at most.
pub(crate) type SessionMap = moka::future::Cache<Key, PendingSession>;

pub(crate) fn session_map() -> SessionMap {
    moka::future::Cache::builder()
        .max_capacity(10_000)
        .time_to_live(Duration::from_secs(15 * 60))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn jwt(exp: u64) -> String {
        let b = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!(
            "{}.{}.sig",
            b(r#"{"alg":"none"}"#),
            b(&format!(r#"{{"sub":"x","exp":{exp}}}"#))
        )
    }

    fn jwt_iat(iat: u64, exp: u64) -> String {
        let b = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!(
            "{}.{}.sig",
            b(r#"{"alg":"none"}"#),
            b(&format!(r#"{{"sub":"x","iat":{iat},"exp":{exp}}}"#))
        )
    }

    proptest::proptest! {
        /// Whatever the local clock's offset from the issuer's (an hour behind to an hour
        /// ahead), a JWT is never kept longer than its own lifetime less the skew, nor longer than
        /// the maximum TTL.
        #[test]
        fn shifted_clock_never_keeps_an_expired_jwt(
            issued in 1_600_000_000u64..1_900_000_000,
            lifetime in 0u64..100_000,
            offset in -3_600i64..3_600,
        ) {
            let c = CacheConfig::default();
            let token = jwt_iat(issued, issued + lifetime);
            let local_now = issued.saturating_add_signed(offset);
            let ttl = c.ttl_at(&token, false, local_now);
            let bound = Duration::from_secs(lifetime)
                .saturating_sub(c.jwt_expiry_skew)
                .min(c.max_ttl);
            proptest::prop_assert!(ttl.is_none_or(|t| t <= bound), "{ttl:?} > {bound:?}");
            if bound > Duration::ZERO {
                proptest::prop_assert_eq!(ttl, Some(bound));
            }
        }
    }

    #[test]
    fn max_ttl_caps_every_kind() {
        let c = CacheConfig::default().max_ttl(Duration::from_secs(10));
        assert_eq!(c.ttl_for("key", true), Some(Duration::from_secs(10)));
        assert_eq!(c.ttl_for("opaque", false), Some(Duration::from_secs(10)));
        assert_eq!(
            c.ttl_for(&jwt(now() + 100_000_000), false),
            Some(Duration::from_secs(10)),
            "a far-away exp is capped"
        );
    }

    fn now() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    #[test]
    fn ttl_policy() {
        let c = CacheConfig::default();
        assert_eq!(c.ttl_for("key", true), Some(Duration::from_secs(900)));
        assert_eq!(c.ttl_for("opaque", false), Some(Duration::from_secs(300)));
        let ttl = c.ttl_for(&jwt(now() + 3000), false).unwrap();
        assert!(
            ttl <= Duration::from_secs(2940) && ttl > Duration::from_secs(2930),
            "{ttl:?}"
        );
        assert_eq!(c.ttl_for(&jwt(now() + 30), false), None, "within skew");
        assert_eq!(c.ttl_for(&jwt(now() - 30), false), None, "expired");
    }

    #[test]
    fn keys_differ_by_token_and_params_and_ignore_order() {
        let d1 = digest_secret("wat-1");
        let d2 = digest_secret("wat-2");
        let k = |d: &[u8; 32], scopes: &[&str]| {
            let mut b = KeyBuilder::new("oauth2", d);
            b.str("p").set(scopes.iter().copied());
            b.finish()
        };
        assert_ne!(k(&d1, &["a"]), k(&d2, &["a"]));
        assert_eq!(k(&d1, &["a", "b"]), k(&d1, &["b", "a"]));
        assert_ne!(k(&d1, &["a"]), k(&d1, &["a", "b"]));
        // length prefixes: ("ab","c") != ("a","bc")
        let mut x = KeyBuilder::new("k", &d1);
        x.str("ab").str("c");
        let mut y = KeyBuilder::new("k", &d1);
        y.str("a").str("bc");
        assert_ne!(x.finish(), y.finish());
    }

    #[tokio::test]
    async fn single_flight_and_force() {
        let cache = TokenCache::new(CacheConfig::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let key = [7u8; 32];
        let mut tasks = Vec::new();
        for _ in 0..100 {
            let cache = cache.clone();
            let calls = calls.clone();
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_load(key, false, async {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok(Loaded {
                            secret: SecretString::from("v1"),
                            ttl: Some(Duration::from_secs(60)),
                        })
                    })
                    .await
                    .unwrap()
                    .0
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().expose_secret(), "v1");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let (v, o) = cache
            .get_or_load(key, true, async {
                Ok(Loaded {
                    secret: SecretString::from("v2"),
                    ttl: Some(Duration::from_secs(60)),
                })
            })
            .await
            .unwrap();
        assert_eq!((v.expose_secret(), o), ("v2", Outcome::Bypass));
        assert_eq!(cache.get(&key).await.unwrap().expose_secret(), "v2");
    }

    #[tokio::test]
    async fn uncacheable_value_is_returned_but_not_kept() {
        let cache = TokenCache::new(CacheConfig::default());
        let key = [1u8; 32];
        let (v, _) = cache
            .get_or_load(key, false, async {
                Ok(Loaded {
                    secret: SecretString::from("short"),
                    ttl: None,
                })
            })
            .await
            .unwrap();
        assert_eq!(v.expose_secret(), "short");
        assert!(cache.get(&key).await.is_none());
    }

    #[tokio::test]
    async fn errors_reach_every_waiter_and_are_not_cached() {
        let cache = TokenCache::new(CacheConfig::default());
        let key = [2u8; 32];
        let err = cache
            .get_or_load(key, false, async { Err(Error::NoTokenOrAuthorizationUrl) })
            .await
            .unwrap_err();
        assert!(matches!(err, Error::NoTokenOrAuthorizationUrl));
        assert!(cache.get(&key).await.is_none());
    }
}
