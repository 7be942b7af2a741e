//! Slack's deliveries against the built Worker in workerd, fed by the Slack double: off until
//! an admin turns it on, `url_verification` answered, every refusal (bad signature, stale
//! timestamp, oversize) with its status, its logged reason and no session, and Slack's retries
//! of one event starting one session; Slack refusing the thread's messages told to the session.

use std::time::Duration;

use oi_protocol::automations::DeliveryOutcome;
use oi_protocol::events::{EventBody, NoticeLevel};
use oi_protocol::integrations::DeliveryList;
use oi_protocol::rest::{EventsPage, SessionList};
use oi_protocol::{ErrorBody, ErrorCode};
use oi_slack_double::signing::signature;
use oi_slack_double::{ChannelConfig, SlackConfig, SlackDouble, UserConfig};
use oi_testkit::{Api, ControlPlane, ControlPlaneOptions};
use serde_json::json;

const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const CHANNEL: &str = "C0123GENERAL";

fn refused(status: u16, body: &str, want: u16, code: ErrorCode, says: &str) {
    assert_eq!(status, want, "{body}");
    let ErrorBody { error } = serde_json::from_str(body).expect("an error body");
    assert_eq!(error.code, code, "{body}");
    assert!(error.message.contains(says), "{:?} should say {says:?}", error.message);
}

async fn slack_sessions(api: &Api) -> anyhow::Result<usize> {
    Ok(api.raw("GET", "/api/sessions?origin=slack", None).await?.json::<SessionList>()?.sessions.len())
}

