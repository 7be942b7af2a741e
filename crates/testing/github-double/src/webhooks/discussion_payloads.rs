//! Deliveries about the conversation on pull requests and issues, built like the others
//! ([`super::payloads`]) from GitHub's real examples (`payloads/issue_comment.created.json`,
//! `pull_request_review_comment.created.json`, `pull_request_review.submitted.json`): the
//! example's shape, with the double's objects put in.

use serde_json::{json, Map, Value};

use super::payloads::{
    app_id, installation_of, installation_ref, organization_of, overlay, set_organization, template,
};
use crate::app::discussion::{ReactionTarget, RecordedIssueComment, RecordedReview, RecordedReviewComment};
use crate::app::pulls::{render, shown};
use crate::app::state::{Author, Pull};
use crate::app_config::RepoConfig;
use crate::rest::discussion_json;
use crate::rest::repo_json;
use crate::rest::repos::tips;
use crate::state::{Inner, Shared};
use crate::time::rfc3339;

const ISSUE_COMMENT: &str = include_str!("../../payloads/issue_comment.created.json");
const REVIEW_COMMENT: &str = include_str!("../../payloads/pull_request_review_comment.created.json");
const REVIEW: &str = include_str!("../../payloads/pull_request_review.submitted.json");

/// The fields every repository delivery shares: `repository`, `installation`, `sender`,
/// `organization` (where the example has one). Returns the App id to deliver as.
fn frame(inner: &mut Inner, base: &str, repo: &RepoConfig, payload: &mut Map<String, Value>, sender: &Author) -> u64 {
    let repository_template = payload["repository"].clone();
    let repository = repo_json::repository_for(inner, base, repo);
    payload.insert("repository".into(), overlay(&repository_template, repository));
    let organization = organization_of(inner, base, repo);
    set_organization(payload, organization);
    let sender = crate::app::pulls::author_json(inner, base, sender);
    payload.insert("sender".into(), sender);
    match installation_of(inner, repo) {
        Some(id) => payload.insert("installation".into(), installation_ref(id)),
        None => payload.remove("installation"),
    };
    app_id(inner)
}

/// The `issue` of an `issue_comment` delivery: the issue, or the pull request seen as an issue,
/// with `issue.pull_request` set (`webhook-issue-comment-created` in
/// `shared/contracts/github/webhooks-openapi-subset.json`). `None` if there is no such number.
fn issue_object(inner: &mut Inner, base: &str, repo: &RepoConfig, number: u64) -> Option<Value> {
    let api = format!("{base}/repos/{}", repo.full_name());
    let issue_url = format!("{api}/issues/{number}");
    let pull = inner.app.pull(repo.id, number).cloned();
    let issue = inner.app.discussion.issue(repo.id, number).cloned();
    let (id, title, body, author, state, created, updated, closed, draft) = match (&pull, &issue) {
        (Some(p), _) => {
            let state = if p.open { "open" } else { "closed" };
            let author = p.author.clone();
            (p.id, p.title.clone(), p.body.clone(), author, state, p.created_at, p.updated_at, p.closed_at, p.draft)
        }
        (None, Some(i)) => {
            let author = i.author.author();
            (i.id, i.title.clone(), i.body.clone(), author, "open", i.created_at, i.created_at, None, false)
        }
        (None, None) => return None,
    };
    let by = shown(inner, base, repo, &author);
    let talk = &inner.app.discussion;
    let reactions: Vec<_> = talk.reactions_on(repo.id, ReactionTarget::Issue(number)).collect();
    let comments = talk.issue_comments.iter().filter(|c| c.repo_id == repo.id && c.issue_number == number).count();
    let kind = if pull.is_some() { "pull" } else { "issues" };
    let html = format!("{base}/{}/{kind}/{number}", repo.full_name());
    let mut object = json!({
        "url": issue_url,
        "repository_url": api,
        "labels_url": format!("{issue_url}/labels{{/name}}"),
        "comments_url": format!("{issue_url}/comments"),
        "events_url": format!("{issue_url}/events"),
        "html_url": html,
        "id": id,
        "node_id": crate::ids::node_id("Issue", id),
        "number": number,
        "title": title,
        "user": by.user,
        "labels": [],
        "state": state,
        "locked": false,
        "assignee": null,
        "assignees": [],
        "milestone": null,
        "comments": comments,
        "created_at": rfc3339(created),
        "updated_at": rfc3339(updated),
        "closed_at": closed.map(rfc3339),
        "author_association": by.association,
        "active_lock_reason": null,
        "body": body,
        "reactions": discussion_json::reaction_rollup(format!("{issue_url}/reactions"), &reactions),
        "draft": draft
    });
    if let Some(pull) = pull {
        object["pull_request"] = json!({
            "url": format!("{api}/pulls/{number}"),
            "html_url": html,
            "diff_url": format!("{html}.diff"),
            "patch_url": format!("{html}.patch"),
            "merged_at": pull.merged_at.map(rfc3339)
        });
    }
    Some(object)
}

