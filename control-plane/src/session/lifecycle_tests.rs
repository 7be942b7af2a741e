//! The lifecycle's steps, natively: what starting, failing, stopping and timing out do to the
//! session.

use oi_protocol::bridge::BridgeCommand;
use oi_protocol::events::{EventBody, PromptOutcome};
use oi_protocol::provider::ProviderCapabilities;
use oi_protocol::{PromptStatus, SandboxStatus};
use oi_session_core::lifecycle::{decide, Action, RefusedSnapshot};

use super::*;
use crate::session::prompt_queue::enqueue;
use crate::session::testing::*;

fn timing() -> Timing {
    Timing::default()
}

fn permanent(message: &str) -> ProviderError {
    ProviderError { message: message.into(), transient: false }
}

fn settings() -> Settings {
    Settings { provider_configured: true, min_generation: 1 }
}

fn notices(effects: &[Effect]) -> Vec<String> {
    recorded(effects)
        .into_iter()
        .filter_map(|e| match e.body {
            EventBody::Notice(n) => Some(n.message),
            _ => None,
        })
        .collect()
}

#[test]
fn the_facts_come_from_the_store_and_lead_to_a_start() {
    let store = session();
    store.set_capabilities(&ProviderCapabilities { restore: true, ..Default::default() }, T0).unwrap();
    store.set_snapshot(Some(&SnapshotRef { snapshot_id: "snp_1".into(), generation: 1 })).unwrap();
    let mut t = turn(&store, T0, false);
    enqueue(&mut t, &person("Ada"), &prompt("one", "r1")).unwrap();
    let facts = facts(&store, settings(), false, true).unwrap().unwrap();
    assert!(facts.work_waiting && facts.clients_connected && facts.capabilities.restore);
    let Action::Start(plan) = decide(&facts, &timing(), T0) else { panic!() };
    assert_eq!(plan.from, StartFrom::Restore(SnapshotRef { snapshot_id: "snp_1".into(), generation: 1 }));
}

#[test]
fn a_start_gets_a_new_sandbox_and_a_refused_snapshot_is_forgotten() {
    let store = session();
    let snapshot = SnapshotRef { snapshot_id: "snp_old".into(), generation: 1 };
    store.set_snapshot(Some(&snapshot)).unwrap();
    let plan = StartPlan { from: StartFrom::Fresh, refused: Some(RefusedSnapshot { snapshot, floor: 2 }) };
    let mut t = turn(&store, T0, false);
    let (sandbox_id, token) = begin_start(&mut t, &plan).unwrap();
    assert!(notices(t.effects())[0].contains("snapshot snp_old was taken with runtime generation 1"));
    assert_eq!(store.lifecycle().unwrap().snapshot, None);
    let meta = store.meta().unwrap().unwrap();
    assert_eq!((meta.sandbox_id.as_deref(), meta.sandbox_status), (Some(sandbox_id.as_str()), SandboxStatus::Spawning));
    assert!(crate::session::bridge_link::check_sandbox_token(&meta, Some(&token)).is_ok());
    assert_eq!(store.lifecycle().unwrap().requested_at, Some(T0));
}

#[test]
fn spawn_failures_retry_or_fail_the_waiting_prompts() {
    let store = session();
    let mut t = turn(&store, T0, false);
    enqueue(&mut t, &person("Ada"), &prompt("one", "r1")).unwrap();
    let (sandbox_id, _) = begin_start(&mut t, &StartPlan { from: StartFrom::Fresh, refused: None }).unwrap();

    let mut t = turn(&store, T0 + 1, false);
    spawn_failed(&mut t, &sandbox_id, &ProviderError { message: "502".into(), transient: true }, &timing()).unwrap();
    assert_eq!(store.lifecycle().unwrap().retry_at, Some(T0 + 1 + timing().transient_retry));
    assert_eq!(store.unfinished_prompts().unwrap().len(), 1, "a transient failure keeps the prompt waiting");

    let mut t = turn(&store, T0 + 2, false);
    spawn_failed(&mut t, "sbx_older", &permanent("gone"), &timing()).unwrap();
    assert!(t.effects().is_empty(), "an older sandbox's failure is ignored");

    spawn_failed(&mut t, &sandbox_id, &permanent("no such image"), &timing()).unwrap();
    assert_eq!(store.lifecycle().unwrap().spawn_failures, vec![T0 + 2]);
    assert!(store.unfinished_prompts().unwrap().is_empty());
    assert_eq!(notices(t.effects()), ["could not start a sandbox: no such image"]);
}

