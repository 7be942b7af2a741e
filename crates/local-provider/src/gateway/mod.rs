//! A sandbox's only way out of its private network namespace: a unix socket, one per sandbox,
//! speaking the HTTP proxy protocol (`CONNECT host:port`, or an absolute-form `http://` request).
//! It connects only to the destinations the sandbox may reach: the control plane, this
//! provider (its git endpoint), and the package registries of the sandbox's allowlist (ports
//! 443 and 80). Anything else is answered `403` with the reason, which the supervisor logs to
//! the session. The sandbox sees the socket read-only at [`INSIDE_GATEWAY`].

use std::path::Path;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UnixListener, UnixStream};

/// Where the sandbox finds the gateway (its directory is bound read-only).
pub const INSIDE_GATEWAY_DIR: &str = "/srv/net";
pub const INSIDE_GATEWAY: &str = "/srv/net/gateway.sock";
/// The socket's name in the sandbox's `net/` directory.
pub const GATEWAY_SOCKET: &str = "gateway.sock";
/// The longest request head read before refusing.
const MAX_HEAD: usize = 16 * 1024;

/// Where a sandbox may connect.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowlist {
    /// Exact `host:port` pairs (the control plane, this provider).
    pub endpoints: Vec<(String, u16)>,
    /// Registry hosts, exact or `*.suffix`, on ports 443 and 80.
    pub hosts: Vec<String>,
}

impl Allowlist {
    /// With the host and port of each URL in `urls` as endpoints.
    pub fn new(urls: &[&str], hosts: &[String]) -> Self {
        let endpoints = urls
            .iter()
            .filter_map(|u| url::Url::parse(u).ok())
            .filter_map(|u| Some((u.host_str()?.to_ascii_lowercase(), u.port_or_known_default()?)))
            .collect();
        Allowlist { endpoints, hosts: hosts.iter().map(|h| h.trim().to_ascii_lowercase()).collect() }
    }

    pub fn allows(&self, host: &str, port: u16) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if self.endpoints.iter().any(|(h, p)| *h == host && *p == port) {
            return true;
        }
        (port == 443 || port == 80)
            && self.hosts.iter().any(|allowed| match allowed.strip_prefix("*.") {
                Some(suffix) => host.ends_with(&format!(".{suffix}")),
                None => *allowed == host,
            })
    }
}

/// What a proxy client asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyRequest {
    /// `CONNECT host:port`: a tunnel.
    Connect { host: String, port: u16 },
    /// `GET http://host[:port]/…`: a plain HTTP request, passed on as it is.
    Forward { host: String, port: u16 },
}

impl ProxyRequest {
    pub fn target(&self) -> (&str, u16) {
        match self {
            ProxyRequest::Connect { host, port } | ProxyRequest::Forward { host, port } => (host, *port),
        }
    }
}

/// Reads the request line of a proxy request.
pub fn parse_request_line(line: &str) -> Result<ProxyRequest, String> {
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Err("not an HTTP request".into());
    };
    if method.eq_ignore_ascii_case("CONNECT") {
        let (host, port) = target.rsplit_once(':').ok_or("CONNECT needs host:port")?;
        let port = port.parse().map_err(|_| format!("bad port in {target:?}"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
        return Ok(ProxyRequest::Connect { host, port });
    }
    let url = url::Url::parse(target).map_err(|_| format!("{target:?} is not an absolute http:// URL"))?;
    if url.scheme() != "http" {
        return Err(format!("only http:// is forwarded (use CONNECT for {})", url.scheme()));
    }
    let host = url.host_str().ok_or("no host")?.to_string();
    Ok(ProxyRequest::Forward { host, port: url.port_or_known_default().unwrap_or(80) })
}

/// Serves the gateway on `socket` until the task is aborted.
pub async fn serve(socket: &Path, allow: Allowlist) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let _ = std::fs::remove_file(socket);
    let listener = UnixListener::bind(socket)?;
    let allow = Arc::new(allow);
    Ok(tokio::spawn(async move {
        loop {
            let Ok((conn, _)) = listener.accept().await else { continue };
            let allow = allow.clone();
            tokio::spawn(async move {
                if let Err(e) = handle(conn, &allow).await {
                    tracing::debug!("gateway connection: {e}");
                }
            });
        }
    }))
}

async fn respond(conn: &mut UnixStream, status: &str, message: &str) -> std::io::Result<()> {
    let body = format!("{message}\n");
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await?;
    conn.write_all(body.as_bytes()).await
}

