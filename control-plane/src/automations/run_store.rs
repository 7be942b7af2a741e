//! Automation runs in D1. A schedule slot has at most one run (`UNIQUE (automation_id, slot)`)
//! and a key starts at most one first run (a unique index over runs that are not follow-ups):
//! a run is written with `ON CONFLICT DO NOTHING` and only the writer that inserted it goes on.
//! A run ends once: its status moves from `running` by compare-and-swap.

use oi_protocol::automations::{AutomationRun, RunStatus, TriggerKind};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, Env, Result};

fn db(env: &Env) -> Result<D1Database> {
    env.d1("DB")
}

fn bad(e: impl std::fmt::Display) -> worker::Error {
    worker::Error::RustError(format!("an automation run row in D1 is not what this version reads: {e}"))
}

fn opt_str(v: Option<&str>) -> JsValue {
    v.map(JsValue::from).unwrap_or(JsValue::NULL)
}

fn opt_i64(v: Option<i64>) -> JsValue {
    v.map(|n| JsValue::from(n as f64)).unwrap_or(JsValue::NULL)
}

const RUN_COLUMNS: &str =
    "id, automation_id, trigger, slot, key, status, reason, session_id, prompt_id, follow_up, created_at, finished_at, prompt";

#[derive(Deserialize)]
struct RunRow {
    id: String,
    automation_id: String,
    trigger: String,
    slot: Option<f64>,
    key: Option<String>,
    status: String,
    reason: Option<String>,
    session_id: Option<String>,
    prompt_id: Option<String>,
    follow_up: i64,
    created_at: f64,
    finished_at: Option<f64>,
    prompt: String,
}

/// A run as stored, with its prompt (rendered when it was triggered) and the id the session
/// gave that prompt.
pub struct StoredRun {
    pub run: AutomationRun,
    pub prompt: String,
    pub prompt_id: Option<String>,
}

impl RunRow {
    fn into_run(self) -> Result<StoredRun> {
        let trigger: TriggerKind = serde_json::from_value(self.trigger.clone().into()).map_err(bad)?;
        let status = RunStatus::parse(&self.status).ok_or_else(|| bad(format!("run status {:?}", self.status)))?;
        Ok(StoredRun {
            run: AutomationRun {
                id: self.id,
                automation_id: self.automation_id,
                trigger,
                slot: self.slot.map(|s| s as i64),
                key: self.key,
                status,
                reason: self.reason,
                session_id: self.session_id,
                follow_up: self.follow_up != 0,
                created_at: self.created_at as i64,
                finished_at: self.finished_at.map(|f| f as i64),
            },
            prompt_id: self.prompt_id,
            prompt: self.prompt,
        })
    }
}

/// Records a new run; false when its slot or its key already has one (nothing is written).
pub async fn insert_run(env: &Env, run: &AutomationRun, prompt: &str) -> Result<bool> {
    let result = db(env)?
        .prepare(format!(
            "INSERT INTO automation_runs ({RUN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, ?9, ?10, ?11, ?12)
             ON CONFLICT DO NOTHING"
        ))
        .bind(&[
            run.id.as_str().into(),
            run.automation_id.as_str().into(),
            run.trigger.as_str().into(),
            opt_i64(run.slot),
            opt_str(run.key.as_deref()),
            run.status.as_str().into(),
            opt_str(run.reason.as_deref()),
            opt_str(run.session_id.as_deref()),
            (run.follow_up as i32).into(),
            (run.created_at as f64).into(),
            opt_i64(run.finished_at),
            prompt.into(),
        ])?
        .run()
        .await?;
    Ok(result.meta()?.and_then(|m| m.changes).unwrap_or(0) > 0)
}

pub async fn run(env: &Env, id: &str) -> Result<Option<StoredRun>> {
    let row: Option<RunRow> = db(env)?
        .prepare(format!("SELECT {RUN_COLUMNS} FROM automation_runs WHERE id = ?1"))
        .bind(&[id.into()])?
        .first(None)
        .await?;
    row.map(RunRow::into_run).transpose()
}

