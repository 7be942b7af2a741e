//! The supervisor's environment (docs/sandbox-provider.md, "The supervisor's environment").
//!
//! Built from scratch: nothing of the provider's own environment (its key above all) is passed on.
//! The contract's names are `oi_protocol::supervisor_env`'s; a request's `env` may set none of
//! [`RESERVED`].

use std::collections::BTreeMap;
use std::path::Path;

use oi_protocol::agent::AgentConfig;
use oi_protocol::provider::{BootMode, BuildImage, CreateSandbox};
use oi_protocol::supervisor_env;
use oi_protocol::{ApiError, ErrorCode};

use crate::layout::SandboxPaths;

/// The names the provider sets and a request's `env` may not override.
pub const RESERVED: &[&str] = supervisor_env::PROVIDER_SET;

/// `PATH` unless the request's `env` sets one.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// `LANG` unless the request's `env` sets one.
pub const DEFAULT_LANG: &str = "C.UTF-8";

fn invalid(message: String) -> ApiError {
    ApiError::new(ErrorCode::InvalidRequest, message)
}

/// Whether `name` is a portable environment variable name (`[A-Za-z_][A-Za-z0-9_]*`).
pub fn is_valid_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Checks a request's `env`: valid names, no NUL in values, no reserved name.
pub fn check_request_env(env: &BTreeMap<String, String>) -> Result<(), ApiError> {
    for (name, value) in env {
        if RESERVED.contains(&name.as_str()) {
            return Err(invalid(format!("env may not set {name}: the provider sets it for the supervisor")));
        }
        if !is_valid_name(name) {
            return Err(invalid(format!("env name {name:?} is not a valid variable name ([A-Za-z_][A-Za-z0-9_]*)")));
        }
        if value.contains('\0') {
            return Err(invalid(format!("env value of {name} contains a NUL byte")));
        }
    }
    Ok(())
}

/// What the contract's variables are made of, for a sandbox or an image build.
#[derive(Debug, Clone, Copy)]
pub struct Contract<'a> {
    pub session_id: &'a str,
    pub sandbox_id: &'a str,
    pub sandbox_token: &'a str,
    /// Empty for an image build, which connects to no control plane.
    pub control_plane_url: &'a str,
    pub repo: &'a str,
    pub branch: &'a str,
    /// `OI_AGENT_CONFIG`; absent for an image build.
    pub agent: Option<&'a AgentConfig>,
    /// `OI_POOL=1`.
    pub pool: bool,
    /// `OI_WORK_BRANCH`: the branch the session's work goes to instead of `oi/<session>`.
    pub work_branch: Option<&'a str>,
    pub env: &'a BTreeMap<String, String>,
}

impl<'a> From<&'a CreateSandbox> for Contract<'a> {
    fn from(req: &'a CreateSandbox) -> Self {
        Self {
            session_id: &req.session_id,
            sandbox_id: &req.sandbox_id,
            sandbox_token: &req.sandbox_token,
            control_plane_url: &req.control_plane_url,
            repo: &req.repo,
            branch: &req.branch,
            agent: Some(&req.agent),
            pool: req.pool,
            work_branch: req.work_branch.as_deref(),
            env: &req.env,
        }
    }
}

/// The session id an image build's supervisor is given.
pub fn build_session_id(image_id: &str) -> String {
    format!("image-{image_id}")
}

/// The host's TLS-trust and proxy settings, which a sandbox needs to reach package registries
/// the way the host does (for example behind a TLS-inspecting proxy with its own CA). Nothing
/// secret: certificate paths and proxy addresses. They are added only where the request's
/// `env` does not set them.
pub const HOST_PASSTHROUGH: &[&str] = &[
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "NODE_EXTRA_CA_CERTS",
    "REQUESTS_CA_BUNDLE",
    "PIP_CERT",
    "CURL_CA_BUNDLE",
    "GIT_SSL_CAINFO",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
];

