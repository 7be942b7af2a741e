//! Automations and their runs in D1 (`migrations/0008_origins_and_automations.sql`). Two
//! guarantees live in the schema, not in code: a schedule slot has at most one run
//! (`UNIQUE (automation_id, slot)`) and a key starts at most one run (a unique index over
//! first runs); a schedule's `next_run_at` moves only by compare-and-swap.

use oi_protocol::automations::{Automation, Trigger, TriggerKind};
use oi_protocol::User;
use oi_session_core::secrets::crypto::{credential_binding, KeyRing, Sealed};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, Env, Result};

fn db(env: &Env) -> Result<D1Database> {
    env.d1("DB")
}

fn bad(e: impl std::fmt::Display) -> worker::Error {
    worker::Error::RustError(format!("an automation row in D1 is not what this version reads: {e}"))
}

fn opt_str(v: Option<&str>) -> JsValue {
    v.map(JsValue::from).unwrap_or(JsValue::NULL)
}

fn opt_i64(v: Option<i64>) -> JsValue {
    v.map(|n| JsValue::from(n as f64)).unwrap_or(JsValue::NULL)
}

/// What the automation's secret is sealed to.
fn secret_binding(id: &str) -> Vec<u8> {
    credential_binding("automation-secret", id)
}

const COLUMNS: &str = "id, owner, name, repo, branch, model, prompt, trigger, enabled, paused_reason, \
                       consecutive_failures, next_run_at, callback_url, created_at, updated_at, \
                       secret_key_id, secret_nonce, secret_ciphertext";

#[derive(Deserialize)]
struct Row {
    id: String,
    owner: String,
    name: String,
    repo: String,
    branch: String,
    model: String,
    prompt: String,
    trigger: String,
    enabled: i64,
    paused_reason: Option<String>,
    consecutive_failures: i64,
    next_run_at: Option<f64>,
    callback_url: Option<String>,
    created_at: f64,
    updated_at: f64,
    secret_key_id: String,
    secret_nonce: String,
    secret_ciphertext: String,
}

/// An automation as stored: what the API shows, and its sealed secret.
pub struct Stored {
    pub automation: Automation,
    sealed: Sealed,
}

impl Stored {
    /// The automation's secret, opened.
    pub fn secret(&self, keys: &KeyRing) -> std::result::Result<String, String> {
        keys.open_bound(&secret_binding(&self.automation.id), &self.sealed)
            .map_err(|e| format!("the automation's secret does not open with the configured SECRETS_KEY: {e}"))
    }
}

impl Row {
    fn into_stored(self) -> Result<Stored> {
        let trigger: Trigger = serde_json::from_str(&self.trigger).map_err(bad)?;
        let webhook_path =
            matches!(trigger, Trigger::Webhook { .. }).then(|| format!("/api/automations/{}/webhook", self.id));
        let automation = Automation {
            owner: serde_json::from_str::<User>(&self.owner).map_err(bad)?,
            name: self.name,
            repo: self.repo,
            branch: self.branch,
            model: self.model,
            prompt: self.prompt,
            trigger,
            enabled: self.enabled != 0,
            paused_reason: self.paused_reason,
            consecutive_failures: self.consecutive_failures.max(0) as u32,
            next_run_at: self.next_run_at.map(|n| n as i64),
            webhook_path,
            callback_url: self.callback_url,
            created_at: self.created_at as i64,
            updated_at: self.updated_at as i64,
            id: self.id,
        };
        let sealed =
            Sealed { key_id: self.secret_key_id, nonce: self.secret_nonce, ciphertext: self.secret_ciphertext };
        Ok(Stored { automation, sealed })
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| worker::Error::RustError(e.to_string()))
}

/// Inserts a new automation with its secret, sealed.
pub async fn insert(env: &Env, a: &Automation, keys: &KeyRing, secret: &str) -> Result<()> {
    let sealed = keys.seal_bound(&secret_binding(&a.id), secret, crate::secrets::keys::new_nonce());
    db(env)?
        .prepare(
            "INSERT INTO automations (id, owner_id, owner, name, repo, branch, model, prompt, trigger_kind, trigger,
                 enabled, paused_reason, consecutive_failures, next_run_at, callback_url, created_at, updated_at,
                 secret_key_id, secret_nonce, secret_ciphertext)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
        )
        .bind(&[
            a.id.as_str().into(),
            a.owner.id.as_str().into(),
            json(&a.owner)?.into(),
            a.name.as_str().into(),
            a.repo.as_str().into(),
            a.branch.as_str().into(),
            a.model.as_str().into(),
            a.prompt.as_str().into(),
            a.trigger.kind().as_str().into(),
            json(&a.trigger)?.into(),
            (a.enabled as i32).into(),
            opt_str(a.paused_reason.as_deref()),
            (a.consecutive_failures as f64).into(),
            opt_i64(a.next_run_at),
            opt_str(a.callback_url.as_deref()),
            (a.created_at as f64).into(),
            (a.updated_at as f64).into(),
            sealed.key_id.as_str().into(),
            sealed.nonce.as_str().into(),
            sealed.ciphertext.as_str().into(),
        ])?
        .run()
        .await?;
    Ok(())
}

