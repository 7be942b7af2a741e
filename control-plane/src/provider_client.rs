//! Calls to the sandbox provider, signed with `OI-HMAC-SHA256` (docs/sandbox-provider.md).

use oi_protocol::provider::{
    BuildImage, ClaimSandbox, CreateSandbox, ImageInfo, ProviderHealth, RestoreSandbox, SandboxInfo, SnapshotInfo,
};
use oi_protocol::signing::{authorization, SignedParts};
use oi_protocol::ErrorBody;
use serde::de::DeserializeOwned;
use worker::{Env, Fetch, Headers, Method, Request, RequestInit};

use crate::{config, ids};

/// A failed provider call. Transient failures (the provider unreachable, 502, 503, 504) are
/// retried; permanent ones count toward the circuit breaker.
#[derive(Debug, Clone)]
pub struct ProviderError {
    pub message: String,
    pub transient: bool,
}

impl std::fmt::Display for ProviderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Whether an HTTP status from the provider is worth retrying.
pub fn transient_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

pub struct ProviderClient {
    url: String,
    key: String,
}

impl ProviderClient {
    pub fn from_env(env: &Env) -> Option<Self> {
        config::sandbox_provider(env).map(|(url, key)| Self { url: url.trim_end_matches('/').to_string(), key })
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<T, ProviderError> {
        let internal = |message: String| ProviderError { message, transient: false };
        let body_bytes = body.clone().unwrap_or_default();
        let parts = SignedParts { method: method.as_ref(), path, query: "", body: body_bytes.as_bytes() };
        let header = authorization(self.key.as_bytes(), &parts, ids::now_ms(), &ids::new_token()[..32]);
        let headers = Headers::new();
        headers.set("authorization", &header).map_err(|e| internal(e.to_string()))?;
        headers.set("content-type", "application/json").map_err(|e| internal(e.to_string()))?;
        let mut init = RequestInit::new();
        init.with_method(method).with_headers(headers).with_body(body.map(Into::into));
        let request =
            Request::new_with_init(&format!("{}{path}", self.url), &init).map_err(|e| internal(e.to_string()))?;
        let mut response = Fetch::Request(request)
            .send()
            .await
            .map_err(|e| ProviderError { message: format!("the provider is unreachable: {e}"), transient: true })?;
        let status = response.status_code();
        let text = response.text().await.map_err(|e| internal(e.to_string()))?;
        if !(200..300).contains(&status) {
            let why = serde_json::from_str::<ErrorBody>(&text).map(|b| b.error.message).unwrap_or(text);
            return Err(ProviderError {
                message: format!("the provider answered {status}: {why}"),
                transient: transient_status(status),
            });
        }
        serde_json::from_str(&text).map_err(|e| internal(format!("the provider sent an unreadable answer: {e}")))
    }

    pub async fn health(&self) -> Result<ProviderHealth, ProviderError> {
        self.call(Method::Get, "/v1/health", None).await
    }

    pub async fn create(&self, request: &CreateSandbox) -> Result<SandboxInfo, ProviderError> {
        let body = serde_json::to_string(request).expect("protocol types serialize");
        self.call(Method::Post, "/v1/sandboxes", Some(body)).await
    }

    pub async fn restore(&self, request: &RestoreSandbox) -> Result<SandboxInfo, ProviderError> {
        let body = serde_json::to_string(request).expect("protocol types serialize");
        self.call(Method::Post, "/v1/sandboxes/restore", Some(body)).await
    }

    pub async fn snapshot(&self, sandbox_id: &str) -> Result<SnapshotInfo, ProviderError> {
        self.call(Method::Post, &format!("/v1/sandboxes/{sandbox_id}/snapshot"), None).await
    }

    pub async fn terminate(&self, sandbox_id: &str) -> Result<SandboxInfo, ProviderError> {
        self.call(Method::Delete, &format!("/v1/sandboxes/{sandbox_id}"), None).await
    }

    pub async fn status(&self, sandbox_id: &str) -> Result<SandboxInfo, ProviderError> {
        self.call(Method::Get, &format!("/v1/sandboxes/{sandbox_id}"), None).await
    }

    pub async fn claim(&self, sandbox_id: &str, claim: &ClaimSandbox) -> Result<SandboxInfo, ProviderError> {
        let body = serde_json::to_string(claim).expect("protocol types serialize");
        self.call(Method::Post, &format!("/v1/sandboxes/{sandbox_id}/claim"), Some(body)).await
    }

    pub async fn build_image(&self, request: &BuildImage) -> Result<ImageInfo, ProviderError> {
        let body = serde_json::to_string(request).expect("protocol types serialize");
        self.call(Method::Post, "/v1/images", Some(body)).await
    }

    pub async fn image(&self, image_id: &str) -> Result<ImageInfo, ProviderError> {
        self.call(Method::Get, &format!("/v1/images/{image_id}"), None).await
    }

    pub async fn delete_image(&self, image_id: &str) -> Result<ImageInfo, ProviderError> {
        self.call(Method::Delete, &format!("/v1/images/{image_id}"), None).await
    }
}
