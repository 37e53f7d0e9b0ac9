//! The store tried as a local attacker and a hostile caller would: file modes, what a copied
//! database file gives away, a lost or swapped key, and storage that grows without bound
//! (user JWTs kept per token, expired records kept, pending sessions without limit).

mod common;

use std::path::Path;
use std::time::Duration;

use agentcore_identity_local::{Error, LocalIdentityService, ServiceHandle};
use agentcore_identity_testkit::{M2M_CLIENT_ID, M2M_CLIENT_SECRET, TestIdp, WEB_CLIENT_ID};
use aws_sdk_bedrockagentcore::error::ProvideErrorMetadata;
use aws_sdk_bedrockagentcore::types::Oauth2FlowType;
use aws_sdk_bedrockagentcorecontrol::types::{Oauth2AuthorizationServerMetadata, Oauth2Discovery};

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn records(h: &ServiceHandle, table: &str) -> u64 {
    h.stored_records()
        .into_iter()
        .find(|(t, _)| *t == table)
        .map(|(_, n)| n)
        .unwrap_or_else(|| panic!("no table {table}"))
}

async fn start(dir: &Path) -> Result<ServiceHandle, Error> {
    LocalIdentityService::builder().data_dir(dir).start().await
}

async fn web_provider(cp: &aws_sdk_bedrockagentcorecontrol::Client) {
    let meta = Oauth2AuthorizationServerMetadata::builder()
        .issuer("https://idp.example")
        .authorization_endpoint("https://idp.example/authorize")
        .token_endpoint("https://idp.example/token")
        .build()
        .unwrap();
    common::custom_oauth2_provider(
        cp,
        "web",
        Oauth2Discovery::AuthorizationServerMetadata(meta),
        WEB_CLIENT_ID,
        "web-secret",
    )
    .await;
}

async fn wat(dp: &aws_sdk_bedrockagentcore::Client, user: &str) -> String {
    dp.get_workload_access_token_for_user_id()
        .workload_name("agent")
        .user_id(user)
        .send()
        .await
        .unwrap()
        .workload_access_token()
        .to_string()
}

/// Starts a USER_FEDERATION session; (sessionUri, authorizationUrl).
async fn session(dp: &aws_sdk_bedrockagentcore::Client, wat: &str) -> (String, String) {
    let r = dp
        .get_resource_oauth2_token()
        .workload_identity_token(wat)
        .resource_credential_provider_name("web")
        .scopes("openid")
        .oauth2_flow(Oauth2FlowType::UserFederation)
        .force_authentication(true)
        .send()
        .await
        .unwrap();
    (
        r.session_uri().unwrap().to_string(),
        r.authorization_url().unwrap().to_string(),
    )
}

// ---- 6. files ------------------------------------------------------------------------------------

#[cfg(unix)]
#[tokio::test]
async fn files_are_private_and_session_keys_are_digests() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("data");
    let h = start(&dir).await.unwrap();
    assert_eq!(mode(&dir), 0o700, "data directory");
    assert_eq!(mode(&dir.join("identity.redb")), 0o600, "database");
    assert_eq!(mode(&dir.join("master.key")), 0o600, "key");
    let (dp, cp) = common::clients(&h.endpoint()).await;
    cp.create_workload_identity()
        .name("agent")
        .send()
        .await
        .unwrap();
    web_provider(&cp).await;
    let w = wat(&dp, "alice").await;
    let (uri, auth) = session(&dp, &w).await;
    // Where the authorize URL sends the browser carries the OAuth2 state.
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(&auth)
        .send()
        .await
        .unwrap();
    let provider_url = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    let state = provider_url
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    h.shutdown().await;
    // A copy of the database file hands out no live session URI or state.
    let db = std::fs::read(dir.join("identity.redb")).unwrap();
    let secret_part = uri.rsplit(':').next().unwrap();
    for needle in [secret_part, state.as_str()] {
        assert!(
            !db.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{needle} is in the database file"
        );
    }
}

