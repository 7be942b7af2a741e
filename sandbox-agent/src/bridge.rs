//! The bridge's WebSocket to the session's Durable Object. Events go into a shared
//! [`Outbox`] (numbered at once), are sent while connected, and everything unacknowledged is
//! re-sent after each reconnect. Commands go to the supervisor. A heartbeat every 30 s (or
//! `OI_HEARTBEAT_MS`);
//! reconnects with capped exponential backoff. A close with 4409 (replaced) or 4410 (session
//! deleted), or a refused handshake (401, 403, 404, 410), ends the sandbox.
//!
//! Unnumbered frames (a preview's head and body, see [`oi_protocol::preview`]) bypass the
//! outbox: a `preview` command comes with the [`LiveConnection`] it arrived on, whose answer
//! goes on that connection only and is lost with it (the viewer retries).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use oi_protocol::bridge::{AgentEvent, BridgeCommand, BridgeMessage, CLOSE_REPLACED, CLOSE_SESSION_DELETED};
use oi_protocol::limits::MAX_FRAME_BYTES;
use oi_protocol::preview::PreviewRequest;
use tokio::sync::{mpsc, watch, Notify};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::config::Config;
use crate::endpoints::bridge_url;
use crate::outbox::Outbox;
use crate::redact::Masker;

/// The most events one frame carries.
const MAX_BURST_EVENTS: usize = 256;
/// How many unnumbered frames may wait for the socket; a sender waits beyond that.
const LIVE_QUEUE_FRAMES: usize = 8;

/// What the bridge tells the supervisor.
#[derive(Debug)]
pub enum Inbound {
    /// A command (other than `preview`).
    Command(BridgeCommand),
    /// A viewer's request, with the connection its answer goes on.
    Preview(PreviewRequest, LiveConnection),
    /// The control plane ended this sandbox; shut down.
    Terminated(String),
}

struct Shared {
    /// Masks the secrets' values in everything sent, holding back the end of each streamed
    /// text part (locked before the outbox, so events are queued in the order masked).
    masker: Mutex<Masker>,
    outbox: Mutex<Outbox>,
    wake: Notify,
    pending: watch::Sender<usize>,
}

impl Shared {
    fn new() -> Self {
        let (pending, _) = watch::channel(0);
        Self { masker: Mutex::default(), outbox: Mutex::new(Outbox::new()), wake: Notify::new(), pending }
    }

    fn publish(&self) {
        let n = self.outbox.lock().expect("outbox").pending();
        // `send_replace`, not `send`: the count must update even while nobody is watching.
        self.pending.send_replace(n);
    }
}

/// The supervisor's side of the bridge.
pub struct BridgeHandle {
    shared: Arc<Shared>,
    pub inbound: mpsc::UnboundedReceiver<Inbound>,
}

/// Queues events only: for background tasks.
#[derive(Clone)]
pub struct EventSender {
    shared: Arc<Shared>,
}

impl EventSender {
    /// Queues an event for the log (with the secrets' values masked, see [`Masker`]); it is
    /// sent now if connected, or after the reconnect.
    pub fn send(&self, event: AgentEvent) {
        let mut masker = self.shared.masker.lock().expect("masker");
        let events = masker.events(crate::redact::process(), event);
        if events.is_empty() {
            return;
        }
        let mut outbox = self.shared.outbox.lock().expect("outbox");
        for event in events {
            outbox.push(event);
        }
        drop(outbox);
        drop(masker);
        self.shared.publish();
        self.shared.wake.notify_one();
    }
}

/// One connection's queue of unnumbered frames (a preview's head and body): not numbered, not
/// kept, not re-sent; they fail once that connection drops.
#[derive(Debug, Clone)]
pub struct LiveConnection {
    queue: mpsc::Sender<BridgeMessage>,
}

