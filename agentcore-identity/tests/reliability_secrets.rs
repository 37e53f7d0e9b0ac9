//! Secrets: every flow (API key, M2M, USER_FEDERATION, workload access tokens, control-plane
//! creates and updates carrying secrets, errors of every kind) runs with logging at TRACE for
//! every target (this crate, the AWS SDK, the local service, the test IdP's output), into one
//! buffer. Afterwards no API key, access token, client secret, workload access token, user token
//! or custom state may appear in that output, in any error's `Display` / `Debug`, or in plain text
//! anywhere in the local service's data directory.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use agentcore_identity::context::RequestContext;
use agentcore_identity::control::Oauth2ProviderConfig;
use agentcore_identity::{
    ApiKeyRequest, AuthFlow, Error, IdentityClient, TokenRequest, UserIdentifier,
    requires_access_token, requires_api_key,
};
use agentcore_identity_local::LocalIdentityService;
use agentcore_identity_testkit::{
    Browser, M2M_CLIENT_ID, M2M_CLIENT_SECRET, TestIdp, WEB_CLIENT_ID, WEB_CLIENT_SECRET,
};
use aws_credential_types::Credentials;
use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};

const RETURN_URL: &str = "http://localhost:9999/return";
const API_KEY: &str = "sk-live-SECRET-apikey-7f3a9c01";
const API_KEY_2: &str = "sk-live-SECRET-apikey-updated-19be77";
const GOOGLE_SECRET: &str = "google-client-SECRET-55aa0912";
const GOOGLE_SECRET_2: &str = "google-client-SECRET-updated-0c4e";
const CUSTOM_STATE: &str = "custom-state-SECRET-4411ab";
const FORGED_WAT: &str = "forged-wat-SECRET-d00dfeed";
const TOO_LONG_KEY_PREFIX: &str = "sk-toolong-SECRET-";

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

static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

fn init_logs() {
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

fn logs() -> String {
    String::from_utf8_lossy(&LOGS.get().expect("initialised").lock().unwrap()).into_owned()
}

static CLIENT: OnceLock<IdentityClient> = OnceLock::new();

fn client() -> &'static IdentityClient {
    CLIENT.get().expect("client set")
}

#[requires_api_key(provider_name = "sec-apikey", client = client())]
async fn with_api_key(api_key: SecretString) -> Result<usize, Error> {
    Ok(api_key.expose_secret().len())
}

#[requires_access_token(provider_name = "sec-m2m", scopes = ["read"], auth_flow = "M2M", client = client())]
async fn with_m2m(access_token: SecretString) -> Result<SecretString, Error> {
    Ok(access_token)
}

