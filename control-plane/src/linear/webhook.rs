//! `POST /api/integrations/linear/webhook`: Linear's deliveries. Verified on the raw bytes
//! before anything is read ([`crate::integrations::receiver`]; `Linear-Signature`, HMAC-SHA256
//! of the body, and `webhookTimestamp` within one minute:
//! `oi_integrations::linear::signature::verify`), then parsed
//! (`oi_integrations::linear::events::parse`), deduped by the delivery's key and queued:
//! Linear's 5 seconds are met by answering at once; the work runs on the `JOBS` queue.

use oi_integrations::inbound;
use oi_integrations::linear::events::{parse, LinearDelivery};
use oi_integrations::linear::signature::{verify, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use oi_protocol::integrations::IntegrationName;
use serde_json::json;
use worker::{Env, Request, Response};

use super::requests::LinearJob;
use crate::http::{json_response, Outcome};
use crate::ids;
use crate::integrations::receiver::{header, Receiver};
use crate::jobs::Work;

const RECEIVER: Receiver =
    Receiver { integration: IntegrationName::Linear, body_limit: 1024 * 1024, deliveries_per_minute: 600 };

pub async fn receive(mut req: Request, env: &Env) -> Outcome<Response> {
    let (body, secret) = RECEIVER.body_and_secret(&mut req, env, "webhook_secret").await?;
    let (signature, timestamp) = (header(&req, SIGNATURE_HEADER), header(&req, TIMESTAMP_HEADER));
    if let Err(r) = verify(&secret, &body, signature.as_deref(), timestamp.as_deref(), ids::now_ms()) {
        return Err(RECEIVER.refuse(env, r).await);
    }
    RECEIVER.rate_limit(env).await?;
    let json = match inbound::parse_json_object(&body) {
        Ok(json) => json,
        Err(r) => return Err(RECEIVER.refuse(env, r).await),
    };
    let delivery = match parse(&json) {
        Ok(delivery) => delivery,
        Err(r) => return Err(RECEIVER.refuse(env, r).await),
    };
    let (key, job) = match delivery {
        LinearDelivery::Ignored { reason } => return json_response(200, &json!({ "ok": true, "ignored": reason })),
        LinearDelivery::SessionCreated(created) => (created.dedupe_key.clone(), LinearJob::Created(created)),
        LinearDelivery::Prompted(prompted) => (prompted.dedupe_key.clone(), LinearJob::Prompted(Box::new(prompted))),
        LinearDelivery::StopRequested(stop) => (stop.dedupe_key.clone(), LinearJob::Stop(Box::new(stop))),
    };
    let fresh = RECEIVER.queue(env, &key, Work::Linear { linear: Box::new(job) }).await?;
    json_response(200, &json!({ "ok": true, "duplicate": !fresh }))
}
