//! Every modelled input constraint, in one place.
//!
//! The [`Str`] constants of the constraint table (`WORKLOAD_NAME`, `PROVIDER_NAME`, ...) describe
//! string members (length in Unicode code points, Smithy pattern matched against the whole value,
//! enum values); [`Checker`] walks a request body with them and collects the violations into one
//! [`Error::Invalid`] (the HTTP layer answers it as a `ValidationException` with
//! `reason: FieldValidationFailed` and one `fieldList` entry per violation, the way AWS services
//! report them). The per-operation `parse_*` functions at the bottom say which member uses which
//! constraint.

use std::collections::{BTreeMap, HashMap};
use std::sync::{OnceLock, RwLock};

use regex::Regex;
use serde_json::{Map, Value};

use crate::error::{Error, FieldError};
use crate::secret::Sensitive;
use crate::store::Metadata;

/// Constraints of one string member.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Str {
    pub(crate) min: usize,
    pub(crate) max: Option<usize>,
    pub(crate) pattern: Option<&'static str>,
    pub(crate) one_of: Option<&'static [&'static str]>,
}

const fn s(min: usize, max: usize, pattern: Option<&'static str>) -> Str {
    Str {
        min,
        max: Some(max),
        pattern,
        one_of: None,
    }
}
const fn e(values: &'static [&'static str]) -> Str {
    Str {
        min: 0,
        max: None,
        pattern: None,
        one_of: Some(values),
    }
}
const ANY: Str = Str {
    min: 0,
    max: None,
    pattern: None,
    one_of: None,
};

// ---- the constraint table -------------------------------------------------------------------
pub(crate) const WORKLOAD_NAME: Str = s(3, 255, Some(r"[A-Za-z0-9_.-]+"));
pub(crate) const PROVIDER_NAME: Str = s(1, 128, Some(r"[a-zA-Z0-9\-_]+"));
pub(crate) const USER_ID: Str = s(1, 128, None);
pub(crate) const USER_TOKEN: Str = s(
    1,
    131072,
    Some(r"[A-Za-z0-9-_=]+.[A-Za-z0-9-_=]+.[A-Za-z0-9-_=]+"),
);
pub(crate) const WORKLOAD_TOKEN: Str = s(1, 131072, None);
pub(crate) const API_KEY_IN: Str = s(0, 65536, None);
pub(crate) const SCOPE: Str = s(1, 128, None);
pub(crate) const RESOURCE: Str = s(1, 2048, None);
pub(crate) const SESSION_URI: Str = s(
    1,
    1024,
    Some(r"urn:ietf:params:oauth:request_uri:[a-zA-Z0-9-._~]+"),
);
pub(crate) const RETURN_URL: Str = s(1, 2048, Some(r"\w+:(\/?\/?)[^\s]+"));
pub(crate) const CUSTOM_PARAM_KEY: Str = s(1, 256, Some(r"[a-zA-Z0-9\-_\.]+"));
pub(crate) const CUSTOM_PARAM_VALUE: Str = s(1, 2048, None);
pub(crate) const CUSTOM_STATE: Str = s(1, 4096, None);
pub(crate) const CLIENT_ID_VENDOR: Str = s(1, 256, None);
pub(crate) const CLIENT_ID_CUSTOM: Str = s(0, 256, None);
pub(crate) const CLIENT_SECRET: Str = s(0, 2048, None);
pub(crate) const TENANT_ID: Str = s(1, 2048, None);
pub(crate) const TAG_KEY: Str = s(1, 128, Some(r"[a-zA-Z0-9\s._:/=+@-]*"));
pub(crate) const TAG_VALUE: Str = s(0, 256, Some(r"[a-zA-Z0-9\s._:/=+@-]*"));
/// `TaggableResourcesArn`, widened where the model's own ARNs would not match it: the service
/// slot also takes `acps` (the credential provider ARNs' service) and resource types may hold
/// digits (`oauth2credentialprovider`).
pub(crate) const TAGGABLE_ARN: Str = s(
    20,
    1011,
    Some(
        r"arn:(?:[^:]+)?:(?:bedrock-agentcore|acps):[a-z0-9-]+:[0-9]{12}:([a-z0-9-]+/[^/]+)(?:/[a-z0-9-]+/[^/]+)*",
    ),
);
pub(crate) const TOKEN_VAULT_ID: Str = s(1, 64, Some(r"[a-zA-Z0-9\-_]+"));
pub(crate) const KEY_TYPE: Str = e(&["CustomerManagedKey", "ServiceManagedKey"]);
pub(crate) const KMS_KEY_ARN: Str = s(
    1,
    2048,
    Some(r"arn:aws(|-cn|-us-gov):kms:[a-zA-Z0-9-]*:[0-9]{12}:key/[a-zA-Z0-9-]{36}"),
);
/// Most tag keys in one UntagResource.
pub(crate) const MAX_UNTAG_KEYS: usize = 200;
pub(crate) const SECRET_ID: Str = s(1, 2048, None);
pub(crate) const JSON_KEY: Str = s(1, 128, None);
pub(crate) const DISCOVERY_URL: Str = Str {
    min: 0,
    max: None,
    pattern: Some(
        r"[^\s?#]+/\.well-known/(openid-configuration|oauth-authorization-server)(/[^\s?#]+)?",
    ),
    one_of: None,
};
pub(crate) const TOKEN_AUTH_METHOD: Str = e(&["client_secret_post", "client_secret_basic"]);
pub(crate) const OAUTH2_FLOW: Str = e(&["USER_FEDERATION", "M2M", "ON_BEHALF_OF_TOKEN_EXCHANGE"]);

