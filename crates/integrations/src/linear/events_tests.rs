use serde_json::json;

use super::*;

fn fixture(name: &str) -> Value {
    let text = match name {
        "created" => include_str!("../../tests/fixtures/linear/agent_session_event.created.json"),
        "prompted" => include_str!("../../tests/fixtures/linear/agent_session_event.prompted.json"),
        _ => unreachable!(),
    };
    serde_json::from_str(text).unwrap()
}

/// A recorded payload with changes at JSON pointers (None removes the field).
fn edited(name: &str, edits: &[(&str, Option<Value>)]) -> Value {
    let mut body = fixture(name);
    for (pointer, value) in edits {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let parent = body.pointer_mut(parent).unwrap().as_object_mut().unwrap();
        match value {
            Some(v) => parent.insert(key.to_string(), v.clone()),
            None => parent.remove(key),
        };
    }
    body
}

const SESSION: &str = "7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b";
const ORG: &str = "2f3b6c1e-8d4a-4c2b-9e7f-0a1b2c3d4e5f";
const ACTIVITY: &str = "8a9b0c1d-2e3f-4a4b-9c5d-6e7f8a9b0c1d";

fn ada() -> LinearUser {
    LinearUser {
        id: "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d".into(),
        name: "Ada Lovelace".into(),
        email: "ada@acme.test".into(),
    }
}

#[test]
fn a_created_session() {
    let LinearDelivery::SessionCreated(created) = parse(&fixture("created")).unwrap() else { panic!("not created") };
    assert_eq!(created.dedupe_key, format!("session:{SESSION}"));
    assert_eq!((created.organization_id.as_str(), created.agent_session_id.as_str()), (ORG, SESSION));
    assert_eq!(
        created.session_url.as_deref(),
        Some("https://linear.app/acme/issue/ENG-123/login-button-does-nothing#agent-session-7e8f9a0b")
    );
    assert_eq!(
        created.issue,
        Some(SessionIssue {
            id: "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f".into(),
            identifier: "ENG-123".into(),
            title: "Login button does nothing".into(),
            description: Some(
                "Clicking **Log in** on the sign-in page does nothing.\n\nThe handler is in acme/web.".into()
            ),
            url: "https://linear.app/acme/issue/ENG-123/login-button-does-nothing".into(),
            team_id: "4d5e6f7a-8b9c-4d0e-8f1a-2b3c4d5e6f7a".into(),
            team_key: "ENG".into(),
        })
    );
    assert_eq!(
        created.comment,
        Some(SessionComment {
            id: "6f7a8b9c-0d1e-4f2a-8b3c-4d5e6f7a8b9c".into(),
            body: "@open-inspect can you fix this?".into()
        })
    );
    assert_eq!(created.creator, Some(ada()));
    assert!(created.prompt_context.as_deref().is_some_and(|c| c.starts_with("<issue identifier=\"ENG-123\">")));
    assert_eq!(created.guidance, ["Run the tests before opening a pull request."]);
}

#[test]
fn a_created_session_without_the_optional_parts() {
    let body = edited(
        "created",
        &[
            ("/agentSession/issue", None),
            ("/agentSession/comment", Some(Value::Null)),
            ("/agentSession/creator", None),
            ("/agentSession/url", None),
            ("/promptContext", None),
            ("/guidance", Some(Value::Null)),
        ],
    );
    let LinearDelivery::SessionCreated(created) = parse(&body).unwrap() else { panic!("not created") };
    assert_eq!((created.issue, created.comment, created.creator), (None, None, None));
    assert_eq!((created.session_url, created.prompt_context), (None, None));
    assert!(created.guidance.is_empty());
    assert_eq!(created.dedupe_key, format!("session:{SESSION}"));
}

