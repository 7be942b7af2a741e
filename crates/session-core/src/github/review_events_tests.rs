use serde_json::{json, Value};

use super::*;

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../tests/fixtures/github/webhooks/", $name, ".json"))
    };
}

fn parse(event: &str, body: &str) -> Option<ReviewEvent> {
    parse_review_event(event, body.as_bytes()).unwrap()
}

/// A recorded payload with some fields set (`pointer` => value; the parent object must exist).
fn edited(body: &str, edits: &[(&str, Value)]) -> String {
    let mut value: Value = serde_json::from_str(body).unwrap();
    for (pointer, new) in edits {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let object = value.pointer_mut(parent).and_then(Value::as_object_mut).unwrap_or_else(|| panic!("{pointer}"));
        object.insert(key.to_string(), new.clone());
    }
    value.to_string()
}

fn codertocat() -> GitHubUser {
    GitHubUser { login: "Codertocat".into(), is_bot: false }
}

fn hello_world_pr() -> PullRequestDetails {
    PullRequestDetails {
        number: 2,
        title: "Update the README with new information.".into(),
        body: "This is a pretty simple change that we need to pull into master.".into(),
        state: "open".into(),
        draft: false,
        author: codertocat(),
        head_ref: "changes".into(),
        head_sha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821".into(),
        head_on_fork: false,
        base_ref: "master".into(),
        html_url: "https://github.com/Codertocat/Hello-World/pull/2".into(),
    }
}

#[test]
fn pull_request_opened() {
    assert_eq!(
        parse("pull_request", fixture!("pull_request.opened")),
        Some(ReviewEvent {
            repository: "Codertocat/Hello-World".into(),
            installation_id: Some(1),
            sender: codertocat(),
            activity: ReviewActivity::Opened { pull_request: hello_world_pr() },
        })
    );
}

#[test]
fn ready_for_review_is_the_same_pull_request() {
    let body = edited(fixture!("pull_request.opened"), &[("/action", "ready_for_review".into())]);
    let event = parse("pull_request", &body).unwrap();
    assert_eq!(event.activity, ReviewActivity::ReadyForReview { pull_request: hello_world_pr() });
}

#[test]
fn review_requested_names_the_reviewer_or_none_for_a_team() {
    let event = parse("pull_request", fixture!("pull_request.review_requested")).unwrap();
    let ReviewActivity::ReviewRequested { pull_request, reviewer } = event.activity else { panic!() };
    assert_eq!(reviewer, Some(GitHubUser { login: "octocat".into(), is_bot: false }));
    assert_eq!((pull_request.number, event.sender.login.as_str()), (2, "Codertocat"));

    let mut team: Value = serde_json::from_str(fixture!("pull_request.review_requested")).unwrap();
    team.as_object_mut().unwrap().remove("requested_reviewer");
    team["requested_team"] = json!({"name": "reviewers", "slug": "reviewers"});
    let event = parse("pull_request", &team.to_string()).unwrap();
    assert!(matches!(event.activity, ReviewActivity::ReviewRequested { reviewer: None, .. }));
}

#[test]
fn drafts_bots_forks_and_null_bodies() {
    let body = edited(
        fixture!("pull_request.opened"),
        &[
            ("/pull_request/draft", true.into()),
            ("/pull_request/body", Value::Null),
            ("/pull_request/user", json!({"login": "open-inspect[bot]", "type": "Bot"})),
            ("/pull_request/head/repo/full_name", "someone/Hello-World".into()),
            ("/sender/type", "Bot".into()),
        ],
    );
    let event = parse("pull_request", &body).unwrap();
    let ReviewActivity::Opened { pull_request } = event.activity else { panic!() };
    assert!(pull_request.draft && pull_request.head_on_fork && pull_request.author.is_bot);
    assert_eq!((pull_request.body.as_str(), pull_request.author.login.as_str()), ("", "open-inspect[bot]"));
    assert!(event.sender.is_bot);

    // A fork since deleted has no head repository: still a fork. Same repository, other case: not.
    let body = edited(fixture!("pull_request.opened"), &[("/pull_request/head/repo", Value::Null)]);
    let ReviewActivity::Opened { pull_request } = parse("pull_request", &body).unwrap().activity else { panic!() };
    assert!(pull_request.head_on_fork);
    let body = edited(
        fixture!("pull_request.opened"),
        &[("/pull_request/head/repo/full_name", "codertocat/hello-world".into())],
    );
    let ReviewActivity::Opened { pull_request } = parse("pull_request", &body).unwrap().activity else { panic!() };
    assert!(!pull_request.head_on_fork);
}

