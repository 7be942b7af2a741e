//! A fake control plane for running the real `sandbox-agent` binary: the bridge socket of one
//! session (welcomes, acknowledges and hands over every event and every preview frame; sends the
//! test's commands, and answers a preview request with what comes back), the
//! model proxy (on to the scripted model), the git endpoint (`git http-backend` on a bare
//! repository) and the media the test stores (`GET /sandbox/media/:media_id`). Every HTTP
//! request must carry the session's sandbox token. It listens on 127.0.0.1 and stops when
//! dropped.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::response::Response;
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use oi_protocol::bridge::{AgentEvent, BridgeCommand, BridgeMessage, NumberedEvent};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Mutex};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

/// The pinned OpenCode that scripts/setup installs.
pub fn opencode_bin() -> PathBuf {
    if let Ok(bin) = std::env::var("OI_OPENCODE_BIN") {
        return bin.into();
    }
    let cache = std::env::var("OI_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/open-inspect"));
    cache.join("opencode-1.18.33/node_modules/opencode-linux-x64/bin/opencode")
}

/// OpenCode's agent configuration for the scripted model (reached through the egress).
pub fn scripted_agent() -> oi_protocol::agent::AgentConfig {
    use oi_protocol::agent::{AgentConfig, ModelApi, ModelProvider};
    AgentConfig {
        model: "scripted/test-model".into(),
        providers: vec![ModelProvider {
            id: "scripted".into(),
            api: ModelApi::OpenaiCompatible,
            base_url: "http://unused.invalid/v1".into(),
            api_key: None,
            test_model: true,
            models: vec![],
        }],
    }
}

/// The model proxy of a fake control plane: `rest` (under `…/model/scripted/`) and `body`
/// forwarded to the scripted model at `model_url`, its answer streamed back.
pub async fn to_model(model_url: &str, rest: &str, body: Bytes) -> Response {
    let upstream = reqwest::Client::new()
        .post(format!("{}/{rest}", model_url))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let mut response = Response::builder().status(upstream.status().as_u16());
    if let Some(ct) = upstream.headers().get("content-type") {
        response = response.header("content-type", ct.as_bytes());
    }
    response.body(Body::from_stream(upstream.bytes_stream())).unwrap()
}

/// What one synchronous prompt to OpenCode did: the answer's status (none when it never
/// answered) and OpenCode's log.
pub struct ToolPrompt {
    pub status: Option<u16>,
    pub log: String,
}

