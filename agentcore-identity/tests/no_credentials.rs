//! Against a local endpoint on a machine without AWS credentials, the default chain finds nothing
//! and the client falls back to static dummy credentials. (Own binary: it relies on the process
//! environment having no credentials, and reads nothing else from it.)

mod common;

use agentcore_identity::IdentityClient;

#[tokio::test]
async fn dummy_credentials_for_a_local_endpoint() {
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_some()
        || std::env::var_os("AWS_PROFILE").is_some()
        || std::path::Path::new(&format!(
            "{}/.aws",
            std::env::var("HOME").unwrap_or_default()
        ))
        .exists()
    {
        eprintln!("skipped: this machine has AWS credentials configured");
        return;
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

#[tokio::test]
async fn malformed_region_and_endpoint_are_rejected() {
    for region in ["us-east-1/../x", "evil.com", "us east 1"] {
        let err = IdentityClient::new(region).await.unwrap_err();
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
async fn from_conf_uses_the_sdk_config() {
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
    let client = IdentityClient::from_conf(&sdk).unwrap();
    assert_eq!(client.region(), "eu-west-1");
    client
        .create_workload_identity(Some("agent"), &[])
        .await
        .unwrap();
    assert_eq!(client.list_workload_identities().await.unwrap().len(), 1);
}
