//! The binary keeps everything across `kill -9`, and nothing secret is stored in clear.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use agentcore_identity_testkit::{M2M_CLIENT_ID, M2M_CLIENT_SECRET, TestIdp, free_port};
use aws_sdk_bedrockagentcore::types::Oauth2FlowType;
use aws_sdk_bedrockagentcorecontrol::types::Oauth2Discovery;

const API_KEY: &str = "sk-durable-9f8e7d6c5b4a39281706";

// The child is returned to the caller, which kills and waits for it.
#[allow(clippy::zombie_processes)]
async fn spawn(port: u16, dir: &Path) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_agentcore-identity-local"))
        .args(["serve", "--port", &port.to_string(), "--data-dir"])
        .arg(dir)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/health")).await
            && r.status() == 200
        {
            return child;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("service did not become ready");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files(&p))
        } else {
            out.push(p)
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn survives_kill_9_and_stores_no_secret_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let idp = TestIdp::start().await;

    let mut child = spawn(port, dir.path()).await;
    let (dp, cp) = common::clients(&endpoint).await;
    cp.create_workload_identity()
        .name("durable-agent")
        .send()
        .await
        .unwrap();
    cp.create_api_key_credential_provider()
        .name("durable-key")
        .api_key(API_KEY)
        .send()
        .await
        .unwrap();
    common::custom_oauth2_provider(
        &cp,
        "durable-m2m",
        Oauth2Discovery::DiscoveryUrl(idp.discovery_url()),
        M2M_CLIENT_ID,
        M2M_CLIENT_SECRET,
    )
    .await;
    let wat = dp
        .get_workload_access_token_for_user_id()
        .workload_name("durable-agent")
        .user_id("alice")
        .send()
        .await
        .unwrap();
    let wat = wat.workload_access_token().to_string();
    let token = dp
        .get_resource_oauth2_token()
        .workload_identity_token(&wat)
        .resource_credential_provider_name("durable-m2m")
        .scopes("read")
        .oauth2_flow(Oauth2FlowType::M2M)
        .send()
        .await
        .unwrap()
        .access_token()
        .unwrap()
        .to_string();

    // SIGKILL right after the acknowledged writes
    child.kill().unwrap();
    child.wait().unwrap();
    drop(idp); // from now on only the vault can answer the M2M token

    let mut child = spawn(port, dir.path()).await;
    let w = cp
        .get_workload_identity()
        .name("durable-agent")
        .send()
        .await
        .unwrap();
    assert_eq!(w.name(), "durable-agent");
    cp.get_oauth2_credential_provider()
        .name("durable-m2m")
        .send()
        .await
        .unwrap();
    // the workload access token issued before the restart is still valid (same signing key)
    let k = dp
        .get_resource_api_key()
        .workload_identity_token(&wat)
        .resource_credential_provider_name("durable-key")
        .send()
        .await
        .unwrap();
    assert_eq!(k.api_key(), API_KEY);
    let again = dp
        .get_resource_oauth2_token()
        .workload_identity_token(&wat)
        .resource_credential_provider_name("durable-m2m")
        .scopes("read")
        .oauth2_flow(Oauth2FlowType::M2M)
        .send()
        .await
        .unwrap();
    assert_eq!(again.access_token(), Some(token.as_str()));

    // graceful stop on SIGTERM
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{status:?}");
            break;
        }
        assert!(Instant::now() < deadline, "no graceful exit on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }

    let all = files(dir.path());
    assert!(all.iter().any(|p| p.ends_with("identity.redb")));
    for f in &all {
        let bytes = std::fs::read(f).unwrap();
        for secret in [API_KEY, M2M_CLIENT_SECRET, token.as_str()] {
            assert!(
                !contains(&bytes, secret.as_bytes()),
                "{} holds a secret in clear",
                f.display()
            );
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("master.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let _ = child.kill();
    let _ = child.wait();
}
