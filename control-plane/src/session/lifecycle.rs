//! The sandbox's life as the session records it: the facts the alarm decides on, and what each
//! step does to the session (ids and tokens, statuses, notices, failed prompts, the circuit
//! breaker). The decisions are `oi_session_core::lifecycle`; the provider calls around these
//! steps are in `alarm.rs`.
//!
//! Invariant: every deadline runs from the one persisted alarm, and every fact it decides on
//! is in SQLite (or the provider's cached capabilities), so nothing depends on memory that
//! hibernation or eviction can wipe.

use oi_protocol::bridge::{BridgeCommand, CLOSE_REPLACED};
use oi_protocol::events::NoticeLevel;
use oi_protocol::provider::SnapshotInfo;
use oi_protocol::{PromptStatus, SandboxStatus};
use oi_session_core::lifecycle::{
    AfterStop, Facts, Millis, SnapshotRef, StartFrom, StartPlan, StopPlan, StopReason, Timing,
};
use oi_session_core::queue;
use worker::Result;

use super::effects::{Effect, Turn};
use super::prompt_queue;
use super::store::{SqlExec, Store};
use crate::ids;
use crate::provider_client::ProviderError;

/// What the deployment says, for the facts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Settings {
    pub provider_configured: bool,
    pub min_generation: u32,
}

/// The facts of the session's sandbox (`None` without a session). The repo image is left for
/// the caller to look up when a start may be due.
pub fn facts<S: SqlExec>(
    store: &Store<S>,
    settings: Settings,
    bridge_connected: bool,
    clients_connected: bool,
) -> Result<Option<Facts>> {
    let Some(status) = store.meta_field(|m| m.sandbox_status)? else { return Ok(None) };
    let row = store.lifecycle()?;
    let unfinished = store.unfinished_prompts()?;
    Ok(Some(Facts {
        provider_configured: settings.provider_configured,
        capabilities: row.capabilities.unwrap_or_default(),
        status,
        bridge_connected,
        requested_at: row.requested_at,
        last_heartbeat: row.last_heartbeat,
        last_activity: row.last_activity,
        extended_until: row.extended_until,
        work_waiting: unfinished.iter().any(|p| p.status == PromptStatus::Queued),
        running_since: store.running_since()?,
        warm_requested_at: row.warm_requested_at,
        ran_prompt: row.ran_prompt,
        clients_connected,
        snapshot: row.snapshot,
        image: None,
        min_generation: settings.min_generation,
        spawn_failures: row.spawn_failures,
        retry_at: row.retry_at,
        snapshot_due: row.snapshot_due,
        blocked_reported: row.blocked_reported,
    }))
}

/// A duration for people: `90 s`, `10 min`.
pub fn human(ms: Millis) -> String {
    if ms < 120_000 {
        format!("{} s", (ms + 999) / 1000)
    } else {
        format!("{} min", ms / 60_000)
    }
}

/// Whether a `typing` now would start a sandbox: the session has none, and no early start is
/// already wanted.
pub fn typing_would_start<S: SqlExec>(store: &Store<S>, now: Millis, timing: &Timing) -> Result<bool> {
    let Some(status) = store.meta_field(|m| m.sandbox_status)? else { return Ok(false) };
    let idle = matches!(status, SandboxStatus::None | SandboxStatus::Stopped | SandboxStatus::Failed);
    let pending = store.lifecycle()?.warm_requested_at.is_some_and(|t| now - t < timing.warm_release);
    Ok(idle && !pending)
}

/// Someone is composing: a sandbox may be started early.
pub fn typing<S: SqlExec>(turn: &mut Turn<S>) -> Result<()> {
    turn.store.warm_requested(turn.now)?;
    turn.emit(Effect::LifecycleChanged);
    Ok(())
}

