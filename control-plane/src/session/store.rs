//! SQL reads and writes of the session Durable Object. No decisions here.

use oi_protocol::events::EventBody;
use oi_protocol::{PromptStatus, QueuedPrompt, SandboxStatus, SessionEvent, SessionStatus, SessionSummary, User};
use oi_session_core::compaction::CompactionPlan;
use oi_session_core::queue::QueueEntry;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use worker::{Result, SqlStorage, SqlStorageValue};

use super::schema::SCHEMA;

fn err(e: impl std::fmt::Display) -> worker::Error {
    worker::Error::RustError(e.to_string())
}

/// A unit enum's serde name (`"processing"`).
pub fn enum_str<T: Serialize>(v: T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        other => panic!("not a unit enum: {other:?}"),
    }
}

fn parse_enum<T: DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(err)
}

/// The session's own row.
#[derive(Debug, Clone)]
pub struct Meta {
    pub summary: SessionSummary,
    pub last_seq: u64,
    pub sandbox_status: SandboxStatus,
    pub sandbox_id: Option<String>,
    pub sandbox_token_hash: Option<String>,
    pub bridge_acked_through: u64,
    pub bridge_connection: Option<String>,
}

#[derive(Deserialize)]
struct MetaRow {
    session_id: String,
    repo: String,
    branch: String,
    model: String,
    title: Option<String>,
    status: String,
    archived: i64,
    created_by: String,
    #[serde(default)]
    private: i64,
    created_at: i64,
    updated_at: i64,
    last_seq: i64,
    sandbox_status: String,
    sandbox_id: Option<String>,
    sandbox_token_hash: Option<String>,
    bridge_acked_through: i64,
    bridge_connection: Option<String>,
}

/// A prompt row.
#[derive(Debug, Clone)]
pub struct Prompt {
    pub message_id: String,
    pub client_request_id: String,
    pub text: String,
    pub model: Option<String>,
    pub author: User,
    pub status: PromptStatus,
    pub created_at: i64,
}

impl Prompt {
    pub fn entry(&self) -> QueueEntry {
        QueueEntry { message_id: self.message_id.clone(), status: self.status }
    }

    pub fn queued(&self, position: u32) -> QueuedPrompt {
        QueuedPrompt {
            message_id: self.message_id.clone(),
            client_request_id: self.client_request_id.clone(),
            text: self.text.clone(),
            author: self.author.clone(),
            status: self.status,
            position,
            created_at: self.created_at,
        }
    }
}

#[derive(Deserialize)]
struct PromptRow {
    message_id: String,
    client_request_id: String,
    text: String,
    model: Option<String>,
    author: String,
    status: String,
    created_at: i64,
}

impl PromptRow {
    fn into_prompt(self) -> Result<Prompt> {
        Ok(Prompt {
            author: serde_json::from_str(&self.author).map_err(err)?,
            status: parse_enum(&self.status)?,
            message_id: self.message_id,
            client_request_id: self.client_request_id,
            text: self.text,
            model: self.model,
            created_at: self.created_at,
        })
    }
}

#[derive(Deserialize)]
struct JsonRow {
    json: String,
}

const PROMPT_COLUMNS: &str = "message_id, client_request_id, text, model, author, status, created_at";

/// The Durable Object's SQLite.
#[derive(Clone)]
pub struct Store {
    sql: SqlStorage,
}

impl Store {
    pub fn new(sql: SqlStorage) -> Self {
        Self { sql }
    }

    pub fn create_schema(&self) -> Result<()> {
        for statement in SCHEMA {
            self.sql.exec(statement, None)?;
        }
        // Columns added after a session's object was first created (fails harmlessly when the
        // column is already there).
        for statement in super::schema::ADDED_COLUMNS {
            let _ = self.sql.exec(statement, None);
        }
        Ok(())
    }

    pub(super) fn rows<T: DeserializeOwned>(&self, query: &str, args: Vec<SqlStorageValue>) -> Result<Vec<T>> {
        self.sql.exec(query, Some(args))?.to_array()
    }

    pub(super) fn run(&self, query: &str, args: Vec<SqlStorageValue>) -> Result<()> {
        self.sql.exec(query, Some(args))?;
        Ok(())
    }

    // ----- meta -----

