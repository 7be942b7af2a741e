//! Debian's headless Chromium as the screenshot tool runs it: in its own process group, with a
//! throwaway profile, listening for DevTools on a port it picks (which it prints on stderr:
//! `DevTools listening on ws://127.0.0.1:<port>/devtools/browser/<id>`). No Chromium sandbox:
//! the sandbox it runs in is the isolation. Stopped (the whole group killed, the profile
//! removed) when the handle is dropped.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use oi_protocol::supervisor_env::CHROMIUM_BIN;

/// The binary when [`CHROMIUM_BIN`] is not set and Debian's real binary is not there:
/// `chromium`, on `PATH`.
pub const DEFAULT_BIN: &str = "chromium";
/// Debian's Chromium itself. `/usr/bin/chromium` is a shell wrapper that reads
/// `/etc/chromium.d/`, which a sandbox (bubblewrap binds `/usr`, not `/etc`) does not have.
pub const DEBIAN_BIN: &str = "/usr/lib/chromium/chromium";

/// How long Chromium may take to start listening.
pub const LAUNCH_TIMEOUT: Duration = Duration::from_secs(15);

/// The binary to start: [`CHROMIUM_BIN`] when set (and not blank), else [`DEBIAN_BIN`] when
/// `debian_present`, else [`DEFAULT_BIN`].
pub fn binary(configured: Option<&str>, debian_present: bool) -> PathBuf {
    let fallback = if debian_present { DEBIAN_BIN } else { DEFAULT_BIN };
    PathBuf::from(configured.map(str::trim).filter(|b| !b.is_empty()).unwrap_or(fallback))
}

/// The binary this process's environment names.
pub fn binary_from_env() -> PathBuf {
    binary(std::env::var(CHROMIUM_BIN).ok().as_deref(), Path::new(DEBIAN_BIN).is_file())
}

/// Chromium's command line: headless, no Chromium sandbox, no GPU, DevTools on a port it picks,
/// the profile in `profile`, nothing in the background, a blank first page.
pub fn launch_args(profile: &Path) -> Vec<String> {
    let mut args: Vec<String> = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--remote-debugging-port=0",
        "--remote-debugging-address=127.0.0.1",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--mute-audio",
    ]
    .map(String::from)
    .to_vec();
    args.push(format!("--user-data-dir={}", profile.display()));
    args.push("about:blank".into());
    args
}

/// The DevTools URL in one of Chromium's stderr lines.
pub fn devtools_url(line: &str) -> Option<&str> {
    let url = line.strip_prefix("DevTools listening on ")?.trim();
    url.starts_with("ws://").then_some(url)
}

/// A running Chromium.
pub struct Chromium {
    child: Child,
    /// The browser's DevTools WebSocket URL.
    pub devtools_url: String,
    /// The throwaway profile (removed on drop).
    profile: tempfile::TempDir,
}

impl Chromium {
    /// Starts `bin` and waits (at most [`LAUNCH_TIMEOUT`]) for its DevTools URL.
    pub async fn launch(bin: &Path) -> Result<Self> {
        let profile = tempfile::Builder::new().prefix("oi-chromium-").tempdir().context("a profile directory")?;
        let mut child = Command::new(bin)
            .args(launch_args(profile.path()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("start {} (is Chromium installed? set {CHROMIUM_BIN})", bin.display()))?;
        let mut lines = BufReader::new(child.stderr.take().expect("piped")).lines();
        let mut seen = Vec::new();
        let found = tokio::time::timeout(LAUNCH_TIMEOUT, async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = devtools_url(&line) {
                    return Some(url.to_string());
                }
                seen.push(line);
            }
            None
        })
        .await;
        let mut chromium = Self { child, devtools_url: String::new(), profile };
        let tail = || seen.iter().rev().take(5).rev().cloned().collect::<Vec<_>>().join("\n");
        match found {
            Ok(Some(url)) => chromium.devtools_url = url,
            Ok(None) => bail!("Chromium exited before it listened:\n{}", tail()),
            Err(_) => bail!("Chromium did not listen within {} s:\n{}", LAUNCH_TIMEOUT.as_secs(), tail()),
        }
        // Keep draining stderr so Chromium never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(chromium)
    }

    /// The process id (also its process group's).
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// The profile directory.
    pub fn profile(&self) -> &Path {
        self.profile.path()
    }

    /// Kills Chromium's whole process group and waits for the browser process.
    pub async fn stop(mut self) {
        self.kill_group();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
    }

    fn kill_group(&mut self) {
        if let Some(pid) = self.child.id() {
            let _ = killpg(Pid::from_raw(pid as i32), Signal::SIGKILL);
        }
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        self.kill_group();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_binary_is_configured_or_debians_or_chromium() {
        let cases = [
            (None, false, "chromium"),
            (Some(""), false, "chromium"),
            (Some("  "), false, "chromium"),
            (None, true, DEBIAN_BIN),
            (Some(" "), true, DEBIAN_BIN),
            (Some("/opt/chrome/chrome"), false, "/opt/chrome/chrome"),
            (Some("/opt/chrome/chrome"), true, "/opt/chrome/chrome"),
        ];
        for (configured, debian, want) in cases {
            assert_eq!(binary(configured, debian), PathBuf::from(want), "{configured:?} {debian}");
        }
    }

    #[test]
    fn launch_is_headless_on_a_private_profile_and_a_free_port() {
        let args = launch_args(Path::new("/tmp/p"));
        for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0"] {
            assert!(args.iter().any(|a| a == flag), "{flag}");
        }
        assert!(args.contains(&"--user-data-dir=/tmp/p".to_string()));
        assert_eq!(args.last().map(String::as_str), Some("about:blank"));
    }

    #[test]
    fn the_devtools_line() {
        let cases = [
            (
                "DevTools listening on ws://127.0.0.1:36111/devtools/browser/ab-12",
                Some("ws://127.0.0.1:36111/devtools/browser/ab-12"),
            ),
            (
                "DevTools listening on ws://127.0.0.1:1/devtools/browser/x\r",
                Some("ws://127.0.0.1:1/devtools/browser/x"),
            ),
            ("[1:2:ERROR:bus.cc(407)] Failed to connect to the bus", None),
            ("DevTools listening on http://x", None),
        ];
        for (line, want) in cases {
            assert_eq!(devtools_url(line), want, "{line}");
        }
    }
}
