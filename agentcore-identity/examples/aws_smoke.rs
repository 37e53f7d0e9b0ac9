//! A check against real AWS, in your account: the quickstart's flow on the real AgentCore
//! Identity service, with unique names, removing everything it created.
//!
//! ```sh
//! scripts/aws-smoke.sh            # or:
//! cargo run -p agentcore-identity --example aws_smoke
//! ```
//!
//! Needs AWS credentials (any source the AWS SDK reads: environment, profile, SSO, instance or
//! container role) and a region where AgentCore Identity is available (`AWS_REGION`, or the
//! profile's; default `us-west-2`). Without credentials it says so and exits 0. Endpoint
//! overrides (`AWS_ENDPOINT_URL*`, `BEDROCK_AGENTCORE_*_ENDPOINT`) are refused: this is the check
//! against the real service; the local one is what every other example and test uses.
//!
//! What it does, each step printed with its time:
//! 1. creates a workload identity `agentcore-identity-smoke-<8 hex>`,
//! 2. creates an API key credential provider of the same name holding a random key,
//! 3. gets a workload access token for the user `smoke-user`,
//! 4. gets the API key through [`IdentityClient::get_api_key`] with that token and checks it is
//!    the one stored; asks again (served from the cache: compare the two times),
//! 5. gets an IAM web identity token (STS `GetWebIdentityToken`; skipped when the account has
//!    not enabled outbound web identity federation),
//! 6. deletes the provider and the workload identity, also when a step failed.
//!
//! IAM permissions it needs: `bedrock-agentcore:CreateWorkloadIdentity`,
//! `GetWorkloadIdentity`, `DeleteWorkloadIdentity`, `CreateApiKeyCredentialProvider`,
//! `DeleteApiKeyCredentialProvider`, `GetWorkloadAccessTokenForUserId`, `GetResourceApiKey`,
//! `sts:GetWebIdentityToken`
//! (and `secretsmanager:*` on the secret the service creates for the key, which the service
//! does in your name), `CreateTokenVault` the first time the account uses the token vault.

use std::process::ExitCode;
use std::time::Instant;

use agentcore_identity::{
    ApiKeyRequest, Error, ExposeSecret, IamTokenRequest, IdentityClient, SecretString, WorkloadUser,
};
use aws_sdk_bedrockagentcore::config::ProvideCredentials;

const OVERRIDES: [&str; 5] = [
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE",
    "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL",
    "BEDROCK_AGENTCORE_DP_ENDPOINT",
    "BEDROCK_AGENTCORE_CP_ENDPOINT",
];

#[tokio::main]
async fn main() -> ExitCode {
    if let Some(var) = OVERRIDES.iter().find(|v| std::env::var_os(v).is_some()) {
        eprintln!(
            "aws-smoke: {var} is set; this check runs against real AWS only (unset it, or use the \
             local service's examples instead)"
        );
        return ExitCode::FAILURE;
    }
    let region = std::env::var("AWS_REGION")
        .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
        .ok();
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if region.is_none() {
        loader = loader.region(
            aws_config::meta::region::RegionProviderChain::default_provider().or_else("us-west-2"),
        );
    }
    let sdk = loader.load().await;
    let Some(credentials) = sdk.credentials_provider() else {
        println!("aws-smoke: no AWS credentials provider configured; skipped (exit 0)");
        return ExitCode::SUCCESS;
    };
    if let Err(e) = credentials.provide_credentials().await {
        println!("aws-smoke: no AWS credentials found ({e}); skipped (exit 0)");
        return ExitCode::SUCCESS;
    }
    let region = sdk.region().map(ToString::to_string).unwrap_or_default();
    println!("aws-smoke: real AWS, region {region}");

    let client = IdentityClient::new(&sdk);
    let name = format!("agentcore-identity-smoke-{}", uuid::Uuid::new_v4().simple())
        .chars()
        .take("agentcore-identity-smoke-".len() + 8)
        .collect::<String>();
    let mut created = Created::default();
    let outcome = run(&client, &name, &mut created).await;
    let cleaned = cleanup(&client, &created).await;
    match (outcome, cleaned) {
        (Ok(()), true) => {
            println!("aws-smoke: passed");
            ExitCode::SUCCESS
        }
        (Ok(()), false) => {
            eprintln!("aws-smoke: the flow passed but cleaning up failed (see above)");
            ExitCode::FAILURE
        }
        (Err(e), _) => {
            eprintln!("aws-smoke: FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What was created, so it is removed whatever happened after.
#[derive(Debug, Default)]
struct Created {
    workload: Option<String>,
    provider: Option<String>,
}

type BoxError = Box<dyn std::error::Error>;

async fn run(client: &IdentityClient, name: &str, created: &mut Created) -> Result<(), BoxError> {
    let t = Instant::now();
    let workload = client.create_workload_identity(Some(name), &[]).await?;
    created.workload = Some(workload.name.clone());
    println!(
        "1. workload identity {} ({:.0?})",
        workload.arn,
        t.elapsed()
    );

    let key = SecretString::from(format!("sk-smoke-{}", uuid::Uuid::new_v4().simple()));
    let t = Instant::now();
    let provider = client
        .create_api_key_credential_provider(name, key.clone())
        .await?;
    created.provider = Some(provider.name.clone());
    println!(
        "2. API key credential provider {} ({:.0?})",
        provider.arn,
        t.elapsed()
    );

    let t = Instant::now();
    let wat = client
        .get_workload_access_token(name, WorkloadUser::UserId("smoke-user".into()))
        .await?;
    println!(
        "3. workload access token for smoke-user ({:.0?})",
        t.elapsed()
    );

    let request = ApiKeyRequest::new(name).workload_access_token(wat);
    let t = Instant::now();
    let got = client.get_api_key(&request).await?;
    let first = t.elapsed();
    if got.expose_secret() != key.expose_secret() {
        return Err("GetResourceApiKey returned a different key than the one stored".into());
    }
    let t = Instant::now();
    let again = client.get_api_key(&request).await?;
    let second = t.elapsed();
    if again.expose_secret() != key.expose_secret() {
        return Err("the second get_api_key returned a different key".into());
    }
    // A cache hit takes well under a millisecond; a request to the service, milliseconds.
    println!("4. get_api_key: the stored key ({first:.0?}); again, from the cache ({second:.1?})");

    // STS GetWebIdentityToken works only where an administrator enabled outbound web identity
    // federation for the account: skipped (not failed) when it is off.
    let t = Instant::now();
    match client
        .get_iam_access_token(IamTokenRequest::new([
            "https://agentcore-identity-smoke.example",
        ]))
        .await
    {
        Ok(token) => println!(
            "5. IAM web identity token, {} characters ({:.0?})",
            token.expose_secret().len(),
            t.elapsed()
        ),
        Err(Error::WebIdentityFederationDisabled { .. }) => println!(
            "5. IAM web identity token: skipped, outbound web identity federation is not enabled \
             for this account"
        ),
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

async fn cleanup(client: &IdentityClient, created: &Created) -> bool {
    let mut ok = true;
    if let Some(provider) = &created.provider {
        match client.delete_api_key_credential_provider(provider).await {
            Ok(()) => println!("6. deleted API key credential provider {provider}"),
            Err(e) => {
                eprintln!("6. could not delete API key credential provider {provider}: {e}");
                ok = false;
            }
        }
    }
    if let Some(workload) = &created.workload {
        match client.delete_workload_identity(workload).await {
            Ok(()) => println!("6. deleted workload identity {workload}"),
            Err(e) => {
                eprintln!("6. could not delete workload identity {workload}: {e}");
                ok = false;
            }
        }
    }
    ok
}
