//! Opt-in SigV4 verification (`verify_sigv4` / `--verify-sigv4`): the official SDK's signatures are
//! accepted, wrong secrets, unknown access keys and unsigned requests are refused.

use agentcore_identity_local::LocalIdentityService;
use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use aws_sdk_bedrockagentcore::error::ProvideErrorMetadata;

async fn client(endpoint: &str, ak: &str, secret: &str) -> aws_sdk_bedrockagentcorecontrol::Client {
    let conf = aws_config::defaults(BehaviorVersion::latest())
        .region("eu-west-1")
        .credentials_provider(Credentials::new(ak, secret, None, None, "test"))
        .endpoint_url(endpoint)
        .load()
        .await;
    aws_sdk_bedrockagentcorecontrol::Client::new(&conf)
}

#[tokio::test]
async fn sigv4_verification() {
    let h = LocalIdentityService::builder()
        .port(0)
        .verify_sigv4("AKIDLOCAL", "local-secret")
        .start()
        .await
        .unwrap();
    let ep = h.endpoint();

    // Signed by the SDK with the right key: accepted (control and data plane, session token too).
    let cp = client(&ep, "AKIDLOCAL", "local-secret").await;
    let w = cp
        .create_workload_identity()
        .name("agent")
        .send()
        .await
        .unwrap();
    assert!(w.workload_identity_arn().contains(":eu-west-1:"));
    let conf = aws_config::defaults(BehaviorVersion::latest())
        .region("us-east-1")
        .credentials_provider(Credentials::new(
            "AKIDLOCAL",
            "local-secret",
            Some("session-token".into()),
            None,
            "test",
        ))
        .endpoint_url(&ep)
        .load()
        .await;
    let dp = aws_sdk_bedrockagentcore::Client::new(&conf);
    dp.get_workload_access_token()
        .workload_name("agent")
        .send()
        .await
        .unwrap();

    // Wrong secret: InvalidSignatureException.
    let bad = client(&ep, "AKIDLOCAL", "wrong").await;
    let e = bad
        .list_workload_identities()
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(e.code(), Some("InvalidSignatureException"), "{e:?}");
    // Another access key: UnrecognizedClientException.
    let other = client(&ep, "AKIDOTHER", "local-secret").await;
    let e = other
        .list_workload_identities()
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(e.code(), Some("UnrecognizedClientException"), "{e:?}");

    // Unsigned: MissingAuthenticationTokenException.
    let r = reqwest::Client::new()
        .post(format!("{ep}/identities/ListWorkloadIdentities"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(
        r.headers()["x-amzn-errortype"].to_str().unwrap(),
        "MissingAuthenticationTokenException"
    );
    // A well-formed header with the right access key, a made-up signature and a stale date.
    let r = reqwest::Client::new()
        .post(format!("{ep}/identities/ListWorkloadIdentities"))
        .header("content-type", "application/json")
        .header("x-amz-date", "20200101T000000Z")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDLOCAL/20200101/us-east-1/bedrock-agentcore/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=abc",
        )
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(
        r.headers()["x-amzn-errortype"].to_str().unwrap(),
        "InvalidSignatureException"
    );
    h.shutdown().await;
}
