use agentcore_identity::secrecy::SecretString;
use agentcore_identity::{requires_access_token, requires_api_key};

#[derive(Debug)]
struct MyError;
impl From<agentcore_identity::Error> for MyError {
    fn from(_: agentcore_identity::Error) -> Self {
        MyError
    }
}

#[requires_api_key]
async fn no_provider(api_key: SecretString) -> Result<(), MyError> {
    let _ = api_key;
    Ok(())
}

#[requires_access_token(provider_name = "google")]
async fn no_flow_no_scopes(access_token: SecretString) -> Result<(), MyError> {
    let _ = access_token;
    Ok(())
}

#[requires_api_key(provider_name = "openai", workload_identity = "my-agent")]
async fn no_user(api_key: SecretString) -> Result<(), MyError> {
    let _ = api_key;
    Ok(())
}

fn main() {}
