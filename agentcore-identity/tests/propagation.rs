//! Workload-token propagation through the official `aws-sdk-bedrockagentcore` client, against a
//! stand-in loopback HTTP server that records every request (AgentCore Runtime, Harness and
//! Gateway cannot run here): the header is on InvokeAgentRuntime, InvokeAgentRuntimeCommand and
//! InvokeHarness requests made inside a context with a token, covered by the SigV4 signature, and
//! on no request made outside one nor on any AgentCore Identity request.
//!
//! Logs: every event of every target at TRACE is captured as JSON (one event a line). The token
//! appears in no event of this crate at any level, and in no event at all below TRACE. At TRACE
//! the AWS SDK for Rust itself prints request headers other than its fixed list (authorization,
//! x-amz-security-token, ...) in three events (`aws_sigv4` "signing request" and the canonical
//! request, `aws_smithy_runtime` "transmitting request"); the test pins down that those are the
//! only ones, so a new leak anywhere else fails it.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use agentcore_identity::context::RequestContext;
use agentcore_identity::propagation::{self, WAT_HEADER, WAT_HEADER_NAME, WatPropagation};
use aws_credential_types::Credentials;
use aws_sdk_bedrockagentcore::Client;
use aws_sdk_bedrockagentcore::primitives::Blob;
use aws_sdk_bedrockagentcore::types::{
    HarnessContentBlock, HarnessConversationRole, HarnessMessage,
    InvokeAgentRuntimeCommandRequestBody,
};
use secrecy::SecretString;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const WAT: &str = "wat-propagated-SECRET-5e1f00d7";

static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn init_logs() {
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let b = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || Buf(b.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one subscriber per binary");
        buf
    });
}

/// The captured events, one JSON object each.
fn events() -> Vec<serde_json::Value> {
    let raw = String::from_utf8_lossy(&LOGS.get().unwrap().lock().unwrap()).into_owned();
    raw.lines()
        .map(|l| serde_json::from_str(l).expect("one JSON event a line"))
        .collect()
}

/// The token is in no event of this crate, in no event below TRACE, and at TRACE only in the
/// AWS SDK's own request dumps (see the module docs).
fn assert_token_not_logged_except_by_the_sdk_at_trace() {
    let events = events();
    assert!(
        events
            .iter()
            .any(|e| e["fields"]["message"] == "Propagating the workload access token"),
        "the interceptor's debug event was captured"
    );
    for e in &events {
        let line = e.to_string();
        if !line.contains(WAT) {
            continue;
        }
        let target = e["target"].as_str().unwrap_or_default();
        let message = e["fields"]["message"].as_str().unwrap_or_default();
        let sdk_dump = matches!(
            (target, message),
            ("aws_sigv4::http_request::sign", "signing request")
                | (
                    "aws_sigv4::http_request::sign",
                    "calculated signing parameters"
                )
                | ("aws_sigv4::http_request::sign", "")
                | (
                    "aws_smithy_runtime::client::orchestrator",
                    "transmitting request"
                )
        );
        assert!(
            e["level"] == "TRACE" && sdk_dump,
            "the token in an unexpected event: {target} {message:?} at {}",
            e["level"]
        );
    }
}
const RUNTIME_ARN: &str = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/callee-abc123";
const HARNESS_ARN: &str = "arn:aws:bedrock-agentcore:us-east-1:123456789012:harness/h-abc123";

/// A stand-in for the data plane: answers every request with a 200 it can parse (an API key for
/// GetResourceApiKey, an empty body for the rest) and records what it got.
async fn stand_in() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/identities/api-key"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"apiKey":"sk-stand-in-0000"}"#, "application/json"),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("{}", "application/json"))
        .mount(&server)
        .await;
    server
}

fn sdk_config(server: &MockServer) -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(server.uri())
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(
            Credentials::for_tests(),
        ))
        .build()
}

/// A client built with `propagation::data_plane_config`.
fn client(server: &MockServer) -> Client {
    Client::from_conf(propagation::data_plane_config(&sdk_config(server)))
}

fn ctx() -> RequestContext {
    RequestContext::new().with_workload_access_token(SecretString::from(WAT))
}

