//! The `reply_comment` tool: the agent's answer to the GitHub comment its session was asked in,
//! posted as `oi_protocol::origin::OriginPost::ReplyComment` through the egress
//! ([`super::origin`]). Where it goes is the session's: the control plane posts it with the
//! App's token as a reply in the review comment's thread, or as a comment on the pull request
//! when the agent was asked in one.

use std::time::Duration;

use oi_protocol::origin::OriginPost;
use oi_protocol::review::{ReplyComment, REPLY_COMMENT_TOOL};
use serde_json::{json, Value};

use super::answers::failure;
use super::origin::{accepted, fields, text};

/// The tool's name (OpenCode offers it as `openinspect_reply_comment`).
pub const NAME: &str = REPLY_COMMENT_TOOL;

/// How long one call may take: the control plane talks to GitHub while the agent waits.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(50);

/// How a failure is told.
pub const FAILED: &str = "Could not reply";

/// The entry of `tools/list`.
pub fn definition() -> Value {
    json!({
        "name": NAME,
        "title": "Reply to the GitHub comment",
        "description": "Answer the GitHub comment you were asked in, in its thread: a reply under the review \
            comment, or a comment on the pull request when you were asked in one. Works only in sessions started \
            from a GitHub comment; it cannot post anywhere else. Markdown. For a review with comments on lines \
            of the diff, use submit_review instead.",
        "inputSchema": {
            "type": "object",
            "properties": {
                "body": {"type": "string", "description": "The reply, in Markdown."},
            },
            "required": ["body"],
        },
    })
}

/// The reply from the call's arguments: `body` must have text, and it is the only field.
pub fn arguments(args: &Value) -> Result<OriginPost, String> {
    let args = fields(args, &["body"], "", NAME)?;
    let body = text(&args, "body", "")?.ok_or("`body` is required: the reply, in Markdown")?;
    Ok(OriginPost::ReplyComment(ReplyComment { body }))
}

/// What the model is told about the control plane's answer, and whether the tool failed.
pub fn outcome(status: u16, body: &str) -> (String, bool) {
    if (200..300).contains(&status) {
        return (accepted("Replied", body), false);
    }
    (failure(FAILED, status, body), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_need_a_body_and_nothing_else() {
        let post = arguments(&json!({"body": "Fixed in the last push.\n"})).unwrap();
        assert_eq!(
            serde_json::to_value(&post).unwrap(),
            json!({"tool": "reply_comment", "body": "Fixed in the last push.\n"})
        );
        for (bad, why) in [
            (json!({}), "`body` is required"),
            (Value::Null, "`body` is required"),
            (json!({"body": " \n"}), "`body` is required"),
            (json!({"body": ["a"]}), "`body` must be a string"),
            (json!("hi"), "reply_comment must be an object with `body`"),
            (
                json!({"body": "hi", "comment_id": 5}),
                "`comment_id` is not an argument: reply_comment takes only `body`",
            ),
        ] {
            let told = arguments(&bad).unwrap_err();
            assert!(told.contains(why), "{bad}: {told}");
        }
    }

    #[test]
    fn answers_say_where_the_reply_is_or_why_not() {
        let url = "https://github.com/acme/app/pull/7#discussion_r90";
        assert_eq!(outcome(201, &json!({"url": url}).to_string()), (format!("Replied: {url}"), false));
        assert_eq!(outcome(201, "{}"), ("Replied.".into(), false));
        let refused = r#"{"error":{"code":"conflict","message":"this session was not asked in a comment"}}"#;
        assert_eq!(
            outcome(409, refused),
            ("Could not reply: this session was not asked in a comment (conflict)".into(), true)
        );
        let (text, failed) = outcome(502, "upstream timed out");
        assert!(failed && text == "Could not reply: the control plane answered 502: upstream timed out", "{text}");
    }

    #[test]
    fn the_definition_requires_a_body() {
        let d = definition();
        assert_eq!((d["name"].as_str(), &d["inputSchema"]["required"]), (Some("reply_comment"), &json!(["body"])));
        assert!(d["description"].as_str().unwrap().contains("in its thread"));
    }
}
