//! The model proxy against a fake control plane: what it forwards, that it streams both ways,
//! that a claim retargets it, and its errors. Every server listens on 127.0.0.1 and stops when
//! its test ends.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use axum::Router;
use futures_util::StreamExt;
use oi_sandbox_agent::egress::{Egress, ProxyTarget};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

/// Long enough never to fire on a working proxy; a buffering proxy deadlocks into it.
const DEADLOCK: Duration = Duration::from_secs(10);

/// A server on 127.0.0.1, stopped when dropped.
struct Server {
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(app: Router) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Server { url, task }
}

#[derive(Debug)]
struct Seen {
    method: Method,
    path: String,
    query: Option<String>,
    headers: HeaderMap,
    body: Bytes,
}

/// A control plane that records every request and answers 201 `done`.
async fn recording_control_plane() -> (Server, mpsc::UnboundedReceiver<Seen>) {
    async fn record(State(seen): State<mpsc::UnboundedSender<Seen>>, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        let _ = seen.send(Seen {
            method: parts.method,
            path: parts.uri.path().to_string(),
            query: parts.uri.query().map(str::to_string),
            headers: parts.headers,
            body,
        });
        Response::builder().status(201).header("x-upstream", "yes").body(Body::from("done")).unwrap()
    }
    let (tx, rx) = mpsc::unbounded_channel();
    (serve(Router::new().fallback(record).with_state(tx)).await, rx)
}

fn target(url: &str, session: &str, token: &str) -> ProxyTarget {
    ProxyTarget { control_plane_url: url.into(), session_id: session.into(), sandbox_token: token.into() }
}

