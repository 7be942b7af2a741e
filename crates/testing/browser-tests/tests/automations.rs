//! Automations against the whole stack: a scheduled automation is created from the page (its
//! secret is shown once), "Run now" starts a run that shows in the history, the run's session
//! page loads and says which automation started it, and the sessions list shows and filters
//! by that origin. The API agrees on what was created.

use oi_browser_tests::fixture::pause;
use oi_browser_tests::{tid, Browser, UiStack, WAIT, WAIT_PROMPT};
use oi_protocol::automations::{AutomationList, Trigger};
use oi_scripted_model::Turn;
use serde_json::json;

const NAME: &str = "Nightly check";

/// The `data-*` value of the first element matching `css`.
async fn data(browser: &Browser, css: &str, key: &str) -> anyhow::Result<String> {
    let value = browser
        .js("return document.querySelector(arguments[0]).dataset[arguments[1]];", vec![json!(css), json!(key)])
        .await?;
    Ok(value.as_str().unwrap_or_default().to_string())
}

/// Clicks, again if the page drew the element anew meanwhile (the run history refreshes).
async fn click_settled(browser: &Browser, css: &str) -> anyhow::Result<()> {
    let mut tries = 0;
    loop {
        match browser.click(css).await {
            Ok(()) => return Ok(()),
            Err(e) if tries < 3 => {
                tries += 1;
                eprintln!("retrying a click on {css}: {e:#}");
                pause(200).await;
            }
            Err(e) => return Err(e),
        }
    }
}

#[tokio::test]
async fn a_scheduled_automation_runs_now_and_its_session_names_it() -> anyhow::Result<()> {
    let ui = UiStack::start().await?;
    let browser = ui.browser().await?;

    // From the top bar to the form.
    browser.goto("/").await?;
    browser.click(&tid("nav-automations")).await?;
    browser.wait_for(&tid("new-automation-link"), WAIT).await?;
    assert_eq!(browser.path().await?, "/automations");
    browser.click(&tid("new-automation-link")).await?;
    browser.wait_for(&tid("automation-form"), WAIT).await?;

    browser.set_value(&tid("automation-name-input"), NAME).await?;
    browser.set_value(&tid("repo-input"), &ui.repo_path()).await?;
    browser.set_value(&tid("automation-prompt-input"), "Say hello").await?;
    browser.set_value(&tid("trigger-select"), "schedule").await?;
    browser.set_value(&tid("cron-input"), "0 9 * * *").await?;
    browser.set_value(&tid("timezone-input"), "UTC").await?;
    browser.click(&tid("save-automation")).await?;

    // Its page, with the secret shown this once.
    browser.wait_for(&tid("automation-page"), WAIT).await?;
    let id = data(&browser, &tid("automation-page"), "automationId").await?;
    assert!(id.starts_with("aut_"), "{id:?}");
    browser.wait_for(&tid("secret-reveal"), WAIT).await?;
    let secret =
        browser.js("return document.querySelector(arguments[0]).value;", vec![json!(tid("secret-value"))]).await?;
    assert!(!secret.as_str().unwrap_or_default().is_empty(), "the secret is shown");
    browser.wait_text(&tid("secret-once-note"), "not shown again", WAIT).await?;
    assert_eq!(browser.count(&tid("webhook-url")).await?, 0, "a schedule has no webhook URL");
    browser.wait_text(&tid("automation-name"), NAME, WAIT).await?;
    browser.wait_text(&tid("automation-trigger"), "Every day at 09:00 (UTC)", WAIT).await?;
    assert_eq!(data(&browser, &tid("automation-state"), "state").await?, "enabled");
    browser.click(&tid("secret-dismiss")).await?;
    browser.wait_gone(&tid("secret-reveal"), WAIT).await?;

    // Run now: a run shows in the history, running or already done.
    ui.stack.model.push(Turn::text("Hello from the automation."));
    browser.click(&tid("run-now")).await?;
    let started = format!("{row}[data-status=\"running\"], {row}[data-status=\"succeeded\"]", row = tid("run-row"));
    browser.wait_for(&started, WAIT_PROMPT).await?;
    assert_eq!(browser.count(&tid("run-row")).await?, 1);
    browser.wait_text(&tid("run-trigger"), "Run now", WAIT).await?;

    // Its session: the page loads and names the automation, linking back to it.
    let link = format!("{} {}", tid("run-row"), tid("run-session"));
    browser.wait_for(&link, WAIT_PROMPT).await?;
    click_settled(&browser, &link).await?;
    browser.wait_for(&tid("session-page"), WAIT).await?;
    let session_id = data(&browser, &tid("session-page"), "sessionId").await?;
    assert!(browser.path().await?.ends_with(&session_id));
    let origin = browser.wait_text(&tid("session-origin"), NAME, WAIT).await?;
    assert!(origin.starts_with("Started by the automation"), "{origin}");
    assert_eq!(data(&browser, &tid("session-origin"), "origin").await?, "automation");
    let back = browser
        .js("return document.querySelector(arguments[0]).getAttribute('href');", vec![json!(tid("origin-link"))])
        .await?;
    assert_eq!(back.as_str(), Some(format!("/automations/{id}").as_str()));

    // The sessions list: its badge, and the origin filter.
    let row = format!("{}[data-session-id=\"{session_id}\"]", tid("session-row"));
    let own = ui.create_session(Some("By hand")).await?;
    browser.goto("/").await?;
    browser.wait_for(&row, WAIT).await?;
    browser.wait_text(&format!("{row} {}", tid("origin-badge")), &format!("Automation · {NAME}"), WAIT).await?;
    browser.set_value(&tid("origin-filter"), "automation").await?;
    browser.wait_gone(&format!("{}[data-session-id=\"{}\"]", tid("session-row"), own.id), WAIT).await?;
    browser.wait_for(&row, WAIT).await?;

    // Back on the automation's page the secret is not shown again; the run is there.
    browser.goto(&format!("/automations/{id}")).await?;
    browser.wait_for(&tid("run-row"), WAIT).await?;
    assert_eq!(browser.count(&tid("secret-reveal")).await?, 0, "the secret is shown once");

    // The list names it with its trigger.
    browser.goto("/automations").await?;
    let listed = format!("{}[data-automation-id=\"{id}\"]", tid("automation-row"));
    browser.wait_text(&listed, NAME, WAIT).await?;
    browser.wait_text(&format!("{listed} {}", tid("automation-trigger")), "Every day at 09:00 (UTC)", WAIT).await?;

    let stored: AutomationList = ui.stack.cp.api().raw("GET", "/api/automations", None).await?.json()?;
    assert_eq!(stored.automations.len(), 1);
    let automation = &stored.automations[0];
    assert_eq!((automation.id.as_str(), automation.name.as_str()), (id.as_str(), NAME));
    assert_eq!(automation.repo, ui.repo_path());
    assert_eq!(automation.trigger, Trigger::Schedule { cron: "0 9 * * *".into(), timezone: "UTC".into() });
    assert!(automation.enabled);
    browser.close().await;
    Ok(())
}
