//! # agentcore-identity-local
//!
//! An offline Amazon Bedrock AgentCore Identity service: workload identities, API-key and OAuth2
//! credential providers, and the token vault (workload access tokens, API keys, M2M and
//! USER_FEDERATION OAuth2 tokens), speaking the real restJson1 wire protocol of both the
//! `bedrock-agentcore` (data plane) and `bedrock-agentcore-control` (control plane) services on one
//! port. Unmodified official clients (the AWS SDK for Rust, boto3, the AWS CLI, the Python
//! `bedrock-agentcore` SDK) work against it by endpoint override alone.
//!
//! Start it in-process (tests) with [`LocalIdentityService::builder`], or run the binary
//! `agentcore-identity-local serve [--port N] [--data-dir DIR] [--bind ADDR]`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), agentcore_identity_local::Error> {
//! use agentcore_identity_local::LocalIdentityService;
//!
//! let handle = LocalIdentityService::builder().port(0).start().await?;
//! println!("AWS_ENDPOINT_URL={}", handle.endpoint());
//! assert_eq!(handle.request_count("GetResourceApiKey"), 0);
//! handle.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! ## Semantics worth knowing
//! - Workload access tokens are opaque, sealed with ChaCha20-Poly1305 (key derived from the
//!   master key), expire (default 1 h), and are bound to the workload identity's incarnation and
//!   the user. A forged, expired, or deleted-workload token is refused with
//!   `AccessDeniedException` (403).
//! - User JWTs (`GetWorkloadAccessTokenForJWT`, `CompleteResourceTokenAuth` with `userToken`) with
//!   `alg: none` or no signature are refused; with [`Builder::trust_issuer`] the signature,
//!   expiry, issuer, audience and client are verified against the issuer's keys, without it they
//!   are decoded, **not verified** (said at start): their `sub` is the user.
//! - Secrets (API keys, client secrets, tokens) are encrypted at rest with ChaCha20-Poly1305 and never
//!   logged. Every write is committed before the answer.
//! - Only requests whose `Host` names the service are answered, never a cross-site browser
//!   request; a non-loopback bind needs [`Builder::verify_sigv4`]. SigV4 signatures are not
//!   verified unless it is set; a present `Authorization` header must be well-formed SigV4 (its
//!   credential scope gives the region of created ARNs). Requests without one are accepted.
//! - Header-read, body and idle timeouts and a shutdown deadline bound stuck clients (see the
//!   builder). The crate README's "Security model" says what is trusted and refused.
//!
//! ## Layout
//! `http/` is the only module that knows HTTP (routing, restJson1, AWS error shapes, SigV4, the
//! browser endpoints); it calls the domain (`vault`, `wat`, `idp`, `validate`) over the shared
//! `state` and `store`, and maps the domain's `error::Error` to AWS errors. Imports run one way.

#[doc(hidden)]
pub mod __bench;
mod error;
#[doc(hidden)]
pub mod fuzz_hook;
mod http;
mod idp;
mod jwt;
mod secret;
mod service;
mod state;
mod store;
mod sts;
mod sweep;
mod time;
mod validate;
mod vault;
mod wat;

pub use jwt::{TrustedIssuer, TrustedIssuerParseError};
pub use service::{Builder, Error, LocalIdentityService, ServiceHandle};
