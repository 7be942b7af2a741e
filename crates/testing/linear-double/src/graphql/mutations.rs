//! `agentSessionUpdate`, `issueUpdate` and `commentCreate` (signatures and input fields from
//! the contract's SDL; `agentActivityCreate` is in [`super::activity`]). Each answers its
//! `*Payload` (`success`, `lastSyncId`, the entity) or an `invalid input` error.

use std::time::SystemTime;

use serde_json::Value;

use super::errors::LinearError;
use super::objects::{EntityRef, Obj0};
use crate::ids::{is_uuid_v4, uuid};
use crate::state::{Comment, ExternalUrl, Inner, StateChange};

fn payload(inner: &mut Inner, type_name: &str, field: &'static str, entity: EntityRef) -> Obj0 {
    let sync = inner.next_sync_id();
    Obj0::new(type_name).leaf("success", true).leaf("lastSyncId", sync as f64).one(field, Some(entity))
}

/// The input's keys that the double does not model: answered as an error, since the double
/// would otherwise pretend to apply them.
fn unmodeled(input: &Value, modeled: &[&str], input_type: &str) -> Result<(), LinearError> {
    let extra: Vec<&String> =
        input.as_object().into_iter().flatten().map(|(k, _)| k).filter(|k| !modeled.contains(&k.as_str())).collect();
    match extra.first() {
        Some(key) => Err(LinearError::new(
            super::errors::LinearErrorType::InternalError,
            format!("linear-double does not model {input_type}.{key}"),
        )),
        None => Ok(()),
    }
}

fn external_url(value: &Value) -> Result<ExternalUrl, LinearError> {
    let label = value["label"].as_str().unwrap_or_default().to_string();
    let link = value["url"].as_str().unwrap_or_default().to_string();
    match url::Url::parse(&link) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Ok(ExternalUrl { label, url: link }),
        _ => Err(LinearError::invalid_input(format!("{link:?} is not a valid URL"))),
    }
}

/// `agentSessionUpdate(id, input)`. `externalUrls` replaces the list, and then
/// `addedExternalUrls`/`removedExternalUrls` are ignored (the SDL's input docs);
/// `dismissedAt` and `userState` are "[Internal] … Only updatable by internal clients".
pub(crate) fn agent_session_update(
    inner: &mut Inner,
    viewer_id: &str,
    id: &str,
    input: &Value,
) -> Result<Obj0, LinearError> {
    let index = inner.session_index(id).ok_or_else(|| LinearError::not_found("AgentSession"))?;
    for internal in ["dismissedAt", "userState"] {
        if input.get(internal).is_some() {
            return Err(LinearError::invalid_input(format!("{internal} is only updatable by internal clients")));
        }
    }
    if inner.sessions[index].app_user_id != viewer_id {
        return Err(LinearError::invalid_input("Only the OAuth application that owns the session can update it"));
    }
    let plan = match input.get("plan") {
        Some(Value::Object(_)) | Some(Value::Null) | None => input.get("plan").cloned(),
        Some(other) => return Err(LinearError::invalid_input(format!("plan must be a JSON object, got {other}"))),
    };
    let list = |key: &str| -> Result<Option<Vec<ExternalUrl>>, LinearError> {
        input.get(key).and_then(Value::as_array).map(|items| items.iter().map(external_url).collect()).transpose()
    };
    let (replaced, added) = (list("externalUrls")?, list("addedExternalUrls")?);
    let removed: Vec<&str> =
        input["removedExternalUrls"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let session = &mut inner.sessions[index];
    if let Some(plan) = plan {
        session.plan = (!plan.is_null()).then_some(plan);
    }
    if let Some(urls) = replaced {
        session.external_urls = urls;
    } else {
        session.external_urls.retain(|u| !removed.contains(&u.url.as_str()));
        for url in added.into_iter().flatten() {
            session.external_urls.retain(|u| u.url != url.url);
            session.external_urls.push(url);
        }
    }
    if let Some(link) = input.get("externalLink") {
        session.external_link = link.as_str().map(str::to_string);
    }
    session.updates.push(input.clone());
    session.updated_at = SystemTime::now();
    let entity = EntityRef::Session(session.id.clone());
    Ok(payload(inner, "AgentSessionPayload", "agentSession", entity))
}

const ISSUE_FIELDS: &[&str] = &[
    "stateId",
    "labelIds",
    "addedLabelIds",
    "removedLabelIds",
    "title",
    "description",
    "assigneeId",
    "delegateId",
    "priority",
    "projectId",
];

/// `issueUpdate(id, input)` for the fields in [`ISSUE_FIELDS`]: `stateId` must be a state of
/// the issue's team, ids must name existing labels, users and projects, `priority` is 0 to 4.
pub(crate) fn issue_update(inner: &mut Inner, id: &str, input: &Value) -> Result<Obj0, LinearError> {
    let index = inner.issue_index(id).ok_or_else(|| LinearError::not_found("Issue"))?;
    unmodeled(input, ISSUE_FIELDS, "IssueUpdateInput")?;
    let team_id = inner.issues[index].team_id.clone();
    let state = match input["stateId"].as_str() {
        Some(state_id) => match inner.state(state_id) {
            Some((team, state)) if team.id == team_id => Some(state.clone()),
            Some(_) => {
                return Err(LinearError::invalid_input("The workflow state does not belong to the issue's team"))
            }
            None => return Err(LinearError::not_found("WorkflowState")),
        },
        None => None,
    };
    let ids = |key: &str| -> Vec<String> {
        input[key].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_string)).collect()
    };
    for label in ids("labelIds").iter().chain(&ids("addedLabelIds")) {
        if inner.label(label).is_none() {
            return Err(LinearError::not_found("IssueLabel"));
        }
    }
    for key in ["assigneeId", "delegateId"] {
        if input[key].as_str().is_some_and(|user| inner.user(user).is_none()) {
            return Err(LinearError::not_found("User"));
        }
    }
    if input["projectId"].as_str().is_some_and(|p| inner.project(p).is_none()) {
        return Err(LinearError::not_found("Project"));
    }
    if input["priority"].as_i64().is_some_and(|p| !(0..=4).contains(&p)) {
        return Err(LinearError::invalid_input("priority must be between 0 and 4"));
    }
    if input["title"].as_str().is_some_and(|t| t.trim().is_empty()) || input.get("title").is_some_and(Value::is_null) {
        return Err(LinearError::invalid_input("title must not be empty"));
    }
    let now = SystemTime::now();
    let issue = &mut inner.issues[index];
    if let Some(state) = state {
        if state.id != issue.state_id {
            let from_state_id = std::mem::replace(&mut issue.state_id, state.id.clone());
            issue.state_changes.push(StateChange {
                from_state_id,
                to_state_id: state.id,
                to_state_name: state.name,
                at: now,
            });
        }
    }
    if input.get("labelIds").is_some() {
        issue.label_ids = ids("labelIds");
    }
    issue.label_ids.retain(|l| !ids("removedLabelIds").contains(l));
    for label in ids("addedLabelIds") {
        if !issue.label_ids.contains(&label) {
            issue.label_ids.push(label);
        }
    }
    let text = |key: &str| input[key].as_str().map(str::to_string);
    if let Some(title) = text("title") {
        issue.title = title;
    }
    if input.get("description").is_some() {
        issue.description = text("description");
    }
    if input.get("assigneeId").is_some() {
        issue.assignee_id = text("assigneeId");
    }
    if input.get("delegateId").is_some() {
        issue.delegate_id = text("delegateId");
    }
    if input.get("projectId").is_some() {
        issue.project_id = text("projectId");
    }
    if let Some(priority) = input["priority"].as_i64() {
        issue.priority = priority;
    }
    issue.updates.push(input.clone());
    issue.updated_at = now;
    let entity = EntityRef::Issue(issue.id.clone());
    Ok(payload(inner, "IssuePayload", "issue", entity))
}

