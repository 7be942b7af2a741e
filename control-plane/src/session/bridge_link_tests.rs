//! The bridge's frames, natively: exactly-once recording, one acknowledgement per frame, and
//! what `ready`, `commit` and `boot_failed` do.

use oi_protocol::bridge::{AgentEvent, BridgeCommand, BridgeMessage, NumberedEvent};
use oi_protocol::events::{Commit, EventBody, Notice, NoticeLevel, PromptFinished, PromptOutcome};
use oi_protocol::{PromptStatus, SandboxStatus, SessionStatus};

use super::*;
use crate::session::prompt_queue::enqueue;
use crate::session::testing::*;

fn numbered(id: u64, event: AgentEvent) -> NumberedEvent {
    NumberedEvent { id, event }
}

fn note(n: u32) -> AgentEvent {
    AgentEvent::Notice(Notice { level: NoticeLevel::Info, message: n.to_string() })
}

fn hello(sandbox: &str) -> BridgeMessage {
    BridgeMessage::Hello { sandbox_id: sandbox.into(), runtime: None }
}

#[test]
fn a_burst_is_recorded_once_and_acknowledged_once() {
    let store = ready_session();
    let mut t = turn(&store, T0, true);
    let burst = BridgeMessage::Events { events: (1..=3).map(|n| numbered(n, note(n as u32))).collect() };
    on_message(&mut t, burst).unwrap();
    assert_eq!(describe(t.effects()), ["recorded notice", "recorded notice", "recorded notice", "to_bridge ack"]);
    assert_eq!(to_bridge(t.effects()), [BridgeCommand::Ack { through: 3 }]);

    // The bridge did not see the ack and sends 2..=4 again, then 5 alone.
    let mut t = turn(&store, T0 + 1, true);
    let again = BridgeMessage::Events { events: (2..=4).map(|n| numbered(n, note(n as u32))).collect() };
    on_message(&mut t, again).unwrap();
    on_message(&mut t, BridgeMessage::Event(numbered(5, note(5)))).unwrap();
    assert_eq!(describe(t.effects()), ["recorded notice", "to_bridge ack", "recorded notice", "to_bridge ack"]);
    let messages: Vec<String> = store
        .events_after(0, None)
        .unwrap()
        .into_iter()
        .map(|e| match e.body {
            EventBody::Notice(n) => n.message,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(messages, ["1", "2", "3", "4", "5"]);
    assert_eq!(store.bridge_acked_through().unwrap(), 5);

    // A re-send of what is all recorded: acknowledged again, nothing written.
    let mut t = turn(&store, T0 + 2, true);
    on_message(&mut t, BridgeMessage::Event(numbered(3, note(3)))).unwrap();
    assert_eq!(to_bridge(t.effects()), [BridgeCommand::Ack { through: 5 }]);
}

#[test]
fn hello_is_welcomed_with_the_position_and_the_running_prompt_again() {
    let store = ready_session();
    let mut t = turn(&store, T0, true);
    enqueue(&mut t, &person("Ada"), &prompt("one", "r1")).unwrap();
    on_message(&mut t, BridgeMessage::Event(numbered(1, note(1)))).unwrap();
    let mut t = turn(&store, T0 + 1, true);
    on_message(&mut t, hello("sbx_1")).unwrap();
    let commands = to_bridge(t.effects());
    assert_eq!(commands[0], BridgeCommand::Welcome { acked_through: 1 });
    assert!(matches!(&commands[1], BridgeCommand::Prompt(p) if p.text == "one"), "{commands:?}");

    let mut t = turn(&store, T0 + 2, true);
    on_message(&mut t, hello("sbx_other")).unwrap();
    assert_eq!(describe(t.effects()), ["to_bridge error", "close_bridges 4409"]);
}

#[test]
fn ready_dispatches_and_a_pushed_commit_refreshes_the_pull_request() {
    let store = session();
    store.set_sandbox("sbx_1", "hash", SandboxStatus::Spawning).unwrap();
    let mut t = turn(&store, T0, true);
    let id = enqueue(&mut t, &person("Ada"), &prompt("one", "r1")).unwrap().message_id;
    assert!(to_bridge(t.effects()).is_empty(), "not ready yet");
    let mut t = turn(&store, T0 + 1, true);
    on_message(&mut t, BridgeMessage::Event(numbered(1, AgentEvent::Ready { preview_ports: vec![] }))).unwrap();
    assert!(matches!(&to_bridge(t.effects())[0], BridgeCommand::Prompt(p) if p.message_id == id));

    let commit = Commit {
        message_id: id.clone(),
        branch: "oi/ses_1".into(),
        sha: Some("abc".into()),
        author: None,
        files_changed: 1,
        insertions: 1,
        deletions: 0,
        files: vec![],
        pushed: true,
        error: None,
    };
    let finished = PromptFinished { message_id: id.clone(), outcome: PromptOutcome::Completed, error: None };
    let mut t = turn(&store, T0 + 2, true);
    let burst = BridgeMessage::Events {
        events: vec![numbered(2, AgentEvent::Commit(commit)), numbered(3, AgentEvent::PromptFinished(finished))],
    };
    on_message(&mut t, burst).unwrap();
    assert!(describe(t.effects()).contains(&format!("refresh_pr {id}")));
    assert_eq!(store.prompt(&id).unwrap().unwrap().status, PromptStatus::Finished);
    assert_eq!(to_bridge(t.effects()).last(), Some(&BridgeCommand::Ack { through: 3 }));
}

#[test]
fn a_failed_boot_fails_the_sandbox_its_prompts_and_the_session() {
    let store = session();
    store.set_sandbox("sbx_1", "hash", SandboxStatus::Spawning).unwrap();
    let mut t = turn(&store, T0, true);
    enqueue(&mut t, &person("Ada"), &prompt("one", "r1")).unwrap();
    let mut t = turn(&store, T0 + 1, true);
    let failed = AgentEvent::BootFailed { message: "start.sh exited with status 1".into() };
    on_message(&mut t, BridgeMessage::Event(numbered(1, failed))).unwrap();
    let meta = store.meta().unwrap().unwrap();
    assert_eq!((meta.sandbox_status, meta.summary.status), (SandboxStatus::Failed, SessionStatus::Failed));
    assert!(store.unfinished_prompts().unwrap().is_empty());
    assert_eq!(store.lifecycle().unwrap().spawn_failures, vec![T0 + 1], "counted for the circuit breaker");
    let kinds: Vec<&str> = recorded(t.effects()).iter().map(|e| e.body.kind()).collect();
    assert_eq!(kinds, ["agent_error", "sandbox_status", "user_message", "prompt_finished", "notice"]);
}

#[test]
fn only_the_current_sandbox_token_opens_the_sandbox_routes() {
    let store = session();
    let mut t = turn(&store, T0, false);
    let attached = attach_sandbox(&mut t).unwrap();
    let meta = store.meta().unwrap().unwrap();
    assert!(check_sandbox_token(&meta, Some(&attached.token)).is_ok());
    assert!(check_sandbox_token(&meta, Some("not-it")).is_err());
    assert!(check_sandbox_token(&meta, None).is_err());
    store.revoke_sandbox_token().unwrap();
    let meta = store.meta().unwrap().unwrap();
    assert!(check_sandbox_token(&meta, Some(&attached.token)).is_err(), "a stopped sandbox's token opens nothing");
}

#[test]
fn attaching_a_new_sandbox_replaces_the_old_one() {
    let store = ready_session();
    let mut t = turn(&store, T0, true);
    let id = enqueue(&mut t, &person("Ada"), &prompt("one", "r1")).unwrap().message_id;
    let mut t = turn(&store, T0 + 1, true);
    let attached = attach_sandbox(&mut t).unwrap();
    let effects = describe(t.effects());
    assert_eq!(&effects[..2], ["terminate sbx_1", "close_bridges 4409"]);
    assert!(to_bridge(t.effects()).is_empty(), "nothing is dispatched to the closed bridge");
    assert_eq!(store.prompt(&id).unwrap().unwrap().status, PromptStatus::Finished, "its prompt failed");
    let meta = store.meta().unwrap().unwrap();
    assert_eq!((meta.sandbox_id, meta.sandbox_status), (Some(attached.sandbox_id), SandboxStatus::Spawning));
}
