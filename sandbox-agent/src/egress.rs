//! The sandbox's way out to the control plane, on 127.0.0.1. No credential is ever inside the
//! sandbox: OpenCode's model providers point here (`/model/{provider}/{rest}` →
//! `{control_plane_url}/api/sessions/{session}/model/{provider}/{rest}`, the model proxy), and
//! so does the workspace's git remote (`/git/{rest}` → `…/api/sessions/{session}/git/{rest}`,
//! the git endpoint), and the agent's own tools (`POST /tools/pull-request` →
//! `…/api/sessions/{session}/sandbox/pull-request`, `POST /tools/origin` → `…/sandbox/origin`,
//! `POST /tools/media?…` → `…/sandbox/media?…`, called by `sandbox-agent mcp-tools`, see
//! [`crate::mcp`]), and a prompt's attached images (`GET /media/{media_id}` →
//! `…/sandbox/media/{media_id}`, read by the supervisor). Each request goes on with the
//! sandbox's own session-scoped token, which only this process holds, streaming the body both
//! ways without buffering.
//!
//! The target (control plane, session, token) is shared state: a warm-pool claim changes it
//! while the server (and OpenCode) keep running.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use anyhow::Result;
use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;

use oi_protocol::sandbox_routes::SandboxRoute;

use crate::config::Config;

/// The API key OpenCode's providers are given: a placeholder, never a real key.
pub const PLACEHOLDER_API_KEY: &str = "oi-sandbox-no-key";

/// Where requests go, and with which token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyTarget {
    /// `http(s)://host:port`, no trailing slash.
    pub control_plane_url: String,
    pub session_id: String,
    pub sandbox_token: String,
}

impl ProxyTarget {
    /// The session `config` names, at the control plane as this sandbox reaches it
    /// ([`Endpoints::control_plane`](crate::endpoints::Endpoints::control_plane)).
    pub fn new(config: &Config, control_plane: &str) -> Self {
        Self {
            control_plane_url: control_plane.to_string(),
            session_id: config.session_id.clone(),
            sandbox_token: config.sandbox_token.clone(),
        }
    }
}

/// A request path: under `/model/` (a provider and the rest) or `/git/` (the rest), both
/// still percent-encoded, a tool's (`/tools/pull-request`, `/tools/origin`, `/tools/media`), or
/// an attached image's (`/media/{media_id}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EgressPath<'a> {
    Model {
        provider: &'a str,
        rest: &'a str,
    },
    Git {
        rest: &'a str,
    },
    PullRequest,
    Origin,
    /// The screenshot tool's upload.
    MediaUpload,
    /// A prompt's attached image, read by the supervisor.
    MediaRead {
        media_id: &'a str,
    },
}

impl EgressPath<'_> {
    /// The one method a tool's or a media path takes; the model and git take any.
    fn only_method(self) -> Option<axum::http::Method> {
        match self {
            EgressPath::PullRequest | EgressPath::Origin | EgressPath::MediaUpload => Some(axum::http::Method::POST),
            EgressPath::MediaRead { .. } => Some(axum::http::Method::GET),
            EgressPath::Model { .. } | EgressPath::Git { .. } => None,
        }
    }
}

/// The pull-request tool's path.
pub const PULL_REQUEST_PATH: &str = "/tools/pull-request";
/// The path of the tools that post to the session's origin (`slack_notify`, `submit_review`,
/// `reply_comment`).
pub const ORIGIN_PATH: &str = "/tools/origin";
/// Where the screenshot tool uploads (the query is `oi_protocol::media::AgentUpload`).
pub const MEDIA_UPLOAD_PATH: &str = "/tools/media";
/// The prefix of an attached image's path: `/media/{media_id}`.
pub const MEDIA_READ_PREFIX: &str = "/media/";

