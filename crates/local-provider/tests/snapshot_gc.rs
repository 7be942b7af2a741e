//! Snapshot garbage collection in the running provider: only the newest snapshot of a session
//! is kept with `--snapshots-per-session 1`, and restoring a deleted one is a 404.

mod common;

use std::time::{Duration, Instant};

use common::*;
use oi_protocol::provider::SnapshotInfo;
use serde_json::json;

#[tokio::test]
async fn only_the_newest_snapshot_of_a_session_is_kept() {
    let marker = unique();
    let args = vec!["--snapshots-per-session", "1", "--snapshot-gc-interval-secs", "1"];
    let p = Provider::start(&marker, Options { extra_args: args, ..Options::default() });
    let id = format!("sbx_gc{marker}");
    p.create_ready(&request(&id, "https://example.com/app.git", "t")).await;

    let mut snaps = Vec::new();
    for _ in 0..2 {
        let (status, body) = p.call("POST", &format!("/v1/sandboxes/{id}/snapshot"), None).await;
        assert_eq!(status, 201, "{body}");
        snaps.push(serde_json::from_value::<SnapshotInfo>(body).unwrap());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (older, newer) = (&snaps[0], &snaps[1]);
    assert!(older.created_at < newer.created_at, "{snaps:?}");
    let snapshots = p.root.join("snapshots");

    let start = Instant::now();
    while snapshots.join(&older.snapshot_id).exists() {
        assert!(start.elapsed() < Duration::from_secs(15), "the older snapshot was never collected");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let left: Vec<String> =
        std::fs::read_dir(&snapshots).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(left, vec![newer.snapshot_id.as_str()], "only the newest is on disk");
    assert!(p.log_text().contains(&older.snapshot_id), "the deletion is logged");

    let restore = |snapshot_id: &str, sandbox_id: &str| json!({"snapshot_id": snapshot_id, "sandbox": request(sandbox_id, "https://example.com/app.git", "t2")});
    let (status, body) = p.call("POST", "/v1/sandboxes/restore", Some(&restore(&older.snapshot_id, "sbx_gone"))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains(&older.snapshot_id), "{body}");
    assert!(!p.sandbox_dir("sbx_gone").exists());

    let new_id = format!("sbx_gcr{marker}");
    let (status, body) = p.call("POST", "/v1/sandboxes/restore", Some(&restore(&newer.snapshot_id, &new_id))).await;
    assert_eq!((status, body["status"].as_str()), (201, Some("running")), "{body}");
    wait_for_file(&p.state_file(&new_id, "ready")).await;
    assert!(snapshots.join(&newer.snapshot_id).join("snapshot.json").is_file(), "the newest is still kept");
}

#[test]
fn a_zero_setting_is_refused() {
    let dir = temp_dir();
    let agent = write_supervisor(dir.path(), &unique(), dir.path());
    for flag in ["--snapshots-per-session", "--snapshot-max-age-hours", "--snapshot-gc-interval-secs"] {
        let opts = Options { extra_args: vec![flag, "0"], ..Options::default() };
        let out = output_within(&mut command(dir.path(), &agent, &opts), 20);
        assert!(!out.status.success(), "{flag} 0 was accepted");
        assert!(String::from_utf8_lossy(&out.stderr).contains(flag), "{}", String::from_utf8_lossy(&out.stderr));
    }
}
