//! The control plane's model proxy: what a sandbox's model request becomes upstream. The
//! sandbox never holds a vendor key; the proxy adds it at the egress.
//!
//! - [`plan`]: the upstream URL (only the inference paths of each API), the body (OpenAI
//!   streams are asked for their usage chunk), and the model named.
//! - [`headers`]: which headers pass each way, and the vendor's auth header.
//! - [`server_tools`]: vendor-side tools and content fetched by URL, refused unless allowed.
//! - [`usage`]: tokens counted from the response as it streams past, and their cost.

pub mod budget;
pub mod headers;
pub mod server_tools;
pub mod usage;

use oi_protocol::agent::ModelApi;
use oi_protocol::{ApiError, ErrorCode};
use serde_json::Value;

pub use server_tools::ServerTools;

/// The largest request body the proxy forwards.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

/// What to send upstream.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub url: String,
    pub body: Vec<u8>,
    /// The `model` field of a JSON body.
    pub model: Option<String>,
}

/// The paths each API may reach through the proxy: inference and model listing, nothing that
/// manages the account (files, fine-tunes, keys, batches).
fn allowed(api: ModelApi, rest: &[&str]) -> bool {
    matches!(
        (api, rest),
        (_, ["models"] | ["models", _])
            | (ModelApi::OpenaiCompatible, ["chat", "completions"] | ["completions"] | ["responses"] | ["embeddings"])
            | (ModelApi::Anthropic, ["messages"] | ["messages", "count_tokens"])
    )
}

/// Plans the upstream request for `rest` (the path after `/model/<provider>/`); `tools` says
/// whether vendor-side tools may pass ([`server_tools::check`]).
pub fn plan(
    api: ModelApi,
    base_url: &str,
    rest: &[&str],
    query: Option<&str>,
    body: &[u8],
    tools: ServerTools<'_>,
) -> Result<Plan, ApiError> {
    if rest.iter().any(|s| s.is_empty() || *s == "." || *s == ".." || s.contains('\\') || s.contains('%')) {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            format!("model path {:?} is not allowed", rest.join("/")),
        ));
    }
    if !allowed(api, rest) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            format!("the model proxy does not forward /{} for this provider", rest.join("/")),
        ));
    }
    if body.len() > MAX_REQUEST_BYTES {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the model request is {} bytes; the proxy forwards at most {MAX_REQUEST_BYTES}", body.len()),
        ));
    }
    let mut url = format!("{}/{}", base_url.trim_end_matches('/'), rest.join("/"));
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        url.push('?');
        url.push_str(q);
    }
    let mut json: Option<Value> = if body.is_empty() { None } else { serde_json::from_slice(body).ok() };
    server_tools::check(api, rest, json.as_ref(), !body.is_empty(), tools)?;
    let model = json.as_ref().and_then(|j| j.get("model")).and_then(Value::as_str).map(str::to_string);
    let mut changed = false;
    if let (ModelApi::OpenaiCompatible, ["chat", "completions"], Some(Value::Object(obj))) = (api, rest, json.as_mut())
    {
        // A stream reports its usage only when asked to.
        if obj.get("stream").and_then(Value::as_bool) == Some(true) {
            let options = obj.entry("stream_options").or_insert_with(|| Value::Object(Default::default()));
            if let Value::Object(options) = options {
                if !options.contains_key("include_usage") {
                    options.insert("include_usage".into(), Value::Bool(true));
                    changed = true;
                }
            }
        }
    }
    let body = match (changed, json) {
        (true, Some(json)) => serde_json::to_vec(&json).expect("a JSON value serializes"),
        _ => body.to_vec(),
    };
    Ok(Plan { url, body, model })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_openai_stream_is_forwarded_to_the_base_url_and_asked_for_usage() {
        let body = br#"{"model":"gpt-5","stream":true,"messages":[]}"#;
        let plan = plan(
            ModelApi::OpenaiCompatible,
            "https://api.openai.com/v1/",
            &["chat", "completions"],
            None,
            body,
            ServerTools::default(),
        )
        .unwrap();
        assert_eq!(plan.url, "https://api.openai.com/v1/chat/completions");
        assert_eq!(plan.model.as_deref(), Some("gpt-5"));
        let sent: Value = serde_json::from_slice(&plan.body).unwrap();
        assert_eq!(sent["stream_options"]["include_usage"], true);
        assert_eq!(sent["messages"], serde_json::json!([]));
    }

    #[test]
    fn a_request_that_chose_its_usage_setting_is_forwarded_byte_for_byte() {
        let body = br#"{"model":"m","stream":true,"stream_options":{"include_usage":false}}"#;
        let plan = plan(
            ModelApi::OpenaiCompatible,
            "http://127.0.0.1:9/v1",
            &["chat", "completions"],
            None,
            body,
            ServerTools::default(),
        )
        .unwrap();
        assert_eq!(plan.body, body.to_vec());
        let unstreamed = br#"{"model":"m","messages":[]}"#;
        assert_eq!(plan_body(unstreamed), unstreamed.to_vec());
    }

    fn plan_body(body: &[u8]) -> Vec<u8> {
        plan(ModelApi::OpenaiCompatible, "http://x/v1", &["chat", "completions"], None, body, ServerTools::default())
            .unwrap()
            .body
    }

    #[test]
    fn anthropic_messages_keep_their_query() {
        let plan = plan(
            ModelApi::Anthropic,
            "https://api.anthropic.com/v1",
            &["messages"],
            Some("beta=true"),
            b"{}",
            ServerTools::default(),
        )
        .unwrap();
        assert_eq!(plan.url, "https://api.anthropic.com/v1/messages?beta=true");
    }

    #[test]
    fn vendor_side_tools_are_refused_unless_allowed() {
        let body = br#"{"model":"claude-haiku-4-5","max_tokens":9,"messages":[],"tools":[{"type":"web_fetch_20250910","name":"web_fetch"}]}"#;
        let e =
            plan(ModelApi::Anthropic, "https://x/v1", &["messages"], None, body, ServerTools::default()).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert!(e.message.contains("`tools[0].type` (web_fetch_20250910)"), "{}", e.message);
        let allowed = ServerTools { allowed: true, anthropic_beta: None };
        assert_eq!(plan(ModelApi::Anthropic, "https://x/v1", &["messages"], None, body, allowed).unwrap().body, body);
    }

    #[test]
    fn account_paths_and_traversal_are_refused() {
        for (api, rest) in [
            (ModelApi::OpenaiCompatible, vec!["files"]),
            (ModelApi::OpenaiCompatible, vec!["fine_tuning", "jobs"]),
            (ModelApi::OpenaiCompatible, vec!["messages"]),
            (ModelApi::Anthropic, vec!["chat", "completions"]),
            (ModelApi::Anthropic, vec!["organizations", "api_keys"]),
        ] {
            let e = plan(api, "https://x/v1", &rest, None, b"", ServerTools::default()).unwrap_err();
            assert_eq!(e.code, ErrorCode::Forbidden, "{rest:?}");
        }
        for rest in [vec!["..", "admin"], vec!["models", ".."], vec!["chat", ""], vec!["models", "a%2f..%2fb"]] {
            let e =
                plan(ModelApi::OpenaiCompatible, "https://x/v1", &rest, None, b"", ServerTools::default()).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidRequest, "{rest:?}");
        }
        let big = vec![b' '; MAX_REQUEST_BYTES + 1];
        let e =
            plan(ModelApi::Anthropic, "https://x/v1", &["messages"], None, &big, ServerTools::default()).unwrap_err();
        assert_eq!(e.code, ErrorCode::PayloadTooLarge);
    }
}
