//! RFC 7523 against the real test OpenID provider, through the official SDKs:
//! `onBehalfOfTokenExchangeConfig.grantType = JWT_AUTHORIZATION_GRANT` (the user's JWT as the
//! jwt-bearer assertion) and `clientAuthenticationMethod = AWS_IAM_ID_TOKEN_JWT` (client
//! authentication with a client assertion signed by the service's STS key, which the provider
//! verifies against the service's JWKS) for M2M, on-behalf-of, and USER_FEDERATION's code exchange
//! and refresh.

mod common;

use agentcore_identity_local::LocalIdentityService;
use agentcore_identity_testkit::{
    Browser, IAM_CLIENT_ID, TestIdp, WEB_CLIENT_ID, WEB_CLIENT_SECRET,
};
use aws_sdk_bedrockagentcore::error::ProvideErrorMetadata;
use aws_sdk_bedrockagentcore::types::Oauth2FlowType;
use aws_sdk_bedrockagentcorecontrol::types::{
    ClientAuthenticationMethodType, CredentialProviderVendorType, CustomOauth2ProviderConfigInput,
    Oauth2Discovery, Oauth2ProviderConfigInput, OnBehalfOfTokenExchangeConfigType,
    OnBehalfOfTokenExchangeGrantTypeType,
};

/// A CustomOauth2 provider at `idp` for `client_id`, with the given client authentication and
/// (optionally) the JWT authorization grant for on-behalf-of.
async fn provider(
    cp: &aws_sdk_bedrockagentcorecontrol::Client,
    idp: &TestIdp,
    name: &str,
    client_id: &str,
    secret: Option<&str>,
    auth: Option<ClientAuthenticationMethodType>,
    jwt_grant: bool,
) {
    let mut cfg = CustomOauth2ProviderConfigInput::builder()
        .oauth_discovery(Oauth2Discovery::DiscoveryUrl(idp.discovery_url()))
        .client_id(client_id)
        .set_client_secret(secret.map(str::to_string))
        .set_client_authentication_method(auth);
    if jwt_grant {
        cfg = cfg.on_behalf_of_token_exchange_config(
            OnBehalfOfTokenExchangeConfigType::builder()
                .grant_type(OnBehalfOfTokenExchangeGrantTypeType::JwtAuthorizationGrant)
                .build()
                .unwrap(),
        );
    }
    cp.create_oauth2_credential_provider()
        .name(name)
        .credential_provider_vendor(CredentialProviderVendorType::CustomOauth2)
        .oauth2_provider_config_input(Oauth2ProviderConfigInput::CustomOauth2ProviderConfig(
            cfg.build(),
        ))
        .send()
        .await
        .unwrap();
}

