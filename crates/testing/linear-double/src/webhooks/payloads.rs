//! `AgentSessionEvent` bodies, shaped by the SDL's `AgentSessionEventWebhookPayload` and the
//! types it references (`AgentSessionWebhookPayload`, `IssueWithDescriptionChildWebhookPayload`,
//! `TeamChildWebhookPayload`, `CommentChildWebhookPayload`, `UserChildWebhookPayload`,
//! `AgentActivityWebhookPayload`; contract "Payload envelopes"). The tests check every body
//! against those types field by field.
//!
//! The issue's labels and project are not in `IssueWithDescriptionChildWebhookPayload`: they
//! reach the agent through `promptContext` ("A formatted prompt string containing the relevant
//! context for the agent session, including issue details, comments, and guidance") and through
//! `issue(id:)`. The double's `promptContext` is its own rendering, modelled on Linear's agent
//! docs (`<issue identifier=…>` with title, description, team, labels and project, then the
//! thread of the mention); the contract does not fix its format.

use serde_json::{json, Value};

use crate::clock::iso;
use crate::state::{AgentSession, Inner};

/// `UserChildWebhookPayload` of a user.
fn user_child(inner: &Inner, user_id: &str) -> Value {
    let Some(user) = inner.user(user_id) else { return Value::Null };
    json!({
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "avatarUrl": null,
        "url": format!("https://linear.app/{}/profiles/{}", inner.config.organization.url_key, user.display_name),
    })
}

/// `CommentChildWebhookPayload` of a comment.
fn comment_child(inner: &Inner, comment_id: &str) -> Value {
    let Some(comment) = inner.comment(comment_id) else { return Value::Null };
    json!({"id": comment.id, "body": comment.body, "userId": comment.user_id, "issueId": comment.issue_id})
}

/// `AgentSessionWebhookPayload` of a session as it is now.
fn session_payload(inner: &Inner, session: &AgentSession) -> Value {
    let issue = session.issue_id.as_deref().and_then(|id| inner.issue(id));
    let issue_json = issue.map(|issue| {
        let team = inner.team(&issue.team_id);
        json!({
            "id": issue.id,
            "identifier": issue.identifier,
            "title": issue.title,
            "description": issue.description,
            "url": inner.issue_url(issue),
            "teamId": issue.team_id,
            "team": team.map(|t| json!({"id": t.id, "key": t.key, "name": t.name})),
        })
    });
    let url = issue.map(|i| format!("{}#agent-session-{}", inner.issue_url(i), session.id));
    json!({
        "id": session.id,
        "appUserId": session.app_user_id,
        "organizationId": inner.config.organization.id,
        "status": session.status,
        // AgentSessionType's only value (deprecated in the SDL, still a String! here).
        "type": "commentThread",
        "createdAt": iso(session.created_at),
        "updatedAt": iso(session.updated_at),
        "startedAt": session.started_at.map(iso),
        "endedAt": session.ended_at.map(iso),
        "archivedAt": null,
        "summary": null,
        "url": url,
        "issueId": session.issue_id,
        "issue": issue_json,
        "commentId": session.comment_id,
        "comment": session.comment_id.as_deref().map(|id| comment_child(inner, id)),
        "sourceCommentId": session.source_comment_id,
        "creatorId": session.creator_id,
        "creator": session.creator_id.as_deref().map(|id| user_child(inner, id)),
    })
}

/// The fields every `AgentSessionEventWebhookPayload` has.
fn envelope(inner: &Inner, action: &str, session: &AgentSession, created_at_ms: i64) -> Value {
    json!({
        "type": "AgentSessionEvent",
        "action": action,
        "createdAt": iso(std::time::UNIX_EPOCH + std::time::Duration::from_millis(created_at_ms.max(0) as u64)),
        "organizationId": inner.config.organization.id,
        "oauthClientId": inner.config.oauth.client_id,
        "appUserId": session.app_user_id,
        "agentSession": session_payload(inner, session),
        "webhookId": inner.config.webhook_id,
        "webhookTimestamp": created_at_ms,
    })
}

/// The `created` event of a session the double just created.
pub(crate) fn created(inner: &Inner, session: &AgentSession) -> Value {
    let now = inner.webhook_now_ms();
    let mut body = envelope(inner, "created", session, now);
    body["promptContext"] = Value::String(prompt_context(inner, session));
    body
}

/// The `prompted` event for the session's activity `activity_id` (the user's prompt).
pub(crate) fn prompted(inner: &Inner, session: &AgentSession, activity_id: &str) -> Value {
    let now = inner.webhook_now_ms();
    let mut body = envelope(inner, "prompted", session, now);
    if let Some(activity) = session.activities.iter().find(|a| a.id == activity_id) {
        body["agentActivity"] = json!({
            "id": activity.id,
            "agentSessionId": session.id,
            "content": activity.content,
            "signal": activity.signal,
            "signalMetadata": activity.signal_metadata,
            "sourceCommentId": activity.source_comment_id,
            "createdAt": iso(activity.received_at),
            "updatedAt": iso(activity.received_at),
            "archivedAt": null,
            "userId": activity.user_id,
            "user": user_child(inner, &activity.user_id),
        });
    }
    body
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The issue (title, description, team, labels, project) and, for a mention, its comment.
fn prompt_context(inner: &Inner, session: &AgentSession) -> String {
    let mut out = String::new();
    if let Some(issue) = session.issue_id.as_deref().and_then(|id| inner.issue(id)) {
        out.push_str(&format!("<issue identifier=\"{}\">\n", escape(&issue.identifier)));
        out.push_str(&format!("<title>{}</title>\n", escape(&issue.title)));
        if let Some(description) = &issue.description {
            out.push_str(&format!("<description>{}</description>\n", escape(description)));
        }
        if let Some(team) = inner.team(&issue.team_id) {
            out.push_str(&format!("<team name=\"{}\"/>\n", escape(&team.name)));
        }
        for label in issue.label_ids.iter().filter_map(|id| inner.label(id)) {
            out.push_str(&format!("<label>{}</label>\n", escape(&label.name)));
        }
        if let Some(project) = issue.project_id.as_deref().and_then(|id| inner.project(id)) {
            out.push_str(&format!("<project name=\"{}\"/>\n", escape(&project.name)));
        }
        out.push_str("</issue>\n");
    }
    if let Some(comment) = session.comment_id.as_deref().and_then(|id| inner.comment(id)) {
        let author = inner.user(&comment.user_id).map(|u| u.name.clone()).unwrap_or_default();
        out.push_str(&format!("<primary-directive-thread comment-id=\"{}\">\n", comment.id));
        out.push_str(&format!("<comment author=\"{}\">\n{}\n</comment>\n", escape(&author), escape(&comment.body)));
        out.push_str("</primary-directive-thread>\n");
    }
    out
}
