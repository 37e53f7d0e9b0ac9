//! The HTTP client the crate gives `aws-config` when it loads the AWS configuration itself
//! (`IdentityClient::builder().build()`, `from_env`, the process default): a plain `http://`
//! endpoint never sets TLS up (no root certificate is read), an `https://` endpoint goes through
//! the AWS SDK's TLS connector with the system's root certificates. Through the official SDK to
//! the local service; for `https://`, a TLS front (the testkit's self-signed certificate for
//! `localhost`) before the same service.
//!
//! The root certificates are read once per process, from `SSL_CERT_FILE` when it is set, so each
//! test runs itself again as a child process with its own `SSL_CERT_FILE` and no other AWS or
//! proxy configuration.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use agentcore_identity::{ApiKeyRequest, IdentityClient};
use agentcore_identity_local::{LocalIdentityService, ServiceHandle};

/// Set in the child process: run the test body.
const CHILD: &str = "AGENTCORE_IDENTITY_HTTP_CLIENT_CHILD";
/// What `aws-smithy-http-client` logs (WARN) when it reads the roots and finds none usable.
const ROOTS_READ: &str = "native root CA certificate loading errors";

/// Printed by a child that could not bind the port its parent chose (the parent tries another).
const PORT_TAKEN: &str = "HTTP_CLIENT_TEST_PORT_TAKEN";

/// In the parent: runs `test` in a child whose root certificates come from `roots_file` and
/// `roots_dir` only (`SSL_CERT_FILE`, `SSL_CERT_DIR`), checks that it passed, and returns `true`.
/// In the child: returns `false` (run the body).
fn ran_in_child(test: &str, roots_file: &Path, roots_dir: &Path) -> bool {
    if std::env::var_os(CHILD).is_some() {
        return false;
    }
    let log = run_child(test, roots_file, roots_dir, &[]);
    assert!(log.contains("1 passed"), "the child ran no test:\n{log}");
    true
}

/// Runs `test` in a child (see [`ran_in_child`]) with `env` added; fails if the child failed or
/// took more than a minute; returns its output.
fn run_child(test: &str, roots_file: &Path, roots_dir: &Path, env: &[(&str, &str)]) -> String {
    let home = tempfile::tempdir().unwrap();
    // Output to files, not pipes: a child writing more than a pipe holds cannot block on it.
    let out_path = home.path().join("child.out");
    let out = std::fs::File::create(&out_path).unwrap();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env_clear()
        .env(CHILD, "1")
        .env("HOME", home.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("SSL_CERT_FILE", roots_file)
        .env("SSL_CERT_DIR", roots_dir)
        .env("AWS_ACCESS_KEY_ID", "AKIDHTTPCLIENTTEST")
        .env("AWS_SECRET_ACCESS_KEY", "http-client-test-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(env.iter().copied())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap();
    // A child that hangs fails the test instead of hanging it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let log = std::fs::read_to_string(&out_path).unwrap_or_default();
    match status {
        Some(status) => assert!(status.success(), "child failed:\n{log}"),
        None => panic!("child still running after 60 s:\n{log}"),
    }
    log
}

/// The local service behind a TLS front on loopback: the front terminates TLS with the testkit's
/// self-signed certificate for `localhost` and relays the bytes. Returns the service (its
/// `endpoint()` is the front's `https://localhost:PORT`, the name it answers to), its plain
/// `http://127.0.0.1:PORT` endpoint, and the number of TLS sessions the front completed.
async fn service_behind_tls() -> (ServiceHandle, String, Arc<AtomicUsize>) {
    let config = agentcore_identity_testkit::self_signed_server_config();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let front_port = listener.local_addr().unwrap().port();
    common::init_logs();
    let service = LocalIdentityService::builder()
        .port(0)
        .public_url(format!("https://localhost:{front_port}"))
        .start()
        .await
        .expect("local service starts");
    let backend = service.local_addr();
    let sessions = Arc::new(AtomicUsize::new(0));
    let counted = sessions.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, counted) = (acceptor.clone(), counted.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                counted.fetch_add(1, Ordering::SeqCst);
                if let Ok(mut plain) = tokio::net::TcpStream::connect(backend).await {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                }
            });
        }
    });
    (service, format!("http://{backend}"), sessions)
}

/// A client loading the AWS configuration itself (the environment's dummy keys), for `endpoint`.
async fn client_for(endpoint: &str, dir: &Path) -> IdentityClient {
    IdentityClient::builder()
        .region("us-east-1")
        .endpoint_url(endpoint)
        .local_config_path(dir.join(".agentcore.json"))
        .build()
        .await
        .expect("client builds")
}

/// GetWorkloadAccessTokenForUserId for the tests' workload and user (one request).
async fn workload_token_of(
    client: &IdentityClient,
) -> Result<secrecy::SecretString, agentcore_identity::Error> {
    client
        .get_workload_access_token(
            "http-client-agent",
            agentcore_identity::WorkloadUser::UserId("user-1".into()),
        )
        .await
}

/// A workload access token, an API key provider and its key read back: both planes, four calls.
async fn round_trip(
    client: &IdentityClient,
    provider: &str,
) -> Result<(), agentcore_identity::Error> {
    let token = common::workload_token(client, "http-client-agent", "user-1").await;
    client
        .create_api_key_credential_provider(
            provider,
            secrecy::SecretString::from("sk-http-client-test-key"),
        )
        .await?;
    let key = client
        .get_api_key(ApiKeyRequest::new(provider).workload_access_token(token))
        .await?;
    assert_eq!(common::expose(&key), "sk-http-client-test-key");
    Ok(())
}

