//! What a sandbox sees of the host's filesystem (docs/security.md, "Containment"): an
//! allowlist built once when the provider starts, never the host's root.
//!
//! Invariant: a host path is visible in a sandbox only when it is in [`SYSTEM`], in [`ETC`], in
//! the operator's `--expose` list (or a TLS-trust path of the provider's environment), or is
//! the sandbox's own workspace, state, gateway, supervisor or OpenCode binary
//! ([`crate::isolation`]); whatever comes from the host is read-only, and the provider's root
//! is never visible (an empty tmpfs covers it wherever a visible directory holds it). So
//! `$HOME`, `/root`, `/home`, `/run`, `/var`, the host's `/tmp`, the control plane's state and
//! every host socket are simply absent.

use std::path::{Component, Path, PathBuf};

/// The system's programs and libraries: `/usr`, and the `/bin`, `/sbin` and `/lib*` that are
/// symlinks into it on a merged-`/usr` system (read-only directories otherwise).
pub const SYSTEM: &[&str] = &["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

/// What of `/etc` git, shells, package managers, TLS clients and OpenCode need: name
/// resolution, TLS trust, the dynamic loader, time zones, Debian's alternatives. Not
/// `passwd`/`group` (minimal ones are generated, [`passwd`]), `shadow`, `ssh`, `ssl/private`,
/// `gitconfig`, `npmrc`, `pip.conf` (which may hold credentials) or anything else.
pub const ETC: &[&str] = &[
    "/etc/hosts",
    "/etc/resolv.conf",
    "/etc/nsswitch.conf",
    "/etc/host.conf",
    "/etc/gai.conf",
    "/etc/services",
    "/etc/protocols",
    "/etc/ssl/certs",
    "/etc/ssl/openssl.cnf",
    "/etc/ca-certificates",
    "/etc/ca-certificates.conf",
    "/etc/pki/tls/certs",
    "/etc/pki/ca-trust",
    "/etc/alternatives",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/timezone",
    "/etc/mime.types",
    "/etc/os-release",
    "/etc/debian_version",
    "/etc/shells",
    "/etc/profile",
    "/etc/bash.bashrc",
    "/etc/inputrc",
    "/etc/terminfo",
    "/etc/locale.alias",
    "/etc/mtab",
];

/// Where a symlink of the lists above may keep pointing: places with the same content inside.
const LINK_TARGETS: &[&str] = &["/usr", "/proc"];

/// Host paths that may not be exposed, nor any directory holding one: credentials, other
/// users, the whole of `/etc`.
pub const NEVER_WHOLE: &[&str] = &["/root", "/home", "/etc"];

/// Host paths nothing inside of which may be exposed: sockets and runtime state, the host's
/// temporary files, kernel interfaces, and the places a sandbox's own mounts cover.
pub const NEVER_INSIDE: &[&str] = &["/run", "/var/run", "/tmp", "/var/tmp", "/proc", "/sys", "/dev", "/boot", "/srv"];

/// How one host path looked when the provider started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    Missing,
    /// A file or a directory, and its canonical path.
    Real(PathBuf),
    /// A symbolic link: its target as written, and its canonical path (`None` when dangling).
    Link {
        target: PathBuf,
        resolved: Option<PathBuf>,
    },
}

/// One piece of the sandbox's view of the host, in bubblewrap's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mount {
    /// `--ro-bind <source> <dest>`: `source` is canonical (bubblewrap resolves a symlink in it
    /// inside the new root, where its target may not exist).
    ReadOnly { source: PathBuf, dest: PathBuf },
    /// `--symlink <target> <dest>`.
    Symlink { target: PathBuf, dest: PathBuf },
    /// `--tmpfs <dest>`: hides what a read-only mount above would show there.
    Hide(PathBuf),
}

/// `path` with `.` and `..` removed, without touching the filesystem.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(part) => out.push(part),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

fn under_any(path: &Path, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|p| path.starts_with(p))
}

