//! Control-plane operations through the official Rust SDK, wire details (status codes, error shapes,
//! pagination) and validation through raw HTTP.

mod common;

use aws_sdk_bedrockagentcore::error::ProvideErrorMetadata;
use aws_sdk_bedrockagentcorecontrol::types::{
    CredentialProviderVendorType, CustomOauth2ProviderConfigInput, GoogleOauth2ProviderConfigInput,
    MicrosoftOauth2ProviderConfigInput, Oauth2AuthorizationServerMetadata, Oauth2Discovery,
    Oauth2ProviderConfigInput, Oauth2ProviderConfigOutput,
};
use common::{raw, raw_json};
use serde_json::json;

#[tokio::test]
async fn workload_identity_crud_and_pagination() {
    let h = common::start().await;
    let (_, cp) = common::clients(&h.endpoint()).await;

    let c = cp
        .create_workload_identity()
        .name("agent-1")
        .allowed_resource_oauth2_return_urls("http://localhost:8081/callback")
        .tags("team", "a")
        .send()
        .await
        .unwrap();
    assert_eq!(
        c.allowed_resource_oauth2_return_urls(),
        ["http://localhost:8081/callback"]
    );
    let g = cp
        .get_workload_identity()
        .name("agent-1")
        .send()
        .await
        .unwrap();
    assert_eq!(g.name(), "agent-1");
    assert!(g.created_time().secs() > 1_700_000_000);
    let u = cp
        .update_workload_identity()
        .name("agent-1")
        .allowed_resource_oauth2_return_urls("http://localhost:9/x")
        .send()
        .await
        .unwrap();
    assert_eq!(
        u.allowed_resource_oauth2_return_urls(),
        ["http://localhost:9/x"]
    );
    assert!(u.last_updated_time() >= u.created_time());

    let e = cp
        .create_workload_identity()
        .name("agent-1")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_conflict_exception(), "{e:?}");

    for i in 2..=7 {
        cp.create_workload_identity()
            .name(format!("agent-{i}"))
            .send()
            .await
            .unwrap();
    }
    // pages of 3 over 7 identities
    let mut names = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let r = cp
            .list_workload_identities()
            .max_results(3)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        pages += 1;
        assert!(r.workload_identities().len() <= 3);
        names.extend(r.workload_identities().iter().map(|w| w.name().to_string()));
        token = r.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        names,
        (1..=7).map(|i| format!("agent-{i}")).collect::<Vec<_>>()
    );
    // the SDK paginator agrees
    let all: Vec<_> = cp
        .list_workload_identities()
        .max_results(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await;
    assert_eq!(all.len(), 7);

    cp.delete_workload_identity()
        .name("agent-1")
        .send()
        .await
        .unwrap();
    let e = cp
        .get_workload_identity()
        .name("agent-1")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_resource_not_found_exception(), "{e:?}");
    let e = cp
        .delete_workload_identity()
        .name("agent-1")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_resource_not_found_exception(), "{e:?}");

    // status codes on the wire: 201 create, 204 delete (empty body), optional members absent
    let (s, _, v) = raw_json(
        &h.endpoint(),
        "/identities/CreateWorkloadIdentity",
        json!({"name": "raw-agent"}),
    )
    .await;
    assert_eq!(s, 201);
    assert!(v.get("allowedResourceOauth2ReturnUrls").is_none(), "{v}");
    let (s, _, v) = raw_json(
        &h.endpoint(),
        "/identities/GetWorkloadIdentity",
        json!({"name": "raw-agent"}),
    )
    .await;
    assert_eq!(s, 200);
    assert!(v["createdTime"].is_number(), "{v}");
    let (s, _, v) = raw_json(
        &h.endpoint(),
        "/identities/DeleteWorkloadIdentity",
        json!({"name": "raw-agent"}),
    )
    .await;
    assert_eq!((s, v), (204, serde_json::Value::Null));
    h.shutdown().await;
}

