use agentcore_identity::{requires_access_token, requires_api_key};

#[derive(Debug)]
struct MyError;
impl From<agentcore_identity::Error> for MyError {
    fn from(_: agentcore_identity::Error) -> Self {
        MyError
    }
}

// The credential is handed over owned: `&str` cannot be injected.
#[requires_api_key(provider_name = "openai")]
async fn borrowed_key(api_key: &str) -> Result<(), MyError> {
    let _ = api_key;
    Ok(())
}

#[requires_access_token(provider_name = "google", scopes = [], auth_flow = "M2M")]
async fn borrowed_token(access_token: &String) -> Result<(), MyError> {
    let _ = access_token;
    Ok(())
}

fn main() {}
