//! What the server answers when the script is empty, and for title requests (pure functions).

use serde_json::{json, Map, Value};

use crate::request::{message_text, ChatRequest};
use crate::script::{ToolCallSpec, Turn};

/// The answer to a request without tools (OpenCode's session-title call).
pub const TITLE_TEXT: &str = "Test session";
/// The content of a file the default behaviour creates.
pub const DEFAULT_FILE_CONTENT: &str = "Created by the Open Inspect scripted test model.\n";

const MAX_ECHO_CHARS: usize = 500;
const MAX_OUTPUT_CHARS: usize = 200;

/// The turn for a request without tools.
pub fn title_turn() -> Turn {
    Turn::text(TITLE_TEXT)
}

/// The turn for a request with tools when the script is empty:
/// 1. the last message is a `tool` result → `"Done. …"` text summarising the tool results;
/// 2. the last user text asks to `create <file>` or `write <file>` → a `write` call creating it
///    (a `bash` call with `printf` if `write` is not offered);
/// 3. otherwise a text saying this is the scripted test model, echoing the prompt.
pub fn default_turn(req: &ChatRequest) -> Turn {
    if req.last_role() == Some("tool") {
        return Turn::text(done_summary(req));
    }
    let prompt = req.last_user_text();
    if let Some(call) = requested_file(&prompt).and_then(|file| create_file_call(req, &file)) {
        return Turn::tool_calls(vec![call]);
    }
    Turn::text(echo_text(&prompt))
}

/// ``Done. The `bash` tool finished: FIRST LINE`` for every trailing tool result.
pub fn done_summary(req: &ChatRequest) -> String {
    let results: Vec<String> = req
        .messages
        .iter()
        .rev()
        .take_while(|m| m.get("role").and_then(Value::as_str) == Some("tool"))
        .map(|m| {
            let name = m
                .get("tool_call_id")
                .and_then(Value::as_str)
                .and_then(|id| req.tool_name_for_call(id))
                .unwrap_or_else(|| "tool".into());
            let output = message_text(m);
            let first_line = output.lines().find(|l| !l.trim().is_empty()).unwrap_or("(no output)").trim();
            format!("The `{name}` tool finished: {}", truncate(first_line, MAX_OUTPUT_CHARS))
        })
        .collect();
    let mut results = results;
    results.reverse();
    format!("Done. {}", results.join(" "))
}

