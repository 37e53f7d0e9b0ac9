//! Attribute macros of [`agentcore-identity`](https://docs.rs/agentcore-identity): inject an API
//! key, an OAuth2 access token, an IAM web identity token or the workload access token into a
//! function, as the Python SDK's `@requires_api_key`, `@requires_access_token`,
//! `@requires_iam_access_token` and `@requires_wat` decorators do.
//!
//! Use them through `agentcore_identity` (feature `macros`, on by default); do not depend on this
//! crate directly: the expansions call `agentcore_identity::__private`, which has no semver
//! promise, and the two crates are released together with an exact pin.
//!
//! ```
//! # #![allow(dead_code)]
//! use agentcore_identity::context::RequestContext;
//! use agentcore_identity::requires_wat;
//! use agentcore_identity::secrecy::{ExposeSecret, SecretString};
//!
//! #[derive(Debug)]
//! struct MyError(agentcore_identity::Error);
//! impl From<agentcore_identity::Error> for MyError {
//!     fn from(e: agentcore_identity::Error) -> Self {
//!         MyError(e)
//!     }
//! }
//!
//! /// `identity_wat` is not a parameter any more: it comes from the request context.
//! #[requires_wat]
//! fn downstream_header(identity_wat: SecretString) -> Result<(&'static str, String), MyError> {
//!     Ok(("X-Amz-Bedrock-AgentCore-Identity-WAT", identity_wat.expose_secret().to_owned()))
//! }
//!
//! let ctx = RequestContext::new().with_workload_access_token(SecretString::from("wat-123"));
//! let (_, value) = RequestContext::sync_scope(ctx, downstream_header).unwrap();
//! assert_eq!(value, "wat-123");
//! // Outside a request there is no workload access token: the body does not run.
//! assert!(downstream_header().is_err());
//! ```
//!
//! # The common rules
//!
//! The rules shared by the four macros (the injected parameter's type, the return type, methods
//! and generics, argument values, which workload access token and which client, caching, traits)
//! are documented with the crate that re-exports them: `agentcore_identity::macros`.

#![doc(test(no_crate_inject, attr(deny(warnings))))]
#![cfg_attr(docsrs, feature(doc_cfg))]

use proc_macro::TokenStream;

mod args;
mod expand;

use args::Kind;

/// Injects an API key from an API key credential provider (`GetResourceApiKey`).
///
/// ```no_run
/// # #![allow(dead_code)]
/// use agentcore_identity::requires_api_key;
/// use agentcore_identity::secrecy::{ExposeSecret, SecretString};
///
/// #[derive(Debug)]
/// pub enum MyError {
///     Identity(agentcore_identity::Error),
/// }
/// impl From<agentcore_identity::Error> for MyError {
///     fn from(e: agentcore_identity::Error) -> Self {
///         MyError::Identity(e)
///     }
/// }
///
/// #[requires_api_key(provider_name = "openai-apikey-provider")]
/// async fn ask_model(prompt: &str, api_key: SecretString) -> Result<String, MyError> {
///     let _authorization = format!("Bearer {}", api_key.expose_secret());
///     Ok(format!("answer to {prompt}"))
/// }
///
/// # async fn run() -> Result<(), MyError> {
/// // The injected parameter is gone from the signature.
/// let answer = ask_model("What is the weather?").await?;
/// # let _ = answer; Ok(()) }
/// ```
///
/// # Arguments
///
/// | argument | value | default |
/// |---|---|---|
/// | `provider_name` | the credential provider, a string matching `[a-zA-Z0-9\-_]{1,128}` (checked at compile time), or an expression | required |
/// | `into` | the parameter to inject, a string | `"api_key"` |
/// | `workload_access_token` | an expression giving a `SecretString` | the request context, else local development |
/// | `workload_identity`, `user_id` | a workload identity name and one of its users (both expressions, given together) | |
/// | `client` | an expression giving an `IdentityClient` (or `&`/`Arc` of one) | the process default client |
/// | `crate` | the path of `agentcore_identity`, a string | `"::agentcore_identity"` |
///
/// See [the common rules](macros/index.html) (`agentcore_identity::macros`)
/// for the parameter type, the return rule and
/// where the workload access token comes from.
///
/// # Equivalent code without the macro
///
/// ```no_run
/// # #![allow(dead_code)]
/// # use agentcore_identity::secrecy::SecretString;
/// # #[derive(Debug)] pub struct MyError;
/// # impl From<agentcore_identity::Error> for MyError { fn from(_: agentcore_identity::Error) -> Self { MyError } }
/// use agentcore_identity::ApiKeyRequest;
///
/// async fn ask_model(prompt: &str) -> Result<String, MyError> {
///     let client = agentcore_identity::default_client().await?; // or `client = ..`
///     let api_key: SecretString = client
///         .get_api_key(ApiKeyRequest::new("openai-apikey-provider"))
///         .await?; // `?`: `MyError: From<agentcore_identity::Error>`
///     {
///         // the original body
///         # let _ = api_key;
///         Ok(format!("answer to {prompt}"))
///     }
/// }
/// ```
///
/// # Compile-time errors
///
/// The function must be `async` (getting the key awaits the service), return a `Result`, and have
/// the parameter named by `into`:
///
/// ```compile_fail
/// # #![allow(dead_code)]
/// use agentcore_identity::requires_api_key;
/// use agentcore_identity::secrecy::SecretString;
///
/// #[requires_api_key(provider_name = "openai-apikey-provider")]
/// fn not_async(api_key: SecretString) -> Result<(), agentcore_identity::Error> {
///     let _ = api_key;
///     Ok(())
/// }
/// ```
///
/// ```compile_fail
/// # #![allow(dead_code)]
/// use agentcore_identity::requires_api_key;
/// use agentcore_identity::secrecy::SecretString;
///
/// // error: no parameter named `api_key` to inject the API key into
/// #[requires_api_key(provider_name = "openai-apikey-provider")]
/// async fn wrong_name(key: SecretString) -> Result<(), agentcore_identity::Error> {
///     let _ = key;
///     Ok(())
/// }
/// ```
#[proc_macro_attribute]
pub fn requires_api_key(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::credential_fn(Kind::ApiKey, args.into(), item.into()).into()
}