/// `oauth2Flow`, parsed once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Oauth2Flow {
    /// `M2M`: client credentials.
    M2m,
    /// `USER_FEDERATION`: three-legged, the user consents.
    UserFederation,
    /// `ON_BEHALF_OF_TOKEN_EXCHANGE`: RFC 8693 with the user's JWT.
    OnBehalfOf,
}

impl Oauth2Flow {
    fn from_wire(s: &str) -> Option<Self> {
        match s {
            "M2M" => Some(Self::M2m),
            "USER_FEDERATION" => Some(Self::UserFederation),
            "ON_BEHALF_OF_TOKEN_EXCHANGE" => Some(Self::OnBehalfOf),
            _ => None,
        }
    }
}
pub(crate) const SECRET_SOURCE: Str = e(&["MANAGED", "EXTERNAL"]);
pub(crate) const CLIENT_AUTH_METHOD: Str = e(&[
    "CLIENT_SECRET_BASIC",
    "CLIENT_SECRET_POST",
    "AWS_IAM_ID_TOKEN_JWT",
    "PRIVATE_KEY_JWT",
]);
pub(crate) const GRANT_TYPE: Str = e(&["TOKEN_EXCHANGE", "JWT_AUTHORIZATION_GRANT"]);
pub(crate) const ACTOR_TOKEN_CONTENT: Str = e(&["NONE", "M2M", "AWS_IAM_ID_TOKEN_JWT"]);
pub(crate) const OBO_CLIENT_AUTH: Str = e(&["NO_CLIENT"]);
pub(crate) const VENDOR: Str = e(&[
    "GoogleOauth2",
    "GithubOauth2",
    "SlackOauth2",
    "SalesforceOauth2",
    "MicrosoftOauth2",
    "CustomOauth2",
    "AtlassianOauth2",
    "LinkedinOauth2",
    "XOauth2",
    "OktaOauth2",
    "OneLoginOauth2",
    "PingOneOauth2",
    "FacebookOauth2",
    "YandexOauth2",
    "RedditOauth2",
    "ZoomOauth2",
    "TwitchOauth2",
    "SpotifyOauth2",
    "DropboxOauth2",
    "NotionOauth2",
    "HubspotOauth2",
    "CyberArkOauth2",
    "FusionAuthOauth2",
    "Auth0Oauth2",
    "CognitoOauth2",
]);
/// Tags per resource.
pub(crate) const MAX_TAGS: usize = 50;
/// maxResults ranges.
pub(crate) const LIST_WORKLOADS_MAX: i64 = 20;
pub(crate) const LIST_OAUTH2_MAX: i64 = 20;
pub(crate) const LIST_API_KEY_MAX: i64 = 100;
/// `Oauth2ProviderConfigInput` members.
pub(crate) const CONFIG_MEMBERS: &[&str] = &[
    "customOauth2ProviderConfig",
    "googleOauth2ProviderConfig",
    "githubOauth2ProviderConfig",
    "slackOauth2ProviderConfig",
    "salesforceOauth2ProviderConfig",
    "microsoftOauth2ProviderConfig",
    "atlassianOauth2ProviderConfig",
    "linkedinOauth2ProviderConfig",
    "includedOauth2ProviderConfig",
];

fn regex(pattern: &'static str) -> Regex {
    static CACHE: OnceLock<RwLock<HashMap<&'static str, Regex>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(r) = cache.read().expect("regex cache").get(pattern) {
        return r.clone();
    }
    let r = Regex::new(&format!("^(?:{pattern})$")).expect("valid model pattern");
    cache
        .write()
        .expect("regex cache")
        .insert(pattern, r.clone());
    r
}

/// Collects violations while reading a JSON object.
#[derive(Debug, Default)]
pub(crate) struct Checker {
    errs: Vec<FieldError>,
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// The most violations reported for one request: validation stops there, so the work and the
/// error body stay small whatever the input.
pub(crate) const MAX_VIOLATIONS: usize = 5;
/// Longest member path and message in a violation, in characters.
const MAX_NAME: usize = 200;
const MAX_MESSAGE: usize = 512;

fn cut(mut s: String, max: usize) -> String {
    if let Some((i, _)) = s.char_indices().nth(max) {
        s.truncate(i);
        s.push_str("...");
    }
    s
}

impl Checker {
    fn fail(&mut self, path: String, message: impl Into<String>) {
        if self.full() {
            return;
        }
        self.errs.push(FieldError {
            name: cut(path, MAX_NAME),
            message: cut(message.into(), MAX_MESSAGE),
        });
    }

    /// Whether the violation limit is reached (later checks are skipped).
    fn full(&self) -> bool {
        self.errs.len() >= MAX_VIOLATIONS
    }

    /// Checks one string value against a spec.
    pub(crate) fn check_str(&mut self, path: &str, v: &str, spec: &Str) {
        let n = v.chars().count();
        if n < spec.min {
            self.fail(
                path.into(),
                format!(
                    "Member must have length greater than or equal to {}",
                    spec.min
                ),
            );
        } else if let Some(max) = spec.max.filter(|m| n > *m) {
            self.fail(
                path.into(),
                format!("Member must have length less than or equal to {max}"),
            );
        } else if let Some(p) = spec.pattern.filter(|p| !regex(p).is_match(v)) {
            self.fail(
                path.into(),
                format!("Member must satisfy regular expression pattern: {p}"),
            );
        } else if let Some(values) = spec.one_of.filter(|vals| !vals.contains(&v)) {
            self.fail(
                path.into(),
                format!(
                    "Member must satisfy enum value set: [{}]",
                    values.join(", ")
                ),
            );
        }
    }

