//! The per-session routes, shared by the Worker (which checks them before forwarding) and the
//! session Durable Object (which serves them). Paths are relative to `/api/sessions/:id`.

use worker::Method;

/// The Worker initializes a new session's Durable Object with a POST here (not routable from
/// outside).
pub const INIT_URL: &str = "https://session.internal/init";
/// The Worker passes a GitHub webhook's news about the session's pull request with a POST here.
pub const PULL_REQUEST_UPDATE_URL: &str = "https://session.internal/pull-request-update";
/// The Worker hands a claimed warm-pool sandbox to a new session with a POST here.
pub const ADOPT_URL: &str = "https://session.internal/adopt";

/// A per-session route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionRoute {
    /// `GET /` state, `DELETE /` purge.
    Root,
    /// `POST /prompts`
    Prompts,
    /// `POST /stop`
    Stop,
    /// `POST /archive`
    Archive,
    /// `POST /unarchive`
    Unarchive,
    /// `GET /events?after=&limit=`
    Events,
    /// `GET /ws?token=`: a client WebSocket, with a token from `POST /ws-token`.
    ClientSocket,
    /// `POST /ws-token`: a short-lived, single-use token for one client WebSocket.
    WsToken,
    /// `GET /sandbox`: the bridge WebSocket.
    BridgeSocket,
    /// `POST /sandbox/attach`: a token for a bridge started by hand.
    AttachSandbox,
    /// `GET|POST /model/:provider/*path`: the model proxy, for the sandbox (its token).
    ModelProxy,
    /// `GET /usage`: model tokens and cost so far.
    Usage,
    /// `GET|POST /git/*path`: git's smart HTTP, for the sandbox (its token).
    Git,
    /// `GET|POST /pull-request`: the session's pull request; a person, or the sandbox (its
    /// token: the agent's own tool).
    PullRequest,
}

impl SessionRoute {
    /// Routes the sandbox calls with its sandbox token (checked by the Durable Object), not a
    /// person.
    pub fn sandbox_route(self) -> bool {
        matches!(self, SessionRoute::BridgeSocket | SessionRoute::ModelProxy | SessionRoute::Git)
    }

    pub fn parse(rest: &[&str]) -> Option<Self> {
        Some(match rest {
            [] | [""] => SessionRoute::Root,
            ["prompts"] => SessionRoute::Prompts,
            ["stop"] => SessionRoute::Stop,
            ["archive"] => SessionRoute::Archive,
            ["unarchive"] => SessionRoute::Unarchive,
            ["events"] => SessionRoute::Events,
            ["ws"] => SessionRoute::ClientSocket,
            ["ws-token"] => SessionRoute::WsToken,
            ["sandbox"] => SessionRoute::BridgeSocket,
            ["sandbox", "attach"] => SessionRoute::AttachSandbox,
            ["model", provider, path @ ..] if !provider.is_empty() && !path.is_empty() => SessionRoute::ModelProxy,
            ["usage"] => SessionRoute::Usage,
            ["git", path @ ..] if !path.is_empty() => SessionRoute::Git,
            ["pull-request"] => SessionRoute::PullRequest,
            _ => return None,
        })
    }

    pub fn methods(self) -> &'static [Method] {
        match self {
            SessionRoute::Root => &[Method::Get, Method::Delete],
            SessionRoute::Events | SessionRoute::ClientSocket | SessionRoute::BridgeSocket | SessionRoute::Usage => {
                &[Method::Get]
            }
            SessionRoute::ModelProxy | SessionRoute::Git | SessionRoute::PullRequest => &[Method::Get, Method::Post],
            SessionRoute::Prompts
            | SessionRoute::Stop
            | SessionRoute::Archive
            | SessionRoute::Unarchive
            | SessionRoute::WsToken
            | SessionRoute::AttachSandbox => &[Method::Post],
        }
    }
}

/// The methods a route takes, or `None` when there is no such route.
pub fn allowed_methods(rest: &[&str]) -> Option<&'static [Method]> {
    SessionRoute::parse(rest).map(SessionRoute::methods)
}

/// Splits `/api/sessions/:id/<rest>` into the route.
pub fn parse_path(path: &str) -> Option<SessionRoute> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["api", "sessions", _id, rest @ ..] => SessionRoute::parse(rest),
        _ => None,
    }
}
