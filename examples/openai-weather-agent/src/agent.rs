//! The agent on rig: the model client for the configured provider (OpenAI, Azure OpenAI or an
//! OpenAI-compatible server), the system prompt, the tools, and rig's agent loop.
//!
//! This is Strands' `Agent(model=..., tools=[...], system_prompt=...)`: rig sends the
//! conversation and the tool schemas, runs the tools the model asks for, sends their results
//! back, and stops at the model's final text (or after `max_turns` model calls).

use std::fmt;

use futures::StreamExt;
use futures::stream::BoxStream;
use rig_agent::AgentBuilder;
use rig_agent::agent::MultiTurnStreamItem;
use rig_agent::agent::WithBuilderTools;
use rig_agent::completion::PromptError;
use rig_core::message::ToolResultContent;
use rig_core::providers::openai::{self, OpenAIConfig};
use rig_core::streaming::{Item, StreamEvent};
use rig_core::tool::Tool;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::Value;

use crate::config::{Config, ModelProvider};

/// Something that happened while the agent worked (the streamed form of an invocation).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum AgentEvent {
    /// The model asked for a tool.
    ToolUse {
        /// The tool's name.
        name: String,
        /// The arguments the model sent.
        input: Value,
    },
    /// A tool answered.
    ToolResult {
        /// The tool's name.
        name: String,
        /// What the model is told.
        content: String,
        /// Whether the tool failed (the model is told why).
        is_error: bool,
    },
    /// A fragment of the model's answer, as the model streams it.
    TextDelta {
        /// The fragment.
        text: String,
    },
    /// The model's final answer (the fragments, joined).
    Text {
        /// The answer.
        text: String,
    },
}

/// Why the agent could not answer. `Display` never contains the API key.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The model endpoint answered with an error.
    #[error("the model endpoint answered {status}: {message}")]
    Model {
        /// The HTTP status and the OpenAI error code.
        status: String,
        /// What it said (with the API key, should it appear, redacted).
        message: String,
    },
    /// The model endpoint rejected the API key (HTTP 401 or 403): the key in the vault is wrong
    /// or was revoked. The next invocation fetches the key again.
    #[error("the model endpoint rejected the API key from the credential provider ({status})")]
    KeyRejected {
        /// The HTTP status and the OpenAI error code.
        status: String,
    },
    /// The model endpoint could not be reached, or its answer not read or understood.
    #[error("calling the model failed: {0}")]
    Transport(String),
    /// The model kept calling tools for more than the allowed number of model calls.
    #[error("no final answer after {0} model calls")]
    TooManyTurns(usize),
}

/// The agent: a rig agent (model client with the key, system prompt, tools) built once per key
/// and used for every invocation (each invocation is a fresh conversation).
pub struct Agent {
    inner: rig_agent::Agent,
    model: String,
    tools: Vec<String>,
    /// Kept only to redact the key from error messages; never logged.
    api_key: SecretString,
}

impl fmt::Debug for Agent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Agent")
            .field("model", &self.model)
            .field("tools", &self.tools)
            .field("api_key", &"[REDACTED]")
            .finish_non_exhaustive()
    }
}

/// The tools to give an agent, in order (see [`crate::tools`]).
#[derive(Debug, Default)]
pub struct Tools {
    set: Vec<Box<dyn AddTool>>,
}

impl Tools {
    /// No tools yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `tool`.
    #[must_use]
    pub fn with<T: Tool + fmt::Debug + Clone + 'static>(mut self, tool: T) -> Self {
        self.set.push(Box::new(tool));
        self
    }

    /// The tools' names, in order.
    pub fn names(&self) -> Vec<String> {
        self.set.iter().map(|t| t.name().to_owned()).collect()
    }
}

type WithTools = AgentBuilder<WithBuilderTools>;

/// A tool that can add itself to a rig [`AgentBuilder`] (rig's tools are typed, and the first
/// one changes the builder's type).
trait AddTool: fmt::Debug + Send + Sync {
    fn name(&self) -> &'static str;
    fn add_first(&self, builder: AgentBuilder) -> WithTools;
    fn add(&self, builder: WithTools) -> WithTools;
}

impl<T: Tool + fmt::Debug + Clone + 'static> AddTool for T {
    fn name(&self) -> &'static str {
        T::NAME
    }
    fn add_first(&self, builder: AgentBuilder) -> WithTools {
        builder.tool(self.clone())
    }
    fn add(&self, builder: WithTools) -> WithTools {
        builder.tool(self.clone())
    }
}

