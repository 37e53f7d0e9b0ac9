//! The agent's tools, as rig [`Tool`]s: the tutorial's `calculator` and `weather`, and
//! [`LiveWeather`], the pattern for a tool that needs a credential of its own.
//!
//! A rig `Tool` is what Strands' `@tool` decorator produces: a name, a description and a JSON
//! schema the model sees, and a typed `call` the agent loop runs with the model's arguments.
//!
//! # A tool that needs a credential
//!
//! [`LiveWeather`] calls a weather service whose API key is in the token vault. Its `call`
//! goes through a `#[requires_api_key]` function ([`LiveWeather::fetch`]): the macro removes
//! the `api_key` parameter from the signature, so the key is fetched (and cached) by
//! `agentcore-identity` inside the call, in the invocation's request context, and
//!
//! - it is not an argument of the tool: the JSON schema the model sees ([`Tool::parameters`])
//!   has no field for it, so the model can neither see it, nor be asked for it, nor put it in
//!   a tool call (where rig logs the arguments at `debug`);
//! - it is not in the tool's value either (the tool holds an `IdentityClient`, not a key), so
//!   rotating the key in the vault needs no new agent.
//!
//! The same works with `#[requires_access_token]` for an OAuth2 token (M2M, or
//! USER_FEDERATION for the user the invocation acts for).

use std::time::Duration;

use agentcore_identity::{IdentityClient, requires_api_key};
use rig_core::tool::{Tool, ToolContext, ToolExecutionError};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::calculator::{self, CalcError};

/// The arguments of [`Calculator`]: `{"expression": "2 * 2"}`.
#[derive(Debug, Clone, Deserialize)]
pub struct CalculatorArgs {
    /// The mathematical expression to evaluate.
    pub expression: String,
}

/// `calculator`: evaluates a mathematical expression (see [`calculator::evaluate`]).
///
/// A failure (`1/0`, `2 +`) goes back to the model as the tool result, with its message, so the
/// model can correct itself, as Strands does.
#[derive(Debug, Clone, Copy, Default)]
pub struct Calculator;

impl Tool for Calculator {
    const NAME: &'static str = "calculator";
    type Args = CalculatorArgs;
    type Output = String;
    type Error = CalcError;

    fn description(&self) -> String {
        "Calculate the result of a mathematical expression such as `2 * (3 + 4)`, `7 / 2`, \
         `2^10` or `sqrt(16)`. Supports + - * / % ^, parentheses, sqrt, cbrt, abs, ln, log, \
         log2, exp, sin, cos, tan, min, max, floor, round and the constants pi and e."
            .to_owned()
    }

    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "expression": {
                    "type": "string",
                    "description": "The mathematical expression to evaluate, e.g. `2 * 2`"
                }
            },
            "required": ["expression"]
        })
    }

    /// The calculator's messages carry no secret: show them to the model (rig's default for an
    /// arbitrary error would hide them behind "the tool failed").
    fn map_error(&self, error: CalcError) -> ToolExecutionError {
        ToolExecutionError::invalid_args(error.to_string())
    }

    async fn call(
        &self,
        _context: &mut ToolContext,
        args: CalculatorArgs,
    ) -> Result<String, CalcError> {
        calculator::evaluate(&args.expression)
    }
}

/// `weather`: "Get weather" — the tutorial's dummy implementation, always `sunny`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Weather;

/// The arguments of the weather tools: none is needed (the tutorial asks for "the weather now");
/// [`LiveWeather`] passes an optional `location` on.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WeatherArgs {
    /// Where (optional).
    #[serde(default)]
    pub location: Option<String>,
}

impl Tool for Weather {
    const NAME: &'static str = "weather";
    type Args = WeatherArgs;
    type Output = String;
    type Error = std::convert::Infallible;

    fn description(&self) -> String {
        "Get weather".to_owned()
    }

    fn parameters(&self) -> Value {
        json!({"type": "object", "properties": {}, "required": []})
    }

    async fn call(
        &self,
        _context: &mut ToolContext,
        _args: WeatherArgs,
    ) -> Result<String, std::convert::Infallible> {
        Ok("sunny".to_owned())
    }
}

/// The API key credential provider [`LiveWeather`] takes its key from.
pub const WEATHER_PROVIDER_NAME: &str = "weather-apikey-provider";

/// The largest weather answer passed on to the model, in bytes.
pub const MAX_WEATHER_ANSWER: usize = 4 * 1024;

