//! The supervisor's environment: the name of every variable a provider, the control plane or
//! the supervisor itself sets for `sandbox-agent` (docs/sandbox-provider.md, "The supervisor's
//! environment").
//!
//! Invariant: every such name is a constant here and is in exactly one of [`PROVIDER_SET`],
//! [`FROM_REQUEST`] and [`SUPERVISOR_SET`]; nothing else spells them. So the names a request's
//! `env` may not set (a provider's reserved list, Modal's copy of it is checked against
//! [`PROVIDER_SET`] by a test) and the names a secret may not take (every name in [`all`], plus
//! [`PROJECT_PREFIXES`]) follow from adding a constant to its list.

/// The session the sandbox serves (the pool's name for a warm-pool sandbox, `image-<id>` for an
/// image build).
pub const SESSION_ID: &str = "OI_SESSION_ID";
/// The sandbox's id (the image's id for an image build).
pub const SANDBOX_ID: &str = "OI_SANDBOX_ID";
/// The sandbox's bearer token for the bridge socket, the model proxy and the git endpoint.
pub const SANDBOX_TOKEN: &str = "OI_SANDBOX_TOKEN";
/// `1`: the sandbox token is the first line of the supervisor's stdin instead of
/// [`SANDBOX_TOKEN`], so it is in no process's environment.
pub const SANDBOX_TOKEN_ON_STDIN: &str = "OI_SANDBOX_TOKEN_ON_STDIN";
/// The control plane's base URL (`http://…` or `https://…`); empty for an image build.
pub const CONTROL_PLANE_URL: &str = "OI_CONTROL_PLANE_URL";
/// What an image build or a warm-pool boot clones: the request's `repo` when it is a URL, or
/// the provider's git endpoint for a local repository.
pub const REPO_URL: &str = "OI_REPO_URL";
/// [`REPO_AUTH_SANDBOX_TOKEN`] when [`REPO_URL`] is the provider's own git endpoint, which takes
/// the sandbox token; otherwise absent.
pub const REPO_AUTH: &str = "OI_REPO_AUTH";
/// The base branch.
pub const BRANCH: &str = "OI_BRANCH";
/// The branch the session's work is checked out from and pushed to, when it is not
/// `oi/<session>` (`crate::provider::CreateSandbox::work_branch`: a pull request's head branch);
/// absent otherwise. The supervisor refuses to boot when it is not a plain branch name
/// (`crate::provider::check_work_branch`) or does not exist on the remote.
pub const WORK_BRANCH: &str = "OI_WORK_BRANCH";
/// The checkout directory (absolute; writable).
pub const WORKSPACE: &str = "OI_WORKSPACE";
/// The supervisor's own state: the agent's directories, logs, a warm-pool claim (absolute).
pub const STATE_DIR: &str = "OI_STATE_DIR";
/// `build`, `fresh`, `repo_image` or `snapshot_restore` (`crate::provider::BootMode`); the
/// repo's scripts see it too.
pub const BOOT_MODE: &str = "OPENINSPECT_BOOT_MODE";
/// The pinned `opencode` binary.
pub const OPENCODE_BIN: &str = "OI_OPENCODE_BIN";
/// The request's `agent` as JSON (`crate::agent::AgentConfig`); absent for an image build.
pub const AGENT_CONFIG: &str = "OI_AGENT_CONFIG";
/// `1` for a warm-pool sandbox waiting to be claimed.
pub const POOL: &str = "OI_POOL";
/// A warm-pool sandbox's claim channel: the number of a descriptor the supervisor inherits (a
/// pipe whose other end the provider holds), on which the `ClaimSandbox` JSON arrives, followed
/// by the end of the file. Without it the claim appears as `$OI_STATE_DIR/claim.json`.
pub const CLAIM_FD: &str = "OI_CLAIM_FD";
/// The unix socket of the provider's network gateway, when the sandbox is in a private network
/// (the local provider with `--network isolated`); absent otherwise.
pub const NETWORK_GATEWAY: &str = "OI_NETWORK_GATEWAY";

/// How often the bridge says it is alive, in milliseconds (default 30 000; at least 100).
pub const HEARTBEAT_MS: &str = "OI_HEARTBEAT_MS";
/// The names of the session's secrets (comma-separated; names only), whose values the
/// supervisor masks in everything it reports.
pub const SECRET_NAMES: &str = "OI_SECRET_NAMES";
/// How long `.openinspect/setup.sh` may run, in seconds (default 300).
pub const SETUP_TIMEOUT_SECONDS: &str = "SETUP_TIMEOUT_SECONDS";
/// How long `.openinspect/start.sh` may run, in seconds (default 120).
pub const START_TIMEOUT_SECONDS: &str = "START_TIMEOUT_SECONDS";

/// The supervisor's egress (`http://127.0.0.1:<port>`), for the agent's tool server
/// (`sandbox-agent mcp-tools`) that OpenCode starts.
pub const EGRESS_URL: &str = "OI_EGRESS_URL";

/// The headless Chromium the agent's `screenshot` tool starts (default: `chromium` on `PATH`).
/// The tool server inherits it, through OpenCode, from the supervisor's own environment (where a
/// sandbox image or a test may set it); the supervisor hands it on unchanged.
pub const CHROMIUM_BIN: &str = "OI_CHROMIUM_BIN";

/// The value of [`REPO_AUTH`] that means "send the sandbox token to this remote".
pub const REPO_AUTH_SANDBOX_TOKEN: &str = "sandbox_token";

/// Set by the provider from the request; a request's `env` may not set them.
pub const PROVIDER_SET: &[&str] = &[
    SESSION_ID,
    SANDBOX_ID,
    SANDBOX_TOKEN,
    SANDBOX_TOKEN_ON_STDIN,
    CONTROL_PLANE_URL,
    REPO_URL,
    REPO_AUTH,
    BRANCH,
    WORK_BRANCH,
    WORKSPACE,
    STATE_DIR,
    BOOT_MODE,
    OPENCODE_BIN,
    AGENT_CONFIG,
    POOL,
    CLAIM_FD,
    NETWORK_GATEWAY,
];

/// Read by the supervisor from the request's `env` (the control plane sets them there, and a
/// provider passes them on like any other variable).
pub const FROM_REQUEST: &[&str] = &[HEARTBEAT_MS, SECRET_NAMES, SETUP_TIMEOUT_SECONDS, START_TIMEOUT_SECONDS];

/// Set by the supervisor for the processes it starts.
pub const SUPERVISOR_SET: &[&str] = &[EGRESS_URL, CHROMIUM_BIN];

/// The project's own prefixes: no secret name starts with one (whatever its case).
pub const PROJECT_PREFIXES: &[&str] = &["OI_", "OPENINSPECT_"];

/// Every name above.
pub fn all() -> impl Iterator<Item = &'static str> {
    PROVIDER_SET.iter().chain(FROM_REQUEST).chain(SUPERVISOR_SET).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_in_one_list_once() {
        let mut names: Vec<&str> = all().collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "a name is listed twice");
    }

    #[test]
    fn only_the_script_timeouts_are_outside_the_project_prefixes() {
        let outside: Vec<&str> =
            all().filter(|name| !PROJECT_PREFIXES.iter().any(|prefix| name.starts_with(prefix))).collect();
        assert_eq!(outside, [SETUP_TIMEOUT_SECONDS, START_TIMEOUT_SECONDS]);
    }
}
