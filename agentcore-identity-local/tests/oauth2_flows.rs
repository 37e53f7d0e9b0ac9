//! OAuth2 flows against the real test OpenID provider (npm oidc-provider, from the testkit crate),
//! driven through the official Rust SDK and the testkit's headless browser.

mod common;

use agentcore_identity_local::ServiceHandle;
use agentcore_identity_testkit::{
    Browser, M2M_CLIENT_ID, M2M_CLIENT_SECRET, M2M_POST_CLIENT_ID, M2M_POST_CLIENT_SECRET, TestIdp,
    WEB_CLIENT_ID, WEB_CLIENT_SECRET,
};
use aws_sdk_bedrockagentcore::error::ProvideErrorMetadata;
use aws_sdk_bedrockagentcore::types::{Oauth2FlowType, SessionStatus, UserIdentifier};
use aws_sdk_bedrockagentcorecontrol::types::{Oauth2AuthorizationServerMetadata, Oauth2Discovery};
use base64::Engine;

const RETURN_URL: &str = "http://localhost:9/oauth2/return";

struct Env {
    h: ServiceHandle,
    idp: TestIdp,
    dp: aws_sdk_bedrockagentcore::Client,
    cp: aws_sdk_bedrockagentcorecontrol::Client,
}

async fn env_with(idp: TestIdp) -> Env {
    let h = common::start().await;
    let (dp, cp) = common::clients(&h.endpoint()).await;
    cp.create_workload_identity()
        .name("agent")
        .allowed_resource_oauth2_return_urls(RETURN_URL)
        .send()
        .await
        .unwrap();
    let disc = || Oauth2Discovery::DiscoveryUrl(idp.discovery_url());
    common::custom_oauth2_provider(&cp, "idp-m2m", disc(), M2M_CLIENT_ID, M2M_CLIENT_SECRET).await;
    common::custom_oauth2_provider(&cp, "idp-web", disc(), WEB_CLIENT_ID, WEB_CLIENT_SECRET).await;
    common::custom_oauth2_provider(&cp, "idp-bad", disc(), M2M_CLIENT_ID, "wrong-secret").await;
    let meta = Oauth2AuthorizationServerMetadata::builder()
        .issuer(idp.issuer())
        .authorization_endpoint(idp.authorization_endpoint())
        .token_endpoint(idp.token_endpoint())
        .token_endpoint_auth_methods("client_secret_post")
        .build()
        .unwrap();
    common::custom_oauth2_provider(
        &cp,
        "idp-m2m-post",
        Oauth2Discovery::AuthorizationServerMetadata(meta),
        M2M_POST_CLIENT_ID,
        M2M_POST_CLIENT_SECRET,
    )
    .await;
    Env { h, idp, dp, cp }
}

async fn env() -> Env {
    env_with(TestIdp::start().await).await
}

async fn wat(dp: &aws_sdk_bedrockagentcore::Client, user: &str) -> String {
    dp.get_workload_access_token_for_user_id()
        .workload_name("agent")
        .user_id(user)
        .send()
        .await
        .unwrap()
        .workload_access_token()
        .to_string()
}

fn token_req(
    dp: &aws_sdk_bedrockagentcore::Client,
    wat: &str,
    provider: &str,
    flow: Oauth2FlowType,
) -> aws_sdk_bedrockagentcore::operation::get_resource_oauth2_token::builders::GetResourceOauth2TokenFluentBuilder{
    dp.get_resource_oauth2_token()
        .workload_identity_token(wat)
        .resource_credential_provider_name(provider)
        .scopes("read")
        .oauth2_flow(flow)
}

#[tokio::test]
async fn m2m_basic_and_post_cached_in_vault() {
    let e = env().await;
    let w = wat(&e.dp, "alice").await;
    let t1 = token_req(&e.dp, &w, "idp-m2m", Oauth2FlowType::M2M)
        .send()
        .await
        .unwrap();
    let at1 = t1.access_token().expect("token").to_string();
    let c = common::claims(&at1);
    assert_eq!(c["client_id"], M2M_CLIENT_ID);
    assert!(c["scope"].as_str().unwrap().contains("read"));
    assert!(t1.authorization_url().is_none() && t1.session_status().is_none());
    // second call served from the vault: same token
    let t2 = token_req(&e.dp, &w, "idp-m2m", Oauth2FlowType::M2M)
        .send()
        .await
        .unwrap();
    assert_eq!(t2.access_token(), Some(at1.as_str()));
    // client_secret_post provider
    let p = token_req(&e.dp, &w, "idp-m2m-post", Oauth2FlowType::M2M)
        .send()
        .await
        .unwrap();
    assert_eq!(
        common::claims(p.access_token().unwrap())["client_id"],
        M2M_POST_CLIENT_ID
    );
    // forceAuthentication bypasses the vault
    let t3 = token_req(&e.dp, &w, "idp-m2m", Oauth2FlowType::M2M)
        .force_authentication(true)
        .send()
        .await
        .unwrap();
    assert_ne!(t3.access_token(), Some(at1.as_str()));
    assert_eq!(e.h.request_count("GetResourceOauth2Token"), 4);
    drop(e.idp);
    // the vault still answers once the provider is gone
    let t4 = token_req(&e.dp, &w, "idp-m2m-post", Oauth2FlowType::M2M)
        .send()
        .await
        .unwrap();
    assert_eq!(t4.access_token(), p.access_token());
    // deleting the provider drops its tokens
    e.cp.delete_oauth2_credential_provider()
        .name("idp-m2m-post")
        .send()
        .await
        .unwrap();
    let err = token_req(&e.dp, &w, "idp-m2m-post", Oauth2FlowType::M2M)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    e.h.shutdown().await;
}

