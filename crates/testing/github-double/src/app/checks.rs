//! Check runs the tests set ([`GithubDouble::set_check_run`](crate::GithubDouble::set_check_run)),
//! and the `check_run` / `check_suite` deliveries they cause.

use serde_json::{json, Value};

use super::state::CheckRun;
use crate::app_config::RepoConfig;
use crate::ids::node_id;
use crate::rest::pull_json;
use crate::rest::repos::tips;
use crate::state::{now_epoch, Shared};
use crate::time::rfc3339;
use crate::{git, webhooks};

/// Suite conclusions, most important first: the first one any run has wins.
const SUITE_PRECEDENCE: &[&str] = &["action_required", "failure", "timed_out", "cancelled", "stale", "success"];

/// Creates or updates the run `name` on `head_sha` of `repo` and delivers `check_run` `created`
/// (a new run) and `completed` (when it completes), then `check_suite` `completed` once every
/// run on the commit has completed. Returns the run's id.
pub(crate) fn set_check_run(
    shared: &Shared,
    repo: &RepoConfig,
    head_sha: &str,
    name: &str,
    status: &str,
    conclusion: Option<&str>,
) -> u64 {
    let now = now_epoch();
    let completed = status == "completed";
    let (run, created, completes) = {
        let mut inner = shared.lock();
        let existing =
            inner.app.check_runs.iter().position(|r| r.repo_id == repo.id && r.head_sha == head_sha && r.name == name);
        let created = existing.is_none();
        let index = match existing {
            Some(index) => index,
            None => {
                let run = CheckRun {
                    id: inner.app.new_check_run_id(),
                    suite_id: inner.app.suite_id(repo.id, head_sha),
                    repo_id: repo.id,
                    head_sha: head_sha.to_string(),
                    name: name.to_string(),
                    status: String::new(),
                    conclusion: None,
                    started_at: now,
                    completed_at: None,
                };
                inner.app.check_runs.push(run);
                inner.app.check_runs.len() - 1
            }
        };
        let run = &mut inner.app.check_runs[index];
        let completes = completed && run.completed_at.is_none();
        run.status = status.to_string();
        run.conclusion = if completed { conclusion.map(str::to_string) } else { None };
        run.completed_at = if completed { run.completed_at.or(Some(now)) } else { None };
        (run.clone(), created, completes)
    };
    if created {
        deliver_run(shared, repo, &run, "created");
    }
    if completes {
        deliver_run(shared, repo, &run, "completed");
        deliver_suite_if_done(shared, repo, &run);
    }
    run.id
}

/// The branch a commit is the tip of, or the head branch of an open pull request at it.
fn head_branch(shared: &Shared, repo: &RepoConfig, sha: &str) -> Option<String> {
    let tips = tips(repo);
    let inner = shared.lock();
    let pull = inner
        .app
        .pulls
        .iter()
        .find(|p| p.repo_id == repo.id && p.open && tips.get(&p.head_ref).is_some_and(|t| t == sha));
    pull.map(|p| p.head_ref.clone()).or_else(|| tips.into_iter().find(|(_, t)| t == sha).map(|(b, _)| b))
}

/// The suite of `run`'s commit as webhooks show it. `full` adds the fields of a `check_suite`
/// delivery (`latest_check_runs_count`, `check_runs_url`, `head_commit`).
fn suite_json(
    shared: &Shared,
    repo: &RepoConfig,
    run: &CheckRun,
    status: &str,
    conclusion: Option<&str>,
    full: bool,
) -> Value {
    let base = shared.base_url.as_str();
    let api = format!("{base}/repos/{}/check-suites/{}", repo.full_name(), run.suite_id);
    let branch = head_branch(shared, repo, &run.head_sha);
    let (pulls, count, created_at) = {
        let inner = shared.lock();
        let pulls = crate::app::pulls::open_pulls_at(&inner, base, repo, &tips(repo), &run.head_sha);
        let runs: Vec<&CheckRun> = inner.app.check_runs.iter().filter(|r| r.suite_id == run.suite_id).collect();
        let created_at = runs.iter().map(|r| r.started_at).min().unwrap_or(run.started_at);
        (pulls, runs.len(), created_at)
    };
    let mut suite = json!({
        "id": run.suite_id,
        "node_id": node_id("CheckSuite", run.suite_id),
        "head_branch": branch,
        "head_sha": run.head_sha,
        "status": status,
        "conclusion": conclusion,
        "url": api,
        "before": null,
        "after": run.head_sha,
        "pull_requests": pulls,
        "app": pull_json::checks_app(base),
        "created_at": rfc3339(created_at),
        "updated_at": rfc3339(now_epoch())
    });
    if full {
        let commit = repo.git_dir.as_deref().and_then(|d| git::commit_info(d, &run.head_sha));
        suite["latest_check_runs_count"] = json!(count);
        suite["check_runs_url"] = json!(format!("{api}/check-runs"));
        suite["head_commit"] = commit.map_or(Value::Null, |c| {
            json!({
                "id": run.head_sha,
                "tree_id": c.tree_id,
                "message": c.message,
                "timestamp": c.timestamp,
                "author": { "name": c.author.0, "email": c.author.1 },
                "committer": { "name": c.committer.0, "email": c.committer.1 }
            })
        });
    }
    suite
}

fn deliver_run(shared: &Shared, repo: &RepoConfig, run: &CheckRun, action: &str) {
    let pulls = {
        let inner = shared.lock();
        crate::app::pulls::open_pulls_at(&inner, &shared.base_url, repo, &tips(repo), &run.head_sha)
    };
    let mut run_json = pull_json::check_run(&shared.base_url, repo, run, pulls);
    let suite_status = if run.completed_at.is_some() { "completed" } else { "in_progress" };
    run_json["check_suite"] = suite_json(shared, repo, run, suite_status, None, false);
    webhooks::payloads::check_event(shared, repo, "check_run", action, run_json);
}

/// Delivers `check_suite` `completed` when every run on the commit has completed.
fn deliver_suite_if_done(shared: &Shared, repo: &RepoConfig, run: &CheckRun) {
    let conclusions: Option<Vec<String>> = {
        let inner = shared.lock();
        let runs = inner.app.check_runs.iter().filter(|r| r.suite_id == run.suite_id);
        runs.map(|r| r.completed_at.map(|_| r.conclusion.clone().unwrap_or_default())).collect()
    };
    let Some(conclusions) = conclusions else { return };
    let conclusion = SUITE_PRECEDENCE
        .iter()
        .find(|c| conclusions.iter().any(|x| x == *c))
        .map(|c| c.to_string())
        .or_else(|| conclusions.first().cloned())
        .unwrap_or_else(|| "success".into());
    let suite = suite_json(shared, repo, run, "completed", Some(&conclusion), true);
    webhooks::payloads::check_event(shared, repo, "check_suite", "completed", suite);
}
