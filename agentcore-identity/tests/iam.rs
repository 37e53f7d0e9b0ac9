//! IAM web identity tokens end to end: `IdentityClient::get_iam_access_token` through the official
//! `aws-sdk-sts` to the local service's STS (`agentcore-identity-local`, in process, real HTTP):
//! the token verifies against the issuer's JWKS, the request's audience, algorithm, duration and
//! tags reach the claims, the cache makes 10 calls one STS request (concurrent first calls too),
//! `force` refetches, bad input never leaves the process, no token is logged.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agentcore_identity::{
    CacheConfig, Error, ExposeSecret, IamTokenRequest, IdentityClient, SecretString,
    SigningAlgorithm,
};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};

const OP: &str = "GetWebIdentityToken";
const AWS: &str = "https://sts.amazonaws.com/";
const API: &str = "https://api.example.com";
/// A second audience, to write requests in another order.
const OTHER_AUDIENCE: &str = "https://other.example.com";

/// Verifies `token` as a relying party does: the issuer's discovery document names the JWKS,
/// whose key (by `kid`) checks the signature; algorithm, issuer and audience are enforced.
async fn verify(token: &SecretString, alg: Algorithm, aud: &str) -> Value {
    let token = token.expose_secret();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, alg);
    let iss = unverified_claims(token)["iss"].as_str().unwrap().to_owned();
    let disco: Value = reqwest::get(format!("{iss}/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(disco["issuer"], iss.as_str());
    let jwks: JwkSet = reqwest::get(disco["jwks_uri"].as_str().unwrap())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwk = jwks
        .find(header.kid.as_deref().unwrap())
        .expect("kid in JWKS");
    let mut v = Validation::new(alg);
    v.set_issuer(&[&iss]);
    v.set_audience(&[aud]);
    v.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    jsonwebtoken::decode::<Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &v)
        .expect("the token verifies against the issuer's JWKS")
        .claims
}

use agentcore_identity_testkit::jwt_claims as unverified_claims;

fn lifetime(claims: &Value) -> i64 {
    claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap()
}

#[tokio::test]
async fn tokens_verify_and_carry_audience_algorithm_duration_and_tags() {
    let svc = common::service().await;
    let dir = tempfile::tempdir().unwrap();
    let client = common::client(&svc, dir.path()).await;

    // The defaults: ES384, 300 s, one audience (a string claim), no tags.
    let token = client.get_iam_access_token(API).await.unwrap();
    let c = verify(&token, Algorithm::ES384, API).await;
    assert_eq!(lifetime(&c), 300);
    assert_eq!(c["aud"], API);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((c["iat"].as_i64().unwrap() - now).abs() <= 5);
    assert!(c[AWS].get("request_tags").is_none(), "{c}");

    // Everything set: RS256, two audiences, 900 s, two tags.
    let request = IamTokenRequest::new([API, "https://other.example.com"])
        .signing_algorithm(SigningAlgorithm::Rs256)
        .duration_seconds(900)
        .tag("team", "payments")
        .tag("cost-center", "cc 42");
    let token = client.get_iam_access_token(request).await.unwrap();
    let c = verify(&token, Algorithm::RS256, "https://other.example.com").await;
    assert_eq!(lifetime(&c), 900);
    assert_eq!(c["aud"], json!([API, "https://other.example.com"]));
    assert_eq!(
        c[AWS]["request_tags"],
        json!({"team": "payments", "cost-center": "cc 42"})
    );
    assert_eq!(svc.request_count(OP), 2);
    common::assert_no_secret_logged([token.expose_secret()]);
}

#[tokio::test]
async fn ten_calls_make_one_sts_request_and_concurrent_first_calls_share_it() {
    let svc = common::service().await;
    let dir = tempfile::tempdir().unwrap();
    let client = common::client(&svc, dir.path()).await;
    let request = IamTokenRequest::new([API, OTHER_AUDIENCE])
        .tag("team", "a")
        .tag("env", "dev");

    let first = client.get_iam_access_token(&request).await.unwrap();
    for _ in 0..9 {
        let again = client.get_iam_access_token(&request).await.unwrap();
        assert_eq!(again.expose_secret(), first.expose_secret());
    }
    assert_eq!(svc.request_count(OP), 1, "10 calls, 1 STS request");
    // The same request written in another order is the same entry.
    let reordered = IamTokenRequest::new([OTHER_AUDIENCE, API])
        .tag("env", "dev")
        .tag("team", "a");
    client.get_iam_access_token(reordered).await.unwrap();
    assert_eq!(svc.request_count(OP), 1);

    // Another request (another tag value) is another token.
    let other = client
        .get_iam_access_token(
            IamTokenRequest::new([API, OTHER_AUDIENCE])
                .tag("team", "b")
                .tag("env", "dev"),
        )
        .await
        .unwrap();
    assert_ne!(other.expose_secret(), first.expose_secret());
    assert_eq!(svc.request_count(OP), 2);

    // 10 concurrent first calls for a new request: one STS request, one token for all.
    let concurrent = IamTokenRequest::new(["https://concurrent.example.com"]);
    let tokens =
        futures::future::join_all((0..10).map(|_| client.get_iam_access_token(&concurrent))).await;
    let tokens: Vec<String> = tokens
        .into_iter()
        .map(|t| t.unwrap().expose_secret().to_owned())
        .collect();
    assert!(tokens.iter().all(|t| *t == tokens[0]));
    assert_eq!(svc.request_count(OP), 3);
}

