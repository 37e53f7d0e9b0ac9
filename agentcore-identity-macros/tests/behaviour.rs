//! The macros against the real local identity service (`agentcore-identity-local`, in process, on
//! loopback) and a real OpenID provider (`agentcore-identity-testkit`): what is injected, where
//! it comes from, what is cached, how failures come back.
#![deny(unused_qualifications, unused_braces)]

use std::fmt::Display;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use agentcore_identity::context::RequestContext;
use agentcore_identity::control::Oauth2ProviderConfig;
use agentcore_identity::secrecy::{ExposeSecret, SecretString};
use agentcore_identity::{
    DefaultTokenPoller, IdentityClient, UserIdentifier, requires_access_token, requires_api_key,
    requires_wat,
};
use agentcore_identity_local::{LocalIdentityService, ServiceHandle};
use agentcore_identity_testkit::{
    Browser, M2M_CLIENT_ID, M2M_CLIENT_SECRET, TestIdp, WEB_CLIENT_ID, WEB_CLIENT_SECRET,
};

// A user's `core` module must not break the expansions (they use `::core` through `__private`).
#[allow(dead_code)]
mod core {}

const OPENAI: &str = "openai-apikey-provider";
const OPENAI_KEY: &str = "sk-test-0123456789";
const WORKLOAD: &str = "weather-agent";
/// The agent's OAuth2 return URL: the browser stops there (never fetched).
const RETURN_URL: &str = "http://127.0.0.1:9/oauth2/callback";
const SCOPES: &[&str] = &["openid", "profile"];

/// A custom error type: credential failures arrive as `Identity`.
#[derive(Debug, thiserror::Error)]
enum AgentError {
    #[error("identity: {0}")]
    Identity(#[from] agentcore_identity::Error),
    #[error("tool: {0}")]
    Tool(String),
}

struct Env {
    svc: ServiceHandle,
    client: IdentityClient,
    _dir: tempfile::TempDir,
}

impl Env {
    async fn start() -> Env {
        let svc = LocalIdentityService::builder()
            .port(0)
            .start()
            .await
            .expect("local identity service starts");
        let dir = tempfile::tempdir().unwrap();
        let client = IdentityClient::builder()
            .region("us-east-1")
            .endpoint_url(svc.endpoint())
            .credentials_provider(aws_credential_types::Credentials::for_tests())
            .local_config_path(dir.path().join(".agentcore.json"))
            .env_lookup(|_| None)
            .build()
            .await
            .unwrap();
        client
            .create_api_key_credential_provider(OPENAI, SecretString::from(OPENAI_KEY))
            .await
            .unwrap();
        client
            .create_workload_identity(Some(WORKLOAD), &[RETURN_URL.to_owned()])
            .await
            .unwrap();
        Env {
            svc,
            client,
            _dir: dir,
        }
    }

    async fn wat(&self, user: &str) -> SecretString {
        self.client
            .get_workload_access_token(
                WORKLOAD,
                agentcore_identity::WorkloadUser::UserId(user.into()),
            )
            .await
            .unwrap()
    }

    async fn context(&self, user: &str) -> RequestContext {
        RequestContext::new().with_workload_access_token(self.wat(user).await)
    }