/// `issue_comment` `created` for `comment` (on an issue or a pull request).
pub(crate) fn issue_comment(shared: &Shared, repo: &RepoConfig, comment: &RecordedIssueComment) {
    let base = shared.base_url.as_str();
    let mut payload = template(ISSUE_COMMENT);
    let target = {
        let mut inner = shared.lock();
        let Some(issue) = issue_object(&mut inner, base, repo, comment.issue_number) else { return };
        let on_pull = issue.get("pull_request").is_some();
        let author = comment.author.author();
        let by = shown(&mut inner, base, repo, &author);
        let reactions: Vec<_> =
            inner.app.discussion.reactions_on(repo.id, ReactionTarget::IssueComment(comment.id)).collect();
        let comment_json = discussion_json::issue_comment(base, repo, comment, on_pull, by, &reactions);
        let issue_template = payload["issue"].clone();
        payload.insert("issue".into(), overlay(&issue_template, issue));
        if !on_pull {
            if let Some(Value::Object(issue)) = payload.get_mut("issue") {
                issue.remove("draft");
            }
        }
        let comment_template = payload["comment"].clone();
        payload.insert("comment".into(), overlay(&comment_template, comment_json));
        frame(&mut inner, base, repo, &mut payload, &author)
    };
    payload.insert("action".into(), json!("created"));
    shared.webhooks.send("issue_comment", Value::Object(payload), target);
}

/// `pull_request_review_comment` `created` for `comment` on `pull`.
pub(crate) fn pull_request_review_comment(
    shared: &Shared,
    repo: &RepoConfig,
    pull: &Pull,
    comment: &RecordedReviewComment,
) {
    let base = shared.base_url.as_str();
    let pull_json = render(shared, repo, pull, &tips(repo), true);
    let mut payload = template(REVIEW_COMMENT);
    let target = {
        let mut inner = shared.lock();
        let author = comment.author.author();
        let by = shown(&mut inner, base, repo, &author);
        let reactions: Vec<_> =
            inner.app.discussion.reactions_on(repo.id, ReactionTarget::ReviewComment(comment.id)).collect();
        let comment_json = discussion_json::review_comment(base, repo, comment, by, &reactions);
        let comment_template = payload["comment"].clone();
        payload.insert("comment".into(), overlay(&comment_template, comment_json));
        let pull_template = payload["pull_request"].clone();
        payload.insert("pull_request".into(), overlay(&pull_template, pull_json));
        frame(&mut inner, base, repo, &mut payload, &author)
    };
    payload.insert("action".into(), json!("created"));
    shared.webhooks.send("pull_request_review_comment", Value::Object(payload), target);
}

/// `pull_request_review` `submitted` for `review` on `pull`. The delivery's `review.state` is
/// lower-case (`commented`, `approved`, `changes_requested`), as in the example.
pub(crate) fn pull_request_review(shared: &Shared, repo: &RepoConfig, pull: &Pull, review: &RecordedReview) {
    let base = shared.base_url.as_str();
    let pull_json = render(shared, repo, pull, &tips(repo), true);
    let mut payload = template(REVIEW);
    let target = {
        let mut inner = shared.lock();
        let author = review.author.author();
        let by = shown(&mut inner, base, repo, &author);
        let mut review_json = discussion_json::review(base, repo, review, by);
        review_json["state"] = json!(review.state.to_ascii_lowercase());
        let review_template = payload["review"].clone();
        payload.insert("review".into(), overlay(&review_template, review_json));
        let pull_template = payload["pull_request"].clone();
        payload.insert("pull_request".into(), overlay(&pull_template, pull_json));
        frame(&mut inner, base, repo, &mut payload, &author)
    };
    payload.insert("action".into(), json!("submitted"));
    shared.webhooks.send("pull_request_review", Value::Object(payload), target);
}
