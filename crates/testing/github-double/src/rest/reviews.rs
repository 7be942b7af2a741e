//! Reviewing pull requests: `pulls/list-files` (from `git diff base...head` in the git
//! directory) and `pulls/create-review`, with GitHub's refusals (`validation-error-simple`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::pulls::{author_of, body_object, text};
use super::repos::caller_and_repo;
use super::{discussion_json, Caller};
use crate::app::pulls::shown;
use crate::app::reviewing::{add_review, locate, pull_files, Place, PlacedComment, LINE_NOT_IN_DIFF};
use crate::app::state::Pull;
use crate::app_config::RepoConfig;
use crate::state::Shared;

const FILES_DOCS: &str = "https://docs.github.com/rest/pulls/pulls#list-pull-requests-files";
const REVIEW_DOCS: &str = "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request";

/// The review states of `event` (`pulls/create-review`'s `event` enum; left out: `PENDING`).
const EVENTS: &[(&str, &str)] =
    &[("APPROVE", "APPROVED"), ("REQUEST_CHANGES", "CHANGES_REQUESTED"), ("COMMENT", "COMMENTED")];

/// The pull request `number` of `repo`, or the 404 GitHub answers.
pub(crate) fn find_pull(
    shared: &Shared,
    caller: &Caller,
    repo: &RepoConfig,
    number: &str,
    docs: &str,
) -> Result<Pull, Box<Response>> {
    let pull = number.parse().ok().and_then(|n| shared.lock().app.pull(repo.id, n).cloned());
    pull.ok_or_else(|| Box::new(caller.error(StatusCode::NOT_FOUND, "Not Found", docs)))
}

/// 422 `validation-error-simple`: `{"message":"Unprocessable Entity","errors":[…]}`, as GitHub
/// refuses reviews (e.g. github.com/hubtty/hubtty/issues/33).
pub(crate) fn unprocessable(caller: &Caller, errors: &[&str], docs: &str) -> Response {
    let body = json!({ "message": "Unprocessable Entity", "errors": errors, "documentation_url": docs });
    caller.json(StatusCode::UNPROCESSABLE_ENTITY, &body, None)
}

/// 422 for a field the request schema requires (GitHub's wording for schema failures).
pub(crate) fn not_supplied(caller: &Caller, field: &str, docs: &str) -> Response {
    let message = format!("Invalid request.\n\n\"{field}\" wasn't supplied.");
    caller.error(StatusCode::UNPROCESSABLE_ENTITY, &message, docs)
}

