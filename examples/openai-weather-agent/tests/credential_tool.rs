//! The pattern for a rig tool that needs a credential: `LiveWeather` calls a weather service
//! with a key from the vault, fetched by a `#[requires_api_key]` function inside the tool's
//! call. The key is not in the tool's JSON schema, never reaches the model, and is fetched with
//! the invocation's workload access token (the request context follows rig's agent loop into
//! the tool).

mod common;

use agentcore_identity::IdentityClient;
use common::*;
use openai_weather_agent::tools::{LiveWeather, WEATHER_PROVIDER_NAME, Weather};
use openai_weather_agent::{Config, Tools, setup_provider};
use rig_agent::tool::{RegisteredTool, ToolContext, tool_definition};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

/// What the weather service answers.
const FORECAST: &str = "sunny, 21 °C";

/// Every property name anywhere in a JSON schema.
fn property_names(schema: &Value, out: &mut Vec<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Object(props)) = map.get("properties") {
                out.extend(props.keys().cloned());
            }
            for v in map.values() {
                property_names(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| property_names(v, out)),
        _ => {}
    }
}

fn looks_like_a_credential(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["key", "token", "secret", "auth", "credential", "password"]
        .iter()
        .any(|w| name.contains(w))
}

/// A client that behaves as on AgentCore Runtime (`DOCKER_CONTAINER=1`): outside a request
/// context it refuses the local development flow, so a credential fetched without the
/// invocation's workload access token fails instead of quietly acting as another identity.
async fn runtime_client(id: &Identity) -> IdentityClient {
    IdentityClient::builder()
        .region("us-east-1")
        .endpoint_url(id.service.endpoint())
        .credentials_provider(aws_credentials())
        .env_lookup(|name| (name == "DOCKER_CONTAINER").then(|| "1".to_owned()))
        .build()
        .await
        .unwrap()
}

/// Stores `key` in the weather provider.
async fn weather_provider(id: &Identity, key: &str) {
    id.client
        .create_api_key_credential_provider(WEATHER_PROVIDER_NAME, SecretString::from(key))
        .await
        .unwrap();
}

/// The weather service: answers [`FORECAST`] to `Authorization: Bearer <key>` only.
async fn weather_service(key: &str) -> MockServer {
    let service = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/forecast"))
        .and(header("authorization", format!("Bearer {key}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_string(FORECAST))
        .mount(&service)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_string("unauthorized"))
        .with_priority(10)
        .mount(&service)
        .await;
    service
}

#[test]
fn the_tool_schema_has_no_credential_field() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = rt.block_on(async {
        IdentityClient::builder()
            .region("us-east-1")
            .endpoint_url("http://127.0.0.1:9")
            .credentials_provider(aws_credentials())
            .build()
            .await
            .unwrap()
    });
    let live = tool_definition(&LiveWeather::new("http://127.0.0.1:9/forecast", client));
    assert_eq!(live.name.to_string(), "weather");
    let mut names = Vec::new();
    property_names(&live.parameters, &mut names);
    assert_eq!(names, ["location"], "the model sees only `location`");
    assert!(!names.iter().any(|n| looks_like_a_credential(n)));
    // The check itself would catch a credential parameter.
    assert!(looks_like_a_credential("api_key") && looks_like_a_credential("accessToken"));

    // The tutorial's dummy has no parameter at all; both share a name, so the agent offers one.
    let dummy = tool_definition(&Weather);
    assert_eq!(dummy.name, live.name);
    assert_eq!(dummy.parameters["properties"], json!({}));
}

/// Matches a chat request whose current turn already has a tool result.
struct HasToolResult(bool);

impl Match for HasToolResult {
    fn matches(&self, request: &Request) -> bool {
        let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
            return false;
        };
        let has = body["messages"]
            .as_array()
            .is_some_and(|m| m.iter().any(|msg| msg["role"] == "tool"));
        has == self.0
    }
}

