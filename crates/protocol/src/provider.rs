//! The sandbox-provider HTTP contract. The control plane calls a provider (the local one in
//! `crates/local-provider`, or the Modal app in `modal/`) to create, inspect, snapshot, restore
//! and terminate sandboxes. Every request except `GET /v1/health` is signed (see
//! [`crate::signing`]). Errors are [`crate::ErrorBody`]s.
//!
//! | method and path | body | success |
//! |---|---|---|
//! | `GET /v1/health` | | 200 [`ProviderHealth`] |
//! | `POST /v1/sandboxes` | [`CreateSandbox`] | 201 [`SandboxInfo`] |
//! | `GET /v1/sandboxes/:id` | | 200 [`SandboxInfo`] |
//! | `DELETE /v1/sandboxes/:id` | | 200 [`SandboxInfo`] (idempotent) |
//! | `POST /v1/sandboxes/:id/snapshot` | | 201 [`SnapshotInfo`] |
//! | `POST /v1/sandboxes/restore` | [`RestoreSandbox`] | 201 [`SandboxInfo`] |
//! | `POST /v1/sandboxes/:id/claim` | [`ClaimSandbox`] | 200 [`SandboxInfo`] (a warm-pool sandbox joins a session) |
//! | `POST /v1/images` | [`BuildImage`] | 202 [`ImageInfo`] (status `building`) |
//! | `GET /v1/images/:id` | | 200 [`ImageInfo`] |
//! | `DELETE /v1/images/:id` | | 200 [`ImageInfo`] |

/// The sandbox runtime's compatibility generation. Snapshots and images record the generation
/// they were made with; the control plane refuses to restore one below its floor
/// (`MIN_RUNTIME_GENERATION`, by default this value). Bump it when a change to the supervisor
/// or OpenCode makes old snapshots unsafe to resume.
pub const RUNTIME_GENERATION: u32 = 1;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::agent::AgentConfig;

/// How a sandbox boots, as `OPENINSPECT_BOOT_MODE` tells the supervisor and the repo's scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BootMode {
    /// Building a repo image: clone and `setup.sh` (fatal on failure); no `start.sh`, no agent.
    Build,
    /// A new sandbox from nothing: clone, `setup.sh` (a warning on failure), `start.sh`.
    #[default]
    Fresh,
    /// From a prebuilt repo image: fetch, skip `setup.sh`, run `start.sh`.
    RepoImage,
    /// From a snapshot of this session: keep the checkout, skip `setup.sh`, run `start.sh`.
    SnapshotRestore,
}

impl BootMode {
    pub fn as_str(self) -> &'static str {
        match self {
            BootMode::Build => "build",
            BootMode::Fresh => "fresh",
            BootMode::RepoImage => "repo_image",
            BootMode::SnapshotRestore => "snapshot_restore",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [BootMode::Build, BootMode::Fresh, BootMode::RepoImage, BootMode::SnapshotRestore]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

/// `POST /v1/sandboxes`: start a sandbox for a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateSandbox {
    pub session_id: String,
    /// Chosen by the control plane; the provider uses it as the sandbox's id.
    pub sandbox_id: String,
    /// The repository: a git URL, or an absolute path on the provider's host.
    pub repo: String,
    /// The base branch.
    pub branch: String,
    /// The control plane's base URL, as the sandbox reaches it (`http://127.0.0.1:8787`).
    pub control_plane_url: String,
    /// The sandbox's bearer token for the bridge socket (and, later, the git and model proxies).
    pub sandbox_token: String,
    /// The agent's model configuration.
    pub agent: AgentConfig,
    /// Extra environment for the repo's scripts and the agent's shell.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    #[serde(default)]
    pub boot_mode: BootMode,
    /// Start from this prebuilt repo image (`repo_image` mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    /// A warm-pool sandbox: it boots, then waits to be claimed by a session
    /// (`POST /v1/sandboxes/:id/claim`). `session_id` is the pool's name until then.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pool: bool,
    /// Where a provider that isolates the network lets the repo's scripts and the agent go:
    /// package registries, as host names or `*.suffix`, on ports 443 and 80. The control plane
    /// and the provider itself are always reachable.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network_allow: Vec<String>,
    /// The branch the session's work is checked out from and pushed to when it is not
    /// `oi/<session_id>`: the head branch of the pull request the session answers on (then
    /// `branch` is that head too). It must exist on the remote; pushes may only fast-forward it
    /// (no deletion, no re-creation, no other ref). The supervisor gets it as `OI_WORK_BRANCH`.
    /// Never with `pool` (a pool sandbox is never claimed by such a session). A valid name is
    /// one [`check_work_branch`] accepts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_branch: Option<String>,
}

/// Why `name` cannot be a [`CreateSandbox::work_branch`]: it must be a plain branch name (as
/// `git check-ref-format --branch` would take, without `refs/`): not empty, no `..`, `//` or
/// `@{`, no leading `-`, `/` or `.` in any component, no trailing `/`, `.` or `.lock`, no
/// spaces, control characters or any of `~^:?*[\`, at most 255 bytes.
pub fn check_work_branch(name: &str) -> Result<(), String> {
    let bad = name.is_empty()
        || name.len() > 255
        || name.starts_with('-')
        || name.starts_with("refs/")
        || name.ends_with('/')
        || name.ends_with('.')
        || name.ends_with(".lock")
        || name.contains("..")
        || name.contains("//")
        || name.contains("@{")
        || name == "@"
        || name.split('/').any(|part| part.is_empty() || part.starts_with('.') || part.ends_with(".lock"))
        || name
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || matches!(c, '~' | '^' | ':' | '?' | '*' | '[' | '\\'));
    if bad {
        Err(format!("the work branch {name:?} is not a plain git branch name"))
    } else {
        Ok(())
    }
}

