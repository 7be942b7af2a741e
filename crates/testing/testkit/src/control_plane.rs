//! The built control plane under `wrangler dev` (workerd), with its own state directory.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::api::Api;
use crate::client_socket::ClientEndpoint;
use crate::process::ChildGroup;

/// The repository root (this crate lives in `crates/testing/testkit`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..").canonicalize().expect("repo root")
}

/// How to start a control plane.
#[derive(Debug, Clone, Default)]
pub struct ControlPlaneOptions {
    /// Extra `[vars]`, as `--var NAME:VALUE`.
    pub vars: Vec<(String, String)>,
    /// The port to listen on (a free one when absent).
    pub port: Option<u16>,
}

/// A running control plane. Dropping it stops workerd and removes its state.
pub struct ControlPlane {
    group: Option<ChildGroup>,
    port: u16,
    state: tempfile::TempDir,
    options: ControlPlaneOptions,
    /// Local mode's token for this control plane (`LOCAL_TOKEN`), unless the options set one.
    local_token: String,
}

impl ControlPlane {
    /// Starts a fresh control plane: empty state, D1 migrations applied.
    pub async fn start() -> Result<Self> {
        Self::start_with(ControlPlaneOptions::default()).await
    }

    pub async fn start_with(options: ControlPlaneOptions) -> Result<Self> {
        let root = repo_root();
        let wasm = root.join("control-plane/build/index_bg.wasm");
        if !wasm.exists() {
            bail!("{} is missing: build the Worker first (scripts/test does)", wasm.display());
        }
        let state = tempfile::Builder::new().prefix("oi-control-plane-").tempdir()?;
        copy_app(&root, &state.path().join("app"))?;
        let mut options = options;
        let local_token = match options.vars.iter().find(|(k, _)| k == "LOCAL_TOKEN") {
            Some((_, token)) => token.clone(),
            None => {
                let token = crate::random_hex(32);
                options.vars.push(("LOCAL_TOKEN".to_string(), token.clone()));
                token
            }
        };
        let mut cp = Self {
            local_token,
            group: None,
            // 0: wrangler picks a free port and reports it; nothing can take it in between.
            port: options.port.unwrap_or(0),
            state,
            options,
        };
        cp.migrate()?;
        cp.launch().await?;
        Ok(cp)
    }

    fn wrangler(&self) -> Command {
        let root = repo_root();
        let bin = root.join("node_modules/.bin");
        let mut command = Command::new(bin.join("wrangler"));
        let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
        command
            .current_dir(self.state.path().join("app"))
            .env("PATH", path)
            .env("WRANGLER_SEND_METRICS", "false")
            .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
            .env("WRANGLER_LOG_PATH", self.state.path().join("wrangler-logs"))
            .stdin(Stdio::null());
        command
    }

    /// Where workerd keeps the control plane's state: D1 and every session's Durable Object.
    pub fn persist_dir(&self) -> PathBuf {
        self.state.path().join("state")
    }

    fn log_path(&self) -> PathBuf {
        self.state.path().join("wrangler.log")
    }

