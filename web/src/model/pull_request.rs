//! A session's pull request: the current one (from `SessionState.pull_request`, replaced by each
//! `pull_request` event and by the answer of `POST /api/sessions/:id/pull-request`), and what
//! the button sends.

use oi_protocol::events::EventBody;
use oi_protocol::source_control::{CreatePullRequest, PullRequest};

/// `POST /api/sessions/:id/pull-request`
pub fn path(session_id: &str) -> String {
    format!("/api/sessions/{session_id}/pull-request")
}

/// The pull request after `incoming`: it replaces the current one, unless it is older (a
/// history event replayed after the state already had a newer one).
pub fn reduce(current: Option<PullRequest>, incoming: &PullRequest) -> Option<PullRequest> {
    match current {
        Some(current) if incoming.updated_at < current.updated_at => Some(current),
        _ => Some(incoming.clone()),
    }
}

/// The pull request after an event: only `pull_request` events change it.
pub fn on_event(current: Option<PullRequest>, body: &EventBody) -> Option<PullRequest> {
    match body {
        EventBody::PullRequest(pr) => reduce(current, pr),
        _ => current,
    }
}

/// The button: it opens the pull request, or updates the one there is.
pub fn button_label(current: Option<&PullRequest>) -> &'static str {
    match current {
        None => "Create PR",
        Some(_) => "Update PR",
    }
}

/// While the request runs.
pub fn busy_label(current: Option<&PullRequest>) -> &'static str {
    match current {
        None => "Creating…",
        Some(_) => "Updating…",
    }
}

/// The body the button sends: the server picks title and summary; draft only when asked for
/// (and only when opening: an existing pull request keeps its own).
pub fn request(current: Option<&PullRequest>, draft: bool) -> CreatePullRequest {
    CreatePullRequest { title: None, summary: None, draft: draft && current.is_none() }
}

#[cfg(test)]
pub(crate) mod fixtures {
    use oi_protocol::source_control::{ChecksStatus, OpenedAs, PullRequest, PullRequestState};

    pub fn pr(number: u64, state: PullRequestState, checks: ChecksStatus, updated_at: i64) -> PullRequest {
        PullRequest {
            repo: "acme/app".into(),
            number,
            url: format!("https://github.com/acme/app/pull/{number}"),
            title: "Fix the login".into(),
            head: "oi/ses_1".into(),
            base: "main".into(),
            state,
            draft: false,
            opened_as: OpenedAs::User,
            requested_by: "ada".into(),
            head_sha: None,
            checks,
            updated_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::pr;
    use super::*;
    use oi_protocol::events::{Notice, NoticeLevel};
    use oi_protocol::source_control::{ChecksStatus, PullRequestState};

    #[test]
    fn each_event_replaces_the_pull_request() {
        let opened = pr(12, PullRequestState::Open, ChecksStatus::Pending, 1_000);
        let passed = pr(12, PullRequestState::Open, ChecksStatus::Passed, 2_000);
        let current = on_event(None, &EventBody::PullRequest(opened.clone()));
        assert_eq!(current.as_ref(), Some(&opened));
        let current = on_event(current, &EventBody::PullRequest(passed.clone()));
        assert_eq!(current.as_ref(), Some(&passed));
        let notice = EventBody::Notice(Notice { level: NoticeLevel::Info, message: "hi".into() });
        assert_eq!(on_event(current, &notice), Some(passed));
    }

    #[test]
    fn an_older_one_does_not_replace_a_newer_one() {
        let merged = pr(12, PullRequestState::Merged, ChecksStatus::Passed, 5_000);
        let replayed = pr(12, PullRequestState::Open, ChecksStatus::Pending, 1_000);
        assert_eq!(reduce(Some(merged.clone()), &replayed), Some(merged.clone()));
        // The same change twice (the POST's answer, then its event) is still that change.
        assert_eq!(reduce(Some(merged.clone()), &merged), Some(merged));
    }

    #[test]
    fn the_button_creates_then_updates() {
        let open = pr(12, PullRequestState::Open, ChecksStatus::None, 1);
        assert_eq!(button_label(None), "Create PR");
        assert_eq!(button_label(Some(&open)), "Update PR");
        assert_eq!(busy_label(None), "Creating…");
        assert_eq!(request(None, true), CreatePullRequest { title: None, summary: None, draft: true });
        assert_eq!(request(Some(&open), true), CreatePullRequest::default());
        assert_eq!(serde_json::to_string(&request(None, false)).unwrap(), "{}");
        assert_eq!(path("ses_1"), "/api/sessions/ses_1/pull-request");
    }
}
