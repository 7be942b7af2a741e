//! The minute tick (the Worker's cron trigger): each schedule whose next slot has come gets
//! one run for it, or a skipped run when the tick came too late; runs whose start was lost are
//! started again.
//!
//! Invariant: a slot runs at most once however many ticks see it, late, repeated or at the same
//! time: the run is written under `UNIQUE (automation_id, slot)` and only the tick whose insert
//! took queues it; the schedule's `next_run_at` then moves by compare-and-swap. The decision
//! (run, skip or wait, and the next slot) is `oi_integrations::schedule::on_tick`.

use oi_integrations::schedule::{on_tick, Schedule, Tick};
use oi_protocol::automations::{Trigger, TriggerKind};
use worker::Env;

use super::runs::{self, NewRun};
use super::{run_store, store};
use crate::jobs::{self, Work};

/// A run still without a prompt between these ages is started again at each tick (its job
/// was lost, or is waiting out a retry; starting twice is harmless). Older ones are left to
/// the queue's retries, which end the run when they give up.
const RESTART_AFTER_MS: i64 = 5 * 60_000;
const RESTART_UNTIL_MS: i64 = 15 * 60_000;

/// What one tick did (for the log and the tests).
#[derive(Debug, Default, serde::Serialize)]
pub struct Ticked {
    pub started: Vec<String>,
    pub skipped: Vec<String>,
    pub restarted: Vec<String>,
}

/// One tick at `now` (the later of the trigger's scheduled time and the clock).
pub async fn tick(env: &Env, now: i64) -> worker::Result<Ticked> {
    let mut ticked = Ticked::default();
    for stored in store::due_schedules(env, now).await? {
        let a = stored.automation;
        let (Some(next_run_at), Trigger::Schedule { cron, timezone }) = (a.next_run_at, &a.trigger) else {
            continue;
        };
        let schedule = match Schedule::parse(cron, timezone) {
            Ok(s) => s,
            Err(e) => {
                // Saved schedules were checked; one that no longer parses (a newer rule) stops.
                let why = format!("its schedule is no longer valid: {e}");
                store::pause_itself(env, &a.id, &why, now).await?;
                continue;
            }
        };
        let (slot, next, skipped) = match on_tick(&schedule, next_run_at, now) {
            Tick::Wait => continue,
            Tick::Run { slot, next } => (slot, next, None),
            Tick::Skip { slot, late_ms, next } => {
                (slot, next, Some(format!("missed: the tick came {} minutes late", late_ms / 60_000)))
            }
        };
        let mut new = NewRun::new(TriggerKind::Schedule, slot);
        new.slot = Some(slot);
        new.skipped = skipped.clone();
        let recorded = runs::record(env, &a, new).await?;
        store::advance_slot(env, &a.id, next_run_at, next).await?;
        if let Some(run) = recorded {
            match skipped {
                Some(_) => ticked.skipped.push(run.id),
                None => ticked.started.push(run.id),
            }
        }
    }
    for run_id in run_store::unstarted(env, now - RESTART_UNTIL_MS, now - RESTART_AFTER_MS).await? {
        jobs::enqueue(env, Work::StartRun { run_id: run_id.clone() }).await?;
        ticked.restarted.push(run_id);
    }
    Ok(ticked)
}
