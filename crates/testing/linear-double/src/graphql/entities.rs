//! Each entity as an [`Obj0`]: the fields of its SDL type the double models (names and types
//! from `contract/schema-subset.graphql`, or `stubs/missing-types.graphql` for Team,
//! WorkflowState, IssueLabel, Project, Organization, PageInfo) and its links.

use serde_json::{json, Value};

use super::objects::{EntityRef, Link, Obj0};
use crate::clock::iso;
use crate::state::{Activity, AgentSession, Comment, Inner, Issue};

/// The object for `entity`, or `None` if it does not exist.
pub(crate) fn build(inner: &Inner, viewer_id: &str, entity: &EntityRef) -> Option<Obj0> {
    Some(match entity {
        EntityRef::Issue(id) => issue(inner, inner.issue(id)?),
        EntityRef::Team(id) => {
            let team = inner.team(id)?;
            let states = team.states.iter().map(|s| EntityRef::State(s.id.clone())).collect();
            Obj0::new("Team")
                .leaf("id", team.id.clone())
                .leaf("key", team.key.clone())
                .leaf("name", team.name.clone())
                .link("states", Link::Connection { type_name: "WorkflowStateConnection", nodes: states })
        }
        EntityRef::State(id) => {
            let (team, state) = inner.state(id)?;
            Obj0::new("WorkflowState")
                .leaf("id", state.id.clone())
                .leaf("name", state.name.clone())
                .leaf("type", state.kind.clone())
                .leaf("position", state.position)
                .leaf("color", state.color.clone())
                .leaf("description", Value::Null)
                .one("team", Some(EntityRef::Team(team.id.clone())))
        }
        EntityRef::Label(id) => {
            let label = inner.label(id)?;
            Obj0::new("IssueLabel")
                .leaf("id", label.id.clone())
                .leaf("name", label.name.clone())
                .leaf("color", label.color.clone())
        }
        EntityRef::Project(id) => {
            let project = inner.project(id)?;
            let url = format!("https://linear.app/{}/project/{}", inner.config.organization.url_key, project.id);
            Obj0::new("Project").leaf("id", project.id.clone()).leaf("name", project.name.clone()).leaf("url", url)
        }
        EntityRef::User(id) => user(inner, viewer_id, id)?,
        EntityRef::Organization => {
            let org = &inner.config.organization;
            Obj0::new("Organization")
                .leaf("id", org.id.clone())
                .leaf("name", org.name.clone())
                .leaf("urlKey", org.url_key.clone())
        }
        EntityRef::Session(id) => session(inner, inner.session(id)?),
        EntityRef::Activity { session_id, id } => {
            let activity = inner.session(session_id)?.activities.iter().find(|a| &a.id == id)?;
            activity_object(activity)
        }
        EntityRef::Content { session_id, id } => {
            let activity = inner.session(session_id)?.activities.iter().find(|a| &a.id == id)?;
            content(activity)
        }
        EntityRef::Comment(id) => comment(inner, inner.comment(id)?),
        EntityRef::PageInfo { has_next_page } => Obj0::new("PageInfo")
            .leaf("hasNextPage", *has_next_page)
            .leaf("hasPreviousPage", false)
            .leaf("startCursor", Value::Null)
            .leaf("endCursor", Value::Null),
    })
}

fn opt_user(id: &Option<String>) -> Option<EntityRef> {
    id.clone().map(EntityRef::User)
}

fn issue(inner: &Inner, issue: &Issue) -> Obj0 {
    let labels = issue.label_ids.iter().map(|id| EntityRef::Label(id.clone())).collect();
    let comments = inner
        .comments
        .iter()
        .filter(|c| c.issue_id.as_deref() == Some(issue.id.as_str()))
        .map(|c| EntityRef::Comment(c.id.clone()))
        .collect();
    let slug: String =
        issue.title.to_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let branch = format!(
        "{}-{}",
        issue.identifier.to_lowercase(),
        slug.split('-').filter(|s| !s.is_empty()).collect::<Vec<_>>().join("-")
    );
    // Linear's priority labels for 0..=4 (the SDL: "0 = No priority, 1 = Urgent, …").
    let priority_label = ["No priority", "Urgent", "High", "Medium", "Low"]
        .get(issue.priority as usize)
        .copied()
        .unwrap_or("No priority");
    Obj0::new("Issue")
        .leaf("id", issue.id.clone())
        .leaf("identifier", issue.identifier.clone())
        .leaf("number", issue.number as f64)
        .leaf("title", issue.title.clone())
        .leaf("description", issue.description.clone())
        .leaf("url", inner.issue_url(issue))
        .leaf("branchName", branch)
        .leaf("priority", issue.priority as f64)
        .leaf("priorityLabel", priority_label)
        .leaf("labelIds", issue.label_ids.clone())
        .leaf("createdAt", iso(issue.created_at))
        .leaf("updatedAt", iso(issue.updated_at))
        .leaf("archivedAt", Value::Null)
        .one("team", Some(EntityRef::Team(issue.team_id.clone())))
        .one("state", Some(EntityRef::State(issue.state_id.clone())))
        .one("project", issue.project_id.clone().map(EntityRef::Project))
        .one("assignee", opt_user(&issue.assignee_id))
        .one("delegate", opt_user(&issue.delegate_id))
        .one("creator", opt_user(&issue.creator_id))
        .one("parent", None)
        .link("labels", Link::Connection { type_name: "IssueLabelConnection", nodes: labels })
        .link("comments", Link::Connection { type_name: "CommentConnection", nodes: comments })
}

