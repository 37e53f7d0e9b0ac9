//! The service tried as an attacker would: a hostile web page in the developer's browser (DNS
//! rebinding, cross-site requests), hostile input (amplification), a caller moving a provider's
//! endpoints to steal its secret, recycled workload identities, hostile outbound peers, and
//! SigV4 shortcuts. Every attack goes over real HTTP against the in-process service.

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use agentcore_identity_local::{LocalIdentityService, ServiceHandle};
use agentcore_identity_testkit::{M2M_CLIENT_ID, M2M_CLIENT_SECRET, TestIdp, WEB_CLIENT_ID};
use aws_sdk_bedrockagentcore::types::Oauth2FlowType;
use aws_sdk_bedrockagentcorecontrol::types::Oauth2Discovery;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A POST with extra headers; returns (status, x-amzn-errortype, body text).
async fn post(
    h: &ServiceHandle,
    path: &str,
    headers: &[(&str, &str)],
    body: Value,
) -> (u16, Option<String>, String) {
    let mut req = reqwest::Client::new()
        .post(format!("http://{}{path}", h.local_addr()))
        .header("content-type", "application/json")
        .body(body.to_string());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    let et = r
        .headers()
        .get("x-amzn-errortype")
        .map(|v| v.to_str().unwrap().to_string());
    (status, et, r.text().await.unwrap())
}

async fn get(h: &ServiceHandle, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut req = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}{path}", h.endpoint()));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.expect("request");
    (r.status().as_u16(), r.text().await.unwrap())
}

const LIST: &str = "/identities/ListWorkloadIdentities";

// ---- 1. DNS rebinding and cross-site requests ---------------------------------------------------

#[tokio::test]
async fn dns_rebinding_and_cross_site_requests_are_refused() {
    let h = common::start().await;
    let port = h.local_addr().port();
    let own = [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("LOCALHOST:{port}"),
        format!("[::1]:{port}"),
    ];
    for host in &own {
        let (s, _, b) = post(&h, LIST, &[("host", host)], json!({})).await;
        assert_eq!(s, 200, "Host {host}: {b}");
    }
    // A page whose name re-resolves to 127.0.0.1 sends its own name in Host.
    for host in [
        format!("attacker.example:{port}"),
        "attacker.example".to_string(),
        format!("127.0.0.1:{}", port.wrapping_add(1)),
        format!("127.0.0.1.attacker.example:{port}"),
    ] {
        let (s, et, b) = post(&h, LIST, &[("host", &host)], json!({})).await;
        assert_eq!(
            (s, et.as_deref()),
            (403, Some("AccessDeniedException")),
            "Host {host}: {b}"
        );
        let (s, _) = get(
            &h,
            "/identities/oauth2/authorize?request_uri=x",
            &[("host", &host)],
        )
        .await;
        assert_eq!(s, 403, "browser route with Host {host}");
    }
    // A cross-site page's requests carry its Origin, or Sec-Fetch-Site.
    for headers in [
        vec![("origin", "http://evil.example")],
        vec![("origin", "null")],
        vec![("origin", "http://localhost:3000")],
        vec![("sec-fetch-site", "cross-site")],
        vec![("sec-fetch-site", "same-site")],
    ] {
        let (s, et, b) = post(&h, LIST, &headers, json!({})).await;
        assert_eq!(
            (s, et.as_deref()),
            (403, Some("AccessDeniedException")),
            "{headers:?}: {b}"
        );
    }
    // The service's own origin (its own pages) is fine.
    let own_origin = format!("http://127.0.0.1:{port}");
    let (s, _, _) = post(&h, LIST, &[("origin", &own_origin)], json!({})).await;
    assert_eq!(s, 200);
    let (s, _, _) = post(&h, LIST, &[("sec-fetch-site", "same-origin")], json!({})).await;
    assert_eq!(s, 200);
    // The browser routes stay navigable from the provider's site ...
    let (s, body) = get(
        &h,
        "/identities/oauth2/callback?state=nope&code=x",
        &[
            ("sec-fetch-site", "cross-site"),
            ("origin", "http://idp.example"),
        ],
    )
    .await;
    assert_eq!(s, 400, "{body}");
    assert!(body.contains("Unknown or already used state"), "{body}");
    // ... but take no cross-site POST.
    let (s, _, _) = post(
        &h,
        "/identities/oauth2/callback?state=nope&code=x",
        &[("origin", "http://evil.example")],
        json!({}),
    )
    .await;
    assert_eq!(s, 403);
    h.shutdown().await;
}

