//! Reactions: `reactions/create-for-issue`, `reactions/create-for-issue-comment` and
//! `reactions/create-for-pull-request-review-comment`. "A response with an HTTP `200` status
//! means that you already added the reaction type" (the operations' descriptions): 201 for a new
//! reaction, 200 with the existing one.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::discussion_json::{self, REACTIONS};
use super::pulls::{author_of, body_object};
use super::repos::caller_and_repo;
use crate::app::discussion::ReactionTarget;
use crate::app::pulls::author_json;
use crate::app::reviewing::react;
use crate::state::Shared;

const ISSUE_DOCS: &str = "https://docs.github.com/rest/reactions/reactions#create-reaction-for-an-issue";
const ISSUE_COMMENT_DOCS: &str =
    "https://docs.github.com/rest/reactions/reactions#create-reaction-for-an-issue-comment";
const REVIEW_COMMENT_DOCS: &str =
    "https://docs.github.com/rest/reactions/reactions#create-reaction-for-a-pull-request-review-comment";

/// `POST /repos/{owner}/{repo}/issues/{issue_number}/reactions`: on a pull request or an issue.
pub(crate) async fn for_issue(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((owner, name, number)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let target = ReactionTarget::Issue(number.parse().unwrap_or(0));
    create(&shared, &headers, (&owner, &name), target, &body, ISSUE_DOCS)
}

/// `POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions`.
pub(crate) async fn for_issue_comment(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((owner, name, id)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let target = ReactionTarget::IssueComment(id.parse().unwrap_or(0));
    create(&shared, &headers, (&owner, &name), target, &body, ISSUE_COMMENT_DOCS)
}

/// `POST /repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions`.
pub(crate) async fn for_review_comment(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((owner, name, id)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let target = ReactionTarget::ReviewComment(id.parse().unwrap_or(0));
    create(&shared, &headers, (&owner, &name), target, &body, REVIEW_COMMENT_DOCS)
}

/// `{content}` → 201 (new) or 200 (already there) `reaction`; 404 when the target is unknown;
/// 422 `validation-error` for a content outside the enum. Installation tokens need `issues` or
/// `pull_requests` at `write`.
fn create(
    shared: &Shared,
    headers: &HeaderMap,
    (owner, name): (&str, &str),
    target: ReactionTarget,
    body: &Bytes,
    docs: &str,
) -> Response {
    let (caller, repo, _) = match caller_and_repo(shared, headers, owner, name, docs) {
        Ok(found) => found,
        Err(response) => return *response,
    };
    let exists = {
        let inner = shared.lock();
        let talk = &inner.app.discussion;
        match target {
            ReactionTarget::Issue(n) => inner.app.pull(repo.id, n).is_some() || talk.issue(repo.id, n).is_some(),
            ReactionTarget::IssueComment(id) => talk.issue_comment(repo.id, id).is_some(),
            ReactionTarget::ReviewComment(id) => talk.review_comment(repo.id, id).is_some(),
        }
    };
    if !exists {
        return caller.error(StatusCode::NOT_FOUND, "Not Found", docs);
    }
    if !(caller.may("issues", "write") || caller.may("pull_requests", "write")) {
        return caller.not_accessible_by_integration(docs);
    }
    let map = match body_object(&caller, body, docs) {
        Ok(map) => map,
        Err(response) => return *response,
    };
    let Some(content) = map.get("content").and_then(Value::as_str).filter(|c| REACTIONS.contains(c)) else {
        let errors = json!([{ "resource": "Reaction", "code": "invalid", "field": "content" }]);
        return caller.validation_failed(errors, docs);
    };
    let author = author_of(&caller);
    let writer = shared.lock().writer(&author);
    let (reaction, new) = react(shared, repo.id, target, writer, content);
    let user = author_json(&mut shared.lock(), &shared.base_url, &author);
    let status = if new { StatusCode::CREATED } else { StatusCode::OK };
    caller.json(status, &discussion_json::reaction(&reaction, user), None)
}