#[tokio::test]
async fn the_key_may_live_outside_the_data_directory() {
    let base = tempfile::tempdir().unwrap();
    let (dir, key) = (
        base.path().join("data"),
        base.path().join("keys/identity.key"),
    );
    let open = || {
        LocalIdentityService::builder()
            .data_dir(&dir)
            .key_file(&key)
            .start()
    };
    let h = open().await.unwrap();
    let (_, cp) = common::clients(&h.endpoint()).await;
    cp.create_api_key_credential_provider()
        .name("k")
        .api_key("sk-outside")
        .send()
        .await
        .unwrap();
    h.shutdown().await;
    assert!(key.exists() && !dir.join("master.key").exists());
    #[cfg(unix)]
    assert_eq!(mode(&key), 0o600);
    let h = open().await.unwrap();
    h.shutdown().await;
    // Without the key file named, the store does not open (a new key would not read it).
    let e = start(&dir).await.expect_err("opened without its key");
    assert!(matches!(e, Error::MissingKey { .. }), "{e}");
}

// ---- 7. a lost or swapped key --------------------------------------------------------------------

#[tokio::test]
async fn a_lost_or_wrong_key_refuses_to_start_naming_the_file() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("data");
    let key = dir.join("master.key");
    let h = start(&dir).await.unwrap();
    let (_, cp) = common::clients(&h.endpoint()).await;
    cp.create_api_key_credential_provider()
        .name("k")
        .api_key("sk-lost")
        .send()
        .await
        .unwrap();
    h.shutdown().await;
    let original = std::fs::read(&key).unwrap();

    std::fs::remove_file(&key).unwrap();
    let e = start(&dir).await.expect_err("started with its key gone");
    let shown = e.to_string();
    assert!(matches!(e, Error::MissingKey { .. }), "{shown}");
    assert!(shown.contains(&key.display().to_string()), "{shown}");
    assert!(!key.exists(), "a new key was made silently");

    std::fs::write(&key, [7u8; 32]).unwrap();
    let e = start(&dir).await.expect_err("started with another key");
    let shown = e.to_string();
    assert!(matches!(e, Error::WrongKey { .. }), "{shown}");
    assert!(shown.contains(&key.display().to_string()), "{shown}");

    std::fs::write(&key, &original).unwrap();
    let h = start(&dir).await.unwrap();
    h.shutdown().await;
}

#[tokio::test]
async fn the_binary_refuses_to_start_without_its_key() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("data");
    let h = start(&dir).await.unwrap();
    let (cp, _) = (common::clients(&h.endpoint()).await.1, ());
    cp.create_workload_identity()
        .name("agent")
        .send()
        .await
        .unwrap();
    h.shutdown().await;
    std::fs::remove_file(dir.join("master.key")).unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_agentcore-identity-local"))
        .args(["serve", "--port", "0", "--data-dir"])
        .arg(&dir)
        .env_remove("NO_COLOR")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("master.key") && text.contains("missing"),
        "{text}"
    );
    // Output to a pipe or a file carries no colour codes, even without NO_COLOR.
    assert!(
        !text.contains('\u{1b}'),
        "ANSI escapes in redirected output: {text:?}"
    );
}

// ---- 8. bounded storage --------------------------------------------------------------------------

#[tokio::test]
async fn for_jwt_stores_nothing() {
    let h = common::start().await;
    let (dp, cp) = common::clients(&h.endpoint()).await;
    cp.create_workload_identity()
        .name("agent")
        .send()
        .await
        .unwrap();
    let before = h.stored_records();
    let b64 = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    };
    for i in 0..50 {
        let jwt = format!(
            "{}.{}.{}",
            b64(r#"{"alg":"RS256"}"#),
            b64(&format!(
                r#"{{"sub":"user-{i}","pad":"{}"}}"#,
                "x".repeat(4000)
            )),
            b64("sig")
        );
        dp.get_workload_access_token_for_jwt()
            .workload_name("agent")
            .user_token(jwt)
            .send()
            .await
            .unwrap();
    }
    assert_eq!(h.stored_records(), before);
    h.shutdown().await;
}

