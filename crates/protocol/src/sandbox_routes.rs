//! The control-plane routes a sandbox may call: its own session's **sandbox-token routes**
//! (docs/protocol.md), and nothing else. The network gateway of the local provider admits a
//! request to the control plane only if [`admit`] does, and the supervisor's egress builds its
//! upstream paths with [`SandboxRoute::path`], so the list is written once, here.
//!
//! The control plane's `SessionRoute::credential()` (`control-plane/src/session/routes.rs`) is
//! the authority on which routes take the sandbox token; [`SandboxRoute`] is the same set:
//!
//! | route | methods |
//! |---|---|
//! | `/api/sessions/<id>/sandbox` (the bridge's WebSocket upgrade) | `GET` |
//! | `/api/sessions/<id>/model/<provider>/<path…>` (the model proxy) | `GET`, `POST` |
//! | `/api/sessions/<id>/git/<path…>` (the git endpoint) | `GET`, `POST` |
//! | `/api/sessions/<id>/sandbox/pull-request` (the agent's pull-request tool) | `POST` |
//! | `/api/sessions/<id>/sandbox/origin` (the agent's posts to where the session started) | `POST` |
//! | `/api/sessions/<id>/sandbox/media` (the agent's screenshots and videos) | `POST` |
//! | `/api/sessions/<id>/sandbox/media/<media_id>` (a prompt's attached images) | `GET` |
//!
//! Invariant: a request target is admitted only when it is exactly one of these routes of the
//! given session, with a method the route takes, and every segment of its path is one a URL
//! parser keeps as it is: no dot segment (plain or percent-encoded), no backslash (plain or
//! encoded), no empty segment, nothing but visible ASCII. So the path the control plane routes
//! is the path checked here.

/// Where the gateway says why it refused a request (its `403` carries the reason in this
/// header too, so the supervisor can report it to the session).
pub const REFUSAL_HEADER: &str = "x-open-inspect-refused";

/// A sandbox-token route of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SandboxRoute {
    /// `GET /sandbox`: the bridge WebSocket.
    Bridge,
    /// `GET|POST /model/<provider>/<path…>`: the model proxy.
    Model,
    /// `GET|POST /git/<path…>`: the git endpoint.
    Git,
    /// `POST /sandbox/pull-request`: the agent's pull-request tool.
    PullRequest,
    /// `POST /sandbox/origin`: the agent's posts to its session's origin (`OriginPost`).
    Origin,
    /// `POST /sandbox/media`: the agent uploads a screenshot or a video (`media::AgentUpload`).
    MediaUpload,
    /// `GET /sandbox/media/<media_id>`: the supervisor reads a prompt's attached image.
    MediaRead,
}

impl SandboxRoute {
    /// The methods the route takes.
    pub fn methods(self) -> &'static [&'static str] {
        match self {
            SandboxRoute::Bridge | SandboxRoute::MediaRead => &["GET"],
            SandboxRoute::Model | SandboxRoute::Git => &["GET", "POST"],
            SandboxRoute::PullRequest | SandboxRoute::Origin | SandboxRoute::MediaUpload => &["POST"],
        }
    }

    /// Whether the route is a WebSocket upgrade (only the bridge is).
    pub fn upgrades(self) -> bool {
        self == SandboxRoute::Bridge
    }

    /// `/api/sessions/<session_id>/…` for this route; `rest` is the path under `model/` or
    /// `git/`, or the media id of [`SandboxRoute::MediaRead`] (ignored for the other routes).
    pub fn path(self, session_id: &str, rest: &str) -> String {
        let base = format!("/api/sessions/{session_id}");
        match self {
            SandboxRoute::Bridge => format!("{base}/sandbox"),
            SandboxRoute::Model => format!("{base}/model/{rest}"),
            SandboxRoute::Git => format!("{base}/git/{rest}"),
            SandboxRoute::PullRequest => format!("{base}/sandbox/pull-request"),
            SandboxRoute::Origin => format!("{base}/sandbox/origin"),
            SandboxRoute::MediaUpload => format!("{base}/sandbox/media"),
            SandboxRoute::MediaRead => format!("{base}/sandbox/media/{rest}"),
        }
    }

    fn of(rest: &[&str]) -> Option<Self> {
        Some(match rest {
            ["sandbox"] => SandboxRoute::Bridge,
            ["sandbox", "pull-request"] => SandboxRoute::PullRequest,
            ["sandbox", "origin"] => SandboxRoute::Origin,
            ["sandbox", "media"] => SandboxRoute::MediaUpload,
            ["sandbox", "media", _media_id] => SandboxRoute::MediaRead,
            ["model", _provider, _path, ..] => SandboxRoute::Model,
            ["git", _path, ..] => SandboxRoute::Git,
            _ => return None,
        })
    }
}

