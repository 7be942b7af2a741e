//! Parsing and validating a `POST /v1/chat/completions` body, plus read helpers on it.

use serde_json::Value;

use crate::errors::ApiError;
use crate::images::{images_in, ReceivedImage};

/// The parts of a chat request this server acts on. The full body is kept separately for
/// `GET /_requests`.
#[derive(Clone, Debug, PartialEq)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<Value>,
    pub tools: Vec<Value>,
    pub stream: bool,
    pub include_usage: bool,
    /// The `image_url` parts of the messages' content arrays, in order.
    pub images: Vec<ReceivedImage>,
}

/// Parses a body; a malformed one gives a 400 worded like OpenAI's answers.
pub fn parse_chat_request(body: &[u8]) -> Result<(ChatRequest, Value), ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::invalid_request(
            format!("We could not parse the JSON body of your request. (The OpenAI API expects a JSON payload: {e})"),
            None,
            None,
        )
    })?;
    let obj = value.as_object().ok_or_else(|| {
        ApiError::invalid_request("The request body must be a JSON object.", None, Some("invalid_type"))
    })?;

    let model = match obj.get("model") {
        Some(Value::String(m)) if !m.is_empty() => m.clone(),
        None | Some(Value::Null) => {
            return Err(ApiError::invalid_request("you must provide a model parameter", None, None))
        }
        Some(_) => return Err(invalid_type("model", "a non-empty string")),
    };
    let messages = match obj.get("messages") {
        Some(Value::Array(m)) if m.is_empty() => return Err(ApiError::invalid_request(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
            Some("messages"),
            Some("empty_array"),
        )),
        Some(Value::Array(m)) => m.clone(),
        None | Some(Value::Null) => {
            return Err(ApiError::invalid_request(
                "Missing required parameter: 'messages'.",
                Some("messages"),
                Some("missing_required_parameter"),
            ))
        }
        Some(_) => return Err(invalid_type("messages", "an array of objects")),
    };
    for (i, m) in messages.iter().enumerate() {
        if !m.get("role").is_some_and(Value::is_string) {
            return Err(invalid_type(&format!("messages[{i}]"), "an object with a string 'role'"));
        }
    }
    let images = images_in(&messages)?;
    let tools = match obj.get("tools") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(t)) => t.clone(),
        Some(_) => return Err(invalid_type("tools", "an array of objects")),
    };
    let stream = match obj.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(invalid_type("stream", "a boolean")),
    };
    let include_usage =
        obj.get("stream_options").and_then(|o| o.get("include_usage")).and_then(Value::as_bool).unwrap_or(false);
    Ok((ChatRequest { model, messages, tools, stream, include_usage, images }, value))
}

pub(crate) fn invalid_type(param: &str, expected: &str) -> ApiError {
    ApiError::invalid_request(
        format!("Invalid type for '{param}': expected {expected}."),
        Some(param),
        Some("invalid_type"),
    )
}

/// The text of a message: its `content` string, or its text parts joined with newlines.
pub fn message_text(message: &Value) -> String {
    match message.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => {
            parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join("\n")
        }
        _ => String::new(),
    }
}

impl ChatRequest {
    /// OpenCode's title call has no tools; only requests with tools consume script turns.
    pub fn has_tools(&self) -> bool {
        !self.tools.is_empty()
    }

    pub fn last_message(&self) -> Option<&Value> {
        self.messages.last()
    }

    pub fn last_role(&self) -> Option<&str> {
        self.last_message().and_then(|m| m.get("role")).and_then(Value::as_str)
    }

    /// The text of the last `user` message, or "" if none.
    pub fn last_user_text(&self) -> String {
        self.messages
            .iter()
            .rev()
            .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
            .map(message_text)
            .unwrap_or_default()
    }