/// Starts the pinned OpenCode in a fresh git workspace (one empty commit) with the scripted
/// model as its model and the supervisor's tool server behind `egress_url`, sends one
/// synchronous prompt `text` (it returns when the whole run is done, at most `within`), and
/// stops OpenCode.
pub async fn prompt_with_tools(egress_url: &str, title: &str, text: &str, within: Duration) -> ToolPrompt {
    use oi_sandbox_agent::opencode::config::{OpencodeDirs, SupervisorLinks};
    use oi_sandbox_agent::opencode::process;
    use serde_json::{json, Value};

    let opencode = opencode_bin();
    assert!(opencode.exists(), "OpenCode is missing at {} (scripts/setup installs it)", opencode.display());
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("workspace");
    std::fs::create_dir(&workspace).unwrap();
    git(&workspace, &["init", "-q"]);
    git(&workspace, &["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "init"]);
    let agent = scripted_agent();
    let log = dir.path().join("opencode.log");
    let links = SupervisorLinks { egress_url, tools_bin: Some(Path::new(env!("CARGO_BIN_EXE_sandbox-agent"))) };
    let dirs = OpencodeDirs::under(&dir.path().join("state"));
    let mut opencode = process::start(&opencode, &workspace, &agent, &dirs, "pw", &log, links).await.unwrap();
    let http = reqwest::Client::new();
    let session: Value = http
        .post(format!("{}/session", opencode.url))
        .basic_auth("opencode", Some("pw"))
        .json(&json!({"title": title}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let answer = http
        .post(format!("{}/session/{}/message", opencode.url, session["id"].as_str().unwrap()))
        .basic_auth("opencode", Some("pw"))
        .json(&json!({"parts": [{"type": "text", "text": text}]}))
        .timeout(within)
        .send()
        .await;
    opencode.stop(Duration::from_secs(5)).await;
    ToolPrompt {
        status: answer.ok().map(|a| a.status().as_u16()),
        log: std::fs::read_to_string(&log).unwrap_or_default(),
    }
}

/// Runs git in `dir`; panics with its output when it fails; returns stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git").args(args).current_dir(dir).output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A bare repository `repo.git` under `dir` whose `main` holds `files`.
pub fn bare_repo(dir: &Path, files: &[(&str, &str)]) -> PathBuf {
    let bare = dir.join("repo.git");
    let seed = dir.join("seed");
    std::fs::create_dir_all(&seed).unwrap();
    git(dir, &["init", "--quiet", "--bare", "-b", "main", bare.to_str().unwrap()]);
    git(&seed, &["init", "--quiet", "-b", "main"]);
    for (path, content) in files {
        let file = seed.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, content).unwrap();
    }
    git(&seed, &["add", "-A"]);
    git(&seed, &["-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "seed"]);
    git(&seed, &["push", "--quiet", bare.to_str().unwrap(), "main"]);
    bare
}

/// What the test sends down the bridge.
pub enum ToBridge {
    Command(BridgeCommand),
    /// Closes the socket with this code (4410: the session is gone).
    Close(u16),
}

/// Stored media: id → (content type, bytes).
type Media = Arc<std::sync::Mutex<HashMap<String, (String, Vec<u8>)>>>;

#[derive(Clone)]
struct Http {
    session: String,
    token: String,
    model_url: String,
    repo: PathBuf,
    media: Media,
}

/// A preview's answer as the bridge sent it: its head, then its body frames reassembled.
#[derive(Debug)]
pub struct PreviewAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// How many body frames carried data.
    pub data_frames: usize,
    /// The last frame's error, if the body was cut short.
    pub error: Option<String>,
}

impl PreviewAnswer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub struct ControlPlane {
    pub url: String,
    events: mpsc::UnboundedReceiver<AgentEvent>,
    /// The `preview_head` and `preview_body` frames, in the order they came.
    previews: mpsc::UnboundedReceiver<BridgeMessage>,
    to_bridge: mpsc::UnboundedSender<ToBridge>,
    media: Media,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for ControlPlane {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl ControlPlane {
    /// Serves `session`, whose sandbox token is `token`.
    pub async fn start(session: &str, token: &str, model_url: String, repo: PathBuf) -> Self {
        let media = Media::default();
        let http = Http { session: session.into(), token: token.into(), model_url, repo, media: media.clone() };
        let backend = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let backend_addr = backend.local_addr().unwrap();
        let app = Router::new().fallback(route).with_state(http);
        let serve = tokio::spawn(async move { axum::serve(backend, app).await.unwrap() });

        let front = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", front.local_addr().unwrap());
        let (events_tx, events) = mpsc::unbounded_channel();
        let (previews_tx, previews) = mpsc::unbounded_channel();
        let (to_bridge, commands) = mpsc::unbounded_channel();
        let commands = Arc::new(Mutex::new(commands));
        let bridge_path = format!("/api/sessions/{session}/sandbox");
        let bearer = format!("Bearer {token}");
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = front.accept().await {
                let (events_tx, previews_tx, commands) = (events_tx.clone(), previews_tx.clone(), commands.clone());
                let (bridge_path, bearer) = (bridge_path.clone(), bearer.clone());
                tokio::spawn(async move {
                    if is_upgrade(&stream).await {
                        bridge(stream, &bridge_path, &bearer, events_tx, previews_tx, commands).await;
                    } else if let Ok(mut upstream) = TcpStream::connect(backend_addr).await {
                        let mut stream = stream;
                        let _ = tokio::io::copy_bidirectional(&mut stream, &mut upstream).await;
                    }
                });
            }
        });
        Self { url, events, previews, to_bridge, media, tasks: vec![serve, accept] }
    }

    /// Stores `bytes` as `media_id`, served at `GET /sandbox/media/{media_id}` as `content_type`.
    pub fn store_media(&self, media_id: &str, content_type: &str, bytes: Vec<u8>) {
        self.media.lock().unwrap().insert(media_id.into(), (content_type.into(), bytes));
    }

    pub fn send(&self, command: BridgeCommand) {
        self.to_bridge.send(ToBridge::Command(command)).unwrap();
    }

    pub fn close(&self, code: u16) {
        self.to_bridge.send(ToBridge::Close(code)).unwrap();
    }

    /// Sends `request` as a `preview` command and waits (at most `within`) for its answer: the
    /// head, then body frames until `end`. Frames of other requests are a failure.
    pub async fn preview(&mut self, request: oi_protocol::preview::PreviewRequest, within: Duration) -> PreviewAnswer {
        use base64::Engine;
        let id = request.request_id.clone();
        self.send(BridgeCommand::Preview(request));
        let deadline = tokio::time::Instant::now() + within;
        let mut answer: Option<PreviewAnswer> = None;
        loop {
            let frame = match tokio::time::timeout_at(deadline, self.previews.recv()).await {
                Ok(Some(frame)) => frame,
                Ok(None) => panic!("the bridge is gone; the answer so far: {answer:?}"),
                Err(_) => panic!("no whole answer to {id} within {within:?}; so far: {answer:?}"),
            };
            match (frame, answer.as_mut()) {
                (BridgeMessage::PreviewHead(head), None) if head.request_id == id => {
                    answer = Some(PreviewAnswer {
                        status: head.status,
                        headers: head.headers,
                        body: vec![],
                        data_frames: 0,
                        error: None,
                    });
                }
                (BridgeMessage::PreviewBody(body), Some(so_far)) if body.request_id == id => {
                    let data = base64::engine::general_purpose::STANDARD.decode(&body.data).unwrap();
                    if !data.is_empty() {
                        so_far.data_frames += 1;
                        so_far.body.extend(data);
                    }
                    if body.end {
                        so_far.error = body.error;
                        return answer.unwrap();
                    }
                }
                (other, so_far) => panic!("unexpected while waiting for {id}: {other:?}; so far: {so_far:?}"),
            }
        }
    }

    /// The events up to and including the first that `until` accepts (at most `within`).
    pub async fn events_until(&mut self, within: Duration, until: impl Fn(&AgentEvent) -> bool) -> Vec<AgentEvent> {
        let mut seen = vec![];
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(event)) => {
                    let done = until(&event);
                    seen.push(event);
                    if done {
                        return seen;
                    }
                }
                Ok(None) => panic!("the bridge is gone; events so far: {seen:#?}"),
                Err(_) => panic!("not within {within:?}; events so far: {seen:#?}"),
            }
        }
    }
}

/// Whether the request on `stream` asks for a WebSocket (its head, peeked, not consumed).
async fn is_upgrade(stream: &TcpStream) -> bool {
    let mut buf = vec![0u8; 8192];
    for _ in 0..500 {
        let Ok(n) = stream.peek(&mut buf).await else { return false };
        if n == 0 {
            return false;
        }
        if buf[..n].windows(4).any(|w| w == b"\r\n\r\n") || n == buf.len() {
            return String::from_utf8_lossy(&buf[..n]).to_ascii_lowercase().contains("upgrade: websocket");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    false
}

/// One bridge connection: welcomes the hello, acknowledges every event and hands new ones to
/// the test, sends the test's commands.
async fn bridge(
    stream: TcpStream,
    path: &str,
    bearer: &str,
    events: mpsc::UnboundedSender<AgentEvent>,
    previews: mpsc::UnboundedSender<BridgeMessage>,
    commands: Arc<Mutex<mpsc::UnboundedReceiver<ToBridge>>>,
) {
    // The callback's error type is tungstenite's.
    #[allow(clippy::result_large_err)]
    let check = |req: &tokio_tungstenite::tungstenite::handshake::server::Request, res| {
        let authorized = req.headers().get("authorization").and_then(|v| v.to_str().ok()) == Some(bearer);
        if req.uri().path() != path || !authorized {
            let mut refused = tokio_tungstenite::tungstenite::handshake::server::ErrorResponse::new(None);
            *refused.status_mut() = tokio_tungstenite::tungstenite::http::StatusCode::FORBIDDEN;
            return Err(refused);
        }
        Ok(res)
    };
    let Ok(ws) = tokio_tungstenite::accept_hdr_async(stream, check).await else { return };
    let (mut sink, mut stream) = ws.split();
    let mut commands = commands.lock().await;
    let mut acked = 0u64;
    let text = |value: &BridgeCommand| Message::Text(serde_json::to_string(value).unwrap());
    loop {
        tokio::select! {
            incoming = stream.next() => {
                let Some(Ok(Message::Text(frame))) = incoming else { return };
                match serde_json::from_str::<BridgeMessage>(&frame).unwrap() {
                    BridgeMessage::Hello { .. } => {
                        let _ = sink.send(text(&BridgeCommand::Welcome { acked_through: acked })).await;
                    }
                    BridgeMessage::Event(one) => {
                        for NumberedEvent { id, event } in [one] {
                            if id > acked {
                                acked = id;
                                let _ = events.send(event);
                            }
                        }
                        let _ = sink.send(text(&BridgeCommand::Ack { through: acked })).await;
                    }
                    BridgeMessage::Events { events: burst } => {
                        for NumberedEvent { id, event } in burst {
                            if id > acked {
                                acked = id;
                                let _ = events.send(event);
                            }
                        }
                        let _ = sink.send(text(&BridgeCommand::Ack { through: acked })).await;
                    }
                    BridgeMessage::Heartbeat => {}
                    frame @ (BridgeMessage::PreviewHead(_) | BridgeMessage::PreviewBody(_)) => {
                        let _ = previews.send(frame);
                    }
                }
            }
            command = commands.recv() => match command {
                Some(ToBridge::Command(command)) => {
                    let _ = sink.send(text(&command)).await;
                }
                Some(ToBridge::Close(code)) => {
                    let frame = CloseFrame { code: CloseCode::from(code), reason: "done".into() };
                    let _ = sink.send(Message::Close(Some(frame))).await;
                    return;
                }
                None => return,
            },
        }
    }
}

/// The session's HTTP routes: the model proxy and the git endpoint, with the sandbox token.
async fn route(State(http): State<Http>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    if header("authorization") != Some(format!("Bearer {}", http.token)) {
        return Response::builder().status(401).body(Body::empty()).unwrap();
    }
    let base = format!("/api/sessions/{}/", http.session);
    let Some(rest) = parts.uri.path().strip_prefix(&base) else {
        return Response::builder().status(404).body(Body::empty()).unwrap();
    };
    if let Some(media_id) = rest.strip_prefix("sandbox/media/").filter(|_| parts.method == "GET") {
        let stored = http.media.lock().unwrap().get(media_id).cloned();
        return match stored {
            Some((content_type, bytes)) => {
                Response::builder().header("content-type", content_type).body(Body::from(bytes)).unwrap()
            }
            None => Response::builder()
                .status(404)
                .header("content-type", "application/json")
                .body(Body::from(r#"{"error":{"code":"not_found","message":"no such media"}}"#))
                .unwrap(),
        };
    }
    if let Some(rest) = rest.strip_prefix("git/") {
        let query = parts.uri.query().unwrap_or_default();
        return git_http_backend(&http.repo, parts.method.as_str(), rest, query, &parts.headers, body).await;
    }
    let Some(rest) = rest.strip_prefix("model/scripted/") else {
        return Response::builder().status(404).body(Body::empty()).unwrap();
    };
    to_model(&http.model_url, rest, body).await
}

/// `git http-backend` as a CGI program, on the whole request and the whole response.
async fn git_http_backend(
    repo: &Path,
    method: &str,
    rest: &str,
    query: &str,
    headers: &axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    let mut cmd = tokio::process::Command::new("git");
    cmd.arg("http-backend")
        .env("GIT_PROJECT_ROOT", repo)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("PATH_INFO", format!("/{rest}"))
        .env("REQUEST_METHOD", method)
        .env("QUERY_STRING", query)
        .env("REMOTE_USER", "sandbox")
        .env("REMOTE_ADDR", "127.0.0.1")
        .env("CONTENT_LENGTH", body.len().to_string());
    for (name, var) in [
        ("content-type", "CONTENT_TYPE"),
        ("content-encoding", "HTTP_CONTENT_ENCODING"),
        ("git-protocol", "GIT_PROTOCOL"),
    ] {
        if let Some(value) = headers.get(name).and_then(|v| v.to_str().ok()) {
            cmd.env(var, value);
        }
    }
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feed = tokio::spawn(async move {
        let _ = stdin.write_all(&body).await;
    });
    let out = child.wait_with_output().await.unwrap();
    let _ = feed.await;
    let split = out.stdout.windows(4).position(|w| w == b"\r\n\r\n").map(|i| (i, i + 4));
    let split = split.or_else(|| out.stdout.windows(2).position(|w| w == b"\n\n").map(|i| (i, i + 2)));
    let (head_end, body_start) = split.expect("a CGI head");
    let mut response = Response::builder().status(200);
    for line in String::from_utf8_lossy(&out.stdout[..head_end]).lines() {
        let Some((name, value)) = line.split_once(':') else { continue };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            response = response.status(value.split_whitespace().next().unwrap().parse::<u16>().unwrap());
        } else {
            response = response.header(name.trim(), value);
        }
    }
    response.body(Body::from(out.stdout[body_start..].to_vec())).unwrap()
}

/// Starts the real `sandbox-agent` binary as a provider would: only `environment`, the sandbox
/// token on stdin, in `dir` (with `home/` and `state/` made), its stderr in
/// `dir/supervisor.log` (the path returned). It is killed when the child is dropped.
pub async fn start_supervisor(
    dir: &Path,
    environment: std::collections::BTreeMap<String, String>,
    token: &str,
) -> (tokio::process::Child, PathBuf) {
    for sub in ["home", "state"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    let log_path = dir.join("supervisor.log");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_sandbox-agent"))
        .env_clear()
        .envs(environment)
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(format!("{token}\n").as_bytes()).await.unwrap();
    (child, log_path)
}
