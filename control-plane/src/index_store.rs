//! The cross-session index in D1: one row per session, written before the session's Durable
//! Object is initialized and kept current by it.

use oi_protocol::origin::{OriginKind, SessionOrigin};
use oi_protocol::{SessionStatus, SessionSummary, User};
use oi_session_core::paging::SessionCursor;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, Env, Result};

const BINDING: &str = "DB";

fn db(env: &Env) -> Result<D1Database> {
    env.d1(BINDING)
}

#[derive(Deserialize)]
struct Row {
    id: String,
    repo: String,
    branch: String,
    model: String,
    title: Option<String>,
    status: String,
    archived: i64,
    #[serde(default)]
    private: i64,
    created_by: String,
    #[serde(default)]
    origin: Option<String>,
    #[serde(default)]
    origin_kind: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl Row {
    fn into_summary(self) -> Result<SessionSummary> {
        Ok(SessionSummary {
            status: SessionStatus::parse(&self.status)
                .ok_or_else(|| worker::Error::RustError(format!("bad status {:?} in D1", self.status)))?,
            created_by: serde_json::from_str::<User>(&self.created_by)
                .map_err(|e| worker::Error::RustError(e.to_string()))?,
            origin: match (&self.origin, self.origin_kind.as_deref().and_then(OriginKind::parse)) {
                (Some(origin), _) => {
                    serde_json::from_str(origin).map_err(|e| worker::Error::RustError(e.to_string()))?
                }
                (None, Some(kind)) => SessionOrigin::of(kind),
                (None, None) => SessionOrigin::default(),
            },
            id: self.id,
            repo: self.repo,
            branch: self.branch,
            work_branch: None,
            model: self.model,
            title: self.title,
            archived: self.archived != 0,
            private: self.private != 0,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

fn opt(v: &Option<String>) -> JsValue {
    v.as_deref().map(JsValue::from).unwrap_or(JsValue::NULL)
}

/// Inserts a new session's row (and its creator into `users`).
pub async fn insert(env: &Env, s: &SessionSummary) -> Result<()> {
    let db = db(env)?;
    let user = serde_json::to_string(&s.created_by).map_err(|e| worker::Error::RustError(e.to_string()))?;
    // The kind alone is the column; the whole origin only when it says more.
    let origin_json = if s.origin == SessionOrigin::of(s.origin.kind) {
        None
    } else {
        Some(serde_json::to_string(&s.origin).map_err(|e| worker::Error::RustError(e.to_string()))?)
    };
    let upsert_user = db
        .prepare(
            "INSERT INTO users (id, name, email, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(id) DO UPDATE SET name = excluded.name, email = excluded.email",
        )
        .bind(&[
            s.created_by.id.as_str().into(),
            s.created_by.name.as_str().into(),
            s.created_by.email.as_str().into(),
            (s.created_at as f64).into(),
        ])?;
    let insert = db
        .prepare(
            "INSERT INTO sessions (id, repo, branch, model, title, status, archived, created_by_id,
                                   created_by, created_at, updated_at, private, origin_kind, origin)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )
        .bind(&[
            s.id.as_str().into(),
            s.repo.as_str().into(),
            s.branch.as_str().into(),
            s.model.as_str().into(),
            opt(&s.title),
            s.status.as_str().into(),
            (s.archived as i32).into(),
            s.created_by.id.as_str().into(),
            user.as_str().into(),
            (s.created_at as f64).into(),
            (s.updated_at as f64).into(),
            (s.private as i32).into(),
            s.origin.kind.as_str().into(),
            origin_json.map(JsValue::from).unwrap_or(JsValue::NULL),
        ])?;
    db.batch(vec![upsert_user, insert]).await?;
    Ok(())
}

/// Whether a session's row exists.
pub async fn exists(env: &Env, id: &str) -> Result<bool> {
    let found: Option<i64> =
        db(env)?.prepare("SELECT 1 AS one FROM sessions WHERE id = ?1").bind(&[id.into()])?.first(Some("one")).await?;
    Ok(found.is_some())
}

/// The repository of a session, when its row exists.
pub async fn repo_of(env: &Env, id: &str) -> Result<Option<String>> {
    db(env)?.prepare("SELECT repo FROM sessions WHERE id = ?1").bind(&[id.into()])?.first(Some("repo")).await
}

/// Brings a row up to date with the Durable Object's summary. An older update that arrives
/// late does not overwrite a newer one.
pub async fn update(env: &Env, s: &SessionSummary) -> Result<()> {
    db(env)?
        .prepare(
            "UPDATE sessions SET status = ?2, archived = ?3, title = ?4, updated_at = ?5
             WHERE id = ?1 AND updated_at <= ?5",
        )
        .bind(&[
            s.id.as_str().into(),
            s.status.as_str().into(),
            (s.archived as i32).into(),
            opt(&s.title),
            (s.updated_at as f64).into(),
        ])?
        .run()
        .await?;
    Ok(())
}

pub async fn delete(env: &Env, id: &str) -> Result<()> {
    db(env)?.prepare("DELETE FROM sessions WHERE id = ?1").bind(&[id.into()])?.run().await?;
    Ok(())
}

/// A filter and page of the listing.
pub struct ListFilter {
    pub status: Option<SessionStatus>,
    pub archived: bool,
    pub after: Option<SessionCursor>,
    pub limit: u32,
    /// Only sessions created by this user id.
    pub created_by: Option<String>,
    /// Only sessions of this origin.
    pub origin: Option<OriginKind>,
    /// Only sessions whose title or repo contains this (case-insensitive).
    pub search: Option<String>,
    /// A member's id: private sessions of others are left out (admins see everything).
    pub viewer: Option<String>,
}

/// One page, newest activity first, and the cursor of the next page.
pub async fn list(env: &Env, f: &ListFilter) -> Result<(Vec<SessionSummary>, Option<SessionCursor>)> {
    let mut sql = String::from(
        "SELECT id, repo, branch, model, title, status, archived, private, created_by, origin_kind, origin,
                created_at, updated_at
         FROM sessions WHERE archived = ?1",
    );
    let mut args: Vec<JsValue> = vec![(f.archived as i32).into()];
    if let Some(status) = f.status {
        args.push(status.as_str().into());
        sql.push_str(&format!(" AND status = ?{}", args.len()));
    }
    if let Some(kind) = f.origin {
        args.push(kind.as_str().into());
        sql.push_str(&format!(" AND origin_kind = ?{}", args.len()));
    }
    if let Some(id) = &f.created_by {
        args.push(id.as_str().into());
        sql.push_str(&format!(" AND created_by_id = ?{}", args.len()));
    }
    if let Some(viewer) = &f.viewer {
        args.push(viewer.as_str().into());
        sql.push_str(&format!(" AND (private = 0 OR created_by_id = ?{})", args.len()));
    }
    if let Some(q) = &f.search {
        // LIKE with the wildcards in the text escaped.
        let escaped = q.replace('!', "!!").replace('%', "!%").replace('_', "!_");
        args.push(format!("%{escaped}%").into());
        let n = args.len();
        sql.push_str(&format!(" AND (title LIKE ?{n} ESCAPE '!' OR repo LIKE ?{n} ESCAPE '!')"));
    }
    if let Some(c) = &f.after {
        args.push((c.updated_at as f64).into());
        let ts = args.len();
        args.push(c.id.as_str().into());
        let id = args.len();
        sql.push_str(&format!(" AND (updated_at < ?{ts} OR (updated_at = ?{ts} AND id < ?{id}))"));
    }
    args.push((f.limit as f64 + 1.0).into());
    sql.push_str(&format!(" ORDER BY updated_at DESC, id DESC LIMIT ?{}", args.len()));
    let rows: Vec<Row> = db(env)?.prepare(sql).bind(&args)?.all().await?.results()?;
    let mut sessions = rows.into_iter().map(Row::into_summary).collect::<Result<Vec<_>>>()?;
    let next = if sessions.len() > f.limit as usize {
        sessions.truncate(f.limit as usize);
        sessions.last().map(|s| SessionCursor { updated_at: s.updated_at, id: s.id.clone() })
    } else {
        None
    };
    Ok((sessions, next))
}
