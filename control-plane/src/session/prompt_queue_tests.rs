//! The prompt queue, natively: what each step writes and which effects it returns.

use oi_protocol::bridge::BridgeCommand;
use oi_protocol::events::{EventBody, PromptOutcome, TextDelta};
use oi_protocol::{ErrorCode, PromptStatus, SandboxStatus, SessionStatus};

use super::*;
use crate::http::Failure;
use crate::session::testing::*;

fn code(failure: Failure) -> ErrorCode {
    match failure {
        Failure::Api(e) => e.code,
        Failure::Internal(e) => panic!("internal: {e}"),
    }
}

#[test]
fn a_prompt_waits_for_a_ready_sandbox_with_its_bridge() {
    let store = session();
    let mut t = turn(&store, T0, false);
    let accepted = enqueue(&mut t, &person("Ada"), &prompt("Create hello.txt", "r1")).unwrap();
    assert_eq!((accepted.position, accepted.duplicate), (0, false));
    assert_eq!(describe(t.effects()), ["broadcast queue_updated", "summary running", "lifecycle"]);
    assert_eq!(store.meta().unwrap().unwrap().summary.status, SessionStatus::Running);

    // Ready, but the bridge is not connected: still waiting.
    store.set_sandbox_status(SandboxStatus::Ready).unwrap();
    let mut t = turn(&store, T0 + 1, false);
    dispatch_next(&mut t).unwrap();
    assert!(t.effects().is_empty());

    let mut t = turn(&store, T0 + 2, true);
    dispatch_next(&mut t).unwrap();
    assert_eq!(
        describe(t.effects()),
        [
            "to_bridge prompt",
            "lifecycle",
            "recorded user_message",
            "recorded sandbox_status",
            "broadcast queue_updated"
        ]
    );
    let [BridgeCommand::Prompt(command)] = &to_bridge(t.effects())[..] else { panic!() };
    assert_eq!((command.text.as_str(), command.model.as_str()), ("Create hello.txt", "scripted/test-model"));
    assert_eq!(command.attribution.as_ref().unwrap().author.email, "ada@example.test");
    assert_eq!(store.unfinished_prompts().unwrap()[0].status, PromptStatus::Processing);
    assert_eq!(store.meta().unwrap().unwrap().sandbox_status, SandboxStatus::Running);
    assert!(store.lifecycle().unwrap().ran_prompt);
}

#[test]
fn admission_answers_retries_and_refuses_what_it_cannot_take() {
    let store = ready_session();
    let mut t = turn(&store, T0, false);
    let first = enqueue(&mut t, &person("Ada"), &prompt("one", "r1")).unwrap();
    let again = enqueue(&mut t, &person("Ada"), &prompt("one", "r1")).unwrap();
    assert_eq!((again.message_id, again.duplicate), (first.message_id, true));
    assert_eq!(
        code(enqueue(&mut t, &person("Ada"), &prompt("changed", "r1")).unwrap_err()),
        ErrorCode::IdempotencyConflict
    );
    assert_eq!(code(enqueue(&mut t, &person("Ada"), &prompt("", "r2")).unwrap_err()), ErrorCode::PromptEmpty);
    let mut archived = store.meta().unwrap().unwrap().summary;
    archived.archived = true;
    store.save_summary(&archived).unwrap();
    assert_eq!(code(enqueue(&mut t, &person("Ada"), &prompt("two", "r3")).unwrap_err()), ErrorCode::SessionArchived);
    assert_eq!(store.unfinished_prompts().unwrap().len(), 1, "nothing refused was kept");
}