#[tokio::test]
async fn api_key_provider_crud() {
    let h = common::start().await;
    let (_, cp) = common::clients(&h.endpoint()).await;
    for i in 0..5 {
        cp.create_api_key_credential_provider()
            .name(format!("key-{i}"))
            .api_key(format!("secret-{i}"))
            .send()
            .await
            .unwrap();
    }
    let g = cp
        .get_api_key_credential_provider()
        .name("key-1")
        .send()
        .await
        .unwrap();
    assert_eq!(g.name(), "key-1");
    assert!(
        g.api_key_secret_arn()
            .unwrap()
            .secret_arn()
            .contains(":secret:")
    );
    let u = cp
        .update_api_key_credential_provider()
        .name("key-1")
        .api_key("rotated")
        .send()
        .await
        .unwrap();
    assert_eq!(u.name(), "key-1");
    let all: Vec<_> = cp
        .list_api_key_credential_providers()
        .max_results(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await;
    assert_eq!(all.len(), 5);
    cp.delete_api_key_credential_provider()
        .name("key-1")
        .send()
        .await
        .unwrap();
    let e = cp
        .get_api_key_credential_provider()
        .name("key-1")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_resource_not_found_exception(), "{e:?}");
    let e = cp
        .create_api_key_credential_provider()
        .name("key-2")
        .api_key("x")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_conflict_exception(), "{e:?}");
    // the key itself is never returned by the control plane
    let (_, _, v) = raw_json(
        &h.endpoint(),
        "/identities/GetApiKeyCredentialProvider",
        json!({"name": "key-2"}),
    )
    .await;
    assert!(!v.to_string().contains("secret-2"), "{v}");
    h.shutdown().await;
}