#[test]
fn the_circuit_breaker_is_reported_once_per_opening() {
    let store = session();
    let mut t = turn(&store, T0, false);
    report_blocked(&mut t, T0 + 60_000, &timing()).unwrap();
    report_blocked(&mut t, T0 + 60_000, &timing()).unwrap();
    assert_eq!(notices(t.effects()).len(), 1);
    assert!(notices(t.effects())[0].ends_with("waiting prompts start in 60 s"));
}

#[test]
fn a_stale_sandbox_stops_and_fails_the_prompt_it_held() {
    let store = ready_session();
    let mut t = turn(&store, T0, true);
    let id = enqueue(&mut t, &person("Ada"), &prompt("one", "r1")).unwrap().message_id;
    let mut t = turn(&store, T0 + 1, true);
    assert_eq!(stopping(&mut t).unwrap().as_deref(), Some("sbx_1"));
    let plan = StopPlan {
        reason: StopReason::HeartbeatStale,
        snapshot_first: true,
        status: SandboxStatus::Stopped,
        then: AfterStop::FailRunningPrompt,
    };
    stopped(&mut t, "sbx_1", &plan, &timing()).unwrap();
    let meta = store.meta().unwrap().unwrap();
    assert_eq!((meta.sandbox_status, meta.sandbox_token_hash), (SandboxStatus::Stopped, None));
    assert_eq!(store.prompt(&id).unwrap().unwrap().status, PromptStatus::Finished);
    assert!(describe(t.effects()).contains(&"close_bridges 4409".to_string()));
    assert!(to_bridge(t.effects()).is_empty(), "the closed bridge gets nothing more");
}

#[test]
fn a_sandbox_that_never_became_ready_counts_as_a_spawn_failure() {
    let store = session();
    store.set_sandbox("sbx_1", "hash", SandboxStatus::Spawning).unwrap();
    let mut t = turn(&store, T0, false);
    enqueue(&mut t, &person("Ada"), &prompt("one", "r1")).unwrap();
    let plan = StopPlan {
        reason: StopReason::ConnectTimeout,
        snapshot_first: false,
        status: SandboxStatus::Failed,
        then: AfterStop::FailWaiting,
    };
    stopped(&mut t, "sbx_1", &plan, &timing()).unwrap();
    assert_eq!(store.meta().unwrap().unwrap().sandbox_status, SandboxStatus::Failed);
    assert_eq!(store.lifecycle().unwrap().spawn_failures, vec![T0]);
    assert!(store.unfinished_prompts().unwrap().is_empty());

    // A stop for a sandbox that was since replaced changes nothing but closing.
    store.set_sandbox("sbx_2", "hash2", SandboxStatus::Spawning).unwrap();
    let mut t = turn(&store, T0 + 1, false);
    stopped(&mut t, "sbx_1", &plan, &timing()).unwrap();
    assert_eq!(describe(t.effects()), ["close_bridges 4409"]);
}

#[test]
fn a_prompt_that_runs_too_long_is_stopped_and_fails() {
    let store = ready_session();
    let mut t = turn(&store, T0, true);
    let id = enqueue(&mut t, &person("Ada"), &prompt("one", "r1")).unwrap().message_id;
    let mut t = turn(&store, T0 + timing().execution_timeout, true);
    time_out(&mut t, &timing()).unwrap();
    assert_eq!(to_bridge(t.effects())[0], BridgeCommand::Stop { message_id: id.clone() });
    let finished = recorded(t.effects());
    let EventBody::PromptFinished(f) = &finished[0].body else { panic!() };
    assert_eq!((f.outcome, f.error.as_deref()), (PromptOutcome::Failed, Some("the prompt ran longer than 120 min")));
}

#[test]
fn typing_starts_a_sandbox_only_when_there_is_none_and_none_is_wanted() {
    let store = session();
    assert!(typing_would_start(&store, T0, &timing()).unwrap());
    let mut t = turn(&store, T0, false);
    typing(&mut t).unwrap();
    assert!(!typing_would_start(&store, T0 + 1_000, &timing()).unwrap(), "already wanted");
    assert!(typing_would_start(&store, T0 + timing().warm_release, &timing()).unwrap(), "the wish lapsed");
    store.set_sandbox("sbx_1", "hash", SandboxStatus::Ready).unwrap();
    assert!(!typing_would_start(&store, T0 + timing().warm_release, &timing()).unwrap(), "one runs");
}
