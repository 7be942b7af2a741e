//! Automations (docs/automations.md): sessions started by a schedule, a webhook delivery or a
//! Sentry issue, acting for the automation's owner.
//!
//! - [`api`]: the REST routes; [`store`] and [`run_store`]: D1.
//! - [`runs`]: recording a run (every trigger ends there), starting it in the background,
//!   ending it when its prompt ends.
//! - [`tick`]: the minute tick for schedules; [`webhook`]: deliveries to an automation;
//!   the Sentry integration's deliveries are in `crate::integrations::sentry`.
//! - [`notices`]: what the sessions tell the automation, and its callback.
//!
//! The decisions (schedules, templates, JSONPath, signatures, validation, the failure streak)
//! are in `oi-integrations`.

pub mod api;
pub mod notices;
pub mod run_store;
pub mod runs;
pub mod store;
pub mod tick;
pub mod webhook;

use worker::{Env, Method, Request, Response};

use crate::http::{method_not_allowed, not_found, Outcome};

/// `/api/automations[/…]`.
pub async fn route(req: Request, env: &Env, rest: &[&str]) -> Outcome<Response> {
    let method = req.method();
    let path = req.path();
    match (rest, method) {
        ([], Method::Get) => api::list(&req, env).await,
        ([], Method::Post) => api::create(req, env).await,
        ([id], Method::Get) => api::get(&req, env, id).await,
        ([id], Method::Patch) => api::update(req, env, id).await,
        ([id], Method::Delete) => api::delete(&req, env, id).await,
        ([id, "pause"], Method::Post) => api::set_enabled(&req, env, id, false).await,
        ([id, "resume"], Method::Post) => api::set_enabled(&req, env, id, true).await,
        ([id, "runs"], Method::Post) => api::run_now(&req, env, id).await,
        ([id, "runs"], Method::Get) => api::runs(&req, env, id).await,
        ([id, "secret"], Method::Post) => api::rotate_secret(&req, env, id).await,
        ([id, "deliveries"], Method::Get) => api::deliveries(&req, env, id).await,
        ([id, "webhook"], Method::Post) => webhook::receive(req, env, id).await,
        ([] | [_] | [_, "pause" | "resume" | "runs" | "secret" | "deliveries" | "webhook"], method) => {
            Err(method_not_allowed(method.as_ref(), &path))
        }
        _ => Err(not_found(&format!("{} {path}", req.method().as_ref()))),
    }
}
