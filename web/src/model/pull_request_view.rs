//! How a pull request reads on the page: its badge (number, title, state, checks, whose
//! credential opened it) and one line per `pull_request` event of the session's activity
//! ("Pull request #12 opened", "… merged", "Checks passed on …").

use oi_protocol::events::EventBody;
use oi_protocol::source_control::{ChecksStatus, OpenedAs, PullRequest, PullRequestState};
use oi_protocol::transcript::Transcript;

/// What the badge shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequestView {
    /// `#12`
    pub number: String,
    pub title: String,
    pub url: String,
    /// `open`, `draft`, `merged` or `closed` (a `data-state` for tests).
    pub state: &'static str,
    pub state_label: &'static str,
    /// The CSS modifier `badge-<tone>`.
    pub state_tone: &'static str,
    /// `none`, `pending`, `passed` or `failed`.
    pub checks: &'static str,
    pub checks_label: &'static str,
    pub checks_tone: &'static str,
    /// `head → base`
    pub branches: String,
    /// Set when the App's credential opened it: on whose behalf.
    pub opened_as: Option<String>,
}

pub fn view(pr: &PullRequest) -> PullRequestView {
    let (state, state_label, state_tone) = match (pr.state, pr.draft) {
        (PullRequestState::Open, true) => ("draft", "Draft", "neutral"),
        (PullRequestState::Open, false) => ("open", "Open", "ok"),
        (PullRequestState::Merged, _) => ("merged", "Merged", "merged"),
        (PullRequestState::Closed, _) => ("closed", "Closed", "bad"),
    };
    let (checks, checks_label, checks_tone) = match pr.checks {
        ChecksStatus::None => ("none", "No checks", "neutral"),
        ChecksStatus::Pending => ("pending", "Checks running", "busy"),
        ChecksStatus::Passed => ("passed", "Checks passed", "ok"),
        ChecksStatus::Failed => ("failed", "Checks failed", "bad"),
    };
    PullRequestView {
        number: format!("#{}", pr.number),
        title: pr.title.clone(),
        url: pr.url.clone(),
        state,
        state_label,
        state_tone,
        checks,
        checks_label,
        checks_tone,
        branches: format!("{} → {}", pr.head, pr.base),
        opened_as: match pr.opened_as {
            OpenedAs::User => None,
            OpenedAs::App => Some(format!("Opened as the App on behalf of {}", pr.requested_by)),
        },
    }
}

/// One line of the pull request's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequestLine {
    pub text: String,
    /// `info`, `ok` or `error`: a CSS modifier.
    pub tone: &'static str,
}

/// What changed from `before` to `after`, in words; `None` when nothing shown changed.
pub fn change(before: Option<&PullRequest>, after: &PullRequest) -> Option<PullRequestLine> {
    let n = after.number;
    let line = |text: String, tone| Some(PullRequestLine { text, tone });
    let before = match before {
        Some(b) if b.number == n => b,
        _ => {
            return match after.state {
                PullRequestState::Open if after.draft => line(format!("Pull request #{n} opened as a draft"), "info"),
                PullRequestState::Open => line(format!("Pull request #{n} opened"), "info"),
                PullRequestState::Merged => line(format!("Pull request #{n} merged"), "ok"),
                PullRequestState::Closed => line(format!("Pull request #{n} closed"), "error"),
            }
        }
    };
    if before.state != after.state {
        return match after.state {
            PullRequestState::Open => line(format!("Pull request #{n} reopened"), "info"),
            PullRequestState::Merged => line(format!("Pull request #{n} merged"), "ok"),
            PullRequestState::Closed => line(format!("Pull request #{n} closed"), "error"),
        };
    }
    if before.draft != after.draft {
        let what = if after.draft { "turned into a draft" } else { "marked ready for review" };
        return line(format!("Pull request #{n} {what}"), "info");
    }
    if before.checks != after.checks {
        return match after.checks {
            ChecksStatus::None => None,
            ChecksStatus::Pending => line(format!("Checks running on pull request #{n}"), "info"),
            ChecksStatus::Passed => line(format!("Checks passed on pull request #{n}"), "ok"),
            ChecksStatus::Failed => line(format!("Checks failed on pull request #{n}"), "error"),
        };
    }
    if before.title != after.title || before.head_sha != after.head_sha {
        return line(format!("Pull request #{n} updated"), "info");
    }
    None
}

