//! The tools that post to the session's origin: [`slack_notify`], [`submit_review`] and
//! [`reply_comment`]. Each turns its arguments into an `oi_protocol::origin::OriginPost`; the
//! call posts it to the supervisor's egress (`POST {OI_EGRESS_URL}/tools/origin`), which adds
//! the sandbox token and forwards it to the session's `/sandbox/origin` route. The control
//! plane decides whether it is taken and says why not; the post's variant (its tool) picks how
//! long the call may take and how the answer is worded.

use std::time::Duration;

use oi_protocol::origin::{OriginPost, OriginPostAccepted};
use serde_json::{Map, Value};

use super::{reply_comment, slack_notify, submit_review};
use crate::egress::Egress;

/// How one tool's post is made and told: how long the call may take, how a failure starts,
/// and the wording of the control plane's answer (`status`, `body`; whether the tool failed).
struct Wording {
    timeout: Duration,
    failed: &'static str,
    outcome: fn(u16, &str) -> (String, bool),
}

fn wording(post: &OriginPost) -> Wording {
    match post {
        OriginPost::SlackNotify { .. } => Wording {
            timeout: slack_notify::CALL_TIMEOUT,
            failed: slack_notify::FAILED,
            outcome: slack_notify::outcome,
        },
        OriginPost::SubmitReview(_) => Wording {
            timeout: submit_review::CALL_TIMEOUT,
            failed: submit_review::FAILED,
            outcome: submit_review::outcome,
        },
        OriginPost::ReplyComment(_) => Wording {
            timeout: reply_comment::CALL_TIMEOUT,
            failed: reply_comment::FAILED,
            outcome: reply_comment::outcome,
        },
    }
}

/// What the model is told about the control plane's answer to `post`, and whether the tool
/// failed.
pub fn outcome(post: &OriginPost, status: u16, body: &str) -> (String, bool) {
    (wording(post).outcome)(status, body)
}

/// Posts `post` through the egress at `egress_url` and says how it went.
pub async fn call(client: &reqwest::Client, egress_url: &str, post: &OriginPost) -> (String, bool) {
    let wording = wording(post);
    match post_origin(client, egress_url, post, wording.timeout, wording.failed).await {
        Ok((status, body)) => (wording.outcome)(status, &body),
        Err(message) => (message, true),
    }
}

/// Posts `post` to the egress's origin route within `timeout`: the answer's status and body,
/// or, when there is none, what the model is told (starting with `failed`).
pub async fn post_origin(
    client: &reqwest::Client,
    egress_url: &str,
    post: &OriginPost,
    timeout: Duration,
    failed: &str,
) -> Result<(u16, String), String> {
    let sent = client.post(Egress::origin_url(egress_url)).json(post).timeout(timeout).send().await;
    let res = sent.map_err(|e| format!("{failed}: the sandbox's egress did not answer: {e}"))?;
    let status = res.status().as_u16();
    let body = res.text().await.map_err(|e| format!("{failed}: its answer ({status}) broke off: {e}"))?;
    Ok((status, body))
}

/// A taken post's wording: `done` (`"Replied"`), then `: <url>` when the control plane says
/// where it went, and its note on a line of its own.
pub fn accepted(done: &str, body: &str) -> String {
    let accepted = serde_json::from_str::<OriginPostAccepted>(body).ok();
    let field = |pick: fn(&OriginPostAccepted) -> &Option<String>| {
        accepted.as_ref().and_then(|a| pick(a).as_deref()).map(str::trim).filter(|s| !s.is_empty())
    };
    let mut text = match field(|a| &a.url) {
        Some(url) => format!("{done}: {url}"),
        None => format!("{done}."),
    };
    if let Some(note) = field(|a| &a.note) {
        text.push('\n');
        text.push_str(note);
    }
    text
}

/// The arguments as an object (none is an empty one) that has only the fields `takes`; `at` is
/// where it is in the call's arguments (`""`, or `"comments[0]."`), `what` names it.
pub fn fields(args: &Value, takes: &[&str], at: &str, what: &str) -> Result<Map<String, Value>, String> {
    let listed = || takes.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ");
    let object = match args {
        Value::Null => Map::new(),
        Value::Object(object) => object.clone(),
        _ => return Err(format!("{what} must be an object with {}", listed())),
    };
    match object.keys().find(|k| !takes.contains(&k.as_str())) {
        Some(other) => Err(format!("`{at}{other}` is not an argument: {what} takes only {}", listed())),
        None => Ok(object),
    }
}

