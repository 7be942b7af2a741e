//! The lifecycle row: the persisted facts the alarm decides on.

use oi_protocol::provider::ProviderCapabilities;
use oi_session_core::lifecycle::{Millis, SnapshotRef};
use worker::Result;

use super::{json, Row, SqlExec, Store};

/// A bridge frame moves the heartbeat (and activity) clocks; within this long of the last
/// write they are not written again (the deadlines they feed are tens of seconds or more).
pub const CLOCK_RESOLUTION_MS: Millis = 1_000;

/// The persisted lifecycle row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LifecycleRow {
    pub requested_at: Option<i64>,
    pub last_heartbeat: Option<i64>,
    pub last_activity: Option<i64>,
    pub extended_until: Option<i64>,
    pub warm_requested_at: Option<i64>,
    pub ran_prompt: bool,
    pub snapshot: Option<SnapshotRef>,
    pub snapshot_due: bool,
    pub spawn_failures: Vec<Millis>,
    pub retry_at: Option<i64>,
    pub blocked_reported: Option<i64>,
    pub capabilities: Option<ProviderCapabilities>,
    pub capabilities_at: Option<i64>,
}

const LIFECYCLE_COLUMNS: &str = "requested_at, last_heartbeat, last_activity, extended_until, warm_requested_at, \
                                 ran_prompt, snapshot_id, snapshot_generation, snapshot_due, spawn_failures, \
                                 retry_at, blocked_reported, capabilities, capabilities_at";

impl LifecycleRow {
    fn from_row(r: &Row) -> Result<Self> {
        Ok(LifecycleRow {
            requested_at: r.opt_int(0)?,
            last_heartbeat: r.opt_int(1)?,
            last_activity: r.opt_int(2)?,
            extended_until: r.opt_int(3)?,
            warm_requested_at: r.opt_int(4)?,
            ran_prompt: r.int(5)? != 0,
            snapshot: r
                .opt_text(6)?
                .map(|snapshot_id| {
                    Ok::<_, worker::Error>(SnapshotRef { snapshot_id, generation: r.opt_int(7)?.unwrap_or(0) as u32 })
                })
                .transpose()?,
            snapshot_due: r.int(8)? != 0,
            spawn_failures: serde_json::from_str(&r.text(9)?).unwrap_or_default(),
            retry_at: r.opt_int(10)?,
            blocked_reported: r.opt_int(11)?,
            capabilities: r.opt_text(12)?.and_then(|c| serde_json::from_str(&c).ok()),
            capabilities_at: r.opt_int(13)?,
        })
    }
}

impl<S: SqlExec> Store<S> {
    pub fn lifecycle(&self) -> Result<LifecycleRow> {
        if let Some(row) = self.lifecycle.borrow().as_ref() {
            return Ok(row.clone());
        }
        self.run("INSERT OR IGNORE INTO lifecycle (id) VALUES (1)", vec![])?;
        let rows = self.rows(&format!("SELECT {LIFECYCLE_COLUMNS} FROM lifecycle WHERE id = 1"), vec![])?;
        let row = rows.first().map(LifecycleRow::from_row).transpose()?.unwrap_or_default();
        *self.lifecycle.borrow_mut() = Some(row.clone());
        Ok(row)
    }

    /// Writes `sql` (one UPDATE of the row) and makes the same change in memory.
    fn lifecycle_update(
        &self,
        sql: &str,
        args: Vec<super::SqlValue>,
        change: impl FnOnce(&mut LifecycleRow),
    ) -> Result<()> {
        let mut row = self.lifecycle()?;
        self.run(&format!("UPDATE lifecycle SET {sql} WHERE id = 1"), args)?;
        change(&mut row);
        *self.lifecycle.borrow_mut() = Some(row);
        Ok(())
    }

