use serde_json::json;

use super::*;

fn object(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

fn full() -> Value {
    json!({
        "repos": [" acme/api ", "acme/web", "https://gitlab.example.com/ops/infra.git"],
        "team_repos": {" ENG ": "ACME/API", "4d5e6f7a-8b9c-4d0e-8f1a-2b3c4d5e6f7a": "acme/web"},
        "project_repos": {"Sign-in revamp": "acme/web"},
        "label_repos": {"infra": "https://gitlab.example.com/ops/infra.git", "Frontend": "acme/web"},
        "default_branch": "main",
        "classifier_model": "anthropic/claude-haiku-4-5",
    })
}

/// `full()` with one change at a top-level key (None removes it).
fn with(key: &str, value: Option<Value>) -> Map<String, Value> {
    let mut config = object(full());
    match value {
        Some(v) => config.insert(key.to_string(), v),
        None => config.remove(key),
    };
    config
}

#[test]
fn a_full_config() {
    let config = parse_config(&object(full())).unwrap();
    assert_eq!(config.repos, ["acme/api", "acme/web", "https://gitlab.example.com/ops/infra.git"]);
    // Trimmed, and pointing at repositories as `repos` spells them.
    assert_eq!(config.team_repos.get("ENG").map(String::as_str), Some("acme/api"));
    assert_eq!(config.team_repos.len(), 2);
    assert_eq!(config.project_repos.get("Sign-in revamp").map(String::as_str), Some("acme/web"));
    assert_eq!(config.label_repos.get("infra").map(String::as_str), Some("https://gitlab.example.com/ops/infra.git"));
    assert_eq!(config.default_branch.as_deref(), Some("main"));
    assert_eq!(config.classifier_model.as_deref(), Some("anthropic/claude-haiku-4-5"));
    // What it saves reads back the same.
    let saved = serde_json::to_value(&config).unwrap();
    assert_eq!(parse_config(&object(saved)).unwrap(), config);
    // An empty config is the default; nulls and blanks are absent.
    assert_eq!(parse_config(&Map::new()).unwrap(), LinearConfig::default());
    let nulls = json!({"repos": null, "team_repos": null, "classifier_model": " ", "default_branch": ""});
    assert_eq!(parse_config(&object(nulls)).unwrap(), LinearConfig::default());
}

#[test]
fn refusals_name_the_field() {
    let many_repos: Vec<String> = (0..=MAX_REPOS).map(|i| format!("acme/r{i}")).collect();
    let many_labels: Map<String, Value> = (0..=MAX_MAPPINGS).map(|i| (format!("l{i}"), json!("acme/api"))).collect();
    let cases: Vec<(&str, Map<String, Value>, &str)> = vec![
        ("unknown keys", with("aliases", Some(json!({}))), "unknown settings `aliases`"),
        ("repos not a list", with("repos", Some(json!("acme/api"))), "repos: invalid type"),
        ("an empty repo", with("repos", Some(json!(["acme/api", " "]))), "repos[1]: must not be empty"),
        ("a bad repo", with("repos", Some(json!(["not a repo"]))), "repos[0]:"),
        (
            "a repo twice",
            with("repos", Some(json!(["acme/api", "Acme/API"]))),
            "repos[1]: \"Acme/API\" is listed twice",
        ),
        ("too many repos", with("repos", Some(json!(many_repos))), "repos: 101 entries"),
        (
            "a long repo",
            with("repos", Some(json!([format!("acme/{}", "x".repeat(MAX_REPO_CHARS))]))),
            "repos[0]: longer than 300",
        ),
        ("a team to elsewhere", with("team_repos", Some(json!({"ENG": "acme/gone"}))), "team_repos.ENG: \"acme/gone\""),
        (
            "a team twice",
            with("team_repos", Some(json!({"ENG": "acme/api", "eng": "acme/web"}))),
            "team_repos: \"eng\" is given twice",
        ),
        ("a blank team", with("team_repos", Some(json!({" ": "acme/api"}))), "team_repos: \"\" must be 1 to 100"),
        ("a team not a string", with("team_repos", Some(json!({"ENG": 1}))), "team_repos: invalid type"),
        ("a project to elsewhere", with("project_repos", Some(json!({"P": "acme/gone"}))), "project_repos.P:"),
        (
            "a long project",
            with("project_repos", Some(json!({"p".repeat(MAX_MAPPING_KEY_CHARS + 1): "acme/api"}))),
            "project_repos:",
        ),
        ("a label on two lines", with("label_repos", Some(json!({"a\nb": "acme/api"}))), "label_repos: \"a\\nb\""),
        ("too many labels", with("label_repos", Some(Value::Object(many_labels))), "label_repos: 201 entries"),
        ("a bad branch", with("default_branch", Some(json!("a..b"))), "default_branch:"),
        ("a bad classifier", with("classifier_model", Some(json!("haiku"))), "classifier_model:"),
    ];
    for (name, config, says) in cases {
        let error = parse_config(&config).expect_err(name);
        assert!(error.starts_with(says), "{name}: {error}");
    }
}

#[test]
fn local_mode_allows_local_remotes() {
    let config = object(json!({"repos": ["http://127.0.0.1:9418/acme/api"]}));
    assert!(parse_config(&config).is_err());
    assert_eq!(parse_config_with(&config, true).unwrap().repos, ["http://127.0.0.1:9418/acme/api"]);
}
