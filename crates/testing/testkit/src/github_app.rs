//! A GitHub App on the GitHub double, for tests: the App (with the throwaway test key) installed
//! on `acme/widgets`, whose git directory the test provides; the control-plane variables that
//! point at it; and the webhook hookup with the installation delivered.

use std::path::Path;
use std::time::Duration;

use anyhow::{ensure, Result};
use oi_github_double::{AppConfig, DoubleConfig, GithubDouble, InstallationConfig, RepoConfig};

/// The App's private key (a throwaway test key) and its public half.
pub const APP_KEY: &str = include_str!("../../../session-core/tests/fixtures/github/test-app-key.pem");
pub const APP_PUBLIC_KEY: &str = include_str!("../../../session-core/tests/fixtures/github/test-app-key.pub.pem");
pub const APP_ID: u64 = 5;
/// The App's slug: it is mentioned as `@open-inspect`, and its bot is `open-inspect[bot]`.
pub const APP_SLUG: &str = "open-inspect";
pub const INSTALLATION: u64 = 31;
pub const WEBHOOK_SECRET: &str = "whsec-open-inspect-tests";
/// The installed repository.
pub const REPO: &str = "acme/widgets";

/// `config` plus the App, installed (as `acme`) on `acme/widgets` backed by `git_dir`.
pub fn with_app(config: DoubleConfig, git_dir: &Path) -> DoubleConfig {
    config.app(AppConfig::new(APP_ID, APP_SLUG, APP_PUBLIC_KEY)).installation(
        InstallationConfig::new(INSTALLATION, "acme")
            .repo(RepoConfig::new("acme", "widgets").default_branch("main").private(true).git_dir(git_dir)),
    )
}

/// The control plane's settings for the App on the double at `github_url` (the key's newlines
/// written as `\n`, as a one-line setting holds it).
pub fn control_plane_vars(github_url: &str) -> Vec<(String, String)> {
    [
        ("GITHUB_APP_ID", APP_ID.to_string()),
        ("GITHUB_APP_PRIVATE_KEY", APP_KEY.trim().replace('\n', "\\n")),
        ("GITHUB_WEBHOOK_SECRET", WEBHOOK_SECRET.to_string()),
        ("GITHUB_APP_SLUG", APP_SLUG.to_string()),
        ("GITHUB_API_BASE", github_url.to_string()),
        ("GITHUB_WEB_BASE", github_url.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Points the App's webhook at the control plane and delivers the installation, which the
/// control plane must accept (200).
pub async fn connect(github: &GithubDouble, control_plane_url: &str) -> Result<()> {
    github.set_webhook(&format!("{control_plane_url}/api/github/webhook"), WEBHOOK_SECRET);
    github.send_installation_created(INSTALLATION);
    let delivered = github.wait_for_deliveries(1, Duration::from_secs(10)).await;
    ensure!(delivered.first().and_then(|d| d.status) == Some(200), "the installation was not accepted: {delivered:?}");
    Ok(())
}
