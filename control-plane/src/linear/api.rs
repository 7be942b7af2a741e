//! Linear's GraphQL API as the control plane calls it (`POST {LINEAR_API_BASE}/graphql`), with
//! the app's token ([`super::oauth::token`]).
//!
//! Invariant: an answer is read as Linear gives it: `data`, or `errors` with
//! `extensions.type` (`ratelimited` and HTTP 429 are a wait; `authentication error` and 401 get
//! one retry with a renewed token; the rest are refusals carrying Linear's message).

use serde_json::{json, Value};
use worker::{Env, Fetch, Headers, Method, Request, RequestInit};

/// Why a call did not work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinearCallError {
    /// Rate limited: try again after this many seconds.
    RateLimited { retry_after_secs: u32 },
    /// Linear refused it (its message).
    Refused(String),
    /// No token, or Linear unreachable / answering something that is not its API.
    Unavailable(String),
}

impl std::fmt::Display for LinearCallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LinearCallError::RateLimited { retry_after_secs } => write!(f, "Linear asked to wait {retry_after_secs} s"),
            LinearCallError::Refused(why) => write!(f, "Linear refused it: {why}"),
            LinearCallError::Unavailable(why) => write!(f, "Linear is unavailable: {why}"),
        }
    }
}

/// What one answer means.
#[derive(Debug, PartialEq)]
enum Answer {
    Data(Value),
    Unauthenticated,
    Failed(LinearCallError),
}

/// Reads an answer (pure: `status`, the `x-ratelimit-requests-reset` header in epoch ms if
/// any, the body, and now).
fn read_answer(status: u16, reset_at_ms: Option<i64>, body: &str, now_ms: i64) -> Answer {
    let wait = || {
        let secs = reset_at_ms.map(|at| ((at - now_ms).max(1000) + 999) / 1000).unwrap_or(60);
        Answer::Failed(LinearCallError::RateLimited { retry_after_secs: secs.min(3600) as u32 })
    };
    if status == 429 {
        return wait();
    }
    if status == 401 {
        return Answer::Unauthenticated;
    }
    let Ok(parsed) = serde_json::from_str::<Value>(body) else {
        return Answer::Failed(LinearCallError::Unavailable(format!("Linear answered {status} with no JSON")));
    };
    if let Some(first) = parsed["errors"].as_array().and_then(|e| e.first()) {
        let kind = first["extensions"]["type"].as_str().unwrap_or_default();
        let message = first["extensions"]["userPresentableMessage"]
            .as_str()
            .or_else(|| first["message"].as_str())
            .unwrap_or("an error")
            .to_string();
        return match kind {
            "ratelimited" => wait(),
            "authentication error" => Answer::Unauthenticated,
            "internal error" | "network error" | "lock timeout" => {
                Answer::Failed(LinearCallError::Unavailable(message))
            }
            _ => Answer::Failed(LinearCallError::Refused(message)),
        };
    }
    if status >= 500 {
        return Answer::Failed(LinearCallError::Unavailable(format!("Linear answered {status}")));
    }
    match parsed.get("data") {
        Some(data) if !data.is_null() => Answer::Data(data.clone()),
        _ => Answer::Failed(LinearCallError::Unavailable(format!("Linear answered {status} without data"))),
    }
}

async fn send(env: &Env, token: &str, query: &str, variables: &Value) -> Result<(u16, Option<i64>, String), String> {
    let base = crate::config::var(env, "LINEAR_API_BASE").unwrap_or_else(|| "https://api.linear.app".into());
    let headers = Headers::new();
    headers.set("content-type", "application/json").map_err(|e| e.to_string())?;
    headers.set("authorization", &format!("Bearer {token}")).map_err(|e| e.to_string())?;
    let mut init = RequestInit::new();
    let body = json!({ "query": query, "variables": variables }).to_string();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(body.into()));
    let url = format!("{}/graphql", base.trim_end_matches('/'));
    let request = Request::new_with_init(&url, &init).map_err(|e| e.to_string())?;
    let mut response = Fetch::Request(request).send().await.map_err(|e| e.to_string())?;
    let reset = response.headers().get("x-ratelimit-requests-reset").ok().flatten().and_then(|v| v.parse().ok());
    let status = response.status_code();
    Ok((status, reset, response.text().await.unwrap_or_default()))
}

/// Runs `query` with `variables`; its `data`.
pub async fn call(env: &Env, query: &str, variables: &Value) -> Result<Value, LinearCallError> {
    let mut renewed = false;
    loop {
        // No token (the app not installed, its refresh refused) will not fix itself by waiting.
        let token = super::oauth::token(env, renewed).await.map_err(LinearCallError::Refused)?;
        let (status, reset, body) = send(env, &token, query, variables).await.map_err(LinearCallError::Unavailable)?;
        match read_answer(status, reset, &body, crate::ids::now_ms()) {
            Answer::Data(data) => return Ok(data),
            Answer::Unauthenticated if !renewed => renewed = true,
            Answer::Unauthenticated => {
                return Err(LinearCallError::Refused("the app's token is not accepted: install the app again".into()))
            }
            Answer::Failed(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_as_linear_gives_them() {
        let now = 1_700_000_000_000;
        let cases: Vec<(u16, Option<i64>, &str, Answer)> = vec![
            (200, None, r#"{"data":{"viewer":{"id":"u1"}}}"#, Answer::Data(json!({"viewer": {"id": "u1"}}))),
            (401, None, "", Answer::Unauthenticated),
            (
                400,
                None,
                r#"{"errors":[{"message":"x","extensions":{"type":"authentication error"}}]}"#,
                Answer::Unauthenticated,
            ),
            (429, Some(now + 2_500), "", Answer::Failed(LinearCallError::RateLimited { retry_after_secs: 3 })),
            (
                200,
                None,
                r#"{"errors":[{"message":"slow down","extensions":{"type":"ratelimited"}}]}"#,
                Answer::Failed(LinearCallError::RateLimited { retry_after_secs: 60 }),
            ),
            (
                200,
                None,
                r#"{"errors":[{"message":"Argument Validation Error","extensions":{"type":"invalid input","userPresentableMessage":"stateId is not a state of the team"}}]}"#,
                Answer::Failed(LinearCallError::Refused("stateId is not a state of the team".into())),
            ),
            (
                500,
                None,
                r#"{"errors":[{"message":"boom","extensions":{"type":"internal error"}}]}"#,
                Answer::Failed(LinearCallError::Unavailable("boom".into())),
            ),
            (
                502,
                None,
                "<html>",
                Answer::Failed(LinearCallError::Unavailable("Linear answered 502 with no JSON".into())),
            ),
            (
                200,
                None,
                r#"{"data":null}"#,
                Answer::Failed(LinearCallError::Unavailable("Linear answered 200 without data".into())),
            ),
        ];
        for (status, reset, body, want) in cases {
            assert_eq!(read_answer(status, reset, body, now), want, "{status} {body}");
        }
    }
}
