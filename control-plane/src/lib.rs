//! The Open Inspect control plane: a Cloudflare Worker (compiled to WASM) with one Durable
//! Object per session.
//!
//! - [`api`]: the public routes under `/api`; sessions are created and listed here (D1) and
//!   everything else about one session is forwarded to its Durable Object.
//! - [`session`]: the session Durable Object: event log, prompt queue, client and bridge
//!   WebSockets, all in its SQLite.
//! - [`index_store`]: the cross-session index in D1.
//! - [`auth`]: who is asking (GitHub sign-in or local mode), and the checks every request
//!   passes first.
//! - [`integrations`]: the core every session start without a person at the keyboard shares
//!   (deliveries, settings, notices); [`automations`]: schedules, webhooks and Sentry.
//! - [`jobs`]: the `JOBS` queue's background work (starting runs, delivering notices).
//! - [`slack`]: Slack: mentions start sessions, threads follow them, replies steer them.
//!
//! Decisions (validation, queue, acknowledgement, compaction, paging) live in the
//! `oi-session-core` crate; this crate does the I/O.

pub mod api;
pub mod auth;
pub mod automations;
pub mod config;
pub mod github;
pub mod github_review;
pub mod http;
pub mod ids;
pub mod images;
pub mod index_store;
pub mod integrations;
pub mod jobs;
pub mod linear;
pub mod pools;
pub mod preview;
pub mod provider_client;
pub mod rate_limiter;
pub mod secrets;
pub mod session;
pub mod slack;

use worker::{event, Context, Env, MessageBatch, Request, Response, Result, ScheduleContext, ScheduledEvent};

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    // A preview origin is the sandbox's app, whatever the path (`preview`).
    if let Some(at) = preview::address_of(&req, &env) {
        return preview::handle(req, &env, at).await;
    }
    // The Worker runs first for every request (so it sees preview origins); the web app's
    // files are the assets binding's.
    let path = req.path();
    if !(path == "/api" || path.starts_with("/api/") || path.starts_with("/auth/")) {
        return env.assets("ASSETS")?.fetch_request(req).await;
    }
    api::handle(req, env, ctx).await
}

/// The `JOBS` queue's consumer (`jobs::consume`).
#[event(queue)]
async fn queue(batch: MessageBatch<String>, env: Env, _ctx: Context) -> Result<()> {
    jobs::consume(batch, &env).await
}

/// The cron trigger (every minute): start due automation runs, keep repo images fresh and warm
/// pools full. The tick's time is the later of the trigger's and the clock's (a test may
/// drive it with a later `scheduledTime`).
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let now = (event.schedule() as i64).max(ids::now_ms());
    match automations::tick::tick(&env, now).await {
        Ok(t) if !(t.started.is_empty() && t.skipped.is_empty() && t.restarted.is_empty()) => {
            worker::console_log!("automations: {t:?}")
        }
        Ok(_) => {}
        Err(e) => worker::console_error!("automations: {e}"),
    }
    if let Err(e) = integrations::deliveries::forget_expired(&env).await {
        worker::console_error!("expired deliveries: {e}");
    }
    if let Err(e) = images::maintain(&env).await {
        worker::console_error!("repo images: {e}");
    }
    if let Err(e) = pools::refill(&env).await {
        worker::console_error!("warm pools: {e}");
    }
    if let Err(e) = auth::revoked::forget_expired(&env).await {
        worker::console_error!("revoked web sessions: {e}");
    }
    // A new secrets key takes over in the background: values under the previous one are
    // re-sealed (nothing to do, and no error, when secrets are not configured).
    if crate::config::secret(&env, "SECRETS_KEY").is_some() {
        match secrets::rotate_all(&env, false).await {
            Ok(r) if r.reencrypted > 0 || !r.unreadable.is_empty() => worker::console_log!(
                "secrets: {} re-sealed under {}, {} unreadable",
                r.reencrypted,
                r.key_id,
                r.unreadable.len()
            ),
            Ok(_) => {}
            Err(e) => worker::console_error!("secrets rotation: {e:?}"),
        }
    }
}
