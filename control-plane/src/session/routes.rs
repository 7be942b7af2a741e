//! The per-session routes and the credential each accepts, shared by the Worker (which checks
//! a person before forwarding) and the session Durable Object (which checks the sandbox and
//! WebSocket tokens). Paths are relative to `/api/sessions/:id`.
//!
//! Invariant: every route accepts exactly one kind of credential, decided here and nowhere
//! else.

use worker::Method;

/// Who may call a route, and how they prove it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// A signed-in person (or the local user): the Worker authenticates them and forwards who
    /// they are; the Durable Object authorizes them for the session.
    Person,
    /// The session's current sandbox: `Authorization: Bearer <sandbox token>`, checked by the
    /// Durable Object.
    SandboxToken,
    /// A client WebSocket: a single-use token from `POST /ws-token` in `?token=`, checked by
    /// the Durable Object (it names the person it was minted for).
    WsToken,
    /// A link's key for one evidence piece of media (`?key=`, checked by the Durable Object):
    /// what a pull request's image shows to its readers.
    MediaLink,
}

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
    /// `POST /sandbox/pull-request`: the agent's own pull-request tool (for the running
    /// prompt's author).
    SandboxPullRequest,
    /// `POST /sandbox/origin`: the agent's posts to where the session was started.
    SandboxOrigin,
    /// `GET|POST /model/:provider/*path`: the model proxy, for the sandbox.
    ModelProxy,
    /// `GET /usage`: model tokens and cost so far.
    Usage,
    /// `GET|POST /git/*path`: git's smart HTTP, for the sandbox.
    Git,
    /// `GET|POST /pull-request`: the session's pull request, for a person.
    PullRequest,
    /// `POST /attachments?name=`: a person's image for a prompt (the body is its bytes).
    Attachments,
    /// `GET /media/:media_id`: a piece of the session's media.
    Media,
    /// `POST /sandbox/media?kind=&name=…`: the agent's screenshot or video.
    SandboxMediaUpload,
    /// `GET /sandbox/media/:media_id`: the sandbox reads a prompt's attached image.
    SandboxMediaRead,
    /// `GET /shared-media/:media_id?key=`: an evidence piece, by its link.
    SharedMedia,
    /// `POST /previews/:port`: a link that enters the preview of a port.
    PreviewLink,
    /// `* /preview/:port/*target`: a viewer's request to the app, forwarded only by the
    /// preview origin's handler (`crate::preview`); the public API does not route it.
    Preview,
}

impl SessionRoute {
    /// The one credential this route accepts.
    pub fn credential(self) -> Credential {
        match self {
            SessionRoute::BridgeSocket
            | SessionRoute::ModelProxy
            | SessionRoute::Git
            | SessionRoute::SandboxPullRequest
            | SessionRoute::SandboxOrigin
            | SessionRoute::SandboxMediaUpload
            | SessionRoute::SandboxMediaRead => Credential::SandboxToken,
            SessionRoute::ClientSocket => Credential::WsToken,
            SessionRoute::SharedMedia => Credential::MediaLink,
            SessionRoute::Root
            | SessionRoute::Prompts
            | SessionRoute::Stop
            | SessionRoute::Archive
            | SessionRoute::Unarchive
            | SessionRoute::Events
            | SessionRoute::WsToken
            | SessionRoute::AttachSandbox
            | SessionRoute::Usage
            | SessionRoute::PullRequest
            | SessionRoute::Attachments
            | SessionRoute::Media
            | SessionRoute::PreviewLink
            | SessionRoute::Preview => Credential::Person,
        }
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
            ["sandbox", "pull-request"] => SessionRoute::SandboxPullRequest,
            ["sandbox", "origin"] => SessionRoute::SandboxOrigin,
            ["model", provider, path @ ..] if !provider.is_empty() && !path.is_empty() => SessionRoute::ModelProxy,
            ["usage"] => SessionRoute::Usage,
            ["git", path @ ..] if !path.is_empty() => SessionRoute::Git,
            ["pull-request"] => SessionRoute::PullRequest,
            ["attachments"] => SessionRoute::Attachments,
            ["media", id] if !id.is_empty() => SessionRoute::Media,
            ["sandbox", "media"] => SessionRoute::SandboxMediaUpload,
            ["sandbox", "media", id] if !id.is_empty() => SessionRoute::SandboxMediaRead,
            ["shared-media", id] if !id.is_empty() => SessionRoute::SharedMedia,
            ["previews", port] if !port.is_empty() => SessionRoute::PreviewLink,
            ["preview", port, ..] if !port.is_empty() => SessionRoute::Preview,
            _ => return None,
        })
    }

    pub fn methods(self) -> &'static [Method] {
        match self {
            SessionRoute::Root => &[Method::Get, Method::Delete],
            SessionRoute::Events
            | SessionRoute::ClientSocket
            | SessionRoute::BridgeSocket
            | SessionRoute::Usage
            | SessionRoute::Media
            | SessionRoute::SandboxMediaRead
            | SessionRoute::SharedMedia => &[Method::Get],
            SessionRoute::ModelProxy | SessionRoute::Git | SessionRoute::PullRequest => &[Method::Get, Method::Post],
            SessionRoute::Prompts
            | SessionRoute::Stop
            | SessionRoute::Archive
            | SessionRoute::Unarchive
            | SessionRoute::WsToken
            | SessionRoute::AttachSandbox
            | SessionRoute::SandboxPullRequest
            | SessionRoute::SandboxOrigin
            | SessionRoute::Attachments
            | SessionRoute::SandboxMediaUpload
            | SessionRoute::PreviewLink => &[Method::Post],
            SessionRoute::Preview => {
                &[Method::Get, Method::Head, Method::Post, Method::Put, Method::Patch, Method::Delete, Method::Options]
            }
        }
    }
}

