//! Sandbox lifecycle decisions, as pure functions of the session's persisted facts and the
//! clock. The Durable Object gathers [`Facts`], asks [`decide`] what to do now and
//! [`next_alarm`] when to look again, and does the I/O. Every deadline lives in one persisted
//! alarm, so nothing depends on memory that hibernation or eviction can wipe.

use oi_protocol::SandboxStatus;

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// The lifecycle's tunables (defaults from the reference product; tests shorten them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Stop an idle sandbox after this long without activity (10 min).
    pub inactivity: Millis,
    /// While a client is connected, an idle sandbox is kept this much longer each time (5 min).
    pub inactivity_extension: Millis,
    /// Release a sandbox started early (by `typing`) that never got a prompt (2 min).
    pub warm_release: Millis,
    /// A connected sandbox that has sent nothing for this long is stale (90 s).
    pub heartbeat_stale: Millis,
    /// A sandbox that has not said `ready` this long after it was asked for failed (120 s).
    pub connect_watchdog: Millis,
    /// This many permanent spawn failures within `breaker_window` open the circuit (3, 5 min).
    pub breaker_failures: usize,
    pub breaker_window: Millis,
    /// A prompt running longer than this is stopped (2 h).
    pub execution_timeout: Millis,
    /// A transient spawn failure is retried after this long (5 s).
    pub transient_retry: Millis,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            inactivity: 10 * 60_000,
            inactivity_extension: 5 * 60_000,
            warm_release: 2 * 60_000,
            heartbeat_stale: 90_000,
            connect_watchdog: 120_000,
            breaker_failures: 3,
            breaker_window: 5 * 60_000,
            execution_timeout: 2 * 60 * 60_000,
            transient_retry: 5_000,
        }
    }
}

/// The latest snapshot of the session's sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotRef {
    pub snapshot_id: String,
    pub generation: u32,
}

/// What the Durable Object knows, all of it persisted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Facts {
    pub provider_configured: bool,
    pub status: SandboxStatus,
    pub bridge_connected: bool,
    /// When the current sandbox was asked for.
    pub requested_at: Option<Millis>,
    /// The last frame from the current sandbox's bridge.
    pub last_heartbeat: Option<Millis>,
    /// The last prompt, agent event or `typing`.
    pub last_activity: Option<Millis>,
    /// An inactivity deadline moved by an extension, if any.
    pub extended_until: Option<Millis>,
    /// Prompts queued and not started.
    pub work_waiting: bool,
    /// When the running prompt started, if one runs.
    pub running_since: Option<Millis>,
    /// A `typing` asked for a sandbox at this time.
    pub warm_requested_at: Option<Millis>,
    /// Whether the current sandbox has run a prompt (else it is a warm start).
    pub ran_prompt: bool,
    pub clients_connected: bool,
    pub snapshot: Option<SnapshotRef>,
    /// The lowest runtime generation a snapshot may have to be restored.
    pub min_generation: u32,
    /// Times of permanent spawn failures (newest last).
    pub spawn_failures: Vec<Millis>,
    /// A transient failure asked for a retry at this time.
    pub retry_at: Option<Millis>,
    /// A snapshot is wanted (a prompt finished since the last one).
    pub snapshot_due: bool,
    /// The circuit-breaker opening already reported to the session (its closing time).
    pub blocked_reported: Option<Millis>,
}

/// How a new sandbox starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// From nothing (`fresh`, or from a repo image when one exists).
    Fresh,
    /// From the session's latest snapshot (`snapshot_restore`).
    Restore(SnapshotRef),
    /// The snapshot is below the runtime floor: refuse it (fail closed) and start fresh from
    /// the pushed session branch.
    RefuseSnapshot { snapshot: SnapshotRef, floor: u32 },
}

/// Why a sandbox is being stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// Idle past the inactivity deadline (snapshot first).
    Inactive,
    /// Started early by `typing` and never used.
    WarmUnused,
    /// Silent past the heartbeat deadline (snapshot what is there, then replace if needed).
    HeartbeatStale,
    /// Asked for but never ready (counts as a spawn failure).
    ConnectTimeout,
}

/// What to do now. At most one sandbox action per decision; the caller decides again after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Start(Start),
    Stop(StopReason),
    /// Keep an idle sandbox for a client that is watching, until this time.
    Extend {
        until: Millis,
    },
    /// Snapshot the ready sandbox (a prompt finished).
    Snapshot,
    /// Stop the running prompt: it has run too long.
    TimeOut,
    /// Work is waiting but the circuit is open until then.
    Blocked {
        until: Millis,
    },
    Nothing,
}