/// Adds the [`HOST_PASSTHROUGH`] settings that `host` has and `env` lacks.
pub fn with_host_settings(env: &mut BTreeMap<String, String>, host: impl Fn(&str) -> Option<String>) {
    for name in HOST_PASSTHROUGH {
        if !env.contains_key(*name) {
            if let Some(value) = host(name).filter(|v| !v.is_empty() && !v.contains('\0')) {
                env.insert(name.to_string(), value);
            }
        }
    }
}

/// A sandbox's environment (see [`contract_env`]).
pub fn sandbox_env(
    req: &CreateSandbox,
    paths: &SandboxPaths,
    repo_url: &str,
    boot_mode: BootMode,
    opencode_bin: &Path,
) -> Result<BTreeMap<String, String>, ApiError> {
    contract_env(&Contract::from(req), paths, repo_url, boot_mode, opencode_bin)
}

/// An image build's environment: `build` mode, the image id as the sandbox id, `image-<id>`
/// as the session, the build token, an empty control-plane URL and no agent configuration.
pub fn build_env(
    req: &BuildImage,
    paths: &SandboxPaths,
    repo_url: &str,
    opencode_bin: &Path,
) -> Result<BTreeMap<String, String>, ApiError> {
    let session_id = build_session_id(&req.image_id);
    let contract = Contract {
        session_id: &session_id,
        sandbox_id: &req.image_id,
        sandbox_token: &req.build_token,
        control_plane_url: "",
        repo: &req.repo,
        branch: &req.branch,
        agent: None,
        pool: false,
        work_branch: None,
        env: &req.env,
    };
    contract_env(&contract, paths, repo_url, BootMode::Build, opencode_bin)
}

