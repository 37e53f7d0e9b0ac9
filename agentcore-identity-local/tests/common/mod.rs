//! Shared test helpers.
#![allow(dead_code, unreachable_pub, missing_docs)]

use agentcore_identity_local::{LocalIdentityService, ServiceHandle};
use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;

pub async fn start() -> ServiceHandle {
    LocalIdentityService::builder()
        .port(0)
        .start()
        .await
        .expect("service starts")
}

pub async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region("us-east-1")
        .credentials_provider(Credentials::new("AKID", "SECRET", None, None, "test"))
        .endpoint_url(endpoint)
        .load()
        .await
}

pub async fn clients(
    endpoint: &str,
) -> (
    aws_sdk_bedrockagentcore::Client,
    aws_sdk_bedrockagentcorecontrol::Client,
) {
    let conf = sdk_config(endpoint).await;
    (
        aws_sdk_bedrockagentcore::Client::new(&conf),
        aws_sdk_bedrockagentcorecontrol::Client::new(&conf),
    )
}

pub const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/bedrock-agentcore/aws4_request, SignedHeaders=host, Signature=abc";

/// Raw POST; returns (status, x-amzn-errortype, body JSON).
pub async fn raw(
    endpoint: &str,
    path: &str,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> (u16, Option<String>, serde_json::Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{endpoint}{path}"))
        .header("authorization", AUTH)
        .body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let et = resp
        .headers()
        .get("x-amzn-errortype")
        .map(|v| v.to_str().unwrap().to_string());
    let text = resp.text().await.unwrap();
    let v = if text.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&text).expect("JSON body")
    };
    (status, et, v)
}

pub async fn raw_json(
    endpoint: &str,
    path: &str,
    body: serde_json::Value,
) -> (u16, Option<String>, serde_json::Value) {
    raw(endpoint, path, Some("application/json"), body.to_string()).await
}

/// Creates a `CustomOauth2` credential provider with `discovery` and the client `id` / `secret`.
pub async fn custom_oauth2_provider(
    cp: &aws_sdk_bedrockagentcorecontrol::Client,
    name: &str,
    discovery: aws_sdk_bedrockagentcorecontrol::types::Oauth2Discovery,
    id: &str,
    secret: &str,
) {
    use aws_sdk_bedrockagentcorecontrol::types::{
        CredentialProviderVendorType, CustomOauth2ProviderConfigInput, Oauth2ProviderConfigInput,
    };
    cp.create_oauth2_credential_provider()
        .name(name)
        .credential_provider_vendor(CredentialProviderVendorType::CustomOauth2)
        .oauth2_provider_config_input(Oauth2ProviderConfigInput::CustomOauth2ProviderConfig(
            CustomOauth2ProviderConfigInput::builder()
                .oauth_discovery(discovery)
                .client_id(id)
                .client_secret(secret)
                .build(),
        ))
        .send()
        .await
        .unwrap();
}

/// The claims of a JWT, unverified (the test reads what a token says).
#[allow(unused_imports, reason = "each test binary uses a subset")]
pub use agentcore_identity_testkit::jwt_claims as claims;

/// A workload access token of the workload identity `agent` for the user's `jwt`.
pub async fn wat_for_jwt(dp: &aws_sdk_bedrockagentcore::Client, jwt: &str) -> String {
    dp.get_workload_access_token_for_jwt()
        .workload_name("agent")
        .user_token(jwt)
        .send()
        .await
        .unwrap()
        .workload_access_token()
        .to_string()
}
