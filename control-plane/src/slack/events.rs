//! `POST /api/integrations/slack/events` and `/interactions`: Slack's deliveries.
//!
//! Order, so nothing unverified changes anything: the integration is on with its signing
//! secret (503); the body at most 1 MiB, refused from its length before reading (413); the v0
//! signature over the raw bytes with its timestamp within 5 minutes (401); the rate limit
//! (429); then the payload (400). Every refusal is logged with its reason. `url_verification`
//! is answered with its challenge. An event claims its `event_id` first (Slack retries up to 3
//! times: a retry is answered 200 and starts nothing), then goes to the queue; the answer
//! comes within Slack's 3 seconds.

use oi_integrations::inbound::{self, Refusal};
use oi_integrations::slack::events::{parse, Inbound, SlackEvent};
use oi_integrations::slack::interactions::{parse_interaction, Interaction};
use oi_integrations::slack::signature::verify;
use oi_protocol::automations::DeliveryOutcome;
use oi_protocol::integrations::IntegrationName;
use oi_protocol::{ApiError, ErrorCode};
use oi_session_core::rate_limit::Limit;
use serde_json::json;
use worker::{Env, Request, Response};

use super::requests::SlackJob;
use crate::http::{json_response, Failure, Outcome};
use crate::integrations::{deliveries, settings};
use crate::jobs::{self, Work};
use crate::{ids, rate_limiter};

const SOURCE: &str = "slack";
/// Slack's deliveries are small; this bounds what is read.
const BODY_LIMIT: usize = 1024 * 1024;
const DELIVERIES_PER_MINUTE: u32 = 600;

async fn refuse(env: &Env, refusal: Refusal) -> Failure {
    if let Err(e) = deliveries::refused(env, SOURCE, refusal.status(), &refusal.reason).await {
        worker::console_error!("logging a refused delivery: {e}");
    }
    ApiError::new(refusal.code, refusal.reason).into()
}

fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// The verified body of a Slack delivery, or the refusal (logged).
async fn verified(req: &mut Request, env: &Env) -> Outcome<Vec<u8>> {
    let off = |why: &str| Refusal { code: ErrorCode::Misconfigured, reason: why.to_string() };
    if !settings::enabled(env, IntegrationName::Slack).await? {
        return Err(refuse(env, off("the Slack integration is off (Settings → Integrations)")).await);
    }
    if let Err(r) = inbound::check_declared_length(header(req, "content-length").as_deref(), BODY_LIMIT) {
        return Err(refuse(env, r).await);
    }
    let body = match crate::http::read_body(req, BODY_LIMIT).await {
        Ok(body) => body,
        Err(Failure::Api(e)) => return Err(refuse(env, Refusal { code: e.code, reason: e.message }).await),
        Err(other) => return Err(other),
    };
    let keys = crate::secrets::keys::key_ring(env)?;
    let Some(secret) = settings::secret(env, IntegrationName::Slack, "signing_secret", &keys).await? else {
        return Err(refuse(env, off("the Slack integration has no signing_secret")).await);
    };
    let (ts, signature) = (header(req, "x-slack-request-timestamp"), header(req, "x-slack-signature"));
    if let Err(r) = verify(&secret, &body, ts.as_deref(), signature.as_deref(), ids::now_ms()) {
        return Err(refuse(env, r).await);
    }
    let limit = Limit { max: DELIVERIES_PER_MINUTE, window_ms: 60_000 };
    if let Err(e) = rate_limiter::check(env, "deliveries:slack", limit, "Slack deliveries").await {
        return Err(refuse(env, Refusal { code: e.code, reason: e.message }).await);
    }
    Ok(body)
}

/// Queues a job under a claimed delivery id: `None` when it was seen before.
async fn queue(env: &Env, key: &str, job: SlackJob) -> Outcome<bool> {
    let Some(claim) = deliveries::claim(env, SOURCE, Some(key)).await? else { return Ok(false) };
    if let Err(e) = jobs::enqueue(env, Work::Slack { slack: Box::new(job) }).await {
        let _ = deliveries::release(env, &claim).await;
        return Err(e.into());
    }
    deliveries::settle(env, &claim, DeliveryOutcome::Started, 200, None, None, None).await?;
    Ok(true)
}

pub async fn receive(mut req: Request, env: &Env) -> Outcome<Response> {
    let body = verified(&mut req, env).await?;
    let json = match inbound::parse_json_object(&body) {
        Ok(json) => json,
        Err(r) => return Err(refuse(env, r).await),
    };
    let config = super::config_of(env)
        .await
        .map_err(|_| ApiError::new(ErrorCode::Misconfigured, "the Slack settings do not read"))?;
    let inbound = match parse(&json, config.bot_user_id.as_deref()) {
        Ok(inbound) => inbound,
        Err(r) => return Err(refuse(env, r).await),
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
        Err(r) => return Err(refuse(env, r).await),
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
