//! `#[requires_iam_access_token]` against the local service's STS (`agentcore-identity-local`,
//! in process, real HTTP through `aws-sdk-sts`): the token it injects is the one the client's
//! cache holds for the same request, with the macro's audience, algorithm, duration and tags in
//! its claims; 10 calls make one STS request; bad values given as expressions come back as `Err`
//! before the body runs.
#![deny(unused_qualifications)]

use std::sync::atomic::{AtomicUsize, Ordering};

use agentcore_identity::secrecy::{ExposeSecret, SecretString};
use agentcore_identity::{
    Error, IamTokenRequest, IdentityClient, SigningAlgorithm, requires_iam_access_token,
};
use agentcore_identity_local::{LocalIdentityService, ServiceHandle};
use serde_json::{Value, json};

const OP: &str = "GetWebIdentityToken";
const AWS: &str = "https://sts.amazonaws.com/";

#[derive(Debug, thiserror::Error)]
enum AgentError {
    #[error("identity: {0}")]
    Identity(#[from] Error),
}

async fn start() -> (ServiceHandle, IdentityClient) {
    let svc = LocalIdentityService::builder()
        .port(0)
        .start()
        .await
        .expect("local identity service starts");
    let client = IdentityClient::builder()
        .region("us-east-1")
        .endpoint_url(svc.endpoint())
        .credentials_provider(aws_credential_types::Credentials::for_tests())
        .env_lookup(|_| None)
        .build()
        .await
        .unwrap();
    (svc, client)
}

use agentcore_identity_testkit::jwt_claims as claims;

fn header(token: &str) -> Value {
    use base64::Engine as _;
    let h = token.split('.').next().unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(h)
            .unwrap(),
    )
    .unwrap()
}

static BODY_RUNS: AtomicUsize = AtomicUsize::new(0);
static WITH_DURATION_RUNS: AtomicUsize = AtomicUsize::new(0);

#[requires_iam_access_token(
    audience = ["https://api.example.com", "https://b.example.com"],
    signing_algorithm = "RS256",
    duration_seconds = 900,
    tags = [("team", "payments"), ("agent", agent)],
    client = client,
)]
async fn call_api(
    client: &IdentityClient,
    agent: &str,
    access_token: SecretString,
) -> Result<SecretString, AgentError> {
    BODY_RUNS.fetch_add(1, Ordering::SeqCst);
    Ok(access_token)
}

#[tokio::test]
async fn the_injected_token_carries_the_arguments_and_is_cached() {
    let (svc, client) = start().await;
    let token = call_api(&client, "weather").await.unwrap();
    let c = claims(token.expose_secret());
    assert_eq!(header(token.expose_secret())["alg"], "RS256");
    assert_eq!(
        c["aud"],
        json!(["https://api.example.com", "https://b.example.com"])
    );
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 900);
    assert_eq!(
        c[AWS]["request_tags"],
        json!({"team": "payments", "agent": "weather"})
    );
    assert_eq!(c["iss"], svc.endpoint().as_str());

    for _ in 0..9 {
        let again = call_api(&client, "weather").await.unwrap();
        assert_eq!(again.expose_secret(), token.expose_secret());
    }
    assert_eq!(svc.request_count(OP), 1, "10 calls, 1 STS request");
    assert_eq!(BODY_RUNS.load(Ordering::SeqCst), 10);

    // The macro asked for exactly this request: the client's cache answers it with the same token.
    let same = client
        .get_iam_access_token(
            IamTokenRequest::new(["https://b.example.com", "https://api.example.com"])
                .signing_algorithm(SigningAlgorithm::Rs256)
                .duration_seconds(900)
                .tag("agent", "weather")
                .tag("team", "payments"),
        )
        .await
        .unwrap();
    assert_eq!(same.expose_secret(), token.expose_secret());
    assert_eq!(svc.request_count(OP), 1);

    // A tag evaluated per call: another value is another token.
    let other = call_api(&client, "billing").await.unwrap();
    assert_ne!(other.expose_secret(), token.expose_secret());
    assert_eq!(svc.request_count(OP), 2);
}

/// Defaults (ES384, 300 s, no tags), `into` with a `String`, a method, expressions.
struct Agent {
    client: IdentityClient,
    audience: Vec<String>,
    secs: u32,
}

impl Agent {
    #[requires_iam_access_token(audience = &self.audience, client = self.client, into = "jwt")]
    async fn defaults(&self, jwt: String) -> Result<String, AgentError> {
        Ok(jwt)
    }

    #[requires_iam_access_token(
        audience = &self.audience,
        duration_seconds = self.secs,
        client = self.client,
    )]
    async fn with_duration(&self, access_token: SecretString) -> Result<(), AgentError> {
        let _ = access_token;
        WITH_DURATION_RUNS.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test]
async fn defaults_methods_and_runtime_checked_expressions() {
    let (svc, client) = start().await;
    let agent = Agent {
        client,
        audience: vec!["https://api.example.com".into()],
        secs: 7200,
    };
    let jwt = agent.defaults().await.unwrap();
    let c = claims(&jwt);
    assert_eq!(header(&jwt)["alg"], "ES384");
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 300);
    assert_eq!(c["aud"], "https://api.example.com");
    assert!(c[AWS].get("request_tags").is_none());

    // `duration_seconds = self.secs` is 7200: checked on the call, the body does not run.
    match agent.with_duration().await {
        Err(AgentError::Identity(Error::InvalidRequest { field, message, .. })) => {
            assert_eq!(field, "duration_seconds");
            assert!(message.contains("7200 s is out of range"), "{message}");
        }
        other => panic!("expected InvalidRequest, got {other:?}"),
    }
    assert_eq!(
        WITH_DURATION_RUNS.load(Ordering::SeqCst),
        0,
        "the body did not run"
    );
    let empty = Agent {
        client: agent.client.clone(),
        audience: Vec::new(),
        secs: 300,
    };
    assert!(matches!(
        empty.defaults().await,
        Err(AgentError::Identity(Error::InvalidRequest {
            field: "audience",
            ..
        }))
    ));
    assert_eq!(svc.request_count(OP), 1, "refused requests are never sent");
}
