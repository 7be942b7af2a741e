//! Repository payloads (`repository`, `full-repository`, `short-branch`) and the accounts that
//! own things. Every URL points at the double: `html_url`/`clone_url` at its web paths, `url` and
//! the `*_url` templates at its API paths.

use serde_json::{json, Value};

use super::json::{account, object, simple_user};
use crate::app_config::RepoConfig;
use crate::ids::node_id;
use crate::state::Inner;

/// The fixed dates of every double repository.
const CREATED_AT: &str = "2020-01-01T00:00:00Z";

/// The API URL templates of a repository, below `{url}/repos/{owner}/{repo}`.
const API_URLS: &[(&str, &str)] = &[
    ("forks_url", "/forks"),
    ("keys_url", "/keys{/key_id}"),
    ("collaborators_url", "/collaborators{/collaborator}"),
    ("teams_url", "/teams"),
    ("hooks_url", "/hooks"),
    ("issue_events_url", "/issues/events{/number}"),
    ("events_url", "/events"),
    ("assignees_url", "/assignees{/user}"),
    ("branches_url", "/branches{/branch}"),
    ("tags_url", "/tags"),
    ("blobs_url", "/git/blobs{/sha}"),
    ("git_tags_url", "/git/tags{/sha}"),
    ("git_refs_url", "/git/refs{/sha}"),
    ("trees_url", "/git/trees{/sha}"),
    ("statuses_url", "/statuses/{sha}"),
    ("languages_url", "/languages"),
    ("stargazers_url", "/stargazers"),
    ("contributors_url", "/contributors"),
    ("subscribers_url", "/subscribers"),
    ("subscription_url", "/subscription"),
    ("commits_url", "/commits{/sha}"),
    ("git_commits_url", "/git/commits{/sha}"),
    ("comments_url", "/comments{/number}"),
    ("issue_comment_url", "/issues/comments{/number}"),
    ("contents_url", "/contents/{+path}"),
    ("compare_url", "/compare/{base}...{head}"),
    ("merges_url", "/merges"),
    ("archive_url", "/{archive_format}{/ref}"),
    ("downloads_url", "/downloads"),
    ("issues_url", "/issues{/number}"),
    ("pulls_url", "/pulls{/number}"),
    ("milestones_url", "/milestones{/number}"),
    ("notifications_url", "/notifications{?since,all,participating}"),
    ("labels_url", "/labels{/name}"),
    ("releases_url", "/releases{/id}"),
    ("deployments_url", "/deployments"),
];

/// The `simple-user` of `login`: a configured user, the App's bot, or else an organization.
pub(crate) fn account_json(inner: &mut Inner, base: &str, login: &str) -> Value {
    if let Some(user) = inner.config.find_user(login) {
        return simple_user(base, user);
    }
    if let Some(app) = inner.config.app.as_ref().filter(|a| a.bot_login().eq_ignore_ascii_case(login)) {
        return bot_json(base, &app.slug, app.bot_user_id);
    }
    let id = inner.org_id(login);
    account(base, login, id, "Organization")
}

/// The App's bot user, `<slug>[bot]`, `type: Bot`.
pub(crate) fn bot_json(base: &str, slug: &str, id: u64) -> Value {
    let mut bot = account(base, &format!("{slug}[bot]"), id, "Bot");
    bot["html_url"] = json!(format!("{base}/apps/{slug}"));
    bot
}

/// `repository`: the repository as it appears inside other objects (pull requests, installation
/// lists, webhooks). `open_issues` counts its open pull requests.
pub(crate) fn repository(base: &str, repo: &RepoConfig, owner: Value, open_issues: u64) -> Value {
    let full_name = repo.full_name();
    let api = format!("{base}/repos/{full_name}");
    let host = base.split_once("://").map_or(base, |(_, h)| h);
    let mut fields = object(json!({
        "id": repo.id,
        "node_id": node_id("Repository", repo.id),
        "name": repo.name,
        "full_name": full_name,
        "private": repo.private,
        "owner": owner,
        "html_url": format!("{base}/{full_name}"),
        "description": repo.description,
        "fork": false,
        "url": api
    }));
    for (key, suffix) in API_URLS {
        fields.insert((*key).into(), json!(format!("{api}{suffix}")));
    }
    let rest = json!({
        "created_at": CREATED_AT,
        "updated_at": CREATED_AT,
        "pushed_at": CREATED_AT,
        "git_url": format!("git://{host}/{full_name}.git"),
        "ssh_url": format!("git@{host}:{full_name}.git"),
        "clone_url": format!("{base}/{full_name}.git"),
        "svn_url": format!("{base}/{full_name}"),
        "homepage": null,
        "size": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "language": null,
        "has_issues": true,
        "has_projects": true,
        "has_downloads": true,
        "has_wiki": true,
        "has_pages": false,
        "has_discussions": false,
        "forks_count": 0,
        "mirror_url": null,
        "archived": false,
        "disabled": false,
        "open_issues_count": open_issues,
        "license": null,
        "allow_forking": true,
        "is_template": false,
        "web_commit_signoff_required": false,
        "topics": [],
        "visibility": if repo.private { "private" } else { "public" },
        "forks": 0,
        "open_issues": open_issues,
        "watchers": 0,
        "default_branch": repo.default_branch
    });
    fields.extend(object(rest));
    Value::Object(fields)
}

/// `full-repository` (`GET /repos/{owner}/{repo}`). `permissions` is the caller's, shown to
/// user tokens.
pub(crate) fn full_repository(
    base: &str,
    repo: &RepoConfig,
    owner: Value,
    open_issues: u64,
    permissions: Option<Value>,
) -> Value {
    let organization = (owner["type"] == "Organization").then(|| owner.clone());
    let mut fields = object(repository(base, repo, owner, open_issues));
    let extra = json!({
        "allow_squash_merge": true,
        "allow_merge_commit": true,
        "allow_rebase_merge": true,
        "allow_auto_merge": false,
        "delete_branch_on_merge": false,
        "allow_update_branch": false,
        "use_squash_pr_title_as_default": false,
        "squash_merge_commit_title": "COMMIT_OR_PR_TITLE",
        "squash_merge_commit_message": "COMMIT_MESSAGES",
        "merge_commit_title": "MERGE_MESSAGE",
        "merge_commit_message": "PR_TITLE",
        "network_count": 0,
        "subscribers_count": 0
    });
    fields.extend(object(extra));
    if let Some(organization) = organization {
        fields.insert("organization".into(), organization);
    }
    if let Some(permissions) = permissions {
        fields.insert("permissions".into(), permissions);
    }
    Value::Object(fields)
}

/// `short-branch`: an unprotected branch and its tip.
pub(crate) fn short_branch(base: &str, repo: &RepoConfig, name: &str, sha: &str) -> Value {
    json!({
        "name": name,
        "commit": { "sha": sha, "url": format!("{base}/repos/{}/commits/{sha}", repo.full_name()) },
        "protected": false
    })
}

/// The open pull requests of a repository (its `open_issues_count`: the double has no issues).
pub(crate) fn open_issues(inner: &Inner, repo: &RepoConfig) -> u64 {
    inner.app.pulls.iter().filter(|p| p.repo_id == repo.id && p.open).count() as u64
}

/// `repository` for `repo`, with its owner resolved.
pub(crate) fn repository_for(inner: &mut Inner, base: &str, repo: &RepoConfig) -> Value {
    let owner = account_json(inner, base, &repo.owner);
    repository(base, repo, owner, open_issues(inner, repo))
}
