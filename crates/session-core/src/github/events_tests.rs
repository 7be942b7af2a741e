use super::*;

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../tests/fixtures/github/webhooks/", $name, ".json"))
    };
}

fn parse(event: &str, body: &str) -> WebhookEvent {
    parse_event(event, body.as_bytes()).unwrap()
}

/// A recorded payload with some fields replaced (`pointer` => value).
fn edited(body: &str, edits: &[(&str, serde_json::Value)]) -> String {
    let mut value: serde_json::Value = serde_json::from_str(body).unwrap();
    for (pointer, new) in edits {
        *value.pointer_mut(pointer).unwrap_or_else(|| panic!("{pointer}")) = new.clone();
    }
    value.to_string()
}

#[test]
fn installation_created() {
    assert_eq!(
        parse("installation", fixture!("installation.created")),
        WebhookEvent::Installation(InstallationEvent {
            action: InstallationAction::Created,
            installation_id: 957387,
            account_login: Some("Codertocat".into()),
            repositories: vec!["Codertocat/Hello-World".into()],
        })
    );
}

#[test]
fn installation_deleted() {
    assert_eq!(
        parse("installation", fixture!("installation.deleted")),
        WebhookEvent::Installation(InstallationEvent {
            action: InstallationAction::Deleted,
            installation_id: 2,
            account_login: Some("octocat".into()),
            repositories: vec!["octocat/Hello-World".into()],
        })
    );
}

#[test]
fn installation_without_repositories_or_account() {
    let body = edited(
        fixture!("installation.created"),
        &[("/repositories", serde_json::Value::Null), ("/installation/account", serde_json::Value::Null)],
    );
    let WebhookEvent::Installation(event) = parse("installation", &body) else { panic!() };
    assert_eq!((event.account_login, event.repositories), (None, vec![]));

    // An enterprise account has a slug, not a login.
    let body =
        edited(fixture!("installation.created"), &[("/installation/account", serde_json::json!({"slug": "acme"}))]);
    let WebhookEvent::Installation(event) = parse("installation", &body) else { panic!() };
    assert_eq!(event.account_login.as_deref(), Some("acme"));
}

#[test]
fn other_installation_actions_are_ignored() {
    let body = edited(fixture!("installation.created"), &[("/action", "suspend".into())]);
    assert_eq!(parse("installation", &body), WebhookEvent::Ignored { event: "installation.suspend".into() });
}

#[test]
fn installation_repositories_added_and_removed() {
    assert_eq!(
        parse("installation_repositories", fixture!("installation_repositories.added")),
        WebhookEvent::InstallationRepositories(InstallationRepositoriesEvent {
            action: RepositoriesAction::Added,
            installation_id: 957387,
            added: vec!["Codertocat/Space".into()],
            removed: vec![],
        })
    );
    assert_eq!(
        parse("installation_repositories", fixture!("installation_repositories.removed")),
        WebhookEvent::InstallationRepositories(InstallationRepositoriesEvent {
            action: RepositoriesAction::Removed,
            installation_id: 2,
            added: vec![],
            removed: vec!["octocat/Hello-World".into()],
        })
    );
}

#[test]
fn pull_request_opened() {
    assert_eq!(
        parse("pull_request", fixture!("pull_request.opened")),
        WebhookEvent::PullRequest(PullRequestEvent {
            action: "opened".into(),
            number: 2,
            state: "open".into(),
            merged: false,
            head_ref: "changes".into(),
            head_sha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821".into(),
            base_ref: "master".into(),
            html_url: "https://github.com/Codertocat/Hello-World/pull/2".into(),
            repository: "Codertocat/Hello-World".into(),
            installation_id: Some(1),
        })
    );
}

#[test]
fn pull_request_synchronize_keeps_the_action() {
    let WebhookEvent::PullRequest(event) = parse("pull_request", fixture!("pull_request.synchronize")) else {
        panic!()
    };
    assert_eq!((event.action.as_str(), event.number, event.head_ref.as_str()), ("synchronize", 2, "changes"));
}

