use super::*;

fn body(content: &ActivityContent) -> &str {
    content.as_json()["body"].as_str().unwrap()
}

#[test]
fn shapes_per_the_contract() {
    assert_eq!(thought(" hm ").as_json(), &json!({"type": "thought", "body": "hm"}));
    assert_eq!(elicitation("which?").as_json(), &json!({"type": "elicitation", "body": "which?"}));
    assert_eq!(error("no").as_json(), &json!({"type": "error", "body": "no"}));
    assert_eq!(
        action("Edited", "src/app.ts", None).as_json(),
        &json!({"type": "action", "action": "Edited", "parameter": "src/app.ts"})
    );
    assert_eq!(
        action("Ran", "cargo test", Some("42 passed")).as_json(),
        &json!({"type": "action", "action": "Ran", "parameter": "cargo test", "result": "42 passed"})
    );
    assert_eq!(action("Ran", "ls", Some("  ")).as_json().get("result"), None);
    let ephemeral: Vec<bool> =
        [thought("a"), action("a", "b", None), elicitation("c"), response("d", None, "u"), error("e")]
            .iter()
            .map(ActivityContent::may_be_ephemeral)
            .collect();
    assert_eq!(ephemeral, [true, true, false, false, false]);
    assert_eq!(response("d", None, "u").kind(), "response");
}

#[test]
fn everything_fits() {
    let long = "é".repeat(3 * MAX_BODY_CHARS);
    for content in [thought(&long), elicitation(&long), error(&long), failure(&long, Some("https://oi.test/s/1"))] {
        let text = body(&content);
        assert_eq!(text.chars().count(), MAX_BODY_CHARS, "{}", content.kind());
    }
    let step = action(&long, &long, Some(&long));
    let field = |key: &str| step.as_json()[key].as_str().unwrap().chars().count();
    assert_eq!(
        (field("action"), field("parameter"), field("result")),
        (MAX_ACTION_CHARS, MAX_PARAMETER_CHARS, MAX_RESULT_CHARS)
    );
    assert!(step.as_json()["action"].as_str().unwrap().ends_with('…'));
}

#[test]
fn the_response_keeps_its_links_whole() {
    let session = "https://oi.test/sessions/ses_1";
    let pr = "https://github.com/acme/web/pull/7";
    let done = response("Fixed the **login** handler.", Some(pr), session);
    assert_eq!(
        body(&done),
        "Fixed the **login** handler.\n\n[Pull request](https://github.com/acme/web/pull/7)\n\n[Open the session in Open Inspect](https://oi.test/sessions/ses_1)"
    );
    let long = response(&"x".repeat(2 * MAX_BODY_CHARS), Some(pr), session);
    let text = body(&long);
    assert_eq!(text.chars().count(), MAX_BODY_CHARS);
    assert!(
        text.ends_with(&format!("…\n\n[Pull request]({pr})\n\n[Open the session in Open Inspect]({session})")),
        "{}",
        &text[text.len() - 200..]
    );
    let no_pr = response("  ", None, session);
    assert!(body(&no_pr).starts_with("Done.\n\nNo pull request was opened.\n\n[Open the session"), "{}", body(&no_pr));
    assert_eq!(body(&failure("The sandbox did not start.", None)), "The sandbox did not start.");
    assert!(body(&failure("Stopped.", Some(session)))
        .ends_with(&format!("Stopped.\n\n[Open the session in Open Inspect]({session})")));
}

#[test]
fn actions_are_bounded_per_prompt() {
    assert!(may_post_action(0));
    assert!(may_post_action(MAX_ACTIONS_PER_PROMPT - 1));
    assert!(!may_post_action(MAX_ACTIONS_PER_PROMPT));
    assert!(!may_post_action(usize::MAX));
}

#[test]
fn the_texts() {
    assert_eq!(body(&initial_thought(Some("ENG-123"))), "Reading ENG-123 and choosing a repository to work in.");
    assert_eq!(initial_thought(Some(" ")), initial_thought(None));
    assert_eq!(initial_thought(None).kind(), "thought");
    let working =
        working_thought("acme/web", Some("next"), &RouteReason::Named, &LabelModel::Chosen("openai/gpt-5".into()));
    assert_eq!(
        body(&working),
        "Working in `acme/web` from `next` (named in the issue). Model: `openai/gpt-5` (from the issue's label)."
    );
    let ignored = LabelModel::Ignored { reason: "the labels disagree".into() };
    let working = working_thought("acme/api", None, &RouteReason::Team("ENG".into()), &ignored);
    assert_eq!(body(&working), "Working in `acme/api` (the repository of the team ENG). Note: the labels disagree.");
    assert!(body(&no_repos_error()).contains("Settings → Integrations → Linear"));
    assert_eq!(not_an_issue_error().kind(), "error");
}

#[test]
fn the_elicitation_numbers_the_candidates() {
    let two = vec!["acme/api".to_string(), "acme/web".to_string()];
    let asked = repo_elicitation(&two);
    assert_eq!(asked.kind(), "elicitation");
    assert_eq!(
        body(&asked),
        "Which repository should I work in? Reply with its number or its name:\n\n1. `acme/api`\n2. `acme/web`"
    );
    let many: Vec<String> = (1..=MAX_LISTED_REPOS + 5).map(|i| format!("acme/r{i}")).collect();
    let text = body(&repo_elicitation(&many)).to_string();
    assert!(text.contains(&format!("\n{MAX_LISTED_REPOS}. `acme/r{MAX_LISTED_REPOS}`")), "{text}");
    assert!(!text.contains(&format!("acme/r{}`", MAX_LISTED_REPOS + 1)), "{text}");
    assert!(text.ends_with("…and 5 more, by name."), "{text}");
}

#[test]
fn the_pull_request_comment_links_the_pull_request_and_the_session() {
    let comment = pull_request_comment(7, " https://github.test/acme/api/pull/7 ", "https://oi.test/sessions/ses_l1");
    assert_eq!(
        comment,
        "Opened by the agent: [pull request #7](https://github.test/acme/api/pull/7) — [the session in Open Inspect](https://oi.test/sessions/ses_l1)"
    );
}
