//! Property: under random interleavings of concurrent get / force / invalidate, by several users
//! (workload access tokens), over API keys and OAuth2 tokens of several providers, flows and
//! scope sets, every credential a caller gets belongs to **its own** (workload access token,
//! request), and a forced call returns a freshly loaded one.
//!
//! The service here is a stand-in (wiremock) whose every answer is unique and names what it
//! answers: `api|{workload token}|{provider}` or `oauth|{workload token}|{provider}|{flow}|{scopes}`,
//! plus a version number, as an opaque token or inside a JWT with an `exp`. Against the local
//! service this could not be checked: API keys are the same for every user of a provider, and M2M
//! tokens the same for every user of a workload. The client, its cache, its key derivation and
//! the SDK calls are the real ones.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agentcore_identity::context::RequestContext;
use agentcore_identity::{
    ApiKeyRequest, AuthFlow, CacheConfig, CacheScope, IdentityClient, TokenRequest,
};
use aws_credential_types::Credentials;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const USERS: [&str; 3] = ["wat-alice-0001", "wat-bob-0002", "wat-carol-0003"];
const PROVIDERS: [&str; 2] = ["p0", "p1"]; // p1 answers with JWTs
const SCOPES: [&str; 3] = ["read", "write", "admin"];

/// The stand-in service: counts loads per identity, answers with unique values.
#[derive(Default)]
struct Vault {
    versions: Mutex<HashMap<String, u64>>,
    seq: AtomicU64,
}

impl Vault {
    fn next(&self, identity: &str) -> u64 {
        let mut v = self.versions.lock().unwrap();
        let n = v.entry(identity.to_owned()).or_default();
        *n += 1;
        *n
    }
    fn current(&self, identity: &str) -> u64 {
        self.versions
            .lock()
            .unwrap()
            .get(identity)
            .copied()
            .unwrap_or(0)
    }
    fn delay(&self) -> Duration {
        // 0..3 ms, varying per request, to widen race windows
        Duration::from_micros(self.seq.fetch_add(7919, Ordering::Relaxed) % 3000)
    }
}

fn token_value(identity: &str, version: u64, jwt: bool) -> String {
    if jwt {
        let exp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 3600;
        let payload = json!({"exp": exp, "id": identity, "v": version});
        format!(
            "{}.{}.sig",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(payload.to_string())
        )
    } else {
        format!("{identity}#v{version}")
    }
}

/// (identity, version) of a value handed to a caller.
fn parse_value(v: &str) -> (String, u64) {
    if let Some((id, ver)) = v.rsplit_once("#v") {
        return (id.to_owned(), ver.parse().expect("version"));
    }
    let payload = v.split('.').nth(1).expect("JWT");
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("b64")).expect("json");
    (
        claims["id"].as_str().expect("id").to_owned(),
        claims["v"].as_u64().expect("v"),
    )
}

fn oauth_identity(wat: &str, provider: &str, flow: &str, scopes: &[String]) -> String {
    let mut s: Vec<&str> = scopes.iter().map(String::as_str).collect();
    s.sort_unstable();
    s.dedup();
    format!("oauth|{wat}|{provider}|{flow}|{}", s.join(","))
}

struct ApiKeys(Arc<Vault>);
impl Respond for ApiKeys {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let b: Value = serde_json::from_slice(&req.body).expect("JSON body");
        let id = format!(
            "api|{}|{}",
            b["workloadIdentityToken"].as_str().expect("token"),
            b["resourceCredentialProviderName"]
                .as_str()
                .expect("provider")
        );
        let v = self.0.next(&id);
        ResponseTemplate::new(200)
            .set_body_json(json!({ "apiKey": token_value(&id, v, false) }))
            .set_delay(self.0.delay())
    }
}

struct Tokens(Arc<Vault>);
impl Respond for Tokens {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let b: Value = serde_json::from_slice(&req.body).expect("JSON body");
        let provider = b["resourceCredentialProviderName"]
            .as_str()
            .expect("provider");
        let scopes: Vec<String> = b["scopes"]
            .as_array()
            .expect("scopes")
            .iter()
            .map(|s| s.as_str().expect("scope").to_owned())
            .collect();
        let id = oauth_identity(
            b["workloadIdentityToken"].as_str().expect("token"),
            provider,
            b["oauth2Flow"].as_str().expect("flow"),
            &scopes,
        );
        let v = self.0.next(&id);
        ResponseTemplate::new(200)
            .set_body_json(json!({ "accessToken": token_value(&id, v, provider == "p1") }))
            .set_delay(self.0.delay())
    }
}

