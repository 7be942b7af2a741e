//! The GitHub App reviews pull requests and answers @mentions on them, and may push fixes to a
//! pull request's head branch (shared/contracts/github). The Worker parses a delivery
//! ([`oi_session_core::github::review_events`]), asks [`triggers::decide`] whether it starts
//! work, checks the sender ([`triggers::gate`]), starts or continues the pull request's one
//! session with [`prompt`]'s text, and posts what the agent submits ([`review`], [`replies`]).
//!
//! - [`settings`]: the integration's `config` object (repositories, auto-review, instructions,
//!   allowed users), validated.
//! - [`mention`]: @mentions of the App in a comment, and the request without them.
//! - [`triggers`]: which deliveries start a review or an answer, and who may ask.
//! - [`prompt`]: the agent's prompts, with the pull request's text fenced as untrusted data.
//! - [`diff`]: which lines of a pull request's diff take inline comments.
//! - [`review`]: `submit_review`'s arguments as GitHub's create-review request.
//! - [`replies`]: answers in the conversation or a review thread, and the completion notice.
//!
//! Invariant, as everywhere in this crate: no I/O and no clock; the Worker passes times in and
//! does what these functions decide.

pub mod diff;
pub mod mention;
pub mod prompt;
pub mod replies;
pub mod review;
pub mod settings;
pub mod triggers;

pub use settings::{parse_config, GithubReviewConfig};
pub use triggers::{decide, gate, Decision, Trigger};

/// The deployment's GitHub App, as people mention it and as its comments and pull requests are
/// authored. Its slug is the App's (`GET /app` → `slug`, or the deployment's configuration), not
/// an integration setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppIdentity {
    /// `open-inspect`: mentioned as `@open-inspect`.
    pub slug: String,
}

impl AppIdentity {
    pub fn new(slug: impl Into<String>) -> Self {
        AppIdentity { slug: slug.into().trim().to_string() }
    }

    /// The login the App's installation tokens act as: `<slug>[bot]`.
    pub fn bot_login(&self) -> String {
        format!("{}[bot]", self.slug)
    }

    /// Whether `login` is the App's own account (any case).
    pub fn is_app(&self, login: &str) -> bool {
        !self.slug.is_empty() && login.trim().eq_ignore_ascii_case(&self.bot_login())
    }
}

#[cfg(test)]
mod tests {
    use super::AppIdentity;

    #[test]
    fn the_apps_own_account() {
        let app = AppIdentity::new(" open-inspect ");
        assert_eq!(app.bot_login(), "open-inspect[bot]");
        let cases: &[(&str, bool)] = &[
            ("open-inspect[bot]", true),
            ("Open-Inspect[bot]", true),
            ("open-inspect", false),
            ("open-inspect-x[bot]", false),
            ("dependabot[bot]", false),
        ];
        for (login, want) in cases {
            assert_eq!(app.is_app(login), *want, "{login}");
        }
        assert!(!AppIdentity::new("").is_app("[bot]"), "no slug: nobody is the App");
    }
}
