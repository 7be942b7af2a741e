//! The supervisor's environment (docs/sandbox-provider.md, "The supervisor's environment").
//!
//! Built from scratch: nothing of the provider's own environment (its key above all) is passed on.

use std::collections::BTreeMap;
use std::path::Path;

use oi_protocol::provider::{BootMode, CreateSandbox};
use oi_protocol::{ApiError, ErrorCode};

use crate::layout::SandboxPaths;

/// The names the provider sets and a request's `env` may not override.
pub const RESERVED: &[&str] = &[
    "OI_SESSION_ID",
    "OI_SANDBOX_ID",
    "OI_SANDBOX_TOKEN",
    "OI_CONTROL_PLANE_URL",
    "OI_REPO_URL",
    "OI_REPO_AUTH",
    "OI_BRANCH",
    "OI_WORKSPACE",
    "OI_STATE_DIR",
    "OPENINSPECT_BOOT_MODE",
    "OI_OPENCODE_BIN",
    "OI_AGENT_CONFIG",
];

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

/// The supervisor's whole environment: a base (`PATH`, `HOME` inside the state directory,
/// `LANG`), the request's `env` over it, and the contract's variables and `PWD` (the workspace,
/// which bwrap's `--chdir` sets anyway) over both.
pub fn sandbox_env(
    req: &CreateSandbox,
    paths: &SandboxPaths,
    repo_url: &str,
    boot_mode: BootMode,
    opencode_bin: &Path,
) -> Result<BTreeMap<String, String>, ApiError> {
    check_request_env(&req.env)?;
    for (field, value) in [
        ("repo", &req.repo),
        ("branch", &req.branch),
        ("control_plane_url", &req.control_plane_url),
        ("sandbox_token", &req.sandbox_token),
    ] {
        if value.contains('\0') {
            return Err(invalid(format!("{field} contains a NUL byte")));
        }
    }
    let path = |p: &Path| p.to_string_lossy().into_owned();
    let agent = serde_json::to_string(&req.agent)
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("cannot encode the agent config: {e}")))?;

    let mut env = BTreeMap::new();
    env.insert("PATH".to_string(), DEFAULT_PATH.to_string());
    env.insert("LANG".to_string(), DEFAULT_LANG.to_string());
    env.insert("HOME".to_string(), path(&paths.home));
    env.extend(req.env.iter().map(|(k, v)| (k.clone(), v.clone())));
    env.insert("PWD".to_string(), path(&paths.workspace));
    let contract = [
        ("OI_SESSION_ID", req.session_id.clone()),
        ("OI_SANDBOX_ID", req.sandbox_id.clone()),
        ("OI_SANDBOX_TOKEN", req.sandbox_token.clone()),
        ("OI_CONTROL_PLANE_URL", req.control_plane_url.clone()),
        ("OI_REPO_URL", repo_url.to_string()),
        ("OI_BRANCH", req.branch.clone()),
        ("OI_WORKSPACE", path(&paths.workspace)),
        ("OI_STATE_DIR", path(&paths.state)),
        ("OPENINSPECT_BOOT_MODE", boot_mode.as_str().to_string()),
        ("OI_OPENCODE_BIN", path(opencode_bin)),
        ("OI_AGENT_CONFIG", agent),
    ];
    debug_assert_eq!(contract.len() + 1, RESERVED.len());
    for (name, value) in contract {
        env.insert(name.to_string(), value);
    }
    // A local repository is served by this provider's git endpoint, which takes the token.
    if crate::repo::is_local(&req.repo) {
        env.insert("OI_REPO_AUTH".to_string(), "sandbox_token".to_string());
    }
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oi_protocol::agent::AgentConfig;

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
        let mut expected: Vec<&str> = RESERVED.iter().copied().filter(|n| *n != "OI_REPO_AUTH").collect();
        expected.extend(["PATH", "LANG", "HOME", "PWD", "DATABASE_URL"]);
        expected.sort_unstable();
        assert_eq!(names, expected, "a URL repo: the token goes to no remote");

        // A local repository is served by the provider, which takes the sandbox token.
        let local = CreateSandbox { repo: "/srv/git/app.git".into(), ..request() };
        let env = build(&local).unwrap();
        assert_eq!(env["OI_REPO_AUTH"], "sandbox_token");
        assert_eq!(env["OI_WORKSPACE"], "/r/sandboxes/sbx_1/workspace");
        assert_eq!(env["OI_STATE_DIR"], "/r/sandboxes/sbx_1/state");
        assert_eq!(env["HOME"], "/r/sandboxes/sbx_1/state/home");
        assert_eq!(env["PWD"], "/r/sandboxes/sbx_1/workspace");
        assert_eq!(env["OPENINSPECT_BOOT_MODE"], "fresh");
        assert_eq!(env["OI_OPENCODE_BIN"], "/bin/opencode");
        assert_eq!(env["DATABASE_URL"], "postgres://x");
        let agent: AgentConfig = serde_json::from_str(&env["OI_AGENT_CONFIG"]).unwrap();
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
        assert_eq!(env["OPENINSPECT_BOOT_MODE"], "snapshot_restore");
        assert_eq!(env["OI_REPO_URL"], "u");
    }
}
