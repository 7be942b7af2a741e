use super::*;
use SandboxStatus as S;

const T0: Millis = 1_000_000_000;

fn timing() -> Timing {
    Timing::default()
}

fn all_capabilities() -> ProviderCapabilities {
    ProviderCapabilities { snapshot: true, restore: true, images: true, ..Default::default() }
}

fn base() -> Facts {
    Facts { provider_configured: true, capabilities: all_capabilities(), min_generation: 1, ..Default::default() }
}

fn fresh() -> Action {
    Action::Start(StartPlan { from: StartFrom::Fresh, refused: None })
}

fn restore(snapshot: Option<SnapshotRef>) -> Action {
    Action::Start(StartPlan { from: StartFrom::Restore(snapshot.unwrap()), refused: None })
}

/// A stop as `stop_plan` plans it, spelled out.
fn stop(reason: StopReason, snapshot_first: bool) -> Action {
    let (status, then) = match reason {
        StopReason::Inactive | StopReason::WarmUnused => (S::Stopped, AfterStop::Nothing),
        StopReason::HeartbeatStale => (S::Stopped, AfterStop::FailRunningPrompt),
        StopReason::ConnectTimeout => (S::Failed, AfterStop::FailWaiting),
    };
    Action::Stop(StopPlan { reason, snapshot_first, status, then })
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
        ("work, never had a sandbox", Facts { work_waiting: true, ..base() }, fresh()),
        (
            "work, stopped, snapshot",
            Facts { work_waiting: true, status: S::Stopped, snapshot: snap(1), ..base() },
            restore(snap(1)),
        ),
        (
            "work, failed, snapshot",
            Facts { work_waiting: true, status: S::Failed, snapshot: snap(2), ..base() },
            restore(snap(2)),
        ),
        (
            "snapshot below the floor fails closed",
            Facts { work_waiting: true, status: S::Stopped, snapshot: snap(1), min_generation: 2, ..base() },
            Action::Start(StartPlan {
                from: StartFrom::Fresh,
                refused: Some(RefusedSnapshot { snapshot: snap(1).unwrap(), floor: 2 }),
            }),
        ),
        ("typing starts one early", Facts { warm_requested_at: Some(T0 - 1_000), ..base() }, fresh()),
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
        ("then retries", Facts { work_waiting: true, retry_at: Some(T0), ..base() }, fresh()),
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
    assert_eq!(decide(&failures(&[60_000, 30_000]), &timing(), T0), fresh(), "two failures");
    let three = failures(&[240_000, 60_000, 30_000]);
    assert_eq!(decide(&three, &timing(), T0), Action::Blocked { until: T0 + 60_000 }, "three within 5 min");
    assert_eq!(next_alarm(&three, &timing(), T0), Some(T0), "report it at once");
    let reported = Facts { blocked_reported: Some(T0 + 60_000), ..three.clone() };
    assert_eq!(next_alarm(&reported, &timing(), T0), Some(T0 + 60_000), "then look again when it closes");
    assert_eq!(decide(&three, &timing(), T0 + 60_000), fresh(), "closed once the oldest ages out");
    assert_eq!(decide(&failures(&[400_000, 60_000, 30_000]), &timing(), T0), fresh(), "one is too old");
    let no_work = Facts { work_waiting: false, ..three };
    assert_eq!(decide(&no_work, &timing(), T0), Action::Nothing, "open but idle: nothing to report");
}

#[test]
fn inactivity() {
    let t = timing();
    assert_eq!(decide(&alive(&idle_ready(), T0 + t.inactivity - 1), &t, T0 + t.inactivity - 1), Action::Nothing);
    assert_eq!(
        decide(&alive(&idle_ready(), T0 + t.inactivity), &t, T0 + t.inactivity),
        stop(StopReason::Inactive, true)
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
        stop(StopReason::Inactive, true)
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
        stop(StopReason::WarmUnused, false)
    );
    let watched = Facts { clients_connected: true, ..warm };
    assert_eq!(
        decide(&alive(&watched, T0 + t.warm_release), &t, T0 + t.warm_release),
        stop(StopReason::WarmUnused, false),
        "no extension"
    );
}

