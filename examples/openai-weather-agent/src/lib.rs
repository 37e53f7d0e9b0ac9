//! The AgentCore outbound-auth tutorial's agent, in Rust, on [rig](https://rig.rs).
//!
//! A rig agent with the tutorial's system prompt and two tools,
//! [`calculator`](tools::Calculator) and [`weather`](tools::Weather), on `gpt-4.1-mini`
//! (OpenAI, Azure OpenAI or any OpenAI-compatible server), hosted with the AgentCore Runtime
//! contract ([`agentcore_runtime`]). The model's API key is never configured on the agent: each
//! invocation asks for it with `#[requires_api_key]` (API key credential provider
//! `openai-apikey-provider`), and the library's token cache answers after the first fetch: per
//! workload on AgentCore Runtime (one fetch for every invocation of the process, whatever their
//! workload access tokens), per workload access token elsewhere. The agent is built again only
//! when the key changes. Unlike the tutorial, the example keeps no key of its own.
//! [`tools::LiveWeather`] shows the same for a tool that needs a credential: the key is fetched
//! inside the tool's call and is never part of the tool's JSON schema.
//!
//! ```no_run
//! use openai_weather_agent::{Config, Identity, app};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // The identity client is built in the background: `/ping` answers before it is ready.
//! let identity = Identity::from_env();
//! identity.start();
//! app(Config::from_env()?, identity).run().await?; // 0.0.0.0:8080
//! # Ok(()) }
//! ```

pub mod agent;
pub mod calculator;
pub mod config;
pub mod http;
pub mod identity;
pub mod tools;

use std::future::Future;
use std::sync::Arc;

use agentcore_identity::control::ApiKeyCredentialProvider;
use agentcore_identity::{ApiKeyRequest, IdentityClient, ServiceErrorKind, requires_api_key};
use agentcore_runtime::{App, Invocation, Reply};
use futures::StreamExt;
use futures::stream::BoxStream;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::Mutex;

pub use crate::agent::{Agent, AgentError, AgentEvent, Tools};
pub use crate::config::{Config, ConfigError, ModelProvider, PROVIDER_NAME, SYSTEM_PROMPT};
pub use crate::identity::Identity;

/// The invocation payload: `{"prompt": "...", "stream": false}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Payload {
    /// What the user asks.
    pub prompt: String,
    /// Answer as server-sent events (tool calls, tool results, the text as it streams, then the
    /// final text) instead of JSON.
    #[serde(default)]
    pub stream: bool,
}

