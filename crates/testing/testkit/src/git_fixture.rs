//! Local git repositories for end-to-end tests: a bare "remote" with a first commit, and ways
//! to read what sandboxes pushed to it. Every one lives under [`repos_dir`], the repository root
//! the stack's provider serves (`--repo-root`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Result};

/// A bare repository on `main`, holding `files`, in its own temporary directory.
pub struct BareRepo {
    dir: tempfile::TempDir,
}

fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git").current_dir(dir).args(args).output()?;
    if !out.status.success() {
        bail!("git {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The directory the tests' repositories are made in: the one repository root of the stack's
/// provider (it serves no local repository anywhere else).
pub fn repos_dir() -> PathBuf {
    let dir = std::env::temp_dir().join("oi-e2e-repos");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

impl BareRepo {
    pub fn with_files(files: &[(&str, &str)]) -> Result<Self> {
        let dir = tempfile::Builder::new().prefix("oi-remote-").tempdir_in(repos_dir())?;
        let bare = dir.path().join("remote.git");
        let seed = dir.path().join("seed");
        std::fs::create_dir_all(&seed)?;
        git(dir.path(), &["init", "--quiet", "--bare", "--initial-branch=main", bare.to_str().unwrap()])?;
        git(&seed, &["init", "--quiet", "--initial-branch=main"])?;
        for (path, content) in files {
            let p = seed.join(path);
            std::fs::create_dir_all(p.parent().unwrap())?;
            std::fs::write(p, content)?;
        }
        git(&seed, &["add", "-A"])?;
        git(&seed, &["-c", "user.name=Seed", "-c", "user.email=seed@example.com", "commit", "--quiet", "-m", "init"])?;
        git(&seed, &["push", "--quiet", bare.to_str().unwrap(), "main"])?;
        Ok(Self { dir })
    }

    /// The bare repository's absolute path (what a session's `repo` names).
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("remote.git")
    }

    /// Where a test may write things outside every sandbox.
    pub fn outside_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    pub fn branches(&self) -> Result<Vec<String>> {
        Ok(git(&self.path(), &["for-each-ref", "--format=%(refname:short)", "refs/heads"])?
            .lines()
            .map(str::to_string)
            .collect())
    }

    /// `(author "Name <email>", subject)` of each commit on `branch`, newest first.
    pub fn log(&self, branch: &str) -> Result<Vec<(String, String)>> {
        Ok(git(&self.path(), &["log", "--format=%an <%ae>%x09%s", branch])?
            .lines()
            .filter_map(|l| l.split_once('\t').map(|(a, s)| (a.to_string(), s.to_string())))
            .collect())
    }

    /// A file's content on `branch`.
    /// The whole message of the newest commit on `branch` (trailers included).
    pub fn message(&self, branch: &str) -> Result<String> {
        git(&self.path(), &["log", "-1", "--format=%B", branch])
    }

    pub fn show(&self, branch: &str, path: &str) -> Result<String> {
        git(&self.path(), &["show", &format!("{branch}:{path}")])
    }

    /// A new branch `branch` off `from` with one commit writing `files` (someone's pull request
    /// head); its commit id.
    pub fn branch_with(&self, branch: &str, from: &str, files: &[(&str, &str)]) -> Result<String> {
        let work = self.dir.path().join(format!("work-{}", branch.replace('/', "-")));
        git(
            self.dir.path(),
            &["clone", "--quiet", "--branch", from, self.path().to_str().unwrap(), work.to_str().unwrap()],
        )?;
        git(&work, &["checkout", "--quiet", "-b", branch])?;
        for (path, content) in files {
            let p = work.join(path);
            std::fs::create_dir_all(p.parent().unwrap())?;
            std::fs::write(p, content)?;
        }
        git(&work, &["add", "-A"])?;
        git(
            &work,
            &["-c", "user.name=Octo Cat", "-c", "user.email=octocat@example.com", "commit", "--quiet", "-m", branch],
        )?;
        git(&work, &["push", "--quiet", "origin", branch])?;
        self.rev(branch)
    }

    pub fn rev(&self, reference: &str) -> Result<String> {
        Ok(git(&self.path(), &["rev-parse", reference])?.trim().to_string())
    }
}
