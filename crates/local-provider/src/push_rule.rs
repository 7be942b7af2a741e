//! What a sandbox's git endpoint lets a push update: its session branch `oi/<session>`
//! (created or moved, as the control plane's endpoint allows), or, for a session with a work
//! branch (a pull request's head), only fast-forwards of that one branch.
//!
//! Invariant: a push reaches `git receive-pack` only when [`PushRule::check`] allows every
//! update's ref name and kind; and under [`PushRule::FastForwardOnly`] receive-pack itself
//! runs with [`FAST_FORWARD_ONLY_CONFIG`], so an update whose new commit does not descend from
//! the branch's current tip (a force-push), or that deletes the branch, is refused before any
//! ref moves.
//!
//! Why git checks the ancestry: the new commits of a push are only in its pack, which arrives
//! after the commands and which only receive-pack unpacks (into quarantine) before it updates
//! refs. Checking `git merge-base --is-ancestor old new` here would need the pack unpacked
//! first; `receive.denyNonFastForwards` is that same check, made by receive-pack at the right
//! moment, against the ref's value under its lock. So [`PushRule::check`] asks
//! `oi_session_core::pr_head_push::check_pr_head_push` about everything else (the ref, no
//! creation, no deletion) and leaves the fast-forward question to receive-pack.

use oi_session_core::git_proxy::{check_push, Push};
use oi_session_core::pr_head_push::{check_pr_head_push, PullRequestHead};

/// The git configuration `git receive-pack` runs with under [`PushRule::FastForwardOnly`]:
/// no update that is not a fast-forward, no deletion (whatever the client asked, `--force`
/// included).
pub const FAST_FORWARD_ONLY_CONFIG: &[(&str, &str)] =
    &[("receive.denyNonFastForwards", "true"), ("receive.denyDeletes", "true")];

/// The one branch a sandbox may push, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushRule {
    /// `oi/<session>`: created or moved (`oi_session_core::git_proxy::check_push`).
    SessionBranch(String),
    /// The session's work branch: only fast-forwarded, never created or deleted.
    FastForwardOnly(String),
}

impl PushRule {
    /// The rule for a sandbox serving `session_id`, or `None` for an unclaimed warm-pool
    /// sandbox, which pushes nothing. A pool sandbox never has a work branch (refused at
    /// create), so a claimed one pushes `oi/<session>`.
    pub fn for_sandbox(session_id: &str, work_branch: Option<&str>, pool: bool, claimed: bool) -> Option<Self> {
        if pool && !claimed {
            return None;
        }
        Some(match work_branch {
            Some(branch) => PushRule::FastForwardOnly(branch.to_string()),
            None => PushRule::SessionBranch(format!("oi/{session_id}")),
        })
    }

    /// The branch a push may update.
    pub fn branch(&self) -> &str {
        match self {
            PushRule::SessionBranch(branch) | PushRule::FastForwardOnly(branch) => branch,
        }
    }

    /// Whether `push` may go on to receive-pack (which, under [`PushRule::FastForwardOnly`],
    /// still refuses what is not a fast-forward: see the module's comment).
    pub fn check(&self, push: &Push) -> Result<(), String> {
        match self {
            PushRule::SessionBranch(branch) => check_push(push, branch),
            PushRule::FastForwardOnly(branch) => {
                let head = PullRequestHead { branch, on_fork: false };
                check_pr_head_push(push, &head, |_| true)
            }
        }
    }

    /// The git configuration receive-pack needs besides the endpoint's own.
    pub fn receive_config(&self) -> &'static [(&'static str, &'static str)] {
        match self {
            PushRule::SessionBranch(_) => &[],
            PushRule::FastForwardOnly(_) => FAST_FORWARD_ONLY_CONFIG,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oi_session_core::git_proxy::RefUpdate;

    const ZERO: &str = "0000000000000000000000000000000000000000";
    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";

    fn push(old: &str, new: &str, name: &str) -> Push {
        Push { updates: vec![RefUpdate { old: old.into(), new: new.into(), name: name.into() }], capabilities: vec![] }
    }

    #[test]
    fn which_rule_a_sandbox_gets() {
        let session = PushRule::for_sandbox("ses_1", None, false, false);
        assert_eq!(session, Some(PushRule::SessionBranch("oi/ses_1".into())));
        let work = PushRule::for_sandbox("ses_1", Some("feature/x"), false, false);
        assert_eq!(work, Some(PushRule::FastForwardOnly("feature/x".into())));
        assert_eq!(work.unwrap().branch(), "feature/x");
        assert_eq!(PushRule::for_sandbox("pool-main", None, true, false), None, "an unclaimed pool sandbox");
        assert_eq!(PushRule::for_sandbox("ses_2", None, true, true).unwrap().branch(), "oi/ses_2");
    }

    #[test]
    fn a_work_branch_is_only_moved_and_git_checks_the_ancestry() {
        let rule = PushRule::FastForwardOnly("feature/x".into());
        assert_eq!(rule.check(&push(A, B, "refs/heads/feature/x")), Ok(()), "receive-pack checks the ancestry");
        assert!(rule.receive_config().contains(&("receive.denyNonFastForwards", "true")));
        assert!(rule.receive_config().contains(&("receive.denyDeletes", "true")));
        let other = rule.check(&push(A, B, "refs/heads/oi/ses_1")).unwrap_err();
        assert!(other.contains("only to the pull request's head branch feature/x"), "{other}");
        assert!(rule.check(&push(A, B, "refs/tags/v1")).is_err());
        assert!(rule.check(&push(A, ZERO, "refs/heads/feature/x")).unwrap_err().contains("may not be deleted"));
        assert!(rule.check(&push(ZERO, B, "refs/heads/feature/x")).unwrap_err().contains("may not be created"));
    }

    #[test]
    fn a_session_branch_keeps_its_rule() {
        let rule = PushRule::SessionBranch("oi/ses_1".into());
        assert_eq!(rule.check(&push(ZERO, B, "refs/heads/oi/ses_1")), Ok(()), "created");
        assert_eq!(rule.check(&push(A, B, "refs/heads/oi/ses_1")), Ok(()));
        assert!(rule.check(&push(A, B, "refs/heads/main")).is_err());
        assert!(rule.check(&push(A, ZERO, "refs/heads/oi/ses_1")).is_err());
        assert!(rule.receive_config().is_empty());
    }
}
