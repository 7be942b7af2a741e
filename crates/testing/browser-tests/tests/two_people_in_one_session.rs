//! Scenario 2: two browsers, two local names, one session. Each sees the other's presence
//! (typing included); a prompt sent by one appears in the other attributed to its author,
//! followed by the agent's answer.

use oi_browser_tests::fixture::{assistant_text, open_session, send_prompt, wait_outcomes};
use oi_browser_tests::{tid, Browser, UiStack, WAIT, WAIT_PROMPT};
use oi_scripted_model::Turn;

async fn choose_name(browser: &Browser, name: &str) -> anyhow::Result<()> {
    browser.goto("/settings").await?;
    browser.wait_for(&tid("name-input"), WAIT).await?;
    browser.set_value(&tid("name-input"), name).await?;
    browser.click(&tid("save-name")).await?;
    browser.wait_for(&tid("name-saved"), WAIT).await?;
    browser.wait_text(&tid("me-name"), name, WAIT).await?;
    Ok(())
}

fn participant(name: &str) -> String {
    format!("{}[data-name=\"{name}\"]", tid("participant"))
}

#[tokio::test]
async fn two_people_see_each_other_and_each_others_prompts() -> anyhow::Result<()> {
    let ui = UiStack::start().await?;
    ui.stack.model.push(Turn::text("Hello Ada, and hello Grace."));
    let session = ui.create_session(Some("Pairing")).await?;
    let (ada, grace) = tokio::try_join!(ui.browser(), ui.browser())?;
    tokio::try_join!(choose_name(&ada, "Ada Lovelace"), choose_name(&grace, "Grace Hopper"))?;

    tokio::try_join!(open_session(&ada, &session.id), open_session(&grace, &session.id))?;
    // Each sees both people, and knows which one is them.
    for (browser, me, other) in [(&ada, "Ada Lovelace", "Grace Hopper"), (&grace, "Grace Hopper", "Ada Lovelace")] {
        browser.wait_for(&participant(other), WAIT).await?;
        browser.wait_text(&participant(me), "(you)", WAIT).await?;
    }

    // Grace types: Ada sees it.
    grace.type_keys(&tid("prompt-input"), "Thinking about it").await?;
    ada.wait_for(&format!("{}[data-presence=\"typing\"]", participant("Grace Hopper")), WAIT).await?;
    grace.set_value(&tid("prompt-input"), "").await?;

    // Ada prompts: Grace sees the prompt under Ada's name, then the answer.
    send_prompt(&ada, "Say hello to both of us").await?;
    grace.wait_text(&tid("turn-prompt"), "Say hello to both of us", WAIT_PROMPT).await?;
    assert_eq!(grace.text(&tid("turn-author")).await?.as_deref(), Some("Ada Lovelace"));
    grace.wait_text(&tid("assistant-text"), "Hello Ada, and hello Grace.", WAIT_PROMPT).await?;
    assert_eq!(wait_outcomes(&grace, 1, &ui).await?, ["completed"]);
    assert_eq!(wait_outcomes(&ada, 1, &ui).await?, ["completed"]);
    assert_eq!(assistant_text(&ada).await?, assistant_text(&grace).await?);

    // Grace leaves: Ada sees her go.
    grace.close().await;
    ada.wait_gone(&participant("Grace Hopper"), WAIT).await?;
    ada.close().await;
    Ok(())
}
