//! Talking to OAuth2 providers: discovery (RFC 8414 / OpenID), client credentials, authorization-code
//! exchange with PKCE and refresh, through the `oauth2` crate on a reqwest client with redirects off.
//! Every outbound answer is read with a size limit ([`MAX_OUTBOUND_BODY`]) and the whole request
//! with a timeout.

use std::time::Duration;

use oauth2::basic::{BasicClient, BasicTokenResponse};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError,
    Scope, TokenResponse, TokenUrl,
};
use serde_json::Value;

use crate::error::Error;
use crate::secret::Sensitive;
use crate::store::{Metadata, TokenRecord};
use crate::time::Time;

/// RFC 8693 grant type.
const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// RFC 8693 token type of the subject token (the user JWT).
const JWT_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";
/// RFC 8693 token type asked for.
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// RFC 7523 authorization grant (the user's JWT as the assertion).
const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// RFC 7523 client assertion type.
const JWT_BEARER_CLIENT_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Largest outbound answer read (a discovery document, a JWKS, a token response).
pub(crate) const MAX_OUTBOUND_BODY: usize = 256 * 1024;

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// How to authenticate at the token endpoint, and as whom.
#[derive(Debug)]
pub(crate) struct ClientCfg<'a> {
    pub(crate) client_id: &'a str,
    pub(crate) client_secret: Option<&'a Sensitive>,
    pub(crate) metadata: &'a Metadata,
    /// true: client_secret_post; false: client_secret_basic.
    pub(crate) post: bool,
    /// A client assertion (RFC 7523 section 2.2): when set, the client authenticates with it
    /// (`client_assertion_type` jwt-bearer) instead of a secret.
    pub(crate) assertion: Option<Sensitive>,
}

impl ClientCfg<'_> {
    /// The client assertion parameters, when the client authenticates with one.
    fn assertion_params(&self) -> Vec<(String, String)> {
        match &self.assertion {
            Some(a) => vec![
                (
                    "client_assertion_type".into(),
                    JWT_BEARER_CLIENT_ASSERTION.into(),
                ),
                ("client_assertion".into(), a.expose().to_string()),
            ],
            None => Vec::new(),
        }
    }
}

/// Talks to providers.
#[derive(Debug, Clone)]
pub(crate) struct Idp {
    http: Bounded,
}

/// An outbound failure: unreachable, too slow, or an answer over [`MAX_OUTBOUND_BODY`].
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct OutboundError(String);

/// A reqwest client whose answers are read up to [`MAX_OUTBOUND_BODY`].
#[derive(Debug, Clone)]
pub(crate) struct Bounded(reqwest::Client);

impl Bounded {
    /// Sends `req`; the answer's status, headers and body (refused past the size limit).
    pub(crate) async fn send(
        &self,
        req: reqwest::Request,
    ) -> Result<(reqwest::StatusCode, reqwest::header::HeaderMap, Vec<u8>), OutboundError> {
        let mut resp = self
            .0
            .execute(req)
            .await
            .map_err(|e| OutboundError(e.to_string()))?;
        let too_big = || OutboundError(format!("the answer exceeds {MAX_OUTBOUND_BODY} bytes"));
        if resp
            .content_length()
            .is_some_and(|n| n > MAX_OUTBOUND_BODY as u64)
        {
            return Err(too_big());
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| OutboundError(e.to_string()))?
        {
            if body.len() + chunk.len() > MAX_OUTBOUND_BODY {
                return Err(too_big());
            }
            body.extend_from_slice(&chunk);
        }
        Ok((resp.status(), resp.headers().clone(), body))
    }

    /// A GET of `url`.
    pub(crate) async fn get(
        &self,
        url: &str,
    ) -> Result<(reqwest::StatusCode, Vec<u8>), OutboundError> {
        let req = self
            .0
            .get(url)
            .build()
            .map_err(|e| OutboundError(e.to_string()))?;
        let (status, _, body) = self.send(req).await?;
        Ok((status, body))
    }
}

