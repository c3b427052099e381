//! Cross-site request forgery protection for every state-changing request (anything but GET,
//! HEAD, OPTIONS): server functions, plain form posts without JavaScript, document uploads.
//!
//! The check follows the browser's own statement of where a request comes from, as OWASP's CSRF
//! cheat sheet recommends ("Fetch Metadata" and "verifying origin with standard headers"):
//! 1. `Sec-Fetch-Site` (every current browser sends it): only `same-origin` and `none` (typed
//!    by the user) pass; `same-site` and `cross-site` are refused.
//! 2. Without it, `Origin` must be the portal's own origin: `ECM_PUBLIC_URL`, or the `Host` the
//!    request was sent to. `Origin: null` (sandboxed frames, some redirects) is refused.
//! 3. With neither header the request does not come from a browser page (curl, the test
//!    suite, monitoring): it carries no ambient authority a third-party page could abuse, so it
//!    passes. Session cookies are also `SameSite=Lax`, a second line of defence.
//!
//! No token is needed: the portal never accepts a state change through GET, and MyPay never
//! posts to the portal (its return is a GET redirect, see docs/mypay.md §5.2).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Which origins may send state-changing requests.
#[derive(Debug, Clone)]
pub struct CsrfPolicy {
    /// `scheme://host[:port]` of `ECM_PUBLIC_URL`, lower case.
    public_origin: String,
}

impl CsrfPolicy {
    pub fn new(public_url: &str) -> CsrfPolicy {
        CsrfPolicy { public_origin: origin_of(public_url) }
    }

    /// `Ok` when the request may change state; `Err` with the reason (for the log) otherwise.
    pub fn check(&self, method: &Method, headers: &HeaderMap) -> Result<(), &'static str> {
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            return Ok(());
        }
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(|v| v.trim().to_ascii_lowercase());
        if let Some(site) = text("sec-fetch-site") {
            return match site.as_str() {
                "same-origin" | "none" => Ok(()),
                "same-site" => Err("request from another site of the same registrable domain"),
                _ => Err("cross-site request"),
            };
        }
        let Some(origin) = text(header::ORIGIN.as_str()) else {
            return Ok(());
        };
        if origin == self.public_origin {
            return Ok(());
        }
        let host = text(header::HOST.as_str());
        match (origin.split_once("://"), host) {
            (Some((_, authority)), Some(host)) if authority == host => Ok(()),
            _ => Err("Origin is not the portal"),
        }
    }
}

/// `scheme://authority` of a URL, lower case, without path or trailing slash.
fn origin_of(url: &str) -> String {
    let url = url.trim().to_ascii_lowercase();
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            format!("{scheme}://{authority}")
        }
        None => url,
    }
}

/// The middleware: refuses forged requests with 403 and an Italian page, logs why in English.
pub async fn guard(State(policy): State<CsrfPolicy>, request: Request<Body>, next: Next) -> Response {
    match policy.check(request.method(), request.headers()) {
        Ok(()) => next.run(request).await,
        Err(reason) => {
            tracing::warn!(method = %request.method(), path = %request.uri().path(), reason, "state-changing request refused (CSRF check)");
            (
                StatusCode::FORBIDDEN,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "Richiesta rifiutata: le operazioni del portale si possono eseguire solo dalle sue pagine. \
                 Torni al portale e ripeta l'operazione.",
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn fetch_metadata_decides_first() {
        let policy = CsrfPolicy::new("https://ecm.regione.veneto.it/");
        assert!(policy.check(&Method::POST, &headers(&[("sec-fetch-site", "same-origin")])).is_ok());
        assert!(policy.check(&Method::POST, &headers(&[("sec-fetch-site", "none")])).is_ok());
        assert!(policy.check(&Method::POST, &headers(&[("sec-fetch-site", "cross-site")])).is_err());
        assert!(policy.check(&Method::POST, &headers(&[("sec-fetch-site", "same-site")])).is_err());
        // Fetch metadata wins over a matching Origin.
        let forged = headers(&[("sec-fetch-site", "cross-site"), ("origin", "https://ecm.regione.veneto.it")]);
        assert!(policy.check(&Method::POST, &forged).is_err());
    }

    #[test]
    fn origin_must_be_the_portal() {
        let policy = CsrfPolicy::new("https://ecm.regione.veneto.it");
        assert!(policy.check(&Method::POST, &headers(&[("origin", "https://ECM.regione.veneto.it")])).is_ok());
        assert!(policy.check(&Method::POST, &headers(&[("origin", "https://evil.example")])).is_err());
        assert!(policy.check(&Method::POST, &headers(&[("origin", "null")])).is_err());
        assert!(policy
            .check(&Method::DELETE, &headers(&[("origin", "https://ecm.regione.veneto.it.evil.example")]))
            .is_err());
        // Reached directly on its bound address (Host), e.g. behind a proxy that keeps Host.
        let direct = headers(&[("origin", "http://127.0.0.1:3000"), ("host", "127.0.0.1:3000")]);
        assert!(policy.check(&Method::POST, &direct).is_ok());
        let other_port = headers(&[("origin", "http://127.0.0.1:4000"), ("host", "127.0.0.1:3000")]);
        assert!(policy.check(&Method::POST, &other_port).is_err());
    }

    #[test]
    fn safe_methods_and_non_browser_clients_pass() {
        let policy = CsrfPolicy::new("https://ecm.regione.veneto.it");
        assert!(policy.check(&Method::GET, &headers(&[("sec-fetch-site", "cross-site")])).is_ok());
        assert!(policy.check(&Method::POST, &HeaderMap::new()).is_ok());
    }
}
