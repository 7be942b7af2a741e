//! Saves the README's screenshots to docs/images/: the sessions list, a new session, a session
//! with a finished prompt and its diff (light, dark and phone width), settings, and the sign-in
//! screen (GitHub mode, with the GitHub double). It runs the whole local stack with the scripted
//! model, like the browser tests:
//!
//! ```sh
//! bash scripts/build && cargo build --workspace --bins
//! cargo run -p oi-browser-tests --example screenshots           # all of them
//! cargo run -p oi-browser-tests --example screenshots -- sign-in # only sign-in.png
//! ```

use std::path::{Path, PathBuf};

use anyhow::Result;
use oi_browser_tests::fixture::{open_session, send_prompt, wait_outcomes};
use oi_browser_tests::github::people;
use oi_browser_tests::{tid, Browser, BrowserOptions, GithubUi, UiStack, WAIT};
use oi_scripted_model::Turn;
use serde_json::json;

fn main() -> Result<()> {
    // Examples live in target/<profile>/examples; the stack's binaries one level up.
    if std::env::var_os("OI_BIN_DIR").is_none() {
        let exe = std::env::current_exe()?;
        if let Some(profile) = exe.parent().and_then(|d| d.parent()) {
            std::env::set_var("OI_BIN_DIR", profile);
        }
    }
    let only_sign_in = std::env::args().any(|a| a == "sign-in");
    tokio::runtime::Runtime::new()?.block_on(async {
        let out = oi_testkit::repo_root().join("docs/images");
        std::fs::create_dir_all(&out)?;
        if !only_sign_in {
            run(&out).await?;
        }
        sign_in(&out).await?;
        println!("screenshots in {}", out.display());
        Ok(())
    })
}

async fn run(out: &Path) -> Result<()> {
    let ui = UiStack::start().await?;

    // A few sessions, so the list has something to show.
    for title in ["Upgrade the CI runner", "Fix the flaky login test"] {
        ui.create_session(Some(title)).await?;
    }
    let archived = ui.create_session(Some("Spike: try a new parser")).await?;
    ui.stack.cp.api().archive(&archived.id, true).await?;
    let session = ui.create_session(Some("Add a greeting file")).await?;

    ui.stack.model.push_all([
        Turn::tool_call("bash", json!({"command": "ls -la", "description": "List the repository"}))
            .with_text("Let me look at the repository first."),
        Turn::tool_call("write", json!({"filePath": "hello.txt", "content": "hi\n"})).with_text("I'll add the file."),
        Turn::tool_call(
            "edit",
            json!({"filePath": "README.md", "oldString": "# app", "newString": "# app\n\nSays hi: see `hello.txt`."}),
        )
        .with_text("And mention it in the README."),
        Turn::text(
            "Done. I created `hello.txt`:\n\n```text\nhi\n```\n\nand pointed to it from the **README**. \
             The commit is on the session branch.",
        ),
    ]);

    let browser = ui.browser().await?;
    choose_name(&browser, "Ada Lovelace").await?;
    open_session(&browser, &session.id).await?;
    send_prompt(&browser, "Add hello.txt that says hi, and mention it in the README").await?;
    wait_outcomes(&browser, 1, &ui).await?;
    browser.wait_for(&tid("commit-sha"), WAIT).await?;
    // Open the shell command, to show its terminal; a tall window shows the whole prompt.
    browser.client.set_window_size(1280, 1400).await?;
    browser.click(&format!("{}[data-tool=\"bash\"] summary", tid("tool-call"))).await?;
    browser.js("window.scrollTo(0, 0);", vec![]).await?;
    shot(&browser, out, "session.png").await?;
    browser.client.set_window_size(1280, 900).await?;

    browser.goto("/").await?;
    browser.wait_for(&tid("session-row"), WAIT).await?;
    shot(&browser, out, "sessions.png").await?;

    browser.goto("/new").await?;
    browser.wait_for(&tid("model-select"), WAIT).await?;
    browser.set_value(&tid("repo-input"), &ui.repo_path()).await?;
    browser.set_value(&tid("title-input"), "Add a contributing guide").await?;
    browser.type_keys(&tid("prompt-input"), "Write CONTRIBUTING.md with how to build and test").await?;
    shot(&browser, out, "new-session.png").await?;

    browser.goto("/settings").await?;
    browser.wait_for(&tid("model-list"), WAIT).await?;
    shot(&browser, out, "settings.png").await?;
    browser.close().await;

    for (name, options) in [
        ("session-dark.png", BrowserOptions { dark: true, ..Default::default() }),
        ("session-phone.png", BrowserOptions { width: 390, height: 844, ..Default::default() }),
    ] {
        let browser = ui.browser_with(options).await?;
        choose_name(&browser, "Grace Hopper").await?;
        open_session(&browser, &session.id).await?;
        browser.wait_for(&tid("commit-sha"), WAIT).await?;
        shot(&browser, out, name).await?;
        browser.close().await;
    }
    Ok(())
}

/// The sign-in screen of a deployment in GitHub mode.
async fn sign_in(out: &Path) -> Result<()> {
    let stack = GithubUi::start(people(), "acme").await?;
    let browser = stack.browser().await?;
    browser.goto("/").await?;
    browser.wait_for(&tid("sign-in-github"), WAIT).await?;
    shot(&browser, out, "sign-in.png").await?;
    browser.close().await;
    Ok(())
}

async fn choose_name(browser: &Browser, name: &str) -> Result<()> {
    browser.goto("/settings").await?;
    browser.wait_for(&tid("name-input"), WAIT).await?;
    browser.set_value(&tid("name-input"), name).await?;
    browser.click(&tid("save-name")).await?;
    browser.wait_text(&tid("me-name"), name, WAIT).await?;
    Ok(())
}

async fn shot(browser: &Browser, dir: &Path, name: &str) -> Result<()> {
    // Let fonts and the last repaint settle.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let path: PathBuf = dir.join(name);
    browser.screenshot(&path).await?;
    println!("saved {}", path.display());
    Ok(())
}
