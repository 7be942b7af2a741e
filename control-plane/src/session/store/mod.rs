//! The session's SQLite, typed: the session row (`meta`), the event log, the prompt queue, the
//! lifecycle facts, the pull request, WebSocket tokens and model usage. No decisions here.
//!
//! Invariant: the `meta` and `lifecycle` rows are also held in memory, and every write to them
//! goes through this type, so the copy in memory is always what SQLite holds (it is dropped
//! with the object and read again after hibernation or eviction).

mod events;
mod lifecycle;
mod media;
#[cfg(test)]
pub mod memory;
mod notices;
mod prompts;
mod pull_request;
pub mod schema;
pub mod sql;
mod usage;
mod ws_tokens;

use std::cell::RefCell;

use oi_protocol::{SandboxStatus, SessionStatus, SessionSummary};
use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::Result;

pub use lifecycle::LifecycleRow;
pub use media::{r2_key, MediaRow};
pub use prompts::Prompt;
use sql::store_error;
pub use sql::{Row, SqlExec, SqlValue};
pub use ws_tokens::WsTokenRow;

/// A unit enum's serde name (`"processing"`).
pub fn enum_str<T: Serialize>(v: T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        other => panic!("not a unit enum: {other:?}"),
    }
}

fn parse_enum<T: DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(store_error)
}

fn json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(store_error)
}

fn from_json<T: DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(store_error)
}

/// The session's own row.
#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    pub summary: SessionSummary,
    pub last_seq: u64,
    pub sandbox_status: SandboxStatus,
    pub sandbox_id: Option<String>,
    pub sandbox_token_hash: Option<String>,
    pub bridge_acked_through: u64,
    pub bridge_connection: Option<String>,
}

const META_COLUMNS: &str =
    "session_id, repo, branch, model, title, status, archived, created_by, private, created_at, \
                            updated_at, last_seq, sandbox_status, sandbox_id, sandbox_token_hash, \
                            bridge_acked_through, bridge_connection, origin, work_branch";

impl Meta {
    fn from_row(r: &Row) -> Result<Self> {
        let status = r.text(5)?;
        Ok(Meta {
            summary: SessionSummary {
                id: r.text(0)?,
                repo: r.text(1)?,
                branch: r.text(2)?,
                work_branch: r.opt_text(18)?,
                model: r.text(3)?,
                title: r.opt_text(4)?,
                status: SessionStatus::parse(&status).ok_or_else(|| store_error(format!("bad status {status:?}")))?,
                archived: r.int(6)? != 0,
                created_by: from_json(&r.text(7)?)?,
                origin: r.opt_text(17)?.map(|o| from_json(&o)).transpose()?.unwrap_or_default(),
                private: r.int(8)? != 0,
                created_at: r.int(9)?,
                updated_at: r.int(10)?,
            },
            last_seq: r.int(11)? as u64,
            sandbox_status: parse_enum(&r.text(12)?)?,
            sandbox_id: r.opt_text(13)?,
            sandbox_token_hash: r.opt_text(14)?,
            bridge_acked_through: r.int(15)? as u64,
            bridge_connection: r.opt_text(16)?,
        })
    }
}

/// The Durable Object's SQLite, with the session row and the lifecycle row kept in memory.
pub struct Store<S> {
    sql: S,
    /// `None` until read; then the row, or `Some(None)` when there is no session.
    meta: RefCell<Option<Option<Meta>>>,
    lifecycle: RefCell<Option<LifecycleRow>>,
}

impl<S: SqlExec> Store<S> {
    pub fn new(sql: S) -> Self {
        Self { sql, meta: RefCell::new(None), lifecycle: RefCell::new(None) }
    }

    pub fn sql(&self) -> &S {
        &self.sql
    }

    pub fn create_schema(&self) -> Result<()> {
        for statement in schema::SCHEMA {
            self.sql.execute(statement, vec![])?;
        }
        // Columns added after a session's object was first created (fails harmlessly when the
        // column is already there).
        for statement in schema::ADDED_COLUMNS {
            let _ = self.sql.execute(statement, vec![]);
        }
        Ok(())
    }

    /// Forgets the rows held in memory (after everything was deleted).
    pub fn forget(&self) {
        *self.meta.borrow_mut() = None;
        *self.lifecycle.borrow_mut() = None;
    }

    pub(crate) fn rows(&self, query: &str, args: Vec<SqlValue>) -> Result<Vec<Row>> {
        self.sql.query(query, args)
    }

    pub(crate) fn run(&self, query: &str, args: Vec<SqlValue>) -> Result<()> {
        self.sql.execute(query, args)
    }

    // ----- the session row -----

    pub fn meta(&self) -> Result<Option<Meta>> {
        self.meta_field(Meta::clone)
    }

