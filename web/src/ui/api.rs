//! The REST client: one function per route the app uses, each with the protocol's types.
//! Every failure is an [`ApiError`]: the server's own error body, or a description of what
//! went wrong on the way.

use gloo_net::http::{Request, RequestBuilder};
use oi_protocol::automations::{
    Automation, AutomationList, AutomationRun, AutomationWithSecret, CreateAutomation, RunList, UpdateAutomation,
};
use oi_protocol::integrations::{DeliveryList, Integration, IntegrationList, IntegrationName, UpdateIntegration};
use oi_protocol::media::MediaInfo;
use oi_protocol::rest::{
    ChooseLocalUser, CreateSessionRequest, Me, ModelList, PromptAccepted, PromptRequest, SessionList, StopAccepted,
    WsTokenGrant,
};
use oi_protocol::secrets::{
    ImportSecretsRequest, ImportSecretsResult, PutSecretRequest, SecretAuditLog, SecretInfo, SecretList, SecretScope,
};
use oi_protocol::source_control::{BranchList, CreatePullRequest, PullRequest, RepositoryList};
use oi_protocol::{ApiError, ErrorCode, SessionState, SessionSummary};
use serde::de::DeserializeOwned;
use serde::Serialize;
use web_sys::Blob;

use crate::model::query::ListFilter;
use crate::model::{attachments, auth, automations, errors, integrations, pull_request, repo_picker, secrets};

/// Sends the request; a 2xx answer's body, or the error of any other answer.
async fn exchange(builder: RequestBuilder, body: Option<String>) -> Result<String, ApiError> {
    let request = match body {
        Some(body) => builder.header("content-type", "application/json").body(body),
        None => builder.build(),
    }
    .map_err(|e| errors::unreachable(&e.to_string()))?;
    answer(request).await
}

/// Sends `bytes` as the raw body, with their own type as `Content-Type`; a 2xx answer's body
/// read as `T`, or the error of any other answer.
async fn send_raw<T: DeserializeOwned>(builder: RequestBuilder, bytes: &Blob) -> Result<T, ApiError> {
    let request = builder
        .header("content-type", &bytes.type_())
        .body(bytes.clone())
        .map_err(|e| errors::unreachable(&e.to_string()))?;
    let text = answer(request).await?;
    serde_json::from_str(&text).map_err(|e| errors::unexpected(&e.to_string()))
}

/// A 2xx answer's body, or the error of any other answer.
async fn answer(request: Request) -> Result<String, ApiError> {
    let response = request.send().await.map_err(|e| errors::unreachable(&e.to_string()))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| errors::unreachable(&e.to_string()))?;
    if (200..300).contains(&status) {
        Ok(text)
    } else {
        Err(errors::from_response(status, &text))
    }
}

async fn send<T: DeserializeOwned>(builder: RequestBuilder, body: Option<String>) -> Result<T, ApiError> {
    let text = exchange(builder, body).await?;
    serde_json::from_str(&text).map_err(|e| errors::unexpected(&e.to_string()))
}

async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    send(Request::get(path), None).await
}

fn json<B: Serialize>(body: &B) -> Result<String, ApiError> {
    serde_json::to_string(body).map_err(|e| errors::unexpected(&e.to_string()))
}

async fn post<B: Serialize, T: DeserializeOwned>(path: &str, body: Option<&B>) -> Result<T, ApiError> {
    let body = body.map(json).transpose()?;
    send(Request::post(path), body).await
}

/// `GET /api/health`: how this deployment signs people in (no sign-in needed).
pub async fn health() -> Result<oi_protocol::rest::Health, ApiError> {
    send(Request::get("/api/health"), None).await
}

pub async fn me() -> Result<Me, ApiError> {
    get("/api/me").await
}

/// Ends the GitHub web session (204: the cookie is cleared).
pub async fn logout() -> Result<(), ApiError> {
    exchange(Request::post(auth::LOGOUT), None).await.map(drop)
}

pub async fn choose_name(name: &str) -> Result<Me, ApiError> {
    let body = json(&ChooseLocalUser { name: name.to_string() })?;
    send(Request::put("/api/me"), Some(body)).await
}

pub async fn models() -> Result<ModelList, ApiError> {
    get("/api/models").await
}

pub async fn sessions(filter: &ListFilter, limit: u32, cursor: Option<String>) -> Result<SessionList, ApiError> {
    get(&filter.path(limit, cursor)).await
}

pub async fn create_session(req: &CreateSessionRequest) -> Result<SessionSummary, ApiError> {
    post("/api/sessions", Some(req)).await
}

pub async fn session(id: &str) -> Result<SessionState, ApiError> {
    get(&format!("/api/sessions/{id}")).await
}

pub async fn prompt(id: &str, req: &PromptRequest) -> Result<PromptAccepted, ApiError> {
    post(&format!("/api/sessions/{id}/prompts"), Some(req)).await
}

/// Uploads an image to attach to the session's next prompt (the file's bytes as the body, its
/// type as `Content-Type`): 201 with the stored attachment, or the server's refusal (413 too
/// large, 415 not an image it takes, …).
pub async fn upload_attachment(session_id: &str, name: &str, image: &Blob) -> Result<MediaInfo, ApiError> {
    send_raw(Request::post(&attachments::upload_path(session_id, name)), image).await
}