#[derive(Debug, Clone)]
enum Kind {
    ApiKey,
    Token { flow: AuthFlow, scopes: Vec<usize> },
}

#[derive(Debug, Clone, Copy)]
enum Action {
    Get,
    Force,
    Invalidate,
}

#[derive(Debug, Clone)]
struct Op {
    user: usize,
    provider: usize,
    kind: Kind,
    action: Action,
    /// the workload access token on the request rather than in the request context
    explicit: bool,
}

fn op() -> impl Strategy<Value = Op> {
    let kind = prop_oneof![
        Just(Kind::ApiKey),
        (
            prop_oneof![Just(AuthFlow::M2M), Just(AuthFlow::UserFederation)],
            proptest::collection::vec(0..SCOPES.len(), 0..4)
        )
            .prop_map(|(flow, scopes)| Kind::Token { flow, scopes }),
    ];
    let action = prop_oneof![6 => Just(Action::Get), 2 => Just(Action::Force), 2 => Just(Action::Invalidate)];
    (
        0..USERS.len(),
        0..PROVIDERS.len(),
        kind,
        action,
        any::<bool>(),
    )
        .prop_map(|(user, provider, kind, action, explicit)| Op {
            user,
            provider,
            kind,
            action,
            explicit,
        })
}

/// What an operation returns: the credential (`None` for an invalidation) or an error message.
type OpFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Option<String>, String>> + Send>>;

/// Runs one operation; checks what it got.
/// `workload_scoped`: the client keeps API keys and M2M tokens per workload
/// (`CacheScope::Workload`), so those may come from another user's load (the same for every
/// user of a workload); USER_FEDERATION tokens never.
async fn run_op(
    client: IdentityClient,
    vault: Arc<Vault>,
    op: Op,
    workload_scoped: bool,
) -> Result<(), String> {
    let wat = USERS[op.user];
    let provider = PROVIDERS[op.provider];
    let secret = SecretString::from(wat);
    let (expected, fut): (String, OpFuture) = match &op.kind {
        Kind::ApiKey => {
            let mut req = ApiKeyRequest::new(provider);
            if op.explicit {
                req = req.workload_access_token(secret.clone());
            }
            let c = client.clone();
            let action = op.action;
            (
                format!("api|{wat}|{provider}"),
                Box::pin(async move {
                    match action {
                        Action::Invalidate => c
                            .invalidate_api_key(req)
                            .await
                            .map(|_| None)
                            .map_err(|e| e.to_string()),
                        // API keys have no force: a plain get
                        Action::Get | Action::Force => c
                            .get_api_key(req)
                            .await
                            .map(|s| Some(s.expose_secret().to_owned()))
                            .map_err(|e| e.to_string()),
                    }
                }),
            )
        }
        Kind::Token { flow, scopes } => {
            let scopes: Vec<String> = scopes.iter().map(|i| SCOPES[*i].to_owned()).collect();
            let mut req = TokenRequest::new(provider, *flow).scopes(scopes.clone());
            if op.explicit {
                req = req.workload_access_token(secret.clone());
            }
            let c = client.clone();
            let action = op.action;
            (
                oauth_identity(wat, provider, flow.as_str(), &scopes),
                Box::pin(async move {
                    match action {
                        Action::Invalidate => c
                            .invalidate_token(&req)
                            .await
                            .map(|_| None)
                            .map_err(|e| e.to_string()),
                        Action::Get => c
                            .get_token(req)
                            .await
                            .map(|s| Some(s.expose_secret().to_owned()))
                            .map_err(|e| e.to_string()),
                        Action::Force => c
                            .get_token(req.force_authentication(true))
                            .await
                            .map(|s| Some(s.expose_secret().to_owned()))
                            .map_err(|e| e.to_string()),
                    }
                }),
            )
        }
    };
    let before = vault.current(&expected);
    let got = if op.explicit {
        fut.await
    } else {
        RequestContext::scope(
            RequestContext::new().with_workload_access_token(secret),
            fut,
        )
        .await
    }
    .map_err(|e| format!("{op:?} failed: {e}"))?;
    if let Some(value) = got {
        let (identity, version) = parse_value(&value);
        let shared = workload_scoped
            && match &op.kind {
                Kind::ApiKey => true,
                Kind::Token { flow, .. } => *flow == AuthFlow::M2M,
            };
        // Whose load it was does not matter for a shared kind: only what was asked for.
        let anyone = |id: &str| {
            let mut parts: Vec<&str> = id.split('|').collect();
            parts[1] = "*";
            parts.join("|")
        };
        // A forced token is loaded with the caller's own workload access token (API keys have no
        // force: a plain get).
        let forced_token =
            matches!(op.action, Action::Force) && matches!(op.kind, Kind::Token { .. });
        let matches = if shared && !forced_token {
            anyone(&identity) == anyone(&expected)
        } else {
            identity == expected
        };
        if !matches {
            return Err(format!(
                "{op:?} got a credential of {identity:?}, expected one of {expected:?}"
            ));
        }
        if matches!(op.action, Action::Force)
            && matches!(op.kind, Kind::Token { .. })
            && version <= before
        {
            return Err(format!(
                "{op:?}: forced call returned version {version}, not newer than {before}"
            ));
        }
    }
    Ok(())
}

