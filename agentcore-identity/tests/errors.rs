//! What a newcomer reads when the service cannot be reached: the endpoint is named, the usual
//! cause gets a hint, and a reporter that prints the cause chain prints each cause once.

use std::error::Error as _;

use agentcore_identity::{ApiKeyRequest, Error, IdentityClient, SecretString};
use aws_credential_types::Credentials;

fn chain(e: &Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str("\ncaused by: ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

async fn client_for(endpoint: &str) -> IdentityClient {
    let sdk =
        aws_config::SdkConfig::builder()
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(endpoint)
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(
                    Credentials::for_tests(),
                ),
            )
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
    IdentityClient::new(&sdk)
}

fn request() -> ApiKeyRequest {
    ApiKeyRequest::new("openai").workload_access_token(SecretString::from("wat-for-errors"))
}

#[tokio::test]
async fn service_down_names_the_endpoint_and_each_cause_once() {
    // A port nothing listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let endpoint = format!("http://127.0.0.1:{port}");
    let err = client_for(&endpoint)
        .await
        .get_api_key(request())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains(&endpoint), "{msg}");
    assert!(msg.contains("is the service running"), "{msg}");
    assert!(msg.starts_with("GetResourceApiKey failed"), "{msg}");
    assert!(
        !msg.to_lowercase().contains("refused"),
        "the cause is not in Display: {msg}"
    );
    let full = chain(&err);
    assert_eq!(
        full.to_lowercase().matches("connection refused").count(),
        1,
        "each cause once:\n{full}"
    );
    assert!(!full.contains("wat-for-errors"), "{full}");
}

#[tokio::test]
async fn unknown_host_names_the_host() {
    let endpoint = "http://agentcore-identity.invalid:8900";
    let err = client_for(endpoint)
        .await
        .get_api_key(request())
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("could not resolve the host `agentcore-identity.invalid`"),
        "{msg}\n{}",
        chain(&err)
    );
}