    fn count(&self, op: &str) -> u64 {
        self.svc.request_count(op)
    }
}

fn assert_send<T: Send>(t: T) -> T {
    t
}

/// The claims of a JWT access token (not verified: the test only reads who it is for).
fn claims(token: &SecretString) -> serde_json::Value {
    use base64::Engine as _;
    let payload = token.expose_secret().split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

// ---- API keys ------------------------------------------------------------------------------

#[requires_api_key(provider_name = "openai-apikey-provider", client = client)]
async fn ask_model(
    client: &IdentityClient,
    prompt: &str,
    api_key: SecretString,
) -> Result<String, AgentError> {
    Ok(format!("{prompt} -> {}", api_key.expose_secret()))
}

#[tokio::test]
async fn api_key_is_injected_and_the_second_call_is_served_from_the_cache() {
    let env = Env::start().await;
    let ctx = env.context("alice").await;
    let before = env.count("GetResourceApiKey");

    let answer = RequestContext::scope(ctx.clone(), assert_send(ask_model(&env.client, "hi")))
        .await
        .unwrap();
    assert_eq!(answer, format!("hi -> {OPENAI_KEY}"));
    assert_eq!(env.count("GetResourceApiKey"), before + 1);

    let again = RequestContext::scope(ctx, ask_model(&env.client, "again"))
        .await
        .unwrap();
    assert_eq!(again, format!("again -> {OPENAI_KEY}"));
    assert_eq!(
        env.count("GetResourceApiKey"),
        before + 1,
        "the cache served the second call"
    );
}

#[requires_api_key(provider_name = OPENAI, into = "key", client = client)]
async fn key_as_string(client: IdentityClient, key: String) -> Result<usize, AgentError> {
    let _ = client;
    Ok(key.len())
}

#[tokio::test]
async fn api_key_as_string_with_into() {
    let env = Env::start().await;
    let ctx = env.context("alice").await;
    let len = RequestContext::scope(ctx, key_as_string(env.client.clone()))
        .await
        .unwrap();
    assert_eq!(len, OPENAI_KEY.len());
}

#[tokio::test]
async fn two_requests_with_different_workload_tokens_get_their_own_credentials() {
    let env = Env::start().await;
    let (alice, bob) = (env.context("alice").await, env.context("bob").await);
    let before = env.count("GetResourceApiKey");
    let (a, b) = tokio::join!(
        RequestContext::scope(alice.clone(), ask_model(&env.client, "a")),
        RequestContext::scope(bob.clone(), ask_model(&env.client, "b")),
    );
    assert_eq!(a.unwrap(), format!("a -> {OPENAI_KEY}"));
    assert_eq!(b.unwrap(), format!("b -> {OPENAI_KEY}"));
    // One fetch per workload access token: bob's call was not served alice's cache entry.
    assert_eq!(env.count("GetResourceApiKey"), before + 2);
    // And each is cached under its own token.
    RequestContext::scope(alice, ask_model(&env.client, "a"))
        .await
        .unwrap();
    RequestContext::scope(bob, ask_model(&env.client, "b"))
        .await
        .unwrap();
    assert_eq!(env.count("GetResourceApiKey"), before + 2);
}

static BODY_RUNS: AtomicUsize = AtomicUsize::new(0);

#[requires_api_key(provider_name = "no-such-provider", client = client)]
async fn missing_provider(
    client: &IdentityClient,
    api_key: SecretString,
) -> Result<(), AgentError> {
    let _ = api_key;
    BODY_RUNS.fetch_add(1, Ordering::SeqCst);
    Err(AgentError::Tool("the body ran".into()))
}

#[tokio::test]
async fn a_credential_failure_returns_err_before_the_body_runs() {
    let env = Env::start().await;
    let ctx = env.context("alice").await;
    let err = RequestContext::scope(ctx, missing_provider(&env.client))
        .await
        .unwrap_err();
    match err {
        AgentError::Identity(e) => assert!(e.is_resource_not_found(), "{e:?}"),
        other => panic!("expected the identity error, got {other}"),
    }
    assert_eq!(BODY_RUNS.load(Ordering::SeqCst), 0);
}

#[requires_api_key(provider_name = OPENAI, workload_access_token = wat.clone(), client = client)]
async fn explicit_token(
    client: &IdentityClient,
    wat: &SecretString,
    api_key: SecretString,
) -> Result<String, AgentError> {
    Ok(api_key.expose_secret().to_owned())
}

#[requires_api_key(provider_name = OPENAI, workload_identity = WORKLOAD, user_id = user, client = client)]
async fn explicit_workload(
    client: &IdentityClient,
    user: &str,
    api_key: SecretString,
) -> Result<String, AgentError> {
    Ok(api_key.expose_secret().to_owned())
}

#[tokio::test]
async fn explicit_workload_access_token_or_workload_identity_without_a_context() {
    let env = Env::start().await;
    let wat = env.wat("carol").await;
    assert_eq!(explicit_token(&env.client, &wat).await.unwrap(), OPENAI_KEY);

    let before = env.count("GetWorkloadAccessTokenForUserId");
    assert_eq!(
        explicit_workload(&env.client, "dave").await.unwrap(),
        OPENAI_KEY
    );
    assert_eq!(env.count("GetWorkloadAccessTokenForUserId"), before + 1);
}

// The process default client (no `client = ..`): the only test in this binary that sets it.
#[requires_api_key(provider_name = "openai-apikey-provider")]
async fn with_default_client(api_key: SecretString) -> Result<String, AgentError> {
    Ok(api_key.expose_secret().to_owned())
}

#[tokio::test]
async fn the_process_default_client_is_used_without_client() {
    let env = Env::start().await;
    agentcore_identity::set_default_client(env.client.clone());
    let ctx = env.context("erin").await;
    let key = RequestContext::scope(ctx, with_default_client())
        .await
        .unwrap();
    assert_eq!(key, OPENAI_KEY);
}

// ---- the workload access token ------------------------------------------------------------

#[requires_wat]
fn downstream_header(identity_wat: SecretString) -> Result<String, AgentError> {
    Ok(identity_wat.expose_secret().to_owned())
}

#[requires_wat(into = "wat")]
async fn downstream_async(wat: String) -> Result<usize, AgentError> {
    Ok(wat.len())
}

#[tokio::test]
async fn requires_wat_injects_the_token_of_the_request_context() {
    let ctx = RequestContext::new().with_workload_access_token(SecretString::from("wat-abc"));
    let got = RequestContext::sync_scope(ctx.clone(), downstream_header).unwrap();
    assert_eq!(got, "wat-abc");
    assert_eq!(
        RequestContext::scope(ctx, downstream_async())
            .await
            .unwrap(),
        7
    );

    match downstream_header() {
        Err(AgentError::Identity(agentcore_identity::Error::NoWorkloadAccessToken)) => {}
        other => panic!("expected NoWorkloadAccessToken, got {other:?}"),
    }
    // A request context without a token (a request that did not carry one): the same clear
    // error, naming where the token comes from, and the body does not run.
    let empty = RequestContext::new().with_request_id("req-without-wat");
    let err = RequestContext::scope(empty, downstream_async())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            AgentError::Identity(agentcore_identity::Error::NoWorkloadAccessToken)
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("no workload access token in the request context")
            && msg.contains("AgentCore Runtime"),
        "{msg}"
    );
}

// ---- methods, generics, custom error ------------------------------------------------------

struct Agent {
    client: IdentityClient,
    calls: u32,
    prefix: String,
}

impl Agent {
    #[requires_api_key(provider_name = OPENAI, client = self.client)]
    async fn by_ref(&self, prompt: &str, api_key: SecretString) -> Result<String, AgentError> {
        Ok(format!(
            "{}{prompt}:{}",
            self.prefix,
            api_key.expose_secret().len()
        ))
    }

