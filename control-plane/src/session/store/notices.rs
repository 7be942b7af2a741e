//! Notices for the session's origin, waiting to leave through the `JOBS` queue. A notice's id
//! says what it reports (a prompt, a pull request's opening or merge), so the same news is
//! written once however often it is recorded; sent ones are kept, so it is never sent again.

use worker::Result;

use super::{SqlExec, Store};

impl<S: SqlExec> Store<S> {
    /// Keeps a notice; false when one with this id was kept before.
    pub fn insert_notice(&self, id: &str, json: &str) -> Result<bool> {
        let before = self.rows("SELECT 1 FROM origin_notices WHERE id = ?", vec![id.into()])?;
        if !before.is_empty() {
            return Ok(false);
        }
        self.run("INSERT INTO origin_notices (id, json, sent) VALUES (?, ?, 0)", vec![id.into(), json.into()])?;
        Ok(true)
    }

    /// Notices not yet taken by the queue, oldest first: (id, JSON).
    pub fn unsent_notices(&self) -> Result<Vec<(String, String)>> {
        self.rows("SELECT id, json FROM origin_notices WHERE sent = 0 ORDER BY rowid", vec![])?
            .iter()
            .map(|r| Ok((r.text(0)?, r.text(1)?)))
            .collect()
    }

    /// How many notices have ids starting with `prefix`.
    pub fn notices_starting(&self, prefix: &str) -> Result<usize> {
        let rows = self.rows(
            "SELECT COUNT(*) FROM origin_notices WHERE substr(id, 1, ?) = ?",
            vec![(prefix.len() as i64).into(), prefix.into()],
        )?;
        Ok(rows.first().map(|r| r.int(0)).transpose()?.unwrap_or(0) as usize)
    }

    pub fn notice_sent(&self, id: &str) -> Result<()> {
        self.run("UPDATE origin_notices SET sent = 1 WHERE id = ?", vec![id.into()])
    }
}