#[tokio::test]
async fn slack_deliveries_are_verified_and_one_event_starts_one_session() -> anyhow::Result<()> {
    let slack =
        SlackDouble::start(SlackConfig::default().user(UserConfig::new("U0ADA", "ada").email("ada@acme.test"))).await?;
    let vars = vec![
        ("SECRETS_KEY".to_string(), KEY.to_string()),
        ("SLACK_API_BASE".to_string(), format!("{}/api", slack.url())),
    ];
    let cp = ControlPlane::start_with(ControlPlaneOptions { vars, ..Default::default() }).await?;
    let api = cp.api();
    slack.set_events_url(&format!("{}/api/integrations/slack/events", cp.base_url()));
    let sender = slack.events_sender();
    let mention = format!("{} fix the login test", slack.bot_mention());

    // Off: refused, and said so.
    let ts = slack.post_user_message(CHANNEL, "U0ADA", &mention, None);
    let envelope = sender.app_mention(CHANNEL, "U0ADA", &mention, &ts, None);
    let off = sender.send(&envelope).await?;
    refused(off.status, &off.body, 503, ErrorCode::Misconfigured, "off");
    let config = slack.config();
    let settings = json!({
        "enabled": true,
        "secrets": { "signing_secret": config.signing_secret, "bot_token": config.bot_token },
        "config": { "repos": ["/srv/git/app.git"], "bot_user_id": config.bot_user_id },
    });
    let on = api.raw("PUT", "/api/integrations/slack", Some(&settings.to_string())).await?;
    assert_eq!(on.status, 200, "{}", on.body);
    let bad_config =
        json!({ "config": { "repos": ["/srv/git/app.git"], "keywords": [{"keyword": "x", "repo": "acme/other"}] } });
    let answer = api.raw("PUT", "/api/integrations/slack", Some(&bad_config.to_string())).await?;
    refused(answer.status, &answer.body, 400, ErrorCode::InvalidRequest, "config: keywords");

    // url_verification.
    let challenge =
        sender.send(&sender.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")).await?;
    assert_eq!(challenge.status, 200);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&challenge.body)?["challenge"],
        "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    );

    // Refusals: forged, stale, oversize.
    let body = serde_json::to_vec(&envelope)?;
    let now = oi_testkit::signing::unix_now();
    let forged = sender.send_raw(&body, &now.to_string(), &format!("v0={}", "0".repeat(64))).await?;
    refused(forged.status, &forged.body, 401, ErrorCode::Unauthorized, "bad signature");
    let old = (now - 400).to_string();
    let stale = sender.send_raw(&body, &old, &signature(&config.signing_secret, &old, &body)).await?;
    refused(stale.status, &stale.body, 401, ErrorCode::Unauthorized, "stale timestamp");
    let big = vec![b' '; 1024 * 1024 + 1];
    let oversize =
        sender.send_raw(&big, &now.to_string(), &signature(&config.signing_secret, &now.to_string(), &big)).await?;
    refused(oversize.status, &oversize.body, 413, ErrorCode::PayloadTooLarge, "1048576 bytes");
    assert_eq!(slack_sessions(&api).await?, 0, "a refused delivery started a session");

    // One event, then Slack's retries of it: one session.
    let first = sender.send(&envelope).await?;
    assert_eq!(first.status, 200, "{}", first.body);
    for n in 1..=2 {
        let retry = sender.send_retry(&envelope, n, "http_timeout").await?;
        assert_eq!(retry.status, 200, "{}", retry.body);
        assert!(retry.body.contains("\"duplicate\":true"), "{}", retry.body);
    }
    let mut sessions = 0;
    for _ in 0..150 {
        sessions = slack_sessions(&api).await?;
        if sessions > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(sessions, 1, "{}", cp.log_tail(40));
    let started = slack.wait_for_calls("chat.postMessage", 2, Duration::from_secs(20)).await?;
    assert_eq!(started.len(), 2, "the started message and the status message");
    slack.assert_no_violations();

    let log: DeliveryList = api.raw("GET", "/api/integrations/slack/deliveries", None).await?.json()?;
    let refusals = log.deliveries.iter().filter(|d| d.outcome == DeliveryOutcome::Refused).count();
    assert_eq!(refusals, 4, "off, forged, stale, oversize: {log:?}");
    Ok(())
}

#[tokio::test]
async fn slack_refusing_the_threads_messages_is_told_to_the_session() -> anyhow::Result<()> {
    // The app is not a member of #quiet: Slack answers its posts there `not_in_channel`.
    let slack = SlackDouble::start(
        SlackConfig::default()
            .channel(ChannelConfig::public("C0QUIET", "quiet").without_bot())
            .user(UserConfig::new("U0ADA", "ada").email("ada@acme.test")),
    )
    .await?;
    let vars = vec![
        ("SECRETS_KEY".to_string(), KEY.to_string()),
        ("SLACK_API_BASE".to_string(), format!("{}/api", slack.url())),
    ];
    let cp = ControlPlane::start_with(ControlPlaneOptions { vars, ..Default::default() }).await?;
    let api = cp.api();
    slack.set_events_url(&format!("{}/api/integrations/slack/events", cp.base_url()));
    let config = slack.config();
    let settings = json!({
        "enabled": true,
        "secrets": { "signing_secret": config.signing_secret, "bot_token": config.bot_token },
        "config": { "repos": ["/srv/git/app.git"], "bot_user_id": config.bot_user_id },
    });
    assert_eq!(api.raw("PUT", "/api/integrations/slack", Some(&settings.to_string())).await?.status, 200);

    let sender = slack.events_sender();
    let mention = format!("{} fix the login test", slack.bot_mention());
    let ts = slack.post_user_message("C0QUIET", "U0ADA", &mention, None);
    let delivered = sender.send(&sender.app_mention("C0QUIET", "U0ADA", &mention, &ts, None)).await?;
    assert_eq!(delivered.status, 200, "{}", delivered.body);

    // The session starts all the same, and its watchers are told why the thread is silent.
    let mut said = None;
    for _ in 0..150 {
        let listed: SessionList = api.raw("GET", "/api/sessions?origin=slack", None).await?.json()?;
        if let Some(session) = listed.sessions.first() {
            let events = api.raw("GET", &format!("/api/sessions/{}/events", session.id), None).await?;
            let page: EventsPage = events.json()?;
            said = page.events.into_iter().find_map(|e| match e.body {
                EventBody::Notice(n) if n.message.contains("not_in_channel") => Some(n),
                _ => None,
            });
            if said.is_some() {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let notice = said.unwrap_or_else(|| panic!("no notice about Slack's refusal\n{}", cp.log_tail(40)));
    assert_eq!(notice.level, NoticeLevel::Warning);
    assert!(notice.message.contains("invite it"), "{}", notice.message);
    assert!(slack.thread("C0QUIET", &ts).iter().all(|m| m.bot_id.is_none()), "nothing was posted there");
    Ok(())
}
