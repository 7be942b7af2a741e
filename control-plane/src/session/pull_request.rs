//! The session's pull request: `POST /pull-request` opens it or brings it up to date (from the
//! web UI's button, the API, or the agent's own tool through the sandbox's egress), `GET
//! /pull-request` reads it, and webhook updates keep its state and checks current. Every call
//! to GitHub goes through the source-control provider (`crate::github`).

use oi_protocol::events::EventBody;
use oi_protocol::source_control::{ChecksStatus, CreatePullRequest, PullRequest, PullRequestState};
use oi_protocol::{ApiError, ErrorCode, User};
use oi_session_core::github::evidence::check_runs;
use oi_session_core::github::pr_state::{checks_after, state_of};
use oi_session_core::github::PrBody;
use oi_source_control::{PullRequestDraft, SourceControl};
use worker::{Request, Response};

use super::SessionObject;
use crate::github::webhook::Update;
use crate::http::{json_response, Outcome};
use crate::ids;

/// GitHub's limit on a title is generous; a prompt's first line is cut well before it.
const MAX_TITLE_CHARS: usize = 120;

fn conflict(message: String) -> crate::http::Failure {
    ApiError::new(ErrorCode::Conflict, message).into()
}

/// The title: as asked, else the session's, else the first prompt's first line.
fn title_for(asked: Option<&str>, session_title: Option<&str>, first_prompt: Option<&str>) -> String {
    let pick = [asked, session_title, first_prompt]
        .into_iter()
        .flatten()
        .map(|t| t.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or(""))
        .find(|t| !t.is_empty())
        .unwrap_or("Changes from Open Inspect");
    match pick.char_indices().nth(MAX_TITLE_CHARS) {
        Some((at, _)) => format!("{}…", &pick[..at]),
        None => pick.to_string(),
    }
}

impl SessionObject {
    /// `POST /pull-request` (a person) or `POST /sandbox/pull-request` (the agent's tool, for
    /// the running prompt's author): opens the session's pull request or brings it up to date.
    pub(super) async fn open_pull_request(&self, mut req: Request, requester: User) -> Outcome<Response> {
        let text = req.text().await?;
        let asked: CreatePullRequest = if text.trim().is_empty() {
            CreatePullRequest::default()
        } else {
            oi_protocol::decode::decode_body(&text)?
        };
        let (pr, created) = self.publish(&requester, &asked).await?;
        json_response(if created { 201 } else { 200 }, &pr)
    }

    async fn publish(&self, requester: &User, asked: &CreatePullRequest) -> Outcome<(PullRequest, bool)> {
        let meta = self.meta()?;
        let summary = &meta.summary;
        if let Some(head) = &summary.work_branch {
            return Err(conflict(format!(
                "this session pushes to the pull request it answers on (its head branch {head}); there is no other pull request to open"
            )));
        }
        let branch = format!("oi/{}", summary.id);
        let github = crate::github::provider(&self.env).ok_or_else(|| {
            conflict(format!(
                "no GitHub App is configured, so there is no pull request to open; the session's work is on the branch {branch} of {}",
                summary.repo
            ))
        })?;
        let repo = crate::github::repo_ref(&self.env, &github, &summary.repo).await?.ok_or_else(|| {
            conflict(format!(
                "{} is not a GitHub repository the App is installed on; the session's work is on its branch {branch}",
                summary.repo
            ))
        })?;
        let commit = self.store.last_pushed_commit()?.ok_or_else(|| {
            conflict(format!("nothing has been pushed to {branch} yet: a pull request needs a prompt's work first"))
        })?;
        let prompts: Vec<(String, String)> = self
            .store
            .sent_prompts()?
            .into_iter()
            .map(|(author, text)| (author.login.clone().unwrap_or(author.name), text))
            .collect();
        let agent_summary = match &asked.summary {
            Some(s) => Some(s.clone()),
            None => self.store.last_agent_text()?,
        };
        let session_url = crate::config::session_page_url(&self.env, &summary.id);
        let mut evidence = vec![format!(
            "Commit {}: {} file(s) changed, +{} −{}",
            commit.sha.as_deref().map(|s| &s[..s.len().min(12)]).unwrap_or("?"),
            commit.files_changed,
            commit.insertions,
            commit.deletions
        )];
        evidence.extend(check_runs(&self.store.shell_calls()?));
        let screenshots: Vec<(String, String)> = self
            .store
            .evidence_screenshots()?
            .into_iter()
            .filter_map(|m| {
                let link = super::media_routes::shared_link(&self.env, &summary.id, &m.media_id)?;
                Some((m.caption.unwrap_or(m.name), link))
            })
            .collect();
        let asked_by = requester.login.clone().unwrap_or_else(|| requester.name.clone());
        let body = |asked_by: Option<&str>| {
            PrBody {
                summary: agent_summary.as_deref(),
                prompts: &prompts,
                session_url: &session_url,
                evidence: &evidence,
                screenshots: &screenshots,
                asked_by,
            }
            .render()
        };
        let existing = self.store.pull_request()?;
        // An existing pull request keeps its title unless one is asked for.
        let title = match (&asked.title, &existing) {
            (None, Some(pr)) => pr.title.clone(),
            _ => title_for(asked.title.as_deref(), summary.title.as_deref(), prompts.first().map(|p| p.1.as_str())),
        };
        let draft = PullRequestDraft {
            repo: repo.clone(),
            head: branch.clone(),
            base: summary.branch.clone(),
            title,
            draft: asked.draft,
            known_number: existing.as_ref().map(|p| p.number),
            user_token: crate::github::user_token(&self.env, &requester.id).await,
            body_as_user: body(None),
            body_as_app: body(Some(&asked_by)),
        };
        let published = github.publish_pull_request(&draft).await.map_err(ApiError::from)?;
        let same_head = existing.as_ref().is_some_and(|p| p.head_sha == published.head_sha);
        let pr = PullRequest {
            repo: repo.full_name(),
            number: published.number,
            url: published.url,
            title: published.title,
            head: branch,
            base: summary.branch.clone(),
            state: published.state,
            draft: published.draft,
            opened_as: published.opened_as,
            requested_by: requester.name.clone(),
            head_sha: published.head_sha.clone(),
            checks: existing.filter(|_| same_head).map(|p| p.checks).unwrap_or_default(),
            updated_at: ids::now_ms(),
        };
        self.save_pull_request(&pr)?;
        crate::github::store::index_pull_request(
            &self.env,
            &pr.repo,
            pr.number,
            &summary.id,
            published.head_sha.as_deref(),
        )
        .await?;
        Ok((pr, published.created))
    }

