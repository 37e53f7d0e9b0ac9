//! STS GetWebIdentityToken through the official `aws-sdk-sts`: tokens verify offline against the
//! JWKS named by the issuer's discovery document (ES384 and RS256), `exp - iat` is the requested
//! duration, request tags become claims, bad input gets STS's error codes, the signing keys
//! survive a restart with a data directory, SigV4 verification applies, the guard refuses in XML,
//! no token is logged.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use agentcore_identity_local::LocalIdentityService;
use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use aws_sdk_sts::error::ProvideErrorMetadata;
use aws_sdk_sts::types::Tag;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

const AWS: &str = "https://sts.amazonaws.com/";

async fn sts(endpoint: &str) -> aws_sdk_sts::Client {
    aws_sdk_sts::Client::new(&common::sdk_config(endpoint).await)
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().unwrap()
}

/// The JWKS as a relying party finds it: discovery at `{iss}/.well-known/openid-configuration`.
async fn discover(issuer: &str) -> (Value, JwkSet) {
    let disco: Value = reqwest::get(format!("{issuer}/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(disco["issuer"], issuer);
    let jwks: JwkSet = reqwest::get(disco["jwks_uri"].as_str().unwrap())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (disco, jwks)
}

/// Verifies `token` with `jwks`: signature, algorithm, issuer, audience, expiry.
fn verify(token: &str, jwks: &JwkSet, alg: Algorithm, iss: &str, aud: &str) -> Value {
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, alg);
    let jwk = jwks
        .find(header.kid.as_deref().unwrap())
        .expect("kid in JWKS");
    let key = DecodingKey::from_jwk(jwk).unwrap();
    let mut v = Validation::new(alg);
    v.set_issuer(&[iss]);
    v.set_audience(&[aud]);
    v.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    jsonwebtoken::decode::<Value>(token, &key, &v)
        .expect("token verifies")
        .claims
}

#[tokio::test]
async fn tokens_verify_offline_with_both_algorithms() {
    let h = common::start().await;
    let ep = h.endpoint();
    let client = sts(&ep).await;
    let (disco, jwks) = discover(&ep).await;
    assert_eq!(jwks.keys.len(), 2);
    assert_eq!(
        disco["id_token_signing_alg_values_supported"],
        serde_json::json!(["ES384", "RS256"])
    );

    // ES384, one audience, 900 s, two tags.
    let out = client
        .get_web_identity_token()
        .audience("https://api.example.com")
        .signing_algorithm("ES384")
        .duration_seconds(900)
        .tags(tag("team", "data-engineering"))
        .tags(tag("job-id", "job-2024-001"))
        .send()
        .await
        .unwrap();
    let token = out.web_identity_token().unwrap();
    let c = verify(
        token,
        &jwks,
        Algorithm::ES384,
        &ep,
        "https://api.example.com",
    );
    let (iat, exp) = (c["iat"].as_i64().unwrap(), c["exp"].as_i64().unwrap());
    assert_eq!(exp - iat, 900);
    assert_eq!(out.expiration().unwrap().secs(), exp);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((iat - now).abs() <= 5, "iat {iat} is now ({now})");
    assert_eq!(c["aud"], "https://api.example.com");
    assert_eq!(
        c["sub"],
        "arn:aws:iam::000000000000:role/agentcore-identity-local"
    );
    assert!(!c["jti"].as_str().unwrap().is_empty());
    assert_eq!(c[AWS]["aws_account"], "000000000000");
    assert_eq!(c[AWS]["source_region"], "us-east-1");
    assert_eq!(c[AWS]["principal_id"], c["sub"]);
    assert_eq!(
        c[AWS]["request_tags"],
        serde_json::json!({"team": "data-engineering", "job-id": "job-2024-001"})
    );

    // RS256, two audiences, default duration (300 s), no tags.
    let out = client
        .get_web_identity_token()
        .audience("aud-one")
        .audience("aud-two")
        .signing_algorithm("RS256")
        .send()
        .await
        .unwrap();
    let token2 = out.web_identity_token().unwrap();
    let c2 = verify(token2, &jwks, Algorithm::RS256, &ep, "aud-two");
    assert_eq!(
        c2["exp"].as_i64().unwrap() - c2["iat"].as_i64().unwrap(),
        300
    );
    assert_eq!(c2["aud"], serde_json::json!(["aud-one", "aud-two"]));
    assert!(c2[AWS].get("request_tags").is_none());
    assert_ne!(c["jti"], c2["jti"]);

    // A token verified with the other algorithm's key, or for another audience, is refused.
    let es_kid = jsonwebtoken::decode_header(token).unwrap().kid.unwrap();
    let rs_kid = jsonwebtoken::decode_header(token2).unwrap().kid.unwrap();
    assert_ne!(es_kid, rs_kid);
    let rs_key = DecodingKey::from_jwk(jwks.find(&rs_kid).unwrap()).unwrap();
    let mut v = Validation::new(Algorithm::ES384);
    v.set_audience(&["https://api.example.com"]);
    assert!(jsonwebtoken::decode::<Value>(token, &rs_key, &v).is_err());
    let es_key = DecodingKey::from_jwk(jwks.find(&es_kid).unwrap()).unwrap();
    v.set_audience(&["someone-else"]);
    assert!(jsonwebtoken::decode::<Value>(token, &es_key, &v).is_err());

    assert_eq!(h.request_count("GetWebIdentityToken"), 2);
    h.shutdown().await;
}

#[tokio::test]
async fn bad_input_is_refused_with_the_sdk_error_code() {
    let h = common::start().await;
    let ep = h.endpoint();
    let client = sts(&ep).await;
    async fn refused(
        b: aws_sdk_sts::operation::get_web_identity_token::builders::GetWebIdentityTokenFluentBuilder,
    ) -> (Option<String>, String) {
        let e = b.send().await.expect_err("refused");
        let e = e.into_service_error();
        (
            e.code().map(str::to_string),
            e.message().unwrap_or_default().to_string(),
        )
    }
    let cases: Vec<(
        aws_sdk_sts::operation::get_web_identity_token::builders::GetWebIdentityTokenFluentBuilder,
        &str,
    )> = vec![
        (
            client.get_web_identity_token().signing_algorithm("ES384"),
            "'audience'",
        ),
        (
            client
                .get_web_identity_token()
                .set_audience(Some(vec![]))
                .signing_algorithm("ES384"),
            "'audience'",
        ),
        (
            client
                .get_web_identity_token()
                .set_audience(Some((0..11).map(|i| format!("a{i}")).collect()))
                .signing_algorithm("ES384"),
            "less than or equal to 10",
        ),
        (
            client
                .get_web_identity_token()
                .audience("x".repeat(1001))
                .signing_algorithm("ES384"),
            "'audience.member.1'",
        ),
        (
            client.get_web_identity_token().audience("a"),
            "'signingAlgorithm'",
        ),
        (
            client
                .get_web_identity_token()
                .audience("a")
                .signing_algorithm("HS256"),
            "[ES384, RS256]",
        ),
        (
            client
                .get_web_identity_token()
                .audience("a")
                .signing_algorithm("ES384")
                .duration_seconds(59),
            "'durationSeconds'",
        ),
        (
            client
                .get_web_identity_token()
                .audience("a")
                .signing_algorithm("RS256")
                .duration_seconds(3601),
            "between 60 and 3600 (got 3601)",
        ),
        (
            client
                .get_web_identity_token()
                .audience("a")
                .signing_algorithm("ES384")
                .set_tags(Some((0..51).map(|i| tag(&format!("k{i}"), "v")).collect())),
            "'tags'",
        ),
        (
            client
                .get_web_identity_token()
                .audience("a")
                .signing_algorithm("ES384")
                .tags(tag("ok", "v"))
                .tags(tag("bad#key", "v")),
            "'tags.member.2.key'",
        ),
        (
            client
                .get_web_identity_token()
                .audience("a")
                .signing_algorithm("ES384")
                .tags(tag("k", &"v".repeat(257))),
            "'tags.member.1.value'",
        ),
    ];
    for (b, needle) in cases {
        let (code, message) = refused(b).await;
        assert_eq!(code.as_deref(), Some("ValidationError"), "{message}");
        assert!(message.contains(needle), "{message:?} names {needle}");
    }

    // The wire: another action, a GET, a JSON body.
    let http = reqwest::Client::new();
    let r = http
        .post(&ep)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("Action=AssumeRole&Version=2011-06-15")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body = r.text().await.unwrap();
    assert!(body.contains("<Code>InvalidAction</Code>"), "{body}");
    assert!(body.contains("<Type>Sender</Type>"), "{body}");
    let r = http.get(&ep).send().await.unwrap();
    assert_eq!(r.status(), 405);
    let r = http
        .post(&ep)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    h.shutdown().await;
}

#[tokio::test]
async fn signing_keys_survive_a_restart_with_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let start = || {
        LocalIdentityService::builder()
            .port(0)
            .data_dir(dir.path())
            .start()
    };
    let h = start().await.unwrap();
    let (_, jwks1) = discover(&h.endpoint()).await;
    let out = sts(&h.endpoint())
        .await
        .get_web_identity_token()
        .audience("aud")
        .signing_algorithm("RS256")
        .send()
        .await
        .unwrap();
    let token = out.web_identity_token().unwrap().to_string();
    let first_iss = h.endpoint();
    h.shutdown().await;

    let h = start().await.unwrap();
    let (_, jwks2) = discover(&h.endpoint()).await;
    assert_eq!(
        serde_json::to_value(&jwks1).unwrap(),
        serde_json::to_value(&jwks2).unwrap()
    );
    verify(&token, &jwks2, Algorithm::RS256, &first_iss, "aud");
    h.shutdown().await;

    // Without a data directory, keys are per process.
    let a = common::start().await;
    let b = common::start().await;
    let (_, ja) = discover(&a.endpoint()).await;
    let (_, jb) = discover(&b.endpoint()).await;
    assert_ne!(ja.keys[0].common.key_id, jb.keys[0].common.key_id);
}

