//! What a Linear agent session is told about its session: the agent's main steps as `action`
//! activities (bounded), the issue moved to its team's first started state when the work
//! starts, the pull request, then a `response` with the answer and the links, or an `error`
//! with the reason; the plan kept current.

use oi_integrations::linear::activities::{self, Phase};
use oi_integrations::linear::graphql;
use oi_integrations::linear::issue::parse_issue_response;
use oi_integrations::linear::states::state_on_first_prompt;
use oi_protocol::origin::{NoticeEvent, OriginNotice};
use serde_json::json;
use worker::Env;

use super::api::call;
use super::requests::post_activity;
use super::store;
use crate::jobs::JobError;

pub async fn deliver(env: &Env, notice: &OriginNotice) -> Result<(), JobError> {
    let Some(row) = store::of_session(env, &notice.session_id).await? else { return Ok(()) };
    let agent_session = &row.agent_session_id;
    let url = crate::slack::session_url(env, &notice.session_id);
    match &notice.event {
        NoticeEvent::PromptWorking { recent_actions, .. } => {
            move_issue_once(env, &row).await?;
            let Some(last) = recent_actions.last() else { return Ok(()) };
            if activities::may_post_action(store::count_action(env, agent_session).await?) {
                post_activity(env, agent_session, activities::action("Working", last, None)).await?;
            }
            Ok(())
        }
        NoticeEvent::PromptFinished { summary, pull_request_url, .. } => {
            let plan = activities::plan(if pull_request_url.is_some() { Phase::Done } else { Phase::OpenPullRequest });
            call(env, graphql::AGENT_SESSION_UPDATE, &graphql::session_update(agent_session, &url, &plan)).await?;
            let response = activities::response(summary.as_deref(), pull_request_url.as_deref(), &url);
            post_activity(env, agent_session, response).await
        }
        NoticeEvent::PromptFailed { reason, .. } => {
            post_activity(env, agent_session, activities::error(&format!("{reason}. The session: {url}"))).await
        }
        NoticeEvent::PullRequestOpened { url: pr, number } => {
            let plan = activities::plan(Phase::Done);
            call(env, graphql::AGENT_SESSION_UPDATE, &graphql::session_update(agent_session, &url, &plan)).await?;
            post_activity(env, agent_session, activities::action("Opened pull request", &format!("#{number}"), Some(pr)))
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
    let data = call(env, graphql::ISSUE_QUERY, &graphql::issue_variables(issue_id)).await?;
    let issue = parse_issue_response(&json!({ "data": data })).map_err(JobError::GiveUp)?;
    if let Some(state) = state_on_first_prompt(&issue.state_type, &issue.team.states) {
        call(env, graphql::ISSUE_UPDATE, &graphql::issue_state_update(issue_id, &state.id)).await?;
    }
    Ok(())
}