    fn present<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        path: &str,
        name: &str,
        required: bool,
    ) -> Option<&'v Value> {
        match obj.get(name) {
            None | Some(Value::Null) => {
                if required {
                    self.fail(join(path, name), "Member must not be null");
                }
                None
            }
            Some(v) => Some(v),
        }
    }

    /// A string member.
    pub(crate) fn str(
        &mut self,
        obj: &Map<String, Value>,
        path: &str,
        name: &str,
        spec: &Str,
        required: bool,
    ) -> Option<String> {
        let v = self.present(obj, path, name, required)?;
        match v.as_str() {
            Some(s) => {
                self.check_str(&join(path, name), s, spec);
                Some(s.to_string())
            }
            None => {
                self.fail(join(path, name), "Member must be a string");
                None
            }
        }
    }

    /// A boolean member.
    pub(crate) fn bool(
        &mut self,
        obj: &Map<String, Value>,
        path: &str,
        name: &str,
    ) -> Option<bool> {
        let v = self.present(obj, path, name, false)?;
        match v.as_bool() {
            Some(b) => Some(b),
            None => {
                self.fail(join(path, name), "Member must be a boolean");
                None
            }
        }
    }

    /// An integer member with a range.
    pub(crate) fn int(
        &mut self,
        obj: &Map<String, Value>,
        path: &str,
        name: &str,
        min: i64,
        max: i64,
    ) -> Option<i64> {
        let v = self.present(obj, path, name, false)?;
        match v.as_i64() {
            Some(i) if i < min => {
                self.fail(
                    join(path, name),
                    format!("Member must have value greater than or equal to {min}"),
                );
                None
            }
            Some(i) if i > max => {
                self.fail(
                    join(path, name),
                    format!("Member must have value less than or equal to {max}"),
                );
                None
            }
            Some(i) => Some(i),
            None => {
                self.fail(join(path, name), "Member must be an integer");
                None
            }
        }
    }

    /// A list of strings.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn str_list(
        &mut self,
        obj: &Map<String, Value>,
        path: &str,
        name: &str,
        item: &Str,
        min_items: usize,
        max_items: Option<usize>,
        required: bool,
    ) -> Option<Vec<String>> {
        let v = self.present(obj, path, name, required)?;
        let Some(arr) = v.as_array() else {
            self.fail(join(path, name), "Member must be a list");
            return None;
        };
        let p = join(path, name);
        if arr.len() < min_items {
            self.fail(
                p.clone(),
                format!("Member must have length greater than or equal to {min_items}"),
            );
        }
        if let Some(max) = max_items.filter(|m| arr.len() > *m) {
            self.fail(
                p,
                format!("Member must have length less than or equal to {max}"),
            );
            return None;
        }
        let mut out = Vec::with_capacity(arr.len());
        for (i, x) in arr.iter().enumerate() {
            if self.full() {
                return None;
            }
            match x.as_str() {
                Some(s) => {
                    self.check_str(&format!("{p}.{}", i + 1), s, item);
                    out.push(s.to_string());
                }
                None => self.fail(format!("{p}.{}", i + 1), "Member must be a string"),
            }
        }
        Some(out)
    }

    /// A map of strings.
    pub(crate) fn str_map(
        &mut self,
        obj: &Map<String, Value>,
        path: &str,
        name: &str,
        key: &Str,
        value: &Str,
        max_entries: Option<usize>,
    ) -> Option<BTreeMap<String, String>> {
        let v = self.present(obj, path, name, false)?;
        let Some(m) = v.as_object() else {
            self.fail(join(path, name), "Member must be a map");
            return None;
        };
        let p = join(path, name);
        if let Some(max) = max_entries.filter(|mx| m.len() > *mx) {
            self.fail(
                p,
                format!("Member must have length less than or equal to {max}"),
            );
            return None;
        }
        let mut out = BTreeMap::new();
        for (k, x) in m {
            if self.full() {
                return None;
            }
            self.check_str(&format!("{p}.key"), k, key);
            match x.as_str() {
                Some(s) => {
                    self.check_str(&format!("{p}.{k}"), s, value);
                    out.insert(k.clone(), s.to_string());
                }
                None => self.fail(format!("{p}.{k}"), "Member must be a string"),
            }
        }
        Some(out)
    }

    /// A structure member.
    pub(crate) fn object<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        path: &str,
        name: &str,
        required: bool,
    ) -> Option<&'v Map<String, Value>> {
        let v = self.present(obj, path, name, required)?;
        match v.as_object() {
            Some(o) => Some(o),
            None => {
                self.fail(join(path, name), "Member must be a structure");
                None
            }
        }
    }

    /// A union member: exactly one of `members` must be set.
    pub(crate) fn union<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        path: &str,
        name: &str,
        members: &[&str],
        required: bool,
    ) -> Option<(String, &'v Value)> {
        let o = self.object(obj, path, name, required)?;
        let p = join(path, name);
        let set: Vec<(&String, &Value)> = o.iter().filter(|(_, v)| !v.is_null()).collect();
        for (k, _) in &set {
            if !members.contains(&k.as_str()) {
                self.fail(
                    format!("{p}.{k}"),
                    format!(
                        "Unknown union member; expected one of [{}]",
                        members.join(", ")
                    ),
                );
                return None;
            }
        }
        if set.len() != 1 {
            self.fail(p, "Member must have exactly one member set");
            return None;
        }
        Some((set[0].0.clone(), set[0].1))
    }

    /// Records a custom violation.
    pub(crate) fn violation(&mut self, path: &str, message: impl Into<String>) {
        self.fail(path.to_string(), message);
    }

    /// Ends the check: the collected violations as one ValidationException.
    pub(crate) fn finish(self) -> Result<(), Error> {
        if self.errs.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid { fields: self.errs })
        }
    }
}

