//! How `#[requires_api_key]`, `#[requires_access_token]`, `#[requires_iam_access_token]` and
//! `#[requires_wat]` work: the rules the four share (feature `macros`). Each macro's own page
//! lists its arguments.
//!
//! | macro | injects | from | default `into` |
//! |---|---|---|---|
//! | [`#[requires_api_key]`](crate::requires_api_key) | an API key | the token vault (`GetResourceApiKey`), for a workload access token | `api_key` |
//! | [`#[requires_access_token]`](crate::requires_access_token) | an OAuth2 access token | the token vault (`GetResourceOauth2Token`), for a workload access token | `access_token` |
//! | [`#[requires_iam_access_token]`](crate::requires_iam_access_token) | an IAM web identity token (JWT) | AWS STS (`GetWebIdentityToken`), for the agent's own IAM identity | `access_token` |
//! | [`#[requires_wat]`](crate::requires_wat) | the workload access token | the request context (nothing is fetched) | `identity_wat` |
//!
//! ```no_run
//! # #![allow(dead_code)]
//! use agentcore_identity::{ExposeSecret, SecretString, requires_api_key};
//!
//! #[derive(Debug)]
//! enum MyError {
//!     Identity(agentcore_identity::Error),
//! }
//! impl From<agentcore_identity::Error> for MyError {
//!     fn from(e: agentcore_identity::Error) -> Self {
//!         MyError::Identity(e)
//!     }
//! }
//!
//! #[requires_api_key(provider_name = "openai-apikey-provider")]
//! async fn ask_model(prompt: &str, api_key: SecretString) -> Result<String, MyError> {
//!     Ok(format!("{prompt} ({} key bytes)", api_key.expose_secret().len()))
//! }
//!
//! # async fn run() -> Result<(), MyError> {
//! let _answer = ask_model("2×2?").await?; // `api_key` is not a parameter any more
//! # Ok(()) }
//! ```
//!
//! # The rules
//!
//! - **What is injected.** The parameter named by `into` (default as in Python: `api_key`,
//!   `access_token`, `identity_wat`, see the table) is **removed from the signature** and bound at the top of the
//!   body. Its type is `SecretString` (recommended: redacted `Debug`, zeroed on drop), `String`,
//!   or any type implementing `agentcore_identity::Credential`. Because it is no longer a
//!   parameter, it can never end up in a tool's JSON schema shown to a model, and callers cannot
//!   pass one.
//! - **Return rule.** The function returns `Result<T, E>` (any path type: `Result`,
//!   `anyhow::Result<T>`, an alias) with `E: From<agentcore_identity::Error>`. When the credential
//!   cannot be had, the function returns `Err(E::from(error))` before the body runs. A missing
//!   `From` impl is reported on the return type.
//! - **Signatures.** Free functions and methods (`&self`, `&mut self`, `self`), generics and
//!   where-clauses, `impl Trait` arguments, lifetimes, any visibility, other attributes (docs,
//!   `#[cfg]`, `#[tracing::instrument]`, ...) all work. The `async fn` stays an `async fn`, so
//!   `return` and `?` are the function's own; the returned future is `Send` whenever the original
//!   one would be. The three macros that fetch need an `async fn`; `#[requires_wat]` only reads
//!   the request context and also works on a plain `fn`.
//! - **Argument values.** Strings for the names (`provider_name`, `auth_flow`,
//!   `signing_algorithm`, `into`, `crate`); everything else is a Rust expression, evaluated on
//!   **each call** at the top of the function, where the parameters (and `self`) are in scope:
//!   `scopes = SCOPES`, `user_id = &self.user`, `client = self.client`, `audience = AUDIENCE`.
//!   Literals are checked at compile time against the service's limits (`provider_name`'s
//!   pattern, a non-empty `audience`, `duration_seconds` in 60..=3600, tag keys); expressions
//!   are checked by the client on each call.
//! - **Which workload access token** (`#[requires_api_key]`, `#[requires_access_token]`;
//!   `#[requires_wat]` injects the context's and fails with
//!   `Error::NoWorkloadAccessToken` without one; `#[requires_iam_access_token]` needs none: the
//!   agent's AWS credentials sign the STS request). Default: the one in the request context
//!   (`agentcore_identity::context::RequestContext`, set per request by the runtime app), else
//!   the local development flow (`.agentcore.json`), as in Python. Override with
//!   `workload_access_token = expr` (a `SecretString`) or with
//!   `workload_identity = "name", user_id = expr` (`GetWorkloadAccessTokenForUserId`).
//! - **Which client.** Default: the process default client
//!   (`agentcore_identity::set_default_client`, else built from the environment on first use).
//!   Override with `client = expr` (an `IdentityClient`, a reference to one or an
//!   `Arc<IdentityClient>`; it is cloned, which is cheap).
//! - **Caching.** Credentials are cached by the client (keyed by workload access token,
//!   provider and request; IAM tokens by request, per client), so a second call is served
//!   without a request to the service (see [`cache`](crate::cache)).
//! - `crate = "path::to::agentcore_identity"` when the crate is re-exported or renamed.
//!
//! # Mistakes the compiler reports, and what to do
//!
//! - **The return type is not a `Result`** (`-> usize`, `-> String`): the macro says so on the
//!   return type; return `Result<T, E>` with `E: From<agentcore_identity::Error>`.
//! - **`Result<T, String>`** (or another error type without `From<agentcore_identity::Error>`):
//!   use your own error type with that `From` impl, or `agentcore_identity::Error` itself, or
//!   `anyhow::Error` / `Box<dyn std::error::Error + Send + Sync>` (both convert).
//! - **`api_key: &str`**: the credential is owned; take `SecretString` (or `String`).
//! - **`auth_flow = "m2m"`**, **`signing_algorithm = "es384"`** or a misspelt argument name
//!   (`audiences` in `#[requires_iam_access_token]`): the macro names the closest valid one.
//! - **`audience = []`**, **`duration_seconds = 7200`**, a tag key given twice: reported on
//!   the literal, with the limit STS applies.
//!
//! # Traits
//!
//! The macros work on methods of `impl` blocks, and on `async fn` in traits (Rust 1.75+) when
//! the trait's own declaration leaves out the injected parameter, since the macro removes it
//! from the implementation's signature:
//!
//! ```no_run
//! # #![allow(dead_code)]
//! use agentcore_identity::{Error, ExposeSecret, SecretString, requires_api_key};
//!
//! trait Model {
//!     // No `api_key` here: callers never pass it.
//!     async fn ask(&self, prompt: &str) -> Result<String, Error>;
//! }
//!
//! struct OpenAi;
//!
//! impl Model for OpenAi {
//!     #[requires_api_key(provider_name = "openai-apikey-provider")]
//!     async fn ask(&self, prompt: &str, api_key: SecretString) -> Result<String, Error> {
//!         Ok(format!("{prompt}: {}", api_key.expose_secret().len()))
//!     }
//! }
//! # let _ = OpenAi;
//! ```
//!
//! `#[async_trait]` methods are not `async fn` any more when the macro sees them (they return a
//! boxed future), so the macros refuse them: put the credential call in a private `async fn`
//! helper with the macro and call it from the `#[async_trait]` method, or use native `async fn`
//! in traits as above.
