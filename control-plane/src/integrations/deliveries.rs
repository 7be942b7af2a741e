//! The log of vendor deliveries in D1, which also dedupes them: a verified delivery claims its
//! id (per source) before anything else happens, so a redelivery or two copies at once start
//! nothing new; a delivery that fails inside releases its claim so the vendor's retry works.
//! Refusals are logged without an id (they claim nothing: an unverified request must not be
//! able to block a real delivery). Rows expire after [`KEEP_MS`].

use oi_protocol::automations::DeliveryOutcome;
use oi_protocol::integrations::Delivery;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, Env, Result};

use crate::ids;

/// How long the log keeps a delivery (and remembers its id).
pub const KEEP_MS: i64 = 7 * 24 * 3_600_000;

fn db(env: &Env) -> Result<D1Database> {
    env.d1("DB")
}

fn opt(v: Option<&str>) -> JsValue {
    v.map(JsValue::from).unwrap_or(JsValue::NULL)
}

/// A verified delivery's claim on its id: `None` when the id was claimed before (a duplicate).
pub async fn claim(env: &Env, source: &str, delivery_key: Option<&str>) -> Result<Option<String>> {
    let id = ids::new_id("dlv");
    let now = ids::now_ms();
    let result = db(env)?
        .prepare(
            "INSERT INTO deliveries (id, source, delivery_key, received_at, outcome, status, expires_at)
             VALUES (?1, ?2, ?3, ?4, 'ignored', 202, ?5) ON CONFLICT DO NOTHING",
        )
        .bind(&[
            id.as_str().into(),
            source.into(),
            opt(delivery_key),
            (now as f64).into(),
            ((now + KEEP_MS) as f64).into(),
        ])?
        .run()
        .await?;
    let inserted = result.meta()?.and_then(|m| m.changes).unwrap_or(0) > 0;
    Ok(inserted.then_some(id))
}

/// What became of a claimed delivery.
pub async fn settle(
    env: &Env,
    id: &str,
    outcome: DeliveryOutcome,
    status: u16,
    reason: Option<&str>,
    run_id: Option<&str>,
    session_id: Option<&str>,
) -> Result<()> {
    db(env)?
        .prepare(
            "UPDATE deliveries SET outcome = ?2, status = ?3, reason = ?4, run_id = ?5, session_id = ?6 WHERE id = ?1",
        )
        .bind(&[id.into(), outcome.as_str().into(), (status as f64).into(), opt(reason), opt(run_id), opt(session_id)])?
        .run()
        .await?;
    Ok(())
}

/// Gives up a claim (the delivery failed inside; the vendor's retry is handled afresh).
pub async fn release(env: &Env, id: &str) -> Result<()> {
    db(env)?.prepare("DELETE FROM deliveries WHERE id = ?1").bind(&[id.into()])?.run().await?;
    Ok(())
}

/// Logs a refused delivery (it claims no id).
pub async fn refused(env: &Env, source: &str, status: u16, reason: &str) -> Result<()> {
    let now = ids::now_ms();
    db(env)?
        .prepare(
            "INSERT INTO deliveries (id, source, delivery_key, received_at, outcome, status, reason, expires_at)
             VALUES (?1, ?2, NULL, ?3, 'refused', ?4, ?5, ?6)",
        )
        .bind(&[
            ids::new_id("dlv").into(),
            source.into(),
            (now as f64).into(),
            (status as f64).into(),
            reason.into(),
            ((now + KEEP_MS) as f64).into(),
        ])?
        .run()
        .await?;
    Ok(())
}

#[derive(Deserialize)]
struct Row {
    id: String,
    source: String,
    received_at: f64,
    outcome: String,
    status: f64,
    reason: Option<String>,
    run_id: Option<String>,
    session_id: Option<String>,
}

/// The newest deliveries of a source (at most 100).
pub async fn recent(env: &Env, source: &str) -> Result<Vec<Delivery>> {
    let rows: Vec<Row> = db(env)?
        .prepare(
            "SELECT id, source, received_at, outcome, status, reason, run_id, session_id FROM deliveries
             WHERE source = ?1 ORDER BY received_at DESC, id DESC LIMIT 100",
        )
        .bind(&[source.into()])?
        .all()
        .await?
        .results()?;
    Ok(rows
        .into_iter()
        .map(|r| Delivery {
            outcome: match r.outcome.as_str() {
                "started" => DeliveryOutcome::Started,
                "refused" => DeliveryOutcome::Refused,
                _ => DeliveryOutcome::Ignored,
            },
            id: r.id,
            source: r.source,
            received_at: r.received_at as i64,
            status: r.status as u16,
            reason: r.reason,
            run_id: r.run_id,
            session_id: r.session_id,
        })
        .collect())
}

/// Forgets expired deliveries (the cron).
pub async fn forget_expired(env: &Env) -> Result<()> {
    db(env)?
        .prepare("DELETE FROM deliveries WHERE expires_at < ?1")
        .bind(&[(ids::now_ms() as f64).into()])?
        .run()
        .await?;
    Ok(())
}