#[tokio::test]
async fn forwards_with_the_sandbox_token_and_no_model_key() {
    let (cp, mut seen) = recording_control_plane().await;
    let proxy = Egress::start(target(&cp.url, "ses_1", "tok-1")).await.unwrap();
    let res = reqwest::Client::new()
        .post(format!("{}/v1/messages?beta=true", Egress::provider_url(proxy.base_url(), "anthropic")))
        .header("authorization", "Bearer sk-real")
        .header("x-api-key", "sk-ant-real")
        .header("cookie", "a=b")
        .header("anthropic-version", "2023-06-01")
        .header("content-type", "application/json")
        .body(r#"{"model":"claude","stream":true}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["x-upstream"], "yes");
    assert_eq!(res.text().await.unwrap(), "done");

    let req = seen.recv().await.unwrap();
    assert_eq!(req.method, Method::POST);
    assert_eq!(req.path, "/api/sessions/ses_1/model/anthropic/v1/messages");
    assert_eq!(req.query.as_deref(), Some("beta=true"));
    assert_eq!(req.headers.get_all("authorization").iter().collect::<Vec<_>>(), ["Bearer tok-1"]);
    assert!(req.headers.get("x-api-key").is_none());
    assert!(req.headers.get("cookie").is_none());
    assert_eq!(req.headers["anthropic-version"], "2023-06-01");
    assert_eq!(req.headers["content-type"], "application/json");
    assert_eq!(&req.body[..], br#"{"model":"claude","stream":true}"#);

    // A GET with no body goes up as one too.
    let res = reqwest::get(format!("{}/model/openai/models", proxy.base_url())).await.unwrap();
    assert_eq!(res.status(), 201);
    let req = seen.recv().await.unwrap();
    assert_eq!((req.method, req.path.as_str()), (Method::GET, "/api/sessions/ses_1/model/openai/models"));
    assert!(req.body.is_empty());

    // The pull-request tool's path: POST only, to the session's pull-request route.
    let tool = Egress::pull_request_url(proxy.base_url());
    let res = reqwest::Client::new().post(&tool).json(&serde_json::json!({"summary": "s"})).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let req = seen.recv().await.unwrap();
    assert_eq!((req.method, req.path.as_str()), (Method::POST, "/api/sessions/ses_1/sandbox/pull-request"));
    assert_eq!(req.headers["authorization"], "Bearer tok-1");
    assert_eq!(&req.body[..], br#"{"summary":"s"}"#);
    assert_eq!(reqwest::get(&tool).await.unwrap().status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(seen.try_recv().is_err(), "a GET is not forwarded");
}

/// The first SSE event reaches the client while the control plane is still holding back the
/// rest: the control plane sends the next events only after the test has read the first one
/// through the proxy. A buffering proxy would deadlock here (caught by a generous timeout).
#[tokio::test]
async fn streams_the_response_as_it_is_produced() {
    type Gate = Arc<Mutex<Option<oneshot::Receiver<()>>>>;
    async fn sse(State(gate): State<Gate>) -> Response {
        let gate = gate.lock().unwrap().take().expect("one request");
        let (tx, rx) = mpsc::channel::<Bytes>(4);
        tokio::spawn(async move {
            tx.send(Bytes::from_static(b"data: one\n\n")).await.unwrap();
            gate.await.unwrap();
            for event in [&b"data: two\n\n"[..], b"data: [DONE]\n\n"] {
                tokio::time::sleep(Duration::from_millis(200)).await;
                tx.send(Bytes::from_static(event)).await.unwrap();
            }
        });
        let stream =
            futures_util::stream::unfold(rx, |mut rx| async move { Some((Ok::<_, Infallible>(rx.recv().await?), rx)) });
        Response::builder()
            .header("content-type", "text/event-stream")
            .header("cache-control", "no-cache")
            .body(Body::from_stream(stream))
            .unwrap()
    }
    let (open, gate) = oneshot::channel();
    let cp = serve(Router::new().fallback(sse).with_state(Arc::new(Mutex::new(Some(gate))))).await;
    let proxy = Egress::start(target(&cp.url, "ses_1", "tok")).await.unwrap();

    let client = reqwest::Client::new();
    let url = format!("{}/model/scripted/chat/completions", proxy.base_url());
    let (mut body, mut received) = tokio::time::timeout(DEADLOCK, async {
        let res = client.post(url).body("{}").send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "text/event-stream");
        let mut body = res.bytes_stream();
        let mut received = Vec::new();
        while !received.ends_with(b"\n\n") {
            received.extend_from_slice(&body.next().await.unwrap().unwrap());
        }
        (body, received)
    })
    .await
    .expect("the first event arrived before the rest was sent");
    assert_eq!(received, b"data: one\n\n");
    open.send(()).unwrap();
    while let Some(chunk) = body.next().await {
        received.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(String::from_utf8(received).unwrap(), "data: one\n\ndata: two\n\ndata: [DONE]\n\n");
}

/// The request body goes up as it is written: the control plane sees the first chunk while the
/// client still holds back the second.
#[tokio::test]
async fn streams_the_request_body_up() {
    type Signal = Arc<Mutex<Option<oneshot::Sender<()>>>>;
    async fn read(State(first): State<Signal>, request: Request) -> Response {
        let mut body = request.into_body().into_data_stream();
        let mut got = Vec::new();
        while let Some(chunk) = body.next().await {
            got.extend_from_slice(&chunk.unwrap());
            if let Some(first) = first.lock().unwrap().take() {
                let _ = first.send(());
            }
        }
        Response::new(Body::from(got))
    }
    let (first_tx, first_rx) = oneshot::channel();
    let cp = serve(Router::new().fallback(read).with_state(Arc::new(Mutex::new(Some(first_tx))))).await;
    let proxy = Egress::start(target(&cp.url, "ses_1", "tok")).await.unwrap();

    let (tx, rx) = mpsc::channel::<Bytes>(4);
    let stream =
        futures_util::stream::unfold(rx, |mut rx| async move { Some((Ok::<_, Infallible>(rx.recv().await?), rx)) });
    let sent = tokio::spawn(
        reqwest::Client::new()
            .post(format!("{}/model/openai/files", proxy.base_url()))
            .body(reqwest::Body::wrap_stream(stream))
            .send(),
    );
    tx.send(Bytes::from_static(b"first,")).await.unwrap();
    tokio::time::timeout(DEADLOCK, first_rx).await.expect("the first chunk arrived alone").unwrap();
    tx.send(Bytes::from_static(b"second")).await.unwrap();
    drop(tx);
    let res = sent.await.unwrap().unwrap();
    assert_eq!(res.text().await.unwrap(), "first,second");
}

#[tokio::test]
async fn a_claim_retargets_the_proxy() {
    let (pool_cp, mut pool_seen) = recording_control_plane().await;
    let (session_cp, mut session_seen) = recording_control_plane().await;
    let proxy = Egress::start(target(&pool_cp.url, "ses_pool", "pool-token")).await.unwrap();
    let url = format!("{}/model/openai/chat/completions", proxy.base_url());
    let client = reqwest::Client::new();

    assert_eq!(client.post(&url).body("a").send().await.unwrap().status(), 201);
    let before = pool_seen.recv().await.unwrap();
    assert_eq!(before.path, "/api/sessions/ses_pool/model/openai/chat/completions");
    assert_eq!(before.headers["authorization"], "Bearer pool-token");

    let claimed = target(&session_cp.url, "ses_9", "session-token");
    proxy.set_target(claimed.clone());
    assert_eq!(proxy.target(), claimed);
    assert_eq!(client.post(&url).body("b").send().await.unwrap().status(), 201);
    let after = session_seen.recv().await.unwrap();
    assert_eq!(after.path, "/api/sessions/ses_9/model/openai/chat/completions");
    assert_eq!(after.headers["authorization"], "Bearer session-token");
    assert_eq!(&after.body[..], b"b");
    assert!(pool_seen.try_recv().is_err(), "nothing more went to the pool's target");
}

#[tokio::test]
async fn errors_are_openai_shaped() {
    // A port nobody listens on.
    let unused = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let proxy = Egress::start(target(&format!("http://{unused}"), "ses_1", "tok")).await.unwrap();
    let client = reqwest::Client::new();

    let res = client.post(format!("{}/model/openai/chat/completions", proxy.base_url())).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_GATEWAY);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["type"], "proxy_error");
    assert_eq!(body["error"]["code"], "control_plane_unreachable");
    assert!(body["error"]["param"].is_null());
    assert!(!body["error"]["message"].as_str().unwrap().contains("tok"), "{body}");

    let res = client.get(format!("{}/v1/chat/completions", proxy.base_url())).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        (body["error"]["type"].as_str(), body["error"]["code"].as_str()),
        (Some("proxy_error"), Some("not_found"))
    );

    // HTTP clients resolve `..` before sending; a raw request keeps it.
    let mut raw = tokio::net::TcpStream::connect(proxy.base_url().trim_start_matches("http://")).await.unwrap();
    raw.write_all(b"GET /model/openai/../../sandbox HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    raw.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("\"proxy_error\""), "{answer}");
}
