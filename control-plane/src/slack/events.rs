//! `POST /api/integrations/slack/events` and `/interactions`: Slack's deliveries.
//!
//! Order, so nothing unverified changes anything: the integration is on with its signing
//! secret (503); the body at most 1 MiB, refused from its length before reading (413); the v0
//! signature over the raw bytes with its timestamp within 5 minutes (401); the rate limit
//! (429); then the payload (400). Every refusal is logged with its reason. `url_verification`
//! is answered with its challenge. An event claims its `event_id` first (Slack retries up to 3
//! times: a retry is answered 200 and starts nothing), then goes to the queue; the answer
//! comes within Slack's 3 seconds.

use oi_integrations::inbound;
use oi_integrations::slack::events::{parse, Inbound, SlackEvent};
use oi_integrations::slack::interactions::{parse_interaction, Interaction};
use oi_integrations::slack::signature::verify;
use oi_protocol::integrations::IntegrationName;
use oi_protocol::{ApiError, ErrorCode};
use serde_json::json;
use worker::{Env, Request, Response};

use super::requests::SlackJob;
use crate::http::{json_response, Outcome};
use crate::ids;
use crate::integrations::receiver::{header, Receiver};
use crate::jobs::Work;

/// Slack's deliveries are small; this bounds what is read.
const RECEIVER: Receiver =
    Receiver { integration: IntegrationName::Slack, body_limit: 1024 * 1024, deliveries_per_minute: 600 };

/// The verified body of a Slack delivery, or the refusal (logged).
async fn verified(req: &mut Request, env: &Env) -> Outcome<Vec<u8>> {
    let (body, secret) = RECEIVER.body_and_secret(req, env, "signing_secret").await?;
    let (ts, signature) = (header(req, "x-slack-request-timestamp"), header(req, "x-slack-signature"));
    if let Err(r) = verify(&secret, &body, ts.as_deref(), signature.as_deref(), ids::now_ms()) {
        return Err(RECEIVER.refuse(env, r).await);
    }
    RECEIVER.rate_limit(env).await?;
    Ok(body)
}

/// Queues a job under a claimed delivery id: false when it was seen before.
async fn queue(env: &Env, key: &str, job: SlackJob) -> Outcome<bool> {
    RECEIVER.queue(env, key, Work::Slack { slack: Box::new(job) }).await
}

pub async fn receive(mut req: Request, env: &Env) -> Outcome<Response> {
    let body = verified(&mut req, env).await?;
    let json = match inbound::parse_json_object(&body) {
        Ok(json) => json,
        Err(r) => return Err(RECEIVER.refuse(env, r).await),
    };
    let config = super::config_of(env)
        .await
        .map_err(|_| ApiError::new(ErrorCode::Misconfigured, "the Slack settings do not read"))?;
    let inbound = match parse(&json, config.bot_user_id.as_deref()) {
        Ok(inbound) => inbound,
        Err(r) => return Err(RECEIVER.refuse(env, r).await),
    };
    match inbound {
        Inbound::UrlVerification { challenge } => json_response(200, &json!({ "challenge": challenge })),
        Inbound::Ignored { reason } => json_response(200, &json!({ "ok": true, "ignored": reason })),
        Inbound::Event(event) => {
            let job = match event.event {
                SlackEvent::Mention { channel, user, text, ts, thread_ts, .. } => {
                    SlackJob::Message { channel, user, text, ts, thread_ts, reply: false }
                }
                SlackEvent::ThreadReply { channel, user, text, ts, thread_ts } => {
                    SlackJob::Message { channel, user, text, ts, thread_ts: Some(thread_ts), reply: true }
                }
            };
            let fresh = queue(env, &event.event_id, job).await?;
            json_response(200, &json!({ "ok": true, "duplicate": !fresh }))
        }
    }
}

pub async fn interact(mut req: Request, env: &Env) -> Outcome<Response> {
    let body = verified(&mut req, env).await?;
    let interaction = match parse_interaction(&body) {
        Ok(i) => i,
        Err(r) => return Err(RECEIVER.refuse(env, r).await),
    };
    // An interaction has no delivery id: the same signed body twice is the same click.
    let key = format!("click:{}", hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&body)));
    let job = match interaction {
        Interaction::ChooseRepo { request_key, repo, .. } => SlackJob::ChooseRepo { request_key, repo },
        Interaction::Stop { session_id, user, channel } => SlackJob::Stop { session_id, user, channel },
        Interaction::CreatePr { session_id, user, channel } => SlackJob::CreatePr { session_id, user, channel },
        Interaction::Ignored { reason } => return json_response(200, &json!({ "ok": true, "ignored": reason })),
    };
    queue(env, &key, job).await?;
    Ok(Response::empty()?.with_status(200))
}
