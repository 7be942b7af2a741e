//! Test harness: runs the real `oi-local-provider` binary on a free loopback port with a
//! throwaway root, signs requests, and writes the test supervisor.
#![allow(dead_code)]

mod git;
#[allow(unused_imports)]
pub use git::*;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use oi_protocol::provider::{BootMode, CreateSandbox};
use oi_protocol::signing::{authorization, SignedParts};
use serde_json::Value;

pub const KEY: &str = "test-provider-key-0123456789";
pub const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// A temporary directory outside `/tmp` (which every sandbox gets a private copy of, so a write
/// there would prove nothing).
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("lp-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

/// Digits no other test or process uses: process markers (`sleep 1000.<marker>` must parse
/// as a number) and ids.
pub fn unique() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!("{}{:03}{n:03}", std::process::id(), now_ms() % 1000)
}

/// The test supervisor: records its environment, which writes succeed, its namespaces; starts
/// a background `sleep 1000.<marker>` that ignores SIGTERM; then waits, writing `term-<id>`
/// when SIGTERM arrives. Output files carry the sandbox id, since a restored sandbox's state
/// holds the original's files too. With `EXIT_NOW=<n>` in its environment it exits with n;
/// with `IGNORE_TERM=1` it ignores SIGTERM; with `NO_WRITE_PROBES=1` it skips the writes (for `--isolation none`, where they would land
/// on the host).
///
/// A warm-pool sandbox's supervisor copies its claim channel (`OI_CLAIM_FD`) to
/// `claim-<id>.txt` once the provider has closed it. With write probes it also records what it
/// sees of the host in `view-<id>.txt`: `/` and `/etc`, which sensitive paths are visible, and
/// whether it can make a user namespace.
///
/// In `build` mode (an image build) it refuses a control-plane URL or an agent config (exit 9),
/// waits for the file `BUILD_WAIT_FOR` names if set, fails with `BUILD_FAIL=<n>` after two
/// lines of output, clones a local repository through the provider's git endpoint with its
/// token, writes `built.txt` into the workspace and `image.json` (`{"base_sha": …}`; not with
/// `BUILD_NO_RESULT=1`) into its state, and exits 0.
pub fn write_supervisor(dir: &Path, marker: &str, outside: &Path) -> PathBuf {
    let script = format!(
        r#"#!/bin/sh
S="$OI_STATE_DIR"
ID="$OI_SANDBOX_ID"
if [ "$OI_SANDBOX_TOKEN_ON_STDIN" = 1 ]; then read -r OI_SANDBOX_TOKEN; printf '%s' "$OI_SANDBOX_TOKEN" > "$S/token-$ID.txt"; fi
cat /proc/net/dev > "$S/netdev-$ID.txt"
echo "supervisor started on stdout"
echo "supervisor started on stderr" >&2
tr '\0' '\n' < /proc/$$/environ > "$S/env-$ID.txt"
if [ "$OPENINSPECT_BOOT_MODE" = build ]; then
  echo "build: started for $ID"
  if [ -n "$OI_CONTROL_PLANE_URL" ] || [ -n "$OI_AGENT_CONFIG" ]; then echo "build: given a control plane or an agent" >&2; exit 9; fi
  if [ -n "$BUILD_WAIT_FOR" ]; then while [ ! -e "$BUILD_WAIT_FOR" ]; do sleep 0.1; done; fi
  if [ -n "$BUILD_FAIL" ]; then echo "setup.sh: step one"; echo "setup.sh: step two failed" >&2; exit "$BUILD_FAIL"; fi
  SHA=0123456789abcdef0123456789abcdef01234567
  if [ "$OI_REPO_AUTH" = sandbox_token ]; then
    git -c "http.extraHeader=Authorization: Bearer $OI_SANDBOX_TOKEN" clone --quiet --branch "$OI_BRANCH" "$OI_REPO_URL" "$OI_WORKSPACE" || exit 4
    SHA=$(git -C "$OI_WORKSPACE" rev-parse HEAD)
  fi
  echo "built by $ID" > "$OI_WORKSPACE/built.txt"
  if [ -z "$BUILD_NO_RESULT" ]; then printf '{{"base_sha": "%s"}}' "$SHA" > "$S/image.json"; fi
  echo "build: done at $SHA"
  exit 0
fi
if [ -n "$EXIT_NOW" ]; then exit "$EXIT_NOW"; fi
if [ -n "$OI_CLAIM_FD" ]; then (cat "/proc/self/fd/$OI_CLAIM_FD" > "$S/claim-$ID.part" && mv "$S/claim-$ID.part" "$S/claim-$ID.txt") & fi
: > "$S/writes-$ID.txt"
if [ -z "$NO_WRITE_PROBES" ]; then
  for target in "$OI_WORKSPACE/ok" "$OI_STATE_DIR/ok" "$HOME/ok" "/tmp/oi-tmp-{marker}" "{outside}/outside-{marker}" "/etc/oi-outside-{marker}" "$OI_WORKSPACE/../outside-{marker}"; do
    if (echo hi > "$target") 2>/dev/null; then echo "ok $target"; else echo "fail $target"; fi >> "$S/writes-$ID.txt"
  done
  {{
    echo "root: $(ls -A / | tr '\n' ' ')"
    echo "etc: $(ls -A /etc | tr '\n' ' ')"
    for p in /etc/shadow /etc/ssh "{outside}" "{dir}/provider.log" "{dir}/root" /root /home /run /var /sys /boot; do
      if [ -e "$p" ]; then echo "visible $p"; else echo "hidden $p"; fi
    done
    if unshare -U true 2>/dev/null; then echo "userns made"; else echo "userns refused"; fi
    if unshare -m true 2>/dev/null; then echo "mountns made"; else echo "mountns refused"; fi
  }} > "$S/view-$ID.txt" 2>&1
fi
for ns in pid user uts ipc mnt; do echo "$ns $(readlink /proc/$$/ns/$ns)"; done > "$S/ns-$ID.txt"
echo $$ > "$S/pid-$ID.txt"
sh -c 'trap "" TERM; exec sleep 1000.{marker}' &
if [ -n "$IGNORE_TERM" ]; then trap '' TERM; else trap 'echo term > "$S/term-$ID.txt"; exit 0' TERM; fi
echo ready > "$S/ready-$ID.txt"
while :; do sleep 0.1; done
"#,
        outside = outside.display(),
        dir = dir.display(),
    );
    let path = dir.join(format!("supervisor-{marker}.sh"));
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    path
}