/// The first run with this key (a Sentry issue's), if any.
pub async fn first_run_with_key(env: &Env, automation_id: &str, key: &str) -> Result<Option<StoredRun>> {
    let row: Option<RunRow> = db(env)?
        .prepare(format!(
            "SELECT {RUN_COLUMNS} FROM automation_runs WHERE automation_id = ?1 AND key = ?2 AND follow_up = 0"
        ))
        .bind(&[automation_id.into(), key.into()])?
        .first(None)
        .await?;
    row.map(RunRow::into_run).transpose()
}

/// Runs newest first, from after `before` (`created_at`, `id`) when given.
pub async fn runs(
    env: &Env,
    automation_id: &str,
    before: Option<(i64, &str)>,
    limit: u32,
) -> Result<Vec<AutomationRun>> {
    let statement = match before {
        Some((at, id)) => db(env)?
            .prepare(format!(
                "SELECT {RUN_COLUMNS} FROM automation_runs WHERE automation_id = ?1
                   AND (created_at < ?2 OR (created_at = ?2 AND id < ?3))
                 ORDER BY created_at DESC, id DESC LIMIT ?4"
            ))
            .bind(&[automation_id.into(), (at as f64).into(), id.into(), (limit as f64).into()])?,
        None => db(env)?
            .prepare(format!(
                "SELECT {RUN_COLUMNS} FROM automation_runs WHERE automation_id = ?1
                 ORDER BY created_at DESC, id DESC LIMIT ?2"
            ))
            .bind(&[automation_id.into(), (limit as f64).into()])?,
    };
    let rows: Vec<RunRow> = statement.all().await?.results()?;
    rows.into_iter().map(|r| r.into_run().map(|s| s.run)).collect()
}

/// Gives a run its session and prompt (once: a run that has a prompt keeps it).
pub async fn run_started(env: &Env, run_id: &str, session_id: &str, prompt_id: &str) -> Result<()> {
    db(env)?
        .prepare("UPDATE automation_runs SET session_id = ?2, prompt_id = ?3 WHERE id = ?1 AND prompt_id IS NULL")
        .bind(&[run_id.into(), session_id.into(), prompt_id.into()])?
        .run()
        .await?;
    Ok(())
}

/// Ends a running run; the run ended, or `None` when it had ended already (so a notice
/// delivered twice counts once).
pub async fn finish_run(env: &Env, run_id: &str, status: RunStatus, reason: Option<&str>, now: i64) -> Result<bool> {
    let result = db(env)?
        .prepare(
            "UPDATE automation_runs SET status = ?2, reason = ?3, finished_at = ?4
             WHERE id = ?1 AND status = 'running'",
        )
        .bind(&[run_id.into(), status.as_str().into(), opt_str(reason), (now as f64).into()])?
        .run()
        .await?;
    Ok(result.meta()?.and_then(|m| m.changes).unwrap_or(0) > 0)
}

/// The running run whose prompt this is.
pub async fn run_of_prompt(env: &Env, session_id: &str, prompt_id: &str) -> Result<Option<StoredRun>> {
    let row: Option<RunRow> = db(env)?
        .prepare(format!("SELECT {RUN_COLUMNS} FROM automation_runs WHERE session_id = ?1 AND prompt_id = ?2"))
        .bind(&[session_id.into(), prompt_id.into()])?
        .first(None)
        .await?;
    row.map(RunRow::into_run).transpose()
}

/// Runs still without a prompt that were created in `[from, to)` (their start job may have
/// been lost): the minute tick starts them again (a start is safe to repeat).
pub async fn unstarted(env: &Env, from: i64, to: i64) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    let rows: Vec<Id> = db(env)?
        .prepare(
            "SELECT id FROM automation_runs WHERE status = 'running' AND prompt_id IS NULL
               AND created_at >= ?1 AND created_at < ?2
             ORDER BY created_at LIMIT 50",
        )
        .bind(&[(from as f64).into(), (to as f64).into()])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}
