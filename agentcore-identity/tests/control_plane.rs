//! The typed control plane against the real local service over HTTP: OAuth2 provider
//! configurations with everything the model has (round trip create → get), secrets held in
//! Secrets Manager, tags (on create, TagResource, UntagResource, ListTagsForResource), the token
//! vault (GetTokenVault, SetTokenVaultCMK, ResetTokenVaultKeyMaterial), invalid combinations
//! refused with the service's message.

mod common;

use agentcore_identity::control::{
    ActorTokenContent, ApiKeySecret, AuthorizationServerMetadata, CertificateConfiguration,
    ClientAuthenticationMethod, ClientSecret, EndpointIpAddressType, KeyType, KmsConfiguration,
    ManagedVpcResource, Oauth2Discovery, Oauth2ProviderConfig, OnBehalfOfClientAuthentication,
    OnBehalfOfGrantType, OnBehalfOfTokenExchange, PrivateEndpoint, PrivateEndpointOverride,
    PrivateKeyJwtConfig, SecretReference, SecretSource, SigningAlgorithm, Tags,
};
use agentcore_identity::{Error, ServiceErrorKind};
use common::{client, service};
use secrecy::SecretString;

const CLIENT_SECRET: &str = "cp-client-secret-SECRET-8d1e";
const HEADER_CLAIM: &str = "claim-header-SECRET-11aa";
const PAYLOAD_CLAIM: &str = "claim-payload-SECRET-22bb";
const API_KEY: &str = "sk-cp-SECRET-0a0b0c0d";
const KMS_KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/0123abcd-0123-4567-89ab-0123456789ab";

fn metadata() -> AuthorizationServerMetadata {
    AuthorizationServerMetadata::new(
        "https://idp.example.com",
        "https://idp.example.com/authorize",
        "https://idp.example.com/token",
    )
    .token_endpoint_auth_methods(["client_secret_post"])
}

fn managed_vpc() -> ManagedVpcResource {
    ManagedVpcResource::new(
        "vpc-0123456789abcdef0",
        ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
        EndpointIpAddressType::Ipv4,
    )
    .security_group_ids(["sg-0123456789abcdef0"])
    .tags([("owner", "agents")])
    .routing_domain("corp.example")
}

/// Everything a custom provider can have.
fn full_custom() -> Oauth2ProviderConfig {
    Oauth2ProviderConfig::custom_metadata(
        metadata(),
        "custom-client",
        SecretString::from(CLIENT_SECRET),
    )
    .client_authentication_method(ClientAuthenticationMethod::PrivateKeyJwt)
    .private_key_jwt(
        PrivateKeyJwtConfig::kms_key(KMS_KEY)
            .signing_algorithm(SigningAlgorithm::Ps256)
            .header_claim("kid", SecretString::from(HEADER_CLAIM))
            .payload_claim("tenant", SecretString::from(PAYLOAD_CLAIM)),
    )
    .on_behalf_of_token_exchange(
        OnBehalfOfTokenExchange::token_exchange()
            .actor_token(ActorTokenContent::M2m)
            .actor_token_scopes(["agent.act", "openid"])
            .client_authentication(OnBehalfOfClientAuthentication::NoClient),
    )
    .private_endpoint(PrivateEndpoint::self_managed_lattice(
        "rcfg-0123456789abcdef0",
    ))
    .private_endpoint_override(
        "login.example.com",
        PrivateEndpoint::ManagedVpc(managed_vpc()),
    )
    .certificate(CertificateConfiguration::S3 {
        uri: "s3://ca-bucket/private-ca.pem".into(),
        bucket_owner_account_id: Some("123456789012".into()),
    })
}

