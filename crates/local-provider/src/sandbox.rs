//! A supervisor's process: starting it (under bubblewrap or as a plain process group), reaping it,
//! and terminating everything it started.
//!
//! Each sandbox has one thread that spawns the child and then waits for it. The thread lives as
//! long as the child, which matters: `PR_SET_PDEATHSIG` (bwrap's `--die-with-parent`) fires when
//! the *thread* that forked the child exits.
//!
//! Terminating: under bwrap a sandbox is its pid namespace, so SIGTERM goes to each of its
//! processes (its pid 1 aside) and, after the grace, SIGKILL to all of them; nothing can leave a
//! pid namespace. Without bwrap it is the supervisor's process group (`killpg`), plus a SIGKILL
//! to the group whenever the supervisor exits, before its pid (the group id) is released.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nix::fcntl::{fcntl, FcntlArg, FdFlag};
use nix::sys::signal::Signal;
use nix::sys::wait::{waitid, Id, WaitPidFlag};
use nix::unistd::Pid;
use oi_protocol::supervisor_env;
use tokio::sync::{oneshot, watch};

use crate::config::Config;
use crate::isolation::{bwrap_args, parse_info, Containment, Fds, Isolation, Mounts};
use crate::layout::SandboxPaths;
use crate::procs::{killpg, PidNamespace};

/// How long terminate waits after SIGTERM before SIGKILL.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);

/// Everything needed to start a supervisor.
#[derive(Debug)]
pub struct LaunchSpec {
    pub name: String,
    pub isolation: Isolation,
    pub bwrap_bin: PathBuf,
    pub containment: Containment,
    pub mounts: Mounts,
    pub env: BTreeMap<String, String>,
    pub log: PathBuf,
    /// With a private network: who the gateway lets the sandbox reach.
    pub gateway: Option<crate::gateway::Allowlist>,
    /// A warm-pool sandbox's claim channel: the read end of a pipe whose write end the
    /// provider keeps ([`crate::claim`]). The supervisor alone inherits it (`OI_CLAIM_FD`).
    pub claim: Option<OwnedFd>,
}

impl LaunchSpec {
    /// The supervisor of the sandbox (or image build) `name` whose directories are `paths`;
    /// `network` is where it may connect when the provider isolates the network.
    pub fn new(
        config: &Config,
        name: &str,
        paths: &SandboxPaths,
        mut env: BTreeMap<String, String>,
        network: crate::gateway::Allowlist,
    ) -> Self {
        let isolated = config.isolation == Isolation::Bwrap && config.network_isolated;
        if isolated {
            env.insert(supervisor_env::NETWORK_GATEWAY.into(), crate::gateway::INSIDE_GATEWAY.into());
        }
        Self {
            name: name.to_string(),
            isolation: config.isolation,
            bwrap_bin: config.bwrap_bin.clone(),
            containment: config.containment.clone(),
            mounts: Mounts {
                workspace: paths.workspace.clone(),
                state: paths.state.clone(),
                agent_bin: config.agent_bin.clone(),
                opencode_bin: config.opencode_bin.clone(),
                net_dir: isolated.then(|| paths.dir.join("net")),
            },
            env,
            log: paths.log.clone(),
            gateway: isolated.then_some(network),
            claim: None,
        }
    }
}

/// A started supervisor.
#[derive(Debug)]
pub struct Process {
    /// The direct child (the outer bwrap, or the supervisor itself), leader of its process group.
    pid: i32,
    /// The sandbox's pid namespace (bwrap only).
    pidns: Option<PidNamespace>,
    /// Set, under the lock, when the child is reaped: from then on its pid (and process group
    /// id) may belong to someone else and must not be signalled.
    reaped: Mutex<bool>,
    exit: watch::Receiver<Option<i32>>,
}

impl Process {
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// The exit code once the child has exited (128 + n for signal n).
    pub fn exit_code(&self) -> Option<i32> {
        *self.exit.borrow()
    }

    fn signal_group(&self, signal: Signal) {
        let reaped = self.reaped.lock().unwrap_or_else(|e| e.into_inner());
        if !*reaped {
            killpg(self.pid, signal);
        }
    }

    /// Waits for the child to exit; its exit code (-1 when it cannot be known).
    pub async fn wait(&self) -> i32 {
        let mut rx = self.exit.clone();
        let code = rx.wait_for(Option::is_some).await.ok().and_then(|code| *code);
        code.unwrap_or(-1)
    }

    async fn wait_exit(&self, timeout: Duration) -> bool {
        let mut rx = self.exit.clone();
        let exited = tokio::time::timeout(timeout, rx.wait_for(Option::is_some)).await.is_ok();
        exited
    }

