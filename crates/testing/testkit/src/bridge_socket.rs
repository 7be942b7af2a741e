//! The bridge's side of `/api/sessions/:id/sandbox`, for control-plane tests that need to
//! drive the protocol directly (re-sends, reconnects, exact event streams).

use std::collections::VecDeque;

use anyhow::{anyhow, bail, Context, Result};
use futures_util::{SinkExt, StreamExt};
use oi_protocol::bridge::{AgentEvent, BridgeCommand, BridgeMessage, NumberedEvent};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::RECV_TIMEOUT;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A connected bridge that numbers its events and keeps the unacknowledged ones.
pub struct BridgeSocket {
    ws: Ws,
    url: String,
    token: String,
    sandbox_id: String,
    next_id: u64,
    unacked: VecDeque<(u64, AgentEvent)>,
    pub acked_through: u64,
    /// Commands received that were not acks or welcomes, oldest first.
    pub commands: VecDeque<BridgeCommand>,
}

async fn open(url: &str, token: &str) -> Result<Ws> {
    let mut request = url.into_client_request()?;
    request.headers_mut().insert("Authorization", format!("Bearer {token}").parse()?);
    let (ws, _) = tokio_tungstenite::connect_async(request).await.context("connect bridge socket")?;
    Ok(ws)
}

impl std::fmt::Debug for BridgeSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BridgeSocket").finish_non_exhaustive()
    }
}

impl BridgeSocket {
    /// Connects with the sandbox token and says hello.
    pub async fn connect(ws_base: &str, session_id: &str, sandbox_id: &str, token: &str) -> Result<Self> {
        let url = format!("{ws_base}/api/sessions/{session_id}/sandbox");
        let ws = open(&url, token).await?;
        let mut bridge = Self {
            ws,
            url,
            token: token.to_string(),
            sandbox_id: sandbox_id.to_string(),
            next_id: 1,
            unacked: VecDeque::new(),
            acked_through: 0,
            commands: VecDeque::new(),
        };
        bridge.hello().await?;
        Ok(bridge)
    }

    /// Connects, says hello, and reports the sandbox ready (as the real supervisor does once
    /// its agent is healthy), so prompts are dispatched to it.
    pub async fn connect_ready(ws_base: &str, session_id: &str, sandbox_id: &str, token: &str) -> Result<Self> {
        let mut bridge = Self::connect(ws_base, session_id, sandbox_id, token).await?;
        bridge.emit(AgentEvent::Ready { preview_ports: vec![] }).await?;
        Ok(bridge)
    }

    async fn hello(&mut self) -> Result<()> {
        self.send(&BridgeMessage::Hello { sandbox_id: self.sandbox_id.clone(), runtime: Some("testkit".into()) })
            .await?;
        loop {
            match self.recv_raw().await? {
                BridgeCommand::Welcome { acked_through } => {
                    self.on_ack(acked_through);
                    return Ok(());
                }
                BridgeCommand::Error { error } => bail!("hello refused: {error}"),
                other => self.commands.push_back(other),
            }
        }
    }

    /// Drops the socket without a close handshake, reconnects, and re-sends every event the
    /// Durable Object has not acknowledged.
    pub async fn reconnect(&mut self) -> Result<()> {
        let ws = open(&self.url, &self.token).await?;
        let old = std::mem::replace(&mut self.ws, ws);
        drop(old);
        self.hello().await?;
        let pending: Vec<(u64, AgentEvent)> = self.unacked.iter().cloned().collect();
        for (id, event) in pending {
            self.send(&BridgeMessage::Event(NumberedEvent { id, event })).await?;
        }
        Ok(())
    }

    pub async fn send(&mut self, message: &BridgeMessage) -> Result<()> {
        self.send_raw(&serde_json::to_string(message)?).await
    }

    pub async fn send_raw(&mut self, text: &str) -> Result<()> {
        self.ws.send(Message::Text(text.to_string())).await.context("send")
    }

    /// Sends a new event and returns its id (it stays unacknowledged until an ack covers it).
    pub async fn emit(&mut self, event: AgentEvent) -> Result<u64> {
        let id = self.next_id;
        self.next_id += 1;
        self.unacked.push_back((id, event.clone()));
        self.send(&BridgeMessage::Event(NumberedEvent { id, event })).await?;
        Ok(id)
    }

    /// Sends new events in one `events` frame, as the supervisor does with what queued up;
    /// returns the last id.
    pub async fn emit_burst(&mut self, events: Vec<AgentEvent>) -> Result<u64> {
        let mut numbered = Vec::with_capacity(events.len());
        for event in events {
            let id = self.next_id;
            self.next_id += 1;
            self.unacked.push_back((id, event.clone()));
            numbered.push(NumberedEvent { id, event });
        }
        self.send(&BridgeMessage::Events { events: numbered }).await?;
        Ok(self.next_id - 1)
    }

    /// Sends an event with a chosen id, as a buggy or replaying bridge would.
    pub async fn emit_with_id(&mut self, id: u64, event: AgentEvent) -> Result<()> {
        self.send(&BridgeMessage::Event(NumberedEvent { id, event })).await
    }

    fn on_ack(&mut self, through: u64) {
        self.acked_through = self.acked_through.max(through);
        while self.unacked.front().is_some_and(|(id, _)| *id <= through) {
            self.unacked.pop_front();
        }
    }

    async fn recv_raw(&mut self) -> Result<BridgeCommand> {
        loop {
            let frame = tokio::time::timeout(RECV_TIMEOUT, self.ws.next())
                .await
                .map_err(|_| anyhow!("no command within {RECV_TIMEOUT:?}"))?
                .ok_or_else(|| anyhow!("socket closed"))??;
            match frame {
                Message::Text(text) => return serde_json::from_str(&text).with_context(|| format!("decode {text}")),
                Message::Close(c) => bail!("socket closed: {c:?}"),
                _ => continue,
            }
        }
    }

    /// The next command that is not an ack (acks are applied on the way).
    pub async fn recv(&mut self) -> Result<BridgeCommand> {
        if let Some(c) = self.commands.pop_front() {
            return Ok(c);
        }
        loop {
            match self.recv_raw().await? {
                BridgeCommand::Ack { through } => self.on_ack(through),
                other => return Ok(other),
            }
        }
    }

    /// Waits until every event sent so far is acknowledged.
    pub async fn wait_acked(&mut self) -> Result<()> {
        while !self.unacked.is_empty() {
            match self.recv_raw().await? {
                BridgeCommand::Ack { through } => self.on_ack(through),
                other => self.commands.push_back(other),
            }
        }
        Ok(())
    }

    /// Waits for a `prompt` command; returns its message id and text.
    pub async fn wait_prompt(&mut self) -> Result<(String, String)> {
        loop {
            match self.recv().await? {
                BridgeCommand::Prompt(p) => return Ok((p.message_id, p.text)),
                BridgeCommand::Error { error } => bail!("bridge got an error: {error}"),
                _ => continue,
            }
        }
    }

    pub fn unacked(&self) -> usize {
        self.unacked.len()
    }

    /// The next raw frame as text (for tests of refused frames).
    pub async fn recv_text(&mut self) -> Result<String> {
        loop {
            let frame = tokio::time::timeout(RECV_TIMEOUT, self.ws.next())
                .await
                .map_err(|_| anyhow!("no frame within {RECV_TIMEOUT:?}"))?
                .ok_or_else(|| anyhow!("socket closed"))??;
            if let Message::Text(text) = frame {
                return Ok(text);
            }
        }
    }
}
