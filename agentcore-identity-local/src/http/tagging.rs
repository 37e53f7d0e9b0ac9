//! Control-plane operations on tags (`/tags/{resourceArn}`: TagResource, UntagResource,
//! ListTagsForResource) and on the token vault (GetTokenVault, SetTokenVaultCMK,
//! ResetTokenVaultKeyMaterial).
//!
//! Taggable here: workload identities, API-key and OAuth2 credential providers, and token vaults,
//! named by the ARN the service gave them (another region or account is not found).

use std::collections::BTreeMap;

use axum::response::Response;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::wire::ok;
use crate::error::Error;
use crate::state::AppState;
use crate::store::{
    ApiKeyProviderRecord, Oauth2ProviderRecord, Table, TokenVaultRecord, WorkloadRecord,
};
use crate::time::Time;
use crate::validate;

/// A record that carries tags.
trait Tagged: Serialize + DeserializeOwned + Send + 'static {
    fn arn(&self) -> &str;
    fn tags_mut(&mut self) -> &mut Option<BTreeMap<String, String>>;
}

macro_rules! tagged {
    ($($t:ty),*) => {$(
        impl Tagged for $t {
            fn arn(&self) -> &str {
                &self.arn
            }
            fn tags_mut(&mut self) -> &mut Option<BTreeMap<String, String>> {
                &mut self.tags
            }
        }
    )*};
}
tagged!(
    WorkloadRecord,
    ApiKeyProviderRecord,
    Oauth2ProviderRecord,
    TokenVaultRecord
);

/// What a taggable ARN names: a table and a key.
enum Target {
    Workload(String),
    ApiKeyProvider(String),
    Oauth2Provider(String),
    TokenVault(String),
}

fn not_found(arn: &str) -> Error {
    Error::NotFound(format!("Resource {arn} not found"))
}

/// The resource of a (well-formed) taggable ARN.
fn target(arn: &str) -> Result<Target, Error> {
    // arn:partition:service:region:account:resource
    let resource = arn.splitn(6, ':').nth(5).unwrap_or_default();
    let parts: Vec<&str> = resource.split('/').collect();
    match parts.as_slice() {
        [
            "workload-identity-directory",
            "default",
            "workload-identity",
            name,
        ] => Ok(Target::Workload((*name).to_string())),
        ["token-vault", "default", "apikeycredentialprovider", name] => {
            Ok(Target::ApiKeyProvider((*name).to_string()))
        }
        ["token-vault", "default", "oauth2credentialprovider", name] => {
            Ok(Target::Oauth2Provider((*name).to_string()))
        }
        ["token-vault", id] => Ok(Target::TokenVault((*id).to_string())),
        _ => Err(not_found(arn)),
    }
}

/// Applies `change` to the tags of the record `key` of `table` whose ARN is `arn` (`seed` when
/// the table has no such record yet).
async fn change_tags<T: Tagged>(
    st: &AppState,
    table: Table,
    key: &str,
    arn: &str,
    seed: Option<T>,
    change: impl FnOnce(&mut BTreeMap<String, String>) -> Result<(), Error> + Send + 'static,
) -> Result<BTreeMap<String, String>, Error> {
    let arn = arn.to_string();
    st.store
        .update(table, key, move |cur: Option<T>| {
            let mut rec = cur
                .or(seed)
                .filter(|r| r.arn() == arn)
                .ok_or_else(|| not_found(&arn))?;
            let mut tags = rec.tags_mut().take().unwrap_or_default();
            change(&mut tags)?;
            *rec.tags_mut() = Some(tags.clone());
            Ok::<_, Error>((Some(rec), tags))
        })
        .await?
}

/// The token vault `id`: its record, or the default vault's as it is before any change (its
/// ARN names the service's default region).
fn vault_or_default(
    st: &AppState,
    id: &str,
    cur: Option<TokenVaultRecord>,
) -> Result<TokenVaultRecord, Error> {
    match cur {
        Some(v) => Ok(v),
        None if id == "default" => Ok(TokenVaultRecord {
            id: id.into(),
            arn: format!(
                "arn:aws:bedrock-agentcore:{}:{}:token-vault/{id}",
                st.config.default_region, st.config.account_id
            ),
            key_type: "ServiceManagedKey".into(),
            kms_key_arn: None,
            tags: None,
            generation: 0,
            last_modified: Time::from_epoch_secs(Time::now().epoch_secs_whole() as f64),
        }),
        None => Err(Error::NotFound(format!("Token vault {id} not found"))),
    }
}

/// Applies `change` to the tags of the resource named by `arn`.
async fn tags_of(
    st: &AppState,
    arn: &str,
    change: impl FnOnce(&mut BTreeMap<String, String>) -> Result<(), Error> + Send + 'static,
) -> Result<BTreeMap<String, String>, Error> {
    match target(arn)? {
        Target::Workload(n) => {
            change_tags::<WorkloadRecord>(st, Table::Workloads, &n, arn, None, change).await
        }
        Target::ApiKeyProvider(n) => {
            change_tags::<ApiKeyProviderRecord>(st, Table::ApiKeyProviders, &n, arn, None, change)
                .await
        }
        Target::Oauth2Provider(n) => {
            change_tags::<Oauth2ProviderRecord>(st, Table::Oauth2Providers, &n, arn, None, change)
                .await
        }
        Target::TokenVault(id) => {
            // The default vault exists before its first change: made here, in the same write.
            let current: Option<TokenVaultRecord> = st.store.get(Table::TokenVaults, &id)?;
            let seed = vault_or_default(st, &id, current)?;
            change_tags(st, Table::TokenVaults, &id, arn, Some(seed), change).await
        }
    }
}