/// The reply when nothing matched.
pub fn echo_text(prompt: &str) -> String {
    let prompt = prompt.trim();
    if prompt.is_empty() {
        "I am the scripted test model (no real model is configured).".into()
    } else {
        format!(
            "I am the scripted test model (no real model is configured). You said: {}",
            truncate(prompt, MAX_ECHO_CHARS)
        )
    }
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// The file named after `create` or `write` (any case), skipping filler words such as
/// `a`, `the`, `file`, `named`. The name must look like a relative path with a dot or a
/// slash (`hello.txt`, `src/lib.rs`): letters, digits, `._-/` only, no `..`, not absolute.
pub fn requested_file(text: &str) -> Option<String> {
    const FILLER: [&str; 8] = ["a", "an", "the", "new", "file", "named", "called", "to"];
    let words: Vec<&str> = text.split_whitespace().collect();
    for (i, word) in words.iter().enumerate() {
        if !matches!(clean(word).to_ascii_lowercase().as_str(), "create" | "write") {
            continue;
        }
        let candidate =
            words[i + 1..].iter().map(|w| clean(w)).find(|w| !FILLER.contains(&w.to_ascii_lowercase().as_str()));
        if let Some(name) = candidate.filter(|c| looks_like_file(c)) {
            return Some(name.to_string());
        }
    }
    None
}

fn clean(word: &str) -> &str {
    word.trim_matches(|c: char| matches!(c, '"' | '\'' | '`' | '(' | ')' | '[' | ']' | '<' | '>'))
        .trim_end_matches(['.', ',', ';', ':', '!', '?'])
        .trim_matches(|c: char| matches!(c, '"' | '\'' | '`'))
}

fn looks_like_file(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
        && (name.contains('.') || name.contains('/'))
        && !name.starts_with('/')
        && !name.ends_with('/')
        && !name.contains("..")
}

/// A call creating `file`: `write` with the parameter names of the offered schema, else
/// `bash` with `printf`, else `None`.
pub fn create_file_call(req: &ChatRequest, file: &str) -> Option<ToolCallSpec> {
    if let Some(schema) = req.tool_parameters("write") {
        let props: Vec<&str> = schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let path_key = props.iter().find(|k| k.to_ascii_lowercase().contains("path")).copied().unwrap_or("filePath");
        let content_key = props.iter().find(|k| k.eq_ignore_ascii_case("content")).copied().unwrap_or("content");
        let mut args = Map::new();
        args.insert(path_key.into(), json!(file));
        args.insert(content_key.into(), json!(DEFAULT_FILE_CONTENT));
        return Some(ToolCallSpec::new("write", Value::Object(args)));
    }
    req.tool_parameters("bash")?;
    let line = DEFAULT_FILE_CONTENT.trim_end();
    Some(ToolCallSpec::new(
        "bash",
        json!({"command": format!("printf '%s\\n' '{line}' > {file}"), "description": format!("Create {file}")}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::parse_chat_request;

    fn tool(name: &str, props: Value) -> Value {
        json!({"type": "function", "function": {"name": name, "parameters": {"type": "object", "properties": props}}})
    }

    fn opencode_tools() -> Vec<Value> {
        vec![
            tool("bash", json!({"command": {"type": "string"}, "description": {"type": "string"}})),
            tool("write", json!({"content": {"type": "string"}, "filePath": {"type": "string"}})),
        ]
    }

    fn request(messages: Value, tools: Vec<Value>) -> ChatRequest {
        let body = json!({"model": "m", "messages": messages, "tools": tools});
        parse_chat_request(body.to_string().as_bytes()).unwrap().0
    }

    #[test]
    fn finds_the_requested_file() {
        assert_eq!(requested_file("Create hello.txt").as_deref(), Some("hello.txt"));
        assert_eq!(requested_file("please write `notes/todo.md`.").as_deref(), Some("notes/todo.md"));
        assert_eq!(requested_file("Create a new file named \"a-b_c.rs\"").as_deref(), Some("a-b_c.rs"));
        assert_eq!(requested_file("Write a test, then create out.json").as_deref(), Some("out.json"));
        assert_eq!(requested_file("create a test"), None);
        assert_eq!(requested_file("create /etc/passwd"), None);
        assert_eq!(requested_file("create ../escape.txt"), None);
        assert_eq!(requested_file("created hello.txt"), None);
        assert_eq!(requested_file("hello.txt"), None);
    }

    #[test]
    fn create_prompt_gives_a_write_call_with_the_schema_names() {
        let req = request(json!([{"role": "user", "content": "Create hello.txt"}]), opencode_tools());
        let Turn::ToolCalls { calls, .. } = default_turn(&req) else { panic!("expected a tool call") };
        assert_eq!(calls[0].name, "write");
        assert_eq!(calls[0].arguments, json!({"filePath": "hello.txt", "content": DEFAULT_FILE_CONTENT}));

        let other = request(
            json!([{"role": "user", "content": "write a.txt"}]),
            vec![tool("write", json!({"path": {}, "content": {}}))],
        );
        let Turn::ToolCalls { calls, .. } = default_turn(&other) else { panic!() };
        assert_eq!(calls[0].arguments, json!({"path": "a.txt", "content": DEFAULT_FILE_CONTENT}));
    }

    #[test]
    fn falls_back_to_bash_then_to_text() {
        let bash_only =
            request(json!([{"role": "user", "content": "create x.txt"}]), vec![opencode_tools()[0].clone()]);
        let Turn::ToolCalls { calls, .. } = default_turn(&bash_only) else { panic!() };
        assert_eq!(calls[0].name, "bash");
        assert!(calls[0].arguments["command"].as_str().unwrap().ends_with("> x.txt"));
        let neither = request(json!([{"role": "user", "content": "create x.txt"}]), vec![tool("read", json!({}))]);
        assert!(matches!(default_turn(&neither), Turn::Text { .. }));
    }

    #[test]
    fn plain_prompt_is_echoed() {
        let req = request(
            json!([{"role": "system", "content": "sys"}, {"role": "user", "content": "Fix the bug"}]),
            opencode_tools(),
        );
        assert_eq!(
            default_turn(&req),
            Turn::text("I am the scripted test model (no real model is configured). You said: Fix the bug")
        );
        assert!(echo_text(&"x".repeat(2000)).ends_with("x…"));
    }

    #[test]
    fn tool_result_gives_done_summary() {
        let req = request(
            json!([
                {"role": "user", "content": "Create hello.txt"},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "write", "arguments": "{}"}},
                    {"id": "call_2", "type": "function", "function": {"name": "bash", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "call_1", "content": "Wrote file successfully.\nmore"},
                {"role": "tool", "tool_call_id": "call_2", "content": ""}
            ]),
            opencode_tools(),
        );
        assert_eq!(
            default_turn(&req),
            Turn::text(
                "Done. The `write` tool finished: Wrote file successfully. The `bash` tool finished: (no output)"
            )
        );
    }

    #[test]
    fn title_turn_is_short_text() {
        assert_eq!(title_turn(), Turn::text(TITLE_TEXT));
    }
}
