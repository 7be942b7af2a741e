//! Which headers cross the model proxy, each way, and the vendor's auth header.

use oi_protocol::agent::ModelApi;

/// Request headers passed upstream (lower case). Everything else, above all any credential the
/// sandbox sent, is dropped.
pub fn forward_request_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    matches!(name.as_str(), "content-type" | "accept" | "anthropic-version" | "anthropic-beta" | "openai-beta")
}

/// Response headers passed back: the content type and the vendor's rate-limit and retry hints.
pub fn forward_response_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    matches!(
        name.as_str(),
        "content-type" | "retry-after" | "retry-after-ms" | "x-should-retry" | "request-id" | "x-request-id"
    ) || name.starts_with("x-ratelimit-")
        || name.starts_with("anthropic-ratelimit-")
}

/// The header that carries the vendor key.
pub fn auth_header(api: ModelApi, key: &str) -> (&'static str, String) {
    match api {
        ModelApi::OpenaiCompatible => ("authorization", format!("Bearer {key}")),
        ModelApi::Anthropic => ("x-api-key", key.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_from_the_sandbox_never_pass() {
        for name in ["Authorization", "x-api-key", "Cookie", "api-key", "x-oi-user", "host", "proxy-authorization"] {
            assert!(!forward_request_header(name), "{name}");
        }
        for name in ["Content-Type", "accept", "anthropic-version", "anthropic-beta"] {
            assert!(forward_request_header(name), "{name}");
        }
    }

    #[test]
    fn rate_limit_hints_come_back_and_cookies_do_not() {
        for name in
            ["content-type", "Retry-After", "x-ratelimit-remaining-tokens", "anthropic-ratelimit-requests-limit"]
        {
            assert!(forward_response_header(name), "{name}");
        }
        for name in ["set-cookie", "cf-ray", "openai-organization", "content-length"] {
            assert!(!forward_response_header(name), "{name}");
        }
    }

    #[test]
    fn each_api_gets_its_auth_header() {
        assert_eq!(auth_header(ModelApi::OpenaiCompatible, "sk-1"), ("authorization", "Bearer sk-1".to_string()));
        assert_eq!(auth_header(ModelApi::Anthropic, "sk-ant"), ("x-api-key", "sk-ant".to_string()));
    }
}
