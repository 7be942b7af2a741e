//! Screenshots in headless Chromium, for the agent's `screenshot` tool ([`crate::mcp`]).
//! [`capture`] checks the request, starts Chromium ([`chromium`]: Debian's `chromium`, or
//! `OI_CHROMIUM_BIN`), drives it over the DevTools protocol ([`cdp`], a small client over one
//! WebSocket; [`page`], the steps of one screenshot) and stops it, whatever happened. [`png`]
//! reads a PNG's size.
//!
//! Why not a CDP crate: `chromiumoxide` (0.9) brings a second HTTP stack (reqwest 0.13), a second
//! WebSocket stack (async-tungstenite 0.32) and 110 000 lines of generated protocol types, for
//! the eight commands used here.
//!
//! Invariant: Chromium is started only for an `http(s)` URL and a viewport within
//! [`MIN_VIEWPORT`]`..=`[`MAX_VIEWPORT`], every step is bounded in time (the whole at most
//! [`TOTAL_TIMEOUT`]), and its whole process group is killed afterwards.

pub mod cdp;
pub mod chromium;
pub mod page;
pub mod png;

use std::path::Path;
use std::time::Duration;

use url::Url;

/// The narrowest or lowest viewport, in pixels.
pub const MIN_VIEWPORT: u32 = 200;
/// The widest or tallest viewport, in pixels.
pub const MAX_VIEWPORT: u32 = 3840;
/// How long one screenshot may take, Chromium's start included (stopping it takes at most 5 s
/// more): with the upload, within OpenCode's 60 s limit for a tool call.
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(40);

/// The browser window's size, in CSS pixels (one device pixel each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewport {
    pub width: u32,
    pub height: u32,
}

impl Viewport {
    pub const DEFAULT: Viewport = Viewport { width: 1280, height: 800 };

    /// A viewport of `width` × `height`, each within [`MIN_VIEWPORT`]`..=`[`MAX_VIEWPORT`].
    pub fn new(width: u64, height: u64) -> Result<Self, String> {
        let within = |name: &str, value: u64| match u32::try_from(value) {
            Ok(v) if (MIN_VIEWPORT..=MAX_VIEWPORT).contains(&v) => Ok(v),
            _ => Err(format!("`{name}` must be between {MIN_VIEWPORT} and {MAX_VIEWPORT} pixels (got {value})")),
        };
        Ok(Self { width: within("width", width)?, height: within("height", height)? })
    }
}

/// What of the page is captured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Area {
    /// What the viewport shows.
    Viewport,
    /// The whole document, as tall as it is (at most [`page::MAX_CAPTURE_HEIGHT`]).
    FullPage,
    /// The first element this CSS selector matches.
    Element(String),
}

/// One screenshot to take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shot {
    /// An `http` or `https` URL ([`check_url`]).
    pub url: String,
    pub viewport: Viewport,
    pub area: Area,
}

/// A screenshot: PNG bytes and their size in pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// `url` if it is an `http` or `https` URL with a host; the sandbox's own files and other
/// schemes are refused.
pub fn check_url(url: &str) -> Result<Url, String> {
    let refused = || format!("`url` must be an http:// or https:// URL (got {url:?})");
    let parsed = Url::parse(url.trim()).map_err(|_| refused())?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none_or(str::is_empty) {
        return Err(refused());
    }
    Ok(parsed)
}

/// Takes `shot` with the Chromium at `chromium_bin`; the error says why not, for the agent.
pub async fn capture(chromium_bin: &Path, shot: &Shot) -> Result<Capture, String> {
    let url = check_url(&shot.url)?;
    Viewport::new(shot.viewport.width.into(), shot.viewport.height.into())?;
    let shot = &Shot { url: url.to_string(), ..shot.clone() };
    let mut launched = None;
    let taken = tokio::time::timeout(TOTAL_TIMEOUT, async {
        let browser = chromium::Chromium::launch(chromium_bin).await.map_err(|e| format!("{e:#}"))?;
        let browser = launched.insert(browser);
        let mut cdp = cdp::Cdp::connect(&browser.devtools_url).await.map_err(|e| format!("{e:#}"))?;
        page::shoot(&mut cdp, shot).await
    })
    .await
    .unwrap_or_else(|_| Err(format!("the screenshot took longer than {} s", TOTAL_TIMEOUT.as_secs())));
    if let Some(browser) = launched {
        browser.stop().await;
    }
    let png = taken?;
    let (width, height) = png::dimensions(&png).ok_or("Chromium's image is not a PNG")?;
    Ok(Capture { png, width, height })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Width, height, and the viewport or the start of the refusal.
    type Case = (u64, u64, Result<(u32, u32), &'static str>);

    #[test]
    fn viewports_within_bounds() {
        let cases: &[Case] = &[
            (1280, 800, Ok((1280, 800))),
            (200, 3840, Ok((200, 3840))),
            (199, 800, Err("`width` must be between 200 and 3840 pixels (got 199)")),
            (1280, 3841, Err("`height` must be between 200 and 3840 pixels (got 3841)")),
            (u64::MAX, 800, Err("`width` must be between")),
        ];
        for (width, height, want) in cases {
            let got = Viewport::new(*width, *height).map(|v| (v.width, v.height));
            match (got, want) {
                (Ok(got), Ok(want)) => assert_eq!(got, *want),
                (Err(e), Err(part)) => assert!(e.starts_with(part), "{e}"),
                (got, want) => panic!("{width}×{height}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn only_http_and_https_urls() {
        let cases = [
            ("http://127.0.0.1:3000/settings", true),
            ("https://example.test", true),
            ("  http://localhost:8080/  ", true),
            ("file:///etc/passwd", false),
            ("chrome://settings", false),
            ("javascript:alert(1)", false),
            ("data:text/html,<b>x</b>", false),
            ("about:blank", false),
            ("localhost:3000", false),
            ("http://", false),
            ("", false),
        ];
        for (url, ok) in cases {
            assert_eq!(check_url(url).is_ok(), ok, "{url}");
        }
        assert_eq!(check_url("ftp://x").unwrap_err(), "`url` must be an http:// or https:// URL (got \"ftp://x\")");
    }
}