#[test]
fn users_never_get_each_others_credentials() {
    check_isolation(false);
}

/// With API keys and M2M tokens workload-scoped, a user-bound (USER_FEDERATION) token is still
/// never served across workload access tokens.
#[test]
fn workload_scope_never_shares_user_bound_tokens() {
    check_isolation(true);
}

fn check_isolation(workload_scoped: bool) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let vault = Arc::new(Vault::default());
    let server = rt.block_on(async {
        let server = MockServer::builder()
            .disable_request_recording()
            .start()
            .await;
        Mock::given(method("POST"))
            .and(path("/identities/api-key"))
            .respond_with(ApiKeys(vault.clone()))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/identities/oauth2/token"))
            .respond_with(Tokens(vault.clone()))
            .mount(&server)
            .await;
        server
    });
    let endpoint = server.uri();
    let cases: u32 = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(128);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    // groups run one after the other; the operations of a group run concurrently
    let strategy = proptest::collection::vec(proptest::collection::vec(op(), 1..12), 1..8);
    runner
        .run(&strategy, |groups| {
            rt.block_on(async {
                let scope = if workload_scoped {
                    CacheScope::Workload
                } else {
                    CacheScope::PerToken
                };
                let client = IdentityClient::builder()
                    .region("us-east-1")
                    .endpoint_url(endpoint.clone())
                    .credentials_provider(Credentials::new("AKID", "SECRET", None, None, "prop"))
                    .env_lookup(|_| None)
                    .cache(CacheConfig::new().api_key_scope(scope).m2m_scope(scope))
                    .build()
                    .await
                    .expect("client");
                for group in groups {
                    let tasks: Vec<_> = group
                        .into_iter()
                        .map(|op| {
                            tokio::spawn(run_op(client.clone(), vault.clone(), op, workload_scoped))
                        })
                        .collect();
                    for t in tasks {
                        t.await.expect("no panic").map_err(TestCaseError::fail)?;
                    }
                }
                Ok(())
            })
        })
        .unwrap();
    drop(server);
}

/// The same isolation with many callers on one key each: a burst of concurrent gets per
/// (user, request), all answered from one load per key.
#[test]
fn bursts_load_once_per_user_and_request() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let vault = Arc::new(Vault::default());
        let server = MockServer::builder()
            .disable_request_recording()
            .start()
            .await;
        Mock::given(method("POST"))
            .and(path("/identities/oauth2/token"))
            .respond_with(Tokens(vault.clone()))
            .mount(&server)
            .await;
        let client = IdentityClient::builder()
            .region("us-east-1")
            .endpoint_url(server.uri())
            .credentials_provider(Credentials::new("AKID", "SECRET", None, None, "prop"))
            .env_lookup(|_| None)
            .build()
            .await
            .expect("client");
        let mut tasks = Vec::new();
        for round in 0..20 {
            for user in 0..USERS.len() {
                for provider in 0..PROVIDERS.len() {
                    let op = Op {
                        user,
                        provider,
                        kind: Kind::Token {
                            flow: AuthFlow::M2M,
                            scopes: vec![round % SCOPES.len()],
                        },
                        action: Action::Get,
                        explicit: round % 2 == 0,
                    };
                    tasks.push(tokio::spawn(run_op(
                        client.clone(),
                        vault.clone(),
                        op,
                        false,
                    )));
                }
            }
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let versions = vault.versions.lock().unwrap();
        assert_eq!(versions.len(), USERS.len() * PROVIDERS.len() * SCOPES.len());
        assert!(
            versions.values().all(|v| *v == 1),
            "one load per key: {versions:?}"
        );
    });
}
