//! Linear's deliveries against the built Worker in workerd, fed by the Linear double: off
//! until an admin turns it on; a forged, unsigned, stale or malformed delivery refused with its
//! status and reason, logged, and starting nothing; a `created` answered at once and followed by
//! a thought; Linear's retry of it (the same delivery again) starting nothing more; and a
//! `prompted` in the same agent session reaching the same request.

use std::time::Duration;

use oi_linear_double::{IssueConfig, LinearConfig, LinearDouble, Prompt, SessionCreated, TeamConfig, UserConfig};
use oi_protocol::automations::DeliveryOutcome;
use oi_protocol::integrations::DeliveryList;
use oi_protocol::{ErrorBody, ErrorCode};
use oi_testkit::{ControlPlane, ControlPlaneOptions};
use serde_json::{json, Value};

const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const SECRET: &str = "lin-wh-secret-workerd";

fn refused(status: u16, body: &str, want: u16, code: ErrorCode, says: &str) {
    assert_eq!(status, want, "{body}");
    let ErrorBody { error } = serde_json::from_str(body).expect("an error body");
    assert_eq!(error.code, code, "{body}");
    assert!(error.message.contains(says), "{:?} should say {says:?}", error.message);
}

#[tokio::test]
async fn linear_deliveries_are_verified_deduped_and_answered_at_once() -> anyhow::Result<()> {
    let linear = LinearDouble::start(
        LinearConfig::new()
            .user(UserConfig::new("user-ada", "Ada Lovelace", "ada@acme.test"))
            .team(TeamConfig::new("ENG", "Engineering"))
            .issue(IssueConfig::new("ENG-7", "Fix the flaky test")),
    )
    .await?;
    let vars = vec![
        ("SECRETS_KEY".to_string(), KEY.to_string()),
        ("LINEAR_API_BASE".to_string(), linear.url()),
        ("LINEAR_OAUTH_BASE".to_string(), linear.url()),
        ("LINEAR_CLIENT_ID".to_string(), oi_linear_double::DEFAULT_CLIENT_ID.to_string()),
        ("LINEAR_CLIENT_SECRET".to_string(), oi_linear_double::DEFAULT_CLIENT_SECRET.to_string()),
    ];
    let cp = ControlPlane::start_with(ControlPlaneOptions { vars, ..Default::default() }).await?;
    let api = cp.api();
    linear.set_webhook_url(format!("{}/api/integrations/linear/webhook", cp.base_url()));
    linear.set_webhook_secret(SECRET);
    let created = SessionCreated::delegated("ENG-7", "user-ada");

    // Off: refused, and said so.
    let (_, off) = linear.send_session_created(&created).await?;
    refused(off.status, &off.response_body, 503, ErrorCode::Misconfigured, "off");

    // On, with settings that do not read: refused, naming the field; then with good ones.
    let bad = json!({"enabled": true, "secrets": {"webhook_secret": SECRET}, "config": {"repos": [], "x": 1}});
    let answer = api.raw("PUT", "/api/integrations/linear", Some(&bad.to_string())).await?;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.body.contains("x"), "{}", answer.body);
    let on = json!({"enabled": true, "secrets": {"webhook_secret": SECRET}, "config": {"repos": ["/srv/git/app.git"]}});
    let answer = api.raw("PUT", "/api/integrations/linear", Some(&on.to_string())).await?;
    assert_eq!(answer.status, 200, "{}", answer.body);

    // Forged, unsigned, stale, malformed: each refused with its status; nothing queued.
    let (_, payload) = linear.session_created_payload(&created)?;
    let body = serde_json::to_vec(&payload)?;
    let forged = linear.send_raw(&body, &"0".repeat(64), &[]).await?;
    refused(forged.status, &forged.response_body, 401, ErrorCode::Unauthorized, "signature");
    let unsigned = linear.send_raw(&body, "", &[]).await?;
    assert_eq!(unsigned.status, 401, "{}", unsigned.response_body);
    linear.set_clock_skew(-120_000);
    let (_, stale) = linear.send_session_created(&created).await?;
    refused(stale.status, &stale.response_body, 401, ErrorCode::Unauthorized, "stale");
    linear.set_clock_skew(0);
    let mut broken: Value = payload.clone();
    broken.as_object_mut().unwrap().remove("agentSession");
    broken["webhookTimestamp"] = json!(oi_testkit::signing::unix_now() * 1000);
    let broken = serde_json::to_vec(&broken)?;
    let malformed = linear.send_raw(&broken, &linear.sign(&broken), &[]).await?;
    refused(malformed.status, &malformed.response_body, 400, ErrorCode::InvalidRequest, "agentSession");
    assert!(linear.operations_named("agentActivityCreate").is_empty(), "a refused delivery did something");

    // A real one: answered at once, then a thought (the app is not installed, so Linear hears
    // nothing more and the job ends; what matters here is that it ran once).
    let (session, delivery) = linear.send_session_created(&created).await?;
    assert_eq!(delivery.status, 200, "{}", delivery.response_body);
    assert!(delivery.elapsed < Duration::from_secs(5), "Linear's 5 s: {:?}", delivery.elapsed);
    let again = linear.resend(&delivery).await?;
    assert_eq!(again.status, 200, "{}", again.response_body);
    assert!(again.response_body.contains("\"duplicate\":true"), "{}", again.response_body);
    let prompt = linear.send_prompt(&session, &Prompt::new("user-ada", "and the other one")).await?;
    assert_eq!(prompt.status, 200, "{}", prompt.response_body);
    assert!(prompt.response_body.contains("\"duplicate\":false"), "{}", prompt.response_body);

    let log: DeliveryList = api.raw("GET", "/api/integrations/linear/deliveries", None).await?.json()?;
    let refusals = log.deliveries.iter().filter(|d| d.outcome == DeliveryOutcome::Refused).count();
    assert_eq!(refusals, 5, "off, forged, unsigned, stale, malformed: {log:?}");
    let started = log.deliveries.iter().filter(|d| d.outcome == DeliveryOutcome::Started).count();
    assert_eq!(started, 2, "the created and the prompted, once each: {log:?}");
    Ok(())
}
