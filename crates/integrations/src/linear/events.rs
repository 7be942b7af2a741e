//! Linear webhook deliveries (after their signature is verified): which ones start work (an
//! agent session `created`: the agent was delegated an issue or mentioned), continue it (a
//! `prompted` follow-up), or stop it (a prompt with `signal: "stop"`), and which are answered
//! and ignored. Shapes: `AgentSessionEventWebhookPayload` and the types it references in
//! shared/contracts/linear/schema-subset.graphql.
//!
//! Invariant: every delivery that may start, continue or stop work carries a dedupe key that is
//! the same on Linear's retries of it and different for every other event: `session:<agent
//! session id>` for `created` (a session is created once), `activity:<agent activity id>` for
//! `prompted` (each prompt is a new activity). `webhookId` is not used: it names the webhook
//! (the same on every delivery), not the delivery. Texts from Linear (titles, descriptions,
//! comments, prompts, the prompt context) are kept exactly as sent; they are untrusted.

use oi_protocol::ErrorCode;
use serde_json::Value;

use crate::inbound::{delivery_key, Refusal};
use crate::people::VendorUser;

/// What a verified body asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinearDelivery {
    /// A new agent session: answer with a `thought` within 10 s, then work.
    SessionCreated(Box<SessionCreated>),
    /// A follow-up prompt in a session (or the answer to its elicitation).
    Prompted(SessionPrompted),
    /// The person asked the session to stop: stop its running prompt.
    StopRequested(SessionPrompted),
    /// Acknowledged (200) and nothing else; the reason names why.
    Ignored { reason: String },
}

/// An `AgentSessionEvent` / `created`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionCreated {
    /// `session:<agent session id>`.
    pub dedupe_key: String,
    pub organization_id: String,
    pub agent_session_id: String,
    /// The session in Linear (its issue's page, at the session).
    pub session_url: Option<String>,
    /// The issue the session is about; none when it was started elsewhere (a document).
    pub issue: Option<SessionIssue>,
    /// The comment whose thread the session lives in (the one that mentioned the agent).
    pub comment: Option<SessionComment>,
    /// The person responsible; none when an automation or another agent started it.
    pub creator: Option<LinearUser>,
    /// Linear's own formatted prompt (issue, comments, guidance).
    pub prompt_context: Option<String>,
    /// The workspace's and teams' guidance for agents, nearest team last as Linear sends it.
    pub guidance: Vec<String>,
}

/// The issue as the session's webhook carries it (`IssueWithDescriptionChildWebhookPayload`):
/// labels, project and state need the `issue` query ([`super::issue`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionIssue {
    pub id: String,
    /// `ENG-123`.
    pub identifier: String,
    pub title: String,
    pub description: Option<String>,
    pub url: String,
    pub team_id: String,
    pub team_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionComment {
    pub id: String,
    pub body: String,
}

/// A Linear user (`UserChildWebhookPayload`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LinearUser {
    pub id: String,
    pub name: String,
    pub email: String,
}

impl LinearUser {
    /// As [`crate::people::acting_person`] sees them. The email counts as verified: a Linear
    /// account signs in through that address (a link sent to it, or Google/SAML for it).
    pub fn vendor_user(&self) -> VendorUser<'_> {
        VendorUser { id: &self.id, email: Some(&self.email), email_verified: true }
    }
}

/// An `AgentSessionEvent` / `prompted`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionPrompted {
    /// `activity:<agent activity id>`.
    pub dedupe_key: String,
    pub organization_id: String,
    pub agent_session_id: String,
    pub activity_id: String,
    /// The prompt's markdown; may be empty on a stop request.
    pub body: String,
    pub author: LinearUser,
}

/// The signal that stops the session's running prompt (enum `AgentActivitySignal`).
pub const STOP_SIGNAL: &str = "stop";

fn malformed(path: &str) -> Refusal {
    Refusal::new(ErrorCode::InvalidRequest, format!("the Linear delivery has no usable `{path}`"))
}

fn ignored(reason: impl Into<String>) -> Result<LinearDelivery, Refusal> {
    Ok(LinearDelivery::Ignored { reason: reason.into() })
}

/// A required non-empty string at `value[key]`; `path` names it in the refusal.
fn string(value: &Value, key: &str, path: &str) -> Result<String, Refusal> {
    match value.get(key).and_then(Value::as_str) {
        Some(s) if !s.trim().is_empty() => Ok(s.to_string()),
        _ => Err(malformed(&format!("{path}{key}"))),
    }
}

/// An optional string, as sent (null or absent: none).
fn optional(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_string)
}

/// An optional object (null or absent: none).
fn object<'a>(value: &'a Value, key: &str, path: &str) -> Result<Option<&'a Value>, Refusal> {
    match value.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) if v.is_object() => Ok(Some(v)),
        Some(_) => Err(malformed(&format!("{path}{key}"))),
    }
}

fn dedupe_key(kind: &str, id: &str, path: &str) -> Result<String, Refusal> {
    delivery_key(Some(&format!("{kind}:{id}"))).ok_or_else(|| malformed(path))
}

