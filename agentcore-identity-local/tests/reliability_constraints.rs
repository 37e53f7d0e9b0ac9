//! Every input constraint of the wire reference (`agentcore-identity-api.md`), table-driven, through
//! raw HTTP: for each operation and member, a value just inside and just outside each length,
//! pattern, range and enum, required members missing, and unions with 0 or 2 members.
//!
//! Outside values must be refused with 400 `ValidationException` whose `fieldList` names the
//! member; inside values must pass validation (any answer but a `ValidationException`: the
//! resource may not exist, the token may be refused, that is not this test's business).

use agentcore_identity_local::{LocalIdentityService, ServiceHandle};
use serde_json::{Map, Value, json};

const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/bedrock-agentcore/aws4_request, SignedHeaders=host, Signature=abc";

/// One check: at `pointer` (a JSON pointer into the valid base body) put `value` (`None`: remove
/// the member); `field` is the `fieldList` name an outside value must produce.
struct Check {
    pointer: String,
    field: String,
    value: Option<Value>,
    inside: bool,
}

fn a(n: usize) -> String {
    "a".repeat(n)
}

fn s(v: impl Into<String>) -> Option<Value> {
    Some(Value::String(v.into()))
}

/// Table builder for one operation.
struct Table {
    checks: Vec<Check>,
}

impl Table {
    fn new() -> Self {
        Self { checks: Vec::new() }
    }

    fn push(
        &mut self,
        pointer: &str,
        field: &str,
        value: Option<Value>,
        inside: bool,
    ) -> &mut Self {
        self.checks.push(Check {
            pointer: pointer.into(),
            field: field.into(),
            value,
            inside,
        });
        self
    }

    /// Length bounds of a string member; `fill(n)` makes an otherwise valid value of length `n`.
    fn len_with(
        &mut self,
        pointer: &str,
        field: &str,
        min: usize,
        max: usize,
        fill: impl Fn(usize) -> String,
    ) -> &mut Self {
        self.push(pointer, field, s(fill(min)), true);
        self.push(pointer, field, s(fill(max)), true);
        if min > 0 {
            self.push(pointer, field, s(fill(min - 1)), false);
        }
        self.push(pointer, field, s(fill(max + 1)), false)
    }

    fn len(&mut self, pointer: &str, field: &str, min: usize, max: usize) -> &mut Self {
        self.len_with(pointer, field, min, max, a)
    }

    fn pattern(&mut self, pointer: &str, field: &str, ok: &[&str], bad: &[&str]) -> &mut Self {
        for v in ok {
            self.push(pointer, field, s(*v), true);
        }
        for v in bad {
            self.push(pointer, field, s(*v), false);
        }
        self
    }

    fn one_of(&mut self, pointer: &str, field: &str, values: &[&str]) -> &mut Self {
        for v in values {
            self.push(pointer, field, s(*v), true);
        }
        self.push(pointer, field, s("NOT_A_VALUE"), false);
        self.push(
            pointer,
            field,
            s(values[0].to_ascii_lowercase() + "x"),
            false,
        );
        self.push(pointer, field, s(""), false)
    }

    fn range(&mut self, pointer: &str, field: &str, min: i64, max: i64) -> &mut Self {
        self.push(pointer, field, Some(json!(min)), true);
        self.push(pointer, field, Some(json!(max)), true);
        self.push(pointer, field, Some(json!(min - 1)), false);
        self.push(pointer, field, Some(json!(max + 1)), false)
    }

    fn required(&mut self, pointer: &str, field: &str) -> &mut Self {
        self.push(pointer, field, None, false)
    }

    /// A list of strings: item length bounds (items named `field.1`).
    fn list_items(
        &mut self,
        pointer: &str,
        field: &str,
        min: usize,
        max: usize,
        fill: impl Fn(usize) -> String,
    ) -> &mut Self {
        let item = format!("{field}.1");
        self.push(pointer, &item, Some(json!([fill(min)])), true);
        self.push(pointer, &item, Some(json!([fill(max)])), true);
        if min > 0 {
            self.push(pointer, &item, Some(json!([fill(min - 1)])), false);
        }
        self.push(pointer, &item, Some(json!([fill(max + 1)])), false)
    }

    /// A union: no member, two members, an unknown member; `one` and `two` are valid members.
    fn union(
        &mut self,
        pointer: &str,
        field: &str,
        one: (&str, Value),
        two: (&str, Value),
    ) -> &mut Self {
        self.push(pointer, field, Some(json!({})), false);
        let mut both = Map::new();
        both.insert(one.0.into(), one.1.clone());
        both.insert(two.0.into(), two.1);
        self.push(pointer, field, Some(Value::Object(both)), false);
        let mut single = Map::new();
        single.insert(one.0.into(), one.1);
        self.push(pointer, field, Some(Value::Object(single)), true);
        self.push(
            pointer,
            &format!("{field}.notAMember"),
            Some(json!({"notAMember": "x"})),
            false,
        )
    }

