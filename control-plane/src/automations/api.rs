//! `/api/automations`: create, list, read, edit, pause, resume, run now, rotate the secret,
//! delete; the run history and the delivery log. Members manage their own automations, admins
//! every one (`Action::ManageAutomations`). An automation is checked whole before it is saved
//! (`oi_integrations::automation_rules::validate`, the error naming the field), and its owner
//! must be able to start sessions on its repository.

use oi_integrations::automation_rules::{apply_update, next_run_at, validate};
use oi_protocol::automations::{
    Automation, AutomationList, AutomationWithSecret, CreateAutomation, RunList, TriggerKind, UpdateAutomation,
};
use oi_protocol::integrations::DeliveryList;
use oi_protocol::{ApiError, ErrorCode};
use oi_session_core::auth::access::{authorize, Action, Actor, Target};
use worker::{Env, Request, Response};

use super::runs::{self, NewRun};
use super::{run_store, store, webhook};
use crate::auth::{current_caller, Caller};
use crate::github::access;
use crate::http::{json_response, query_param, read_json, Outcome};
use crate::integrations::deliveries;
use crate::{config, ids};

/// Runs per page: default and most.
const RUNS_PAGE: u32 = 20;
const MAX_RUNS_PAGE: u32 = 100;

async fn caller_who_may(req: &Request, env: &Env, target: Target<'_>) -> Outcome<Caller> {
    let caller = current_caller(req, env).await?;
    authorize(&Actor { user_id: &caller.user.id, role: caller.role }, Action::ManageAutomations, &target)
        .map_err(ApiError::from)?;
    Ok(caller)
}

/// The automation, if the caller may manage it (404 when there is none).
async fn owned(req: &Request, env: &Env, id: &str) -> Outcome<(store::Stored, Caller)> {
    let Some(stored) = store::get(env, id).await? else {
        return Err(ApiError::new(ErrorCode::NotFound, format!("no automation {id:?}")).into());
    };
    let caller = caller_who_may(req, env, Target::Automation { owner_id: &stored.automation.owner.id }).await?;
    Ok((stored, caller))
}

fn local_mode(env: &Env) -> bool {
    crate::auth::local::local_mode(env)
}

/// A schedule's next slot from `now`, while it is enabled.
fn next_slot(a: &Automation, now: i64) -> Option<i64> {
    next_run_at(&a.trigger, a.enabled, now)
}

/// Checks an automation as it would be saved: its fields, then its owner's access to the
/// repository.
async fn check(env: &Env, a: &Automation) -> Outcome<()> {
    validate(a, local_mode(env)).map_err(|e| e.to_api_error())?;
    access::require(env, &a.owner.id, &a.repo, access::TO_START).await
}

/// `GET /api/automations`: the caller's own, every one for an admin.
pub async fn list(req: &Request, env: &Env) -> Outcome<Response> {
    let caller = caller_who_may(req, env, Target::Deployment).await?;
    let owner = (caller.role != oi_protocol::Role::Admin).then_some(caller.user.id.as_str());
    json_response(200, &AutomationList { automations: store::list(env, owner).await? })
}

/// `POST /api/automations` → 201 with its secret (shown this once).
pub async fn create(mut req: Request, env: &Env) -> Outcome<Response> {
    let caller = caller_who_may(&req, env, Target::Deployment).await?;
    let body: CreateAutomation = read_json(&mut req).await?;
    let now = ids::now_ms();
    let mut a = Automation {
        id: ids::new_id("aut"),
        name: body.name.trim().to_string(),
        repo: body.repo,
        branch: body.branch.unwrap_or_else(|| "main".into()),
        model: body.model.unwrap_or_else(|| config::default_model(env)),
        prompt: body.prompt,
        trigger: body.trigger,
        owner: caller.user,
        enabled: body.enabled.unwrap_or(true),
        paused_reason: None,
        consecutive_failures: 0,
        next_run_at: None,
        webhook_path: None,
        callback_url: body.callback_url.filter(|u| !u.is_empty()),
        created_at: now,
        updated_at: now,
    };
    check(env, &a).await?;
    a.next_run_at = next_slot(&a, now);
    let secret = ids::new_token();
    store::insert(env, &a, &crate::secrets::keys::key_ring(env)?, &secret).await?;
    let automation = reread(env, &a.id).await?;
    json_response(201, &AutomationWithSecret { automation, secret })
}

async fn reread(env: &Env, id: &str) -> Outcome<Automation> {
    store::get(env, id)
        .await?
        .map(|s| s.automation)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("automation {id:?} was deleted meanwhile")).into())
}

