//! Scenario 5: a request the API refuses shows the API's own message: an oversize prompt
//! (64,001 characters) on the new-session page and in a session, and an unknown session.

use oi_browser_tests::fixture::open_session;
use oi_browser_tests::{tid, UiStack, WAIT};

const TOO_LONG: &str = "the prompt has 64001 characters; the limit is 64000";

#[tokio::test]
async fn refused_requests_show_the_apis_message() -> anyhow::Result<()> {
    let ui = UiStack::start().await?;
    let browser = ui.browser().await?;
    let long = "x".repeat(64_001);

    // New session: the session is created, the prompt is refused with the API's words.
    browser.goto("/new").await?;
    browser.set_value(&tid("repo-input"), &ui.repo_path()).await?;
    browser.set_value(&tid("prompt-input"), &long).await?;
    assert_eq!(browser.text(&tid("prompt-length")).await?.as_deref(), Some("64001 / 64000 characters"));
    browser.click(&tid("start-session")).await?;
    assert_eq!(browser.wait_text(&tid("error"), TOO_LONG, WAIT).await?, TOO_LONG);
    browser.wait_for(&tid("created-note"), WAIT).await?;
    assert_eq!(browser.path().await?, "/new", "the page stays, with the text, to fix it");

    // In a session: the same message under the prompt box, and the text stays.
    let session = ui.create_session(None).await?;
    open_session(&browser, &session.id).await?;
    browser.set_value(&tid("prompt-input"), &long).await?;
    browser.click(&tid("send-prompt")).await?;
    assert_eq!(browser.wait_text(&tid("error"), TOO_LONG, WAIT).await?, TOO_LONG);
    let kept = browser
        .js("return document.querySelector(arguments[0]).value.length;", vec![tid("prompt-input").into()])
        .await?;
    assert_eq!(kept.as_u64(), Some(64_001));

    // A session that does not exist: its error, not a blank page.
    browser.goto("/sessions/ses_000000000000ffffffffffffffff").await?;
    let shown = browser.wait_text(&tid("error"), "", WAIT).await?;
    assert!(!shown.trim().is_empty(), "an error message is shown");
    assert_eq!(
        browser.js("return document.querySelector(arguments[0]).dataset.code;", vec![tid("error").into()]).await?,
        "session_not_found"
    );
    browser.close().await;
    Ok(())
}
