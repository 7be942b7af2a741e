//! REST request and response bodies under `/api`. Every error is an
//! [`crate::error::ErrorBody`].

use serde::{Deserialize, Serialize};

use crate::events::SessionEvent;
use crate::session::{SessionStatus, SessionSummary};

/// `POST /api/sessions` → 201 [`SessionSummary`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CreateSessionRequest {
    /// A git URL, an absolute local path, or `owner/name`.
    pub repo: String,
    /// Defaults to `main`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// `provider/model`; defaults to the deployment's default model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Only the owner and admins may see it; defaults to the deployment's setting
    /// (`SESSIONS_PRIVATE_BY_DEFAULT`, off unless set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private: Option<bool>,
}

/// Query of `GET /api/sessions`: `?status=&archived=&limit=&cursor=`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ListSessionsQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<SessionStatus>,
    /// `false` (the default) lists live sessions, `true` archived ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Only sessions the caller created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mine: Option<bool>,
    /// Only sessions whose title or repository contains this text (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Only sessions of this origin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<crate::origin::OriginKind>,
}

/// `GET /api/sessions` → 200. Newest activity first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionList {
    pub sessions: Vec<SessionSummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// `POST /api/sessions/:id/prompts` (also the `prompt` client message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptRequest {
    pub text: String,
    /// Chosen by the client, 1 to 128 characters; a retry with the same id and text returns
    /// the first answer instead of queueing again.
    pub client_request_id: String,
    /// Overrides the session's model for this prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Images uploaded with `POST /api/sessions/:id/attachments`, by `media_id`, at most
    /// [`crate::media::MAX_ATTACHMENTS_PER_PROMPT`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<String>,
}

/// `POST /api/sessions/:id/prompts` → 202.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptAccepted {
    pub message_id: String,
    /// Prompts that run before this one (0: it runs now, or next).
    pub position: u32,
    /// True when this answers a retry of an earlier request.
    #[serde(default)]
    pub duplicate: bool,
}

/// `POST /api/sessions/:id/stop` → 202.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StopAccepted {
    /// The prompt being stopped; absent when nothing was running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

/// `GET /api/sessions/:id/events?after=SEQ&limit=N` → 200.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventsPage {
    pub events: Vec<SessionEvent>,
    /// True when more events follow the last one returned.
    pub has_more: bool,
    /// The newest `seq` in the session when the page was read.
    pub last_seq: u64,
}

/// `POST /api/sessions/:id/sandbox/attach` → 201: a sandbox token for a bridge started by hand.
/// The token is shown once; only its hash is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxAttachment {
    pub sandbox_id: String,
    pub token: String,
}

/// `GET /api/health` → 200.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub ok: bool,
    pub version: String,
    /// How people sign in here (so a page that is not signed in knows what to ask for).
    #[serde(default)]
    pub auth: AuthMode,
}

/// One model a session can use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelOption {
    /// `provider/model`
    pub id: String,
    pub provider: String,
    /// The scripted test model (labelled as such in the UI).
    pub test_model: bool,
}

/// `GET /api/models` → 200.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelList {
    pub default_model: String,
    pub models: Vec<ModelOption>,
}

/// `GET /api/me` (and `PUT /api/me`) → 200: who the caller is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub user: crate::session::User,
    /// True while the deployment runs in local mode (no sign-in): `PUT /api/me` may then
    /// choose a display name for this browser.
    pub local_mode: bool,
    /// What the caller may do across the deployment.
    #[serde(default)]
    pub role: crate::session::Role,
    /// How people sign in: `local` (no sign-in; the configured local admin, or a picked name)
    /// or `github` (GitHub OAuth).
    #[serde(default)]
    pub auth: AuthMode,
}

/// `POST /api/sessions/:id/ws-token` → 201: a token for one client WebSocket to this session,
/// `GET /api/sessions/:id/ws?token=…`. It works once, for five minutes, for this session only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WsTokenGrant {
    pub token: String,
    /// Unix milliseconds.
    pub expires_at: i64,
}

/// How a deployment signs people in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    /// One machine (`scripts/run`): no accounts; each run's token (a link to open, or a bearer
    /// token) lets people in. Refused on a public URL.
    #[default]
    Local,
    /// GitHub OAuth, with an allowlist.
    Github,
}

/// `PUT /api/me` (local mode only): act as another local person in this browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChooseLocalUser {
    /// 1 to 60 characters.
    pub name: String,
}

/// `GET /api/images?repo=&branch=` → 200: repo images, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageList {
    pub images: Vec<crate::provider::ImageInfo>,
}

/// `POST /api/images` → 202 [`crate::provider::ImageInfo`]: build an image of a repo now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildImageRequest {
    pub repo: String,
    /// Defaults to `main`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
}

/// One configured warm pool and how full it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolState {
    pub repo: String,
    pub branch: String,
    /// The configured size.
    pub size: u32,
    /// Sandboxes booting or waiting to be claimed.
    pub warming: u32,
    /// Sandboxes claimed by sessions so far.
    pub claimed: u32,
}

/// `GET /api/pools` → 200.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolList {
    pub pools: Vec<PoolState>,
}

/// Model use by one session through the control plane's model proxy, per `provider/model`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ModelUsage {
    /// `provider/model` as the request named it.
    pub model: String,
    pub requests: u32,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// US dollars, from the provider's configured prices (0 when none are configured).
    pub cost_usd: f64,
}

/// `GET /api/sessions/:id/usage` → 200.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SessionUsage {
    pub models: Vec<ModelUsage>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
}