    /// The JSON schema (`function.parameters`) of an offered tool, if the tool is offered.
    pub fn tool_parameters(&self, name: &str) -> Option<&Value> {
        self.tools.iter().find_map(|t| {
            let f = t.get("function")?;
            (f.get("name")?.as_str()? == name).then(|| f.get("parameters").unwrap_or(&Value::Null))
        })
    }

    /// The name of the tool a `tool` message answers, found through its `tool_call_id`.
    pub fn tool_name_for_call(&self, call_id: &str) -> Option<String> {
        self.messages.iter().rev().find_map(|m| {
            m.get("tool_calls")?.as_array()?.iter().find_map(|c| {
                (c.get("id")?.as_str()? == call_id)
                    .then(|| c.get("function")?.get("name")?.as_str().map(String::from))?
            })
        })
    }

    /// A rough size of the prompt, for the usage numbers.
    pub fn prompt_chars(&self) -> usize {
        self.messages.iter().chain(self.tools.iter()).map(|v| v.to_string().len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<ChatRequest, ApiError> {
        parse_chat_request(v.to_string().as_bytes()).map(|(r, _)| r)
    }

    #[test]
    fn parses_an_opencode_like_request() {
        let body = json!({
            "model": "test-model", "max_tokens": 8192, "tool_choice": "auto", "stream": true,
            "stream_options": {"include_usage": true},
            "tools": [{"type": "function", "function": {"name": "write", "parameters": {"type": "object"}}}],
            "messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": [{"type": "text", "text": "hi"}]}]
        });
        let (r, raw) = parse_chat_request(body.to_string().as_bytes()).unwrap();
        assert_eq!(raw, body);
        assert_eq!(r.model, "test-model");
        assert!(r.stream && r.include_usage && r.has_tools());
        assert_eq!(r.last_user_text(), "hi");
        assert_eq!(r.tool_parameters("write"), Some(&json!({"type": "object"})));
        assert_eq!(r.tool_parameters("bash"), None);
    }

    #[test]
    fn defaults_to_non_streaming_without_usage() {
        let r = parse(json!({"model": "m", "messages": [{"role": "user", "content": "x"}]})).unwrap();
        assert!(!r.stream && !r.include_usage && !r.has_tools());
    }

    #[test]
    fn rejects_malformed_bodies_with_400() {
        let not_json = parse_chat_request(b"{nope").unwrap_err();
        assert_eq!(not_json.status, 400);
        assert!(not_json.message.contains("could not parse the JSON body"));
        let no_model = parse(json!({"messages": [{"role": "user", "content": "x"}]})).unwrap_err();
        assert_eq!(no_model.message, "you must provide a model parameter");
        let no_messages = parse(json!({"model": "m"})).unwrap_err();
        assert_eq!(no_messages.param.as_deref(), Some("messages"));
        assert_eq!(no_messages.code.as_deref(), Some("missing_required_parameter"));
        assert_eq!(parse(json!({"model": "m", "messages": []})).unwrap_err().code.as_deref(), Some("empty_array"));
        assert_eq!(parse(json!({"model": "m", "messages": [1]})).unwrap_err().param.as_deref(), Some("messages[0]"));
        assert_eq!(parse(json!([1])).unwrap_err().status, 400);
        let bad_stream = json!({"model": "m", "messages": [{"role": "user"}], "stream": "yes"});
        assert_eq!(parse(bad_stream).unwrap_err().param.as_deref(), Some("stream"));
    }

    #[test]
    fn finds_the_tool_name_of_a_tool_result() {
        let r = parse(json!({"model": "m", "messages": [
            {"role": "user", "content": "go"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "bash", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "(no output)"}
        ]}))
        .unwrap();
        assert_eq!(r.last_role(), Some("tool"));
        assert_eq!(r.tool_name_for_call("call_1").as_deref(), Some("bash"));
        assert_eq!(r.tool_name_for_call("call_2"), None);
        assert_eq!(message_text(r.last_message().unwrap()), "(no output)");
    }
}
