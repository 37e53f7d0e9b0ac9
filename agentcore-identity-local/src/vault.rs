//! The token vault: M2M tokens (client credentials, cached until they expire), USER_FEDERATION
//! (three-legged) sessions, completion, and refresh.
//!
//! Vault keys are `{provider}\0{workload}\0{sha256(...)}`: per provider and workload identity, so
//! deleting either drops its tokens, and hashed (the workload's incarnation, the user, the scopes,
//! ...), so no user id or scope list appears in the key space and a recreated workload identity
//! never finds the tokens of the deleted one. Sessions and OAuth2 states are stored under HMAC
//! digests of their URIs and values (a leaked database file does not hand out live session
//! URIs). Values are encrypted by the store.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::idp::ClientCfg;
use crate::secret::Sensitive;
use crate::state::AppState;
use crate::store::{
    Discovery, Metadata, Oauth2ProviderRecord, SessionIndexEntry, SessionRecord, SessionState,
    StateRecord, Table, TokenRecord, TokenVaultRecord, Tx, WorkloadRecord,
};
use crate::time::Time;
use crate::validate::{Oauth2Flow, TokenInput};
use crate::wat::Claims;

/// The key prefix of every token of a provider.
pub(crate) fn provider_prefix(provider: &str) -> String {
    format!("{provider}\u{0}")
}

/// The most sessions a workload identity may have waiting for their user at once.
pub(crate) const MAX_PENDING_SESSIONS: usize = 100;

fn vault_key(provider: &str, workload: &str, parts: &[&str]) -> String {
    let mut h = Sha256::new();
    // Length-prefixed, so no value (a user id, a custom parameter) can shift into its neighbour.
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    format!(
        "{}{workload}\u{0}{}",
        provider_prefix(provider),
        hex::encode(h.finalize())
    )
}

/// Whether a vault key belongs to `workload`.
fn of_workload(key: &str, workload: &str) -> bool {
    let mut parts = key.split('\u{0}');
    parts.nth(1) == Some(workload)
}

fn digest(st: &AppState, kind: &str, value: &str) -> String {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&st.keys.index_key).expect("any key length");
    m.update(kind.as_bytes());
    m.update(&[0]);
    m.update(value.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// The key of the session with this URI.
fn session_key(st: &AppState, uri: &str) -> String {
    digest(st, "session", uri)
}

/// The key of this OAuth2 state.
fn state_key(st: &AppState, state: &str) -> String {
    digest(st, "state", state)
}

fn index_key(workload: &str, session_key: &str) -> String {
    format!("{workload}\u{0}{session_key}")
}

/// Removes a session with its state and index entry (inside a transaction).
fn drop_session(tx: &Tx<'_>, s: &SessionRecord) -> Result<(), crate::store::StoreError> {
    tx.delete(Table::Sessions, &s.key)?;
    tx.delete(Table::States, &s.state_key)?;
    tx.delete(Table::WorkloadSessions, &index_key(&s.workload, &s.key))?;
    Ok(())
}

fn norm(list: &[String]) -> String {
    let mut v: Vec<&str> = list.iter().map(String::as_str).collect();
    v.sort_unstable();
    v.dedup();
    // JSON, not a separator: resources and audiences may contain any character.
    serde_json::to_string(&v).unwrap_or_default()
}

fn random_token(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// Usable: not expired, with a margin of a quarter of its lifetime (at most 30 s).
fn usable(t: &TokenRecord) -> bool {
    match t.expires_at {
        None => true,
        Some(exp) => {
            let margin = (exp.since(t.issued_at) / 4).min(Duration::from_secs(30));
            !(exp - margin).is_past()
        }
    }
}

/// The provider's metadata: given, preset, or discovered (fetched at first use, then cached in the
/// provider record).
async fn metadata(st: &AppState, rec: &Oauth2ProviderRecord) -> Result<Metadata, Error> {
    match (&rec.discovery, &rec.discovered) {
        (Discovery::Metadata(m), _) => Ok(m.clone()),
        (Discovery::Url(_), Some(m)) => Ok(m.clone()),
        (Discovery::Url(u), None) => {
            let m = st.idp.discover(u).await.map_err(|e| {
                Error::Internal(format!(
                    "Could not fetch the credential provider's discovery document: {e}"
                ))
            })?;
            let cached = m.clone();
            st.store
                .update(
                    Table::Oauth2Providers,
                    &rec.name,
                    move |cur: Option<Oauth2ProviderRecord>| {
                        Ok::<_, Error>((
                            cur.map(|mut r| {
                                r.discovered = Some(cached);
                                r
                            }),
                            (),
                        ))
                    },
                )
                .await??;
            Ok(m)
        }
    }
}

/// client_secret_post or client_secret_basic, from the provider's configuration and metadata.
fn use_post(rec: &Oauth2ProviderRecord, m: &Metadata) -> bool {
    match rec.client_auth_method.as_deref() {
        Some("CLIENT_SECRET_POST") => return true,
        Some("CLIENT_SECRET_BASIC") => return false,
        _ => {}
    }
    match &m.token_endpoint_auth_methods {
        Some(methods) if methods.iter().any(|x| x == "client_secret_basic") => false,
        Some(methods) if methods.iter().any(|x| x == "client_secret_post") => true,
        _ => false,
    }
}

/// How the service authenticates at the provider's token endpoint: `AWS_IAM_ID_TOKEN_JWT` with a
/// client assertion signed by its STS key (audience: the token endpoint), else the client secret.
fn cfg<'a>(
    st: &AppState,
    rec: &'a Oauth2ProviderRecord,
    m: &'a Metadata,
) -> Result<ClientCfg<'a>, Error> {
    let mut client = client_cfg(rec, m);
    if rec.client_auth_method.as_deref() == Some("AWS_IAM_ID_TOKEN_JWT") {
        client.assertion = Some(st.sts.client_assertion(
            client.client_id,
            &m.token_endpoint,
            &caller(st),
        )?);
    }
    Ok(client)
}