#[tokio::test]
async fn custom_provider_configuration_round_trips() {
    let svc = service().await;
    let dir = tempfile::tempdir().unwrap();
    let c = client(&svc, dir.path()).await;

    let created = c
        .create_oauth2_credential_provider("full", full_custom())
        .await
        .unwrap();
    assert_eq!(created.vendor.as_deref(), Some("CustomOauth2"));
    assert_eq!(created.client_id.as_deref(), Some("custom-client"));
    assert_eq!(
        created.certificate_configurations.len(),
        1,
        "certificates are in the create answer: {created:?}"
    );

    let got = c.get_oauth2_credential_provider("full").await.unwrap();
    assert_eq!(got.vendor.as_deref(), Some("CustomOauth2"));
    assert_eq!(got.status.as_deref(), Some("READY"));
    assert_eq!(
        got.discovery,
        Some(Oauth2Discovery::AuthorizationServerMetadata(metadata()))
    );
    assert_eq!(
        got.client_authentication_method,
        Some(ClientAuthenticationMethod::PrivateKeyJwt)
    );
    let obo = got.on_behalf_of_token_exchange.clone().expect("obo config");
    assert_eq!(obo.grant_type, OnBehalfOfGrantType::TokenExchange);
    assert_eq!(obo.actor_token, Some(ActorTokenContent::M2m));
    assert_eq!(obo.actor_token_scopes, ["agent.act", "openid"]);
    assert_eq!(
        obo.client_authentication,
        Some(OnBehalfOfClientAuthentication::NoClient)
    );
    let jwt = got.private_key_jwt.clone().expect("private key jwt");
    assert_eq!(jwt.kms_key_arn.as_deref(), Some(KMS_KEY));
    assert_eq!(jwt.signing_algorithm, Some(SigningAlgorithm::Ps256));
    assert_eq!(
        jwt,
        PrivateKeyJwtConfig::kms_key(KMS_KEY)
            .signing_algorithm(SigningAlgorithm::Ps256)
            .header_claim("kid", SecretString::from(HEADER_CLAIM))
            .payload_claim("tenant", SecretString::from(PAYLOAD_CLAIM))
    );
    assert_eq!(
        got.private_endpoint,
        Some(PrivateEndpoint::self_managed_lattice(
            "rcfg-0123456789abcdef0"
        ))
    );
    assert_eq!(
        got.private_endpoint_overrides,
        vec![PrivateEndpointOverride::new(
            "login.example.com",
            PrivateEndpoint::ManagedVpc(managed_vpc())
        )]
    );
    assert_eq!(
        got.certificate_configurations,
        vec![CertificateConfiguration::S3 {
            uri: "s3://ca-bucket/private-ca.pem".into(),
            bucket_owner_account_id: Some("123456789012".into()),
        }]
    );
    // Neither the answer's Debug nor any log line shows the secret or the claim values.
    let shown = format!("{got:?} {created:?} {:?}", full_custom());
    for s in [CLIENT_SECRET, HEADER_CLAIM, PAYLOAD_CLAIM] {
        assert!(!shown.contains(s), "{s} in {shown}");
    }

    // JWT_AUTHORIZATION_GRANT and a certificate in Secrets Manager, by update.
    let cert_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:private-ca-AbCdEf";
    let updated = c
        .update_oauth2_credential_provider(
            "full",
            Oauth2ProviderConfig::custom_metadata(
                metadata(),
                "custom-client",
                SecretString::from(CLIENT_SECRET),
            )
            .client_authentication_method(ClientAuthenticationMethod::AwsIamIdTokenJwt)
            .on_behalf_of_token_exchange(OnBehalfOfTokenExchange::jwt_authorization_grant())
            .certificate(CertificateConfiguration::secrets_manager(cert_arn)),
        )
        .await
        .unwrap();
    assert_eq!(
        updated.certificate_configurations,
        vec![CertificateConfiguration::secrets_manager(cert_arn)]
    );
    let got = c.get_oauth2_credential_provider("full").await.unwrap();
    assert_eq!(
        got.client_authentication_method,
        Some(ClientAuthenticationMethod::AwsIamIdTokenJwt)
    );
    assert_eq!(
        got.on_behalf_of_token_exchange,
        Some(OnBehalfOfTokenExchange::jwt_authorization_grant())
    );
    assert_eq!(
        got.certificate_configurations,
        vec![CertificateConfiguration::secrets_manager(cert_arn)]
    );
    common::assert_no_secret_logged([CLIENT_SECRET]);
    assert_claims_only_in_sdk_output_dumps();
}

