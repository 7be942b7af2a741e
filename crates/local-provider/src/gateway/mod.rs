//! A sandbox's only way out of its private network namespace: a unix socket, one per sandbox,
//! speaking the HTTP proxy protocol. Each connection carries **one request** (no keep-alive, so
//! nothing rides behind an admitted request); what it may ask is decided by [`policy::decide`]:
//! plain HTTP requests to its own session's sandbox routes on the control plane (the bridge's
//! WebSocket upgrade spliced once admitted), to its git endpoint on this provider, and to the
//! package registries of its allowlist on port 80; `CONNECT` tunnels to those registries on
//! port 443, carrying TLS for that registry ([`sni`]). A registry's name must resolve to a
//! public address ([`address`]). Anything else is answered `403` with the reason (also in the
//! [`REFUSAL_HEADER`]), which the supervisor logs to the session. The sandbox sees the socket
//! read-only at [`INSIDE_GATEWAY`].
//!
//! Invariant: a request reaches the control plane or the provider only as a plain HTTP request
//! that [`policy::decide`] admitted, re-sent in origin form on a connection of its own.

pub mod address;
pub mod policy;
pub mod sni;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Version};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use oi_protocol::sandbox_routes::REFUSAL_HEADER;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpStream, UnixListener, UnixStream};

pub use policy::{Allowlist, SessionScope};
use policy::{Asked, Target, Verdict};

/// Where the sandbox finds the gateway (its directory is bound read-only).
pub const INSIDE_GATEWAY_DIR: &str = "/srv/net";
pub const INSIDE_GATEWAY: &str = "/srv/net/gateway.sock";
/// The socket's name in the sandbox's `net/` directory.
pub const GATEWAY_SOCKET: &str = "gateway.sock";
/// The longest request head read before refusing (hyper's smallest buffer is 8 KiB).
const MAX_HEAD: usize = 16 * 1024;
/// How long a tunnel's client may take to send its TLS ClientHello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(30);

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
                if let Err(e) = connection(conn, allow).await {
                    tracing::debug!("gateway connection: {e}");
                }
            });
        }
    }))
}

/// One connection: one request, then the connection closes (or becomes the admitted tunnel
/// or upgrade).
async fn connection(conn: UnixStream, allow: Arc<Allowlist>) -> hyper::Result<()> {
    let service = hyper::service::service_fn(move |req| {
        let allow = allow.clone();
        async move { Ok::<_, Infallible>(handle(req, &allow).await) }
    });
    hyper::server::conn::http1::Builder::new()
        .keep_alive(false)
        .max_buf_size(MAX_HEAD)
        .serve_connection(TokioIo::new(conn), service)
        .with_upgrades()
        .await
}

/// `403` (or another status) with the reason, in the body and in [`REFUSAL_HEADER`].
fn refusal(status: StatusCode, why: &str) -> Response<Body> {
    let mut response = Response::new(Body::from(format!("open-inspect: {why}\n")));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    let printable: String = why.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' }).collect();
    if let Ok(value) = HeaderValue::from_str(&printable) {
        headers.insert(REFUSAL_HEADER, value);
    }
    response
}

/// What the request asks for, as [`policy::decide`] reads it.
fn asked<'a>(req: &'a Request<Incoming>, what: &'a str) -> Asked<'a> {
    let uri = req.uri();
    let target = match (req.method() == Method::CONNECT, uri.scheme_str(), uri.host()) {
        (true, _, Some(host)) => Target::Connect { host, port: uri.port_u16().unwrap_or(443) },
        (false, Some("http"), Some(host)) => Target::Http {
            host,
            port: uri.port_u16().unwrap_or(80),
            path: uri.path_and_query().map_or("/", |p| p.as_str()),
        },
        _ => Target::Other(what),
    };
    let host_header = req.headers().get(header::HOST).and_then(|h| h.to_str().ok());
    Asked { method: req.method().as_str(), target, host_header, upgrade: req.headers().contains_key(header::UPGRADE) }
}

async fn handle(req: Request<Incoming>, allow: &Allowlist) -> Response<Body> {
    let what = req.uri().to_string();
    let session = allow.session.get();
    let decision = policy::decide(allow, session.as_deref(), &asked(&req, &what));
    let (host, port) = (req.uri().host().unwrap_or_default().to_string(), req.uri().port_u16());
    let verdict = match decision {
        Ok(verdict) => verdict,
        Err(why) => {
            tracing::info!(method = %req.method(), target = %what, "gateway: refused: {why}");
            return refusal(StatusCode::FORBIDDEN, &why);
        }
    };
    match verdict {
        Verdict::Tunnel => tunnel(req, host, port.unwrap_or(443)).await,
        Verdict::Registry => match resolve_public(&host, port.unwrap_or(80)).await {
            Ok(addrs) => match connect_any(&addrs).await {
                Ok(upstream) => forward(req, upstream, false).await,
                Err(e) => refusal(StatusCode::BAD_GATEWAY, &format!("cannot connect to {host}: {e}")),
            },
            Err(why) => refusal(StatusCode::FORBIDDEN, &why),
        },
        Verdict::ControlPlane(_) | Verdict::Provider => {
            let upgrade = matches!(verdict, Verdict::ControlPlane(route) if route.upgrades());
            let port = port.unwrap_or(80);
            match TcpStream::connect((host.trim_start_matches('[').trim_end_matches(']'), port)).await {
                Ok(upstream) => forward(req, upstream, upgrade).await,
                Err(e) => refusal(StatusCode::BAD_GATEWAY, &format!("cannot connect to {host}:{port}: {e}")),
            }
        }
    }
}

