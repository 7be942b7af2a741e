//! The Durable Object's HTTP side: init from the Worker, and the per-session REST routes.

use oi_protocol::events::{ArchiveChanged, EventBody, SessionCreated};
use oi_protocol::limits::{DEFAULT_EVENTS_PAGE, MAX_EVENTS_PAGE};
use oi_protocol::rest::{EventsPage, PromptRequest};
use oi_protocol::{ApiError, ErrorCode, SessionSummary};
use oi_session_core::auth::access::{authorize, Action, Actor, SessionFacts, Target};
use oi_session_core::paging::page_size;
use worker::{Method, Request, Response};

use super::bridge::CLOSE_SESSION_DELETED;
use super::routes::{parse_path, SessionRoute};
use super::SessionObject;
use crate::http::{json_response, method_not_allowed, not_found, query_u64, read_json, Outcome};
use crate::identity::{forwarded_role, forwarded_user, USER_HEADER};
use crate::ids;

/// Close code sent to clients of a deleted session.
const CLOSE_CLIENT_SESSION_DELETED: u16 = 4404;

impl SessionObject {
    pub(super) async fn handle(&self, mut req: Request) -> Outcome<Response> {
        let url = req.url()?;
        if url.host_str() == Some("session.internal") && url.path() == "/init" {
            let summary: SessionSummary = read_json(&mut req).await?;
            return self.init(summary);
        }
        if url.host_str() == Some("session.internal") && url.path() == "/adopt" {
            #[derive(serde::Deserialize)]
            struct Adopt {
                sandbox_id: String,
            }
            let adopt: Adopt = read_json(&mut req).await?;
            self.adopt_sandbox(&adopt.sandbox_id).await?;
            return Ok(Response::empty()?.with_status(204));
        }
        if url.host_str() == Some("session.internal") && url.path() == "/pull-request-update" {
            let update: crate::github::webhook::Update = read_json(&mut req).await?;
            return self.pull_request_update(update);
        }
        let path = url.path().to_string();
        let method = req.method();
        let route = parse_path(&path).ok_or_else(|| not_found(&path))?;
        if !route.methods().contains(&method) {
            return Err(method_not_allowed(method.as_ref(), &path));
        }
        if route == SessionRoute::BridgeSocket {
            require_upgrade(&req)?;
            return self.accept_bridge(&req);
        }
        if route == SessionRoute::ModelProxy {
            return self.proxy_model(req, &path).await;
        }
        if route == SessionRoute::Git {
            return self.proxy_git(req, &path).await;
        }
        if route == SessionRoute::ClientSocket {
            // The token names the person; it was minted only for one who may join.
            require_upgrade(&req)?;
            let token = url.query_pairs().find(|(k, _)| k == "token").map(|(_, v)| v.into_owned());
            let (user, _role) = self.redeem_ws_token(token.as_deref())?;
            return self.accept_client(user);
        }
        if route == SessionRoute::PullRequest && req.headers().get(USER_HEADER)?.is_none() {
            // The agent's own tool: the sandbox token, checked there.
            return self.pull_request_route(req, None).await;
        }
        let user = forwarded_user(&req)?;
        self.authorize(&user, forwarded_role(&req), route, &method)?;
        if route == SessionRoute::PullRequest {
            return self.pull_request_route(req, Some(user)).await;
        }
        match (route, method) {
            (SessionRoute::Root, Method::Get) => {
                let meta = self.meta()?;
                json_response(200, &self.session_state(&meta)?)
            }
            (SessionRoute::Root, _) => self.purge().await,
            (SessionRoute::Prompts, _) => {
                let body: PromptRequest = read_json(&mut req).await?;
                json_response(202, &self.enqueue(&user, &body)?)
            }
            (SessionRoute::Stop, _) => json_response(202, &self.stop()?),
            (SessionRoute::Archive, _) => self.set_archived(&user, true),
            (SessionRoute::Unarchive, _) => self.set_archived(&user, false),
            (SessionRoute::Events, _) => {
                let meta = self.meta()?;
                let after = query_u64(&url, "after")?.unwrap_or(0);
                let limit = query_u64(&url, "limit")?.map(|l| l.min(u32::MAX as u64) as u32);
                let limit = page_size(limit, DEFAULT_EVENTS_PAGE, MAX_EVENTS_PAGE);
                let mut events = self.store.events_after(after, Some(limit + 1))?;
                let has_more = events.len() > limit as usize;
                events.truncate(limit as usize);
                json_response(200, &EventsPage { events, has_more, last_seq: meta.last_seq })
            }
            (SessionRoute::WsToken, _) => json_response(201, &self.mint_ws_token(&user, forwarded_role(&req))?),
            (SessionRoute::Usage, _) => json_response(200, &self.usage()?),
            (
                SessionRoute::ClientSocket
                | SessionRoute::BridgeSocket
                | SessionRoute::ModelProxy
                | SessionRoute::Git
                | SessionRoute::PullRequest,
                _,
            ) => {
                unreachable!("handled above")
            }
            (SessionRoute::AttachSandbox, _) => json_response(201, &self.attach_sandbox()?),
        }
    }

