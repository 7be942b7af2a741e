//! A sandbox in a private network namespace (the local provider sets `OI_NETWORK_GATEWAY`)
//! reaches the world only through the provider's gateway, a unix socket speaking the HTTP proxy
//! protocol, one request per connection, that admits only this sandbox's own session's routes
//! on the control plane, its git endpoint on the provider and the repository's package
//! registries. Inside, the supervisor offers:
//!
//! - **forwarders**: a loopback port per fixed destination (the control plane, the provider's
//!   git endpoint), so its own clients use `http://127.0.0.1:<port>` unchanged. Each request
//!   goes on to the gateway as a plain HTTP request (absolute form) on a connection of its own,
//!   so the gateway sees and checks every one; a WebSocket upgrade (the bridge) is spliced once
//!   the gateway has passed it.
//! - **the registry proxy**: a loopback port the scripts and the agent use as `HTTP(S)_PROXY`,
//!   relayed to the gateway as it is.
//!
//! Every refusal of the gateway (`403`, with its reason in
//! [`REFUSAL_HEADER`](oi_protocol::sandbox_routes::REFUSAL_HEADER)) is reported to the session.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, bail, Context, Result};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use oi_protocol::sandbox_routes::REFUSAL_HEADER;
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

/// What a proxy request's first line asks for: `host:port` for a tunnel (`CONNECT`), else the
/// method and the URL.
pub fn target_of(head: &[u8]) -> String {
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut words = line.split_whitespace();
    match (words.next(), words.next()) {
        (Some(method), Some(target)) if method.eq_ignore_ascii_case("CONNECT") => target.to_string(),
        (Some(method), Some(target)) => format!("{method} {target}"),
        _ => "?".to_string(),
    }
}

/// The value of header `name` in a response head.
pub fn header_of(head: &[u8], name: &str) -> Option<String> {
    let text = std::str::from_utf8(head).ok()?;
    text.split("\r\n").skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_string())
    })
}

