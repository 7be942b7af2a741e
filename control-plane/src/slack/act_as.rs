//! Acting for a Slack user: who they are here (`integrations::people`), and their requests to a
//! session through the same per-session routes a person's browser uses, so the session ACL
//! and roles apply exactly as if they had clicked.

use oi_integrations::people::VendorUser;
use oi_protocol::integrations::IntegrationName;
use oi_protocol::{Role, User};
use serde_json::Value;
use worker::{Env, Headers, Method, Request, RequestInit, Response};

use super::web_api::{SlackApi, SlackCallError};
use crate::auth::{forwarded, users_store, Caller};
use crate::session::internal::SessionStub;

/// Who a Slack user is here, or why nobody (in words for them).
pub async fn person(env: &Env, api: &SlackApi, slack_user: &str) -> Result<Result<Caller, String>, SlackCallError> {
    let info = api.get("users.info", &[("user", slack_user)]).await?;
    let user = &info["user"];
    if user["is_bot"].as_bool() == Some(true) {
        return Ok(Err("bots cannot start sessions".into()));
    }
    // Slack confirms the email of every member of a workspace.
    let email = user["profile"]["email"].as_str();
    let vendor = VendorUser { id: slack_user, email, email_verified: email.is_some() };
    let mapped = crate::integrations::people::acting_person(env, IntegrationName::Slack, vendor)
        .await
        .map_err(|e| SlackCallError::Unreachable(format!("D1: {e}")))?;
    Ok(match mapped {
        Ok(user) => Ok(caller_of(env, user).await),
        Err(why) => Err(why),
    })
}

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
