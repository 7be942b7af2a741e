//! What the session's pull request needs from its SQLite: the PR itself, who prompted, the
//! last pushed commit and the agent's last words.

use oi_protocol::events::{Commit, EventBody, SessionEvent, ToolCall};
use oi_protocol::source_control::PullRequest;
use oi_protocol::User;
use serde::Deserialize;
use worker::Result;

use super::store::Store;

#[derive(Deserialize)]
struct JsonRow {
    json: String,
}

fn err(e: impl std::fmt::Display) -> worker::Error {
    worker::Error::RustError(e.to_string())
}

impl Store {
    pub fn pull_request(&self) -> Result<Option<PullRequest>> {
        let rows: Vec<JsonRow> = self.rows("SELECT json FROM pull_request WHERE id = 1", vec![])?;
        rows.into_iter().next().map(|r| serde_json::from_str(&r.json).map_err(err)).transpose()
    }

    pub fn save_pull_request(&self, pr: &PullRequest) -> Result<()> {
        let json = serde_json::to_string(pr).map_err(err)?;
        self.run(
            "INSERT INTO pull_request (id, json) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json",
            vec![json.into()],
        )
    }

    /// Every prompt that was not cancelled, in the order sent: `(author, text)`.
    pub fn sent_prompts(&self) -> Result<Vec<(User, String)>> {
        #[derive(Deserialize)]
        struct Row {
            author: String,
            text: String,
        }
        let rows: Vec<Row> =
            self.rows("SELECT author, text FROM prompts WHERE status != 'cancelled' ORDER BY ord", vec![])?;
        rows.into_iter().map(|r| Ok((serde_json::from_str(&r.author).map_err(err)?, r.text))).collect()
    }

    /// The author of the prompt running now, else of the latest one sent.
    pub fn current_prompter(&self) -> Result<Option<User>> {
        #[derive(Deserialize)]
        struct Row {
            author: String,
        }
        let rows: Vec<Row> = self.rows(
            "SELECT author FROM prompts WHERE status != 'cancelled'
             ORDER BY (status IN ('processing', 'stopping')) DESC, ord DESC LIMIT 1",
            vec![],
        )?;
        rows.into_iter().next().map(|r| serde_json::from_str(&r.author).map_err(err)).transpose()
    }

    fn last_event_of(&self, kind: &str) -> Result<Option<SessionEvent>> {
        let rows: Vec<JsonRow> = self.rows(
            "SELECT json FROM events WHERE json_extract(json, '$.type') = ? ORDER BY seq DESC LIMIT 1",
            vec![kind.into()],
        )?;
        rows.into_iter().next().map(|r| serde_json::from_str(&r.json).map_err(err)).transpose()
    }

    /// The newest commit that reached the remote.
    pub fn last_pushed_commit(&self) -> Result<Option<Commit>> {
        let rows: Vec<JsonRow> = self.rows(
            "SELECT json FROM events WHERE json_extract(json, '$.type') = 'commit'
               AND json_extract(json, '$.pushed') = 1 ORDER BY seq DESC LIMIT 1",
            vec![],
        )?;
        let event: Option<SessionEvent> =
            rows.into_iter().next().map(|r| serde_json::from_str(&r.json).map_err(err)).transpose()?;
        Ok(event.and_then(|e| match e.body {
            EventBody::Commit(c) => Some(c),
            _ => None,
        }))
    }

    /// Every shell call the agent made, in order (its last state each).
    pub fn shell_calls(&self) -> Result<Vec<ToolCall>> {
        let rows: Vec<JsonRow> = self.rows(
            "SELECT json FROM events WHERE json_extract(json, '$.type') = 'tool_call'
               AND json_extract(json, '$.tool') = 'bash' ORDER BY seq",
            vec![],
        )?;
        let mut calls: Vec<ToolCall> = Vec::new();
        for row in rows {
            let event: SessionEvent = serde_json::from_str(&row.json).map_err(err)?;
            if let EventBody::ToolCall(call) = event.body {
                // Live (not yet compacted) calls have one event per state: keep the last.
                calls.retain(|c| c.part_id != call.part_id);
                calls.push(call);
            }
        }
        Ok(calls)
    }

    /// The agent's last text part (its closing words: usually a summary of what it did).
    pub fn last_agent_text(&self) -> Result<Option<String>> {
        Ok(self.last_event_of("text")?.and_then(|e| match e.body {
            EventBody::Text(t) => Some(t.text),
            _ => None,
        }))
    }
}
