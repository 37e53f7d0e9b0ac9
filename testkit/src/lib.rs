//! Test support for the agentcore-identity workspace.
//!
//! * [`TestIdp`]: a real OpenID provider (npm `oidc-provider` 9.x, `testkit/idp/idp.mjs`) running
//!   as a `node` child process on `127.0.0.1` with an OS-chosen port. It needs
//!   `npm ci --prefix testkit/idp` to have been run once.
//! * [`Browser`]: a headless "browser" (reqwest with a cookie store, redirects followed by hand)
//!   that signs in at the provider and grants or denies consent.
//!
//! The provider's fixed clients are the `*_CLIENT_ID` / `*_CLIENT_SECRET` constants. Every
//! authorization request asks for a login and then for consent; any login name and password are
//! accepted and the login name becomes the `sub`. The login name [`DENY_LOGIN`] (or the consent
//! page's "Deny" form, used by [`Browser::deny_consent`]) makes the provider redirect to the
//! `redirect_uri` with `error=access_denied`.
//!
//! ```no_run
//! # async fn demo() {
//! use agentcore_identity_testkit::{TestIdp, M2M_CLIENT_ID, M2M_CLIENT_SECRET};
//!
//! let idp = TestIdp::start().await;
//! let response = reqwest::Client::new()
//!     .post(idp.token_endpoint())
//!     .basic_auth(M2M_CLIENT_ID, Some(M2M_CLIENT_SECRET))
//!     .form(&[("grant_type", "client_credentials"), ("scope", "read")])
//!     .send()
//!     .await
//!     .unwrap();
//! assert!(response.status().is_success());
//! # }
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use regex::Regex;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use url::{Origin, Url};

/// Client id of the machine-to-machine client (grant `client_credentials`, authenticates with
/// `client_secret_basic`, i.e. HTTP Basic).
pub const M2M_CLIENT_ID: &str = "testkit-m2m";
/// Client secret of [`M2M_CLIENT_ID`].
pub const M2M_CLIENT_SECRET: &str = "testkit-m2m-secret";
/// Client id of the second machine-to-machine client (grant `client_credentials`, authenticates
/// with `client_secret_post`, i.e. `client_id` and `client_secret` in the form body).
///
/// `oidc-provider` enforces one authentication method per client, hence two clients.
pub const M2M_POST_CLIENT_ID: &str = "testkit-m2m-post";
/// Client secret of [`M2M_POST_CLIENT_ID`].
pub const M2M_POST_CLIENT_SECRET: &str = "testkit-m2m-post-secret";
/// Client id of the web client (grants `authorization_code`, `refresh_token`, RFC 8693
/// [`TOKEN_EXCHANGE_GRANT`], [`JWT_BEARER_GRANT`] and `client_credentials` (for an M2M actor token of
/// its own token exchanges), authenticates with `client_secret_basic`). Any redirect URI on `http://127.0.0.1:<port>` or
/// `http://localhost:<port>` is accepted; PKCE (S256) is accepted but not required.
pub const WEB_CLIENT_ID: &str = "testkit-web";
/// Client secret of [`WEB_CLIENT_ID`].
pub const WEB_CLIENT_SECRET: &str = "testkit-web-secret";
/// Resource indicator used when a request names none: the `aud` of the JWT access tokens.
pub const DEFAULT_AUDIENCE: &str = "urn:agentcore-identity:testkit:api";
/// RFC 8693 token-exchange grant type, allowed for the web client and [`IAM_CLIENT_ID`]. The `subject_token` must be a
/// JWT issued by this provider: its RS256 signature is verified with the provider's own signing
/// key, `iss` must be the issuer, `exp` in the future and `sub` present. The answer is an RS256 JWT
/// access token with `sub` = the subject's `sub`, `client_id` and `act.sub` = the exchanging
/// client, `aud` = the requested `audience`/`resource` (else [`DEFAULT_AUDIENCE`]) and the requested
/// `scope`. A bad subject token answers 400 `invalid_grant` with an `error_description`.
///
/// An `actor_token` (its `actor_token_type` one of the `access_token`, `jwt` or `id_token` token
/// types) is verified as well: either a JWT of this provider (as the subject token; e.g. a
/// `client_credentials` access token) or a JWT of the workload issuer
/// ([`TestIdpBuilder::workload_issuer`]) verified with the keys at
/// [`TestIdpBuilder::workload_jwks_uri`] (RS256 or ES384, key chosen by `kid`, `exp` in the future,
/// `aud` = the issuer or the token endpoint, a `sub`). The issued token's `act` then names the actor
/// (RFC 8693 section 4.1): `sub` and `iss` of the actor token, its `client_id` when it has one, and
/// its own `act` nested. A bad actor token answers 400 `invalid_grant`. Every accepted actor token
/// is logged to the provider's stderr ([`TestIdp::stderr`]) as
/// `testkit idp: actor_token accepted: iss=.. sub=.. scope=..` (never the token itself).
pub const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// RFC 7523 JWT authorization grant type, allowed for the web client and [`IAM_CLIENT_ID`]. The
/// `assertion` must be a JWT issued by this provider, verified as [`TOKEN_EXCHANGE_GRANT`]'s
/// subject token (RS256 signature with the provider's key, `iss`, `exp`, `sub`; its `aud` is not
/// checked). The answer is an RS256 JWT access token with `sub` = the assertion's `sub`,
/// `client_id` = the client (no `act`), `aud` = the requested `audience`/`resource` (else
/// [`DEFAULT_AUDIENCE`]) and the requested `scope`. A bad assertion answers 400 `invalid_grant`.
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// Client id of the client that authenticates with `private_key_jwt` (RS256) against the JWKS
/// given to [`TestIdpBuilder::workload_jwks_uri`] (registered only then; no secret). Grants
/// `client_credentials`, `authorization_code` and `refresh_token` (any loopback redirect URI, as
/// the web client), [`TOKEN_EXCHANGE_GRANT`] and [`JWT_BEARER_GRANT`]. oidc-provider requires the assertion's `iss`
/// to be this client id, its `aud` the issuer or the token endpoint, a `jti` (single use) and an
/// `exp`.
pub const IAM_CLIENT_ID: &str = "testkit-iam";
/// Login name that refuses the authorization: the provider redirects to the `redirect_uri` with
/// `error=access_denied` right after the login form.
pub const DENY_LOGIN: &str = "deny";