const COMMENT_FIELDS: &[&str] =
    &["body", "issueId", "parentId", "id", "createAsUser", "displayIconUrl", "doNotSubscribeToIssue", "subscriberIds"];

/// `commentCreate(input)` on an issue (`issueId`: UUID or identifier such as `ENG-123`, contract
/// "Operations we need") or as a reply (`parentId`, on the parent's issue).
pub(crate) fn comment_create(inner: &mut Inner, viewer_id: &str, input: &Value) -> Result<Obj0, LinearError> {
    unmodeled(input, COMMENT_FIELDS, "CommentCreateInput")?;
    let body = input["body"].as_str().filter(|b| !b.trim().is_empty());
    let body = body.ok_or_else(|| LinearError::invalid_input("body must not be empty"))?.to_string();
    let parent = match input["parentId"].as_str() {
        Some(parent_id) => Some(inner.comment(parent_id).ok_or_else(|| LinearError::not_found("Comment"))?.clone()),
        None => None,
    };
    let issue_id = match input["issueId"].as_str() {
        Some(wanted) => Some(inner.issue(wanted).ok_or_else(|| LinearError::not_found("Issue"))?.id.clone()),
        None => parent.as_ref().and_then(|p| p.issue_id.clone()),
    };
    let issue_id = issue_id.ok_or_else(|| LinearError::invalid_input("commentCreate needs issueId or parentId"))?;
    if parent.as_ref().is_some_and(|p| p.issue_id.as_deref() != Some(issue_id.as_str())) {
        return Err(LinearError::invalid_input("The parent comment belongs to another issue"));
    }
    let id = match input["id"].as_str() {
        Some(id) if !is_uuid_v4(id) || inner.comment(id).is_some() => {
            return Err(LinearError::invalid_input("id must be a new UUID v4"))
        }
        Some(id) => id.to_string(),
        None => uuid(),
    };
    inner.comments.push(Comment {
        id: id.clone(),
        issue_id: Some(issue_id),
        parent_id: parent.map(|p| p.id),
        body,
        user_id: viewer_id.to_string(),
        create_as_user: input["createAsUser"].as_str().map(str::to_string),
        display_icon_url: input["displayIconUrl"].as_str().map(str::to_string),
        created_at: SystemTime::now(),
    });
    Ok(payload(inner, "CommentPayload", "comment", EntityRef::Comment(id)))
}