/// The segments of `path` (before any `?`), or why a URL parser might not keep them as they
/// are: a character outside visible ASCII, a fragment, a backslash (plain or `%5C`), a dot
/// segment (`.`, `..`, or with `%2E`), an empty segment.
pub fn plain_segments(target: &str) -> Result<Vec<&str>, String> {
    if let Some(c) = target.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(format!("the path holds {c:?}"));
    }
    if target.contains('#') {
        return Err("the path holds a fragment".into());
    }
    let path = target.split_once('?').map_or(target, |(path, _)| path);
    let lower = path.to_ascii_lowercase();
    if lower.contains('\\') || lower.contains("%5c") {
        return Err("the path holds a backslash".into());
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err("the path does not start with /".into());
    };
    let segments: Vec<&str> = rest.split('/').collect();
    for segment in &segments {
        if segment.is_empty() {
            return Err("the path has an empty segment".into());
        }
        if matches!(segment.to_ascii_lowercase().replace("%2e", ".").as_str(), "." | "..") {
            return Err("the path has a dot segment".into());
        }
    }
    Ok(segments)
}

/// The route `method target` takes when it is one of `session_id`'s sandbox-token routes;
/// otherwise why not. `target` is the request's path and query (origin form).
pub fn admit(method: &str, target: &str, session_id: &str) -> Result<SandboxRoute, String> {
    let segments = plain_segments(target)?;
    let (id, rest) = match segments.as_slice() {
        ["api", "sessions", id, rest @ ..] => (*id, rest),
        _ => return Err("only this session's sandbox routes are reachable on the control plane".into()),
    };
    if id != session_id {
        return Err("only this sandbox's own session is reachable on the control plane".into());
    }
    let route = SandboxRoute::of(rest)
        .ok_or("only the session's sandbox routes (bridge, model, git, pull request, origin, media) are reachable")?;
    if !route.methods().contains(&method) {
        return Err(format!("{method} is not allowed on this sandbox route"));
    }
    Ok(route)
}

#[cfg(test)]
mod tests {
    use super::*;
    use SandboxRoute::*;

    const OWN: &str = "ses_01a2097d6e327c0f7f1a16ec7c15";

