//! The Rust half of `bench/side-by-side.sh`: the same work as `bench/side_by_side.py` does with the
//! Python `bedrock-agentcore` SDK's decorators, through `#[requires_api_key]` and
//! `#[requires_access_token]`, against one `agentcore-identity-local` service.
//!
//! ```text
//! side-by-side setup --discovery-url URL --client-id ID --client-secret SECRET
//! side-by-side run --phase PHASE --n N [--no-cache]
//! ```
//!
//! Endpoints, region and credentials come from the environment
//! (`AWS_ENDPOINT_URL_BEDROCK_AGENTCORE`, `AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL`,
//! `AWS_REGION`, `AWS_ACCESS_KEY_ID`, ...). `run` prints one JSON object: per-call latencies
//! (median, p99, ...), and the process's peak resident memory (`VmHWM`).

use std::time::{Duration, Instant};

use agentcore_identity::context::{self, RequestContext};
use agentcore_identity::control::Oauth2ProviderConfig;
use agentcore_identity::secrecy::{ExposeSecret, SecretString};
use agentcore_identity::{
    CacheConfig, CacheScope, Error, IdentityClient, ServiceErrorKind, requires_access_token,
    requires_api_key,
};
use clap::{Parser, Subcommand, ValueEnum};

/// Names shared with `bench/side_by_side.py` and `bench/side-by-side.sh`.
const WORKLOAD: &str = "bench-agent";
const API_KEY_PROVIDER: &str = "bench-apikey";
const API_KEY_PROVIDER_CONCURRENT: &str = "bench-apikey-concurrent";
const M2M_PROVIDER: &str = "bench-m2m";
const API_KEY_VALUE: &str = "sk-bench-0123456789abcdef";

#[derive(Debug, Parser)]
#[command(name = "side-by-side", about = "Rust side of bench/side-by-side.sh")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Creates the workload identity and the credential providers (idempotent).
    Setup {
        /// The test IdP's OpenID discovery URL.
        #[arg(long)]
        discovery_url: String,
        /// The IdP's M2M (client_credentials) client id.
        #[arg(long)]
        client_id: String,
        /// The IdP's M2M client secret.
        #[arg(long)]
        client_secret: String,
    },
    /// Runs one phase and prints its figures as JSON.
    Run {
        /// Which work to do.
        #[arg(long, value_enum)]
        phase: Phase,
        /// Number of calls.
        #[arg(long, default_value_t = 200)]
        n: usize,
        /// Switch the token cache off (every call goes to the service, as in Python).
        #[arg(long)]
        no_cache: bool,
        /// Keep API keys and M2M tokens per workload (`CacheScope::Workload`, the default on
        /// AgentCore Runtime) instead of per workload access token.
        #[arg(long)]
        workload_scope: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Phase {
    /// N sequential `#[requires_api_key]` calls, no request context: local development mode
    /// (`.agentcore.json` in the working directory).
    LocalDevApiKey,
    /// N sequential `#[requires_api_key]` calls with the workload access token in the context.
    CtxApiKey,
    /// N sequential `#[requires_access_token(auth_flow = "M2M")]` calls, token in the context.
    CtxM2m,
    /// N concurrent `#[requires_api_key]` calls (cold cache), token in the context.
    Concurrent,
    /// N invocations, each in its own context with a fresh workload access token (as AgentCore
    /// Runtime hands out), one `#[requires_api_key]` call each; minting the token is not timed.
    FreshWat,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::LocalDevApiKey => "local_dev_api_key",
            Phase::CtxApiKey => "ctx_api_key",
            Phase::CtxM2m => "ctx_m2m",
            Phase::Concurrent => "concurrent",
            Phase::FreshWat => "fresh_wat",
        }
    }
}

// ---- the decorated functions: the same as the Python side's --------------------------------

#[requires_api_key(provider_name = "bench-apikey")]
async fn call_with_api_key(api_key: SecretString) -> Result<usize, Error> {
    Ok(api_key.expose_secret().len())
}

#[requires_api_key(provider_name = "bench-apikey-concurrent")]
async fn call_with_api_key_concurrent(api_key: SecretString) -> Result<usize, Error> {
    Ok(api_key.expose_secret().len())
}

#[requires_access_token(provider_name = "bench-m2m", scopes = ["read"], auth_flow = "M2M")]
async fn call_with_m2m_token(access_token: SecretString) -> Result<usize, Error> {
    Ok(access_token.expose_secret().len())
}

// ---- measurement -------------------------------------------------------------------------

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    // nearest-rank
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Peak resident set size of this process, in KiB (`VmHWM`).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn summary(phase: Phase, side: &str, mut calls: Vec<Duration>, wall: Duration) -> String {
    let first = calls.first().copied().unwrap_or_default();
    calls.sort_unstable();
    let total: Duration = calls.iter().sum();
    serde_json::json!({
        "side": side,
        "phase": phase.name(),
        "n": calls.len(),
        "first_us": us(first),
        "median_us": us(percentile(&calls, 50.0)),
        "p99_us": us(percentile(&calls, 99.0)),
        "mean_us": if calls.is_empty() { 0.0 } else { us(total) / calls.len() as f64 },
        "max_us": us(calls.last().copied().unwrap_or_default()),
        "wall_ms": wall.as_secs_f64() * 1e3,
        "peak_rss_kib": peak_rss_kib(),
    })
    .to_string()
}

