//! The automation form's tests: bodies from fields, for a new automation and an edit.

use super::*;
use crate::model::testing::automation;

fn schedule(cron: &str, timezone: &str) -> Trigger {
    Trigger::Schedule { cron: cron.into(), timezone: timezone.into() }
}

fn filled() -> AutomationForm {
    AutomationForm {
        name: " Nightly deps ".into(),
        repo: " /srv/git/app.git ".into(),
        prompt: "Update the dependencies".into(),
        cron: " 0 9 * * * ".into(),
        ..AutomationForm::default()
    }
}

#[test]
fn a_new_schedule_leaves_the_defaults_to_the_server() {
    let create = filled().create().unwrap();
    assert_eq!(create.name, "Nightly deps");
    assert_eq!(create.repo, "/srv/git/app.git");
    assert_eq!(create.branch.as_deref(), Some("main"));
    assert_eq!((&create.model, create.enabled, &create.callback_url), (&None, None, &None));
    assert_eq!(create.trigger, schedule("0 9 * * *", "UTC"));
    let json = serde_json::to_value(&create).unwrap();
    assert_eq!(json["trigger"], serde_json::json!({"type": "schedule", "cron": "0 9 * * *", "timezone": "UTC"}));
    assert!(json.get("enabled").is_none() && json.get("model").is_none());

    let paused = AutomationForm {
        enabled: false,
        branch: " ".into(),
        timezone: "".into(),
        model: "scripted/test-model".into(),
        callback_url: " https://hooks.example/oi ".into(),
        ..filled()
    };
    let create = paused.create().unwrap();
    assert_eq!(create.enabled, Some(false));
    assert_eq!(create.branch, None);
    assert_eq!(create.model.as_deref(), Some("scripted/test-model"));
    assert_eq!(create.callback_url.as_deref(), Some("https://hooks.example/oi"));
    assert_eq!(create.trigger, schedule("0 9 * * *", "UTC"), "an empty time zone is UTC");
}

#[test]
fn required_fields_are_named() {
    let cases = [
        (AutomationForm { name: " ".into(), ..filled() }, "name: "),
        (AutomationForm { repo: "".into(), ..filled() }, "repo: "),
        (AutomationForm { prompt: "\n".into(), ..filled() }, "prompt: "),
        (AutomationForm { cron: " ".into(), ..filled() }, "trigger.cron: "),
        (
            AutomationForm {
                trigger: TriggerChoice::Webhook,
                key_choice: KeyChoice::Header,
                key: " ".into(),
                ..filled()
            },
            "trigger.idempotency_key: ",
        ),
    ];
    for (form, starts) in cases {
        let e = form.create().unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert!(e.message.starts_with(starts), "{starts}: {}", e.message);
    }
}

#[test]
fn variables_are_lines_of_name_and_jsonpath() {
    let text = "# from the body\nrepo = $.repository.full_name\n\n  title=$.pull_request.title  \nq=$[?(@.a=='b')]";
    let parsed = parse_variables(text).unwrap();
    assert_eq!(
        parsed.into_iter().collect::<Vec<_>>(),
        [
            ("q".to_string(), "$[?(@.a=='b')]".to_string()),
            ("repo".into(), "$.repository.full_name".into()),
            ("title".into(), "$.pull_request.title".into()),
        ]
    );
    assert!(parse_variables("").unwrap().is_empty());
    for (text, says) in [
        ("repo $.x", "line 1 is not name=JSONPath"),
        ("a=$.a\n=$.b", "line 2 needs both"),
        ("a=", "line 1 needs both"),
        ("a=$.a\na=$.b", "a is named twice"),
    ] {
        let message = parse_variables(text).unwrap_err().message;
        assert!(message.starts_with("trigger.variables: ") && message.contains(says), "{text:?}: {message}");
    }
    let map = BTreeMap::from([("b".to_string(), "$.b".to_string()), ("a".to_string(), "$.a".to_string())]);
    assert_eq!(variables_text(&map), "a=$.a\nb=$.b");
    assert_eq!(parse_variables(&variables_text(&map)).unwrap(), map);
}

