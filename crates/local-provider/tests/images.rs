//! Repo images under real bubblewrap: builds, sandboxes started from them, deletion, and
//! records that survive a provider restart.

mod common;

use std::time::Duration;

use common::*;
use oi_protocol::provider::ImageInfo;
use oi_protocol::supervisor_env;
use serde_json::{json, Value};

fn var(env: &[(String, String)], name: &str) -> Option<String> {
    env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

/// Builds an image from a URL repo (no clone) and returns it once ready.
async fn build_ready(p: &Provider, image_id: &str) -> ImageInfo {
    let (status, body) =
        p.call("POST", "/v1/images", Some(&build_request(image_id, "https://e.com/a.git", "bt"))).await;
    assert_eq!(status, 202, "{body}");
    let body = p.wait_built(image_id).await;
    assert_eq!(body["status"], "ready", "{body}");
    serde_json::from_value(body).unwrap()
}

#[tokio::test]
async fn a_build_becomes_an_image_that_sandboxes_start_from() {
    let marker = unique();
    let p = Provider::start(&marker, Options::default());
    let (work, home, bare) = repo_fixture(&p);
    let head = git_ok(&home, &bare, &["rev-parse", "refs/heads/main"]);
    let img = format!("img_ok{marker}");
    // The build waits for a file in its own state directory (nothing else of the host is
    // visible to it), which the test writes from outside.
    let go = p.image_dir(&img).join(format!("build/state/go-{marker}"));
    let mut req = build_request(&img, bare.to_str().unwrap(), "build-tok");
    req["env"]["BUILD_WAIT_FOR"] = json!(format!("/srv/state/go-{marker}"));

    let (status, body) = p.call("POST", "/v1/images", Some(&req)).await;
    assert_eq!((status, body["status"].as_str()), (202, Some("building")), "{body}");
    assert_eq!((body["image_id"].as_str(), body["runtime_generation"].as_u64()), (Some(img.as_str()), Some(1)));
    assert!(body["created_at"].as_i64().unwrap() > 0);

    // While it builds: the log so far, no sandbox from it, its git endpoint takes the build token.
    let body = p.wait_log(&img, &format!("build: started for {img}")).await;
    assert_eq!((body["status"].as_str(), body.get("finished_at")), (Some("building"), None), "{body}");
    let mut sandbox = request(&format!("sbx_early{marker}"), "https://example.com/app.git", "t");
    sandbox.image_id = Some(img.clone());
    let (status, body) = p.create(&sandbox).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("conflict")), "{body}");
    let git_url = format!("{}/git/{img}", p.url);
    assert!(ls_remote_works(&home, &work, &git_url, "build-tok"));
    assert!(!ls_remote_works(&home, &work, &git_url, "not-the-build-tok"));

    std::fs::write(&go, "").unwrap();
    let body = p.wait_built(&img).await;
    let info: ImageInfo = serde_json::from_value(body.clone()).unwrap();
    assert_eq!(body["status"], "ready", "{body}");
    assert_eq!(info.base_sha.as_deref(), Some(head.as_str()), "the commit the build cloned");
    assert!(info.finished_at.unwrap() >= info.created_at);
    assert!(info.size_bytes.unwrap() >= 6, "{info:?}");
    assert_eq!((info.runtime_generation, info.error.as_deref()), (1, None));
    let log = info.log_tail.as_deref().unwrap();
    assert!(log.contains("build: started") && log.contains(&format!("build: done at {head}")), "{log}");

    // On disk: the build's workspace and state became the image's; the record matches.
    let dir = p.image_dir(&img);
    assert_eq!(std::fs::read_to_string(dir.join("workspace/README.md")).unwrap(), "# app\n");
    assert_eq!(std::fs::read_to_string(dir.join("workspace/built.txt")).unwrap(), format!("built by {img}\n"));
    let result: Value = serde_json::from_slice(&std::fs::read(dir.join("state/image.json")).unwrap()).unwrap();
    assert_eq!(result["base_sha"], head.as_str());
    let record: ImageInfo = serde_json::from_slice(&std::fs::read(dir.join("image.json")).unwrap()).unwrap();
    assert_eq!(record, info);
    assert!(!dir.join("build/workspace").exists() && !dir.join("build/state").exists());
    assert!(dir.join("build/supervisor.log").is_file());

    // The build's environment: build mode, connected to nothing, the build token for git.
    let env = read_env(&dir.join(format!("state/env-{img}.txt")));
    assert_eq!(var(&env, supervisor_env::BOOT_MODE).as_deref(), Some("build"));
    assert_eq!(var(&env, supervisor_env::CONTROL_PLANE_URL).as_deref(), Some(""));
    assert_eq!(var(&env, supervisor_env::AGENT_CONFIG), None);
    assert_eq!(var(&env, supervisor_env::POOL), None);
    assert_eq!(var(&env, supervisor_env::SESSION_ID), Some(format!("image-{img}")));
    assert_eq!(var(&env, supervisor_env::SANDBOX_ID).as_deref(), Some(img.as_str()));
    assert_eq!(var(&env, supervisor_env::SANDBOX_TOKEN), None, "the token comes on stdin");
    assert_eq!(var(&env, supervisor_env::SANDBOX_TOKEN_ON_STDIN).as_deref(), Some("1"));
    assert_eq!(std::fs::read_to_string(dir.join(format!("state/token-{img}.txt"))).unwrap(), "build-tok");
    assert_eq!(var(&env, supervisor_env::REPO_URL).as_deref(), Some(git_url.as_str()));
    assert_eq!(var(&env, supervisor_env::REPO_AUTH).as_deref(), Some("sandbox_token"));
    assert_eq!(var(&env, supervisor_env::WORKSPACE).as_deref(), Some("/srv/workspace"));
    assert_eq!(var(&env, "NODE_ENV").as_deref(), Some("ci"));
    // The build is over: its token opens nothing any more.
    let refs = format!("{git_url}/info/refs?service=git-upload-pack");
    assert_eq!(p.http.get(&refs).bearer_auth("build-tok").send().await.unwrap().status(), 403);

    // A sandbox from the image starts with its files, in repo_image mode.
    let id = format!("sbx_img{marker}");
    let mut sandbox = request(&id, bare.to_str().unwrap(), "sandbox-tok");
    sandbox.image_id = Some(img.clone());
    p.create_ready(&sandbox).await;
    let sdir = p.sandbox_dir(&id);
    assert_eq!(std::fs::read_to_string(sdir.join("workspace/built.txt")).unwrap(), format!("built by {img}\n"));
    assert_eq!(std::fs::read_to_string(sdir.join("workspace/README.md")).unwrap(), "# app\n");
    let env = read_env(&p.state_file(&id, "env"));
    assert_eq!(var(&env, supervisor_env::BOOT_MODE).as_deref(), Some("repo_image"));
    assert_eq!(std::fs::read_to_string(p.state_file(&id, "token")).unwrap(), "sandbox-tok");
    assert!(dir.join("workspace/built.txt").is_file(), "the image itself is untouched");
}

