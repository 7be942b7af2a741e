use super::*;
use SandboxStatus as S;

const T0: Millis = 1_000_000_000;

fn timing() -> Timing {
    Timing::default()
}

fn base() -> Facts {
    Facts { provider_configured: true, min_generation: 1, ..Default::default() }
}

/// The same facts, with the sandbox's last heartbeat at `now` (a live sandbox keeps beating).
fn alive(f: &Facts, now: Millis) -> Facts {
    Facts { last_heartbeat: Some(now), ..f.clone() }
}

fn snap(generation: u32) -> Option<SnapshotRef> {
    Some(SnapshotRef { snapshot_id: "snp_1".into(), generation })
}

/// A ready sandbox that has run a prompt and then gone quiet at `T0`.
fn idle_ready() -> Facts {
    Facts {
        status: S::Ready,
        bridge_connected: true,
        requested_at: Some(T0 - 60_000),
        last_heartbeat: Some(T0),
        last_activity: Some(T0),
        ran_prompt: true,
        ..base()
    }
}

#[test]
fn starting_a_sandbox() {
    let cases: Vec<(&str, Facts, Action)> = vec![
        (
            "no provider: a bridge attaches by hand",
            Facts { work_waiting: true, provider_configured: false, ..base() },
            Action::Nothing,
        ),
        ("no work, no typing", base(), Action::Nothing),
        ("work, never had a sandbox", Facts { work_waiting: true, ..base() }, Action::Start(Start::Fresh)),
        (
            "work, stopped, snapshot",
            Facts { work_waiting: true, status: S::Stopped, snapshot: snap(1), ..base() },
            Action::Start(Start::Restore(snap(1).unwrap())),
        ),
        (
            "work, failed, snapshot",
            Facts { work_waiting: true, status: S::Failed, snapshot: snap(2), ..base() },
            Action::Start(Start::Restore(snap(2).unwrap())),
        ),
        (
            "snapshot below the floor fails closed",
            Facts { work_waiting: true, status: S::Stopped, snapshot: snap(1), min_generation: 2, ..base() },
            Action::Start(Start::RefuseSnapshot { snapshot: snap(1).unwrap(), floor: 2 }),
        ),
        (
            "typing starts one early",
            Facts { warm_requested_at: Some(T0 - 1_000), ..base() },
            Action::Start(Start::Fresh),
        ),
        ("old typing does not", Facts { warm_requested_at: Some(T0 - 3 * 60_000), ..base() }, Action::Nothing),
        (
            "already spawning: wait",
            Facts { work_waiting: true, status: S::Spawning, requested_at: Some(T0), ..base() },
            Action::Nothing,
        ),
        ("stopping: wait", Facts { work_waiting: true, status: S::Stopping, ..base() }, Action::Nothing),
        (
            "a transient failure waits for its retry",
            Facts { work_waiting: true, retry_at: Some(T0 + 1), ..base() },
            Action::Nothing,
        ),
        ("then retries", Facts { work_waiting: true, retry_at: Some(T0), ..base() }, Action::Start(Start::Fresh)),
    ];
    for (name, facts, want) in cases {
        assert_eq!(decide(&facts, &timing(), T0), want, "{name}");
    }
}

#[test]
fn circuit_breaker() {
    let failures = |ago: &[Millis]| Facts {
        work_waiting: true,
        status: S::Failed,
        spawn_failures: ago.iter().map(|a| T0 - a).collect(),
        ..base()
    };
    assert_eq!(decide(&failures(&[60_000, 30_000]), &timing(), T0), Action::Start(Start::Fresh), "two failures");
    let three = failures(&[240_000, 60_000, 30_000]);
    assert_eq!(decide(&three, &timing(), T0), Action::Blocked { until: T0 + 60_000 }, "three within 5 min");
    assert_eq!(next_alarm(&three, &timing(), T0), Some(T0), "report it at once");
    let reported = Facts { blocked_reported: Some(T0 + 60_000), ..three.clone() };
    assert_eq!(next_alarm(&reported, &timing(), T0), Some(T0 + 60_000), "then look again when it closes");
    assert_eq!(decide(&three, &timing(), T0 + 60_000), Action::Start(Start::Fresh), "closed once the oldest ages out");
    assert_eq!(
        decide(&failures(&[400_000, 60_000, 30_000]), &timing(), T0),
        Action::Start(Start::Fresh),
        "one is too old"
    );
    let no_work = Facts { work_waiting: false, ..three };
    assert_eq!(decide(&no_work, &timing(), T0), Action::Nothing, "open but idle: nothing to report");
}