/// The supervisor's whole environment: a base (`PATH`, `HOME` inside the state directory,
/// `LANG`), the request's `env` over it, and the contract's variables and `PWD` (the workspace,
/// which bwrap's `--chdir` sets anyway) over both.
pub fn contract_env(
    c: &Contract<'_>,
    paths: &SandboxPaths,
    repo_url: &str,
    boot_mode: BootMode,
    opencode_bin: &Path,
) -> Result<BTreeMap<String, String>, ApiError> {
    check_request_env(c.env)?;
    for (field, value) in [
        ("repo", c.repo),
        ("branch", c.branch),
        ("control_plane_url", c.control_plane_url),
        ("sandbox_token", c.sandbox_token),
        ("work_branch", c.work_branch.unwrap_or_default()),
    ] {
        if value.contains('\0') {
            return Err(invalid(format!("{field} contains a NUL byte")));
        }
    }
    let path = |p: &Path| p.to_string_lossy().into_owned();

    let mut env = BTreeMap::new();
    env.insert("PATH".to_string(), DEFAULT_PATH.to_string());
    env.insert("LANG".to_string(), DEFAULT_LANG.to_string());
    env.insert("HOME".to_string(), path(&paths.home));
    env.extend(c.env.iter().map(|(k, v)| (k.clone(), v.clone())));
    env.insert("PWD".to_string(), path(&paths.workspace));
    let contract = [
        (supervisor_env::SESSION_ID, c.session_id.to_string()),
        (supervisor_env::SANDBOX_ID, c.sandbox_id.to_string()),
        (supervisor_env::SANDBOX_TOKEN, c.sandbox_token.to_string()),
        (supervisor_env::CONTROL_PLANE_URL, c.control_plane_url.to_string()),
        (supervisor_env::REPO_URL, repo_url.to_string()),
        (supervisor_env::BRANCH, c.branch.to_string()),
        (supervisor_env::WORKSPACE, path(&paths.workspace)),
        (supervisor_env::STATE_DIR, path(&paths.state)),
        (supervisor_env::BOOT_MODE, boot_mode.as_str().to_string()),
        (supervisor_env::OPENCODE_BIN, path(opencode_bin)),
    ];
    for (name, value) in contract {
        env.insert(name.to_string(), value);
    }
    if let Some(agent) = c.agent {
        let agent = serde_json::to_string(agent)
            .map_err(|e| ApiError::new(ErrorCode::Internal, format!("cannot encode the agent config: {e}")))?;
        env.insert(supervisor_env::AGENT_CONFIG.to_string(), agent);
    }
    if c.pool {
        env.insert(supervisor_env::POOL.to_string(), "1".to_string());
    }
    if let Some(branch) = c.work_branch {
        env.insert(supervisor_env::WORK_BRANCH.to_string(), branch.to_string());
    }
    // A local repository is served by this provider's git endpoint, which takes the token.
    if crate::repo::is_local(c.repo) {
        env.insert(supervisor_env::REPO_AUTH.to_string(), supervisor_env::REPO_AUTH_SANDBOX_TOKEN.to_string());
    }
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oi_protocol::agent::AgentConfig;
    use oi_protocol::supervisor_env::*;

    fn request() -> CreateSandbox {
        CreateSandbox {
            session_id: "ses_1".into(),
            sandbox_id: "sbx_1".into(),
            repo: "https://example.com/app.git".into(),
            branch: "main".into(),
            control_plane_url: "http://127.0.0.1:8787".into(),
            sandbox_token: "tok".into(),
            agent: AgentConfig { model: "scripted/test-model".into(), providers: vec![] },
            env: BTreeMap::from([("DATABASE_URL".to_string(), "postgres://x".to_string())]),
            boot_mode: BootMode::Fresh,
            image_id: None,
            pool: false,
            network_allow: vec![],
            work_branch: None,
        }
    }

    fn build(req: &CreateSandbox) -> Result<BTreeMap<String, String>, ApiError> {
        let paths = SandboxPaths::new(Path::new("/r"), &req.sandbox_id);
        sandbox_env(req, &paths, "https://example.com/app.git", req.boot_mode, Path::new("/bin/opencode"))
    }

    #[test]
    fn has_exactly_the_contract_the_base_and_the_request_env() {
        let env = build(&request()).unwrap();
        let names: Vec<&str> = env.keys().map(String::as_str).collect();
        let mut expected: Vec<&str> = RESERVED
            .iter()
            .copied()
            .filter(|n| ![REPO_AUTH, POOL, SANDBOX_TOKEN_ON_STDIN, NETWORK_GATEWAY, CLAIM_FD, WORK_BRANCH].contains(n))
            .collect();
        expected.extend(["PATH", "LANG", "HOME", "PWD", "DATABASE_URL"]);
        expected.sort_unstable();
        assert_eq!(names, expected, "a URL repo: the token goes to no remote");

        // A local repository is served by the provider, which takes the sandbox token.
        let local = CreateSandbox { repo: "/srv/git/app.git".into(), ..request() };
        let env = build(&local).unwrap();
        assert_eq!(env[REPO_AUTH], "sandbox_token");
        assert_eq!(env[WORKSPACE], "/r/sandboxes/sbx_1/workspace");
        assert_eq!(env[STATE_DIR], "/r/sandboxes/sbx_1/state");
        assert_eq!(env["HOME"], "/r/sandboxes/sbx_1/state/home");
        assert_eq!(env["PWD"], "/r/sandboxes/sbx_1/workspace");
        assert_eq!(env[BOOT_MODE], "fresh");
        assert_eq!(env[OPENCODE_BIN], "/bin/opencode");
        assert_eq!(env["DATABASE_URL"], "postgres://x");
        let agent: AgentConfig = serde_json::from_str(&env[AGENT_CONFIG]).unwrap();
        assert_eq!(agent, request().agent);
    }

    #[test]
    fn request_env_may_override_the_base_but_not_the_contract() {
        let mut req = request();
        req.env.insert("PATH".into(), "/opt/bin".into());
        assert_eq!(build(&req).unwrap()["PATH"], "/opt/bin");
        for name in RESERVED {
            let mut req = request();
            req.env.insert(name.to_string(), "x".into());
            let e = build(&req).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidRequest);
            assert!(e.message.contains(name), "{} should name {name}", e.message);
        }
    }

    #[test]
    fn host_trust_settings_pass_through_unless_the_request_sets_them() {
        let mut env = BTreeMap::from([("SSL_CERT_FILE".to_string(), "/mine.pem".to_string())]);
        let host = |name: &str| match name {
            "SSL_CERT_FILE" => Some("/host.pem".to_string()),
            "NODE_EXTRA_CA_CERTS" => Some("/host-ca.pem".to_string()),
            "OI_PROVIDER_KEY" => Some("secret".to_string()),
            _ => None,
        };
        with_host_settings(&mut env, host);
        assert_eq!(env["SSL_CERT_FILE"], "/mine.pem");
        assert_eq!(env["NODE_EXTRA_CA_CERTS"], "/host-ca.pem");
        assert_eq!(env.len(), 2, "nothing else of the host: {env:?}");
    }

    #[test]
    fn rejects_bad_names_and_nul_values() {
        for bad in ["", "1X", "A=B", "A B", "A\0"] {
            let mut req = request();
            req.env.insert(bad.into(), "x".into());
            assert_eq!(build(&req).unwrap_err().code, ErrorCode::InvalidRequest, "{bad:?}");
        }
        let mut req = request();
        req.env.insert("X".into(), "a\0b".into());
        assert!(build(&req).unwrap_err().message.contains("NUL"));
        let mut req = request();
        req.branch = "m\0".into();
        assert!(build(&req).unwrap_err().message.contains("branch"));
    }

    #[test]
    fn boot_mode_is_the_one_given() {
        let req = request();
        let paths = SandboxPaths::new(Path::new("/r"), "sbx_1");
        let env = sandbox_env(&req, &paths, "u", BootMode::SnapshotRestore, Path::new("/o")).unwrap();
        assert_eq!(env[BOOT_MODE], "snapshot_restore");
        assert_eq!(env[REPO_URL], "u");
    }

    #[test]
    fn a_pool_sandbox_gets_oi_pool() {
        let req = CreateSandbox { pool: true, ..request() };
        assert_eq!(build(&req).unwrap()[POOL], "1");
        assert!(!build(&request()).unwrap().contains_key(POOL));
    }

    #[test]
    fn a_work_branch_gets_oi_work_branch() {
        let req = CreateSandbox { work_branch: Some("feature/x".into()), ..request() };
        assert_eq!(build(&req).unwrap()[WORK_BRANCH], "feature/x");
        assert!(!build(&request()).unwrap().contains_key(WORK_BRANCH));
    }

    #[test]
    fn an_image_build_connects_nowhere_and_runs_no_agent() {
        let req = BuildImage {
            image_id: "img_1".into(),
            repo: "/srv/git/app.git".into(),
            branch: "main".into(),
            build_token: "btok".into(),
            env: BTreeMap::from([("NODE_ENV".to_string(), "ci".to_string())]),
            network_allow: vec![],
        };
        let paths = SandboxPaths::new(Path::new("/r"), "img_1");
        let env = build_env(&req, &paths, "http://p/git/img_1", Path::new("/o")).unwrap();
        assert_eq!(env[BOOT_MODE], "build");
        assert_eq!(env[CONTROL_PLANE_URL], "");
        assert_eq!(env[SESSION_ID], "image-img_1");
        assert_eq!(env[SANDBOX_ID], "img_1");
        assert_eq!(env[SANDBOX_TOKEN], "btok");
        assert_eq!(env[REPO_URL], "http://p/git/img_1");
        assert_eq!(env[REPO_AUTH], "sandbox_token");
        assert_eq!(env["NODE_ENV"], "ci");
        assert!(!env.contains_key(AGENT_CONFIG) && !env.contains_key(POOL) && !env.contains_key(WORK_BRANCH));
        let bad = BuildImage { env: BTreeMap::from([(POOL.to_string(), "1".to_string())]), ..req };
        assert!(build_env(&bad, &paths, "u", Path::new("/o")).unwrap_err().message.contains(POOL));
    }
}
