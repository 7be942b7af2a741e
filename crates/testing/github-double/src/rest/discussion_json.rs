//! The conversation's payloads, shaped like the schemas of `openapi-subset.json`:
//! `pull-request-review`, `pull-request-review-comment`, `issue-comment`, `reaction`,
//! `reaction-rollup`, `diff-entry` and `repository-collaborator-permission`.

use serde_json::{json, Value};

use crate::app::discussion::{RecordedIssueComment, RecordedReaction, RecordedReview, RecordedReviewComment};
use crate::app_config::RepoConfig;
use crate::git_diff::FileDiff;
use crate::ids::node_id;
use crate::time::rfc3339;

/// The reaction contents, in the order of `reaction-rollup`'s properties.
pub(crate) const REACTIONS: &[&str] = &["+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket"];

/// Who wrote something, as a payload shows it.
pub(crate) struct Shown {
    /// `simple-user`.
    pub user: Value,
    /// `author-association`.
    pub association: &'static str,
}

fn api(base: &str, repo: &RepoConfig) -> String {
    format!("{base}/repos/{}", repo.full_name())
}

fn web(base: &str, repo: &RepoConfig) -> String {
    format!("{base}/{}", repo.full_name())
}

/// `pull-request-review`. A pending review has no `submitted_at` (the operation's description).
pub(crate) fn review(base: &str, repo: &RepoConfig, review: &RecordedReview, by: Shown) -> Value {
    let html = format!("{}/pull/{}#pullrequestreview-{}", web(base, repo), review.pull_number, review.id);
    let pull_url = format!("{}/pulls/{}", api(base, repo), review.pull_number);
    let mut body = json!({
        "id": review.id,
        "node_id": node_id("PullRequestReview", review.id),
        "user": by.user,
        "body": review.body,
        "state": review.state,
        "html_url": html,
        "pull_request_url": pull_url,
        "_links": { "html": { "href": html }, "pull_request": { "href": pull_url } },
        "commit_id": review.commit_id,
        "author_association": by.association
    });
    if let Some(at) = review.submitted_at {
        body["submitted_at"] = json!(rfc3339(at));
    }
    body
}

/// `reaction-rollup` of the reactions listed, its `url` `reactions_url`.
pub(crate) fn reaction_rollup(reactions_url: String, reactions: &[&RecordedReaction]) -> Value {
    let mut rollup = json!({ "url": reactions_url, "total_count": reactions.len() });
    for content in REACTIONS {
        rollup[*content] = json!(reactions.iter().filter(|r| r.content == *content).count());
    }
    rollup
}

/// `pull-request-review-comment` (with `reactions`, as webhooks and answers carry them).
pub(crate) fn review_comment(
    base: &str,
    repo: &RepoConfig,
    comment: &RecordedReviewComment,
    by: Shown,
    reactions: &[&RecordedReaction],
) -> Value {
    let url = format!("{}/pulls/comments/{}", api(base, repo), comment.id);
    let html = format!("{}/pull/{}#discussion_r{}", web(base, repo), comment.pull_number, comment.id);
    let pull_url = format!("{}/pulls/{}", api(base, repo), comment.pull_number);
    let mut body = json!({
        "url": url,
        "pull_request_review_id": comment.review_id,
        "id": comment.id,
        "node_id": node_id("PullRequestReviewComment", comment.id),
        "diff_hunk": comment.diff_hunk,
        "path": comment.path,
        "position": comment.position,
        "original_position": comment.position,
        "commit_id": comment.commit_id,
        "original_commit_id": comment.commit_id,
        "user": by.user,
        "body": comment.body,
        "created_at": rfc3339(comment.created_at),
        "updated_at": rfc3339(comment.created_at),
        "html_url": html,
        "pull_request_url": pull_url,
        "author_association": by.association,
        "_links": { "self": { "href": url }, "html": { "href": html }, "pull_request": { "href": pull_url } },
        "reactions": reaction_rollup(format!("{url}/reactions"), reactions),
        "start_line": comment.start_line,
        "original_start_line": comment.start_line,
        "start_side": comment.start_side,
        "line": comment.line,
        "original_line": comment.line,
        "side": comment.side,
        "subject_type": "line"
    });
    if let Some(parent) = comment.in_reply_to {
        body["in_reply_to_id"] = json!(parent);
    }
    body
}

/// `issue-comment` (with `reactions`).
pub(crate) fn issue_comment(
    base: &str,
    repo: &RepoConfig,
    comment: &RecordedIssueComment,
    on_pull: bool,
    by: Shown,
    reactions: &[&RecordedReaction],
) -> Value {
    let url = format!("{}/issues/comments/{}", api(base, repo), comment.id);
    let kind = if on_pull { "pull" } else { "issues" };
    json!({
        "id": comment.id,
        "node_id": node_id("IssueComment", comment.id),
        "url": url,
        "html_url": format!("{}/{kind}/{}#issuecomment-{}", web(base, repo), comment.issue_number, comment.id),
        "body": comment.body,
        "user": by.user,
        "created_at": rfc3339(comment.created_at),
        "updated_at": rfc3339(comment.created_at),
        "issue_url": format!("{}/issues/{}", api(base, repo), comment.issue_number),
        "author_association": by.association,
        "performed_via_github_app": null,
        "reactions": reaction_rollup(format!("{url}/reactions"), reactions),
        "pin": null
    })
}

/// `reaction`.
pub(crate) fn reaction(reaction: &RecordedReaction, user: Value) -> Value {
    json!({
        "id": reaction.id,
        "node_id": node_id("Reaction", reaction.id),
        "user": user,
        "content": reaction.content,
        "created_at": rfc3339(reaction.created_at)
    })
}

/// `diff-entry` of `file` at the pull request's head `head_sha`.
pub(crate) fn diff_entry(base: &str, repo: &RepoConfig, head_sha: &str, file: &FileDiff) -> Value {
    let mut entry = json!({
        "sha": file.blob_sha,
        "filename": file.filename,
        "status": file.status,
        "additions": file.additions,
        "deletions": file.deletions,
        "changes": file.additions + file.deletions,
        "blob_url": format!("{}/blob/{head_sha}/{}", web(base, repo), file.filename),
        "raw_url": format!("{}/raw/{head_sha}/{}", web(base, repo), file.filename),
        "contents_url": format!("{}/contents/{}?ref={head_sha}", api(base, repo), file.filename)
    });
    if let Some(patch) = &file.patch {
        entry["patch"] = json!(patch);
    }
    if let Some(previous) = &file.previous_filename {
        entry["previous_filename"] = json!(previous);
    }
    entry
}

/// `repository-collaborator-permission` for a person with `role` (one of
/// [`ROLES`](crate::app_config::ROLES)). `permission` is the legacy base role: `maintain` shows
/// as `write` and `triage` as `read` (the operation's description in `openapi-subset.json`).
/// `user` is `simple-user`; `permissions` is what the role allows.
pub(crate) fn collaborator_permission(role: &str, mut user: Value, permissions: Value) -> Value {
    let legacy = match role {
        "maintain" => "write",
        "triage" => "read",
        other => other,
    };
    user["permissions"] = permissions;
    user["role_name"] = json!(role);
    json!({ "permission": legacy, "role_name": role, "user": user })
}
