//! `&self`, `&mut self`, `self`, generics, where-clauses, `impl Trait` arguments, lifetimes,
//! visibility; the returned futures stay `Send`.
#![deny(warnings, unused_qualifications)]

use std::fmt::Display;

use agentcore_identity::secrecy::SecretString;
use agentcore_identity::{requires_access_token, requires_api_key, requires_wat};

#[derive(Debug)]
pub struct MyError(#[allow(dead_code)] agentcore_identity::Error);
impl From<agentcore_identity::Error> for MyError {
    fn from(e: agentcore_identity::Error) -> Self {
        MyError(e)
    }
}

pub struct Agent {
    calls: u32,
    name: String,
}

impl Agent {
    #[requires_api_key(provider_name = "openai-apikey-provider")]
    pub async fn by_ref(&self, prompt: &str, api_key: SecretString) -> Result<String, MyError> {
        let _ = api_key;
        Ok(format!("{}: {prompt}", self.name))
    }

    #[requires_api_key(provider_name = "openai-apikey-provider", into = "key")]
    pub(crate) async fn by_mut(&mut self, key: String) -> Result<u32, MyError> {
        let _ = key;
        self.calls += 1;
        Ok(self.calls)
    }

    #[requires_access_token(provider_name = "google-provider", scopes = ["a"], auth_flow = "M2M")]
    async fn by_value(self, access_token: SecretString) -> Result<Self, MyError> {
        let _ = access_token;
        Ok(self)
    }

    #[requires_wat]
    fn sync_wat(&self, identity_wat: String) -> Result<usize, MyError> {
        Ok(identity_wat.len() + self.name.len())
    }
}

#[requires_api_key(provider_name = "p")]
async fn generic<'a, T, U: Clone + Send>(
    x: &'a T,
    api_key: SecretString,
    u: impl Into<U> + Send,
    shown: impl Display + Send,
) -> Result<(&'a T, U), MyError>
where
    T: ?Sized + Sync,
{
    let _ = (api_key, shown.to_string());
    Ok((x, u.into()))
}

/// A credential type chosen by the caller.
#[requires_api_key(provider_name = "p")]
async fn credential_type<C: agentcore_identity::Credential + Send>(api_key: C) -> Result<C, MyError> {
    Ok(api_key)
}

trait Tool {
    async fn call(&self, input: String) -> Result<String, MyError>;
}

struct Search;
impl Tool for Search {
    #[requires_api_key(provider_name = "search")]
    async fn call(&self, input: String, api_key: SecretString) -> Result<String, MyError> {
        let _ = api_key;
        Ok(input)
    }
}

fn assert_send<T: Send>(_: T) {}

fn main() {
    let mut agent = Agent { calls: 0, name: "a".into() };
    assert_send(agent.by_ref("hi"));
    assert_send(agent.by_mut());
    let _ = agent.sync_wat();
    assert_send(Agent { calls: 0, name: "b".into() }.by_value());
    assert_send(generic::<str, String>("x", "u", 1));
    assert_send(credential_type::<String>());
    assert_send(credential_type::<SecretString>());
    assert_send(Search.call("q".into()));
}
