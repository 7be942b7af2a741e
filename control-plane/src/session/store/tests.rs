//! The store against an in-memory SQLite: what it keeps in memory is what SQLite holds.

use oi_protocol::events::{EventBody, Notice, NoticeLevel};
use oi_protocol::origin::{OriginKind, SessionOrigin};
use oi_protocol::{PromptStatus, Role, SandboxStatus};
use oi_session_core::lifecycle::SnapshotRef;

use super::memory::MemorySql;
use super::{Prompt, Store, WsTokenRow};
use crate::session::testing::{person, session, T0};

/// The same database read by a store with nothing in memory.
fn reread(store: &Store<MemorySql>) -> (Option<super::Meta>, super::LifecycleRow) {
    store.forget();
    (store.meta().unwrap(), store.lifecycle().unwrap())
}

fn notice(text: &str) -> EventBody {
    EventBody::Notice(Notice { level: NoticeLevel::Info, message: text.into() })
}

#[test]
fn the_rows_in_memory_are_what_sqlite_holds() {
    let store = session();
    store.set_sandbox("sbx_1", "hash", SandboxStatus::Spawning).unwrap();
    store.set_bridge_connection(Some("conn_1"), Some("sandbox-agent 0.1")).unwrap();
    store.append_events(vec![notice("a")], T0, 4).unwrap();
    store.set_sandbox_status(SandboxStatus::Ready).unwrap();
    store.revoke_sandbox_token().unwrap();
    store.sandbox_requested(T0).unwrap();
    store.prompt_dispatched(T0 + 5).unwrap();
    store.set_snapshot(Some(&SnapshotRef { snapshot_id: "snp_1".into(), generation: 2 })).unwrap();
    store.spawn_failed(T0 + 6).unwrap();
    store.retry_at(Some(T0 + 7)).unwrap();
    let in_memory = (store.meta().unwrap(), store.lifecycle().unwrap());
    let meta = in_memory.0.clone().unwrap();
    assert_eq!(
        (meta.last_seq, meta.bridge_acked_through, meta.sandbox_token_hash, meta.bridge_connection.as_deref()),
        (1, 4, None, Some("conn_1"))
    );
    assert_eq!(in_memory.1.spawn_failures, vec![T0 + 6]);
    assert_eq!(reread(&store), in_memory);
}

#[test]
fn a_sessions_origin_is_kept() {
    let store = crate::session::store::memory::store();
    let mut summary = session().meta().unwrap().unwrap().summary;
    summary.origin = SessionOrigin {
        kind: OriginKind::Automation,
        reference: Some("aut_1/run_1".into()),
        label: Some("Nightly".into()),
        url: Some("/automations/aut_1".into()),
    };
    store.insert_meta(&summary).unwrap();
    assert_eq!(reread(&store).0.unwrap().summary.origin, summary.origin);
    assert_eq!(session().meta().unwrap().unwrap().summary.origin, SessionOrigin::of(OriginKind::Web));
}

#[test]
fn events_get_consecutive_seqs_and_read_back_raw_or_parsed() {
    let store = session();
    let (one, raw) = store.append_event(notice("a"), T0).unwrap();
    let (two, _) = store.append_event(notice("b"), T0 + 1).unwrap();
    assert_eq!((one, two), (1, 2));
    store.set_bridge_acked(9).unwrap();
    let parsed = store.events_after(0, None).unwrap();
    assert_eq!(parsed.len(), 2);
    assert_eq!(serde_json::to_string(&parsed[0]).unwrap(), raw.get(), "the log holds what was sent");
    let raws = store.raw_events_after(1).unwrap();
    assert_eq!(serde_json::from_str::<oi_protocol::SessionEvent>(raws[0].get()).unwrap(), parsed[1]);
    assert_eq!(store.events_after(0, Some(1)).unwrap().len(), 1);
    assert_eq!(store.bridge_acked_through().unwrap(), 9);
}

