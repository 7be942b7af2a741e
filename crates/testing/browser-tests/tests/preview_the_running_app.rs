//! The Preview button in a real browser: a repository lists port 3000 and its `start.sh` serves
//! a page in the sandbox; after the first prompt the Sandbox panel offers "Preview :3000", and
//! clicking it opens the page the sandbox serves in a new tab, on the preview's own origin.

use oi_browser_tests::fixture::{open_session, send_prompt, wait_outcomes};
use oi_browser_tests::{tid, UiStack, WAIT, WAIT_PROMPT};
use oi_protocol::rest::CreateSessionRequest;
use oi_testkit::BareRepo;
use serde_json::json;

const PAGE: &str = "<!doctype html><title>Widgets</title><h1 id=\"hello\">Hello from the sandbox</h1>\n";
const START: &str = "cd \"$(dirname \"$0\")/..\"\nnohup /usr/bin/python3 -m http.server 3000 --bind 127.0.0.1 >/tmp/http.log 2>&1 &\n\
for i in $(seq 50); do /usr/bin/python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", 3000))' 2>/dev/null && exit 0; sleep 0.1; done\n\
exit 1\n";

#[tokio::test]
async fn the_preview_button_opens_the_sandboxs_page_on_its_own_origin() -> anyhow::Result<()> {
    let ui = UiStack::start().await?;
    let repo = BareRepo::with_files(&[
        ("index.html", PAGE),
        (".openinspect/config.json", "{\"preview_ports\": [3000]}\n"),
        (".openinspect/start.sh", START),
    ])?;
    let request = CreateSessionRequest { repo: repo.path().display().to_string(), ..Default::default() };
    let session = ui.stack.cp.api().create_session(&request).await?;
    let browser = ui.browser().await?;
    open_session(&browser, &session.id).await?;
    send_prompt(&browser, "Hello").await?;
    let outcomes = wait_outcomes(&browser, 1, &ui).await?;
    assert_eq!(outcomes, ["completed"], "{}", ui.diagnostics());

    let button = format!("{}[data-port=\"3000\"]", tid("preview-open"));
    browser.wait_text(&button, "Preview :3000", WAIT).await?;
    let before = browser.client.windows().await?;
    browser.click(&button).await?;
    let started = std::time::Instant::now();
    let tab = loop {
        let now = browser.client.windows().await?;
        if let Some(new) = now.into_iter().find(|w| !before.contains(w)) {
            break new;
        }
        anyhow::ensure!(started.elapsed() < WAIT, "no tab opened");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    browser.client.switch_to_window(tab).await?;
    let heading = browser
        .wait_js(
            "the sandbox's page in the new tab",
            "const h = document.getElementById('hello'); return h ? [h.textContent, location.host] : null;",
            vec![],
            WAIT_PROMPT,
        )
        .await?;
    let host = format!("p-{}-3000.localhost", session.id.replace('_', "-"));
    assert_eq!(heading[0], json!("Hello from the sandbox"));
    assert!(heading[1].as_str().unwrap_or_default().starts_with(&host), "{heading}");
    Ok(())
}