/// Whether the circuit breaker is open now, and until when.
pub fn breaker_open_until(facts: &Facts, timing: &Timing, now: Millis) -> Option<Millis> {
    let recent: Vec<Millis> =
        facts.spawn_failures.iter().copied().filter(|t| now - t < timing.breaker_window).collect();
    if recent.len() >= timing.breaker_failures {
        // Open until the oldest counted failure leaves the window.
        let oldest = recent[recent.len() - timing.breaker_failures];
        Some(oldest + timing.breaker_window)
    } else {
        None
    }
}

fn inactivity_deadline(facts: &Facts, timing: &Timing) -> Option<Millis> {
    if facts.status != SandboxStatus::Ready || facts.work_waiting || facts.running_since.is_some() {
        return None;
    }
    let last = facts.last_activity.or(facts.requested_at)?;
    let base = if facts.ran_prompt { last + timing.inactivity } else { last + timing.warm_release };
    Some(facts.extended_until.map_or(base, |e| e.max(base)))
}

fn heartbeat_deadline(facts: &Facts, timing: &Timing) -> Option<Millis> {
    match facts.status {
        SandboxStatus::Ready | SandboxStatus::Running => {
            facts.last_heartbeat.or(facts.requested_at).map(|t| t + timing.heartbeat_stale)
        }
        _ => None,
    }
}

fn watchdog_deadline(facts: &Facts, timing: &Timing) -> Option<Millis> {
    (facts.status == SandboxStatus::Spawning).then_some(facts.requested_at? + timing.connect_watchdog)
}

fn wants_sandbox(facts: &Facts, timing: &Timing, now: Millis) -> bool {
    facts.work_waiting || facts.warm_requested_at.is_some_and(|t| now - t < timing.warm_release)
}

/// What the session's sandbox should do now.
pub fn decide(facts: &Facts, timing: &Timing, now: Millis) -> Action {
    if !facts.provider_configured {
        return Action::Nothing;
    }
    if let Some(deadline) = watchdog_deadline(facts, timing) {
        if now >= deadline {
            return Action::Stop(StopReason::ConnectTimeout);
        }
    }
    if let Some(deadline) = heartbeat_deadline(facts, timing) {
        if now >= deadline {
            return Action::Stop(StopReason::HeartbeatStale);
        }
    }
    if let Some(since) = facts.running_since {
        if now >= since + timing.execution_timeout {
            return Action::TimeOut;
        }
    }
    if facts.snapshot_due && facts.status == SandboxStatus::Ready && facts.running_since.is_none() {
        return Action::Snapshot;
    }
    if let Some(deadline) = inactivity_deadline(facts, timing) {
        if now >= deadline {
            return if facts.ran_prompt && facts.clients_connected {
                Action::Extend { until: now + timing.inactivity_extension }
            } else if facts.ran_prompt {
                Action::Stop(StopReason::Inactive)
            } else {
                Action::Stop(StopReason::WarmUnused)
            };
        }
    }
    let needs_start = matches!(facts.status, SandboxStatus::None | SandboxStatus::Stopped | SandboxStatus::Failed);
    if needs_start && wants_sandbox(facts, timing, now) {
        if let Some(until) = breaker_open_until(facts, timing, now) {
            return Action::Blocked { until };
        }
        if facts.retry_at.is_some_and(|t| now < t) {
            return Action::Nothing;
        }
        return Action::Start(match &facts.snapshot {
            Some(s) if s.generation >= facts.min_generation => Start::Restore(s.clone()),
            Some(s) => Start::RefuseSnapshot { snapshot: s.clone(), floor: facts.min_generation },
            None => Start::Fresh,
        });
    }
    Action::Nothing
}

/// When the alarm should next look: the earliest pending deadline, if any.
pub fn next_alarm(facts: &Facts, timing: &Timing, now: Millis) -> Option<Millis> {
    if !facts.provider_configured {
        return None;
    }
    let mut deadlines = vec![
        watchdog_deadline(facts, timing),
        heartbeat_deadline(facts, timing),
        facts.running_since.map(|t| t + timing.execution_timeout),
        inactivity_deadline(facts, timing),
        facts.retry_at,
    ];
    let needs_start = matches!(facts.status, SandboxStatus::None | SandboxStatus::Stopped | SandboxStatus::Failed);
    if needs_start && wants_sandbox(facts, timing, now) {
        // Start now; or, while the circuit is open, report it now and look again when it closes.
        let at = match breaker_open_until(facts, timing, now) {
            Some(until) if facts.blocked_reported == Some(until) => until,
            _ => now,
        };
        deadlines.push(Some(at));
    }
    if facts.snapshot_due && facts.status == SandboxStatus::Ready && facts.running_since.is_none() {
        deadlines.push(Some(now));
    }
    deadlines.into_iter().flatten().min()
}

#[cfg(test)]
#[path = "lifecycle_tests.rs"]
mod tests;