#[tokio::test]
async fn sigv4_verification_applies_to_sts() {
    let h = LocalIdentityService::builder()
        .port(0)
        .verify_sigv4("AKIDLOCAL", "local-secret")
        .principal_arn("arn:aws:iam::000000000000:role/custom")
        .start()
        .await
        .unwrap();
    let client = |secret: &'static str| {
        let ep = h.endpoint();
        async move {
            let conf = aws_config::defaults(BehaviorVersion::latest())
                .region("eu-west-1")
                .credentials_provider(Credentials::new("AKIDLOCAL", secret, None, None, "t"))
                .endpoint_url(ep)
                .load()
                .await;
            aws_sdk_sts::Client::new(&conf)
        }
    };
    let good = client("local-secret").await;
    let out = good
        .get_web_identity_token()
        .audience("aud")
        .signing_algorithm("ES384")
        .send()
        .await
        .unwrap();
    let (_, jwks) = discover(&h.endpoint()).await;
    let c = verify(
        out.web_identity_token().unwrap(),
        &jwks,
        Algorithm::ES384,
        &h.endpoint(),
        "aud",
    );
    assert_eq!(c[AWS]["source_region"], "eu-west-1");
    assert_eq!(c["sub"], "arn:aws:iam::000000000000:role/custom");
    let bad = client("wrong-secret").await;
    let e = bad
        .get_web_identity_token()
        .audience("aud")
        .signing_algorithm("ES384")
        .send()
        .await
        .expect_err("refused")
        .into_service_error();
    assert_eq!(e.code(), Some("SignatureDoesNotMatch"));
    h.shutdown().await;
}

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

