//! The whole local stack for end-to-end tests: the scripted model (in process), the local
//! sandbox provider (its real binary, with bubblewrap), and the control plane under workerd,
//! wired together the way `scripts/run` wires them. Sandboxes run the real `sandbox-agent` and
//! the pinned OpenCode.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use oi_scripted_model::{ScriptedModel, ScriptedModelHandle};

use crate::control_plane::{ControlPlane, ControlPlaneOptions};
use crate::process::ChildGroup;
use crate::tcp_proxy::TcpProxy;

/// Where the workspace's binaries were built: the directory above the test executable's
/// `deps/` (tests run from `target/<profile>/deps/`).
pub fn bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("OI_BIN_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().expect("deps dir");
    if dir.ends_with("deps") {
        dir.parent().expect("profile dir").to_path_buf()
    } else {
        dir.to_path_buf()
    }
}

/// The pinned OpenCode binary that scripts/setup installs.
pub fn opencode_bin() -> PathBuf {
    if let Ok(bin) = std::env::var("OI_OPENCODE_BIN") {
        return PathBuf::from(bin);
    }
    let cache = std::env::var("OI_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/open-inspect"));
    cache.join("opencode-1.18.33/node_modules/opencode-linux-x64/bin/opencode")
}

fn require(path: &Path, what: &str) -> Result<()> {
    if !path.exists() {
        bail!("{what} is missing at {} (scripts/test builds and installs it)", path.display());
    }
    Ok(())
}

/// The scripted model's API key: held by the control plane, never by a sandbox.
pub const SCRIPTED_MODEL_KEY: &str = "sk-scripted-e2e-7f3c9a1d5b2e4f60";
/// The stack's secrets key (32 bytes, hex).
pub const SECRETS_KEY: &str = "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7";

/// How to start a stack.
#[derive(Default)]
pub struct StackOptions {
    /// Extra control-plane variables (shortened lifecycle timings, for example).
    pub vars: Vec<(String, String)>,
}

pub struct Stack {
    pub model: ScriptedModelHandle,
    pub cp: ControlPlane,
    pub provider_url: String,
    pub provider_root: tempfile::TempDir,
    /// Sandboxes reach the control plane through this proxy, so a test can cut their sockets
    /// (and so their URL is fixed before the control plane has a port).
    pub proxy: TcpProxy,
    provider: ChildGroup,
}

impl Stack {
    pub async fn start() -> Result<Self> {
        Self::start_with(StackOptions::default()).await
    }

    pub async fn start_with(options: StackOptions) -> Result<Self> {
        let bins = bin_dir();
        let agent = bins.join("sandbox-agent");
        let provider_bin = bins.join("oi-local-provider");
        require(&agent, "the sandbox-agent binary")?;
        require(&provider_bin, "the oi-local-provider binary")?;
        require(&opencode_bin(), "OpenCode")?;

        // The model takes only its key, which only the control plane holds: every prompt
        // proves the model was reached through the control plane's model proxy.
        let model_options =
            oi_scripted_model::Options { api_key: Some(SCRIPTED_MODEL_KEY.into()), ..Default::default() };
        let model = ScriptedModel::start_with("127.0.0.1:0", model_options).await?;
        let key = format!("test-key-{}", std::process::id());
        let provider_root = tempfile::Builder::new().prefix("oi-provider-").tempdir()?;
        let log_path = provider_root.path().join("provider.log");
        let log = std::fs::File::create(&log_path)?;
        let mut command = Command::new(&provider_bin);
        command
            .args(["--listen", "127.0.0.1:0"])
            .arg("--root")
            .arg(provider_root.path())
            .arg("--agent-bin")
            .arg(&agent)
            .arg("--opencode-bin")
            .arg(opencode_bin())
            .arg("--repo-root")
            .arg(crate::git_fixture::repos_dir())
            .env("OI_PROVIDER_KEY", &key)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let provider = ChildGroup::spawn(command).context("start oi-local-provider")?;
        let provider_url = reported_url(&log_path, "local provider listening on ", Duration::from_secs(20)).await?;
        wait_for_http(&format!("{provider_url}/v1/health"), Duration::from_secs(20)).await?;

        let proxy = TcpProxy::start(0).await?;
        let cp_url = proxy.url();
        let providers = format!(
            r#"[{{"id":"scripted","api":"openai_compatible","base_url":"{}","test_model":true}}]"#,
            model.url()
        );
        let cp = ControlPlane::start_with(ControlPlaneOptions {
            port: None,
            vars: vec![
                ("SANDBOX_PROVIDER_URL".into(), provider_url.clone()),
                ("SANDBOX_PROVIDER_KEY".into(), key),
                ("CONTROL_PLANE_URL".into(), cp_url),
                ("MODEL_PROVIDERS".into(), providers),
                ("DEFAULT_MODEL".into(), "scripted/test-model".into()),
                ("MODEL_API_KEY_SCRIPTED".into(), SCRIPTED_MODEL_KEY.into()),
                ("SECRETS_KEY".into(), SECRETS_KEY.into()),
                ("LOCAL_IDENTITY_PICKER".into(), "true".into()),
            ]
            .into_iter()
            .chain(options.vars)
            .collect(),
        })
        .await?;
        proxy.set_upstream(cp.port());
        Ok(Self { model, cp, provider_url, provider_root, proxy, provider })
    }

    /// The provider's log, for failure messages.
    pub fn provider_log(&self) -> String {
        std::fs::read_to_string(self.provider_root.path().join("provider.log")).unwrap_or_default()
    }

    /// A sandbox's directory under the provider's root.
    pub fn sandbox_dir(&self, sandbox_id: &str) -> PathBuf {
        self.provider_root.path().join("sandboxes").join(sandbox_id)
    }

    /// The supervisor's log of a sandbox.
    pub fn supervisor_log(&self, sandbox_id: &str) -> String {
        std::fs::read_to_string(self.sandbox_dir(sandbox_id).join("supervisor.log")).unwrap_or_default()
    }

    /// Stops the provider (and with it every sandbox).
    pub fn stop_provider(&mut self) {
        self.provider.stop(Duration::from_secs(10));
    }
}

/// Waits for a line `<prefix><url>` in a log file and returns the URL.
async fn reported_url(log: &Path, prefix: &str, within: Duration) -> Result<String> {
    let started = Instant::now();
    while started.elapsed() < within {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(url) = text.split(prefix).nth(1).and_then(|rest| rest.split_whitespace().next()) {
            return Ok(url.to_string());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("no `{prefix}` line in {} within {within:?}", log.display())
}

async fn wait_for_http(url: &str, within: Duration) -> Result<()> {
    let started = Instant::now();
    while started.elapsed() < within {
        if reqwest::get(url).await.is_ok_and(|r| r.status().is_success()) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("{url} did not answer within {within:?}")
}
