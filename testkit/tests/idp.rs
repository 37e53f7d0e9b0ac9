//! The test OpenID provider and the headless browser, end to end.

use std::time::Duration;

use agentcore_identity_testkit::{
    Browser, DEFAULT_AUDIENCE, DENY_LOGIN, M2M_CLIENT_ID, M2M_CLIENT_SECRET, M2M_POST_CLIENT_ID,
    M2M_POST_CLIENT_SECRET, TestIdp, WEB_CLIENT_ID, WEB_CLIENT_SECRET,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;

/// Never fetched by [`Browser`]: nothing listens on port 9 (discard).
const REDIRECT_URI: &str = "http://127.0.0.1:9/cb";
const VERIFIER: &str = "testkit-pkce-verifier-0123456789-abcdefghijklmnopqrstuvwxyz";

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn jwt_part(token: &str, index: usize) -> Value {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "not a JWT: {token}");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[index]).unwrap()).unwrap()
}

fn claims(token: &str) -> Value {
    jwt_part(token, 1)
}

fn authorization_url(idp: &TestIdp, redirect_uri: &str, scope: &str, state: &str) -> String {
    Url::parse_with_params(
        &idp.authorization_endpoint(),
        &[
            ("response_type", "code"),
            ("client_id", WEB_CLIENT_ID),
            ("redirect_uri", redirect_uri),
            ("scope", scope),
            ("state", state),
            ("code_challenge", &challenge(VERIFIER)),
            ("code_challenge_method", "S256"),
        ],
    )
    .unwrap()
    .to_string()
}

fn query(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

async fn token_request(idp: &TestIdp, form: &[(&str, &str)]) -> (reqwest::StatusCode, Value) {
    let response = http()
        .post(idp.token_endpoint())
        .basic_auth(WEB_CLIENT_ID, Some(WEB_CLIENT_SECRET))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

async fn exchange_code(
    idp: &TestIdp,
    code: &str,
    redirect_uri: &str,
) -> (reqwest::StatusCode, Value) {
    token_request(
        idp,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", VERIFIER),
        ],
    )
    .await
}

/// Runs the browser flow against the provider directly and returns the authorization code.
async fn authorize(idp: &TestIdp, browser: &Browser, login: &str, scope: &str) -> String {
    let url = authorization_url(idp, REDIRECT_URI, scope, "st-1");
    let back = browser.complete_consent(&url, login).await.unwrap();
    assert_eq!(back.origin(), Url::parse(REDIRECT_URI).unwrap().origin());
    assert_eq!(back.path(), "/cb");
    assert_eq!(query(&back, "state").as_deref(), Some("st-1"));
    assert_eq!(query(&back, "iss").as_deref(), Some(idp.issuer()));
    query(&back, "code").expect("code in the redirect")
}

#[tokio::test]
async fn discovery_is_served() {
    let idp = TestIdp::start().await;
    assert!(idp.issuer().starts_with("http://127.0.0.1:"));
    let doc: Value = http()
        .get(idp.discovery_url())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], idp.issuer());
    assert_eq!(doc["token_endpoint"], idp.token_endpoint());
    assert_eq!(doc["authorization_endpoint"], idp.authorization_endpoint());
    assert_eq!(doc["jwks_uri"], idp.jwks_uri());
    let grants = doc["grant_types_supported"].to_string();
    for grant in ["client_credentials", "authorization_code", "refresh_token"] {
        assert!(grants.contains(grant), "{grant} missing from {grants}");
    }
    assert!(
        doc["code_challenge_methods_supported"]
            .to_string()
            .contains("S256")
    );
    let jwks: Value = http()
        .get(idp.jwks_uri())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["alg"], "RS256");
}

fn assert_m2m_token(idp: &TestIdp, body: &Value, client_id: &str, scope: Option<&str>) {
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 600);
    let token = body["access_token"].as_str().unwrap();
    let header = jwt_part(token, 0);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["typ"], "at+jwt");
    let claims = claims(token);
    assert_eq!(claims["iss"], idp.issuer());
    assert_eq!(claims["client_id"], client_id);
    assert_eq!(claims["sub"], client_id);
    assert_eq!(claims["aud"], DEFAULT_AUDIENCE);
    let exp = claims["exp"].as_u64().expect("exp");
    assert_eq!(exp - claims["iat"].as_u64().unwrap(), 600);
    assert_eq!(claims["scope"].as_str(), scope);
}

#[tokio::test]
async fn client_credentials_with_basic_and_post_return_jwts() {
    let idp = TestIdp::start().await;

    let response = http()
        .post(idp.token_endpoint())
        .basic_auth(M2M_CLIENT_ID, Some(M2M_CLIENT_SECRET))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "read write made-up:scope"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["scope"], "read write made-up:scope");
    assert_m2m_token(&idp, &body, M2M_CLIENT_ID, Some("read write made-up:scope"));

    let response = http()
        .post(idp.token_endpoint())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", M2M_POST_CLIENT_ID),
            ("client_secret", M2M_POST_CLIENT_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_m2m_token(&idp, &body, M2M_POST_CLIENT_ID, None);
}

