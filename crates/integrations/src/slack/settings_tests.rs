use serde_json::json;

use super::*;

fn object(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

fn full() -> Value {
    json!({
        "repos": [" acme/api ", "acme/web", "https://gitlab.example.com/ops/infra.git", "/srv/git/tools"],
        "aliases": {"backend": "ACME/API", " site ": "acme/web"},
        "keywords": [{"keyword": " billing ", "repo": "acme/api"}, {"keyword": "checkout page", "repo": "acme/web"}],
        "channel_defaults": {"C0123ABCD": "acme/web", "G0456": "/srv/git/tools"},
        "classifier_model": "anthropic/claude-haiku-4-5",
        "default_branch": "main",
        "agent_may_post": true,
        "bot_user_id": "U0LAN0Z89",
    })
}

#[test]
fn a_full_config() {
    let config = parse_config(&object(full())).unwrap();
    assert_eq!(config.repos, ["acme/api", "acme/web", "https://gitlab.example.com/ops/infra.git", "/srv/git/tools"]);
    // Trimmed, and pointing at repositories as `repos` spells them.
    assert_eq!(config.aliases.get("backend").map(String::as_str), Some("acme/api"));
    assert_eq!(config.aliases.get("site").map(String::as_str), Some("acme/web"));
    assert_eq!(config.keywords[0], KeywordRule { keyword: "billing".into(), repo: "acme/api".into() });
    assert_eq!(config.classifier_model.as_deref(), Some("anthropic/claude-haiku-4-5"));
    assert_eq!(config.default_branch.as_deref(), Some("main"));
    assert!(config.agent_may_post);
    assert_eq!(config.bot_user_id.as_deref(), Some("U0LAN0Z89"));
    let routing = config.routing();
    assert_eq!((routing.repos.len(), routing.aliases.len(), routing.keywords.len()), (4, 2, 2));
    assert_eq!(routing.channel_defaults.get("G0456").map(String::as_str), Some("/srv/git/tools"));
    // What it saves reads back the same.
    let saved = serde_json::to_value(&config).unwrap();
    assert_eq!(parse_config(&object(saved)).unwrap(), config);
    // An empty config is the default; nulls are absent.
    assert_eq!(parse_config(&Map::new()).unwrap(), SlackConfig::default());
    let nulls = json!({"repos": null, "classifier_model": null, "bot_user_id": " ", "default_branch": ""});
    assert_eq!(parse_config(&object(nulls)).unwrap(), SlackConfig::default());
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
fn refusals_name_the_field() {
    let many_repos: Vec<String> = (0..=MAX_REPOS).map(|i| format!("acme/r{i}")).collect();
    let cases: Vec<(&str, Map<String, Value>, &str)> = vec![
        ("unknown keys", with("colour", Some(json!("red"))), "unknown settings `colour`"),
        ("unknown keys, all named", object(json!({"a": 1, "repos": [], "b": 2})), "`a`, `b`"),
        ("repos not a list", with("repos", Some(json!("acme/api"))), "repos: invalid type"),
        ("a repo not a string", with("repos", Some(json!([1]))), "repos: invalid type"),
        ("an empty repo", with("repos", Some(json!(["acme/api", " "]))), "repos[1]: must not be empty"),
        ("a bad repo", with("repos", Some(json!(["acme/api", "not a repo"]))), "repos[1]:"),
        ("an http remote", with("repos", Some(json!(["http://git.example.com/a/b"]))), "repos[0]:"),
        ("a private remote", with("repos", Some(json!(["https://10.0.0.1/a/b"]))), "repos[0]:"),
        (
            "a long repo",
            with("repos", Some(json!([format!("acme/{}", "x".repeat(MAX_REPO_CHARS))]))),
            "repos[0]: longer than",
        ),
        (
            "a repo twice",
            with("repos", Some(json!(["acme/api", "Acme/API"]))),
            "repos[1]: \"Acme/API\" is listed twice",
        ),
        ("too many repos", with("repos", Some(json!(many_repos))), "repos: 101 entries"),
        (
            "an alias to elsewhere",
            with("aliases", Some(json!({"ops": "acme/ops"}))),
            "aliases.ops: \"acme/ops\" is not one of the configured `repos`",
        ),
        (
            "an alias of two words",
            with("aliases", Some(json!({"the api": "acme/api"}))),
            "aliases: \"the api\" must be one word",
        ),
        ("an alias with a slash", with("aliases", Some(json!({"acme/x": "acme/api"}))), "aliases: \"acme/x\""),
        ("an empty alias", with("aliases", Some(json!({"": "acme/api"}))), "aliases: \"\""),
        ("an alias twice", with("aliases", Some(json!({"Api": "acme/api", "api": "acme/web"}))), "given twice"),
        ("aliases not a map", with("aliases", Some(json!(["api"]))), "aliases: invalid type"),
        (
            "a keyword to elsewhere",
            with("keywords", Some(json!([{"keyword": "x", "repo": "acme/api"}, {"keyword": "y", "repo": "acme/ops"}]))),
            "keywords[1].repo: \"acme/ops\"",
        ),
        (
            "an empty keyword",
            with("keywords", Some(json!([{"keyword": " ", "repo": "acme/api"}]))),
            "keywords[0].keyword",
        ),
        (
            "a long keyword",
            with("keywords", Some(json!([{"keyword": "k".repeat(61), "repo": "acme/api"}]))),
            "keywords[0].keyword",
        ),
        (
            "a keyword rule without repo",
            with("keywords", Some(json!([{"keyword": "x"}]))),
            "keywords[0]: missing field `repo`",
        ),
        (
            "a keyword rule with extras",
            with("keywords", Some(json!([{"keyword": "x", "repo": "acme/api", "why": 1}]))),
            "keywords[0]: unknown field `why`",
        ),
        ("keywords not a list", with("keywords", Some(json!({"x": "acme/api"}))), "keywords: invalid type"),
        (
            "a channel name",
            with("channel_defaults", Some(json!({"#general": "acme/api"}))),
            "channel_defaults: \"#general\" is not a channel id",
        ),
        ("a user id as channel", with("channel_defaults", Some(json!({"U0123": "acme/api"}))), "is not a channel id"),
        ("a lowercase channel id", with("channel_defaults", Some(json!({"c0123": "acme/api"}))), "is not a channel id"),
        (
            "a channel default to elsewhere",
            with("channel_defaults", Some(json!({"C0123": "acme/ops"}))),
            "channel_defaults.C0123: \"acme/ops\"",
        ),
        ("a model without provider", with("classifier_model", Some(json!("haiku"))), "classifier_model:"),
        ("a model not a string", with("classifier_model", Some(json!(3))), "classifier_model: invalid type"),
        ("a bad branch", with("default_branch", Some(json!("a..b"))), "default_branch:"),
        ("agent_may_post not a bool", with("agent_may_post", Some(json!("yes"))), "agent_may_post: invalid type"),
        (
            "a bot id that is a channel",
            with("bot_user_id", Some(json!("C0123"))),
            "bot_user_id: \"C0123\" is not a Slack user id",
        ),
        ("a bot id with a name", with("bot_user_id", Some(json!("<@U0123>"))), "bot_user_id:"),
    ];
    for (name, config, needle) in cases {
        let err = parse_config(&config).expect_err(name);
        assert!(err.contains(needle), "{name}: {err}");
    }
}

#[test]
fn local_mode_allows_remotes_on_this_machine() {
    let config = object(json!({"repos": ["http://localhost:8080/acme/api.git", "acme/api"]}));
    assert!(parse_config(&config).is_err());
    assert!(parse_config_with(&config, true).is_ok());
}
