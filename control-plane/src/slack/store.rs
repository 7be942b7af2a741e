//! The Slack threads the control plane works in (D1, `migrations/0009_slack.sql`): which
//! session a thread belongs to, the status message it keeps updating, and requests waiting
//! for someone to choose a repository.
//!
//! Invariant: a thread has at most one session (primary key (channel, thread_ts); the first
//! writer wins and the others find it).

use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, Env, Result};

fn db(env: &Env) -> Result<D1Database> {
    env.d1("DB")
}

fn opt(v: Option<&str>) -> JsValue {
    v.map(JsValue::from).unwrap_or(JsValue::NULL)
}

/// A thread with its session.
#[derive(Debug, Clone, Deserialize)]
pub struct Thread {
    pub channel: String,
    pub thread_ts: String,
    pub session_id: String,
    /// The status message updated in place.
    pub status_ts: Option<String>,
    /// The agent's last answer (kept for the status message's later updates).
    pub last_answer: Option<String>,
    /// The last prompt whose end the status message shows.
    pub finished_prompt: Option<String>,
    pub started_at: f64,
}

const THREAD_COLUMNS: &str = "channel, thread_ts, session_id, status_ts, last_answer, finished_prompt, started_at";

/// Records a thread's session; the session already recorded when another start won.
pub async fn claim_thread(env: &Env, channel: &str, thread_ts: &str, session_id: &str, now: i64) -> Result<String> {
    db(env)?
        .prepare(
            "INSERT INTO slack_threads (channel, thread_ts, session_id, started_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO NOTHING",
        )
        .bind(&[channel.into(), thread_ts.into(), session_id.into(), (now as f64).into()])?
        .run()
        .await?;
    Ok(thread(env, channel, thread_ts).await?.map(|t| t.session_id).unwrap_or_else(|| session_id.to_string()))
}

pub async fn thread(env: &Env, channel: &str, thread_ts: &str) -> Result<Option<Thread>> {
    db(env)?
        .prepare(format!("SELECT {THREAD_COLUMNS} FROM slack_threads WHERE channel = ?1 AND thread_ts = ?2"))
        .bind(&[channel.into(), thread_ts.into()])?
        .first(None)
        .await
}

pub async fn thread_of_session(env: &Env, session_id: &str) -> Result<Option<Thread>> {
    db(env)?
        .prepare(format!("SELECT {THREAD_COLUMNS} FROM slack_threads WHERE session_id = ?1"))
        .bind(&[session_id.into()])?
        .first(None)
        .await
}

/// Keeps the status message's ts (once).
pub async fn set_status_ts(env: &Env, session_id: &str, status_ts: &str) -> Result<()> {
    db(env)?
        .prepare("UPDATE slack_threads SET status_ts = ?2 WHERE session_id = ?1 AND status_ts IS NULL")
        .bind(&[session_id.into(), status_ts.into()])?
        .run()
        .await?;
    Ok(())
}

/// Keeps the end of a prompt: its answer, if any, and which prompt it was.
pub async fn set_last_answer(env: &Env, session_id: &str, answer: Option<&str>, prompt_id: &str) -> Result<()> {
    db(env)?
        .prepare("UPDATE slack_threads SET last_answer = COALESCE(?2, last_answer), finished_prompt = ?3 WHERE session_id = ?1")
        .bind(&[session_id.into(), opt(answer), prompt_id.into()])?
        .run()
        .await?;
    Ok(())
}

/// A request waiting for a repository to be chosen.
#[derive(Debug, Clone, Deserialize)]
pub struct Pending {
    pub key: String,
    pub channel: String,
    pub ts: String,
    pub thread_ts: Option<String>,
    pub user: String,
    pub text: String,
}

pub async fn hold_request(env: &Env, p: &Pending, now: i64) -> Result<()> {
    db(env)?
        .prepare(
            "INSERT INTO slack_requests (key, channel, ts, thread_ts, user, text, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
        )
        .bind(&[
            p.key.as_str().into(),
            p.channel.as_str().into(),
            p.ts.as_str().into(),
            opt(p.thread_ts.as_deref()),
            p.user.as_str().into(),
            p.text.as_str().into(),
            (now as f64).into(),
        ])?
        .run()
        .await?;
    Ok(())
}

/// Takes a waiting request (once: a second choice finds nothing).
pub async fn take_request(env: &Env, key: &str) -> Result<Option<Pending>> {
    db(env)?
        .prepare("DELETE FROM slack_requests WHERE key = ?1 RETURNING key, channel, ts, thread_ts, user, text")
        .bind(&[key.into()])?
        .first(None)
        .await
}
