//! The sessions list: everyone's and mine, search, archive and unarchive, and a status that
//! moves without a reload.

use oi_browser_tests::fixture::{pause, start_session_from_page};
use oi_browser_tests::{tid, UiStack, WAIT, WAIT_PROMPT};
use oi_protocol::rest::PromptRequest;
use oi_scripted_model::Turn;

fn row(id: &str) -> String {
    format!("{}[data-session-id=\"{id}\"]", tid("session-row"))
}

#[tokio::test]
async fn the_list_filters_archives_and_updates_live() -> anyhow::Result<()> {
    let ui = UiStack::start().await?;
    let browser = ui.browser().await?;
    browser.goto("/").await?;
    browser.wait_for(&tid("empty"), WAIT).await?;
    // No sign-in here, and the top bar says so.
    browser.wait_text(&tid("auth-mode"), "Local mode", WAIT).await?;
    assert_eq!(browser.count(&tid("sign-out")).await?, 0);

    // Someone else's session (the API's default local user) and one of ours.
    let theirs = ui.create_session(Some("Their cleanup")).await?;
    browser.goto("/settings").await?;
    browser.set_value(&tid("name-input"), "Ada Lovelace").await?;
    browser.click(&tid("save-name")).await?;
    browser.wait_for(&tid("name-saved"), WAIT).await?;
    browser.goto("/new").await?;
    browser.set_value(&tid("repo-input"), &ui.repo_path()).await?;
    browser.set_value(&tid("title-input"), "Ada's refactor").await?;
    let mine = start_session_from_page(&browser).await?;

    browser.goto("/").await?;
    browser.wait_for(&row(&mine), WAIT).await?;
    browser.wait_for(&row(&theirs.id), WAIT).await?;
    assert_eq!(
        browser.text(&format!("{} [data-testid=\"session-status\"]", row(&mine))).await?.as_deref(),
        Some("New")
    );

    // Mine only.
    browser.click(&tid("scope-mine")).await?;
    browser.wait_gone(&row(&theirs.id), WAIT).await?;
    browser.wait_for(&row(&mine), WAIT).await?;
    browser.click(&tid("scope-all")).await?;
    browser.wait_for(&row(&theirs.id), WAIT).await?;

    // Search by title.
    browser.type_keys(&tid("search"), "cleanup").await?;
    browser.wait_gone(&row(&mine), WAIT).await?;
    browser.wait_for(&row(&theirs.id), WAIT).await?;
    browser.set_value(&tid("search"), "").await?;
    browser.wait_for(&row(&mine), WAIT).await?;

    // Archive mine (a member archives only her own): it leaves the list, and shows among the
    // archived, where it comes back.
    browser.click(&format!("{} {}", row(&mine), tid("archive-toggle"))).await?;
    browser.wait_gone(&row(&mine), WAIT).await?;
    browser.click(&tid("archived-filter")).await?;
    browser.wait_for(&row(&mine), WAIT).await?;
    browser.wait_gone(&row(&theirs.id), WAIT).await?;
    browser.click(&format!("{} {}", row(&mine), tid("archive-toggle"))).await?;
    browser.wait_gone(&row(&mine), WAIT).await?;
    browser.click(&tid("archived-filter")).await?;
    browser.wait_for(&row(&mine), WAIT).await?;
    browser.wait_for(&row(&theirs.id), WAIT).await?;

    // A prompt elsewhere moves the status here without a reload.
    ui.stack.model.push(Turn::text("Done."));
    let api = ui.stack.cp.api();
    api.prompt(
        &theirs.id,
        &PromptRequest {
            text: "Clean up".into(),
            client_request_id: "list-test-1".into(),
            model: None,
            attachments: Vec::new(),
        },
    )
    .await?;
    let status = format!("{} [data-testid=\"session-status\"]", row(&theirs.id));
    browser.wait_for(&format!("{status}[data-status=\"running\"]"), WAIT).await?;
    browser.wait_for(&format!("{status}[data-status=\"idle\"]"), WAIT_PROMPT).await?;

    // A repository nobody can create a session on: the API's message.
    browser.goto("/new").await?;
    browser.set_value(&tid("repo-input"), "   ").await?;
    browser
        .js("document.querySelector(arguments[0]).removeAttribute('required');", vec![tid("repo-input").into()])
        .await?;
    pause(100).await;
    browser.click(&tid("start-session")).await?;
    browser.wait_text(&tid("error"), "`repo` must not be empty", WAIT).await?;
    browser.close().await;
    Ok(())
}