#[test]
fn a_merged_pull_request() {
    let body = edited(
        fixture!("pull_request.opened"),
        &[
            ("/action", "closed".into()),
            ("/pull_request/state", "closed".into()),
            ("/pull_request/merged", true.into()),
        ],
    );
    let WebhookEvent::PullRequest(event) = parse("pull_request", &body) else { panic!() };
    assert_eq!((event.action.as_str(), event.state.as_str(), event.merged), ("closed", "closed", true));

    // `merged` left out or null reads as not merged; so does a delivery without `installation`.
    let mut value: serde_json::Value = serde_json::from_str(fixture!("pull_request.opened")).unwrap();
    value["pull_request"].as_object_mut().unwrap().remove("merged");
    value.as_object_mut().unwrap().remove("installation");
    let WebhookEvent::PullRequest(event) = parse("pull_request", &value.to_string()) else { panic!() };
    assert_eq!((event.merged, event.installation_id), (false, None));
}

#[test]
fn check_suite_completed() {
    assert_eq!(
        parse("check_suite", fixture!("check_suite.completed")),
        WebhookEvent::CheckCompleted(CheckCompleted {
            kind: CheckKind::Suite,
            conclusion: Some("success".into()),
            head_branch: Some("changes".into()),
            head_sha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821".into(),
            repository: "Codertocat/Hello-World".into(),
            installation_id: None,
        })
    );
}

#[test]
fn check_run_completed_takes_the_branch_from_its_suite() {
    assert_eq!(
        parse("check_run", fixture!("check_run.completed")),
        WebhookEvent::CheckCompleted(CheckCompleted {
            kind: CheckKind::Run,
            conclusion: Some("success".into()),
            head_branch: Some("changes".into()),
            head_sha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821".into(),
            repository: "Codertocat/Hello-World".into(),
            installation_id: None,
        })
    );
}

#[test]
fn a_failed_check_on_a_fork_has_no_branch() {
    let body = edited(
        fixture!("check_suite.completed"),
        &[("/check_suite/conclusion", "failure".into()), ("/check_suite/head_branch", serde_json::Value::Null)],
    );
    let WebhookEvent::CheckCompleted(check) = parse("check_suite", &body) else { panic!() };
    assert_eq!((check.conclusion.as_deref(), check.head_branch), (Some("failure"), None));
}

#[test]
fn checks_not_completed_are_ignored() {
    let body = edited(fixture!("check_run.completed"), &[("/action", "created".into())]);
    assert_eq!(parse("check_run", &body), WebhookEvent::Ignored { event: "check_run.created".into() });
    let body = edited(fixture!("check_suite.completed"), &[("/action", "requested".into())]);
    assert_eq!(parse("check_suite", &body), WebhookEvent::Ignored { event: "check_suite.requested".into() });
}

#[test]
fn unknown_events_are_ignored_without_reading_the_body() {
    assert_eq!(
        parse("issue_comment", fixture!("issue_comment.created")),
        WebhookEvent::Ignored { event: "issue_comment".into() }
    );
    assert_eq!(parse("ping", "not even json"), WebhookEvent::Ignored { event: "ping".into() });
    assert_eq!(parse("", "{}"), WebhookEvent::Ignored { event: "".into() });
}

#[test]
fn a_listed_event_with_a_body_that_does_not_fit_is_an_error() {
    let error = parse_event("pull_request", b"not json").unwrap_err();
    assert!(error.starts_with("the `pull_request` webhook body is not what GitHub sends"), "{error}");

    // The payload of another event under this event's name.
    let error = parse_event("pull_request", fixture!("installation.created").as_bytes()).unwrap_err();
    assert!(error.contains("pull_request"), "{error}");
    let error = parse_event("pull_request", br#"{"number": 2}"#).unwrap_err();
    assert_eq!(error, "the `pull_request` webhook body has no action");
    let error = parse_event("installation", br#"{"action": "created"}"#).unwrap_err();
    assert!(error.contains("missing field `installation`"), "{error}");
    let error = parse_event("check_run", br#"{"action": "completed", "check_run": {}}"#).unwrap_err();
    assert!(error.contains("head_sha"), "{error}");
}