    #[requires_api_key(provider_name = OPENAI, client = &self.client, into = "key")]
    async fn by_mut(&mut self, key: String) -> Result<u32, AgentError> {
        self.calls += 1;
        Ok(self.calls + u32::try_from(key.len()).unwrap())
    }

    #[requires_api_key(provider_name = OPENAI, client = self.client)]
    async fn by_value(self, api_key: SecretString) -> Result<Self, AgentError> {
        let _ = api_key;
        Ok(self)
    }

    /// Generics, a where-clause, `impl Trait`, the credential in the middle.
    #[requires_api_key(provider_name = OPENAI, client = self.client)]
    async fn generic<T, U>(
        &self,
        items: &[T],
        api_key: SecretString,
        label: impl Display + Send,
        extra: U,
    ) -> Result<String, AgentError>
    where
        T: Display + Sync,
        U: Into<String> + Send,
    {
        let _ = api_key;
        let joined: Vec<String> = items.iter().map(ToString::to_string).collect();
        Ok(format!("{label}:{}:{}", joined.join(","), extra.into()))
    }
}

#[tokio::test]
async fn methods_generics_and_a_custom_error() {
    let env = Env::start().await;
    let ctx = env.context("frank").await;
    let mut agent = Agent {
        client: env.client.clone(),
        calls: 0,
        prefix: ">".into(),
    };
    RequestContext::scope(ctx, async move {
        assert_eq!(
            assert_send(agent.by_ref("q")).await.unwrap(),
            format!(">q:{}", OPENAI_KEY.len())
        );
        let n = assert_send(agent.by_mut()).await.unwrap();
        assert_eq!(n, 1 + OPENAI_KEY.len() as u32);
        let s = assert_send(agent.generic(&[1, 2, 3], "nums", "x"))
            .await
            .unwrap();
        assert_eq!(s, "nums:1,2,3:x");
        let agent = assert_send(agent.by_value()).await.unwrap();
        assert_eq!(agent.calls, 1);
    })
    .await;
}

// ---- OAuth2: M2M with the test OpenID provider --------------------------------------------

#[requires_access_token(
    provider_name = "idp-m2m",
    scopes = SCOPES,
    auth_flow = "M2M",
    client = client,
)]
async fn m2m_token(
    client: &IdentityClient,
    access_token: SecretString,
) -> Result<SecretString, AgentError> {
    Ok(access_token)
}

