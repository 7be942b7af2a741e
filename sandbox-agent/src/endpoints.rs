//! Where a boot reaches the control plane and the repository: decided once per boot path (and
//! once more when a warm-pool claim names a session) from the provider's [`Config`], the
//! isolated network's forwarders and the egress, then passed to the bridge, the egress and git.
//!
//! Invariant: the [`Config`] keeps the URLs the provider set; only [`Endpoints`] holds the URLs
//! this sandbox's clients actually use, and nothing rewrites one after it is made.

use anyhow::Result;

use crate::config::Config;
use crate::egress::Egress;
use crate::network::Network;

/// A git remote, and the bearer token git sends to it (to it only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    pub url: String,
    /// Only the provider's own git endpoint takes one (`OI_REPO_AUTH=sandbox_token`); the
    /// egress adds the token itself.
    pub bearer: Option<String>,
}

impl Remote {
    /// The sandbox's egress (`{egress}/git`, on to the session's git endpoint on the control
    /// plane), so no git credential is in the workspace or in git's environment: every boot
    /// with a session.
    pub fn egress(egress_base_url: &str) -> Self {
        Self { url: Egress::git_url(egress_base_url), bearer: None }
    }

    /// The repository as the provider named it (`OI_REPO_URL`), with the sandbox token when
    /// the provider said the remote takes it: an image build, a warm-pool boot before its claim.
    pub fn provider(config: &Config) -> Self {
        Self { url: config.repo_url.clone(), bearer: config.repo_auth_with_token.then(|| config.sandbox_token.clone()) }
    }

    /// In an isolated network an `http://` remote is reached through a loopback forwarder.
    pub async fn reached(self, network: Option<&Network>) -> Result<Self> {
        match network {
            Some(network) if self.url.starts_with("http://") => {
                Ok(Self { url: network.forwarded_url(&self.url).await?, ..self })
            }
            _ => Ok(self),
        }
    }
}

/// The URLs one boot path uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// `http(s)://host:port`, no trailing slash: where the bridge and the egress go. Empty for
    /// an image build, which connects to no control plane.
    pub control_plane: String,
    /// The workspace's git remote.
    pub repo: Remote,
}

impl Endpoints {
    /// Before a session (an image build, a warm-pool boot): the control plane and the
    /// repository as the provider named them, reached from this sandbox.
    pub async fn provider(config: &Config, network: Option<&Network>) -> Result<Self> {
        Ok(Self {
            control_plane: Self::control_plane(&config.control_plane_url, network).await?,
            repo: Remote::provider(config).reached(network).await?,
        })
    }

    /// With a session: the control plane (as [`Endpoints::control_plane`] reaches it), and git
    /// through the egress at `egress_base_url`.
    pub fn session(control_plane: String, egress_base_url: &str) -> Self {
        Self { control_plane, repo: Remote::egress(egress_base_url) }
    }

    /// The control plane at `url` as this sandbox reaches it: as it is, or in an isolated
    /// network through a loopback forwarder. An empty URL (an image build) stays empty.
    pub async fn control_plane(url: &str, network: Option<&Network>) -> Result<String> {
        let url = match network {
            Some(network) if !url.is_empty() => network.forwarded_url(url).await?,
            _ => url.to_string(),
        };
        Ok(url.trim_end_matches('/').to_string())
    }
}

/// `ws(s)://{control_plane}/api/sessions/{session_id}/sandbox`.
pub fn bridge_url(control_plane: &str, session_id: &str) -> String {
    let ws = if let Some(rest) = control_plane.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = control_plane.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        control_plane.to_string()
    };
    format!("{}/api/sessions/{session_id}/sandbox", ws.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bridge_urls() {
        for (control_plane, expected) in [
            ("http://127.0.0.1:8787", "ws://127.0.0.1:8787/api/sessions/ses_1/sandbox"),
            ("http://127.0.0.1:8787/", "ws://127.0.0.1:8787/api/sessions/ses_1/sandbox"),
            ("https://cp.example.com", "wss://cp.example.com/api/sessions/ses_1/sandbox"),
        ] {
            assert_eq!(bridge_url(control_plane, "ses_1"), expected, "{control_plane}");
        }
    }

    #[test]
    fn remotes() {
        let mut env = crate::config::tests::env();
        let config = Config::from_map(&env).unwrap();
        assert_eq!(Remote::provider(&config), Remote { url: config.repo_url.clone(), bearer: None });
        env.insert(oi_protocol::supervisor_env::REPO_AUTH.into(), "sandbox_token".into());
        let config = Config::from_map(&env).unwrap();
        assert_eq!(Remote::provider(&config).bearer.as_deref(), Some("tok"), "the provider's endpoint takes the token");
        assert_eq!(
            Remote::egress("http://127.0.0.1:9/"),
            Remote { url: "http://127.0.0.1:9/git".into(), bearer: None }
        );
    }

    #[tokio::test]
    async fn without_an_isolated_network_urls_stay_as_they_are() {
        assert_eq!(Endpoints::control_plane("http://cp:1/", None).await.unwrap(), "http://cp:1");
        assert_eq!(Endpoints::control_plane("", None).await.unwrap(), "");
        let remote = Remote { url: "http://git:2/r".into(), bearer: None };
        assert_eq!(remote.clone().reached(None).await.unwrap(), remote);
        let config = Config::from_map(&crate::config::tests::env()).unwrap();
        let endpoints = Endpoints::provider(&config, None).await.unwrap();
        assert_eq!(endpoints.control_plane, "http://127.0.0.1:8787");
        assert_eq!(endpoints.repo, Remote::provider(&config));
        let session = Endpoints::session(endpoints.control_plane, "http://127.0.0.1:9");
        assert_eq!(session.repo, Remote::egress("http://127.0.0.1:9"));
    }
}
