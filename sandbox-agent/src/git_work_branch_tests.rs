//! [`Checkout`] with a work branch (a pull request's head), against a real bare repository:
//! the checkout starts at the remote branch's tip, pushes go to it as fast-forwards, a missing
//! work branch fails the sync, and a remote that moved is not overwritten.

use std::collections::BTreeMap;
use std::path::Path;

use oi_protocol::source_control::{CommitAttribution, CommitPerson};
use oi_protocol::supervisor_env::{BRANCH, REPO_URL, STATE_DIR, WORKSPACE, WORK_BRANCH};

use super::Checkout;
use crate::boot_plan::GitSync;
use crate::config::Config;
use crate::endpoints::Remote;

/// git with a fixed identity and no user or system configuration.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .args(["-c", "user.name=Someone", "-c", "user.email=someone@example.com", "-c", "init.defaultBranch=main"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A bare repository whose `main` has one commit and whose `feature` has one more.
fn remote(dir: &Path) -> std::path::PathBuf {
    let bare = dir.join("app.git");
    let seed = dir.join("seed");
    git(dir, &["init", "--quiet", "--bare", bare.to_str().unwrap()]);
    git(dir, &["init", "--quiet", seed.to_str().unwrap()]);
    std::fs::write(seed.join("README.md"), "# app\n").unwrap();
    git(&seed, &["add", "."]);
    git(&seed, &["commit", "--quiet", "-m", "first"]);
    git(&seed, &["push", "--quiet", bare.to_str().unwrap(), "HEAD:refs/heads/main"]);
    std::fs::write(seed.join("feature.txt"), "the pull request's change\n").unwrap();
    git(&seed, &["add", "."]);
    git(&seed, &["commit", "--quiet", "-m", "feature"]);
    git(&seed, &["push", "--quiet", bare.to_str().unwrap(), "HEAD:refs/heads/feature"]);
    bare
}

fn config(dir: &Path, bare: &Path, branch: &str, work_branch: Option<&str>) -> Config {
    let mut env: BTreeMap<String, String> = crate::config::tests::env();
    let path = |p: &Path| p.to_str().unwrap().to_string();
    env.insert(REPO_URL.into(), path(bare));
    env.insert(BRANCH.into(), branch.into());
    env.insert(WORKSPACE.into(), path(&dir.join("workspace")));
    env.insert(STATE_DIR.into(), path(&dir.join("state")));
    if let Some(work) = work_branch {
        env.insert(WORK_BRANCH.into(), work.into());
    }
    Config::from_map(&env).unwrap()
}

fn author() -> CommitAttribution {
    CommitAttribution { author: CommitPerson { name: "Ada".into(), email: "ada@example.com".into() }, trailers: vec![] }
}

#[tokio::test]
async fn a_work_branch_that_is_the_base_is_continued_and_fast_forwarded() {
    let dir = tempfile::tempdir().unwrap();
    let bare = remote(dir.path());
    let tip = git(&bare, &["rev-parse", "refs/heads/feature"]);
    let config = config(dir.path(), &bare, "feature", Some("feature"));
    let remote = Remote { url: bare.to_str().unwrap().into(), bearer: None };
    let checkout = Checkout::new(&config, &remote);

    let line = checkout.sync(GitSync::CloneOrReset).await.unwrap();
    assert!(line.contains("checked out feature"), "{line}");
    let ws = &config.workspace;
    assert_eq!(checkout.head().await.unwrap(), tip, "the checkout starts at the remote branch's tip");
    assert_eq!(git(ws, &["symbolic-ref", "--short", "HEAD"]), "feature");

    std::fs::write(ws.join("fix.txt"), "the agent's fix\n").unwrap();
    let commit = checkout.commit_and_push("msg_1", &author(), "Fix the review comment").await;
    assert_eq!((commit.error.as_deref(), commit.pushed, commit.branch.as_str()), (None, true, "feature"));
    let pushed = git(&bare, &["rev-parse", "refs/heads/feature"]);
    assert_eq!(Some(&pushed), commit.sha.as_ref());
    assert_eq!(git(&bare, &["rev-parse", &format!("{pushed}^")]), tip, "a fast-forward of the tip");
    assert_eq!(git(&bare, &["for-each-ref", "--format=%(refname)"]), "refs/heads/feature\nrefs/heads/main");
}

