//! The Sentry integration against the built Worker in workerd, fed by the Sentry double (the
//! contract's recorded payloads, signed as Sentry signs them): off until an admin turns it on
//! with its client secret, every refusal logged with its reason, a redelivery ignored, one run
//! per Sentry issue and a later event on it a follow-up.

use oi_protocol::automations::{AutomationRun, AutomationWithSecret, DeliveryAccepted, DeliveryOutcome, RunList};
use oi_protocol::integrations::{DeliveryList, Integration, IntegrationList, IntegrationName};
use oi_protocol::{ErrorBody, ErrorCode};
use oi_testkit::sentry_sender::{event_alert_triggered, issue_created, SentrySender};
use oi_testkit::{ApiResponse, ControlPlane, ControlPlaneOptions};
use serde_json::json;

const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const CLIENT_SECRET: &str = "test-sentry-client-secret";

fn refused(answer: &ApiResponse, status: u16, code: ErrorCode, says: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    let ErrorBody { error } = answer.error().expect("an error body");
    assert_eq!(error.code, code, "{}", answer.body);
    assert!(error.message.contains(says), "{:?} should say {says:?}", error.message);
}

#[tokio::test]
async fn a_sentry_issue_starts_one_run_and_a_later_event_on_it_is_a_follow_up() -> anyhow::Result<()> {
    let vars = vec![("SECRETS_KEY".to_string(), KEY.to_string())];
    let cp = ControlPlane::start_with(ControlPlaneOptions { vars, ..Default::default() }).await?;
    let api = cp.api();
    let sentry = SentrySender::new(&cp.base_url(), CLIENT_SECRET);

    // Off: refused, and said so.
    let off = sentry.send("issue", &issue_created()).await?;
    refused(&off.answer, 503, ErrorCode::Misconfigured, "off");
    let listed: IntegrationList = api.raw("GET", "/api/integrations", None).await?.json()?;
    let entry = listed.integrations.iter().find(|i| i.name == IntegrationName::Sentry).expect("sentry listed");
    assert!(entry.available && !entry.enabled && !entry.secrets[0].set, "{entry:?}");
    // It cannot be turned on without its secret; then it can, and the secret never comes back.
    let answer = api.raw("PUT", "/api/integrations/sentry", Some(r#"{"enabled":true}"#)).await?;
    refused(&answer, 400, ErrorCode::InvalidRequest, "client_secret");
    let body = json!({ "enabled": true, "secrets": { "client_secret": CLIENT_SECRET } }).to_string();
    let answer = api.raw("PUT", "/api/integrations/sentry", Some(&body)).await?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(!answer.body.contains(CLIENT_SECRET));
    let on: Integration = answer.json()?;
    assert!(on.enabled && on.secrets[0].set, "{on:?}");

    let automation = json!({
        "name": "Sentry fixer",
        "repo": "/srv/git/app.git",
        "prompt": "Fix {{sentry.title}} ({{sentry.culprit}}).\n{{sentry.frames}}\n{{sentry.url}}",
        "trigger": { "type": "sentry", "projects": ["front-end"] }
    });
    let created = api.raw("POST", "/api/automations", Some(&automation.to_string())).await?;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.json::<AutomationWithSecret>()?.automation.id;

    // Forged, and not JSON: refused with their reasons.
    let issue = issue_created();
    let bytes = serde_json::to_vec(&issue)?;
    let forged = sentry.send_raw("issue", &bytes, "req-forged", &"0".repeat(64)).await?;
    refused(&forged.answer, 401, ErrorCode::Unauthorized, "signature");
    let oversize = vec![b' '; 256 * 1024 + 1];
    let big = sentry.send_raw("issue", &oversize, "req-big", "00").await?;
    refused(&big.answer, 413, ErrorCode::PayloadTooLarge, "262144 bytes");

    // The new issue: one run.
    let first = sentry.send("issue", &issue).await?;
    assert_eq!(first.answer.status, 202, "{}", first.answer.body);
    let started: DeliveryAccepted = first.answer.json()?;
    assert_eq!(started.outcome, DeliveryOutcome::Started);
    // Sentry redelivers it (same Request-ID): nothing new.
    let signature = oi_testkit::signing::hmac_hex(CLIENT_SECRET, &bytes);
    let replay = sentry.send_raw("issue", &bytes, &first.request_id, &signature).await?;
    assert_eq!(replay.answer.json::<DeliveryAccepted>()?.reason.as_deref(), Some("duplicate"));
    // Created again under a new id: the issue has its run already.
    let again = sentry.send("issue", &issue).await?;
    assert_eq!(again.answer.json::<DeliveryAccepted>()?.outcome, DeliveryOutcome::Ignored);

    // A new event on the same issue: a follow-up.
    let mut event = event_alert_triggered();
    event["data"]["event"]["issue_id"] = json!(issue["data"]["issue"]["id"].clone());
    let follow = sentry.send("event_alert", &event).await?;
    assert_eq!(follow.answer.status, 202, "{}", follow.answer.body);

    // An event of an issue in a project no automation takes: ignored, said why.
    let mut other = event_alert_triggered();
    other["data"]["event"]["issue_id"] = json!("999");
    other["data"]["event"]["project"] = json!(2);
    other["data"]["event"]["url"] =
        json!("https://sentry.io/api/0/projects/test-org/back-end/events/e4874d664c3540c1a32eab185f12c5ab/");
    let ignored: DeliveryAccepted = sentry.send("event_alert", &other).await?.answer.json()?;
    assert_eq!(ignored.outcome, DeliveryOutcome::Ignored);
    assert!(ignored.reason.unwrap_or_default().contains("no automation takes"));

    let runs: Vec<AutomationRun> =
        api.raw("GET", &format!("/api/automations/{id}/runs"), None).await?.json::<RunList>()?.runs;
    assert_eq!(runs.len(), 2, "{runs:?}");
    let key = format!("sentry:{}", issue["data"]["issue"]["id"].as_str().unwrap_or("1170820242"));
    assert!(runs.iter().all(|r| r.key.as_deref() == Some(key.as_str())), "{runs:?}");
    assert_eq!(runs.iter().filter(|r| r.follow_up).count(), 1, "{runs:?}");
    assert_eq!(Some(runs[1].id.clone()), started.run_id);

    let log: DeliveryList = api.raw("GET", "/api/integrations/sentry/deliveries", None).await?.json()?;
    let refusals: Vec<_> = log.deliveries.iter().filter(|d| d.outcome == DeliveryOutcome::Refused).collect();
    assert_eq!(refusals.len(), 3, "{log:?}");
    assert!(refusals.iter().all(|d| d.reason.is_some()));
    assert_eq!(log.deliveries.iter().filter(|d| d.outcome == DeliveryOutcome::Started).count(), 2, "{log:?}");
    Ok(())
}
