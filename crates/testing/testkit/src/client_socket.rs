//! A client WebSocket that folds what it receives into a transcript.

use anyhow::{anyhow, bail, Context, Result};
use futures_util::{SinkExt, StreamExt};
use oi_protocol::client::{ClientMessage, ServerMessage};
use oi_protocol::rest::WsTokenGrant;
use oi_protocol::transcript::{Transcript, TranscriptBuilder};
use oi_protocol::{SessionEvent, SessionState};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::RECV_TIMEOUT;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A connected client. Every event it receives (catch-up or live) goes through its
/// [`TranscriptBuilder`], which fails on a duplicate or out-of-order event.
pub struct ClientSocket {
    ws: Ws,
    pub transcript: TranscriptBuilder,
    /// Every event received, in order.
    pub events: Vec<SessionEvent>,
    /// Every other message received, in order.
    pub messages: Vec<ServerMessage>,
    /// Live events from an `events` frame not yet returned by [`ClientSocket::recv`] (each is
    /// returned as its own `event`, so tests read one event at a time).
    unbatched: std::collections::VecDeque<SessionEvent>,
    /// How many `events` frames (several live events at once) arrived.
    pub event_batches: usize,
    /// How many frames of live events (`event` or `events`) arrived.
    pub live_frames: usize,
}

/// Where a client socket connects (`ws://…`), and the local token it mints its socket token
/// with (local mode: `Authorization: Bearer`).
#[derive(Debug, Clone)]
pub struct ClientEndpoint {
    pub ws_base: String,
    pub bearer: Option<String>,
}

/// `POST /api/sessions/:id/ws-token` on the control plane behind `endpoint`.
pub async fn mint_ws_token(endpoint: &ClientEndpoint, session_id: &str, cookie: Option<&str>) -> Result<WsTokenGrant> {
    let http_base = endpoint.ws_base.replacen("ws", "http", 1);
    let mut request = reqwest::Client::new().post(format!("{http_base}/api/sessions/{session_id}/ws-token"));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    if let Some(token) = &endpoint.bearer {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.context("POST ws-token")?;
    let status = response.status();
    let body = response.text().await?;
    if status.as_u16() != 201 {
        bail!("POST /api/sessions/{session_id}/ws-token answered {status}: {body}");
    }
    Ok(serde_json::from_str(&body)?)
}

impl std::fmt::Debug for ClientSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientSocket").finish_non_exhaustive()
    }
}

impl ClientSocket {
    /// Connects to `/api/sessions/:id/ws` (without subscribing), with a token from
    /// `POST /api/sessions/:id/ws-token`.
    pub async fn connect(endpoint: &ClientEndpoint, session_id: &str) -> Result<Self> {
        Self::connect_as(endpoint, session_id, None).await
    }

    /// Like [`ClientSocket::connect`], minting the token with a `Cookie` header (a signed-in
    /// person, or a local-mode name).
    pub async fn connect_as(endpoint: &ClientEndpoint, session_id: &str, cookie: Option<&str>) -> Result<Self> {
        let token = mint_ws_token(endpoint, session_id, cookie).await?;
        let url = format!("{}/api/sessions/{session_id}/ws?token={}", endpoint.ws_base, token.token);
        let (ws, _) = tokio_tungstenite::connect_async(url).await.context("connect client socket")?;
        Ok(Self {
            ws,
            transcript: TranscriptBuilder::new(),
            events: vec![],
            messages: vec![],
            unbatched: Default::default(),
            event_batches: 0,
            live_frames: 0,
        })
    }

    /// Connects and subscribes from `after_seq`; returns the state from `subscribed`.
    pub async fn join(
        endpoint: &ClientEndpoint,
        session_id: &str,
        after_seq: Option<u64>,
    ) -> Result<(Self, SessionState)> {
        let mut client = Self::connect(endpoint, session_id).await?;
        let state = client.subscribe(after_seq).await?;
        Ok((client, state))
    }

    pub async fn send(&mut self, message: &ClientMessage) -> Result<()> {
        self.send_raw(&serde_json::to_string(message)?).await
    }

