//! A user binary against a separately started `agentcore-identity-local`, configured only by the
//! standard AWS environment variables (as it would be against AWS):
//!
//! ```sh
//! # terminal 1: the service, keeping its data (without --data-dir it is gone at exit)
//! cargo run -p agentcore-identity-local -- serve --port 8787 --data-dir ./.identity-data
//!
//! # terminal 2
//! export AWS_ENDPOINT_URL_BEDROCK_AGENTCORE=http://127.0.0.1:8787
//! export AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL=http://127.0.0.1:8787
//! export AWS_REGION=us-east-1      # the AWS CLI reads AWS_DEFAULT_REGION instead
//! export OPENAI_API_KEY=sk-...     # stored in the vault on the first run only
//! cargo run -p agentcore-identity --example against_local_service
//! ```
//!
//! No AWS credentials are needed: with an endpoint override and none on the machine, the client
//! signs with dummy credentials. The first run creates the API key provider and, through the local
//! development flow, a workload identity and `.agentcore.json` in the working directory.

use agentcore_identity::{
    ExposeSecret, IdentityClient, SecretString, ServiceErrorKind, requires_api_key,
};

const PROVIDER: &str = "openai-apikey-provider";

#[requires_api_key(provider_name = "openai-apikey-provider")]
async fn key_length(api_key: SecretString) -> Result<usize, agentcore_identity::Error> {
    Ok(api_key.expose_secret().len())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = IdentityClient::from_env().await?;
    agentcore_identity::set_default_client(client.clone());
    match client.get_api_key_credential_provider(PROVIDER).await {
        Ok(_) => println!("provider {PROVIDER} exists"),
        Err(e) if e.is_resource_not_found() => {
            let key = std::env::var("OPENAI_API_KEY")
                .map_err(|_| "set OPENAI_API_KEY to store it in the vault on the first run")?;
            client
                .create_api_key_credential_provider(PROVIDER, SecretString::from(key))
                .await?;
            println!("created provider {PROVIDER}");
        }
        Err(e) if matches!(e.service_kind(), Some(ServiceErrorKind::AccessDenied)) => {
            return Err(format!("the service refused the request: {e}").into());
        }
        Err(e) => return Err(e.into()),
    }
    let len = key_length().await?;
    println!("the key from the vault has {len} characters (the second call is cached)");
    key_length().await?;
    Ok(())
}