/// A new sandbox is asked for: a refused snapshot is reported and forgotten, the sandbox gets
/// an id and a token (only its hash is kept), its clocks start. Returns `(sandbox_id, token)`.
pub fn begin_start<S: SqlExec>(turn: &mut Turn<S>, plan: &StartPlan) -> Result<(String, String)> {
    if let Some(refused) = &plan.refused {
        turn.notice(
            NoticeLevel::Warning,
            format!(
                "snapshot {} was taken with runtime generation {} and the floor is {}: it is not restored; a fresh \
                 sandbox starts from the pushed session branch",
                refused.snapshot.snapshot_id, refused.snapshot.generation, refused.floor
            ),
        )?;
        turn.store.set_snapshot(None)?;
    }
    let sandbox_id = turn.new_id("sbx");
    let token = ids::new_token();
    turn.store.set_sandbox(&sandbox_id, &ids::sha256_hex(&token), SandboxStatus::Spawning)?;
    turn.store.sandbox_requested(turn.now)?;
    let message = match &plan.from {
        StartFrom::Restore(s) => format!("restoring snapshot {}", s.snapshot_id),
        StartFrom::Image(_) | StartFrom::Fresh => "starting a sandbox".to_string(),
    };
    turn.sandbox_event(SandboxStatus::Spawning, Some(sandbox_id.clone()), message)?;
    Ok((sandbox_id, token))
}

/// A warm-pool sandbox claimed for this session: it gets a token of this session.
pub fn adopt<S: SqlExec>(turn: &mut Turn<S>, sandbox_id: &str) -> Result<String> {
    let token = ids::new_token();
    turn.store.set_sandbox(sandbox_id, &ids::sha256_hex(&token), SandboxStatus::Spawning)?;
    turn.store.sandbox_requested(turn.now)?;
    turn.emit(Effect::LifecycleChanged);
    turn.sandbox_event(SandboxStatus::Spawning, Some(sandbox_id.to_string()), "claimed a warm sandbox".into())?;
    Ok(token)
}

/// The claim failed: back to no sandbox; the first prompt starts one the usual way.
pub fn adopt_failed<S: SqlExec>(turn: &mut Turn<S>, error: &ProviderError) -> Result<()> {
    let Some(meta) = turn.store.meta()? else { return Ok(()) };
    turn.set_sandbox_status(&meta, SandboxStatus::None, Some(format!("the warm sandbox could not be claimed: {error}")))
}

/// A spawn failed: a transient failure is retried later; a permanent one counts toward the
/// circuit breaker and fails the waiting prompts. A failure of an older sandbox is ignored.
pub fn spawn_failed<S: SqlExec>(
    turn: &mut Turn<S>,
    sandbox_id: &str,
    error: &ProviderError,
    timing: &Timing,
) -> Result<()> {
    let Some(meta) = turn.store.meta()? else { return Ok(()) };
    if meta.sandbox_id.as_deref() != Some(sandbox_id) {
        return Ok(());
    }
    if error.transient {
        turn.store.retry_at(Some(turn.now + timing.transient_retry))?;
        return turn.set_sandbox_status(&meta, SandboxStatus::Failed, Some(format!("{error}; retrying shortly")));
    }
    turn.store.spawn_failed(turn.now)?;
    turn.set_sandbox_status(&meta, SandboxStatus::Failed, Some(error.message.clone()))?;
    turn.notice(NoticeLevel::Error, format!("could not start a sandbox: {error}"))?;
    prompt_queue::fail_all_waiting(turn, &format!("could not start a sandbox: {error}"))
}

/// The circuit breaker is open: said once per opening.
pub fn report_blocked<S: SqlExec>(turn: &mut Turn<S>, until: Millis, timing: &Timing) -> Result<()> {
    if turn.store.lifecycle()?.blocked_reported == Some(until) {
        return Ok(());
    }
    turn.store.blocked_reported(until)?;
    let wait_s = ((until - turn.now).max(0) + 999) / 1000;
    turn.notice(
        NoticeLevel::Error,
        format!(
            "sandbox starts are paused after {} failures within {}; waiting prompts start in {wait_s} s",
            timing.breaker_failures,
            human(timing.breaker_window)
        ),
    )
}

