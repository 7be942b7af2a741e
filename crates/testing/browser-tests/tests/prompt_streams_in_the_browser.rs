//! Scenario 1: start a session from the new-session page, send the first prompt with Enter,
//! watch the text stream in, a tool call complete, the prompt finish and its commit and diff.

use oi_browser_tests::fixture::{assistant_text, wait_outcomes};
use oi_browser_tests::{tid, UiStack, ENTER, WAIT, WAIT_PROMPT};
use oi_scripted_model::Turn;
use serde_json::json;

const ANSWER: &str = "Created hello.txt for you. It holds one line that says hi, and nothing else at all.";

#[tokio::test]
async fn a_new_session_streams_its_first_prompt_to_a_commit() -> anyhow::Result<()> {
    let ui = UiStack::start().await?;
    ui.stack.model.push_all([
        Turn::tool_call("write", json!({"filePath": "hello.txt", "content": "hi\n"}))
            .with_text("I'll create the file."),
        Turn::text(ANSWER).with_delay_ms(120),
    ]);
    let browser = ui.browser().await?;

    browser.goto("/new").await?;
    browser.wait_for(&tid("model-select"), WAIT).await?;
    // The scripted model is the default here, and it says it is a test model.
    browser.wait_for(&tid("test-model-note"), WAIT).await?;
    browser.set_value(&tid("repo-input"), &ui.repo_path()).await?;
    browser.set_value(&tid("branch-input"), "main").await?;
    browser.type_keys(&tid("prompt-input"), "Create hello.txt").await?;
    browser.type_keys(&tid("prompt-input"), ENTER).await?;

    // Enter sent it: the page moves to the new session.
    browser
        .wait_js(
            "the session page",
            "return location.pathname.startsWith('/sessions/ses_') ? location.pathname : null;",
            vec![],
            WAIT,
        )
        .await?;
    browser.wait_for(&tid("session-page"), WAIT).await?;
    browser.wait_text(&tid("turn-prompt"), "Create hello.txt", WAIT_PROMPT).await?;

    // The tool call: collapsible, with its input, status and duration.
    browser
        .wait_for(&format!("{}[data-tool=\"write\"][data-status=\"completed\"]", tid("tool-call")), WAIT_PROMPT)
        .await?;
    // The answer streams: the page shows it growing before it is whole.
    let mut seen = Vec::<usize>::new();
    let started = std::time::Instant::now();
    loop {
        let text = assistant_text(&browser).await?;
        if seen.last() != Some(&text.len()) {
            seen.push(text.len());
        }
        if text.contains(ANSWER) || started.elapsed() > WAIT_PROMPT {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(40)).await;
    }
    assert!(assistant_text(&browser).await?.contains(ANSWER), "the whole answer arrived");
    assert!(seen.len() >= 4, "the answer streamed in pieces; saw lengths {seen:?}");

    assert_eq!(wait_outcomes(&browser, 1, &ui).await?, ["completed"]);
    let tool = browser.text(&tid("tool-call")).await?.unwrap_or_default();
    assert!(tool.contains("write") && tool.contains("hello.txt"), "tool summary: {tool}");
    browser.click(&format!("{} summary", tid("tool-call"))).await?;
    browser.wait_text(&format!("{} .tool-body", tid("tool-call")), "hi", WAIT).await?;
    assert!(browser.count(&tid("tool-duration")).await? == 1, "the call shows how long it took");

    // The commit, the branch and the per-file diff with +/- lines.
    browser.wait_for(&tid("commit-sha"), WAIT).await?;
    let branch = browser.text(&tid("commit-branch")).await?.unwrap_or_default();
    assert!(branch.starts_with("oi/ses_"), "branch {branch}");
    assert_eq!(browser.text(&tid("artifact-branch")).await?.as_deref(), Some(branch.as_str()));
    browser.wait_for(&format!("{}[data-path=\"hello.txt\"]", tid("file-diff")), WAIT).await?;
    let added = browser.texts(&format!("{} .diff-add", tid("session-diff"))).await?;
    assert!(added.iter().any(|l| l.contains("+hi")), "added lines: {added:?}");
    assert_eq!(browser.count(&tid("sync-error")).await?, 0);
    browser.wait_gone(&tid("stop-button"), WAIT).await?;
    browser.close().await;
    Ok(())
}