/// Why [`LiveWeather`] failed. `Display` never contains the key.
#[derive(Debug, thiserror::Error)]
pub enum WeatherError {
    /// The key could not be had from the vault.
    #[error(
        "could not get the weather API key from credential provider `{WEATHER_PROVIDER_NAME}`: {0}"
    )]
    ApiKey(#[from] agentcore_identity::Error),
    /// The weather service could not be reached or read.
    #[error("the weather service could not be reached: {0}")]
    Transport(String),
    /// The weather service answered with an error status.
    #[error("the weather service answered {0}")]
    Status(u16),
}

/// `weather`, for real: asks a weather service (`GET <url>?location=...`, answer passed on as
/// text) with `Authorization: Bearer <key>`, the key from the API key credential provider
/// [`WEATHER_PROVIDER_NAME`]. Used instead of [`Weather`] when `WEATHER_API_URL` is set.
///
/// This is the pattern for a rig tool that needs a credential (see the [module docs](self)):
/// the credential comes from a `#[requires_api_key]` function called inside [`Tool::call`],
/// never from the model's arguments.
#[derive(Debug, Clone)]
pub struct LiveWeather {
    url: String,
    identity: IdentityClient,
    /// The agent's shared reqwest client ([`crate::http::client`]; `None` if reqwest could not
    /// build one: then every call reports it).
    http: Option<rig_reqwest::reqwest::Client>,
}

impl LiveWeather {
    /// A tool asking the weather service at `url`, with keys obtained through `identity`.
    pub fn new(url: impl Into<String>, identity: IdentityClient) -> Self {
        let http = crate::http::client().inner().cloned();
        Self {
            url: url.into(),
            identity,
            http,
        }
    }

    /// Asks the weather service. `api_key` is injected by `#[requires_api_key]` (it is not a
    /// parameter of the function any more): fetched from the vault on the first call, from the
    /// library's cache afterwards, with the workload access token of the current invocation.
    #[requires_api_key(provider_name = "weather-apikey-provider", client = self.identity)]
    pub async fn fetch(
        &self,
        location: Option<&str>,
        api_key: SecretString,
    ) -> Result<String, WeatherError> {
        let mut url = rig_reqwest::reqwest::Url::parse(&self.url)
            .map_err(|e| WeatherError::Transport(format!("WEATHER_API_URL: {e}")))?;
        if let Some(location) = location {
            url.query_pairs_mut().append_pair("location", location);
        }
        let http = self.http.as_ref().ok_or_else(|| {
            WeatherError::Transport("rig's HTTP client could not be built".to_owned())
        })?;
        // reqwest's errors name the URL (left out here), never the headers.
        let response = http
            .get(url)
            .bearer_auth(api_key.expose_secret())
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| WeatherError::Transport(e.without_url().to_string()))?;
        let status = response.status();
        if !status.is_success() {
            if matches!(status.as_u16(), 401 | 403) {
                // A rotated key: fetch it again on the next call.
                let _ = self
                    .identity
                    .invalidate_api_key(agentcore_identity::ApiKeyRequest::new(
                        WEATHER_PROVIDER_NAME,
                    ))
                    .await;
            }
            return Err(WeatherError::Status(status.as_u16()));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| WeatherError::Transport(e.without_url().to_string()))?;
        let body = &body[..body.len().min(MAX_WEATHER_ANSWER)];
        Ok(String::from_utf8_lossy(body).trim().to_owned())
    }
}

impl Tool for LiveWeather {
    const NAME: &'static str = "weather";
    type Args = WeatherArgs;
    type Output = String;
    type Error = WeatherError;

    fn description(&self) -> String {
        "Get weather, optionally for a location".to_owned()
    }

    /// The model sees `location` and nothing else: the key is not an argument.
    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "location": {
                    "type": "string",
                    "description": "A place name; leave out for the default location"
                }
            },
            "required": []
        })
    }

    /// The model is told what failed (without any secret: [`WeatherError`] carries none).
    fn map_error(&self, error: WeatherError) -> ToolExecutionError {
        let message = error.to_string();
        match error {
            WeatherError::ApiKey(_) => ToolExecutionError::permission_denied(message),
            WeatherError::Transport(_) => ToolExecutionError::network(message),
            WeatherError::Status(_) => ToolExecutionError::provider(message),
        }
    }

    async fn call(
        &self,
        _context: &mut ToolContext,
        args: WeatherArgs,
    ) -> Result<String, WeatherError> {
        self.fetch(args.location.as_deref()).await
    }
}
