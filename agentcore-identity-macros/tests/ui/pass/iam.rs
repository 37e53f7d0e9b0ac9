//! `#[requires_iam_access_token]` with every argument, literal and expression forms, on free
//! functions and methods; the injected parameter is gone from each signature.
#![deny(warnings, unused_qualifications)]

use std::sync::Arc;

use agentcore_identity::secrecy::SecretString;
use agentcore_identity::{IdentityClient, SigningAlgorithm, requires_iam_access_token};

#[derive(Debug)]
pub struct MyError;
impl From<agentcore_identity::Error> for MyError {
    fn from(_: agentcore_identity::Error) -> Self {
        MyError
    }
}

const AUDIENCE: &[&str] = &["https://api.example.com"];
const TAGS: &[(&str, &str)] = &[("team", "a")];
const ENV: &str = "prod";

#[requires_iam_access_token(audience = ["https://api.example.com"])]
pub async fn minimal(query: &str, access_token: SecretString) -> Result<String, MyError> {
    let _ = access_token;
    Ok(query.to_owned())
}

#[requires_iam_access_token(
    audience = ["https://api.example.com", "https://other.example.com"],
    signing_algorithm = "RS256",
    duration_seconds = 3600,
    tags = [("team", "a"), ("env", ENV)],
    into = "jwt",
    crate = "::agentcore_identity",
)]
pub async fn literals(jwt: String) -> Result<usize, MyError> {
    Ok(jwt.len())
}

pub struct Agent {
    client: Arc<IdentityClient>,
    audience: Vec<String>,
    secs: u32,
}

impl Agent {
    #[requires_iam_access_token(
        audience = &self.audience,
        signing_algorithm = SigningAlgorithm::Es384,
        duration_seconds = self.secs,
        tags = TAGS,
        client = self.client,
    )]
    pub async fn expressions(&self, n: u8, access_token: SecretString) -> Result<u8, MyError> {
        let _ = access_token;
        Ok(n)
    }

    #[requires_iam_access_token(audience = AUDIENCE, tags = vec![("k".to_owned(), String::new())])]
    pub async fn owned_tags(&mut self, access_token: SecretString) -> Result<(), MyError> {
        let _ = access_token;
        Ok(())
    }

    #[requires_iam_access_token(audience = AUDIENCE, tags = { "team": "a", "env": ENV })]
    pub async fn consts(self, access_token: SecretString) -> Result<Self, MyError> {
        let _ = access_token;
        Ok(self)
    }
}

fn assert_send<T: Send>(_: &T) {}

fn main() {
    let m = minimal("q");
    assert_send(&m);
    let _ = literals();
    let _ = |mut a: Agent| async move {
        let _ = a.expressions(1).await;
        let _ = a.owned_tags().await;
        let _ = a.consts().await;
    };
}
