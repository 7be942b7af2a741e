use super::*;

fn chars(v: &Value) -> usize {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}")).chars().count()
}

/// Every limit of Slack's the module promises, checked over a whole message.
fn check_limits(name: &str, message: &Value) {
    assert!(chars(&message["text"]) <= MAX_TEXT_CHARS, "{name}: text");
    assert!(!message["text"].as_str().unwrap().is_empty(), "{name}: empty text");
    let blocks = message["blocks"].as_array().unwrap();
    assert!(!blocks.is_empty() && blocks.len() <= MAX_BLOCKS, "{name}: {} blocks", blocks.len());
    let mut action_ids = Vec::new();
    for block in blocks {
        match block["type"].as_str().unwrap() {
            "section" => assert!(chars(&block["text"]["text"]) <= MAX_SECTION_CHARS, "{name}: section"),
            "context" => {
                let elements = block["elements"].as_array().unwrap();
                assert!(elements.len() <= 10, "{name}: context elements");
                for e in elements {
                    assert!(chars(&e["text"]) <= MAX_SECTION_CHARS, "{name}: context");
                }
            }
            "actions" => {
                let elements = block["elements"].as_array().unwrap();
                assert!(!elements.is_empty() && elements.len() <= 25, "{name}: action elements");
                for e in elements {
                    let id = e["action_id"].as_str().unwrap();
                    assert!(id.chars().count() <= MAX_ACTION_ID_CHARS, "{name}: action_id");
                    action_ids.push(id.to_string());
                    match e["type"].as_str().unwrap() {
                        "button" => {
                            assert!(chars(&e["text"]["text"]) <= MAX_BUTTON_TEXT_CHARS, "{name}: button text");
                            assert_eq!(e["text"]["type"], "plain_text", "{name}");
                            match (e.get("url"), e.get("value")) {
                                (Some(url), None) => assert!(chars(url) <= MAX_URL_CHARS, "{name}: url"),
                                (None, Some(value)) => assert!(chars(value) <= MAX_VALUE_CHARS, "{name}: value"),
                                other => panic!("{name}: a button with {other:?}"),
                            }
                        }
                        "static_select" => {
                            assert!(chars(&e["placeholder"]["text"]) <= MAX_PLACEHOLDER_CHARS, "{name}");
                            let options = e["options"].as_array().unwrap();
                            assert!(
                                !options.is_empty() && options.len() <= MAX_OPTIONS,
                                "{name}: {} options",
                                options.len()
                            );
                            for o in options {
                                assert!(chars(&o["value"]) <= MAX_OPTION_VALUE_CHARS, "{name}: option value");
                                assert!(chars(&o["text"]["text"]) <= MAX_OPTION_TEXT_CHARS, "{name}: option text");
                            }
                        }
                        other => panic!("{name}: element {other}"),
                    }
                }
            }
            other => panic!("{name}: block {other}"),
        }
    }
    let mut unique = action_ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), action_ids.len(), "{name}: action ids repeat: {action_ids:?}");
}

/// The buttons of a message: (action_id, value or url).
fn buttons(message: &Value) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for block in message["blocks"].as_array().unwrap() {
        for e in block["elements"].as_array().into_iter().flatten() {
            if e["type"] == "button" {
                let target = e.get("value").or_else(|| e.get("url")).unwrap();
                found.push((e["action_id"].as_str().unwrap().into(), target.as_str().unwrap().into()));
            }
        }
    }
    found
}

const URL: &str = "https://inspect.example.com/sessions/ses_1";
const ID: &str = "ses_1";

#[test]
fn truncation() {
    let cases: &[(&str, usize, &str)] =
        &[("abc", 3, "abc"), ("abcd", 3, "ab…"), ("日本語テキスト", 4, "日本語…"), ("🦀🦀🦀", 2, "🦀…"), ("", 1, "")];
    for (text, max, want) in cases {
        assert_eq!(truncate(text, *max), *want, "{text:?}");
    }
    assert_eq!(escape("a < b && <!here>"), "a &lt; b &amp;&amp; &lt;!here&gt;");
}

#[test]
fn started() {
    let m = started_message(&Started {
        repo: "acme/api",
        branch: "main",
        model: "anthropic/claude-sonnet-4-6",
        session_url: URL,
        reason: "named in the request",
    });
    check_limits("started", &m);
    assert_eq!(m["text"], "Working on it in acme/api (main) with anthropic/claude-sonnet-4-6 — named in the request");
    assert_eq!(buttons(&m), vec![(ACTION_VIEW_SESSION.into(), URL.into())]);
    let long = "x".repeat(5_000);
    let m =
        started_message(&Started { repo: &long, branch: &long, model: &long, session_url: &long, reason: "<!here>" });
    check_limits("started, long", &m);
    assert!(!m.to_string().contains("<!here>"), "{m}");
    // A URL that is not one, or too long: no button, and still a valid message.
    assert_eq!(m["blocks"].as_array().unwrap().len(), 1);
}