#[tokio::test]
async fn plain_http_reads_no_root_certificate_and_https_uses_the_system_ones() {
    // The roots: the testkit's certificate (SSL_CERT_FILE), and a directory that does not exist
    // (SSL_CERT_DIR), which makes reading the roots log a warning: the sign that they were read.
    if ran_in_child(
        "plain_http_reads_no_root_certificate_and_https_uses_the_system_ones",
        &agentcore_identity_testkit::self_signed_cert_path(),
        Path::new("/nonexistent/agentcore-identity-test-roots"),
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (service, plain, sessions) = service_behind_tls().await;
    let client = client_for(&plain, dir.path()).await;
    round_trip(&client, "plain-http-provider").await.unwrap();
    // The same client on a configuration of one's own.
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .http_client(agentcore_identity::lazy_tls_http_client())
        .load()
        .await;
    let own = IdentityClient::builder()
        .sdk_config(config)
        .endpoint_url(&plain)
        .local_config_path(dir.path().join(".agentcore.json"))
        .build()
        .await
        .unwrap();
    round_trip(&own, "own-config-provider").await.unwrap();
    assert!(
        !common::logs().contains(ROOTS_READ),
        "plain HTTP read the root certificates"
    );

    // The first https:// request reads them, and the server they vouch for is trusted.
    let tls_client = client_for(&service.endpoint(), dir.path()).await;
    round_trip(&tls_client, "https-provider").await.unwrap();
    assert!(common::logs().contains(ROOTS_READ));
    assert!(
        sessions.load(Ordering::SeqCst) >= 1,
        "the requests did not go through TLS"
    );
}

#[tokio::test]
async fn https_refuses_a_server_the_roots_do_not_vouch_for() {
    let empty = tempfile::tempdir().unwrap();
    if ran_in_child(
        "https_refuses_a_server_the_roots_do_not_vouch_for",
        &agentcore_identity_testkit::unrelated_root_path(),
        empty.path(),
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (service, _, sessions) = service_behind_tls().await;
    let client = client_for(&service.endpoint(), dir.path()).await;
    let err = workload_token_of(&client)
        .await
        .expect_err("a certificate no root vouches for must not be trusted");
    assert_eq!(sessions.load(Ordering::SeqCst), 0, "{err}");
    let chain = agentcore_identity_testkit::error_chain(&err);
    assert!(chain.contains("UnknownIssuer"), "{chain}");
}

#[tokio::test]
async fn plain_http_goes_through_the_proxy_the_environment_names() {
    if std::env::var_os(CHILD).is_none() {
        // A free port for the child's "proxy"; the child binds it again, and should something
        // else have taken it meanwhile, says so, and the parent tries another.
        let empty = tempfile::tempdir().unwrap();
        for _ in 0..5 {
            let port = agentcore_identity_testkit::free_port();
            let log = run_child(
                "plain_http_goes_through_the_proxy_the_environment_names",
                &agentcore_identity_testkit::self_signed_cert_path(),
                empty.path(),
                &[("HTTP_PROXY", &format!("http://127.0.0.1:{port}"))],
            );
            if !log.contains(PORT_TAKEN) {
                assert!(log.contains("1 passed"), "the child ran no test:\n{log}");
                return;
            }
        }
        panic!("no free port for the proxy in five tries");
    }
    // The "proxy": records the first request line it gets and refuses the request.
    let proxy_url = std::env::var("HTTP_PROXY").unwrap();
    let Ok(proxy) = tokio::net::TcpListener::bind(proxy_url.trim_start_matches("http://")).await
    else {
        println!("{PORT_TAKEN}");
        return;
    };
    let seen = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut tcp, _) = proxy.accept().await.unwrap();
        let mut buf = vec![0u8; 4096];
        let n = tcp.read(&mut buf).await.unwrap();
        let _ = tcp
            .write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .await;
        String::from_utf8_lossy(&buf[..n])
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned()
    });
    let dir = tempfile::tempdir().unwrap();
    let service = common::service().await;
    let client = client_for(&service.endpoint(), dir.path()).await;
    // Whatever the answer (the proxy refuses; the service, if reached directly, knows no such
    // workload), the request must have reached the proxy.
    let _ = workload_token_of(&client).await;
    let line = tokio::time::timeout(std::time::Duration::from_secs(5), seen)
        .await
        .expect("the proxy got no request")
        .unwrap();
    // A proxied request names the whole URL (absolute form), a direct one only the path.
    assert!(
        line.starts_with(&format!("POST {}/", service.endpoint())),
        "{line}"
    );
}

#[tokio::test]
async fn no_proxy_keeps_plain_http_direct_and_without_tls() {
    if std::env::var_os(CHILD).is_none() {
        // A proxy nobody listens on, and NO_PROXY naming the service's host: the requests must go
        // straight to the service, on the plain connector (no root certificate read).
        let port = agentcore_identity_testkit::free_port();
        let log = run_child(
            "no_proxy_keeps_plain_http_direct_and_without_tls",
            &agentcore_identity_testkit::self_signed_cert_path(),
            Path::new("/nonexistent/agentcore-identity-test-roots"),
            &[
                ("HTTP_PROXY", &format!("http://127.0.0.1:{port}")),
                ("NO_PROXY", "127.0.0.1"),
            ],
        );
        assert!(log.contains("1 passed"), "the child ran no test:\n{log}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_service, plain, _) = service_behind_tls().await;
    let client = client_for(&plain, dir.path()).await;
    round_trip(&client, "no-proxy-provider").await.unwrap();
    assert!(
        !common::logs().contains(ROOTS_READ),
        "plain HTTP past NO_PROXY read the root certificates"
    );
}