    fn migrate(&self) -> Result<()> {
        let out = self
            .wrangler()
            .args(["d1", "migrations", "apply", "open-inspect", "--local", "--persist-to"])
            .arg(self.persist_dir())
            .output()
            .context("run wrangler d1 migrations apply")?;
        if !out.status.success() {
            bail!(
                "D1 migrations failed:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(())
    }

    async fn launch(&mut self) -> Result<()> {
        let log = File::options().create(true).append(true).open(self.log_path())?;
        let mut command = self.wrangler();
        command
            .args(["dev", "--ip", "127.0.0.1", "--show-interactive-dev-session=false"])
            .args(["--port", &self.port.to_string()])
            // A fixed inspector port (`OI_INSPECTOR_PORT`) lets a profiler attach to workerd.
            .args(["--inspector-port", &std::env::var("OI_INSPECTOR_PORT").unwrap_or_else(|_| "0".into())])
            .arg("--persist-to")
            .arg(self.persist_dir())
            .stdout(log.try_clone()?)
            .stderr(log);
        for (k, v) in &self.options.vars {
            command.args(["--var", &format!("{k}:{v}")]);
        }
        let log_start = std::fs::metadata(self.log_path()).map(|m| m.len()).unwrap_or(0) as usize;
        self.group = Some(ChildGroup::spawn(command).context("spawn wrangler dev")?);
        let started = Instant::now();
        loop {
            if let Some(port) = self.reported_port(log_start) {
                self.port = port;
                // The Worker answers: healthy, or refusing with its JSON error (a deployment
                // that refuses its configuration is up, and tests check the refusal).
                if let Ok(answer) = self.api().raw("GET", "/api/health", None).await {
                    if answer.status == 200 || answer.error().is_ok() {
                        return Ok(());
                    }
                }
            }
            if self.group.as_mut().is_some_and(ChildGroup::exited) {
                bail!("wrangler dev exited:\n{}", self.log_tail(40));
            }
            if started.elapsed() > Duration::from_secs(90) {
                bail!("wrangler dev not ready after 90 s:\n{}", self.log_tail(40));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The port in wrangler's `Ready on http://127.0.0.1:<port>` line, written after `from`.
    fn reported_port(&self, from: usize) -> Option<u16> {
        let log = std::fs::read_to_string(self.log_path()).ok()?;
        let tail = log.get(from..)?;
        let rest = tail.split("Ready on http://127.0.0.1:").nth(1)?;
        rest.chars().take_while(char::is_ascii_digit).collect::<String>().parse().ok()
    }

    /// Runs the Worker's scheduled handler (the minute tick) as the cron trigger would at
    /// `at_ms` (milliseconds since the Unix epoch; the Worker ticks at the later of it and its
    /// clock). wrangler dev serves this route on loopback only.
    pub async fn tick(&self, at_ms: i64) -> Result<()> {
        let url = format!("{}/cdn-cgi/handler/scheduled?time={at_ms}&format=json", self.base_url());
        let res = reqwest::get(&url).await?;
        let status = res.status();
        let body = res.text().await?;
        if !status.is_success() {
            bail!(
                "the scheduled handler answered {status}: {body}
{}",
                self.log_tail(40)
            );
        }
        Ok(())
    }

    /// Stops workerd and starts it again on the same port and state: a Durable Object
    /// restart with nothing kept in memory.
    pub async fn restart(&mut self) -> Result<()> {
        if let Some(mut group) = self.group.take() {
            group.stop(Duration::from_secs(5));
        }
        self.launch().await
    }

    /// Restarts with `vars` replacing the variables of the same names (a redeploy with new
    /// settings, for example a new key), on the same port and state.
    pub async fn restart_with_vars(&mut self, vars: &[(&str, &str)]) -> Result<()> {
        for (name, value) in vars {
            if *name == "LOCAL_TOKEN" {
                self.local_token = value.to_string();
            }
            self.options.vars.retain(|(k, _)| k != name);
            self.options.vars.push((name.to_string(), value.to_string()));
        }
        self.restart().await
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>`
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `ws://127.0.0.1:<port>`
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// The API as the local admin (with this control plane's local token).
    pub fn api(&self) -> Api {
        Api::new(self.base_url()).with_token(&self.local_token)
    }

    /// Local mode's token for this run.
    pub fn local_token(&self) -> &str {
        &self.local_token
    }

    /// Where client sockets connect, with the local token to mint their socket tokens.
    pub fn client_endpoint(&self) -> ClientEndpoint {
        ClientEndpoint { ws_base: self.ws_url(), bearer: Some(self.local_token.clone()) }
    }

    /// The last lines wrangler and workerd printed.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

/// Copies what `wrangler dev` serves (the config, the built Worker, the web assets, the D1
/// migrations) into `app`, so a test runs against a fixed build even if the checkout is
/// rebuilt meanwhile (wrangler reloads when its files change).
fn copy_app(root: &Path, app: &Path) -> Result<()> {
    std::fs::create_dir_all(app)?;
    std::fs::copy(root.join("wrangler.toml"), app.join("wrangler.toml"))?;
    for dir in ["control-plane/build", "web/dist", "migrations"] {
        copy_dir(&root.join(dir), &app.join(dir)).with_context(|| format!("copy {dir}"))?;
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}