#[test]
fn statuses() {
    let actions: Vec<String> = (0..20).map(|i| format!("read src/file_{i}.rs {}", "y".repeat(i * 40))).collect();
    let huge = format!("{}\n<!channel> line\n", "An answer line.\n".repeat(2_000));
    let ten_k: String = "z".repeat(10_000);
    let long_id = "s".repeat(MAX_VALUE_CHARS + 1);
    let long_url = format!("https://x.test/{}", "p".repeat(MAX_URL_CHARS));
    let stop = (ACTION_STOP.to_string(), ID.to_string());
    let view = (ACTION_VIEW_SESSION.to_string(), URL.to_string());
    let create = (ACTION_CREATE_PR.to_string(), ID.to_string());
    let pr = (ACTION_OPEN_PR.to_string(), "https://github.com/acme/api/pull/7".to_string());
    let done = |answer, files_changed, pull_request_url| Progress::Done {
        answer,
        files_changed,
        branch: Some("oi/fix-login"),
        pull_request_url,
    };
    /// Name, session URL, session id, progress, the buttons, and needles of the text fallback.
    type Case<'a> = (&'a str, &'a str, &'a str, Progress<'a>, Vec<(String, String)>, &'a [&'a str]);
    let cases: Vec<Case> = vec![
        ("booting", URL, ID, Progress::Booting, vec![view.clone(), stop.clone()], &["Starting"]),
        (
            "working",
            URL,
            ID,
            Progress::Working { recent_actions: &actions },
            vec![view.clone(), stop.clone()],
            &["Working"],
        ),
        (
            "working, nothing yet",
            URL,
            ID,
            Progress::Working { recent_actions: &[] },
            vec![view.clone(), stop.clone()],
            &[],
        ),
        (
            "done with changes",
            URL,
            ID,
            done("Fixed it.", 3, None),
            vec![view.clone(), create.clone()],
            &["3 files changed on `oi/fix-login`: Fixed it."],
        ),
        ("done, one file", URL, ID, done("ok", 1, None), vec![view.clone(), create.clone()], &["1 file changed"]),
        (
            "done without changes",
            URL,
            ID,
            done("Nothing to change.", 0, None),
            vec![view.clone()],
            &["no files changed"],
        ),
        (
            "done with a PR",
            URL,
            ID,
            done("Opened a PR.", 2, Some("https://github.com/acme/api/pull/7")),
            vec![view.clone(), pr.clone()],
            &["Opened a PR."],
        ),
        (
            "the PR opened later (no files counted)",
            URL,
            ID,
            done("Fixed it.", 0, Some("https://github.com/acme/api/pull/7")),
            vec![view.clone(), pr],
            &["Done — the changes are in the pull request: Fixed it."],
        ),
        ("done, a bad PR url", URL, ID, done("ok", 2, Some("javascript:alert(1)")), vec![view.clone(), create], &[]),
        (
            "done, 10,000 chars",
            URL,
            ID,
            done(&ten_k, 1, None),
            vec![view.clone(), (ACTION_CREATE_PR.into(), ID.into())],
            &["zzz"],
        ),
        ("done, huge", URL, ID, done(&huge, 5, None), vec![view.clone(), (ACTION_CREATE_PR.into(), ID.into())], &[]),
        ("done, empty answer", URL, ID, done("", 0, None), vec![view.clone()], &["Done — no files changed"]),
        (
            "failed",
            URL,
            ID,
            Progress::Failed { reason: "the sandbox <did not> start" },
            vec![view.clone()],
            &["Failed: the sandbox &lt;did not&gt; start"],
        ),
        ("failed, no reason", URL, ID, Progress::Failed { reason: " " }, vec![view.clone()], &["Failed."]),
        ("stopped", URL, ID, Progress::Stopped, vec![view.clone()], &["Stopped"]),
        ("a session id too long for a value", URL, &long_id, Progress::Booting, vec![view.clone()], &[]),
        ("a session URL too long", &long_url, ID, Progress::Booting, vec![stop], &[]),
    ];
    for (name, url, id, progress, want_buttons, needles) in cases {
        let m = status_message(url, id, &progress);
        check_limits(name, &m);
        assert_eq!(buttons(&m), want_buttons, "{name}");
        let text = m["text"].as_str().unwrap();
        for needle in needles {
            assert!(text.contains(needle), "{name}: {text}");
        }
        assert!(!m.to_string().contains("<!channel>"), "{name}");
    }
}

#[test]
fn long_answers_are_split_then_cut() {
    let ten_k: String = "z".repeat(10_000);
    let m = status_message(
        URL,
        ID,
        &Progress::Done { answer: &ten_k, files_changed: 0, branch: None, pull_request_url: None },
    );
    let sections: Vec<&str> = m["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "section")
        .map(|b| b["text"]["text"].as_str().unwrap())
        .collect();
    // The summary, then the whole answer in four sections.
    assert_eq!(sections.len(), 5, "{sections:?}");
    assert_eq!(sections[1..].concat(), ten_k);
    // Line breaks are preferred as cut points.
    let lines = "a line of text\n".repeat(500);
    let (chunks, cut) = answer_sections(&lines);
    assert!(!cut);
    assert!(chunks.iter().all(|c| c.ends_with("text") && c.chars().count() <= MAX_SECTION_CHARS), "{chunks:?}");
    assert_eq!(chunks.join("\n"), lines.trim_end());
    let (chunks, cut) = answer_sections(&"é".repeat(MAX_ANSWER_CHARS + 1));
    assert!(cut);
    assert_eq!(chunks.concat().chars().count(), MAX_ANSWER_CHARS);
    assert!(chunks.last().unwrap().ends_with('…'));
    let m = status_message(
        URL,
        ID,
        &Progress::Done { answer: &"é".repeat(20_000), files_changed: 0, branch: None, pull_request_url: None },
    );
    assert!(m.to_string().contains("the full answer is in the session"));
}

#[test]
fn recent_actions_are_the_last_few() {
    let actions: Vec<String> = (0..8).map(|i| format!("step {i}")).collect();
    let m = status_message(URL, ID, &Progress::Working { recent_actions: &actions });
    let context = m["blocks"][1]["elements"][0]["text"].as_str().unwrap();
    assert_eq!(context, "• step 3\n• step 4\n• step 5\n• step 6\n• step 7");
    let stop = &m["blocks"][2]["elements"][1];
    assert_eq!((stop["style"].as_str(), stop["confirm"]["confirm"]["text"].as_str()), (Some("danger"), Some("Stop")));
}

#[test]
fn repository_menus() {
    let many: Vec<String> = (0..200).map(|i| format!("acme/repo-{i:03}")).collect();
    let long = vec![
        "acme/short".to_string(),
        format!("acme/{}", "n".repeat(200)),
        format!("https://git.example.com/{}", "g".repeat(MAX_REPO_CHARS - "https://git.example.com/".len())),
    ];
    let longest_key = "k".repeat(MAX_REQUEST_KEY_CHARS);
    // Name, request key, candidates, and how many options.
    let cases: Vec<(&str, &str, Vec<String>, usize)> = vec![
        ("two", "req_1", vec!["acme/api".into(), "acme/web".into()], 2),
        ("200 candidates", "req_1", many.clone(), MAX_OPTIONS),
        ("long names", "req_1", long.clone(), 2),
        ("a key of the longest length", &longest_key, long.clone(), 2),
        ("none", "req_1", vec![], 0),
        ("none that fit", "req_1", vec![format!("acme/{}", "n".repeat(200))], 0),
    ];
    for (name, key, candidates, want) in cases {
        let m = choose_repo_message(key, &candidates);
        check_limits(name, &m);
        let options = m["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["type"] == "actions")
            .map(|b| b["elements"][0]["options"].as_array().unwrap().clone())
            .unwrap_or_default();
        assert_eq!(options.len(), want, "{name}");
        let fitting =
            candidates.iter().filter(|r| key.chars().count() + 1 + r.chars().count() <= MAX_OPTION_VALUE_CHARS);
        for (option, repo) in options.iter().zip(fitting) {
            assert_eq!(option["value"].as_str().unwrap(), format!("{key}|{repo}"), "{name}");
        }
        let text = m.to_string();
        assert_eq!(text.contains("Showing"), want < candidates.len() && want > 0, "{name}");
        if want == 0 {
            assert!(text.contains("no repository to choose from"), "{name}");
        }
    }
    let m = choose_repo_message("req_1", &many);
    let select = &m["blocks"][1]["elements"][0];
    assert_eq!(
        (select["type"].as_str(), select["action_id"].as_str()),
        (Some("static_select"), Some(ACTION_CHOOSE_REPO))
    );
    assert!(m.to_string().contains("Showing 100 of 200"));
}

#[test]
fn unmapped_users() {
    let text = unmapped_user_message("no person of this deployment matches your Slack account.");
    assert_eq!(text, "I can't start work for you yet: no person of this deployment matches your Slack account. Until then, mentions of me from you start nothing.");
    assert!(unmapped_user_message(&"w".repeat(10_000)).chars().count() <= MAX_TEXT_CHARS);
    assert!(!unmapped_user_message("<!here>").contains("<!here>"));
}

#[test]
fn the_agents_post_mentions_no_one_and_says_it_is_the_agents() {
    let post = agent_post_message("<!channel> halfway: <@U123> see <https://evil.test|here> & a<b");
    let text = post["text"].as_str().unwrap();
    assert_eq!(text, "halfway: &lt;@U123&gt; see &lt;https://evil.test|here&gt; &amp; a&lt;b");
    assert_eq!(post["blocks"][0]["text"]["text"], text);
    assert!(post["blocks"][1].to_string().contains("Posted by the agent"), "{post}");
    assert!(!post.to_string().contains("<!channel>"), "{post}");
    check_limits("the longest agent post, all escaped", &agent_post_message(&"<".repeat(3_000)));
}
