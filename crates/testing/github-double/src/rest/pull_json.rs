//! Pull request and check run payloads: `pull-request`, `pull-request-simple`,
//! `pull-request-minimal` and `check-run`.

use serde_json::{json, Value};

use super::json::{account, object};
use crate::app::state::{CheckRun, Pull};
use crate::app_config::RepoConfig;
use crate::ids::node_id;
use crate::time::rfc3339;

/// The fields `pull-request` has beyond `pull-request-simple`.
const FULL_ONLY: &[&str] = &[
    "merged",
    "mergeable",
    "rebaseable",
    "mergeable_state",
    "merged_by",
    "comments",
    "review_comments",
    "maintainer_can_modify",
    "commits",
    "additions",
    "deletions",
    "changed_files",
];

/// Everything a pull request payload shows besides the pull request itself.
pub(crate) struct PullContext<'a> {
    pub base_url: &'a str,
    pub repo: &'a RepoConfig,
    /// The repository (`repository` schema), for `head.repo` and `base.repo`.
    pub repo_json: Value,
    /// The repository owner (`simple-user`), for `head.user` and `base.user`.
    pub owner: Value,
    pub author: Value,
    pub merged_by: Option<Value>,
    pub author_association: &'static str,
    /// The head and base shas to show.
    pub head_sha: String,
    pub base_sha: String,
    /// `(commits, additions, deletions, changed_files)`.
    pub stats: (u64, u64, u64, u64),
    /// The `simple-user`s asked for a review.
    pub requested_reviewers: Vec<Value>,
    /// How many issue comments and review comments it has.
    pub comment_counts: (u64, u64),
}

/// `pull-request`: the answer of `GET`/`POST`/`PATCH` on one pull request, and the webhooks'
/// `pull_request` object.
pub(crate) fn pull_request(cx: &PullContext, pull: &Pull) -> Value {
    let full_name = cx.repo.full_name();
    let api = format!("{}/repos/{full_name}", cx.base_url);
    let html = format!("{}/{full_name}/pull/{}", cx.base_url, pull.number);
    let url = format!("{api}/pulls/{}", pull.number);
    let issue = format!("{api}/issues/{}", pull.number);
    let statuses = format!("{api}/statuses/{}", cx.head_sha);
    let owner_login = cx.repo.owner.as_str();
    let side = |branch: &str, sha: &str| {
        json!({
            "label": format!("{owner_login}:{branch}"),
            "ref": branch,
            "sha": sha,
            "user": cx.owner,
            "repo": cx.repo_json
        })
    };
    let link = |href: &str| json!({ "href": href });
    let (commits, additions, deletions, changed_files) = cx.stats;
    let mut fields = object(json!({
        "url": url,
        "id": pull.id,
        "node_id": node_id("PullRequest", pull.id),
        "html_url": html,
        "diff_url": format!("{html}.diff"),
        "patch_url": format!("{html}.patch"),
        "issue_url": issue,
        "commits_url": format!("{url}/commits"),
        "review_comments_url": format!("{url}/comments"),
        "review_comment_url": format!("{api}/pulls/comments{{/number}}"),
        "comments_url": format!("{issue}/comments"),
        "statuses_url": statuses,
        "number": pull.number,
        "state": if pull.open { "open" } else { "closed" },
        "locked": false,
        "title": pull.title,
        "user": cx.author,
        "body": pull.body,
        "labels": [],
        "milestone": null,
        "active_lock_reason": null,
        "created_at": rfc3339(pull.created_at),
        "updated_at": rfc3339(pull.updated_at),
        "closed_at": pull.closed_at.map(rfc3339),
        "merged_at": pull.merged_at.map(rfc3339),
        "merge_commit_sha": pull.merge_commit_sha,
        "assignee": null,
        "assignees": [],
        "requested_reviewers": cx.requested_reviewers,
        "requested_teams": []
    }));
    let rest = json!({
        "head": side(&pull.head_ref, &cx.head_sha),
        "base": side(&pull.base_ref, &cx.base_sha),
        "_links": {
            "self": link(&url),
            "html": link(&html),
            "issue": link(&issue),
            "comments": link(&format!("{issue}/comments")),
            "review_comments": link(&format!("{url}/comments")),
            "review_comment": link(&format!("{api}/pulls/comments{{/number}}")),
            "commits": link(&format!("{url}/commits")),
            "statuses": link(&statuses)
        },
        "author_association": cx.author_association,
        "auto_merge": null,
        "draft": pull.draft,
        "merged": pull.merged,
        "mergeable": if pull.open { json!(true) } else { Value::Null },
        "rebaseable": if pull.open { json!(true) } else { Value::Null },
        "mergeable_state": if pull.open { "clean" } else { "unknown" },
        "merged_by": cx.merged_by,
        "comments": cx.comment_counts.0,
        "review_comments": cx.comment_counts.1,
        "maintainer_can_modify": pull.maintainer_can_modify,
        "commits": commits,
        "additions": additions,
        "deletions": deletions,
        "changed_files": changed_files
    });
    fields.extend(object(rest));
    Value::Object(fields)
}

