//! `POST /api/github/webhook`: GitHub's deliveries to the App. The signature
//! (`X-Hub-Signature-256`, `GITHUB_WEBHOOK_SECRET`) is checked before anything is read; a
//! delivery id seen before is acknowledged and ignored. Installations keep the repository list
//! current; pull request and check deliveries go to the session the branch belongs to.

use oi_protocol::source_control::{Repository, WebhookAck};
use oi_protocol::{ApiError, ErrorCode};
use oi_session_core::github::events::{CheckCompleted, InstallationAction, PullRequestEvent, RepositoriesAction};
use oi_session_core::github::pr_state::session_of_branch;
use oi_session_core::github::{parse_event, verify_signature, WebhookEvent};
use serde::Serialize;
use worker::{Env, Request, Response};

use super::store;
use crate::config::secret;
use crate::http::{json_response, Outcome};
use crate::session::internal::{Internal, SessionStub};

/// GitHub's own cap on a delivery.
const MAX_DELIVERY_BYTES: usize = 25 * 1024 * 1024;

fn named_repos(names: &[String]) -> Vec<Repository> {
    names
        .iter()
        .map(|n| Repository { full_name: n.clone(), default_branch: String::new(), private: false, html_url: None })
        .collect()
}

pub async fn receive(mut req: Request, env: &Env) -> Outcome<Response> {
    let body = crate::http::read_body(&mut req, MAX_DELIVERY_BYTES).await?;
    let secret = secret(env, "GITHUB_WEBHOOK_SECRET").unwrap_or_default();
    let signature = req.headers().get("x-hub-signature-256")?;
    verify_signature(secret.as_bytes(), &body, signature.as_deref()).map_err(ApiError::from)?;
    let event_name = req
        .headers()
        .get("x-github-event")?
        .ok_or_else(|| ApiError::new(ErrorCode::InvalidRequest, "the delivery has no X-GitHub-Event header"))?;
    let delivery = req
        .headers()
        .get("x-github-delivery")?
        .filter(|d| !d.trim().is_empty())
        .ok_or_else(|| ApiError::new(ErrorCode::InvalidRequest, "the delivery has no X-GitHub-Delivery header"))?;
    // GitHub signs no timestamp: a replay is caught by its id, or by its signature when it
    // comes with a new id (the same body signs the same).
    let keys = [format!("id:{delivery}"), format!("sig:{}", signature.unwrap_or_default())];
    if store::delivery_seen(env, &keys).await? {
        return json_response(200, &WebhookAck { ok: true, handled: "replay".into(), review: None });
    }
    let event = parse_event(&event_name, &body).map_err(|e| ApiError::new(ErrorCode::InvalidRequest, e))?;
    // The review bot reads the same deliveries (a pull request opened, a comment mentioning
    // the App); a pull request's state still goes to its session below.
    let review = crate::github_review::deliveries::route(env, &event_name, &body).await?;
    let handled = match event {
        WebhookEvent::Installation(e) => {
            let id = e.installation_id.to_string();
            match e.action {
                InstallationAction::Created => {
                    let account = e.account_login.unwrap_or_default();
                    store::save_installation(env, &id, &account, &named_repos(&e.repositories)).await?;
                }
                InstallationAction::Deleted => store::delete_installation(env, &id).await?,
            }
            "installation"
        }
        WebhookEvent::InstallationRepositories(e) => {
            let id = e.installation_id.to_string();
            match e.action {
                RepositoriesAction::Added => store::add_repos(env, &id, &named_repos(&e.added)).await?,
                RepositoriesAction::Removed => store::remove_repos(env, &id, &e.removed).await?,
            }
            "installation_repositories"
        }
        WebhookEvent::PullRequest(e) => {
            let session = match session_of_branch(&e.head_ref) {
                Some(id) => Some(id.to_string()),
                None => store::pull_request_session(env, &e.repository, Some(e.number), None).await?,
            };
            forward(env, session, &Update::PullRequest(e)).await?
        }
        WebhookEvent::CheckCompleted(e) => {
            let session = match e.head_branch.as_deref().and_then(session_of_branch) {
                Some(id) => Some(id.to_string()),
                None => store::pull_request_session(env, &e.repository, None, Some(&e.head_sha)).await?,
            };
            forward(env, session, &Update::Check(e)).await?
        }
        WebhookEvent::Ignored { .. } => "ignored",
    };
    store::delivery_handled(env, &keys).await?;
    json_response(200, &WebhookAck { ok: true, handled: handled.to_string(), review })
}

/// What a delivery tells a session about its pull request: the parsed event, as it is.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
// The tag is not `kind`: `CheckCompleted` has a field of that name.
#[serde(tag = "update", rename_all = "snake_case")]
pub enum Update {
    PullRequest(PullRequestEvent),
    Check(CheckCompleted),
}

/// Hands the update to the session's Durable Object (when the session exists).
async fn forward(env: &Env, session: Option<String>, update: &Update) -> Outcome<&'static str> {
    let Some(session) = session else { return Ok("no_session") };
    if !crate::index_store::exists(env, &session).await? {
        return Ok("no_session");
    }
    let call = Internal::PullRequestUpdate { update: update.clone() };
    Ok(match SessionStub::new(env, &session)?.call(&call).await {
        Ok(_) => "session",
        Err(e) => {
            worker::console_error!("pull request update for {session}: {e}");
            "session_refused"
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use oi_session_core::github::events::CheckKind;

    #[test]
    fn an_update_reaches_the_session_whole() {
        let check = CheckCompleted {
            kind: CheckKind::Suite,
            conclusion: Some("success".into()),
            head_branch: Some("oi/ses_1".into()),
            head_sha: "abc".into(),
            repository: "acme/widgets".into(),
            installation_id: Some(31),
        };
        let json = serde_json::to_string(&Update::Check(check.clone())).unwrap();
        match serde_json::from_str::<Update>(&json).unwrap() {
            Update::Check(back) => assert_eq!(back, check),
            other => panic!("{other:?}"),
        }
    }
}
