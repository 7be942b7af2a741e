//! A small Chrome DevTools Protocol client over one WebSocket to the browser's endpoint
//! (`ws://127.0.0.1:<port>/devtools/browser/<id>`): commands are `{"id", "method", "params",
//! "sessionId"?}` answered by `{"id", "result"}` or `{"id", "error"}`; everything without an id
//! is an event (<https://chromedevtools.github.io/devtools-protocol/>). Pages are reached
//! through flattened sessions (`Target.attachToTarget` with `flatten: true`): a command carries
//! the page's `sessionId`, and so do its events.
//!
//! A reader task hands each answer to the command waiting for it and every event to
//! [`Cdp::next_event`]; when the socket closes, every waiting command fails.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The largest message taken: a screenshot's base64 within its JSON (an image is at most
/// `MAX_IMAGE_BYTES`, 10 MB, before base64).
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

type Sink = SplitSink<WebSocketStream<MaybeTlsStream<TcpStream>>, Message>;
type Waiting = Arc<Mutex<HashMap<u64, oneshot::Sender<Result<Value, String>>>>>;

/// One event: its method, params and the session it came from (none: the browser's).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub method: String,
    pub params: Value,
    pub session_id: Option<String>,
}

/// What one message from the browser is.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// The answer to command `id`: its result, or the error's message.
    Answer {
        id: u64,
        result: Result<Value, String>,
    },
    Event(Event),
}

/// Reads one message (pure); `None` for one that is neither an answer nor an event.
pub fn parse_incoming(text: &str) -> Option<Incoming> {
    let message: Value = serde_json::from_str(text).ok()?;
    if let Some(id) = message.get("id").and_then(Value::as_u64) {
        let result = match message.get("error") {
            Some(error) => Err(error.get("message").and_then(Value::as_str).unwrap_or("unknown error").to_string()),
            None => Ok(message.get("result").cloned().unwrap_or(Value::Null)),
        };
        return Some(Incoming::Answer { id, result });
    }
    let method = message.get("method")?.as_str()?.to_string();
    Some(Incoming::Event(Event {
        method,
        params: message.get("params").cloned().unwrap_or(Value::Null),
        session_id: message.get("sessionId").and_then(Value::as_str).map(str::to_string),
    }))
}

/// A command as sent (pure).
pub fn command(id: u64, method: &str, params: Value, session_id: Option<&str>) -> Value {
    let mut command = json!({"id": id, "method": method, "params": params});
    if let Some(session_id) = session_id {
        command["sessionId"] = json!(session_id);
    }
    command
}

/// A connection to the browser. Dropping it closes the connection.
pub struct Cdp {
    sink: Sink,
    waiting: Waiting,
    events: mpsc::UnboundedReceiver<Event>,
    next_id: u64,
    reader: tokio::task::JoinHandle<()>,
}

impl Drop for Cdp {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl Cdp {
    /// Connects to the browser's DevTools endpoint `ws_url`.
    pub async fn connect(ws_url: &str) -> Result<Self> {
        let config = WebSocketConfig {
            max_message_size: Some(MAX_MESSAGE_BYTES),
            max_frame_size: Some(MAX_MESSAGE_BYTES),
            ..WebSocketConfig::default()
        };
        let (socket, _) = tokio_tungstenite::connect_async_with_config(ws_url, Some(config), false)
            .await
            .with_context(|| format!("connect to Chromium's DevTools at {ws_url}"))?;
        let (sink, mut stream) = socket.split();
        let waiting: Waiting = Arc::default();
        let (events_tx, events) = mpsc::unbounded_channel();
        let answers = waiting.clone();
        let reader = tokio::spawn(async move {
            while let Some(Ok(message)) = stream.next().await {
                let Message::Text(text) = message else { continue };
                match parse_incoming(&text) {
                    Some(Incoming::Answer { id, result }) => {
                        let waiter = answers.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
                        if let Some(waiter) = waiter {
                            let _ = waiter.send(result);
                        }
                    }
                    Some(Incoming::Event(event)) => {
                        let _ = events_tx.send(event);
                    }
                    None => tracing::debug!("cdp: an unknown message: {text}"),
                }
            }
            // Closed: every command still waiting fails (its sender is dropped).
            answers.lock().unwrap_or_else(PoisonError::into_inner).clear();
        });
        Ok(Self { sink, waiting, events, next_id: 1, reader })
    }

