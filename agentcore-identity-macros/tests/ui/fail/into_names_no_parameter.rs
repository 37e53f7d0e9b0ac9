use agentcore_identity::secrecy::SecretString;
use agentcore_identity::{requires_access_token, requires_api_key};

#[derive(Debug)]
struct MyError;
impl From<agentcore_identity::Error> for MyError {
    fn from(_: agentcore_identity::Error) -> Self {
        MyError
    }
}

#[requires_access_token(provider_name = "google", scopes = [], auth_flow = "M2M", into = "tokn")]
async fn typo(day: u32, token: SecretString) -> Result<(), MyError> {
    let _ = (day, token);
    Ok(())
}

// The default `into` of `#[requires_api_key]` is `api_key`, as in Python.
#[requires_api_key(provider_name = "openai")]
async fn default_into(key: SecretString) -> Result<(), MyError> {
    let _ = key;
    Ok(())
}

fn main() {}