#[tokio::test]
async fn oauth2_provider_crud_and_vendor_presets() {
    let h = common::start().await;
    let (_, cp) = common::clients(&h.endpoint()).await;
    let google = cp
        .create_oauth2_credential_provider()
        .name("google-provider")
        .credential_provider_vendor(CredentialProviderVendorType::GoogleOauth2)
        .oauth2_provider_config_input(Oauth2ProviderConfigInput::GoogleOauth2ProviderConfig(
            GoogleOauth2ProviderConfigInput::builder()
                .client_id("gid")
                .client_secret("g-client-secret")
                .build()
                .unwrap(),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        google.callback_url(),
        Some(format!("{}/identities/oauth2/callback", h.endpoint()).as_str())
    );
    assert_eq!(
        google.credential_provider_arn(),
        "arn:aws:acps:us-east-1:000000000000:token-vault/default/oauth2credentialprovider/google-provider"
    );
    let Some(Oauth2ProviderConfigOutput::GoogleOauth2ProviderConfig(out)) =
        google.oauth2_provider_config_output()
    else {
        panic!("google output")
    };
    let Some(Oauth2Discovery::AuthorizationServerMetadata(m)) = out.oauth_discovery() else {
        panic!("metadata")
    };
    assert_eq!(
        m.authorization_endpoint(),
        "https://accounts.google.com/o/oauth2/v2/auth"
    );
    assert_eq!(m.token_endpoint(), "https://oauth2.googleapis.com/token");
    assert_eq!(out.client_id(), Some("gid"));

    let ms = cp
        .create_oauth2_credential_provider()
        .name("ms")
        .credential_provider_vendor(CredentialProviderVendorType::MicrosoftOauth2)
        .oauth2_provider_config_input(Oauth2ProviderConfigInput::MicrosoftOauth2ProviderConfig(
            MicrosoftOauth2ProviderConfigInput::builder()
                .client_id("mid")
                .client_secret("s")
                .tenant_id("contoso")
                .build()
                .unwrap(),
        ))
        .send()
        .await
        .unwrap();
    let Some(Oauth2ProviderConfigOutput::MicrosoftOauth2ProviderConfig(out)) =
        ms.oauth2_provider_config_output()
    else {
        panic!("ms output")
    };
    let Some(Oauth2Discovery::AuthorizationServerMetadata(m)) = out.oauth_discovery() else {
        panic!("metadata")
    };
    assert_eq!(
        m.token_endpoint(),
        "https://login.microsoftonline.com/contoso/oauth2/v2.0/token"
    );

    // custom with a discovery URL that cannot be fetched now: still created
    let custom = cp
        .create_oauth2_credential_provider()
        .name("custom-disc")
        .credential_provider_vendor(CredentialProviderVendorType::CustomOauth2)
        .oauth2_provider_config_input(Oauth2ProviderConfigInput::CustomOauth2ProviderConfig(
            CustomOauth2ProviderConfigInput::builder()
                .oauth_discovery(Oauth2Discovery::DiscoveryUrl(
                    "http://127.0.0.1:9/.well-known/openid-configuration".into(),
                ))
                .client_id("cid")
                .client_secret("c-secret")
                .build(),
        ))
        .send()
        .await
        .unwrap();
    assert!(
        custom
            .client_secret_arn()
            .unwrap()
            .secret_arn()
            .starts_with("arn:aws:secretsmanager:")
    );

    let custom_meta = Oauth2ProviderConfigInput::CustomOauth2ProviderConfig(
        CustomOauth2ProviderConfigInput::builder()
            .oauth_discovery(Oauth2Discovery::AuthorizationServerMetadata(
                Oauth2AuthorizationServerMetadata::builder()
                    .issuer("https://idp.example")
                    .authorization_endpoint("https://idp.example/auth")
                    .token_endpoint("https://idp.example/token")
                    .token_endpoint_auth_methods("client_secret_post")
                    .build()
                    .unwrap(),
            ))
            .client_id("cid2")
            .client_secret("c2-secret")
            .build(),
    );
    cp.create_oauth2_credential_provider()
        .name("custom-meta")
        .credential_provider_vendor(CredentialProviderVendorType::CustomOauth2)
        .oauth2_provider_config_input(custom_meta.clone())
        .send()
        .await
        .unwrap();
    let g = cp
        .get_oauth2_credential_provider()
        .name("custom-meta")
        .send()
        .await
        .unwrap();
    assert_eq!(
        g.credential_provider_vendor(),
        &CredentialProviderVendorType::CustomOauth2
    );
    let up = cp
        .update_oauth2_credential_provider()
        .name("custom-meta")
        .credential_provider_vendor(CredentialProviderVendorType::CustomOauth2)
        .oauth2_provider_config_input(custom_meta)
        .send()
        .await
        .unwrap();
    assert_eq!(up.name(), "custom-meta");
    let list = cp.list_oauth2_credential_providers().send().await.unwrap();
    assert_eq!(list.credential_providers().len(), 4);
    cp.delete_oauth2_credential_provider()
        .name("ms")
        .send()
        .await
        .unwrap();
    let e = cp
        .get_oauth2_credential_provider()
        .name("ms")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_resource_not_found_exception(), "{e:?}");

    // no client secret anywhere in the control-plane answers
    let (_, _, v) = raw_json(
        &h.endpoint(),
        "/identities/GetOauth2CredentialProvider",
        json!({"name": "google-provider"}),
    )
    .await;
    assert!(!v.to_string().contains("g-client-secret"), "{v}");
    assert!(v.get("failureReason").is_none());
    h.shutdown().await;
}

