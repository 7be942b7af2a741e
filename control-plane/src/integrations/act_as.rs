//! Acting for a vendor's user who maps to a person here: their requests to a session go
//! through the same per-session routes a person's browser uses, so the session ACL and roles
//! apply exactly as if they had clicked. Slack and Linear use it.

use oi_protocol::{Role, User};
use serde_json::Value;
use worker::{Env, Headers, Method, Request, RequestInit, Response};

use crate::auth::{forwarded, users_store, Caller};
use crate::session::internal::SessionStub;

/// A person with their current role (local mode: the local admin).
pub async fn caller_of(env: &Env, user: User) -> Caller {
    let role = if crate::auth::local::local_mode(env) {
        Role::Admin
    } else {
        users_store::person(env, &user.id).await.ok().flatten().map(|p| p.role).unwrap_or(Role::Member)
    };
    Caller { user, role }
}

/// `method /api/sessions/:id/<suffix>` as `caller`, answered by the session's Durable Object.
pub async fn session_route(
    env: &Env,
    caller: &Caller,
    session_id: &str,
    method: Method,
    suffix: &str,
    body: Option<&Value>,
) -> worker::Result<Response> {
    let headers = Headers::new();
    forwarded::set(&headers, caller)?;
    let mut init = RequestInit::new();
    init.with_method(method);
    if let Some(body) = body {
        headers.set("content-type", "application/json")?;
        init.with_body(Some(body.to_string().into()));
    }
    init.with_headers(headers);
    let url = format!("https://session.internal/api/sessions/{session_id}/{suffix}");
    SessionStub::new(env, session_id)?.forward(Request::new_with_init(&url, &init)?).await
}
