//! Webhook deliveries, as GitHub sends them to an App's webhook URL: a JSON `POST` signed with
//! `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>` and GitHub's delivery headers.
//! Deliveries go out one at a time, in order, from a background task; every one is recorded
//! ([`Delivery`]) with the status the receiver answered.

pub(crate) mod discussion_payloads;
pub(crate) mod payloads;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use tokio::sync::{mpsc, Notify};

use crate::ids;

/// `X-GitHub-Hook-ID` of the App's webhook.
const HOOK_ID: u64 = 488_000_001;
/// `User-Agent: GitHub-Hookshot/<id>`.
const USER_AGENT: &str = "GitHub-Hookshot/4a8b4c1";
/// GitHub gives up on a delivery after 10 seconds.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// One webhook delivery and how it went.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    /// `X-GitHub-Delivery`, a GUID.
    pub id: String,
    /// `X-GitHub-Event`: `pull_request`, `check_run`, …
    pub event: String,
    /// The payload's `action` (`opened`, `completed`, …).
    pub action: Option<String>,
    /// The status the receiver answered (`None` while pending or when it could not be reached).
    pub status: Option<u16>,
    /// Why the delivery failed to reach the receiver.
    pub error: Option<String>,
    /// Whether the attempt is over.
    pub finished: bool,
    /// The body sent.
    pub payload: Value,
    /// What the receiver answered (its body), once it has.
    pub response_body: Option<String>,
}

#[derive(Clone, Debug)]
struct Hook {
    url: String,
    secret: String,
}

/// What the delivery task and the double share.
#[derive(Default)]
pub(crate) struct Log {
    hook: Mutex<Option<Hook>>,
    deliveries: Mutex<Vec<Delivery>>,
    changed: Notify,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

struct Job {
    index: usize,
    hook: Hook,
    target_id: u64,
    body: Vec<u8>,
}

/// The sending side, kept in [`Shared`](crate::state::Shared).
pub(crate) struct Outbox {
    pub log: Arc<Log>,
    queue: mpsc::UnboundedSender<Job>,
}

/// The delivery task's side.
pub(crate) struct Worker {
    log: Arc<Log>,
    queue: mpsc::UnboundedReceiver<Job>,
}

/// A connected outbox and worker.
pub(crate) fn outbox() -> (Outbox, Worker) {
    let log = Arc::new(Log::default());
    let (tx, rx) = mpsc::unbounded_channel();
    (Outbox { log: log.clone(), queue: tx }, Worker { log, queue: rx })
}

/// `sha256=<lowercase hex HMAC-SHA256 of body keyed with secret>`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

impl Outbox {
    /// Sets (or, with `None`, removes) the webhook URL and secret.
    pub fn set_hook(&self, hook: Option<(String, String)>) {
        *lock(&self.log.hook) = hook.map(|(url, secret)| Hook { url, secret });
    }

    /// Queues `event` with `payload` (nothing happens without a webhook). `target_id` is the App
    /// id (`X-GitHub-Hook-Installation-Target-ID`).
    pub fn send(&self, event: &str, payload: Value, target_id: u64) {
        let Some(hook) = lock(&self.log.hook).clone() else { return };
        let body = serde_json::to_vec(&payload).expect("JSON values serialize");
        let action = payload.get("action").and_then(Value::as_str).map(str::to_string);
        let delivery = Delivery {
            id: guid(),
            event: event.to_string(),
            action,
            status: None,
            error: None,
            finished: false,
            payload,
            response_body: None,
        };
        let index = {
            let mut deliveries = lock(&self.log.deliveries);
            deliveries.push(delivery);
            deliveries.len() - 1
        };
        let _ = self.queue.send(Job { index, hook, target_id, body });
    }

    /// Sends delivery `id` again, as GitHub's "Redeliver" does: the same event, body and
    /// `X-GitHub-Delivery`, recorded as a new attempt. Returns false when there is no such
    /// delivery or no webhook.
    pub fn redeliver(&self, id: &str, target_id: u64) -> bool {
        let Some(hook) = lock(&self.log.hook).clone() else { return false };
        let index = {
            let mut deliveries = lock(&self.log.deliveries);
            let Some(original) = deliveries.iter().find(|d| d.id == id).cloned() else { return false };
            deliveries.push(Delivery { status: None, error: None, finished: false, response_body: None, ..original });
            deliveries.len() - 1
        };
        let payload = lock(&self.log.deliveries)[index].payload.clone();
        let body = serde_json::to_vec(&payload).expect("JSON values serialize");
        let _ = self.queue.send(Job { index, hook, target_id, body });
        true
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.log.deliveries).clone()
    }

    /// Waits until at least `count` deliveries are finished and none is pending, or `timeout`
    /// passes; returns them all.
    pub async fn wait(&self, count: usize, timeout: Duration) -> Vec<Delivery> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let changed = self.log.changed.notified();
            let deliveries = self.deliveries();
            let done = deliveries.iter().all(|d| d.finished) && deliveries.len() >= count;
            if done || tokio::time::Instant::now() >= deadline {
                return deliveries;
            }
            let _ = tokio::time::timeout_at(deadline, changed).await;
        }
    }
}

impl Worker {
    /// Delivers queued jobs in order until the double is dropped.
    pub async fn run(mut self) {
        let client = reqwest::Client::builder().timeout(DELIVERY_TIMEOUT).build().unwrap_or_default();
        while let Some(job) = self.queue.recv().await {
            let (event, id) = {
                let deliveries = lock(&self.log.deliveries);
                let delivery = &deliveries[job.index];
                (delivery.event.clone(), delivery.id.clone())
            };
            let result = match client
                .post(&job.hook.url)
                .header("content-type", "application/json")
                .header("user-agent", USER_AGENT)
                .header("x-github-event", event)
                .header("x-github-delivery", id)
                .header("x-github-hook-id", HOOK_ID.to_string())
                .header("x-github-hook-installation-target-id", job.target_id.to_string())
                .header("x-github-hook-installation-target-type", "integration")
                .header("x-hub-signature-256", signature(&job.hook.secret, &job.body))
                .body(job.body)
                .send()
                .await
            {
                Ok(response) => {
                    let status = response.status().as_u16();
                    Ok((status, response.text().await.unwrap_or_default()))
                }
                Err(error) => Err(error),
            };
            {
                let mut deliveries = lock(&self.log.deliveries);
                let delivery = &mut deliveries[job.index];
                match result {
                    Ok((status, body)) => {
                        delivery.status = Some(status);
                        delivery.response_body = Some(body);
                    }
                    Err(error) => delivery.error = Some(error.to_string()),
                }
                delivery.finished = true;
            }
            self.log.changed.notify_waiters();
        }
    }
}

/// A GUID such as `72d3162e-cc78-11e3-81ab-4c9367dc0958`.
fn guid() -> String {
    let hex = ids::random_hex(32);
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_like_the_docs_test_vector() {
        assert_eq!(
            signature("It's a Secret to Everybody", b"Hello, World!"),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }

    #[test]
    fn guids_have_the_right_shape() {
        let id = guid();
        assert_eq!(id.len(), 36);
        assert_eq!(id.matches('-').count(), 4);
    }
}
