//! RFC 8693 actor tokens of ON_BEHALF_OF_TOKEN_EXCHANGE (`tokenExchangeGrantTypeConfig.actorTokenContent`
//! M2M and AWS_IAM_ID_TOKEN_JWT) against the real test OpenID provider, through the official SDKs:
//! the provider verifies the actor token (its own JWKS for an M2M token, the service's STS JWKS for
//! an AWS IAM ID token) and names the actor in the issued token's `act` claim.

mod common;

use agentcore_identity_local::LocalIdentityService;
use agentcore_identity_testkit::{IAM_CLIENT_ID, TestIdp, WEB_CLIENT_ID, WEB_CLIENT_SECRET};
use aws_sdk_bedrockagentcore::error::ProvideErrorMetadata;
use aws_sdk_bedrockagentcore::types::Oauth2FlowType;
use aws_sdk_bedrockagentcorecontrol::types::{
    ActorTokenContentType, ClientAuthenticationMethodType, CredentialProviderVendorType,
    CustomOauth2ProviderConfigInput, Oauth2Discovery, Oauth2ProviderConfigInput,
    OnBehalfOfTokenExchangeConfigType, OnBehalfOfTokenExchangeGrantTypeType,
    TokenExchangeGrantTypeConfigType,
};
use serde_json::json;

const PRINCIPAL: &str = "arn:aws:iam::123456789012:role/actor-test";

/// Creates a CustomOauth2 provider at `idp` whose on-behalf-of exchange is RFC 8693 with the
/// actor token `actor` (and `actor_scopes`).
#[allow(clippy::too_many_arguments)]
async fn provider(
    cp: &aws_sdk_bedrockagentcorecontrol::Client,
    idp: &TestIdp,
    name: &str,
    client_id: &str,
    secret: Option<&str>,
    auth: Option<ClientAuthenticationMethodType>,
    actor: ActorTokenContentType,
    actor_scopes: &[&str],
) -> Result<
    (),
    aws_sdk_bedrockagentcorecontrol::error::SdkError<
        aws_sdk_bedrockagentcorecontrol::operation::create_oauth2_credential_provider::CreateOauth2CredentialProviderError,
    >,
>{
    let te = TokenExchangeGrantTypeConfigType::builder()
        .actor_token_content(actor)
        .set_actor_token_scopes(
            (!actor_scopes.is_empty())
                .then(|| actor_scopes.iter().map(|s| s.to_string()).collect()),
        )
        .build()
        .unwrap();
    let cfg = CustomOauth2ProviderConfigInput::builder()
        .oauth_discovery(Oauth2Discovery::DiscoveryUrl(idp.discovery_url()))
        .client_id(client_id)
        .set_client_secret(secret.map(str::to_string))
        .set_client_authentication_method(auth)
        .on_behalf_of_token_exchange_config(
            OnBehalfOfTokenExchangeConfigType::builder()
                .grant_type(OnBehalfOfTokenExchangeGrantTypeType::TokenExchange)
                .token_exchange_grant_type_config(te)
                .build()
                .unwrap(),
        )
        .build();
    cp.create_oauth2_credential_provider()
        .name(name)
        .credential_provider_vendor(CredentialProviderVendorType::CustomOauth2)
        .oauth2_provider_config_input(Oauth2ProviderConfigInput::CustomOauth2ProviderConfig(cfg))
        .send()
        .await
        .map(|_| ())
}

/// ON_BEHALF_OF_TOKEN_EXCHANGE at `provider`; the access token, or the service's error.
async fn obo(
    dp: &aws_sdk_bedrockagentcore::Client,
    wat: &str,
    provider: &str,
) -> Result<
    String,
    aws_sdk_bedrockagentcore::operation::get_resource_oauth2_token::GetResourceOauth2TokenError,
> {
    dp.get_resource_oauth2_token()
        .workload_identity_token(wat)
        .resource_credential_provider_name(provider)
        .scopes("read")
        .oauth2_flow(Oauth2FlowType::OnBehalfOfTokenExchange)
        .send()
        .await
        .map(|o| o.access_token().expect("access token").to_string())
        .map_err(|e| e.into_service_error())
}

