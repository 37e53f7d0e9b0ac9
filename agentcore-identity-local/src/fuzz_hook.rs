//! Not public API: the entry point of `fuzz/` (cargo fuzz) into request decoding and validation.

use serde_json::{Map, Value};

use crate::http::error::ApiError;
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
    }
    Ok(())
}
