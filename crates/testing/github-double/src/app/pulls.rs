//! Pull requests as a model: rendering them with their repository, author and live shas, and
//! the changes that happen outside the REST API (a merge, a push to a head branch).

use std::collections::HashMap;

use serde_json::{json, Value};

use super::state::{Author, Pull};
use crate::app_config::RepoConfig;
use crate::rest::discussion_json::Shown;
use crate::rest::{pull_json, repo_json};
use crate::state::{now_epoch, Inner, Shared};
use crate::{git, ids, webhooks};

/// The head and base shas a pull request shows: the branches' current tips while it is open
/// (falling back to the last known ones if a branch is gone), the frozen ones once closed.
pub(crate) fn shown_shas(pull: &Pull, tips: &HashMap<String, String>) -> (String, String) {
    if !pull.open {
        return (pull.head_sha.clone(), pull.base_sha.clone());
    }
    let tip = |branch: &String, known: &String| tips.get(branch).cloned().unwrap_or_else(|| known.clone());
    (tip(&pull.head_ref, &pull.head_sha), tip(&pull.base_ref, &pull.base_sha))
}

/// The `simple-user` of a pull request's author (or merger).
pub(crate) fn author_json(inner: &mut Inner, base_url: &str, author: &Author) -> Value {
    match (author, inner.config.app.clone()) {
        (Author::User(login), _) => repo_json::account_json(inner, base_url, login),
        (Author::Bot, Some(app)) => repo_json::bot_json(base_url, &app.slug, app.bot_user_id),
        (Author::Bot, None) => repo_json::bot_json(base_url, "app", 0),
    }
}

/// How `author` shows in a comment or review on `repo`: `simple-user` and association.
pub(crate) fn shown(inner: &mut Inner, base_url: &str, repo: &RepoConfig, author: &Author) -> Shown {
    Shown { user: author_json(inner, base_url, author), association: association(inner, repo, author) }
}

/// How the author is associated with the repository (`author-association`).
fn association(inner: &Inner, repo: &RepoConfig, author: &Author) -> &'static str {
    let Author::User(login) = author else { return "NONE" };
    if login.eq_ignore_ascii_case(&repo.owner) {
        return "OWNER";
    }
    let member = inner.config.find_user(login).is_some_and(|u| u.member_of(&repo.owner).is_some());
    if member {
        "MEMBER"
    } else {
        "COLLABORATOR"
    }
}

/// How many issue comments and review comments `pull` has.
fn comment_counts(inner: &Inner, pull: &Pull) -> (u64, u64) {
    let talk = &inner.app.discussion;
    let comments = talk.issue_comments.iter().filter(|c| c.repo_id == pull.repo_id && c.issue_number == pull.number);
    let review_comments =
        talk.review_comments.iter().filter(|c| c.repo_id == pull.repo_id && c.pull_number == pull.number);
    (comments.count() as u64, review_comments.count() as u64)
}

/// `pull-request` (`full`) or `pull-request-simple` for `pull`.
pub(crate) fn render(
    shared: &Shared,
    repo: &RepoConfig,
    pull: &Pull,
    tips: &HashMap<String, String>,
    full: bool,
) -> Value {
    let (head_sha, base_sha) = shown_shas(pull, tips);
    let stats = match (&repo.git_dir, full) {
        (Some(dir), true) => git::diff_stats(dir, &base_sha, &head_sha),
        _ => (0, 0, 0, 0),
    };
    let base_url = shared.base_url.as_str();
    let mut inner = shared.lock();
    let cx = pull_json::PullContext {
        base_url,
        repo,
        repo_json: repo_json::repository_for(&mut inner, base_url, repo),
        owner: repo_json::account_json(&mut inner, base_url, &repo.owner),
        author: author_json(&mut inner, base_url, &pull.author),
        merged_by: pull.merged_by.as_ref().map(|m| author_json(&mut inner, base_url, m)),
        author_association: association(&inner, repo, &pull.author),
        head_sha,
        base_sha,
        stats,
        requested_reviewers: pull.requested_reviewers.iter().map(|r| author_json(&mut inner, base_url, r)).collect(),
        comment_counts: comment_counts(&inner, pull),
    };
    if full {
        pull_json::pull_request(&cx, pull)
    } else {
        pull_json::pull_request_simple(&cx, pull)
    }
}

/// `pull-request-minimal` of every open pull request whose head is `sha`.
pub(crate) fn open_pulls_at(
    inner: &Inner,
    base_url: &str,
    repo: &RepoConfig,
    tips: &HashMap<String, String>,
    sha: &str,
) -> Vec<Value> {
    let pulls = inner.app.pulls.iter().filter(|p| p.repo_id == repo.id && p.open);
    pulls
        .filter_map(|pull| {
            let (head, _) = shown_shas(pull, tips);
            (head == sha).then(|| pull_json::pull_request_minimal(base_url, repo, pull, &head))
        })
        .collect()
}

/// What a new pull request is made of.
pub(crate) struct NewPull {
    pub title: String,
    pub body: Option<String>,
    pub draft: bool,
    pub author: Author,
    pub head_ref: String,
    pub head_sha: String,
    pub base_ref: String,
    pub base_sha: String,
    pub maintainer_can_modify: bool,
}

