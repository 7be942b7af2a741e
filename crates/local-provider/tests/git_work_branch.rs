//! The git endpoint for a sandbox whose session works on a pull request's head branch
//! (`work_branch`), driven by a real git client against a real bare repository: it passes
//! `OI_WORK_BRANCH` on, and takes fast-forwards of that branch only.

mod common;

use common::*;
use oi_protocol::supervisor_env;

#[tokio::test]
async fn a_work_branch_is_only_fast_forwarded() {
    let marker = unique();
    let p = Provider::start(&marker, Options::default());
    let (work, home, bare) = repo_fixture(&p);
    let main = git_ok(&home, &bare, &["rev-parse", "refs/heads/main"]);
    git_ok(&home, &bare, &["update-ref", "refs/heads/feature", &main]);

    let id = format!("sbx_wb{marker}");
    let token = format!("token-{marker}");
    let mut req = request(&id, bare.to_str().unwrap(), &token);
    req.branch = "feature".into();
    req.work_branch = Some("feature".into());
    p.create_ready(&req).await;
    let env = read_env(&p.state_file(&id, "env"));
    let var = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    assert_eq!(var(supervisor_env::WORK_BRANCH).as_deref(), Some("feature"));
    assert_eq!(var(supervisor_env::BRANCH).as_deref(), Some("feature"));
    let repo_url = var(supervisor_env::REPO_URL).unwrap();

    let bearer = format!("http.extraHeader=Authorization: Bearer {token}");
    let c = work.join("c");
    git_ok(&home, &work, &["-c", &bearer, "clone", "--branch", "feature", &repo_url, c.to_str().unwrap()]);
    let push = |args: &[&str]| {
        let mut all = vec!["-c", bearer.as_str(), "push", "origin"];
        all.extend_from_slice(args);
        git(&home, &c, &all)
    };
    let remote_feature = || git_ok(&home, &bare, &["rev-parse", "refs/heads/feature"]);

    // A fast-forward is accepted.
    std::fs::write(c.join("fix.txt"), "the agent's fix\n").unwrap();
    git_ok(&home, &c, &["add", "."]);
    git_ok(&home, &c, &["commit", "-m", "fix"]);
    let out = push(&["feature"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tip = git_ok(&home, &c, &["rev-parse", "HEAD"]);
    assert_eq!(remote_feature(), tip);

    // A force-push of a rewritten history is refused by receive-pack (denyNonFastForwards).
    git_ok(&home, &c, &["reset", "--hard", "HEAD~1"]);
    std::fs::write(c.join("other.txt"), "rewritten\n").unwrap();
    git_ok(&home, &c, &["add", "."]);
    git_ok(&home, &c, &["commit", "-m", "rewritten"]);
    let attempts: [&[&str]; 3] = [&["--force", "feature"], &["+HEAD:refs/heads/feature"], &["feature"]];
    for args in attempts {
        let out = push(args);
        assert!(!out.status.success(), "{args:?} went through");
        assert_eq!(remote_feature(), tip, "{args:?} moved the branch");
    }
    let forced = push(&["--force", "feature"]);
    let stderr = String::from_utf8_lossy(&forced.stderr);
    // Refused by the endpoint's git (the client sent it), not by the client.
    assert!(stderr.contains("[remote rejected]") && stderr.contains("non-fast-forward"), "{stderr}");

    // A deletion, another branch, the session branch, a tag: refused with the reason.
    let deleted = push(&[":feature"]);
    assert!(!deleted.status.success());
    assert!(String::from_utf8_lossy(&deleted.stderr).contains("may not be deleted"));
    for other in ["HEAD:refs/heads/other", &format!("HEAD:refs/heads/oi/ses_{id}"), "HEAD:refs/tags/v1"] {
        let out = push(&[other]);
        assert!(!out.status.success(), "{other} went through");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("only to the pull request's head branch feature"), "{other}: {stderr}");
    }
    assert_eq!(remote_feature(), tip);
    let refs = git_ok(&home, &bare, &["for-each-ref", "--format=%(refname)"]);
    assert_eq!(refs, "refs/heads/feature\nrefs/heads/main", "nothing else was created");

    // A pool sandbox cannot have a work branch.
    let mut pool = request(&format!("sbx_wbp{marker}"), bare.to_str().unwrap(), "t");
    (pool.pool, pool.work_branch) = (true, Some("feature".into()));
    let (status, body) = p.create(&pool).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("work_branch"), "{body}");
}
