//! The `screenshot` tool: its definition, its arguments, the call and what the model is told.
//! The call takes the screenshot in headless Chromium ([`crate::browser`]) and uploads the PNG
//! through the supervisor's egress (`POST {OI_EGRESS_URL}/tools/media?<AgentUpload>`, on to the
//! session's `POST /api/sessions/:id/sandbox/media` with the sandbox token), which stores it and
//! shows it in the session; this process holds no token.

use std::path::Path;
use std::time::Duration;

use oi_protocol::media::{AgentUpload, MediaInfo, MediaKind, MAX_CAPTION_CHARS, MAX_IMAGE_BYTES, MAX_MEDIA_NAME_CHARS};
use serde_json::{json, Value};

use super::answers::failure;
use super::origin::{fields, text};
use super::protocol::{tool_result, tool_result_with_image};
use crate::browser::{self, Area, Capture, Shot, Viewport};
use crate::egress::Egress;

/// The tool's name (OpenCode offers it as `openinspect_screenshot`).
pub const NAME: &str = "screenshot";

/// How long the upload may take. With the screenshot ([`browser::TOTAL_TIMEOUT`], then at most
/// 5 s to stop Chromium) it stays within OpenCode's limit for one tool call
/// ([`TOOL_SERVER_TIMEOUT_MS`](crate::opencode::config::TOOL_SERVER_TIMEOUT_MS)).
pub const UPLOAD_TIMEOUT: Duration = Duration::from_secs(12);

/// A screenshot the agent asked for: what to take, and how to store it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenshotRequest {
    pub shot: Shot,
    pub upload: AgentUpload,
}

/// The entry of `tools/list`.
pub fn definition() -> Value {
    json!({
        "name": NAME,
        "title": "Screenshot",
        "description": "Take a screenshot of a web page in a headless browser inside this sandbox (for example \
            the app you are working on, served on localhost) and show it in the session. Use it to check a UI \
            change or to show its result; set `evidence` for screenshots that prove the change, so the pull \
            request shows them. Answers with the screenshot's media id, size and dimensions.",
        "inputSchema": {
            "type": "object",
            "properties": {
                "url": {"type": "string", "description": "The page: an http:// or https:// URL (e.g. http://localhost:3000/settings)."},
                "full_page": {"type": "boolean", "description": "Capture the whole scrollable page, not just the viewport (default false)."},
                "selector": {"type": "string", "description": "A CSS selector: capture just the first element it matches."},
                "width": {"type": "integer", "minimum": browser::MIN_VIEWPORT, "maximum": browser::MAX_VIEWPORT, "description": "The viewport's width in pixels (default 1280)."},
                "height": {"type": "integer", "minimum": browser::MIN_VIEWPORT, "maximum": browser::MAX_VIEWPORT, "description": "The viewport's height in pixels (default 800)."},
                "name": {"type": "string", "description": "A file name for it (default: from the URL), e.g. settings-page.png."},
                "caption": {"type": "string", "description": "What it shows, in a sentence."},
                "evidence": {"type": "boolean", "description": "It shows the result of your change: the pull request shows it too (default false)."},
            },
            "required": ["url"],
        },
    })
}

const TAKES: &[&str] = &["url", "full_page", "selector", "width", "height", "name", "caption", "evidence"];

/// The request from the call's arguments.
pub fn arguments(args: &Value) -> Result<ScreenshotRequest, String> {
    let args = fields(args, TAKES, "", "screenshot")?;
    let url = text(&args, "url", "")?.ok_or("`url` is required: the page to capture, e.g. http://localhost:3000")?;
    let url = browser::check_url(&url)?;
    let flag = |name: &str| match args.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(format!("`{name}` must be true or false")),
    };
    let size = |name: &str, default: u32| match args.get(name) {
        None | Some(Value::Null) => Ok(u64::from(default)),
        Some(v) => v.as_u64().ok_or_else(|| format!("`{name}` must be a whole number of pixels")),
    };
    let viewport = Viewport::new(size("width", Viewport::DEFAULT.width)?, size("height", Viewport::DEFAULT.height)?)?;
    let area = match (text(&args, "selector", "")?, flag("full_page")?) {
        (Some(_), true) => return Err("give `selector` or `full_page`, not both".into()),
        (Some(selector), false) => Area::Element(selector.trim().to_string()),
        (None, true) => Area::FullPage,
        (None, false) => Area::Viewport,
    };
    let name = match text(&args, "name", "")? {
        Some(name) => file_name(&name)?,
        None => derived_name(&url),
    };
    let caption = text(&args, "caption", "")?.map(|c| c.trim().to_string());
    if caption.as_ref().is_some_and(|c| c.chars().count() > MAX_CAPTION_CHARS) {
        return Err(format!("`caption` is longer than {MAX_CAPTION_CHARS} characters"));
    }
    let upload = AgentUpload {
        kind: MediaKind::Screenshot,
        name,
        caption,
        source_url: Some(url.to_string()),
        evidence: flag("evidence")?,
    };
    Ok(ScreenshotRequest { shot: Shot { url: url.to_string(), viewport, area }, upload })
}