/// Default access-token lifetime of the provider.
pub const DEFAULT_ACCESS_TOKEN_TTL: Duration = Duration::from_secs(600);

const READY_PREFIX: &str = "IDP_LISTENING ";
const START_TIMEOUT: Duration = Duration::from_secs(90);
const STDERR_KEEP: usize = 64 * 1024;

/// The claims (payload) of a compact JWT, decoded without verifying anything; panics on anything
/// that is not a JWT with a JSON payload.
pub fn jwt_claims(token: &str) -> serde_json::Value {
    use base64::Engine as _;
    let payload = token
        .split('.')
        .nth(1)
        .expect("a JWT has a payload segment");
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("the payload is base64url"),
    )
    .expect("the payload is JSON")
}

/// A loopback port free when asked (the listener that found it is closed again): for a process
/// or server that must be told its port before it binds it. Something else may take it
/// meanwhile; a caller that can tell should try another.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// An error and its sources, each as `Display` then `Debug` (where variant names such as
/// rustls's `UnknownIssuer` show), joined by ` / `: for assertions on why something failed.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    std::iter::successors(Some(err), |e| e.source())
        .map(|e| format!("{e} ({e:?})"))
        .collect::<Vec<_>>()
        .join(" / ")
}

/// A self-signed certificate (PEM) for `localhost` and `127.0.0.1`, trusted by nothing: test data
/// for TLS servers on loopback (`testkit/fixtures`).
pub const SELF_SIGNED_CERT_PEM: &[u8] = include_bytes!("../fixtures/self-signed.pem");
/// The private key (PEM, P-256) of [`SELF_SIGNED_CERT_PEM`].
pub const SELF_SIGNED_KEY_PEM: &[u8] = include_bytes!("../fixtures/self-signed.key.pem");

/// The file holding [`SELF_SIGNED_CERT_PEM`] (for `SSL_CERT_FILE` and the like).
pub fn self_signed_cert_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/self-signed.pem")
}

/// A root certificate (PEM) that signed nothing the tests serve (its key was thrown away): for
/// `SSL_CERT_FILE` when a client must trust no test server.
pub fn unrelated_root_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/unrelated-root.pem")
}

