//! Sandbox lifecycle decisions, as pure functions of the session's persisted facts and the
//! clock. The Durable Object gathers [`Facts`], asks [`decide`] what to do now and
//! [`next_alarm`] when to look again, and does the I/O. Every deadline lives in one persisted
//! alarm, so nothing depends on memory that hibernation or eviction can wipe.

use oi_protocol::provider::ProviderCapabilities;
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

/// What the Durable Object knows, all of it persisted (or, for the provider's capabilities and
/// the repo image, looked up and cached).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Facts {
    pub provider_configured: bool,
    /// What the provider declared it can do (all false until it has said).
    pub capabilities: ProviderCapabilities,
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
    /// The newest ready repo image of the session's repo and branch, when the provider takes
    /// images (looked up only when a start may be due: see [`may_start`]).
    pub image: Option<String>,
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

/// Where a new sandbox starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartFrom {
    /// The session's latest snapshot (`snapshot_restore`).
    Restore(SnapshotRef),
    /// The newest repo image (`repo_image`: `setup.sh` already ran in it).
    Image(String),
    /// A fresh clone of the pushed session branch (`fresh`).
    Fresh,
}

/// How to start a sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartPlan {
    pub from: StartFrom,
    /// The snapshot is below the runtime floor: it is refused (fail closed) and forgotten, and
    /// the sandbox starts from the pushed session branch instead.
    pub refused: Option<RefusedSnapshot>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedSnapshot {
    pub snapshot: SnapshotRef,
    pub floor: u32,
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

/// What follows a stop, besides the sandbox's new status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterStop {
    Nothing,
    /// The prompt the sandbox held cannot finish there: it fails.
    FailRunningPrompt,
    /// A spawn failure for the circuit breaker; the prompts waiting for it fail.
    FailWaiting,
}

/// How to stop a sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StopPlan {
    pub reason: StopReason,
    /// Snapshot what is on disk before terminating.
    pub snapshot_first: bool,
    /// `stopped`, or `failed` for a sandbox that never became ready.
    pub status: SandboxStatus,
    pub then: AfterStop,
}

/// What to do now. At most one sandbox action per decision; the caller decides again after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Start(StartPlan),
    Stop(StopPlan),
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

/// Whether a sandbox may have to be started now (the repo image is worth looking up).
pub fn may_start(facts: &Facts, timing: &Timing, now: Millis) -> bool {
    let needs_start = matches!(facts.status, SandboxStatus::None | SandboxStatus::Stopped | SandboxStatus::Failed);
    let wanted = facts.work_waiting || facts.warm_requested_at.is_some_and(|t| now - t < timing.warm_release);
    facts.provider_configured && needs_start && wanted
}

/// Every pending deadline, each the time its action is due. [`decide`] acts on the first one
/// due (in this order of priority) and [`next_alarm`] wakes at the earliest, so the two cannot
/// disagree about when something happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Deadlines {
    /// A sandbox asked for and not ready by then failed.
    pub connect_watchdog: Option<Millis>,
    /// A connected sandbox silent since then is stale.
    pub heartbeat: Option<Millis>,
    /// The running prompt has run too long then.
    pub execution: Option<Millis>,
    /// A finished prompt's snapshot (at once, when the sandbox is idle).
    pub snapshot: Option<Millis>,
    /// The idle sandbox is stopped (or kept longer for a watcher) then.
    pub inactivity: Option<Millis>,
    /// A wanted sandbox can be started then (at once, after a transient failure's retry, or
    /// when the circuit breaker closes once its opening was reported).
    pub start: Option<Millis>,
    /// The circuit breaker's opening is to be reported (at once).
    pub report_blocked: Option<Millis>,
}