    /// One field of the session row, without copying the rest.
    pub fn meta_field<T>(&self, field: impl FnOnce(&Meta) -> T) -> Result<Option<T>> {
        if self.meta.borrow().is_none() {
            let rows = self.rows(&format!("SELECT {META_COLUMNS} FROM meta WHERE id = 1"), vec![])?;
            let meta = rows.first().map(Meta::from_row).transpose()?;
            *self.meta.borrow_mut() = Some(meta);
        }
        Ok(self.meta.borrow().as_ref().and_then(Option::as_ref).map(field))
    }

    /// The highest bridge event id recorded (0 without a session).
    pub fn bridge_acked_through(&self) -> Result<u64> {
        Ok(self.meta_field(|m| m.bridge_acked_through)?.unwrap_or(0))
    }

    /// Changes the row in memory after the same change was written.
    fn updated(&self, change: impl FnOnce(&mut Meta)) {
        if let Some(Some(meta)) = self.meta.borrow_mut().as_mut() {
            change(meta);
        }
    }

    pub fn insert_meta(&self, s: &SessionSummary) -> Result<()> {
        self.run(
            "INSERT INTO meta (id, session_id, repo, branch, model, title, status, archived, created_by,
                               created_at, updated_at, private, origin, work_branch)
             VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                s.id.as_str().into(),
                s.repo.as_str().into(),
                s.branch.as_str().into(),
                s.model.as_str().into(),
                s.title.clone().into(),
                s.status.as_str().into(),
                s.archived.into(),
                json(&s.created_by)?.into(),
                s.created_at.into(),
                s.updated_at.into(),
                s.private.into(),
                json(&s.origin)?.into(),
                s.work_branch.clone().into(),
            ],
        )?;
        *self.meta.borrow_mut() = None;
        Ok(())
    }

    /// Saves the summary fields that change (status, archive flag, title, activity time).
    pub fn save_summary(&self, s: &SessionSummary) -> Result<()> {
        self.run(
            "UPDATE meta SET status = ?, archived = ?, title = ?, updated_at = ? WHERE id = 1",
            vec![s.status.as_str().into(), s.archived.into(), s.title.clone().into(), s.updated_at.into()],
        )?;
        self.updated(|m| {
            m.summary.status = s.status;
            m.summary.archived = s.archived;
            m.summary.title = s.title.clone();
            m.summary.updated_at = s.updated_at;
        });
        Ok(())
    }

    pub fn set_sandbox_status(&self, status: SandboxStatus) -> Result<()> {
        self.run("UPDATE meta SET sandbox_status = ? WHERE id = 1", vec![enum_str(status).into()])?;
        self.updated(|m| m.sandbox_status = status);
        Ok(())
    }

    /// A new sandbox: its id and token hash; acknowledgements start again from zero.
    pub fn set_sandbox(&self, sandbox_id: &str, token_hash: &str, status: SandboxStatus) -> Result<()> {
        self.run(
            "UPDATE meta SET sandbox_id = ?, sandbox_token_hash = ?, sandbox_status = ?,
                             bridge_acked_through = 0, bridge_connection = NULL WHERE id = 1",
            vec![sandbox_id.into(), token_hash.into(), enum_str(status).into()],
        )?;
        self.updated(|m| {
            m.sandbox_id = Some(sandbox_id.to_string());
            m.sandbox_token_hash = Some(token_hash.to_string());
            m.sandbox_status = status;
            m.bridge_acked_through = 0;
            m.bridge_connection = None;
        });
        Ok(())
    }

    /// Forgets the sandbox token: a stopped sandbox's token opens nothing any more.
    pub fn revoke_sandbox_token(&self) -> Result<()> {
        self.run("UPDATE meta SET sandbox_token_hash = NULL WHERE id = 1", vec![])?;
        self.updated(|m| m.sandbox_token_hash = None);
        Ok(())
    }

    pub fn set_bridge_connection(&self, connection: Option<&str>, runtime: Option<&str>) -> Result<()> {
        self.run(
            "UPDATE meta SET bridge_connection = ?, bridge_runtime = COALESCE(?, bridge_runtime) WHERE id = 1",
            vec![connection.into(), runtime.into()],
        )?;
        self.updated(|m| m.bridge_connection = connection.map(str::to_string));
        Ok(())
    }

    /// Everything the bridge numbered up to `through` is recorded (written in the same turn
    /// as the events' own effects, so both commit together).
    pub fn set_bridge_acked(&self, through: u64) -> Result<()> {
        self.run("UPDATE meta SET bridge_acked_through = ? WHERE id = 1", vec![through.into()])?;
        self.updated(|m| m.bridge_acked_through = through);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
