//! `/api/images` (repo images: list with build status and log, build now) and `/api/pools`
//! (warm pools: how full, refill now).

use oi_protocol::rest::{BuildImageRequest, ImageList, PoolList};
use oi_protocol::{ApiError, ErrorCode};
use oi_session_core::auth::access::{authorize, Action, Actor, Target};
use oi_session_core::validation::{validate_branch_name, DEFAULT_BRANCH};
use worker::{Env, Request, Response};

use crate::auth::{current_caller, current_user};
use crate::http::{json_response, query_param, read_json, Outcome};
use crate::{images, pools};

pub async fn list(req: &Request, env: &Env) -> Outcome<Response> {
    current_user(req, env).await?;
    let url = req.url()?;
    // A build's progress shows here without waiting for the cron.
    images::refresh_building(env).await?;
    let images =
        images::list(env, query_param(&url, "repo").as_deref(), query_param(&url, "branch").as_deref(), None).await?;
    json_response(200, &ImageList { images })
}

/// Building images and refilling pools spend the deployment's compute: admins only.
async fn require_manage_images(req: &Request, env: &Env) -> Outcome<()> {
    let caller = current_caller(req, env).await?;
    let actor = Actor { user_id: &caller.user.id, role: caller.role };
    authorize(&actor, Action::ManageImages, &Target::Deployment).map_err(|d| ApiError::from(d).into())
}

pub async fn build(mut req: Request, env: &Env) -> Outcome<Response> {
    require_manage_images(&req, env).await?;
    let body: BuildImageRequest = read_json(&mut req).await?;
    let repo = body.repo.trim();
    if repo.is_empty() {
        return Err(ApiError::new(ErrorCode::InvalidRequest, "`repo` must not be empty").into());
    }
    let branch = body.branch.as_deref().map(str::trim).filter(|b| !b.is_empty()).unwrap_or(DEFAULT_BRANCH);
    validate_branch_name(branch)?;
    match images::build(env, repo, branch, "manual").await {
        Ok(info) => json_response(202, &info),
        Err(why) => Err(ApiError::new(ErrorCode::Conflict, format!("the image build could not start: {why}")).into()),
    }
}

pub async fn pool_list(req: &Request, env: &Env) -> Outcome<Response> {
    current_user(req, env).await?;
    json_response(200, &PoolList { pools: pools::states(env).await? })
}

pub async fn pool_refill(req: &Request, env: &Env) -> Outcome<Response> {
    require_manage_images(req, env).await?;
    pools::refill(env).await?;
    json_response(200, &PoolList { pools: pools::states(env).await? })
}
