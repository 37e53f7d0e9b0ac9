//! API keys and workload access tokens end-to-end through the official Rust SDK crates.

mod common;

use aws_sdk_bedrockagentcore::error::ProvideErrorMetadata;

#[tokio::test]
async fn api_key_end_to_end_through_the_sdk() {
    let h = common::start().await;
    let (dp, cp) = common::clients(&h.endpoint()).await;

    let w = cp
        .create_workload_identity()
        .name("my-agent")
        .send()
        .await
        .unwrap();
    assert_eq!(w.name(), "my-agent");
    assert_eq!(
        w.workload_identity_arn(),
        "arn:aws:bedrock-agentcore:us-east-1:000000000000:workload-identity-directory/default/workload-identity/my-agent"
    );
    let p = cp
        .create_api_key_credential_provider()
        .name("openai-apikey-provider")
        .api_key("sk-test-123456")
        .send()
        .await
        .unwrap();
    assert_eq!(
        p.credential_provider_arn(),
        "arn:aws:acps:us-east-1:000000000000:token-vault/default/apikeycredentialprovider/openai-apikey-provider"
    );
    assert!(
        p.api_key_secret_arn()
            .unwrap()
            .secret_arn()
            .starts_with("arn:aws:secretsmanager:us-east-1:000000000000:secret:")
    );

    let wat = dp
        .get_workload_access_token_for_user_id()
        .workload_name("my-agent")
        .user_id("alice")
        .send()
        .await
        .unwrap();
    let key = dp
        .get_resource_api_key()
        .workload_identity_token(wat.workload_access_token())
        .resource_credential_provider_name("openai-apikey-provider")
        .send()
        .await
        .unwrap();
    assert_eq!(key.api_key(), "sk-test-123456");
    assert_eq!(h.request_count("GetResourceApiKey"), 1);
    assert_eq!(h.request_count("GetWorkloadAccessTokenForUserId"), 1);
    assert_eq!(h.total_requests(), 4);

    // plain and JWT variants
    let plain = dp
        .get_workload_access_token()
        .workload_name("my-agent")
        .send()
        .await
        .unwrap();
    assert!(!plain.workload_access_token().is_empty());
    // {"alg":"RS256"}.{"sub":"bob"}.sig: signed (not verified: no trusted issuer is configured)
    let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2ln";
    let t = dp
        .get_workload_access_token_for_jwt()
        .workload_name("my-agent")
        .user_token(jwt)
        .send()
        .await
        .unwrap();
    let k2 = dp
        .get_resource_api_key()
        .workload_identity_token(t.workload_access_token())
        .resource_credential_provider_name("openai-apikey-provider")
        .send()
        .await
        .unwrap();
    assert_eq!(k2.api_key(), "sk-test-123456");

    // unknown provider -> 404
    let e = dp
        .get_resource_api_key()
        .workload_identity_token(wat.workload_access_token())
        .resource_credential_provider_name("missing")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_resource_not_found_exception(), "{e:?}");

    // forged token -> AccessDenied
    let e = dp
        .get_resource_api_key()
        .workload_identity_token("wat1.e30.AAAA")
        .resource_credential_provider_name("openai-apikey-provider")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_access_denied_exception(), "{e:?}");

    // tampered token -> AccessDenied
    let mut tampered = wat.workload_access_token().to_string();
    tampered.pop();
    tampered.push(if wat.workload_access_token().ends_with('A') {
        'B'
    } else {
        'A'
    });
    let e = dp
        .get_resource_api_key()
        .workload_identity_token(tampered)
        .resource_credential_provider_name("openai-apikey-provider")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_access_denied_exception(), "{e:?}");

    // workload must exist
    let e = dp
        .get_workload_access_token_for_user_id()
        .workload_name("nope-agent")
        .user_id("alice")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_resource_not_found_exception(), "{e:?}");
    let e = dp
        .get_workload_access_token()
        .workload_name("nope-agent")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_resource_not_found_exception(), "{e:?}");
    let e = dp
        .get_workload_access_token_for_jwt()
        .workload_name("nope-agent")
        .user_token(jwt)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_resource_not_found_exception(), "{e:?}");

    // deleting the workload revokes its tokens
    cp.delete_workload_identity()
        .name("my-agent")
        .send()
        .await
        .unwrap();
    let e = dp
        .get_resource_api_key()
        .workload_identity_token(wat.workload_access_token())
        .resource_credential_provider_name("openai-apikey-provider")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_access_denied_exception(), "{e:?}");
    assert_eq!(e.code(), Some("AccessDeniedException"));
    h.shutdown().await;
}

#[tokio::test]
async fn expired_workload_token_is_refused() {
    let h = agentcore_identity_local::LocalIdentityService::builder()
        .workload_token_ttl(std::time::Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let (dp, cp) = common::clients(&h.endpoint()).await;
    cp.create_workload_identity()
        .name("agent-x")
        .send()
        .await
        .unwrap();
    cp.create_api_key_credential_provider()
        .name("k")
        .api_key("v")
        .send()
        .await
        .unwrap();
    let wat = dp
        .get_workload_access_token()
        .workload_name("agent-x")
        .send()
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let e = dp
        .get_resource_api_key()
        .workload_identity_token(wat.workload_access_token())
        .resource_credential_provider_name("k")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_access_denied_exception(), "{e:?}");
    assert!(e.message().unwrap().contains("expired"));
    h.shutdown().await;
}
