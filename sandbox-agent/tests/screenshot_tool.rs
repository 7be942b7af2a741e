//! The agent's `screenshot` tool, end to end through the pinned OpenCode: the scripted model
//! calls `openinspect_screenshot`; OpenCode runs this package's binary as its tool server; the
//! tool takes the screenshot in the real headless Chromium (of a page a test server on
//! 127.0.0.1 serves) and uploads the PNG to the supervisor's egress, which adds the sandbox
//! token and forwards it to a fake control plane's `POST /sandbox/media`. The model is told the
//! media id, or, when the control plane refuses, its message. Every server listens on
//! 127.0.0.1 and stops when the test ends.

mod common;

use common::prompt_with_tools;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::response::{Html, Response};
use axum::routing::get;
use axum::Router;
use oi_sandbox_agent::browser::png;
use oi_sandbox_agent::egress::{Egress, ProxyTarget};
use oi_scripted_model::{ScriptedModel, Turn};
use serde_json::{json, Value};
use tokio::sync::mpsc;

const SESSION: &str = "ses_shot";
/// The page: a heading of a known size.
const PAGE: &str = r#"<h1 id="title" style="width:240px;height:60px;margin:20px">Settings</h1>"#;
const TOKEN: &str = "sandbox-token-only-the-supervisor-holds";

/// One upload as the control plane saw it.
#[derive(Debug)]
struct Upload {
    authorization: Option<String>,
    content_type: Option<String>,
    query: BTreeMap<String, String>,
    body: Bytes,
}

#[derive(Clone)]
struct ControlPlane {
    model_url: String,
    uploads: mpsc::UnboundedSender<Upload>,
    /// Uploads so far.
    count: Arc<AtomicUsize>,
}

/// The session's routes the egress forwards to: the model proxy (on to the scripted model) and
/// `POST /sandbox/media` (recorded; the first is stored, later ones refused as over the quota).
async fn control_plane(State(cp): State<ControlPlane>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    if parts.uri.path() == format!("/api/sessions/{SESSION}/sandbox/media") {
        let header = |name: &str| parts.headers.get(name).map(|v| v.to_str().unwrap().to_string());
        let query =
            url::form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes()).into_owned().collect();
        let upload =
            Upload { authorization: header("authorization"), content_type: header("content-type"), query, body };
        let (width, height) = png::dimensions(&upload.body).unwrap_or_default();
        let size = upload.body.len();
        cp.uploads.send(upload).unwrap();
        if cp.count.fetch_add(1, Ordering::SeqCst) == 0 {
            let media = json!({
                "media_id": "med_01shot", "kind": "screenshot", "name": "home.png", "content_type": "image/png",
                "size": size, "width": width, "height": height,
                "url": format!("/api/sessions/{SESSION}/media/med_01shot"), "evidence": true,
            });
            return json_response(201, media);
        }
        let refused =
            json!({"error": {"code": "quota_exceeded", "message": "this session has 100 screenshots already"}});
        return json_response(429, refused);
    }
    let rest =
        parts.uri.path().strip_prefix(&format!("/api/sessions/{SESSION}/model/scripted/")).expect("a model request");
    common::to_model(&cp.model_url, rest, body).await
}

fn json_response(status: u16, body: Value) -> Response {
    Response::builder().status(status).header("content-type", "application/json").body(body.to_string().into()).unwrap()
}

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
    let task = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Server { url, task }
}

#[tokio::test]
async fn the_model_takes_a_screenshot_and_it_is_uploaded_through_the_egress() {
    let app = serve(Router::new().route("/", get(|| async { Html(PAGE) }))).await;
    let model = ScriptedModel::start("127.0.0.1:0").await.unwrap();
    let page = format!("{}/", app.url);
    model.push_all([
        Turn::tool_call(
            "openinspect_screenshot",
            json!({"url": page, "width": 800, "height": 600, "name": "home", "caption": "The home page.", "evidence": true}),
        ),
        Turn::tool_call("openinspect_screenshot", json!({"url": page, "selector": "#title"})),
        Turn::text("Both screenshots are taken."),
    ]);

    let (uploads, mut seen) = mpsc::unbounded_channel();
    let cp_app = Router::new().fallback(control_plane).with_state(ControlPlane {
        model_url: model.url(),
        uploads,
        count: Arc::default(),
    });
    let cp = serve(cp_app).await;
    let target =
        ProxyTarget { control_plane_url: cp.url.clone(), session_id: SESSION.into(), sandbox_token: TOKEN.into() };
    let egress = Egress::start(target).await.unwrap();

    let run = prompt_with_tools(
        egress.base_url(),
        "screenshot tool",
        "Take screenshots of the home page.",
        Duration::from_secs(120),
    )
    .await;
    let log = run.log;
    assert_eq!(run.status, Some(200), "OpenCode's log:\n{log}");

    // The first upload: the viewport's PNG, with the sandbox token and the tool's query.
    let first = seen.try_recv().unwrap_or_else(|_| panic!("no upload; OpenCode's log:\n{log}"));
    assert_eq!(first.authorization.as_deref(), Some(format!("Bearer {TOKEN}").as_str()));
    assert_eq!(first.content_type.as_deref(), Some("image/png"));
    assert_eq!(png::dimensions(&first.body), Some((800, 600)));
    let first_len = first.body.len();
    let query = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    assert_eq!(
        first.query,
        query(&[
            ("kind", "screenshot"),
            ("name", "home.png"),
            ("caption", "The home page."),
            ("source_url", &page),
            ("evidence", "true"),
        ])
    );
    // The second: just the element, refused by the control plane.
    let second = seen.try_recv().expect("a second upload");
    assert_eq!(png::dimensions(&second.body), Some((240, 60)), "the heading only");
    assert_eq!(second.query["name"], format!("screenshot-127-0-0-1-{}.png", app.url.rsplit(':').next().unwrap()));
    assert!(!second.query.contains_key("evidence"));
    assert!(seen.try_recv().is_err(), "exactly two uploads");

    // The model was told the media id, then the control plane's refusal.
    let requests = model.requests();
    assert!(model.remaining().is_empty(), "every turn was used");
    let messages = requests.last().unwrap().body["messages"].as_array().unwrap();
    let results: Vec<String> =
        messages.iter().filter(|m| m["role"] == "tool").map(|m| m["content"].to_string()).collect();
    assert_eq!(results.len(), 2, "{messages:#?}");
    assert!(results[0].contains("Saved screenshot med_01shot (\\\"home.png\\\", 800×600 px"), "{}", results[0]);
    assert!(results[0].contains("it is shown in the session"), "{}", results[0]);
    assert!(
        results[1].contains("Could not save the screenshot: this session has 100 screenshots already (quota_exceeded)"),
        "{}",
        results[1]
    );
    assert!(!results.concat().contains(TOKEN));
    // It also saw the screenshot it saved (not the refused one), to check its own work.
    let images = &requests.last().unwrap().images;
    assert_eq!(images.len(), 1, "{images:?}");
    assert_eq!((images[0].mime.as_deref(), images[0].bytes), (Some("image/png"), Some(first_len)));
}
