//! `POST /api/integrations/sentry/webhook`: Sentry's integration-platform deliveries.
//!
//! Sentry wants an answer within a second, so this only verifies, records and queues: the
//! integration must be on with its client secret set (503); the body is refused from its
//! declared length and read bounded (413, 256 KiB); `Sentry-Hook-Signature` is checked on the
//! raw bytes (401); then the rate limit (429) and the payload (400). Every refusal is logged
//! with its reason and changes nothing else. A verified delivery claims its `Request-ID`
//! (a redelivery is `duplicate`). A new issue starts one run in each Sentry automation that
//! takes its project; a new event on an issue that already has a run becomes a follow-up
//! prompt in that run's session.

use oi_integrations::inbound::{self, SENTRY_BODY_LIMIT, SENTRY_DELIVERIES_PER_MINUTE};
use oi_integrations::sentry::{self as rules, SentryDelivery};
use oi_integrations::signature::verify_sentry;
use oi_protocol::automations::{DeliveryAccepted, DeliveryOutcome, Trigger, TriggerKind};
use oi_protocol::integrations::IntegrationName;
use worker::{Env, Request, Response};

use super::deliveries;
use super::receiver::{header, Receiver};
use crate::automations::runs::{self, NewRun};
use crate::automations::{run_store, store};
use crate::http::{json_response, Outcome};
use crate::ids;

const SOURCE: &str = "sentry";
const RECEIVER: Receiver = Receiver {
    integration: IntegrationName::Sentry,
    body_limit: SENTRY_BODY_LIMIT,
    deliveries_per_minute: SENTRY_DELIVERIES_PER_MINUTE,
};

pub async fn receive(mut req: Request, env: &Env) -> Outcome<Response> {
    let (body, client_secret) = RECEIVER.body_and_secret(&mut req, env, "client_secret").await?;
    if let Err(r) = verify_sentry(&client_secret, &body, header(&req, "sentry-hook-signature").as_deref()) {
        return Err(RECEIVER.refuse(env, r).await);
    }
    RECEIVER.rate_limit(env).await?;
    let delivery = match inbound::parse_json_object(&body)
        .and_then(|json| rules::parse(header(&req, "sentry-hook-resource").as_deref(), &json))
    {
        Ok(delivery) => delivery,
        Err(r) => return Err(RECEIVER.refuse(env, r).await),
    };
    let delivery_key = inbound::delivery_key(header(&req, "request-id").as_deref());
    let Some(claim) = deliveries::claim(env, SOURCE, delivery_key.as_deref()).await? else {
        return answer(200, DeliveryOutcome::Ignored, None, Some("duplicate".into()));
    };
    match act(env, &delivery).await {
        Ok((outcome, run_id, reason)) => {
            let status = if outcome == DeliveryOutcome::Started { 202 } else { 200 };
            deliveries::settle(env, &claim, outcome, status, reason.as_deref(), run_id.as_deref(), None).await?;
            answer(status, outcome, run_id, reason)
        }
        Err(e) => {
            // Sentry's retry is handled afresh.
            let _ = deliveries::release(env, &claim).await;
            Err(e.into())
        }
    }
}

/// Starts or follows up runs for a verified delivery: the outcome, the first run it made,
/// and why nothing started.
async fn act(
    env: &Env,
    delivery: &SentryDelivery,
) -> worker::Result<(DeliveryOutcome, Option<String>, Option<String>)> {
    let (issue, new_event) = match delivery {
        SentryDelivery::Ignored { reason } => return Ok((DeliveryOutcome::Ignored, None, Some(reason.clone()))),
        SentryDelivery::NewIssue(issue) => (issue, false),
        SentryDelivery::NewEvent(issue) => (issue, true),
    };
    let key = rules::run_key(issue);
    let mut first_run = None;
    let mut takers = 0;
    for stored in store::enabled_of(env, TriggerKind::Sentry).await? {
        let a = stored.automation;
        let Trigger::Sentry { projects } = &a.trigger else { continue };
        // An issue this automation has a run for is its own whatever the project (an event
        // alert names its project by number only); a new one must be in its projects.
        let known = run_store::first_run_with_key(env, &a.id, &key).await?.is_some();
        if !known && !rules::takes(projects, issue) {
            continue;
        }
        takers += 1;
        let mut new = NewRun::new(TriggerKind::Sentry, ids::now_ms());
        new.key = Some(key.clone());
        match (known, new_event) {
            // The issue's session exists; its creation was delivered again.
            (true, false) => continue,
            (true, true) => {
                new.follow_up = true;
                new.prompt = Some(rules::follow_up_prompt(issue));
            }
            (false, _) => new.values = rules::variables(issue),
        }
        if let Some(run) = runs::record(env, &a, new).await? {
            first_run.get_or_insert(run.id);
        }
    }
    Ok(match (first_run, takers) {
        (Some(run), _) => (DeliveryOutcome::Started, Some(run), None),
        (None, 0) => (DeliveryOutcome::Ignored, None, Some(format!("no automation takes project {}", issue.project))),
        (None, _) => (DeliveryOutcome::Ignored, None, Some("duplicate".into())),
    })
}

fn answer(status: u16, outcome: DeliveryOutcome, run_id: Option<String>, reason: Option<String>) -> Outcome<Response> {
    json_response(status, &DeliveryAccepted { outcome, run_id, reason })
}
