//! The `create_pull_request` tool: its definition, its arguments, and what the model is told.
//! The call itself posts `oi_protocol::source_control::CreatePullRequest` to the supervisor's
//! egress (`POST {OI_EGRESS_URL}/tools/pull-request`), which adds the sandbox token and
//! forwards it to the session's `/pull-request` route; this process holds no token.

use std::time::Duration;

use oi_protocol::source_control::{CreatePullRequest, PullRequest, PullRequestState};
use serde_json::{json, Value};

use super::answers::{clip, failure};
use crate::egress::Egress;

/// The tool's name (OpenCode offers it as `openinspect_create_pull_request`).
pub const NAME: &str = "create_pull_request";

/// How long one call may take (the control plane talks to GitHub). OpenCode's own limit for
/// the call, set in its config, is longer.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(50);

/// The entry of `tools/list`.
pub fn definition() -> Value {
    json!({
        "name": NAME,
        "title": "Create pull request",
        "description": "Open a pull request for this session's branch on the session's repository, or update \
            the one already open. The session's work is committed and pushed to its branch for you: do not \
            push or call the host's API yourself. Give a summary of what changed and why.",
        "inputSchema": {
            "type": "object",
            "properties": {
                "title": {
                    "type": "string",
                    "description": "The pull request's title (default: the session's title or its first prompt).",
                },
                "summary": {
                    "type": "string",
                    "description": "What changed and why, in Markdown: the pull request's description.",
                },
                "draft": {"type": "boolean", "description": "Open it as a draft."},
            },
            "required": ["summary"],
        },
    })
}

/// The request from the call's arguments: `summary` must have text; a blank title is none.
pub fn arguments(args: &Value) -> Result<CreatePullRequest, String> {
    let text = |name: &str| -> Result<Option<String>, String> {
        match args.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
            Some(_) => Err(format!("`{name}` must be a string")),
        }
    };
    let draft = match args.get("draft") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err("`draft` must be true or false".into()),
    };
    let title = text("title")?;
    let summary = text("summary")?.ok_or("`summary` is required: what changed and why, in Markdown")?;
    Ok(CreatePullRequest { title, summary: Some(summary), draft })
}

/// What the model is told about the control plane's answer (`status`, `body`), and whether
/// the tool failed.
pub fn outcome(status: u16, body: &str) -> (String, bool) {
    if (200..300).contains(&status) {
        return match serde_json::from_str::<PullRequest>(body) {
            Ok(pr) => (describe(&pr, status == 201), false),
            Err(_) => (format!("The pull request was saved, but its details could not be read: {}", clip(body)), false),
        };
    }
    (failure("Could not open the pull request", status, body), true)
}

fn describe(pr: &PullRequest, created: bool) -> String {
    let state = match pr.state {
        PullRequestState::Open if pr.draft => "open (draft)",
        PullRequestState::Open => "open",
        PullRequestState::Merged => "merged",
        PullRequestState::Closed => "closed",
    };
    let verb = if created { "Opened" } else { "Updated" };
    format!(
        "{verb} pull request #{number}: {url}\nState: {state}\nTitle: {title}\nBranch: {head} → {base} ({repo})",
        number = pr.number,
        url = pr.url,
        title = pr.title,
        head = pr.head,
        base = pr.base,
        repo = pr.repo,
    )
}

/// Posts the request through the egress at `egress_url` and says how it went.
pub async fn call(client: &reqwest::Client, egress_url: &str, request: &CreatePullRequest) -> (String, bool) {
    let sent = client.post(Egress::pull_request_url(egress_url)).json(request).timeout(CALL_TIMEOUT).send().await;
    let res = match sent {
        Ok(res) => res,
        Err(e) => return (format!("Could not open the pull request: the sandbox's egress did not answer: {e}"), true),
    };
    let status = res.status().as_u16();
    match res.text().await {
        Ok(body) => outcome(status, &body),
        Err(e) => (format!("Could not open the pull request: its answer ({status}) broke off: {e}"), true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pr() -> Value {
        json!({
            "repo": "acme/app", "number": 12, "url": "https://github.com/acme/app/pull/12", "title": "Fix it",
            "head": "oi/ses_1", "base": "main", "state": "open", "draft": true, "opened_as": "user",
            "requested_by": "ada", "checks": "none", "updated_at": 1
        })
    }

    #[test]
    fn arguments_need_a_summary_and_trim_the_rest() {
        let r = arguments(&json!({"title": "  ", "summary": " Did X\n", "draft": true})).unwrap();
        assert_eq!(r, CreatePullRequest { title: None, summary: Some("Did X".into()), draft: true });
        let r = arguments(&json!({"title": "T", "summary": "S"})).unwrap();
        assert_eq!((r.title.as_deref(), r.draft), (Some("T"), false));
        assert_eq!(serde_json::to_value(&r).unwrap(), json!({"title": "T", "summary": "S"}));
        for bad in [json!({}), json!({"summary": "  "}), json!({"summary": 3}), json!({"summary": "s", "draft": "yes"})]
        {
            assert!(arguments(&bad).is_err(), "{bad}");
        }
        assert!(arguments(&Value::Null).unwrap_err().contains("summary"));
    }

    #[test]
    fn a_pull_request_is_told_with_number_url_and_state() {
        let (text, failed) = outcome(201, &pr().to_string());
        assert!(!failed);
        assert!(text.starts_with("Opened pull request #12: https://github.com/acme/app/pull/12"), "{text}");
        assert!(text.contains("State: open (draft)") && text.contains("oi/ses_1 → main"), "{text}");
        let mut merged = pr();
        merged["state"] = json!("merged");
        let (text, _) = outcome(200, &merged.to_string());
        assert!(text.starts_with("Updated pull request #12") && text.contains("State: merged"), "{text}");
    }

    #[test]
    fn errors_carry_the_control_planes_message() {
        let body = r#"{"error":{"code":"conflict","message":"nothing has been pushed to oi/ses_1 yet"}}"#;
        assert_eq!(
            outcome(409, body),
            ("Could not open the pull request: nothing has been pushed to oi/ses_1 yet (conflict)".into(), true)
        );
        let (text, failed) = outcome(502, "<html>bad gateway</html>");
        assert!(failed && text.contains("502") && text.contains("bad gateway"), "{text}");
        let (text, failed) = outcome(200, "not json");
        assert!(!failed && text.contains("not json"), "{text}");
    }
}
