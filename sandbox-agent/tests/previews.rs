//! Previews end to end: the real `sandbox-agent` binary against a fake control plane (`common`),
//! in a repository whose `.openinspect/config.json` lists two ports and whose
//! `.openinspect/start.sh` starts a small HTTP server (Python's) on the first. The supervisor
//! reports the listed ports with `ready`, and answers the bridge's `preview` commands with the
//! app's status, headers and body (in several chunks when large); an unlisted port is refused
//! (403) and a listed one with nothing listening is a 502 that says so.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{bare_repo, opencode_bin, ControlPlane, PreviewAnswer};
use oi_protocol::bridge::AgentEvent;
use oi_protocol::preview::{PreviewRequest, PREVIEW_CHUNK_BYTES};
use oi_protocol::supervisor_env as var;
use oi_scripted_model::ScriptedModel;

const WAIT: Duration = Duration::from_secs(90);
const SESSION: &str = "ses_preview";
const TOKEN: &str = "token-preview";

/// Ports nothing listens on now, all different.
fn free_ports<const N: usize>() -> [u16; N] {
    let listeners: Vec<std::net::TcpListener> =
        (0..N).map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap()).collect();
    std::array::from_fn(|i| listeners[i].local_addr().unwrap().port())
}

/// The provider's environment for a fresh session's sandbox under `dir`.
fn environment(dir: &Path, control_plane: &str) -> BTreeMap<String, String> {
    let path = |p: &Path| p.to_str().unwrap().to_string();
    let opencode = opencode_bin();
    assert!(opencode.exists(), "OpenCode is missing at {} (scripts/setup installs it)", opencode.display());
    BTreeMap::from([
        ("PATH".to_string(), std::env::var("PATH").unwrap_or_default()),
        ("HOME".to_string(), path(&dir.join("home"))),
        (var::SESSION_ID.to_string(), SESSION.to_string()),
        (var::SANDBOX_ID.to_string(), "sbx_preview".to_string()),
        (var::SANDBOX_TOKEN_ON_STDIN.to_string(), "1".to_string()),
        (var::CONTROL_PLANE_URL.to_string(), control_plane.to_string()),
        (var::REPO_URL.to_string(), "/nonexistent/repo.git".to_string()),
        (var::BRANCH.to_string(), "main".to_string()),
        (var::WORKSPACE.to_string(), path(&dir.join("workspace"))),
        (var::STATE_DIR.to_string(), path(&dir.join("state"))),
        (var::OPENCODE_BIN.to_string(), path(&opencode)),
        (var::AGENT_CONFIG.to_string(), serde_json::to_string(&common::scripted_agent()).unwrap()),
    ])
}

/// `start.sh`: the site's server on 127.0.0.1:`port` in the background (its pid in
/// `$HOME/site-server.pid`), answering before the script ends.
fn start_script(port: u16) -> String {
    format!(
        r#"/usr/bin/python3 -m http.server {port} --bind 127.0.0.1 --directory site >"$HOME/site-server.log" 2>&1 </dev/null &
echo $! >"$HOME/site-server.pid"
for _ in $(seq 1 100); do
  if (exec 3<>/dev/tcp/127.0.0.1/{port}) 2>/dev/null; then echo "the site answers on {port}"; exit 0; fi
  sleep 0.1
done
echo "the site did not start"; cat "$HOME/site-server.log"; exit 1
"#
    )
}

/// Kills the site's server (started by `start.sh`, which outlives the supervisor) when dropped.
struct SiteServer(PathBuf);

impl Drop for SiteServer {
    fn drop(&mut self) {
        if let Some(pid) = std::fs::read_to_string(&self.0).ok().and_then(|p| p.trim().parse::<i32>().ok()) {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
        }
    }
}

fn get(request_id: &str, port: u16, target: &str) -> PreviewRequest {
    PreviewRequest {
        request_id: request_id.into(),
        port,
        method: "GET".into(),
        target: target.into(),
        headers: vec![("host".into(), format!("127.0.0.1:{port}")), ("accept".into(), "*/*".into())],
        body: String::new(),
    }
}

fn text_of(answer: &PreviewAnswer) -> (u16, String) {
    (answer.status, answer.text())
}

#[tokio::test]
async fn previews_reach_the_listed_port_and_only_it() {
    let dir = tempfile::tempdir().unwrap();
    let [site, silent, unlisted] = free_ports::<3>();
    let page = "<!doctype html><h1>the preview works</h1>\n";
    let large: String = (0..300 * 1024 / 16).map(|i| format!("line {i:>10}\n")).collect();
    let config = format!(r#"{{"preview_ports": [{site}, {silent}]}}"#);
    let start = start_script(site);
    let repo = bare_repo(
        dir.path(),
        &[
            ("README.md", "hi\n"),
            (".openinspect/config.json", &config),
            (".openinspect/start.sh", &start),
            ("site/index.html", page),
            ("site/large.txt", &large),
        ],
    );
    let model = ScriptedModel::start("127.0.0.1:0").await.unwrap();
    let mut cp = ControlPlane::start(SESSION, TOKEN, model.url(), repo).await;
    let _server = SiteServer(dir.path().join("home/site-server.pid"));
    let (mut child, log_path) = common::start_supervisor(dir.path(), environment(dir.path(), &cp.url), TOKEN).await;
    let log = || std::fs::read_to_string(&log_path).unwrap_or_default();

    let boot = cp.events_until(WAIT, |e| matches!(e, AgentEvent::Ready { .. })).await;
    let Some(AgentEvent::Ready { preview_ports }) = boot.last() else { unreachable!() };
    assert_eq!(preview_ports, &vec![site, silent], "{boot:#?}\n{}", log());

    let index = cp.preview(get("pv_index", site, "/"), WAIT).await;
    assert_eq!(text_of(&index), (200, page.to_string()), "{index:?}");
    assert_eq!(index.header("content-type"), Some("text/html"));
    assert_eq!(index.error, None);

    let whole = cp.preview(get("pv_large", site, "/large.txt?v=1"), WAIT).await;
    assert_eq!(whole.status, 200);
    assert_eq!(whole.header("content-length"), Some(large.len().to_string().as_str()));
    assert!(whole.body == large.as_bytes(), "{} bytes of {}", whole.body.len(), large.len());
    assert!(whole.data_frames >= large.len().div_ceil(PREVIEW_CHUNK_BYTES), "{} frames", whole.data_frames);

    let missing = cp.preview(get("pv_missing", site, "/nope"), WAIT).await;
    assert_eq!(missing.status, 404, "the app's own answer");

    let refused = cp.preview(get("pv_unlisted", unlisted, "/"), WAIT).await;
    assert_eq!(refused.status, 403);
    assert!(refused.text().contains(&format!("port {unlisted} is not listed for previews")), "{refused:?}");

    let nothing = cp.preview(get("pv_silent", silent, "/"), WAIT).await;
    assert_eq!(
        text_of(&nothing),
        (
            502,
            format!("nothing is listening on port {silent} in the sandbox (is .openinspect/start.sh running the app?)")
        )
    );

    cp.close(4410);
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait()).await.expect("exits").unwrap();
    assert!(status.success(), "{status}\n{}", log());
}
