//! Previews: the control plane's `preview` command (a viewer's HTTP request, see
//! [`oi_protocol::preview`]) sent to the app on `127.0.0.1:<port>` in the sandbox, and its
//! answer sent back on the bridge as unnumbered frames: a [`PreviewHead`], then the body in
//! [`PreviewBody`] chunks of at most [`PREVIEW_CHUNK_BYTES`], the last with `end`.
//!
//! Invariant: only a port the repository lists (`.openinspect/config.json`, read at boot) and
//! none of the supervisor's own is reached; the app's answer goes back as it sent it (no
//! redirect followed, no decompression), minus hop-by-hop headers; each request runs in a task
//! of its own, never in the prompt loop, and its frames go on the connection it came on only.

use std::path::Path;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use oi_protocol::bridge::BridgeMessage;
use oi_protocol::preview::{
    check_port, parse_ports, Header, PreviewBody, PreviewHead, PreviewRequest, CONFIG_PATH, MAX_PREVIEW_REQUEST_BYTES,
    MAX_PREVIEW_RESPONSE_BYTES, PREVIEW_CHUNK_BYTES, PREVIEW_HEAD_TIMEOUT_SECS,
};

use crate::bridge::{FrameRefused, LiveConnection};

/// How long the app has to accept the connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The preview ports `workspace`'s `.openinspect/config.json` lists: none without the file;
/// `Err` (a warning for the session) when it cannot be read or is not valid.
pub fn listed_ports(workspace: &Path) -> Result<Vec<u16>, String> {
    match std::fs::read_to_string(workspace.join(CONFIG_PATH)) {
        Ok(json) => parse_ports(&json).map_err(|why| format!("previews are off: {why}")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(format!("previews are off: {CONFIG_PATH} could not be read: {e}")),
    }
}

/// The port of a loopback URL the supervisor serves (`http://127.0.0.1:41234/v1` → 41234).
pub fn port_of(url: &str) -> Option<u16> {
    url::Url::parse(url).ok()?.port()
}

use oi_protocol::preview::HOP_BY_HOP_HEADERS as HOP_BY_HOP;

/// `headers` without hop-by-hop ones: those of [`HOP_BY_HOP`] and those `Connection` names.
/// Order and repeats are kept.
pub fn end_to_end(headers: &[Header]) -> Vec<Header> {
    let named: Vec<String> = headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("connection"))
        .flat_map(|(_, value)| value.split(','))
        .map(|token| token.trim().to_ascii_lowercase())
        .filter(|token| !token.is_empty())
        .collect();
    headers
        .iter()
        .filter(|(name, _)| {
            let name = name.to_ascii_lowercase();
            !HOP_BY_HOP.contains(&name.as_str()) && !named.contains(&name)
        })
        .cloned()
        .collect()
}

/// The headers sent to the app: end-to-end ones, without `Content-Length` (the body decoded
/// here sets it).
pub fn request_headers(headers: &[Header]) -> Vec<Header> {
    end_to_end(headers).into_iter().filter(|(name, _)| !name.eq_ignore_ascii_case("content-length")).collect()
}

/// Cuts a response body into [`PreviewBody`] frames and keeps it within its limit.
#[derive(Debug)]
pub struct BodyFrames {
    request_id: String,
    sent: u64,
    limit: u64,
}

impl BodyFrames {
    pub fn new(request_id: &str) -> Self {
        Self::with_limit(request_id, MAX_PREVIEW_RESPONSE_BYTES)
    }

    pub fn with_limit(request_id: &str, limit: u64) -> Self {
        Self { request_id: request_id.to_string(), sent: 0, limit }
    }

