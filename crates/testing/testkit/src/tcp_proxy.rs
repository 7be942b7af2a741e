//! A loopback TCP proxy whose connections a test can cut, to kill a WebSocket from outside
//! without touching either end.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// An open connection: its task, and the first line the client sent (an HTTP request line).
struct Connection {
    task: JoinHandle<()>,
    first_line: Arc<Mutex<String>>,
}

pub struct TcpProxy {
    port: u16,
    upstream: Arc<AtomicU16>,
    accept: JoinHandle<()>,
    connections: Arc<Mutex<Vec<Connection>>>,
}

impl TcpProxy {
    /// Listens on a free loopback port and forwards every connection to `127.0.0.1:upstream`.
    /// `upstream` may be 0 and set later with [`TcpProxy::set_upstream`].
    pub async fn start(upstream: u16) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let upstream = Arc::new(AtomicU16::new(upstream));
        let connections: Arc<Mutex<Vec<Connection>>> = Arc::default();
        let list = connections.clone();
        let target = upstream.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let upstream = target.load(Ordering::SeqCst);
                let first_line: Arc<Mutex<String>> = Arc::default();
                let line = first_line.clone();
                let task = tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)).await else { return };
                    let _ = (client.set_nodelay(true), server.set_nodelay(true));
                    let mut first = vec![0u8; 1024];
                    let Ok(n) = client.read(&mut first).await else { return };
                    let text = String::from_utf8_lossy(&first[..n]);
                    *line.lock().expect("proxy") = text.lines().next().unwrap_or_default().to_string();
                    if server.write_all(&first[..n]).await.is_ok() {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                list.lock().expect("proxy").push(Connection { task, first_line });
            }
        });
        Ok(Self { port, upstream, accept, connections })
    }

    /// Where new connections go.
    pub fn set_upstream(&self, port: u16) {
        self.upstream.store(port, Ordering::SeqCst);
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Drops every open connection at once (new ones are still accepted).
    pub fn cut(&self) -> usize {
        self.cut_where(|_| true)
    }

    /// Drops the open connections whose first line (an HTTP request line, such as
    /// `GET /api/sessions/…/sandbox HTTP/1.1`) `pick` accepts; how many were open.
    pub fn cut_where(&self, pick: impl Fn(&str) -> bool) -> usize {
        let mut list = self.connections.lock().expect("proxy");
        list.retain(|c| !c.task.is_finished());
        let mut n = 0;
        list.retain(|c| {
            if pick(&c.first_line.lock().expect("proxy")) {
                c.task.abort();
                n += 1;
                false
            } else {
                true
            }
        });
        n
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}
