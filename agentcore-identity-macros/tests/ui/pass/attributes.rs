//! Other attributes: docs, `#[cfg]`, `#[tracing::instrument]` (either order), `#[allow]`.
#![deny(warnings, unused_qualifications)]

use agentcore_identity::secrecy::SecretString;
use agentcore_identity::requires_api_key;

#[derive(Debug)]
pub struct MyError;
impl From<agentcore_identity::Error> for MyError {
    fn from(_: agentcore_identity::Error) -> Self {
        MyError
    }
}

/// Documented.
#[requires_api_key(provider_name = "openai-apikey-provider")]
#[tracing::instrument(skip_all, fields(prompt = %prompt))]
pub async fn instrumented_inside(prompt: &str, api_key: SecretString) -> Result<(), MyError> {
    let _ = api_key;
    tracing::info!("asking");
    Ok(())
}

// `instrument` first sees the credential parameter: skip it (its Debug is redacted anyway).
#[tracing::instrument(skip(api_key))]
#[requires_api_key(provider_name = "openai-apikey-provider")]
pub async fn instrumented_outside(prompt: &str, api_key: SecretString) -> Result<(), MyError> {
    let _ = api_key;
    Ok(())
}

#[cfg(any())]
#[requires_api_key(provider_name = "openai-apikey-provider")]
pub async fn compiled_out(api_key: SecretString) -> Result<(), MyError> {
    compile_error!("never expanded");
}

#[requires_api_key(provider_name = "openai-apikey-provider")]
#[allow(unused_variables)]
#[must_use = "the answer matters"]
async fn unused_credential(api_key: SecretString) -> Result<(), MyError> {
    Ok(())
}

fn main() {
    let _ = instrumented_inside("p");
    let _ = instrumented_outside("p");
    let _ = unused_credential();
}
