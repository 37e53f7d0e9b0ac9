//! What `#[requires_api_key]` costs on a cache hit, against the same call made by hand through
//! `IdentityClient::get_api_key`: the workload access token is in the request context, the local
//! identity service runs on loopback (it is not reached: both paths are served by the cache).
//!
//! `cargo bench -p agentcore-identity-macros --bench macro_overhead`
//!
//! Medians measured on the 2-core CI machine while other benchmarks ran (load average 2.2-4.3),
//! four runs: by hand 415 / 435 / 522 / 430 ns, macro 445 / 459 / 421 / 437 ns, macro with the process
//! default client 450 / 457 / 445 / 547 ns (the last under load average 4). The macro-vs-hand
//! difference changes sign between runs (+30, +24, -101, +7 ns) and is smaller than the by-hand
//! call's own run-to-run spread.

use std::hint::black_box;
use std::time::Duration;

use agentcore_identity::context::RequestContext;
use agentcore_identity::secrecy::{ExposeSecret, SecretString};
use agentcore_identity::{ApiKeyRequest, Error, IdentityClient, requires_api_key};
use agentcore_identity_local::LocalIdentityService;
use criterion::{Criterion, criterion_group, criterion_main};

const PROVIDER: &str = "openai-apikey-provider";

#[requires_api_key(provider_name = "openai-apikey-provider", client = client)]
async fn decorated(client: &IdentityClient, api_key: SecretString) -> Result<usize, Error> {
    Ok(api_key.expose_secret().len())
}

#[requires_api_key(provider_name = "openai-apikey-provider")]
async fn decorated_default_client(api_key: SecretString) -> Result<usize, Error> {
    Ok(api_key.expose_secret().len())
}

/// The same function written without the macro.
async fn by_hand(client: &IdentityClient) -> Result<usize, Error> {
    let api_key = client.get_api_key(ApiKeyRequest::new(PROVIDER)).await?;
    Ok(api_key.expose_secret().len())
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (svc, client, ctx) = rt.block_on(async {
        let svc = LocalIdentityService::builder()
            .port(0)
            .start()
            .await
            .unwrap();
        let client = IdentityClient::builder()
            .region("us-east-1")
            .endpoint_url(svc.endpoint())
            .credentials_provider(aws_credential_types::Credentials::for_tests())
            .local_config_path(dir.path().join(".agentcore.json"))
            .env_lookup(|_| None)
            .build()
            .await
            .unwrap();
        client
            .create_api_key_credential_provider(PROVIDER, SecretString::from("sk-bench-0123456789"))
            .await
            .unwrap();
        client
            .create_workload_identity(Some("bench-agent"), &[])
            .await
            .unwrap();
        let wat = client
            .get_workload_access_token(
                "bench-agent",
                agentcore_identity::WorkloadUser::UserId("alice".into()),
            )
            .await
            .unwrap();
        agentcore_identity::set_default_client(client.clone());
        let ctx = RequestContext::new().with_workload_access_token(wat);
        // Fill the cache: from here on every call is a cache hit.
        RequestContext::scope(ctx.clone(), by_hand(&client))
            .await
            .unwrap();
        (svc, client, ctx)
    });
    let fetched = svc.request_count("GetResourceApiKey");

    let mut group = c.benchmark_group("api_key_cache_hit");
    group
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(6))
        .sample_size(100);
    group.bench_function("by_hand", |b| {
        b.to_async(&rt).iter(|| {
            RequestContext::scope(ctx.clone(), async { black_box(by_hand(&client).await) })
        })
    });
    group.bench_function("macro", |b| {
        b.to_async(&rt).iter(|| {
            RequestContext::scope(ctx.clone(), async { black_box(decorated(&client).await) })
        })
    });
    group.bench_function("macro_default_client", |b| {
        b.to_async(&rt).iter(|| {
            RequestContext::scope(ctx.clone(), async {
                black_box(decorated_default_client().await)
            })
        })
    });
    group.finish();

    assert_eq!(
        svc.request_count("GetResourceApiKey"),
        fetched,
        "every measured call was a cache hit"
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
