//! The supervisor's configuration: the environment every provider sets
//! (docs/sandbox-provider.md, "The supervisor's environment").

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use oi_protocol::agent::AgentConfig;
use oi_protocol::provider::{BootMode, ClaimSandbox};

pub const DEFAULT_SETUP_TIMEOUT: Duration = Duration::from_secs(300);
pub const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(120);
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub struct Config {
    pub session_id: String,
    pub sandbox_id: String,
    pub sandbox_token: String,
    /// `http(s)://host:port`, no trailing slash.
    pub control_plane_url: String,
    /// A warm-pool sandbox: boot, then wait for `$OI_STATE_DIR/claim.json` (`OI_POOL=1`).
    pub pool: bool,
    pub repo_url: String,
    /// The remote takes the sandbox token (`OI_REPO_AUTH=sandbox_token`: the provider serves it).
    pub repo_auth_with_token: bool,
    pub branch: String,
    pub workspace: PathBuf,
    pub state_dir: PathBuf,
    pub boot_mode: BootMode,
    pub setup_timeout: Duration,
    pub start_timeout: Duration,
    pub opencode_bin: PathBuf,
    pub agent: AgentConfig,
    /// How often the bridge says it is alive (`OI_HEARTBEAT_MS`, default 30 s).
    pub heartbeat: Duration,
}