/// The client as the authorization endpoint sees it (its id): no client assertion is signed
/// for a redirect that never carries one.
fn client_cfg<'a>(rec: &'a Oauth2ProviderRecord, m: &'a Metadata) -> ClientCfg<'a> {
    ClientCfg {
        client_id: rec.client_id.as_deref().unwrap_or(""),
        client_secret: rec.client_secret.as_ref(),
        metadata: m,
        post: use_post(rec, m),
        assertion: None,
    }
}

/// The principal the service's STS tokens are issued to.
fn caller(st: &AppState) -> crate::sts::Caller {
    st.config.caller(st.config.default_region.clone())
}

/// The RFC 8693 actor token of the provider's token exchange, with its `actor_token_type`, as
/// `onBehalfOfTokenExchangeConfig.tokenExchangeGrantTypeConfig.actorTokenContent` asks:
///
/// * `NONE` (or no configuration): none.
/// * `M2M`: an access token of the provider's own client from a client-credentials grant (the
///   client authenticated as for the exchange) with `actorTokenScopes`, typed
///   `urn:ietf:params:oauth:token-type:access_token`.
/// * `AWS_IAM_ID_TOKEN_JWT`: a web identity token from the service's STS signer (ES384, 300 s,
///   `sub` = the configured principal), typed `urn:ietf:params:oauth:token-type:jwt`, whose
///   audience is the provider's issuer from its metadata (its token endpoint when the metadata
///   names no issuer).
async fn actor_token(
    st: &AppState,
    rec: &Oauth2ProviderRecord,
    m: &Metadata,
) -> Result<Option<(Sensitive, &'static str)>, Error> {
    let conf = rec
        .extra_output
        .get("onBehalfOfTokenExchangeConfig")
        .and_then(|c| c.get("tokenExchangeGrantTypeConfig"));
    let content = conf
        .and_then(|c| c.get("actorTokenContent"))
        .and_then(serde_json::Value::as_str);
    match content {
        Some("M2M") => {
            let scopes: Vec<String> = conf
                .and_then(|c| c.get("actorTokenScopes"))
                .and_then(serde_json::Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let t = st
                .idp
                .client_credentials(&cfg(st, rec, m)?, &scopes, &[])
                .await
                .map_err(|e| match e {
                    Error::Denied(msg) => {
                        Error::Denied(format!("The M2M actor token was refused: {msg}"))
                    }
                    Error::Internal(msg) => {
                        Error::Internal(format!("The M2M actor token failed: {msg}"))
                    }
                    other => other,
                })?;
            Ok(Some((t.access_token, crate::idp::ACCESS_TOKEN_TYPE)))
        }
        Some("AWS_IAM_ID_TOKEN_JWT") => {
            let audience = if m.issuer.is_empty() {
                &m.token_endpoint
            } else {
                &m.issuer
            };
            let t = st.sts.actor_token(audience, &caller(st))?;
            Ok(Some((t, crate::idp::JWT_TOKEN_TYPE)))
        }
        _ => Ok(None),
    }
}

/// Whether the provider's on-behalf-of exchange is RFC 7523's JWT authorization grant
/// (`onBehalfOfTokenExchangeConfig.grantType = JWT_AUTHORIZATION_GRANT`) rather than RFC 8693's
/// token exchange.
fn jwt_authorization_grant(rec: &Oauth2ProviderRecord) -> bool {
    rec.extra_output
        .get("onBehalfOfTokenExchangeConfig")
        .and_then(|c| c.get("grantType"))
        .and_then(serde_json::Value::as_str)
        == Some("JWT_AUTHORIZATION_GRANT")
}

fn extra_params(
    custom: &[(String, String)],
    resources: &[String],
    audiences: &[String],
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = custom.to_vec();
    out.extend(
        resources
            .iter()
            .map(|r| ("resource".to_string(), r.clone())),
    );
    out.extend(
        audiences
            .iter()
            .map(|a| ("audience".to_string(), a.clone())),
    );
    out
}

/// What GetResourceOauth2Token ends with.
#[derive(Debug)]
pub(crate) enum TokenOutcome {
    /// The access token.
    Token(Sensitive),
    /// The user has to (or is about to) consent at this URL; poll again with the session.
    InProgress {
        authorization_url: String,
        session_uri: String,
    },
    /// The provider refused the session's authorization.
    Failed { session_uri: String },
}

fn token_answer(t: &TokenRecord) -> TokenOutcome {
    TokenOutcome::Token(t.access_token.clone())
}

/// The vault's read-through for the grants the service performs itself (M2M, on-behalf-of): one
/// flight per vault key, the stored token while it is usable (unless `force`), else the grant
/// `fetch` makes at the provider's token endpoint, stored before the answer.
///
/// The flow (`input.flow`) and `subject` (the workload, and the user for on-behalf-of) go into the
/// vault key with the provider, the sorted scopes, resources, audiences and the custom parameters.
async fn through_vault<F, Fut>(
    st: &AppState,
    claims: &Claims,
    input: &TokenInput,
    rec: &Oauth2ProviderRecord,
    subject: &[&str],
    fetch: F,
) -> Result<TokenOutcome, Error>
where
    F: FnOnce(Metadata, Vec<(String, String)>) -> Fut,
    Fut: std::future::Future<Output = Result<TokenRecord, Error>>,
{
    let (grant, label) = match input.flow {
        Oauth2Flow::M2m => ("m2m", "M2M"),
        Oauth2Flow::OnBehalfOf => ("obo", "on-behalf-of"),
        Oauth2Flow::UserFederation => ("user", "user federation"),
    };
    let custom: Vec<(String, String)> = input
        .custom_parameters
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // `custom_parameters` is a BTreeMap: its JSON is canonical and unambiguous.
    let custom_norm = serde_json::to_string(&input.custom_parameters).unwrap_or_default();
    let (scopes, resources, audiences) = (
        norm(&input.scopes),
        norm(&input.resources),
        norm(&input.audiences),
    );
    let mut parts = vec![grant];
    parts.extend_from_slice(subject);
    parts.extend([
        scopes.as_str(),
        resources.as_str(),
        audiences.as_str(),
        custom_norm.as_str(),
    ]);
    let key = vault_key(&rec.name, &claims.wn, &parts);
    let lock = st.flights.lock_for(&key);
    let _guard = lock.lock().await;
    if !input.force
        && let Some(t) = st.store.get::<TokenRecord>(Table::Tokens, &key)?
        && usable(&t)
    {
        return Ok(token_answer(&t));
    }
    let m = metadata(st, rec).await?;
    let extra = extra_params(&custom, &input.resources, &input.audiences);
    let t = fetch(m, extra).await?;
    st.store.put(Table::Tokens, &key, &t).await?;
    tracing::info!(provider = %rec.name, "{label} token obtained and stored");
    Ok(token_answer(&t))
}

/// GetResourceOauth2Token, once the workload access token and the provider were checked: by flow.
pub(crate) async fn resource_token(
    st: &AppState,
    claims: &Claims,
    input: &TokenInput,
    rec: &Oauth2ProviderRecord,
    workload: &WorkloadRecord,
) -> Result<TokenOutcome, Error> {
    match input.flow {
        Oauth2Flow::M2m => m2m(st, claims, input, rec).await,
        Oauth2Flow::UserFederation => user_federation(st, claims, input, rec, workload).await,
        Oauth2Flow::OnBehalfOf => on_behalf_of(st, claims, input, rec).await,
    }
}

/// GetResourceOauth2Token, M2M: client credentials, cached in the vault until the token expires.
async fn m2m(
    st: &AppState,
    claims: &Claims,
    input: &TokenInput,
    rec: &Oauth2ProviderRecord,
) -> Result<TokenOutcome, Error> {
    through_vault(
        st,
        claims,
        input,
        rec,
        &[&claims.inc],
        |m, extra| async move {
            st.idp
                .client_credentials(&cfg(st, rec, &m)?, &input.scopes, &extra)
                .await
        },
    )
    .await
}

/// GetResourceOauth2Token, ON_BEHALF_OF_TOKEN_EXCHANGE: RFC 8693 token exchange at the provider's
/// token endpoint with the user JWT the workload access token was issued for (ForJWT) as the
/// subject token, and the configured actor token ([`actor_token`]); or RFC 7523's JWT
/// authorization grant with that JWT as the assertion. The exchanged token is cached in the vault per (workload, user, provider, scopes,
/// resources, audiences, parameters) until it expires.
async fn on_behalf_of(
    st: &AppState,
    claims: &Claims,
    input: &TokenInput,
    rec: &Oauth2ProviderRecord,
) -> Result<TokenOutcome, Error> {
    let refused = || {
        Error::Refused(
            "ON_BEHALF_OF_TOKEN_EXCHANGE needs a workload access token obtained with \
             GetWorkloadAccessTokenForJWT: the user's JWT is the subject token of the exchange, \
             and this workload access token was issued without one"
                .into(),
        )
    };
    let (Some(user), Some(subject)) = (&claims.sub, &claims.jwt) else {
        return Err(refused());
    };
    through_vault(
        st,
        claims,
        input,
        rec,
        &[&claims.inc, user],
        |m, extra| async move {
            if jwt_authorization_grant(rec) {
                st.idp
                    .jwt_bearer(&cfg(st, rec, &m)?, subject, &input.scopes, &extra)
                    .await
            } else {
                let actor = actor_token(st, rec, &m).await?;
                let actor = actor.as_ref().map(|(t, kind)| (t, *kind));
                // A fresh client configuration: a client assertion is single-use.
                st.idp
                    .token_exchange(&cfg(st, rec, &m)?, subject, actor, &input.scopes, &extra)
                    .await
            }
        },
    )
    .await
}

fn in_progress(s: &SessionRecord) -> TokenOutcome {
    TokenOutcome::InProgress {
        authorization_url: s.authorization_url.clone(),
        session_uri: s.session_uri.clone(),
    }
}

/// GetResourceOauth2Token, USER_FEDERATION.
async fn user_federation(
    st: &AppState,
    claims: &Claims,
    input: &TokenInput,
    rec: &Oauth2ProviderRecord,
    workload: &WorkloadRecord,
) -> Result<TokenOutcome, Error> {
    let user = claims.sub.clone().ok_or_else(|| {
        Error::Refused(
            "USER_FEDERATION needs a workload access token issued for a user \
             (GetWorkloadAccessTokenForUserId or GetWorkloadAccessTokenForJWT)"
                .into(),
        )
    })?;
    if let Some(url) = &input.return_url {
        let allowed = workload.allowed_return_urls.as_deref().unwrap_or_default();
        if !allowed.iter().any(|a| a == url) {
            return Err(Error::invalid_field(
                "resourceOauth2ReturnUrl",
                format!(
                    "Member must be one of the allowedResourceOauth2ReturnUrls of workload identity {}",
                    workload.name
                ),
            ));
        }
    }
    let key = vault_key(
        &rec.name,
        &claims.wn,
        &[
            "user",
            &claims.inc,
            &user,
            &norm(&input.scopes),
            &norm(&input.resources),
            &norm(&input.audiences),
        ],
    );
    let mut session_gone = false;
    if let (Some(uri), false) = (&input.session_uri, input.force) {
        match st
            .store
            .get::<SessionRecord>(Table::Sessions, &session_key(st, uri))?
        {
            Some(s) => {
                if s.workload != claims.wn || s.user != user || s.provider != rec.name {
                    return Err(Error::Denied(
                        "The session belongs to another workload, user or provider".into(),
                    ));
                }
                match s.status {
                    SessionState::Completed => {
                        let gone = s.clone();
                        st.store.write(move |tx| drop_session(tx, &gone)).await?;
                    }
                    _ if s.expires_at.is_past() => {
                        let gone = s.clone();
                        st.store.write(move |tx| drop_session(tx, &gone)).await?;
                        return Err(Error::invalid_field(
                            "sessionUri",
                            "The session has expired",
                        ));
                    }
                    SessionState::AwaitingCallback | SessionState::AwaitingCompletion => {
                        return Ok(in_progress(&s));
                    }
                    SessionState::Failed => {
                        return Ok(TokenOutcome::Failed {
                            session_uri: s.session_uri,
                        });
                    }
                }
            }
            None => session_gone = true,
        }
    }
    if !input.force {
        let lock = st.flights.lock_for(&key);
        let _guard = lock.lock().await;
        if let Some(t) = st.store.get::<TokenRecord>(Table::Tokens, &key)? {
            if usable(&t) {
                return Ok(token_answer(&t));
            }
            if let Some(rt) = &t.refresh_token {
                let m = metadata(st, rec).await?;
                match st.idp.refresh(&cfg(st, rec, &m)?, rt).await {
                    Ok(nt) => {
                        st.store.put(Table::Tokens, &key, &nt).await?;
                        tracing::info!(provider = %rec.name, workload = %claims.wn, "token refreshed");
                        return Ok(token_answer(&nt));
                    }
                    Err(e) => {
                        tracing::info!(provider = %rec.name, error = %e.detail(), "refresh failed; a new authorization is needed");
                        st.store.delete(Table::Tokens, &key).await?;
                    }
                }
            }
        }
    }
    if session_gone {
        return Err(Error::invalid_field(
            "sessionUri",
            "The session does not exist, was already used, or has expired",
        ));
    }
    start_session(st, claims, &user, input, rec, key).await
}

async fn start_session(
    st: &AppState,
    claims: &Claims,
    user: &str,
    input: &TokenInput,
    rec: &Oauth2ProviderRecord,
    vault_key: String,
) -> Result<TokenOutcome, Error> {
    let m = metadata(st, rec).await?;
    if m.authorization_endpoint.is_empty() {
        return Err(Error::Refused(
            "The credential provider has no authorization endpoint".into(),
        ));
    }
    let session_uri = format!("urn:ietf:params:oauth:request_uri:{}", random_token(24));
    let state = random_token(32);
    let verifier = Sensitive::new(random_token(48));
    let custom: Vec<(String, String)> = input
        .custom_parameters
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let provider_url = st.idp.authorization_url(
        &client_cfg(rec, &m),
        &st.callback_url(),
        &state,
        &verifier,
        &input.scopes,
        &extra_params(&custom, &input.resources, &input.audiences),
    )?;
    let mut auth = url::Url::parse(&format!(
        "{}/identities/oauth2/authorize",
        st.config.endpoint
    ))
    .map_err(|_| Error::Internal("bad endpoint".into()))?;
    auth.query_pairs_mut()
        .append_pair("request_uri", &session_uri);
    let t = Time::now();
    let (key, skey) = (session_key(st, &session_uri), state_key(st, &state));
    let s = SessionRecord {
        session_uri: session_uri.clone(),
        key: key.clone(),
        state_key: skey.clone(),
        workload: claims.wn.clone(),
        user: user.to_string(),
        provider: rec.name.clone(),
        scopes: input.scopes.clone(),
        vault_key,
        return_url: input.return_url.clone(),
        custom_state: input.custom_state.clone().map(Sensitive::new),
        custom_parameters: input
            .custom_parameters
            .iter()
            .map(|(k, v)| (k.clone(), Sensitive::new(v.clone())))
            .collect(),
        resources: input.resources.clone(),
        audiences: input.audiences.clone(),
        pkce_verifier: verifier,
        authorization_url: auth.to_string(),
        provider_url,
        status: SessionState::AwaitingCallback,
        token: None,
        failure: None,
        created: t,
        expires_at: t + st.config.session_ttl,
    };
    // The state, the session and its index entry are written together: a callback never finds
    // one without the other. The workload's pending sessions are counted in the same transaction.
    let record = s.clone();
    let expires_at = s.expires_at;
    st.store
        .write(move |tx| {
            let pending: Vec<(String, SessionIndexEntry)> =
                tx.prefixed(Table::WorkloadSessions, &index_key(&record.workload, ""))?;
            let live = pending
                .iter()
                .filter(|(_, e)| !e.expires_at.is_past())
                .count();
            if live >= MAX_PENDING_SESSIONS {
                return Err(Error::Throttled(format!(
                    "Workload identity {} has {live} authorization sessions waiting for their \
                     users; complete or let some expire first",
                    record.workload
                )));
            }
            tx.put(
                Table::States,
                &skey,
                &StateRecord {
                    session_key: key.clone(),
                    expires_at,
                },
            )?;
            tx.put(
                Table::WorkloadSessions,
                &index_key(&record.workload, &key),
                &SessionIndexEntry {
                    state_key: skey.clone(),
                    expires_at,
                },
            )?;
            tx.put(Table::Sessions, &key, &record)?;
            Ok(())
        })
        .await?;
    tracing::info!(provider = %rec.name, workload = %claims.wn, "authorization session started");
    Ok(in_progress(&s))
}

/// CompleteResourceTokenAuth: binds the session's token to its user when `user` is that user.
pub(crate) async fn complete(st: &AppState, session_uri: &str, user: &str) -> Result<(), Error> {
    let s: SessionRecord = st
        .store
        .get(Table::Sessions, &session_key(st, session_uri))?
        .ok_or_else(|| Error::NotFound("The session does not exist or was already used".into()))?;
    if s.user != user {
        return Err(Error::Denied(
            "The user does not match the user the session was started for".into(),
        ));
    }
    match s.status {
        SessionState::AwaitingCompletion => {}
        SessionState::Completed => {
            return Err(Error::invalid_field(
                "sessionUri",
                "The session was already completed",
            ));
        }
        SessionState::AwaitingCallback => {
            return Err(Error::invalid_field(
                "sessionUri",
                "The user has not yet authorized this session",
            ));
        }
        SessionState::Failed => {
            return Err(Error::invalid_field(
                "sessionUri",
                "The authorization of this session failed",
            ));
        }
    }
    if s.expires_at.is_past() {
        let gone = s.clone();
        st.store.write(move |tx| drop_session(tx, &gone)).await?;
        return Err(Error::invalid_field(
            "sessionUri",
            "The session has expired",
        ));
    }
    // The token is stored and the session marked completed in one transaction: a crash leaves
    // either both or neither, and a concurrent completion of the same session finds it completed.
    let key = s.key.clone();
    st.store
        .transact(move |tx| {
            let cur: Option<SessionRecord> = tx.get(Table::Sessions, &key)?;
            match cur {
                Some(mut c) if c.status == SessionState::AwaitingCompletion => {
                    let Some(token) = c.token.take() else {
                        return Ok(Err(Error::Internal("session has no token".into())));
                    };
                    tx.put(Table::Tokens, &c.vault_key, &token)?;
                    c.status = SessionState::Completed;
                    tx.put(Table::Sessions, &key, &c)?;
                    tx.delete(Table::WorkloadSessions, &index_key(&c.workload, &key))?;
                    Ok(Ok(()))
                }
                _ => Ok(Err(Error::invalid_field(
                    "sessionUri",
                    "The session was already completed",
                ))),
            }
        })
        .await??;
    tracing::info!(provider = %s.provider, workload = %s.workload, "authorization session completed");
    Ok(())
}

/// DeleteWorkloadIdentity: the identity, its vault tokens and its pending sessions (with their
/// states), in one transaction. False when it did not exist.
pub(crate) async fn delete_workload(st: &AppState, name: &str) -> Result<bool, Error> {
    let owned = name.to_string();
    let (existed, tokens, sessions) = st
        .store
        .write(move |tx| {
            let name = owned;
            if !tx.delete(Table::Workloads, &name)? {
                return Ok::<_, Error>((false, 0, 0));
            }
            let tokens = tx.delete_keys_where(Table::Tokens, |k| of_workload(k, &name))?;
            let pending: Vec<(String, SessionIndexEntry)> =
                tx.prefixed(Table::WorkloadSessions, &index_key(&name, ""))?;
            for (k, e) in &pending {
                let session = k.rsplit('\u{0}').next().unwrap_or_default();
                tx.delete(Table::Sessions, session)?;
                tx.delete(Table::States, &e.state_key)?;
                tx.delete(Table::WorkloadSessions, k)?;
            }
            Ok((true, tokens, pending.len()))
        })
        .await?;
    if existed {
        tracing::info!(workload = %name, tokens_removed = tokens, sessions_removed = sessions, "workload identity deleted");
    }
    Ok(existed)
}

/// ResetTokenVaultKeyMaterial: the vault `seed` (its stored record, or the default vault's)
/// gets a new key-material generation and a service-managed key, and every token in the vault
/// (access and refresh tokens of every flow) and every pending authorization session (with its
/// state) is dropped, in one transaction. Returns the vault and how many tokens were dropped.
pub(crate) async fn reset_key_material(
    st: &AppState,
    seed: TokenVaultRecord,
) -> Result<(TokenVaultRecord, usize), Error> {
    st.store
        .write(move |tx| {
            let mut v: TokenVaultRecord = tx.get(Table::TokenVaults, &seed.id)?.unwrap_or(seed);
            v.generation += 1;
            v.key_type = "ServiceManagedKey".into();
            v.kms_key_arn = None;
            v.last_modified = Time::from_epoch_secs(Time::now().epoch_secs_whole() as f64);
            tx.put(Table::TokenVaults, &v.id, &v)?;
            let tokens = tx.delete_prefix(Table::Tokens, "")?;
            for t in [Table::Sessions, Table::States, Table::WorkloadSessions] {
                tx.delete_prefix(t, "")?;
            }
            Ok::<_, Error>((v, tokens))
        })
        .await
}

/// Where `/identities/oauth2/authorize?request_uri=` sends the browser.
pub(crate) async fn authorize_target(st: &AppState, request_uri: &str) -> Result<String, String> {
    let s: SessionRecord = st
        .store
        .get(Table::Sessions, &session_key(st, request_uri))
        .map_err(|_| "Internal storage error".to_string())?
        .ok_or_else(|| "Unknown or already used authorization session.".to_string())?;
    if s.status != SessionState::AwaitingCallback || s.expires_at.is_past() {
        return Err("This authorization session has expired or was already used.".into());
    }
    Ok(s.provider_url)
}

/// What the callback ends with.
#[derive(Debug)]
pub(crate) enum CallbackOutcome {
    /// 302 to this URL (the workload's return URL).
    Redirect(String),
    /// A plain page with this status and text.
    Page(u16, String),
}

fn return_redirect(s: &SessionRecord, return_url: &str, error: Option<&str>) -> CallbackOutcome {
    match url::Url::parse(return_url) {
        Ok(mut u) => {
            {
                let mut q = u.query_pairs_mut();
                q.append_pair("session_id", &s.session_uri);
                if let Some(cs) = &s.custom_state {
                    q.append_pair("state", cs.expose());
                }
                if let Some(e) = error {
                    q.append_pair("error", e);
                }
            }
            CallbackOutcome::Redirect(u.to_string())
        }
        Err(_) => CallbackOutcome::Page(400, "The return URL is not a valid URL.".into()),
    }
}

/// The provider's redirect back to `{endpoint}/identities/oauth2/callback`.
pub(crate) async fn callback(
    st: &AppState,
    state: Option<&str>,
    code: Option<&str>,
    error: Option<&str>,
    error_description: Option<&str>,
) -> CallbackOutcome {
    let fail_page = |m: &str| CallbackOutcome::Page(400, m.to_string());
    let Some(state) = state else {
        return fail_page("Missing state.");
    };
    let session_key: String = match st
        .store
        .take::<StateRecord>(Table::States, &state_key(st, state))
        .await
    {
        Ok(Some(r)) => r.session_key,
        Ok(None) => return fail_page("Unknown or already used state."),
        Err(_) => return CallbackOutcome::Page(500, "Internal storage error.".into()),
    };
    let s: SessionRecord = match st.store.get::<SessionRecord>(Table::Sessions, &session_key) {
        Ok(Some(s)) if s.status == SessionState::AwaitingCallback && !s.expires_at.is_past() => s,
        Ok(_) => return fail_page("The authorization session has expired or was already used."),
        Err(_) => return CallbackOutcome::Page(500, "Internal storage error.".into()),
    };
    let result: Result<TokenRecord, (String, String)> = match (error, code) {
        (Some(e), _) => Err((
            e.to_string(),
            match error_description {
                Some(d) => format!("{e}: {d}"),
                None => e.to_string(),
            },
        )),
        (None, None) => Err((
            "invalid_request".into(),
            "the provider sent neither code nor error".into(),
        )),
        (None, Some(code)) => match st
            .store
            .get::<Oauth2ProviderRecord>(Table::Oauth2Providers, &s.provider)
        {
            Ok(Some(rec)) => match metadata(st, &rec).await {
                Ok(m) => {
                    let extra = extra_params(&[], &s.resources, &s.audiences);
                    match cfg(st, &rec, &m) {
                        Ok(client) => st
                            .idp
                            .exchange_code(
                                &client,
                                &st.callback_url(),
                                code,
                                &s.pkce_verifier,
                                &extra,
                            )
                            .await
                            .map_err(|e| ("server_error".to_string(), e.detail())),
                        Err(e) => Err(("server_error".into(), e.detail())),
                    }
                }
                Err(e) => Err(("server_error".into(), e.detail())),
            },
            Ok(None) => Err((
                "server_error".into(),
                "the credential provider was deleted".into(),
            )),
            Err(_) => Err(("server_error".into(), "internal storage error".into())),
        },
    };
    let direct = s.return_url.is_none();
    let (status, token, failure) = match result {
        Ok(t) if direct => (SessionState::Completed, Some(t), None),
        Ok(t) => (SessionState::AwaitingCompletion, Some(t), None),
        Err(e) => (SessionState::Failed, None, Some(e)),
    };
    let stored_token = if direct { None } else { token.clone() };
    let vault_token = if direct { token } else { None };
    let failure_msg = failure.clone();
    let uri = session_key;
    // The vault token (direct completion) and the session's new state: one transaction.
    let upd = st
        .store
        .transact(move |tx| {
            let cur: Option<SessionRecord> = tx.get(Table::Sessions, &uri)?;
            match cur {
                Some(mut c) if c.status == SessionState::AwaitingCallback => {
                    if let Some(t) = &vault_token {
                        tx.put(Table::Tokens, &c.vault_key, t)?;
                    }
                    c.status = status;
                    c.token = stored_token;
                    c.failure = failure_msg.map(|f| f.1);
                    tx.put(Table::Sessions, &uri, &c)?;
                    if status != SessionState::AwaitingCompletion {
                        // no longer waiting for its user
                        tx.delete(Table::WorkloadSessions, &index_key(&c.workload, &uri))?;
                    }
                    Ok(Ok(()))
                }
                _ => Ok(Err(())),
            }
        })
        .await;
    match upd {
        Ok(Ok(())) => {}
        Ok(Err(())) => return fail_page("The authorization session was already used."),
        Err(_) => return CallbackOutcome::Page(500, "Internal storage error.".into()),
    }
    match (&s.return_url, &failure) {
        (Some(ru), f) => {
            tracing::info!(provider = %s.provider, failed = f.is_some(), "authorization callback handled");
            return_redirect(&s, ru, f.as_ref().map(|f| f.0.as_str()))
        }
        (None, None) => CallbackOutcome::Page(
            200,
            "Authorization complete. You can close this window.".into(),
        ),
        (None, Some(f)) => CallbackOutcome::Page(400, format!("Authorization failed: {}", f.1)),
    }
}

#[cfg(test)]
mod key_tests {
    use super::{norm, of_workload, vault_key};

    #[test]
    fn vault_keys_are_unambiguous() {
        // A value holding the old separator must not shift into its neighbour.
        assert_ne!(
            vault_key("p", "w", &["a\u{1f}b", "c"]),
            vault_key("p", "w", &["a", "b\u{1f}c"])
        );
        // The workload is the key's second part.
        assert!(of_workload(&vault_key("p", "w", &["x"]), "w"));
        assert!(!of_workload(&vault_key("p", "w2", &["x"]), "w"));
        // A list entry with a space is not two entries.
        assert_ne!(norm(&["a b".into()]), norm(&["a".into(), "b".into()]));
        // Order and duplicates do not matter.
        assert_eq!(
            norm(&["b".into(), "a".into(), "a".into()]),
            norm(&["a".into(), "b".into()])
        );
    }
}