#[test]
fn heartbeats_and_the_connect_watchdog() {
    let t = timing();
    let quiet = Facts { last_activity: Some(T0 + t.heartbeat_stale), ..idle_ready() };
    assert_eq!(decide(&quiet, &t, T0 + t.heartbeat_stale - 1), Action::Nothing);
    assert_eq!(decide(&quiet, &t, T0 + t.heartbeat_stale), stop(StopReason::HeartbeatStale, true));
    let running = Facts { status: S::Running, running_since: Some(T0), work_waiting: true, ..idle_ready() };
    assert_eq!(decide(&running, &t, T0 + t.heartbeat_stale), stop(StopReason::HeartbeatStale, true), "even mid-prompt");
    let spawning = Facts { status: S::Spawning, requested_at: Some(T0), work_waiting: true, ..base() };
    assert_eq!(decide(&spawning, &t, T0 + t.connect_watchdog - 1), Action::Nothing);
    assert_eq!(decide(&spawning, &t, T0 + t.connect_watchdog), stop(StopReason::ConnectTimeout, false));
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

#[test]
fn where_a_sandbox_starts_from() {
    let image = Some("img_1".to_string());
    let cases: Vec<(&str, Facts, StartFrom)> = vec![
        (
            "the snapshot first",
            Facts { snapshot: snap(1), image: image.clone(), ..base() },
            StartFrom::Restore(snap(1).unwrap()),
        ),
        ("then the newest image", Facts { image: image.clone(), ..base() }, StartFrom::Image("img_1".into())),
        (
            "a provider that cannot restore: the image",
            Facts {
                snapshot: snap(1),
                image: image.clone(),
                capabilities: ProviderCapabilities { restore: false, ..all_capabilities() },
                ..base()
            },
            StartFrom::Image("img_1".into()),
        ),
        (
            "a provider without images: fresh",
            Facts { image, capabilities: ProviderCapabilities { images: false, ..all_capabilities() }, ..base() },
            StartFrom::Fresh,
        ),
        ("nothing: fresh", base(), StartFrom::Fresh),
    ];
    for (name, facts, want) in cases {
        let facts = Facts { work_waiting: true, ..facts };
        assert_eq!(decide(&facts, &timing(), T0), Action::Start(StartPlan { from: want, refused: None }), "{name}");
    }
}

#[test]
fn how_a_sandbox_stops() {
    let t = timing();
    let now = T0 + t.inactivity;
    let no_snapshots = ProviderCapabilities { snapshot: false, ..all_capabilities() };
    let cases: Vec<(&str, Facts, Action)> = vec![
        ("idle after a prompt: snapshot first", alive(&idle_ready(), now), stop(StopReason::Inactive, true)),
        (
            "idle, but the provider cannot snapshot",
            Facts { capabilities: no_snapshots, ..alive(&idle_ready(), now) },
            stop(StopReason::Inactive, false),
        ),
        (
            "a silent sandbox that never ran a prompt has nothing to keep",
            Facts { ran_prompt: false, last_activity: Some(now), ..idle_ready() },
            stop(StopReason::HeartbeatStale, false),
        ),
    ];
    for (name, facts, want) in cases {
        assert_eq!(decide(&facts, &t, now), want, "{name}");
    }
}

#[test]
fn a_pending_retry_is_the_next_alarm_not_a_busy_loop() {
    let retrying = Facts { work_waiting: true, status: S::Failed, retry_at: Some(T0 + 5_000), ..base() };
    assert_eq!(decide(&retrying, &timing(), T0), Action::Nothing);
    assert_eq!(next_alarm(&retrying, &timing(), T0), Some(T0 + 5_000));
}

#[test]
fn snapshots_wait_for_a_provider_that_takes_them() {
    let due = Facts { snapshot_due: true, capabilities: ProviderCapabilities::default(), ..idle_ready() };
    assert_ne!(decide(&due, &timing(), T0 + 1), Action::Snapshot);
    assert_eq!(next_alarm(&due, &timing(), T0 + 1), Some(T0 + timing().heartbeat_stale), "no alarm for it");
}

/// `decide` acts exactly when `next_alarm` says something is due: over a grid of facts and
/// times, one never waits for a deadline the other ignores.
#[test]
fn decide_and_next_alarm_agree() {
    let t = timing();
    let statuses = [S::None, S::Spawning, S::Ready, S::Running, S::Stopping, S::Stopped, S::Failed];
    let mut checked = 0;
    for status in statuses {
        for work_waiting in [false, true] {
            for running in [None, Some(T0 - t.execution_timeout), Some(T0 - 1_000)] {
                for failures in [vec![], vec![T0 - 3_000, T0 - 2_000, T0 - 1_000]] {
                    for reported in [None, Some(T0 - 1_000 + t.breaker_window - 2_000)] {
                        for retry_at in [None, Some(T0 + 1_000)] {
                            for snapshot_due in [false, true] {
                                for clients_connected in [false, true] {
                                    let facts = Facts {
                                        status,
                                        work_waiting,
                                        running_since: running,
                                        spawn_failures: failures.clone(),
                                        blocked_reported: reported,
                                        retry_at,
                                        snapshot_due,
                                        clients_connected,
                                        requested_at: Some(T0 - 200_000),
                                        last_heartbeat: Some(T0 - 30_000),
                                        last_activity: Some(T0 - 700_000),
                                        ran_prompt: true,
                                        ..base()
                                    };
                                    for now in [T0, T0 + 1_000, T0 + 60_000, T0 + 400_000] {
                                        let action = decide(&facts, &t, now);
                                        let due = next_alarm(&facts, &t, now).is_some_and(|at| at <= now);
                                        assert_eq!(action != Action::Nothing, due, "{facts:?} at {now}: {action:?}");
                                        checked += 1;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(checked > 1000);
}
