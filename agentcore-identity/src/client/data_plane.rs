//! The data plane: [`IdentityClient::get_api_key`], [`IdentityClient::get_token`] and their
//! `invalidate_*`, workload access tokens, `CompleteResourceTokenAuth`.
//!
//! A credential call goes: workload token ([`super::workload`]) -> cache -> service ->
//! `on_auth_url` -> poller.

use aws_sdk_bedrockagentcore::operation::get_resource_oauth2_token::GetResourceOauth2TokenOutput;
use aws_sdk_bedrockagentcore::types::SessionStatus;
use secrecy::{ExposeSecret, SecretString};
use tracing::Instrument as _;

use super::IdentityClient;
use super::workload::Wat;
use crate::cache::{CacheScope, Key, KeyBuilder, Loaded, PendingSession};
use crate::context::RequestContext;
use crate::error::Error;
use crate::poller::{PollFuture, PollHandle, PollOutcome, PollSource};
use crate::request::{ApiKeyRequest, AuthFlow, TokenRequest, UserIdentifier, WorkloadUser};

/// One prepared `GetResourceOauth2Token` request (shared by the first call and the polls).
struct OAuth2Call<'a> {
    client: &'a IdentityClient,
    wat: &'a SecretString,
    provider: &'a str,
    request: &'a TokenRequest,
    callback_url: Option<String>,
    force_authentication: bool,
    session_uri: Option<String>,
}

impl OAuth2Call<'_> {
    async fn send(&self) -> Result<GetResourceOauth2TokenOutput, Error> {
        let r = self.request;
        let mut b = self
            .client
            .dp()?
            .get_resource_oauth2_token()
            .workload_identity_token(self.wat.expose_secret())
            .resource_credential_provider_name(self.provider)
            .set_scopes(Some(r.scopes.clone()))
            .oauth2_flow(r.flow.to_sdk())
            .set_session_uri(self.session_uri.clone())
            .set_resource_oauth2_return_url(self.callback_url.clone());
        if self.force_authentication {
            b = b.force_authentication(true);
        }
        if let Some(state) = &r.custom_state {
            b = b.custom_state(state.expose_secret());
        }
        for (k, v) in &r.custom_parameters {
            b = b.custom_parameters(k, v.expose_secret());
        }
        if !r.resources.is_empty() {
            b = b.set_resources(Some(r.resources.clone()));
        }
        if !r.audiences.is_empty() {
            b = b.set_audiences(Some(r.audiences.clone()));
        }
        b.send()
            .await
            .map_err(|e| self.client.dp_err("GetResourceOauth2Token", e))
    }
}

impl PollSource for OAuth2Call<'_> {
    fn poll(&self) -> PollFuture<'_> {
        Box::pin(async move {
            let out = self.send().await?;
            if let Some(token) = out.access_token() {
                return Ok(PollOutcome::Ready(SecretString::from(token)));
            }
            if matches!(out.session_status(), Some(SessionStatus::Failed)) {
                return Err(Error::AuthorizationFailed {
                    provider: self.provider.to_owned(),
                    session_uri: self.session_uri.clone(),
                });
            }
            Ok(PollOutcome::Pending)
        })
    }

    fn provider_name(&self) -> &str {
        self.provider
    }

    fn session_uri(&self) -> Option<&str> {
        self.session_uri.as_deref()
    }
}

