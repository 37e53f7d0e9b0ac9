//! End to end, on loopback: the local identity service holds the model key; the example's
//! `serve` runs in-process; an OpenAI-compatible stand-in answers only that key and scripts a
//! `weather` tool call followed by a final answer.

mod common;

use std::time::Duration;

use common::*;
use openai_weather_agent::{Config, setup_provider};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Mounts the scripted OpenAI conversation: a `weather` tool call, then (once the tool result is
/// in the conversation) the final answer; as JSON, or as server-sent events when the request
/// asks for a stream. Only `Authorization: Bearer <key>` is answered.
async fn openai_stand_in(key: &str, final_delay: Duration) -> MockServer {
    let model = MockServer::start().await;
    let bearer = format!("Bearer {key}");
    for stream in [false, true] {
        let (tool_call, last) = if stream {
            (
                ResponseTemplate::new(200).set_body_raw(tool_call_sse(), "text/event-stream"),
                ResponseTemplate::new(200).set_body_raw(final_sse(), "text/event-stream"),
            )
        } else {
            (
                ResponseTemplate::new(200).set_body_json(tool_call_response()),
                ResponseTemplate::new(200).set_body_json(final_response()),
            )
        };
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .and(header("authorization", bearer.as_str()))
            .and(body_partial_json(json!({"model": "gpt-4.1-mini"})))
            .and(Streaming(stream))
            .and(HasWeatherResult(false))
            .respond_with(tool_call)
            .mount(&model)
            .await;
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .and(header("authorization", bearer.as_str()))
            .and(Streaming(stream))
            .and(HasWeatherResult(true))
            .respond_with(last.set_delay(final_delay))
            .mount(&model)
            .await;
    }
    model
}

fn openai_config(model: &MockServer) -> Config {
    Config::openai().with_base_url(format!("{}/v1", model.uri()))
}

#[tokio::test]
async fn json_invocation_gets_the_key_from_the_vault_and_uses_the_weather_tool() {
    capture_logs();
    let key = fresh_key();
    let id = identity().await;
    let (_, created) = setup_provider(&id.client, SecretString::from(key.clone()))
        .await
        .unwrap();
    assert!(created);
    let wat = id.workload_access_token("weather-agent-json").await;
    let model = openai_stand_in(&key, Duration::ZERO).await;
    let served = serve(openai_config(&model), id.client.clone()).await;

    assert_eq!(ping(&served).await["status"], "Healthy");
    let (status, ctype, body) =
        invoke(&served, &wat, json!({"prompt": "What's the weather now?"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ctype, "application/json");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!(FINAL_TEXT)
    );

    // The stand-in saw the system prompt, both tools, and then the tool's result.
    let requests = chat_requests(&model).await;
    assert_eq!(requests.len(), 2);
    let first = &requests[0];
    assert_eq!(first["messages"][0]["role"], "system");
    assert_eq!(
        content_text(&first["messages"][0]["content"]),
        "You're a helpful assistant. You can do simple math calculation, and tell the weather."
    );
    assert_eq!(first["messages"][1]["role"], "user");
    assert_eq!(
        content_text(&first["messages"][1]["content"]),
        "What's the weather now?"
    );
    assert_eq!(first["temperature"], 0.7);
    assert_eq!(first["max_tokens"], 32_000);
    assert!(first.get("stream").is_none_or(|s| s == false), "{first}");
    let tools: Vec<&str> = first["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(tools, ["calculator", "weather"]);
    let last = requests[1]["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        last,
        json!({"role": "tool", "content": "sunny", "tool_call_id": "call_weather_1"})
    );

    // The agent is built once: a second invocation does not fetch the key again.
    let (status, _, _) = invoke(&served, &wat, json!({"prompt": "And now?"})).await;
    assert_eq!(status, 200);
    assert_eq!(id.service.request_count("GetResourceApiKey"), 1);
    assert_eq!(ping(&served).await["status"], "Healthy");

    served.shutdown().await;
    assert_not_logged(&[&key, wat.expose_secret()]);
}

#[tokio::test]
async fn streamed_invocation_sends_tool_use_tool_result_and_text_as_sse() {
    capture_logs();
    let key = fresh_key();
    let id = identity().await;
    setup_provider(&id.client, SecretString::from(key.clone()))
        .await
        .unwrap();
    let wat = id.workload_access_token("weather-agent-sse").await;
    let model = openai_stand_in(&key, Duration::ZERO).await;
    let served = serve(openai_config(&model), id.client.clone()).await;

    let (status, ctype, body) = invoke(
        &served,
        &wat,
        json!({"prompt": "What's the weather now?", "stream": true}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ctype, "text/event-stream");
    assert!(body.starts_with("data: "), "{body}");
    let items = sse_items(&body);
    // The model's text arrives in the pieces it streamed, then once more whole.
    let mut expected = vec![
        json!({"event": "tool_use", "name": "weather", "input": {}}),
        json!({"event": "tool_result", "name": "weather", "content": "sunny", "is_error": false}),
    ];
    expected.extend(
        FINAL_TEXT_PIECES
            .iter()
            .map(|piece| json!({"event": "text_delta", "text": piece})),
    );
    expected.push(json!({"event": "text", "text": FINAL_TEXT}));
    assert_eq!(items, expected);

    // Both model calls were streamed, and the tool result went back to the model.
    let requests = chat_requests(&model).await;
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|r| r["stream"] == true), "{requests:?}");
    assert_eq!(
        requests[1]["messages"].as_array().unwrap().last().unwrap(),
        &json!({"role": "tool", "content": "sunny", "tool_call_id": "call_weather_1"})
    );
    served.shutdown().await;
    assert_not_logged(&[&key, wat.expose_secret()]);
}

#[tokio::test]
async fn ping_is_healthy_busy_while_the_agent_works() {
    capture_logs();
    let key = fresh_key();
    let id = identity().await;
    setup_provider(&id.client, SecretString::from(key.clone()))
        .await
        .unwrap();
    let wat = id.workload_access_token("weather-agent-ping").await;
    // The final answer takes a while: long enough to see the busy status.
    let model = openai_stand_in(&key, Duration::from_millis(800)).await;
    let served = serve(openai_config(&model), id.client.clone()).await;

    let before = ping(&served).await;
    assert_eq!(before["status"], "Healthy");
    assert!(before["time_of_last_update"].as_u64().unwrap() > 1_600_000_000);

    let url = served.url("/invocations");
    let wat_header = wat.expose_secret().to_owned();
    let call = tokio::spawn(async move {
        reqwest::Client::new()
            .post(url)
            .header("WorkloadAccessToken", wat_header)
            .json(&json!({"prompt": "weather?"}))
            .send()
            .await
            .unwrap()
            .status()
    });
    tokio::time::timeout(Duration::from_secs(5), async {
        while ping(&served).await["status"] != "HealthyBusy" {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("HealthyBusy while the invocation runs");
    assert_eq!(call.await.unwrap(), 200);
    assert_eq!(ping(&served).await["status"], "Healthy");
    served.shutdown().await;
    assert_not_logged(&[&key]);
}

#[tokio::test]
async fn azure_requests_use_the_deployment_path_api_key_header_and_api_version() {
    capture_logs();
    let key = fresh_key();
    let id = identity().await;
    setup_provider(&id.client, SecretString::from(key.clone()))
        .await
        .unwrap();
    let wat = id.workload_access_token("weather-agent-azure").await;

    let model = MockServer::start().await;
    let chat_path = "/openai/deployments/gpt-41-mini-prod/chat/completions";
    for (has_result, body) in [(false, tool_call_response()), (true, final_response())] {
        Mock::given(method("POST"))
            .and(path(chat_path))
            .and(query_param("api-version", "2024-02-15-preview"))
            .and(header("api-key", key.as_str()))
            .and(NoAuthorization)
            .and(HasWeatherResult(has_result))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .expect(1)
            .mount(&model)
            .await;
    }
    let config = Config::from_lookup(|name| match name {
        "OPENAI_PROVIDER" => Some("azure".into()),
        "AZURE_OPENAI_ENDPOINT" => Some(model.uri()),
        "AZURE_OPENAI_API_VERSION" => Some("2024-02-15-preview".into()),
        "AZURE_OPENAI_DEPLOYMENT" => Some("gpt-41-mini-prod".into()),
        _ => None,
    })
    .unwrap();
    let served = serve(config, id.client.clone()).await;
    let (status, _, body) = invoke(&served, &wat, json!({"prompt": "weather?"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!(FINAL_TEXT)
    );
    model.verify().await;
    served.shutdown().await;
    assert_not_logged(&[&key]);
}

#[tokio::test]
async fn without_a_provider_the_error_is_clear_json_and_the_server_keeps_serving() {
    capture_logs();
    let key = fresh_key();
    let id = identity().await;
    let wat = id.workload_access_token("weather-agent-noprov").await;
    let model = openai_stand_in(&key, Duration::ZERO).await;
    let served = serve(openai_config(&model), id.client.clone()).await;

    for _ in 0..2 {
        let (status, ctype, body) = invoke(&served, &wat, json!({"prompt": "weather?"})).await;
        assert_eq!(status, 500);
        assert_eq!(ctype, "application/json");
        let body: Value = serde_json::from_str(&body).unwrap();
        let error = body["error"].as_str().unwrap();
        assert!(
            error.contains(
                "could not get the model API key from credential provider `openai-apikey-provider`"
            ),
            "{error}"
        );
        assert!(
            error.contains("ResourceNotFound") || error.contains("not found"),
            "{error}"
        );
        assert_eq!(ping(&served).await["status"], "Healthy");
    }
    assert!(
        chat_requests(&model).await.is_empty(),
        "no model call without a key"
    );

    // A payload without `prompt` is a 400; the server still serves.
    let (status, _, body) = invoke(&served, &wat, json!({"question": "?"})).await;
    assert_eq!(status, 400, "{body}");

    // Once the provider exists, the next invocation fetches the key and succeeds.
    setup_provider(&id.client, SecretString::from(key.clone()))
        .await
        .unwrap();
    let (status, _, body) = invoke(&served, &wat, json!({"prompt": "weather?"})).await;
    assert_eq!(status, 200, "{body}");
    served.shutdown().await;
    assert_not_logged(&[&key]);
}

#[tokio::test]
async fn setup_twice_updates_the_key_in_the_vault() {
    capture_logs();
    let old_key = fresh_key();
    let new_key = fresh_key();
    let id = identity().await;
    let (first, created) = setup_provider(&id.client, SecretString::from(old_key.clone()))
        .await
        .unwrap();
    assert!(created);
    let (second, created) = setup_provider(&id.client, SecretString::from(new_key.clone()))
        .await
        .unwrap();
    assert!(!created, "the second run updates");
    assert_eq!(first.arn, second.arn);

    let wat = id.workload_access_token("weather-agent-setup").await;
    // The stand-in accepts only the new key.
    let model = openai_stand_in(&new_key, Duration::ZERO).await;
    let served = serve(openai_config(&model), id.client.clone()).await;
    let (status, _, body) = invoke(&served, &wat, json!({"prompt": "weather?"})).await;
    assert_eq!(status, 200, "{body}");
    served.shutdown().await;
    assert_not_logged(&[&old_key, &new_key]);
}

#[tokio::test]
async fn a_rejected_key_is_reported_without_the_key_and_fetched_again_after_rotation() {
    capture_logs();
    let old_key = fresh_key();
    let new_key = fresh_key();
    let id = identity().await;
    setup_provider(&id.client, SecretString::from(old_key.clone()))
        .await
        .unwrap();
    let wat = id.workload_access_token("weather-agent-rotation").await;
    // The stand-in answers the new key; any other key gets OpenAI's 401, which echoes the key.
    let model = openai_stand_in(&new_key, Duration::ZERO).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": {
                "message": format!("Incorrect API key provided: {old_key}."),
                "type": "invalid_request_error",
                "param": null,
                "code": "invalid_api_key"
            }
        })))
        .with_priority(10)
        .mount(&model)
        .await;
    let served = serve(openai_config(&model), id.client.clone()).await;

    let (status, _, body) = invoke(&served, &wat, json!({"prompt": "weather?"})).await;
    assert_eq!(status, 500);
    assert!(
        !body.contains(&old_key),
        "the key leaked into the error body"
    );
    let error: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        error["error"],
        "the model endpoint rejected the API key from the credential provider (401 Unauthorized (invalid_api_key))"
    );

    // Rotate the key in the vault: the next invocation fetches it again, no restart needed.
    setup_provider(&id.client, SecretString::from(new_key.clone()))
        .await
        .unwrap();
    let (status, _, body) = invoke(&served, &wat, json!({"prompt": "weather?"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(id.service.request_count("GetResourceApiKey"), 2);
    served.shutdown().await;
    assert_not_logged(&[&old_key, &new_key]);
}

/// On AgentCore Runtime every invocation comes with a fresh workload access token; with the
/// Runtime's default cache scope (per workload) the key is fetched once for all of them, and the
/// example keeps no key of its own. Per token (the default elsewhere), each fresh token pays.
#[tokio::test]
async fn fresh_tokens_per_invocation_fetch_the_key_once_with_the_runtime_cache_scope() {
    capture_logs();
    let key = fresh_key();
    let id = identity().await;
    setup_provider(&id.client, SecretString::from(key.clone()))
        .await
        .unwrap();
    id.client
        .create_workload_identity(Some("weather-agent-scope"), &[])
        .await
        .unwrap();
    let model = openai_stand_in(&key, Duration::ZERO).await;
    for (env, expected) in [(Some("1"), 1), (None, 10)] {
        let client = agentcore_identity::IdentityClient::builder()
            .region("us-east-1")
            .endpoint_url(id.service.endpoint())
            .credentials_provider(aws_credentials())
            .env_lookup(move |name| {
                (name == "DOCKER_CONTAINER")
                    .then_some(env)
                    .flatten()
                    .map(str::to_owned)
            })
            .build()
            .await
            .unwrap();
        let served = serve(openai_config(&model), client).await;
        let before = id.service.request_count("GetResourceApiKey");
        for i in 0..10 {
            let wat = id
                .client
                .get_workload_access_token(
                    "weather-agent-scope",
                    agentcore_identity::WorkloadUser::UserId(format!("user-{i}")),
                )
                .await
                .unwrap();
            let (status, _, body) =
                invoke(&served, &wat, json!({"prompt": "What's the weather now?"})).await;
            assert_eq!(status, 200, "{body}");
        }
        assert_eq!(
            id.service.request_count("GetResourceApiKey") - before,
            expected,
            "DOCKER_CONTAINER={env:?}"
        );
        served.shutdown().await;
    }
    assert_not_logged(&[&key]);
}

/// A streamed invocation whose key the model rejects: the stream ends with an error event that
/// names the status, not the key; the next invocation fetches the rotated key.
#[tokio::test]
async fn a_rejected_key_while_streaming_ends_the_stream_with_an_error_without_the_key() {
    capture_logs();
    let old_key = fresh_key();
    let new_key = fresh_key();
    let id = identity().await;
    setup_provider(&id.client, SecretString::from(old_key.clone()))
        .await
        .unwrap();
    let wat = id.workload_access_token("weather-agent-stream-401").await;
    let model = openai_stand_in(&new_key, Duration::ZERO).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": {
                "message": format!("Incorrect API key provided: {old_key}."),
                "type": "invalid_request_error",
                "param": null,
                "code": "invalid_api_key"
            }
        })))
        .with_priority(10)
        .mount(&model)
        .await;
    let served = serve(openai_config(&model), id.client.clone()).await;

    let streamed = json!({"prompt": "weather?", "stream": true});
    let (status, ctype, body) = invoke(&served, &wat, streamed.clone()).await;
    assert_eq!(status, 200, "the stream had started: {body}");
    assert_eq!(ctype, "text/event-stream");
    assert!(!body.contains(&old_key), "the key leaked into the stream");
    assert_eq!(
        sse_items(&body),
        vec![json!({
            "event": "error",
            "error": "the model endpoint rejected the API key from the credential provider (401 Unauthorized (invalid_api_key))"
        })]
    );

    setup_provider(&id.client, SecretString::from(new_key.clone()))
        .await
        .unwrap();
    let (status, _, body) = invoke(&served, &wat, streamed).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        sse_items(&body).last().unwrap(),
        &json!({"event": "text", "text": FINAL_TEXT})
    );
    assert_eq!(id.service.request_count("GetResourceApiKey"), 2);
    served.shutdown().await;
    assert_not_logged(&[&old_key, &new_key]);
}
