//! A sandbox in a private network namespace (the local provider sets `OI_NETWORK_GATEWAY`)
//! reaches the world only through the provider's gateway, a unix socket speaking the HTTP proxy
//! protocol that admits only the control plane, the provider and the repository's package
//! registries. Inside, the supervisor offers:
//!
//! - **tunnels**: a loopback port per fixed destination (the control plane, the provider's git
//!   endpoint), so its own clients use `http://127.0.0.1:<port>` unchanged;
//! - **the registry proxy**: a loopback port the scripts and the agent use as `HTTP(S)_PROXY`,
//!   relayed to the gateway as it is; a refusal (`403`) is reported to the session.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::{anyhow, bail, Context, Result};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UnixStream};
use tokio::sync::mpsc;

/// The longest request or response head read.
const MAX_HEAD: usize = 16 * 1024;

/// The variables that send the scripts' and the agent's HTTP(S) traffic to the registry proxy
/// on `port` (loopback stays direct: the egress, OpenCode, the warm-up model).
pub fn proxy_environment(port: u16) -> Vec<(String, String)> {
    let proxy = format!("http://127.0.0.1:{port}");
    let mut env = vec![];
    for name in ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "npm_config_proxy", "npm_config_https_proxy"]
    {
        env.push((name.to_string(), proxy.clone()));
    }
    for name in ["NO_PROXY", "no_proxy"] {
        env.push((name.to_string(), "127.0.0.1,localhost,::1".to_string()));
    }
    env
}

/// `http://host:port/path` → (`host`, `port`, `/path…`). Only `http` can be tunnelled to a
/// loopback port unchanged (TLS would need the original host name).
pub fn split_http_url(url: &str) -> Result<(String, u16, String)> {
    let parsed = url::Url::parse(url).with_context(|| format!("{url:?} is not a URL"))?;
    if parsed.scheme() != "http" {
        bail!("{url} cannot be reached from the isolated network (only http:// destinations are tunnelled)");
    }
    let host = parsed.host_str().ok_or_else(|| anyhow!("{url} has no host"))?.to_string();
    let port = parsed.port_or_known_default().unwrap_or(80);
    let mut rest = parsed.path().to_string();
    if let Some(query) = parsed.query() {
        rest.push('?');
        rest.push_str(query);
    }
    Ok((host, port, rest))
}

/// The status code of an HTTP response head.
pub fn status_of(head: &[u8]) -> Option<u16> {
    let line = head.split(|b| *b == b'\n').next()?;
    std::str::from_utf8(line).ok()?.split_whitespace().nth(1)?.parse().ok()
}

/// The target of a proxy request's first line (`CONNECT host:port` or `GET http://…`).
pub fn target_of(head: &[u8]) -> String {
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    String::from_utf8_lossy(line).split_whitespace().nth(1).unwrap_or("?").to_string()
}

async fn read_head(from: &mut (impl AsyncRead + Unpin)) -> Result<Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if from.read(&mut byte).await? == 0 {
            bail!("the connection closed inside a head");
        }
        head.push(byte[0]);
        if head.len() > MAX_HEAD {
            bail!("the head is too long");
        }
    }
    Ok(head)
}

/// The isolated network: the gateway, the tunnels opened so far, and where refusals go.
pub struct Network {
    gateway: PathBuf,
    tunnels: Mutex<HashMap<(String, u16), u16>>,
    refusals: mpsc::UnboundedSender<String>,
}

impl Network {
    /// The network, and the refusals it will report.
    pub fn new(gateway: PathBuf) -> (Self, mpsc::UnboundedReceiver<String>) {
        let (refusals, rx) = mpsc::unbounded_channel();
        (Self { gateway, tunnels: Mutex::default(), refusals }, rx)
    }

    /// A connection to `host:port` through the gateway.
    async fn dial(gateway: &PathBuf, host: &str, port: u16) -> Result<UnixStream> {
        let mut conn = UnixStream::connect(gateway).await.with_context(|| format!("gateway {}", gateway.display()))?;
        conn.write_all(format!("CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n").as_bytes()).await?;
        let head = read_head(&mut conn).await?;
        match status_of(&head) {
            Some(200) => Ok(conn),
            other => bail!("the gateway refused {host}:{port} ({other:?})"),
        }
    }