impl<'c> oauth2::AsyncHttpClient<'c> for Bounded {
    type Error = OutboundError;
    type Future = std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Result<oauth2::HttpResponse, OutboundError>>
                + Send
                + 'c,
        >,
    >;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let req =
                reqwest::Request::try_from(request).map_err(|e| OutboundError(e.to_string()))?;
            let (status, headers, body) = self.send(req).await?;
            let mut b = oauth2::http::Response::builder().status(status.as_u16());
            for (k, v) in &headers {
                b = b.header(k.as_str(), v.as_bytes());
            }
            b.body(body).map_err(|e| OutboundError(e.to_string()))
        })
    }
}

/// Maps a provider failure to the caller's error; the provider's `error` and `error_description` are
/// kept, nothing else from its answer is (it could carry tokens).
fn token_error<RE: std::error::Error + 'static>(
    e: RequestTokenError<RE, oauth2::basic::BasicErrorResponse>,
) -> Error {
    match e {
        RequestTokenError::ServerResponse(r) => {
            let desc = r
                .error_description()
                .map(|d| format!(": {d}"))
                .unwrap_or_default();
            Error::Denied(format!(
                "The credential provider's token endpoint refused the request: {}{desc}",
                r.error()
            ))
        }
        RequestTokenError::Request(err) => {
            tracing::warn!(error = %err, "token endpoint unreachable");
            Error::Internal(format!(
                "The credential provider's token endpoint could not be reached: {err}"
            ))
        }
        RequestTokenError::Parse(_, _) => Error::Internal(
            "The credential provider's token endpoint answered an unparseable response".into(),
        ),
        RequestTokenError::Other(m) => Error::Internal(format!("Token request failed: {m}")),
    }
}

fn into_record(r: BasicTokenResponse, previous_refresh: Option<&Sensitive>) -> TokenRecord {
    let issued = Time::now();
    TokenRecord {
        access_token: Sensitive::new(r.access_token().secret().clone()),
        refresh_token: r
            .refresh_token()
            .map(|t| Sensitive::new(t.secret().clone()))
            .or_else(|| previous_refresh.cloned()),
        issued_at: issued,
        expires_at: r.expires_in().map(|d| issued + d),
    }
}

impl Idp {
    /// A client whose requests (connect, send, read the answer) take at most `timeout`.
    pub(crate) fn new(timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .expect("reqwest client");
        Self {
            http: Bounded(http),
        }
    }

    /// The bounded client, for other outbound reads (a trusted issuer's keys).
    pub(crate) fn http(&self) -> &Bounded {
        &self.http
    }

    fn client(&self, cfg: &ClientCfg<'_>, redirect: Option<&str>) -> Result<Client, Error> {
        let bad = |what: &str| {
            Error::Refused(format!(
                "The credential provider's {what} is not a valid URL"
            ))
        };
        let mut c = BasicClient::new(ClientId::new(cfg.client_id.to_string()))
            .set_auth_uri(
                AuthUrl::new(cfg.metadata.authorization_endpoint.clone())
                    .map_err(|_| bad("authorization endpoint"))?,
            )
            .set_token_uri(
                TokenUrl::new(cfg.metadata.token_endpoint.clone())
                    .map_err(|_| bad("token endpoint"))?,
            )
            .set_auth_type(if cfg.post {
                AuthType::RequestBody
            } else {
                AuthType::BasicAuth
            });
        if let Some(s) = cfg
            .client_secret
            .filter(|s| cfg.assertion.is_none() && !s.expose().is_empty())
        {
            c = c.set_client_secret(ClientSecret::new(s.expose().to_string()));
        }
        if let Some(r) = redirect {
            c = c.set_redirect_uri(
                RedirectUrl::new(r.to_string()).map_err(|_| bad("callback URL"))?,
            );
        }
        Ok(c)
    }

