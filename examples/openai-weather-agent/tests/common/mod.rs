//! Shared set-up for the end-to-end tests: the local identity service, an OpenAI-compatible
//! stand-in (wiremock) that only answers the key stored in the vault, the example served
//! in-process, and a log buffer.
#![allow(dead_code, unreachable_pub)]

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Mutex, Once};

use agentcore_identity::IdentityClient;
use agentcore_identity_local::{LocalIdentityService, ServiceHandle};
use openai_weather_agent::Config;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use wiremock::{Match, Request};

// ---------------------------------------------------------------- captured logs

static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());
static INIT: Once = Once::new();

#[derive(Clone, Copy)]
struct BufferWriter;

impl Write for BufferWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs (once per test binary) a subscriber that writes every event of every crate, down to
/// TRACE, into a buffer.
pub fn capture_logs() {
    INIT.call_once(|| {
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(|| BufferWriter)
            .init();
    });
}

/// Everything logged so far by this test binary.
pub fn logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap()).into_owned()
}

/// Asserts that no secret appears in the captured logs (and that something was captured).
pub fn assert_not_logged(secrets: &[&str]) {
    let logs = logs();
    assert!(
        logs.contains("invocation"),
        "the log buffer should have captured the app's logs"
    );
    for secret in secrets {
        assert!(!logs.contains(secret), "a secret appeared in the logs");
    }
}

// ---------------------------------------------------------------- identity service

/// A unique fake model key, so parallel tests can tell their keys apart.
pub fn fresh_key() -> String {
    format!("sk-test-{}", uuid_simple())
}

fn uuid_simple() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{t:x}{n:x}{}", std::process::id())
}

/// The local identity service and a client for it.
pub struct Identity {
    pub service: ServiceHandle,
    pub client: IdentityClient,
}

pub async fn identity() -> Identity {
    let service = LocalIdentityService::builder()
        .port(0)
        .start()
        .await
        .expect("local identity service");
    let client = IdentityClient::builder()
        .region("us-east-1")
        .endpoint_url(service.endpoint())
        .credentials_provider(aws_credentials())
        .build()
        .await
        .expect("identity client");
    Identity { service, client }
}

pub fn aws_credentials() -> aws_credential_types::Credentials {
    aws_credential_types::Credentials::new("AKIDLOCAL", "local-secret", None, None, "e2e")
}

impl Identity {
    /// Creates a workload identity and gets a workload access token for user `alice`, as
    /// AgentCore Runtime would before sending it in the `WorkloadAccessToken` header.
    pub async fn workload_access_token(&self, workload: &str) -> SecretString {
        self.client
            .create_workload_identity(Some(workload), &[])
            .await
            .expect("CreateWorkloadIdentity");
        self.client
            .get_workload_access_token(
                workload,
                agentcore_identity::WorkloadUser::UserId("alice".into()),
            )
            .await
            .expect("GetWorkloadAccessTokenForUserId")
    }
}

// ---------------------------------------------------------------- the model stand-in

/// Matches a chat-completions request whose conversation does (or does not) contain the
/// `weather` tool's result.
pub struct HasWeatherResult(pub bool);

impl Match for HasWeatherResult {
    fn matches(&self, request: &Request) -> bool {
        let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
            return false;
        };
        let has = body["messages"].as_array().is_some_and(|m| {
            m.iter().any(|msg| {
                msg["role"] == "tool"
                    && msg["tool_call_id"] == "call_weather_1"
                    && msg["content"] == "sunny"
            })
        });
        has == self.0
    }
}

/// Matches a chat-completions request that asks (`true`) or does not ask (`false`) for a
/// streamed answer (`"stream": true`).
pub struct Streaming(pub bool);

impl Match for Streaming {
    fn matches(&self, request: &Request) -> bool {
        let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
            return false;
        };
        (body["stream"] == true) == self.0
    }
}

/// The text of a message's `content`: a string, or (as rig sends the system prompt) an array
/// of `{"type": "text", "text": ...}` parts.
pub fn content_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    }
}

/// Matches a request without an `Authorization` header.
pub struct NoAuthorization;

impl Match for NoAuthorization {
    fn matches(&self, request: &Request) -> bool {
        !request.headers.contains_key("authorization")
    }
}