/// Whether `id` can be a media id: one path segment of ASCII letters, digits, `_` and `-`.
pub fn is_media_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 100 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathError {
    /// Not under `/model/{provider}/…` or `/git/…`, nor a tool's path.
    NotFound,
    /// A `.` or `..` segment (plain or percent-encoded) or a backslash: URL parsers would
    /// resolve it and the request could leave the session's route.
    BadPath,
}

/// Splits `/model/{provider}/{rest}` or `/git/{rest}`, or recognizes a tool's path.
pub fn parse_path(path: &str) -> Result<EgressPath<'_>, PathError> {
    let parsed = if path == PULL_REQUEST_PATH {
        Some(EgressPath::PullRequest)
    } else if path == ORIGIN_PATH {
        Some(EgressPath::Origin)
    } else if path == MEDIA_UPLOAD_PATH {
        Some(EgressPath::MediaUpload)
    } else if let Some(media_id) = path.strip_prefix(MEDIA_READ_PREFIX) {
        is_media_id(media_id).then_some(EgressPath::MediaRead { media_id })
    } else if let Some(git) = path.strip_prefix("/git/") {
        (!git.is_empty()).then_some(EgressPath::Git { rest: git })
    } else {
        path.strip_prefix("/model/")
            .and_then(|p| p.split_once('/'))
            .filter(|(provider, rest)| !provider.is_empty() && !rest.is_empty())
            .map(|(provider, rest)| EgressPath::Model { provider, rest })
    };
    let parsed = parsed.ok_or(PathError::NotFound)?;
    let dot_segment = |s: &str| matches!(s.to_ascii_lowercase().replace("%2e", ".").as_str(), "." | "..");
    if path.contains('\\') || path.to_ascii_lowercase().contains("%5c") || path.split('/').any(dot_segment) {
        return Err(PathError::BadPath);
    }
    Ok(parsed)
}

/// `{control_plane_url}/api/sessions/{session}/model/{provider}/{rest}[?{query}]`,
/// `…/git/{rest}[?{query}]`, `…/sandbox/pull-request`, `…/sandbox/origin`, `…/sandbox/media`
/// or `…/sandbox/media/{media_id}` (with the query).
/// The paths are the session's sandbox routes as `oi_protocol::sandbox_routes` writes them
/// (the routes the network gateway admits).
pub fn upstream_url(target: &ProxyTarget, path: EgressPath<'_>, query: Option<&str>) -> String {
    let route = match path {
        EgressPath::Model { provider, rest } => {
            SandboxRoute::Model.path(&target.session_id, &format!("{provider}/{rest}"))
        }
        EgressPath::Git { rest } => SandboxRoute::Git.path(&target.session_id, rest),
        EgressPath::PullRequest => SandboxRoute::PullRequest.path(&target.session_id, ""),
        EgressPath::Origin => SandboxRoute::Origin.path(&target.session_id, ""),
        EgressPath::MediaUpload => SandboxRoute::MediaUpload.path(&target.session_id, ""),
        EgressPath::MediaRead { media_id } => SandboxRoute::MediaRead.path(&target.session_id, media_id),
    };
    let mut url = format!("{}{route}", target.control_plane_url.trim_end_matches('/'));
    if let Some(query) = query.filter(|q| !q.is_empty()) {
        url.push('?');
        url.push_str(query);
    }
    url
}

const HOP_BY_HOP: &[&str] = &["connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade"];

/// Hop-by-hop headers (RFC 9110 §7.6.1, plus those `Connection` names) and `content-length`,
/// which hyper sets itself.
fn is_hop(name: &HeaderName, listed: &[String]) -> bool {
    let name = name.as_str();
    HOP_BY_HOP.contains(&name)
        || name.starts_with("proxy-")
        || name == "content-length"
        || listed.iter().any(|l| l == name)
}

fn connection_listed(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect()
}

