//! Media in the session page, in a real browser: an image attached with the prompt box's file
//! input is uploaded, sent with the prompt, shown under it and handed to the model; a
//! screenshot the agent uploads appears in the transcript's gallery, and the lightbox shows it
//! (its bytes loaded through the session's access check) and closes with Escape.

use fantoccini::Locator;
use oi_browser_tests::fixture::{open_session, send_prompt, wait_outcomes};
use oi_browser_tests::{tid, UiStack, WAIT, WAIT_PROMPT};
use oi_testkit::media::png;
use serde_json::json;

#[tokio::test]
async fn an_attached_image_and_an_agents_screenshot_show_in_the_page() -> anyhow::Result<()> {
    let ui = UiStack::start().await?;
    let session = ui.create_session(Some("Media")).await?;
    let browser = ui.browser().await?;
    open_session(&browser, &session.id).await?;

    // Attach through the file input: the chip uploads, then the prompt carries it.
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("mockup.png");
    std::fs::write(&file, png(40, 30, [10, 120, 200]))?;
    let input = browser.client.find(Locator::Css(&tid("attach-input"))).await?;
    input.send_keys(&file.display().to_string()).await?;
    browser.wait_for(&format!("{}[data-state=\"uploaded\"]", tid("attachment-chip")), WAIT).await?;
    send_prompt(&browser, "What colour is this?").await?;
    browser.wait_for(&tid("prompt-attachment"), WAIT).await?;
    assert_eq!(browser.count(&tid("attachment-chip")).await?, 0, "the chips went with the prompt");
    let outcomes = wait_outcomes(&browser, 1, &ui).await?;
    assert_eq!(outcomes, ["completed"], "{}", ui.diagnostics());
    let images: Vec<_> = ui.stack.model.requests().into_iter().flat_map(|r| r.images).collect();
    assert_eq!(images.first().and_then(|i| i.mime.as_deref()), Some("image/png"), "the model saw the image");

    // A screenshot from the agent's sandbox route (a token for a bridge started by hand).
    let api = ui.stack.cp.api();
    let token = api.attach_sandbox(&session.id).await?.token;
    let upload =
        format!("/api/sessions/{}/sandbox/media?kind=screenshot&name=home.png&caption=Home&evidence=true", session.id);
    let shot = api
        .anonymous()
        .with_token(&token)
        .post_bytes(&upload, &png(320, 200, [0, 170, 119]), Some("image/png"))
        .await?;
    assert_eq!(shot.status, 201, "{}", shot.body);

    // The gallery lists both pieces; the lightbox shows the screenshot's loaded image.
    browser.wait_for(&format!("{}[data-count=\"2\"]", tid("gallery")), WAIT).await?;
    browser.click(&format!("{}[data-kind=\"screenshot\"] button", tid("gallery-item"))).await?;
    browser.wait_for(&tid("lightbox"), WAIT).await?;
    browser.wait_text(&tid("lightbox-label"), "320×200", WAIT).await?;
    let loaded = browser
        .wait_js(
            "the lightbox's image to load",
            "const img = document.querySelector(arguments[0] + ' img'); \
             return img && img.complete && img.naturalWidth > 0 ? [img.naturalWidth, img.naturalHeight] : null;",
            vec![json!(tid("lightbox"))],
            WAIT,
        )
        .await?;
    assert_eq!(loaded, json!([320, 200]));
    browser.press_key('\u{E00C}').await?; // Escape
    browser.wait_gone(&tid("lightbox"), WAIT_PROMPT).await?;
    Ok(())
}