#[tokio::test]
async fn force_and_invalidate_fetch_a_new_token() {
    let svc = common::service().await;
    let dir = tempfile::tempdir().unwrap();
    let client = common::client(&svc, dir.path()).await;
    let request = IamTokenRequest::new([API]);

    let first = client.get_iam_access_token(&request).await.unwrap();
    let forced = client
        .get_iam_access_token(request.clone().force(true))
        .await
        .unwrap();
    assert_eq!(svc.request_count(OP), 2, "force skips the cache");
    let (a, b) = (
        unverified_claims(first.expose_secret()),
        unverified_claims(forced.expose_secret()),
    );
    assert_ne!(a["jti"], b["jti"]);
    // ...and replaces the entry: the next plain call gets the forced token, from the cache.
    let next = client.get_iam_access_token(&request).await.unwrap();
    assert_eq!(next.expose_secret(), forced.expose_secret());
    assert_eq!(svc.request_count(OP), 2);

    client.invalidate_iam_access_token(&request).await.unwrap();
    let fresh = client.get_iam_access_token(&request).await.unwrap();
    assert_ne!(fresh.expose_secret(), forced.expose_secret());
    assert_eq!(svc.request_count(OP), 3);
}

#[tokio::test]
async fn the_cache_keeps_a_token_for_its_lifetime_less_the_skew() {
    let svc = common::service().await;
    let dir = tempfile::tempdir().unwrap();
    // A skew of 59 s keeps a 60 s token for 1 s.
    let client = common::builder(&svc, dir.path())
        .cache(CacheConfig::new().jwt_expiry_skew(Duration::from_secs(59)))
        .build()
        .await
        .unwrap();
    let request = IamTokenRequest::new([API]).duration_seconds(60);
    client.get_iam_access_token(&request).await.unwrap();
    client.get_iam_access_token(&request).await.unwrap();
    assert_eq!(svc.request_count(OP), 1);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    client.get_iam_access_token(&request).await.unwrap();
    assert_eq!(svc.request_count(OP), 2, "expired after exp - iat - skew");

    // With the default 60 s skew a 60 s token is not kept at all.
    let default = common::client(&svc, dir.path()).await;
    default.get_iam_access_token(&request).await.unwrap();
    default.get_iam_access_token(&request).await.unwrap();
    assert_eq!(svc.request_count(OP), 4);
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let svc = common::service().await;
    let dir = tempfile::tempdir().unwrap();
    let client = common::client(&svc, dir.path()).await;
    let none: [&str; 0] = [];
    let cases = [
        (IamTokenRequest::new(none), "audience"),
        (IamTokenRequest::new([""]), "audience"),
        (
            IamTokenRequest::new([API]).duration_seconds(59),
            "duration_seconds",
        ),
        (
            IamTokenRequest::new([API]).duration_seconds(3601),
            "duration_seconds",
        ),
        (
            IamTokenRequest::new([API])
                .tag("team", "a")
                .tag("team", "b"),
            "tags",
        ),
        (IamTokenRequest::new([API]).tag("bad*key", "a"), "tags"),
    ];
    for (request, expected) in cases {
        let err = client
            .get_iam_access_token(request.clone())
            .await
            .unwrap_err();
        match &err {
            Error::InvalidRequest { field, .. } => assert_eq!(*field, expected, "{request:?}"),
            other => panic!("{request:?}: expected InvalidRequest, got {other:?}"),
        }
        assert!(
            err.to_string()
                .starts_with(&format!("invalid `{expected}`: ")),
            "{err}"
        );
    }
    assert_eq!(svc.total_requests(), 0, "nothing was sent");
}

#[tokio::test]
async fn tokens_are_never_logged_nor_printed() {
    let svc = common::service().await;
    let dir = tempfile::tempdir().unwrap();
    let client = common::client(&svc, dir.path()).await;
    let request = IamTokenRequest::new([API]).tag("team", "a");
    let mut tokens = Vec::new();
    tokens.push(client.get_iam_access_token(&request).await.unwrap());
    tokens.push(client.get_iam_access_token(&request).await.unwrap());
    tokens.push(
        client
            .get_iam_access_token(request.clone().force(true))
            .await
            .unwrap(),
    );
    let shown = format!("{client:?} {request:?} {:?}", tokens[0]);
    let secrets: Vec<&str> = tokens.iter().map(|t| t.expose_secret()).collect();
    for s in &secrets {
        assert!(!shown.contains(s), "{shown}");
        // The signature alone must not appear either.
        let sig = s.rsplit('.').next().unwrap();
        assert!(
            !common::logs().contains(sig),
            "a token signature was logged"
        );
    }
    common::assert_no_secret_logged(secrets);
}

/// `AWS_ENDPOINT_URL_STS` (read by aws-config, as for every SDK client) points the client at
/// the local STS: a child process of this test binary, with that variable and no endpoint set
/// on the builder, gets a token.
#[tokio::test]
async fn aws_endpoint_url_sts_points_the_client_at_the_local_service() {
    let svc = common::service().await;
    let home = tempfile::tempdir().unwrap();
    // Async: the service answers on this test's runtime while the child runs.
    let child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "child_gets_a_token_through_aws_endpoint_url_sts",
            "--nocapture",
        ])
        .env_clear()
        .env("AWS_ENDPOINT_URL_STS", svc.endpoint())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "AKIDCHILD")
        .env("AWS_SECRET_ACCESS_KEY", "child-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("HOME", home.path())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), child)
        .await
        .expect("the child finishes within 60 s")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        svc.request_count(OP),
        1,
        "the child's request reached this service"
    );
}

#[tokio::test]
#[ignore = "run by aws_endpoint_url_sts_points_the_client_at_the_local_service, with its environment"]
async fn child_gets_a_token_through_aws_endpoint_url_sts() {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_STS").expect("set by the parent test");
    let client = IdentityClient::from_env().await.unwrap();
    let token = client.get_iam_access_token(API).await.unwrap();
    let claims = unverified_claims(token.expose_secret());
    assert_eq!(claims["iss"], endpoint.as_str());
}
