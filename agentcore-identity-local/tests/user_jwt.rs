//! User JWTs tried as an attacker would: `alg: none`, no signature, a forged signature, another
//! issuer, another audience or client, against GetWorkloadAccessTokenForJWT and
//! CompleteResourceTokenAuth. With a trusted issuer (the testkit's real OpenID provider) only its
//! signed, unexpired JWTs for the allowed audience and client are accepted.

mod common;

use agentcore_identity_local::{LocalIdentityService, ServiceHandle, TrustedIssuer};
use agentcore_identity_testkit::{DEFAULT_AUDIENCE, TestIdp, WEB_CLIENT_ID};
use aws_sdk_bedrockagentcore::error::ProvideErrorMetadata;
use aws_sdk_bedrockagentcore::types::UserIdentifier;
use base64::Engine;

fn b64(s: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

/// The JWT with its signature replaced by `sig`.
fn resigned(jwt: &str, sig: &str) -> String {
    let mut parts: Vec<&str> = jwt.split('.').collect();
    parts[2] = sig;
    parts.join(".")
}

/// The JWT with header `alg: none`.
fn alg_none(jwt: &str) -> String {
    let parts: Vec<&str> = jwt.split('.').collect();
    format!("{}.{}.{}", b64(br#"{"alg":"none"}"#), parts[1], parts[2])
}

async fn for_jwt(h: &ServiceHandle, jwt: &str) -> Result<String, String> {
    let (dp, _) = common::clients(&h.endpoint()).await;
    dp.get_workload_access_token_for_jwt()
        .workload_name("agent")
        .user_token(jwt)
        .send()
        .await
        .map(|o| o.workload_access_token().to_string())
        .map_err(|e| {
            let e = e.into_service_error();
            format!("{}: {}", e.code().unwrap_or("?"), e.message().unwrap_or(""))
        })
}

async fn service(trust: Option<TrustedIssuer>) -> ServiceHandle {
    let mut b = LocalIdentityService::builder();
    if let Some(t) = trust {
        b = b.trust_issuer(t);
    }
    let h = b.start().await.unwrap();
    let (_, cp) = common::clients(&h.endpoint()).await;
    cp.create_workload_identity()
        .name("agent")
        .send()
        .await
        .unwrap();
    h
}

#[tokio::test]
async fn alg_none_and_unsigned_jwts_are_always_refused() {
    let idp = TestIdp::start().await;
    let real = idp.user_jwt("alice").await;
    let h = service(None).await;
    // Without a trusted issuer a signed JWT is taken as given ...
    for_jwt(&h, &real).await.unwrap();
    // ... but never one that says it is not signed, or has no signature (the model's pattern
    // already refuses an empty third part).
    let e = for_jwt(&h, &alg_none(&real)).await.unwrap_err();
    assert!(e.starts_with("AccessDeniedException"), "{e}");
    let e = for_jwt(&h, &resigned(&real, "")).await.unwrap_err();
    assert!(e.starts_with("ValidationException"), "{e}");
    let (dp, _) = common::clients(&h.endpoint()).await;
    let e = dp
        .complete_resource_token_auth()
        .session_uri("urn:ietf:params:oauth:request_uri:x")
        .user_identifier(UserIdentifier::UserToken(alg_none(&real)))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(e.code(), Some("AccessDeniedException"), "{e:?}");
    h.shutdown().await;
}

#[tokio::test]
async fn a_trusted_issuer_verifies_signature_issuer_audience_and_client() {
    let idp = TestIdp::start().await;
    let other = TestIdp::start().await;
    let real = idp.user_jwt("alice").await;
    let foreign = other.user_jwt("alice").await;
    let trusted = TrustedIssuer::new(idp.discovery_url())
        .audiences([DEFAULT_AUDIENCE])
        .clients([WEB_CLIENT_ID]);
    let h = service(Some(trusted.clone())).await;
    for_jwt(&h, &real).await.unwrap();
    let forged_sig = resigned(&real, &b64(&[7u8; 256]));
    // A payload changed under the original signature.
    let tampered = {
        let parts: Vec<&str> = real.split('.').collect();
        let mut claims: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(parts[1])
                .unwrap(),
        )
        .unwrap();
        claims["sub"] = "mallory".into();
        format!(
            "{}.{}.{}",
            parts[0],
            b64(claims.to_string().as_bytes()),
            parts[2]
        )
    };
    for (what, jwt) in [
        ("forged signature", forged_sig),
        ("tampered claims", tampered),
        ("another issuer", foreign.clone()),
        ("alg none", alg_none(&real)),
    ] {
        let e = for_jwt(&h, &jwt).await.unwrap_err();
        assert!(e.starts_with("AccessDeniedException"), "{what}: {e}");
        assert!(!e.contains(&jwt), "{what}: the JWT is echoed");
    }
    h.shutdown().await;

    // Another audience, another client: refused.
    for t in [
        TrustedIssuer::new(idp.discovery_url()).audiences(["urn:someone-else"]),
        TrustedIssuer::new(idp.discovery_url()).clients(["another-client"]),
    ] {
        let h = service(Some(t)).await;
        let e = for_jwt(&h, &real).await.unwrap_err();
        assert!(e.starts_with("AccessDeniedException"), "{e}");
        h.shutdown().await;
    }

    // Two trusted issuers: each one's JWTs.
    let h = LocalIdentityService::builder()
        .trust_issuer(trusted)
        .trust_issuer(TrustedIssuer::new(other.discovery_url()))
        .start()
        .await
        .unwrap();
    let (_, cp) = common::clients(&h.endpoint()).await;
    cp.create_workload_identity()
        .name("agent")
        .send()
        .await
        .unwrap();
    for_jwt(&h, &real).await.unwrap();
    for_jwt(&h, &foreign).await.unwrap();
    h.shutdown().await;
}

#[test]
fn trust_issuer_flag_syntax() {
    let t: TrustedIssuer =
        "http://127.0.0.1:1/.well-known/openid-configuration;audience=a,b;client=c"
            .parse()
            .unwrap();
    assert_eq!(
        t,
        TrustedIssuer::new("http://127.0.0.1:1/.well-known/openid-configuration")
            .audiences(["a", "b"])
            .clients(["c"])
    );
    assert!("not a url".parse::<TrustedIssuer>().is_err());
    assert!("http://x/;colour=red".parse::<TrustedIssuer>().is_err());
}
