//! What `OI_REPO_URL` is: the request's URL as given, or this provider's git endpoint for a
//! repository on the host (docs/sandbox-provider.md, "Local repositories"), and which host
//! repositories may be served at all.
//!
//! Invariant: a local repository is served only when its canonical path is under one of the
//! operator's repository roots and not inside the provider's own directory (where sandboxes'
//! workspaces, snapshots and images live, all written by sandboxes), and it is a repository
//! of its own (bare, or a work tree with a `.git` directory, not a `.git` file pointing
//! elsewhere).

use std::path::{Path, PathBuf};

use oi_protocol::{ApiError, ErrorCode};

/// Whether `repo` names a repository on this host (an absolute path) rather than a URL.
pub fn is_local(repo: &str) -> bool {
    repo.starts_with('/')
}

/// The git endpoint's base path for a sandbox.
pub fn git_path(sandbox_id: &str) -> String {
    format!("/git/{sandbox_id}")
}

/// `OI_REPO_URL` for a request: `{public_url}/git/<sandbox id>` for a local path, else `repo`.
pub fn repo_url_for(repo: &str, sandbox_id: &str, public_url: &str) -> String {
    if is_local(repo) {
        format!("{}{}", public_url.trim_end_matches('/'), git_path(sandbox_id))
    } else {
        repo.to_string()
    }
}

/// Whether a repository whose canonical path is `path` may be served: under one of `roots`
/// (canonical) and not inside `data_dir`, the provider's own (canonical) root.
pub fn check_location(path: &Path, roots: &[PathBuf], data_dir: &Path) -> Result<(), String> {
    if path.starts_with(data_dir) {
        return Err("is inside the sandbox provider's own directory (sandboxes write there)".into());
    }
    if roots.is_empty() {
        return Err("is a local path, and this provider serves no local repository (it has no --repo-root)".into());
    }
    if !roots.iter().any(|root| path.starts_with(root)) {
        let list = roots.iter().map(|r| r.display().to_string()).collect::<Vec<_>>().join(", ");
        return Err(format!("is not under a repository root of this provider ({list})"));
    }
    Ok(())
}

/// Checks that `path` is a git repository the provider may serve (see [`check_location`]) and
/// returns its canonical path.
pub fn check_local_repo(path: &str, roots: &[PathBuf], data_dir: &Path) -> Result<PathBuf, ApiError> {
    let invalid = |why: &str| ApiError::new(ErrorCode::InvalidRequest, format!("repo {path:?} {why}"));
    if path.contains('\0') {
        return Err(invalid("contains a NUL byte"));
    }
    let canonical = Path::new(path).canonicalize().map_err(|e| invalid(&format!("cannot be opened: {e}")))?;
    check_location(&canonical, roots, data_dir).map_err(|why| invalid(&why))?;
    let bare = canonical.join("HEAD").is_file() && canonical.join("objects").is_dir();
    let dot_git = std::fs::symlink_metadata(canonical.join(".git"));
    if bare || dot_git.as_ref().is_ok_and(|m| m.is_dir()) {
        Ok(canonical)
    } else if dot_git.is_ok() {
        Err(invalid("has a .git that is not a directory (a linked work tree or submodule): name the repository itself"))
    } else {
        Err(invalid("is not a git repository"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_get_the_git_endpoint() {
        assert_eq!(
            repo_url_for("/srv/git/app.git", "sbx_1", "http://127.0.0.1:8788/"),
            "http://127.0.0.1:8788/git/sbx_1"
        );
        assert_eq!(repo_url_for("/srv/git/app.git", "sbx_1", "http://h:1"), "http://h:1/git/sbx_1");
    }

    #[test]
    fn urls_pass_through_unchanged() {
        for url in ["https://github.com/o/r.git", "git@github.com:o/r.git", "file:///srv/r", "relative/path"] {
            assert!(!is_local(url));
            assert_eq!(repo_url_for(url, "sbx_1", "http://h"), url);
        }
    }

    #[test]
    fn local_repos_must_be_git_repositories() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let roots = [root.clone()];
        let data = Path::new("/nonexistent-provider-root");
        let p = root.to_str().unwrap();
        assert!(check_local_repo(p, &roots, data).unwrap_err().message.contains("not a git repository"));
        assert!(check_local_repo(&format!("{p}/missing"), &roots, data)
            .unwrap_err()
            .message
            .contains("cannot be opened"));
        std::fs::create_dir(root.join("objects")).unwrap();
        std::fs::write(root.join("HEAD"), "ref: refs/heads/main\n").unwrap();
        assert_eq!(check_local_repo(p, &roots, data).unwrap(), root);
        let linked = root.join("linked");
        std::fs::create_dir(&linked).unwrap();
        std::fs::write(linked.join(".git"), "gitdir: /elsewhere/.git/worktrees/x\n").unwrap();
        let e = check_local_repo(linked.to_str().unwrap(), &roots, data).unwrap_err();
        assert!(e.message.contains("not a directory"), "{}", e.message);
        std::fs::create_dir(root.join("tree")).unwrap();
        std::fs::create_dir(root.join("tree/.git")).unwrap();
        assert!(check_local_repo(root.join("tree").to_str().unwrap(), &roots, data).is_ok());
    }

    #[test]
    fn only_repositories_under_a_root_and_outside_the_provider_s_directory() {
        let p = PathBuf::from;
        let roots = [p("/srv/git"), p("/tmp")];
        let data = p("/tmp/oi-provider");
        let cases = [
            ("/srv/git/app.git", None),
            ("/tmp/demo/app.git", None),
            ("/srv/gitx/app.git", Some("not under a repository root of this provider (/srv/git, /tmp)")),
            ("/home/dev/app", Some("not under a repository root")),
            // Another sandbox's workspace, where an agent may have written hooks and config.
            ("/tmp/oi-provider/sandboxes/sbx_1/workspace", Some("provider's own directory")),
            ("/tmp/oi-provider", Some("provider's own directory")),
        ];
        for (path, refused) in cases {
            match (check_location(Path::new(path), &roots, &data), refused) {
                (Ok(()), None) => {}
                (Err(e), Some(why)) => assert!(e.contains(why), "{path}: {e}"),
                (got, want) => panic!("{path}: {got:?}, wanted {want:?}"),
            }
        }
        let e = check_location(Path::new("/srv/git/app.git"), &[], &data).unwrap_err();
        assert!(e.contains("no --repo-root"), "{e}");
    }

    #[test]
    fn a_symlink_into_the_provider_s_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let (roots, data) = ([base.join("repos")], base.join("provider"));
        let workspace = data.join("sandboxes/sbx_1/workspace");
        std::fs::create_dir_all(workspace.join(".git")).unwrap();
        std::fs::create_dir_all(&roots[0]).unwrap();
        std::os::unix::fs::symlink(&workspace, roots[0].join("innocent.git")).unwrap();
        let e = check_local_repo(roots[0].join("innocent.git").to_str().unwrap(), &roots, &data).unwrap_err();
        assert!(e.message.contains("provider's own directory"), "{}", e.message);
    }
}