impl Agent {
    /// Builds the agent for `config` with `api_key`, the system prompt and the tools. Makes no
    /// request (the model client shares the process-wide [`crate::http::client`]).
    pub fn new(
        config: &Config,
        api_key: SecretString,
        system_prompt: impl Into<String>,
        tools: &Tools,
    ) -> Self {
        // rig keeps the key in its own redacting `Secret` (Debug prints `[redacted]`).
        let key = api_key.expose_secret().to_owned();
        let (client, model) = match &config.provider {
            ModelProvider::OpenAi { base_url } => {
                let mut c = OpenAIConfig::new(key);
                if let Some(url) = base_url {
                    c = c.with_base_url(url);
                }
                (c.connect(crate::http::client()), config.model.clone())
            }
            ModelProvider::Azure {
                endpoint,
                api_version,
                deployment,
            } => (
                // Azure: `{endpoint}/openai/deployments/{deployment}/chat/completions`,
                // `?api-version=`, the key in `api-key`.
                OpenAIConfig::with_key(&openai::wire::AZURE, key)
                    .with_base_url(endpoint)
                    .with_api_version(api_version)
                    .connect(crate::http::client()),
                deployment.clone(),
            ),
        };
        // Chat Completions, the one API OpenAI, Azure OpenAI and compatible servers all serve.
        let builder = AgentBuilder::new(client.chat(model.clone()))
            .name("openai-weather-agent")
            .preamble(system_prompt)
            .temperature(config.temperature)
            .max_tokens(u64::from(config.max_tokens))
            .default_max_turns(config.max_turns.max(1));
        let inner = match tools.set.split_first() {
            None => builder.build(),
            Some((first, rest)) => rest
                .iter()
                .fold(first.add_first(builder), |b, tool| tool.add(b))
                .build(),
        };
        Self {
            inner,
            model,
            tools: tools.names(),
            api_key,
        }
    }

    /// Answers `prompt`, running tools as the model asks (the model answers in one piece).
    pub async fn prompt(&self, prompt: &str) -> Result<String, AgentError> {
        tracing::debug!(model = %self.model, "running the agent");
        self.inner
            .prompt(prompt)
            .await
            .map(|response| response.output())
            .map_err(|e| self.error(e))
    }

    /// Answers `prompt` with the model streaming: tool calls, tool results, text fragments as
    /// they come, and last the final text. An error ends the stream.
    pub fn prompt_stream(
        &self,
        prompt: &str,
    ) -> BoxStream<'static, Result<AgentEvent, AgentError>> {
        let redact = Redactor(self.api_key.clone());
        self.inner
            .prompt(prompt)
            .stream()
            .filter_map(move |item| {
                std::future::ready(match item {
                    Ok(item) => event(item).map(Ok),
                    Err(e) => Some(Err(redact.error(e))),
                })
            })
            .boxed()
    }

    /// Turns a rig error into an [`AgentError`] whose message cannot carry the key.
    fn error(&self, e: PromptError) -> AgentError {
        Redactor(self.api_key.clone()).error(e)
    }
}

/// What a streamed rig item means for the invocation's events (`None`: nothing to report).
fn event(item: MultiTurnStreamItem) -> Option<AgentEvent> {
    match item {
        MultiTurnStreamItem::ToolCall { tool_call } => Some(AgentEvent::ToolUse {
            name: tool_call.function.name.to_string(),
            input: Value::Object(tool_call.function.arguments),
        }),
        MultiTurnStreamItem::ToolResult { tool_result } => {
            tracing::info!(tool = %tool_result.name, ok = !tool_result.is_error, "tool called");
            Some(AgentEvent::ToolResult {
                name: tool_result.name.to_string(),
                content: text_of(&tool_result.content),
                is_error: tool_result.is_error,
            })
        }
        MultiTurnStreamItem::StreamAssistantItem(Item::Event(StreamEvent::Text {
            text, ..
        })) => Some(AgentEvent::TextDelta { text }),
        MultiTurnStreamItem::FinalResponse(response) => Some(AgentEvent::Text {
            text: response.output(),
        }),
        _ => None,
    }
}

/// A tool result's content as the text the model reads.
fn text_of(content: &[ToolResultContent]) -> String {
    content
        .iter()
        .map(|c| match c {
            ToolResultContent::Text(t) => t.text.clone(),
            ToolResultContent::Json { value } => value.to_string(),
            _ => String::new(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Maps rig errors to [`AgentError`], keeping the key out.
struct Redactor(SecretString);

impl Redactor {
    fn redact(&self, s: String) -> String {
        let key = self.0.expose_secret();
        if key.is_empty() {
            s
        } else {
            s.replace(key, "[REDACTED]")
        }
    }

    fn error(&self, e: PromptError) -> AgentError {
        if let PromptError::MaxTurns { max_turns, .. } = e {
            return AgentError::TooManyTurns(max_turns);
        }
        let Some(status) = e.provider_response_status() else {
            return AgentError::Transport(self.redact(e.to_string()));
        };
        let body = e
            .provider_response_json()
            .ok()
            .flatten()
            .unwrap_or_default();
        let error = &body["error"];
        let kind = error["code"]
            .as_str()
            .or_else(|| error["type"].as_str())
            .unwrap_or_default();
        let status_text = if kind.is_empty() {
            status.to_string()
        } else {
            format!("{status} ({kind})")
        };
        if matches!(status.as_u16(), 401 | 403) {
            // OpenAI echoes part of a rejected key in its message: leave the message out.
            return AgentError::KeyRejected {
                status: status_text,
            };
        }
        let message = error["message"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| e.provider_response_body().unwrap_or_default().to_owned());
        AgentError::Model {
            status: status_text,
            message: self.redact(message),
        }
    }
}
