use serde_json::json;

use super::*;

fn fixture(name: &str) -> Value {
    let text = match name {
        "issue.created" => include_str!("../tests/fixtures/sentry/issue.created.json"),
        "event_alert.triggered" => include_str!("../tests/fixtures/sentry/event_alert.triggered.json"),
        _ => unreachable!(),
    };
    serde_json::from_str(text).unwrap()
}

fn recorded_issue() -> SentryIssue {
    SentryIssue {
        issue_id: "1170820242".into(),
        project: "front-end".into(),
        title: "ReferenceError: blooopy is not defined".into(),
        culprit: Some("?(runner)".into()),
        level: Some("error".into()),
        url: None,
        frames: vec![],
    }
}

fn recorded_event() -> SentryIssue {
    SentryIssue {
        issue_id: "1117540176".into(),
        // The event names its project by number; the slug comes from its API URL.
        project: "front-end".into(),
        title: "ReferenceError: heck is not defined".into(),
        culprit: Some("?(<anonymous>)".into()),
        level: Some("error".into()),
        url: Some(
            "https://sentry.io/organizations/test-org/issues/1117540176/events/e4874d664c3540c1a32eab185f12c5ab/"
                .into(),
        ),
        // No frame is in-app, so all of them, innermost (Sentry's last) first.
        frames: vec![
            "? (<anonymous>:3)".into(),
            "? (/js/prod/runner-4.1.7.min.js:1)".into(),
            "? (/js/prod/runner-4.1.7.min.js:1)".into(),
        ],
    }
}

/// The recorded payload with one change at a JSON pointer (None removes the field).
fn edited(name: &str, pointer: &str, value: Option<Value>) -> Value {
    let mut body = fixture(name);
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let parent = body.pointer_mut(parent).unwrap().as_object_mut().unwrap();
    match value {
        Some(v) => parent.insert(key.to_string(), v),
        None => parent.remove(key),
    };
    body
}

#[test]
fn deliveries() {
    let mut numeric_issue = recorded_issue();
    numeric_issue.issue_id = "42".into();
    let mut with_web_url = recorded_issue();
    with_web_url.url = Some("https://acme.sentry.io/issues/1170820242/".into());
    let mut slug_project = recorded_event();
    slug_project.project = "backend".into();
    /// Name, `Sentry-Hook-Resource`, body, and the delivery or a needle of the refusal.
    type Case<'a> = (&'a str, Option<&'a str>, Value, Result<SentryDelivery, &'a str>);
    let cases: Vec<Case> = vec![
        ("issue created", Some("issue"), fixture("issue.created"), Ok(SentryDelivery::NewIssue(recorded_issue()))),
        (
            "event alert triggered",
            Some("event_alert"),
            fixture("event_alert.triggered"),
            Ok(SentryDelivery::NewEvent(recorded_event())),
        ),
        (
            "a numeric issue id",
            Some("issue"),
            edited("issue.created", "/data/issue/id", Some(json!(42))),
            Ok(SentryDelivery::NewIssue(numeric_issue)),
        ),
        (
            "the issue's web URL",
            Some("issue"),
            edited("issue.created", "/data/issue/web_url", Some(json!("https://acme.sentry.io/issues/1170820242/"))),
            Ok(SentryDelivery::NewIssue(with_web_url)),
        ),
        (
            "an event naming its project by slug",
            Some("event_alert"),
            edited("event_alert.triggered", "/data/event/project", Some(json!({"id": 2, "slug": "backend"}))),
            Ok(SentryDelivery::NewEvent(slug_project)),
        ),
        (
            "an event without issue_id uses issue_url",
            Some("event_alert"),
            edited("event_alert.triggered", "/data/event/issue_id", None),
            Ok(SentryDelivery::NewEvent(recorded_event())),
        ),
        (
            "issue resolved",
            Some("issue"),
            edited("issue.created", "/action", Some(json!("resolved"))),
            Ok(SentryDelivery::Ignored { reason: "Sentry issue/resolved is not handled".into() }),
        ),
        (
            "installation",
            Some("installation"),
            edited("issue.created", "/data", Some(json!({"installation": {}}))),
            Ok(SentryDelivery::Ignored { reason: "Sentry installation/created is not handled".into() }),
        ),
        ("no resource header", None, fixture("issue.created"), Err("Sentry-Hook-Resource")),
        ("no action", Some("issue"), edited("issue.created", "/action", None), Err("`action`")),
        ("no data.issue", Some("issue"), edited("issue.created", "/data/issue", None), Err("`data.issue`")),
        ("no issue id", Some("issue"), edited("issue.created", "/data/issue/id", None), Err("`data.issue.id`")),
        (
            "null issue id",
            Some("issue"),
            edited("issue.created", "/data/issue/id", Some(Value::Null)),
            Err("`data.issue.id`"),
        ),
        ("no title", Some("issue"), edited("issue.created", "/data/issue/title", None), Err("`data.issue.title`")),
        (
            "no project",
            Some("issue"),
            edited("issue.created", "/data/issue/project", None),
            Err("`data.issue.project.slug`"),
        ),
        (
            "no data.event",
            Some("event_alert"),
            edited("event_alert.triggered", "/data/event", None),
            Err("`data.event`"),
        ),
        (
            "no event title",
            Some("event_alert"),
            edited("event_alert.triggered", "/data/event/title", Some(json!(""))),
            Err("`data.event.title`"),
        ),
    ];
    for (name, resource, body, want) in cases {
        let got = parse(resource, &body);
        match (&got, &want) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "{name}"),
            (Err(refusal), Err(needle)) => {
                assert_eq!(refusal.code, ErrorCode::InvalidRequest, "{name}");
                assert!(refusal.reason.contains(needle), "{name}: {}", refusal.reason);
            }
            _ => panic!("{name}: {got:?}"),
        }
    }
}

