//! `POST|GET /api/<method>`: reading the arguments, the contract checks, the failure switches,
//! authentication, then the method.

use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::HeaderMap;
use serde_json::{json, Map, Value};

use crate::contract::{self, BodyKind};
use crate::methods;
use crate::state::Inner;

/// What the double answers a Web API call with, and what it made of it.
pub(crate) struct Outcome {
    pub status: u16,
    /// `Retry-After` (seconds) for a 429.
    pub retry_after: Option<u64>,
    pub body: Value,
    pub args: Map<String, Value>,
    pub violations: Vec<String>,
}

/// An `ok: false` answer from a method.
pub(crate) struct ApiError {
    pub code: String,
    /// Set when the error is the product's fault (a malformed request): recorded as a
    /// violation.
    pub violation: Option<String>,
    /// Extra top-level keys (`errors`, `response_metadata`).
    pub extra: Map<String, Value>,
}

impl ApiError {
    /// An error about the workspace's state (an unknown channel, a reaction already there):
    /// not the product's fault as far as the contract goes.
    pub fn state(code: &str) -> Self {
        Self { code: code.into(), violation: None, extra: Map::new() }
    }

    /// An error about a malformed request.
    pub fn request(code: &str, violation: impl Into<String>) -> Self {
        Self { code: code.into(), violation: Some(violation.into()), extra: Map::new() }
    }

    /// Adds Slack's `response_metadata.messages` (and `errors`) detail.
    pub fn with_messages(mut self, messages: Vec<String>) -> Self {
        self.extra.insert("errors".into(), json!(messages));
        self.extra.insert("response_metadata".into(), json!({ "messages": messages }));
        self
    }
}

fn error_body(code: &str) -> Value {
    json!({ "ok": false, "error": code })
}

/// Serves one Web API call.
pub(crate) fn call(
    inner: &mut Inner,
    method: &str,
    verb: &str,
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> Outcome {
    let mut out =
        Outcome { status: 200, retry_after: None, body: Value::Null, args: Map::new(), violations: Vec::new() };
    let Some(spec) = contract::methods().get(method) else {
        out.violations.push(format!("{method}: not a method of the Web API subset (contracts/web-api-subset.json)"));
        out.body = error_body("unknown_method");
        return out;
    };

    // Arguments: the query, then the body (which wins). `token` is taken out.
    let mut token_param = None;
    let mut parse_error = None;
    if let Some(query) = query {
        match serde_urlencoded::from_str::<Vec<(String, String)>>(query) {
            Ok(pairs) => {
                for (name, value) in pairs {
                    if name == "token" {
                        token_param = Some(value);
                    } else {
                        out.args.insert(name, Value::String(value));
                    }
                }
            }
            Err(e) => out.violations.push(format!("{method}: the query string is not URL-encoded: {e}")),
        }
    }
    let mime = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
    let mut kind = BodyKind::None;
    if verb == "POST" && !body.is_empty() {
        match mime.as_deref() {
            Some("application/json") => {
                kind = BodyKind::Json;
                match serde_json::from_slice::<Value>(body) {
                    Ok(Value::Object(map)) => {
                        for (name, value) in map {
                            if name == "token" {
                                out.violations.push(format!(
                                    "{method}: `token` in a JSON body is ignored by Slack; send Authorization: Bearer"
                                ));
                            } else {
                                out.args.insert(name, value);
                            }
                        }
                    }
                    Ok(_) => parse_error = Some(("json_not_object", format!("{method}: the JSON body is not an object"))),
                    Err(e) => parse_error = Some(("invalid_json", format!("{method}: the body is not JSON: {e}"))),
                }
            }
            Some("application/x-www-form-urlencoded") => {
                kind = BodyKind::Form;
                match serde_urlencoded::from_bytes::<Vec<(String, String)>>(body) {
                    Ok(pairs) => {
                        for (name, value) in pairs {
                            if name == "token" {
                                token_param = Some(value);
                            } else {
                                out.args.insert(name, Value::String(value));
                            }
                        }
                    }
                    Err(e) => parse_error = Some(("invalid_form_data", format!("{method}: the form body is invalid: {e}"))),
                }
            }
            None => {
                parse_error = Some(("missing_post_type", format!("{method}: a POST body without a Content-Type")))
            }
            Some(other) => {
                parse_error = Some((
                    "invalid_post_type",
                    format!("{method}: Content-Type {other}; the double reads application/json and application/x-www-form-urlencoded"),
                ))
            }
        }
    }
    out.violations.extend(contract::check(method, spec, verb, kind, &out.args));

    // The failure switches: rate limits first (Slack counts calls however they end).
    if let Some(retry_after) = inner.rate_limits.get_mut(method).and_then(|q| q.pop_front()) {
        out.status = 429;
        out.retry_after = Some(retry_after);
        out.body = error_body("ratelimited");
        return out;
    }

    // Authentication: `Authorization: Bearer <token>`, or a `token` form or query parameter.
    let bearer = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| {
        let (scheme, token) = v.trim().split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
    });
    match bearer.or(token_param) {
        None => {
            out.body = error_body("not_authed");
            return out;
        }
        Some(token) if token != inner.config.bot_token => {
            out.body = error_body("invalid_auth");
            return out;
        }
        Some(_) => {}
    }

    if let Some((code, problem)) = parse_error {
        out.violations.push(problem);
        out.body = error_body(code);
        return out;
    }
    if let Some(code) = inner.failures.get_mut(method).and_then(|q| q.pop_front()) {
        out.body = error_body(&code);
        return out;
    }

    let result = methods::run(inner, method, &out.args, &mut out.violations);
    out.body = match result {
        Ok(mut body) => {
            body["ok"] = json!(true);
            body
        }
        Err(error) => {
            if let Some(problem) = error.violation {
                out.violations.push(format!("{method}: {problem}"));
            }
            let mut body = error_body(&error.code);
            if let Some(obj) = body.as_object_mut() {
                obj.extend(error.extra);
            }
            body
        }
    };
    out
}
