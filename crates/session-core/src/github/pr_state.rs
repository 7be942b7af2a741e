//! A session's pull request kept current from webhooks: which session a delivery is about, the
//! state a `pull_request` event leaves, and the checks status after a check completes.

use oi_protocol::source_control::{ChecksStatus, PullRequestState};

use super::events::{CheckCompleted, CheckKind, PullRequestEvent};

/// The session a session branch (`oi/<session id>`) belongs to.
pub fn session_of_branch(branch: &str) -> Option<&str> {
    let id = branch.strip_prefix("refs/heads/").unwrap_or(branch).strip_prefix("oi/")?;
    (id.starts_with("ses_") && id.len() > 4 && id.len() <= 64 && id[4..].chars().all(|c| c.is_ascii_alphanumeric()))
        .then_some(id)
}

/// A pull request's state from GitHub's `state` (`open` or `closed`) and whether it merged.
pub fn pull_state(state: &str, merged: bool) -> PullRequestState {
    match (state, merged) {
        ("open", _) => PullRequestState::Open,
        (_, true) => PullRequestState::Merged,
        _ => PullRequestState::Closed,
    }
}

/// The state a `pull_request` delivery leaves the pull request in.
pub fn state_of(event: &PullRequestEvent) -> PullRequestState {
    pull_state(&event.state, event.merged)
}

/// Whether a conclusion counts as failing (anything that blocks a merge).
fn failing(conclusion: Option<&str>) -> bool {
    matches!(conclusion, Some("failure" | "timed_out" | "cancelled" | "action_required" | "startup_failure") | None)
}

/// The checks status after a check completed on `head_sha`. A delivery about another commit
/// than the pull request's head changes nothing. A failed run fails the checks at once; a
/// passed run only means the others are still going (pending) until its suite completes; a
/// completed suite decides.
pub fn checks_after(current: ChecksStatus, pr_head_sha: Option<&str>, check: &CheckCompleted) -> ChecksStatus {
    if pr_head_sha.is_some_and(|sha| sha != check.head_sha) {
        return current;
    }
    let failed = failing(check.conclusion.as_deref());
    match (check.kind, failed) {
        (_, true) => ChecksStatus::Failed,
        (CheckKind::Suite, false) => ChecksStatus::Passed,
        (CheckKind::Run, false) if current == ChecksStatus::Failed => ChecksStatus::Failed,
        (CheckKind::Run, false) => ChecksStatus::Pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(kind: CheckKind, conclusion: Option<&str>, sha: &str) -> CheckCompleted {
        CheckCompleted {
            kind,
            conclusion: conclusion.map(String::from),
            head_branch: Some("oi/ses_1".into()),
            head_sha: sha.into(),
            repository: "acme/widgets".into(),
            installation_id: Some(1),
        }
    }

    #[test]
    fn sessions_from_their_branches() {
        assert_eq!(session_of_branch("oi/ses_abc123"), Some("ses_abc123"));
        assert_eq!(session_of_branch("refs/heads/oi/ses_abc123"), Some("ses_abc123"));
        for other in ["main", "oi/", "oi/ses_", "oi/ses_a/b", "feature/oi/ses_1", "oi/x_1"] {
            assert_eq!(session_of_branch(other), None, "{other}");
        }
    }

    #[test]
    fn checks_table() {
        use CheckKind::*;
        use ChecksStatus::*;
        let cases = [
            (None, Run, Some("success"), Pending),
            (Pending, Suite, Some("success"), Passed),
            (Pending, Suite, Some("neutral"), Passed),
            (Pending, Run, Some("failure"), Failed),
            (Failed, Run, Some("success"), Failed),
            (Passed, Suite, Some("timed_out"), Failed),
            (Pending, Suite, Option::None, Failed),
            (Failed, Suite, Some("success"), Passed),
        ];
        for (current, kind, conclusion, expected) in cases {
            assert_eq!(
                checks_after(current, Some("abc"), &check(kind, conclusion, "abc")),
                expected,
                "{current:?} {kind:?} {conclusion:?}"
            );
        }
        // Another commit's checks do not count.
        assert_eq!(checks_after(Pending, Some("abc"), &check(Suite, Some("failure"), "old")), Pending);
    }

    #[test]
    fn merged_and_closed() {
        let mut event = PullRequestEvent {
            action: "closed".into(),
            number: 1,
            state: "closed".into(),
            merged: true,
            head_ref: "oi/ses_1".into(),
            head_sha: "abc".into(),
            base_ref: "main".into(),
            html_url: String::new(),
            repository: "acme/widgets".into(),
            installation_id: None,
        };
        assert_eq!(state_of(&event), PullRequestState::Merged);
        event.merged = false;
        assert_eq!(state_of(&event), PullRequestState::Closed);
        event.state = "open".into();
        assert_eq!(state_of(&event), PullRequestState::Open);
    }
}
