use super::*;

const URL: &str = "https://inspect.example.com/sessions/s-123";

fn prompts(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(a, t)| (a.to_string(), t.to_string())).collect()
}

fn body<'a>(prompts: &'a [(String, String)], evidence: &'a [String]) -> PrBody<'a> {
    PrBody { summary: Some("Fixed the parser."), prompts, session_url: URL, evidence, screenshots: &[], asked_by: None }
}

#[test]
fn every_section() {
    let prompts = prompts(&[("alice", "Fix the parser.\n\nIt reads one byte too many."), ("bob", "Add a test too.")]);
    let evidence = vec!["`cargo test`: 52 passed".to_string(), "Ran the CLI on the sample: ok".to_string()];
    let text = PrBody { asked_by: Some("alice"), ..body(&prompts, &evidence) }.render();
    assert_eq!(
        text,
        "Opened by Open Inspect on behalf of @alice.\n\n\
         ## Summary\n\nFixed the parser.\n\n\
         ## Prompts\n\n\
         From **alice**:\n\n> Fix the parser.\n>\n> It reads one byte too many.\n\n\
         From **bob**:\n\n> Add a test too.\n\n\
         ## Verification\n\n- `cargo test`: 52 passed\n- Ran the CLI on the sample: ok\n\n\
         ---\n\n[Open the session in Open Inspect](https://inspect.example.com/sessions/s-123)"
    );
}

#[test]
fn the_on_behalf_line_only_when_the_app_opens_it() {
    let prompts = prompts(&[("alice", "Hi")]);
    assert!(body(&prompts, &[]).render().starts_with("## Summary\n\n"));
    for login in ["alice", "@alice", " alice "] {
        let text = PrBody { asked_by: Some(login), ..body(&prompts, &[]) }.render();
        assert_eq!(text.lines().next(), Some("Opened by Open Inspect on behalf of @alice."), "{login}");
    }
    assert!(PrBody { asked_by: Some(" "), ..body(&prompts, &[]) }.render().starts_with("## Summary"));
}

#[test]
fn a_missing_summary_has_a_placeholder() {
    for summary in [None, Some(""), Some("  \n ")] {
        let text = PrBody { summary, ..body(&[], &[]) }.render();
        assert!(
            text.starts_with("## Summary\n\n_The agent did not write a summary; the session has the full conversation._\n\n## Prompts"),
            "{text}"
        );
    }
}

#[test]
fn no_prompts_and_no_evidence() {
    let text = body(&[], &[]).render();
    assert!(text.contains("## Prompts\n\n_No prompts were recorded._\n\n## Verification"), "{text}");
    assert!(text.contains("## Verification\n\nNo verification evidence was recorded.\n\n---"), "{text}");
    let blank = vec![" ".to_string(), String::new()];
    assert!(body(&[], &blank).render().contains("No verification evidence was recorded."));
}

#[test]
fn a_long_prompt_is_cut_at_2000_characters_with_a_note() {
    // Multi-byte characters: the limit counts characters, not bytes.
    let long = "é".repeat(1_999) + "xyz";
    let prompts = prompts(&[("alice", &long), ("bob", "short")]);
    let text = body(&prompts, &[]).render();
    let quoted = format!("> {}\n", "é".repeat(1_999) + "x");
    assert!(text.contains(&quoted), "the first 2,000 characters are quoted");
    assert!(!text.contains("xy"));
    assert!(text.contains("\n_Cut short: the first 2,000 of 2,002 characters are shown._\n"), "{text}");
    assert!(text.contains("From **bob**:\n\n> short\n"));

    let exactly = prompts_of_len(1, 2_000);
    assert!(!body(&exactly, &[]).render().contains("Cut short"));
}

fn prompts_of_len(count: usize, len: usize) -> Vec<(String, String)> {
    (0..count).map(|i| (format!("user{i}"), format!("{i:05}{}", "p".repeat(len - 5)))).collect()
}

#[test]
fn multi_line_evidence_stays_in_its_list_item() {
    let evidence = vec!["cargo test\ntest result: ok. 52 passed  ".to_string(), "x".repeat(2_100)];
    let text = body(&[], &evidence).render();
    assert!(text.contains("- cargo test\n  test result: ok. 52 passed\n"), "{text}");
    assert!(text.contains(&format!("- {} …\n", "x".repeat(2_000))));
}

