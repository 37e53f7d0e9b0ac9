//! `crate = "..."` for a re-export or a renamed dependency.
#![deny(warnings)]

mod reexport {
    pub use agentcore_identity as identity;
}

use reexport::identity::secrecy::SecretString;
use reexport::identity::{requires_access_token, requires_api_key, requires_wat};

#[derive(Debug)]
pub struct MyError;
impl From<reexport::identity::Error> for MyError {
    fn from(_: reexport::identity::Error) -> Self {
        MyError
    }
}

#[requires_api_key(provider_name = "openai-apikey-provider", crate = "crate::reexport::identity")]
async fn key(api_key: SecretString) -> Result<(), MyError> {
    let _ = api_key;
    Ok(())
}

#[requires_access_token(provider_name = "p", scopes = ["s"], auth_flow = "M2M", crate = "reexport::identity")]
async fn token(access_token: SecretString) -> Result<(), MyError> {
    let _ = access_token;
    Ok(())
}

#[requires_wat(crate = "::agentcore_identity")]
fn wat(identity_wat: SecretString) -> Result<(), MyError> {
    let _ = identity_wat;
    Ok(())
}

fn main() {
    let _ = key();
    let _ = token();
    let _ = wat();
}