#[test]
fn finishing_compacts_the_prompt_and_dispatches_the_next() {
    let store = ready_session();
    let mut t = turn(&store, T0, true);
    let first = enqueue(&mut t, &person("Ada"), &prompt("one", "r1")).unwrap().message_id;
    let second = enqueue(&mut t, &person("Grace"), &prompt("two", "r2")).unwrap().message_id;
    assert_eq!(last_queue(t.effects()).unwrap(), [first.clone(), second.clone()]);
    for delta in ["Hel", "lo"] {
        let body =
            EventBody::TextDelta(TextDelta { message_id: first.clone(), part_id: "prt_1".into(), delta: delta.into() });
        t.record(body).unwrap();
    }
    let mut t = turn(&store, T0 + 10, true);
    finish(&mut t, &first, PromptOutcome::Completed, None).unwrap();
    let kinds: Vec<&str> = recorded(t.effects()).iter().map(|e| e.body.kind()).collect();
    assert_eq!(kinds, ["prompt_finished", "sandbox_status", "user_message", "sandbox_status"]);
    let [BridgeCommand::Prompt(next)] = &to_bridge(t.effects())[..] else { panic!() };
    assert_eq!(next.message_id, second);
    assert_eq!(next.attribution.as_ref().unwrap().trailers.len(), 1, "Ada co-authors Grace's commit");
    let log: Vec<String> = store.events_of_message(&first).unwrap().iter().map(|e| e.body.kind().to_string()).collect();
    assert_eq!(log, ["user_message", "text", "prompt_finished"], "the deltas became one text");
    assert!(store.lifecycle().unwrap().snapshot_due);

    // A second finish of the same prompt changes nothing.
    let mut t = turn(&store, T0 + 11, true);
    finish(&mut t, &first, PromptOutcome::Failed, None).unwrap();
    assert!(t.effects().is_empty());
}

#[test]
fn stop_asks_the_bridge_or_finishes_at_once() {
    let store = ready_session();
    let mut t = turn(&store, T0, true);
    let id = enqueue(&mut t, &person("Ada"), &prompt("one", "r1")).unwrap().message_id;
    let mut t = turn(&store, T0 + 1, true);
    assert_eq!(stop(&mut t).unwrap().message_id.as_deref(), Some(id.as_str()));
    assert_eq!(describe(t.effects()), ["to_bridge stop", "broadcast queue_updated"]);
    assert_eq!(store.prompt(&id).unwrap().unwrap().status, PromptStatus::Stopping);

    // Asked again with no bridge to confirm: stopped now.
    let mut t = turn(&store, T0 + 2, false);
    stop(&mut t).unwrap();
    let finished = recorded(t.effects());
    let EventBody::PromptFinished(f) = &finished[0].body else { panic!("{finished:?}") };
    assert_eq!(f.outcome, PromptOutcome::Stopped);
    let mut t = turn(&store, T0 + 3, true);
    assert_eq!(stop(&mut t).unwrap().message_id, None, "nothing runs");
}

#[test]
fn only_a_waiting_prompt_can_be_cancelled() {
    let store = ready_session();
    let mut t = turn(&store, T0, true);
    let running = enqueue(&mut t, &person("Ada"), &prompt("one", "r1")).unwrap().message_id;
    let waiting = enqueue(&mut t, &person("Ada"), &prompt("two", "r2")).unwrap().message_id;
    let mut t = turn(&store, T0 + 1, true);
    assert_eq!(code(cancel(&mut t, &running).unwrap_err()), ErrorCode::PromptNotCancellable);
    assert_eq!(code(cancel(&mut t, "msg_nope").unwrap_err()), ErrorCode::NotFound);
    cancel(&mut t, &waiting).unwrap();
    assert_eq!(last_queue(t.effects()).unwrap(), [running]);
}

#[test]
fn a_prompt_that_never_ran_fails_with_its_reason_in_the_transcript() {
    let store = session();
    let mut t = turn(&store, T0, false);
    let id = enqueue(&mut t, &person("Ada"), &prompt("one", "r1")).unwrap().message_id;
    let mut t = turn(&store, T0 + 1, false);
    fail_all_waiting(&mut t, "the provider is down").unwrap();
    let events = recorded(t.effects());
    let EventBody::PromptFinished(f) = &events[1].body else { panic!("{events:?}") };
    assert_eq!((f.message_id.as_str(), f.outcome), (id.as_str(), PromptOutcome::Failed));
    assert!(f.error.as_deref().unwrap().contains("the provider is down"));
    assert_eq!(store.meta().unwrap().unwrap().summary.status, SessionStatus::Idle);
}