#[tokio::test]
async fn public_url_names_an_accepted_host() {
    let h = LocalIdentityService::builder()
        .public_url("http://identity.test:4444")
        .start()
        .await
        .unwrap();
    let (s, _, b) = post(&h, LIST, &[("host", "identity.test:4444")], json!({})).await;
    assert_eq!(s, 200, "{b}");
    let (s, _, b) = post(
        &h,
        LIST,
        &[("origin", "http://identity.test:4444")],
        json!({}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let (s, _, _) = post(&h, LIST, &[("host", "identity.test:4445")], json!({})).await;
    assert_eq!(s, 403);
    h.shutdown().await;
}

#[tokio::test]
async fn a_network_bind_needs_sigv4_or_the_insecure_flag() {
    let any = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
    let e = LocalIdentityService::builder()
        .bind(any)
        .start()
        .await
        .expect_err("0.0.0.0 without SigV4 must not start");
    assert!(e.to_string().contains("verify"), "{e}");
    let h = LocalIdentityService::builder()
        .bind(any)
        .verify_sigv4("AKID", "secret")
        .start()
        .await
        .unwrap();
    h.shutdown().await;
    let h = LocalIdentityService::builder()
        .bind(any)
        .insecure_allow_unauthenticated_network(true)
        .start()
        .await
        .unwrap();
    h.shutdown().await;
}

// ---- 2. amplification ---------------------------------------------------------------------------

#[tokio::test]
async fn error_bodies_stay_small_whatever_the_input() {
    let h = common::start().await;
    let scopes: Vec<String> = vec![String::new(); 300_000];
    let long_key = "k".repeat(200_000);
    let bodies = [
        json!({"workloadIdentityToken": "x", "resourceCredentialProviderName": "p",
               "oauth2Flow": "M2M", "scopes": scopes}),
        json!({"workloadIdentityToken": "x", "resourceCredentialProviderName": "p",
               "oauth2Flow": "M2M", "scopes": [], "customParameters": {long_key.clone(): ""}}),
        json!({"workloadIdentityToken": "x", "resourceCredentialProviderName": "p",
               "oauth2Flow": "M2M", "scopes": [],
               "resources": (0..50_000).map(|i| format!("{i:0>3000}")).take(300).collect::<Vec<_>>()}),
    ];
    for body in bodies {
        let started = Instant::now();
        let (s, et, text) = post(&h, "/identities/oauth2/token", &[], body).await;
        assert_eq!((s, et.as_deref()), (400, Some("ValidationException")));
        assert!(text.len() <= 8 * 1024, "error body of {} bytes", text.len());
        let v: Value = serde_json::from_str(&text).unwrap();
        let fields = v["fieldList"].as_array().unwrap();
        assert!(!fields.is_empty() && fields.len() <= 10, "{}", fields.len());
        assert!(started.elapsed() < Duration::from_secs(10));
    }
    // An unknown path as long as the head allows: a short error too.
    let path = format!("/identities/{}", "x".repeat(30_000));
    let (s, _, text) = post(&h, &path, &[], json!({})).await;
    assert_eq!(s, 404);
    assert!(text.len() <= 8 * 1024, "error body of {} bytes", text.len());
    h.shutdown().await;
}

// ---- 3. a stored secret never follows a moved endpoint -------------------------------------------

fn metadata(token_endpoint: &str) -> Value {
    json!({"authorizationServerMetadata": {
        "issuer": "https://idp.example",
        "authorizationEndpoint": "https://idp.example/authorize",
        "tokenEndpoint": token_endpoint,
    }})
}

fn custom(name: &str, discovery: Value, client_id: &str, secret: Option<&str>) -> Value {
    let mut cfg = json!({"oauthDiscovery": discovery, "clientId": client_id});
    if let Some(s) = secret {
        cfg["clientSecret"] = json!(s);
    }
    json!({"name": name, "credentialProviderVendor": "CustomOauth2",
           "oauth2ProviderConfigInput": {"customOauth2ProviderConfig": cfg}})
}

#[tokio::test]
async fn moving_a_provider_needs_its_secret_again() {
    let h = common::start().await;
    let create = "/identities/CreateOauth2CredentialProvider";
    let update = "/identities/UpdateOauth2CredentialProvider";
    let good = metadata("https://idp.example/token");
    let (s, _, b) = post(
        &h,
        create,
        &[],
        custom("p", good.clone(), "id", Some("s3cr3t")),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    // Same endpoints and client: the stored secret is kept.
    let (s, _, b) = post(&h, update, &[], custom("p", good.clone(), "id", None)).await;
    assert_eq!(s, 200, "{b}");
    // Moved token endpoint, moved discovery, another client id: refused without the secret.
    let secret_field = "oauth2ProviderConfigInput.customOauth2ProviderConfig.clientSecret";
    for body in [
        custom("p", metadata("https://attacker.example/token"), "id", None),
        custom(
            "p",
            json!({"discoveryUrl": "https://attacker.example/.well-known/openid-configuration"}),
            "id",
            None,
        ),
        custom("p", good.clone(), "other-id", None),
    ] {
        let (s, et, b) = post(&h, update, &[], body).await;
        assert_eq!(
            (s, et.as_deref()),
            (400, Some("ValidationException")),
            "{b}"
        );
        assert!(b.contains(secret_field), "{b}");
    }
    // Moved with a new secret: fine.
    let moved = metadata("https://idp2.example/token");
    let (s, _, b) = post(&h, update, &[], custom("p", moved, "id", Some("new"))).await;
    assert_eq!(s, 200, "{b}");
    h.shutdown().await;
}

// ---- 4. recycled workload identities --------------------------------------------------------------

#[tokio::test]
async fn a_recreated_workload_does_not_inherit_tokens_or_sessions() {
    let idp = TestIdp::start().await;
    let h = common::start().await;
    let (dp, cp) = common::clients(&h.endpoint()).await;
    let create = || async {
        cp.create_workload_identity()
            .name("agent")
            .send()
            .await
            .unwrap();
    };
    create().await;
    cp.create_api_key_credential_provider()
        .name("key")
        .api_key("sk-recycled")
        .send()
        .await
        .unwrap();
    let disc = || Oauth2Discovery::DiscoveryUrl(idp.discovery_url());
    common::custom_oauth2_provider(&cp, "m2m", disc(), M2M_CLIENT_ID, M2M_CLIENT_SECRET).await;
    common::custom_oauth2_provider(&cp, "web", disc(), WEB_CLIENT_ID, "web-secret").await;
    let wat = || async {
        dp.get_workload_access_token_for_user_id()
            .workload_name("agent")
            .user_id("alice")
            .send()
            .await
            .unwrap()
            .workload_access_token()
            .to_string()
    };
    let old = wat().await;
    let m2m = |w: String| {
        dp.get_resource_oauth2_token()
            .workload_identity_token(w)
            .resource_credential_provider_name("m2m")
            .scopes("read")
            .oauth2_flow(Oauth2FlowType::M2M)
            .send()
    };
    let t1 = m2m(old.clone())
        .await
        .unwrap()
        .access_token()
        .unwrap()
        .to_string();
    let pending = dp
        .get_resource_oauth2_token()
        .workload_identity_token(&old)
        .resource_credential_provider_name("web")
        .scopes("openid")
        .oauth2_flow(Oauth2FlowType::UserFederation)
        .send()
        .await
        .unwrap();
    let auth_url = pending.authorization_url().unwrap().to_string();

    cp.delete_workload_identity()
        .name("agent")
        .send()
        .await
        .unwrap();
    create().await;

    // The token minted before the delete is refused ...
    let e = dp
        .get_resource_api_key()
        .workload_identity_token(&old)
        .resource_credential_provider_name("key")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_access_denied_exception(), "{e:?}");
    // ... the vault forgot the old incarnation's tokens ...
    let t2 = m2m(wat().await)
        .await
        .unwrap()
        .access_token()
        .unwrap()
        .to_string();
    assert_ne!(
        t1, t2,
        "a token of the deleted workload identity was served"
    );
    // ... and its pending sessions.
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(&auth_url)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        400,
        "a session of the deleted workload was served"
    );
    h.shutdown().await;
}

// ---- 10. outbound reads, SigV4 shortcuts ----------------------------------------------------------

/// A peer that answers every request with 200 and an endless JSON body.
async fn endless_peer() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let _ = s
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{\"issuer\":\"",
                    )
                    .await;
                let chunk = vec![b'a'; 64 * 1024];
                while s.write_all(&chunk).await.is_ok() {}
            });
        }
    });
    format!("http://{addr}")
}

