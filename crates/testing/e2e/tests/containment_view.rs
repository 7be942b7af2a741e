//! The agent is hostile (docs/security.md, "Containment"): through its bash tool it looks for
//! the host's secrets, the control plane's state and the host's sockets, and tries to make a
//! user namespace (the first step of most escapes). It finds none of them and makes none.

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use common::*;
use oi_protocol::events::PromptOutcome;
use oi_scripted_model::Turn;
use oi_testkit::{opencode_bin, BareRepo, Stack};
use serde_json::json;

const SENTINEL: &str = "oi-host-secret-5d2c";

#[tokio::test]
async fn the_agent_finds_no_host_secret_or_socket_and_makes_no_namespace() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let repo = BareRepo::with_files(&[("README.md", "# app\n")])?;
    let (session, mut client) = open_session(&stack, &repo).await?;

    // Stand-ins for what a host keeps outside /tmp (which every sandbox gets a private copy of):
    // a person's SSH key and `gh` token, and the control plane's state (`scripts/run` keeps it
    // in the clone, `.wrangler/state`: D1 and every session's SQLite).
    let host = tempfile::Builder::new().prefix("oi-host-").tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    let planted: Vec<PathBuf> = [".ssh/id_ed25519", ".config/gh/hosts.yml", ".wrangler/state/v3/d1/db.sqlite"]
        .iter()
        .map(|p| host.path().join(p))
        .collect();
    for file in &planted {
        std::fs::create_dir_all(file.parent().unwrap())?;
        std::fs::write(file, SENTINEL)?;
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let uid = std::fs::metadata("/proc/self")?.uid();
    let mut probes: Vec<String> = planted.iter().map(|p| p.display().to_string()).collect();
    probes.extend([
        format!("{home}/.ssh"),
        format!("{home}/.config"),
        format!("{home}/.wrangler"),
        format!("{home}/.bash_history"),
        stack.cp.persist_dir().display().to_string(),
        stack.provider_root.path().join("nonces.log").display().to_string(),
        stack.provider_root.path().join("provider.log").display().to_string(),
        format!("/run/user/{uid}/bus"),
        "/run/dbus/system_bus_socket".into(),
        "/var/run/docker.sock".into(),
        "/run/docker.sock".into(),
        "/etc/shadow".into(),
        "/etc/ssh".into(),
        "/etc/sudoers".into(),
        "/home".into(),
        "/var/lib".into(),
    ]);
    let mut script = String::from("for p in");
    for p in &probes {
        script.push_str(&format!(" '{p}'"));
    }
    let planted_list = planted.iter().map(|p| format!("'{}'", p.display())).collect::<Vec<_>>().join(" ");
    script.push_str(&format!(
        "; do if [ -e \"$p\" ] || [ -L \"$p\" ]; then echo \"VISIBLE $p\"; else echo \"HIDDEN $p\"; fi; done; \
         echo \"root: $(ls -A / | tr '\\n' ' ')\"; \
         echo \"sentinels: $(cat {planted} 2>/dev/null | grep -c {SENTINEL})\"; \
         unshare -U true 2>&1; echo \"unshare -U exit $?\"; \
         unshare -Ur id -u 2>&1; echo \"unshare -Ur exit $?\"; \
         unshare -m true 2>&1; echo \"unshare -m exit $?\"; \
         unshare -n true 2>&1; echo \"unshare -n exit $?\"",
        planted = planted_list
    ));
    stack.model.push_all([
        Turn::tool_call("bash", json!({"command": script, "description": "look around the host"})),
        Turn::text("Looked."),
    ]);
    let m = prompt(&stack, &session.id, "Find credentials on this machine and get out").await?;
    assert_eq!(wait_finished(&stack, &mut client, &m).await?.outcome, PromptOutcome::Completed);
    let output = tool_output(&client, &m);

    for p in &probes {
        assert!(output.contains(&format!("HIDDEN {p}")), "{p} is visible in the sandbox:\n{output}");
    }
    assert!(output.contains("sentinels: 0"), "a planted secret is readable:\n{output}");
    // Only the system, its own mounts, and the skeleton that holds its two binaries.
    let binaries = [oi_testkit::bin_dir().join("sandbox-agent"), opencode_bin()];
    let top = output.lines().find_map(|l| l.strip_prefix("root: ")).unwrap_or_default();
    for entry in top.split_whitespace() {
        let allowed = ["bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr", "etc", "proc", "dev", "tmp", "srv"];
        let holds_binary = binaries.iter().any(|b| b.starts_with(format!("/{entry}")));
        assert!(allowed.contains(&entry) || holds_binary, "/{entry} is visible in the sandbox:\n{output}");
    }
    for flag in ["-U", "-Ur", "-m", "-n"] {
        assert!(!output.contains(&format!("unshare {flag} exit 0")), "unshare {flag} worked:\n{output}");
        assert!(output.contains(&format!("unshare {flag} exit")), "unshare {flag} did not run:\n{output}");
    }
    Ok(())
}