    /// SIGTERM to everything in the sandbox, SIGKILL after `grace`, and back only when nothing
    /// of it is left.
    pub async fn terminate(&self, grace: Duration) {
        let deadline = tokio::time::Instant::now() + grace;
        match &self.pidns {
            // Under bwrap the supervisor is in another session (`--new-session`) inside the pid
            // namespace, out of reach of the outer bwrap's process group, so it is signalled
            // through the namespace. The outer bwrap is left alone: its death would only
            // SIGKILL the namespace. Right after the start, bwrap's pid 1 may not have started
            // the supervisor yet, so this waits for something to signal.
            Some(ns) => {
                while ns.signal_all_but_first(Signal::SIGTERM) == 0
                    && tokio::time::Instant::now() < deadline
                    && !self.wait_exit(Duration::from_millis(20)).await
                {}
            }
            None => self.signal_group(Signal::SIGTERM),
        }
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if !self.wait_exit(left).await {
            tracing::warn!(pid = self.pid, "sandbox did not exit within {grace:?} of SIGTERM; sending SIGKILL");
            if let Some(ns) = &self.pidns {
                // Everything in the namespace, its pid 1 included (from outside, SIGKILL reaches
                // it), which takes the outer bwrap down with it.
                ns.signal_all(Signal::SIGKILL);
                self.wait_exit(Duration::from_secs(2)).await;
            }
            self.signal_group(Signal::SIGKILL);
            if !self.wait_exit(Duration::from_secs(5)).await {
                tracing::error!(pid = self.pid, "sandbox still not reaped after SIGKILL");
            }
        }
        // The outer bwrap may exit before the kernel has finished killing the namespace.
        if let Some(ns) = &self.pidns {
            for _ in 0..100 {
                if ns.signal_all(Signal::SIGKILL) == 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

fn open_log(spec: &LaunchSpec) -> std::io::Result<(Stdio, Stdio)> {
    let log = std::fs::OpenOptions::new().create(true).append(true).open(&spec.log)?;
    Ok((log.try_clone()?.into(), log.into()))
}

/// Starts the supervisor; the returned process is reaped in the background.
pub async fn launch(spec: LaunchSpec) -> std::io::Result<Arc<Process>> {
    // The gateway first: the supervisor's first connection goes through it.
    let gateway = match (&spec.mounts.net_dir, &spec.gateway) {
        (Some(dir), Some(allow)) => {
            std::fs::create_dir_all(dir)?;
            Some(crate::gateway::serve(&dir.join(crate::gateway::GATEWAY_SOCKET), allow.clone()).await?)
        }
        _ => None,
    };
    let (tx, rx) = oneshot::channel();
    std::thread::Builder::new().name(format!("sandbox-{}", spec.name)).spawn(move || run(spec, tx))?;
    let process = rx.await.unwrap_or_else(|_| Err(std::io::Error::other("the sandbox thread ended early")));
    if let Some(gateway) = gateway {
        match &process {
            Ok(process) => {
                let process = process.clone();
                tokio::spawn(async move {
                    process.wait().await;
                    gateway.abort();
                });
            }
            Err(_) => gateway.abort(),
        }
    }
    process
}

fn run(mut spec: LaunchSpec, tx: oneshot::Sender<std::io::Result<Arc<Process>>>) {
    let (exit_tx, exit_rx) = watch::channel(None);
    // Closed here once the child has it: the supervisor is its only reader.
    let claim = spec.claim.take();
    let (mut child, pidns) = match spawn(&spec, claim) {
        Ok(started) => started,
        Err(e) => {
            let _ = tx.send(Err(e));
            return;
        }
    };
    let process = Arc::new(Process { pid: child.id() as i32, pidns, reaped: Mutex::new(false), exit: exit_rx });
    let _ = tx.send(Ok(process.clone()));

    wait_exited_without_reaping(process.pid);
    let code = {
        let mut reaped = process.reaped.lock().unwrap_or_else(|e| e.into_inner());
        // The exited leader still holds the group id: anything left in the group (with no
        // bwrap, whatever the supervisor started) is killed before the id is released.
        killpg(process.pid, Signal::SIGKILL);
        let status = child.wait();
        *reaped = true;
        match status {
            Ok(s) => s.code().or(s.signal().map(|n| 128 + n)).unwrap_or(-1),
            Err(_) => -1,
        }
    };
    tracing::info!(sandbox = %spec.name, code, "supervisor exited");
    let _ = exit_tx.send(Some(code));
}

/// The environment without `OI_SANDBOX_TOKEN` (with `OI_SANDBOX_TOKEN_ON_STDIN=1` in its place),
/// and the token.
pub fn token_off_environment(env: &BTreeMap<String, String>) -> (BTreeMap<String, String>, Option<String>) {
    let mut env = env.clone();
    let token = env.remove(supervisor_env::SANDBOX_TOKEN);
    if token.is_some() {
        env.insert(supervisor_env::SANDBOX_TOKEN_ON_STDIN.into(), "1".into());
    }
    (env, token)
}

/// A pipe already holding `bytes` (closed for writing): what bwrap reads a seccomp program from.
fn pipe_with(bytes: &[u8]) -> std::io::Result<std::io::PipeReader> {
    use std::io::Write;
    let (reader, mut writer) = std::io::pipe()?;
    // A program is a few hundred bytes: it fits in the pipe's buffer.
    writer.write_all(bytes)?;
    Ok(reader)
}

fn spawn(spec: &LaunchSpec, claim: Option<OwnedFd>) -> std::io::Result<(std::process::Child, Option<PidNamespace>)> {
    let (stdout, stderr) = open_log(spec)?;
    // Every descriptor below is close-on-exec in this process (so no other sandbox inherits
    // it); the child clears the flag on the ones it passes on, after the fork.
    let info_pipe = match spec.isolation {
        Isolation::Bwrap => Some(std::io::pipe()?),
        Isolation::None => None,
    };
    let seccomp = match spec.isolation {
        Isolation::Bwrap => {
            spec.containment.seccomp.iter().map(|p| pipe_with(p)).collect::<std::io::Result<Vec<_>>>()?
        }
        Isolation::None => vec![],
    };
    let mut cmd = match (spec.isolation, &info_pipe) {
        (Isolation::Bwrap, Some((_, info))) => {
            let fds = Fds { info: info.as_raw_fd(), seccomp: seccomp.iter().map(AsRawFd::as_raw_fd).collect() };
            let mut cmd = Command::new(&spec.bwrap_bin);
            cmd.args(bwrap_args(&spec.containment, &spec.mounts, &fds));
            cmd
        }
        _ => {
            let mut cmd = Command::new(&spec.mounts.agent_bin);
            cmd.current_dir(&spec.mounts.workspace);
            cmd
        }
    };
    // The sandbox token goes to the supervisor on its stdin, not in the environment: bwrap's
    // init (pid 1 in the sandbox) keeps the environment it was started with, readable by the
    // agent's tools; the supervisor itself is not dumpable.
    let (env, token) = token_off_environment(&spec.env);
    let stdin = if token.is_some() { Stdio::piped() } else { Stdio::null() };
    cmd.env_clear().envs(&env).stdin(stdin).stdout(stdout).stderr(stderr).process_group(0);
    if let Some(claim) = &claim {
        cmd.env(supervisor_env::CLAIM_FD, claim.as_raw_fd().to_string());
    }
    let inherited: Vec<i32> = info_pipe
        .iter()
        .map(|(_, w)| w.as_raw_fd())
        .chain(seccomp.iter().map(AsRawFd::as_raw_fd))
        .chain(claim.iter().map(AsRawFd::as_raw_fd))
        .collect();
    // SAFETY: between fork and exec only async-signal-safe calls that allocate nothing (prctl,
    // fcntl); the descriptors are open in the child (inherited across the fork) and stay open.
    unsafe {
        cmd.pre_exec(move || {
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)?;
            for fd in &inherited {
                fcntl(BorrowedFd::borrow_raw(*fd), FcntlArg::F_SETFD(FdFlag::empty()))?;
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn()?;
    drop(cmd);
    drop((seccomp, claim));
    if let (Some(token), Some(mut pipe)) = (token, child.stdin.take()) {
        use std::io::Write;
        // 65 bytes fit in the pipe's buffer; closing it ends the supervisor's read.
        pipe.write_all(format!("{token}\n").as_bytes())?;
    }
    let pidns = info_pipe.and_then(|(reader, writer)| {
        drop(writer);
        let ns = read_pid_namespace(reader);
        if ns.is_none() {
            tracing::warn!(sandbox = %spec.name, "bwrap reported no pid namespace; terminate falls back to its process group");
        }
        ns
    });
    Ok((child, pidns))
}

/// Reads bwrap's `--info-fd` JSON and opens the namespace it names.
fn read_pid_namespace(mut reader: std::io::PipeReader) -> Option<PidNamespace> {
    let mut text = Vec::new();
    let mut buf = [0u8; 1024];
    let info = loop {
        match reader.read(&mut buf) {
            Ok(0) | Err(_) => break parse_info(std::str::from_utf8(&text).ok()?),
            Ok(n) => {
                text.extend_from_slice(&buf[..n]);
                if let Some(info) = std::str::from_utf8(&text).ok().and_then(parse_info) {
                    break Some(info);
                }
            }
        }
    }?;
    let ns = PidNamespace::of(info.child_pid).ok()?;
    (info.pid_namespace.is_none_or(|ino| ino == ns.inode())).then_some(ns)
}

/// Waits until the child `pid` has exited, leaving it waitable for `Child::wait` (`WNOWAIT`).
fn wait_exited_without_reaping(pid: i32) {
    while waitid(Id::Pid(Pid::from_raw(pid)), WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT)
        == Err(nix::errno::Errno::EINTR)
    {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_leaves_the_environment_for_stdin() {
        use supervisor_env::{SANDBOX_TOKEN, SANDBOX_TOKEN_ON_STDIN, SESSION_ID};
        let env: BTreeMap<String, String> = [(SANDBOX_TOKEN, "tok"), (SESSION_ID, "ses_1")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let (out, token) = token_off_environment(&env);
        assert_eq!(token.as_deref(), Some("tok"));
        assert!(!out.contains_key(SANDBOX_TOKEN));
        assert_eq!(out[SANDBOX_TOKEN_ON_STDIN], "1");
        assert_eq!(out[SESSION_ID], "ses_1");
        let (same, none) = token_off_environment(&out);
        assert_eq!((same, none), (out, None));
    }
}