/// The public addresses `host` resolves to, or why it may not be reached.
async fn resolve_public(host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
    let resolved = tokio::net::lookup_host((host, port)).await.map_err(|e| format!("cannot resolve {host}: {e}"))?;
    address::public_only(host, resolved)
}

async fn connect_any(addrs: &[SocketAddr]) -> std::io::Result<TcpStream> {
    let mut last = std::io::Error::other("no address");
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// `CONNECT` to a registry: connected first (a failure is answered), then the client's TLS
/// ClientHello must name the registry before any byte goes on.
async fn tunnel(mut req: Request<Incoming>, host: String, port: u16) -> Response<Body> {
    let addrs = match resolve_public(&host, port).await {
        Ok(addrs) => addrs,
        Err(why) => return refusal(StatusCode::FORBIDDEN, &why),
    };
    let mut upstream = match connect_any(&addrs).await {
        Ok(s) => s,
        Err(e) => return refusal(StatusCode::BAD_GATEWAY, &format!("cannot connect to {host}:{port}: {e}")),
    };
    let upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        let Ok(upgraded) = upgrade.await else { return };
        let mut inside = TokioIo::new(upgraded);
        let hello = tokio::time::timeout(HELLO_TIMEOUT, sni::read_client_hello(&mut inside)).await;
        let hello = hello.map_err(|_| "no TLS ClientHello in time".to_string()).and_then(|r| r);
        let checked = hello.and_then(|(raw, handshake)| sni::check(&host, &handshake).map(|()| raw));
        match checked {
            Ok(raw) => {
                if upstream.write_all(&raw).await.is_ok() {
                    let _ = tokio::io::copy_bidirectional(&mut inside, &mut upstream).await;
                }
            }
            Err(why) => tracing::info!(target = %format!("{host}:{port}"), "gateway: refused the tunnel: {why}"),
        }
    });
    Response::new(Body::empty())
}

const HOP_BY_HOP: &[&str] =
    &["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"];

/// `headers` without hop-by-hop headers (those [`HOP_BY_HOP`] and `Connection` name, and
/// `Proxy-*`); with `upgrade`, `Connection: upgrade` and `Upgrade` stay.
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
        let hop = HOP_BY_HOP.contains(&n) || n.starts_with("proxy-") || listed.iter().any(|l| l == n);
        if !hop || (upgrade && n == "upgrade") {
            out.append(name.clone(), value.clone());
        }
    }
    let connection = if upgrade { "upgrade" } else { "close" };
    out.insert(header::CONNECTION, HeaderValue::from_static(connection));
    out
}

/// Sends the admitted request on `upstream` in origin form and answers with the response;
/// with `upgrade`, a `101` splices the two connections. The body is re-framed by hyper (which
/// read it by `Transfer-Encoding` over `Content-Length`, dropping the latter), so what the
/// upstream reads as this request's body is exactly what the gateway read as it.
async fn forward(mut req: Request<Incoming>, upstream: TcpStream, upgrade: bool) -> Response<Body> {
    let _ = upstream.set_nodelay(true);
    let (mut sender, conn) = match hyper::client::conn::http1::handshake::<_, Incoming>(TokioIo::new(upstream)).await {
        Ok(pair) => pair,
        Err(e) => return refusal(StatusCode::BAD_GATEWAY, &format!("the upstream connection failed: {e}")),
    };
    tokio::spawn(async move {
        let _ = conn.with_upgrades().await;
    });
    let inside = upgrade.then(|| hyper::upgrade::on(&mut req));
    let (parts, body) = req.into_parts();
    let origin = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
    let mut out = Request::new(body);
    *out.method_mut() = parts.method;
    *out.version_mut() = Version::HTTP_11;
    *out.headers_mut() = end_to_end(&parts.headers, upgrade);
    match origin.parse() {
        Ok(uri) => *out.uri_mut() = uri,
        Err(_) => return refusal(StatusCode::BAD_REQUEST, "the request's path cannot be sent on"),
    }
    let mut response = match sender.send_request(out).await {
        Ok(response) => response,
        Err(e) => return refusal(StatusCode::BAD_GATEWAY, &format!("the upstream did not answer: {e}")),
    };
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

#[cfg(test)]
mod tests;