/// The mount that shows host path `dest` (one of [`SYSTEM`] or [`ETC`]) as it is on the host:
/// a symlink into `/usr` or `/proc` stays a symlink, any other is replaced by what it points to
/// (so `/etc/resolv.conf` pointing into the hidden `/run` still works); nothing when missing.
pub fn show(dest: &Path, found: &Found) -> Option<Mount> {
    match found {
        Found::Missing | Found::Link { resolved: None, .. } => None,
        Found::Real(source) => Some(Mount::ReadOnly { source: source.clone(), dest: dest.to_path_buf() }),
        Found::Link { target, resolved: Some(resolved) } => {
            let lexical = normalize(&dest.parent().unwrap_or(Path::new("/")).join(target));
            if under_any(&lexical, LINK_TARGETS) && under_any(resolved, LINK_TARGETS) {
                Some(Mount::Symlink { target: target.clone(), dest: dest.to_path_buf() })
            } else {
                Some(Mount::ReadOnly { source: resolved.clone(), dest: dest.to_path_buf() })
            }
        }
    }
}

/// Whether the operator may expose `path` (as given and as it resolves) to every sandbox:
/// absolute, not inside the provider's `root`, not inside one of [`NEVER_INSIDE`], and neither
/// one of [`NEVER_WHOLE`], [`NEVER_INSIDE`] or `home` nor a directory holding one (so not `/`).
pub fn check_expose(path: &Path, resolved: &Path, home: Option<&Path>, root: &Path) -> Result<(), String> {
    if !path.is_absolute() {
        return Err(format!("{} is not an absolute path", path.display()));
    }
    for p in [normalize(path), resolved.to_path_buf()] {
        if p == Path::new("/") {
            return Err(format!("{} would expose the whole host", path.display()));
        }
        if p.starts_with(root) {
            return Err(format!("{} is inside the provider's root", path.display()));
        }
        if let Some(inside) = NEVER_INSIDE.iter().find(|n| p.starts_with(n)) {
            return Err(format!("{} is inside {inside}, which sandboxes must not see", path.display()));
        }
        let whole = NEVER_WHOLE.iter().chain(NEVER_INSIDE).map(PathBuf::from).chain(home.map(Path::to_path_buf));
        if let Some(hit) = whole.into_iter().find(|n| n.starts_with(&p)) {
            return Err(format!("{} would expose {}, which sandboxes must not see", path.display(), hit.display()));
        }
    }
    Ok(())
}

/// The whole view: the system, `/etc`, the generated `passwd` and `group` (`etc_files`, each
/// `(host file, path inside)`), the exposed paths (`(path, canonical)`), then an empty tmpfs
/// over every `hidden` path a read-only mount would otherwise show.
pub fn view(
    system: &[(PathBuf, Found)],
    etc: &[(PathBuf, Found)],
    etc_files: &[(PathBuf, PathBuf)],
    exposed: &[(PathBuf, PathBuf)],
    hidden: &[PathBuf],
) -> Vec<Mount> {
    let mut mounts: Vec<Mount> = system.iter().chain(etc).filter_map(|(dest, found)| show(dest, found)).collect();
    for (source, dest) in etc_files {
        mounts.push(Mount::ReadOnly { source: source.clone(), dest: dest.clone() });
    }
    for (dest, source) in exposed {
        mounts.push(Mount::ReadOnly { source: source.clone(), dest: dest.clone() });
    }
    let mut hides = vec![];
    for h in hidden {
        for m in &mounts {
            if let Mount::ReadOnly { source, dest } = m {
                if let Ok(rest) = h.strip_prefix(source) {
                    let inside = dest.join(rest);
                    if !hides.contains(&Mount::Hide(inside.clone())) {
                        hides.push(Mount::Hide(inside));
                    }
                }
            }
        }
    }
    mounts.extend(hides);
    mounts
}