/// Injects an OAuth2 access token from an OAuth2 credential provider (`GetResourceOauth2Token`),
/// with every parameter of the Python SDK's `@requires_access_token`.
///
/// ```no_run
/// # #![allow(dead_code)]
/// use agentcore_identity::requires_access_token;
/// use agentcore_identity::secrecy::SecretString;
///
/// # #[derive(Debug)] pub struct MyError;
/// # impl From<agentcore_identity::Error> for MyError { fn from(_: agentcore_identity::Error) -> Self { MyError } }
/// # pub struct Calendar; pub struct Event;
/// impl Calendar {
///     #[requires_access_token(
///         provider_name = "google-provider",
///         scopes = ["https://www.googleapis.com/auth/calendar"],
///         auth_flow = "USER_FEDERATION",
///         into = "token",
///         on_auth_url = |url: &str| println!("Open {url}"),
///         callback_url = "http://localhost:8081/oauth2/callback",
///         force_authentication = false,
///         custom_parameters = { "access_type": "offline" },
///     )]
///     async fn list_events(&self, day: u32, token: SecretString) -> Result<Vec<Event>, MyError> {
///         # let _ = (day, token);
///         Ok(Vec::new())
///     }
/// }
/// # async fn run(c: Calendar) -> Result<(), MyError> {
/// let events = c.list_events(27).await?;
/// # let _ = events; Ok(()) }
/// ```
///
/// # Arguments
///
/// | argument | value | default |
/// |---|---|---|
/// | `provider_name` | the credential provider, a string matching `[a-zA-Z0-9\-_]{1,128}` (checked at compile time), or an expression | required |
/// | `scopes` | `["a", "b"]`, `[]` or an expression: any `IntoIterator` of `AsRef<str>` (`SCOPES: &[&str]`, a `Vec<String>`) | required, as in Python |
/// | `auth_flow` | `"M2M"`, `"USER_FEDERATION"` or `"ON_BEHALF_OF_TOKEN_EXCHANGE"` | required |
/// | `into` | the parameter to inject, a string | `"access_token"` |
/// | `resources`, `audiences` | like `scopes` | none |
/// | `on_auth_url` | a callback for the authorization URL, see below | none |
/// | `callback_url` | the `resourceOauth2ReturnUrl`, an expression (`&str`, `String`) | the request context's `OAuth2CallbackUrl` |
/// | `force_authentication` | a `bool` expression; bare `force_authentication` means `true` | `false` |
/// | `token_poller` | an expression giving a `TokenPoller` | the client's (every 5 s for up to 600 s) |
/// | `custom_state` | an expression (`&str`, `String`) | none |
/// | `custom_parameters` | `{ "name": value, .. }` (values are expressions), or an expression: any `IntoIterator` of pairs of `AsRef<str>` (`PARAMS: &[(&str, &str)]`, a `HashMap<String, String>`) | none |
/// | `non_blocking` | a `bool` expression; bare `non_blocking` means `true`; see below | `false` |
/// | `workload_access_token`, `workload_identity` + `user_id`, `client`, `crate` | as for `#[requires_api_key]` | |
///
/// With `auth_flow = "M2M"` the arguments of the user flow (`on_auth_url`, `callback_url`,
/// `force_authentication`, `token_poller`, `custom_state`, `non_blocking`) are a compile error:
/// the service never asks a user to consent in that flow, so they would be silently ignored.
///
/// # `on_auth_url`: sync or async
///
/// The form is read from the syntax:
/// - `|url: &str| ...` (or any other expression: a function path, a variable) is a **sync**
///   callback, `Fn(&str) + Send + Sync + 'static`, called with the URL before polling starts;
/// - `async |url: String| ...`, and a closure whose body is (or ends in) an `async` block —
///   `|url: String| async move { ... }`, `move |url: String| { let tx = tx.clone(); async move { ... } }`
///   — are **async** callbacks, `Fn(String) -> impl Future<Output = ()> + Send + 'static`,
///   awaited before polling starts. A block ending in such a closure counts too:
///   `{ let tx = tx.clone(); move |url: String| { .. async move { .. } } }`.
///
/// To pass an `async fn notify(url: String)` by name, wrap it:
/// `on_auth_url = |url: String| async move { notify(url).await }`. The callback must be
/// `'static`: move clones into it (`let tx = tx.clone();` outside the function, or a channel in a
/// `static`), it cannot borrow `self`.
///
/// # USER_FEDERATION: what happens
///
/// If the vault has no token for this user yet, the service answers with an authorization URL.
/// - Blocking mode (default): the URL goes to `on_auth_url`, then the call **waits** while the
///   poller asks again (default every 5 s for up to 600 s) until the user has consented, then the
///   body runs with the token. **Without `on_auth_url`, nobody is shown the URL**: the call waits
///   until the poller times out (unless the user consents by other means) and then returns
///   `Err(Error::PollTimeout { authorization_url, .. })`; the client only logs the URL
///   (`tracing`, level `info`). Give `on_auth_url` (or use `non_blocking`) whenever a person
///   must act.
/// - `non_blocking`: the call returns `Err(Error::AuthorizationRequired { authorization_url, .. })`
///   at once (after calling `on_auth_url`, if given); the body does not run. Show the URL and call
///   again after consent: the client remembers the session and the next call gets the token.
///
/// # Equivalent code without the macro
///
/// ```no_run
/// # #![allow(dead_code)]
/// # use agentcore_identity::secrecy::SecretString;
/// # #[derive(Debug)] pub struct MyError;
/// # impl From<agentcore_identity::Error> for MyError { fn from(_: agentcore_identity::Error) -> Self { MyError } }
/// # pub struct Calendar; pub struct Event;
/// use agentcore_identity::{AuthFlow, TokenRequest};
///
/// impl Calendar {
///     async fn list_events(&self, day: u32) -> Result<Vec<Event>, MyError> {
///         let client = agentcore_identity::default_client().await?; // or `client = ..`
///         let token: SecretString = client
///             .get_token(
///                 TokenRequest::new("google-provider", AuthFlow::UserFederation)
///                     .scopes(["https://www.googleapis.com/auth/calendar"])
///                     .on_auth_url(|url: &str| println!("Open {url}"))
///                     .callback_url("http://localhost:8081/oauth2/callback")
///                     .force_authentication(false)
///                     .custom_parameter("access_type", "offline"),
///             )
///             .await?;
///         {
///             // the original body
///             # let _ = (day, token);
///             Ok(Vec::new())
///         }
///     }
/// }
/// ```
///
/// # Compile-time errors
///
/// Unknown, duplicate and missing arguments, an unknown `auth_flow`, a `provider_name` the
/// service would reject, a missing `into` parameter, a non-`async` function or a return type that
/// is not a `Result` are all reported at compile time, on the offending token:
///
/// ```compile_fail
/// # #![allow(dead_code)]
/// use agentcore_identity::requires_access_token;
/// use agentcore_identity::secrecy::SecretString;
///
/// // error: unknown `auth_flow` "CLIENT_CREDENTIALS"; expected "M2M", "USER_FEDERATION" or
/// //        "ON_BEHALF_OF_TOKEN_EXCHANGE"
/// #[requires_access_token(provider_name = "github", scopes = [], auth_flow = "CLIENT_CREDENTIALS")]
/// async fn repos(access_token: SecretString) -> Result<(), agentcore_identity::Error> {
///     let _ = access_token;
///     Ok(())
/// }
/// ```
#[proc_macro_attribute]
pub fn requires_access_token(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::credential_fn(Kind::AccessToken, args.into(), item.into()).into()
}

