//! The user's names cannot break the expansion, and the expansion adds no lint.
#![deny(warnings, unused_qualifications, unused_braces, unused_parens, unused_results)]
#![deny(clippy::all, clippy::pedantic)]
#![allow(clippy::unused_async, clippy::missing_errors_doc)]

use agentcore_identity::secrecy::SecretString;
use agentcore_identity::{requires_access_token, requires_api_key, requires_wat};

// Shadows of everything the expansion could name.
#[allow(dead_code)]
mod core {}
#[allow(dead_code)]
mod std {}
#[allow(dead_code)]
mod agentcore_identity_private {}
#[allow(dead_code)]
type Result<T> = ::core::result::Result<T, MyError>;
#[allow(dead_code)]
struct Ok;
#[allow(dead_code)]
struct Err;
#[allow(dead_code)]
struct Option;
#[allow(dead_code)]
trait From {}

#[derive(Debug)]
pub struct MyError;
impl ::core::convert::From<agentcore_identity::Error> for MyError {
    fn from(_: agentcore_identity::Error) -> Self {
        MyError
    }
}

/// `Result` here is the user's alias.
#[requires_api_key(provider_name = "openai-apikey-provider")]
pub async fn alias(api_key: SecretString) -> Result<u8> {
    // Names the expansion uses internally are free for the user.
    let __agentcore_value = 1_u8;
    let __agentcore_error = 2_u8;
    use ::std::collections::*;
    let _: HashMap<u8, u8> = HashMap::new();
    drop(api_key);
    ::core::result::Result::Ok(__agentcore_value + __agentcore_error)
}

/// Inner attributes stay on the body; `return` and `?` are the function's.
#[requires_access_token(provider_name = "p", scopes = [], auth_flow = "M2M")]
pub async fn early_return(flag: bool, access_token: String) -> ::core::result::Result<usize, MyError> {
    #![allow(clippy::needless_return)]
    if flag {
        return ::core::result::Result::Ok(0);
    }
    let n: ::core::result::Result<usize, MyError> = ::core::result::Result::Ok(access_token.len());
    ::core::result::Result::Ok(n?)
}

#[requires_wat(into = "wat")]
pub fn wat_len(wat: SecretString) -> ::core::result::Result<usize, MyError> {
    use agentcore_identity::secrecy::ExposeSecret;
    ::core::result::Result::Ok(wat.expose_secret().len())
}

fn main() {
    let _ = alias();
    let _ = early_return(true);
    let _ = wat_len();
}
