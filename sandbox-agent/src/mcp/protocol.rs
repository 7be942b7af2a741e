//! The Model Context Protocol as the tool server speaks it: JSON-RPC 2.0 messages, one per
//! line (the stdio transport, <https://modelcontextprotocol.io/specification>), and what each
//! one is answered with. Pure: [`decide`] turns a line into a reply, nothing, or a tool call
//! for the I/O loop ([`super::serve`]) to make.

use oi_protocol::origin::OriginPost;
use oi_protocol::source_control::CreatePullRequest;
use serde_json::{json, Value};

use super::screenshot::{self, ScreenshotRequest};
use super::{pull_request, reply_comment, slack_notify, submit_review};

/// The protocol versions this server speaks, newest first. `initialize` answers with the
/// client's version when it is one of these, else with the newest.
pub const SUPPORTED_VERSIONS: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

/// The name OpenCode knows the server by; its tools become `openinspect_<tool>`.
pub const SERVER_NAME: &str = "openinspect";

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;

/// What to do with one incoming line.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Write this message.
    Reply(Value),
    /// A notification or a response: nothing is answered.
    Nothing,
    /// Open the pull request, then reply under `id` with [`tool_result`].
    CreatePullRequest { id: Value, request: CreatePullRequest },
    /// Post to the session's origin (the post names its tool, which words the answer), then
    /// reply under `id` with [`tool_result`].
    PostToOrigin { id: Value, post: OriginPost },
    /// Take the screenshot and upload it, then reply under `id` with [`tool_result`].
    Screenshot { id: Value, request: ScreenshotRequest },
}

