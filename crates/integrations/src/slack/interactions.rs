//! Interactivity: a click on one of the bot's buttons or menus. Slack POSTs it (signed like
//! events) as `application/x-www-form-urlencoded` with one field, `payload`, a JSON
//! `block_actions` object; the first of its `actions` decides.
//!
//! Invariant: only the bot's own action ids ([`super::messages`]) do anything; every other
//! interaction is acknowledged and ignored. Who clicked is returned, never trusted to be the
//! person who asked: the caller checks they may act on the session.

use oi_protocol::ErrorCode;
use serde_json::Value;

use super::messages::{ACTION_CHOOSE_REPO, ACTION_CREATE_PR, ACTION_OPEN_PR, ACTION_STOP, ACTION_VIEW_SESSION};
use crate::inbound::Refusal;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interaction {
    /// A repository picked from the menu of a pending request.
    ChooseRepo {
        request_key: String,
        repo: String,
        user: String,
        channel: String,
        message_ts: String,
    },
    Stop {
        session_id: String,
        user: String,
        channel: String,
    },
    CreatePr {
        session_id: String,
        user: String,
        channel: String,
    },
    /// Acknowledged (200) and nothing else; the reason names why.
    Ignored {
        reason: String,
    },
}

fn malformed(field: &str) -> Refusal {
    Refusal::new(ErrorCode::InvalidRequest, format!("the Slack interaction has no usable `{field}`"))
}

