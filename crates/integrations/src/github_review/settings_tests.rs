use serde_json::json;

use super::*;

fn object(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

fn full() -> Value {
    json!({
        "repos": [" acme/api ", "acme/web.site", "Octo-Org/my_repo"],
        "auto_review": true,
        "instructions": "  Check error handling.\nPrefer small functions.  ",
        "allowed_users": ["ada", " renovate[bot] "],
    })
}

#[test]
fn a_full_config() {
    let config = parse_config(&object(full())).unwrap();
    assert_eq!(config.repos, ["acme/api", "acme/web.site", "Octo-Org/my_repo"]);
    assert!(config.auto_review);
    assert_eq!(config.instructions, "Check error handling.\nPrefer small functions.");
    assert_eq!(config.allowed_users, ["ada", "renovate[bot]"]);
    // What it saves reads back the same.
    let saved = serde_json::to_value(&config).unwrap();
    assert_eq!(parse_config(&object(saved)).unwrap(), config);
}

#[test]
fn missing_settings_fail_closed() {
    let empty = parse_config(&Map::new()).unwrap();
    assert_eq!(empty, GithubReviewConfig::default());
    assert!(!empty.auto_review && !empty.repo_enabled("acme/api") && !empty.user_allowed("ada"));
    let nulls = json!({"repos": null, "auto_review": null, "instructions": null, "allowed_users": null});
    assert_eq!(parse_config(&object(nulls)).unwrap(), GithubReviewConfig::default());
}

#[test]
fn repositories_and_users_match_in_any_case() {
    let config = parse_config(&object(full())).unwrap();
    let repos: &[(&str, bool)] = &[
        ("acme/api", true),
        ("ACME/API", true),
        (" octo-org/MY_REPO ", true),
        ("acme/api2", false),
        ("acme", false),
        ("other/api", false),
    ];
    for (repo, enabled) in repos {
        assert_eq!(config.repo_enabled(repo), *enabled, "{repo}");
    }
    let users: &[(&str, bool)] =
        &[("ada", true), ("ADA", true), ("Renovate[bot]", true), ("renovate", false), ("adam", false)];
    for (login, allowed) in users {
        assert_eq!(config.user_allowed(login), *allowed, "{login}");
    }
}

/// `full()` with one change at a top-level key.
fn with(key: &str, value: Value) -> Map<String, Value> {
    let mut config = object(full());
    config.insert(key.to_string(), value);
    config
}

#[test]
fn refusals_name_the_field() {
    let many_repos: Vec<String> = (0..=MAX_REPOS).map(|i| format!("acme/r{i}")).collect();
    let many_users: Vec<String> = (0..=MAX_ALLOWED_USERS).map(|i| format!("user{i}")).collect();
    let cases: Vec<(&str, Map<String, Value>, &str)> = vec![
        ("unknown keys", with("app_slug", json!("open-inspect")), "unknown settings `app_slug`"),
        ("repos not a list", with("repos", json!("acme/api")), "repos: invalid type"),
        (
            "a URL",
            with("repos", json!(["https://github.com/acme/api"])),
            "repos[0]: \"https://github.com/acme/api\" is not `owner/name`",
        ),
        ("a bare owner", with("repos", json!(["acme/api", "acme"])), "repos[1]: \"acme\" is not `owner/name`"),
        ("a path", with("repos", json!(["acme/api/sub"])), "repos[0]"),
        ("dot names", with("repos", json!(["acme/.."])), "repos[0]"),
        ("an owner with an underscore", with("repos", json!(["ac_me/api"])), "repos[0]"),
        ("an empty entry", with("repos", json!([" "])), "repos[0]"),
        ("twice", with("repos", json!(["acme/api", "ACME/api"])), "repos[1]: \"ACME/api\" is listed twice"),
        ("too many repos", with("repos", json!(many_repos)), "repos: 201 entries; at most 200"),
        ("auto_review not a bool", with("auto_review", json!("yes")), "auto_review: invalid type"),
        (
            "long instructions",
            with("instructions", json!("x".repeat(MAX_INSTRUCTIONS_CHARS + 1))),
            "instructions: longer than 4000 characters",
        ),
        ("instructions not text", with("instructions", json!(["a"])), "instructions: invalid type"),
        (
            "an email",
            with("allowed_users", json!(["ada@example.com"])),
            "allowed_users[0]: \"ada@example.com\" is not a GitHub login",
        ),
        ("a mention", with("allowed_users", json!(["@ada"])), "allowed_users[0]"),
        ("a leading hyphen", with("allowed_users", json!(["-ada"])), "allowed_users[0]"),
        ("a double hyphen", with("allowed_users", json!(["a--da"])), "allowed_users[0]"),
        ("a long login", with("allowed_users", json!(["a".repeat(40)])), "allowed_users[0]"),
        ("a bare [bot]", with("allowed_users", json!(["[bot]"])), "allowed_users[0]"),
        ("a user twice", with("allowed_users", json!(["ada", "Ada"])), "allowed_users[1]: \"Ada\" is listed twice"),
        ("too many users", with("allowed_users", json!(many_users)), "allowed_users: 201 entries; at most 200"),
    ];
    for (name, config, want) in cases {
        let error = parse_config(&config).unwrap_err();
        assert!(error.contains(want), "{name}: {error}");
    }
    // Exactly at the limits is fine.
    let at_limit = with("instructions", json!("é".repeat(MAX_INSTRUCTIONS_CHARS)));
    assert_eq!(parse_config(&at_limit).unwrap().instructions.chars().count(), MAX_INSTRUCTIONS_CHARS);
    assert!(parse_config(&with("allowed_users", json!(["a".repeat(39), "dependabot[bot]"]))).is_ok());
}