impl Config {
    /// Reads the environment; with `OI_SANDBOX_TOKEN_ON_STDIN=1` (the local provider), the
    /// sandbox token is the first line of stdin instead, so it is in no process's environment.
    pub fn from_env() -> Result<Self> {
        let mut env: BTreeMap<String, String> = std::env::vars().collect();
        if env.get("OI_SANDBOX_TOKEN_ON_STDIN").map(String::as_str) == Some("1")
            && !env.contains_key("OI_SANDBOX_TOKEN")
        {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).context("read the sandbox token from stdin")?;
            env.insert("OI_SANDBOX_TOKEN".into(), line.trim().to_string());
        }
        Self::from_map(&env)
    }

    /// Reads the configuration from a map of environment variables.
    pub fn from_map(env: &BTreeMap<String, String>) -> Result<Self> {
        let get = |name: &str| -> Result<String> {
            env.get(name).filter(|v| !v.is_empty()).cloned().ok_or_else(|| anyhow!("{name} is not set"))
        };
        let absolute = |name: &str| -> Result<PathBuf> {
            let path = PathBuf::from(get(name)?);
            if !path.is_absolute() {
                bail!("{name} must be an absolute path, got {}", path.display());
            }
            Ok(path)
        };
        let seconds = |name: &str, default: Duration| -> Result<Duration> {
            match env.get(name).filter(|v| !v.is_empty()) {
                None => Ok(default),
                Some(v) => match v.parse::<u64>() {
                    Ok(s) if s > 0 => Ok(Duration::from_secs(s)),
                    // Like the reference product: an invalid value falls back to the default.
                    _ => Ok(default),
                },
            }
        };
        let mode = get("OPENINSPECT_BOOT_MODE").unwrap_or_else(|_| "fresh".into());
        let boot_mode =
            BootMode::parse(&mode).ok_or_else(|| anyhow!("OPENINSPECT_BOOT_MODE {mode:?} is not a boot mode"))?;
        let building = boot_mode == BootMode::Build;
        // An image build runs no agent and connects to no control plane.
        let agent = if building {
            AgentConfig { model: String::new(), providers: vec![] }
        } else {
            let agent: AgentConfig = serde_json::from_str(&get("OI_AGENT_CONFIG")?)
                .context("OI_AGENT_CONFIG is not a valid agent config")?;
            validate_agent(&agent)?;
            agent
        };
        let control_plane_url =
            if building { String::new() } else { get("OI_CONTROL_PLANE_URL")?.trim_end_matches('/').to_string() };
        Ok(Self {
            session_id: get("OI_SESSION_ID")?,
            sandbox_id: get("OI_SANDBOX_ID")?,
            sandbox_token: get("OI_SANDBOX_TOKEN")?,
            control_plane_url,
            pool: env.get("OI_POOL").map(String::as_str) == Some("1"),
            repo_url: get("OI_REPO_URL")?,
            repo_auth_with_token: env.get("OI_REPO_AUTH").map(String::as_str) == Some("sandbox_token"),
            branch: get("OI_BRANCH")?,
            workspace: absolute("OI_WORKSPACE")?,
            state_dir: absolute("OI_STATE_DIR")?,
            boot_mode,
            setup_timeout: seconds("SETUP_TIMEOUT_SECONDS", DEFAULT_SETUP_TIMEOUT)?,
            start_timeout: seconds("START_TIMEOUT_SECONDS", DEFAULT_START_TIMEOUT)?,
            opencode_bin: absolute("OI_OPENCODE_BIN")?,
            agent,
            heartbeat: env
                .get("OI_HEARTBEAT_MS")
                .and_then(|v| v.parse::<u64>().ok())
                .filter(|ms| *ms >= 100)
                .map(Duration::from_millis)
                .unwrap_or(DEFAULT_HEARTBEAT),
        })
    }

    /// The branch this boot checks out: the session branch, or the base branch when building
    /// an image.
    pub fn work_branch(&self) -> String {
        if self.boot_mode == BootMode::Build {
            self.branch.clone()
        } else {
            self.session_branch()
        }
    }

    /// Joins the session a warm-pool claim names.
    pub fn claimed(&self, claim: &ClaimSandbox) -> Result<Self> {
        if claim.branch != self.branch {
            bail!("the claim is for branch {:?}; this sandbox booted {:?}", claim.branch, self.branch);
        }
        validate_agent(&claim.agent)?;
        Ok(Self {
            session_id: claim.session_id.clone(),
            sandbox_token: claim.sandbox_token.clone(),
            control_plane_url: claim.control_plane_url.trim_end_matches('/').to_string(),
            agent: claim.agent.clone(),
            pool: false,
            ..self.clone()
        })
    }

    /// This configuration with git going through the sandbox's egress (`{egress}/git`, which
    /// adds the sandbox token on the way to the control plane's git endpoint), so no git
    /// credential is in the workspace or in git's environment.
    pub fn through_egress(&self, egress_base_url: &str) -> Self {
        Self { repo_url: crate::egress::Egress::git_url(egress_base_url), repo_auth_with_token: false, ..self.clone() }
    }

    /// Where a warm-pool claim appears.
    pub fn claim_file(&self) -> PathBuf {
        self.state_dir.join("claim.json")
    }

    /// The session branch every prompt's work is committed to.
    pub fn session_branch(&self) -> String {
        format!("oi/{}", self.session_id)
    }

    /// `ws(s)://…/api/sessions/:id/sandbox`
    pub fn bridge_url(&self) -> String {
        let ws = if let Some(rest) = self.control_plane_url.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = self.control_plane_url.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            self.control_plane_url.clone()
        };
        format!("{ws}/api/sessions/{}/sandbox", self.session_id)
    }
}