/// A minimal `/etc/passwd` and `/etc/group` for a sandbox whose user is `uid`/`gid` (the
/// provider's own, as bubblewrap maps it): that user (home: the sandbox's `HOME`), root and
/// nobody, nothing of the host's accounts.
pub fn passwd(uid: u32, gid: u32) -> (String, String) {
    let home = format!("{}/home", crate::layout::INSIDE_STATE);
    let mut users = vec![format!("root:x:0:0:root:{home}:/bin/sh")];
    let mut groups = vec!["root:x:0:".to_string()];
    if uid != 0 {
        users.push(format!("sandbox:x:{uid}:{gid}:sandbox:{home}:/bin/sh"));
    }
    if gid != 0 {
        groups.push(format!("sandbox:x:{gid}:"));
    }
    users.push("nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin".into());
    groups.push("nogroup:x:65534:".into());
    (users.join("\n") + "\n", groups.join("\n") + "\n")
}

/// Looks at one host path.
pub fn inspect(path: &Path) -> Found {
    match std::fs::symlink_metadata(path) {
        Err(_) => Found::Missing,
        Ok(meta) if meta.file_type().is_symlink() => {
            Found::Link { target: std::fs::read_link(path).unwrap_or_default(), resolved: path.canonicalize().ok() }
        }
        Ok(_) => path.canonicalize().map(Found::Real).unwrap_or(Found::Missing),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> PathBuf {
        PathBuf::from(s)
    }

    fn link(target: &str, resolved: Option<&str>) -> Found {
        Found::Link { target: p(target), resolved: resolved.map(p) }
    }

    #[test]
    fn symlinks_into_usr_or_proc_stay_others_are_replaced_by_their_target() {
        let cases = [
            ("/bin", link("usr/bin", Some("/usr/bin")), Some(Mount::Symlink { target: p("usr/bin"), dest: p("/bin") })),
            ("/bin", Found::Real(p("/bin")), Some(Mount::ReadOnly { source: p("/bin"), dest: p("/bin") })),
            ("/lib32", Found::Missing, None),
            (
                "/etc/os-release",
                link("../usr/lib/os-release", Some("/usr/lib/os-release")),
                Some(Mount::Symlink { target: p("../usr/lib/os-release"), dest: p("/etc/os-release") }),
            ),
            (
                "/etc/mtab",
                link("../proc/self/mounts", Some("/proc/4242/mounts")),
                Some(Mount::Symlink { target: p("../proc/self/mounts"), dest: p("/etc/mtab") }),
            ),
            (
                "/etc/resolv.conf",
                link("/run/systemd/resolve/stub-resolv.conf", Some("/run/systemd/resolve/stub-resolv.conf")),
                Some(Mount::ReadOnly {
                    source: p("/run/systemd/resolve/stub-resolv.conf"),
                    dest: p("/etc/resolv.conf"),
                }),
            ),
            // A link that only looks like it goes into /usr is bound as what it really is.
            (
                "/etc/localtime",
                link("/usr/share/zoneinfo/UTC", Some("/opt/tz/UTC")),
                Some(Mount::ReadOnly { source: p("/opt/tz/UTC"), dest: p("/etc/localtime") }),
            ),
            ("/etc/hosts", link("/nowhere", None), None),
        ];
        for (dest, found, want) in cases {
            assert_eq!(show(Path::new(dest), &found), want, "{dest} {found:?}");
        }
    }

    #[test]
    fn what_may_be_exposed() {
        let root = p("/var/lib/oi");
        let home = p("/home/dev");
        let check = |path: &str, resolved: &str| check_expose(Path::new(path), Path::new(resolved), Some(&home), &root);
        for ok in ["/opt/node", "/usr/local/go", "/home/dev/.rustup", "/root/.cargo", "/etc/pki/extra", "/nix/store"] {
            assert_eq!(check(ok, ok), Ok(()), "{ok}");
        }
        let refused = [
            ("relative/path", "/x", "not an absolute path"),
            ("/", "/", "whole host"),
            ("/opt/../", "/", "whole host"),
            ("/var/lib/oi/sandboxes", "/var/lib/oi/sandboxes", "provider's root"),
            ("/opt/link", "/var/lib/oi", "provider's root"),
            ("/home", "/home", "/home"),
            ("/var", "/var", "/var/run"),
            ("/root", "/root", "/root"),
            ("/etc", "/etc", "/etc"),
            ("/opt/innocent", "/root", "/root"),
            ("/run/user/1000", "/run/user/1000", "inside /run"),
            ("/var/run/docker.sock", "/run/docker.sock", "inside /var/run"),
            ("/tmp/tools", "/tmp/tools", "inside /tmp"),
            ("/srv/tools", "/srv/tools", "inside /srv"),
        ];
        for (path, resolved, why) in refused {
            let e = check(path, resolved).unwrap_err();
            assert!(e.contains(why), "{path}: {e}");
        }
        let e = check_expose(Path::new("/home"), Path::new("/home"), None, &root).unwrap_err();
        assert!(e.contains("/home"), "{e}");
        let e = check_expose(Path::new("/data"), Path::new("/data"), Some(Path::new("/data/me")), &root).unwrap_err();
        assert!(e.contains("/data/me"), "the provider's $HOME: {e}");
    }

    #[test]
    fn the_view_lists_system_etc_generated_and_exposed_then_hides_the_root() {
        let system = [(p("/usr"), Found::Real(p("/usr"))), (p("/bin"), link("usr/bin", Some("/usr/bin")))];
        let etc = [(p("/etc/hosts"), Found::Real(p("/etc/hosts"))), (p("/etc/shells"), Found::Missing)];
        let etc_files = [(p("/var/lib/oi/sandbox-etc/passwd"), p("/etc/passwd"))];
        let exposed = [(p("/opt/tools"), p("/data/tools"))];
        let hidden = [p("/data/tools/oi"), p("/usr/local/oi"), p("/var/lib/oi")];
        let mounts = view(&system, &etc, &etc_files, &exposed, &hidden);
        assert_eq!(
            mounts,
            vec![
                Mount::ReadOnly { source: p("/usr"), dest: p("/usr") },
                Mount::Symlink { target: p("usr/bin"), dest: p("/bin") },
                Mount::ReadOnly { source: p("/etc/hosts"), dest: p("/etc/hosts") },
                Mount::ReadOnly { source: p("/var/lib/oi/sandbox-etc/passwd"), dest: p("/etc/passwd") },
                Mount::ReadOnly { source: p("/data/tools"), dest: p("/opt/tools") },
                Mount::Hide(p("/opt/tools/oi")),
                Mount::Hide(p("/usr/local/oi")),
            ]
        );
    }

    #[test]
    fn the_lists_hold_no_secret_place() {
        for path in SYSTEM.iter().chain(ETC) {
            for secret in ["/etc/shadow", "/etc/gshadow", "/etc/ssh", "/etc/ssl/private", "/etc/passwd", "/etc/sudoers"]
            {
                assert!(!Path::new(path).starts_with(secret) && !Path::new(secret).starts_with(path), "{path}");
            }
            assert_ne!(*path, "/etc", "not the whole of /etc");
        }
    }

    #[test]
    fn accounts_are_minimal() {
        let (users, groups) = passwd(0, 0);
        assert_eq!(users.lines().count(), 2);
        assert!(users.starts_with("root:x:0:0:root:/srv/state/home:/bin/sh\n"), "{users}");
        assert!(groups.contains("root:x:0:") && groups.contains("nogroup:x:65534:"));
        let (users, groups) = passwd(1000, 1001);
        assert!(users.contains("sandbox:x:1000:1001:sandbox:/srv/state/home:/bin/sh"), "{users}");
        assert!(groups.contains("sandbox:x:1001:"), "{groups}");
    }

    #[test]
    fn normalizing() {
        assert_eq!(normalize(Path::new("/etc/../usr/./lib")), p("/usr/lib"));
        assert_eq!(normalize(Path::new("/../..")), p("/"));
    }
}
