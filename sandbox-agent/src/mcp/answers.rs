//! What the model is told when the control plane refuses a tool's request: its error's message
//! and code (`{"error": {"code", "message"}}`, docs/protocol.md), or the status and the start of
//! whatever else it answered.

use serde_json::Value;

/// `"{what}: {message} ({code})"` from the control plane's error body, or the status and body.
pub fn failure(what: &str, status: u16, body: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let field = |name: &str| parsed.as_ref().and_then(|v| v["error"][name].as_str()).map(str::to_string);
    match (field("message"), field("code")) {
        (Some(message), Some(code)) => format!("{what}: {message} ({code})"),
        (Some(message), None) => format!("{what}: {message}"),
        _ => format!("{what}: the control plane answered {status}: {}", clip(body)),
    }
}

/// The body's first 500 characters, trimmed.
pub fn clip(body: &str) -> String {
    let body = body.trim();
    match body.char_indices().nth(500) {
        Some((at, _)) => format!("{}…", &body[..at]),
        None => body.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_carry_the_control_planes_message_or_the_status() {
        let cases: &[(u16, &str, &str)] = &[
            (409, r#"{"error":{"code":"conflict","message":"nothing yet"}}"#, "X: nothing yet (conflict)"),
            (403, r#"{"error":{"message":"off"}}"#, "X: off"),
            (502, "<html>bad gateway</html>", "X: the control plane answered 502: <html>bad gateway</html>"),
        ];
        for (status, body, want) in cases {
            assert_eq!(failure("X", *status, body), *want);
        }
        let long = "y".repeat(600);
        assert_eq!(clip(&long).chars().count(), 501);
    }
}
