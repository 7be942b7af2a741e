//! Calls from the Worker to a session's Durable Object that no client can make, and the one
//! client for a session's Durable Object ([`SessionStub`]).
//!
//! Invariant: an internal call is one [`Internal`] value posted to [`INTERNAL_URL`]; the
//! Worker forwards only `/api/sessions/:id/…` paths, so no outside request can reach it.

use oi_protocol::events::NoticeLevel;
use oi_protocol::rest::PromptRequest;
use oi_protocol::{ApiError, ErrorCode, SessionSummary, User};
use serde::{Deserialize, Serialize};
use worker::{Env, Method, Request, RequestInit, Response};

use crate::github::webhook::Update;

/// Where internal calls go (the host is not routable from outside).
pub const INTERNAL_URL: &str = "https://session.internal/call";

/// The Durable Object namespace binding.
pub const SESSIONS_BINDING: &str = "SESSIONS";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum Internal {
    /// Create the session's row and first event (repeating it is harmless). 201 with the
    /// summary.
    Init { summary: SessionSummary },
    /// Take over a warm-pool sandbox the Worker claimed for this session. 204.
    Adopt { sandbox_id: String },
    /// A GitHub webhook's news about the session's pull request. 204.
    PullRequestUpdate { update: Update },
    /// A prompt from an integration, as `author` (the person it acts for): queued like a
    /// person's, and answered the same way (202 `PromptAccepted`; the same
    /// `client_request_id` again is the same prompt).
    Prompt { author: User, request: PromptRequest },
    /// Something about the session an integration wants its watchers to know (Slack refused
    /// to post in the thread, say): recorded as a `notice` event. 204.
    Notice { level: NoticeLevel, message: String },
}

/// Whether a request to the Durable Object is an internal call.
pub fn is_internal(url: &worker::Url) -> bool {
    url.host_str() == Some("session.internal") && url.path() == "/call"
}

/// A session's Durable Object, as the Worker reaches it.
pub struct SessionStub {
    stub: worker::Stub,
}

impl SessionStub {
    pub fn new(env: &Env, session_id: &str) -> worker::Result<Self> {
        Ok(Self { stub: env.durable_object(SESSIONS_BINDING)?.id_from_name(session_id)?.get_stub()? })
    }

    /// Makes an internal call; an answer outside 2xx is an error carrying its body.
    pub async fn call(&self, call: &Internal) -> worker::Result<Response> {
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_body(Some(serde_json::to_string(call)?.into()));
        let mut response = self.stub.fetch_with_request(Request::new_with_init(INTERNAL_URL, &init)?).await?;
        if !(200..300).contains(&response.status_code()) {
            let text = response.text().await.unwrap_or_default();
            return Err(worker::Error::RustError(format!("{call:?} answered {}: {text}", response.status_code())));
        }
        Ok(response)
    }

    /// Makes an internal call whose refusal (4xx) is an answer, not an error: the
    /// [`ApiError`] the object gave.
    pub async fn call_api(&self, call: &Internal) -> worker::Result<Result<Response, ApiError>> {
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_body(Some(serde_json::to_string(call)?.into()));
        let mut response = self.stub.fetch_with_request(Request::new_with_init(INTERNAL_URL, &init)?).await?;
        match response.status_code() {
            200..=299 => Ok(Ok(response)),
            400..=499 => {
                let text = response.text().await.unwrap_or_default();
                Ok(Err(serde_json::from_str(&text).unwrap_or_else(|_| ApiError::new(ErrorCode::Internal, text))))
            }
            status => {
                let text = response.text().await.unwrap_or_default();
                Err(worker::Error::RustError(format!("{call:?} answered {status}: {text}")))
            }
        }
    }

    /// Forwards a client's request (its identity already set by the Worker).
    pub async fn forward(&self, req: Request) -> worker::Result<Response> {
        self.stub.fetch_with_request(req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_calls_are_tagged() {
        let call = Internal::Adopt { sandbox_id: "sbx_1".into() };
        let json = serde_json::to_value(&call).unwrap();
        assert_eq!(json, serde_json::json!({"call": "adopt", "sandbox_id": "sbx_1"}));
        assert!(matches!(serde_json::from_value(json).unwrap(), Internal::Adopt { .. }));
    }
}
