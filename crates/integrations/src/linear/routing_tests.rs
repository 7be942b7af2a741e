use std::collections::BTreeMap;

use super::super::issue::{IssueProject, IssueTeam, StateType};
use super::*;

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn config() -> LinearConfig {
    LinearConfig {
        repos: strings(&["acme/api", "acme/web", "acme/infra", "acme/docs"]),
        team_repos: map(&[("ENG", "acme/api"), ("team-ops-id", "acme/infra"), ("GONE", "acme/gone")]),
        project_repos: map(&[("Sign-in revamp", "acme/web"), ("project-docs-id", "acme/docs")]),
        label_repos: map(&[
            ("frontend", "acme/web"),
            ("Infra", "acme/infra"),
            ("ui", "acme/web"),
            ("old", "acme/gone"),
        ]),
        ..LinearConfig::default()
    }
}

/// An issue of team `team` (key and id), in `project` (name; id `<name>-id`), with labels.
fn issue(title: &str, description: Option<&str>, team: &str, project: Option<&str>, labels: &[&str]) -> IssueDetails {
    IssueDetails {
        id: "issue-id".into(),
        identifier: "ENG-123".into(),
        title: title.into(),
        description: description.map(str::to_string),
        url: "https://linear.app/acme/issue/ENG-123".into(),
        state_id: "todo".into(),
        state_type: StateType::Unstarted,
        team: IssueTeam { id: format!("team-{}-id", team.to_lowercase()), key: team.into(), states: Vec::new() },
        project: project
            .map(|name| IssueProject { id: format!("project-{}-id", name.to_lowercase()), name: name.into() }),
        labels: strings(labels),
    }
}

fn chosen(repo: &str, branch: Option<&str>, why: RouteReason) -> Route {
    Route::Chosen { repo: repo.into(), branch: branch.map(str::to_string), why }
}

#[test]
fn routing_order() {
    use RouteReason::*;
    let all = Route::Classify { candidates: config().repos };
    let project = |name: &str| Project(name.into());
    let cases: Vec<(IssueDetails, Route)> = vec![
        // Named in the title or the description, with a branch; wins over every mapping.
        (issue("Fix acme/web@next", None, "ENG", Some("Docs"), &["Infra"]), chosen("acme/web", Some("next"), Named)),
        (
            issue("Login broken", Some("See [code](https://github.com/acme/web/blob/main/a.ts)"), "ENG", None, &[]),
            chosen("acme/web", None, Named),
        ),
        (
            issue("Move acme/api code to acme/web", None, "ENG", None, &[]),
            Route::Ask { candidates: strings(&["acme/api", "acme/web"]) },
        ),
        (issue("Fix acme/other", None, "X", None, &[]), all.clone()),
        // The project, by id then name, wins over the team.
        (
            issue("Login broken", None, "ENG", Some("Sign-in revamp"), &[]),
            chosen("acme/web", None, project("Sign-in revamp")),
        ),
        (
            issue("Login broken", None, "ENG", Some("SIGN-IN REVAMP"), &[]),
            chosen("acme/web", None, project("SIGN-IN REVAMP")),
        ),
        (issue("Typos", None, "ENG", Some("Docs"), &["frontend"]), chosen("acme/docs", None, project("Docs"))),
        (issue("Typos", None, "ENG", Some("Other"), &[]), chosen("acme/api", None, Team("ENG".into()))),
        // The team, by key (any case) or id, wins over labels.
        (issue("Login broken", None, "eng", None, &["frontend"]), chosen("acme/api", None, Team("eng".into()))),
        (issue("Disk full", None, "OPS", None, &[]), chosen("acme/infra", None, Team("OPS".into()))),
        (issue("Gone", None, "GONE", None, &[]), all.clone()),
        // Labels: one repository (however many labels), or ask among several.
        (issue("Button", None, "X", None, &["bug", "UI", "frontend"]), chosen("acme/web", None, Label("UI".into()))),
        (
            issue("Button", None, "X", None, &["frontend", "infra"]),
            Route::Ask { candidates: strings(&["acme/web", "acme/infra"]) },
        ),
        (issue("Button", None, "X", None, &["old", "bug"]), all.clone()),
        // Nothing decides.
        (issue("It is broken", None, "X", None, &[]), all),
    ];
    for (issue, want) in cases {
        assert_eq!(route(&issue, &config()), want, "{issue:?}");
    }
}

