//! GitHub sign-in in the browser: the sign-in screen, the whole OAuth round trip through the
//! GitHub double, the app signed in (its API calls and WebSocket carry the session cookie),
//! sign-out, and a person outside the allowlist.

use oi_browser_tests::fixture::{open_session, start_session_from_page};
use oi_browser_tests::github::people;
use oi_browser_tests::{tid, Browser, GithubUi, TAB, WAIT};
use serde_json::json;

/// The status of `GET /api/me` as the page's own fetch sees it (with its cookies).
async fn me_status(browser: &Browser) -> anyhow::Result<u64> {
    let status = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch('/api/me').then(r => done(r.status), e => done(String(e)));",
            vec![],
        )
        .await?;
    status.as_u64().ok_or_else(|| anyhow::anyhow!("fetch /api/me failed: {status}"))
}

#[tokio::test]
async fn sign_in_with_github_use_the_app_and_sign_out() -> anyhow::Result<()> {
    let stack = GithubUi::start(people(), "acme").await?;
    stack.github.set_authorizing_user("ada");
    let browser = stack.browser().await?;

    // Not signed in: the sign-in screen, not the app, whatever the address.
    browser.goto("/new").await?;
    browser.wait_for(&tid("sign-in"), WAIT).await?;
    assert_eq!(browser.count(&tid("new-session-form")).await?, 0, "no app behind the sign-in screen");
    assert_eq!(browser.client.title().await?, "Sign in · Open Inspect");
    let link = tid("sign-in-github");
    let href =
        browser.js("return document.querySelector(arguments[0]).getAttribute('href');", vec![json!(link)]).await?;
    assert_eq!(href, "/auth/github/login?return_to=%2Fnew", "it comes back to this page");
    // Labelled, and the first thing Tab reaches.
    let labelled = browser
        .js(
            "const s = document.querySelector(arguments[0]);
             return document.getElementById(s.getAttribute('aria-labelledby')).innerText;",
            vec![json!(tid("sign-in"))],
        )
        .await?;
    assert_eq!(labelled, "Sign in to Open Inspect");
    browser.press_key(TAB).await?;
    let focused = browser.js("return document.activeElement.dataset.testid || null;", vec![]).await?;
    assert_eq!(focused, "sign-in-github", "Tab reaches the sign-in link first");
    assert_eq!(browser.text(&link).await?.as_deref(), Some("Sign in with GitHub"));

    // GitHub (the double) approves at once and sends the browser back, signed in, to /new.
    browser.click(&link).await?;
    let shown = browser.wait_text(&tid("me-name"), "Ada Lovelace", WAIT).await;
    if let Err(e) = shown {
        anyhow::bail!("{e:#}\n--- control plane ---\n{}", stack.ui.stack.cp.log_tail(40));
    }
    assert_eq!(browser.path().await?, "/new");
    assert_eq!(browser.text(&tid("me-role")).await?.as_deref(), Some("Admin"), "the first person is admin");
    assert_eq!(browser.count(&tid("auth-mode")).await?, 0, "no local-mode label when signed in");
    assert_eq!(me_status(&browser).await?, 200);

    // The cookie works for the API: a new session (a POST), its page and its WebSocket.
    browser.set_value(&tid("repo-input"), &stack.ui.repo_path()).await?;
    browser.set_value(&tid("title-input"), "Signed-in work").await?;
    let id = start_session_from_page(&browser).await?;
    open_session(&browser, &id).await?;
    browser.goto("/").await?;
    let row = format!("{}[data-session-id=\"{id}\"]", tid("session-row"));
    let text = browser.wait_text(&row, "Signed-in work", WAIT).await?;
    assert!(text.contains("by Ada Lovelace"), "the session is Ada's: {text}");

    // Settings says how.
    browser.goto("/settings").await?;
    browser.wait_text(&tid("signed-in-as"), "Signed in with GitHub as Ada Lovelace", WAIT).await?;

    // Sign out: the page reloads as the sign-in screen, and stays so.
    browser.click(&tid("sign-out")).await?;
    browser.wait_for(&tid("sign-in"), WAIT).await?;
    assert_eq!(browser.count(&tid("me-name")).await?, 0);
    assert_eq!(me_status(&browser).await?, 401);
    browser.goto("/").await?;
    browser.wait_for(&tid("sign-in"), WAIT).await?;
    browser.close().await;
    Ok(())
}

#[tokio::test]
async fn someone_outside_the_allowlist_is_not_let_in() -> anyhow::Result<()> {
    let stack = GithubUi::start(people(), "acme").await?;
    stack.github.set_authorizing_user("mallory");
    let browser = stack.browser().await?;

    browser.goto("/").await?;
    browser.click(&tid("sign-in-github")).await?;
    browser
        .wait_js("the \"Not allowed\" page", "return document.title === 'Not allowed · Open Inspect';", vec![], WAIT)
        .await?;
    assert_eq!(browser.text("h1").await?.as_deref(), Some("Not allowed"));
    browser.wait_text("#message", "mallory may not sign in", WAIT).await?;
    assert_eq!(me_status(&browser).await?, 401, "no session for mallory");

    // The app still asks for sign-in.
    browser.goto("/").await?;
    browser.wait_for(&tid("sign-in"), WAIT).await?;
    browser.close().await;
    Ok(())
}
