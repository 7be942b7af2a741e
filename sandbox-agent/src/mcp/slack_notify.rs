//! The `slack_notify` tool: a message in the Slack thread the session was started from, posted
//! as `oi_protocol::origin::OriginPost::SlackNotify` through the egress ([`super::origin`]).
//! The control plane decides whether it is taken (a Slack session whose settings let the agent
//! post, within limits) and says why not.

use std::time::Duration;

use oi_protocol::origin::{OriginPost, MAX_AGENT_POST_CHARS};
use serde_json::{json, Value};

use super::answers::failure;

/// The tool's name (OpenCode offers it as `openinspect_slack_notify`).
pub const NAME: &str = "slack_notify";

/// How long one call may take (the control plane only keeps the post; Slack gets it after).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// How a failure is told.
pub const FAILED: &str = "Could not post in the Slack thread";

/// The entry of `tools/list`.
pub fn definition() -> Value {
    json!({
        "name": NAME,
        "title": "Post in the Slack thread",
        "description": format!("Post a short message in the Slack thread this session was started from, for \
            news the people there should see before you finish (a question, a finding, a milestone). Your final \
            answer is posted there anyway: do not repeat it. Works only in sessions started from Slack when an \
            admin allowed it; plain text, at most {MAX_AGENT_POST_CHARS} characters, no mentions."),
        "inputSchema": {
            "type": "object",
            "properties": {
                "text": {"type": "string", "description": "The message (plain text)."},
            },
            "required": ["text"],
        },
    })
}

/// The post from the call's arguments: `text` must be a string with text (the control plane
/// checks the rest).
pub fn arguments(args: &Value) -> Result<OriginPost, String> {
    match args.get("text") {
        Some(Value::String(text)) if !text.trim().is_empty() => Ok(OriginPost::SlackNotify { text: text.clone() }),
        Some(Value::String(_)) | None | Some(Value::Null) => Err("`text` is required: the message to post".into()),
        Some(_) => Err("`text` must be a string".into()),
    }
}

/// What the model is told about the control plane's answer, and whether the tool failed.
pub fn outcome(status: u16, body: &str) -> (String, bool) {
    if (200..300).contains(&status) {
        return ("Posted in the Slack thread.".into(), false);
    }
    (failure(FAILED, status, body), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_need_text() {
        let post = arguments(&json!({"text": " Halfway there "})).unwrap();
        assert_eq!(post, OriginPost::SlackNotify { text: " Halfway there ".into() });
        assert_eq!(serde_json::to_value(&post).unwrap(), json!({"tool": "slack_notify", "text": " Halfway there "}));
        for (bad, why) in [
            (json!({}), "required"),
            (json!({"text": "  "}), "required"),
            (json!({"text": 3}), "must be a string"),
            (Value::Null, "required"),
        ] {
            assert!(arguments(&bad).unwrap_err().contains(why), "{bad}");
        }
    }

    #[test]
    fn answers_say_posted_or_why_not() {
        assert_eq!(outcome(202, r#"{"notice_id":"ntc_1_post_1"}"#), ("Posted in the Slack thread.".into(), false));
        let off = r#"{"error":{"code":"forbidden","message":"the agent may not post to a Slack thread"}}"#;
        assert_eq!(
            outcome(403, off),
            ("Could not post in the Slack thread: the agent may not post to a Slack thread (forbidden)".into(), true)
        );
    }
}
