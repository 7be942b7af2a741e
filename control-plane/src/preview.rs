//! The preview origin: `p-<session>-<port>.<preview domain>` (`oi_session_core::preview`), where
//! the app a session's sandbox serves is shown to the people who may view the session, on an
//! origin of its own so the app's pages never run on the control plane's.
//!
//! `GET /__oi/enter?ticket=` swaps a one-minute ticket (from `POST /api/sessions/:id/previews/:port`
//! on the control plane's origin) for a pass, kept in this origin's `oi_preview` cookie; every
//! other request needs the pass and goes, as its person, to the session's Durable Object, which
//! checks the session's access rules and carries it over the bridge.
//!
//! Invariant: nothing reaches a session without a valid pass for that session and port.

use oi_protocol::preview::MAX_PREVIEW_REQUEST_BYTES;
use oi_protocol::{ApiError, ErrorCode};
use oi_session_core::preview::address::{self, PreviewAddress};
use oi_session_core::preview::headers::PASS_COOKIE;
use oi_session_core::preview::pass::{self, Kind, PASS_TTL_SECS};
use worker::{Env, Request, RequestInit, Response};

use crate::auth::cookies::cookie_value;
use crate::auth::{forwarded, Caller};
use crate::config;
use crate::http::{failure_response, query_param, read_body, Outcome};
use crate::session::internal::SessionStub;

/// The preview a request is for, when its host is a preview origin.
pub fn address_of(req: &Request, env: &Env) -> Option<PreviewAddress> {
    let url = req.url().ok()?;
    let host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str()?),
        None => url.host_str()?.to_string(),
    };
    address::parse(&host, &config::preview_domain(env, &url))
}

/// Answers a request on a preview origin.
pub async fn handle(req: Request, env: &Env, at: PreviewAddress) -> worker::Result<Response> {
    match serve(req, env, &at).await {
        Ok(response) => Ok(response),
        Err(failure) => failure_response(failure),
    }
}

async fn serve(mut req: Request, env: &Env, at: &PreviewAddress) -> Outcome<Response> {
    let secret = config::preview_secret(env).ok_or_else(|| {
        ApiError::new(ErrorCode::Misconfigured, "previews need SESSION_SIGNING_KEY, SECRETS_KEY or LOCAL_TOKEN")
    })?;
    let now = crate::ids::now_ms() / 1000;
    let url = req.url()?;
    if url.path() == "/__oi/enter" {
        let ticket = query_param(&url, "ticket").unwrap_or_default();
        let claims = pass::verify(Kind::Ticket, &secret, &ticket, at, now)
            .map_err(|refused| ApiError::new(ErrorCode::Forbidden, refused.message()))?;
        let pass = pass::issue(Kind::Pass, &secret, &claims.user, claims.role, at, now);
        let secure = if url.scheme() == "https" { "; Secure" } else { "" };
        let cookie = format!("{PASS_COOKIE}={pass}; Path=/; HttpOnly; SameSite=Lax; Max-Age={PASS_TTL_SECS}{secure}");
        let mut response = Response::empty()?.with_status(302);
        response.headers_mut().set("location", "/")?;
        response.headers_mut().set("set-cookie", &cookie)?;
        response.headers_mut().set("cache-control", "no-store")?;
        return Ok(response);
    }
    let cookies = req.headers().get("cookie")?.unwrap_or_default();
    let Some(token) = cookie_value(&cookies, PASS_COOKIE) else {
        return Err(ApiError::new(
            ErrorCode::Unauthorized,
            "this preview needs a pass: open it from the session's page (Preview)",
        )
        .into());
    };
    let claims = pass::verify(Kind::Pass, &secret, &token, at, now)
        .map_err(|refused| ApiError::new(ErrorCode::Unauthorized, refused.message()))?;
    let caller = Caller { user: claims.user, role: claims.role };

    let body = read_body(&mut req, MAX_PREVIEW_REQUEST_BYTES).await?;
    let headers = req.headers().clone();
    forwarded::clear(&headers);
    forwarded::set(&headers, &caller)?;
    let mut init = RequestInit::new();
    init.with_method(req.method()).with_headers(headers);
    if !body.is_empty() {
        init.with_body(Some(js_sys::Uint8Array::from(body.as_slice()).into()));
    }
    let query = url.query().map(|q| format!("?{q}")).unwrap_or_default();
    let inner =
        format!("https://session.internal/api/sessions/{}/preview/{}{}{query}", at.session_id, at.port, url.path());
    Ok(SessionStub::new(env, &at.session_id)?.forward(Request::new_with_init(&inner, &init)?).await?)
}