/// A peer that accepts and never answers.
async fn silent_peer() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            held.push(s);
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn outbound_reads_are_bounded_in_size_and_time() {
    let h = LocalIdentityService::builder()
        .outbound_timeout(Duration::from_secs(2))
        .start()
        .await
        .unwrap();
    let (_, cp) = common::clients(&h.endpoint()).await;
    // One attempt per call: the time measured is the service's, not the SDK's retries.
    let conf = common::sdk_config(&h.endpoint()).await.into_builder();
    let dp = aws_sdk_bedrockagentcore::Client::new(
        &conf
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build(),
    );
    cp.create_workload_identity()
        .name("agent")
        .send()
        .await
        .unwrap();
    let endless = endless_peer().await;
    let silent = silent_peer().await;
    for (name, base) in [("endless", &endless), ("silent", &silent)] {
        let started = Instant::now();
        common::custom_oauth2_provider(
            &cp,
            &format!("{name}-discovery"),
            Oauth2Discovery::DiscoveryUrl(format!("{base}/.well-known/openid-configuration")),
            "id",
            "secret",
        )
        .await;
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{name} discovery took {:?}",
            started.elapsed()
        );
        let meta =
            aws_sdk_bedrockagentcorecontrol::types::Oauth2AuthorizationServerMetadata::builder()
                .issuer(base)
                .authorization_endpoint(format!("{base}/authorize"))
                .token_endpoint(format!("{base}/token"))
                .build()
                .unwrap();
        common::custom_oauth2_provider(
            &cp,
            &format!("{name}-token"),
            Oauth2Discovery::AuthorizationServerMetadata(meta),
            "id",
            "secret",
        )
        .await;
        let w = dp
            .get_workload_access_token()
            .workload_name("agent")
            .send()
            .await
            .unwrap()
            .workload_access_token()
            .to_string();
        let started = Instant::now();
        let e = dp
            .get_resource_oauth2_token()
            .workload_identity_token(w)
            .resource_credential_provider_name(format!("{name}-token"))
            .scopes("read")
            .oauth2_flow(Oauth2FlowType::M2M)
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        assert!(e.is_internal_server_exception(), "{name}: {e:?}");
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{name} token endpoint took {:?}",
            started.elapsed()
        );
    }
    h.shutdown().await;
}