/// Parses a verified body. `type` other than `AgentSessionEvent` (Issue, Comment, … data
/// changes), and actions other than `created` and `prompted`, are ignored naming why; so is a
/// `prompted` whose activity is not a prompt, or is an empty prompt without a signal. A
/// `prompted` with `signal: "stop"` is a [`LinearDelivery::StopRequested`]; any other signal
/// (`continue`, `select`, `auth`) is an ordinary prompt: its body is the answer. A delivery
/// without a field this needs (ids, the author, the issue's identifier…) is refused
/// (`invalid_request`, naming the field).
pub fn parse(body: &Value) -> Result<LinearDelivery, Refusal> {
    let kind = body.get("type").and_then(Value::as_str).ok_or_else(|| malformed("type"))?;
    if kind != "AgentSessionEvent" {
        return ignored(format!("Linear {kind} deliveries are not used"));
    }
    let action = body.get("action").and_then(Value::as_str).ok_or_else(|| malformed("action"))?;
    if action != "created" && action != "prompted" {
        return ignored(format!("agent session action {action} is not used"));
    }
    let organization_id = string(body, "organizationId", "")?;
    let session = object(body, "agentSession", "")?.ok_or_else(|| malformed("agentSession"))?;
    let agent_session_id = string(session, "id", "agentSession.")?;
    if action == "created" {
        return Ok(LinearDelivery::SessionCreated(Box::new(created(
            body,
            session,
            organization_id,
            agent_session_id,
        )?)));
    }
    let activity = object(body, "agentActivity", "")?.ok_or_else(|| malformed("agentActivity"))?;
    let activity_id = string(activity, "id", "agentActivity.")?;
    let content = object(activity, "content", "agentActivity.")?.ok_or_else(|| malformed("agentActivity.content"))?;
    let content_type = content.get("type").and_then(Value::as_str).unwrap_or_default();
    if content_type != "prompt" {
        return ignored(format!("a {content_type:?} activity is not a prompt"));
    }
    let stop = activity.get("signal").and_then(Value::as_str) == Some(STOP_SIGNAL);
    let body_text = optional(content, "body").unwrap_or_default();
    if body_text.trim().is_empty() && !stop {
        return ignored("an empty prompt");
    }
    let author = object(activity, "user", "agentActivity.")?.ok_or_else(|| malformed("agentActivity.user"))?;
    let prompted = SessionPrompted {
        dedupe_key: dedupe_key("activity", &activity_id, "agentActivity.id")?,
        organization_id,
        agent_session_id,
        activity_id,
        body: body_text,
        author: user(author, "agentActivity.user.")?,
    };
    Ok(if stop { LinearDelivery::StopRequested(prompted) } else { LinearDelivery::Prompted(prompted) })
}

fn created(
    body: &Value,
    session: &Value,
    organization_id: String,
    agent_session_id: String,
) -> Result<SessionCreated, Refusal> {
    let issue = match object(session, "issue", "agentSession.")? {
        Some(issue) => Some(session_issue(issue)?),
        None => None,
    };
    let comment = match object(session, "comment", "agentSession.")? {
        Some(comment) => Some(SessionComment {
            id: string(comment, "id", "agentSession.comment.")?,
            body: optional(comment, "body").unwrap_or_default(),
        }),
        None => None,
    };
    let creator = match object(session, "creator", "agentSession.")? {
        Some(creator) => Some(user(creator, "agentSession.creator.")?),
        None => None,
    };
    let guidance = match body.get("guidance") {
        Some(Value::Array(rules)) => rules.iter().filter_map(|rule| optional(rule, "body")).collect(),
        _ => Vec::new(),
    };
    Ok(SessionCreated {
        dedupe_key: dedupe_key("session", &agent_session_id, "agentSession.id")?,
        organization_id,
        agent_session_id,
        session_url: optional(session, "url"),
        issue,
        comment,
        creator,
        prompt_context: optional(body, "promptContext"),
        guidance,
    })
}

fn session_issue(issue: &Value) -> Result<SessionIssue, Refusal> {
    const AT: &str = "agentSession.issue.";
    let team = object(issue, "team", AT)?.ok_or_else(|| malformed("agentSession.issue.team"))?;
    Ok(SessionIssue {
        id: string(issue, "id", AT)?,
        identifier: string(issue, "identifier", AT)?,
        title: optional(issue, "title").unwrap_or_default(),
        description: optional(issue, "description"),
        url: string(issue, "url", AT)?,
        team_id: string(team, "id", "agentSession.issue.team.")?,
        team_key: string(team, "key", "agentSession.issue.team.")?,
    })
}

fn user(user: &Value, path: &str) -> Result<LinearUser, Refusal> {
    Ok(LinearUser {
        id: string(user, "id", path)?,
        name: optional(user, "name").unwrap_or_default(),
        email: optional(user, "email").unwrap_or_default(),
    })
}

#[cfg(test)]
#[path = "events_tests.rs"]
mod tests;
