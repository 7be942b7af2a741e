//! The Sentry double: sends integration-platform webhook deliveries the way Sentry does
//! (shared/contracts/sentry/README.md): the body signed with the client secret
//! (`Sentry-Hook-Signature`), a fresh `Request-ID`, the resource and a timestamp. Payloads are
//! the contract's recorded ones (`fixtures/sentry/`), edited by the test where it needs a
//! second event or another project.

use anyhow::Result;
use serde_json::Value;

use crate::signing::{hmac_hex, unix_now};
use crate::{random_hex, ApiResponse};

/// The recorded `issue` / `created` delivery.
pub fn issue_created() -> Value {
    serde_json::from_str(include_str!("../fixtures/sentry/issue.created.json")).expect("recorded payload")
}

/// The recorded `event_alert` / `triggered` delivery.
pub fn event_alert_triggered() -> Value {
    serde_json::from_str(include_str!("../fixtures/sentry/event_alert.triggered.json")).expect("recorded payload")
}

/// A Sentry installation's sender: its client secret and where it delivers.
pub struct SentrySender {
    pub client_secret: String,
    pub url: String,
    http: reqwest::Client,
}

/// One delivery as sent: its id (Sentry's `Request-ID`) and the answer.
pub struct Sent {
    pub request_id: String,
    pub answer: ApiResponse,
}

impl SentrySender {
    /// Delivers to `<base>/api/integrations/sentry/webhook`.
    pub fn new(base: &str, client_secret: &str) -> Self {
        Self {
            client_secret: client_secret.to_string(),
            url: format!("{base}/api/integrations/sentry/webhook"),
            http: reqwest::Client::new(),
        }
    }

    /// Sends `payload` as Sentry would (compact JSON, as Sentry's `json.dumps` then signs).
    pub async fn send(&self, resource: &str, payload: &Value) -> Result<Sent> {
        let body = serde_json::to_vec(payload)?;
        self.send_raw(resource, &body, &random_hex(16), &hmac_hex(&self.client_secret, &body)).await
    }

    /// Sends exact bytes under a given id and signature (replays, forgeries).
    pub async fn send_raw(&self, resource: &str, body: &[u8], request_id: &str, signature: &str) -> Result<Sent> {
        let res = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("request-id", request_id)
            .header("sentry-hook-resource", resource)
            .header("sentry-hook-timestamp", unix_now().to_string())
            .header("sentry-hook-signature", signature)
            .body(body.to_vec())
            .send()
            .await?;
        let answer = ApiResponse { status: res.status().as_u16(), body: res.text().await? };
        Ok(Sent { request_id: request_id.to_string(), answer })
    }
}