#[test]
fn inactivity() {
    let t = timing();
    assert_eq!(decide(&alive(&idle_ready(), T0 + t.inactivity - 1), &t, T0 + t.inactivity - 1), Action::Nothing);
    assert_eq!(
        decide(&alive(&idle_ready(), T0 + t.inactivity), &t, T0 + t.inactivity),
        Action::Stop(StopReason::Inactive)
    );
    let watched = Facts { clients_connected: true, ..idle_ready() };
    let now = T0 + t.inactivity;
    assert_eq!(decide(&alive(&watched, now), &t, now), Action::Extend { until: now + t.inactivity_extension });
    let extended = Facts { extended_until: Some(now + t.inactivity_extension), ..watched.clone() };
    assert_eq!(decide(&alive(&extended, now + 1), &t, now + 1), Action::Nothing, "extended");
    // The next look is the earlier of the heartbeat check and the extended deadline.
    assert_eq!(next_alarm(&alive(&extended, now + 1), &t, now + 1), Some(now + 1 + t.heartbeat_stale));
    let quiet_but_beating = Facts { last_heartbeat: Some(now + t.inactivity_extension), ..extended.clone() };
    assert_eq!(next_alarm(&quiet_but_beating, &t, now + 1), Some(now + t.inactivity_extension));
    let left = Facts { clients_connected: false, ..extended };
    assert_eq!(
        decide(&alive(&left, now + t.inactivity_extension), &t, now + t.inactivity_extension),
        Action::Stop(StopReason::Inactive)
    );
    // Busy sandboxes are never idle.
    let busy = Facts { running_since: Some(T0), status: S::Running, ..idle_ready() };
    assert_eq!(decide(&alive(&busy, T0 + t.inactivity), &t, T0 + t.inactivity), Action::Nothing);
    let queued = Facts { work_waiting: true, ..idle_ready() };
    assert_eq!(decide(&alive(&queued, T0 + t.inactivity), &t, T0 + t.inactivity), Action::Nothing);
}

#[test]
fn warm_starts_are_released_when_unused() {
    let t = timing();
    let warm = Facts { ran_prompt: false, ..idle_ready() };
    assert_eq!(decide(&alive(&warm, T0 + t.warm_release - 1), &t, T0 + t.warm_release - 1), Action::Nothing);
    assert_eq!(
        decide(&alive(&warm, T0 + t.warm_release), &t, T0 + t.warm_release),
        Action::Stop(StopReason::WarmUnused)
    );
    let watched = Facts { clients_connected: true, ..warm };
    assert_eq!(
        decide(&alive(&watched, T0 + t.warm_release), &t, T0 + t.warm_release),
        Action::Stop(StopReason::WarmUnused),
        "no extension"
    );
}

#[test]
fn heartbeats_and_the_connect_watchdog() {
    let t = timing();
    let quiet = Facts { last_activity: Some(T0 + t.heartbeat_stale), ..idle_ready() };
    assert_eq!(decide(&quiet, &t, T0 + t.heartbeat_stale - 1), Action::Nothing);
    assert_eq!(decide(&quiet, &t, T0 + t.heartbeat_stale), Action::Stop(StopReason::HeartbeatStale));
    let running = Facts { status: S::Running, running_since: Some(T0), work_waiting: true, ..idle_ready() };
    assert_eq!(
        decide(&running, &t, T0 + t.heartbeat_stale),
        Action::Stop(StopReason::HeartbeatStale),
        "even mid-prompt"
    );
    let spawning = Facts { status: S::Spawning, requested_at: Some(T0), work_waiting: true, ..base() };
    assert_eq!(decide(&spawning, &t, T0 + t.connect_watchdog - 1), Action::Nothing);
    assert_eq!(decide(&spawning, &t, T0 + t.connect_watchdog), Action::Stop(StopReason::ConnectTimeout));
    assert_eq!(next_alarm(&spawning, &t, T0), Some(T0 + t.connect_watchdog));
}

#[test]
fn execution_timeout_and_snapshots() {
    let t = timing();
    let running = Facts {
        status: S::Running,
        running_since: Some(T0),
        last_heartbeat: Some(T0 + t.execution_timeout),
        ..idle_ready()
    };
    assert_eq!(decide(&running, &t, T0 + t.execution_timeout), Action::TimeOut);
    let due = Facts { snapshot_due: true, ..idle_ready() };
    assert_eq!(decide(&due, &t, T0 + 1), Action::Snapshot);
    assert_eq!(next_alarm(&due, &t, T0 + 1), Some(T0 + 1), "at once");
    let due_but_busy = Facts { snapshot_due: true, running_since: Some(T0), status: S::Running, ..idle_ready() };
    assert_ne!(decide(&due_but_busy, &t, T0 + 1), Action::Snapshot, "not while a prompt runs");
}

#[test]
fn next_alarm_is_the_earliest_deadline() {
    let t = timing();
    let f = idle_ready();
    // Idle at T0: heartbeat stale at +90 s comes before inactivity at +10 min.
    assert_eq!(next_alarm(&f, &t, T0), Some(T0 + t.heartbeat_stale));
    assert_eq!(next_alarm(&base(), &t, T0), None, "nothing pending");
    assert_eq!(next_alarm(&Facts { work_waiting: true, ..base() }, &t, T0), Some(T0), "start now");
    assert_eq!(next_alarm(&Facts { provider_configured: false, ..idle_ready() }, &t, T0), None);
}