/// The pull request's history from the session's activity, oldest first.
pub fn history(transcript: &Transcript) -> Vec<PullRequestLine> {
    let mut before: Option<&PullRequest> = None;
    let mut lines = Vec::new();
    for body in &transcript.activity {
        if let EventBody::PullRequest(pr) = body {
            lines.extend(change(before, pr));
            before = Some(pr);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::pull_request::fixtures::pr;
    use crate::model::testing::event;
    use oi_protocol::transcript::transcript_of;

    #[test]
    fn the_badge_says_state_checks_and_who_opened_it() {
        let mut p = pr(12, PullRequestState::Open, ChecksStatus::Pending, 1);
        let v = view(&p);
        assert_eq!((v.number.as_str(), v.state_label, v.state_tone), ("#12", "Open", "ok"));
        assert_eq!((v.checks, v.checks_label), ("pending", "Checks running"));
        assert_eq!(v.branches, "oi/ses_1 → main");
        assert_eq!(v.opened_as, None);
        p.opened_as = OpenedAs::App;
        p.draft = true;
        let v = view(&p);
        assert_eq!(v.opened_as.as_deref(), Some("Opened as the App on behalf of ada"));
        assert_eq!(v.state, "draft");
        p.state = PullRequestState::Merged;
        p.checks = ChecksStatus::Failed;
        let v = view(&p);
        assert_eq!(
            (v.state, v.state_label, v.checks_label, v.checks_tone),
            ("merged", "Merged", "Checks failed", "bad")
        );
        p.state = PullRequestState::Closed;
        p.checks = ChecksStatus::None;
        assert_eq!((view(&p).state_label, view(&p).checks_label), ("Closed", "No checks"));
    }

    #[test]
    fn the_history_tells_each_change() {
        let opened = pr(12, PullRequestState::Open, ChecksStatus::None, 1);
        let pending = pr(12, PullRequestState::Open, ChecksStatus::Pending, 2);
        let passed = pr(12, PullRequestState::Open, ChecksStatus::Passed, 3);
        let same = pr(12, PullRequestState::Open, ChecksStatus::Passed, 4);
        let mut retitled = same.clone();
        retitled.title = "Fix the login form".into();
        let merged = pr(12, PullRequestState::Merged, ChecksStatus::Passed, 6);
        let bodies = [opened, pending, passed, same, retitled, merged];
        let events: Vec<_> =
            bodies.into_iter().enumerate().map(|(i, p)| event(i as u64 + 1, EventBody::PullRequest(p))).collect();
        let lines = history(&transcript_of(&events).unwrap());
        let texts: Vec<_> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "Pull request #12 opened",
                "Checks running on pull request #12",
                "Checks passed on pull request #12",
                "Pull request #12 updated",
                "Pull request #12 merged",
            ]
        );
        assert_eq!(lines[4].tone, "ok");
    }

    #[test]
    fn other_changes_in_words() {
        let open = pr(12, PullRequestState::Open, ChecksStatus::Failed, 1);
        let mut draft = open.clone();
        draft.draft = true;
        assert_eq!(change(None, &draft).unwrap().text, "Pull request #12 opened as a draft");
        assert_eq!(change(Some(&draft), &open).unwrap().text, "Pull request #12 marked ready for review");
        let closed = pr(12, PullRequestState::Closed, ChecksStatus::Failed, 2);
        assert_eq!(change(Some(&open), &closed).unwrap().tone, "error");
        assert_eq!(change(Some(&closed), &open).unwrap().text, "Pull request #12 reopened");
        assert_eq!(change(None, &closed).unwrap().text, "Pull request #12 closed");
        assert_eq!(
            change(Some(&closed), &pr(13, PullRequestState::Open, ChecksStatus::None, 3)).unwrap().text,
            "Pull request #13 opened"
        );
        assert_eq!(change(Some(&open), &open), None);
    }
}
