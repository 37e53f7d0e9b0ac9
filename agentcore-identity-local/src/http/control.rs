//! Control-plane operations (`bedrock-agentcore-control`): workload identities and credential providers.

use axum::response::Response;
use rand::Rng;
use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::wire::{Ctx, decode_next_token, encode_next_token, ok};
use crate::error::Error;
use crate::state::AppState;
use crate::store::{
    ApiKeyProviderRecord, Discovery, Metadata, Oauth2ProviderRecord, Table, WorkloadRecord,
};
use crate::time::Time;
use crate::validate::{self, Oauth2ProviderInput};

fn region_of(st: &AppState, ctx: &Ctx) -> String {
    let ok = !ctx.region.is_empty()
        && ctx.region.len() <= 64
        && ctx
            .region
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        ctx.region.clone()
    } else {
        st.config.default_region.clone()
    }
}

fn secret_suffix() -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut r = rand::thread_rng();
    (0..6)
        .map(|_| CHARS[r.gen_range(0..CHARS.len())] as char)
        .collect()
}

fn secret_arn(st: &AppState, region: &str, kind: &str, name: &str) -> String {
    format!(
        "arn:aws:secretsmanager:{region}:{}:secret:bedrock-agentcore-identity!default/{kind}/{name}-{}",
        st.config.account_id,
        secret_suffix()
    )
}

// ---- workload identities --------------------------------------------------------------------

fn workload_json(w: &WorkloadRecord, with_times: bool) -> Value {
    let mut v = json!({
        "name": w.name,
        "workloadIdentityArn": w.arn,
        "allowedResourceOauth2ReturnUrls": w.allowed_return_urls,
    });
    if with_times {
        v["createdTime"] = json!(w.created);
        v["lastUpdatedTime"] = json!(w.updated);
    }
    v
}

pub(super) async fn create_workload_identity(
    st: &AppState,
    ctx: &Ctx,
    b: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let input = validate::parse_workload(b, true)?;
    let region = region_of(st, ctx);
    let t = Time::now();
    let rec = WorkloadRecord {
        arn: format!(
            "arn:aws:bedrock-agentcore:{region}:{}:workload-identity-directory/default/workload-identity/{}",
            st.config.account_id, input.name
        ),
        name: input.name,
        incarnation: uuid::Uuid::new_v4().simple().to_string(),
        allowed_return_urls: input.allowed_return_urls,
        tags: input.tags,
        created: t,
        updated: t,
    };
    if !st
        .store
        .insert_new(Table::Workloads, &rec.name, &rec)
        .await?
    {
        return Err(
            Error::Conflict(format!("Workload identity {} already exists", rec.name)).into(),
        );
    }
    tracing::info!(workload = %rec.name, "workload identity created");
    Ok(ok(201, workload_json(&rec, false)))
}

fn missing_workload(name: &str) -> Error {
    Error::NotFound(format!("Workload identity {name} not found"))
}

pub(super) async fn get_workload_identity(
    st: &AppState,
    b: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let name = validate::parse_name(b, &validate::WORKLOAD_NAME)?;
    let rec: WorkloadRecord = st
        .store
        .get(Table::Workloads, &name)?
        .ok_or_else(|| missing_workload(&name))?;
    Ok(ok(200, workload_json(&rec, true)))
}

pub(super) async fn update_workload_identity(
    st: &AppState,
    b: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let input = validate::parse_workload(b, false)?;
    let key = input.name.clone();
    let rec = st
        .store
        .update(
            Table::Workloads,
            &key,
            move |cur: Option<WorkloadRecord>| {
                let mut rec = cur.ok_or_else(|| missing_workload(&input.name))?;
                rec.allowed_return_urls = input.allowed_return_urls;
                rec.updated = Time::now();
                Ok::<_, Error>((Some(rec.clone()), rec))
            },
        )
        .await??;
    Ok(ok(200, workload_json(&rec, true)))
}

pub(super) async fn delete_workload_identity(
    st: &AppState,
    b: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let name = validate::parse_name(b, &validate::WORKLOAD_NAME)?;
    if !crate::vault::delete_workload(st, &name).await? {
        return Err(missing_workload(&name).into());
    }
    Ok(ok(204, Value::Null))
}

