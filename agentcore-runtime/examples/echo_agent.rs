//! The smallest AgentCore Runtime agent: echoes the payload, with the session id.
//!
//! ```sh
//! cargo run -p agentcore-runtime --example echo_agent            # 0.0.0.0:8080
//! curl -s localhost:8080/ping
//! curl -s localhost:8080/invocations -d '{"prompt":"hi"}'
//! ```
//!
//! `PORT` changes the port and `SHUTDOWN_DEADLINE_MS` the graceful shutdown deadline (the tests
//! use both).

use std::time::Duration;

use agentcore_runtime::{App, Invocation, ServeConfig};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let mut serve = ServeConfig::new();
    if let Some(ms) = std::env::var("SHUTDOWN_DEADLINE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        serve = serve.shutdown_deadline(Duration::from_millis(ms));
    }
    App::builder()
        .port(port)
        .serve_config(serve)
        .entrypoint(|payload: Value, invocation: Invocation| async move {
            Ok::<_, std::convert::Infallible>(json!({
                "echo": payload,
                "session": invocation.session_id(),
            }))
        })
        .build()
        .run()
        .await
}