// ---- per-operation inputs ---------------------------------------------------------------------

/// Which of the three GetWorkloadAccessToken* operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WatKind {
    /// GetWorkloadAccessToken: the workload alone.
    Workload,
    /// GetWorkloadAccessTokenForJWT: for the user of a JWT.
    ForJwt,
    /// GetWorkloadAccessTokenForUserId: for a user id.
    ForUserId,
}

/// Who a workload access token is asked for.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum WatUser {
    /// No user (GetWorkloadAccessToken).
    None,
    /// A user id (ForUserId).
    Id(String),
    /// A user JWT (ForJWT).
    Jwt(String),
}

/// GetWorkloadAccessToken / ForJWT / ForUserId.
pub(crate) struct WatInput {
    pub(crate) workload_name: String,
    pub(crate) user: WatUser,
}

pub(crate) fn parse_wat(b: &Map<String, Value>, kind: WatKind) -> Result<WatInput, Error> {
    let mut c = Checker::default();
    let workload_name = c.str(b, "", "workloadName", &WORKLOAD_NAME, true);
    let user = match kind {
        WatKind::Workload => Some(WatUser::None),
        WatKind::ForJwt => c
            .str(b, "", "userToken", &USER_TOKEN, true)
            .map(WatUser::Jwt),
        WatKind::ForUserId => c.str(b, "", "userId", &USER_ID, true).map(WatUser::Id),
    };
    c.finish()?;
    Ok(WatInput {
        workload_name: workload_name.unwrap_or_default(),
        user: user.unwrap_or(WatUser::None),
    })
}

/// GetResourceApiKey.
pub(crate) struct ApiKeyInput {
    pub(crate) workload_token: String,
    pub(crate) provider: String,
}

pub(crate) fn parse_get_api_key(b: &Map<String, Value>) -> Result<ApiKeyInput, Error> {
    let mut c = Checker::default();
    let t = c.str(b, "", "workloadIdentityToken", &WORKLOAD_TOKEN, true);
    let p = c.str(
        b,
        "",
        "resourceCredentialProviderName",
        &PROVIDER_NAME,
        true,
    );
    c.finish()?;
    Ok(ApiKeyInput {
        workload_token: t.unwrap_or_default(),
        provider: p.unwrap_or_default(),
    })
}

/// GetResourceOauth2Token.
pub(crate) struct TokenInput {
    pub(crate) workload_token: String,
    pub(crate) provider: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) flow: Oauth2Flow,
    pub(crate) session_uri: Option<String>,
    pub(crate) return_url: Option<String>,
    pub(crate) force: bool,
    pub(crate) custom_parameters: BTreeMap<String, String>,
    pub(crate) custom_state: Option<String>,
    pub(crate) resources: Vec<String>,
    pub(crate) audiences: Vec<String>,
}

pub(crate) fn parse_get_oauth2_token(b: &Map<String, Value>) -> Result<TokenInput, Error> {
    let mut c = Checker::default();
    let workload_token = c.str(b, "", "workloadIdentityToken", &WORKLOAD_TOKEN, true);
    let provider = c.str(
        b,
        "",
        "resourceCredentialProviderName",
        &PROVIDER_NAME,
        true,
    );
    let scopes = c.str_list(b, "", "scopes", &SCOPE, 0, None, true);
    let flow = c
        .str(b, "", "oauth2Flow", &OAUTH2_FLOW, true)
        .and_then(|f| Oauth2Flow::from_wire(&f));
    let session_uri = c.str(b, "", "sessionUri", &SESSION_URI, false);
    let return_url = c.str(b, "", "resourceOauth2ReturnUrl", &RETURN_URL, false);
    let force = c.bool(b, "", "forceAuthentication");
    let custom_parameters = c.str_map(
        b,
        "",
        "customParameters",
        &CUSTOM_PARAM_KEY,
        &CUSTOM_PARAM_VALUE,
        None,
    );
    let custom_state = c.str(b, "", "customState", &CUSTOM_STATE, false);
    let resources = c.str_list(b, "", "resources", &RESOURCE, 0, None, false);
    let audiences = c.str_list(b, "", "audiences", &RESOURCE, 0, None, false);
    c.finish()?;
    // Present and one of the enum's values: the checker refused anything else.
    let flow = flow.ok_or_else(|| Error::invalid_field("oauth2Flow", "Member must not be null"))?;
    Ok(TokenInput {
        workload_token: workload_token.unwrap_or_default(),
        provider: provider.unwrap_or_default(),
        scopes: scopes.unwrap_or_default(),
        flow,
        session_uri,
        return_url,
        force: force.unwrap_or(false),
        custom_parameters: custom_parameters.unwrap_or_default(),
        custom_state,
        resources: resources.unwrap_or_default(),
        audiences: audiences.unwrap_or_default(),
    })
}

/// The `userIdentifier` union of CompleteResourceTokenAuth.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum UserIdentifier {
    /// `userId`.
    Id(String),
    /// `userToken`: a user JWT.
    Token(String),
}

/// CompleteResourceTokenAuth.
pub(crate) struct CompleteInput {
    pub(crate) user: UserIdentifier,
    pub(crate) session_uri: String,
}

