//! `/api/sessions`: create and list here (D1); every per-session route goes to the session's
//! Durable Object after the index confirms the session exists.

use oi_protocol::limits::{DEFAULT_SESSIONS_PAGE, MAX_SESSIONS_PAGE};
use oi_protocol::origin::{OriginKind, SessionOrigin};
use oi_protocol::rest::{CreateSessionRequest, SessionList};
use oi_protocol::{ApiError, ErrorCode, SessionStatus, SessionSummary, User};
use oi_session_core::paging::{page_size, SessionCursor};
use oi_session_core::rate_limit;
use oi_session_core::validation::validate_new_session;
use worker::{Env, Method, Request, Response};

use crate::auth::{current_caller, current_user, forwarded};
use crate::github::access;
use crate::http::{json_response, method_not_allowed, query_param, read_json, Failure, Outcome};
use crate::session::internal::{Internal, SessionStub};
use crate::session::routes::{route, Credential, Routed, SessionRoute};
use crate::{config, ids, index_store, pools, rate_limiter};

pub async fn create(mut req: Request, env: &Env, ctx: &worker::Context) -> Outcome<Response> {
    let user = current_user(&req, env).await?;
    let body: CreateSessionRequest = read_json(&mut req).await?;
    // A bearer token is a program; a session cookie is a person at the page.
    let origin = SessionOrigin::of(if crate::auth::bearer(&req).is_some() { OriginKind::Api } else { OriginKind::Web });
    let started = start(env, user, &body, origin).await?;
    if started.pool_used {
        let env = env.clone();
        ctx.wait_until(async move {
            if let Err(e) = pools::refill(&env).await {
                worker::console_error!("refilling the warm pool: {e}");
            }
        });
    }
    json_response(201, &started.summary)
}

/// A session [`start`]ed, and whether it took a warm sandbox (so its pool wants refilling).
pub struct Started {
    pub summary: SessionSummary,
    pub pool_used: bool,
}

/// Starts a session for `user` from `origin`: what `POST /api/sessions` and every integration
/// share. The person's quota, the request's validity and their own access to the repository
/// are checked first; nothing is created when one fails.
pub async fn start(env: &Env, user: User, body: &CreateSessionRequest, origin: SessionOrigin) -> Outcome<Started> {
    start_with_id(env, user, body, origin, &ids::new_id("ses"), StartOptions::default()).await
}

/// Where a session's work is pushed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PushTo {
    /// Its own branch, `oi/<session>`.
    #[default]
    SessionBranch,
    /// The branch it starts from (a pull request's head, for a session answering on it).
    StartBranch,
}

/// How an integration starts a session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StartOptions {
    pub push_to: PushTo,
    /// The integration already asked the repository's host whether the person who asked may
    /// write to it (the GitHub review bot's gate), so the session's own check is not repeated
    /// (it needs their sign-in token, which someone acting from GitHub may not have given).
    pub access_checked_by_host: bool,
}

/// [`start`] under an id the caller chose (an automation run's, so that starting it again
/// finds the same session).
pub async fn start_with_id(
    env: &Env,
    user: User,
    body: &CreateSessionRequest,
    origin: SessionOrigin,
    id: &str,
    options: StartOptions,
) -> Outcome<Started> {
    let quota = rate_limit::SESSIONS.with_max_from(config::var(env, "QUOTA_SESSIONS_PER_HOUR").as_deref());
    rate_limiter::check(env, &format!("sessions:{}", user.id), quota, "new sessions this hour").await?;
    let private =
        body.private.unwrap_or_else(|| config::var(env, "SESSIONS_PRIVATE_BY_DEFAULT").as_deref() == Some("true"));
    let local_mode = crate::auth::settings::auth_mode(env) == oi_protocol::rest::AuthMode::Local;
    let new = validate_new_session(body, &config::default_model(env), local_mode)?;
    if !options.access_checked_by_host {
        access::require(env, &user.id, &new.repo, access::TO_START).await?;
    }
    let now = ids::now_ms();
    let summary = SessionSummary {
        id: id.to_string(),
        repo: new.repo,
        work_branch: (options.push_to == PushTo::StartBranch).then(|| new.branch.clone()),
        branch: new.branch,
        model: new.model,
        title: new.title,
        status: SessionStatus::Created,
        archived: false,
        private,
        created_by: user,
        origin,
        created_at: now,
        updated_at: now,
    };
    // The index row comes first, so the Worker never forwards to a Durable Object that the
    // index does not know; if initialization fails the row is removed again.
    index_store::insert(env, &summary).await?;
    let stub = SessionStub::new(env, &summary.id)?;
    if let Err(e) = stub.call(&Internal::Init { summary: summary.clone() }).await {
        let _ = index_store::delete(env, &summary.id).await;
        return Err(Failure::Internal(e));
    }
    // A warm sandbox from the repo's pool, if it has one: the session starts with it. Not for a
    // session on another branch (a pull request's head): a pool sandbox works on `oi/<id>`.
    let mut pool_used = false;
    let claimed = match summary.work_branch {
        None => pools::claim(env, &summary.repo, &summary.branch, &summary.id).await?,
        Some(_) => None,
    };
    if let Some(sandbox_id) = claimed {
        if let Err(e) = stub.call(&Internal::Adopt { sandbox_id: sandbox_id.clone() }).await {
            worker::console_error!("adopting warm sandbox {sandbox_id}: {e}");
        }
        pool_used = true;
    }
    Ok(Started { summary, pool_used })
}

