//! The agent's one HTTP client (model calls and the live weather tool), on rustls with the
//! Mozilla root certificates compiled into the binary ([`webpki_roots`]).
//!
//! rig's default client (`rig_reqwest::shared()`) verifies servers with the platform verifier,
//! which reads and parses the system's CA certificates (`/etc/ssl/certs`, about 145 files) when
//! the client is built: about 3 ms of CPU on the development machine, paid on the way to the
//! first answer of every fresh microVM, and a second time, since the AWS SDK's connector has
//! already loaded them for the identity client. The compiled-in roots cost nothing to load and do
//! not depend on the image carrying a CA bundle. A deployment that must trust a private CA (a
//! TLS-inspecting proxy) builds its own client with `reqwest::ClientBuilder::tls_certs_merge`
//! and hands it to [`crate::Agent`] through rig's `OpenAIConfig::connect`.

use std::sync::{Arc, LazyLock};

use rig_reqwest::ReqwestClient;
use rig_reqwest::reqwest;

static SHARED: LazyLock<ReqwestClient> = LazyLock::new(|| match build() {
    Ok(client) => ReqwestClient::from(client),
    // Not expected (the TLS configuration is static); fall back to rig's own client.
    Err(e) => {
        tracing::warn!(error = %e, "could not build the HTTP client; using rig's default");
        ReqwestClient::default()
    }
});

/// The process-wide client, built on first use (clones share one connection pool).
pub fn client() -> ReqwestClient {
    SHARED.clone()
}

fn build() -> Result<reqwest::Client, reqwest::Error> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("aws-lc-rs supports the default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tls_configuration_is_accepted_by_reqwest() {
        // A TLS configuration reqwest does not recognise makes `build` fail (and `client()` fall
        // back to rig's default): this is what keeps the rustls versions in step.
        build().expect("reqwest accepts the preconfigured rustls configuration");
    }

    /// A loopback TLS server with a self-signed certificate for `localhost` / 127.0.0.1 (a test
    /// fixture, no public root signed it) that answers every request with 200.
    async fn self_signed_server() -> u16 {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let config = agentcore_identity_testkit::self_signed_server_config();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    if let Ok(mut tls) = acceptor.accept(tcp).await {
                        let mut buf = [0u8; 4096];
                        let _ = tls.read(&mut buf).await;
                        let _ = tls
                            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                            .await;
                        let _ = tls.shutdown().await;
                    }
                });
            }
        });
        port
    }

    #[tokio::test]
    async fn servers_are_verified_against_the_roots() {
        let port = self_signed_server().await;
        let url = format!("https://localhost:{port}/");
        // The agent's client refuses the certificate: verification is on.
        let err = build()
            .unwrap()
            .get(&url)
            .send()
            .await
            .expect_err("a self-signed certificate must not be trusted");
        let chain = agentcore_identity_testkit::error_chain(&err);
        assert!(
            chain.contains("certificate") || chain.contains("UnknownIssuer"),
            "{chain}"
        );
        // And the server is a working TLS server: a client told to trust the certificate gets
        // its answer (so the refusal above is the verification, nothing else).
        let trusted = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(
                agentcore_identity_testkit::SELF_SIGNED_CERT_PEM,
            )
            .unwrap()])
            .build()
            .unwrap();
        let answer = trusted.get(&url).send().await.unwrap();
        assert_eq!(answer.status(), 200);
    }
}
