//! The Durable Object's HTTP side: internal calls from the Worker, and the per-session routes,
//! each checked for the one credential it accepts.

use oi_protocol::client::CLOSE_SESSION_DELETED;
use oi_protocol::events::{ArchiveChanged, EventBody, SessionCreated};
use oi_protocol::limits::{DEFAULT_EVENTS_PAGE, MAX_EVENTS_PAGE};
use oi_protocol::rest::{EventsPage, PromptRequest};
use oi_protocol::{ApiError, ErrorCode, Role, SessionSummary, User};
use oi_session_core::auth::access::{authorize, Action, Actor, SessionFacts, Target};
use oi_session_core::paging::page_size;
use worker::{Method, Request, Response};

use super::internal::{is_internal, Internal};
use super::routes::{parse_path, Credential, SessionRoute};
use super::{bridge_link, prompt_queue, SessionObject};
use crate::auth::forwarded::{forwarded_role, forwarded_user};
use crate::http::{json_response, method_not_allowed, not_found, query_u64, read_json, Outcome};

impl SessionObject {
    pub(super) async fn handle(&self, mut req: Request) -> Outcome<Response> {
        let url = req.url()?;
        if is_internal(&url) {
            let call: Internal = read_json(&mut req).await?;
            return self.internal(call).await;
        }
        let path = url.path().to_string();
        let method = req.method();
        let route = parse_path(&path).ok_or_else(|| not_found(&path))?;
        if !route.methods().contains(&method) {
            return Err(method_not_allowed(method.as_ref(), &path));
        }
        match route.credential() {
            Credential::SandboxToken => self.sandbox_route(route, req, &path).await,
            Credential::WsToken => {
                // The token names the person; it was minted only for one who may join.
                require_upgrade(&req)?;
                let token = url.query_pairs().find(|(k, _)| k == "token").map(|(_, v)| v.into_owned());
                let (user, _role) = self.redeem_ws_token(token.as_deref())?;
                self.accept_client(user)
            }
            Credential::MediaLink => self.read_shared_media(&req, &url, last_segment(&path)).await,
            Credential::Person => {
                let user = forwarded_user(&req)?;
                let role = forwarded_role(&req);
                self.authorize(&user, role, route, &method)?;
                self.person_route(route, method, req, &url, user, role).await
            }
        }
    }

    async fn internal(&self, call: Internal) -> Outcome<Response> {
        match call {
            Internal::Init { summary } => self.init(summary),
            Internal::Adopt { sandbox_id } => {
                self.adopt_sandbox(&sandbox_id).await?;
                Ok(Response::empty()?.with_status(204))
            }
            Internal::PullRequestUpdate { update } => self.pull_request_update(update),
            Internal::Prompt { author, request } => {
                json_response(202, &self.run(|turn| prompt_queue::enqueue(turn, &author, &request))?)
            }
            Internal::Notice { level, message } => {
                self.meta()?;
                self.run(|turn| Ok(turn.notice(level, message)?))?;
                Ok(Response::empty()?.with_status(204))
            }
        }
    }

    /// The routes the sandbox calls with its token (each checks it).
    async fn sandbox_route(&self, route: SessionRoute, req: Request, path: &str) -> Outcome<Response> {
        match route {
            SessionRoute::BridgeSocket => {
                require_upgrade(&req)?;
                self.accept_bridge(&req)
            }
            SessionRoute::ModelProxy => self.proxy_model(req, path).await,
            SessionRoute::Git => self.proxy_git(req, path).await,
            SessionRoute::SandboxPullRequest => {
                self.check_sandbox_token(&req)?;
                let meta = self.meta()?;
                let requester = self.store.current_prompter()?.unwrap_or(meta.summary.created_by);
                self.open_pull_request(req, requester).await
            }
            SessionRoute::SandboxOrigin => self.post_to_origin(req).await,
            SessionRoute::SandboxMediaUpload => {
                let url = req.url()?;
                self.upload_artifact(req, &url).await
            }
            SessionRoute::SandboxMediaRead => {
                self.check_sandbox_token(&req)?;
                self.read_media(&req, last_segment(path)).await
            }
            other => unreachable!("{other:?} takes a person"),
        }
    }