impl IdentityClient {
    /// Gets an API key from the token vault (`GetResourceApiKey`), cached.
    ///
    /// The workload access token comes from the request (explicit), else the
    /// [`RequestContext`], else the local development flow (see [`IdentityClient`]'s "Where the
    /// workload access token comes from"). The key is cached per token or per workload
    /// ([`CacheScope`](crate::cache::CacheScope)).
    pub async fn get_api_key(
        &self,
        request: impl Into<ApiKeyRequest>,
    ) -> Result<SecretString, Error> {
        let request = request.into();
        let wat = self
            .resolve_workload_access_token(request.workload_source())
            .await?;
        let key = api_key_cache_key(
            &wat.scoped_digest(self.inner.api_key_scope),
            &request.provider,
        );
        if let Some(hit) = self.inner.cache.get(&key).await {
            tracing::debug!(provider = %request.provider, cache = "hit", "get_api_key");
            return Ok(hit);
        }
        let span = tracing::debug_span!("get_api_key", provider = %request.provider, cache = tracing::field::Empty);
        async {
            let (secret, outcome) = self
                .inner
                .cache
                .get_or_load(key, false, async {
                    let out = self
                        .dp()?
                        .get_resource_api_key()
                        .workload_identity_token(wat.token().expose_secret())
                        .resource_credential_provider_name(&request.provider)
                        .send()
                        .await
                        .map_err(|e| self.dp_err("GetResourceApiKey", e))?;
                    let secret = SecretString::from(out.api_key());
                    let ttl = self.inner.cache.config.ttl_for(out.api_key(), true);
                    Ok(Loaded { secret, ttl })
                })
                .await?;
            tracing::Span::current().record("cache", outcome.as_str());
            tracing::debug!(cache = outcome.as_str(), "api key ready");
            Ok(secret)
        }
        .instrument(span)
        .await
    }

    /// Drops the cached API key of `request` (for the current workload access token), so the
    /// next call asks the service again: use it when the resource server rejects the key.
    pub async fn invalidate_api_key(&self, request: impl Into<ApiKeyRequest>) -> Result<(), Error> {
        let request = request.into();
        let wat = self
            .resolve_workload_access_token(request.workload_source())
            .await?;
        self.inner
            .cache
            .invalidate(&api_key_cache_key(
                &wat.scoped_digest(self.inner.api_key_scope),
                &request.provider,
            ))
            .await;
        Ok(())
    }

    /// Drops the cached token of `request` (for the current workload access token), so the next
    /// call asks the service again: use it when the resource server answers 401.
    pub async fn invalidate_token(&self, request: impl Into<TokenRequest>) -> Result<(), Error> {
        let request = request.into();
        let wat = self
            .resolve_workload_access_token(request.workload_source())
            .await?;
        let key = token_cache_key(&request, &wat.scoped_digest(self.token_scope(&request)));
        self.inner.cache.invalidate(&key).await;
        Ok(())
    }

    /// Gets an OAuth2 access token (`GetResourceOauth2Token`), cached, as the Python SDK's
    /// `get_token`: a token in the answer ends the call; an authorization URL goes to
    /// `on_auth_url`, then the poller asks again with the `sessionUri` until the user has
    /// consented (or, with [`TokenRequest::non_blocking`], the call fails at once with
    /// [`Error::AuthorizationRequired`]).
    ///
    /// Concurrent calls for the same cache key share one service call (single-flight), so only
    /// the first caller's `on_auth_url` and poller run; the others wait for its outcome.
    /// `force_authentication` skips the cache and replaces the entry with the new token.
    pub async fn get_token(&self, request: impl Into<TokenRequest>) -> Result<SecretString, Error> {
        let request = request.into();
        let wat = self
            .resolve_workload_access_token(request.workload_source())
            .await?;
        let key = token_cache_key(&request, &wat.scoped_digest(self.token_scope(&request)));
        // The hit path first, before any span: a cached token costs a key digest and a lookup.
        if !request.force_authentication
            && let Some(hit) = self.inner.cache.get(&key).await
        {
            tracing::debug!(
                provider = %request.provider,
                flow = request.flow.as_str(),
                cache = "hit",
                "get_token"
            );
            return Ok(hit);
        }
        let span = tracing::debug_span!(
            "get_token",
            provider = %request.provider,
            flow = request.flow.as_str(),
            cache = tracing::field::Empty,
        );
        async {
            let (secret, outcome) = self
                .inner
                .cache
                .get_or_load(
                    key,
                    request.force_authentication,
                    self.fetch_token(&request, &wat, key),
                )
                .await?;
            tracing::Span::current().record("cache", outcome.as_str());
            tracing::debug!(cache = outcome.as_str(), "access token ready");
            Ok(secret)
        }
        .instrument(span)
        .await
    }