/// An idle sandbox is kept longer for someone watching.
pub fn extend<S: SqlExec>(turn: &mut Turn<S>, until: Millis) -> Result<()> {
    turn.store.extend(until)?;
    turn.notice(NoticeLevel::Info, "the idle sandbox is kept for 5 more minutes while someone is watching")
}

pub fn snapshot_saved<S: SqlExec>(turn: &mut Turn<S>, info: SnapshotInfo) -> Result<()> {
    let size = info.size_bytes.map(|b| format!(", {} KiB", b / 1024)).unwrap_or_default();
    turn.notice(NoticeLevel::Info, format!("saved snapshot {}{size}", info.snapshot_id))?;
    turn.store.set_snapshot(Some(&SnapshotRef { snapshot_id: info.snapshot_id, generation: info.runtime_generation }))
}

/// A stop begins: the sandbox is `stopping` while it is snapshotted and terminated.
pub fn stopping<S: SqlExec>(turn: &mut Turn<S>) -> Result<Option<String>> {
    let Some(meta) = turn.store.meta()? else { return Ok(None) };
    let Some(sandbox_id) = meta.sandbox_id.clone() else { return Ok(None) };
    turn.set_sandbox_status(&meta, SandboxStatus::Stopping, None)?;
    Ok(Some(sandbox_id))
}

/// The sandbox was terminated: its bridge is closed and its token revoked, and what the plan
/// says follows. Nothing is changed when a newer sandbox was asked for meanwhile.
pub fn stopped<S: SqlExec>(turn: &mut Turn<S>, sandbox_id: &str, plan: &StopPlan, timing: &Timing) -> Result<()> {
    turn.emit(Effect::CloseBridges { code: CLOSE_REPLACED, reason: "sandbox stopped" });
    turn.bridge_connected = false;
    let Some(meta) = turn.store.meta()? else { return Ok(()) };
    if meta.sandbox_id.as_deref() != Some(sandbox_id) {
        return Ok(());
    }
    turn.store.revoke_sandbox_token()?;
    let message = match plan.reason {
        StopReason::Inactive => format!("stopped after {} without activity", human(timing.inactivity)),
        StopReason::WarmUnused => "released: it was started early but no prompt came".to_string(),
        StopReason::HeartbeatStale => {
            format!(
                "stopped responding for {}; a new sandbox restores the last snapshot",
                human(timing.heartbeat_stale)
            )
        }
        StopReason::ConnectTimeout => format!("did not become ready within {}", human(timing.connect_watchdog)),
    };
    turn.set_sandbox_status(&meta, plan.status, Some(message.clone()))?;
    match plan.then {
        AfterStop::Nothing => Ok(()),
        AfterStop::FailRunningPrompt => prompt_queue::fail_active(turn, &format!("the sandbox {message}")),
        AfterStop::FailWaiting => {
            turn.store.spawn_failed(turn.now)?;
            prompt_queue::fail_all_waiting(turn, &format!("the sandbox {message}"))
        }
    }
}

/// The running prompt has run too long: the bridge is told to stop it, and it fails.
pub fn time_out<S: SqlExec>(turn: &mut Turn<S>, timing: &Timing) -> Result<()> {
    for p in turn.store.unfinished_prompts()? {
        if queue::is_active(p.status) {
            turn.emit(Effect::ToBridge(BridgeCommand::Stop { message_id: p.message_id.clone() }));
            let limit = human(timing.execution_timeout);
            let why = format!("the prompt ran longer than {limit}");
            prompt_queue::finish(turn, &p.message_id, oi_protocol::events::PromptOutcome::Failed, Some(why))?;
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "lifecycle_tests.rs"]
mod tests;
