//! Against the real local service over HTTP: control plane, data plane, local development,
//! cache, single-flight, errors, and no secret in the logs.

mod common;

use std::sync::Arc;
use std::time::Duration;

use agentcore_identity::context::RequestContext;
use agentcore_identity::control::{AuthorizationServerMetadata, Oauth2ProviderConfig};
use agentcore_identity::{ApiKeyRequest, CacheConfig, Error, ServiceErrorKind};
use common::{client, ctx, expose, service, workload_token};
use secrecy::{ExposeSecret, SecretString};

const API_KEY: &str = "sk-test-0123456789abcdef";

#[tokio::test]
async fn workload_identities_crud_and_list() {
    let svc = service().await;
    let dir = tempfile::tempdir().unwrap();
    let c = client(&svc, dir.path()).await;

    let generated = c.create_workload_identity(None, &[]).await.unwrap();
    assert!(
        generated.name.starts_with("workload-"),
        "{}",
        generated.name
    );
    assert_eq!(generated.name.len(), "workload-".len() + 8);
    assert!(!generated.arn.is_empty());

    let urls = vec!["http://localhost:8081/callback".to_owned()];
    let w = c
        .create_workload_identity(Some("my-agent"), &urls)
        .await
        .unwrap();
    assert_eq!(w.name, "my-agent");
    assert_eq!(w.allowed_resource_oauth2_return_urls, urls);

    let got = c.get_workload_identity("my-agent").await.unwrap();
    assert_eq!(got.arn, w.arn);
    assert!(got.created_time.is_some() && got.last_updated_time.is_some());

    let more = vec![
        "http://localhost:9/cb".to_owned(),
        "http://127.0.0.1:9/cb".to_owned(),
    ];
    let up = c.update_workload_identity("my-agent", &more).await.unwrap();
    assert_eq!(up.allowed_resource_oauth2_return_urls, more);

    // More than one page (the SDK's page size is 20 at most).
    for i in 0..22 {
        c.create_workload_identity(Some(&format!("bulk-{i:02}")), &[])
            .await
            .unwrap();
    }
    let all = c.list_workload_identities().await.unwrap();
    assert_eq!(
        all.len(),
        24,
        "{:?}",
        all.iter().map(|w| &w.name).collect::<Vec<_>>()
    );

    c.delete_workload_identity("my-agent").await.unwrap();
    let err = c.get_workload_identity("my-agent").await.unwrap_err();
    assert!(err.is_resource_not_found(), "{err}");
}

#[tokio::test]
async fn api_key_providers_crud_and_list() {
    let svc = service().await;
    let dir = tempfile::tempdir().unwrap();
    let c = client(&svc, dir.path()).await;

    let p = c
        .create_api_key_credential_provider("openai", SecretString::from(API_KEY))
        .await
        .unwrap();
    assert_eq!(p.name, "openai");
    assert!(
        p.arn.contains("apikeycredentialprovider/openai"),
        "{}",
        p.arn
    );
    let got = c.get_api_key_credential_provider("openai").await.unwrap();
    assert_eq!(got.arn, p.arn);
    assert!(got.created_time.is_some());
    c.update_api_key_credential_provider("openai", SecretString::from("sk-updated-key-987654"))
        .await
        .unwrap();
    c.create_api_key_credential_provider("other", SecretString::from("sk-other-key-123456"))
        .await
        .unwrap();
    let list = c.list_api_key_credential_providers().await.unwrap();
    let mut names: Vec<_> = list.iter().map(|p| p.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["openai", "other"]);

    // The updated key is served.
    let wat = workload_token(&c, "agent", "alice").await;
    let key = c
        .get_api_key(ApiKeyRequest::new("openai").workload_access_token(wat.clone()))
        .await
        .unwrap();
    assert_eq!(key.expose_secret(), "sk-updated-key-987654");

    c.delete_api_key_credential_provider("other").await.unwrap();
    assert!(
        c.get_api_key_credential_provider("other")
            .await
            .unwrap_err()
            .is_resource_not_found()
    );
    common::assert_no_secret_logged([
        API_KEY,
        "sk-updated-key-987654",
        "sk-other-key-123456",
        expose(&wat),
    ]);
}