fn page<T: serde::de::DeserializeOwned>(
    st: &AppState,
    table: Table,
    input: &validate::ListInput,
    default_max: i64,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let start = input
        .next_token
        .as_deref()
        .map(decode_next_token)
        .transpose()?;
    let limit = input.max_results.unwrap_or(default_max) as usize;
    let (items, next) = st.store.page(table, start.as_deref(), limit)?;
    Ok((items, next.map(|k| encode_next_token(&k))))
}

pub(super) async fn list_workload_identities(
    st: &AppState,
    b: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let input = validate::parse_list(b, validate::LIST_WORKLOADS_MAX)?;
    let (items, next): (Vec<WorkloadRecord>, _) =
        page(st, Table::Workloads, &input, validate::LIST_WORKLOADS_MAX)?;
    let list: Vec<Value> = items
        .iter()
        .map(|w| json!({"name": w.name, "workloadIdentityArn": w.arn}))
        .collect();
    Ok(ok(
        200,
        json!({"workloadIdentities": list, "nextToken": next}),
    ))
}

// ---- API-key credential providers --------------------------------------------------------------

fn api_key_json(p: &ApiKeyProviderRecord, with_times: bool) -> Value {
    let mut v = json!({
        "apiKeySecretArn": {"secretArn": p.secret_arn},
        "apiKeySecretJsonKey": p.secret_json_key,
        "apiKeySecretSource": p.secret_source,
        "name": p.name,
        "credentialProviderArn": p.arn,
    });
    if with_times {
        v["createdTime"] = json!(p.created);
        v["lastUpdatedTime"] = json!(p.updated);
    }
    v
}

fn missing_provider(name: &str) -> Error {
    Error::NotFound(format!("Credential provider {name} not found"))
}

pub(super) async fn create_api_key_provider(
    st: &AppState,
    ctx: &Ctx,
    b: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let input = validate::parse_api_key_provider(b, true)?;
    let region = region_of(st, ctx);
    let t = Time::now();
    let rec = ApiKeyProviderRecord {
        arn: format!(
            "arn:aws:acps:{region}:{}:token-vault/default/apikeycredentialprovider/{}",
            st.config.account_id, input.name
        ),
        secret_arn: secret_arn(st, &region, "apikey", &input.name),
        name: input.name,
        api_key: input.api_key,
        secret_source: input.secret_source,
        secret_json_key: input.secret_json_key,
        tags: input.tags,
        created: t,
        updated: t,
    };
    if !st
        .store
        .insert_new(Table::ApiKeyProviders, &rec.name, &rec)
        .await?
    {
        return Err(
            Error::Conflict(format!("Credential provider {} already exists", rec.name)).into(),
        );
    }
    tracing::info!(provider = %rec.name, "API key credential provider created");
    Ok(ok(201, api_key_json(&rec, false)))
}

pub(super) async fn get_api_key_provider(
    st: &AppState,
    b: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let name = validate::parse_name(b, &validate::PROVIDER_NAME)?;
    let rec: ApiKeyProviderRecord = st
        .store
        .get(Table::ApiKeyProviders, &name)?
        .ok_or_else(|| missing_provider(&name))?;
    Ok(ok(200, api_key_json(&rec, true)))
}

pub(super) async fn update_api_key_provider(
    st: &AppState,
    b: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let input = validate::parse_api_key_provider(b, false)?;
    let key = input.name.clone();
    let rec = st
        .store
        .update(
            Table::ApiKeyProviders,
            &key,
            move |cur: Option<ApiKeyProviderRecord>| {
                let mut rec = cur.ok_or_else(|| missing_provider(&input.name))?;
                if input.api_key.is_some() {
                    rec.api_key = input.api_key.clone();
                }
                if input.secret_source.is_some() {
                    rec.secret_source = input.secret_source.clone();
                }
                if input.secret_json_key.is_some() {
                    rec.secret_json_key = input.secret_json_key;
                }
                rec.updated = Time::now();
                Ok::<_, Error>((Some(rec.clone()), rec))
            },
        )
        .await??;
    Ok(ok(200, api_key_json(&rec, true)))
}

pub(super) async fn delete_api_key_provider(
    st: &AppState,
    b: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let name = validate::parse_name(b, &validate::PROVIDER_NAME)?;
    if !st.store.delete(Table::ApiKeyProviders, &name).await? {
        return Err(missing_provider(&name).into());
    }
    Ok(ok(204, Value::Null))
}