#[tokio::test(flavor = "multi_thread")]
async fn m2m_token_from_the_test_idp_and_cached() {
    let idp = TestIdp::start().await;
    let env = Env::start().await;
    env.client
        .create_oauth2_credential_provider(
            "idp-m2m",
            Oauth2ProviderConfig::custom_discovery_url(
                idp.discovery_url(),
                M2M_CLIENT_ID,
                SecretString::from(M2M_CLIENT_SECRET),
            ),
        )
        .await
        .unwrap();
    let ctx = env.context("alice").await;
    let before = env.count("GetResourceOauth2Token");
    let token = RequestContext::scope(ctx.clone(), m2m_token(&env.client))
        .await
        .unwrap();
    assert_eq!(claims(&token)["client_id"], M2M_CLIENT_ID);
    assert_eq!(env.count("GetResourceOauth2Token"), before + 1);

    let again = RequestContext::scope(ctx, m2m_token(&env.client))
        .await
        .unwrap();
    assert_eq!(again.expose_secret(), token.expose_secret());
    assert_eq!(env.count("GetResourceOauth2Token"), before + 1, "cache hit");
}

// ---- OAuth2: USER_FEDERATION -------------------------------------------------------------

async fn web_provider(env: &Env, idp: &TestIdp) {
    env.client
        .create_oauth2_credential_provider(
            "idp-web",
            Oauth2ProviderConfig::custom_discovery_url(
                idp.discovery_url(),
                WEB_CLIENT_ID,
                SecretString::from(WEB_CLIENT_SECRET),
            ),
        )
        .await
        .unwrap();
}

/// What the user and the agent's return-URL handler do: sign in and consent at the provider,
/// land on the return URL with `session_id`, bind the session to the user.
async fn consent(client: IdentityClient, url: String, user: &str) {
    let back = Browser::new()
        .complete_consent(&url, user)
        .await
        .expect("consent");
    assert!(back.as_str().starts_with(RETURN_URL), "{back}");
    let session = back
        .query_pairs()
        .find(|(k, _)| k == "session_id")
        .map(|(_, v)| v.into_owned())
        .expect("session_id on the return URL");
    client
        .complete_resource_token_auth(&session, UserIdentifier::UserId(user.to_owned()))
        .await
        .expect("CompleteResourceTokenAuth");
}

fn quick_poller() -> DefaultTokenPoller {
    DefaultTokenPoller::new(Duration::from_millis(100), Duration::from_secs(30))
}

/// Sync `on_auth_url`: it must not block, so it hands the URL to a task that plays the user.
#[requires_access_token(
    provider_name = "idp-web",
    scopes = ["openid", "profile"],
    auth_flow = "USER_FEDERATION",
    on_auth_url = {
        let (client, user, seen) = (client.clone(), user.to_owned(), seen.clone());
        move |url: &str| {
            seen.lock().unwrap().push(url.to_owned());
            tokio::spawn({
                let (client, user, url) = (client.clone(), user.clone(), url.to_owned());
                async move { consent(client, url, &user).await }
            });
        }
    },
    callback_url = RETURN_URL,
    token_poller = quick_poller(),
    custom_parameters = { "prompt": "consent" },
    client = client,
)]
async fn calendar_sync(
    client: &IdentityClient,
    user: &str,
    seen: &Arc<Mutex<Vec<String>>>,
    access_token: SecretString,
) -> Result<SecretString, AgentError> {
    Ok(access_token)
}

#[tokio::test(flavor = "multi_thread")]
async fn user_federation_with_a_sync_callback_polls_to_success_for_each_user() {
    let idp = TestIdp::start().await;
    let env = Env::start().await;
    web_provider(&env, &idp).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (alice, bob) = (env.context("alice").await, env.context("bob").await);

    let (a, b) = tokio::join!(
        RequestContext::scope(alice.clone(), calendar_sync(&env.client, "alice", &seen)),
        RequestContext::scope(bob, calendar_sync(&env.client, "bob", &seen)),
    );
    // Each request got the token of its own user.
    assert_eq!(claims(&a.unwrap())["sub"], "alice");
    assert_eq!(claims(&b.unwrap())["sub"], "bob");
    assert_eq!(
        seen.lock().unwrap().len(),
        2,
        "one authorization URL per user"
    );

    // Cached: no new authorization, no request.
    let before = env.count("GetResourceOauth2Token");
    let again = RequestContext::scope(alice, calendar_sync(&env.client, "alice", &seen))
        .await
        .unwrap();
    assert_eq!(claims(&again)["sub"], "alice");
    assert_eq!(env.count("GetResourceOauth2Token"), before);
    assert_eq!(seen.lock().unwrap().len(), 2);
}

