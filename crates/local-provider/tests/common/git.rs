//! git for the tests: a clean client, a bare repository, and the git endpoint as a client sees it.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{output_within, Provider, PATH};

/// git with a clean configuration and no prompts.
pub fn git(home: &Path, cwd: &Path, args: &[&str]) -> std::process::Output {
    output_within(
        Command::new("git")
            .env_clear()
            .env("PATH", PATH)
            .env("HOME", home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .current_dir(cwd)
            .args(["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main"])
            .args(args),
        60,
    )
}

pub fn git_ok(home: &Path, cwd: &Path, args: &[&str]) -> String {
    let out = git(home, cwd, args);
    assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A bare repository with one commit on `main`.
pub fn bare_repo(dir: &Path, home: &Path) -> PathBuf {
    let bare = dir.join("app.git");
    let seed = dir.join("seed");
    git_ok(home, dir, &["init", "--bare", "-b", "main", bare.to_str().unwrap()]);
    git_ok(home, dir, &["init", "-b", "main", seed.to_str().unwrap()]);
    std::fs::write(seed.join("README.md"), "# app\n").unwrap();
    git_ok(home, &seed, &["add", "."]);
    git_ok(home, &seed, &["commit", "-m", "first"]);
    git_ok(home, &seed, &["push", bare.to_str().unwrap(), "main"]);
    bare
}

/// `work/` and `home/` in the provider's test directory, and a bare repository in `work/`.
pub fn repo_fixture(p: &Provider) -> (PathBuf, PathBuf, PathBuf) {
    let work = p.dir.path().join("work");
    let home = p.dir.path().join("home");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    let bare = bare_repo(&work, &home);
    (work, home, bare)
}

/// Whether `git ls-remote` with `token` as a bearer token lists `main` at `url`.
pub fn ls_remote_works(home: &Path, cwd: &Path, url: &str, token: &str) -> bool {
    let header = format!("http.extraHeader=Authorization: Bearer {token}");
    let out = git(home, cwd, &["-c", &header, "ls-remote", url]);
    out.status.success() && String::from_utf8_lossy(&out.stdout).contains("refs/heads/main")
}