/// The route of `/api/sessions/:id/<rest>` and whether `method` is one it takes.
pub enum Routed {
    Route(SessionRoute),
    NoSuchRoute,
    MethodNotAllowed,
}

pub fn route(rest: &[&str], method: &Method) -> Routed {
    match SessionRoute::parse(rest) {
        None => Routed::NoSuchRoute,
        Some(route) if !route.methods().contains(method) => Routed::MethodNotAllowed,
        Some(route) => Routed::Route(route),
    }
}

/// Splits `/api/sessions/:id/<rest>` into the route.
pub fn parse_path(path: &str) -> Option<SessionRoute> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["api", "sessions", _id, rest @ ..] => SessionRoute::parse(rest),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_route_takes_one_credential() {
        let cases: &[(&str, Credential)] = &[
            ("", Credential::Person),
            ("prompts", Credential::Person),
            ("events", Credential::Person),
            ("ws-token", Credential::Person),
            ("sandbox/attach", Credential::Person),
            ("pull-request", Credential::Person),
            ("ws", Credential::WsToken),
            ("sandbox", Credential::SandboxToken),
            ("sandbox/pull-request", Credential::SandboxToken),
            ("sandbox/origin", Credential::SandboxToken),
            ("model/anthropic/v1/messages", Credential::SandboxToken),
            ("git/info/refs", Credential::SandboxToken),
            ("attachments", Credential::Person),
            ("media/med_1", Credential::Person),
            ("sandbox/media", Credential::SandboxToken),
            ("sandbox/media/med_1", Credential::SandboxToken),
            ("shared-media/med_1", Credential::MediaLink),
            ("previews/3000", Credential::Person),
            ("preview/3000/app.js", Credential::Person),
        ];
        for (rest, want) in cases {
            let segments: Vec<&str> = rest.split('/').collect();
            let route = SessionRoute::parse(&segments).unwrap_or_else(|| panic!("{rest:?} is a route"));
            assert_eq!(route.credential(), *want, "{rest:?}");
        }
        for rest in ["model/anthropic", "git", "nope", "sandbox/other", "sandbox/attach/x", "media", "media/a/b"] {
            let segments: Vec<&str> = rest.split('/').collect();
            assert_eq!(SessionRoute::parse(&segments), None, "{rest:?}");
        }
    }
}

#[cfg(test)]
mod sandbox_reach_tests {
    use super::*;
    use oi_protocol::sandbox_routes::admit;

    /// What the sandbox's gateway lets through (`oi_protocol::sandbox_routes`) is exactly the
    /// routes that take the sandbox token, with their methods: no route that wants a person is
    /// reachable from a sandbox, and every sandbox route is.
    #[test]
    fn the_gateway_admits_exactly_the_sandbox_token_routes() {
        let paths = [
            "",
            "prompts",
            "stop",
            "archive",
            "unarchive",
            "events",
            "ws",
            "ws-token",
            "sandbox",
            "sandbox/attach",
            "sandbox/pull-request",
            "sandbox/origin",
            "model/anthropic/v1/messages",
            "usage",
            "git/info/refs",
            "pull-request",
            "attachments",
            "media/med_1",
            "sandbox/media",
            "sandbox/media/med_1",
            "shared-media/med_1",
            "previews/3000",
            "preview/3000/index.html",
        ];
        for rest in paths {
            let segments: Vec<&str> = rest.split('/').collect();
            let route = SessionRoute::parse(&segments).unwrap_or_else(|| panic!("{rest:?} is a route"));
            for method in [Method::Get, Method::Post, Method::Delete] {
                let path = if rest.is_empty() {
                    "/api/sessions/ses_1".to_string()
                } else {
                    format!("/api/sessions/ses_1/{rest}")
                };
                let takes_token = route.credential() == Credential::SandboxToken && route.methods().contains(&method);
                let admitted = admit(method.as_ref(), &path, "ses_1").is_ok();
                assert_eq!(admitted, takes_token, "{method:?} {path}");
            }
        }
        assert!(admit("GET", "/api/sessions/ses_2/sandbox", "ses_1").is_err(), "another session's");
    }
}