#[tokio::test]
async fn oauth2_providers_crud_and_list() {
    let svc = service().await;
    let dir = tempfile::tempdir().unwrap();
    let c = client(&svc, dir.path()).await;
    let secret = || SecretString::from("client-secret-abcdef");

    let meta = AuthorizationServerMetadata::new(
        "https://idp.example.com",
        "https://idp.example.com/authorize",
        "https://idp.example.com/token",
    )
    .token_endpoint_auth_methods(["client_secret_basic"]);
    let custom = c
        .create_oauth2_credential_provider(
            "custom",
            Oauth2ProviderConfig::custom_metadata(meta, "cid", secret()),
        )
        .await
        .unwrap();
    assert!(
        custom.arn.contains("oauth2credentialprovider/custom"),
        "{}",
        custom.arn
    );
    assert!(custom.callback_url.is_some());

    let vendors = [
        (
            "google",
            Oauth2ProviderConfig::google("g-id", secret()),
            "GoogleOauth2",
        ),
        (
            "github",
            Oauth2ProviderConfig::github("gh-id", secret()),
            "GithubOauth2",
        ),
        (
            "slack",
            Oauth2ProviderConfig::slack("s-id", secret()),
            "SlackOauth2",
        ),
        (
            "salesforce",
            Oauth2ProviderConfig::salesforce("sf-id", secret()),
            "SalesforceOauth2",
        ),
        (
            "microsoft",
            Oauth2ProviderConfig::microsoft("ms-id", secret()).tenant_id("tenant-1"),
            "MicrosoftOauth2",
        ),
        (
            "atlassian",
            Oauth2ProviderConfig::atlassian("a-id", secret()),
            "AtlassianOauth2",
        ),
        (
            "linkedin",
            Oauth2ProviderConfig::linkedin("l-id", secret()),
            "LinkedinOauth2",
        ),
        (
            "okta",
            Oauth2ProviderConfig::included("OktaOauth2", "o-id", secret())
                .issuer("https://example.okta.com")
                .authorization_endpoint("https://example.okta.com/authorize")
                .token_endpoint("https://example.okta.com/token"),
            "OktaOauth2",
        ),
    ];
    for (name, config, vendor) in vendors {
        c.create_oauth2_credential_provider(name, config)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = c.get_oauth2_credential_provider(name).await.unwrap();
        assert_eq!(got.vendor.as_deref(), Some(vendor));
        assert!(got.client_id.is_some(), "{name}");
    }
    let updated = c
        .update_oauth2_credential_provider(
            "custom",
            Oauth2ProviderConfig::custom_discovery_url(
                "https://idp.example.com/.well-known/openid-configuration",
                "cid-2",
                secret(),
            ),
        )
        .await;
    // Discovery may be fetched eagerly by a real service; the local one may refuse an unreachable
    // host. Either way the answer is typed.
    if let Ok(u) = &updated {
        assert_eq!(u.client_id.as_deref(), Some("cid-2"));
    }
    let list = c.list_oauth2_credential_providers().await.unwrap();
    assert_eq!(list.len(), 9);
    c.delete_oauth2_credential_provider("google").await.unwrap();
    assert!(
        c.get_oauth2_credential_provider("google")
            .await
            .unwrap_err()
            .is_resource_not_found()
    );
    common::assert_no_secret_logged(["client-secret-abcdef"]);
}

