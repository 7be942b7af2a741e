//! The `submit_review` tool: the agent's review of the pull request its session answers on (a
//! session started from GitHub), posted as `oi_protocol::origin::OriginPost::SubmitReview`
//! through the egress ([`super::origin`]). The control plane submits it with the App's token:
//! it moves comments on lines outside the pull request's diff into the review's body and says
//! so, and refuses what GitHub or its own rules would not take (an approval of a pull request
//! the asker or the App opened), saying why.

use std::time::Duration;

use oi_protocol::origin::OriginPost;
use oi_protocol::review::{DiffSide, InlineComment, ReviewAction, SubmitReview, SUBMIT_REVIEW_TOOL};
use serde_json::{json, Map, Value};

use super::answers::failure;
use super::origin::{accepted, fields, text};

/// The tool's name (OpenCode offers it as `openinspect_submit_review`).
pub const NAME: &str = SUBMIT_REVIEW_TOOL;

/// How long one call may take: the control plane talks to GitHub while the agent waits.
/// OpenCode's own limit for the call, set in its config, is longer.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(50);

/// How a failure is told.
pub const FAILED: &str = "Could not submit the review";

const TAKES: &[&str] = &["summary", "event", "comments"];
const COMMENT_TAKES: &[&str] = &["path", "line", "side", "start_line", "body"];

/// The entry of `tools/list`.
pub fn definition() -> Value {
    json!({
        "name": NAME,
        "title": "Submit a pull request review",
        "description": "Submit your review of the GitHub pull request this session was asked about: a summary, \
            a verdict (`event`) and, optionally, comments on lines of its diff. Works only in sessions started \
            from a pull request; submit one review with all your comments rather than several. Comments must be \
            on lines of the pull request's diff (lines a hunk adds, removes or shows as context): comments on \
            other lines are moved into the summary, and you are told which. APPROVE is refused on a pull request \
            opened by the person who asked you or by this app; use COMMENT or REQUEST_CHANGES there.",
        "inputSchema": {
            "type": "object",
            "properties": {
                "summary": {
                    "type": "string",
                    "description": "The review's body, in Markdown: your overall assessment.",
                },
                "event": {
                    "type": "string",
                    "enum": ["COMMENT", "REQUEST_CHANGES", "APPROVE"],
                    "description": "COMMENT: feedback without a verdict; REQUEST_CHANGES: must be addressed \
                        before merging; APPROVE: ready to merge (refused on pull requests the asker or this app \
                        opened).",
                },
                "comments": {
                    "type": "array",
                    "description": "Comments on lines of the diff (default none).",
                    "items": {
                        "type": "object",
                        "properties": {
                            "path": {
                                "type": "string",
                                "description": "The file's path in the repository, as the diff names it.",
                            },
                            "line": {
                                "type": "integer",
                                "minimum": 1,
                                "description": "The line commented on (a range's last line), numbered as in \
                                    the file on `side`.",
                            },
                            "side": {
                                "type": "string",
                                "enum": ["LEFT", "RIGHT"],
                                "description": "RIGHT (default): the pull request's version of the file (added \
                                    or context lines); LEFT: the base version (removed lines).",
                            },
                            "start_line": {
                                "type": "integer",
                                "minimum": 1,
                                "description": "For a range of lines: its first line, on the same side and in \
                                    the same hunk as `line`.",
                            },
                            "body": {"type": "string", "description": "The comment, in Markdown."},
                        },
                        "required": ["path", "line", "body"],
                    },
                },
            },
            "required": ["summary", "event"],
        },
    })
}

/// The review from the call's arguments, or what is wrong with them: `summary` and each
/// comment's `path` and `body` need text, `event` and `side` one of their names (in any case),
/// lines are numbers from 1, and no other fields are taken (the pull request is the session's).
/// A range of one line (`start_line` = `line`) is that line.
pub fn arguments(args: &Value) -> Result<OriginPost, String> {
    let args = fields(args, TAKES, "", NAME)?;
    let summary = text(&args, "summary", "")?.ok_or("`summary` is required: the review's body, in Markdown")?;
    let event = match args.get("event") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => [ReviewAction::Comment, ReviewAction::RequestChanges, ReviewAction::Approve]
            .into_iter()
            .find(|e| e.as_str().eq_ignore_ascii_case(s.trim())),
        Some(_) => None,
    };
    let event = event.ok_or("`event` must be one of COMMENT, REQUEST_CHANGES or APPROVE")?;
    let comments = match args.get("comments") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(comments)) => comments
            .iter()
            .enumerate()
            .map(|(i, c)| comment(c, &format!("comments[{i}].")))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("`comments` must be a list of objects with `path`, `line` and `body`".into()),
    };
    Ok(OriginPost::SubmitReview(SubmitReview { summary, event, comments }))
}