/// Why an unnumbered frame was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameRefused {
    /// Events go through the outbox ([`EventSender`]), never here.
    Numbered,
    /// Its JSON is longer than [`MAX_FRAME_BYTES`].
    TooLarge(usize),
    /// The connection dropped.
    Disconnected,
}

impl LiveConnection {
    /// A connection whose frames go to `queue` (the bridge's own, or a test's).
    pub(crate) fn new(queue: mpsc::Sender<BridgeMessage>) -> Self {
        Self { queue }
    }

    /// Sends `message` on this connection, waiting while [`LIVE_QUEUE_FRAMES`] wait already.
    pub async fn send(&self, message: BridgeMessage) -> Result<(), FrameRefused> {
        if matches!(message, BridgeMessage::Event(_) | BridgeMessage::Events { .. }) {
            return Err(FrameRefused::Numbered);
        }
        let size = serde_json::to_string(&message).map_or(usize::MAX, |json| json.len());
        if size > MAX_FRAME_BYTES {
            return Err(FrameRefused::TooLarge(size));
        }
        self.queue.send(message).await.map_err(|_| FrameRefused::Disconnected)
    }
}

impl BridgeHandle {
    /// Queues an event for the log; it is sent now if connected, or after the reconnect.
    pub fn send(&self, event: AgentEvent) {
        self.events().send(event);
    }

    /// A sender for background tasks.
    pub fn events(&self) -> EventSender {
        EventSender { shared: self.shared.clone() }
    }

    /// Waits until every event queued so far is acknowledged, or `timeout` passes.
    pub async fn flush(&self, timeout: Duration) -> bool {
        let mut pending = self.shared.pending.subscribe();
        tokio::time::timeout(timeout, async {
            while *pending.borrow_and_update() > 0 {
                if pending.changed().await.is_err() {
                    return;
                }
            }
        })
        .await
        .is_ok()
    }
}

/// The wait before reconnect attempt `n` (1-based): 200 ms doubling, at most 5 s.
pub fn reconnect_delay(attempt: u32) -> Duration {
    Duration::from_millis(200u64.saturating_mul(1 << attempt.saturating_sub(1).min(5))).min(Duration::from_secs(5))
}

/// Handshake statuses that mean this sandbox is over.
fn terminal_status(status: u16) -> bool {
    matches!(status, 401 | 403 | 404 | 410)
}

/// Connects the bridge of the session `config` names, at `control_plane` (the boot's
/// [`Endpoints::control_plane`](crate::endpoints::Endpoints::control_plane)).
pub fn start(config: &Config, control_plane: &str) -> BridgeHandle {
    let (inbound_tx, inbound_rx) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared::new());
    let task = Task {
        url: bridge_url(control_plane, &config.session_id),
        token: config.sandbox_token.clone(),
        heartbeat: config.heartbeat,
        hello: BridgeMessage::Hello {
            sandbox_id: config.sandbox_id.clone(),
            runtime: Some(format!("sandbox-agent {}", env!("CARGO_PKG_VERSION"))),
        },
        shared: shared.clone(),
        inbound: inbound_tx,
    };
    tokio::spawn(task.run());
    BridgeHandle { shared, inbound: inbound_rx }
}

struct Task {
    url: String,
    token: String,
    heartbeat: Duration,
    hello: BridgeMessage,
    shared: Arc<Shared>,
    inbound: mpsc::UnboundedSender<Inbound>,
}

enum Ended {
    /// Try again; `worked` says the connection had been welcomed.
    Dropped { reason: String, worked: bool },
    /// Stop for good.
    Terminated(String),
    /// The supervisor is gone.
    SupervisorGone,
}

fn frame(message: &BridgeMessage) -> Message {
    Message::Text(serde_json::to_string(message).expect("protocol types serialize"))
}