/// `GET /repos/{owner}/{repo}/pulls/{pull_number}/files` (`pulls/list-files`): `[diff-entry]`
/// of `base...head`, paginated.
pub(crate) async fn list_files(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((owner, name, number)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    let (caller, repo, _) = match caller_and_repo(&shared, &headers, &owner, &name, FILES_DOCS) {
        Ok(found) => found,
        Err(response) => return *response,
    };
    if !caller.may("pull_requests", "read") {
        return caller.not_accessible_by_integration(FILES_DOCS);
    }
    let pull = match find_pull(&shared, &caller, &repo, &number, FILES_DOCS) {
        Ok(pull) => pull,
        Err(response) => return *response,
    };
    let (head, files) = pull_files(&repo, &pull);
    let items = files.iter().map(|f| discussion_json::diff_entry(&shared.base_url, &repo, &head, f)).collect();
    let url = format!("{}/repos/{}/pulls/{}/files", shared.base_url, repo.full_name(), pull.number);
    let (page, link) = super::paginate(items, query.as_deref(), &url);
    caller.json(StatusCode::OK, &Value::Array(page), link)
}

/// `POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews` (`pulls/create-review`):
/// `{commit_id?, body?, event?, comments?: [{path, body, line, side?, start_line?,
/// start_side?}]}` → 200 `pull-request-review`. Refused with 422 (nothing stored) when a
/// comment's line is not in the pull request's diff, when the author approves or requests
/// changes on their own pull request, when `REQUEST_CHANGES`/`COMMENT` come without a body
/// (and without comments), and for a second pending review of the same user.
pub(crate) async fn create_review(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((owner, name, number)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let (caller, repo, _) = match caller_and_repo(&shared, &headers, &owner, &name, REVIEW_DOCS) {
        Ok(found) => found,
        Err(response) => return *response,
    };
    if !caller.may("pull_requests", "write") {
        return caller.not_accessible_by_integration(REVIEW_DOCS);
    }
    // The request body is optional (`requestBody.required: false`).
    let map = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match body_object(&caller, &body, REVIEW_DOCS) {
            Ok(map) => map,
            Err(response) => return *response,
        }
    };
    let pull = match find_pull(&shared, &caller, &repo, &number, REVIEW_DOCS) {
        Ok(pull) => pull,
        Err(response) => return *response,
    };
    let state = match map.get("event").and_then(Value::as_str) {
        None => "PENDING",
        Some(event) => match EVENTS.iter().find(|(e, _)| *e == event) {
            Some((_, state)) => state,
            // Wording unconfirmed: GitHub refuses values outside the `event` enum with a 422.
            None => return unprocessable(&caller, &["Event is not included in the list"], REVIEW_DOCS),
        },
    };
    let writer = shared.lock().writer(&author_of(&caller));
    let review_body = text(&map, "body").unwrap_or_default();
    let requests: Vec<Map<String, Value>> = match map.get("comments") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().filter_map(|c| c.as_object().cloned()).collect(),
        Some(_) => return not_supplied(&caller, "comments", REVIEW_DOCS),
    };
    if writer.author() == pull.author {
        // GitHub's messages (e.g. github.com/hubtty/hubtty/issues/33).
        match state {
            "APPROVED" => return unprocessable(&caller, &["Can not approve your own pull request"], REVIEW_DOCS),
            "CHANGES_REQUESTED" => {
                let message = "Can not request changes on your own pull request";
                return unprocessable(&caller, &[message], REVIEW_DOCS);
            }
            _ => {}
        }
    }
    // The operation's `body`: "**Required** when using `REQUEST_CHANGES` or `COMMENT`"; GitHub
    // lets inline comments stand in for it (github.com/hubtty/hubtty/pull/128). Wording
    // unconfirmed.
    if matches!(state, "CHANGES_REQUESTED" | "COMMENTED") && review_body.is_empty() && requests.is_empty() {
        return unprocessable(&caller, &["Body can't be blank"], REVIEW_DOCS);
    }
    let (head, files) = pull_files(&repo, &pull);
    let mut comments = Vec::new();
    for request in &requests {
        for field in ["path", "body"] {
            if text(request, field).is_none() {
                return not_supplied(&caller, field, REVIEW_DOCS);
            }
        }
        let Some(place) = Place::from_request(request) else {
            return unprocessable(&caller, &[LINE_NOT_IN_DIFF], REVIEW_DOCS);
        };
        let anchor = match locate(&files, &place) {
            Ok(anchor) => anchor,
            Err(message) => return unprocessable(&caller, &[message], REVIEW_DOCS),
        };
        comments.push(PlacedComment {
            place,
            anchor,
            body: text(request, "body").unwrap_or_default(),
            in_reply_to: None,
        });
    }
    if state == "PENDING" {
        let inner = shared.lock();
        let pending = inner.app.discussion.reviews.iter().any(|r| {
            r.repo_id == repo.id && r.pull_number == pull.number && r.author == writer && r.state == "PENDING"
        });
        if pending {
            // github.com/github/app/issues/3371.
            return unprocessable(&caller, &["User can only have one pending review per pull request"], REVIEW_DOCS);
        }
    }
    let commit_id = text(&map, "commit_id").unwrap_or(head);
    let (review, _) = add_review(&shared, &repo, &pull, writer, (state, review_body, commit_id), comments);
    let by = shown(&mut shared.lock(), &shared.base_url, &repo, &review.author.author());
    caller.json(StatusCode::OK, &discussion_json::review(&shared.base_url, &repo, &review, by), None)
}
