//! Linear's rows in D1 (`migrations/0011_linear.sql`): each Linear agent session with the
//! session working on it, the request (kept while it waits for someone to choose a repository),
//! how many `action` activities were posted, and whether the issue was moved to started.
//!
//! Invariant: a Linear agent session has at most one session (primary key; the first start
//! wins and later deliveries find it).

use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, Env, Result};

fn db(env: &Env) -> Result<D1Database> {
    env.d1("DB")
}

fn opt(v: Option<&str>) -> JsValue {
    v.map(JsValue::from).unwrap_or(JsValue::NULL)
}

#[derive(Debug, Clone, Deserialize)]
pub struct LinearSession {
    pub agent_session_id: String,
    pub session_id: Option<String>,
    pub issue_id: Option<String>,
    /// The `created` delivery (`SessionCreated` as JSON).
    pub request: String,
    /// The repositories offered while it waits (JSON array).
    pub candidates: Option<String>,
    pub actions_posted: f64,
    pub state_moved: f64,
}

const COLUMNS: &str = "agent_session_id, session_id, issue_id, request, candidates, actions_posted, state_moved";

/// Keeps a new agent session's request (nothing when it is known already).
pub async fn remember(
    env: &Env,
    agent_session_id: &str,
    issue_id: Option<&str>,
    request: &str,
    now: i64,
) -> Result<()> {
    db(env)?
        .prepare(
            "INSERT INTO linear_sessions (agent_session_id, issue_id, request, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO NOTHING",
        )
        .bind(&[agent_session_id.into(), opt(issue_id), request.into(), (now as f64).into()])?
        .run()
        .await?;
    Ok(())
}

pub async fn get(env: &Env, agent_session_id: &str) -> Result<Option<LinearSession>> {
    db(env)?
        .prepare(format!("SELECT {COLUMNS} FROM linear_sessions WHERE agent_session_id = ?1"))
        .bind(&[agent_session_id.into()])?
        .first(None)
        .await
}

pub async fn of_session(env: &Env, session_id: &str) -> Result<Option<LinearSession>> {
    db(env)?
        .prepare(format!("SELECT {COLUMNS} FROM linear_sessions WHERE session_id = ?1"))
        .bind(&[session_id.into()])?
        .first(None)
        .await
}

/// Records the session working on it (and that nothing waits any more).
pub async fn set_session(env: &Env, agent_session_id: &str, session_id: &str) -> Result<()> {
    db(env)?
        .prepare("UPDATE linear_sessions SET session_id = ?2, candidates = NULL WHERE agent_session_id = ?1")
        .bind(&[agent_session_id.into(), session_id.into()])?
        .run()
        .await?;
    Ok(())
}

/// Records the repositories offered in an elicitation.
pub async fn set_candidates(env: &Env, agent_session_id: &str, candidates: &[String]) -> Result<()> {
    db(env)?
        .prepare("UPDATE linear_sessions SET candidates = ?2 WHERE agent_session_id = ?1")
        .bind(&[agent_session_id.into(), serde_json::to_string(candidates)?.into()])?
        .run()
        .await?;
    Ok(())
}

/// Counts one more `action` activity of the prompt `prompt_id`; the prompt's count before it
/// (a new prompt starts again at 0).
pub async fn count_action(env: &Env, agent_session_id: &str, prompt_id: &str) -> Result<u32> {
    let before: Option<f64> = db(env)?
        .prepare(
            "UPDATE linear_sessions
             SET actions_posted = CASE WHEN actions_prompt IS ?2 THEN actions_posted + 1 ELSE 1 END,
                 actions_prompt = ?2
             WHERE agent_session_id = ?1
             RETURNING actions_posted - 1 AS before",
        )
        .bind(&[agent_session_id.into(), prompt_id.into()])?
        .first(Some("before"))
        .await?;
    Ok(before.unwrap_or(0.0) as u32)
}

/// Marks the issue as moved to started; false when it was already.
pub async fn claim_state_move(env: &Env, agent_session_id: &str) -> Result<bool> {
    let moved: Option<f64> = db(env)?
        .prepare(
            "UPDATE linear_sessions SET state_moved = 1 WHERE agent_session_id = ?1 AND state_moved = 0
             RETURNING 1 AS moved",
        )
        .bind(&[agent_session_id.into()])?
        .first(Some("moved"))
        .await?;
    Ok(moved.is_some())
}
