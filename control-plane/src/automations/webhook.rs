//! `POST /api/automations/:id/webhook`: a delivery to a webhook automation.
//!
//! Order, so that nothing unverified changes anything: the automation must exist and have a
//! webhook trigger (404); the body is refused from its declared length and read bounded (413);
//! the signature is checked on the raw bytes (401); then the per-automation rate limit (429),
//! the JSON (400), whether it is paused (409). Every refusal from here on is logged for the
//! automation with its reason, and changes nothing else. A verified delivery claims its
//! delivery id (a redelivery is answered 200 `duplicate`), then its filter, variables and
//! idempotency key are read from the payload and the run is recorded (a key seen before is
//! `duplicate` too). The session starts in the background: the sender has its answer at once.

use oi_integrations::inbound::{self, Refusal, WEBHOOK_BODY_LIMIT, WEBHOOK_DELIVERIES_PER_MINUTE};
use oi_integrations::payload;
use oi_integrations::signature::{verify_webhook, WebhookHeaders};
use oi_protocol::automations::{DeliveryAccepted, DeliveryOutcome, IdempotencyKey, Trigger, TriggerKind};
use oi_protocol::{ApiError, ErrorCode};
use oi_session_core::rate_limit::Limit;
use worker::{Env, Request, Response};

use super::runs::{self, NewRun};
use super::store;
use crate::http::{json_response, Failure, Outcome};
use crate::integrations::deliveries;
use crate::{ids, rate_limiter};

/// The headers a sender may name its delivery by (ours, then GitHub's).
const DELIVERY_HEADERS: [&str; 2] = ["x-oi-delivery", "x-github-delivery"];

/// The log's name for an automation's deliveries.
pub fn source_of(automation_id: &str) -> String {
    format!("automation:{automation_id}")
}

/// Logs a refusal and turns it into the error answer.
async fn refuse(env: &Env, source: &str, refusal: Refusal) -> Failure {
    if let Err(e) = deliveries::refused(env, source, refusal.status(), &refusal.reason).await {
        worker::console_error!("logging a refused delivery: {e}");
    }
    ApiError::new(refusal.code, refusal.reason).into()
}

fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

pub async fn receive(mut req: Request, env: &Env, id: &str) -> Outcome<Response> {
    let unknown = || ApiError::new(ErrorCode::NotFound, format!("no webhook automation {id:?}"));
    let Some(stored) = store::get(env, id).await? else { return Err(unknown().into()) };
    let Trigger::Webhook { filter, variables, idempotency_key } = stored.automation.trigger.clone() else {
        return Err(unknown().into());
    };
    let source = source_of(id);
    let declared = header(&req, "content-length");
    if let Err(r) = inbound::check_declared_length(declared.as_deref(), WEBHOOK_BODY_LIMIT) {
        return Err(refuse(env, &source, r).await);
    }
    let body = match crate::http::read_body(&mut req, WEBHOOK_BODY_LIMIT).await {
        Ok(body) => body,
        Err(Failure::Api(e)) => {
            let r = Refusal { code: e.code, reason: e.message };
            return Err(refuse(env, &source, r).await);
        }
        Err(other) => return Err(other),
    };
    let keys = crate::secrets::keys::key_ring(env)?;
    let secret = stored.secret(&keys).map_err(|e| ApiError::new(ErrorCode::Misconfigured, e))?;
    let (oi, hub, auth) =
        (header(&req, "x-oi-signature-256"), header(&req, "x-hub-signature-256"), header(&req, "authorization"));
    let headers =
        WebhookHeaders { oi_signature: oi.as_deref(), hub_signature: hub.as_deref(), authorization: auth.as_deref() };
    if let Err(r) = verify_webhook(&secret, &body, &headers, ids::now_ms()) {
        return Err(refuse(env, &source, r).await);
    }
    let limit = Limit { max: WEBHOOK_DELIVERIES_PER_MINUTE, window_ms: 60_000 };
    if let Err(e) = rate_limiter::check(env, &format!("webhook:{id}"), limit, "deliveries to this automation").await {
        let r = Refusal { code: e.code, reason: e.message };
        return Err(refuse(env, &source, r).await);
    }
    let json = match inbound::parse_json_object(&body) {
        Ok(json) => json,
        Err(r) => return Err(refuse(env, &source, r).await),
    };
    let a = stored.automation;
    if !a.enabled {
        let r = Refusal { code: ErrorCode::Conflict, reason: "the automation is paused".into() };
        return Err(refuse(env, &source, r).await);
    }
    // Everything read from the payload, before anything is claimed.
    let wanted = match &filter {
        Some(f) => payload::matches(&json, f).unwrap_or(false),
        None => true,
    };
    let key = match &idempotency_key {
        None => None,
        Some(IdempotencyKey::JsonPath(path)) => match payload::first(&json, path).ok().flatten() {
            Some(v) => Some(v),
            None => {
                let reason = format!("the delivery has no idempotency key at {path}");
                let r = Refusal { code: ErrorCode::InvalidRequest, reason };
                return Err(refuse(env, &source, r).await);
            }
        },
        Some(IdempotencyKey::Header(name)) => match header(&req, name).filter(|v| !v.trim().is_empty()) {
            Some(v) => Some(v),
            None => {
                let reason = format!("the delivery has no idempotency key in its {name} header");
                let r = Refusal { code: ErrorCode::InvalidRequest, reason };
                return Err(refuse(env, &source, r).await);
            }
        },
    };
    let mut values = payload::values(&json, &variables).unwrap_or_default();
    values.insert("payload".into(), payload::payload_text(&json));
    let delivery_key = DELIVERY_HEADERS.iter().find_map(|h| inbound::delivery_key(header(&req, h).as_deref()));
    let Some(claim) = deliveries::claim(env, &source, delivery_key.as_deref()).await? else {
        return answer(200, DeliveryOutcome::Ignored, None, Some("duplicate"));
    };
    let recorded = async {
        if !wanted {
            deliveries::settle(env, &claim, DeliveryOutcome::Ignored, 200, Some("filtered"), None, None).await?;
            return Ok::<_, worker::Error>(None);
        }
        let mut new = NewRun::new(TriggerKind::Webhook, ids::now_ms());
        new.key = key;
        new.values = values;
        let run = runs::record(env, &a, new).await?;
        match &run {
            Some(run) => {
                deliveries::settle(env, &claim, DeliveryOutcome::Started, 202, None, Some(&run.id), None).await?
            }
            None => {
                deliveries::settle(env, &claim, DeliveryOutcome::Ignored, 200, Some("duplicate"), None, None).await?
            }
        }
        Ok(Some(run))
    }
    .await;
    match recorded {
        Ok(None) => answer(200, DeliveryOutcome::Ignored, None, Some("filtered")),
        Ok(Some(None)) => answer(200, DeliveryOutcome::Ignored, None, Some("duplicate")),
        Ok(Some(Some(run))) => answer(202, DeliveryOutcome::Started, Some(run.id), None),
        Err(e) => {
            // The sender's retry is handled afresh.
            let _ = deliveries::release(env, &claim).await;
            Err(e.into())
        }
    }
}

fn answer(status: u16, outcome: DeliveryOutcome, run_id: Option<String>, reason: Option<&str>) -> Outcome<Response> {
    json_response(status, &DeliveryAccepted { outcome, run_id, reason: reason.map(Into::into) })
}
