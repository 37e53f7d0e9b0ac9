//! AWS error shapes (restJson1): status code, `x-amzn-errortype` header, body `{"__type", "message", ...}`.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::{Error, FieldError};
use crate::store::StoreError;

/// An error answer. Messages never carry secrets.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) reason: Option<&'static str>,
    pub(crate) fields: Vec<FieldError>,
}

impl ApiError {
    pub(crate) fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            message: message.into(),
            reason: None,
            fields: Vec::new(),
        }
    }
    /// 400 ValidationException, reason FieldValidationFailed, with the violations.
    pub(crate) fn validation_fields(fields: Vec<FieldError>) -> Self {
        let n = fields.len();
        let detail: Vec<String> = fields
            .iter()
            .map(|f| {
                format!(
                    "Value at '{}' failed to satisfy constraint: {}",
                    f.name, f.message
                )
            })
            .collect();
        let message = format!(
            "{n} validation error{} detected: {}",
            if n == 1 { "" } else { "s" },
            detail.join("; ")
        );
        Self {
            reason: Some("FieldValidationFailed"),
            fields,
            ..Self::new(400, "ValidationException", message)
        }
    }
    /// 400 ValidationException with one field.
    pub(crate) fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::validation_fields(vec![FieldError {
            name: field.into(),
            message: message.into(),
        }])
    }
    /// 400 ValidationException without fields (semantic validation).
    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Self {
            reason: Some("FieldValidationFailed"),
            ..Self::new(400, "ValidationException", message)
        }
    }
    /// 400 ValidationException, reason CannotParse.
    pub(crate) fn cannot_parse(message: impl Into<String>) -> Self {
        Self {
            reason: Some("CannotParse"),
            ..Self::new(400, "ValidationException", message)
        }
    }
    /// 403 AccessDeniedException.
    pub(crate) fn access_denied(message: impl Into<String>) -> Self {
        Self::new(403, "AccessDeniedException", message)
    }
    /// The error a fault-injected request answers with.
    pub(crate) fn injected(status: u16) -> Self {
        let code = match status {
            400 => "ValidationException",
            401 => "UnauthorizedException",
            403 => "AccessDeniedException",
            404 => "ResourceNotFoundException",
            429 => "ThrottlingException",
            503 => "ServiceUnavailableException",
            _ => "InternalServerException",
        };
        Self::new(status, code, format!("Injected fault ({status})"))
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "storage failure");
        ApiError::new(500, "InternalServerException", "Internal storage error")
    }
}

/// Each domain error as AWS answers it.
impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        match e {
            Error::Invalid { fields } => ApiError::validation_fields(fields),
            Error::Refused(m) => ApiError::validation(m),
            Error::NotFound(m) => ApiError::new(404, "ResourceNotFoundException", m),
            Error::Denied(m) => ApiError::access_denied(m),
            Error::Conflict(m) => ApiError::new(409, "ConflictException", m),
            Error::Throttled(m) => ApiError::new(429, "ThrottlingException", m),
            Error::Internal(m) => ApiError::new(500, "InternalServerException", m),
            Error::Storage(e) => e.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "__type": self.code, "message": self.message });
        if let Some(r) = self.reason {
            body["reason"] = json!(r);
        }
        if self.code == "ValidationException" {
            body["fieldList"] = serde_json::to_value(&self.fields).unwrap_or_default();
        }
        let mut resp = (
            self.status,
            [("content-type", "application/json")],
            body.to_string(),
        )
            .into_response();
        resp.headers_mut()
            .insert("x-amzn-errortype", HeaderValue::from_static(self.code));
        resp
    }
}
