//! Sandboxes under real bubblewrap: environment, isolation, termination, validation, snapshots.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::*;
use oi_protocol::agent::AgentConfig;
use oi_protocol::provider::{SandboxInfo, SnapshotInfo};
use oi_protocol::supervisor_env;
use serde_json::json;

/// The contract's variables (docs/sandbox-provider.md), the base environment (`PWD` is the
/// workspace), and the request's. The token comes on stdin, not in the environment.
const EXPECTED_ENV: &[&str] = &[
    supervisor_env::SESSION_ID,
    supervisor_env::SANDBOX_ID,
    supervisor_env::SANDBOX_TOKEN_ON_STDIN,
    supervisor_env::CONTROL_PLANE_URL,
    supervisor_env::REPO_URL,
    supervisor_env::BRANCH,
    supervisor_env::WORKSPACE,
    supervisor_env::STATE_DIR,
    supervisor_env::BOOT_MODE,
    supervisor_env::OPENCODE_BIN,
    supervisor_env::AGENT_CONFIG,
    "PATH",
    "HOME",
    "LANG",
    "PWD",
    "DATABASE_URL",
];

#[tokio::test]
async fn create_gives_the_supervisor_exactly_the_contract_environment() {
    let marker = unique();
    let p = Provider::start(&marker, Options::default());
    let id = format!("sbx_env{marker}");
    let req = request(&id, "https://example.com/app.git", "tok-env");
    let body = p.create_ready(&req).await;
    let info: SandboxInfo = serde_json::from_value(body).unwrap();
    assert_eq!((info.sandbox_id.as_str(), info.session_id.as_str()), (id.as_str(), req.session_id.as_str()));

    let (status, got) = p.call("GET", &format!("/v1/sandboxes/{id}"), None).await;
    assert_eq!((status, got["status"].as_str()), (200, Some("running")), "{got}");

    let env = read_env(&p.state_file(&id, "env"));
    let names: BTreeSet<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, EXPECTED_ENV.iter().copied().collect(), "exactly these variables");
    assert_eq!(env.len(), names.len(), "no duplicates");
    let var = |name: &str| env.iter().find(|(k, _)| k == name).unwrap().1.clone();
    let dir = p.sandbox_dir(&id);
    assert_eq!(var(supervisor_env::SESSION_ID), req.session_id);
    assert_eq!(var(supervisor_env::SANDBOX_ID), id);
    assert_eq!(var(supervisor_env::SANDBOX_TOKEN_ON_STDIN), "1");
    assert_eq!(std::fs::read_to_string(p.state_file(&id, "token")).unwrap(), "tok-env", "the token, on stdin");
    assert_eq!(var(supervisor_env::CONTROL_PLANE_URL), "http://127.0.0.1:8787");
    assert_eq!(var(supervisor_env::REPO_URL), "https://example.com/app.git", "a URL repo passes through");
    assert_eq!(var(supervisor_env::BRANCH), "main");
    // Inside bubblewrap the workspace and state are at fixed paths in every sandbox.
    assert_eq!(var(supervisor_env::WORKSPACE), "/srv/workspace");
    assert_eq!(var(supervisor_env::STATE_DIR), "/srv/state");
    assert_eq!(var("HOME"), "/srv/state/home");
    assert_eq!(var("PWD"), "/srv/workspace");
    assert!(dir.join("workspace").is_dir() && dir.join("state").is_dir(), "on the host, under the provider's root");
    assert_eq!(var(supervisor_env::BOOT_MODE), "fresh");
    assert_eq!(var(supervisor_env::OPENCODE_BIN), p.dir.path().join("opencode").to_str().unwrap());
    assert_eq!(var("DATABASE_URL"), "postgres://db/app");
    let agent: AgentConfig = serde_json::from_str(&var(supervisor_env::AGENT_CONFIG)).unwrap();
    assert_eq!(agent, req.agent);
    let all = std::fs::read_to_string(p.state_file(&id, "env")).unwrap();
    assert!(!all.contains(KEY) && !all.contains("OI_PROVIDER_KEY"), "the provider key leaked: {all}");

    let log = std::fs::read_to_string(dir.join("supervisor.log")).unwrap();
    assert!(log.contains("supervisor started on stdout") && log.contains("supervisor started on stderr"), "{log}");
}