async fn sequential<F, Fut>(n: usize, f: F) -> Result<Vec<Duration>, Error>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<usize, Error>>,
{
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let len = f().await?;
        out.push(t.elapsed());
        assert!(len > 0, "empty credential");
    }
    Ok(out)
}

async fn run(phase: Phase, n: usize, cache: bool, workload_scope: bool) -> Result<String, Error> {
    let mut builder = IdentityClient::builder();
    let side = match (cache, workload_scope) {
        (false, _) => {
            builder = builder.cache(CacheConfig::disabled());
            "rust-nocache"
        }
        (true, true) => {
            builder = builder.cache(
                CacheConfig::new()
                    .api_key_scope(CacheScope::Workload)
                    .m2m_scope(CacheScope::Workload),
            );
            "rust-workload"
        }
        (true, false) => "rust",
    };
    let client = builder.build().await?;
    agentcore_identity::set_default_client(client.clone());

    let in_ctx = || async {
        let wat = client
            .get_workload_access_token(
                WORKLOAD,
                agentcore_identity::WorkloadUser::UserId("bench-user-rust".into()),
            )
            .await?;
        Ok::<_, Error>(RequestContext::new().with_workload_access_token(wat))
    };

    let started = Instant::now();
    let calls = match phase {
        Phase::LocalDevApiKey => sequential(n, call_with_api_key).await?,
        Phase::CtxApiKey => {
            let ctx = in_ctx().await?;
            let started = Instant::now();
            let calls = RequestContext::scope(ctx, sequential(n, call_with_api_key)).await?;
            return Ok(summary(phase, side, calls, started.elapsed()));
        }
        Phase::CtxM2m => {
            let ctx = in_ctx().await?;
            let started = Instant::now();
            let calls = RequestContext::scope(ctx, sequential(n, call_with_m2m_token)).await?;
            return Ok(summary(phase, side, calls, started.elapsed()));
        }
        Phase::FreshWat => {
            // The tokens are minted by a client of their own, outside the timing.
            let minter = IdentityClient::builder()
                .cache(CacheConfig::disabled())
                .build()
                .await?;
            let mut calls = Vec::with_capacity(n);
            let started = Instant::now();
            for i in 0..n {
                let wat = minter
                    .get_workload_access_token(
                        WORKLOAD,
                        agentcore_identity::WorkloadUser::UserId(format!("bench-user-{i}")),
                    )
                    .await?;
                let ctx = RequestContext::new().with_workload_access_token(wat);
                let t = Instant::now();
                let len = RequestContext::scope(ctx, call_with_api_key()).await?;
                calls.push(t.elapsed());
                assert!(len > 0, "empty credential");
            }
            return Ok(summary(phase, side, calls, started.elapsed()));
        }
        Phase::Concurrent => {
            let ctx = in_ctx().await?;
            let started = Instant::now();
            let calls = RequestContext::scope(ctx, async {
                let tasks: Vec<_> = (0..n)
                    .map(|_| {
                        context::spawn(async {
                            let t = Instant::now();
                            let len = call_with_api_key_concurrent().await?;
                            assert!(len > 0, "empty credential");
                            Ok::<_, Error>(t.elapsed())
                        })
                    })
                    .collect();
                let mut out = Vec::with_capacity(n);
                for t in futures::future::join_all(tasks).await {
                    out.push(t.expect("task did not panic")?);
                }
                Ok::<_, Error>(out)
            })
            .await?;
            return Ok(summary(phase, side, calls, started.elapsed()));
        }
    };
    Ok(summary(phase, side, calls, started.elapsed()))
}

fn ignore_conflict<T>(r: Result<T, Error>) -> Result<(), Error> {
    match r {
        Ok(_) => Ok(()),
        Err(e) if matches!(e.service_kind(), Some(ServiceErrorKind::Conflict)) => Ok(()),
        Err(e) => Err(e),
    }
}

async fn setup(
    discovery_url: String,
    client_id: String,
    client_secret: String,
) -> Result<(), Error> {
    let client = IdentityClient::builder().build().await?;
    ignore_conflict(client.create_workload_identity(Some(WORKLOAD), &[]).await)?;
    for p in [API_KEY_PROVIDER, API_KEY_PROVIDER_CONCURRENT] {
        ignore_conflict(
            client
                .create_api_key_credential_provider(p, SecretString::from(API_KEY_VALUE))
                .await,
        )?;
    }
    ignore_conflict(
        client
            .create_oauth2_credential_provider(
                M2M_PROVIDER,
                Oauth2ProviderConfig::custom_discovery_url(
                    discovery_url,
                    client_id,
                    SecretString::from(client_secret),
                ),
            )
            .await,
    )?;
    eprintln!(
        "setup done: {WORKLOAD}, {API_KEY_PROVIDER}, {API_KEY_PROVIDER_CONCURRENT}, {M2M_PROVIDER}"
    );
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let r = match cli.command {
        Command::Setup {
            discovery_url,
            client_id,
            client_secret,
        } => setup(discovery_url, client_id, client_secret).await,
        Command::Run {
            phase,
            n,
            no_cache,
            workload_scope,
        } => run(phase, n, !no_cache, workload_scope).await.map(|json| {
            #[allow(clippy::print_stdout, reason = "the figures are the output")]
            {
                println!("{json}");
            }
        }),
    };
    match r {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("side-by-side: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
