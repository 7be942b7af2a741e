//! What `OI_REPO_URL` is: the request's URL as given, or this provider's git endpoint for a
//! repository on the host (docs/sandbox-provider.md, "Local repositories").

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

/// Checks that `path` is a git repository (bare, or a work tree with `.git`) and returns its
/// canonical path.
pub fn check_local_repo(path: &str) -> Result<PathBuf, ApiError> {
    let invalid = |why: &str| ApiError::new(ErrorCode::InvalidRequest, format!("repo {path:?} {why}"));
    if path.contains('\0') {
        return Err(invalid("contains a NUL byte"));
    }
    let canonical = Path::new(path).canonicalize().map_err(|e| invalid(&format!("cannot be opened: {e}")))?;
    let bare = canonical.join("HEAD").is_file() && canonical.join("objects").is_dir();
    if bare || canonical.join(".git").exists() {
        Ok(canonical)
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
        let p = dir.path().to_str().unwrap();
        assert!(check_local_repo(p).unwrap_err().message.contains("not a git repository"));
        assert!(check_local_repo(&format!("{p}/missing")).unwrap_err().message.contains("cannot be opened"));
        std::fs::create_dir(dir.path().join("objects")).unwrap();
        std::fs::write(dir.path().join("HEAD"), "ref: refs/heads/main\n").unwrap();
        assert_eq!(check_local_repo(p).unwrap(), dir.path().canonicalize().unwrap());
    }
}
