//! The supervisor's configuration: the environment every provider sets
//! (docs/sandbox-provider.md, "The supervisor's environment"; the names are
//! `oi_protocol::supervisor_env`'s).
//!
//! Invariant: a `Config` holds what the provider set (or, after a warm-pool claim, what the
//! claim set); the URLs this sandbox's clients use are [`crate::endpoints::Endpoints`]. Its
//! work branch, when set, is a plain branch name (`oi_protocol::provider::check_work_branch`)
//! and is the one branch the session's work is pushed to ([`Config::session_branch`]).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use oi_protocol::agent::AgentConfig;
use oi_protocol::provider::{check_work_branch, BootMode, ClaimSandbox};
use oi_protocol::supervisor_env::{
    AGENT_CONFIG, BOOT_MODE, BRANCH, CLAIM_FD, CONTROL_PLANE_URL, HEARTBEAT_MS, OPENCODE_BIN, POOL, REPO_AUTH,
    REPO_AUTH_SANDBOX_TOKEN, REPO_URL, SANDBOX_ID, SANDBOX_TOKEN, SANDBOX_TOKEN_ON_STDIN, SESSION_ID,
    SETUP_TIMEOUT_SECONDS, START_TIMEOUT_SECONDS, STATE_DIR, WORKSPACE, WORK_BRANCH,
};

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
    /// A warm-pool sandbox: boot, then wait for a claim (`OI_POOL=1`).
    pub pool: bool,
    /// Where the claim arrives when the provider hands it over a pipe (`OI_CLAIM_FD`, taken
    /// over by [`Config::from_env`]); otherwise it appears as [`Config::claim_file`].
    pub claim_channel: Option<Arc<std::fs::File>>,
    pub repo_url: String,
    /// The remote takes the sandbox token (`OI_REPO_AUTH=sandbox_token`: the provider serves it).
    pub repo_auth_with_token: bool,
    pub branch: String,
    /// The branch the session's work goes to instead of `oi/<session>` (`OI_WORK_BRANCH`: a
    /// pull request's head branch, which must exist on the remote and is only fast-forwarded).
    pub work_branch: Option<String>,
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
        if env.get(SANDBOX_TOKEN_ON_STDIN).map(String::as_str) == Some("1") && !env.contains_key(SANDBOX_TOKEN) {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).context("read the sandbox token from stdin")?;
            env.insert(SANDBOX_TOKEN.into(), line.trim().to_string());
        }
        let claim_channel = match env.get(CLAIM_FD) {
            Some(fd) => Some(Arc::new(take_inherited(fd).with_context(|| format!("{CLAIM_FD} {fd:?}"))?)),
            None => None,
        };
        Ok(Self { claim_channel, ..Self::from_map(&env)? })
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
        let mode = get(BOOT_MODE).unwrap_or_else(|_| "fresh".into());
        let boot_mode = BootMode::parse(&mode).ok_or_else(|| anyhow!("{BOOT_MODE} {mode:?} is not a boot mode"))?;
        let building = boot_mode == BootMode::Build;
        // An image build runs no agent and connects to no control plane.
        let agent = if building {
            AgentConfig { model: String::new(), providers: vec![] }
        } else {
            let agent: AgentConfig = serde_json::from_str(&get(AGENT_CONFIG)?)
                .with_context(|| format!("{AGENT_CONFIG} is not a valid agent config"))?;
            validate_agent(&agent)?;
            agent
        };
        let control_plane_url =
            if building { String::new() } else { get(CONTROL_PLANE_URL)?.trim_end_matches('/').to_string() };
        let pool = env.get(POOL).map(String::as_str) == Some("1");
        // An image build checks out and pushes nothing but the base branch.
        let work_branch = match env.get(WORK_BRANCH).filter(|v| !v.is_empty() && !building) {
            None => None,
            Some(branch) => {
                check_work_branch(branch).map_err(|why| anyhow!("{WORK_BRANCH}: {why}"))?;
                if pool {
                    bail!("{WORK_BRANCH} is set for a warm-pool sandbox, which a claim gives to a session on oi/<id>");
                }
                Some(branch.clone())
            }
        };
        Ok(Self {
            session_id: get(SESSION_ID)?,
            sandbox_id: get(SANDBOX_ID)?,
            sandbox_token: get(SANDBOX_TOKEN)?,
            control_plane_url,
            pool,
            claim_channel: None,
            repo_url: get(REPO_URL)?,
            repo_auth_with_token: env.get(REPO_AUTH).map(String::as_str) == Some(REPO_AUTH_SANDBOX_TOKEN),
            branch: get(BRANCH)?,
            work_branch,
            workspace: absolute(WORKSPACE)?,
            state_dir: absolute(STATE_DIR)?,
            boot_mode,
            setup_timeout: seconds(SETUP_TIMEOUT_SECONDS, DEFAULT_SETUP_TIMEOUT)?,
            start_timeout: seconds(START_TIMEOUT_SECONDS, DEFAULT_START_TIMEOUT)?,
            opencode_bin: absolute(OPENCODE_BIN)?,
            agent,
            heartbeat: env
                .get(HEARTBEAT_MS)
                .and_then(|v| v.parse::<u64>().ok())
                .filter(|ms| *ms >= 100)
                .map(Duration::from_millis)
                .unwrap_or(DEFAULT_HEARTBEAT),
        })
    }

    /// The branch this boot checks out: the session branch, or the base branch when building
    /// an image.
    pub fn checkout_branch(&self) -> String {
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
            claim_channel: None,
            ..self.clone()
        })
    }

    /// Where a warm-pool claim appears.
    pub fn claim_file(&self) -> PathBuf {
        self.state_dir.join("claim.json")
    }

    /// The branch every prompt's work is committed and pushed to: the work branch when the
    /// provider set one, else `oi/<session>`.
    pub fn session_branch(&self) -> String {
        self.work_branch.clone().unwrap_or_else(|| format!("oi/{}", self.session_id))
    }
}

