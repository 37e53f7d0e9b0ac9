//! [`Credential`]: what a macro-injected parameter may be.

use secrecy::{ExposeSecret, SecretString};

/// A type a credential can be injected as (by `#[requires_api_key]` / `#[requires_access_token]`).
///
/// Implemented for [`SecretString`] (recommended: `Debug` prints `[REDACTED]`, the memory is
/// zeroed on drop) and for [`String`] — which hands the plain secret to your code, where it can end
/// up in logs or error messages; prefer `SecretString` and call `expose_secret()` only where the
/// value is sent.
pub trait Credential {
    /// Builds the credential from the secret.
    fn from_secret(secret: SecretString) -> Self;
}

impl Credential for SecretString {
    fn from_secret(secret: SecretString) -> Self {
        secret
    }
}

impl Credential for String {
    fn from_secret(secret: SecretString) -> Self {
        secret.expose_secret().to_owned()
    }
}
