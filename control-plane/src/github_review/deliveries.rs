//! A verified App delivery that asks the review bot for something becomes a job; everything
//! else about it is decided by `oi_integrations::github_review::triggers::decide` (settings,
//! drafts, bots, mentions) before anything is queued.
//!
//! Invariant: the answer to GitHub only queues (it is sent within GitHub's 10 seconds); the
//! delivery is marked handled after the job is queued, so a failed queue is retried by GitHub
//! and a replay (same delivery id or signature) is acknowledged without a second job.

use oi_integrations::github_review::triggers::{decide, Decision};
use oi_session_core::github::review_events::parse_review_event;
use worker::Env;

use crate::http::Outcome;
use crate::jobs::{self, Work};
use oi_protocol::{ApiError, ErrorCode};

/// What the delivery was to the review bot: `None` when it was not for it.
pub async fn route(env: &Env, event_name: &str, body: &[u8]) -> Outcome<Option<&'static str>> {
    let Some(event) = parse_review_event(event_name, body).map_err(|e| ApiError::new(ErrorCode::InvalidRequest, e))?
    else {
        return Ok(None);
    };
    let Some(app) = super::app_identity(env) else { return Ok(Some("review_bot_unconfigured")) };
    let config = super::config(env).await?;
    Ok(Some(match decide(&event, config.as_ref(), &app) {
        Decision::Start(trigger) => {
            jobs::enqueue(env, Work::GithubReview { trigger }).await?;
            "review_queued"
        }
        Decision::Ignore(reason) => reason.as_str(),
    }))
}