#[test]
fn frames_prefer_in_app_innermost_first() {
    let frame = |function: Option<&str>, file: &str, line: u64, in_app: bool| json!({"function": function, "filename": file, "lineno": line, "in_app": in_app});
    let many: Vec<Value> = (1..=8).map(|i| frame(Some(&format!("f{i}")), "app.py", i, true)).collect();
    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        (
            "in-app frames only, innermost first",
            json!({"exception": {"values": [{"stacktrace": {"frames": [
                frame(Some("main"), "main.py", 1, true),
                frame(Some("lib_call"), "site-packages/lib.py", 10, false),
                frame(Some("handler"), "app/handler.py", 42, true),
                frame(Some("inner_lib"), "site-packages/lib.py", 99, false),
            ]}}]}}),
            vec!["handler (app/handler.py:42)", "main (main.py:1)"],
        ),
        (
            "at most five",
            json!({"exception": {"values": [{"stacktrace": {"frames": many}}]}}),
            vec!["f8 (app.py:8)", "f7 (app.py:7)", "f6 (app.py:6)", "f5 (app.py:5)", "f4 (app.py:4)"],
        ),
        (
            "the last exception (the one raised) with frames",
            json!({"exception": {"values": [
                {"stacktrace": {"frames": [frame(Some("cause"), "a.py", 1, true)]}},
                {"stacktrace": {"frames": [frame(Some("raised"), "b.py", 2, true)]}},
                {"type": "NoTrace"},
            ]}}),
            vec!["raised (b.py:2)"],
        ),
        (
            "a bare stack trace, abs_path, no line",
            json!({"stacktrace": {"frames": [{"function": "run", "abs_path": "/srv/app.js"}]}}),
            vec!["run (/srv/app.js)"],
        ),
        ("none", json!({"message": "hello"}), vec![]),
    ];
    for (name, event, want) in cases {
        assert_eq!(frames(&event), want, "{name}");
    }
}

#[test]
fn variables_keys_and_projects() {
    let issue = recorded_event();
    let vars = variables(&issue);
    assert_eq!(vars.keys().map(String::as_str).collect::<Vec<_>>(), {
        let mut names = SENTRY_VARIABLES.to_vec();
        names.sort();
        names
    });
    assert_eq!(vars["sentry.issue_id"], "1117540176");
    assert_eq!(vars["sentry.project"], "front-end");
    assert_eq!(
        vars["sentry.frames"],
        "? (<anonymous>:3)\n? (/js/prod/runner-4.1.7.min.js:1)\n? (/js/prod/runner-4.1.7.min.js:1)"
    );
    assert_eq!(variables(&recorded_issue())["sentry.url"], "");
    assert_eq!(run_key(&issue), "sentry:1117540176");
    let cases: &[(&[&str], bool)] = &[
        (&[], true),
        (&["front-end"], true),
        (&["backend", "front-end"], true),
        (&["Front-End"], true),
        (&["backend"], false),
    ];
    for (projects, want) in cases {
        let projects: Vec<String> = projects.iter().map(|p| p.to_string()).collect();
        assert_eq!(takes(&projects, &issue), *want, "{projects:?}");
    }
}

#[test]
fn follow_up() {
    let prompt = follow_up_prompt(&recorded_event());
    for needle in [
        "Issue 1117540176 in front-end: ReferenceError: heck is not defined",
        "Culprit: ?(<anonymous>)",
        "  ? (<anonymous>:3)\n",
        "Link: https://sentry.io/organizations/test-org/issues/1117540176/",
    ] {
        assert!(prompt.contains(needle), "{needle:?} in {prompt}");
    }
    let bare =
        follow_up_prompt(&SentryIssue { culprit: None, level: None, url: None, frames: vec![], ..recorded_issue() });
    assert!(!bare.contains("Culprit") && !bare.contains("Top frames") && !bare.contains("Link"), "{bare}");
}
