use oi_protocol::automations::IdempotencyKey;

use super::*;
use crate::test_support::{automation, schedule, sentry, webhook, T0};

fn with(trigger: Trigger, edit: impl FnOnce(&mut Automation)) -> Automation {
    let mut a = automation(trigger);
    edit(&mut a);
    a
}

fn hook(filter: Option<&str>, variables: &[(&str, &str)], key: Option<IdempotencyKey>) -> Trigger {
    let Trigger::Webhook { variables, .. } = webhook(variables) else { unreachable!() };
    Trigger::Webhook { filter: filter.map(str::to_string), variables, idempotency_key: key }
}

#[test]
fn valid_automations() {
    let nightly = schedule("0 3 * * *", "Europe/Paris");
    let cases: Vec<(&str, Automation, bool)> = vec![
        ("a schedule", automation(nightly.clone()), false),
        (
            "a webhook with everything",
            with(
                hook(
                    Some("$[?(@.action == 'opened')]"),
                    &[("title", "$.pull_request.title"), ("pr_number", "$.number")],
                    Some(IdempotencyKey::Header("X-GitHub-Delivery".into())),
                ),
                |a| {
                    a.prompt = "Review {{title}} (#{{pr_number}}): {{payload}} {{run.time}}".into();
                    a.callback_url = Some("https://hooks.example.com/oi".into());
                },
            ),
            false,
        ),
        (
            "a webhook keyed by JSONPath",
            automation(hook(None, &[], Some(IdempotencyKey::JsonPath("$.delivery.id".into())))),
            false,
        ),
        (
            "a Sentry trigger",
            with(sentry(&["front-end", "api_2"]), |a| a.prompt = "Fix {{sentry.title}}\n{{sentry.frames}}".into()),
            false,
        ),
        ("a local repository path", with(nightly.clone(), |a| a.repo = "/srv/git/app.git".into()), false),
        (
            "local mode: http to this machine",
            with(nightly.clone(), |a| {
                a.repo = "http://127.0.0.1:4000/app.git".into();
                a.callback_url = Some("http://localhost:9000/n".into());
            }),
            true,
        ),
        ("a 100-character name", with(nightly, |a| a.name = "n".repeat(MAX_NAME_CHARS)), false),
    ];
    for (name, a, local) in cases {
        assert_eq!(validate(&a, local), Ok(()), "{name}");
    }
}

#[test]
fn invalid_automations() {
    let nightly = || schedule("0 3 * * *", "UTC");
    let many: Vec<(String, String)> =
        (0..=MAX_WEBHOOK_VARIABLES).map(|i| (format!("v{i}"), "$.x".to_string())).collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let projects: Vec<String> = (0..=MAX_SENTRY_PROJECTS).map(|i| format!("p{i}")).collect();
    let projects: Vec<&str> = projects.iter().map(String::as_str).collect();
    let cases: Vec<(&str, Automation, &str, &str)> = vec![
        ("empty name", with(nightly(), |a| a.name = "  ".into()), "name", "1 to 100"),
        ("long name", with(nightly(), |a| a.name = "n".repeat(101)), "name", "1 to 100"),
        ("name with a newline", with(nightly(), |a| a.name = "a\nb".into()), "name", "control"),
        ("empty repo", with(nightly(), |a| a.repo = "".into()), "repo", "empty"),
        ("private remote", with(nightly(), |a| a.repo = "https://10.0.0.5/app.git".into()), "repo", "private network"),
        ("http remote", with(nightly(), |a| a.repo = "http://127.0.0.1:4000/app.git".into()), "repo", "must be https"),
        ("bad branch", with(nightly(), |a| a.branch = "a..b".into()), "branch", "not a valid git branch"),
        ("bad model", with(nightly(), |a| a.model = "gpt".into()), "model", "provider/model"),
        ("too often", automation(schedule("*/10 * * * *", "UTC")), "trigger.cron", "every 10 minutes"),
        ("six fields", automation(schedule("0 0 3 * * *", "UTC")), "trigger.cron", "6 fields"),
        ("never", automation(schedule("0 0 30 2 *", "UTC")), "trigger.cron", "never runs"),
        ("bad zone", automation(schedule("0 3 * * *", "Europe/Pariss")), "trigger.timezone", "Europe/Pariss"),
        ("bad filter", automation(hook(Some("$[?(@.a == )]"), &[], None)), "trigger.filter", "not a valid JSONPath"),
        ("too many variables", automation(hook(None, &many, None)), "trigger.variables", "the limit is 20"),
        ("bad variable name", automation(hook(None, &[("Title", "$.t")], None)), "trigger.variables", "\"Title\""),
        ("dotted variable name", automation(hook(None, &[("pr.title", "$.t")], None)), "trigger.variables", "pr.title"),
        (
            "long variable name",
            automation(hook(None, &[(&"v".repeat(41), "$.t")], None)),
            "trigger.variables",
            "1 to 40",
        ),
        (
            "reserved variable",
            automation(hook(None, &[("repo", "$.repository")], None)),
            "trigger.variables",
            "every run",
        ),
        ("payload reserved", automation(hook(None, &[("payload", "$")], None)), "trigger.variables", "every run"),
        ("bad variable path", automation(hook(None, &[("t", "title")], None)), "trigger.variables", "`t`:"),
        (
            "bad idempotency path",
            automation(hook(None, &[], Some(IdempotencyKey::JsonPath("$[".into())))),
            "trigger.idempotency_key",
            "not a valid JSONPath",
        ),
        (
            "bad idempotency header",
            automation(hook(None, &[], Some(IdempotencyKey::Header("X Delivery:".into())))),
            "trigger.idempotency_key",
            "not an HTTP header name",
        ),
        ("too many projects", automation(sentry(&projects)), "trigger.projects", "the limit is 50"),
        ("bad project slug", automation(sentry(&["Front End"])), "trigger.projects", "\"Front End\""),
        ("unknown variable", with(nightly(), |a| a.prompt = "{{sentry.title}}".into()), "prompt", "sentry.title"),
        (
            "a webhook variable in a Sentry prompt",
            with(sentry(&[]), |a| a.prompt = "{{payload}}".into()),
            "prompt",
            "`{{payload}}` is not a variable",
        ),
        ("empty prompt", with(nightly(), |a| a.prompt = " ".into()), "prompt", "empty"),
        ("long prompt", with(nightly(), |a| a.prompt = "p".repeat(16_001)), "prompt", "the limit is 16000"),
        ("unclosed placeholder", with(nightly(), |a| a.prompt = "{{repo".into()), "prompt", "no closing"),
        (
            "http callback",
            with(nightly(), |a| a.callback_url = Some("http://h.example.com/".into())),
            "callback_url",
            "https",
        ),
        ("empty callback", with(nightly(), |a| a.callback_url = Some("".into())), "callback_url", "empty"),
        (
            "private callback",
            with(nightly(), |a| a.callback_url = Some("https://10.0.0.1/".into())),
            "callback_url",
            "private",
        ),
    ];
    for (name, a, field, needle) in cases {
        let e = validate(&a, false).expect_err(name);
        assert_eq!(e.field, field, "{name}: {e}");
        assert!(e.message.contains(needle), "{name}: {e}");
        assert_eq!(e.to_api_error().code, ErrorCode::InvalidRequest);
        assert!(e.to_string().starts_with(&format!("{field}: ")), "{e}");
    }
}