async fn handle(mut conn: UnixStream, allow: &Allowlist) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    let end = loop {
        let n = conn.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(at) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if head.len() > MAX_HEAD {
            return respond(&mut conn, "431 Request Header Fields Too Large", "the request head is too long").await;
        }
    };
    let line =
        String::from_utf8_lossy(&head[..head.iter().position(|b| *b == b'\n').unwrap_or(end)]).trim().to_string();
    let request = match parse_request_line(&line) {
        Ok(r) => r,
        Err(why) => return respond(&mut conn, "400 Bad Request", &why).await,
    };
    let (host, port) = request.target();
    if !allow.allows(host, port) {
        tracing::info!(host, port, "gateway: refused");
        let message = format!("open-inspect: {host}:{port} is not on this sandbox's network allowlist");
        return respond(&mut conn, "403 Forbidden", &message).await;
    }
    let mut upstream = match TcpStream::connect((host, port)).await {
        Ok(s) => {
            let _ = s.set_nodelay(true);
            s
        }
        Err(e) => return respond(&mut conn, "502 Bad Gateway", &format!("cannot connect to {host}:{port}: {e}")).await,
    };
    match request {
        ProxyRequest::Connect { .. } => {
            conn.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n").await?;
            upstream.write_all(&head[end..]).await?;
        }
        ProxyRequest::Forward { .. } => upstream.write_all(&head).await?,
    }
    tokio::io::copy_bidirectional(&mut conn, &mut upstream).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allowlist_admits_endpoints_exactly_and_registries_on_web_ports() {
        let allow = Allowlist::new(
            &["http://127.0.0.1:8787", "https://cp.example.com"],
            &["registry.npmjs.org".into(), "*.pythonhosted.org".into()],
        );
        assert!(allow.allows("127.0.0.1", 8787));
        assert!(!allow.allows("127.0.0.1", 8788));
        assert!(allow.allows("cp.example.com", 443));
        assert!(allow.allows("Registry.NPMjs.org", 443));
        assert!(allow.allows("registry.npmjs.org.", 80));
        assert!(!allow.allows("registry.npmjs.org", 22));
        assert!(allow.allows("files.pythonhosted.org", 443));
        assert!(!allow.allows("pythonhosted.org.evil.com", 443));
        assert!(!allow.allows("example.com", 443));
    }

    #[test]
    fn proxy_requests_are_read_from_their_first_line() {
        assert_eq!(
            parse_request_line("CONNECT registry.npmjs.org:443 HTTP/1.1"),
            Ok(ProxyRequest::Connect { host: "registry.npmjs.org".into(), port: 443 })
        );
        assert_eq!(
            parse_request_line("GET http://deb.debian.org/debian/dists HTTP/1.1"),
            Ok(ProxyRequest::Forward { host: "deb.debian.org".into(), port: 80 })
        );
        assert_eq!(
            parse_request_line("CONNECT [::1]:8080 HTTP/1.1"),
            Ok(ProxyRequest::Connect { host: "::1".into(), port: 8080 })
        );
        assert!(parse_request_line("GET /relative HTTP/1.1").is_err());
        assert!(parse_request_line("GET https://x/ HTTP/1.1").is_err());
        assert!(parse_request_line("CONNECT nohost HTTP/1.1").is_err());
    }

    #[tokio::test]
    async fn a_refused_destination_gets_403_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("gw.sock");
        let task = serve(&socket, Allowlist::default()).await.unwrap();
        let mut conn = UnixStream::connect(&socket).await.unwrap();
        conn.write_all(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n").await.unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
        assert!(answer.contains("example.com:443 is not on this sandbox's network allowlist"));
        task.abort();
    }

    #[tokio::test]
    async fn an_allowed_tunnel_carries_bytes_both_ways() {
        let echo = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = echo.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut s, _) = echo.accept().await.unwrap();
            let mut buf = [0u8; 5];
            s.read_exact(&mut buf).await.unwrap();
            s.write_all(&buf).await.unwrap();
        });
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("gw.sock");
        let url = format!("http://127.0.0.1:{port}");
        let task = serve(&socket, Allowlist::new(&[&url], &[])).await.unwrap();
        let mut conn = UnixStream::connect(&socket).await.unwrap();
        conn.write_all(format!("CONNECT 127.0.0.1:{port} HTTP/1.1\r\n\r\nhello").as_bytes()).await.unwrap();
        let mut answer = vec![0u8; "HTTP/1.1 200 Connection Established\r\n\r\n".len() + 5];
        conn.read_exact(&mut answer).await.unwrap();
        assert!(String::from_utf8_lossy(&answer).ends_with("\r\n\r\nhello"));
        task.abort();
    }
}
