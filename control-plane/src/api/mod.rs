//! The public routes under `/api`. Everything else is served from the static assets.

mod images;
mod me;
mod models;
mod sessions;

use oi_protocol::rest::Health;
use worker::{Context, Env, Method, Request, Response, Result};

use crate::http::{failure_response, json_response, method_not_allowed, not_found, Outcome};

pub async fn handle(req: Request, env: Env, ctx: Context) -> Result<Response> {
    match route(req, env, ctx).await {
        Ok(response) => Ok(response),
        Err(failure) => failure_response(failure),
    }
}

async fn route(req: Request, env: Env, ctx: Context) -> Outcome<Response> {
    let path = req.path();
    let method = req.method();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["api", "health"] => match method {
            Method::Get => json_response(200, &Health { ok: true, version: env!("CARGO_PKG_VERSION").to_string() }),
            _ => Err(method_not_allowed(method.as_ref(), &path)),
        },
        ["api", "me"] => match method {
            Method::Get => me::get(&req, &env),
            Method::Put => me::put(req, &env).await,
            _ => Err(method_not_allowed(method.as_ref(), &path)),
        },
        ["api", "images"] => match method {
            Method::Get => images::list(&req, &env).await,
            Method::Post => images::build(req, &env).await,
            _ => Err(method_not_allowed(method.as_ref(), &path)),
        },
        ["api", "pools"] => match method {
            Method::Get => images::pool_list(&req, &env).await,
            _ => Err(method_not_allowed(method.as_ref(), &path)),
        },
        ["api", "pools", "refill"] => match method {
            Method::Post => images::pool_refill(&req, &env).await,
            _ => Err(method_not_allowed(method.as_ref(), &path)),
        },
        ["api", "models"] => match method {
            Method::Get => models::list(&env),
            _ => Err(method_not_allowed(method.as_ref(), &path)),
        },
        ["api", "sessions"] => match method {
            Method::Post => sessions::create(req, &env, &ctx).await,
            Method::Get => sessions::list(req, &env).await,
            _ => Err(method_not_allowed(method.as_ref(), &path)),
        },
        ["api", "sessions", id, rest @ ..] => {
            let (id, rest) = (id.to_string(), rest.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            sessions::forward(req, &env, &id, &rest).await
        }
        _ => Err(not_found(&format!("{} {path}", method.as_ref()))),
    }
}
