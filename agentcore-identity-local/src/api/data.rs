//! Data-plane operations (`bedrock-agentcore`): workload access tokens, API keys, OAuth2 tokens.

use std::sync::Arc;

use axum::response::Response;
use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::{AppState, ok};
use crate::store::{
    ApiKeyProviderRecord, Oauth2ProviderRecord, Sensitive, Table, UserTokenRecord, WorkloadRecord,
};
use crate::validate;
use crate::wat::{self, Claims};

/// GetWorkloadAccessToken (`kind` 0), ...ForJWT (1), ...ForUserId (2).
pub(crate) async fn get_workload_access_token(
    st: &Arc<AppState>,
    b: &Map<String, Value>,
    kind: u8,
) -> Result<Response, ApiError> {
    let input = validate::parse_wat(b, kind)?;
    if st
        .store
        .get::<WorkloadRecord>(Table::Workloads, &input.workload_name)?
        .is_none()
    {
        return Err(ApiError::not_found(format!(
            "Workload identity {} not found",
            input.workload_name
        )));
    }
    let user = match (&input.user_id, &input.user_token) {
        (Some(u), _) => Some(u.clone()),
        (None, Some(jwt)) => Some(wat::jwt_subject(jwt)?),
        (None, None) => None,
    };
    // ForJWT: the user JWT is kept (encrypted) for ON_BEHALF_OF_TOKEN_EXCHANGE, referred to by the
    // workload access token; stored (committed) before the token is handed out.
    let user_jwt_ref = match (&input.user_id, &input.user_token) {
        (None, Some(jwt)) => {
            let r = uuid::Uuid::new_v4().simple().to_string();
            let rec = UserTokenRecord {
                jwt: Sensitive::new(jwt.clone()),
                expires_at: crate::store::now() + st.config.wat_ttl_secs as f64,
            };
            st.store.put(Table::UserTokens, &r, &rec).await?;
            Some(r)
        }
        _ => None,
    };
    let token = wat::issue(
        &st.keys.wat_key,
        &input.workload_name,
        user.as_deref(),
        user_jwt_ref.as_deref(),
        st.config.wat_ttl_secs,
    );
    Ok(ok(200, json!({ "workloadAccessToken": token })))
}

/// Verifies a workload access token and that its workload identity still exists.
fn authorize(st: &AppState, token: &str) -> Result<(Claims, WorkloadRecord), ApiError> {
    let claims = wat::verify(&st.keys.wat_key, token)?;
    let w = st
        .store
        .get::<WorkloadRecord>(Table::Workloads, &claims.wn)?
        .ok_or_else(|| {
            ApiError::access_denied(
                "The workload identity of this workload access token no longer exists",
            )
        })?;
    Ok((claims, w))
}

/// GetResourceApiKey.
pub(crate) async fn get_resource_api_key(
    st: &Arc<AppState>,
    b: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let input = validate::parse_get_api_key(b)?;
    let _ = authorize(st, &input.workload_token)?;
    let rec: ApiKeyProviderRecord = st
        .store
        .get(Table::ApiKeyProviders, &input.provider)?
        .ok_or_else(|| {
            ApiError::not_found(format!("Credential provider {} not found", input.provider))
        })?;
    let key = rec
        .api_key
        .as_ref()
        .filter(|k| !k.expose().is_empty())
        .ok_or_else(|| {
            ApiError::validation(format!(
                "Credential provider {} has no API key stored",
                input.provider
            ))
        })?;
    Ok(ok(200, json!({ "apiKey": key.expose() })))
}

/// GetResourceOauth2Token.
pub(crate) async fn get_resource_oauth2_token(
    st: &Arc<AppState>,
    b: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let input = validate::parse_get_oauth2_token(b)?;
    let (claims, workload) = authorize(st, &input.workload_token)?;
    let rec: Oauth2ProviderRecord = st
        .store
        .get(Table::Oauth2Providers, &input.provider)?
        .ok_or_else(|| {
            ApiError::not_found(format!("Credential provider {} not found", input.provider))
        })?;
    let v = match input.flow.as_str() {
        "M2M" => crate::vault::m2m(st, &claims, &input, &rec).await?,
        "USER_FEDERATION" => {
            crate::vault::user_federation(st, &claims, &input, &rec, &workload).await?
        }
        "ON_BEHALF_OF_TOKEN_EXCHANGE" => {
            crate::vault::on_behalf_of(st, &claims, &input, &rec).await?
        }
        other => {
            return Err(ApiError::invalid_field(
                "oauth2Flow",
                format!("Unsupported oauth2Flow {other}"),
            ));
        }
    };
    Ok(ok(200, v))
}

/// CompleteResourceTokenAuth.
pub(crate) async fn complete_resource_token_auth(
    st: &Arc<AppState>,
    b: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let input = validate::parse_complete(b)?;
    let user = match (&input.user_id, &input.user_token) {
        (Some(u), _) => u.clone(),
        (None, Some(jwt)) => wat::jwt_subject(jwt)?,
        (None, None) => {
            return Err(ApiError::invalid_field(
                "userIdentifier",
                "Member must have exactly one member set",
            ));
        }
    };
    crate::vault::complete(st, &input.session_uri, &user).await?;
    Ok(ok(200, json!({})))
}