/// A link that enters the preview of the sandbox's `port` (on the preview's own origin).
pub async fn preview_link(id: &str, port: u16) -> Result<oi_protocol::preview::PreviewLink, ApiError> {
    post::<(), _>(&format!("/api/sessions/{id}/previews/{port}"), None).await
}

/// A single-use token for the session's WebSocket.
pub async fn ws_token(id: &str) -> Result<WsTokenGrant, ApiError> {
    post::<(), _>(&format!("/api/sessions/{id}/ws-token"), None).await
}

pub async fn stop(id: &str) -> Result<StopAccepted, ApiError> {
    post::<(), _>(&format!("/api/sessions/{id}/stop"), None).await
}

pub async fn set_archived(id: &str, archived: bool) -> Result<SessionSummary, ApiError> {
    let verb = if archived { "archive" } else { "unarchive" };
    post::<(), _>(&format!("/api/sessions/{id}/{verb}"), None).await
}

/// The repositories the deployment can work on (`configured: false`: none is set up).
pub async fn repos() -> Result<RepositoryList, ApiError> {
    get(repo_picker::REPOS_PATH).await
}

/// A repository's branches; `full_name` is `owner/name`.
pub async fn branches(full_name: &str) -> Result<BranchList, ApiError> {
    let path = repo_picker::branches_path(full_name)
        .ok_or_else(|| ApiError::new(ErrorCode::InvalidRequest, format!("{full_name} is not owner/name")))?;
    get(&path).await
}

/// Opens the session's pull request, or updates the one it has.
pub async fn open_pull_request(id: &str, req: &CreatePullRequest) -> Result<PullRequest, ApiError> {
    post(&pull_request::path(id), Some(req)).await
}

/// A scope's secrets: names, sizes and who changed them (never values).
pub async fn secrets(scope: &SecretScope) -> Result<SecretList, ApiError> {
    get(&secrets::list_path(scope)).await
}

/// Sets (creates or replaces) one secret.
pub async fn put_secret(scope: &SecretScope, name: &str, value: String) -> Result<SecretInfo, ApiError> {
    let body = json(&PutSecretRequest { value })?;
    send(Request::put(&secrets::secret_path(scope, name)), Some(body)).await
}

/// Deletes one secret (204).
pub async fn delete_secret(scope: &SecretScope, name: &str) -> Result<(), ApiError> {
    exchange(Request::delete(&secrets::secret_path(scope, name)), None).await.map(drop)
}

/// Sets every variable of a `.env` file, all or none.
pub async fn import_secrets(scope: &SecretScope, dotenv: String) -> Result<ImportSecretsResult, ApiError> {
    post(&secrets::import_path(scope), Some(&ImportSecretsRequest { dotenv })).await
}

pub async fn secret_audit(scope: &SecretScope) -> Result<SecretAuditLog, ApiError> {
    get(&secrets::audit_path(scope)).await
}

pub async fn automations() -> Result<AutomationList, ApiError> {
    get(automations::LIST_PATH).await
}

pub async fn automation(id: &str) -> Result<Automation, ApiError> {
    get(&automations::automation_path(id)).await
}

/// 201: the automation and its secret, shown this once.
pub async fn create_automation(req: &CreateAutomation) -> Result<AutomationWithSecret, ApiError> {
    post(automations::LIST_PATH, Some(req)).await
}

pub async fn update_automation(id: &str, req: &UpdateAutomation) -> Result<Automation, ApiError> {
    send(Request::patch(&automations::automation_path(id)), Some(json(req)?)).await
}

/// 204.
pub async fn delete_automation(id: &str) -> Result<(), ApiError> {
    exchange(Request::delete(&automations::automation_path(id)), None).await.map(drop)
}

/// `pause` or `resume`.
pub async fn set_automation_enabled(id: &str, enabled: bool) -> Result<Automation, ApiError> {
    let action = if enabled { "resume" } else { "pause" };
    post::<(), _>(&automations::action_path(id, action), None).await
}

/// A new secret (the old one stops working), shown this once.
pub async fn rotate_automation_secret(id: &str) -> Result<AutomationWithSecret, ApiError> {
    post::<(), _>(&automations::action_path(id, "secret"), None).await
}

/// "Run now" (201).
pub async fn run_automation(id: &str) -> Result<AutomationRun, ApiError> {
    post::<(), _>(&automations::action_path(id, "runs"), None).await
}

pub async fn automation_runs(id: &str, cursor: Option<&str>) -> Result<RunList, ApiError> {
    get(&automations::runs_path(id, automations::RUNS_PAGE, cursor)).await
}

pub async fn integrations() -> Result<IntegrationList, ApiError> {
    get(integrations::LIST_PATH).await
}

pub async fn update_integration(name: IntegrationName, req: &UpdateIntegration) -> Result<Integration, ApiError> {
    send(Request::put(&integrations::integration_path(name)), Some(json(req)?)).await
}

pub async fn integration_deliveries(name: IntegrationName) -> Result<DeliveryList, ApiError> {
    get(&integrations::deliveries_path(name)).await
}