/// Injects an IAM web identity token: a JWT signed by AWS STS (`GetWebIdentityToken`) for the
/// agent's own IAM identity, as the Python SDK's `@requires_iam_access_token`. External services
/// that trust the AWS account's issuer URL accept it as a bearer token: no client secret, no
/// credential provider, no workload access token.
///
/// ```no_run
/// # #![allow(dead_code)]
/// use agentcore_identity::requires_iam_access_token;
/// use agentcore_identity::secrecy::{ExposeSecret, SecretString};
///
/// # #[derive(Debug)] pub struct MyError;
/// # impl From<agentcore_identity::Error> for MyError { fn from(_: agentcore_identity::Error) -> Self { MyError } }
/// #[requires_iam_access_token(
///     audience = ["https://api.example.com"],
///     signing_algorithm = "ES384",
///     duration_seconds = 300,
///     tags = [("team", "payments")],
/// )]
/// async fn call_external_api(query: &str, access_token: SecretString) -> Result<String, MyError> {
///     let _authorization = format!("Bearer {}", access_token.expose_secret());
///     Ok(format!("answer to {query}"))
/// }
///
/// # async fn run() -> Result<(), MyError> {
/// let answer = call_external_api("status").await?; // `access_token` is not a parameter any more
/// # let _ = answer; Ok(()) }
/// ```
///
/// # Arguments
///
/// | argument | value | default |
/// |---|---|---|
/// | `audience` | `["https://a", ..]` (1 to 10, checked at compile time) or an expression: any `IntoIterator` of `AsRef<str>`; the token's `aud` claim | required, as in Python |
/// | `signing_algorithm` | `"ES384"` or `"RS256"` (checked at compile time), or an expression giving an `agentcore_identity::SigningAlgorithm` | `"ES384"` |
/// | `duration_seconds` | the token's lifetime, 60 to 3600 (a literal is checked at compile time; a `u32` expression on each call) | `300` |
/// | `tags` | `[("key", value), ..]` or `{ "key": value, .. }` (at most 50 and literal keys checked at compile time, no key twice; values are expressions), or an expression: any `IntoIterator` of pairs of `AsRef<str>`; STS adds them to the token as claims | none |
/// | `into` | the parameter to inject, a string | `"access_token"` (as in Python) |
/// | `client` | an expression giving an `IdentityClient` (or `&`/`Arc` of one) | the process default client |
/// | `crate` | the path of `agentcore_identity`, a string | `"::agentcore_identity"` |
///
/// The token is cached by the client, per request (audiences, algorithm, duration, tags), until
/// shortly before it expires; concurrent first calls share one STS request. STS is reached at
/// the client's STS endpoint (`IdentityClientBuilder::sts_endpoint`, else `endpoint_url`, else
/// `AWS_ENDPOINT_URL_STS`, else the region's). If the account has not enabled outbound web
/// identity federation, the function returns
/// `Err(Error::WebIdentityFederationDisabled { .. }.into())`, whose message says how to enable
/// it (`aws iam enable-outbound-web-identity-federation`). The agent's role needs
/// `sts:GetWebIdentityToken`.
///
/// See [the common rules](macros/index.html) (`agentcore_identity::macros`) for the parameter
/// type and the return rule.
///
/// # Equivalent code without the macro
///
/// ```no_run
/// # #![allow(dead_code)]
/// # use agentcore_identity::secrecy::SecretString;
/// # #[derive(Debug)] pub struct MyError;
/// # impl From<agentcore_identity::Error> for MyError { fn from(_: agentcore_identity::Error) -> Self { MyError } }
/// use agentcore_identity::{IamTokenRequest, SigningAlgorithm};
///
/// async fn call_external_api(query: &str) -> Result<String, MyError> {
///     let client = agentcore_identity::default_client().await?; // or `client = ..`
///     let access_token: SecretString = client
///         .get_iam_access_token(
///             IamTokenRequest::new(["https://api.example.com"])
///                 .signing_algorithm(SigningAlgorithm::Es384)
///                 .duration_seconds(300)
///                 .tag("team", "payments"),
///         )
///         .await?;
///     {
///         // the original body
///         # let _ = access_token;
///         Ok(format!("answer to {query}"))
///     }
/// }
/// ```
///
/// # Compile-time errors
///
/// An empty `audience`, an unknown `signing_algorithm` (`"es384"`: did you mean `"ES384"`?), a
/// literal `duration_seconds` outside 60..=3600, a tag key given twice or that STS would refuse,
/// unknown, duplicate and missing arguments are reported on the offending token:
///
/// ```compile_fail
/// # #![allow(dead_code)]
/// use agentcore_identity::requires_iam_access_token;
/// use agentcore_identity::secrecy::SecretString;
///
/// // error: `duration_seconds = 7200` is out of range: STS issues tokens for 60 to 3600 seconds
/// #[requires_iam_access_token(audience = ["https://api.example.com"], duration_seconds = 7200)]
/// async fn call(access_token: SecretString) -> Result<(), agentcore_identity::Error> {
///     let _ = access_token;
///     Ok(())
/// }
/// ```
#[proc_macro_attribute]
pub fn requires_iam_access_token(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::credential_fn(Kind::IamToken, args.into(), item.into()).into()
}

