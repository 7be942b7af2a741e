//! Every request the double receives, kept for assertions.

use serde_json::{Map, Value};

/// One request as it arrived, how the double read it, and what it answered.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path without the query, e.g. `/api/chat.postMessage`.
    pub path: String,
    /// The raw query string (without `?`), if there was one.
    pub query: Option<String>,
    /// The headers in arrival order, names lowercase.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
    /// The Web API method (`chat.postMessage`) for `/api/…` requests.
    pub api_method: Option<String>,
    /// The arguments as the double read them: query and body merged, form and query values
    /// as strings, JSON values as sent; `token` left out.
    pub args: Map<String, Value>,
    /// The status the double answered with.
    pub status: u16,
    /// The answer's body (JSON for the Web API; a string otherwise).
    pub response: Value,
    /// The contract violations found in this request (also in
    /// [`crate::SlackDouble::violations`]).
    pub violations: Vec<String>,
}

impl RecordedRequest {
    /// The first value of a header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// An argument as a string (JSON strings unquoted; other JSON values as JSON text).
    pub fn arg(&self, name: &str) -> Option<String> {
        self.args.get(name).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    }

    /// The body as text (lossy UTF-8).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Whether the double answered `ok: true`.
    pub fn ok(&self) -> bool {
        self.response.get("ok") == Some(&Value::Bool(true))
    }

    /// The `error` code the double answered, if any.
    pub fn error(&self) -> Option<&str> {
        self.response.get("error").and_then(Value::as_str)
    }
}