/// A JWT signed by a key the local service does not know: accepted while no issuer is trusted
/// (`--trust-issuer`), as the service warns at start; `alg: none` would be refused.
fn unverified_jwt(payload: &str) -> String {
    let b = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!(
        "{}.{}.{}",
        b(r#"{"alg":"RS256","typ":"JWT"}"#),
        b(payload),
        b("user-token-signature-SECRET")
    )
}

/// Every error's Display, alternate Display, Debug and pretty Debug.
fn shown(errors: &[Error]) -> String {
    errors
        .iter()
        .map(|e| format!("{e}\n{e:#}\n{e:?}\n{e:#?}\n"))
        .collect()
}

fn scan_dir(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).expect("read data dir") {
        let entry = entry.expect("entry");
        let p = entry.path();
        if p.is_dir() {
            scan_dir(&p, out);
        } else {
            out.push((
                p.display().to_string(),
                std::fs::read(&p).expect("read file"),
            ));
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn no_secret_in_logs_errors_or_data_dir() {
    // the whole scenario is one large future: run it on worker threads with room for it
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(16 * 1024 * 1024)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async { tokio::spawn(Box::pin(scenario())).await.expect("scenario") });
}

async fn scenario() {
    init_logs();
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let idp = TestIdp::start().await;
    let svc = LocalIdentityService::builder()
        .port(0)
        .data_dir(data.path())
        .start()
        .await
        .expect("service");
    let c = IdentityClient::builder()
        .region("us-east-1")
        .endpoint_url(svc.endpoint())
        .credentials_provider(Credentials::new("AKID", "SECRET", None, None, "secrets"))
        .local_config_path(work.path().join(".agentcore.json"))
        .poll_interval(Duration::from_millis(100))
        .poll_timeout(Duration::from_secs(60))
        .env_lookup(|_| None)
        .build()
        .await
        .expect("client");
    CLIENT.set(c.clone()).expect("once");
    let mut secrets: Vec<String> = [
        API_KEY,
        API_KEY_2,
        GOOGLE_SECRET,
        GOOGLE_SECRET_2,
        WEB_CLIENT_SECRET,
        M2M_CLIENT_SECRET,
        CUSTOM_STATE,
        FORGED_WAT,
        TOO_LONG_KEY_PREFIX,
    ]
    .map(String::from)
    .to_vec();
    let mut errors: Vec<Error> = Vec::new();

    // ---- control plane, with secrets ----
    c.create_workload_identity(Some("sec-agent"), &[RETURN_URL.to_owned()])
        .await
        .unwrap();
    c.create_api_key_credential_provider("sec-apikey", SecretString::from(API_KEY))
        .await
        .unwrap();
    c.create_api_key_credential_provider("sec-apikey-2", SecretString::from(API_KEY))
        .await
        .unwrap();
    c.update_api_key_credential_provider("sec-apikey-2", SecretString::from(API_KEY_2))
        .await
        .unwrap();
    for (name, id, secret) in [
        ("sec-web", WEB_CLIENT_ID, WEB_CLIENT_SECRET),
        ("sec-m2m", M2M_CLIENT_ID, M2M_CLIENT_SECRET),
    ] {
        c.create_oauth2_credential_provider(
            name,
            Oauth2ProviderConfig::custom_discovery_url(
                idp.discovery_url(),
                id,
                SecretString::from(secret),
            ),
        )
        .await
        .unwrap();
    }
    c.create_oauth2_credential_provider(
        "sec-google",
        Oauth2ProviderConfig::google("google-client", SecretString::from(GOOGLE_SECRET)),
    )
    .await
    .unwrap();
    c.update_oauth2_credential_provider(
        "sec-google",
        Oauth2ProviderConfig::google("google-client", SecretString::from(GOOGLE_SECRET_2)),
    )
    .await
    .unwrap();
    let _ = c
        .get_api_key_credential_provider("sec-apikey")
        .await
        .unwrap();
    let _ = c
        .get_oauth2_credential_provider("sec-google")
        .await
        .unwrap();
    let _ = c.list_api_key_credential_providers().await.unwrap();
    let _ = c.list_oauth2_credential_providers().await.unwrap();

    // ---- workload access tokens, every variant ----
    let user_jwt = unverified_jwt(r#"{"sub":"carol","iss":"https://idp.example"}"#);
    secrets.push(user_jwt.clone());
    let wat_plain = c
        .get_workload_access_token("sec-agent", agentcore_identity::WorkloadUser::Agent)
        .await
        .unwrap();
    let wat_jwt = c
        .get_workload_access_token(
            "sec-agent",
            agentcore_identity::WorkloadUser::UserJwt(SecretString::from(user_jwt.clone())),
        )
        .await
        .unwrap();
    let wat_alice = c
        .get_workload_access_token(
            "sec-agent",
            agentcore_identity::WorkloadUser::UserId("alice".into()),
        )
        .await
        .unwrap();
    let wat_bob = c
        .get_workload_access_token(
            "sec-agent",
            agentcore_identity::WorkloadUser::UserId("bob".into()),
        )
        .await
        .unwrap();
    for w in [&wat_plain, &wat_jwt, &wat_alice, &wat_bob] {
        secrets.push(w.expose_secret().to_owned());
    }

    // ---- API keys: macro (context, cached), explicit, named workload identity, local development ----
    let ctx = |w: &SecretString| RequestContext::new().with_workload_access_token(w.clone());
    RequestContext::scope(ctx(&wat_alice), async {
        assert_eq!(with_api_key().await.unwrap(), API_KEY.len());
        assert_eq!(with_api_key().await.unwrap(), API_KEY.len());
    })
    .await;
    let k = c
        .get_api_key(ApiKeyRequest::new("sec-apikey-2").workload_access_token(wat_jwt.clone()))
        .await
        .unwrap();
    assert_eq!(k.expose_secret(), API_KEY_2);
    let k = c
        .get_api_key(ApiKeyRequest::new("sec-apikey-2").workload_identity("sec-agent", "dave"))
        .await
        .unwrap();
    assert_eq!(k.expose_secret(), API_KEY_2);
    let k = c.get_api_key("sec-apikey").await.unwrap(); // local development: .agentcore.json
    assert_eq!(k.expose_secret(), API_KEY);

    // ---- M2M ----
    let m2m = RequestContext::scope(ctx(&wat_alice), with_m2m())
        .await
        .unwrap();
    secrets.push(m2m.expose_secret().to_owned());
    let forced = RequestContext::scope(
        ctx(&wat_alice),
        c.get_token(
            TokenRequest::new("sec-m2m", AuthFlow::M2M)
                .scopes(["read"])
                .force_authentication(true),
        ),
    )
    .await
    .unwrap();
    secrets.push(forced.expose_secret().to_owned());

    // ---- USER_FEDERATION: consent, return URL, CompleteResourceTokenAuth, then cached ----
    let c2 = c.clone();
    let user_fed =
        || TokenRequest::new("sec-web", AuthFlow::UserFederation).scopes(["openid", "profile"]);
    let token = RequestContext::scope(
        ctx(&wat_bob).with_oauth2_callback_url(RETURN_URL),
        c.get_token(
            user_fed()
                .custom_state(CUSTOM_STATE)
                .on_auth_url_async(move |url| {
                    let c2 = c2.clone();
                    async move {
                        let back = Browser::new()
                            .complete_consent(&url, "bob")
                            .await
                            .expect("consent");
                        let session = back
                            .query_pairs()
                            .find(|(k, _)| k == "session_id")
                            .expect("session_id on the return URL")
                            .1
                            .into_owned();
                        c2.complete_resource_token_auth(
                            &session,
                            UserIdentifier::UserId("bob".into()),
                        )
                        .await
                        .expect("complete");
                    }
                }),
        ),
    )
    .await
    .expect("user federation token");
    secrets.push(token.expose_secret().to_owned());
    let again = RequestContext::scope(ctx(&wat_bob), c.get_token(user_fed()))
        .await
        .unwrap();
    assert_eq!(again.expose_secret(), token.expose_secret());
    // non-blocking: an AuthorizationRequired error (its URL is meant to be shown, it is no secret)
    let e = RequestContext::scope(
        ctx(&wat_alice).with_oauth2_callback_url(RETURN_URL),
        c.get_token(user_fed().custom_state(CUSTOM_STATE).non_blocking(true)),
    )
    .await
    .expect_err("consent needed");
    assert!(matches!(e, Error::AuthorizationRequired { .. }), "{e:?}");
    errors.push(e);

    // ---- errors of every kind ----
    // not found
    errors.push(
        c.get_api_key(ApiKeyRequest::new("missing").workload_access_token(wat_alice.clone()))
            .await
            .unwrap_err(),
    );
    // a forged workload access token: access denied
    errors.push(
        c.get_api_key(
            ApiKeyRequest::new("sec-apikey").workload_access_token(SecretString::from(FORGED_WAT)),
        )
        .await
        .unwrap_err(),
    );
    errors.push(
        c.get_token(
            TokenRequest::new("sec-m2m", AuthFlow::M2M)
                .scopes(["read"])
                .workload_access_token(SecretString::from(FORGED_WAT)),
        )
        .await
        .unwrap_err(),
    );
    // validation, with a secret in the refused value
    let too_long = format!("{TOO_LONG_KEY_PREFIX}{}", "x".repeat(65_536));
    errors.push(
        c.create_api_key_credential_provider("sec-too-long", SecretString::from(too_long))
            .await
            .unwrap_err(),
    );
    errors.push(
        c.get_token(
            TokenRequest::new("sec-m2m", AuthFlow::M2M)
                .scopes(["s".repeat(200)])
                .custom_state(CUSTOM_STATE)
                .workload_access_token(wat_alice.clone()),
        )
        .await
        .unwrap_err(),
    );
    // conflict
    errors.push(
        c.create_api_key_credential_provider("sec-apikey", SecretString::from(API_KEY))
            .await
            .unwrap_err(),
    );
    // server errors past the retries
    svc.inject_faults(500, 3);
    errors.push(
        c.get_api_key(ApiKeyRequest::new("sec-apikey-2").workload_access_token(wat_bob.clone()))
            .await
            .unwrap_err(),
    );
    svc.inject_faults(429, 3);
    errors.push(
        c.get_token(
            TokenRequest::new("sec-m2m", AuthFlow::M2M)
                .scopes(["write"])
                .workload_access_token(wat_bob.clone()),
        )
        .await
        .unwrap_err(),
    );
    svc.inject_faults(0, 0);
    // no workload access token in a container
    let container = IdentityClient::builder()
        .region("us-east-1")
        .endpoint_url(svc.endpoint())
        .credentials_provider(Credentials::new("AKID", "SECRET", None, None, "secrets"))
        .env_lookup(|k| (k == "DOCKER_CONTAINER").then(|| "1".to_owned()))
        .build()
        .await
        .unwrap();
    errors.push(container.get_api_key("sec-apikey").await.unwrap_err());
    // transport: nobody listens
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        format!("http://127.0.0.1:{port}")
    };
    let offline = IdentityClient::builder()
        .region("us-east-1")
        .endpoint_url(dead)
        .credentials_provider(Credentials::new("AKID", "SECRET", None, None, "secrets"))
        .env_lookup(|_| None)
        .build()
        .await
        .unwrap();
    errors.push(
        offline
            .get_api_key(ApiKeyRequest::new("sec-apikey").workload_access_token(wat_alice.clone()))
            .await
            .unwrap_err(),
    );
    errors.push(
        offline
            .get_token(
                TokenRequest::new("sec-m2m", AuthFlow::M2M)
                    .custom_state(CUSTOM_STATE)
                    .workload_access_token(wat_alice.clone()),
            )
            .await
            .unwrap_err(),
    );
    errors.push(
        offline
            .create_api_key_credential_provider("x", SecretString::from(API_KEY))
            .await
            .unwrap_err(),
    );
    errors.push(
        offline
            .get_workload_access_token(
                "sec-agent",
                agentcore_identity::WorkloadUser::UserJwt(SecretString::from(user_jwt.clone())),
            )
            .await
            .unwrap_err(),
    );

    // the requests and the client themselves
    let requests = format!(
        "{:?} {:?} {:?} {c:?}",
        ApiKeyRequest::new("p").workload_access_token(wat_alice.clone()),
        user_fed()
            .custom_state(CUSTOM_STATE)
            .workload_access_token(wat_bob.clone()),
        UserIdentifier::UserToken(SecretString::from(user_jwt.clone())),
    );

    svc.shutdown().await;
    drop(idp);

    // ---- the checks ----
    let logs = logs();
    assert!(
        logs.contains("TRACE") && logs.contains("DEBUG"),
        "the subscriber captured TRACE and DEBUG output"
    );
    assert!(
        logs.contains("GetResourceApiKey") || logs.contains("get_api_key"),
        "the flows were logged"
    );
    let errors_text = shown(&errors);
    let mut files = Vec::new();
    scan_dir(data.path(), &mut files);
    assert!(!files.is_empty(), "the data directory holds the store");
    let mut leaks = Vec::new();
    for s in &secrets {
        assert!(s.len() >= 12, "secret too short to check: {s:?}");
        if logs.contains(s.as_str()) {
            leaks.push(format!("in the logs: {}…", &s[..12]));
        }
        if errors_text.contains(s.as_str()) {
            leaks.push(format!("in an error: {}…", &s[..12]));
        }
        if requests.contains(s.as_str()) {
            leaks.push(format!("in a Debug: {}…", &s[..12]));
        }
        for (name, bytes) in &files {
            if contains(bytes, s.as_bytes()) {
                leaks.push(format!("in {name}: {}…", &s[..12]));
            }
        }
    }
    assert!(leaks.is_empty(), "secrets leaked:\n{}", leaks.join("\n"));
    eprintln!(
        "{} secrets checked against {} bytes of TRACE logs, {} errors, {} data files",
        secrets.len(),
        logs.len(),
        errors.len(),
        files.len()
    );
}