    /// Sends `method` (to the page of `session_id`, or the browser) and waits at most
    /// `within` for its result.
    pub async fn call(
        &mut self,
        method: &str,
        params: Value,
        session_id: Option<&str>,
        within: Duration,
    ) -> Result<Value> {
        let id = self.next_id;
        self.next_id += 1;
        let (answer_tx, answer) = oneshot::channel();
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner).insert(id, answer_tx);
        let text = command(id, method, params, session_id).to_string();
        self.sink.send(Message::Text(text)).await.with_context(|| format!("send {method} to Chromium"))?;
        match tokio::time::timeout(within, answer).await {
            Ok(Ok(Ok(result))) => Ok(result),
            Ok(Ok(Err(message))) => bail!("{method}: {message}"),
            Ok(Err(_)) => bail!("Chromium closed the connection during {method}"),
            Err(_) => {
                self.waiting.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
                bail!("{method} took longer than {} s", within.as_secs())
            }
        }
    }

    /// The next event, or an error when the connection is closed.
    pub async fn next_event(&mut self) -> Result<Event> {
        self.events.recv().await.ok_or_else(|| anyhow!("Chromium closed the connection"))
    }

    /// Waits (at most `within`) for the first event `matches` accepts; earlier ones are dropped.
    pub async fn wait_for(&mut self, within: Duration, matches: impl Fn(&Event) -> bool) -> Result<Event> {
        tokio::time::timeout(within, async {
            loop {
                let event = self.next_event().await?;
                if matches(&event) {
                    return Ok(event);
                }
            }
        })
        .await
        .map_err(|_| anyhow!("timed out"))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_answers_or_events() {
        let cases: &[(&str, Option<Incoming>)] = &[
            (
                r#"{"id":3,"result":{"frameId":"F"}}"#,
                Some(Incoming::Answer { id: 3, result: Ok(json!({"frameId": "F"})) }),
            ),
            (r#"{"id":4,"result":{},"sessionId":"S"}"#, Some(Incoming::Answer { id: 4, result: Ok(json!({})) })),
            (
                r#"{"id":5,"error":{"code":-32000,"message":"No node with given id found"}}"#,
                Some(Incoming::Answer { id: 5, result: Err("No node with given id found".into()) }),
            ),
            (
                r#"{"method":"Page.lifecycleEvent","params":{"name":"load"},"sessionId":"S"}"#,
                Some(Incoming::Event(Event {
                    method: "Page.lifecycleEvent".into(),
                    params: json!({"name": "load"}),
                    session_id: Some("S".into()),
                })),
            ),
            (
                r#"{"method":"Target.targetCreated","params":{}}"#,
                Some(Incoming::Event(Event {
                    method: "Target.targetCreated".into(),
                    params: json!({}),
                    session_id: None,
                })),
            ),
            ("not json", None),
            (r#"{"params":{}}"#, None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_incoming(text), *want, "{text}");
        }
    }

    #[test]
    fn commands_name_their_session() {
        assert_eq!(
            command(1, "Page.enable", json!({}), Some("S1")),
            json!({"id": 1, "method": "Page.enable", "params": {}, "sessionId": "S1"})
        );
        assert_eq!(
            command(2, "Target.createTarget", json!({"url": "about:blank"}), None),
            json!({"id": 2, "method": "Target.createTarget", "params": {"url": "about:blank"}})
        );
    }
}
