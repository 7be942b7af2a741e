//! Reading a repository's bare git directory: its branches and their commits. These run `git`
//! synchronously; they are quick local reads that never wait on the double itself.

use std::path::Path;
use std::process::Command;

/// `git` on the bare repository `dir`, trusted whoever owns it.
fn git(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command.arg("-c").arg("safe.directory=*").arg("--git-dir").arg(dir).env("GIT_CONFIG_NOSYSTEM", "1");
    command
}

fn output(mut command: Command) -> Option<String> {
    let out = command.output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The branches and their tip commits, sorted by name (`git for-each-ref refs/heads`). Empty when
/// `dir` is not a git repository.
pub(crate) fn branches(dir: &Path) -> Vec<(String, String)> {
    let mut command = git(dir);
    command.args(["for-each-ref", "--sort=refname", "--format=%(objectname) %(refname)", "refs/heads"]);
    let Some(text) = output(command) else { return Vec::new() };
    text.lines()
        .filter_map(|line| {
            let (sha, name) = line.split_once(' ')?;
            Some((name.strip_prefix("refs/heads/")?.to_string(), sha.to_string()))
        })
        .collect()
}

/// The tip commit of `branch`.
pub(crate) fn branch_sha(dir: &Path, branch: &str) -> Option<String> {
    if branch.is_empty() || branch.starts_with('-') {
        return None;
    }
    let mut command = git(dir);
    command.args(["rev-parse", "--verify", "--quiet"]).arg(format!("refs/heads/{branch}^{{commit}}"));
    output(command).filter(|sha| !sha.is_empty())
}

/// The commit a ref names: a full sha, a branch or a tag.
pub(crate) fn resolve(dir: &Path, reference: &str) -> Option<String> {
    if reference.is_empty() || reference.starts_with('-') {
        return None;
    }
    let mut command = git(dir);
    command.args(["rev-parse", "--verify", "--quiet", "--end-of-options"]).arg(format!("{reference}^{{commit}}"));
    output(command).filter(|sha| !sha.is_empty())
}

/// Whether `ancestor` is `descendant` or one of its ancestors (so `descendant..ancestor` has no
/// commits).
pub(crate) fn is_ancestor(dir: &Path, ancestor: &str, descendant: &str) -> bool {
    let mut command = git(dir);
    command.args(["merge-base", "--is-ancestor", ancestor, descendant]);
    command.output().is_ok_and(|out| out.status.success())
}

/// What a pull request from `head` into `base` changes: `(commits, additions, deletions,
/// changed files)` of `base...head` (zeros when git cannot tell).
pub(crate) fn diff_stats(dir: &Path, base: &str, head: &str) -> (u64, u64, u64, u64) {
    let mut count = git(dir);
    count.args(["rev-list", "--count", &format!("{base}..{head}")]);
    let commits = output(count).and_then(|n| n.parse().ok()).unwrap_or(0);
    let mut diff = git(dir);
    diff.args(["diff", "--numstat", &format!("{base}...{head}")]);
    let (mut additions, mut deletions, mut files) = (0, 0, 0);
    for line in output(diff).unwrap_or_default().lines() {
        let mut fields = line.split('\t');
        // Binary files show `-` for both counts.
        additions += fields.next().and_then(|n| n.parse::<u64>().ok()).unwrap_or(0);
        deletions += fields.next().and_then(|n| n.parse::<u64>().ok()).unwrap_or(0);
        files += 1;
    }
    (commits, additions, deletions, files)
}

/// Merges `head_sha` into branch `base` as GitHub's merge button does: a merge commit (parents
/// the base tip and the head) with `message`, and the branch moved to it. Returns the merge
/// commit, or `None` (nothing changed) when the branch is missing or the merge conflicts.
pub(crate) fn merge(dir: &Path, base: &str, head_sha: &str, message: &str) -> Option<String> {
    let base_sha = branch_sha(dir, base)?;
    let mut tree = git(dir);
    tree.args(["merge-tree", "--write-tree", &base_sha, head_sha]);
    let tree = output(tree)?.lines().next()?.to_string();
    let mut commit = git(dir);
    commit.args(["commit-tree", &tree, "-p", &base_sha, "-p", head_sha, "-m", message]);
    commit.env("GIT_AUTHOR_NAME", "GitHub").env("GIT_AUTHOR_EMAIL", "noreply@github.com");
    commit.env("GIT_COMMITTER_NAME", "GitHub").env("GIT_COMMITTER_EMAIL", "noreply@github.com");
    let merge_sha = output(commit)?;
    let mut update = git(dir);
    update.args(["update-ref", &format!("refs/heads/{base}"), &merge_sha, &base_sha]);
    output(update).map(|_| merge_sha)
}

/// A commit's details, as webhooks' `head_commit` shows them.
pub(crate) struct CommitInfo {
    pub tree_id: String,
    pub message: String,
    /// ISO 8601 with the committer's offset.
    pub timestamp: String,
    pub author: (String, String),
    pub committer: (String, String),
}

/// The commit `sha` (`None` if git does not know it).
pub(crate) fn commit_info(dir: &Path, sha: &str) -> Option<CommitInfo> {
    let mut command = git(dir);
    command.args(["show", "-s", "--format=%T%x00%B%x00%cI%x00%an%x00%ae%x00%cn%x00%ce", "--end-of-options", sha]);
    let text = output(command)?;
    let fields: Vec<&str> = text.split('\0').map(str::trim).collect();
    let [tree, message, timestamp, an, ae, cn, ce] = fields.as_slice() else { return None };
    Some(CommitInfo {
        tree_id: tree.to_string(),
        message: message.to_string(),
        timestamp: timestamp.to_string(),
        author: (an.to_string(), ae.to_string()),
        committer: (cn.to_string(), ce.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_directory_has_no_branches() {
        let dir = Path::new("/nonexistent/github-double/repo.git");
        assert!(branches(dir).is_empty());
        assert_eq!(branch_sha(dir, "main"), None);
        assert_eq!(resolve(dir, "--help"), None);
    }
}
