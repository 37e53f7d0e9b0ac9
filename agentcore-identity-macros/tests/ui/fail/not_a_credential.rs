use agentcore_identity::requires_api_key;

#[derive(Debug)]
struct MyError;
impl From<agentcore_identity::Error> for MyError {
    fn from(_: agentcore_identity::Error) -> Self {
        MyError
    }
}

#[requires_api_key(provider_name = "openai")]
async fn number(api_key: u64) -> Result<(), MyError> {
    let _ = api_key;
    Ok(())
}

#[requires_api_key(provider_name = "openai")]
async fn opaque(api_key: impl std::fmt::Display) -> Result<(), MyError> {
    let _ = api_key.to_string();
    Ok(())
}

fn main() {}