/// The non-empty string at a JSON pointer.
fn at(value: &Value, pointer: &str) -> Option<String> {
    value.pointer(pointer).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

/// Parses a verified interaction body (type block_actions; the first action decides).
/// No `payload` field, or a payload that is not a JSON object: refused (`invalid_request`,
/// `bad_json`); one of the bot's actions without the fields it needs: refused naming the field.
pub fn parse_interaction(form_body: &[u8]) -> Result<Interaction, Refusal> {
    let payload = url::form_urlencoded::parse(form_body)
        .find(|(key, _)| key == "payload")
        .map(|(_, value)| value.into_owned())
        .ok_or_else(|| malformed("payload"))?;
    let payload: Value = serde_json::from_str(&payload)
        .map_err(|e| Refusal::new(ErrorCode::BadJson, format!("the Slack interaction's payload is not JSON: {e}")))?;
    if !payload.is_object() {
        return Err(malformed("payload"));
    }
    let kind = at(&payload, "/type").ok_or_else(|| malformed("type"))?;
    if kind != "block_actions" {
        return Ok(Interaction::Ignored { reason: format!("interaction type {kind} is not used") });
    }
    let action = payload.pointer("/actions/0").filter(|a| a.is_object()).ok_or_else(|| malformed("actions"))?;
    let action_id = at(action, "/action_id").ok_or_else(|| malformed("actions[0].action_id"))?;
    let user = || at(&payload, "/user/id").ok_or_else(|| malformed("user.id"));
    let channel = || {
        at(&payload, "/channel/id")
            .or_else(|| at(&payload, "/container/channel_id"))
            .ok_or_else(|| malformed("channel.id"))
    };
    let session_id = || at(action, "/value").ok_or_else(|| malformed("actions[0].value"));
    match action_id.as_str() {
        ACTION_STOP => Ok(Interaction::Stop { session_id: session_id()?, user: user()?, channel: channel()? }),
        ACTION_CREATE_PR => Ok(Interaction::CreatePr { session_id: session_id()?, user: user()?, channel: channel()? }),
        ACTION_CHOOSE_REPO => {
            let field = "actions[0].selected_option.value";
            let value = at(action, "/selected_option/value").ok_or_else(|| malformed(field))?;
            let (request_key, repo) = value
                .split_once('|')
                .map(|(k, r)| (k.trim(), r.trim()))
                .filter(|(k, r)| !k.is_empty() && !r.is_empty())
                .ok_or_else(|| malformed(field))?;
            let message_ts = at(&payload, "/container/message_ts")
                .or_else(|| at(&payload, "/message/ts"))
                .ok_or_else(|| malformed("container.message_ts"))?;
            Ok(Interaction::ChooseRepo {
                request_key: request_key.to_string(),
                repo: repo.to_string(),
                user: user()?,
                channel: channel()?,
                message_ts,
            })
        }
        ACTION_VIEW_SESSION | ACTION_OPEN_PR => {
            Ok(Interaction::Ignored { reason: "a link button (Slack opens the link)".into() })
        }
        other => Ok(Interaction::Ignored { reason: format!("action {other} is not the bot's") }),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A block_actions payload with the fields Slack documents, and this first action.
    fn payload(action: Value) -> Value {
        json!({
            "type": "block_actions",
            "team": {"id": "T123ABC456", "domain": "acme"},
            "user": {"id": "U061F7AUR", "username": "ada", "name": "ada", "team_id": "T123ABC456"},
            "api_app_id": "A123ABC456",
            "token": "XXYYZZ",
            "container": {"type": "message", "message_ts": "1515449522.000016", "channel_id": "C123ABC456", "is_ephemeral": false},
            "trigger_id": "123.456.abc",
            "channel": {"id": "C123ABC456", "name": "eng"},
            "message": {"type": "message", "ts": "1515449522.000016", "text": "Which repository should I work in?"},
            "response_url": "https://hooks.slack.com/actions/T123ABC456/1/abc",
            "actions": [action],
            "state": {"values": {}},
        })
    }

    fn button(action_id: &str, value: &str) -> Value {
        json!({"type": "button", "action_id": action_id, "block_id": "b1", "value": value, "action_ts": "1515449600.000001", "text": {"type": "plain_text", "text": "x"}})
    }

    fn select(value: &str) -> Value {
        json!({"type": "static_select", "action_id": ACTION_CHOOSE_REPO, "block_id": "b2", "action_ts": "1515449600.000001",
               "selected_option": {"text": {"type": "plain_text", "text": "acme/api"}, "value": value}})
    }

    /// The form body Slack sends.
    fn form(payload: &Value) -> Vec<u8> {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("payload", &payload.to_string())
            .finish()
            .into_bytes()
    }

    fn without(mut payload: Value, pointer: &str) -> Value {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        payload.pointer_mut(parent).unwrap().as_object_mut().unwrap().remove(key);
        payload
    }

    enum Want {
        Is(Interaction),
        Ignored(&'static str),
        Refused(ErrorCode, &'static str),
    }

    #[test]
    fn interactions() {
        let (user, channel) = ("U061F7AUR".to_string(), "C123ABC456".to_string());
        let choose = Interaction::ChooseRepo {
            request_key: "req_1".into(),
            repo: "acme/api".into(),
            user: user.clone(),
            channel: channel.clone(),
            message_ts: "1515449522.000016".into(),
        };
        let stop = Interaction::Stop { session_id: "ses_1".into(), user: user.clone(), channel: channel.clone() };
        let create = Interaction::CreatePr { session_id: "ses_1".into(), user: user.clone(), channel: channel.clone() };
        let url_repo = Interaction::ChooseRepo {
            request_key: "req_1".into(),
            repo: "https://gitlab.example.com/a/b.git".into(),
            user: user.clone(),
            channel: channel.clone(),
            message_ts: "1515449522.000016".into(),
        };
        let cases: Vec<(&str, Vec<u8>, Want)> = vec![
            ("choose a repository", form(&payload(select("req_1|acme/api"))), Want::Is(choose.clone())),
            ("choose a remote", form(&payload(select("req_1|https://gitlab.example.com/a/b.git"))), Want::Is(url_repo)),
            ("stop", form(&payload(button(ACTION_STOP, "ses_1"))), Want::Is(stop.clone())),
            ("create a PR", form(&payload(button(ACTION_CREATE_PR, "ses_1"))), Want::Is(create)),
            (
                "channel from the container",
                form(&without(payload(button(ACTION_STOP, "ses_1")), "/channel")),
                Want::Is(stop),
            ),
            (
                "message ts from the message",
                form(&without(payload(select("req_1|acme/api")), "/container/message_ts")),
                Want::Is(choose),
            ),
            (
                "other form fields and + for spaces",
                format!("a=1&{}&b=2", String::from_utf8(form(&payload(button(ACTION_STOP, "ses_1")))).unwrap())
                    .into_bytes(),
                Want::Is(Interaction::Stop { session_id: "ses_1".into(), user, channel }),
            ),
            ("view session link", form(&payload(button(ACTION_VIEW_SESSION, ""))), Want::Ignored("link button")),
            (
                "pull request link",
                form(&payload(json!({"type": "button", "action_id": ACTION_OPEN_PR}))),
                Want::Ignored("link button"),
            ),
            (
                "someone else's action",
                form(&payload(button("approve", "1"))),
                Want::Ignored("approve is not the bot's"),
            ),
            ("a modal", form(&json!({"type": "view_submission"})), Want::Ignored("view_submission")),
            ("a shortcut", form(&json!({"type": "shortcut", "callback_id": "x"})), Want::Ignored("shortcut")),
            (
                "no payload",
                b"token=x&type=block_actions".to_vec(),
                Want::Refused(ErrorCode::InvalidRequest, "`payload`"),
            ),
            ("empty body", Vec::new(), Want::Refused(ErrorCode::InvalidRequest, "`payload`")),
            ("payload not JSON", b"payload=%7Bnope".to_vec(), Want::Refused(ErrorCode::BadJson, "not JSON")),
            (
                "payload not an object",
                b"payload=%5B1%5D".to_vec(),
                Want::Refused(ErrorCode::InvalidRequest, "`payload`"),
            ),
            ("no type", form(&json!({"actions": []})), Want::Refused(ErrorCode::InvalidRequest, "`type`")),
            (
                "no actions",
                form(&without(payload(json!({})), "/actions")),
                Want::Refused(ErrorCode::InvalidRequest, "`actions`"),
            ),
            (
                "empty actions",
                form(&json!({"type": "block_actions", "actions": []})),
                Want::Refused(ErrorCode::InvalidRequest, "`actions`"),
            ),
            (
                "no action_id",
                form(&payload(json!({"type": "button", "value": "x"}))),
                Want::Refused(ErrorCode::InvalidRequest, "action_id"),
            ),
            (
                "stop without a value",
                form(&payload(button(ACTION_STOP, " "))),
                Want::Refused(ErrorCode::InvalidRequest, "actions[0].value"),
            ),
            (
                "stop without a user",
                form(&without(payload(button(ACTION_STOP, "ses_1")), "/user")),
                Want::Refused(ErrorCode::InvalidRequest, "user.id"),
            ),
            (
                "stop without a channel",
                form(&without(without(payload(button(ACTION_STOP, "ses_1")), "/channel"), "/container/channel_id")),
                Want::Refused(ErrorCode::InvalidRequest, "channel.id"),
            ),
            (
                "choose without a key",
                form(&payload(select("acme/api"))),
                Want::Refused(ErrorCode::InvalidRequest, "selected_option.value"),
            ),
            (
                "choose an empty repo",
                form(&payload(select("req_1|"))),
                Want::Refused(ErrorCode::InvalidRequest, "selected_option.value"),
            ),
            (
                "choose without a selection",
                form(&payload(button(ACTION_CHOOSE_REPO, "x"))),
                Want::Refused(ErrorCode::InvalidRequest, "selected_option.value"),
            ),
            (
                "choose without a message ts",
                form(&without(without(payload(select("req_1|acme/api")), "/container/message_ts"), "/message/ts")),
                Want::Refused(ErrorCode::InvalidRequest, "message_ts"),
            ),
        ];
        for (name, body, want) in cases {
            let got = parse_interaction(&body);
            match want {
                Want::Is(want) => assert_eq!(got, Ok(want), "{name}"),
                Want::Ignored(needle) => match got {
                    Ok(Interaction::Ignored { reason }) => assert!(reason.contains(needle), "{name}: {reason}"),
                    other => panic!("{name}: {other:?}"),
                },
                Want::Refused(code, needle) => {
                    let refusal = got.expect_err(name);
                    assert_eq!(refusal.code, code, "{name}");
                    assert!(refusal.reason.contains(needle), "{name}: {}", refusal.reason);
                }
            }
        }
    }
}
