//! How a supervisor is isolated: the bubblewrap command line (docs/sandbox-provider.md, "The
//! local provider").

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// How sandboxes are isolated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Isolation {
    /// bubblewrap: new user, pid, ipc and uts namespaces; the host read-only.
    #[default]
    Bwrap,
    /// UNSAFE, for debugging only: a plain process group with the provider's full access to the
    /// host. The environment is still built from scratch.
    None,
}

/// The file descriptor bwrap writes its `--info-fd` JSON to (child pid and namespace ids).
pub const INFO_FD: i32 = 3;

/// What the sandbox sees besides the read-only host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mounts {
    /// The provider's root: hidden behind an empty tmpfs, so a sandbox sees no other sandbox,
    /// snapshot or log.
    pub root: PathBuf,
    /// Bound read-write, and the working directory.
    pub workspace: PathBuf,
    /// Bound read-write.
    pub state: PathBuf,
    /// The supervisor, bound read-only (so it is visible even under `/tmp` or the root).
    pub agent_bin: PathBuf,
    /// The pinned `opencode`, bound read-only when it exists.
    pub opencode_bin: PathBuf,
    /// With a private network: the host directory holding the sandbox's gateway socket, bound
    /// read-only at [`crate::gateway::INSIDE_GATEWAY_DIR`].
    pub net_dir: Option<PathBuf>,
}

fn push(args: &mut Vec<OsString>, items: &[&str]) {
    args.extend(items.iter().map(OsString::from));
}

fn push_bind(args: &mut Vec<OsString>, flag: &str, path: &Path) {
    args.push(flag.into());
    args.push(path.into());
    args.push(path.into());
}

/// bwrap's arguments (without the `bwrap` itself), ending in `-- <agent bin>`. Order matters:
/// the later mounts go on top of the earlier ones.
pub fn bwrap_args(m: &Mounts) -> Vec<OsString> {
    let mut args = Vec::new();
    push(
        &mut args,
        &["--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent", "--new-session"],
    );
    if m.net_dir.is_some() {
        // A private network namespace: only loopback, and the gateway socket.
        push(&mut args, &["--unshare-net"]);
    }
    push(
        &mut args,
        &[
            // As root, bwrap would otherwise keep every capability inside the user namespace,
            // enough to remount the read-only host writable.
            "--cap-drop",
            "ALL",
            "--ro-bind",
            "/",
            "/",
            "--tmpfs",
            "/tmp",
            "--proc",
            "/proc",
            "--dev",
            "/dev",
        ],
    );
    args.push("--tmpfs".into());
    args.push(m.root.clone().into());
    // The workspace and state at the same paths in every sandbox (see layout::INSIDE_ROOT).
    push(&mut args, &["--tmpfs", crate::layout::INSIDE_ROOT]);
    args.push("--bind".into());
    args.push(m.workspace.clone().into());
    args.push(crate::layout::INSIDE_WORKSPACE.into());
    args.push("--bind".into());
    args.push(m.state.clone().into());
    args.push(crate::layout::INSIDE_STATE.into());
    if let Some(net) = &m.net_dir {
        args.push("--ro-bind".into());
        args.push(net.into());
        args.push(crate::gateway::INSIDE_GATEWAY_DIR.into());
    }
    push_bind(&mut args, "--ro-bind", &m.agent_bin);
    push_bind(&mut args, "--ro-bind-try", &m.opencode_bin);
    args.push("--chdir".into());
    args.push(crate::layout::INSIDE_WORKSPACE.into());
    args.push("--info-fd".into());
    args.push(INFO_FD.to_string().into());
    args.push("--".into());
    args.push(m.agent_bin.clone().into());
    args
}

/// What bwrap reports on `--info-fd`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub struct BwrapInfo {
    /// The host pid of the sandbox's pid 1.
    #[serde(rename = "child-pid")]
    pub child_pid: i32,
    /// The inode of the sandbox's pid namespace.
    #[serde(rename = "pid-namespace")]
    pub pid_namespace: Option<u64>,
}

/// Parses bwrap's `--info-fd` output.
pub fn parse_info(text: &str) -> Option<BwrapInfo> {
    serde_json::from_str(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mounts() -> Mounts {
        Mounts {
            root: "/var/oi".into(),
            workspace: "/var/oi/sandboxes/s/workspace".into(),
            state: "/var/oi/sandboxes/s/state".into(),
            agent_bin: "/usr/local/bin/sandbox-agent".into(),
            opencode_bin: "/opt/opencode".into(),
            net_dir: None,
        }
    }

    #[test]
    fn a_private_network_unshares_the_namespace_and_binds_the_gateway() {
        let m = Mounts { net_dir: Some("/var/oi/sandboxes/s/net".into()), ..mounts() };
        let args = bwrap_args(&m).into_iter().map(|a| a.into_string().unwrap()).collect::<Vec<_>>().join(" ");
        assert!(args.contains("--new-session --unshare-net --cap-drop ALL"), "{args}");
        assert!(
            args.contains("--bind /var/oi/sandboxes/s/state /srv/state --ro-bind /var/oi/sandboxes/s/net /srv/net "),
            "{args}"
        );
        let host = bwrap_args(&mounts()).into_iter().map(|a| a.into_string().unwrap()).collect::<Vec<_>>().join(" ");
        assert!(!host.contains("--unshare-net"));
    }

    #[test]
    fn the_exact_command_line() {
        let args: Vec<String> = bwrap_args(&mounts()).into_iter().map(|a| a.into_string().unwrap()).collect();
        let expected = "--unshare-user --unshare-pid --unshare-ipc --unshare-uts --die-with-parent --new-session \
             --cap-drop ALL --ro-bind / / --tmpfs /tmp --proc /proc --dev /dev --tmpfs /var/oi \
             --tmpfs /srv --bind /var/oi/sandboxes/s/workspace /srv/workspace \
             --bind /var/oi/sandboxes/s/state /srv/state \
             --ro-bind /usr/local/bin/sandbox-agent /usr/local/bin/sandbox-agent \
             --ro-bind-try /opt/opencode /opt/opencode \
             --chdir /srv/workspace --info-fd 3 -- /usr/local/bin/sandbox-agent";
        assert_eq!(args.join(" "), expected);
    }

    #[test]
    fn writable_binds_come_after_the_tmpfs_that_would_hide_them() {
        let args = bwrap_args(&mounts());
        let pos = |s: &str| args.iter().position(|a| a == s).unwrap();
        assert!(pos("/tmp") < pos("/var/oi"));
        assert!(pos("/var/oi") < pos("/var/oi/sandboxes/s/workspace"));
        assert!(!args.iter().any(|a| a == "--share-net" || a == "--unshare-net"));
    }

    #[test]
    fn parses_the_info_fd_json() {
        let info = parse_info(
            "{\n    \"child-pid\": 12061,\n    \"ipc-namespace\": 4026532182,\n    \"pid-namespace\": 4026532183\n}",
        )
        .unwrap();
        assert_eq!(info, BwrapInfo { child_pid: 12061, pid_namespace: Some(4026532183) });
        assert_eq!(parse_info(""), None);
    }
}
