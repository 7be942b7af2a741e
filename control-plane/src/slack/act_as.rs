//! Acting for a Slack user: who they are here (`integrations::people`); their requests to a
//! session go through `integrations::act_as`.

use oi_integrations::people::VendorUser;
use oi_protocol::integrations::IntegrationName;
use worker::Env;

use super::web_api::{SlackApi, SlackCallError};
use crate::auth::Caller;
use crate::integrations::act_as::caller_of;

/// Who a Slack user is here, or why nobody (in words for them).
pub async fn person(env: &Env, api: &SlackApi, slack_user: &str) -> Result<Result<Caller, String>, SlackCallError> {
    let info = api.get("users.info", &[("user", slack_user)]).await?;
    let user = &info["user"];
    if user["is_bot"].as_bool() == Some(true) {
        return Ok(Err("bots cannot start sessions".into()));
    }
    // Slack confirms the email of every member of a workspace.
    let email = user["profile"]["email"].as_str();
    let vendor = VendorUser { id: slack_user, email, email_verified: email.is_some() };
    let mapped = crate::integrations::people::acting_person(env, IntegrationName::Slack, vendor)
        .await
        .map_err(|e| SlackCallError::Unreachable(format!("D1: {e}")))?;
    Ok(match mapped {
        Ok(user) => Ok(caller_of(env, user).await),
        Err(why) => Err(why),
    })
}