#[tokio::test]
async fn m2m_provider_error_reaches_the_caller() {
    let e = env().await;
    let w = wat(&e.dp, "alice").await;
    let err = token_req(&e.dp, &w, "idp-bad", Oauth2FlowType::M2M)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_access_denied_exception(), "{err:?}");
    assert!(
        err.message().unwrap().contains("invalid_client"),
        "{:?}",
        err.message()
    );
    assert!(!err.message().unwrap().contains("wrong-secret"));
    let err = token_req(&e.dp, &w, "idp-none", Oauth2FlowType::M2M)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    e.h.shutdown().await;
}

fn query(url: &url::Url, key: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn user_federation_full_flow() {
    let e = env().await;
    let w = wat(&e.dp, "alice").await;
    let start = token_req(&e.dp, &w, "idp-web", Oauth2FlowType::UserFederation)
        .scopes("openid")
        .resource_oauth2_return_url(RETURN_URL)
        .custom_state("my-state-42")
        .custom_parameters("prompt", "consent")
        .send()
        .await
        .unwrap();
    assert!(start.access_token().is_none());
    assert_eq!(start.session_status(), Some(&SessionStatus::InProgress));
    let auth_url = start.authorization_url().unwrap().to_string();
    let session = start.session_uri().unwrap().to_string();
    assert!(session.starts_with("urn:ietf:params:oauth:request_uri:"));
    assert!(auth_url.starts_with(&format!(
        "{}/identities/oauth2/authorize?request_uri=",
        e.h.endpoint()
    )));

    // the authorize URL redirects to the provider with state, PKCE S256 and our callback
    let r = Browser::new().http().get(&auth_url).send().await.unwrap();
    assert_eq!(r.status(), 302);
    let loc = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    assert!(loc.as_str().starts_with(&e.idp.authorization_endpoint()));
    assert_eq!(
        query(&loc, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert!(query(&loc, "state").is_some());
    assert_eq!(query(&loc, "redirect_uri"), Some(e.h.callback_url()));
    assert_eq!(query(&loc, "scope").as_deref(), Some("read openid"));
    assert_eq!(query(&loc, "prompt").as_deref(), Some("consent"));

    // polling before consent: same URL and session, IN_PROGRESS
    let poll = token_req(&e.dp, &w, "idp-web", Oauth2FlowType::UserFederation)
        .scopes("openid")
        .session_uri(&session)
        .send()
        .await
        .unwrap();
    assert_eq!(poll.authorization_url(), Some(auth_url.as_str()));
    assert_eq!(poll.session_uri(), Some(session.as_str()));
    assert_eq!(poll.session_status(), Some(&SessionStatus::InProgress));

    // the user consents; the browser lands on the return URL with session_id (and our custom state)
    let landed = Browser::new()
        .complete_consent(&auth_url, "alice")
        .await
        .unwrap();
    assert!(landed.as_str().starts_with(RETURN_URL), "{landed}");
    assert_eq!(query(&landed, "session_id"), Some(session.clone()));
    assert_eq!(query(&landed, "state").as_deref(), Some("my-state-42"));

    // still IN_PROGRESS until the app completes the session
    let poll = token_req(&e.dp, &w, "idp-web", Oauth2FlowType::UserFederation)
        .scopes("openid")
        .session_uri(&session)
        .send()
        .await
        .unwrap();
    assert_eq!(poll.session_status(), Some(&SessionStatus::InProgress));

    // the wrong user cannot complete it
    let err =
        e.dp.complete_resource_token_auth()
            .session_uri(&session)
            .user_identifier(UserIdentifier::UserId("mallory".into()))
            .send()
            .await
            .unwrap_err()
            .into_service_error();
    assert!(err.is_access_denied_exception(), "{err:?}");
    e.dp.complete_resource_token_auth()
        .session_uri(&session)
        .user_identifier(UserIdentifier::UserId("alice".into()))
        .send()
        .await
        .unwrap();
    // a reused session is refused
    let err =
        e.dp.complete_resource_token_auth()
            .session_uri(&session)
            .user_identifier(UserIdentifier::UserId("alice".into()))
            .send()
            .await
            .unwrap_err()
            .into_service_error();
    assert!(
        err.is_validation_exception() || err.is_resource_not_found_exception(),
        "{err:?}"
    );

    let done = token_req(&e.dp, &w, "idp-web", Oauth2FlowType::UserFederation)
        .scopes("openid")
        .session_uri(&session)
        .send()
        .await
        .unwrap();
    let at = done.access_token().expect("access token").to_string();
    let c = common::claims(&at);
    assert_eq!(c["sub"], "alice");
    assert_eq!(c["client_id"], WEB_CLIENT_ID);
    // without a session: from the vault
    let again = token_req(&e.dp, &w, "idp-web", Oauth2FlowType::UserFederation)
        .scopes("openid")
        .send()
        .await
        .unwrap();
    assert_eq!(again.access_token(), Some(at.as_str()));
    // another user has no token: a new flow
    let bob = wat(&e.dp, "bob").await;
    let b = token_req(&e.dp, &bob, "idp-web", Oauth2FlowType::UserFederation)
        .scopes("openid")
        .send()
        .await
        .unwrap();
    assert!(b.access_token().is_none() && b.authorization_url().is_some());
    // forceAuthentication starts a new flow although a token is stored
    let f = token_req(&e.dp, &w, "idp-web", Oauth2FlowType::UserFederation)
        .scopes("openid")
        .force_authentication(true)
        .send()
        .await
        .unwrap();
    assert!(f.access_token().is_none());
    assert_ne!(f.session_uri(), Some(session.as_str()));
    assert_eq!(f.session_status(), Some(&SessionStatus::InProgress));
    // the old session is gone; the token is still served for it from the vault
    let old = token_req(&e.dp, &w, "idp-web", Oauth2FlowType::UserFederation)
        .scopes("openid")
        .session_uri(&session)
        .send()
        .await
        .unwrap();
    assert_eq!(old.access_token(), Some(at.as_str()));
    // the authorize URL of a used session no longer redirects
    let r = Browser::new().http().get(&auth_url).send().await.unwrap();
    assert_eq!(r.status(), 400);
    e.h.shutdown().await;
}

#[tokio::test]
async fn complete_with_user_token_and_jwt_workload_token() {
    let e = env().await;
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"sub":"carol"}"#);
    // {"alg":"RS256"}: signed, not verified (no trusted issuer is configured)
    let user_jwt = format!("eyJhbGciOiJSUzI1NiJ9.{payload}.c2ln");
    let w =
        e.dp.get_workload_access_token_for_jwt()
            .workload_name("agent")
            .user_token(&user_jwt)
            .send()
            .await
            .unwrap()
            .workload_access_token()
            .to_string();
    let start = token_req(&e.dp, &w, "idp-web", Oauth2FlowType::UserFederation)
        .resource_oauth2_return_url(RETURN_URL)
        .send()
        .await
        .unwrap();
    let session = start.session_uri().unwrap().to_string();
    let landed = Browser::new()
        .complete_consent(start.authorization_url().unwrap(), "carol")
        .await
        .unwrap();
    assert_eq!(query(&landed, "session_id"), Some(session.clone()));
    assert!(query(&landed, "state").is_none());
    e.dp.complete_resource_token_auth()
        .session_uri(&session)
        .user_identifier(UserIdentifier::UserToken(user_jwt.clone()))
        .send()
        .await
        .unwrap();
    let done = token_req(&e.dp, &w, "idp-web", Oauth2FlowType::UserFederation)
        .session_uri(&session)
        .send()
        .await
        .unwrap();
    assert_eq!(common::claims(done.access_token().unwrap())["sub"], "carol");
    e.h.shutdown().await;
}

#[tokio::test]
async fn return_url_must_be_allowed() {
    let e = env().await;
    let w = wat(&e.dp, "alice").await;
    let err = token_req(&e.dp, &w, "idp-web", Oauth2FlowType::UserFederation)
        .resource_oauth2_return_url("http://evil.example/steal")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_validation_exception(), "{err:?}");
    // a workload token without a user cannot start USER_FEDERATION
    let plain =
        e.dp.get_workload_access_token()
            .workload_name("agent")
            .send()
            .await
            .unwrap();
    let err = token_req(
        &e.dp,
        plain.workload_access_token(),
        "idp-web",
        Oauth2FlowType::UserFederation,
    )
    .send()
    .await
    .unwrap_err()
    .into_service_error();
    assert!(err.is_validation_exception(), "{err:?}");
    e.h.shutdown().await;
}

#[tokio::test]
async fn access_denied_makes_the_session_failed() {
    let e = env().await;
    let w = wat(&e.dp, "alice").await;
    let start = token_req(&e.dp, &w, "idp-web", Oauth2FlowType::UserFederation)
        .resource_oauth2_return_url(RETURN_URL)
        .send()
        .await
        .unwrap();
    let session = start.session_uri().unwrap().to_string();
    let landed = Browser::new()
        .deny_consent(start.authorization_url().unwrap(), "alice")
        .await
        .unwrap();
    assert_eq!(
        query(&landed, "error").as_deref(),
        Some("access_denied"),
        "{landed}"
    );
    let poll = token_req(&e.dp, &w, "idp-web", Oauth2FlowType::UserFederation)
        .session_uri(&session)
        .send()
        .await
        .unwrap();
    assert_eq!(poll.session_status(), Some(&SessionStatus::Failed));
    assert!(poll.access_token().is_none() && poll.authorization_url().is_none());
    let err =
        e.dp.complete_resource_token_auth()
            .session_uri(&session)
            .user_identifier(UserIdentifier::UserId("alice".into()))
            .send()
            .await
            .unwrap_err()
            .into_service_error();
    assert!(err.is_validation_exception(), "{err:?}");
    e.h.shutdown().await;
}

#[tokio::test]
async fn direct_completion_and_refresh_after_expiry() {
    let idp = TestIdp::builder()
        .access_token_ttl(std::time::Duration::from_secs(2))
        .start()
        .await;
    let e = env_with(idp).await;
    let w = wat(&e.dp, "dave").await;
    // no return URL: the callback completes the session itself
    let start = token_req(&e.dp, &w, "idp-web", Oauth2FlowType::UserFederation)
        .scopes("offline_access")
        .send()
        .await
        .unwrap();
    let session = start.session_uri().unwrap().to_string();
    let landed = Browser::new()
        .complete_consent(start.authorization_url().unwrap(), "dave")
        .await
        .unwrap();
    assert!(landed.as_str().starts_with(&e.h.callback_url()), "{landed}");
    let t1 = token_req(&e.dp, &w, "idp-web", Oauth2FlowType::UserFederation)
        .scopes("offline_access")
        .session_uri(&session)
        .send()
        .await
        .unwrap();
    let at1 = t1.access_token().expect("token").to_string();
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    // expired: refreshed with the refresh token, no new consent
    let t2 = token_req(&e.dp, &w, "idp-web", Oauth2FlowType::UserFederation)
        .scopes("offline_access")
        .send()
        .await
        .unwrap();
    let at2 = t2
        .access_token()
        .expect("refreshed token, not a new flow")
        .to_string();
    assert_ne!(at1, at2);
    assert_eq!(common::claims(&at2)["sub"], "dave");
    e.h.shutdown().await;
}

#[tokio::test]
async fn sessions_expire_and_unknown_states_are_refused() {
    let h = agentcore_identity_local::LocalIdentityService::builder()
        .session_ttl(std::time::Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let (dp, cp) = common::clients(&h.endpoint()).await;
    cp.create_workload_identity()
        .name("agent")
        .send()
        .await
        .unwrap();
    let meta = Oauth2AuthorizationServerMetadata::builder()
        .issuer("https://idp.example")
        .authorization_endpoint("https://idp.example/authorize")
        .token_endpoint("https://idp.example/token")
        .build()
        .unwrap();
    common::custom_oauth2_provider(
        &cp,
        "static",
        Oauth2Discovery::AuthorizationServerMetadata(meta),
        "cid",
        "csecret",
    )
    .await;
    let w = wat(&dp, "alice").await;
    let start = token_req(&dp, &w, "static", Oauth2FlowType::UserFederation)
        .send()
        .await
        .unwrap();
    let session = start.session_uri().unwrap().to_string();
    let r = Browser::new()
        .http()
        .get(start.authorization_url().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert!(loc.starts_with("https://idp.example/authorize?"), "{loc}");
    // a callback with an unknown state does nothing
    let r = Browser::new()
        .http()
        .get(format!("{}?code=x&state=forged", h.callback_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    let err = token_req(&dp, &w, "static", Oauth2FlowType::UserFederation)
        .session_uri(&session)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_validation_exception(), "{err:?}");
    // the state of the expired session is refused at the callback too
    let state = url::Url::parse(&loc)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let r = Browser::new()
        .http()
        .get(format!("{}?code=x&state={state}", h.callback_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // another workload's user cannot poll someone else's session
    h.shutdown().await;
}