#[tokio::test]
async fn expired_sessions_states_and_tokens_are_swept() {
    let idp = TestIdp::builder()
        .access_token_ttl(Duration::from_secs(1))
        .start()
        .await;
    let h = LocalIdentityService::builder()
        .session_ttl(Duration::from_secs(1))
        .sweep_interval(Duration::from_millis(200))
        .start()
        .await
        .unwrap();
    let (dp, cp) = common::clients(&h.endpoint()).await;
    cp.create_workload_identity()
        .name("agent")
        .send()
        .await
        .unwrap();
    web_provider(&cp).await;
    common::custom_oauth2_provider(
        &cp,
        "m2m",
        Oauth2Discovery::DiscoveryUrl(idp.discovery_url()),
        M2M_CLIENT_ID,
        M2M_CLIENT_SECRET,
    )
    .await;
    let w = wat(&dp, "alice").await;
    for _ in 0..3 {
        session(&dp, &w).await;
    }
    dp.get_resource_oauth2_token()
        .workload_identity_token(&w)
        .resource_credential_provider_name("m2m")
        .scopes("read")
        .oauth2_flow(Oauth2FlowType::M2M)
        .send()
        .await
        .unwrap();
    assert_eq!(records(&h, "sessions"), 3);
    assert_eq!(records(&h, "oauth_states"), 3);
    assert_eq!(records(&h, "workload_sessions"), 3);
    assert_eq!(records(&h, "tokens"), 1);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    for t in ["sessions", "oauth_states", "workload_sessions", "tokens"] {
        assert_eq!(records(&h, t), 0, "{t} not swept");
    }
    h.shutdown().await;
}

#[tokio::test]
async fn pending_sessions_per_workload_are_capped() {
    let h = common::start().await;
    let (dp, cp) = common::clients(&h.endpoint()).await;
    cp.create_workload_identity()
        .name("agent")
        .send()
        .await
        .unwrap();
    web_provider(&cp).await;
    let w = wat(&dp, "alice").await;
    for _ in 0..100 {
        session(&dp, &w).await;
    }
    let e = dp
        .get_resource_oauth2_token()
        .workload_identity_token(&w)
        .resource_credential_provider_name("web")
        .scopes("openid")
        .oauth2_flow(Oauth2FlowType::UserFederation)
        .force_authentication(true)
        .customize()
        .config_override(
            aws_sdk_bedrockagentcore::config::Config::builder()
                .retry_config(aws_config::retry::RetryConfig::disabled()),
        )
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(e.code(), Some("ThrottlingException"), "{e:?}");
    assert_eq!(records(&h, "sessions"), 100);
    h.shutdown().await;
}

/// A restart right after `shutdown` finds the store released (no task still holds it), even
/// with a client's keep-alive connection open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_is_released_when_shutdown_returns() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("data");
    let c = reqwest::Client::new();
    for round in 0..20 {
        let h = start(&dir)
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        let r = c
            .get(format!("{}/health", h.endpoint()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        h.shutdown().await;
    }
}

/// A data directory or key file others can read is warned about at start (the service still
/// starts: the owner decides).
#[cfg(unix)]
#[tokio::test]
async fn loose_modes_are_warned_about_at_start() {
    use std::os::unix::fs::PermissionsExt;
    use tokio::io::{AsyncBufReadExt, BufReader};
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("data");
    start(&dir).await.unwrap().shutdown().await;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(
        dir.join("master.key"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_agentcore-identity-local"))
        .args(["serve", "--port", "0", "--data-dir"])
        .arg(&dir)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut warned = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(l) = lines.next_line().await.unwrap() {
            if l.contains("accessible to other users") {
                warned.push(l.clone());
            }
            if l.contains("ready") {
                break;
            }
        }
    })
    .await
    .expect("ready within 60 s");
    let _ = child.kill().await;
    assert!(
        warned.iter().any(|l| l.contains("data directory"))
            && warned.iter().any(|l| l.contains("master key file")),
        "{warned:#?}"
    );
}