    /// After pushed commits: the session's open pull request gets the new prompts in its body
    /// (their commits are already on the branch), opened for the last one's author. A failure
    /// is a warning in the session; the PR stays as it was.
    pub(super) async fn refresh_pull_requests(&self) {
        let Some(message_id) = std::mem::take(&mut *self.pull_request_refresh.borrow_mut()).pop() else { return };
        let Ok(Some(pr)) = self.store.pull_request() else { return };
        if pr.state != PullRequestState::Open {
            return;
        }
        let Ok(Some(prompt)) = self.store.prompt(&message_id) else { return };
        let asked = CreatePullRequest { title: None, summary: None, draft: pr.draft };
        if let Err(failure) = self.publish(&prompt.author, &asked).await {
            let why = match failure {
                crate::http::Failure::Api(e) => e.message,
                crate::http::Failure::Internal(e) => e.to_string(),
            };
            let _ = self.step(|turn| {
                turn.notice(
                    oi_protocol::events::NoticeLevel::Warning,
                    format!("could not update pull request #{}: {why}", pr.number),
                )
            });
        }
    }

    fn save_pull_request(&self, pr: &PullRequest) -> worker::Result<()> {
        self.store.save_pull_request(pr)?;
        self.step(|turn| turn.record(EventBody::PullRequest(pr.clone())).map(drop))
    }

    /// A webhook's news about the pull request (from the Worker).
    pub(super) fn pull_request_update(&self, update: Update) -> Outcome<Response> {
        let Some(mut pr) = self.store.pull_request()? else {
            return Ok(Response::empty()?.with_status(204));
        };
        let before = pr.clone();
        match update {
            Update::PullRequest(e) if e.number == pr.number && e.repository.eq_ignore_ascii_case(&pr.repo) => {
                pr.state = state_of(&e);
                if pr.head_sha.as_deref() != Some(e.head_sha.as_str()) {
                    pr.head_sha = Some(e.head_sha);
                    pr.checks = ChecksStatus::None;
                }
            }
            Update::PullRequest(_) => {}
            Update::Check(check) => pr.checks = checks_after(pr.checks, pr.head_sha.as_deref(), &check),
        }
        if pr != before {
            pr.updated_at = ids::now_ms().max(before.updated_at + 1);
            self.save_pull_request(&pr)?;
        }
        Ok(Response::empty()?.with_status(204))
    }
}

#[cfg(test)]
mod tests {
    use super::title_for;

    #[test]
    fn titles() {
        assert_eq!(title_for(Some("  \nFix it\nmore"), Some("S"), None), "Fix it");
        assert_eq!(title_for(None, Some("Session title"), Some("prompt")), "Session title");
        assert_eq!(title_for(None, None, Some("\n Add a README \n and more")), "Add a README");
        assert_eq!(title_for(None, None, None), "Changes from Open Inspect");
        let long = "x".repeat(200);
        assert_eq!(title_for(Some(&long), None, None).chars().count(), 121);
    }
}