#[test]
fn the_bridge_clocks_are_written_once_a_second() {
    let store = session();
    store.bridge_seen(T0, true).unwrap();
    store.bridge_seen(T0 + 300, true).unwrap();
    let row = reread(&store).1;
    assert_eq!((row.last_heartbeat, row.last_activity), (Some(T0), Some(T0)), "within the second: not written");
    store.bridge_seen(T0 + 1_000, false).unwrap();
    let row = reread(&store).1;
    assert_eq!((row.last_heartbeat, row.last_activity), (Some(T0 + 1_000), Some(T0)), "a heartbeat is not activity");
    store.bridge_seen(T0 + 1_100, true).unwrap();
    assert_eq!(reread(&store).1.last_activity, Some(T0 + 1_100), "activity older than a second is written");
}

#[test]
fn prompts_keep_their_order_and_states() {
    let store = session();
    for (n, id) in ["msg_a", "msg_b", "msg_c"].into_iter().enumerate() {
        store
            .insert_prompt(&Prompt {
                message_id: id.into(),
                client_request_id: format!("r{n}"),
                text: format!("prompt {n}"),
                model: None,
                author: person(if n == 1 { "Grace" } else { "Ada" }),
                status: PromptStatus::Queued,
                created_at: T0 + n as i64,
            })
            .unwrap();
    }
    store.set_prompt_status("msg_a", PromptStatus::Processing, T0 + 10).unwrap();
    store.set_prompt_status("msg_c", PromptStatus::Cancelled, T0 + 11).unwrap();
    let unfinished: Vec<String> = store.unfinished_prompts().unwrap().into_iter().map(|p| p.message_id).collect();
    assert_eq!(unfinished, vec!["msg_a", "msg_b"]);
    assert_eq!(store.running_since().unwrap(), Some(T0 + 10));
    assert_eq!(store.current_prompter().unwrap().unwrap().name, "Ada", "the running prompt's author");
    assert_eq!(store.sent_prompts().unwrap().len(), 2, "a cancelled prompt was never sent");
    assert_eq!(store.prompt_by_request("r1").unwrap().unwrap().message_id, "msg_b");
    // At most one prompt holds the sandbox (a unique index).
    assert!(store.set_prompt_status("msg_b", PromptStatus::Processing, T0 + 12).is_err());
}

#[test]
fn websocket_tokens_are_kept_as_hashes_and_expire() {
    let store = session();
    let row = WsTokenRow { hash: "h1".into(), user: person("Ada"), role: Role::Admin, expires_at: T0 + 10 };
    store.insert_ws_token(&row, T0).unwrap();
    assert_eq!(store.ws_token("h1").unwrap(), Some(row));
    let later = WsTokenRow { hash: "h2".into(), user: person("Grace"), role: Role::Member, expires_at: T0 + 100 };
    store.insert_ws_token(&later, T0 + 10).unwrap();
    assert_eq!(store.ws_token("h1").unwrap(), None, "expired ones go when a new one is minted");
    store.delete_ws_token("h2").unwrap();
    assert_eq!(store.ws_token("h2").unwrap(), None);
}

#[test]
fn a_run_of_events_is_written_in_inserts_the_durable_object_accepts() {
    let store = session();
    store.append_event(notice("first"), T0).unwrap();
    let many: Vec<EventBody> = (0..100).map(|n| notice(&n.to_string())).collect();
    let written = store.append_events(many, T0 + 1, 250).unwrap();
    assert_eq!(written.len(), 100);
    let events = store.events_after(0, None).unwrap();
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=101).collect::<Vec<_>>());
    assert_eq!(serde_json::to_string(&events[100]).unwrap(), written[99].get());
    let (meta, _) = reread(&store);
    assert_eq!((meta.as_ref().unwrap().last_seq, meta.unwrap().bridge_acked_through), (101, 250));
    assert!(store.append_events(vec![], T0, 7).unwrap().is_empty());
    assert_eq!(store.bridge_acked_through().unwrap(), 250, "nothing written, nothing moved");
}