/// A given file name: no path, at most [`MAX_MEDIA_NAME_CHARS`] characters, ending in `.png`.
pub fn file_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.contains(['/', '\\']) || name.chars().any(char::is_control) || name.starts_with('.') {
        return Err(format!("`name` must be a plain file name, like settings.png (got {name:?})"));
    }
    let name = if name.to_ascii_lowercase().ends_with(".png") { name.to_string() } else { format!("{name}.png") };
    if name.chars().count() > MAX_MEDIA_NAME_CHARS {
        return Err(format!("`name` is longer than {MAX_MEDIA_NAME_CHARS} characters"));
    }
    Ok(name)
}

/// A file name from the URL: `screenshot-<host>[-<port>][-<path>].png`, letters, digits and `-`.
pub fn derived_name(url: &url::Url) -> String {
    let mut words = vec![url.host_str().unwrap_or("page").to_string()];
    words.extend(url.port().map(|p| p.to_string()));
    words.extend(url.path_segments().into_iter().flatten().filter(|s| !s.is_empty()).map(str::to_string));
    let mut slug = String::new();
    for c in words.join("-").chars() {
        let c = if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' };
        if !(c == '-' && (slug.is_empty() || slug.ends_with('-'))) {
            slug.push(c);
        }
    }
    let slug: String = slug.trim_end_matches('-').chars().take(80).collect();
    format!("screenshot-{}.png", slug.trim_end_matches('-'))
}

/// What the model is told about the control plane's answer to the upload, and whether the tool
/// failed.
pub fn outcome(status: u16, body: &str, capture: &Capture) -> (String, bool) {
    if !(200..300).contains(&status) {
        return (failure("Could not save the screenshot", status, body), true);
    }
    let (width, height) = (capture.width, capture.height);
    let size = kilobytes(capture.png.len());
    match serde_json::from_str::<MediaInfo>(body) {
        Ok(media) => (
            format!(
                "Saved screenshot {} ({:?}, {width}×{height} px, {size}); it is shown in the session.",
                media.media_id, media.name
            ),
            false,
        ),
        Err(_) => (format!("Saved the screenshot ({width}×{height} px, {size}); it is shown in the session."), false),
    }
}

fn kilobytes(bytes: usize) -> String {
    format!("{} KB", bytes.div_ceil(1024))
}

/// Takes the screenshot with the Chromium at `chromium_bin` and uploads it through the egress
/// at `egress_url`; says how it went.
pub async fn call(
    client: &reqwest::Client,
    egress_url: &str,
    chromium_bin: &Path,
    request: &ScreenshotRequest,
) -> Value {
    let capture = match browser::capture(chromium_bin, &request.shot).await {
        Ok(capture) => capture,
        Err(why) => return tool_result(&format!("Could not take the screenshot: {why}"), true),
    };
    let (text, is_error) = save(client, egress_url, request, &capture).await;
    if is_error || capture.png.len() > MAX_SHOWN_BYTES {
        let note = if is_error { "" } else { " (too large to show you here; capture a smaller area to see it)" };
        return tool_result(&format!("{text}{note}"), is_error);
    }
    // The model sees what it captured, so it can check its own work.
    tool_result_with_image(&text, "image/png", &capture.png)
}

/// Screenshots up to this size are also shown to the model.
pub const MAX_SHOWN_BYTES: usize = 1024 * 1024;

/// Uploads the capture through the egress; says how it went.
async fn save(
    client: &reqwest::Client,
    egress_url: &str,
    request: &ScreenshotRequest,
    capture: &Capture,
) -> (String, bool) {
    if capture.png.len() as u64 > MAX_IMAGE_BYTES {
        let why = format!(
            "it is {} MB, more than the {} MB an image may be; capture a smaller area (a `selector`, no `full_page`)",
            capture.png.len().div_ceil(1024 * 1024),
            MAX_IMAGE_BYTES / (1024 * 1024)
        );
        return (format!("Could not save the screenshot: {why}"), true);
    }
    let sent = client
        .post(Egress::media_upload_url(egress_url))
        .query(&request.upload)
        .header(reqwest::header::CONTENT_TYPE, "image/png")
        .body(capture.png.clone())
        .timeout(UPLOAD_TIMEOUT)
        .send()
        .await;
    let res = match sent {
        Ok(res) => res,
        Err(e) => return (format!("Could not save the screenshot: the sandbox's egress did not answer: {e}"), true),
    };
    let status = res.status().as_u16();
    match res.text().await {
        Ok(body) => outcome(status, &body, capture),
        Err(e) => (format!("Could not save the screenshot: its answer ({status}) broke off: {e}"), true),
    }
}

const _: () = assert!(
    (browser::TOTAL_TIMEOUT.as_secs() + 5 + UPLOAD_TIMEOUT.as_secs()) * 1000
        < crate::opencode::config::TOOL_SERVER_TIMEOUT_MS
);

#[cfg(test)]
#[path = "screenshot_tests.rs"]
mod tests;