/// The claim values are sensitive in the model, but the Rust SDK's `PrivateKeyJwtConfig` derives
/// `Debug`, and its orchestrator prints each operation's output at TRACE. Pin down that this is
/// the only place they appear in the logs (this crate and the local service never log them).
fn assert_claims_only_in_sdk_output_dumps() {
    let logs = common::logs();
    for line in logs.lines() {
        if line.contains(HEADER_CLAIM) || line.contains(PAYLOAD_CLAIM) {
            assert!(
                line.contains(" TRACE ")
                    && line.contains("aws_smithy_runtime::client::orchestrator: output_or_error="),
                "a claim value in an unexpected log line: {}",
                line.replace(HEADER_CLAIM, "<claim>")
                    .replace(PAYLOAD_CLAIM, "<claim>")
            );
        }
    }
}

#[tokio::test]
async fn secrets_held_in_secrets_manager() {
    let svc = service().await;
    let dir = tempfile::tempdir().unwrap();
    let c = client(&svc, dir.path()).await;

    // OAuth2: vendor and custom configurations with an external client secret.
    let google = c
        .create_oauth2_credential_provider(
            "google-ext",
            Oauth2ProviderConfig::google(
                "google-client",
                SecretReference::new("google-oauth-app", "client_secret"),
            ),
        )
        .await
        .unwrap();
    assert_eq!(google.client_id.as_deref(), Some("google-client"));
    let got = c
        .get_oauth2_credential_provider("google-ext")
        .await
        .unwrap();
    assert_eq!(got.client_secret_source, Some(SecretSource::External));

    let custom = Oauth2ProviderConfig::custom_metadata(
        metadata(),
        "custom-client",
        ClientSecret::External(SecretReference::new(
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:idp-AbCdEf",
            "secret",
        )),
    );
    c.create_oauth2_credential_provider("custom-ext", custom)
        .await
        .unwrap();
    let got = c
        .get_oauth2_credential_provider("custom-ext")
        .await
        .unwrap();
    assert_eq!(got.client_secret_source, Some(SecretSource::External));
    assert_eq!(got.client_secret_json_key.as_deref(), Some("secret"));

    // A managed secret is reported as such (or not at all, as AWS may omit the default).
    c.create_oauth2_credential_provider(
        "managed",
        Oauth2ProviderConfig::github("gh", SecretString::from(CLIENT_SECRET)),
    )
    .await
    .unwrap();
    let got = c.get_oauth2_credential_provider("managed").await.unwrap();
    assert_ne!(got.client_secret_source, Some(SecretSource::External));

    // A client without a secret (private key JWT).
    c.create_oauth2_credential_provider(
        "no-secret",
        Oauth2ProviderConfig::custom_metadata(metadata(), "jwt-client", ClientSecret::None)
            .client_authentication_method(ClientAuthenticationMethod::PrivateKeyJwt)
            .private_key_jwt(PrivateKeyJwtConfig::kms_key(KMS_KEY)),
    )
    .await
    .unwrap();

    // API keys: external, then back to a managed key by update.
    let p = c
        .create_api_key_credential_provider("openai-ext", SecretReference::new("openai", "api_key"))
        .await
        .unwrap();
    assert_eq!(p.name, "openai-ext");
    let got = c
        .get_api_key_credential_provider("openai-ext")
        .await
        .unwrap();
    assert_eq!(got.api_key_secret_source, Some(SecretSource::External));
    assert_eq!(got.api_key_secret_json_key.as_deref(), Some("api_key"));
    let key: ApiKeySecret = SecretString::from(API_KEY).into();
    let up = c
        .update_api_key_credential_provider("openai-ext", key)
        .await
        .unwrap();
    assert_eq!(up.name, "openai-ext");
    common::assert_no_secret_logged([CLIENT_SECRET, API_KEY]);
}