/// The headers sent up: OpenCode's, without credentials, cookies, `host` or hop-by-hop headers,
/// plus `Authorization: Bearer {sandbox_token}`.
pub fn request_headers(incoming: &HeaderMap, sandbox_token: &str) -> HeaderMap {
    const DROPPED: &[&str] = &["authorization", "x-api-key", "api-key", "host", "cookie"];
    let listed = connection_listed(incoming);
    let mut out = HeaderMap::new();
    for (name, value) in incoming {
        if !DROPPED.contains(&name.as_str()) && !is_hop(name, &listed) {
            out.append(name.clone(), value.clone());
        }
    }
    if let Ok(mut bearer) = HeaderValue::from_str(&format!("Bearer {sandbox_token}")) {
        bearer.set_sensitive(true);
        out.insert(header::AUTHORIZATION, bearer);
    }
    out
}

/// The headers sent back: the control plane's, without hop-by-hop headers.
pub fn response_headers(upstream: &HeaderMap) -> HeaderMap {
    let listed = connection_listed(upstream);
    let mut out = HeaderMap::new();
    for (name, value) in upstream {
        if !is_hop(name, &listed) {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

/// An OpenAI-style error body, so OpenCode's provider SDKs show the message.
pub fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "error": {"message": message, "type": "proxy_error", "param": null, "code": code}
    });
    (status, axum::Json(body)).into_response()
}

/// A request to the supervisor to commit and push the running prompt's work now; it answers
/// on the enclosed sender when done.
pub type PushRequest = tokio::sync::oneshot::Sender<()>;

/// How long the pull-request tool waits for the work to be pushed before it asks anyway.
const PUSH_WAIT: Duration = Duration::from_secs(120);

#[derive(Clone)]
struct Shared {
    target: Arc<RwLock<ProxyTarget>>,
    client: reqwest::Client,
    /// Where `/tools/pull-request` asks for the work to be pushed first.
    push: Arc<RwLock<Option<tokio::sync::mpsc::UnboundedSender<PushRequest>>>>,
}

/// The running server. It stops when dropped.
pub struct Egress {
    base_url: String,
    target: Arc<RwLock<ProxyTarget>>,
    push: Arc<RwLock<Option<tokio::sync::mpsc::UnboundedSender<PushRequest>>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Egress {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Egress {
    /// Starts the server on 127.0.0.1 (a port the OS chooses).
    pub async fn start(target: ProxyTarget) -> Result<Self> {
        let client = reqwest::Client::builder()
            // A redirect would need the streamed body again, and the token must not follow it.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .build()?;
        let target = Arc::new(RwLock::new(target));
        let push = Arc::new(RwLock::new(None));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let shared = Shared { target: target.clone(), client, push: push.clone() };
        let app = Router::new().fallback(forward).with_state(shared);
        let task = tokio::spawn(async move {
            // No Nagle delay: a streamed token goes out as soon as it comes in.
            let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
                let _ = tcp.set_nodelay(true);
            });
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!("the model proxy stopped: {e}");
            }
        });
        Ok(Self { base_url, target, push, task })
    }

    /// From now on a `/tools/pull-request` call first asks the supervisor (through the returned
    /// receiver) to commit and push the running prompt's work, so the pull request has it.
    pub fn push_requests(&self) -> tokio::sync::mpsc::UnboundedReceiver<PushRequest> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        *self.push.write().unwrap_or_else(PoisonError::into_inner) = Some(tx);
        rx
    }

    /// `http://127.0.0.1:{port}`; a provider's endpoint is [`Egress::provider_url`].
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The target requests go to now.
    pub fn target(&self) -> ProxyTarget {
        self.target.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Points every later request at a new target (a warm-pool claim).
    pub fn set_target(&self, target: ProxyTarget) {
        *self.target.write().unwrap_or_else(PoisonError::into_inner) = target;
    }

    /// `{base_url}/model/{provider_id}`: what OpenCode's provider SDK appends its paths to.
    pub fn provider_url(base_url: &str, provider_id: &str) -> String {
        format!("{}/model/{provider_id}", base_url.trim_end_matches('/'))
    }

    /// `{base_url}/git`: the workspace's git remote.
    pub fn git_url(base_url: &str) -> String {
        format!("{}/git", base_url.trim_end_matches('/'))
    }

    /// `{base_url}/tools/pull-request`: where the pull-request tool posts.
    pub fn pull_request_url(base_url: &str) -> String {
        format!("{}{PULL_REQUEST_PATH}", base_url.trim_end_matches('/'))
    }

    /// `{base_url}/tools/origin`: where the tools that post to the session's origin post.
    pub fn origin_url(base_url: &str) -> String {
        format!("{}{ORIGIN_PATH}", base_url.trim_end_matches('/'))
    }

    /// `{base_url}/tools/media`: where the screenshot tool uploads (with its query).
    pub fn media_upload_url(base_url: &str) -> String {
        format!("{}{MEDIA_UPLOAD_PATH}", base_url.trim_end_matches('/'))
    }

    /// `{base_url}/media/{media_id}`: where the supervisor reads a prompt's attached image.
    pub fn media_read_url(base_url: &str, media_id: &str) -> String {
        format!("{}{MEDIA_READ_PREFIX}{media_id}", base_url.trim_end_matches('/'))
    }
}

