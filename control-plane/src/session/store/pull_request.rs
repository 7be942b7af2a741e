//! The session's pull request (protocol `PullRequest`), once opened.

use oi_protocol::source_control::PullRequest;
use worker::Result;

use super::{from_json, json, SqlExec, Store};

impl<S: SqlExec> Store<S> {
    pub fn pull_request(&self) -> Result<Option<PullRequest>> {
        let rows = self.rows("SELECT json FROM pull_request WHERE id = 1", vec![])?;
        rows.first().map(|r| from_json(&r.text(0)?)).transpose()
    }

    pub fn save_pull_request(&self, pr: &PullRequest) -> Result<()> {
        self.run(
            "INSERT INTO pull_request (id, json) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json",
            vec![json(pr)?.into()],
        )
    }
}
