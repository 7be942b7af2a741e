//! `agentActivityCreate(input: AgentActivityCreateInput!)`: records an activity on its session
//! and moves the session's status as Linear does.
//!
//! `content` is a `JSONObject` the SDL leaves untyped ("See …#activity-content-payload"); the
//! double checks it against the `AgentActivity<Type>Content` type named by its `type` (contract
//! "Agent activity content"): every key a field of that type, every non-null `String` field
//! present, every value a string. The `*Data` fields are `[Internal]` (Linear derives them from
//! the markdown) and `prompt` is the user's (inbound), so the product sends neither.

use std::time::SystemTime;

use serde_json::Value;

use super::errors::LinearError;
use super::objects::{EntityRef, Obj0};
use crate::ids::{is_uuid_v4, uuid};
use crate::schema::{enum_values, object_fields};
use crate::state::{Activity, Inner};

/// Content types that may be `ephemeral: true` (contract: only thought and action, unconfirmed).
const EPHEMERAL_KINDS: &[&str] = &["thought", "action"];

/// The `AgentActivityContent` member for a content `type`: `thought` →
/// `AgentActivityThoughtContent`.
pub(crate) fn content_type_name(kind: &str) -> String {
    let mut name = String::from("AgentActivity");
    name.extend(kind.chars().next().map(|c| c.to_ascii_uppercase()));
    name.push_str(kind.get(1..).unwrap_or_default());
    name.push_str("Content");
    name
}

/// Checks `content` against its content type; answers its `type`.
pub(crate) fn check_content(content: &Value) -> Result<String, String> {
    let object = content.as_object().ok_or("content must be a JSON object")?;
    let kind = object.get("type").and_then(Value::as_str).ok_or("content.type is missing")?;
    if !enum_values("AgentActivityType").iter().any(|k| k == kind) {
        return Err(format!("content.type {kind:?} is not an AgentActivityType"));
    }
    if kind == "prompt" {
        return Err("prompt activities are the user's; an agent cannot create them".into());
    }
    let type_name = content_type_name(kind);
    let fields = object_fields(&type_name);
    for (key, value) in object {
        let Some(field) = fields.iter().find(|f| &f.name == key) else {
            return Err(format!("content.{key} is not a field of {type_name}"));
        };
        if key.ends_with("Data") {
            return Err(format!("content.{key} is [Internal] in {type_name}; send the markdown field"));
        }
        let optional_null = value.is_null() && !field.required;
        if field.type_name == "String" && !value.is_string() && !optional_null {
            return Err(format!("content.{key} must be a string"));
        }
    }
    for field in &fields {
        let needed = field.required && field.type_name == "String";
        if needed && !object.get(&field.name).is_some_and(Value::is_string) {
            return Err(format!("content.{} is required for a {kind} activity ({type_name})", field.name));
        }
    }
    Ok(kind.to_string())
}

/// The session status an agent activity of `kind` leaves (contract "Agent timing rules",
/// Session states): asking for input waits for the user, a response completes the session, an
/// error ends it in error, anything else means the agent is at work.
fn status_after(kind: &str) -> &'static str {
    match kind {
        "elicitation" => "awaitingInput",
        "response" => "complete",
        "error" => "error",
        _ => "active",
    }
}

pub(crate) fn create(inner: &mut Inner, viewer_id: &str, input: &Value) -> Result<Obj0, LinearError> {
    let session_id = input["agentSessionId"].as_str().unwrap_or_default();
    let index = inner.session_index(session_id).ok_or_else(|| LinearError::not_found("AgentSession"))?;
    if inner.sessions[index].app_user_id != viewer_id {
        return Err(LinearError::invalid_input("Only the agent of an agent session can add activities to it"));
    }
    let kind = check_content(&input["content"]).map_err(LinearError::invalid_input)?;
    let ephemeral = input["ephemeral"].as_bool().unwrap_or(false);
    if ephemeral && !EPHEMERAL_KINDS.contains(&kind.as_str()) {
        return Err(LinearError::invalid_input(format!(
            "Only thought and action activities can be ephemeral, not {kind}"
        )));
    }
    let id = match input["id"].as_str() {
        Some(id) if !is_uuid_v4(id) => return Err(LinearError::invalid_input("id must be a UUID v4")),
        Some(id) if inner.sessions.iter().any(|s| s.activities.iter().any(|a| a.id == id)) => {
            return Err(LinearError::invalid_input(format!("An agent activity with id {id} already exists")))
        }
        Some(id) => id.to_string(),
        None => uuid(),
    };
    let now = SystemTime::now();
    let activity = Activity {
        id: id.clone(),
        session_id: session_id.to_string(),
        content: input["content"].clone(),
        ephemeral,
        signal: input["signal"].as_str().map(str::to_string),
        signal_metadata: input.get("signalMetadata").filter(|v| !v.is_null()).cloned(),
        user_id: viewer_id.to_string(),
        source_comment_id: None,
        received_at: now,
    };
    let session = &mut inner.sessions[index];
    session.activities.push(activity);
    session.status = status_after(&kind).to_string();
    session.updated_at = now;
    session.started_at.get_or_insert(now);
    session.ended_at = matches!(kind.as_str(), "response" | "error").then_some(now);
    let session_id = session.id.clone();
    let sync = inner.next_sync_id();
    Ok(Obj0::new("AgentActivityPayload")
        .leaf("success", true)
        .leaf("lastSyncId", sync as f64)
        .one("agentActivity", Some(EntityRef::Activity { session_id, id })))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn content_shapes_follow_the_sdl() {
        assert_eq!(check_content(&json!({"type": "thought", "body": "Looking"})).unwrap(), "thought");
        assert_eq!(
            check_content(&json!({"type": "action", "action": "Ran", "parameter": "cargo test"})).unwrap(),
            "action"
        );
        let with_result = json!({"type": "action", "action": "Ran", "parameter": "x", "result": "ok"});
        assert!(check_content(&with_result).is_ok());
        assert!(check_content(&json!({"type": "error", "body": "Failed", "reasonCode": "x"})).is_ok());
        let cases = [
            (json!("thought"), "must be a JSON object"),
            (json!({"body": "x"}), "content.type is missing"),
            (json!({"type": "musing", "body": "x"}), "not an AgentActivityType"),
            (json!({"type": "prompt", "body": "x"}), "the user's"),
            (json!({"type": "thought"}), "content.body is required"),
            (json!({"type": "action", "action": "Ran"}), "content.parameter is required"),
            (json!({"type": "thought", "body": "x", "title": "t"}), "not a field of AgentActivityThoughtContent"),
            (json!({"type": "response", "body": 3}), "must be a string"),
            (json!({"type": "response", "body": "x", "bodyData": {}}), "[Internal]"),
        ];
        for (content, expected) in cases {
            let problem = check_content(&content).unwrap_err();
            assert!(problem.contains(expected), "{content}: {problem}");
        }
    }

    #[test]
    fn statuses() {
        assert_eq!(status_after("elicitation"), "awaitingInput");
        assert_eq!(status_after("response"), "complete");
        assert_eq!(status_after("error"), "error");
        assert_eq!(status_after("thought"), "active");
        assert_eq!(content_type_name("elicitation"), "AgentActivityElicitationContent");
    }
}
