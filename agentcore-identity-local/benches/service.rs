//! Throughput, latency, memory and restart figures of agentcore-identity-local.
//!
//! `cargo bench -p agentcore-identity-local --bench service`
//!
//! - GetResourceApiKey: 64 concurrent clients over raw HTTP (reqwest, SigV4-shaped header, no
//!   signing), service in the same process, so client and server share the machine's cores.
//! - VmRSS of the process (service + client) idle, and after creating 10,000 API-key providers.
//! - Restart: open the store holding 10,000 vault tokens and serve `/health`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use agentcore_identity_local::LocalIdentityService;

const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/bedrock-agentcore/aws4_request, SignedHeaders=host, Signature=abc";

fn vm_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

async fn post(c: &reqwest::Client, url: &str, body: serde_json::Value) -> reqwest::Response {
    c.post(url)
        .header("authorization", AUTH)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("request")
}

#[tokio::main]
async fn main() {
    let quick = std::env::var("BENCH_QUICK").is_ok();
    let dir = tempfile::tempdir().unwrap();
    let h = LocalIdentityService::builder()
        .data_dir(dir.path())
        .start()
        .await
        .unwrap();
    let ep = h.endpoint();
    let c = reqwest::Client::builder()
        .pool_max_idle_per_host(128)
        .build()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rss_idle = vm_rss_kib();

    post(
        &c,
        &format!("{ep}/identities/CreateWorkloadIdentity"),
        serde_json::json!({"name": "bench-agent"}),
    )
    .await;
    post(
        &c,
        &format!("{ep}/identities/CreateApiKeyCredentialProvider"),
        serde_json::json!({"name": "bench-key", "apiKey": "sk-bench-0123456789"}),
    )
    .await;
    let wat: serde_json::Value = post(
        &c,
        &format!("{ep}/identities/GetWorkloadAccessTokenForUserId"),
        serde_json::json!({"workloadName": "bench-agent", "userId": "alice"}),
    )
    .await
    .json()
    .await
    .unwrap();
    let body = Arc::new(
        serde_json::json!({"workloadIdentityToken": wat["workloadAccessToken"], "resourceCredentialProviderName": "bench-key"}),
    );

    // ---- GetResourceApiKey, 64 concurrent clients ----
    let clients = 64;
    let per_client = if quick { 100 } else { 500 };
    let url = Arc::new(format!("{ep}/identities/api-key"));
    // warm-up
    for _ in 0..200 {
        post(&c, &url, (*body).clone()).await;
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (c, url, body) = (c.clone(), url.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(per_client);
            for _ in 0..per_client {
                let t = Instant::now();
                let r = post(&c, &url, (*body).clone()).await;
                assert_eq!(r.status(), 200);
                let _ = r.bytes().await;
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut lat: Vec<Duration> = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed();
    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    let total = lat.len();
    println!(
        "GetResourceApiKey: {total} requests, 64 concurrent clients: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        total as f64 / elapsed.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        lat[total - 1].as_secs_f64() * 1e3
    );
    assert_eq!(h.request_count("GetResourceApiKey") as usize, total + 200);

    // ---- 10,000 providers ----
    let n_providers = if quick { 1000 } else { 10_000 };
    let started = Instant::now();
    let mut tasks = Vec::new();
    let per = n_providers / 16;
    for w in 0..16 {
        let (c, ep) = (c.clone(), ep.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..per {
                let r = post(
                    &c,
                    &format!("{ep}/identities/CreateApiKeyCredentialProvider"),
                    serde_json::json!({"name": format!("p-{w:02}-{i:05}"), "apiKey": format!("sk-{w}-{i}-abcdefghijklmnop")}),
                )
                .await;
                assert_eq!(r.status(), 201);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let create_secs = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rss_providers = vm_rss_kib();
    println!(
        "VmRSS idle (service + bench client): {:.1} MiB",
        rss_idle as f64 / 1024.0
    );
    println!(
        "VmRSS with {} API-key providers: {:.1} MiB (created in {:.1} s, {:.0} creates/s, each committed with fsync)",
        per * 16,
        rss_providers as f64 / 1024.0,
        create_secs,
        (per * 16) as f64 / create_secs
    );
    h.shutdown().await;

    // ---- restart with 10,000 stored tokens ----
    let n_tokens = if quick { 1000 } else { 10_000 };
    agentcore_identity_local::__bench::seed_tokens(dir.path(), n_tokens).unwrap();
    let started = Instant::now();
    let h = LocalIdentityService::builder()
        .data_dir(dir.path())
        .start()
        .await
        .unwrap();
    let r = c
        .get(format!("{}/health", h.endpoint()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let restart = started.elapsed();
    let r = post(
        &c,
        &format!("{}/identities/api-key", h.endpoint()),
        (*body).clone(),
    )
    .await;
    assert_eq!(r.status(), 200);
    let first = started.elapsed();
    println!(
        "Restart with {n_tokens} stored tokens and {} providers: ready (store opened, /health answered) in {:.1} ms; first GetResourceApiKey answered at {:.1} ms",
        per * 16 + 1,
        restart.as_secs_f64() * 1e3,
        first.as_secs_f64() * 1e3
    );
    let db = std::fs::metadata(dir.path().join("identity.redb"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!("Store size on disk: {:.1} MiB", db as f64 / 1048576.0);
    h.shutdown().await;
}
