//! What the provider settles when it starts about what its sandboxes may reach
//! (docs/security.md, "Containment"): the repository roots, the host paths a sandbox sees, the
//! seccomp filter, and whether bubblewrap can refuse user namespaces.
//!
//! Invariant: the provider does not start with a repository root inside its own root, an
//! exposed path [`sandbox_fs::check_expose`] refuses, or a view bubblewrap cannot build; the
//! decisions are pure functions ([`sandbox_fs`], [`crate::seccomp`], [`supports_disable_userns`]).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::isolation::Containment;
use crate::sandbox_fs::{self, inspect, Found, ETC, SYSTEM};

/// The provider's environment variables naming TLS-trust files, which it passes on to
/// sandboxes ([`crate::env::HOST_PASSTHROUGH`]) and so makes visible to them.
pub const TRUST_PATHS: &[&str] = &[
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "NODE_EXTRA_CA_CERTS",
    "REQUESTS_CA_BUNDLE",
    "PIP_CERT",
    "CURL_CA_BUNDLE",
    "GIT_SSL_CAINFO",
];

/// Where the generated `passwd` and `group` are kept, under the provider's root.
pub const SANDBOX_ETC: &str = "sandbox-etc";

/// Whether `bwrap --version` (`bubblewrap 0.8.0`) names a version with `--disable-userns`.
pub fn supports_disable_userns(version: &str) -> bool {
    let number = version.split_whitespace().last().unwrap_or("");
    let mut parts = number.split('.').map(|p| p.parse::<u32>().ok());
    matches!((parts.next().flatten(), parts.next().flatten()), (Some(major), Some(minor)) if (major, minor) >= (0, 8))
}

/// The canonical repository roots: each must be a directory, and none inside `root`.
pub fn repo_roots(roots: &[PathBuf], root: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out = vec![];
    for r in roots {
        let canonical = r.canonicalize().map_err(|e| format!("--repo-root {}: {e}", r.display()))?;
        if !canonical.is_dir() {
            return Err(format!("--repo-root {} is not a directory", r.display()));
        }
        if canonical.starts_with(root) {
            return Err(format!("--repo-root {} is inside the provider's --root", r.display()));
        }
        if !out.contains(&canonical) {
            out.push(canonical);
        }
    }
    Ok(out)
}

fn already_visible(path: &Path) -> bool {
    SYSTEM.iter().chain(ETC).any(|p| path.starts_with(p))
}

/// The exposed paths as `(path, canonical)`: the operator's (each must exist and be allowed)
/// and the TLS-trust files `trust` names (skipped, with a warning, when not allowed).
fn exposed(
    expose: &[PathBuf],
    trust: &[PathBuf],
    home: Option<&Path>,
    root: &Path,
) -> Result<Vec<(PathBuf, PathBuf)>, String> {
    let mut out: Vec<(PathBuf, PathBuf)> = vec![];
    for path in expose {
        let canonical = path.canonicalize().map_err(|e| format!("--expose {}: {e}", path.display()))?;
        sandbox_fs::check_expose(path, &canonical, home, root).map_err(|e| format!("--expose {e}"))?;
        out.push((sandbox_fs::normalize(path), canonical));
    }
    for path in trust.iter().filter(|p| p.is_absolute() && !already_visible(p)) {
        let Ok(canonical) = path.canonicalize() else { continue };
        match sandbox_fs::check_expose(path, &canonical, home, root) {
            Ok(()) if !out.iter().any(|(p, _)| path.starts_with(p)) => out.push((path.clone(), canonical)),
            Ok(()) => {}
            Err(e) => tracing::warn!("a TLS-trust path stays hidden from sandboxes: {e}"),
        }
    }
    Ok(out)
}

/// Writes the sandboxes' `passwd` and `group` under `root`; their `(host file, path inside)`.
fn write_accounts(root: &Path) -> Result<Vec<(PathBuf, PathBuf)>, String> {
    let me = std::fs::metadata("/proc/self").map_err(|e| format!("cannot read /proc/self: {e}"))?;
    let (passwd, group) = sandbox_fs::passwd(me.uid(), me.gid());
    let dir = root.join(SANDBOX_ETC);
    let io = |e: std::io::Error| format!("cannot write {}: {e}", dir.display());
    std::fs::create_dir_all(&dir).map_err(io)?;
    let mut out = vec![];
    for (name, text) in [("passwd", passwd), ("group", group)] {
        let file = dir.join(name);
        std::fs::write(&file, text).map_err(io)?;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).map_err(io)?;
        out.push((file, PathBuf::from("/etc").join(name)));
    }
    Ok(out)
}

