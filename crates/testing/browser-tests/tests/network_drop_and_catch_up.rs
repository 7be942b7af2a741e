//! After a network drop the session page says it is reconnecting, then catches up: the
//! transcript has everything streamed meanwhile, nothing twice, nothing missing.

use oi_browser_tests::fixture::{assistant_text, open_session, pause, send_prompt, slow_text, wait_outcomes};
use oi_browser_tests::{tid, Browser, UiStack, WAIT, WAIT_PROMPT};
use oi_scripted_model::Turn;
use oi_testkit::{free_port, TcpProxy};

const CHUNKS: u32 = 80;

#[tokio::test]
async fn a_dropped_connection_reconnects_and_catches_up() -> anyhow::Result<()> {
    let ui = UiStack::start().await?;
    ui.stack.model.push(Turn::slow_text(CHUNKS, 60));
    let session = ui.create_session(None).await?;
    // The browser reaches the control plane through a proxy the test can cut.
    let proxy = TcpProxy::start(ui.stack.cp.port()).await?;
    let browser = Browser::start(&proxy.url()).await?;
    browser.goto(&format!("/auth/local?token={}", ui.stack.cp.local_token())).await?;
    open_session(&browser, &session.id).await?;
    send_prompt(&browser, "Stream through a network drop").await?;
    browser.wait_text(&tid("assistant-text"), "chunk 8 ", WAIT_PROMPT).await?;

    // Down: new connections go nowhere, open ones are cut.
    proxy.set_upstream(free_port());
    proxy.cut();
    browser.wait_for(&format!("{}[data-state=\"reconnecting\"]", tid("connection")), WAIT).await?;
    // (What arrived just before the cut may still be painting.)
    pause(300).await;
    let during = assistant_text(&browser).await?;
    pause(1_500).await;
    assert_eq!(assistant_text(&browser).await?, during, "nothing arrives while down");

    // Up again: live, caught up, then the rest of the stream.
    proxy.set_upstream(ui.stack.cp.port());
    browser.wait_for(&format!("{}[data-state=\"live\"]", tid("connection")), WAIT).await?;
    assert_eq!(wait_outcomes(&browser, 1, &ui).await?, ["completed"]);
    assert_eq!(assistant_text(&browser).await?.trim(), slow_text(CHUNKS));
    assert_eq!(browser.count(&tid("sync-error")).await?, 0);
    browser.close().await;
    Ok(())
}
