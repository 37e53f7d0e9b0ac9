//! Configuration from the tutorial's environment variables.
//!
//! | variable | meaning |
//! | --- | --- |
//! | `OPENAI_PROVIDER` | `openai` (default) or `azure` |
//! | `OPENAI_API_KEY` | OpenAI key; read only by `setup`, which stores it in the token vault |
//! | `OPENAI_BASE_URL` | any OpenAI-compatible server (default `https://api.openai.com/v1`) |
//! | `OPENAI_MODEL` | the model (default `gpt-4.1-mini`) |
//! | `AZURE_OPENAI_API_KEY` | Azure OpenAI key; read only by `setup` |
//! | `AZURE_OPENAI_ENDPOINT` | `https://<resource>.openai.azure.com` (required for `azure`) |
//! | `AZURE_OPENAI_API_VERSION` | e.g. `2024-02-15-preview` (default [`DEFAULT_AZURE_API_VERSION`]) |
//! | `AZURE_OPENAI_DEPLOYMENT` | the deployment name (default: the model, `gpt-4.1-mini`) |
//! | `WEATHER_API_URL` | a weather service for the `weather` tool ([`LiveWeather`](crate::tools::LiveWeather), key from the vault); unset: the tutorial's dummy, always `sunny` |
//!
//! The API key itself is never part of [`Config`]: at run time it comes from AgentCore Identity.

/// The tutorial's model.
pub const DEFAULT_MODEL: &str = "gpt-4.1-mini";

/// The tutorial's API key credential provider name (fixed, as in the tutorial's
/// `@requires_api_key(provider_name="openai-apikey-provider")`).
pub const PROVIDER_NAME: &str = "openai-apikey-provider";

/// The Azure OpenAI data-plane API version used when `AZURE_OPENAI_API_VERSION` is not set.
pub const DEFAULT_AZURE_API_VERSION: &str = "2024-10-21";

/// The tutorial's system prompt.
pub const SYSTEM_PROMPT: &str =
    "You're a helpful assistant. You can do simple math calculation, and tell the weather.";

/// Which service answers chat completions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelProvider {
    /// OpenAI, or any OpenAI-compatible server at `base_url`.
    OpenAi {
        /// The API base, e.g. `https://api.openai.com/v1` (`None`: that default).
        base_url: Option<String>,
    },
    /// Azure OpenAI: `{endpoint}/openai/deployments/{deployment}/chat/completions?api-version=..`
    /// with the key in the `api-key` header.
    Azure {
        /// `https://<resource>.openai.azure.com`.
        endpoint: String,
        /// The data-plane API version.
        api_version: String,
        /// The deployment name.
        deployment: String,
    },
}

/// Everything the agent needs except the key.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Where chat completions go.
    pub provider: ModelProvider,
    /// The model name sent in each request.
    pub model: String,
    /// Sampling temperature (the tutorial uses 0.7).
    pub temperature: f64,
    /// Maximum tokens per completion (the tutorial uses 32000).
    pub max_tokens: u32,
    /// Model calls per invocation before giving up (tool loops are bounded).
    pub max_turns: usize,
    /// A weather service for the `weather` tool, asked with a key from the vault
    /// ([`LiveWeather`](crate::tools::LiveWeather)); `None`: the tutorial's dummy tool.
    pub weather_api_url: Option<String>,
}

/// A configuration problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `OPENAI_PROVIDER` is neither `openai` nor `azure`.
    #[error("unknown OPENAI_PROVIDER {0:?}; expected `openai` or `azure`")]
    UnknownProvider(String),
    /// A variable the chosen provider needs is not set.
    #[error("{0} must be set when OPENAI_PROVIDER=azure")]
    Missing(&'static str),
}

impl Config {
    /// OpenAI at its default base URL, the tutorial's model and provider name.
    pub fn openai() -> Self {
        Self::with_provider(ModelProvider::OpenAi { base_url: None })
    }

    /// Azure OpenAI.
    pub fn azure(
        endpoint: impl Into<String>,
        api_version: impl Into<String>,
        deployment: impl Into<String>,
    ) -> Self {
        Self::with_provider(ModelProvider::Azure {
            endpoint: endpoint.into(),
            api_version: api_version.into(),
            deployment: deployment.into(),
        })
    }