/// Everything sandboxes get, from the (already canonical) configuration.
pub fn resolve(config: &Config, bwrap_version: &str) -> Result<Containment, String> {
    let home = std::env::var_os("HOME").map(PathBuf::from).filter(|h| h.is_absolute() && h != Path::new("/"));
    let look = |list: &[&str]| list.iter().map(|p| (PathBuf::from(p), inspect(Path::new(p)))).collect::<Vec<_>>();
    let system = look(SYSTEM);
    if !matches!(system[0].1, Found::Real(_)) {
        return Err("/usr is missing: sandboxes would have no programs".into());
    }
    let trust: Vec<PathBuf> = TRUST_PATHS.iter().filter_map(std::env::var_os).map(PathBuf::from).collect();
    let exposed = exposed(&config.expose, &trust, home.as_deref(), &config.root)?;
    let accounts = write_accounts(&config.root)?;
    let view = sandbox_fs::view(&system, &look(ETC), &accounts, &exposed, std::slice::from_ref(&config.root));
    let seccomp = crate::seccomp::programs().unwrap_or_else(|e| {
        tracing::warn!("sandboxes run without a seccomp filter: {e}");
        vec![]
    });
    let disable_userns = supports_disable_userns(bwrap_version);
    if !disable_userns {
        tracing::warn!(
            "{} has no --disable-userns (bubblewrap 0.8 or later): only the seccomp filter refuses user namespaces",
            bwrap_version.trim()
        );
    }
    Ok(Containment { view, disable_userns, seccomp })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disable_userns_needs_bubblewrap_0_8() {
        for (version, yes) in [
            ("bubblewrap 0.8.0\n", true),
            ("bubblewrap 0.11.0", true),
            ("bubblewrap 1.0", true),
            ("bubblewrap 0.7.0", false),
            ("bubblewrap 0.4.1", false),
            ("", false),
            ("bubblewrap x.y", false),
        ] {
            assert_eq!(supports_disable_userns(version), yes, "{version:?}");
        }
    }

    #[test]
    fn repository_roots_are_canonical_directories_outside_the_provider_root() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let (repos, root, file) = (base.join("repos"), base.join("root"), base.join("file"));
        std::fs::create_dir_all(root.join("sandboxes")).unwrap();
        std::fs::create_dir(&repos).unwrap();
        std::fs::write(&file, "").unwrap();
        std::os::unix::fs::symlink(&repos, base.join("link")).unwrap();
        assert_eq!(repo_roots(&[base.join("link"), repos.clone()], &root).unwrap(), vec![repos.clone()]);
        assert_eq!(
            repo_roots(std::slice::from_ref(&base), &root).unwrap(),
            vec![base.clone()],
            "holding the root is fine"
        );
        assert!(repo_roots(&[root.join("sandboxes")], &root).unwrap_err().contains("inside the provider's --root"));
        assert!(repo_roots(&[file], &root).unwrap_err().contains("not a directory"));
        assert!(repo_roots(&[base.join("missing")], &root).unwrap_err().contains("missing"));
    }

    #[test]
    fn exposed_paths_must_exist_and_be_allowed_trust_paths_are_skipped_when_not() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let root = base.join("root");
        let (usr_bin, var_lib) = (PathBuf::from("/usr/bin"), PathBuf::from("/var/lib"));
        let got = exposed(std::slice::from_ref(&usr_bin), &[], None, &root).unwrap();
        assert_eq!(got, vec![(usr_bin.clone(), usr_bin.canonicalize().unwrap())]);
        assert!(exposed(&[PathBuf::from("/usr/missing-oi")], &[], None, &root).unwrap_err().starts_with("--expose"));
        assert!(
            exposed(std::slice::from_ref(&base), &[], None, &root).unwrap_err().contains("must not see"),
            "under /tmp"
        );
        assert!(exposed(std::slice::from_ref(&var_lib), &[], Some(&var_lib.join("me")), &root)
            .unwrap_err()
            .contains("/var/lib/me"));
        std::fs::write(base.join("ca.pem"), "").unwrap();
        let trust = [
            base.join("ca.pem"),                                 // under /tmp: stays hidden
            PathBuf::from("/etc/ssl/certs/ca-certificates.crt"), // visible anyway
            PathBuf::from("/usr/missing-oi.pem"),                // missing
            PathBuf::from("relative.pem"),                       // not a path
            var_lib.clone(),
        ];
        assert_eq!(
            exposed(&[], &trust, None, &root).unwrap(),
            vec![(var_lib.clone(), var_lib.canonicalize().unwrap())]
        );
        assert_eq!(exposed(std::slice::from_ref(&var_lib), &trust, None, &root).unwrap().len(), 1, "exposed once");
    }
}
