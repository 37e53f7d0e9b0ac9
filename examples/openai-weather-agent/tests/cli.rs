//! The binary's subcommands, end to end: `setup` (twice) stores the key from the environment in
//! the local identity service, `invoke` answers one prompt through the local development flow
//! (`.agentcore.json`), and nothing the process prints contains the key.

mod common;

use std::process::Output;

use common::*;
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn run(args: &[&str], env: &[(&str, String)], dir: &std::path::Path) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_openai-weather-agent"));
    cmd.args(args).current_dir(dir).env_clear();
    for var in ["PATH", "SYSTEMROOT", "TMPDIR"] {
        if let Ok(v) = std::env::var(var) {
            cmd.env(var, v);
        }
    }
    cmd.env("HOME", dir)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("RUST_LOG", "trace");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run the example binary")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_then_invoke_from_the_command_line() {
    let key = fresh_key();
    let id = identity().await;
    let model = MockServer::start().await;
    let bearer = format!("Bearer {key}");
    for (has_result, body) in [(false, tool_call_response()), (true, final_response())] {
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .and(header("authorization", bearer.as_str()))
            .and(HasWeatherResult(has_result))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&model)
            .await;
    }
    let dir = tempfile::tempdir().unwrap();
    let env = vec![
        ("AWS_ENDPOINT_URL", id.service.endpoint()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "AKIDLOCAL".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "local-secret".to_owned()),
        ("OPENAI_BASE_URL", format!("{}/v1", model.uri())),
        ("OPENAI_API_KEY", key.clone()),
    ];
    let path = dir.path().to_owned();

    let first = {
        let (env, path) = (env.clone(), path.clone());
        tokio::task::spawn_blocking(move || run(&["setup"], &env, &path))
            .await
            .unwrap()
    };
    let (stdout, stderr) = text(&first);
    assert!(first.status.success(), "setup failed:\n{stderr}");
    assert!(stderr.contains("created API key credential provider `openai-apikey-provider`"));
    assert!(
        stdout.contains("apikeycredentialprovider/openai-apikey-provider"),
        "{stdout}"
    );

    let second = {
        let (env, path) = (env.clone(), path.clone());
        tokio::task::spawn_blocking(move || run(&["setup"], &env, &path))
            .await
            .unwrap()
    };
    let (_, stderr2) = text(&second);
    assert!(second.status.success(), "second setup failed:\n{stderr2}");
    assert!(stderr2.contains("updated the key"), "{stderr2}");

    // `invoke` has no runtime context: the local development flow creates a workload identity
    // and a user id in .agentcore.json, then fetches the key for them.
    let payload = json!({"prompt": "What's the weather now?"}).to_string();
    let invoked = {
        let (env, path) = (env.clone(), path.clone());
        tokio::task::spawn_blocking(move || run(&["invoke", &payload], &env, &path))
            .await
            .unwrap()
    };
    let (stdout3, stderr3) = text(&invoked);
    assert!(invoked.status.success(), "invoke failed:\n{stderr3}");
    assert_eq!(stdout3.trim(), FINAL_TEXT);
    assert!(dir.path().join(".agentcore.json").exists());
    assert_eq!(id.service.request_count("GetResourceApiKey"), 1);

    for output in [&stdout, &stderr, &stderr2, &stdout3, &stderr3] {
        assert!(!output.contains(&key), "the key was printed");
    }
    assert!(
        stderr3.contains("TRACE"),
        "the binary logged at trace level"
    );

    let bad = tokio::task::spawn_blocking(move || run(&["invoke", "not json"], &env, &path))
        .await
        .unwrap();
    assert!(!bad.status.success());
    assert!(text(&bad).1.contains("the payload must be JSON"));
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_finishes_the_request_in_flight_on_sigterm() {
    let key = fresh_key();
    let id = identity().await;
    openai_weather_agent::setup_provider(&id.client, secrecy::SecretString::from(key.clone()))
        .await
        .unwrap();
    let wat = id.workload_access_token("weather-agent-sigterm").await;
    let model = MockServer::start().await;
    let bearer = format!("Bearer {key}");
    for (has_result, body) in [(false, tool_call_response()), (true, final_response())] {
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .and(header("authorization", bearer.as_str()))
            .and(HasWeatherResult(has_result))
            .respond_with(ResponseTemplate::new(200).set_body_json(body).set_delay(
                std::time::Duration::from_millis(if has_result { 700 } else { 0 }),
            ))
            .mount(&model)
            .await;
    }
    let port = agentcore_identity_testkit::free_port();
    let dir = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_openai-weather-agent"))
        .args(["serve", "--address", &format!("127.0.0.1:{port}")])
        .current_dir(dir.path())
        .env("AWS_ENDPOINT_URL", id.service.endpoint())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "AKIDLOCAL")
        .env("AWS_SECRET_ACCESS_KEY", "local-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("OPENAI_BASE_URL", format!("{}/v1", model.uri()))
        .env_remove("OPENAI_API_KEY")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while http.get(format!("{base}/ping")).send().await.is_err() {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("serve came up");

    let call = {
        let (http, url) = (http.clone(), format!("{base}/invocations"));
        let wat = secrecy::ExposeSecret::expose_secret(&wat).to_owned();
        tokio::spawn(async move {
            let resp = http
                .post(url)
                .header("WorkloadAccessToken", wat)
                .json(&json!({"prompt": "weather?"}))
                .send()
                .await
                .unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        })
    };
    // Wait until the agent is working, then ask the process to stop.
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            let ping: serde_json::Value = http
                .get(format!("{base}/ping"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if ping["status"] == "HealthyBusy" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("HealthyBusy while the invocation runs");
    let pid = child.id().expect("running").to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());

    let (status, body) = call.await.unwrap();
    assert_eq!(status, 200, "the request in flight finishes: {body}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        json!(FINAL_TEXT)
    );
    let exit = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait())
        .await
        .expect("the server stops after SIGTERM")
        .unwrap();
    assert!(exit.success(), "{exit:?}");
    let mut stderr = String::new();
    use tokio::io::AsyncReadExt;
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .await
        .unwrap();
    assert!(stderr.contains("SIGTERM received"), "{stderr}");
    assert!(!stderr.contains(&key));
}
