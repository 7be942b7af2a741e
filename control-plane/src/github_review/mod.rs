//! The GitHub review bot (docs/github.md): the App reviews pull requests and answers
//! @mentions on them, in one session per pull request that works on the pull request's head.
//!
//! - [`deliveries`]: from the App's verified webhook, a delivery that asks for a review or
//!   mentions the App (`oi_integrations::github_review::triggers`) becomes a job.
//! - [`requests`]: the job: who asked and whether they may, 👀, the pull request and its
//!   files, the session (started on the head, or the one it already has) and its prompt.
//! - [`posts`]: the agent's `submit_review` and `reply_comment`, posted with the App's token.
//! - [`notices`]: when a prompt ends, a reply saying done or failed, with the session's link.
//! - [`store`]: permissions GitHub reported, and each session's latest request.
//!
//! Settings → Integrations → GitHub (`repos`, `auto_review`, `instructions`,
//! `allowed_users`); the App's slug is the Worker variable `GITHUB_APP_SLUG`.

pub mod deliveries;
pub mod notices;
pub mod posts;
pub mod requests;
pub mod store;

use oi_integrations::github_review::settings::{parse_config, GithubReviewConfig};
use oi_integrations::github_review::AppIdentity;
use oi_protocol::integrations::IntegrationName;
use sha2::{Digest, Sha256};
use worker::Env;

/// The App, by its slug (`GITHUB_APP_SLUG`): mentions of `@<slug>` ask it.
pub fn app_identity(env: &Env) -> Option<AppIdentity> {
    crate::config::var(env, "GITHUB_APP_SLUG").filter(|s| !s.trim().is_empty()).map(AppIdentity::new)
}

/// The review bot's settings when it is on and they read; otherwise `None` (nothing starts).
pub async fn config(env: &Env) -> worker::Result<Option<GithubReviewConfig>> {
    if !crate::integrations::settings::enabled(env, IntegrationName::Github).await? {
        return Ok(None);
    }
    let config = crate::integrations::settings::config(env, IntegrationName::Github).await?;
    Ok(parse_config(&config).ok())
}

/// The one session of pull request `number` of `repo` (`owner/name`).
pub fn session_id_of(repo: &str, number: u64) -> String {
    let digest = hex::encode(Sha256::digest(format!("github:{}#{number}", repo.to_ascii_lowercase()).as_bytes()));
    format!("ses_g{}", &digest[..27])
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_pull_request_has_one_session_whatever_the_repositorys_spelling() {
        let id = super::session_id_of("Acme/API", 7);
        assert_eq!(id, super::session_id_of("acme/api", 7));
        assert_ne!(id, super::session_id_of("acme/api", 8));
        assert_eq!(id.len(), "ses_".len() + 28);
    }
}