/// Stores a new open pull request with the repository's next number, and returns it.
pub(crate) fn insert(shared: &Shared, repo_id: u64, new: NewPull) -> Pull {
    let mut inner = shared.lock();
    let now = now_epoch();
    let pull = Pull {
        repo_id,
        number: inner.app.next_number(repo_id),
        id: inner.app.new_pull_id(),
        title: new.title,
        body: new.body,
        open: true,
        draft: new.draft,
        merged: false,
        author: new.author,
        merged_by: None,
        head_ref: new.head_ref,
        head_sha: new.head_sha,
        base_ref: new.base_ref,
        base_sha: new.base_sha,
        created_at: now,
        updated_at: now,
        closed_at: None,
        merged_at: None,
        merge_commit_sha: None,
        maintainer_can_modify: new.maintainer_can_modify,
        requested_reviewers: Vec::new(),
    };
    inner.app.pulls.push(pull.clone());
    pull
}

/// Delivers `pull_request` `action` for `pull` as it is now, sent by `sender`, with `extra`
/// top-level fields (`changes`, `before`, `after`).
pub(crate) fn announce(shared: &Shared, repo: &RepoConfig, pull: &Pull, action: &str, sender: &Author, extra: Value) {
    let tips = crate::rest::repos::tips(repo);
    let pull_json = render(shared, repo, pull, &tips, true);
    webhooks::payloads::pull_request(shared, repo, action, pull.number, pull_json, sender, extra);
}

/// Freezes a pull request's shas at the branches' current tips (before closing it).
pub(crate) fn freeze_shas(pull: &mut Pull, tips: &HashMap<String, String>) {
    let (head, base) = shown_shas(pull, tips);
    pull.head_sha = head;
    pull.base_sha = base;
}

/// Merges pull request `number` of `owner/name` as GitHub would when someone presses the button:
/// a merge commit on the base branch in the git directory (when it merges cleanly; else only a
/// made-up `merge_commit_sha`), closed, `merged: true`, and a `pull_request` `closed` delivery.
/// Returns false when there is no such open pull request.
pub(crate) fn merge(shared: &Shared, full_name: &str, number: u64) -> bool {
    let Some(repo) = shared.lock().config.find_repo_full(full_name).map(|(_, r)| r.clone()) else { return false };
    let tips = crate::rest::repos::tips(&repo);
    let merger = {
        let inner = shared.lock();
        let owner = inner.config.find_user(&repo.owner).or(inner.config.users.first());
        owner.map_or(Author::Bot, |u| Author::User(u.login.clone()))
    };
    let Some(mut pull) = shared.lock().app.pull(repo.id, number).filter(|p| p.open).cloned() else { return false };
    freeze_shas(&mut pull, &tips);
    let message = format!("Merge pull request #{number} from {}/{}\n\n{}", repo.owner, pull.head_ref, pull.title);
    let merge_sha = repo.git_dir.as_deref().and_then(|dir| git::merge(dir, &pull.base_ref, &pull.head_sha, &message));
    let pull = {
        let mut inner = shared.lock();
        let Some(stored) = inner.app.pull_mut(repo.id, number) else { return false };
        *stored = pull;
        let pull = stored;
        let now = now_epoch();
        pull.open = false;
        pull.merged = true;
        pull.merged_at = Some(now);
        pull.closed_at = Some(now);
        pull.updated_at = now;
        pull.merge_commit_sha = Some(merge_sha.unwrap_or_else(|| ids::random_hex(40)));
        pull.merged_by = Some(merger.clone());
        pull.clone()
    };
    announce(shared, &repo, &pull, "closed", &merger, json!({}));
    true
}

/// Looks for pushes to the head branches of `owner/name`'s open pull requests (compares each
/// with the sha last noticed) and delivers `pull_request` `synchronize` for each that moved, sent
/// by `pusher` (the pull request's author when unknown).
pub(crate) fn notice_push(shared: &Shared, full_name: &str, pusher: Option<Author>) {
    let Some(repo) = shared.lock().config.find_repo_full(full_name).map(|(_, r)| r.clone()) else { return };
    let tips = crate::rest::repos::tips(&repo);
    let moved: Vec<(Pull, String)> = {
        let mut inner = shared.lock();
        let mut moved = Vec::new();
        for pull in inner.app.pulls.iter_mut().filter(|p| p.repo_id == repo.id && p.open) {
            let Some(tip) = tips.get(&pull.head_ref).filter(|t| **t != pull.head_sha) else { continue };
            let before = std::mem::replace(&mut pull.head_sha, tip.clone());
            if let Some(base) = tips.get(&pull.base_ref) {
                pull.base_sha = base.clone();
            }
            pull.updated_at = now_epoch();
            moved.push((pull.clone(), before));
        }
        moved
    };
    for (pull, before) in moved {
        let extra = json!({ "before": before, "after": pull.head_sha });
        let sender = pusher.clone().unwrap_or_else(|| pull.author.clone());
        announce(shared, &repo, &pull, "synchronize", &sender, extra);
    }
}