fn field_names(v: &serde_json::Value) -> Vec<String> {
    v["fieldList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn validation_errors() {
    let h = common::start().await;
    let ep = h.endpoint();
    let (dp, cp) = common::clients(&ep).await;

    // bad name through the SDK
    let e = cp
        .create_workload_identity()
        .name("bad name!")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_validation_exception(), "{e:?}");
    let e = cp
        .create_api_key_credential_provider()
        .name("x".repeat(129))
        .api_key("k")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_validation_exception(), "{e:?}");
    assert!(
        e.message()
            .unwrap()
            .contains("length less than or equal to 128"),
        "{:?}",
        e.message()
    );
    let e = cp
        .get_workload_identity()
        .name("ab")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_validation_exception(), "{e:?}");
    // out-of-range maxResults through the SDK
    for n in [0, 21] {
        let e = cp
            .list_workload_identities()
            .max_results(n)
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        assert!(e.is_validation_exception(), "{n}: {e:?}");
    }
    let e = cp
        .list_api_key_credential_providers()
        .max_results(101)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_validation_exception(), "{e:?}");
    assert!(
        cp.list_api_key_credential_providers()
            .max_results(100)
            .send()
            .await
            .is_ok()
    );
    let e = cp
        .list_oauth2_credential_providers()
        .max_results(21)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_validation_exception(), "{e:?}");
    let e = dp
        .get_workload_access_token_for_user_id()
        .workload_name("ok-agent")
        .user_id("u".repeat(129))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_validation_exception(), "{e:?}");

    // raw: shape of a ValidationException
    let (s, et, v) = raw_json(
        &ep,
        "/identities/CreateWorkloadIdentity",
        json!({"name": "bad name!"}),
    )
    .await;
    assert_eq!((s, et.as_deref()), (400, Some("ValidationException")));
    assert_eq!(v["__type"], "ValidationException");
    assert_eq!(v["reason"], "FieldValidationFailed");
    assert_eq!(field_names(&v), ["name"]);
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("regular expression pattern")
    );

    // missing required members (several at once)
    let (s, _, v) = raw_json(&ep, "/identities/oauth2/token", json!({})).await;
    assert_eq!(s, 400);
    let names = field_names(&v);
    for n in [
        "workloadIdentityToken",
        "resourceCredentialProviderName",
        "scopes",
        "oauth2Flow",
    ] {
        assert!(names.contains(&n.to_string()), "{names:?}");
    }
    let (s, _, v) = raw_json(
        &ep,
        "/identities/api-key",
        json!({"workloadIdentityToken": "t"}),
    )
    .await;
    assert_eq!(
        (s, field_names(&v)),
        (400, vec!["resourceCredentialProviderName".to_string()])
    );

    // enum, list item, map key, session URI pattern
    let (_, _, v) = raw_json(
        &ep,
        "/identities/oauth2/token",
        json!({"workloadIdentityToken": "t", "resourceCredentialProviderName": "p", "scopes": [""], "oauth2Flow": "BOGUS",
               "sessionUri": "nope", "customParameters": {"bad key": "v"}, "resourceOauth2ReturnUrl": "no url"}),
    )
    .await;
    let names = field_names(&v);
    for n in [
        "oauth2Flow",
        "scopes.1",
        "sessionUri",
        "customParameters.key",
        "resourceOauth2ReturnUrl",
    ] {
        assert!(names.contains(&n.to_string()), "{n} in {names:?}");
    }
    // union with zero and with two members
    for ui in [json!({}), json!({"userId": "a", "userToken": "a.b.c"})] {
        let (s, _, v) = raw_json(
            &ep,
            "/identities/CompleteResourceTokenAuth",
            json!({"userIdentifier": ui, "sessionUri": "urn:ietf:params:oauth:request_uri:abc"}),
        )
        .await;
        assert_eq!(
            (s, field_names(&v)),
            (400, vec!["userIdentifier".to_string()])
        );
    }
    let (_, _, v) = raw_json(
        &ep,
        "/identities/CreateOauth2CredentialProvider",
        json!({"name": "p", "credentialProviderVendor": "CustomOauth2", "oauth2ProviderConfigInput": {}}),
    )
    .await;
    assert_eq!(field_names(&v), ["oauth2ProviderConfigInput"]);
    let (_, _, v) = raw_json(
        &ep,
        "/identities/CreateOauth2CredentialProvider",
        json!({"name": "p", "credentialProviderVendor": "CustomOauth2", "oauth2ProviderConfigInput": {"customOauth2ProviderConfig": {
            "oauthDiscovery": {"discoveryUrl": "https://idp.example/no-well-known"}}}}),
    )
    .await;
    assert_eq!(
        field_names(&v),
        ["oauth2ProviderConfigInput.customOauth2ProviderConfig.oauthDiscovery.discoveryUrl"]
    );
    // too many tags
    let tags: serde_json::Map<String, serde_json::Value> =
        (0..51).map(|i| (format!("k{i}"), json!("v"))).collect();
    let (_, _, v) = raw_json(
        &ep,
        "/identities/CreateWorkloadIdentity",
        json!({"name": "tagged", "tags": tags}),
    )
    .await;
    assert_eq!(field_names(&v), ["tags"]);
    // wrong JSON type
    let (s, _, v) = raw_json(&ep, "/identities/GetWorkloadIdentity", json!({"name": 5})).await;
    assert_eq!((s, field_names(&v)), (400, vec!["name".to_string()]));

    // malformed JSON
    let (s, et, v) = raw(
        &ep,
        "/identities/GetWorkloadIdentity",
        Some("application/json"),
        "{\"name\": ",
    )
    .await;
    assert_eq!((s, et.as_deref()), (400, Some("ValidationException")));
    assert_eq!(v["reason"], "CannotParse");
    // wrong content type
    let (s, et, v) = raw(
        &ep,
        "/identities/GetWorkloadIdentity",
        Some("text/plain"),
        "{\"name\":\"abc\"}",
    )
    .await;
    assert_eq!(
        (s, et.as_deref()),
        (415, Some("UnsupportedMediaTypeException"))
    );
    assert!(v["message"].is_string());
    // unknown path
    let (s, et, v) = raw_json(&ep, "/identities/NoSuchOperation", json!({})).await;
    assert_eq!((s, et.as_deref()), (404, Some("UnknownOperationException")));
    assert_eq!(v["__type"], "UnknownOperationException");
    let (s, _, _) = raw_json(&ep, "/nothing/here", json!({})).await;
    assert_eq!(s, 404);
    // oversized body
    let big = format!("{{\"name\":\"{}\"}}", "a".repeat(2 * 1024 * 1024));
    let (s, et, _) = raw(
        &ep,
        "/identities/GetWorkloadIdentity",
        Some("application/json"),
        big,
    )
    .await;
    assert_eq!((s, et.as_deref()), (413, Some("ValidationException")));
    // malformed SigV4 header
    let r = reqwest::Client::new()
        .post(format!("{ep}/identities/GetWorkloadIdentity"))
        .header("authorization", "Bearer nope")
        .header("content-type", "application/json")
        .body("{\"name\":\"abc\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // the service still answers after all that
    let ok = reqwest::get(format!("{ep}/health")).await.unwrap();
    assert_eq!(ok.status(), 200);
    let v: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(v["status"], "Healthy");
    h.shutdown().await;
}

