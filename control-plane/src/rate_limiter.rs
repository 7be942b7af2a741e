//! Rate limits that hold across isolates: one small Durable Object per key (for example
//! `sign-in:<address>`), holding that key's current window. The decision is
//! `oi_session_core::rate_limit::decide`.

use oi_protocol::{ApiError, ErrorCode};
use oi_session_core::rate_limit::{decide, Decision, Limit, Window};
use worker::{durable_object, Env, Method, Request, RequestInit, Response, Result, State};

use crate::ids;

/// The Durable Object namespace binding.
pub const BINDING: &str = "RATE_LIMITS";
const HIT_URL: &str = "https://rate-limit.internal/hit";
const WINDOW_KEY: &str = "window";

#[durable_object]
pub struct RateLimiter {
    state: State,
}

impl worker::DurableObject for RateLimiter {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    /// `POST /hit` with a [`Limit`]: counts one request; 200 `{"allowed":…, "retry_after_ms":…}`.
    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let limit: Limit = req.json().await?;
        let storage = self.state.storage();
        let current: Option<Window> = storage.get(WINDOW_KEY).await.ok().flatten();
        match decide(current, limit, ids::now_ms()) {
            Decision::Allow(window) => {
                storage.put(WINDOW_KEY, window).await?;
                Response::from_json(&serde_json::json!({ "allowed": true, "retry_after_ms": 0 }))
            }
            Decision::Deny { retry_after_ms } => {
                Response::from_json(&serde_json::json!({ "allowed": false, "retry_after_ms": retry_after_ms }))
            }
        }
    }
}

#[derive(serde::Deserialize)]
struct Answer {
    allowed: bool,
    retry_after_ms: i64,
}

/// Counts one request of `what` for `key`; `rate_limited` (429) when over `limit`. When the
/// limiter itself fails the request goes through (and the failure is logged): a broken limiter
/// must not lock everyone out.
pub async fn check(env: &Env, key: &str, limit: Limit, what: &str) -> std::result::Result<(), ApiError> {
    let answer = async {
        let stub = env.durable_object(BINDING)?.id_from_name(key)?.get_stub()?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_body(Some(serde_json::to_string(&limit)?.into()));
        let mut response = stub.fetch_with_request(Request::new_with_init(HIT_URL, &init)?).await?;
        response.json::<Answer>().await
    };
    match answer.await {
        Ok(a) if !a.allowed => Err(ApiError::new(
            ErrorCode::RateLimited,
            format!("too many {what}; try again in {} s", (a.retry_after_ms + 999) / 1000),
        )),
        Ok(_) => Ok(()),
        Err(e) => {
            worker::console_error!("rate limiter for {key}: {e}");
            Ok(())
        }
    }
}

/// The client's address, as Cloudflare reports it (`CF-Connecting-IP`); `local` under
/// `wrangler dev` without it.
pub fn client_address(req: &Request) -> String {
    req.headers().get("cf-connecting-ip").ok().flatten().unwrap_or_else(|| "local".to_string())
}
