use agentcore_identity::secrecy::SecretString;
use agentcore_identity::requires_api_key;

#[requires_api_key(provider_name = "openai")]
async fn no_return_type(api_key: SecretString) {
    let _ = api_key;
}

#[requires_api_key(provider_name = "openai")]
async fn tuple(api_key: SecretString) -> (u8, u8) {
    let _ = api_key;
    (1, 2)
}

#[requires_api_key(provider_name = "openai")]
async fn not_a_result(api_key: SecretString) -> String {
    let _ = api_key;
    String::new()
}

fn main() {}
