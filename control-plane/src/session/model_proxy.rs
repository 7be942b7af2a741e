//! The model proxy: `/api/sessions/:id/model/:provider/*path`, called by the sandbox's
//! supervisor with the sandbox token. The Durable Object checks the token (a stopped sandbox's
//! token is cleared, so it no longer works), adds the vendor key at the egress, streams the
//! response back as it arrives, and counts the tokens it carried into the session's usage.
//! What is forwarded is decided by `oi_session_core::model_proxy` (vendor-side tools that
//! reach the network only with `MODEL_PROXY_ALLOW_SERVER_TOOLS=true`).

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::Stream;
use oi_protocol::rest::{ModelUsage, SessionUsage};
use oi_protocol::{ApiError, ErrorCode};
use oi_session_core::model_proxy::usage::{Prices, Usage, UsageScanner};
use oi_session_core::model_proxy::{budget, headers, plan, server_tools, ServerTools, MAX_REQUEST_BYTES};
use wasm_bindgen::JsValue;
use worker::{ByteStream, Fetch, Headers, Method, Request, RequestInit, Response, ResponseBuilder};

use super::store::Store;
use super::SessionObject;
use crate::config;
use crate::http::Outcome;

impl SessionObject {
    pub(super) async fn proxy_model(&self, mut req: Request, path: &str) -> Outcome<Response> {
        self.check_sandbox_token(&req)?;
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let (provider_id, rest) = match segments.as_slice() {
            ["api", "sessions", _, "model", provider, rest @ ..] => (*provider, rest),
            _ => return Err(ApiError::new(ErrorCode::NotFound, "not a model proxy path").into()),
        };
        let provider =
            config::model_providers(&self.env).into_iter().find(|p| p.id == provider_id).ok_or_else(|| {
                ApiError::new(ErrorCode::NotFound, format!("no model provider {provider_id:?} is configured"))
            })?;
        let cap = budget::parse_cap(config::var(&self.env, "MODEL_SPEND_CAP_USD").as_deref());
        budget::check(self.usage()?.cost_usd, cap)?;
        let body = crate::http::read_body(&mut req, MAX_REQUEST_BYTES).await?;
        let url = req.url()?;
        let beta = req.headers().get("anthropic-beta")?;
        let tools = ServerTools {
            allowed: config::var(&self.env, server_tools::ALLOW_SETTING).is_some_and(|v| v == "true"),
            anthropic_beta: beta.as_deref(),
        };
        let plan = plan(provider.api, &provider.base_url, rest, url.query(), &body, tools)?;

        let upstream_headers = Headers::new();
        for (name, value) in req.headers().entries() {
            if headers::forward_request_header(&name) {
                upstream_headers.set(&name, &value)?;
            }
        }
        if let Some(key) = &provider.api_key {
            let (name, value) = headers::auth_header(provider.api, key);
            upstream_headers.set(name, &value)?;
        }
        let method = req.method();
        let mut init = RequestInit::new();
        init.with_method(method.clone()).with_headers(upstream_headers);
        if method != Method::Get && body.len() <= MAX_REQUEST_BYTES {
            init.with_body(Some(JsValue::from(js_sys::Uint8Array::from(plan.body.as_slice()))));
        }
        let upstream = Request::new_with_init(&plan.url, &init)?;
        let mut response = Fetch::Request(upstream).send().await.map_err(|e| {
            ApiError::new(ErrorCode::UpstreamUnavailable, format!("model provider {provider_id} is unreachable: {e}"))
        })?;

        let back = Headers::new();
        for (name, value) in response.headers().entries() {
            if headers::forward_response_header(&name) {
                back.set(&name, &value)?;
            }
        }
        let model = format!("{provider_id}/{}", plan.model.unwrap_or_else(|| "unknown".into()));
        let status = response.status_code();
        // Usage lands in its own table: a store over the same SQLite, without the cached rows.
        let store = Store::new(self.store.sql().clone());
        let metered = Metered { inner: response.stream()?, scanner: Some(UsageScanner::new()), store, model };
        Ok(ResponseBuilder::new().with_status(status).with_headers(back).from_stream(metered)?)
    }

    /// The session's model usage, priced by `MODEL_PRICES`.
    pub(super) fn usage(&self) -> Outcome<SessionUsage> {
        let prices = config::var(&self.env, "MODEL_PRICES").and_then(|p| Prices::parse(&p).ok()).unwrap_or_default();
        let mut total = SessionUsage::default();
        for (model, requests, usage) in self.store.model_usage()? {
            let cost_usd = prices.cost(&model, usage);
            total.input_tokens += usage.input_tokens;
            total.output_tokens += usage.output_tokens;
            total.cost_usd += cost_usd;
            total.models.push(ModelUsage {
                model,
                requests,
                input_tokens: usage.input_tokens,
                output_tokens: usage.output_tokens,
                cost_usd,
            });
        }
        Ok(total)
    }
}

/// The upstream body, passed through chunk by chunk while its usage is read; recorded when
/// it ends (or the sandbox hangs up).
struct Metered {
    inner: ByteStream,
    scanner: Option<UsageScanner>,
    store: Store<worker::SqlStorage>,
    model: String,
}

impl Metered {
    fn record(&mut self) {
        if let Some(scanner) = self.scanner.take() {
            let usage: Usage = scanner.finish();
            if let Err(e) = self.store.add_model_usage(&self.model, usage) {
                worker::console_error!("model usage for {}: {e}", self.model);
            }
        }
    }
}

impl Stream for Metered {
    type Item = worker::Result<Vec<u8>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                if let Some(scanner) = this.scanner.as_mut() {
                    scanner.feed(&chunk);
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(None) => {
                this.record();
                Poll::Ready(None)
            }
            other => other,
        }
    }
}

impl Drop for Metered {
    fn drop(&mut self) {
        self.record();
    }
}
