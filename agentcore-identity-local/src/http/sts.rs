//! STS on the wire (awsQuery): a form-encoded POST to `/` with `Action` and `Version`, answered
//! in XML (`{Action}Response/{Action}Result`, `ResponseMetadata/RequestId`), errors as
//! `ErrorResponse/Error/{Type,Code,Message}` with `RequestId`. Only `GetWebIdentityToken` is
//! served; the issuer's discovery document and JWKS are plain JSON GETs.

use std::collections::BTreeMap;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use crate::state::AppState;
use crate::sts::{RawTokenRequest, TokenRequest, iso8601};

/// The STS API version.
pub(crate) const VERSION: &str = "2011-06-15";
/// The STS XML namespace.
const XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// A decoded awsQuery request: its parameters (the last of repeated names wins).
#[derive(Debug, Default)]
pub(crate) struct QueryForm(BTreeMap<String, String>);

impl QueryForm {
    /// Decodes a form-encoded body (`application/x-www-form-urlencoded`, else 400).
    pub(crate) fn parse(ct: Option<&str>, bytes: &[u8]) -> Result<Self, ApiError> {
        if !bytes.iter().all(u8::is_ascii_whitespace)
            && ct != Some("application/x-www-form-urlencoded")
        {
            return Err(ApiError::new(
                400,
                "InvalidParameterValue",
                format!(
                    "Unsupported content type {:?}; STS expects application/x-www-form-urlencoded",
                    ct.unwrap_or("(none)")
                ),
            ));
        }
        Ok(Self(
            url::form_urlencoded::parse(bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        ))
    }

    /// One parameter.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The operation named by `Action` (and `Version` 2011-06-15), or the error STS answers.
    pub(crate) fn action(&self) -> Result<&str, ApiError> {
        let action = self.get("Action").ok_or_else(|| {
            ApiError::new(
                400,
                "MissingAction",
                "The request must contain the parameter Action",
            )
        })?;
        match self.get("Version") {
            Some(VERSION) => {}
            Some(_) => {
                return Err(ApiError::new(
                    400,
                    "InvalidAction",
                    format!("STS version must be {VERSION}"),
                ));
            }
            None => {
                return Err(ApiError::new(
                    400,
                    "MissingParameter",
                    "The request must contain the parameter Version",
                ));
            }
        }
        Ok(action)
    }

    /// The list `{name}.member.N` in N order; `None` when no member and no bare `{name}` is
    /// present (a bare `{name}=` is an empty list).
    fn list(&self, name: &str) -> Option<Vec<String>> {
        let prefix = format!("{name}.member.");
        let items: BTreeMap<u32, String> = self
            .0
            .iter()
            .filter_map(|(k, v)| {
                let n = k.strip_prefix(&prefix)?.parse::<u32>().ok()?;
                Some((n, v.clone()))
            })
            .collect();
        if items.is_empty() && !self.0.contains_key(name) {
            return None;
        }
        Some(items.into_values().collect())
    }

    /// The structure list `Tags.member.N.{Key,Value}` in N order.
    fn tags(&self) -> Option<Vec<(Option<String>, Option<String>)>> {
        let mut items: BTreeMap<u32, (Option<String>, Option<String>)> = BTreeMap::new();
        for (k, v) in &self.0 {
            let Some(rest) = k.strip_prefix("Tags.member.") else {
                continue;
            };
            let Some((n, part)) = rest.split_once('.') else {
                continue;
            };
            let Ok(n) = n.parse::<u32>() else { continue };
            let e = items.entry(n).or_default();
            match part {
                "Key" => e.0 = Some(v.clone()),
                "Value" => e.1 = Some(v.clone()),
                _ => {}
            }
        }
        if items.is_empty() && !self.0.contains_key("Tags") {
            return None;
        }
        Some(items.into_values().collect())
    }
}

/// The GetWebIdentityToken request of `form`, checked against the model.
pub(crate) fn check_web_identity_token(form: &QueryForm) -> Result<TokenRequest, ApiError> {
    Ok(RawTokenRequest {
        audience: form.list("Audience"),
        signing_algorithm: form.get("SigningAlgorithm").map(str::to_string),
        duration_seconds: form.get("DurationSeconds").map(str::to_string),
        tags: form.tags(),
        scope: form.get("Scope").map(str::to_string),
        subject_mode: form.get("SubjectMode").map(str::to_string),
    }
    .check()?)
}

/// GetWebIdentityToken.
pub(crate) fn get_web_identity_token(
    st: &AppState,
    region: String,
    form: &QueryForm,
) -> Result<Response, ApiError> {
    let request = check_web_identity_token(form)?;
    let caller = st.config.caller(region);
    let issued = st.sts.issue(&request, &caller)?;
    tracing::info!(
        algorithm = request.algorithm.name(),
        duration_seconds = request.duration_secs,
        audiences = request.audience.len(),
        tags = request.tags.len(),
        "web identity token issued"
    );
    let body = format!(
        "<GetWebIdentityTokenResponse xmlns=\"{XMLNS}\">\n  <GetWebIdentityTokenResult>\n    \
         <WebIdentityToken>{}</WebIdentityToken>\n    <Expiration>{}</Expiration>\n  \
         </GetWebIdentityTokenResult>\n  <ResponseMetadata>\n    <RequestId>{}</RequestId>\n  \
         </ResponseMetadata>\n</GetWebIdentityTokenResponse>\n",
        escape(issued.token.expose()),
        iso8601(issued.expiration),
        request_id(),
    );
    Ok(xml(StatusCode::OK, body))
}

fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn xml(status: StatusCode, body: String) -> Response {
    (status, [("content-type", "text/xml")], body).into_response()
}

/// XML text escaping.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// An error as STS answers it. restJson1's `ValidationException` is STS's `ValidationError`.
pub(crate) fn xml_error(e: ApiError) -> Response {
    let code = match e.code {
        "ValidationException" => "ValidationError",
        "UnknownOperationException" => "InvalidAction",
        "MissingAuthenticationTokenException" => "MissingAuthenticationToken",
        "InvalidSignatureException" => "SignatureDoesNotMatch",
        "UnrecognizedClientException" => "InvalidClientTokenId",
        "IncompleteSignatureException" => "IncompleteSignature",
        "AccessDeniedException" => "AccessDenied",
        other => other,
    };
    let kind = if e.status.is_server_error() {
        "Receiver"
    } else {
        "Sender"
    };
    let id = request_id();
    let body = format!(
        "<ErrorResponse xmlns=\"{XMLNS}\">\n  <Error>\n    <Type>{kind}</Type>\n    \
         <Code>{code}</Code>\n    <Message>{}</Message>\n  </Error>\n  \
         <RequestId>{id}</RequestId>\n</ErrorResponse>\n",
        escape(&e.message)
    );
    let mut resp = xml(e.status, body);
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-amzn-requestid", v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_tags_in_member_order() {
        let form = QueryForm::parse(
            Some("application/x-www-form-urlencoded"),
            b"Action=GetWebIdentityToken&Version=2011-06-15&Audience.member.10=j&Audience.member.2=b\
              &Audience.member.1=a&Tags.member.2.Key=k2&Tags.member.1.Value=v1&Tags.member.1.Key=k1",
        )
        .unwrap();
        assert_eq!(form.action().unwrap(), "GetWebIdentityToken");
        assert_eq!(form.list("Audience").unwrap(), ["a", "b", "j"]);
        assert_eq!(
            form.tags().unwrap(),
            [
                (Some("k1".into()), Some("v1".into())),
                (Some("k2".into()), None)
            ]
        );
        assert_eq!(form.list("Missing"), None);
        let empty =
            QueryForm::parse(Some("application/x-www-form-urlencoded"), b"Audience=").unwrap();
        assert_eq!(empty.list("Audience"), Some(vec![]));
        assert_eq!(empty.action().unwrap_err().code, "MissingAction");
    }

    #[test]
    fn escapes_error_text() {
        assert_eq!(escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
    }
}