/// TagResource: adds or replaces tags (a resource holds at most 50).
pub(super) async fn tag_resource(
    st: &AppState,
    arn: &str,
    b: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let arn = validate::parse_resource_arn(arn)?;
    let new = validate::parse_tags(b)?;
    tags_of(st, &arn, move |tags| {
        tags.extend(new);
        if tags.len() > validate::MAX_TAGS {
            return Err(Error::invalid_field(
                "tags",
                format!(
                    "A resource can have at most {} tags (it would have {})",
                    validate::MAX_TAGS,
                    tags.len()
                ),
            ));
        }
        Ok(())
    })
    .await?;
    tracing::info!(resource = %arn, "resource tagged");
    Ok(ok(204, Value::Null))
}

/// UntagResource: removes the keys given (absent keys are ignored).
pub(super) async fn untag_resource(
    st: &AppState,
    arn: &str,
    keys: &[String],
) -> Result<Response, ApiError> {
    let arn = validate::parse_resource_arn(arn)?;
    let keys = validate::parse_tag_keys(keys)?;
    tags_of(st, &arn, move |tags| {
        for k in &keys {
            tags.remove(k);
        }
        Ok(())
    })
    .await?;
    tracing::info!(resource = %arn, "resource untagged");
    Ok(ok(204, Value::Null))
}

/// ListTagsForResource.
pub(super) async fn list_tags_for_resource(st: &AppState, arn: &str) -> Result<Response, ApiError> {
    let arn = validate::parse_resource_arn(arn)?;
    let tags = match target(&arn)? {
        Target::Workload(n) => read_tags::<WorkloadRecord>(st, Table::Workloads, &n, &arn)?,
        Target::ApiKeyProvider(n) => {
            read_tags::<ApiKeyProviderRecord>(st, Table::ApiKeyProviders, &n, &arn)?
        }
        Target::Oauth2Provider(n) => {
            read_tags::<Oauth2ProviderRecord>(st, Table::Oauth2Providers, &n, &arn)?
        }
        Target::TokenVault(id) => {
            let cur = st.store.get(Table::TokenVaults, &id)?;
            let rec = Some(vault_or_default(st, &id, cur)?)
                .filter(|r| r.arn == arn)
                .ok_or_else(|| not_found(&arn))?;
            rec.tags.unwrap_or_default()
        }
    };
    Ok(ok(200, json!({ "tags": tags })))
}

fn read_tags<T: Tagged>(
    st: &AppState,
    table: Table,
    key: &str,
    arn: &str,
) -> Result<BTreeMap<String, String>, Error> {
    let mut rec: T = st
        .store
        .get(table, key)?
        .filter(|r: &T| r.arn() == arn)
        .ok_or_else(|| not_found(arn))?;
    Ok(rec.tags_mut().take().unwrap_or_default())
}

fn vault_json(v: &TokenVaultRecord) -> Value {
    json!({
        "tokenVaultId": v.id,
        "kmsConfiguration": { "keyType": v.key_type, "kmsKeyArn": v.kms_key_arn },
        "lastModifiedDate": v.last_modified,
    })
}

/// GetTokenVault (`tokenVaultId` default `default`).
pub(super) async fn get_token_vault(
    st: &AppState,
    b: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let id = validate::parse_token_vault_id(b, false)?;
    let cur = st.store.get(Table::TokenVaults, &id)?;
    let v = vault_or_default(st, &id, cur)?;
    Ok(ok(200, vault_json(&v)))
}

/// SetTokenVaultCMK: records the KMS configuration (locally the store's own key keeps
/// encrypting the vault; the configuration is echoed).
pub(super) async fn set_token_vault_cmk(
    st: &AppState,
    b: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let (id, key_type, kms_key_arn) = validate::parse_set_cmk(b)?;
    let cur = st.store.get(Table::TokenVaults, &id)?;
    let seed = vault_or_default(st, &id, cur)?;
    let v = st
        .store
        .update(
            Table::TokenVaults,
            &id,
            move |cur: Option<TokenVaultRecord>| {
                let mut v = cur.unwrap_or(seed);
                v.key_type = key_type;
                v.kms_key_arn = kms_key_arn;
                v.last_modified = Time::from_epoch_secs(Time::now().epoch_secs_whole() as f64);
                Ok::<_, Error>((Some(v.clone()), v))
            },
        )
        .await??;
    tracing::info!(token_vault = %v.id, key_type = %v.key_type, "token vault KMS configuration set");
    Ok(ok(200, vault_json(&v)))
}

/// ResetTokenVaultKeyMaterial: re-keys the vault (a new key-material generation, back to a
/// service-managed key) and drops every token it holds and every pending authorization session,
/// as AWS documents for the real one; providers and workload identities stay.
pub(super) async fn reset_token_vault_key_material(
    st: &AppState,
    b: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let id = validate::parse_token_vault_id(b, true)?;
    let cur = st.store.get(Table::TokenVaults, &id)?;
    let seed = vault_or_default(st, &id, cur)?;
    let (v, dropped) = crate::vault::reset_key_material(st, seed).await?;
    tracing::warn!(
        token_vault = %v.id,
        generation = v.generation,
        tokens_dropped = dropped,
        "token vault key material reset: every stored token was dropped"
    );
    Ok(ok(200, vault_json(&v)))
}
