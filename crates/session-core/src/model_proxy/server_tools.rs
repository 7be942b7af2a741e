//! Vendor-side work that reaches the network: a model request may ask the vendor itself to
//! fetch URLs (Anthropic's MCP connector `mcp_servers`, server tools such as `web_fetch` and
//! `web_search`, images and documents given by URL; OpenAI's `web_search` tools and
//! `web_search_options`, `mcp` tools, images and files by URL; OpenRouter's `plugins`). A
//! sandbox could use that to send what it holds anywhere, past its network allowlist, so the
//! model proxy refuses such a request unless the deployment allows it
//! (`MODEL_PROXY_ALLOW_SERVER_TOOLS=true`).
//!
//! Invariant: with server tools off, the proxy forwards a body only if it is a JSON object in
//! which every tool is one the client (OpenCode) runs, no tool choice names another, no
//! content is fetched by URL, and no `anthropic-beta` flag turns on a fetching feature; the
//! refusal (400) names the first field that failed.

use oi_protocol::agent::ModelApi;
use oi_protocol::{ApiError, ErrorCode};
use serde_json::Value;

/// The setting that lets vendor-side tools through.
pub const ALLOW_SETTING: &str = "MODEL_PROXY_ALLOW_SERVER_TOOLS";

/// What the proxy knows besides the body.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerTools<'a> {
    /// `MODEL_PROXY_ALLOW_SERVER_TOOLS=true`.
    pub allowed: bool,
    /// The request's `anthropic-beta` header (passed upstream as it is).
    pub anthropic_beta: Option<&'a str>,
}

/// Tool types the client runs itself. Anthropic's client tools have no `type` (or `custom`)
/// or are its schema-less client tools (`bash_…`, `text_editor_…`, `computer_…`,
/// `memory_…`); OpenAI's are `function` and `custom` (and, in the Responses API, the shell and
/// patch tools the client executes).
fn client_tool(api: ModelApi, kind: &str) -> bool {
    match api {
        ModelApi::Anthropic => {
            kind == "custom" || ["bash_", "text_editor_", "computer_", "memory_"].iter().any(|p| kind.starts_with(p))
        }
        ModelApi::OpenaiCompatible => {
            matches!(kind, "function" | "custom" | "local_shell" | "shell" | "apply_patch" | "computer_use_preview")
        }
    }
}

/// `anthropic-beta` flags that turn on vendor-side fetching or code.
const FETCHING_BETAS: &[&str] = &["mcp-client-", "web-fetch-", "web-search-", "code-execution-", "skills-"];

/// A refused field: its path in the body (or the header) and what it held.
fn refused(field: String, what: &str) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidRequest,
        format!(
            "the model proxy refuses {field} ({what}): vendor-side tools and content fetched by URL \
             are off for sandboxes ({ALLOW_SETTING})"
        ),
    )
}

/// Set to anything but `null` or `[]` (an empty `web_search_options: {}` turns search on).
fn set(value: &Value) -> bool {
    !matches!(value, Value::Null) && !matches!(value, Value::Array(a) if a.is_empty())
}

/// A URL the vendor would fetch (anything but inline `data:`).
fn fetched(url: Option<&Value>) -> Option<&str> {
    let url = match url? {
        Value::String(s) => s.as_str(),
        Value::Object(o) => o.get("url")?.as_str()?,
        _ => return None,
    };
    (!url.trim_start().to_ascii_lowercase().starts_with("data:")).then_some(url)
}

/// The first content block under `value` (at `path`) that the vendor would fetch by URL.
/// Tool calls' own arguments (`input` of a `tool_use`) are the model's, not content: skipped.
fn url_content(value: &Value, path: &str) -> Option<(String, String)> {
    match value {
        Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| url_content(v, &format!("{path}[{i}]"))),
        Value::Object(o) => {
            let kind = o.get("type").and_then(Value::as_str).unwrap_or_default();
            let found = match kind {
                "image_url" | "input_image" => fetched(o.get("image_url")).map(|u| ("image_url", u)),
                "input_file" => fetched(o.get("file_url")).map(|u| ("file_url", u)),
                _ => None,
            };
            if let Some((field, url)) = found {
                return Some((format!("{path}.{field}"), url.to_string()));
            }
            if let Some(source) = o.get("source").filter(|s| s.get("type").and_then(Value::as_str) == Some("url")) {
                let url = source.get("url").and_then(Value::as_str).unwrap_or_default();
                return Some((format!("{path}.source"), url.to_string()));
            }
            o.iter()
                .filter(|(k, _)| !(matches!(kind, "tool_use" | "server_tool_use") && k.as_str() == "input"))
                .find_map(|(k, v)| url_content(v, &format!("{path}.{k}")))
        }
        _ => None,
    }
}

/// Refuses a request (`rest` is the path after the provider, `json` its body, `has_body`
/// whether it has one) that would have the vendor reach the network, unless allowed.
pub fn check(
    api: ModelApi,
    rest: &[&str],
    json: Option<&Value>,
    has_body: bool,
    tools: ServerTools<'_>,
) -> Result<(), ApiError> {
    if tools.allowed {
        return Ok(());
    }
    if api == ModelApi::Anthropic {
        let flags = tools.anthropic_beta.unwrap_or_default().split(',').map(str::trim);
        if let Some(flag) = flags.into_iter().find(|f| FETCHING_BETAS.iter().any(|p| f.starts_with(p))) {
            return Err(refused("the anthropic-beta header".into(), flag));
        }
    }
    if rest == ["models"] || (rest.len() == 2 && rest[0] == "models") {
        return Ok(());
    }
    let body = match json {
        Some(Value::Object(body)) => body,
        _ if !has_body => return Ok(()),
        _ => return Err(refused("the body".into(), "not a JSON object")),
    };
    for field in ["mcp_servers", "web_search_options", "plugins"] {
        if body.get(field).is_some_and(set) {
            return Err(refused(format!("`{field}`"), "set"));
        }
    }
    if let Some(tools) = body.get("tools").and_then(Value::as_array) {
        for (i, tool) in tools.iter().enumerate() {
            let kind = tool.get("type").and_then(Value::as_str);
            match (api, kind) {
                (ModelApi::Anthropic, None) => {}
                (_, Some(kind)) if client_tool(api, kind) => {}
                (_, kind) => return Err(refused(format!("`tools[{i}].type`"), kind.unwrap_or("missing"))),
            }
        }
    }
    if let Some(choice) = body.get("tool_choice").and_then(|c| c.get("type")).and_then(Value::as_str) {
        let chooses_a_client_tool = matches!(choice, "auto" | "any" | "none" | "tool" | "required" | "allowed_tools");
        if !chooses_a_client_tool && !client_tool(api, choice) {
            return Err(refused("`tool_choice.type`".into(), choice));
        }
    }
    for field in ["messages", "input", "system"] {
        if let Some((path, url)) = body.get(field).and_then(|v| url_content(v, &format!("`{field}"))) {
            return Err(refused(format!("{path}`"), &format!("fetched from {url}")));
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "server_tools_tests.rs"]
mod tests;
