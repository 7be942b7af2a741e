//! The model proxy against the built Worker in workerd, with fake Anthropic and OpenAI
//! endpoints that stream the vendors' recorded responses: the vendor key is added at the
//! egress and nothing from the sandbox's headers passes; the response streams through as it
//! is produced; only the session's current sandbox token works; account paths are refused;
//! usage is counted and priced.

use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use oi_protocol::rest::{CreateSessionRequest, SessionUsage};
use oi_testkit::{ControlPlane, ControlPlaneOptions};
use tokio::sync::{mpsc, oneshot};

const ANTHROPIC_STREAM: &str =
    include_str!("../../crates/session-core/tests/fixtures/llm/stream-tool-use.recorded.sse");
const OPENAI_STREAM: &str = include_str!("../../crates/session-core/tests/fixtures/llm/stream-tool-calls.recorded.sse");
const ANTHROPIC_KEY: &str = "sk-ant-vendor-key-kept-in-the-control-plane";
const OPENAI_KEY: &str = "sk-openai-vendor-key-kept-in-the-control-plane";

/// What the fake vendor saw.
#[derive(Default)]
struct Seen {
    requests: Vec<(String, HeaderMap, Bytes)>,
    /// When set, the OpenAI stream sends its first half, then waits for this.
    hold: Option<oneshot::Receiver<()>>,
}

type Shared = Arc<Mutex<Seen>>;

async fn anthropic(State(seen): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    seen.lock().unwrap().requests.push(("anthropic".into(), headers.clone(), body));
    if headers.get("x-api-key").and_then(|v| v.to_str().ok()) != Some(ANTHROPIC_KEY) {
        return Response::builder()
            .status(401)
            .body(Body::from(
                r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#,
            ))
            .unwrap();
    }
    Response::builder()
        .header("content-type", "text/event-stream; charset=utf-8")
        .header("anthropic-ratelimit-requests-remaining", "49")
        .header("set-cookie", "vendor=1")
        .body(Body::from(ANTHROPIC_STREAM))
        .unwrap()
}

async fn openai(State(seen): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let hold = {
        let mut seen = seen.lock().unwrap();
        seen.requests.push(("openai".into(), headers.clone(), body));
        seen.hold.take()
    };
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&format!("Bearer {OPENAI_KEY}")) {
        return Response::builder().status(401).body(Body::from("{}")).unwrap();
    }
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let (first, second) = OPENAI_STREAM.split_at(OPENAI_STREAM.find("\n\n").unwrap() + 2);
    let (first, second) = (first.to_string(), second.to_string());
    tokio::spawn(async move {
        let _ = tx.send(Ok(Bytes::from(first))).await;
        if let Some(hold) = hold {
            let _ = hold.await;
        }
        let _ = tx.send(Ok(Bytes::from(second))).await;
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "text/event-stream")
        .body(Body::from_stream(stream))
        .unwrap()
}

async fn fake_vendor(seen: Shared) -> anyhow::Result<(String, oneshot::Sender<()>)> {
    let app = Router::new()
        .route("/v1/messages", post(anthropic))
        .route("/v1/chat/completions", post(openai))
        .with_state(seen);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/v1", listener.local_addr()?);
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    Ok((url, stop))
}

async fn start(vendor: &str) -> anyhow::Result<ControlPlane> {
    start_with(vendor, &[]).await
}

async fn start_with(vendor: &str, extra: &[(&str, &str)]) -> anyhow::Result<ControlPlane> {
    let providers = serde_json::json!([
        {"id": "anthropic", "api": "anthropic", "base_url": vendor},
        {"id": "openai", "api": "openai_compatible", "base_url": vendor},
    ]);
    let prices = r#"{"anthropic/*":{"input_per_mtok":1.0,"output_per_mtok":5.0}}"#;
    let vars = [
        ("MODEL_PROVIDERS", providers.to_string()),
        ("DEFAULT_MODEL", "anthropic/claude-haiku-4-5".into()),
        ("MODEL_API_KEY_ANTHROPIC", ANTHROPIC_KEY.into()),
        ("MODEL_API_KEY_OPENAI", OPENAI_KEY.into()),
        ("MODEL_PRICES", prices.into()),
    ];
    let mut vars: Vec<(String, String)> = vars.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    ControlPlane::start_with(ControlPlaneOptions { vars, ..Default::default() }).await
}

fn session_request() -> CreateSessionRequest {
    CreateSessionRequest { repo: "acme/api".into(), ..Default::default() }
}