/// Writes the fields a person edits, and the schedule's next slot.
pub async fn update(env: &Env, a: &Automation) -> Result<()> {
    db(env)?
        .prepare(
            "UPDATE automations SET name = ?2, repo = ?3, branch = ?4, model = ?5, prompt = ?6, trigger_kind = ?7,
                 trigger = ?8, enabled = ?9, paused_reason = ?10, consecutive_failures = ?11, next_run_at = ?12,
                 callback_url = ?13, updated_at = ?14
             WHERE id = ?1",
        )
        .bind(&[
            a.id.as_str().into(),
            a.name.as_str().into(),
            a.repo.as_str().into(),
            a.branch.as_str().into(),
            a.model.as_str().into(),
            a.prompt.as_str().into(),
            a.trigger.kind().as_str().into(),
            json(&a.trigger)?.into(),
            (a.enabled as i32).into(),
            opt_str(a.paused_reason.as_deref()),
            (a.consecutive_failures as f64).into(),
            opt_i64(a.next_run_at),
            opt_str(a.callback_url.as_deref()),
            (a.updated_at as f64).into(),
        ])?
        .run()
        .await?;
    Ok(())
}

/// Replaces the automation's secret.
pub async fn set_secret(env: &Env, id: &str, keys: &KeyRing, secret: &str, now: i64) -> Result<()> {
    let sealed = keys.seal_bound(&secret_binding(id), secret, crate::secrets::keys::new_nonce());
    db(env)?
        .prepare(
            "UPDATE automations SET secret_key_id = ?2, secret_nonce = ?3, secret_ciphertext = ?4, updated_at = ?5
             WHERE id = ?1",
        )
        .bind(&[
            id.into(),
            sealed.key_id.as_str().into(),
            sealed.nonce.as_str().into(),
            sealed.ciphertext.as_str().into(),
            (now as f64).into(),
        ])?
        .run()
        .await?;
    Ok(())
}

pub async fn get(env: &Env, id: &str) -> Result<Option<Stored>> {
    let row: Option<Row> = db(env)?
        .prepare(format!("SELECT {COLUMNS} FROM automations WHERE id = ?1"))
        .bind(&[id.into()])?
        .first(None)
        .await?;
    row.map(Row::into_stored).transpose()
}

/// Every automation (an admin's view) or one person's, newest first.
pub async fn list(env: &Env, owner_id: Option<&str>) -> Result<Vec<Automation>> {
    let statement = match owner_id {
        Some(owner) => db(env)?
            .prepare(format!(
                "SELECT {COLUMNS} FROM automations WHERE owner_id = ?1 ORDER BY created_at DESC LIMIT 500"
            ))
            .bind(&[owner.into()])?,
        None => db(env)?.prepare(format!("SELECT {COLUMNS} FROM automations ORDER BY created_at DESC LIMIT 500")),
    };
    let rows: Vec<Row> = statement.all().await?.results()?;
    rows.into_iter().map(|r| r.into_stored().map(|s| s.automation)).collect()
}

/// Enabled automations of one trigger kind.
pub async fn enabled_of(env: &Env, kind: TriggerKind) -> Result<Vec<Stored>> {
    let rows: Vec<Row> = db(env)?
        .prepare(format!("SELECT {COLUMNS} FROM automations WHERE trigger_kind = ?1 AND enabled = 1 LIMIT 1000"))
        .bind(&[kind.as_str().into()])?
        .all()
        .await?
        .results()?;
    rows.into_iter().map(Row::into_stored).collect()
}

/// Schedules whose next slot has come (by `now`).
pub async fn due_schedules(env: &Env, now: i64) -> Result<Vec<Stored>> {
    let rows: Vec<Row> = db(env)?
        .prepare(format!(
            "SELECT {COLUMNS} FROM automations
             WHERE trigger_kind = 'schedule' AND enabled = 1 AND next_run_at IS NOT NULL AND next_run_at <= ?1
             LIMIT 200"
        ))
        .bind(&[(now as f64).into()])?
        .all()
        .await?
        .results()?;
    rows.into_iter().map(Row::into_stored).collect()
}

/// Moves a schedule's next slot from `from` to `to`; false when another tick moved it first.
pub async fn advance_slot(env: &Env, id: &str, from: i64, to: Option<i64>) -> Result<bool> {
    let result = db(env)?
        .prepare("UPDATE automations SET next_run_at = ?3 WHERE id = ?1 AND next_run_at = ?2")
        .bind(&[id.into(), (from as f64).into(), opt_i64(to)])?
        .run()
        .await?;
    Ok(result.meta()?.and_then(|m| m.changes).unwrap_or(0) > 0)
}

pub async fn delete(env: &Env, id: &str) -> Result<()> {
    let db = db(env)?;
    db.batch(vec![
        db.prepare("DELETE FROM automations WHERE id = ?1").bind(&[id.into()])?,
        db.prepare("DELETE FROM automation_runs WHERE automation_id = ?1").bind(&[id.into()])?,
    ])
    .await?;
    Ok(())
}

/// Counts a run's end in the automation's failure streak (in SQL, so two ends at once both
/// count): a success resets it, a failure adds one; answers the new count.
pub async fn count_outcome(env: &Env, id: &str, failed: bool) -> Result<u32> {
    let sql = if failed {
        "UPDATE automations SET consecutive_failures = consecutive_failures + 1 WHERE id = ?1
         RETURNING consecutive_failures"
    } else {
        "UPDATE automations SET consecutive_failures = 0 WHERE id = ?1 RETURNING consecutive_failures"
    };
    let count: Option<f64> = db(env)?.prepare(sql).bind(&[id.into()])?.first(Some("consecutive_failures")).await?;
    Ok(count.unwrap_or(0.0) as u32)
}

/// Pauses an automation by itself, saying why.
pub async fn pause_itself(env: &Env, id: &str, reason: &str, now: i64) -> Result<()> {
    db(env)?
        .prepare(
            "UPDATE automations SET enabled = 0, paused_reason = ?2, next_run_at = NULL, updated_at = ?3
             WHERE id = ?1 AND enabled = 1",
        )
        .bind(&[id.into(), reason.into(), (now as f64).into()])?
        .run()
        .await?;
    Ok(())
}
