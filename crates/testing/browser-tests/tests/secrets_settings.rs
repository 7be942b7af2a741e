//! Settings → Secrets against the whole stack: a repository secret is saved and shown only
//! masked (the value field is cleared, the value appears nowhere on the page), a reserved name
//! shows the API's refusal, a pasted `.env` is imported, and the audit log lists the changes.
//! The API agrees that the secrets are stored.

use oi_browser_tests::{UiStack, WAIT};
use oi_protocol::secrets::SecretList;

const VALUE: &str = "postgres://app:hunter2@db.internal/app";

#[tokio::test]
async fn a_repository_secret_is_saved_masked_imported_and_audited() -> anyhow::Result<()> {
    let ui = UiStack::start().await?;
    let browser = ui.browser().await?;
    browser.goto("/settings").await?;
    browser.wait_for("#secrets", WAIT).await?;
    browser.set_value("#secret-scope", "repo").await?;
    browser.set_value("#secret-repo", "acme/api").await?;
    browser.wait_for("#secret-name", WAIT).await?;

    browser.set_value("#secret-name", "DATABASE_URL").await?;
    browser.set_value("#secret-value", VALUE).await?;
    browser.click("#secret-save").await?;
    let row = "tr[data-secret=\"DATABASE_URL\"]";
    browser.wait_text(row, "••••••••", WAIT).await?;
    assert!(!browser.page_text().await?.contains("hunter2"), "the value is shown nowhere");
    let left = browser.js("return document.querySelector('#secret-value').value;", vec![]).await?;
    assert_eq!(left, "", "the value field is cleared after saving");

    // A reserved name: the API's own message.
    browser.set_value("#secret-name", "PATH").await?;
    browser.set_value("#secret-value", "/evil").await?;
    browser.click("#secret-save").await?;
    browser.wait_text("#secret-status", "PATH is reserved", WAIT).await?;
    assert_eq!(browser.count("tr[data-secret=\"PATH\"]").await?, 0);

    // A pasted .env.
    browser
        .set_value("#secret-import", "# from .env\nNPM_TOKEN=npm_abc123\nexport REDIS_URL='redis://cache:6379'\n")
        .await?;
    browser.click("#secret-import-save").await?;
    browser.wait_for("tr[data-secret=\"NPM_TOKEN\"]", WAIT).await?;
    browser.wait_for("tr[data-secret=\"REDIS_URL\"]", WAIT).await?;
    assert!(!browser.page_text().await?.contains("npm_abc123"));

    // The audit log names the changes, never the values.
    let audit = browser.wait_text("#secret-audit", "NPM_TOKEN", WAIT).await?;
    assert!(audit.contains("DATABASE_URL") && !audit.contains("hunter2"), "{audit}");

    let stored: SecretList = ui.stack.cp.api().raw("GET", "/api/secrets?repo=acme%2Fapi", None).await?.json()?;
    let names: Vec<&str> = stored.secrets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["DATABASE_URL", "NPM_TOKEN", "REDIS_URL"]);
    assert_eq!(stored.secrets[0].size as usize, VALUE.len());
    browser.close().await;
    Ok(())
}
