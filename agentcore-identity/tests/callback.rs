//! The OAuth2 callback server (feature `callback-server`) against a stand-in data plane: it binds
//! only loopback addresses and completes the session it is given for the configured user.
#![cfg(feature = "callback-server")]

use agentcore_identity::IdentityClient;
use agentcore_identity::callback::{CallbackError, CallbackServer};
use serde_json::json;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn wiremock_client(server: &MockServer) -> IdentityClient {
    IdentityClient::builder()
        .region("us-east-1")
        .endpoint_url(server.uri())
        .credentials_provider(aws_credential_types::Credentials::new(
            "AKIDTEST",
            "test-secret",
            None,
            None,
            "app-tests",
        ))
        .build()
        .await
        .unwrap()
}

#[tokio::test]
async fn callback_server_refuses_non_loopback_addresses() {
    let dp = MockServer::start().await;
    let client = wiremock_client(&dp).await;
    for addr in ["0.0.0.0:8081", "[::]:8081", "192.0.2.1:8081"] {
        let err = CallbackServer::builder(client.clone())
            .user_id("alice")
            .bind(addr.parse().unwrap())
            .start()
            .await
            .unwrap_err();
        assert!(
            matches!(err, CallbackError::NotLoopback(_)),
            "{addr}: {err}"
        );
        assert!(err.to_string().contains("loopback"));
    }
    let err = CallbackServer::builder(client)
        .port(0)
        .start()
        .await
        .unwrap_err();
    assert!(matches!(err, CallbackError::NoUser), "{err}");
}

#[tokio::test]
async fn callback_server_completes_the_session_for_the_configured_user() {
    let dp = MockServer::start().await;
    let session = "urn:ietf:params:oauth:request_uri:abc-123";
    Mock::given(method("POST"))
        .and(path("/identities/CompleteResourceTokenAuth"))
        .and(body_json(
            json!({"sessionUri": session, "userIdentifier": {"userId": "alice"}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&dp)
        .await;
    Mock::given(method("POST"))
        .and(path("/identities/CompleteResourceTokenAuth"))
        .and(body_json(json!({
            "sessionUri": "urn:ietf:params:oauth:request_uri:unknown",
            "userIdentifier": {"userId": "alice"}
        })))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("x-amzn-errortype", "ResourceNotFoundException")
                .set_body_json(json!({"message": "session not found"})),
        )
        .mount(&dp)
        .await;

    let server = CallbackServer::builder(wiremock_client(&dp).await)
        .user_id("alice")
        .port(0)
        .start()
        .await
        .unwrap();
    assert!(server.local_addr().ip().is_loopback());
    let url = server.callback_url();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/oauth2/callback"),
        "{url}"
    );

    let http = reqwest::Client::new();
    let resp = http
        .get(&url)
        .query(&[("session_id", session)])
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let ctype = resp.headers()["content-type"].to_str().unwrap().to_owned();
    let text = resp.text().await.unwrap();
    assert_eq!(status, 200, "{text}\n{:#?}", dp.received_requests().await);
    assert!(ctype.starts_with("text/plain"), "{ctype}");
    assert!(text.contains("agent can continue"), "{text}");

    let resp = http.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 400);

    let resp = http
        .get(&url)
        .query(&[("session_id", "urn:ietf:params:oauth:request_uri:unknown")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 502);
    assert!(resp.text().await.unwrap().contains("Could not complete"));

    server.shutdown().await;
    dp.verify().await;
}
