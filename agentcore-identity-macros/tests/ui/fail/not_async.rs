use agentcore_identity::secrecy::SecretString;
use agentcore_identity::{requires_access_token, requires_api_key};

#[derive(Debug)]
struct MyError;
impl From<agentcore_identity::Error> for MyError {
    fn from(_: agentcore_identity::Error) -> Self {
        MyError
    }
}

#[requires_api_key(provider_name = "openai")]
fn sync_api_key(api_key: SecretString) -> Result<(), MyError> {
    let _ = api_key;
    Ok(())
}

#[requires_access_token(provider_name = "google", scopes = [], auth_flow = "M2M")]
fn sync_token(access_token: SecretString) -> Result<(), MyError> {
    let _ = access_token;
    Ok(())
}

fn main() {}