/// Host pids whose command line contains `marker`.
pub fn processes_with(marker: &str) -> Vec<i32> {
    let me = std::process::id() as i32;
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| pid != me)
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(marker))
                .unwrap_or(false)
        })
        .collect()
}

/// Waits until `path` exists.
pub async fn wait_for_file(path: &Path) {
    let start = Instant::now();
    while !path.exists() {
        assert!(start.elapsed() < Duration::from_secs(20), "{} never appeared", path.display());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `NAME=value` lines as pairs.
pub fn read_env(path: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

pub fn request(sandbox_id: &str, repo: &str, token: &str) -> CreateSandbox {
    serde_json::from_value(serde_json::json!({
        "session_id": format!("ses_{sandbox_id}"),
        "sandbox_id": sandbox_id,
        "repo": repo,
        "branch": "main",
        "control_plane_url": "http://127.0.0.1:8787",
        "sandbox_token": token,
        "agent": {
            "model": "scripted/test-model",
            "providers": [{"id": "scripted", "api": "openai_compatible", "base_url": "http://127.0.0.1:8790/v1", "test_model": true}]
        },
        "env": {"DATABASE_URL": "postgres://db/app"},
        "boot_mode": BootMode::Fresh,
    }))
    .unwrap()
}

/// A running `oi-local-provider`, stopped (SIGTERM) when dropped.
pub struct Provider {
    pub child: Option<Child>,
    pub url: String,
    pub root: PathBuf,
    /// Shared, so a provider restarted on the same root ([`Provider::start_in`]) keeps it.
    pub dir: Arc<tempfile::TempDir>,
    pub log: PathBuf,
    pub http: reqwest::Client,
}

pub struct Options {
    pub isolation: &'static str,
    /// `--network`: `host` unless a test is about the isolated network (this fake supervisor
    /// does not use the gateway).
    pub network: &'static str,
    pub runtime_version: Option<&'static str>,
    pub extra_env: Vec<(String, String)>,
    pub extra_args: Vec<&'static str>,
}

impl Default for Options {
    fn default() -> Self {
        Self { isolation: "bwrap", network: "host", runtime_version: None, extra_env: vec![], extra_args: vec![] }
    }
}

pub fn command(dir: &Path, agent: &Path, opts: &Options) -> Command {
    std::fs::create_dir_all(dir.join("work")).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_oi-local-provider"));
    cmd.env_clear()
        .env("PATH", PATH)
        .env("OI_PROVIDER_KEY", KEY)
        .envs(opts.extra_env.iter().cloned())
        .args(["--listen", "127.0.0.1:0", "--isolation", opts.isolation, "--network", opts.network])
        .arg("--root")
        .arg(dir.join("root"))
        .arg("--agent-bin")
        .arg(agent)
        .arg("--opencode-bin")
        .arg(dir.join("opencode"))
        // The one repository root: [`repo_fixture`] makes its repository there.
        .arg("--repo-root")
        .arg(dir.join("work"))
        .args(&opts.extra_args);
    if let Some(v) = opts.runtime_version {
        cmd.args(["--runtime-version", v]);
    }
    cmd
}

/// Runs `cmd` to its end, killing it (and failing) if it runs longer than `secs`.
pub fn output_within(cmd: &mut Command, secs: u64) -> std::process::Output {
    let child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let pid = child.id() as i32;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            panic!("the command was still running after {secs} s");
        }
    }
}

impl Provider {
    /// Starts the binary with the test supervisor for `marker`.
    pub fn start(marker: &str, opts: Options) -> Provider {
        let dir = temp_dir();
        std::fs::create_dir(dir.path().join("outside")).unwrap();
        Self::start_in(Arc::new(dir), marker, opts)
    }

    /// Starts the binary in `dir` (made by [`Provider::start`]): on the same root as before.
    pub fn start_in(dir: Arc<tempfile::TempDir>, marker: &str, opts: Options) -> Provider {
        let agent = write_supervisor(dir.path(), marker, &dir.path().join("outside"));
        let log = dir.path().join("provider.log");
        let mut child = command(dir.path(), &agent, &opts)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line
            .trim()
            .strip_prefix("local provider listening on ")
            .unwrap_or_else(|| {
                panic!("unexpected first line {line:?}; log: {}", std::fs::read_to_string(&log).unwrap_or_default())
            })
            .to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        Provider { child: Some(child), url, root: dir.path().join("root"), log, dir, http: reqwest::Client::new() }
    }

    pub fn sandbox_dir(&self, id: &str) -> PathBuf {
        self.root.join("sandboxes").join(id)
    }

    pub fn image_dir(&self, id: &str) -> PathBuf {
        self.root.join("images").join(id)
    }

    /// Polls `GET /v1/images/:id` until the image is no longer building; its last answer.
    pub async fn wait_built(&self, id: &str) -> Value {
        let start = Instant::now();
        loop {
            let (status, body) = self.call("GET", &format!("/v1/images/{id}"), None).await;
            assert_eq!(status, 200, "{body}");
            if body["status"] != "building" {
                return body;
            }
            assert!(start.elapsed() < Duration::from_secs(60), "still building: {body}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Polls `GET /v1/images/:id` until its `log_tail` contains `text`; its last answer.
    pub async fn wait_log(&self, id: &str, text: &str) -> Value {
        let start = Instant::now();
        loop {
            let (_, body) = self.call("GET", &format!("/v1/images/{id}"), None).await;
            if body["log_tail"].as_str().is_some_and(|t| t.contains(text)) {
                return body;
            }
            assert!(start.elapsed() < Duration::from_secs(20), "{text:?} never logged: {body}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn state_file(&self, id: &str, name: &str) -> PathBuf {
        self.sandbox_dir(id).join("state").join(format!("{name}-{id}.txt"))
    }

    /// A signed request; returns the status and the JSON body.
    pub async fn call(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let bytes = body.map(|b| serde_json::to_vec(b).unwrap()).unwrap_or_default();
        let header = sign(method, path, "", &bytes, now_ms());
        self.raw(method, path, Some(header), bytes).await
    }

    /// A request with the given `Authorization` header (or none).
    pub async fn raw(&self, method: &str, path_and_query: &str, auth: Option<String>, body: Vec<u8>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method.parse().unwrap(), format!("{}{path_and_query}", self.url))
            .header("content-type", "application/json")
            .body(body);
        if let Some(auth) = auth {
            req = req.header("authorization", auth);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    pub async fn create(&self, req: &CreateSandbox) -> (u16, Value) {
        self.call("POST", "/v1/sandboxes", Some(&serde_json::to_value(req).unwrap())).await
    }

    /// Creates a sandbox and waits until its supervisor is ready.
    pub async fn create_ready(&self, req: &CreateSandbox) -> Value {
        let (status, body) = self.create(req).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["status"], "running", "{body}");
        wait_for_file(&self.state_file(&req.sandbox_id, "ready")).await;
        body
    }

    /// SIGTERM, and the exit status once it has exited.
    pub fn stop(&mut self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM);
        let start = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return Some(status);
            }
            if start.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the provider did not stop within 30 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn pid(&self) -> Option<i32> {
        self.child.as_ref().map(|c| c.id() as i32)
    }

    /// Processes of sandboxes started with `marker` (the provider's own command line names the
    /// supervisor script too, so it is left out).
    pub fn survivors(&self, marker: &str) -> Vec<i32> {
        processes_with(marker).into_iter().filter(|p| Some(*p) != self.pid()).collect()
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- provider log ---\n{}", self.log_text());
        }
        if let Some(mut child) = self.child.take() {
            let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM);
            let start = Instant::now();
            while child.try_wait().ok().flatten().is_none() && start.elapsed() < Duration::from_secs(20) {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A `POST /v1/images` body.
pub fn build_request(image_id: &str, repo: &str, token: &str) -> Value {
    serde_json::json!({
        "image_id": image_id,
        "repo": repo,
        "branch": "main",
        "build_token": token,
        "env": {"NODE_ENV": "ci"},
    })
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

pub fn nonce() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!("{:x}{:08x}{:x}", now_ms(), std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

pub fn sign(method: &str, path: &str, query: &str, body: &[u8], ts: i64) -> String {
    let parts = SignedParts { method, path, query, body };
    authorization(KEY.as_bytes(), &parts, ts, &nonce())
}

/// Polls until no process but `except` carries `marker`, or panics after `within`.
pub async fn assert_no_process_with(marker: &str, except: Option<i32>, within: Duration) {
    let start = Instant::now();
    loop {
        let left: Vec<i32> = processes_with(marker).into_iter().filter(|p| Some(*p) != except).collect();
        if left.is_empty() {
            return;
        }
        assert!(start.elapsed() < within, "processes with {marker} survived: {left:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
