//! The whole local stack (workerd, the local provider, sandboxes, OpenCode, the scripted model)
//! with a repository to work on, and the steps the browser tests share.

use std::time::Duration;

use anyhow::Result;
use oi_protocol::rest::CreateSessionRequest;
use oi_protocol::SessionSummary;
use oi_testkit::{BareRepo, Stack, StackOptions};

use crate::browser::{Browser, BrowserOptions};
use crate::page::{tid, WAIT, WAIT_PROMPT};

pub struct UiStack {
    pub stack: Stack,
    pub repo: BareRepo,
    /// Local mode (no `AUTH_MODE=github` among the variables): each browser first opens the
    /// link `scripts/run` would print, with this control plane's token.
    local: bool,
}

impl UiStack {
    pub async fn start() -> Result<Self> {
        Self::start_with(StackOptions::default()).await
    }

    /// The stack with extra control-plane variables (GitHub sign-in, for example).
    pub async fn start_with(options: StackOptions) -> Result<Self> {
        let dist = oi_testkit::repo_root().join("web/dist");
        for file in ["index.html", "pkg/oi_web_bg.wasm", "pkg/oi_web.js"] {
            if !dist.join(file).exists() {
                anyhow::bail!(
                    "web/dist/{file} is missing: build the web app first (scripts/build runs scripts/build-web)"
                );
            }
        }
        let local = !options.vars.iter().any(|(k, v)| k == "AUTH_MODE" && v == "github");
        let stack = Stack::start_with(options).await?;
        let repo = BareRepo::with_files(&[("README.md", "# app\n")])?;
        Ok(Self { stack, repo, local })
    }

    /// The UI's origin.
    pub fn base_url(&self) -> String {
        self.stack.cp.base_url()
    }

    pub fn repo_path(&self) -> String {
        self.repo.path().display().to_string()
    }

    pub async fn browser(&self) -> Result<Browser> {
        self.browser_with(BrowserOptions::default()).await
    }

    pub async fn browser_with(&self, options: BrowserOptions) -> Result<Browser> {
        let browser = Browser::start_with(&self.base_url(), options).await?;
        if self.local {
            browser.goto(&format!("/auth/local?token={}", self.stack.cp.local_token())).await?;
        }
        Ok(browser)
    }

    /// A session created through the API (as the configured local user).
    pub async fn create_session(&self, title: Option<&str>) -> Result<SessionSummary> {
        self.stack
            .cp
            .api()
            .create_session(&CreateSessionRequest {
                repo: self.repo_path(),
                title: title.map(str::to_string),
                ..Default::default()
            })
            .await
    }

    /// The provider's log and every sandbox's supervisor log, for failure messages.
    pub fn diagnostics(&self) -> String {
        let mut out = format!("--- provider log ---\n{}", self.stack.provider_log());
        if let Ok(dirs) = std::fs::read_dir(self.stack.provider_root.path().join("sandboxes")) {
            for dir in dirs.flatten() {
                let text = std::fs::read_to_string(dir.path().join("supervisor.log")).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(30).collect();
                out.push_str(&format!("\n--- {} supervisor.log ---\n", dir.file_name().to_string_lossy()));
                out.push_str(&tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
            }
        }
        out.push_str(&format!("\n--- control plane ---\n{}", self.stack.cp.log_tail(30)));
        out
    }
}

/// Clicks "Start session" on the new-session page, waits for the session page and answers the
/// new session's id.
pub async fn start_session_from_page(browser: &Browser) -> Result<String> {
    browser.click(&tid("start-session")).await?;
    browser.wait_for(&tid("session-page"), WAIT).await?;
    let id = browser
        .js("return document.querySelector(arguments[0]).dataset.sessionId;", vec![tid("session-page").into()])
        .await?;
    Ok(id.as_str().unwrap_or_default().to_string())
}

/// Opens a session's page and waits until it is live.
pub async fn open_session(browser: &Browser, session_id: &str) -> Result<()> {
    browser.goto(&format!("/sessions/{session_id}")).await?;
    browser.wait_for(&format!("{}[data-state=\"live\"]", tid("connection")), WAIT).await
}

/// Types a prompt into the session's prompt box and presses Send.
pub async fn send_prompt(browser: &Browser, text: &str) -> Result<()> {
    browser.type_keys(&tid("prompt-input"), text).await?;
    browser.click(&tid("send-prompt")).await?;
    // Sent: the box empties.
    browser
        .wait_js(
            "the prompt box to empty after sending",
            "return document.querySelector(arguments[0]).value === '';",
            vec![serde_json::json!(tid("prompt-input"))],
            WAIT,
        )
        .await
        .map(drop)
}

/// Waits until `count` turns have ended; returns their outcomes (`completed`, `stopped`, …).
pub async fn wait_outcomes(browser: &Browser, count: usize, stack: &UiStack) -> Result<Vec<String>> {
    let found = browser
        .wait_js(
            &format!("{count} finished prompt(s)"),
            "const o = Array.from(document.querySelectorAll(arguments[0])).map(e => e.dataset.outcome);
             return o.length >= arguments[1] ? o : null;",
            vec![serde_json::json!(tid("turn-outcome")), serde_json::json!(count)],
            WAIT_PROMPT,
        )
        .await;
    match found {
        Ok(v) => Ok(serde_json::from_value(v)?),
        Err(e) => anyhow::bail!("{e:#}\n{}", stack.diagnostics()),
    }
}

/// All the agent's text in the transcript, part after part.
pub async fn assistant_text(browser: &Browser) -> Result<String> {
    Ok(browser.texts(&tid("assistant-text")).await?.join("\n"))
}

/// What a slow-text turn of `count` chunks streams in full.
pub fn slow_text(count: u32) -> String {
    (1..=count).map(|i| format!("chunk {i}")).collect::<Vec<_>>().join(" ")
}

/// A little patience for things the server does in the background.
pub async fn pause(ms: u64) {
    tokio::time::sleep(Duration::from_millis(ms)).await;
}
