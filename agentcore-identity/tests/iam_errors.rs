//! What a user reads when STS refuses `GetWebIdentityToken` for reasons the local service does
//! not model: the account has not enabled outbound web identity federation. The STS here is a
//! stand-in (wiremock) answering as STS does (awsQuery: an XML `ErrorResponse`, HTTP 403), so the
//! official `aws-sdk-sts` parses a real wire answer.

use agentcore_identity::{Error, IamTokenRequest, IdentityClient};
use aws_credential_types::Credentials;
use wiremock::matchers::{body_string_contains, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn error_response(code: &str) -> ResponseTemplate {
    ResponseTemplate::new(403)
        .insert_header("content-type", "text/xml")
        .insert_header("x-amzn-requestid", "req-feature-off")
        .set_body_string(format!(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
             <Error><Type>Sender</Type><Code>{code}</Code>\
             <Message>The outbound web identity federation feature is not enabled for this account.</Message>\
             </Error><RequestId>req-feature-off</RequestId></ErrorResponse>"
        ))
}

async fn client(sts: &MockServer) -> IdentityClient {
    IdentityClient::builder()
        .region("us-east-1")
        .sts_endpoint(sts.uri())
        .credentials_provider(Credentials::new("AKIDTEST", "test-secret", None, None, "t"))
        .env_lookup(|_| None)
        .build()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_disabled_feature_says_how_to_enable_it() {
    for code in [
        "OutboundWebIdentityFederationDisabledException",
        "FeatureDisabled",
    ] {
        let sts = MockServer::start().await;
        Mock::given(method("POST"))
            .and(body_string_contains("Action=GetWebIdentityToken"))
            .respond_with(error_response(code))
            .expect(1)
            .mount(&sts)
            .await;
        let err = client(&sts)
            .await
            .get_iam_access_token(IamTokenRequest::new(["https://api.example.com"]))
            .await
            .unwrap_err();
        match &err {
            Error::WebIdentityFederationDisabled { request_id, .. } => {
                assert_eq!(request_id.as_deref(), Some("req-feature-off"), "{code}")
            }
            other => panic!("{code}: expected WebIdentityFederationDisabled, got {other:?}"),
        }
        let msg = err.to_string();
        assert!(
            msg.contains("outbound web identity federation is not enabled"),
            "{msg}"
        );
        assert!(
            msg.contains("aws iam enable-outbound-web-identity-federation"),
            "{msg}"
        );
        assert!(msg.contains("sts:GetWebIdentityToken"), "{msg}");
    }
}

#[tokio::test]
async fn other_sts_errors_keep_their_code_and_name_the_endpoint() {
    let sts = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(error_response("AccessDenied"))
        .mount(&sts)
        .await;
    let client = client(&sts).await;
    let err = client
        .get_iam_access_token("https://api.example.com")
        .await
        .unwrap_err();
    assert_eq!(
        err.service_kind().map(|k| k.code()),
        Some("AccessDenied"),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("GetWebIdentityToken failed: AccessDenied"),
        "{err}"
    );
    // Errors are not cached: the next call asks again.
    let _ = client
        .get_iam_access_token("https://api.example.com")
        .await
        .unwrap_err();
    assert_eq!(sts.received_requests().await.unwrap().len(), 2);
}
