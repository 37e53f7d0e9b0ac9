//! Header names of the AgentCore Runtime contract and the header allowlist.

/// The runtime session id header.
pub const SESSION_HEADER: &str = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id";
/// The request id header (a UUID is generated when it is absent).
pub const REQUEST_ID_HEADER: &str = "X-Amzn-Bedrock-AgentCore-Runtime-Request-Id";
/// The workload access token header AgentCore Runtime sends.
pub const ACCESS_TOKEN_HEADER: &str = "WorkloadAccessToken";
/// The identity WAT header (workload identity chain propagation); wins over
/// [`ACCESS_TOKEN_HEADER`] when both are present.
pub const IDENTITY_WAT_HEADER: &str = "X-Amz-Bedrock-AgentCore-Identity-WAT";
/// The OAuth2 callback URL header (the default `resourceOauth2ReturnUrl`).
pub const OAUTH2_CALLBACK_URL_HEADER: &str = "OAuth2CallbackUrl";
/// The inbound `Authorization` header (forwarded to agent code).
pub const AUTHORIZATION_HEADER: &str = "Authorization";
/// The prefix of custom headers forwarded to agent code.
pub const CUSTOM_HEADER_PREFIX: &str = "X-Amzn-Bedrock-AgentCore-Runtime-Custom-";

/// Headers the runtime never forwards to agent code (lower case), from the AgentCore runtime
/// header allowlist documentation, as in the Python SDK.
const RESTRICTED_HEADERS: &[&str] = &[
    "proxy-authorization",
    "www-authenticate",
    "accept",
    "accept-charset",
    "accept-encoding",
    "accept-language",
    "content-type",
    "content-length",
    "content-encoding",
    "content-language",
    "content-location",
    "content-range",
    "cache-control",
    "etag",
    "expires",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "last-modified",
    "pragma",
    "vary",
    "connection",
    "keep-alive",
    "proxy-connection",
    "upgrade",
    "host",
    "user-agent",
    "referer",
    "from",
    "range",
    "accept-ranges",
    "transfer-encoding",
    "te",
    "trailer",
    "server",
    "date",
    "location",
    "retry-after",
    "set-cookie",
    "cookie",
    "content-security-policy",
    "content-security-policy-report-only",
    "strict-transport-security",
    "x-content-type-options",
    "x-frame-options",
    "x-xss-protection",
    "referrer-policy",
    "permissions-policy",
    "cross-origin-embedder-policy",
    "cross-origin-opener-policy",
    "cross-origin-resource-policy",
    "access-control-allow-origin",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-allow-credentials",
    "access-control-expose-headers",
    "access-control-max-age",
    "access-control-request-method",
    "access-control-request-headers",
    "origin",
    "accept-ch",
    "accept-ch-lifetime",
    "dpr",
    "width",
    "viewport-width",
    "downlink",
    "ect",
    "rtt",
    "save-data",
    "clear-site-data",
    "feature-policy",
    "expect-ct",
    "public-key-pins",
    "public-key-pins-report-only",
    "via",
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
    "x-requested-with",
    "x-csrf-token",
    "true-client-ip",
    "x-client-ip",
    "x-cluster-client-ip",
    "x-originating-ip",
    "x-source-ip",
    "x-original-url",
    "x-original-host",
    "x-rewrite-url",
    "cf-ray",
    "cf-connecting-ip",
    "x-amz-cf-id",
    "x-cache",
    "x-served-by",
    ":method",
    ":path",
    ":scheme",
    ":authority",
    ":status",
    "link",
    "sec-websocket-key",
    "sec-websocket-accept",
    "sec-websocket-version",
    "sec-websocket-protocol",
    "sec-websocket-extensions",
];

/// Whether agent code may see a request header, by the AgentCore runtime header allowlist rules
/// (as the Python SDK applies them): not a restricted header; no `x-amz-` header except the
/// identity WAT header; no `x-amzn-` header except the `X-Amzn-Bedrock-AgentCore-Runtime-Custom-`
/// ones. `Authorization` is forwarded.
pub fn is_forwardable_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if RESTRICTED_HEADERS.contains(&lower.as_str()) {
        return false;
    }
    if lower.starts_with("x-amz-") {
        return lower.eq_ignore_ascii_case(IDENTITY_WAT_HEADER);
    }
    if lower.starts_with("x-amzn-") {
        return lower.starts_with(&CUSTOM_HEADER_PREFIX.to_ascii_lowercase());
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowlist() {
        assert!(is_forwardable_header("Authorization"));
        assert!(is_forwardable_header(
            "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Tenant"
        ));
        assert!(is_forwardable_header(
            "x-amz-bedrock-agentcore-identity-wat"
        ));
        assert!(is_forwardable_header("WorkloadAccessToken"));
        assert!(!is_forwardable_header("Content-Type"));
        assert!(!is_forwardable_header("X-Amz-Date"));
        assert!(!is_forwardable_header("X-Amzn-Trace-Id"));
        assert!(!is_forwardable_header("Cookie"));
    }
}