pub(crate) fn parse_complete(b: &Map<String, Value>) -> Result<CompleteInput, Error> {
    let mut c = Checker::default();
    let mut user = None;
    if let Some((member, v)) = c.union(b, "", "userIdentifier", &["userToken", "userId"], true) {
        match v.as_str() {
            None => c.violation(
                &format!("userIdentifier.{member}"),
                "Member must be a string",
            ),
            Some(s) if member == "userId" => {
                c.check_str("userIdentifier.userId", s, &USER_ID);
                user = Some(UserIdentifier::Id(s.to_string()));
            }
            Some(s) => {
                c.check_str("userIdentifier.userToken", s, &USER_TOKEN);
                user = Some(UserIdentifier::Token(s.to_string()));
            }
        }
    }
    let session_uri = c.str(b, "", "sessionUri", &SESSION_URI, true);
    c.finish()?;
    let user = user.ok_or_else(|| {
        Error::invalid_field("userIdentifier", "Member must have exactly one member set")
    })?;
    Ok(CompleteInput {
        user,
        session_uri: session_uri.unwrap_or_default(),
    })
}

/// Any operation whose only input is `name`.
pub(crate) fn parse_name(b: &Map<String, Value>, spec: &Str) -> Result<String, Error> {
    let mut c = Checker::default();
    let n = c.str(b, "", "name", spec, true);
    c.finish()?;
    Ok(n.unwrap_or_default())
}

/// The `resourceArn` label of the tag operations.
pub(crate) fn parse_resource_arn(arn: &str) -> Result<String, Error> {
    let mut c = Checker::default();
    c.check_str("resourceArn", arn, &TAGGABLE_ARN);
    c.finish()?;
    Ok(arn.to_string())
}

/// TagResource's body: `tags` (required, at most 50).
pub(crate) fn parse_tags(b: &Map<String, Value>) -> Result<BTreeMap<String, String>, Error> {
    let mut c = Checker::default();
    if b.get("tags").is_none_or(Value::is_null) {
        c.violation("tags", "Member must not be null");
    }
    let tags = c.str_map(b, "", "tags", &TAG_KEY, &TAG_VALUE, Some(MAX_TAGS));
    c.finish()?;
    Ok(tags.unwrap_or_default())
}

/// UntagResource's `tagKeys` (query string; required, at most 200; none given: missing).
pub(crate) fn parse_tag_keys(keys: &[String]) -> Result<Vec<String>, Error> {
    let mut c = Checker::default();
    if keys.is_empty() {
        c.violation("tagKeys", "Member must not be null");
    } else if keys.len() > MAX_UNTAG_KEYS {
        c.violation(
            "tagKeys",
            format!("Member must have length less than or equal to {MAX_UNTAG_KEYS}"),
        );
    } else {
        for (i, k) in keys.iter().enumerate() {
            c.check_str(&format!("tagKeys.{i}"), k, &TAG_KEY);
        }
    }
    c.finish()?;
    Ok(keys.to_vec())
}

/// `tokenVaultId` (GetTokenVault, SetTokenVaultCMK: optional, default `default`;
/// ResetTokenVaultKeyMaterial: required).
pub(crate) fn parse_token_vault_id(
    b: &Map<String, Value>,
    required: bool,
) -> Result<String, Error> {
    let mut c = Checker::default();
    let id = c.str(b, "", "tokenVaultId", &TOKEN_VAULT_ID, required);
    c.finish()?;
    Ok(id.unwrap_or_else(|| "default".into()))
}

/// SetTokenVaultCMK: the vault id and its `kmsConfiguration` (`keyType`; `kmsKeyArn` required
/// for, and only for, `CustomerManagedKey`).
pub(crate) fn parse_set_cmk(
    b: &Map<String, Value>,
) -> Result<(String, String, Option<String>), Error> {
    let mut c = Checker::default();
    let id = c.str(b, "", "tokenVaultId", &TOKEN_VAULT_ID, false);
    let mut out = None;
    if let Some(k) = c.object(b, "", "kmsConfiguration", true) {
        let key_type = c.str(k, "kmsConfiguration", "keyType", &KEY_TYPE, true);
        let arn = c.str(k, "kmsConfiguration", "kmsKeyArn", &KMS_KEY_ARN, false);
        match (key_type.as_deref(), &arn) {
            (Some("CustomerManagedKey"), None) => c.violation(
                "kmsConfiguration.kmsKeyArn",
                "Member must not be null when keyType is CustomerManagedKey",
            ),
            (Some("ServiceManagedKey"), Some(_)) => c.violation(
                "kmsConfiguration.kmsKeyArn",
                "Member must be absent when keyType is ServiceManagedKey",
            ),
            _ => {}
        }
        out = key_type.map(|t| (t, arn));
    }
    c.finish()?;
    let (key_type, arn) = out.unwrap_or_default();
    Ok((id.unwrap_or_else(|| "default".into()), key_type, arn))
}

/// List* operations.
#[derive(Debug)]
pub(crate) struct ListInput {
    pub(crate) next_token: Option<String>,
    pub(crate) max_results: Option<i64>,
}

pub(crate) fn parse_list(b: &Map<String, Value>, max: i64) -> Result<ListInput, Error> {
    let mut c = Checker::default();
    let next_token = c.str(b, "", "nextToken", &ANY, false);
    let max_results = c.int(b, "", "maxResults", 1, max);
    c.finish()?;
    Ok(ListInput {
        next_token,
        max_results,
    })
}

/// Create/UpdateWorkloadIdentity.
#[derive(Debug)]
pub(crate) struct WorkloadInput {
    pub(crate) name: String,
    pub(crate) allowed_return_urls: Option<Vec<String>>,
    pub(crate) tags: Option<BTreeMap<String, String>>,
}

