//! A typed REST client for `/api`.

use anyhow::{bail, Context, Result};
use oi_protocol::rest::{
    CreateSessionRequest, EventsPage, Health, PromptAccepted, PromptRequest, SandboxAttachment, SessionList,
    StopAccepted,
};
use oi_protocol::{ErrorBody, SessionState, SessionSummary};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A raw answer: status and body, for tests that check errors.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    pub status: u16,
    pub body: String,
}

impl ApiResponse {
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_str(&self.body).with_context(|| format!("decode {} body {}", self.status, self.body))
    }

    /// The error body; fails when the body is not one.
    pub fn error(&self) -> Result<ErrorBody> {
        self.json()
    }
}

/// One step of a browser's way through redirects ([`Api::hop`]).
#[derive(Debug, Clone)]
pub struct Hop {
    pub status: u16,
    pub location: Option<String>,
    /// `name=value` of each cookie set.
    pub cookies: Vec<String>,
    pub body: String,
}

#[derive(Clone)]
pub struct Api {
    base: String,
    http: reqwest::Client,
    /// Sent as `Cookie` on every request (a local person, or a signed-in browser's session).
    cookie: Option<String>,
    /// Sent as `Authorization: Bearer` on every request (local mode's run token).
    bearer: Option<String>,
}

impl Api {
    pub fn new(base: String) -> Self {
        Self { base, http: reqwest::Client::new(), cookie: None, bearer: None }
    }

    /// The same API with local mode's run token on every request.
    pub fn with_token(self, token: &str) -> Self {
        Self { bearer: Some(token.to_string()), ..self }
    }

    /// The same API with no credential at all.
    pub fn anonymous(&self) -> Self {
        Self { bearer: None, cookie: None, ..self.clone() }
    }

    /// The same API as another local person (local mode with the identity picker): their
    /// `oi_local_user` cookie on every request.
    pub fn as_local_user(&self, name: &str) -> Self {
        let encoded = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
        Self { cookie: Some(format!("oi_local_user={encoded}")), ..self.clone() }
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// A request to `path` with this API's credentials.
    pub(crate) fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(cookie) = &self.cookie {
            req = req.header("cookie", cookie);
        }
        if let Some(token) = &self.bearer {
            req = req.bearer_auth(token);
        }
        req
    }

    /// Any request with a raw body; never fails on a non-2xx status.
    pub async fn raw(&self, method: &str, path: &str, body: Option<&str>) -> Result<ApiResponse> {
        let method = reqwest::Method::from_bytes(method.as_bytes())?;
        let mut req = self.request(method, path);
        if let Some(body) = body {
            req = req.header("content-type", "application/json").body(body.to_string());
        }
        let res = req.send().await?;
        Ok(ApiResponse { status: res.status().as_u16(), body: res.text().await? })
    }

    /// One `GET` a browser would make, without following a redirect: the status, the
    /// `Location` and the cookies set (`name=value`), with this API's credential and `cookie`.
    pub async fn hop(&self, url: &str, cookie: Option<&str>) -> Result<Hop> {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
        let url = if url.starts_with('/') { format!("{}{url}", self.base) } else { url.to_string() };
        let mut req = client.get(url);
        if let Some(token) = &self.bearer {
            req = req.bearer_auth(token);
        }
        if let Some(cookie) = cookie {
            req = req.header("cookie", cookie);
        }
        let res = req.send().await?;
        let location = res.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_string);
        let cookies = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_string))
            .collect();
        Ok(Hop { status: res.status().as_u16(), location, cookies, body: res.text().await? })
    }

    /// A request with exact body bytes and extra headers (signed deliveries); never fails on a
    /// non-2xx status. No credential is sent unless the headers carry one.
    pub async fn deliver(&self, path: &str, body: &[u8], headers: &[(&str, &str)]) -> Result<ApiResponse> {
        let mut req = self.http.post(format!("{}{path}", self.base)).header("content-type", "application/json");
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let res = req.body(body.to_vec()).send().await?;
        Ok(ApiResponse { status: res.status().as_u16(), body: res.text().await? })
    }

    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<&B>,
        want: u16,
    ) -> Result<T> {
        let body = body.map(serde_json::to_string).transpose()?;
        let res = self.raw(method, path, body.as_deref()).await?;
        if res.status != want {
            bail!("{method} {path}: expected {want}, got {} {}", res.status, res.body);
        }
        res.json()
    }

    pub async fn health(&self) -> Result<Health> {
        self.call::<(), _>("GET", "/api/health", None, 200).await
    }

    pub async fn create_session(&self, req: &CreateSessionRequest) -> Result<SessionSummary> {
        self.call("POST", "/api/sessions", Some(req), 201).await
    }

    pub async fn list_sessions(&self, query: &str) -> Result<SessionList> {
        self.call::<(), _>("GET", &format!("/api/sessions{query}"), None, 200).await
    }

    pub async fn session(&self, id: &str) -> Result<SessionState> {
        self.call::<(), _>("GET", &format!("/api/sessions/{id}"), None, 200).await
    }

    pub async fn prompt(&self, id: &str, req: &PromptRequest) -> Result<PromptAccepted> {
        self.call("POST", &format!("/api/sessions/{id}/prompts"), Some(req), 202).await
    }

    pub async fn stop(&self, id: &str) -> Result<StopAccepted> {
        self.call::<(), _>("POST", &format!("/api/sessions/{id}/stop"), None, 202).await
    }

    pub async fn archive(&self, id: &str, archived: bool) -> Result<SessionSummary> {
        let verb = if archived { "archive" } else { "unarchive" };
        self.call::<(), _>("POST", &format!("/api/sessions/{id}/{verb}"), None, 200).await
    }

    pub async fn events(&self, id: &str, after: u64, limit: u32) -> Result<EventsPage> {
        self.call::<(), _>("GET", &format!("/api/sessions/{id}/events?after={after}&limit={limit}"), None, 200).await
    }

    pub async fn attach_sandbox(&self, id: &str) -> Result<SandboxAttachment> {
        self.call::<(), _>("POST", &format!("/api/sessions/{id}/sandbox/attach"), None, 201).await
    }

    pub async fn delete_session(&self, id: &str) -> Result<()> {
        let res = self.raw("DELETE", &format!("/api/sessions/{id}"), None).await?;
        if res.status != 204 {
            bail!("DELETE session: {} {}", res.status, res.body);
        }
        Ok(())
    }

    /// A prompt request with a fresh request id.
    pub fn prompt_request(text: &str) -> PromptRequest {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        PromptRequest {
            text: text.to_string(),
            client_request_id: format!("req-{}-{n}", std::process::id()),
            model: None,
            attachments: Vec::new(),
        }
    }
}