#[test]
fn the_body_stays_under_githubs_limit_by_leaving_out_later_prompts() {
    let prompts = prompts_of_len(100, 5_000);
    let evidence = vec!["cargo test: ok".to_string()];
    let text = body(&prompts, &evidence).render();
    assert!(chars(&text) <= MAX_BODY_CHARS, "{}", chars(&text));
    assert!(chars(&text) > MAX_BODY_CHARS - 3_000, "the room is used: {}", chars(&text));

    // The first prompts, in order, each cut; then a count of the rest.
    let shown = (0..100).take_while(|i| text.contains(&format!("From **user{i}**:"))).count();
    assert!((25..100).contains(&shown), "{shown}");
    assert!(!text.contains(&format!("From **user{shown}**")) && !text.contains("From **user99**"));
    assert_eq!(text.matches("Cut short: the first 2,000 of 5,000 characters").count(), shown);
    assert!(text.contains(&format!("_{} later prompts are not shown (GitHub limits", 100 - shown)), "{text}");

    // Everything else is whole.
    assert!(text.contains("## Summary\n\nFixed the parser.\n\n"));
    assert!(text.contains("## Verification\n\n- cargo test: ok\n"));
    assert!(text.ends_with(&format!("[Open the session in Open Inspect]({URL})")));
}

#[test]
fn one_prompt_left_out_is_singular() {
    // The fewest prompts that do not all fit leave out exactly one.
    let last_shown = |p: &[(String, String)]| body(p, &[]).render().contains(&format!("**user{}**", p.len() - 1));
    let prompts = (1..).map(|n| prompts_of_len(n, 2_500)).find(|p| !last_shown(p)).unwrap();
    let text = body(&prompts, &[]).render();
    assert!(text.contains("_1 later prompt is not shown (GitHub limits"), "{text}");
    assert!(chars(&text) <= MAX_BODY_CHARS);
}

#[test]
fn a_huge_summary_and_evidence_are_capped_too() {
    let summary = "s".repeat(100_000);
    let evidence: Vec<String> = (0..100).map(|i| format!("{i:03}{}", "e".repeat(1_997))).collect();
    let prompts = prompts_of_len(100, 3_000);
    let text = PrBody { summary: Some(&summary), asked_by: Some("alice"), ..body(&prompts, &evidence) }.render();
    assert!(chars(&text) <= MAX_BODY_CHARS, "{}", chars(&text));
    assert!(text.contains(&format!("{}\n\n_The summary is cut short here", "s".repeat(MAX_SUMMARY_CHARS))));
    assert!(!text.contains(&"s".repeat(MAX_SUMMARY_CHARS + 1)));
    let items = text.matches("\n- 0").count();
    assert!((5..100).contains(&items), "{items}");
    assert!(text.contains(&format!("- _{} more items not shown._", 100 - items)), "{text}");
    assert!(text.matches("From **user").count() >= 10, "prompts still get room");
    assert!(text.ends_with(&format!("({URL})")));
}

#[test]
fn even_an_absurd_session_url_cannot_break_the_limit() {
    let url = format!("https://example.com/{}", "a".repeat(70_000));
    let text = PrBody { session_url: &url, ..body(&prompts_of_len(3, 100), &[]) }.render();
    assert_eq!(chars(&text), MAX_BODY_CHARS);
}

#[test]
fn numbers_have_thousands_separators() {
    for (n, text) in [(0, "0"), (999, "999"), (1_000, "1,000"), (65_536, "65,536"), (1_234_567, "1,234,567")] {
        assert_eq!(thousands(n), text);
    }
}

#[test]
fn quoted_prompts_mention_nobody() {
    assert_eq!(
        quiet_mentions("ask @octocat about #12, mail a@b.c"),
        "ask @\u{2060}octocat about #\u{2060}12, mail a@b.c"
    );
    let prompts = [("ada".to_string(), "ping @grace".to_string())];
    let body =
        PrBody { summary: None, prompts: &prompts, session_url: "u", evidence: &[], screenshots: &[], asked_by: None }
            .render();
    assert!(body.contains("> ping @\u{2060}grace"), "{body}");
}

#[test]
fn evidence_screenshots_are_images_whose_caption_and_url_cannot_break_out() {
    let shots = vec![
        ("The home page".to_string(), "https://oi.example.com/api/sessions/s/shared-media/m1?key=ab".to_string()),
        ("A ](javascript:x) [caption\nwith a break".to_string(), "https://oi.example.com/x> <y".to_string()),
    ];
    let text = PrBody { screenshots: &shots, ..body(&[], &[]) }.render();
    assert!(
        text.contains(
            "## Screenshots\n\n![The home page](<https://oi.example.com/api/sessions/s/shared-media/m1?key=ab>)\n\n\
             ![A  (javascript:x)  caption with a break](<https://oi.example.com/xy>)\n\n---"
        ),
        "{text}"
    );
    let many: Vec<(String, String)> = (0..12).map(|i| (format!("shot {i}"), format!("https://x/{i}"))).collect();
    let text = PrBody { screenshots: &many, ..body(&[], &[]) }.render();
    assert_eq!(text.matches("![shot").count(), MAX_SCREENSHOTS);
    assert!(text.contains("_2 more screenshots are in the session._"), "{text}");
    assert!(!PrBody { screenshots: &[], ..body(&[], &[]) }.render().contains("## Screenshots"));
}
