//! A receiver for an automation's callbacks (docs/automations.md): an HTTP server on
//! 127.0.0.1 that checks each notice's `X-OI-Signature-256` as a receiver would
//! ([`crate::signing::verify_oi`]), drops ids it has seen, and keeps the rest. It can be
//! "down": its port chosen but nothing listening until [`CallbackReceiver::listen`].

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use serde_json::Value;

use crate::signing::verify_oi;

/// One notice as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub notice_id: String,
    pub body: Value,
}

#[derive(Default)]
struct Inner {
    secret: String,
    received: Vec<Received>,
    /// Deliveries refused for a bad signature.
    forged: usize,
    /// Every attempt, duplicates included.
    attempts: usize,
}

pub struct CallbackReceiver {
    port: u16,
    inner: Arc<Mutex<Inner>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl CallbackReceiver {
    /// Chooses a port; nothing listens on it yet (the receiver is down).
    pub fn reserve() -> Result<Self> {
        Ok(Self { port: crate::free_port(), inner: Arc::default(), server: None })
    }

    /// Where the automation sends its notices.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/notices", self.port)
    }

    /// The secret notices are signed with (the automation's).
    pub fn set_secret(&self, secret: &str) {
        self.inner.lock().unwrap().secret = secret.to_string();
    }

    /// Starts listening (the receiver comes up).
    pub async fn listen(&mut self) -> Result<()> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await?;
        let app = Router::new().route("/notices", post(receive)).with_state(self.inner.clone());
        self.server = Some(tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        }));
        Ok(())
    }

    /// The notices received so far (each id once).
    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().unwrap().received.clone()
    }

    /// (attempts that reached it, forged ones).
    pub fn counts(&self) -> (usize, usize) {
        let inner = self.inner.lock().unwrap();
        (inner.attempts, inner.forged)
    }

    /// Waits until a received notice matches.
    pub async fn wait_for(&self, timeout: Duration, what: impl Fn(&Received) -> bool) -> Result<Received> {
        let started = Instant::now();
        loop {
            if let Some(found) = self.received().into_iter().find(|r| what(r)) {
                return Ok(found);
            }
            if started.elapsed() > timeout {
                bail!("no matching notice after {timeout:?}; received {:?}", self.received());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for CallbackReceiver {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

async fn receive(State(inner): State<Arc<Mutex<Inner>>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let mut inner = inner.lock().unwrap();
    inner.attempts += 1;
    let signature = headers.get("x-oi-signature-256").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !verify_oi(&inner.secret, &body, signature) {
        inner.forged += 1;
        return StatusCode::UNAUTHORIZED;
    }
    let Some(notice_id) = headers.get("x-oi-notice-id").and_then(|v| v.to_str().ok()).map(String::from) else {
        return StatusCode::BAD_REQUEST;
    };
    let Ok(body) = serde_json::from_slice::<Value>(&body) else { return StatusCode::BAD_REQUEST };
    if body["id"] != notice_id.as_str() {
        return StatusCode::BAD_REQUEST;
    }
    if !inner.received.iter().any(|r| r.notice_id == notice_id) {
        inner.received.push(Received { notice_id, body });
    }
    StatusCode::NO_CONTENT
}
