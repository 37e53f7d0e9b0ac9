use agentcore_identity::secrecy::SecretString;
use agentcore_identity::requires_access_token;

#[derive(Debug)]
struct MyError;
impl From<agentcore_identity::Error> for MyError {
    fn from(_: agentcore_identity::Error) -> Self {
        MyError
    }
}

#[requires_access_token(provider_name = "google", scopes = [], auth_flow = "CLIENT_CREDENTIALS")]
async fn unknown_flow(access_token: SecretString) -> Result<(), MyError> {
    let _ = access_token;
    Ok(())
}

#[requires_access_token(provider_name = "google", scopes = [], auth_flow = "m2m")]
async fn wrong_case(access_token: SecretString) -> Result<(), MyError> {
    let _ = access_token;
    Ok(())
}

// The Rust enum instead of the string.
#[requires_access_token(provider_name = "google", scopes = [], auth_flow = agentcore_identity::AuthFlow::M2M)]
async fn enum_value(access_token: SecretString) -> Result<(), MyError> {
    let _ = access_token;
    Ok(())
}

// M2M never asks the user: the arguments of the user flow would be ignored.
#[requires_access_token(
    provider_name = "google",
    scopes = [],
    auth_flow = "M2M",
    on_auth_url = |url: &str| println!("{url}"),
    non_blocking,
)]
async fn user_args_on_m2m(access_token: SecretString) -> Result<(), MyError> {
    let _ = access_token;
    Ok(())
}

fn main() {}
