#![deny(dead_code)]

use agentcore_identity::secrecy::SecretString;
use agentcore_identity::requires_api_key;

#[derive(Debug)]
struct MyError;
impl From<agentcore_identity::Error> for MyError {
    fn from(_: agentcore_identity::Error) -> Self {
        MyError
    }
}

// Still reported as dead code: the expansion never refers to the function.
#[requires_api_key(provider_name = "openai")]
async fn never_called(api_key: SecretString) -> Result<(), MyError> {
    let _ = api_key;
    Ok(())
}

fn main() {
    let _ = MyError;
}
