//! Benchmarks: a cached `get_api_key`, an uncached call through the local service on loopback
//! (criterion median + a separate percentile loop), and 1,000 concurrent first calls for one key.

use std::sync::Arc;
use std::time::{Duration, Instant};

use agentcore_identity::context::RequestContext;
use agentcore_identity::{ApiKeyRequest, IdentityClient};
use agentcore_identity_local::{LocalIdentityService, ServiceHandle};
use aws_credential_types::Credentials;
use criterion::{Criterion, criterion_group, criterion_main};
use secrecy::SecretString;

struct Setup {
    svc: ServiceHandle,
    wat: SecretString,
    _dir: tempfile::TempDir,
}

async fn client(svc: &ServiceHandle, dir: &std::path::Path, cache: bool) -> IdentityClient {
    let mut b = IdentityClient::builder()
        .region("us-east-1")
        .endpoint_url(svc.endpoint())
        .credentials_provider(Credentials::for_tests())
        .local_config_path(dir.join(".agentcore.json"))
        .env_lookup(|_| None);
    if !cache {
        b = b.disable_cache();
    }
    b.build().await.expect("client")
}

async fn setup() -> Setup {
    let svc = LocalIdentityService::builder()
        .port(0)
        .start()
        .await
        .expect("service");
    let dir = tempfile::tempdir().unwrap();
    let c = client(&svc, dir.path(), true).await;
    c.create_api_key_credential_provider("openai", SecretString::from("sk-bench-0123456789"))
        .await
        .unwrap();
    c.create_workload_identity(Some("agent"), &[])
        .await
        .unwrap();
    let wat = c
        .get_workload_access_token(
            "agent",
            agentcore_identity::WorkloadUser::UserId("alice".into()),
        )
        .await
        .unwrap();
    Setup {
        svc,
        wat,
        _dir: dir,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn cached(c: &mut Criterion) {
    let rt = runtime();
    let s = rt.block_on(setup());
    let client = rt.block_on(client(&s.svc, s._dir.path(), true));
    let ctx = RequestContext::new().with_workload_access_token(s.wat.clone());
    rt.block_on(RequestContext::scope(
        ctx.clone(),
        client.get_api_key("openai"),
    ))
    .unwrap();
    let before = s.svc.request_count("GetResourceApiKey");
    c.bench_function("get_api_key/cached", |b| {
        b.to_async(&rt).iter(|| {
            RequestContext::scope(
                ctx.clone(),
                client.get_api_key(ApiKeyRequest::new("openai")),
            )
        })
    });
    assert_eq!(s.svc.request_count("GetResourceApiKey"), before, "all hits");
}

fn uncached(c: &mut Criterion) {
    let rt = runtime();
    let s = rt.block_on(setup());
    let client = rt.block_on(client(&s.svc, s._dir.path(), false));
    let ctx = RequestContext::new().with_workload_access_token(s.wat);
    let mut group = c.benchmark_group("get_api_key");
    group
        .sample_size(50)
        .measurement_time(Duration::from_secs(8));
    group.bench_function("uncached_loopback", |b| {
        b.to_async(&rt)
            .iter(|| RequestContext::scope(ctx.clone(), client.get_api_key("openai")))
    });
    group.finish();

    // Percentiles from a plain loop (criterion reports the median only).
    let n = 2_000;
    let mut samples: Vec<Duration> = rt.block_on(RequestContext::scope(ctx.clone(), async {
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            let t = Instant::now();
            client.get_api_key("openai").await.unwrap();
            v.push(t.elapsed());
        }
        v
    }));
    samples.sort();
    let p = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    eprintln!(
        "get_api_key/uncached_loopback over {n} calls: p50 {:?}, p90 {:?}, p99 {:?}, max {:?}",
        p(0.50),
        p(0.90),
        p(0.99),
        samples[samples.len() - 1]
    );
}

fn concurrent_first_calls(_c: &mut Criterion) {
    let rt = runtime();
    let s = rt.block_on(setup());
    let mut walls = Vec::new();
    for _ in 0..10 {
        // A fresh client: an empty cache, so all 1,000 calls are first calls for one key.
        let client = rt.block_on(client(&s.svc, s._dir.path(), true));
        let before = s.svc.request_count("GetResourceApiKey");
        let ctx = RequestContext::new().with_workload_access_token(s.wat.clone());
        let barrier = Arc::new(tokio::sync::Barrier::new(1_000));
        let wall = rt.block_on(RequestContext::scope(ctx, async {
            let start = Instant::now();
            let tasks: Vec<_> = (0..1_000)
                .map(|_| {
                    let client = client.clone();
                    let barrier = barrier.clone();
                    agentcore_identity::context::spawn(async move {
                        barrier.wait().await;
                        client.get_api_key("openai").await.unwrap();
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
            start.elapsed()
        }));
        let upstream = s.svc.request_count("GetResourceApiKey") - before;
        assert_eq!(upstream, 1, "single-flight");
        walls.push(wall);
    }
    walls.sort();
    eprintln!(
        "1,000 concurrent first calls for one key: wall median {:?} (min {:?}, max {:?}) over {} runs; upstream GetResourceApiKey requests per run: 1",
        walls[walls.len() / 2],
        walls[0],
        walls[walls.len() - 1],
        walls.len()
    );
}

criterion_group!(benches, cached, uncached, concurrent_first_calls);
criterion_main!(benches);