fn user(inner: &Inner, viewer_id: &str, id: &str) -> Option<Obj0> {
    let user = inner.user(id)?;
    let initials: String = user.name.split_whitespace().filter_map(|w| w.chars().next()).take(2).collect();
    Some(
        Obj0::new("User")
            .leaf("id", user.id.clone())
            .leaf("name", user.name.clone())
            .leaf("displayName", user.display_name.clone())
            .leaf("email", user.email.clone())
            .leaf("app", user.app)
            .leaf("active", true)
            .leaf("admin", false)
            .leaf("guest", false)
            .leaf("isMe", user.id == viewer_id)
            .leaf("initials", initials.to_uppercase())
            .leaf("avatarUrl", Value::Null)
            .leaf(
                "url",
                format!("https://linear.app/{}/profiles/{}", inner.config.organization.url_key, user.display_name),
            )
            .one("organization", Some(EntityRef::Organization)),
    )
}

/// `AgentSession.url`: the issue's page with the session (the fragment is the double's own).
fn session_url(inner: &Inner, session: &AgentSession) -> Option<String> {
    let issue = inner.issue(session.issue_id.as_deref()?)?;
    Some(format!("{}#agent-session-{}", inner.issue_url(issue), session.id))
}

pub(crate) fn session(inner: &Inner, session: &AgentSession) -> Obj0 {
    let links: Vec<Value> = session.external_urls.iter().map(|u| json!({"label": u.label, "url": u.url})).collect();
    let activities = session
        .activities
        .iter()
        .map(|a| EntityRef::Activity { session_id: session.id.clone(), id: a.id.clone() })
        .collect();
    let object = Obj0::new("AgentSession")
        .leaf("id", session.id.clone())
        .leaf("status", session.status.clone())
        .leaf("plan", session.plan.clone())
        .leaf("externalUrls", Value::Array(links.clone()))
        .leaf("externalLink", session.external_link.clone())
        .leaf("createdAt", iso(session.created_at))
        .leaf("updatedAt", iso(session.updated_at))
        .leaf("startedAt", session.started_at.map(iso))
        .leaf("endedAt", session.ended_at.map(iso))
        .leaf("archivedAt", Value::Null)
        .leaf("dismissedAt", Value::Null)
        .leaf("summary", Value::Null)
        .leaf("context", json!({}))
        .leaf("url", session_url(inner, session))
        .leaf("slugId", session.id.split('-').next().unwrap_or_default().to_string())
        .one("issue", session.issue_id.clone().map(EntityRef::Issue))
        .one("comment", session.comment_id.clone().map(EntityRef::Comment))
        .one("sourceComment", session.source_comment_id.clone().map(EntityRef::Comment))
        .one("creator", opt_user(&session.creator_id))
        .one("appUser", Some(EntityRef::User(session.app_user_id.clone())))
        .link("activities", Link::Connection { type_name: "AgentActivityConnection", nodes: activities });
    let external_links = links
        .into_iter()
        .map(|l| Obj0::new("AgentSessionExternalLink").leaf("label", l["label"].clone()).leaf("url", l["url"].clone()));
    object.link("externalLinks", Link::Objects(external_links.collect()))
}

pub(crate) fn activity_object(activity: &Activity) -> Obj0 {
    let session_id = activity.session_id.clone();
    Obj0::new("AgentActivity")
        .leaf("id", activity.id.clone())
        .leaf("ephemeral", activity.ephemeral)
        .leaf("signal", activity.signal.clone())
        .leaf("signalMetadata", activity.signal_metadata.clone())
        .leaf("createdAt", iso(activity.received_at))
        .leaf("updatedAt", iso(activity.received_at))
        .leaf("archivedAt", Value::Null)
        .leaf("queued", false)
        .one("agentSession", Some(EntityRef::Session(session_id.clone())))
        .one("content", Some(EntityRef::Content { session_id, id: activity.id.clone() }))
        .one("user", Some(EntityRef::User(activity.user_id.clone())))
        .one("sourceComment", activity.source_comment_id.clone().map(EntityRef::Comment))
}

/// The `AgentActivityContent` member for the content's `type` (`thought` →
/// `AgentActivityThoughtContent`), with the content's fields as leaves.
fn content(activity: &Activity) -> Obj0 {
    let mut object = Obj0::new(super::activity::content_type_name(activity.kind()));
    for field in crate::schema::object_fields(&object.type_name) {
        if !field.name.ends_with("Data") {
            let value = activity.content.get(&field.name).cloned().unwrap_or(Value::Null);
            object = object.leaf(&field.name, value);
        }
    }
    object
}

fn comment(inner: &Inner, comment: &Comment) -> Obj0 {
    let url = comment
        .issue_id
        .as_deref()
        .and_then(|id| inner.issue(id))
        .map(|issue| format!("{}#comment-{}", inner.issue_url(issue), &comment.id[..8.min(comment.id.len())]))
        .unwrap_or_default();
    Obj0::new("Comment")
        .leaf("id", comment.id.clone())
        .leaf("body", comment.body.clone())
        .leaf("issueId", comment.issue_id.clone())
        .leaf("parentId", comment.parent_id.clone())
        .leaf("url", url)
        .leaf("createdAt", iso(comment.created_at))
        .leaf("updatedAt", iso(comment.created_at))
        .leaf("editedAt", Value::Null)
        .leaf("archivedAt", Value::Null)
        .one("issue", comment.issue_id.clone().map(EntityRef::Issue))
        .one("parent", comment.parent_id.clone().map(EntityRef::Comment))
        .one("user", Some(EntityRef::User(comment.user_id.clone())))
}