#[test]
fn prompts_and_stops() {
    let prompt = SessionPrompted {
        dedupe_key: format!("activity:{ACTIVITY}"),
        organization_id: ORG.into(),
        agent_session_id: SESSION.into(),
        activity_id: ACTIVITY.into(),
        body: "acme/web, and keep the old handler for the mobile page.".into(),
        author: ada(),
    };
    assert_eq!(parse(&fixture("prompted")).unwrap(), LinearDelivery::Prompted(prompt.clone()));
    let stop = edited("prompted", &[("/agentActivity/signal", Some(json!("stop")))]);
    assert_eq!(parse(&stop).unwrap(), LinearDelivery::StopRequested(prompt.clone()));
    let bare_stop = edited(
        "prompted",
        &[("/agentActivity/signal", Some(json!("stop"))), ("/agentActivity/content/body", Some(json!("")))],
    );
    let LinearDelivery::StopRequested(stopped) = parse(&bare_stop).unwrap() else { panic!("not a stop") };
    assert_eq!(stopped.body, "");
    // Other signals are prompts: their body is the answer.
    let selected = edited("prompted", &[("/agentActivity/signal", Some(json!("select")))]);
    assert_eq!(parse(&selected).unwrap(), LinearDelivery::Prompted(prompt));
}

#[test]
fn what_is_ignored() {
    let issue_update = json!({"action": "update", "type": "Issue", "data": {}, "webhookTimestamp": 1});
    let cases: Vec<(Value, &str)> = vec![
        (issue_update, "Linear Issue deliveries are not used"),
        (edited("created", &[("/action", Some(json!("removed")))]), "agent session action removed is not used"),
        (
            edited("prompted", &[("/agentActivity/content", Some(json!({"type": "thought", "body": "hm"})))]),
            "a \"thought\" activity is not a prompt",
        ),
        (edited("prompted", &[("/agentActivity/content/body", Some(json!("  ")))]), "an empty prompt"),
    ];
    for (body, reason) in cases {
        assert_eq!(parse(&body).unwrap(), LinearDelivery::Ignored { reason: reason.into() }, "{reason}");
    }
}

#[test]
fn malformed_deliveries_name_the_field() {
    let long_id = "x".repeat(300);
    let cases: Vec<(Value, &str)> = vec![
        (json!({"action": "created"}), "type"),
        (edited("created", &[("/action", None)]), "action"),
        (edited("created", &[("/organizationId", None)]), "organizationId"),
        (edited("created", &[("/agentSession", None)]), "agentSession"),
        (edited("created", &[("/agentSession", Some(json!("s")))]), "agentSession"),
        (edited("created", &[("/agentSession/id", Some(json!(" ")))]), "agentSession.id"),
        (edited("created", &[("/agentSession/id", Some(json!(long_id)))]), "agentSession.id"),
        (edited("created", &[("/agentSession/issue/identifier", None)]), "agentSession.issue.identifier"),
        (edited("created", &[("/agentSession/issue/team", None)]), "agentSession.issue.team"),
        (edited("created", &[("/agentSession/issue/team/key", Some(json!(7)))]), "agentSession.issue.team.key"),
        (edited("created", &[("/agentSession/comment/id", None)]), "agentSession.comment.id"),
        (edited("created", &[("/agentSession/creator/id", None)]), "agentSession.creator.id"),
        (edited("prompted", &[("/agentActivity", None)]), "agentActivity"),
        (edited("prompted", &[("/agentActivity/id", None)]), "agentActivity.id"),
        (edited("prompted", &[("/agentActivity/content", None)]), "agentActivity.content"),
        (edited("prompted", &[("/agentActivity/user", None)]), "agentActivity.user"),
        (edited("prompted", &[("/agentActivity/user/id", None)]), "agentActivity.user.id"),
    ];
    for (body, field) in cases {
        let refusal = parse(&body).expect_err(field);
        assert_eq!((refusal.code, refusal.status()), (ErrorCode::InvalidRequest, 400), "{field}");
        assert!(refusal.reason.ends_with(&format!("`{field}`")), "{field}: {}", refusal.reason);
    }
}

#[test]
fn untrusted_text_is_kept_as_sent() {
    let text = "<script>alert(1)</script> @everyone ![x](javascript:alert(1))";
    let body = edited("prompted", &[("/agentActivity/content/body", Some(json!(text)))]);
    let LinearDelivery::Prompted(prompted) = parse(&body).unwrap() else { panic!("not a prompt") };
    assert_eq!(prompted.body, text);
}

#[test]
fn the_author_as_a_vendor_user() {
    let author = ada();
    let vendor = author.vendor_user();
    assert_eq!((vendor.id, vendor.email, vendor.email_verified), (author.id.as_str(), Some("ada@acme.test"), true));
}