/// The line the session's log gets for a refusal of `target`.
pub fn refusal_line(target: &str, reason: Option<&str>) -> String {
    format!("network: refused {target}: {}", reason.unwrap_or("the sandbox's network gateway refused it"))
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

const HOP_BY_HOP: &[&str] =
    &["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"];

/// `headers` without hop-by-hop headers (those [`HOP_BY_HOP`] and `Connection` name, and
/// `Proxy-*`) and `Host`; with `upgrade`, `Connection: upgrade` and `Upgrade` stay.
pub fn end_to_end(headers: &HeaderMap, upgrade: bool) -> HeaderMap {
    let listed: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .collect();
    let mut out = HeaderMap::new();
    for (name, value) in headers {
        let n = name.as_str();
        let hop = HOP_BY_HOP.contains(&n) || n.starts_with("proxy-") || n == "host" || listed.iter().any(|l| l == n);
        if !hop || (upgrade && n == "upgrade") {
            out.append(name.clone(), value.clone());
        }
    }
    out.insert(header::CONNECTION, HeaderValue::from_static(if upgrade { "upgrade" } else { "close" }));
    out
}

/// `host:port` as a URL's authority (an IPv6 address in brackets).
fn authority(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// The isolated network: the gateway, the forwarders opened so far, and where refusals go.
pub struct Network {
    gateway: PathBuf,
    forwarders: Mutex<HashMap<(String, u16), u16>>,
    /// The registry proxy's port, once it serves.
    proxy_port: Mutex<Option<u16>>,
    refusals: mpsc::UnboundedSender<String>,
}

/// One forwarder's destination.
struct Destination {
    gateway: PathBuf,
    authority: String,
    refusals: mpsc::UnboundedSender<String>,
}

impl Network {
    /// The network, and the refusals it will report.
    pub fn new(gateway: PathBuf) -> (Self, mpsc::UnboundedReceiver<String>) {
        let (refusals, rx) = mpsc::unbounded_channel();
        (Self { gateway, forwarders: Mutex::default(), proxy_port: Mutex::default(), refusals }, rx)
    }

    /// `url` (an `http://` URL outside) as a loopback URL that reaches it through the gateway.
    pub async fn forwarded_url(&self, url: &str) -> Result<String> {
        let (host, port, rest) = split_http_url(url)?;
        let known = self.forwarders.lock().unwrap_or_else(|p| p.into_inner()).get(&(host.clone(), port)).copied();
        let local = match known {
            Some(local) => local,
            None => {
                let listener = TcpListener::bind("127.0.0.1:0").await?;
                let local = listener.local_addr()?.port();
                let destination = Arc::new(Destination {
                    gateway: self.gateway.clone(),
                    authority: authority(&host, port),
                    refusals: self.refusals.clone(),
                });
                let app = axum::Router::new().fallback(forward).with_state(destination);
                tokio::spawn(async move {
                    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
                        let _ = tcp.set_nodelay(true);
                    });
                    if let Err(e) = axum::serve(listener, app).await {
                        tracing::error!("a network forwarder stopped: {e}");
                    }
                });
                self.forwarders.lock().unwrap_or_else(|p| p.into_inner()).insert((host, port), local);
                local
            }
        };
        Ok(format!("http://127.0.0.1:{local}{rest}"))
    }

    /// The loopback ports it listens on: its forwarders and the registry proxy.
    pub fn local_ports(&self) -> Vec<u16> {
        let mut ports: Vec<u16> = self.forwarders.lock().unwrap_or_else(|p| p.into_inner()).values().copied().collect();
        ports.extend(*self.proxy_port.lock().unwrap_or_else(|p| p.into_inner()));
        ports
    }

    /// Serves the registry proxy on `listener` (bound before anything started, so its port is
    /// in every child's environment).
    pub fn serve_proxy(&self, listener: std::net::TcpListener) -> Result<()> {
        listener.set_nonblocking(true)?;
        *self.proxy_port.lock().unwrap_or_else(|p| p.into_inner()) = Some(listener.local_addr()?.port());
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

fn bad_gateway(message: String) -> Response {
    tracing::warn!("network forwarder: {message}");
    (StatusCode::BAD_GATEWAY, message).into_response()
}

/// One request to a forwarder's destination: sent to the gateway in absolute form on a
/// connection of its own; a `101` splices the two sides.
async fn forward(State(to): State<Arc<Destination>>, mut req: Request) -> Response {
    let upgrade = req.headers().contains_key(header::UPGRADE);
    let inside = upgrade.then(|| hyper::upgrade::on(&mut req));
    let (parts, body) = req.into_parts();
    let url = format!("http://{}{}", to.authority, parts.uri.path_and_query().map_or("/", |p| p.as_str()));
    let described = format!("{} {url}", parts.method);
    let gateway = match UnixStream::connect(&to.gateway).await {
        Ok(conn) => conn,
        Err(e) => return bad_gateway(format!("the network gateway {}: {e}", to.gateway.display())),
    };
    let (mut sender, conn) = match hyper::client::conn::http1::handshake::<_, Body>(TokioIo::new(gateway)).await {
        Ok(pair) => pair,
        Err(e) => return bad_gateway(format!("the network gateway: {e}")),
    };
    tokio::spawn(async move {
        let _ = conn.with_upgrades().await;
    });
    let mut out = Request::new(body);
    *out.method_mut() = parts.method;
    *out.headers_mut() = end_to_end(&parts.headers, upgrade);
    match (url.parse(), HeaderValue::from_str(&to.authority)) {
        (Ok(uri), Ok(host)) => {
            *out.uri_mut() = uri;
            out.headers_mut().insert(header::HOST, host);
        }
        _ => return bad_gateway(format!("{url} cannot be sent on")),
    }
    let mut response = match sender.send_request(out).await {
        Ok(response) => response,
        Err(e) => return bad_gateway(format!("the network gateway did not answer: {e}")),
    };
    if response.status() == StatusCode::FORBIDDEN {
        let reason = response.headers().get(REFUSAL_HEADER).and_then(|v| v.to_str().ok());
        let _ = to.refusals.send(refusal_line(&described, reason));
    }
    let switched = response.status() == StatusCode::SWITCHING_PROTOCOLS;
    if let (true, Some(inside)) = (switched, inside) {
        let outside = hyper::upgrade::on(&mut response);
        tokio::spawn(async move {
            if let (Ok(inside), Ok(outside)) = tokio::join!(inside, outside) {
                let _ = tokio::io::copy_bidirectional(&mut TokioIo::new(inside), &mut TokioIo::new(outside)).await;
            }
        });
    }
    let (parts, body) = response.into_parts();
    let mut back = Response::new(Body::new(body));
    *back.status_mut() = parts.status;
    *back.headers_mut() = end_to_end(&parts.headers, switched && upgrade);
    back
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
        let reason = header_of(&response, REFUSAL_HEADER);
        let _ = refusals.send(refusal_line(&target_of(&request), reason.as_deref()));
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
        assert_eq!(target_of(b"GET http://cp/api/sessions HTTP/1.1\r\n\r\n"), "GET http://cp/api/sessions");
        let refused = b"HTTP/1.1 403 Forbidden\r\nX-Open-Inspect-Refused: not on the list\r\n\r\n";
        assert_eq!(header_of(refused, REFUSAL_HEADER).as_deref(), Some("not on the list"));
        assert_eq!(header_of(refused, "content-type"), None);
        assert_eq!(refusal_line("example.com:443", Some("why")), "network: refused example.com:443: why");
        let env = proxy_environment(9000);
        assert!(env.contains(&("HTTPS_PROXY".into(), "http://127.0.0.1:9000".into())));
        assert!(env.iter().any(|(k, v)| k == "NO_PROXY" && v.contains("127.0.0.1")));
    }

    /// A fake gateway: answers each connection's request with `answer` and reports the bytes of
    /// each connection.
    async fn fake_gateway(answer: &'static str) -> (tempfile::TempDir, PathBuf, mpsc::UnboundedReceiver<String>) {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("gw.sock");
        let listener = tokio::net::UnixListener::bind(&socket).unwrap();
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let tx = tx.clone();
                tokio::spawn(async move {
                    let head = read_head(&mut conn).await.unwrap_or_default();
                    conn.write_all(answer.as_bytes()).await.unwrap();
                    let mut rest = Vec::new();
                    let _ = conn.read_to_end(&mut rest).await;
                    let _ = tx.send(String::from_utf8_lossy(&[head, rest].concat()).into_owned());
                });
            }
        });
        (dir, socket, rx)
    }

    #[tokio::test]
    async fn a_forwarder_sends_each_request_to_the_gateway_on_its_own_connection_in_absolute_form() {
        let (_dir, socket, mut seen) =
            fake_gateway("HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok").await;
        let (network, _refusals) = Network::new(socket);
        let url = network.forwarded_url("http://10.9.8.7:8787/base").await.unwrap();
        assert!(url.starts_with("http://127.0.0.1:") && url.ends_with("/base"), "{url}");
        assert_eq!(
            network.forwarded_url("http://10.9.8.7:8787/other").await.unwrap().rsplit_once('/').unwrap().0,
            url.rsplit_once('/').unwrap().0,
            "one forwarder per destination"
        );
        let client = reqwest::Client::new();
        for path in ["/api/sessions/ses_1/git/info/refs?service=git-upload-pack", "/api/sessions/ses_1/sandbox"] {
            let base = url.trim_end_matches("/base");
            let res = client.get(format!("{base}{path}")).header("proxy-authorization", "x").send().await.unwrap();
            assert_eq!(res.text().await.unwrap(), "ok");
            let request = seen.recv().await.unwrap();
            let lower = request.to_ascii_lowercase();
            assert!(request.starts_with(&format!("GET http://10.9.8.7:8787{path} HTTP/1.1\r\n")), "{request}");
            assert!(lower.contains("host: 10.9.8.7:8787\r\n") && lower.contains("connection: close"), "{request}");
            assert!(!lower.contains("proxy-authorization") && !lower.contains("127.0.0.1"), "{request}");
        }
    }

    #[tokio::test]
    async fn its_local_ports_are_the_forwarders_and_the_registry_proxy() {
        let (network, _refusals) = Network::new(PathBuf::from("/nonexistent/gateway.sock"));
        assert!(network.local_ports().is_empty());
        let url = network.forwarded_url("http://10.9.8.7:8787").await.unwrap();
        let forwarder = crate::preview::port_of(&url).unwrap();
        let proxy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let proxy_port = proxy.local_addr().unwrap().port();
        network.serve_proxy(proxy).unwrap();
        let mut ports = network.local_ports();
        ports.sort();
        let mut expected = vec![forwarder, proxy_port];
        expected.sort();
        assert_eq!(ports, expected);
    }

    #[tokio::test]
    async fn the_gateways_refusals_are_reported_with_their_reason() {
        let (_dir, socket, _seen) = fake_gateway(
            "HTTP/1.1 403 Forbidden\r\nx-open-inspect-refused: only this sandbox's own session\r\ncontent-length: 0\r\n\r\n",
        )
        .await;
        let (network, mut refusals) = Network::new(socket);
        let url = network.forwarded_url("http://10.9.8.7:8787").await.unwrap();
        let res = reqwest::get(format!("{url}api/sessions/ses_2/sandbox")).await.unwrap();
        assert_eq!(res.status(), 403);
        assert_eq!(
            refusals.recv().await.unwrap(),
            "network: refused GET http://10.9.8.7:8787/api/sessions/ses_2/sandbox: only this sandbox's own session"
        );
    }
}
