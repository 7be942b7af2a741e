//! An automation's runs: recording one (every trigger ends here), starting it in the
//! background (its session and its prompt, as the owner), and ending it when its prompt ends.
//!
//! Invariants: a run is recorded before anything starts, and only by the writer whose insert
//! took (a slot, a key). Starting a run can be repeated without harm: its session id follows
//! from the run id and its prompt carries the run id as `client_request_id`, so a retried job
//! finds the same session and the session answers the same prompt. A run ends once (compare
//! and swap from `running`), so its outcome counts once in the failure streak.

use std::collections::BTreeMap;

use oi_integrations::{runs as rules, template};
use oi_protocol::automations::{Automation, AutomationRun, RunStatus, TriggerKind};
use oi_protocol::origin::{OriginKind, SessionOrigin};
use oi_protocol::rest::{AuthMode, CreateSessionRequest, PromptAccepted, PromptRequest};
use oi_protocol::User;
use oi_session_core::auth::allowlist::check_allowed;
use worker::Env;

use super::{run_store, store};
use crate::auth::{settings, users_store};
use crate::http::Failure;
use crate::jobs::{self, JobError, Work};
use crate::session::internal::{Internal, SessionStub};
use crate::{ids, index_store};

/// A run about to be recorded.
pub struct NewRun {
    pub trigger: TriggerKind,
    /// A schedule's slot.
    pub slot: Option<i64>,
    /// A webhook delivery's idempotency key, or a Sentry issue's.
    pub key: Option<String>,
    /// A follow-up prompt in the session of the key's first run.
    pub follow_up: bool,
    /// Skipped runs are recorded as such and start nothing.
    pub skipped: Option<String>,
    /// The trigger's own prompt variables (a webhook's, a Sentry issue's).
    pub values: BTreeMap<String, String>,
    /// A prompt given as is (a follow-up), instead of the automation's template.
    pub prompt: Option<String>,
    /// When it was triggered (a schedule's slot time, else now).
    pub at: i64,
}

impl NewRun {
    pub fn new(trigger: TriggerKind, at: i64) -> Self {
        Self {
            trigger,
            slot: None,
            key: None,
            follow_up: false,
            skipped: None,
            values: BTreeMap::new(),
            prompt: None,
            at,
        }
    }
}

/// The variables every run has, with the trigger's own.
fn values_of(a: &Automation, run_id: &str, new: &NewRun) -> BTreeMap<String, String> {
    let mut values = new.values.clone();
    values.extend(template::run_values(a, run_id, new.trigger, new.at));
    values
}

/// Records a run and, unless it was skipped, queues its start. `None` when its slot or key
/// already had a run (nothing was written, nothing starts).
pub async fn record(env: &Env, a: &Automation, new: NewRun) -> worker::Result<Option<AutomationRun>> {
    let id = ids::new_id("run");
    let prompt = match &new.prompt {
        Some(text) => text.clone(),
        None => template::render(&a.prompt, &values_of(a, &id, &new)),
    };
    let now = ids::now_ms();
    let session_id = if new.follow_up {
        match &new.key {
            Some(key) => run_store::first_run_with_key(env, &a.id, key).await?.and_then(|r| r.run.session_id),
            None => None,
        }
    } else {
        None
    };
    let run = AutomationRun {
        id,
        automation_id: a.id.clone(),
        trigger: new.trigger,
        slot: new.slot,
        key: new.key.clone(),
        status: if new.skipped.is_some() { RunStatus::Skipped } else { RunStatus::Running },
        reason: new.skipped.clone(),
        session_id,
        follow_up: new.follow_up,
        created_at: now,
        finished_at: new.skipped.as_ref().map(|_| now),
    };
    if !run_store::insert_run(env, &run, &prompt).await? {
        return Ok(None);
    }
    if run.status == RunStatus::Running {
        // Should the queue not take it now, the minute tick finds the run unstarted.
        if let Err(e) = jobs::enqueue(env, Work::StartRun { run_id: run.id.clone() }).await {
            worker::console_error!("queueing run {}: {e}", run.id);
        }
    }
    Ok(Some(run))
}

/// The origin of a run's session.
pub fn origin_of(a: &Automation, run_id: &str) -> SessionOrigin {
    SessionOrigin {
        kind: OriginKind::Automation,
        reference: Some(format!("{}/{run_id}", a.id)),
        label: Some(a.name.clone()),
        url: Some(format!("/automations/{}", a.id)),
    }
}