/// A string field as given, or none when it is missing, null or blank.
pub fn text(object: &Map<String, Value>, name: &str, at: &str) -> Result<Option<String>, String> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("`{at}{name}` must be a string")),
    }
}

#[cfg(test)]
mod tests {
    use oi_protocol::review::{ReplyComment, ReviewAction, SubmitReview};

    use super::*;

    fn posts() -> [OriginPost; 3] {
        [
            OriginPost::SlackNotify { text: "hi".into() },
            OriginPost::SubmitReview(SubmitReview {
                summary: "ok".into(),
                event: ReviewAction::Comment,
                comments: Vec::new(),
            }),
            OriginPost::ReplyComment(ReplyComment { body: "done".into() }),
        ]
    }

    #[test]
    fn each_post_is_worded_by_its_tool() {
        let taken = r#"{"url":"https://github.com/acme/app/pull/7#x"}"#;
        let told: Vec<String> = posts().iter().map(|p| outcome(p, 201, taken).0).collect();
        assert_eq!(
            told,
            [
                "Posted in the Slack thread.",
                "Submitted the review: https://github.com/acme/app/pull/7#x",
                "Replied: https://github.com/acme/app/pull/7#x",
            ]
        );
        let refused = r#"{"error":{"code":"conflict","message":"not on a pull request"}}"#;
        let told: Vec<(String, bool)> = posts().iter().map(|p| outcome(p, 409, refused)).collect();
        assert!(told.iter().all(|(_, failed)| *failed));
        assert!(told[1].0.starts_with(submit_review::FAILED) && told[2].0.starts_with(reply_comment::FAILED));
        // The control plane talks to GitHub while the agent waits: longer than a Slack post.
        assert!(wording(&posts()[1]).timeout > wording(&posts()[0]).timeout);
    }

    #[test]
    fn accepted_says_where_and_the_note() {
        assert_eq!(accepted("Replied", r#"{"url":"u"}"#), "Replied: u");
        assert_eq!(accepted("Replied", r#"{"url":"u","note":" moved 1 comment \n"}"#), "Replied: u\nmoved 1 comment");
        assert_eq!(accepted("Replied", r#"{"notice_id":"n"}"#), "Replied.");
        assert_eq!(accepted("Replied", "not json"), "Replied.");
        assert_eq!(accepted("Replied", r#"{"url":"","note":"n"}"#), "Replied.\nn");
    }

    /// A call whose egress is not there fails as a tool error naming the tool's action.
    #[tokio::test]
    async fn an_absent_egress_is_a_tool_error() {
        let unused = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
        let client = reqwest::Client::new();
        let (text, failed) = call(&client, &format!("http://{unused}"), &posts()[2]).await;
        assert!(failed);
        assert!(text.starts_with("Could not reply: the sandbox's egress did not answer"), "{text}");
    }

    /// The post goes to `/tools/origin` as the protocol's JSON, and the answer is worded.
    #[tokio::test]
    async fn posts_the_protocols_json_to_the_origin_route() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut seen = Vec::new();
            let mut buf = [0u8; 4096];
            // The request is small: read until its JSON body has arrived.
            while !seen.ends_with(b"}") {
                let n = socket.read(&mut buf).await.unwrap();
                assert!(n > 0, "the request ended early");
                seen.extend_from_slice(&buf[..n]);
            }
            let answer = r#"{"url":"https://github.com/acme/app/pull/7#pullrequestreview-1","note":"Moved 1 comment into the summary: src/a.rs:99 is not in the diff."}"#;
            let reply = format!(
                "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                answer.len()
            );
            socket.write_all(reply.as_bytes()).await.unwrap();
            String::from_utf8(seen).unwrap()
        });
        let client = reqwest::Client::new();
        let (text, failed) = call(&client, &url, &posts()[1]).await;
        let request = server.await.unwrap();
        assert!(request.starts_with("POST /tools/origin HTTP/1.1"), "{request}");
        assert!(request.ends_with(r#"{"tool":"submit_review","summary":"ok","event":"COMMENT"}"#), "{request}");
        assert!(!failed);
        assert_eq!(
            text,
            "Submitted the review: https://github.com/acme/app/pull/7#pullrequestreview-1\n\
             Moved 1 comment into the summary: src/a.rs:99 is not in the diff."
        );
    }
}
