//! OAuth2 flows against the local service and a real OpenID provider (testkit):
//! M2M, USER_FEDERATION (sync and async callbacks, return URL + CompleteResourceTokenAuth,
//! FAILED, timeout, cancellation, non-blocking mode, custom poller), force, invalidate, isolation.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use agentcore_identity::context::RequestContext;
use agentcore_identity::control::Oauth2ProviderConfig;
use agentcore_identity::{
    AuthFlow, Error, IdentityClient, PollHandle, PollOutcome, TokenPoller, TokenRequest,
    UserIdentifier,
};
use agentcore_identity_local::ServiceHandle;
use agentcore_identity_testkit::{
    Browser, M2M_CLIENT_ID, M2M_CLIENT_SECRET, TestIdp, WEB_CLIENT_ID, WEB_CLIENT_SECRET,
};
use secrecy::{ExposeSecret, SecretString};

const RETURN_URL: &str = "http://localhost:9999/return";

struct Env {
    idp: TestIdp,
    svc: ServiceHandle,
    client: IdentityClient,
    _dir: tempfile::TempDir,
}

async fn env_with(poll_timeout: Duration) -> Env {
    let idp = TestIdp::start().await;
    let svc = common::service().await;
    let dir = tempfile::tempdir().unwrap();
    let client = common::builder(&svc, dir.path())
        .poll_interval(Duration::from_millis(100))
        .poll_timeout(poll_timeout)
        .build()
        .await
        .unwrap();
    client
        .create_oauth2_credential_provider(
            "web",
            Oauth2ProviderConfig::custom_discovery_url(
                idp.discovery_url(),
                WEB_CLIENT_ID,
                SecretString::from(WEB_CLIENT_SECRET),
            ),
        )
        .await
        .unwrap();
    client
        .create_oauth2_credential_provider(
            "m2m",
            Oauth2ProviderConfig::custom_discovery_url(
                idp.discovery_url(),
                M2M_CLIENT_ID,
                SecretString::from(M2M_CLIENT_SECRET),
            ),
        )
        .await
        .unwrap();
    client
        .create_workload_identity(Some("agent"), &[RETURN_URL.to_owned()])
        .await
        .unwrap();
    Env {
        idp,
        svc,
        client,
        _dir: dir,
    }
}

async fn env() -> Env {
    env_with(Duration::from_secs(30)).await
}

impl Env {
    async fn wat(&self, user: &str) -> SecretString {
        self.client
            .get_workload_access_token(
                "agent",
                agentcore_identity::WorkloadUser::UserId(user.into()),
            )
            .await
            .unwrap()
    }

    fn token_calls(&self) -> u64 {
        self.svc.request_count("GetResourceOauth2Token")
    }
}

fn user_fed() -> TokenRequest {
    TokenRequest::new("web", AuthFlow::UserFederation).scopes(["openid", "profile"])
}