#[test]
fn updates() {
    let base = with(schedule("0 3 * * *", "UTC"), |a| {
        a.next_run_at = Some(T0 + 3 * 3_600_000);
        a.callback_url = Some("https://hooks.example.com/oi".into());
    });
    let later = T0 + 60_000;
    type Edit = Box<dyn Fn(&mut Automation)>;
    let cases: Vec<(&str, UpdateAutomation, Edit)> = vec![
        ("nothing", UpdateAutomation::default(), Box::new(|_| {})),
        (
            "fields replace, trimmed",
            UpdateAutomation {
                name: Some(" Renamed ".into()),
                repo: Some(" acme/other ".into()),
                branch: Some("develop".into()),
                model: Some("openai/gpt-5".into()),
                prompt: Some("New {{repo}}".into()),
                ..Default::default()
            },
            Box::new(|a| {
                a.name = "Renamed".into();
                a.repo = "acme/other".into();
                a.branch = "develop".into();
                a.model = "openai/gpt-5".into();
                a.prompt = "New {{repo}}".into();
            }),
        ),
        (
            "\"\" removes the callback URL",
            UpdateAutomation { callback_url: Some("".into()), ..Default::default() },
            Box::new(|a| a.callback_url = None),
        ),
        (
            "a new callback URL",
            UpdateAutomation { callback_url: Some(" https://n.example.com/x ".into()), ..Default::default() },
            Box::new(|a| a.callback_url = Some("https://n.example.com/x".into())),
        ),
        (
            "the same trigger keeps the stored slot",
            UpdateAutomation { trigger: Some(schedule("0 3 * * *", "UTC")), ..Default::default() },
            Box::new(|_| {}),
        ),
        (
            "a new schedule gets its next slot",
            UpdateAutomation { trigger: Some(schedule("30 * * * *", "UTC")), ..Default::default() },
            Box::new(|a| {
                a.trigger = schedule("30 * * * *", "UTC");
                a.next_run_at = Some(T0 + 30 * 60_000);
            }),
        ),
        (
            "a webhook gets its path and no slot",
            UpdateAutomation { trigger: Some(webhook(&[])), ..Default::default() },
            Box::new(|a| {
                a.trigger = webhook(&[]);
                a.next_run_at = None;
                a.webhook_path = Some("/api/automations/aut_0199a3c1b2d4e5f60718293a/webhook".into());
            }),
        ),
    ];
    for (name, update, edit) in cases {
        let mut want = base.clone();
        edit(&mut want);
        want.updated_at = later;
        assert_eq!(apply_update(&base, &update, later), want, "{name}");
    }
    // A paused automation's new schedule has no slot until it is enabled again.
    let paused = with(schedule("0 3 * * *", "UTC"), |a| a.enabled = false);
    let update = UpdateAutomation { trigger: Some(schedule("0 4 * * *", "UTC")), ..Default::default() };
    assert_eq!(apply_update(&paused, &update, later).next_run_at, None);
    // Back from a webhook to Sentry drops the path.
    let hooked = apply_update(&base, &UpdateAutomation { trigger: Some(webhook(&[])), ..Default::default() }, later);
    let sentried = apply_update(&hooked, &UpdateAutomation { trigger: Some(sentry(&[])), ..Default::default() }, later);
    assert_eq!((sentried.webhook_path, sentried.next_run_at), (None, None));
}

#[test]
fn helpers() {
    assert_eq!(webhook_path("aut_1"), "/api/automations/aut_1/webhook");
    let cases: Vec<(Trigger, bool, Option<i64>)> = vec![
        (schedule("0 * * * *", "UTC"), true, Some(T0 + 3_600_000)),
        (schedule("0 * * * *", "UTC"), false, None),
        (schedule("*/5 * * * *", "UTC"), true, None),
        (webhook(&[]), true, None),
    ];
    for (trigger, enabled, want) in cases {
        assert_eq!(next_run_at(&trigger, enabled, T0), want, "{trigger:?}");
    }
}
