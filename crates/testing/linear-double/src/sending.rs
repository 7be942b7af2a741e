//! The double's webhook senders: the agent session events a person's actions in Linear cause,
//! arbitrary signed payloads, forgeries and replays.

use anyhow::{Context, Result};
use serde_json::Value;

use crate::record::Delivery;
use crate::server::LinearDouble;
use crate::signing::signature;
use crate::webhooks::{self, Outgoing, Prompt, SessionCreated, AGENT_SESSION_EVENT};

impl LinearDouble {
    /// The signature Linear would send for `body` with the current secret.
    pub fn sign(&self, body: &[u8]) -> String {
        signature(&self.shared.lock().config.webhook_secret, body)
    }

    /// Starts an agent session (a delegation, or a mention with its comment) and builds its
    /// `created` event without sending it. Answers the session id and the payload.
    pub fn session_created_payload(&self, event: &SessionCreated) -> Result<(String, Value)> {
        webhooks::create_session(&mut self.shared.lock(), event)
    }

    /// Starts an agent session and delivers `created`. Answers the session id and the delivery.
    pub async fn send_session_created(&self, event: &SessionCreated) -> Result<(String, Delivery)> {
        let (session_id, payload) = self.session_created_payload(event)?;
        Ok((session_id, self.send_payload(&payload).await?))
    }

    /// Records a user's prompt on the session and delivers `prompted` (with `signal: "stop"`
    /// for [`Prompt::stop`]).
    pub async fn send_prompt(&self, session_id: &str, prompt: &Prompt) -> Result<Delivery> {
        let payload = webhooks::add_prompt(&mut self.shared.lock(), session_id, prompt)?;
        self.send_payload(&payload).await
    }

    /// Delivers any payload as compact JSON, signed now, with a fresh `Linear-Delivery` and
    /// `Linear-Event` from its `type`.
    pub async fn send_payload(&self, payload: &Value) -> Result<Delivery> {
        let event = payload["type"].as_str().unwrap_or(AGENT_SESSION_EVENT).to_string();
        let (url, secret) = self.webhook_target()?;
        let outgoing = Outgoing::signed(url, &secret, &event, serde_json::to_vec(payload)?);
        Ok(self.record(webhooks::deliver(outgoing).await))
    }

    /// Sends exact bytes with the given `Linear-Signature` (forged, stale or tampered
    /// deliveries); `headers` are added (or override `Linear-Event`, …).
    pub async fn send_raw(&self, body: &[u8], signature: &str, headers: &[(&str, &str)]) -> Result<Delivery> {
        let (url, secret) = self.webhook_target()?;
        let mut outgoing = Outgoing::signed(url, &secret, AGENT_SESSION_EVENT, body.to_vec());
        outgoing.signature = signature.to_string();
        outgoing.extra_headers = headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        Ok(self.record(webhooks::deliver(outgoing).await))
    }

    /// Sends a delivery again exactly as before (same `Linear-Delivery`, body and signature), as
    /// Linear's retries and a replaying attacker do.
    pub async fn resend(&self, delivery: &Delivery) -> Result<Delivery> {
        let (url, _) = self.webhook_target()?;
        let outgoing = Outgoing {
            url,
            delivery_id: delivery.delivery_id.clone(),
            event: delivery.event.clone(),
            body: delivery.body.clone(),
            signature: delivery.signature.clone(),
            extra_headers: Vec::new(),
        };
        Ok(self.record(webhooks::deliver(outgoing).await))
    }

    fn webhook_target(&self) -> Result<(String, String)> {
        let inner = self.shared.lock();
        let url =
            inner.config.webhook_url.clone().context("linear-double: no webhook URL; call set_webhook_url first")?;
        Ok((url, inner.config.webhook_secret.clone()))
    }

    fn record(&self, delivery: Delivery) -> Delivery {
        self.shared.lock().deliveries.push(delivery.clone());
        self.shared.changed.notify_waiters();
        delivery
    }
}