#[test]
fn no_repos_and_one_repo() {
    let plain = issue("Fix acme/api", None, "ENG", None, &[]);
    let none = LinearConfig { repos: strings(&[" "]), ..config() };
    assert_eq!(route(&plain, &none), Route::NoRepos);
    assert_eq!(route(&plain, &LinearConfig::default()), Route::NoRepos);
    let one = LinearConfig { repos: strings(&["Acme/Web"]), ..config() };
    assert_eq!(
        route(&issue("It is broken", None, "X", None, &[]), &one),
        chosen("Acme/Web", None, RouteReason::OnlyOne)
    );
    // Mappings to repositories no longer configured are passed over.
    assert_eq!(route(&plain, &one), chosen("Acme/Web", None, RouteReason::OnlyOne));
    assert_eq!(
        route(&issue("x", None, "X", None, &["ui"]), &one),
        chosen("Acme/Web", None, RouteReason::Label("ui".into()))
    );
}

#[test]
fn the_classifier_sees_the_issue() {
    let candidates = strings(&["acme/api", "acme/web"]);
    let (system, user) =
        classifier_prompt(&issue("Login broken", Some("  The button.  "), "ENG", None, &[]), &candidates);
    assert!(system.contains("issues from an issue tracker") && system.contains("unsure"), "{system}");
    assert!(user.contains("- acme/api\n- acme/web\n"), "{user}");
    assert!(user.contains("Request:\nENG-123: Login broken\n\nThe button.\n"), "{user}");
    assert_eq!(parse_classifier_answer("`acme/web`", &candidates).as_deref(), Some("acme/web"));
}

#[test]
fn answers_to_the_elicitation() {
    let candidates = strings(&["acme/api", "acme/web", "acme/infra"]);
    let cases: &[(&str, Option<&str>)] = &[
        ("2", Some("acme/web")),
        (" 3. ", Some("acme/infra")),
        ("1)", Some("acme/api")),
        ("0", None),
        ("4", None),
        ("acme/web", Some("acme/web")),
        ("Use acme/infra please", Some("acme/infra")),
        ("acme/api or acme/web", None),
        ("whichever", None),
        ("", None),
    ];
    for (answer, want) in cases {
        assert_eq!(parse_repo_answer(answer, &candidates).as_deref(), *want, "{answer:?}");
    }
}

#[test]
fn models_from_labels() {
    let chosen = |m: &str| LabelModel::Chosen(m.into());
    let cases: &[(&[&str], LabelModel)] = &[
        (&[], LabelModel::Unset),
        (&["bug", "modeling"], LabelModel::Unset),
        (&["model:anthropic/claude-sonnet-4-5"], chosen("anthropic/claude-sonnet-4-5")),
        (&["Model: openai/gpt-5 ", "bug"], chosen("openai/gpt-5")),
        (&["model:openai/gpt-5", "model:openai/gpt-5"], chosen("openai/gpt-5")),
        (&["model:fast", "model:openai/gpt-5"], chosen("openai/gpt-5")),
        (&["日本語", "mödel:x/y"], LabelModel::Unset),
    ];
    for (labels, want) in cases {
        assert_eq!(model_from_labels(&strings(labels)), *want, "{labels:?}");
    }
    let LabelModel::Ignored { reason } = model_from_labels(&strings(&["model:openai/gpt-5", "model:anthropic/claude"]))
    else {
        panic!("two models chose one")
    };
    assert!(reason.contains("different models (openai/gpt-5, anthropic/claude)"), "{reason}");
    let LabelModel::Ignored { reason } = model_from_labels(&strings(&["model:fast"])) else {
        panic!("a malformed model chose")
    };
    assert!(reason.contains("“model:fast”") && reason.contains("default model"), "{reason}");
}

#[test]
fn reasons_read_well() {
    assert_eq!(RouteReason::Team("ENG".into()).describe(), "the repository of the team ENG");
    assert_eq!(RouteReason::Label("ui".into()).describe(), "the repository of the label “ui”");
    for why in [RouteReason::Named, RouteReason::OnlyOne, RouteReason::Classifier, RouteReason::Answered] {
        assert!(!why.describe().is_empty());
    }
}
