//! Load: 64 concurrent clients against the local service through `IdentityClient`, a mix of
//! writes (create / update API key credential providers with unique values) and reads
//! (`GetResourceApiKey`). No call may fail, every read must return the last value its client
//! acknowledged, and afterwards every acknowledged write must read back with its last value.
//!
//! Duration: `RELIABILITY_LOAD_SECS` (default 3; `bench/soak.sh` runs 60). Prints throughput and
//! latency percentiles (run with `--nocapture` to see them).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use agentcore_identity::{ApiKeyRequest, CacheConfig, Error, IdentityClient};
use agentcore_identity_local::LocalIdentityService;
use aws_credential_types::Credentials;
use secrecy::{ExposeSecret, SecretString};

const CLIENTS: usize = 64;
const WORKLOAD: &str = "load-agent";

fn duration() -> Duration {
    let secs = std::env::var("RELIABILITY_LOAD_SECS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(3.0);
    Duration::from_secs_f64(secs)
}

async fn client(endpoint: &str) -> IdentityClient {
    IdentityClient::builder()
        .region("us-east-1")
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("AKID", "SECRET", None, None, "load"))
        .env_lookup(|_| None)
        // reads must see the service, not a cached value
        .cache(CacheConfig::disabled())
        .build()
        .await
        .expect("client builds")
}

#[derive(Default)]
struct Stats {
    writes: Vec<Duration>,
    reads: Vec<Duration>,
    /// provider -> last acknowledged value
    acked: BTreeMap<String, String>,
}

/// A tiny deterministic PRNG (xorshift), so runs are reproducible per client id.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

async fn run_client(
    id: usize,
    endpoint: String,
    wat: SecretString,
    until: Instant,
) -> Result<Stats, String> {
    let c = client(&endpoint).await;
    let mut rng = Rng(0x2545_F491_4F6C_DD1D ^ ((id as u64 + 1) * 0x9E37_79B9));
    let mut stats = Stats::default();
    let mut names: Vec<String> = Vec::new();
    let mut seq = 0u64;
    // at least one operation (a write) per client, however late it starts
    while seq == 0 || Instant::now() < until {
        let roll = rng.next() % 10;
        seq += 1;
        if names.is_empty() || roll < 3 {
            // write: a new provider, or a new value for one of ours
            let value = format!("sk-load-{id}-{seq}-{:x}", rng.next());
            let t = Instant::now();
            let (name, r) = if names.is_empty() || roll == 0 {
                let name = format!("load-{id}-{}", names.len());
                let r = c
                    .create_api_key_credential_provider(&name, SecretString::from(value.clone()))
                    .await
                    .map(|_| ());
                (name, r)
            } else {
                let name = names[(rng.next() as usize) % names.len()].clone();
                let r = c
                    .update_api_key_credential_provider(&name, SecretString::from(value.clone()))
                    .await
                    .map(|_| ());
                (name, r)
            };
            r.map_err(|e: Error| format!("client {id}: write {name}: {e}"))?;
            stats.writes.push(t.elapsed());
            if !names.contains(&name) {
                names.push(name.clone());
            }
            stats.acked.insert(name, value);
        } else {
            let name = &names[(rng.next() as usize) % names.len()];
            let t = Instant::now();
            let got = c
                .get_api_key(ApiKeyRequest::new(name.as_str()).workload_access_token(wat.clone()))
                .await
                .map_err(|e| format!("client {id}: read {name}: {e}"))?;
            stats.reads.push(t.elapsed());
            let want = &stats.acked[name];
            if got.expose_secret() != want {
                return Err(format!(
                    "client {id}: read {name} returned an older or foreign value (expected the last acknowledged one)"
                ));
            }
        }
    }
    Ok(stats)
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_clients_lose_no_write() {
    let svc = LocalIdentityService::builder()
        .port(0)
        .start()
        .await
        .expect("service");
    let endpoint = svc.endpoint();
    let admin = client(&endpoint).await;
    admin
        .create_workload_identity(Some(WORKLOAD), &[])
        .await
        .expect("workload identity");
    let wat = admin
        .get_workload_access_token(
            WORKLOAD,
            agentcore_identity::WorkloadUser::UserId("load-user".into()),
        )
        .await
        .expect("workload access token");

    let d = duration();
    let started = Instant::now();
    let until = started + d;
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|id| tokio::spawn(run_client(id, endpoint.clone(), wat.clone(), until)))
        .collect();
    let mut all = Stats::default();
    let mut errors = Vec::new();
    for t in tasks {
        match tokio::time::timeout(d + Duration::from_secs(120), t).await {
            Ok(Ok(Ok(s))) => {
                all.writes.extend(s.writes);
                all.reads.extend(s.reads);
                all.acked.extend(s.acked);
            }
            Ok(Ok(Err(e))) => errors.push(e),
            Ok(Err(e)) => errors.push(format!("client task panicked: {e}")),
            Err(_) => errors.push("a client did not finish within its time limit".into()),
        }
    }
    let elapsed = started.elapsed();
    assert!(
        errors.is_empty(),
        "{} clients failed:\n{}",
        errors.len(),
        errors.join("\n")
    );

    // every acknowledged write reads back with its last value
    let checker = client(&endpoint).await;
    for (name, value) in &all.acked {
        let got = checker
            .get_api_key(ApiKeyRequest::new(name.as_str()).workload_access_token(wat.clone()))
            .await
            .unwrap_or_else(|e| panic!("read back {name}: {e}"));
        assert_eq!(
            got.expose_secret(),
            value,
            "{name} lost its last acknowledged write"
        );
    }
    let listed = checker
        .list_api_key_credential_providers()
        .await
        .expect("list");
    assert_eq!(
        listed.len(),
        all.acked.len(),
        "every created provider is listed, nothing more"
    );

    all.writes.sort_unstable();
    all.reads.sort_unstable();
    let mut both: Vec<Duration> = all.writes.iter().chain(all.reads.iter()).copied().collect();
    both.sort_unstable();
    let ops = both.len();
    assert!(
        all.writes.len() >= CLIENTS,
        "every client wrote at least once"
    );
    assert!(!all.reads.is_empty(), "some reads ran");
    eprintln!(
        "load: {CLIENTS} clients, {:.1} s: {ops} calls ({} writes, {} reads), 0 errors, {} providers verified; \
         throughput {:.0} calls/s; p50 {:.2} ms, p99 {:.2} ms (writes p99 {:.2} ms, reads p99 {:.2} ms)",
        elapsed.as_secs_f64(),
        all.writes.len(),
        all.reads.len(),
        all.acked.len(),
        ops as f64 / elapsed.as_secs_f64(),
        pct(&both, 50.0).as_secs_f64() * 1e3,
        pct(&both, 99.0).as_secs_f64() * 1e3,
        pct(&all.writes, 99.0).as_secs_f64() * 1e3,
        pct(&all.reads, 99.0).as_secs_f64() * 1e3,
    );
    svc.shutdown().await;
}