    pub async fn send_raw(&mut self, text: &str) -> Result<()> {
        self.ws.send(Message::Text(text.to_string())).await.context("send")
    }

    /// The next message, with events folded into the transcript. The live events of an
    /// `events` frame come back one by one, as `event`.
    pub async fn recv(&mut self) -> Result<ServerMessage> {
        if let Some(event) = self.unbatched.pop_front() {
            return Ok(ServerMessage::Event { event });
        }
        loop {
            let frame = tokio::time::timeout(RECV_TIMEOUT, self.ws.next())
                .await
                .map_err(|_| anyhow!("no message within {RECV_TIMEOUT:?}"))?
                .ok_or_else(|| anyhow!("socket closed"))??;
            let text = match frame {
                Message::Text(text) => text,
                Message::Close(c) => bail!("socket closed: {c:?}"),
                _ => continue,
            };
            let message: ServerMessage = serde_json::from_str(&text).with_context(|| format!("decode {text}"))?;
            match &message {
                ServerMessage::Event { event } => {
                    self.live_frames += 1;
                    self.fold(std::slice::from_ref(event))?
                }
                ServerMessage::Events { events } => {
                    self.fold(events)?;
                    self.event_batches += 1;
                    self.live_frames += 1;
                    self.unbatched.extend(events.iter().cloned());
                    match self.unbatched.pop_front() {
                        Some(event) => return Ok(ServerMessage::Event { event }),
                        None => continue,
                    }
                }
                ServerMessage::Subscribed { events, .. } | ServerMessage::Backlog { events, .. } => {
                    self.fold(events)?
                }
                _ => self.messages.push(message.clone()),
            }
            return Ok(message);
        }
    }

    fn fold(&mut self, events: &[SessionEvent]) -> Result<()> {
        for event in events {
            self.transcript.apply(event).map_err(|e| anyhow!("transcript: {e}"))?;
            self.events.push(event.clone());
        }
        Ok(())
    }

    /// Receives until `pick` returns something, and returns it.
    pub async fn recv_until<T>(&mut self, mut pick: impl FnMut(&ServerMessage) -> Option<T>) -> Result<T> {
        loop {
            let message = self.recv().await?;
            if let Some(found) = pick(&message) {
                return Ok(found);
            }
        }
    }

    /// Sends `subscribe` and reads the reply through the last backlog frame.
    pub async fn subscribe(&mut self, after_seq: Option<u64>) -> Result<SessionState> {
        self.send(&ClientMessage::Subscribe { after_seq }).await?;
        let (state, mut complete) = self
            .recv_until(|m| match m {
                ServerMessage::Subscribed { state, complete, .. } => Some((state.as_ref().clone(), *complete)),
                _ => None,
            })
            .await?;
        while !complete {
            complete = self
                .recv_until(|m| match m {
                    ServerMessage::Backlog { complete, .. } => Some(*complete),
                    _ => None,
                })
                .await?;
        }
        Ok(state)
    }

    /// Receives until an event matching `pick` arrives.
    pub async fn wait_event(&mut self, mut pick: impl FnMut(&SessionEvent) -> bool) -> Result<SessionEvent> {
        self.recv_until(|m| match m {
            ServerMessage::Event { event } if pick(event) => Some(event.clone()),
            _ => None,
        })
        .await
    }

    /// Receives until every event up to `seq` has arrived.
    pub async fn catch_up_to(&mut self, seq: u64) -> Result<()> {
        while self.last_seq() < seq {
            self.recv().await?;
        }
        Ok(())
    }

    /// The next `error` message.
    pub async fn wait_error(&mut self) -> Result<oi_protocol::ApiError> {
        self.recv_until(|m| match m {
            ServerMessage::Error { error, .. } => Some(error.clone()),
            _ => None,
        })
        .await
    }

    pub fn transcript(&self) -> Transcript {
        self.transcript.transcript()
    }

    pub fn last_seq(&self) -> u64 {
        self.transcript.last_seq()
    }

    pub async fn close(mut self) -> Result<()> {
        self.ws.close(None).await.ok();
        Ok(())
    }
}