fn validate_agent(agent: &AgentConfig) -> Result<()> {
    if agent.provider_for(&agent.model).is_none() {
        bail!("OI_AGENT_CONFIG names model {:?} but no provider serves it", agent.model);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> BTreeMap<String, String> {
        [
            ("OI_SESSION_ID", "ses_1"),
            ("OI_SANDBOX_ID", "sbx_1"),
            ("OI_SANDBOX_TOKEN", "tok"),
            ("OI_CONTROL_PLANE_URL", "http://127.0.0.1:8787/"),
            ("OI_REPO_URL", "http://127.0.0.1:8788/git/sbx_1"),
            ("OI_BRANCH", "main"),
            ("OI_WORKSPACE", "/sbx/workspace"),
            ("OI_STATE_DIR", "/sbx/state"),
            ("OI_OPENCODE_BIN", "/opt/opencode"),
            (
                "OI_AGENT_CONFIG",
                r#"{"model":"scripted/test-model","providers":[{"id":"scripted","api":"openai_compatible","base_url":"http://127.0.0.1:8790/v1"}]}"#,
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn reads_the_contract() {
        let c = Config::from_map(&env()).unwrap();
        assert_eq!(c.boot_mode, BootMode::Fresh);
        assert_eq!(c.setup_timeout, DEFAULT_SETUP_TIMEOUT);
        assert_eq!(c.session_branch(), "oi/ses_1");
        assert_eq!(c.bridge_url(), "ws://127.0.0.1:8787/api/sessions/ses_1/sandbox");
        assert_eq!(c.heartbeat, DEFAULT_HEARTBEAT);
    }

    #[test]
    fn modes_timeouts_and_errors() {
        let mut e = env();
        e.insert("OPENINSPECT_BOOT_MODE".into(), "snapshot_restore".into());
        e.insert("SETUP_TIMEOUT_SECONDS".into(), "7".into());
        e.insert("START_TIMEOUT_SECONDS".into(), "nonsense".into());
        let c = Config::from_map(&e).unwrap();
        assert_eq!(c.boot_mode, BootMode::SnapshotRestore);
        assert_eq!(c.setup_timeout, Duration::from_secs(7));
        assert_eq!(c.start_timeout, DEFAULT_START_TIMEOUT, "an invalid value falls back to the default");

        e.insert("OPENINSPECT_BOOT_MODE".into(), "turbo".into());
        assert!(Config::from_map(&e).unwrap_err().to_string().contains("turbo"));
        let mut e = env();
        e.remove("OI_SANDBOX_TOKEN");
        assert!(Config::from_map(&e).unwrap_err().to_string().contains("OI_SANDBOX_TOKEN"));
        let mut e = env();
        e.insert("OI_WORKSPACE".into(), "relative".into());
        assert!(Config::from_map(&e).unwrap_err().to_string().contains("absolute"));
        let mut e = env();
        e.insert("OI_AGENT_CONFIG".into(), r#"{"model":"x/y","providers":[]}"#.into());
        assert!(Config::from_map(&e).unwrap_err().to_string().contains("no provider"));
    }

    #[test]
    fn build_mode_needs_no_agent_or_control_plane() {
        let mut e = env();
        e.insert("OPENINSPECT_BOOT_MODE".into(), "build".into());
        e.remove("OI_AGENT_CONFIG");
        e.insert("OI_CONTROL_PLANE_URL".into(), String::new());
        let c = Config::from_map(&e).unwrap();
        assert_eq!((c.control_plane_url.as_str(), c.work_branch().as_str()), ("", "main"));
        assert!(!c.pool);
    }

    #[test]
    fn a_claim_joins_a_session() {
        let mut e = env();
        e.insert("OI_POOL".into(), "1".into());
        let pool = Config::from_map(&e).unwrap();
        assert!(pool.pool);
        let claim = ClaimSandbox {
            session_id: "ses_9".into(),
            sandbox_token: "new".into(),
            control_plane_url: "http://127.0.0.1:9/".into(),
            branch: "main".into(),
            agent: pool.agent.clone(),
        };
        let c = pool.claimed(&claim).unwrap();
        assert_eq!((c.session_id.as_str(), c.sandbox_token.as_str(), c.pool), ("ses_9", "new", false));
        assert_eq!(c.bridge_url(), "ws://127.0.0.1:9/api/sessions/ses_9/sandbox");
        assert_eq!(c.work_branch(), "oi/ses_9");
        let other = ClaimSandbox { branch: "dev".into(), ..claim };
        assert!(pool.claimed(&other).unwrap_err().to_string().contains("dev"));
    }

    #[test]
    fn https_becomes_wss() {
        let mut e = env();
        e.insert("OI_CONTROL_PLANE_URL".into(), "https://cp.example.com".into());
        assert_eq!(Config::from_map(&e).unwrap().bridge_url(), "wss://cp.example.com/api/sessions/ses_1/sandbox");
    }
}