fn comment(value: &Value, at: &str) -> Result<InlineComment, String> {
    let what = format!("`{}`", at.trim_end_matches('.'));
    if value.is_null() {
        return Err(format!("{what} must be an object with `path`, `line` and `body`"));
    }
    let c = fields(value, COMMENT_TAKES, at, &format!("a comment ({what})"))?;
    let path = text(&c, "path", at)?.ok_or(format!("`{at}path` is required: the file's path, as the diff names it"))?;
    let line = line_number(&c, "line", at)?.ok_or(format!("`{at}line` is required: the line commented on"))?;
    let side = match c.get("side") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("LEFT") => Some(DiffSide::Left),
        Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("RIGHT") => Some(DiffSide::Right),
        Some(_) => return Err(format!("`{at}side` must be LEFT (the base's lines) or RIGHT (the pull request's)")),
    };
    let start_line = match line_number(&c, "start_line", at)? {
        Some(start) if start > line => {
            return Err(format!("`{at}start_line` ({start}) must not be after `{at}line` ({line})"))
        }
        Some(start) if start == line => None,
        start => start,
    };
    let body = text(&c, "body", at)?.ok_or(format!("`{at}body` is required: the comment, in Markdown"))?;
    Ok(InlineComment { path: path.trim().to_string(), line, side, start_line, body })
}

/// A line number (1 or more; a string of digits is taken too), or none when missing or null.
fn line_number(c: &Map<String, Value>, name: &str, at: &str) -> Result<Option<u64>, String> {
    let number = match c.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        Some(_) => None,
    };
    match number {
        Some(n) if n >= 1 => Ok(Some(n)),
        _ => Err(format!("`{at}{name}` must be a line number (a whole number from 1)")),
    }
}

