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

/// What a delivery that became a job is acknowledged as.
pub const QUEUED: &str = "review_queued";

/// What the delivery was to the review bot (`review_queued`, or `review_ignored: <why>`):
/// `None` when it was not for it.
pub async fn route(env: &Env, event_name: &str, body: &[u8]) -> Outcome<Option<String>> {
    let Some(event) = parse_review_event(event_name, body).map_err(|e| ApiError::new(ErrorCode::InvalidRequest, e))?
    else {
        return Ok(None);
    };
    let Some(app) = super::app_identity(env) else {
        return Ok(Some("review_ignored: GITHUB_APP_SLUG is not set".into()));
    };
    let config = super::config(env).await?;
    Ok(Some(match decide(&event, config.as_ref(), &app) {
        Decision::Start(trigger) => {
            jobs::enqueue(env, Work::GithubReview { trigger }).await?;
            QUEUED.to_string()
        }
        Decision::Ignore(reason) => format!("review_ignored: {}", reason.as_str()),
    }))
}
