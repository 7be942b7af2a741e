//! The repo's lifecycle scripts, `.openinspect/setup.sh` and `.openinspect/start.sh`: run with
//! bash in the workspace, output streamed line by line, killed as a process group on timeout.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Result;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;
use tokio::sync::mpsc;

/// How a script ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptOutcome {
    /// The repo has no such script (which counts as success).
    Missing,
    Succeeded,
    Failed {
        code: Option<i32>,
    },
    TimedOut {
        after: Duration,
    },
}

impl ScriptOutcome {
    pub fn ok(&self) -> bool {
        matches!(self, ScriptOutcome::Missing | ScriptOutcome::Succeeded)
    }

    pub fn describe(&self, name: &str) -> String {
        match self {
            ScriptOutcome::Missing => format!("no {name}"),
            ScriptOutcome::Succeeded => format!("{name} succeeded"),
            ScriptOutcome::Failed { code: Some(c) } => format!("{name} exited with status {c}"),
            ScriptOutcome::Failed { code: None } => format!("{name} was killed by a signal"),
            ScriptOutcome::TimedOut { after } => format!("{name} timed out after {} s", after.as_secs()),
        }
    }
}

/// The longest line passed on; longer ones are cut.
const MAX_LINE: usize = 4000;

/// Runs `bash <script>` in `cwd` with `env` added. Every output line (stdout and stderr) goes
/// to `lines`. Waits for the script itself, not for background children it left running
/// (a start script may start a server and exit).
pub async fn run(
    script: &Path,
    cwd: &Path,
    env: &BTreeMap<String, String>,
    timeout: Duration,
    lines: mpsc::UnboundedSender<String>,
) -> Result<ScriptOutcome> {
    if !script.exists() {
        return Ok(ScriptOutcome::Missing);
    }
    let mut child = Command::new("bash")
        .arg(script)
        .current_dir(cwd)
        .envs(env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()?;
    let pgid = child.id().map(|id| Pid::from_raw(id as i32));
    let readers = [
        tokio::spawn(forward(child.stdout.take().expect("piped"), lines.clone())),
        tokio::spawn(forward(child.stderr.take().expect("piped"), lines)),
    ];
    let outcome = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(status) => {
            let status = status?;
            if status.success() {
                ScriptOutcome::Succeeded
            } else {
                ScriptOutcome::Failed { code: status.code() }
            }
        }
        Err(_) => {
            if let Some(pgid) = pgid {
                // The script's own process group (it may be empty already).
                let _ = killpg(pgid, Signal::SIGKILL);
            }
            let _ = child.wait().await;
            ScriptOutcome::TimedOut { after: timeout }
        }
    };
    // Let the readers drain what the script wrote; background children may keep the pipes
    // open, so do not wait for end-of-file.
    tokio::time::sleep(Duration::from_millis(50)).await;
    for reader in readers {
        reader.abort();
    }
    Ok(outcome)
}

async fn forward(stream: impl AsyncRead + Unpin, lines: mpsc::UnboundedSender<String>) {
    let mut reader = BufReader::new(stream).lines();
    while let Ok(Some(mut line)) = reader.next_line().await {
        if line.len() > MAX_LINE {
            let mut cut = MAX_LINE;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            line.truncate(cut);
            line.push('…');
        }
        if lines.send(line).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn run_script(body: &str, timeout: Duration) -> (ScriptOutcome, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("s.sh");
        std::fs::write(&script, body).unwrap();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let env = BTreeMap::from([("OPENINSPECT_BOOT_MODE".to_string(), "fresh".to_string())]);
        let outcome = run(&script, dir.path(), &env, timeout, tx).await.unwrap();
        let mut lines = vec![];
        while let Ok(l) = rx.try_recv() {
            lines.push(l);
        }
        (outcome, lines)
    }

    #[tokio::test]
    async fn streams_output_and_reports_status() {
        let (o, lines) =
            run_script("echo one\necho two >&2\necho mode=$OPENINSPECT_BOOT_MODE\n", Duration::from_secs(5)).await;
        assert_eq!(o, ScriptOutcome::Succeeded);
        let mut sorted = lines.clone();
        sorted.sort();
        assert_eq!(sorted, vec!["mode=fresh", "one", "two"]);
        let (o, _) = run_script("exit 3", Duration::from_secs(5)).await;
        assert_eq!(o, ScriptOutcome::Failed { code: Some(3) });
        assert!(!o.ok());
    }

    #[tokio::test]
    async fn timeout_kills_the_whole_group() {
        // A background child with a unique command line, to look for afterwards.
        let unique = format!("31.{}", std::process::id());
        let body = format!("sleep {unique} &\nsleep 30\n");
        let started = std::time::Instant::now();
        let (o, _) = run_script(&body, Duration::from_millis(300)).await;
        assert!(matches!(o, ScriptOutcome::TimedOut { .. }));
        assert!(started.elapsed() < Duration::from_secs(5));
        tokio::time::sleep(Duration::from_millis(200)).await;
        let left = std::process::Command::new("pgrep").args(["-f", &format!("sleep {unique}")]).output().unwrap();
        assert!(left.stdout.is_empty(), "the background child survived: {}", String::from_utf8_lossy(&left.stdout));
    }

    #[tokio::test]
    async fn a_background_server_does_not_hold_the_script() {
        let started = std::time::Instant::now();
        let (o, lines) = run_script("(sleep 3) &\necho started\n", Duration::from_secs(10)).await;
        assert_eq!(o, ScriptOutcome::Succeeded);
        assert_eq!(lines, vec!["started"]);
        assert!(started.elapsed() < Duration::from_secs(2), "did not wait for the background child");
    }

    #[tokio::test]
    async fn missing_is_success() {
        let (tx, _rx) = mpsc::unbounded_channel();
        let o = run(Path::new("/nonexistent/setup.sh"), Path::new("/"), &BTreeMap::new(), Duration::from_secs(1), tx)
            .await
            .unwrap();
        assert!(o.ok());
    }
}
