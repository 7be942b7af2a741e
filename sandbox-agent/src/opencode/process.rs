//! The `opencode serve` process: started in its own process group with its private
//! directories, ready when it prints its `listening on` line (never by polling: a request sent
//! during start-up can hang), stopped with SIGTERM then SIGKILL.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use oi_protocol::agent::AgentConfig;
use oi_protocol::supervisor_env;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::config::{
    environment, parse_listening_line, OpencodeDirs, SupervisorLinks, PLUGIN_PACKAGE_JSON, PLUGIN_PACKAGE_LOCK,
};

pub const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// A running OpenCode server.
pub struct OpencodeProcess {
    pub child: Child,
    pub url: String,
    pub password: String,
}

/// Creates OpenCode's private directories and seeds its config folder so it installs nothing.
pub fn prepare_dirs(dirs: &OpencodeDirs) -> Result<()> {
    for dir in [&dirs.data, &dirs.cache, &dirs.state] {
        std::fs::create_dir_all(dir)?;
    }
    let folder = dirs.config_folder();
    std::fs::create_dir_all(folder.join("node_modules"))?;
    std::fs::write(folder.join("package.json"), PLUGIN_PACKAGE_JSON)?;
    std::fs::write(folder.join("package-lock.json"), PLUGIN_PACKAGE_LOCK)?;
    std::fs::write(folder.join(".gitignore"), "node_modules\npackage.json\npackage-lock.json\nbun.lock\n.gitignore\n")?;
    Ok(())
}

/// Starts `opencode serve` in `workspace` and waits for its readiness line. Its providers are
/// reached through the supervisor's egress, and its tool server is the supervisor's binary
/// (`links`).
pub async fn start(
    bin: &Path,
    workspace: &Path,
    agent: &AgentConfig,
    dirs: &OpencodeDirs,
    password: &str,
    log: &Path,
    links: SupervisorLinks<'_>,
) -> Result<OpencodeProcess> {
    prepare_dirs(dirs)?;
    let log_file = std::fs::File::options().create(true).append(true).open(log)?;
    let mut child = Command::new(bin)
        .args(["serve", "--port", "0", "--hostname", "127.0.0.1", "--print-logs", "--log-level", "WARN"])
        .current_dir(workspace)
        .envs(environment(agent, dirs, password, links))
        .env_remove(supervisor_env::SANDBOX_TOKEN)
        .env_remove(supervisor_env::AGENT_CONFIG)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log_file)
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("start {}", bin.display()))?;
    let stdout = child.stdout.take().expect("piped");
    let mut lines = BufReader::new(stdout).lines();
    let url = tokio::time::timeout(READY_TIMEOUT, async {
        while let Some(line) = lines.next_line().await? {
            if let Some(url) = parse_listening_line(&line) {
                return Ok(url);
            }
        }
        bail!("OpenCode exited before it was ready")
    })
    .await
    .context("OpenCode was not ready within 30 s")??;
    // Keep draining stdout so the pipe never fills.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(OpencodeProcess { child, url, password: password.to_string() })
}

impl OpencodeProcess {
    /// SIGTERM to its group, SIGKILL after `grace`.
    pub async fn stop(&mut self, grace: Duration) {
        if let Some(pid) = self.child.id() {
            // OpenCode's own process group (it may be empty already).
            let group = Pid::from_raw(pid as i32);
            let _ = killpg(group, Signal::SIGTERM);
            if tokio::time::timeout(grace, self.child.wait()).await.is_err() {
                let _ = killpg(group, Signal::SIGKILL);
                let _ = self.child.wait().await;
            }
        }
    }
}

/// The wait before restart attempt `n` (1-based): 1, 2, 4, 8, 16 s.
pub fn restart_delay(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.saturating_sub(1).min(4))
}

/// How many times OpenCode may be restarted in one sandbox.
pub const MAX_RESTARTS: u32 = 5;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff() {
        let d: Vec<u64> = (1..=6).map(|n| restart_delay(n).as_secs()).collect();
        assert_eq!(d, vec![1, 2, 4, 8, 16, 16]);
    }

    #[test]
    fn seeded_config_folder() {
        let dir = tempfile::tempdir().unwrap();
        let dirs = OpencodeDirs::under(dir.path());
        prepare_dirs(&dirs).unwrap();
        let folder = dirs.config_folder();
        for f in ["package.json", "package-lock.json", ".gitignore", "node_modules"] {
            assert!(folder.join(f).exists(), "{f}");
        }
    }
}
