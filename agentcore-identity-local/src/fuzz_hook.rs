//! Not public API: the entry points of `fuzz/` (cargo fuzz) into request decoding and validation,
//! and into the Host / Origin / Sec-Fetch-Site guard.

use serde_json::{Map, Value};

use crate::http::error::ApiError;
use crate::http::guard::Guard;
use crate::http::op::Op;
use crate::http::wire;
use crate::validate::{self as v, UserIdentifier, WatKind, WatUser};

/// Decodes `body` as the JSON request body of operation `op` (an index into the operations,
/// modulo their number) exactly as the service does before touching its store (an empty body is `{}`, the
/// body must be a JSON object), validates it as that operation's input, and decodes the tokens it
/// carries (workload access tokens, user JWTs, pagination tokens). Returns the HTTP status the
/// service would answer with at that point (200: the request passed). Panics are the findings;
/// a refused request must carry a well-formed error.
#[doc(hidden)]
pub fn decode_and_validate(op: u8, body: &[u8]) -> u16 {
    let op = Op::ALL[usize::from(op) % Op::ALL.len()];
    match run(op, body) {
        Ok(()) => 200,
        Err(e) => {
            assert!(
                !e.code.is_empty() && !e.message.is_empty(),
                "error without code or message"
            );
            assert!(
                e.fields
                    .iter()
                    .all(|f| !f.name.is_empty() && !f.message.is_empty()),
                "empty fieldList entry"
            );
            if e.status.as_u16() == 400 && e.code == "ValidationException" {
                assert!(e.reason.is_some(), "validation error without a reason");
            }
            serde_json::to_string(&e.fields).expect("fieldList serialises");
            e.status.as_u16()
        }
    }
}

fn run(op: Op, body: &[u8]) -> Result<(), ApiError> {
    if op == Op::GetWebIdentityToken {
        // awsQuery: a form, not JSON.
        let form =
            crate::http::sts::QueryForm::parse(Some("application/x-www-form-urlencoded"), body)?;
        form.action()?;
        crate::http::sts::check_web_identity_token(&form)?;
        return Ok(());
    }
    let b: Map<String, Value> = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        wire::json_object(body)?
    };
    const KEY: &[u8; 32] = b"agentcore-identity-local fuzz k!";
    match op {
        Op::GetWorkloadAccessToken => {
            v::parse_wat(&b, WatKind::Workload)?;
        }
        Op::GetWorkloadAccessTokenForJwt => {
            if let WatUser::Jwt(jwt) = v::parse_wat(&b, WatKind::ForJwt)?.user {
                crate::jwt::decode_signed(&jwt)?;
            }
        }
        Op::GetWorkloadAccessTokenForUserId => {
            v::parse_wat(&b, WatKind::ForUserId)?;
        }
        Op::GetResourceApiKey => {
            let i = v::parse_get_api_key(&b)?;
            crate::wat::verify(KEY, &i.workload_token)?;
        }
        Op::GetResourceOauth2Token => {
            let i = v::parse_get_oauth2_token(&b)?;
            crate::wat::verify(KEY, &i.workload_token)?;
        }
        Op::CompleteResourceTokenAuth => {
            if let UserIdentifier::Token(t) = v::parse_complete(&b)?.user {
                crate::jwt::decode_signed(&t)?;
            }
        }
        Op::CreateWorkloadIdentity => {
            v::parse_workload(&b, true)?;
        }
        Op::UpdateWorkloadIdentity => {
            v::parse_workload(&b, false)?;
        }
        Op::GetWorkloadIdentity | Op::DeleteWorkloadIdentity => {
            v::parse_name(&b, &v::WORKLOAD_NAME)?;
        }
        Op::GetApiKeyCredentialProvider
        | Op::DeleteApiKeyCredentialProvider
        | Op::GetOauth2CredentialProvider
        | Op::DeleteOauth2CredentialProvider => {
            v::parse_name(&b, &v::PROVIDER_NAME)?;
        }
        Op::ListWorkloadIdentities
        | Op::ListApiKeyCredentialProviders
        | Op::ListOauth2CredentialProviders => {
            let max = match op {
                Op::ListApiKeyCredentialProviders => v::LIST_API_KEY_MAX,
                Op::ListOauth2CredentialProviders => v::LIST_OAUTH2_MAX,
                _ => v::LIST_WORKLOADS_MAX,
            };
            let i = v::parse_list(&b, max)?;
            if let Some(t) = &i.next_token {
                wire::decode_next_token(t)?;
            }
        }
        Op::CreateApiKeyCredentialProvider => {
            v::parse_api_key_provider(&b, true)?;
        }
        Op::UpdateApiKeyCredentialProvider => {
            v::parse_api_key_provider(&b, false)?;
        }
        Op::CreateOauth2CredentialProvider => {
            v::parse_oauth2_provider(&b, true)?;
        }
        Op::UpdateOauth2CredentialProvider => {
            v::parse_oauth2_provider(&b, false)?;
        }
        Op::TagResource => {
            v::parse_tags(&b)?;
        }
        Op::UntagResource | Op::ListTagsForResource => {
            v::parse_resource_arn(
                "arn:aws:bedrock-agentcore:us-east-1:000000000000:token-vault/default",
            )?;
        }
        Op::GetTokenVault => {
            v::parse_token_vault_id(&b, false)?;
        }
        Op::SetTokenVaultCMK => {
            v::parse_set_cmk(&b)?;
        }
        Op::ResetTokenVaultKeyMaterial => {
            v::parse_token_vault_id(&b, true)?;
        }
        Op::GetWebIdentityToken => {}
    }
    Ok(())
}