    /// A tags map: count, key and value lengths and patterns.
    fn tags(&mut self) -> &mut Self {
        let many = |n: usize| -> Value {
            Value::Object((0..n).map(|i| (format!("k{i}"), json!("v"))).collect())
        };
        self.push("/tags", "tags", Some(many(50)), true);
        self.push("/tags", "tags", Some(many(51)), false);
        self.push("/tags", "tags.key", Some(json!({ a(1): "v" })), true);
        self.push("/tags", "tags.key", Some(json!({ a(128): "v" })), true);
        self.push("/tags", "tags.key", Some(json!({ "": "v" })), false);
        self.push("/tags", "tags.key", Some(json!({ a(129): "v" })), false);
        self.push("/tags", "tags.key", Some(json!({ "bad#key": "v" })), false);
        self.push("/tags", "tags.k", Some(json!({ "k": "" })), true);
        self.push("/tags", "tags.k", Some(json!({ "k": a(256) })), true);
        self.push(
            "/tags",
            "tags.k",
            Some(json!({ "k": "ok value:/=+@-._" })),
            true,
        );
        self.push("/tags", "tags.k", Some(json!({ "k": a(257) })), false);
        self.push("/tags", "tags.k", Some(json!({ "k": "bad*value" })), false)
    }
}

/// A JWT-shaped user token of exactly `n` characters (padding the signature), with a `sub`.
/// Shorter than the two first parts: a prefix of them, which the pattern refuses.
fn jwt(n: usize) -> String {
    let head = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9."; // {"alg":"none"}.{"sub":"alice"}.
    if n <= head.len() {
        return head[..n].to_string();
    }
    format!("{head}{}", a(n - head.len()))
}

fn session_uri(n: usize) -> String {
    let p = "urn:ietf:params:oauth:request_uri:";
    format!("{p}{}", a(n.saturating_sub(p.len())))
}

/// A return URL of exactly `n` characters; below 3 (`a:a`) the pattern refuses it.
fn return_url(n: usize) -> String {
    if n < 8 {
        return format!("a:{}", a(n.saturating_sub(2)))
            .chars()
            .take(n)
            .collect();
    }
    format!("http://{}", a(n - 7))
}

fn set(body: &mut Value, pointer: &str, value: Option<Value>) {
    let parts: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    let (last, path) = parts.split_last().expect("non-empty pointer");
    let mut cur = body;
    for p in path {
        cur = cur
            .as_object_mut()
            .expect("object on the path")
            .entry(p.to_string())
            .or_insert_with(|| json!({}));
    }
    let obj = cur.as_object_mut().expect("object parent");
    match value {
        Some(v) => {
            obj.insert(last.to_string(), v);
        }
        None => {
            obj.remove(*last);
        }
    }
}

async fn post(http: &reqwest::Client, endpoint: &str, path: &str, body: &Value) -> (u16, Value) {
    let resp = http
        .post(format!("{endpoint}{path}"))
        .header("authorization", AUTH)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    let v = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).expect("JSON body")
    };
    (status, v)
}

fn is_validation(status: u16, body: &Value) -> bool {
    status == 400 && body["__type"] == "ValidationException"
}

/// Runs one operation's table; returns the failures (all of them, not just the first).
async fn run(
    h: &ServiceHandle,
    path: &str,
    base: Value,
    table: &Table,
    unique: Option<&str>,
) -> (usize, Vec<String>) {
    let http = reqwest::Client::new();
    let endpoint = h.endpoint();
    // the base body itself is valid
    let (st, b) = post(&http, &endpoint, path, &base).await;
    let mut failures = Vec::new();
    if is_validation(st, &b) {
        failures.push(format!("{path}: the base body is refused: {b}"));
    }
    for (i, c) in table.checks.iter().enumerate() {
        let mut body = base.clone();
        // creates: a fresh name per check, so an inside value is not answered with a conflict
        if let Some(member) = unique
            && c.pointer != format!("/{member}")
        {
            set(
                &mut body,
                &format!("/{member}"),
                s(format!("u{i}-{}", std::process::id())),
            );
        }
        set(&mut body, &c.pointer, c.value.clone());
        let (st, b) = post(&http, &endpoint, path, &body).await;
        let shown = |v: &Option<Value>| match v {
            None => "(missing)".to_string(),
            Some(v) => {
                let t = v.to_string();
                if t.len() > 60 {
                    format!("{}…({} chars)", &t[..60], t.len())
                } else {
                    t
                }
            }
        };
        if c.inside {
            if is_validation(st, &b) {
                failures.push(format!(
                    "{path} {}={}: inside value refused: {b}",
                    c.pointer,
                    shown(&c.value)
                ));
            }
        } else {
            let named = b["fieldList"]
                .as_array()
                .is_some_and(|l| l.iter().any(|f| f["name"] == c.field.as_str()));
            if !is_validation(st, &b) || !named || b["message"].as_str().is_none_or(str::is_empty) {
                failures.push(format!(
                    "{path} {}={}: expected 400 ValidationException naming {:?}, got {st} {b}",
                    c.pointer,
                    shown(&c.value),
                    c.field
                ));
            }
        }
    }
    (table.checks.len() + 1, failures)
}