impl Task {
    async fn run(self) {
        let mut attempt = 0u32;
        loop {
            match self.connection().await {
                Ended::Terminated(reason) => {
                    let _ = self.inbound.send(Inbound::Terminated(reason));
                    return;
                }
                Ended::SupervisorGone => return,
                Ended::Dropped { reason, worked } => {
                    attempt = if worked { 1 } else { attempt + 1 };
                    let delay = reconnect_delay(attempt);
                    tracing::warn!("bridge disconnected ({reason}); reconnecting in {delay:?}");
                    tokio::time::sleep(delay).await;
                }
            }
            if self.inbound.is_closed() {
                return;
            }
        }
    }

    /// One connection, from handshake to drop; while it is up, it takes unnumbered frames.
    async fn connection(&self) -> Ended {
        let (queue, mut unnumbered) = mpsc::channel(LIVE_QUEUE_FRAMES);
        self.connected(LiveConnection::new(queue), &mut unnumbered).await
    }

    async fn connected(&self, live: LiveConnection, unnumbered: &mut mpsc::Receiver<BridgeMessage>) -> Ended {
        let mut request = match self.url.as_str().into_client_request() {
            Ok(r) => r,
            Err(e) => return Ended::Terminated(format!("bad control-plane URL: {e}")),
        };
        request.headers_mut().insert("Authorization", format!("Bearer {}", self.token).parse().expect("header"));
        let ws = match tokio_tungstenite::connect_async(request).await {
            Ok((ws, _)) => ws,
            Err(WsError::Http(res)) if terminal_status(res.status().as_u16()) => {
                return Ended::Terminated(format!("the control plane refused the sandbox ({})", res.status()))
            }
            Err(e) => return Ended::Dropped { reason: e.to_string(), worked: false },
        };
        let (mut sink, mut stream) = ws.split();
        let dropped = |reason: &str, worked: bool| Ended::Dropped { reason: reason.to_string(), worked };
        if sink.send(frame(&self.hello)).await.is_err() {
            return dropped("hello failed", false);
        }
        let mut heartbeat = tokio::time::interval(self.heartbeat);
        heartbeat.tick().await;
        // The highest id sent on this connection; `None` until welcomed.
        let mut sent: Option<u64> = None;
        loop {
            tokio::select! {
                incoming = stream.next() => {
                    let text = match incoming {
                        Some(Ok(Message::Text(t))) => t,
                        Some(Ok(Message::Close(close))) => {
                            let code = close.as_ref().map(|c| c.code);
                            let reason = close.map(|c| c.reason.to_string()).unwrap_or_default();
                            return match code {
                                Some(CloseCode::Library(CLOSE_REPLACED | CLOSE_SESSION_DELETED)) => Ended::Terminated(reason),
                                _ => dropped(&format!("closed: {reason}"), sent.is_some()),
                            };
                        }
                        Some(Ok(_)) => continue,
                        Some(Err(e)) => return dropped(&e.to_string(), sent.is_some()),
                        None => return dropped("the socket ended", sent.is_some()),
                    };
                    let Ok(command) = serde_json::from_str::<BridgeCommand>(&text) else {
                        tracing::warn!("unreadable command: {text}");
                        continue;
                    };
                    match command {
                        BridgeCommand::Welcome { acked_through } => {
                            self.shared.outbox.lock().expect("outbox").ack(acked_through);
                            self.shared.publish();
                            sent = Some(acked_through);
                        }
                        BridgeCommand::Ack { through } => {
                            self.shared.outbox.lock().expect("outbox").ack(through);
                            self.shared.publish();
                        }
                        BridgeCommand::Error { error } => tracing::warn!("the control plane refused a frame: {error}"),
                        BridgeCommand::Preview(request) => {
                            if self.inbound.send(Inbound::Preview(request, live.clone())).is_err() {
                                return Ended::SupervisorGone;
                            }
                        }
                        other => {
                            if self.inbound.send(Inbound::Command(other)).is_err() {
                                return Ended::SupervisorGone;
                            }
                        }
                    }
                }
                _ = self.shared.wake.notified(), if sent.is_some() => {}
                Some(message) = unnumbered.recv() => {
                    if sink.send(frame(&message)).await.is_err() {
                        return dropped("send failed", sent.is_some());
                    }
                }
                _ = heartbeat.tick() => {
                    if sink.send(frame(&BridgeMessage::Heartbeat)).await.is_err() {
                        return dropped("heartbeat failed", sent.is_some());
                    }
                }
            }
            // Send whatever is queued and not yet sent on this connection, in bursts: what
            // queued up while the previous frame was on its way goes in one frame.
            while let Some(last) = sent {
                let mut burst =
                    self.shared.outbox.lock().expect("outbox").burst_after(last, MAX_BURST_EVENTS, MAX_FRAME_BYTES);
                let Some(newest) = burst.last().map(|e| e.id) else { break };
                let message = if burst.len() == 1 {
                    BridgeMessage::Event(burst.remove(0))
                } else {
                    BridgeMessage::Events { events: burst }
                };
                if sink.send(frame(&message)).await.is_err() {
                    return dropped("send failed", true);
                }
                sent = Some(newest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_is_available_for_wss() {
        // Building a client config needs a crypto provider; without one, a wss:// connection
        // to a deployed control plane would panic.
        let roots = rustls::RootCertStore::empty();
        let _config = rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
    }

    #[test]
    fn backoff_is_capped() {
        let d: Vec<u128> = (1..=9).map(|n| reconnect_delay(n).as_millis()).collect();
        assert_eq!(d, vec![200, 400, 800, 1600, 3200, 5000, 5000, 5000, 5000]);
        assert!(terminal_status(410) && terminal_status(401) && !terminal_status(502));
    }
}

#[cfg(test)]
mod flush_tests {
    use super::*;
    use oi_protocol::events::{Notice, NoticeLevel};

    #[tokio::test]
    async fn flush_waits_for_the_ack_of_every_queued_event() {
        // A control plane that never answers: flush must time out, not return at once.
        let shared = Arc::new(Shared::new());
        let (_tx, inbound) = mpsc::unbounded_channel();
        let handle = BridgeHandle { shared: shared.clone(), inbound };
        handle.send(AgentEvent::Notice(Notice { level: NoticeLevel::Info, message: "x".into() }));
        assert!(!handle.flush(Duration::from_millis(200)).await, "nothing was acknowledged");
        shared.outbox.lock().unwrap().ack(1);
        shared.publish();
        assert!(handle.flush(Duration::from_millis(200)).await);
    }
}

#[cfg(test)]
mod unnumbered_tests {
    use super::*;
    use oi_protocol::bridge::NumberedEvent;
    use oi_protocol::events::{Notice, NoticeLevel};
    use oi_protocol::preview::PreviewBody;

    fn body(data: String) -> BridgeMessage {
        BridgeMessage::PreviewBody(PreviewBody { request_id: "r1".into(), data, end: true, error: None })
    }

    #[tokio::test]
    async fn unnumbered_frames_go_to_the_live_connection_only_and_fit_a_frame() {
        let (queue, mut socket) = mpsc::channel(LIVE_QUEUE_FRAMES);
        let live = LiveConnection::new(queue);
        live.send(body("aGk=".into())).await.unwrap();
        assert_eq!(socket.recv().await, Some(body("aGk=".into())));

        let event = NumberedEvent {
            id: 1,
            event: AgentEvent::Notice(Notice { level: NoticeLevel::Info, message: "x".into() }),
        };
        assert_eq!(live.send(BridgeMessage::Event(event)).await, Err(FrameRefused::Numbered));
        let too_large = live.send(body("A".repeat(MAX_FRAME_BYTES))).await;
        assert!(matches!(too_large, Err(FrameRefused::TooLarge(n)) if n > MAX_FRAME_BYTES), "{too_large:?}");

        drop(socket);
        assert_eq!(live.send(body(String::new())).await, Err(FrameRefused::Disconnected));
    }
}