#[test]
fn webhook_and_sentry_triggers_from_their_fields() {
    let hook = AutomationForm {
        trigger: TriggerChoice::Webhook,
        filter: " $[?(@.action == 'opened')] ".into(),
        variables: "title=$.title".into(),
        key_choice: KeyChoice::JsonPath,
        key: "$.id".into(),
        ..filled()
    };
    assert_eq!(
        hook.trigger().unwrap(),
        Trigger::Webhook {
            filter: Some("$[?(@.action == 'opened')]".into()),
            variables: BTreeMap::from([("title".into(), "$.title".into())]),
            idempotency_key: Some(IdempotencyKey::JsonPath("$.id".into())),
        }
    );
    let header = AutomationForm { key_choice: KeyChoice::Header, key: "X-Delivery".into(), filter: "".into(), ..hook };
    assert!(matches!(
        header.trigger().unwrap(),
        Trigger::Webhook { filter: None, idempotency_key: Some(IdempotencyKey::Header(h)), .. } if h == "X-Delivery"
    ));
    let none = AutomationForm { key_choice: KeyChoice::None, key: "ignored".into(), ..header };
    assert!(matches!(none.trigger().unwrap(), Trigger::Webhook { idempotency_key: None, .. }));

    let sentry = AutomationForm {
        trigger: TriggerChoice::Sentry,
        projects: "proj-a, proj-b\nproj-a  proj-c,".into(),
        ..filled()
    };
    assert_eq!(
        sentry.trigger().unwrap(),
        Trigger::Sentry { projects: vec!["proj-a".into(), "proj-b".into(), "proj-c".into()] }
    );
    assert_eq!(parse_projects(" , "), Vec::<String>::new());
    assert_eq!(TriggerChoice::from_value("sentry"), TriggerChoice::Sentry);
    assert_eq!(TriggerChoice::from_value("other"), TriggerChoice::Schedule);
    assert_eq!(KeyChoice::from_value("header"), KeyChoice::Header);
}

#[test]
fn an_edit_sends_only_what_changed() {
    let mut original = automation(schedule("0 9 * * *", "UTC"));
    original.callback_url = Some("https://hooks.example/a".into());
    let form = AutomationForm::from_automation(&original);
    assert_eq!((form.cron.as_str(), form.timezone.as_str()), ("0 9 * * *", "UTC"));
    let update = form.update(&original).unwrap();
    assert!(is_no_change(&update), "{update:?}");
    assert_eq!(serde_json::to_string(&update).unwrap(), "{}");

    let edited = AutomationForm {
        name: "Nightly deps ".into(),
        prompt: "Update every dependency".into(),
        timezone: "Europe/Paris".into(),
        branch: "".into(),
        model: "".into(),
        callback_url: " ".into(),
        ..form.clone()
    };
    let update = edited.update(&original).unwrap();
    assert_eq!(
        update,
        UpdateAutomation {
            prompt: Some("Update every dependency".into()),
            trigger: Some(schedule("0 9 * * *", "Europe/Paris")),
            callback_url: Some(String::new()),
            ..UpdateAutomation::default()
        },
        "the name is the same once trimmed; an empty branch and model keep theirs; the callback is removed"
    );
    let moved = AutomationForm {
        repo: "acme/app".into(),
        branch: "dev".into(),
        callback_url: "https://hooks.example/b".into(),
        ..form
    };
    let update = moved.update(&original).unwrap();
    assert_eq!(
        (update.repo.as_deref(), update.branch.as_deref(), update.callback_url.as_deref()),
        (Some("acme/app"), Some("dev"), Some("https://hooks.example/b"))
    );
    assert_eq!((update.name, update.trigger, update.model), (None, None, None));
}

#[test]
fn an_edit_round_trips_every_trigger() {
    for trigger in [
        schedule("*/30 * * * *", "Asia/Tokyo"),
        Trigger::Webhook {
            filter: Some("$[?(@.x)]".into()),
            variables: BTreeMap::from([("a".into(), "$.a".into()), ("b".into(), "$.b".into())]),
            idempotency_key: Some(IdempotencyKey::Header("X-Id".into())),
        },
        Trigger::Webhook { filter: None, variables: BTreeMap::new(), idempotency_key: None },
        Trigger::Sentry { projects: vec!["proj-a".into(), "proj-b".into()] },
        Trigger::Sentry { projects: vec![] },
    ] {
        let original = automation(trigger.clone());
        let form = AutomationForm::from_automation(&original);
        assert_eq!(form.trigger().unwrap(), trigger);
        assert!(is_no_change(&form.update(&original).unwrap()), "{trigger:?}");
    }
    // Switching the kind sends the whole new trigger.
    let original = automation(schedule("0 9 * * *", "UTC"));
    let form = AutomationForm {
        trigger: TriggerChoice::Sentry,
        projects: "web".into(),
        ..AutomationForm::from_automation(&original)
    };
    assert_eq!(form.update(&original).unwrap().trigger, Some(Trigger::Sentry { projects: vec!["web".into()] }));
}

#[test]
fn server_messages_name_a_field() {
    assert_eq!(field_of("trigger.cron: expected 5 fields"), Some("trigger.cron"));
    assert_eq!(field_of("name: must be 1 to 100 characters"), Some("name"));
    assert_eq!(field_of("the automation is paused: resume it first"), None);
    assert_eq!(field_of("no field here"), None);
}