pub(crate) fn parse_workload(
    b: &Map<String, Value>,
    with_tags: bool,
) -> Result<WorkloadInput, Error> {
    let mut c = Checker::default();
    let name = c.str(b, "", "name", &WORKLOAD_NAME, true);
    let urls = c.str_list(
        b,
        "",
        "allowedResourceOauth2ReturnUrls",
        &RETURN_URL,
        0,
        None,
        false,
    );
    let tags = if with_tags {
        c.str_map(b, "", "tags", &TAG_KEY, &TAG_VALUE, Some(MAX_TAGS))
    } else {
        None
    };
    c.finish()?;
    Ok(WorkloadInput {
        name: name.unwrap_or_default(),
        allowed_return_urls: urls,
        tags,
    })
}

/// Create/UpdateApiKeyCredentialProvider.
#[derive(Debug)]
pub(crate) struct ApiKeyProviderInput {
    pub(crate) name: String,
    pub(crate) api_key: Option<Sensitive>,
    pub(crate) secret_source: Option<String>,
    pub(crate) secret_json_key: Option<String>,
    pub(crate) tags: Option<BTreeMap<String, String>>,
}

pub(crate) fn parse_api_key_provider(
    b: &Map<String, Value>,
    with_tags: bool,
) -> Result<ApiKeyProviderInput, Error> {
    let mut c = Checker::default();
    let name = c.str(b, "", "name", &PROVIDER_NAME, true);
    let api_key = c
        .str(b, "", "apiKey", &API_KEY_IN, false)
        .map(Sensitive::new);
    let mut json_key = None;
    if let Some(cfg) = c.object(b, "", "apiKeySecretConfig", false) {
        c.str(cfg, "apiKeySecretConfig", "secretId", &SECRET_ID, true);
        json_key = c.str(cfg, "apiKeySecretConfig", "jsonKey", &JSON_KEY, true);
    }
    let secret_source = c.str(b, "", "apiKeySecretSource", &SECRET_SOURCE, false);
    let tags = if with_tags {
        c.str_map(b, "", "tags", &TAG_KEY, &TAG_VALUE, Some(MAX_TAGS))
    } else {
        None
    };
    c.finish()?;
    Ok(ApiKeyProviderInput {
        name: name.unwrap_or_default(),
        api_key,
        secret_source,
        secret_json_key: json_key,
        tags,
    })
}

/// Create/UpdateOauth2CredentialProvider.
#[derive(Debug)]
pub(crate) struct Oauth2ProviderInput {
    pub(crate) name: String,
    pub(crate) vendor: String,
    pub(crate) member: String,
    pub(crate) client_id: Option<String>,
    pub(crate) client_secret: Option<Sensitive>,
    pub(crate) client_secret_source: Option<String>,
    /// `clientSecretConfig.jsonKey` (a secret held in Secrets Manager).
    pub(crate) client_secret_json_key: Option<String>,
    pub(crate) discovery_url: Option<String>,
    pub(crate) metadata: Option<Metadata>,
    pub(crate) tenant_id: Option<String>,
    pub(crate) issuer: Option<String>,
    pub(crate) authorization_endpoint: Option<String>,
    pub(crate) token_endpoint: Option<String>,
    pub(crate) client_auth_method: Option<String>,
    pub(crate) extra_output: Map<String, Value>,
    pub(crate) tags: Option<BTreeMap<String, String>>,
}

/// The config member a vendor must use.
pub(crate) fn member_for_vendor(vendor: &str) -> &'static str {
    match vendor {
        "CustomOauth2" => "customOauth2ProviderConfig",
        "GoogleOauth2" => "googleOauth2ProviderConfig",
        "GithubOauth2" => "githubOauth2ProviderConfig",
        "SlackOauth2" => "slackOauth2ProviderConfig",
        "SalesforceOauth2" => "salesforceOauth2ProviderConfig",
        "MicrosoftOauth2" => "microsoftOauth2ProviderConfig",
        "AtlassianOauth2" => "atlassianOauth2ProviderConfig",
        "LinkedinOauth2" => "linkedinOauth2ProviderConfig",
        _ => "includedOauth2ProviderConfig",
    }
}