#[tokio::test]
async fn tags_on_create_are_sent_and_checked_by_the_service() {
    let svc = service().await;
    let dir = tempfile::tempdir().unwrap();
    let c = client(&svc, dir.path()).await;

    c.create_workload_identity_with_tags(Some("tagged-agent"), &[], [("team", "payments")])
        .await
        .unwrap();
    c.create_api_key_credential_provider_with_tags(
        "tagged-key",
        SecretString::from(API_KEY),
        [("team", "payments"), ("env", "dev")],
    )
    .await
    .unwrap();
    c.create_oauth2_credential_provider_with_tags(
        "tagged-oauth",
        Oauth2ProviderConfig::github("gh", SecretString::from(CLIENT_SECRET)),
        [("team", "payments")],
    )
    .await
    .unwrap();

    // A tag key the model's pattern refuses: the service names the member.
    let bad = [("bad!key", "v")];
    let errs = [
        c.create_workload_identity_with_tags(Some("bad-tags"), &[], bad)
            .await
            .unwrap_err(),
        c.create_api_key_credential_provider_with_tags(
            "bad-tags",
            SecretString::from(API_KEY),
            bad,
        )
        .await
        .unwrap_err(),
        c.create_oauth2_credential_provider_with_tags(
            "bad-tags",
            Oauth2ProviderConfig::github("gh", SecretString::from(CLIENT_SECRET)),
            bad,
        )
        .await
        .unwrap_err(),
    ];
    for err in errs {
        assert_eq!(
            err.service_kind(),
            Some(&ServiceErrorKind::Validation),
            "{err}"
        );
        assert!(err.to_string().contains("tags"), "{err}");
    }
    // None of the refused ones exists.
    assert!(
        c.get_workload_identity("bad-tags")
            .await
            .unwrap_err()
            .is_resource_not_found()
    );
    assert!(
        c.get_api_key_credential_provider("bad-tags")
            .await
            .unwrap_err()
            .is_resource_not_found()
    );
    // 51 tags: more than the model's 50.
    let many: Vec<(String, String)> = (0..51).map(|i| (format!("k{i}"), "v".into())).collect();
    let err = c
        .create_workload_identity_with_tags(Some("too-many"), &[], many)
        .await
        .unwrap_err();
    assert_eq!(
        err.service_kind(),
        Some(&ServiceErrorKind::Validation),
        "{err}"
    );
    assert!(err.to_string().contains("tags"), "{err}");
}

