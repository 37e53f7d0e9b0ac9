//! The AgentCore Runtime contract, served on loopback and called over HTTP.

use std::net::SocketAddr;
use std::time::Duration;

use agentcore_identity::ExposeSecret;
use agentcore_identity::context::RequestContext;
use agentcore_runtime::{App, Invocation, PingStatus, Reply};
use futures::{StreamExt, stream};
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// A served app; shut down (gracefully) on drop of `stop`.
struct Served {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Served {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn shutdown(mut self) -> std::io::Result<()> {
        let _ = self.stop.take().expect("running").send(());
        (&mut self.task).await.expect("server task")
    }
}

async fn serve(app: App) -> Served {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(app.serve_with_shutdown(listener, async {
        let _ = rx.await;
    }));
    Served {
        addr,
        stop: Some(tx),
        task,
    }
}

/// An entrypoint that fails, panics or echoes on request.
fn test_app() -> App {
    App::builder()
        .body_limit(1024)
        .entrypoint(|payload: Value, _inv: Invocation| async move {
            if payload["fail"] == json!(true) {
                return Err("the entrypoint failed on purpose".to_owned());
            }
            if payload["panic"] == json!(true) {
                panic!("entrypoint panic on purpose");
            }
            if payload["teapot"] == json!(true) {
                return Ok(Reply::with_status(
                    reqwest::StatusCode::IM_A_TEAPOT,
                    json!({"error": "short and stout"}),
                ));
            }
            Ok(Reply::json(json!({ "echo": payload })))
        })
        .build()
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, String, Value) {
    let resp = client
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let ctype = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = resp.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, ctype, json)
}

