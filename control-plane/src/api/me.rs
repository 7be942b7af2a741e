//! `/api/me`: who the caller is, and (in local mode) choosing a local name.

use oi_protocol::rest::{ChooseLocalUser, Me};
use oi_protocol::{ApiError, ErrorCode};
use worker::{Env, Request, Response};

use crate::auth::current_caller;
use crate::auth::local::{local_mode, local_user, local_user_cookie, validate_local_name};
use crate::auth::settings::auth_mode;
use crate::http::{json_response, read_json, Outcome};

pub async fn get(req: &Request, env: &Env) -> Outcome<Response> {
    let caller = current_caller(req, env).await?;
    json_response(200, &Me { user: caller.user, local_mode: local_mode(env), role: caller.role, auth: auth_mode(env) })
}

pub async fn put(mut req: Request, env: &Env) -> Outcome<Response> {
    if !local_mode(env) {
        return Err(ApiError::new(ErrorCode::Forbidden, "choosing a name is only possible in local mode").into());
    }
    let body: ChooseLocalUser = read_json(&mut req).await?;
    validate_local_name(&body.name)?;
    let user = local_user(&body.name).expect("validated");
    let me = Me { user, local_mode: true, role: oi_protocol::Role::Member, auth: auth_mode(env) };
    let mut response = json_response(200, &me)?;
    response.headers_mut().set("set-cookie", &local_user_cookie(&body.name))?;
    Ok(response)
}
