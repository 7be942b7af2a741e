//! What a Linear agent session is told about its session: the agent's main steps as `action`
//! activities (bounded), the issue moved to its team's first started state when the work
//! starts, the pull request (also a comment on the issue), then a `response` with the answer and the links, or an `error`
//! with the reason; the plan kept current.

use oi_integrations::linear::activities;
use oi_integrations::linear::operations as graphql;
use oi_integrations::linear::plan::{PlanPhase, PlanStep};
use oi_integrations::linear::states::state_on_first_prompt;
use oi_protocol::origin::{NoticeEvent, OriginNotice};
use worker::Env;

use super::api::call;
use super::requests::{issue, post_activity, update_plan};
use super::store;
use crate::jobs::JobError;

pub async fn deliver(env: &Env, notice: &OriginNotice) -> Result<(), JobError> {
    let Some(row) = store::of_session(env, &notice.session_id).await? else { return Ok(()) };
    let agent_session = &row.agent_session_id;
    let url = crate::config::session_page_url(env, &notice.session_id);
    match &notice.event {
        NoticeEvent::PromptWorking { prompt_id, recent_actions } => {
            move_issue_once(env, &row).await?;
            let Some(last) = recent_actions.last() else { return Ok(()) };
            if activities::may_post_action(store::count_action(env, agent_session, prompt_id).await? as usize) {
                post_activity(env, agent_session, activities::action("Working", last, None)).await?;
            }
            Ok(())
        }
        NoticeEvent::PromptFinished { summary, pull_request_url, .. } => {
            let phase = PlanPhase::Finished { pull_request: pull_request_url.is_some() };
            update_plan(env, agent_session, phase, Some(&url)).await?;
            let summary = summary.as_deref().unwrap_or("Done.");
            post_activity(env, agent_session, activities::response(summary, pull_request_url.as_deref(), &url)).await
        }
        NoticeEvent::PromptFailed { reason, .. } => {
            update_plan(env, agent_session, PlanPhase::Failed(PlanStep::Work), Some(&url)).await?;
            post_activity(env, agent_session, activities::failure(reason, Some(&url))).await
        }
        NoticeEvent::PullRequestOpened { url: pr, number } => {
            update_plan(env, agent_session, PlanPhase::Finished { pull_request: true }, Some(&url)).await?;
            if let Some(issue_id) = &row.issue_id {
                let body = activities::pull_request_comment(*number, pr, &url);
                call(env, graphql::COMMENT_CREATE, &graphql::comment_create_variables(issue_id, &body, None)).await?;
            }
            post_activity(
                env,
                agent_session,
                activities::action("Opened pull request", &format!("#{number}"), Some(pr)),
            )
            .await
        }
        NoticeEvent::PullRequestMerged { .. } | NoticeEvent::AgentPosted { .. } => Ok(()),
    }
}

/// The first time the work runs: an issue not started yet moves to its team's first started
/// state (`oi_integrations::linear::states`).
async fn move_issue_once(env: &Env, row: &store::LinearSession) -> Result<(), JobError> {
    let Some(issue_id) = &row.issue_id else { return Ok(()) };
    if row.state_moved != 0.0 || !store::claim_state_move(env, &row.agent_session_id).await? {
        return Ok(());
    }
    let issue = issue(env, issue_id).await?;
    if let Some(state) = state_on_first_prompt(&issue.state_type, &issue.team.states) {
        call(env, graphql::ISSUE_UPDATE, &graphql::issue_state_variables(issue_id, &state.id)).await?;
    }
    Ok(())
}
