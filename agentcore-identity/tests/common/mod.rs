//! Shared test setup: the local service, a client pointed at it, log capture at TRACE.
#![allow(dead_code, unreachable_pub, reason = "each test binary uses a subset")]

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use agentcore_identity::context::RequestContext;
use agentcore_identity::{IdentityClient, IdentityClientBuilder};
use agentcore_identity_local::{LocalIdentityService, ServiceHandle};
use aws_credential_types::Credentials;
use secrecy::{ExposeSecret, SecretString};

/// Everything logged by any test of this binary, at TRACE, every target (the AWS SDK's too).
static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn init_logs() {
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let b = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || Buf(b.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one subscriber per binary");
        buf
    });
}

pub fn logs() -> String {
    init_logs();
    String::from_utf8_lossy(&LOGS.get().unwrap().lock().unwrap()).into_owned()
}

/// Fails if any of `secrets` appears in the captured logs.
pub fn assert_no_secret_logged<'a>(secrets: impl IntoIterator<Item = &'a str>) {
    let logs = logs();
    assert!(!logs.is_empty(), "the subscriber captured nothing");
    for s in secrets {
        assert!(s.len() >= 6, "secret too short to check: {s:?}");
        assert!(!logs.contains(s), "secret {s:?} found in the logs");
    }
}

pub async fn service() -> ServiceHandle {
    init_logs();
    LocalIdentityService::builder()
        .port(0)
        .start()
        .await
        .expect("local service starts")
}

/// A client for the service with static test credentials and no process environment.
pub fn builder(handle: &ServiceHandle, dir: &Path) -> IdentityClientBuilder {
    IdentityClient::builder()
        .region("us-east-1")
        .endpoint_url(handle.endpoint())
        .credentials_provider(Credentials::for_tests())
        .local_config_path(dir.join(".agentcore.json"))
        .env_lookup(|_| None)
}

pub async fn client(handle: &ServiceHandle, dir: &Path) -> IdentityClient {
    builder(handle, dir).build().await.expect("client builds")
}

/// A workload identity and a workload access token for `user`.
pub async fn workload_token(client: &IdentityClient, name: &str, user: &str) -> SecretString {
    match client.create_workload_identity(Some(name), &[]).await {
        Ok(_) => {}
        Err(e)
            if matches!(
                e.service_kind(),
                Some(agentcore_identity::ServiceErrorKind::Conflict)
            ) => {}
        Err(e)
            if matches!(
                e.service_kind(),
                Some(agentcore_identity::ServiceErrorKind::Validation)
            ) && e.to_string().contains("exist") => {}
        Err(e) => panic!("create workload identity: {e}"),
    }
    client
        .get_workload_access_token(name, agentcore_identity::WorkloadUser::UserId(user.into()))
        .await
        .expect("workload access token")
}

pub fn ctx(token: &SecretString) -> RequestContext {
    RequestContext::new().with_workload_access_token(token.clone())
}

pub fn expose(s: &SecretString) -> &str {
    s.expose_secret()
}
