//! Data-plane operations (`bedrock-agentcore`): workload access tokens, API keys, OAuth2 tokens.

use axum::response::Response;
use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::wire::ok;
use crate::error::Error;
use crate::state::AppState;
use crate::store::{ApiKeyProviderRecord, Oauth2ProviderRecord, Table, WorkloadRecord};
use crate::validate::{self, UserIdentifier, WatKind, WatUser};
use crate::vault::{self, TokenOutcome};
use crate::wat::{self, Claims, Subject};

/// GetWorkloadAccessToken, ...ForJWT, ...ForUserId.
pub(super) async fn get_workload_access_token(
    st: &AppState,
    b: &Map<String, Value>,
    kind: WatKind,
) -> Result<Response, ApiError> {
    let input = validate::parse_wat(b, kind)?;
    let workload: WorkloadRecord = st
        .store
        .get(Table::Workloads, &input.workload_name)?
        .ok_or_else(|| {
            Error::NotFound(format!(
                "Workload identity {} not found",
                input.workload_name
            ))
        })?;
    let (user, jwt) = match &input.user {
        WatUser::None => (None, None),
        WatUser::Id(u) => (Some(u.clone()), None),
        // The user JWT travels sealed in the token (the subject token of a later
        // ON_BEHALF_OF_TOKEN_EXCHANGE); nothing is stored.
        WatUser::Jwt(jwt) => (Some(st.user_jwts.subject(jwt).await?), Some(jwt.as_str())),
    };
    let who = Subject {
        workload: &workload.name,
        incarnation: &workload.incarnation,
        user: user.as_deref(),
        jwt,
    };
    let token = wat::issue(&st.keys.wat_key, who, st.config.wat_ttl).ok_or_else(|| {
        Error::invalid_field(
            "userToken",
            format!(
                "Member is too long to be carried in a workload access token of at most {} characters",
                wat::MAX_TOKEN_LEN
            ),
        )
    })?;
    Ok(ok(200, json!({ "workloadAccessToken": token })))
}

/// Verifies a workload access token and that its workload identity still exists.
fn authorize(st: &AppState, token: &str) -> Result<(Claims, WorkloadRecord), Error> {
    let claims = wat::verify(&st.keys.wat_key, token)?;
    let w = st
        .store
        .get::<WorkloadRecord>(Table::Workloads, &claims.wn)?
        .filter(|w| w.incarnation == claims.inc)
        .ok_or_else(|| {
            Error::Denied(
                "The workload identity of this workload access token no longer exists".into(),
            )
        })?;
    Ok((claims, w))
}

fn missing_provider(name: &str) -> Error {
    Error::NotFound(format!("Credential provider {name} not found"))
}

/// GetResourceApiKey.
pub(super) async fn get_resource_api_key(
    st: &AppState,
    b: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let input = validate::parse_get_api_key(b)?;
    let _ = authorize(st, &input.workload_token)?;
    let rec: ApiKeyProviderRecord = st
        .store
        .get(Table::ApiKeyProviders, &input.provider)?
        .ok_or_else(|| missing_provider(&input.provider))?;
    let key = rec
        .api_key
        .as_ref()
        .filter(|k| !k.expose().is_empty())
        .ok_or_else(|| {
            Error::Refused(format!(
                "Credential provider {} has no API key stored",
                input.provider
            ))
        })?;
    Ok(ok(200, json!({ "apiKey": key.expose() })))
}

/// GetResourceOauth2Token.
pub(super) async fn get_resource_oauth2_token(
    st: &AppState,
    b: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let input = validate::parse_get_oauth2_token(b)?;
    let (claims, workload) = authorize(st, &input.workload_token)?;
    let rec: Oauth2ProviderRecord = st
        .store
        .get(Table::Oauth2Providers, &input.provider)?
        .ok_or_else(|| missing_provider(&input.provider))?;
    let v = match vault::resource_token(st, &claims, &input, &rec, &workload).await? {
        TokenOutcome::Token(t) => json!({ "accessToken": t.expose() }),
        TokenOutcome::InProgress {
            authorization_url,
            session_uri,
        } => json!({
            "authorizationUrl": authorization_url,
            "sessionUri": session_uri,
            "sessionStatus": "IN_PROGRESS",
        }),
        TokenOutcome::Failed { session_uri } => {
            json!({ "sessionUri": session_uri, "sessionStatus": "FAILED" })
        }
    };
    Ok(ok(200, v))
}

/// CompleteResourceTokenAuth.
pub(super) async fn complete_resource_token_auth(
    st: &AppState,
    b: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let input = validate::parse_complete(b)?;
    let user = match &input.user {
        UserIdentifier::Id(u) => u.clone(),
        UserIdentifier::Token(jwt) => st.user_jwts.subject(jwt).await?,
    };
    vault::complete(st, &input.session_uri, &user).await?;
    Ok(ok(200, json!({})))
}
