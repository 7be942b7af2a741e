//! The git endpoint for local repositories, driven by a real git client.

mod common;

use std::process::Command;

use common::*;
use oi_protocol::supervisor_env;

#[tokio::test]
async fn a_sandbox_clones_and_pushes_its_local_repo_with_its_token_only() {
    let marker = unique();
    let p = Provider::start(&marker, Options::default());
    let (work, home, bare) = repo_fixture(&p);

    let id = format!("sbx_git{marker}");
    let token = format!("token-{marker}");
    p.create_ready(&request(&id, bare.to_str().unwrap(), &token)).await;
    let env = read_env(&p.state_file(&id, "env"));
    let repo_url = env.iter().find(|(k, _)| k == supervisor_env::REPO_URL).unwrap().1.clone();
    assert_eq!(repo_url, format!("{}/git/{id}", p.url));

    // Bearer: clone, commit, push the session branch (the only one it may push).
    let branch = format!("oi/ses_{id}");
    let bearer = format!("http.extraHeader=Authorization: Bearer {token}");
    let c1 = work.join("c1");
    git_ok(&home, &work, &["-c", &bearer, "clone", &repo_url, c1.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(c1.join("README.md")).unwrap(), "# app\n");
    git_ok(&home, &c1, &["checkout", "-b", &branch]);
    std::fs::write(c1.join("change.txt"), "from the sandbox\n").unwrap();
    // A large incompressible file makes git send the pack in chunks (no Content-Length).
    let noise: Vec<u8> = (0..3_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(c1.join("noise.bin"), noise).unwrap();
    git_ok(&home, &c1, &["add", "."]);
    git_ok(&home, &c1, &["commit", "-m", "change"]);
    git_ok(&home, &c1, &["-c", &bearer, "push", "origin", &branch]);
    let pushed = git_ok(&home, &bare, &["rev-parse", &format!("refs/heads/{branch}")]);
    assert_eq!(pushed, git_ok(&home, &c1, &["rev-parse", "HEAD"]));

    // Basic with any user name and the token as the password (what git sends from a URL);
    // fetching the pushed branch back also exercises upload-pack negotiation.
    let with_basic = repo_url.replacen("http://", &format!("http://oi:{token}@"), 1);
    let c2 = work.join("c2");
    git_ok(&home, &work, &["clone", "--branch", &branch, &with_basic, c2.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(c2.join("change.txt")).unwrap(), "from the sandbox\n");

    // No token, a wrong token, and another sandbox's token.
    let out = git(&home, &work, &["clone", &repo_url, work.join("c3").to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Authentication failed") || err.contains("401") || err.contains("could not read Username"),
        "{err}"
    );
    let other_id = format!("sbx_git2{marker}");
    let other_token = format!("other-{marker}");
    p.create_ready(&request(&other_id, "https://example.com/other.git", &other_token)).await;
    for wrong in [other_token.as_str(), "nope"] {
        let header = format!("http.extraHeader=Authorization: Bearer {wrong}");
        let out = git(&home, &work, &["-c", &header, "clone", &repo_url, work.join("c4").to_str().unwrap()]);
        assert!(!out.status.success(), "cloned with {wrong}");
    }
    assert!(!work.join("c3").exists() && !work.join("c4").exists());

    // The raw answers: 401 with a Basic challenge, 404 for a sandbox without a local repo and
    // for the dumb protocol.
    let refs = format!("{repo_url}/info/refs?service=git-upload-pack");
    let resp = p.http.get(&refs).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["www-authenticate"], "Basic realm=\"open-inspect\"");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    let resp = p.http.get(&refs).bearer_auth(&token).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/x-git-upload-pack-advertisement");
    let resp = p
        .http
        .get(format!("{}/git/{other_id}/info/refs?service=git-upload-pack", p.url))
        .bearer_auth(&other_token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404, "no local repo, no git route");
    let resp = p.http.get(format!("{repo_url}/HEAD")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(resp.status(), 404, "the dumb protocol is not served");
    let resp = p
        .http
        .get(format!("{}/git/sbx_unknown/info/refs?service=git-upload-pack", p.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);

    // A gzip-compressed request body (what git sends for a large negotiation) reaches
    // upload-pack decompressed: want main, done → NAK and a pack.
    let head = git_ok(&home, &bare, &["rev-parse", "refs/heads/main"]);
    let request_body = format!("0032want {head}\n00000009done\n");
    let gzipped = output_within(
        Command::new("sh").args(["-c", &format!("printf '{}' | gzip -c", request_body.replace('\n', "\\n"))]),
        20,
    )
    .stdout;
    assert_eq!(&gzipped[..2], &[0x1f, 0x8b], "gzip output");
    let resp = p
        .http
        .post(format!("{repo_url}/git-upload-pack"))
        .bearer_auth(&token)
        .header("content-type", "application/x-git-upload-pack-request")
        .header("content-encoding", "gzip")
        .body(gzipped)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/x-git-upload-pack-result");
    let pack = resp.bytes().await.unwrap();
    assert!(pack.starts_with(b"0008NAK\nPACK"), "{:?}", String::from_utf8_lossy(&pack[..pack.len().min(40)]));

    // A terminated sandbox's token no longer works.
    let (status, _) = p.call("DELETE", &format!("/v1/sandboxes/{id}"), None).await;
    assert_eq!(status, 200);
    let out = git(&home, &work, &["-c", &bearer, "clone", &repo_url, work.join("c5").to_str().unwrap()]);
    assert!(!out.status.success(), "cloned after terminate");
    let resp = p.http.get(&refs).bearer_auth(&token).send().await.unwrap();
    assert_eq!(resp.status(), 403);
}
