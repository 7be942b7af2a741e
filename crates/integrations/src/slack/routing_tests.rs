use super::*;

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn config() -> RoutingConfig {
    RoutingConfig {
        repos: strings(&[
            "acme/api",
            "acme/web",
            "acme/api-v2",
            "https://gitlab.example.com/ops/infra.git",
            "/srv/git/tools",
        ]),
        aliases: [("backend", "acme/api"), ("frontend", "acme/web"), ("site", "acme/web"), ("ghost", "acme/gone")]
            .iter()
            .map(|(a, r)| (a.to_string(), r.to_string()))
            .collect(),
        keywords: vec![
            KeywordRule { keyword: "billing".into(), repo: "acme/api".into() },
            KeywordRule { keyword: "checkout page".into(), repo: "acme/web".into() },
            KeywordRule { keyword: "invoice".into(), repo: "acme/api".into() },
            KeywordRule { keyword: "css".into(), repo: "acme/web".into() },
            KeywordRule { keyword: "terraform".into(), repo: "acme/unconfigured".into() },
            KeywordRule { keyword: "  ".into(), repo: "acme/web".into() },
        ],
        channel_defaults: [("C_WEB", "acme/web"), ("C_GONE", "acme/gone")]
            .iter()
            .map(|(c, r)| (c.to_string(), r.to_string()))
            .collect(),
    }
}

fn chosen(repo: &str, branch: Option<&str>, why: RouteReason) -> Route {
    Route::Chosen { repo: repo.into(), branch: branch.map(str::to_string), why }
}

fn ask(candidates: &[&str]) -> Route {
    Route::Ask { candidates: strings(candidates) }
}

#[test]
fn routing_order() {
    let all = Route::Classify { candidates: config().repos };
    let kw = |k: &str| RouteReason::Keyword(k.into());
    use RouteReason::*;
    let cases: Vec<(&str, &str, Route)> = vec![
        // Named.
        ("<@U0LAN0Z89> fix the login bug in acme/api", "C1", chosen("acme/api", None, Named)),
        ("fix acme/api.", "C1", chosen("acme/api", None, Named)),
        ("fix ACME/Api please", "C1", chosen("acme/api", None, Named)),
        ("fix acme/api-v2", "C1", chosen("acme/api-v2", None, Named)),
        ("fix acme/api@release/1.2 now", "C1", chosen("acme/api", Some("release/1.2"), Named)),
        ("fix acme/api@hotfix.", "C1", chosen("acme/api", Some("hotfix"), Named)),
        ("fix acme/api@ now", "C1", chosen("acme/api", None, Named)),
        ("fix acme/api@bad..name", "C1", chosen("acme/api", None, Named)),
        ("see <https://github.com/acme/api/issues/12>", "C1", chosen("acme/api", None, Named)),
        ("see <https://github.com/acme/api|acme/api> (billing)", "C1", chosen("acme/api", None, Named)),
        ("clone github.com/acme/web.git", "C1", chosen("acme/web", None, Named)),
        (
            "fix it in https://gitlab.example.com/ops/infra",
            "C1",
            chosen("https://gitlab.example.com/ops/infra.git", None, Named),
        ),
        (
            "fix gitlab.example.com/ops/infra@main",
            "C1",
            chosen("https://gitlab.example.com/ops/infra.git", Some("main"), Named),
        ),
        ("tools at /srv/git/tools are slow", "C1", chosen("/srv/git/tools", None, Named)),
        ("the ops/infra plan@main fails", "C1", chosen("https://gitlab.example.com/ops/infra.git", None, Named)),
        (
            "the ops/infra@main plan fails",
            "C1",
            chosen("https://gitlab.example.com/ops/infra.git", Some("main"), Named),
        ),
        // Named wins over alias, keyword and channel default.
        ("acme/web: the billing backend is down", "C_WEB", chosen("acme/web", None, Named)),
        // Not named: another host, another owner, a longer name.
        ("see https://gitlab.com/acme/api", "C1", all.clone()),
        ("fix otheracme/api and acme/apix", "C1", all.clone()),
        ("fix acme/api2", "C1", all.clone()),
        // Two named: ask among them.
        ("move code from acme/api to acme/web", "C1", ask(&["acme/api", "acme/web"])),
        ("acme/api and acme/api@dev", "C1", chosen("acme/api", Some("dev"), Named)),
        // Aliases.
        ("the backend is slow", "C1", chosen("acme/api", None, Alias)),
        ("Backend@dev is slow", "C1", chosen("acme/api", Some("dev"), Alias)),
        ("the site and the frontend", "C1", chosen("acme/web", None, Alias)),
        ("backend vs frontend", "C1", ask(&["acme/api", "acme/web"])),
        ("the backends are slow", "C1", all.clone()),
        ("the ghost repo", "C1", all.clone()),
        // Alias wins over keyword.
        ("frontend billing", "C1", chosen("acme/web", None, Alias)),
        // Keywords: first rule in order, ambiguity asks.
        ("the billing export fails", "C1", chosen("acme/api", None, kw("billing"))),
        ("BILLING.", "C1", chosen("acme/api", None, kw("billing"))),
        ("invoice and billing", "C1", chosen("acme/api", None, kw("billing"))),
        ("the Checkout  page? no, the checkout page", "C1", chosen("acme/web", None, kw("checkout page"))),
        ("billing css", "C1", ask(&["acme/api", "acme/web"])),
        ("rebilling is broken", "C1", all.clone()),
        ("billing-service is broken", "C1", all.clone()),
        ("terraform plan fails", "C1", all.clone()),
        // Keyword wins over channel default.
        ("the css is off", "C_OTHER", chosen("acme/web", None, kw("css"))),
        ("invoice totals", "C_WEB", chosen("acme/api", None, kw("invoice"))),
        // Channel default.
        ("it is broken", "C_WEB", chosen("acme/web", None, ChannelDefault)),
        ("it is broken", "C_GONE", all.clone()),
        // Mentions and broadcast markup never route.
        ("<@Ubackend> <!here> it is broken", "C1", all.clone()),
        // Else classify among all.
        ("it is broken", "C1", all.clone()),
        ("", "C1", all.clone()),
    ];
    for (text, channel, want) in cases {
        assert_eq!(route(text, channel, &config()), want, "{text:?} in {channel}");
    }
}