/// `pull-request-simple`: an entry of `GET /repos/{owner}/{repo}/pulls`.
pub(crate) fn pull_request_simple(cx: &PullContext, pull: &Pull) -> Value {
    let mut fields = object(pull_request(cx, pull));
    FULL_ONLY.iter().for_each(|k| {
        fields.remove(*k);
    });
    Value::Object(fields)
}

/// `pull-request-minimal`: a pull request inside a check run or suite.
pub(crate) fn pull_request_minimal(base_url: &str, repo: &RepoConfig, pull: &Pull, head_sha: &str) -> Value {
    let api = format!("{base_url}/repos/{}", repo.full_name());
    let side = |branch: &str, sha: &str| json!({ "ref": branch, "sha": sha, "repo": { "id": repo.id, "url": api, "name": repo.name } });
    json!({
        "url": format!("{api}/pulls/{}", pull.number),
        "id": pull.id,
        "number": pull.number,
        "head": side(&pull.head_ref, head_sha),
        "base": side(&pull.base_ref, &pull.base_sha)
    })
}

/// The App that reports the check runs the tests set: GitHub Actions (its real id, 15368).
pub(crate) fn checks_app(base_url: &str) -> Value {
    json!({
        "id": 15368,
        "slug": "github-actions",
        "node_id": node_id("App", 15368),
        "owner": account(base_url, "github", 9919, "Organization"),
        "name": "GitHub Actions",
        "description": "Automate your workflow from idea to production",
        "external_url": format!("{base_url}/features/actions"),
        "html_url": format!("{base_url}/apps/github-actions"),
        "created_at": "2018-07-30T09:30:17Z",
        "updated_at": "2019-12-10T19:04:12Z",
        "permissions": { "checks": "write", "contents": "write", "metadata": "read" },
        "events": ["check_run", "check_suite", "pull_request", "push"]
    })
}

/// `check-run`. `pull_requests` are the open pull requests whose head is the run's commit.
pub(crate) fn check_run(base_url: &str, repo: &RepoConfig, run: &CheckRun, pull_requests: Vec<Value>) -> Value {
    let api = format!("{base_url}/repos/{}/check-runs/{}", repo.full_name(), run.id);
    let html = format!("{base_url}/{}/runs/{}", repo.full_name(), run.id);
    json!({
        "id": run.id,
        "head_sha": run.head_sha,
        "node_id": node_id("CheckRun", run.id),
        "external_id": "",
        "url": api,
        "html_url": html,
        "details_url": html,
        "status": run.status,
        "conclusion": run.conclusion,
        "started_at": rfc3339(run.started_at),
        "completed_at": run.completed_at.map(rfc3339),
        "output": {
            "title": null,
            "summary": null,
            "text": null,
            "annotations_count": 0,
            "annotations_url": format!("{api}/annotations")
        },
        "name": run.name,
        "check_suite": { "id": run.suite_id },
        "app": checks_app(base_url),
        "pull_requests": pull_requests
    })
}