#[tokio::test]
async fn a_work_branch_other_than_the_base_is_checked_out_at_its_tip() {
    let dir = tempfile::tempdir().unwrap();
    let bare = remote(dir.path());
    let config = config(dir.path(), &bare, "main", Some("feature"));
    let remote = Remote { url: bare.to_str().unwrap().into(), bearer: None };
    let checkout = Checkout::new(&config, &remote);
    checkout.sync(GitSync::CloneOrReset).await.unwrap();
    assert_eq!(checkout.head().await.unwrap(), git(&bare, &["rev-parse", "refs/heads/feature"]));
    assert!(config.workspace.join("feature.txt").exists());
}

#[tokio::test]
async fn a_work_branch_missing_on_the_remote_fails_the_sync() {
    let dir = tempfile::tempdir().unwrap();
    let bare = remote(dir.path());
    for base in ["main", "gone"] {
        let config = config(&dir.path().join(base), &bare, base, Some("gone"));
        let remote = Remote { url: bare.to_str().unwrap().into(), bearer: None };
        let error = Checkout::new(&config, &remote).sync(GitSync::CloneOrReset).await.unwrap_err();
        assert!(format!("{error:#}").contains("gone"), "{error:#}");
    }
    assert_eq!(git(&bare, &["for-each-ref", "--format=%(refname)"]), "refs/heads/feature\nrefs/heads/main");
}

#[tokio::test]
async fn a_work_branch_someone_else_moved_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let bare = remote(dir.path());
    let config = config(dir.path(), &bare, "feature", Some("feature"));
    let remote = Remote { url: bare.to_str().unwrap().into(), bearer: None };
    let checkout = Checkout::new(&config, &remote);
    checkout.sync(GitSync::CloneOrReset).await.unwrap();

    // The pull request's author pushes meanwhile.
    let other = dir.path().join("other");
    git(dir.path(), &["clone", "--quiet", "--branch", "feature", bare.to_str().unwrap(), other.to_str().unwrap()]);
    std::fs::write(other.join("theirs.txt"), "theirs\n").unwrap();
    git(&other, &["add", "."]);
    git(&other, &["commit", "--quiet", "-m", "theirs"]);
    git(&other, &["push", "--quiet", "origin", "feature"]);
    let theirs = git(&bare, &["rev-parse", "refs/heads/feature"]);

    std::fs::write(config.workspace.join("fix.txt"), "the agent's fix\n").unwrap();
    let commit = checkout.commit_and_push("msg_1", &author(), "Fix").await;
    assert!(!commit.pushed && commit.error.is_some(), "{commit:?}");
    assert_eq!(git(&bare, &["rev-parse", "refs/heads/feature"]), theirs, "not force-pushed over");
}

#[tokio::test]
async fn without_a_work_branch_the_session_branch_starts_from_the_base() {
    let dir = tempfile::tempdir().unwrap();
    let bare = remote(dir.path());
    let config = config(dir.path(), &bare, "main", None);
    let remote = Remote { url: bare.to_str().unwrap().into(), bearer: None };
    let checkout = Checkout::new(&config, &remote);
    checkout.sync(GitSync::CloneOrReset).await.unwrap();
    assert_eq!(checkout.head().await.unwrap(), git(&bare, &["rev-parse", "refs/heads/main"]));
    std::fs::write(config.workspace.join("fix.txt"), "x\n").unwrap();
    let commit = checkout.commit_and_push("msg_1", &author(), "Fix").await;
    assert_eq!((commit.pushed, commit.branch.as_str()), (true, "oi/ses_1"));
    assert_eq!(git(&bare, &["rev-parse", "refs/heads/oi/ses_1"]), commit.sha.unwrap());
}