#[test]
fn issue_comment_on_an_issue_and_on_a_pull_request() {
    let event = parse("issue_comment", fixture!("issue_comment.created")).unwrap();
    assert_eq!(event.installation_id, Some(1));
    let comment = Comment {
        id: 492700400,
        body: "You are totally right! I'll get this fixed right away.".into(),
        author: codertocat(),
        html_url: "https://github.com/Codertocat/Hello-World/issues/1#issuecomment-492700400".into(),
    };
    assert_eq!(
        event.activity,
        ReviewActivity::IssueComment { issue_number: 1, on_pull_request: false, state: "open".into(), comment }
    );

    let on_pr = edited(
        fixture!("issue_comment.created"),
        &[("/issue/pull_request", json!({"url": "https://api.github.com/repos/Codertocat/Hello-World/pulls/1"}))],
    );
    let ReviewActivity::IssueComment { on_pull_request, .. } = parse("issue_comment", &on_pr).unwrap().activity else {
        panic!()
    };
    assert!(on_pull_request);
    let null_pr = edited(fixture!("issue_comment.created"), &[("/issue/pull_request", Value::Null)]);
    let ReviewActivity::IssueComment { on_pull_request, .. } = parse("issue_comment", &null_pr).unwrap().activity
    else {
        panic!()
    };
    assert!(!on_pull_request);
}

#[test]
fn review_comment_with_its_location() {
    let event = parse("pull_request_review_comment", fixture!("pull_request_review_comment.created")).unwrap();
    let ReviewActivity::ReviewComment { pull_request, comment, location } = event.activity else { panic!() };
    assert_eq!((pull_request.number, pull_request.head_ref.as_str()), (2, "changes"));
    // This delivery's pull request has no `draft`: not a draft.
    assert!(!pull_request.draft);
    assert_eq!((comment.id, comment.body.as_str()), (284312630, "Maybe you should use more emoji on this line."));
    assert_eq!(
        location,
        ReviewCommentLocation {
            path: "README.md".into(),
            line: Some(265),
            start_line: None,
            side: Some(DiffSide::Right),
            diff_hunk: "@@ -1 +1 @@\n-# Hello-World".into(),
            in_reply_to_id: None,
        }
    );

    let reply = edited(
        fixture!("pull_request_review_comment.created"),
        &[("/comment/in_reply_to_id", 284312600.into()), ("/comment/line", Value::Null)],
    );
    let ReviewActivity::ReviewComment { location, .. } = parse("pull_request_review_comment", &reply).unwrap().activity
    else {
        panic!()
    };
    assert_eq!((location.in_reply_to_id, location.line), (Some(284312600), None));
}

#[test]
fn other_events_and_actions_start_nothing() {
    let cases: Vec<(&str, String)> = vec![
        ("pull_request", fixture!("pull_request.synchronize").to_string()),
        ("pull_request", edited(fixture!("pull_request.opened"), &[("/action", "closed".into())])),
        ("issue_comment", edited(fixture!("issue_comment.created"), &[("/action", "edited".into())])),
        ("issue_comment", edited(fixture!("issue_comment.created"), &[("/action", "deleted".into())])),
        (
            "pull_request_review_comment",
            edited(fixture!("pull_request_review_comment.created"), &[("/action", "edited".into())]),
        ),
        ("check_run", fixture!("check_run.completed").to_string()),
        ("installation", fixture!("installation.created").to_string()),
        ("ping", "not even json".into()),
    ];
    for (event, body) in cases {
        assert_eq!(parse_review_event(event, body.as_bytes()), Ok(None), "{event}");
    }
}

#[test]
fn a_listed_event_with_a_body_that_does_not_fit_is_an_error() {
    let error = parse_review_event("issue_comment", b"not json").unwrap_err();
    assert!(error.starts_with("the `issue_comment` webhook body is not what GitHub sends"), "{error}");
    // Another event's payload under this event's name.
    let pull_request = edited(fixture!("pull_request.opened"), &[("/action", "created".into())]);
    let error = parse_review_event("issue_comment", pull_request.as_bytes()).unwrap_err();
    assert_eq!(error, "the `issue_comment.created` webhook body has no `issue`");
    let no_comment = json!({"action": "created", "repository": {"full_name": "a/b"}, "sender": {"login": "x"}, "issue": {"number": 1, "state": "open"}});
    assert_eq!(
        parse_review_event("issue_comment", no_comment.to_string().as_bytes()).unwrap_err(),
        "the `issue_comment.created` webhook body has no `comment`"
    );
    let mut no_path: Value = serde_json::from_str(fixture!("pull_request_review_comment.created")).unwrap();
    no_path["comment"].as_object_mut().unwrap().remove("path");
    assert_eq!(
        parse_review_event("pull_request_review_comment", no_path.to_string().as_bytes()).unwrap_err(),
        "the `pull_request_review_comment.created` webhook body has no `comment.path`"
    );
}

#[test]
fn a_pull_request_from_the_rest_api_reads_like_one_in_a_delivery() {
    let delivery: Value = serde_json::from_str(fixture!("pull_request.opened")).unwrap();
    let rest = delivery["pull_request"].to_string();
    assert_eq!(parse_pull_request(&rest).unwrap(), hello_world_pr());
    assert!(parse_pull_request(r#"{"number": 2}"#).unwrap_err().contains("not what GitHub sends"));
}
