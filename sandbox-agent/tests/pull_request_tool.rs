//! The agent's pull-request tool, end to end through the pinned OpenCode: the scripted model
//! calls `openinspect_create_pull_request`; OpenCode runs this package's binary as its tool
//! server (`sandbox-agent mcp-tools`); the tool posts to the supervisor's egress, which adds
//! the sandbox token and forwards to a fake control plane; the pull request's number, URL and
//! state go back to the model as the tool's result. Every server listens on 127.0.0.1 and
//! stops when the test ends.

mod common;

use common::prompt_with_tools;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::response::Response;
use axum::Router;
use oi_protocol::source_control::CreatePullRequest;
use oi_sandbox_agent::egress::{Egress, ProxyTarget};
use oi_scripted_model::{ScriptedModel, Turn};
use serde_json::{json, Value};
use tokio::sync::mpsc;

const SESSION: &str = "ses_tool";
const TOKEN: &str = "sandbox-token-only-the-supervisor-holds";

#[derive(Clone)]
struct ControlPlane {
    /// The scripted model's `…/v1`.
    model_url: String,
    pull_requests: mpsc::UnboundedSender<(Option<String>, Value)>,
}

/// The session's routes the egress forwards to: the model proxy (on to the scripted model) and
/// `POST /sandbox/pull-request` (recorded, answered with a pull request).
async fn control_plane(State(cp): State<ControlPlane>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let path = parts.uri.path();
    if path == format!("/api/sessions/{SESSION}/sandbox/pull-request") {
        let auth = parts.headers.get("authorization").map(|v| v.to_str().unwrap().to_string());
        cp.pull_requests.send((auth, serde_json::from_slice(&body).unwrap())).unwrap();
        let pr = json!({
            "repo": "acme/app", "number": 7, "url": "https://github.test/acme/app/pull/7",
            "title": "Add a greeting", "head": format!("oi/{SESSION}"), "base": "main", "state": "open",
            "draft": true, "opened_as": "user", "requested_by": "ada", "checks": "none", "updated_at": 1,
        });
        return Response::builder()
            .status(201)
            .header("content-type", "application/json")
            .body(pr.to_string().into())
            .unwrap();
    }
    let rest = path.strip_prefix(&format!("/api/sessions/{SESSION}/model/scripted/")).expect("a model request");
    common::to_model(&cp.model_url, rest, body).await
}

#[tokio::test]
async fn the_model_opens_a_pull_request_through_the_egress() {
    let model = ScriptedModel::start("127.0.0.1:0").await.unwrap();
    let arguments =
        json!({"title": "Add a greeting", "summary": "Adds `hello.txt`.\n\nAsked for in the session.", "draft": true});
    model.push_all([
        Turn::tool_call("openinspect_create_pull_request", arguments.clone()),
        Turn::text("The pull request is open."),
    ]);

    let (pull_requests, mut seen) = mpsc::unbounded_channel();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let cp_url = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new().fallback(control_plane).with_state(ControlPlane { model_url: model.url(), pull_requests });
    let cp = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let target = ProxyTarget { control_plane_url: cp_url, session_id: SESSION.into(), sandbox_token: TOKEN.into() };
    let egress = Egress::start(target).await.unwrap();

    let run =
        prompt_with_tools(egress.base_url(), "pull request tool", "Open a pull request.", Duration::from_secs(90))
            .await;
    cp.abort();
    let log = run.log;
    assert_eq!(run.status, Some(200), "OpenCode's log:\n{log}");

    // The tool's request reached the control plane with the sandbox token and the arguments.
    let (auth, body) = seen.try_recv().unwrap_or_else(|_| panic!("no pull-request request; OpenCode's log:\n{log}"));
    assert_eq!(auth.as_deref(), Some(format!("Bearer {TOKEN}").as_str()));
    let asked: CreatePullRequest = serde_json::from_value(body).unwrap();
    assert_eq!(
        asked,
        CreatePullRequest {
            title: Some("Add a greeting".into()),
            summary: Some("Adds `hello.txt`.\n\nAsked for in the session.".into()),
            draft: true,
        }
    );
    assert!(seen.try_recv().is_err(), "exactly one call");

    // The model was offered the tool, and got the pull request back as its result.
    let requests = model.requests();
    let offered = requests[0].body["tools"].as_array().unwrap();
    assert!(offered.iter().any(|t| t["function"]["name"] == "openinspect_create_pull_request"), "{offered:?}");
    assert!(model.remaining().is_empty(), "both turns were used");
    let messages = requests.last().unwrap().body["messages"].as_array().unwrap();
    let result = messages.iter().find(|m| m["role"] == "tool").expect("a tool result").to_string();
    for expected in ["Opened pull request #7", "https://github.test/acme/app/pull/7", "open (draft)"] {
        assert!(result.contains(expected), "{expected:?} not in {result}");
    }
    assert!(!result.contains(TOKEN));
}