/// A TLS server configuration (rustls on aws-lc) presenting [`SELF_SIGNED_CERT_PEM`], for a
/// loopback TLS server (`tokio_rustls::TlsAcceptor::from(Arc::new(config))`).
pub fn self_signed_server_config() -> rustls::ServerConfig {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let certs = CertificateDer::pem_slice_iter(SELF_SIGNED_CERT_PEM)
        .collect::<Result<Vec<_>, _>>()
        .expect("the fixture certificate parses");
    let key = PrivateKeyDer::from_pem_slice(SELF_SIGNED_KEY_PEM).expect("the fixture key parses");
    rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS 1.2 and 1.3")
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("the fixture certificate and key match")
}

/// Directory of the provider's Node project (`testkit/idp`).
pub fn idp_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("idp")
}

/// A running test OpenID provider; the `node` process is killed when this value is dropped.
///
/// Start one per test (it starts in well under a second); storage is in memory. Do not keep it
/// in a `static`: it would never be dropped, and its output pipes are read by tasks of the Tokio
/// runtime that started it.
pub struct TestIdp {
    issuer: String,
    token_endpoint: String,
    authorization_endpoint: String,
    jwks_uri: String,
    access_token_ttl: Duration,
    stderr: Arc<Mutex<String>>,
    child: Child,
}

impl fmt::Debug for TestIdp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestIdp")
            .field("issuer", &self.issuer)
            .field("access_token_ttl", &self.access_token_ttl)
            .field("pid", &self.child.id())
            .finish_non_exhaustive()
    }
}

/// Options for [`TestIdp`]; see [`TestIdp::builder`].
#[derive(Debug, Clone, Default)]
pub struct TestIdpBuilder {
    access_token_ttl: Option<Duration>,
    workload_jwks_uri: Option<String>,
    workload_issuer: Option<String>,
}

impl TestIdpBuilder {
    /// Lifetime of the access tokens (all grants); rounded up to whole seconds, at least 1 s.
    /// Default [`DEFAULT_ACCESS_TOKEN_TTL`].
    pub fn access_token_ttl(mut self, ttl: Duration) -> Self {
        self.access_token_ttl = Some(ttl);
        self
    }

    /// Registers the client [`IAM_CLIENT_ID`], authenticating with `private_key_jwt` against the
    /// keys at `jwks_uri` (e.g. agentcore-identity-local's STS JWKS,
    /// `{endpoint}/.well-known/jwks.json`), fetched when the client first authenticates.
    /// Actor tokens of the workload issuer ([`TOKEN_EXCHANGE_GRANT`]) are verified with these keys.
    pub fn workload_jwks_uri(mut self, jwks_uri: impl Into<String>) -> Self {
        self.workload_jwks_uri = Some(jwks_uri.into());
        self
    }

