//! The OAuth2 callback server (feature `callback-server`) binds only loopback addresses and needs a
//! user. (The real 3LO flow, forged and replayed callbacks: `callback_3lo.rs`.)
#![cfg(feature = "callback-server")]

use agentcore_identity::IdentityClient;
use agentcore_identity::callback::{CallbackError, CallbackServer};

/// A client that is never called: the server refuses to start first.
async fn unused_client() -> IdentityClient {
    IdentityClient::builder()
        .region("us-east-1")
        .endpoint_url("http://127.0.0.1:9")
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
    let client = unused_client().await;
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