/// Why an invocation failed. `Display` never contains a secret.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// The model API key could not be fetched from AgentCore Identity (or the identity client
    /// could not be built).
    #[error("could not get the model API key from credential provider `{PROVIDER_NAME}`: {0}")]
    ApiKey(#[from] agentcore_identity::Error),
    /// The agent failed.
    #[error(transparent)]
    Agent(#[from] AgentError),
}

/// The agent service: the configuration, the identity client, and the agent built for the
/// current key.
#[derive(Debug, Clone)]
pub struct WeatherAgent {
    config: Arc<Config>,
    identity: Identity,
    agent: Arc<Mutex<Option<Built>>>,
}

/// An agent and the key it was built with (to rebuild it when the vault's key changes).
#[derive(Debug)]
struct Built {
    key: SecretString,
    agent: Arc<Agent>,
}

impl WeatherAgent {
    /// An agent service for `config` that gets its key through `identity` (an
    /// [`IdentityClient`], or an [`Identity`] built in the background); nothing is fetched or
    /// built yet.
    pub fn new(config: Config, identity: impl Into<Identity>) -> Self {
        Self {
            config: Arc::new(config),
            identity: identity.into(),
            agent: Arc::new(Mutex::new(None)),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The agent for the key the token vault gives in the current request context (through the
    /// library's cache: concurrent first calls fetch it once). Built again only when the key
    /// changed; a failed fetch is retried by the next call.
    pub async fn agent(&self) -> Result<Arc<Agent>, InvokeError> {
        let identity = self.identity.client().await?;
        let key = model_api_key(&identity).await?;
        let mut slot = self.agent.lock().await;
        if let Some(built) = slot.as_ref()
            && built.key.expose_secret() == key.expose_secret()
        {
            return Ok(built.agent.clone());
        }
        let agent = Arc::new(Agent::new(
            &self.config,
            key.clone(),
            SYSTEM_PROMPT,
            &default_tools(&self.config, &identity),
        ));
        tracing::info!(model = %self.config.model, "agent initialised");
        *slot = Some(Built {
            key,
            agent: agent.clone(),
        });
        Ok(agent)
    }

    /// After the model rejected the key of `agent`: drops that agent and the cached key, so the
    /// next invocation fetches the (maybe rotated) key from the vault again.
    async fn forget(&self, agent: &Arc<Agent>) {
        let mut slot = self.agent.lock().await;
        if slot.as_ref().is_some_and(|b| Arc::ptr_eq(&b.agent, agent)) {
            *slot = None;
            tracing::warn!(
                provider = PROVIDER_NAME,
                "the model rejected the API key; it will be fetched again"
            );
            if let Ok(identity) = self.identity.client().await
                && let Err(e) = identity
                    .invalidate_api_key(ApiKeyRequest::new(PROVIDER_NAME))
                    .await
            {
                tracing::warn!(error = %e, "could not drop the cached API key");
            }
        }
    }

    /// Answers one prompt (the `invoke` subcommand, and the JSON form of the entrypoint).
    pub async fn answer(&self, prompt: &str) -> Result<String, InvokeError> {
        let agent = self.agent().await?;
        match agent.prompt(prompt).await {
            Ok(text) => Ok(text),
            Err(e) => {
                if matches!(e, AgentError::KeyRejected { .. }) {
                    self.forget(&agent).await;
                }
                Err(e.into())
            }
        }
    }

    /// Runs one invocation: the final text, or with `"stream": true` a stream of
    /// [`AgentEvent`]s (as JSON) while the agent works; a failure while streaming is a last
    /// `{"event": "error", "error": ...}`.
    pub async fn invoke(&self, payload: Payload) -> Result<Answer, InvokeError> {
        if !payload.stream {
            return Ok(Answer::Text(self.answer(&payload.prompt).await?));
        }
        // Fetch the key before answering, so a missing provider is a plain 500, not a stream.
        let agent = self.agent().await?;
        let this = self.clone();
        let used = agent.clone();
        let events = agent
            .prompt_stream(&payload.prompt)
            .then(move |item| {
                let (this, used) = (this.clone(), used.clone());
                async move {
                    match item {
                        Ok(event) => serde_json::to_value(event).unwrap_or_default(),
                        Err(e) => {
                            tracing::error!(error = %e, "agent failed while streaming");
                            if matches!(e, AgentError::KeyRejected { .. }) {
                                this.forget(&used).await;
                            }
                            serde_json::json!({"event": "error", "error": e.to_string()})
                        }
                    }
                }
            })
            .boxed();
        Ok(Answer::Events(events))
    }
}

/// Fetches the model key from the token vault: the tutorial's `need_api_key`, without the
/// print. `#[requires_api_key]` injects `api_key`; the workload access token comes from the
/// request context (on AgentCore Runtime) or the local development flow (`.agentcore.json`).
#[requires_api_key(provider_name = "openai-apikey-provider", client = identity)]
async fn model_api_key(
    identity: &IdentityClient,
    api_key: SecretString,
) -> Result<SecretString, agentcore_identity::Error> {
    Ok(api_key)
}

/// The agent's tools: `calculator`, and `weather`: the tutorial's dummy, or
/// [`LiveWeather`](tools::LiveWeather) (its key from the vault) when `WEATHER_API_URL` is set.
pub fn default_tools(config: &Config, identity: &IdentityClient) -> Tools {
    let tools = Tools::new().with(tools::Calculator);
    match &config.weather_api_url {
        Some(url) => tools.with(tools::LiveWeather::new(url, identity.clone())),
        None => tools.with(tools::Weather),
    }
}

/// What an invocation produces.
pub enum Answer {
    /// The final text (sent as a JSON string).
    Text(String),
    /// Events, the last one the final text (sent as server-sent events).
    Events(BoxStream<'static, serde_json::Value>),
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Answer::Text(t) => f.debug_tuple("Text").field(t).finish(),
            Answer::Events(_) => f.write_str("Events(..)"),
        }
    }
}

/// Creates the API key credential provider [`PROVIDER_NAME`] holding `api_key`, or, when it
/// already exists, replaces its key (so `setup` can run again). Returns the provider and whether
/// it was created.
pub async fn setup_provider(
    identity: &IdentityClient,
    api_key: SecretString,
) -> Result<(ApiKeyCredentialProvider, bool), agentcore_identity::Error> {
    match identity
        .create_api_key_credential_provider(PROVIDER_NAME, api_key.clone())
        .await
    {
        Ok(p) => Ok((p, true)),
        Err(e) if already_exists(&e) => {
            tracing::info!(
                provider = PROVIDER_NAME,
                "provider exists; updating its key"
            );
            let p = identity
                .update_api_key_credential_provider(PROVIDER_NAME, api_key)
                .await?;
            Ok((p, false))
        }
        Err(e) => Err(e),
    }
}

/// The service reports an existing name as `ConflictException` (or as a `ValidationException`
/// saying it already exists).
fn already_exists(e: &agentcore_identity::Error) -> bool {
    match e.service_kind() {
        Some(ServiceErrorKind::Conflict) => true,
        Some(ServiceErrorKind::Validation) => e.to_string().contains("already exists"),
        _ => false,
    }
}

/// The AgentCore Runtime app for `config`: `POST /invocations`, `GET /ping` on `0.0.0.0:8080`.
pub fn app(config: Config, identity: impl Into<Identity>) -> App {
    let service = WeatherAgent::new(config, identity);
    App::builder()
        .entrypoint(move |payload: Payload, invocation: Invocation| {
            let service = service.clone();
            async move {
                tracing::info!(
                    request_id = invocation.request_id(),
                    stream = payload.stream,
                    "invocation"
                );
                // `/ping` says HealthyBusy while the agent works (including a streamed answer).
                let busy = invocation.app().task_guard("agent-invocation");
                Ok::<_, InvokeError>(match service.invoke(payload).await? {
                    Answer::Text(text) => Reply::json(text),
                    Answer::Events(events) => Reply::stream(events.map(move |event| {
                        let _keep_busy_until_the_stream_ends = &busy;
                        event
                    })),
                })
            }
        })
        .build()
}

/// The app's axum router (for tests and embedding).
pub fn router(config: Config, identity: impl Into<Identity>) -> axum::Router {
    app(config, identity).router()
}

/// Serves the app on `listener` until `shutdown` completes (tests run this in-process).
pub async fn serve(
    config: Config,
    identity: impl Into<Identity>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    app(config, identity)
        .serve_with_shutdown(listener, shutdown)
        .await
}
