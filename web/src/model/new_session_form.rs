//! What the new-session form sends: `POST /api/sessions`'s body from the fields, with the
//! repository taken from the picker or from the typed field.

use oi_protocol::rest::CreateSessionRequest;
use oi_protocol::{ApiError, ErrorCode};

use super::repo_picker::RepoMode;

/// The form's fields as they are when it is sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionForm {
    pub mode: RepoMode,
    /// The picked repository's `full_name`.
    pub picked: Option<String>,
    /// The typed repository: a URL, a path or `owner/name`.
    pub typed: String,
    pub branch: String,
    /// Empty: the deployment's default model.
    pub model: String,
    pub title: String,
    /// Unticked: the deployment's default decides.
    pub private: bool,
}

/// What the picker says when nothing is picked yet.
pub const PICK_A_REPOSITORY: &str = "Choose a repository, or type its URL or path.";

fn some(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

impl SessionForm {
    /// The repository the session will work on.
    pub fn repo(&self) -> Option<String> {
        match self.mode {
            RepoMode::Pick => self.picked.as_deref().and_then(some),
            // The server names an empty repository itself.
            RepoMode::Type => Some(self.typed.trim().to_string()),
        }
    }

    /// The request body, or why it cannot be sent yet.
    pub fn request(&self) -> Result<CreateSessionRequest, ApiError> {
        let repo = self.repo().ok_or_else(|| ApiError::new(ErrorCode::InvalidRequest, PICK_A_REPOSITORY))?;
        Ok(CreateSessionRequest {
            repo,
            branch: some(&self.branch),
            model: some(&self.model),
            title: some(&self.title),
            private: self.private.then_some(true),
        })
    }

    /// Switching to the typed field starts it from the picked repository when it is empty.
    pub fn typed_after_switch(&self) -> String {
        match (&self.picked, self.typed.trim().is_empty()) {
            (Some(picked), true) => picked.clone(),
            _ => self.typed.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picked(name: Option<&str>) -> SessionForm {
        SessionForm {
            mode: RepoMode::Pick,
            picked: name.map(String::from),
            typed: "/srv/git/app.git".into(),
            branch: "trunk".into(),
            ..SessionForm::default()
        }
    }

    #[test]
    fn a_picked_repository_and_branch_are_sent() {
        let req = picked(Some("acme/app")).request().unwrap();
        assert_eq!(req.repo, "acme/app");
        assert_eq!(req.branch.as_deref(), Some("trunk"));
        assert_eq!((req.model, req.title, req.private), (None, None, None));
    }

    #[test]
    fn nothing_picked_is_refused_before_sending() {
        let e = picked(None).request().unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert_eq!(e.message, PICK_A_REPOSITORY);
    }

    #[test]
    fn the_typed_field_is_sent_trimmed_even_empty() {
        let form = SessionForm {
            typed: "  /srv/git/app.git ".into(),
            branch: " ".into(),
            model: "scripted/test-model".into(),
            title: " Fix it ".into(),
            private: true,
            ..SessionForm::default()
        };
        let req = form.request().unwrap();
        assert_eq!(req.repo, "/srv/git/app.git");
        assert_eq!(req.branch, None);
        assert_eq!(req.model.as_deref(), Some("scripted/test-model"));
        assert_eq!(req.title.as_deref(), Some("Fix it"));
        assert_eq!(req.private, Some(true));
        // The server explains an empty repository.
        let empty = SessionForm { typed: "   ".into(), ..SessionForm::default() };
        assert_eq!(empty.request().unwrap().repo, "");
    }

    #[test]
    fn switching_to_typing_starts_from_the_pick() {
        let mut form = picked(Some("acme/app"));
        assert_eq!(form.typed_after_switch(), "/srv/git/app.git");
        form.typed.clear();
        assert_eq!(form.typed_after_switch(), "acme/app");
    }
}
