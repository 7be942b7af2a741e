//! The axum routes: OpenAI's `POST /v1/chat/completions` and `GET /v1/models`, and the control API.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::body::sse_response;
use crate::completion::build_completion;
use crate::default_reply::{default_turn, title_turn};
use crate::errors::ApiError;
use crate::plan::{estimate_tokens, plan_turn, Planned};
use crate::request::{parse_chat_request, ChatRequest};
use crate::script::{Script, Turn};
use crate::state::{unix_now, ReplySource, Shared};
use crate::stream::{build_stream, ChunkMeta, Usage};

/// `system_fingerprint` of every answer.
pub const SYSTEM_FINGERPRINT: &str = "fp_scripted";
/// Request bodies up to this size are accepted (OpenCode sends whole conversations).
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

type AppState = State<Arc<Shared>>;

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/models", get(models))
        .route("/health", get(health))
        .route("/_script", get(get_script).post(post_script).delete(delete_script))
        .route("/_requests", get(get_requests).delete(delete_requests))
        .route("/_stats", get(get_stats))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(shared)
}

/// Picks the turn: without tools, the next queued tool-less answer or the title text; else the
/// next script turn, else the default.
fn choose_turn(shared: &Shared, req: &ChatRequest) -> (Option<usize>, ReplySource, Turn) {
    if !req.has_tools() {
        return match shared.pop_untooled() {
            Some(turn) => (None, ReplySource::Script, turn),
            None => (None, ReplySource::Title, title_turn()),
        };
    }
    match shared.pop() {
        Some((index, turn)) => (Some(index), ReplySource::Script, turn),
        None => (None, ReplySource::Default, default_turn(req)),
    }
}

fn warn_unoffered_tools(seq: u64, req: &ChatRequest, turn: &Turn) {
    if let Turn::ToolCalls { calls, .. } = turn {
        for call in calls.iter().filter(|c| req.tool_parameters(&c.name).is_none()) {
            tracing::warn!(seq, tool = %call.name, "scripted tool call names a tool the request does not offer");
        }
    }
}

/// OpenAI's 401 when a key is required and the request lacks it.
fn check_key(shared: &Shared, headers: &HeaderMap) -> Result<(), Box<Response>> {
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok());
    if shared.authorized(authorization) {
        return Ok(());
    }
    tracing::warn!("refused a request without the configured API key");
    Err(Box::new(ApiError::for_status(401).into_response()))
}

async fn chat(State(shared): AppState, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(refused) = check_key(&shared, &headers) {
        return *refused;
    }
    let (req, raw) = match parse_chat_request(&body) {
        Ok(parsed) => parsed,
        Err(e) => {
            tracing::warn!(error = %e.message, "rejected a malformed chat request");
            return e.into_response();
        }
    };
    let (consumed, source, turn) = choose_turn(&shared, &req);
    let seq = shared.record(consumed, source, req.images.clone(), raw);
    tracing::info!(
        seq,
        model = %req.model,
        stream = req.stream,
        tools = req.tools.len(),
        images = req.images.len(),
        source = ?source,
        turn_index = ?consumed,
        turn = %turn.summary(),
        "chat request"
    );
    warn_unoffered_tools(seq, &req, &turn);
    let reply = match plan_turn(&turn, || shared.new_id("call_", 24)) {
        Planned::Reply(reply) => reply,
        Planned::Error(e) => return e.into_response(),
    };
    let meta = ChunkMeta {
        id: shared.new_id("chatcmpl-", 29),
        created: unix_now(),
        model: req.model.clone(),
        system_fingerprint: SYSTEM_FINGERPRINT.into(),
    };
    let usage =
        Usage { prompt_tokens: estimate_tokens(req.prompt_chars()), completion_tokens: reply.completion_tokens() };
    if req.stream {
        sse_response(shared, seq, build_stream(&meta, &reply, req.include_usage.then_some(usage)))
    } else {
        Json(build_completion(&meta, &reply, usage)).into_response()
    }
}

async fn models(State(shared): AppState, headers: HeaderMap) -> Response {
    if let Err(refused) = check_key(&shared, &headers) {
        return *refused;
    }
    let created = unix_now();
    let data: Vec<Value> = shared
        .models()
        .iter()
        .map(|id| json!({"id": id, "object": "model", "created": created, "owned_by": "open-inspect"}))
        .collect();
    Json(json!({"object": "list", "data": data})).into_response()
}

async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn get_script(State(shared): AppState) -> Json<Script> {
    Json(Script { turns: shared.remaining() })
}

async fn post_script(State(shared): AppState, body: Bytes) -> Response {
    let text = String::from_utf8_lossy(&body);
    match Script::from_json(&text) {
        Ok(script) => {
            let appended = script.turns.len();
            shared.push_all(script.turns);
            let remaining = shared.remaining().len();
            tracing::info!(appended, remaining, "script turns appended");
            Json(json!({"appended": appended, "remaining": remaining})).into_response()
        }
        Err(e) => ApiError::invalid_request(format!("Invalid script: {e}"), Some("turns"), None).into_response(),
    }
}

async fn delete_script(State(shared): AppState) -> Json<Value> {
    let cleared = shared.clear_script();
    tracing::info!(cleared, "script cleared");
    Json(json!({"cleared": cleared}))
}

async fn get_requests(State(shared): AppState) -> Response {
    Json(shared.requests()).into_response()
}

async fn delete_requests(State(shared): AppState) -> Json<Value> {
    let cleared = shared.clear_requests();
    Json(json!({"cleared": cleared}))
}

async fn get_stats(State(shared): AppState) -> Response {
    Json(shared.stats()).into_response()
}

async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::unknown_url(method.as_str(), uri.path())
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::method_not_allowed(method.as_str(), uri.path())
}