#[tokio::test]
async fn a_failed_build_reports_its_exit_status_and_its_log() {
    let marker = unique();
    let p = Provider::start(&marker, Options::default());
    let img = format!("img_fail{marker}");
    let mut req = build_request(&img, "https://example.com/app.git", "bt");
    req["env"]["BUILD_FAIL"] = json!("3");
    let (status, body) = p.call("POST", "/v1/images", Some(&req)).await;
    assert_eq!(status, 202, "{body}");
    let body = p.wait_built(&img).await;
    assert_eq!(body["status"], "failed", "{body}");
    let error = body["error"].as_str().unwrap();
    assert!(error.contains("status 3"), "{error}");
    let log = body["log_tail"].as_str().unwrap();
    assert!(log.contains("setup.sh: step one") && log.contains("setup.sh: step two failed"), "{log}");
    assert!(body["finished_at"].as_i64().is_some() && body.get("base_sha").is_none(), "{body}");
    let dir = p.image_dir(&img);
    assert!(
        !dir.join("workspace").exists() && !dir.join("build/workspace").exists() && !dir.join("build/state").exists()
    );
    assert!(dir.join("build/supervisor.log").is_file(), "the log stays");
    let mut sandbox = request(&format!("sbx_f{marker}"), "https://example.com/app.git", "t");
    sandbox.image_id = Some(img.clone());
    let (status, body) = p.create(&sandbox).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("conflict")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("failed"), "{body}");

    // Exit 0 without image.json is a failure too.
    let img2 = format!("img_nores{marker}");
    let mut req = build_request(&img2, "https://example.com/app.git", "bt");
    req["env"]["BUILD_NO_RESULT"] = json!("1");
    p.call("POST", "/v1/images", Some(&req)).await;
    let body = p.wait_built(&img2).await;
    assert_eq!(body["status"], "failed", "{body}");
    assert!(body["error"].as_str().unwrap().contains("image.json"), "{body}");
}