    /// `url` (an `http://` URL outside) as a loopback URL that reaches it through the gateway.
    pub async fn tunnel_url(&self, url: &str) -> Result<String> {
        let (host, port, rest) = split_http_url(url)?;
        let known = self.tunnels.lock().unwrap_or_else(|p| p.into_inner()).get(&(host.clone(), port)).copied();
        let local = match known {
            Some(local) => local,
            None => {
                let listener = TcpListener::bind("127.0.0.1:0").await?;
                let local = listener.local_addr()?.port();
                let gateway = self.gateway.clone();
                let (h, p) = (host.clone(), port);
                tokio::spawn(async move {
                    while let Ok((mut inside, _)) = listener.accept().await {
                        let _ = inside.set_nodelay(true);
                        let (gateway, h) = (gateway.clone(), h.clone());
                        tokio::spawn(async move {
                            match Self::dial(&gateway, &h, p).await {
                                Ok(mut outside) => {
                                    let _ = tokio::io::copy_bidirectional(&mut inside, &mut outside).await;
                                }
                                Err(e) => tracing::warn!("tunnel to {h}:{p}: {e:#}"),
                            }
                        });
                    }
                });
                self.tunnels.lock().unwrap_or_else(|p| p.into_inner()).insert((host, port), local);
                local
            }
        };
        Ok(format!("http://127.0.0.1:{local}{rest}"))
    }

    /// Serves the registry proxy on `listener` (bound before anything started, so its port is
    /// in every child's environment).
    pub fn serve_proxy(&self, listener: std::net::TcpListener) -> Result<()> {
        listener.set_nonblocking(true)?;
        let listener = TcpListener::from_std(listener)?;
        let (gateway, refusals) = (self.gateway.clone(), self.refusals.clone());
        tokio::spawn(async move {
            while let Ok((inside, _)) = listener.accept().await {
                let (gateway, refusals) = (gateway.clone(), refusals.clone());
                tokio::spawn(async move {
                    if let Err(e) = relay(inside, &gateway, &refusals).await {
                        tracing::debug!("registry proxy: {e:#}");
                    }
                });
            }
        });
        Ok(())
    }
}

/// One proxy connection, passed to the gateway as it is; a refusal is reported.
async fn relay(
    mut inside: tokio::net::TcpStream,
    gateway: &PathBuf,
    refusals: &mpsc::UnboundedSender<String>,
) -> Result<()> {
    let _ = inside.set_nodelay(true);
    let request = read_head(&mut inside).await?;
    let mut outside = UnixStream::connect(gateway).await?;
    outside.write_all(&request).await?;
    let response = read_head(&mut outside).await?;
    if status_of(&response) == Some(403) {
        let target = target_of(&request);
        let _ = refusals
            .send(format!("network: refused {target}: not on this repository's allowlist of package registries"));
    }
    inside.write_all(&response).await?;
    tokio::io::copy_bidirectional(&mut inside, &mut outside).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_urls_split_into_host_port_and_the_rest() {
        assert_eq!(
            split_http_url("http://127.0.0.1:8787/api/x?y=1").unwrap(),
            ("127.0.0.1".into(), 8787, "/api/x?y=1".into())
        );
        assert_eq!(split_http_url("http://cp.local").unwrap(), ("cp.local".into(), 80, "/".into()));
        assert!(split_http_url("https://cp.example.com").unwrap_err().to_string().contains("only http://"));
    }

    #[test]
    fn heads_are_read_for_status_and_target() {
        assert_eq!(status_of(b"HTTP/1.1 403 Forbidden\r\n\r\n"), Some(403));
        assert_eq!(status_of(b"garbage"), None);
        assert_eq!(target_of(b"CONNECT example.com:443 HTTP/1.1\r\n\r\n"), "example.com:443");
        let env = proxy_environment(9000);
        assert!(env.contains(&("HTTPS_PROXY".into(), "http://127.0.0.1:9000".into())));
        assert!(env.iter().any(|(k, v)| k == "NO_PROXY" && v.contains("127.0.0.1")));
    }
}
