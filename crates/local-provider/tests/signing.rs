//! Every route but health needs a valid, fresh, never-seen signature.

mod common;

use common::*;
use oi_protocol::provider::ProviderHealth;
use oi_protocol::signing::{authorization, SignedParts, MAX_SKEW_MS};

fn assert_unauthorized(status: u16, body: &serde_json::Value, needle: &str) {
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "unauthorized", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(needle), "{message:?} should say {needle:?}");
}

#[tokio::test]
async fn health_is_unsigned_and_declares_the_capabilities() {
    let p = Provider::start(&unique(), Options::default());
    let resp = p.http.get(format!("{}/v1/health", p.url)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let health: ProviderHealth = resp.json().await.unwrap();
    assert!(health.ok);
    assert_eq!(health.provider, "local");
    assert_eq!(health.version, env!("CARGO_PKG_VERSION"));
    assert!(health.capabilities.snapshot && health.capabilities.restore);
    assert!(!health.capabilities.persistent_resume);
    assert!(health.capabilities.images && health.capabilities.warm_pool);
}

#[tokio::test]
async fn the_image_and_claim_routes_need_a_signature_too() {
    let marker = unique();
    let p = Provider::start(&marker, Options::default());
    let build =
        serde_json::to_vec(&build_request(&format!("img_sig{marker}"), "https://example.com/app.git", "t")).unwrap();
    let claim = serde_json::to_vec(&serde_json::json!({
        "session_id": "ses_x", "sandbox_token": "t", "control_plane_url": "http://127.0.0.1:8787",
        "branch": "main", "agent": {"model": "m/x", "providers": []},
    }))
    .unwrap();
    for (method, path, body) in [
        ("POST", "/v1/images".to_string(), build.clone()),
        ("GET", format!("/v1/images/img_sig{marker}"), vec![]),
        ("DELETE", format!("/v1/images/img_sig{marker}"), vec![]),
        ("POST", "/v1/sandboxes/sbx_x/claim".to_string(), claim.clone()),
    ] {
        let (status, err) = p.raw(method, &path, None, body).await;
        assert_unauthorized(status, &err, "not signed");
    }
    assert!(!p.image_dir(&format!("img_sig{marker}")).exists(), "the unsigned build started nothing");
    // Signed, the same requests are answered.
    let (status, body) = p.call("POST", "/v1/images", Some(&serde_json::from_slice(&build).unwrap())).await;
    assert_eq!((status, body["status"].as_str()), (202, Some("building")), "{body}");
    let (status, body) = p.call("DELETE", &format!("/v1/images/img_sig{marker}"), None).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("deleted")), "{body}");
    let (status, body) =
        p.call("POST", "/v1/sandboxes/sbx_x/claim", Some(&serde_json::from_slice(&claim).unwrap())).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")), "{body}");
}

#[tokio::test]
async fn bad_signatures_are_rejected_with_the_reason() {
    let marker = unique();
    let p = Provider::start(&marker, Options::default());
    let id = format!("sbx_sig{marker}");
    let body = serde_json::to_vec(&request(&id, "https://example.com/app.git", "t")).unwrap();

    let (status, err) = p.raw("POST", "/v1/sandboxes", None, body.clone()).await;
    assert_unauthorized(status, &err, "not signed");
    let (status, err) = p.raw("GET", "/v1/sandboxes/x", Some("Bearer abc".into()), vec![]).await;
    assert_unauthorized(status, &err, "OI-HMAC-SHA256");

    // Signed for one body, sent with another.
    let header = sign("POST", "/v1/sandboxes", "", &body, now_ms());
    let mut tampered = body.clone();
    let at = tampered.iter().position(|&b| b == b'm').unwrap();
    tampered[at] = b'M';
    let (status, err) = p.raw("POST", "/v1/sandboxes", Some(header), tampered).await;
    assert_unauthorized(status, &err, "does not match");

    // Signed for another path, and for another query.
    let header = sign("GET", "/v1/sandboxes/a", "", b"", now_ms());
    let (status, err) = p.raw("GET", "/v1/sandboxes/b", Some(header), vec![]).await;
    assert_unauthorized(status, &err, "does not match");
    let header = sign("GET", "/v1/sandboxes/a", "x=1", b"", now_ms());
    let (status, err) = p.raw("GET", "/v1/sandboxes/a?x=2", Some(header), vec![]).await;
    assert_unauthorized(status, &err, "does not match");

    // With another key.
    let parts = SignedParts { method: "POST", path: "/v1/sandboxes", query: "", body: &body };
    let header = authorization(b"not-the-key", &parts, now_ms(), &nonce());
    let (status, err) = p.raw("POST", "/v1/sandboxes", Some(header), body.clone()).await;
    assert_unauthorized(status, &err, "does not match");

    // Stale, and from the future.
    for ts in [now_ms() - MAX_SKEW_MS - 60_000, now_ms() + MAX_SKEW_MS + 60_000] {
        let header = sign("POST", "/v1/sandboxes", "", &body, ts);
        let (status, err) = p.raw("POST", "/v1/sandboxes", Some(header), body.clone()).await;
        assert_unauthorized(status, &err, "5 minutes");
    }
    assert!(!p.sandbox_dir(&id).exists(), "no rejected request created anything");

    // Valid: accepted once, then the same request is a replay.
    let header = sign("POST", "/v1/sandboxes", "", &body, now_ms());
    let (status, created) = p.raw("POST", "/v1/sandboxes", Some(header.clone()), body.clone()).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["sandbox_id"], id.as_str());
    let (status, err) = p.raw("POST", "/v1/sandboxes", Some(header), body.clone()).await;
    assert_unauthorized(status, &err, "already used");

    // A signed query is fine when it matches.
    let path = format!("/v1/sandboxes/{id}");
    let header = sign("GET", &path, "b=2&a=1", b"", now_ms());
    let (status, got) = p.raw("GET", &format!("{path}?a=1&b=2"), Some(header), vec![]).await;
    assert_eq!((status, got["status"].as_str()), (200, Some("running")), "{got}");
}

