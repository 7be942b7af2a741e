//! Calls to the sandbox provider, signed with `OI-HMAC-SHA256` (docs/sandbox-provider.md).

use oi_protocol::provider::{CreateSandbox, SandboxInfo};
use oi_protocol::signing::{authorization, SignedParts};
use oi_protocol::ErrorBody;
use serde::de::DeserializeOwned;
use worker::{Env, Fetch, Headers, Method, Request, RequestInit};

use crate::{config, ids};

pub struct ProviderClient {
    url: String,
    key: String,
}

impl ProviderClient {
    pub fn from_env(env: &Env) -> Option<Self> {
        config::sandbox_provider(env).map(|(url, key)| Self {
            url: url.trim_end_matches('/').to_string(),
            key,
        })
    }

    async fn call<T: DeserializeOwned>(&self, method: Method, path: &str, body: Option<String>) -> Result<T, String> {
        let body_bytes = body.clone().unwrap_or_default();
        let parts = SignedParts {
            method: method.as_ref(),
            path,
            query: "",
            body: body_bytes.as_bytes(),
        };
        let header = authorization(self.key.as_bytes(), &parts, ids::now_ms(), &ids::new_token()[..32]);
        let headers = Headers::new();
        headers.set("authorization", &header).map_err(|e| e.to_string())?;
        headers
            .set("content-type", "application/json")
            .map_err(|e| e.to_string())?;
        let mut init = RequestInit::new();
        init.with_method(method)
            .with_headers(headers)
            .with_body(body.map(Into::into));
        let request = Request::new_with_init(&format!("{}{path}", self.url), &init).map_err(|e| e.to_string())?;
        let mut response = Fetch::Request(request)
            .send()
            .await
            .map_err(|e| format!("the provider is unreachable: {e}"))?;
        let status = response.status_code();
        let text = response.text().await.map_err(|e| e.to_string())?;
        if !(200..300).contains(&status) {
            let why = serde_json::from_str::<ErrorBody>(&text)
                .map(|b| b.error.message)
                .unwrap_or(text);
            return Err(format!("the provider answered {status}: {why}"));
        }
        serde_json::from_str(&text).map_err(|e| format!("the provider sent an unreadable answer: {e}"))
    }

    pub async fn create(&self, request: &CreateSandbox) -> Result<SandboxInfo, String> {
        let body = serde_json::to_string(request).map_err(|e| e.to_string())?;
        self.call(Method::Post, "/v1/sandboxes", Some(body)).await
    }

    pub async fn terminate(&self, sandbox_id: &str) -> Result<SandboxInfo, String> {
        self.call(Method::Delete, &format!("/v1/sandboxes/{sandbox_id}"), None)
            .await
    }
}
