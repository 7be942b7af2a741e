//! Scenario 4: the stop button ends a slow stream; the prompt shows as stopped, and the next
//! prompt runs normally. A prompt sent meanwhile waits in the queue and can be cancelled.

use oi_browser_tests::fixture::{assistant_text, open_session, send_prompt, wait_outcomes};
use oi_browser_tests::{tid, UiStack, WAIT, WAIT_PROMPT};
use oi_scripted_model::Turn;

#[tokio::test]
async fn stop_ends_a_slow_stream_and_the_next_prompt_runs() -> anyhow::Result<()> {
    let ui = UiStack::start().await?;
    ui.stack.model.push_all([Turn::slow_text(400, 50), Turn::text("Still here.")]);
    let session = ui.create_session(None).await?;
    let browser = ui.browser().await?;
    open_session(&browser, &session.id).await?;
    send_prompt(&browser, "Tell me a long story").await?;

    browser.wait_text(&tid("assistant-text"), "chunk 5 ", WAIT_PROMPT).await?;
    browser.click(&tid("stop-button")).await?;
    assert_eq!(wait_outcomes(&browser, 1, &ui).await?, ["stopped"]);
    browser.wait_gone(&tid("stop-button"), WAIT).await?;
    assert!(!assistant_text(&browser).await?.contains("chunk 400"), "the stream was cut short");

    send_prompt(&browser, "Are you there?").await?;
    assert_eq!(wait_outcomes(&browser, 2, &ui).await?, ["stopped", "completed"]);
    browser.wait_text(&tid("assistant-text"), "Still here.", WAIT).await?;
    let prompts = browser.texts(&tid("turn-prompt")).await?;
    assert_eq!(prompts, ["Tell me a long story", "Are you there?"], "the cancelled prompt never ran");
    browser.close().await;
    Ok(())
}
