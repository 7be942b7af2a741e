//! SQL for the lifecycle facts (the `lifecycle` row) the alarm decides on.

use oi_protocol::provider::ProviderCapabilities;
use oi_session_core::lifecycle::{Millis, SnapshotRef};
use serde::Deserialize;
use worker::{Result, SqlStorageValue};

use super::store::Store;

/// The persisted lifecycle row.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LifecycleRow {
    pub requested_at: Option<i64>,
    pub last_heartbeat: Option<i64>,
    pub last_activity: Option<i64>,
    pub extended_until: Option<i64>,
    pub warm_requested_at: Option<i64>,
    pub ran_prompt: i64,
    pub snapshot_id: Option<String>,
    pub snapshot_generation: Option<i64>,
    pub snapshot_due: i64,
    pub spawn_failures: String,
    pub retry_at: Option<i64>,
    pub blocked_reported: Option<i64>,
    pub capabilities: Option<String>,
    pub capabilities_at: Option<i64>,
}

impl LifecycleRow {
    pub fn snapshot(&self) -> Option<SnapshotRef> {
        Some(SnapshotRef {
            snapshot_id: self.snapshot_id.clone()?,
            generation: self.snapshot_generation.unwrap_or(0) as u32,
        })
    }

    pub fn failures(&self) -> Vec<Millis> {
        serde_json::from_str(&self.spawn_failures).unwrap_or_default()
    }

    pub fn capabilities(&self) -> Option<ProviderCapabilities> {
        serde_json::from_str(self.capabilities.as_deref()?).ok()
    }
}

fn opt(v: Option<i64>) -> SqlStorageValue {
    v.into()
}

impl Store {
    pub fn lifecycle(&self) -> Result<LifecycleRow> {
        self.run("INSERT OR IGNORE INTO lifecycle (id) VALUES (1)", vec![])?;
        let rows: Vec<LifecycleRow> = self.rows("SELECT * FROM lifecycle WHERE id = 1", vec![])?;
        Ok(rows.into_iter().next().unwrap_or_default())
    }

    /// A new sandbox was asked for: its clocks start again.
    pub fn sandbox_requested(&self, now: Millis) -> Result<()> {
        self.run(
            "UPDATE lifecycle SET requested_at = ?, last_heartbeat = NULL, last_activity = ?, extended_until = NULL,
                                  ran_prompt = 0, retry_at = NULL, warm_requested_at = NULL WHERE id = 1",
            vec![now.into(), now.into()],
        )
    }

    /// The bridge said something: the sandbox is alive (and, for agent events, active).
    pub fn bridge_seen(&self, now: Millis, active: bool) -> Result<()> {
        if active {
            self.run(
                "UPDATE lifecycle SET last_heartbeat = ?, last_activity = ? WHERE id = 1",
                vec![now.into(), now.into()],
            )
        } else {
            self.run("UPDATE lifecycle SET last_heartbeat = ? WHERE id = 1", vec![now.into()])
        }
    }

    pub fn prompt_dispatched(&self, now: Millis) -> Result<()> {
        self.run(
            "UPDATE lifecycle SET ran_prompt = 1, last_activity = ?, extended_until = NULL WHERE id = 1",
            vec![now.into()],
        )
    }

    pub fn set_snapshot_due(&self, due: bool) -> Result<()> {
        self.run("UPDATE lifecycle SET snapshot_due = ? WHERE id = 1", vec![(due as i64).into()])
    }

    pub fn set_snapshot(&self, snapshot: Option<&SnapshotRef>) -> Result<()> {
        self.run(
            "UPDATE lifecycle SET snapshot_id = ?, snapshot_generation = ?, snapshot_due = 0 WHERE id = 1",
            vec![snapshot.map(|s| s.snapshot_id.clone()).into(), opt(snapshot.map(|s| s.generation as i64))],
        )
    }

    pub fn warm_requested(&self, now: Millis) -> Result<()> {
        self.run(
            "UPDATE lifecycle SET warm_requested_at = ?, last_activity = ? WHERE id = 1",
            vec![now.into(), now.into()],
        )
    }

    pub fn extend(&self, until: Millis) -> Result<()> {
        self.run("UPDATE lifecycle SET extended_until = ? WHERE id = 1", vec![until.into()])
    }

    /// A permanent spawn failure, for the circuit breaker (the last 20 are kept).
    pub fn spawn_failed(&self, now: Millis) -> Result<()> {
        let mut failures = self.lifecycle()?.failures();
        failures.push(now);
        let keep = failures.len().saturating_sub(20);
        let json = serde_json::to_string(&failures[keep..]).expect("numbers serialize");
        self.run("UPDATE lifecycle SET spawn_failures = ?, retry_at = NULL WHERE id = 1", vec![json.into()])
    }

    pub fn retry_at(&self, at: Option<Millis>) -> Result<()> {
        self.run("UPDATE lifecycle SET retry_at = ? WHERE id = 1", vec![opt(at)])
    }

    pub fn blocked_reported(&self, until: Millis) -> Result<()> {
        self.run("UPDATE lifecycle SET blocked_reported = ? WHERE id = 1", vec![until.into()])
    }

    pub fn set_capabilities(&self, caps: &ProviderCapabilities, now: Millis) -> Result<()> {
        let json = serde_json::to_string(caps).expect("protocol types serialize");
        self.run(
            "UPDATE lifecycle SET capabilities = ?, capabilities_at = ? WHERE id = 1",
            vec![json.into(), now.into()],
        )
    }

    /// When the running prompt started, if one runs.
    pub fn running_since(&self) -> Result<Option<Millis>> {
        #[derive(Deserialize)]
        struct Row {
            started_at: Option<i64>,
        }
        let rows: Vec<Row> =
            self.rows("SELECT started_at FROM prompts WHERE status IN ('processing', 'stopping') LIMIT 1", vec![])?;
        Ok(rows.into_iter().next().and_then(|r| r.started_at))
    }
}
