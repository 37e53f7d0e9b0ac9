//! Cache scope across invocations: AgentCore Runtime hands every invocation a fresh workload
//! access token. API keys and M2M tokens do not depend on the user, so with
//! `CacheScope::Workload` (the default on AgentCore Runtime) they are fetched once for 100
//! invocations; per token (the default elsewhere) they are fetched 100 times; user-bound tokens
//! are never shared across tokens whatever the configuration (also `proptest_cache_isolation.rs`).

mod common;

use agentcore_identity::context::RequestContext;
use agentcore_identity::control::Oauth2ProviderConfig;
use agentcore_identity::{
    ApiKeyRequest, AuthFlow, CacheConfig, CacheScope, ExposeSecret, IdentityClient, SecretString,
    TokenRequest, WorkloadUser,
};
use agentcore_identity_local::ServiceHandle;
use agentcore_identity_testkit::{M2M_CLIENT_ID, M2M_CLIENT_SECRET, TestIdp};

const INVOCATIONS: usize = 100;

async fn setup(svc: &ServiceHandle, idp: &TestIdp, client: &IdentityClient) {
    client
        .create_api_key_credential_provider("openai", SecretString::from("sk-scope-test-key"))
        .await
        .unwrap();
    client
        .create_oauth2_credential_provider(
            "m2m",
            Oauth2ProviderConfig::custom_discovery_url(
                idp.discovery_url(),
                M2M_CLIENT_ID,
                SecretString::from(M2M_CLIENT_SECRET),
            ),
        )
        .await
        .unwrap();
    client
        .create_workload_identity(Some("agent"), &[])
        .await
        .unwrap();
    assert_eq!(svc.request_count("GetResourceApiKey"), 0);
}

/// 100 invocations, each in its own context with a fresh workload access token (minted with
/// `minter`, whose cache plays no part), each asking for the API key and the M2M token twice.
/// Returns the service's (GetResourceApiKey, GetResourceOauth2Token) counts.
async fn invocations(
    svc: &ServiceHandle,
    minter: &IdentityClient,
    client: &IdentityClient,
) -> (u64, u64) {
    let (k0, t0) = (
        svc.request_count("GetResourceApiKey"),
        svc.request_count("GetResourceOauth2Token"),
    );
    let mut seen = std::collections::HashSet::new();
    for i in 0..INVOCATIONS {
        let wat = minter
            .get_workload_access_token("agent", WorkloadUser::UserId(format!("user-{i}")))
            .await
            .unwrap();
        assert!(seen.insert(wat.expose_secret().to_owned()), "fresh token");
        let ctx = RequestContext::new().with_workload_access_token(wat);
        RequestContext::scope(ctx, async {
            for _ in 0..2 {
                let key = client.get_api_key("openai").await.unwrap();
                assert_eq!(key.expose_secret(), "sk-scope-test-key");
                let token = client
                    .get_token(TokenRequest::new("m2m", AuthFlow::M2M).scope("api"))
                    .await
                    .unwrap();
                assert!(!token.expose_secret().is_empty());
            }
        })
        .await;
    }
    (
        svc.request_count("GetResourceApiKey") - k0,
        svc.request_count("GetResourceOauth2Token") - t0,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn workload_scope_fetches_once_for_100_invocations_per_token_100_times() {
    let idp = TestIdp::start().await;
    let svc = common::service().await;
    let dir = tempfile::tempdir().unwrap();
    let minter = common::builder(&svc, dir.path())
        .disable_cache()
        .build()
        .await
        .unwrap();
    setup(&svc, &idp, &minter).await;

    // Workload scope, set explicitly.
    let scoped = common::builder(&svc, dir.path())
        .cache(
            CacheConfig::new()
                .api_key_scope(CacheScope::Workload)
                .m2m_scope(CacheScope::Workload),
        )
        .build()
        .await
        .unwrap();
    assert_eq!(invocations(&svc, &minter, &scoped).await, (1, 1));

    // The default on AgentCore Runtime (DOCKER_CONTAINER=1): workload scope too.
    let on_runtime = common::builder(&svc, dir.path())
        .env_lookup(|name| (name == "DOCKER_CONTAINER").then(|| "1".to_owned()))
        .build()
        .await
        .unwrap();
    assert_eq!(invocations(&svc, &minter, &on_runtime).await, (1, 1));

    // The default elsewhere: per token, so every invocation pays (twice the calls are one).
    let per_token = common::client(&svc, dir.path()).await;
    assert_eq!(
        invocations(&svc, &minter, &per_token).await,
        (INVOCATIONS as u64, INVOCATIONS as u64)
    );

    // A workload-scoped entry is still dropped by invalidate_* and bypassed by force.
    let wat = common::workload_token(&minter, "agent", "alice").await;
    RequestContext::scope(common::ctx(&wat), async {
        let before = svc.request_count("GetResourceApiKey");
        scoped
            .invalidate_api_key(ApiKeyRequest::new("openai"))
            .await
            .unwrap();
        scoped.get_api_key("openai").await.unwrap();
        assert_eq!(svc.request_count("GetResourceApiKey"), before + 1);
        let request = TokenRequest::new("m2m", AuthFlow::M2M).scope("api");
        let before = svc.request_count("GetResourceOauth2Token");
        scoped.invalidate_token(&request).await.unwrap();
        scoped.get_token(&request).await.unwrap();
        scoped
            .get_token(request.clone().force_authentication(true))
            .await
            .unwrap();
        scoped.get_token(&request).await.unwrap();
        assert_eq!(svc.request_count("GetResourceOauth2Token"), before + 2);
    })
    .await;
}

#[tokio::test]
async fn a_workload_scope_needs_a_token_and_never_covers_user_flows() {
    let svc = common::service().await;
    let dir = tempfile::tempdir().unwrap();
    let client = common::builder(&svc, dir.path())
        .env_lookup(|name| (name == "DOCKER_CONTAINER").then(|| "1".to_owned()))
        .build()
        .await
        .unwrap();
    client
        .create_api_key_credential_provider("openai", SecretString::from("sk-scope-test-key"))
        .await
        .unwrap();
    let wat = common::workload_token(&client, "agent", "alice").await;
    RequestContext::scope(common::ctx(&wat), async {
        client.get_api_key("openai").await.unwrap();
    })
    .await;
    // An invocation of the Runtime without a token still fails: the scope shares the entry, not
    // the admission.
    let ctx = RequestContext::new().with_workload_access_token_required(true);
    let err = RequestContext::scope(ctx, client.get_api_key("openai"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, agentcore_identity::Error::MissingWorkloadAccessToken),
        "{err}"
    );
}