pub(crate) fn parse_oauth2_provider(
    b: &Map<String, Value>,
    with_tags: bool,
) -> Result<Oauth2ProviderInput, Error> {
    let mut c = Checker::default();
    let name = c.str(b, "", "name", &PROVIDER_NAME, true);
    let vendor = c.str(b, "", "credentialProviderVendor", &VENDOR, true);
    let tags = if with_tags {
        c.str_map(b, "", "tags", &TAG_KEY, &TAG_VALUE, Some(MAX_TAGS))
    } else {
        None
    };
    let mut out = Oauth2ProviderInput {
        name: name.unwrap_or_default(),
        vendor: vendor.clone().unwrap_or_default(),
        member: String::new(),
        client_id: None,
        client_secret: None,
        client_secret_source: None,
        client_secret_json_key: None,
        discovery_url: None,
        metadata: None,
        tenant_id: None,
        issuer: None,
        authorization_endpoint: None,
        token_endpoint: None,
        client_auth_method: None,
        extra_output: Map::new(),
        tags,
    };
    if let Some((member, v)) = c.union(b, "", "oauth2ProviderConfigInput", CONFIG_MEMBERS, true) {
        let p = format!("oauth2ProviderConfigInput.{member}");
        match v.as_object() {
            None => c.violation(&p, "Member must be a structure"),
            Some(cfg) => {
                let custom = member == "customOauth2ProviderConfig";
                out.client_id = c.str(
                    cfg,
                    &p,
                    "clientId",
                    if custom {
                        &CLIENT_ID_CUSTOM
                    } else {
                        &CLIENT_ID_VENDOR
                    },
                    !custom,
                );
                out.client_secret = c
                    .str(cfg, &p, "clientSecret", &CLIENT_SECRET, false)
                    .map(Sensitive::new);
                if let Some(sc) = c.object(cfg, &p, "clientSecretConfig", false) {
                    let sp = format!("{p}.clientSecretConfig");
                    c.str(sc, &sp, "secretId", &SECRET_ID, true);
                    out.client_secret_json_key = c.str(sc, &sp, "jsonKey", &JSON_KEY, true);
                }
                out.client_secret_source =
                    c.str(cfg, &p, "clientSecretSource", &SECRET_SOURCE, false);
                if member == "microsoftOauth2ProviderConfig" {
                    out.tenant_id = c.str(cfg, &p, "tenantId", &TENANT_ID, false);
                }
                if member == "includedOauth2ProviderConfig" {
                    out.issuer = c.str(cfg, &p, "issuer", &ANY, false);
                    out.authorization_endpoint =
                        c.str(cfg, &p, "authorizationEndpoint", &ANY, false);
                    out.token_endpoint = c.str(cfg, &p, "tokenEndpoint", &ANY, false);
                    if out.token_endpoint.is_none() && out.issuer.is_none() {
                        c.violation(&p, "issuer or tokenEndpoint must be given for this vendor");
                    }
                }
                if custom {
                    parse_custom(&mut c, cfg, &p, &mut out);
                }
            }
        }
        if let Some(vendor) = &vendor
            && VENDOR
                .one_of
                .is_some_and(|vals| vals.contains(&vendor.as_str()))
            && member_for_vendor(vendor) != member
        {
            c.violation(
                "oauth2ProviderConfigInput",
                format!(
                    "credentialProviderVendor {vendor} requires {}",
                    member_for_vendor(vendor)
                ),
            );
        }
        out.member = member;
    }
    c.finish()?;
    Ok(out)
}

fn parse_custom(c: &mut Checker, cfg: &Map<String, Value>, p: &str, out: &mut Oauth2ProviderInput) {
    let discovery = c.union(
        cfg,
        p,
        "oauthDiscovery",
        &["discoveryUrl", "authorizationServerMetadata"],
        true,
    );
    if discovery.is_none()
        && let Some(u) = cfg
            .get("oauthDiscovery")
            .and_then(|d| d.get("discoveryUrl"))
            .and_then(Value::as_str)
    {
        // the union was refused (e.g. two members set); still report a bad discovery URL
        c.check_str(
            &format!("{p}.oauthDiscovery.discoveryUrl"),
            u,
            &DISCOVERY_URL,
        );
    }
    if let Some((dm, dv)) = discovery {
        let dp = format!("{p}.oauthDiscovery.{dm}");
        if dm == "discoveryUrl" {
            match dv.as_str() {
                Some(u) => {
                    c.check_str(&dp, u, &DISCOVERY_URL);
                    out.discovery_url = Some(u.to_string());
                }
                None => c.violation(&dp, "Member must be a string"),
            }
        } else if let Some(m) = dv.as_object() {
            let issuer = c.str(m, &dp, "issuer", &ANY, true);
            let ae = c.str(m, &dp, "authorizationEndpoint", &ANY, true);
            let te = c.str(m, &dp, "tokenEndpoint", &ANY, true);
            let rt = c.str_list(m, &dp, "responseTypes", &ANY, 0, None, false);
            let am = c.str_list(
                m,
                &dp,
                "tokenEndpointAuthMethods",
                &TOKEN_AUTH_METHOD,
                1,
                Some(2),
                false,
            );
            for (field, url) in [("authorizationEndpoint", &ae), ("tokenEndpoint", &te)] {
                if let Some(u) = url
                    && url::Url::parse(u).is_err()
                {
                    c.violation(&format!("{dp}.{field}"), "Member must be an absolute URL");
                }
            }
            out.metadata = Some(Metadata {
                issuer: issuer.unwrap_or_default(),
                authorization_endpoint: ae.unwrap_or_default(),
                token_endpoint: te.unwrap_or_default(),
                response_types: rt,
                token_endpoint_auth_methods: am,
            });
        } else {
            c.violation(&dp, "Member must be a structure");
        }
    }
    out.client_auth_method = c.str(
        cfg,
        p,
        "clientAuthenticationMethod",
        &CLIENT_AUTH_METHOD,
        false,
    );
    if let Some(obo) = c.object(cfg, p, "onBehalfOfTokenExchangeConfig", false) {
        let op = format!("{p}.onBehalfOfTokenExchangeConfig");
        c.str(obo, &op, "grantType", &GRANT_TYPE, true);
        if let Some(t) = c.object(obo, &op, "tokenExchangeGrantTypeConfig", false) {
            let tp = format!("{op}.tokenExchangeGrantTypeConfig");
            let content = c.str(t, &tp, "actorTokenContent", &ACTOR_TOKEN_CONTENT, true);
            let scopes = c.str_list(t, &tp, "actorTokenScopes", &SCOPE, 0, None, false);
            // The model: "Only valid when actorTokenContent is M2M".
            if scopes.is_some_and(|s| !s.is_empty())
                && content.as_deref().is_some_and(|c| c != "M2M")
            {
                c.violation(
                    &format!("{tp}.actorTokenScopes"),
                    "Member is only valid when actorTokenContent is M2M",
                );
            }
        }
        if let Some(a) = c.object(obo, &op, "onBehalfOfAuthenticationConfig", false) {
            c.str(
                a,
                &format!("{op}.onBehalfOfAuthenticationConfig"),
                "clientAuthenticationMethod",
                &OBO_CLIENT_AUTH,
                true,
            );
        }
        out.extra_output.insert(
            "onBehalfOfTokenExchangeConfig".into(),
            Value::Object(obo.clone()),
        );
    }
    for k in [
        "privateKeyJwtConfig",
        "privateEndpoint",
        "privateEndpointOverrides",
        "certificateConfigurations",
    ] {
        if let Some(v) = cfg.get(k).filter(|v| !v.is_null()) {
            out.extra_output.insert(k.into(), v.clone());
        }
    }
    if let Some(v) = cfg
        .get("privateEndpointOverrides")
        .and_then(Value::as_array)
        && v.len() > 5
    {
        c.violation(
            &format!("{p}.privateEndpointOverrides"),
            "Member must have length less than or equal to 5",
        );
    }
    if let Some(v) = cfg
        .get("certificateConfigurations")
        .and_then(Value::as_array)
        && v.len() != 1
    {
        c.violation(
            &format!("{p}.certificateConfigurations"),
            "Member must have length between 1 and 1",
        );
    }
}