    /// The `iss` of the actor tokens verified with [`Self::workload_jwks_uri`]'s keys. Default: that
    /// URL without its `/.well-known/jwks.json` suffix (agentcore-identity-local's issuer).
    pub fn workload_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.workload_issuer = Some(issuer.into());
        self
    }

    /// Starts the provider and waits until it serves its discovery document.
    ///
    /// # Panics
    ///
    /// When `testkit/idp/node_modules` is missing (run `npm ci --prefix testkit/idp`), when
    /// `node` cannot be started, or when the provider is not ready within 90 s (the message
    /// includes the provider's stderr).
    pub async fn start(self) -> TestIdp {
        let dir = idp_dir();
        if !dir.join("node_modules").join("oidc-provider").is_dir() {
            panic!(
                "the test OpenID provider is not installed: {} is missing; run `npm ci --prefix testkit/idp` \
                 from the workspace root first",
                dir.join("node_modules/oidc-provider").display()
            );
        }
        let ttl = self.access_token_ttl.unwrap_or(DEFAULT_ACCESS_TOKEN_TTL);
        let ttl_secs = ttl
            .as_secs()
            .saturating_add(u64::from(ttl.subsec_nanos() > 0))
            .max(1);

        let mut command = Command::new("node");
        if let Some(uri) = &self.workload_jwks_uri {
            command.env("WORKLOAD_JWKS_URI", uri);
        } else {
            command.env_remove("WORKLOAD_JWKS_URI");
        }
        if let Some(iss) = &self.workload_issuer {
            command.env("WORKLOAD_ISSUER", iss);
        } else {
            command.env_remove("WORKLOAD_ISSUER");
        }
        let mut child = command
            .arg("idp.mjs")
            .current_dir(&dir)
            .env("PORT", "0")
            .env("ACCESS_TOKEN_TTL", ttl_secs.to_string())
            .env_remove("DEBUG")
            .env_remove("NODE_OPTIONS")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start `node idp.mjs` in {}: {e} (is Node.js 20+ on PATH?)",
                    dir.display()
                )
            });

        let stderr = Arc::new(Mutex::new(String::new()));
        let stderr_task = {
            let pipe = child.stderr.take().expect("stderr is piped");
            let buffer = Arc::clone(&stderr);
            tokio::spawn(async move {
                let mut lines = BufReader::new(pipe).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    tracing::debug!(target: "agentcore_identity_testkit::idp", "{line}");
                    let mut buffer = buffer.lock().unwrap_or_else(|e| e.into_inner());
                    if buffer.len() < STDERR_KEEP {
                        buffer.push_str(&line);
                        buffer.push('\n');
                    }
                }
            })
        };

        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped")).lines();
        let ready = tokio::time::timeout(START_TIMEOUT, async {
            loop {
                match stdout.next_line().await {
                    Ok(Some(line)) => {
                        if let Some(issuer) = line.strip_prefix(READY_PREFIX) {
                            return Ok(issuer.trim().to_owned());
                        }
                        tracing::debug!(target: "agentcore_identity_testkit::idp", "{line}");
                    }
                    Ok(None) => return Err("the provider exited before it was ready".to_owned()),
                    Err(e) => return Err(format!("cannot read the provider's stdout: {e}")),
                }
            }
        })
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "the provider was not ready within {START_TIMEOUT:?}"
            ))
        });

        let issuer = match ready {
            Ok(issuer) => issuer,
            Err(message) => abort_start(&mut child, stderr_task, &stderr, message).await,
        };

        // Keep draining stdout so the provider never blocks on a full pipe.
        tokio::spawn(async move {
            while let Ok(Some(line)) = stdout.next_line().await {
                tracing::debug!(target: "agentcore_identity_testkit::idp", "{line}");
            }
        });

        let discovery_url = format!("{issuer}/.well-known/openid-configuration");
        let discovery = match fetch_discovery(&discovery_url).await {
            Ok(discovery) => discovery,
            Err(message) => abort_start(&mut child, stderr_task, &stderr, message).await,
        };
        let endpoint = |name: &str| -> Result<String, String> {
            discovery[name]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("discovery document has no {name}: {discovery}"))
        };
        let endpoints = (|| {
            Ok::<_, String>((
                endpoint("token_endpoint")?,
                endpoint("authorization_endpoint")?,
                endpoint("jwks_uri")?,
            ))
        })();
        let (token_endpoint, authorization_endpoint, jwks_uri) = match endpoints {
            Ok(endpoints) => endpoints,
            Err(message) => abort_start(&mut child, stderr_task, &stderr, message).await,
        };

        TestIdp {
            issuer,
            token_endpoint,
            authorization_endpoint,
            jwks_uri,
            access_token_ttl: Duration::from_secs(ttl_secs),
            stderr,
            child,
        }
    }
}

/// Kills the half-started provider and panics with its stderr.
async fn abort_start(
    child: &mut Child,
    stderr_task: tokio::task::JoinHandle<()>,
    stderr: &Arc<Mutex<String>>,
    message: String,
) -> ! {
    let _ = child.start_kill();
    let _ = tokio::time::timeout(Duration::from_secs(2), stderr_task).await;
    let stderr = stderr.lock().unwrap_or_else(|e| e.into_inner()).clone();
    panic!("TestIdp: {message}\n--- provider stderr ---\n{stderr}");
}

async fn fetch_discovery(url: &str) -> Result<serde_json::Value, String> {
    let response = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())?
        .get(url)
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("GET {url}: HTTP {status}"));
    }
    response
        .json()
        .await
        .map_err(|e| format!("GET {url}: invalid JSON: {e}"))
}

impl TestIdp {
    /// Starts a provider with the default options (see [`TestIdpBuilder::start`] for panics).
    pub async fn start() -> TestIdp {
        Self::builder().start().await
    }

    /// Options for the provider, e.g. a short access-token lifetime for refresh tests.
    pub fn builder() -> TestIdpBuilder {
        TestIdpBuilder::default()
    }

