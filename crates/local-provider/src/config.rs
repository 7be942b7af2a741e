//! The provider's configuration.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::isolation::{Containment, Isolation};
use crate::sandbox::DEFAULT_GRACE;
use crate::snapshot_gc::GcSettings;

/// Everything [`crate::serve`] needs.
#[derive(Clone)]
pub struct Config {
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// The provider's directory: `sandboxes/`, `snapshots/` and `images/` live here.
    pub root: PathBuf,
    /// The supervisor (`sandbox-agent`), started with no arguments.
    pub agent_bin: PathBuf,
    /// The pinned `opencode`, passed as `OI_OPENCODE_BIN`.
    pub opencode_bin: PathBuf,
    /// The key shared with the control plane for signed requests. Must not be empty.
    pub key: Vec<u8>,
    /// The base URL sandboxes reach this provider at (for local repositories' git endpoint);
    /// `http://<bound address>` when `None`.
    pub public_url: Option<String>,
    /// Recorded in snapshots.
    pub runtime_version: String,
    pub isolation: Isolation,
    /// Under bubblewrap, each sandbox gets a private network that reaches only the control
    /// plane, this provider and its allowlist of registries, through [`crate::gateway`].
    pub network_isolated: bool,
    /// The bubblewrap binary.
    pub bwrap_bin: PathBuf,
    /// How long terminate waits between SIGTERM and SIGKILL.
    pub terminate_grace: Duration,
    /// Snapshot garbage collection: maximum age, how many per session, how often.
    pub snapshot_gc: GcSettings,
    /// The only directories whose repositories (`repo` as an absolute path) sandboxes may be
    /// given (`--repo-root`); none by default. The provider's root is never one.
    pub repo_roots: Vec<PathBuf>,
    /// Host paths every sandbox sees read-only besides the system's (`--expose`): toolchains
    /// outside `/usr`, for example (docs/security.md, "Containment").
    pub expose: Vec<PathBuf>,
    /// What a sandbox sees and may do, derived from the above when the provider starts.
    pub containment: Containment,
}

impl Config {
    /// A configuration with the defaults: `127.0.0.1:8788`, bubblewrap, a 5 s grace, this
    /// crate's version as the runtime version, and snapshots kept 7 days, 5 per session.
    pub fn new(
        root: impl Into<PathBuf>,
        agent_bin: impl Into<PathBuf>,
        opencode_bin: impl Into<PathBuf>,
        key: impl Into<Vec<u8>>,
    ) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8788)),
            root: root.into(),
            agent_bin: agent_bin.into(),
            opencode_bin: opencode_bin.into(),
            key: key.into(),
            public_url: None,
            runtime_version: env!("CARGO_PKG_VERSION").to_string(),
            isolation: Isolation::Bwrap,
            network_isolated: true,
            bwrap_bin: "bwrap".into(),
            terminate_grace: DEFAULT_GRACE,
            snapshot_gc: GcSettings::default(),
            repo_roots: vec![],
            expose: vec![],
            containment: Containment::default(),
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("root", &self.root)
            .field("agent_bin", &self.agent_bin)
            .field("opencode_bin", &self.opencode_bin)
            .field("key", &"<redacted>")
            .field("public_url", &self.public_url)
            .field("runtime_version", &self.runtime_version)
            .field("isolation", &self.isolation)
            .field("bwrap_bin", &self.bwrap_bin)
            .field("terminate_grace", &self.terminate_grace)
            .field("snapshot_gc", &self.snapshot_gc)
            .field("repo_roots", &self.repo_roots)
            .field("expose", &self.expose)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_key() {
        let c = Config::new("/r", "/a", "/o", "very-secret-key");
        let shown = format!("{c:?}");
        assert!(!shown.contains("very-secret-key"), "{shown}");
        assert!(shown.contains("redacted"));
        assert_eq!(c.isolation, Isolation::Bwrap);
        assert_eq!(c.terminate_grace, DEFAULT_GRACE);
        assert_eq!(c.snapshot_gc, GcSettings::default());
        assert!(c.repo_roots.is_empty(), "no repository is served unless the operator names its root");
    }
}