/// `POST /v1/sandboxes/:id/claim`: a warm-pool sandbox joins a session. It switches to the
/// session's branch and connects its bridge with the new token (the pool token stops working).
/// A session with a [`CreateSandbox::work_branch`] never claims one (its sandbox boots for it),
/// so a claim carries no work branch: the claimed sandbox works on `oi/<session_id>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimSandbox {
    pub session_id: String,
    pub sandbox_token: String,
    pub control_plane_url: String,
    /// The session's base branch (must be the branch the pool sandbox booted on).
    pub branch: String,
    /// The session's agent configuration (its model may differ from the pool's).
    pub agent: AgentConfig,
}

/// `POST /v1/sandboxes/restore`: start a sandbox from a snapshot (`snapshot_restore` mode).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreSandbox {
    pub snapshot_id: String,
    pub sandbox: CreateSandbox,
}

/// Where a sandbox is, as its provider sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderSandboxStatus {
    /// Its supervisor is running.
    Running,
    /// Its supervisor exited by itself (`exit_code` says how).
    Exited,
    /// It could not be started.
    Failed,
    /// It was terminated.
    Terminated,
}

/// A sandbox as its provider reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxInfo {
    pub sandbox_id: String,
    pub session_id: String,
    pub status: ProviderSandboxStatus,
    pub created_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A filesystem snapshot of a sandbox: its workspace and its agent's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotInfo {
    pub snapshot_id: String,
    pub sandbox_id: String,
    pub session_id: String,
    pub created_at: i64,
    /// The supervisor version it was taken with, for people.
    pub runtime_version: String,
    /// The runtime generation it was taken with; restores below the floor fail closed.
    pub runtime_generation: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
}

/// What a provider can do, declared rather than assumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ProviderCapabilities {
    pub snapshot: bool,
    pub restore: bool,
    pub persistent_resume: bool,
    /// Prebuilt repo images (`/v1/images`).
    #[serde(default)]
    pub images: bool,
    /// Warm-pool sandboxes (`pool` on create, `/claim`).
    #[serde(default)]
    pub warm_pool: bool,
    /// Sandboxes in a private network that reaches only the control plane, the provider and
    /// `network_allow`.
    #[serde(default)]
    pub network_isolation: bool,
}

/// `GET /v1/health` (not signed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderHealth {
    pub ok: bool,
    /// `local`, `modal`, …
    pub provider: String,
    pub version: String,
    pub capabilities: ProviderCapabilities,
}

/// `POST /v1/images`: build a repo image: a sandbox in `build` mode clones the branch and runs
/// `setup.sh`; on success its filesystem becomes the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildImage {
    /// Chosen by the control plane.
    pub image_id: String,
    pub repo: String,
    pub branch: String,
    /// A token the build may use for the provider's git endpoint (local repositories).
    pub build_token: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// As [`CreateSandbox::network_allow`], for `setup.sh`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network_allow: Vec<String>,
}

/// Where an image build is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageStatus {
    Building,
    Ready,
    Failed,
    Deleted,
}

/// A repo image as its provider reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageInfo {
    pub image_id: String,
    pub repo: String,
    pub branch: String,
    pub status: ImageStatus,
    pub created_at: i64,
    /// When the build finished (ready or failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<i64>,
    /// The commit the image holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_sha: Option<String>,
    pub runtime_generation: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The end of the build's output (git and `setup.sh`), at most 16 KiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_tail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_branches_are_plain_branch_names() {
        for good in ["feature/login", "main", "fix-1.2", "user/x_y", "a@b"] {
            assert_eq!(check_work_branch(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "-x",
            "refs/heads/x",
            "a..b",
            "a b",
            "a\tb",
            "a\u{7f}",
            "x/",
            "/x",
            "a//b",
            "x.",
            "x.lock",
            "a/.hidden",
            "a.lock/b",
            "a~1",
            "a^",
            "a:b",
            "a?",
            "a*",
            "a[",
            "a\\b",
            "@",
            "a@{1}",
        ] {
            assert!(check_work_branch(bad).unwrap_err().contains("work branch"), "{bad:?}");
        }
        assert!(check_work_branch(&"x".repeat(256)).is_err());
    }

    #[test]
    fn the_work_branch_is_optional_on_the_wire() {
        let json = serde_json::json!({
            "session_id": "ses_1", "sandbox_id": "sbx_1", "repo": "/srv/app.git", "branch": "feature/x",
            "control_plane_url": "http://c", "sandbox_token": "t", "agent": {"model": "m/x", "providers": []},
        });
        let without: CreateSandbox = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(without.work_branch, None);
        assert_eq!(serde_json::to_value(&without).unwrap().get("work_branch"), None, "skipped when None");
        let mut with = json;
        with["work_branch"] = "feature/x".into();
        let with: CreateSandbox = serde_json::from_value(with).unwrap();
        assert_eq!(with.work_branch.as_deref(), Some("feature/x"));
        assert_eq!(serde_json::to_value(&with).unwrap()["work_branch"], "feature/x");
    }
}