/// Asks the supervisor to push the running prompt's work and waits (at most [`PUSH_WAIT`]).
async fn push_first(shared: &Shared) {
    let sender = shared.push.read().unwrap_or_else(PoisonError::into_inner).clone();
    let Some(sender) = sender else { return };
    let (done, wait) = tokio::sync::oneshot::channel();
    if sender.send(done).is_ok() && tokio::time::timeout(PUSH_WAIT, wait).await.is_err() {
        tracing::warn!("egress: the work was not pushed within {PUSH_WAIT:?}; asking for the pull request anyway");
    }
}

async fn forward(State(shared): State<Shared>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let method = parts.method.clone();
    let path = match parse_path(parts.uri.path()) {
        Ok(path) => path,
        Err(e) => {
            let (status, code, message) = match e {
                PathError::NotFound => (
                    StatusCode::NOT_FOUND,
                    "not_found",
                    "no such endpoint (only /model/…, /git/…, /tools/pull-request, /tools/origin, /tools/media and /media/…)",
                ),
                PathError::BadPath => (StatusCode::BAD_REQUEST, "bad_path", "dot segments are not allowed"),
            };
            tracing::info!(%method, status = status.as_u16(), "egress: refused {}", parts.uri.path());
            return error_response(status, code, message);
        }
    };
    if let Some(only) = path.only_method().filter(|only| *only != method) {
        tracing::info!(%method, status = 405, "egress: refused {}", parts.uri.path());
        return error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            &format!("{} takes only {only}", parts.uri.path()),
        );
    }
    if path == EgressPath::PullRequest {
        push_first(&shared).await;
    }
    let target = shared.target.read().unwrap_or_else(PoisonError::into_inner).clone();
    let url = upstream_url(&target, path, parts.uri.query());
    let mut upstream =
        shared.client.request(method.clone(), url).headers(request_headers(&parts.headers, &target.sandbox_token));
    if !body.is_end_stream() {
        upstream = upstream.body(reqwest::Body::wrap_stream(body.into_data_stream()));
    }
    match upstream.send().await {
        Ok(res) => {
            let status = res.status();
            tracing::info!(%method, route = ?path, status = status.as_u16(), "egress");
            let headers = response_headers(res.headers());
            let mut response = Response::new(Body::from_stream(res.bytes_stream()));
            *response.status_mut() = status;
            *response.headers_mut() = headers;
            response
        }
        Err(e) => {
            tracing::warn!(%method, route = ?path, status = 502, "egress: {e}");
            error_response(
                StatusCode::BAD_GATEWAY,
                "control_plane_unreachable",
                &format!("the sandbox could not reach the control plane: {e}"),
            )
        }
    }
}

#[cfg(test)]
#[path = "egress_tests.rs"]
mod tests;
