//! Every argument, in both spellings where there are two; Rust-valued arguments are expressions.
#![deny(warnings, unused_qualifications)]

use std::collections::HashMap;
use std::time::Duration;

use agentcore_identity::secrecy::SecretString;
use agentcore_identity::{DefaultTokenPoller, IdentityClient, requires_access_token, requires_api_key};

#[derive(Debug)]
pub struct MyError;
impl From<agentcore_identity::Error> for MyError {
    fn from(_: agentcore_identity::Error) -> Self {
        MyError
    }
}

const SCOPES: &[&str] = &["https://www.googleapis.com/auth/calendar", "openid"];
const PARAMS: &[(&str, &str)] = &[("access_type", "offline")];
const PROVIDER: &str = "google-provider";

async fn notify(url: String) {
    let _ = url;
}

pub struct Agent {
    client: IdentityClient,
    user: String,
    scopes: Vec<String>,
}

impl Agent {
    #[requires_access_token(
        provider_name = "google-provider",
        scopes = ["https://www.googleapis.com/auth/calendar"],
        auth_flow = "USER_FEDERATION",
        into = "token",
        on_auth_url = |url: &str| println!("Open {url}"),
        callback_url = "http://localhost:8081/oauth2/callback",
        force_authentication = false,
        custom_parameters = { "access_type": "offline", "prompt": String::from("consent") },
    )]
    pub async fn issue_example(&self, day: u32, token: SecretString) -> Result<u32, MyError> {
        let _ = token;
        Ok(day)
    }

    #[requires_access_token(
        provider_name = PROVIDER,
        scopes = SCOPES,
        resources = ["https://api.example.com"],
        audiences = self.scopes.clone(),
        auth_flow = "USER_FEDERATION",
        on_auth_url = |url: String| async move { notify(url).await },
        token_poller = DefaultTokenPoller::new(Duration::from_millis(50), Duration::from_secs(5)),
        custom_state = format!("state-for-{}", self.user),
        custom_parameters = PARAMS,
        non_blocking = true,
        workload_identity = "my-agent",
        user_id = &self.user,
        client = self.client,
    )]
    pub async fn expressions(&self, access_token: String) -> Result<(), MyError> {
        let _ = access_token;
        Ok(())
    }

    #[requires_access_token(
        provider_name = "google-provider",
        scopes = self.scopes.iter().map(String::as_str),
        auth_flow = "USER_FEDERATION",
        on_auth_url = async |url: String| notify(url).await,
        custom_parameters = HashMap::from([("k".to_owned(), "v".to_owned())]),
        non_blocking,
        force_authentication,
        client = &self.client,
    )]
    pub async fn async_closure(&self, access_token: SecretString) -> Result<(), MyError> {
        let _ = access_token;
        Ok(())
    }

    #[requires_access_token(provider_name = "google-provider", scopes = [], auth_flow = "ON_BEHALF_OF_TOKEN_EXCHANGE")]
    pub async fn obo(&self, access_token: SecretString) -> Result<(), MyError> {
        let _ = access_token;
        Ok(())
    }
}

#[requires_api_key(provider_name = "openai-apikey-provider", workload_access_token = wat.clone())]
pub async fn explicit_wat(wat: &SecretString, api_key: SecretString) -> Result<(), MyError> {
    let _ = api_key;
    Ok(())
}

#[requires_api_key(provider_name = "openai-apikey-provider", workload_identity = "my-agent", user_id = user)]
pub async fn explicit_workload(user: &str, api_key: SecretString) -> Result<(), MyError> {
    let _ = api_key;
    Ok(())
}

fn assert_send<T: Send>(_: T) {}

fn main() {
    let _ = |agent: &Agent| {
        assert_send(agent.issue_example(1));
        assert_send(agent.expressions());
        assert_send(agent.async_closure());
        assert_send(agent.obo());
    };
    let wat = SecretString::from("wat");
    assert_send(explicit_wat(&wat));
    assert_send(explicit_workload("alice"));
}