    #[test]
    fn only_the_own_sessions_sandbox_routes_are_admitted() {
        let cases: &[(&str, &str, Result<SandboxRoute, &str>)] = &[
            ("GET", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/sandbox", Ok(Bridge)),
            ("POST", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/sandbox/pull-request", Ok(PullRequest)),
            ("POST", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/sandbox/origin", Ok(Origin)),
            ("POST", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c16/sandbox/origin", Err("own session")),
            (
                "POST",
                "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/sandbox/media?kind=screenshot&name=a.png",
                Ok(MediaUpload),
            ),
            ("GET", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/sandbox/media/med_1", Ok(MediaRead)),
            ("GET", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c16/sandbox/media/med_1", Err("own session")),
            ("POST", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/sandbox/media/med_1", Err("POST is not")),
            ("GET", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/sandbox/media", Err("GET is not")),
            ("GET", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/media/med_1", Err("sandbox routes")),
            ("GET", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/sandbox/media/med_1/x", Err("sandbox routes")),
            ("GET", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/sandbox/origin", Err("GET is not")),
            ("POST", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/model/openai/chat/completions", Ok(Model)),
            ("GET", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/model/anthropic/models", Ok(Model)),
            ("GET", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/git/info/refs?service=git-upload-pack", Ok(Git)),
            ("POST", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/git/git-receive-pack", Ok(Git)),
            // Another session, the session list, the admin API, a person's routes.
            ("GET", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c16/sandbox", Err("own session")),
            ("POST", "/api/sessions/ses_other/sandbox/attach", Err("own session")),
            ("GET", "/api/sessions", Err("sandbox routes")),
            ("GET", "/api/sessions?limit=200", Err("sandbox routes")),
            ("GET", "/api/secrets", Err("sandbox routes")),
            ("PUT", "/api/secrets/X", Err("sandbox routes")),
            ("GET", "/", Err("empty segment")),
            ("POST", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/sandbox/attach", Err("sandbox routes")),
            ("POST", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/prompts", Err("sandbox routes")),
            ("GET", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15", Err("sandbox routes")),
            ("GET", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/events", Err("sandbox routes")),
            ("POST", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/ws-token", Err("sandbox routes")),
            ("GET", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/pull-request", Err("sandbox routes")),
            ("GET", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/model/openai", Err("sandbox routes")),
            ("GET", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/git", Err("sandbox routes")),
            // Methods.
            ("POST", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/sandbox", Err("POST is not allowed")),
            ("GET", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/sandbox/pull-request", Err("GET is not")),
            ("DELETE", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/git/x", Err("DELETE is not")),
            // Paths a URL parser would rewrite.
            ("GET", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/git/../../x", Err("dot segment")),
            ("GET", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/git/%2e%2E/%2E./sessions", Err("dot segment")),
            ("GET", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/model/p/./x", Err("dot segment")),
            ("GET", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/git/..\\..\\x", Err("backslash")),
            ("GET", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/git/a%5Cb", Err("backslash")),
            ("GET", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/git/.\t./x", Err("holds '\\t'")),
            ("GET", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15//sandbox", Err("empty segment")),
            ("GET", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/sandbox/", Err("empty segment")),
            ("GET", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/sandbox#x", Err("fragment")),
            ("GET", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/git/é", Err("holds 'é'")),
            ("GET", "http://127.0.0.1/api/sessions", Err("does not start with /")),
            ("GET", "/api/sessions/ses_01a2097d6e327c0f7f1a16ec7c15/git/a..b", Ok(Git)),
        ];
        for (method, target, want) in cases {
            match (admit(method, target, OWN), want) {
                (Ok(route), Ok(expected)) => assert_eq!(route, *expected, "{method} {target}"),
                (Err(why), Err(part)) => assert!(why.contains(part), "{method} {target}: {why}"),
                (got, _) => panic!("{method} {target}: {got:?}, expected {want:?}"),
            }
        }
    }

    #[test]
    fn the_paths_built_are_the_paths_admitted() {
        for (route, rest) in [
            (Bridge, ""),
            (Model, "scripted/chat/completions"),
            (Git, "info/refs"),
            (PullRequest, ""),
            (Origin, ""),
            (MediaUpload, ""),
            (MediaRead, "med_1"),
        ] {
            let path = route.path(OWN, rest);
            assert_eq!(admit(route.methods()[0], &path, OWN), Ok(route), "{path}");
            assert_eq!(route.upgrades(), route == Bridge);
        }
        assert_eq!(Model.path("ses_1", "p/x"), "/api/sessions/ses_1/model/p/x");
        assert_eq!(PullRequest.path("ses_1", "ignored"), "/api/sessions/ses_1/sandbox/pull-request");
    }
}