#[tokio::test]
async fn through_the_agent_loop_the_tool_fetches_its_key_with_the_invocations_token() {
    capture_logs();
    let model_key = fresh_key();
    let weather_key = fresh_key();
    let id = identity().await;
    setup_provider(&id.client, SecretString::from(model_key.clone()))
        .await
        .unwrap();
    weather_provider(&id, &weather_key).await;
    id.client
        .create_workload_identity(Some("weather-agent-live"), &[])
        .await
        .unwrap();
    let wat = id
        .client
        .get_workload_access_token(
            "weather-agent-live",
            agentcore_identity::WorkloadUser::UserId("alice".into()),
        )
        .await
        .unwrap();
    let weather = weather_service(&weather_key).await;

    let model = MockServer::start().await;
    let bearer = format!("Bearer {model_key}");
    for (has_result, body) in [(false, tool_call_response()), (true, final_response())] {
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .and(header("authorization", bearer.as_str()))
            .and(HasToolResult(has_result))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&model)
            .await;
    }
    let mut config = Config::openai().with_base_url(format!("{}/v1", model.uri()));
    config.weather_api_url = Some(format!("{}/forecast", weather.uri()));
    let served = serve(config, runtime_client(&id).await).await;

    for round in 0..2 {
        let (status, _, body) = invoke(&served, &wat, json!({"prompt": "Weather?"})).await;
        assert_eq!(status, 200, "round {round}: {body}");
    }
    // The weather service got the vault's key, and the model got the service's answer.
    let forecasts = weather.received_requests().await.unwrap();
    assert_eq!(forecasts.len(), 2);
    let requests = chat_requests(&model).await;
    assert_eq!(requests.len(), 4);
    assert_eq!(
        requests[1]["messages"].as_array().unwrap().last().unwrap(),
        &json!({"role": "tool", "content": FORECAST, "tool_call_id": "call_weather_1"})
    );
    // What the model was offered and sent: no credential field, and never the weather key.
    let mut names = Vec::new();
    property_names(&requests[0]["tools"], &mut names);
    assert!(
        !names.iter().any(|n| looks_like_a_credential(n)),
        "{names:?}"
    );
    for request in &requests {
        assert!(!request.to_string().contains(&weather_key));
    }
    // Two keys, each fetched once (the second round is served by the library's cache).
    assert_eq!(id.service.request_count("GetResourceApiKey"), 2);
    served.shutdown().await;
    assert_not_logged(&[&model_key, &weather_key, wat.expose_secret()]);
}

#[tokio::test]
async fn outside_an_invocation_the_tool_fails_without_leaking_and_the_model_is_told() {
    capture_logs();
    let weather_key = fresh_key();
    let id = identity().await;
    weather_provider(&id, &weather_key).await;
    let weather = weather_service(&weather_key).await;
    let tool = RegisteredTool::from_tool(LiveWeather::new(
        format!("{}/forecast", weather.uri()),
        runtime_client(&id).await,
    ));

    // No request context, on AgentCore Runtime: no workload access token, so no key.
    let result = tool.execute("{}".to_owned(), &mut ToolContext::new()).await;
    assert!(result.is_error());
    let told = result.output().render();
    assert!(
        told.contains("could not get the weather API key"),
        "the model is told what failed: {told}"
    );
    assert!(!told.contains(&weather_key));
    assert!(weather.received_requests().await.unwrap().is_empty());

    // Inside a request context with a workload access token, the same call succeeds.
    id.client
        .create_workload_identity(Some("weather-tool-direct"), &[])
        .await
        .unwrap();
    let wat = id
        .client
        .get_workload_access_token(
            "weather-tool-direct",
            agentcore_identity::WorkloadUser::UserId("bob".into()),
        )
        .await
        .unwrap();
    let ctx = agentcore_identity::context::RequestContext::new().with_workload_access_token(wat);
    let result = agentcore_identity::context::RequestContext::scope(ctx, async {
        tool.execute(
            json!({"location": "Tokyo"}).to_string(),
            &mut ToolContext::new(),
        )
        .await
    })
    .await;
    assert!(result.is_success(), "{}", result.output().render());
    assert_eq!(result.output().as_text(), Some(FORECAST));
    let sent = weather.received_requests().await.unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].url.query(), Some("location=Tokyo"));

    // A tool set with the live tool still offers one `weather` tool.
    let names = Tools::new()
        .with(openai_weather_agent::tools::Calculator)
        .with(LiveWeather::new("http://127.0.0.1:9", id.client.clone()))
        .names();
    assert_eq!(names, ["calculator", "weather"]);
}
