use super::*;
use crate::test_support::{automation, schedule, sentry, webhook, T0};

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn placeholders() {
    let cases: &[(&str, Result<&[&str], TemplateError>)] = &[
        ("no variables", Ok(&[])),
        ("{{repo}}", Ok(&["repo"])),
        ("Fix {{ sentry.title }} in {{repo}}; {{sentry.title}} again", Ok(&["sentry.title", "repo"])),
        ("{{\trun.id\n}}", Ok(&["run.id"])),
        ("a } b { c }} d", Ok(&[])),
        ("{{a_1.b2}}", Ok(&["a_1.b2"])),
        ("é{{x", Err(TemplateError::Unclosed { at: 1 })),
        ("{{a}} {{b", Err(TemplateError::Unclosed { at: 6 })),
        ("ab{{ }}", Err(TemplateError::EmptyName { at: 2 })),
        ("{{Repo}}", Err(TemplateError::BadName("Repo".into()))),
        ("{{a b}}", Err(TemplateError::BadName("a b".into()))),
        ("{{a-b}}", Err(TemplateError::BadName("a-b".into()))),
        ("{{{x}}}", Err(TemplateError::BadName("{x".into()))),
    ];
    for (template, want) in cases {
        assert_eq!(variables(template), want.clone().map(names), "{template}");
    }
}

#[test]
fn checks() {
    let known = names(&["repo", "sentry.title"]);
    let long = "x".repeat(MAX_TEMPLATE_CHARS + 1);
    let cases: Vec<(&str, Result<(), TemplateError>)> = vec![
        ("Fix {{sentry.title}} in {{ repo }}", Ok(())),
        ("plain text", Ok(())),
        ("{{branch}}", Err(TemplateError::Unknown("branch".into()))),
        ("", Err(TemplateError::Empty)),
        (" \n\t", Err(TemplateError::Empty)),
        (&long, Err(TemplateError::TooLong { chars: MAX_TEMPLATE_CHARS + 1, max: MAX_TEMPLATE_CHARS })),
        ("{{repo", Err(TemplateError::Unclosed { at: 0 })),
    ];
    for (template, want) in cases {
        assert_eq!(check(template, &known), want, "{template:.40}");
    }
    // The limit counts characters: 16,000 three-byte characters pass.
    assert_eq!(check(&"日".repeat(MAX_TEMPLATE_CHARS), &known), Ok(()));
}

#[test]
fn messages_name_the_variable_or_position() {
    let cases = [
        (TemplateError::Unclosed { at: 7 }, "at character 7 has no closing `}}`"),
        (TemplateError::EmptyName { at: 3 }, "`{{ }}` at character 3"),
        (TemplateError::BadName("A".into()), "`{{A}}` is not a variable name"),
        (TemplateError::Unknown("pr.title".into()), "`{{pr.title}}` is not a variable this trigger provides"),
        (TemplateError::TooLong { chars: 16_001, max: 16_000 }, "16001 characters; the limit is 16000"),
        (TemplateError::Empty, "the prompt is empty"),
    ];
    for (error, want) in cases {
        assert!(error.to_string().contains(want), "{error}");
    }
}

#[test]
fn rendering() {
    let values: BTreeMap<String, String> = [("repo", "acme/app"), ("sentry.title", "Boom {{repo}}")]
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    let cases: &[(&str, &str)] = &[
        ("Fix {{ sentry.title }} in {{repo}}", "Fix Boom {{repo}} in acme/app"),
        ("missing: [{{nope}}]", "missing: []"),
        ("bad name stays: {{Repo}}", "bad name stays: {{Repo}}"),
        ("unclosed stays: {{repo", "unclosed stays: {{repo"),
        ("é{{repo}}é", "éacme/appé"),
    ];
    for (template, want) in cases {
        assert_eq!(render(template, &values), *want, "{template}");
    }
    // Cut to the longest prompt, on a character boundary.
    let big: BTreeMap<String, String> = [("x".to_string(), "é".repeat(MAX_PROMPT_CHARS))].into();
    let out = render("ab{{x}}", &big);
    assert_eq!(out.chars().count(), MAX_PROMPT_CHARS);
    assert!(out.starts_with("abé") && out.ends_with('é'));
}

#[test]
fn what_each_trigger_provides() {
    let every = ["run.id", "run.trigger", "run.time", "automation.name", "repo", "branch"];
    let cases: Vec<(Trigger, Vec<&str>)> = vec![
        (schedule("0 9 * * *", "UTC"), every.to_vec()),
        (webhook(&[("title", "$.title"), ("author", "$.user.login")]), {
            let mut v = every.to_vec();
            v.extend(["author", "title", "payload"]);
            v
        }),
        (sentry(&[]), {
            let mut v = every.to_vec();
            v.extend(SENTRY_VARIABLES);
            v
        }),
    ];
    for (trigger, want) in cases {
        assert_eq!(known_variables(&trigger), names(&want), "{trigger:?}");
    }
}

#[test]
fn run_values_fill_every_run_variable() {
    let a = automation(schedule("0 9 * * *", "UTC"));
    let values = run_values(&a, "run_01", TriggerKind::Schedule, T0 + 9 * 3_600_000 + 1);
    assert_eq!(values.keys().count(), RUN_VARIABLES.len());
    assert_eq!(values["run.time"], "2026-01-01T09:00:00Z");
    assert_eq!(values["run.trigger"], "schedule");
    assert_eq!(values["run.id"], "run_01");
    assert_eq!(values["automation.name"], "Nightly triage");
    assert_eq!(render(&a.prompt, &values), "Look at acme/app on main.");
}
