//! The HTTP routes (docs/sandbox-provider.md, "Routes").

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::{any, get, post};
use axum::{Json, Router};
use oi_protocol::decode::decode_body;
use oi_protocol::provider::{
    BuildImage, ClaimSandbox, CreateSandbox, ImageInfo, ProviderCapabilities, ProviderHealth, RestoreSandbox,
    SandboxInfo, SnapshotInfo,
};
use oi_protocol::ErrorCode;
use serde::de::DeserializeOwned;

use crate::app::{App, SandboxEntry};
use crate::auth::require_signature;
use crate::error::{HttpError, HttpResult};
use crate::images::ImageEntry;
use crate::{claim, git_http, image_build, lifecycle};

/// The provider's router.
pub fn router(app: Arc<App>) -> Router {
    let signed = Router::new()
        .route("/v1/sandboxes", post(create))
        .route("/v1/sandboxes/restore", post(restore))
        .route("/v1/sandboxes/{id}", get(show).delete(terminate))
        .route("/v1/sandboxes/{id}/snapshot", post(snapshot))
        .route("/v1/sandboxes/{id}/claim", post(claim_sandbox))
        .route("/v1/images", post(build_image))
        .route("/v1/images/{id}", get(show_image).delete(delete_image))
        .route_layer(middleware::from_fn_with_state(app.clone(), require_signature));
    Router::new()
        .route("/v1/health", get(health))
        .merge(signed)
        .route("/git/{id}/{*rest}", any(git_http::handle))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(app)
}

/// What `GET /v1/health` answers.
pub fn health_body(network_isolation: bool) -> ProviderHealth {
    ProviderHealth {
        ok: true,
        provider: "local".to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        capabilities: ProviderCapabilities {
            snapshot: true,
            restore: true,
            persistent_resume: false,
            images: true,
            warm_pool: true,
            network_isolation,
        },
    }
}

async fn health(State(app): State<Arc<App>>) -> Json<ProviderHealth> {
    let c = &app.config;
    Json(health_body(c.isolation == crate::isolation::Isolation::Bwrap && c.network_isolated))
}

fn decode<T: DeserializeOwned>(body: &Bytes) -> HttpResult<T> {
    let text = std::str::from_utf8(body).map_err(|_| HttpError::new(ErrorCode::BadJson, "the body is not UTF-8"))?;
    Ok(decode_body(text)?)
}

fn lookup(app: &App, id: &str) -> HttpResult<Arc<SandboxEntry>> {
    app.sandbox(id).ok_or_else(|| HttpError::new(ErrorCode::NotFound, format!("sandbox {id} does not exist")))
}

async fn create(State(app): State<Arc<App>>, body: Bytes) -> HttpResult<(StatusCode, Json<SandboxInfo>)> {
    let req: CreateSandbox = decode(&body)?;
    let info = lifecycle::create(&app, req, None).await?;
    Ok((StatusCode::CREATED, Json(info)))
}

async fn restore(State(app): State<Arc<App>>, body: Bytes) -> HttpResult<(StatusCode, Json<SandboxInfo>)> {
    let req: RestoreSandbox = decode(&body)?;
    let info = lifecycle::restore(&app, req).await?;
    Ok((StatusCode::CREATED, Json(info)))
}

async fn show(State(app): State<Arc<App>>, Path(id): Path<String>) -> HttpResult<Json<SandboxInfo>> {
    Ok(Json(lookup(&app, &id)?.info()))
}

async fn terminate(State(app): State<Arc<App>>, Path(id): Path<String>) -> HttpResult<Json<SandboxInfo>> {
    let entry = lookup(&app, &id)?;
    Ok(Json(lifecycle::terminate(&app, &entry).await))
}

async fn snapshot(State(app): State<Arc<App>>, Path(id): Path<String>) -> HttpResult<(StatusCode, Json<SnapshotInfo>)> {
    let entry = lookup(&app, &id)?;
    let info = lifecycle::take_snapshot(&app, &entry).await?;
    Ok((StatusCode::CREATED, Json(info)))
}

async fn claim_sandbox(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    body: Bytes,
) -> HttpResult<Json<SandboxInfo>> {
    let req: ClaimSandbox = decode(&body)?;
    let entry = lookup(&app, &id)?;
    Ok(Json(claim::claim(&entry, req).await?))
}

fn lookup_image(app: &App, id: &str) -> HttpResult<Arc<ImageEntry>> {
    app.image(id).ok_or_else(|| HttpError::new(ErrorCode::NotFound, format!("image {id} does not exist")))
}

async fn build_image(State(app): State<Arc<App>>, body: Bytes) -> HttpResult<(StatusCode, Json<ImageInfo>)> {
    let req: BuildImage = decode(&body)?;
    let info = image_build::start(&app, req).await?;
    Ok((StatusCode::ACCEPTED, Json(info)))
}

async fn show_image(State(app): State<Arc<App>>, Path(id): Path<String>) -> HttpResult<Json<ImageInfo>> {
    Ok(Json(lookup_image(&app, &id)?.info()))
}

async fn delete_image(State(app): State<Arc<App>>, Path(id): Path<String>) -> HttpResult<Json<ImageInfo>> {
    let entry = lookup_image(&app, &id)?;
    Ok(Json(image_build::delete(&app, &entry).await?))
}

async fn not_found() -> HttpError {
    HttpError::new(ErrorCode::NotFound, "no such route")
}

async fn method_not_allowed() -> HttpError {
    HttpError::new(ErrorCode::MethodNotAllowed, "this route does not take that method")
}