pub(super) async fn list_api_key_providers(
    st: &AppState,
    b: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let input = validate::parse_list(b, validate::LIST_API_KEY_MAX)?;
    let (items, next): (Vec<ApiKeyProviderRecord>, _) = page(
        st,
        Table::ApiKeyProviders,
        &input,
        validate::LIST_API_KEY_MAX,
    )?;
    let list: Vec<Value> = items
        .iter()
        .map(|p| json!({"name": p.name, "credentialProviderArn": p.arn, "createdTime": p.created, "lastUpdatedTime": p.updated}))
        .collect();
    Ok(ok(
        200,
        json!({"credentialProviders": list, "nextToken": next}),
    ))
}

// ---- OAuth2 credential providers -------------------------------------------------------------

fn meta(issuer: &str, auth: &str, token: &str, methods: &[&str]) -> Metadata {
    Metadata {
        issuer: issuer.into(),
        authorization_endpoint: auth.into(),
        token_endpoint: token.into(),
        response_types: Some(vec!["code".into()]),
        token_endpoint_auth_methods: Some(methods.iter().map(|s| s.to_string()).collect()),
    }
}

/// Endpoints of the built-in vendors, as the real service presets them.
fn vendor_discovery(input: &Oauth2ProviderInput) -> Result<Discovery, Error> {
    const BASIC: &[&str] = &["client_secret_basic", "client_secret_post"];
    const POST: &[&str] = &["client_secret_post"];
    let d = match input.member.as_str() {
        "customOauth2ProviderConfig" => match (&input.discovery_url, &input.metadata) {
            (Some(u), _) => Discovery::Url(u.clone()),
            (_, Some(m)) => Discovery::Metadata(m.clone()),
            _ => {
                return Err(Error::invalid_field(
                    "oauth2ProviderConfigInput.customOauth2ProviderConfig.oauthDiscovery",
                    "Member must not be null",
                ));
            }
        },
        "googleOauth2ProviderConfig" => Discovery::Metadata(meta(
            "https://accounts.google.com",
            "https://accounts.google.com/o/oauth2/v2/auth",
            "https://oauth2.googleapis.com/token",
            BASIC,
        )),
        "githubOauth2ProviderConfig" => Discovery::Metadata(meta(
            "https://github.com",
            "https://github.com/login/oauth/authorize",
            "https://github.com/login/oauth/access_token",
            POST,
        )),
        "slackOauth2ProviderConfig" => Discovery::Metadata(meta(
            "https://slack.com",
            "https://slack.com/oauth/v2/authorize",
            "https://slack.com/api/oauth.v2.access",
            POST,
        )),
        "salesforceOauth2ProviderConfig" => Discovery::Metadata(meta(
            "https://login.salesforce.com",
            "https://login.salesforce.com/services/oauth2/authorize",
            "https://login.salesforce.com/services/oauth2/token",
            POST,
        )),
        "microsoftOauth2ProviderConfig" => {
            let tenant = input.tenant_id.as_deref().unwrap_or("common");
            Discovery::Metadata(meta(
                &format!("https://login.microsoftonline.com/{tenant}/v2.0"),
                &format!("https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize"),
                &format!("https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"),
                POST,
            ))
        }
        "atlassianOauth2ProviderConfig" => Discovery::Metadata(meta(
            "https://auth.atlassian.com",
            "https://auth.atlassian.com/authorize",
            "https://auth.atlassian.com/oauth/token",
            POST,
        )),
        "linkedinOauth2ProviderConfig" => Discovery::Metadata(meta(
            "https://www.linkedin.com/oauth",
            "https://www.linkedin.com/oauth/v2/authorization",
            "https://www.linkedin.com/oauth/v2/accessToken",
            POST,
        )),
        _ => match (
            &input.authorization_endpoint,
            &input.token_endpoint,
            &input.issuer,
        ) {
            (_, Some(te), issuer) => Discovery::Metadata(Metadata {
                issuer: issuer.clone().unwrap_or_default(),
                authorization_endpoint: input.authorization_endpoint.clone().unwrap_or_default(),
                token_endpoint: te.clone(),
                response_types: None,
                token_endpoint_auth_methods: None,
            }),
            (_, None, Some(issuer)) => Discovery::Url(format!(
                "{}/.well-known/openid-configuration",
                issuer.trim_end_matches('/')
            )),
            _ => {
                return Err(Error::Refused(
                    "issuer or tokenEndpoint must be given for this vendor".into(),
                ));
            }
        },
    };
    Ok(d)
}