#[tokio::test]
async fn workload_access_token_variants() {
    let svc = service().await;
    let dir = tempfile::tempdir().unwrap();
    let c = client(&svc, dir.path()).await;
    c.create_workload_identity(Some("agent"), &[])
        .await
        .unwrap();

    let plain = c
        .get_workload_access_token("agent", agentcore_identity::WorkloadUser::Agent)
        .await
        .unwrap();
    let by_id = c
        .get_workload_access_token(
            "agent",
            agentcore_identity::WorkloadUser::UserId("alice".into()),
        )
        .await
        .unwrap();
    assert_ne!(plain.expose_secret(), by_id.expose_secret());
    assert_eq!(svc.request_count("GetWorkloadAccessToken"), 1);
    assert_eq!(svc.request_count("GetWorkloadAccessTokenForUserId"), 1);

    // A user JWT: GetWorkloadAccessTokenForJWT (the enum cannot name a user id beside it).
    let jwt = unverified_jwt(r#"{"sub":"bob","iss":"https://idp.example.com"}"#);
    let by_jwt = c
        .get_workload_access_token(
            "agent",
            agentcore_identity::WorkloadUser::UserJwt(SecretString::from(jwt.clone())),
        )
        .await
        .unwrap();
    assert_eq!(svc.request_count("GetWorkloadAccessTokenForJWT"), 1);
    assert_eq!(svc.request_count("GetWorkloadAccessTokenForUserId"), 1);
    common::assert_no_secret_logged([
        expose(&plain),
        expose(&by_id),
        expose(&by_jwt),
        jwt.as_str(),
    ]);
}

/// A JWT signed by a key the local service does not know: accepted while no issuer is trusted
/// (`--trust-issuer`), as the service warns at start; `alg: none` would be refused.
fn unverified_jwt(payload: &str) -> String {
    use base64::Engine as _;
    let b = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!(
        "{}.{}.{}",
        b(r#"{"alg":"RS256","typ":"JWT"}"#),
        b(payload),
        b("sig")
    )
}

#[tokio::test]
async fn api_key_from_context_is_cached_and_invalidated() {
    let svc = service().await;
    let dir = tempfile::tempdir().unwrap();
    let c = client(&svc, dir.path()).await;
    c.create_api_key_credential_provider("openai", SecretString::from(API_KEY))
        .await
        .unwrap();
    let wat = workload_token(&c, "agent", "alice").await;

    RequestContext::scope(ctx(&wat), async {
        for _ in 0..5 {
            let key = c.get_api_key("openai").await.unwrap();
            assert_eq!(key.expose_secret(), API_KEY);
        }
        assert_eq!(
            svc.request_count("GetResourceApiKey"),
            1,
            "hits after the first miss"
        );
        assert_eq!(c.cached_entries().await, 1);

        c.invalidate_api_key("openai").await.unwrap();
        c.get_api_key("openai").await.unwrap();
        assert_eq!(
            svc.request_count("GetResourceApiKey"),
            2,
            "invalidate forces a new request"
        );
    })
    .await;
    assert!(common::logs().contains("cache=\"hit\"") || common::logs().contains("cache=hit"));
    common::assert_no_secret_logged([API_KEY, expose(&wat)]);
}

#[tokio::test]
async fn cache_entries_expire() {
    let svc = service().await;
    let dir = tempfile::tempdir().unwrap();
    let c = common::builder(&svc, dir.path())
        .cache(CacheConfig::new().api_key_ttl(Duration::from_millis(300)))
        .build()
        .await
        .unwrap();
    c.create_api_key_credential_provider("openai", SecretString::from(API_KEY))
        .await
        .unwrap();
    let wat = workload_token(&c, "agent", "alice").await;
    let req = || ApiKeyRequest::new("openai").workload_access_token(wat.clone());
    c.get_api_key(req()).await.unwrap();
    c.get_api_key(req()).await.unwrap();
    assert_eq!(svc.request_count("GetResourceApiKey"), 1);
    tokio::time::sleep(Duration::from_millis(500)).await;
    c.get_api_key(req()).await.unwrap();
    assert_eq!(
        svc.request_count("GetResourceApiKey"),
        2,
        "expired entry refetched"
    );
}

#[tokio::test]
async fn cache_can_be_switched_off() {
    let svc = service().await;
    let dir = tempfile::tempdir().unwrap();
    let c = common::builder(&svc, dir.path())
        .disable_cache()
        .build()
        .await
        .unwrap();
    c.create_api_key_credential_provider("openai", SecretString::from(API_KEY))
        .await
        .unwrap();
    let wat = workload_token(&c, "agent", "alice").await;
    for _ in 0..3 {
        c.get_api_key(ApiKeyRequest::new("openai").workload_access_token(wat.clone()))
            .await
            .unwrap();
    }
    assert_eq!(svc.request_count("GetResourceApiKey"), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_flight_one_request_for_1000_concurrent_calls() {
    let svc = service().await;
    let dir = tempfile::tempdir().unwrap();
    let c = client(&svc, dir.path()).await;
    c.create_api_key_credential_provider("openai", SecretString::from(API_KEY))
        .await
        .unwrap();
    let wat = workload_token(&c, "agent", "alice").await;
    let before = svc.request_count("GetResourceApiKey");
    let barrier = Arc::new(tokio::sync::Barrier::new(1000));
    let results = RequestContext::scope(ctx(&wat), async {
        // Spawned inside the context: each task carries it.
        let tasks: Vec<_> = (0..1000)
            .map(|_| {
                let c = c.clone();
                let barrier = barrier.clone();
                agentcore_identity::context::spawn(async move {
                    barrier.wait().await;
                    c.get_api_key("openai").await
                })
            })
            .collect();
        futures::future::join_all(tasks).await
    })
    .await;
    for r in results {
        assert_eq!(r.unwrap().unwrap().expose_secret(), API_KEY);
    }
    assert_eq!(svc.request_count("GetResourceApiKey") - before, 1);
    common::assert_no_secret_logged([API_KEY, expose(&wat)]);
}

#[tokio::test]
async fn two_users_never_share_a_cache_entry() {
    let svc = service().await;
    let dir = tempfile::tempdir().unwrap();
    let c = client(&svc, dir.path()).await;
    c.create_api_key_credential_provider("openai", SecretString::from(API_KEY))
        .await
        .unwrap();
    let alice = workload_token(&c, "agent", "alice").await;
    let bob = workload_token(&c, "agent", "bob").await;
    RequestContext::scope(ctx(&alice), c.get_api_key("openai"))
        .await
        .unwrap();
    RequestContext::scope(ctx(&bob), c.get_api_key("openai"))
        .await
        .unwrap();
    RequestContext::scope(ctx(&alice), c.get_api_key("openai"))
        .await
        .unwrap();
    assert_eq!(
        svc.request_count("GetResourceApiKey"),
        2,
        "one per workload token"
    );
    assert_eq!(c.cached_entries().await, 2);
}

#[tokio::test]
async fn service_error_message_reaches_the_caller() {
    let svc = service().await;
    let dir = tempfile::tempdir().unwrap();
    let c = client(&svc, dir.path()).await;
    let wat = workload_token(&c, "agent", "alice").await;
    let err = c
        .get_api_key(ApiKeyRequest::new("missing-provider").workload_access_token(wat.clone()))
        .await
        .unwrap_err();
    match &err {
        Error::Service {
            operation,
            kind,
            message,
            ..
        } => {
            assert_eq!(*operation, "GetResourceApiKey");
            assert_eq!(*kind, ServiceErrorKind::ResourceNotFound);
            assert!(!message.is_empty());
            assert!(err.to_string().contains(message.as_str()), "{err}");
        }
        other => panic!("unexpected {other:?}"),
    }
    // A validation error carries the field list.
    let err = c
        .create_workload_identity(Some("x"), &[])
        .await
        .unwrap_err();
    assert_eq!(
        err.service_kind(),
        Some(&ServiceErrorKind::Validation),
        "{err}"
    );
    if let Error::Service { fields, .. } = &err {
        assert!(fields.iter().any(|f| f.name.contains("name")), "{fields:?}");
        assert!(err.to_string().contains(&fields[0].message), "{err}");
    }
    // A forged workload token is refused; its value is not in the error.
    let forged = "forged-workload-token-value-xyz";
    let err = c
        .get_api_key(ApiKeyRequest::new("p").workload_access_token(SecretString::from(forged)))
        .await
        .unwrap_err();
    assert!(err.service_kind().is_some(), "{err}");
    assert!(!format!("{err} {err:?}").contains(forged));
    common::assert_no_secret_logged([expose(&wat), forged]);
}

#[tokio::test]
async fn local_dev_creates_then_reuses_the_file() {
    let svc = service().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".agentcore.json");
    let c = client(&svc, dir.path()).await;
    c.create_api_key_credential_provider("openai", SecretString::from(API_KEY))
        .await
        .unwrap();

    // No context: the local development flow creates the file and a workload identity.
    let key = c.get_api_key("openai").await.unwrap();
    assert_eq!(key.expose_secret(), API_KEY);
    let file: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let name = file["workload_identity_name"].as_str().unwrap().to_owned();
    let user = file["user_id"].as_str().unwrap().to_owned();
    assert!(name.starts_with("workload-"));
    assert_eq!(user.len(), 8);
    assert!(user.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(svc.request_count("CreateWorkloadIdentity"), 1);
    assert_eq!(svc.request_count("GetWorkloadAccessTokenForUserId"), 1);

    // The same client reuses its cached workload token.
    c.invalidate_api_key("openai").await.unwrap();
    c.get_api_key("openai").await.unwrap();
    assert_eq!(svc.request_count("GetWorkloadAccessTokenForUserId"), 1);

    // A new client (a new process) reads the file: no new workload identity.
    let c2 = client(&svc, dir.path()).await;
    c2.get_api_key("openai").await.unwrap();
    assert_eq!(svc.request_count("CreateWorkloadIdentity"), 1);
    let again: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(again["workload_identity_name"], name.as_str());
    assert_eq!(again["user_id"], user.as_str());
}

#[tokio::test]
async fn local_dev_reads_a_file_written_by_python() {
    let svc = service().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".agentcore.json");
    // Exactly what Python's json.dump(config, file, indent=2) writes.
    std::fs::write(
        &path,
        "{\n  \"workload_identity_name\": \"workload-py123456\",\n  \"user_id\": \"a1b2c3d4\"\n}",
    )
    .unwrap();
    let c = client(&svc, dir.path()).await;
    c.create_api_key_credential_provider("openai", SecretString::from(API_KEY))
        .await
        .unwrap();
    // The named identity does not exist on this service: it is created with that name.
    c.get_api_key("openai").await.unwrap();
    let w = c.get_workload_identity("workload-py123456").await.unwrap();
    assert_eq!(w.name, "workload-py123456");
    assert_eq!(svc.request_count("CreateWorkloadIdentity"), 1);
    let file: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(file["user_id"], "a1b2c3d4");

    // Existing identity: no create.
    let c2 = client(&svc, dir.path()).await;
    c2.get_api_key("openai").await.unwrap();
    assert_eq!(svc.request_count("CreateWorkloadIdentity"), 1);
}

#[tokio::test]
async fn local_dev_is_refused_in_a_container() {
    let svc = service().await;
    let dir = tempfile::tempdir().unwrap();
    let c = common::builder(&svc, dir.path())
        .env_lookup(|name| (name == "DOCKER_CONTAINER").then(|| "1".to_owned()))
        .build()
        .await
        .unwrap();
    let err = c.get_api_key("openai").await.unwrap_err();
    assert!(matches!(err, Error::LocalDevRefusedInContainer));
    assert!(err.to_string().starts_with(
        "workload access token has not been set; if invoking agent runtime via SigV4 inbound \
         auth, specify the X-Amzn-Bedrock-AgentCore-Runtime-User-Id header and retry"
    ));
    assert!(!dir.path().join(".agentcore.json").exists());
    assert_eq!(svc.total_requests(), 0);

    // A context token still works in a container.
    let setup = client(&svc, dir.path()).await;
    setup
        .create_api_key_credential_provider("openai", SecretString::from(API_KEY))
        .await
        .unwrap();
    let wat = workload_token(&setup, "agent", "alice").await;
    RequestContext::scope(ctx(&wat), c.get_api_key("openai"))
        .await
        .unwrap();
}

#[tokio::test]
async fn named_workload_identity_on_client_and_request() {
    let svc = service().await;
    let dir = tempfile::tempdir().unwrap();
    let setup = client(&svc, dir.path()).await;
    setup
        .create_api_key_credential_provider("openai", SecretString::from(API_KEY))
        .await
        .unwrap();
    setup
        .create_workload_identity(Some("ecs-agent"), &[])
        .await
        .unwrap();
    let before = svc.request_count("CreateWorkloadIdentity");

    let c = common::builder(&svc, dir.path())
        .workload_identity("ecs-agent", "svc-user")
        .build()
        .await
        .unwrap();
    c.get_api_key("openai").await.unwrap();
    // Per request, too (wins over the context).
    c.get_api_key(ApiKeyRequest::new("openai").workload_identity("ecs-agent", "other-user"))
        .await
        .unwrap();
    assert_eq!(
        svc.request_count("CreateWorkloadIdentity"),
        before,
        "never creates"
    );
    assert_eq!(svc.request_count("GetWorkloadAccessTokenForUserId"), 2);
    assert!(
        !dir.path().join(".agentcore.json").exists(),
        "no local-dev file"
    );
}

#[tokio::test]
async fn context_survives_spawned_tasks() {
    let svc = service().await;
    let dir = tempfile::tempdir().unwrap();
    let c = client(&svc, dir.path()).await;
    c.create_api_key_credential_provider("openai", SecretString::from(API_KEY))
        .await
        .unwrap();
    let wat = workload_token(&c, "agent", "alice").await;
    use agentcore_identity::context::FutureExt as _;
    let c2 = c.clone();
    let key = RequestContext::scope(ctx(&wat), async move {
        tokio::spawn(async move { c2.get_api_key("openai").await }.in_current_context())
            .await
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(key.expose_secret(), API_KEY);
    assert!(
        !dir.path().join(".agentcore.json").exists(),
        "the context token was used"
    );
}

#[tokio::test]
async fn no_secret_in_display_or_debug() {
    let svc = service().await;
    let dir = tempfile::tempdir().unwrap();
    let c = client(&svc, dir.path()).await;
    let wat = SecretString::from("wat-secret-value-123");
    let req = agentcore_identity::TokenRequest::new("p", agentcore_identity::AuthFlow::M2M)
        .workload_access_token(wat.clone())
        .custom_state("state-secret-value")
        .custom_parameter("k", "param-secret-value");
    let dbg = format!(
        "{req:?} {:?} {c:?}",
        ApiKeyRequest::new("p").workload_access_token(wat.clone())
    );
    for s in [
        "wat-secret-value-123",
        "state-secret-value",
        "param-secret-value",
    ] {
        assert!(!dbg.contains(s), "{dbg}");
    }
    let err = c.get_token(req).await.unwrap_err();
    let shown = format!("{err} {err:?}");
    for s in [
        "wat-secret-value-123",
        "state-secret-value",
        "param-secret-value",
    ] {
        assert!(!shown.contains(s), "{shown}");
    }
    common::assert_no_secret_logged([
        "wat-secret-value-123",
        "state-secret-value",
        "param-secret-value",
    ]);
}
