//! The main job, offline: an API key from the token vault through `#[requires_api_key]`.
//!
//! ```sh
//! cargo run -p agentcore-identity --example quickstart
//! ```
//!
//! 1. starts the local AgentCore Identity service in-process (no AWS account needed),
//! 2. creates the API key credential provider `openai-apikey-provider` (like the tutorial's
//!    notebook cell),
//! 3. calls a `#[requires_api_key]` function in local-development mode: no workload access token
//!    in the request context, so the client creates a workload identity, writes
//!    `.agentcore.json` (in a temporary directory here; the working directory by default, as in
//!    Python) and gets a workload access token for the local user,
//! 4. calls it again: served from the in-process cache, no request to the service,
//! 5. prints what happened: the credential (redacted), timings, requests per operation.

use std::time::{Duration, Instant};

use agentcore_identity::{ExposeSecret, SecretString};
use agentcore_identity::{IdentityClient, requires_api_key};
use agentcore_identity_local::{LocalIdentityService, ServiceHandle};
use sha2::{Digest, Sha256};

const PROVIDER: &str = "openai-apikey-provider";

/// What the agent would do with the key: here it only shows that the key arrived, redacted.
#[requires_api_key(provider_name = "openai-apikey-provider")]
async fn ask_model(
    prompt: &str,
    api_key: SecretString,
) -> Result<String, agentcore_identity::Error> {
    Ok(format!(
        "would send {prompt:?} to the model with key {}",
        redact(&api_key)
    ))
}

/// Never the key itself: its first three characters, its length and a fingerprint.
fn redact(secret: &SecretString) -> String {
    let s = secret.expose_secret();
    let head: String = s.chars().take(3).collect();
    let digest = Sha256::digest(s.as_bytes());
    format!(
        "{head}… ({} chars, sha256 {})",
        s.chars().count(),
        hex::encode(&digest[..4])
    )
}

const OPERATIONS: [&str; 5] = [
    "CreateApiKeyCredentialProvider",
    "CreateWorkloadIdentity",
    "GetWorkloadIdentity",
    "GetWorkloadAccessTokenForUserId",
    "GetResourceApiKey",
];

fn counts(service: &ServiceHandle) -> Vec<u64> {
    OPERATIONS
        .iter()
        .map(|op| service.request_count(op))
        .collect()
}

fn print_requests(label: &str, before: &[u64], after: &[u64]) {
    let made: Vec<String> = OPERATIONS
        .iter()
        .zip(before.iter().zip(after))
        .filter(|(_, (b, a))| a > b)
        .map(|(op, (b, a))| format!("{op} x{}", a - b))
        .collect();
    if made.is_empty() {
        println!("   requests to the service ({label}): none");
    } else {
        println!("   requests to the service ({label}): {}", made.join(", "));
    }
}

fn ms(d: Duration) -> String {
    if d < Duration::from_millis(1) {
        format!("{:.1} µs", d.as_secs_f64() * 1e6)
    } else {
        format!("{:.2} ms", d.as_secs_f64() * 1e3)
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let work = tempfile::tempdir()?;

    // 1. The local identity service, in-process, on a free loopback port.
    let service = LocalIdentityService::builder()
        .data_dir(work.path().join("vault"))
        .port(0)
        .start()
        .await?;
    println!(
        "1. local AgentCore Identity service at {}",
        service.endpoint()
    );

    // The client, pointed at it (on AWS: `IdentityClient::builder().build()` with no endpoint).
    let config_path = work.path().join(".agentcore.json");
    let client = IdentityClient::builder()
        .region("us-west-2")
        .endpoint_url(service.endpoint())
        .local_config_path(&config_path)
        .build()
        .await?;
    agentcore_identity::set_default_client(client.clone());

    // 2. The API key provider, as the tutorial's notebook cell does (a demo key, not a real one).
    let demo_key = SecretString::from(format!("sk-demo-{}", uuid::Uuid::new_v4().simple()));
    let before = counts(&service);
    let provider = client
        .create_api_key_credential_provider(PROVIDER, demo_key.clone())
        .await?;
    println!(
        "2. created API key credential provider {:?}\n   arn: {}\n   stored key: {}",
        provider.name,
        provider.arn,
        redact(&demo_key)
    );
    print_requests("create", &before, &counts(&service));

    // 3. First call: local-development mode (no workload access token in a request context).
    let before = counts(&service);
    let started = Instant::now();
    let answer = ask_model("What is 2×2?").await?;
    let first = started.elapsed();
    println!(
        "3. first call (local development, cache miss) in {}",
        ms(first)
    );
    println!("   {answer}");
    print_requests("first call", &before, &counts(&service));
    println!(
        "   {} now holds: {}",
        config_path.display(),
        std::fs::read_to_string(&config_path)?.trim()
    );

    // 4. Second call: from the in-process cache.
    let before = counts(&service);
    let started = Instant::now();
    let answer = ask_model("And the weather?").await?;
    let second = started.elapsed();
    println!("4. second call (cache hit) in {}", ms(second));
    println!("   {answer}");
    print_requests("second call", &before, &counts(&service));

    // 5. Summary.
    println!(
        "5. the cached call was {:.0}x faster; {} requests reached the service in all; \
         the key itself was never printed or logged.",
        first.as_secs_f64() / second.as_secs_f64().max(1e-9),
        service.total_requests()
    );

    service.shutdown().await;
    Ok(())
}