/// Calls the three propagating operations the Rust SDK has, each once; their results do not
/// matter here (the stand-in's answers are not real event streams), the requests do.
async fn invoke_all(c: &Client) {
    let _ = c
        .invoke_agent_runtime()
        .agent_runtime_arn(RUNTIME_ARN)
        .payload(Blob::new(br#"{"prompt":"hi"}"#.to_vec()))
        .send()
        .await;
    let _ = c
        .invoke_agent_runtime_command()
        .agent_runtime_arn(RUNTIME_ARN)
        .body(
            InvokeAgentRuntimeCommandRequestBody::builder()
                .command("echo hi")
                .build()
                .unwrap(),
        )
        .send()
        .await;
    let _ = c
        .invoke_harness()
        .harness_arn(HARNESS_ARN)
        .messages(
            HarnessMessage::builder()
                .role(HarnessConversationRole::User)
                .content(HarnessContentBlock::Text("hi".into()))
                .build()
                .unwrap(),
        )
        .send()
        .await;
}

fn header(r: &Request, name: &str) -> Option<String> {
    r.headers.get(name).map(|v| v.to_str().unwrap().to_owned())
}

/// The names SigV4 signed, from the Authorization header.
fn signed_headers(r: &Request) -> Vec<String> {
    let auth = header(r, "authorization").expect("the request is signed");
    let list = auth
        .split("SignedHeaders=")
        .nth(1)
        .expect("SignedHeaders in Authorization")
        .split(',')
        .next()
        .unwrap();
    list.split(';').map(str::to_owned).collect()
}

fn paths(reqs: &[Request]) -> Vec<String> {
    reqs.iter().map(|r| r.url.path().to_owned()).collect()
}

#[tokio::test]
async fn invocations_in_a_context_carry_the_signed_header() {
    init_logs();
    let server = stand_in().await;
    let c = client(&server);
    RequestContext::scope(ctx(), invoke_all(&c)).await;

    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 3, "{:?}", paths(&reqs));
    let wat_header = WAT_HEADER_NAME.to_ascii_lowercase();
    for (r, expected_path) in reqs
        .iter()
        .zip(["/runtimes/", "/runtimes/", "/harnesses/invoke"])
    {
        let p = r.url.path();
        assert!(p.starts_with(expected_path), "{p}");
        assert_eq!(header(r, WAT_HEADER.as_str()).as_deref(), Some(WAT), "{p}");
        assert_eq!(r.headers.get_all(WAT_HEADER).iter().count(), 1, "{p}");
        let signed = signed_headers(r);
        assert!(
            signed.contains(&wat_header),
            "{p}: {wat_header} not signed: {signed:?}"
        );
    }
    assert!(
        reqs[0].url.path().ends_with("/invocations"),
        "{}",
        reqs[0].url
    );
    assert!(reqs[1].url.path().ends_with("/commands"), "{}", reqs[1].url);
    assert_token_not_logged_except_by_the_sdk_at_trace();
}

#[tokio::test]
async fn nothing_is_added_outside_a_context_or_without_a_token() {
    init_logs();
    let server = stand_in().await;
    let c = client(&server);
    invoke_all(&c).await;
    // A context without a token adds nothing either.
    RequestContext::scope(RequestContext::new().with_request_id("r-1"), invoke_all(&c)).await;
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 6, "{:?}", paths(&reqs));
    for r in &reqs {
        assert!(r.headers.get(WAT_HEADER).is_none(), "{}", r.url);
        assert!(
            !signed_headers(r).contains(&WAT_HEADER.as_str().to_owned()),
            "{}",
            r.url
        );
    }
}

/// Calls every AgentCore Identity operation of the data plane once (results ignored where the
/// stand-in's `{}` is not a valid answer).
async fn identity_calls(c: &Client) {
    let _ = c
        .get_resource_oauth2_token()
        .workload_identity_token("another-workload-token-123")
        .resource_credential_provider_name("google")
        .scopes("openid")
        .oauth2_flow(aws_sdk_bedrockagentcore::types::Oauth2FlowType::M2M)
        .send()
        .await;
    let _ = c
        .get_workload_access_token()
        .workload_name("agent")
        .send()
        .await;
    let _ = c
        .get_workload_access_token_for_user_id()
        .workload_name("agent")
        .user_id("user-1")
        .send()
        .await;
    let _ = c
        .get_workload_access_token_for_jwt()
        .workload_name("agent")
        .user_token("user-jwt-123")
        .send()
        .await;
    let _ = c
        .complete_resource_token_auth()
        .session_uri("urn:ietf:params:oauth:request_uri:abc")
        .user_identifier(aws_sdk_bedrockagentcore::types::UserIdentifier::UserId(
            "user-1".into(),
        ))
        .send()
        .await;
}

#[tokio::test]
async fn identity_operations_never_carry_it() {
    init_logs();
    let server = stand_in().await;
    let c = client(&server);
    let key = RequestContext::scope(ctx(), async {
        let out = c
            .get_resource_api_key()
            .workload_identity_token("another-workload-token-123")
            .resource_credential_provider_name("openai")
            .send()
            .await
            .expect("stand-in answers GetResourceApiKey");
        identity_calls(&c).await;
        // ... while an invocation in the same context does carry it.
        invoke_all(&c).await;
        out.api_key().to_owned()
    })
    .await;
    assert_eq!(key, "sk-stand-in-0000");
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 9, "{:?}", paths(&reqs));
    for r in &reqs[..6] {
        let p = r.url.path();
        assert!(p.starts_with("/identities/"), "{p}");
        assert!(r.headers.get(WAT_HEADER).is_none(), "{p}");
        // A signed request: the stand-in saw the real thing.
        assert!(!signed_headers(r).is_empty(), "{p}");
    }
    for r in &reqs[6..] {
        assert_eq!(
            header(r, WAT_HEADER.as_str()).as_deref(),
            Some(WAT),
            "{}",
            r.url
        );
    }
}