pub fn tool_call_response() -> Value {
    json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "gpt-4.1-mini",
        "choices": [{
            "index": 0,
            "message": {
                "role": "assistant",
                "content": null,
                "tool_calls": [{
                    "id": "call_weather_1",
                    "type": "function",
                    "function": {"name": "weather", "arguments": "{}"}
                }]
            },
            "finish_reason": "tool_calls"
        }],
        "usage": {"prompt_tokens": 50, "completion_tokens": 5, "total_tokens": 55}
    })
}

pub const FINAL_TEXT: &str = "The weather is sunny today.";

pub fn final_response() -> Value {
    json!({
        "id": "chatcmpl-2",
        "object": "chat.completion",
        "created": 1_700_000_001,
        "model": "gpt-4.1-mini",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": FINAL_TEXT},
            "finish_reason": "stop"
        }],
        "usage": {"prompt_tokens": 60, "completion_tokens": 7, "total_tokens": 67}
    })
}

/// `chunks` as an OpenAI server-sent-events body (`data: <chunk>` each, then `data: [DONE]`).
fn sse(chunks: &[Value]) -> String {
    let mut body: String = chunks.iter().map(|c| format!("data: {c}\n\n")).collect();
    body.push_str("data: [DONE]\n\n");
    body
}

fn chunk(id: &str, delta: Value, finish: Option<&str>) -> Value {
    json!({
        "id": id,
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": "gpt-4.1-mini",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]
    })
}

/// [`tool_call_response`], streamed: the call's name first, its arguments in a second chunk.
pub fn tool_call_sse() -> String {
    sse(&[
        chunk(
            "chatcmpl-1",
            json!({"role": "assistant", "content": null, "tool_calls": [{
                "index": 0, "id": "call_weather_1", "type": "function",
                "function": {"name": "weather", "arguments": ""}
            }]}),
            None,
        ),
        chunk(
            "chatcmpl-1",
            json!({"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]}),
            None,
        ),
        chunk("chatcmpl-1", json!({}), Some("tool_calls")),
    ])
}

/// The pieces [`final_sse`] streams [`FINAL_TEXT`] in.
pub const FINAL_TEXT_PIECES: [&str; 3] = ["The weather ", "is sunny", " today."];

/// [`final_response`], streamed in [`FINAL_TEXT_PIECES`].
pub fn final_sse() -> String {
    let mut chunks = vec![chunk(
        "chatcmpl-2",
        json!({"role": "assistant", "content": ""}),
        None,
    )];
    for piece in FINAL_TEXT_PIECES {
        chunks.push(chunk("chatcmpl-2", json!({"content": piece}), None));
    }
    chunks.push(chunk("chatcmpl-2", json!({}), Some("stop")));
    sse(&chunks)
}

/// The JSON bodies of the chat requests the stand-in received.
pub async fn chat_requests(model: &wiremock::MockServer) -> Vec<Value> {
    model
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path().ends_with("/chat/completions"))
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

// ---------------------------------------------------------------- the example, served

pub struct Served {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Served {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn shutdown(mut self) {
        let _ = self.stop.take().unwrap().send(());
        (&mut self.task).await.unwrap().unwrap();
    }
}

/// Runs the example's `serve` in-process on loopback.
pub async fn serve(config: Config, client: IdentityClient) -> Served {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(openai_weather_agent::serve(
        config,
        client,
        listener,
        async {
            let _ = rx.await;
        },
    ));
    Served {
        addr,
        stop: Some(tx),
        task,
    }
}

/// `POST /invocations` with the workload access token, as AgentCore Runtime sends it.
pub async fn invoke(served: &Served, wat: &SecretString, payload: Value) -> (u16, String, String) {
    let resp = reqwest::Client::new()
        .post(served.url("/invocations"))
        .header("WorkloadAccessToken", wat.expose_secret())
        .header(
            "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id",
            "e2e-session-0123456789-0123456789-01",
        )
        .json(&payload)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let ctype = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ctype, resp.text().await.unwrap())
}

pub async fn ping(served: &Served) -> Value {
    reqwest::get(served.url("/ping"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Parses an SSE body into its `data:` items.
pub fn sse_items(body: &str) -> Vec<Value> {
    body.split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(|e| {
            serde_json::from_str(e.strip_prefix("data: ").expect("a data: line")).expect("JSON")
        })
        .collect()
}
