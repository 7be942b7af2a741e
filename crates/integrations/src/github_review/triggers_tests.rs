use oi_protocol::review::DiffSide;
use oi_session_core::github::review_events::{parse_review_event, Comment, PullRequestDetails};

use super::*;

const APP: &str = "open-inspect";

fn app() -> AppIdentity {
    AppIdentity::new(APP)
}

fn config() -> GithubReviewConfig {
    GithubReviewConfig {
        repos: vec!["acme/api".into()],
        auto_review: true,
        instructions: String::new(),
        allowed_users: vec!["trusted-contractor".into()],
    }
}

fn user(login: &str) -> GitHubUser {
    GitHubUser { login: login.into(), is_bot: login.ends_with("[bot]") }
}

fn pr() -> PullRequestDetails {
    PullRequestDetails {
        number: 7,
        title: "Add retries".into(),
        body: "Retries the upload.".into(),
        state: "open".into(),
        draft: false,
        author: user("ada"),
        head_ref: "retries".into(),
        head_sha: "abc".into(),
        head_on_fork: false,
        base_ref: "main".into(),
        html_url: "https://github.com/acme/api/pull/7".into(),
    }
}

fn comment(author: &str, body: &str) -> Comment {
    Comment { id: 99, body: body.into(), author: user(author), html_url: "https://github.com/acme/api/pull/7#c".into() }
}

fn location() -> ReviewCommentLocation {
    ReviewCommentLocation {
        path: "src/upload.rs".into(),
        line: Some(12),
        start_line: None,
        side: Some(DiffSide::Right),
        diff_hunk: "@@ -10,2 +10,3 @@".into(),
        in_reply_to_id: None,
    }
}

fn event(sender: &str, activity: ReviewActivity) -> ReviewEvent {
    ReviewEvent { repository: "acme/api".into(), installation_id: Some(5), sender: user(sender), activity }
}

fn opened(edit: impl Fn(&mut PullRequestDetails)) -> ReviewEvent {
    let mut pull_request = pr();
    edit(&mut pull_request);
    event("ada", ReviewActivity::Opened { pull_request })
}

fn requested(reviewer: Option<&str>) -> ReviewEvent {
    event("grace", ReviewActivity::ReviewRequested { pull_request: pr(), reviewer: reviewer.map(user) })
}

fn issue_comment(author: &str, body: &str, on_pull_request: bool, state: &str) -> ReviewEvent {
    let activity = ReviewActivity::IssueComment {
        issue_number: 7,
        on_pull_request,
        state: state.into(),
        comment: comment(author, body),
    };
    event(author, activity)
}

fn review_comment(author: &str, body: &str) -> ReviewEvent {
    let activity =
        ReviewActivity::ReviewComment { pull_request: pr(), comment: comment(author, body), location: location() };
    event(author, activity)
}

fn review_of(pr: u64, requested_by: &str, reason: ReviewReason) -> Decision {
    Decision::Start(Box::new(Trigger {
        repository: "acme/api".into(),
        installation_id: Some(5),
        pr,
        requested_by: requested_by.into(),
        kind: TriggerKind::Review { reason },
    }))
}

fn mention_of(
    requested_by: &str,
    kind: CommentKind,
    request: &str,
    location: Option<ReviewCommentLocation>,
) -> Decision {
    Decision::Start(Box::new(Trigger {
        repository: "acme/api".into(),
        installation_id: Some(5),
        pr: 7,
        requested_by: requested_by.into(),
        kind: TriggerKind::Mention { comment_id: 99, comment_kind: kind, request: request.into(), location },
    }))
}