    async fn fetch_token(
        &self,
        request: &TokenRequest,
        wat: &Wat,
        key: Key,
    ) -> Result<Loaded, Error> {
        let callback_url = request.callback_url.clone().or_else(|| {
            RequestContext::with_current(|c| {
                c.and_then(|c| c.oauth2_callback_url().map(str::to_owned))
            })
        });
        let remembered = if request.non_blocking {
            self.inner.sessions.get(&key).await
        } else {
            None
        };
        let mut call = OAuth2Call {
            client: self,
            wat: wat.token(),
            provider: &request.provider,
            request,
            callback_url,
            // Only the initial request carries forceAuthentication.
            force_authentication: request.force_authentication && remembered.is_none(),
            session_uri: remembered
                .as_ref()
                .and_then(|s| s.session_uri.as_deref().map(str::to_owned)),
        };
        let out = call.send().await?;
        if let Some(token) = out.access_token() {
            if remembered.is_some() {
                self.inner.sessions.invalidate(&key).await;
            }
            return Ok(self.loaded_token(token));
        }
        if matches!(out.session_status(), Some(SessionStatus::Failed)) {
            self.inner.sessions.invalidate(&key).await;
            return Err(Error::AuthorizationFailed {
                provider: request.provider.clone(),
                session_uri: out
                    .session_uri()
                    .map(str::to_owned)
                    .or(call.session_uri.clone()),
            });
        }
        let (authorization_url, new_session) = match (out.authorization_url(), &remembered) {
            (Some(url), _) => (url.to_owned(), true),
            // Still pending, and the service did not repeat the URL: hand back the remembered one.
            (None, Some(pending)) => (pending.authorization_url.to_string(), false),
            (None, None) => return Err(Error::NoTokenOrAuthorizationUrl),
        };
        let session_uri = out
            .session_uri()
            .map(str::to_owned)
            .or(call.session_uri.take());
        let is_new_url = remembered
            .as_ref()
            .is_none_or(|p| *p.authorization_url != *authorization_url);
        tracing::info!(
            provider = %request.provider,
            authorization_url = %authorization_url,
            "user authorization required"
        );
        // Before anyone sees the URL: the callback page may be hit as soon as it is opened.
        if let Some(uri) = &session_uri {
            self.inner.awaited.insert(uri.clone(), ()).await;
        }
        if let (Some(cb), true) = (&request.on_auth_url, is_new_url && new_session) {
            cb.call(&authorization_url).await;
        }
        if request.non_blocking {
            self.inner
                .sessions
                .insert(
                    key,
                    PendingSession {
                        authorization_url: authorization_url.as_str().into(),
                        session_uri: session_uri.as_deref().map(Into::into),
                    },
                )
                .await;
            return Err(Error::AuthorizationRequired {
                authorization_url,
                session_uri,
            });
        }
        call.force_authentication = false;
        call.session_uri = session_uri;
        let handle = PollHandle::new(&call, &authorization_url);
        let poller = request
            .token_poller
            .as_ref()
            .unwrap_or(&self.inner.token_poller);
        let polled = poller.poll_for_token(&handle).await;
        if let Some(uri) = &call.session_uri {
            self.inner.awaited.invalidate(uri).await;
        }
        let token = polled?;
        let ttl = self
            .inner
            .cache
            .config
            .ttl_for(token.expose_secret(), false);
        Ok(Loaded { secret: token, ttl })
    }

    fn loaded_token(&self, token: &str) -> Loaded {
        Loaded {
            secret: SecretString::from(token),
            ttl: self.inner.cache.config.ttl_for(token, false),
        }
    }

