//! What an automation's sessions tell it: a prompt's end ends the run it was (and counts in
//! the failure streak); every notice goes on to the automation's callback URL, if it has one,
//! signed with the automation's secret (`X-OI-Signature-256`, the same scheme as deliveries to
//! it) under its stable id (`X-OI-Notice-Id`), so the receiver can verify and dedupe it.
//!
//! Invariant: ending the run comes first and happens once (a retried notice finds the run
//! ended), so a receiver that is down delays only its own callback.

use oi_integrations::callbacks::{judge_status, Delivered};
use oi_integrations::signature::{sign_oi, OI_SIGNATURE_HEADER};
use oi_protocol::automations::RunStatus;
use oi_protocol::origin::{NoticeEvent, OriginNotice};
use worker::{Env, Fetch, Headers, Method, Request, RequestInit};

use super::{run_store, runs, store};
use crate::ids;
use crate::jobs::JobError;

/// The automation a notice's origin names (`aut_…/run_…`).
fn automation_of(notice: &OriginNotice) -> Option<&str> {
    notice.origin.reference.as_deref().and_then(|r| r.split('/').next()).filter(|id| id.starts_with("aut_"))
}

pub async fn deliver(env: &Env, notice: &OriginNotice) -> Result<(), JobError> {
    let Some(automation_id) = automation_of(notice) else {
        return Err(JobError::GiveUp(format!("notice {} names no automation", notice.id)));
    };
    let ended = match &notice.event {
        NoticeEvent::PromptFinished { prompt_id, .. } => Some((prompt_id, RunStatus::Succeeded, None)),
        NoticeEvent::PromptFailed { prompt_id, reason } => Some((prompt_id, RunStatus::Failed, Some(reason.as_str()))),
        _ => None,
    };
    if let Some((prompt_id, status, reason)) = ended {
        if let Some(run) = run_store::run_of_prompt(env, &notice.session_id, prompt_id).await? {
            runs::end(env, automation_id, &run.run.id, status, reason).await?;
        }
    }
    let Some(stored) = store::get(env, automation_id).await? else { return Ok(()) };
    let Some(url) = stored.automation.callback_url.clone() else { return Ok(()) };
    let keys = crate::secrets::keys::key_ring(env).map_err(|e| JobError::Retry(e.message))?;
    let secret = stored.secret(&keys).map_err(JobError::Retry)?;
    let body = serde_json::to_string(notice).map_err(|e| JobError::GiveUp(e.to_string()))?;
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    headers.set(OI_SIGNATURE_HEADER, &sign_oi(&secret, body.as_bytes(), ids::now_ms()))?;
    headers.set("x-oi-notice-id", &notice.id)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(body.into()));
    let response = match Fetch::Request(Request::new_with_init(&url, &init)?).send().await {
        Ok(response) => response,
        Err(e) => return Err(JobError::Retry(format!("the callback {url} could not be reached: {e}"))),
    };
    match judge_status(response.status_code()) {
        Delivered::Yes => Ok(()),
        Delivered::Retry => Err(JobError::Retry(format!("the callback {url} answered {}", response.status_code()))),
        Delivered::GiveUp => {
            Err(JobError::GiveUp(format!("the callback {url} refused it: {}", response.status_code())))
        }
    }
}
