//! Reading and driving the page: CSS selectors (mostly `data-testid`), waits that poll what
//! the page shows, real clicks and keys through WebDriver.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::Locator;
use serde_json::{json, Value};

use crate::browser::Browser;

/// How long a wait lasts unless a test says otherwise.
pub const WAIT: Duration = Duration::from_secs(30);
/// Long enough for a first prompt (a sandbox boot) on a busy machine.
pub const WAIT_PROMPT: Duration = Duration::from_secs(120);

/// `[data-testid="<id>"]`
pub fn tid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

impl Browser {
    /// Opens a path of the UI (`/`, `/new`, `/sessions/…`).
    pub async fn goto(&self, path: &str) -> Result<()> {
        self.client.goto(&format!("{}{path}", self.base)).await?;
        Ok(())
    }

    pub async fn path(&self) -> Result<String> {
        Ok(self.client.current_url().await?.path().to_string())
    }

    /// Runs a script (a function body; `arguments[i]` are `args`) and returns its value.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        Ok(self.client.execute(script, args).await?)
    }

    /// Polls `script` until it returns something other than `null`, `false` or `undefined`.
    pub async fn wait_js(&self, what: &str, script: &str, args: Vec<Value>, within: Duration) -> Result<Value> {
        let started = Instant::now();
        loop {
            let value = self.js(script, args.clone()).await?;
            if !matches!(value, Value::Null | Value::Bool(false)) {
                return Ok(value);
            }
            if started.elapsed() > within {
                bail!(
                    "waited {within:?} for {what}; the page at {} shows:\n{}",
                    self.path().await.unwrap_or_default(),
                    self.page_text().await.unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until an element matches `css`.
    pub async fn wait_for(&self, css: &str, within: Duration) -> Result<()> {
        self.wait_js(
            &format!("an element {css}"),
            "return document.querySelector(arguments[0]) !== null;",
            vec![json!(css)],
            within,
        )
        .await
        .map(drop)
    }

    /// Waits until no element matches `css`.
    pub async fn wait_gone(&self, css: &str, within: Duration) -> Result<()> {
        self.wait_js(
            &format!("no element {css}"),
            "return document.querySelector(arguments[0]) === null;",
            vec![json!(css)],
            within,
        )
        .await
        .map(drop)
    }

    /// Waits until an element matching `css` shows text containing `text`; returns its text.
    pub async fn wait_text(&self, css: &str, text: &str, within: Duration) -> Result<String> {
        let found = self
            .wait_js(
                &format!("{css} showing {text:?}"),
                "for (const e of document.querySelectorAll(arguments[0])) {
                   if (e.innerText.includes(arguments[1])) return e.innerText;
                 }
                 return null;",
                vec![json!(css), json!(text)],
                within,
            )
            .await?;
        Ok(found.as_str().unwrap_or_default().to_string())
    }

    /// The text of every element matching `css`, in document order.
    pub async fn texts(&self, css: &str) -> Result<Vec<String>> {
        let value = self
            .js("return Array.from(document.querySelectorAll(arguments[0])).map(e => e.innerText);", vec![json!(css)])
            .await?;
        Ok(serde_json::from_value(value)?)
    }

    /// The text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> Result<Option<String>> {
        Ok(self.texts(css).await?.into_iter().next())
    }

    pub async fn count(&self, css: &str) -> Result<usize> {
        let value = self.js("return document.querySelectorAll(arguments[0]).length;", vec![json!(css)]).await?;
        Ok(value.as_u64().unwrap_or(0) as usize)
    }

    /// The whole page's visible text (for failure messages).
    pub async fn page_text(&self) -> Result<String> {
        let value = self.js("return document.body ? document.body.innerText : '';", vec![]).await?;
        Ok(value.as_str().unwrap_or_default().chars().take(4_000).collect())
    }

    /// A real click on the first element matching `css`.
    pub async fn click(&self, css: &str) -> Result<()> {
        self.wait_for(css, WAIT).await?;
        // Centre it first, clear of the sticky bars at the top and bottom.
        self.js("document.querySelector(arguments[0]).scrollIntoView({block: 'center'});", vec![json!(css)]).await?;
        let element = self.client.find(Locator::Css(css)).await?;
        element.click().await.map_err(|e| anyhow::anyhow!("click {css}: {e}"))?;
        Ok(())
    }

    /// Real key presses into the first element matching `css` (`\u{E007}` is Enter).
    pub async fn type_keys(&self, css: &str, keys: &str) -> Result<()> {
        self.wait_for(css, WAIT).await?;
        let element = self.client.find(Locator::Css(css)).await?;
        element.send_keys(keys).await.with_context(|| format!("type into {css}"))?;
        Ok(())
    }

    /// One key pressed and released wherever the focus is (`\u{E004}` is Tab).
    pub async fn press_key(&self, key: char) -> Result<()> {
        let keys =
            KeyActions::new("keyboard".into()).then(KeyAction::Down { value: key }).then(KeyAction::Up { value: key });
        self.client.perform_actions(keys).await.with_context(|| format!("press {key:?}"))?;
        Ok(())
    }

    /// Replaces a field's value at once and tells the app (an `input` event), for text too
    /// long to type key by key.
    pub async fn set_value(&self, css: &str, value: &str) -> Result<()> {
        self.wait_for(css, WAIT).await?;
        self.js(
            "const e = document.querySelector(arguments[0]);
             e.focus();
             e.value = arguments[1];
             e.dispatchEvent(new Event('input', {bubbles: true}));",
            vec![json!(css), json!(value)],
        )
        .await?;
        Ok(())
    }

    /// Saves a PNG of the viewport.
    pub async fn screenshot(&self, path: &Path) -> Result<()> {
        let png = self.client.screenshot().await?;
        std::fs::write(path, png).with_context(|| format!("write {}", path.display()))?;
        Ok(())
    }
}

/// Enter, as WebDriver sends it.
pub const ENTER: &str = "\u{E007}";
/// Tab, as WebDriver sends it.
pub const TAB: char = '\u{E004}';