    /// The frames carrying `bytes` (each at most [`PREVIEW_CHUNK_BYTES`] before base64); `Err`
    /// with the last frame when they would take the body past its limit.
    pub fn data(&mut self, bytes: &[u8]) -> Result<Vec<PreviewBody>, PreviewBody> {
        if self.sent + bytes.len() as u64 > self.limit {
            return Err(self.failed(format!("the app's answer is longer than {} bytes", self.limit)));
        }
        self.sent += bytes.len() as u64;
        Ok(bytes.chunks(PREVIEW_CHUNK_BYTES).map(|chunk| self.frame(BASE64.encode(chunk), false, None)).collect())
    }

    /// The last frame of a whole body.
    pub fn end(&self) -> PreviewBody {
        self.frame(String::new(), true, None)
    }

    /// The last frame of a body cut short.
    pub fn failed(&self, error: String) -> PreviewBody {
        self.frame(String::new(), true, Some(error))
    }

    fn frame(&self, data: String, end: bool, error: Option<String>) -> PreviewBody {
        PreviewBody { request_id: self.request_id.clone(), data, end, error }
    }
}

/// The sandbox's previews: the ports the repository listed at boot, and the client that
/// reaches the app.
pub struct Previews {
    listed: Vec<u16>,
    http: reqwest::Client,
}

impl Previews {
    pub fn new(listed: Vec<u16>) -> Self {
        let http = reqwest::Client::builder()
            // Loopback in the sandbox, never through the registry proxy of an isolated network.
            .no_proxy()
            // A redirect goes back to the browser as the app sent it.
            .redirect(reqwest::redirect::Policy::none())
            // Bytes and `Content-Encoding` pass through unchanged.
            .no_gzip()
            .no_brotli()
            .no_deflate()
            .no_zstd()
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .expect("a client");
        Self { listed, http }
    }

    /// The ports the repository lists.
    pub fn listed(&self) -> &[u16] {
        &self.listed
    }

    /// Answers `request` in a task of its own, on `connection`; `reserved` are the supervisor's
    /// own listening ports.
    pub fn spawn(&self, request: PreviewRequest, reserved: Vec<u16>, connection: LiveConnection) {
        let (http, listed) = (self.http.clone(), self.listed.clone());
        tokio::spawn(async move {
            let request_id = request.request_id.clone();
            if let Err(e) = answer(&http, request, &listed, &reserved, &connection).await {
                tracing::debug!("preview {request_id}: the answer was not sent ({e:?})");
            }
        });
    }
}

/// Why the app's answer is not there: the status and text the viewer gets instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub message: String,
}

fn refusal(status: u16, message: impl Into<String>) -> Refusal {
    Refusal { status, message: message.into() }
}

/// Answers one request on `connection`.
pub async fn answer(
    http: &reqwest::Client,
    request: PreviewRequest,
    listed: &[u16],
    reserved: &[u16],
    connection: &LiveConnection,
) -> Result<(), FrameRefused> {
    let id = request.request_id.clone();
    let response = match check_port(request.port, listed, reserved) {
        Err(why) => Err(refusal(403, why)),
        Ok(()) => forward(http, &request).await,
    };
    let response = match response {
        Ok(response) => response,
        Err(refused) => return send_refusal(connection, &id, refused).await,
    };
    let head =
        PreviewHead { request_id: id.clone(), status: response.status().as_u16(), headers: app_headers(&response) };
    match connection.send(BridgeMessage::PreviewHead(head)).await {
        Err(FrameRefused::TooLarge(_)) => {
            return send_refusal(connection, &id, refusal(502, "the app's response headers are too large")).await
        }
        sent => sent?,
    }
    stream_body(response, &id, connection).await
}

