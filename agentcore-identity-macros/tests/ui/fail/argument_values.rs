use agentcore_identity::secrecy::SecretString;
use agentcore_identity::requires_access_token;

#[derive(Debug)]
struct MyError;
impl From<agentcore_identity::Error> for MyError {
    fn from(_: agentcore_identity::Error) -> Self {
        MyError
    }
}

#[requires_access_token(provider_name = "google", scopes = "calendar", auth_flow = "M2M")]
async fn scopes_not_a_list(access_token: SecretString) -> Result<(), MyError> {
    let _ = access_token;
    Ok(())
}

#[requires_access_token(
    provider_name = "google",
    scopes = [],
    auth_flow = "USER_FEDERATION",
    custom_parameters = { access_type: "offline" },
)]
async fn parameter_name_not_a_string(access_token: SecretString) -> Result<(), MyError> {
    let _ = access_token;
    Ok(())
}

// A sync callback must not return a future: use `|url: String| async move { .. }`.
async fn notify(_url: String) {}
#[requires_access_token(
    provider_name = "google",
    scopes = [],
    auth_flow = "USER_FEDERATION",
    on_auth_url = |url: &str| notify(url.to_owned()),
)]
async fn callback_returns_a_future(access_token: SecretString) -> Result<(), MyError> {
    let _ = access_token;
    Ok(())
}

fn main() {}