async fn service() -> ServiceHandle {
    LocalIdentityService::builder()
        .port(0)
        .start()
        .await
        .expect("service starts")
}

fn report(results: Vec<(usize, Vec<String>)>) {
    let total: usize = results.iter().map(|r| r.0).sum();
    let failures: Vec<String> = results.into_iter().flat_map(|r| r.1).collect();
    eprintln!("{total} constraint checks, {} failures", failures.len());
    assert!(
        failures.is_empty(),
        "{} of {total} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_plane_constraints() {
    let h = service().await;
    let mut out = Vec::new();

    // workloadName, shared by the three GetWorkloadAccessToken* operations
    let workload_name = |t: &mut Table| {
        t.len("/workloadName", "workloadName", 3, 255)
            .pattern(
                "/workloadName",
                "workloadName",
                &["A-z_0.9-x"],
                &["bad name", "a/b", "wl!"],
            )
            .required("/workloadName", "workloadName");
    };
    let mut t = Table::new();
    workload_name(&mut t);
    out.push(
        run(
            &h,
            "/identities/GetWorkloadAccessToken",
            json!({"workloadName": "wl-abc"}),
            &t,
            None,
        )
        .await,
    );

    let mut t = Table::new();
    workload_name(&mut t);
    t.len_with("/userToken", "userToken", 42, 131072, jwt)
        .push("/userToken", "userToken", s(""), false)
        .pattern(
            "/userToken",
            "userToken",
            &["a.b.c", "A-_=.x=.0_-"],
            &["ab.cd", "a..b", "abc"],
        )
        .required("/userToken", "userToken");
    out.push(
        run(
            &h,
            "/identities/GetWorkloadAccessTokenForJWT",
            json!({"workloadName": "wl-abc", "userToken": jwt(60)}),
            &t,
            None,
        )
        .await,
    );

    let mut t = Table::new();
    workload_name(&mut t);
    t.len("/userId", "userId", 1, 128)
        .required("/userId", "userId");
    out.push(
        run(
            &h,
            "/identities/GetWorkloadAccessTokenForUserId",
            json!({"workloadName": "wl-abc", "userId": "alice"}),
            &t,
            None,
        )
        .await,
    );

    // the two credential operations share the token and the provider name
    let token_and_provider = |t: &mut Table| {
        t.len("/workloadIdentityToken", "workloadIdentityToken", 1, 131072)
            .required("/workloadIdentityToken", "workloadIdentityToken")
            .len(
                "/resourceCredentialProviderName",
                "resourceCredentialProviderName",
                1,
                128,
            )
            .pattern(
                "/resourceCredentialProviderName",
                "resourceCredentialProviderName",
                &["Az09-_"],
                &["bad.name", "bad name", "p/q"],
            )
            .required(
                "/resourceCredentialProviderName",
                "resourceCredentialProviderName",
            );
    };
    let mut t = Table::new();
    token_and_provider(&mut t);
    out.push(
        run(
            &h,
            "/identities/api-key",
            json!({"workloadIdentityToken": "tok", "resourceCredentialProviderName": "p1"}),
            &t,
            None,
        )
        .await,
    );

    let mut t = Table::new();
    token_and_provider(&mut t);
    t.list_items("/scopes", "scopes", 1, 128, a)
        .push("/scopes", "scopes", Some(json!([])), true)
        .required("/scopes", "scopes")
        .push("/scopes", "scopes", Some(json!("read")), false)
        .one_of(
            "/oauth2Flow",
            "oauth2Flow",
            &["USER_FEDERATION", "M2M", "ON_BEHALF_OF_TOKEN_EXCHANGE"],
        )
        .required("/oauth2Flow", "oauth2Flow")
        .len_with("/sessionUri", "sessionUri", 35, 1024, session_uri)
        .push("/sessionUri", "sessionUri", s(""), false)
        .pattern(
            "/sessionUri",
            "sessionUri",
            &["urn:ietf:params:oauth:request_uri:aZ0-._~"],
            &[
                "urn:ietf:params:oauth:request_uri:",
                "urn:x:abc",
                "urn:ietf:params:oauth:request_uri:a b",
            ],
        )
        .len_with(
            "/resourceOauth2ReturnUrl",
            "resourceOauth2ReturnUrl",
            3,
            2048,
            return_url,
        )
        .push(
            "/resourceOauth2ReturnUrl",
            "resourceOauth2ReturnUrl",
            s(""),
            false,
        )
        .pattern(
            "/resourceOauth2ReturnUrl",
            "resourceOauth2ReturnUrl",
            &["http://localhost:8081/cb?x=1", "myapp:cb"],
            &["no-scheme", "http://a b", ":missing"],
        )
        .push(
            "/forceAuthentication",
            "forceAuthentication",
            Some(json!(true)),
            true,
        )
        .push(
            "/forceAuthentication",
            "forceAuthentication",
            Some(json!("yes")),
            false,
        )
        .push(
            "/customParameters",
            "customParameters.key",
            Some(json!({ a(1): "v" })),
            true,
        )
        .push(
            "/customParameters",
            "customParameters.key",
            Some(json!({ a(256): "v" })),
            true,
        )
        .push(
            "/customParameters",
            "customParameters.key",
            Some(json!({ "a-_.Z9": "v" })),
            true,
        )
        .push(
            "/customParameters",
            "customParameters.key",
            Some(json!({ "": "v" })),
            false,
        )
        .push(
            "/customParameters",
            "customParameters.key",
            Some(json!({ a(257): "v" })),
            false,
        )
        .push(
            "/customParameters",
            "customParameters.key",
            Some(json!({ "bad key": "v" })),
            false,
        )
        .push(
            "/customParameters",
            "customParameters.k",
            Some(json!({ "k": a(1) })),
            true,
        )
        .push(
            "/customParameters",
            "customParameters.k",
            Some(json!({ "k": a(2048) })),
            true,
        )
        .push(
            "/customParameters",
            "customParameters.k",
            Some(json!({ "k": "" })),
            false,
        )
        .push(
            "/customParameters",
            "customParameters.k",
            Some(json!({ "k": a(2049) })),
            false,
        )
        .len("/customState", "customState", 1, 4096)
        .list_items("/resources", "resources", 1, 2048, a)
        .list_items("/audiences", "audiences", 1, 2048, a);
    out.push(
        run(
            &h,
            "/identities/oauth2/token",
            json!({"workloadIdentityToken": "tok", "resourceCredentialProviderName": "p1", "scopes": [], "oauth2Flow": "M2M"}),
            &t,
            None,
        )
        .await,
    );

    let mut t = Table::new();
    t.union(
        "/userIdentifier",
        "userIdentifier",
        ("userId", json!("alice")),
        ("userToken", json!(jwt(60))),
    )
    .required("/userIdentifier", "userIdentifier")
    .len("/userIdentifier/userId", "userIdentifier.userId", 1, 128)
    .len_with(
        "/userIdentifier/userToken",
        "userIdentifier.userToken",
        42,
        131072,
        jwt,
    )
    .push(
        "/userIdentifier/userToken",
        "userIdentifier.userToken",
        s(""),
        false,
    )
    .pattern(
        "/userIdentifier/userToken",
        "userIdentifier.userToken",
        &["a.b.c"],
        &["ab.cd", "a..b"],
    )
    .len_with("/sessionUri", "sessionUri", 35, 1024, session_uri)
    .pattern("/sessionUri", "sessionUri", &[], &["urn:x:abc", ""])
    .required("/sessionUri", "sessionUri");
    // a userToken check must not also carry the base's userId (that is the 2-member case)
    for c in &mut t.checks {
        if c.pointer == "/userIdentifier/userToken" {
            c.pointer = "/userIdentifier".into();
            c.value = c.value.take().map(|v| json!({ "userToken": v }));
        }
    }
    out.push(
        run(
            &h,
            "/identities/CompleteResourceTokenAuth",
            json!({"userIdentifier": {"userId": "alice"}, "sessionUri": "urn:ietf:params:oauth:request_uri:abc"}),
            &t,
            None,
        )
        .await,
    );

    report(out);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_plane_workload_and_api_key_constraints() {
    let h = service().await;
    let mut out = Vec::new();

    let name = |t: &mut Table| {
        t.len("/name", "name", 3, 255)
            .pattern("/name", "name", &["A-z_0.9-x"], &["bad name", "a/b"])
            .required("/name", "name");
    };
    let return_urls = |t: &mut Table| {
        t.list_items(
            "/allowedResourceOauth2ReturnUrls",
            "allowedResourceOauth2ReturnUrls",
            3,
            2048,
            return_url,
        )
        .push(
            "/allowedResourceOauth2ReturnUrls",
            "allowedResourceOauth2ReturnUrls.1",
            Some(json!([""])),
            false,
        )
        .push(
            "/allowedResourceOauth2ReturnUrls",
            "allowedResourceOauth2ReturnUrls.2",
            Some(json!(["http://localhost/cb", "no-scheme"])),
            false,
        );
    };
    let mut t = Table::new();
    name(&mut t);
    return_urls(&mut t);
    t.tags();
    out.push(
        run(
            &h,
            "/identities/CreateWorkloadIdentity",
            json!({"name": "wl-base"}),
            &t,
            Some("name"),
        )
        .await,
    );
    for op in ["GetWorkloadIdentity", "DeleteWorkloadIdentity"] {
        let mut t = Table::new();
        name(&mut t);
        out.push(
            run(
                &h,
                &format!("/identities/{op}"),
                json!({"name": "wl-abc"}),
                &t,
                None,
            )
            .await,
        );
    }
    let mut t = Table::new();
    name(&mut t);
    return_urls(&mut t);
    out.push(
        run(
            &h,
            "/identities/UpdateWorkloadIdentity",
            json!({"name": "wl-abc"}),
            &t,
            None,
        )
        .await,
    );
    let mut t = Table::new();
    t.range("/maxResults", "maxResults", 1, 20).push(
        "/maxResults",
        "maxResults",
        Some(json!("10")),
        false,
    );
    out.push(
        run(
            &h,
            "/identities/ListWorkloadIdentities",
            json!({}),
            &t,
            None,
        )
        .await,
    );

    let provider_name = |t: &mut Table| {
        t.len("/name", "name", 1, 128)
            .pattern("/name", "name", &["Az09-_"], &["bad.name", "bad name"])
            .required("/name", "name");
    };
    let api_key_members = |t: &mut Table| {
        t.len("/apiKey", "apiKey", 0, 65536)
            .push(
                "/apiKeySecretConfig",
                "apiKeySecretConfig.secretId",
                Some(json!({"jsonKey": "k"})),
                false,
            )
            .push(
                "/apiKeySecretConfig",
                "apiKeySecretConfig.jsonKey",
                Some(json!({"secretId": "s"})),
                false,
            )
            .push(
                "/apiKeySecretConfig",
                "apiKeySecretConfig.secretId",
                Some(json!({"secretId": a(2048), "jsonKey": a(128)})),
                true,
            )
            .push(
                "/apiKeySecretConfig",
                "apiKeySecretConfig.secretId",
                Some(json!({"secretId": "", "jsonKey": "k"})),
                false,
            )
            .push(
                "/apiKeySecretConfig",
                "apiKeySecretConfig.secretId",
                Some(json!({"secretId": a(2049), "jsonKey": "k"})),
                false,
            )
            .push(
                "/apiKeySecretConfig",
                "apiKeySecretConfig.jsonKey",
                Some(json!({"secretId": "s", "jsonKey": ""})),
                false,
            )
            .push(
                "/apiKeySecretConfig",
                "apiKeySecretConfig.jsonKey",
                Some(json!({"secretId": "s", "jsonKey": a(129)})),
                false,
            )
            .one_of(
                "/apiKeySecretSource",
                "apiKeySecretSource",
                &["MANAGED", "EXTERNAL"],
            );
    };
    let mut t = Table::new();
    provider_name(&mut t);
    api_key_members(&mut t);
    t.tags();
    out.push(
        run(
            &h,
            "/identities/CreateApiKeyCredentialProvider",
            json!({"name": "p-base", "apiKey": "k"}),
            &t,
            Some("name"),
        )
        .await,
    );
    let mut t = Table::new();
    provider_name(&mut t);
    api_key_members(&mut t);
    out.push(
        run(
            &h,
            "/identities/UpdateApiKeyCredentialProvider",
            json!({"name": "p1", "apiKey": "k"}),
            &t,
            None,
        )
        .await,
    );
    for op in [
        "GetApiKeyCredentialProvider",
        "DeleteApiKeyCredentialProvider",
        "GetOauth2CredentialProvider",
        "DeleteOauth2CredentialProvider",
    ] {
        let mut t = Table::new();
        provider_name(&mut t);
        out.push(
            run(
                &h,
                &format!("/identities/{op}"),
                json!({"name": "p1"}),
                &t,
                None,
            )
            .await,
        );
    }
    let mut t = Table::new();
    t.range("/maxResults", "maxResults", 1, 100);
    out.push(
        run(
            &h,
            "/identities/ListApiKeyCredentialProviders",
            json!({}),
            &t,
            None,
        )
        .await,
    );
    let mut t = Table::new();
    t.range("/maxResults", "maxResults", 1, 20);
    out.push(
        run(
            &h,
            "/identities/ListOauth2CredentialProviders",
            json!({}),
            &t,
            None,
        )
        .await,
    );

    report(out);
    h.shutdown().await;
}

const VENDORS: [(&str, &str); 25] = [
    ("GoogleOauth2", "googleOauth2ProviderConfig"),
    ("GithubOauth2", "githubOauth2ProviderConfig"),
    ("SlackOauth2", "slackOauth2ProviderConfig"),
    ("SalesforceOauth2", "salesforceOauth2ProviderConfig"),
    ("MicrosoftOauth2", "microsoftOauth2ProviderConfig"),
    ("CustomOauth2", "customOauth2ProviderConfig"),
    ("AtlassianOauth2", "atlassianOauth2ProviderConfig"),
    ("LinkedinOauth2", "linkedinOauth2ProviderConfig"),
    ("XOauth2", "includedOauth2ProviderConfig"),
    ("OktaOauth2", "includedOauth2ProviderConfig"),
    ("OneLoginOauth2", "includedOauth2ProviderConfig"),
    ("PingOneOauth2", "includedOauth2ProviderConfig"),
    ("FacebookOauth2", "includedOauth2ProviderConfig"),
    ("YandexOauth2", "includedOauth2ProviderConfig"),
    ("RedditOauth2", "includedOauth2ProviderConfig"),
    ("ZoomOauth2", "includedOauth2ProviderConfig"),
    ("TwitchOauth2", "includedOauth2ProviderConfig"),
    ("SpotifyOauth2", "includedOauth2ProviderConfig"),
    ("DropboxOauth2", "includedOauth2ProviderConfig"),
    ("NotionOauth2", "includedOauth2ProviderConfig"),
    ("HubspotOauth2", "includedOauth2ProviderConfig"),
    ("CyberArkOauth2", "includedOauth2ProviderConfig"),
    ("FusionAuthOauth2", "includedOauth2ProviderConfig"),
    ("Auth0Oauth2", "includedOauth2ProviderConfig"),
    ("CognitoOauth2", "includedOauth2ProviderConfig"),
];

fn metadata() -> Value {
    json!({
        "issuer": "https://idp.example",
        "authorizationEndpoint": "https://idp.example/auth",
        "tokenEndpoint": "https://idp.example/token"
    })
}

fn vendor_config(member: &str) -> Value {
    match member {
        "customOauth2ProviderConfig" => {
            json!({"oauthDiscovery": {"authorizationServerMetadata": metadata()}, "clientId": "c", "clientSecret": "s"})
        }
        "includedOauth2ProviderConfig" => {
            json!({"clientId": "c", "clientSecret": "s", "tokenEndpoint": "https://idp.example/token"})
        }
        _ => json!({"clientId": "c", "clientSecret": "s"}),
    }
}

async fn oauth2_provider_constraints(path: &str, create: bool) -> (usize, Vec<String>) {
    let h = service().await;
    let mut all = Vec::new();
    let unique = create.then_some("name");
    let custom = "/oauth2ProviderConfigInput/customOauth2ProviderConfig";
    let cf = "oauth2ProviderConfigInput.customOauth2ProviderConfig";
    let base = json!({
        "name": "o-base",
        "credentialProviderVendor": "CustomOauth2",
        "oauth2ProviderConfigInput": {"customOauth2ProviderConfig": vendor_config("customOauth2ProviderConfig")}
    });

    let mut t = Table::new();
    t.len("/name", "name", 1, 128)
        .pattern("/name", "name", &["Az09-_"], &["bad.name"])
        .required("/name", "name")
        .push(
            "/credentialProviderVendor",
            "credentialProviderVendor",
            s("NotAVendor"),
            false,
        )
        .push(
            "/credentialProviderVendor",
            "credentialProviderVendor",
            s("customoauth2"),
            false,
        )
        .required("/credentialProviderVendor", "credentialProviderVendor")
        .union(
            "/oauth2ProviderConfigInput",
            "oauth2ProviderConfigInput",
            (
                "customOauth2ProviderConfig",
                vendor_config("customOauth2ProviderConfig"),
            ),
            (
                "googleOauth2ProviderConfig",
                vendor_config("googleOauth2ProviderConfig"),
            ),
        )
        .required("/oauth2ProviderConfigInput", "oauth2ProviderConfigInput")
        // the custom configuration
        .len(
            &format!("{custom}/clientId"),
            &format!("{cf}.clientId"),
            0,
            256,
        )
        .len(
            &format!("{custom}/clientSecret"),
            &format!("{cf}.clientSecret"),
            0,
            2048,
        )
        .one_of(
            &format!("{custom}/clientSecretSource"),
            &format!("{cf}.clientSecretSource"),
            &["MANAGED", "EXTERNAL"],
        )
        .one_of(
            &format!("{custom}/clientAuthenticationMethod"),
            &format!("{cf}.clientAuthenticationMethod"),
            &[
                "CLIENT_SECRET_BASIC",
                "CLIENT_SECRET_POST",
                "AWS_IAM_ID_TOKEN_JWT",
                "PRIVATE_KEY_JWT",
            ],
        )
        .push(
            &format!("{custom}/clientSecretConfig"),
            &format!("{cf}.clientSecretConfig.secretId"),
            Some(json!({"jsonKey": "k"})),
            false,
        )
        .push(
            &format!("{custom}/clientSecretConfig"),
            &format!("{cf}.clientSecretConfig.jsonKey"),
            Some(json!({"secretId": "s", "jsonKey": a(129)})),
            false,
        )
        .push(
            &format!("{custom}/clientSecretConfig"),
            &format!("{cf}.clientSecretConfig.jsonKey"),
            Some(json!({"secretId": "s", "jsonKey": a(128)})),
            true,
        )
        .union(
            &format!("{custom}/oauthDiscovery"),
            &format!("{cf}.oauthDiscovery"),
            ("authorizationServerMetadata", metadata()),
            (
                "discoveryUrl",
                json!("http://127.0.0.1:9/.well-known/openid-configuration"),
            ),
        )
        .required(
            &format!("{custom}/oauthDiscovery"),
            &format!("{cf}.oauthDiscovery"),
        )
        .pattern(
            &format!("{custom}/oauthDiscovery/discoveryUrl"),
            &format!("{cf}.oauthDiscovery.discoveryUrl"),
            &[],
            &[
                "http://idp.example/x",
                "http://idp.example/.well-known/openid-configuration?x=1",
                "http://idp.example/.well-known/jwks.json",
                "",
            ],
        );
    let md = format!("{custom}/oauthDiscovery/authorizationServerMetadata");
    let mdf = format!("{cf}.oauthDiscovery.authorizationServerMetadata");
    for m in ["issuer", "authorizationEndpoint", "tokenEndpoint"] {
        t.required(&format!("{md}/{m}"), &format!("{mdf}.{m}"));
    }
    t.push(
        &format!("{md}/tokenEndpointAuthMethods"),
        &format!("{mdf}.tokenEndpointAuthMethods"),
        Some(json!([])),
        false,
    )
    .push(
        &format!("{md}/tokenEndpointAuthMethods"),
        &format!("{mdf}.tokenEndpointAuthMethods"),
        Some(json!(["client_secret_post"])),
        true,
    )
    .push(
        &format!("{md}/tokenEndpointAuthMethods"),
        &format!("{mdf}.tokenEndpointAuthMethods"),
        Some(json!(["client_secret_post", "client_secret_basic"])),
        true,
    )
    .push(
        &format!("{md}/tokenEndpointAuthMethods"),
        &format!("{mdf}.tokenEndpointAuthMethods"),
        Some(json!([
            "client_secret_post",
            "client_secret_basic",
            "client_secret_post"
        ])),
        false,
    )
    .push(
        &format!("{md}/tokenEndpointAuthMethods"),
        &format!("{mdf}.tokenEndpointAuthMethods.1"),
        Some(json!(["private_key_jwt"])),
        false,
    );
    let obo = format!("{custom}/onBehalfOfTokenExchangeConfig");
    let obof = format!("{cf}.onBehalfOfTokenExchangeConfig");
    t.one_of(&format!("{obo}/grantType"), &format!("{obof}.grantType"), &["TOKEN_EXCHANGE", "JWT_AUTHORIZATION_GRANT"])
        .push(&obo, &format!("{obof}.grantType"), Some(json!({})), false)
        .push(
            &obo,
            &format!("{obof}.tokenExchangeGrantTypeConfig.actorTokenContent"),
            Some(json!({"grantType": "TOKEN_EXCHANGE", "tokenExchangeGrantTypeConfig": {"actorTokenContent": "BAD"}})),
            false,
        )
        .push(
            &obo,
            &format!("{obof}.tokenExchangeGrantTypeConfig.actorTokenContent"),
            Some(json!({"grantType": "TOKEN_EXCHANGE", "tokenExchangeGrantTypeConfig": {"actorTokenContent": "M2M", "actorTokenScopes": [a(128)]}})),
            true,
        )
        .push(
            &obo,
            &format!("{obof}.tokenExchangeGrantTypeConfig.actorTokenScopes.1"),
            Some(json!({"grantType": "TOKEN_EXCHANGE", "tokenExchangeGrantTypeConfig": {"actorTokenContent": "M2M", "actorTokenScopes": [a(129)]}})),
            false,
        )
        .push(
            &obo,
            &format!("{obof}.onBehalfOfAuthenticationConfig.clientAuthenticationMethod"),
            Some(json!({"grantType": "TOKEN_EXCHANGE", "onBehalfOfAuthenticationConfig": {"clientAuthenticationMethod": "SOME_CLIENT"}})),
            false,
        )
        .push(
            &format!("{custom}/certificateConfigurations"),
            &format!("{cf}.certificateConfigurations"),
            Some(json!([{"s3": {"uri": "s3://b/k"}}])),
            true,
        )
        .push(&format!("{custom}/certificateConfigurations"), &format!("{cf}.certificateConfigurations"), Some(json!([])), false)
        .push(
            &format!("{custom}/certificateConfigurations"),
            &format!("{cf}.certificateConfigurations"),
            Some(json!([{"s3": {"uri": "s3://b/k"}}, {"s3": {"uri": "s3://b/l"}}])),
            false,
        )
        .push(
            &format!("{custom}/privateEndpointOverrides"),
            &format!("{cf}.privateEndpointOverrides"),
            Some(Value::Array(vec![json!({"domain": "d"}); 5])),
            true,
        )
        .push(
            &format!("{custom}/privateEndpointOverrides"),
            &format!("{cf}.privateEndpointOverrides"),
            Some(Value::Array(vec![json!({"domain": "d"}); 6])),
            false,
        );
    if create {
        t.tags();
    }
    all.push(run(&h, path, base, &t, unique).await);

    // every vendor with its own configuration member
    // the vendor checks need the matching config member: run them one by one
    let mut n = 0;
    let mut failures = Vec::new();
    for (vendor, member) in VENDORS {
        let mut cfg = Map::new();
        cfg.insert(member.into(), vendor_config(member));
        let body = json!({"name": format!("v-{vendor}"), "credentialProviderVendor": vendor, "oauth2ProviderConfigInput": cfg});
        let (nn, f) = run(&h, path, body, &Table::new(), None).await;
        n += nn;
        failures.extend(f);
        // vendor-specific members
        let p = format!("/oauth2ProviderConfigInput/{member}");
        let f_ = format!("oauth2ProviderConfigInput.{member}");
        let mut t = Table::new();
        if member != "customOauth2ProviderConfig" {
            t.len(&format!("{p}/clientId"), &format!("{f_}.clientId"), 1, 256)
                .required(&format!("{p}/clientId"), &format!("{f_}.clientId"))
                .len(
                    &format!("{p}/clientSecret"),
                    &format!("{f_}.clientSecret"),
                    0,
                    2048,
                )
                .one_of(
                    &format!("{p}/clientSecretSource"),
                    &format!("{f_}.clientSecretSource"),
                    &["MANAGED", "EXTERNAL"],
                );
        }
        if member == "microsoftOauth2ProviderConfig" {
            t.len(&format!("{p}/tenantId"), &format!("{f_}.tenantId"), 1, 2048);
        }
        let mut cfg = Map::new();
        cfg.insert(member.into(), vendor_config(member));
        let body = json!({"name": format!("w-{vendor}"), "credentialProviderVendor": vendor, "oauth2ProviderConfigInput": cfg});
        let (nn, f) = run(&h, path, body, &t, unique).await;
        n += nn;
        failures.extend(f);
    }
    // the vendor's member is the one the vendor needs
    let wrong = json!({
        "name": "mismatch",
        "credentialProviderVendor": "GoogleOauth2",
        "oauth2ProviderConfigInput": {"githubOauth2ProviderConfig": vendor_config("githubOauth2ProviderConfig")}
    });
    let mut t = Table::new();
    t.push(
        "/credentialProviderVendor",
        "oauth2ProviderConfigInput",
        s("GoogleOauth2"),
        false,
    );
    let (nn, f) = run_expect_refused_base(&h, path, wrong, &t).await;
    n += nn;
    failures.extend(f);
    all.push((n, failures));
    h.shutdown().await;
    let total = all.iter().map(|r| r.0).sum();
    (total, all.into_iter().flat_map(|r| r.1).collect())
}

/// Like [`run`] for a base body that is itself invalid (no base check).
async fn run_expect_refused_base(
    h: &ServiceHandle,
    path: &str,
    base: Value,
    t: &Table,
) -> (usize, Vec<String>) {
    let (n, f) = run(h, path, base, t, None).await;
    (
        n,
        f.into_iter()
            .filter(|m| !m.contains("the base body is refused"))
            .collect(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth2_provider_create_constraints() {
    report(vec![
        oauth2_provider_constraints("/identities/CreateOauth2CredentialProvider", true).await,
    ]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth2_provider_update_constraints() {
    report(vec![
        oauth2_provider_constraints("/identities/UpdateOauth2CredentialProvider", false).await,
    ]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_bodies_are_validation_errors() {
    let h = service().await;
    let http = reqwest::Client::new();
    let mut failures = Vec::new();
    for path in [
        "/identities/api-key",
        "/identities/CreateWorkloadIdentity",
        "/identities/oauth2/token",
    ] {
        for body in ["{", "[]", "\"x\"", "{\"name\":", "nul", "{\"a\":1}x"] {
            let resp = http
                .post(format!("{}{path}", h.endpoint()))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("request");
            let st = resp.status().as_u16();
            let v: Value = resp.json().await.expect("JSON error body");
            if st != 400 || v["__type"] != "ValidationException" || v["reason"] != "CannotParse" {
                failures.push(format!("{path} {body:?}: {st} {v}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    h.shutdown().await;
}
