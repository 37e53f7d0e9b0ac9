use agentcore_identity::secrecy::SecretString;
use agentcore_identity::requires_api_key;

#[derive(Debug)]
struct MyError;
impl From<agentcore_identity::Error> for MyError {
    fn from(_: agentcore_identity::Error) -> Self {
        MyError
    }
}

#[requires_api_key(provider_name = "openai api key")]
async fn space(api_key: SecretString) -> Result<(), MyError> {
    let _ = api_key;
    Ok(())
}

#[requires_api_key(provider_name = "")]
async fn empty(api_key: SecretString) -> Result<(), MyError> {
    let _ = api_key;
    Ok(())
}

#[requires_api_key(provider_name = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
async fn too_long(api_key: SecretString) -> Result<(), MyError> {
    let _ = api_key;
    Ok(())
}

fn main() {}