/// Injects the workload access token (WAT) of the current request, as the Python SDK's
/// `@requires_wat`: for propagating the workload identity to a downstream AgentCore Runtime or
/// Gateway (header `X-Amz-Bedrock-AgentCore-Identity-WAT`).
///
/// The token is read from the request context (`agentcore_identity::context::RequestContext`),
/// where the runtime app puts the one AgentCore Runtime sent with the request; there is no local
/// development fallback (as in Python). Outside a request context the function returns
/// `Err(Error::NoWorkloadAccessToken.into())` and the body does not run.
///
/// Nothing is awaited, so `#[requires_wat]` works on `fn` and `async fn`.
///
/// # Arguments
///
/// | argument | value | default |
/// |---|---|---|
/// | `into` | the parameter to inject, a string | `"identity_wat"` (as in Python) |
/// | `crate` | the path of `agentcore_identity`, a string | `"::agentcore_identity"` |
///
/// Example: the crate docs of `agentcore-identity-macros`; rules: [the common
/// rules](macros/index.html) (`agentcore_identity::macros`).
///
/// # Equivalent code without the macro
///
/// ```
/// # use agentcore_identity::secrecy::SecretString;
/// # #[derive(Debug)] pub struct MyError;
/// # impl From<agentcore_identity::Error> for MyError { fn from(_: agentcore_identity::Error) -> Self { MyError } }
/// use agentcore_identity::context::RequestContext;
///
/// fn call_downstream(query: &str) -> Result<String, MyError> {
///     let identity_wat: SecretString = RequestContext::current()
///         .and_then(|ctx| ctx.workload_access_token().cloned())
///         .ok_or(agentcore_identity::Error::NoWorkloadAccessToken)?;
///     {
///         // the original body
///         # let _ = identity_wat;
///         Ok(query.to_owned())
///     }
/// }
/// # assert!(call_downstream("q").is_err());
/// ```
///
/// # Compile-time errors
///
/// ```compile_fail
/// # #![allow(dead_code)]
/// use agentcore_identity::requires_wat;
/// use agentcore_identity::secrecy::SecretString;
///
/// // error: `provider_name` is not an argument of `#[requires_wat]`
/// #[requires_wat(provider_name = "openai")]
/// fn f(identity_wat: SecretString) -> Result<(), agentcore_identity::Error> {
///     let _ = identity_wat;
///     Ok(())
/// }
/// ```
#[proc_macro_attribute]
pub fn requires_wat(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::credential_fn(Kind::Wat, args.into(), item.into()).into()
}
