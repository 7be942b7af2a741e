//! How a supervisor is isolated: the bubblewrap command line (docs/sandbox-provider.md, "The
//! local provider"; docs/security.md, "Containment").
//!
//! Invariant: a sandbox gets new user, pid, ipc and uts namespaces (and network, when
//! isolated), no capabilities, no further user namespaces, the seccomp filter, and a root
//! built only from [`Containment::view`] (read-only), fresh `/proc`, `/dev` and `/tmp`, its
//! own workspace and state (the only writable host directories) and its two binaries.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::sandbox_fs::Mount;

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

/// What every sandbox of this provider gets, decided once when it starts
/// ([`crate::server`]): docs/security.md, "Containment".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Containment {
    /// What it sees of the host ([`crate::sandbox_fs::view`]): an allowlist, read-only.
    pub view: Vec<Mount>,
    /// `--disable-userns` (bubblewrap 0.8 or later): no user namespace inside.
    pub disable_userns: bool,
    /// The seccomp programs ([`crate::seccomp::programs`]), one `--add-seccomp-fd` each.
    pub seccomp: Vec<Vec<u8>>,
}

/// The sandbox's own directories and binaries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mounts {
    /// Bound read-write, and the working directory.
    pub workspace: PathBuf,
    /// Bound read-write.
    pub state: PathBuf,
    /// The supervisor, bound read-only at its host path (canonical).
    pub agent_bin: PathBuf,
    /// The pinned `opencode`, bound read-only at its host path when it exists.
    pub opencode_bin: PathBuf,
    /// With a private network: the host directory holding the sandbox's gateway socket, bound
    /// read-only at [`crate::gateway::INSIDE_GATEWAY_DIR`].
    pub net_dir: Option<PathBuf>,
}

/// The descriptors bwrap reads: where it reports the sandbox's pid (`--info-fd`) and the
/// seccomp programs, one per [`Containment::seccomp`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fds {
    pub info: i32,
    pub seccomp: Vec<i32>,
}

fn push(args: &mut Vec<OsString>, items: &[&str]) {
    args.extend(items.iter().map(OsString::from));
}

fn push_mount(args: &mut Vec<OsString>, flag: &str, source: impl Into<OsString>, dest: impl Into<OsString>) {
    args.push(flag.into());
    args.push(source.into());
    args.push(dest.into());
}

/// The view's mounts as bwrap's arguments.
pub fn view_args(view: &[Mount]) -> Vec<OsString> {
    let mut args = Vec::new();
    for mount in view {
        match mount {
            Mount::ReadOnly { source, dest } => push_mount(&mut args, "--ro-bind", source, dest),
            Mount::Symlink { target, dest } => push_mount(&mut args, "--symlink", target, dest),
            Mount::Hide(dest) => {
                args.push("--tmpfs".into());
                args.push(dest.into());
            }
        }
    }
    args
}

