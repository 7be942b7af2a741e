//! The prompt queue's rows, in arrival order.

use oi_protocol::{PromptStatus, QueuedPrompt, User};
use oi_session_core::lifecycle::Millis;
use oi_session_core::queue::QueueEntry;
use worker::Result;

use super::{enum_str, from_json, json, parse_enum, Row, SqlExec, Store};

/// A prompt row.
#[derive(Debug, Clone, PartialEq)]
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

    fn from_row(r: &Row) -> Result<Self> {
        Ok(Prompt {
            message_id: r.text(0)?,
            client_request_id: r.text(1)?,
            text: r.text(2)?,
            model: r.opt_text(3)?,
            author: from_json(&r.text(4)?)?,
            status: parse_enum(&r.text(5)?)?,
            created_at: r.int(6)?,
        })
    }
}

const PROMPT_COLUMNS: &str = "message_id, client_request_id, text, model, author, status, created_at";

impl<S: SqlExec> Store<S> {
    fn prompts_where(&self, condition: &str, args: Vec<super::SqlValue>) -> Result<Vec<Prompt>> {
        let rows = self.rows(&format!("SELECT {PROMPT_COLUMNS} FROM prompts WHERE {condition}"), args)?;
        rows.iter().map(Prompt::from_row).collect()
    }

    /// Prompts not yet finished or cancelled, in arrival order.
    pub fn unfinished_prompts(&self) -> Result<Vec<Prompt>> {
        self.prompts_where("status IN ('queued', 'processing', 'stopping') ORDER BY ord", vec![])
    }

    pub fn prompt(&self, message_id: &str) -> Result<Option<Prompt>> {
        Ok(self.prompts_where("message_id = ?", vec![message_id.into()])?.into_iter().next())
    }

    pub fn prompt_by_request(&self, client_request_id: &str) -> Result<Option<Prompt>> {
        Ok(self.prompts_where("client_request_id = ?", vec![client_request_id.into()])?.into_iter().next())
    }

    /// Whether any prompt was ever accepted and not cancelled.
    pub fn any_prompt(&self) -> Result<bool> {
        let rows = self.rows("SELECT COUNT(*) FROM prompts WHERE status != 'cancelled'", vec![])?;
        Ok(rows.first().map(|r| r.int(0)).transpose()?.unwrap_or(0) > 0)
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
                json(&p.author)?.into(),
                enum_str(p.status).into(),
                p.created_at.into(),
            ],
        )
    }

    pub fn set_prompt_status(&self, message_id: &str, status: PromptStatus, at: Millis) -> Result<()> {
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

    /// When the running prompt started, if one runs.
    pub fn running_since(&self) -> Result<Option<Millis>> {
        let rows =
            self.rows("SELECT started_at FROM prompts WHERE status IN ('processing', 'stopping') LIMIT 1", vec![])?;
        Ok(rows.first().map(|r| r.opt_int(0)).transpose()?.flatten())
    }

    /// Every prompt that was not cancelled, in the order sent: `(author, text)`.
    pub fn sent_prompts(&self) -> Result<Vec<(User, String)>> {
        let rows = self.rows("SELECT author, text FROM prompts WHERE status != 'cancelled' ORDER BY ord", vec![])?;
        rows.iter().map(|r| Ok((from_json(&r.text(0)?)?, r.text(1)?))).collect()
    }

    /// The prompt running now, if one runs.
    pub fn running_prompt(&self) -> Result<Option<String>> {
        let rows =
            self.rows("SELECT message_id FROM prompts WHERE status IN ('processing', 'stopping') LIMIT 1", vec![])?;
        rows.first().map(|r| r.text(0)).transpose()
    }

    /// The author of the prompt running now, else of the latest one sent.
    pub fn current_prompter(&self) -> Result<Option<User>> {
        let rows = self.rows(
            "SELECT author FROM prompts WHERE status != 'cancelled'
             ORDER BY (status IN ('processing', 'stopping')) DESC, ord DESC LIMIT 1",
            vec![],
        )?;
        rows.first().map(|r| from_json(&r.text(0)?)).transpose()
    }
}