    /// A new sandbox was asked for: its clocks start again.
    pub fn sandbox_requested(&self, now: Millis) -> Result<()> {
        self.lifecycle_update(
            "requested_at = ?, last_heartbeat = NULL, last_activity = ?, extended_until = NULL, ran_prompt = 0,
             retry_at = NULL, warm_requested_at = NULL",
            vec![now.into(), now.into()],
            |r| {
                r.requested_at = Some(now);
                r.last_heartbeat = None;
                r.last_activity = Some(now);
                r.extended_until = None;
                r.ran_prompt = false;
                r.retry_at = None;
                r.warm_requested_at = None;
            },
        )
    }

    /// The bridge said something: the sandbox is alive (and, for agent events, active).
    /// Written at most once per [`CLOCK_RESOLUTION_MS`].
    pub fn bridge_seen(&self, now: Millis, active: bool) -> Result<()> {
        let row = self.lifecycle()?;
        let fresh = |t: Option<Millis>| t.is_some_and(|t| now - t < CLOCK_RESOLUTION_MS && now >= t);
        if fresh(row.last_heartbeat) && (!active || fresh(row.last_activity)) {
            return Ok(());
        }
        if active {
            self.lifecycle_update("last_heartbeat = ?, last_activity = ?", vec![now.into(), now.into()], |r| {
                r.last_heartbeat = Some(now);
                r.last_activity = Some(now);
            })
        } else {
            self.lifecycle_update("last_heartbeat = ?", vec![now.into()], |r| r.last_heartbeat = Some(now))
        }
    }

    pub fn prompt_dispatched(&self, now: Millis) -> Result<()> {
        self.lifecycle_update("ran_prompt = 1, last_activity = ?, extended_until = NULL", vec![now.into()], |r| {
            r.ran_prompt = true;
            r.last_activity = Some(now);
            r.extended_until = None;
        })
    }

    pub fn set_snapshot_due(&self, due: bool) -> Result<()> {
        self.lifecycle_update("snapshot_due = ?", vec![due.into()], |r| r.snapshot_due = due)
    }

    pub fn set_snapshot(&self, snapshot: Option<&SnapshotRef>) -> Result<()> {
        self.lifecycle_update(
            "snapshot_id = ?, snapshot_generation = ?, snapshot_due = 0",
            vec![snapshot.map(|s| s.snapshot_id.clone()).into(), snapshot.map(|s| s.generation as i64).into()],
            |r| {
                r.snapshot = snapshot.cloned();
                r.snapshot_due = false;
            },
        )
    }

    pub fn warm_requested(&self, now: Millis) -> Result<()> {
        self.lifecycle_update("warm_requested_at = ?, last_activity = ?", vec![now.into(), now.into()], |r| {
            r.warm_requested_at = Some(now);
            r.last_activity = Some(now);
        })
    }

    pub fn extend(&self, until: Millis) -> Result<()> {
        self.lifecycle_update("extended_until = ?", vec![until.into()], |r| r.extended_until = Some(until))
    }

    /// A permanent spawn failure, for the circuit breaker (the last 20 are kept).
    pub fn spawn_failed(&self, now: Millis) -> Result<()> {
        let mut failures = self.lifecycle()?.spawn_failures;
        failures.push(now);
        let keep = failures.len().saturating_sub(20);
        let failures = failures[keep..].to_vec();
        self.lifecycle_update("spawn_failures = ?, retry_at = NULL", vec![json(&failures)?.into()], |r| {
            r.spawn_failures = failures;
            r.retry_at = None;
        })
    }

    pub fn retry_at(&self, at: Option<Millis>) -> Result<()> {
        self.lifecycle_update("retry_at = ?", vec![at.into()], |r| r.retry_at = at)
    }

    pub fn blocked_reported(&self, until: Millis) -> Result<()> {
        self.lifecycle_update("blocked_reported = ?", vec![until.into()], |r| r.blocked_reported = Some(until))
    }

    pub fn set_capabilities(&self, caps: &ProviderCapabilities, now: Millis) -> Result<()> {
        self.lifecycle_update("capabilities = ?, capabilities_at = ?", vec![json(caps)?.into(), now.into()], |r| {
            r.capabilities = Some(*caps);
            r.capabilities_at = Some(now);
        })
    }
}