/// Waits (up to 5 s) for `needle` in the provider's stderr.
async fn logged(idp: &TestIdp, needle: &str) -> bool {
    for _ in 0..50 {
        if idp.stderr().contains(needle) {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn m2m_actor_token_is_the_clients_own_client_credentials_token() {
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
        "idp-m2m-actor",
        WEB_CLIENT_ID,
        Some(WEB_CLIENT_SECRET),
        None,
        ActorTokenContentType::M2M,
        &["write", "actor:scope"],
    )
    .await
    .unwrap();
    // The configuration is kept as given.
    let got = cp
        .get_oauth2_credential_provider()
        .name("idp-m2m-actor")
        .send()
        .await
        .unwrap();
    let te = got
        .oauth2_provider_config_output()
        .unwrap()
        .as_custom_oauth2_provider_config()
        .unwrap()
        .on_behalf_of_token_exchange_config()
        .unwrap()
        .token_exchange_grant_type_config()
        .unwrap()
        .clone();
    assert_eq!(te.actor_token_content(), &ActorTokenContentType::M2M);
    assert_eq!(te.actor_token_scopes(), ["write", "actor:scope"]);

    let user_jwt = idp.user_jwt("alice").await;
    let w = common::wat_for_jwt(&dp, &user_jwt).await;
    let at = match obo(&dp, &w, "idp-m2m-actor").await {
        Ok(t) => t,
        Err(e) => panic!("{e:?}\nprovider: {}", idp.stderr()),
    };
    let c = common::claims(&at);
    assert_eq!(c["sub"], "alice", "{c}");
    assert_eq!(c["client_id"], WEB_CLIENT_ID);
    // The actor is the client-credentials token of the provider's client (its sub and client_id),
    // issued by the provider itself.
    assert_eq!(
        c["act"],
        json!({ "sub": WEB_CLIENT_ID, "client_id": WEB_CLIENT_ID, "iss": idp.issuer() }),
        "{c}"
    );
    // ... asked for with actorTokenScopes.
    assert!(
        logged(
            &idp,
            &format!(
                "actor_token accepted: iss={} sub={WEB_CLIENT_ID} scope=write actor:scope",
                idp.issuer()
            )
        )
        .await,
        "{}",
        idp.stderr()
    );
    assert!(
        !idp.stderr().contains(at.rsplit('.').next().unwrap()),
        "no token in the log"
    );

    // actorTokenScopes only with M2M (the model's documentation).
    let e = provider(
        &cp,
        &idp,
        "idp-bad-scopes",
        WEB_CLIENT_ID,
        Some(WEB_CLIENT_SECRET),
        None,
        ActorTokenContentType::AwsIamIdTokenJwt,
        &["write"],
    )
    .await
    .expect_err("actorTokenScopes without M2M")
    .into_service_error();
    assert!(e.is_validation_exception(), "{e:?}");
    let m = e.message().unwrap();
    assert!(
        m.contains("tokenExchangeGrantTypeConfig.actorTokenScopes"),
        "{m}"
    );
    assert!(
        m.contains("only valid when actorTokenContent is M2M"),
        "{m}"
    );
    h.shutdown().await;
}

#[tokio::test]
async fn aws_iam_id_token_actor_is_the_services_sts_token() {
    let h = LocalIdentityService::builder()
        .port(0)
        .principal_arn(PRINCIPAL)
        .start()
        .await
        .unwrap();
    let jwks = format!("{}/.well-known/jwks.json", h.endpoint());
    let idp = TestIdp::builder().workload_jwks_uri(&jwks).start().await;
    let (dp, cp) = common::clients(&h.endpoint()).await;
    cp.create_workload_identity()
        .name("agent")
        .send()
        .await
        .unwrap();
    // A client with a secret, and an STS actor token.
    provider(
        &cp,
        &idp,
        "idp-iam-actor",
        WEB_CLIENT_ID,
        Some(WEB_CLIENT_SECRET),
        None,
        ActorTokenContentType::AwsIamIdTokenJwt,
        &[],
    )
    .await
    .unwrap();
    // The client authenticated by the STS assertion, and an M2M actor token (two grants, each
    // with its own single-use assertion).
    provider(
        &cp,
        &idp,
        "idp-iam-client-m2m-actor",
        IAM_CLIENT_ID,
        None,
        Some(ClientAuthenticationMethodType::AwsIamIdTokenJwt),
        ActorTokenContentType::M2M,
        &["read"],
    )
    .await
    .unwrap();

    let user_jwt = idp.user_jwt("bob").await;
    let w = common::wat_for_jwt(&dp, &user_jwt).await;
    let at = match obo(&dp, &w, "idp-iam-actor").await {
        Ok(t) => t,
        Err(e) => panic!("{e:?}\nprovider: {}", idp.stderr()),
    };
    let c = common::claims(&at);
    assert_eq!(c["sub"], "bob", "{c}");
    assert_eq!(c["client_id"], WEB_CLIENT_ID);
    // The actor: the service's principal, as its STS issuer signed it (the provider verified the
    // ES384 signature with the service's JWKS).
    assert_eq!(
        c["act"],
        json!({ "sub": PRINCIPAL, "iss": h.endpoint() }),
        "{c}"
    );

    let at = match obo(&dp, &w, "idp-iam-client-m2m-actor").await {
        Ok(t) => t,
        Err(e) => panic!("{e:?}\nprovider: {}", idp.stderr()),
    };
    let c = common::claims(&at);
    assert_eq!(c["sub"], "bob", "{c}");
    assert_eq!(c["client_id"], IAM_CLIENT_ID);
    assert_eq!(
        c["act"],
        json!({ "sub": IAM_CLIENT_ID, "client_id": IAM_CLIENT_ID, "iss": idp.issuer() }),
        "{c}"
    );
    h.shutdown().await;
}

#[tokio::test]
async fn a_forged_actor_token_is_refused_with_the_providers_error() {
    let h = common::start().await;
    // The provider trusts actor tokens with the service's issuer, but verifies them with another
    // service's keys: the service's real token is, to it, a token signed by someone else.
    let impostor = common::start().await;
    let idp = TestIdp::builder()
        .workload_jwks_uri(format!("{}/.well-known/jwks.json", impostor.endpoint()))
        .workload_issuer(h.endpoint())
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
        "idp-iam-actor",
        WEB_CLIENT_ID,
        Some(WEB_CLIENT_SECRET),
        None,
        ActorTokenContentType::AwsIamIdTokenJwt,
        &[],
    )
    .await
    .unwrap();
    let user_jwt = idp.user_jwt("carol").await;
    let w = common::wat_for_jwt(&dp, &user_jwt).await;
    let e = obo(&dp, &w, "idp-iam-actor")
        .await
        .expect_err("actor token signed with keys the provider does not trust");
    assert!(e.is_access_denied_exception(), "{e:?}");
    let m = e.message().unwrap();
    assert!(m.contains("token exchange: invalid_grant"), "{m}");
    assert!(
        m.contains("actor_token is not signed with a key of its issuer"),
        "{m}"
    );
    assert!(
        !m.contains(user_jwt.rsplit('.').next().unwrap()),
        "no token in the message"
    );
    drop(idp);
    impostor.shutdown().await;
    h.shutdown().await;
}
