//! The push rule of a session working on someone's pull request (a review or an @mention): it
//! may add commits to the pull request's head branch, and do nothing else. Sessions that own
//! their branch keep [`crate::git_proxy::check_push`].
//!
//! Invariant: a push is allowed only when every update moves the head branch forward (a
//! fast-forward, which the caller finds out: ancestry is I/O); never another ref, never a
//! deletion, creation or force-push, and nothing at all when the head is on a fork.

use crate::git_proxy::{Push, RefUpdate};

/// The pull request head a session works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PullRequestHead<'a> {
    /// The head branch's name (`feature/x`, not `refs/heads/…`).
    pub branch: &'a str,
    /// The head is in another repository: the App's token cannot (and must not) push there.
    pub on_fork: bool,
}

/// Allows `push` when every update fast-forwards the head branch. `is_fast_forward` is asked
/// only about updates that move the head branch (its old id an ancestor of its new one).
pub fn check_pr_head_push(
    push: &Push,
    head: &PullRequestHead<'_>,
    is_fast_forward: impl Fn(&RefUpdate) -> bool,
) -> Result<(), String> {
    let branch = head.branch;
    if head.on_fork {
        return Err(format!(
            "the pull request's head branch {branch} is on a fork: this session cannot push to it; suggest the change in a comment instead"
        ));
    }
    let allowed = format!("refs/heads/{branch}");
    for update in &push.updates {
        if update.name != allowed {
            return Err(format!(
                "this session may push only to the pull request's head branch {branch} (not {}); push with `git push origin HEAD:{branch}`",
                update.name
            ));
        }
        if update.deletes() {
            return Err(format!("the pull request's head branch {branch} may not be deleted"));
        }
        if update.creates() {
            return Err(format!(
                "the pull request's head branch {branch} is gone upstream; it may not be created again"
            ));
        }
        if !is_fast_forward(update) {
            return Err(format!(
                "only fast-forward pushes to {branch} are accepted (no force-push): fetch, rebase onto origin/{branch}, and push again"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "pr_head_push_tests.rs"]
mod tests;
