//! The agent: a system prompt, tools, and the tool-calling loop over chat completions.
//!
//! This is what Strands' `Agent(model=..., tools=[...], system_prompt=...)` does, written out:
//! send the conversation and the tool schemas; while the model answers with tool calls, run the
//! tools and send their results back; return the model's final text.

use std::fmt;

use async_openai::Client;
use async_openai::config::{AzureConfig, OpenAIConfig};
use async_openai::error::OpenAIError;
use async_openai::types::chat::{
    ChatCompletionMessageToolCalls, ChatCompletionRequestAssistantMessage,
    ChatCompletionRequestAssistantMessageContent, ChatCompletionRequestMessage,
    ChatCompletionRequestSystemMessage, ChatCompletionRequestToolMessage,
    ChatCompletionRequestUserMessage, ChatCompletionTool, ChatCompletionTools,
    CreateChatCompletionRequest, CreateChatCompletionResponse, FunctionObject,
};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::Value;

use crate::config::{Config, ModelProvider};
use crate::tools::Tool;

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
        /// Whether the tool failed (the model is told `Error: ...`).
        is_error: bool,
    },
    /// The model's final answer.
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
        /// The HTTP status or the OpenAI error type/code.
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
    /// The model endpoint could not be reached or its answer not read.
    #[error("calling the model failed: {0}")]
    Transport(String),
    /// The model answered with no choice or an empty message.
    #[error("the model returned no answer")]
    EmptyAnswer,
    /// The model kept calling tools for more than the allowed number of turns.
    #[error("no final answer after {0} model calls")]
    TooManyTurns(usize),
}

/// The chat completions client for the configured provider.
#[derive(Clone)]
enum ModelClient {
    OpenAi(Client<OpenAIConfig>),
    Azure(Client<AzureConfig>),
}

impl ModelClient {
    async fn chat(
        &self,
        request: CreateChatCompletionRequest,
    ) -> Result<CreateChatCompletionResponse, OpenAIError> {
        match self {
            ModelClient::OpenAi(c) => c.chat().create(request).await,
            ModelClient::Azure(c) => c.chat().create(request).await,
        }
    }
}

/// The agent: model client, system prompt, tools. Built once with the key, used for every
/// invocation (each invocation is a fresh conversation).
pub struct Agent {
    client: ModelClient,
    model: String,
    system_prompt: String,
    temperature: f32,
    max_tokens: u32,
    max_turns: usize,
    tools: Vec<Box<dyn Tool>>,
    /// Kept only to redact the key from error messages; never logged.
    api_key: SecretString,
}

impl fmt::Debug for Agent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Agent")
            .field("model", &self.model)
            .field(
                "tools",
                &self.tools.iter().map(|t| t.name()).collect::<Vec<_>>(),
            )
            .field("api_key", &"[REDACTED]")
            .finish_non_exhaustive()
    }
}

impl Agent {
    /// Builds the agent for `config` with `api_key`, the system prompt and the tools.
    pub fn new(
        config: &Config,
        api_key: SecretString,
        system_prompt: impl Into<String>,
        tools: Vec<Box<dyn Tool>>,
    ) -> Self {
        let client = match &config.provider {
            ModelProvider::OpenAi { base_url } => {
                let mut c = OpenAIConfig::new().with_api_key(api_key.expose_secret());
                if let Some(url) = base_url {
                    c = c.with_api_base(url);
                }
                ModelClient::OpenAi(Client::with_config(c))
            }
            ModelProvider::Azure {
                endpoint,
                api_version,
                deployment,
            } => ModelClient::Azure(Client::with_config(
                AzureConfig::new()
                    .with_api_base(endpoint)
                    .with_api_version(api_version)
                    .with_deployment_id(deployment)
                    .with_api_key(api_key.expose_secret()),
            )),
        };
        Self {
            client,
            model: config.model.clone(),
            system_prompt: system_prompt.into(),
            temperature: config.temperature,
            max_tokens: config.max_tokens,
            max_turns: config.max_turns.max(1),
            tools,
            api_key,
        }
    }

    /// Answers `prompt`, running tools as the model asks.
    pub async fn prompt(&self, prompt: &str) -> Result<String, AgentError> {
        self.prompt_with_events(prompt, |_| {}).await
    }

