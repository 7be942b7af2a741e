//! Keeps docs/protocol.md true: every example decodes into the type it names and encodes back
//! to the same JSON, and every message `type` of every surface has an example.

use std::collections::{BTreeMap, BTreeSet};

use oi_protocol::bridge::{AgentEvent, BridgeCommand, BridgeMessage};
use oi_protocol::client::{ClientMessage, ServerMessage};
use oi_protocol::rest::*;
use oi_protocol::{ErrorBody, EventBody, SessionEvent, SessionState, SessionSummary};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

fn examples() -> Vec<(String, String)> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/protocol.md")).unwrap();
    let mut out = vec![];
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        if let Some(name) = line.strip_prefix("```json ") {
            let body: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
            out.push((name.trim().to_string(), body.join("\n")));
        }
    }
    out
}

/// Decodes, encodes, compares; returns the decoded value.
fn round_trip<T: Serialize + DeserializeOwned>(name: &str, json: &str) -> T {
    let original: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{name}: not JSON: {e}\n{json}"));
    let decoded: T = serde_json::from_value(original.clone()).unwrap_or_else(|e| panic!("{name}: {e}\n{json}"));
    let encoded = serde_json::to_value(&decoded).unwrap();
    assert_eq!(encoded, original, "{name}: the example is not in canonical form");
    decoded
}

#[test]
fn every_example_round_trips_and_every_type_has_one() {
    let mut kinds: BTreeMap<&str, BTreeSet<&'static str>> = BTreeMap::new();
    let mut names = BTreeSet::new();
    for (name, json) in examples() {
        let kind = match name.as_str() {
            "ClientMessage" => Some(round_trip::<ClientMessage>(&name, &json).kind()),
            "ServerMessage" => Some(round_trip::<ServerMessage>(&name, &json).kind()),
            "BridgeMessage" => Some(round_trip::<BridgeMessage>(&name, &json).kind()),
            "BridgeCommand" => Some(round_trip::<BridgeCommand>(&name, &json).kind()),
            "AgentEvent" => Some(round_trip::<AgentEvent>(&name, &json).kind()),
            "SessionEvent" => Some(round_trip::<SessionEvent>(&name, &json).body.kind()),
            "ErrorBody" => {
                round_trip::<ErrorBody>(&name, &json);
                None
            }
            "Health" => {
                round_trip::<Health>(&name, &json);
                None
            }
            "CreateSessionRequest" => {
                round_trip::<CreateSessionRequest>(&name, &json);
                None
            }
            "SessionSummary" => {
                round_trip::<SessionSummary>(&name, &json);
                None
            }
            "SessionList" => {
                round_trip::<SessionList>(&name, &json);
                None
            }
            "SessionState" => {
                round_trip::<SessionState>(&name, &json);
                None
            }
            "PromptRequest" => {
                round_trip::<PromptRequest>(&name, &json);
                None
            }
            "PromptAccepted" => {
                round_trip::<PromptAccepted>(&name, &json);
                None
            }
            "StopAccepted" => {
                round_trip::<StopAccepted>(&name, &json);
                None
            }
            "EventsPage" => {
                round_trip::<EventsPage>(&name, &json);
                None
            }
            "Me" => {
                round_trip::<Me>(&name, &json);
                None
            }
            "WsTokenGrant" => {
                round_trip::<oi_protocol::rest::WsTokenGrant>(&name, &json);
                None
            }
            "ChooseLocalUser" => {
                round_trip::<ChooseLocalUser>(&name, &json);
                None
            }
            "BuildImageRequest" => {
                round_trip::<BuildImageRequest>(&name, &json);
                None
            }
            "ImageList" => {
                round_trip::<ImageList>(&name, &json);
                None
            }
            "PoolList" => {
                round_trip::<PoolList>(&name, &json);
                None
            }
            "ModelList" => {
                round_trip::<ModelList>(&name, &json);
                None
            }
            "SandboxAttachment" => {
                round_trip::<SandboxAttachment>(&name, &json);
                None
            }
            "SessionUsage" => {
                round_trip::<SessionUsage>(&name, &json);
                None
            }
            "PutSecretRequest" => {
                round_trip::<oi_protocol::secrets::PutSecretRequest>(&name, &json);
                None
            }
            "SecretList" => {
                round_trip::<oi_protocol::secrets::SecretList>(&name, &json);
                None
            }
            "ImportSecretsRequest" => {
                round_trip::<oi_protocol::secrets::ImportSecretsRequest>(&name, &json);
                None
            }
            "ImportSecretsResult" => {
                round_trip::<oi_protocol::secrets::ImportSecretsResult>(&name, &json);
                None
            }
            "SecretAuditLog" => {
                round_trip::<oi_protocol::secrets::SecretAuditLog>(&name, &json);
                None
            }
            "RotateSecretsResult" => {
                round_trip::<oi_protocol::secrets::RotateSecretsResult>(&name, &json);
                None
            }
            other => panic!("docs/protocol.md names a type the test does not know: {other}"),
        };
        if let Some(kind) = kind.filter(|k| !k.is_empty()) {
            kinds.entry(leak(&name)).or_default().insert(kind);
        }
        names.insert(name);
    }
    let surfaces: [(&str, &[&str]); 6] = [
        ("ClientMessage", ClientMessage::TYPES),
        ("ServerMessage", ServerMessage::TYPES),
        ("BridgeMessage", BridgeMessage::TYPES),
        ("BridgeCommand", BridgeCommand::TYPES),
        ("AgentEvent", AgentEvent::TYPES),
        ("SessionEvent", EventBody::TYPES),
    ];
    for (surface, types) in surfaces {
        let documented = kinds.get(surface).cloned().unwrap_or_default();
        let missing: Vec<&&str> = types.iter().filter(|t| !documented.contains(**t)).collect();
        assert!(missing.is_empty(), "docs/protocol.md has no {surface} example of type {missing:?}");
        let unknown: Vec<&&str> = documented.iter().filter(|t| !types.contains(t)).collect();
        assert!(unknown.is_empty(), "{surface}::TYPES lacks {unknown:?}");
    }
    for rest in [
        "ErrorBody",
        "Health",
        "CreateSessionRequest",
        "SessionSummary",
        "SessionList",
        "SessionState",
        "PromptRequest",
        "PromptAccepted",
        "StopAccepted",
        "EventsPage",
        "SandboxAttachment",
        "Me",
        "ChooseLocalUser",
        "ModelList",
        "BuildImageRequest",
        "ImageList",
        "PoolList",
        "WsTokenGrant",
    ] {
        assert!(names.contains(rest), "docs/protocol.md has no {rest} example");
    }
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}
