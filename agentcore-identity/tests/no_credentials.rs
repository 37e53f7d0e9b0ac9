//! Against a local endpoint on a machine without AWS credentials, the default chain finds nothing
//! and the client falls back to static dummy credentials. The machine running the tests may have
//! credentials, so the test runs itself again as a child process with a scrubbed environment (no
//! `AWS_*` variable, an empty home directory): its assertions run whatever the machine.

mod common;

use agentcore_identity::IdentityClient;

/// Set in the child process: run the test body.
const CHILD: &str = "AGENTCORE_IDENTITY_NO_CREDENTIALS_CHILD";

/// In the parent: runs `test` in a child with no AWS configuration at all, checks it passed, and
/// returns `true`. In the child: returns `false` (run the body).
fn ran_in_scrubbed_child(test: &str) -> bool {
    if std::env::var_os(CHILD).is_some() {
        return false;
    }
    let home = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env_clear()
        .env(CHILD, "1")
        .env("HOME", home.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "child failed:\n{log}");
    assert!(log.contains("1 passed"), "the child ran no test:\n{log}");
    true
}

#[tokio::test]
async fn dummy_credentials_for_a_local_endpoint() {
    if ran_in_scrubbed_child("dummy_credentials_for_a_local_endpoint") {
        return;
    }
    for (name, _) in std::env::vars_os() {
        assert!(
            !name.to_string_lossy().starts_with("AWS_"),
            "scrubbed environment has {name:?}"
        );
    }
    let svc = common::service().await;
    let dir = tempfile::tempdir().unwrap();
    // Default credentials chain (no credentials_provider): only the endpoint is set.
    let client = IdentityClient::builder()
        .region("us-east-1")
        .endpoint_url(svc.endpoint())
        .local_config_path(dir.path().join(".agentcore.json"))
        .build()
        .await
        .unwrap();
    let w = client
        .create_workload_identity(Some("agent"), &[])
        .await
        .unwrap();
    assert_eq!(w.name, "agent");
    assert_eq!(svc.request_count("CreateWorkloadIdentity"), 1);
}

/// No credentials and no endpoint override: the error says so and how to fix it (credentials,
/// or the local service's endpoint variables), before any request leaves.
#[tokio::test]
async fn no_credentials_and_no_endpoint_give_a_hint() {
    if ran_in_scrubbed_child("no_credentials_and_no_endpoint_give_a_hint") {
        return;
    }
    let client = IdentityClient::builder()
        .region("us-east-1")
        .build()
        .await
        .unwrap();
    let err = client
        .get_api_key(
            agentcore_identity::ApiKeyRequest::new("openai")
                .workload_access_token(agentcore_identity::SecretString::from("wat-none")),
        )
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("could not load AWS credentials"), "{msg}");
    assert!(
        msg.contains("https://bedrock-agentcore.us-east-1.amazonaws.com"),
        "{msg}"
    );
    assert!(msg.contains("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE"), "{msg}");
}

#[tokio::test]
async fn malformed_region_and_endpoint_are_rejected() {
    for region in ["us-east-1/../x", "evil.com", "us east 1"] {
        let err = IdentityClient::builder()
            .region(region)
            .build()
            .await
            .unwrap_err();
        assert!(
            matches!(err, agentcore_identity::Error::InvalidRegion { .. }),
            "{region}: {err}"
        );
        // `new` does not fail: every call reports the same error.
        let sdk = aws_config::SdkConfig::builder()
            .region(aws_config::Region::new(region))
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let client = IdentityClient::new(&sdk);
        let err = client
            .get_api_key(agentcore_identity::ApiKeyRequest::new("p"))
            .await
            .unwrap_err();
        assert!(
            matches!(err, agentcore_identity::Error::InvalidRegion { .. }),
            "{region}: {err}"
        );
    }
    let err = IdentityClient::builder()
        .region("us-east-1")
        .endpoint_url("not a url")
        .build()
        .await
        .unwrap_err();
    assert!(
        matches!(err, agentcore_identity::Error::Config { .. }),
        "{err}"
    );
}

#[tokio::test]
async fn new_uses_the_sdk_config() {
    let svc = common::service().await;
    let sdk = aws_config::SdkConfig::builder()
        .region(aws_config::Region::new("eu-west-1"))
        .endpoint_url(svc.endpoint())
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::for_tests(),
            ),
        )
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    let client = IdentityClient::new(&sdk);
    assert_eq!(client.region(), "eu-west-1");
    client
        .create_workload_identity(Some("agent"), &[])
        .await
        .unwrap();
    assert_eq!(client.list_workload_identities().await.unwrap().len(), 1);
}