impl std::fmt::Debug for WatInput {
    /// Tokens, custom state and custom parameter values are redacted (sensitive in the model).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatInput")
            .field("workload_name", &self.workload_name)
            .field("user", &self.user)
            .finish()
    }
}

impl std::fmt::Debug for WatUser {
    /// A user JWT is redacted.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Id(id) => f.debug_tuple("Id").field(id).finish(),
            Self::Jwt(_) => f.write_str("Jwt([REDACTED])"),
        }
    }
}

impl std::fmt::Debug for UserIdentifier {
    /// A user JWT is redacted.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Id(id) => f.debug_tuple("Id").field(id).finish(),
            Self::Token(_) => f.write_str("Token([REDACTED])"),
        }
    }
}

impl std::fmt::Debug for ApiKeyInput {
    /// Tokens, custom state and custom parameter values are redacted (sensitive in the model).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeyInput")
            .field("workload_token", &"[REDACTED]")
            .field("provider", &self.provider)
            .finish()
    }
}

impl std::fmt::Debug for TokenInput {
    /// Tokens, custom state and custom parameter values are redacted (sensitive in the model).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenInput")
            .field("workload_token", &"[REDACTED]")
            .field("provider", &self.provider)
            .field("scopes", &self.scopes)
            .field("flow", &self.flow)
            .field("session_uri", &self.session_uri)
            .field("return_url", &self.return_url)
            .field("force", &self.force)
            .field(
                "custom_parameters",
                &self.custom_parameters.keys().collect::<Vec<_>>(),
            )
            .field(
                "custom_state",
                &self.custom_state.as_ref().map(|_| "[REDACTED]"),
            )
            .field("resources", &self.resources)
            .field("audiences", &self.audiences)
            .finish()
    }
}

impl std::fmt::Debug for CompleteInput {
    /// Tokens, custom state and custom parameter values are redacted (sensitive in the model).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompleteInput")
            .field("user", &self.user)
            .field("session_uri", &self.session_uri)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn patterns_match_whole_values() {
        let mut c = Checker::default();
        c.check_str("n", "ok-name_1", &PROVIDER_NAME);
        c.check_str("n", "bad name", &PROVIDER_NAME);
        c.check_str("n", "ab", &WORKLOAD_NAME);
        assert_eq!(c.errs.len(), 2);
    }

    #[test]
    fn union_needs_exactly_one() {
        assert!(
            parse_complete(&obj(
                json!({"sessionUri":"urn:ietf:params:oauth:request_uri:a","userIdentifier":{}})
            ))
            .is_err()
        );
        assert!(
            parse_complete(&obj(
                json!({"sessionUri":"urn:ietf:params:oauth:request_uri:a","userIdentifier":{"userId":"a","userToken":"a.b.c"}})
            ))
            .is_err()
        );
        assert!(parse_complete(&obj(json!({"sessionUri":"urn:ietf:params:oauth:request_uri:a","userIdentifier":{"userId":"a"}}))).is_ok());
    }

    #[test]
    fn discovery_url_pattern() {
        let mut c = Checker::default();
        c.check_str(
            "d",
            "http://127.0.0.1:1/.well-known/openid-configuration",
            &DISCOVERY_URL,
        );
        c.check_str("d", "http://127.0.0.1:1/x", &DISCOVERY_URL);
        assert_eq!(c.errs.len(), 1);
    }

    #[test]
    fn input_debug_redacts_tokens_state_and_parameter_values() {
        let body: Map<String, Value> = serde_json::from_str(
            r#"{"workloadIdentityToken":"wat-secret-1","resourceCredentialProviderName":"p",
                "scopes":["s"],"oauth2Flow":"M2M","customState":"state-secret-2",
                "customParameters":{"k":"param-secret-3"}}"#,
        )
        .unwrap();
        let shown = format!("{:?}", parse_get_oauth2_token(&body).unwrap());
        for secret in ["wat-secret-1", "state-secret-2", "param-secret-3"] {
            assert!(!shown.contains(secret), "{secret} leaked: {shown}");
        }
        assert!(
            shown.contains("\"k\"") && shown.contains("REDACTED"),
            "{shown}"
        );
        let body: Map<String, Value> = serde_json::from_str(
            r#"{"workloadIdentityToken":"wat-secret-4","resourceCredentialProviderName":"p"}"#,
        )
        .unwrap();
        assert!(!format!("{:?}", parse_get_api_key(&body).unwrap()).contains("wat-secret-4"));
    }
}