    /// The issuer, `http://127.0.0.1:<port>` (no trailing slash).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// `{issuer}/.well-known/openid-configuration`.
    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer)
    }

    /// The token endpoint (from discovery; `{issuer}/token`).
    pub fn token_endpoint(&self) -> String {
        self.token_endpoint.clone()
    }

    /// The authorization endpoint (from discovery; `{issuer}/auth`).
    pub fn authorization_endpoint(&self) -> String {
        self.authorization_endpoint.clone()
    }

    /// The JWKS URI with the RS256 key that signs the access and ID tokens.
    pub fn jwks_uri(&self) -> String {
        self.jwks_uri.clone()
    }

    /// The access-token lifetime the provider was started with (whole seconds).
    pub fn access_token_ttl(&self) -> Duration {
        self.access_token_ttl
    }

    /// A real user JWT: signs in as `login` with the web client (authorization code flow through a
    /// fresh [`Browser`], redirect URI `http://127.0.0.1:9/callback`, scope `openid read`) and
    /// returns the access token, an RS256 JWT with `sub` = `login`, `iss` = the issuer and `aud` =
    /// [`DEFAULT_AUDIENCE`].
    ///
    /// # Panics
    ///
    /// When the flow or the code exchange fails.
    pub async fn user_jwt(&self, login: &str) -> String {
        const REDIRECT: &str = "http://127.0.0.1:9/callback";
        let mut auth = Url::parse(&self.authorization_endpoint).expect("authorization endpoint");
        auth.query_pairs_mut()
            .append_pair("client_id", WEB_CLIENT_ID)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", REDIRECT)
            .append_pair("scope", "openid read")
            .append_pair("state", "testkit-user-jwt");
        let browser = Browser::new();
        let back = browser
            .complete_consent(auth.as_str(), login)
            .await
            .unwrap_or_else(|e| panic!("TestIdp::user_jwt: {e}"));
        let code = back
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("TestIdp::user_jwt: no code in {back}"));
        let response = browser
            .http()
            .post(&self.token_endpoint)
            .basic_auth(WEB_CLIENT_ID, Some(WEB_CLIENT_SECRET))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT),
            ])
            .send()
            .await
            .expect("token request");
        let status = response.status();
        let body: serde_json::Value = response.json().await.expect("token response JSON");
        assert!(status.is_success(), "TestIdp::user_jwt: {status} {body}");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    /// What the provider wrote to stderr so far (first 64 KiB), for failure messages.
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// A headless browser for the OAuth2 authorization-code flow: keeps cookies, follows redirects
/// by hand and submits the provider's login and consent forms.
///
/// The provider's session is kept in the cookie store, but the provider asks for a login on every
/// authorization request anyway, so one `Browser` can act as several users in turn.
#[derive(Debug, Clone)]
pub struct Browser {
    http: reqwest::Client,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Approve,
    Deny,
}

#[derive(Debug, Clone)]
struct Form {
    id: Option<String>,
    method: String,
    action: Url,
    fields: Vec<(String, String)>,
}

impl Form {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn set(&mut self, name: &str, value: &str) {
        match self.fields.iter_mut().find(|(n, _)| n == name) {
            Some(field) => field.1 = value.to_owned(),
            None => self.fields.push((name.to_owned(), value.to_owned())),
        }
    }
}

enum Step {
    Get(Url),
    Post(Url, Vec<(String, String)>),
}

const MAX_STEPS: usize = 40;