fn claims(token: &SecretString) -> serde_json::Value {
    use base64::Engine as _;
    let payload = token.expose_secret().split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn m2m_cached_forced_and_invalidated() {
    let e = env().await;
    let wat = e.wat("alice").await;
    let req = || TokenRequest::new("m2m", AuthFlow::M2M).scopes(["read"]);
    let t1 = RequestContext::scope(common::ctx(&wat), async {
        let t1 = e.client.get_token(req()).await.unwrap();
        let t2 = e.client.get_token(req()).await.unwrap();
        assert_eq!(t1.expose_secret(), t2.expose_secret());
        assert_eq!(e.token_calls(), 1, "second call is a cache hit");

        // Scope order does not matter for the key.
        e.client
            .get_token(TokenRequest::new("m2m", AuthFlow::M2M).scopes(["read"]))
            .await
            .unwrap();
        assert_eq!(e.token_calls(), 1);

        // force_authentication bypasses and replaces the entry.
        let forced = e
            .client
            .get_token(req().force_authentication(true))
            .await
            .unwrap();
        assert_eq!(e.token_calls(), 2);
        assert_ne!(forced.expose_secret(), t1.expose_secret());
        let after = e.client.get_token(req()).await.unwrap();
        assert_eq!(
            after.expose_secret(),
            forced.expose_secret(),
            "entry replaced"
        );
        assert_eq!(e.token_calls(), 2);

        e.client.invalidate_token(&req()).await.unwrap();
        e.client.get_token(req()).await.unwrap();
        assert_eq!(e.token_calls(), 3);
        t1
    })
    .await;
    assert_eq!(claims(&t1)["client_id"], M2M_CLIENT_ID);
    common::assert_no_secret_logged([t1.expose_secret(), wat.expose_secret(), M2M_CLIENT_SECRET]);
}

#[tokio::test]
async fn user_federation_with_sync_callback() {
    let e = env().await;
    let wat = e.wat("alice").await;
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen2 = seen.clone();
    let token = RequestContext::scope(
        common::ctx(&wat),
        e.client.get_token(user_fed().on_auth_url(move |url| {
            seen2.lock().unwrap().push(url.to_owned());
            // The user consents in their browser while the client polls.
            let url = url.to_owned();
            tokio::spawn(async move {
                Browser::new()
                    .complete_consent(&url, "alice")
                    .await
                    .unwrap();
            });
        })),
    )
    .await
    .unwrap();
    assert_eq!(claims(&token)["sub"], "alice");
    assert_eq!(seen.lock().unwrap().len(), 1, "on_auth_url called once");
    assert!(e.token_calls() >= 2, "first call + at least one poll");

    // Cached now; and the vault has it too.
    let again = RequestContext::scope(common::ctx(&wat), e.client.get_token(user_fed()))
        .await
        .unwrap();
    assert_eq!(again.expose_secret(), token.expose_secret());
    assert!(common::logs().contains("poll attempt"));
    common::assert_no_secret_logged([
        token.expose_secret(),
        wat.expose_secret(),
        WEB_CLIENT_SECRET,
    ]);
}

#[tokio::test]
async fn user_federation_with_async_callback_and_return_url() {
    let e = env().await;
    let wat = e.wat("bob").await;
    let client = e.client.clone();
    let token = RequestContext::scope(
        common::ctx(&wat).with_oauth2_callback_url(RETURN_URL),
        e.client.get_token(
            user_fed()
                .custom_state("state-abc-123456")
                .on_auth_url_async(move |url| {
                    let client = client.clone();
                    async move {
                        let back = Browser::new().complete_consent(&url, "bob").await.unwrap();
                        assert!(back.as_str().starts_with(RETURN_URL), "{back}");
                        let session = back
                            .query_pairs()
                            .find(|(k, _)| k == "session_id")
                            .unwrap()
                            .1
                            .into_owned();
                        // What the app's return-URL handler does.
                        client
                            .complete_resource_token_auth(
                                &session,
                                UserIdentifier::UserId("bob".into()),
                            )
                            .await
                            .unwrap();
                    }
                }),
        ),
    )
    .await
    .unwrap();
    assert_eq!(claims(&token)["sub"], "bob");
    assert_eq!(e.svc.request_count("CompleteResourceTokenAuth"), 1);
    common::assert_no_secret_logged([
        token.expose_secret(),
        wat.expose_secret(),
        "state-abc-123456",
    ]);
}

#[tokio::test]
async fn denied_consent_fails_at_once() {
    let e = env().await;
    let wat = e.wat("carol").await;
    let started = std::time::Instant::now();
    let err = RequestContext::scope(
        common::ctx(&wat),
        e.client
            .get_token(user_fed().on_auth_url_async(|url| async move {
                let _ = Browser::new().deny_consent(&url, "carol").await;
            })),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::AuthorizationFailed { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn polling_times_out_naming_the_url() {
    let e = env_with(Duration::from_millis(400)).await;
    let wat = e.wat("dave").await;
    let url = Arc::new(Mutex::new(String::new()));
    let url2 = url.clone();
    let err = RequestContext::scope(
        common::ctx(&wat),
        e.client
            .get_token(user_fed().on_auth_url(move |u| *url2.lock().unwrap() = u.to_owned())),
    )
    .await
    .unwrap_err();
    match &err {
        Error::PollTimeout {
            authorization_url, ..
        } => assert_eq!(*authorization_url, *url.lock().unwrap()),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains(url.lock().unwrap().as_str()));
}

#[tokio::test]
async fn dropping_the_future_stops_polling() {
    let e = env().await;
    let wat = e.wat("erin").await;
    let fut = RequestContext::scope(common::ctx(&wat), e.client.get_token(user_fed()));
    assert!(
        tokio::time::timeout(Duration::from_millis(350), fut)
            .await
            .is_err()
    );
    // A request already on the wire at the drop may still reach the service; none after it.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let calls = e.token_calls();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(e.token_calls(), calls, "no poll after the drop");
}

#[tokio::test]
async fn non_blocking_mode_returns_the_url_then_the_token() {
    let e = env().await;
    let wat = e.wat("frank").await;
    let req = || user_fed().non_blocking(true);
    let scope = || common::ctx(&wat);

    let first = RequestContext::scope(scope(), e.client.get_token(req()))
        .await
        .unwrap_err();
    let Error::AuthorizationRequired {
        authorization_url,
        session_uri,
        ..
    } = first
    else {
        panic!("{first:?}")
    };
    assert!(session_uri.is_some());
    // Not yet consented: the same URL again, no new session.
    let second = RequestContext::scope(scope(), e.client.get_token(req()))
        .await
        .unwrap_err();
    match &second {
        Error::AuthorizationRequired {
            authorization_url: u,
            session_uri: s,
            ..
        } => {
            assert_eq!(*u, authorization_url);
            assert_eq!(*s, session_uri);
        }
        other => panic!("{other:?}"),
    }
    Browser::new()
        .complete_consent(&authorization_url, "frank")
        .await
        .unwrap();
    let token = RequestContext::scope(scope(), e.client.get_token(req()))
        .await
        .unwrap();
    assert_eq!(claims(&token)["sub"], "frank");
    assert_eq!(e.token_calls(), 3);
}

#[tokio::test]
async fn two_users_never_see_each_others_token() {
    let e = env().await;
    let alice = e.wat("alice").await;
    let bob = e.wat("bob").await;
    let token = RequestContext::scope(
        common::ctx(&alice),
        e.client
            .get_token(user_fed().on_auth_url_async(|url| async move {
                Browser::new()
                    .complete_consent(&url, "alice")
                    .await
                    .unwrap();
            })),
    )
    .await
    .unwrap();
    assert_eq!(claims(&token)["sub"], "alice");
    let err = RequestContext::scope(
        common::ctx(&bob),
        e.client.get_token(user_fed().non_blocking(true)),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, Error::AuthorizationRequired { .. }),
        "bob must consent himself: {err:?}"
    );
}

/// A custom poller that plays the user from inside (drives the browser, then polls).
struct BrowserPoller {
    login: &'static str,
}

#[async_trait::async_trait]
impl TokenPoller for BrowserPoller {
    async fn poll_for_token(&self, handle: &PollHandle<'_>) -> Result<SecretString, Error> {
        assert!(handle.session_uri().is_some());
        Browser::new()
            .complete_consent(handle.authorization_url(), self.login)
            .await
            .unwrap();
        for _ in 0..50 {
            if let PollOutcome::Ready(t) = handle.poll_once().await? {
                return Ok(t);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no token after consent");
    }
}

#[tokio::test]
async fn custom_token_poller() {
    let e = env().await;
    let wat = e.wat("gina").await;
    let token = RequestContext::scope(
        common::ctx(&wat),
        e.client
            .get_token(user_fed().token_poller(BrowserPoller { login: "gina" })),
    )
    .await
    .unwrap();
    assert_eq!(claims(&token)["sub"], "gina");
    drop(e.idp);
}
