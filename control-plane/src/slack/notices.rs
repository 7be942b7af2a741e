//! What a Slack thread is told about its session: the status message is updated in place
//! (done with the agent's answer, the branch and the pull request; failed with the reason),
//! and the agent's own posts (`slack_notify`) are new messages in the thread.

use oi_integrations::slack::messages::{self, Progress};
use oi_protocol::origin::{NoticeEvent, OriginNotice};
use serde_json::json;
use worker::Env;

use super::refusals::told;
use super::store;
use super::web_api::SlackApi;
use crate::jobs::JobError;

pub async fn deliver(env: &Env, notice: &OriginNotice) -> Result<(), JobError> {
    let Some(thread) = store::thread_of_session(env, &notice.session_id).await? else { return Ok(()) };
    if let NoticeEvent::AgentPosted { text } = &notice.event {
        let api = SlackApi::from_env(env).await?.map_err(JobError::GiveUp)?;
        let mut post = messages::agent_post_message(text);
        post["channel"] = json!(thread.channel);
        post["thread_ts"] = json!(thread.thread_ts);
        told(env, &notice.session_id, "chat.postMessage", api.post("chat.postMessage", &post).await).await?;
        return Ok(());
    }
    let Some(status_ts) = thread.status_ts.clone() else {
        return Err(JobError::Retry("the thread has no status message yet".into()));
    };
    let api = SlackApi::from_env(env).await?.map_err(JobError::GiveUp)?;
    let url = crate::config::session_page_url(env, &notice.session_id);
    let answer;
    let progress = match &notice.event {
        NoticeEvent::PromptFinished { summary, branch, files_changed, pull_request_url, prompt_id } => {
            store::set_last_answer(env, &notice.session_id, summary.as_deref(), prompt_id).await?;
            answer = summary.clone().unwrap_or_else(|| "Done.".into());
            Progress::Done {
                answer: &answer,
                files_changed: *files_changed,
                branch: branch.as_deref(),
                pull_request_url: pull_request_url.as_deref(),
            }
        }
        NoticeEvent::PromptFailed { reason, prompt_id } => {
            store::set_last_answer(env, &notice.session_id, None, prompt_id).await?;
            Progress::Failed { reason }
        }
        NoticeEvent::PromptWorking { prompt_id, recent_actions } => {
            // A late working notice never covers the end of its prompt.
            if thread.finished_prompt.as_deref() == Some(prompt_id.as_str()) {
                return Ok(());
            }
            Progress::Working { recent_actions }
        }
        NoticeEvent::PullRequestOpened { url: pr, .. } | NoticeEvent::PullRequestMerged { url: pr, .. } => {
            answer = thread.last_answer.clone().unwrap_or_else(|| "Done.".into());
            Progress::Done { answer: &answer, files_changed: 0, branch: None, pull_request_url: Some(pr) }
        }
        NoticeEvent::AgentPosted { .. } => return Ok(()),
    };
    let mut update = messages::status_message(&url, &notice.session_id, &progress);
    update["channel"] = json!(thread.channel);
    update["ts"] = json!(status_ts);
    told(env, &notice.session_id, "chat.update", api.post("chat.update", &update).await).await?;
    Ok(())
}
