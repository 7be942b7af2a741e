//! Slack refusing a call about a session's thread is also news for the session: its watchers
//! get a warning notice saying what is wrong (`oi_integrations::slack::refusals`), and the job
//! ends, since asking again gets the same answer.

use oi_integrations::slack::refusals::refusal_notice;
use oi_protocol::events::NoticeLevel;
use worker::Env;

use super::web_api::SlackCallError;
use crate::jobs::JobError;
use crate::session::internal::{Internal, SessionStub};

/// `result` of calling `method` about `session_id`'s thread; a refusal is told to the session
/// first (and, when that cannot be done now, the job is tried again).
pub async fn told<T>(
    env: &Env,
    session_id: &str,
    method: &str,
    result: Result<T, SlackCallError>,
) -> Result<T, JobError> {
    match result {
        Err(SlackCallError::Refused(code)) => {
            let message = refusal_notice(method, &code);
            let call = Internal::Notice { level: NoticeLevel::Warning, message };
            SessionStub::new(env, session_id)?
                .call(&call)
                .await
                .map_err(|e| JobError::Retry(format!("telling the session Slack refused {method}: {e}")))?;
            Err(JobError::GiveUp(format!("Slack refused {method}: {code}")))
        }
        other => Ok(other?),
    }
}
