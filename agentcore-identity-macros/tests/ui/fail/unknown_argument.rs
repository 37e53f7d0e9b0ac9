use agentcore_identity::secrecy::SecretString;
use agentcore_identity::{requires_access_token, requires_api_key, requires_wat};

#[derive(Debug)]
struct MyError;
impl From<agentcore_identity::Error> for MyError {
    fn from(_: agentcore_identity::Error) -> Self {
        MyError
    }
}

#[requires_api_key(provider_nme = "openai")]
async fn typo(api_key: SecretString) -> Result<(), MyError> {
    let _ = api_key;
    Ok(())
}

// An argument of another attribute.
#[requires_api_key(provider_name = "openai", scopes = ["a"])]
async fn scopes_on_api_key(api_key: SecretString) -> Result<(), MyError> {
    let _ = api_key;
    Ok(())
}

#[requires_wat(provider_name = "openai")]
async fn provider_on_wat(identity_wat: SecretString) -> Result<(), MyError> {
    let _ = identity_wat;
    Ok(())
}

#[requires_access_token(provider_name = "google", scopes = [], auth_flow = "M2M", into = token)]
async fn into_not_a_string(token: SecretString) -> Result<(), MyError> {
    let _ = token;
    Ok(())
}

fn main() {
    // Despite the argument errors the injected parameters are gone: no arity errors here.
    let _ = typo();
    let _ = scopes_on_api_key();
    let _ = provider_on_wat();
    let _ = into_not_a_string();
}

// No underscore: the closest argument is named.
#[requires_access_token(provider_name = "google", scopes = [], authflow = "M2M")]
async fn no_underscore(access_token: SecretString) -> Result<(), MyError> {
    let _ = access_token;
    Ok(())
}