pub async fn list(req: Request, env: &Env) -> Outcome<Response> {
    let caller = current_caller(&req, env).await?;
    let user = &caller.user;
    let url = req.url()?;
    let status = match query_param(&url, "status") {
        None => None,
        Some(s) => Some(SessionStatus::parse(&s).ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidRequest,
                format!("`status` must be one of created, running, idle, failed; got {s:?}"),
            )
        })?),
    };
    let archived = match query_param(&url, "archived").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::new(
                ErrorCode::InvalidRequest,
                format!("`archived` must be true or false, got {other:?}"),
            )
            .into())
        }
    };
    let limit = match query_param(&url, "limit") {
        None => None,
        Some(v) => Some(v.parse::<u32>().map_err(|_| {
            ApiError::new(ErrorCode::InvalidRequest, format!("`limit` must be a positive integer, got {v:?}"))
        })?),
    };
    let after = query_param(&url, "cursor").map(|c| SessionCursor::decode(&c)).transpose()?;
    let mine = match query_param(&url, "mine").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::new(
                ErrorCode::InvalidRequest,
                format!("`mine` must be true or false, got {other:?}"),
            )
            .into())
        }
    };
    let origin = match query_param(&url, "origin") {
        None => None,
        Some(o) => Some(OriginKind::parse(&o).ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidRequest,
                format!("`origin` must be one of web, api, automation, slack, github, linear; got {o:?}"),
            )
        })?),
    };
    let search = query_param(&url, "q").map(|q| q.trim().to_string()).filter(|q| !q.is_empty());
    if search.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::new(ErrorCode::InvalidRequest, "`q` is longer than 200 characters").into());
    }
    let filter = index_store::ListFilter {
        status,
        archived,
        after,
        limit: page_size(limit, DEFAULT_SESSIONS_PAGE, MAX_SESSIONS_PAGE),
        created_by: mine.then(|| user.id.clone()),
        origin,
        search,
        viewer: (caller.role != oi_protocol::Role::Admin).then(|| user.id.clone()),
    };
    let (sessions, next) = index_store::list(env, &filter).await?;
    json_response(200, &SessionList { sessions, next_cursor: next.map(|c| c.encode()) })
}

/// Sends a per-session request to the session's Durable Object: a person's route with who
/// they are; a sandbox or WebSocket route as it is (the Durable Object checks its token).
pub async fn forward(req: Request, env: &Env, id: &str, rest: &[String]) -> Outcome<Response> {
    let path = req.path();
    let method = req.method();
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    let route = match route(&rest, &method) {
        // Previews are served only on their own origin (`crate::preview`).
        Routed::Route(SessionRoute::Preview) => {
            return Err(crate::http::not_found(&format!("{} {path}", method.as_ref())))
        }
        Routed::Route(route) => route,
        Routed::NoSuchRoute => return Err(crate::http::not_found(&format!("{} {path}", method.as_ref()))),
        Routed::MethodNotAllowed => return Err(method_not_allowed(method.as_ref(), &path)),
    };
    let repo = if plausible_session_id(id) { index_store::repo_of(env, id).await? } else { None };
    let Some(repo) = repo else {
        return Err(ApiError::new(ErrorCode::SessionNotFound, format!("no session {id:?}")).into());
    };
    let mut forwarded_req = req.clone_mut()?;
    let headers = forwarded_req.headers_mut()?;
    forwarded::clear(headers);
    if route.credential() == Credential::Person {
        let caller = current_caller(&req, env).await?;
        if route == SessionRoute::WsToken {
            let key = format!("ws-token:{}", caller.user.id);
            rate_limiter::check(env, &key, rate_limit::WS_TOKENS, "WebSocket tokens").await?;
        }
        if route == SessionRoute::AttachSandbox {
            access::require(env, &caller.user.id, &repo, access::TO_START).await?;
        }
        if route == SessionRoute::Prompts {
            let quota = rate_limit::PROMPTS.with_max_from(config::var(env, "QUOTA_PROMPTS_PER_HOUR").as_deref());
            rate_limiter::check(env, &format!("prompts:{}", caller.user.id), quota, "prompts this hour").await?;
        }
        forwarded::set(headers, &caller)?;
    }
    let response = SessionStub::new(env, id)?.forward(forwarded_req).await?;
    if method == Method::Delete && response.status_code() == 204 {
        index_store::delete(env, id).await?;
    }
    Ok(response)
}

fn plausible_session_id(id: &str) -> bool {
    id.len() <= 64 && id.starts_with("ses_") && id[4..].chars().all(|c| c.is_ascii_alphanumeric())
}
