//! Nothing secret appears in tracing output, even at TRACE.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use agentcore_identity_testkit::{
    Browser, M2M_CLIENT_ID, M2M_CLIENT_SECRET, TestIdp, WEB_CLIENT_ID, WEB_CLIENT_SECRET,
};
use aws_sdk_bedrockagentcore::types::{Oauth2FlowType, UserIdentifier};
use aws_sdk_bedrockagentcorecontrol::types::Oauth2Discovery;

#[derive(Clone, Default)]
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

const API_KEY: &str = "sk-logcheck-0a1b2c3d4e5f60718293";
const RETURN_URL: &str = "http://localhost:9/return";

#[tokio::test]
async fn no_secret_in_trace_logs() {
    let buf = Buf::default();
    let writer = buf.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let idp = TestIdp::start().await;
    let h = common::start().await;
    let (dp, cp) = common::clients(&h.endpoint()).await;
    cp.create_workload_identity()
        .name("log-agent")
        .allowed_resource_oauth2_return_urls(RETURN_URL)
        .send()
        .await
        .unwrap();
    cp.create_api_key_credential_provider()
        .name("log-key")
        .api_key(API_KEY)
        .send()
        .await
        .unwrap();
    for (name, id, secret) in [
        ("log-m2m", M2M_CLIENT_ID, M2M_CLIENT_SECRET),
        ("log-web", WEB_CLIENT_ID, WEB_CLIENT_SECRET),
    ] {
        common::custom_oauth2_provider(
            &cp,
            name,
            Oauth2Discovery::DiscoveryUrl(idp.discovery_url()),
            id,
            secret,
        )
        .await;
    }
    let wat = dp
        .get_workload_access_token_for_user_id()
        .workload_name("log-agent")
        .user_id("alice")
        .send()
        .await
        .unwrap();
    let wat = wat.workload_access_token().to_string();
    let key = dp
        .get_resource_api_key()
        .workload_identity_token(&wat)
        .resource_credential_provider_name("log-key")
        .send()
        .await
        .unwrap();
    assert_eq!(key.api_key(), API_KEY);
    let m2m = dp
        .get_resource_oauth2_token()
        .workload_identity_token(&wat)
        .resource_credential_provider_name("log-m2m")
        .scopes("read")
        .oauth2_flow(Oauth2FlowType::M2M)
        .send()
        .await
        .unwrap();
    let m2m_token = m2m.access_token().unwrap().to_string();
    let start = dp
        .get_resource_oauth2_token()
        .workload_identity_token(&wat)
        .resource_credential_provider_name("log-web")
        .scopes("openid")
        .oauth2_flow(Oauth2FlowType::UserFederation)
        .resource_oauth2_return_url(RETURN_URL)
        .send()
        .await
        .unwrap();
    let session = start.session_uri().unwrap().to_string();
    Browser::new()
        .complete_consent(start.authorization_url().unwrap(), "alice")
        .await
        .unwrap();
    dp.complete_resource_token_auth()
        .session_uri(&session)
        .user_identifier(UserIdentifier::UserId("alice".into()))
        .send()
        .await
        .unwrap();
    let user_token = dp
        .get_resource_oauth2_token()
        .workload_identity_token(&wat)
        .resource_credential_provider_name("log-web")
        .scopes("openid")
        .oauth2_flow(Oauth2FlowType::UserFederation)
        .session_uri(&session)
        .send()
        .await
        .unwrap()
        .access_token()
        .unwrap()
        .to_string();
    h.shutdown().await;

    let logs = String::from_utf8_lossy(&buf.0.lock().unwrap()).into_owned();
    assert!(logs.contains("M2M token obtained"), "the capture works");
    if std::env::var("DUMP_LOGS").is_ok() {
        std::fs::write("/tmp/trace.log", &logs).unwrap();
    }
    for secret in [
        API_KEY,
        M2M_CLIENT_SECRET,
        WEB_CLIENT_SECRET,
        m2m_token.as_str(),
        user_token.as_str(),
        wat.as_str(),
    ] {
        assert!(!logs.contains(secret), "a secret appears in the TRACE logs");
    }
}
