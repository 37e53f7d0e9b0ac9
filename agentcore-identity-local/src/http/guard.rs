//! Who may talk to the service. Every request must name it in `Host`: its loopback names
//! (`127.0.0.1`, `localhost`, `[::1]`) or the address it is bound to, with its port, or the host
//! and port of the configured public URL. That defeats DNS rebinding, where a page's own host
//! name re-resolves to 127.0.0.1 and the browser sends that name. No cross-site browser request
//! (an `Origin` of another origin, `Sec-Fetch-Site: cross-site` or `same-site`) reaches the API;
//! the browser routes (authorize, callback) stay navigable with GET from the provider's site but
//! take nothing else cross-site. Refusals are 403 `AccessDeniedException` (at `/`, where STS is
//! served, STS's XML error `AccessDenied`, the shape STS clients parse), logged without secrets
//! (no query string, no header but the offending one, cut short).

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// The hosts and origins the service answers to.
#[derive(Debug, Clone)]
pub(crate) struct Guard {
    /// `host:port`, lower case (and the bare host where the port is the scheme's default).
    hosts: Vec<String>,
    /// `scheme://host[:port]`, lower case.
    origins: Vec<String>,
}

impl Guard {
    /// The names of a service listening on `bound:port`, reached also as `public_url`.
    pub(crate) fn new(bound: IpAddr, port: u16, public_url: Option<&url::Url>) -> Self {
        let mut names = vec![
            "127.0.0.1".to_string(),
            "localhost".to_string(),
            "[::1]".to_string(),
        ];
        if !bound.is_unspecified() {
            names.push(match bound {
                IpAddr::V6(ip) => format!("[{ip}]"),
                IpAddr::V4(ip) => ip.to_string(),
            });
        }
        let mut g = Guard {
            hosts: Vec::new(),
            origins: Vec::new(),
        };
        for n in &names {
            g.add("http", n, port);
        }
        if let Some(u) = public_url
            && let (Some(host), Some(port)) = (u.host_str(), u.port_or_known_default())
        {
            g.add(u.scheme(), host, port);
        }
        g
    }

    fn add(&mut self, scheme: &str, host: &str, port: u16) {
        let host = host.to_ascii_lowercase();
        let default = matches!((scheme, port), ("http", 80) | ("https", 443));
        self.hosts.push(format!("{host}:{port}"));
        self.origins.push(format!("{scheme}://{host}:{port}"));
        if default {
            self.hosts.push(host.clone());
            self.origins.push(format!("{scheme}://{host}"));
        }
    }

    /// Why `req` is refused, if it is.
    pub(crate) fn refuse(&self, req: &Request) -> Option<&'static str> {
        let headers = req.headers();
        let named = headers.get("host").is_some_and(|h| {
            self.hosts
                .iter()
                .any(|ok| ok.as_bytes().eq_ignore_ascii_case(h.as_bytes()))
        });
        if !named {
            return Some("the Host header does not name this service");
        }
        let navigation = matches!(*req.method(), Method::GET | Method::HEAD)
            && matches!(
                req.uri().path(),
                "/identities/oauth2/authorize" | "/identities/oauth2/callback"
            );
        if navigation {
            return None;
        }
        if let Some(origin) = headers.get("origin") {
            let ok = self
                .origins
                .iter()
                .any(|o| o.as_bytes().eq_ignore_ascii_case(origin.as_bytes()));
            if !ok {
                return Some("cross-origin requests are not served");
            }
        }
        match headers.get("sec-fetch-site").map(|v| v.as_bytes()) {
            Some(b"cross-site") | Some(b"same-site") => {
                Some("cross-site browser requests are not served")
            }
            _ => None,
        }
    }
}

/// Text of a header for a log line: at most 100 characters.
fn shown(req: &Request, name: &str) -> String {
    req.headers()
        .get(name)
        .map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .chars()
                .take(100)
                .collect()
        })
        .unwrap_or_default()
}

/// The middleware.
pub(crate) async fn check(State(g): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    match g.refuse(&req) {
        None => next.run(req).await,
        Some(why) => {
            tracing::warn!(
                method = %req.method(),
                path = %req.uri().path().chars().take(200).collect::<String>(),
                host = %shown(&req, "host"),
                origin = %shown(&req, "origin"),
                sec_fetch_site = %shown(&req, "sec-fetch-site"),
                "request refused: {why}"
            );
            let e = ApiError::access_denied(format!("Request refused: {why}"));
            if req.uri().path() == "/" {
                super::sts::xml_error(e)
            } else {
                e.into_response()
            }
        }
    }
}