fn metadata_json(m: &Metadata) -> Value {
    json!({
        "issuer": m.issuer,
        "authorizationEndpoint": m.authorization_endpoint,
        "tokenEndpoint": m.token_endpoint,
        "responseTypes": m.response_types,
        "tokenEndpointAuthMethods": m.token_endpoint_auth_methods,
    })
}

fn oauth2_json(st: &AppState, p: &Oauth2ProviderRecord, full: bool) -> Value {
    let discovery = match &p.discovery {
        Discovery::Url(u) => json!({"discoveryUrl": u}),
        Discovery::Metadata(m) => json!({"authorizationServerMetadata": metadata_json(m)}),
    };
    let mut cfg = Map::new();
    cfg.insert("oauthDiscovery".into(), discovery);
    if let Some(id) = p.client_id.as_ref().filter(|s| !s.is_empty()) {
        cfg.insert("clientId".into(), json!(id));
    }
    if p.config_member == "customOauth2ProviderConfig" {
        if let Some(m) = &p.client_auth_method {
            cfg.insert("clientAuthenticationMethod".into(), json!(m));
        }
        for (k, v) in &p.extra_output {
            cfg.insert(k.clone(), v.clone());
        }
    }
    let mut out = Map::new();
    out.insert(p.config_member.clone(), Value::Object(cfg));
    let mut v = json!({
        "clientSecretArn": {"secretArn": p.secret_arn},
        "clientSecretSource": p.client_secret_source,
        "clientSecretJsonKey": p.client_secret_json_key,
        "name": p.name,
        "credentialProviderArn": p.arn,
        "callbackUrl": st.callback_url(),
        "oauth2ProviderConfigOutput": Value::Object(out),
        "status": "READY",
    });
    if full {
        v["credentialProviderVendor"] = json!(p.vendor);
        v["createdTime"] = json!(p.created);
        v["lastUpdatedTime"] = json!(p.updated);
    }
    v
}

pub(super) async fn create_oauth2_provider(
    st: &AppState,
    ctx: &Ctx,
    b: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let input = validate::parse_oauth2_provider(b, true)?;
    let discovery = vendor_discovery(&input)?;
    let region = region_of(st, ctx);
    // Discovery is attempted now and cached; when it fails the provider is still created and
    // discovery is retried at first token use.
    let discovered = match &discovery {
        Discovery::Url(u) => match st.idp.discover(u).await {
            Ok(m) => Some(m),
            Err(e) => {
                tracing::warn!(provider = %input.name, error = %e, "discovery failed at create; will retry at first use");
                None
            }
        },
        Discovery::Metadata(_) => None,
    };
    let t = Time::now();
    let rec = Oauth2ProviderRecord {
        arn: format!(
            "arn:aws:acps:{region}:{}:token-vault/default/oauth2credentialprovider/{}",
            st.config.account_id, input.name
        ),
        secret_arn: secret_arn(st, &region, "oauth2", &input.name),
        name: input.name,
        vendor: input.vendor,
        config_member: input.member,
        client_id: input.client_id,
        client_secret: input.client_secret,
        client_secret_source: input.client_secret_source,
        client_secret_json_key: input.client_secret_json_key,
        discovery,
        discovered,
        client_auth_method: input.client_auth_method,
        extra_output: input.extra_output,
        tags: input.tags,
        created: t,
        updated: t,
    };
    if !st
        .store
        .insert_new(Table::Oauth2Providers, &rec.name, &rec)
        .await?
    {
        return Err(
            Error::Conflict(format!("Credential provider {} already exists", rec.name)).into(),
        );
    }
    tracing::info!(provider = %rec.name, vendor = %rec.vendor, "OAuth2 credential provider created");
    let mut v = oauth2_json(st, &rec, false);
    if let Some(o) = v.as_object_mut() {
        o.remove("clientSecretSource");
    }
    Ok(ok(201, v))
}

pub(super) async fn get_oauth2_provider(
    st: &AppState,
    b: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let name = validate::parse_name(b, &validate::PROVIDER_NAME)?;
    let rec: Oauth2ProviderRecord = st
        .store
        .get(Table::Oauth2Providers, &name)?
        .ok_or_else(|| missing_provider(&name))?;
    Ok(ok(200, oauth2_json(st, &rec, true)))
}