#[tokio::test]
async fn a_replay_is_refused_after_a_restart_on_the_same_root() {
    use std::os::unix::fs::PermissionsExt;

    let marker = unique();
    let mut p = Provider::start(&marker, Options::default());
    let path = format!("/v1/sandboxes/sbx_gone{marker}");
    // Accepted: past the signature check, the route answers (no such sandbox).
    let header = sign("GET", &path, "", b"", now_ms());
    let (status, body) = p.raw("GET", &path, Some(header.clone()), vec![]).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")), "{body}");
    let log = p.root.join("nonces.log");
    assert_eq!(std::fs::metadata(&log).unwrap().permissions().mode() & 0o777, 0o600);

    // Stopped and started again on the same root: the captured request is still a replay.
    assert!(p.stop().is_some_and(|s| s.success()));
    let dir = p.dir.clone();
    drop(p);
    let mut p = Provider::start_in(dir, &marker, Options::default());
    let (status, err) = p.raw("GET", &path, Some(header), vec![]).await;
    assert_unauthorized(status, &err, "replayed");
    assert_unauthorized(status, &err, "already used");

    // A fresh request is accepted.
    let fresh = sign("GET", &path, "", b"", now_ms());
    let (status, body) = p.raw("GET", &path, Some(fresh.clone()), vec![]).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")), "{body}");

    // Killed without a chance to clean up: the nonce was written before the request was served.
    let mut child = p.child.take().unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let dir = p.dir.clone();
    drop(p);
    let p = Provider::start_in(dir, &marker, Options::default());
    let (status, err) = p.raw("GET", &path, Some(fresh), vec![]).await;
    assert_unauthorized(status, &err, "replayed");
    let (status, body) = p.call("GET", &path, None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")), "{body}");
    assert_eq!(std::fs::metadata(&log).unwrap().permissions().mode() & 0o777, 0o600);
    let lines = std::fs::read_to_string(&log).unwrap().lines().count();
    assert_eq!(lines, 3, "the three accepted requests' nonces");
}

#[test]
fn the_binary_refuses_to_start_without_a_key() {
    let dir = temp_dir();
    let agent = write_supervisor(dir.path(), &unique(), dir.path());
    let out = output_within(command(dir.path(), &agent, &Options::default()).env("OI_PROVIDER_KEY", ""), 20);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("OI_PROVIDER_KEY") && err.contains("empty"), "{err}");

    let out = output_within(command(dir.path(), &agent, &Options::default()).args(["--key-env", "OTHER_KEY"]), 20);
    assert_eq!(out.status.code(), Some(2), "OTHER_KEY is unset");
    assert!(String::from_utf8_lossy(&out.stderr).contains("OTHER_KEY"));
}

#[test]
fn the_binary_refuses_bwrap_isolation_without_bwrap() {
    let dir = temp_dir();
    let agent = write_supervisor(dir.path(), &unique(), dir.path());
    let out = output_within(command(dir.path(), &agent, &Options::default()).env("PATH", "/nonexistent"), 20);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bubblewrap") && err.contains("--isolation none"), "{err}");
}