#[tokio::test]
async fn the_interceptor_attached_by_hand_and_carried_into_spawned_tasks() {
    init_logs();
    let server = stand_in().await;
    let config = aws_sdk_bedrockagentcore::config::Builder::from(&sdk_config(&server))
        .interceptor(WatPropagation::new())
        .build();
    let c = Client::from_conf(config);
    RequestContext::scope(ctx(), async {
        let c = c.clone();
        // agentcore_identity::context::spawn carries the context; the call inside propagates.
        agentcore_identity::context::spawn(async move { invoke_all(&c).await })
            .await
            .unwrap();
    })
    .await;
    // A plain tokio::spawn starts without a context: no header.
    let c2 = c.clone();
    RequestContext::scope(ctx(), async {
        tokio::spawn(async move { invoke_all(&c2).await })
            .await
            .unwrap();
    })
    .await;
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 6, "{:?}", paths(&reqs));
    for r in &reqs[..3] {
        assert_eq!(
            header(r, WAT_HEADER.as_str()).as_deref(),
            Some(WAT),
            "{}",
            r.url
        );
    }
    for r in &reqs[3..] {
        assert!(r.headers.get(WAT_HEADER).is_none(), "{}", r.url);
    }
    let shown = format!("{:?}", WatPropagation::new());
    assert!(shown.contains(WAT_HEADER_NAME), "{shown}");
}

#[tokio::test]
async fn raw_gateway_call_with_the_helper() {
    init_logs();
    let server = stand_in().await;
    let url = format!("{}/mcp", server.uri());
    let http = reqwest::Client::new();
    let send = |with_ctx: bool| {
        let http = http.clone();
        let url = url.clone();
        let call = async move {
            let mut req = http
                .post(&url)
                .body(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#);
            if let Some((name, value)) = propagation::wat_header().unwrap() {
                assert!(value.is_sensitive());
                assert!(!format!("{value:?}").contains(WAT));
                req = req.header(name, value);
            }
            req.send().await.unwrap().status()
        };
        async move {
            if with_ctx {
                RequestContext::scope(ctx(), call).await
            } else {
                call.await
            }
        }
    };
    assert!(send(true).await.is_success());
    assert!(send(false).await.is_success());
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 2);
    assert_eq!(header(&reqs[0], WAT_HEADER_NAME).as_deref(), Some(WAT));
    assert!(reqs[1].headers.get(WAT_HEADER).is_none());

    // The same through insert_wat_header on an http::Request.
    let mut req = http::Request::post(&url).body(()).unwrap();
    assert!(!propagation::insert_wat_header(&mut req).unwrap());
    assert!(req.headers().is_empty());
    let added = RequestContext::scope(ctx(), async { propagation::insert_wat_header(&mut req) })
        .await
        .unwrap();
    assert!(added);
    assert_eq!(req.headers()[WAT_HEADER], WAT);
    assert!(!format!("{req:?}").contains(WAT));
    assert_token_not_logged_except_by_the_sdk_at_trace();
}

/// Records, just before each request goes out (after signing), whether the header value is still
/// marked sensitive.
#[derive(Debug, Clone, Default)]
struct SensitivityProbe(Arc<Mutex<Vec<bool>>>);

impl aws_smithy_runtime_api::client::interceptors::Intercept for SensitivityProbe {
    fn name(&self) -> &'static str {
        "SensitivityProbe"
    }

    fn read_before_transmit(
        &self,
        context: &aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef<'_>,
        _rc: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        _cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let request = context
            .request()
            .try_clone()
            .expect("in-memory body")
            .try_into_http1x()?;
        if let Some(v) = request.headers().get(WAT_HEADER) {
            self.0.lock().unwrap().push(v.is_sensitive());
        }
        Ok(())
    }
}

#[tokio::test]
async fn the_header_value_stays_marked_sensitive_through_signing() {
    init_logs();
    let server = stand_in().await;
    let probe = SensitivityProbe::default();
    let config = propagation::data_plane_config_builder(&sdk_config(&server))
        .interceptor(probe.clone())
        .build();
    let c = Client::from_conf(config);
    RequestContext::scope(ctx(), async {
        c.invoke_agent_runtime()
            .agent_runtime_arn(RUNTIME_ARN)
            .payload(Blob::new(b"{}".to_vec()))
            .send()
            .await
    })
    .await
    .unwrap();
    assert_eq!(*probe.0.lock().unwrap(), [true]);
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(header(&reqs[0], WAT_HEADER_NAME).as_deref(), Some(WAT));
}