#[test]
fn no_repos_and_one_repo() {
    let none = RoutingConfig { repos: strings(&["", "  "]), ..config() };
    assert_eq!(route("fix acme/api", "C_WEB", &none), Route::NoRepos);
    assert_eq!(route("anything", "C1", &RoutingConfig::default()), Route::NoRepos);
    let one = RoutingConfig { repos: strings(&["acme/web", "ACME/WEB"]), ..RoutingConfig::default() };
    assert_eq!(route("it is broken", "C1", &one), chosen("acme/web", None, RouteReason::OnlyOne));
    assert_eq!(route("acme/web@next", "C1", &one), chosen("acme/web", Some("next"), RouteReason::Named));
    // Only configured repositories, spelled as configured.
    let one = RoutingConfig { repos: strings(&["Acme/Web"]), channel_defaults: config().channel_defaults, ..config() };
    assert_eq!(route("the billing css", "C1", &one), chosen("Acme/Web", None, RouteReason::Keyword("css".into())));
    assert_eq!(route("it is broken", "C_WEB", &one), chosen("Acme/Web", None, RouteReason::ChannelDefault));
    assert_eq!(route("fix acme/api", "C1", &one), chosen("Acme/Web", None, RouteReason::OnlyOne));
}

#[test]
fn long_messages_are_cut() {
    let text = format!("{} acme/api", "word ".repeat(MAX_ROUTE_TEXT_CHARS));
    assert_eq!(route(&text, "C1", &config()), Route::Classify { candidates: config().repos });
}

#[test]
fn reasons_read_well() {
    assert_eq!(RouteReason::Keyword("billing".into()).describe(), "the request mentions “billing”");
    for why in [
        RouteReason::Named,
        RouteReason::Alias,
        RouteReason::ChannelDefault,
        RouteReason::Classifier,
        RouteReason::Chosen,
        RouteReason::OnlyOne,
    ] {
        assert!(!why.describe().is_empty());
    }
}

#[test]
fn the_classifier_prompt() {
    let candidates = strings(&["acme/api", "acme/web"]);
    let (system, user) = classifier_prompt("  the login page is blank  ", &candidates);
    assert!(system.contains("exactly one repository") && system.contains("unsure"), "{system}");
    assert!(user.contains("- acme/api\n- acme/web\n"), "{user}");
    assert!(user.contains("Request:\nthe login page is blank\n"), "{user}");
    let (_, user) = classifier_prompt(&"x".repeat(10 * MAX_CLASSIFIER_TEXT_CHARS), &candidates);
    assert!(user.chars().count() < MAX_CLASSIFIER_TEXT_CHARS + 200, "{}", user.len());
}

#[test]
fn classifier_answers() {
    let candidates = strings(&["acme/api", "acme/web", "acme/api-v2", "https://gitlab.example.com/ops/infra.git"]);
    let cases: &[(&str, Option<&str>)] = &[
        ("acme/api", Some("acme/api")),
        ("  acme/web\n", Some("acme/web")),
        ("ACME/WEB", Some("acme/web")),
        ("`acme/api-v2`", Some("acme/api-v2")),
        ("\"acme/api\".", Some("acme/api")),
        ("**acme/web**", Some("acme/web")),
        ("https://gitlab.example.com/ops/infra.git", Some("https://gitlab.example.com/ops/infra.git")),
        ("The repository is acme/web.", Some("acme/web")),
        ("Repository: acme/api-v2 (the new API)", Some("acme/api-v2")),
        ("gitlab.example.com/ops/infra", Some("https://gitlab.example.com/ops/infra.git")),
        ("unsure", None),
        ("Unsure.", None),
        ("unsure, maybe acme/api", None),
        ("acme/api or acme/web", None),
        ("acme/other", None),
        ("api", None),
        ("", None),
        ("I cannot tell.", None),
    ];
    for (answer, want) in cases {
        assert_eq!(parse_classifier_answer(answer, &candidates).as_deref(), *want, "{answer:?}");
    }
    assert_eq!(parse_classifier_answer("acme/api", &[]), None);
}

#[test]
fn remotes_by_their_path() {
    let config =
        RoutingConfig { repos: strings(&["https://github.com/acme/api.git", "acme/web"]), ..Default::default() };
    let remote = "https://github.com/acme/api.git";
    let cases: &[(&str, Route)] = &[
        ("fix acme/api", chosen(remote, None, RouteReason::Named)),
        ("fix github.com/acme/api@dev", chosen(remote, Some("dev"), RouteReason::Named)),
        ("fix https://github.com/acme/api/pull/3", chosen(remote, None, RouteReason::Named)),
        ("fix acme/api and acme/web", ask(&[remote, "acme/web"])),
        ("fix acme/apis", Route::Classify { candidates: config.repos.clone() }),
    ];
    for (text, want) in cases {
        assert_eq!(route(text, "C1", &config), *want, "{text:?}");
    }
}