#[tokio::test]
async fn the_sandbox_writes_only_its_workspace_and_state_in_its_own_namespaces() {
    let marker = unique();
    let p = Provider::start(&marker, Options::default());
    let id = format!("sbx_iso{marker}");
    p.create_ready(&request(&id, "https://example.com/app.git", "t")).await;
    let dir = p.sandbox_dir(&id);

    let writes = std::fs::read_to_string(p.state_file(&id, "writes")).unwrap();
    let outcome = |suffix: &str| {
        writes
            .lines()
            .find(|l| l.ends_with(suffix))
            .unwrap_or_else(|| panic!("no write to {suffix} in {writes}"))
            .split(' ')
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(outcome("/workspace/ok"), "ok", "{writes}");
    assert_eq!(outcome("/state/ok"), "ok", "{writes}");
    assert_eq!(outcome("/state/home/ok"), "ok", "{writes}");
    assert_eq!(outcome(&format!(" /tmp/oi-tmp-{marker}")), "ok", "{writes}");
    assert_eq!(outcome(&format!("outside/outside-{marker}")), "fail", "{writes}");
    assert_eq!(outcome(&format!("/etc/oi-outside-{marker}")), "fail", "{writes}");
    // On the host: inside writes landed, outside ones did not.
    assert!(dir.join("workspace/ok").is_file() && dir.join("state/ok").is_file());
    assert!(!p.dir.path().join("outside").join(format!("outside-{marker}")).exists());
    assert!(!std::path::Path::new(&format!("/etc/oi-outside-{marker}")).exists());
    assert!(
        !dir.join(format!("outside-{marker}")).exists(),
        "the sandbox directory itself is not writable from inside"
    );
    assert!(!std::path::Path::new(&format!("/tmp/oi-tmp-{marker}")).exists(), "/tmp is private to the sandbox");

    // What it sees of the host: an allowlist, no credentials, no sockets, no provider root, and
    // no way to make another user or mount namespace.
    let view = std::fs::read_to_string(p.state_file(&id, "view")).unwrap();
    let listed = |prefix: &str| -> Vec<String> {
        let line = view.lines().find_map(|l| l.strip_prefix(prefix)).unwrap_or_else(|| panic!("{prefix}: {view}"));
        line.split_whitespace().map(str::to_string).collect()
    };
    // The skeleton bubblewrap makes for the supervisor script and OpenCode (bound at their paths).
    let binaries = [p.dir.path().to_path_buf(), p.dir.path().join("opencode")];
    let holds_a_binary = |path: &str| binaries.iter().any(|b| b.starts_with(path));
    for top in listed("root: ") {
        let allowed = ["bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr", "etc", "proc", "dev", "tmp", "srv"];
        assert!(allowed.contains(&top.as_str()) || holds_a_binary(&format!("/{top}")), "/{top} is visible: {view}");
    }
    let etc_allowed: Vec<String> = oi_local_provider::sandbox_fs::ETC
        .iter()
        .map(|p| p.trim_start_matches("/etc/").split('/').next().unwrap().to_string())
        .chain(["passwd".to_string(), "group".to_string()])
        .collect();
    for entry in listed("etc: ") {
        assert!(etc_allowed.contains(&entry), "/etc/{entry} is visible: {view}");
    }
    for line in view.lines().filter_map(|l| l.strip_prefix("visible ")) {
        assert!(holds_a_binary(line), "{line} is visible: {view}");
    }
    assert!(view.contains("hidden /etc/shadow") && view.contains("hidden /run"), "{view}");
    assert!(view.contains(&format!("hidden {}", p.root.display())), "{view}");
    assert!(view.contains("userns refused") && view.contains("mountns refused"), "{view}");

    // New pid, user, uts, ipc and mount namespaces.
    let ns = std::fs::read_to_string(p.state_file(&id, "ns")).unwrap();
    for line in ns.lines() {
        let (kind, link) = line.split_once(' ').unwrap();
        let host = std::fs::read_link(format!("/proc/self/ns/{kind}")).unwrap();
        assert_ne!(link, host.to_str().unwrap(), "{kind} namespace is the host's");
    }
    assert_eq!(ns.lines().count(), 5, "{ns}");
    let inner_pid: i32 = std::fs::read_to_string(p.state_file(&id, "pid")).unwrap().trim().parse().unwrap();
    assert!(inner_pid <= 3, "the supervisor is pid {inner_pid}, not a low pid of a fresh namespace");
}

#[tokio::test]
async fn terminate_kills_everything_the_sandbox_started() {
    let marker = unique();
    let p = Provider::start(&marker, Options::default());
    let id = format!("sbx_term{marker}");
    p.create_ready(&request(&id, "https://example.com/app.git", "t")).await;
    assert!(!processes_with(&format!("1000.{marker}")).is_empty(), "the background sleep runs before terminate");

    let (status, body) = p.call("DELETE", &format!("/v1/sandboxes/{id}"), None).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("terminated")), "{body}");
    assert_eq!(p.survivors(&marker), Vec::<i32>::new(), "sandbox processes survived terminate");
    assert!(p.state_file(&id, "term").exists(), "the supervisor got SIGTERM first (graceful)");

    let (status, body) = p.call("DELETE", &format!("/v1/sandboxes/{id}"), None).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("terminated")), "idempotent: {body}");
    let (status, body) = p.call("GET", &format!("/v1/sandboxes/{id}"), None).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("terminated")), "{body}");
    let (status, body) = p.call("DELETE", "/v1/sandboxes/sbx_never_created", None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")), "{body}");
    let (status, _) = p.call("GET", "/v1/sandboxes/sbx_never_created", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_supervisor_that_exits_is_reported_with_its_code() {
    let marker = unique();
    let p = Provider::start(&marker, Options::default());
    let id = format!("sbx_exit{marker}");
    let mut req = request(&id, "https://example.com/app.git", "t");
    req.env.insert("EXIT_NOW".into(), "3".into());
    let (status, body) = p.create(&req).await;
    assert_eq!(status, 201, "{body}");
    let start = std::time::Instant::now();
    loop {
        let (_, body) = p.call("GET", &format!("/v1/sandboxes/{id}"), None).await;
        if body["status"] == "exited" {
            assert_eq!(body["exit_code"], 3, "{body}");
            break;
        }
        assert_eq!(body["status"], "running", "{body}");
        assert!(start.elapsed() < Duration::from_secs(20), "never exited: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, body) = p.call("DELETE", &format!("/v1/sandboxes/{id}"), None).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("terminated")), "{body}");
}

#[tokio::test]
async fn bad_requests_are_rejected_before_anything_starts() {
    let marker = unique();
    let p = Provider::start(&marker, Options::default());

    let mut req = request("sbx_reserved", "https://example.com/app.git", "t");
    req.env.insert(supervisor_env::SANDBOX_TOKEN.into(), "mine".into());
    let (status, body) = p.create(&req).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_request")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains(supervisor_env::SANDBOX_TOKEN), "{body}");
    assert!(!p.sandbox_dir("sbx_reserved").exists(), "nothing was created");

    for bad in ["../escape", "a/b", ".hidden", ""] {
        let req = request(bad, "https://example.com/app.git", "t");
        let (status, body) = p.create(&req).await;
        assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_request")), "{bad:?}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("sandbox_id"), "{body}");
    }
    assert!(!p.root.join("escape").exists());

    let req = request("sbx_local_missing", "/nonexistent/repo.git", "t");
    let (status, body) = p.create(&req).await;
    assert_eq!(status, 400, "a local repo must exist: {body}");

    let id = format!("sbx_dup{marker}");
    p.create_ready(&request(&id, "https://example.com/app.git", "t")).await;
    let (status, body) = p.create(&request(&id, "https://example.com/app.git", "t")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("conflict")), "{body}");

    let (status, body) = p
        .raw("POST", "/v1/sandboxes", Some(sign("POST", "/v1/sandboxes", "", b"{nope", now_ms())), b"{nope".to_vec())
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("bad_json")), "{body}");
    let (status, body) = p.call("POST", "/v1/sandboxes", Some(&json!({"sandbox_id": "x"}))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_request")), "{body}");

    let restore = json!({"snapshot_id": "snap_missing", "sandbox": request("sbx_r", "https://e/x.git", "t")});
    let (status, body) = p.call("POST", "/v1/sandboxes/restore", Some(&restore)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")), "{body}");
    let (status, body) = p.call("POST", "/v1/sandboxes/nope/snapshot", None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")), "{body}");
    let (status, body) = p.call("GET", "/v1/nothing", None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")), "{body}");
}

#[tokio::test]
async fn snapshot_then_restore_keeps_the_files_and_boots_in_restore_mode() {
    let marker = unique();
    let p = Provider::start(&marker, Options { runtime_version: Some("7.7.7-test"), ..Options::default() });
    let id = format!("sbx_snap{marker}");
    p.create_ready(&request(&id, "https://example.com/app.git", "t")).await;
    let dir = p.sandbox_dir(&id);
    std::fs::create_dir_all(dir.join("workspace/src")).unwrap();
    std::fs::write(dir.join("workspace/src/main.rs"), "fn main() {}\n").unwrap();
    std::fs::write(dir.join("state/session.db"), vec![7u8; 4096]).unwrap();

    let (status, body) = p.call("POST", &format!("/v1/sandboxes/{id}/snapshot"), None).await;
    assert_eq!(status, 201, "{body}");
    let snap: SnapshotInfo = serde_json::from_value(body).unwrap();
    assert_eq!((snap.sandbox_id.as_str(), snap.runtime_version.as_str()), (id.as_str(), "7.7.7-test"));
    assert!(snap.size_bytes.unwrap() >= 4096 + 13, "{snap:?}");
    let snap_dir = p.root.join("snapshots").join(&snap.snapshot_id);
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(snap_dir.join("snapshot.json")).unwrap()).unwrap();
    assert_eq!(meta["session_id"], format!("ses_{id}"));
    assert_eq!(meta["runtime_version"], "7.7.7-test");
    assert!(meta["created_at"].as_i64().unwrap() > 0);

    let (status, _) = p.call("DELETE", &format!("/v1/sandboxes/{id}"), None).await;
    assert_eq!(status, 200);

    let new_id = format!("sbx_rest{marker}");
    let restore =
        json!({"snapshot_id": snap.snapshot_id, "sandbox": request(&new_id, "https://example.com/app.git", "t2")});
    let (status, body) = p.call("POST", "/v1/sandboxes/restore", Some(&restore)).await;
    assert_eq!((status, body["status"].as_str()), (201, Some("running")), "{body}");
    wait_for_file(&p.state_file(&new_id, "ready")).await;
    let new_dir = p.sandbox_dir(&new_id);
    assert_eq!(std::fs::read_to_string(new_dir.join("workspace/src/main.rs")).unwrap(), "fn main() {}\n");
    assert_eq!(std::fs::read(new_dir.join("state/session.db")).unwrap().len(), 4096);
    assert!(new_dir.join("workspace/ok").exists(), "what the first supervisor wrote came along");
    let env = read_env(&p.state_file(&new_id, "env"));
    let var = |name: &str| env.iter().find(|(k, _)| k == name).unwrap().1.clone();
    assert_eq!(var(supervisor_env::BOOT_MODE), "snapshot_restore");
    assert_eq!(var(supervisor_env::SANDBOX_ID), new_id);
    assert_eq!(std::fs::read_to_string(p.state_file(&new_id, "token")).unwrap(), "t2");
    assert_eq!(var(supervisor_env::WORKSPACE), "/srv/workspace", "the same path as before the snapshot");

    let (status, _) = p.call("POST", "/v1/sandboxes/restore", Some(&restore)).await;
    assert_eq!(status, 409, "the restored id is taken");
}

#[tokio::test]
async fn an_isolated_sandbox_has_only_loopback_and_its_gateway() {
    let marker = unique();
    let p = Provider::start(&marker, Options { network: "isolated", ..Options::default() });
    let id = format!("sbx_net{marker}");
    p.create_ready(&request(&id, "https://example.com/app.git", "tok-net")).await;
    let env = read_env(&p.state_file(&id, "env"));
    let var = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    assert_eq!(var(supervisor_env::NETWORK_GATEWAY).as_deref(), Some("/srv/net/gateway.sock"));
    let devices = std::fs::read_to_string(p.state_file(&id, "netdev")).unwrap();
    let names: Vec<&str> = devices.lines().skip(2).filter_map(|l| l.split(':').next()).map(str::trim).collect();
    assert_eq!(names, ["lo"], "only loopback inside:\n{devices}");
    assert!(p.sandbox_dir(&id).join("net/gateway.sock").exists(), "the gateway socket is served");
    // With the host's network, the host's devices are there.
    let host = Provider::start(&format!("{marker}h"), Options::default());
    let hid = format!("sbx_host{marker}");
    host.create_ready(&request(&hid, "https://example.com/app.git", "tok-host")).await;
    let devices = std::fs::read_to_string(host.state_file(&hid, "netdev")).unwrap();
    assert!(devices.lines().skip(2).any(|l| !l.trim_start().starts_with("lo:")), "{devices}");
}