#[tokio::test]
async fn the_proxy_adds_the_vendor_key_streams_back_and_counts_usage() -> anyhow::Result<()> {
    let seen: Shared = Default::default();
    let (vendor, _stop) = fake_vendor(seen.clone()).await?;
    let cp = start(&vendor).await?;
    let api = cp.api();
    let session = api.create_session(&session_request()).await?;
    let token = api.attach_sandbox(&session.id).await?.token;
    let http = reqwest::Client::new();
    let url = |rest: &str| format!("{}/api/sessions/{}/model/{rest}", cp.base_url(), session.id);

    // Anthropic: the recorded stream comes back byte for byte.
    let body =
        r#"{"model":"claude-haiku-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#;
    let answer = http
        .post(url("anthropic/messages?beta=true"))
        .bearer_auth(&token)
        .header("x-api-key", "whatever-the-sandbox-had")
        .header("anthropic-version", "2023-06-01")
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await?;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "text/event-stream; charset=utf-8");
    assert_eq!(answer.headers()["anthropic-ratelimit-requests-remaining"], "49");
    assert!(answer.headers().get("set-cookie").is_none());
    assert_eq!(answer.text().await?, ANTHROPIC_STREAM);
    {
        let seen = seen.lock().unwrap();
        let (_, headers, sent) = &seen.requests[0];
        assert_eq!(headers["x-api-key"], ANTHROPIC_KEY);
        assert_eq!(headers["anthropic-version"], "2023-06-01");
        assert!(headers.get("authorization").is_none(), "the sandbox token must not reach the vendor");
        assert_eq!(sent.as_ref(), body.as_bytes());
    }

    // OpenAI: asked for its usage chunk, and streamed: the first chunk arrives while the
    // vendor is still holding the rest back.
    let (release, hold) = oneshot::channel();
    seen.lock().unwrap().hold = Some(hold);
    let body = r#"{"model":"gpt-5","stream":true,"messages":[{"role":"user","content":"hi"}]}"#;
    let mut answer = http
        .post(url("openai/chat/completions"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await?;
    assert_eq!(answer.status(), 200);
    let mut received = String::new();
    while !received.contains("\n\n") {
        let chunk = answer.chunk().await?.expect("the first event before the vendor finishes");
        received.push_str(std::str::from_utf8(&chunk)?);
    }
    release.send(()).unwrap();
    while let Some(chunk) = answer.chunk().await? {
        received.push_str(std::str::from_utf8(&chunk)?);
    }
    assert_eq!(received, OPENAI_STREAM);
    {
        let seen = seen.lock().unwrap();
        let (_, headers, sent) = &seen.requests[1];
        assert_eq!(headers["authorization"], format!("Bearer {OPENAI_KEY}").as_str());
        let sent: serde_json::Value = serde_json::from_slice(sent)?;
        assert_eq!(sent["stream_options"]["include_usage"], true);
    }

    // Usage: the recorded streams' counts, priced for Anthropic.
    let mut usage = SessionUsage::default();
    for _ in 0..50 {
        usage = api.raw("GET", &format!("/api/sessions/{}/usage", session.id), None).await?.json()?;
        if usage.models.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let models: Vec<(&str, u32, u64, u64)> =
        usage.models.iter().map(|m| (m.model.as_str(), m.requests, m.input_tokens, m.output_tokens)).collect();
    assert_eq!(models, [("anthropic/claude-haiku-4-5", 1, 656, 74), ("openai/gpt-5", 1, 44, 16)]);
    assert!((usage.cost_usd - (656.0 * 1.0 + 74.0 * 5.0) / 1e6).abs() < 1e-12, "{}", usage.cost_usd);
    assert!(!cp.log_tail(400).contains(ANTHROPIC_KEY), "the vendor key reached the log");
    Ok(())
}

#[tokio::test]
async fn only_the_sessions_current_sandbox_token_opens_the_proxy() -> anyhow::Result<()> {
    let seen: Shared = Default::default();
    let (vendor, _stop) = fake_vendor(seen.clone()).await?;
    let cp = start(&vendor).await?;
    let api = cp.api();
    let a = api.create_session(&session_request()).await?;
    let b = api.create_session(&session_request()).await?;
    let token_a = api.attach_sandbox(&a.id).await?.token;
    let http = reqwest::Client::new();
    let call = |session: &str, token: Option<&str>, rest: &str| {
        let mut request = http
            .post(format!("{}/api/sessions/{session}/model/{rest}", cp.base_url()))
            .header("content-type", "application/json")
            .body(r#"{"model":"claude-haiku-4-5","max_tokens":1,"messages":[]}"#);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let status = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(status(call(&a.id, Some(&token_a), "anthropic/messages").await?), 200);
    assert_eq!(status(call(&b.id, Some(&token_a), "anthropic/messages").await?), 401, "another session's token");
    assert_eq!(status(call(&a.id, None, "anthropic/messages").await?), 401);
    assert_eq!(status(call(&a.id, Some("made-up"), "anthropic/messages").await?), 401);
    // A new sandbox replaces the token: the old one stops working.
    let token_a2 = api.attach_sandbox(&a.id).await?.token;
    assert_eq!(status(call(&a.id, Some(&token_a), "anthropic/messages").await?), 401, "a replaced token");
    // Only inference paths, only configured providers.
    let refused = call(&a.id, Some(&token_a2), "openai/files").await?;
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await?.contains("does not forward /files"));
    assert_eq!(status(call(&a.id, Some(&token_a2), "nobody/messages").await?), 404);
    assert_eq!(status(call(&a.id, Some(&token_a2), "anthropic/../secrets").await?), 404);
    // Of all this, the vendor saw exactly the one good request.
    assert_eq!(seen.lock().unwrap().requests.len(), 1);
    Ok(())
}

#[tokio::test]
async fn a_stopped_sandboxs_token_no_longer_opens_the_proxy() -> anyhow::Result<()> {
    let seen: Shared = Default::default();
    let (vendor, _stop) = fake_vendor(seen.clone()).await?;
    let mut cp = start(&vendor).await?;
    // A sandbox that never connects is stopped by the connect watchdog (the provider, which
    // would be asked to terminate it, is not there).
    cp.restart_with_vars(&[
        ("SANDBOX_CONNECT_TIMEOUT_MS", "1500"),
        ("SANDBOX_PROVIDER_URL", "http://127.0.0.1:9"),
        ("SANDBOX_PROVIDER_KEY", "unused"),
    ])
    .await?;
    let api = cp.api();
    let session = api.create_session(&session_request()).await?;
    let token = api.attach_sandbox(&session.id).await?.token;
    let http = reqwest::Client::new();
    let call = || {
        http.post(format!("{}/api/sessions/{}/model/anthropic/messages", cp.base_url(), session.id))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(r#"{"model":"claude-haiku-4-5","max_tokens":1,"messages":[]}"#)
            .send()
    };
    assert_eq!(call().await?.status(), 200, "the running sandbox's token works");
    let mut status = None;
    for _ in 0..100 {
        status = Some(api.session(&session.id).await?.sandbox.status);
        if status == Some(oi_protocol::SandboxStatus::Failed) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, Some(oi_protocol::SandboxStatus::Failed), "the watchdog stopped the sandbox");
    assert_eq!(call().await?.status(), 401, "a stopped sandbox's token is refused");
    Ok(())
}

/// A session's model spend has a cap: once what it used reaches it, the proxy refuses (429
/// `quota_exceeded`) before calling the vendor.
#[tokio::test]
async fn a_session_stops_at_its_model_spend_cap() -> anyhow::Result<()> {
    let seen: Shared = Default::default();
    let (vendor, _stop) = fake_vendor(seen.clone()).await?;
    let cp = start_with(&vendor, &[("MODEL_SPEND_CAP_USD", "0.001")]).await?;
    let api = cp.api();
    let session = api.create_session(&session_request()).await?;
    let token = api.attach_sandbox(&session.id).await?.token;
    let http = reqwest::Client::new();
    let call = || {
        http.post(format!("{}/api/sessions/{}/model/anthropic/messages", cp.base_url(), session.id))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(r#"{"model":"claude-haiku-4-5","max_tokens":64,"stream":true,"messages":[]}"#)
            .send()
    };
    let first = call().await?;
    assert_eq!(first.status(), 200);
    first.text().await?;
    // The recorded stream costs $0.001026: over the cap once it is counted.
    let mut refused = None;
    for _ in 0..50 {
        let answer = call().await?;
        if answer.status() == 429 {
            refused = Some(answer.json::<oi_protocol::ErrorBody>().await?);
            break;
        }
        answer.text().await?;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let refused = refused.expect("refused once the cap was reached");
    assert_eq!(refused.error.code, oi_protocol::ErrorCode::QuotaExceeded);
    assert!(refused.error.message.contains("MODEL_SPEND_CAP_USD"), "{}", refused.error.message);
    let vendor_calls = seen.lock().unwrap().requests.len();
    assert!(call().await?.status() == 429 && seen.lock().unwrap().requests.len() == vendor_calls, "no vendor call");
    Ok(())
}