/// Takes over the inherited descriptor `fd` (the claim channel): opens it again close-on-exec
/// (through `/proc/self/fd`, which the supervisor alone may, being non-dumpable) and closes the
/// inherited one, so no process the supervisor starts inherits it.
fn take_inherited(fd: &str) -> Result<std::fs::File> {
    let number: i32 = fd.parse().ok().filter(|n| *n > 2).ok_or_else(|| anyhow!("is not a descriptor number"))?;
    let file = std::fs::File::open(format!("/proc/self/fd/{number}")).context("open the inherited descriptor")?;
    nix::unistd::close(number).context("close the inherited descriptor")?;
    Ok(file)
}

fn validate_agent(agent: &AgentConfig) -> Result<()> {
    if agent.provider_for(&agent.model).is_none() {
        bail!("{AGENT_CONFIG} names model {:?} but no provider serves it", agent.model);
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn env() -> BTreeMap<String, String> {
        [
            (SESSION_ID, "ses_1"),
            (SANDBOX_ID, "sbx_1"),
            (SANDBOX_TOKEN, "tok"),
            (CONTROL_PLANE_URL, "http://127.0.0.1:8787/"),
            (REPO_URL, "http://127.0.0.1:8788/git/sbx_1"),
            (BRANCH, "main"),
            (WORKSPACE, "/sbx/workspace"),
            (STATE_DIR, "/sbx/state"),
            (OPENCODE_BIN, "/opt/opencode"),
            (
                AGENT_CONFIG,
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
        assert_eq!(c.control_plane_url, "http://127.0.0.1:8787", "without the trailing slash");
        assert_eq!(c.heartbeat, DEFAULT_HEARTBEAT);
    }

    #[test]
    fn modes_timeouts_and_errors() {
        let mut e = env();
        e.insert(BOOT_MODE.into(), "snapshot_restore".into());
        e.insert(SETUP_TIMEOUT_SECONDS.into(), "7".into());
        e.insert(START_TIMEOUT_SECONDS.into(), "nonsense".into());
        let c = Config::from_map(&e).unwrap();
        assert_eq!(c.boot_mode, BootMode::SnapshotRestore);
        assert_eq!(c.setup_timeout, Duration::from_secs(7));
        assert_eq!(c.start_timeout, DEFAULT_START_TIMEOUT, "an invalid value falls back to the default");

        e.insert(BOOT_MODE.into(), "turbo".into());
        assert!(Config::from_map(&e).unwrap_err().to_string().contains("turbo"));
        let mut e = env();
        e.remove(SANDBOX_TOKEN);
        assert!(Config::from_map(&e).unwrap_err().to_string().contains(SANDBOX_TOKEN));
        let mut e = env();
        e.insert(WORKSPACE.into(), "relative".into());
        assert!(Config::from_map(&e).unwrap_err().to_string().contains("absolute"));
        let mut e = env();
        e.insert(AGENT_CONFIG.into(), r#"{"model":"x/y","providers":[]}"#.into());
        assert!(Config::from_map(&e).unwrap_err().to_string().contains("no provider"));
    }

    #[test]
    fn build_mode_needs_no_agent_or_control_plane() {
        let mut e = env();
        e.insert(BOOT_MODE.into(), "build".into());
        e.remove(AGENT_CONFIG);
        e.insert(CONTROL_PLANE_URL.into(), String::new());
        let c = Config::from_map(&e).unwrap();
        assert_eq!((c.control_plane_url.as_str(), c.checkout_branch().as_str()), ("", "main"));
        assert!(!c.pool);
    }

    #[test]
    fn a_claim_joins_a_session() {
        let mut e = env();
        e.insert(POOL.into(), "1".into());
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
        assert_eq!(c.control_plane_url, "http://127.0.0.1:9");
        assert_eq!(c.checkout_branch(), "oi/ses_9");
        let other = ClaimSandbox { branch: "dev".into(), ..claim };
        assert!(pool.claimed(&other).unwrap_err().to_string().contains("dev"));
    }

    #[test]
    fn a_work_branch_replaces_the_session_branch() {
        let mut e = env();
        e.insert(WORK_BRANCH.into(), "feature/login".into());
        let c = Config::from_map(&e).unwrap();
        assert_eq!(c.work_branch.as_deref(), Some("feature/login"));
        assert_eq!((c.session_branch().as_str(), c.checkout_branch().as_str()), ("feature/login", "feature/login"));
        e.insert(BOOT_MODE.into(), "build".into());
        let build = Config::from_map(&e).unwrap();
        assert_eq!((build.checkout_branch().as_str(), build.work_branch), ("main", None), "a build ignores it");
        let mut e = env();
        e.insert(WORK_BRANCH.into(), String::new());
        assert_eq!(Config::from_map(&e).unwrap().work_branch, None, "empty is unset");
        assert_eq!(Config::from_map(&env()).unwrap().session_branch(), "oi/ses_1");
    }

    #[test]
    fn an_unsafe_work_branch_is_refused_at_boot() {
        for bad in ["..", "a..b", "-f", "--force", "a b", "a\nb", "a\u{1b}b", "refs/heads/main", "HEAD:main", "x.lock"]
        {
            let mut e = env();
            e.insert(WORK_BRANCH.into(), bad.into());
            let error = Config::from_map(&e).unwrap_err().to_string();
            assert!(error.contains(WORK_BRANCH), "{bad:?}: {error}");
        }
        let mut e = env();
        e.insert(WORK_BRANCH.into(), "feature/x".into());
        e.insert(POOL.into(), "1".into());
        assert!(Config::from_map(&e).unwrap_err().to_string().contains("warm-pool"));
    }

    #[test]
    fn the_claim_channel_is_taken_over_and_the_inherited_descriptor_closed() {
        use std::io::{Read, Write};
        use std::os::fd::IntoRawFd;
        let (reader, mut writer) = std::io::pipe().unwrap();
        let inherited = reader.into_raw_fd();
        let mut channel = take_inherited(&inherited.to_string()).unwrap();
        assert!(!std::path::Path::new(&format!("/proc/self/fd/{inherited}")).exists(), "closed");
        writer.write_all(b"{\"claim\": 1}").unwrap();
        drop(writer);
        let mut text = String::new();
        channel.read_to_string(&mut text).unwrap();
        assert_eq!(text, "{\"claim\": 1}", "the same pipe");
        for bad in ["abc", "1", "-3", "99999"] {
            assert!(take_inherited(bad).is_err(), "{bad}");
        }
    }
}