/// `GET /api/automations/:id`.
pub async fn get(req: &Request, env: &Env, id: &str) -> Outcome<Response> {
    let (stored, _) = owned(req, env, id).await?;
    json_response(200, &stored.automation)
}

/// `PATCH /api/automations/:id` → 200.
pub async fn update(mut req: Request, env: &Env, id: &str) -> Outcome<Response> {
    let (stored, _) = owned(&req, env, id).await?;
    let body: UpdateAutomation = read_json(&mut req).await?;
    let now = ids::now_ms();
    let before = stored.automation;
    let mut a = apply_update(&before, &body, now);
    check(env, &a).await?;
    if a.trigger != before.trigger || a.next_run_at.is_none() {
        a.next_run_at = next_slot(&a, now);
    }
    store::update(env, &a).await?;
    json_response(200, &reread(env, id).await?)
}

/// `DELETE /api/automations/:id` → 204 (its runs go too; their sessions stay).
pub async fn delete(req: &Request, env: &Env, id: &str) -> Outcome<Response> {
    owned(req, env, id).await?;
    store::delete(env, id).await?;
    Ok(Response::empty()?.with_status(204))
}

/// `POST /api/automations/:id/pause` and `/resume` → 200. Resuming clears a pause the
/// automation made itself, and its failure streak.
pub async fn set_enabled(req: &Request, env: &Env, id: &str, enabled: bool) -> Outcome<Response> {
    let (stored, _) = owned(req, env, id).await?;
    let now = ids::now_ms();
    let mut a = stored.automation;
    a.enabled = enabled;
    a.paused_reason = None;
    a.updated_at = now;
    if enabled {
        a.consecutive_failures = 0;
    }
    a.next_run_at = next_slot(&a, now);
    store::update(env, &a).await?;
    json_response(200, &reread(env, id).await?)
}

/// `POST /api/automations/:id/runs`: "run now" → 201 with the run (also while paused).
pub async fn run_now(req: &Request, env: &Env, id: &str) -> Outcome<Response> {
    let (stored, _) = owned(req, env, id).await?;
    let run = runs::record(env, &stored.automation, NewRun::new(TriggerKind::Manual, ids::now_ms()))
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::Conflict, "a run for this moment exists already"))?;
    json_response(201, &run)
}

/// `POST /api/automations/:id/secret`: a new secret (the old one stops working) → 200.
pub async fn rotate_secret(req: &Request, env: &Env, id: &str) -> Outcome<Response> {
    let (stored, _) = owned(req, env, id).await?;
    let secret = ids::new_token();
    store::set_secret(env, id, &crate::secrets::keys::key_ring(env)?, &secret, ids::now_ms()).await?;
    json_response(200, &AutomationWithSecret { automation: stored.automation, secret })
}

/// `GET /api/automations/:id/runs?limit=&cursor=`: newest first.
pub async fn runs(req: &Request, env: &Env, id: &str) -> Outcome<Response> {
    owned(req, env, id).await?;
    let url = req.url()?;
    let bad = |what: String| ApiError::new(ErrorCode::InvalidRequest, what);
    let limit = match query_param(&url, "limit") {
        None => RUNS_PAGE,
        Some(v) => match v.parse::<u32>() {
            Ok(n) if (1..=MAX_RUNS_PAGE).contains(&n) => n,
            _ => return Err(bad(format!("`limit` must be 1 to {MAX_RUNS_PAGE}, got {v:?}")).into()),
        },
    };
    let cursor = query_param(&url, "cursor");
    let before = match &cursor {
        None => None,
        Some(c) => {
            let parsed = c.split_once('_').and_then(|(at, id)| Some((at.parse::<i64>().ok()?, id)));
            Some(parsed.ok_or_else(|| bad(format!("`cursor` {c:?} is not one this API gave")))?)
        }
    };
    let mut page = run_store::runs(env, id, before, limit + 1).await?;
    let next_cursor = (page.len() > limit as usize).then(|| {
        page.truncate(limit as usize);
        let last = &page[page.len() - 1];
        format!("{}_{}", last.created_at, last.id)
    });
    json_response(200, &RunList { runs: page, next_cursor })
}

/// `GET /api/automations/:id/deliveries`: what its webhook received (7 days).
pub async fn deliveries(req: &Request, env: &Env, id: &str) -> Outcome<Response> {
    owned(req, env, id).await?;
    json_response(200, &DeliveryList { deliveries: deliveries::recent(env, &webhook::source_of(id)).await? })
}