#[test]
fn decisions() {
    use IgnoreReason::*;
    let ready = event("ada", ReviewActivity::ReadyForReview { pull_request: pr() });
    let cases: Vec<(&str, ReviewEvent, Decision)> = vec![
        ("opened", opened(|_| {}), review_of(7, "ada", ReviewReason::Opened)),
        ("ready for review", ready, review_of(7, "ada", ReviewReason::ReadyForReview)),
        ("opened as a draft", opened(|p| p.draft = true), Decision::Ignore(Draft)),
        ("opened by the App", opened(|p| p.author = user("open-inspect[bot]")), Decision::Ignore(OpenedByApp)),
        ("opened and already closed", opened(|p| p.state = "closed".into()), Decision::Ignore(Closed)),
        // Another bot's pull request is reviewed if its sender passes the gate.
        (
            "opened by another bot",
            opened(|p| p.author = user("dependabot[bot]")),
            review_of(7, "ada", ReviewReason::Opened),
        ),
        ("the App requested", requested(Some("open-inspect[bot]")), review_of(7, "grace", ReviewReason::Requested)),
        (
            "the App requested, any case",
            requested(Some("Open-Inspect[bot]")),
            review_of(7, "grace", ReviewReason::Requested),
        ),
        ("someone else requested", requested(Some("octocat")), Decision::Ignore(RequestedSomeoneElse)),
        ("a user named like the slug", requested(Some("open-inspect")), Decision::Ignore(RequestedSomeoneElse)),
        ("a team requested", requested(None), Decision::Ignore(RequestedTeam)),
        (
            "a mention on the conversation",
            issue_comment("grace", "@open-inspect why retry 3 times?", true, "open"),
            mention_of("grace", CommentKind::Issue, "why retry 3 times?", None),
        ),
        (
            "a bare mention",
            issue_comment("grace", "@open-inspect", true, "open"),
            mention_of("grace", CommentKind::Issue, "", None),
        ),
        (
            "a mention on a line",
            review_comment("grace", "@open-inspect use a constant here"),
            mention_of("grace", CommentKind::Review, "use a constant here", Some(location())),
        ),
        ("no mention", issue_comment("grace", "LGTM", true, "open"), Decision::Ignore(NoMention)),
        ("no mention on a line", review_comment("grace", "nit: spacing"), Decision::Ignore(NoMention)),
        (
            "another account's name",
            issue_comment("grace", "@open-inspect-x please review", true, "open"),
            Decision::Ignore(NoMention),
        ),
        (
            "a quoted mention",
            issue_comment("grace", "> @open-inspect fix\n\nagreed", true, "open"),
            Decision::Ignore(NoMention),
        ),
        ("a mention in code", review_comment("grace", "we call `@open-inspect` here"), Decision::Ignore(NoMention)),
        (
            "on an issue",
            issue_comment("grace", "@open-inspect fix this", false, "open"),
            Decision::Ignore(NotAPullRequest),
        ),
        (
            "on a closed pull request",
            issue_comment("grace", "@open-inspect fix", true, "closed"),
            Decision::Ignore(Closed),
        ),
        (
            "the App's own comment",
            issue_comment("open-inspect[bot]", "@open-inspect done", true, "open"),
            Decision::Ignore(OwnComment),
        ),
        (
            "the App's own line comment",
            review_comment("open-inspect[bot]", "@open-inspect x"),
            Decision::Ignore(OwnComment),
        ),
        (
            "another bot's comment",
            issue_comment("dependabot[bot]", "@open-inspect rebase", true, "open"),
            Decision::Ignore(BotComment),
        ),
        ("another bot's line comment", review_comment("ci[bot]", "@open-inspect x"), Decision::Ignore(BotComment)),
    ];
    for (name, event, want) in cases {
        assert_eq!(decide(&event, Some(&config()), &app()), want, "{name}");
    }
}

#[test]
fn settings_fail_closed() {
    use IgnoreReason::*;
    let every_kind = [
        opened(|_| {}),
        requested(Some("open-inspect[bot]")),
        issue_comment("grace", "@open-inspect hi", true, "open"),
        review_comment("grace", "@open-inspect hi"),
    ];
    let other_repo = GithubReviewConfig { repos: vec!["acme/web".into()], ..config() };
    for event in &every_kind {
        assert_eq!(decide(event, None, &app()), Decision::Ignore(IntegrationOff));
        assert_eq!(decide(event, Some(&GithubReviewConfig::default()), &app()), Decision::Ignore(RepoNotEnabled));
        assert_eq!(decide(event, Some(&other_repo), &app()), Decision::Ignore(RepoNotEnabled));
    }
    // Auto-review off: pull requests are reviewed only when asked.
    let asked_only = GithubReviewConfig { auto_review: false, ..config() };
    assert_eq!(decide(&opened(|_| {}), Some(&asked_only), &app()), Decision::Ignore(AutoReviewOff));
    let ready = event("ada", ReviewActivity::ReadyForReview { pull_request: pr() });
    assert_eq!(decide(&ready, Some(&asked_only), &app()), Decision::Ignore(AutoReviewOff));
    assert!(matches!(decide(&requested(Some("open-inspect[bot]")), Some(&asked_only), &app()), Decision::Start(_)));
    // The repository matches in any case.
    let mut shouting = opened(|_| {});
    shouting.repository = "ACME/API".into();
    assert!(matches!(decide(&shouting, Some(&config()), &app()), Decision::Start(_)));
    // Every reason reads as words.
    assert_eq!(NotAPullRequest.as_str(), "a comment on an issue, not a pull request");
}