/// Whether an update moves the provider (discovery data, token endpoint, client id or vendor
/// config), so that the stored secret may not follow.
fn moves(rec: &Oauth2ProviderRecord, input: &Oauth2ProviderInput, discovery: &Discovery) -> bool {
    rec.discovery != *discovery
        || rec.client_id != input.client_id
        || rec.config_member != input.member
}

fn secret_needed(input: &Oauth2ProviderInput) -> Error {
    Error::invalid_field(
        &format!("oauth2ProviderConfigInput.{}.clientSecret", input.member),
        "Member must be given again when the discovery data, token endpoint or client id changes",
    )
}

pub(super) async fn update_oauth2_provider(
    st: &AppState,
    b: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let input = validate::parse_oauth2_provider(b, false)?;
    let discovery = vendor_discovery(&input)?;
    // Refused before anything is fetched from a new discovery URL.
    let current: Oauth2ProviderRecord = st
        .store
        .get(Table::Oauth2Providers, &input.name)?
        .ok_or_else(|| missing_provider(&input.name))?;
    if input.client_secret.is_none() && moves(&current, &input, &discovery) {
        return Err(secret_needed(&input).into());
    }
    let discovered = match &discovery {
        Discovery::Url(u) => st.idp.discover(u).await.ok(),
        Discovery::Metadata(_) => None,
    };
    let key = input.name.clone();
    let rec = st
        .store
        .update(
            Table::Oauth2Providers,
            &key,
            move |cur: Option<Oauth2ProviderRecord>| {
                let mut rec = cur.ok_or_else(|| missing_provider(&input.name))?;
                // Checked again inside the transaction: a concurrent update may have moved it.
                if input.client_secret.is_none() && moves(&rec, &input, &discovery) {
                    return Err(secret_needed(&input));
                }
                rec.vendor = input.vendor.clone();
                rec.config_member = input.member.clone();
                rec.client_id = input.client_id.clone();
                if input.client_secret.is_some() {
                    rec.client_secret = input.client_secret.clone();
                }
                if input.client_secret_source.is_some() {
                    rec.client_secret_source = input.client_secret_source.clone();
                }
                if input.client_secret_json_key.is_some() {
                    rec.client_secret_json_key = input.client_secret_json_key.clone();
                }
                if rec.discovery != discovery || discovered.is_some() {
                    rec.discovered = discovered;
                }
                rec.discovery = discovery;
                rec.client_auth_method = input.client_auth_method.clone();
                rec.extra_output = input.extra_output;
                rec.updated = Time::now();
                Ok::<_, Error>((Some(rec.clone()), rec))
            },
        )
        .await??;
    Ok(ok(200, oauth2_json(st, &rec, true)))
}

pub(super) async fn delete_oauth2_provider(
    st: &AppState,
    b: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let name = validate::parse_name(b, &validate::PROVIDER_NAME)?;
    // The provider and its vault tokens go in one transaction.
    let prefix = crate::vault::provider_prefix(&name);
    let key = name.clone();
    let n = st
        .store
        .transact(move |tx| {
            if !tx.delete(Table::Oauth2Providers, &key)? {
                return Ok(Err(missing_provider(&key)));
            }
            Ok(Ok(tx.delete_prefix(Table::Tokens, &prefix)?))
        })
        .await??;
    tracing::info!(provider = %name, tokens_removed = n, "OAuth2 credential provider deleted");
    Ok(ok(204, Value::Null))
}

pub(super) async fn list_oauth2_providers(
    st: &AppState,
    b: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let input = validate::parse_list(b, validate::LIST_OAUTH2_MAX)?;
    let (items, next): (Vec<Oauth2ProviderRecord>, _) = page(
        st,
        Table::Oauth2Providers,
        &input,
        validate::LIST_OAUTH2_MAX,
    )?;
    let list: Vec<Value> = items
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "credentialProviderVendor": p.vendor,
                "credentialProviderArn": p.arn,
                "createdTime": p.created,
                "lastUpdatedTime": p.updated,
            })
        })
        .collect();
    Ok(ok(
        200,
        json!({"credentialProviders": list, "nextToken": next}),
    ))
}