    pub fn meta(&self) -> Result<Option<Meta>> {
        let rows: Vec<MetaRow> = self.rows("SELECT * FROM meta WHERE id = 1", vec![])?;
        let Some(r) = rows.into_iter().next() else {
            return Ok(None);
        };
        Ok(Some(Meta {
            summary: SessionSummary {
                id: r.session_id,
                repo: r.repo,
                branch: r.branch,
                model: r.model,
                title: r.title,
                status: SessionStatus::parse(&r.status).ok_or_else(|| err("bad status"))?,
                archived: r.archived != 0,
                private: r.private != 0,
                created_by: serde_json::from_str(&r.created_by).map_err(err)?,
                created_at: r.created_at,
                updated_at: r.updated_at,
            },
            last_seq: r.last_seq as u64,
            sandbox_status: parse_enum(&r.sandbox_status)?,
            sandbox_id: r.sandbox_id,
            sandbox_token_hash: r.sandbox_token_hash,
            bridge_acked_through: r.bridge_acked_through as u64,
            bridge_connection: r.bridge_connection,
        }))
    }

    pub fn insert_meta(&self, s: &SessionSummary) -> Result<()> {
        self.run(
            "INSERT INTO meta (id, session_id, repo, branch, model, title, status, archived, created_by,
                               created_at, updated_at, private)
             VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                s.id.as_str().into(),
                s.repo.as_str().into(),
                s.branch.as_str().into(),
                s.model.as_str().into(),
                s.title.clone().into(),
                s.status.as_str().into(),
                (s.archived as i64).into(),
                serde_json::to_string(&s.created_by).map_err(err)?.into(),
                s.created_at.into(),
                s.updated_at.into(),
                (s.private as i64).into(),
            ],
        )
    }

    /// Saves the summary fields that change (status, archive flag, title, activity time).
    pub fn save_summary(&self, s: &SessionSummary) -> Result<()> {
        self.run(
            "UPDATE meta SET status = ?, archived = ?, title = ?, updated_at = ? WHERE id = 1",
            vec![s.status.as_str().into(), (s.archived as i64).into(), s.title.clone().into(), s.updated_at.into()],
        )
    }

    pub fn set_sandbox_status(&self, status: SandboxStatus) -> Result<()> {
        self.run("UPDATE meta SET sandbox_status = ? WHERE id = 1", vec![enum_str(status).into()])
    }

    /// A new sandbox: its id and token hash; acknowledgements start again from zero.
    pub fn set_sandbox(&self, sandbox_id: &str, token_hash: &str, status: SandboxStatus) -> Result<()> {
        self.run(
            "UPDATE meta SET sandbox_id = ?, sandbox_token_hash = ?, sandbox_status = ?,
                             bridge_acked_through = 0, bridge_connection = NULL WHERE id = 1",
            vec![sandbox_id.into(), token_hash.into(), enum_str(status).into()],
        )
    }

    /// Forgets the sandbox token: a stopped sandbox's token opens nothing any more.
    pub fn revoke_sandbox_token(&self) -> Result<()> {
        self.run("UPDATE meta SET sandbox_token_hash = NULL WHERE id = 1", vec![])
    }

    pub fn set_bridge_connection(&self, connection: Option<&str>, runtime: Option<&str>) -> Result<()> {
        self.run(
            "UPDATE meta SET bridge_connection = ?, bridge_runtime = COALESCE(?, bridge_runtime) WHERE id = 1",
            vec![connection.map(str::to_string).into(), runtime.map(str::to_string).into()],
        )
    }

    pub fn set_bridge_acked(&self, through: u64) -> Result<()> {
        self.run("UPDATE meta SET bridge_acked_through = ? WHERE id = 1", vec![(through as i64).into()])
    }

    // ----- events -----

    /// Appends an event with the next `seq`.
    pub fn append_event(&self, body: EventBody, at: i64) -> Result<(SessionEvent, String)> {
        #[derive(Deserialize)]
        struct Seq {
            last_seq: i64,
        }
        let seq: Vec<Seq> =
            self.rows("UPDATE meta SET last_seq = last_seq + 1 WHERE id = 1 RETURNING last_seq", vec![])?;
        let seq = seq.first().ok_or_else(|| err("no session row"))?.last_seq as u64;
        let event = SessionEvent { seq, at, body };
        let json = serde_json::to_string(&event).map_err(err)?;
        self.run(
            "INSERT INTO events (seq, message_id, json) VALUES (?, ?, ?)",
            vec![(seq as i64).into(), event.body.message_id().map(str::to_string).into(), json.as_str().into()],
        )?;
        Ok((event, json))
    }

    /// Events with `seq > after`, oldest first, at most `limit` when given.
    pub fn events_after(&self, after: u64, limit: Option<u32>) -> Result<Vec<SessionEvent>> {
        let rows: Vec<JsonRow> = match limit {
            Some(limit) => self.rows(
                "SELECT json FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                vec![(after as i64).into(), (limit as i64).into()],
            )?,
            None => self.rows("SELECT json FROM events WHERE seq > ? ORDER BY seq", vec![(after as i64).into()])?,
        };
        rows.into_iter().map(|r| serde_json::from_str(&r.json).map_err(err)).collect()
    }

    pub fn events_of_message(&self, message_id: &str) -> Result<Vec<SessionEvent>> {
        let rows: Vec<JsonRow> =
            self.rows("SELECT json FROM events WHERE message_id = ? ORDER BY seq", vec![message_id.into()])?;
        rows.into_iter().map(|r| serde_json::from_str(&r.json).map_err(err)).collect()
    }

    pub fn apply_compaction(&self, plan: &CompactionPlan) -> Result<()> {
        for seq in &plan.delete {
            self.run("DELETE FROM events WHERE seq = ?", vec![(*seq as i64).into()])?;
        }
        for event in &plan.rewrite {
            let json = serde_json::to_string(event).map_err(err)?;
            self.run("UPDATE events SET json = ? WHERE seq = ?", vec![json.into(), (event.seq as i64).into()])?;
        }
        Ok(())
    }

    // ----- prompts -----

    /// Prompts not yet finished or cancelled, in arrival order.
    pub fn unfinished_prompts(&self) -> Result<Vec<Prompt>> {
        let rows: Vec<PromptRow> = self.rows(
            &format!(
                "SELECT {PROMPT_COLUMNS} FROM prompts
                 WHERE status IN ('queued', 'processing', 'stopping') ORDER BY ord"
            ),
            vec![],
        )?;
        rows.into_iter().map(PromptRow::into_prompt).collect()
    }

    pub fn prompt(&self, message_id: &str) -> Result<Option<Prompt>> {
        let rows: Vec<PromptRow> =
            self.rows(&format!("SELECT {PROMPT_COLUMNS} FROM prompts WHERE message_id = ?"), vec![message_id.into()])?;
        rows.into_iter().next().map(PromptRow::into_prompt).transpose()
    }

    pub fn prompt_by_request(&self, client_request_id: &str) -> Result<Option<Prompt>> {
        let rows: Vec<PromptRow> = self.rows(
            &format!("SELECT {PROMPT_COLUMNS} FROM prompts WHERE client_request_id = ?"),
            vec![client_request_id.into()],
        )?;
        rows.into_iter().next().map(PromptRow::into_prompt).transpose()
    }

    pub fn any_prompt(&self) -> Result<bool> {
        #[derive(Deserialize)]
        struct N {
            n: i64,
        }
        let n: Vec<N> = self.rows("SELECT COUNT(*) AS n FROM prompts WHERE status != 'cancelled'", vec![])?;
        Ok(n.first().map(|n| n.n > 0).unwrap_or(false))
    }

    pub fn insert_prompt(&self, p: &Prompt) -> Result<()> {
        self.run(
            "INSERT INTO prompts (message_id, client_request_id, text, model, author, status, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
            vec![
                p.message_id.as_str().into(),
                p.client_request_id.as_str().into(),
                p.text.as_str().into(),
                p.model.clone().into(),
                serde_json::to_string(&p.author).map_err(err)?.into(),
                enum_str(p.status).into(),
                p.created_at.into(),
            ],
        )
    }

    pub fn set_prompt_status(&self, message_id: &str, status: PromptStatus, at: i64) -> Result<()> {
        let status_str = enum_str(status);
        match status {
            PromptStatus::Processing => self.run(
                "UPDATE prompts SET status = ?, started_at = ? WHERE message_id = ?",
                vec![status_str.into(), at.into(), message_id.into()],
            ),
            PromptStatus::Finished | PromptStatus::Cancelled => self.run(
                "UPDATE prompts SET status = ?, finished_at = ? WHERE message_id = ?",
                vec![status_str.into(), at.into(), message_id.into()],
            ),
            PromptStatus::Queued | PromptStatus::Stopping => self
                .run("UPDATE prompts SET status = ? WHERE message_id = ?", vec![status_str.into(), message_id.into()]),
        }
    }
}
