//! The domain's error: what went wrong, in the service's own terms. The HTTP layer
//! (`http::error`) maps each variant to its AWS error shape; the text a variant carries is the
//! message the caller reads on the wire (AWS's wording), never a secret.

use crate::store::StoreError;

/// One violated constraint: the member's path (`a.b.1`) and what it must satisfy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct FieldError {
    pub(crate) name: String,
    pub(crate) message: String,
}

/// A request the domain cannot serve.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// Members break modelled constraints, one entry per violation.
    #[error("invalid input: {} violated constraint(s)", fields.len())]
    Invalid { fields: Vec<FieldError> },
    /// A well-formed request the service cannot accept as it stands.
    #[error("refused: {0}")]
    Refused(String),
    /// The named resource does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The caller may not do this (bad or expired token, another user's session, a provider's
    /// refusal).
    #[error("access denied: {0}")]
    Denied(String),
    /// The resource exists already.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Too many of something at once (pending sessions).
    #[error("throttled: {0}")]
    Throttled(String),
    /// Something on the service's side failed (an unreachable provider, a broken response).
    #[error("internal failure: {0}")]
    Internal(String),
    /// The store failed; the caller is told no more than that.
    #[error("storage failure")]
    Storage(#[from] StoreError),
}

impl Error {
    /// [`Error::Invalid`] with one violation.
    pub(crate) fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid {
            fields: vec![FieldError {
                name: field.to_string(),
                message: message.into(),
            }],
        }
    }

    /// The caller-facing text (for logs, and for pages that show it).
    pub(crate) fn detail(&self) -> String {
        match self {
            Self::Invalid { fields } => fields
                .iter()
                .map(|f| format!("{}: {}", f.name, f.message))
                .collect::<Vec<_>>()
                .join("; "),
            Self::Refused(m)
            | Self::NotFound(m)
            | Self::Denied(m)
            | Self::Conflict(m)
            | Self::Throttled(m)
            | Self::Internal(m) => m.clone(),
            Self::Storage(_) => "internal storage error".into(),
        }
    }
}