impl Browser {
    /// A browser with an empty cookie store (30 s timeout per request).
    pub fn new() -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("reqwest client");
        Self { http }
    }

    /// The underlying HTTP client (same cookie store, redirects not followed).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Opens `authorization_url`, signs in as `login` (any password) and grants consent.
    ///
    /// Redirects are followed by hand (relative `Location` headers too) while they stay on the
    /// origin of `authorization_url` (e.g. the service under test, which serves the authorization
    /// URL and the OAuth2 callback) or on the provider's origin. Returns the first redirect
    /// target outside both origins (the application's return URL, or the `redirect_uri` with
    /// `code` and `state` when `authorization_url` is the provider's own) without fetching it.
    /// If the chain ends at a 2xx page after the provider redirected back, that page's URL is
    /// returned.
    ///
    /// With `login` = [`DENY_LOGIN`] the provider refuses, and the result is the redirect carrying
    /// `error=access_denied`.
    ///
    /// # Errors
    ///
    /// A description of the unexpected response (status, URL, start of the body).
    pub async fn complete_consent(
        &self,
        authorization_url: &str,
        login: &str,
    ) -> Result<Url, String> {
        self.drive(authorization_url, login, Decision::Approve)
            .await
    }

    /// Opens `authorization_url`, signs in as `login` and submits the consent page's "Deny" form,
    /// so the provider redirects to the `redirect_uri` with `error=access_denied`.
    ///
    /// Redirects are followed as in [`Browser::complete_consent`] (so a service under test does
    /// receive the error at its callback). Returns the first redirect target outside the
    /// provider's origin and the origin of `authorization_url`; if the chain stops before that
    /// (e.g. the service answers its callback with an error page), returns the provider's
    /// redirect to the `redirect_uri`, which carries `error=access_denied`.
    ///
    /// # Errors
    ///
    /// A description of the unexpected response, or no consent page was shown.
    pub async fn deny_consent(&self, authorization_url: &str, login: &str) -> Result<Url, String> {
        self.drive(authorization_url, login, Decision::Deny).await
    }

    async fn drive(
        &self,
        authorization_url: &str,
        login: &str,
        decision: Decision,
    ) -> Result<Url, String> {
        let start = Url::parse(authorization_url)
            .map_err(|e| format!("invalid authorization URL {authorization_url:?}: {e}"))?;
        let service: Origin = start.origin();
        // The provider's origin: the origin serving the login/consent forms, or, before that is
        // known, the first origin the service redirects to.
        let mut idp: Option<Origin> = None;
        // Set once a login or consent form has been submitted.
        let mut interacted = false;
        // The provider's redirect to the redirect_uri (after the interactions).
        let mut idp_redirect: Option<Url> = None;
        let mut trail: Vec<String> = Vec::new();

        let mut step = Step::Get(start);
        for _ in 0..MAX_STEPS {
            let (url, request) = match step {
                Step::Get(url) => (url.clone(), self.http.get(url)),
                Step::Post(url, fields) => (url.clone(), self.http.post(url).form(&fields)),
            };
            let response = request
                .send()
                .await
                .map_err(|e| format!("request to {url} failed: {e}; trail: {trail:?}"))?;
            let status = response.status();
            trail.push(format!("{status} {url}"));

            if status.is_redirection() {
                let location = response
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| format!("{status} without Location from {url}"))?;
                let target = url
                    .join(location)
                    .map_err(|e| format!("bad Location {location:?} from {url}: {e}"))?;
                let target_origin = target.origin();
                let from_idp = idp.as_ref() == Some(&url.origin());
                if interacted && from_idp && idp.as_ref() != Some(&target_origin) {
                    idp_redirect.get_or_insert_with(|| target.clone());
                }
                if target_origin == service || idp.as_ref() == Some(&target_origin) {
                    step = Step::Get(target);
                    continue;
                }
                if idp.is_none() && !interacted {
                    idp = Some(target_origin);
                    step = Step::Get(target);
                    continue;
                }
                return Ok(target);
            }

            let is_html = response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("html"));
            let body = response.text().await.unwrap_or_default();

            if let Some(redirect) = idp_redirect.take() {
                // The provider already sent the user agent back; the chain ended on the service.
                return match decision {
                    Decision::Deny => Ok(redirect),
                    Decision::Approve if status.is_success() => Ok(url),
                    Decision::Approve => Err(format!(
                        "HTTP {status} from {url} after the provider redirected to {redirect}: {}; trail: {trail:?}",
                        snippet(&body)
                    )),
                };
            }

            if status.is_success() && is_html {
                let mut forms = parse_forms(&body, &url);
                if let Some(i) = forms.iter().position(|f| f.field("login").is_some()) {
                    let mut form = forms.swap_remove(i);
                    form.set("login", login);
                    form.set("password", "testkit");
                    idp = Some(url.origin());
                    interacted = true;
                    step = submit(form);
                    continue;
                }
                let consent = forms
                    .iter()
                    .filter(|f| f.field("prompt") == Some("consent"))
                    .find(|f| {
                        let deny =
                            f.id.as_deref() == Some("deny") || f.field("decision") == Some("deny");
                        deny == (decision == Decision::Deny)
                    })
                    .cloned();
                if let Some(form) = consent {
                    idp = Some(url.origin());
                    interacted = true;
                    step = submit(form);
                    continue;
                }
                // A page that submits its form by script, as a browser would: e.g. the
                // provider's logout confirmation when another user signs in.
                if body.contains(".submit()")
                    && let Some(form) = forms.into_iter().next()
                {
                    let origin = form.action.origin();
                    if origin != service && idp.as_ref() != Some(&origin) {
                        return Err(format!(
                            "auto-submitted form to {} leaves the provider and the service \
                                 (response_mode=form_post is not supported); trail: {trail:?}",
                            form.action
                        ));
                    }
                    step = submit(form);
                    continue;
                }
            }

            return Err(format!(
                "unexpected HTTP {status} from {url} (no redirect, no {} form): {}; trail: {trail:?}",
                if interacted { "consent" } else { "login" },
                snippet(&body)
            ));
        }
        Err(format!("more than {MAX_STEPS} steps; trail: {trail:?}"))
    }
}