/// Async `on_auth_url` (a block ending in a closure returning `async move`): awaited before
/// polling, so the user has consented by the first poll.
#[requires_access_token(
    provider_name = "idp-web",
    scopes = SCOPES,
    auth_flow = "USER_FEDERATION",
    on_auth_url = {
        let client = client.clone();
        move |url: String| {
            let client = client.clone();
            async move { consent(client, url, "grace").await }
        }
    },
    callback_url = RETURN_URL,
    token_poller = quick_poller(),
    client = client,
)]
async fn calendar_async(
    client: &IdentityClient,
    access_token: String,
) -> Result<String, AgentError> {
    Ok(access_token)
}

#[tokio::test(flavor = "multi_thread")]
async fn user_federation_with_an_async_callback() {
    let idp = TestIdp::start().await;
    let env = Env::start().await;
    web_provider(&env, &idp).await;
    let ctx = env.context("grace").await;
    let token = RequestContext::scope(ctx, assert_send(calendar_async(&env.client)))
        .await
        .unwrap();
    assert_eq!(claims(&SecretString::from(token))["sub"], "grace");
    assert_eq!(env.count("CompleteResourceTokenAuth"), 1);
}

/// `async |url| ..` closures cannot borrow their captures into the future: reach shared state
/// through a `static` (or a channel).
static HEIDI_CLIENT: OnceLock<IdentityClient> = OnceLock::new();

async fn consent_as_heidi(url: String) {
    consent(HEIDI_CLIENT.get().unwrap().clone(), url, "heidi").await;
}

#[requires_access_token(
    provider_name = "idp-web",
    scopes = SCOPES,
    auth_flow = "USER_FEDERATION",
    on_auth_url = async |url: String| consent_as_heidi(url).await,
    token_poller = quick_poller(),
    client = HEIDI_CLIENT.get().unwrap(),
)]
async fn calendar_async_closure(access_token: SecretString) -> Result<SecretString, AgentError> {
    Ok(access_token)
}

#[tokio::test(flavor = "multi_thread")]
async fn user_federation_with_an_async_closure_and_the_context_callback_url() {
    let idp = TestIdp::start().await;
    let env = Env::start().await;
    web_provider(&env, &idp).await;
    HEIDI_CLIENT.set(env.client.clone()).ok().unwrap();
    // No `callback_url = ..`: the request context's `OAuth2CallbackUrl` is used, as in Python.
    let ctx = env
        .context("heidi")
        .await
        .with_oauth2_callback_url(RETURN_URL);
    let token = RequestContext::scope(ctx, calendar_async_closure())
        .await
        .unwrap();
    assert_eq!(claims(&token)["sub"], "heidi");
}

// ---- OAuth2: the non-blocking mode ------------------------------------------------------

#[requires_access_token(
    provider_name = "idp-web",
    scopes = SCOPES,
    auth_flow = "USER_FEDERATION",
    callback_url = RETURN_URL,
    non_blocking,
    client = client,
)]
async fn calendar_now(
    client: &IdentityClient,
    access_token: SecretString,
) -> Result<String, AgentError> {
    BODY_RUNS_NON_BLOCKING.fetch_add(1, Ordering::SeqCst);
    Ok(claims(&access_token)["sub"].as_str().unwrap().to_owned())
}

static BODY_RUNS_NON_BLOCKING: AtomicUsize = AtomicUsize::new(0);

#[tokio::test(flavor = "multi_thread")]
async fn non_blocking_returns_the_authorization_url_then_the_token_after_consent() {
    let idp = TestIdp::start().await;
    let env = Env::start().await;
    web_provider(&env, &idp).await;
    let ctx = env.context("ivan").await;

    let first = RequestContext::scope(ctx.clone(), calendar_now(&env.client)).await;
    let url = match first {
        Err(AgentError::Identity(agentcore_identity::Error::AuthorizationRequired {
            authorization_url,
            ..
        })) => authorization_url,
        other => panic!("expected AuthorizationRequired, got {other:?}"),
    };
    assert_eq!(
        BODY_RUNS_NON_BLOCKING.load(Ordering::SeqCst),
        0,
        "the body did not run"
    );

    consent(env.client.clone(), url, "ivan").await;

    let user = RequestContext::scope(ctx, calendar_now(&env.client))
        .await
        .unwrap();
    assert_eq!(user, "ivan");
    assert_eq!(BODY_RUNS_NON_BLOCKING.load(Ordering::SeqCst), 1);
}