    async fn person_route(
        &self,
        route: SessionRoute,
        method: Method,
        mut req: Request,
        url: &worker::Url,
        user: User,
        role: Role,
    ) -> Outcome<Response> {
        match (route, method) {
            (SessionRoute::Root, Method::Get) => {
                let meta = self.meta()?;
                json_response(200, &self.session_state(&meta)?)
            }
            (SessionRoute::Root, _) => self.purge().await,
            (SessionRoute::Prompts, _) => {
                let body: PromptRequest = read_json(&mut req).await?;
                json_response(202, &self.run(|turn| prompt_queue::enqueue(turn, &user, &body))?)
            }
            (SessionRoute::Stop, _) => json_response(202, &self.run(prompt_queue::stop)?),
            (SessionRoute::Archive, _) => self.set_archived(&user, true),
            (SessionRoute::Unarchive, _) => self.set_archived(&user, false),
            (SessionRoute::Events, _) => {
                let meta = self.meta()?;
                let after = query_u64(url, "after")?.unwrap_or(0);
                let limit = query_u64(url, "limit")?.map(|l| l.min(u32::MAX as u64) as u32);
                let limit = page_size(limit, DEFAULT_EVENTS_PAGE, MAX_EVENTS_PAGE);
                let mut events = self.store.events_after(after, Some(limit + 1))?;
                let has_more = events.len() > limit as usize;
                events.truncate(limit as usize);
                json_response(200, &EventsPage { events, has_more, last_seq: meta.last_seq })
            }
            (SessionRoute::WsToken, _) => json_response(201, &self.mint_ws_token(&user, role)?),
            (SessionRoute::Usage, _) => json_response(200, &self.usage()?),
            (SessionRoute::AttachSandbox, _) => json_response(201, &self.run(bridge_link::attach_sandbox)?),
            (SessionRoute::PullRequest, Method::Get) => match self.store.pull_request()? {
                Some(pr) => json_response(200, &pr),
                None => Err(ApiError::new(ErrorCode::NotFound, "this session has no pull request yet").into()),
            },
            (SessionRoute::PullRequest, _) => self.open_pull_request(req, user).await,
            (SessionRoute::Attachments, _) => self.upload_attachment(req, url).await,
            (SessionRoute::Media, _) => self.read_media(&req, last_segment(url.path())).await,
            (SessionRoute::PreviewLink, _) => self.preview_link(&req, &user, role, preview_port(url.path())?),
            (SessionRoute::Preview, _) => {
                let (port, target) = preview_target(url)?;
                self.serve_preview(req, port, target).await
            }
            (other, _) => unreachable!("{other:?} does not take a person"),
        }
    }

    /// Whether `user` may take this route, by the one authorisation function
    /// (`oi_session_core::auth::access`).
    fn authorize(&self, user: &User, role: Role, route: SessionRoute, method: &Method) -> Outcome<()> {
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
        self.run(|turn| {
            turn.record(EventBody::SessionCreated(SessionCreated {
                repo: summary.repo.clone(),
                branch: summary.branch.clone(),
                model: summary.model.clone(),
                title: summary.title.clone(),
                created_by: summary.created_by.clone(),
            }))?;
            Ok(())
        })?;
        json_response(201, &summary)
    }

    fn set_archived(&self, user: &User, archived: bool) -> Outcome<Response> {
        let summary = self.run(|turn| {
            let mut summary = turn
                .store
                .meta()?
                .map(|m| m.summary)
                .ok_or_else(|| ApiError::new(ErrorCode::SessionNotFound, "no such session"))?;
            if summary.archived != archived {
                summary.archived = archived;
                summary.updated_at = turn.now.max(summary.updated_at);
                turn.record(EventBody::Archived(ArchiveChanged { archived, by: user.clone() }))?;
                turn.save_summary(&summary)?;
            }
            Ok(summary)
        })?;
        json_response(200, &summary)
    }