impl Deadlines {
    fn earliest(&self) -> Option<Millis> {
        [
            self.connect_watchdog,
            self.heartbeat,
            self.execution,
            self.snapshot,
            self.inactivity,
            self.start,
            self.report_blocked,
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

/// The deadlines of the session's sandbox, from its facts.
pub fn deadlines(facts: &Facts, timing: &Timing, now: Millis) -> Deadlines {
    if !facts.provider_configured {
        return Deadlines::default();
    }
    let idle = facts.work_waiting || facts.running_since.is_some();
    let inactivity = (facts.status == SandboxStatus::Ready && !idle)
        .then(|| {
            let last = facts.last_activity.or(facts.requested_at)?;
            let base = if facts.ran_prompt { last + timing.inactivity } else { last + timing.warm_release };
            Some(facts.extended_until.map_or(base, |e| e.max(base)))
        })
        .flatten();
    let heartbeat = match facts.status {
        SandboxStatus::Ready | SandboxStatus::Running => {
            facts.last_heartbeat.or(facts.requested_at).map(|t| t + timing.heartbeat_stale)
        }
        _ => None,
    };
    let snapshot_wanted = facts.snapshot_due
        && facts.capabilities.snapshot
        && facts.status == SandboxStatus::Ready
        && facts.running_since.is_none();
    let (start, report_blocked) = if may_start(facts, timing, now) {
        match breaker_open_until(facts, timing, now) {
            Some(until) if facts.blocked_reported == Some(until) => (Some(until), None),
            Some(until) => (Some(until), Some(now)),
            None => (Some(facts.retry_at.map_or(now, |t| t.max(now))), None),
        }
    } else {
        (None, None)
    };
    Deadlines {
        connect_watchdog: (facts.status == SandboxStatus::Spawning)
            .then_some(facts.requested_at.map(|t| t + timing.connect_watchdog))
            .flatten(),
        heartbeat,
        execution: facts.running_since.map(|t| t + timing.execution_timeout),
        snapshot: snapshot_wanted.then_some(now),
        inactivity,
        start,
        report_blocked,
    }
}

/// How a stop for `reason` goes.
fn stop_plan(facts: &Facts, reason: StopReason) -> StopPlan {
    let snapshot_first = matches!(reason, StopReason::Inactive | StopReason::HeartbeatStale)
        && facts.ran_prompt
        && facts.capabilities.snapshot;
    let (status, then) = match reason {
        StopReason::Inactive | StopReason::WarmUnused => (SandboxStatus::Stopped, AfterStop::Nothing),
        StopReason::HeartbeatStale => (SandboxStatus::Stopped, AfterStop::FailRunningPrompt),
        StopReason::ConnectTimeout => (SandboxStatus::Failed, AfterStop::FailWaiting),
    };
    StopPlan { reason, snapshot_first, status, then }
}

/// Where a new sandbox starts from.
fn start_plan(facts: &Facts) -> StartPlan {
    let refused = facts
        .snapshot
        .as_ref()
        .filter(|s| s.generation < facts.min_generation)
        .map(|s| RefusedSnapshot { snapshot: s.clone(), floor: facts.min_generation });
    let restorable = facts.snapshot.as_ref().filter(|_| refused.is_none() && facts.capabilities.restore);
    let from = match (restorable, &facts.image) {
        (Some(s), _) => StartFrom::Restore(s.clone()),
        (None, Some(image)) if facts.capabilities.images => StartFrom::Image(image.clone()),
        (None, _) => StartFrom::Fresh,
    };
    StartPlan { from, refused }
}

/// What the session's sandbox should do now.
pub fn decide(facts: &Facts, timing: &Timing, now: Millis) -> Action {
    let d = deadlines(facts, timing, now);
    let due = |deadline: Option<Millis>| deadline.is_some_and(|t| t <= now);
    if due(d.connect_watchdog) {
        return Action::Stop(stop_plan(facts, StopReason::ConnectTimeout));
    }
    if due(d.heartbeat) {
        return Action::Stop(stop_plan(facts, StopReason::HeartbeatStale));
    }
    if due(d.execution) {
        return Action::TimeOut;
    }
    if due(d.snapshot) {
        return Action::Snapshot;
    }
    if due(d.inactivity) {
        return if facts.ran_prompt && facts.clients_connected {
            Action::Extend { until: now + timing.inactivity_extension }
        } else if facts.ran_prompt {
            Action::Stop(stop_plan(facts, StopReason::Inactive))
        } else {
            Action::Stop(stop_plan(facts, StopReason::WarmUnused))
        };
    }
    if due(d.report_blocked) {
        if let Some(until) = d.start {
            return Action::Blocked { until };
        }
    }
    if due(d.start) && breaker_open_until(facts, timing, now).is_none() {
        return Action::Start(start_plan(facts));
    }
    Action::Nothing
}

/// When the alarm should next look: the earliest pending deadline, if any.
pub fn next_alarm(facts: &Facts, timing: &Timing, now: Millis) -> Option<Millis> {
    deadlines(facts, timing, now).earliest()
}

#[cfg(test)]
#[path = "lifecycle_tests.rs"]
mod tests;
