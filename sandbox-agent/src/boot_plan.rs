//! What a boot does in each mode (`OPENINSPECT_BOOT_MODE`), decided in one place.

use oi_protocol::provider::BootMode;

/// How the checkout is brought up to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GitSync {
    /// Clone if missing, fetch, reset to the base branch (or the session branch if the remote
    /// has it). A failure is fatal.
    CloneOrReset,
    /// The image holds a checkout: fetch the commits since it was built and reset. A failure
    /// is a warning (the image's checkout still works).
    FetchAndReset,
    /// Keep the checkout as it is (uncommitted work survives); only fetch. A failure is a
    /// warning.
    KeepAndFetch,
}

/// What to run when the script fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFailure {
    Fatal,
    Warn,
}

/// The steps of one boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootPlan {
    pub git: GitSync,
    pub git_failure: OnFailure,
    /// `.openinspect/setup.sh`, and what its failure means.
    pub setup: Option<OnFailure>,
    /// `.openinspect/start.sh` (a failure is always fatal).
    pub start: bool,
    /// Whether OpenCode and the prompt loop start (not when building an image).
    pub agent: bool,
    /// Whether OpenCode waits for the git sync: only when there is no checkout before it (a
    /// fresh clone). After an image or a snapshot the checkout is there, so OpenCode starts
    /// while git catches up and the scripts run; either way a prompt waits for the whole boot.
    pub agent_waits_for_git: bool,
}

impl BootPlan {
    /// What a failed git sync means for a session whose work goes to `work_branch` (when
    /// true): fatal after an image too, whose checkout is of the base branch as it was built,
    /// not of the work branch's tip (the session would work on the wrong commit). A restored
    /// checkout is the work branch already, with uncommitted work: still only a warning.
    pub fn git_failure_with(&self, work_branch: bool) -> OnFailure {
        match (work_branch, self.git) {
            (true, GitSync::FetchAndReset) => OnFailure::Fatal,
            _ => self.git_failure,
        }
    }
}

pub fn plan(mode: BootMode) -> BootPlan {
    match mode {
        BootMode::Build => BootPlan {
            git: GitSync::CloneOrReset,
            git_failure: OnFailure::Fatal,
            setup: Some(OnFailure::Fatal),
            start: false,
            agent: false,
            agent_waits_for_git: true,
        },
        BootMode::Fresh => BootPlan {
            git: GitSync::CloneOrReset,
            git_failure: OnFailure::Fatal,
            setup: Some(OnFailure::Warn),
            start: true,
            agent: true,
            agent_waits_for_git: true,
        },
        BootMode::RepoImage => BootPlan {
            git: GitSync::FetchAndReset,
            git_failure: OnFailure::Warn,
            setup: None,
            start: true,
            agent: true,
            agent_waits_for_git: false,
        },
        BootMode::SnapshotRestore => BootPlan {
            git: GitSync::KeepAndFetch,
            git_failure: OnFailure::Warn,
            setup: None,
            start: true,
            agent: true,
            agent_waits_for_git: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_semantics() {
        // setup only on build and fresh: fatal in build, a warning otherwise.
        assert_eq!(plan(BootMode::Build).setup, Some(OnFailure::Fatal));
        assert_eq!(plan(BootMode::Fresh).setup, Some(OnFailure::Warn));
        assert_eq!(plan(BootMode::RepoImage).setup, None);
        assert_eq!(plan(BootMode::SnapshotRestore).setup, None);
        // start on every non-build boot.
        assert!(!plan(BootMode::Build).start);
        for mode in [BootMode::Fresh, BootMode::RepoImage, BootMode::SnapshotRestore] {
            assert!(plan(mode).start && plan(mode).agent, "{mode:?}");
        }
        assert!(!plan(BootMode::Build).agent);
        // A restore keeps uncommitted work; sync failures only warn after an image or restore.
        assert_eq!(plan(BootMode::SnapshotRestore).git, GitSync::KeepAndFetch);
        assert_eq!(plan(BootMode::Fresh).git_failure, OnFailure::Fatal);
        assert_eq!(plan(BootMode::RepoImage).git_failure, OnFailure::Warn);
        // OpenCode overlaps the sync where a checkout exists already.
        assert!(plan(BootMode::Fresh).agent_waits_for_git);
        assert!(!plan(BootMode::RepoImage).agent_waits_for_git);
        assert!(!plan(BootMode::SnapshotRestore).agent_waits_for_git);
    }

    #[test]
    fn a_work_branch_needs_its_tip_after_an_image() {
        assert_eq!(plan(BootMode::RepoImage).git_failure_with(true), OnFailure::Fatal);
        assert_eq!(plan(BootMode::RepoImage).git_failure_with(false), OnFailure::Warn);
        assert_eq!(plan(BootMode::SnapshotRestore).git_failure_with(true), OnFailure::Warn);
        assert_eq!(plan(BootMode::Fresh).git_failure_with(true), OnFailure::Fatal);
    }
}
