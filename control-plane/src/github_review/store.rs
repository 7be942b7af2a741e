//! The review bot's rows in D1 (`migrations/0010_github_review.sql`): GitHub's answer about a
//! person's permission, kept a few minutes (`PERMISSION_CACHE_MS`), and each pull request session's latest
//! request, which the agent's review and reply tools and the completion notice answer.
//!
//! Invariant: a session answers its latest request: every request overwrites the row, so an
//! answer never goes to an older comment than the one its prompt came from.

use oi_integrations::github_review::triggers::{permission_is_fresh, Trigger};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, Env, Result};

fn db(env: &Env) -> Result<D1Database> {
    env.d1("DB")
}

#[derive(Deserialize)]
struct PermissionRow {
    permission: Option<String>,
    checked_at: f64,
}

/// GitHub's answer for `login` on `repo` while it is fresh: `Some(permission)` (itself `None`
/// when GitHub knows no such user).
pub async fn cached_permission(env: &Env, repo: &str, login: &str, now: i64) -> Result<Option<Option<String>>> {
    let row: Option<PermissionRow> = db(env)?
        .prepare("SELECT permission, checked_at FROM github_permissions WHERE repo = ?1 AND login = ?2")
        .bind(&[repo.into(), login.into()])?
        .first(None)
        .await?;
    Ok(row.filter(|r| permission_is_fresh(r.checked_at as i64, now)).map(|r| r.permission))
}

pub async fn keep_permission(env: &Env, repo: &str, login: &str, permission: Option<&str>, now: i64) -> Result<()> {
    db(env)?
        .prepare(
            "INSERT INTO github_permissions (repo, login, permission, checked_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (repo, login) DO UPDATE SET permission = ?3, checked_at = ?4",
        )
        .bind(&[
            repo.into(),
            login.into(),
            permission.map(JsValue::from).unwrap_or(JsValue::NULL),
            (now as f64).into(),
        ])?
        .run()
        .await?;
    Ok(())
}

/// A pull request session's latest request.
#[derive(Debug, Clone)]
pub struct ReviewSession {
    pub repo: String,
    pub number: u64,
    pub request: Trigger,
    pub pr_author: String,
}

#[derive(Deserialize)]
struct SessionRow {
    repo: String,
    number: f64,
    request: String,
    pr_author: String,
}

pub async fn remember_request(env: &Env, session_id: &str, request: &Trigger, pr_author: &str, now: i64) -> Result<()> {
    db(env)?
        .prepare(
            "INSERT INTO github_review_sessions (session_id, repo, number, request, pr_author, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (session_id) DO UPDATE SET request = ?4, pr_author = ?5, updated_at = ?6",
        )
        .bind(&[
            session_id.into(),
            request.repository.as_str().into(),
            (request.pr as f64).into(),
            serde_json::to_string(request)?.into(),
            pr_author.into(),
            (now as f64).into(),
        ])?
        .run()
        .await?;
    Ok(())
}

pub async fn review_session(env: &Env, session_id: &str) -> Result<Option<ReviewSession>> {
    let row: Option<SessionRow> = db(env)?
        .prepare("SELECT repo, number, request, pr_author FROM github_review_sessions WHERE session_id = ?1")
        .bind(&[session_id.into()])?
        .first(None)
        .await?;
    row.map(|r| {
        Ok(ReviewSession {
            repo: r.repo,
            number: r.number as u64,
            request: serde_json::from_str(&r.request)?,
            pr_author: r.pr_author,
        })
    })
    .transpose()
}
