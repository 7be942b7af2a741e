//! Table tests on the vendors' request shapes.
//!
//! Sources of the bodies (copied, trimmed only where marked):
//! - [O1] OpenAI's OpenAPI spec, `POST /chat/completions` examples "Functions" and "Image
//!   input" (openai/openai-openapi @ f85dbe22, via `/work/shared/contracts/llm/openai/
//!   chat-completions-openapi-subset.json`), and its `web_search_options` field.
//! - [A2] Anthropic's recorded request `stream-tool-use.recorded.request-body.json`
//!   (anthropics/anthropic-sdk-python @ 009b0353, via `/work/shared/contracts/llm/anthropic/`).
//! - [A5] Anthropic's documentation of the server tools (`web_search_20250305`,
//!   `web_fetch_20250910` with `anthropic-beta: web-fetch-2025-09-10`), the MCP connector
//!   (`mcp_servers`, `anthropic-beta: mcp-client-2025-04-04`) and URL image sources.
//! - [O5] OpenAI's Responses API documentation: `web_search` / `web_search_preview` and `mcp`
//!   tools, `input_image` by URL, `input_file` by `file_url`.

use serde_json::json;

use super::*;

/// [O1] "Functions".
fn openai_functions() -> Value {
    json!({"model": "gpt-5.4", "messages": [{"role": "user", "content": "What is the weather like in Boston today?"}], "tools": [{"type": "function", "function": {"name": "get_current_weather", "description": "Get the current weather in a given location", "parameters": {"type": "object", "properties": {"location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, "required": ["location"]}}}], "tool_choice": "auto"})
}

/// [O1] "Image input".
fn openai_image_input() -> Value {
    json!({"model": "gpt-5.4", "messages": [{"role": "user", "content": [{"type": "text", "text": "What is in this image?"}, {"type": "image_url", "image_url": {"url": "https://upload.wikimedia.org/wikipedia/commons/thumb/d/dd/Gfp-wisconsin-madison-the-nature-boardwalk.jpg/2560px-Gfp-wisconsin-madison-the-nature-boardwalk.jpg"}}]}], "max_tokens": 300})
}

/// [A2], the recorded body (the tool's `input_schema` trimmed to its type).
fn anthropic_tool_use() -> Value {
    json!({"max_tokens": 1024, "messages": [{"role": "user", "content": "What is the weather in SF?"}], "model": "claude-haiku-4-5", "tools": [{"name": "get_weather", "description": "Lookup the weather for a given city in either celsius or fahrenheit", "input_schema": {"type": "object"}}], "stream": true})
}

fn with(mut body: Value, field: &str, value: Value) -> Value {
    body[field] = value;
    body
}

const CHAT: &[&str] = &["chat", "completions"];
const RESPONSES: &[&str] = &["responses"];
const MESSAGES: &[&str] = &["messages"];

fn run(api: ModelApi, rest: &[&str], body: &Value, beta: Option<&str>, allowed: bool) -> Result<(), String> {
    check(api, rest, Some(body), true, ServerTools { allowed, anthropic_beta: beta }).map_err(|e| {
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        e.message
    })
}

/// The API, the path, the body, the `anthropic-beta` header, and what the proxy answers (a
/// piece of the refusal's message).
type Case = (ModelApi, &'static [&'static str], Value, Option<&'static str>, Result<(), &'static str>);

#[test]
fn vendor_side_fetching_is_refused_naming_the_field() {
    use ModelApi::{Anthropic, OpenaiCompatible as OpenAi};
    let data_image = "data:image/png;base64,iVBORw0KGgo=";
    let cases: Vec<Case> = vec![
        // What OpenCode and the SDKs send: client tools only.
        (OpenAi, CHAT, openai_functions(), None, Ok(())),
        (Anthropic, MESSAGES, anthropic_tool_use(), Some("fine-grained-tool-streaming-2025-05-14"), Ok(())),
        (Anthropic, &["messages", "count_tokens"], anthropic_tool_use(), None, Ok(())),
        (
            Anthropic,
            MESSAGES,
            with(
                anthropic_tool_use(),
                "tools",
                json!([{"type": "bash_20250124", "name": "bash"}, {"type": "text_editor_20250728", "name": "str_replace_based_edit_tool"}, {"type": "custom", "name": "x", "input_schema": {"type": "object"}}]),
            ),
            None,
            Ok(()),
        ),
        (Anthropic, MESSAGES, with(anthropic_tool_use(), "mcp_servers", json!([])), None, Ok(())),
        (
            Anthropic,
            MESSAGES,
            with(anthropic_tool_use(), "tool_choice", json!({"type": "tool", "name": "get_weather"})),
            None,
            Ok(()),
        ),
        (
            OpenAi,
            CHAT,
            with(
                openai_functions(),
                "tool_choice",
                json!({"type": "function", "function": {"name": "get_current_weather"}}),
            ),
            None,
            Ok(()),
        ),
        (
            OpenAi,
            RESPONSES,
            json!({"model": "gpt-5", "input": [{"role": "user", "content": [{"type": "input_text", "text": "hi"}, {"type": "input_image", "image_url": data_image}]}], "tools": [{"type": "function", "name": "read", "parameters": {}}]}),
            None,
            Ok(()),
        ),
        (
            OpenAi,
            CHAT,
            json!({"model": "m", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": data_image}}]}]}),
            None,
            Ok(()),
        ),
        // A tool call's own arguments are the model's, not content to fetch.
        (
            Anthropic,
            MESSAGES,
            with(
                anthropic_tool_use(),
                "messages",
                json!([{"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "x", "input": {"source": {"type": "url", "url": "https://a.test"}}}]}]),
            ),
            None,
            Ok(()),
        ),
        // Anthropic's server tools, MCP connector and URL sources [A5].
        (
            Anthropic,
            MESSAGES,
            with(
                anthropic_tool_use(),
                "tools",
                json!([{"type": "web_search_20250305", "name": "web_search", "max_uses": 5}]),
            ),
            None,
            Err("`tools[0].type` (web_search_20250305)"),
        ),
        (
            Anthropic,
            MESSAGES,
            with(
                anthropic_tool_use(),
                "tools",
                json!([{"name": "get_weather", "input_schema": {}}, {"type": "web_fetch_20250910", "name": "web_fetch", "max_uses": 5}]),
            ),
            None,
            Err("`tools[1].type` (web_fetch_20250910)"),
        ),
        (
            Anthropic,
            MESSAGES,
            with(anthropic_tool_use(), "tools", json!([{"type": "code_execution_20250825", "name": "code_execution"}])),
            None,
            Err("`tools[0].type`"),
        ),
        (
            Anthropic,
            MESSAGES,
            with(
                anthropic_tool_use(),
                "mcp_servers",
                json!([{"type": "url", "url": "https://example-server.modelcontextprotocol.io/sse", "name": "example-mcp"}]),
            ),
            None,
            Err("`mcp_servers`"),
        ),
        (
            Anthropic,
            MESSAGES,
            anthropic_tool_use(),
            Some("interleaved-thinking-2025-05-14, mcp-client-2025-04-04"),
            Err("the anthropic-beta header (mcp-client-2025-04-04)"),
        ),
        (Anthropic, MESSAGES, anthropic_tool_use(), Some("web-fetch-2025-09-10"), Err("anthropic-beta")),
        (
            Anthropic,
            MESSAGES,
            with(
                anthropic_tool_use(),
                "messages",
                json!([{"role": "user", "content": [{"type": "image", "source": {"type": "url", "url": "https://upload.wikimedia.org/a.jpg"}}, {"type": "text", "text": "?"}]}]),
            ),
            None,
            Err("`messages[0].content[0].source` (fetched from https://upload.wikimedia.org/a.jpg)"),
        ),
        (
            Anthropic,
            MESSAGES,
            with(
                anthropic_tool_use(),
                "messages",
                json!([{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": [{"type": "document", "source": {"type": "url", "url": "https://x.test/a.pdf"}}]}]}]),
            ),
            None,
            Err("`messages[0].content[0].content[0].source`"),
        ),
        (
            Anthropic,
            MESSAGES,
            with(anthropic_tool_use(), "tool_choice", json!({"type": "web_search"})),
            None,
            Err("`tool_choice.type` (web_search)"),
        ),
        // OpenAI's [O1], [O5].
        (
            OpenAi,
            CHAT,
            openai_image_input(),
            None,
            Err("`messages[0].content[1].image_url` (fetched from https://upload.wikimedia.org/"),
        ),
        (OpenAi, CHAT, with(openai_functions(), "web_search_options", json!({})), None, Err("`web_search_options`")),
        (OpenAi, CHAT, with(openai_functions(), "plugins", json!([{"id": "web"}])), None, Err("`plugins`")),
        (
            OpenAi,
            RESPONSES,
            json!({"model": "gpt-5", "input": "news?", "tools": [{"type": "web_search"}]}),
            None,
            Err("`tools[0].type` (web_search)"),
        ),
        (
            OpenAi,
            RESPONSES,
            json!({"model": "gpt-5", "input": "x", "tools": [{"type": "function", "name": "f"}, {"type": "web_search_preview"}]}),
            None,
            Err("`tools[1].type` (web_search_preview)"),
        ),
        (
            OpenAi,
            RESPONSES,
            json!({"model": "gpt-5", "input": "x", "tools": [{"type": "mcp", "server_label": "dmcp", "server_url": "https://dmcp-server.deno.dev/sse", "require_approval": "never"}]}),
            None,
            Err("`tools[0].type` (mcp)"),
        ),
        (
            OpenAi,
            RESPONSES,
            json!({"model": "gpt-5", "input": "x", "tool_choice": {"type": "web_search_preview"}}),
            None,
            Err("`tool_choice.type`"),
        ),
        (
            OpenAi,
            RESPONSES,
            json!({"model": "gpt-5", "input": [{"role": "user", "content": [{"type": "input_image", "image_url": "https://x.test/cat.png"}]}]}),
            None,
            Err("`input[0].content[0].image_url`"),
        ),
        (
            OpenAi,
            RESPONSES,
            json!({"model": "gpt-5", "input": [{"role": "user", "content": [{"type": "input_file", "file_url": "https://x.test/a.pdf"}]}]}),
            None,
            Err("`input[0].content[0].file_url`"),
        ),
        (
            OpenAi,
            CHAT,
            json!({"model": "m", "messages": [], "tools": [{"function": {"name": "f"}}]}),
            None,
            Err("`tools[0].type` (missing)"),
        ),
        // An anthropic-beta flag means nothing to an OpenAI-compatible provider.
        (OpenAi, CHAT, openai_functions(), Some("mcp-client-2025-04-04"), Ok(())),
    ];
    for (api, rest, body, beta, want) in cases {
        let got = run(api, rest, &body, beta, false);
        match (&got, want) {
            (Ok(()), Ok(())) => {}
            (Err(message), Err(part)) => {
                assert!(message.contains(part), "{body}: {message}");
                assert!(message.contains(ALLOW_SETTING), "{message}");
            }
            _ => panic!("{api:?} {rest:?} {body} ({beta:?}): {got:?}, expected {want:?}"),
        }
        assert_eq!(run(api, rest, &body, beta, true), Ok(()), "the setting lets everything through");
    }
}

#[test]
fn a_body_the_proxy_cannot_read_is_refused_and_model_listing_passes() {
    let tools = ServerTools::default();
    let e = check(ModelApi::Anthropic, MESSAGES, None, true, tools).unwrap_err();
    assert!(e.message.contains("the body (not a JSON object)"), "{}", e.message);
    assert!(check(ModelApi::Anthropic, MESSAGES, Some(&json!([1])), true, tools).is_err());
    assert_eq!(check(ModelApi::OpenaiCompatible, &["models"], None, false, tools), Ok(()));
    assert_eq!(check(ModelApi::OpenaiCompatible, &["models", "gpt-5"], None, false, tools), Ok(()));
    assert_eq!(check(ModelApi::OpenaiCompatible, CHAT, None, false, tools), Ok(()), "no body, nothing to refuse");
    let beta = ServerTools { allowed: false, anthropic_beta: Some("mcp-client-2025-04-04") };
    assert!(check(ModelApi::Anthropic, &["models"], None, false, beta).is_err(), "the header is refused anywhere");
}