/// bwrap's arguments (without the `bwrap` itself), ending in `-- <agent bin>`. Order matters:
/// later mounts go on top of earlier ones, and the root (an empty tmpfs of bwrap's) is made
/// read-only last.
pub fn bwrap_args(c: &Containment, m: &Mounts, fds: &Fds) -> Vec<OsString> {
    let mut args = Vec::new();
    push(&mut args, &["--unshare-user"]);
    if c.disable_userns {
        push(&mut args, &["--disable-userns"]);
    }
    push(&mut args, &["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent", "--new-session"]);
    if m.net_dir.is_some() {
        // A private network namespace: only loopback, and the gateway socket.
        push(&mut args, &["--unshare-net"]);
    }
    // As root, bwrap would otherwise keep every capability inside the user namespace.
    push(&mut args, &["--cap-drop", "ALL"]);
    args.extend(view_args(&c.view));
    push(&mut args, &["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]);
    // The workspace and state at the same paths in every sandbox (see layout::INSIDE_ROOT).
    push_mount(&mut args, "--bind", &m.workspace, crate::layout::INSIDE_WORKSPACE);
    push_mount(&mut args, "--bind", &m.state, crate::layout::INSIDE_STATE);
    if let Some(net) = &m.net_dir {
        push_mount(&mut args, "--ro-bind", net, crate::gateway::INSIDE_GATEWAY_DIR);
    }
    push_mount(&mut args, "--ro-bind", &m.agent_bin, &m.agent_bin);
    push_mount(&mut args, "--ro-bind-try", &m.opencode_bin, &m.opencode_bin);
    push(&mut args, &["--remount-ro", "/"]);
    for fd in &fds.seccomp {
        push(&mut args, &["--add-seccomp-fd", &fd.to_string()]);
    }
    push(&mut args, &["--chdir", crate::layout::INSIDE_WORKSPACE, "--info-fd", &fds.info.to_string(), "--"]);
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
            workspace: "/var/oi/sandboxes/s/workspace".into(),
            state: "/var/oi/sandboxes/s/state".into(),
            agent_bin: "/usr/local/bin/sandbox-agent".into(),
            opencode_bin: "/opt/opencode".into(),
            net_dir: None,
        }
    }

    fn containment() -> Containment {
        Containment {
            view: vec![
                Mount::ReadOnly { source: "/usr".into(), dest: "/usr".into() },
                Mount::Symlink { target: "usr/bin".into(), dest: "/bin".into() },
                Mount::ReadOnly { source: "/var/oi/sandbox-etc/passwd".into(), dest: "/etc/passwd".into() },
                Mount::Hide("/usr/oi".into()),
            ],
            disable_userns: true,
            seccomp: vec![vec![0; 8], vec![0; 8]],
        }
    }

    fn fds() -> Fds {
        Fds { info: 11, seccomp: vec![12, 13] }
    }

    fn line(c: &Containment, m: &Mounts) -> String {
        bwrap_args(c, m, &fds()).into_iter().map(|a| a.into_string().unwrap()).collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn a_private_network_unshares_the_namespace_and_binds_the_gateway() {
        let m = Mounts { net_dir: Some("/var/oi/sandboxes/s/net".into()), ..mounts() };
        let args = line(&containment(), &m);
        assert!(args.contains("--new-session --unshare-net --cap-drop ALL"), "{args}");
        assert!(
            args.contains("--bind /var/oi/sandboxes/s/state /srv/state --ro-bind /var/oi/sandboxes/s/net /srv/net "),
            "{args}"
        );
        assert!(!line(&containment(), &mounts()).contains("--unshare-net"));
    }

    #[test]
    fn the_exact_command_line() {
        let expected = "--unshare-user --disable-userns --unshare-pid --unshare-ipc --unshare-uts --die-with-parent \
             --new-session --cap-drop ALL \
             --ro-bind /usr /usr --symlink usr/bin /bin --ro-bind /var/oi/sandbox-etc/passwd /etc/passwd \
             --tmpfs /usr/oi --proc /proc --dev /dev --tmpfs /tmp \
             --bind /var/oi/sandboxes/s/workspace /srv/workspace \
             --bind /var/oi/sandboxes/s/state /srv/state \
             --ro-bind /usr/local/bin/sandbox-agent /usr/local/bin/sandbox-agent \
             --ro-bind-try /opt/opencode /opt/opencode --remount-ro / \
             --add-seccomp-fd 12 --add-seccomp-fd 13 \
             --chdir /srv/workspace --info-fd 11 -- /usr/local/bin/sandbox-agent";
        assert_eq!(line(&containment(), &mounts()), expected);
        let old_bwrap = Containment { disable_userns: false, ..containment() };
        assert!(line(&old_bwrap, &mounts()).starts_with("--unshare-user --unshare-pid "));
    }

    #[test]
    fn nothing_of_the_host_but_the_view_and_the_sandbox_s_own() {
        let args = bwrap_args(&containment(), &mounts(), &fds());
        let pos = |s: &str| args.iter().position(|a| a == s).unwrap();
        assert!(!line(&containment(), &mounts()).contains(" / /"), "never the host's root");
        let writable: Vec<_> = args.windows(3).filter(|w| w[0] == "--bind").map(|w| w[1].clone()).collect();
        assert_eq!(writable, ["/var/oi/sandboxes/s/workspace", "/var/oi/sandboxes/s/state"]);
        // The sandbox's own mounts go on top of the view, and the root turns read-only last.
        assert!(pos("/usr/oi") < pos("/tmp") && pos("/tmp") < pos("/var/oi/sandboxes/s/workspace"));
        assert!(pos("--remount-ro") > pos("/opt/opencode"));
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