    /// Gets a workload access token for `workload_name` acting for `user`, as Python's
    /// `get_workload_access_token`: [`WorkloadUser::UserJwt`] calls
    /// `GetWorkloadAccessTokenForJWT`, [`WorkloadUser::UserId`]
    /// `GetWorkloadAccessTokenForUserId`, [`WorkloadUser::Agent`] `GetWorkloadAccessToken`.
    ///
    /// ```no_run
    /// # #[tokio::main] async fn main() -> Result<(), agentcore_identity::Error> {
    /// use agentcore_identity::{IdentityClient, WorkloadUser};
    /// let client = IdentityClient::from_env().await?;
    /// let _token = client
    ///     .get_workload_access_token("my-agent", WorkloadUser::UserId("alice".into()))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_workload_access_token(
        &self,
        workload_name: &str,
        user: WorkloadUser,
    ) -> Result<SecretString, Error> {
        let dp = self.dp()?;
        let token = match user {
            WorkloadUser::UserJwt(user_token) => {
                tracing::debug!(workload_name, "Getting workload access token for JWT");
                dp.get_workload_access_token_for_jwt()
                    .workload_name(workload_name)
                    .user_token(user_token.expose_secret())
                    .send()
                    .await
                    .map_err(|e| self.dp_err("GetWorkloadAccessTokenForJWT", e))?
                    .workload_access_token
            }
            WorkloadUser::UserId(user_id) => {
                tracing::debug!(
                    workload_name,
                    user_id,
                    "Getting workload access token for user id"
                );
                dp.get_workload_access_token_for_user_id()
                    .workload_name(workload_name)
                    .user_id(user_id)
                    .send()
                    .await
                    .map_err(|e| self.dp_err("GetWorkloadAccessTokenForUserId", e))?
                    .workload_access_token
            }
            WorkloadUser::Agent => {
                tracing::debug!(workload_name, "Getting workload access token");
                dp.get_workload_access_token()
                    .workload_name(workload_name)
                    .send()
                    .await
                    .map_err(|e| self.dp_err("GetWorkloadAccessToken", e))?
                    .workload_access_token
            }
        };
        Ok(SecretString::from(token))
    }

    /// The cache scope of `request`'s token: M2M may be workload-scoped, user-bound flows never.
    fn token_scope(&self, request: &TokenRequest) -> CacheScope {
        match request.flow {
            AuthFlow::M2M => self.inner.m2m_scope,
            _ => CacheScope::PerToken,
        }
    }

    /// Claims `session_uri` for a `CompleteResourceTokenAuth`: `true` once for each
    /// authorization session this client started (a USER_FEDERATION answer with an authorization
    /// URL) and is still waiting for, `false` for any other session, and for the same session a
    /// second time.
    ///
    /// Call it in an OAuth2 return-URL handler before
    /// [`complete_resource_token_auth`](Self::complete_resource_token_auth), so that a link or an
    /// image on another page cannot bind a session of someone else's choosing to your user; the
    /// [callback server](crate::callback) does.
    pub async fn claim_awaited_session(&self, session_uri: &str) -> bool {
        self.inner.awaited.remove(session_uri).await.is_some()
    }

    /// Confirms a user's authorization session (`CompleteResourceTokenAuth`): call it from the
    /// app's OAuth2 return URL handler, with the `session_id`/`sessionUri` from its query.
    pub async fn complete_resource_token_auth(
        &self,
        session_uri: &str,
        user: UserIdentifier,
    ) -> Result<(), Error> {
        use aws_sdk_bedrockagentcore::types::UserIdentifier as Sdk;
        let user = match user {
            UserIdentifier::UserId(id) => Sdk::UserId(id),
            UserIdentifier::UserToken(token) => Sdk::UserToken(token.expose_secret().to_owned()),
        };
        tracing::debug!(session_uri, "Completing 3LO OAuth2 flow");
        self.dp()?
            .complete_resource_token_auth()
            .session_uri(session_uri)
            .user_identifier(user)
            .send()
            .await
            .map_err(|e| self.dp_err("CompleteResourceTokenAuth", e))?;
        Ok(())
    }
}

#[inline]
fn api_key_cache_key(token_digest: &[u8; 32], provider: &str) -> Key {
    let mut b = KeyBuilder::new("api-key", token_digest);
    b.str(provider);
    b.finish()
}

fn token_cache_key(request: &TokenRequest, token_digest: &[u8; 32]) -> Key {
    let mut b = KeyBuilder::new("oauth2", token_digest);
    b.str(&request.provider)
        .str(request.flow.as_str())
        .set(request.scopes.iter().map(String::as_str))
        .set(request.resources.iter().map(String::as_str))
        .set(request.audiences.iter().map(String::as_str));
    for (k, v) in &request.custom_parameters {
        b.str(k).str(v.expose_secret());
    }
    b.finish()
}
