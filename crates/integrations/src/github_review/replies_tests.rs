use oi_protocol::review::DiffSide;
use oi_session_core::github::review_events::ReviewCommentLocation;
use serde_json::json;

use super::super::triggers::ReviewReason;
use super::*;

const CONVERSATION: ReplyTarget = ReplyTarget::Conversation { pr: 7 };
const THREAD: ReplyTarget = ReplyTarget::Thread { pr: 7, comment_id: 99 };

fn trigger(kind: TriggerKind) -> Trigger {
    Trigger { repository: "acme/api".into(), installation_id: None, pr: 7, requested_by: "grace".into(), kind }
}

fn mention(comment_kind: CommentKind, in_reply_to_id: Option<u64>) -> TriggerKind {
    let location = (comment_kind == CommentKind::Review).then(|| ReviewCommentLocation {
        path: "src/lib.rs".into(),
        line: Some(3),
        start_line: None,
        side: Some(DiffSide::Right),
        diff_hunk: String::new(),
        in_reply_to_id,
    });
    TriggerKind::Mention { comment_id: 99, comment_kind, request: "why?".into(), location }
}

#[test]
fn answers_go_where_the_question_was() {
    let cases: &[(TriggerKind, ReplyTarget, &str)] = &[
        (mention(CommentKind::Issue, None), CONVERSATION, "/repos/acme/api/issues/7/comments"),
        (mention(CommentKind::Review, None), THREAD, "/repos/acme/api/pulls/7/comments/99/replies"),
        // A comment that is itself a reply: the answer goes to the thread's first comment.
        (
            mention(CommentKind::Review, Some(42)),
            ReplyTarget::Thread { pr: 7, comment_id: 42 },
            "/repos/acme/api/pulls/7/comments/42/replies",
        ),
        (TriggerKind::Review { reason: ReviewReason::Requested }, CONVERSATION, "/repos/acme/api/issues/7/comments"),
    ];
    for (kind, target, path) in cases {
        let got = ReplyTarget::of(&trigger(kind.clone()));
        assert_eq!(got, *target, "{kind:?}");
        assert_eq!(got.path("acme/api"), *path);
    }
}

#[test]
fn reply_bodies() {
    let reply = |body: &str| ReplyComment { body: body.into() };
    assert_eq!(
        serde_json::to_value(reply_body(&reply(" It retries 3 times. "), CONVERSATION, "grace").unwrap()).unwrap(),
        json!({"body": "@grace It retries 3 times."})
    );
    assert_eq!(reply_body(&reply("It retries."), THREAD, "grace").unwrap().body, "It retries.");
    assert_eq!(reply_body(&reply("x"), CONVERSATION, " ").unwrap().body, "x", "nobody to mention");
    assert_eq!(reply_body(&reply("  \n"), THREAD, "grace").unwrap_err(), "`body` is empty");
    let long = reply_body(&reply(&"y".repeat(MAX_REPLY_CHARS + 1)), THREAD, "grace").unwrap_err();
    assert_eq!(long, "`body` is longer than 20000 characters; shorten it");
    assert!(reply_body(&reply(&"y".repeat(MAX_REPLY_CHARS)), CONVERSATION, "grace").is_ok());
}

#[test]
fn completion_notices() {
    let url = "https://inspect.example.com/sessions/ses_1";
    let cases: Vec<(Completion, ReplyTarget, &str)> = vec![
        (
            Completion::Done { pushed: true },
            CONVERSATION,
            "@grace Done: I pushed the changes to this pull request's branch. See [the session](https://inspect.example.com/sessions/ses_1).",
        ),
        (Completion::Done { pushed: false }, THREAD, "Done. See [the session](https://inspect.example.com/sessions/ses_1)."),
        (
            Completion::Failed { reason: " the tests\nkept failing ".into() },
            THREAD,
            "I could not finish: the tests kept failing. See [the session](https://inspect.example.com/sessions/ses_1).",
        ),
        (
            Completion::Failed { reason: String::new() },
            THREAD,
            "I could not finish: it stopped without saying why. See [the session](https://inspect.example.com/sessions/ses_1).",
        ),
    ];
    for (completion, target, want) in cases {
        assert_eq!(completion_body(&completion, url, target, "grace").body, want, "{completion:?}");
    }
    let long = Completion::Failed { reason: "r".repeat(5 * MAX_FAILURE_CHARS) };
    let body = completion_body(&long, url, THREAD, "grace").body;
    assert!(body.contains(&"r".repeat(MAX_FAILURE_CHARS)) && !body.contains(&"r".repeat(MAX_FAILURE_CHARS + 1)));
}
