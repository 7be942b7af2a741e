//! Scenario 3: reloading in the middle of a stream rebuilds the transcript from the session's
//! log: complete, in order, nothing twice. Again after the prompt ends, when the log has been
//! compacted.

use oi_browser_tests::fixture::{assistant_text, open_session, send_prompt, slow_text, wait_outcomes};
use oi_browser_tests::{tid, UiStack, WAIT, WAIT_PROMPT};
use oi_scripted_model::Turn;

const CHUNKS: u32 = 60;

fn assert_whole(text: &str) {
    let expected = slow_text(CHUNKS);
    assert_eq!(text.trim(), expected, "the transcript holds the whole stream exactly once");
    for i in [1, 2, 10, 11, 30, CHUNKS] {
        assert_eq!(
            text.matches(&format!("chunk {i} ")).count() + usize::from(text.ends_with(&format!("chunk {i}"))),
            1
        );
    }
}

#[tokio::test]
async fn a_reload_mid_stream_shows_everything_once() -> anyhow::Result<()> {
    let ui = UiStack::start().await?;
    ui.stack.model.push(Turn::slow_text(CHUNKS, 80));
    let session = ui.create_session(None).await?;
    let browser = ui.browser().await?;
    open_session(&browser, &session.id).await?;
    send_prompt(&browser, "Stream for a while").await?;

    browser.wait_text(&tid("assistant-text"), "chunk 12 ", WAIT_PROMPT).await?;
    browser.client.refresh().await?;
    browser.wait_for(&format!("{}[data-state=\"live\"]", tid("connection")), WAIT).await?;
    // Mid-stream after the reload: what arrived before is there, the stream goes on.
    let early = assistant_text(&browser).await?;
    assert!(early.starts_with("chunk 1 chunk 2 chunk 3"), "after reload: {early}");
    assert!(!early.contains(&format!("chunk {CHUNKS}")), "the reload happened mid-stream");

    assert_eq!(wait_outcomes(&browser, 1, &ui).await?, ["completed"]);
    assert_whole(&assistant_text(&browser).await?);
    assert_eq!(browser.count(&tid("sync-error")).await?, 0);

    // Once more after the end: the log is compacted now, the page must not change.
    browser.client.refresh().await?;
    assert_eq!(wait_outcomes(&browser, 1, &ui).await?, ["completed"]);
    assert_whole(&assistant_text(&browser).await?);
    assert_eq!(browser.count(&tid("turn")).await?, 1);
    browser.close().await;
    Ok(())
}