    /// Answers `prompt` and reports each tool call, tool result and the final text to
    /// `on_event` as they happen.
    pub async fn prompt_with_events(
        &self,
        prompt: &str,
        mut on_event: impl FnMut(AgentEvent) + Send,
    ) -> Result<String, AgentError> {
        let mut messages = vec![
            ChatCompletionRequestMessage::System(ChatCompletionRequestSystemMessage {
                content: self.system_prompt.clone().into(),
                name: None,
            }),
            ChatCompletionRequestMessage::User(ChatCompletionRequestUserMessage {
                content: prompt.to_owned().into(),
                name: None,
            }),
        ];
        let tools: Vec<ChatCompletionTools> = self
            .tools
            .iter()
            .map(|t| {
                ChatCompletionTools::Function(ChatCompletionTool {
                    function: FunctionObject {
                        name: t.name().to_owned(),
                        description: Some(t.description().to_owned()),
                        parameters: Some(t.parameters()),
                        strict: None,
                    },
                })
            })
            .collect();

        for turn in 0..self.max_turns {
            let request = CreateChatCompletionRequest {
                model: self.model.clone(),
                messages: messages.clone(),
                tools: (!tools.is_empty()).then(|| tools.clone()),
                temperature: Some(self.temperature),
                #[allow(deprecated)] // Azure API versions before 2024-09 know only `max_tokens`.
                max_tokens: Some(self.max_tokens),
                ..Default::default()
            };
            tracing::debug!(turn, model = %self.model, "calling the model");
            let response = self.client.chat(request).await.map_err(|e| self.error(e))?;
            let message = response
                .choices
                .into_iter()
                .next()
                .ok_or(AgentError::EmptyAnswer)?
                .message;
            let calls: Vec<_> = message
                .tool_calls
                .unwrap_or_default()
                .into_iter()
                .filter_map(|c| match c {
                    ChatCompletionMessageToolCalls::Function(f) => Some(f),
                    ChatCompletionMessageToolCalls::Custom(_) => None,
                })
                .collect();
            if calls.is_empty() {
                let text = message.content.ok_or(AgentError::EmptyAnswer)?;
                on_event(AgentEvent::Text { text: text.clone() });
                return Ok(text);
            }
            #[allow(deprecated)] // `function_call` is deprecated but still a field.
            messages.push(ChatCompletionRequestMessage::Assistant(
                ChatCompletionRequestAssistantMessage {
                    content: message
                        .content
                        .map(ChatCompletionRequestAssistantMessageContent::Text),
                    tool_calls: Some(
                        calls
                            .iter()
                            .cloned()
                            .map(ChatCompletionMessageToolCalls::Function)
                            .collect(),
                    ),
                    ..Default::default()
                },
            ));
            for call in calls {
                let name = call.function.name;
                let input: Value = serde_json::from_str(&call.function.arguments)
                    .unwrap_or_else(|_| Value::Object(Default::default()));
                on_event(AgentEvent::ToolUse {
                    name: name.clone(),
                    input: input.clone(),
                });
                let result = match self.tools.iter().find(|t| t.name() == name) {
                    Some(tool) => tool.call(&input),
                    None => Err(format!("unknown tool `{name}`")),
                };
                tracing::info!(tool = %name, ok = result.is_ok(), "tool called");
                let (content, is_error) = match result {
                    Ok(text) => (text, false),
                    Err(e) => (format!("Error: {e}"), true),
                };
                on_event(AgentEvent::ToolResult {
                    name,
                    content: content.clone(),
                    is_error,
                });
                messages.push(ChatCompletionRequestMessage::Tool(
                    ChatCompletionRequestToolMessage {
                        content: content.into(),
                        tool_call_id: call.id,
                    },
                ));
            }
        }
        Err(AgentError::TooManyTurns(self.max_turns))
    }

    /// Turns a client error into an [`AgentError`] whose message cannot carry the key.
    fn error(&self, e: OpenAIError) -> AgentError {
        let redact = |s: String| {
            let key = self.api_key.expose_secret();
            if key.is_empty() {
                s
            } else {
                s.replace(key, "[REDACTED]")
            }
        };
        match e {
            OpenAIError::ApiError(api) => {
                let status = api.status_code;
                let err = api.api_error;
                let kind = err.code.or(err.r#type).unwrap_or_default();
                let status = if kind.is_empty() {
                    status.to_string()
                } else {
                    format!("{status} ({kind})")
                };
                if matches!(api.status_code.as_u16(), 401 | 403) {
                    // OpenAI echoes part of a rejected key in its message: leave the message out.
                    return AgentError::KeyRejected { status };
                }
                AgentError::Model {
                    status,
                    message: redact(err.message),
                }
            }
            other => AgentError::Transport(redact(other.to_string())),
        }
    }
}