/// Runs the guard on a request made of `data`: method byte, then `\n`-separated Host, Origin,
/// Sec-Fetch-Site and path (a missing or unrepresentable part is left out). Returns whether the
/// request was let through. Panics are the findings; so is a request let through whose Host
/// does not name the service (`127.0.0.1:8787`, `localhost:8787`, `[::1]:8787`, or the public
/// URL `https://identity.example`).
#[doc(hidden)]
pub fn guard_lets_through(data: &[u8]) -> bool {
    use axum::http::{HeaderValue, Method};
    let Some((&m, rest)) = data.split_first() else {
        return false;
    };
    let public = url::Url::parse("https://identity.example").expect("url");
    let guard = Guard::new(
        std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        8787,
        Some(&public),
    );
    let mut parts = rest.split(|b| *b == b'\n');
    let (host, origin, site, path) = (parts.next(), parts.next(), parts.next(), parts.next());
    let path = path
        .and_then(|p| std::str::from_utf8(p).ok())
        .filter(|p| p.starts_with('/'))
        .unwrap_or("/identities/ListWorkloadIdentities");
    let Ok(mut req) = axum::http::Request::builder()
        .method(if m % 2 == 0 {
            Method::POST
        } else {
            Method::GET
        })
        .uri(path)
        .body(axum::body::Body::empty())
    else {
        return false;
    };
    for (name, v) in [("host", host), ("origin", origin), ("sec-fetch-site", site)] {
        if let Some(v) = v.and_then(|v| HeaderValue::from_bytes(v).ok()) {
            req.headers_mut().insert(name, v);
        }
    }
    let through = guard.refuse(&req).is_none();
    if through {
        let host = req
            .headers()
            .get("host")
            .and_then(|h| h.to_str().ok())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        assert!(
            matches!(
                host.as_str(),
                "127.0.0.1:8787"
                    | "localhost:8787"
                    | "[::1]:8787"
                    | "identity.example"
                    | "identity.example:443"
            ),
            "let through with Host {host:?}"
        );
    }
    through
}

#[cfg(test)]
mod tests {
    #[test]
    fn guard_hook() {
        assert!(super::guard_lets_through(b"\x00localhost:8787"));
        assert!(super::guard_lets_through(b"\x00identity.example"));
        assert!(!super::guard_lets_through(b"\x00evil.example:8787"));
        assert!(!super::guard_lets_through(
            b"\x00localhost:8787\nhttp://evil.example"
        ));
        assert!(super::guard_lets_through(
            b"\x01localhost:8787\nhttp://evil.example\ncross-site\n/identities/oauth2/callback"
        ));
        assert!(!super::guard_lets_through(
            b"\x00localhost:8787\nhttp://evil.example\ncross-site\n/identities/oauth2/callback"
        ));
    }
}
