//! Previews: the header filters, the body's frames, the repository's listed ports, and whole
//! answers from a small app on 127.0.0.1 (redirects and encodings pass through untouched).

use oi_protocol::limits::MAX_FRAME_BYTES;
use tokio::sync::mpsc;

use super::*;

fn h(pairs: &[(&str, &str)]) -> Vec<Header> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Headers given, and the headers expected.
type HeaderCase<'a> = (&'a [(&'a str, &'a str)], &'a [(&'a str, &'a str)]);

#[test]
fn hop_by_hop_headers_stay_behind() {
    let cases: &[HeaderCase] = &[
        (
            &[("Content-Type", "text/html"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")],
            &[("Content-Type", "text/html"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")],
        ),
        (&[("Transfer-Encoding", "chunked"), ("Keep-Alive", "timeout=5"), ("ETag", "\"x\"")], &[("ETag", "\"x\"")]),
        (&[("Connection", "close, X-Hop"), ("x-hop", "1"), ("X-Kept", "2")], &[("X-Kept", "2")]),
        (&[("Upgrade", "websocket"), ("TE", "trailers"), ("Trailer", "x"), ("Proxy-Authenticate", "Basic")], &[]),
        (
            &[("Content-Encoding", "gzip"), ("Content-Length", "12"), ("Location", "/next")],
            &[("Content-Encoding", "gzip"), ("Content-Length", "12"), ("Location", "/next")],
        ),
    ];
    for (given, expected) in cases {
        assert_eq!(end_to_end(&h(given)), h(expected), "{given:?}");
    }
}

#[test]
fn the_app_gets_end_to_end_headers_and_its_own_body_length() {
    let given = h(&[
        ("host", "127.0.0.1:3000"),
        ("Accept", "text/html"),
        ("Content-Length", "5"),
        ("Connection", "keep-alive"),
    ]);
    assert_eq!(request_headers(&given), h(&[("host", "127.0.0.1:3000"), ("Accept", "text/html")]));
}

/// The bytes the frames carry, and whether the last one ends the body.
fn decoded(frames: &[PreviewBody]) -> Vec<u8> {
    frames.iter().flat_map(|f| BASE64.decode(&f.data).unwrap()).collect()
}

#[test]
fn a_body_goes_in_chunks_that_fit_a_frame() {
    let body: Vec<u8> = (0..150 * 1024).map(|i| (i % 251) as u8).collect();
    let mut frames = BodyFrames::new("r1");
    let chunks = frames.data(&body).unwrap();
    let raw: Vec<usize> = chunks.iter().map(|f| BASE64.decode(&f.data).unwrap().len()).collect();
    assert_eq!(raw, vec![PREVIEW_CHUNK_BYTES, PREVIEW_CHUNK_BYTES, 150 * 1024 - 2 * PREVIEW_CHUNK_BYTES]);
    assert!(chunks.iter().all(|f| f.request_id == "r1" && !f.end && f.error.is_none()));
    assert_eq!(decoded(&chunks), body);
    assert!(frames.data(&[]).unwrap().is_empty(), "nothing to carry, no frame");
    assert_eq!(frames.end(), PreviewBody { request_id: "r1".into(), data: String::new(), end: true, error: None });

    let full = BridgeMessage::PreviewBody(chunks[0].clone());
    assert!(serde_json::to_string(&full).unwrap().len() < MAX_FRAME_BYTES, "a full chunk fits one frame");
}

#[test]
fn a_body_past_its_limit_ends_with_an_error() {
    let mut frames = BodyFrames::with_limit("r2", 10);
    assert_eq!(decoded(&frames.data(b"0123456789").unwrap()), b"0123456789");
    let last = frames.data(b"x").unwrap_err();
    assert!(last.end && last.data.is_empty(), "{last:?}");
    assert_eq!(last.error.as_deref(), Some("the app's answer is longer than 10 bytes"));
}

#[test]
fn the_listed_ports_come_from_the_repositorys_config() {
    let workspace = tempfile::tempdir().unwrap();
    assert_eq!(listed_ports(workspace.path()), Ok(vec![]), "no config, no previews");
    let config = workspace.path().join(CONFIG_PATH);
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(&config, r#"{"preview_ports": [3000, 5173]}"#).unwrap();
    assert_eq!(listed_ports(workspace.path()), Ok(vec![3000, 5173]));
    std::fs::write(&config, r#"{"preview_ports": [80]}"#).unwrap();
    let why = listed_ports(workspace.path()).unwrap_err();
    assert!(why.starts_with("previews are off: preview_ports: 80 is not a port"), "{why}");
    std::fs::remove_file(&config).unwrap();
    std::fs::create_dir(&config).unwrap();
    let why = listed_ports(workspace.path()).unwrap_err();
    assert!(why.contains("could not be read"), "{why}");
}

#[test]
fn ports_of_the_supervisors_urls() {
    assert_eq!(port_of("http://127.0.0.1:41234"), Some(41234));
    assert_eq!(port_of("http://127.0.0.1:4096/v1"), Some(4096));
    assert_eq!(port_of("not a url"), None);
}

/// What a request's answer looked like on the bridge.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<Header>,
    body: Vec<u8>,
    error: Option<String>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

async fn ask(port: u16, listed: &[u16], method: &str, target: &str, headers: &[(&str, &str)]) -> Answer {
    let (queue, mut socket) = mpsc::channel(64);
    let request = PreviewRequest {
        request_id: "r1".into(),
        port,
        method: method.into(),
        target: target.into(),
        headers: h(headers),
        body: String::new(),
    };
    let previews = Previews::new(listed.to_vec());
    answer(&previews.http, request, previews.listed(), &[], &LiveConnection::new(queue)).await.unwrap();
    let Some(BridgeMessage::PreviewHead(head)) = socket.recv().await else { panic!("no head") };
    let mut body = vec![];
    while let Some(BridgeMessage::PreviewBody(frame)) = socket.recv().await {
        assert_eq!(frame.request_id, "r1");
        body.push(frame.clone());
        if frame.end {
            break;
        }
    }
    let error = body.last().and_then(|f| f.error.clone());
    Answer { status: head.status, headers: head.headers, body: decoded(&body), error }
}

/// A small app on 127.0.0.1, stopped when dropped.
struct App {
    port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for App {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn app() -> App {
    use axum::routing::{get, post};
    let router = axum::Router::new()
        .route("/old", get(|| async { (axum::http::StatusCode::FOUND, [("location", "/new")], "moved") }))
        .route(
            "/zipped",
            get(|| async { ([("content-encoding", "gzip"), ("content-type", "text/plain")], vec![0x1f, 0x8b, 8, 0]) }),
        )
        .route("/echo", post(|body: axum::body::Bytes| async move { body }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    App { port, task }
}

#[tokio::test]
async fn redirects_and_encodings_go_back_as_the_app_sent_them() {
    let app = app().await;
    let moved = ask(app.port, &[app.port], "GET", "/old", &[]).await;
    assert_eq!((moved.status, moved.header("location"), moved.body.as_slice()), (302, Some("/new"), &b"moved"[..]));

    let zipped = ask(app.port, &[app.port], "GET", "/zipped", &[("accept-encoding", "gzip")]).await;
    assert_eq!(zipped.status, 200);
    assert_eq!(zipped.header("content-encoding"), Some("gzip"));
    assert_eq!(zipped.body, vec![0x1f, 0x8b, 8, 0], "not decompressed");
    assert_eq!(zipped.error, None);
}

#[tokio::test]
async fn a_request_body_reaches_the_app() {
    let app = app().await;
    let (queue, mut socket) = mpsc::channel(8);
    let request = PreviewRequest {
        request_id: "r2".into(),
        port: app.port,
        method: "POST".into(),
        target: "/echo".into(),
        headers: h(&[("content-type", "text/plain"), ("content-length", "999")]),
        body: BASE64.encode(b"hello app"),
    };
    let previews = Previews::new(vec![app.port]);
    answer(&previews.http, request, previews.listed(), &[], &LiveConnection::new(queue)).await.unwrap();
    let Some(BridgeMessage::PreviewHead(head)) = socket.recv().await else { panic!("no head") };
    assert_eq!(head.status, 200);
    let Some(BridgeMessage::PreviewBody(first)) = socket.recv().await else { panic!("no body") };
    assert_eq!(BASE64.decode(&first.data).unwrap(), b"hello app");
}

#[tokio::test]
async fn refused_ports_and_silent_ones_are_answered_by_the_supervisor() {
    let app = app().await;
    let unlisted = ask(app.port, &[], "GET", "/", &[]).await;
    assert_eq!(unlisted.status, 403);
    let why = String::from_utf8(unlisted.body).unwrap();
    assert!(why.contains("is not listed for previews"), "{why}");

    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let nothing = ask(free, &[free], "GET", "/", &[]).await;
    assert_eq!(nothing.status, 502);
    assert_eq!(nothing.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(
        String::from_utf8(nothing.body).unwrap(),
        format!("nothing is listening on port {free} in the sandbox (is .openinspect/start.sh running the app?)")
    );

    let bad = ask(app.port, &[app.port], "GET", "no-slash", &[]).await;
    assert_eq!(bad.status, 400);
}
