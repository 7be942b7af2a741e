//! The gateway on a real socket, against a fake control plane on loopback.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::*;

/// A fake upstream on loopback: answers the first request of its first connection (`answer`),
/// then reports every byte it received on that connection until the gateway closed it.
async fn upstream(answer: &'static str, echo_after: bool) -> (u16, oneshot::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = s.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
        }
        s.write_all(answer.as_bytes()).await.unwrap();
        loop {
            match tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf)).await {
                Ok(Ok(n)) if n > 0 => {
                    if echo_after {
                        s.write_all(&buf[..n]).await.unwrap();
                    }
                    seen.extend_from_slice(&buf[..n]);
                }
                _ => break,
            }
        }
        let _ = tx.send(String::from_utf8_lossy(&seen).into_owned());
    });
    (port, rx)
}

async fn gateway(allow: Allowlist) -> (tempfile::TempDir, std::path::PathBuf, tokio::task::JoinHandle<()>) {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("gw.sock");
    let task = serve(&socket, allow).await.unwrap();
    (dir, socket, task)
}

fn sandbox(control_plane_port: u16, session: Option<&str>, hosts: &[&str]) -> Allowlist {
    let hosts: Vec<String> = hosts.iter().map(|h| h.to_string()).collect();
    let scope = SessionScope::new(session.map(str::to_string));
    Allowlist::new(&format!("http://127.0.0.1:{control_plane_port}"), "http://127.0.0.1:1", "sbx_1", scope, &hosts)
}