#[tokio::test]
async fn no_token_in_trace_logs() {
    let buf = Buf::default();
    let writer = buf.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();
    let h = common::start().await;
    let out = sts(&h.endpoint())
        .await
        .get_web_identity_token()
        .audience("aud")
        .signing_algorithm("ES384")
        .tags(tag("k", "v"))
        .send()
        .await
        .unwrap();
    let token = out.web_identity_token().unwrap().to_string();
    assert!(!format!("{out:?}").contains(&token));
    h.shutdown().await;
    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("web identity token issued"), "logs captured");
    let signature = token.rsplit('.').next().unwrap();
    assert!(!logs.contains(signature), "the token's signature is logged");
    assert!(
        !logs.contains(token.split('.').nth(1).unwrap()),
        "the token's claims are logged"
    );
}

/// The guard's refusals at `/` (foreign `Host`, cross-origin `Origin`, cross-site
/// `Sec-Fetch-Site`) and an oversized body answer in STS's XML error shape, which `aws-sdk-sts`
/// parses into its error code; the API paths keep the restJson1 shape.
#[tokio::test]
async fn guard_refusals_at_the_sts_endpoint_answer_in_xml() {
    let h = common::start().await;
    let ep = h.endpoint();
    let port = h.local_addr().port();
    let client = sts(&ep).await;
    let foreign_host = format!("attacker.example:{port}");
    for (name, value, why) in [
        (
            "host",
            foreign_host.as_str(),
            "the Host header does not name this service",
        ),
        (
            "origin",
            "http://evil.example",
            "cross-origin requests are not served",
        ),
        (
            "sec-fetch-site",
            "cross-site",
            "cross-site browser requests are not served",
        ),
    ] {
        let v = value.to_string();
        let e = client
            .get_web_identity_token()
            .audience("a")
            .signing_algorithm("ES384")
            .customize()
            .mutate_request(move |r| {
                r.headers_mut().insert(name, v.clone());
            })
            .send()
            .await
            .expect_err("refused by the guard");
        let raw = e.raw_response().expect("an HTTP answer");
        assert_eq!(raw.status().as_u16(), 403, "{name}");
        assert_eq!(
            raw.headers().get("content-type"),
            Some("text/xml"),
            "{name}"
        );
        let e = e.into_service_error();
        assert_eq!(e.code(), Some("AccessDenied"), "{name}: {e:?}");
        assert!(e.message().unwrap().contains(why), "{name}: {e:?}");
    }

    // Raw HTTP: the XML document STS answers, with a request id.
    let form =
        "Action=GetWebIdentityToken&Version=2011-06-15&Audience.member.1=a&SigningAlgorithm=ES384";
    let r = reqwest::Client::new()
        .post(format!("{ep}/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", "http://evil.example")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.headers().get("x-amzn-errortype").is_none());
    assert!(r.headers().get("x-amzn-requestid").is_some());
    let body = r.text().await.unwrap();
    assert!(
        body.starts_with("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"),
        "{body}"
    );
    for part in [
        "<Type>Sender</Type>",
        "<Code>AccessDenied</Code>",
        "<Message>Request refused: cross-origin requests are not served</Message>",
        "<RequestId>",
    ] {
        assert!(body.contains(part), "{part} in {body}");
    }

    // Over the body limit (1 MiB): STS's ValidationError, through the SDK too.
    let e = client
        .get_web_identity_token()
        .audience("a".repeat(1024 * 1024 + 1))
        .signing_algorithm("ES384")
        .send()
        .await
        .expect_err("too large");
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 413);
    let e = e.into_service_error();
    assert_eq!(e.code(), Some("ValidationError"), "{e:?}");
    assert!(e.message().unwrap().contains("exceeds"), "{e:?}");

    // The same refusal on an API path keeps the restJson1 shape.
    let r = reqwest::Client::new()
        .post(format!("{ep}/identities/ListWorkloadIdentities"))
        .header("content-type", "application/json")
        .header("origin", "http://evil.example")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.headers().get("x-amzn-errortype").unwrap(),
        "AccessDeniedException"
    );
    h.shutdown().await;
}
