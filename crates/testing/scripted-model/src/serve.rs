//! Starting the server in-process, the accept loop, and the handle that stops it on drop.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

use crate::script::Turn;
use crate::server::router;
use crate::state::{RecordedRequest, Shared, Stats};

/// The model id listed by `GET /v1/models` when none is configured.
pub const DEFAULT_MODEL: &str = "test-model";

/// Start-up options.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Listed by `GET /v1/models`. Requests may name any model; it is echoed back.
    pub models: Vec<String>,
    /// The initial script.
    pub turns: Vec<Turn>,
    /// When set, `/v1/*` requests must carry `Authorization: Bearer <key>`, or get OpenAI's
    /// 401 `invalid_api_key` (tests check a key was added on the way).
    pub api_key: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options { models: vec![DEFAULT_MODEL.into()], turns: Vec::new(), api_key: None }
    }
}

/// Entry point: `ScriptedModel::start("127.0.0.1:0").await?`.
pub struct ScriptedModel;

impl ScriptedModel {
    /// Binds `addr` and serves with default options until the handle is dropped.
    pub async fn start(addr: impl ToSocketAddrs) -> io::Result<ScriptedModelHandle> {
        Self::start_with(addr, Options::default()).await
    }

    /// Binds `addr` and serves until the handle is dropped. Fails on an invalid initial turn.
    pub async fn start_with(addr: impl ToSocketAddrs, options: Options) -> io::Result<ScriptedModelHandle> {
        for (i, turn) in options.turns.iter().enumerate() {
            turn.validate().map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("turns[{i}]: {e}")))?;
        }
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(options.models, options.turns).with_api_key(options.api_key));
        let (shutdown_tx, shutdown_rx) = oneshot::channel();
        let task = tokio::spawn(accept_loop(listener, router(shared.clone()), shutdown_rx));
        tracing::info!(%addr, "scripted model started");
        Ok(ScriptedModelHandle { shared, addr, shutdown: Some(shutdown_tx), task: Some(task) })
    }
}

/// Accepts HTTP/1.1 connections until `shutdown` fires (or its sender is dropped). Every
/// connection task lives in a `JoinSet`, so leaving the loop (or aborting this task) aborts
/// them all, in-flight streams included.
async fn accept_loop(listener: TcpListener, app: Router, mut shutdown: oneshot::Receiver<()>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let service = TowerToHyperService::new(app.clone());
                    connections.spawn(async move {
                        let _ = stream.set_nodelay(true);
                        if let Err(e) = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await {
                            tracing::debug!(%peer, error = %e, "connection ended with an error");
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.abort_all();
    while connections.join_next().await.is_some() {}
    tracing::info!("scripted model stopped");
}

/// A running server. Dropping it stops the server and every open connection.
#[derive(Debug)]
pub struct ScriptedModelHandle {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl ScriptedModelHandle {
    /// The bound address (the real port when started on port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (loopback when bound to an unspecified address).
    pub fn base_url(&self) -> String {
        let ip = match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        format!("http://{}", SocketAddr::new(ip, self.addr.port()))
    }

    /// The OpenAI base URL, `http://127.0.0.1:PORT/v1` (what OpenCode's `baseURL` takes).
    pub fn url(&self) -> String {
        format!("{}/v1", self.base_url())
    }

    /// Appends a turn; returns its index (as recorded in `consumed_turn`).
    ///
    /// # Panics
    /// If the turn is invalid (see [`Turn::validate`]).
    pub fn push(&self, turn: Turn) -> usize {
        if let Err(e) = turn.validate() {
            panic!("invalid scripted turn: {e}");
        }
        self.shared.push(turn)
    }

    /// Queues the answer to the next request that offers no tools (a classifier's call, say);
    /// without one, such a request gets the title text.
    ///
    /// # Panics
    /// If the turn is invalid (see [`Turn::validate`]).
    pub fn push_untooled(&self, turn: Turn) {
        if let Err(e) = turn.validate() {
            panic!("invalid scripted turn: {e}");
        }
        self.shared.push_untooled(turn);
    }

    /// Appends turns in order.
    ///
    /// # Panics
    /// If a turn is invalid (see [`Turn::validate`]); then none is appended.
    pub fn push_all(&self, turns: impl IntoIterator<Item = Turn>) {
        let turns: Vec<Turn> = turns.into_iter().collect();
        for (i, turn) in turns.iter().enumerate() {
            if let Err(e) = turn.validate() {
                panic!("invalid scripted turn {i}: {e}");
            }
        }
        self.shared.push_all(turns);
    }

    /// Drops the remaining turns; returns how many there were.
    pub fn clear_script(&self) -> usize {
        self.shared.clear_script()
    }

    /// The turns not consumed yet.
    pub fn remaining(&self) -> Vec<Turn> {
        self.shared.remaining()
    }

    /// Every accepted chat request so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests()
    }

    /// Forgets the recorded requests; returns how many there were.
    pub fn clear_requests(&self) -> usize {
        self.shared.clear_requests()
    }

    /// Counters: active streams, events sent, requests, cancelled streams.
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// Stops the server and waits until the accept loop and its connections are gone.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ScriptedModelHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