#[tokio::test]
async fn region_from_credential_scope_and_fault_injection() {
    let h = common::start().await;
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region("eu-west-3")
        .credentials_provider(aws_credential_types::Credentials::new(
            "AKID", "SECRET", None, None, "test",
        ))
        .endpoint_url(h.endpoint())
        .load()
        .await;
    let cp = aws_sdk_bedrockagentcorecontrol::Client::new(&conf);
    let dp = aws_sdk_bedrockagentcore::Client::new(&conf);
    let w = cp
        .create_workload_identity()
        .name("paris-agent")
        .send()
        .await
        .unwrap();
    assert!(
        w.workload_identity_arn()
            .starts_with("arn:aws:bedrock-agentcore:eu-west-3:000000000000:")
    );

    // no retries so each injected fault is one request
    let dp_noretry = aws_sdk_bedrockagentcore::Client::from_conf(
        aws_sdk_bedrockagentcore::config::Builder::from(&conf)
            .retry_config(aws_sdk_bedrockagentcore::config::retry::RetryConfig::disabled())
            .build(),
    );
    h.inject_faults(500, 1);
    let e = dp_noretry
        .get_workload_access_token()
        .workload_name("paris-agent")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_internal_server_exception(), "{e:?}");
    h.inject_faults(429, 1);
    let e = dp_noretry
        .get_workload_access_token()
        .workload_name("paris-agent")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_throttling_exception(), "{e:?}");
    // control plane is not affected; data plane recovers
    h.inject_faults(500, 2);
    cp.get_workload_identity()
        .name("paris-agent")
        .send()
        .await
        .unwrap();
    // with the SDK's default retries (3 attempts) two faults are absorbed
    dp.get_workload_access_token()
        .workload_name("paris-agent")
        .send()
        .await
        .unwrap();
    assert_eq!(h.request_count("GetWorkloadAccessToken"), 5);
    h.shutdown().await;
}
