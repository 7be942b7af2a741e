//! Slack (docs/slack.md): an @-mention or a direct message starts a session, the thread
//! follows it, and replies steer it.
//!
//! - `POST /api/integrations/slack/events` ([`events`]) and `/interactions`: verified on the
//!   raw bytes (Slack's v0 signature, 5 minutes), deduped by `event_id`, answered at once; the
//!   work goes to the `JOBS` queue ([`requests`]).
//! - [`requests`]: a request's repository (`oi_integrations::slack::routing`), its session as
//!   the person the Slack user maps to, the thread's status message, follow-ups, Stop and
//!   Create PR ([`act_as`]: through the same session routes a browser uses).
//! - [`notices`]: the status message updated when the session's prompt ends or its PR opens.
//! - [`refusals`]: Slack refusing a call about a session's thread is a notice on the session.
//! - [`classifier`]: a small model chooses among the repositories when no rule does.
//! - [`web_api`]: Slack's Web API with the bot token; [`store`]: threads and waiting requests.

pub mod act_as;
pub mod events;
pub mod notices;
pub mod refusals;
pub mod requests;
pub mod store;
pub mod web_api;

use oi_integrations::slack::settings::{parse_config, SlackConfig};
use oi_protocol::integrations::IntegrationName;
use worker::Env;

use crate::jobs::JobError;

/// The Slack settings (Settings → Integrations → Slack); a configuration that no longer reads
/// stops the job (and says so in the log).
pub async fn config_of(env: &Env) -> Result<SlackConfig, JobError> {
    let config = crate::integrations::settings::config(env, IntegrationName::Slack).await?;
    parse_config(&config).map_err(|e| JobError::GiveUp(format!("the Slack settings do not read: {e}")))
}

/// Whether the agent may post in its thread (`slack_notify`): Slack is on and its settings say
/// so; settings that no longer read say no.
pub async fn agent_may_post(env: &Env) -> worker::Result<bool> {
    if !crate::integrations::settings::enabled(env, IntegrationName::Slack).await? {
        return Ok(false);
    }
    let config = crate::integrations::settings::config(env, IntegrationName::Slack).await?;
    Ok(parse_config(&config).is_ok_and(|c| c.agent_may_post))
}
