//! ON_BEHALF_OF_TOKEN_EXCHANGE (RFC 8693) against the real test OpenID provider: a real user JWT
//! (authorization-code flow through the testkit browser) → GetWorkloadAccessTokenForJWT →
//! GetResourceOauth2Token exchanges it at the provider's token endpoint.

mod common;

use agentcore_identity_testkit::{
    M2M_CLIENT_ID, M2M_CLIENT_SECRET, TestIdp, WEB_CLIENT_ID, WEB_CLIENT_SECRET,
};
use aws_sdk_bedrockagentcore::error::ProvideErrorMetadata;
use aws_sdk_bedrockagentcore::types::Oauth2FlowType;
use aws_sdk_bedrockagentcorecontrol::types::Oauth2Discovery;
use base64::Engine;

async fn provider(
    cp: &aws_sdk_bedrockagentcorecontrol::Client,
    idp: &TestIdp,
    name: &str,
    id: &str,
    secret: &str,
) {
    common::custom_oauth2_provider(
        cp,
        name,
        Oauth2Discovery::DiscoveryUrl(idp.discovery_url()),
        id,
        secret,
    )
    .await;
}

fn obo(
    dp: &aws_sdk_bedrockagentcore::Client,
    wat: &str,
    provider: &str,
) -> aws_sdk_bedrockagentcore::operation::get_resource_oauth2_token::builders::GetResourceOauth2TokenFluentBuilder{
    dp.get_resource_oauth2_token()
        .workload_identity_token(wat)
        .resource_credential_provider_name(provider)
        .scopes("read")
        .oauth2_flow(Oauth2FlowType::OnBehalfOfTokenExchange)
}

#[tokio::test]
async fn on_behalf_of_token_exchange() {
    let idp = TestIdp::start().await;
    let h = common::start().await;
    let (dp, cp) = common::clients(&h.endpoint()).await;
    cp.create_workload_identity()
        .name("agent")
        .send()
        .await
        .unwrap();
    provider(&cp, &idp, "idp-web", WEB_CLIENT_ID, WEB_CLIENT_SECRET).await;
    // The M2M client is not allowed the token-exchange grant: the provider refuses.
    provider(&cp, &idp, "idp-m2m", M2M_CLIENT_ID, M2M_CLIENT_SECRET).await;

    // A real user JWT from the provider (authorization code flow, sub = alice).
    let user_jwt = idp.user_jwt("alice").await;
    assert_eq!(common::claims(&user_jwt)["sub"], "alice");
    let w = common::wat_for_jwt(&dp, &user_jwt).await;

    // OBO: a token for the same user, obtained by the web client (act / client_id), resource and
    // audience passed through.
    let t = obo(&dp, &w, "idp-web")
        .audiences("urn:test:downstream")
        .send()
        .await
        .unwrap();
    let at = t.access_token().expect("token").to_string();
    let c = common::claims(&at);
    assert_eq!(c["sub"], "alice", "{c}");
    assert_eq!(c["iss"], idp.issuer());
    assert_eq!(c["client_id"], WEB_CLIENT_ID);
    // No actor token (actorTokenContent NONE): the provider names the exchanging client alone.
    assert_eq!(c["act"], serde_json::json!({ "sub": WEB_CLIENT_ID }), "{c}");
    assert_eq!(c["aud"], "urn:test:downstream");
    assert!(c["scope"].as_str().unwrap().contains("read"));
    assert_ne!(at, user_jwt);
    assert!(t.authorization_url().is_none() && t.session_status().is_none());

    // Cached in the vault per (workload, user, provider, scopes, ...): a second call (with a new
    // workload access token for the same user) answers the same token.
    let w2 = common::wat_for_jwt(&dp, &user_jwt).await;
    let t2 = obo(&dp, &w2, "idp-web")
        .audiences("urn:test:downstream")
        .send()
        .await
        .unwrap();
    assert_eq!(t2.access_token(), Some(at.as_str()));
    // forceAuthentication exchanges again.
    let t3 = obo(&dp, &w2, "idp-web")
        .audiences("urn:test:downstream")
        .force_authentication(true)
        .send()
        .await
        .unwrap();
    assert_ne!(t3.access_token(), Some(at.as_str()));
    assert_eq!(common::claims(t3.access_token().unwrap())["sub"], "alice");

    // Another user gets their own token.
    let bob = idp.user_jwt("bob").await;
    let wb = common::wat_for_jwt(&dp, &bob).await;
    let tb = obo(&dp, &wb, "idp-web")
        .audiences("urn:test:downstream")
        .send()
        .await
        .unwrap();
    assert_eq!(common::claims(tb.access_token().unwrap())["sub"], "bob");

    // Workload access tokens without a user JWT are refused with a clear ValidationException.
    for w in [
        dp.get_workload_access_token_for_user_id()
            .workload_name("agent")
            .user_id("alice")
            .send()
            .await
            .unwrap()
            .workload_access_token()
            .to_string(),
        dp.get_workload_access_token()
            .workload_name("agent")
            .send()
            .await
            .unwrap()
            .workload_access_token()
            .to_string(),
    ] {
        let err = obo(&dp, &w, "idp-web").send().await.unwrap_err();
        let se = err.into_service_error();
        assert_eq!(se.code(), Some("ValidationException"));
        assert!(
            se.message()
                .unwrap()
                .contains("GetWorkloadAccessTokenForJWT"),
            "{:?}",
            se.message()
        );
    }

    // Provider errors reach the caller with `error` and `error_description`:
    // a client not allowed the grant ...
    let err = obo(&dp, &w, "idp-m2m").send().await.unwrap_err();
    let se = err.into_service_error();
    assert_eq!(se.code(), Some("AccessDeniedException"));
    let msg = se.message().unwrap().to_string();
    assert!(
        msg.contains("invalid_request") || msg.contains("unauthorized_client"),
        "{msg}"
    );
    // ... and a subject token the provider did not sign (accepted by ForJWT, which does not verify).
    let mut parts: Vec<String> = user_jwt.split('.').map(str::to_string).collect();
    parts[2] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([7u8; 256]);
    let forged = parts.join(".");
    let wf = common::wat_for_jwt(&dp, &forged).await;
    let err = obo(&dp, &wf, "idp-web").send().await.unwrap_err();
    let se = err.into_service_error();
    assert_eq!(se.code(), Some("AccessDeniedException"));
    let msg = se.message().unwrap().to_string();
    assert!(
        msg.contains("invalid_grant") && msg.contains("subject_token signature is invalid"),
        "{msg}"
    );
    assert!(
        !msg.contains(&forged),
        "the subject token must not be echoed"
    );

    h.shutdown().await;
}