    fn with_provider(provider: ModelProvider) -> Self {
        Self {
            provider,
            model: DEFAULT_MODEL.to_owned(),
            temperature: 0.7,
            max_tokens: 32_000,
            max_turns: 10,
            weather_api_url: None,
        }
    }

    /// Sets an OpenAI-compatible base URL (OpenAI provider only; ignored for Azure).
    #[must_use]
    pub fn with_base_url(mut self, url: impl Into<String>) -> Self {
        if let ModelProvider::OpenAi { base_url } = &mut self.provider {
            *base_url = Some(url.into());
        }
        self
    }

    /// Reads the process environment (see the module docs).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup` (tests pass a map instead of the environment).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let provider = get("OPENAI_PROVIDER").unwrap_or_else(|| "openai".to_owned());
        let mut config = match provider.trim().to_ascii_lowercase().as_str() {
            "openai" => Self::openai(),
            "azure" => {
                let endpoint = get("AZURE_OPENAI_ENDPOINT")
                    .ok_or(ConfigError::Missing("AZURE_OPENAI_ENDPOINT"))?;
                let api_version = get("AZURE_OPENAI_API_VERSION")
                    .unwrap_or_else(|| DEFAULT_AZURE_API_VERSION.to_owned());
                let deployment = get("AZURE_OPENAI_DEPLOYMENT")
                    .or_else(|| get("OPENAI_MODEL"))
                    .unwrap_or_else(|| DEFAULT_MODEL.to_owned());
                Self::azure(endpoint.trim_end_matches('/'), api_version, deployment)
            }
            _ => return Err(ConfigError::UnknownProvider(provider)),
        };
        if let Some(url) = get("OPENAI_BASE_URL") {
            config = config.with_base_url(url.trim_end_matches('/'));
        }
        if let Some(model) = get("OPENAI_MODEL") {
            config.model = model;
        }
        config.weather_api_url = get("WEATHER_API_URL");
        Ok(config)
    }

    /// The environment variable `setup` reads the key from: `OPENAI_API_KEY`, or
    /// `AZURE_OPENAI_API_KEY` for Azure.
    pub fn key_variable(&self) -> &'static str {
        match self.provider {
            ModelProvider::OpenAi { .. } => "OPENAI_API_KEY",
            ModelProvider::Azure { .. } => "AZURE_OPENAI_API_KEY",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_to_openai_and_the_tutorial_model() {
        let c = from(&[]).unwrap();
        assert_eq!(c.provider, ModelProvider::OpenAi { base_url: None });
        assert_eq!(c.model, "gpt-4.1-mini");
        assert_eq!(c.key_variable(), "OPENAI_API_KEY");
    }

    #[test]
    fn base_url_for_compatible_servers() {
        let c = from(&[("OPENAI_BASE_URL", "http://127.0.0.1:9/v1/")]).unwrap();
        assert_eq!(
            c.provider,
            ModelProvider::OpenAi {
                base_url: Some("http://127.0.0.1:9/v1".into())
            }
        );
    }

    #[test]
    fn azure_needs_an_endpoint() {
        assert_eq!(
            from(&[("OPENAI_PROVIDER", "azure")]),
            Err(ConfigError::Missing("AZURE_OPENAI_ENDPOINT"))
        );
        let c = from(&[
            ("OPENAI_PROVIDER", "Azure"),
            ("AZURE_OPENAI_ENDPOINT", "https://r.openai.azure.com/"),
            ("AZURE_OPENAI_API_VERSION", "2024-02-15-preview"),
            ("AZURE_OPENAI_DEPLOYMENT", "my-gpt"),
        ])
        .unwrap();
        assert_eq!(
            c.provider,
            ModelProvider::Azure {
                endpoint: "https://r.openai.azure.com".into(),
                api_version: "2024-02-15-preview".into(),
                deployment: "my-gpt".into(),
            }
        );
        assert_eq!(c.key_variable(), "AZURE_OPENAI_API_KEY");
    }

    #[test]
    fn unknown_provider_is_an_error() {
        assert!(matches!(
            from(&[("OPENAI_PROVIDER", "bedrock")]),
            Err(ConfigError::UnknownProvider(_))
        ));
    }
}
