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

/// Round-trips the REST bodies (types without a `type` tag) by their name in the doc; false
/// for a name that is not one of them.
fn round_trips_by_name(kind: &str, name: &str, json: &str) -> bool {
    macro_rules! by_name {
        ($($label:ident => $ty:ty),* $(,)?) => {
            match kind {
                $(stringify!($label) => {
                    round_trip::<$ty>(name, json);
                    true
                })*
                _ => false,
            }
        };
    }
    by_name!(
            ErrorBody => ErrorBody,
            Health => Health,
            CreateSessionRequest => CreateSessionRequest,
            SessionSummary => SessionSummary,
            SessionList => SessionList,
            SessionState => SessionState,
            PromptRequest => PromptRequest,
            PromptAccepted => PromptAccepted,
            StopAccepted => StopAccepted,
            EventsPage => EventsPage,
            Me => Me,
            WsTokenGrant => oi_protocol::rest::WsTokenGrant,
            ChooseLocalUser => ChooseLocalUser,
            BuildImageRequest => BuildImageRequest,
            ImageList => ImageList,
            PoolList => PoolList,
            ModelList => ModelList,
            SandboxAttachment => SandboxAttachment,
            SessionUsage => SessionUsage,
            PutSecretRequest => oi_protocol::secrets::PutSecretRequest,
            SecretList => oi_protocol::secrets::SecretList,
            ImportSecretsRequest => oi_protocol::secrets::ImportSecretsRequest,
            ImportSecretsResult => oi_protocol::secrets::ImportSecretsResult,
            SecretAuditLog => oi_protocol::secrets::SecretAuditLog,
            RotateSecretsResult => oi_protocol::secrets::RotateSecretsResult,
            CreatePullRequest => oi_protocol::source_control::CreatePullRequest,
            PullRequest => oi_protocol::source_control::PullRequest,
            RepositoryList => oi_protocol::source_control::RepositoryList,
            BranchList => oi_protocol::source_control::BranchList,
            CreateAutomation => oi_protocol::automations::CreateAutomation,
            AutomationWithSecret => oi_protocol::automations::AutomationWithSecret,
            Automation => oi_protocol::automations::Automation,
            AutomationList => oi_protocol::automations::AutomationList,
            UpdateAutomation => oi_protocol::automations::UpdateAutomation,
            AutomationRun => oi_protocol::automations::AutomationRun,
            RunList => oi_protocol::automations::RunList,
            DeliveryAccepted => oi_protocol::automations::DeliveryAccepted,
            UpdateIntegration => oi_protocol::integrations::UpdateIntegration,
            IntegrationList => oi_protocol::integrations::IntegrationList,
            Integration => oi_protocol::integrations::Integration,
            DeliveryList => oi_protocol::integrations::DeliveryList,
            OriginNotice => oi_protocol::origin::OriginNotice,
            OriginPost => oi_protocol::origin::OriginPost,
            OriginPostAccepted => oi_protocol::origin::OriginPostAccepted,
            PutIntegrationLink => oi_protocol::integrations::PutIntegrationLink,
            IntegrationLinkList => oi_protocol::integrations::IntegrationLinkList,
            MediaInfo => oi_protocol::media::MediaInfo,
            AgentUpload => oi_protocol::media::AgentUpload,
            WebhookAck => oi_protocol::source_control::WebhookAck,
            PreviewLink => oi_protocol::preview::PreviewLink
    )
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
            other if round_trips_by_name(other, &name, &json) => None,
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
        "CreatePullRequest",
        "PullRequest",
        "RepositoryList",
        "BranchList",
        "CreateAutomation",
        "AutomationWithSecret",
        "Automation",
        "AutomationList",
        "UpdateAutomation",
        "AutomationRun",
        "RunList",
        "DeliveryAccepted",
        "UpdateIntegration",
        "IntegrationList",
        "Integration",
        "DeliveryList",
        "OriginNotice",
        "OriginPost",
        "OriginPostAccepted",
        "PutIntegrationLink",
        "IntegrationLinkList",
        "MediaInfo",
        "AgentUpload",
        "WebhookAck",
        "PreviewLink",
    ] {
        assert!(names.contains(rest), "docs/protocol.md has no {rest} example");
    }
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}