#[test]
fn deliveries_as_github_sends_them() {
    macro_rules! fixture {
        ($name:literal) => {
            include_str!(concat!("../../../session-core/tests/fixtures/github/webhooks/", $name, ".json"))
        };
    }
    let hello = GithubReviewConfig { repos: vec!["Codertocat/Hello-World".into()], ..config() };
    let parse = |event: &str, body: &str| parse_review_event(event, body.as_bytes()).unwrap().unwrap();

    let opened = parse("pull_request", fixture!("pull_request.opened"));
    let Decision::Start(trigger) = decide(&opened, Some(&hello), &app()) else { panic!() };
    assert_eq!((trigger.pr, trigger.requested_by.as_str(), trigger.installation_id), (2, "Codertocat", Some(1)));

    // The recorded request asks octocat, not the App.
    let requested = parse("pull_request", fixture!("pull_request.review_requested"));
    assert_eq!(decide(&requested, Some(&hello), &app()), Decision::Ignore(IgnoreReason::RequestedSomeoneElse));

    let body = fixture!("pull_request_review_comment.created").replace("Maybe you should", "@open-inspect should we");
    let Decision::Start(trigger) = decide(&parse("pull_request_review_comment", &body), Some(&hello), &app()) else {
        panic!()
    };
    let TriggerKind::Mention { comment_kind, request, location, .. } = trigger.kind else { panic!() };
    assert_eq!((comment_kind, request.as_str()), (CommentKind::Review, "should we use more emoji on this line."));
    assert_eq!(location.map(|l| (l.path, l.line)), Some(("README.md".to_string(), Some(265))));

    // The recorded issue comment is on an issue.
    let body = fixture!("issue_comment.created").replace("You are totally right!", "@open-inspect");
    assert_eq!(
        decide(&parse("issue_comment", &body), Some(&hello), &app()),
        Decision::Ignore(IgnoreReason::NotAPullRequest)
    );
}

#[test]
fn who_may_ask() {
    let cases: &[(&str, Option<&str>, bool)] = &[
        ("grace", Some("admin"), true),
        ("grace", Some("maintain"), true),
        ("grace", Some("write"), true),
        ("grace", Some(" Write "), true),
        ("grace", Some("triage"), false),
        ("grace", Some("read"), false),
        ("grace", Some("none"), false),
        ("grace", Some("custom-role"), false),
        ("grace", None, false),
        ("grace", Some(""), false),
        // Allow-listed logins whatever GitHub says.
        ("trusted-contractor", None, true),
        ("Trusted-Contractor", Some("read"), true),
    ];
    for (login, permission, allowed) in cases {
        assert_eq!(gate(login, *permission, &config()).is_ok(), *allowed, "{login} {permission:?}");
    }
    let refusal = gate("eve", Some("read"), &config()).unwrap_err();
    assert_eq!(refusal, PermissionRefusal { login: "eve".into(), permission: Some("read".into()) });
    assert_eq!(
        refusal.to_string(),
        "@eve has read permission on this repository; asking the App needs write, maintain or admin"
    );
    assert!(gate("eve", None, &config()).unwrap_err().to_string().starts_with("@eve has no permission"));
}

#[test]
fn permissions_are_cached_briefly() {
    let t0 = 1_767_225_600_000;
    let cases: &[(i64, bool)] =
        &[(0, true), (60_000, true), (PERMISSION_CACHE_MS - 1, true), (PERMISSION_CACHE_MS, false), (-1, false)];
    for (elapsed, fresh) in cases {
        assert_eq!(permission_is_fresh(t0, t0 + elapsed), *fresh, "{elapsed}");
    }
    assert!(!permission_is_fresh(i64::MIN, i64::MAX));
}
