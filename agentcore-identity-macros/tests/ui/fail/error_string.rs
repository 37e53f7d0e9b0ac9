use agentcore_identity::requires_api_key;
use agentcore_identity::secrecy::SecretString;

// No `From<agentcore_identity::Error>` can be written for `String` or `&str`.
#[requires_api_key(provider_name = "openai")]
async fn string_error(api_key: SecretString) -> Result<(), String> {
    let _ = api_key;
    Ok(())
}

#[requires_api_key(provider_name = "openai")]
async fn str_error(api_key: SecretString) -> Result<(), &'static str> {
    let _ = api_key;
    Ok(())
}

fn main() {}
