//! The stack in GitHub sign-in mode (`AUTH_MODE=github`), against the GitHub double
//! (`oi-github-double`), whose authorize page approves at once as the chosen user.

use anyhow::Result;
use oi_github_double::{DoubleConfig, EmailConfig, GithubDouble, UserConfig};
use oi_testkit::StackOptions;

use crate::browser::Browser;
use crate::fixture::UiStack;

pub const CLIENT_ID: &str = "Iv1.8a61f9b3a7aba766";
pub const CLIENT_SECRET: &str = "1f1c1e1d1c1b1a19181716151413121110f0e0d0";
pub const SIGNING_KEY: &str = "test-signing-key-0123456789abcdef0123456789abcdef";

/// Ada (in `acme`, the allowed organisation; the first to sign in, so admin) and Mallory (in
/// `evil` only).
pub fn people() -> DoubleConfig {
    DoubleConfig::new(CLIENT_ID, CLIENT_SECRET)
        .user(UserConfig::new("ada", 1).name("Ada Lovelace").email(EmailConfig::primary("ada@acme.test")).org("acme"))
        .user(UserConfig::new("mallory", 3).email(EmailConfig::primary("mallory@evil.test")).org("evil"))
}

pub struct GithubUi {
    pub github: GithubDouble,
    pub ui: UiStack,
}

impl GithubUi {
    /// The double with `people`, and the stack signing in through it; only members of
    /// `allowed_orgs` (comma-separated) may sign in.
    pub async fn start(people: DoubleConfig, allowed_orgs: &str) -> Result<Self> {
        let github = GithubDouble::start(people).await?;
        let vars = [
            ("AUTH_MODE", "github"),
            ("GITHUB_CLIENT_ID", CLIENT_ID),
            ("GITHUB_CLIENT_SECRET", CLIENT_SECRET),
            ("GITHUB_OAUTH_BASE", &github.url),
            ("GITHUB_API_BASE", &github.url),
            ("SESSION_SIGNING_KEY", SIGNING_KEY),
            ("ALLOWED_GITHUB_ORGS", allowed_orgs),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let ui = UiStack::start_with(StackOptions { vars }).await?;
        github.set_redirect_uri(&format!("{}/auth/github/callback", ui.base_url()));
        Ok(Self { github, ui })
    }

    /// A browser on the UI's origin.
    pub async fn browser(&self) -> Result<Browser> {
        self.ui.browser().await
    }
}