/// Whether the owner may still act here: in GitHub mode they are still a user and still pass
/// the allowlist (as at their sign-in), like a web session at rotation.
async fn owner_standing(env: &Env, owner: &User) -> worker::Result<Result<(), String>> {
    if settings::auth_mode(env) == AuthMode::Local {
        return Ok(Ok(()));
    }
    let Some(person) = users_store::person(env, &owner.id).await? else {
        return Ok(Err(format!("the owner {} is no longer a user of this deployment", owner.name)));
    };
    let Some(identity) = person.identity else { return Ok(Ok(())) };
    Ok(check_allowed(&settings::allowlist(env), &identity)
        .map_err(|refused| format!("the owner {} may no longer sign in: {}", owner.name, refused.message)))
}

/// The `StartRun` job: the run's session (created as the owner when it is not a follow-up)
/// and its prompt. What can never work ends the run as failed; what might later is retried.
pub async fn start(env: &Env, run_id: &str, _attempt: u32) -> Result<(), JobError> {
    let Some(stored) = run_store::run(env, run_id).await? else {
        return Err(JobError::GiveUp(format!("no run {run_id}")));
    };
    if stored.run.status != RunStatus::Running || stored.prompt_id.is_some() {
        return Ok(());
    }
    let Some(automation) = store::get(env, &stored.run.automation_id).await? else {
        return Err(JobError::GiveUp(format!("the automation of run {run_id} was deleted")));
    };
    let a = automation.automation;
    if let Err(why) = owner_standing(env, &a.owner).await? {
        return end(env, &a.id, run_id, RunStatus::Failed, Some(&why)).await.map_err(Into::into);
    }
    let session_id = match (&stored.run.session_id, stored.run.follow_up) {
        (Some(id), _) => id.clone(),
        (None, true) => {
            let key = stored.run.key.as_deref().unwrap_or_default();
            match run_store::first_run_with_key(env, &a.id, key).await?.and_then(|r| r.run.session_id) {
                Some(id) => id,
                None => return Err(JobError::Retry(format!("the first run for {key} has no session yet"))),
            }
        }
        (None, false) => {
            let id = rules::session_id_for_run(run_id);
            if !index_store::exists(env, &id).await? {
                let request = CreateSessionRequest {
                    repo: a.repo.clone(),
                    branch: Some(a.branch.clone()),
                    model: Some(a.model.clone()),
                    title: Some(a.name.clone()),
                    private: None,
                };
                match crate::api::sessions::start_with_id(
                    env,
                    a.owner.clone(),
                    &request,
                    origin_of(&a, run_id),
                    &id,
                    Default::default(),
                )
                .await
                {
                    Ok(_) => {}
                    Err(Failure::Api(refused)) => {
                        let why = format!("the session could not start: {}", refused.message);
                        return end(env, &a.id, run_id, RunStatus::Failed, Some(&why)).await.map_err(Into::into);
                    }
                    Err(Failure::Internal(e)) => return Err(JobError::Retry(e.to_string())),
                }
            }
            id
        }
    };
    let call = Internal::Prompt {
        author: a.owner.clone(),
        request: PromptRequest {
            text: stored.prompt.clone(),
            client_request_id: run_id.to_string(),
            model: None,
            attachments: Vec::new(),
        },
    };
    match SessionStub::new(env, &session_id)?.call_api(&call).await? {
        Ok(mut response) => {
            let accepted: PromptAccepted = response.json().await?;
            run_store::run_started(env, run_id, &session_id, &accepted.message_id).await?;
            Ok(())
        }
        Err(refused) => {
            let why = format!("the session took no prompt: {}", refused.message);
            end(env, &a.id, run_id, RunStatus::Failed, Some(&why)).await.map_err(Into::into)
        }
    }
}

/// Ends a running run (once) and counts it in the automation's failure streak: a success
/// resets it; the third failure in a row pauses the automation, saying why.
pub async fn end(
    env: &Env,
    automation_id: &str,
    run_id: &str,
    status: RunStatus,
    reason: Option<&str>,
) -> worker::Result<()> {
    let now = ids::now_ms();
    if !run_store::finish_run(env, run_id, status, reason, now).await? {
        return Ok(());
    }
    let failed = status == RunStatus::Failed;
    let streak = store::count_outcome(env, automation_id, failed).await?;
    if failed && rules::should_pause(streak) {
        let why = rules::pause_reason(streak, reason.unwrap_or("no reason given"));
        worker::console_log!("automation {automation_id}: {why}");
        store::pause_itself(env, automation_id, &why, now).await?;
    }
    Ok(())
}