fn submit(form: Form) -> Step {
    if form.method.eq_ignore_ascii_case("get") {
        let mut url = form.action;
        url.query_pairs_mut().extend_pairs(&form.fields);
        Step::Get(url)
    } else {
        Step::Post(form.action, form.fields)
    }
}

fn snippet(body: &str) -> String {
    let mut s: String = body.chars().take(600).collect();
    if s.len() < body.len() {
        s.push('…');
    }
    s
}

fn html_unescape(value: &str) -> String {
    value
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn attributes(tag: &str) -> Vec<(String, String)> {
    static ATTR: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = ATTR.get_or_init(|| {
        Regex::new(
            r#"([A-Za-z_:][-A-Za-z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?"#,
        )
        .expect("attribute regex")
    });
    re.captures_iter(tag)
        .map(|c| {
            let value = c
                .get(2)
                .or_else(|| c.get(3))
                .or_else(|| c.get(4))
                .map_or("", |m| m.as_str());
            (c[1].to_ascii_lowercase(), html_unescape(value))
        })
        .collect()
}

fn attribute<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The forms of an HTML page, with action URLs resolved against `base`.
fn parse_forms(html: &str, base: &Url) -> Vec<Form> {
    static FORM: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    static INPUT: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let form_re = FORM
        .get_or_init(|| Regex::new(r"(?is)<form\b([^>]*)>(.*?)</form\s*>").expect("form regex"));
    let input_re = INPUT.get_or_init(|| Regex::new(r"(?is)<input\b([^>]*)>").expect("input regex"));

    form_re
        .captures_iter(html)
        .filter_map(|c| {
            let attrs = attributes(&c[1]);
            let action = match attribute(&attrs, "action") {
                Some(a) if !a.is_empty() => base.join(a).ok()?,
                _ => base.clone(),
            };
            let fields = input_re
                .captures_iter(&c[2])
                .filter_map(|i| {
                    let attrs = attributes(&i[1]);
                    let name = attribute(&attrs, "name")?.to_owned();
                    let value = attribute(&attrs, "value").unwrap_or("").to_owned();
                    Some((name, value))
                })
                .collect();
            Some(Form {
                id: attribute(&attrs, "id").map(str::to_owned),
                method: attribute(&attrs, "method").unwrap_or("get").to_owned(),
                action,
                fields,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_forms_and_resolves_actions() {
        let base = Url::parse("http://127.0.0.1:5000/interaction/abc").unwrap();
        let html = r#"<form id="login" method="post" action="/interaction/abc?x=1&amp;y=2">
            <input type="hidden" name="prompt" value="login">
            <input type="text" name='login' value="" required>
            <input type=password name=password>
            </form>
            <FORM action="next"><input name="a" value="&quot;b&quot;"/></FORM>"#;
        let forms = parse_forms(html, &base);
        assert_eq!(forms.len(), 2);
        assert_eq!(forms[0].id.as_deref(), Some("login"));
        assert_eq!(forms[0].method, "post");
        assert_eq!(
            forms[0].action.as_str(),
            "http://127.0.0.1:5000/interaction/abc?x=1&y=2"
        );
        assert_eq!(forms[0].field("prompt"), Some("login"));
        assert_eq!(forms[0].field("login"), Some(""));
        assert_eq!(forms[0].field("password"), Some(""));
        assert_eq!(
            forms[1].action.as_str(),
            "http://127.0.0.1:5000/interaction/next"
        );
        assert_eq!(forms[1].field("a"), Some("\"b\""));
    }
}