/// Invalid combinations the types allow: the local service refuses them, and its message (with
/// the member it names) reaches the caller's error.
#[tokio::test]
async fn invalid_combinations_are_refused_with_the_service_message() {
    let svc = service().await;
    let dir = tempfile::tempdir().unwrap();
    let c = client(&svc, dir.path()).await;
    let secret = || SecretString::from(CLIENT_SECRET);
    let base = || Oauth2ProviderConfig::custom_metadata(metadata(), "cid", secret());

    let cases: Vec<(&str, Oauth2ProviderConfig, &str)> = vec![
        (
            "two certificates",
            base()
                .certificate(CertificateConfiguration::s3("s3://a/ca.pem"))
                .certificate(CertificateConfiguration::s3("s3://b/ca.pem")),
            "certificateConfigurations",
        ),
        (
            "six private endpoint overrides",
            (0..6).fold(base(), |cfg, i| {
                cfg.private_endpoint_override(
                    format!("d{i}.example.com"),
                    PrivateEndpoint::self_managed_lattice("rcfg-0123456789abcdef0"),
                )
            }),
            "privateEndpointOverrides",
        ),
        (
            "an unknown grant type",
            base().on_behalf_of_token_exchange(OnBehalfOfTokenExchange::new(
                OnBehalfOfGrantType::Other("PASSWORD".into()),
            )),
            "grantType",
        ),
        (
            "an unknown client authentication method",
            base().client_authentication_method(ClientAuthenticationMethod::Other(
                "CLIENT_SECRET_JWT".into(),
            )),
            "clientAuthenticationMethod",
        ),
        (
            "an included vendor without issuer or token endpoint",
            Oauth2ProviderConfig::included("OktaOauth2", "cid", secret()),
            "issuer or tokenEndpoint",
        ),
    ];
    for (what, config, named) in cases {
        let err = c
            .create_oauth2_credential_provider("invalid", config)
            .await
            .expect_err(what);
        assert_eq!(
            err.service_kind(),
            Some(&ServiceErrorKind::Validation),
            "{what}: {err}"
        );
        let Error::Service {
            operation, message, ..
        } = &err
        else {
            panic!("{what}: {err:?}")
        };
        assert_eq!(*operation, "CreateOauth2CredentialProvider");
        assert!(!message.is_empty(), "{what}");
        assert!(err.to_string().contains(named), "{what}: {err}");
        assert!(!err.to_string().contains(CLIENT_SECRET), "{what}: {err}");
    }
    assert!(
        c.get_oauth2_credential_provider("invalid")
            .await
            .unwrap_err()
            .is_resource_not_found()
    );

    // Refused before any request: a custom-only setting on a vendor, actor scopes without an
    // actor token.
    let err = c
        .create_oauth2_credential_provider(
            "invalid",
            Oauth2ProviderConfig::google("cid", secret())
                .certificate(CertificateConfiguration::s3("s3://a/ca.pem")),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    assert!(err.to_string().contains("certificate") && err.to_string().contains("GoogleOauth2"));
    let err = c
        .create_oauth2_credential_provider(
            "invalid",
            base().on_behalf_of_token_exchange(
                OnBehalfOfTokenExchange::token_exchange().actor_token_scopes(["x"]),
            ),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    common::assert_no_secret_logged([CLIENT_SECRET]);
}

fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test]
async fn tag_untag_and_list_tags_of_every_taggable_resource() {
    let svc = service().await;
    let dir = tempfile::tempdir().unwrap();
    let c = client(&svc, dir.path()).await;

    let w = c
        .create_workload_identity_with_tags(Some("tagged-agent"), &[], [("team", "data")])
        .await
        .unwrap();
    let k = c
        .create_api_key_credential_provider_with_tags(
            "tagged-key",
            SecretString::from(API_KEY),
            [("cost-center", "42")],
        )
        .await
        .unwrap();
    let o = c
        .create_oauth2_credential_provider_with_tags(
            "tagged-oauth",
            Oauth2ProviderConfig::github("gh", SecretString::from(CLIENT_SECRET)),
            [("team", "auth"), ("env", "dev")],
        )
        .await
        .unwrap();
    // An untagged one has none.
    let plain = c
        .create_workload_identity(Some("plain"), &[])
        .await
        .unwrap();
    assert_eq!(
        c.list_tags_for_resource(&plain.arn).await.unwrap(),
        Tags::new()
    );

    // Tags given at create are there.
    assert_eq!(
        c.list_tags_for_resource(&w.arn).await.unwrap(),
        tags(&[("team", "data")])
    );
    assert_eq!(
        c.list_tags_for_resource(&k.arn).await.unwrap(),
        tags(&[("cost-center", "42")])
    );
    assert_eq!(
        c.list_tags_for_resource(&o.arn).await.unwrap(),
        tags(&[("env", "dev"), ("team", "auth")])
    );

    // TagResource adds and replaces; UntagResource removes (absent keys are ignored).
    c.tag_resource(&o.arn, [("team", "identity"), ("owner", "ana")])
        .await
        .unwrap();
    assert_eq!(
        c.list_tags_for_resource(&o.arn).await.unwrap(),
        tags(&[("env", "dev"), ("owner", "ana"), ("team", "identity")])
    );
    c.untag_resource(&o.arn, ["env", "not-there"])
        .await
        .unwrap();
    assert_eq!(
        c.list_tags_for_resource(&o.arn).await.unwrap(),
        tags(&[("owner", "ana"), ("team", "identity")])
    );
    c.tag_resource(&w.arn, [("tier", "gold")]).await.unwrap();
    c.untag_resource(&w.arn, ["team"]).await.unwrap();
    assert_eq!(
        c.list_tags_for_resource(&w.arn).await.unwrap(),
        tags(&[("tier", "gold")])
    );

    // The token vault is taggable too (its ARN: the workload's region and account).
    let account = w.arn.split(':').nth(4).unwrap();
    let vault_arn = format!("arn:aws:bedrock-agentcore:us-east-1:{account}:token-vault/default");
    c.tag_resource(&vault_arn, [("data", "secret")])
        .await
        .unwrap();
    assert_eq!(
        c.list_tags_for_resource(&vault_arn).await.unwrap(),
        tags(&[("data", "secret")])
    );

    // Another account's resource is not found; a non-AgentCore ARN and a bad tag are refused
    // with the service's message.
    let other = w.arn.replace(account, "111111111111");
    for err in [
        c.list_tags_for_resource(&other).await.unwrap_err(),
        c.tag_resource(&other, [("a", "b")]).await.unwrap_err(),
        c.untag_resource(&other, ["a"]).await.unwrap_err(),
    ] {
        assert!(err.is_resource_not_found(), "{err}");
    }
    let err = c
        .list_tags_for_resource("arn:aws:s3:::some-bucket")
        .await
        .unwrap_err();
    assert_eq!(
        err.service_kind(),
        Some(&ServiceErrorKind::Validation),
        "{err}"
    );
    assert!(err.to_string().contains("resourceArn"), "{err}");
    let err = c
        .tag_resource(&k.arn, [("bad!key", "v")])
        .await
        .unwrap_err();
    assert_eq!(
        err.service_kind(),
        Some(&ServiceErrorKind::Validation),
        "{err}"
    );
    assert!(err.to_string().contains("tags"), "{err}");
    assert_eq!(
        c.list_tags_for_resource(&k.arn).await.unwrap(),
        tags(&[("cost-center", "42")]),
        "nothing was written"
    );
    let err = c
        .tag_resource(&k.arn, (0..50).map(|i| (format!("k{i}"), "v")))
        .await
        .unwrap_err();
    assert_eq!(
        err.service_kind(),
        Some(&ServiceErrorKind::Validation),
        "{err}"
    );
    assert!(err.to_string().contains("50"), "{err}");
    common::assert_no_secret_logged([API_KEY, CLIENT_SECRET]);
}

#[tokio::test]
async fn token_vault_get_set_cmk_and_reset() {
    let svc = service().await;
    let dir = tempfile::tempdir().unwrap();
    let c = client(&svc, dir.path()).await;

    let v = c.get_token_vault(None).await.unwrap();
    assert_eq!(v.token_vault_id, "default");
    assert_eq!(
        v.kms_configuration,
        Some(KmsConfiguration::service_managed())
    );
    assert!(v.last_modified.is_some());

    let set = c
        .set_token_vault_cmk(None, KmsConfiguration::customer_managed(KMS_KEY))
        .await
        .unwrap();
    assert_eq!(set.token_vault_id, "default");
    assert_eq!(
        set.kms_configuration,
        Some(KmsConfiguration::customer_managed(KMS_KEY))
    );
    let got = c.get_token_vault(Some("default")).await.unwrap();
    assert_eq!(got, set);
    assert_eq!(
        got.kms_configuration.as_ref().map(|k| &k.key_type),
        Some(&KeyType::CustomerManagedKey)
    );

    // The service's checks reach the caller: a customer key without an ARN, an alias ARN.
    for (kms, needle) in [
        (
            {
                let mut k = KmsConfiguration::customer_managed(KMS_KEY);
                k.kms_key_arn = None;
                k
            },
            "kmsKeyArn",
        ),
        (
            KmsConfiguration::customer_managed("arn:aws:kms:us-east-1:123456789012:alias/mine"),
            "kmsKeyArn",
        ),
    ] {
        let err = c.set_token_vault_cmk(None, kms).await.unwrap_err();
        assert_eq!(
            err.service_kind(),
            Some(&ServiceErrorKind::Validation),
            "{err}"
        );
        assert!(err.to_string().contains(needle), "{err}");
    }
    let err = c.get_token_vault(Some("no such vault!")).await.unwrap_err();
    assert_eq!(
        err.service_kind(),
        Some(&ServiceErrorKind::Validation),
        "{err}"
    );
    assert!(err.to_string().contains("tokenVaultId"), "{err}");
    assert!(
        c.get_token_vault(Some("other-vault"))
            .await
            .unwrap_err()
            .is_resource_not_found()
    );

    // Reset: the vault answers, this client's cache is emptied, the providers stay.
    c.create_workload_identity(Some("agent"), &[])
        .await
        .unwrap();
    c.create_api_key_credential_provider("openai", SecretString::from(API_KEY))
        .await
        .unwrap();
    let wat = common::workload_token(&c, "agent", "user-1").await;
    let key = agentcore_identity::context::RequestContext::scope(common::ctx(&wat), async {
        c.get_api_key(agentcore_identity::ApiKeyRequest::new("openai"))
            .await
    })
    .await
    .unwrap();
    assert_eq!(common::expose(&key), API_KEY);
    assert!(c.cached_entries().await >= 1);
    let reset = c.reset_token_vault_key_material("default").await.unwrap();
    assert_eq!(reset.token_vault_id, "default");
    assert_eq!(
        reset.kms_configuration,
        Some(KmsConfiguration::service_managed()),
        "a reset returns the vault to a service-managed key"
    );
    assert_eq!(
        c.get_token_vault(None).await.unwrap().kms_configuration,
        Some(KmsConfiguration::service_managed())
    );
    assert_eq!(c.cached_entries().await, 0, "the client's cache is cleared");
    let wat_after = common::workload_token(&c, "agent", "user-1").await;
    let key = agentcore_identity::context::RequestContext::scope(common::ctx(&wat_after), async {
        c.get_api_key(agentcore_identity::ApiKeyRequest::new("openai"))
            .await
    })
    .await
    .unwrap();
    assert_eq!(common::expose(&key), API_KEY, "providers survive a reset");
    let err = c
        .reset_token_vault_key_material("other-vault")
        .await
        .unwrap_err();
    assert!(err.is_resource_not_found(), "{err}");
    common::assert_no_secret_logged([API_KEY, common::expose(&wat), common::expose(&wat_after)]);
}

fn jwt_claims(jwt: &str) -> serde_json::Value {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

/// The typed configuration drives what the local service executes against the test OpenID
/// provider: client authentication with the service's STS-signed assertion
/// (`AWS_IAM_ID_TOKEN_JWT`, no client secret) for M2M, and the RFC 7523 JWT authorization grant
/// for on-behalf-of, through this crate's `get_token`.
#[tokio::test]
async fn typed_configuration_drives_the_jwt_grant_and_iam_client_assertion() {
    use agentcore_identity::context::RequestContext;
    use agentcore_identity::{AuthFlow, TokenRequest, WorkloadUser};
    use agentcore_identity_testkit::{IAM_CLIENT_ID, TestIdp};
    use secrecy::ExposeSecret;

    let svc = service().await;
    let jwks = format!("{}/.well-known/jwks.json", svc.endpoint());
    let idp = TestIdp::builder().workload_jwks_uri(&jwks).start().await;
    let dir = tempfile::tempdir().unwrap();
    let c = client(&svc, dir.path()).await;
    c.create_workload_identity(Some("agent"), &[])
        .await
        .unwrap();
    let config = Oauth2ProviderConfig::custom_discovery_url(
        idp.discovery_url(),
        IAM_CLIENT_ID,
        ClientSecret::None,
    )
    .client_authentication_method(ClientAuthenticationMethod::AwsIamIdTokenJwt)
    .on_behalf_of_token_exchange(OnBehalfOfTokenExchange::jwt_authorization_grant());
    c.create_oauth2_credential_provider("idp-iam", config)
        .await
        .unwrap();
    let got = c.get_oauth2_credential_provider("idp-iam").await.unwrap();
    assert_eq!(
        got.client_authentication_method,
        Some(ClientAuthenticationMethod::AwsIamIdTokenJwt)
    );

    // M2M, the client authenticated by the service's assertion.
    let agent_wat = c
        .get_workload_access_token("agent", WorkloadUser::Agent)
        .await
        .unwrap();
    let m2m = RequestContext::scope(
        common::ctx(&agent_wat),
        c.get_token(TokenRequest::new("idp-iam", AuthFlow::M2M).scopes(["read"])),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\nprovider: {}", idp.stderr()));
    let claims = jwt_claims(m2m.expose_secret());
    assert_eq!(claims["client_id"], IAM_CLIENT_ID, "{claims}");

    // On behalf of a user: their JWT is the jwt-bearer assertion.
    let user_jwt = idp.user_jwt("carol").await;
    let user_wat = c
        .get_workload_access_token(
            "agent",
            WorkloadUser::UserJwt(SecretString::from(user_jwt.clone())),
        )
        .await
        .unwrap();
    let obo = RequestContext::scope(
        common::ctx(&user_wat),
        c.get_token(
            TokenRequest::new("idp-iam", AuthFlow::OnBehalfOfTokenExchange)
                .scopes(["read"])
                .audiences(["urn:test:downstream"]),
        ),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\nprovider: {}", idp.stderr()));
    let claims = jwt_claims(obo.expose_secret());
    assert_eq!(claims["sub"], "carol", "{claims}");
    assert_eq!(claims["client_id"], IAM_CLIENT_ID, "{claims}");
    assert_eq!(claims["aud"], "urn:test:downstream", "{claims}");
    common::assert_no_secret_logged([
        m2m.expose_secret(),
        obo.expose_secret(),
        user_jwt.as_str(),
        common::expose(&user_wat),
    ]);
}