/// A successful response.
pub fn result(id: Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

/// An error response.
pub fn error(id: Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

/// A successful `tools/call` result that also shows the model an image: the text, then the
/// image as an MCP `image` block (base64, with its MIME type).
pub fn tool_result_with_image(text: &str, mime: &str, bytes: &[u8]) -> Value {
    use base64::Engine;
    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
    json!({"content": [{"type": "text", "text": text}, {"type": "image", "data": data, "mimeType": mime}], "isError": false})
}

/// A `tools/call` result: one text block; `is_error` tells the model the tool failed.
pub fn tool_result(text: &str, is_error: bool) -> Value {
    json!({"content": [{"type": "text", "text": text}], "isError": is_error})
}

/// Decides what one line of input is answered with.
pub fn decide(line: &str) -> Decision {
    let message: Value = match serde_json::from_str(line) {
        Ok(message) => message,
        Err(e) => return Decision::Reply(error(Value::Null, PARSE_ERROR, &format!("not JSON: {e}"))),
    };
    let Some(object) = message.as_object() else {
        return Decision::Reply(error(Value::Null, INVALID_REQUEST, "expected one JSON-RPC object (no batches)"));
    };
    let id = object.get("id").cloned();
    let Some(method) = object.get("method").and_then(Value::as_str) else {
        // A response to a request of ours (this server sends none) or junk without an id.
        return match id {
            Some(id) if !object.contains_key("result") && !object.contains_key("error") => {
                Decision::Reply(error(id, INVALID_REQUEST, "a request needs a method"))
            }
            _ => Decision::Nothing,
        };
    };
    // Notifications (`notifications/initialized`, `notifications/cancelled`, …) get no answer.
    let Some(id) = id else { return Decision::Nothing };
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Decision::Reply(error(id, INVALID_REQUEST, "jsonrpc must be \"2.0\""));
    }
    let params = object.get("params").cloned().unwrap_or(Value::Null);
    match method {
        "initialize" => Decision::Reply(result(id, initialize_result(&params))),
        "ping" => Decision::Reply(result(id, json!({}))),
        "tools/list" => Decision::Reply(result(id, json!({"tools": tool_definitions()}))),
        "tools/call" => tools_call(id, &params),
        _ => Decision::Reply(error(id, METHOD_NOT_FOUND, &format!("no method {method:?}"))),
    }
}

/// The entries of `tools/list`.
pub fn tool_definitions() -> Vec<Value> {
    vec![
        pull_request::definition(),
        slack_notify::definition(),
        submit_review::definition(),
        reply_comment::definition(),
        screenshot::definition(),
    ]
}

fn initialize_result(params: &Value) -> Value {
    let asked = params.get("protocolVersion").and_then(Value::as_str);
    let version = asked.filter(|v| SUPPORTED_VERSIONS.contains(v)).unwrap_or(SUPPORTED_VERSIONS[0]);
    json!({
        "protocolVersion": version,
        "capabilities": {"tools": {"listChanged": false}},
        "serverInfo": {"name": SERVER_NAME, "title": "Open Inspect", "version": env!("CARGO_PKG_VERSION")},
    })
}

fn tools_call(id: Value, params: &Value) -> Decision {
    let name = params.get("name").and_then(Value::as_str).unwrap_or("");
    let args = params.get("arguments").unwrap_or(&Value::Null);
    // Bad arguments are a tool error, not a protocol error, so the model sees why and can retry.
    let to_origin = |post| Decision::PostToOrigin { id: id.clone(), post };
    let decided = match name {
        pull_request::NAME => {
            pull_request::arguments(args).map(|request| Decision::CreatePullRequest { id: id.clone(), request })
        }
        slack_notify::NAME => slack_notify::arguments(args).map(to_origin),
        submit_review::NAME => submit_review::arguments(args).map(to_origin),
        reply_comment::NAME => reply_comment::arguments(args).map(to_origin),
        screenshot::NAME => screenshot::arguments(args).map(|request| Decision::Screenshot { id: id.clone(), request }),
        _ => return Decision::Reply(error(id, INVALID_PARAMS, &format!("no tool {name:?}"))),
    };
    decided.unwrap_or_else(|message| Decision::Reply(result(id, tool_result(&message, true))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(line: &str) -> Value {
        match decide(line) {
            Decision::Reply(v) => v,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn initialize_agrees_on_a_version_and_offers_tools() {
        let r = reply(
            r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"opencode","version":"1"}}}"#,
        );
        assert_eq!(r["id"], 0);
        assert_eq!(r["result"]["protocolVersion"], "2025-06-18");
        assert_eq!(r["result"]["capabilities"]["tools"], json!({"listChanged": false}));
        assert_eq!(r["result"]["serverInfo"]["name"], SERVER_NAME);
        let r = reply(r#"{"jsonrpc":"2.0","id":"a","method":"initialize","params":{"protocolVersion":"2099-01-01"}}"#);
        assert_eq!(
            (r["id"].as_str(), r["result"]["protocolVersion"].as_str()),
            (Some("a"), Some(SUPPORTED_VERSIONS[0]))
        );
    }

    #[test]
    fn notifications_and_responses_get_no_answer() {
        for line in [
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3}}"#,
            r#"{"jsonrpc":"2.0","id":9,"result":{}}"#,
        ] {
            assert_eq!(decide(line), Decision::Nothing, "{line}");
        }
    }

    #[test]
    fn ping_and_tools_list() {
        assert_eq!(reply(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#), json!({"jsonrpc":"2.0","id":1,"result":{}}));
        let r = reply(r#"{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}"#);
        let tools = r["result"]["tools"].as_array().unwrap();
        let listed: Vec<(&str, &Value)> =
            tools.iter().map(|t| (t["name"].as_str().unwrap(), &t["inputSchema"]["required"])).collect();
        assert_eq!(
            listed,
            [
                ("create_pull_request", &json!(["summary"])),
                ("slack_notify", &json!(["text"])),
                ("submit_review", &json!(["summary", "event"])),
                ("reply_comment", &json!(["body"])),
                ("screenshot", &json!(["url"])),
            ]
        );
        for tool in tools {
            assert!(tool["description"].as_str().is_some_and(|d| d.len() > 80), "{tool}");
            assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
        }
    }

    #[test]
    fn tools_call_becomes_a_pull_request_or_a_tool_error() {
        let d = decide(
            r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"create_pull_request","arguments":{"summary":"Fix","draft":true}}}"#,
        );
        let expected = CreatePullRequest { title: None, summary: Some("Fix".into()), draft: true };
        assert_eq!(d, Decision::CreatePullRequest { id: json!(3), request: expected });
        let r = reply(
            r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"create_pull_request","arguments":{}}}"#,
        );
        assert_eq!(r["result"]["isError"], true);
        assert!(r["result"]["content"][0]["text"].as_str().unwrap().contains("summary"), "{r}");
        let r = reply(r#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"bash","arguments":{}}}"#);
        assert_eq!(r["error"]["code"], INVALID_PARAMS);
        let d = decide(
            r#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"slack_notify","arguments":{"text":"hi"}}}"#,
        );
        assert_eq!(d, Decision::PostToOrigin { id: json!(6), post: OriginPost::SlackNotify { text: "hi".into() } });
        let r = reply(r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"slack_notify"}}"#);
        assert_eq!(r["result"]["isError"], true);
    }

    #[test]
    fn tools_call_becomes_a_review_or_a_reply() {
        let d = decide(
            r#"{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"submit_review","arguments":{"summary":"Two nits.","event":"COMMENT","comments":[{"path":"a.rs","line":3,"body":"nit"}]}}}"#,
        );
        let Decision::PostToOrigin { id, post: OriginPost::SubmitReview(review) } = d else { panic!("{d:?}") };
        assert_eq!((id, review.summary.as_str(), review.comments.len()), (json!(8), "Two nits.", 1));
        let d = decide(
            r#"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"reply_comment","arguments":{"body":"Done."}}}"#,
        );
        let reply_post = OriginPost::ReplyComment(oi_protocol::review::ReplyComment { body: "Done.".into() });
        assert_eq!(d, Decision::PostToOrigin { id: json!(9), post: reply_post });
        // Bad arguments are told to the model as a failed call, with the reason.
        let r = reply(
            r#"{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"submit_review","arguments":{"summary":"x","event":"LGTM"}}}"#,
        );
        assert_eq!((r["id"].as_i64(), &r["result"]["isError"]), (Some(10), &json!(true)));
        assert!(r["result"]["content"][0]["text"].as_str().unwrap().contains("`event` must be one of"), "{r}");
        let r = reply(r#"{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"reply_comment"}}"#);
        assert_eq!(r["result"]["isError"], true);
        assert!(r["result"]["content"][0]["text"].as_str().unwrap().contains("`body` is required"), "{r}");
    }

    #[test]
    fn tools_call_becomes_a_screenshot_or_a_tool_error() {
        let d = decide(
            r#"{"jsonrpc":"2.0","id":12,"method":"tools/call","params":{"name":"screenshot","arguments":{"url":"http://localhost:3000","full_page":true}}}"#,
        );
        let Decision::Screenshot { id, request } = d else { panic!("{d:?}") };
        assert_eq!((id, request.shot.area), (json!(12), crate::browser::Area::FullPage));
        let r = reply(
            r#"{"jsonrpc":"2.0","id":13,"method":"tools/call","params":{"name":"screenshot","arguments":{"url":"file:///etc/passwd"}}}"#,
        );
        assert_eq!(r["result"]["isError"], true);
        assert!(r["result"]["content"][0]["text"].as_str().unwrap().contains("http:// or https://"), "{r}");
    }

    #[test]
    fn malformed_input_is_answered_with_json_rpc_errors() {
        assert_eq!(reply("{nope")["error"]["code"], PARSE_ERROR);
        assert!(reply("{nope")["id"].is_null());
        assert_eq!(reply("[]")["error"]["code"], INVALID_REQUEST);
        assert_eq!(reply(r#"{"jsonrpc":"2.0","id":6}"#)["error"]["code"], INVALID_REQUEST);
        assert_eq!(reply(r#"{"jsonrpc":"1.0","id":7,"method":"ping"}"#)["error"]["code"], INVALID_REQUEST);
        let r = reply(r#"{"jsonrpc":"2.0","id":8,"method":"resources/list"}"#);
        assert_eq!((r["id"].as_i64(), r["error"]["code"].as_i64()), (Some(8), Some(METHOD_NOT_FOUND)));
    }

    #[test]
    fn tool_results_are_one_text_block() {
        assert_eq!(tool_result("ok", false), json!({"content": [{"type": "text", "text": "ok"}], "isError": false}));
        assert_eq!(
            tool_result_with_image("saw it", "image/png", b"\x89PNG"),
            json!({"content": [{"type": "text", "text": "saw it"}, {"type": "image", "data": "iVBORw==", "mimeType": "image/png"}], "isError": false})
        );
    }
}