/// SigV4-signs a POST of `body` to `path` with `x-amz-content-sha256: UNSIGNED-PAYLOAD`.
fn sign_unsigned_payload(host: &str, path: &str, ak: &str, secret: &str) -> Vec<(String, String)> {
    use hmac::{Hmac, Mac};
    use sha2::{Digest, Sha256};
    let hmac = |k: &[u8], d: &str| {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(k).unwrap();
        m.update(d.as_bytes());
        m.finalize().into_bytes().to_vec()
    };
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // civil from days (Howard Hinnant)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let date = format!("{y:04}{m:02}{d:02}");
    let amz = format!(
        "{date}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    let signed = "host;x-amz-content-sha256;x-amz-date";
    let canonical = format!(
        "POST\n{path}\n\nhost:{host}\nx-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:{amz}\n\n{signed}\nUNSIGNED-PAYLOAD"
    );
    let scope = format!("{date}/us-east-1/bedrock-agentcore/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let mut k = hmac(format!("AWS4{secret}").as_bytes(), &date);
    for part in ["us-east-1", "bedrock-agentcore", "aws4_request"] {
        k = hmac(&k, part);
    }
    let sig = hex::encode(hmac(&k, &to_sign));
    vec![
        ("x-amz-date".into(), amz),
        ("x-amz-content-sha256".into(), "UNSIGNED-PAYLOAD".into()),
        (
            "authorization".into(),
            format!(
                "AWS4-HMAC-SHA256 Credential={ak}/{scope}, SignedHeaders={signed}, Signature={sig}"
            ),
        ),
    ]
}

#[tokio::test]
async fn sigv4_mode_refuses_unsigned_payloads() {
    let h = LocalIdentityService::builder()
        .verify_sigv4("AKIDLOCAL", "local-secret")
        .start()
        .await
        .unwrap();
    let host = format!("127.0.0.1:{}", h.local_addr().port());
    let headers = sign_unsigned_payload(&host, LIST, "AKIDLOCAL", "local-secret");
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // The signature itself is right: with a wrong secret the answer differs.
    let wrong = sign_unsigned_payload(&host, LIST, "AKIDLOCAL", "wrong");
    let wrong: Vec<(&str, &str)> = wrong
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (s, et, b) = post(&h, LIST, &wrong, json!({})).await;
    assert_eq!(
        (s, et.as_deref()),
        (403, Some("InvalidSignatureException")),
        "{b}"
    );
    let (s, et, b) = post(&h, LIST, &headers, json!({})).await;
    assert_eq!(s, 403, "an UNSIGNED-PAYLOAD request was served: {b}");
    assert_eq!(et.as_deref(), Some("InvalidSignatureException"), "{b}");
    assert!(b.contains("UNSIGNED-PAYLOAD"), "{b}");
    h.shutdown().await;
}
