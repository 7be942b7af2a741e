//! `POST /api/sessions/:id/sandbox/origin` (the sandbox token): the agent's posts to where its
//! session was started. A review or reply on its pull request (a GitHub origin) is posted at
//! once (`crate::github_review::posts`). A Slack thread's `slack_notify` is checked by
//! `oi_integrations::origin_posts`, kept as the origin notice `ntc_<session>_post_<n>`, and
//! sent like every notice ([`super::origin_notices`]), through the `JOBS` queue.
//!
//! Invariant: a post is counted and kept in one synchronous turn after the integration's
//! settings were read, so concurrent posts cannot pass the per-session limit together; a
//! refused post keeps nothing.

use oi_integrations::origin_posts::{check_slack_post, PostContext};
use oi_protocol::origin::{OriginKind, OriginPost, OriginPostAccepted};
use oi_protocol::{ApiError, ErrorCode};
use worker::{Request, Response};

use super::origin_notices::{keep, notice_prefix};
use super::SessionObject;
use crate::http::{json_response, read_json, Outcome};

/// What a post's notice id says after the session's prefix.
const POST_KEY: &str = "post_";

impl SessionObject {
    pub(super) async fn post_to_origin(&self, mut req: Request) -> Outcome<Response> {
        self.check_sandbox_token(&req)?;
        let post: OriginPost = read_json(&mut req).await?;
        let meta = self.meta()?;
        let origin = meta.summary.origin;
        // The agent's answers on its pull request go to GitHub now (it is told how it went).
        let on_github = |what: &str| {
            if origin.kind == OriginKind::Github {
                Ok(())
            } else {
                Err(ApiError::new(
                    ErrorCode::Conflict,
                    format!("this session does not answer on a pull request, so it has no {what}"),
                ))
            }
        };
        let text = match &post {
            OriginPost::SubmitReview(args) => {
                on_github("review to submit")?;
                let posted = crate::github_review::posts::submit_review(&self.env, &meta.summary.id, args).await?;
                return json_response(201, &posted);
            }
            OriginPost::ReplyComment(args) => {
                on_github("comment to answer")?;
                let posted = crate::github_review::posts::reply_comment(&self.env, &meta.summary.id, args).await?;
                return json_response(201, &posted);
            }
            OriginPost::SlackNotify { text } => text,
        };
        let integration_allows = match origin.kind {
            OriginKind::Slack => crate::slack::agent_may_post(&self.env).await?,
            _ => false,
        };
        let notice_id = self.run(|turn| {
            let session_id = turn.store.meta_field(|m| m.summary.id.clone())?.unwrap_or_default();
            let prefix = format!("{}{POST_KEY}", notice_prefix(&session_id));
            let posts_so_far = turn.store.notices_starting(&prefix)?;
            let context = PostContext { origin: origin.kind, integration_allows, posts_so_far };
            let event = check_slack_post(text, context).map_err(|refusal| refusal.to_api_error())?;
            Ok(keep(turn, session_id, origin, &format!("{POST_KEY}{}", posts_so_far + 1), event)?)
        })?;
        json_response(202, &OriginPostAccepted { notice_id: Some(notice_id), url: None, note: None })
    }
}