fn token(
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

/// `jwt` with its signature's last characters changed.
fn forged(jwt: &str) -> String {
    let (head, sig) = jwt.rsplit_once('.').unwrap();
    // A character in the middle (the last one may only carry padding bits).
    let mid = sig.len() / 2;
    let flipped = if &sig[mid..=mid] == "A" { 'B' } else { 'A' };
    format!("{head}.{}{flipped}{}", &sig[..mid], &sig[mid + 1..])
}

#[tokio::test]
async fn on_behalf_of_with_the_jwt_authorization_grant() {
    let idp = TestIdp::start().await;
    let h = common::start().await;
    let (dp, cp) = common::clients(&h.endpoint()).await;
    cp.create_workload_identity()
        .name("agent")
        .send()
        .await
        .unwrap();
    provider(
        &cp,
        &idp,
        "idp-jwt-grant",
        WEB_CLIENT_ID,
        Some(WEB_CLIENT_SECRET),
        None,
        true,
    )
    .await;
    let got = cp
        .get_oauth2_credential_provider()
        .name("idp-jwt-grant")
        .send()
        .await
        .unwrap();
    let out = got.oauth2_provider_config_output().unwrap();
    let custom = out.as_custom_oauth2_provider_config().unwrap();
    assert_eq!(
        custom
            .on_behalf_of_token_exchange_config()
            .unwrap()
            .grant_type(),
        &OnBehalfOfTokenExchangeGrantTypeType::JwtAuthorizationGrant
    );

    let user_jwt = idp.user_jwt("alice").await;
    let w = common::wat_for_jwt(&dp, &user_jwt).await;
    let t = token(
        &dp,
        &w,
        "idp-jwt-grant",
        Oauth2FlowType::OnBehalfOfTokenExchange,
    )
    .audiences("urn:test:downstream")
    .send()
    .await
    .unwrap();
    let at = t.access_token().unwrap().to_string();
    let c = common::claims(&at);
    assert_eq!(c["sub"], "alice", "{c}");
    assert_eq!(c["client_id"], WEB_CLIENT_ID);
    assert_eq!(c["aud"], "urn:test:downstream");
    // The JWT grant, not a token exchange: the provider's grant gives no `act`.
    assert!(c.get("act").is_none(), "{c}");
    assert!(c["scope"].as_str().unwrap().contains("read"));
    // Cached in the vault like the token exchange's.
    let again = token(
        &dp,
        &w,
        "idp-jwt-grant",
        Oauth2FlowType::OnBehalfOfTokenExchange,
    )
    .audiences("urn:test:downstream")
    .send()
    .await
    .unwrap();
    assert_eq!(again.access_token(), Some(at.as_str()));

    // A forged assertion (the service does not verify user JWTs without trust_issuer; the
    // provider does): refused with the provider's error.
    let bad = common::wat_for_jwt(&dp, &forged(&user_jwt)).await;
    let e = token(
        &dp,
        &bad,
        "idp-jwt-grant",
        Oauth2FlowType::OnBehalfOfTokenExchange,
    )
    .send()
    .await
    .expect_err("forged assertion")
    .into_service_error();
    assert!(e.is_access_denied_exception(), "{e:?}");
    let m = e.message().unwrap();
    assert!(m.contains("invalid_grant"), "{m}");
    assert!(m.contains("JWT authorization grant"), "{m}");
    assert!(m.contains("assertion signature is invalid"), "{m}");
    assert!(
        !m.contains(user_jwt.rsplit('.').next().unwrap()),
        "no token in the message"
    );
    h.shutdown().await;
}

#[tokio::test]
async fn client_authentication_with_the_services_sts_assertion() {
    let h = common::start().await;
    let jwks = format!("{}/.well-known/jwks.json", h.endpoint());
    let idp = TestIdp::builder().workload_jwks_uri(&jwks).start().await;
    let (dp, cp) = common::clients(&h.endpoint()).await;
    cp.create_workload_identity()
        .name("agent")
        .send()
        .await
        .unwrap();
    provider(
        &cp,
        &idp,
        "idp-iam",
        IAM_CLIENT_ID,
        None,
        Some(ClientAuthenticationMethodType::AwsIamIdTokenJwt),
        false,
    )
    .await;
    provider(
        &cp,
        &idp,
        "idp-iam-obo",
        IAM_CLIENT_ID,
        None,
        Some(ClientAuthenticationMethodType::AwsIamIdTokenJwt),
        true,
    )
    .await;

    // M2M: client credentials, the client authenticated by the STS-signed assertion.
    let w = dp
        .get_workload_access_token()
        .workload_name("agent")
        .send()
        .await
        .unwrap()
        .workload_access_token()
        .to_string();
    let t = match token(&dp, &w, "idp-iam", Oauth2FlowType::M2M).send().await {
        Ok(t) => t,
        Err(e) => panic!("{e:?}\nprovider: {}", idp.stderr()),
    };
    let c = common::claims(t.access_token().unwrap());
    assert_eq!(c["client_id"], IAM_CLIENT_ID, "{c}");
    assert_eq!(c["iss"], idp.issuer());
    // forceAuthentication: a second grant, with a fresh assertion (the provider refuses a
    // reused `jti`).
    let t2 = token(&dp, &w, "idp-iam", Oauth2FlowType::M2M)
        .force_authentication(true)
        .send()
        .await
        .unwrap();
    assert_ne!(t2.access_token(), t.access_token());

    // On-behalf-of with the JWT grant and the same client authentication.
    let user_jwt = idp.user_jwt("bob").await;
    let wj = common::wat_for_jwt(&dp, &user_jwt).await;
    let o = token(
        &dp,
        &wj,
        "idp-iam-obo",
        Oauth2FlowType::OnBehalfOfTokenExchange,
    )
    .send()
    .await
    .unwrap();
    let c = common::claims(o.access_token().unwrap());
    assert_eq!(c["sub"], "bob", "{c}");
    assert_eq!(c["client_id"], IAM_CLIENT_ID);

    // Another service (other STS keys) presenting itself as the same client: the provider
    // cannot verify its assertion with the first service's JWKS and refuses the client.
    let other = LocalIdentityService::builder()
        .port(0)
        .start()
        .await
        .unwrap();
    let (dp2, cp2) = common::clients(&other.endpoint()).await;
    cp2.create_workload_identity()
        .name("agent")
        .send()
        .await
        .unwrap();
    provider(
        &cp2,
        &idp,
        "idp-iam",
        IAM_CLIENT_ID,
        None,
        Some(ClientAuthenticationMethodType::AwsIamIdTokenJwt),
        false,
    )
    .await;
    let w2 = dp2
        .get_workload_access_token()
        .workload_name("agent")
        .send()
        .await
        .unwrap()
        .workload_access_token()
        .to_string();
    let e = token(&dp2, &w2, "idp-iam", Oauth2FlowType::M2M)
        .send()
        .await
        .expect_err("assertion signed with other keys")
        .into_service_error();
    assert!(e.is_access_denied_exception(), "{e:?}");
    assert!(e.message().unwrap().contains("invalid_client"), "{e:?}");
    other.shutdown().await;
    h.shutdown().await;
}

#[tokio::test]
async fn user_federation_code_exchange_and_refresh_with_the_services_sts_assertion() {
    let h = common::start().await;
    let jwks = format!("{}/.well-known/jwks.json", h.endpoint());
    let idp = TestIdp::builder()
        .workload_jwks_uri(&jwks)
        .access_token_ttl(std::time::Duration::from_secs(2))
        .start()
        .await;
    let (dp, cp) = common::clients(&h.endpoint()).await;
    cp.create_workload_identity()
        .name("agent")
        .send()
        .await
        .unwrap();
    provider(
        &cp,
        &idp,
        "idp-iam-user",
        IAM_CLIENT_ID,
        None,
        Some(ClientAuthenticationMethodType::AwsIamIdTokenJwt),
        false,
    )
    .await;
    let w = dp
        .get_workload_access_token_for_user_id()
        .workload_name("agent")
        .user_id("erin")
        .send()
        .await
        .unwrap()
        .workload_access_token()
        .to_string();
    let start = token(&dp, &w, "idp-iam-user", Oauth2FlowType::UserFederation)
        .scopes("offline_access")
        .send()
        .await
        .unwrap();
    assert!(start.access_token().is_none());
    let session = start.session_uri().unwrap().to_string();
    // The user consents to testkit-iam; the service's callback exchanges the code,
    // authenticating the client with its STS-signed assertion (no secret exists).
    let landed = Browser::new()
        .complete_consent(start.authorization_url().unwrap(), "erin")
        .await
        .unwrap();
    assert!(landed.as_str().starts_with(&h.callback_url()), "{landed}");
    let t1 = match token(&dp, &w, "idp-iam-user", Oauth2FlowType::UserFederation)
        .scopes("offline_access")
        .session_uri(&session)
        .send()
        .await
    {
        Ok(t) => t,
        Err(e) => panic!("{e:?}\nprovider: {}", idp.stderr()),
    };
    let at1 = t1
        .access_token()
        .unwrap_or_else(|| panic!("no token: {t1:?}\nprovider: {}", idp.stderr()))
        .to_string();
    let c = common::claims(&at1);
    assert_eq!(c["sub"], "erin", "{c}");
    assert_eq!(c["client_id"], IAM_CLIENT_ID);
    // Expired: refreshed with the refresh token, the client authenticated by a fresh assertion
    // (the provider refuses a reused jti), without a new consent.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let t2 = token(&dp, &w, "idp-iam-user", Oauth2FlowType::UserFederation)
        .scopes("offline_access")
        .send()
        .await
        .unwrap();
    let at2 = t2
        .access_token()
        .unwrap_or_else(|| {
            panic!(
                "a new flow, not a refresh: {t2:?}\nprovider: {}",
                idp.stderr()
            )
        })
        .to_string();
    assert_ne!(at1, at2);
    let c = common::claims(&at2);
    assert_eq!(c["sub"], "erin", "{c}");
    assert_eq!(c["client_id"], IAM_CLIENT_ID);
    assert!(
        !idp.stderr().contains("grant.error"),
        "the provider refused a grant: {}",
        idp.stderr()
    );
    h.shutdown().await;
}
