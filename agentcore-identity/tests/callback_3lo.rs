//! The OAuth2 session-binding callback server in a real 3LO flow: the local identity service, a
//! real OpenID provider (testkit), a headless browser. The browser lands on the callback server,
//! which binds the session to the configured user; the waiting poller then gets the token.
#![cfg(feature = "callback-server")]

use std::time::Duration;

use agentcore_identity::callback::CallbackServer;
use agentcore_identity::context::RequestContext;
use agentcore_identity::control::Oauth2ProviderConfig;
use agentcore_identity::{AuthFlow, IdentityClient, TokenRequest};
use agentcore_identity_local::LocalIdentityService;
use agentcore_identity_testkit::{Browser, TestIdp, WEB_CLIENT_ID, WEB_CLIENT_SECRET};
use secrecy::{ExposeSecret, SecretString};

#[tokio::test(flavor = "multi_thread")]
async fn the_callback_server_binds_the_session_and_the_agent_continues() {
    let idp = TestIdp::start().await;
    let svc = LocalIdentityService::builder()
        .port(0)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let client = IdentityClient::builder()
        .region("us-east-1")
        .endpoint_url(svc.endpoint())
        .credentials_provider(aws_credential_types::Credentials::for_tests())
        .local_config_path(dir.path().join(".agentcore.json"))
        .env_lookup(|_| None)
        .poll_interval(Duration::from_millis(100))
        .poll_timeout(Duration::from_secs(30))
        .build()
        .await
        .unwrap();

    // The developer's callback server, for user alice.
    let callback = CallbackServer::builder(client.clone())
        .user_id("alice")
        .port(0)
        .start()
        .await
        .unwrap();
    let callback_url = callback.callback_url();

    client
        .create_oauth2_credential_provider(
            "web",
            Oauth2ProviderConfig::custom_discovery_url(
                idp.discovery_url(),
                WEB_CLIENT_ID,
                SecretString::from(WEB_CLIENT_SECRET),
            ),
        )
        .await
        .unwrap();
    client
        .create_workload_identity(Some("agent-3lo"), std::slice::from_ref(&callback_url))
        .await
        .unwrap();
    let wat = client
        .get_workload_access_token(
            "agent-3lo",
            agentcore_identity::WorkloadUser::UserId("alice".into()),
        )
        .await
        .unwrap();

    let http = reqwest::Client::new();
    // An attacker's link or image: a session id this process never started gets an error page
    // and no CompleteResourceTokenAuth call.
    for forged in [
        "urn:ietf:params:oauth:request_uri:forged",
        "",
        "../../identities/CompleteResourceTokenAuth",
    ] {
        let resp = http
            .get(&callback_url)
            .query(&[("session_id", forged)])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{forged}");
        let text = resp.text().await.unwrap();
        assert!(!text.contains("agent can continue"), "{text}");
    }
    assert_eq!(svc.request_count("CompleteResourceTokenAuth"), 0);

    let page = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let landed = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let seen = page.clone();
    let back_url = landed.clone();
    let cb = callback_url.clone();
    let user_http = http.clone();
    let ctx = RequestContext::new()
        .with_workload_access_token(wat)
        .with_oauth2_callback_url(callback_url.clone());
    let token = RequestContext::scope(
        ctx,
        client.get_token(
            TokenRequest::new("web", AuthFlow::UserFederation)
                .scopes(["openid", "profile"])
                .on_auth_url_async(move |url| {
                    let (http, seen, cb, back_url) = (
                        user_http.clone(),
                        seen.clone(),
                        cb.clone(),
                        back_url.clone(),
                    );
                    async move {
                        // The user consents; the provider and the service send the browser back
                        // to the callback server with ?session_id=...
                        let back = Browser::new()
                            .complete_consent(&url, "alice")
                            .await
                            .unwrap();
                        assert!(back.as_str().starts_with(&cb), "{back}");
                        assert!(back.query_pairs().any(|(k, _)| k == "session_id"), "{back}");
                        *back_url.lock().unwrap() = back.to_string();
                        let resp = http.get(back.as_str()).send().await.unwrap();
                        assert_eq!(resp.status(), 200);
                        *seen.lock().unwrap() = resp.text().await.unwrap();
                    }
                }),
        ),
    )
    .await
    .unwrap();

    assert!(page.lock().unwrap().contains("agent can continue"));
    assert_eq!(svc.request_count("CompleteResourceTokenAuth"), 1);
    // Replaying the real callback URL (browser history, a shared link) completes nothing again.
    let replay = landed.lock().unwrap().clone();
    let resp = http.get(&replay).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(svc.request_count("CompleteResourceTokenAuth"), 1);
    // The token is alice's.
    use base64::Engine as _;
    let payload = token.expose_secret().split('.').nth(1).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["sub"], "alice");
    callback.shutdown().await;
}
