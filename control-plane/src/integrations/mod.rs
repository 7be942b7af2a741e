//! The integrations core (docs/integrations.md): what every way of starting a session without
//! a person at the keyboard shares.
//!
//! - [`deliveries`]: the log of vendor deliveries, which also dedupes them by delivery id.
//! - [`settings`]: Settings → Integrations (admins): each integration's settings and sealed
//!   credentials, `/api/integrations`.
//! - [`sentry`]: Sentry's deliveries, which start automation runs.
//! - [`notices`]: telling an origin what its session did (from the `JOBS` queue).
//! - [`people`]: which person of this deployment a vendor's user acts as (links, emails).
//! - [`receiver`]: what every vendor's delivery route does before it reads a payload.
//! - [`act_as`]: a mapped person's requests to a session, through the session's own routes.
//! - [`classifier`]: a small model choosing a request's repository among the configured ones.
//!
//! Verification, limits and parsing are pure, in `oi-integrations`; a session's origin and
//! acting person are set where it starts (`crate::api::sessions::start`).

pub mod act_as;
pub mod classifier;
pub mod deliveries;
pub mod notices;
pub mod people;
pub mod receiver;
pub mod sentry;
pub mod settings;

use oi_protocol::integrations::IntegrationName;
use oi_protocol::{ApiError, ErrorCode};
use worker::{Env, Method, Request, Response};

use crate::http::{method_not_allowed, Outcome};

/// `/api/integrations[/…]`.
pub async fn route(req: Request, env: &Env, rest: &[&str]) -> Outcome<Response> {
    let method = req.method();
    let path = req.path();
    let name = |n: &str| {
        IntegrationName::parse(n).ok_or_else(|| {
            ApiError::new(ErrorCode::NotFound, format!("no integration {n:?}; they are sentry, slack, github, linear"))
        })
    };
    match (rest, method) {
        ([], Method::Get) => settings::list(&req, env).await,
        ([n], Method::Get) => settings::get(&req, env, name(n)?).await,
        ([n], Method::Put) => settings::put(req, env, name(n)?).await,
        ([n, "deliveries"], Method::Get) => settings::deliveries(&req, env, name(n)?).await,
        ([n, "links"], Method::Get) => {
            let name = name(n)?;
            settings::admin(&req, env).await?;
            people::list(env, name).await
        }
        ([n, "links", vendor_user_id], Method::Put) => {
            let name = name(n)?;
            let caller = settings::admin(&req, env).await?;
            people::put(req, env, name, vendor_user_id, &caller.user.id).await
        }
        ([n, "links", vendor_user_id], Method::Delete) => {
            let name = name(n)?;
            settings::admin(&req, env).await?;
            people::delete(env, name, vendor_user_id).await
        }
        (["sentry", "webhook"], Method::Post) => sentry::receive(req, env).await,
        (["slack", "events"], Method::Post) => crate::slack::events::receive(req, env).await,
        (["slack", "interactions"], Method::Post) => crate::slack::events::interact(req, env).await,
        (["linear", "webhook"], Method::Post) => crate::linear::webhook::receive(req, env).await,
        (["linear", "install"], Method::Get) => crate::linear::oauth::install(&req, env).await,
        (["linear", "callback"], Method::Get) => crate::linear::oauth::callback(&req, env).await,
        (
            []
            | [_]
            | [_, "deliveries" | "links"]
            | [_, "links", _]
            | ["sentry", "webhook"]
            | ["slack", "events" | "interactions"]
            | ["linear", "install" | "callback" | "webhook"],
            method,
        ) => Err(method_not_allowed(method.as_ref(), &path)),
        _ => Err(crate::http::not_found(&format!("{} {path}", req.method().as_ref()))),
    }
}
