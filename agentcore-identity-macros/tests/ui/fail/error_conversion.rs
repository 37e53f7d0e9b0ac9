use agentcore_identity::secrecy::SecretString;
use agentcore_identity::requires_api_key;

#[derive(Debug)]
struct NoFrom;

// `NoFrom` has no `From<agentcore_identity::Error>`: reported on the return type.
#[requires_api_key(provider_name = "openai")]
async fn no_from(api_key: SecretString) -> Result<(), NoFrom> {
    let _ = api_key;
    Ok(())
}

fn main() {}