#[tokio::test]
async fn wrong_client_secret_is_refused() {
    let idp = TestIdp::start().await;

    let response = http()
        .post(idp.token_endpoint())
        .basic_auth(M2M_CLIENT_ID, Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");

    let response = http()
        .post(idp.token_endpoint())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", M2M_POST_CLIENT_ID),
            ("client_secret", "wrong"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        [400, 401].contains(&response.status().as_u16()),
        "{}",
        response.status()
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
}

#[tokio::test]
async fn authorization_code_flow_with_pkce_refresh_and_code_reuse() {
    let idp = TestIdp::builder()
        .access_token_ttl(Duration::from_secs(2))
        .start()
        .await;
    assert_eq!(idp.access_token_ttl(), Duration::from_secs(2));
    let browser = Browser::new();
    let code = authorize(&idp, &browser, "alice", "openid profile read").await;

    let (status, body) = exchange_code(&idp, &code, REDIRECT_URI).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["expires_in"], 2);
    let access = body["access_token"].as_str().unwrap();
    let at = claims(access);
    assert_eq!(at["sub"], "alice");
    assert_eq!(at["client_id"], WEB_CLIENT_ID);
    assert_eq!(at["aud"], DEFAULT_AUDIENCE);
    assert_eq!(at["exp"].as_u64().unwrap() - at["iat"].as_u64().unwrap(), 2);
    let scope = at["scope"].as_str().unwrap();
    assert!(scope.split(' ').any(|s| s == "read"), "{scope}");
    assert_eq!(claims(body["id_token"].as_str().unwrap())["sub"], "alice");
    let refresh = body["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned();

    // The code is single-use.
    let (status, body) = exchange_code(&idp, &code, REDIRECT_URI).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant");

    // A fresh code, to refresh with (reusing the first code revoked its refresh token).
    let code = authorize(&idp, &browser, "alice", "read write offline_access").await;
    let (status, body) = exchange_code(&idp, &code, REDIRECT_URI).await;
    assert_eq!(status, 200, "{body}");
    let first = body["access_token"].as_str().unwrap().to_owned();
    let refresh2 = body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(refresh, refresh2);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, body) = token_request(
        &idp,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh2),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let second = body["access_token"].as_str().unwrap();
    assert_ne!(first, second);
    let at = claims(second);
    assert_eq!(at["sub"], "alice");
    assert!(at["exp"].as_u64() > claims(&first)["exp"].as_u64());
    // offline_access is an OpenID scope, not one of the resource server.
    assert_eq!(at["scope"], "read write");
}

#[tokio::test]
async fn wrong_pkce_verifier_is_refused() {
    let idp = TestIdp::start().await;
    let code = authorize(&idp, &Browser::new(), "alice", "read").await;
    let (status, body) = token_request(
        &idp,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            (
                "code_verifier",
                "another-verifier-0123456789-abcdefghijklmnopqrstuvwxyz",
            ),
        ],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn one_browser_signs_in_different_users() {
    let idp = TestIdp::start().await;
    let browser = Browser::new();
    for user in ["alice", "bob", "alice"] {
        let code = authorize(&idp, &browser, user, "openid read").await;
        let (status, body) = exchange_code(&idp, &code, REDIRECT_URI).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(claims(body["access_token"].as_str().unwrap())["sub"], user);
    }
}

#[tokio::test]
async fn any_loopback_redirect_uri_is_accepted_others_are_not() {
    let idp = TestIdp::start().await;
    let browser = Browser::new();
    let redirect_uri = "http://localhost:45678/some/callback?x=1";
    let url = authorization_url(&idp, redirect_uri, "read", "st-2");
    let back = browser.complete_consent(&url, "carol").await.unwrap();
    assert_eq!(back.host_str(), Some("localhost"));
    assert_eq!(back.port(), Some(45678));
    assert_eq!(back.path(), "/some/callback");
    assert_eq!(query(&back, "x").as_deref(), Some("1"));
    let code = query(&back, "code").unwrap();
    let (status, body) = exchange_code(&idp, &code, redirect_uri).await;
    assert_eq!(status, 200, "{body}");

    let url = authorization_url(&idp, "http://attacker.example/cb", "read", "st-3");
    let err = browser.complete_consent(&url, "carol").await.unwrap_err();
    assert!(err.contains("redirect_uri"), "{err}");
}

#[tokio::test]
async fn denied_consent_redirects_with_access_denied() {
    let idp = TestIdp::start().await;
    let browser = Browser::new();
    let url = authorization_url(&idp, REDIRECT_URI, "openid read", "st-4");
    let back = browser.deny_consent(&url, "alice").await.unwrap();
    assert_eq!(back.origin(), Url::parse(REDIRECT_URI).unwrap().origin());
    assert_eq!(query(&back, "error").as_deref(), Some("access_denied"));
    assert_eq!(query(&back, "state").as_deref(), Some("st-4"));
    assert_eq!(query(&back, "code"), None);

    // The login name `deny` refuses too, even with complete_consent.
    let back = browser.complete_consent(&url, DENY_LOGIN).await.unwrap();
    assert_eq!(query(&back, "error").as_deref(), Some("access_denied"));
    assert_eq!(query(&back, "code"), None);

    // And the browser still works afterwards.
    authorize(&idp, &browser, "alice", "read").await;
}

/// A minimal "service under test": `/start` redirects to the provider with `/callback` (on this
/// service) as redirect URI; `/callback` redirects to the application's return URL on another
/// origin, carrying what it received.
async fn spawn_service(idp_authorize: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let callback = format!("{base}/callback");
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let callback = callback.clone();
            let idp_authorize = idp_authorize.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = stream.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    head.extend_from_slice(&buf[..n]);
                }
                let head = String::from_utf8_lossy(&head);
                let target = head.split(' ').nth(1).unwrap_or("/").to_owned();
                let url = Url::parse("http://service.invalid")
                    .unwrap()
                    .join(&target)
                    .unwrap();
                let location = match url.path() {
                    "/start" => {
                        let mut to = Url::parse(&idp_authorize).unwrap();
                        to.query_pairs_mut().append_pair("redirect_uri", &callback);
                        // A relative Location on the service, then the provider.
                        if url.query().is_none() {
                            Some(format!("/start?go=1&{}", to.query().unwrap()))
                        } else {
                            Some(to.to_string())
                        }
                    }
                    "/callback" => Some(format!(
                        "http://localhost:9/return?{}",
                        url.query().unwrap_or_default()
                    )),
                    _ => None,
                };
                let response = match location {
                    Some(location) => format!(
                        "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    ),
                    None => {
                        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            .to_owned()
                    }
                };
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    base
}

#[tokio::test]
async fn browser_follows_the_service_origin_and_stops_at_the_return_url() {
    let idp = TestIdp::start().await;
    let idp_authorize = Url::parse_with_params(
        &idp.authorization_endpoint(),
        &[
            ("response_type", "code"),
            ("client_id", WEB_CLIENT_ID),
            ("scope", "openid read"),
            ("state", "svc-state"),
            ("code_challenge", &challenge(VERIFIER)),
            ("code_challenge_method", "S256"),
        ],
    )
    .unwrap()
    .to_string();
    let service = spawn_service(idp_authorize).await;
    let browser = Browser::new();

    let back = browser
        .complete_consent(&format!("{service}/start"), "dave")
        .await
        .unwrap();
    assert_eq!(back.host_str(), Some("localhost"));
    assert_eq!(back.port(), Some(9));
    assert_eq!(back.path(), "/return");
    assert_eq!(query(&back, "state").as_deref(), Some("svc-state"));
    let code = query(&back, "code").unwrap();
    let (status, body) = exchange_code(&idp, &code, &format!("{service}/callback")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        claims(body["access_token"].as_str().unwrap())["sub"],
        "dave"
    );

    let back = browser
        .deny_consent(&format!("{service}/start"), "dave")
        .await
        .unwrap();
    assert_eq!(back.path(), "/return");
    assert_eq!(query(&back, "error").as_deref(), Some("access_denied"));
}

#[tokio::test]
async fn jwt_bearer_grant_verifies_its_assertion() {
    let idp = TestIdp::start().await;
    let user = idp.user_jwt("carol").await;
    let (status, body) = token_request(
        &idp,
        &[
            ("grant_type", agentcore_identity_testkit::JWT_BEARER_GRANT),
            ("assertion", user.as_str()),
            ("scope", "read"),
            ("audience", "urn:test:api"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let c = claims(body["access_token"].as_str().unwrap());
    assert_eq!(c["sub"], "carol");
    assert_eq!(c["client_id"], WEB_CLIENT_ID);
    assert_eq!(c["aud"], "urn:test:api");
    assert_eq!(c["iss"], idp.issuer());
    assert!(c.get("act").is_none());

    // A tampered signature and a missing assertion are refused.
    let (head, sig) = user.rsplit_once('.').unwrap();
    // A character in the middle (the last one may only carry padding bits).
    let mid = sig.len() / 2;
    let flipped = if &sig[mid..=mid] == "A" { 'B' } else { 'A' };
    let forged = format!("{head}.{}{flipped}{}", &sig[..mid], &sig[mid + 1..]);
    let (status, body) = token_request(
        &idp,
        &[
            ("grant_type", agentcore_identity_testkit::JWT_BEARER_GRANT),
            ("assertion", forged.as_str()),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["error_description"], "assertion signature is invalid");
    let (status, body) = token_request(
        &idp,
        &[("grant_type", agentcore_identity_testkit::JWT_BEARER_GRANT)],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_request");

    // The M2M client is not allowed the grant.
    let response = http()
        .post(idp.token_endpoint())
        .basic_auth(M2M_CLIENT_ID, Some(M2M_CLIENT_SECRET))
        .form(&[
            ("grant_type", agentcore_identity_testkit::JWT_BEARER_GRANT),
            ("assertion", user.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}