    /// Fetches and parses discovery metadata.
    pub(crate) async fn discover(&self, url: &str) -> Result<Metadata, String> {
        let (status, body) = self
            .http
            .get(url)
            .await
            .map_err(|e| format!("discovery request failed: {e}"))?;
        if !status.is_success() {
            return Err(format!("discovery answered HTTP {status}"));
        }
        let v: Value = serde_json::from_slice(&body)
            .map_err(|e| format!("discovery document is not JSON: {e}"))?;
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let list = |k: &str| {
            v.get(k).and_then(Value::as_array).map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect::<Vec<_>>()
            })
        };
        Ok(Metadata {
            issuer: s("issuer").unwrap_or_default(),
            authorization_endpoint: s("authorization_endpoint").unwrap_or_default(),
            token_endpoint: s("token_endpoint")
                .ok_or("discovery document has no token_endpoint")?,
            response_types: list("response_types_supported"),
            token_endpoint_auth_methods: list("token_endpoint_auth_methods_supported"),
        })
    }

    /// client_credentials grant.
    pub(crate) async fn client_credentials(
        &self,
        cfg: &ClientCfg<'_>,
        scopes: &[String],
        extra: &[(String, String)],
    ) -> Result<TokenRecord, Error> {
        if cfg.assertion.is_some() {
            let mut form: Vec<(String, String)> =
                vec![("grant_type".into(), "client_credentials".into())];
            if !scopes.is_empty() {
                form.push(("scope".into(), scopes.join(" ")));
            }
            form.extend(extra.iter().cloned());
            return self.form_grant(cfg, form, "client credentials grant").await;
        }
        let c = self.client(cfg, None)?;
        let mut req = c
            .exchange_client_credentials()
            .add_scopes(scopes.iter().map(|s| Scope::new(s.clone())));
        for (k, v) in extra {
            req = req.add_extra_param(k.clone(), v.clone());
        }
        let r = req.request_async(&self.http).await.map_err(token_error)?;
        Ok(into_record(r, None))
    }

    /// The provider's authorization URL for a session (state and PKCE S256 challenge included).
    pub(crate) fn authorization_url(
        &self,
        cfg: &ClientCfg<'_>,
        redirect: &str,
        state: &str,
        verifier: &Sensitive,
        scopes: &[String],
        extra: &[(String, String)],
    ) -> Result<String, Error> {
        let c = self.client(cfg, Some(redirect))?;
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(
            verifier.expose().to_string(),
        ));
        let state = state.to_string();
        let mut req = c
            .authorize_url(move || CsrfToken::new(state))
            .add_scopes(scopes.iter().map(|s| Scope::new(s.clone())))
            .set_pkce_challenge(challenge);
        for (k, v) in extra {
            req = req.add_extra_param(k.clone(), v.clone());
        }
        Ok(req.url().0.to_string())
    }

    /// authorization_code grant with the PKCE verifier.
    pub(crate) async fn exchange_code(
        &self,
        cfg: &ClientCfg<'_>,
        redirect: &str,
        code: &str,
        verifier: &Sensitive,
        extra: &[(String, String)],
    ) -> Result<TokenRecord, Error> {
        let c = self.client(cfg, Some(redirect))?;
        let mut req = c
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.expose().to_string()));
        for (k, v) in extra.iter().cloned().chain(cfg.assertion_params()) {
            req = req.add_extra_param(k.clone(), v.clone());
        }
        let r = req.request_async(&self.http).await.map_err(token_error)?;
        Ok(into_record(r, None))
    }

    /// refresh_token grant; keeps the old refresh token when the provider does not rotate it.
    pub(crate) async fn refresh(
        &self,
        cfg: &ClientCfg<'_>,
        refresh: &Sensitive,
    ) -> Result<TokenRecord, Error> {
        let c = self.client(cfg, None)?;
        let rt = RefreshToken::new(refresh.expose().to_string());
        let mut req = c.exchange_refresh_token(&rt);
        for (k, v) in cfg.assertion_params() {
            req = req.add_extra_param(k, v);
        }
        let r = req.request_async(&self.http).await.map_err(token_error)?;
        Ok(into_record(r, Some(refresh)))
    }

    /// RFC 8693 token exchange: `subject_token` = the user JWT, asking for an access token; client
    /// authentication as configured (basic or post). A provider error keeps only its `error` and
    /// `error_description`.
    pub(crate) async fn token_exchange(
        &self,
        cfg: &ClientCfg<'_>,
        subject_token: &Sensitive,
        scopes: &[String],
        extra: &[(String, String)],
    ) -> Result<TokenRecord, Error> {
        let mut form: Vec<(String, String)> = vec![
            ("grant_type".into(), TOKEN_EXCHANGE_GRANT.into()),
            ("subject_token".into(), subject_token.expose().to_string()),
            ("subject_token_type".into(), JWT_TOKEN_TYPE.into()),
            ("requested_token_type".into(), ACCESS_TOKEN_TYPE.into()),
        ];
        if !scopes.is_empty() {
            form.push(("scope".into(), scopes.join(" ")));
        }
        form.extend(extra.iter().cloned());
        self.form_grant(cfg, form, "token exchange").await
    }

    /// RFC 7523 JWT authorization grant: `assertion` = the user's JWT; client authentication
    /// as configured. A provider error keeps only its `error` and `error_description`.
    pub(crate) async fn jwt_bearer(
        &self,
        cfg: &ClientCfg<'_>,
        assertion: &Sensitive,
        scopes: &[String],
        extra: &[(String, String)],
    ) -> Result<TokenRecord, Error> {
        let mut form: Vec<(String, String)> = vec![
            ("grant_type".into(), JWT_BEARER_GRANT.into()),
            ("assertion".into(), assertion.expose().to_string()),
        ];
        if !scopes.is_empty() {
            form.push(("scope".into(), scopes.join(" ")));
        }
        form.extend(extra.iter().cloned());
        self.form_grant(cfg, form, "JWT authorization grant").await
    }

    /// A token request with the grant's `form`, authenticating the client as configured: a
    /// client assertion, client_secret_basic, client_secret_post, or just `client_id`.
    async fn form_grant(
        &self,
        cfg: &ClientCfg<'_>,
        mut form: Vec<(String, String)>,
        what: &str,
    ) -> Result<TokenRecord, Error> {
        let url = url::Url::parse(&cfg.metadata.token_endpoint).map_err(|_| {
            Error::Refused("The credential provider's token endpoint is not a valid URL".into())
        })?;
        let secret = cfg
            .client_secret
            .map(Sensitive::expose)
            .filter(|s| !s.is_empty());
        let client = &self.http.0;
        let mut req = client
            .post(url)
            .header(reqwest::header::ACCEPT, "application/json");
        match (cfg.post, secret) {
            _ if cfg.assertion.is_some() => {
                form.push(("client_id".into(), cfg.client_id.to_string()));
                form.extend(cfg.assertion_params());
            }
            (false, Some(secret)) => {
                let enc = |v: &str| {
                    url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
                };
                req = req.basic_auth(enc(cfg.client_id), Some(enc(secret)));
            }
            (true, Some(secret)) => {
                form.push(("client_id".into(), cfg.client_id.to_string()));
                form.push(("client_secret".into(), secret.to_string()));
            }
            (_, None) => form.push(("client_id".into(), cfg.client_id.to_string())),
        }
        let req = req
            .form(&form)
            .build()
            .map_err(|e| Error::Internal(format!("Token request failed: {e}")))?;
        let (status, _, body) = self.http.send(req).await.map_err(|err| {
            tracing::warn!(error = %err, "token endpoint unreachable");
            Error::Internal(format!(
                "The credential provider's token endpoint could not be reached: {err}"
            ))
        })?;
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let s = |k: &str| body.get(k).and_then(Value::as_str);
        if !status.is_success() {
            let error = s("error").unwrap_or("invalid_response");
            let desc = s("error_description")
                .map(|d| format!(": {d}"))
                .unwrap_or_else(|| format!(" (HTTP {})", status.as_u16()));
            return Err(Error::Denied(format!(
                "The credential provider's token endpoint refused the {what}: {error}{desc}"
            )));
        }
        let access = s("access_token").filter(|t| !t.is_empty()).ok_or_else(|| {
            Error::Internal(
                format!("The credential provider's token endpoint answered the {what} without an access_token"),
            )
        })?;
        let issued = Time::now();
        Ok(TokenRecord {
            access_token: Sensitive::new(access),
            refresh_token: s("refresh_token").map(Sensitive::new),
            issued_at: issued,
            expires_at: body
                .get("expires_in")
                .and_then(Value::as_f64)
                .map(|e| issued + Duration::try_from_secs_f64(e).unwrap_or_default()),
        })
    }
}