#[tokio::test]
async fn error_paths_answer_json_and_the_server_keeps_serving() {
    let served = serve(test_app()).await;
    let http = reqwest::Client::new();
    let url = served.url("/invocations");

    let (status, ctype, body) = post(&http, &url, "{not json").await;
    assert_eq!(status, 400);
    assert_eq!(ctype, "application/json");
    assert_eq!(body["error"], "Invalid JSON");
    assert!(body["details"].is_string());

    let big = format!("{{\"prompt\": \"{}\"}}", "x".repeat(4096));
    let (status, ctype, body) = post(&http, &url, big).await;
    assert_eq!(status, 413);
    assert_eq!(ctype, "application/json");
    assert_eq!(body["error"], "Payload too large");

    let (status, _, body) = post(&http, &url, r#"{"fail": true}"#).await;
    assert_eq!(status, 500);
    assert_eq!(body, json!({"error": "the entrypoint failed on purpose"}));

    let (status, _, body) = post(&http, &url, r#"{"panic": true}"#).await;
    assert_eq!(status, 500);
    assert_eq!(body, json!({"error": "Entrypoint panicked"}));

    let (status, _, body) = post(&http, &url, r#"{"teapot": true}"#).await;
    assert_eq!(status, 418);
    assert_eq!(body["error"], "short and stout");

    // After all of that, a good request is still served.
    let (status, ctype, body) = post(&http, &url, r#"{"prompt": "hi"}"#).await;
    assert_eq!(status, 200);
    assert_eq!(ctype, "application/json");
    assert_eq!(body, json!({"echo": {"prompt": "hi"}}));

    served.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_payload_of_the_wrong_shape_is_a_400() {
    #[derive(serde::Deserialize)]
    struct Typed {
        prompt: String,
    }
    let app = App::new(|p: Typed, _inv: Invocation| async move {
        Ok::<_, std::convert::Infallible>(p.prompt)
    });
    let served = serve(app).await;
    let http = reqwest::Client::new();
    let (status, _, body) = post(&http, &served.url("/invocations"), r#"{"nope": 1}"#).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "Invalid payload");
    assert!(
        body["details"].as_str().unwrap().contains("prompt"),
        "{body}"
    );
    let (status, _, body) = post(&http, &served.url("/invocations"), r#"{"prompt": "ok"}"#).await;
    assert_eq!((status, body), (200, json!("ok")));
}

/// Reports what the entrypoint sees of its context.
fn context_app() -> App {
    App::new(|_p: Value, inv: Invocation| async move {
        let current = RequestContext::current().expect("runs inside a request context");
        Ok::<_, std::convert::Infallible>(json!({
            "wat": current.workload_access_token().map(|t| t.expose_secret().to_owned()),
            "callback": current.oauth2_callback_url(),
            "session": current.session_id(),
            "request": current.request_id(),
            "inv_request": inv.request_id(),
            "inv_session": inv.session_id(),
            "custom": inv.headers().get("x-amzn-bedrock-agentcore-runtime-custom-tenant")
                .map(|v| v.to_str().unwrap().to_owned()),
            "authorization": inv.headers().get("authorization").is_some(),
            "amz_date_hidden": inv.headers().get("x-amz-date").is_none(),
        }))
    })
}

#[tokio::test]
async fn context_fields_reach_the_entrypoint() {
    let served = serve(context_app()).await;
    let http = reqwest::Client::new();
    let resp = http
        .post(served.url("/invocations"))
        .header("WorkloadAccessToken", "wat-from-runtime")
        .header("OAuth2CallbackUrl", "http://localhost:8081/oauth2/callback")
        .header("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id", "session-1")
        .header("X-Amzn-Bedrock-AgentCore-Runtime-Request-Id", "request-1")
        .header("X-Amzn-Bedrock-AgentCore-Runtime-Custom-Tenant", "acme")
        .header("Authorization", "Bearer inbound")
        .header("X-Amz-Date", "20261127T000000Z")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body,
        json!({
            "wat": "wat-from-runtime",
            "callback": "http://localhost:8081/oauth2/callback",
            "session": "session-1",
            "request": "request-1",
            "inv_request": "request-1",
            "inv_session": "session-1",
            "custom": "acme",
            "authorization": true,
            "amz_date_hidden": true,
        })
    );

    // The identity WAT header wins over WorkloadAccessToken.
    let body: Value = http
        .post(served.url("/invocations"))
        .header("WorkloadAccessToken", "older")
        .header("X-Amz-Bedrock-AgentCore-Identity-WAT", "preferred")
        .body("{}")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["wat"], "preferred");
}

#[tokio::test]
async fn request_id_is_generated_when_absent() {
    let served = serve(context_app()).await;
    let http = reqwest::Client::new();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let body: Value = http
            .post(served.url("/invocations"))
            .body("{}")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = body["request"]
            .as_str()
            .expect("a generated request id")
            .to_owned();
        assert!(uuid_like(&id), "{id}");
        assert_eq!(body["inv_request"], body["request"]);
        assert_eq!(body["session"], Value::Null);
        assert_eq!(body["wat"], Value::Null);
        ids.push(id);
    }
    assert_ne!(ids[0], ids[1]);
}

fn uuid_like(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && s.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
}

#[tokio::test]
async fn a_stream_is_sent_as_server_sent_events_inside_the_context() {
    let app = App::new(|p: Value, _inv: Invocation| async move {
        if p["fail_midway"] == json!(true) {
            let items = stream::iter(vec![
                Ok(json!("first")),
                Err("broken stream"),
                Ok(json!("never")),
            ]);
            return Ok::<_, std::convert::Infallible>(Reply::try_stream(items));
        }
        // Each item is produced while polling, and must still see the request context.
        let items = stream::iter(0..3).then(|i| async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            json!({ "n": i, "request": RequestContext::current().and_then(|c| c.request_id().map(str::to_owned)) })
        });
        Ok(Reply::stream(items))
    });
    let served = serve(app).await;
    let http = reqwest::Client::new();
    let resp = http
        .post(served.url("/invocations"))
        .header("X-Amzn-Bedrock-AgentCore-Runtime-Request-Id", "r-sse")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let text = resp.text().await.unwrap();
    assert_eq!(
        text,
        "data: {\"n\":0,\"request\":\"r-sse\"}\n\n\
         data: {\"n\":1,\"request\":\"r-sse\"}\n\n\
         data: {\"n\":2,\"request\":\"r-sse\"}\n\n"
    );

    let text = http
        .post(served.url("/invocations"))
        .body(r#"{"fail_midway": true}"#)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let events: Vec<Value> = text
        .split("\n\n")
        .filter(|e| !e.is_empty())
        .map(|e| serde_json::from_str(e.strip_prefix("data: ").unwrap()).unwrap())
        .collect();
    assert_eq!(events.len(), 2, "{text}");
    assert_eq!(events[0], json!("first"));
    assert_eq!(events[1]["error"], "broken stream");
    assert_eq!(events[1]["message"], "An error occurred during streaming");
}

async fn ping(http: &reqwest::Client, served: &Served) -> Value {
    let resp = http.get(served.url("/ping")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

#[tokio::test]
async fn ping_is_healthy_busy_while_tracked_tasks_run() {
    let (release_tx, release_rx) = oneshot::channel::<()>();
    let release = std::sync::Mutex::new(Some(release_rx));
    let app = App::new(move |_p: Value, inv: Invocation| {
        let release = release.lock().unwrap().take();
        async move {
            // Background work that outlives the invocation, tracked for /ping.
            if let Some(release) = release {
                inv.app().spawn_task("background-job", async move {
                    let _ = release.await;
                });
            }
            Ok::<_, std::convert::Infallible>(json!("started"))
        }
    });
    let served = serve(app.clone()).await;
    let http = reqwest::Client::new();

    let body = ping(&http, &served).await;
    assert_eq!(body["status"], "Healthy");
    let t0 = body["time_of_last_update"]
        .as_u64()
        .expect("epoch seconds as an integer");
    assert!(t0 > 1_600_000_000);

    let (status, _, _) = post(&http, &served.url("/invocations"), "{}").await;
    assert_eq!(status, 200);
    assert_eq!(ping(&http, &served).await["status"], "HealthyBusy");
    assert_eq!(app.async_task_info().active_count, 1);
    assert_eq!(app.async_task_info().running_jobs[0].name, "background-job");

    release_tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), async {
        while ping(&http, &served).await["status"] != "Healthy" {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("back to Healthy once the task is done");

    // Manual tracking, guards and forced status.
    let id = app.add_async_task("manual");
    assert_eq!(ping(&http, &served).await["status"], "HealthyBusy");
    assert!(app.complete_async_task(id));
    assert!(!app.complete_async_task(id));
    {
        let _guard = app.task_guard("guarded");
        assert_eq!(app.ping_status(), PingStatus::HealthyBusy);
    }
    assert_eq!(app.ping_status(), PingStatus::Healthy);
    app.force_ping_status(PingStatus::HealthyBusy);
    assert_eq!(ping(&http, &served).await["status"], "HealthyBusy");
    app.clear_forced_ping_status();
    assert_eq!(ping(&http, &served).await["status"], "Healthy");
}

#[tokio::test]
async fn shutdown_lets_the_request_in_flight_finish() {
    let app = App::new(|_p: Value, _inv: Invocation| async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        Ok::<_, std::convert::Infallible>(json!("finished"))
    });
    let served = serve(app).await;
    let http = reqwest::Client::new();
    let url = served.url("/invocations");
    let in_flight = tokio::spawn(async move { post(&http, &url, "{}").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    served.shutdown().await.unwrap();
    let (status, _, body) = in_flight.await.unwrap();
    assert_eq!((status, body), (200, json!("finished")));
}

/// Stuck clients as an attacker on the same machine would hold them: half-sent heads and
/// half-sent bodies. `/ping` keeps answering, bodies time out with 408, and shutdown returns
/// within its deadline while the stuck connections are still open.
#[tokio::test]
async fn stuck_clients_neither_hold_the_app_nor_keep_it_from_stopping() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = App::builder()
        .entrypoint(
            |p: Value, _inv: Invocation| async move { Ok::<_, std::convert::Infallible>(p) },
        )
        .serve_config(
            agentcore_runtime::ServeConfig::new()
                .header_read_timeout(Duration::from_secs(30))
                .body_timeout(Duration::from_millis(500))
                .shutdown_deadline(Duration::from_secs(1)),
        )
        .build();
    let served = serve(app).await;
    let mut stuck = Vec::new();
    for _ in 0..200 {
        let mut s = tokio::net::TcpStream::connect(served.addr).await.unwrap();
        s.write_all(b"POST /invocations HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        stuck.push(s);
    }
    let mut half_bodies = Vec::new();
    for _ in 0..20 {
        let mut s = tokio::net::TcpStream::connect(served.addr).await.unwrap();
        s.write_all(
            b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{\"a\":",
        )
        .await
        .unwrap();
        half_bodies.push(s);
    }
    let http = reqwest::Client::new();
    assert_eq!(ping(&http, &served).await["status"], "Healthy");
    // The half-sent bodies get 408 once the body timeout passes.
    for s in &mut half_bodies {
        let mut out = String::new();
        tokio::time::timeout(Duration::from_secs(5), s.read_to_string(&mut out))
            .await
            .expect("answered")
            .unwrap();
        assert!(out.starts_with("HTTP/1.1 408"), "{out}");
        assert!(out.contains("Request timeout"), "{out}");
    }
    // Shutdown with 200 half-open heads (30 s header timeout) returns within the 1 s deadline.
    let started = std::time::Instant::now();
    served.shutdown().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    drop(stuck);
}

mod identity {
    //! On AgentCore Runtime an invocation without a workload access token must not act as the
    //! process-wide identity.
    use super::*;
    use agentcore_identity::{ApiKeyRequest, IdentityClient};
    use agentcore_identity_local::LocalIdentityService;

    async fn app(client: IdentityClient, required: bool) -> App {
        App::builder()
            .require_workload_access_token(required)
            .entrypoint(move |_p: Value, _inv: Invocation| {
                let client = client.clone();
                async move {
                    let key = client.get_api_key(ApiKeyRequest::new("openai")).await?;
                    Ok::<_, agentcore_identity::Error>(
                        json!({ "key_len": key.expose_secret().len() }),
                    )
                }
            })
            .build()
    }

    #[tokio::test]
    async fn a_missing_token_header_is_an_error_naming_it_when_required() {
        let svc = LocalIdentityService::builder()
            .port(0)
            .start()
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let client = IdentityClient::builder()
            .region("us-east-1")
            .endpoint_url(svc.endpoint())
            .credentials_provider(aws_credential_types::Credentials::for_tests())
            .local_config_path(dir.path().join(".agentcore.json"))
            .env_lookup(|_| None)
            .build()
            .await
            .unwrap();
        client
            .create_api_key_credential_provider(
                "openai",
                agentcore_identity::SecretString::from("sk-test-key"),
            )
            .await
            .unwrap();
        client
            .create_workload_identity(Some("agent"), &[])
            .await
            .unwrap();
        let wat = client
            .get_workload_access_token(
                "agent",
                agentcore_identity::WorkloadUser::UserId("alice".into()),
            )
            .await
            .unwrap();
        let http = reqwest::Client::new();

        // Required (as on AgentCore Runtime): no header, no fallback, the header is named.
        let served = serve(app(client.clone(), true).await).await;
        let before = svc.total_requests();
        let (status, _, body) = post(&http, &served.url("/invocations"), "{}").await;
        assert_eq!(status, 500, "{body}");
        let msg = body["error"].as_str().unwrap();
        assert!(msg.contains("WorkloadAccessToken"), "{msg}");
        assert_eq!(svc.total_requests(), before, "nothing was fetched");
        assert!(!dir.path().join(".agentcore.json").exists(), "no local dev");
        // With the header, the key arrives.
        let resp = http
            .post(served.url("/invocations"))
            .header("WorkloadAccessToken", wat.expose_secret())
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["key_len"], 11);
        served.shutdown().await.unwrap();

        // Not required (local development): the same invocation falls back to local development.
        let served = serve(app(client, false).await).await;
        let (status, _, body) = post(&http, &served.url("/invocations"), "{}").await;
        assert_eq!((status, body["key_len"].clone()), (200, json!(11)));
        assert!(dir.path().join(".agentcore.json").exists());
        served.shutdown().await.unwrap();
    }
}