    /// Whether `user` may take this route, by the one authorisation function
    /// (`oi_session_core::auth::access`).
    fn authorize(
        &self,
        user: &oi_protocol::User,
        role: oi_protocol::Role,
        route: SessionRoute,
        method: &Method,
    ) -> Outcome<()> {
        let meta = self.meta()?;
        let action = session_action(route, method);
        let actor = Actor { user_id: &user.id, role };
        let facts =
            SessionFacts { owner_id: &meta.summary.created_by.id, private: meta.summary.private, participant_ids: &[] };
        authorize(&actor, action, &Target::Session(facts))
            .map_err(|denied| ApiError::new(ErrorCode::Forbidden, denied.message).into())
    }

    /// Creates the session's row and its first event. Repeating it for the same session is
    /// harmless.
    fn init(&self, summary: SessionSummary) -> Outcome<Response> {
        if let Some(meta) = self.store.meta()? {
            if meta.summary.id == summary.id {
                return json_response(201, &meta.summary);
            }
            return Err(ApiError::new(ErrorCode::Conflict, "this object already holds another session").into());
        }
        self.store.insert_meta(&summary)?;
        self.record(EventBody::SessionCreated(SessionCreated {
            repo: summary.repo.clone(),
            branch: summary.branch.clone(),
            model: summary.model.clone(),
            title: summary.title.clone(),
            created_by: summary.created_by.clone(),
        }))?;
        json_response(201, &summary)
    }

    fn set_archived(&self, user: &oi_protocol::User, archived: bool) -> Outcome<Response> {
        let meta = self.meta()?;
        let mut summary = meta.summary;
        if summary.archived != archived {
            summary.archived = archived;
            summary.updated_at = ids::now_ms().max(summary.updated_at);
            self.record(EventBody::Archived(ArchiveChanged { archived, by: user.clone() }))?;
            self.save_summary(&summary)?;
        }
        json_response(200, &summary)
    }

    /// Deletes everything the session holds and disconnects everyone.
    async fn purge(&self) -> Outcome<Response> {
        if let Some(sandbox_id) = self.meta()?.sandbox_id {
            self.terminate_sandbox(sandbox_id);
        }
        for ws in self.state.get_websockets() {
            let bridge = self.state.get_tags(&ws).iter().any(|t| t == super::sockets::BRIDGE_TAG);
            let code = if bridge { CLOSE_SESSION_DELETED } else { CLOSE_CLIENT_SESSION_DELETED };
            let _ = ws.close(Some(code), Some("session deleted"));
        }
        *self.client_cache.borrow_mut() = None;
        let storage = self.state.storage();
        storage.delete_alarm().await?;
        storage.delete_all().await?;
        // Fresh empty tables, so later requests to this object answer 404 cleanly.
        self.store.create_schema()?;
        Ok(Response::empty()?.with_status(204))
    }
}

/// What a per-session route does, for authorisation.
fn session_action(route: SessionRoute, method: &Method) -> Action {
    match (route, method) {
        (SessionRoute::Root, Method::Delete) => Action::DeleteSession,
        (SessionRoute::Root | SessionRoute::Events | SessionRoute::Usage, _) => Action::ViewSession,
        (SessionRoute::PullRequest, &Method::Get) => Action::ViewSession,
        (SessionRoute::Prompts | SessionRoute::PullRequest, _) => Action::PromptSession,
        (SessionRoute::Stop, _) => Action::StopSession,
        (SessionRoute::Archive | SessionRoute::Unarchive, _) => Action::ArchiveSession,
        (SessionRoute::ClientSocket | SessionRoute::WsToken, _) => Action::JoinSession,
        // A bridge started by hand gets the session's sandbox token: only its owner or an admin.
        (
            SessionRoute::AttachSandbox | SessionRoute::BridgeSocket | SessionRoute::ModelProxy | SessionRoute::Git,
            _,
        ) => Action::DeleteSession,
    }
}

fn require_upgrade(req: &Request) -> Outcome<()> {
    let upgrade = req.headers().get("Upgrade")?.unwrap_or_default();
    if upgrade.eq_ignore_ascii_case("websocket") {
        Ok(())
    } else {
        Err(ApiError::new(ErrorCode::InvalidRequest, "this route takes a WebSocket upgrade (`Upgrade: websocket`)")
            .into())
    }
}
