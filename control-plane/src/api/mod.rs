//! The public routes under `/api`. Everything else is served from the static assets.

mod images;
mod me;
mod models;
pub(crate) mod sessions;

use oi_protocol::rest::Health;
use worker::{Context, Env, Method, Request, Response, Result};

use crate::auth::{github_oauth, guard, rotated_cookie};
use crate::http::{failure_response, json_response, method_not_allowed, not_found, Outcome};
use crate::rate_limiter;
use oi_session_core::rate_limit;

pub async fn handle(req: Request, env: Env, ctx: Context) -> Result<Response> {
    if let Err(refused) = guard::check(&req, &env) {
        return failure_response(refused.into());
    }
    let rotated = rotated_cookie(&req, &env).await;
    let mut response = match route(req, env, ctx).await {
        Ok(response) => response,
        Err(failure) => failure_response(failure)?,
    };
    // WebSocket upgrades (101) are left alone; the next request rotates instead.
    if let (Some(cookie), 200..=299) = (rotated, response.status_code()) {
        response.headers_mut().append("set-cookie", &cookie)?;
    }
    Ok(response)
}

async fn route(req: Request, env: Env, ctx: Context) -> Outcome<Response> {
    let path = req.path();
    let method = req.method();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["auth", "github", "login"] => match method {
            Method::Get => {
                limit_sign_in(&req, &env).await?;
                Ok(github_oauth::login(&req, &env).await?)
            }
            _ => Err(method_not_allowed(method.as_ref(), &path)),
        },
        ["auth", "github", "callback"] => match method {
            Method::Get => {
                limit_sign_in(&req, &env).await?;
                Ok(github_oauth::callback(&req, &env).await?)
            }
            _ => Err(method_not_allowed(method.as_ref(), &path)),
        },
        ["auth", "local"] => match method {
            Method::Get => {
                limit_sign_in(&req, &env).await?;
                Ok(crate::auth::local_sign_in(&req, &env)?)
            }
            _ => Err(method_not_allowed(method.as_ref(), &path)),
        },
        ["auth", "logout"] => match method {
            Method::Post => Ok(github_oauth::logout(&req, &env).await?),
            _ => Err(method_not_allowed(method.as_ref(), &path)),
        },
        ["api", "health"] => match method {
            Method::Get => json_response(
                200,
                &Health {
                    ok: true,
                    version: env!("CARGO_PKG_VERSION").to_string(),
                    auth: crate::auth::settings::auth_mode(&env),
                },
            ),
            _ => Err(method_not_allowed(method.as_ref(), &path)),
        },
        ["api", "me"] => match method {
            Method::Get => me::get(&req, &env).await,
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
        ["api", "secrets"] => match method {
            Method::Get => crate::secrets::list(&req, &env).await,
            _ => Err(method_not_allowed(method.as_ref(), &path)),
        },
        ["api", "secrets", "import"] => match method {
            Method::Post => crate::secrets::import(req, &env).await,
            _ => Err(method_not_allowed(method.as_ref(), &path)),
        },
        ["api", "secrets", "audit"] => match method {
            Method::Get => crate::secrets::audit(&req, &env).await,
            _ => Err(method_not_allowed(method.as_ref(), &path)),
        },
        ["api", "secrets", "rotate"] => match method {
            Method::Post => crate::secrets::rotate(&req, &env).await,
            _ => Err(method_not_allowed(method.as_ref(), &path)),
        },
        ["api", "secrets", name] => {
            let name = name.to_string();
            match method {
                Method::Put => crate::secrets::put(req, &env, &name).await,
                Method::Delete => crate::secrets::delete(&req, &env, &name).await,
                _ => Err(method_not_allowed(method.as_ref(), &path)),
            }
        }
        ["api", "github", "webhook"] => match method {
            Method::Post => crate::github::webhook::receive(req, &env).await,
            _ => Err(method_not_allowed(method.as_ref(), &path)),
        },
        ["api", "repos"] => match method {
            Method::Get => crate::github::repos::list(&req, &env).await,
            _ => Err(method_not_allowed(method.as_ref(), &path)),
        },
        ["api", "repos", owner, name, "branches"] => {
            let (owner, name) = (owner.to_string(), name.to_string());
            match method {
                Method::Get => crate::github::repos::branches(&req, &env, &owner, &name).await,
                _ => Err(method_not_allowed(method.as_ref(), &path)),
            }
        }
        ["api", "models"] => match method {
            Method::Get => models::list(&req, &env).await,
            _ => Err(method_not_allowed(method.as_ref(), &path)),
        },
        ["api", "automations", rest @ ..] => {
            let rest: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
            let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
            crate::automations::route(req, &env, &rest).await
        }
        ["api", "integrations", rest @ ..] => {
            let rest: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
            let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
            crate::integrations::route(req, &env, &rest).await
        }
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

async fn limit_sign_in(req: &Request, env: &Env) -> Outcome<()> {
    let key = format!("sign-in:{}", rate_limiter::client_address(req));
    Ok(rate_limiter::check(env, &key, rate_limit::SIGN_IN, "sign-in attempts from this address").await?)
}