/// What the model is told about the control plane's answer, and whether the tool failed.
pub fn outcome(status: u16, body: &str) -> (String, bool) {
    if (200..300).contains(&status) {
        return (accepted("Submitted the review", body), false);
    }
    (failure(FAILED, status, body), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(args: Value) -> SubmitReview {
        match arguments(&args) {
            Ok(OriginPost::SubmitReview(review)) => review,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn arguments_become_the_protocols_review() {
        let r = review(json!({
            "summary": "One thing to fix.",
            "event": "REQUEST_CHANGES",
            "comments": [
                {"path": " src/lib.rs ", "line": 12, "body": "Off by one."},
                {"path": "src/lib.rs", "line": "30", "side": "left", "start_line": 28, "body": "Why remove this?"},
                {"path": "README.md", "line": 3, "side": null, "start_line": 3, "body": "Typo."}
            ]
        }));
        assert_eq!(r.event, ReviewAction::RequestChanges);
        let c = &r.comments;
        assert_eq!((c[0].path.as_str(), c[0].line, c[0].side, c[0].start_line), ("src/lib.rs", 12, None, None));
        assert_eq!((c[1].line, c[1].side, c[1].start_line), (30, Some(DiffSide::Left), Some(28)));
        assert_eq!((c[2].side, c[2].start_line), (None, None), "a range of one line is that line");
        let bare = arguments(&json!({"summary": "LGTM", "event": "approve", "comments": null})).unwrap();
        assert_eq!(
            serde_json::to_value(&bare).unwrap(),
            json!({"tool": "submit_review", "summary": "LGTM", "event": "APPROVE"})
        );
    }

    #[test]
    fn bad_arguments_say_what_is_wrong() {
        let ok = |c: Value| json!({"summary": "s", "event": "COMMENT", "comments": [c]});
        let cases = [
            (Value::Null, "`summary` is required"),
            (json!([]), "must be an object"),
            (json!({"summary": " ", "event": "COMMENT"}), "`summary` is required"),
            (json!({"summary": 3, "event": "COMMENT"}), "`summary` must be a string"),
            (json!({"summary": "s"}), "`event` must be one of COMMENT, REQUEST_CHANGES or APPROVE"),
            (json!({"summary": "s", "event": "MERGE"}), "`event` must be one of"),
            (json!({"summary": "s", "event": "COMMENT", "pull_number": 3}), "`pull_number` is not an argument"),
            (json!({"summary": "s", "event": "COMMENT", "comments": "x"}), "`comments` must be a list"),
            (ok(json!("nit")), "a comment (`comments[0]`) must be an object"),
            (ok(Value::Null), "`comments[0]` must be an object"),
            (ok(json!({"line": 1, "body": "b"})), "`comments[0].path` is required"),
            (ok(json!({"path": "a", "body": "b"})), "`comments[0].line` is required"),
            (ok(json!({"path": "a", "line": 0, "body": "b"})), "`comments[0].line` must be a line number"),
            (ok(json!({"path": "a", "line": -1, "body": "b"})), "`comments[0].line` must be a line number"),
            (ok(json!({"path": "a", "line": 1.5, "body": "b"})), "`comments[0].line` must be a line number"),
            (ok(json!({"path": "a", "line": 1})), "`comments[0].body` is required"),
            (ok(json!({"path": "a", "line": 1, "body": "b", "side": "BOTH"})), "`comments[0].side` must be LEFT"),
            (
                ok(json!({"path": "a", "line": 4, "body": "b", "start_line": 9})),
                "`comments[0].start_line` (9) must not",
            ),
            (
                ok(json!({"path": "a", "line": 1, "body": "b", "position": 4})),
                "`comments[0].position` is not an argument",
            ),
        ];
        for (args, why) in cases {
            let told = arguments(&args).unwrap_err();
            assert!(told.contains(why), "{args}: {told}");
        }
        let told = arguments(&json!({"summary": "s", "event": "COMMENT", "commit_id": "abc"})).unwrap_err();
        assert_eq!(told, "`commit_id` is not an argument: submit_review takes only `summary`, `event`, `comments`");
    }

    #[test]
    fn answers_say_where_the_review_is_or_why_not() {
        let url = "https://github.com/acme/app/pull/7#pullrequestreview-80";
        assert_eq!(outcome(201, &json!({"url": url}).to_string()), (format!("Submitted the review: {url}"), false));
        let note = "Moved 1 comment into the summary: src/a.rs:99 is not in the diff.";
        assert_eq!(
            outcome(201, &json!({"url": url, "note": note}).to_string()),
            (format!("Submitted the review: {url}\n{note}"), false)
        );
        let refused = r#"{"error":{"code":"conflict","message":"this session does not answer on a pull request"}}"#;
        assert_eq!(
            outcome(409, refused),
            ("Could not submit the review: this session does not answer on a pull request (conflict)".into(), true)
        );
        let approve = r#"{"error":{"code":"bad_request","message":"APPROVE is not allowed on this pull request"}}"#;
        assert_eq!(
            outcome(400, approve),
            ("Could not submit the review: APPROVE is not allowed on this pull request (bad_request)".into(), true)
        );
        assert_eq!(
            outcome(502, "<html>bad gateway</html>"),
            ("Could not submit the review: the control plane answered 502: <html>bad gateway</html>".into(), true)
        );
    }

    #[test]
    fn the_definition_requires_what_the_arguments_do() {
        let d = definition();
        assert_eq!(d["name"], "submit_review");
        assert_eq!(d["inputSchema"]["required"], json!(["summary", "event"]));
        assert_eq!(d["inputSchema"]["properties"]["event"]["enum"], json!(["COMMENT", "REQUEST_CHANGES", "APPROVE"]));
        let item = &d["inputSchema"]["properties"]["comments"]["items"];
        assert_eq!(item["required"], json!(["path", "line", "body"]));
        assert_eq!(item["properties"]["side"]["enum"], json!(["LEFT", "RIGHT"]));
        let mut properties: Vec<&str> = item["properties"].as_object().unwrap().keys().map(String::as_str).collect();
        properties.sort_unstable();
        let mut takes = COMMENT_TAKES.to_vec();
        takes.sort_unstable();
        assert_eq!(properties, takes);
        let description = d["description"].as_str().unwrap();
        assert!(description.contains("moved into the summary") && description.contains("APPROVE is refused"));
    }
}