    /// Deletes everything the session holds and disconnects everyone.
    async fn purge(&self) -> Outcome<Response> {
        if let Some(sandbox_id) = self.meta()?.sandbox_id {
            self.terminate_sandbox(sandbox_id);
        }
        self.delete_media(self.all_media_keys()?);
        for ws in self.state.get_websockets() {
            let bridge = self.state.get_tags(&ws).iter().any(|t| t == super::sockets::BRIDGE_TAG);
            let code = if bridge { oi_protocol::bridge::CLOSE_SESSION_DELETED } else { CLOSE_SESSION_DELETED };
            let _ = ws.close(Some(code), Some("session deleted"));
        }
        self.sockets.borrow_mut().clear();
        let storage = self.state.storage();
        storage.delete_alarm().await?;
        storage.delete_all().await?;
        self.store.forget();
        // Fresh empty tables, so later requests to this object answer 404 cleanly.
        self.store.create_schema()?;
        Ok(Response::empty()?.with_status(204))
    }
}

/// What a person's route does, for authorisation.
fn session_action(route: SessionRoute, method: &Method) -> Action {
    match (route, method) {
        (SessionRoute::Root, Method::Delete) => Action::DeleteSession,
        (
            SessionRoute::Root
            | SessionRoute::Events
            | SessionRoute::Usage
            | SessionRoute::Media
            | SessionRoute::PreviewLink
            | SessionRoute::Preview,
            _,
        ) => Action::ViewSession,
        (SessionRoute::PullRequest, &Method::Get) => Action::ViewSession,
        (SessionRoute::Prompts | SessionRoute::PullRequest | SessionRoute::Attachments, _) => Action::PromptSession,
        (SessionRoute::Stop, _) => Action::StopSession,
        (SessionRoute::Archive | SessionRoute::Unarchive, _) => Action::ArchiveSession,
        (SessionRoute::ClientSocket | SessionRoute::WsToken, _) => Action::JoinSession,
        // A bridge started by hand gets the session's sandbox token: only its owner or an admin.
        (
            SessionRoute::AttachSandbox
            | SessionRoute::BridgeSocket
            | SessionRoute::ModelProxy
            | SessionRoute::Git
            | SessionRoute::SandboxPullRequest
            | SessionRoute::SandboxOrigin
            | SessionRoute::SandboxMediaUpload
            | SessionRoute::SandboxMediaRead
            | SessionRoute::SharedMedia,
            _,
        ) => Action::DeleteSession,
    }
}

/// The port of `/api/sessions/:id/previews/:port` or `…/preview/:port/…`: 1024–65535.
fn preview_port(path: &str) -> Outcome<u16> {
    let segment = path.split('/').skip_while(|s| *s != "previews" && *s != "preview").nth(1).unwrap_or_default();
    segment.parse::<u16>().ok().filter(|p| *p >= 1024).ok_or_else(|| {
        ApiError::new(ErrorCode::InvalidRequest, format!("{segment:?} is not a port from 1024 to 65535")).into()
    })
}

/// The port and the app's path and query of `/api/sessions/:id/preview/:port/<path>`.
fn preview_target(url: &worker::Url) -> Outcome<(u16, String)> {
    let port = preview_port(url.path())?;
    let prefix = format!("/preview/{port}");
    let path = url.path();
    let rest = path.find(&prefix).map(|at| &path[at + prefix.len()..]).unwrap_or_default();
    let rest = if rest.is_empty() { "/" } else { rest };
    Ok((
        port,
        match url.query() {
            Some(q) => format!("{rest}?{q}"),
            None => rest.to_string(),
        },
    ))
}

/// The last segment of a path: the media id of the media routes.
fn last_segment(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or_default()
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
