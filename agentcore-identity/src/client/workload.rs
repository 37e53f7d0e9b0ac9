//! Where the workload access token of a call comes from: explicit, a named workload identity,
//! the request context, the client's workload identity, else local development with
//! `.agentcore.json` (the order is documented on [`IdentityClient`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::IdentityClient;
use crate::cache::{CacheScope, KeyBuilder, SharedWat, workload_scope_digest};

/// The workload-scope digest of tokens from the request context: the one workload this process
/// serves.
static PROCESS_WORKLOAD: std::sync::LazyLock<[u8; 32]> =
    std::sync::LazyLock::new(|| workload_scope_digest(""));
use crate::context::RequestContext;
use crate::error::Error;
use crate::request::{WorkloadIdentityRef, WorkloadSource, WorkloadUser};

/// The local development file, as the Python SDK writes it.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct LocalConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) workload_identity_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) user_id: Option<String>,
    #[serde(flatten)]
    extra: serde_json::Map<String, serde_json::Value>,
}

/// A resolved workload access token.
#[derive(Debug)]
pub(crate) enum Wat {
    Context(RequestContext),
    Shared(Arc<SharedWat>),
}

impl Wat {
    pub(crate) fn token(&self) -> &SecretString {
        match self {
            Wat::Context(ctx) => ctx
                .workload_access_token()
                .expect("context wat checked at resolution"),
            Wat::Shared(s) => &s.token,
        }
    }

    /// The digest that keys this call's cache entries in `scope`.
    pub(crate) fn scoped_digest(&self, scope: CacheScope) -> [u8; 32] {
        match (scope, self) {
            (CacheScope::Workload, Wat::Context(_)) => *PROCESS_WORKLOAD,
            (CacheScope::Workload, Wat::Shared(s)) => s.workload_digest,
            _ => self.digest(),
        }
    }

    pub(crate) fn digest(&self) -> [u8; 32] {
        match self {
            Wat::Context(ctx) => ctx
                .token_digest()
                .expect("context wat checked at resolution"),
            Wat::Shared(s) => s.digest,
        }
    }
}

/// Reads the local development file: an empty config when it is absent or unreadable (as Python).
pub(crate) fn read_local_config(path: &Path) -> LocalConfig {
    match std::fs::read(path) {
        Ok(bytes) => match serde_json::from_slice::<Option<LocalConfig>>(&bytes) {
            Ok(cfg) => cfg.unwrap_or_default(),
            Err(_) => {
                tracing::warn!(path = %path.display(), "Could not find existing workload identity and user id");
                LocalConfig::default()
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => LocalConfig::default(),
        Err(_) => {
            tracing::warn!(path = %path.display(), "Could not find existing workload identity and user id");
            LocalConfig::default()
        }
    }
}

fn write_local_config(path: &Path, cfg: &LocalConfig) -> std::io::Result<()> {
    let json = serde_json::to_string_pretty(cfg).map_err(std::io::Error::other)?;
    std::fs::write(path, json)
}

/// 8 random hex digits, as Python's `uuid.uuid4().hex[:8]`: the local user id, and the suffix
/// of a generated workload identity name.
pub(crate) fn random_hex8() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_owned()
}

impl IdentityClient {
    /// Resolves the workload access token for one call (see
    /// [`IdentityClient`]'s "Where the workload access token comes from").
    pub(crate) async fn resolve_workload_access_token(
        &self,
        (explicit, identity): WorkloadSource<'_>,
    ) -> Result<Wat, Error> {
        if let Some(e) = &self.inner.config_error {
            return Err(e.clone());
        }
        if let Some(token) = explicit {
            return Ok(Wat::Shared(Arc::new(SharedWat::new(
                token.clone(),
                Duration::ZERO,
                "",
            ))));
        }
        if let Some(identity) = identity {
            return self.workload_token_for(identity).await.map(Wat::Shared);
        }
        let from_context = RequestContext::with_current(|ctx| match ctx {
            Some(c) if c.workload_access_token().is_some() => Ok(Some(c.clone())),
            Some(c) if c.workload_access_token_required() => Err(Error::MissingWorkloadAccessToken),
            _ => Ok(None),
        })?;
        if let Some(ctx) = from_context {
            return Ok(Wat::Context(ctx));
        }
        if let Some(identity) = &self.inner.workload_identity {
            return self.workload_token_for(identity).await.map(Wat::Shared);
        }
        if self.env_var("DOCKER_CONTAINER").as_deref() == Some("1") {
            return Err(Error::LocalDevRefusedInContainer);
        }
        let identity = self
            .inner
            .local_identity
            .get_or_try_init(|| self.set_up_local_identity())
            .await?
            .clone();
        self.workload_token_for(&identity).await.map(Wat::Shared)
    }

    /// `GetWorkloadAccessTokenForUserId` for `identity`, cached until the token expires.
    async fn workload_token_for(
        &self,
        identity: &WorkloadIdentityRef,
    ) -> Result<Arc<SharedWat>, Error> {
        let mut b = KeyBuilder::new("wat", &[0; 32]);
        b.str(&identity.name).str(&identity.user_id);
        let key = b.finish();
        if let Some(hit) = self.inner.wat_cache.get(&key).await {
            return Ok(hit);
        }
        self.inner
            .wat_cache
            .try_get_with(key, async {
                let token = self
                    .get_workload_access_token(
                        &identity.name,
                        WorkloadUser::UserId(identity.user_id.clone()),
                    )
                    .await?;
                let config = &self.inner.cache.config;
                let ttl = config
                    .ttl_for(token.expose_secret(), false)
                    .unwrap_or(Duration::ZERO);
                Ok::<_, Error>(Arc::new(SharedWat::new(token, ttl, &identity.name)))
            })
            .await
            .map_err(Arc::unwrap_or_clone)
    }

    /// The local development flow: read or create `.agentcore.json` and the workload identity.
    async fn set_up_local_identity(&self) -> Result<WorkloadIdentityRef, Error> {
        let path: &PathBuf = &self.inner.local_config_path;
        let mut cfg = read_local_config(path);
        let name = match cfg.workload_identity_name.clone() {
            Some(name) => {
                tracing::info!(path = %path.display(), workload_identity = %name, "Found existing workload identity");
                match self.get_workload_identity(&name).await {
                    Ok(_) => name,
                    Err(e) if e.is_resource_not_found() => {
                        self.create_workload_identity(Some(&name), &[])
                            .await
                            .map_err(|e| Error::local_dev("could not create the workload identity named in the local config", e))?;
                        tracing::info!(workload_identity = %name, "Created the workload identity named in the local config");
                        name
                    }
                    Err(e) => {
                        return Err(Error::local_dev(
                            "could not look up the workload identity named in the local config",
                            e,
                        ));
                    }
                }
            }
            None => {
                let created = self
                    .create_workload_identity(None, &[])
                    .await
                    .map_err(|e| Error::local_dev("could not create a workload identity", e))?;
                tracing::info!(workload_identity = %created.name, "Created a workload identity");
                created.name
            }
        };
        let user_id = match cfg.user_id.clone() {
            Some(id) => {
                tracing::info!(path = %path.display(), user_id = %id, "Found existing user id");
                id
            }
            None => {
                let id = random_hex8();
                tracing::info!(user_id = %id, "Created an user id");
                id
            }
        };
        cfg.workload_identity_name = Some(name.clone());
        cfg.user_id = Some(user_id.clone());
        if let Err(e) = write_local_config(path, &cfg) {
            tracing::warn!(path = %path.display(), error = %e, "could not write the created workload identity to file");
        }
        Ok(WorkloadIdentityRef::new(name, user_id))
    }
}