#[tokio::test]
async fn unknown_building_and_deleted_images() {
    let marker = unique();
    let p = Provider::start(&marker, Options::default());
    let (status, _) = p.call("GET", "/v1/images/img_nope", None).await;
    assert_eq!(status, 404);
    let (status, _) = p.call("DELETE", "/v1/images/img_nope", None).await;
    assert_eq!(status, 404);
    let mut sandbox = request(&format!("sbx_u{marker}"), "https://example.com/app.git", "t");
    sandbox.image_id = Some("img_nope".into());
    let (status, body) = p.create(&sandbox).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")), "{body}");
    sandbox.image_id = Some("../img".into());
    let (status, body) = p.create(&sandbox).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_request")), "{body}");
    let (status, body) = p.call("POST", "/v1/images", Some(&build_request("../img", "https://e/a.git", "t"))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_request")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("image_id"), "{body}");

    let img = format!("img_del{marker}");
    build_ready(&p, &img).await;
    let (status, body) = p.call("POST", "/v1/images", Some(&build_request(&img, "https://e/a.git", "t"))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("conflict")), "the id is taken: {body}");
    let (status, body) = p.create(&request(&img, "https://example.com/app.git", "t")).await;
    assert_eq!(status, 409, "sandboxes and images share the git endpoint's ids: {body}");

    let dir = p.image_dir(&img);
    assert!(dir.join("workspace").is_dir());
    for _ in 0..2 {
        let (status, body) = p.call("DELETE", &format!("/v1/images/{img}"), None).await;
        assert_eq!((status, body["status"].as_str()), (200, Some("deleted")), "idempotent: {body}");
        assert!(!dir.join("workspace").exists() && !dir.join("state").exists() && !dir.join("build").exists());
    }
    let record: Value = serde_json::from_slice(&std::fs::read(dir.join("image.json")).unwrap()).unwrap();
    assert_eq!(record["status"], "deleted");
    let (status, body) = p.call("GET", &format!("/v1/images/{img}"), None).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("deleted")), "{body}");
    sandbox.image_id = Some(img.clone());
    let (status, body) = p.create(&sandbox).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("conflict")), "{body}");
    assert!(!p.sandbox_dir(&sandbox.sandbox_id).exists());

    // Deleting a running build kills it, and it stays deleted.
    let img = format!("img_kill{marker}");
    let mut req = build_request(&img, "https://example.com/app.git", "bt");
    req["env"]["BUILD_WAIT_FOR"] = json!("/nonexistent/never");
    p.call("POST", "/v1/images", Some(&req)).await;
    p.wait_log(&img, "build: started").await;
    assert!(!p.survivors(&marker).is_empty(), "the build runs");
    let (status, body) = p.call("DELETE", &format!("/v1/images/{img}"), None).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("deleted")), "{body}");
    assert_eq!(p.survivors(&marker), Vec::<i32>::new(), "the build outlived its deletion");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, body) = p.call("GET", &format!("/v1/images/{img}"), None).await;
    assert_eq!(body["status"], "deleted", "{body}");
    assert!(!p.image_dir(&img).join("build").exists());
}

#[tokio::test]
async fn images_survive_a_provider_restart() {
    let marker = unique();
    let mut p1 = Provider::start(&marker, Options::default());
    let ready = build_ready(&p1, &format!("img_keep{marker}")).await;
    let stopped = format!("img_stop{marker}");
    let mut req = build_request(&stopped, "https://example.com/app.git", "bt");
    req["env"]["BUILD_WAIT_FOR"] = json!("/nonexistent/never");
    p1.call("POST", "/v1/images", Some(&req)).await;
    p1.wait_log(&stopped, "build: started").await;
    assert!(p1.stop().unwrap().success(), "{}", p1.log_text());
    assert_eq!(processes_with(&marker), Vec::<i32>::new(), "the build outlived the provider");

    let mut p2 = Provider::start_in(p1.dir.clone(), &marker, Options::default());
    let (status, body) = p2.call("GET", &format!("/v1/images/{}", ready.image_id), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(serde_json::from_value::<ImageInfo>(body).unwrap(), ready, "the same record");
    let (_, body) = p2.call("GET", &format!("/v1/images/{stopped}"), None).await;
    assert_eq!(body["status"], "failed", "{body}");
    assert_eq!(body["error"], "the provider stopped during the build", "{body}");
    let id = format!("sbx_after{marker}");
    let mut sandbox = request(&id, "https://example.com/app.git", "t");
    sandbox.image_id = Some(ready.image_id.clone());
    p2.create_ready(&sandbox).await;
    assert!(p2.sandbox_dir(&id).join("workspace/built.txt").is_file());

    // A provider killed mid-build: after the restart the build has failed.
    let killed = format!("img_died{marker}");
    let mut req = build_request(&killed, "https://example.com/app.git", "bt");
    req["env"]["BUILD_WAIT_FOR"] = json!("/nonexistent/never");
    p2.call("POST", "/v1/images", Some(&req)).await;
    p2.wait_log(&killed, "build: started").await;
    let mut child = p2.child.take().unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_no_process_with(&marker, None, Duration::from_secs(10)).await;

    let p3 = Provider::start_in(p2.dir.clone(), &marker, Options::default());
    let (_, body) = p3.call("GET", &format!("/v1/images/{killed}"), None).await;
    assert_eq!(body["status"], "failed", "{body}");
    assert_eq!(body["error"], "the provider restarted during the build", "{body}");
    assert!(body["log_tail"].as_str().unwrap().contains("build: started"), "{body}");
    assert!(!p3.image_dir(&killed).join("build/workspace").exists());
    let (_, body) = p3.call("GET", &format!("/v1/images/{}", ready.image_id), None).await;
    assert_eq!(body["status"], "ready", "{body}");
}
