//! Warm-pool sandboxes: `OI_POOL=1`, and a claim that hands one to a session (over the claim
//! channel, never a file in the sandbox; the new session id; the git endpoint switching to the
//! new token and taking pushes only from then on).

mod common;

use common::*;
use oi_protocol::provider::ClaimSandbox;
use oi_protocol::supervisor_env;
use serde_json::json;

fn claim_body(session_id: &str, token: &str, branch: &str) -> serde_json::Value {
    json!({
        "session_id": session_id,
        "sandbox_token": token,
        "control_plane_url": "http://127.0.0.1:8787",
        "branch": branch,
        "agent": {
            "model": "scripted/other-model",
            "providers": [{"id": "scripted", "api": "openai_compatible", "base_url": "http://127.0.0.1:8790/v1", "test_model": true}]
        },
    })
}

#[tokio::test]
async fn a_pool_sandbox_is_claimed_once_and_its_git_endpoint_switches_tokens() {
    let marker = unique();
    let p = Provider::start(&marker, Options::default());
    let (work, home, bare) = repo_fixture(&p);
    let id = format!("sbx_pool{marker}");
    let mut req = request(&id, bare.to_str().unwrap(), "pool-tok");
    req.pool = true;
    req.session_id = format!("pool_{marker}");
    p.create_ready(&req).await;
    let env = read_env(&p.state_file(&id, "env"));
    assert!(env.contains(&(supervisor_env::POOL.to_string(), "1".to_string())), "{env:?}");
    assert!(env.contains(&(supervisor_env::SESSION_ID.to_string(), req.session_id.clone())));
    let url = format!("{}/git/{id}", p.url);
    assert!(ls_remote_works(&home, &work, &url, "pool-tok"));
    assert!(env.iter().any(|(k, _)| k == supervisor_env::CLAIM_FD), "a claim channel: {env:?}");
    let claim_path = format!("/v1/sandboxes/{id}/claim");
    let received = p.state_file(&id, "claim");
    // Something in the sandbox plants symlinks where the claim file used to be written: the
    // provider must not follow them to a host file.
    let state = p.sandbox_dir(&id).join("state");
    let victim = p.dir.path().join("outside/victim.txt");
    std::fs::write(&victim, "untouched").unwrap();
    for name in ["claim.json", "claim.json.tmp"] {
        std::os::unix::fs::symlink(&victim, state.join(name)).unwrap();
    }
    // An unclaimed pool sandbox fetches but does not push.
    let resp = p
        .http
        .get(format!("{}/git/{id}/info/refs?service=git-receive-pack", p.url))
        .bearer_auth("pool-tok")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);

    // Another branch, and a control-plane URL that is not http(s): refused, nothing written.
    let (status, body) = p.call("POST", &claim_path, Some(&claim_body("ses_a", "t", "develop"))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("conflict")), "{body}");
    let mut bad_url = claim_body("ses_a", "t", "main");
    bad_url["control_plane_url"] = json!("ws://127.0.0.1:8787");
    let (status, body) = p.call("POST", &claim_path, Some(&bad_url)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_request")), "{body}");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(!received.exists(), "nothing was handed over");

    let session = format!("ses_claimed{marker}");
    let claim = claim_body(&session, "claim-tok", "main");
    let (status, body) = p.call("POST", &claim_path, Some(&claim)).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("running")), "{body}");
    assert_eq!(body["session_id"], session.as_str());
    wait_for_file(&received).await;
    let written: ClaimSandbox = serde_json::from_slice(&std::fs::read(&received).unwrap()).unwrap();
    assert_eq!(written, serde_json::from_value::<ClaimSandbox>(claim.clone()).unwrap());
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched", "the provider followed a symlink");
    for name in ["claim.json", "claim.json.tmp"] {
        assert!(std::fs::symlink_metadata(state.join(name)).unwrap().file_type().is_symlink(), "{name} was replaced");
    }
    let (_, body) = p.call("GET", &format!("/v1/sandboxes/{id}"), None).await;
    assert_eq!(body["session_id"], session.as_str(), "{body}");

    // The pool token stops working; the session's works.
    assert!(!ls_remote_works(&home, &work, &url, "pool-tok"), "the pool token still works");
    assert!(ls_remote_works(&home, &work, &url, "claim-tok"));

    let (status, body) = p.call("POST", &claim_path, Some(&claim_body("ses_b", "t2", "main"))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("conflict")), "claimed twice: {body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("already claimed"), "{body}");
    let again: ClaimSandbox = serde_json::from_slice(&std::fs::read(&received).unwrap()).unwrap();
    assert_eq!(again.session_id, session, "the first claim stands");

    // A snapshot now belongs to the claiming session.
    let (status, body) = p.call("POST", &format!("/v1/sandboxes/{id}/snapshot"), None).await;
    assert_eq!((status, body["session_id"].as_str()), (201, Some(session.as_str())), "{body}");
}

#[tokio::test]
async fn only_running_pool_sandboxes_can_be_claimed() {
    let marker = unique();
    let p = Provider::start(&marker, Options::default());
    let plain = format!("sbx_plain{marker}");
    p.create_ready(&request(&plain, "https://example.com/app.git", "t")).await;
    let env = read_env(&p.state_file(&plain, "env"));
    assert!(!env.iter().any(|(k, _)| k == supervisor_env::POOL || k == supervisor_env::CLAIM_FD), "{env:?}");
    let (status, body) =
        p.call("POST", &format!("/v1/sandboxes/{plain}/claim"), Some(&claim_body("s", "t", "main"))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("conflict")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("not a warm-pool"), "{body}");

    let (status, body) = p.call("POST", "/v1/sandboxes/sbx_nope/claim", Some(&claim_body("s", "t", "main"))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")), "{body}");

    let gone = format!("sbx_gone{marker}");
    let mut req = request(&gone, "https://example.com/app.git", "t");
    req.pool = true;
    p.create_ready(&req).await;
    let (status, _) = p.call("DELETE", &format!("/v1/sandboxes/{gone}"), None).await;
    assert_eq!(status, 200);
    let (status, body) =
        p.call("POST", &format!("/v1/sandboxes/{gone}/claim"), Some(&claim_body("s", "t", "main"))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("conflict")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("not running"), "{body}");
    assert!(!p.state_file(&gone, "claim").exists());
}