/// Sends `request` and reads the answer until the gateway closes.
async fn exchange(socket: &std::path::Path, request: &str) -> String {
    let mut conn = UnixStream::connect(socket).await.unwrap();
    conn.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_refused_destination_gets_403_with_the_reason() {
    let (_dir, socket, task) = gateway(Allowlist::default()).await;
    let answer = exchange(&socket, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(answer.contains("example.com is not on this sandbox's network allowlist"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains(REFUSAL_HEADER), "{answer}");
    task.abort();
}

#[tokio::test]
async fn the_control_plane_gets_one_admitted_request_per_connection_in_origin_form() {
    let (port, seen) = upstream("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok", false).await;
    let (_dir, socket, task) = gateway(sandbox(port, Some("ses_1"), &[])).await;
    let cp = format!("127.0.0.1:{port}");
    let pipelined = format!(
        "GET http://{cp}/api/sessions/ses_1/git/info/refs?service=git-upload-pack HTTP/1.1\r\nHost: {cp}\r\nProxy-Authorization: x\r\n\r\n\
         GET http://{cp}/api/sessions HTTP/1.1\r\nHost: {cp}\r\n\r\n"
    );
    let answer = exchange(&socket, &pipelined).await;
    assert!(answer.starts_with("HTTP/1.1 200") && answer.ends_with("ok"), "{answer}");
    assert_eq!(answer.matches("HTTP/1.1").count(), 1, "one answer: {answer}");
    let seen = seen.await.unwrap();
    assert!(seen.starts_with("GET /api/sessions/ses_1/git/info/refs?service=git-upload-pack HTTP/1.1\r\n"), "{seen}");
    assert_eq!(seen.matches("HTTP/1.1").count(), 1, "the pipelined request never reached the control plane: {seen}");
    assert!(seen.to_ascii_lowercase().contains("connection: close"), "{seen}");
    assert!(!seen.to_ascii_lowercase().contains("proxy-authorization"), "{seen}");
    task.abort();
}

#[tokio::test]
async fn a_request_smuggled_in_a_body_never_reaches_the_control_plane() {
    let (port, seen) = upstream("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok", false).await;
    let (_dir, socket, task) = gateway(sandbox(port, Some("ses_1"), &[])).await;
    let cp = format!("127.0.0.1:{port}");
    let smuggled = format!("GET http://{cp}/api/sessions HTTP/1.1\r\nHost: {cp}\r\n\r\n");
    let request = format!(
        "POST http://{cp}/api/sessions/ses_1/git/git-upload-pack HTTP/1.1\r\nHost: {cp}\r\nContent-Length: {}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{smuggled}",
        5 + smuggled.len()
    );
    let answer = exchange(&socket, &request).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let seen = seen.await.unwrap();
    assert!(seen.starts_with("POST /api/sessions/ses_1/git/git-upload-pack HTTP/1.1\r\n"), "{seen}");
    assert_eq!(seen.matches("HTTP/1.1").count(), 1, "{seen}");
    assert!(!seen.contains("/api/sessions HTTP"), "{seen}");
    task.abort();
}

#[tokio::test]
async fn other_routes_of_the_control_plane_are_refused_before_it_is_reached() {
    let (port, seen) = upstream("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok", false).await;
    let (_dir, socket, task) = gateway(sandbox(port, Some("ses_1"), &[])).await;
    let cp = format!("127.0.0.1:{port}");
    for (request, reason) in [
        (format!("GET http://{cp}/api/sessions HTTP/1.1\r\nHost: {cp}\r\n\r\n"), "sandbox routes"),
        (format!("GET http://{cp}/api/secrets HTTP/1.1\r\nHost: {cp}\r\n\r\n"), "sandbox routes"),
        (format!("POST http://{cp}/api/sessions/ses_2/sandbox/attach HTTP/1.1\r\nHost: {cp}\r\n\r\n"), "own session"),
        (format!("GET http://{cp}/api/sessions/ses_1/sandbox HTTP/1.1\r\nHost: evil.test\r\n\r\n"), "Host header"),
        (format!("CONNECT {cp} HTTP/1.1\r\nHost: {cp}\r\n\r\n"), "never a tunnel"),
        (format!("GET /api/sessions HTTP/1.1\r\nHost: {cp}\r\n\r\n"), "not a proxy request"),
    ] {
        let answer = exchange(&socket, &request).await;
        assert!(answer.starts_with("HTTP/1.1 403") && answer.contains(reason), "{request}: {answer}");
    }
    assert!(tokio::time::timeout(Duration::from_millis(300), seen).await.is_err(), "the control plane saw nothing");
    task.abort();
}

#[tokio::test]
async fn a_warm_pool_sandbox_reaches_its_session_only_after_the_claim() {
    let (port, seen) = upstream("HTTP/1.1 204 No Content\r\n\r\n", false).await;
    let allow = sandbox(port, None, &[]);
    let scope = allow.session.clone();
    let (_dir, socket, task) = gateway(allow).await;
    let cp = format!("127.0.0.1:{port}");
    let request = format!(
        "POST http://{cp}/api/sessions/ses_9/sandbox/pull-request HTTP/1.1\r\nHost: {cp}\r\ncontent-length: 0\r\n\r\n"
    );
    assert!(exchange(&socket, &request).await.contains("serves no session yet"));
    scope.set(Some("ses_9".into()));
    assert!(exchange(&socket, &request).await.starts_with("HTTP/1.1 204"));
    assert!(seen.await.unwrap().starts_with("POST /api/sessions/ses_9/sandbox/pull-request HTTP/1.1"));
    task.abort();
}

#[tokio::test]
async fn the_bridge_upgrade_is_spliced_once_admitted() {
    let (port, seen) = upstream(
        "HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\nsec-websocket-accept: x\r\n\r\n",
        true,
    )
    .await;
    let (_dir, socket, task) = gateway(sandbox(port, Some("ses_1"), &[])).await;
    let cp = format!("127.0.0.1:{port}");
    let mut conn = UnixStream::connect(&socket).await.unwrap();
    let request = format!(
        "GET http://{cp}/api/sessions/ses_1/sandbox HTTP/1.1\r\nHost: {cp}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nAuthorization: Bearer t\r\n\r\n"
    );
    conn.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        conn.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 101") && head.contains("upgrade: websocket"), "{head}");
    conn.write_all(b"frame").await.unwrap();
    let mut echoed = [0u8; 5];
    conn.read_exact(&mut echoed).await.unwrap();
    assert_eq!(&echoed, b"frame");
    drop(conn);
    let seen = seen.await.unwrap().to_ascii_lowercase();
    assert!(seen.starts_with("get /api/sessions/ses_1/sandbox http/1.1") && seen.contains("upgrade: websocket"));
    assert!(seen.contains("authorization: bearer t") && seen.ends_with("frame"), "{seen}");
    task.abort();
}

#[tokio::test]
async fn registries_are_reached_by_their_own_name_on_public_addresses_only() {
    let (_dir, socket, task) = gateway(sandbox(1, Some("ses_1"), &["localhost", "registry.npmjs.org"])).await;
    for (request, reason) in [
        ("CONNECT localhost:443 HTTP/1.1\r\nHost: localhost:443\r\n\r\n", "localhost resolves to"),
        ("GET http://localhost/ HTTP/1.1\r\nHost: localhost\r\n\r\n", "a loopback, private or link-local address"),
        (
            "GET http://registry.npmjs.org/api/sessions HTTP/1.1\r\nHost: 127.0.0.1:8787\r\n\r\n",
            "does not name registry.npmjs.org:80",
        ),
        ("CONNECT registry.npmjs.org:80 HTTP/1.1\r\nHost: registry.npmjs.org:80\r\n\r\n", "port 443 only"),
    ] {
        let answer = exchange(&socket, request).await;
        assert!(answer.starts_with("HTTP/1.1 403") && answer.contains(reason), "{request}: {answer}");
    }
    task.abort();
}

#[test]
fn hop_by_hop_headers_stop_at_the_gateway() {
    let mut headers = HeaderMap::new();
    for (k, v) in [
        ("connection", "keep-alive, x-private"),
        ("x-private", "1"),
        ("keep-alive", "timeout=5"),
        ("proxy-authorization", "Basic x"),
        ("transfer-encoding", "chunked"),
        ("upgrade", "websocket"),
        ("authorization", "Bearer t"),
        ("content-length", "3"),
    ] {
        headers.append(HeaderName::from_static(k), HeaderValue::from_static(v));
    }
    let plain = end_to_end(&headers, false);
    let mut names: Vec<&str> = plain.keys().map(HeaderName::as_str).collect();
    names.sort();
    assert_eq!(names, ["authorization", "connection", "content-length"]);
    assert_eq!(plain[header::CONNECTION], "close");
    let upgraded = end_to_end(&headers, true);
    assert_eq!(
        (&upgraded[header::CONNECTION], &upgraded[header::UPGRADE]),
        (&HeaderValue::from_static("upgrade"), &HeaderValue::from_static("websocket"))
    );
}
