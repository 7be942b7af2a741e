//! Delivering a session's notices to its origin (a `Notice` job from the `JOBS` queue), by
//! the origin's kind: automations, Slack, the GitHub review bot and Linear.

use oi_protocol::automations::RunStatus;
use oi_protocol::origin::{OriginKind, OriginNotice};
use worker::Env;

use crate::jobs::{JobError, Work};

pub async fn deliver(env: &Env, notice: &OriginNotice) -> Result<(), JobError> {
    match notice.origin.kind {
        OriginKind::Automation => crate::automations::notices::deliver(env, notice).await,
        OriginKind::Slack => crate::slack::notices::deliver(env, notice).await,
        OriginKind::Github => crate::github_review::notices::deliver(env, notice).await,
        OriginKind::Linear => crate::linear::notices::deliver(env, notice).await,
        // Nothing to tell yet (and web or API sessions keep no notices).
        _ => Ok(()),
    }
}

/// A job the queue gave up on: a run that never started ends as failed (so it counts in its
/// automation's streak); a notice is only logged.
pub async fn gave_up(env: &Env, work: &Work, why: &str) {
    if let Work::StartRun { run_id } = work {
        let automation = match crate::automations::run_store::run(env, run_id).await {
            Ok(Some(stored)) => stored.run.automation_id,
            _ => return,
        };
        let reason = format!("the run could not start: {why}");
        if let Err(e) = crate::automations::runs::end(env, &automation, run_id, RunStatus::Failed, Some(&reason)).await
        {
            worker::console_error!("ending run {run_id}: {e}");
        }
    }
}
