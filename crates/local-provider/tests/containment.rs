//! The provider's git endpoint and local repositories as an attacker inside a sandbox would use
//! them (docs/security.md, "Containment"): a push updates only the session branch and runs no
//! hook of the repository on the host; a repository outside the operator's roots, or inside
//! the provider's own directory (another sandbox's workspace), is never served.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::*;

/// Writes hook `name` into `dir`: when run, it leaves `<marker_dir>/hook-<name>`.
fn plant_hook(dir: &Path, name: &str, marker_dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let hook = dir.join(name);
    std::fs::write(&hook, format!("#!/bin/sh\necho ran > '{}/hook-{name}'\ncat >/dev/null\n", marker_dir.display()))
        .unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn hooks_that_ran(marker_dir: &Path) -> Vec<String> {
    std::fs::read_dir(marker_dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("hook-"))
        .collect()
}

#[tokio::test]
async fn a_push_updates_only_the_session_branch_and_runs_no_hook() {
    let marker = unique();
    let p = Provider::start(&marker, Options::default());
    let (work, home, bare) = repo_fixture(&p);
    let ran = p.dir.path().join("outside");
    // Hooks where git looks by default, and where the repository's own config points.
    for name in ["pre-receive", "update", "post-receive", "post-update", "reference-transaction", "push-to-checkout"] {
        plant_hook(&bare.join("hooks"), name, &ran);
        plant_hook(&work.join("custom-hooks"), name, &ran);
    }
    git_ok(&home, &bare, &["config", "core.hooksPath", work.join("custom-hooks").to_str().unwrap()]);

    let id = format!("sbx_push{marker}");
    let token = format!("token-{marker}");
    p.create_ready(&request(&id, bare.to_str().unwrap(), &token)).await;
    let url = format!("{}/git/{id}", p.url);
    let bearer = format!("http.extraHeader=Authorization: Bearer {token}");
    let clone = work.join("clone");
    git_ok(&home, &work, &["-c", &bearer, "clone", &url, clone.to_str().unwrap()]);
    std::fs::write(clone.join("evil.txt"), "x\n").unwrap();
    git_ok(&home, &clone, &["add", "."]);
    git_ok(&home, &clone, &["commit", "-m", "sneaky"]);
    let main_before = git_ok(&home, &bare, &["rev-parse", "refs/heads/main"]);

    let session_branch = format!("oi/ses_{id}");
    for target in ["main", "refs/tags/v1", "oi/ses_someone_else", "refs/notes/x"] {
        let out = git(&home, &clone, &["-c", &bearer, "push", "origin", &format!("HEAD:{target}")]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "pushed {target}: {err}");
        assert!(
            err.contains("[remote rejected]")
                && err.contains(&format!("may push only to its session branch {session_branch}")),
            "{target}: git's own refusal, with the reason: {err}"
        );
    }
    let both = git(&home, &clone, &["-c", &bearer, "push", "origin", &format!("HEAD:{session_branch}"), "HEAD:main"]);
    assert!(!both.status.success(), "a push with one forbidden ref is refused whole");
    assert_eq!(git_ok(&home, &bare, &["rev-parse", "refs/heads/main"]), main_before, "main is unchanged");
    assert!(git(&home, &bare, &["rev-parse", "--verify", "--quiet", &session_branch]).stdout.is_empty());

    git_ok(&home, &clone, &["-c", &bearer, "push", "origin", &format!("HEAD:{session_branch}")]);
    assert_eq!(
        git_ok(&home, &bare, &["rev-parse", &session_branch]),
        git_ok(&home, &clone, &["rev-parse", "HEAD"]),
        "the session branch is pushed"
    );
    let out = git(&home, &clone, &["-c", &bearer, "push", "origin", &format!(":{session_branch}")]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("may not be deleted"), "{out:?}");
    assert_eq!(hooks_that_ran(&ran), Vec::<String>::new(), "a hook of the repository ran on the host");

    // A compressed push cannot be checked, so it is refused.
    let resp = p
        .http
        .post(format!("{url}/git-receive-pack"))
        .bearer_auth(&token)
        .header("content-type", "application/x-git-receive-pack-request")
        .header("content-encoding", "gzip")
        .body(vec![0x1f, 0x8b, 0, 0])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn only_repositories_under_a_repo_root_and_outside_the_provider_root_are_served() {
    let marker = unique();
    let p = Provider::start(&marker, Options::default());
    let home = p.dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let refused = |body: &serde_json::Value, why: &str| {
        assert_eq!(body["error"]["code"], "invalid_request", "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(why), "{body}");
    };

    // A repository outside every --repo-root.
    let elsewhere = p.dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let outside_repo = bare_repo(&elsewhere, &home);
    let (status, body) = p.create(&request(&format!("sbx_out{marker}"), outside_repo.to_str().unwrap(), "t")).await;
    assert_eq!(status, 400, "{body}");
    refused(&body, "not under a repository root");
    let (status, body) = p
        .call(
            "POST",
            "/v1/images",
            Some(&build_request(&format!("img_out{marker}"), outside_repo.to_str().unwrap(), "b")),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    refused(&body, "not under a repository root");

    // Another sandbox's workspace, where its agent wrote a hook: named directly, or through a
    // symlink under the repository root.
    let victim = format!("sbx_victim{marker}");
    p.create_ready(&request(&victim, "https://example.com/app.git", "t")).await;
    let workspace = p.sandbox_dir(&victim).join("workspace");
    git_ok(&home, &workspace, &["init", "-q", "-b", "main"]);
    plant_hook(&workspace.join(".git/hooks"), "pre-receive", &p.dir.path().join("outside"));
    let link = p.dir.path().join("work/innocent.git");
    std::os::unix::fs::symlink(&workspace, &link).unwrap();
    for (n, repo) in [workspace.clone(), link].iter().enumerate() {
        let (status, body) = p.create(&request(&format!("sbx_in{n}{marker}"), repo.to_str().unwrap(), "t")).await;
        assert_eq!(status, 400, "{body}");
        refused(&body, "provider's own directory");
    }
    assert_eq!(hooks_that_ran(&p.dir.path().join("outside")), Vec::<String>::new());
}