/// The app's headers, as it sent them minus hop-by-hop ones.
fn app_headers(response: &reqwest::Response) -> Vec<Header> {
    let headers: Vec<Header> = response
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_string(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        .collect();
    end_to_end(&headers)
}

/// Sends the request to the app; its answer's head, or why there is none.
async fn forward(http: &reqwest::Client, request: &PreviewRequest) -> Result<reqwest::Response, Refusal> {
    let port = request.port;
    let method = reqwest::Method::from_bytes(request.method.as_bytes())
        .map_err(|_| refusal(400, format!("{:?} is not an HTTP method", request.method)))?;
    if !request.target.starts_with('/') {
        return Err(refusal(400, format!("{:?} is not a path", request.target)));
    }
    let body = BASE64.decode(&request.body).map_err(|_| refusal(400, "the request body is not base64"))?;
    if body.len() > MAX_PREVIEW_REQUEST_BYTES {
        return Err(refusal(413, format!("the request body is longer than {MAX_PREVIEW_REQUEST_BYTES} bytes")));
    }
    let url = format!("http://127.0.0.1:{port}{}", request.target);
    let mut builder = http.request(method, &url);
    for (name, value) in request_headers(&request.headers) {
        let name = reqwest::header::HeaderName::from_bytes(name.as_bytes());
        let value = reqwest::header::HeaderValue::from_str(&value);
        if let (Ok(name), Ok(value)) = (name, value) {
            builder = builder.header(name, value);
        }
    }
    if !body.is_empty() {
        builder = builder.body(body);
    }
    let within = Duration::from_secs(PREVIEW_HEAD_TIMEOUT_SECS);
    match tokio::time::timeout(within, builder.send()).await {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(e)) => Err(unreachable_app(port, &e)),
        Err(_) => Err(refusal(504, format!("the app on port {port} did not answer within {} s", within.as_secs()))),
    }
}

/// What the viewer is told when the app could not be asked.
fn unreachable_app(port: u16, e: &reqwest::Error) -> Refusal {
    if e.is_builder() {
        return refusal(400, format!("the request cannot be sent: {}", chain(e)));
    }
    if refused_connection(e) {
        return refusal(
            502,
            format!("nothing is listening on port {port} in the sandbox (is .openinspect/start.sh running the app?)"),
        );
    }
    if e.is_connect() && e.is_timeout() {
        return refusal(502, format!("the app on port {port} did not accept the connection within 5 s"));
    }
    refusal(502, format!("the app on port {port} did not answer: {}", chain(e)))
}

/// Whether `e` is a refused connection (nothing listening).
fn refused_connection(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(error) = source {
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::ConnectionRefused {
                return true;
            }
        }
        source = error.source();
    }
    false
}

/// An error with its causes, `: `-separated.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// A short text answer from the supervisor itself: its head, then its one body frame.
async fn send_refusal(connection: &LiveConnection, request_id: &str, refused: Refusal) -> Result<(), FrameRefused> {
    let headers = vec![
        ("content-type".to_string(), "text/plain; charset=utf-8".to_string()),
        ("cache-control".to_string(), "no-store".to_string()),
    ];
    let head = PreviewHead { request_id: request_id.to_string(), status: refused.status, headers };
    connection.send(BridgeMessage::PreviewHead(head)).await?;
    let body = PreviewBody {
        request_id: request_id.to_string(),
        data: BASE64.encode(refused.message.as_bytes()),
        end: true,
        error: None,
    };
    connection.send(BridgeMessage::PreviewBody(body)).await
}

/// The app's body, chunk by chunk as it comes, then `end` (or `error` when it breaks off or
/// grows past [`MAX_PREVIEW_RESPONSE_BYTES`]).
async fn stream_body(
    mut response: reqwest::Response,
    request_id: &str,
    connection: &LiveConnection,
) -> Result<(), FrameRefused> {
    let mut frames = BodyFrames::new(request_id);
    let last = loop {
        match response.chunk().await {
            Ok(Some(bytes)) => match frames.data(&bytes) {
                Ok(chunks) => {
                    for chunk in chunks {
                        connection.send(BridgeMessage::PreviewBody(chunk)).await?;
                    }
                }
                Err(too_long) => break too_long,
            },
            Ok(None) => break frames.end(),
            Err(e) => break frames.failed(format!("the app's answer broke off: {}", chain(&e))),
        }
    };
    connection.send(BridgeMessage::PreviewBody(last)).await
}

#[cfg(test)]
#[path = "preview_tests.rs"]
mod tests;
