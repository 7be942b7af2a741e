//! Comments: `pulls/create-review-comment`, `pulls/create-reply-for-review-comment` and
//! `issues/create-comment`. Each delivers the webhook GitHub would
//! (`pull_request_review_comment` / `issue_comment` `created`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::pulls::{author_of, body_object, text};
use super::repos::caller_and_repo;
use super::reviews::{find_pull, not_supplied};
use super::{discussion_json, Caller};
use crate::app::discussion::{RecordedReviewComment, Writer};
use crate::app::pulls::shown;
use crate::app::reviewing::{add_issue_comment, add_review, locate, pull_files, Place, PlacedComment};
use crate::app::state::Pull;
use crate::app_config::RepoConfig;
use crate::git_diff::Anchor;
use crate::state::Shared;

const REVIEW_COMMENT_DOCS: &str =
    "https://docs.github.com/rest/pulls/comments#create-a-review-comment-for-a-pull-request";
const REPLY_DOCS: &str = "https://docs.github.com/rest/pulls/comments#create-a-reply-for-a-review-comment";
const ISSUE_COMMENT_DOCS: &str = "https://docs.github.com/rest/issues/comments#create-an-issue-comment";

/// 201 with `body` and `Location: <its url>`.
fn created(caller: &Caller, body: &Value) -> Response {
    let mut response = caller.json(StatusCode::CREATED, body, None);
    if let Ok(location) = body["url"].as_str().unwrap_or_default().parse() {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// The request's JSON object, or the answer refusing it.
fn request_object(caller: &Caller, body: &Bytes, docs: &str) -> Result<Map<String, Value>, Box<Response>> {
    let map = body_object(caller, body, docs)?;
    match text(&map, "body") {
        Some(_) => Ok(map),
        None => Err(Box::new(not_supplied(caller, "body", docs))),
    }
}

/// Stores one review comment (GitHub gives a lone comment a `COMMENTED` review of its own) and
/// answers 201 `pull-request-review-comment`.
fn store_comment(
    shared: &Shared,
    caller: &Caller,
    repo: &RepoConfig,
    pull: &Pull,
    (writer, commit_id): (Writer, String),
    comment: PlacedComment,
) -> Response {
    let (_, stored) = add_review(shared, repo, pull, writer, ("COMMENTED", String::new(), commit_id), vec![comment]);
    let comment: &RecordedReviewComment = &stored[0];
    let by = shown(&mut shared.lock(), &shared.base_url, repo, &comment.author.author());
    created(caller, &discussion_json::review_comment(&shared.base_url, repo, comment, by, &[]))
}

/// A reply to `parent`'s thread (to its first comment: replies to replies are not supported).
fn reply_to(parent: &RecordedReviewComment, body: String) -> PlacedComment {
    let place = Place {
        path: parent.path.clone(),
        line: parent.line,
        side: parent.side.clone(),
        start_line: parent.start_line,
        start_side: parent.start_side.clone(),
    };
    let anchor = Anchor { position: parent.position, diff_hunk: parent.diff_hunk.clone(), hunk: 0 };
    PlacedComment { place, anchor, body, in_reply_to: Some(parent.in_reply_to.unwrap_or(parent.id)) }
}

/// `POST /repos/{owner}/{repo}/pulls/{pull_number}/comments` (`pulls/create-review-comment`):
/// `{body, commit_id, path, line, side?, start_line?, start_side?}` or `{body, in_reply_to}` →
/// 201 `pull-request-review-comment`; 422 `validation-error` when the line is not in the diff.
pub(crate) async fn create_review_comment(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((owner, name, number)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let (caller, repo, _) = match caller_and_repo(&shared, &headers, &owner, &name, REVIEW_COMMENT_DOCS) {
        Ok(found) => found,
        Err(response) => return *response,
    };
    if !caller.may("pull_requests", "write") {
        return caller.not_accessible_by_integration(REVIEW_COMMENT_DOCS);
    }
    let map = match request_object(&caller, &body, REVIEW_COMMENT_DOCS) {
        Ok(map) => map,
        Err(response) => return *response,
    };
    let pull = match find_pull(&shared, &caller, &repo, &number, REVIEW_COMMENT_DOCS) {
        Ok(pull) => pull,
        Err(response) => return *response,
    };
    let writer = shared.lock().writer(&author_of(&caller));
    let comment_body = text(&map, "body").unwrap_or_default();
    // "When specified, all parameters other than `body` in the request body are ignored."
    if let Some(parent_id) = map.get("in_reply_to").and_then(Value::as_u64) {
        let parent = shared.lock().app.discussion.review_comment(repo.id, parent_id).cloned();
        let Some(parent) = parent.filter(|p| p.pull_number == pull.number) else {
            return caller.error(StatusCode::NOT_FOUND, "Not Found", REVIEW_COMMENT_DOCS);
        };
        let commit_id = parent.commit_id.clone();
        return store_comment(&shared, &caller, &repo, &pull, (writer, commit_id), reply_to(&parent, comment_body));
    }
    for field in ["commit_id", "path"] {
        if text(&map, field).is_none() {
            return not_supplied(&caller, field, REVIEW_COMMENT_DOCS);
        }
    }
    let (_, files) = pull_files(&repo, &pull);
    let located = Place::from_request(&map).ok_or(crate::app::reviewing::LINE_NOT_IN_DIFF).and_then(|place| {
        let anchor = locate(&files, &place)?;
        Ok((place, anchor))
    });
    let (place, anchor) = match located {
        Ok(found) => found,
        Err(message) => {
            let errors = json!([{ "resource": "PullRequestReviewComment", "code": "custom", "message": message }]);
            return caller.validation_failed(errors, REVIEW_COMMENT_DOCS);
        }
    };
    let commit_id = text(&map, "commit_id").unwrap_or_default();
    let comment = PlacedComment { place, anchor, body: comment_body, in_reply_to: None };
    store_comment(&shared, &caller, &repo, &pull, (writer, commit_id), comment)
}

/// `POST /repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies`
/// (`pulls/create-reply-for-review-comment`): `{body}` → 201 `pull-request-review-comment` in
/// the comment's thread; 404 when the pull request has no such comment.
pub(crate) async fn create_reply(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((owner, name, number, comment_id)): Path<(String, String, String, String)>,
    body: Bytes,
) -> Response {
    let (caller, repo, _) = match caller_and_repo(&shared, &headers, &owner, &name, REPLY_DOCS) {
        Ok(found) => found,
        Err(response) => return *response,
    };
    if !caller.may("pull_requests", "write") {
        return caller.not_accessible_by_integration(REPLY_DOCS);
    }
    let pull = match find_pull(&shared, &caller, &repo, &number, REPLY_DOCS) {
        Ok(pull) => pull,
        Err(response) => return *response,
    };
    let parent =
        comment_id.parse().ok().and_then(|id| shared.lock().app.discussion.review_comment(repo.id, id).cloned());
    let Some(parent) = parent.filter(|p| p.pull_number == pull.number) else {
        return caller.error(StatusCode::NOT_FOUND, "Not Found", REPLY_DOCS);
    };
    let map = match request_object(&caller, &body, REPLY_DOCS) {
        Ok(map) => map,
        Err(response) => return *response,
    };
    let writer = shared.lock().writer(&author_of(&caller));
    let reply = reply_to(&parent, text(&map, "body").unwrap_or_default());
    store_comment(&shared, &caller, &repo, &pull, (writer, parent.commit_id.clone()), reply)
}

/// `POST /repos/{owner}/{repo}/issues/{issue_number}/comments` (`issues/create-comment`):
/// `{body}` on a pull request or an issue → 201 `issue-comment`; 404 for any other number.
/// Installation tokens need `issues: write` (or, on a pull request, `pull_requests: write`).
pub(crate) async fn create_issue_comment(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((owner, name, number)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let (caller, repo, _) = match caller_and_repo(&shared, &headers, &owner, &name, ISSUE_COMMENT_DOCS) {
        Ok(found) => found,
        Err(response) => return *response,
    };
    let number: u64 = number.parse().unwrap_or(0);
    let (on_pull, on_issue) = {
        let inner = shared.lock();
        (inner.app.pull(repo.id, number).is_some(), inner.app.discussion.issue(repo.id, number).is_some())
    };
    if !on_pull && !on_issue {
        return caller.error(StatusCode::NOT_FOUND, "Not Found", ISSUE_COMMENT_DOCS);
    }
    if !(caller.may("issues", "write") || on_pull && caller.may("pull_requests", "write")) {
        return caller.not_accessible_by_integration(ISSUE_COMMENT_DOCS);
    }
    let map = match request_object(&caller, &body, ISSUE_COMMENT_DOCS) {
        Ok(map) => map,
        Err(response) => return *response,
    };
    let writer = shared.lock().writer(&author_of(&caller));
    let comment = add_issue_comment(&shared, &repo, number, writer, text(&map, "body").unwrap_or_default());
    let by = shown(&mut shared.lock(), &shared.base_url, &repo, &comment.author.author());
    created(&caller, &discussion_json::issue_comment(&shared.base_url, &repo, &comment, on_pull, by, &[]))
}
